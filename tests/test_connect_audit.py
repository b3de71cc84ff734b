"""Audit of the Kafka Connect models (source and sink): what Connect gives its producers
per release, put() redelivery, and what the output says it explored.

* Connect's Worker sets retries=Integer.MAX_VALUE (0.9 to 2.0; the client's default from
  2.1, KIP-91) and request.timeout.ms=Integer.MAX_VALUE (up to 2.8, KAFKA-12361): a
  producer.retries other than that is not covered, and before 2.1 a
  producer.request.timeout.ms brings batch expiry (a loss before KAFKA-8586).
* Kafka 3.0.1's task producers are idempotent: KAFKA-13598 applies the client's default
  there, and KAFKA-13759 (3.0.2, 3.1.1, 3.2) is what turns it off for Connect.
* WorkerSinkTask.deliverMessages puts a batch again after put() throws a
  RetriableException (bound put_retries): an appending connector writes rows twice.
* One worker has no zombie; a run without exactly-once says nothing of transactions.

Each run explores a few hundred states at most.
"""

from __future__ import annotations

import pytest
from test_streams_connect_audit import _check

from kafkacheck.cli import EXIT_HOLDS, EXIT_INCOMPLETE, EXIT_VIOLATED
from kafkacheck.config import build_config
from kafkacheck.model import versions
from kafkacheck.model.clients.source import SourceModel

EXIT_NOT_COVERED = EXIT_INCOMPLETE
ONE_RECORD = ["source", "--bound", "records=1", "--bound", "task_crashes=0",
              "--bound", "workers=1"]


# -- finding 1: producer.retries -------------------------------------------------------
# Worker.java (0.11.0.0 to 2.0.1) puts RETRIES_CONFIG=Integer.MAX_VALUE before the
# worker's producer.* keys; from 2.1 the client's default is the same value.

# producer.override. keys arrive in 2.3 (KIP-458); a worker lets them through by default
# from 3.0 (KIP-722).
@pytest.mark.parametrize(("version", "key"), [
    *((v, "producer.retries") for v in ("0.11", "1.0", "2.0", "2.3", "4.4")),
    *((v, "producer.override.retries") for v in ("2.3", "4.4"))])
def test_a_source_producer_with_retries_0_is_not_covered_on_any_release(capsys, version,
                                                                        key):
    policy = (("connector.client.config.override.policy=All",)
              if version == "2.3" and "override" in key else ())
    code, out = _check(capsys, ["--kafka-version", version, *ONE_RECORD], f"{key}=0",
                       *policy)
    assert code == EXIT_NOT_COVERED, out
    assert f"NOT COVERED: {key}=0 (changes producer semantics" in out
    assert "HOLDS" not in out and f"accepted but not modelled: {key}" not in out


@pytest.mark.parametrize("version", ["2.0", "4.4"])
def test_connects_own_retries_value_is_what_the_model_runs(capsys, version):
    # SourceAtLeastOnce only: without a crash no record is sent twice, so SourceExactlyOnce
    # is not checked here (session 22: it cannot fail, exit 3).
    code, out = _check(capsys, ["--kafka-version", version, *ONE_RECORD, "--property",
                                "SourceAtLeastOnce"], "producer.retries=2147483647")
    assert code == EXIT_HOLDS, out
    assert "NOT COVERED" not in out
    config = build_config(SourceModel, settings=[("producer.retries", "2147483647")],
                          kafka_version="2.0")
    assert dict(config.uncovered) == {}


# -- finding 2: producer.request.timeout.ms before 2.1 ---------------------------------
# Before KIP-91 RecordAccumulator expired a batch after request.timeout.ms, which Connect
# set to Integer.MAX_VALUE; a user value brings batch expiry, a loss before KAFKA-8586.

def test_a_request_timeout_before_2_1_is_not_covered_without_the_batch_expiry_it_brings(
        capsys):
    code, out = _check(capsys, ["--kafka-version", "2.0", *ONE_RECORD],
                       "producer.request.timeout.ms=30000")
    assert code == 3
    assert "NOT COVERED: producer.request.timeout.ms=30000 (it brings a fault, batches " \
           "expired by request.timeout.ms (before KIP-91), this run does not explore: " \
           "rerun with --bound expiries=1)" in out
    assert "accepted but not modelled: producer.request.timeout.ms" not in out


