"""Audit 16: consumer group answers Kafka would not give.

Each test names the guarantee a run used to answer for a group that never runs (a wrong
green: HOLDS, or "no effect", for settings Kafka refuses) and pins the right answer beside
a neighbouring setting Kafka accepts.  Every run here is a validation or a few hundred
states.
"""

from __future__ import annotations

import pytest
from verdicts import cli_gaps

from kafkacheck.cli import EXIT_HOLDS, EXIT_INCOMPLETE, EXIT_USAGE, main
from kafkacheck.testing import assert_violated, check, make_model

# One consumer (never more members than partitions) on the abstract log with hw_lag=0 (the
# HW follows each append): these cannot fail, so they are not checked (audit s21).
# With one consumer the ownership properties cannot fail either (two owners need two
# processes; s22).
# (CommitsFromCurrentGeneration: no pause, poll timeout or duplicate instance, audit s23)
ONE_CONSUMER_VACUOUS = {"ExtraConsumersIdle", "ConsumersReadBelowHw", "OneOwnerPerGeneration",
                        "NoTwoOwnersAtOnce", "NoConcurrentProcessing",
                        "CommitsFromCurrentGeneration"}
FAST = ["--no-diagram", "--no-estimate", "--progress-every", "0", "--max-states", "400"]


def _check(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv, *FAST])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- classic protocol: the consumer is never built, or never joins ------------------------

@pytest.mark.parametrize(("settings", "error"), [
    # Heartbeat's constructor: heartbeat.interval.ms must be lower than session.timeout.ms.
    (["session.timeout.ms=2000"], "heartbeat.interval.ms=3000 must be lower than"),
    (["heartbeat.interval.ms=45000"], "heartbeat.interval.ms=45000 must be lower than"),
    # GroupCoordinatorService.joinGroup: outside [6000, 1800000] -> INVALID_SESSION_TIMEOUT.
    (["session.timeout.ms=5000", "heartbeat.interval.ms=1000"], "INVALID_SESSION_TIMEOUT"),
    (["session.timeout.ms=1800001"], "INVALID_SESSION_TIMEOUT"),
    # ConsumerConfig.checkGroupRemoteAssignor (3.9, KAFKA-15773).
    (["group.remote.assignor=uniform"], "group.remote.assignor cannot be set when "
                                        "group.protocol=CLASSIC"),
])
def test_all_records_processed_is_not_answered_for_a_classic_consumer_that_never_joins(
        capsys, settings, error):
    argv = [a for s in settings for a in ("--set", s)]
    code, out, err = _check(capsys, "group", *argv, "--property", "AllRecordsProcessed")
    assert code == EXIT_USAGE, out
    assert error in err and "HOLDS" not in out.upper()


@pytest.mark.parametrize("settings", [
    # Inside the broker's default range.
    ["session.timeout.ms=6000", "heartbeat.interval.ms=2000"],
    # A short session the broker allows (the conformance cluster runs
    # group.min.session.timeout.ms=1000 for quick sessions).
    ["session.timeout.ms=3000", "heartbeat.interval.ms=500",
     "group.min.session.timeout.ms=1000"],
])
def test_a_session_timeout_inside_the_brokers_range_is_checked(capsys, settings):
    argv = [a for s in settings for a in ("--set", s)]
    code, out, _ = _check(capsys, "group", *argv, "--property", "NoTwoOwnersAtOnce")
    assert code == EXIT_HOLDS, out


def test_before_kafka_2_3_the_session_timeout_limit_is_five_minutes(capsys):
    code, _, err = _check(capsys, "group", "--kafka-version", "2.2",
                          "--set", "session.timeout.ms=400000")
    assert code == EXIT_USAGE and "group.max.session.timeout.ms=300000" in err
    code, out, _ = _check(capsys, "group", "--kafka-version", "2.3",
                          "--set", "session.timeout.ms=400000", "--property",
                          "NoTwoOwnersAtOnce")
    assert code == EXIT_HOLDS, out


def test_before_kafka_3_9_a_classic_consumer_ignores_group_remote_assignor(capsys):
    code, out, _ = _check(capsys, "group", "--kafka-version", "3.8",
                          "--set", "group.remote.assignor=uniform", "--property",
                          "NoTwoOwnersAtOnce")
    assert code == EXIT_HOLDS, out


