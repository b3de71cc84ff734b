"""One replicated partition: its typed state and the rules Kafka applies to it, per release.

Every model that writes or replicates records (replication, controller, producer, the
group's replicated log) holds ``PartitionState`` values and changes them only through a
``PartitionRules`` object, so each rule (append with the min-ISR check, acknowledgement,
fetch, high-watermark advance, ISR changes, elections, truncation, power loss, restart)
is written once.  ``rules_for`` picks the rule set of a Kafka release: the base class
holds the oldest rules modelled (0.10) and each later KIP or fix is a subclass that
overrides the one rule it changed, the way the TLA+ replication spec layers KIP-101,
KIP-279 and KIP-320 with EXTENDS.  Test mutants are subclasses of the same kind.

A log is a tuple of entries; an entry packs (leader epoch, payload) into one int (the
payload is a record id, or a producer batch descriptor).  Brokers are indexed 0..n-1 and
every broker hosts a replica (brokers = replication.factor).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, Final, NamedTuple, Protocol

from kafkacheck.model.cluster.tuples import put
from kafkacheck.model.versions import Version, has_fix
from kafkacheck.model.versions import text as version_text

# Final: a compiled module that reads these inlines them (kafkacheck/compiled.py).
NO_LEADER: Final = -1
UNKNOWN: Final = -1  # a follower's LEO as the leader knows it, before its first fetch
RECORD_BITS = 6
RECORD_MASK = (1 << RECORD_BITS) - 1
NEVER = 1 << 62  # flush.messages larger than any log here: the broker never fsyncs itself

# Broker error codes a produce request can end with (org.apache.kafka.common.protocol.Errors).
NONE: Final = 0
NOT_LEADER: Final = 1
NOT_ENOUGH_REPLICAS: Final = 2
NOT_ENOUGH_AFTER: Final = 3
REQUEST_TIMED_OUT: Final = 4
WAITING: Final = -1  # an acks=all request still in the purgatory

# What the controller answers an AlterPartition request (Errors, ReplicationControlManager).
ALTER_ERRORS = ("NONE", "NOT_CONTROLLER", "FENCED_LEADER_EPOCH", "INVALID_REQUEST",
                "INVALID_UPDATE_VERSION", "INELIGIBLE_REPLICA")

TRUNCATION_RULES = ("leader-epoch", "kip101", "high-watermark")


class PartitionState(NamedTuple):
    """A partition as the cluster holds it: leadership, ISR, every replica's log and HW.

    ``remote`` and ``pending`` are the leader's own bookkeeping (the LEOs it has seen
    followers fetch from, and the acks=all requests in its purgatory); ``committed`` and
    ``acked`` are ghost variables that properties read; ``elr`` and ``last_leader`` are
    the controller's KIP-966 fields (0 and NO_LEADER without Eligible Leader Replicas).
    """

    leader: int
    epoch: int
    isr: int
    logs: tuple[tuple[int, ...], ...]
    hws: tuple[int, ...]
    synced: tuple[int, ...]  # leader epoch each replica last (re)joined in; -1: must truncate
    remote: tuple[int, ...]
    flushed: tuple[int, ...]  # fsync point per replica; () when no power loss can hit it
    pending: tuple[tuple[int, int], ...]  # (request, offset) awaiting acks=all
    committed: tuple[int, ...]  # ghost: the longest prefix ever below a leader's HW
    acked: int  # ghost: records acknowledged to the producer (bitmask)
    elr: int
    last_leader: int


_new = tuple.__new__
_FIELD = {name: i for i, name in enumerate(PartitionState._fields)}


def _set(part: PartitionState, name: str, value: object) -> PartitionState:
    """``part`` with one field replaced (a cheaper ``_replace`` for the hot paths)."""
    i = _FIELD[name]
    return _new(PartitionState, part[:i] + (value,) + part[i + 1:])


def with_pending(part: PartitionState, pending: tuple) -> PartitionState:
    """``part`` with the leader's purgatory replaced."""
    return _set(part, "pending", pending)


class Leadership(Protocol):
    """What a partition change reads: a PartitionState, or the controller's registration."""

    @property
    def leader(self) -> int: ...
    @property
    def isr(self) -> int: ...
    @property
    def elr(self) -> int: ...
    @property
    def last_leader(self) -> int: ...


class Change(NamedTuple):
    """The outcome of a partition change (PartitionChangeBuilder): leadership and replicas."""

    leader: int
    isr: int
    elr: int
    last_leader: int
    how: str  # "" no new leader; "clean", "elr", "last-leader" or "unclean"


def entry(epoch: int, payload: int) -> int:
    """Pack (leader epoch, payload) into one log entry."""
    return epoch << RECORD_BITS | payload


def entry_epoch(e: int) -> int:
    """The leader epoch an entry was appended in."""
    return e >> RECORD_BITS


def entry_record(e: int) -> int:
    """The payload (record id or batch descriptor) of an entry."""
    return e & RECORD_MASK


def first_in(order: Iterable[int], mask: int) -> int:
    """The first broker of ``order`` in ``mask``, else NO_LEADER."""
    for b in order:
        if mask >> b & 1:
            return b
    return NO_LEADER


