"""Settings that bring a replication fault, and faults Kafka's mode cannot have (session
29's replication review)."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.testing import check, make_model

ACKS1 = ["replication", "--set", "acks=1", "--set", "replication.factor=3", "--bound",
         "crashes=0", "--bound", "records=1", "--property", "NoAckedWriteLost", "--no-diagram"]


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("setting", ["auto.leader.rebalance.enable=true",
                                     "leader.imbalance.check.interval.seconds=1"])
def test_automatic_leader_rebalancing_brings_leader_moves_and_says_so(capsys, setting):
    # Was "no effect on these verdicts": the controller's preferred-leader elections are
    # leader moves, which alone lose an acks=1 write.
    # A WARNING beside the verdict for Kafka's default (true), as a run without it gets;
    # another value is not covered (session 32's reviews).
    code, out = _run(capsys, *ACKS1, "--set", setting)
    key = setting.split("=")[0]
    if setting == "auto.leader.rebalance.enable=true":
        assert f"WARNING: {key} brings a fault this run does not explore (leader_changes=0): " \
               "rerun with --bound leader_changes=1" in out
    else:
        assert code == 3 and f"NOT COVERED: {setting} (it brings a fault, preferred-leader " \
            "elections, this run does not explore: rerun with --bound leader_changes=1)" in out
    code, out = _run(capsys, *ACKS1, "--set", setting, "--bound", "leader_changes=1")
    assert code == 1 and "MoveLeader" in out


def test_rebalancing_turned_off_brings_no_leader_move(capsys):
    _code, out = _run(capsys, *ACKS1, "--set", "auto.leader.rebalance.enable=false")
    assert "accepted but not modelled: auto.leader.rebalance.enable (no effect" in out


def test_several_log_directories_bring_the_jbod_failure_no_model_explores(capsys):
    code, out = _run(capsys, *ACKS1, "--set", "log.dirs=/a,/b")
    assert code == 3 and "NOT COVERED: log.dirs=/a,/b (it brings a fault, a log directory " \
        "failing under a running broker (JBOD, KIP-858), that this model does not explore)" \
        in out
    _code, out = _run(capsys, *ACKS1, "--set", "log.dirs=/a")
    assert "accepted but not modelled: log.dirs (no effect" in out


@pytest.mark.parametrize("release,roles", [("4.4", None), ("3.9", "broker")])
def test_a_kraft_broker_cannot_bounce_back_into_its_isr(release, roles):
    # ClusterControlManager.registerBroker takes every new incarnation out of its ISRs
    # (4.0+); KRaft 3.x refuses the registration while the old session lives.
    settings = {"replication.factor": "3", **({"process.roles": roles} if roles else {})}
    with pytest.raises(UsageError, match="bounces: a KRaft broker that restarts leaves"):
        make_model("replication", settings, kafka_version=release, bounces=1)
    zookeeper = check({"replication.factor": "3", "acks": "all", "min.insync.replicas": "2"},
                      model="replication", kafka_version="3.9",
                      bounds={"bounces": 1, "crashes": 1, "records": 1,
                              "crash_kind": "process"})
    assert zookeeper.result == "holds" and zookeeper.coverage["Bounce"] > 0


# -- with ELR on, the controllers' min.insync.replicas is the cluster's ------------------

BROKER = "process.roles=broker\nnode.id=1\ncontroller.quorum.voters=9@c:9093\n" \
         "min.insync.replicas=2\n"
CONTROLLER = "process.roles=controller\nnode.id=9\ncontroller.quorum.voters=9@c:9093\n"


def _review(tmp_path, capsys, version: str, **files: str) -> dict:
    import json

    paths = []
    for name, text in files.items():
        role, _, stem = name.partition("_")
        (tmp_path / f"{stem}.properties").write_text(text)
        paths.append(f"{role}:{tmp_path / f'{stem}.properties'}")
    main(["review", "--kafka-version", version, "--no-fix", "--json", *paths])
    return json.loads(capsys.readouterr().out)


@pytest.mark.thorough  # slow (session 32's 10-minute budget)
def test_a_broker_files_min_insync_replicas_is_not_the_clusters_once_elr_is_on(tmp_path,
                                                                                capsys):
    # Was HOLDS: on a cluster formatted by 4.1 the active controller writes its own static
    # min.insync.replicas (1 by default) as the cluster default, over the brokers' 2
    # (ConfigurationControlManager.maybeGenerateElrSafetyRecords).
    topic = "replication.factor=3\n"
    data = _review(tmp_path, capsys, "4.1", broker_b=BROKER, topic_t=topic)
    assert not any(g["id"].startswith("acked-writes") for g in data["guarantees"])
    assert any("comes from the broker files only" in entry["why"]
               for entry in data["not_covered"])
    # The controllers' own file decides it; before 4.1 (ELR off by default) the brokers do.
    data = _review(tmp_path, capsys, "4.1", broker_b=BROKER, topic_t=topic,
                   broker_c=CONTROLLER + "min.insync.replicas=2\n")
    crash = next(g for g in data["guarantees"] if g["id"] == "acked-writes-survive-crash")
    assert crash["settings"]["min.insync.replicas"] == "2"
    assert any("from the controllers' file" in a for a in crash["assumptions"])


@pytest.mark.thorough
def test_before_elr_the_broker_files_min_insync_replicas_is_the_clusters(tmp_path, capsys):
    data = _review(tmp_path, capsys, "4.0", broker_b=BROKER, topic_t="replication.factor=3\n")
    assert any(g["id"] == "acked-writes-survive-crash" for g in data["guarantees"])


def test_check_says_the_controllers_read_min_insync_replicas_and_unclean_election():
    model = make_model("replication", {"min.insync.replicas": "2", "replication.factor": "3",
                                       "process.roles": "broker"}, kafka_version="4.1")
    assert any(n.startswith("min.insync.replicas=2: the KRaft controllers read it")
               for n in model.notes())
    combined = make_model("replication", {"min.insync.replicas": "2",
                                          "process.roles": "broker,controller"},
                          kafka_version="4.1")
    assert not any("the KRaft controllers read" in n for n in combined.notes())
    unclean = make_model("replication", {"unclean.leader.election.enable": "true",
                                         "process.roles": "broker"}, kafka_version="3.9")
    assert any(n.startswith("unclean.leader.election.enable=true: the KRaft controllers")
               for n in unclean.notes())


def test_a_controller_disk_loss_names_the_metadata_log_layout_it_assumes():
    # KRaftConfigs: unset, metadata.log.dir is the first log.dirs directory, lost with it.
    bounds = {"disk_losses": 1, "crashes": 1, "restarts": 1, "records": 0, "isolations": 0}
    lost = make_model("controller", {}, **bounds)
    assert any(n.startswith("disk_losses keeps each node's metadata log") for n in lost.notes())
    own = make_model("controller", {"metadata.log.dir": "/meta"}, **bounds)
    assert not any("disk_losses keeps" in n for n in own.notes())
