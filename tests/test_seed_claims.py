"""The seed claims' verdicts say what their runs covered.

Two wrong greens of the audit: the replication claim dated leader-epoch truncation's
safety to Kafka 2.0 although 2.0.0 loses an acknowledged write (KAFKA-7415, fixed in
2.0.1), and the fetcher claim was "confirmed under conditions" from a run that explored
no power loss (the command line warns beside it) while naming unclean election as the
only exception.  A claim now cites each version it dates, and a confirmed claim rests on
a "holds" without power loss only when its conditions name process crashes or the power
failure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kafkacheck import seed_claims as sc
from kafkacheck.report import claim_run, run_row
from kafkacheck.report_matrices import Row

WARNING = ("WARNING: power loss was NOT explored: this verdict covers process crashes only "
           "(the page cache survives).")


def _claim(cid: str) -> sc.Claim:
    return next(c for c in sc.CLAIMS if c.id == cid)


def _faked(verdicts: Mapping[tuple[str, str | None, str], str] | None = None,
           default: Any = None) -> tuple[list[sc.Run], Any]:
    """A checker answering from a table (model, kafka_version, crash_kind) -> verdict (else
    ``default(model, settings, bounds)``), and the runs it made."""
    runs: list[sc.Run] = []

    def check(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any],
              properties: Sequence[str], kafka_version: str | None = None) -> sc.Run:
        key = (model, kafka_version, str(bounds.get("crash_kind")))
        verdict = (verdicts or {}).get(key) or default(model, settings, bounds)
        process_only = bounds.get("crash_kind") == "process" or model == "group"
        run = sc.Run(model, dict(settings), dict(bounds), list(properties),
                     {p: verdict for p in properties},
                     {p: 5 for p in properties if verdict == "violated"}, distinct=10,
                     kafka_version=kafka_version,
                     power_loss_warning=WARNING if process_only else None,
                     process_crashes=process_only)
        runs.append(run)
        return run

    return runs, check


def _as_expected(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> str:
    """The replication and fetcher claims' runs as the model decides them."""
    if settings.get("unclean.leader.election.enable") == "true" or settings.get("acks") == "1":
        return "violated"
    if bounds.get("crash_kind") == "power-loss":
        return "violated"
    return "holds"


# -- the replication claim dates leader-epoch truncation's safety to 2.0.1 -----------------

def test_the_replication_claim_dates_leader_epoch_safety_to_2_0_1_with_both_runs():
    runs, check = _faked({("replication", "2.0", "process"): "violated"}, _as_expected)
    verdict = _claim("replication").decide(check)
    assert verdict.verdict == sc.CONDITIONAL
    assert "(Kafka >= 2.0)" not in verdict.conditions
    assert ("leader-epoch truncation as fixed in Kafka 2.0.1 (0.11 to 2.0.0 lose an "
            "acknowledged write after two leader changes and a crash, KAFKA-7415)"
            in verdict.conditions)
    versioned = {r.kafka_version: r for r in runs if r.kafka_version}
    assert set(versioned) == {"2.0", "2.0.1"}
    for run in versioned.values():
        assert run.model == "replication"
        assert dict(run.settings) == sc.SAFE
        assert dict(run.bounds) == {"crashes": 1, "records": 2, "crash_kind": "process",
                                    "leader_changes": 2}
    assert versioned["2.0"].command() == (
        "kafkacheck check replication --kafka-version 2.0 --set acks=all "
        "--set min.insync.replicas=2 --set replication.factor=3 --bound crashes=1 "
        "--bound records=2 --bound crash_kind=process --bound leader_changes=2 "
        "--property NoAckedWriteLost")
    assert versioned["2.0"].cite("NoAckedWriteLost") in verdict.evidence
    assert versioned["2.0"].cite("NoAckedWriteLost").startswith(
        "Kafka 2.0, `acks=all`, `min.insync.replicas=2`, `replication.factor=3` (crashes=1, "
        "records=2, crash_kind=process, leader_changes=2): **NoAckedWriteLost violated**")
    assert versioned["2.0.1"].cite("NoAckedWriteLost") in verdict.evidence


@pytest.mark.parametrize("flipped, verdict", [
    (("replication", "2.0", "process"), "holds"),
    (("replication", "2.0.1", "process"), "violated"),
])
def test_the_replication_claim_needs_review_when_a_version_run_flips(flipped, verdict):
    table = {("replication", "2.0", "process"): "violated", flipped: verdict}
    _, check = _faked(table, _as_expected)
    decided = _claim("replication").decide(check)
    assert decided.verdict == sc.NEEDS_REVIEW
    assert f"--kafka-version {flipped[1]} " in decided.conditions


def test_kafka_2_0_loses_an_acknowledged_write_that_the_claim_cites():
    # the run behind "0.11 to 2.0.0 lose an acknowledged write", and the why text printed
    # under it no longer says leader-epoch truncation alone prevents the loss
    row = Row("replication", sc.SAFE, {"crashes": 1, "records": 2, "crash_kind": "process",
                                       "leader_changes": 2}, "2.0")
    rr = run_row((row, ("NoAckedWriteLost",), 3_000_000))
    cell = rr.cells["NoAckedWriteLost"]
    assert (cell.verdict, cell.steps) == ("violated", 10)  # 11 before lost fetch responses
    assert ("leader-epoch truncation as fixed in Kafka 2.0.1 (KAFKA-7415: 0.11 to 2.0.0 still "
            "lose it after leader changes) prevent it for process crashes" in cell.explanation)
    assert "and leader-epoch truncation prevent it" not in cell.explanation
    run = claim_run(rr, ("NoAckedWriteLost",))
    assert run.kafka_version == "2.0" and run.verdicts == {"NoAckedWriteLost": "violated"}