def log_records(log: Sequence[int]) -> int:
    """The payloads of a log as a bitmask."""
    mask = 0
    for e in log:
        mask |= 1 << (e & RECORD_MASK)
    return mask


# -- display ---------------------------------------------------------------------------


def broker_name(b: int) -> str:
    """Display name of broker index ``b``."""
    return f"B{b + 1}"


def mask_text(mask: int, n: int) -> str:
    """A broker bitmask as {B1, B3}."""
    return "{" + ", ".join(broker_name(b) for b in range(n) if mask >> b & 1) + "}"


def log_text(log: tuple) -> str:
    """A log as [r1@e0, r2@e1] (record id @ leader epoch)."""
    return "[" + ", ".join(f"r{entry_record(e)}@e{entry_epoch(e)}" for e in log) + "]"


def records_text(mask: int) -> str:
    """A record-id bitmask as {r1, r3}."""
    return "{" + ", ".join(f"r{r}" for r in range(RECORD_MASK + 1) if mask >> r & 1) + "}"


def pending_text(pending: tuple) -> str:
    """Produce requests awaiting acks=all as [r1@0, r2@1] (record @ offset)."""
    return "[" + ", ".join(f"r{r}@{o}" for r, o in pending) + "]"


# -- leader-epoch cache (storage LeaderEpochFileCache) ----------------------------------


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


# -- the rules ---------------------------------------------------------------------------


