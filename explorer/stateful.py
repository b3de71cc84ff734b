"""Hypothesis stateful testing over the same model: a RuleBasedStateMachine factory.

One rule per action family takes one of that family's enabled actions, and one more takes
any enabled action (so an action no declared family names is taken too); preconditions come
from enabledness; the model's always-properties (state and step invariants) are checked
after every step.  ``sometimes`` and ``eventually`` properties cannot be decided by random
runs: the machine names them in ``not_checked`` and warns (NotCheckedWarning).

Actions are drawn by label, not by position: the rule (the family) is Hypothesis's stable
choice among a fixed rule list, and within a family a draw is a number that ranks every
label by a hash of (number, label text) and takes the enabled label ranked first
(rendezvous hashing).  When Hypothesis deletes an earlier step while shrinking, a later
draw still takes the same label whenever that label is still enabled and no newly enabled
label outranks it; an index into the current successor list would shift with every
change.  Each enabled label is equally likely for a random number.
Every violation is replayed through ``model.next_state`` from its initial state before it
is reported, and must end in the violating state (``TraceDoesNotReplay`` otherwise).
"""

from __future__ import annotations

import time
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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

from kafkacheck.config import UsageError
from kafkacheck.explorer.capabilities import ENGINES, kind_of
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.render import mermaid, trace_lines
from kafkacheck.explorer.trace import build_trace
from kafkacheck.model.interface import Action, FaultModel, Model, State, format_action
from kafkacheck.properties.base import Property

# What a Hypothesis machine decides, declared with the other engines': always- and
# step-properties (refuted, never proved); sometimes/eventually are not checked.
CAPABILITY = ENGINES["hypothesis"]

_DRAWS = 1 << 32  # the range of the number drawn per step
_MASK = (1 << 64) - 1


def label_key(action: Action) -> int:
    """A label's fixed 64-bit key: the same in every run and every process."""
    text = repr(tuple(action)).encode()
    return zlib.crc32(text) << 32 | zlib.crc32(text, 0x5BD1E995)


