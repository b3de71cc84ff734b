"""Producer partitioning must match Kafka's own classes, vector for vector.

Oracles come from /work/shared/oracles when present, else the committed copy in
tests/oracles.  Cases marked "derived" are extra rules the oracle files cover thinly;
their expected values were worked out from the Kafka source named in the comment.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from oracle_files import load_oracle

from kafkacheck.model.algorithms.partitioners import (
    RECORD_BATCH_OVERHEAD,
    UNKNOWN_PARTITION,
    DefaultPartitioner,
    RoundRobinPartitioner,
    StickyPartitionInfo,
    TopicAccumulator,
    TopicView,
    UniformStickyPartitionerLegacy,
    accumulator_append,
    builtin_next_partition,
    builtin_peek_partition,
    builtin_should_switch,
    builtin_update_partition_info,
    drain_first_batch,
    enumerate_draws,
    java_random_draw,
    murmur2,
    partition_for_key,
    partition_load_stats,
    partition_ready_queue_sizes,
    producer_partition,
    refresh_load_stats,
    scripted_draw,
    send_with_custom_partitioner,
    serialize_boolean,
    serialize_double,
    serialize_int,
    serialize_long,
    serialize_short,
    serialize_string,
    sticky_cache_next_partition,
    sticky_cache_partition,
    to_positive,
)

MURMUR2_VECTORS = load_oracle("murmur2_vectors.json")
PARTITIONER_CASES = load_oracle("partitioner_cases.json")


def _vector_id(vector: dict) -> str:
    return vector["key_hex"][:24] or "empty"


# ----------------------------------------------------------------- keyed records


@pytest.mark.parametrize("vector", MURMUR2_VECTORS, ids=_vector_id)
def test_murmur2_is_kafka_utils_murmur2_as_signed_int32(vector: dict) -> None:
    key = bytes.fromhex(vector["key_hex"])
    assert murmur2(key) == vector["murmur2"]
    assert murmur2(key) & 0xFFFFFFFF == vector["murmur2_unsigned"]
    assert to_positive(murmur2(key)) == vector["to_positive"]


@pytest.mark.parametrize("vector", MURMUR2_VECTORS, ids=_vector_id)
def test_keyed_record_partition_is_murmur2_to_positive_mod_partition_count(vector: dict) -> None:
    key = bytes.fromhex(vector["key_hex"])
    for count, expected in vector["partition"].items():
        assert partition_for_key(key, int(count)) == expected


def test_to_positive_masks_the_sign_bit_instead_of_taking_abs() -> None:
    assert to_positive(-(2**31)) == 0
    assert to_positive(-1) == 2**31 - 1
    assert to_positive(5) == 5


def test_empty_key_is_hashed_and_not_treated_as_a_missing_key() -> None:
    assert murmur2(b"") == 275646681
    assert producer_partition(None, b"", 1000) == 681


def test_keyed_partition_counts_leaderless_partitions_too() -> None:
    # derived: KafkaProducer.partition passes cluster.partitionsForTopic(topic).size()
    key = serialize_string("4")
    assert key is not None
    assert producer_partition(None, key, 100) == partition_for_key(key, 100) == 53


# ----------------------------------------------------------------- serializers


def test_string_serializer_is_utf8_and_java_surrogate_handling() -> None:
    assert serialize_string("abc") == b"abc"
    assert serialize_string("\u00e9") == b"\xc3\xa9"
    assert serialize_string("\ud83d\ude00") == "\U0001f600".encode()
    assert serialize_string("\ud83d") == b"?"  # Java replaces an unpaired surrogate with '?'
    assert serialize_string(None) is None


def test_number_serializers_are_big_endian_twos_complement() -> None:
    assert serialize_int(1) == b"\x00\x00\x00\x01"
    assert serialize_int(-1) == b"\xff\xff\xff\xff"
    assert serialize_long(-2) == b"\xff" * 7 + b"\xfe"
    assert serialize_short(258) == b"\x01\x02"
    assert serialize_boolean(True) == b"\x01"
    assert serialize_double(float("nan")) == bytes.fromhex("7ff8000000000000")


# -------------------------------------------------- KIP-794 uniform sticky partitioner


def test_adaptive_cumulative_frequency_table_matches_builtin_partitioner_test() -> None:
    case = PARTITIONER_CASES["adaptive_cft"]
    stats = partition_load_stats(case["queue_sizes"], case["partition_ids"])
    assert stats is not None
    assert list(stats.cumulative_frequency_table) == case["cumulative_frequency_table"]
    view = TopicView(len(case["partition_ids"]))
    for random_value, partition in case["random_to_partition"].items():
        drawn = builtin_next_partition(scripted_draw([int(random_value)]), view, stats)
        assert drawn == partition, case["rule"]


def test_adaptive_partitioning_picks_each_partition_inversely_to_its_queue() -> None:
    case = PARTITIONER_CASES["adaptive_cft"]
    stats = partition_load_stats(case["queue_sizes"], case["partition_ids"])
    assert stats is not None
    draws = scripted_draw(range(100))  # BuiltInPartitionerTest's SequentialPartitioner
    view = TopicView(5)
    frequencies = [0] * 5
    info = None
    for _ in range(2 * stats.cumulative_frequency_table[-1]):
        info = builtin_peek_partition(info, draws, view, stats)
        frequencies[info.partition] += 1
        info, _ = builtin_update_partition_info(info, 1, True, 1, draws, view, stats)
    assert frequencies == case["sequential_random_2_cycles_frequencies"]


def test_adaptive_partitioning_is_disabled_in_the_documented_conditions() -> None:
    assert partition_load_stats([3], [0]) is None  # fewer than 2 partitions
    assert partition_load_stats([3, 1], [0, 1], 0) is None  # nothing left after exclusion
    assert partition_load_stats([2, 2, 2], [0, 1, 2]) is None  # all equal, none excluded
    # derived: all equal but one excluded (length < queueSizes.length) keeps adaptivity on
    stats = partition_load_stats([2, 2, 2], [0, 1, 2], 2)
    assert stats is not None and stats.partition_ids == (0, 1)


def test_queue_sizes_wait_for_every_partition_and_skip_leaderless_ones() -> None:
    # derived from RecordAccumulator.partitionReady
    assert partition_ready_queue_sizes({0: 1, 1: 2}, 3, {0, 1, 2}) is None
    sizes, ids, length = partition_ready_queue_sizes({0: 1, 1: 2, 2: 3}, 3, {0, 2})
    assert (sizes[:length], ids[:length]) == ([1, 3], [0, 2])
    # an empty deque right after an excluded partition inherits its size (array reuse)
    sizes, ids, length = partition_ready_queue_sizes({0: 4, 1: 0, 2: 1}, 3, {0, 1, 2}, {0})
    assert (sizes[:length], ids[:length]) == ([4, 1], [1, 2])


def test_uniform_pick_uses_available_partitions_in_cluster_order() -> None:
    view = TopicView(4, available=(3, 1))
    assert builtin_next_partition(scripted_draw([0]), view) == 3
    assert builtin_next_partition(scripted_draw([5]), view) == 1
    assert builtin_next_partition(scripted_draw([-1]), view) == 1
    assert builtin_next_partition(scripted_draw([6]), TopicView(4, available=())) == 2


def test_sticky_switch_needs_batch_size_and_full_batches_or_twice_batch_size() -> None:
    assert not builtin_should_switch(99, 100, True)
    assert builtin_should_switch(100, 100, True)
    assert not builtin_should_switch(150, 100, False)
    assert builtin_should_switch(200, 100, False)


def test_uniform_sticky_may_repick_the_same_partition_and_resets_produced_bytes() -> None:
    info, switched = builtin_update_partition_info(
        StickyPartitionInfo(1, 90), 20, True, 100, scripted_draw([1]), TopicView(3)
    )
    assert switched and info == StickyPartitionInfo(1, 0)


def test_record_that_crosses_batch_size_stays_on_the_old_partition() -> None:
    # derived from RecordAccumulator.append: updatePartitionInfo runs after the append
    state = TopicAccumulator(2)
    draws = scripted_draw([0, 1])
    view = TopicView(2)
    first = accumulator_append(state, UNKNOWN_PARTITION, 100, 100, view, draws)
    assert first.partition == 0 and first.new_batch_created
    assert first.state.sticky == StickyPartitionInfo(1, 0)  # 61 + 100 >= 100 and batch is full
    second = accumulator_append(first.state, UNKNOWN_PARTITION, 10, 100, view, draws)
    assert second.partition == 1


def test_deferred_switch_completes_once_the_last_batch_is_full() -> None:
    # derived: enableSwitch=false while the deque's last batch is incomplete; partitionChanged
    # completes the switch when a record finds the last batch full (RecordAccumulator.append)
    view = TopicView(2)
    draws = scripted_draw([0, 1])
    state = TopicAccumulator(2)
    partitions = []
    for _ in range(7):
        result = accumulator_append(state, UNKNOWN_PARTITION, 39, 200, view, draws)
        state = result.state
        partitions.append(result.partition)
        if len(partitions) == 4:
            # batch 1 closed at 178 bytes, batch 2 opened: 278 >= 200 but switch deferred
            assert state.sticky == StickyPartitionInfo(0, 178 + RECORD_BATCH_OVERHEAD + 39)
    assert partitions == [0, 0, 0, 0, 0, 0, 1]
    assert state.sticky == StickyPartitionInfo(1, RECORD_BATCH_OVERHEAD + 39)


def test_refresh_load_stats_feeds_adaptive_choice_from_deque_lengths() -> None:
    state = TopicAccumulator(2)
    for partition in (0, 0, 1):
        state = accumulator_append(
            state, partition, 300, 100, TopicView(2), scripted_draw([])
        ).state
    state = refresh_load_stats(state, {0, 1})
    assert state.load_stats is not None
    assert state.load_stats.cumulative_frequency_table == (1, 3)
    assert refresh_load_stats(drain_first_batch(state, 0), {0, 1}).load_stats is None


def test_enumerating_draws_yields_every_available_partition() -> None:
    outcomes = enumerate_draws(lambda d: builtin_next_partition(d, TopicView(5, (4, 2, 0))))
    assert sorted(outcome for _, outcome in outcomes) == [0, 2, 4]


# ------------------------------------------------------ KIP-480 legacy sticky


def test_legacy_sticky_cache_changes_only_when_the_new_batch_is_on_the_sticky_partition() -> None:
    view = TopicView(3)
    cache, first = sticky_cache_partition({}, "t", view, scripted_draw([1]))
    assert first == 1
    unchanged, partition = sticky_cache_next_partition(cache, "t", 2, view, scripted_draw([]))
    assert partition == 1 and unchanged == cache


def test_legacy_sticky_cache_never_repicks_the_old_partition() -> None:
    cache, new = sticky_cache_next_partition(
        {"t": 1}, "t", 1, TopicView(3), scripted_draw([1, 4, 3])
    )
    assert new == 0  # 1 -> same, 4 % 3 = 1 -> same, 3 % 3 = 0
    outcomes = {
        o[1]
        for _, o in enumerate_draws(
            lambda d: sticky_cache_next_partition({"t": 1}, "t", 1, TopicView(3), d)
        )
    }
    assert outcomes == {0, 2}


def test_legacy_sticky_cache_single_or_no_available_partition() -> None:
    assert (
        sticky_cache_next_partition({"t": 1}, "t", 1, TopicView(3, (1,)), scripted_draw([]))[1] == 1
    )
    assert sticky_cache_next_partition({}, "t", -1, TopicView(3, ()), scripted_draw([5]))[1] == 2


def test_default_partitioner_on_new_batch_moves_sticky_even_after_a_keyed_record() -> None:
    # derived: KafkaProducer.doSend calls onNewBatch(prevPartition) for keyed records too, and
    # StickyPartitionCache moves the sticky partition when prevPartition equals it
    partitioner = DefaultPartitioner()
    view = TopicView(3)
    state, sticky = partitioner.partition(
        partitioner.initial_state(), "t", None, view, scripted_draw([1])
    )
    key = serialize_string("4")
    assert sticky == partition_for_key(key, 3) == 1
    result = send_with_custom_partitioner(
        partitioner, state, "t", key, view, lambda p: True, scripted_draw([0])
    )
    assert result.partition == 1 and result.on_new_batch_called
    _, keyless = partitioner.partition(result.partitioner_state, "t", None, view, scripted_draw([]))
    assert keyless == 0


def test_uniform_sticky_legacy_ignores_keys() -> None:
    partitioner = UniformStickyPartitionerLegacy()
    _, partition = partitioner.partition(
        partitioner.initial_state(), "t", b"key", TopicView(4), scripted_draw([3])
    )
    assert partition == 3


# ------------------------------------------------------------- round robin


def test_round_robin_counters_are_per_topic_and_ignore_keys() -> None:
    example = PARTITIONER_CASES["round_robin_partitioner"]["example_from_test"]
    partitioner = RoundRobinPartitioner()
    state = partitioner.initial_state()
    counts: Counter[int] = Counter()
    view_a = TopicView(example["topicA_partitions"])
    for i in range(example["calls_topicA"]):
        if i % 5 == 0:
            state, _ = partitioner.partition(state, "topicB", b"k", TopicView(2), scripted_draw([]))
        state, partition = partitioner.partition(state, "topicA", b"k", view_a, scripted_draw([]))
        counts[partition] += 1
    assert {str(k): v for k, v in counts.items()} == example["expected_counts"]


def test_round_robin_walks_available_partitions_in_cluster_order() -> None:
    partitioner = RoundRobinPartitioner()
    state = partitioner.initial_state()
    seen = []
    for _ in range(4):
        state, partition = partitioner.partition(state, "t", None, TopicView(4, (2, 0)), None)
        seen.append(partition)
    assert seen == [2, 0, 2, 0]


def test_round_robin_skips_a_counter_value_per_new_batch_before_the_fix() -> None:
    # KAFKA-9965: abortOnNewBatch makes partition() run twice for the first record of a batch
    partitioner = RoundRobinPartitioner()
    state = partitioner.initial_state()
    seen = []
    for _ in range(4):
        result = send_with_custom_partitioner(
            partitioner, state, "t", None, TopicView(4), lambda p: True, scripted_draw([])
        )
        state = result.partitioner_state
        seen.append(result.partition)
    assert seen == [1, 3, 1, 3]


def test_round_robin_uses_one_counter_value_per_record_after_the_fix() -> None:
    partitioner = RoundRobinPartitioner(kafka_17632_fix=True)
    state = partitioner.initial_state()
    seen = []
    for _ in range(5):
        result = send_with_custom_partitioner(
            partitioner, state, "t", None, TopicView(4), lambda p: True, scripted_draw([])
        )
        state = result.partitioner_state
        seen.append(result.partition)
    assert seen == [0, 1, 2, 3, 0]


# ------------------------------------------------- KafkaProducer.partition precedence


def test_producer_partition_precedence_explicit_custom_key_then_unknown() -> None:
    calls = []

    def custom() -> int:
        calls.append(1)
        return 2

    assert producer_partition(0, b"k", 3, custom) == 0 and not calls
    assert producer_partition(None, b"k", 3, custom) == 2 and calls
    assert producer_partition(None, b"k", 3) == partition_for_key(b"k", 3)
    assert producer_partition(None, b"k", 3, ignore_keys=True) == UNKNOWN_PARTITION
    assert producer_partition(None, None, 3) == UNKNOWN_PARTITION
    with pytest.raises(ValueError):
        producer_partition(None, None, 3, lambda: -1)


def test_random_draw_adapter_is_reproducible() -> None:
    a = java_random_draw(random.Random(7))
    b = java_random_draw(random.Random(7))
    assert [a(3) for _ in range(5)] == [b(3) for _ in range(5)]