class PartitionRules:
    """The partition rules of Kafka 0.10; each later release overrides the rules it changed.

    One instance serves one configuration: ``replicas`` (replication.factor),
    ``min.insync.replicas``, acks and ``flush.messages`` (the fsync interval; ``track_flush``
    keeps the fsync point when a power loss can cut a log back to it).  Methods take and
    return ``PartitionState`` values; ``rules_class`` picks the subclass of a release.
    """

    since: ClassVar[Version] = (0, 10)
    # A replica becoming follower truncates on its own (to its HW), without asking the
    # leader, so even while the leader is down (before KIP-101).
    truncates_alone: ClassVar[bool] = True

    def __init__(self, replicas: int, min_isr: int, acks: int, flush_every: int,
                 track_flush: bool) -> None:
        self.n = replicas
        self.configured_min_isr = min_isr
        self.min_isr = self.effective_min_isr(min_isr, replicas)
        self.acks = acks
        self.flush_every = flush_every
        self.track_flush = track_flush
        self.everyone = (1 << replicas) - 1

    # -- configuration-derived rules ----------------------------------------------------

    def effective_min_isr(self, min_isr: int, replicas: int) -> int:
        """min.insync.replicas as the broker applies it: as configured (before 3.7)."""
        return min_isr

    # -- the initial partition ------------------------------------------------------------

    def initial(self, leader: int, replicas: int = -1) -> PartitionState:
        """A fresh partition: empty logs, ``leader`` in epoch 0, every replica in the ISR
        (``replicas``: the brokers holding one, as a bitmask; all of them by default)."""
        n = self.n
        zeros = (0,) * n
        isr = self.everyone if replicas < 0 else replicas
        return PartitionState(leader, 0, isr, ((),) * n, zeros, zeros, zeros,
                              zeros if self.track_flush else (), (), (), 0, 0, NO_LEADER)

    # -- produce and acknowledgement (Partition.appendRecordsToLeader, DelayedProduce) -----

    def append_error(self, isr: int) -> int:
        """NOT_ENOUGH_REPLICAS before the append when acks=all meets a small ISR, else NONE."""
        if self.acks == -1 and isr.bit_count() < self.min_isr:
            return NOT_ENOUGH_REPLICAS
        return NONE

    def acknowledged_on_append(self) -> bool:
        """acks=1 answers once the leader appended; acks=0's send succeeds without any answer
        (the application's success is the acknowledgement it relies on)."""
        return self.acks != -1

    def append(self, part: PartitionState, payload: int, maximal: int = -1) -> PartitionState:
        """The leader appends one entry in its epoch, fsyncs if due, and advances the HW
        (over the maximal ISR ``maximal`` while an AlterPartition is in flight)."""
        leader = part.leader
        log = part.logs[leader] + (entry(part.epoch, payload),)
        logs = put(part.logs, leader, log)
        flushed = self._flushed_after_append(part.flushed, leader, len(log))
        part = _new(PartitionState, (leader, part.epoch, part.isr, logs, part.hws, part.synced,
                                     part.remote, flushed, part.pending, part.committed,
                                     part.acked, part.elr, part.last_leader))
        return self.raise_hw(part, maximal)

    def _flushed_after_append(self, flushed: tuple, b: int, leo: int) -> tuple:
        # UnifiedLog.append: flush() once unflushedMessages >= flush.messages.
        if flushed and leo - flushed[b] >= self.flush_every:
            return put(flushed, b, leo)
        return flushed

    def ack_outcome(self, part: PartitionState, offset: int, maximal: int = -1) -> int:
        """Partition.checkEnoughReplicasReachOffset for a request awaiting ``offset``:
        WAITING below the HW, else NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR
        (the maximal ISR while an AlterPartition is in flight) shrank below
        min.insync.replicas meanwhile (the record is written all the same)."""
        if part.hws[part.leader] <= offset:
            return WAITING
        isr = part.isr if maximal < 0 else maximal
        return NONE if isr.bit_count() >= self.min_isr else NOT_ENOUGH_AFTER

    def acknowledge(self, part: PartitionState, record: int) -> PartitionState:
        """Record ``record`` as acknowledged to the producer (the ghost the properties read)."""
        return _set(part, "acked", part.acked | 1 << record)

    # -- high watermark (Partition.maybeIncrementLeaderHW) ----------------------------------

    def hw_may_advance(self, part: PartitionState) -> bool:
        """Whether the leader may move its HW now: always, before 3.7."""
        return True

    def hw_waits(self, part: PartitionState, maximal: int = -1) -> bool:
        """Nothing will move the leader's HW until another event, so a DelayedProduce waiting
        on it expires (REQUEST_TIMED_OUT): the min-ISR rule holds it (hw_may_advance), or it
        lags the ISR's log ends with no AlterPartition in flight (``maximal`` < 0): a rejected
        one reverts to the committed ISR without maybeIncrementLeaderHW
        (Partition.handleAlterPartitionError), and a caught-up follower's fetch raises it only
        when that follower's LEO moves (updateFollowerFetchState)."""
        leader = part.leader
        return not self.hw_may_advance(part) or (
            maximal < 0 and leader != NO_LEADER and self.leader_hw(part) > part.hws[leader])

    def leader_hw(self, part: PartitionState) -> int:
        """The leader's candidate HW: min LEO over the ISR as the leader knows it, never
        lower than now (the ISR bound of the 'maximal ISR')."""
        leader = part.leader
        remote = part.remote
        isr = part.isr
        low = len(part.logs[leader])
        b = 0
        while isr >> b:
            if isr >> b & 1 and b != leader:
                known = remote[b]
                if known < low:
                    low = known
            b += 1
        old = part.hws[leader]
        return low if low > old else old

    def raise_hw(self, part: PartitionState, maximal: int = -1) -> PartitionState:
        """maybeIncrementLeaderHW, extending the 'committed' ghost prefix consumers could see.

        ``maximal`` (when >= 0) is the leader's maximal ISR while an AlterPartition is in
        flight: the HW waits for it, while the min-ISR check reads the committed ISR
        (isUnderMinIsr reads partitionState.isr).
        """
        leader = part.leader
        if leader == NO_LEADER or not self.hw_may_advance(part):
            return part
        hw = self.leader_hw(part if maximal < 0 else _set(part, "isr", maximal))
        if hw == part.hws[leader]:
            return part
        return with_leader_hw(part, hw)

    # -- follower fetch (ReplicaManager.fetchMessages, ReplicaFetcherThread) ----------------

    def fetch(self, part: PartitionState, follower: int,
              maximal: int = -1) -> PartitionState | None:
        """One follower fetch round; None when it would change nothing (``maximal``: as in
        ``raise_hw``).

        The response carries the HW read before the leader records the follower's fetch
        offset, so a follower learns an HW advance one fetch later (the KIP-101 window).
        The follower takes the leader's HW capped at its LEO, even when that is lower
        than its own (UnifiedLog.maybeUpdateHighWatermark: a follower's HW can go back).
        """
        leader, epoch, isr, logs, hws, synced, remote, flushed, pending, committed, acked, \
            elr, last = part
        leader_log = logs[leader]
        f_log = logs[follower]
        f_leo = len(f_log)
        new_hw = hws[leader]
        grows = len(leader_log) > f_leo
        if grows:
            new_log = f_log + leader_log[f_leo:]
            if new_hw > len(new_log):
                new_hw = len(new_log)
        else:
            if new_hw > f_leo:
                new_hw = f_leo
            if new_hw == hws[follower] and remote[follower] == f_leo:
                return None
        after = follower + 1
        if grows:
            logs = logs[:follower] + (new_log,) + logs[after:]
            flushed = self._flushed_after_append(flushed, follower, len(new_log))
        moved = remote[follower] != f_leo
        if moved:
            remote = remote[:follower] + (f_leo,) + remote[after:]
        part = _new(PartitionState, (leader, epoch, isr, logs,
                                     hws[:follower] + (new_hw,) + hws[after:], synced,
                                     remote, flushed, pending, committed, acked, elr, last))
        # Partition.updateFollowerFetchState tries the HW only when the follower's LEO moved.
        return self.raise_hw(part, maximal) if moved else part

    def fetch_one_batch(self, part: PartitionState, follower: int,
                        maximal: int = -1) -> PartitionState | None:
        """A fetch round whose response carries only the next batch, as when the follower's
        missing records exceed replica.fetch.max.bytes (ReplicaFetcherThread's fetchSize;
        the first batch is sent whatever its size, KIP-74); one record is one batch here.  None
        when the follower misses fewer than two entries (the whole response is the same).
        Otherwise as ``fetch``: the leader records the fetch offset, the follower takes the
        leader's HW capped at its new LEO."""
        leader, epoch, isr, logs, hws, synced, remote, flushed, pending, committed, acked, \
            elr, last = part
        leader_log = logs[leader]
        f_log = logs[follower]
        f_leo = len(f_log)
        if len(leader_log) - f_leo < 2:
            return None
        new_log = f_log + (leader_log[f_leo],)
        new_hw = min(hws[leader], len(new_log))
        flushed = self._flushed_after_append(flushed, follower, len(new_log))
        moved = remote[follower] != f_leo
        if moved:
            remote = put(remote, follower, f_leo)
        part = _new(PartitionState, (leader, epoch, isr, put(logs, follower, new_log),
                                     put(hws, follower, new_hw), synced, remote, flushed,
                                     pending, committed, acked, elr, last))
        return self.raise_hw(part, maximal) if moved else part

    def fetch_response_lost(self, part: PartitionState, follower: int,
                            maximal: int = -1) -> PartitionState | None:
        """A fetch the leader processes (it records the fetch offset, and may raise its HW
        or, by its ISR join rule, expand the ISR) whose response never reaches the follower:
        the leader crashed or moved before sending it (ReplicaManager.fetchMessages updates
        the follower's state before the response goes out).  None when the follower misses
        nothing or the leader already knows its fetch offset (nothing changes)."""
        f_leo = len(part.logs[follower])
        if len(part.logs[part.leader]) == f_leo or part.remote[follower] == f_leo:
            return None
        return self.raise_hw(part._replace(remote=put(part.remote, follower, f_leo)), maximal)

    def fetch_accepted(self, leader_epoch: int, follower_epoch: int) -> bool:
        """Whether a leader serves a fetch sent for ``follower_epoch``: any, before KIP-320."""
        return True

    # -- truncation (ReplicaFetcherThread / AbstractFetcherThread) --------------------------

    def truncation_offset(self, part: PartitionState, follower: int) -> int:
        """Where a replica becoming follower truncates: to its own HW (before KIP-101)."""
        return min(part.hws[follower], len(part.logs[follower]))

    def become_follower(self, part: PartitionState, follower: int,
                        leader: int | None = None, epoch: int | None = None
                        ) -> tuple[int, PartitionState]:
        """Truncate by the rule and join the current epoch: (offset, new partition).

        ``leader``/``epoch`` name the leader the follower acts on when that differs from
        the partition's (a broker acting on its own metadata, in the controller model).
        """
        view = part if leader is None else part._replace(leader=leader, epoch=epoch)
        offset = self.truncation_offset(view, follower)
        nxt = self.truncate(part, follower, offset)
        joined = part.epoch if epoch is None else epoch
        return offset, _set(nxt, "synced", put(nxt.synced, follower, joined))

    def truncate(self, part: PartitionState, b: int, offset: int) -> PartitionState:
        """Cut replica ``b``'s log to ``offset``; its HW and fsync point follow."""
        logs = part.logs
        if offset >= len(logs[b]):
            return part
        flushed = part.flushed
        if flushed:
            flushed = put(flushed, b, min(flushed[b], offset))
        return part._replace(logs=put(logs, b, logs[b][:offset]),
                             hws=put(part.hws, b, min(part.hws[b], offset)), flushed=flushed)

    # -- ISR changes (Partition.maybeShrinkIsr / maybeExpandIsr) ----------------------------

    def out_of_sync(self, part: PartitionState, alive: int) -> int:
        """ISR followers the leader drops: down, or behind its LEO (replica.lag.time.max.ms)."""
        leader = part.leader
        leo = len(part.logs[leader])
        remote = part.remote
        out = 0
        for f in range(self.n):
            if f != leader and part.isr >> f & 1 and (not alive >> f & 1 or remote[f] < leo):
                out |= 1 << f
        return out

    def may_join_isr(self, part: PartitionState, f: int) -> bool:
        """isFollowerInSync: the follower's fetched LEO reaches the HW and the leader's epoch
        start.  ``remote`` only holds a LEO fetched by the follower's current incarnation
        (a restart resets it), as the broker-epoch check of isReplicaIsrEligible ensures."""
        leader_log = part.logs[part.leader]
        known = part.remote[f]
        if known < part.hws[part.leader]:
            return False
        start = next((i for i, e in enumerate(leader_log) if entry_epoch(e) == part.epoch),
                     len(leader_log))
        return known >= start

    # -- AlterPartition in flight (KIP-497; AlterPartitionManager, ReplicationControlManager) -

    def maximal_isr(self, isr: int, proposed: int) -> int:
        """The ISR a leader counts while its AlterPartition is in flight (``proposed`` >= 0):
        a member it asked to add counts already, one it asked to remove still counts
        (PendingExpandIsr / PendingShrinkIsr.maximalIsr, KIP-497)."""
        return isr | proposed if proposed >= 0 else isr

    def alter_partition_error(self, reg: Leadership, requester: int, leader_epoch: int,
                              partition_epoch_order: int, new_isr: int, fenced: int,
                              stale: int) -> str:
        """The controller's answer to an AlterPartition request (validateAlterPartitionData),
        before KIP-841: only the leader and partition epochs are checked, not who joins.

        ``partition_epoch_order`` is -1, 0 or 1 as the request's partition epoch is older
        than, equal to or newer than the registration's; ``fenced`` are the fenced (or shut
        down) brokers and ``stale`` the proposed members whose broker epoch in the request
        is no longer their registered one.  The result is one of ALTER_ERRORS.
        """
        if leader_epoch > reg.epoch or partition_epoch_order > 0:
            return "NOT_CONTROLLER"
        if leader_epoch < reg.epoch:
            return "FENCED_LEADER_EPOCH"
        if requester != reg.leader:
            return "INVALID_REQUEST"
        if partition_epoch_order < 0:
            return "INVALID_UPDATE_VERSION"
        return "NONE"

    # -- the controller's partition changes (PartitionChangeBuilder) ------------------------

    def change(self, part: Leadership, target_isr: int, acceptable: int,
               order: Sequence[int], unclean_shutdown: int = 0,
               allow_unclean: bool = False) -> Change:
        """A new ISR and, if the leader is no longer valid, an election (no ELR).

        The leader stays if it is in the target ISR and acceptable; else the first
        acceptable target-ISR replica in assignment order; else (unclean election) the
        first acceptable replica, with the ISR reset to it.  An ISR that would become
        empty keeps its last member (KIP-841).
        """
        leader = part.leader
        if leader != NO_LEADER and target_isr >> leader & 1 and acceptable >> leader & 1:
            return _new(Change, (leader, target_isr or part.isr, 0, NO_LEADER, ""))
        new = first_in(order, target_isr & acceptable)
        if new != NO_LEADER:
            return _new(Change, (new, target_isr, 0, NO_LEADER, "clean"))
        if allow_unclean:
            new = first_in(order, acceptable)
            if new != NO_LEADER:
                return _new(Change, (new, 1 << new, 0, NO_LEADER, "unclean"))
        return _new(Change, (NO_LEADER, target_isr or part.isr, 0, NO_LEADER, ""))

    def apply_change(self, part: PartitionState, ch: Change) -> PartitionState:
        """The partition after a change: a new leader starts a new epoch, else the ISR moves
        (and the leader may advance its HW: a smaller ISR can be all caught up)."""
        if ch.leader != part.leader:
            return self.elect(part, ch)
        if (ch.isr, ch.elr, ch.last_leader) == (part.isr, part.elr, part.last_leader):
            return part
        return self.raise_hw(_new(PartitionState, (
            part.leader, part.epoch, ch.isr, part.logs, part.hws, part.synced, part.remote,
            part.flushed, part.pending, part.committed, part.acked, ch.elr, ch.last_leader)))

    def elect(self, part: PartitionState, ch: Change) -> PartitionState:
        """A new leader (or none) in a new leader epoch: Partition.makeLeader resets the
        followers' states, in-flight acks=all requests fail, followers must truncate."""
        n = self.n
        epoch = part.epoch + 1
        synced = tuple(epoch if b == ch.leader else -1 for b in range(n))
        return PartitionState(ch.leader, epoch, ch.isr, part.logs, part.hws, synced,
                              (UNKNOWN,) * n, part.flushed, (), part.committed, part.acked,
                              ch.elr, ch.last_leader)

    # -- faults: crashes, power loss, restarts ---------------------------------------------

    def crash(self, part: PartitionState, b: int) -> PartitionState:
        """Broker ``b``'s process stops: a leader's purgatory fails (the page cache stays)."""
        if part.leader == b and part.pending:
            return _set(part, "pending", ())
        return part

    def power_loss_keeps(self, part: PartitionState, b: int) -> range:
        """The log lengths a power failure of ``b`` can leave: what was fsynced, and any
        longer prefix the OS had written back (log recovery drops a torn tail)."""
        leo = len(part.logs[b])
        if self.flush_every <= 1:
            return range(leo, leo + 1)
        floor = part.flushed[b] if part.flushed else 0
        return range(floor, leo + 1)

    def restart_hws(self, part: PartitionState, b: int) -> range:
        """The HWs a restarted replica may load from replication-offset-checkpoint, written
        every replica.high.watermark.checkpoint.interval.ms: any value from none written
        yet (0) to its HW at the crash, capped at its LEO (Partition.createLog)."""
        return range(0, min(part.hws[b], len(part.logs[b])) + 1)

    def restart(self, part: PartitionState, b: int, hw: int) -> PartitionState:
        """Broker ``b`` starts again: HW from the checkpoint, it must truncate before fetching,
        and a leader only trusts fetch offsets from this new incarnation (KIP-903 broker
        epochs in Partition.isReplicaIsrEligible)."""
        return _new(PartitionState, (
            part.leader, part.epoch, part.isr, part.logs, put(part.hws, b, hw),
            put(part.synced, b, -1), put(part.remote, b, UNKNOWN), part.flushed, part.pending,
            part.committed, part.acked, part.elr, part.last_leader))


    def lose_disk(self, part: PartitionState, b: int) -> PartitionState:
        """Broker ``b``'s log directory is replaced while it is down: its log, HW checkpoint
        and fsync point are gone (it restarts as an empty replica)."""
        return self.truncate(self.crash(part, b), b, 0)

    def shut_down(self, part: PartitionState, b: int) -> PartitionState:
        """Broker ``b`` stops cleanly (controlled shutdown): its purgatory fails, its logs are
        flushed and its HW checkpoint written (LogManager.shutdown,
        ReplicaManager.shutdown), so a restart finds both exact."""
        part = self.crash(part, b)
        flushed = part.flushed
        if flushed and flushed[b] != len(part.logs[b]):
            part = _set(part, "flushed", put(flushed, b, len(part.logs[b])))
        return part

