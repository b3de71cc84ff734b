"""`kafkacheck prove` never says PROVED for what its encoding does not represent."""

from __future__ import annotations

import json

import pytest

from kafkacheck.cli import main

SAFE = ("--set", "acks=all", "--set", "replication.factor=3", "--set", "min.insync.replicas=2")


def run(capsys, *argv):
    code = main(["prove", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_acks_all_with_process_crashes_is_proved_and_lists_what_was_abstracted(capsys):
    code, out, _ = run(capsys, "replication", *SAFE, "--bound", "crash_kind=process")
    assert code == 0
    assert "faults: process crash, any number of each; not explored: broker power loss" in out
    assert "PROVED for every cluster size" in out and "abstracted away: one tracked record" in out


def test_kafka_44_defaults_with_eligible_leader_replicas_and_min_isr_1_are_proved(capsys):
    code, out, _ = run(capsys, "replication", "--set", "acks=all", "--set",
                       "replication.factor=3", "--bound", "crash_kind=process")
    assert code == 0 and "min.insync.replicas=1" in out
    assert "PROVED for every cluster size" in out


@pytest.mark.parametrize("extra,reason", [
    (("--set", "transactional.id=tx"), "setting transactional.id"),
    (("--property", "LeaderInIsr"), "property LeaderInIsr"),
    (("--set", "isolation.level=read_committed"), "setting isolation.level"),
])
def test_what_the_encoding_does_not_represent_is_not_covered_exit_3(capsys, extra, reason):
    code, out, _ = run(capsys, "replication", *SAFE, *extra)
    assert code == 3
    assert out.startswith("NOT COVERED: ") and reason in out and "PROVED" not in out
    assert "prove encodes the settings replication.factor," in out


def test_the_removed_bug_bound_is_bad_input_exit_2(capsys):
    code, out, err = run(capsys, "replication", *SAFE, "--bound", "bug=hw-ignores-isr")
    assert code == 2 and out == "" and "unknown bound 'bug'" in err


def test_kip101_truncation_is_encoded_as_kip101_and_not_proved(capsys):
    code, out, _ = run(capsys, "replication", *SAFE, "--bound", "crash_kind=process",
                       "--bound", "truncation=kip101", "--json")
    data = json.loads(out)
    assert code == 3 and data["result"] == "not proved"
    assert [k for k, v in data["obligations"].items() if v != "proved"] == \
        ["Inv /\\ BecomeFollower => Inv'"]


def test_power_loss_without_fsync_is_not_proved(capsys):
    code, out, _ = run(capsys, "acks-all-safe", "--set", "eligible.leader.replicas.version=0")
    assert code == 3 and "NOT PROVED" in out and "Inv /\\ PowerLoss => Inv'" in out


@pytest.mark.parametrize("min_isr", ["1", "2", "3"])
def test_power_loss_with_an_fsync_per_message_and_elr_is_proved(capsys, min_isr):
    # flush.messages=1 loses nothing to power loss, so every ISR/ELR member holds a committed
    # record, as with process crashes (it was NOT PROVED: a counterexample to induction
    # through Restart, while check holds).
    code, out, _ = run(capsys, "replication", "--set", "acks=all", "--set",
                       "replication.factor=3", "--set", f"min.insync.replicas={min_isr}",
                       "--set", "flush.messages=1", "--set",
                       "eligible.leader.replicas.version=1", "--bound", "crash_kind=any")
    assert code == 0 and "faults: process crash, power loss, any number of each" in out
    assert "PROVED for every cluster size" in out


def test_power_loss_without_fsync_and_with_elr_is_not_proved(capsys):
    code, out, _ = run(capsys, "replication", *SAFE, "--bound", "crash_kind=any")
    assert code == 3 and "NOT PROVED" in out and "Inv /\\ Restart => Inv'" in out


def test_bounded_checking_counts_the_crash_budget_and_follows_replication_factor(capsys):
    code, out, err = run(capsys, "replication", *SAFE, "--brokers", "4")
    assert code == 2 and "contradicts replication.factor=3" in err
    code, out, _ = run(capsys, "replication", "--set", "acks=0", "--set",
                       "replication.factor=3", "--bound", "crash_kind=process",
                       "--set", "eligible.leader.replicas.version=0",
                       "--brokers", "3", "--depth", "6")
    # acks=0: the leader crashes with the request unread (session 29), then is fenced.
    assert code == 1 and "crashes<=1" in out and "1. Crash(" in out and "2. Fence(" in out


@pytest.mark.parametrize("version,extra,rule", [
    # KAFKA-7415 (fixed in 2.0.1): check finds the lost write in 10 steps on 2.0.
    ("2.0", (), "Before7415.leader_cache"),
    # 4.0 with ELR lacks KAFKA-19522 (it elects a fenced last known leader) and PR #20629
    # (it remembers the last known leader as the ISR empties): the first is named.
    ("4.0", ("--set", "eligible.leader.replicas.version=1"),
     "ElrBefore20629.last_known_leader"),
    # 4.1.0 has KAFKA-19522 but not PR #20629 (4.1.1).
    ("4.1.0", (), "ElrBefore20629.last_known_leader"),
])
def test_a_release_rule_the_encoding_does_not_know_is_not_covered(capsys, version, extra,
                                                                  rule):
    code, out, _ = run(capsys, "replication", *SAFE, "--kafka-version", version, *extra,
                       "--bound", "crash_kind=process")
    assert code == 3 and out.startswith("NOT COVERED: ") and rule in out
    assert "PROVED" not in out


def test_the_fixed_releases_are_encoded_and_proved(capsys):
    for version in ("2.0.1", "4.1.1", "4.2"):
        code, out, _ = run(capsys, "replication", *SAFE, "--kafka-version", version,
                           "--bound", "crash_kind=process")
        assert code == 0 and "PROVED for every cluster size" in out, version


def test_a_bounded_check_shorter_than_the_counterexample_is_no_verdict(capsys):
    argv = ("replication", "--set", "acks=1", "--set", "replication.factor=3", "--bound",
            "crashes=1", "--bound", "crash_kind=process", "--brokers", "3")
    code, out, _ = run(capsys, *argv, "--depth", "2", "--json")
    assert code == 3 and json.loads(out)["result"] == "no violation within depth"
    code, out, _ = run(capsys, *argv, "--depth", "4", "--json")
    assert code == 1 and json.loads(out)["result"] == "violated"


def test_a_trace_of_an_encoding_that_allows_more_than_kafka_is_unconfirmed(capsys):
    # Was "VIOLATED within 7 steps", exit 1, where check explores every state and holds
    # (session 31's engines review): KIP-101's truncation is over-approximated.
    from kafkacheck.cli import main

    code = main(["prove", "leader-epoch-safe", "--bound", "truncation=kip101", "--brokers",
                 "3", "--depth", "8"])
    out = capsys.readouterr().out
    assert code == 3 and out.startswith("UNCONFIRMED: an abstract counterexample to "
                                        "NoAckedWriteLost within 7 steps")


@pytest.mark.thorough  # about 8 s: 285,698 states
def test_the_explicit_model_holds_where_that_abstract_counterexample_points():
    from kafkacheck.cli import main

    assert main(["check", "leader-epoch-safe", "--bound", "truncation=kip101", "--property",
                 "NoAckedWriteLost", "--no-diagram"]) == 0


def test_a_prove_cut_by_its_time_limit_calls_nothing_vacuous(capsys):
    # A time-out was recorded as "vacuous: never possible under Inv" (session 31).
    import json

    from kafkacheck.cli import main

    code = main(["prove", "acks-all-safe", "--bound", "crash_kind=process", "--max-seconds",
                 "0.01", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3 and data["result"] == "incomplete"
    assert "vacuous: never possible under Inv" not in data["obligations"].values()
