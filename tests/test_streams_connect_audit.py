"""Audit 17: wrong greens in the Kafka Streams and Kafka Connect models.

Streams and Connect hand settings on to their own clients through prefixes: StreamsConfig
``producer.``, ``consumer.``, ``main.consumer.``, ``restore.consumer.``,
``global.consumer.``; a Connect worker's ``producer.``/``consumer.`` and a connector's
``producer.override.``/``consumer.override.`` (KIP-458; Worker.baseProducerConfigs and
baseConsumerConfigs put them after the worker's own values).  Every such key was printed
"accepted but not modelled ... (no effect on these verdicts)" and the run could HOLD,
whatever it did to the producer that writes the topic or the consumer that commits; its
value was not even checked (``consumer.override.enable.auto.commit=maybe`` held).  Now a
delivery setting given so is NOT COVERED (exit 3) unless its value is the one the model's
clients run with, or the application replaces it (StreamsConfig
checkIfUnexpectedUserSpecifiedConsumerConfig, ConnectUtils.ensureProperty); a bad value
is a one-line exit-2 error.  Each run is a fraction of a second.
"""

from __future__ import annotations

import json

import pytest

from kafkacheck.cli import EXIT_HOLDS, EXIT_INCOMPLETE, EXIT_VIOLATED, main
from kafkacheck.config import UsageError, build_config
from kafkacheck.model.clients.sink import SinkModel

EXIT_NOT_COVERED = EXIT_INCOMPLETE
EXIT_USAGE = 2
FAST = ["--no-diagram", "--no-estimate", "--progress-every", "0"]

SINK = ["sink", "--bound", "write=upsert"]  # HOLDS at the defaults (716 states)
SOURCE = ["source", "--bound", "workers=1", "--bound", "records=1",
          "--bound", "task_crashes=0", "--bound", "crashes=1"]
STREAMS_EOS = ["streams", "--bound", "instances=1", "--bound", "inputs=1",
               "--bound", "instance_crashes=0", "--set", "processing.guarantee=exactly_once_v2"]


def _check(capsys, run: list[str], *settings: str) -> tuple[int, str]:
    args = ["check", *run, *FAST]
    for s in settings:
        args += ["--set", s]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# -- Connect sink: the task consumer's auto-commit and offset reset ----------------------
# Worker.baseConsumerConfigs sets enable.auto.commit=false and auto.offset.reset=earliest,
# then puts the worker's consumer.* and the connector's consumer.override.* over them.  An
# auto-committing consumer commits positions in poll(), before put() has written the
# records (loss after a crash); a task starting at latest skips what is in the topic.

@pytest.mark.parametrize("setting", [
    "consumer.override.enable.auto.commit=true",
    "consumer.enable.auto.commit=true",
    "consumer.override.auto.offset.reset=latest",
])
def test_sink_no_loss_is_not_claimed_for_a_task_consumer_the_worker_does_not_run(
        capsys, setting):
    code, out = _check(capsys, SINK, setting)
    assert code == EXIT_NOT_COVERED, out
    assert f"NOT COVERED: {setting} (changes consumer semantics" in out
    assert "HOLDS" not in out and "accepted but not modelled" not in out


def test_sink_consumer_override_at_the_workers_own_value_changes_nothing(capsys):
    code, out = _check(capsys, SINK, "consumer.override.enable.auto.commit=false",
                       "consumer.override.auto.offset.reset=earliest")
    assert code == EXIT_HOLDS, out
    assert "716 distinct states" in out


def test_sink_prefixed_override_is_not_covered_through_the_python_api_too():
    config = build_config(SinkModel, settings=[("consumer.override.enable.auto.commit",
                                                "true")])
    assert dict(config.uncovered) == {"consumer.override.enable.auto.commit": True}


