"""Settings are accepted and refused as the chosen Kafka release's own validators do.

Each refusal is one line naming the key, the value and why, with exit code 2, before any
search starts; each release that takes a value still takes it.  Read in Kafka's sources
(Maven Central sources jars, 3.9.0 to 4.2.0):

- compression.type: ValidString.in (ProducerConfig, LogConfig, ServerConfigs) refuses "".
- process.roles: KRaftConfigs requires it from 4.0 (KAFKA-18331); "" gets no storage
  format nor a broker or controller (StorageTool, KafkaRaftServer) and 4.2's
  ValidList.in(false, ...) refuses it outright.
- process.roles: KafkaConfig.parseProcessRoles refuses a role named twice (2.8-4.2); a
  controller-only node holds no partition replicas, so no model's nodes are that.
- a LIST with choices (ConfigDef.ValidList.in: process.roles, cleanup.policy) refuses an
  empty item in every release, and an item twice from 4.2 (KIP-1161).
- bootstrap.servers: from 4.2 required, a non-empty list without duplicates (KIP-1161),
  in producer, consumer, Streams and Connect worker files (review too), not admin ones.
- offset.storage.replication.factor: TopicCreationConfig.validateReplicationFactor
  refuses 0 (-1: the broker's default, from 2.6).
- zookeeper.connect: gone from KafkaConfig in 4.0.0 (KIP-833, KIP-500).
- group.protocol: StreamsConfig's own from 4.1 (classic, streams; KIP-1071).
- transaction.version 1 and 2: unstable in 3.9 (TransactionVersion, IBP_4_0_IV0);
  eligible.leader.replicas.version: no such feature in 3.9.
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.model import settings as kafka_settings

FAST = ["--max-states", "50", "--no-diagram"]


def check(capsys, model: str, version: str, *settings: str,
          extra: tuple[str, ...] = tuple(FAST)) -> tuple[int, str, str]:
    """Run `kafkacheck check MODEL --kafka-version VERSION --set S ...`: (code, out, err)."""
    args = ["check", model, "--kafka-version", version, *extra]
    for setting in settings:
        args += ["--set", setting]
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, model: str, version: str, *settings: str) -> str:
    """The one-line error of a refused configuration (exit 2, nothing on stdout)."""
    code, out, err = check(capsys, model, version, *settings)
    assert code == 2 and out == "" and err.count("\n") == 1, (code, out, err)
    assert err.startswith("kafkacheck: error: ")
    return err.removeprefix("kafkacheck: error: ").rstrip("\n")


def accepted(capsys, model: str, version: str, *settings: str) -> str:
    code, out, err = check(capsys, model, version, *settings)
    assert code != 2 and "error" not in err, (code, err)
    return out


# -- compression.type="" --------------------------------------------------------------

# ConfigDef.ValidString refuses "" (the catalogue's check of the producer's choices).
COMPRESSION = ("invalid value '' for compression.type: String must be one of: none, gzip, "
               "snappy, lz4, zstd")


@pytest.mark.parametrize(("model", "version"), [("producer", "3.9"), ("producer", "4.4"),
                                                ("replication", "4.2")])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_compression_type_is_refused_in_every_release(capsys, model, version, value):
    message = refused(capsys, model, version, f"compression.type={value}")
    assert message == COMPRESSION  # --set trims the value, as Kafka trims a STRING


@pytest.mark.parametrize("value", ["gzip", "zstd", "producer", "uncompressed"])
def test_the_codecs_of_producers_and_topics_are_still_taken(capsys, value):
    accepted(capsys, "producer", "4.4", f"compression.type={value}")


# -- process.roles="" -------------------------------------------------------------------

@pytest.mark.parametrize("version", ["4.0", "4.1", "4.2", "4.4"])
@pytest.mark.parametrize("model", ["replication", "producer", "controller"])
def test_an_empty_process_roles_is_refused_from_4_0_by_every_model(capsys, model, version):
    assert refused(capsys, model, version, "process.roles=") == (
        f"process.roles is empty: Kafka {version} requires process.roles (broker, controller "
        "or broker,controller; KAFKA-18331) and a node without it does not start")


@pytest.mark.parametrize("version", ["3.7", "3.9"])
def test_before_4_0_an_empty_process_roles_is_zookeeper_mode_for_the_replication_model(
        capsys, version):
    accepted(capsys, "replication", version, "process.roles=")


@pytest.mark.parametrize("version", ["3.9", "4.0", "4.2"])
@pytest.mark.parametrize("model", ["replication", "controller"])
def test_a_role_named_twice_is_refused_in_every_kraft_release(capsys, model, version):
    assert refused(capsys, model, version, "process.roles=broker, broker") == (
        f"invalid value 'broker, broker' for process.roles: its values must not be "
        f"duplicated in Kafka {version} (from 2.8 KafkaConfig.parseProcessRoles)")


@pytest.mark.parametrize("model", ["replication", "producer", "controller"])
def test_a_controller_only_node_is_no_broker_of_any_model(capsys, model):
    assert refused(capsys, model, "4.1", "process.roles=controller") == (
        "process.roles=controller names controller-only nodes, which hold no partition "
        "replicas; the nodes this model checks are brokers: process.roles=broker or "
        "broker,controller")


@pytest.mark.parametrize("value", ["broker,", "broker,,controller"])
def test_an_empty_role_is_no_role(capsys, value):
    assert refused(capsys, "replication", "3.9", f"process.roles={value}") == (
        f"invalid value {value!r} for process.roles: String must be one of: broker, "
        "controller")


@pytest.mark.parametrize("value", ["broker", "broker,controller", " controller , broker "])
def test_the_broker_roles_are_still_taken(capsys, value):
    accepted(capsys, "replication", "4.1", f"process.roles={value}")


# -- cleanup.policy: ValidList items -----------------------------------------------------

def test_an_empty_cleanup_policy_item_is_refused_in_every_release(capsys):
    assert refused(capsys, "replication", "3.9", "cleanup.policy=delete,") == (
        "invalid value 'delete,' for cleanup.policy: String must be one of: compact, delete")


def test_a_cleanup_policy_named_twice_is_refused_from_4_2(capsys):
    accepted(capsys, "replication", "4.1", "cleanup.policy=delete,delete")
    assert refused(capsys, "replication", "4.2", "cleanup.policy=delete,delete") == (
        "invalid value 'delete,delete' for cleanup.policy: its values must not be "
        "duplicated in Kafka 4.2 (from 4.2 ConfigDef.ValidList; KIP-1161)")


# -- bootstrap.servers="" ----------------------------------------------------------------

BOOTSTRAP = ("(from 4.2 required: a non-empty list without duplicates in ProducerConfig, "
             "ConsumerConfig, StreamsConfig and WorkerConfig; KIP-1161)")


@pytest.mark.parametrize("model", ["producer", "group", "source", "streams"])
@pytest.mark.parametrize("version", ["4.2", "4.4"])
def test_an_explicit_empty_bootstrap_servers_is_refused_from_4_2(capsys, model, version):
    assert refused(capsys, model, version, "bootstrap.servers=") == (
        f"invalid value '' for bootstrap.servers: must not be empty in Kafka {version} "
        f"{BOOTSTRAP}")


@pytest.mark.parametrize(("value", "why"), [
    ("a:9092,", "its values must not be empty"),
    ("a:9092, a:9092", "its values must not be duplicated")])
def test_4_2_refuses_empty_and_repeated_bootstrap_servers_too(capsys, value, why):
    assert refused(capsys, "producer", "4.2", f"bootstrap.servers={value}") == (
        f"invalid value {value!r} for bootstrap.servers: {why} in Kafka 4.2 {BOOTSTRAP}")


@pytest.mark.parametrize("version", ["3.9", "4.0", "4.1"])
def test_before_4_2_an_empty_bootstrap_servers_is_still_taken(capsys, version):
    accepted(capsys, "producer", version, "bootstrap.servers=")


def test_the_models_default_bootstrap_servers_stays_empty():
    # Unset, the models assume Kafka's pre-4.2 default: only a value given is judged.
    assert kafka_settings.default_for("bootstrap.servers", (4, 4)) == ""
    assert kafka_settings.refused_in("bootstrap.servers", "", (4, 1)) is None
    assert kafka_settings.refused_in("bootstrap.servers", "a:9092,b:9092", (4, 4)) is None


# -- offset.storage.replication.factor=0 --------------------------------------------------

@pytest.mark.parametrize("version", ["2.5", "3.9", "4.2"])
def test_a_connect_offsets_topic_of_zero_replicas_is_refused(capsys, version):
    assert refused(capsys, "source", version, "offset.storage.replication.factor=0") == (
        "invalid value '0' for offset.storage.replication.factor: value must be at least 1, "
        "or -1 for the broker's default.replication.factor")


def test_minus_one_is_the_broker_default_from_2_6_and_not_covered(capsys):
    code, out, _ = check(capsys, "source", "4.2", "offset.storage.replication.factor=-1")
    assert code == 3 and "NOT COVERED: offset.storage.replication.factor=-1" in out
    assert refused(capsys, "source", "2.5", "offset.storage.replication.factor=-1") == (
        "offset.storage.replication.factor=-1 does not exist in Kafka 2.5 (KIP-605 arrived "
        "in 2.6)")


# -- zookeeper.connect on 4.0+ -------------------------------------------------------------

@pytest.mark.parametrize("model", ["controller", "replication"])
@pytest.mark.parametrize("version", ["4.0", "4.4"])
def test_zookeeper_connect_is_refused_from_4_0(capsys, model, version):
    assert refused(capsys, model, version, "zookeeper.connect=zk:2181") == (
        f"zookeeper.connect does not exist in Kafka {version}: ZooKeeper mode was removed in "
        "Kafka 4.0 (KIP-833, KIP-500): set process.roles for KRaft, or check a ZooKeeper "
        "cluster with its own --kafka-version (3.9 or earlier)")


def test_on_3_x_a_zookeeper_ensemble_is_still_not_covered_by_the_kraft_controller(capsys):
    code, out, _ = check(capsys, "controller", "3.9", "zookeeper.connect=zk:2181")
    assert code == 3 and "NOT COVERED: zookeeper.connect=zk:2181" in out and "HOLDS" not in out


# -- Streams' own group.protocol (KIP-1071) --------------------------------------------------

EOS = "processing.guarantee=exactly_once_v2"
SMALL = ("--bound", "inputs=1", "--bound", "instance_crashes=0", "--no-diagram")


def test_group_protocol_streams_is_not_covered_by_the_streams_model_from_4_1(capsys):
    code, out, _ = check(capsys, "streams", "4.1", EOS, extra=SMALL)
    assert code == 0 and "HOLDS" in out  # the same run without it
    code, out, err = check(capsys, "streams", "4.1", EOS, "group.protocol=streams",
                           extra=SMALL)
    assert code == 3 and err == "" and "HOLDS" not in out
    assert "NOT COVERED: group.protocol=streams (changes consumer semantics the model does " \
           "not model); no verdict until the model covers it" in out


@pytest.mark.parametrize("value", ["STREAMS", "Streams"])
def test_streams_own_group_protocol_ignores_case(capsys, value):
    code, out, _ = check(capsys, "streams", "4.4", f"group.protocol={value}")
    assert code == 3 and "NOT COVERED: group.protocol=streams" in out


def test_classic_stays_covered_on_streams(capsys):
    code, out, _ = check(capsys, "streams", "4.1", EOS, "group.protocol=classic", extra=SMALL)
    assert code == 0 and "HOLDS" in out and "NOT COVERED" not in out


def test_streams_refuses_the_consumers_protocol_from_4_1(capsys):
    assert refused(capsys, "streams", "4.1", "group.protocol=consumer") == (
        "invalid value 'consumer' for group.protocol: must be one of: classic, streams "
        "(Kafka Streams' own group.protocol from 4.1, KIP-1071, StreamsConfig)")


@pytest.mark.parametrize("version", ["3.9", "4.0"])
def test_before_4_1_group_protocol_streams_is_refused(capsys, version):
    assert refused(capsys, "streams", version, "group.protocol=streams") == (
        f"group.protocol=streams does not exist in Kafka {version} (Kafka Streams' own "
        "group.protocol arrived in 4.1, KIP-1071, StreamsConfig)")


@pytest.mark.parametrize("model", ["group", "group-consumer"])
def test_a_consumer_never_takes_group_protocol_streams(capsys, model):
    assert refused(capsys, model, "4.4", "group.protocol=streams") == (
        "invalid value 'streams' for group.protocol: must be one of: classic, consumer")


# -- feature levels Kafka 3.9 does not run in production --------------------------------------

TV = ("is not a production feature level of Kafka {v} (production from 4.0; KIP-890, "
      "TransactionVersion: Kafka 3.9's latest production level is 0, and 1 and 2 run only "
      "with unstable.feature.versions.enable; releases before 3.9 have no transaction.version)")


@pytest.mark.parametrize("model", ["producer", "replication", "group"])
@pytest.mark.parametrize("level", ["1", "2"])
def test_transaction_version_above_0_is_refused_before_4_0(capsys, model, level):
    assert refused(capsys, model, "3.9", f"transaction.version={level}") == (
        f"transaction.version={level} " + TV.format(v="3.9"))


def test_the_transactions_model_refuses_it_in_the_same_words(capsys):
    assert refused(capsys, "transactions", "3.9", "transaction.version=2",
                   "transactional.id=app") == "transaction.version=2 " + TV.format(v="3.9")


def test_transaction_version_0_and_4_0_levels_are_taken(capsys):
    accepted(capsys, "producer", "3.9", "transaction.version=0")
    accepted(capsys, "producer", "4.0", "transaction.version=2")


@pytest.mark.parametrize("model", ["replication", "streams", "group", "source"])
def test_eligible_leader_replicas_are_refused_at_3_9_by_every_model(capsys, model):
    assert refused(capsys, model, "3.9", "eligible.leader.replicas.version=1") == (
        "eligible.leader.replicas.version=1 does not exist in Kafka 3.9 (KIP-966 arrived in "
        "4.0)")


def _review(capsys, tmp_path, version: str, protocol: str) -> tuple[int, str, str]:
    path = tmp_path / "streams.properties"
    path.write_text("application.id=app\nbootstrap.servers=localhost:9092\n"
                    f"group.protocol={protocol}\n")
    code = main(["review", "--kafka-version", version, str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_review_reads_a_streams_files_group_protocol_as_streams_own(capsys, tmp_path):
    code, out, err = _review(capsys, tmp_path, "4.1", "streams")
    assert code != 2 and "invalid value" not in err
    code, _, err = _review(capsys, tmp_path, "4.4", "bogus")
    assert code == 2 and "must be one of: classic, streams" in err
    code, _, err = _review(capsys, tmp_path, "4.0", "streams")
    assert code == 2 and "group.protocol=streams does not exist in Kafka 4.0" in err


def _review_file(capsys, tmp_path, version: str, role: str, text: str) -> tuple[int, str]:
    """`kafkacheck review --kafka-version VERSION ROLE:FILE`: (code, stderr)."""
    path = tmp_path / f"{role}.properties"
    path.write_text(text)
    code = main(["review", "--kafka-version", version, f"{role}:{path}"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("role", ["producer", "consumer"])
def test_review_refuses_an_empty_bootstrap_servers_from_4_2(capsys, tmp_path, role):
    code, err = _review_file(capsys, tmp_path, "4.2", role, "bootstrap.servers=\n")
    assert code == 2 and err.count("\n") == 1
    assert "invalid value '' for bootstrap.servers: must not be empty in Kafka 4.2" in err
    code, err = _review_file(capsys, tmp_path, "4.1", role, "bootstrap.servers=\n")
    assert code != 2, err


def test_review_leaves_an_admin_clients_empty_bootstrap_servers_alone(capsys, tmp_path):
    code, err = _review_file(capsys, tmp_path, "4.2", "admin", "bootstrap.servers=\n")
    assert code != 2, err


def test_review_refuses_a_broker_role_named_twice(capsys, tmp_path):
    code, err = _review_file(capsys, tmp_path, "3.9", "broker",
                             "process.roles=broker,broker\nnode.id=1\n")
    assert code == 2 and "its values must not be duplicated in Kafka 3.9" in err
