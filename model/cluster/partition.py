"""One replicated partition as a flat tuple, and the replica-side rules Kafka applies to it.

Shared by the replication, controller and producer models so that each rule (fetch,
high-watermark advance, leader-epoch lookup, truncation) is written once.  A log is a
tuple of entries; an entry packs (leader epoch, record id) into one int.  Brokers are
indexed 0..n-1 and every broker hosts a replica (brokers = replication.factor).
"""

from __future__ import annotations

from collections.abc import Sequence

# Fields of a partition tuple.
LEADER, EPOCH, ISR, LOGS, HWS, SYNCED, REMOTE, DURABLE, PENDING, EXPOSED, ACKED = range(11)
PARTITION_FIELDS = ("leader", "leader_epoch", "isr", "logs", "hws", "synced_epoch",
                    "leader_view_of_leo", "flushed", "pending_acks", "committed", "acked")

NO_LEADER = -1
UNKNOWN = -1  # a follower's LEO as the leader knows it, before its first fetch
RECORD_BITS = 6
RECORD_MASK = (1 << RECORD_BITS) - 1

TRUNCATION_RULES = ("leader-epoch", "kip101", "high-watermark")


def entry(epoch: int, record: int) -> int:
    """Pack (leader epoch, record id) into one log entry."""
    return epoch << RECORD_BITS | record


def entry_epoch(e: int) -> int:
    """The leader epoch an entry was appended in."""
    return e >> RECORD_BITS


def entry_record(e: int) -> int:
    """The record id of an entry."""
    return e & RECORD_MASK


def put(values: tuple, index: int, value: object) -> tuple:
    """A copy of ``values`` with one position replaced."""
    return values[:index] + (value,) + values[index + 1 :]


def initial_partition(brokers: int, leader: int, track_flush: bool) -> tuple:
    """A fresh partition: empty logs, ``leader`` in epoch 0, every replica in the ISR."""
    zeros = (0,) * brokers
    synced = tuple(0 for _ in range(brokers))
    return (leader, 0, (1 << brokers) - 1, ((),) * brokers, zeros, synced,
            (0,) * brokers, zeros if track_flush else (), (), (), 0)


def records_text(mask: int) -> str:
    """A record-id bitmask as {r1, r3}."""
    return "{" + ", ".join(f"r{r}" for r in range(RECORD_MASK + 1) if mask >> r & 1) + "}"


def pending_text(pending: tuple) -> str:
    """Produce requests awaiting acks=all as [r1@0, r2@1] (record @ offset)."""
    return "[" + ", ".join(f"r{r}@{o}" for r, o in pending) + "]"


def members(mask: int, brokers: int) -> list[int]:
    """Broker indexes in a bitmask."""
    return [b for b in range(brokers) if mask >> b & 1]


# -- leader-epoch cache (kafka.server.epoch.LeaderEpochFileCache) -----------------------


def epoch_cache(log: Sequence[int], leader_epoch: int | None) -> list[tuple[int, int]]:
    """(epoch, start offset) pairs of a replica's log; a leader adds its current epoch."""
    cache: list[tuple[int, int]] = []
    last = -1
    for offset, e in enumerate(log):
        epoch = entry_epoch(e)
        if epoch != last:
            cache.append((epoch, offset))
            last = epoch
    if leader_epoch is not None and leader_epoch != last:
        cache.append((leader_epoch, len(log)))
    return cache


def end_offset_for(cache: list[tuple[int, int]], log_end: int,
                   requested: int) -> tuple[int, int]:
    """(epoch, end offset) for a requested epoch: LeaderEpochFileCache.endOffsetFor (KIP-279)."""
    if requested < 0 or not cache:
        return -1, -1
    if cache[-1][0] == requested:
        return requested, log_end
    higher = next((start for epoch, start in cache if epoch > requested), None)
    if higher is None:
        return -1, -1
    floor = [epoch for epoch, _ in cache if epoch <= requested]
    return (floor[-1] if floor else requested), higher


def truncation_offset(rule: str, follower_log: tuple, follower_hw: int, leader_log: tuple,
                      leader_epoch: int) -> int:
    """Where a replica becoming follower truncates its log, under the selected rule.

    high-watermark: to its own HW (Kafka before 0.11; KIP-101 explains the loss);
    kip101: to the leader's end offset for the follower's latest epoch (0.11);
    leader-epoch: KIP-101 with the KIP-279 fix, repeating the epoch lookup when the
    leader answers with an older epoch (2.0+, and what fetch-based truncation computes).
    """
    leo = len(follower_log)
    if rule == "high-watermark":
        return min(follower_hw, leo)
    if not follower_log:
        return 0
    leader_cache = epoch_cache(leader_log, leader_epoch)
    follower_cache = epoch_cache(follower_log, None)
    requested = follower_cache[-1][0]
    if rule == "kip101":
        # 0.11: the leader answers the start offset of the next higher epoch (or its LEO).
        if requested == leader_cache[-1][0]:
            end = len(leader_log)
        elif requested < leader_cache[0][0]:
            end = -1
        else:
            end = next((start for epoch, start in leader_cache if epoch > requested), -1)
        if end < 0:
            return min(follower_hw, leo)
        return min(end, leo)
    for _ in range(len(follower_cache) + 1):
        epoch, end = end_offset_for(leader_cache, len(leader_log), requested)
        if end < 0:
            return min(follower_hw, leo)
        f_epoch, f_end = end_offset_for(follower_cache, leo, epoch)
        if f_epoch == epoch or f_end < 0:
            return min(end, f_end if f_end >= 0 else leo, leo)
        # The follower lacks the leader's epoch: cut to its own end of that epoch, ask again.
        leo = min(leo, f_end)
        follower_cache = epoch_cache(follower_log[:leo], None)
        if not follower_cache:
            return 0
        requested = follower_cache[-1][0]
    return leo


