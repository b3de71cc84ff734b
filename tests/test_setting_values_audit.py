"""Audit 7: Kafka setting values a model claims to read but collapses with another value.

Each pair: a value the model treats as Kafka does, and beside it a value that used to
print HOLDS (exit 0) while the model explored another one (a wrong green, now fixed).
Every run is a few hundredths of a second.
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import EXIT_HOLDS, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_VIOLATED, main

EXIT_NOT_COVERED = EXIT_INCOMPLETE  # exit 3: no verdict for the run as a whole

FAST = ["--no-diagram", "--no-estimate", "--progress-every", "0"]


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv, *FAST])
    return code, capsys.readouterr().out


# -- producer: delivery.timeout.ms as KafkaProducer.configureDeliveryTimeout leaves it ----

# producer.id.expiration.ms (150 s) between the delivery.timeout.ms default (120 s) and
# linger.ms + request.timeout.ms (200 s + 5 ms): the broker may drop the producer's state
# while a batch is still being retried, and the retry is appended a second time.
EXPIRY = ["--bound", "producer_state_expiries=1", "--property", "NoDuplicates",
          "--set", "producer.id.expiration.ms=150000", "--set", "request.timeout.ms=200000"]


def test_an_explicit_delivery_timeout_past_the_state_expiry_lets_a_retry_duplicate(capsys):
    code, out = _check(capsys, "producer", *EXPIRY, "--set", "delivery.timeout.ms=200005")
    assert code == EXIT_VIOLATED, out
    assert "NoDuplicates violated" in out and "counterexample of 7 steps" in out


def test_the_delivery_timeout_kafka_raises_to_linger_plus_request_timeout_is_the_one_checked(
        capsys):
    # delivery.timeout.ms left at its default 120000 is below linger.ms + request.timeout.ms
    # (200005): KafkaProducer.configureDeliveryTimeout raises it to 200005 (it throws only
    # when the user set it).  The run finds the duplicate the explicit 200005 finds.
    code, out = _check(capsys, "producer", *EXPIRY)
    assert code == EXIT_VIOLATED, out
    assert "in effect: delivery.timeout.ms=200005 (default: 120000)" in out


# -- controller: acks=0 is not acks=1 ----------------------------------------------------

# One broker that crashes once and restarts, no isolation: acks=1 loses nothing (the
# page cache survives a process crash and the answer comes after the append).
ONE_BROKER = ["--bound", "brokers=1", "--bound", "controllers=1", "--bound", "crashes=1",
              "--bound", "restarts=1", "--bound", "isolations=0",
              "--property", "NoAckedWriteLost"]


def test_acks_1_over_a_process_crash_of_the_only_broker_loses_no_acknowledged_write(capsys):
    code, out = _check(capsys, "controller", *ONE_BROKER, "--set", "acks=1")
    assert code == EXIT_HOLDS, out
    assert "43 distinct states" in out


def test_the_replication_model_names_the_acks_0_request_loss_it_explores(capsys):
    # The replication model gives acks=0 its own fault: a request lost after the send
    # succeeded (--bound lost_acks), which loses an acknowledged write at once.
    code, out = _check(capsys, "replication", "--set", "acks=0", "--bound", "lost_acks=1",
                       "--bound", "crashes=0", "--property", "NoAckedWriteLost")
    assert code == EXIT_VIOLATED, out


def test_acks_0_sends_lost_before_the_append_are_explored_or_not_covered_by_the_controller(
        capsys):
    # acks=0: the send completes once the request is written to the socket
    # (Sender: ProduceRequest with acks=0 expects no response), so a crash of the broker
    # before it appends, or a NOT_LEADER_OR_FOLLOWER refusal (the broker closes the
    # connection, no answer), loses a send the application counts as done.  The controller
    # model appends in the step of the send (ControllerModel._produce), so acks=0 is not
    # covered there (the replication model's lost_acks bound explores the loss).
    code, out = _check(capsys, "controller", *ONE_BROKER, "--set", "acks=0")
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED: acks=0" in out


# -- group: enable.auto.commit left at Kafka's default (true) -----------------------------

# An application that never commits (commit=none), one consumer crash and a restart: the
# restarted member resumes from the committed offset.
NO_COMMITS = ["--bound", "commit=none", "--bound", "crashes=1", "--bound", "rejoins=1",
              "--property", "AtMostOnce"]


def test_auto_commit_on_lets_a_restarted_member_process_a_record_again(capsys):
    code, out = _check(capsys, "group", *NO_COMMITS, "--set", "enable.auto.commit=true")
    assert code == EXIT_VIOLATED, out
    assert "counterexample of 14 steps" in out


def test_a_manual_commit_bound_does_not_check_auto_commit_off_for_kafkas_default_on(capsys):
    # enable.auto.commit is not set: Kafka runs the default true (ConsumerConfig; only a
    # null group.id turns it off, maybeOverrideEnableAutoCommit), whatever the application
    # commits itself.  The model runs it off (poll_loop.auto_commit_enabled) and prints
    # "in effect: enable.auto.commit=false" as if Kafka had changed it, then HOLDS where
    # the Kafka default gives the duplicate above.  The run is refused: say which.
    assert main(["check", "group", *NO_COMMITS, *FAST]) == EXIT_USAGE
    assert "enable.auto.commit is not set" in capsys.readouterr().err


@pytest.mark.parametrize("model,extra", [
    ("source", ["--set", "exactly.once.source.support=enabled", "--bound", "late_produces=1"]),
    ("streams", ["--set", "processing.guarantee=exactly_once_v2", "--bound", "inputs=1",
                 "--bound", "instance_crashes=0"]),
])
def test_partition_verification_off_is_run_by_the_loop_not_dropped(model, extra, capsys):
    # transaction.partition.verification.enable=false used to be accepted as "not modelled"
    # while the loop ran with verification on; the loop now runs the value given.
    code, out = _check(capsys, model, *extra, "--set", "transaction.version=1",
                       "--set", "transaction.partition.verification.enable=false",
                       "--max-states", "3000")
    assert "transaction.version 1, no partition verification" in out, out
    assert "accepted but not modelled" not in out