def with_leader_hw(part: PartitionState, hw: int) -> PartitionState:
    """Set the leader's HW and extend the 'committed' ghost prefix consumers could see."""
    leader = part.leader
    hws = part.hws
    if hw == hws[leader]:
        return part
    committed = part.committed
    if hw > len(committed):
        committed = part.logs[leader][:hw]
    return _new(PartitionState, (leader, part.epoch, part.isr, part.logs, put(hws, leader, hw),
                                 part.synced, part.remote, part.flushed, part.pending,
                                 committed, part.acked, part.elr, part.last_leader))


# -- one override per KIP or fix, oldest first --------------------------------------------


class Kip101Truncation(PartitionRules):
    """KIP-101 (0.11): truncate to the leader's end offset for the follower's latest epoch."""

    since = (0, 11)
    truncates_alone = False

    def truncation_offset(self, part: PartitionState, follower: int) -> int:
        log = part.logs[follower]
        leo = len(log)
        if not log:
            return 0
        leader_log = part.logs[part.leader]
        leader_cache = self.leader_cache(part)
        requested = entry_epoch(log[-1])
        # 0.11: the leader answers the start offset of the next higher epoch (or its LEO);
        # an empty cache answers UNDEFINED.
        if not leader_cache:
            end = -1
        elif requested == leader_cache[-1][0]:
            end = len(leader_log)
        elif requested < leader_cache[0][0]:
            end = -1
        else:
            end = next((start for epoch, start in leader_cache if epoch > requested), -1)
        if end < 0:
            return min(part.hws[follower], leo)
        return min(end, leo)

    def leader_cache(self, part: PartitionState) -> list[tuple[int, int]]:
        """The leader's epoch cache: its log's epochs and its current one (makeLeader
        assigns it, KAFKA-7415)."""
        return epoch_cache(part.logs[part.leader], part.epoch)

    def leader_end_offset(self, cache: list[tuple[int, int]], log_end: int,
                          requested: int) -> tuple[int, int]:
        """The leader's OffsetsForLeaderEpoch answer (LeaderEpochFileCache.endOffsetFor)."""
        return end_offset_for(cache, log_end, requested)


