"""Rebuilding and replaying traces: fingerprint chains and action labels back to states."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kafkacheck.explorer.result import Step, Trace
from kafkacheck.model.interface import Action, Model, State, format_action


class ReplayError(Exception):
    """An action label sequence that the model does not accept."""


def fingerprint_function(model: Model) -> Callable[[State], int]:
    """The function mapping a state to its fingerprint (hash of its canonical form)."""
    if type(model).canonical is Model.canonical:
        return hash
    canon = model.canonical
    return lambda s: hash(canon(s))


def diff(model: Model, before: State | None, after: State) -> dict[str, tuple]:
    """The state variables that differ between two states, as (old, new) pairs."""
    new = model.view(after)
    if before is None:
        return {k: (None, v) for k, v in new.items()}
    old = model.view(before)
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def build_trace(model: Model, states: Sequence[State], actions: Sequence[Action | None],
                loop_start: int | None = None) -> Trace:
    """A Trace from aligned lists of states and the actions that led to them."""
    steps = []
    prev = None
    for i, (action, state) in enumerate(zip(actions, states, strict=True)):
        steps.append(Step(i, action, state, diff(model, prev, state)))
        prev = state
    return Trace(steps, loop_start)


def trace_from_fingerprints(model: Model, chain: Sequence[int]) -> Trace:
    """Concrete states and labels for a chain of fingerprints, found by re-running Next."""
    fp = fingerprint_function(model)
    current = next((s for s in model.init_states() if fp(s) == chain[0]), None)
    if current is None:
        raise ReplayError("no initial state matches the trace's first fingerprint")
    states: list[State] = [current]
    actions: list[Action | None] = [None]
    for target in chain[1:]:
        for label, nxt in model.successors(current):
            if fp(nxt) == target:
                current, action = nxt, label
                break
        else:
            raise ReplayError("a fingerprint in the trace has no matching successor")
        states.append(current)
        actions.append(action)
    return build_trace(model, states, actions)


def replay(model: Model, actions: Sequence[Action], init: State | None = None) -> Trace:
    """Run action labels from an initial state; raises ReplayError if one is not enabled."""
    inits = [init] if init is not None else list(model.init_states())
    errors = []
    for start in inits:
        states: list[State] = [start]
        current = start
        ok = True
        for i, action in enumerate(actions):
            nxt = model.next_state(current, tuple(action))
            if nxt is None:
                errors.append(f"step {i + 1} {format_action(tuple(action))} is not enabled")
                ok = False
                break
            states.append(nxt)
            current = nxt
        if ok:
            return build_trace(model, states, [None, *map(tuple, actions)])
    raise ReplayError(errors[0] if errors else "the model has no initial state")
