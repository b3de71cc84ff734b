"""Symmetry reduction (``--bound symmetry=1``) renames only what Kafka cannot tell apart.

A renaming of brokers is a symmetry only if it maps each partition's replica order onto a
partition's replica order (elections pick the first live ISR replica in that order);
dedicated KRaft controllers are interchangeable.  The exhaustive checks below show, on every
reachable state of small configurations, that a state and its representative have the same
successors up to renaming (action families included: weak fairness is by family) and the
same verdict for every property, so the reduced search is complete; and that verdicts, and
counterexamples replayed on the un-reduced model, are the same with symmetry on and off.
"""

from __future__ import annotations

from collections import Counter

import pytest
from mutants import make_mutant

from kafkacheck.config import build_config
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.native import fingerprint
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.explorer.render import result_json, summary_line, text_report
from kafkacheck.explorer.trace import replay
from kafkacheck.model import presets
from kafkacheck.model.cluster import symmetry as sym
from kafkacheck.model.cluster.replication import ReplicationModel, ReplicationState
from kafkacheck.model.interface import Model, uses_symmetry
from kafkacheck.properties.base import eventually
from kafkacheck.testing import make_model

RF2 = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "1"}
RF2_ACKS1 = {"acks": "1", "replication.factor": "2"}
SEPARATE = {"process.roles": "broker", "acks": "1"}

# (model, settings, bounds, renamings, distinct states without and with symmetry)
CASES = [
    ("replication", RF2, {"partitions": 2, "records": 1}, 2, 1_535, 768),
    ("replication", RF2_ACKS1, {"partitions": 2, "records": 2, "crash_kind": "process"},
     2, 5_613, 2_807),
    ("replication", {"acks": "all", "replication.factor": "1"},
     {"partitions": 3, "records": 2, "crashes": 1}, 6, 3_293, 647),
    ("controller", SEPARATE, {"brokers": 1, "controllers": 3, "records": 1, "crashes": 1,
                              "restarts": 1}, 6, 3_527, 1_969),
    ("controller", {"acks": "all"}, {"brokers": 2, "controllers": 2, "partitions": 2,
                                     "records": 1}, 2, 117, 104),
]


def build(name, settings, bounds, symmetry):
    return make_model(name, settings, **bounds, symmetry=symmetry)


def successors_up_to_renaming(model, state, steps):
    """(family, class fingerprint, step verdicts) of every successor, as a multiset."""
    canon = model.canonical
    return Counter((action[0], fingerprint(canon(nxt)),
                    tuple(p.step(state, action, nxt) for p in steps))
                   for action, nxt in model.successors(state))


def assert_symmetric(model, limit=20_000):
    """Every reachable state and its representative: same successors up to renaming, same
    verdicts (the condition for the reduced search to be complete, liveness included)."""
    props = model.properties()
    steps = [p for p in props if p.is_step]
    preds = [p.holds for p in props if not p.is_step]
    preds += [p.trigger for p in props if p.trigger is not None]
    seen, frontier, checked = set(), list(model.init_states()), 0
    while frontier:
        state = frontier.pop()
        if state in seen:
            continue
        seen.add(state)
        assert len(seen) <= limit, "pick a smaller configuration"
        rep = model.canonical(state)
        assert model.canonical(rep) == rep
        assert [f(state) for f in preds] == [f(rep) for f in preds], state
        assert successors_up_to_renaming(model, state, steps) == \
            successors_up_to_renaming(model, rep, steps), state
        checked += rep != state
        frontier.extend(nxt for _, nxt in model.successors(state))
    return len(seen), checked


def test_brokers_are_renamed_only_with_the_partitions_whose_replica_order_they_take():
    def count(orders, n):
        return len(sym.assignment_renamings(orders, n))

    def round_robin(n, partitions):
        return [tuple((p + i) % n for i in range(n)) for p in range(partitions)]

    assert count(round_robin(3, 1), 3) == 1  # B2 is elected before B3: no symmetry
    assert count(round_robin(3, 2), 3) == 1
    assert count(round_robin(2, 2), 2) == 2  # swap B1, B2 with p0, p1
    assert count(round_robin(3, 3), 3) == 3  # the rotations
    assert count(round_robin(2, 4), 2) == 8  # p0~p2 and p1~p3, then the rotation
    assert count(round_robin(1, 3), 1) == 6  # one broker: the partitions are alike