def test_sink_assert_holds_fails_for_an_auto_committing_task_consumer():
    from kafkacheck.testing import assert_holds

    with pytest.raises(AssertionError, match="NOT COVERED: consumer.override.enable.auto"):
        assert_holds({"consumer.override.enable.auto.commit": "true"}, model="sink",
                     bounds={"write": "upsert"})


# -- Connect source: the task producer's acks and idempotence -----------------------------
# Worker.baseProducerConfigs: acks=all, enable.idempotence=false, one request in flight,
# then the worker's producer.* and the connector's producer.override.*.  With acks=1 a
# record acknowledged by a leader that then fails is lost while its source offset is
# committed; SourceAtLeastOnce held with a broker crash.

@pytest.mark.parametrize("setting", ["producer.override.acks=1", "producer.acks=1",
                                     "producer.override.enable.idempotence=true"])
def test_source_at_least_once_is_not_claimed_for_a_producer_the_worker_does_not_run(
        capsys, setting):
    code, out = _check(capsys, [*SOURCE, "--property", "SourceAtLeastOnce"], setting)
    assert code == EXIT_NOT_COVERED, out
    assert f"NOT COVERED: {setting} (changes producer semantics" in out
    assert "HOLDS" not in out


def test_source_override_the_worker_replaces_under_exactly_once_changes_nothing(capsys):
    # exactlyOnceSourceTaskProducerConfigs: ConnectUtils.ensureProperty puts
    # enable.idempotence=true and the task's transactional.id over a user's values.
    # SourceAtLeastOnce only: without a crash no record is sent twice, so SourceExactlyOnce
    # is not checked in this run (session 22: it cannot fail, exit 3).
    code, out = _check(capsys, [*SOURCE[:-2], "--bound", "crashes=0", "--property",
                                "SourceAtLeastOnce"],
                       "exactly.once.source.support=enabled",
                       "producer.override.enable.idempotence=false",
                       "producer.override.transactional.id=mine",
                       "producer.override.acks=all")
    assert code == EXIT_HOLDS, out
    assert "NOT COVERED" not in out


def test_source_json_names_the_prefixed_setting_not_covered(capsys):
    code, out = _check(capsys, [*SOURCE, "--json"], "producer.override.acks=1")
    assert code == EXIT_NOT_COVERED
    data = json.loads(out)
    assert data["result"] == "incomplete"
    assert data["not_covered"] == {"producer.override.acks": "1"}


# -- Streams: the restore consumer and the main consumer ----------------------------------
# StreamsConfig drops a user's isolation.level under exactly_once_v2 when it comes bare or
# with consumer. (checkIfUnexpectedUserSpecifiedConsumerConfig), but getRestoreConsumerConfigs
# and getMainConsumerConfigs put restore.consumer.* and main.consumer.* after that check.
# A restore consumer reading read_uncommitted rebuilds the store from aborted changelog
# writes (CountsExact); it held.

@pytest.mark.parametrize("setting", ["restore.consumer.isolation.level=read_uncommitted",
                                     "main.consumer.enable.auto.commit=true",
                                     "main.consumer.isolation.level=read_uncommitted"])
def test_streams_counts_exact_is_not_claimed_for_a_consumer_streams_does_not_run(
        capsys, setting):
    code, out = _check(capsys, STREAMS_EOS, setting)
    assert code == EXIT_NOT_COVERED, out
    assert f"NOT COVERED: {setting} (changes consumer semantics" in out
    assert "HOLDS" not in out


@pytest.mark.parametrize("setting", ["consumer.isolation.level=read_uncommitted",
                                     "consumer.enable.auto.commit=true",
                                     "producer.enable.idempotence=false",
                                     "producer.transactional.id=mine"])
def test_streams_overrides_it_drops_under_exactly_once_change_nothing(capsys, setting):
    code, out = _check(capsys, STREAMS_EOS, setting)
    assert code == EXIT_HOLDS, out
    assert "300 distinct states" in out


