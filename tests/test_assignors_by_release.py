"""The assignors module reproduces the newest client code. A sticky assignor of a release
before its fix for two claims of one partition runs other code: NOT COVERED, never a
verdict (session 30's versions review: 2.2's StickyAssignor gives a paused member's
partition to it and to its new owner in one generation)."""

from __future__ import annotations

import pytest

from kafkacheck.explorer.result import INCOMPLETE
from kafkacheck.testing import check

PAUSED = {"pauses": 1, "consumers": 2, "partitions": 1}


def _not_covered(run) -> bool:
    return run.result == INCOMPLETE and "partition.assignment.strategy" in " ".join(
        run.uncovered_settings)


@pytest.mark.parametrize("strategy,before,fixed", [
    ("sticky", "2.2", "2.3"),                  # KAFKA-7026 (KIP-341)
    ("cooperative-sticky", "2.8", "3.0"),      # KAFKA-12984
])
def test_a_sticky_assignor_before_its_fix_is_not_covered(strategy, before, fixed):
    old = check({"partition.assignment.strategy": strategy}, model="group", bounds=PAUSED,
                kafka_version=before)
    assert _not_covered(old)  # it said OneOwnerPerGeneration HOLDS on 2.2
    new = check({"partition.assignment.strategy": strategy}, model="group", bounds=PAUSED,
                kafka_version=fixed)
    assert not new.uncovered_settings


def test_range_and_the_default_list_are_covered_on_old_releases():
    for settings in ({}, {"partition.assignment.strategy": "range"}):
        assert not check(settings, model="group", kafka_version="2.2").uncovered_settings


def test_a_sink_task_consumer_given_an_old_sticky_assignor_is_not_covered():
    key = "consumer.partition.assignment.strategy"
    assert _not_covered(check({key: "sticky"}, model="sink", kafka_version="2.2"))
    assert not check({key: "sticky"}, model="sink", kafka_version="2.3").uncovered_settings
