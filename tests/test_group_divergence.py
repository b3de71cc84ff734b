"""The consumer side of log divergence: a consumer that read from a leader whose log is
later cut back (an unclean election makes a replica without those records the leader).

Before Kafka 2.3 the consumer kept its position: past the new leader's end it reset by
auto.offset.reset, below it it went on and skipped the records written in place of the
lost ones.  From 2.3 (KIP-320, KAFKA-7747; SubscriptionState.maybeCompleteValidation) it
validates its position with OffsetsForLeaderEpoch after a leader change and seeks back to
the first offset known to diverge.  What it processed from the lost tail stays processed
in both: ReadRecordsStay fails either way.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

UNCLEAN = {"replication.factor": "2", "min.insync.replicas": "1", "acks": "1",
           "unclean.leader.election.enable": "true", "auto.offset.reset": "earliest"}
ONE = {"consumers": 1, "log": "replicated", "broker_crashes": 1}
SKIP = [("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0}"), ("Produce", "r1"),
        ("ShrinkIsr", "B2"), ("Poll", "C1", "p0", "offset 0", "reset earliest"),
        ("Process", "C1", "p0", "offset 0"), ("BrokerCrash", "B1"), ("Fence", "B1"),
        ("UncleanElect", "B2"), ("Produce", "r2"), ("Produce", "r3")]


def labels(result, name):
    return [tuple(a) for a in result.violation(name).trace.actions]


def test_before_kip_320_a_consumer_skips_the_records_written_in_place_of_the_lost_ones():
    # r1 was read at offset 0 on B1; B2 (empty) is elected uncleanly and r2 takes offset 0:
    # the consumer's position 1 is in range, so it reads r3 and never r2.
    model = make_model("group", UNCLEAN, kafka_version="2.2", records=3, **ONE)
    result = breadth_first(model, ["NoSkippedOffsets"])
    assert labels(result, "NoSkippedOffsets") == [*SKIP, ("Poll", "C1", "p0", "offset 1")]


def test_from_kip_320_the_same_history_polls_again_from_the_divergence_point():
    model = make_model("group", UNCLEAN, kafka_version="2.3", records=3, **ONE)
    state = model.init_states()[0]
    for label in SKIP:
        state = next(t for a, t in model.successors(state) if tuple(a) == label)
    polls = [tuple(a) for a, _ in model.successors(state) if a[0] == "Poll"]
    assert polls == [("Poll", "C1", "p0", "offsets 0-1", "truncation detected, diverged at 0")]


def test_before_kip_320_a_position_past_the_new_end_resets_and_processes_again():
    model = make_model("group", UNCLEAN, kafka_version="2.2", records=2, **ONE)
    result = breadth_first(model, ["AtMostOnce"])
    assert labels(result, "AtMostOnce")[-5:] == [
        ("BrokerCrash", "B1"), ("Fence", "B1"), ("UncleanElect", "B2"),
        ("Poll", "C1", "p0", "offset 0", "out of range, reset earliest"),
        ("Process", "C1", "p0", "offset 0")]


def test_from_kip_320_nothing_is_skipped_or_processed_twice_but_lost_records_stay_read():
    result = breadth_first(make_model("group", UNCLEAN, kafka_version="2.3", records=2, **ONE),
                           ["NoSkippedOffsets", "AtMostOnce", "ReadRecordsStay"])
    assert result.complete and result.distinct_states == 8_254
    # (the selection checks SomeRecordProcessed too: what AtMostOnce rests on)
    assert {p.name: result.verdict(p) for p in result.properties} == {
        "NoSkippedOffsets": "holds", "AtMostOnce": "holds", "ReadRecordsStay": "violated",
        "SomeRecordProcessed": "holds"}
    assert len(labels(result, "ReadRecordsStay")) == 9


@pytest.mark.thorough
def test_from_kip_320_three_records_through_an_unclean_election_skip_nothing():
    result = breadth_first(make_model("group", UNCLEAN, records=3, **ONE),
                           ["NoSkippedOffsets", "AtMostOnce"])
    assert result.result == "holds" and result.distinct_states == 33_794


@pytest.mark.thorough
def test_from_kip_320_a_restarted_consumer_validates_its_committed_offset_too():
    # The committed offset carries the leader epoch of its position (OffsetCommit
    # leaderEpoch): a consumer that crashed and starts from it after the unclean
    # election seeks back to the divergence as well.
    result = breadth_first(make_model("group", UNCLEAN, records=3, crashes=1, rejoins=1,
                                      **ONE), ["NoSkippedOffsets"])
    assert result.result == "holds" and result.distinct_states == 199_689
