"""Every verdict names the faults it explored and never turns green for semantics the model
does not cover: the CLI's text and JSON, exit codes, the Python API, and the settings
registry as data (issue 12, items 4 and 5)."""

from __future__ import annotations

import json

import pytest
from webui_harness import call, explorer_for, serving

from kafkacheck.cli import main
from kafkacheck.config import build_config
from kafkacheck.explorer.stateful import NotCovered, machine_for
from kafkacheck.model import registry
from kafkacheck.model.cluster.replication import (
    CONTROLLED_SHUTDOWN,
    DISK_LOSS,
    LOST_ALTER_RESPONSE,
)
from kafkacheck.model.interface import POWER_LOSS, PROCESS_CRASH
from kafkacheck.model.settings import ROLES, SETTINGS, uncovered
from kafkacheck.testing import check, make_model

SAFE = ["--set", "acks=all", "--set", "min.insync.replicas=2", "--set", "replication.factor=3"]
QUICK = ["--bound", "records=1", "--property", "NoAckedWriteLost", "--no-diagram"]
# The replication model's faults off by default (issue 21's bounds at 0), then what it can
# never explore (it has no network; a log directory failing under a running broker).
REPLICATION_OFF = f"{DISK_LOSS}, {LOST_ALTER_RESPONSE}, {CONTROLLED_SHUTDOWN}"
REPLICATION_CANNOT = ("network partition (see the controller model), a log directory failing "
                      "under a running broker (JBOD, KIP-858)")

# crash_kind=any: one budget for both kinds
SHARED = "(one budget: each crash is one kind or the other)"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def after_summary(out: str, first: str) -> list[str]:
    """The lines from the summary line (starting with ``first``) to the end."""
    lines = out.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith(first)):]


# -- the fault model under every verdict ---------------------------------------------------

def test_a_replication_pass_names_both_crash_kinds_under_the_verdict_and_no_warning(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK)
    summary, faults, *rest = after_summary(out, "HOLDS")
    assert code == 0
    assert faults == (f"faults: {PROCESS_CRASH} or {POWER_LOSS} x1 {SHARED}; not explored: leader "
                      f"move, lost produce response, quick follower restart, {REPLICATION_OFF}, "
                      f"{REPLICATION_CANNOT}")
    assert rest == [] and "WARNING" not in out


def test_a_pass_with_process_crashes_only_warns_that_power_loss_was_not_explored(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK,
                       "--bound", "crash_kind=process")
    _, faults, warning = after_summary(out, "HOLDS")
    assert code == 0  # the verdict stands, for the faults it names
    assert faults.startswith(f"faults: {PROCESS_CRASH} x1; not explored: {POWER_LOSS}, ")
    assert warning.startswith("WARNING: power loss was NOT explored: this verdict covers "
                              "process crashes only (the page cache survives).")
    assert warning.endswith("rerun with --bound crash_kind=any.")


def test_no_crash_budget_at_all_says_so_and_how_to_add_one(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK, "--bound", "crashes=0")
    _, faults, warning = after_summary(out, "HOLDS")
    assert code == 0
    assert faults.startswith(f"faults: none; not explored: {PROCESS_CRASH}, {POWER_LOSS}, ")
    assert "this verdict covers no broker crash at all" in warning
    assert warning.endswith("rerun with --bound crashes=1 --bound crash_kind=any.")


def test_a_violation_names_its_fault_model_too(capsys):
    code, out, _ = run(capsys, "check", "acks1-loss", "--no-diagram")
    summary, faults = after_summary(out, "VIOLATED")
    assert code == 1 and summary.startswith("VIOLATED: NoAckedWriteLost")
    assert faults.startswith(f"faults: {PROCESS_CRASH} or {POWER_LOSS} x1 {SHARED}; not explored: ")


def test_fsync_on_every_write_counts_as_exploring_power_loss(capsys):
    model = make_model("replication", {"flush.messages": "1"}, crash_kind="process")
    assert model.fault_model().explored == ((PROCESS_CRASH, 1), (POWER_LOSS, 1))
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK, "--set",
                       "flush.messages=1", "--bound", "crash_kind=process")
    assert code == 0 and "WARNING" not in out
    assert "note: flush.messages=1: every append is fsynced" in out


