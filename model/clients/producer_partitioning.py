"""Where the producer model puts each record: Kafka's partitioners driven through the accumulator.

Every choice is made by the functions of ``partitioners.py`` (murmur2, the KIP-794
built-in partitioner inside ``accumulator_append``, the ``partitioner.class`` plugins
with abortOnNewBatch), with each random draw enumerated as nondeterminism.  Sizes are
Kafka's byte accounting (RECORD_BATCH_OVERHEAD + RECORD_BYTES per record), so the
sticky partition switches exactly when Kafka's would for records of that size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafkacheck.model import versions
from kafkacheck.model.algorithms.partitioners import (
    RECORD_BATCH_OVERHEAD,
    UNKNOWN_PARTITION,
    BatchSketch,
    DefaultPartitioner,
    DefaultPartitionerBefore24,
    PartitionerModel,
    RoundRobinPartitioner,
    RoundRobinState,
    StickyPartitionInfo,
    TopicAccumulator,
    TopicView,
    UniformStickyPartitionerLegacy,
    _StickyCacheState,
    accumulator_append,
    enumerate_draws,
    producer_partition,
    send_with_custom_partitioner,
    serialize_string,
)

TOPIC = "topic"
RECORD_BYTES = 10
"""Bytes one small record (key 'key-N', a short value) adds to a v2 batch."""

NO_PARTITION = -1


def key_name(key: int) -> str:
    """The key of key index ``key`` as the application sends it (a String)."""
    return f"key-{key}"


def key_bytes(key: int) -> bytes:
    """StringSerializer bytes of key index ``key`` (None for keyless is handled by callers)."""
    data = serialize_string(key_name(key))
    assert data is not None
    return data


@dataclass(frozen=True)
class Placement:
    """One possible outcome of KafkaProducer.send for a record."""

    partition: int
    new_batch: bool
    partitioner: tuple[int, ...]


def batch_bytes(records: int) -> int:
    """Estimated size of an uncompressed batch holding ``records`` records."""
    return RECORD_BATCH_OVERHEAD + RECORD_BYTES * records


def sketch(deque: Sequence[tuple[int, bool]], batch_size: int) -> tuple[BatchSketch, ...]:
    """A partition's deque as BatchSketches: (records, closed) per batch, oldest first."""
    limit = max(batch_size, batch_bytes(1))
    return tuple(BatchSketch(limit, batch_bytes(n), n, closed) for n, closed in deque)


