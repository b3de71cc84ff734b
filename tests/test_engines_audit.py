"""Audit 13: the engines other than plain sequential BFS never give a green they did not earn.

Each test names the guarantee an engine keeps (Hypothesis machines, Z3, liveness, the
parallel and depth-first searches, simulation): what it found in the audit, and what keeps
it fixed.  Each runs in well under a second or two.
"""

from __future__ import annotations

import json

from kafkacheck.cli import main
from kafkacheck.config import build_config
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import trace_lines
from kafkacheck.explorer.simulate import simulate
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import eventually
from kafkacheck.testing import check, machine, make_model

# -- Hypothesis machines -------------------------------------------------------------------


def test_a_hypothesis_machine_can_take_every_action_the_model_has_enabled():
    # The transactions model named a KIP-360 epoch bump "InitProducerId (bump e0)": a family
    # its action_families() did not declare.  The machine drew only from declared families,
    # so it never bumped an epoch (nor reached what follows a bump, AbortTimedOut): a green
    # machine run over fewer behaviours than the model has, said nowhere.  The machine now
    # offers every enabled action, and the bump is an InitProducerId like any other.
    model = make_model("txn-late-write-tv1")
    cls = machine("txn-late-write-tv1", properties=["NoAbortedRead"])
    states = breadth_first(model, ["NoAbortedRead"], record_graph=True).graph.states
    declared = set(model.action_families())
    undeclared, bumps = set(), 0
    for state in states.values():
        instance = cls()
        instance.state = state
        offered = {action for action, _ in instance.choices()}
        assert offered == {action for action, _ in model.successors(state)}
        undeclared |= {action[0] for action in offered} - declared
        bumps += sum(1 for action in offered if action[:3] == ("InitProducerId", "P0", "bump e0"))
    assert undeclared == set() and bumps > 0


# -- liveness --------------------------------------------------------------------------------

LONE_CONSUMER = {"consumers": 1, "crashes": 1, "records": 1}


def test_liveness_does_not_assume_a_restart_that_no_fairness_forces():
    # AllRecordsProcessed is fair in the group's own steps (Join, Sync, Poll, Process,
    # Expire...), not in Restart: the rejoins budget only allows a crashed consumer back.
    # The engine made some enabled action happen in every state, so with rejoins=1 the
    # restart was forced and the property HELD, while rejoins=0 (fewer behaviours) was
    # VIOLATED.  A behaviour may stop where no fair action is enabled (TLA+ stuttering).
    settings = {"auto.offset.reset": "earliest"}
    without = check(settings, model="group", properties=["AllRecordsProcessed"],
                    bounds={**LONE_CONSUMER, "rejoins": 0})
    allowed = check(settings, model="group", properties=["AllRecordsProcessed"],
                    bounds={**LONE_CONSUMER, "rejoins": 1})
    assert without.result == allowed.result == "violated"
    trace = allowed.violation("AllRecordsProcessed").trace
    last = trace.steps[-1].state
    # Which stopping point is shown follows the state fingerprints (it was 7 steps, the
    # consumer's crash after it joined, before per-tuple digests): any is a counterexample.
    assert trace.loop_start == len(trace) == 2
    assert [a[0] for a in trace.actions] == ["Produce", "Crash"]
    assert {a[0] for a, _ in allowed.model.successors(last)} == {"Restart"}
    lines = trace_lines(allowed.model, trace)
    assert lines[-1] == "  ... and stays at step 2 forever: no weakly fair action is enabled there"


class Door(Model):
    """Open -> (Knock, not fair) -> Knocked -> (Enter, fair) -> Inside."""

    name = "door"
    fields = ("pc",)

    def init_states(self):
        return [(0,)]

    def successors(self, state):
        if state == (0,):
            yield ("Knock",), (1,)
        elif state == (1,):
            yield ("Enter",), (2,)

    def properties(self):
        return [eventually("GetsIn", "the visitor eventually gets in", lambda s: s == (2,),
                           fairness=("Enter",))]


def test_an_eventually_property_fails_where_only_unfair_actions_are_enabled():
    # Nothing forces the knock: the behaviour that never knocks is fair and never gets in.
    result = breadth_first(Door(build_config(Door)), ["GetsIn"])
    violation = result.violation("GetsIn")
    assert result.result == "violated" and violation.reason == "liveness"
    assert len(violation.trace) == 0 and violation.trace.loop_start == 0


# -- Z3 --------------------------------------------------------------------------------------


