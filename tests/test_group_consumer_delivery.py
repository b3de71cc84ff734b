"""Delivery on Kafka 4's consumer protocol (KIP-848): the same poll loop and the same
at-least-once / at-most-once rules as the classic group (`--bound records=N`).

Committing after processing (auto-commit or commitSync) is at least once: a consumer that
crashes after processing and before its commit has the record processed again by the next
owner.  Committing before processing is at most once: a crash between the commit and the
processing loses the record.  The protocol changes who owns a partition, not this.

A consumer that left the group on a poll timeout, or was fenced while processing a batch,
keeps its partitions until its next poll and commits with no member epoch (-1): the
coordinator refuses it while the group has members, and accepts it once the group is empty.
"""

from __future__ import annotations

import pytest
from verdicts import holds_but_not_checked

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.model.clients.group import GroupModel
from kafkacheck.model.clients.group_consumer import STALE, ConsumerProtocolGroupModel
from kafkacheck.model.clients.poll_loop import NO_COMMIT, PollLoop
from kafkacheck.properties.base import always_step
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
MANUAL = {**EARLIEST, "enable.auto.commit": "false"}
DELIVERY = ["AtLeastOnce", "AtMostOnce", "NoSkippedOffsets", "ConsumersReadBelowHw",
            "NoConcurrentProcessing", "ConsumingNeverDeletes", "StaleCommitsRejected",
            "SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"]
ONE_RECORD = {"consumers": 2, "partitions": 1, "records": 1, "crashes": 1}


def check(settings, **bounds):
    model = make_model("group-consumer", settings, **bounds)
    return breadth_first(model, DELIVERY)


def first_step(model, step):
    """The shortest trace to a transition where step(before, action, after) holds."""
    prop = always_step("Witness", "no such step", lambda s, a, t: not step(s, a, t))
    result = breadth_first(model, propset=PropertySet([prop], [], [prop], [], []))
    return result.violation("Witness").trace.actions


ALONE = {"consumers": 1, "partitions": 1, "records": 1, "commit": "sync-after-processing"}


def test_auto_commit_on_the_consumer_protocol_is_at_least_once_not_at_most_once():
    result = check(EARLIEST, **ONE_RECORD)
    assert result.distinct_states == 2288
    assert result.violation("AtLeastOnce") is None
    actions = result.violation("AtMostOnce").trace.actions
    assert len(actions) == 13
    # C1 processes offset 0 and crashes before poll() auto-commits it; the coordinator
    # expires it, C2 gets p0 and starts from the (missing) committed offset again.
    assert [a[0] for a in actions[4:]] == ["Poll", "Process", "Crash", "Expire", "Heartbeat",
                                           "Receive", "Reconcile", "Poll", "Process"]
    assert actions[-1] == ("Process", "C2", "p0", "offset 0")


def test_commit_after_processing_on_the_consumer_protocol_is_at_least_once():
    result = check(MANUAL, commit="sync-after-processing", **ONE_RECORD)
    assert result.distinct_states == 1514
    assert result.violation("AtLeastOnce") is None
    assert len(result.violation("AtMostOnce").trace.actions) == 13


def test_commit_before_processing_on_the_consumer_protocol_is_at_most_once():
    result = check(MANUAL, commit="before-processing", **ONE_RECORD)
    assert result.distinct_states == 1482
    assert result.violation("AtMostOnce") is None
    actions = result.violation("AtLeastOnce").trace.actions
    assert actions[-2:] == [("Commit", "C1", "p0@1"), ("Crash", "C1")]
    assert len(actions) == 7


def test_without_faults_every_record_is_processed_exactly_once_and_the_group_converges():
    model = make_model("group-consumer", EARLIEST, consumers=2, partitions=1, records=2)
    result = breadth_first(model, [*DELIVERY, "AllRecordsProcessed", "GroupConverges"])
    # hw_lag=0: the HW follows each append, ConsumersReadBelowHw cannot fail and is not
    # checked (it was HOLDS before audit s21); everything else holds.
    assert holds_but_not_checked(result, {"ConsumersReadBelowHw"})
    assert result.distinct_states == 2033


@pytest.mark.thorough
def test_a_revocation_commits_before_it_revokes_so_a_rebalance_alone_duplicates_nothing():
    # C2 joins, p1 moves from C1 to C2: auto-commit runs before onPartitionsRevoked
    # (CommitRequestManager.maybeAutoCommitSyncBeforeRevocation), so C2 starts after it.
    model = make_model("group-consumer", EARLIEST, consumers=2, partitions=2, records=2)
    result = breadth_first(model, [*DELIVERY, "AllRecordsProcessed", "GroupConverges"])
    assert holds_but_not_checked(result, {"ConsumersReadBelowHw"})  # hw_lag=0 (audit s21)
    assert result.distinct_states == 30476


