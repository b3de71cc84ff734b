"""A class of the user's own (a custom assignor or partitioner) is a valid Kafka setting
that no model runs: the run says NOT COVERED, never HOLDS, and never refuses it as a
typo. Kafka Streams replaces its main consumer's assignor whatever the keys say."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.explorer.render import not_covered_text
from kafkacheck.explorer.result import INCOMPLETE
from kafkacheck.testing import check


def _not_covered(run) -> bool:
    """No verdict (exit 3) because a setting asked for is not covered."""
    return run.result == INCOMPLETE and bool(run.uncovered_settings)

MINE = "com.example.MyAssignor"


@pytest.mark.parametrize("value", [MINE, f"range,{MINE}", f"{MINE},cooperative-sticky"])
def test_a_custom_assignor_anywhere_in_the_list_is_not_covered(value):
    # ConsumerCoordinator takes the rebalance protocol every listed assignor supports,
    # and a custom one's supportedProtocols() is unknown: the list as a whole is not run.
    run = check({"partition.assignment.strategy": value}, model="group")
    assert _not_covered(run)
    assert "a class of your own, which the model does not run" in not_covered_text(run)


def test_a_short_name_that_is_no_assignor_is_still_refused():
    with pytest.raises(UsageError, match="unknown assignor"):
        check({"partition.assignment.strategy": "rnage"}, model="group")


def test_a_custom_partitioner_and_a_custom_server_assignor_are_not_covered():
    assert _not_covered(check({"partitioner.class": "com.example.MyPartitioner"},
                              model="producer"))
    assert _not_covered(check({"group.consumer.assignors": "com.example.MyServerAssignor"},
                              model="group-consumer"))


def test_a_sink_task_consumer_given_a_custom_assignor_is_not_covered():
    # The task consumer runs the assignor its prefixed keys name: a built-in one is run
    # (covered), a custom one is not (it was VIOLATED under Kafka's default).
    key = "consumer.override.partition.assignment.strategy"
    assert check({key: "roundrobin"}, model="sink").result == "violated"
    run = check({key: MINE}, model="sink")
    assert _not_covered(run)
    assert key in run.model.config.uncovered


@pytest.mark.parametrize("key", ["partition.assignment.strategy",
                                 "consumer.partition.assignment.strategy",
                                 "main.consumer.partition.assignment.strategy"])
def test_streams_runs_its_own_assignor_whatever_the_key_says(key):
    # StreamsConfig.getMainConsumerConfigs puts StreamsPartitionAssignor after every
    # prefix: the user's value, built-in or custom, changes nothing (it was NOT COVERED).
    plain = check({}, model="streams")
    for value in ("range", MINE):
        run = check({key: value}, model="streams")
        assert (run.result, run.distinct_states) == (plain.result, plain.distinct_states)
        assert not run.model.config.uncovered
        assert any(n.startswith(f"{key}: Kafka Streams runs its own value")
                   for n in run.model.notes())


def test_review_of_a_consumer_file_with_a_custom_assignor_exits_3(tmp_path, capsys):
    # It exited 2 as an invalid value.
    path = tmp_path / "c.properties"
    path.write_text(f"bootstrap.servers=b:9092\ngroup.id=g\n"
                    f"partition.assignment.strategy={MINE}\n")
    assert main(["review", str(path), "--no-fix"]) == 3
    assert "class of your own" in capsys.readouterr().out
