"""Retention and offset expiry (session 32's retention review): a setting that brings a fault
the run leaves out is not covered, never HOLDS; a retention that deletes nothing cannot be
explored as if it did."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError, build_config
from kafkacheck.model import registry


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv, "--no-diagram"])
    return code, capsys.readouterr().out


REJOIN = ["--bound", "consumers=1", "--bound", "records=2", "--bound", "closes=1", "--bound",
          "rejoins=1", "--property", "NoSkippedOffsets", "--property", "AtLeastOnce"]


def test_offsets_retention_on_a_kip848_group_is_not_covered(capsys):
    # Was HOLDS, exit 0, with an "accepted, not modelled" line: a KIP-848 group's offsets
    # expire once it is empty (ConsumerGroup.offsetExpirationCondition), and the restarted
    # consumer resets past records; the model has no such fault.
    code, out = _check(capsys, "group-consumer", "--set", "offsets.retention.minutes=1",
                       "--bound", "partitions=1", *REJOIN)
    assert code == 3
    assert "NOT COVERED: offsets.retention.minutes=1 (it brings a fault, committed offsets " \
           "expiring, that this model does not explore)" in out


def test_offsets_retention_with_its_bound_left_at_zero_is_not_covered(capsys):
    # Was a WARNING and HOLDS, exit 0; with the bound explored the same run is VIOLATED.
    code, out = _check(capsys, "group", "--set", "offsets.retention.minutes=1", *REJOIN)
    assert code == 3
    assert "offsets.retention.minutes=1 (it brings a fault, committed offsets expiring, this " \
           "run does not explore: rerun with --bound offset_expiries=1)" in out
    code, out = _check(capsys, "group", "--set", "offsets.retention.minutes=1", *REJOIN,
                       "--bound", "offset_expiries=1")
    assert code == 1 and "ExpireOffsets" in out


def test_a_short_retention_on_a_streams_input_is_not_covered(capsys):
    code, out = _check(capsys, "streams", "--set", "processing.guarantee=exactly_once_v2",
                       "--set", "retention.ms=60000", "--bound", "inputs=1", "--bound",
                       "instance_crashes=0")
    assert code == 3 and "NOT COVERED: retention.ms=60000 (it brings a fault" in out


def test_retention_of_minus_one_cannot_be_explored_as_deleting(capsys):
    # Was VIOLATED through a Retention step while the run called retention.ms=-1 "no
    # effect": with retention.bytes at -1 too (the default) nothing is ever deleted.
    for keys in (["retention.ms=-1"], ["log.retention.hours=-1", "log.retention.ms=-1"]):
        sets = [arg for key in keys for arg in ("--set", key)]
        with pytest.raises(UsageError, match=r"--bound retention=1 explores records deleted "
                           r"by retention, but .*=-1 deletes none: leave the bound at 0"):
            build_config(registry.model_class("group"),
                         settings=[tuple(k.split("=")) for k in keys],
                         bounds=[("retention", "1")])
        assert main(["check", "group", *sets, "--bound", "retention=1"]) == 2
    # A size limit still deletes.
    build_config(registry.model_class("group"),
                 settings=[("retention.ms", "-1"), ("retention.bytes", "1048576")],
                 bounds=[("retention", "1")])


def test_a_bare_cleanup_policy_is_the_streams_input_topics_not_its_changelogs(capsys):
    # Was "no effect": Streams hands only topic. keys to its changelogs, so a bare
    # cleanup.policy=compact describes the input topic, whose compaction is not modelled.
    code, out = _check(capsys, "streams", "--set", "processing.guarantee=exactly_once_v2",
                       "--set", "cleanup.policy=compact", "--bound", "inputs=1", "--bound",
                       "instance_crashes=0")
    assert code == 3 and "NOT COVERED: cleanup.policy=compact (changes log semantics" in out


@pytest.mark.parametrize("value", ["by_duration:xyz", "by_duration:-PT1S", "by_duration:",
                                   "by_duration:PT"])
def test_a_by_duration_reset_kafka_cannot_parse_is_refused(capsys, value):
    # Was NOT COVERED (exit 3): AutoOffsetResetStrategy.fromString refuses these.
    assert main(["check", "group", "--set", f"auto.offset.reset={value}"]) == 2
    assert "by_duration needs a duration Duration.parse reads" in capsys.readouterr().err


def test_a_by_duration_reset_kafka_parses_is_not_covered(capsys):
    assert main(["check", "group", "--set", "auto.offset.reset=by_duration:P1DT2H",
                 "--bound", "records=1", "--bound", "consumers=1"]) == 3


def test_the_retention_excuse_says_processed_not_read(capsys):
    # A record read, lost with its consumer's crash and then deleted is excused too.
    _code, out = _check(capsys, "group", "--set", "auto.offset.reset=earliest", "--bound",
                        "consumers=1", "--bound", "records=1", "--bound", "retention=1",
                        "--property", "AtLeastOnce")
    assert "except records deleted by retention before anyone processed them" in out


# -- settings that bring or time faults, across the models (session 32's faults review) ---


def test_an_unclean_election_on_the_classic_groups_abstract_log_is_not_covered(capsys):
    # Was HOLDS with no note; --bound log=replicated shows the loss.
    code, out = _check(capsys, "group", "--set", "unclean.leader.election.enable=true",
                       "--bound", "records=1", "--bound", "consumers=1")
    assert code == 3 and "NOT COVERED: unclean.leader.election.enable=true (log=abstract " \
        "loses no record to a broker failure; --bound log=replicated checks" in out


@pytest.mark.parametrize("setting", ["log.retention.ms=-5", "log.retention.minutes=-2",
                                     "log.retention.bytes=-7"])
def test_any_negative_retention_is_no_limit(capsys, setting):
    # Was NOT COVERED, advising a --bound retention=1 that is then refused.
    code, out = _check(capsys, "group", "--set", setting, "--bound", "records=1", "--bound",
                       "consumers=1")
    name = setting.split("=")[0]
    assert f"accepted but not modelled: {name} (no effect on these verdicts)" in out
    assert "NOT COVERED" not in out


def test_the_timeouts_a_sink_hands_its_task_consumer_are_warned_of(capsys):
    # Was silent: the keys Connect hands the task consumer are read, and their fault is
    # left out with poll_timeouts=0.
    _code, out = _check(capsys, "sink", "--set", "consumer.override.max.poll.interval.ms=1000",
                        "--bound", "records=1")
    assert "WARNING: consumer.override.max.poll.interval.ms times a fault this run does not " \
        "explore (poll timeout (zombie consumer); poll_timeouts=0)" in out


def test_kip848_session_timeouts_are_the_kip848_groups_alone(capsys):
    _code, out = _check(capsys, "group-consumer", "--set", "consumer.session.timeout.ms=45000",
                        "--bound", "records=1")
    assert "WARNING: consumer.session.timeout.ms times a fault this run does not explore " \
        "(paused consumer (session expiry); pauses=0)" in out
    # A classic group has no such key to run: no effect, never "rerun with pauses".
    _code, out = _check(capsys, "group", "--set", "group.consumer.session.timeout.ms=45000",
                        "--bound", "records=1", "--bound", "consumers=1")
    assert "accepted but not modelled: group.consumer.session.timeout.ms (no effect" in out


def test_a_groups_own_session_timeout_outside_the_brokers_range_is_refused(capsys):
    # Was HOLDS: GroupConfig.validateValues refuses the change (InvalidConfigurationException).
    assert main(["check", "group-consumer", "--set", "consumer.session.timeout.ms=1000",
                 "--bound", "records=1", "--no-diagram"]) == 2
    assert "group.consumer.min.session.timeout.ms=45000" in capsys.readouterr().err
