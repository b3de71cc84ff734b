"""What the producer model proves and refutes (issue 5: the producer model's 'must show').

Each test is one `kafkacheck check producer --set ... --bound ...` run; the docstring
gives the command line.
"""

from __future__ import annotations

import pytest
from mutants import make_mutant
from reachable import transitions
from verdicts import holds_but_not_checked

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.producer import DEFINITE, NOT_ENOUGH_REPLICAS, NOT_LEADER
from kafkacheck.properties.producer import failed_send_written
from kafkacheck.testing import make_model

NO_IDEMPOTENCE = {"enable.idempotence": "false"}
FAILOVER = {"replication.factor": "2", "min.insync.replicas": "2"}
FAILOVER_BOUNDS = {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1}


def names(trace):
    return [a[0] for a in trace.actions]


def test_retries_without_idempotence_duplicate_a_batch_whose_acknowledgement_was_lost():
    """kafkacheck check producer --set enable.idempotence=false --bound records=1"""
    result = breadth_first(make_model("producer", NO_IDEMPOTENCE, records=1), ["NoDuplicates"])
    trace = result.violation("NoDuplicates").trace
    assert names(trace) == ["Send", "Drain", "Append", "Timeout", "Drain", "Append"]


def test_five_requests_in_flight_without_idempotence_reorder_a_retried_batch():
    """kafkacheck check producer --set enable.idempotence=false
    --set max.in.flight.requests.per.connection=5 --bound records=2 --bound batch_records=1"""
    settings = {**NO_IDEMPOTENCE, "max.in.flight.requests.per.connection": "5"}
    model = make_model("producer", settings, records=2, batch_records=1)
    result = breadth_first(model, ["PartitionOrder"])
    trace = result.violation("PartitionOrder").trace
    assert "Timeout" in names(trace)
    # Both requests failed together; reenqueue puts each at the head, so b1 goes first.
    appends = [a[2] for a in trace.actions if a[0] == "Append"]
    assert appends == ["b1", "b0"]


def test_one_request_in_flight_without_idempotence_keeps_order_but_still_duplicates():
    """kafkacheck check producer --set enable.idempotence=false
    --set max.in.flight.requests.per.connection=1 --bound records=2 --bound batch_records=1"""
    settings = {**NO_IDEMPOTENCE, "max.in.flight.requests.per.connection": "1"}
    result = breadth_first(make_model("producer", settings, records=2, batch_records=1))
    assert result.complete
    assert result.violation("PartitionOrder") is None
    assert result.violation("NoDuplicates") is not None


def test_idempotent_producer_keeps_order_without_duplicates_across_a_leader_failover():
    """kafkacheck check producer --set replication.factor=2 --set min.insync.replicas=2
    --bound records=2 --bound batch_records=1 --bound crashes=1 --bound lost_responses=1
    --bound retry_budget=2"""
    model = make_model("producer", FAILOVER, **FAILOVER_BOUNDS, retry_budget=2)
    result = breadth_first(model)
    # retries=2147483647: every NOT_ENOUGH_REPLICAS is retried, no send fails definitely,
    # so DefiniteFailureAbsent is not checked (audit s21; it was HOLDS).
    assert holds_but_not_checked(result, {"DefiniteFailureAbsent"}, {"SomeSendFailedDefinitely"})
    assert result.distinct_states > 20_000
    # Non-vacuous: the leader fails over and a batch is retried afterwards.
    assert {"LeaderFailsOver", "RetryAfterFailover", "SomeBatchRetried"} <= set(result.witnesses)
    assert result.coverage["Duplicate"] > 0  # the broker recognised a retried batch


def test_idempotent_producer_reorders_and_duplicates_with_a_third_retry_kip_360_epoch_bump():
    """Model finding, from the rules as read in Kafka's sources (not yet seen on a cluster):
    a broker holding no state for the producer accepts any sequence number
    (ProducerAppendInfo.checkSequence), so b1 (sequence 1) is written after b0 (sequence 0)
    was refused with NOT_ENOUGH_REPLICAS; when both answers are lost, b0's retry meets
    OUT_OF_ORDER_SEQUENCE_NUMBER while it is the next expected sequence, the producer bumps
    its epoch (TransactionManager.canRetry) and renumbers b0 and b1 from 0, and the broker
    takes both again.

    kafkacheck check producer --set replication.factor=2 --set min.insync.replicas=2
    --bound records=2 --bound batch_records=1 --bound crashes=1 --bound lost_responses=1
    --bound retry_budget=3"""
    model = make_model("producer", FAILOVER, **FAILOVER_BOUNDS, retry_budget=3)
    result = breadth_first(model, ["PartitionOrder", "NoDuplicates"])
    trace = result.violation("PartitionOrder").trace
    labels = [" ".join(str(x) for x in a) for a in trace.actions]
    assert "Reject B1 b0 NOT_ENOUGH_REPLICAS" in labels
    assert "Retry B1 b0 OUT_OF_ORDER_SEQUENCE_NUMBER" in labels
    assert labels[-1].startswith("Append B1 b0")
    assert result.violation("NoDuplicates") is not None


