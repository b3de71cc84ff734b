"""What reaches a Connect task's clients: the worker's consumer./producer. keys, then the
connector's *.override. keys (KIP-458), as the worker's override policy allows them
(KIP-722); the bare keys are the worker's own (Worker.baseConsumerConfigs)."""

from __future__ import annotations

import pytest

from kafkacheck.config import UsageError
from kafkacheck.testing import check

COOPERATIVE = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
RANGE = "org.apache.kafka.clients.consumer.RangeAssignor"
TWO = {"partitions": 2}


def _sink(settings: dict[str, str], version: str | None = None):
    return check(settings, model="sink", bounds=TWO, kafka_version=version)


def test_the_task_consumer_runs_the_assignor_its_prefixed_keys_name():
    # Kafka 4.4's default [range, cooperative-sticky] runs the eager protocol; the task's
    # own cooperative-sticky runs the cooperative one: more states, and no NOT COVERED.
    default = _sink({})
    assert (default.result, default.distinct_states) == ("violated", 4724)
    for key in ("consumer.partition.assignment.strategy",
                "consumer.override.partition.assignment.strategy"):
        run = _sink({key: COOPERATIVE})
        assert (run.result, run.distinct_states) == ("violated", 13810), key
        assert not run.model.config.uncovered


def test_the_connectors_override_wins_over_the_workers_key():
    run = _sink({"consumer.partition.assignment.strategy": COOPERATIVE,
                 "consumer.override.partition.assignment.strategy": RANGE})
    assert run.distinct_states == 4724


def test_a_bare_group_key_is_the_workers_and_does_not_reach_the_task():
    # Was a wrong red: a worker's session.timeout.ms=1000 (its own group's) was taken as
    # the task consumer's and refused against the heartbeat interval.
    run = _sink({"session.timeout.ms": "1000"})
    assert run.distinct_states == 4724
    assert any("worker key, not the task consumer's" in n for n in run.model.notes())
    # A bare assignor is not the task's either: the run is NOT COVERED, not the assignor's.
    assert _sink({"partition.assignment.strategy": COOPERATIVE}).result == "incomplete"


@pytest.mark.parametrize("key,value,problem", [
    ("consumer.override.session.timeout.ms", "1000", "heartbeat.interval.ms=3000 must be lower"),
    ("consumer.heartbeat.interval.ms", "50000", "must be lower than session.timeout.ms=45000"),
])
def test_a_task_consumer_kafka_cannot_build_is_refused(key, value, problem):
    # Was a wrong green: consumer.heartbeat.interval.ms=50000 was "no effect".
    with pytest.raises(UsageError, match=problem):
        _sink({key: value})


def test_before_3_0_the_default_policy_refuses_every_override():
    with pytest.raises(UsageError, match="override.policy=None .its default before 3.0"):
        _sink({"consumer.override.session.timeout.ms": "10000"}, "2.8")
    allowed = _sink({"consumer.override.session.timeout.ms": "10000",
                     "connector.client.config.override.policy": "All"}, "2.8")
    assert any("runs session.timeout.ms=10000" in n for n in allowed.model.notes())
    with pytest.raises(UsageError, match="producer.override.acks: .*policy=None"):
        check({"producer.override.acks": "all"}, model="source", kafka_version="2.8")


def test_the_principal_policy_allows_only_the_principal_keys():
    principal = ("org.apache.kafka.connect.connector.policy."
                 "PrincipalConnectorClientConfigOverridePolicy")
    with pytest.raises(UsageError, match="policy=Principal does not allow"):
        check({"producer.override.acks": "all",
               "connector.client.config.override.policy": principal}, model="source")
    run = check({"producer.override.sasl.mechanism": "PLAIN",
                 "connector.client.config.override.policy": "Principal"}, model="source")
    assert run.result in ("holds", "violated")


def test_before_2_3_there_are_no_overrides_and_the_worker_ignores_them():
    run = _sink({"consumer.override.session.timeout.ms": "1000"}, "2.2")
    assert run.distinct_states == _sink({}, "2.2").distinct_states
    assert any("do not exist before Kafka 2.3" in n for n in run.model.notes())


def test_errors_tolerance_all_without_a_bad_record_is_not_covered():
    # Was HOLDS: with bad_records=0 no record fails conversion, so tolerating failures
    # changes nothing in the run (session 29's client review).
    run = check({"errors.tolerance": "all"}, model="sink")
    assert run.result == "incomplete"
    assert dict(run.model.config.uncovered) == {"errors.tolerance": "all"}
    explored = check({"errors.tolerance": "all"}, model="sink", bounds={"bad_records": 1})
    assert explored.result == "violated" and explored.violation("SinkNoLoss") is not None
