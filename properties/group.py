"""Consumer-group guarantees: ownership, delivery (at least / at most once), the HW, balance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.clients.group import (
    COMPLETING,
    DOWN,
    HALF,
    MSTABLE,
    NO_GEN,
    POLLED,
    STABLE,
    UNJOINED,
    GroupState,
)
from kafkacheck.properties.base import Property, always, always_step, eventually, sometimes

if TYPE_CHECKING:
    from kafkacheck.model.clients.group import GroupModel


def _owners(state: GroupState) -> list[tuple[int, int]]:
    """(generation, owned mask) of every consumer that believes it owns partitions."""
    return [(m.generation, m.owned) for m in state.consumers
            if m.status != DOWN and m.generation != NO_GEN and m.owned]


def one_owner_per_generation(state: GroupState) -> bool:
    """No two consumers claim one partition for the same generation."""
    owners = _owners(state)
    for a in range(len(owners)):
        for b in range(a + 1, len(owners)):
            if owners[a][0] == owners[b][0] and owners[a][1] & owners[b][1]:
                return False
    return True


def no_two_owners(state: GroupState) -> bool:
    """No two consumers believe they own one partition at the same time."""
    seen = 0
    for _, owned in _owners(state):
        if seen & owned:
            return False
        seen |= owned
    return True


def _in_flight(model: GroupModel, state: GroupState, p: int) -> int:
    """Record ids of partition p that some consumer holds polled but not yet processed."""
    before = model.commit == "before-processing"
    mask = 0
    for m in state.consumers:
        ph = m.phase
        if m.batch_partition == p and (ph == POLLED or (ph == HALF and before)):
            mask |= m.batch_records
    return mask


def _holders(model: GroupModel, state: GroupState) -> list[int]:
    """The partition of each consumer's unprocessed batch."""
    before = model.commit == "before-processing"
    return [m.batch_partition for m in state.consumers
            if m.phase == POLLED or (m.phase == HALF and before)]