def test_from_2_1_a_request_timeout_brings_retried_requests_and_from_3_0_nothing_new(capsys):
    # 2.1-2.8: a finite request.timeout.ms (Connect's own is Integer.MAX_VALUE up to 2.8)
    # times a request out and sends it again: the late_produces fault, not a batch expiry.
    code, out = _check(capsys, ["--kafka-version", "2.5", *ONE_RECORD],
                       "producer.request.timeout.ms=30000")
    assert code == 3 and "NOT COVERED: producer.request.timeout.ms=30000 (it brings a " \
        "fault, produce requests timed out and sent again (Connect's own request.timeout.ms " \
        "is Integer.MAX_VALUE up to 2.8), this run does not explore: rerun with --bound " \
        "late_produces=1)" in out
    # 3.0 (KAFKA-12361): the client's own default applies, so a value brings nothing new;
    # it still times the late produce this run leaves out (at any value)
    _code, out = _check(capsys, ["--kafka-version", "3.5", *ONE_RECORD],
                        "producer.request.timeout.ms=30000")
    assert "NOT COVERED" not in out
    assert "WARNING: producer.request.timeout.ms times a fault this run does " \
        "not explore (a produce request delayed past request.timeout.ms, retried, and " \
        "delivered late; late_produces=0)" in out


def test_the_batch_expiry_a_request_timeout_brings_before_2_1_loses_a_record(capsys):
    run = ["--kafka-version", "2.0", *ONE_RECORD, "--bound", "crashes=1", "--bound",
           "expiries=1", "--property", "SourceAtLeastOnce"]
    code, out = _check(capsys, run, "producer.request.timeout.ms=30000",
                       "replication.factor=2")
    assert code == EXIT_VIOLATED, out
    assert "accepted: producer.request.timeout.ms (its value is not modelled; the fault it " \
           "brings is explored whatever it is: expiries=1)" in out
    assert "Expire(P0, p0, r0, logged, counted as sent (before KAFKA-8586))" in out
    doc = {b.name: b.doc for b in SourceModel.bounds}["expiries"]
    assert "before 2.1 a batch waiting for its retry expires after request.timeout.ms" in doc
    assert "request.timeout.ms up to 2.8" in doc


# -- finding 3: idempotence of Connect's producers on 3.0.x and 3.1.x -------------------

def test_kafka_13759_is_in_3_0_2_3_1_1_and_3_2():
    releases = ["2.8", "3.0", "3.0.1", "3.0.2", "3.1", "3.1.1", "3.2", "4.4"]
    assert [versions.has_fix(r, "KAFKA-13759") for r in releases] == [
        False, False, False, True, False, True, True, True]


# A delayed produce lands after its retry: appended twice without idempotence, a
# duplicate the broker drops with it (3.0.1 only: KAFKA-13598 and not KAFKA-13759).
@pytest.mark.parametrize(("version", "expected"), [
    ("2.8", EXIT_VIOLATED), ("3.0", EXIT_VIOLATED), ("3.0.1", EXIT_HOLDS),
    ("3.0.2", EXIT_VIOLATED), ("3.1", EXIT_VIOLATED), ("3.1.1", EXIT_VIOLATED),
    ("3.2", EXIT_VIOLATED), ("4.4", EXIT_VIOLATED)])
def test_a_late_produce_duplicates_a_source_record_except_on_3_0_1(capsys, version,
                                                                   expected):
    run = ["source", "--kafka-version", version, "--bound", "task_crashes=0", "--bound",
           "records=1", "--bound", "late_produces=1", "--property", "SourceExactlyOnce"]
    code, out = _check(capsys, run)
    assert code == expected, out
    if expected == EXIT_HOLDS:
        assert "an idempotent producer without a transactional.id" in out
        assert "HOLDS within the bounds (17 distinct states" in out


@pytest.mark.parametrize("bounds", [
    ["--bound", "workers=1", "--bound", "task_crashes=1"],  # restarted on the same worker
    ["--bound", "task_crashes=0", "--bound", "rebalances=1"],  # a zombie on the other one
])
def test_each_start_of_a_3_0_1_task_has_its_own_producer_id(capsys, bounds):
    # A new KafkaProducer gets a new producer id: its copy of a record whose offset was
    # not committed is appended, not dropped as the old producer's duplicate.
    run = ["source", "--kafka-version", "3.0.1", "--bound", "records=1", *bounds,
           "--property", "SourceExactlyOnce"]
    code, out = _check(capsys, run)
    assert code == EXIT_VIOLATED, out
    assert "r0(pid 0 s0) r0(pid 1 s0)" in out