def test_dedicated_controllers_are_interchangeable_and_combined_ones_stay_with_their_broker():
    one = [(0, 1, 2)]
    assert len(sym.controller_renamings(one, 3, 3, combined=False)) == 6
    assert len(sym.controller_renamings(one, 3, 3, combined=True)) == 1
    rotations = [(0, 1), (1, 0)]
    combined = sym.controller_renamings(rotations, 2, 2, combined=True)
    assert [r.controllers for r in combined] == [(0, 1), (1, 0)]
    # Combined nodes with controllers on B1 only: B1 cannot move, so nothing is renamed.
    assert len(sym.controller_renamings(rotations, 2, 1, combined=True)) == 1


# (model, settings, bounds, renamings, reachable states, states that are not their class's
# representative): every reachable state is checked against its representative.
SYMMETRIC = [
    ("replication", RF2, {"partitions": 2, "records": 1}, 2, 1_535, 767),
    ("replication", {**RF2, "min.insync.replicas": "2", "flush.messages": "2",
                     "eligible.leader.replicas.version": "1"},
     {"partitions": 2, "records": 1, "crash_kind": "power-loss"}, 2, 1_181, 590),
    ("replication", {"acks": "all", "replication.factor": "1"},
     {"partitions": 3, "records": 1, "crashes": 1}, 6, 209, 150),
    ("controller", SEPARATE, {"brokers": 1, "controllers": 3, "records": 1, "crashes": 1,
                              "restarts": 1}, 6, 3_527, 1_837),
    ("controller", {"acks": "all"}, {"brokers": 2, "controllers": 2, "partitions": 2,
                                     "records": 1}, 2, 117, 39),
]
SYMMETRIC_THOROUGH = [
    ("replication", {**RF2, "unclean.leader.election.enable": "true"},
     {"partitions": 2, "records": 1, "crashes": 1, "leader_changes": 1,
      "lost_acks": 1, "crash_kind": "process"}, 2, 16_614, 8_303),
    ("replication", RF2_ACKS1, {"partitions": 4, "records": 1, "crashes": 1,
                                "crash_kind": "process"}, 8, 17_703, 14_895),
    ("controller", {"acks": "all", "process.roles": "broker"},
     {"brokers": 2, "controllers": 2, "partitions": 2, "records": 1}, 4, 2_945, 1_475),
]


def _check_symmetric(case):
    name, settings, bounds, renamings, states, renamed = case
    model = build(name, settings, bounds, 1)
    assert len(model.renamings) == renamings and uses_symmetry(model)
    assert assert_symmetric(model, limit=60_000) == (states, renamed)


@pytest.mark.parametrize("case", SYMMETRIC, ids=lambda c: f"{c[0]}-{c[4]}")
def test_a_state_and_its_representative_have_the_same_successors_and_verdicts(case):
    _check_symmetric(case)


@pytest.mark.thorough
@pytest.mark.parametrize("case", SYMMETRIC_THOROUGH, ids=lambda c: f"{c[0]}-{c[4]}")
def test_every_fault_and_leader_move_keeps_successors_and_verdicts_up_to_renaming(case):
    _check_symmetric(case)


def test_the_check_catches_a_renaming_that_ignores_the_replica_order():
    # Swapping B2 and B3 of a one-partition topic is not a symmetry: with B1 fenced, B2 is
    # elected, never B3.  The exhaustive check must notice.
    model = build("replication", {"acks": "all", "replication.factor": "3"},
                  {"records": 1, "crashes": 1, "crash_kind": "process"}, 0)
    wrong = [sym.Renaming((0, 1, 2), (0,)), sym.Renaming((0, 2, 1), (0,))]
    model.canonical = sym.replication_canonical(wrong, 3, ReplicationState)
    with pytest.raises(AssertionError):
        assert_symmetric(model)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[3]}-{c[4]}")
def test_symmetry_on_and_off_give_the_same_verdicts_and_replayable_counterexamples(case):
    name, settings, bounds, _, plain_count, reduced_count = case
    plain = breadth_first(build(name, settings, bounds, 0))
    model = build(name, settings, bounds, 1)
    reduced = breadth_first(model)
    assert reduced.symmetry and not plain.symmetry
    assert (plain.distinct_states, reduced.distinct_states) == (plain_count, reduced_count)
    verdicts = {p.name: plain.verdict(p) for p in plain.properties}
    assert verdicts == {p.name: reduced.verdict(p) for p in reduced.properties}
    lengths = {v.property.name: len(v.trace.steps) for v in plain.violations}
    assert lengths == {v.property.name: len(v.trace.steps) for v in reduced.violations}
    unreduced = build(name, settings, bounds, 0)
    for violation in reduced.violations:
        steps = violation.trace.steps
        again = replay(unreduced, [s.action for s in steps[1:]])
        assert [s.state for s in again.steps] == [s.state for s in steps]
        if violation.reason == "liveness":
            assert steps[violation.trace.loop_start].state == steps[-1].state
        elif not violation.property.is_step:
            assert not violation.property.holds(steps[-1].state)