def test_the_json_result_carries_the_fault_model_and_the_warnings(capsys):
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK, "--json",
                       "--bound", "crash_kind=process")
    data = json.loads(out)
    assert code == 0 and data["result"] == "holds"
    assert data["fault_model"] == {
        "explored": {PROCESS_CRASH: 1},
        "not_explored": [POWER_LOSS, "leader move", "lost produce response",
                         "quick follower restart", DISK_LOSS, LOST_ALTER_RESPONSE,
                         CONTROLLED_SHUTDOWN, "network partition (see the controller model)",
                         "a log directory failing under a running broker (JBOD, KIP-858)"]}
    assert len(data["warnings"]) == 1
    assert data["warnings"][0].startswith("WARNING: power loss was NOT explored")
    assert data["not_covered"] == {}
    code, out, _ = run(capsys, "check", "replication", *SAFE, *QUICK, "--json")
    assert json.loads(out)["warnings"] == []


def test_models_that_cannot_express_power_loss_say_so_and_point_to_one_that_can(capsys):
    faults = make_model("controller").fault_model()
    assert ("node isolation", 1) in faults.explored
    assert POWER_LOSS in faults.not_explored and DISK_LOSS in faults.not_explored
    assert "loss of the metadata log" in faults.not_explored
    code, out, _ = run(capsys, "check", "controller", "--bound", "records=1", "--bound",
                       "isolations=0", "--property", "NoAckedWriteLost", "--no-diagram")
    assert code == 0
    assert after_summary(out, "HOLDS")[2].endswith(
        "this model cannot express it; the replication and producer models can "
        "(with their bound crash_kind=any).")
    assert POWER_LOSS in make_model("kafka-spec").fault_model().not_explored


def test_the_group_model_claims_broker_faults_only_with_a_replicated_log():
    abstract = make_model("group").fault_model()
    assert all("broker" not in name for name, _ in abstract.explored)
    assert "broker faults (log=abstract has no brokers; use log=replicated)" in \
        abstract.not_explored
    replicated = make_model("group", log="replicated").fault_model()
    # The embedded replication model crashes broker processes only.
    assert (PROCESS_CRASH, 1) in replicated.explored
    assert POWER_LOSS in replicated.not_explored


# -- settings a model does not cover: NOT COVERED, exit 3, never HOLDS --------------------

@pytest.mark.parametrize("model,setting,bounds", [
    ("replication", "transactional.id=tx", ["records=1"]),
    ("replication", "processing.guarantee=exactly_once_v2", ["records=1"]),
    ("replication", "exactly.once.source.support=enabled", ["records=1"]),
    ("replication", "enable.idempotence=false", ["records=1"]),
    ("replication", "default.replication.factor=3", ["records=1"]),
    ("replication", "cleanup.policy=compact", ["records=1"]),
    ("producer", "transactional.id=tx", ["records=1"]),
    ("controller", "controller.quorum.voters=1@c1:9093", ["records=1", "isolations=0"]),
    ("controller", "flush.messages=1", ["records=1", "isolations=0"]),
    ("group", "isolation.level=read_committed", ["records=1"]),
    ("group", "auto.offset.reset=by_duration:PT1H", ["records=1"]),
    ("group", "enable.idempotence=false", ["records=1"]),
    ("kafka-spec", "acks=1", ["replicas=2", "log_size=1", "max_records=1",
                              "max_leader_epoch=1"]),
    # The reference spec follows Vanlightly's TLA+ spec, which differs from Kafka's
    # consumer protocol in documented ways: it does not cover Kafka's group.protocol.
    ("kip848-spec", "group.protocol=consumer", ["clients=1", "topic_count=1",
                                                "max_perturbations=0"]),
    ("diehard", "isolation.level=read_committed", []),
    ("twophase", "enable.idempotence=false", []),
])
def test_a_semantics_changing_setting_the_model_lacks_is_not_covered_exit_3(capsys, model,
                                                                           setting, bounds):
    extra = ["--set", "auto.offset.reset=earliest"] if model == "group" and \
        not setting.startswith("auto.offset.reset") else []
    code, out, _ = run(capsys, "check", model, "--set", setting, *extra,
                       *[arg for b in bounds for arg in ("--bound", b)], "--no-diagram")
    name, value = setting.split("=", 1)
    assert code == 3
    header = f"NOT COVERED: {name}={value} ("
    assert any(line.lower().startswith(header.lower()) and line.endswith(
        "what follows is what the model checks instead (Kafka 4.4's default, or the one "
        "value the model covers)") for line in out.splitlines())
    summary = next(line for line in out.splitlines()
                   if "no verdict until the model covers it" in line)
    assert summary.lower().startswith(header.lower())
    verdicts = [line for line in out.splitlines() if line.startswith("  [")]
    assert verdicts and all(line.startswith("  [ not covered ]") for line in verdicts)
    assert "HOLDS" not in out and "VIOLATED" not in out


