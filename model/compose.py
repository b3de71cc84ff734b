"""Composition: a component model whose state is one field of a larger model's state.

A composed model keeps each component's state in one field of its own typed state and
reuses the component's actions and properties unchanged (one model, many engines: an
action is written once).  Cross-component actions are written by the composed model.
The producer embeds the replication model this way, the group model its replicated log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from kafkacheck.model.interface import Action, Model, State
from kafkacheck.properties.base import Property


class Embedded:
    """A component model whose state lives in field ``field`` (a name, or a position) of
    the composite state."""

    def __init__(self, model: Model, field: str | int, prefix: str = "") -> None:
        self.model = model
        self.field = field
        self.prefix = prefix

    def _index(self, state: State) -> int:
        if isinstance(self.field, int):
            return self.field
        return type(state)._fields.index(self.field)

    def sub(self, state: State) -> State:
        """The component's own state inside the composite."""
        if isinstance(self.field, str):
            return getattr(state, self.field)
        return state[self.field]

    def replace(self, state: State, sub: State) -> State:
        """The composite state with the component's part replaced (same type)."""
        i = self._index(state)
        values = state[:i] + (sub,) + state[i + 1 :]
        return tuple.__new__(type(state), values) if hasattr(state, "_fields") else values

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        """The component's own actions, lifted into the composite state."""
        i = self._index(state)
        head, tail = state[:i], state[i + 1 :]
        cls = type(state)
        typed = hasattr(state, "_fields")
        for action, sub in self.model.successors(state[i]):
            values = head + (sub,) + tail
            yield action, (tuple.__new__(cls, values) if typed else values)

    def project(self) -> Callable[[State], State]:
        """The function from a composite state to the component's state."""
        if isinstance(self.field, str):
            name = self.field
            return lambda s: getattr(s, name)
        i = self.field
        return lambda s: s[i]

    def properties(self) -> list[Property]:
        """The component's properties, evaluated on its part of the composite state; their
        counterexample stories are told on the component's part of each step."""
        sub = self.project()
        inner = self.model
        lifted = []
        for prop in inner.properties():
            changes: dict[str, Any] = {}
            if prop.holds is not None:
                holds = prop.holds
                changes["holds"] = lambda s, h=holds: h(sub(s))
            if prop.step is not None:
                step = prop.step
                changes["step"] = lambda s, a, t, f=step: f(sub(s), a, sub(t))
            if prop.trigger is not None:
                trigger = prop.trigger
                changes["trigger"] = lambda s, t=trigger: t(sub(s))
            if prop.narrate is not None:
                narrate = prop.narrate
                changes["narrate"] = lambda _model, trace, n=narrate: n(
                    inner, project_trace(trace, sub))
            lifted.append(Property(**{**prop.__dict__, **changes}))
        return lifted

    def view(self, state: State) -> dict[str, Any]:
        """The component's variables, with the composite's prefix."""
        return {f"{self.prefix}{k}": v for k, v in self.model.view(self.sub(state)).items()}


def project_trace(trace: Any, sub: Callable[[State], State]) -> Any:
    """A trace whose states are the component's part of each step (for its narrations)."""
    from kafkacheck.explorer.result import Step, Trace

    steps = [Step(s.index, s.action, sub(s.state), {}) for s in trace.steps]
    return Trace(steps, trace.loop_start)
