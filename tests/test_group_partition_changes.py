"""Partitions added to a subscribed topic while the group runs.

The group leader's metadata refresh sees the new partition, its assignment snapshot no
longer matches (ConsumerCoordinator.rejoinNeededOrPending) and it rejoins; the new
partition has no committed offset, so its first position comes from auto.offset.reset.
With latest (the default) the records a producer wrote into it before that are skipped.
"""

from __future__ import annotations

import pytest

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

GROW = {"consumers": 1, "partitions": 2, "records": 1, "added_partitions": 1}
PROPS = ["NoSkippedOffsets", "AllRecordsProcessed", "BalancedAssignment"]


def test_with_latest_the_records_written_to_a_new_partition_before_the_reset_are_skipped():
    result = breadth_first(make_model("group", {}, **GROW), PROPS)
    assert [tuple(a) for a in result.violation("NoSkippedOffsets").trace.actions] == [
        ("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0}"),
        ("Poll", "C1", "p0", "none", "reset latest"), ("AddPartitions", "1 -> 2"),
        ("Join", "C1", "auto-commit", "revoke all"), ("Sync", "C1", "{p0, p1}"),
        ("Produce", "p1", "offset 0"), ("Poll", "C1", "p1", "none", "reset latest")]
    assert len(result.violation("AllRecordsProcessed").trace.actions) == 11
    assert result.verdict(result.properties[2]) == "holds"


def test_with_earliest_the_new_partition_is_read_from_its_start():
    result = breadth_first(make_model("group", {"auto.offset.reset": "earliest"}, **GROW),
                           PROPS)
    assert result.result == "holds" and result.complete and result.distinct_states == 72


def test_a_topic_that_does_not_grow_loses_nothing_with_latest():
    result = breadth_first(make_model("group", {}, consumers=1, partitions=2, records=1),
                           PROPS)
    assert result.result == "holds" and result.distinct_states == 78


def test_added_partitions_leave_one_to_start_with_and_need_the_abstract_log():
    with pytest.raises(UsageError, match="at least one partition"):
        make_model("group", {}, partitions=1, added_partitions=1)
    with pytest.raises(UsageError, match="log=abstract"):
        make_model("group", {}, partitions=2, added_partitions=1, log="replicated")
