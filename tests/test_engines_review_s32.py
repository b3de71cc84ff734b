"""Liveness assumptions and what stopped or refused runs say (session 32's engines review)."""

from __future__ import annotations

import json

import pytest

from kafkacheck import testing
from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.explorer.stateful import NotCheckedWarning
from kafkacheck.properties.transactions import FAIR, LOOP_FAIR


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv, "--no-diagram"])
    return code, capsys.readouterr().out


def test_transactions_liveness_says_it_assumes_a_crashed_broker_restarts(capsys):
    # Was HOLDS with the assumption only as "Restart" among the fair actions: Kafka
    # restarts nothing, and without a restart the sole replica of __transaction_state
    # stays offline and the transaction open. The statement now says what HOLDS rests on.
    assert "Restart" in FAIR and "Restart" in LOOP_FAIR
    code, out = _check(capsys, "transactions", "--set", "transactional.id=app", "--bound",
                       "instances=1", "--bound", "partitions=1", "--bound", "crashes=1",
                       "--property", "TransactionsComplete")
    assert code == 0 and "TransactionsComplete (eventually): every transaction the " \
        "coordinator knows eventually completes (commit or abort), assuming each crashed " \
        "broker is restarted (Kafka restarts none: its operator does" in out
    _code, out = _check(capsys, "transactions", "--set", "transactional.id=app", "--bound",
                        "instances=1", "--bound", "partitions=1", "--property",
                        "TransactionsComplete")
    assert "assuming each crashed broker" not in out  # no crash, nothing assumed


def test_a_stopped_search_does_not_call_actions_never_enabled(capsys):
    _code, out = _check(capsys, "acks-all-safe", "--max-depth", "2")
    assert "actions never enabled in the states explored (the search stopped early): " in out
    _code, out = _check(capsys, "acks-all-safe", "--bound", "records=1")
    assert "actions never enabled: " in out  # complete: every state was expanded


def test_a_graph_past_the_export_limit_names_exit_code_2_in_its_json(tmp_path, capsys):
    code = main(["check", "acks-all-safe", "--graph", str(tmp_path / "g.dot"), "--json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert code == 2 and data["exit_code"] == 2
    assert "export is limited to 20,000" in data["error"]
    assert "--graph stopped the search at 20,001" in captured.err


def test_a_hypothesis_machine_refuses_a_named_property_it_cannot_check():
    # Was a NotCheckedWarning only: a test naming a liveness property passed unchecked.
    with pytest.raises(UsageError, match="cannot check ProduceRequestsComplete"):
        testing.machine("replication", {"replication.factor": 3, "min.insync.replicas": 2},
                        ["NoAckedWriteLost", "ProduceRequestsComplete"])
    with pytest.warns(NotCheckedWarning, match="not checked: ProduceRequests"):
        machine = testing.machine("replication", {"replication.factor": 3},
                                  ["NoAckedWriteLost", "ProduceRequestsComplete"],
                                  refuse_unchecked=False)
    assert "ProduceRequestsComplete" in " ".join(machine.not_checked)
