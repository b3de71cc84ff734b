"""Seeded random simulation: walks through the same model; finds bugs, never proves."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from kafkacheck.explorer.checks import select_properties
from kafkacheck.explorer.result import CheckResult, ModelError, Violation
from kafkacheck.explorer.search import ModelRaised, model_raised, new_result
from kafkacheck.explorer.trace import build_trace, fingerprint_function
from kafkacheck.model.interface import Action, Model, State


def simulate(
    model: Model,
    properties: Sequence[str] = (),
    *,
    seed: int = 0,
    walks: int = 1000,
    depth: int = 100,
    max_seconds: float | None = None,
) -> CheckResult:
    """Run ``walks`` random behaviours of up to ``depth`` steps; the same seed, the same walks."""
    props = select_properties(model, properties)
    result = new_result(model, props, "simulate", "simulate")
    result.proves = False  # finds violations and witnesses; finding none proves nothing
    rng = random.Random(seed)
    fp_of = fingerprint_function(model)
    within = None if type(model).within_bounds is Model.within_bounds else model.within_bounds
    seen: set[int] = set()
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds else None
    violated: set[str] = set()
    generated = 0
    done_walks = 0
    states: list[State] = []
    actions: list[Action | None] = []
    result.stop_reason = "walks done"
    try:
        inits = [s for s in model.init_states() if within is None or within(s)]
        for _ in range(walks):
            if deadline is not None and time.monotonic() > deadline:
                result.stop_reason = "time limit reached"
                break
            state = rng.choice(inits)
            states, actions = [state], [None]
            seen.add(fp_of(state))
            broken = _check(props, state, None, None, violated)
            _witness(model, props, result, states, actions)
            for step in range(depth):
                if broken:
                    break
                if deadline is not None and step % 256 == 255 and time.monotonic() > deadline:
                    result.stop_reason = "time limit reached"  # within a long walk too
                    break
                options = [(a, t) for a, t in model.successors(state)
                           if within is None or within(t)]
                generated += len(options)
                if not options:
                    break
                action, nxt = rng.choice(options)
                result.coverage[action[0]] += 1
                broken = _check(props, nxt, state, action, violated)
                states.append(nxt)
                actions.append(action)
                seen.add(fp_of(nxt))
                state = nxt
                _witness(model, props, result, states, actions)
            result.depth = max(result.depth, len(states) - 1)
            done_walks += 1
            for name in broken:
                prop = next(p for p in props.all if p.name == name)
                kind = "step" if prop.is_step else "invariant"
                result.violations.append(Violation(prop, build_trace(model, states, actions),
                                                   kind))
            if len(violated) == len(props.invariants) + len(props.steps) and violated:
                result.stop_reason = "every property violated"
                break
    except KeyboardInterrupt:
        result.stop_reason = "interrupted (Ctrl-C)"
    except Exception as exc:  # the model's (else kafkacheck's own error): the walk so far
        raised = model_raised(exc, 0, 0)
        if not isinstance(raised, ModelRaised):
            raise
        result.stop_reason = raised.reason
        walk = build_trace(model, states, actions) if states else None
        result.model_error = ModelError(raised.error, max(len(states) - 1, 0), walk,
                                         raised.detail)
    result.seconds = time.monotonic() - started
    result.distinct_states = len(seen)
    result.generated_states = generated
    # A walk cut short says so with the walks asked for: "4785 walks" alone reads as done.
    cut = "" if result.stop_reason in ("walks done", "every property violated") else \
        f" ({result.stop_reason} after {done_walks:,} of the {walks:,} walks asked)"
    result.notes.append(
        f"simulation: {done_walks} walks of up to {depth} steps, seed {seed}{cut}; a random "
        "search never proves a property"
    )
    return result


def _witness(model: Model, props: object, result: CheckResult, states: list[State],
             actions: list[Action | None]) -> None:
    """Record the walk so far as the witness of each sometimes-property its last state
    satisfies (checked at every step: a later step may leave it again)."""
    for p in props.sometimes:  # type: ignore[attr-defined]
        if p.name not in result.witnesses and p.holds(states[-1]):
            result.witnesses[p.name] = build_trace(model, list(states), list(actions))


def _check(props: object, state: State, before: State | None, action: Action | None,
           violated: set[str]) -> list[str]:
    broken = []
    for p in props.invariants:  # type: ignore[attr-defined]
        if p.name not in violated and not p.holds(state):
            broken.append(p.name)
    if before is not None:
        for p in props.steps:  # type: ignore[attr-defined]
            if p.name not in violated and not p.step(before, action, state):
                broken.append(p.name)
    violated.update(broken)
    return broken
