"""Kafka producer partitioning, reproduced exactly as deterministic, pure functions.

Every random number Kafka draws (``ThreadLocalRandom.current().nextInt()``) is an
explicit input here: functions take a ``Draw`` callable ``draw(bound) -> int`` that
returns the raw Java ``int``; Kafka only ever uses ``toPositive(r) % bound``, so a model
checker can enumerate ``range(bound)`` (see ``enumerate_draws``) and a simulator can
pass ``java_random_draw(rng)``.  All state is immutable (frozen dataclasses, tuples),
so states hash cheaply and can be stored in a visited set.

Sources (apache/kafka @ 1eb7644349, 2024-10-25): ``common/utils/Utils.java``
(murmur2, toPositive), ``producer/internals/BuiltInPartitioner.java`` (KIP-794),
``producer/internals/RecordAccumulator.java`` (append loop, partitionReady),
``producer/internals/StickyPartitionCache.java`` and ``DefaultPartitioner.java``
(KIP-480), ``producer/RoundRobinPartitioner.java``, ``producer/KafkaProducer.java``
(``partition()`` and the abortOnNewBatch retry in ``doSend``), and the
``common/serialization`` serializers.
"""

from __future__ import annotations

import math
import random as _random
import struct
import uuid as _uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

__all__ = [
    "RECORD_BATCH_OVERHEAD",
    "UNKNOWN_PARTITION",
    "AccumulatorAppend",
    "BatchSketch",
    "CustomSendResult",
    "DefaultPartitioner",
    "Draw",
    "DrawsExhaustedError",
    "PartitionLoadStats",
    "PartitionerModel",
    "RoundRobinPartitioner",
    "RoundRobinState",
    "StickyPartitionInfo",
    "TopicAccumulator",
    "TopicView",
    "UniformStickyPartitionerLegacy",
    "accumulator_append",
    "all_batches_full",
    "builtin_next_partition",
    "builtin_peek_partition",
    "builtin_should_switch",
    "builtin_update_partition_info",
    "drain_first_batch",
    "enumerate_draws",
    "java_random_draw",
    "murmur2",
    "partition_for_key",
    "partition_load_stats",
    "partition_ready_queue_sizes",
    "producer_partition",
    "refresh_load_stats",
    "scripted_draw",
    "send_with_custom_partitioner",
    "serialize_boolean",
    "serialize_bytes",
    "serialize_double",
    "serialize_float",
    "serialize_int",
    "serialize_long",
    "serialize_short",
    "serialize_string",
    "serialize_uuid",
    "sticky_cache_next_partition",
    "sticky_cache_partition",
    "to_positive",
]

UNKNOWN_PARTITION = -1
"""RecordMetadata.UNKNOWN_PARTITION: 'let the accumulator pick' (KafkaProducer.partition)."""

RECORD_BATCH_OVERHEAD = 61
"""DefaultRecordBatch.RECORD_BATCH_OVERHEAD: v2 batch header bytes (uncompressed estimate)."""

_MASK32 = 0xFFFFFFFF
_M = 0x5BD1E995
_SEED = 0x9747B28C

Draw = Callable[[int], int]
"""draw(bound) -> raw Java int (ThreadLocalRandom.nextInt()); Kafka uses toPositive(r) % bound."""

T = TypeVar("T")


# --------------------------------------------------------------------------- hashing


def _int32(value: int) -> int:
    """Interpret the low 32 bits as a Java signed int."""
    value &= _MASK32
    return value - 0x1_0000_0000 if value & 0x8000_0000 else value


def murmur2(data: bytes) -> int:
    """Utils.murmur2: 32-bit murmur2 with Kafka's seed, unsigned bytes, signed int32 result."""
    length = len(data)
    h = (_SEED ^ length) & _MASK32
    full = length - (length % 4)
    for i in range(0, full, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _M) & _MASK32
        k ^= k >> 24
        k = (k * _M) & _MASK32
        h = (h * _M) & _MASK32
        h ^= k
    tail = length % 4
    if tail == 3:
        h ^= data[full + 2] << 16
    if tail >= 2:
        h ^= data[full + 1] << 8
    if tail >= 1:
        h ^= data[full]
        h = (h * _M) & _MASK32
    h ^= h >> 13
    h = (h * _M) & _MASK32
    h ^= h >> 15
    return _int32(h)


