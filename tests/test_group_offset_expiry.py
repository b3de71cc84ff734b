"""Committed offsets expire after offsets.retention.minutes, and the consumer that finds
none starts from auto.offset.reset.

From Kafka 2.1 (KIP-211, KAFKA-4682; ClassicGroup.offsetExpirationCondition) a consumer
group's offsets expire only while the group is Empty; before, each offset expired
retention after its own commit, so a live group that committed rarely (commits after
processing on a quiet topic) lost its offsets, and a member that lost its position
(a rebalance) read from auto.offset.reset.
"""

from __future__ import annotations

from verdicts import holds_but_not_checked

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.group import OFFSET_EXPIRY
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest", "enable.auto.commit": "false"}
LIVE = {"consumers": 2, "partitions": 1, "records": 2, "commit": "sync-after-processing"}
EMPTY = {"consumers": 1, "partitions": 1, "records": 2, "commit": "sync-after-processing",
         "closes": 1, "rejoins": 1}


def labels(result, name):
    return [tuple(a) for a in result.violation(name).trace.actions]


def test_before_kip_211_a_live_group_loses_its_offset_and_processes_a_record_again():
    # Kafka 2.0: C1 committed offset 1, a rebalance takes its position, the offset
    # expires while the group is Stable, and earliest reads offset 0 again.
    model = make_model("group", EARLIEST, kafka_version="2.0", offset_expiries=1, **LIVE)
    result = breadth_first(model, ["AtMostOnce", "AtLeastOnce"])
    assert labels(result, "AtMostOnce") == [
        ("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0}"), ("Join", "C2"),
        ("Produce", "p0", "offset 0"), ("Poll", "C1", "p0", "offset 0", "reset earliest"),
        ("Process", "C1", "p0", "offset 0"), ("Commit", "C1", "p0@1"),
        ("Join", "C1", "revoke all"), ("Sync", "C1", "{p0}"), ("ExpireOffsets", "{p0}"),
        ("Poll", "C1", "p0", "offset 0", "reset earliest"), ("Process", "C1", "p0", "offset 0")]
    assert result.verdict(result.properties[1]) == "holds"
    assert (OFFSET_EXPIRY, 1) in model.fault_model().explored
    # Without the expiry the same group processes nothing twice.
    kept = breadth_first(make_model("group", EARLIEST, kafka_version="2.0", **LIVE))
    # (hw_lag=0: ConsumersReadBelowHw cannot fail, not checked; it was HOLDS, audit s21)
    # (and no member dropped while it runs on: CommitsFromCurrentGeneration, s23)
    assert holds_but_not_checked(kept, {"ConsumersReadBelowHw", "CommitsFromCurrentGeneration"})
    assert kept.distinct_states == 197


def test_from_kip_211_a_live_groups_offsets_do_not_expire():
    for version in ("2.1", "4.4"):
        result = breadth_first(make_model("group", EARLIEST, kafka_version=version,
                                          offset_expiries=1, **LIVE))
        assert holds_but_not_checked(result, {"ConsumersReadBelowHw",  # hw_lag=0 (s21)
                                              "CommitsFromCurrentGeneration"})  # (s23)
        # the 197 states of the group without the fault: the expiry is never enabled
        assert result.distinct_states == 197


def test_before_kip_211_auto_commit_keeps_a_live_groups_offsets_fresh():
    # An auto-committing member commits its positions every auto.commit.interval.ms,
    # far below offsets.retention.minutes: only a group with no member loses them.
    result = breadth_first(make_model("group", {"auto.offset.reset": "earliest"},
                                      kafka_version="2.0", consumers=2, records=2,
                                      offset_expiries=1))
    assert holds_but_not_checked(result, {"ConsumersReadBelowHw",  # hw_lag=0 (audit s21)
                                          "CommitsFromCurrentGeneration"})  # (s23)
    assert result.distinct_states == 274


def test_an_empty_groups_offsets_still_expire_and_earliest_processes_again():
    # The group's only consumer closed (committed, Empty) and stayed away longer than
    # offsets.retention.minutes: on its return earliest reads offset 0 again.
    model = make_model("group", EARLIEST, offset_expiries=1, **EMPTY)
    result = breadth_first(model, ["AtMostOnce"])
    assert labels(result, "AtMostOnce")[6:] == [
        ("Commit", "C1", "p0@1"), ("Close", "C1"), ("Restart", "C1"),
        ("ExpireOffsets", "{p0}"), ("Join", "C1"), ("InitialRebalance",),
        ("Sync", "C1", "{p0}"), ("Poll", "C1", "p0", "offset 0", "reset earliest"),
        ("Process", "C1", "p0", "offset 0")]
    kept = breadth_first(make_model("group", EARLIEST, **EMPTY))
    # Without the expiry every safety property holds.  AllRecordsProcessed does not: the
    # rejoins budget allows the closed consumer back but no fairness forces it, so the
    # records may wait forever (the lasso stays after Close).
    assert kept.distinct_states == 94
    assert [v.name for v in kept.violations] == ["AllRecordsProcessed"]
    assert kept.violation("AllRecordsProcessed").trace.loop_start == 6


def test_an_offsets_expiry_is_not_a_commit_for_the_generation_check(capsys):
    # CommitFromCurrentGeneration reads who committed from the action: the coordinator's
    # ExpireOffsets names partitions, not a member, and is not a commit (this run once
    # ended in an internal error).
    from kafkacheck.cli import main

    # (a pause drops a member while it runs on: without one the generation check cannot
    # fail and is not checked, audit s23)
    code = main(["check", "offset-expiry-kip211", "--bound", "processing=in-loop",
                 "--bound", "closes=1", "--bound", "pauses=1", "--property", "AtMostOnce",
                 "--property", "CommitsFromCurrentGeneration", "--no-diagram"])
    out, err = capsys.readouterr()
    assert code == 1 and "internal error" not in err
    assert "[  violated   ] AtMostOnce" in out
    assert "[    holds    ] CommitsFromCurrentGeneration" in out
