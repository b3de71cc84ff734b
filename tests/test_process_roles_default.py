"""process.roles carries Kafka's default: empty (KRaftConfigs: an empty list, ZooKeeper mode
before 4.0; required from 4.0, KAFKA-18331).  The KRaft controller model assumes combined
nodes when it is not set and says so; an explicit empty value is refused in one line."""

from __future__ import annotations

import pytest

from kafkacheck import review
from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import settings as kafka_settings
from kafkacheck.testing import make_model

ASSUMED = ("process.roles not set: combined KRaft nodes assumed "
           "(process.roles=broker,controller)")


@pytest.mark.parametrize("version", [(2, 8), (3, 7), (4, 4)])
def test_the_default_is_empty_as_in_kafka(version):
    assert kafka_settings.SETTINGS["process.roles"].default == ""
    assert kafka_settings.default_for("process.roles", version) == ""


def test_a_controller_run_without_process_roles_checks_combined_nodes_and_says_so():
    unset = breadth_first(make_model("controller", {}))
    combined = breadth_first(make_model("controller", {"process.roles": "broker,controller"}))
    assert unset.result == combined.result == "holds"
    # The states of combined nodes, as before the default changed.
    assert unset.distinct_states == combined.distinct_states == 36_664
    assert unset.model.mode == "combined"
    notes = unset.model.notes()
    assert notes[0] == (f"{ASSUMED}; Kafka 4.4 requires process.roles on every node "
                        "(KAFKA-18331); set process.roles=broker for dedicated controllers")
    assert not any(n.startswith("process.roles not set") for n in combined.model.notes())


def test_before_4_0_the_note_says_kafka_would_run_zookeeper_mode():
    notes = make_model("controller", {}, kafka_version="3.7").notes()
    assert (f"{ASSUMED}; without it Kafka 3.7 runs in ZooKeeper mode, which the replication "
            "model checks; set process.roles=broker for dedicated controllers") in notes


def test_explicit_empty_roles_on_4_x_exit_2_in_one_line(capsys):
    code = main(["check", "controller", "--set", "process.roles=", "--kafka-version", "4.4"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == ("kafkacheck: error: process.roles is empty: Kafka 4.4 requires "
                   "process.roles (broker, controller or broker,controller; KAFKA-18331) "
                   "and a node without it does not start\n")


def test_explicit_empty_roles_on_3_7_exit_2_naming_the_replication_model(capsys):
    code = main(["check", "controller", "--set", "process.roles=", "--kafka-version", "3.7"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == ("kafkacheck: error: process.roles is empty: Kafka 3.7 then runs in "
                   "ZooKeeper mode, which the controller model (KRaft's) does not check; "
                   "check it with the replication model\n")


def test_blank_roles_are_empty_roles():
    with pytest.raises(UsageError, match="Kafka 4.4 requires process.roles"):
        make_model("controller", {"process.roles": " "})


def test_assumed_combined_nodes_need_as_many_brokers_as_controllers():
    with pytest.raises(UsageError, match=r"^controllers=3 exceeds brokers=2 with "
                       r"process.roles=broker,controller \(assumed: process.roles is not "
                       r"set\); use process.roles=broker for dedicated controllers$"):
        make_model("controller", {}, brokers=2, controllers=3)


@pytest.mark.parametrize("name", ["replication", "producer"])
def test_models_reading_roles_as_kraft_or_zookeeper_still_see_zookeeper_before_4_0(name):
    model = make_model(name, {}, kafka_version="3.7")
    replication = getattr(model, "repl", model)
    assert model.config.kafka["process.roles"] == ""
    assert replication.kraft is False


# -- review: an empty process.roles in a broker file is Kafka's default ----------------

FILES = {"broker.properties": "process.roles=\nnode.id=1\n",
         "producer.properties": "acks=all\n",
         "topic.properties": "replication.factor=3\nmin.insync.replicas=2\n"}


def _write(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return [str(tmp_path / n) for n in FILES]


def test_review_reads_an_empty_broker_roles_as_zookeeper_mode_before_4_0(tmp_path):
    files = review.load_files(_write(tmp_path), "3.7")
    guarantees, not_covered = review.plan(files, review.versions.parse("3.7"))
    # Never KRaft's rules: the replication guarantees run without process.roles.
    assert guarantees and all("process.roles" not in g.settings for g in guarantees)
    assert all(not review.not_passed_on(g) for g in guarantees)
    assert (f"{tmp_path / 'broker.properties'} runs in ZooKeeper mode (process.roles empty): "
            "the controller model is KRaft's") in [why for _title, why in not_covered]


def test_review_refuses_an_empty_broker_roles_on_4_x(tmp_path, capsys):
    code = main(["review", "--kafka-version", "4.4", *_write(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and "HOLDS" not in out and err.count("\n") == 1
    assert err.endswith("broker.properties: process.roles is empty: Kafka 4.4 requires "
                        "process.roles (broker, controller or broker,controller; "
                        "KAFKA-18331)\n")
