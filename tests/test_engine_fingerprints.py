"""Fingerprints a reviewer can trust: no structural collisions, the C and Python twins agree,
every model's states are what the interface promises, and rebuilt traces are re-checked."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutants import make_mutant

from kafkacheck.config import UsageError, build_config
from kafkacheck.explorer import native
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.trace import TraceMismatch
from kafkacheck.model import presets, registry
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import always
from kafkacheck.testing import make_model


class Pair(NamedTuple):
    left: int
    right: tuple


def test_minus_one_and_minus_two_get_different_fingerprints_unlike_python_hash():
    assert hash((0, -1)) == hash((0, -2))  # CPython: hash(-1) == hash(-2)
    assert native.fingerprint((0, -1)) != native.fingerprint((0, -2))
    assert native.fingerprint(((), 1)) != native.fingerprint(((1,),))  # nesting is encoded


def test_equal_states_get_equal_fingerprints_whatever_their_tuple_class():
    assert native.fingerprint(Pair(1, (True, 2))) == native.fingerprint((1, (1, 2)))


leaf = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.sampled_from([-1, -2, 0]))
states = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(tuple),
    st.tuples(inner, st.lists(inner, max_size=3).map(tuple)).map(lambda t: Pair(*t))),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(states)
def test_the_c_and_python_twins_compute_the_same_fingerprint_and_packing(state):
    assert native.fingerprint(state) == native.py_fingerprint(state)
    c_classes: dict = {}
    py_classes: dict = {}
    packed = native.pack(state, c_classes)
    assert packed == native.py_pack(state, py_classes)
    for unpack in (native.unpack, native.py_unpack):
        again = unpack(packed, list(c_classes))
        assert again == state and repr(again) == repr(state)


def test_a_state_holding_something_else_than_ints_bools_and_tuples_is_refused():
    for bad in ((1, None), (1, "a"), (1.5,), (1, 2**64)):
        with pytest.raises((TypeError, OverflowError)):
            native.fingerprint(bad)


def test_the_visited_table_records_each_fingerprint_once_with_its_first_parent():
    table = native.Table()
    assert table.add(5, 0) and not table.add(5, 9)
    assert table.parent(5) == 0 and table.parent(6) is None and 5 in table and len(table) == 1
    many = [native.fingerprint((i,)) for i in range(100_000)]
    assert all(table.add(fp, 5) for fp in many) and len(table) == 100_001
    again = native.Table()
    again.load(table.dump())
    assert len(again) == 100_001 and all(again.parent(fp) == 5 for fp in many[::997])
    assert table.nbytes() <= 100_001 * 16 / 0.375 + 64 * 64 * 16


def test_a_complete_run_reports_the_chance_of_a_fingerprint_collision():
    result = breadth_first(make_model("twophase", rms=3))
    assert result.complete and result.distinct_states == 288
    assert result.collision_probability == pytest.approx(288 * 287 / 2**65)
    partial = breadth_first(make_model("twophase", rms=3), max_states=10)
    assert partial.collision_probability is None


def _walk(model: Model, limit: int = 3000):
    seen: set = set()
    queue = deque(model.init_states())
    while queue and len(seen) < limit:
        state = queue.popleft()
        if state in seen:
            continue
        seen.add(state)
        yield state
        queue.extend(nxt for _, nxt in model.successors(state))


@pytest.mark.parametrize("name", registry.available())
def test_every_model_state_is_made_of_ints_bools_and_tuples_only(name):
    cls = registry.model_class(name)
    try:
        config = build_config(cls)
    except UsageError:
        # A model that needs a setting to run (transactions: a transactional.id) is
        # walked under its first preset.
        preset = next(p for p in presets.PRESETS.values() if p.model == name)
        config = build_config(cls, list(preset.settings.items()),
                              bounds=[(k, str(b)) for k, b in preset.bounds.items()])
    model = cls(config)
    count = 0
    for state in _walk(model):
        count += 1
        # Successors share parts with their source: the C module keeps those parts'
        # digests, and must still agree with the Python twin, which keeps nothing.
        assert native.fingerprint(state) == native.py_fingerprint(state)
        for value in native.leaves(state):
            assert type(value) in (int, bool), f"{name}: a state holds {value!r}"
            assert -(2**63) <= value < 2**63
        canonical = model.canonical(state)
        assert native.unpack(native.pack(canonical, classes := {}), list(classes)) == canonical
    assert count > 1


def test_a_chunk_unpacks_a_repeated_part_once_and_every_state_as_packed():
    part = Pair(1, (2, (3, 4)))
    states = [(part, 1), (part, 2), (Pair(9, (2, (3, 4))), 3), ((part, 4), 5)]
    buffer, classes = bytearray(), {}
    for i, state in enumerate(states):
        native.append_record(buffer, i + 1, 0, state, classes)
    for records in (native.records, native.py_records):
        out = records(bytes(buffer), list(classes))
        assert [(fp, parent) for fp, parent, _ in out] == [(1, 0), (2, 0), (3, 0), (4, 0)]
        assert [state for _, _, state in out] == states
        assert repr([state for _, _, state in out]) == repr(states)  # the classes too
    out = [state for _, _, state in native.records(bytes(buffer), list(classes))]
    assert out[0][0] is out[1][0]  # the same bytes: one object
    assert out[2][0] is not out[0][0] and out[2][0][1] is out[0][0][1]  # its (2, (3, 4))
    assert out[3][0][0] is out[0][0]  # a part's part is shared too


def test_a_batch_sent_to_another_shard_is_absorbed_as_the_plain_records_of_the_new_states():
    # Records sent between shards carry their length, so the owner skips them unread.
    states = [(Pair(1, (2, 3)), 0), ((4, (5,)), -1), (Pair(1, (2, 3)), 7)]
    for append, absorb in ((native.append_sized, native.absorb_sized),
                           (native.py_append_sized, native.py_absorb_sized)):
        sized, plain, classes = bytearray(), bytearray(), {}
        for i, state in enumerate(states):
            append(sized, 10 + i, 1, state, classes)
            if i != 1:
                native.append_record(plain, 10 + i, 1, state, classes)
        table, out = native.Table(), bytearray()
        table.add(11, 0)  # the second state's owner has it already
        assert absorb(bytes(sized), table, out) == 2
        kept = [(fp, parent, state) for fp, parent, state in native.records(bytes(out),
                                                                            list(classes))]
        assert kept == [(10, 1, states[0]), (12, 1, states[2])]
        assert table.parent(10) == 1 and table.parent(11) == 0 and len(table) == 3
        assert bytes(out) == bytes(plain)  # the records a frontier holds, unsized
    with pytest.raises(ValueError, match="corrupt"):
        native.absorb_sized(bytes(sized)[:-1], native.Table(), bytearray())


def test_a_state_belongs_to_the_fingerprint_of_its_part_modulo_the_shards():
    state = (Pair(1, (2, 3)), 5, (9, 9))
    for count in (2, 3, 4):
        expected = native.fingerprint(state[0]) % count
        assert native.owner(state, 77, 0, count) == expected  # the part's digest, walked
        native.fingerprint(state)  # the part's digest is now kept by object
        assert native.owner(state, 77, 0, count) == expected == native.py_owner(state, 77, 0,
                                                                               count)
        assert native.owner(state, 77, 1, count) == native.fingerprint(5) % count
        assert native.owner(state, 77, -1, count) == 77 % count == native.py_owner(
            state, 77, -1, count)
    with pytest.raises(IndexError):
        native.owner(state, 77, 3, 2)
    with pytest.raises(ValueError):
        native.owner(state, 77, 0, 0)


def test_a_part_deeper_than_the_parts_of_parts_is_built_again_equal():
    deep = [((((9, 9), i), i), 0) for i in (1, 2)]
    buffer, classes = bytearray(), {}
    for i, state in enumerate(deep):
        native.append_record(buffer, i + 1, 0, state, classes)
    out = [state for _, _, state in native.records(bytes(buffer), list(classes))]
    assert out == deep and out[0][0][0][0] == out[1][0][0][0] == (9, 9)
    assert out[0][0][0][0] is not out[1][0][0][0]


class Other(NamedTuple):
    value: int


def test_a_shared_part_is_packed_with_the_class_numbers_of_the_dict_given():
    # The C module keeps the packed bytes of parts it met; they number classes as the dict
    # they were packed with, so another dict must not get them.
    state = (Pair(1, (2, 3)), 0)
    assert native.pack(state, first := {}) == native.py_pack(state, {})
    assert first == {Pair: 0}
    packed = native.pack(state, other := {Other: 0})
    assert packed == native.py_pack(state, {Other: 0}) and other == {Other: 0, Pair: 1}
    assert native.unpack(packed, list(other)) == state
    assert repr(native.unpack(packed, list(other))) == repr(state)


def test_states_that_share_parts_get_the_fingerprints_of_equal_states_built_apart():
    shared = (7, (8, 9))
    first, second = (shared, 1), (shared, 2)
    apart = ((7, (8, 9)), 2)
    assert native.fingerprint(first) != native.fingerprint(second)
    assert native.fingerprint(second) == native.fingerprint(apart)
    assert native.fingerprint(second) == native.py_fingerprint(second)


class Flaky(Model):
    """A model whose successors change between calls: replay cannot find its own trace."""

    name = "flaky"
    fields = ("n",)

    def __init__(self, config):
        super().__init__(config)
        self.calls = 0

    def init_states(self):
        return [(0,)]

    def successors(self, state):
        self.calls += 1
        if state[0] < 3:
            yield ("Up",), (state[0] + 1 + (self.calls > 4),)

    def properties(self):
        return [always("Small", "n stays below 3", lambda s: s[0] < 3)]


def test_a_rebuilt_trace_that_does_not_replay_fails_loudly():
    with pytest.raises(TraceMismatch):
        breadth_first(Flaky(build_config(Flaky)))


def test_without_the_c_module_the_search_finds_the_same_states(monkeypatch):
    from kafkacheck.explorer import search, trace

    native_run = breadth_first(make_mutant("twophase", "early-commit"))
    monkeypatch.setattr(trace, "fingerprint", native.py_fingerprint)
    monkeypatch.setattr(search, "Table", native.PyTable)
    monkeypatch.setattr(search, "append_record", native.py_append_record)
    monkeypatch.setattr(search, "records", native.py_records)
    python_run = breadth_first(make_mutant("twophase", "early-commit"))
    assert python_run.distinct_states == native_run.distinct_states
    assert python_run.generated_states == native_run.generated_states
    assert [v.trace.actions for v in python_run.violations] == \
        [v.trace.actions for v in native_run.violations]


def test_without_the_c_module_the_sharded_search_exchanges_the_same_states(monkeypatch):
    from kafkacheck.explorer import search, trace
    from kafkacheck.explorer.parallel import parallel_breadth_first

    native_run = parallel_breadth_first(make_mutant("twophase", "early-commit"), workers=2)
    monkeypatch.setattr(trace, "fingerprint", native.py_fingerprint)
    monkeypatch.setattr(search, "Table", native.PyTable)
    monkeypatch.setattr(search, "append_record", native.py_append_record)
    monkeypatch.setattr(search, "records", native.py_records)
    monkeypatch.setattr(search, "append_sized", native.py_append_sized)
    monkeypatch.setattr(search, "absorb_sized", native.py_absorb_sized)
    python_run = parallel_breadth_first(make_mutant("twophase", "early-commit"), workers=2)
    assert (python_run.distinct_states, python_run.generated_states) == \
        (native_run.distinct_states, native_run.generated_states)
    assert [v.trace.actions for v in python_run.violations] == \
        [v.trace.actions for v in native_run.violations]
    # one initial state: whatever the other worker holds came to it in batches
    assert len(list(make_mutant("twophase", "early-commit").init_states())) == 1
    assert all(s["distinct"] > 0 for s in python_run.worker_stats)