# StreamsConfig hands bare client keys to its clients as well, after its own defaults
# (CONSUMER_DEFAULT_OVERRIDES: auto.offset.reset=earliest).  A bare auto.offset.reset=latest
# (the consumer's own default) was "no effect" and HOLDS, though the model's task reads
# from the earliest offset; earliest, what Streams runs, was "not covered".

def test_streams_bare_offset_reset_is_measured_against_what_streams_runs(capsys):
    code, out = _check(capsys, STREAMS_EOS, "auto.offset.reset=latest")
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED: auto.offset.reset=latest" in out
    code, out = _check(capsys, STREAMS_EOS, "auto.offset.reset=earliest")
    assert code == EXIT_HOLDS, out


def test_streams_producer_acks_is_not_assumed_to_be_all(capsys):
    # Under exactly_once_v2 Streams sets enable.idempotence=true (PRODUCER_EOS_OVERRIDES),
    # so the KafkaProducer refuses acks=1 (session 29; was NOT COVERED).
    code, out = _check(capsys, STREAMS_EOS, "producer.acks=1")
    assert code == EXIT_USAGE, out
    assert "ConfigException: producer.acks=1 with processing.guarantee=exactly_once_v2" in out


# -- bad values of prefixed keys ----------------------------------------------------------

@pytest.mark.parametrize("run,setting", [
    (SINK, "consumer.override.enable.auto.commit=maybe"),
    (SOURCE, "producer.override.linger.ms=abc"),
    (STREAMS_EOS, "restore.consumer.max.poll.records=0"),
])
def test_a_bad_value_of_a_prefixed_client_key_is_a_one_line_usage_error(capsys, run, setting):
    code, out = _check(capsys, run, setting)
    assert code == EXIT_USAGE, out
    assert out.strip().count("\n") == 0 and "invalid value" in out
    with pytest.raises(UsageError):
        build_config(SinkModel, settings=[tuple(setting.split("=", 1))])


# -- the topics Streams and Connect create ------------------------------------------------
# Streams passes topic.* to the internal topics it creates (StreamsConfig.TOPIC_PREFIX,
# InternalTopicManager: the changelog); a source connector's topic.creation.default.* make
# the topic the worker creates (KIP-158, TopicCreationGroup).  With RF=2 and a broker
# crash, topic.creation.default.unclean.leader.election.enable=true held SourceAtLeastOnce
# (16,751 states) while the bare key was NOT COVERED.

def test_source_topic_created_with_unclean_election_is_not_covered(capsys):
    code, out = _check(capsys, [*SOURCE, "--set", "replication.factor=2",
                                "--property", "SourceAtLeastOnce", "--max-states", "100"],
                       "topic.creation.default.unclean.leader.election.enable=true")
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED: topic.creation.default.unclean.leader.election.enable=true" in out


@pytest.mark.parametrize("setting,code", [
    ("topic.creation.default.replication.factor=1", EXIT_HOLDS),  # the model's own RF
    ("topic.creation.default.replication.factor=2", EXIT_NOT_COVERED),
    ("topic.creation.default.replication.factor=-1", EXIT_NOT_COVERED),  # broker default
    ("topic.creation.default.partitions=3", EXIT_HOLDS),  # no delivery semantics
])
def test_source_topic_creation_settings_are_measured_against_the_models_topic(
        capsys, setting, code):
    # SourceAtLeastOnce only: SourceExactlyOnce cannot fail without a crash (session 22).
    run = ["source", "--bound", "workers=1", "--bound", "records=1",
           "--bound", "task_crashes=0", "--property", "SourceAtLeastOnce"]
    got, out = _check(capsys, run, setting)
    assert got == code, out


@pytest.mark.parametrize("setting,code", [
    ("topic.unclean.leader.election.enable=true", EXIT_NOT_COVERED),
    ("topic.min.insync.replicas=2", EXIT_NOT_COVERED),
    ("topic.min.insync.replicas=1", EXIT_HOLDS),  # the model's min.insync.replicas
])
def test_streams_internal_topic_settings_are_measured_against_the_models_changelog(
        capsys, setting, code):
    got, out = _check(capsys, STREAMS_EOS, setting)
    assert got == code, out


