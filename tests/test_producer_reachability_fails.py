"""The producer's reachability checks fail when what they look for cannot happen (bugs)."""

from __future__ import annotations

import pytest
from mutants import make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

FAILOVER = {"replication.factor": "2", "min.insync.replicas": "2"}


@pytest.mark.parametrize("prop,settings,bounds,mutant", [
    ("SomeRecordAcked", {}, {"records": 1}, "never-ack"),
    ("SomeBatchRetried", {}, {"records": 1}, "never-retry"),
    ("RetryAfterFailover", FAILOVER, {"records": 1, "crashes": 1}, "never-retry"),
    ("TimedOutSendWritten", {"enable.idempotence": "false", "retries": "0"},
     {"records": 1}, "timeout-only-unread"),
])
def test_each_producer_reachability_check_fails_when_its_event_cannot_happen(prop, settings,
                                                                            bounds, mutant):
    result = breadth_first(make_mutant("producer", mutant, settings, **bounds), [prop])
    violation = result.violation(prop)
    assert violation is not None and violation.reason == "never-reached"


@pytest.mark.parametrize("prop,settings,bounds", [
    ("SomeRecordAcked", {}, {"records": 1}),
    ("SomeBatchRetried", {}, {"records": 1}),
    ("RetryAfterFailover", FAILOVER, {"records": 1, "crashes": 1}),
    ("TimedOutSendWritten", {"enable.idempotence": "false", "retries": "0"}, {"records": 1}),
])
def test_the_same_checks_are_reached_without_the_bug(prop, settings, bounds):
    result = breadth_first(make_model("producer", settings, **bounds), [prop])
    assert result.result == "holds" and prop in result.witnesses
