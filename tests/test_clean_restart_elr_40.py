"""Kafka 4.0.x with ELR and rolling restarts is checked as 4.1 is: its controller tells a
clean restart from an unclean one by the previous broker epoch (KAFKA-18635 is in the
4.0.0 to 4.0.2 kafka-metadata sources jars: ClusterControlManager.registerBroker), so a
cleanly restarted replica stays in the ELR, as the model keeps it."""

import pytest

from kafkacheck.cli import main

RUN = ["check", "replication", "--set", "eligible.leader.replicas.version=1",
       "--set", "acks=all", "--set", "replication.factor=3", "--set", "min.insync.replicas=2",
       "--bound", "crashes=0", "--bound", "records=1", "--bound", "slow_followers=none",
       "--no-diagram"]


def _run(capsys, version: str, *extra: str) -> tuple[int, str]:
    code = main([*RUN, "--kafka-version", version, *extra])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("version", ["4.0", "4.0.1", "4.0.2", "4.1"])
def test_rolling_restarts_with_elr_are_checked_from_4_0(capsys, version):
    code, out = _run(capsys, version, "--bound", "rolling_restarts=2")
    assert "NOT COVERED" not in out and "KAFKA-18635" not in out
    assert code == 0 and "HOLDS within the bounds (1,597 distinct states" in out
