"""The broker's idempotence rules: producer state rebuilt from a replica's log, and the checks.

A log entry of the producer model is one record batch: ``partition.entry(leader_epoch,
desc)`` where ``desc`` indexes the wire descriptors (batch, producer epoch, base
sequence, record count).  Kafka rebuilds a replica's producer state from its log (followers append
it on fetch, truncation reloads it), so the state is a function of the log here.
Sources: storage ProducerStateManager / ProducerStateEntry (NUM_BATCHES_TO_RETAIN = 5,
findDuplicateBatch), ProducerAppendInfo (checkProducerEpoch, checkSequence),
UnifiedLog.analyzeAndValidateProducerState, Partition.appendRecordsToLeader.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkacheck.model.cluster.partition import RECORD_MASK

NO_EPOCH = -1
NO_SEQUENCE = -1
BATCHES_TO_RETAIN = 5

# Outcome of a leader's append of one batch.
APPEND, DUPLICATE, OUT_OF_ORDER, INVALID_EPOCH = range(4)


def producer_entry(log: Sequence[int], descs: Sequence[tuple[int, int, int, int]]
                   ) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """ProducerStateEntry of the one producer: (epoch, last <= 5 batches (first, last, offset))."""
    epoch = NO_EPOCH
    batches: tuple[tuple[int, int, int], ...] = ()
    for offset, e in enumerate(log):
        d = e & RECORD_MASK
        _batch, pepoch, base, count = descs[d]
        if pepoch < 0:
            continue  # written by a non-idempotent producer: no producer id
        if pepoch != epoch:
            epoch = pepoch
            batches = ()  # ProducerStateEntry.maybeUpdateProducerEpoch clears batchMetadata
        batches = (batches + ((base, base + count - 1, offset),))[-BATCHES_TO_RETAIN:]
    return epoch, batches


def check_append(log: Sequence[int], descs: Sequence[tuple[int, int, int, int]], desc: int,
                 bug: str = "none") -> tuple[int, int]:
    """What UnifiedLog.append does with the batch ``desc``: (outcome, offset of a duplicate)."""
    _batch, pepoch, base, count = descs[desc]
    if pepoch < 0 or bug == "no-producer-state":
        return APPEND, -1
    last = base + count - 1
    epoch, batches = producer_entry(log, descs)
    if pepoch == epoch:
        for first, end, offset in batches:  # ProducerStateEntry.findDuplicateBatch
            if first == base and end == last:
                return DUPLICATE, offset
    if epoch != NO_EPOCH and pepoch < epoch:
        return INVALID_EPOCH, -1  # checkProducerEpoch: InvalidProducerEpochException
    if bug == "skip-sequence-check" or epoch == NO_EPOCH:
        return APPEND, -1  # no state for the producer: any sequence is accepted
    if pepoch != epoch:
        return (APPEND, -1) if base == 0 else (OUT_OF_ORDER, -1)
    last_seq = batches[-1][1] if batches else NO_SEQUENCE
    return (APPEND, -1) if base == last_seq + 1 else (OUT_OF_ORDER, -1)
