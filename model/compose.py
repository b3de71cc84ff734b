"""Composition: a component model embedded in a larger model's state tuple.

A composed model keeps each component's state at one position of its own state tuple
and reuses the component's actions and properties unchanged (one model, many engines:
an action is written once).  Cross-component actions are written by the composed model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafkacheck.model.interface import Action, Model, State
from kafkacheck.properties.base import Property


class Embedded:
    """A component model whose state lives at ``index`` of the composite state."""

    def __init__(self, model: Model, index: int, prefix: str = "") -> None:
        self.model = model
        self.index = index
        self.prefix = prefix

    def sub(self, state: State) -> State:
        """The component's own state inside the composite."""
        return state[self.index]

    def replace(self, state: State, sub: State) -> State:
        """The composite state with the component's part replaced."""
        i = self.index
        return state[:i] + (sub,) + state[i + 1 :]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        """The component's own actions, lifted into the composite state."""
        i = self.index
        head, tail = state[:i], state[i + 1 :]
        for action, sub in self.model.successors(state[i]):
            yield action, head + (sub,) + tail

    def properties(self) -> list[Property]:
        """The component's properties, evaluated on its part of the composite state."""
        i = self.index
        lifted = []
        for prop in self.model.properties():
            changes: dict[str, Any] = {}
            if prop.holds is not None:
                holds = prop.holds
                changes["holds"] = lambda s, h=holds: h(s[i])
            if prop.step is not None:
                step = prop.step
                changes["step"] = lambda s, a, t, f=step: f(s[i], a, t[i])
            if prop.trigger is not None:
                trigger = prop.trigger
                changes["trigger"] = lambda s, t=trigger: t(s[i])
            lifted.append(Property(**{**prop.__dict__, **changes}))
        return lifted

    def view(self, state: State) -> dict[str, Any]:
        """The component's variables, with the composite's prefix."""
        return {f"{self.prefix}{k}": v for k, v in self.model.view(state[self.index]).items()}