def group_properties(model: GroupModel) -> list[Property]:
    """The group model's properties, worded with the settings that decide them."""
    log = model.log
    parts = range(model.p)
    strategy = model.strategy
    protocol = "cooperative" if model.cooperative else "eager"

    def at_least_once(s: GroupState) -> bool:
        for p in parts:
            c = s.committed[p]
            if c > 0:
                owed = log.ids(s.log, p, 0, c)
                if owed & ~(s.processed[p] | s.excused[p] | _in_flight(model, s, p)):
                    return False
        return True

    def no_concurrent_processing(s: GroupState) -> bool:
        held = _holders(model, s)
        return len(held) == len(set(held))

    def commit_from_current_generation(s: GroupState, a: tuple, t: GroupState) -> bool:
        if s.committed == t.committed:
            return True
        i = model.index_of(a[1])
        m = s.consumers[i]
        return (s.members >> i & 1 and m.generation == s.generation
                and m.status in (MSTABLE, UNJOINED) and s.group_state != COMPLETING)

    def poll_target(a: tuple, t: GroupState) -> tuple[int, int, int] | None:
        """(partition, start, end) of a Poll step (start == end: no records returned)."""
        if a[0] != "Poll":
            return None
        i = model.index_of(a[1])
        p = int(a[2][1:])
        m = t.consumers[i]
        if m.phase == POLLED and m.batch_partition == p:
            return p, m.batch_start, m.batch_end
        return p, m.positions[p], m.positions[p]

    def no_skipped_offsets(s: GroupState, a: tuple, t: GroupState) -> bool:
        got = poll_target(a, t)
        if got is None:
            return True
        p, start, _ = got
        lso = t.log_start[p]
        if start <= lso:
            return True
        skipped = log.read(t.log, p, lso, start)
        return not skipped & ~(t.processed[p] | t.excused[p] | _in_flight(model, s, p))

    def reads_below_hw(s: GroupState, a: tuple, t: GroupState) -> bool:
        got = poll_target(a, t)
        if got is None:
            return True
        p, start, end = got
        if end == start:
            return True  # nothing returned (a position above a new leader's lagging HW)
        view = log.view(s.log, p)
        return view is not None and end <= view[0]

    def balanced(s: GroupState) -> bool:
        assignment = s.assignment
        if not assignment or s.group_state != STABLE:
            return True
        members = s.members
        sizes = [a.bit_count() for i, a in enumerate(assignment) if members >> i & 1]
        everything = 0
        for i, a in enumerate(assignment):
            if members >> i & 1:
                everything |= a
        if everything != (1 << model.p) - 1:
            return model.cooperative  # cooperative round 1 withholds moving partitions
        return not sizes or max(sizes) - min(sizes) <= 1

    def extra_consumers_idle(s: GroupState) -> bool:
        assignment = s.assignment
        members = s.members
        if not assignment or members.bit_count() <= model.p:
            return True
        return all(a.bit_count() <= 1 for i, a in enumerate(assignment) if members >> i & 1)

    def all_processed(s: GroupState) -> bool:
        for p in parts:
            view = log.view(s.log, p)
            if view is None:
                return False
            owed = log.read(s.log, p, s.log_start[p], view[0])
            if owed & ~(s.processed[p] | s.excused[p]):
                return False
        return True

    commit_words = {
        "auto": "auto-commit in poll()",
        "sync-after-processing": "commitSync after processing",
        "before-processing": "commitSync before processing",
        "none": "no commits",
    }[model.commit]
    props = [
        always(
            "OneOwnerPerGeneration",
            "no two consumers own the same partition in the same generation",
            one_owner_per_generation,
            source="ConsumerPartitionAssignor contract; ClassicGroup generations",
            explanation="two members of one generation both hold a partition: the "
            "assignment handed a partition to a new owner before the old owner revoked it",
        ),
        always(
            "NoTwoOwnersAtOnce",
            f"no partition is owned by two consumers at the same time ({protocol} protocol, "
            f"{strategy})",
            no_two_owners,
            source="KIP-429 (cooperative: a partition moves only after its owner revoked it)",
            explanation="two consumers believe they own one partition: a member removed by "
            "the coordinator (session expired while it was paused) still holds its "
            "partitions until its next heartbeat or commit fails, or an assignor gave away a "
            "partition that is still owned",
        ),
        always(
            "NoConcurrentProcessing",
            "no two consumers process records of the same partition at the same time",
            no_concurrent_processing,
            source="KIP-62 (max.poll.interval.ms); ConsumerCoordinator.onJoinPrepare",
            explanation="a member that left the group (poll timeout: max.poll.interval.ms "
            "exceeded, or a session expiry) goes on processing records while the partition's "
            "new owner polls and processes the same partition",
        ),
        always_step(
            "ConsumingNeverDeletes",
            "the log start offset moves only by retention, never because records were read, "
            "processed or committed",
            lambda s, a, t: t.log_start == s.log_start or a[0] == "Retention",
            source="Kafka docs 'Design: The Consumer' (the log is retained regardless of "
            "consumption); UnifiedLog.deleteOldSegments",
            explanation="records disappeared from the log because a consumer committed past "
            "them: a queue's behaviour, not Kafka's",
        ),
        always_step(
            "CommitsFromCurrentGeneration",
            "an offset commit is accepted only from a current member of the current generation",
            commit_from_current_generation,
            source="ClassicGroup.validateOffsetCommit (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION)",
            explanation="a commit from a consumer that is no longer in the group (a zombie) "
            "or from an old generation was accepted, overwriting the new owner's offsets",
        ),
        always(
            "AtLeastOnce",
            f"with {commit_words}, the committed offset passes a record only once it was "
            "processed (or is being processed)",
            at_least_once,
            source="Kafka docs 'Consumer position' (delivery semantics)",
            explanation="the group's committed offset is past a record nobody processed: the "
            "offset was committed before processing and the consumer died, or a reset "
            f"(auto.offset.reset={model.reset}) jumped over records that were still in the log",
        ),
        always(
            "AtMostOnce",
            f"with {commit_words}, no record is processed twice",
            lambda s: not s.duplicate,
            source="Kafka docs 'Consumer position' (delivery semantics)",
            explanation="a record was processed twice: its consumer processed it but did not "
            "commit past it before the partition moved (crash, rebalance, poll timeout), so "
            "the next owner read it again from the committed offset",
        ),
        always_step(
            "NoSkippedOffsets",
            "a consumer's fetch position starts where every earlier record still in the log "
            "has been processed",
            no_skipped_offsets,
            source="SubscriptionState positions; auto.offset.reset (ConsumerConfig)",
            explanation="a poll started above a record that is still in the log and was "
            "never processed: the position came from an offset committed before processing, "
            f"or from auto.offset.reset={model.reset} after the committed offset was missing "
            "or out of range",
        ),
        always_step(
            "ConsumersReadBelowHw",
            "a poll returns only records below the partition leader's high watermark",
            reads_below_hw,
            source="Kafka docs 'Replication' (consumers see only committed records); "
            "ReplicaManager.fetchMessages (FetchIsolation.HIGH_WATERMARK)",
            explanation="a consumer received a record above the high watermark: a record "
            "not yet committed, which a leader change can still remove",
        ),
        always(
            "BalancedAssignment",
            f"a {strategy} assignment with equal subscriptions hands out every partition and "
            "member sizes differ by at most one",
            balanced,
            source=f"{strategy} assignor (RangeAssignor / RoundRobinAssignor / "
            "AbstractStickyAssignor balance)",
            explanation="an assignment left partitions out or gave one member two more "
            "partitions than another",
        ),
        always(
            "ExtraConsumersIdle",
            "with more members than partitions no member gets more than one partition, so the "
            "extra members get nothing",
            extra_consumers_idle,
            source="Kafka docs 'Consumers' (each partition goes to one member of the group)",
            explanation="with more members than partitions a member got several partitions "
            "while others had none",
        ),
    ]
    if model.replicated:
        def read_records_stay(s: GroupState) -> bool:
            for p in parts:
                if log.view(s.log, p) is None:
                    continue  # no live leader: nothing to read from, nothing to compare
                got = s.processed[p] | _in_flight(model, s, p)
                if got & ~log.leader_ids(s.log, p):
                    return False
            return True

        props.append(always(
            "ReadRecordsStay",
            "every record a consumer read stays in its partition's log (at every later leader)",
            read_records_stay,
            source="Kafka docs 'Replication': committed messages are not lost; consumers read "
            "up to the high watermark",
            explanation="a consumer read a record that is gone from the partition: it was read "
            "above the high watermark and a broker crash and leader change truncated it, or "
            "an unclean election made a replica without it the leader",
        ))
        props.extend(model.log_properties())
    if model.max_records > 0:
        props.append(sometimes(
            "SomeRecordProcessed", "a record can be processed", lambda s: any(s.processed),
            explanation="no reachable state has a processed record: the consumers can never "
            "read (auto.offset.reset=none without a committed offset, or no live leader)"))
    fair = ("Join", "Sync", "SyncFailed", "Poll", "Process", "Commit", "CommitFailed",
            "AutoCommit", "Expire", "HeartbeatFailed", "InitialRebalance",
            "RebalanceTimeout", *log.fair())
    props.append(eventually(
        "AllRecordsProcessed",
        "under fair scheduling every record below the high watermark is eventually "
        "processed (or deleted by retention before anyone could)",
        all_processed,
        trigger=lambda s: not all_processed(s),
        fairness=fair,
        source="Kafka docs 'Consumer position' (at-least-once delivery)",
        explanation="some fair behaviour never processes a record that is in the log: "
        "its offset was committed or skipped past without processing, or no consumer is "
        "left to read it",
    ))
    return props

