"""The producer audit of session 19 (runs/s19/audit_producer.md), findings 1, 2, 4 and 5.

1. Every partition started empty with this producer its only writer, so a follower could
   not lag before the first batch: the no-crash path to a duplicate and a reordering (a
   follower lagging on another client's records leaves the ISR, NOT_ENOUGH_REPLICAS on b0,
   b1 appended under a producer id the broker has no state for, OUT_OF_ORDER_SEQUENCE_NUMBER,
   the KIP-360 epoch bump rewrites b0) was unreachable.  ``foreign_records`` seeds it; at 0
   (the default) the fault line names it as not explored.
2. retry_budget counts the retries of all batches together, not per batch.
4. Before Kafka 2.5 an idempotent producer ran the 2.5 (KIP-360) rules: it is not covered.
5. ProducerBatch.close() clears ``reopened`` on every drain (RecordAccumulator.drain).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from verdicts import holds_but_not_checked

from kafkacheck import cli
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import presets, versions
from kafkacheck.model.clients.producer import FOREIGN, FOREIGN_RECORDS, INFLIGHT, QUEUED
from kafkacheck.model.cluster.partition import entry_record
from kafkacheck.testing import check, make_model

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
ORDER = ["NoDuplicates", "PartitionOrder"]
# The auditor's configuration: no crash, no leader move.
AUDIT = ["check", "producer", "--set", "replication.factor=3", "--set",
         "min.insync.replicas=2", "--bound", "records=2", "--bound", "batch_records=1",
         "--bound", "lost_responses=1", "--bound", "retry_budget=3",
         "--property", "NoDuplicates", "--property", "PartitionOrder"]
NOT_EXPLORED_REST = (
    "batch expiry (delivery.timeout.ms), leader move, producer restart (a new session, a new "
    "producer id), producer state removed at the broker (producer.id.expiration.ms), ")
NOT_EXPLORED_CLUSTER = (
    "broker process crash (the page cache survives), broker power loss (unflushed writes are "
    "lost), controlled shutdown and restart (rolling restart), disk loss (a broker restarts "
    "with an empty log directory), network partition (see the controller model), a log "
    "directory failing under a running broker (JBOD, KIP-858)")


def run(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr().out
    lines = out.splitlines()
    summary = [line for line in lines if line.startswith(("HOLDS", "VIOLATED", "NOT COV"))][-1]
    faults = next(line for line in lines if line.startswith("faults: "))
    steps = re.findall(r"^\s*\d+\. (\w+)\(", out, re.M)
    return code, summary, faults, steps, out


# -- 1. another client's records ---------------------------------------------------------

@pytest.mark.thorough  # 18 s: the two-replica case below shows the same path at once
def test_another_clients_record_duplicates_and_reorders_without_any_broker_crash(capsys):
    code, summary, faults, steps, _out = run([*AUDIT, "--bound", "foreign_records=1"],
                                             capsys)
    assert code == 1
    assert summary.startswith("VIOLATED: NoDuplicates, PartitionOrder (261,409 distinct "
                              "states, 999,307 generated, depth 21, ")
    assert faults == (
        "faults: lost or timed-out produce response x1, producer retry x3, another client's "
        "records not yet replicated x1; not explored: " + NOT_EXPLORED_REST
        + NOT_EXPLORED_CLUSTER)
    # The counterexamples: a follower lagging on the foreign record leaves the ISR, b0 is
    # refused, b1 goes in at sequence 1 under a producer id without state, and the
    # OUT_OF_ORDER_SEQUENCE_NUMBER epoch bump rewrites b0 behind it.  No broker crashes.
    assert not {"Crash", "PowerLoss", "Restart", "MoveLeader", "Elect", "UncleanElect",
                "Fence"} & set(steps)
    assert {"ShrinkIsr", "ExpandIsr", "Reject", "Retry", "Append"} <= set(steps)


@pytest.mark.thorough  # 8 s; the fault line's "not explored" is checked at once below
def test_without_another_clients_record_the_same_configuration_holds_and_says_so(capsys):
    code, summary, faults, _steps, _out = run(AUDIT, capsys)
    assert code == 0
    assert summary.startswith("HOLDS within the bounds (101,503 distinct states, 410,002 "
                              "generated, depth 35, ")
    assert faults == (
        "faults: lost or timed-out produce response x1, producer retry x3; not explored: "
        + NOT_EXPLORED_REST + "another client's records not yet replicated, "
        + NOT_EXPLORED_CLUSTER)


def test_the_no_crash_path_step_by_step_on_two_replicas():
    model = make_model("producer", {"replication.factor": "2", "min.insync.replicas": "2"},
                       records=2, batch_records=1, lost_responses=1, retry_budget=3,
                       foreign_records=1)
    result = breadth_first(model, ORDER)
    assert result.result == "violated" and result.distinct_states == 12_832
    assert [tuple(a) for a in result.violation("PartitionOrder").trace.actions] == [
        ("Send", "r0", "no key", "p0"), ("Send", "r1", "no key", "p0"),
        ("Drain", "p0", "b0 [r0]", "to B1"), ("Drain", "p0", "b1 [r1]", "to B1"),
        ("ShrinkIsr", "B2"), ("Reject", "B1", "b0", "NOT_ENOUGH_REPLICAS"),
        ("ExpandIsr", "B2"), ("Append", "B1", "b1", "offset 1"),
        ("Timeout", "B1", "2 request(s)"),
        ("Drain", "p0", "b0 [r0]", "to B1"),
        ("Reject", "B1", "b0", "OUT_OF_ORDER_SEQUENCE_NUMBER"),
        ("Retry", "B1", "b0", "OUT_OF_ORDER_SEQUENCE_NUMBER"),
        ("Drain", "p0", "b0 [r0]", "to B1"), ("Append", "B1", "b0", "offset 2")]
    # ... and the rewritten b1 (epoch 1, sequence 1) is no duplicate of the b1 written at
    # epoch 0: r1 is in the log twice.
    assert [tuple(a) for a in result.violation("NoDuplicates").trace.actions][-3:] == [
        ("Receive", "B1", "b0", "NONE", "acked"), ("Drain", "p0", "b1 [r1]", "to B1"),
        ("Append", "B1", "b1", "offset 3")]


def test_the_foreign_record_is_on_the_leader_only_and_is_none_of_the_producers():
    model = make_model("producer", {"replication.factor": "3"}, partitions=2,
                       foreign_records=2)
    (state,) = model.init_states()
    assert [b.status for b in state.batches] == [FOREIGN]
    assert state.batches[0].records == ()
    for part in state.repl.parts:
        assert len(part.logs[part.leader]) == 2
        assert [len(log) for b, log in enumerate(part.logs) if b != part.leader] == [0, 0]
        assert set(part.hws) == {0} and part.isr == 0b111
        assert {state.descriptors[entry_record(e)].batch for e in part.logs[part.leader]} == {0}
    view = model.view(state)
    assert view["p0.B1.log"] == view["p1.B2.log"] == (
        "[another client's record]@0 [another client's record]@0")
    assert view["p0.B2.log"] == view["p1.B1.log"] == "empty"
    assert not any(re.fullmatch(r"b\d+", key) for key in view)
    # The producer's own batches are named from b0 as without it.
    _label, nxt = next(iter(model.successors(state)))
    assert "b0" in model.view(nxt)


def test_one_replica_has_no_follower_to_lag_the_record_is_offered_not_explored():
    result = check(model="producer", bounds={"records": 1, "foreign_records": 1})
    # One record cannot be out of order, and no send fails definitely: both not checked
    # (the run was HOLDS before audit s21); one replica has no other to disagree with.
    assert holds_but_not_checked(result, {"PartitionOrder", "DefiniteFailureAbsent",
                                          "ReplicasAgreeBelowHw"},
                                 {"SomeSendFailedDefinitely"})
    assert FOREIGN_RECORDS in result.fault_model.never_injected
    assert FOREIGN_RECORDS not in dict(result.fault_model.explored)


def test_the_default_assumes_an_empty_partition_and_says_where():
    model = make_model("producer")
    assert model.bound["foreign_records"] == 0
    assert FOREIGN_RECORDS in model.fault_model().not_explored
    doc = next(b.doc for b in model.bounds if b.name == "foreign_records")
    assert "0: every partition starts empty with this producer its only writer" in doc
    assert ("each partition starts empty with this producer its only writer unless "
            "`--bound foreign_records=1`") in README


# -- 2. retry_budget counts retries of all batches ---------------------------------------

def test_the_failover_preset_says_two_retries_in_total_not_per_batch():
    failover = presets.PRESETS["producer-idempotent-failover"]
    assert "two retries in total over both batches (retry_budget=2)" in failover.summary
    assert "each batch" not in failover.summary
    assert "two retries in total over both batches (`retry_budget=2`)" in README
    assert "each batch retried at most twice" not in README


# -- 4. idempotence before KIP-360 -------------------------------------------------------

PRE_KIP_360 = [versions.text(v) for v in versions.RELEASES if (0, 11) <= v < (2, 5)]


def test_kip_360_is_a_2_5_fix_with_no_backport():
    assert PRE_KIP_360[0] == "0.11" and PRE_KIP_360[-1] == "2.4"
    assert not versions.has_fix("2.4.1", "KAFKA-8710")
    assert versions.has_fix("2.5", "KAFKA-8710")


@pytest.mark.parametrize("version", PRE_KIP_360)
def test_an_idempotent_producer_before_2_5_is_not_covered(version, capsys):
    code, summary, _faults, _steps, out = run(
        ["check", "producer", "--set", "enable.idempotence=true", "--bound", "records=1",
         "--kafka-version", version], capsys)
    assert code == 3
    assert summary.startswith("NOT COVERED: enable.idempotence=true (value not modelled); "
                              "no verdict until the model covers it")
    assert (f"note: an idempotent producer is not covered on Kafka {version}: the model has "
            "the idempotence rules of 2.5 and later (KIP-360)") in out
    model = make_model("producer", {"enable.idempotence": "true"}, kafka_version=version)
    assert dict(model.config.uncovered) == {"enable.idempotence": True}
    assert not model.idempotent  # it runs the release's default, as the output says


@pytest.mark.thorough  # 4 s; the 0.11-2.4 not-covered tests stay in the default suite
def test_the_audits_2_4_epoch_bump_is_no_longer_a_verdict(capsys):
    code, summary, _faults, _steps, _out = run(
        ["check", "producer-idempotent-epoch-bump", "--kafka-version", "2.4", "--set",
         "enable.idempotence=true"], capsys)
    assert code == 3 and summary.startswith("NOT COVERED: enable.idempotence=true")


def test_from_2_5_and_without_idempotence_before_it_the_producer_is_covered(capsys):
    code = cli.main(["check", "producer", "--set", "enable.idempotence=true", "--bound",
                     "records=1", "--kafka-version", "2.5"])
    out = capsys.readouterr().out
    # Covered (checked under the 2.5 rules); with one record PartitionOrder and
    # DefiniteFailureAbsent cannot fail, so they are not checked: exit 3 (it was HOLDS, exit
    # 0, before audit s21), every other property holds.
    assert code == 3 and "NOT COVERED" not in out and "VIOLATED" not in out
    assert "\nINCOMPLETE: not checked: PartitionOrder (records=1: " in out
    assert "not checked: DefiniteFailureAbsent: vacuous in this run" in out
    assert make_model("producer", {"enable.idempotence": "true"}, kafka_version="2.5").idempotent
    old = make_model("producer", {}, kafka_version="2.4")
    assert not old.idempotent and not old.config.uncovered and old.coverage_note is None


# -- 5. a batch's sequence reset lasts until it is drained again -------------------------

def test_draining_a_rewritten_batch_clears_its_reset():
    model = make_model("producer", {"replication.factor": "2", "min.insync.replicas": "2"},
                       records=2, batch_records=1, lost_responses=1, retry_budget=3,
                       foreign_records=1)
    trace = breadth_first(model, ORDER).violation("PartitionOrder").trace
    rewritten = 0
    for before, after in zip(trace.steps, trace.steps[1:], strict=False):
        if after.action[0] != "Drain":
            continue
        (number,) = [i for i, bt in enumerate(after.state.batches)
                     if bt.status == INFLIGHT and before.state.batches[i].status == QUEUED]
        rewritten += before.state.batches[number].reset
        assert not after.state.batches[number].reset, after.action
    assert rewritten == 1  # b0 after the epoch bump: Kafka's close() clears reopened
