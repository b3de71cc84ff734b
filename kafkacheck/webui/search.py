""""Search from here": the breadth-first engine run from the page's current state.

``StartingAt`` is the model with one initial state, the current one; everything else is
the model's own, so the search is the same one ``kafkacheck check`` runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet, not_a_property, select_properties
from kafkacheck.explorer.render import not_modelled_lines, power_loss_warning
from kafkacheck.explorer.result import (
    HOLDS,
    NEVER_REACHED,
    NOT_CHECKED,
    NOT_COVERED,
    UNKNOWN,
    VIOLATED,
)
from kafkacheck.model.interface import Action, FaultModel, Message, Model, State
from kafkacheck.properties.base import Property, always
from kafkacheck.webui.session import Limits, label_json

# What a model declares on its class that engines and the fault model read off the
# instance (Model.injecting_actions, Model.fault_model, render.power_loss_text): copied from
# the inner model, so that a search from here names its faults as `check` does.
_DECLARED = ("name", "summary", "source", "settings", "bounds", "fields", "key_settings",
             "covered_values", "faults_not_modelled", "fault_actions", "symmetry_note",
             "symmetry_over", "also_changed_by", "client_prefixes")


class StartingAt(Model):
    """``inner`` with a single initial state: ``start``; everything else is ``inner``'s,
    its bounds and fault actions too (a fault that never fired is then "never injected")."""

    def __init__(self, inner: Model, start: State) -> None:
        super().__init__(inner.config)
        self.inner = inner
        self.start = start
        for attr in _DECLARED:
            setattr(self, attr, getattr(inner, attr))
        self.bound = inner.bound
        # The inner model's own canonical(): identity stays identity (uses_symmetry).
        self.canonical = inner.canonical  # type: ignore[method-assign]

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

    def fault_model(self) -> FaultModel:
        return self.inner.fault_model()

    def injecting_actions(self) -> dict[str, tuple[str, ...]]:
        return self.inner.injecting_actions()

    def action_families(self) -> Sequence[str]:
        return self.inner.action_families()

    def notes(self) -> list[str]:
        return self.inner.notes()

    def effective_settings(self) -> dict[str, Any]:
        return self.inner.effective_settings()

    def interest(self, state: State) -> float | None:
        return self.inner.interest(state)

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


# What the page shows for each answer (explorer.js colours by it, never by found/complete):
# only HOLDS is green, VIOLATED red; the rest say nothing is verified.  A sometimes-property
# reached from here HOLDS, as `check` calls a witnessed one (CheckResult.verdict).
VERDICTS = (HOLDS, VIOLATED, NEVER_REACHED, NOT_COVERED, NOT_CHECKED, UNKNOWN)


def search_from(model: Model, state: State, name: str, limits: Limits) -> dict[str, Any]:
    """The shortest path from ``state`` to a violation (or, for sometimes, a witness) of P,
    with its verdict (one of VERDICTS) and the lines `check` prints around one."""
    by_name = {p.name: p for p in model.properties()}
    prop = by_name.get(name)
    if prop is None:
        raise UsageError(not_a_property(model, name, by_name))
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
    release = f"Kafka {cfg.kafka_version}"
    # What `check` prints around a verdict: settings accepted but not modelled (a WARNING
    # when one brings a fault left out), and the power-loss WARNING of this run's faults.
    warning = power_loss_warning(result)
    lines = [*not_modelled_lines(model, cfg.uncovered), *([warning] if warning else [])]
    out: dict[str, Any] = {
        "property": name, "goal": goal, "found": False, "labels": [],
        "distinct_states": result.distinct_states, "seconds": round(result.seconds, 3),
        "complete": result.complete, "stop_reason": result.stop_reason,
        "kafka_version": cfg.kafka_version, "warnings": lines,
    }
    if violation is not None and violation.trace is not None:
        n = len(violation.trace)
        what = "violated" if goal == "violation" else "reached"
        text = (f"{name} is {what} {n} step{'s' if n != 1 else ''} from here (shortest path, "
                f"breadth-first; {counts}; {release})")
        if n == 0:
            text = (f"this state already violates {name} ({release})" if goal == "violation"
                    else f"{name} is already true in this state ({release})")
        verdict = VIOLATED if goal == "violation" else HOLDS
        if cfg.uncovered:
            text += (f"; not covered: {cfg.uncovered_text()} changes semantics the model does "
                     "not cover, so this path is the model's under the default, no verdict")
            verdict = NOT_COVERED
        out.update(found=True, labels=[label_json(a) for a in violation.trace.actions],
                   length=n, text=text)
    elif result.complete and cfg.uncovered:
        verdict = NOT_COVERED
        out["text"] = (f"not covered: {cfg.uncovered_text()} changes semantics the model "
                       f"does not cover; nothing is verified ({counts}; {release})")
    elif result.complete and name in result.unchecked():
        verdict = NOT_CHECKED
        out["text"] = (f"not checked: {name}: {result.unchecked()[name]}; nothing is "
                       f"verified ({counts}; {release})")
    elif result.complete:
        verdict = HOLDS if goal == "violation" else NEVER_REACHED
        what = "no path from here violates" if goal == "violation" else \
            "no state reachable from here satisfies"
        out["text"] = (f"{what} {name} within the bounds ({bounds}; "
                       f"{result.fault_model.text()}; {counts}, exploration complete; "
                       f"{release})")
    else:
        verdict = UNKNOWN
        out["text"] = (f"not found before the search stopped ({result.stop_reason}; "
                       f"{counts}; {release}): nothing is verified")
    out["verdict"] = verdict
    out["text"] = "\n".join([out["text"], *lines])
    return out
