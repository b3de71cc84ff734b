"""Audit of what kafkacheck publishes: a conformance verdict never passes on what a run did
not observe (nothing acknowledged, a fault never injected, a group that never polled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kafkacheck.conformance import conform, page
from kafkacheck.conformance.history import Event, HistoryWriter
from kafkacheck.conformance.predict import (
    IMPOSSIBLE,
    KINDS,
    POSSIBLE,
    KindPrediction,
    Prediction,
    RunConfig,
)
from kafkacheck.conformance.result import ScenarioResult
from kafkacheck.conformance.soak import SoakConfig, summarize

K = "t/0"


def _prediction(faults: tuple[str, ...] = (), **possible: bool) -> Prediction:
    """Every kind impossible unless named (``lost_write=True``), for the given faults."""
    kinds = {k: KindPrediction(k, POSSIBLE if possible.get(k.replace("-", "_").replace(
        ":", "_")) else IMPOSSIBLE, ["because"]) for k in KINDS}
    return Prediction(RunConfig(), faults, [], kinds)


def _history(sends: list[tuple[str, int | None, str]], read: list[list[Any]],
             nemesis: tuple[str, ...] = (), group_polls: int = 0) -> list[Event]:
    """Sends (value, offset, type), nemesis actions, group polls, then a complete read."""
    events: list[Event] = []

    def add(process: str, type_: str, f: str, value: Any, **extra: Any) -> None:
        events.append({"process": process, "type": type_, "f": f, "value": value,
                       "time": len(events) + 1, **extra})

    for value, offset, type_ in sends:
        add("producer", "invoke", "send", [[K, None, value]])
        add("producer", type_, "send", [[K, offset, value]])
    for what in nemesis:
        add("nemesis", "invoke", what, 1)
        add("nemesis", "info", what, 1)
    for i in range(group_polls):
        add("consumer-1", "invoke", "poll", None, group="g")
        add("consumer-1", "ok", "poll", {K: [[i, read[i][1]]]}, group="g")
    add("reader", "invoke", "poll", None, complete=True)
    add("reader", "ok", "poll", {K: read}, complete=True, ends={K: len(read)})
    return events


def test_a_run_in_which_no_send_was_acknowledged_does_not_conform() -> None:
    # every send timed out and the final read is empty: "lost: 0 (impossible)" proves nothing
    history = _history([("a", None, "info"), ("b", None, "fail")], [])
    j = conform.judge(history, _prediction())
    assert j.verdict == conform.FAIL
    assert j.problems == ["no send was acknowledged: nothing the cluster promised can be checked"]
    # one acknowledged record read back is a run that can be judged
    assert conform.judge(_history([("a", 0, "ok")], [[0, "a"]]),
                         _prediction()).verdict == conform.CONFORMS


def test_a_final_read_that_left_out_a_written_partition_does_not_conform() -> None:
    # t/1 had an acknowledged send, but the final read covered t/0 only: its loss is unseen
    history = _history([("a", 0, "ok")], [[0, "a"]])
    history[2:2] = [{"process": "producer", "type": "invoke", "f": "send",
                     "value": [["t/1", None, "b"]], "time": 2.5},
                    {"process": "producer", "type": "ok", "f": "send",
                     "value": [["t/1", 0, "b"]], "time": 2.6}]
    j = conform.judge(history, _prediction())
    assert j.verdict == conform.FAIL
    assert j.problems == ["the final read did not cover t/1, where sends were acknowledged: "
                          "their loss could not be seen"]


def test_a_fault_the_prediction_assumes_but_the_history_never_shows_does_not_conform() -> None:
    # the scenario names consumer-crash, but its crash condition never held: no kill-consumer
    history = _history([("a", 0, "ok")], [[0, "a"]])
    j = conform.judge(history, _prediction(("consumer-crash",)))
    assert j.verdict == conform.FAIL
    assert j.problems == ["the fault consumer-crash was never injected (no kill-consumer in the "
                          "history): the prediction assumes it"]
    injected = _history([("a", 0, "ok")], [[0, "a"]], nemesis=("kill-consumer",))
    assert conform.judge(injected, _prediction(("consumer-crash",))).verdict == conform.CONFORMS
    # the scenarios' and the soak's names for a broker kill both count
    for action in ("kill", "kill-broker"):
        ok = _history([("a", 0, "ok")], [[0, "a"]], nemesis=(action,))
        assert conform.judge(ok, _prediction(("broker-kill",))).verdict == conform.CONFORMS


def test_a_focus_kind_whose_group_never_polled_is_not_reported_as_zero_or_conforming() -> None:
    # a consumer-group scenario whose member never polled: the group view did not apply
    history = _history([("a", 0, "ok")], [[0, "a"]], nemesis=("kill-consumer",))
    j = conform.judge(history, _prediction(("consumer-crash",), group_lost_write=True),
                      focus=["group:lost-write"])
    assert j.verdict == conform.FAIL
    assert j.problems == ["never processed was not observed: no consumer group member's poll "
                          "was recorded"]
    # the page judges recorded data again: the same focus check applies there
    recorded = conform.judge(history, _prediction(("consumer-crash",))).to_json()
    assert recorded["verdict"] == conform.CONFORMS
    again = conform.rejudge(recorded, _prediction(("consumer-crash",)), ["group:lost-write"])
    assert again.verdict == conform.FAIL and len(again.problems) == 1
    # and the one-line observation the CLI prints says "n/a", not 0
    result = ScenarioResult("s", "d", ["group:lost-write"], {}, {}, ["consumer-crash"], 1, {},
                            {"send_ok": 1}, j.to_json(), "h", 0.0)
    assert result.observation.startswith("n/a (not observed) never processed (model: possible)")
    # a group that polled is judged as before
    polled = _history([("a", 0, "ok")], [[0, "a"]], nemesis=("kill-consumer",), group_polls=1)
    assert conform.judge(polled, _prediction(("consumer-crash",)),
                         focus=["group:lost-write"]).verdict == conform.CONFORMS


def test_a_focus_kind_the_model_makes_no_prediction_for_is_not_covered_not_conforming() -> None:
    # "model predicts lost: not covered; observed lost: 0" compares nothing
    history = _history([("a", 0, "ok")], [[0, "a"]])
    blind = _prediction()
    blind.kinds["lost-write"] = KindPrediction("lost-write", "not covered", [])
    assert conform.judge(history, blind).verdict == conform.CONFORMS  # not what it set out for
    j = conform.judge(history, blind, focus=["lost-write"])
    assert j.verdict == "not covered"
    assert conform.rejudge(j.to_json(), blind, ["lost-write"]).verdict == "not covered"
    assert conform.judge(history, _prediction(), focus=["lost-write"]).verdict == \
        conform.CONFORMS


def test_a_soak_whose_group_never_polled_prints_no_group_figures_and_does_not_conform(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hist = tmp_path / "history.jsonl"
    with HistoryWriter(hist) as hw:
        hw.note("nemesis", "kill-broker", [1], round=0)
        inv = hw.invoke("producer-1", "send", [[K, None, "v-0"]])
        hw.complete(inv, "ok", [[K, 0, "v-0"]])
        inv = hw.invoke("final-reader", "poll", None, complete=True)
        hw.complete(inv, "ok", {K: [[0, "v-0"]]}, ends={K: 1})
    run = {"soak": SoakConfig(rounds=1).to_json(),
           "config": {"acks": "all", "idempotence": True, "commit": "after"},
           "faults": ["broker-kill"],
           "rounds": [{"round": 0, "faults": [{"kind": "kill-broker", "targets": [1]}],
                       "recovered": True}],
           "history_path": str(hist), "seconds": 1.0}
    result = summarize_without_models(run, monkeypatch)
    assert result["figures"]["group_never_processed"] is None
    assert result["figures"]["group_processed_twice"] is None
    assert result["judgement"]["verdict"] == conform.FAIL
    text = "\n".join(page._soak_section(tmp_path / "soak-acks-all.json", result, {}))
    assert "| never processed by the group | n/a |" in text
    assert "| processed twice by the group | n/a |" in text
    assert "Verdict against the model: **FAIL** (never processed was not observed" in text


def summarize_without_models(run: dict[str, Any],
                             monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """:func:`summarize` and the page with a hand-made prediction (no model runs)."""
    from kafkacheck.conformance import soak

    def fake(config: RunConfig, faults: Any, *args: Any) -> Prediction:
        return _prediction(tuple(sorted(set(faults))), group_duplicate_delivery=True)

    monkeypatch.setattr(soak, "predict", fake)
    monkeypatch.setattr(page, "predict", fake)
    return summarize(run)


# -- the seed claims -----------------------------------------------------------------------


def _claims_with_fake_runs(verdict: str = "holds", never_injected: tuple[str, ...] = ()
                           ) -> list[tuple[str, str, set[tuple[int, str]], set[tuple[int, str]]]]:
    """Each claim decided on fake runs: (id, verdict, (run, property) cited, ... expected)."""
    from kafkacheck import seed_claims as sc

    cited: set[tuple[int, str]] = set()
    expected: set[tuple[int, str]] = set()

    class Recorded(sc.Run):
        def cite(self, prop: str) -> str:
            cited.add((id(self), prop))
            return super().cite(prop)

    def check(model: str, settings: Any, bounds: Any, props: Any,
              kafka_version: str | None = None) -> sc.Run:
        return Recorded(model, dict(settings), dict(bounds), list(props),
                        {p: verdict for p in props}, never_injected=never_injected,
                        kafka_version=kafka_version)

    real = sc.decided

    def decided(v: str, conditions: str, evidence: list[str], expect: Any,
                **options: Any) -> sc.Verdict:
        expected.update((id(run), prop) for run, prop, _ in expect)
        return real(v, conditions, evidence, expect, **options)

    out = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sc, "decided", decided)
        for claim in sc.CLAIMS:
            cited.clear()
            expected.clear()
            v = claim.decide(check)
            out.append((claim.id, v.verdict, set(cited), set(expected)))
    return out


def test_every_verdict_a_claim_cites_is_one_its_decision_depends_on() -> None:
    # a cited run whose verdict could flip while the claim's verdict stands is a stale page
    loose = {cid: sorted(p for _, p in cited - expected)
             for cid, _, cited, expected in _claims_with_fake_runs() if cited - expected}
    assert loose == {}


def test_a_claim_resting_on_a_holds_whose_fault_never_fired_needs_review() -> None:
    from kafkacheck import seed_claims as sc

    run = sc.Run("replication", {"acks": "all"}, {"crashes": 1}, ["NoAckedWriteLost"],
                 {"NoAckedWriteLost": "holds"}, distinct=10, never_injected=("crash",))
    v = sc.decided(sc.CONFIRMED, "why", [run.cite("NoAckedWriteLost")],
                   [(run, "NoAckedWriteLost", "holds")])
    assert v.verdict == sc.NEEDS_REVIEW
    assert "holds only without crash (never injected)" in v.conditions
    fired = sc.Run("replication", {"acks": "all"}, {"crashes": 1}, ["NoAckedWriteLost"],
                   {"NoAckedWriteLost": "holds"}, distinct=10)
    assert sc.decided(sc.CONFIRMED, "why", [], [(fired, "NoAckedWriteLost", "holds")]
                      ).verdict == sc.CONFIRMED
    # every claim that rests on a "holds" is held back when its runs' faults never fired
    def verdict_of(claims: list[Any], cid: str) -> str:
        return next(v for c, v, _, _ in claims if c == cid)

    assert verdict_of(_claims_with_fake_runs(), "no-delete-on-consume") == sc.CONFIRMED
    assert verdict_of(_claims_with_fake_runs(never_injected=("crash",)),
                      "no-delete-on-consume") == sc.NEEDS_REVIEW


# -- the conformance predictions ---------------------------------------------------------


def test_a_model_run_under_a_setting_it_does_not_cover_predicts_nothing_impossible() -> None:
    # The controller model does not cover acks=0 (it runs under acks=all): its "holds" must
    # not make a lost write "impossible" for a cluster that ran with acks=0.
    from kafkacheck.conformance.predict import default_factory, predict

    def small(model: str, settings: Any, bounds: Any) -> Any:
        return default_factory(model, settings, {**bounds, "brokers": 2})

    config = RunConfig(acks="0", min_insync_replicas=1, idempotence=False, producers=False,
                       layout="split")
    prediction = predict(config, ["leader-isolated"], small)
    (run,) = prediction.outcomes
    assert run.run.model == "controller" and run.complete
    assert run.verdicts["NoAckedWriteLost"] == "not covered"
    assert prediction.status("lost-write") == "not covered"
    assert "controller: NoAckedWriteLost not covered" in prediction.kinds["lost-write"].because
    assert IMPOSSIBLE not in {k.status for k in prediction.kinds.values()}
    # the same run with acks=all is covered, and its holds make the loss impossible
    covered = predict(RunConfig(acks="all", producers=False, layout="split"), ["leader-isolated"],
                      small)
    assert covered.status("lost-write") == IMPOSSIBLE


# -- kafkacheck bench ----------------------------------------------------------------------


def test_a_bench_case_that_cannot_run_fails_the_bench(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from kafkacheck import bench

    broken = {"name": "replication-bad-bound", "model": "replication", "settings": {},
              "bounds": {"no_such_bound": 1}, "properties": [], "quick": True}
    monkeypatch.setattr(bench, "CASES", [broken])
    assert bench.run_bench(quick=True) == 1
    out = capsys.readouterr().out
    assert "replication-bad-bound" in out and "FAILED: UsageError" in out


# -- the matrices in reports/README.md -------------------------------------------------------


def test_every_matrix_states_each_rows_settings_and_bounds() -> None:
    # a bound that tells two rows apart (records=1 or 2 among the consumer failure modes)
    # is a column; one every row shares is stated under the intro; none is left out
    from kafkacheck.report import _columns, _common_text
    from kafkacheck.report_matrices import MATRICES

    for matrix in MATRICES:
        setting_cols, bound_cols = _columns(matrix)
        common = _common_text(matrix)
        for row in matrix.rows:
            for key, value in row.settings.items():
                assert key in setting_cols or f"`{key}={value}`" in common, (matrix.id, key)
            for key, value in row.bounds.items():
                assert key in bound_cols or f"`{key}={value}`" in common, (matrix.id, key)
    failure_modes = next(m for m in MATRICES if m.id == "consumer-failure-modes")
    assert {"records", "rejoins"} <= set(_columns(failure_modes)[1])
    assert {"acks", "replication.factor"} <= set(_columns(failure_modes)[0])
    producer = next(m for m in MATRICES if m.id == "producer")
    assert _common_text(producer) == "Every row also runs with `records=2`, `batch_records=1`."


def test_a_protocols_holds_beside_a_fault_that_never_fired_says_so() -> None:
    from kafkacheck.report import CellResult, RowResult
    from kafkacheck.report_protocols import COLUMNS, comparison_rows, result_row

    scenario, protocol, row = comparison_rows()[0]
    cells = {name: CellResult("holds") for name in COLUMNS}
    quiet = RowResult(row, True, "complete", 10, 20, 3, 0.1, cells, ("consumer crash",))
    text = result_row(scenario, protocol, quiet)
    assert text.count("✅ holds (never injected: consumer crash)") == len(COLUMNS)
    fired = RowResult(row, True, "complete", 10, 20, 3, 0.1, cells)
    assert "never injected" not in result_row(scenario, protocol, fired)


def test_a_prediction_from_a_run_whose_fault_never_fired_is_not_impossible() -> None:
    # the controller run stands for leader-isolated; were its isolation never to fire (here
    # a model that names an action it lacks as the injecting one), its holds prove nothing
    from kafkacheck.conformance.predict import default_factory, predict

    def small(model: str, settings: Any, bounds: Any) -> Any:
        return default_factory(model, settings, {**bounds, "brokers": 2})

    def never_isolated(model: str, settings: Any, bounds: Any) -> Any:
        m = small(model, settings, bounds)
        m.fault_actions = {**m.fault_actions, "node isolation": ("NoSuchAction",)}
        return m

    config = RunConfig(acks="all", producers=False, layout="split")
    prediction = predict(config, ["leader-isolated"], never_isolated)
    (run,) = prediction.outcomes
    assert run.never_injected == ("node isolation",)
    assert prediction.status("lost-write") == "not covered"
    assert ("controller: NoAckedWriteLost holds only without node isolation (never injected)"
            in prediction.kinds["lost-write"].because)
    assert predict(config, ["leader-isolated"], small).status("lost-write") == IMPOSSIBLE


def test_a_matrix_cell_names_a_not_covered_verdict_rather_than_calling_it_unknown() -> None:
    # a run complete to the end under a setting the model does not cover is "not covered":
    # the cell must not read "unknown: complete", which suggests only a search cut short
    from kafkacheck.report import CellResult, RowResult, _cell_markdown
    from kafkacheck.report_matrices import REPLICATION

    row = REPLICATION.rows[0]
    cells = {"NoAckedWriteLost": CellResult("not covered")}
    rr = RowResult(row, True, "complete", 12, 30, 4, 0.1, cells)
    assert _cell_markdown(REPLICATION, rr, "NoAckedWriteLost") == "⚠️ not covered (12 states)"
    cut = RowResult(row, False, "max_states", 12, 30, 4, 0.1, {"NoAckedWriteLost":
                                                                CellResult("unknown")})
    assert _cell_markdown(REPLICATION, cut, "NoAckedWriteLost") == \
        "⚠️ unknown: max_states at 12 states"


def test_a_smaller_fault_budget_or_search_is_never_offered_as_the_setting_that_prevents_it(
        ) -> None:
    # "retry_budget=2 instead of 3: the property holds" only says a smaller search missed it
    from kafkacheck.report import CellResult, RowResult, _prevention
    from kafkacheck.report_matrices import PRODUCER, Row

    def result(settings: dict[str, str], bounds: dict[str, Any], verdict: str) -> RowResult:
        return RowResult(Row("producer", settings, bounds), True, "complete", 9, 9, 2, 0.1,
                         {"NoDuplicates": CellResult(verdict)})

    base = {"records": 2, "lost_responses": 1, "retry_budget": 3, "commit": "x"}
    bad = result({"enable.idempotence": "true"}, base, "violated")
    rows = [bad,
            result({"enable.idempotence": "true"}, {**base, "retry_budget": 2}, "holds"),
            result({"enable.idempotence": "true"}, {**base, "lost_responses": 0}, "holds"),
            result({"enable.idempotence": "true"},
                   {k: v for k, v in base.items() if k != "lost_responses"}, "holds"),
            result({"enable.idempotence": "true"}, {**base, "crash_kind": "process"}, "holds"),
            result({"enable.idempotence": "true", "max.in.flight.requests.per.connection": "1"},
                   base, "holds"),
            result({"enable.idempotence": "true"}, {**base, "commit": "y"}, "holds")]
    lines = _prevention(PRODUCER, rows, bad, "NoDuplicates")
    assert [line.split(":")[0] for line in lines] == [
        "- `max.in.flight.requests.per.connection=1` instead of `(default)`",
        "- `commit=y` instead of `x`"]


def test_regenerating_a_section_removes_its_counterexample_pages_that_nothing_reports(tmp_path):
    # A page left behind when a cell turns green (or its row goes) shows a violation that no
    # table reports; another section's pages, even one whose id starts the same, stay.
    from kafkacheck.cli import main

    reports = Path(__file__).resolve().parent.parent / "reports"
    for name in ("README.md", "results.json"):
        (tmp_path / name).write_text((reports / name).read_text(encoding="utf-8"),
                                     encoding="utf-8")
    pages = tmp_path / "counterexamples"
    pages.mkdir()
    for name in ("sink-gone-SinkNoLoss.md", "source-x-SourceAtLeastOnce.md"):
        (pages / name).write_text("old", encoding="utf-8")
    assert main(["report", "--only", "sink", "--out", str(tmp_path)]) == 0
    names = {p.name for p in pages.iterdir()}
    assert "sink-gone-SinkNoLoss.md" not in names and "source-x-SourceAtLeastOnce.md" in names
    assert "sink-records-2_write-append_crashes-1-SinkNoDuplicates.md" in names


def test_a_section_never_claims_the_pages_of_a_longer_section_id(tmp_path):
    from kafkacheck.report import _pages_of

    pages = tmp_path / "counterexamples"
    pages.mkdir()
    for name in ("producer-a-NoDuplicates.md", "producer-sessions-b-NoDuplicates.md"):
        (pages / name).write_text("x", encoding="utf-8")
    assert {p.name for p in _pages_of(tmp_path, "producer")} == {"producer-a-NoDuplicates.md"}


def test_a_scenario_whose_set_up_never_happened_does_not_conform() -> None:
    # The epoch-bump scenario needs the leader to reject r0 and append r1 first; after three
    # attempts without that, its run showed nothing of the bump and still "conformed".
    ok = _history([("a", 0, "ok")], [[0, "a"]])
    why = "the set-up did not happen"
    j = conform.judge(ok, _prediction(), scenario_problems=[why])
    assert j.verdict == conform.FAIL and j.problems == [why]
    assert conform.judge(ok, _prediction()).verdict == conform.CONFORMS


def test_a_soak_that_stopped_at_a_round_that_never_recovered_names_it_as_a_problem() -> None:
    from kafkacheck.conformance.soak import stopped_early

    run = {"soak": SoakConfig(rounds=50).to_json(),
           "rounds": [{"round": 0, "recovered": True},
                      {"round": 1, "recovered": False, "error": "ISR not full in 120 s"}]}
    assert stopped_early(run) == ["round 2 did not recover (ISR not full in 120 s): the soak "
                                  "stopped after 2 of 50 rounds"]
    run["rounds"][1]["recovered"] = True
    assert stopped_early(run) == []
