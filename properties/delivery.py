"""Delivery guarantees of a consumer group's poll loop, for both group protocols.

At least once, at most once, no skipped offsets, reads below the high watermark, no two
consumers processing one partition at once, and eventual processing: one implementation,
checked on the classic group model and on the KIP-848 one (``model/clients/poll_loop.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafkacheck.model.clients.group_log import AbstractLog
from kafkacheck.model.clients.poll_loop import HALF, POLLED
from kafkacheck.properties.base import Property, always, always_step, eventually, sometimes

COMMIT_WORDS = {
    "auto": "auto-commit in poll()",
    "sync-after-processing": "commitSync after processing",
    "before-processing": "commitSync before processing",
    "none": "no commits",
}


def in_flight(model: Any, state: Any, p: int) -> int:
    """Record ids of partition p that some consumer holds polled but not yet processed."""
    before = model.commit == "before-processing"
    mask = 0
    for m in model.consumers_of(state):
        ph = m.phase
        if m.batch_partition == p and (ph == POLLED or (ph == HALF and before)):
            mask |= m.batch_records
    return mask


def _holders(model: Any, state: Any) -> list[int]:
    """The partition of each consumer's unprocessed batch."""
    before = model.commit == "before-processing"
    return [m.batch_partition for m in model.consumers_of(state)
            if m.phase == POLLED or (m.phase == HALF and before)]


def hw_follows_appends(model: Any) -> str:
    """Why ConsumersReadBelowHw cannot fail under these bounds ('' when it can): on the
    abstract log with hw_lag=0 every Produce sets the HW to the new log end, so no record is
    ever above it (AbstractLog.successors); names the bounds that make it checkable."""
    log = model.log
    if not isinstance(log, AbstractLog) or log.hw_lag:
        return ""
    fix = "--bound hw_lag=1" + (" or --bound log=replicated" if "log" in model.bound else "")
    return ("hw_lag=0: the high watermark follows each append, so no record is ever above it "
            f"and no poll can pass it; set {fix} to check it")


def never_commits(model: Any) -> str:
    """Why AtLeastOnce cannot fail under these bounds ('' when it can): with commit=none and
    enable.auto.commit off the poll loop commits no offset (no Commit, auto-commit in poll,
    before a revocation or at close), so no committed offset ever passes a record."""
    if model.commit != "none" or model.auto:
        return ""
    return ("commit=none with enable.auto.commit=false: no offset is ever committed, so this "
            "property cannot fail; set --bound commit=sync-after-processing to check it")


