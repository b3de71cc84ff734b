"""Hypothesis stateful testing over the same model: a RuleBasedStateMachine factory.

One rule per action family draws among that family's enabled actions; preconditions
come from enabledness; the model's always-properties become invariants.  A failure
raises an AssertionError whose message is the explorer's own rendering of the trace
(numbered steps and a Mermaid diagram), so shrunk examples read like the explorer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import note, target
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from kafkacheck.explorer.checks import select_properties
from kafkacheck.explorer.render import mermaid, trace_lines
from kafkacheck.explorer.trace import build_trace
from kafkacheck.model.interface import Action, Model, State, format_action


class PropertyViolation(AssertionError):
    """An always-property failed on a Hypothesis-driven behaviour of the model.

    The message (numbered steps and a Mermaid diagram) is rendered only when shown, so
    the many failing runs made while shrinking stay cheap.
    """

    def __init__(self, model: Model, name: str, states: list[State],
                 actions: list[Action | None]) -> None:
        super().__init__(name)
        self.model = model
        self.property_name = name
        self.states = states
        self.actions = [a for a in actions if a is not None]
        self._labels = actions

    def __str__(self) -> str:
        trace = build_trace(self.model, self.states, self._labels)
        prop = next(p for p in self.model.properties() if p.name == self.property_name)
        lines = [f"{self.property_name} violated ({prop.statement}) after {len(trace)} steps:",
                 *trace_lines(self.model, trace), "```mermaid",
                 mermaid(self.model, trace, f"{self.property_name} violated"), "```"]
        return "\n".join(lines)


class ModelMachine(RuleBasedStateMachine):
    """Base class of generated machines: holds the current state and the trace so far."""

    model: Model
    property_names: Sequence[str] = ()
    # Enabled actions per state, shared by every run of this machine class: Hypothesis
    # replays the same prefixes many times while it shrinks.
    _cache: dict[State, dict[str, list[tuple[Action, State]]]]

    def __init__(self) -> None:
        super().__init__()
        props = select_properties(self.model, self.property_names)
        self._invariants = props.invariants
        self._steps = props.steps
        self._within = (None if type(self.model).within_bounds is Model.within_bounds
                        else self.model.within_bounds)
        self.state: State | None = None
        self.states: list[State] = []
        self.actions: list[Action | None] = []
        self._enabled: dict[str, list[tuple[Action, State]]] | None = None
        self._noting = True
        self._interest: float | None = None

    @classmethod
    def replay(cls, actions: Sequence[Action]) -> ModelMachine:
        """Run action labels outside Hypothesis (e.g. an explorer trace); raises on violation."""
        machine = cls()
        machine._noting = False
        machine.state = next(iter(machine.model.init_states()))
        machine._record(None, machine.state)
        machine.check_invariants_now()
        for action in actions:
            options = dict(machine.enabled(action[0]))
            if tuple(action) not in options:
                raise ValueError(f"{format_action(tuple(action))} is not enabled")
            machine.take(tuple(action), options[tuple(action)])
            machine.check_invariants_now()
        return machine

    def enabled(self, family: str) -> list[tuple[Action, State]]:
        """The enabled actions of one family in the current state (cached per state)."""
        if self._enabled is None:
            cache = self._cache
            table = cache.get(self.state)
            if table is None:
                table = {}
                for action, nxt in self.model.successors(self.state):
                    if self._within is None or self._within(nxt):
                        table.setdefault(action[0], []).append((action, nxt))
                if len(cache) > 200_000:
                    cache.clear()
                cache[self.state] = table
            self._enabled = table
        return self._enabled.get(family, [])

    def take(self, action: Action, nxt: State) -> None:
        """Apply one action, check step invariants, record it."""
        before = self.state
        for prop in self._steps:
            if not prop.step(before, action, nxt):  # type: ignore[misc]
                self.state = nxt
                self._record(action, nxt)
                self._fail(prop.name)
        self.state = nxt
        self._record(action, nxt)
        score = self.model.interest(nxt)
        if score is not None and (self._interest is None or score > self._interest):
            self._interest = score
        if self._noting:
            note(f"{len(self.actions) - 1}. {format_action(action)}")

    def _record(self, action: Action | None, state: State) -> None:
        self.states.append(state)
        self.actions.append(action)
        self._enabled = None

    def _fail(self, name: str) -> None:
        raise PropertyViolation(self.model, name, list(self.states), list(self.actions))

    def teardown(self) -> None:
        """Report the run's highest interest to Hypothesis's targeted search."""
        if self._interest is not None and self._noting and currently_in_test_context():
            target(float(self._interest), label="interest")

    def check_invariants_now(self) -> None:
        """Check every state invariant on the current state."""
        if self.state is None:
            return
        for prop in self._invariants:
            if not prop.holds(self.state):  # type: ignore[misc]
                self._fail(prop.name)


def _family_rule(family: str) -> Any:
    def fire(self: ModelMachine, data: Any) -> None:
        options = self.enabled(family)
        # Sorted by text so that a label keeps its position when shrinking deletes steps.
        labels = sorted((action for action, _ in options), key=str)
        action = data.draw(st.sampled_from(labels), label=family)
        self.take(action, dict(options)[action])

    fire.__name__ = family
    fire.__doc__ = f"Take one enabled {family} action of the model."
    guarded = precondition(lambda self: bool(self.enabled(family)))(fire)
    return rule(data=st.data())(guarded)


def machine_for(model: Model, properties: Sequence[str] = (),
                families: Sequence[str] = ()) -> type[ModelMachine]:
    """A RuleBasedStateMachine class driving ``model``, checking its always-properties."""
    names = list(families or model.action_families())
    if not names:
        names = sorted({a[0] for s in model.init_states() for a, _ in model.successors(s)})
    inits = list(model.init_states())

    def start(self: ModelMachine, data: Any) -> None:
        index = data.draw(st.integers(0, len(inits) - 1), label="initial state") \
            if len(inits) > 1 else 0
        self.state = inits[index]
        self._record(None, self.state)

    namespace: dict[str, Any] = {
        "model": model,
        "_cache": {},
        "property_names": tuple(properties),
        "start": initialize(data=st.data())(start),
        "properties_hold": invariant()(lambda self: self.check_invariants_now()),
    }
    for family in names:
        namespace[family] = _family_rule(family)

    def any_action(self: ModelMachine, data: Any) -> None:
        """Take any enabled action: a uniform walk that swarm testing cannot switch off."""
        options = sorted(((a, t) for f in names for a, t in self.enabled(f)),
                         key=lambda pair: str(pair[0]))
        labels = [a for a, _ in options]
        action = data.draw(st.sampled_from(labels), label="any action")
        self.take(action, dict(options)[action])

    namespace["any_action"] = rule(data=st.data())(
        precondition(lambda self: any(self.enabled(f) for f in names))(any_action))

    def deadlocked(self: ModelMachine) -> bool:
        return self.state is not None and not any(self.enabled(f) for f in names)

    def stutter(self: ModelMachine) -> None:
        """Nothing is enabled: the behaviour has ended; stay (a stuttering step)."""

    namespace["behaviour_ended"] = rule()(precondition(deadlocked)(stutter))
    return type(f"{type(model).__name__}Machine", (ModelMachine,), namespace)


def _violates(model: Model, prop: Any, before: State | None, action: Action | None,
              after: State) -> bool:
    if prop.step is not None:
        return before is not None and not prop.step(before, action, after)
    return not prop.holds(after)


def replay_fails(model: Model, prop_name: str, actions: Sequence[Action]) -> bool:
    """Does this label sequence run from an initial state and break the property?"""
    prop = next(p for p in model.properties() if p.name == prop_name)
    state = next(iter(model.init_states()))
    if prop.step is None and not prop.holds(state):
        return True
    for action in actions:
        nxt = model.next_state(state, tuple(action))
        if nxt is None:
            # A label whose detail changed after a deletion (a record id, a truncation
            # offset): the same action with the same first argument, else the same action.
            options = list(model.successors(state))
            nxt = next((t for a, t in options if a[:2] == tuple(action)[:2]), None)
            if nxt is None and len(action) > 1 and str(action[1])[:1] == "r":
                nxt = next((t for a, t in options if a[0] == action[0]), None)
            if nxt is None:
                return False
        if _violates(model, prop, state, action, nxt):
            return True
        state = nxt
    return False


def _states_along(model: Model, actions: Sequence[Action]) -> list[State] | None:
    """The states a label sequence visits (None if a label cannot be replayed)."""
    state = next(iter(model.init_states()))
    states = [state]
    for action in actions:
        nxt = model.next_state(state, tuple(action))
        if nxt is None:
            return None
        states.append(nxt)
        state = nxt
    return states


def _cut_loops(model: Model, actions: list[Action]) -> list[Action]:
    """Drop every segment that returns to a state the trace already visited."""
    states = _states_along(model, actions)
    if states is None:
        return actions
    first: dict[State, int] = {}
    out: list[Action] = []
    index = 0
    while index < len(states):
        state = states[index]
        if state in first:
            del out[first[state]:]
        else:
            first[state] = len(out)
        if index < len(actions):
            out.append(actions[index])
            first = {s: i for s, i in first.items() if i <= len(out) - 1}
        index += 1
    return out


def shrink_actions(model: Model, prop_name: str, actions: Sequence[Action],
                   max_seconds: float = 30.0) -> list[Action]:
    """Shrink a failing label sequence: cut loops, delete chunks, delete related actions.

    Labels are stable under deletion (an action names what it does), so removing steps
    keeps the meaning of the rest; each attempt is one replay of the model.
    """
    import time

    deadline = time.monotonic() + max_seconds
    current = list(actions)
    looped = _cut_loops(model, current)
    if len(looped) < len(current) and replay_fails(model, prop_name, looped):
        current = looped
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        chunk = max(1, len(current) // 2)
        while chunk >= 1 and time.monotonic() < deadline:
            i = 0
            while i < len(current) and time.monotonic() < deadline:
                candidate = current[:i] + current[i + chunk:]
                if replay_fails(model, prop_name, candidate):
                    current = candidate
                    progress = True
                else:
                    i += chunk
            chunk //= 2
        # An action together with every later one about the same thing (a crash and the
        # fence and restart of that broker): dependent steps that are never adjacent.
        i = 0
        while i < len(current) and time.monotonic() < deadline:
            key = current[i][1] if len(current[i]) > 1 else None
            if key is not None:
                candidate = current[:i] + [a for a in current[i + 1:]
                                           if not (len(a) > 1 and a[1] == key)]
                if len(candidate) < len(current) - 1 and replay_fails(model, prop_name,
                                                                      candidate):
                    current = candidate
                    progress = True
                    continue
            i += 1
    return current
