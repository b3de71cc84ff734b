"""Kafka Connect source tasks (issue 20): a record produced twice when the worker crashes
between the produce and the source offset commit, and none with exactly-once source
support (KIP-618), where the records and their source offsets are one transaction and the
task's transactional.id fences its previous producer."""

from __future__ import annotations

import pytest
from hypothesis import Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test
from mutants import load, make_mutant

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.stateful import machine_for
from kafkacheck.model import presets, registry
from kafkacheck.testing import make_model

load("source")

EOS = {"exactly.once.source.support": "enabled"}


def names(trace):
    return [a[0] for a in trace.actions]


def test_without_exactly_once_a_worker_crash_before_the_offset_commit_duplicates_a_record():
    """kafkacheck check source-crash-duplicates"""
    result = breadth_first(make_model("source", {}, records=1), ["SourceExactlyOnce"])
    found = result.violation("SourceExactlyOnce")
    # P0 produces record 0 and its worker crashes before the source offset is written (here
    # before the ack even comes back); P1 starts the task, reads no source offset and
    # produces record 0 again.
    assert names(found.trace) == ["FetchOffset", "Poll", "Produce", "WorkerCrash", "Rejoin",
                                  "FetchOffset", "Poll", "Produce"]
    assert found.trace.actions[-1][1] == "P1"
    assert result.distinct_states == 37


def test_preparing_runs_source_tasks_as_disabled_does():
    """DistributedConfig.exactlyOnceSourceEnabled(): only 'enabled' changes the tasks."""
    model = make_model("source", {"exactly.once.source.support": "preparing"}, records=1)
    found = breadth_first(model, ["SourceExactlyOnce"]).violation("SourceExactlyOnce")
    assert len(found.trace) == 8


def test_without_idempotence_a_retried_produce_duplicates_a_record_without_any_crash():
    """Worker.baseProducerConfigs sets enable.idempotence=false: the delayed first request
    and its retry are both appended."""
    model = make_model("source", {}, records=1, task_crashes=0, late_produces=1)
    found = breadth_first(model, ["SourceExactlyOnce"]).violation("SourceExactlyOnce")
    assert names(found.trace) == ["FetchOffset", "Poll", "DelayProduce", "Produce",
                                  "LateProduce"]


def test_at_least_once_holds_through_a_worker_crash_without_exactly_once():
    result = breadth_first(make_model("source", {}, records=2), ["SourceAtLeastOnce"])
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 124


def test_exactly_once_source_support_neither_loses_nor_duplicates_through_a_worker_crash():
    """kafkacheck check source-exactly-once: two workers, two records, a crash anywhere."""
    model = make_model("source", EOS, records=2, task_crashes=1)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 3907
    assert not model.config.uncovered
    assert result.coverage["WorkerCrash"] > 0 and result.coverage["InitProducerId"] > 0


def test_exactly_once_source_support_fences_a_zombie_task():
    """kafkacheck check source-exactly-once-zombie: a rebalance moves the task while its
    old worker keeps running it; the new task producer's initTransactions() fences it."""
    model = make_model("source", EOS, records=2, task_crashes=0, rebalances=1)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 12681
    assert result.coverage["TaskFails"] > 0  # the zombie's send fails: the task fails


@pytest.mark.thorough
@pytest.mark.parametrize("bounds, states", [
    ({"records": 1, "task_crashes": 1, "rebalances": 1}, 48822),
    ({"records": 2, "task_crashes": 1, "late_produces": 1}, 18143),
    ({"records": 2, "task_crashes": 1, "rebalances": 1}, 307208),
])
def test_exactly_once_source_support_holds_through_combined_faults(bounds, states):
    result = breadth_first(make_model("source", EOS, **bounds))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == states


def test_offsets_written_outside_the_transaction_lose_a_record():
    """The mutant writes the source offset with a plain produce: it is visible before the
    record's transaction commits (here before the record is even sent)."""
    model = make_mutant("source", "offsets-outside-transaction", EOS, records=1)
    found = breadth_first(model, ["SourceAtLeastOnce"]).violation("SourceAtLeastOnce")
    assert names(found.trace) == ["FetchOffset", "Poll", "SendOffsets"]


def test_a_transactional_id_per_worker_lets_the_next_task_reproduce_a_committing_record():
    """The mutant gives each worker's task producer its own transactional.id: the new task
    producer does not wait for the old one's transaction to complete, reads the source
    offset while its commit marker is not yet written, and produces the record again."""
    model = make_mutant("source", "transactional-id-per-worker",
                        {**EOS, "transaction.version": "1"}, records=1)
    result = breadth_first(model, ["SourceExactlyOnce"])
    found = result.violation("SourceExactlyOnce")
    assert len(found.trace) == 26
    assert names(found.trace)[11:16] == ["WorkerCrash", "Rejoin", "InitProducerId",
                                         "TxnLogCommitted", "FetchOffset"]
    assert result.distinct_states == 13280


# Where this file shows each source property failing.
FAILS = {
    "SourceExactlyOnce":
        "test_without_exactly_once_a_worker_crash_before_the_offset_commit_duplicates_a_record",
    "SourceAtLeastOnce": "test_offsets_written_outside_the_transaction_lose_a_record",
    "AllProduced": "test_all_produced_is_never_reached_when_the_task_never_polls",
}


def test_every_source_property_is_shown_failing():
    assert {p.name for p in make_model("source").properties()} == set(FAILS)
    assert all(callable(globals().get(test)) for test in FAILS.values())
    assert "source" in registry.available()


