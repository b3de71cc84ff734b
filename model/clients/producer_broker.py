"""The broker's idempotence rules: producer state rebuilt from a replica's log, and the checks.

A log entry of the producer model is one record batch: ``partition.entry(leader_epoch,
desc)`` where ``desc`` indexes the wire descriptors (batch, producer epoch, base
sequence, record count).  Kafka rebuilds a replica's producer state from its log (followers
append it on fetch, truncation reloads it), so the state is a function of the log here.
Sources: storage ProducerStateManager / ProducerStateEntry (NUM_BATCHES_TO_RETAIN = 5,
findDuplicateBatch), ProducerAppendInfo (checkProducerEpoch, checkSequence),
UnifiedLog.analyzeAndValidateProducerState, Partition.appendRecordsToLeader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kafkacheck.model.cluster.partition import RECORD_MASK

NO_EPOCH = -1
NO_SEQUENCE = -1
BATCHES_TO_RETAIN = 5

# Outcome of a leader's append of one batch.
APPEND, DUPLICATE, OUT_OF_ORDER, INVALID_EPOCH = range(4)


class Descriptor(NamedTuple):
    """A batch as sent on the wire: its batch, producer epoch (-1: not idempotent), base
    sequence and record count."""

    batch: int
    epoch: int
    base: int
    count: int


class ProducerEntry(NamedTuple):
    """ProducerStateEntry of the one producer: its epoch and last <= 5 batches
    (first sequence, last sequence, offset)."""

    epoch: int
    batches: tuple[tuple[int, int, int], ...]


class IdempotenceRules:
    """How a leader treats a batch of the idempotent producer (ProducerStateManager)."""

    def producer_entry(self, log: Sequence[int],
                       descs: Sequence[Descriptor]) -> ProducerEntry:
        """The producer's state as rebuilt from a replica's log."""
        epoch = NO_EPOCH
        batches: tuple[tuple[int, int, int], ...] = ()
        for offset, e in enumerate(log):
            d = descs[e & RECORD_MASK]
            if d.epoch < 0:
                continue  # written by a non-idempotent producer: no producer id
            if d.epoch != epoch:
                epoch = d.epoch
                batches = ()  # ProducerStateEntry.maybeUpdateProducerEpoch clears batchMetadata
            batches = (batches + ((d.base, d.base + d.count - 1, offset),))[-BATCHES_TO_RETAIN:]
        return ProducerEntry(epoch, batches)

    def check_append(self, log: Sequence[int], descs: Sequence[Descriptor],
                     desc: int) -> tuple[int, int]:
        """What UnifiedLog.append does with batch ``desc``: (outcome, offset of a duplicate)."""
        d = descs[desc]
        if d.epoch < 0:
            return APPEND, -1
        entry = self.producer_entry(log, descs)
        duplicate = self.find_duplicate(entry, d)
        if duplicate >= 0:
            return DUPLICATE, duplicate
        if entry.epoch != NO_EPOCH and d.epoch < entry.epoch:
            return INVALID_EPOCH, -1  # checkProducerEpoch: InvalidProducerEpochException
        if entry.epoch == NO_EPOCH:
            return APPEND, -1  # no state for the producer: any sequence is accepted
        return (APPEND if self.in_sequence(entry, d) else OUT_OF_ORDER), -1

    def find_duplicate(self, entry: ProducerEntry, d: Descriptor) -> int:
        """ProducerStateEntry.findDuplicateBatch: the offset of a retained batch with the same
        epoch and sequence range, else -1."""
        if d.epoch != entry.epoch:
            return -1
        last = d.base + d.count - 1
        for first, end, offset in entry.batches:
            if first == d.base and end == last:
                return offset
        return -1

    def in_sequence(self, entry: ProducerEntry, d: Descriptor) -> bool:
        """ProducerAppendInfo.checkSequence: a new epoch starts at 0, else the next one."""
        if d.epoch != entry.epoch:
            return d.base == 0
        last_seq = entry.batches[-1][1] if entry.batches else NO_SEQUENCE
        return d.base == last_seq + 1
