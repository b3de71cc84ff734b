"""A search paces Python's cyclic collector, leaves it as it found it, and still collects.

States are tuples of ints and form no cycles, so the exhaustive engines collect only young
objects, every ``GC_YOUNG`` (explorer/search.py: pace_gc); a model that does make cycles
must still not grow without bound.
"""

from __future__ import annotations

import gc

import pytest

from kafkacheck.explorer import search
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.dfs import depth_first
from kafkacheck.model.textbook.twophase import TwoPhaseCommit
from kafkacheck.testing import make_model


@pytest.mark.parametrize("engine", [breadth_first, depth_first])
def test_a_search_leaves_the_collector_as_it_found_it(engine):
    before = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
    result = engine(make_model("twophase", rms=3))
    assert result.complete and result.distinct_states == 288
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before


class _Cycle:
    """A self-referencing object, counted when the collector frees it."""

    freed = 0

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.freed += 1


class CyclicTwoPhase(TwoPhaseCommit):
    """Test-only: each successor call leaves one reference cycle behind."""

    freed_while_searching = 0

    def successors(self, state):
        _Cycle()
        CyclicTwoPhase.freed_while_searching = _Cycle.freed
        return super().successors(state)


def test_cycles_a_model_makes_are_still_collected_during_a_search(monkeypatch):
    monkeypatch.setattr(search, "GC_YOUNG", 500)
    _Cycle.freed = 0
    result = breadth_first(CyclicTwoPhase(make_model("twophase", rms=5).config))
    assert result.distinct_states == 8832
    # 8,832 cycles were made; most were freed while the search still ran
    assert CyclicTwoPhase.freed_while_searching > 8832 // 2