def test_prove_does_not_prove_a_property_whose_premise_never_occurs(capsys):
    # records=0 drops the Produce action: no record is ever acknowledged, and the proof
    # went through (exit 0, PROVED "for every cluster size") while the output said "records:
    # any number: one tracked record r".  Inv over-approximates, so its non-vacuity check
    # (the premise is possible under Inv) did not notice.
    code = main(["prove", "acks-all-safe", "--bound", "records=0",
                 "--bound", "crash_kind=process"])
    out = capsys.readouterr().out
    assert code == 3 and "PROVED" not in out
    assert out.startswith("NOT COVERED: records=0: no record is ever produced")


def test_a_group_liveness_counterexample_never_waits_on_an_election_the_controller_makes():
    # With stuttering allowed, the replicated log's fair list had to name every controller
    # election: it named Elect only, so a lasso "stayed" where only LastLeaderElect (KIP-966)
    # was enabled.  What is left is a broker that never restarts, which no fairness forces:
    # a committed record stays on it, never read (10 steps: the consumer joins and polls,
    # a record is produced, the ISR shrinks to the leader, which acknowledges, crashes and
    # is fenced; which such lasso is shown follows the state fingerprints).
    result = check(model="group-replicated-hw", properties=["AllRecordsProcessed"],
                   bounds={"records": 1})
    trace = result.violation("AllRecordsProcessed").trace
    assert trace.loop_start == len(trace) == 10
    assert [a[0] for a in trace.actions][-3:] == ["BrokerCrash", "Fence", "AutoCommit"]
    last = trace.steps[-1].state
    assert {a[0] for a, _ in result.model.successors(last)} == {"BrokerRestart"}


# -- simulation ------------------------------------------------------------------------------