def to_positive(number: int) -> int:
    """Utils.toPositive: number & 0x7fffffff (not abs: Integer.MIN_VALUE -> 0, -1 -> 2^31-1)."""
    return number & 0x7FFFFFFF


def partition_for_key(key_bytes: bytes, num_partitions: int) -> int:
    """BuiltInPartitioner.partitionForKey: toPositive(murmur2(key)) % all the topic's partitions."""
    if num_partitions <= 0:
        raise ValueError("num_partitions must be positive")
    return to_positive(murmur2(key_bytes)) % num_partitions


# ----------------------------------------------------------------------- serializers


def serialize_string(value: str | None, encoding: str = "utf-8") -> bytes | None:
    """StringSerializer: String.getBytes(UTF-8); unpaired surrogates become '?' like Java."""
    if value is None:
        return None
    joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return joined.encode(encoding, "replace")


def serialize_int(value: int | None) -> bytes | None:
    """IntegerSerializer: 4-byte big-endian two's complement (int32 wrap)."""
    return None if value is None else (value & 0xFFFFFFFF).to_bytes(4, "big")


def serialize_long(value: int | None) -> bytes | None:
    """LongSerializer: 8-byte big-endian two's complement (int64 wrap)."""
    return None if value is None else (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def serialize_short(value: int | None) -> bytes | None:
    """ShortSerializer: 2-byte big-endian two's complement (int16 wrap)."""
    return None if value is None else (value & 0xFFFF).to_bytes(2, "big")


def serialize_float(value: float | None) -> bytes | None:
    """FloatSerializer: Float.floatToRawIntBits, big-endian."""
    return None if value is None else struct.pack(">f", value)


def serialize_double(value: float | None) -> bytes | None:
    """DoubleSerializer: Double.doubleToLongBits (NaN canonicalised), big-endian."""
    if value is None:
        return None
    if math.isnan(value):
        return (0x7FF8000000000000).to_bytes(8, "big")
    return struct.pack(">d", value)


def serialize_boolean(value: bool | None) -> bytes | None:
    """BooleanSerializer: one byte, 1 for true and 0 for false."""
    return None if value is None else bytes([1 if value else 0])


def serialize_uuid(value: _uuid.UUID | None) -> bytes | None:
    """UUIDSerializer: UTF-8 bytes of UUID.toString() (lower-case, hyphenated)."""
    return None if value is None else str(value).encode("utf-8")


def serialize_bytes(value: bytes | None) -> bytes | None:
    """ByteArraySerializer: the bytes unchanged."""
    return value


# ----------------------------------------------------------------------- randomness


class DrawsExhaustedError(LookupError):
    """A scripted draw sequence ran out (the computation needed more random numbers)."""


def scripted_draw(values: Sequence[int]) -> Draw:
    """A Draw that replays fixed raw ints in order (for tests and counterexample replay)."""
    iterator = iter(values)

    def draw(bound: int) -> int:
        """Next scripted value."""
        try:
            return next(iterator)
        except StopIteration:
            raise DrawsExhaustedError(f"no scripted random left (bound {bound})") from None

    return draw


def java_random_draw(rng: _random.Random) -> Draw:
    """A Draw backed by a Python RNG yielding uniformly distributed Java ints (simulation)."""
    return lambda bound: _int32(rng.getrandbits(32))


class _NeedDraw(Exception):
    """Internal: the enumerated computation asked for a draw beyond the current prefix."""

    def __init__(self, bound: int) -> None:
        """Remember the bound of the missing draw."""
        super().__init__(bound)
        self.bound = bound


def enumerate_draws(
    run: Callable[[Draw], T], max_draws: int = 8
) -> list[tuple[tuple[int, ...], T]]:
    """Every outcome of run(draw) over all draw values 0..bound-1 (depth-first, bounded)."""
    # Paths needing more than max_draws random numbers are dropped; they only arise from
    # StickyPartitionCache's retry-until-different loop, whose probability vanishes.
    results: list[tuple[tuple[int, ...], T]] = []
    stack: list[tuple[int, ...]] = [()]
    while stack:
        prefix = stack.pop()
        position = 0

        def draw(bound: int, prefix: tuple[int, ...] = prefix) -> int:
            """Replay the prefix, then ask the explorer to branch."""
            nonlocal position
            if position < len(prefix):
                position += 1
                return prefix[position - 1]
            raise _NeedDraw(bound)

        try:
            outcome = run(draw)
        except _NeedDraw as need:
            if len(prefix) < max_draws:
                stack.extend(prefix + (v,) for v in reversed(range(max(need.bound, 1))))
            continue
        results.append((prefix, outcome))
    return results


def _pick(draw: Draw, bound: int) -> int:
    """toPositive(ThreadLocalRandom.nextInt()) % bound."""
    return to_positive(draw(bound)) % bound


# ------------------------------------------------------------------- cluster view


@dataclass(frozen=True)
class TopicView:
    """What the partitioners read from Cluster for one topic: partition count and leader order."""

    num_partitions: int
    available: tuple[int, ...] | None = None
    """availablePartitionsForTopic: partitions with a leader, in Cluster list order (None = all)."""

    def available_partitions(self) -> tuple[int, ...]:
        """Cluster.availablePartitionsForTopic as partition ids, in Cluster order."""
        if self.available is None:
            return tuple(range(self.num_partitions))
        return self.available


# ---------------------------------------------------------- KIP-794 BuiltInPartitioner


@dataclass(frozen=True)
class PartitionLoadStats:
    """BuiltInPartitioner.PartitionLoadStats: cumulative frequency table over leader partitions."""

    cumulative_frequency_table: tuple[int, ...]
    partition_ids: tuple[int, ...]


@dataclass(frozen=True)
class StickyPartitionInfo:
    """BuiltInPartitioner.StickyPartitionInfo: current sticky partition and bytes produced to it."""

    partition: int
    produced_bytes: int = 0


def partition_load_stats(
    queue_sizes: Sequence[int], partition_ids: Sequence[int], length: int | None = None
) -> PartitionLoadStats | None:
    """BuiltInPartitioner.updatePartitionLoadStats: CFT of (max+1 - queue size), or None."""
    if length is None:
        length = len(queue_sizes)
    if length < 1 or len(queue_sizes) < 2:
        return None
    max_plus_1 = queue_sizes[0]
    all_equal = True
    for size in queue_sizes[1:length]:
        if size != max_plus_1:
            all_equal = False
        max_plus_1 = max(max_plus_1, size)
    max_plus_1 += 1
    if all_equal and length == len(queue_sizes):
        return None
    table: list[int] = []
    running = 0
    for size in queue_sizes[:length]:
        running += max_plus_1 - size
        table.append(running)
    return PartitionLoadStats(tuple(table), tuple(partition_ids[:length]))


def _cft_index(table: Sequence[int], weighted: int) -> int:
    """Index of the first CFT entry strictly greater than weighted (Arrays.binarySearch + 1)."""
    low, high = 0, len(table)
    while low < high:
        mid = (low + high) // 2
        if table[mid] <= weighted:
            low = mid + 1
        else:
            high = mid
    return low


def builtin_next_partition(
    draw: Draw, view: TopicView, load_stats: PartitionLoadStats | None = None
) -> int:
    """BuiltInPartitioner.nextPartition: uniform over available partitions, or CFT-weighted."""
    if load_stats is None:
        available = view.available_partitions()
        if available:
            return available[_pick(draw, len(available))]
        return _pick(draw, view.num_partitions)
    table = load_stats.cumulative_frequency_table
    weighted = _pick(draw, table[-1])
    return load_stats.partition_ids[_cft_index(table, weighted)]


def builtin_peek_partition(
    info: StickyPartitionInfo | None,
    draw: Draw,
    view: TopicView,
    load_stats: PartitionLoadStats | None = None,
) -> StickyPartitionInfo:
    """BuiltInPartitioner.peekCurrentPartitionInfo: keep the sticky partition or pick one lazily."""
    if info is not None:
        return info
    return StickyPartitionInfo(builtin_next_partition(draw, view, load_stats))


def builtin_should_switch(produced_bytes: int, batch_size: int, enable_switch: bool) -> bool:
    """updatePartitionInfo switch rule: >= batch.size when switching allowed, or >= 2*batch.size."""
    return (produced_bytes >= batch_size and enable_switch) or produced_bytes >= 2 * batch_size


def builtin_update_partition_info(
    info: StickyPartitionInfo,
    appended_bytes: int,
    enable_switch: bool,
    batch_size: int,
    draw: Draw,
    view: TopicView,
    load_stats: PartitionLoadStats | None = None,
) -> tuple[StickyPartitionInfo, bool]:
    """BuiltInPartitioner.updatePartitionInfo: add bytes, maybe switch; returns (info, switched)."""
    if batch_size < 1:
        raise ValueError("stickyBatchSize must be >= 1")
    produced = info.produced_bytes + appended_bytes
    if builtin_should_switch(produced, batch_size, enable_switch):
        return StickyPartitionInfo(builtin_next_partition(draw, view, load_stats)), True
    return StickyPartitionInfo(info.partition, produced), False


def partition_ready_queue_sizes(
    deque_sizes: Mapping[int, int],
    num_partitions: int,
    leaders: frozenset[int] | set[int],
    excluded: frozenset[int] | set[int] = frozenset(),
    adaptive: bool = True,
) -> tuple[list[int], list[int], int] | None:
    """RecordAccumulator.partitionReady: (queueSizes, partitionIds, length) or None."""
    # deque_sizes maps each partition that has an entry in the accumulator's batches map
    # to its deque length (0 for an empty deque); iteration is ascending partition id,
    # which is ConcurrentHashMap's order for these Integer keys.  ``excluded`` are the
    # leader partitions dropped by partitioner.availability.timeout.ms.  An empty deque
    # following an excluded partition inherits its queue size, exactly as the Java array
    # reuse does.
    if not adaptive or len(deque_sizes) < num_partitions:
        return None
    queue_sizes = [0] * len(deque_sizes)
    partition_ids = [0] * len(deque_sizes)
    index = -1
    for partition in sorted(deque_sizes):
        if partition in leaders:
            index += 1
            partition_ids[index] = partition
        size = deque_sizes[partition]
        if size == 0 or partition not in leaders:
            continue
        queue_sizes[index] = size
        if partition in excluded:
            index -= 1
    return queue_sizes, partition_ids, index + 1


# ------------------------------------------------------ RecordAccumulator (abstracted)


@dataclass(frozen=True)
class BatchSketch:
    """A ProducerBatch reduced to its size accounting (uncompressed v2 estimate)."""

    write_limit: int
    estimated_bytes: int
    records: int
    closed: bool = False

    def is_full(self) -> bool:
        """MemoryRecordsBuilder.isFull: closed, or a record written and writeLimit reached."""
        return self.closed or (self.records > 0 and self.write_limit <= self.estimated_bytes)

    def has_room_for(self, record_bytes: int) -> bool:
        """MemoryRecordsBuilder.hasRoomFor: always room for the first record."""
        if self.is_full():
            return False
        return self.records == 0 or self.write_limit >= self.estimated_bytes + record_bytes


def all_batches_full(deque: Sequence[BatchSketch]) -> bool:
    """RecordAccumulator.allBatchesFull: the last batch is full, or the deque is empty."""
    return not deque or deque[-1].is_full()


@dataclass(frozen=True)
class TopicAccumulator:
    """Per-topic accumulator state: sticky info, load stats, and each partition's batch deque.

    ``deques[p]`` is None while partition p has no entry in the batches map (Kafka
    creates the entry on the first append to p and never removes it).
    """

    num_partitions: int
    deques: tuple[tuple[BatchSketch, ...] | None, ...] = ()
    sticky: StickyPartitionInfo | None = None
    load_stats: PartitionLoadStats | None = None

    def __post_init__(self) -> None:
        """Start with no batches-map entries."""
        if not self.deques:
            object.__setattr__(self, "deques", (None,) * self.num_partitions)

    def deque(self, partition: int) -> tuple[BatchSketch, ...]:
        """The partition's deque (empty when no entry exists yet)."""
        return self.deques[partition] or ()

    def with_deque(self, partition: int, deque: tuple[BatchSketch, ...]) -> TopicAccumulator:
        """A copy with partition's deque replaced (creating its batches-map entry)."""
        deques = list(self.deques)
        deques[partition] = deque
        return replace(self, deques=tuple(deques))


@dataclass(frozen=True)
class AccumulatorAppend:
    """RecordAccumulator.RecordAppendResult reduced to what a model needs."""

    state: TopicAccumulator
    partition: int
    new_batch_created: bool
    abort_for_new_batch: bool = False


def _switch_if_due(
    state: TopicAccumulator,
    info: StickyPartitionInfo | None,
    batch_size: int,
    draw: Draw,
    view: TopicView,
    deque: Sequence[BatchSketch],
) -> tuple[TopicAccumulator, bool]:
    """RecordAccumulator.partitionChanged: complete a deferred switch once all batches are full."""
    if info is None or not all_batches_full(deque):
        return state, False
    new_info, switched = builtin_update_partition_info(
        info, 0, True, batch_size, draw, view, state.load_stats
    )
    return replace(state, sticky=new_info), switched


def _record_bytes_added(
    state: TopicAccumulator,
    info: StickyPartitionInfo | None,
    appended: int,
    batch_size: int,
    draw: Draw,
    view: TopicView,
    deque: Sequence[BatchSketch],
) -> TopicAccumulator:
    """The updatePartitionInfo call after an append (switch enabled only if all batches full)."""
    if info is None:
        return state
    new_info, _ = builtin_update_partition_info(
        info, appended, all_batches_full(deque), batch_size, draw, view, state.load_stats
    )
    return replace(state, sticky=new_info)


def accumulator_append(
    state: TopicAccumulator,
    partition: int,
    record_bytes: int,
    batch_size: int,
    view: TopicView,
    draw: Draw,
    abort_on_new_batch: bool = False,
) -> AccumulatorAppend:
    """RecordAccumulator.append with the built-in partitioner for UNKNOWN_PARTITION (KIP-794)."""
    # record_bytes is the record's encoded size inside a batch; a new batch costs
    # RECORD_BATCH_OVERHEAD plus the record, and its write limit is
    # max(batch.size, that size) (uncompressed, magic v2 sizing).
    while True:
        info: StickyPartitionInfo | None = None
        effective = partition
        if partition == UNKNOWN_PARTITION:
            info = builtin_peek_partition(state.sticky, draw, view, state.load_stats)
            state = replace(state, sticky=info)
            effective = info.partition
        deque = state.deque(effective)
        state = state.with_deque(effective, deque)
        state, switched = _switch_if_due(state, info, batch_size, draw, view, deque)
        if switched:
            continue
        last = deque[-1] if deque else None
        if last is not None and last.has_room_for(record_bytes):
            grown = replace(
                last, estimated_bytes=last.estimated_bytes + record_bytes, records=last.records + 1
            )
            deque = deque[:-1] + (grown,)
            state = state.with_deque(effective, deque)
            state = _record_bytes_added(state, info, record_bytes, batch_size, draw, view, deque)
            return AccumulatorAppend(state, effective, False)
        if last is not None:
            deque = deque[:-1] + (replace(last, closed=True),)
            state = state.with_deque(effective, deque)
        if abort_on_new_batch:
            return AccumulatorAppend(state, effective, False, abort_for_new_batch=True)
        state, switched = _switch_if_due(state, info, batch_size, draw, view, deque)
        if switched:
            continue
        size = RECORD_BATCH_OVERHEAD + record_bytes
        batch = BatchSketch(max(batch_size, size), size, 1)
        deque = deque + (batch,)
        state = state.with_deque(effective, deque)
        state = _record_bytes_added(state, info, size, batch_size, draw, view, deque)
        return AccumulatorAppend(state, effective, True)


def drain_first_batch(state: TopicAccumulator, partition: int) -> TopicAccumulator:
    """Sender drain: remove the oldest batch of a partition's deque (the entry itself stays)."""
    deque = state.deque(partition)
    if not deque:
        return state
    return state.with_deque(partition, deque[1:])


def refresh_load_stats(
    state: TopicAccumulator,
    leaders: frozenset[int] | set[int],
    excluded: frozenset[int] | set[int] = frozenset(),
    adaptive: bool = True,
) -> TopicAccumulator:
    """Sender.ready -> partitionReady -> updatePartitionLoadStats for this topic."""
    sizes = {p: len(d) for p, d in enumerate(state.deques) if d is not None}
    ready = partition_ready_queue_sizes(sizes, state.num_partitions, leaders, excluded, adaptive)
    stats = None if ready is None else partition_load_stats(*ready)
    return replace(state, load_stats=stats)


# ------------------------------------------------- KIP-480 sticky cache (legacy)


def sticky_cache_next_partition(
    cache: Mapping[str, int], topic: str, prev_partition: int, view: TopicView, draw: Draw
) -> tuple[dict[str, int], int]:
    """StickyPartitionCache.nextPartition: re-pick only if prev matches; never the old one."""
    result = dict(cache)
    old = cache.get(topic)
    if old is not None and old != prev_partition:
        return result, old
    available = view.available_partitions()
    if not available:
        new = _pick(draw, view.num_partitions)
    elif len(available) == 1:
        new = available[0]
    else:
        new = None
        while new is None or new == old:
            new = available[_pick(draw, len(available))]
    result[topic] = new
    return result, new


def sticky_cache_partition(
    cache: Mapping[str, int], topic: str, view: TopicView, draw: Draw
) -> tuple[dict[str, int], int]:
    """StickyPartitionCache.partition: the cached partition, or a first pick."""
    if topic in cache:
        return dict(cache), cache[topic]
    return sticky_cache_next_partition(cache, topic, -1, view, draw)


# -------------------------------------------------------- Partitioner plugins


class PartitionerModel(Protocol):
    """A producer Partitioner plugin as pure functions over an immutable state."""

    def initial_state(self) -> object:
        """The state of a freshly configured partitioner."""
        ...

    def partition(
        self, state: object, topic: str, key_bytes: bytes | None, view: TopicView, draw: Draw
    ) -> tuple[object, int]:
        """Partitioner.partition."""
        ...

    def on_new_batch(
        self, state: object, topic: str, view: TopicView, prev_partition: int, draw: Draw
    ) -> object:
        """Partitioner.onNewBatch (deprecated hook, still called by KafkaProducer)."""
        ...


@dataclass(frozen=True)
class RoundRobinState:
    """RoundRobinPartitioner state: per-topic counters and the remembered onNewBatch partition."""

    counters: tuple[tuple[str, int], ...] = ()
    previous: tuple[str, int] | None = None

    def counter(self, topic: str) -> int:
        """The topic's AtomicInteger value (0 when absent)."""
        return dict(self.counters).get(topic, 0)

    def with_counter(self, topic: str, value: int) -> RoundRobinState:
        """A copy with the topic's counter set (int32 wrap, like AtomicInteger)."""
        counters = dict(self.counters)
        counters[topic] = _int32(value)
        return replace(self, counters=tuple(sorted(counters.items())))


@dataclass(frozen=True)
class RoundRobinPartitioner:
    """RoundRobinPartitioner: per-topic counter over available partitions, keys ignored.

    kafka_17632_fix=False is the code at the reference snapshot (3.x): with
    abortOnNewBatch the first record of every new batch calls partition() twice and
    skips a counter value (KAFKA-9965; with an even partition count half the
    partitions starve).  kafka_17632_fix=True gives one counter value per record, the
    behaviour after KAFKA-17632 (PR #17620, merged after the snapshot) and in Kafka 4.x,
    whose kafka-clients no longer has Partitioner.onNewBatch nor abortOnNewBatch.  It is
    modelled by remembering (topic, prevPartition) in onNewBatch and returning it from
    the next partition() call for that topic, which yields the same partitions.
    """

    kafka_17632_fix: bool = False

    def initial_state(self) -> RoundRobinState:
        """A fresh partitioner: no counters, nothing remembered."""
        return RoundRobinState()

    def partition(
        self, state: object, topic: str, key_bytes: bytes | None, view: TopicView, draw: Draw
    ) -> tuple[RoundRobinState, int]:
        """RoundRobinPartitioner.partition: counter.getAndIncrement() over available partitions."""
        assert isinstance(state, RoundRobinState)
        if self.kafka_17632_fix and state.previous is not None:
            remembered = state.previous
            state = replace(state, previous=None)
            if remembered[0] == topic:
                return state, remembered[1]
        value = state.counter(topic)
        state = state.with_counter(topic, value + 1)
        available = view.available_partitions()
        if available:
            return state, available[to_positive(value) % len(available)]
        return state, to_positive(value) % view.num_partitions

    def on_new_batch(
        self, state: object, topic: str, view: TopicView, prev_partition: int, draw: Draw
    ) -> RoundRobinState:
        """RoundRobinPartitioner.onNewBatch: no-op before KAFKA-17632, remember it after."""
        assert isinstance(state, RoundRobinState)
        if self.kafka_17632_fix:
            return replace(state, previous=(topic, prev_partition))
        return state


@dataclass(frozen=True)
class DefaultPartitionerBefore24(RoundRobinPartitioner):
    """DefaultPartitioner of Kafka 0.8 to 2.3: murmur2 for keys, else a per-topic counter.

    The counter starts at ThreadLocalRandom.nextInt() (drawn here as its residue modulo
    every possible count of available partitions) and moves once per keyless record:
    these releases call partition() once per send (abortOnNewBatch came with KIP-480 in
    2.4), which the remembered onNewBatch partition of the parent reproduces.
    """

    kafka_17632_fix: bool = True
    most_partitions: int = 0  # the topic's partition count at its largest (0: the view's)

    def partition(
        self, state: object, topic: str, key_bytes: bytes | None, view: TopicView, draw: Draw
    ) -> tuple[RoundRobinState, int]:
        """DefaultPartitioner.partition (2.3): keyed -> murmur2 over all partitions, else next."""
        assert isinstance(state, RoundRobinState)
        if key_bytes is not None and state.previous is None:
            return state, partition_for_key(key_bytes, view.num_partitions)
        if key_bytes is None and topic not in dict(state.counters):
            # every residue for every count of available partitions, including the counts
            # of partitions added later
            most = max(self.most_partitions, view.num_partitions)
            start = draw(math.lcm(*range(1, most + 1)))
            state = state.with_counter(topic, start)
        return super().partition(state, topic, None, view, draw)


@dataclass(frozen=True)
class _StickyCacheState:
    """Immutable StickyPartitionCache contents (topic -> sticky partition)."""

    entries: tuple[tuple[str, int], ...] = ()

    @staticmethod
    def of(cache: Mapping[str, int]) -> _StickyCacheState:
        """Freeze a cache mapping."""
        return _StickyCacheState(tuple(sorted(cache.items())))


@dataclass(frozen=True)
class DefaultPartitioner:
    """Legacy DefaultPartitioner (KIP-480): murmur2 for keys, StickyPartitionCache otherwise."""

    def initial_state(self) -> _StickyCacheState:
        """An empty sticky cache."""
        return _StickyCacheState()

    def partition(
        self, state: object, topic: str, key_bytes: bytes | None, view: TopicView, draw: Draw
    ) -> tuple[_StickyCacheState, int]:
        """DefaultPartitioner.partition: keyed -> murmur2 over all partitions, else sticky."""
        assert isinstance(state, _StickyCacheState)
        if key_bytes is not None:
            return state, partition_for_key(key_bytes, view.num_partitions)
        cache, chosen = sticky_cache_partition(dict(state.entries), topic, view, draw)
        return _StickyCacheState.of(cache), chosen

    def on_new_batch(
        self, state: object, topic: str, view: TopicView, prev_partition: int, draw: Draw
    ) -> _StickyCacheState:
        """DefaultPartitioner.onNewBatch: StickyPartitionCache.nextPartition (even for keyed)."""
        assert isinstance(state, _StickyCacheState)
        cache, _ = sticky_cache_next_partition(
            dict(state.entries), topic, prev_partition, view, draw
        )
        return _StickyCacheState.of(cache)


@dataclass(frozen=True)
class UniformStickyPartitionerLegacy(DefaultPartitioner):
    """Legacy UniformStickyPartitioner (KIP-480): the sticky cache for every record, no keys."""

    def partition(
        self, state: object, topic: str, key_bytes: bytes | None, view: TopicView, draw: Draw
    ) -> tuple[_StickyCacheState, int]:
        """UniformStickyPartitioner.partition: StickyPartitionCache.partition, ignoring the key."""
        return super().partition(state, topic, None, view, draw)


# ----------------------------------------------------------- KafkaProducer flow


def producer_partition(
    record_partition: int | None,
    serialized_key: bytes | None,
    num_partitions: int,
    custom: Callable[[], int] | None = None,
    ignore_keys: bool = False,
) -> int:
    """KafkaProducer.partition: explicit > custom partitioner > murmur2 key > UNKNOWN_PARTITION."""
    if record_partition is not None:
        return record_partition
    if custom is not None:
        chosen = custom()
        if chosen < 0:
            raise ValueError(f"The partitioner generated an invalid partition number: {chosen}")
        return chosen
    if serialized_key is not None and not ignore_keys:
        return partition_for_key(serialized_key, num_partitions)
    return UNKNOWN_PARTITION


@dataclass(frozen=True)
class CustomSendResult:
    """Result of send_with_custom_partitioner."""

    partitioner_state: object
    partition: int
    on_new_batch_called: bool = field(default=False)


def send_with_custom_partitioner(
    partitioner: PartitionerModel,
    partitioner_state: object,
    topic: str,
    key_bytes: bytes | None,
    view: TopicView,
    opens_new_batch: Callable[[int], bool],
    draw: Draw,
    record_partition: int | None = None,
) -> CustomSendResult:
    """KafkaProducer.doSend with a partitioner.class: abortOnNewBatch, onNewBatch, re-partition."""
    # opens_new_batch(p) tells whether appending the record to partition p needs a new
    # batch (the accumulator would abort); the record lands on the partition returned.
    state = partitioner_state

    def choose() -> int:
        """Partitioner.partition through the producer precedence."""
        nonlocal state
        state, chosen = partitioner.partition(state, topic, key_bytes, view, draw)
        return chosen

    first = producer_partition(record_partition, key_bytes, view.num_partitions, choose)
    if not opens_new_batch(first):
        return CustomSendResult(state, first)
    state = partitioner.on_new_batch(state, topic, view, first, draw)
    second = producer_partition(record_partition, key_bytes, view.num_partitions, choose)
    return CustomSendResult(state, second, on_new_batch_called=True)
