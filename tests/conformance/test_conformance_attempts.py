"""Retried scenarios: an attempt that shows something against the model is the result, and
every attempt's judgement stays in the details (no cluster: the attempts are stubbed)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kafkacheck.conformance import partition_scenarios as ps
from kafkacheck.conformance import scenarios as sc
from kafkacheck.conformance.result import ScenarioResult

K = "t/0"
CLUSTER = SimpleNamespace(feature_levels={"eligible.leader.replicas.version": 1},
                          layout="combined")
NOT_KILLED = ("the fault consumer-crash was never injected (no kill-consumer in the history): "
              "the prediction assumes it")


def _history(path: Path, lose_in_log: bool, group_skips: bool, killed: bool = True) -> Path:
    """A consumer-crash history: 4 records acknowledged, member 1 processes r-0 and is killed,
    member 2 processes the rest (or skips r-1), then the final read (with or without r-1)."""
    events: list[dict[str, Any]] = []

    def add(process: str, type_: str, f: str, value: Any, **extra: Any) -> None:
        t = len(events) + 1
        events.append({"process": process, "type": type_, "f": f, "value": value, "time": t,
                       "op": t if type_ == "invoke" else t - 1, **extra})

    for i in range(4):
        add("producer", "invoke", "send", [[K, None, f"r-{i}"]])
        add("producer", "ok", "send", [[K, i, f"r-{i}"]])
    add("consumer-1", "invoke", "poll", None, group="g")
    add("consumer-1", "ok", "poll", {K: [[0, "r-0"]]}, group="g")
    if killed:
        add("nemesis", "invoke", "kill-consumer", "consumer-1")
        add("nemesis", "info", "kill-consumer", "consumer-1")
    got = [[2, "r-2"], [3, "r-3"]] if group_skips else [[1, "r-1"], [2, "r-2"], [3, "r-3"]]
    add("consumer-2", "invoke", "poll", None, group="g")
    add("consumer-2", "ok", "poll", {K: got}, group="g")
    log = [[0, "r-0"], [2, "r-2"], [3, "r-3"]] if lose_in_log else [
        [0, "r-0"], [1, "r-1"], [2, "r-2"], [3, "r-3"]]
    add("audit", "invoke", "poll", None, complete=True)
    add("audit", "ok", "poll", {K: log}, complete=True, ends={K: 4})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def _consumer_scenario(tmp_path: Path, attempts: list[dict[str, bool]]) -> tuple[
        ScenarioResult, list[Path]]:
    """commit-before-processing-crash with stubbed attempts (each: the _history flags)."""
    calls: list[Path] = []

    def run(wd: Path) -> dict[str, Any]:
        calls.append(wd)
        h = _history(wd / "history.jsonl", **attempts[len(calls) - 1])
        return {"history": h, "consumer_settings": {}, "crash": {}, "topic": "t",
                "group": "g", "records_in_log": 4}

    result = sc._consumer_result(CLUSTER, "commit-before-processing-crash", "d",
                                 "group:lost-write", "before", "f", run, tmp_path, 4,
                                 len(attempts))
    return result, calls


def test_a_consumer_crash_attempt_that_lost_an_acked_write_is_the_result(tmp_path: Path) -> None:
    # Audit: attempt 1 lost an acks=all record from the log (impossible) without showing the
    # focus; attempt 2 was clean and showed it, and the scenario "conformed" on attempt 2
    result, calls = _consumer_scenario(tmp_path, [
        {"lose_in_log": True, "group_skips": False}, {"lose_in_log": False, "group_skips": True}])
    assert len(calls) == 1 and result.rounds == 1
    assert result.verdict == "FAIL"
    assert (result.kind("lost-write")["observed"], result.kind("lost-write")["verdict"]) == (
        1, "FAIL")
    assert [(a["attempt"], a["verdict"]) for a in result.details["attempts"]] == [(1, "FAIL")]
    assert result.details["attempts"][0]["history_path"] == str(
        tmp_path / "attempt-1" / "history.jsonl")


def test_an_attempt_whose_kill_never_happened_is_retried_and_kept_in_the_details(
        tmp_path: Path) -> None:
    result, calls = _consumer_scenario(tmp_path, [
        {"lose_in_log": False, "group_skips": False, "killed": False},
        {"lose_in_log": False, "group_skips": True}])
    assert len(calls) == 2 and result.rounds == 2
    assert result.verdict == "conforms" and result.observed("group:lost-write") == 1
    first, second = result.details["attempts"]
    assert (first["attempt"], first["verdict"], first["problems"]) == (1, "FAIL", [NOT_KILLED])
    assert (second["attempt"], second["verdict"], second["problems"]) == (2, "conforms", [])
    assert "prediction" not in first  # the same for every attempt: the result's judgement has it


def test_a_clean_attempt_without_the_focus_is_retried(tmp_path: Path) -> None:
    result, calls = _consumer_scenario(tmp_path, [
        {"lose_in_log": False, "group_skips": False}, {"lose_in_log": False, "group_skips": True}])
    assert len(calls) == 2
    assert [(a["attempt"], a["verdict"]) for a in result.details["attempts"]] == [
        (1, "conforms"), (2, "conforms")]
    assert result.observed("group:lost-write") == 1


def _epoch_result(set_up: bool, problems: list[str], lost: int) -> ScenarioResult:
    """An epoch-bump attempt as epoch_bump packages it (its judgement written out)."""
    verdict = "FAIL" if problems or lost else "conforms"
    kinds = [{"kind": "lost-write", "label": "lost", "observed": lost, "predicted": "impossible",
              "verdict": "FAIL" if lost else "absent", "because": [], "excerpt": [],
              "examples": []},
             {"kind": "duplicate", "label": "duplicated", "observed": 1,
              "predicted": "possible", "verdict": "allowed", "because": [], "excerpt": [],
              "examples": []}]
    return ScenarioResult("idempotent-epoch-bump-java", "d", ["duplicate", "reordered"], {}, {},
                          list(ps.EPOCH_BUMP_FAULTS), 1, {}, {},
                          {"verdict": verdict, "problems": problems, "kinds": kinds,
                           "prediction": {}},
                          "h.jsonl", 1.0, {"set_up": set_up})


@pytest.mark.parametrize(
    ("attempts", "calls", "verdicts"),
    [
        # the set-up missed and an acks=all write was lost: that FAIL is the result
        ([(False, [ps.SET_UP_MISSED], 3), (True, [], 0)], 1, ["FAIL"]),
        # the missed set-up is the only problem: another attempt, both kept
        ([(False, [ps.SET_UP_MISSED], 0), (True, [], 0)], 2, ["FAIL", "conforms"]),
        # the set-up missed and another problem (a final read that timed out): the result
        ([(False, [ps.SET_UP_MISSED, "the final read timed out before the end of ['t/0']"],
           0), (True, [], 0)], 1, ["FAIL"]),
    ],
)
def test_an_epoch_bump_attempt_is_retried_only_for_a_missed_set_up(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        attempts: list[tuple[bool, list[str], int]], calls: int, verdicts: list[str]) -> None:
    made: list[Path] = []

    def fake(cluster: Any, workdir: Path, client: str = "java") -> ScenarioResult:
        made.append(workdir)
        return _epoch_result(*attempts[len(made) - 1])

    monkeypatch.setattr(ps, "epoch_bump", fake)
    result = ps.epoch_bump_set_up(None, tmp_path, "java")  # type: ignore[arg-type]
    assert len(made) == calls and result.rounds == calls
    assert result.verdict == verdicts[-1]
    assert [a["verdict"] for a in result.details["attempts"]] == verdicts


def test_the_page_lists_every_recorded_attempt_with_its_verdict() -> None:
    from kafkacheck.conformance.page import _details_text

    details = {"attempts": [
        {"attempt": 1, "verdict": "FAIL", "problems": [NOT_KILLED]},
        {"attempt": 2, "verdict": "conforms", "problems": []}]}
    assert _details_text({"details": details}) == (
        " attempts (as recorded): 1 FAIL (" + NOT_KILLED[:160] + "), 2 conforms.")