def test_simulate_refuses_a_state_limit_it_would_not_honour(capsys):
    # The walks ran on past --max-states 5 (272 distinct states) without a word.
    code = main(["simulate", "twophase", "--max-states", "5"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "simulate has no --max-states" in captured.err


# -- what the liveness fix revealed ------------------------------------------------------------


def test_an_acks_all_request_is_answered_after_a_rejected_isr_expand_without_a_restart():
    # Produce r1, B3 fetches, the shrink of B2 commits, an expand of B2 is proposed, B2
    # crashes and is fenced, B3 fetches (the HW waits for the maximal ISR), the expand is
    # rejected (INELIGIBLE_REPLICA): ISR {B1, B3} both hold r1 and the HW stays at 0, as in
    # Kafka (handleAlterPartitionError reverts without maybeIncrementLeaderHW; a caught-up
    # follower's fetch raises it only when its LEO moves).  The old liveness check forced
    # B2's restart; Kafka's DelayedProduce expires after request.timeout.ms
    # (PartitionRules.hw_waits), and the request is answered.
    model = make_model("replication", {"acks": "all", "replication.factor": "3",
                                       "min.insync.replicas": "2"},
                       crashes=1, crash_kind="process", isr_updates="in-flight", records=1)
    result = breadth_first(model, ["ProduceRequestsComplete"])
    assert result.result == "holds" and result.coverage["ProduceTimeout"] > 0


def test_prove_refuses_a_depth_its_inductive_proof_would_ignore(capsys):
    # --depth bounds the bounded check (--brokers N); the inductive proof has no depth, and
    # a --depth given without --brokers was silently ignored.
    assert main(["prove", "acks-all-safe", "--depth", "5"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "give --brokers N too" in captured.err


# -- audit 17: checkpoints, JSON traces, simulation witnesses, worker failures -------------


def test_a_counterexample_of_zero_steps_keeps_its_trace_in_json(capsys):
    # kip101's initial state already breaks LeaderInIsr: the text showed "counterexample of
    # 0 steps" while the JSON said length null with no trace (a 0-step Trace is falsy).
    args = ["check", "kafka-spec", "--bound", "variant=kip101", "--property", "LeaderInIsr"]
    assert main([*args, "--json"]) == 1
    [violation] = json.loads(capsys.readouterr().out)["violations"]
    assert violation["length"] == 0 and len(violation["trace"]) == 1


def test_simulation_finds_a_witness_a_walk_passes_through_not_only_where_it_ends():
    # The seed-0 walk fills both jugs at step 16 and leaves that state at 17: checked only
    # at the end of a 20-step walk, BothFull was "unknown".
    for depth in (16, 20):
        result = simulate(make_model("diehard"), seed=0, walks=1, depth=depth)
        trace = result.witnesses["BothFull"]
        assert len(trace) == 16


def test_a_failing_parallel_worker_is_one_line_exit_70_not_violated(monkeypatch, capsys):
    # A worker's MemoryError or OSError came back as RuntimeError, which main re-raised:
    # a traceback and exit 1, read by CI as "violated".
    from kafkacheck.explorer import parallel

    def broken(*args, **kwargs):
        raise RuntimeError("parallel worker 1 failed: OSError: disk full")

    monkeypatch.setattr(parallel, "parallel_breadth_first", broken)
    assert main(["check", "acks1-loss", "--workers", "2", "--no-diagram"]) == 70
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [next(line for line in err if "internal error: RuntimeError: parallel "
                        "worker 1 failed" in line)]


def test_replay_confirms_only_the_property_it_replays(tmp_path, capsys):
    # A trace relabelled as a LeaderInIsr counterexample ended where NoAckedWriteLost fails,
    # and replay exited 1 "violated" for a LeaderInIsr violation it never reproduced.
    assert main(["check", "replication", "--set", "acks=1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    data["violations"] = [{**data["violations"][0], "property": "LeaderInIsr"}]
    path = tmp_path / "relabelled.json"
    path.write_text(json.dumps(data))
    assert main(["replay", str(path)]) == 3
    assert "LeaderInIsr is not violated at the end of this trace (not reproduced)" in \
        capsys.readouterr().out


def test_an_eventually_verdict_names_the_fairness_it_assumes(capsys):
    # "Under fair scheduling" alone hid which actions were forced (a restart, say).
    argv = ["check", "group", "--bound", "consumers=1", "--property", "AllRecordsProcessed"]
    assert main([*argv, "--no-diagram"]) == 0
    out = capsys.readouterr().out
    assert ("fairness of AllRecordsProcessed: weak fairness of Join, Sync, SyncFailed, Poll, "
            "Process,") in out and "no other action is forced to happen" in out
    assert main([*argv, "--json"]) == 0
    props = {p["name"]: p for p in json.loads(capsys.readouterr().out)["properties"]}
    assert "Restart" not in props["AllRecordsProcessed"]["fairness"]
    assert "Poll" in props["AllRecordsProcessed"]["fairness"]


def test_a_random_walk_names_the_actions_it_never_took_not_never_enabled(capsys):
    # One step of one walk takes Produce; Crash was enabled in the initial state, and no
    # crash happened, so the crash faults were offered, not explored.
    code = main(["simulate", "acks-all-safe", "--seed", "2", "--walks", "1", "--depth", "1"])
    out = capsys.readouterr().out
    assert code == 3 and "action coverage (steps taken): Produce 1" in out
    assert "actions never taken: Ack," in out and "actions never enabled" not in out
    assert ("faults: none; offered but never injected (its actions never fired): broker "
            "process crash (the page cache survives), broker power loss") in out


def test_kip848_liveness_does_not_force_a_crashed_consumer_to_restart(capsys):
    # A restart the budget allows is not forced (as in the classic model): with rejoins=1
    # the lasso may still stop after the crash, so the record is never processed.
    for rejoins in ("0", "1"):
        code = main(["check", "group-consumer", "--set", "auto.offset.reset=earliest",
                     "--bound", "consumers=1", "--bound", "partitions=1", "--bound",
                     "records=1", "--bound", "crashes=1", "--bound", f"rejoins={rejoins}",
                     "--property", "AllRecordsProcessed", "--no-diagram"])
        assert code == 1 and "AllRecordsProcessed violated" in capsys.readouterr().out


def test_with_every_append_fsynced_either_crash_kind_fired_explores_both(capsys):
    # flush.messages=1: a power loss loses nothing a process crash keeps, so a run with
    # crash_kind=power-loss explores both kinds and names neither as never injected.
    for model in ("replication", "producer"):
        main(["check", model, "--set", "flush.messages=1", "--bound", "crashes=1",
              "--bound", "crash_kind=power-loss", "--bound", "records=1", "--no-diagram"])
        faults = next(line for line in capsys.readouterr().out.splitlines()
                      if line.startswith("faults: "))
        assert "broker process crash (the page cache survives) or broker power loss " \
            "(unflushed writes are lost) x1 (one budget" in faults, model
        assert "never injected" not in faults, model


def test_per_broker_fairness_is_not_checked_where_symmetry_renames_the_brokers():
    # A lasso's labels name the brokers of representative states, so "Fetch/B2" would be
    # judged on whichever broker the representative calls B2.
    from kafkacheck.model.cluster.replication import ReplicationModel

    class PerBroker(ReplicationModel):
        def properties(self):
            return [*super().properties(),
                    eventually("EveryAckAnswered", "every produce is answered",
                               lambda s: s.next_record > 0,
                               fairness=("Fetch/B2", "Ack"))]

    for symmetry, verdict in ((1, "not checked"), (0, None)):
        model = PerBroker(build_config(PerBroker, bounds=[
            ("records", "1"), ("partitions", "2"), ("symmetry", str(symmetry))],
            settings=[("replication.factor", "2")]))
        result = breadth_first(model, ["EveryAckAnswered"])
        if verdict:
            assert "EveryAckAnswered" in result.not_checked
            assert "symmetry renames the brokers" in result.not_checked["EveryAckAnswered"]
        else:
            assert "EveryAckAnswered" not in result.not_checked
