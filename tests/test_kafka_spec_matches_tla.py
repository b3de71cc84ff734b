"""The `kafka-spec` model has TLC's state spaces and shortest counterexamples.

Every number pinned here was produced by TLC 2.15 (tla2tools rev d5b5a7f, BFS, deadlock
checking off, no symmetry unless stated) on hachikuji/kafka-specification @ d68782b with
FiniteReplicatedLog's TypeOk rewritten so TLC can evaluate it (see bench/tlc/run_tlc.py).
TLC counts the initial state as depth 1 and a trace by its states; we count transitions,
so TLC's depth and trace lengths are ours + 1.  TLC's "generated" counts a successor again
for each further disjunct that yields it; ``tlc_repeated_successors`` accounts for that.
"""

from __future__ import annotations

import pytest
from mutants import MUTANTS, make_mutant
from mutants.kafka_spec import EpochPastMax, LeaderOutsideIsr

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import text_report
from kafkacheck.explorer.trace import replay
from kafkacheck.model.reference.replication_spec import (
    VARIANT_CLASSES,
    VARIANTS,
    KafkaSpecModel,
    KafkaTruncateToHighWatermark,
    Kip101,
    Kip279,
    Kip320,
    Kip320FirstTry,
)
from kafkacheck.testing import make_model


def spec(variant: str, constants: tuple[int, int, int, int] = (3, 2, 2, 2),
         symmetry: int = 0) -> KafkaSpecModel:
    """The model for a variant and (Replicas, LogSize, MaxRecords, MaxLeaderEpoch)."""
    replicas, log_size, records, epochs = constants
    model = make_model("kafka-spec", variant=variant, replicas=replicas, log_size=log_size,
                       max_records=records, max_leader_epoch=epochs, symmetry=symmetry)
    assert isinstance(model, KafkaSpecModel)
    return model


def shortest_violation(variant: str, invariant: str,
                       constants: tuple[int, int, int, int] = (3, 2, 2, 2)) -> int:
    """Transitions in the shortest trace to a state violating ``invariant``."""
    return shortest_violations(variant, [invariant], constants)[invariant]


def shortest_violations(variant: str, invariants: list[str],
                        constants: tuple[int, int, int, int] = (3, 2, 2, 2)) -> dict[str, int]:
    """Shortest trace length per invariant; one search that stops once all are violated."""
    result = breadth_first(spec(variant, constants), invariants)
    lengths = {}
    for invariant in invariants:
        violation = result.violation(invariant)
        assert violation is not None and violation.trace is not None, f"{invariant} held"
        lengths[invariant] = len(violation.trace)
    return lengths


def expected(variant: str) -> dict[str, int]:
    """TLC's shortest trace lengths for a variant, converted to transitions."""
    return {name: states - 1 for name, states in TLC_TRACE_STATES[variant].items()}


def tlc_generated(model: KafkaSpecModel) -> tuple[int, int, int]:
    """(distinct, generated as TLC counts it, depth) by a plain breadth-first pass."""
    frontier = list(model.init_states())
    seen = set(frontier)
    generated, depth = len(frontier), 0
    while frontier:
        nxt = []
        for state in frontier:
            generated += model.tlc_repeated_successors(state)
            for _action, after in model.successors(state):
                generated += 1
                if after not in seen:
                    seen.add(after)
                    nxt.append(after)
        frontier = nxt
        depth += bool(nxt)
    return len(seen), generated, depth


# -- the four variants that lose committed data (LogSize 2, MaxRecords 2, 3 replicas) -------

# TLC's shortest counterexamples, in states (initial state included), one worker.
TLC_TRACE_STATES = {
    "truncate-to-high-watermark": {"StrongIsr": 9, "WeakIsr": 9},
    "kip101": {"StrongIsr": 11, "WeakIsr": 11},
    "kip279": {"StrongIsr": 11, "WeakIsr": 11},
    "kip320-first-try": {"StrongIsr": 13, "WeakIsr": 12},
}


