"""Replaying a liveness counterexample re-checks the lasso itself: its goal never holds
on it, its cycle returns to the state it left, and a weakly fair scheduler may follow it.
A lasso that does not show this is not reproduced (exit 3), never confirmed."""

from __future__ import annotations

import json

from test_engine_semantics import ring

from kafkacheck.cli import main
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.liveness import recheck_lasso

GROUP = ["group", "--set", "auto.offset.reset=earliest", "--set", "enable.auto.commit=false",
         "--bound", "consumers=1", "--bound", "records=2",
         "--bound", "commit=sync-after-processing", "--bound", "closes=1",
         "--bound", "rejoins=1", "--property", "AllRecordsProcessed"]


def saved_lasso(capsys, tmp_path):
    assert main(["check", *GROUP, "--json"]) == 1
    path = tmp_path / "lasso.json"
    path.write_text(capsys.readouterr().out)
    return path


def test_a_saved_lasso_that_stops_where_nothing_fair_is_enabled_replays_as_violated(
        capsys, tmp_path):
    # The consumer closed; the rejoins budget allows it back but no fairness forces it.
    path = saved_lasso(capsys, tmp_path)
    assert json.loads(path.read_text())["violations"][0]["loop_start"] == 6
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert "AllRecordsProcessed: lasso re-checked" in out and "not re-checked" not in out


def test_a_lasso_edited_to_loop_where_it_does_not_is_not_reproduced(capsys, tmp_path):
    path = saved_lasso(capsys, tmp_path)
    data = json.loads(path.read_text())
    data["violations"][0]["loop_start"] = 3
    path.write_text(json.dumps(data))
    assert main(["replay", str(path)]) == 3
    out = capsys.readouterr().out
    assert ("not reproduced by this lasso: its last state is not the state of step 3, where "
            "its loop starts") in out


def test_a_cycle_that_never_takes_an_always_enabled_fair_action_is_not_a_violation():
    # Without fairness the ring may step around forever; with Finish weakly fair it may not,
    # since Finish is enabled at every state of the cycle and never taken.
    trace = breadth_first(ring(fair=0), ["Terminates"]).violation("Terminates").trace
    unfair = {p.name: p for p in ring(fair=0).properties()}["Terminates"]
    fair = {p.name: p for p in ring(fair=1).properties()}["Terminates"]
    assert trace.loop_start is not None and trace.loop_start < len(trace)
    assert recheck_lasso(ring(fair=0), unfair, trace) is None
    assert recheck_lasso(ring(fair=1), fair, trace) == (
        "weakly fair Finish is enabled at every state of its cycle and never taken there")


def test_a_lasso_whose_goal_holds_on_it_is_not_a_violation():
    model = ring(fair=0)
    prop = {p.name: p for p in model.properties()}["Terminates"]
    trace = breadth_first(model, ["Terminates"]).violation("Terminates").trace
    trace.steps[-1].state = (3,)  # the goal, pc=3, at the cycle's last state
    assert recheck_lasso(model, prop, trace) == f"Terminates's goal holds at step {len(trace)}"
