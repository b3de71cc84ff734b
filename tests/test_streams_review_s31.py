"""Kafka Streams settings that drop records, configurations Streams refuses, and notes
that must fit Streams (session 31's Streams review)."""

from __future__ import annotations

import pytest
from review_files import review_json

from kafkacheck.cli import main

EOS = ["--set", "processing.guarantee=exactly_once_v2"]
QUICK = ["--bound", "inputs=1", "--max-depth", "3", "--no-diagram"]


def _check(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", "streams", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("setting", [
    # RecordQueue.updateHead drops a record with a negative timestamp, then commits past it
    "default.timestamp.extractor=org.apache.kafka.streams.processor."
    "LogAndSkipOnInvalidTimestamp",
    "default.timestamp.extractor=com.example.MyExtractor",
    # KIP-1112: user code around every processor
    "processor.wrapper.class=com.example.DroppingWrapper"])
def test_settings_that_let_streams_drop_records_are_not_covered(capsys, setting):
    # Was "no effect on these verdicts" and HOLDS (exit 0).
    code, out, _ = _check(capsys, "--set", setting, "--bound", "instance_crashes=0",
                          "--no-diagram")
    assert code == 3 and f"NOT COVERED: {setting} (changes " in out


def test_the_default_timestamp_extractor_is_covered_and_the_wrapper_needs_4_0(capsys):
    code, out, _ = _check(capsys, "--set", "default.timestamp.extractor=org.apache.kafka."
                          "streams.processor.FailOnInvalidTimestamp", "--bound",
                          "instance_crashes=0", "--no-diagram")
    assert code == 0
    code, _, err = _check(capsys, "--kafka-version", "3.9", "--set",
                          "processor.wrapper.class=com.example.W")
    assert code == 2 and "processor.wrapper.class does not exist in Kafka 3.9" in err


@pytest.mark.parametrize("settings,message", [
    # postProcessParsedConfig puts commit.interval.ms=100 under exactly-once, then
    # verifyEOSTransactionTimeoutCompatibility refuses a shorter transaction timeout
    (["producer.transaction.timeout.ms=50"],
     "Transaction timeout 50 was set lower than streams commit interval 100"),
    (["producer.max.in.flight.requests.per.connection=10"],
     "Can't exceed 5 when exactly-once processing is enabled"),
    (["retries=0"], "retries=0 with processing.guarantee=exactly_once_v2: Must set retries "
     "to non-zero when using the idempotent producer")])
def test_exactly_once_configurations_streams_refuses_are_refused(capsys, settings, message):
    # Were HOLDS (the timeout) and NOT COVERED (exit 3).
    argv = [a for s in settings for a in ("--set", s)]
    code, _, err = _check(capsys, "--kafka-version", "3.9", *EOS, *argv, *QUICK)
    assert code == 2 and message in err and err.count("\n") == 1


def test_review_refuses_a_streams_file_kafka_refuses(tmp_path, capsys):
    app = tmp_path / "app.properties"
    app.write_text("application.id=app\nbootstrap.servers=x:9092\nprocessing.guarantee="
                   "exactly_once_v2\nproducer.max.in.flight.requests.per.connection=10\n")
    assert main(["review", str(app)]) == 2
    assert "Kafka refuses this Streams configuration" in capsys.readouterr().err


def test_review_runs_a_2_x_exactly_once_application_with_acks_all(tmp_path, capsys):
    # Was judged with the 2.8 default acks=1 and VIOLATED: PRODUCER_EOS_OVERRIDES make the
    # producer idempotent, and ProducerConfig then puts acks=-1 in force.
    data = review_json(tmp_path, capsys, {
        "app.properties": "application.id=app\nbootstrap.servers=x:9092\n"
                          "processing.guarantee=exactly_once\n",
        "topic:topic.properties": "replication.factor=3\nmin.insync.replicas=2\n"},
        "--kafka-version", "2.8", "--no-fix")
    crash = next(g for g in data["guarantees"] if g["id"] == "acked-writes-survive-crash")
    assert crash["settings"]["acks"] == "all" and crash["verdict"] == "holds"


def test_the_loops_notes_that_do_not_fit_streams_are_left_out_or_reworded(capsys):
    _code, out, _ = _check(capsys, "--kafka-version", "3.9", *EOS, *QUICK)
    assert "auto.offset.reset not set" not in out  # Streams sets earliest itself
    assert "sendOffsetsToTransaction" not in out  # its runtime calls it, with the metadata
    assert "set transaction.state.log.replication.factor=2" not in out
    assert "set replication.factor=2 for a failover to another broker (this model gives " \
           "the transaction log the same replication factor)" in out
    _code, out, _ = _check(capsys, "--max-depth", "3", "--no-diagram")
    assert "transaction log" not in out  # at_least_once has none


def test_the_restore_consumers_offset_reset_is_streams_own(capsys):
    # getRestoreConsumerConfigs puts auto.offset.reset=none after the prefixed keys.
    code, out, _ = _check(capsys, "--set", "restore.consumer.auto.offset.reset=latest",
                          "--bound", "instance_crashes=0", "--no-diagram")
    assert code == 0 and "restore.consumer.auto.offset.reset: Kafka Streams runs its own " \
        "value whatever this key says" in out


@pytest.mark.parametrize("release,covered", [("3.5", False), ("3.6", False), ("3.7", True)])
def test_exactly_once_before_the_checkpoint_fix_is_not_covered(capsys, release, covered):
    # KAFKA-16017 (3.6.2, 3.7.0): a restore after a wiped store could stop short.
    code, out, _ = _check(capsys, "--kafka-version", release, *EOS, *QUICK)
    assert ("KAFKA-16017" in out) is not covered
    assert code == 3


@pytest.mark.parametrize("key", ["max.poll.interval.ms", "consumer.max.poll.interval.ms",
                                 "main.consumer.max.poll.interval.ms"])
def test_a_poll_timeout_given_to_streams_names_its_rebalances_bound(capsys, key):
    # Was "no effect": a stream thread past it is the zombie of the rebalances bound.
    _code, out, _ = _check(capsys, "--set", f"{key}=1000", "--max-states", "1",
                           "--no-diagram")
    assert f"WARNING: {key} times a fault this run does not explore (poll timeout (zombie " \
           "consumer); rebalances=0): no value of it was checked; rerun with --bound " \
           "rebalances=1" in out


def test_a_transaction_timeout_names_the_abort_no_streams_run_explores(capsys):
    _code, out, _ = _check(capsys, *EOS, "--set", "producer.transaction.timeout.ms=20000",
                           "--max-states", "1", "--no-diagram")
    assert "accepted, not modelled: producer.transaction.timeout.ms (it times a fault, the " \
           "coordinator aborting a live transaction (transaction.timeout.ms), that this " \
           "model does not explore)" in out
