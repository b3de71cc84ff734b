"""Audit 12: a verdict's fault line names only faults the run injected, and every fault
Kafka meets that the model leaves out.

``Model.fault_model()`` lists a fault as explored whenever its budget is above 0, whether
or not any reachable state enables the action that injects it.  Each case below is a
complete exploration that used to print HOLDS under "faults: <fault> xN" while the action
that injects <fault> never fired; a run's fault model now names such a fault "offered but
never injected" (FaultModel.injected, from the run's action coverage).  The producer's
retry budget counts as injected when a response re-enqueues a batch (the Retry family)
or, with acks!=0 and retries>=1, when a Disconnect or Timeout fires.  The last tests
are composed models whose fault line drops faults their inner model names.
Every run is a few hundredths of a second.
"""

from __future__ import annotations

import re

import pytest
from reachable import transitions

from kafkacheck.explorer.render import power_loss_warning
from kafkacheck.model.cluster.replication import CONTROLLED_SHUTDOWN, DISK_LOSS
from kafkacheck.model.interface import PROCESS_CRASH
from kafkacheck.testing import check, make_model

# (model, Kafka settings, bounds, properties, fault as the line names it, the action
# families that inject it): each run HOLDS, complete, with the fault listed as explored.
# The group's properties but CommitsFromCurrentGeneration, which cannot fail without a
# member dropped while it runs on (not checked, audit s23: the run would not HOLDS).
GROUP_CHECKED = ("OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "NoConcurrentProcessing",
                 "ConsumingNeverDeletes", "AtLeastOnce", "AtMostOnce", "NoSkippedOffsets",
                 "ConsumersReadBelowHw", "BalancedAssignment", "ExtraConsumersIdle",
                 "SomeRecordProcessed", "AllRecordsProcessed")


NEVER_INJECTED = {
    # replication.factor=1 (the default): no follower to bounce, no other replica to lead
    # (a bounce is ZooKeeper's: 3.9 without process.roles).
    "replication-rf1-quick-follower-restart": (
        "replication", {"replication.factor": 1}, {"crashes": 0, "bounces": 1},
        ("NoAckedWriteLost",), "quick follower restart", ("Bounce",), "3.9"),
    "replication-rf1-leader-move": (
        "replication", {"replication.factor": 1}, {"crashes": 0, "leader_changes": 1},
        ("NoAckedWriteLost",), "leader move", ("MoveLeader",)),
    "producer-rf1-leader-move": (
        "producer", {}, {"lost_responses": 0, "retry_budget": 0, "leader_changes": 1},
        ("NoDuplicates",), "leader move", ("MoveLeader",)),
    # A restart needs a crashed node; an isolation needs a second node to be cut from.
    # (One property each: without a fault, or with one node, the election, fencing and
    # deposed-leader properties cannot fail and are not checked, so the whole run is not
    # HOLDS; tests/test_vacuous_premises_replication.py.)
    "controller-restart-without-a-crash": (
        "controller", {}, {"isolations": 0, "restarts": 1}, ("EpochsOnlyGrow",),
        "node restart", ("Restart",)),
    "controller-one-node-isolation": (
        "controller", {}, {"brokers": 1, "controllers": 1, "isolations": 1},
        ("EpochsOnlyGrow",), "node isolation", ("Isolate",)),
    # The fault is "a broker restarts with an empty log directory": with restarts=0 the
    # node that lost its disk never comes back (a plain crash, listed as not explored).
    "controller-disk-loss-without-a-restart": (
        "controller", {}, {"isolations": 0, "disk_losses": 1}, ("EpochsOnlyGrow",), DISK_LOSS,
        ("Restart",)),
    # Expire fails a batch whose request is lost or delayed: nothing loses or delays one.
    "transactions-expiry-without-a-lost-request": (
        "transactions", {"transactional.id": "app", "isolation.level": "read_committed"},
        {"instances": 1, "expiries": 1}, ("NoAbortedRead",),
        "batch expiry (delivery.timeout.ms)", ("Expire",)),
    # A restart needs a crashed or closed consumer.  (group: hw_lag=1, so that every
    # property can fail and the run HOLDS; at hw_lag=0 ConsumersReadBelowHw is not checked
    # and the run is incomplete, audit s21.)
    "group-restart-without-a-crash": (
        "group", {}, {"rejoins": 1, "hw_lag": 1}, GROUP_CHECKED, "consumer restart",
        ("Restart",)),
    "group-consumer-restart-without-a-crash": (
        "group-consumer", {}, {"rejoins": 1}, (), "consumer restart", ("Restart",)),
    # From Kafka 2.1 (KIP-211) only an Empty group's offsets expire: with no crash or close
    # the group is never Empty (the same holds for the offset-expiry-kip211 preset).
    "group-offset-expiry-of-a-live-group": (
        "group", {}, {"offset_expiries": 1, "hw_lag": 1}, GROUP_CHECKED,
        "committed offsets expire (offsets.retention.minutes)", ("ExpireOffsets",)),
    # records=0 is the group-consumer default: retention has no record to delete.
    "group-consumer-retention-without-records": (
        "group-consumer", {}, {"retention": 1}, (), "retention deletes records",
        ("Retention",)),
}