class Partitioning:
    """KafkaProducer.partition + RecordAccumulator.append for one topic, enumerated."""

    def __init__(self, partitions: int, batch_size: int, partitioner_class: str | None,
                 ignore_keys: bool, explicit_partition: int, release: str,
                 most_partitions: int = 0) -> None:
        version = versions.parse(release)
        self.partitions = partitions
        self.batch_size = batch_size
        self.ignore_keys = ignore_keys
        self.explicit = None if explicit_partition < 0 else explicit_partition
        self.plugin: PartitionerModel | None = None
        if partitioner_class is not None:
            simple = partitioner_class.rsplit(".", 1)[1]
            self.plugin = {
                # KAFKA-17632 (4.0): one counter value per record; before, a record opening
                # a new batch took two and, with an even partition count, half starve.
                "RoundRobinPartitioner": RoundRobinPartitioner(
                    kafka_17632_fix=versions.has_fix(release, "KAFKA-17632")),
                # KIP-480 (2.4) made DefaultPartitioner sticky for keyless records.
                "DefaultPartitioner": DefaultPartitioner() if version >= (2, 4)
                else DefaultPartitionerBefore24(most_partitions=max(most_partitions,
                                                                    partitions)),
                "UniformStickyPartitioner": UniformStickyPartitionerLegacy(),
            }[simple]
        self._cache: dict[tuple, tuple[Placement, ...]] = {}

    def initial_state(self) -> tuple[int, ...]:
        """The partitioner's state as flat ints: sticky (partition, produced bytes) or plugin."""
        if isinstance(self.plugin, DefaultPartitionerBefore24):
            return (NO_PARTITION, NO_PARTITION)  # counter not drawn yet, nothing remembered
        if isinstance(self.plugin, RoundRobinPartitioner):
            return (0, NO_PARTITION)  # counter, partition remembered by onNewBatch
        if self.plugin is not None:
            return (NO_PARTITION,)  # StickyPartitionCache entry
        return (NO_PARTITION, 0)  # BuiltInPartitioner.StickyPartitionInfo

    def place(self, key: int, state: tuple[int, ...], deques: tuple[tuple[tuple[int, bool], ...],
              ...], available: tuple[int, ...]) -> tuple[Placement, ...]:
        """Every (partition, new batch?, partitioner state) Kafka can produce for this send."""
        memo = (key, state, deques, available)
        hit = self._cache.get(memo)
        if hit is None:
            hit = self._place(key, state, deques, available)
            self._cache[memo] = hit
        return hit

    def _place(self, key: int, state: tuple[int, ...], deques: tuple,
               available: tuple[int, ...]) -> tuple[Placement, ...]:
        view = TopicView(self.partitions, available if len(available) < self.partitions else None)
        acc = TopicAccumulator(self.partitions, tuple(sketch(d, self.batch_size) for d in deques))
        data = key_bytes(key) if key >= 0 else None
        outcomes: dict[Placement, None] = {}
        if self.plugin is not None and self.explicit is None:
            for _draws, (partition, new_batch, pstate) in enumerate_draws(
                    lambda draw: self._plugin_send(state, data, view, acc, draw)):
                outcomes[Placement(partition, new_batch, pstate)] = None
            return tuple(outcomes)
        target = producer_partition(self.explicit, data, self.partitions,
                                    ignore_keys=self.ignore_keys)
        if target != UNKNOWN_PARTITION:
            sticky = None
        else:
            sticky = None if state[0] == NO_PARTITION else StickyPartitionInfo(*state)
        acc = TopicAccumulator(self.partitions, acc.deques, sticky)
        for _draws, result in enumerate_draws(
                lambda draw: accumulator_append(acc, target, RECORD_BYTES, self.batch_size,
                                                view, draw)):
            info = result.state.sticky
            pstate = state if target != UNKNOWN_PARTITION or info is None else (
                info.partition, info.produced_bytes)
            outcomes[Placement(result.partition, result.new_batch_created, pstate)] = None
        return tuple(outcomes)

    def _plugin_send(self, state: tuple[int, ...], data: bytes | None, view: TopicView,
                     acc: TopicAccumulator, draw) -> tuple[int, bool, tuple[int, ...]]:
        """KafkaProducer.doSend with partitioner.class (abortOnNewBatch, onNewBatch, retry)."""
        plugin = self.plugin
        assert plugin is not None
        if isinstance(plugin, RoundRobinPartitioner):
            remembered = None if state[1] == NO_PARTITION else (TOPIC, state[1])
            counters = () if state[0] == NO_PARTITION else ((TOPIC, state[0]),)
            pobj: object = RoundRobinState(counters, remembered)
        else:
            pobj = _StickyCacheState(() if state[0] == NO_PARTITION else ((TOPIC, state[0]),))

        def opens_new_batch(p: int) -> bool:
            last = acc.deque(p)[-1:] or None
            return last is None or not last[0].has_room_for(RECORD_BYTES)

        result = send_with_custom_partitioner(plugin, pobj, TOPIC, data, view, opens_new_batch,
                                              draw)
        appended = accumulator_append(acc, result.partition, RECORD_BYTES, self.batch_size, view,
                                      draw)
        out = result.partitioner_state
        if isinstance(out, RoundRobinState):
            prev = out.previous[1] if out.previous is not None else NO_PARTITION
            pstate: tuple[int, ...] = (dict(out.counters).get(TOPIC, NO_PARTITION), prev)
        else:
            assert isinstance(out, _StickyCacheState)
            pstate = (dict(out.entries).get(TOPIC, NO_PARTITION),)
        return appended.partition, appended.new_batch_created, pstate
