"""Before 4.0 a cluster runs ZooKeeper or KRaft, and two modelled rules differ: KIP-903's
broker-epoch check exists in KRaft only (3.5+), and a KRaft controller ignores
unclean.leader.election.enable before 3.9 (KAFKA-12670).  A given process.roles names a
KRaft cluster; without it the replication model assumes ZooKeeper, the more permissive
reading of both, and says so."""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

RF2 = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
IN_FLIGHT = {"crashes": 0, "disk_losses": 1, "isr_updates": "in-flight"}
UNCLEAN = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "1",
           "unclean.leader.election.enable": "true"}


@pytest.mark.parametrize("version", ["3.5", "3.8", "3.9"])
def test_a_zookeeper_cluster_re_adds_an_emptied_replica_to_the_isr(version):
    result = breadth_first(make_model("replication", RF2, kafka_version=version, **IN_FLIGHT),
                           ["IsrJoinersHoldCommitted"])
    assert result.violation("IsrJoinersHoldCommitted") is not None
    assert any(n.startswith("ZooKeeper mode assumed") for n in result.model.notes())


@pytest.mark.parametrize("version", ["3.5", "3.8"])
def test_a_kraft_cluster_refuses_it_with_the_broker_epoch(version):
    model = make_model("replication", {**RF2, "process.roles": "broker"},
                       kafka_version=version, **IN_FLIGHT)
    assert breadth_first(model, ["IsrJoinersHoldCommitted"]).result == "holds"


def test_a_kraft_controller_before_3_9_never_elects_an_unclean_leader():
    def unclean_elections(kafka, version):
        model = make_model("replication", kafka, kafka_version=version, crash_kind="process")
        return breadth_first(model, ["NoAckedWriteLost"]).coverage.get("UncleanElect", 0)

    assert unclean_elections(UNCLEAN, "3.8") > 0  # ZooKeeper mode honours the setting
    assert unclean_elections({**UNCLEAN, "process.roles": "broker"}, "3.8") == 0
    assert unclean_elections({**UNCLEAN, "process.roles": "broker"}, "3.9") > 0


@pytest.mark.thorough  # 5 s: a whole review
def test_review_reads_process_roles_from_the_broker_file(tmp_path, capsys):
    from kafkacheck.cli import main

    files = {"broker.properties": "process.roles=broker\n",
             "producer.properties": "acks=all\n",
             "topic.properties": "replication.factor=3\nmin.insync.replicas=1\n"
                                 "unclean.leader.election.enable=true\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    main(["review", "--kafka-version", "3.8", *(str(tmp_path / n) for n in files)])
    out = capsys.readouterr().out
    crash = out.split("[", 1)[1].split("\n[")[0]
    assert crash.startswith("HOLDS] Acknowledged writes survive a broker crash")
    assert "KRaft controller never elects an unclean leader" in crash
