"""A partition's transactional state: producer state, markers, last stable offset, reads.

The partition component stores opaque payloads; this module says what a payload means
in a partition that takes transactional writes (a data batch of one record, or a
COMMIT/ABORT control marker) and adds the storage rules Kafka applies to them, as one
rule set mixed into the partition rules (``TransactionalPartition``):

* producer state rebuilt from the log (ProducerStateManager, ProducerStateEntry),
* the checks of a client append (ProducerAppendInfo.checkProducerEpoch / checkSequence,
  findDuplicateBatch) and of a marker append (appendEndTxnMarker),
* the last stable offset (UnifiedLog.lastStableOffset: first unstable offset, capped
  by the high watermark) and the aborted-transaction index (TxnIndex),
* what a consumer fetch returns per ``isolation.level`` (read_uncommitted up to the HW;
  read_committed up to the LSO with aborted transactions filtered, FetchIsolation).

Producer state is a function of a replica's log here, as Kafka rebuilds it from the log
(snapshots plus replay) after truncation or restart.  Payload layouts are built per
configuration (``Codec``) and must fit the component's payload width.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple

from kafkacheck.model.cluster.partition import RECORD_MASK, Change, PartitionState

NO_EPOCH = -1
NO_OFFSET = -1
NO_PRODUCER_ID = -1  # RecordBatch.NO_PRODUCER_ID: a producer without idempotence
BATCHES_TO_RETAIN = 5  # ProducerStateEntry.NUM_BATCHES_TO_RETAIN

# What one log entry holds.
DATA, MARKER = 0, 1

# Outcome of a client append on the leader (org.apache.kafka.common.protocol.Errors names).
APPEND, DUPLICATE, INVALID_EPOCH, OUT_OF_ORDER = range(4)
APPEND_NAMES = ("APPEND", "DUPLICATE", "INVALID_PRODUCER_EPOCH", "OUT_OF_ORDER_SEQUENCE_NUMBER")

ISOLATION_LEVELS = ("read_uncommitted", "read_committed")


class Entry(NamedTuple):
    """One log entry of a transactional partition: a one-record batch or a control marker.

    ``rec`` is the record the batch carries (a model-wide record id; for the offsets
    topic, the committed offset); ``commit`` is the marker's type (COMMIT or ABORT).
    ``transactional`` is false for an idempotent producer's plain batch.
    """

    kind: int
    pid: int
    epoch: int
    seq: int
    rec: int
    commit: bool
    transactional: bool


def data(pid: int, epoch: int, seq: int, rec: int, transactional: bool = True) -> Entry:
    """A data batch of one record."""
    return Entry(DATA, pid, epoch, seq, rec, False, transactional)


def marker(pid: int, epoch: int, commit: bool) -> Entry:
    """A COMMIT or ABORT control batch (EndTransactionMarker) written for ``pid``."""
    return Entry(MARKER, pid, epoch, 0, 0, commit, True)


class Codec:
    """A payload layout: every value a log entry may hold, numbered 1..N (0 is unused).

    Built once per configuration from the values the model can ever append, so the
    same value always has the same payload (states stay canonical across processes).
    """

    def __init__(self, values: Iterable[Hashable], what: str) -> None:
        self.values: list = [None, *values]
        self.index = {v: i for i, v in enumerate(self.values) if i}
        if len(self.values) - 1 > RECORD_MASK:
            raise ValueError(f"{what} needs {len(self.values) - 1} kinds of log entry, more "
                             f"than the {RECORD_MASK} a log entry can name: lower the bounds")

    def encode(self, value: Hashable) -> int:
        """The payload of ``value``."""
        return self.index[value]

    def decode(self, payload: int):  # noqa: ANN201 - the layout's own value type
        """The value a payload stands for."""
        return self.values[payload]

    def __len__(self) -> int:
        return len(self.values) - 1


def data_codec(pids: int, epochs: int, seqs: int, recs: int, transactional: bool) -> Codec:
    """Payloads of a data partition: batches (pid, epoch, seq, record) and, with
    transactions, markers (pid, epoch, commit)."""
    values: list[Entry] = [data(pid, e, s, r, transactional) for pid in range(pids)
                           for e in range(epochs) for s in range(seqs) for r in range(recs)]
    if transactional:
        values += [marker(pid, e, c) for pid in range(pids) for e in range(epochs)
                   for c in (False, True)]
    return Codec(values, "a data partition")


# -- producer state (ProducerStateManager) ---------------------------------------------


class ProducerEntry(NamedTuple):
    """ProducerStateEntry of one producer id: its epoch, the last batches of that epoch as
    (sequence, offset), and the first offset of its ongoing transaction (or NO_OFFSET)."""

    epoch: int
    batches: tuple[tuple[int, int], ...]
    txn_first: int

    @property
    def last_seq(self) -> int:
        """The sequence of the last batch in the current epoch, -1 if none."""
        return self.batches[-1][0] if self.batches else -1


EMPTY_PRODUCER = ProducerEntry(NO_EPOCH, (), NO_OFFSET)


class Txn(NamedTuple):
    """A transaction as one partition's log shows it: its producer, first data offset and
    marker offset (NO_OFFSET while open), and whether the marker is an ABORT."""

    pid: int
    first: int
    end: int
    aborted: bool


def producer_entry(log: Sequence[int], codec: Codec, pid: int,
                   upto: int | None = None) -> ProducerEntry:
    """The producer state of ``pid`` after the first ``upto`` entries of ``log``.

    A batch in a new epoch clears the batch metadata (maybeUpdateProducerEpoch); a marker
    sets the epoch and ends the transaction (appendEndTxnMarker, ProducerStateEntry.update).
    """
    epoch, batches, first = NO_EPOCH, (), NO_OFFSET
    values = codec.values
    for offset in range(len(log) if upto is None else upto):
        e = values[log[offset] & RECORD_MASK]
        if e.pid != pid:
            continue
        if e.epoch != epoch:
            epoch, batches = e.epoch, ()
        if e.kind == MARKER:
            first = NO_OFFSET
            continue
        batches = (batches + ((e.seq, offset),))[-BATCHES_TO_RETAIN:]
        if e.transactional and first == NO_OFFSET:
            first = offset
    return ProducerEntry(epoch, batches, first)


def transactions(log: Sequence[int], codec: Codec) -> list[Txn]:
    """Every transaction the log shows, in order of first offset (CompletedTxn / TxnIndex)."""
    values = codec.values
    open_first: dict[int, int] = {}
    out: list[Txn] = []
    for offset, raw in enumerate(log):
        e = values[raw & RECORD_MASK]
        if e.kind == MARKER:
            first = open_first.pop(e.pid, NO_OFFSET)
            if first != NO_OFFSET:  # a marker with no data ends nothing (no CompletedTxn)
                out.append(Txn(e.pid, first, offset, not e.commit))
        elif e.transactional and e.pid not in open_first:
            open_first[e.pid] = offset
    out += [Txn(pid, first, NO_OFFSET, False) for pid, first in open_first.items()]
    out.sort(key=lambda t: t.first)
    return out


# -- the rule set ------------------------------------------------------------------------


class TransactionalPartition:
    """Storage rules of transactional writes, mixed into the partition rules.

    The methods take the log (or partition) and the partition's ``Codec``; overrides for
    later Kafka behaviour are subclasses that replace one rule.
    """

    # -- leadership (Partition.makeLeader) ------------------------------------------------

    def elect(self, part: PartitionState, ch: Change) -> PartitionState:
        """Partition.makeLeader ends with maybeIncrementLeaderHW: a leader whose ISR is down
        to itself moves its HW to its log end at once.  Without it a restarted sole replica
        keeps its checkpointed HW until the next write, and the LSO of a partition nobody
        writes to again would never reach committed transactions (a liveness violation
        Kafka does not have).  The base partition rules lack this step; once they take it,
        this override goes."""
        return self.raise_hw(super().elect(part, ch))

    # -- client appends (UnifiedLog.analyzeAndValidateProducerState, ProducerAppendInfo) ---

    def data_outcome(self, log: Sequence[int], codec: Codec, batch: Entry,
                     client: bool = True) -> tuple[int, int]:
        """What the leader does with a batch: (outcome, offset of a duplicate).  A batch the
        group coordinator writes (TxnOffsetCommit, AppendOrigin.COORDINATOR) is checked for
        its epoch only: no duplicate or sequence check."""
        if batch.pid == NO_PRODUCER_ID:
            # A batch without a producer id has no producer state to check: appended as
            # sent, a retry too (UnifiedLog.analyzeAndValidateProducerState: hasProducerId).
            return APPEND, NO_OFFSET
        entry = producer_entry(log, codec, batch.pid)
        if not client:
            stale = entry.epoch != NO_EPOCH and batch.epoch < entry.epoch
            return (INVALID_EPOCH if stale else APPEND), NO_OFFSET
        if batch.epoch == entry.epoch:
            for seq, offset in entry.batches:  # ProducerStateEntry.findDuplicateBatch
                if seq == batch.seq:
                    return DUPLICATE, offset
        if entry.epoch != NO_EPOCH and batch.epoch < entry.epoch:
            return INVALID_EPOCH, NO_OFFSET  # checkProducerEpoch
        return (APPEND if self.sequence_ok(entry, batch) else OUT_OF_ORDER), NO_OFFSET

    def sequence_ok(self, entry: ProducerEntry, batch: Entry) -> bool:
        """ProducerAppendInfo.checkSequence: any sequence without producer state, 0 in a new
        epoch, else the next one."""
        if entry.epoch == NO_EPOCH:
            return True
        if batch.epoch != entry.epoch:
            return batch.seq == 0
        return batch.seq == entry.last_seq + 1

    def has_ongoing_transaction(self, log: Sequence[int], codec: Codec, pid: int,
                                epoch: int) -> bool:
        """UnifiedLog.hasOngoingTransaction(producerId, producerEpoch): a transaction of this
        producer and epoch is open here, so the coordinator already knows the partition."""
        entry = producer_entry(log, codec, pid)
        return entry.txn_first != NO_OFFSET and entry.epoch == epoch

    # -- markers (WriteTxnMarkers -> ProducerAppendInfo.appendEndTxnMarker) ---------------

    def marker_accepted(self, log: Sequence[int], codec: Codec, mark: Entry) -> bool:
        """checkProducerEpoch for a marker: not older than the producer's epoch (TV0/TV1)."""
        entry = producer_entry(log, codec, mark.pid)
        return entry.epoch == NO_EPOCH or mark.epoch >= entry.epoch

    # -- stability and reads (UnifiedLog.lastStableOffset, LocalLog.read) ----------------

    def last_stable_offset(self, log: Sequence[int], hw: int, codec: Codec) -> int:
        """The LSO: the first offset of the earliest transaction still open or whose marker
        is not yet below the HW (ProducerStateManager.firstUnstableOffset), capped by the HW.
        """
        lso = hw
        for txn in transactions(log, codec):
            if txn.first >= lso:
                break
            if txn.end == NO_OFFSET or txn.end >= hw:
                lso = txn.first
                break
        return lso

    def consumer_read(self, log: Sequence[int], hw: int, codec: Codec,
              isolation: str) -> tuple[tuple[int, int], ...]:
        """What a consumer reading the leader from offset 0 receives: (offset, record) pairs.

        read_uncommitted: every data record below the HW.  read_committed: data records
        below the LSO, without the records of aborted transactions (the fetch response's
        aborted-transaction list; the consumer drops them) and without control records.
        """
        values = codec.values
        if isolation == "read_uncommitted":
            return tuple((o, values[log[o] & RECORD_MASK].rec) for o in range(min(hw, len(log)))
                         if values[log[o] & RECORD_MASK].kind == DATA)
        lso = self.last_stable_offset(log, hw, codec)
        aborted = [t for t in transactions(log, codec) if t.aborted and t.first < lso]
        out = []
        for o in range(lso):
            e = values[log[o] & RECORD_MASK]
            if e.kind != DATA:
                continue
            if e.transactional and any(t.pid == e.pid and t.first <= o < t.end
                                       for t in aborted):
                continue
            out.append((o, e.rec))
        return tuple(out)
