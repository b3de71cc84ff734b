"""What a team writes in its own CI: a few lines asserting its settings keep its guarantees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from kafkacheck.testing import assert_holds, assert_violated, kafka_settings

OUR_PRODUCER = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}


def test_our_producer_settings_never_lose_an_acknowledged_write(kafkacheck):
    result = kafkacheck.assert_holds(OUR_PRODUCER, properties=["NoAckedWriteLost"],
                                     bounds={"crashes": 1})
    assert result.complete and result.distinct_states > 0


def test_assert_holds_fails_with_the_counterexample_when_settings_are_unsafe():
    with pytest.raises(AssertionError, match="Produce"):
        assert_holds({"acks": "1", "replication.factor": "3"}, properties=["NoAckedWriteLost"])


def test_assert_violated_returns_the_shortest_trace():
    result = assert_violated({"enable.idempotence": "false"}, "NoDuplicates", model="producer",
                             bounds={"records": 1})
    assert len(result.violation("NoDuplicates").trace) > 0


@settings(max_examples=10, deadline=None)
@given(kafka_settings("replication", **{"unclean.leader.election.enable": "false"}))
def test_acks_all_with_min_isr_above_one_is_safe_for_any_valid_configuration(config):
    from kafkacheck.testing import check

    result = check(config, properties=["NoAckedWriteLost"], bounds={"crashes": 1})
    min_isr = int(config.get("min.insync.replicas", "1"))
    # Kafka 4.4 (ELR on), process crash or power loss: safe once min ISR >= 2 replicas
    # exist (a larger min ISR than replicas is capped at the replica count, KAFKA-15583).
    if config.get("acks") == "all" and int(config.get("replication.factor", "1")) >= \
            min_isr >= 2:
        assert result.result == "holds"
    assert result.result in ("holds", "violated")


def test_the_fixture_builds_a_hypothesis_machine_for_a_configuration(kafkacheck):
    machine = kafkacheck.machine("replication", {"acks": "1", "replication.factor": "2"},
                                 ["NoAckedWriteLost"])
    assert "Produce" in dir(machine)
