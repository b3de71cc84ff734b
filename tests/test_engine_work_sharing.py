"""Work sharing in the parallel search: a worker done with its part of a level expands
chunks a busy worker has not begun, and the output is the one it would have been without
(the same states owned by the same workers, the same parents, the same findings), so a
run stays deterministic whatever the timing."""

from __future__ import annotations

import itertools
import tempfile
import time
from typing import NamedTuple

import pytest

from kafkacheck.config import build_config
from kafkacheck.explorer import native, parallel, search
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import select_properties
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.explorer.search import Found, PropertyChecks
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import always, always_step, sometimes

SIDE = 24  # each counter runs 0..SIDE: 15,625 states, levels up to 469 wide


class Point(NamedTuple):
    x: int
    y: int
    z: int


def _owned_by_worker_0(p: tuple[int, int, int], workers: int) -> bool:
    return native.fingerprint(Point(*p)) % workers == 0


def _point(depth: int, workers: int, parents_too: bool = False) -> Point:
    """The first point of a depth that worker 0 owns with ``workers`` workers (found, not
    assumed: the hash decides), with every parent too when asked."""
    for p in itertools.product(range(SIDE + 1), repeat=3):
        if sum(p) != depth or not _owned_by_worker_0(p, workers):
            continue
        parents = [q for q in ((p[0] - 1, p[1], p[2]), (p[0], p[1] - 1, p[2]),
                               (p[0], p[1], p[2] - 1)) if min(q) >= 0]
        if not parents_too or all(_owned_by_worker_0(q, workers) for q in parents):
            return Point(*p)
    raise AssertionError("no such point")


BAD = _point(30, 2, parents_too=True)  # with 2 workers, made only from worker 0's level
LATE = _point(33, 6)  # worker 0's with 2 and with 3 workers
DEEP = _point(36, 6)


class Grid(Model):
    """Three counters stepped up one at a time: wide levels.  Each property is decided by
    one state or step of worker 0, so it is found in a part of worker 0's level another
    worker expanded when worker 0 gives its levels away."""

    name = "grid"
    bounds = ()

    def init_states(self):
        return [Point(0, 0, 0)]

    def successors(self, state):
        x, y, z = state
        if x < SIDE:
            yield ("IncX",), Point(x + 1, y, z)
        if y < SIDE:
            yield ("IncY",), Point(x, y + 1, z)
        if z < SIDE:
            yield ("IncZ",), Point(x, y, z + 1)

    def properties(self):
        return [
            always("NeverBad", "the bad point is not reached", lambda s: s != BAD),
            always_step("NoLateY", "no IncY from the late point",
                        lambda s, a, t: not (s == LATE and a[0] == "IncY")),
            sometimes("Deep", "the deep point is reached", lambda s: s == DEEP),
        ]


NAMES = ["NeverBad", "NoLateY", "Deep"]


def _grid() -> Grid:
    return Grid(build_config(Grid))


def _output(result):
    """Everything a run reports, down to the states of each trace, and the parent each
    worker's table keeps for each state (which decides every trace)."""
    return (result.distinct_states, result.generated_states, result.depth,
            dict(result.coverage),
            {v.property.name: [(s.action, s.state) for s in v.trace.steps]
             for v in result.violations},
            {name: [(s.action, s.state) for s in trace.steps]
             for name, trace in result.witnesses.items()},
            [s["distinct"] for s in result.worker_stats],
            [s["parents"] for s in result.worker_stats])


def _parents_reported(monkeypatch) -> None:
    """Workers report the parent of every grid point their table holds."""
    stats = parallel.ShardWorker.stats

    def with_parents(self):
        shard = self.shard
        points = (Point(*p) for p in itertools.product(range(SIDE + 1), repeat=3))
        fps = ((p, shard.fp_of(p)) for p in points)
        return {**stats(self),
                "parents": {p: shard.table.parent(fp) for p, fp in fps if fp in shard.table}}

    monkeypatch.setattr(parallel.ShardWorker, "stats", with_parents)


