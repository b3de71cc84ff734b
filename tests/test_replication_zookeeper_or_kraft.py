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


# -- process.roles exists from 2.8 (KIP-631; KafkaConfig.ProcessRolesProp: absent at 2.7.0) --

ROLES = {"process.roles": "broker"}


def _set(settings):
    """--set arguments for a settings dict."""
    return [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]


@pytest.mark.parametrize("version", ["0.10", "2.1", "2.7"])
def test_process_roles_is_refused_on_a_release_before_kraft(version, capsys):
    from kafkacheck.cli import main

    code = main(["check", "replication", "--kafka-version", version,
                 "--set", "process.roles=broker", *_set(UNCLEAN)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert (f"process.roles does not exist in Kafka {version} (KIP-631 arrived in 2.8; "
            "that release ignores the key)") in err


def test_process_roles_from_2_8_names_a_kraft_cluster():
    model = make_model("replication", {**UNCLEAN, **ROLES}, kafka_version="2.8")
    assert model.kraft and not model.unclean


def test_before_2_8_process_roles_is_ignored_and_the_zookeeper_controller_elects_uncleanly():
    # Empty is Kafka's default (KRaftConfigs), so the release check lets it through:
    # Kafka 2.1 ignores the key and its ZooKeeper controller honours unclean election.
    model = make_model("replication", {**UNCLEAN, "process.roles": ""},
                       kafka_version="2.1", crashes=2, crash_kind="process")
    assert (model.kraft, model.unclean) == (False, True)
    result = breadth_first(model, ["NoAckedWriteLost"])
    assert result.result == "violated"
    assert result.violation("NoAckedWriteLost").trace.actions[-1][0] == "UncleanElect"
    assert any(note.startswith("process.roles has no effect: Kafka 2.1 has no KRaft mode")
               for note in model.notes())


def test_an_embedding_config_with_process_roles_before_2_8_gets_zookeeper_rules():
    # Embedding models build the replication model's Config themselves (group_log, producer,
    # transactions): the guard in ReplicationModel holds without build_config's check.
    from kafkacheck.config import Config
    from kafkacheck.model import settings as kafka_settings
    from kafkacheck.model.cluster.replication import ReplicationModel

    kafka = {name: kafka_settings.default_for(name, (2, 1))
             for name in ReplicationModel.settings}
    kafka.update({"process.roles": "broker", "unclean.leader.election.enable": True})
    model = ReplicationModel(Config(kafka, {}, frozenset({"process.roles"}),
                                    kafka_version="2.1"))
    assert (model.kraft, model.unclean) == (False, True)


@pytest.mark.parametrize("name,settings,bounds", [
    ("producer", {}, {}),
    ("transactions", {"transactional.id": "app"}, {}),
    ("streams", {}, {}),
    ("source", {}, {}),
    ("group", {}, {"log": "replicated"}),
])
def test_models_embedding_replication_refuse_process_roles_before_2_8(name, settings,
                                                                      bounds):
    from kafkacheck.config import UsageError

    with pytest.raises(UsageError, match="process.roles does not exist in Kafka 2.1"):
        make_model(name, {**settings, **ROLES}, kafka_version="2.1", **bounds)


def test_review_refuses_a_2_1_broker_file_with_process_roles(tmp_path, capsys):
    from kafkacheck.cli import main

    files = {"broker.properties": "process.roles=broker\n",
             "producer.properties": "acks=all\n",
             "topic.properties": "replication.factor=3\nmin.insync.replicas=2\n"
                                 "unclean.leader.election.enable=true\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code = main(["review", "--kafka-version", "2.1", *(str(tmp_path / n) for n in files)])
    out, err = capsys.readouterr()
    assert code == 2 and "HOLDS" not in out and err.count("\n") == 1
    assert "process.roles does not exist in Kafka 2.1 (KIP-631 arrived in 2.8" in err
