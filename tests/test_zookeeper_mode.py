"""A ZooKeeper-mode broker file (Kafka before 4.0) is read, and its controller is not taken
for KRaft's.

Kafka 4.0 removed ZooKeeper (KIP-500, KIP-833), so the 4.4 catalogue has no
``zookeeper.*`` key: a 3.x ``server.properties`` was refused as unknown.  It is now
accepted and listed; the replication guarantees are checked as for any broker, and the
KRaft controller model is never used to answer for a ZooKeeper controller.
"""

from __future__ import annotations

from pathlib import Path

from kafkacheck import review
from kafkacheck.cli import main
from kafkacheck.model import versions

ZK_BROKER = ("zookeeper.connect=zk1:2181,zk2:2181/kafka\nzookeeper.session.timeout.ms=18000\n"
             "broker.id=1\nlog.dirs=/data\nmin.insync.replicas=2\n"
             "default.replication.factor=3\n")


def _plan(tmp_path: Path, text: str, version: str):
    path = tmp_path / "server.properties"
    path.write_text(text, encoding="utf-8")
    files = review.load_files([str(path)])
    return files, *review.plan(files, versions.parse(version))


def test_a_zookeeper_broker_file_is_read_as_a_broker_with_its_zookeeper_keys_listed(tmp_path):
    files, guarantees, not_covered = _plan(tmp_path, ZK_BROKER, "3.6")
    [broker] = files
    assert broker.role == "broker"
    assert {i.key for i in broker.of_kind("zookeeper")} == {
        "zookeeper.connect", "zookeeper.session.timeout.ms"}
    assert {g.key for g in guarantees} >= {"acked-writes-survive-crash",
                                          "acked-writes-survive-power-loss"}


def test_the_kraft_controller_model_never_answers_for_a_zookeeper_controller(tmp_path):
    _, guarantees, not_covered = _plan(tmp_path, ZK_BROKER, "3.6")
    assert "deposed-leader" not in {g.key for g in guarantees}
    [why] = [why for title, why in not_covered if "cut off from the controller" in title]
    assert "ZooKeeper mode" in why and "KRaft" in why
    _, _, not_covered = _plan(tmp_path, ZK_BROKER, "4.4")
    [why] = [why for title, why in not_covered if "cut off from the controller" in title]
    assert "Kafka 4.4 has no ZooKeeper mode" in why


def test_a_kraft_file_still_gets_the_controller_check(tmp_path):
    # (no min.insync.replicas: with ELR on a broker file's is not the cluster's; combined
    # nodes: beside dedicated controllers their file gives the default replication factor)
    text = "process.roles=broker,controller\nnode.id=1\ndefault.replication.factor=3\n"
    _, guarantees, _ = _plan(tmp_path, text, "4.4")
    assert "deposed-leader" in {g.key for g in guarantees}


def test_a_zookeeper_ensemble_makes_the_controller_model_not_covered(capsys):
    # Kafka 3.x (4.0 removed the key: tests/test_settings_as_kafka_validates_them.py).
    code = main(["check", "controller", "--set", "zookeeper.connect=zk:2181", "--bound",
                 "records=1", "--bound", "crashes=0", "--kafka-version", "3.9"])
    out = capsys.readouterr().out
    assert code == 3 and "NOT COVERED: zookeeper.connect=zk:2181" in out and "HOLDS" not in out


def test_a_misspelt_zookeeper_key_is_still_an_error(tmp_path, capsys):
    path = tmp_path / "server.properties"
    path.write_text("zookeeper.conect=zk:2181\nbroker.id=1\n", encoding="utf-8")
    assert main(["review", f"broker:{path}", "--kafka-version", "3.6"]) == 2
    assert "zookeeper.conect" in capsys.readouterr().err