def _slow_first_worker(monkeypatch, pause: float, give_all: bool = False) -> None:
    """Small chunks, levels packed from their first state, and worker 0 pausing before
    each of its own chunks: the others finish first and ask it for chunks (the forked
    workers inherit the patches).  ``give_all``: it hands over every chunk not begun, not
    half (a rule changed in the test only, so that its whole level is expanded by others
    whenever they ask in time)."""
    _parents_reported(monkeypatch)
    monkeypatch.setattr(search, "SHARD_CHUNK_BYTES", 256)
    monkeypatch.setattr(search, "OBJECT_STATES", 0)
    poll = parallel._Exchange.poll

    def slow_poll(self):
        if self.index == 0 and self.worker.giving:
            time.sleep(pause)
        poll(self)

    monkeypatch.setattr(parallel._Exchange, "poll", slow_poll)
    if give_all:
        def give_all_chunks(self):
            left = len(self.shard.frontier.chunks)
            if not self.giving or not left:
                return None
            return (self.taken + 1, 0), self.shard.frontier.give(left)

        monkeypatch.setattr(parallel.ShardWorker, "give", give_all_chunks)


@pytest.mark.parametrize("workers", [pytest.param(2, marks=pytest.mark.thorough),
                                     pytest.param(3, marks=pytest.mark.thorough)])
def test_what_others_expand_of_a_level_is_taken_as_if_its_owner_had(monkeypatch, workers):
    # Worker 0 gives its levels away whole: the bad state, the late step and the deep
    # state are all found by the others, and taken back in worker 0's order.
    _slow_first_worker(monkeypatch, 0.005, give_all=True)
    alone = parallel_breadth_first(_grid(), NAMES, workers=workers, share=False)
    shared = parallel_breadth_first(_grid(), NAMES, workers=workers)
    assert sum(s["helped"] for s in alone.worker_stats) == 0
    assert shared.worker_stats[0]["helped"] == 0  # never idle while others worked
    assert sum(s["helped"] for s in shared.worker_stats) > \
        shared.worker_stats[0]["distinct"] // 2  # most of its levels (3,467 of 3,951 here)
    assert _output(shared) == _output(alone)
    seq = breadth_first(_grid(), NAMES)  # the sequential engine's shortest traces
    assert {v.property.name: len(v.trace) for v in shared.violations} == \
        {v.property.name: len(v.trace) for v in seq.violations} == {"NeverBad": 30,
                                                                     "NoLateY": 34}
    assert {n: len(t) for n, t in shared.witnesses.items()} == {"Deep": 36}


def test_a_state_made_for_its_owner_by_another_worker_is_checked_in_the_same_level(
        monkeypatch):
    # The bad state is made only from worker 0's level, here by worker 1: worker 0 checks
    # it as it takes it, so the search stops after the same level, with the same counts.
    _slow_first_worker(monkeypatch, 0.005, give_all=True)
    alone = parallel_breadth_first(_grid(), ["NeverBad"], workers=2, share=False,
                                   stop_at_first=True)
    shared = parallel_breadth_first(_grid(), ["NeverBad"], workers=2, stop_at_first=True)
    assert sum(s["helped"] for s in shared.worker_stats) > 0
    assert shared.stop_reason == alone.stop_reason == "stopped at the first violation"
    assert shared.depth == alone.depth == 30
    assert _output(shared) == _output(alone)


def test_idle_workers_take_half_of_what_a_busy_one_has_left(monkeypatch):
    _slow_first_worker(monkeypatch, 0.002)
    alone = parallel_breadth_first(_grid(), NAMES, workers=2, share=False)
    shared = parallel_breadth_first(_grid(), NAMES, workers=2)
    assert sum(s["helped"] for s in shared.worker_stats) > 1_000
    assert _output(shared) == _output(alone)


