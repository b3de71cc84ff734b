""""Search from here": the breadth-first engine run from the page's current state.

``StartingAt`` is the model with one initial state, the current one; everything else is
the model's own, so the search is the same one ``kafkacheck check`` runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kafkacheck.config import UsageError, did_you_mean
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.model.interface import Action, FaultModel, Message, Model, State
from kafkacheck.properties.base import Property, always
from kafkacheck.webui.session import Limits, label_json


class StartingAt(Model):
    """``inner`` with a single initial state: ``start``."""

    def __init__(self, inner: Model, start: State) -> None:
        super().__init__(inner.config)
        self.inner = inner
        self.start = start
        self.name = inner.name  # type: ignore[misc]

    def init_states(self) -> Iterable[State]:
        return [self.start]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        return iter(self.inner.successors(state))

    def actions(self, state: State) -> Iterable[Action]:
        return self.inner.actions(state)

    def next_state(self, state: State, action: Action) -> State | None:
        return self.inner.next_state(state, action)

    def properties(self) -> Sequence[Property]:
        return self.inner.properties()

    def within_bounds(self, state: State) -> bool:
        return self.inner.within_bounds(state)

    def canonical(self, state: State) -> State:
        return self.inner.canonical(state)

    def fault_model(self) -> FaultModel:
        return self.inner.fault_model()

    def view(self, state: State) -> dict[str, Any]:
        return self.inner.view(state)

    def format_value(self, name: str, value: Any) -> str:
        return self.inner.format_value(name, value)

    def participants(self) -> Sequence[str]:
        return self.inner.participants()

    def message(self, action: Action, before: State, after: State) -> Message:
        return self.inner.message(action, before, after)


def _target(prop: Property) -> tuple[Property, str]:
    """The invariant whose violation the search looks for, and what finding it means."""
    if prop.kind == "always":
        return prop, "violation"
    if prop.kind == "sometimes":
        holds = prop.holds
        assert holds is not None
        # The shortest path to a state satisfying P is the shortest violation of "never P".
        return always(prop.name, f"never: {prop.statement}", lambda s: not holds(s)), "witness"
    raise UsageError(f"{prop.name} is an eventually-property: it is about whole behaviours, "
                     "not a state to reach; check it with `kafkacheck check`")


def search_from(model: Model, state: State, name: str, limits: Limits) -> dict[str, Any]:
    """The shortest path from ``state`` to a violation (or, for sometimes, a witness) of P."""
    by_name = {p.name: p for p in model.properties()}
    prop = by_name.get(name)
    if prop is None:
        raise UsageError(f"unknown property {name!r} for model {model.name}"
                         f"{did_you_mean(name, by_name)}")
    target, goal = _target(prop)
    start = StartingAt(model, state)
    # A violation search checks what `check` would: the property and the witness it rests
    # on (Property.needs), so a property that cannot fail from here is not a green.
    propset = select_properties(start, [name]) if goal == "violation" else PropertySet(
        all=[target], invariants=[] if target.is_step else [target],
        steps=[target] if target.is_step else [], sometimes=[], eventually=[])
    result = breadth_first(start, propset=propset,
                           max_states=limits.max_states, max_seconds=limits.max_seconds,
                           stop_at_first=True)
    violation = result.violation(name)
    cfg = model.config
    bounds = ", ".join(f"{k}={v}" for k, v in cfg.bounds.items()) or "none"
    counts = f"{result.distinct_states:,} distinct states, {result.seconds:.2f}s"
    out: dict[str, Any] = {
        "property": name, "goal": goal, "found": False, "labels": [],
        "distinct_states": result.distinct_states, "seconds": round(result.seconds, 3),
        "complete": result.complete, "stop_reason": result.stop_reason,
    }
    if violation is not None and violation.trace is not None:
        n = len(violation.trace)
        what = "violated" if goal == "violation" else "reached"
        text = (f"{name} is {what} {n} step{'s' if n != 1 else ''} from here (shortest path, "
                f"breadth-first; {counts})")
        if n == 0:
            text = (f"this state already violates {name}" if goal == "violation" else
                    f"{name} is already true in this state")
        if cfg.uncovered:
            text += (f"; not covered: {cfg.uncovered_text()} changes semantics the model does "
                     "not cover, so this path is the model's under the default, no verdict")
        out.update(found=True, labels=[label_json(a) for a in violation.trace.actions],
                   length=n, text=text)
    elif result.complete and name in result.unchecked():
        out["text"] = (f"not checked: {name}: {result.unchecked()[name]}; nothing is "
                       f"verified ({counts})")
    elif result.complete and cfg.uncovered:
        out["text"] = (f"not covered: {cfg.uncovered_text()} changes semantics the model "
                       f"does not cover; nothing is verified ({counts})")
    elif result.complete:
        what = "no path from here violates" if goal == "violation" else \
            "no state reachable from here satisfies"
        out["text"] = (f"{what} {name} within the bounds ({bounds}; "
                       f"{result.fault_model.text()}; {counts}, exploration complete)")
    else:
        out["text"] = (f"not found before the search stopped ({result.stop_reason}; "
                       f"{counts}): nothing is verified")
    return out