def test_a_definite_last_error_can_hide_an_earlier_written_attempt():
    """The application sees only the last attempt's error: after a timeout whose batch was
    written, the retry can be refused with NOT_ENOUGH_REPLICAS, and the failed record is in
    the log.  DefiniteFailureAbsent makes no claim about such a batch (an earlier attempt
    was in doubt), so it is not violated; the state is reachable.  With one record no batch
    fails definitely (the ISR shrinks only behind the batch's own append), so DefiniteFailureAbsent
    is not checked here (it was HOLDS before audit s21).

    kafkacheck check producer --set retries=1 --set replication.factor=2
    --set min.insync.replicas=2 --bound records=1"""
    for idempotence in ("true", "false"):
        settings = {**FAILOVER, "retries": "1", "enable.idempotence": idempotence}
        model = make_model("producer", settings, records=1)
        assert holds_but_not_checked(breadth_first(model, ["DefiniteFailureAbsent"]),
                                     {"DefiniteFailureAbsent"}, {"SomeSendFailedDefinitely"})
        assert any(failed_send_written(nxt, frozenset({NOT_ENOUGH_REPLICAS}))
                   and nxt.batches[0].in_doubt for _s, _a, nxt in transitions(model))


def test_not_leader_or_follower_can_answer_a_written_batch_kafka_13574():
    """DelayedProduce completes with NOT_LEADER_OR_FOLLOWER when the leader changes while the
    batch waits for the ISR: the batch was appended and may be in the new leader's log, so
    the error is indefinite (Jepsen's client reads it so too).

    kafkacheck check producer --set retries=0 --set replication.factor=2
    --bound records=1 --bound leader_changes=1 --bound lost_responses=0"""
    settings = {"replication.factor": "2", "retries": "0", "enable.idempotence": "false"}
    model = make_model("producer", settings, records=1, leader_changes=1, lost_responses=0)
    assert NOT_LEADER not in DEFINITE
    assert any(failed_send_written(nxt, frozenset({NOT_LEADER}))
               for _s, _a, nxt in transitions(model))
    # Not violated; and not checked: no send fails definitely here (it was HOLDS, audit s21).
    assert holds_but_not_checked(breadth_first(model, ["DefiniteFailureAbsent"]),
                                 {"DefiniteFailureAbsent"}, {"SomeSendFailedDefinitely"})


def test_a_broker_that_appends_before_its_min_isr_check_breaks_definite_failures():
    settings = {**FAILOVER, "retries": "0", "enable.idempotence": "false"}
    mutant = make_mutant("producer", "rejects-after-append", settings, records=2,
                         batch_records=1)
    trace = breadth_first(mutant, ["DefiniteFailureAbsent"]).violation(
        "DefiniteFailureAbsent").trace
    assert trace.actions[-1][3:] == ("NOT_ENOUGH_REPLICAS", "failed")


def test_without_retries_a_definite_error_means_not_written_and_a_timeout_means_unknown():
    """kafkacheck check producer --set retries=0 --set replication.factor=2
    --set min.insync.replicas=2 (idempotence is silently disabled)

    Two records (it was one before audit s21): with one, no batch ever fails definitely and
    DefiniteFailureAbsent could not fail; with two, a definite failure happens and nothing
    refused is in the log."""
    settings = {**FAILOVER, "retries": "0"}
    model = make_model("producer", settings, records=2)
    assert not model.idempotent
    result = breadth_first(model)
    assert result.result == "holds" and result.distinct_states == 704
    assert "SomeSendFailedDefinitely" in result.witnesses
    assert "TimedOutSendWritten" in result.witnesses


def test_acks_0_acknowledges_before_anything_is_written():
    """kafkacheck check producer --set acks=0 --bound records=1"""
    result = breadth_first(make_model("producer", {"acks": "0"}, records=1),
                           ["NoAckedRecordLost"])
    assert names(result.violation("NoAckedRecordLost").trace) == ["Send", "Drain"]


def test_acks_1_loses_an_acknowledged_record_when_the_leader_fails_over():
    """kafkacheck check producer --set acks=1 --set replication.factor=2 --bound records=1
    --bound crashes=1 --bound lost_responses=0"""
    model = make_model("producer", {"acks": "1", "replication.factor": "2"}, records=1,
                       crashes=1, lost_responses=0)
    result = breadth_first(model, ["NoAckedRecordLost"])
    assert names(result.violation("NoAckedRecordLost").trace)[-3:] == [
        "Receive", "Crash", "Fence"]


