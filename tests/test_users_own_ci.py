"""What a team writes in its own CI: a few lines asserting its settings keep its guarantees,
and what each pass says about the faults it covered."""

from __future__ import annotations

import pytest
from hypothesis import given, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.explorer.stateful import PropertyViolation, fixed_constant_pool, replays_exactly
from kafkacheck.model.interface import POWER_LOSS, PROCESS_CRASH
from kafkacheck.testing import (
    PowerLossNotExplored,
    assert_holds,
    assert_violated,
    check,
    kafka_settings,
)

OUR_TOPIC = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}
NO_ELR = {**OUR_TOPIC, "eligible.leader.replicas.version": "0"}
BOTH_CRASH_KINDS = {"crashes": 1, "crash_kind": "any"}
SHARED = "(one budget: each crash is one kind or the other)"  # of BOTH_CRASH_KINDS


def test_our_producer_settings_never_lose_an_acknowledged_write(kafkacheck, recwarn):
    # The README's example on Kafka 4.4: both crash kinds are explored by default.
    result = kafkacheck.assert_holds(OUR_TOPIC, properties=["NoAckedWriteLost"],
                                     bounds={"crashes": 1})
    assert (result.complete, result.distinct_states) == (True, 57_909)
    assert result.fault_model.explored == ((PROCESS_CRASH, 1), (POWER_LOSS, 1))
    assert not [w for w in recwarn if issubclass(w.category, PowerLossNotExplored)]


def test_the_same_settings_without_elr_lose_an_acknowledged_write_on_power_loss():
    # A cluster without Eligible Leader Replicas (Kafka 4.0, or upgraded from it) and
    # Kafka's default flush.messages: the ISR shrinks to the leader, which loses power and
    # comes back empty as the last ISR member, and is elected again (KIP-966's scenario).
    result = assert_violated(NO_ELR, "NoAckedWriteLost", bounds=BOTH_CRASH_KINDS)
    trace = result.violation("NoAckedWriteLost").trace
    assert "PowerLoss" in [a[0] for a in trace.actions]
    # Every write fsynced: a power loss reaches exactly the states a process crash does,
    # so the fault model counts power loss as explored by either.
    fsynced = assert_holds({**NO_ELR, "flush.messages": "1"}, properties=["NoAckedWriteLost"],
                           bounds={**BOTH_CRASH_KINDS, "records": 1})
    process_only = check({**NO_ELR, "flush.messages": "1"}, properties=["NoAckedWriteLost"],
                         bounds={"crashes": 1, "crash_kind": "process", "records": 1})
    assert fsynced.distinct_states == process_only.distinct_states == 2_291
    assert process_only.fault_model.explored == ((PROCESS_CRASH, 1), (POWER_LOSS, 1))


def test_a_pass_without_power_loss_says_so_loudly():
    with pytest.warns(PowerLossNotExplored, match="power loss was NOT explored"):
        result = assert_holds(OUR_TOPIC, properties=["NoAckedWriteLost"],
                              bounds={"crashes": 1, "crash_kind": "process", "records": 1})
    assert POWER_LOSS in result.fault_model.not_explored


def test_assert_holds_fails_with_the_counterexample_and_the_fault_model():
    with pytest.raises(AssertionError) as caught:
        assert_holds({"acks": "1", "replication.factor": "3"}, properties=["NoAckedWriteLost"])
    message = str(caught.value)
    assert "Produce(r1)" in message and "NoAckedWriteLost violated" in message
    assert f"faults: {PROCESS_CRASH} or {POWER_LOSS} x1 {SHARED}; not explored: leader " \
        "move" in message


def test_assert_holds_never_passes_a_setting_the_model_does_not_cover():
    with pytest.raises(AssertionError, match="NOT COVERED: transactional.id=tx"):
        assert_holds({**OUR_TOPIC, "transactional.id": "tx"}, properties=["NoAckedWriteLost"],
                     bounds={"records": 1})


def test_assert_violated_returns_the_shortest_trace():
    result = assert_violated({"enable.idempotence": "false"}, "NoDuplicates", model="producer",
                             bounds={"records": 1})
    trace = result.violation("NoDuplicates").trace
    assert [a[0] for a in trace.actions][:2] == ["Send", "Drain"]
    assert len(trace) == len(check({"enable.idempotence": "false"}, model="producer",
                                   properties=["NoDuplicates"], bounds={"records": 1},
                                   ).violation("NoDuplicates").trace)


@settings(max_examples=10, deadline=None)
@given(kafka_settings("replication", **{"unclean.leader.election.enable": "false"}))
def test_acks_all_with_min_isr_above_one_is_safe_and_stronger_acks_never_lose_more(config):
    bounds = {"crashes": 1, "records": 1}
    result = check(config, properties=["NoAckedWriteLost"], bounds=bounds)
    assert result.result in ("holds", "violated")
    min_isr = int(config.get("min.insync.replicas", "1"))
    # Kafka 4.4 (ELR on), process crash or power loss: safe once min ISR >= 2 replicas
    # exist (a larger min ISR than replicas is capped at the replica count, KAFKA-15583).
    if config.get("acks") == "all" and int(config.get("replication.factor", "1")) >= \
            min_isr >= 2:
        assert result.result == "holds"
    if result.result == "holds":
        stronger = check({**config, "acks": "all"}, properties=["NoAckedWriteLost"],
                         bounds=bounds)
        assert stronger.result == "holds"


def test_the_fixture_builds_a_machine_that_finds_the_acks_1_loss(kafkacheck, request):
    machine = kafkacheck.machine("replication", {"acks": "1", "replication.factor": "2"},
                                 ["NoAckedWriteLost"])
    with pytest.raises(PropertyViolation) as caught, fixed_constant_pool():
        run_state_machine_as_test(seed(1)(machine), settings=settings(max_examples=100))
    found = caught.value
    assert replays_exactly(found.model, "NoAckedWriteLost", found.actions, found.init)
    recorded = dict(request.node.user_properties)["kafkacheck"]
    assert recorded.startswith("replication Hypothesis machine; faults: broker process crash")


INNER_TEST = '''
SETTINGS = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}


def test_settings(kafkacheck):
    kafkacheck.assert_holds(SETTINGS, properties=["NoAckedWriteLost"], bounds={"records": 1})


def test_process_crashes_only(kafkacheck):
    kafkacheck.assert_holds(SETTINGS, properties=["NoAckedWriteLost"],
                            bounds={"records": 1, "crash_kind": "process"})
'''


def test_the_plugin_lists_the_faults_each_check_explored(pytester):
    pytester.makepyfile(test_inner=INNER_TEST)
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=2, warnings=1)
    lines = outcome.stdout.lines
    start = lines.index(next(line for line in lines
                             if "kafkacheck: the faults each check explored" in line))
    assert lines[start + 1].startswith(
        f"test_inner.py::test_settings: replication HOLDS; faults: {PROCESS_CRASH} or "
        f"{POWER_LOSS} x1 {SHARED}; not explored: leader move")
    assert "POWER LOSS NOT EXPLORED" not in lines[start + 1]
    assert lines[start + 2].startswith(
        f"test_inner.py::test_process_crashes_only: replication HOLDS; faults: {PROCESS_CRASH} "
        f"x1; not explored: {POWER_LOSS}")
    assert lines[start + 2].endswith("POWER LOSS NOT EXPLORED")
