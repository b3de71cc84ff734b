"""Connect: a sink's dead-letter queue producer, a connector's override keys before
KIP-458, and exactly-once source tasks whose batches expire (session 30's Connect review)."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.explorer.result import INCOMPLETE
from kafkacheck.testing import check

DLQ = {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}
BAD = {"bad_records": 1, "crashes": 0, "write": "upsert"}


@pytest.mark.parametrize("key, value", [("producer.override.retries", "0"),
                                        ("producer.override.acks", "0"),
                                        ("producer.acks", "0"),
                                        ("producer.override.delivery.timeout.ms", "1000")])
def test_a_dead_letter_queue_producer_key_is_not_covered(key, value):
    # DeadLetterQueueReporter.report only logs a failed send, and the offset commit goes
    # on: the bad record is in neither the table nor the queue. It said HOLDS.
    run = check({**DLQ, key: value}, model="sink", bounds=BAD, properties=["SinkNoLoss"])
    assert run.result == INCOMPLETE and key in run.uncovered_settings


def test_without_a_dead_letter_queue_the_sink_has_no_producer():
    run = check({"producer.override.retries": "0"}, model="sink", bounds={"crashes": 0},
                properties=["SinkNoLoss"])
    assert not run.uncovered_settings


def test_override_keys_before_kip_458_change_nothing():
    # The worker of 2.2 ignores *.override.* keys: the run is the one without the key.
    plain = check({}, model="sink", kafka_version="2.2")
    run = check({"consumer.override.enable.auto.commit": "true"}, model="sink",
                kafka_version="2.2")
    assert not run.uncovered_settings
    assert (run.result, run.distinct_states) == (plain.result, plain.distinct_states)


@pytest.mark.parametrize("argv", [
    ["--kafka-version", "3.9"],
    ["--set", "transaction.version=1", "--bound", "task_crashes=0"],
])
def test_an_exactly_once_source_task_failed_by_an_expiry_is_checked(argv, capsys):
    # The coordinator's timeout abort of the failed task's transaction takes an epoch the
    # codec lacked: a KeyError, exit 70.
    code = main(["check", "source-exactly-once", *argv, "--bound", "expiries=1",
                 "--bound", "late_produces=1", "--bound", "records=1"])
    assert code == 0, capsys.readouterr()


def test_a_task_count_names_the_fault_it_brings_not_no_effect():
    # A change of tasks.max is a new set of tasks (under exactly-once source support the
    # leader's zombie fencing round), which no run explores; it was "no effect".
    from kafkacheck.explorer.render import not_modelled_lines

    run = check({"exactly.once.source.support": "enabled", "tasks.max": "4"},
                model="source", max_states=10)
    lines = not_modelled_lines(run.model, run.uncovered_settings)
    assert any(line.startswith("accepted, not modelled: tasks.max (it brings a fault, task "
                               "count changes") for line in lines)
    assert not any("tasks.max" in line and "no effect" in line for line in lines)
