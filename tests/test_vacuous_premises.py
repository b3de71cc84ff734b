"""A property that cannot fail under the bounds is *not checked* (exit 3), never HOLDS
(README "Exit codes"), and the configuration where it can fail still checks it: a mutant
that breaks it is caught there.

* ConsumersReadBelowHw: on the abstract log with hw_lag=0 the high watermark follows each
  append (AbstractLog.successors), so nothing is ever above it.
* DefiniteFailureAbsent rests on SomeSendFailedDefinitely: with retries=2147483647 and no
  expiry every NOT_ENOUGH_REPLICAS is retried and no batch ever fails definitely.
* ExtraConsumersIdle needs more consumers than partitions; PartitionOrder two records (and,
  per partition, records of two batches: SomePartitionHoldsTwoBatches); KeyOrder two records
  of one key (or a record sent again after a producer restart).
"""

from __future__ import annotations

import pytest
from mutants import make_mutant
from verdicts import cli, steps, verdicts

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
CONSUMER = {"group.protocol": "consumer"}
FAILOVER = {"replication.factor": "2", "min.insync.replicas": "2"}
NO_RETRIES = {**FAILOVER, "retries": "0", "enable.idempotence": "false"}
NO_IDEMPOTENCE = {"enable.idempotence": "false", "max.in.flight.requests.per.connection": "5"}


# -- 1. ConsumersReadBelowHw ---------------------------------------------------------------


def test_reads_below_hw_is_not_checked_on_the_default_group_and_names_the_bounds(capsys):
    code, out = cli(capsys, "check", "group", "--set", "auto.offset.reset=earliest",
                    "--property", "ConsumersReadBelowHw")
    assert code == 3
    assert "[ not checked ] ConsumersReadBelowHw" in out and "HOLDS" not in out
    assert "set --bound hw_lag=1 or --bound log=replicated to check it" in out


def test_reads_below_hw_is_not_checked_on_the_default_kip848_group(capsys):
    code, out = cli(capsys, "check", "group-consumer", "--bound", "records=1",
                    "--property", "ConsumersReadBelowHw")
    assert code == 3
    assert "[ not checked ] ConsumersReadBelowHw" in out and "HOLDS" not in out
    assert "set --bound hw_lag=1 to check it" in out  # no log bound in this model


@pytest.mark.parametrize("model, settings, bounds", [
    ("group", EARLIEST, {"consumers": 1, "records": 1}),
    ("group-consumer", CONSUMER, {"records": 1, "partitions": 1}),
])
def test_the_fetch_above_hw_mutant_is_caught_once_the_hw_can_lag(model, settings, bounds):
    at_zero = breadth_first(make_mutant(model, "fetch-above-hw", settings, **bounds, hw_lag=0),
                            ["ConsumersReadBelowHw"])
    assert at_zero.result == "incomplete"  # was HOLDS: the mutant survived
    assert verdicts(at_zero) == {"ConsumersReadBelowHw": "not checked"}
    lagging = breadth_first(make_mutant(model, "fetch-above-hw", settings, **bounds, hw_lag=1),
                            ["ConsumersReadBelowHw"])
    assert lagging.result == "violated" and steps(lagging, "ConsumersReadBelowHw") == 5
    real = breadth_first(make_model(model, settings, **bounds, hw_lag=1),
                         ["ConsumersReadBelowHw"])
    assert real.result == "holds"


def test_reads_below_hw_is_checked_over_the_replicated_log():
    settings = {**EARLIEST, "acks": "all", "replication.factor": "2"}
    bounds = {"consumers": 1, "records": 1, "log": "replicated"}
    real = breadth_first(make_model("group", settings, **bounds), ["ConsumersReadBelowHw"])
    assert real.result == "holds" and real.distinct_states == 2084
    mutant = breadth_first(make_mutant("group", "fetch-above-hw", settings, **bounds),
                           ["ConsumersReadBelowHw"])
    assert steps(mutant, "ConsumersReadBelowHw") == 5


# -- 2. DefiniteFailureAbsent --------------------------------------------------------------


def test_definite_failure_absent_is_not_checked_when_no_send_fails_definitely(capsys):
    code, out = cli(capsys, "check", "producer", "--property", "DefiniteFailureAbsent")
    assert code == 3
    assert "[ not checked ] DefiniteFailureAbsent" in out
    assert "[never reached] SomeSendFailedDefinitely" in out and "HOLDS" not in out


