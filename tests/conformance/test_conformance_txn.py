"""Transactions on a real Kafka 4.4 cluster: no aborted reads, atomic visibility, the zombie
fenced, as the transactions model predicts.

Scenario (kafkacheck.conformance.txn_scenario, marked ``conformance``; skipped without Java,
Maven's cached Kafka or confluent-kafka): a transactional producer writes 6 transactions of
2 records to each of 2 partitions (RF=3, min.insync.replicas=2), aborting every third; the
broker of its transaction coordinator, placed to lead partition 0 too, is SIGKILLed inside
a transaction (a coordinator failover and a leader failover) and restarted two
transactions later.  A second instance of the same transactional.id, in a child process, opens a
transaction and is SIGSTOPped; a third instance starts (fencing it), commits one
transaction and aborts one; the zombie is resumed and tries to commit.  A read_committed
and a read_uncommitted consumer read both partitions.

The model's verdicts on the same questions (``txn-zombie-read-committed`` with one
application abort: every guarantee holds; ``txn-read-uncommitted``: an aborted read) are the
predictions; the broker kill is outside that run's bounds (the model's exhaustive run with a
crash, ``--bound crashes=1``, takes minutes), so the run with the kill is checked against
guarantees the model states hold under no fault, which a crash must not break either.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
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
    coordinator_partition,
    judge_txn,
    judge_txn_run,
    load_txn_run,
    record_value,
)
from kafkacheck.testing import check, make_model

pytestmark = pytest.mark.conformance

GUARANTEES = ("NoAbortedRead", "AtomicCommit", "CommittedNotLost", "ZombieFenced")


def _clean_run() -> TxnRun:
    """A run as Kafka should behave: broker 1 killed, the zombie paused; a-t0 committed, a-t1
    aborted, z-t0 fenced, b-t0 committed; read_committed saw exactly the committed ones,
    read_uncommitted all."""
    run = TxnRun("t", 2, 1, zombie_error="_FENCED", zombie_fatal=True, killed=1,
                 zombie_paused_s=0.8)
    run.outcomes = [TxnOutcome(MAIN, 0, COMMITTED), TxnOutcome(MAIN, 1, ABORTED),
                    TxnOutcome(ZOMBIE, 0, FENCED, "_FENCED"), TxnOutcome(NEWER, 0, COMMITTED)]
    every = [(MAIN, 0), (MAIN, 1), (ZOMBIE, 0), (NEWER, 0)]
    run.reads = {
        "read_uncommitted": [(p, i, record_value(w, t, p, 0))
                             for i, (w, t) in enumerate(every) for p in (0, 1)],
        "read_committed": [(p, i, record_value(w, t, p, 0))
                           for i, (w, t) in enumerate(every) if (w, t) in
                           ((MAIN, 0), (NEWER, 0)) for p in (0, 1)],
    }
    return run


def test_the_judgement_of_a_run_that_behaves_reports_no_breach():
    verdict = judge_txn(_clean_run())
    assert (verdict["aborted_reads"], verdict["partial"], verdict["committed_missing"],
            verdict["zombie_not_fenced"]) == ([], [], [], [])
    assert verdict["uncommitted_aborted_reads"] == 4  # a-t1 and z-t0, both partitions
    assert verdict["counts"]["read_committed"] == 4


def test_the_judgement_reports_an_aborted_read_and_a_half_visible_transaction():
    run = _clean_run()
    run.reads["read_committed"].append((0, 9, record_value(MAIN, 1, 0, 0)))  # aborted a-t1
    verdict = judge_txn(run)
    assert verdict["aborted_reads"] == ["a-t1-p0-r0"]
    assert verdict["partial"] == ["a-t1: 1 of 2"]


def test_the_judgement_reports_a_committed_transaction_missing_from_one_partition():
    run = _clean_run()
    run.reads["read_committed"] = [r for r in run.reads["read_committed"]
                                   if r[2] != record_value(NEWER, 0, 1, 0)]
    verdict = judge_txn(run)
    assert verdict["committed_missing"] == ["b-t0"]
    assert verdict["partial"] == ["b-t0: 1 of 2"]


def test_the_judgement_reports_a_zombie_whose_commit_succeeded():
    run = _clean_run()
    run.outcomes[2] = TxnOutcome(ZOMBIE, 0, COMMITTED)
    run.zombie_error, run.zombie_fatal = "", False
    assert judge_txn(run)["zombie_not_fenced"] == ["zombie commit: no fencing error reported"]


def test_the_coordinator_partition_follows_javas_string_hash_code():
    # "hello".hashCode() == 99162322; "polygenelubricants".hashCode() == Integer.MIN_VALUE,
    # which Utils.abs maps to 0.
    assert coordinator_partition("hello", 1000) == 322
    assert coordinator_partition("polygenelubricants", 7) == 0
    assert coordinator_partition("a", 50) == 97 % 50


# -- how `conformance run` judges the scenario (no cluster needed) ---------------------------
# Breaches are counted per anomaly kind and judged against the transactions model's
# verdicts; predictions use a small model run (no crash) through the prediction factory.


def _small(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> Any:
    """The planned run without its crash (seconds, not minutes)."""
    return make_model(model, settings, **{**bounds, "crashes": 0})


def _keeps_aborted(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> Any:
    """A broker that keeps aborted records visible to read_committed (a test mutant)."""
    return make_mutant(model, "keeps-aborted-records", settings, **{**bounds, "crashes": 0})


def _judged_run() -> TxnRun:
    """The clean run, its reads made once the last stable offset reached the HW."""
    run = _clean_run()
    run.stable = True
    return run


def test_the_scenario_is_predicted_by_the_transactions_model_alone():
    runs = plan(RUN_CONFIG, RUN_FAULTS)
    assert [(r.model, dict(r.bounds)) for r in runs] == [
        ("transactions", {"aborts": 1, "crashes": 1, "instances": 2, "partitions": 2})]
    assert dict(runs[0].settings)["isolation.level"] == "read_committed"
    assert any("replication.factor=1" in note for note in runs[0].abstractions)


def test_a_run_that_behaves_conforms_and_every_kind_is_impossible():
    judgement = judge_txn_run(_judged_run(), predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == "conforms"
    assert {k.kind: (k.observed, k.predicted) for k in judgement.kinds} == {
        kind: (0, IMPOSSIBLE) for kind in TXN_KINDS}


def test_an_aborted_read_the_model_forbids_fails_the_judged_run():
    run = _judged_run()
    run.reads["read_committed"].append((0, 9, record_value(MAIN, 1, 0, 0)))
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == FAIL
    by = {k.kind: k for k in judgement.kinds}
    assert by["txn:aborted-read"].observed == 1 and by["txn:aborted-read"].verdict == FAIL
    assert by["txn:aborted-read"].examples == [{"what": "a-t1-p0-r0"}]


def test_the_same_read_is_allowed_by_a_model_that_keeps_aborted_records():
    run = _judged_run()
    run.reads["read_committed"].append((0, 9, record_value(MAIN, 1, 0, 0)))
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _keeps_aborted))
    by = {k.kind: k for k in judgement.kinds}
    assert by["txn:aborted-read"].predicted == POSSIBLE
    assert by["txn:aborted-read"].verdict == "allowed"


def test_reads_made_before_the_lso_settled_cannot_support_a_verdict():
    run = _judged_run()
    run.stable = False
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == FAIL and "last stable offset" in judgement.problems[0]


def test_a_run_that_injected_no_fault_committed_nothing_and_read_nothing_does_not_conform():
    # Audit: broker-kill and producer-zombie configured but neither injected (killed -1, no
    # pause), no transaction committed and read_committed empty judged to "conforms"
    run = TxnRun("t", 1, 2, outcomes=[TxnOutcome(ZOMBIE, 0, FENCED, "PRODUCER_FENCED")],
                 zombie_error="PRODUCER_FENCED", zombie_fatal=True,
                 reads={"read_committed": []}, stable=True)
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == FAIL
    assert judgement.problems == [
        "no transaction committed: what read_committed must show was never asked of it",
        "read_committed returned no record: nothing was read to judge",
        "the fault broker-kill was never injected (no kill or kill-broker in the history): "
        "the prediction assumes it",
        "the fault producer-zombie was never injected (no pause-zombie in the history): the "
        "prediction assumes it",
    ]
    # the recorded kill and pause are what shows each fault was injected
    assert _judged_run().nemesis_actions() == {"kill-broker", "pause-zombie"}


def test_a_read_that_timed_out_before_the_partitions_ends_cannot_support_a_verdict():
    # Audit: _read returned what it had when its 30 s deadline passed, with no marker: a
    # partial read_committed read was judged as a whole one
    run = _judged_run()
    run.reads_timed_out = ["read_committed"]
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS, _small))
    assert judgement.verdict == FAIL
    assert judgement.problems == [
        "the read_committed read timed out before the end of every partition: a record it "
        "did not reach cannot be told from a missing one"]


def test_the_transactions_read_says_when_its_deadline_passed_before_the_ends(monkeypatch):
    import confluent_kafka

    from kafkacheck.conformance import txn_scenario

    class Silent:  # a consumer that never reaches a partition's end
        def __init__(self, conf: Mapping[str, Any]) -> None:
            pass

        def assign(self, partitions: list[Any]) -> None:
            pass

        def poll(self, timeout: float) -> None:
            return None

        def close(self) -> None:
            pass

    monkeypatch.setattr(confluent_kafka, "Consumer", Silent)
    cluster = SimpleNamespace(client_config=lambda **extra: dict(extra))
    assert txn_scenario._read(cluster, "t", 2, "read_committed", 0.1) == ([], False)


def test_a_recorded_run_reads_back_as_it_was_written(tmp_path: Path):
    run = _judged_run()
    path = tmp_path / "txn-run.json"
    run.reads_timed_out = ["read_uncommitted"]
    path.write_text(json.dumps(run.to_json()))
    assert load_txn_run(path) == run


def _model_predicts() -> dict[str, object]:
    """The model's verdicts: read_committed with a zombie and an abort, read_uncommitted."""
    committed = check(model="txn-zombie-read-committed", bounds={"aborts": 1},
                      properties=list(GUARANTEES))
    uncommitted = check(model="txn-read-uncommitted")
    return {
        "read_committed": "holds" if committed.complete and not committed.violations
        else "violated",
        "read_committed_states": committed.distinct_states,
        "read_uncommitted_aborted_read": "possible" if any(
            v.property.name == "NoAbortedRead" for v in uncommitted.violations) else "impossible",
    }


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A 3-node Kafka 4.4 cluster (skipped when Java, Maven, the jars or the client are
    missing)."""
    if os.environ.get("KAFKACHECK_SKIP_CONFORMANCE") == "1":
        pytest.skip("KAFKACHECK_SKIP_CONFORMANCE=1")
    pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed")
    from kafkacheck.conformance.cluster import KafkaCluster
    from kafkacheck.conformance.distribution import (
        DistributionError,
        ensure_distribution,
        tools_available,
    )

    if tools_available():
        pytest.skip(f"needs {', '.join(tools_available())} on PATH for a real Kafka cluster")
    try:
        dist = ensure_distribution()
    except DistributionError as exc:
        pytest.skip(f"no cached Kafka and no download (mvn/Maven Central): {exc}")
    with KafkaCluster(dist) as c:
        yield c


def test_read_committed_hides_aborted_and_fenced_transactions_through_a_kill_and_a_zombie(
        cluster, tmp_path: Path) -> None:
    from kafkacheck.conformance.txn_scenario import txn_zombie_broker_kill

    predicted = _model_predicts()
    assert predicted["read_committed"] == "holds"
    assert predicted["read_uncommitted_aborted_read"] == "possible"
    run = txn_zombie_broker_kill(cluster)
    verdict = judge_txn(run)
    observed = tmp_path / "txn-run.json"
    observed.write_text(json.dumps({"run": run.to_json(), "verdict": verdict,
                                    "predicted": predicted}, indent=1), encoding="utf-8")
    print(f"\n[txn-zombie-broker-kill] {verdict['counts']}; read_uncommitted aborted reads "
          f"{verdict['uncommitted_aborted_reads']}; zombie {run.zombie_error}; faults "
          f"{run.faults}; {run.seconds} s; predicted {predicted}; run in {observed}")
    counts = verdict["counts"]
    assert run.killed > 0 and run.stable, run.faults
    assert counts["indefinite"] == 0 and counts["committed"] >= 4 and counts["aborted"] >= 2
    # read_committed: what the model says holds (no aborted read, atomic, committed whole).
    assert verdict["aborted_reads"] == [], verdict
    assert verdict["partial"] == [], verdict
    assert verdict["committed_missing"] == [], verdict
    # The zombie's commit failed with a fencing error and its transaction stayed invisible.
    assert verdict["zombie_not_fenced"] == [], verdict
    assert counts["fenced"] == 1
    # read_uncommitted returns aborted records, as the model's counterexample shows.
    assert verdict["uncommitted_aborted_reads"] > 0
    assert any(v.startswith(f"{ZOMBIE}-") for _, _, v in run.reads["read_uncommitted"])
