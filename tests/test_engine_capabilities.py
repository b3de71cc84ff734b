"""Every engine says what it checked: no HOLDS for a property it could not check, no option
it would ignore, exit codes that follow one rule (0 holds, 1 violated, 2 bad input, 3 the
rest), never-reached sometimes-properties as a coverage finding of their own."""

from __future__ import annotations

import io
import json

import pytest
from test_engine_semantics import ring

from kafkacheck.cli import main
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.capabilities import ENGINES, KINDS, NOT_CHECKED, table
from kafkacheck.explorer.dfs import depth_first
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.render import summary_line
from kafkacheck.testing import make_model


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_engine_declares_every_property_kind():
    rows = dict(table())
    assert set(rows) == {c.engine for c in ENGINES.values()}
    for kinds in rows.values():
        assert set(kinds) == set(KINDS)
    assert rows["bfs"]["eventually"] == "checked"
    assert rows["dfs"]["eventually"] == rows["parallel bfs"]["eventually"] == NOT_CHECKED


def test_depth_first_search_reports_liveness_not_checked_and_never_holds():
    result = depth_first(ring(fair=0), ["Terminates", "InRange"])
    assert result.complete and result.result == "incomplete"
    assert result.verdict(result.properties[0]) == "not checked"
    assert result.verdict(result.properties[1]) == "holds"
    assert "HOLDS" not in summary_line(result) and "not checked" in summary_line(result)


def test_the_dfs_liveness_reproduction_exits_3_not_0(capsys):
    code, out, _ = run(capsys, "check", "group-commit-before-processing-loss", "--property",
                       "AllRecordsProcessed", "--strategy", "dfs")
    assert code == 3 and "not checked: AllRecordsProcessed (dfs does not check" in out
    assert "HOLDS" not in out


def test_parallel_search_falls_back_to_sequential_bfs_for_liveness_and_says_so(capsys):
    code, out, _ = run(capsys, "check", "group-commit-before-processing-loss", "--property",
                       "AllRecordsProcessed", "--workers", "2", "--no-diagram")
    assert code == 1 and "VIOLATED: AllRecordsProcessed" in out
    assert "ran the sequential bfs instead of parallel bfs" in out


def test_the_parallel_engine_alone_marks_liveness_not_checked():
    result = parallel_breadth_first(ring(fair=0), ["Terminates"], workers=2)
    assert result.verdict(result.properties[0]) == "not checked"
    assert result.result == "incomplete"


def test_parallel_search_honours_max_depth_like_the_sequential_engine():
    seq = breadth_first(make_model("twophase", rms=3), max_depth=3)
    par = parallel_breadth_first(make_model("twophase", rms=3), workers=2, max_depth=3)
    assert not par.complete and par.stop_reason == seq.stop_reason == "depth limit 3 reached"
    assert par.distinct_states == seq.distinct_states and par.depth == seq.depth == 3


def test_parallel_search_stops_at_the_first_violation_with_a_shortest_trace():
    result = parallel_breadth_first(make_model("diehard"), ["NotSolved"], workers=2,
                                    stop_at_first=True)
    assert result.stop_reason == "stopped at the first violation" and not result.complete
    assert len(result.violation("NotSolved").trace) == 6


def test_a_state_limit_of_one_stops_after_the_first_state():
    result = breadth_first(make_model("twophase", rms=3), max_states=1)
    assert result.distinct_states == 1 and result.result == "incomplete"
    assert result.stop_reason == "state limit 1 reached"


def test_simulation_without_a_violation_exits_3_and_with_one_exits_1(capsys):
    assert run(capsys, "simulate", "twophase", "--walks", "20")[0] == 3
    code, out, _ = run(capsys, "simulate", "acks1-loss", "--walks", "300", "--seed", "7",
                       "--no-diagram")
    assert code == 1 and "VIOLATED: NoAckedWriteLost" in out


def test_a_never_reached_sometimes_property_is_coverage_and_exits_3_not_1(capsys):
    result = breadth_first(ring(), ["Negative", "InRange"])
    assert result.result == "never reached" and not result.violations
    assert "NEVER REACHED: Negative" in summary_line(result)
    # Two controllers cannot elect a new one after a crash (no majority left).
    code, out, _ = run(capsys, "check", "controller", "--bound", "controllers=2", "--bound",
                       "records=0", "--bound", "crashes=1", "--bound", "isolations=0",
                       "--property", "ControllerFailsOver", "--property",
                       "OneActiveControllerPerEpoch", "--json")
    data = json.loads(out)
    assert code == 3 and data["result"] == "never reached" and not data["violations"]
    assert data["never_reached"] == ["ControllerFailsOver"]
    verdicts = {p["name"]: p["verdict"] for p in data["properties"]}
    assert verdicts == {"ControllerFailsOver": "never reached",
                        "OneActiveControllerPerEpoch": "holds"}


@pytest.mark.parametrize("argv,fragment", [
    (["check", "twophase", "--workers", "1000"], "--workers must be between 1 and 64"),
    (["check", "twophase", "--workers", "0"], "--workers must be between 1 and 64"),
    (["check", "twophase", "--strategy", "dfs", "--graph", "g.dot"], "--graph is not supported"),
    (["check", "twophase", "--ray", "auto", "--checkpoint", "cp"], "--checkpoint is not "
     "supported by ray bfs"),
    (["check", "twophase", "--graph", "/nonexistent/dir/g.dot"], "cannot write there"),
    (["check", "twophase", "--max-seconds", "nan"], "must be positive"),
    (["check", "twophase", "--memory-budget", "lots"], "give a size such as 512M"),
    (["check", "twophase", "--resume", "/nonexistent"], "no checkpoint there"),
])
def test_options_an_engine_would_ignore_are_refused_before_the_search(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2 and fragment in err and err.count("\n") == 1


def test_progress_lines_go_to_a_log_periodically_and_json_runs_stay_quiet(capsys):
    log = io.StringIO()
    progress = Progress(stream=log, interval=0.0)
    progress.update(1000, 2000, 3, 40)
    assert log.getvalue().startswith("progress: 1,000 distinct, 2,000 generated")
    assert "queue 40, depth 3" in log.getvalue() and "MiB" in log.getvalue()
    _, _, err = run(capsys, "check", "twophase", "--json")
    assert "progress" not in err
    _, _, err = run(capsys, "check", "twophase", "--json", "--bound", "rms=5",
                    "--progress-every", "0.000001")
    assert "progress: " in err


@pytest.mark.parametrize("workers", [2, 3])
def test_states_at_the_depth_limit_are_checked_by_every_engine(workers):
    # NotSolved first fails at depth 6: a limit of 6 must find it, a limit of 5 must not.
    for engine in (breadth_first, lambda m, p, **kw: parallel_breadth_first(
            m, p, workers=workers, **kw)):
        found = engine(make_model("diehard"), ["NotSolved"], max_depth=6)
        assert len(found.violation("NotSolved").trace) == 6
        assert engine(make_model("diehard"), ["NotSolved"], max_depth=5).violations == []


def test_the_z3_declaration_names_exactly_the_bounds_its_encoding_represents():
    from kafkacheck.explorer.capabilities import ENGINES
    from kafkacheck.model.cluster import replication_symbolic

    assert ENGINES["z3"].bounds == frozenset(replication_symbolic.BOUNDS)
