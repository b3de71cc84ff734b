"""What the replication model proves and refutes, per Kafka version.

Each Kafka version difference is one override of one partition rule
(``model/cluster/partition.py``); the tests named ``..._from_X`` check both sides of it:
the rule before the change violates a guarantee (shortest counterexample), the rule after
holds on the same bounds.
"""

from __future__ import annotations

import pytest
from mutants import MUTANTS, load, make_mutant
from reachable import transitions

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.trace import replay
from kafkacheck.model.cluster.partition import PartitionState
from kafkacheck.model.cluster.replication import POWER_LOSS, PROCESS_CRASH, ReplicationState
from kafkacheck.testing import make_model

# The registry is filled by importing tests/mutants/replication.py: load it here, so a test
# that reads MUTANTS runs alone too (pytest -k, one parametrized case).
load("replication")

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3",
        "unclean.leader.election.enable": "false"}
RF2 = {"acks": "all", "min.insync.replicas": "1", "replication.factor": "2",
       "unclean.leader.election.enable": "false"}
DATA_LOSS = ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw"]


def names(trace):
    return [a[0] for a in trace.actions]


def test_acks_1_loses_an_acknowledged_write_when_the_leader_dies_before_replication():
    model = make_model("replication", {"acks": "1", "replication.factor": "3"})
    result = breadth_first(model, ["NoAckedWriteLost"])
    assert names(result.violation("NoAckedWriteLost").trace) == ["Produce", "Crash", "Fence"]


def test_acks_0_counts_the_send_itself_as_the_acknowledgement():
    # The application's send succeeds with no broker answer: losing that record on a
    # leader crash is a lost acknowledged write (issue 12), found in two steps: the leader
    # crashes before it reads the request (session 29; appended first, it takes three).
    model = make_model("replication", {"acks": "0", "replication.factor": "3"})
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert names(trace) == ["Crash", "Fence"]
    assert trace.actions[0] == ("Crash", "B1", "before reading r1")
    assert "send succeeded" in model.properties()[0].statement


def test_acks_0_loses_a_request_that_never_reached_the_leader():
    model = make_model("replication", {"acks": "0", "replication.factor": "3"}, lost_acks=1,
                       crashes=0)
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert [str(a) for a in trace.actions] == [str(("ProduceRequestLost", "r1"))]


def test_acks_all_with_min_isr_2_keeps_acknowledged_writes_through_a_crash_or_power_loss():
    # Kafka 4.4 defaults: Eligible Leader Replicas on, both crash kinds explored.
    model = make_model("replication", SAFE, records=2, crashes=1)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 57_909
    assert model.fault_model().explored == ((PROCESS_CRASH, 1), (POWER_LOSS, 1))


def test_a_process_crash_only_check_says_power_loss_was_not_explored():
    model = make_model("replication", SAFE, crash_kind="process")
    assert POWER_LOSS in model.fault_model().not_explored
    assert any("power loss" in note and "NOT" in note for note in model.notes())


