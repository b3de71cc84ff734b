"""The search engines agree with TLC on textbook models (numbers in bench/tlc/reference.json).

TLC counts depth and trace length in states (the initial state is 1); kafkacheck counts
transitions, so TLC's figures are ours plus one.
"""

from __future__ import annotations

import json
from pathlib import Path

from mutants import MUTANTS, make_mutant
from mutants.twophase import EarlyCommit

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.dfs import depth_first
from kafkacheck.explorer.simulate import simulate
from kafkacheck.explorer.trace import replay
from kafkacheck.model.textbook.twophase import TwoPhaseCommit
from kafkacheck.testing import make_model

TLC = {row["job"]: row for row in json.loads(
    (Path(__file__).resolve().parents[1] / "bench" / "tlc" / "reference.json").read_text()
)["summary"]}


def test_diehard_has_the_same_16_distinct_states_as_tlc():
    result = breadth_first(make_model("diehard"), ["TypeOK"])
    assert result.complete and result.result == "holds"
    assert result.distinct_states == TLC["DieHardJugs_full"]["w1_distinct"] == 16
    assert result.depth + 1 == TLC["DieHardJugs_full"]["w1_depth"]
    assert result.generated_states == TLC["DieHardJugs_full"]["w1_generated"]


def test_diehard_shortest_solution_is_six_steps_ending_with_four_gallons():
    result = breadth_first(make_model("diehard"))
    violation = result.violation("NotSolved")
    assert violation is not None and len(violation.trace) == 6
    assert len(violation.trace) + 1 == TLC["DieHardJugs"]["cex_states"]
    assert violation.trace.steps[-1].state.big == 4


def test_counterexample_replays_through_the_model_from_its_labels():
    model = make_model("diehard")
    violation = breadth_first(model).violation("NotSolved")
    again = replay(model, violation.trace.actions)
    assert again.steps[-1].state == violation.trace.steps[-1].state


def early_commit() -> EarlyCommit:
    """TwoPhase with TLC's BuggyEarlyCommit = TRUE: the TM commits after one Prepared."""
    model = make_mutant("twophase", "early-commit")
    assert isinstance(model, EarlyCommit) and isinstance(model, TwoPhaseCommit)
    return model


def test_twophase_with_three_rms_has_288_distinct_states_like_tlc():
    result = breadth_first(make_model("twophase", rms=3))
    assert result.result == "holds" and result.distinct_states == 288
    assert result.distinct_states == TLC["TwoPhaseCommit"]["w1_distinct"]
    assert result.depth + 1 == TLC["TwoPhaseCommit"]["w1_depth"]


def test_twophase_early_commit_mutant_has_tlcs_498_states():
    result = breadth_first(early_commit(), ["CanCommit"])
    assert result.complete
    assert result.distinct_states == TLC["TwoPhaseCommitBuggy_full"]["w1_distinct"] == 498


def test_twophase_early_commit_breaks_consistency_in_five_steps_like_tlc():
    result = breadth_first(early_commit(), ["TCConsistent"])
    violation = result.violation("TCConsistent")
    assert violation is not None and len(violation.trace) == 5
    assert len(violation.trace) + 1 == TLC["TwoPhaseCommitBuggy"]["cex_states"]
    assert MUTANTS[("twophase", "early-commit")].breaks == ("TCConsistent",)


def test_the_early_commit_mutant_overrides_only_the_commit_rule():
    overridden = {name for name in vars(EarlyCommit) if not name.startswith("__")}
    assert overridden == {"tm_can_commit"}
    assert "bug" not in {b.name for b in TwoPhaseCommit.bounds}


def test_depth_first_search_visits_the_same_states_as_breadth_first():
    bfs = breadth_first(make_model("twophase", rms=3))
    dfs = depth_first(make_model("twophase", rms=3))
    assert dfs.complete and dfs.distinct_states == bfs.distinct_states == 288


def test_depth_first_search_finds_the_early_commit_and_its_trace_replays():
    model = early_commit()
    result = depth_first(model)
    violation = result.violation("TCConsistent")
    assert len(violation.trace) == 6  # DFS order: not the shortest (BFS finds 5)
    assert [a[0] for a in violation.trace.actions][-2:] == ["TMCommit", "RMRcvCommitMsg"]
    final = replay(model, violation.trace.actions).steps[-1].state
    assert final == violation.trace.steps[-1].state
    assert final.rm_state.count(2) == 1 and final.rm_state.count(3) == 2  # 1 commit, 2 aborts


def test_simulation_with_a_seed_is_reproducible_and_finds_the_bug():
    first = simulate(early_commit(), seed=7, walks=300)
    second = simulate(early_commit(), seed=7, walks=300)
    trace = first.violation("TCConsistent").trace
    assert trace.actions == second.violation("TCConsistent").trace.actions
    assert [a[0] for a in trace.actions] == ["RMPrepare", "RMChooseToAbort", "TMRcvPrepared",
                                             "TMCommit", "RMRcvCommitMsg"]


def test_simulation_never_claims_holds():
    result = simulate(make_model("twophase"), seed=1, walks=50)
    assert result.result == "incomplete" and not result.violations
    # 50 seeded walks never see the commit path: exactly why a simulation cannot say holds
    assert "TMCommit" not in result.coverage and result.coverage["TMAbort"] == 50


def test_state_limit_makes_the_result_incomplete_not_holds():
    result = breadth_first(make_model("twophase"), max_states=50)
    assert result.result == "incomplete" and not result.complete
    assert result.distinct_states == 50
    assert "state limit" in result.stop_reason


def test_coverage_counts_how_often_each_action_fired():
    result = breadth_first(make_model("twophase"))
    assert result.coverage == {"RMChooseToAbort": 156, "RMPrepare": 156, "RMRcvAbortMsg": 324,
                               "RMRcvCommitMsg": 12, "TMAbort": 64, "TMCommit": 1,
                               "TMRcvPrepared": 48}
    assert sum(result.coverage.values()) == result.generated_states - 1


def test_parallel_search_finds_the_same_states_and_shortest_trace_as_sequential():
    from kafkacheck.explorer.parallel import parallel_breadth_first

    par = parallel_breadth_first(make_model("twophase", rms=4), ["TCConsistent"], workers=2)
    seq = breadth_first(make_model("twophase", rms=4), ["TCConsistent"])
    assert par.complete and par.distinct_states == seq.distinct_states
    bug = parallel_breadth_first(make_model("diehard"), ["NotSolved"], workers=2)
    assert len(bug.violation("NotSolved").trace) == 6


def test_textbook_states_are_typed_tuples_with_named_fields():
    jugs = breadth_first(make_model("diehard"), ["NotSolved"]).violation("NotSolved")
    assert type(jugs.trace.steps[-1].state).__name__ == "Jugs"
    state = make_model("twophase").init_states()[0]
    successors = [t for _, t in make_model("twophase").successors(state)]
    assert {type(t).__name__ for t in successors} == {"TwoPhaseState"}
    assert successors[0]._fields == ("rm_state", "tm_state", "tm_prepared", "prepared_msgs",
                                     "decision_msgs")
