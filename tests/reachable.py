"""Every transition of a small model, for tests that check a rule on each step."""

from __future__ import annotations

from collections.abc import Iterator

from kafkacheck.model.interface import Action, Model, State


def transitions(model: Model, limit: int = 200_000) -> Iterator[tuple[State, Action, State]]:
    """(state, action, successor) for every reachable state, breadth first (``limit`` states)."""
    seen: set = set()
    frontier = list(model.init_states())
    while frontier:
        nxt = []
        for state in frontier:
            if state in seen:
                continue
            seen.add(state)
            if len(seen) > limit:
                raise AssertionError(f"more than {limit} states: pick a smaller configuration")
            for action, successor in model.successors(state):
                yield state, action, successor
                if successor not in seen:
                    nxt.append(successor)
        frontier = nxt