def test_truncate_to_high_watermark_loses_committed_data_like_tlc():
    variant = "truncate-to-high-watermark"
    assert shortest_violations(variant, ["StrongIsr", "WeakIsr"]) == expected(variant)


def test_kip101_epoch_lookup_still_loses_committed_data_like_tlc():
    variant = "kip101"
    assert shortest_violations(variant, ["StrongIsr", "WeakIsr"]) == expected(variant)


def test_kip279_matching_offsets_still_lose_committed_data_like_tlc():
    variant = "kip279"
    assert shortest_violations(variant, ["StrongIsr", "WeakIsr"]) == expected(variant)


def test_kip320_first_try_loses_committed_data_like_tlc():
    variant = "kip320-first-try"
    assert shortest_violations(variant, ["StrongIsr", "WeakIsr"]) == expected(variant)


def test_truncating_to_the_high_watermark_loses_a_record_the_leader_exposed():
    result = breadth_first(spec("truncate-to-high-watermark"), ["StrongIsr"],
                           stop_at_first=True)
    trace = result.violation("StrongIsr").trace
    assert [a[0] for a in trace.actions][-2:] == [
        "LeaderIncHighWatermark", "BecomeFollowerTruncateToHighWatermark"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_leader_in_isr_is_false_in_the_initial_state_like_tlc(variant):
    # quorumState.leader starts as None, which is never in the ISR: TLC's trace is 1 state
    assert shortest_violation(variant, "LeaderInIsr") == 0


# -- whole state spaces with smaller constants (always run) ---------------------------------

# TLC on Replicas = {r1, r2}, LogSize 2, MaxRecords 2, MaxLeaderEpoch 2:
# distinct, generated, depth (TLC's), verdict of StrongIsr, of WeakIsr (trace states).
TLC_TWO_REPLICAS = {
    "truncate-to-high-watermark": (10_131, 24_459, 20, 10, 9),
    "kip101": (9_045, 21_447, 18, 12, 12),
    "kip279": (9_027, 23_425, 18, None, None),
    "kip320-first-try": (8_429, 19_387, 18, None, None),
    "kip320": (5_973, 11_839, 18, None, None),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_two_replica_state_spaces_equal_tlcs(variant):
    distinct, generated, depth, strong, weak = TLC_TWO_REPLICAS[variant]
    model = spec(variant, (2, 2, 2, 2))
    assert tlc_generated(model) == (distinct, generated, depth - 1)
    result = breadth_first(model, ["TypeOk"])
    assert result.result == "holds" and result.distinct_states == distinct
    for invariant, states in (("StrongIsr", strong), ("WeakIsr", weak)):
        if states is None:
            assert breadth_first(model, [invariant]).result == "holds"
        else:
            assert shortest_violation(variant, invariant, (2, 2, 2, 2)) == states - 1


def test_kip320_with_one_record_keeps_committed_data_in_tlcs_97531_states():
    model = spec("kip320", (3, 2, 1, 2))
    result = breadth_first(model, ["StrongIsr"])
    assert result.result == "holds"
    assert (result.distinct_states, result.depth) == (97_531, 21)  # TLC: depth 22
    assert tlc_generated(model) == (97_531, 241_543, 21)


def test_broker_symmetry_gives_tlcs_symmetric_state_count():
    # TLC with SYMMETRY Permutations(Replicas): 16,345 distinct states
    result = breadth_first(spec("kip320", (3, 2, 1, 2), symmetry=1), ["StrongIsr"])
    assert result.symmetry and result.result == "holds"
    assert result.distinct_states == 16_345


# -- counterexamples a person can read -----------------------------------------------------

def test_counterexample_replays_from_its_labels_and_names_brokers():
    model = spec("truncate-to-high-watermark")
    result = breadth_first(model, ["StrongIsr"], stop_at_first=True)
    trace = result.violation("StrongIsr").trace
    again = replay(model, trace.actions)
    assert again.steps[-1].state == trace.steps[-1].state
    report = text_report(result, diagrams=True)
    assert "Broker1" in report and "StrongIsr" in report
    assert "BecomeFollowerTruncateToHighWatermark(" in report


# -- the headline run (slow: about 10 s; the thorough profile and bench/spec_bench.py run it,
# the default suite the 97,531-state one above) -----------------------------------------

@pytest.mark.slow
@pytest.mark.thorough
def test_kip320_keeps_committed_data_in_all_737794_states_like_tlc():
    result = breadth_first(spec("kip320"), ["WeakIsr", "StrongIsr"])
    assert result.result == "holds"
    assert result.distinct_states == 737_794
    assert result.depth == 25  # TLC reports 26: it counts the initial state as depth 1


# -- the variants are layered like the TLA+ modules ------------------------------------------

def overridden(cls: type) -> set[str]:
    """The methods a class defines itself (its rules and rule builders)."""
    return {name for name, value in vars(cls).items()
            if callable(value) and not name.startswith("__")}


def test_each_variant_overrides_the_rules_its_tla_module_redefines():
    # KafkaTruncateToHighWatermark, Kip101 and Kip279 EXTEND KafkaReplication and differ
    # only in the offset a new follower truncates to.
    for cls in (KafkaTruncateToHighWatermark, Kip101, Kip279):
        assert cls.__bases__ == (KafkaSpecModel,)
        assert overridden(cls) == {"truncation_offsets"}
    # Kip320FirstTry and Kip320 EXTEND Kip279 and redefine the leader and follower actions.
    leader_and_follower = {"leader_expand_isr", "leader_shrink_isr",
                           "leader_inc_high_watermark", "become_follower", "follower_fetch"}
    assert Kip320.__bases__ == Kip320FirstTry.__bases__ == (Kip279,)
    assert overridden(Kip320) == leader_and_follower
    assert overridden(Kip320FirstTry) == leader_and_follower | {"follower_truncate"}
    assert {v: cls.module for v, cls in VARIANT_CLASSES.items()} == VARIANTS


def test_the_variant_bound_builds_the_variant_class():
    for variant, cls in VARIANT_CLASSES.items():
        model = spec(variant, (2, 1, 1, 0))
        assert type(model) is cls and model.variant == variant
    symmetric = spec("kip101", (2, 1, 1, 0), symmetry=1)
    assert isinstance(symmetric, Kip101) and type(symmetric).canonical is not Kip101.canonical


# -- the invariants the spec never breaks fail on a mutant (tests/mutants/kafka_spec.py) --


@pytest.mark.parametrize("name,prop,length,cls", [
    ("leader-outside-isr", "LeaderInIsrWhenLeader", 1, LeaderOutsideIsr),
    ("epoch-past-max", "TypeOk", 4, EpochPastMax),
])
def test_the_invariants_the_spec_never_breaks_fail_on_a_mutant(name, prop, length, cls):
    model = make_mutant("kafka-spec", name)
    assert type(model) is cls and MUTANTS[("kafka-spec", name)].breaks == (prop,)
    assert len(overridden(cls)) == 1  # one rule
    violation = breadth_first(model, [prop]).violation(prop)
    assert len(violation.trace) == length
    assert breadth_first(spec("kip320", (2, 1, 1, 1)), [prop]).result == "holds"


def test_spec_states_are_replica_codes_and_a_controller_code_read_by_name():
    # A plain tuple of ints (a NamedTuple per broker count cost 16% of the Kip320 run);
    # every field is read through the typed decoders.
    model = spec("kip320", (2, 1, 1, 1))
    state = model.init_states()[0]
    assert type(state) is tuple and all(type(x) is int for x in state)
    replica = model.t.dec[state[0]]
    assert (replica.leader, replica.leader_epoch, replica.length) == (model.t.none, -1, 0)
    controller = model.t.cdec[state[-1]]
    assert (controller.quorum_isr, controller.next_leader_epoch) == (0b11, 0)