def test_default_partitioner_keeps_each_keys_records_in_order_through_retries():
    """kafkacheck check producer --bound keys=2 --bound partitions=2 --bound records=3
    --bound batch_records=1"""
    model = make_model("producer", {}, keys=2, partitions=2, records=3, batch_records=1)
    result = breadth_first(model)
    # KeyOrder and PartitionOrder hold; no send fails definitely (it was HOLDS, audit s21).
    # One replica (replication.factor=1) has none to disagree with: ReplicasAgreeBelowHw
    # is not checked (it was HOLDS, tests/test_vacuous_premises_replication.py).
    assert holds_but_not_checked(result, {"DefiniteFailureAbsent", "ReplicasAgreeBelowHw"},
                                 {"SomeSendFailedDefinitely"})


@pytest.mark.parametrize("settings", [
    {"partitioner.class": "RoundRobinPartitioner"},
    {"partitioner.ignore.keys": "true"},
])
def test_partitioners_that_ignore_keys_break_per_key_order(settings):
    """kafkacheck check producer --set partitioner.class=RoundRobinPartitioner --bound keys=1
    --bound partitions=2 --bound records=2 --bound batch_records=1"""
    model = make_model("producer", settings, keys=1, partitions=2, records=2, batch_records=1,
                       lost_responses=0)
    result = breadth_first(model, ["KeyOrder"])
    trace = result.violation("KeyOrder").trace
    sent = [a[3] for a in trace.actions if a[0] == "Send"]
    assert sent in (["p0", "p1"], ["p1", "p0"])


@pytest.mark.parametrize("name,prop,keys", [
    ("no-producer-state", "NoDuplicates", 0),
    ("skip-sequence-check", "PartitionOrder", 0),
    ("skip-sequence-check", "KeyOrder", 1),
    ("oos-as-success", "NoAckedRecordLost", 0),
])
def test_each_producer_property_catches_its_mutant(name, prop, keys):
    """The producer mutants of tests/mutants/producer.py over the failover bounds."""
    model = make_mutant("producer", name, FAILOVER, **FAILOVER_BOUNDS, retry_budget=2,
                        keys=keys)
    result = breadth_first(model, [prop], max_seconds=60)
    assert result.violation(prop) is not None


def test_the_same_bounds_without_a_bug_hold_for_those_properties():
    model = make_model("producer", FAILOVER, **FAILOVER_BOUNDS, retry_budget=2, keys=1)
    result = breadth_first(model, ["NoDuplicates", "PartitionOrder", "KeyOrder",
                                   "NoAckedRecordLost"])
    assert result.result == "holds"


def test_delivery_timeout_reports_a_written_batch_as_failed():
    """kafkacheck check producer --bound records=2 --bound batch_records=1 --bound expiries=1
    --bound retry_budget=1"""
    model = make_model("producer", {}, records=2, batch_records=1, expiries=1, retry_budget=1)
    result = breadth_first(model)
    # An expiry is TimeoutException, indefinite: no send fails definitely, so
    # DefiniteFailureAbsent is not checked (it was HOLDS, audit s21).
    # One replica (replication.factor=1) has none to disagree with: ReplicasAgreeBelowHw
    # is not checked (it was HOLDS, tests/test_vacuous_premises_replication.py).
    assert holds_but_not_checked(result, {"DefiniteFailureAbsent", "ReplicasAgreeBelowHw"},
                                 {"SomeSendFailedDefinitely"})
    witness = result.witnesses["TimedOutSendWritten"]
    assert [a[0] for a in witness.actions][-1] == "Expire"


@pytest.mark.parametrize("rule,prop,bounds", [
    ("TruncationKeepsHw", "HwWithinLeo", {"crashes": 1, "crash_kind": "power-loss"}),
    ("ElectsOutsideIsr", "LeaderInIsr", {"crashes": 1}),
    ("SkipsTruncation", "ReplicasAgreeBelowHw", {"crashes": 1, "leader_changes": 1}),
    ("NeverElects", "LeaderFailsOver", {"crashes": 1}),
])
def test_the_replication_properties_on_the_producer_catch_partition_mutants(rule, prop,
                                                                            bounds):
    """The producer composes the partition component: a one-rule mutant of it breaks the
    lifted replication property on the producer's own states."""
    from mutants import replication as rm

    from kafkacheck.config import build_config
    from kafkacheck.model.clients.producer import ProducerModel

    class Mutant(ProducerModel):
        rule_mixins = (getattr(rm, rule),)

    settings = {"replication.factor": "2", "acks": "1", "enable.idempotence": "false",
                "eligible.leader.replicas.version": "0"}
    config = build_config(Mutant, list(settings.items()),
                          bounds=[(k, str(v)) for k, v in {"records": 1, **bounds}.items()])
    assert breadth_first(Mutant(config), [prop]).violation(prop) is not None