class Kip279Truncation(Kip101Truncation):
    """KIP-279 (2.0): repeat the epoch lookup when the leader answers with an older epoch."""

    since = (2, 0)

    def truncation_offset(self, part: PartitionState, follower: int) -> int:
        log = part.logs[follower]
        leo = len(log)
        if not log:
            return 0
        leader_log = part.logs[part.leader]
        leader_cache = self.leader_cache(part)
        follower_cache = epoch_cache(log, None)
        requested = follower_cache[-1][0]
        for _ in range(len(follower_cache) + 1):
            epoch, end = self.leader_end_offset(leader_cache, len(leader_log), requested)
            if end < 0:
                return min(part.hws[follower], leo)
            f_epoch, f_end = end_offset_for(follower_cache, leo, epoch)
            if f_epoch == epoch or f_end < 0:
                return min(end, f_end if f_end >= 0 else leo, leo)
            # The follower lacks the leader's epoch: cut to its own end of that epoch, ask again.
            leo = min(leo, f_end)
            follower_cache = epoch_cache(log[:leo], None)
            if not follower_cache:
                return 0
            requested = follower_cache[-1][0]
        return leo


class Before7415(Kip101Truncation):
    """0.11 to 2.0.0, before KAFKA-7415 (2.0.1, 2.1): makeLeader did not put the new
    leader epoch in the leader's epoch cache, and endOffsetFor answered UNDEFINED for an
    epoch below the first cached one; on UNDEFINED the follower truncates to its high
    watermark (a follower that led an epoch the new leader never wrote loses records)."""

    def leader_cache(self, part: PartitionState) -> list[tuple[int, int]]:
        return epoch_cache(part.logs[part.leader], None)

    def leader_end_offset(self, cache: list[tuple[int, int]], log_end: int,
                          requested: int) -> tuple[int, int]:
        if cache and requested < cache[0][0]:
            return -1, -1
        return end_offset_for(cache, log_end, requested)