# -- KIP-848: classic-only keys and the broker's consumer-group ranges -------------------

@pytest.mark.parametrize(("settings", "error"), [
    # ConsumerConfig.CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS (KAFKA-17338, 4.0), even at
    # the default value: the consumer reads what the application set (originals()).
    (["session.timeout.ms=45000"], "session.timeout.ms cannot be set when "
                                   "group.protocol=CONSUMER"),
    (["heartbeat.interval.ms=3000"], "heartbeat.interval.ms cannot be set"),
    (["partition.assignment.strategy=range"], "partition.assignment.strategy cannot be set"),
    # GroupCoordinatorConfig: the broker does not start (KAFKA-17618 for the last one).
    (["group.consumer.session.timeout.ms=10000"],
     "must be at least group.consumer.min.session.timeout.ms=45000"),
    (["group.consumer.session.timeout.ms=90000"],
     "must be at most group.consumer.max.session.timeout.ms=60000"),
    (["group.consumer.heartbeat.interval.ms=1000"],
     "must be at least group.consumer.min.heartbeat.interval.ms=5000"),
    (["group.consumer.session.timeout.ms=10000", "group.consumer.min.session.timeout.ms=1000",
      "group.consumer.heartbeat.interval.ms=10000"], "must be less than "
                                                      "group.consumer.session.timeout.ms"),
])
def test_single_owner_is_not_answered_for_a_kip848_group_kafka_refuses_to_run(
        capsys, settings, error):
    argv = [a for s in ["group.protocol=consumer", *settings] for a in ("--set", s)]
    code, out, err = _check(capsys, "group", *argv, "--property", "NoTwoOwnersAtOnce")
    assert code == EXIT_USAGE, out
    assert error in err


def test_a_kip848_group_inside_the_brokers_ranges_is_checked(capsys):
    # Two consumers: with one, NoTwoOwnersAtOnce cannot fail and is not checked (session 22).
    code, out, _ = _check(capsys, "group-consumer", "--bound", "consumers=2",
                          "--bound", "partitions=1",
                          "--set", "group.consumer.session.timeout.ms=60000",
                          "--set", "group.consumer.heartbeat.interval.ms=15000",
                          "--property", "NoTwoOwnersAtOnce")
    assert code == EXIT_HOLDS, out


# -- KIP-848: a member past max.poll.interval.ms (a zombie, as with the classic protocol) --

ZOMBIE = {"consumers": 2, "partitions": 1, "records": 1, "poll_timeouts": 1}
EARLY = {"auto.offset.reset": "earliest"}


@pytest.mark.parametrize(("prop", "steps"), [
    # C1 polls p0, its poll timer expires: it leaves and turns STALE holding p0 until its
    # next poll; C2 joins and is given p0 at once (C1 is no member), then polls it.
    ("NoTwoOwnersAtOnce", 9),
    ("NoConcurrentProcessing", 10),
    ("AtMostOnce", 12),
])
def test_a_kip848_member_past_max_poll_interval_is_a_zombie(prop, steps):
    result = assert_violated(EARLY, prop, model="group-consumer", bounds=ZOMBIE)
    trace = result.violations[0].trace
    assert len(trace) == steps
    assert [a[0] for a in trace.actions].count("PollTimeout") == 1


def test_a_kip848_zombie_rejoins_and_the_group_still_converges():
    result = check(EARLY, model="group-consumer", bounds=ZOMBIE,
                   properties=["GroupConverges", "AllRecordsProcessed", "AtLeastOnce"])
    assert result.result == "holds", result.result
    assert result.distinct_states == 2612
    assert ("poll timeout (zombie consumer)", 1) in result.model.fault_model().explored


def test_a_kip848_run_without_poll_timeouts_names_them_as_not_explored():
    result = check(EARLY, model="group-consumer", bounds={**ZOMBIE, "poll_timeouts": 0},
                   properties=["NoConcurrentProcessing"])
    assert result.result == "holds"
    assert "poll timeout (zombie consumer)" in result.model.fault_model().not_explored


# -- the broker's group.coordinator.rebalance.protocols ------------------------------------

