"""The transaction coordinator: transaction metadata, its log, and the protocol versions.

The coordinator of a transactional.id is the leader of its ``__transaction_state``
partition (TransactionStateManager.partitionFor); it keeps the metadata in memory and
writes every change to that partition first, with acks=all, changing its memory only
once the record is committed (TransactionMetadata.prepareTransitionTo /
completeTransitionTo; meanwhile other requests get CONCURRENT_TRANSACTIONS).  A new
leader loads the log to its end and resends the markers of prepared transactions
(TransactionStateManager.loadTransactionsForTxnTopicPartition).

Log records here are the changes themselves (InitProducerId, AddPartitions, Prepare,
Complete): replaying them gives the same metadata as Kafka's full-snapshot records.

``TxnProtocol`` and its subclasses are the protocol as Kafka versions it, one override
per change, like the partition rules: the base is transactions before KIP-890 (Kafka
0.11 to 3.5: client-side AddPartitionsToTxn, one epoch for many transactions);
``VerifiedFirstWrite`` is KIP-890 part 1 (3.6, ``transaction.partition.verification
.enable``); ``EpochPerTransaction`` is KIP-890 part 2 (``transaction.version=2``, 4.0), and
``DoubleFenceBump`` its 4.0.0 fence (KAFKA-19367); ``NoClientEpochBump`` (before 2.5,
KIP-360) and ``Before6119`` (0.11.0.0 and 0.11.0.1) are the older releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from kafkacheck.model.cluster.partition import RECORD_MASK
from kafkacheck.model.cluster.partition_txn import Codec

NO_EPOCH = -1

# TransactionState (kafka.coordinator.transaction); NOT_FOUND: no metadata yet.
NOT_FOUND, EMPTY, ONGOING, PREPARE_COMMIT, PREPARE_ABORT, COMPLETE_COMMIT, COMPLETE_ABORT = \
    range(7)
STATE_NAMES = ("NotFound", "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
               "CompleteCommit", "CompleteAbort")

# Errors a coordinator answers (org.apache.kafka.common.protocol.Errors).
NONE, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED, INVALID_TXN_STATE, APPENDING = range(5)
ERROR_NAMES = ("NONE", "CONCURRENT_TRANSACTIONS", "PRODUCER_FENCED", "INVALID_TXN_STATE",
               "(appending to the transaction log)")

# Transaction log records (changes): kind, transactional id, then arguments.
INIT, ADD, PREPARE, COMPLETE = range(4)


class TxnMeta(NamedTuple):
    """TransactionMetadata of one transactional.id: state, producer epoch, and the
    partitions in the transaction (a bitmask over the model's transactional partitions)."""

    state: int
    epoch: int
    parts: int


NO_META = TxnMeta(NOT_FOUND, NO_EPOCH, 0)


class TxnRecord(NamedTuple):
    """One ``__transaction_state`` record: the change it makes to one transactional.id."""

    kind: int
    tid: int
    epoch: int  # INIT: the new epoch; PREPARE: the epoch written with the decision
    parts: int  # ADD: partitions added
    commit: bool  # PREPARE / COMPLETE: commit or abort


def init_record(tid: int, epoch: int) -> TxnRecord:
    """InitProducerId: Empty with a new epoch (prepareIncrementProducerEpoch)."""
    return TxnRecord(INIT, tid, epoch, 0, False)


def add_record(tid: int, parts: int) -> TxnRecord:
    """AddPartitionsToTxn: Ongoing with more partitions (prepareAddPartitions)."""
    return TxnRecord(ADD, tid, NO_EPOCH, parts, False)


def prepare_record(tid: int, commit: bool, epoch: int) -> TxnRecord:
    """EndTxn or a coordinator abort: PrepareCommit / PrepareAbort (prepareAbortOrCommit)."""
    return TxnRecord(PREPARE, tid, epoch, 0, commit)


def complete_record(tid: int, commit: bool) -> TxnRecord:
    """All markers written: CompleteCommit / CompleteAbort (prepareComplete)."""
    return TxnRecord(COMPLETE, tid, NO_EPOCH, 0, commit)


def apply(meta: TxnMeta, rec: TxnRecord) -> TxnMeta:
    """The metadata after one record (completeTransitionTo)."""
    if rec.kind == INIT:
        return TxnMeta(EMPTY, rec.epoch, 0)
    if rec.kind == ADD:
        return TxnMeta(ONGOING, meta.epoch, meta.parts | rec.parts)
    if rec.kind == PREPARE:
        return TxnMeta(PREPARE_COMMIT if rec.commit else PREPARE_ABORT, rec.epoch, meta.parts)
    return TxnMeta(COMPLETE_COMMIT if rec.commit else COMPLETE_ABORT, meta.epoch, 0)


def log_codec(tids: int, epochs: int, partitions: int) -> Codec:
    """Payloads of the transaction log for ``tids`` ids, ``epochs`` epochs and
    ``partitions`` transactional partitions."""
    values: list[TxnRecord] = []
    for tid in range(tids):
        values += [init_record(tid, e) for e in range(epochs)]
        values += [add_record(tid, mask) for mask in range(1, 1 << partitions)]
        values += [prepare_record(tid, c, e) for e in range(epochs) for c in (False, True)]
        values += [complete_record(tid, c) for c in (False, True)]
    return Codec(values, "the transaction log")


def load(log: Sequence[int], codec: Codec, tids: int) -> tuple[TxnMeta, ...]:
    """The metadata of every transactional.id after reading the whole log (a new leader
    loads up to its log end offset: loadTransactionMetadata)."""
    metas = [NO_META] * tids
    values = codec.values
    for raw in log:
        rec = values[raw & RECORD_MASK]
        metas[rec.tid] = apply(metas[rec.tid], rec)
    return tuple(metas)


# -- the coordinator's memory -------------------------------------------------------------


class Pending(NamedTuple):
    """A metadata change appended to the log and not yet committed (the pendingState):
    the record's payload, its offset, and who waits for the answer (``reply``)."""

    payload: int
    offset: int
    reply: int


NO_PENDING = Pending(-1, -1, -1)
# Who waits for a pending change: nobody (a coordinator-initiated abort), the producer
# instance i (REPLY_CLIENT + i), or the leader of partition p holding a produce of the
# batch with payload b until the partition is added (KIP-890 part 2:
# REPLY_LEADER + b * partitions + p).
REPLY_NOBODY = -1
REPLY_CLIENT = 0
REPLY_LEADER = 100


class Coordinator(NamedTuple):
    """The transaction coordinator's memory: the epoch it loaded at (the leader epoch of
    the transaction log partition; -1 before loading), per transactional.id the metadata,
    the pending change, and the partitions still waiting for a marker."""

    epoch: int
    metas: tuple[TxnMeta, ...]
    pending: tuple[Pending, ...]
    markers: tuple[int, ...]


def unloaded(tids: int) -> Coordinator:
    """A coordinator that has not loaded its partition yet."""
    return Coordinator(-1, (NO_META,) * tids, (NO_PENDING,) * tids, (0,) * tids)


# -- the protocol, per version ------------------------------------------------------------


class TxnProtocol:
    """Transactions as before KIP-890 (Kafka 0.11 to 3.5, or transaction.version < 2 with
    transaction.partition.verification.enable=false).

    The client adds partitions itself (AddPartitionsToTxn before producing), a producer
    keeps one epoch for all its transactions, and a partition leader takes the first
    transactional write of a producer without asking the coordinator.
    """

    name: ClassVar[str] = "transaction.version 1, no partition verification"
    # The client sends AddPartitionsToTxn / AddOffsetsToTxn itself (TransactionManager).
    client_adds_partitions: ClassVar[bool] = True
    # The client bumps its epoch after a failed batch (KIP-360, TransactionManager
    # .maybeTransitionToErrorState with canBumpEpoch()).
    client_bumps_epoch: ClassVar[bool] = True
    # Whether the model lets the client add the partitions of a transaction in separate
    # AddPartitionsToTxn requests (TransactionManager sends whatever partitions are pending
    # when the Sender runs: all of them, or one per send() when sends come one after
    # another).  Only where a fault between two adds can change what happens (before
    # KAFKA-6119) does the model split them; elsewhere a transaction's partitions are
    # added in one request, an abstraction: a timeout or a new instance between two adds
    # bumps the epoch and the second add is fenced, as every later request is.
    split_adds: ClassVar[bool] = False

    def end_epoch(self, epoch: int) -> int:
        """The epoch written with an EndTxn decision: unchanged (prepareAbortOrCommit, TV<2)."""
        return epoch

    def end_request_valid(self, meta: TxnMeta, epoch: int) -> bool:
        """EndTxn's epoch check: the current epoch (TransactionCoordinator.endTransaction,
        'strict equality is enforced on the client side requests' for TV<2)."""
        return epoch == meta.epoch

    def end_retry_epoch(self, meta: TxnMeta, epoch: int) -> bool:
        """Whether an EndTxn for a completed or prepared transaction is a retry."""
        return epoch == meta.epoch

    def first_write(self, meta: TxnMeta, epoch: int, bit: int) -> int:
        """What the leader asks the coordinator before a producer's first transactional
        write to a partition: nothing here (every write is accepted)."""
        return NONE

    # -- requests (TransactionCoordinator.handle*): (error, record to append or None) -------

    def init_request(self, tid: int, meta: TxnMeta, busy: bool,
                     expected: int = NO_EPOCH) -> tuple[int, TxnRecord | None]:
        """InitProducerId (prepareInitProducerIdTransit).  An ongoing transaction is first
        aborted with a fenced epoch and the caller told to retry; ``expected`` is the epoch
        of a producer bumping its own epoch (KIP-360), which must still be current."""
        if busy or meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            return CONCURRENT_TRANSACTIONS, None
        if expected != NO_EPOCH and expected != meta.epoch:
            return PRODUCER_FENCED, None
        if meta.state == ONGOING:
            return CONCURRENT_TRANSACTIONS, self.fence_record(tid, meta)
        return APPENDING, init_record(tid, meta.epoch + 1)

    def fence_record(self, tid: int, meta: TxnMeta) -> TxnRecord:
        """prepareFenceProducerEpoch then endTransaction(ABORT): the abort that a new
        instance or the transaction timeout forces, one epoch up (any version)."""
        return prepare_record(tid, False, meta.epoch + 1)

    def timeout_record(self, tid: int, meta: TxnMeta) -> TxnRecord:
        """TransactionCoordinator.abortTimedOutTransactions: the epoch fenced, then
        endTransaction(ABORT), as for a new instance (KAFKA-6119: 0.11.0.2, 1.0)."""
        return self.fence_record(tid, meta)

    def add_request(self, tid: int, meta: TxnMeta, busy: bool, epoch: int,
                    parts: int) -> tuple[int, TxnRecord | None]:
        """AddPartitionsToTxn / AddOffsetsToTxn from a client
        (handleAddPartitionsToTransaction)."""
        if epoch != meta.epoch:
            return PRODUCER_FENCED, None
        if busy or meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            return CONCURRENT_TRANSACTIONS, None
        if meta.state == ONGOING and parts & ~meta.parts == 0:
            return NONE, None
        return APPENDING, add_record(tid, parts)

    def end_request(self, tid: int, meta: TxnMeta, busy: bool, epoch: int,
                    commit: bool) -> tuple[int, TxnRecord | None]:
        """EndTxn (TransactionCoordinator.endTransaction, from a client)."""
        if meta.state in (ONGOING, EMPTY, NOT_FOUND):
            valid = self.end_request_valid(meta, epoch)
        else:
            valid = self.end_retry_epoch(meta, epoch)
        if not valid:
            return PRODUCER_FENCED, None
        if busy:
            return CONCURRENT_TRANSACTIONS, None
        state = meta.state
        if state == ONGOING:
            return APPENDING, prepare_record(tid, commit, self.end_epoch(epoch))
        if state in (COMPLETE_COMMIT, COMPLETE_ABORT):
            return (NONE if commit == (state == COMPLETE_COMMIT) else INVALID_TXN_STATE), None
        if state in (PREPARE_COMMIT, PREPARE_ABORT):
            same = commit == (state == PREPARE_COMMIT)
            return (CONCURRENT_TRANSACTIONS if same else INVALID_TXN_STATE), None
        return INVALID_TXN_STATE, None

    def leader_adds(self) -> bool:
        """Whether the leader's coordinator call adds the partition (TV2) or only checks."""
        return False


class VerifiedFirstWrite(TxnProtocol):
    """KIP-890 part 1 (Kafka 3.6, transaction.partition.verification.enable=true): before
    the first transactional write of a producer to a partition, the leader asks the
    coordinator (AddPartitionsToTxn, verifyOnly) whether the partition is in the ongoing
    transaction (TransactionCoordinator.handleVerifyPartitionsInTransaction)."""

    name = "transaction.version 1 with partition verification"

    def first_write(self, meta: TxnMeta, epoch: int, bit: int) -> int:
        if meta.epoch != epoch:
            return PRODUCER_FENCED  # the leader answers INVALID_PRODUCER_EPOCH
        if meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            return CONCURRENT_TRANSACTIONS  # retriable (NOT_ENOUGH_REPLICAS to old clients)
        return NONE if meta.parts & bit and meta.state == ONGOING else INVALID_TXN_STATE


class EpochPerTransaction(VerifiedFirstWrite):
    """KIP-890 part 2 (transaction.version=2, Kafka 4.0): EndTxn bumps the producer epoch
    (prepareAbortOrCommit with supportsEpochBump), the leader's coordinator call adds the
    partition (AddPartitionsToTxnManager, verifyOnly = !supportsEpochBump), and the client
    neither adds partitions nor bumps its own epoch."""

    name = "transaction.version 2"
    client_adds_partitions = False
    client_bumps_epoch = False

    def end_epoch(self, epoch: int) -> int:
        return epoch + 1

    def end_retry_epoch(self, meta: TxnMeta, epoch: int) -> bool:
        # endTxnEpochBumped: the stored epoch is the request's plus one.
        return meta.epoch == epoch + 1

    def end_request(self, tid: int, meta: TxnMeta, busy: bool, epoch: int,
                    commit: bool) -> tuple[int, TxnRecord | None]:
        """EndTxn with version 2 (TransactionCoordinator.endTransaction, 4.0): a pending
        change answers CONCURRENT_TRANSACTIONS before the epoch check (KAFKA-18464); a
        retry carries the epoch below the stored one; an abort at the current epoch from
        Empty or Complete* is an empty transaction's abort, which bumps the epoch too."""
        if busy:
            return CONCURRENT_TRANSACTIONS, None
        state = meta.state
        retry = self.end_retry_epoch(meta, epoch)
        current = self.end_request_valid(meta, epoch)
        if state in (PREPARE_COMMIT, PREPARE_ABORT):
            valid = retry
        elif state in (COMPLETE_COMMIT, COMPLETE_ABORT):
            valid = retry or current
        else:
            valid = current
        if not valid:
            return PRODUCER_FENCED, None
        if state == ONGOING:
            return APPENDING, prepare_record(tid, commit, self.end_epoch(epoch))
        if state in (PREPARE_COMMIT, PREPARE_ABORT):
            same = commit == (state == PREPARE_COMMIT)
            return (CONCURRENT_TRANSACTIONS if same else INVALID_TXN_STATE), None
        if state == NOT_FOUND or commit:
            # A commit from Complete* is answered only as a retry of the one that made it.
            ok = retry and state == COMPLETE_COMMIT
            return (NONE if ok else INVALID_TXN_STATE), None
        if retry:  # an abort retried: done if it was an abort
            return (NONE if state == COMPLETE_ABORT else INVALID_TXN_STATE), None
        return APPENDING, prepare_record(tid, False, self.end_epoch(epoch))

    def first_write(self, meta: TxnMeta, epoch: int, bit: int) -> int:
        if meta.epoch != epoch:
            return PRODUCER_FENCED
        if meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            return CONCURRENT_TRANSACTIONS
        if meta.state == ONGOING and meta.parts & bit:
            return NONE
        return APPENDING  # handleAddPartitionsToTransaction: append the partition first

    def leader_adds(self) -> bool:
        return True


class DoubleFenceBump(EpochPerTransaction):
    """Kafka 4.0.0, before KAFKA-19367 (4.1, and 4.0.1): a fence under version 2 bumps the
    epoch twice.  prepareFenceProducerEpoch moves it one up, endTransaction (TV2) sets that
    as the metadata's epoch, and prepareAbortOrCommit bumps it again: a timed-out or
    fenced producer's EndTxn then finds its epoch two below and is fenced, never taken as
    a retry (read in kafka_2.13 4.0.0 and 4.0.1, TransactionCoordinator.endTransaction)."""

    name = "transaction.version 2 before KAFKA-19367 (a fence bumps the epoch twice)"

    def fence_record(self, tid: int, meta: TxnMeta) -> TxnRecord:
        return prepare_record(tid, False, meta.epoch + 2)


class NoClientEpochBump(TxnProtocol):
    """Kafka 0.11 to 2.4: a failed batch is an abortable error and the producer keeps its
    epoch (the client's bump on a failed batch came with KAFKA-8805 / KIP-360 in 2.5)."""

    name = "transaction.version 0 before KIP-360 (no client epoch bump)"
    client_bumps_epoch = False


class Before6119(NoClientEpochBump):
    """Kafka 0.11.0.0 and 0.11.0.1, before KAFKA-6119 (0.11.0.2, 1.0): abortTimedOutTransactions
    called handleEndTransaction with the producer's own epoch, so the timed-out producer is
    not fenced; its later writes open a transaction the coordinator does not know."""

    name = "transaction.version 0 before KAFKA-6119 (a timed-out transaction keeps its epoch)"
    # The producer's next AddPartitionsToTxn after the timeout abort is accepted from
    # CompleteAbort (handleAddPartitionsToTransaction checks the epoch, a pending
    # transition and Prepare* only) and opens a new transaction that the producer commits:
    # the timed-out writes are lost (KAFKA-6119, TransactionsTest
    # .testFencingOnTransactionExpiration).  That needs a timeout between two adds.
    split_adds = True

    def timeout_record(self, tid: int, meta: TxnMeta) -> TxnRecord:
        return prepare_record(tid, False, meta.epoch)


def protocol_for(transaction_version: int, verification: bool,
                 kip360: bool = True, kafka_6119: bool = True,
                 kafka_19367: bool = True) -> TxnProtocol:
    """The protocol a cluster runs: transaction.version 2 is KIP-890 part 2 (which always
    asks the coordinator; before KAFKA-19367, 4.0.0, its fence bumps the epoch twice);
    below it, partition verification follows the broker setting, before 2.5 (``kip360``
    false) the client does not bump its epoch, and before KAFKA-6119 (0.11.0.0 and
    0.11.0.1, all before 2.5) neither does a timeout abort."""
    if transaction_version >= 2:
        return EpochPerTransaction() if kafka_19367 else DoubleFenceBump()
    if verification:
        return VerifiedFirstWrite()
    if not kafka_6119:
        return Before6119()
    return TxnProtocol() if kip360 else NoClientEpochBump()
