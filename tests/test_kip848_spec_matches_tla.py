"""The `kip848-spec` model has TLC's state spaces on Vanlightly's KIP-848 TLA+ spec.

Every number pinned here was produced by TLC 2.15 (tla2tools rev d5b5a7f, BFS, deadlock
checking off, no symmetry) on Vanlightly/kafka-tlaplus @ 823615e,
groupprotocol/consumer_group_protocol_kip_848_v2 with its cfg and the constants shown (see
bench/tlc/run_tlc.py and bench/tlc/reference.json).  TLC counts the initial state as depth 1;
we count transitions, so TLC's depth is ours + 1.  Both count a generated state per action
evaluation that yields one, the initial state included: the counts are equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import mutants.kip848_spec  # noqa: F401  (registers the mutants)
import pytest
from mutants import MUTANTS, make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import text_report
from kafkacheck.explorer.trace import replay
from kafkacheck.model.reference.kip848_spec import ACTIONS, Kip848SpecModel
from kafkacheck.testing import make_model

REFERENCE = Path(__file__).resolve().parents[1] / "bench" / "tlc" / "reference.json"
INVARIANTS = list(Kip848SpecModel.INVARIANTS)
ACTION_PROPERTIES = ["ClientSideMemberEpochIsMonotonic", "GcSideMemberEpochIsMonotonic"]


def spec(constants: tuple[int, int, int, int]) -> Kip848SpecModel:
    """The model for (Clients, TopicCount, PartitionsPerTopic, MaxPerturbations)."""
    clients, topics, ppt, maxp = constants
    model = make_model("kip848-spec", clients=clients, topic_count=topics,
                       partitions_per_topic=ppt, max_perturbations=maxp)
    assert isinstance(model, Kip848SpecModel)
    return model


# TLC on small constants: distinct, generated, depth (TLC's: initial state = 1).
TLC_SMALL = {
    (1, 1, 1, 1): (388, 708, 20),
    (1, 2, 1, 1): (568, 1_066, 20),
    (1, 2, 2, 1): (1_564, 3_130, 20),
    (1, 2, 1, 2): (38_299, 108_002, 30),
    (2, 1, 1, 0): (4_009, 9_511, 26),
    (2, 2, 1, 0): (7_673, 17_983, 26),
    (2, 2, 2, 0): (29_657, 68_815, 26),
}


@pytest.mark.parametrize("constants", list(TLC_SMALL), ids=lambda c: "C{}T{}P{}M{}".format(*c))
def test_small_state_spaces_equal_tlcs_and_every_invariant_holds(constants):
    distinct, generated, depth = TLC_SMALL[constants]
    result = breadth_first(spec(constants), INVARIANTS + ACTION_PROPERTIES)
    assert result.result == "holds" and result.complete
    assert (result.distinct_states, result.generated_states, result.depth) == (
        distinct, generated, depth - 1)


def tlc_reference(job: str) -> dict:
    """TLC's one-worker run of a job in bench/tlc/reference.json (its depth is exact), else
    its two-worker run."""
    entry = json.loads(REFERENCE.read_text())["results"][job]
    return entry.get("w1_run") or entry["run"]


def test_pinned_numbers_are_those_of_the_tlc_reference_file():
    for (c, t, p, m), numbers in TLC_SMALL.items():
        run = tlc_reference(f"KIP848-C{c}T{t}P{p}M{m}")
        assert (run["distinct"], run["generated"], run["depth"]) == numbers
        assert run["verdict"] == "holds"
    assert (tlc_reference("KIP848-C2T1P1M1")["distinct"], tlc_reference("KIP848")["distinct"]) \
        == (1_109_619, 9_630_295)


def test_every_action_of_next_is_taken():
    result = breadth_first(spec((1, 2, 1, 2)), ["TypeOK"])
    assert set(result.coverage) == set(ACTIONS)


# -- every property fails on a one-rule mutant, with its shortest counterexample ----------

# mutant -> (constants, transitions in the shortest trace to the violation)
MUTANT_RUNS = {
    "fence-while-unsubscribed": ((1, 2, 1, 2), 9),
    "assignor-skips-unsubscribed-topics": ((1, 2, 1, 1), 2),
    "assign-before-revoked": ((2, 2, 1, 0), 8),
    "revoked-partitions-epoch-cleared": ((1, 2, 1, 1), 8),
    "stable-ignores-target-epoch": ((1, 2, 1, 1), 6),
    "epoch-bump-while-revoking": ((2, 2, 1, 0), 9),
    "reconciliation-restores-start-epoch": ((2, 2, 1, 0), 9),
    "resubscribe-restarts-member-epoch": ((1, 2, 1, 2), 9),
}


def test_every_property_of_the_spec_has_a_mutant_that_breaks_it():
    broken = {p for (model, _), m in MUTANTS.items() if model == "kip848-spec"
              for p in m.breaks}
    assert broken == set(INVARIANTS + ACTION_PROPERTIES)
    assert {name for model, name in MUTANTS if model == "kip848-spec"} == set(MUTANT_RUNS)


@pytest.mark.parametrize("name", list(MUTANT_RUNS))
def test_the_mutant_breaks_its_property_with_the_shortest_counterexample(name):
    (clients, topics, ppt, maxp), length = MUTANT_RUNS[name]
    (prop,) = MUTANTS[("kip848-spec", name)].breaks
    model = make_mutant("kip848-spec", name, clients=clients, topic_count=topics,
                        partitions_per_topic=ppt, max_perturbations=maxp)
    result = breadth_first(model, [prop])
    violation = result.violation(prop)
    assert violation is not None and violation.trace is not None
    assert len(violation.trace) == length
    # the unmutated spec keeps the property on the same constants (TLC_SMALL runs them all)
    assert (clients, topics, ppt, maxp) in TLC_SMALL


def test_assigning_before_revocation_gives_one_partition_to_two_consumers():
    model = make_mutant("kip848-spec", "assign-before-revoked", clients=2, topic_count=2,
                        partitions_per_topic=1, max_perturbations=0)
    violation = breadth_first(model, ["NoDoubleClientAssignment"]).violation(
        "NoDoubleClientAssignment")
    last = violation.trace.steps[-1].state
    c1, c2 = model.client(last, 0), model.client(last, 1)
    assert c1.curr & c2.curr
    assert violation.trace.actions[-1][0] == "CompleteReconciliation"


# -- counterexamples a person can read -----------------------------------------------------

def test_counterexample_replays_from_its_labels_and_names_clients_and_actions():
    model = make_mutant("kip848-spec", "assign-before-revoked", clients=2, topic_count=2,
                        partitions_per_topic=1, max_perturbations=0)
    result = breadth_first(model, ["NoDoubleClientAssignment"], stop_at_first=True)
    trace = result.violation("NoDoubleClientAssignment").trace
    again = replay(model, trace.actions)
    assert again.steps[-1].state == trace.steps[-1].state
    report = text_report(result, diagrams=True)
    assert "NoDoubleClientAssignment" in report and "client_state[c2]" in report
    assert "ReceiveRegularHeartbeatRequest(c" in report


# -- the spec's own cfg (thorough: minutes) --------------------------------------------------

@pytest.mark.thorough
def test_two_clients_one_topic_one_perturbation_equal_tlcs():
    result = breadth_first(spec((2, 1, 1, 1)), INVARIANTS)
    assert result.result == "holds"
    assert (result.distinct_states, result.generated_states, result.depth) == (
        1_109_619, 3_353_191, 51)  # TLC: depth 52


@pytest.mark.thorough
def test_the_published_cfg_equals_tlcs_state_space_and_every_invariant_holds():
    result = breadth_first(spec((2, 2, 1, 1)), INVARIANTS)
    assert result.result == "holds"
    assert (result.distinct_states, result.generated_states, result.depth) == (
        9_630_295, 30_142_395, 55)  # TLC: depth 56