@pytest.mark.parametrize(("model", "protocols", "error"), [
    # KafkaApis: ConsumerGroupHeartbeat is UNSUPPORTED_VERSION without consumer.
    ("group-consumer", "classic", "UNSUPPORTED_VERSION"),
    # KafkaConfig.groupCoordinatorRebalanceProtocols: classic cannot be disabled.
    ("group", "consumer", "must include classic"),
])
def test_the_group_settles_is_not_answered_when_the_broker_disables_its_protocol(
        capsys, model, protocols, error):
    code, out, err = _check(capsys, model, "--bound", "consumers=1", "--bound", "partitions=1",
                            "--set", f"group.coordinator.rebalance.protocols={protocols}")
    assert code == EXIT_USAGE, out
    assert error in err


def test_a_broker_that_enables_both_protocols_runs_either(capsys):
    # Two consumers: with one, group-consumer's NoTwoOwnersAtOnce cannot fail and is not
    # checked (session 22).
    for model in ("group", "group-consumer"):
        code, out, _ = _check(capsys, model, "--bound", "consumers=2", "--bound",
                              "partitions=1", "--set",
                              "group.coordinator.rebalance.protocols=classic,consumer",
                              "--property", "NoTwoOwnersAtOnce")
        assert code == EXIT_HOLDS, out


def test_the_consumer_protocol_group_names_the_classic_faults_it_does_not_model():
    # The classic group explores offset expiry (KIP-211), a duplicate static instance and,
    # with log=replicated, broker crashes; group-consumer has none of them and named none.
    faults = make_model("group-consumer").fault_model()
    for fault in ("committed offsets expire", "same group.instance.id", "broker faults"):
        assert any(fault in name for name in faults.not_explored), fault


def test_a_sink_task_gets_the_heartbeat_and_broker_range_its_session_timeout_is_checked_with(
        capsys):
    # A Connect sink task is a classic group member: the heartbeat interval and the broker's
    # session range it is given reach the group model's check (the task consumer's keys
    # carry the worker's consumer. prefix; the broker's are bare).
    short = ["--set", "consumer.session.timeout.ms=3000"]
    code, _, err = _check(capsys, "sink", *short)
    assert code == EXIT_USAGE and "heartbeat.interval.ms=3000 must be lower" in err
    code, out, _ = _check(capsys, "sink", *short, "--set", "consumer.heartbeat.interval.ms=1000",
                          "--set", "group.min.session.timeout.ms=1000")
    assert code != EXIT_USAGE and "task consumer runs session.timeout.ms=3000" in out


def test_a_kip848_group_whose_only_member_crashed_is_settled():
    # Was a false violation: with every member gone no heartbeat computes the target for
    # the epoch the expiry bumped, and an Empty group was read as never converging.
    result = check(EARLY, model="group-consumer", properties=["GroupConverges"],
                   bounds={"consumers": 1, "partitions": 1, "records": 1, "crashes": 1})
    assert result.result == "holds" and result.distinct_states == 72


# -- interceptor.classes: a ConsumerInterceptor may filter what poll() returns -----------

def test_no_skipped_offsets_is_not_answered_with_a_consumer_interceptor(capsys):
    # ConsumerInterceptor.onConsume: "the interceptor can filter the records"; the
    # position still moves past them, so the application never sees a record.
    run = ["group", "--bound", "consumers=1", "--bound", "records=1",
           "--set", "auto.offset.reset=earliest", "--property", "NoSkippedOffsets"]
    code, out, _ = _check(capsys, *run, "--set", "interceptor.classes=com.acme.Filter")
    assert code != EXIT_HOLDS and "NOT COVERED: interceptor.classes=com.acme.Filter" in out
    code, out, _ = _check(capsys, *run, "--set", "interceptor.classes=")
    assert code == EXIT_HOLDS, out


# -- review: a consumer file Kafka refuses to run, or one in no group ----------------------

def _review(capsys, tmp_path, *files: tuple[str, str]) -> tuple[int, str]:
    paths = []
    for spec, text in files:  # [ROLE:]NAME
        role, _, name = spec.rpartition(":")
        path = tmp_path / name
        path.write_text(text)
        paths.append(f"{role}:{path}" if role else str(path))
    code = main(["review", *paths])
    return code, capsys.readouterr().out


