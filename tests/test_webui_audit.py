"""The web UI audit (s20): what the page says around a verdict is what `check` says.

"Search from here" names the faults that fired as `check` does; each answer carries an
explicit verdict the page colours by (green only for holds); the page and the search carry
the Kafka release and `check`'s WARNING and not-modelled lines; a loaded counterexample is
re-checked as `kafkacheck replay` re-checks it; bad API input is a one-line JSON error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from webui_harness import check_json, explorer_for, serving

from kafkacheck.cli import build_parser, main, resolve
from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import power_loss_warning, text_report
from kafkacheck.explorer.result import CheckResult
from kafkacheck.webui.search import StartingAt, search_from
from kafkacheck.webui.server import STATIC
from kafkacheck.webui.session import Limits
from kafkacheck.webui.traces import counterexamples

# One consumer never revokes a partition: a rebalance timeout is offered, never fired.
LONE_REVOKER = ("group-consumer", "--bound", "rebalance_timeouts=1", "--bound", "records=1",
                "--bound", "consumers=1", "--set", "auto.offset.reset=earliest")
LOST_ALTER = ("replication", "--bound", "isr_updates=in-flight",
              "--bound", "lost_alter_responses=1")
PROCESS_CRASHES = ("replication", "--set", "replication.factor=3", "--set", "acks=all",
                   "--set", "min.insync.replicas=2", "--bound", "crash_kind=process")
# A path of PROCESS_CRASHES to a state where no action is enabled (the audit's).
TO_A_FINAL_STATE = [["Produce", "r1"], ["Produce", "r2"], ["Crash", "B1"], ["Fence", "B1"],
                    ["BecomeFollower", "B3", "truncate to 0"], ["Fetch", "B3"],
                    ["Restart", "B1"], ["BecomeFollower", "B1", "truncate to 0"],
                    ["Fetch", "B1"], ["ExpandIsr", "B1"]]
LASSO = ("group", "--set", "auto.offset.reset=earliest", "--set", "enable.auto.commit=false",
         "--bound", "consumers=1", "--bound", "records=2",
         "--bound", "commit=sync-after-processing", "--bound", "closes=1",
         "--bound", "rejoins=1")


def _checked(*argv: str) -> CheckResult:
    """What `kafkacheck check ARGV` runs, as a result."""
    model, _config, props = resolve(build_parser().parse_args(["check", *argv]))
    return breadth_first(model, props)


def _search(name: str, *extra: str, prop: str, path: list | None = None) -> dict[str, Any]:
    explorer = explorer_for(name, *extra)
    state = explorer.path_trace(0, path or []).steps[-1].state
    return search_from(explorer.model, state, prop, Limits(max_states=100_000))


# -- 1. search from here names the faults that fired, as check does ----------------------


@pytest.mark.parametrize("argv,prop,never", [
    # (AtMostOnce: with one consumer the ownership properties are not checked, s22)
    (LONE_REVOKER, "AtMostOnce", "slow revocation (rebalance timeout)"),
    (LOST_ALTER, "LeaderInIsr", "lost AlterPartition response"),
])
def test_search_from_the_start_names_a_model_specific_fault_that_never_fired_as_check_does(
        argv: tuple[str, ...], prop: str, never: str) -> None:
    # Their injecting actions (RebalanceTimeout, AlterPartitionResponseLost) are the model's own,
    # not in INJECTED_BY: the wrapper lost them and listed the fault as explored.
    checked = _checked(*argv, "--property", prop)
    assert checked.result == "holds"
    assert never in checked.fault_model.never_injected
    out = _search(*argv, prop=prop)
    assert out["verdict"] == "holds"
    assert f"; {checked.fault_model.text()}; " in out["text"]
    assert f"{never} x1" not in out["text"]


def test_the_search_wrapper_carries_the_models_bounds_and_fault_actions() -> None:
    model = explorer_for(*LONE_REVOKER).model
    start = StartingAt(model, next(iter(model.init_states())))
    assert start.injecting_actions() == model.injecting_actions()
    assert start.injecting_actions()["slow revocation (rebalance timeout)"] == (
        "RebalanceTimeout",)
    assert (start.bounds, start.bound, start.faults_not_modelled) == (
        model.bounds, model.bound, model.faults_not_modelled)


def test_search_from_a_state_with_no_successor_injects_no_fault() -> None:
    explorer = explorer_for(*PROCESS_CRASHES)
    state = explorer.path_trace(0, TO_A_FINAL_STATE).steps[-1].state
    assert list(explorer.model.successors(state)) == []
    out = search_from(explorer.model, state, "NoAckedWriteLost", Limits())
    assert (out["verdict"], out["distinct_states"]) == ("holds", 1)
    assert ("faults: none; offered but never injected (its actions never fired): broker "
            "process crash (the page cache survives); not explored: broker power loss") \
        in out["text"]
    assert "x1" not in out["text"]


def test_a_run_in_which_no_action_fired_names_every_offered_fault_never_injected() -> None:
    # CheckResult.fault_model returned the configuration's faults unfiltered when the
    # coverage was empty; `check` then said HOLDS with a crash explored that never happened.
    explorer = explorer_for(*PROCESS_CRASHES)
    final = explorer.path_trace(0, TO_A_FINAL_STATE).steps[-1].state
    result = breadth_first(StartingAt(explorer.model, final), ["NoAckedWriteLost"])
    assert not result.coverage
    assert result.fault_model.explored == ()
    assert result.fault_model.never_injected == ("broker process crash (the page cache "
                                                 "survives)",)
    report = text_report(result).splitlines()
    assert report[-3].startswith("HOLDS within the bounds, with no fault injected (1 distinct")
    assert report[-2].startswith("faults: none; offered but never injected (its actions never "
                                 "fired): broker process crash (the page cache survives)")


# -- 2. an explicit verdict, and the page colours by it -------------------------------------


@pytest.mark.parametrize("argv,prop,verdict,text", [
    (("acks1-loss",), "NoAckedWriteLost", "violated", "NoAckedWriteLost is violated 3 steps"),
    (("acks1-loss",), "SomeRecordCommitted", "holds", "SomeRecordCommitted is reached 3 steps"),
    (("acks-all-safe",), "NoAckedWriteLost", "holds", "no path from here violates"),
    (("replication",), "LeaderFailsOver", "never reached",
     "no state reachable from here satisfies LeaderFailsOver"),
    (("replication", "--set", "transactional.id=app"), "LeaderInIsr", "not covered",
     "not covered: transactional.id=app"),
    (("replication", "--set", "transactional.id=app"), "SomeRecordCommitted", "not covered",
     "SomeRecordCommitted is reached 1 step"),
    (("replication", "--set", "acks=all", "--bound", "records=0"), "NoAckedWriteLost",
     "not checked", "not checked: NoAckedWriteLost"),
])
def test_every_search_answer_carries_the_verdict_check_gives(argv: tuple[str, ...], prop: str,
                                                           verdict: str, text: str) -> None:
    # The page coloured by found/complete: not covered, not checked and never reached came
    # out green, and a sometimes-property reached (check: holds) red.
    out = _search(*argv, prop=prop)
    assert (out["verdict"], out["text"].startswith(text)) == (verdict, True)
    # From the initial state the verdict is check's (a violation search that completes is
    # the same run); a witness found under a not-covered setting is no holds either.
    assert _checked(*argv, "--property", prop).verdict(
        next(p for p in explorer_for(*argv).properties if p.name == prop)) == verdict


def test_a_search_cut_short_is_unknown_and_the_page_colours_only_holds_green() -> None:
    model = explorer_for("acks-all-safe").model
    out = search_from(model, next(iter(model.init_states())), "NoAckedWriteLost",
                      Limits(max_states=10))
    assert out["verdict"] == "unknown"
    css = (STATIC / "explorer.css").read_text()
    green = [rule.split("{")[0].strip() for rule in css.split("}") if "var(--ok)" in rule
             and "#search-result" in rule]
    assert green == ["#search-result.verdict-holds"]
    js = (STATIC / "explorer.js").read_text()
    assert 'className = `verdict-${String(r.verdict).replace(/ /g, "-")}`' in js
    assert "r.found ?" not in js


def test_the_model_answer_gives_checks_not_covered_line_for_the_header() -> None:
    # /api/model had the not-covered setting, but the page never showed it.
    argv = ("replication", "--set", "transactional.id=app")
    m = explorer_for(*argv).describe_model()
    line = next(x for x in text_report(_checked(*argv)).splitlines()
                if x.startswith("NOT COVERED: transactional.id=app"))
    assert line == ("NOT COVERED: transactional.id=app (changes producer semantics the model "
                    "does not model); what follows is what the model checks instead (Kafka "
                    "4.4's default, or the one value the model covers)")
    assert (m["setting_lines"], m["not_covered"]) == ([line], "transactional.id=app")


# -- 4. the Kafka release and check's lines around a verdict --------------------------------


def test_a_green_search_carries_the_release_and_the_power_loss_warning_check_prints() -> None:
    argv = (*PROCESS_CRASHES, "--set", "process.roles=broker", "--kafka-version", "3.9")
    checked = _checked(*argv, "--property", "NoAckedWriteLost")
    warning = power_loss_warning(checked)
    assert checked.result == "holds" and warning is not None
    assert warning.startswith("WARNING: power loss was NOT explored: this verdict covers "
                              "process crashes only")
    out = _search(*argv, prop="NoAckedWriteLost")
    assert out["verdict"] == "holds" and out["kafka_version"] == "3.9"
    first, *rest = out["text"].split("\n")
    assert first.endswith("exploration complete; Kafka 3.9)")
    assert rest == [warning] == out["warnings"]
    m = explorer_for(*argv).describe_model()
    assert (m["kafka_version"], m["warnings"]) == ("3.9", [warning])


def test_settings_not_modelled_are_named_in_the_header_and_the_search_as_check_names_them(
        ) -> None:
    argv = ("group", "--set", "max.poll.interval.ms=1000", "--set", "linger.ms=5",
            "--bound", "records=1", "--bound", "consumers=1")
    report = text_report(_checked(*argv, "--property", "NoConcurrentProcessing")).splitlines()
    lines = [x for x in report if x.startswith(("accepted", "WARNING: max.poll"))]
    assert lines == [
        "accepted but not modelled: linger.ms (no effect on these verdicts)",
        "WARNING: max.poll.interval.ms times a fault this run does not explore (poll timeout "
        "(zombie consumer); poll_timeouts=0): no value of it was checked; rerun with --bound "
        "poll_timeouts=1"]
    assert explorer_for(*argv).describe_model()["setting_lines"] == lines
    out = _search(*argv, prop="NoConcurrentProcessing")
    assert out["text"].split("\n")[1:] == lines == out["warnings"]


def test_the_page_renders_the_release_and_the_warnings() -> None:
    js = (STATIC / "explorer.js").read_text()
    for shown in ('h("b", {}, "Kafka "), m.kafka_version', "m.setting_lines.map",
                  'm.warnings.map((line) => h("div", { class: "warning" }, line))'):
        assert shown in js


# -- 3. and 5. loaded counterexamples are re-checked as replay re-checks them ---------------


@pytest.fixture(scope="module")
def acks_all() -> dict[str, Any]:
    """`check replication --json` (acks=all, where ProduceRequestsComplete exists)."""
    return check_json("replication", "--property", "LeaderInIsr")


def _with(result: dict[str, Any], **violation: Any) -> dict[str, Any]:
    return {**result, "violations": [violation]}


def _steps(labels: list[list[str]]) -> list[dict[str, Any]]:
    return [{"label": None}, *({"label": x} for x in labels)]


def _refused(argv: tuple[str, ...], result: dict[str, Any]) -> str:
    with pytest.raises(UsageError) as exc:
        counterexamples(explorer_for(*argv).model, result, "cx.json")
    return str(exc.value)


def test_a_fake_lasso_is_refused_as_replay_refuses_it(
        acks_all: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The page listed it as "a lasso: the loop starts at step 2"; check says holds.
    fake = _with(acks_all, property="ProduceRequestsComplete", kind="eventually",
                 loop_start=2, trace=_steps([["Produce", "r1"], ["Produce", "r2"]]))
    saved = tmp_path / "fake.json"
    saved.write_text(json.dumps(fake))
    assert main(["replay", str(saved)]) == 3
    why = capsys.readouterr().out.splitlines()[-1]
    assert why == ("ProduceRequestsComplete is not reproduced by this lasso: it stops at "
                   "step 2, where weakly fair Ack stays enabled")
    assert _refused(("replication",), fake) == (
        "cx.json: the trace of ProduceRequestsComplete is not a counterexample: "
        + why.split(": ", 1)[1])


def test_a_lasso_check_found_loads_and_one_edited_to_loop_elsewhere_is_refused() -> None:
    saved = check_json(*LASSO, "--property", "AllRecordsProcessed")
    [cx] = counterexamples(explorer_for(*LASSO).model, saved, "lasso.json")
    assert (cx["property"], cx["kind"], cx["loop_start"], cx["length"]) == (
        "AllRecordsProcessed", "eventually", 6, 6)
    saved["violations"][0]["loop_start"] = 3
    assert _refused(LASSO, saved).endswith(
        "its last state is not the state of step 3, where its loop starts")
    for bad in (True, "6", None, 7, -1):
        saved["violations"][0]["loop_start"] = bad
        assert "is not a" in _refused(LASSO, saved), bad


@pytest.mark.parametrize("edit,message", [
    ({"property": "Bogus"}, "cx.json: unknown property 'Bogus' for model replication"),
    ({"kind": "eventually"},
     "cx.json: NoAckedWriteLost is an always-property of replication, not 'eventually'"),
    ({"loop_start": 99}, "cx.json: the trace of NoAckedWriteLost has a loop_start, but "
                         "NoAckedWriteLost is an always-property"),
    ({"property": "SomeRecordCommitted", "kind": "sometimes"},
     "cx.json: SomeRecordCommitted is a sometimes-property: it has no counterexample"),
    ({"property": "ProduceRequestsComplete", "kind": "eventually"},
     "cx.json: ProduceRequestsComplete is not a property of replication with --set acks=1"),
])
def test_a_counterexample_of_a_property_the_model_lacks_or_of_another_kind_is_refused(
        edit: dict[str, Any], message: str) -> None:
    result = check_json("acks1-loss", "--property", "NoAckedWriteLost")
    result["violations"][0].update(edit)
    assert _refused(("acks1-loss",), result).startswith(message)


def test_a_counterexamples_kind_and_story_come_from_the_model_not_the_file() -> None:
    result = check_json("acks1-loss", "--property", "NoAckedWriteLost")
    model = explorer_for("acks1-loss").model
    expected = counterexamples(model, result, "cx.json")
    del result["violations"][0]["kind"]
    result["violations"][0]["explanation"] = "made up"
    [cx] = counterexamples(model, result, "cx.json")
    assert cx == expected[0] and cx["kind"] == "always" and cx["explanation"] != "made up"


def test_a_result_without_its_release_or_with_other_uncovered_settings_is_refused() -> None:
    result = check_json("acks1-loss", "--property", "NoAckedWriteLost")
    for gone in ({"kafka_version": None}, {}):
        edited = {k: v for k, v in result.items() if k != "kafka_version"} | gone
        assert _refused(("acks1-loss",), edited).startswith(
            "cx.json does not say which Kafka release it was made with")
    tx = check_json("acks1-loss", "--set", "retries=0",
                    "--property", "NoAckedWriteLost")
    assert tx["not_covered"] == {"retries": "0"}
    assert _refused(("acks1-loss",), tx) == (
        "cx.json was made with other settings not covered: retries=0 (here -); "
        "give explore the same --set and --bound")
    assert _refused(("acks1-loss", "--set", "retries=0"), result).startswith(
        "cx.json was made with other settings not covered: retries=- (here 0)")
    assert counterexamples(explorer_for("acks1-loss", "--set", "retries=0").model,
                           tx, "tx.json")[0]["property"] == "NoAckedWriteLost"


# -- the CLI's wording for a property this run lacks ----------------------------------------


def test_search_names_a_missing_property_in_the_clis_words(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "acks1-loss", "--property", "ProduceRequestsComplete"]) == 2
    cli = capsys.readouterr().err.strip().removeprefix("kafkacheck: error: ")
    assert cli.startswith("ProduceRequestsComplete is not a property of replication with "
                          "--set acks=1")
    with pytest.raises(UsageError) as exc:
        _search("acks1-loss", prop="ProduceRequestsComplete")
    assert str(exc.value) == cli


# -- 6. bad API input: one-line JSON errors, no traceback -----------------------------------


def _raw(url: str, route: str, data: bytes | None, method: str = "POST",
         ctype: str = "application/json") -> tuple[int, str, Any]:
    request = urllib.request.Request(url.rstrip("/") + route, data=data, method=method,
                                     headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], json.loads(exc.read())


def test_bad_api_input_is_a_one_line_json_error_and_no_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    with serving(explorer_for("acks1-loss")) as url:
        answers = {
            "malformed": _raw(url, "/api/state", b"{not json"),
            "deep": _raw(url, "/api/state", b"[" * 100_000 + b"]" * 100_000),
            "deep object": _raw(url, "/api/search", json.dumps(
                {"path": [], "property": "LeaderInIsr", "x": [[[[[[[[[[0]]]]]]]]]] * 8}
            ).replace("[0]", "[" * 60 + "0" + "]" * 60).encode()),
            "not utf-8": _raw(url, "/api/state", b'{"path": "\xff"}'),
            "at true": _raw(url, "/api/state", b'{"path": [], "at": true}'),
            "search at true": _raw(url, "/api/search",
                                   b'{"path": [], "at": true, "property": "LeaderInIsr"}'),
            "init false": _raw(url, "/api/state", b'{"init": false, "path": []}'),
            "path text": _raw(url, "/api/state", b'{"path": "Produce"}'),
            "not json type": _raw(url, "/api/state", b'{}', ctype="text/plain"),
            "unknown route": _raw(url, "/api/nothing", b"{}"),
            "wrong method": _raw(url, "/api/search", None, method="GET"),
        }
        status, _, page = _raw(url, "/api/state", b'{"path": [], "at": 0}')
        assert (status, page["at"]) == (200, 0)
    expected = {
        "malformed": (400, "the request body is not JSON: Expecting property name"),
        "deep": (400, "the request body is not JSON: nested too deeply"),
        "deep object": (400, "the request body is nested more than 64 levels deep"),
        "not utf-8": (400, "the request body is not JSON:"),
        "at true": (400, "no step True on a path of 0 steps"),
        "search at true": (400, "no step True on a path of 0 steps"),
        "init false": (400, "no initial state False (the model has 1)"),
        "path text": (400, "the path must be a list of action labels, not 'Produce'"),
        "not json type": (400, "send a JSON object with Content-Type: application/json"),
        "unknown route": (404, "no such route: POST /api/nothing"),
        "wrong method": (405, "method not allowed: GET /api/search"),
    }
    for case, (status, message) in expected.items():
        got_status, ctype, body = answers[case]
        assert (got_status, ctype) == (status, "application/json"), case
        assert body["error"].startswith(message) and "\n" not in body["error"], (case, body)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