def test_delivery_rules_and_properties_are_one_implementation_for_both_protocols():
    for cls in (GroupModel, ConsumerProtocolGroupModel):
        assert issubclass(cls, PollLoop)
        for rule in ("_poll", "_process_or_commit", "_auto_commit", "_committed_positions",
                     "fetch_limit", "store_commit", "_log_actions"):
            assert getattr(cls, rule) is getattr(PollLoop, rule), (cls.name, rule)
    classic = {p.name: p for p in make_model("group", EARLIEST).properties()}
    kip848 = {p.name: p for p in make_model("group-consumer", EARLIEST, records=1)
              .properties()}
    for name in ("AtLeastOnce", "AtMostOnce", "NoSkippedOffsets", "ConsumersReadBelowHw",
                 "NoConcurrentProcessing", "ConsumingNeverDeletes", "AllRecordsProcessed"):
        assert classic[name].statement == kip848[name].statement
        a, b = classic[name], kip848[name]
        code = (a.holds or a.step).__code__
        assert code is (b.holds or b.step).__code__, name


def test_without_records_the_delivery_properties_are_not_claimed():
    names = {p.name for p in make_model("group-consumer", {}).properties()}
    assert not names & {"AtLeastOnce", "AtMostOnce", "AllRecordsProcessed"}


def test_commit_auto_needs_enable_auto_commit_on_the_consumer_protocol_too():
    from kafkacheck.config import UsageError

    with pytest.raises(UsageError, match="commit=auto needs enable.auto.commit=true"):
        make_model("group-consumer", {"enable.auto.commit": "false"}, records=1, commit="auto")


def test_a_consumer_past_max_poll_interval_commits_its_batch_into_the_emptied_group():
    # The leave heartbeat clears the member epoch (AbstractMembershipManager.
    # updateMemberEpoch -> CommitRequestManager.onMemberEpochUpdated(empty)), so commitSync
    # sends epoch -1; ConsumerGroup.validateOffsetCommit accepts epoch -1 into a group with
    # no members ("memberEpoch < 0 && members().isEmpty()"). C1 still holds p0 (STALE).
    model = make_model("group-consumer", MANUAL, poll_timeouts=1, **ALONE)
    actions = breadth_first(model, ["StaleCommitsRejected"]) \
        .violation("StaleCommitsRejected").trace.actions
    assert len(actions) == 8
    assert actions[-3:] == [("Process", "C1", "p0", "offset 0"), ("PollTimeout", "C1"),
                            ("Commit", "C1", "p0@1")]


def test_the_same_commit_is_refused_while_another_member_is_in_the_group():
    model = make_model("group-consumer", MANUAL, consumers=2, partitions=1, records=1,
                       commit="sync-after-processing", poll_timeouts=1)

    def stale_commit_into_a_live_group(s, a, t):
        return (a[0] == "Commit" and s.clients[model.index_of(a[1])].status == STALE
                and any(r.present for r in s.records))

    prop = always_step("NoStaleCommitIntoALiveGroup", "refused", lambda s, a, t:
                       not stale_commit_into_a_live_group(s, a, t))
    result = breadth_first(model, propset=PropertySet([prop], [], [prop], [], []))
    assert result.result == "holds"
    actions = first_step(model, lambda s, a, t: a[0] == "CommitFailed"
                         and s.clients[0].status == STALE)
    assert ("Heartbeat", "C2", "epoch 0", "owns {}") in actions  # C2 is a member
    assert actions[-2:] == [("PollTimeout", "C1"), ("CommitFailed", "C1", "UNKNOWN_MEMBER_ID")]


def test_a_zombie_commit_into_the_emptied_group_moves_the_committed_offset_back():
    # C2 takes p0 from the timed-out C1, commits p0@2 and closes; C1's late commit of its
    # own batch (p0@1) is accepted: the next owner reads offset 1 again.
    model = make_model("group-consumer", MANUAL, consumers=2, partitions=1, records=2,
                       commit="sync-after-processing", poll_timeouts=1, closes=1)
    actions = first_step(model, lambda s, a, t: any(
        before != NO_COMMIT and after < before
        for before, after in zip(s.committed, t.committed, strict=True)))
    assert len(actions) == 16
    assert actions[-3:] == [("Commit", "C2", "p0@2"), ("Close", "C2"), ("Commit", "C1", "p0@1")]


def test_a_member_fenced_while_processing_keeps_its_partitions_until_its_next_poll():
    # transitionToFenced hands onPartitionsLost to the application thread, as a poll
    # timeout does (transitionToStale): C1 still owns p0 while it finishes its batch, and
    # its commit (no member epoch) is accepted, the group being empty; it loses p0 and
    # rejoins at its next poll.
    model = make_model("group-consumer", MANUAL, pauses=1, **ALONE)
    actions = first_step(model, lambda s, a, t: a[0] == "Rejoin")
    assert len(actions) == 13
    assert actions[3:6] == [("Pause", "C1"), ("Expire", "C1"), ("Resume", "C1")]
    assert actions[-4:] == [
        ("Receive", "C1", "UNKNOWN_MEMBER_ID", "partitions lost at the next poll"),
        ("Process", "C1", "p0", "offset 0"), ("Commit", "C1", "p0@1"),
        ("Rejoin", "C1", "lost {p0}")]
    result = breadth_first(model, ["StaleCommitsRejected"])
    assert len(result.violation("StaleCommitsRejected").trace.actions) == 12
