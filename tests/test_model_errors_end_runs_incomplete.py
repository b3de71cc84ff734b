"""A model that raises ends the run incomplete, in every engine alike.

The run reports what it found and the trace to the state it raised on. Before this, the
sequential engines crashed (exit 70, and a violation found by then was lost), while
--workers and --ray ended incomplete (exit 3) without the trace. An exception raised by
the engine alone stays an error.

The crashing model is the kafka-spec mutant epoch-past-max (tests/mutants/kafka_spec.py).
It bumps the leader epoch past MaxLeaderEpoch, so it breaks TypeOk at depth 4, and the
spec's tables are then indexed out of range when that state is expanded.
"""

from __future__ import annotations

import json
from functools import partial

import pytest
from mutants import make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.dfs import depth_first
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.explorer.render import exit_code, result_json, text_report
from kafkacheck.explorer.simulate import simulate
from kafkacheck.model.interface import Model

SAFE = ["WeakIsr", "LeaderInIsrWhenLeader"]  # the mutant breaks neither before it crashes
ERROR = "IndexError: list index out of range"


def _crashing() -> Model:
    return make_mutant("kafka-spec", "epoch-past-max")


def _raises_on(model: Model, state: object) -> bool:
    try:
        list(model.successors(state))
    except IndexError:
        return True
    return False


@pytest.mark.parametrize("engine", ["bfs", "parallel"])
def test_breadth_first_engines_end_incomplete_at_the_state_the_model_raised_on(engine):
    run = breadth_first if engine == "bfs" else partial(parallel_breadth_first, workers=2)
    model = _crashing()
    result = run(model, SAFE)
    assert (result.result, exit_code(result), result.complete) == ("incomplete", 3, False)
    assert (result.distinct_states, result.depth) == (769, 4)
    error = result.model_error
    assert (error.error, error.depth, len(error.trace)) == (ERROR, 4, 4)
    assert _raises_on(model, error.trace.steps[-1].state)
    assert not any(_raises_on(model, s.state) for s in error.trace.steps[:-1])
    assert ERROR in result.stop_reason


def test_a_violation_found_before_the_model_raised_is_reported():
    # TypeOk fails at depth 4, the level whose expansion raises: exit 1 with its trace,
    # and the model's error beside it (the sequential engine used to lose both).
    for run in (breadth_first, partial(parallel_breadth_first, workers=2)):
        result = run(_crashing(), ["TypeOk", *SAFE])
        assert (result.result, exit_code(result)) == ("violated", 1)
        assert [(v.name, len(v.trace)) for v in result.violations] == [("TypeOk", 4)]
        assert result.model_error.error == ERROR
        text = text_report(result, diagrams=False)
        assert f"model error: the model raised {ERROR} while expanding the state at depth 4" \
            in text
        assert "VIOLATED: TypeOk" in text and "search stopped:" in text


@pytest.mark.parametrize("engine", ["dfs", "simulate"])
def test_depth_first_and_random_walks_end_with_the_path_to_the_state(engine):
    model = _crashing()
    result = (depth_first if engine == "dfs" else simulate)(model, SAFE)
    assert (result.result, exit_code(result)) == ("incomplete", 3)
    error = result.model_error
    assert error.error == ERROR and len(error.trace) == error.depth > 0
    assert _raises_on(model, error.trace.steps[-1].state)
    assert f"the model raised {ERROR}" in result.stop_reason


def test_the_json_carries_the_error_and_its_trace_and_debug_shows_the_traceback(
        monkeypatch):
    result = breadth_first(_crashing(), SAFE)
    shown = json.loads(json.dumps(result_json(result)))
    assert shown["exit_code"] == 3 and shown["result"] == "incomplete"
    assert shown["model_error"]["error"] == ERROR and shown["model_error"]["depth"] == 4
    assert [s["action"] for s in shown["model_error"]["trace"]][0] == "Init"
    assert len(shown["model_error"]["trace"]) == 5
    assert "Traceback" not in text_report(result, diagrams=False)
    monkeypatch.setenv("KAFKACHECK_DEBUG", "1")
    debug = text_report(result, diagrams=False)
    assert "Traceback (most recent call last)" in debug and "replication_spec.py" in debug


def test_a_clean_run_has_no_model_error():
    from kafkacheck.testing import make_model

    result = breadth_first(make_model("diehard"), [])
    assert result.model_error is None and result_json(result)["model_error"] is None


def test_an_error_of_the_engine_alone_stays_an_error():
    # A state holding a list is refused by the fingerprint (native code): no model frame is
    # on the stack where it is raised, so it is not reported as the model's (exit 70).
    from kafkacheck.testing import make_model

    base = make_model("diehard")

    class ListState(type(base)):
        def successors(self, state):
            for action, nxt in super().successors(state):
                yield action, (*nxt[:-1], [nxt[-1]])

    with pytest.raises(TypeError, match="a state holds a list"):
        breadth_first(ListState(base.config), [])