@pytest.mark.parametrize("case", sorted(NEVER_INJECTED))
def test_a_fault_the_verdict_lists_as_explored_was_injected_at_least_once(case):
    model, settings, bounds, properties, fault, families, *release = NEVER_INJECTED[case]
    result = check(settings, model=model, bounds=bounds, properties=properties,
                   kafka_version=release[0] if release else None)
    assert result.result == "holds" and result.complete
    explored = dict(result.fault_model.explored)
    fired = sum(result.coverage.get(family, 0) for family in families)
    assert fault not in explored or fired > 0, (
        f"HOLDS under '{fault} x{explored.get(fault)}' but {'/'.join(families)} never fired")


# (Kafka settings, bounds): does any batch get a second attempt?  The fault line must say
# "producer retry" was explored exactly when one does.
PRODUCER_RETRY_CASES = {
    # Nothing fails a batch: no lost response, crash or leader move.
    "no-fault": ({}, {"lost_responses": 0}),
    # A lost response times out and the batch is re-enqueued (Timeout).
    "lost-response": ({}, {"lost_responses": 1}),
    # A crashed leader's connection fails its requests (Disconnect).
    "leader-crash": ({"replication.factor": 2}, {"lost_responses": 0, "crashes": 1}),
    # No fault at all: NOT_ENOUGH_REPLICAS while the ISR shrinks (a Retry response).
    "isr-shrink": ({"replication.factor": 2, "min.insync.replicas": 2},
                   {"lost_responses": 0, "records": 1}),
    # retries=0 and acks=0: a failed batch is never sent again.
    "retries-0": ({"retries": 0, "enable.idempotence": "false"}, {"lost_responses": 1}),
    "acks-0": ({"acks": "0"}, {"lost_responses": 1}),
}


@pytest.mark.parametrize("case", sorted(PRODUCER_RETRY_CASES))
def test_a_producer_retry_listed_as_explored_means_some_batch_was_retried(case):
    settings, bounds = PRODUCER_RETRY_CASES[case]
    retried = any(batch.attempts > 0 for _, _, state in
                  transitions(make_model("producer", settings, **bounds))
                  for batch in state.batches)
    result = check(settings, model="producer", bounds=bounds)
    assert result.complete
    faults = result.fault_model
    assert ("producer retry" in dict(faults.explored)) == retried
    assert ("producer retry" in faults.never_injected) == (not retried)


def test_the_retry_cases_show_both_answers():
    # The cases above are not vacuous: some retry, some cannot.
    answers = {case: any(batch.attempts > 0 for _, _, state in
                         transitions(make_model("producer", s, **b)) for batch in state.batches)
               for case, (s, b) in PRODUCER_RETRY_CASES.items()}
    assert answers == {"no-fault": False, "lost-response": True, "leader-crash": True,
                       "isr-shrink": True, "retries-0": False, "acks-0": False}


# -- composed models keep their inner model's fault lines ---------------------------------

def test_the_producer_names_the_replication_faults_it_leaves_unexplored():
    # The embedded replication model lists rolling restarts and disk losses as not
    # explored; the producer keeps only its crash kinds and drops them from the line.
    faults = make_model("producer").fault_model()
    named = {name for name, _ in faults.explored} | set(faults.not_explored)
    assert {CONTROLLED_SHUTDOWN, DISK_LOSS} <= named


def test_streams_names_the_transaction_faults_it_does_not_explore():
    # after_crash=down says "transaction.timeout.ms is not explored"; the transactions
    # model's delayed requests, expiries and timeouts vanish from the Streams fault line.
    # An orphaned transaction (every producer fenced or gone) is still aborted by its
    # timeout, so the line names the timeout of one its producer can still end.
    from kafkacheck.model.clients.transactions import TIMEOUT_OF_LIVE_TRANSACTION

    faults = make_model("streams", after_crash="down").fault_model()
    for fault in (TIMEOUT_OF_LIVE_TRANSACTION, "delayed produce request",
                  "delayed offset commit request", "delayed EndTxn request"):
        assert fault in faults.not_explored


