"""Rebuilding and replaying traces: fingerprint chains and action labels back to states."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kafkacheck.explorer.native import fingerprint
from kafkacheck.explorer.result import Step, Trace
from kafkacheck.model.interface import Action, Model, State, format_action, uses_symmetry
from kafkacheck.properties.base import Property

ROOT = 0
"""The parent fingerprint recorded for an initial state (fingerprints are never 0)."""


class ReplayError(Exception):
    """An action label sequence that the model does not accept."""


class TraceMismatch(RuntimeError):
    """A rebuilt counterexample that does not replay or does not end in a violation.

    It means a fingerprint collision or a model whose successors are not a function of
    the state; the run's verdict cannot be trusted and kafkacheck stops loudly.
    """


def fingerprint_function(model: Model) -> Callable[[State], int]:
    """The function mapping a state to its fingerprint (of its canonical form)."""
    if not uses_symmetry(model):
        return fingerprint
    canon = model.canonical
    return lambda s: fingerprint(canon(s))


def chain_to(parent_of: Callable[[int], int | None], fp: int) -> list[int]:
    """The fingerprints from an initial state to ``fp``, following parent links."""
    chain = [fp]
    while True:
        parent = parent_of(chain[-1])
        if parent is None:
            raise TraceMismatch(f"fingerprint {chain[-1]:#x} has no recorded parent")
        if parent == ROOT:
            break
        chain.append(parent)
        if len(chain) > 10_000_000:
            raise TraceMismatch("the parent links form a cycle")
    chain.reverse()
    return chain


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
        raise TraceMismatch("no initial state matches the trace's first fingerprint")
    states: list[State] = [current]
    actions: list[Action | None] = [None]
    for target in chain[1:]:
        for label, nxt in model.successors(current):
            if fp(nxt) == target:
                current, action = nxt, label
                break
        else:
            raise TraceMismatch("a fingerprint in the trace has no matching successor")
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


def violated_at_end(prop: Property, trace: Trace) -> bool:
    """Whether an always-property fails at a trace's last state (a step property: at its
    last step): what makes a replayed counterexample a reproduction."""
    last = trace.steps[-1]
    if prop.step is not None:
        return len(trace.steps) > 1 and not prop.step(trace.steps[-2].state, last.action,
                                                      last.state)
    return prop.holds is not None and not prop.holds(last.state)
