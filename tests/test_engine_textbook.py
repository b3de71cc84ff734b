"""The search engines agree with TLC on textbook models (numbers in bench/tlc/reference.json).

TLC counts depth and trace length in states (the initial state is 1); kafkacheck counts
transitions, so TLC's figures are ours plus one.
"""

from __future__ import annotations

import json
from pathlib import Path

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.dfs import depth_first
from kafkacheck.explorer.simulate import simulate
from kafkacheck.explorer.trace import replay
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
    assert violation.trace.steps[-1].state[1] == 4


def test_counterexample_replays_through_the_model_from_its_labels():
    model = make_model("diehard")
    violation = breadth_first(model).violation("NotSolved")
    again = replay(model, violation.trace.actions)
    assert again.steps[-1].state == violation.trace.steps[-1].state


def test_twophase_with_three_rms_has_288_distinct_states_like_tlc():
    result = breadth_first(make_model("twophase", rms=3))
    assert result.result == "holds" and result.distinct_states == 288
    assert result.distinct_states == TLC["TwoPhaseCommit"]["w1_distinct"]
    assert result.depth + 1 == TLC["TwoPhaseCommit"]["w1_depth"]


def test_twophase_with_the_injected_bug_has_tlcs_498_states():
    result = breadth_first(make_model("twophase", bug="early-commit"), ["CanCommit"])
    assert result.complete
    assert result.distinct_states == TLC["TwoPhaseCommitBuggy_full"]["w1_distinct"] == 498


def test_twophase_injected_early_commit_breaks_consistency_in_five_steps():
    result = breadth_first(make_model("twophase", bug="early-commit"), ["TCConsistent"])
    violation = result.violation("TCConsistent")
    assert violation is not None and len(violation.trace) == 5
    assert len(violation.trace) + 1 == TLC["TwoPhaseCommitBuggy"]["cex_states"]


def test_depth_first_search_visits_the_same_states_as_breadth_first():
    bfs = breadth_first(make_model("twophase", rms=3))
    dfs = depth_first(make_model("twophase", rms=3))
    assert dfs.complete and dfs.distinct_states == bfs.distinct_states == 288


def test_depth_first_search_finds_the_injected_bug():
    result = depth_first(make_model("twophase", bug="early-commit"))
    assert result.violation("TCConsistent") is not None


def test_simulation_with_a_seed_is_reproducible_and_finds_the_bug():
    first = simulate(make_model("twophase", bug="early-commit"), seed=7, walks=300)
    second = simulate(make_model("twophase", bug="early-commit"), seed=7, walks=300)
    assert first.violation("TCConsistent") is not None
    assert first.violation("TCConsistent").trace.actions == \
        second.violation("TCConsistent").trace.actions


def test_simulation_never_claims_holds():
    result = simulate(make_model("twophase"), seed=1, walks=50)
    assert result.result == "incomplete" and not result.violations


def test_state_limit_makes_the_result_incomplete_not_holds():
    result = breadth_first(make_model("twophase"), max_states=50)
    assert result.result == "incomplete" and not result.complete
    assert "state limit" in result.stop_reason


def test_coverage_counts_how_often_each_action_fired():
    result = breadth_first(make_model("twophase"))
    assert result.coverage["TMCommit"] >= 1
    assert sum(result.coverage.values()) == result.generated_states - 1


def test_parallel_search_finds_the_same_states_and_shortest_trace_as_sequential():
    from kafkacheck.explorer.parallel import parallel_breadth_first

    par = parallel_breadth_first(make_model("twophase", rms=4), ["TCConsistent"], workers=2)
    seq = breadth_first(make_model("twophase", rms=4), ["TCConsistent"])
    assert par.complete and par.distinct_states == seq.distinct_states
    bug = parallel_breadth_first(make_model("diehard"), ["NotSolved"], workers=2)
    assert len(bug.violation("NotSolved").trace) == 6