class Before7128IsrJoin(PartitionRules):
    """Before KAFKA-7128 (2.0.1, 2.1): Partition.maybeExpandIsr added a follower once its
    fetch offset reached the leader's HW, without the start of the leader's epoch; a new
    leader's HW lags, so a follower holding only part of the committed records could join
    (it shows with partial fetch responses, ``fetch_one_batch``)."""

    def may_join_isr(self, part: PartitionState, f: int) -> bool:
        return part.remote[f] >= part.hws[part.leader]


class Kip320FetchEpoch(Kip279Truncation):
    """KIP-320 (2.1): fetches carry the leader epoch; a leader in another epoch refuses
    them (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH, Partition.fetchRecords)."""

    since = (2, 1)

    def fetch_accepted(self, leader_epoch: int, follower_epoch: int) -> bool:
        return leader_epoch == follower_epoch


class Kip841IneligibleReplicas(Kip320FetchEpoch):
    """KIP-841 (3.3): the controller refuses an AlterPartition whose new ISR holds a fenced
    or shutting-down broker (INELIGIBLE_REPLICA, ReplicationControlManager
    .ineligibleReplicasForIsr)."""

    since = (3, 3)

    def alter_partition_error(self, reg: Leadership, requester: int, leader_epoch: int,
                              partition_epoch_order: int, new_isr: int, fenced: int,
                              stale: int) -> str:
        error = super().alter_partition_error(reg, requester, leader_epoch,
                                              partition_epoch_order, new_isr, fenced, stale)
        if error == "NONE" and new_isr & fenced:
            return "INELIGIBLE_REPLICA"
        return error


