"""The consume-transform-produce loop: a consumer group member that turns each input record
into one output record and commits its input offset, with or without a transaction.

With a transactional.id (exactly-once, KIP-98 / KIP-447): poll an input record, produce
its output, sendOffsetsToTransaction(offset + 1, groupMetadata) and commit; the group
coordinator refuses the offsets of a member of an older generation (TxnOffsetCommit,
ILLEGAL_GENERATION: KIP-447 zombie fencing), and a member that takes over a partition
fetches its committed offset with require_stable, waiting while a transaction still
holds offsets for it (OffsetFetch, UNSTABLE_OFFSET_COMMIT).  After an abort the
application seeks back to the committed offset (KafkaProducer's documented pattern: the
consumer position is not rewound by abortTransaction()).

Without a transactional.id (at-least-once): produce with an idempotent producer, then
commit the offset with OffsetCommit once the output is acknowledged.

The input topic has one partition whose ``inputs`` records never change; the output
record of input k goes to output partition k mod partitions.  The committed offsets live
in a ``__consumer_offsets`` partition of the cluster, so they replicate, fail over and get
transaction markers like any partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster.partition import RECORD_MASK
from kafkacheck.model.cluster.partition_txn import Codec

NO_POSITION = -1


class Group(NamedTuple):
    """The group coordinator's view: the generation and the member owning the input
    partition in it (one input partition, assigned to one member at a time)."""

    generation: int
    owner: int


class Member(NamedTuple):
    """One member's view: the generation it joined, whether it owns the input partition
    then, its position (next input offset; NO_POSITION: to fetch from the committed
    offset), the input record it is processing (NO_POSITION: none), and its local state
    (a Streams task's store, model/clients/streams.py; empty otherwise and after a rejoin)."""

    generation: int
    owns: bool
    position: int
    input: int
    store: tuple[int, ...] = ()


def offsets_codec(pids: int, epochs: int, inputs: int, transactional: bool) -> Codec:
    """Payloads of the offsets partition: committed offsets 0..inputs, written in a
    transaction (TxnOffsetCommit: producer id and epoch, no sequence) or plainly
    (OffsetCommit), and markers."""
    values: list[ptx.Entry] = []
    if transactional:
        values += [ptx.data(pid, e, 0, v) for pid in range(pids) for e in range(epochs)
                   for v in range(inputs + 1)]
        values += [ptx.marker(pid, e, c) for pid in range(pids) for e in range(epochs)
                   for c in (False, True)]
    else:
        values += [ptx.data(pid, 0, 0, v, False) for pid in range(pids)
                   for v in range(inputs + 1)]
    return Codec(values, "the offsets partition")


def pending_offsets(log: Sequence[int], codec: Codec) -> bool:
    """A transaction still holds offsets here (OffsetMetadataManager
    .hasPendingTransactionalOffsets): an OffsetFetch with require_stable must wait."""
    return any(t.end == ptx.NO_OFFSET for t in ptx.transactions(log, codec))


def committed_offset(log: Sequence[int], hw: int, codec: Codec, rules: object) -> int:
    """The group's committed offset: the last offset committed plainly or by a committed
    transaction, below the high watermark (NO_POSITION when none)."""
    read = rules.consumer_read(log, hw, codec, "read_committed")  # type: ignore[attr-defined]
    return read[-1][1] if read else NO_POSITION


def entry_value(codec: Codec, raw: int) -> ptx.Entry:
    """The entry a raw log entry of the offsets partition holds."""
    return codec.decode(raw & RECORD_MASK)