def _rank(number: int, key: int) -> int:
    # splitmix64's finalizer over number ^ key: a well-mixed weight per (draw, label).
    z = ((number << 32 ^ key) + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def choose_label(number: int, labels: Iterable[Action],
                 keys: dict[Action, int] | None = None) -> Action:
    """The label ranked first for ``number`` (ties, equal keys: by label text).

    Removing any other label never changes the choice; adding one changes it only when
    the new label outranks the chosen one (probability 1/(n+1) among n+1 labels).
    """
    keys = {} if keys is None else keys
    best: tuple[tuple[int, str], Action] | None = None
    for action in labels:
        key = keys.get(action)
        if key is None:
            key = keys[action] = label_key(action)
        rank = (_rank(number, key), str(action))
        if best is None or rank > best[0]:
            best = (rank, action)
    if best is None:
        raise ValueError("no label to choose from")
    return best[1]


class NotCheckedWarning(UserWarning):
    """Selected properties a Hypothesis machine cannot decide (sometimes / eventually)."""


class NotChecked(UsageError):
    """No selected property is one a Hypothesis machine can check (bad input, exit 2)."""


class NotCovered(AssertionError):
    """The configuration sets a semantics-changing setting the model does not cover."""


class TraceDoesNotReplay(AssertionError):
    """A reported trace that does not replay through the model to the violation: a bug."""


class PropertyViolation(AssertionError):
    """An always-property failed on a Hypothesis-driven behaviour of the model.

    ``actions`` replay exactly from ``init`` through ``model.next_state`` and end in the
    violation (checked before the exception is raised).  The message (numbered steps and
    a Mermaid diagram) is rendered only when shown, so the many failing runs made while
    shrinking stay cheap.
    """

    def __init__(self, model: Model, name: str, states: list[State],
                 actions: list[Action | None]) -> None:
        super().__init__(name)
        self.model = model
        self.property_name = name
        self.states = states
        self.init = states[0]
        self.actions = [a for a in actions if a is not None]
        self._labels = actions

    def __str__(self) -> str:
        trace = build_trace(self.model, self.states, self._labels)
        prop = _property(self.model, self.property_name)
        lines = [f"{self.property_name} violated ({prop.statement}) after {len(trace)} steps:",
                 *trace_lines(self.model, trace), "```mermaid",
                 mermaid(self.model, trace, f"{self.property_name} violated"), "```"]
        return "\n".join(lines)


def _property(model: Model, name: str) -> Property:
    return next(p for p in model.properties() if p.name == name)


class ModelMachine(RuleBasedStateMachine):
    """Base class of generated machines: holds the current state and the trace so far."""

    model: Model
    property_names: Sequence[str] = ()
    # Selected properties this machine does not decide, as "Name (kind)".
    not_checked: tuple[str, ...] = ()
    fault_model: FaultModel
    # Enabled actions per state, shared by every run of this machine class: Hypothesis
    # replays the same prefixes many times while it shrinks.
    _cache: dict[State, dict[str, list[tuple[Action, State]]]]
    # Keys of the labels met so far (a cache of label_key).
    _keys: dict[Action, int]
    # Transitions taken per action family, over every run of this machine class.
    coverage: Counter

    def __init__(self) -> None:
        super().__init__()
        props = select_properties(self.model, self.property_names, witnesses=False)
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
    def replay(cls, actions: Sequence[Action], init: State | None = None) -> ModelMachine:
        """Run action labels outside Hypothesis (e.g. an explorer trace); raises on violation."""
        machine = cls()
        machine._noting = False
        machine.state = init if init is not None else next(iter(machine.model.init_states()))
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

    def choices(self) -> list[tuple[Action, State]]:
        """Every enabled action of the current state, whatever its family: what the
        machine's any-action rule draws from, so that an action whose name no declared
        family covers (a label naming its parameter) is still taken."""
        self.enabled("")
        return [pair for pairs in self._enabled.values() for pair in pairs]  # type: ignore[union-attr]

    def draw_action(self, data: Any, key: str,
                    options: list[tuple[Action, State]]) -> tuple[Action, State]:
        """Draw one of ``options`` by label (rendezvous hashing, see the module doc)."""
        # Drawn even for a single option, so that later draws keep their place in the
        # choice sequence when shrinking changes how many options a step has.
        number = data.draw(st.integers(0, _DRAWS - 1), label=key)
        enabled = dict(options)
        action = choose_label(number, enabled, self._keys)
        return action, enabled[action]

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
        self.coverage[action[0]] += 1
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
        violation = PropertyViolation(self.model, name, list(self.states), list(self.actions))
        if not replays_exactly(self.model, name, violation.actions, violation.init):
            raise TraceDoesNotReplay(
                f"the machine's trace for {name} does not replay through the model: "
                f"{[format_action(a) for a in violation.actions]}")
        raise violation

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
        self.take(*self.draw_action(data, family, self.enabled(family)))

    fire.__name__ = family
    fire.__doc__ = f"Take one enabled {family} action of the model."
    guarded = precondition(lambda self: bool(self.enabled(family)))(fire)
    return rule(data=st.data())(guarded)


def machine_skips(selected: PropertySet) -> tuple[str, ...]:
    """The selected properties a machine does not check, each with why: its kind
    (sometimes, eventually: random runs cannot decide them), or why it cannot fail under
    the bounds (Property.vacuous)."""
    unchecked = CAPABILITY.unchecked(selected.all)
    skipped = tuple(f"{p.name} ({kind_of(p)})" for p in selected.all if p.name in unchecked)
    return skipped + tuple(f"{p.name} ({p.vacuous})" for p in selected.all
                           if p.vacuous and p.name not in unchecked)


def machine_for(model: Model, properties: Sequence[str] = (),
                families: Sequence[str] = ()) -> type[ModelMachine]:
    """A RuleBasedStateMachine class driving ``model``, checking its always-properties.

    Raises NotCovered when the configuration sets a semantics-changing setting the model
    does not cover, and NotChecked (a UsageError) when no selected property is one the
    machine checks;
    selected sometimes/eventually properties are listed in ``not_checked`` and warned about.
    """
    uncovered = getattr(model.config, "uncovered", {})
    if uncovered:
        raise NotCovered(f"not covered: {model.config.uncovered_text()} changes semantics the "
                         f"{model.name} model does not cover; a machine would check nothing "
                         "that holds for it")
    selected = select_properties(model, properties, witnesses=False)
    skipped = machine_skips(selected)
    if not any(not p.vacuous for p in (*selected.invariants, *selected.steps)):
        raise NotChecked(f"a Hypothesis machine checks always-properties that can fail; not "
                         f"checked: {', '.join(skipped) or 'no property selected'}")
    if skipped:
        warnings.warn(NotCheckedWarning(
            f"the Hypothesis machine for {model.name} checks always-properties that can fail; "
            f"not checked: {', '.join(skipped)} (use `kafkacheck check` for the others)"),
            stacklevel=2)
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
        "_keys": {},
        "coverage": Counter(),
        "property_names": tuple(properties),
        "not_checked": skipped,
        "fault_model": model.fault_model(),
        "start": initialize(data=st.data())(start),
        "properties_hold": invariant()(lambda self: self.check_invariants_now()),
    }
    for family in names:
        namespace[family] = _family_rule(family)

    def any_action(self: ModelMachine, data: Any) -> None:
        """Take any enabled action (of a declared family or not): a uniform walk that swarm
        testing cannot switch off."""
        self.take(*self.draw_action(data, "*", self.choices()))

    namespace["any_action"] = rule(data=st.data())(
        precondition(lambda self: bool(self.choices()))(any_action))

    def deadlocked(self: ModelMachine) -> bool:
        return self.state is not None and not self.choices()

    def stutter(self: ModelMachine) -> None:
        """Nothing is enabled: the behaviour has ended; stay (a stuttering step)."""

    namespace["behaviour_ended"] = rule()(precondition(deadlocked)(stutter))
    return type(f"{type(model).__name__}Machine", (ModelMachine,), namespace)