# -- Connect sink: the dead-letter queue write is not awaited -----------------------------
# WorkerSinkTask converts records through RetryWithToleranceOperator.execute, which calls
# report(context) and drops the returned future; DeadLetterQueueReporter.report is a plain
# producer.send; WorkerSinkTask.commitOffsets awaits only the ErrantRecordReporter's
# futures (KIP-610).  The model wrote the dead-letter queue in the put() step itself, so
# errors.tolerance=all with errors.deadletterqueue.topic.name held SinkNoLoss through a
# task crash (716 states; the "all | dlq" row of the sink report).

def test_sink_no_loss_fails_when_the_worker_dies_before_the_dead_letter_send_lands():
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.testing import make_model

    model = make_model("sink", {"errors.tolerance": "all",
                                "errors.deadletterqueue.topic.name": "dlq"},
                       records=2, bad_records=1, write="upsert", crashes=1)
    result = breadth_first(model, ["SinkNoLoss"])
    found = result.violation("SinkNoLoss")
    # Offset 0 fails conversion and goes to the task's dead-letter producer; the worker
    # commits offset 1 and dies before the send is acknowledged.
    assert [a[0] for a in found.trace.actions] == [
        "Join", "InitialRebalance", "Sync", "Produce", "Poll", "Put", "Commit", "Crash"]
    assert found.trace.actions[-1] == ("Crash", "C1")
    assert result.distinct_states == 357  # the search stops at the violation


def test_a_prefixed_topic_setting_equal_to_the_models_own_is_covered(capsys):
    # The NOT COVERED line says which setting of the model to set; set to the same value,
    # the run is covered.
    # SourceAtLeastOnce only: SourceExactlyOnce cannot fail without a crash (session 22).
    run = ["source", "--bound", "workers=1", "--bound", "records=1", "--bound", "task_crashes=0",
           "--property", "SourceAtLeastOnce"]
    code, out = _check(capsys, run, "topic.creation.default.replication.factor=2")
    assert code == EXIT_NOT_COVERED
    assert "(not the replication.factor the model runs; set replication.factor itself)" in out
    code, out = _check(capsys, run, "topic.creation.default.replication.factor=2",
                       "replication.factor=2")
    assert code == EXIT_HOLDS, out


def test_a_prefixed_value_prints_as_given():
    # consumer.override.enable.auto.commit=false is what the worker runs: listed as given,
    # not turned into "true" by the boolean renderer of enable.auto.commit; a value not
    # covered prints as Kafka spells it.
    config = build_config(SinkModel, settings=[("consumer.override.enable.auto.commit",
                                                "false")])
    assert config.to_json()["not_modelled"] == {"consumer.override.enable.auto.commit": "false"}
    assert config.to_json()["not_covered"] == {}
    config = build_config(SinkModel, settings=[("consumer.override.auto.offset.reset",
                                                "latest")])
    assert config.to_json()["not_covered"] == {"consumer.override.auto.offset.reset": "latest"}
    assert config.uncovered_text() == "consumer.override.auto.offset.reset=latest"


# -- Kafka before 3.0 (audit of the Streams/Connect models, finding 4) --------------------
# Every source run before 3.0 was refused ("acks=1: ... set acks=all") though the worker
# sets acks=all in every release (Worker.baseProducerConfigs); a finite delivery timeout
# of the task's producer brings a fault, batch expiry, that the run must name.

@pytest.mark.parametrize("settings", [(), ("producer.override.acks=all",
                                           "connector.client.config.override.policy=All"),
                                      ("producer.acks=all",)])