def test_group_protocol_consumer_is_answered_by_the_kip848_model_which_has_its_own_gaps(
        capsys):
    # The classic group model does not cover group.protocol=consumer; the CLI answers that
    # question with the KIP-848 model, whose verdict is then about that protocol.
    # Two consumers: with one, the ownership properties cannot fail and are not checked
    # (session 22), exit 3.
    code, out, _ = run(capsys, "check", "group", "--set", "group.protocol=consumer",
                       "--bound", "consumers=2", "--no-diagram")
    assert code == 0 and " - model group-consumer (bfs)" in out.splitlines()[0]
    assert "NOT COVERED" not in out
    code, out, _ = run(capsys, "check", "group", "--set", "group.protocol=consumer",
                       "--set", "isolation.level=read_committed", "--bound", "consumers=1",
                       "--no-diagram")
    assert code == 3 and "HOLDS" not in out
    assert "NOT COVERED: isolation.level=read_committed (changes consumer semantics" in out
    # group-consumer asked about the classic protocol refuses (one line, exit 2).
    code, out, err = run(capsys, "check", "group-consumer", "--set", "group.protocol=classic",
                         "--bound", "consumers=1", "--no-diagram")
    assert (code, out) == (2, "")
    assert err.strip().endswith("group-consumer models group.protocol=consumer (KIP-848)")
    # The classic model itself still never says HOLDS for the consumer protocol.
    classic = make_model("group", {"group.protocol": "consumer",
                                   "auto.offset.reset": "earliest"})
    assert classic.config.uncovered == {"group.protocol": "consumer"}


def test_not_covered_wins_over_a_violation_found_under_the_default(capsys):
    # acks=1 loses a write; with retries=0 set, the model ran with the producer's retries,
    # so what it found is no verdict about the configuration asked for.
    code, out, _ = run(capsys, "check", "replication", "--set", "acks=1", "--set",
                       "replication.factor=2", "--set", "retries=0",
                       "--bound", "records=1", "--json")
    data = json.loads(out)
    assert code == 3 and data["result"] == "incomplete"
    assert data["not_covered"] == {"retries": "0"}
    assert data["violations"] and data["violations"][0]["property"] == "NoAckedWriteLost"
    assert {p["verdict"] for p in data["properties"]} == {"not covered"}
    assert data["config"]["acks"] == "1"


def test_not_covered_and_not_checked_are_reported_together(capsys):
    # DFS cannot check eventually-properties; the setting is not covered: both are said.
    code, out, _ = run(capsys, "check", "replication", "--set", "transactional.id=tx",
                       "--bound", "records=1", "--strategy", "dfs", "--json")
    data = json.loads(out)
    assert code == 3 and data["result"] == "incomplete"
    # replication.factor=1 also leaves ReplicasAgreeBelowHw not checked (one replica).
    assert list(data["not_checked"]) == ["ReplicasAgreeBelowHw", "ProduceRequestsComplete"]
    assert data["not_covered"] == {"transactional.id": "tx"}
    code, out, _ = run(capsys, "check", "replication", "--set", "transactional.id=tx",
                       "--bound", "records=1", "--strategy", "dfs", "--no-diagram")
    summary = next(line for line in out.splitlines() if line.startswith("NOT COVERED: ")
                   and "no verdict" in line)
    assert summary.endswith("; not checked: ReplicasAgreeBelowHw, ProduceRequestsComplete)")


def test_prove_simulate_and_the_python_api_refuse_to_be_green_when_not_covered(capsys):
    code, out, _ = run(capsys, "prove", "replication", *SAFE, "--set", "transactional.id=tx")
    assert code == 3 and out.startswith("NOT COVERED: transactional.id=tx")
    code, out, _ = run(capsys, "simulate", "group", "--set", "isolation.level=read_committed",
                       "--set", "auto.offset.reset=earliest", "--walks", "5", "--no-diagram")
    assert code == 3 and "NOT COVERED: isolation.level=read_committed" in out
    result = check({"transactional.id": "tx"}, properties=["NoAckedWriteLost"],
                   bounds={"records": 1})
    assert (result.result, result.verdict(result.properties[0])) == ("incomplete",
                                                                    "not covered")
    with pytest.raises(NotCovered, match="not covered: transactional.id=tx"):
        machine_for(make_model("replication", {"transactional.id": "tx"}))