@contextmanager
def fixed_constant_pool() -> Iterator[None]:
    """Within this block a Hypothesis seed means the same run wherever it is made.

    Hypothesis mixes the literals of every *local* module imported so far into about 5%
    of its draws.  Which modules are imported differs between `pytest one_file.py`, the
    whole suite and an installed package, so the same seed found different things.  Here
    the local pool is empty (Hypothesis's built-in constants still apply).  This reaches
    into Hypothesis internals on purpose and fails loudly if they move.
    """
    from hypothesis.internal.conjecture import providers

    saved = providers._get_local_constants
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = saved
        providers.CONSTANTS_CACHE.cache.clear()


# -- replaying and shrinking label sequences outside Hypothesis --------------------------


def _violates(model: Model, prop: Property, before: State | None, action: Action | None,
              after: State) -> bool:
    if prop.step is not None:
        return before is not None and not prop.step(before, action, after)
    return not prop.holds(after)  # type: ignore[misc]


def _start(model: Model, init: State | None) -> State:
    return init if init is not None else next(iter(model.init_states()))


def replays_exactly(model: Model, prop_name: str, actions: Sequence[Action],
                    init: State | None = None) -> bool:
    """Does every label run, as given, through ``model.next_state`` (staying within
    bounds) from ``init``, and does the last step, and no earlier one, break the property?"""
    prop = _property(model, prop_name)
    state = _start(model, init)
    if not actions:
        return prop.step is None and not prop.holds(state)  # type: ignore[misc]
    if prop.step is None and not prop.holds(state):  # type: ignore[misc]
        return False
    for i, action in enumerate(actions):
        nxt = model.next_state(state, tuple(action))
        if nxt is None or not model.within_bounds(nxt):
            return False
        if _violates(model, prop, state, tuple(action), nxt):
            return i == len(actions) - 1
        state = nxt
    return False


