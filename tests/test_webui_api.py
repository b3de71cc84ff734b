"""The explorer's server and JSON API, without a browser: what the page is told is the model's."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from webui_harness import call, check_json, explorer_for, serving

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import text_report
from kafkacheck.explorer.trace import diff, replay
from kafkacheck.model import presets, registry
from kafkacheck.properties.base import always
from kafkacheck.webui.draw import ADAPTERS, drawing, variables_text
from kafkacheck.webui.session import Limits, change_rows, label_json

ACKS1_LOSS = [["Produce", "r1"], ["Crash", "B1"], ["Fence", "B1"]]
STATIC = Path(__file__).resolve().parents[1] / "kafkacheck" / "webui" / "static"


@pytest.fixture(scope="module")
def acks1() -> object:
    with serving(explorer_for("acks1-loss")) as url:
        yield url


def _partition(view: dict) -> dict:
    return next(s for s in view["drawing"]["sections"] if s["type"] == "partition")


def _prop(view: dict, name: str) -> dict:
    return next(p for p in view["properties"] if p["name"] == name)


def test_model_answer_names_the_preset_settings_bounds_and_faults(acks1: str) -> None:
    status, m = call(acks1, "/api/model")
    assert status == 200
    assert (m["name"], m["source"]) == ("replication", "acks1-loss")
    assert m["settings"]["acks"] == "1" and m["settings"]["replication.factor"] == "3"
    assert m["bounds"]["crashes"] == "1"
    assert m["faults"].startswith("faults: broker process crash (the page cache survives) or "
                                  "broker power loss (unflushed writes are lost) x1 (one "
                                  "budget: each crash is one kind or the other); "
                                  "not explored:")
    assert m["participants"] == ["Producer", "Controller", "B1", "B2", "B3"]
    assert {p["name"]: p["kind"] for p in m["properties"]}["NoAckedWriteLost"] == "always"


def test_shortest_acks1_counterexample_is_drawn_and_explained_as_check_prints_it(
        acks1: str) -> None:
    explorer = explorer_for("acks1-loss")
    result = breadth_first(explorer.model, ["NoAckedWriteLost"])
    violation = result.violation("NoAckedWriteLost")
    assert violation is not None and violation.trace is not None
    labels = [label_json(a) for a in violation.trace.actions]
    assert labels == ACKS1_LOSS
    status, view = call(acks1, "/api/state", {"init": 0, "path": labels})
    assert status == 200 and (view["at"], view["length"]) == (3, 3)
    part = _partition(view)
    assert (part["leader"], part["epoch"], part["isr"]) == ("B2", "1", ["B2", "B3"])
    logs = {r["broker"]: [(c["record"], c["epoch"]) for c in r["log"]] for r in part["replicas"]}
    assert logs == {"B1": [("r1", "0")], "B2": [], "B3": []}
    prop = _prop(view, "NoAckedWriteLost")
    assert prop["status"] == "false"
    why = next(line for line in text_report(result).splitlines() if line.startswith("why: "))
    assert prop["why"] == why.removeprefix("why: ")
    # The numbered steps and the messages are the CLI's (render.trace_lines, Model.message).
    assert "\n".join(view["steps"]) in text_report(result)
    assert [(m["source"], m["target"], m["text"]) for m in view["messages"]] == [
        ("Producer", "B1", "produce r1 acks=1"), ("B1", "B1", "Crash"),
        ("Controller", "B1", "fence; p0 leader B2")]


def test_every_step_of_the_path_is_drawn_with_the_models_own_text(acks1: str) -> None:
    explorer = explorer_for("acks1-loss")
    trace = replay(explorer.model, [tuple(x) for x in ACKS1_LOSS])
    for at, step in enumerate(trace.steps):
        _, view = call(acks1, "/api/state", {"init": 0, "path": ACKS1_LOSS, "at": at})
        text = variables_text(explorer.model, step.state)
        part = _partition(view)
        assert part["leader"] == text["leader"]
        assert "{" + ", ".join(part["isr"]) + "}" == text["isr"]
        for r in part["replicas"]:
            drawn = "[" + ", ".join(f"{c['record']}@e{c['epoch']}" for c in r["log"]) + "]"
            assert drawn == text[f"{r['broker']}.log"]
            assert str(r["hw"]) == text[f"{r['broker']}.hw"]
        brokers = next(s for s in view["drawing"]["sections"] if s["title"] == "Brokers")
        crashed = [b["name"] for b in brokers["items"] if "crashed" in b["states"]]
        assert crashed == ([] if at < 2 else ["B1"])


def test_action_previews_are_the_trace_diff_and_flag_the_step_that_breaks_a_property(
        acks1: str) -> None:
    explorer = explorer_for("acks1-loss")
    model = explorer.model
    _, view = call(acks1, "/api/state", {"init": 0, "path": ACKS1_LOSS[:2]})
    state = replay(model, [tuple(x) for x in ACKS1_LOSS[:2]]).steps[-1].state
    by_text = {a["text"]: a for a in view["actions"]}
    assert set(by_text) == {f"{a[0]}({', '.join(a[1:])})" for a, _ in model.successors(state)}
    fence = by_text["Fence(B1)"]
    nxt = model.next_state(state, ("Fence", "B1"))
    assert fence["changes"] == change_rows(model, diff(model, state, nxt))
    assert ["leader", "B1", "B2"] in fence["changes"]
    assert fence["violates"] == ["NoAckedWriteLost"]
    _, first = call(acks1, "/api/state", {"init": 0, "path": []})
    assert [(a["text"], a["violates"]) for a in first["actions"]] == [
        ("Produce(r1)", []), ("Crash(B1)", []), ("PowerLoss(B1)", []), ("Crash(B2)", []),
        ("PowerLoss(B2)", []), ("Crash(B3)", []), ("PowerLoss(B3)", [])]


def test_sometimes_and_eventually_properties_are_not_judged_on_one_state(acks1: str) -> None:
    _, view = call(acks1, "/api/state", {"init": 0, "path": []})
    for name in ("SomeRecordCommitted", "LeaderFailsOver"):
        assert _prop(view, name)["status"] == "not-evaluated"
        assert _prop(view, name)["text"] == "not evaluated on a single state"
    assert _prop(view, "NoAckedWriteLost") == {
        "name": "NoAckedWriteLost", "kind": "always",
        "statement": _prop(view, "NoAckedWriteLost")["statement"],
        "status": "true", "text": "true in this state"}


def test_a_property_false_earlier_on_the_path_says_where() -> None:
    explorer = explorer_for("acks1-loss")
    model = explorer.model
    explorer.properties = [always("B1Runs", "broker B1 is running",
                                  lambda s: "B1" in variables_text(model, s)["alive"])]
    view = explorer.describe(0, [*ACKS1_LOSS, ["Restart", "B1"]])
    assert view["properties"] == [{"name": "B1Runs", "kind": "always",
                                   "statement": "broker B1 is running", "status": "true",
                                   "text": "true in this state", "earlier": 2}]
    [prop] = explorer.describe(0, ACKS1_LOSS)["properties"]
    assert (prop["status"], prop["text"], prop["earlier"]) == ("false", "false in this state", 2)


def test_search_from_the_initial_state_finds_checks_shortest_counterexample(acks1: str) -> None:
    status, found = call(acks1, "/api/search", {"init": 0, "path": [],
                                                "property": "NoAckedWriteLost"})
    assert status == 200 and found["found"] and found["labels"] == ACKS1_LOSS
    assert found["text"].startswith("NoAckedWriteLost is violated 3 steps from here")
    # From the state after the produce, the same violation is two steps away.
    _, later = call(acks1, "/api/search", {"init": 0, "path": ACKS1_LOSS[:1],
                                           "property": "NoAckedWriteLost"})
    assert later["labels"] == ACKS1_LOSS[1:]
    _, there = call(acks1, "/api/search", {"init": 0, "path": ACKS1_LOSS,
                                           "property": "NoAckedWriteLost"})
    assert (there["found"], there["labels"], there["text"], there["verdict"]) == (
        True, [], "this state already violates NoAckedWriteLost (Kafka 4.4)", "violated")


def test_search_that_finds_nothing_gives_bounds_and_faults_never_a_bare_holds() -> None:
    explorer = explorer_for("acks-all-safe")
    full = breadth_first(explorer.model, ["NoAckedWriteLost"])
    assert full.result == "holds"
    with serving(explorer) as url:
        _, out = call(url, "/api/search", {"path": [], "property": "NoAckedWriteLost"})
    assert (out["found"], out["complete"]) == (False, True)
    assert out["distinct_states"] == full.distinct_states
    assert out["text"].startswith("no path from here violates NoAckedWriteLost within the "
                                  "bounds (partitions=1, records=2, crashes=1,")
    assert "faults: broker process crash (the page cache survives) or broker power loss " \
        "(unflushed writes are lost) x1 (one budget" in out["text"]
    assert out["verdict"] == "holds"
    stopped = explorer_for("acks-all-safe", limits=Limits(max_states=10))
    with serving(stopped) as url:
        _, out = call(url, "/api/search", {"path": [], "property": "NoAckedWriteLost"})
    assert (out["found"], out["complete"]) == (False, False)
    assert out["text"] == (f"not found before the search stopped (state limit 10 reached; "
                           f"10 distinct states, {out['seconds']:.2f}s; Kafka 4.4): nothing is "
                           "verified")
    assert out["verdict"] == "unknown"


def test_search_for_a_sometimes_property_walks_to_a_witness(acks1: str) -> None:
    explorer = explorer_for("acks1-loss")
    witness = breadth_first(explorer.model, ["SomeRecordCommitted"]).witnesses
    _, out = call(acks1, "/api/search", {"path": [], "property": "SomeRecordCommitted"})
    assert out["goal"] == "witness" and out["found"]
    assert out["length"] == len(witness["SomeRecordCommitted"])
    end = replay(explorer.model, [tuple(x) for x in out["labels"]]).steps[-1].state
    prop = next(p for p in explorer.properties if p.name == "SomeRecordCommitted")
    assert prop.holds is not None and prop.holds(end)


def test_eventually_property_search_and_bad_paths_are_one_line_400s() -> None:
    with serving(explorer_for("power-loss")) as url:
        status, out = call(url, "/api/search", {"path": [], "property":
                                                "ProduceRequestsComplete"})
        assert status == 400 and "eventually-property" in out["error"]
        status, out = call(url, "/api/search", {"path": [], "property": "NoSuch"})
        assert status == 400 and out["error"].startswith("unknown property 'NoSuch'")
        status, out = call(url, "/api/state", {"path": [["Fence", "B1"]]})
        assert status == 400
        assert out["error"] == "the path does not replay: step 1 Fence(B1) is not enabled"
        status, out = call(url, "/api/state", {"path": [], "at": 5})
        assert status == 400 and out["error"] == "no step 5 on a path of 0 steps"
        assert "\n" not in out["error"]


def test_check_json_output_loads_as_a_counterexample_to_step_through(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "acks1-loss", "--property", "NoAckedWriteLost", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    with serving(explorer_for("acks1-loss")) as url:
        status, out = call(url, "/api/load", {"name": "cx.json", "result": result})
        assert status == 200
        [cx] = out["counterexamples"]
        assert (cx["property"], cx["labels"], cx["init"]) == ("NoAckedWriteLost", ACKS1_LOSS, 0)
        status, out = call(url, "/api/load", {"name": "cx.json", "result": {"x": 1}})
        assert status == 400 and "not the JSON output of `kafkacheck check --json`" in out["error"]
    with serving(explorer_for("acks-all-safe")) as url:
        status, out = call(url, "/api/load", {"name": "cx.json", "result": result})
        assert status == 400
        assert out["error"].startswith("cx.json was made with other settings: acks=1 (here all)")


def test_every_model_and_preset_is_drawn_by_its_adapter_with_nothing_left_over() -> None:
    for name in [*registry.MODELS, *presets.PRESETS]:
        try:
            model = explorer_for(name).model
        except UsageError:
            # A model that needs a setting (transactions) is drawn through its presets.
            assert any(p.model == name for p in presets.PRESETS.values()), name
            continue
        state = next(iter(model.init_states()))
        for _ in range(12):  # a deterministic walk: the first successor each time
            d = drawing(model, state)
            assert d["problem"] == "", name
            titles = [s["title"] for s in d["sections"]]
            if model.name in ("diehard", "twophase"):
                assert d["adapter"] == "table" and titles == ["Variables"]
                rows = d["sections"][0]["rows"]
                assert rows == [[k, v] for k, v in variables_text(model, state).items()]
            else:
                assert d["adapter"] == model.name and "Other variables" not in titles, name
            succ = next(iter(model.successors(state)), None)
            if succ is None:
                break
            state = succ[1]


def test_text_an_adapter_cannot_read_is_shown_as_text_not_guessed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = explorer_for("acks1-loss").model

    class OtherLogText(type(model)):  # a model whose log text changed form
        def format_value(self, name: str, value: object) -> str:
            text = super().format_value(name, value)
            return f"<{text}>" if name.endswith(".log") else text

    odd = OtherLogText(model.config)
    d = drawing(odd, next(iter(odd.init_states())))
    part = next(s for s in d["sections"] if s["type"] == "partition")
    assert [(r["log"], r["log_text"]) for r in part["replicas"]] == [(None, "<[]>")] * 3

    def broken(_vars: object) -> list:
        raise KeyError("leader")

    monkeypatch.setitem(ADAPTERS, "replication", broken)
    d = drawing(model, next(iter(model.init_states())))
    assert d["adapter"] == "table" and [s["title"] for s in d["sections"]] == ["Variables"]
    assert d["problem"] == "the replication drawing could not read this state (KeyError('leader'))"


def test_page_and_its_files_are_served_from_the_package_with_no_outside_url(acks1: str) -> None:
    import urllib.request

    with urllib.request.urlopen(acks1) as response:
        html = response.read().decode()
    files = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert sorted(files) == ["explorer.css", "explorer.js"]
    for name in sorted(p.name for p in STATIC.iterdir()):
        with urllib.request.urlopen(f"{acks1}static/{name}") as response:
            body = response.read().decode()
        assert response.status == 200
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", body), name
    imports = re.findall(r'from "\./([\w.]+)"', (STATIC / "explorer.js").read_text())
    assert sorted(imports) == ["dom.js", "drawing.js", "sequence.js"]


# -- the command line -----------------------------------------------------------------


def test_explore_bad_input_is_one_line_and_exit_2(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(check_json("producer-retry-duplicates")))
    cases = [
        (["explore", "acks1-los"], "unknown model or preset 'acks1-los'"),
        (["explore", "acks1-loss", "--trace", str(tmp_path / "none.json")],
         "trace file not found"),
        (["explore", "acks1-loss", "--trace", str(bad_json)], "cannot read trace"),
        # an endless device or a deeply nested document: refused, not read forever
        (["explore", "acks1-loss", "--trace", "/dev/zero"], "is not a regular file"),
        (["explore", "acks1-loss", "--trace", str(deep)], "nested too deeply"),
        (["explore", "acks1-loss", "--trace", str(other)],
         "is a result of model 'producer', not 'replication'"),
        (["explore", "acks1-loss", "--port", "70000"], "--port 70000"),
        (["explore", "acks1-loss", "--max-states", "0"], "--max-states: 0 must be positive"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (argv, err)


def test_explore_on_a_port_in_use_is_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["explore", "acks1-loss", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kafkacheck: error: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1


def test_explore_prints_its_address_serves_the_trace_and_stops_on_ctrl_c(
        tmp_path: Path) -> None:
    trace = tmp_path / "cx.json"
    trace.write_text(json.dumps(check_json("acks1-loss")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kafkacheck.cli", "explore", "acks1-loss", "--trace", str(trace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        m = re.fullmatch(r"kafkacheck explore: replication at (http://127\.0\.0\.1:\d+/) "
                         r"\(Ctrl-C stops it\)\n", line)
        assert m is not None, line
        status, model = call(m.group(1), "/api/model")
        assert status == 200
        assert [cx["labels"] for cx in model["counterexamples"]
                if cx["property"] == "NoAckedWriteLost"] == [ACKS1_LOSS]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == "kafkacheck explore: stopped\n" and err == ""


def test_report_counterexample_pages_give_the_explore_command() -> None:
    from kafkacheck.report import counterexample_page, run_row
    from kafkacheck.report_matrices import Matrix, Row

    row = Row("replication", {"acks": "1", "replication.factor": "3"}, {"crashes": 1})
    rr = run_row((row, ("NoAckedWriteLost",), 100_000))
    matrix = Matrix("t", "Test: acks", "", "replication", ("NoAckedWriteLost",), (), (), (row,))
    page = counterexample_page(matrix, [rr], rr, "NoAckedWriteLost", "now")
    command = next(line for line in page.splitlines() if "| kafkacheck explore" in line)
    assert command == (
        "kafkacheck check replication --set acks=1 --set replication.factor=3 --bound crashes=1 "
        "--property NoAckedWriteLost --json | kafkacheck explore replication --set acks=1 "
        "--set replication.factor=3 --bound crashes=1 --trace -")


def test_search_from_here_names_a_fault_the_search_never_injected() -> None:
    # replication.factor=1 with a leader move in the budget: no other replica can lead,
    # so the search from the initial state never moves a leader and must not say it did.
    from kafkacheck.testing import make_model
    from kafkacheck.webui.search import search_from

    model = make_model("replication", {"acks": "all"}, crashes=0, leader_changes=1)
    [start] = model.init_states()
    out = search_from(model, start, "NoAckedWriteLost", Limits(max_states=100_000))
    assert (out["found"], out["complete"]) == (False, True)
    assert "offered but never injected (its actions never fired): leader move" in out["text"]
    assert "leader move x1" not in out["text"]


@pytest.mark.parametrize("name,settings,bounds,why", [
    ("replication", {"acks": "all"}, {"records": 0, "crashes": 1}, "cannot fail"),
    ("group", {"auto.offset.reset": "none", "enable.auto.commit": "false"},
     {"records": 1, "consumers": 1, "partitions": 1, "commit": "sync-after-processing"},
     "SomeRecordProcessed is never reached"),
])
def test_search_from_here_is_no_green_for_a_property_that_cannot_fail(name, settings, bounds,
                                                                       why) -> None:
    # With nothing written, or no record ever processed, `check` says not checked (exit 3);
    # the page said "no path from here violates" it.
    from kafkacheck.testing import make_model
    from kafkacheck.webui.search import search_from

    model = make_model(name, settings, **bounds)
    [start] = model.init_states()
    prop = "NoAckedWriteLost" if name == "replication" else "AtLeastOnce"
    out = search_from(model, start, prop, Limits(max_states=100_000))
    assert (out["found"], out["complete"]) == (False, True)
    assert out["text"].startswith(f"not checked: {prop}: ") and why in out["text"]
    assert "no path from here" not in out["text"]


def test_a_counterexample_made_under_another_kafka_release_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    from kafkacheck.webui.traces import counterexamples

    assert main(["check", "acks1-loss", "--property", "NoAckedWriteLost", "--json",
                 "--kafka-version", "4.2"]) == 1
    result = json.loads(capsys.readouterr().out)
    here = explorer_for("acks1-loss").model  # the same settings and bounds, on 4.4
    with pytest.raises(UsageError, match=r"made with --kafka-version 4\.2 \(here 4\.4\)"):
        counterexamples(here, result, "cx.json")


def test_a_loaded_trace_that_does_not_violate_its_property_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The page labelled a loaded trace with the file's property name unchecked: a trace
    # relabelled as LeaderInIsr would show as its counterexample.
    from kafkacheck.webui.traces import counterexamples

    assert main(["check", "acks1-loss", "--property", "NoAckedWriteLost", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    result["violations"][0]["property"] = "LeaderInIsr"
    with pytest.raises(UsageError, match="the trace of LeaderInIsr ends in a state that "
                                         "does not violate it"):
        counterexamples(explorer_for("acks1-loss").model, result, "cx.json")


def test_a_loaded_trace_with_a_step_missing_its_label_is_refused_not_shortened(
        capsys: pytest.CaptureFixture[str]) -> None:
    # As `replay` refuses it (audit bad input, finding 5): dropping the step would step
    # through another trace than the one saved.
    from kafkacheck.webui.traces import counterexamples

    assert main(["check", "acks1-loss", "--property", "NoAckedWriteLost", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    result["violations"][0]["trace"][1]["label"] = None
    with pytest.raises(UsageError, match="the trace of NoAckedWriteLost: step 1 has no "
                                         "action label"):
        counterexamples(explorer_for("acks1-loss").model, result, "cx.json")