def test_the_rejects_after_append_mutant_no_longer_passes_under_endless_retries():
    # retries=2147483647: NOT_ENOUGH_REPLICAS is retried until it succeeds, no batch fails.
    result = breadth_first(make_mutant("producer", "rejects-after-append", FAILOVER),
                           ["DefiniteFailureAbsent"])
    assert result.result == "never reached"  # was HOLDS (8,749 states): a wrong green
    assert verdicts(result) == {"DefiniteFailureAbsent": "not checked",
                                "SomeSendFailedDefinitely": "never reached"}


def test_without_retries_definite_failure_absent_is_checked_and_catches_the_mutant(capsys):
    code, out = cli(capsys, "check", "producer", "--set", "retries=0", "--set",
                    "replication.factor=2", "--set", "min.insync.replicas=2",
                    "--property", "DefiniteFailureAbsent")
    assert code == 0 and "[    holds    ] SomeSendFailedDefinitely" in out
    bounds = {"records": 2, "batch_records": 1}
    mutant = breadth_first(make_mutant("producer", "rejects-after-append", NO_RETRIES, **bounds),
                           ["DefiniteFailureAbsent"])
    assert mutant.result == "violated" and steps(mutant, "DefiniteFailureAbsent") == 9
    real = breadth_first(make_model("producer", NO_RETRIES, **bounds), ["DefiniteFailureAbsent"])
    assert verdicts(real) == {"DefiniteFailureAbsent": "holds",
                              "SomeSendFailedDefinitely": "holds"}


# -- 3. ExtraConsumersIdle, PartitionOrder, KeyOrder ---------------------------------------


def test_extra_consumers_idle_is_not_checked_without_more_consumers_than_partitions(capsys):
    code, out = cli(capsys, "check", "group", "--bound", "partitions=2", "--bound", "records=0",
                    "--property", "ExtraConsumersIdle")
    assert code == 3 and "[ not checked ] ExtraConsumersIdle" in out
    mutant = breadth_first(make_mutant("group", "assign-all-to-leader", EARLIEST, consumers=2,
                                       partitions=2, records=0), ["ExtraConsumersIdle"])
    assert mutant.result == "incomplete"  # was HOLDS: the mutant survived at 2x2


@pytest.mark.parametrize("bounds, length", [
    ({"consumers": 3, "partitions": 2}, 5),
    # two consumers and one of two partitions at the start: checked before the second is added
    ({"consumers": 2, "partitions": 2, "added_partitions": 1}, 4),
])
def test_extra_consumers_idle_catches_the_mutant_with_more_consumers(bounds, length):
    mutant = breadth_first(make_mutant("group", "assign-all-to-leader", EARLIEST, records=0,
                                       **bounds), ["ExtraConsumersIdle"])
    assert steps(mutant, "ExtraConsumersIdle") == length


def test_partition_order_is_not_checked_with_one_record(capsys):
    code, out = cli(capsys, "check", "producer", "--set", "enable.idempotence=false",
                    "--bound", "records=1", "--property", "PartitionOrder")
    assert code == 3 and "[ not checked ] PartitionOrder" in out and "HOLDS" not in out
    two = breadth_first(make_model("producer", NO_IDEMPOTENCE, records=2, batch_records=1),
                        ["PartitionOrder"])
    assert steps(two, "PartitionOrder") == 10  # real Kafka: 5 in flight, no idempotence


def test_partition_order_is_not_checked_when_each_key_has_a_partition_of_its_own():
    # key-0 and key-1 hash to different partitions of 2: no partition gets two batches.
    apart = breadth_first(make_model("producer", NO_IDEMPOTENCE, records=2, batch_records=1,
                                     keys=2, partitions=2), ["PartitionOrder", "KeyOrder"])
    assert verdicts(apart) == {"PartitionOrder": "not checked", "KeyOrder": "not checked",
                               "SomePartitionHoldsTwoBatches": "never reached"}
    assert apart.result == "incomplete"
    together = breadth_first(make_model("producer", NO_IDEMPOTENCE, records=2, batch_records=1,
                                        keys=1, partitions=2), ["PartitionOrder", "KeyOrder"])
    assert steps(together, "PartitionOrder") == 10 and steps(together, "KeyOrder") == 10


def test_the_summary_line_names_a_property_left_vacuous_by_an_unreached_premise(capsys):
    code, out = cli(capsys, "check", "producer", "--set", "replication.factor=2",
                    "--set", "min.insync.replicas=2", "--bound", "records=2",
                    "--bound", "batch_records=1", "--bound", "crashes=1",
                    "--bound", "lost_responses=1", "--bound", "retry_budget=2")
    summary = next(line for line in out.splitlines() if line.startswith("NEVER REACHED"))
    assert code == 3
    assert summary.endswith("exploration complete; not checked: DefiniteFailureAbsent "
                            "(vacuous in this run: SomeSendFailedDefinitely is never reached, "
                            "so it could not fail))")