def test_a_connect_sink_names_the_consumer_faults_it_does_not_explore():
    # A sink task is a group consumer: a paused task (GC past session.timeout.ms) is a
    # fault the group model explores and the sink line leaves unnamed.
    faults = make_model("sink").fault_model()
    assert any("paused" in fault for fault in faults.not_explored)


def test_the_classic_group_names_coordinator_failover_as_not_modelled():
    # group-consumer names it (bound failovers); the classic group model cannot express a
    # move of the __consumer_offsets leader and says nothing about it.
    faults = make_model("group").fault_model()
    assert any("coordinator" in fault for fault in faults.not_explored)


# -- the power-loss warning's hint is a command the model accepts -------------------------

@pytest.mark.parametrize("model", ["streams", "source"])
def test_the_power_loss_hint_names_only_bounds_the_model_accepts(model):
    # Streams and Connect source carry the transactions model's crash_kind in model.bound
    # (always "process") without declaring it: the warning says "rerun with --bound
    # crash_kind=any", and that rerun is refused (unknown bound 'crash_kind').
    result = check(model=model, bounds={"crashes": 1}, max_states=1)
    warning = power_loss_warning(result) or ""
    declared = {bound.name for bound in result.model.bounds}
    hinted = set(re.findall(r"--bound (\w+)=", warning))
    assert hinted <= declared, warning


@pytest.mark.parametrize("model, bounds", [
    ("streams-eos-crash", {}), ("source-exactly-once", {}),
    ("group", {"log": "replicated", "broker_crashes": 0, "crashes": 1})])
def test_the_power_loss_warning_claims_broker_crashes_only_when_one_was_explored(model,
                                                                                 bounds):
    # No broker crash in the budget.  The warning's "covers process crashes only (the page
    # cache survives)" comes from the substring "crash" in "Streams instance crash",
    # "source task (worker) crash", "consumer crash": client crashes read as broker ones.
    result = check(model=model, bounds=bounds, max_states=1)
    assert PROCESS_CRASH not in dict(result.fault_model.explored)
    assert "covers process crashes only" not in (power_loss_warning(result) or "")


# -- reports: a holding cell beside a fault that never fired says so ----------------------

def test_a_report_cell_names_an_offered_fault_that_never_fired():
    # KIP-211 (2.1): a live group's committed offsets never expire, so the offset-expiry
    # rows on 2.1+ hold with the expiry offered and never injected.  The cell said only
    # "holds (197 states)"; it now names the fault, also where the row is cited as the
    # change one setting away that prevents the 2.0 violation (here it is the fix itself).
    from kafkacheck.report import _cell_markdown, _prevention, run_row
    from kafkacheck.report_matrices import Matrix, Row

    bounds = {"commit": "sync-after-processing", "consumers": 2, "offset_expiries": 1,
              "records": 2}
    settings = {"auto.offset.reset": "earliest", "enable.auto.commit": "false"}
    old, new = (run_row((Row("group", settings, bounds, version), ("AtMostOnce",), 10_000))
                for version in ("2.0", "2.1"))
    assert old.never_injected == ()
    assert new.never_injected == ("committed offsets expire (offsets.retention.minutes)",)
    matrix = Matrix("m", "t", "", "group", ("AtMostOnce",), (), (), (old.row, new.row))
    assert _cell_markdown(matrix, new, "AtMostOnce") == (
        f"✅ holds ({new.distinct:,} states; never injected: committed offsets expire "
        "(offsets.retention.minutes))")
    assert old.cells["AtMostOnce"].verdict == "violated"
    [line] = _prevention(matrix, [old, new], old, "AtMostOnce")
    assert line.startswith(f"- `--kafka-version=2.1` instead of `2.0`: the property holds "
                           f"({new.distinct:,} states explored; never injected there: "
                           "committed offsets expire (offsets.retention.minutes); `")


@pytest.mark.parametrize("model,crash", [("streams", "InstanceCrash"), ("source", "WorkerCrash")])
def test_an_application_crash_is_not_counted_as_a_broker_crash(model, crash):
    # Coverage counts action names: the application's crash had the brokers' name, Crash,
    # so a walk that crashed only the application claimed a broker crash explored.
    from kafkacheck.explorer.simulate import simulate

    m = make_model(model, crashes=1)
    families = list(m.action_families())
    assert crash in families and len(families) == len(set(families))
    result = simulate(m, seed=1, walks=1, depth=2)  # the application crashes, then rejoins
    assert dict(result.coverage) == {crash: 1, "Rejoin": 1}
    assert PROCESS_CRASH in result.fault_model.never_injected