@pytest.mark.parametrize("packed", [False, True])
def test_the_end_of_a_level_is_shared_in_slices(monkeypatch, packed):
    # A level is one chunk (or kept as objects): no whole chunk is left to give, so an
    # idle worker gets half of the slices worker 0 has not begun, packed again (the last
    # chunk is split for it), and takes them in the level's order.
    _parents_reported(monkeypatch)
    monkeypatch.setattr(parallel, "SLICE_STATES", 16)
    if packed:
        monkeypatch.setattr(search, "OBJECT_STATES", 0)
    give, stats = parallel.ShardWorker.give, parallel.ShardWorker.stats

    def counted_give(self):  # a part that begins inside a chunk is slices of it
        out = give(self)
        self.sliced = getattr(self, "sliced", 0) + (out is not None and out[0][1] > 0)
        return out

    monkeypatch.setattr(parallel.ShardWorker, "give", counted_give)
    monkeypatch.setattr(parallel.ShardWorker, "stats",
                        lambda self: {**stats(self), "sliced": getattr(self, "sliced", 0)})
    poll = parallel._Exchange.poll

    def slow_poll(self):
        if self.index == 0 and self.worker.giving:
            time.sleep(0.002)
        poll(self)

    monkeypatch.setattr(parallel._Exchange, "poll", slow_poll)
    alone = parallel_breadth_first(_grid(), NAMES, workers=2, share=False)
    shared = parallel_breadth_first(_grid(), NAMES, workers=2)
    assert shared.worker_stats[0]["sliced"] > 0
    assert shared.worker_stats[1]["helped"] > 1_000
    assert _output(shared) == _output(alone)


def test_a_run_with_work_sharing_repeats_itself_whatever_the_timing(monkeypatch):
    _slow_first_worker(monkeypatch, 0.001)
    first = parallel_breadth_first(_grid(), NAMES, workers=2)
    monkeypatch.undo()
    _parents_reported(monkeypatch)
    second = parallel_breadth_first(_grid(), NAMES, workers=2)  # hardly any sharing
    assert _output(first) == _output(second)


def test_findings_of_a_given_part_are_merged_in_the_level_order():
    # A shallower finding replaces one (the rule of earlier()); an equal or deeper one,
    # taken later in the level's order, does not; a merged property is not checked again.
    checks = PropertyChecks(select_properties(_grid(), NAMES))
    checks.found["NeverBad"] = Found("invariant", 11, 10, 30)
    checks.merge({"NeverBad": Found("invariant", 12, 10, 30),
                  "NoLateY": Found("step", 13, 14, 34)}, {"Deep": (15, 36)})
    assert checks.found["NeverBad"].fp == 11 and checks.found["NoLateY"].fp == 13
    checks.merge({"NeverBad": Found("invariant", 16, 10, 29),
                  "NoLateY": Found("step", 17, 18, 34)}, {"Deep": (19, 35)})
    assert checks.found["NeverBad"].fp == 16 and checks.found["NoLateY"].fp == 13
    assert checks.witnesses["Deep"] == (19, 35)
    assert not checks.invariants and not checks.steps and not checks.pending


@pytest.mark.thorough  # 11 s
def test_chunks_spilled_to_disk_are_given_away_too(monkeypatch, tmp_path):
    # Past the memory budget a level's chunks are files; a given chunk is read back (and
    # its file removed) before it is sent, and the search is the one kept in memory.  The
    # search stops with a level left on disk, and the workers remove it as they stop.
    _slow_first_worker(monkeypatch, 0.005, give_all=True)
    alone = parallel_breadth_first(_grid(), NAMES, workers=2, share=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spilled = parallel_breadth_first(_grid(), NAMES, workers=2, memory_budget=1024)
    assert sum(s["spilled"] for s in spilled.worker_stats) > 0
    assert sum(s["helped"] for s in spilled.worker_stats) > 1_000
    assert _output(spilled) == _output(alone)
    assert spilled.stop_reason == "every property violated"
    assert list(tmp_path.iterdir()) == []