class Kip903BrokerEpochs(Kip841IneligibleReplicas):
    """KIP-903 (3.5): AlterPartition carries each new member's broker epoch from its last
    fetch; the controller refuses a member that re-registered since (a restart, perhaps
    with an empty disk): 'broker epoch mismatch', INELIGIBLE_REPLICA."""

    since = (3, 5)

    def alter_partition_error(self, reg: Leadership, requester: int, leader_epoch: int,
                              partition_epoch_order: int, new_isr: int, fenced: int,
                              stale: int) -> str:
        error = super().alter_partition_error(reg, requester, leader_epoch,
                                              partition_epoch_order, new_isr, fenced, stale)
        if error == "NONE" and new_isr & stale:
            return "INELIGIBLE_REPLICA"
        return error


class StrictMinIsrHw(Kip903BrokerEpochs):
    """KAFKA-15583 (3.7): the HW does not advance while the ISR is below min ISR
    (Partition.maybeIncrementLeaderHW returns early when isUnderMinIsr)."""

    since = (3, 7)

    def hw_may_advance(self, part: PartitionState) -> bool:
        return part.isr.bit_count() >= self.min_isr


class EffectiveMinIsr(StrictMinIsrHw):
    """KAFKA-15583 (3.7): min.insync.replicas above the replica count acts as the replica
    count (Partition.effectiveMinIsr, ReplicationControlManager.getTopicEffectiveMinIsr);
    before, every acks=all produce failed with NOT_ENOUGH_REPLICAS."""

    since = (3, 7)

    def effective_min_isr(self, min_isr: int, replicas: int) -> int:
        return min(min_isr, replicas)


def min_isr_note(rules: PartitionRules, kafka_version: str) -> str | None:
    """What a rule set makes of min.insync.replicas above the replica count, for a model's
    notes (the replication and controller models print it): the replica count from 3.7
    (``EffectiveMinIsr``), before it every acks=all write refused; None when it fits."""
    configured = rules.configured_min_isr
    if configured <= rules.n:
        return None
    head = f"min.insync.replicas={configured} exceeds the {rules.n} replicas: Kafka {kafka_version}"
    if rules.min_isr < configured:
        return f"{head} applies {rules.min_isr} (effective min ISR, KAFKA-15583)"
    return (f"{head} (before {version_text(EffectiveMinIsr.since)}) rejects every acks=all "
            "write with NOT_ENOUGH_REPLICAS")


class EligibleLeaderReplicas(PartitionRules):
    """KIP-966 (feature eligible.leader.replicas.version=1, from 4.0; default on clusters
    formatted by 4.1+): PartitionChangeBuilder with ELR.  Replicas leaving an ISR below
    min ISR become eligible leaders, the ISR may become empty, the election order is ISR,
    then an unfenced ELR member, then the last known leader (KAFKA-19522: if unfenced), and
    a broker that shut down uncleanly leaves every ELR (handleBrokerUncleanShutdown)."""


    def change(self, part: Leadership, target_isr: int, acceptable: int,
               order: Sequence[int], unclean_shutdown: int = 0,
               allow_unclean: bool = False) -> Change:
        # maybePopulateTargetElr
        if target_isr.bit_count() >= self.min_isr:
            elr = 0
        else:
            elr = (part.elr | part.isr) & ~target_isr & ~unclean_shutdown
        candidates = target_isr if target_isr else elr
        leader = part.leader
        how = ""
        if not (leader != NO_LEADER and candidates >> leader & 1 and acceptable >> leader & 1):
            leader = first_in(order, candidates & acceptable)
            if leader != NO_LEADER:
                how = "clean" if target_isr else "elr"
            elif not target_isr and not elr and part.last_leader != NO_LEADER \
                    and self.last_leader_electable(part.last_leader, acceptable):
                leader, how = part.last_leader, "last-leader"
            elif allow_unclean:
                leader = first_in(order, acceptable)
                how = "unclean" if leader != NO_LEADER else ""
        isr = target_isr
        if how == "elr":
            isr, elr = 1 << leader, elr & ~(1 << leader)
        elif how in ("last-leader", "unclean"):
            isr, elr = 1 << leader, 0  # maybeUpdateRecordElr: cleared
        return _new(Change, (leader, isr, elr, self.last_known_leader(part, leader, isr), how))

    def last_known_leader(self, part: Leadership, leader: int, isr: int) -> int:
        """PartitionChangeBuilder.maybeUpdateLastKnownLeader (4.1.1 and 4.2+, PR #20629):
        remembered when the partition loses its leader and none is remembered, dropped
        when a leader is elected, kept otherwise.  The only writer of lastKnownElr while
        useLastKnownLeaderInBalancedRecovery holds (it always does)."""
        if leader != NO_LEADER:
            return NO_LEADER
        if part.leader != NO_LEADER and part.last_leader == NO_LEADER:
            return part.leader
        return part.last_leader


    def last_leader_electable(self, last_leader: int, acceptable: int) -> bool:
        """PartitionChangeBuilder.canElectLastKnownLeader: only if it is an acceptable
        (unfenced) leader (KAFKA-19522, 4.1)."""
        return bool(acceptable >> last_leader & 1)