# Presets (model/presets.py) over three partitions, so that the brokers' rotations are
# symmetries: (preset, bounds added, distinct states off and on, shortest counterexamples).
PRESETS_THOROUGH = [
    ("acks1-loss", {"partitions": 3, "records": 1}, 117_970, 39_324,
     {"NoAckedWriteLost": 4, "CommittedRecordsStay": 8}),
    ("unclean-loss", {"partitions": 3, "records": 1}, 228_868, 76_290,
     {"NoAckedWriteLost": 8, "CommittedRecordsStay": 7}),
    ("power-loss", {"partitions": 3, "records": 1}, 208_708, 69_570,
     {"NoAckedWriteLost": 9, "CommittedRecordsStay": 8}),
]


def _preset_runs(name, extra):
    """The preset with ``extra`` bounds, breadth-first with symmetry off then on."""
    preset = presets.PRESETS[name]
    runs = []
    for symmetry in (0, 1):
        model = make_model(preset.model, preset.settings, kafka_version=preset.kafka_version,
                           **{**preset.bounds, **extra, "symmetry": symmetry})
        runs.append(breadth_first(model, list(preset.properties)))
    return runs


@pytest.mark.thorough
@pytest.mark.parametrize("case", PRESETS_THOROUGH, ids=lambda c: c[0])
def test_presets_keep_their_verdicts_and_shortest_counterexamples_under_symmetry(case):
    name, extra, plain_count, reduced_count, lengths = case
    plain, reduced = _preset_runs(name, extra)
    assert (plain.distinct_states, reduced.distinct_states) == (plain_count, reduced_count)
    assert (plain.symmetry, reduced.symmetry) == ("", "brokers and partitions")
    assert {p.name: plain.verdict(p) for p in plain.properties} == \
        {p.name: reduced.verdict(p) for p in reduced.properties}
    for result in (plain, reduced):
        assert {v.property.name: len(v.trace.steps) for v in result.violations} == lengths


def test_a_liveness_violation_is_found_under_symmetry_and_replays_unreduced():
    # The never-commit mutant leaves an acks=all request waiting forever.
    bounds = {"partitions": 2, "records": 1, "crash_kind": "process"}
    found = []
    for symmetry in (0, 1):
        mutant = make_mutant("replication", "never-commit", RF2, symmetry=symmetry, **bounds)
        result = breadth_first(mutant, ["ProduceRequestsComplete"])
        found.append((result.distinct_states, result.violation("ProduceRequestsComplete")))
    (plain_states, plain), (states, reduced) = found
    assert (plain_states, states) == (383, 192)
    assert plain.reason == reduced.reason == "liveness"
    assert len(plain.trace.steps) == len(reduced.trace.steps) == 12
    unreduced = make_mutant("replication", "never-commit", RF2, symmetry=0, **bounds)
    again = replay(unreduced, reduced.trace.actions)
    assert [s.state for s in again.steps] == [s.state for s in reduced.trace.steps]


class Swap(Model):
    """Two slots whose values trade places forever: renaming the slots is a symmetry."""

    name = "swap"

    def init_states(self):
        return [(0, 1)]

    def successors(self, state):
        yield ("Swap",), (state[1], state[0])

    def properties(self):
        return [eventually("NeverDone", "a state that never comes", lambda s: False,
                           fairness=("Swap",))]

    def canonical(self, state):
        return min(state, state[::-1])


def test_a_lasso_whose_cycle_returns_to_a_renamed_state_is_unrolled_until_it_closes():
    # Under symmetry one Swap is a cycle (the class returns to itself); the concrete trace
    # needs two swaps to come back to the very same state.
    model = Swap(build_config(Swap))
    trace = breadth_first(model).violation("NeverDone").trace
    states = [s.state for s in trace.steps]
    assert all(after == before[::-1] for before, after in zip(states, states[1:], strict=False))
    assert states[trace.loop_start] == states[-1]
    assert (len(states) - 1 - trace.loop_start) % 2 == 0