@pytest.mark.thorough
def test_kafka_2_0_1_keeps_the_write_under_the_same_faults():
    # 868k states: the regeneration of seed-claims.md decides it too (needs review if not)
    row = Row("replication", sc.SAFE, {"crashes": 1, "records": 2, "crash_kind": "process",
                                       "leader_changes": 2}, "2.0.1")
    rr = run_row((row, ("NoAckedWriteLost",), 3_000_000))
    assert rr.complete and rr.cells["NoAckedWriteLost"].verdict == "holds"


# -- a "holds" without power loss ----------------------------------------------------------

def _run(warning: str | None, process: bool = True) -> sc.Run:
    return sc.Run("group", {"acks": "all"}, {"log": "replicated"}, ["ReadRecordsStay"],
                  {"ReadRecordsStay": "holds"}, distinct=20_976,
                  power_loss_warning=warning, process_crashes=process)


def test_a_holds_without_power_loss_is_cited_with_what_it_left_out():
    assert _run(WARNING).cite("ReadRecordsStay") == (
        "`acks=all` (log=replicated): **ReadRecordsStay holds** (20,976 states explored to "
        "the end; process crashes only: power loss NOT explored)")
    assert _run(WARNING, process=False).cite("ReadRecordsStay") == (
        "`acks=all` (log=replicated): **ReadRecordsStay holds** (20,976 states explored to "
        "the end; no broker crash: power loss NOT explored)")
    assert _run(None).cite("ReadRecordsStay") == (
        "`acks=all` (log=replicated): **ReadRecordsStay holds** (20,976 states explored to "
        "the end)")


@pytest.mark.parametrize("verdict", [sc.CONFIRMED, sc.CONDITIONAL])
def test_a_confirmed_claim_needs_review_on_a_holds_without_power_loss_it_does_not_name(
        verdict):
    run = _run(WARNING)
    silent = sc.decided(verdict, "what consumers read stays", [],
                        [(run, "ReadRecordsStay", "holds")])
    assert silent.verdict == sc.NEEDS_REVIEW
    assert silent.conditions == (
        "The runs no longer support the reasoning: ReadRecordsStay holds without power loss "
        "(not explored) in `kafkacheck check group --set acks=all --bound log=replicated "
        "--property ReadRecordsStay`, and no run of the claim explores power loss and it is "
        "not limited to process crashes")
    # Words are not enough: conditions that mention a power failure, even to claim safety
    # under it, do not make a process-crash run evidence; saying the claim is about
    # process crashes only, or a run that explores power loss, does.
    for conditions in ("holds under every broker failure, a power failure included",
                       "with broker process crashes only"):
        assert sc.decided(verdict, conditions, [], [(run, "ReadRecordsStay", "holds")]
                          ).verdict == sc.NEEDS_REVIEW
    assert sc.decided(verdict, "with broker process crashes only", [],
                      [(run, "ReadRecordsStay", "holds")],
                      process_crashes_only=True).verdict == verdict
    assert sc.decided(verdict, "a power failure loses it", [],
                      [(run, "ReadRecordsStay", "holds"),
                       (_run(None), "ReadRecordsStay", "holds")]).verdict == verdict
    # a run that explored power loss needs no such words; nor does a refuted claim
    assert sc.decided(verdict, "what consumers read stays", [],
                      [(_run(None), "ReadRecordsStay", "holds")]).verdict == verdict
    assert sc.decided(sc.REFUTED, "no", [], [(run, "ReadRecordsStay", "holds")]
                      ).verdict == sc.REFUTED


def test_the_fetcher_claim_states_the_power_loss_exception_backed_by_a_run():
    runs, check = _faked(default=_as_expected)
    verdict = _claim("fetcher").decide(check)
    assert verdict.verdict == sc.CONDITIONAL
    assert ("a record a consumer already read can still vanish from the log with unclean "
            "leader election, or in a power failure of the replicas that had it"
            in verdict.conditions)
    [power] = [r for r in runs if r.model == "replication"]
    assert (dict(power.settings), dict(power.bounds), list(power.properties)) == (
        {"acks": "all", "replication.factor": "2"}, {"crashes": 1, "crash_kind": "power-loss"},
        ["CommittedRecordsStay"])
    assert power.cite("CommittedRecordsStay") in verdict.evidence
    # the group run's holds is cited with its warning
    assert any("**ReadRecordsStay holds** (10 states explored to the end; process crashes "
               "only: power loss NOT explored)" in line for line in verdict.evidence)
    # were the power-loss run to hold, the exception would be unfounded
    _, holding = _faked({("replication", None, "power-loss"): "holds"}, _as_expected)
    assert _claim("fetcher").decide(holding).verdict == sc.NEEDS_REVIEW


def test_the_fetcher_claims_power_loss_run_loses_a_record_below_the_high_watermark():
    row = Row("replication", {"acks": "all", "replication.factor": "2"},
              {"crashes": 1, "crash_kind": "power-loss"})
    rr = run_row((row, ("CommittedRecordsStay",), 3_000_000))
    cell = rr.cells["CommittedRecordsStay"]
    assert (cell.verdict, cell.steps) == ("violated", 6)
    steps = [line.split(". ", 1)[1] for line in cell.trace_text.splitlines()
             if re.match(r"\s*[1-9][0-9]*\. ", line)]
    assert [s.split("(")[0] for s in steps] == [
        "Produce", "ShrinkIsr", "PowerLoss", "Fence", "Restart", "LastLeaderElect"]
    assert "UncleanElect" not in cell.trace_text