class ElrBefore20629(EligibleLeaderReplicas):
    """Kafka 4.0.0 to 4.1.0: the last known leader is remembered when the ISR empties
    under a leader, dropped whenever the partition has a leader (before PR #20629)."""

    def last_known_leader(self, part: Leadership, leader: int, isr: int) -> int:
        if leader != NO_LEADER:
            return NO_LEADER
        if not isr and part.isr and part.leader != NO_LEADER:
            return part.leader
        return part.last_leader


class ElrBefore19522(EligibleLeaderReplicas):
    """Kafka 4.0: canElectLastKnownLeader logged a fenced last known leader and elected
    it anyway (before KAFKA-19522)."""

    def last_leader_electable(self, last_leader: int, acceptable: int) -> bool:
        return True


class ZooKeeperIsrChecks(PartitionRules):
    """ZooKeeper mode (3.5 to 3.9): KIP-903's broker-epoch check is KRaft's only
    (Partition.isReplicaIsrEligible compares broker epochs against a KRaftMetadataCache; a
    ZkMetadataCache asks only whether the broker is alive, and KafkaController
    .processAlterPartition checks no new member's epoch): a replica restarted since, an
    empty disk perhaps, may join the ISR as before 3.5."""

    def alter_partition_error(self, reg: Leadership, requester: int, leader_epoch: int,
                              partition_epoch_order: int, new_isr: int, fenced: int,
                              stale: int) -> str:
        return super().alter_partition_error(reg, requester, leader_epoch,
                                             partition_epoch_order, new_isr, fenced, 0)


_VERSIONED: tuple[type[PartitionRules], ...] = (
    PartitionRules, Kip101Truncation, Kip279Truncation, Kip320FetchEpoch,
    Kip841IneligibleReplicas, Kip903BrokerEpochs, StrictMinIsrHw, EffectiveMinIsr,
)
_TRUNCATION = {"high-watermark": PartitionRules, "kip101": Kip101Truncation,
               "leader-epoch": Kip279Truncation}
_CACHE: dict[tuple, type[PartitionRules]] = {}


def rules_class(version: Version, elr: bool = False, truncation: str | None = None,
                mixins: tuple[type, ...] = (), release: str | None = None,
                zookeeper: bool = False) -> type[PartitionRules]:
    """The rule set of Kafka ``version``: the newest override released by then, with ELR
    if the feature is on, an explicit truncation rule, and test mixins on top; ``release``
    (3.0.1, say) names the patch release, for fixes backported to it; ``zookeeper`` a
    ZooKeeper-mode cluster (before 4.0), which lacks KIP-903's check."""
    key = (version, elr, truncation, mixins, release, zookeeper)
    cls = _CACHE.get(key)
    if cls is not None:
        return cls
    base = PartitionRules
    for candidate in _VERSIONED:
        if candidate.since <= version:
            base = candidate
    bases: list[type] = list(mixins)
    if truncation is not None:
        trunc = _TRUNCATION[truncation]

        class Truncation(PartitionRules):
            truncation_offset = trunc.truncation_offset  # type: ignore[assignment]
            truncates_alone = trunc.truncates_alone

        bases.append(Truncation)
    elif version >= (0, 11) and not has_fix(release or version_text(version), "KAFKA-7415"):
        bases.append(Before7415)
    if not has_fix(release or version_text(version), "KAFKA-7128"):
        bases.append(Before7128IsrJoin)
    if elr:
        named = release or version_text(version)
        bases += [before for before, fix in ((ElrBefore19522, "KAFKA-19522"),
                                             (ElrBefore20629, "PR #20629"))
                  if not has_fix(named, fix)]
        bases.append(EligibleLeaderReplicas)
    if zookeeper and version >= Kip903BrokerEpochs.since:
        bases.append(ZooKeeperIsrChecks)
    if bases:
        cls = type(f"{base.__name__}With", (*bases, base), {})
    else:
        cls = base
    _CACHE[key] = cls
    return cls


def truncation_name(cls: type[PartitionRules]) -> str:
    """high-watermark, kip101 or leader-epoch: the truncation rule a rule set uses."""
    method = cls.truncation_offset
    for name, owner in _TRUNCATION.items():
        if method is owner.__dict__.get("truncation_offset"):
            return name
    return "custom"
