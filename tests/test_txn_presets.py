"""The headline questions about transactions, as users ask them: `kafkacheck check PRESET`.

Is this exactly-once?  Is a zombie fenced?  Can a transaction hang before KIP-890?  Each
preset answers through the command line with the verdict its summary states (exit code,
property, exact state count).  And the two settings the seed document names,
``transactional.id`` and ``isolation.level``, are covered: the transactions model reads
them, so a run that sets them gets a verdict instead of "not modelled" / "not covered".
"""

from __future__ import annotations

import json

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError, build_config
from kafkacheck.model import presets
from kafkacheck.model.clients.transactions import TransactionsModel
from kafkacheck.model.registry import model_class

TXN_PRESETS = [p for p in presets.PRESETS.values() if p.model == "transactions"]


def check_json(capsys, *argv):
    code = main(["check", *argv, "--json", "--no-diagram"])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def violated(data):
    """Each violated property with its counterexample's steps (the trace opens with the
    initial state)."""
    return {v["property"]: len(v["trace"]) - 1 for v in data["violations"]}


@pytest.mark.parametrize("name, code, result, states, violations", [
    # read_uncommitted (the consumer default) shows an aborted record; the search stops
    # at its first violation.
    ("txn-read-uncommitted", 1, "violated", 6, {"NoAbortedRead": 4}),
    # Kafka 3.5, before KIP-890: the hanging transaction (the LSO never moves again).
    ("txn-hanging-3.5", 1, "violated", 123, {"LsoAdvances": 14}),
    # transaction.version=1: the late write and the stale EndTxn, found.
    ("txn-late-write-tv1", 1, "violated", 541, {"NoAbortedRead": 21}),
    ("txn-stale-end-txn-tv1", 1, "violated", 61, {"NoAbortedRead": 19}),
    # The same loop without transactions: duplicates (the shortest counterexample).
    ("alo-loop-duplicates", 1, "violated", 83, {"ExactlyOnce": 8}),
])
def test_a_transaction_preset_finds_the_anomaly_its_summary_names(
        capsys, name, code, result, states, violations):
    got_code, data = check_json(capsys, name)
    assert (got_code, data["result"], data["distinct_states"]) == (code, result, states)
    assert violated(data) == violations


@pytest.mark.parametrize("name, states", [
    # Is a zombie fenced?  Two instances of one transactional.id, two partitions,
    # read_committed: every safety and liveness property holds, exhaustively.
    ("txn-zombie-read-committed", 3741),
    # transaction.version=2 under the late produce and delayed EndTxn that break version 1.
    ("txn-version-2", 1737),
])
def test_zombie_fencing_and_version_2_presets_hold_every_transaction_guarantee(
        capsys, name, states):
    code, data = check_json(capsys, name)
    assert code == 0 and data["result"] == "holds" and data["distinct_states"] == states
    assert data["violations"] == []


@pytest.mark.thorough
def test_the_coordinator_failover_preset_holds_on_the_other_replica(capsys):
    """Does a transaction survive its coordinator moving?  The log's leader moves to its
    second broker, whose coordinator loads the log there (tests/test_txn_guarantees.py
    checks the same configuration in the default suite)."""
    code, data = check_json(capsys, "txn-coordinator-failover")
    assert code == 0 and data["result"] == "holds" and data["distinct_states"] == 72_335
    assert data["fault_model"]["explored"] == {
        "coordinator failover without a crash (__transaction_state leader move)": 1}


@pytest.mark.thorough
def test_the_exactly_once_loop_preset_holds(capsys):
    """Is this exactly-once?  The loop in transactions (version 2) through a rebalance
    with a zombie: each input's output exactly once."""
    code, data = check_json(capsys, "eos-loop")
    assert code == 0 and data["result"] == "holds" and data["distinct_states"] == 82555


def test_transaction_presets_set_only_settings_the_model_reads():
    for preset in TXN_PRESETS:
        assert set(preset.settings) <= set(TransactionsModel.settings), preset.name


@pytest.mark.parametrize("isolation", ["read_uncommitted", "read_committed"])
@pytest.mark.parametrize("tid", ["app", None])
def test_transactional_id_and_isolation_level_are_covered_by_the_transactions_model(
        tid, isolation):
    """Settings in a model's ``settings`` are covered: read into the configuration, never
    listed as not modelled (nor as not covered, where verdicts mark uncovered settings)."""
    settings = [*([("transactional.id", tid)] if tid else []), ("isolation.level", isolation),
                ("enable.auto.commit", "false")]  # a loop's members commit themselves
    config = build_config(TransactionsModel, settings, bounds=[("inputs", "1")])
    assert config.kafka["transactional.id"] == tid
    assert config.kafka["isolation.level"] == isolation
    assert dict(config.not_modelled) == {}
    assert dict(getattr(config, "uncovered", {})) == {}


def test_an_empty_transactional_id_is_refused_as_kafka_refuses_it():
    """ConfigDef.NonEmptyString: unset is Kafka's default null, never an empty string."""
    with pytest.raises(UsageError, match="transactional.id: String must be non-empty"):
        build_config(TransactionsModel, [("transactional.id", " ")], bounds=[("inputs", "1")])


def test_a_model_without_transactions_leaves_both_settings_not_modelled():
    config = build_config(model_class("replication"),
                          [("transactional.id", "app"), ("isolation.level", "read_committed")])
    assert set(config.not_modelled) == {"transactional.id", "isolation.level"}