@pytest.mark.thorough  # a local Ray cluster of its own: about 7 s
def test_ray_actors_report_the_models_error_as_the_processes_do():
    ray = pytest.importorskip("ray")
    from kafkacheck.explorer.ray_engine import ray_breadth_first

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        result = ray_breadth_first(_crashing(), SAFE, workers=2)
    finally:
        ray.shutdown()
    assert (result.result, exit_code(result), result.distinct_states) == ("incomplete", 3, 769)
    assert result.stop_reason == f"ray actor {result.stop_reason[10]} failed: the model " \
        f"raised {ERROR}"
    assert (result.model_error.error, len(result.model_error.trace)) == (ERROR, 4)


def _diehard_raising(where: str) -> Model:
    """DieHard whose own code raises: its initial states ('init'), or a property at the
    puzzle's solution, big == 4 (an always-property 'always', an eventually 'live')."""
    from kafkacheck.model.textbook.diehard import DieHard
    from kafkacheck.properties.base import always, eventually
    from kafkacheck.testing import make_model

    class Raising(DieHard):
        def init_states(self):
            if where == "init":
                raise KeyError("no initial state")
            return super().init_states()

        def properties(self):
            extra = {
                "always": [always("Brittle", "a property that fails to evaluate at big == 4",
                                  lambda s: 1 / (s.big - 4) is not None)],
                "live": [eventually("Settles", "a property that fails to evaluate at big == 4",
                                    lambda s: 1 / (s.big - 4) is None)],
            }.get(where, [])
            return [*super().properties(), *extra]

    return Raising(make_model("diehard").config)


@pytest.mark.parametrize("workers,max_depth", [(1, None), (2, None), (2, 6), (3, 6)])
def test_a_property_that_raises_is_the_models_error_wherever_the_state_is_checked(
        workers, max_depth):
    # With workers, a state another worker generated is checked when its owner receives
    # it, expands it, or (at the depth limit) checks the level it will not expand: each
    # path reports the model's error. big == 4 is first reached at depth 6.
    model = _diehard_raising("always")
    run = breadth_first if workers == 1 else partial(parallel_breadth_first, workers=workers)
    result = run(model, ["Brittle"], max_depth=max_depth)
    assert (result.result, exit_code(result)) == ("incomplete", 3)
    error = result.model_error
    assert error.error == "ZeroDivisionError: division by zero"
    assert (error.depth, len(error.trace)) == (5, 5)  # the state whose successor raised
    assert any(nxt.big == 4 for _a, nxt in model.successors(error.trace.steps[-1].state))


# -- what a review of the change found ---------------------------------------------------


@pytest.mark.parametrize("engine", ["bfs", "dfs", "simulate", "parallel"])
def test_initial_states_that_raise_are_the_models_error(engine):
    runs = {"bfs": breadth_first, "dfs": depth_first, "simulate": simulate,
            "parallel": partial(parallel_breadth_first, workers=2)}
    result = runs[engine](_diehard_raising("init"), [])
    assert (result.result, exit_code(result)) == ("incomplete", 3)
    assert result.model_error.trace is None
    assert result.model_error.text() == ("the model raised KeyError: 'no initial state' while "
                                         "making or checking the initial states")


def test_an_eventually_property_that_raises_is_not_checked_and_the_violation_stays():
    # The liveness check runs on the state graph after the search: its exception was an
    # internal error (exit 70) and the NotSolved counterexample already found was lost.
    result = breadth_first(_diehard_raising("live"), [])
    assert (result.result, exit_code(result)) == ("violated", 1)
    assert [v.name for v in result.violations] == ["NotSolved"]
    assert result.not_checked["Settles"] == (
        "the model raised ZeroDivisionError: division by zero while checking the "
        "eventually-properties on the state graph")
    assert result.verdict(next(p for p in result.properties if p.name == "Settles")) == \
        "not checked"


def test_workers_keep_what_the_sequential_search_found_in_the_level_that_raised():
    # bfs reports the NotSolved violation it found in the level whose expansion raised;
    # with workers the rebuild's search found it too, but only its model error was kept.
    model = _diehard_raising("always")
    alone = breadth_first(model, [])
    shared = parallel_breadth_first(model, [], workers=2)
    assert exit_code(alone) == exit_code(shared) == 1
    assert [(v.name, len(v.trace)) for v in shared.violations] == \
        [(v.name, len(v.trace)) for v in alone.violations] == [("NotSolved", 6)]


def test_the_engines_own_modules_are_not_the_models_in_either_build():
    # In the compiled build a module's __file__ is not its folder: engine frames of
    # explorer/*.py counted as the model's and an engine error read 'the model raised'.
    from kafkacheck.explorer import bfs, checks, parallel, progress, search, trace
    from kafkacheck.model.textbook import diehard

    for module in (bfs, checks, parallel, progress, trace):
        assert not search._model_frame(str(module.__file__)), module.__name__
    assert not search._model_frame("kafkacheck/explorer/search.py")  # compiled frames
    assert search._model_frame(str(diehard.__file__))
