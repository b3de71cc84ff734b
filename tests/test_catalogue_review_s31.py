"""Settings an abstract log or an unexplored bound cannot judge (session 31's catalogue
review): they are never "no effect"."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main

LOSSY_LOG = ["--set", "unclean.leader.election.enable=true"]


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv, "--no-diagram"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("preset", ["sink-idempotent-upsert", "group-consumer"])
def test_an_unclean_election_on_an_abstract_log_is_not_covered(capsys, preset):
    # Was "no effect on these verdicts" and HOLDS (exit 0): an unclean election truncates
    # records a consumer or sink task could read, and its commit passes them (the classic
    # group model shows it with --bound log=replicated).
    code, out = _check(capsys, preset, *LOSSY_LOG, "--max-states", "2000")
    assert code == 3
    assert "NOT COVERED: unclean.leader.election.enable=true (changes log semantics the " \
           "model does not model)" in out
    assert "unclean.leader.election.enable (no effect" not in out


def test_the_classic_group_shows_the_loss_an_abstract_log_cannot(capsys):
    code, out = _check(capsys, "group", "--set", "replication.factor=2", *LOSSY_LOG,
                       "--set", "enable.auto.commit=false", "--set",
                       "auto.offset.reset=earliest", "--bound", "log=replicated", "--bound",
                       "broker_crashes=1", "--bound", "records=2", "--bound", "consumers=1",
                       "--bound", "commit=sync-after-processing", "--property", "AtLeastOnce")
    assert code == 1 and "UncleanElect" in out


@pytest.mark.parametrize("key", ["replication.factor=3", "min.insync.replicas=2"])
def test_replication_settings_of_an_abstract_log_name_the_broker_faults_not_explored(
        capsys, key):
    _code, out = _check(capsys, "sink", "--set", key, "--max-states", "200")
    name = key.split("=")[0]
    assert f"accepted, not modelled: {name} (it brings a fault, broker failures that lose " \
           "records of the log they read (its replication settings decide which), that " \
           "this model does not explore)" in out


def test_replica_lag_time_is_a_warning_where_slow_followers_are_left_out(capsys):
    # Was "no effect" and HOLDS with slow_followers=none; the default (any) finds the loss.
    code, out = _check(capsys, "power-loss", "--bound", "slow_followers=none", "--set",
                       "replica.lag.time.max.ms=1")
    assert code == 0 and "WARNING: replica.lag.time.max.ms times a fault this run does not " \
        "explore (a running follower leaving the ISR (replica.lag.time.max.ms); " \
        "slow_followers=none): no value of it was checked; rerun with --bound " \
        "slow_followers=any" in out
    code, out = _check(capsys, "power-loss", "--set", "replica.lag.time.max.ms=1")
    assert code == 1 and "accepted: replica.lag.time.max.ms (time is not modelled; the " \
        "fault it times is explored whatever its value: slow_followers=any)" in out
    _code, out = _check(capsys, "controller", "--bound", "records=1", "--set",
                        "replica.lag.time.max.ms=1", "--max-states", "100")
    assert "rerun with --bound slow_followers=1" in out


@pytest.mark.parametrize("release,covered", [("3.3", False), ("3.4", True)])
def test_the_transactional_id_expiry_before_kip_854_is_the_producer_state_expiry(
        capsys, release, covered):
    # Was "no effect" on 3.3 in the transactions model while the producer model called the
    # same key NOT COVERED: before 3.4 it also expires producer ids at the leaders.
    _code, out = _check(capsys, "transactions", "--kafka-version", release, "--set",
                        "transactional.id=app", "--set", "transactional.id.expiration.ms=1",
                        "--max-states", "1")
    assert ("NOT COVERED: transactional.id.expiration.ms=1 (before 3.4 (KIP-854)" in out) \
        is not covered


@pytest.mark.parametrize("argv,clause", [
    (["--set", "auto.offset.reset=latest"], "except records before the group's first "
     "position on their partition (auto.offset.reset=latest starts at the log end when it "
     "first polls)"),
    (["--set", "auto.offset.reset=earliest", "--bound", "retention=1"],
     "except records deleted by retention before anyone processed them")])
def test_at_least_once_says_which_records_it_does_not_owe(capsys, argv, clause):
    # Its HOLDS rested on records the predicate excuses, unsaid (session 31's statements
    # review); AllRecordsProcessed and NoSkippedOffsets already said so.
    _code, out = _check(capsys, "group", *argv, "--bound", "records=2", "--property",
                        "AtLeastOnce")
    assert f"[    holds    ] AtLeastOnce (always): with auto-commit in poll(), the committed " \
           f"offset passes a record only once it was processed (or is being processed), " \
           f"{clause}" in out
