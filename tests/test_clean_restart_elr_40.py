"""Kafka 4.0.x with ELR and rolling restarts is not covered: whether its controller tells a
clean restart from an unclean one (KAFKA-18635) is not verified, and the model keeps a
cleanly restarted replica in the ELR."""

from kafkacheck.cli import main
from kafkacheck.model.cluster.replication import clean_restart_unverified

RUN = ["check", "replication", "--set", "eligible.leader.replicas.version=1",
       "--set", "acks=all", "--set", "replication.factor=3", "--set", "min.insync.replicas=2",
       "--bound", "crashes=0", "--bound", "records=1", "--bound", "slow_followers=none",
       "--no-diagram"]


def _run(capsys, version: str, *extra: str) -> tuple[int, str]:
    code = main([*RUN, "--kafka-version", version, *extra])
    return code, capsys.readouterr().out


def test_only_the_4_0_line_is_unverified():
    assert [r for r in ("3.9", "4.0", "4.0.1", "4.0.2", "4.1", "4.4")
            if clean_restart_unverified(r)] == ["4.0", "4.0.1", "4.0.2"]
    assert not clean_restart_unverified("")


def test_rolling_restarts_with_elr_on_4_0_are_not_covered_and_say_why(capsys):
    code, out = _run(capsys, "4.0.1", "--bound", "rolling_restarts=2")
    assert code == 3
    assert "NOT COVERED: eligible.leader.replicas.version=1" in out
    assert "KAFKA-18635" in out and "[    holds    ]" not in out


def test_without_restarts_or_from_4_1_the_run_is_checked(capsys):
    code, out = _run(capsys, "4.0.1")
    assert "KAFKA-18635" not in out
    assert code == 0 and "HOLDS within the bounds, with no fault injected (17 distinct" in out
    code, out = _run(capsys, "4.1", "--bound", "rolling_restarts=2")
    assert "KAFKA-18635" not in out
    assert code == 0 and "HOLDS within the bounds (1,597 distinct states" in out
