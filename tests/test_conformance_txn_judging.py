"""How `kafkacheck conformance run` judges the transactions scenario (no cluster needed).

The run records each transaction's outcome and what each consumer read; its breaches are
counted per anomaly kind and judged against the transactions model's verdicts, as every
other scenario's anomalies are judged against theirs.  Predictions here use a small model
run (no crash) through the prediction factory, so the judging is what is tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutants import make_mutant

from kafkacheck.conformance.conform import FAIL
from kafkacheck.conformance.predict import IMPOSSIBLE, POSSIBLE, plan, predict
from kafkacheck.conformance.txn_scenario import (
    ABORTED,
    COMMITTED,
    FENCED,
    MAIN,
    NEWER,
    RUN_CONFIG,
    RUN_FAULTS,
    TXN_KINDS,
    ZOMBIE,
    TxnOutcome,
    TxnRun,
    judge_txn_run,
    load_txn_run,
    record_value,
)
from kafkacheck.testing import make_model


def _small(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> Any:
    """The planned run without its crash (seconds, not minutes)."""
    return make_model(model, settings, **{**bounds, "crashes": 0})


def _keeps_aborted(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> Any:
    """A broker that keeps aborted records visible to read_committed (a test mutant)."""
    return make_mutant(model, "keeps-aborted-records", settings, **{**bounds, "crashes": 0})


def _run() -> TxnRun:
    """a-t0 committed, a-t1 aborted, z-t0 fenced, b-t0 committed; reads as Kafka gives."""
    run = TxnRun("t", 2, 1, zombie_error="_FENCED", zombie_fatal=True, stable=True)
    run.outcomes = [TxnOutcome(MAIN, 0, COMMITTED), TxnOutcome(MAIN, 1, ABORTED),
                    TxnOutcome(ZOMBIE, 0, FENCED, "_FENCED"), TxnOutcome(NEWER, 0, COMMITTED)]
    every = [(MAIN, 0), (MAIN, 1), (ZOMBIE, 0), (NEWER, 0)]
    run.reads = {
        "read_uncommitted": [(p, i, record_value(w, t, p, 0))
                             for i, (w, t) in enumerate(every) for p in (0, 1)],
        "read_committed": [(p, i, record_value(w, t, p, 0)) for i, (w, t) in enumerate(every)
                           if (w, t) in ((MAIN, 0), (NEWER, 0)) for p in (0, 1)],
    }
    return run


def test_the_scenario_is_predicted_by_the_transactions_model_alone():
    runs = plan(RUN_CONFIG, RUN_FAULTS)
    assert [(r.model, dict(r.bounds)) for r in runs] == [
        ("transactions", {"aborts": 1, "crashes": 1, "instances": 2, "partitions": 2})]
    assert dict(runs[0].settings)["isolation.level"] == "read_committed"
    assert any("replication.factor=1" in note for note in runs[0].abstractions)


def test_a_run_that_behaves_conforms_and_every_kind_is_impossible():
    judgement = judge_txn_run(_run(), predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == "conforms"
    assert {k.kind: (k.observed, k.predicted) for k in judgement.kinds} == {
        kind: (0, IMPOSSIBLE) for kind in TXN_KINDS}


def test_an_aborted_read_the_model_forbids_fails_the_run():
    run = _run()
    run.reads["read_committed"].append((0, 9, record_value(MAIN, 1, 0, 0)))
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == FAIL
    by = {k.kind: k for k in judgement.kinds}
    assert by["txn:aborted-read"].observed == 1 and by["txn:aborted-read"].verdict == FAIL
    assert by["txn:aborted-read"].examples == [{"what": "a-t1-p0-r0"}]


def test_the_same_read_is_allowed_by_a_model_that_keeps_aborted_records():
    run = _run()
    run.reads["read_committed"].append((0, 9, record_value(MAIN, 1, 0, 0)))
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _keeps_aborted))
    by = {k.kind: k for k in judgement.kinds}
    assert by["txn:aborted-read"].predicted == POSSIBLE
    assert by["txn:aborted-read"].verdict == "allowed"


def test_reads_made_before_the_lso_settled_cannot_support_a_verdict():
    run = _run()
    run.stable = False
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == FAIL and "last stable offset" in judgement.problems[0]


def test_a_recorded_run_reads_back_as_it_was_written(tmp_path: Path):
    import json

    run = _run()
    path = tmp_path / "txn-run.json"
    path.write_text(json.dumps(run.to_json()))
    assert load_txn_run(path) == run