def test_all_produced_is_never_reached_when_the_task_never_polls():
    """The reachability property fails on a mutant whose task never reads its offsets."""
    found = breadth_first(make_mutant("source", "task-never-starts", EOS, records=1),
                          ["AllProduced"]).violation("AllProduced")
    assert found.reason == "never-reached"


@pytest.mark.parametrize("setting, value", [("transaction.boundary", "interval"),
                                            ("transaction.boundary", "connector"),
                                            ("errors.tolerance", "all")])
def test_settings_the_model_does_not_model_are_not_covered(setting, value):
    model = make_model("source", {**EOS, setting: value}, records=1)
    assert setting in model.config.uncovered


@pytest.mark.parametrize("settings, version, message", [
    ({"exactly.once.support": "required"}, None, "exactly.once.source.support=enabled"),
    (EOS, "3.2", "KIP-618 arrived in 3.3"),
])
def test_bad_configurations_are_refused_in_one_line(settings, version, message):
    with pytest.raises(UsageError, match=message):
        make_model("source", settings, kafka_version=version)


def test_the_presets_answer_their_questions():
    for name, verdict in [("source-crash-duplicates", "violated"),
                          ("source-exactly-once", "holds")]:
        preset = presets.PRESETS[name]
        model = make_model("source", dict(preset.settings), **preset.bounds)
        assert breadth_first(model, list(preset.properties) or None).result == verdict, name


EOS_SCALE = {"records": 2, "task_crashes": 1, "rebalances": 1, "late_produces": 1}


def run_machine(model, properties, examples, steps=60, shrink=True):
    machine = seed(0)(machine_for(model, properties))
    phases = tuple(Phase) if shrink else (Phase.generate,)
    run_state_machine_as_test(machine, settings=settings(
        settings.default, max_examples=examples, stateful_step_count=steps, deadline=None,
        phases=phases))


def test_hypothesis_keeps_exactly_once_through_a_crash_a_zombie_and_a_retry_sampled():
    """Beyond the exhaustive tests' sizes: two records, a crash, a zombie and a delayed
    produce together."""
    model = make_model("source", EOS, **EOS_SCALE)
    run_machine(model, ["SourceAtLeastOnce", "SourceExactlyOnce"], examples=30)


@pytest.mark.thorough
def test_hypothesis_keeps_exactly_once_through_a_crash_a_zombie_and_a_retry_thorough():
    model = make_model("source", EOS, **EOS_SCALE)
    run_machine(model, ["SourceAtLeastOnce", "SourceExactlyOnce"], examples=500, steps=120)


def test_hypothesis_finds_the_duplicate_without_exactly_once():
    model = make_model("source", {}, records=2, task_crashes=1)
    with pytest.raises(AssertionError, match="SourceExactlyOnce"):
        run_machine(model, ["SourceExactlyOnce"], examples=50, steps=40, shrink=False)


# -- releases before 3.0 and failed sends (audit of the Streams/Connect models, finding 4) --
# Worker.baseProducerConfigs sets acks=all in every release (tag 2.3.0 line 552; trunk), but
# the loop took the release's producer default (acks=1 before 3.0) and refused every run.
# Once they run: WorkerSourceTask before KAFKA-8586 (2.2.2, 2.3.1, 2.4.0) logs a failed
# send and calls recordSent, so the next offset commit goes past the record.

@pytest.mark.parametrize("version", ["0.11", "2.3", "2.8"])
def test_source_tasks_run_before_kafka_3_0_with_the_workers_acks_all(version):
    from kafkacheck.model.clients.source import _loop_config

    model = make_model("source", {}, records=1, kafka_version=version)
    assert _loop_config(model.config).kafka["acks"] == -1
    result = breadth_first(model, ["SourceAtLeastOnce"])
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 51  # as on 4.4


@pytest.mark.parametrize("version", ["2.0", "2.2.1", "2.3"])
def test_before_kafka_8586_a_send_failed_by_its_delivery_timeout_is_committed_past(version):
    model = make_model("source", {}, workers=1, records=1, task_crashes=0, late_produces=1,
                       expiries=1, kafka_version=version)
    found = breadth_first(model, ["SourceAtLeastOnce"]).violation("SourceAtLeastOnce")
    # Record 0's batch expires in the producer before it is sent (RecordAccumulator
    # .expiredBatches: no leader for longer than the timeout), the callback logs it and
    # counts it sent; the source offset 1 is written while record 0 is not in the topic.
    # Before session 30 only a batch whose request was lost could expire, which needed a
    # delayed request too (a finding of the Connect review).
    assert names(found.trace) == ["FetchOffset", "Poll", "Expire", "SendOffsets"]
    assert found.trace.actions[2][-1] == "logged, counted as sent (before KAFKA-8586)"


@pytest.mark.parametrize("version", ["2.2.2", "2.3.1", "2.4", "4.4"])
def test_with_kafka_8586_a_send_failed_by_its_delivery_timeout_fails_the_task(version):
    model = make_model("source", {}, workers=1, records=1, task_crashes=0, late_produces=1,
                       expiries=1, kafka_version=version)
    result = breadth_first(model, ["SourceAtLeastOnce"])
    assert result.result == "holds" and result.distinct_states == 24
    assert result.coverage["Expire"] == 3 and result.coverage["TaskFails"] == 3


def test_batch_expiry_is_a_fault_of_the_source_model():
    assert "batch expiry (delivery.timeout.ms)" in make_model("source").fault_model().not_explored
    explored = make_model("source", {}, expiries=1).fault_model().explored
    assert ("batch expiry (delivery.timeout.ms)", 1) in explored
