"""Adding partitions to a topic moves keys: the producer partitions a keyed record by
murmur2(key) modulo the partition count in its metadata (BuiltInPartitioner
.partitionForKey), so after CreatePartitions and a metadata refresh a key may land in a
new partition, and its records are no longer in one partition in send order.
"""

from __future__ import annotations

import pytest
from verdicts import holds_but_not_checked

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.algorithms.partitioners import partition_for_key
from kafkacheck.model.clients.producer_partitioning import key_bytes
from kafkacheck.testing import make_model

KEYED = {"keys": 1, "records": 2, "lost_responses": 0}


def test_key_0_hashes_to_partition_0_of_1_and_to_partition_1_of_2_and_3():
    assert [partition_for_key(key_bytes(0), n) for n in (1, 2, 3)] == [0, 1, 1]


def test_a_partition_added_between_two_sends_splits_a_key_across_partitions():
    model = make_model("producer", {}, partitions=1, added_partitions=1, **KEYED)
    result = breadth_first(model, ["KeyOrder"])
    trace = [tuple(a) for a in result.violation("KeyOrder").trace.actions]
    assert trace[:3] == [("Send", "r0", "key-0", "p0"), ("AddPartitions", "1 -> 2"),
                         ("Send", "r1", "key-0", "p1")]
    assert len(trace) == 8  # both records appended, one in each partition
    # The same producer on a topic that does not grow keeps the key in one partition.
    fixed = breadth_first(make_model("producer", {}, partitions=1, **KEYED))
    # (no send fails definitely: DefiniteFailureAbsent not checked; it was HOLDS, audit s21;
    # one replica: ReplicasAgreeBelowHw not checked)
    assert holds_but_not_checked(fixed, {"DefiniteFailureAbsent", "ReplicasAgreeBelowHw"},
                                 {"SomeSendFailedDefinitely"})
    assert fixed.distinct_states == 24


def test_a_key_whose_partition_is_the_same_under_both_counts_keeps_its_order():
    result = breadth_first(make_model("producer", {}, partitions=2, added_partitions=1,
                                      **KEYED), ["KeyOrder"])
    assert result.result == "holds" and result.complete and result.distinct_states == 48


def test_at_most_four_partitions_in_all():
    with pytest.raises(UsageError, match="at most 4 partitions"):
        make_model("producer", {}, partitions=3, added_partitions=2)
