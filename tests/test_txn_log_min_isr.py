"""__transaction_state's min.insync.replicas is transaction.state.log.min.isr (2 by
default, TransactionLogConfig); this model gives the log the data topic's
min.insync.replicas. A run whose log would be stricter than Kafka's refuses writes Kafka
takes and could hide their loss: NOT COVERED. Equal values are covered."""

from __future__ import annotations

from kafkacheck.explorer.result import INCOMPLETE
from kafkacheck.testing import check

TXN = {"transactional.id": "t", "replication.factor": "3"}


def _run(extra: dict[str, str], model: str = "transactions"):
    settings = {**TXN, **extra} if model == "transactions" else {
        "processing.guarantee": "exactly_once_v2", "replication.factor": "3", **extra}
    return check(settings, model=model, max_states=2_000)


def test_a_log_stricter_than_kafkas_default_is_not_covered():
    run = _run({"min.insync.replicas": "3"})
    assert run.result == INCOMPLETE
    assert run.uncovered_settings == {"transaction.state.log.min.isr": 2}


def test_the_log_setting_given_alike_is_covered_and_otherwise_not():
    assert not _run({"min.insync.replicas": "2",
                     "transaction.state.log.min.isr": "2"}).uncovered_settings
    assert not _run({"min.insync.replicas": "3",
                     "transaction.state.log.min.isr": "3"}).uncovered_settings
    assert _run({"min.insync.replicas": "2", "transaction.state.log.min.isr": "1"}
                ).uncovered_settings == {"transaction.state.log.min.isr": 1}


def test_a_log_weaker_than_kafkas_runs_and_says_so():
    run = _run({"min.insync.replicas": "1"})
    assert not run.uncovered_settings
    assert any("below Kafka's transaction.state.log.min.isr=2" in n for n in run.model.notes())


def test_streams_exactly_once_reads_the_log_setting_the_same_way():
    assert _run({"min.insync.replicas": "3"}, "streams").uncovered_settings == {
        "transaction.state.log.min.isr": 2}
    assert not _run({"min.insync.replicas": "2"}, "streams").uncovered_settings