def test_min_isr_1_with_unclean_election_loses_acknowledged_writes():
    settings = {**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"}
    result = breadth_first(make_model("replication", settings, crash_kind="process"),
                           ["NoAckedWriteLost"])
    trace = result.violation("NoAckedWriteLost").trace
    assert names(trace) == ["Produce", "ShrinkIsr", "ShrinkIsr", "Ack", "Crash", "Fence",
                            "UncleanElect"]


# -- one test per version difference: before violates, after holds ---------------------


def test_truncation_to_the_high_watermark_loses_acknowledged_writes_until_kip_101_in_0_11():
    # KIP-101 scenario 1: a follower restarts, truncates to its stale HW, then leads.
    bounds = {"records": 1, "crashes": 1, "bounces": 1, "crash_kind": "process"}
    before = breadth_first(make_model("replication", RF2, kafka_version="0.10", **bounds),
                           DATA_LOSS)
    assert names(before.violation("NoAckedWriteLost").trace) == [
        "Produce", "Fetch", "Fetch", "Ack", "Crash", "Bounce", "BecomeFollower", "Fence"]
    after = breadth_first(make_model("replication", RF2, kafka_version="0.11", **bounds),
                          DATA_LOSS)
    # 538 before lost fetch responses were explored (session 31)
    assert after.result == "holds" and after.distinct_states == 544


def test_kip_101_alone_lets_replicas_diverge_until_kip_279_in_2_0():
    # Three records: before KAFKA-7415 a new leader's epoch enters its cache only with its
    # first append, so the divergence needs the new leader to write in its epoch.
    bounds = {"records": 3, "crashes": 1, "leader_changes": 1, "crash_kind": "process"}
    before = breadth_first(make_model("replication", RF2, kafka_version="0.11", **bounds),
                           DATA_LOSS)
    assert names(before.violation("ReplicasAgreeBelowHw").trace) == [
        "Produce", "MoveLeader", "Produce", "Crash", "Fence", "Produce", "Restart",
        "BecomeFollower", "Fetch"]
    after = breadth_first(make_model("replication", RF2, kafka_version="2.0", **bounds),
                          DATA_LOSS)
    # 2.0 also lacks KAFKA-7128: one-batch and lost fetch responses are explored (25,847
    # with fetch=whole).
    assert after.result == "holds" and after.distinct_states == 26_550


@pytest.mark.parametrize("release,lost", [("0.11", True), ("2.0", True), ("2.0.1", False),
                                          ("2.1", False)])
def test_before_kafka_7415_two_quick_leader_moves_lose_an_acknowledged_write(release, lost):
    # makeLeader left the new epoch out of the leader's cache: the old leader, asking for
    # the epoch it led, got UNDEFINED and truncated to its high watermark, in the ISR.
    bounds = {"records": 2, "crashes": 1, "leader_changes": 2, "crash_kind": "process"}
    result = breadth_first(make_model("replication", RF2, kafka_version=release, **bounds),
                           ["NoAckedWriteLost"])
    assert (result.violation("NoAckedWriteLost") is not None) is lost
    if lost:
        assert names(result.violation("NoAckedWriteLost").trace) == [
            "Produce", "Fetch", "Fetch", "Ack", "MoveLeader", "Produce", "MoveLeader",
            "BecomeFollower", "Crash", "Fence"]


def test_an_explicit_truncation_override_is_labelled_and_takes_precedence():
    model = make_model("replication", RF2, kafka_version="3.9", truncation="high-watermark",
                       records=1, crashes=1, bounces=1, crash_kind="process")
    assert model.rule == "high-watermark"
    assert any("not the rule of Kafka 3.9" in note for note in model.notes())
    assert breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost")


def _hw_rises_below_min_isr(model):
    for state, _action, nxt in transitions(model):
        for before, after in zip(state.parts, nxt.parts, strict=True):
            leader = after.leader
            if (leader == before.leader and leader >= 0
                    and after.isr.bit_count() < model.min_isr
                    and after.hws[leader] > before.hws[leader]):
                return True
    return False


@pytest.mark.parametrize("version,rises", [("3.6", True), ("3.7", False), ("4.4", False)])
def test_the_high_watermark_stops_below_min_isr_from_3_7_kafka_15583(version, rises):
    # Partition.maybeIncrementLeaderHW returns early when isUnderMinIsr (KAFKA-15583, 3.7):
    # unconditionally, not only with Eligible Leader Replicas.
    settings = {"acks": "1", "replication.factor": "2", "min.insync.replicas": "2",
                "eligible.leader.replicas.version": "0"}
    model = make_model("replication", settings, kafka_version=version, records=2, crashes=0)
    assert _hw_rises_below_min_isr(model) is rises


def test_eligible_leader_replicas_need_the_strict_high_watermark():
    # ELR elects a replica that left the ISR below min ISR; without KAFKA-15583 the HW
    # could have moved past what it holds, and a committed record is lost.
    settings = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
    loose = breadth_first(make_mutant("replication", "loose-hw", settings,
                                      crash_kind="power-loss"), ["CommittedRecordsStay"])
    assert names(loose.violation("CommittedRecordsStay").trace) == [
        "Produce", "ShrinkIsr", "PowerLoss", "Fence"]
    strict = breadth_first(make_model("replication", settings, crash_kind="power-loss"),
                           DATA_LOSS)
    assert strict.result == "holds"


def test_min_insync_replicas_above_the_replicas_blocks_every_write_before_3_7():
    # Before 3.7 appendRecordsToLeader compares the ISR with min.insync.replicas as set;
    # from 3.7 Partition.effectiveMinIsr caps it at the replica count (KAFKA-15583).
    settings = {"acks": "all", "min.insync.replicas": "3", "replication.factor": "2"}
    old = make_model("replication", settings, kafka_version="3.6", crash_kind="process")
    assert old.min_isr == 3
    assert breadth_first(old, ["SomeRecordCommitted"]).violation(
        "SomeRecordCommitted").reason == "never-reached"
    new = make_model("replication", settings, kafka_version="3.7", crash_kind="process")
    assert new.min_isr == 2 and any("effective min ISR" in n for n in new.notes())
    assert breadth_first(new, ["SomeRecordCommitted", "NoAckedWriteLost"]).result == "holds"


def test_power_loss_of_the_last_isr_member_loses_writes_until_elr_in_4_1():
    # KIP-966 "last replica standing": RF=2, min ISR 2, the follower leaves the ISR, the
    # leader loses power.  4.0 has ELR off by default, 4.1 formats clusters with it on.
    settings = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
    before = make_model("replication", settings, kafka_version="4.0", crash_kind="power-loss")
    trace = breadth_first(before, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert names(trace) == ["Produce", "Fetch", "Produce", "Fetch", "Ack", "ShrinkIsr",
                            "PowerLoss", "Fence", "Restart", "Elect"]
    after = make_model("replication", settings, kafka_version="4.1", crash_kind="power-loss")
    assert after.elr
    result = breadth_first(after)
    assert result.result == "holds" and result.distinct_states == 1_731


def test_the_last_known_leader_is_elected_when_isr_and_elr_are_empty_kip_966():
    # min ISR 1: the ISR shrinks to the leader alone, which loses power; with ELR the ISR
    # empties, the restart's unclean shutdown clears the ELR, and the last known leader
    # (PartitionChangeBuilder.canElectLastKnownLeader) comes back without the record.
    model = make_model("replication", {"acks": "all", "replication.factor": "3"},
                       crash_kind="power-loss")
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert names(trace) == ["Produce", "ShrinkIsr", "ShrinkIsr", "Ack", "PowerLoss", "Fence",
                            "Restart", "LastLeaderElect"]


def test_the_explanation_credits_elr_with_one_power_failure_not_two():
    # Audit s21 finding 3: on 4.4 (ELR on) a crash and a power loss lose a write (each
    # restart after an unclean shutdown leaves the ELR, handleBrokerUncleanShutdown), so the
    # explanation may not say ELR prevents the loss against power failures in general.
    model = make_model("replication", SAFE, crashes=2)
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert model.elr and names(trace) == ["Produce", "Fetch", "Fetch", "ShrinkIsr", "Ack",
                                          "Crash", "Fence", "PowerLoss", "Fence", "Restart",
                                          "Restart"]
    text = next(p for p in model.properties() if p.name == "NoAckedWriteLost").explanation
    assert ("against power failures it also takes flush.messages=1, or against one broker's "
            "power failure Eligible Leader Replicas") in text
    assert "so two such failures can empty it" in text


def test_eligible_leader_replicas_do_not_exist_before_4_0():
    with pytest.raises(UsageError, match="KIP-966 arrived in 4.0"):
        make_model("replication", {"eligible.leader.replicas.version": "1"},
                   kafka_version="3.9")


@pytest.mark.parametrize("version,unclean,acks", [("0.10", True, 1), ("0.11", False, 1),
                                                  ("2.8", False, 1), ("3.0", False, -1)])
def test_defaults_follow_the_kafka_version(version, unclean, acks):
    model = make_model("replication", {}, kafka_version=version)
    assert model.unclean is unclean and model.acks == acks
    assert model.config.kafka_version == version


# -- fidelity of restarts -----------------------------------------------------------------


def test_a_restarted_follower_rejoins_the_isr_only_after_fetching_again_kip_903():
    # Partition.isReplicaIsrEligible checks the broker epoch of the follower's last fetch:
    # state recorded before a power loss does not count.  With it counted (the mutant),
    # a replica whose log was emptied rejoins the ISR, leads, and the write is lost.
    settings = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2",
                "eligible.leader.replicas.version": "1"}
    bounds = {"crash_kind": "power-loss", "leader_changes": 1, "records": 1}
    stale = breadth_first(make_mutant("replication", "stale-fetch-state", settings, **bounds),
                          ["NoAckedWriteLost"])
    assert names(stale.violation("NoAckedWriteLost").trace) == [
        "Produce", "Fetch", "Fetch", "ShrinkIsr", "Ack", "PowerLoss", "Fence", "Restart",
        "ExpandIsr", "MoveLeader"]
    model = make_model("replication", settings, **bounds)
    result = breadth_first(model, ["NoAckedWriteLost"])
    assert result.result == "holds" and result.distinct_states == 28_308
    for _state, action, nxt in transitions(model):
        if action[0] == "ExpandIsr":
            part = nxt.parts[0]
            joined = int(action[1][1:]) - 1
            assert len(part.logs[joined]) >= part.hws[part.leader]


def test_a_restart_reloads_a_possibly_stale_high_watermark_checkpoint():
    # Partition.createLog loads replication-offset-checkpoint, written every 5 s: a
    # restarted replica may come back with any HW from 0 to the one it had.
    model = make_model("replication", RF2, records=1, crash_kind="process")
    trace = replay(model, [("Produce", "r1"), ("Fetch", "B2"), ("Fetch", "B2"),
                           ("Fetch", "B2"), ("Crash", "B2"), ("Fence", "B2"),
                           ("Restart", "B2", "hw 0 from checkpoint")])
    assert trace.steps[-2].state.parts[0].hws == (1, 1)
    assert trace.steps[-1].state.parts[0].hws == (1, 0)
    assert [a for a, _ in model.successors(trace.steps[-2].state) if a[0] == "Restart"] == [
        ("Restart", "B2", "hw 0 from checkpoint"), ("Restart", "B2")]


def test_a_follower_high_watermark_can_move_backwards():
    # UnifiedLog.maybeUpdateHighWatermark sets a follower's HW to the leader's, capped at
    # its LEO, even when lower: a new leader that learnt less of the HW pulls it back.
    model = make_model("replication", {**RF2, "replication.factor": "3"}, records=1,
                       crashes=1, crash_kind="process")
    assert any(action[0] == "Fetch" and any(
        a < b for a, b in zip(nxt.parts[0].hws, state.parts[0].hws, strict=True))
        for state, action, nxt in transitions(model))


def test_every_state_is_typed_and_made_of_ints_and_tuples():
    model = make_model("replication", {**SAFE, "eligible.leader.replicas.version": "1"},
                       crashes=2, leader_changes=1, lost_acks=1, records=1)
    for count, (_state, _action, nxt) in enumerate(transitions(model)):
        assert type(nxt) is ReplicationState
        assert all(type(part) is PartitionState for part in nxt.parts)
        if count > 5_000:
            break
    model = make_model("replication", SAFE, kafka_version="3.9", crashes=2, bounces=1,
                       leader_changes=1, lost_acks=1, records=1)
    for count, (_state, _action, nxt) in enumerate(transitions(model)):
        assert type(nxt) is ReplicationState
        assert all(type(part) is PartitionState for part in nxt.parts)
        if count > 5_000:
            break


# -- every property can fail ---------------------------------------------------------------

MUTANT_CHECKS = [
    ("hw-ignores-isr", "NoAckedWriteLost", {"crash_kind": "process"}),
    # Without ELR the last ISR member stays in an offline partition's ISR (KIP-841).
    ("elect-outside-isr", "LeaderInIsr", {"crash_kind": "process", "elr": "0"}),
    ("hw-kept-on-truncation", "HwWithinLeo", {"crash_kind": "power-loss"}),
    ("skip-truncation", "ReplicasAgreeBelowHw", {"crash_kind": "process",
                                                 "leader_changes": 1}),
]


@pytest.mark.parametrize("name,prop,bounds", MUTANT_CHECKS, ids=[m[0] for m in MUTANT_CHECKS])
def test_each_replication_invariant_catches_its_mutant(name, prop, bounds):
    assert prop in MUTANTS[("replication", name)].breaks
    settings = {**SAFE, "eligible.leader.replicas.version": bounds.pop("elr", "1")}
    mutant = make_mutant("replication", name, settings, crashes=1, **bounds)
    assert breadth_first(mutant, [prop], max_seconds=60).violation(prop) is not None


@pytest.mark.parametrize("name,prop,reason", [
    ("never-commit", "SomeRecordCommitted", "never-reached"),
    ("never-commit", "ProduceRequestsComplete", "liveness"),
    ("no-election", "LeaderFailsOver", "never-reached"),
])
def test_reachability_and_liveness_properties_fail_on_their_mutant(name, prop, reason):
    mutant = make_mutant("replication", name, SAFE, crashes=1, crash_kind="process")
    violation = breadth_first(mutant, [prop]).violation(prop)
    assert violation is not None and violation.reason == reason


def test_every_replication_property_is_broken_by_a_mutant_or_a_setting():
    load("replication")
    broken = {prop for (model, _), m in MUTANTS.items() if model == "replication"
              for prop in m.breaks}
    model = make_model("replication", SAFE)
    assert {p.name for p in model.properties()} <= broken


def test_flushing_every_message_prevents_the_power_loss_scenario():
    settings = {"acks": "all", "replication.factor": "3", "flush.messages": "1"}
    model = make_model("replication", settings, crash_kind="power-loss")
    assert breadth_first(model, ["NoAckedWriteLost"]).result == "holds"


def test_flush_messages_n_fsyncs_as_soon_as_n_messages_are_unflushed():
    # UnifiedLog.append flushes once unflushedMessages >= flush.messages: with one broker
    # and acks=1, flush.messages=1 makes every acknowledged record survive a power loss,
    # flush.messages=2 loses the first record if the power goes before the second.
    single = {"acks": "1", "replication.factor": "1"}
    every = breadth_first(make_model("replication", {**single, "flush.messages": "1"},
                                     crash_kind="power-loss"), ["NoAckedWriteLost"])
    assert every.result == "holds" and every.complete and every.distinct_states == 24
    pairs = breadth_first(make_model("replication", {**single, "flush.messages": "2"},
                                     crash_kind="power-loss"), ["NoAckedWriteLost"])
    assert [tuple(a) for a in pairs.violation("NoAckedWriteLost").trace.actions] == [
        ("Produce", "r1"), ("PowerLoss", "B1", "log kept to 0"), ("Fence", "B1"),
        ("Restart", "B1"), ("LastLeaderElect", "B1")]
    # ... but once the second record is appended both are on disk: a power loss then
    # keeps the whole log (no "log kept to" cut is offered).
    model = make_model("replication", {**single, "flush.messages": "2"},
                       crash_kind="power-loss")
    state = model.init_states()[0]
    for label in (("Produce", "r1"), ("Produce", "r2")):
        state = next(t for a, t in model.successors(state) if tuple(a) == label)
    assert [tuple(a) for a, _ in model.successors(state)] == [("PowerLoss", "B1")]


def test_with_a_strict_high_watermark_requests_time_out_while_the_isr_is_too_small():
    settings = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
    result = breadth_first(make_model("replication", settings, crash_kind="process"))
    assert result.result == "holds" and result.coverage["ProduceTimeout"] > 0