def delivery_properties(model: Any, fair: Sequence[str]) -> dict[str, Property]:
    """The poll loop's properties by name; ``fair`` are the weakly fair action families
    under which every record is eventually processed."""
    log = model.log
    parts = range(model.p)

    def at_least_once(s: Any) -> bool:
        for p in parts:
            c = s.committed[p]
            if c > 0:
                owed = log.ids(s.log, p, 0, c)
                if owed & ~(s.processed[p] | s.excused[p] | in_flight(model, s, p)):
                    return False
        return True

    def no_concurrent_processing(s: Any) -> bool:
        held = _holders(model, s)
        return len(held) == len(set(held))

    def poll_target(a: tuple, t: Any) -> tuple[int, int, int] | None:
        """(partition, start, end) of a Poll step (start == end: no records returned)."""
        if a[0] != "Poll":
            return None
        i = model.index_of(a[1])
        m = model.consumers_of(t)[i]
        p = model.part_of(a[2])
        if m.phase == POLLED and m.batch_partition == p:
            return p, m.batch_start, m.batch_end
        return p, m.positions[p], m.positions[p]

    def no_skipped_offsets(s: Any, a: tuple, t: Any) -> bool:
        got = poll_target(a, t)
        if got is None:
            return True
        p, start, _ = got
        lso = t.log_start[p]
        if start <= lso:
            return True
        skipped = log.read(t.log, p, lso, start)
        return not skipped & ~(t.processed[p] | t.excused[p] | in_flight(model, s, p))

    def reads_below_hw(s: Any, a: tuple, t: Any) -> bool:
        got = poll_target(a, t)
        if got is None:
            return True
        p, start, end = got
        if end == start:
            return True  # nothing returned (a position above a new leader's lagging HW)
        view = log.view(s.log, p)
        return view is not None and end <= view[0]

    def all_processed(s: Any) -> bool:
        for p in parts:
            view = log.view(s.log, p)
            if view is None:  # no live leader: the committed records a replica still holds
                owed = log.committed_ids(s.log, p)
            else:
                owed = log.read(s.log, p, s.log_start[p], view[0])
            if owed & ~(s.processed[p] | s.excused[p]):
                return False
        return True

    commit_words = COMMIT_WORDS[model.commit]
    # Without a processed record these hold because nothing happens (auto.offset.reset=none
    # and no committed offset, say): they rest on SomeRecordProcessed.
    rests = {"needs": "SomeRecordProcessed"}
    # auto.offset.reset=latest starts a group with no committed offset at the log end when
    # it first polls a partition: the records before that position are never its to read,
    # also those written after the group formed (PollLoop._poll excuses them).
    unowed = (", except those before the group's first position on their partition "
              "(auto.offset.reset=latest starts at the log end when it first polls)"
              if getattr(model, "reset", None) == "latest" else "")
    # The records the predicate excuses (state.excused), said where they can exist.
    excused = [*(["deleted by retention before anyone processed them"]
                 if getattr(model, "bound", {}).get("retention", 0) else []),
               *(["before the group's first position on their partition (auto.offset.reset="
                  "latest starts at the log end when it first polls)"] if unowed else [])]
    not_owed = f", except records {' or '.join(excused)}" if excused else ""
    props = [
        always(
            "NoConcurrentProcessing",
            "no two consumers process records of the same partition at the same time",
            no_concurrent_processing,
            source="KIP-62 (max.poll.interval.ms); ConsumerCoordinator.onJoinPrepare",
            explanation="a member that left the group (poll timeout: max.poll.interval.ms "
            "exceeded, or a session expiry) goes on processing records while the partition's "
            "new owner polls and processes the same partition",
            **rests,
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
        always(
            "AtLeastOnce",
            f"with {commit_words}, the committed offset passes a record only once it was "
            f"processed (or is being processed){not_owed}",
            at_least_once,
            source="Kafka docs 'Consumer position' (delivery semantics)",
            explanation="the group's committed offset is past a record nobody processed: the "
            "offset was committed before processing and the consumer died, or a reset "
            f"(auto.offset.reset={model.reset}) jumped over records that were still in the log",
            vacuous=never_commits(model),
            **rests,
        ),
        always(
            "AtMostOnce",
            f"with {commit_words}, no record is processed twice",
            lambda s: not s.duplicate,
            source="Kafka docs 'Consumer position' (delivery semantics)",
            explanation="a record was processed twice: its consumer processed it but did not "
            "commit past it before the partition moved (crash, rebalance, poll timeout), so "
            "the next owner read it again from the committed offset",
            **rests,
        ),
        always_step(
            "NoSkippedOffsets",
            "a consumer's fetch position starts where every earlier record still in the log "
            f"has been processed{unowed}",
            no_skipped_offsets,
            source="SubscriptionState positions; auto.offset.reset (ConsumerConfig)",
            explanation="a poll started above a record that is still in the log and was "
            "never processed: the position came from an offset committed before processing, "
            f"or from auto.offset.reset={model.reset} after the committed offset was missing "
            "or out of range",
            **rests,
        ),
        always_step(
            "ConsumersReadBelowHw",
            "a poll returns only records below the partition leader's high watermark",
            reads_below_hw,
            source="Kafka docs 'Replication' (consumers see only committed records); "
            "ReplicaManager.fetchMessages (FetchIsolation.HIGH_WATERMARK)",
            explanation="a consumer received a record above the high watermark: a record "
            "not yet committed, which a leader change can still remove",
            vacuous=hw_follows_appends(model),
        ),
    ]
    if model.max_records > 0:
        props.append(sometimes(
            "SomeRecordProcessed", "a record can be processed", lambda s: any(s.processed),
            explanation="no reachable state has a processed record: the consumers can never "
            "read (auto.offset.reset=none without a committed offset, or no live leader)"))
    props.append(eventually(
        "AllRecordsProcessed",
        "under fair scheduling every record below the high watermark is eventually "
        f"processed (or deleted by retention before anyone could){unowed}",
        all_processed,
        trigger=lambda s: not all_processed(s),
        fairness=tuple(fair),
        source="Kafka docs 'Consumer position' (at-least-once delivery)",
        explanation="some fair behaviour never processes a record that is in the log: "
        "its offset was committed or skipped past without processing, or no consumer is "
        "left to read it",
    ))
    return {prop.name: prop for prop in props}