def test_a_web_search_under_a_setting_not_covered_verifies_nothing():
    tx = ("--set", "retries=0", "--bound", "records=1")
    safe = explorer_for("replication", *SAFE, *tx)
    lossy = explorer_for("replication", "--set", "acks=1", "--set", "replication.factor=2", *tx)
    with serving(safe) as url:
        _, model = call(url, "/api/model")
        _, nothing = call(url, "/api/search", {"path": [], "property": "NoAckedWriteLost"})
    with serving(lossy) as url:
        _, found = call(url, "/api/search", {"path": [], "property": "NoAckedWriteLost"})
    assert model["not_covered"] == "retries=0"
    assert (nothing["found"], nothing["complete"]) == (False, True)
    assert nothing["text"].startswith("not covered: retries=0 changes semantics the "
                                      "model does not cover; nothing is verified")
    assert found["found"] and found["text"].endswith(
        "not covered: retries=0 changes semantics the model does not cover, so this "
        "path is the model's under the default, no verdict")


def test_the_config_digest_tells_a_not_covered_run_from_a_covered_one():
    cls = registry.model_class("replication")
    plain = build_config(cls, settings=[("acks", "all")])
    with_tx = build_config(cls, settings=[("acks", "all"), ("transactional.id", "tx")])
    assert plain.kafka == with_tx.kafka  # the model runs the default...
    assert plain.digest() != with_tx.digest()  # ...but the question differs


# -- defaults follow the Kafka version -----------------------------------------------------

def test_a_setting_at_its_default_for_the_kafka_version_is_covered(capsys):
    # enable.idempotence became true by default in 3.0 (KIP-679): false is the 2.8 default.
    code, out, _ = run(capsys, "check", "replication", "--set", "enable.idempotence=false",
                       "--bound", "records=1", "--kafka-version", "2.8", "--no-diagram")
    assert code == 1 and "NOT COVERED" not in out
    code, out, _ = run(capsys, "check", "replication", "--set", "enable.idempotence=true",
                       "--bound", "records=1", "--kafka-version", "2.8", "--no-diagram")
    assert code == 3 and "NOT COVERED: enable.idempotence=true (changes producer " in out
    assert ("what follows is what the model checks instead (Kafka 2.8's default, or the one "
            "value the model covers)") in out


@pytest.mark.parametrize("model,setting", [
    ("replication", "bootstrap.servers=kafka:9092"),
    ("replication", "client.id=app"),
    ("replication", "key.serializer=org.apache.kafka.common.serialization.StringSerializer"),
    ("replication", "security.protocol=SASL_SSL"),
    ("replication", "sasl.mechanism=SCRAM-SHA-512"),
    ("replication", "enable.auto.commit=false"),
    ("replication", "isolation.level=read_committed"),
    ("replication", "isolation.level=read_uncommitted"),
    ("replication", "linger.ms=100"),
    ("group", "group.protocol=classic"),
    ("group", "session.timeout.ms=10000"),
])
def test_settings_without_effect_on_the_models_semantics_stay_accepted(capsys, model, setting):
    # (group: hw_lag=1, so that ConsumersReadBelowHw can fail; at hw_lag=0 it is not checked
    # and the run exits 3, audit s21)
    # (and a pause, so that CommitsFromCurrentGeneration can fail, audit s23)
    extra = ["--set", "auto.offset.reset=earliest", "--bound", "hw_lag=1",
             "--bound", "pauses=1"] if model == "group" else []
    code, out, _ = run(capsys, "check", model, *SAFE[:2] if model == "replication" else [],
                       "--set", setting, *extra, "--bound", "records=1", "--no-diagram")
    assert code in (0, 1)
    assert "NOT COVERED" not in out


# -- the registry as data ------------------------------------------------------------------

def test_roles_follow_from_the_settings_a_model_reads():
    # replication reads producer and log settings: a consumer setting cannot change it
    replication = registry.model_class("replication").settings
    assert uncovered(replication, {"isolation.level": "read_committed"}) == {}
    assert uncovered(replication, {"transactional.id": "tx"}) == {"transactional.id": "tx"}
    # a model reading no Kafka setting covers none of them
    assert uncovered((), {"acks": 1}) == {"acks": 1}
    assert uncovered((), {"client.id": "x"}) == {}
    # the group model reads group.protocol but covers the classic protocol only (a KIP-848
    # model will declare "consumer" covered)
    group = registry.model_class("group")
    assert uncovered(group.settings, {"group.protocol": "consumer"},
                     group.covered_values) == {"group.protocol": "consumer"}
    assert uncovered(group.settings, {"group.protocol": "classic"}, group.covered_values) == {}


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


def test_every_covered_value_declared_by_a_model_is_a_value_of_a_setting_it_reads():
    for name in registry.MODELS:
        cls = registry.model_class(name)
        for setting, values in cls.covered_values.items():
            assert setting in cls.settings, (name, setting)
            parsed = [SETTINGS[setting].value_of(str(v)) for v in values]
            assert parsed == list(values), (name, setting)