def advanced_hw(part: tuple) -> int:
    """The leader's new HW: min LEO over the ISR as the leader knows it, never lower.

    kafka.cluster.Partition.maybeIncrementLeaderHW (the ISR bound of 'maximal ISR').
    """
    leader = part[LEADER]
    logs = part[LOGS]
    remote = part[REMOTE]
    isr = part[ISR]
    low = len(logs[leader])
    b = 0
    while isr >> b:
        if isr >> b & 1 and b != leader:
            known = remote[b]
            if known < low:
                low = known
        b += 1
    old = part[HWS][leader]
    return low if low > old else old


def with_leader_hw(part: tuple, hw: int) -> tuple:
    """Set the leader's HW and extend the 'committed' ghost prefix consumers could see."""
    leader = part[LEADER]
    if hw == part[HWS][leader]:
        return part
    hws = put(part[HWS], leader, hw)
    exposed = part[EXPOSED]
    if hw > len(exposed):
        exposed = part[LOGS][leader][:hw]
    return part[:HWS] + (hws,) + part[HWS + 1 : EXPOSED] + (exposed, part[ACKED])


def elect(part: tuple, new_leader: int, isr: int) -> tuple:
    """A new leader in a new epoch: remote LEO views reset, pending acks fail, followers resync."""
    n = len(part[LOGS])
    synced = tuple(part[EPOCH] + 1 if b == new_leader else -1 for b in range(n))
    return (new_leader, part[EPOCH] + 1, isr, part[LOGS], part[HWS], synced,
            (UNKNOWN,) * n, part[DURABLE], (), part[EXPOSED], part[ACKED])


def clean_candidate(isr: int, eligible: int, order: Sequence[int]) -> int:
    """First replica in assignment order that is in the ISR and eligible, else NO_LEADER."""
    for b in order:
        if isr >> b & 1 and eligible >> b & 1:
            return b
    return NO_LEADER


def fetch(part: tuple, follower: int, flush_every: int, hw_min_isr: int = 0) -> tuple | None:
    """One follower fetch round: ReplicaManager.fetchMessages then the follower's append.

    The response carries the HW read before the leader records the follower's fetch
    offset, so a follower learns an HW advance one fetch later (the KIP-101 window).
    Returns None when the fetch would change nothing.  ``hw_min_isr`` > 0 is KIP-966's
    strict min ISR: the HW advances only while the ISR has at least that many members.
    """
    leader = part[LEADER]
    logs = part[LOGS]
    leader_log = logs[leader]
    f_log = logs[follower]
    f_leo = len(f_log)
    hws = part[HWS]
    response_hw = hws[leader]
    new_log = f_log + leader_log[f_leo:] if len(leader_log) > f_leo else f_log
    new_hw = min(response_hw, len(new_log))
    if new_log is f_log and new_hw == hws[follower] and part[REMOTE][follower] == f_leo:
        return None
    remote = put(part[REMOTE], follower, f_leo)
    logs = put(logs, follower, new_log)
    # UnifiedLog.updateHighWatermark: the follower takes the leader's HW, capped at its LEO.
    hws = put(hws, follower, new_hw)
    durable = part[DURABLE]
    if durable and len(new_log) - durable[follower] >= flush_every:
        durable = put(durable, follower, len(new_log))
    part = (leader, part[EPOCH], part[ISR], logs, hws, part[SYNCED], remote, durable,
            part[PENDING], part[EXPOSED], part[ACKED])
    if hw_min_isr and part[ISR].bit_count() < hw_min_isr:
        return part
    return with_leader_hw(part, advanced_hw(part))


def truncate_replica(part: tuple, b: int, offset: int) -> tuple:
    """Cut replica ``b``'s log to ``offset`` (its HW and flushed offset follow)."""
    logs = part[LOGS]
    if offset >= len(logs[b]):
        return part
    logs = put(logs, b, logs[b][:offset])
    hws = put(part[HWS], b, min(part[HWS][b], offset))
    durable = part[DURABLE]
    if durable:
        durable = put(durable, b, min(durable[b], offset))
    return part[:LOGS] + (logs, hws) + part[SYNCED:DURABLE] + (durable,) + part[PENDING:]
