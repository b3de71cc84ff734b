"""Kafka Connect sink tasks (issue 20): a record put twice after a task crash and the
rebalance that follows, which an append duplicates and an upsert keyed by
topic-partition-offset does not."""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model


def names(trace):
    return [a[0] for a in trace.actions]


def test_an_appending_sink_writes_a_record_twice_after_a_crash_and_rebalance():
    """kafkacheck check sink --bound records=1 --property SinkNoDuplicates"""
    result = breadth_first(make_model("sink", records=1), ["SinkNoDuplicates"])
    found = result.violation("SinkNoDuplicates")
    # C1 puts offset 0, crashes before the offset commit; its session expires, the group
    # rebalances and C2 puts offset 0 again.
    assert names(found.trace) == ["Join", "InitialRebalance", "Sync", "Join", "Produce", "Poll",
                                  "Put", "Crash", "Expire", "Sync", "Poll", "Put"]
    assert found.trace.actions[-1][1] == "C2"
    assert result.distinct_states == 333


def test_an_upserting_sink_has_no_duplicate_though_records_are_put_twice():
    result = breadth_first(make_model("sink", records=1, write="upsert"))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 337
    # The redelivery did happen (SomeRedelivery reached): the upsert absorbed it.
    assert result.coverage["Put"] > 0


def test_an_upserting_sink_with_two_records_loses_and_duplicates_nothing():
    result = breadth_first(make_model("sink", records=2, write="upsert"))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 716


BAD = {"records": 2, "bad_records": 1, "write": "upsert"}


def test_errors_tolerance_all_without_a_dead_letter_queue_loses_the_bad_record():
    """kafkacheck check sink --set errors.tolerance=all --bound bad_records=1"""
    result = breadth_first(make_model("sink", {"errors.tolerance": "all"}, **BAD),
                           ["SinkNoLoss"])
    found = result.violation("SinkNoLoss")
    # The bad record at offset 0 is skipped by put() and its offset committed.
    assert names(found.trace) == ["Join", "InitialRebalance", "Sync", "Produce", "Poll", "Put",
                                  "Commit"]


def test_errors_tolerance_all_with_a_dead_letter_queue_keeps_every_record_without_a_crash():
    # With a task crash the dead-letter send nobody waits for can be lost
    # (test_streams_connect_audit.py).
    model = make_model("sink", {"errors.tolerance": "all",
                                "errors.deadletterqueue.topic.name": "dlq"}, **BAD, crashes=0)
    result = breadth_first(model, ["SinkNoLoss", "SinkNoDuplicates"])
    # Without a crash no record is put twice: SinkNoDuplicates rests on SomeRedelivery and
    # is not checked (session 22; it was a vacuous HOLDS).
    assert result.result == "never reached" and result.complete
    assert {p.name: result.verdict(p) for p in result.properties} == {
        "SinkNoLoss": "holds", "SinkNoDuplicates": "not checked",
        "SomeRedelivery": "never reached"}
    assert result.distinct_states == 276
    assert result.coverage["DlqAcked"] > 0
    assert not model.config.uncovered


def test_errors_tolerance_none_stops_the_task_at_the_bad_record_and_loses_nothing():
    result = breadth_first(make_model("sink", {}, **BAD), ["SinkNoLoss", "SinkNoDuplicates"])
    # The task stops at the bad record, so no record is ever put twice: SinkNoDuplicates
    # is not checked (session 22; it was a vacuous HOLDS).
    assert result.result == "never reached" and result.complete
    assert {p.name: result.verdict(p) for p in result.properties} == {
        "SinkNoLoss": "holds", "SinkNoDuplicates": "not checked",
        "SomeRedelivery": "never reached"}
    assert result.distinct_states == 396
