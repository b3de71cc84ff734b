"""The producer model puts records where Kafka's partitioners would (partitioners.py is tested
against Kafka itself in test_partitioners_match_kafka.py; these tests check that the model
uses it)."""

from __future__ import annotations

import pytest

from kafkacheck.model.algorithms.partitioners import partition_for_key, serialize_string
from kafkacheck.model.clients.producer_partitioning import key_name
from kafkacheck.testing import make_model


def sends(model, state):
    """The Send transitions enabled in ``state``."""
    return [(a, s) for a, s in model.successors(state) if a[0] == "Send"]


def send_all(model, pick=0):
    """Send every record in turn (taking choice ``pick`` where the partitioner branches)."""
    state = model.init_states()[0]
    labels = []
    while True:
        options = sends(model, state)
        if not options:
            return labels
        action, state = options[min(pick, len(options) - 1)]
        labels.append(action)


@pytest.mark.parametrize("partitions", [2, 3, 4])
@pytest.mark.parametrize("keys", [1, 2, 3, 5])
def test_keyed_records_go_to_the_murmur2_partition(partitions, keys):
    model = make_model("producer", {}, partitions=partitions, keys=keys, records=keys + 2)
    state = model.init_states()[0]
    for r in range(keys + 2):
        options = sends(model, state)
        assert len(options) == 1  # keyed records leave the partitioner no choice
        action, state = options[0]
        key = r % keys
        expected = partition_for_key(serialize_string(key_name(key)), partitions)
        assert action == ("Send", f"r{r}", key_name(key), f"p{expected}")


def test_keyless_records_follow_the_sticky_partition_chosen_at_random():
    model = make_model("producer", {}, partitions=3, records=3)
    first = sends(model, model.init_states()[0])
    assert sorted(a[3] for a, _ in first) == ["p0", "p1", "p2"]  # every random draw
    for pick in range(3):
        labels = send_all(model, pick)
        assert len({a[3] for a in labels}) == 1  # batch.size=16384 is never filled here


def test_the_sticky_partition_switches_once_batch_size_bytes_were_produced():
    # Two 10-byte records fill a batch (61 + 2 * 10 bytes); KIP-794 then draws again.
    model = make_model("producer", {}, partitions=2, records=3, batch_records=2)
    state = model.init_states()[0]
    (a0, s0), _ = sends(model, state)
    second = sends(model, s0)
    assert [a[3] for a, _ in second] == [a0[3], a0[3]]  # r1 fills the sticky batch
    assert sorted(a[4] for a, _ in second) == ["next p0", "next p1"]
    for a1, s1 in second:
        (a2, _), = sends(model, s1)
        assert a2[3] == a1[4][5:]


def test_round_robin_partitioner_cycles_one_partition_per_record():
    model = make_model("producer", {"partitioner.class": "RoundRobinPartitioner"},
                       partitions=2, keys=1, records=4)
    assert [a[3] for a in send_all(model)] == ["p0", "p1", "p0", "p1"]


def test_partitioner_ignore_keys_treats_keyed_records_as_keyless():
    model = make_model("producer", {"partitioner.ignore.keys": "true"}, partitions=2, keys=1,
                       records=1)
    assert sorted(a[3] for a, _ in sends(model, model.init_states()[0])) == ["p0", "p1"]


def test_an_explicit_partition_wins_over_the_key():
    model = make_model("producer", {}, partitions=2, keys=1, records=2, record_partition=0)
    key_partition = partition_for_key(serialize_string(key_name(0)), 2)
    assert key_partition == 1
    assert [a[3] for a in send_all(model)] == ["p0", "p0"]


def test_batch_size_zero_puts_each_record_in_its_own_batch():
    model = make_model("producer", {"batch.size": "0"}, records=2)
    state = model.init_states()[0]
    for _ in range(2):
        (_a, state), = sends(model, state)
    assert len(state[4]) == 2  # two batches