def test_source_runs_before_kafka_3_0(capsys, settings):
    run = ["source", "--kafka-version", "2.8", "--bound", "records=1",
           "--property", "SourceAtLeastOnce"]
    code, out = _check(capsys, run, *settings)
    assert code == EXIT_HOLDS, out
    assert "NOT COVERED" not in out


def test_streams_runs_before_kafka_3_0_with_producer_acks_all(capsys):
    run = ["streams", "--kafka-version", "2.8", "--bound", "instances=1", "--bound",
           "inputs=1", "--bound", "instance_crashes=0"]
    code, out = _check(capsys, run, "producer.acks=all")
    assert code == EXIT_HOLDS, out
    # Left unset, the producer's default acks=1 (before 3.0) is not covered (was refused).
    code, out = _check(capsys, run)
    assert code == EXIT_INCOMPLETE and "HOLDS" not in out
    assert "NOT COVERED: acks=1 (the task's producer is modelled with acks=all only" in out
    assert "set producer.acks=all" in out


@pytest.mark.parametrize("version", ["2.3", "4.4"])
def test_a_source_producers_delivery_timeout_names_the_fault_it_brings(capsys, version):
    run = ["source", "--kafka-version", version, "--bound", "workers=1", "--bound",
           "records=1", "--bound", "task_crashes=0",
           "--set", "connector.client.config.override.policy=All"]  # None before 3.0
    code, out = _check(capsys, run, "producer.override.delivery.timeout.ms=30000")
    assert code == 3 and "NOT COVERED: producer.override.delivery.timeout.ms=30000 (it " \
        "brings a fault, sends failed by the delivery timeout, this run does not explore: " \
        "rerun with --bound expiries=1)" in out
    assert "batch expiry (delivery.timeout.ms)" in out  # among the faults not explored
    code, out = _check(capsys, [*run, "--bound", "late_produces=1", "--bound", "expiries=1",
                                "--property", "SourceAtLeastOnce"],
                       "producer.override.delivery.timeout.ms=30000")
    assert code == (EXIT_VIOLATED if version == "2.3" else EXIT_HOLDS), out
    assert "accepted: producer.override.delivery.timeout.ms (its value is not modelled; the " \
           "fault it brings is explored whatever it is: expiries=1)" in out


# -- replication.factor=-1 (audit of the Streams/Connect models, finding 5) ---------------
# StreamsConfig's replication.factor defaults to -1 from 3.0 (KIP-733: the broker's
# default.replication.factor, through CreateTopics without a replica count, KIP-464, 2.4)
# and has no validator; a Streams file with Kafka's own default was refused in one line.

def test_streams_replication_factor_minus_one_is_accepted_and_not_covered(capsys):
    code, out = _check(capsys, STREAMS_EOS, "replication.factor=-1")
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED: replication.factor=-1" in out
    assert "HOLDS" not in out


def test_a_streams_file_with_replication_factor_minus_one_is_reviewed(capsys, tmp_path):
    path = tmp_path / "streams.properties"
    path.write_text("application.id=app\nbootstrap.servers=b:9092\n"
                    "processing.guarantee=exactly_once_v2\nreplication.factor=-1\n")
    code = main(["review", str(path)])
    out = capsys.readouterr()
    assert code != EXIT_USAGE, out
    assert "Kafka Streams application" in out.out


@pytest.mark.parametrize("setting,version,message", [
    ("replication.factor=0", None, "invalid value '0' for replication.factor: value must be "
                                   "at least 1, or -1 for the broker's "
                                   "default.replication.factor"),
    ("replication.factor=-1", "2.3", "replication.factor=-1 does not exist in Kafka 2.3 "
                                     "(KIP-464 arrived in 2.4)"),
])
def test_replication_factors_kafka_refuses_are_refused(capsys, setting, version, message):
    run = [*STREAMS_EOS[:-2], *(["--kafka-version", version] if version else [])]
    code, out = _check(capsys, run, setting)
    assert code == EXIT_USAGE
    assert message in out