def test_review_answers_no_group_guarantee_for_a_kip848_consumer_with_classic_keys(
        capsys, tmp_path):
    # Copied from a classic consumer: Kafka 4's consumer refuses session.timeout.ms under
    # group.protocol=consumer.  The file's key reached no check: both guarantees HELD.
    # Then not covered (exit 3); since session 32 a refusal, as ProducerConfig's are.
    (tmp_path / "c.properties").write_text("group.id=g\ngroup.protocol=consumer\n"
                                           "session.timeout.ms=45000\n")
    code = main(["review", str(tmp_path / "c.properties")])
    captured = capsys.readouterr()
    assert code == 2 and "[HOLDS]" not in captured.out
    assert "refuses this consumer configuration: ConfigException: session.timeout.ms cannot " \
        "be set when group.protocol=CONSUMER" in captured.err


def test_review_checks_the_session_timeout_against_the_broker_file(capsys, tmp_path):
    consumer = ("c.properties", "group.id=g\nauto.offset.reset=earliest\n"
                "partition.assignment.strategy=org.apache.kafka.clients.consumer."
                "CooperativeStickyAssignor\nsession.timeout.ms=3000\n"
                "heartbeat.interval.ms=1000\n")
    code, out = _review(capsys, tmp_path, consumer)
    assert code == 3 and "INVALID_SESSION_TIMEOUT" in out and "[HOLDS]" not in out
    code, out = _review(capsys, tmp_path, consumer, ("broker:b.properties",
                                                     "group.min.session.timeout.ms=1000\n"))
    assert "INVALID_SESSION_TIMEOUT" not in out and "No partition has two owners" in out


def test_review_answers_no_group_guarantee_for_a_consumer_without_group_id(
        capsys, tmp_path):
    code, out = _review(capsys, tmp_path, ("c.properties", "auto.offset.reset=earliest\n"
                                           "enable.auto.commit=false\n"))
    assert code == 3 and "[HOLDS]" not in out and "no group.id" in out


@pytest.mark.parametrize("model", ["group", "group-consumer"])
@pytest.mark.parametrize("instance", ["my app", "..", "a/b", "x" * 250])
def test_static_membership_is_not_answered_for_an_instance_id_kafka_refuses(
        capsys, model, instance):
    # GroupRebalanceConfig -> JoinGroupRequest.validateGroupInstanceId (Topic.validate).
    code, _, err = _check(capsys, model, "--set", f"group.instance.id={instance}")
    assert code == EXIT_USAGE and "InvalidConfigurationException" in err


def test_a_legal_instance_id_runs_static_membership(capsys):
    code, out, _ = _check(capsys, "group", "--bound", "consumers=1", "--bound", "records=1",
                          "--set", "group.instance.id=billing-service_0.a")
    # Checked (not refused, not NOT COVERED); with one consumer and hw_lag=0 two properties
    # cannot fail and are not checked: exit 3 (it was HOLDS, exit 0, before audit s21).
    assert code == EXIT_INCOMPLETE, out
    assert cli_gaps(out) == {"not checked": ONE_CONSUMER_VACUOUS}


# -- releases: what a classic consumer of the release checked has ------------------------

@pytest.mark.parametrize(("version", "settings", "error"), [
    ("2.3", ["partition.assignment.strategy=cooperative-sticky"], "arrived in 2.4"),
    ("0.10", ["partition.assignment.strategy=sticky"], "arrived in 0.11"),
    ("2.2", ["group.instance.id=app"], "KIP-345 arrived in 2.3"),
])
def test_one_owner_is_not_answered_for_a_release_without_the_setting(
        capsys, version, settings, error):
    argv = [a for s in settings for a in ("--set", s)]
    code, _, err = _check(capsys, "group", "--kafka-version", version, *argv)
    assert code == EXIT_USAGE and error in err


def test_before_kafka_3_0_the_default_assignor_list_is_range_alone(capsys):
    # KIP-726 (3.0) added CooperativeStickyAssignor to the default list.
    code, out, _ = _check(capsys, "group", "--kafka-version", "2.8", "--bound", "consumers=1",
                          "--bound", "records=1")
    # (exit 3: two properties cannot fail with one consumer and hw_lag=0; audit s21)
    assert code == EXIT_INCOMPLETE and "range,cooperative-sticky" not in out
    assert cli_gaps(out) == {"not checked": ONE_CONSUMER_VACUOUS}
    assert "settings: partition.assignment.strategy=range" in out