def _follow(model: Model, prop: Property, intents: Sequence[Action],
            init: State | None) -> list[Action] | None:
    """The labels actually taken when following ``intents`` up to the first violation.

    An intent whose label changed after an earlier deletion (a record id, a truncation
    offset) is matched to the enabled action with the same name and first argument, else
    (for a record id) the same name.  The returned labels replay exactly; None when the
    intents cannot be followed or break nothing.
    """
    state = _start(model, init)
    taken: list[Action] = []
    for intent in intents:
        intent = tuple(intent)
        nxt = model.next_state(state, intent)
        action = intent
        if nxt is None or not model.within_bounds(nxt):
            options = [(a, t) for a, t in model.successors(state) if model.within_bounds(t)]
            match = next(((a, t) for a, t in options if a[:2] == intent[:2]), None)
            if match is None and len(intent) > 1 and str(intent[1])[:1] == "r":
                match = next(((a, t) for a, t in options if a[0] == intent[0]), None)
            if match is None:
                return None
            action, nxt = match
        taken.append(action)
        if _violates(model, prop, state, action, nxt):
            return taken
        state = nxt
    return None


def replay_fails(model: Model, prop_name: str, actions: Sequence[Action],
                 init: State | None = None) -> bool:
    """Does this label sequence, replayed exactly, end in a violation of the property?"""
    return replays_exactly(model, prop_name, actions, init)


def _states_along(model: Model, actions: Sequence[Action], init: State | None) -> list[State]:
    state = _start(model, init)
    states = [state]
    for action in actions:
        state = model.next_state(state, tuple(action))
        states.append(state)
    return states


def _cut_loops(model: Model, actions: list[Action], init: State | None) -> list[Action]:
    """Drop every segment that returns to a state the trace already visited."""
    states = _states_along(model, actions, init)
    out: list[Action] = []
    seen: dict[State, int] = {states[0]: 0}
    for action, state in zip(actions, states[1:], strict=True):
        out.append(action)
        if state in seen:
            del out[seen[state]:]
            seen = {s: i for s, i in seen.items() if i <= len(out)}
        else:
            seen[state] = len(out)
    return out


def shrink_actions(model: Model, prop_name: str, actions: Sequence[Action],
                   max_seconds: float = 30.0, init: State | None = None) -> list[Action]:
    """Shrink a failing label sequence: cut loops, delete chunks, delete related actions.

    Each candidate is followed through the model (``_follow``) and kept as the labels
    actually taken, so the result always replays exactly and ends in the violation.
    ``actions`` must replay exactly already (a machine's PropertyViolation does).
    """
    prop = _property(model, prop_name)
    if not replays_exactly(model, prop_name, actions, init):
        raise TraceDoesNotReplay(f"the trace to shrink does not replay to {prop_name}")
    deadline = time.monotonic() + max_seconds
    current = list(map(tuple, actions))

    def attempt(candidate: Sequence[Action]) -> list[Action] | None:
        taken = _follow(model, prop, candidate, init)
        return taken if taken is not None and len(taken) < len(current) else None

    looped = _cut_loops(model, current, init)
    if len(looped) < len(current) and replays_exactly(model, prop_name, looped, init):
        current = looped
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        chunk = max(1, len(current) // 2)
        while chunk >= 1 and time.monotonic() < deadline:
            i = 0
            while i < len(current) and time.monotonic() < deadline:
                taken = attempt(current[:i] + current[i + chunk:])
                if taken is not None:
                    current = taken
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
                taken = attempt(current[:i] + [a for a in current[i + 1:]
                                               if not (len(a) > 1 and a[1] == key)])
                if taken is not None:
                    current = taken
                    progress = True
                    continue
            i += 1
    assert replays_exactly(model, prop_name, current, init), "shrinking broke the replay"
    return current