def test_parallel_workers_count_the_same_classes_as_one_process():
    name, settings, bounds = CASES[1][:3]
    one = breadth_first(build(name, settings, bounds, 1))
    two = parallel_breadth_first(build(name, settings, bounds, 1), workers=2)
    assert (two.distinct_states, two.generated_states) == (one.distinct_states,
                                                           one.generated_states)
    assert two.symmetry


def test_symmetry_with_nothing_to_rename_says_so_and_explores_every_state():
    model = build("replication", {"acks": "all", "replication.factor": "3"}, {"records": 1}, 1)
    assert not uses_symmetry(model)
    assert sym.NOTHING_TO_RENAME in model.notes()
    assert breadth_first(model).symmetry == ""


def test_a_reduced_result_says_what_it_renamed_beside_its_counts():
    # Counts of classes must not be read as counts of states: the summary line, the text
    # report and the JSON name what was renamed; a plain run names nothing.
    name, settings, bounds = CASES[0][:3]
    reduced = breadth_first(build(name, settings, bounds, 1))
    plain = breadth_first(build(name, settings, bounds, 0))
    assert reduced.symmetry == "brokers and partitions" and plain.symmetry == ""
    assert "768 distinct states (symmetry: brokers and partitions)" in summary_line(reduced)
    assert "symmetry: brokers and partitions - states equal up to renaming brokers and " \
        "partitions are explored once (2 renamings); the state counts are of classes" \
        in text_report(reduced, diagrams=False)
    assert result_json(reduced)["symmetry"] == "brokers and partitions"
    assert "symmetry" not in summary_line(plain)
    assert "symmetry:" not in text_report(plain, diagrams=False)
    assert result_json(plain)["symmetry"] is None
    dedicated = build("controller", SEPARATE, {"brokers": 1, "controllers": 3}, 1)
    assert dedicated.symmetry_over == "controllers"
    assert build("replication", {"acks": "all", "replication.factor": "1"},
                 {"partitions": 3}, 1).symmetry_over == "partitions"


def test_symmetry_is_off_by_default():
    assert ReplicationModel.bounds[-1].name == "symmetry"
    assert not uses_symmetry(make_model("replication", RF2, partitions=2))
    assert not uses_symmetry(make_model("controller", SEPARATE))


def _swap_consumers(state):
    """A group state with consumers C1 and C2 renamed into each other."""
    def swap(mask):
        return (mask & ~3) | (mask & 1) << 1 | (mask >> 1 & 1)

    leader = {0: 1, 1: 0}.get(state.leader, state.leader)
    return state._replace(members=swap(state.members), joined=swap(state.joined),
                          leader=leader, assignment=state.assignment[::-1],
                          subscriptions=state.subscriptions[::-1],
                          consumers=state.consumers[::-1])


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_group_members_are_not_interchangeable_since_assignors_order_them_by_member_id(
        strategy):
    # The group model therefore gets no member symmetry (only its generation renumbering):
    # Kafka's assignors sort members by member.id (or group.instance.id), so with C1 and
    # C2 both joined the range assignor hands p0 to C1, never to C2; and a leader that
    # leaves is replaced by the lowest member.  Renaming C1 and C2 changes successors.
    model = make_model("group", {"partition.assignment.strategy": strategy},
                       consumers=2, partitions=1, records=1)
    renumber = model.canonical
    model.canonical = lambda s: min(renumber(s), renumber(_swap_consumers(s)))
    with pytest.raises(AssertionError):
        assert_symmetric(model)


def test_kip848_epoch_renumbering_is_an_automorphism_under_the_rules_that_only_compare():
    from kafkacheck.testing import make_model

    model = make_model("group-consumer", {}, consumers=2, topics=2, partitions=1,
                       subscription_changes=1)
    states, renamed = assert_symmetric(model)
    # (9341, 3846) while the state kept the last committer, which nothing reads
    assert (states, renamed) == (2747, 826)


def test_kip848_before_kafka_19974_is_explored_unreduced():
    # A member's epoch + 1 after a revocation (4.0, 4.1) does not commute with renumbering:
    # epoch 1 of a revoking member became the group epoch 2 where the real group epoch was 3.
    from kafkacheck.model.interface import symmetry_label, uses_symmetry
    from kafkacheck.testing import make_model

    for version, reduced in (("4.0", False), ("4.1", False), ("4.4", True)):
        model = make_model("group-consumer", {}, kafka_version=version, consumers=2)
        assert uses_symmetry(model) is reduced, version
        assert symmetry_label(model) == ("epochs" if reduced else ""), version