def test_idempotence_set_on_a_3_0_1_worker(capsys):
    run = ["source", "--kafka-version", "3.0.1", "--bound", "task_crashes=0", "--bound",
           "records=1", "--bound", "late_produces=1", "--property", "SourceExactlyOnce"]
    for key in ("producer.enable.idempotence", "producer.override.enable.idempotence"):
        code, out = _check(capsys, run, f"{key}=false")  # the producer the model then runs
        assert code == EXIT_VIOLATED, out
        assert "a producer without idempotence (as set" in out
    # Kafka 3.0.1's own value, but the configuration hook is not told the patch release.
    code, out = _check(capsys, run, "producer.enable.idempotence=true")
    assert code == EXIT_NOT_COVERED, out


# -- finding 4: put() redelivered after a RetriableException ----------------------------

SINK_NO_CRASH = ["sink", "--bound", "crashes=0"]


def test_a_sink_run_says_put_redelivery_is_not_explored(capsys):
    _code, out = _check(capsys, [*SINK_NO_CRASH, "--bound", "write=append"])
    faults = next(line for line in out.splitlines() if line.startswith("faults:"))
    assert "not explored: sink task crash, poll timeout (zombie task), put() redelivered " \
           "after a RetriableException," in faults


def test_an_appending_sink_writes_rows_twice_when_put_is_redelivered(capsys):
    code, out = _check(capsys, [*SINK_NO_CRASH, "--bound", "write=append", "--bound",
                                "put_retries=1", "--property", "SinkNoDuplicates"])
    assert code == EXIT_VIOLATED, out
    assert "PutRetried(C1, p0, wrote {0}, RetriableException)" in out
    assert "faults: put() redelivered after a RetriableException x1;" in out


def test_an_upserting_sink_loses_and_duplicates_nothing_through_put_redelivery(capsys):
    code, out = _check(capsys, [*SINK_NO_CRASH, "--bound", "write=upsert", "--bound",
                                "put_retries=2"])
    assert code == EXIT_HOLDS, out
    assert "HOLDS within the bounds (436 distinct states" in out
    assert "faults: put() redelivered after a RetriableException x2;" in out


def test_the_sink_docstring_names_put_redelivery_not_the_conversion_retries():
    from kafkacheck.model.clients import sink

    assert "retries of a failing put()\n(errors.retry.timeout.ms)" not in sink.__doc__
    assert "WorkerSinkTask.deliverMessages" in sink.__doc__


# -- finding 6: one worker has no zombie -----------------------------------------------

def test_a_rebalance_with_one_worker_is_offered_but_never_injected(capsys):
    code, out = _check(capsys, ["source", "--bound", "workers=1", "--bound", "rebalances=1",
                                "--bound", "task_crashes=0"])
    # Was HOLDS: with the rebalance never injected no record is sent twice, so
    # SourceExactlyOnce cannot fail and is not checked (session 22).
    assert code == EXIT_INCOMPLETE, out
    assert "[ not checked ] SourceExactlyOnce" in out and "HOLDS" not in out
    assert "faults: none; offered but never injected (its actions never fired): group " \
           "rebalance (zombie task);" in out
    assert "group rebalance (zombie task) x1" not in out


# -- finding 7: no transaction wording without exactly-once -----------------------------

def test_a_run_without_exactly_once_says_nothing_of_transactions(capsys):
    run = ["source", "--bound", "records=2", "--bound", "task_crashes=0", "--bound",
           "rebalances=1", "--property", "SourceExactlyOnce"]
    code, out = _check(capsys, run)
    assert code == EXIT_VIOLATED, out
    assert "transaction.state.log.replication.factor" not in out
    assert "in transaction" not in out and "txnlog" not in out and "coordinator =" not in out
    assert "P0: ready [] -> sending a polled record [topic:to send offsets:to send]" in out
    code, out = _check(capsys, [*run, "--set", "exactly.once.source.support=enabled"])
    assert "in effect: transaction.state.log.replication.factor=1 (default: 3)" in out
