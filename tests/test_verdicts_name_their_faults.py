"""Every verdict names the faults it explored and never turns green for semantics the model
does not cover: the CLI's text and JSON, exit codes, and the settings registry as data."""

from __future__ import annotations

import json

import pytest

from kafkacheck.cli import main
from kafkacheck.model import registry
from kafkacheck.model.interface import POWER_LOSS, PROCESS_CRASH
from kafkacheck.model.settings import ROLES, SETTINGS, uncovered
from kafkacheck.testing import make_model

SAFE = ["--set", "acks=all", "--set", "min.insync.replicas=2", "--set", "replication.factor=3"]
QUICK = ["--bound", "records=1", "--property", "NoAckedWriteLost", "--no-diagram"]


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_replication_pass_names_its_faults_under_the_verdict_and_warns_about_power_loss(
        capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK)
    lines = out.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("HOLDS"))
    assert code == 0
    assert lines[verdict + 1] == (f"faults: {PROCESS_CRASH} x1; not explored: {POWER_LOSS}, "
                                  "leader move, lost produce response, quick follower restart")
    assert lines[verdict + 2].startswith("WARNING: power loss was NOT explored")
    assert "--bound crash_kind=any" in lines[verdict + 2]


def test_both_crash_kinds_explored_means_no_warning(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK,
                       "--bound", "crash_kind=any")
    assert code == 0
    assert f"faults: {PROCESS_CRASH} x1, {POWER_LOSS} x1; not explored: leader move" in out
    assert "WARNING" not in out


def test_fsync_on_every_write_counts_as_exploring_power_loss():
    model = make_model("replication", {"flush.messages": "1"}, crashes=1)
    assert model.fault_model().explored == ((PROCESS_CRASH, 1), (POWER_LOSS, 1))


def test_the_json_result_carries_the_fault_model_and_warnings(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK, "--json")
    data = json.loads(out)
    assert code == 0
    assert data["fault_model"] == {
        "explored": {PROCESS_CRASH: 1},
        "not_explored": [POWER_LOSS, "leader move", "lost produce response",
                         "quick follower restart"]}
    assert len(data["warnings"]) == 1 and "power loss" in data["warnings"][0]
    assert data["not_covered"] == {}


def test_the_controller_model_says_it_cannot_express_power_loss():
    faults = make_model("controller").fault_model()
    assert POWER_LOSS in faults.not_explored
    assert ("node isolation", 1) in faults.explored


def test_an_abstract_group_log_does_not_claim_broker_crashes():
    abstract = make_model("group").fault_model()
    assert all("broker" not in name for name, _ in abstract.explored)
    assert "broker faults (log=abstract: the log never fails)" in abstract.not_explored
    replicated = make_model("group", log="replicated").fault_model()
    assert ("broker process crash (log=replicated)", 1) in replicated.explored
    assert POWER_LOSS in replicated.not_explored


@pytest.mark.parametrize("model,setting", [
    ("replication", "transactional.id=tx"),
    ("replication", "processing.guarantee=exactly_once_v2"),
    ("replication", "exactly.once.source.support=enabled"),
    ("replication", "enable.idempotence=false"),
    ("replication", "default.replication.factor=3"),
    ("producer", "transactional.id=tx"),
    ("group", "isolation.level=read_committed"),
    ("group", "group.protocol=consumer"),
    ("group", "auto.offset.reset=by_duration:PT1H"),
    ("replication", "cleanup.policy=compact"),
    ("controller", "controller.quorum.voters=1@c1:9093"),
])
def test_a_semantics_changing_setting_the_model_lacks_is_not_covered_exit_3(capsys, model,
                                                                           setting):
    extra = ["--set", "auto.offset.reset=earliest"] if model == "group" and \
        not setting.startswith("auto.offset.reset") else []
    bounds = ["--bound", "records=1"] + (["--bound", "isolations=0"] if model == "controller"
                                         else [])
    code, out, _ = run(capsys, "check", model, "--set", setting, *extra, *bounds,
                       "--no-diagram")
    name, value = setting.split("=", 1)
    assert code == 3
    assert f"NOT COVERED: {name}={value} (".lower() in out.lower()
    assert "HOLDS" not in out and "[  holds  ]" not in out
    assert out.splitlines()[-2].startswith("NOT COVERED") or \
        out.splitlines()[-3].startswith("NOT COVERED")


def test_not_covered_in_json_and_for_prove_and_simulate(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, "--set", "transactional.id=tx",
                       *QUICK, "--json")
    data = json.loads(out)
    assert code == 3 and data["result"] == "incomplete"
    assert data["not_covered"] == {"transactional.id": "tx"}
    assert {p["verdict"] for p in data["properties"]} == {"not covered"}
    code, out, _ = run(capsys, "prove", "replication", *SAFE, "--set", "transactional.id=tx")
    assert code == 3 and out.startswith("NOT COVERED: transactional.id=tx")
    code, out, _ = run(capsys, "simulate", "group", "--set", "isolation.level=read_committed",
                       "--walks", "5")
    assert code == 3 and "NOT COVERED: isolation.level=read_committed" in out


@pytest.mark.parametrize("model,setting", [
    ("replication", "bootstrap.servers=kafka:9092"),
    ("replication", "client.id=app"),
    ("replication", "key.serializer=org.apache.kafka.common.serialization.StringSerializer"),
    ("replication", "security.protocol=SASL_SSL"),
    ("replication", "sasl.mechanism=SCRAM-SHA-512"),
    ("replication", "enable.auto.commit=false"),
    ("replication", "isolation.level=read_committed"),
    ("replication", "transactional.id="),
    ("replication", "isolation.level=read_uncommitted"),
    ("group", "group.protocol=classic"),
])
def test_settings_without_effect_on_the_models_semantics_stay_accepted(capsys, model, setting):
    extra = ["--set", "auto.offset.reset=earliest"] if model == "group" else []
    code, out, _ = run(capsys, "check", model, *SAFE[:2] if model == "replication" else [],
                       "--set", setting, *extra, "--bound", "records=1", "--no-diagram")
    assert code in (0, 1)
    assert "NOT COVERED" not in out


def test_roles_follow_from_the_settings_a_model_reads():
    # replication reads producer and log settings: a consumer setting cannot change it
    replication = registry.model_class("replication").settings
    assert uncovered(replication, {"isolation.level": "read_committed"}) == {}
    assert uncovered(replication, {"transactional.id": "tx"}) == {"transactional.id": "tx"}
    # a model reading no Kafka setting covers none of them
    assert uncovered((), {"acks": 1}) == {"acks": 1}
    assert uncovered((), {"client.id": "x"}) == {}


def test_every_registered_setting_declares_its_roles_from_the_known_ones():
    semantic = {name for name, s in SETTINGS.items() if s.semantics}
    assert all(set(s.semantics) <= set(ROLES) for s in SETTINGS.values())
    assert {"transactional.id", "isolation.level", "group.protocol", "processing.guarantee",
            "exactly.once.source.support", "acks", "enable.idempotence",
            "min.insync.replicas", "unclean.leader.election.enable", "flush.messages",
            "eligible.leader.replicas.version", "cleanup.policy"} <= semantic
    assert not semantic & {"bootstrap.servers", "client.id", "key.serializer",
                           "security.protocol", "linger.ms", "request.timeout.ms",
                           "session.timeout.ms", "max.poll.interval.ms"}
