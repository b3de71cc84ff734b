"""The transactional producer as its application drives it: KafkaProducer with a
transactional.id and its TransactionManager.

An instance calls initTransactions(), then runs transactions one after another: each
writes one record to each partition of its plan, then commits (or the application
aborts).  The states and reactions follow org.apache.kafka.clients.producer.internals
.TransactionManager and Sender: a record is sent only once its partition is in the
transaction (client-side AddPartitionsToTxn before transaction.version 2), a retried
batch keeps its sequence number, EndTxn waits for in-flight batches, a failed batch is
an abortable error that also requests an epoch bump unless the transaction is already
completing (KIP-360, maybeTransitionToErrorState), and PRODUCER_FENCED is fatal.
"""

from __future__ import annotations

from typing import NamedTuple

# TransactionManager.State, reduced to what the protocol needs.
NEW, INITIALIZING, READY, IN_TXN, COMMITTING, ABORTING, BUMPING, FENCED, DONE = range(9)
PHASE_NAMES = ("uninitialized", "initializing", "ready", "in transaction", "committing",
               "aborting", "bumping epoch", "fenced", "done")

# A batch of the current transaction on one partition (IDLE: the partition is not in it).
TODO, ADDING, ADDED, INFLIGHT, WRITTEN, FAILED, IDLE = range(7)
BATCH_NAMES = ("to send", "adding partition", "partition added", "in flight", "written",
               "failed", "-")

# What the application knows of one of its transactions (a ghost for the properties).
OPEN, COMMIT_ASKED, COMMITTED, ABORTED, UNKNOWN = range(5)
OUTCOME_NAMES = ("open", "commit asked", "committed", "aborted", "unknown (failed)")


class Producer(NamedTuple):
    """One producer instance: its phase, epoch, transaction number, the current
    transaction's batch per partition, the next sequence per partition, and the error
    flags of TransactionManager (abortable error, epoch bump required)."""

    phase: int
    epoch: int
    txn: int
    batches: tuple[int, ...]
    seqs: tuple[int, ...]
    abortable: bool
    bump: bool


def new_producer(plan: tuple[int, ...], ready: bool = False) -> Producer:
    """A producer that has not called initTransactions() yet (``ready``: an idempotent
    producer without a transactional.id, which needs no coordinator), with ``plan`` the
    batches of its first transaction."""
    return Producer(READY if ready else NEW, 0 if ready else -1, 0, plan, (0,) * len(plan),
                    False, False)


def in_transaction(p: Producer) -> bool:
    """Between beginTransaction() and the end of commit/abort."""
    return p.phase in (IN_TXN, COMMITTING, ABORTING)


def completing(p: Producer) -> bool:
    """TransactionManager.isCompleting(): committing or aborting."""
    return p.phase in (COMMITTING, ABORTING)


def batch_seq(p: Producer, part: int) -> int:
    """The sequence number of the current transaction's batch on ``part`` (assigned when
    the batch was first drained, kept across retries)."""
    return p.seqs[part] - 1


def with_batch(p: Producer, part: int, status: int) -> Producer:
    """The producer with one batch's status changed."""
    b = p.batches
    return p._replace(batches=b[:part] + (status,) + b[part + 1:])


def start_batch(p: Producer, part: int) -> Producer:
    """The batch is drained for the first time: it takes the partition's next sequence;
    the first send of a transaction begins it (beginTransaction)."""
    s = p.seqs
    phase = IN_TXN if p.phase == READY else p.phase
    return p._replace(phase=phase, batches=p.batches[:part] + (INFLIGHT,) + p.batches[part + 1:],
                      seqs=s[:part] + (s[part] + 1,) + s[part + 1:])


def fail_batch(p: Producer, part: int, bumps: bool) -> Producer:
    """A batch failed (handleFailedBatch): the transaction is abortable and, if the client
    bumps epochs (KIP-360) and is not completing, an epoch bump is required."""
    bump = p.bump or (bumps and not completing(p))
    return with_batch(p, part, FAILED)._replace(abortable=True, bump=bump)


def after_end(p: Producer, epoch: int, plan: tuple[int, ...], transactions: int) -> Producer:
    """EndTxn succeeded: the next transaction (``plan``; done after ``transactions``), with
    the epoch the coordinator answered; a bump still required after an abort goes through
    InitProducerId first."""
    nxt = p.txn + 1
    seqs = p.seqs if epoch == p.epoch else (0,) * len(plan)
    phase = BUMPING if p.bump else (DONE if nxt >= transactions else READY)
    return Producer(phase, epoch, nxt, plan, seqs, False, p.bump)


def after_init(p: Producer, epoch: int, plan: tuple[int, ...], transactions: int) -> Producer:
    """InitProducerId answered with ``epoch``: ready, sequences from 0."""
    phase = DONE if p.txn >= transactions else READY
    return Producer(phase, epoch, p.txn, plan, (0,) * len(plan), False, False)


def fenced(p: Producer) -> Producer:
    """A fatal error (PRODUCER_FENCED, INVALID_TXN_STATE on EndTxn): the application
    closes this instance."""
    return p._replace(phase=FENCED)


def may_end(p: Producer) -> bool:
    """EndTxn waits until no batch is incomplete and no AddPartitionsToTxn is in flight
    (Sender: nextRequest(hasIncompleteBatches)); a batch whose request was lost is retried
    first, as it already has a sequence number (abortUndrainedBatches skips it)."""
    return INFLIGHT not in p.batches and ADDING not in p.batches
