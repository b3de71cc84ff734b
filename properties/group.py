"""Consumer-group guarantees: ownership, delivery (at least / at most once), the HW, balance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.clients.group import (
    ASSIGN,
    BE,
    BP,
    BREC,
    BS,
    COMMITTED,
    COMPLETING,
    CONS,
    DOWN,
    DUP,
    EXCUSED,
    GEN,
    GS,
    HALF,
    LOG,
    LSO,
    MEMBERS,
    MGEN,
    MSTABLE,
    NO_GEN,
    OWNED,
    PHASE,
    POLLED,
    POS,
    PROCESSED,
    ST,
    STABLE,
    UNJOINED,
)
from kafkacheck.properties.base import Property, always, always_step, eventually, sometimes

if TYPE_CHECKING:
    from kafkacheck.model.clients.group import GroupModel


def _owners(state: tuple) -> list[tuple[int, int]]:
    """(generation, owned mask) of every consumer that believes it owns partitions."""
    return [(m[MGEN], m[OWNED]) for m in state[CONS]
            if m[ST] != DOWN and m[MGEN] != NO_GEN and m[OWNED]]


def one_owner_per_generation(state: tuple) -> bool:
    """No two consumers claim one partition for the same generation."""
    owners = _owners(state)
    for a in range(len(owners)):
        for b in range(a + 1, len(owners)):
            if owners[a][0] == owners[b][0] and owners[a][1] & owners[b][1]:
                return False
    return True


def no_two_owners(state: tuple) -> bool:
    """No two consumers believe they own one partition at the same time."""
    seen = 0
    for _, owned in _owners(state):
        if seen & owned:
            return False
        seen |= owned
    return True


def _in_flight(model: GroupModel, state: tuple, p: int) -> int:
    """Record ids of partition p that some consumer holds polled but not yet processed."""
    before = model.commit == "before-processing"
    mask = 0
    for m in state[CONS]:
        ph = m[PHASE]
        if m[BP] == p and (ph == POLLED or (ph == HALF and before)):
            mask |= m[BREC]
    return mask


def _holders(model: GroupModel, state: tuple) -> list[int]:
    """The partition of each consumer's unprocessed batch."""
    before = model.commit == "before-processing"
    return [m[BP] for m in state[CONS]
            if m[PHASE] == POLLED or (m[PHASE] == HALF and before)]


def group_properties(model: GroupModel) -> list[Property]:
    """The group model's properties, worded with the settings that decide them."""
    log = model.log
    parts = range(model.p)
    strategy = model.strategy
    protocol = "cooperative" if model.cooperative else "eager"

    def at_least_once(s: tuple) -> bool:
        for p in parts:
            c = s[COMMITTED][p]
            if c > 0:
                owed = log.ids(s[LOG], p, 0, c)
                if owed & ~(s[PROCESSED][p] | s[EXCUSED][p] | _in_flight(model, s, p)):
                    return False
        return True

    def no_concurrent_processing(s: tuple) -> bool:
        held = _holders(model, s)
        return len(held) == len(set(held))

    def commit_from_current_generation(s: tuple, a: tuple, t: tuple) -> bool:
        if s[COMMITTED] == t[COMMITTED]:
            return True
        i = model.index_of(a[1])
        m = s[CONS][i]
        return (s[MEMBERS] >> i & 1 and m[MGEN] == s[GEN] and m[ST] in (MSTABLE, UNJOINED)
                and s[GS] != COMPLETING)

    def poll_target(a: tuple, t: tuple) -> tuple[int, int, int] | None:
        """(partition, start, end) of a Poll step (start == end: no records returned)."""
        if a[0] != "Poll":
            return None
        i = model.index_of(a[1])
        p = int(a[2][1:])
        m = t[CONS][i]
        if m[PHASE] == POLLED and m[BP] == p:
            return p, m[BS], m[BE]
        return p, m[POS][p], m[POS][p]

    def no_skipped_offsets(s: tuple, a: tuple, t: tuple) -> bool:
        got = poll_target(a, t)
        if got is None:
            return True
        p, start, _ = got
        lso = t[LSO][p]
        if start <= lso:
            return True
        skipped = log.read(t[LOG], p, lso, start)
        return not skipped & ~(t[PROCESSED][p] | t[EXCUSED][p] | _in_flight(model, s, p))

    def reads_below_hw(s: tuple, a: tuple, t: tuple) -> bool:
        got = poll_target(a, t)
        if got is None:
            return True
        p, start, end = got
        if end == start:
            return True  # nothing returned (a position above a new leader's lagging HW)
        view = log.view(s[LOG], p)
        return view is not None and end <= view[0]

    def balanced(s: tuple) -> bool:
        assignment = s[ASSIGN]
        if not assignment or s[GS] != STABLE:
            return True
        members = s[MEMBERS]
        sizes = [a.bit_count() for i, a in enumerate(assignment) if members >> i & 1]
        everything = 0
        for i, a in enumerate(assignment):
            if members >> i & 1:
                everything |= a
        if everything != (1 << model.p) - 1:
            return model.cooperative  # cooperative round 1 withholds moving partitions
        return not sizes or max(sizes) - min(sizes) <= 1

    def extra_consumers_idle(s: tuple) -> bool:
        assignment = s[ASSIGN]
        members = s[MEMBERS]
        if not assignment or members.bit_count() <= model.p:
            return True
        return all(a.bit_count() <= 1 for i, a in enumerate(assignment) if members >> i & 1)

    def all_processed(s: tuple) -> bool:
        for p in parts:
            view = log.view(s[LOG], p)
            if view is None:
                return False
            owed = log.read(s[LOG], p, s[LSO][p], view[0])
            if owed & ~(s[PROCESSED][p] | s[EXCUSED][p]):
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
            lambda s, a, t: t[LSO] == s[LSO] or a[0] == "Retention",
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
            lambda s: not s[DUP],
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
        def read_records_stay(s: tuple) -> bool:
            for p in parts:
                if log.view(s[LOG], p) is None:
                    continue  # no live leader: nothing to read from, nothing to compare
                got = s[PROCESSED][p] | _in_flight(model, s, p)
                if got & ~log.leader_ids(s[LOG], p):
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
        props.extend(log.properties(LOG))
    if model.max_records > 0:
        props.append(sometimes(
            "SomeRecordProcessed", "a record can be processed", lambda s: any(s[PROCESSED]),
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

