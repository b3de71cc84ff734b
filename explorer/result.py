"""What an engine run found: counts, per-property verdicts and counterexample traces."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kafkacheck.model.interface import Action, FaultModel, Model, State, format_action
from kafkacheck.properties.base import Property

HOLDS = "holds"
VIOLATED = "violated"
INCOMPLETE = "incomplete"
UNKNOWN = "unknown"
NOT_CHECKED = "not checked"
NEVER_REACHED = "never reached"
NOT_COVERED = "not covered"  # the run sets a semantics-changing setting the model lacks
# A resumed run's note (search.resumed_note) is "resumed from DIR at depth D" + this + why.
RESUMED_MARK = ": counts and seconds are the whole run's"


@dataclass
class Step:
    """One step of a trace: the action taken (None for the initial state) and the state."""

    index: int
    action: Action | None
    state: State
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class Trace:
    """A behaviour from an initial state; ``loop_start`` marks a lasso's cycle entry."""

    steps: list[Step]
    loop_start: int | None = None

    @property
    def actions(self) -> list[Action]:
        """The action labels, which replay the trace from its initial state."""
        return [s.action for s in self.steps[1:] if s.action is not None]

    def __len__(self) -> int:
        return len(self.steps) - 1


@dataclass
class Violation:
    """A property that failed, with the shortest trace the engine found.

    ``reason`` is invariant, step or liveness for a counterexample; never-reached for a
    sometimes-property no reachable state satisfies (a coverage finding, trace None).
    """

    property: Property
    trace: Trace | None
    reason: str

    @property
    def name(self) -> str:
        """The property's name."""
        return self.property.name


@dataclass
class ModelError:
    """What the model's own code raised during a run (search.ModelRaised): the run ended
    incomplete there.  ``trace`` leads to the state whose expansion (its successors and
    their checks) raised; None when an initial state's checks did."""

    error: str  # "IndexError: list index out of range"
    depth: int
    trace: Trace | None
    detail: str = ""  # the traceback, shown with KAFKACHECK_DEBUG=1
    where: str = ""  # what was evaluated when no state was being expanded

    def text(self) -> str:
        """One line: what was raised, and where."""
        where = self.where or (
            "making or checking the initial states" if self.trace is None else
            f"expanding the state at depth {self.depth} (the trace below leads to it)")
        return f"the model raised {self.error} while {where}"


@dataclass
class CheckResult:
    """The outcome of one run: never 'holds' unless the exploration was complete.

    ``violations`` are counterexamples; ``unreached`` are sometimes-properties that no
    reachable state satisfies (vacuity / coverage, not safety violations);
    ``not_checked`` names the selected properties the engine could not check, and why.
    """

    model: Model
    engine: str
    properties: list[Property]
    distinct_states: int = 0
    generated_states: int = 0
    depth: int = 0
    seconds: float = 0.0
    complete: bool = False
    stop_reason: str = ""
    violations: list[Violation] = field(default_factory=list)
    unreached: list[Violation] = field(default_factory=list)
    not_checked: dict[str, str] = field(default_factory=dict)
    # The engine proves (a complete run establishes 'holds'); False for random search.
    proves: bool = True
    # Chance that two distinct states shared a fingerprint (complete runs; None: n/a).
    collision_probability: float | None = None
    witnesses: dict[str, Trace] = field(default_factory=dict)
    coverage: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    # What the search renamed ("brokers and partitions"): counts are of classes; "" if none.
    symmetry: str = ""
    graph: Any = None  # the explored state graph, when the run recorded it (bfs.StateGraph)
    model_error: ModelError | None = None  # the model raised: the run ended incomplete

    def __post_init__(self) -> None:
        # A property that cannot fail under the bounds (Property.vacuous) is checked by no
        # engine: it is not checked, never holds.
        for prop in self.properties:
            if prop.vacuous:
                self.not_checked.setdefault(prop.name, prop.vacuous)

    @property
    def uncovered_settings(self) -> dict[str, Any]:
        """Semantics-changing settings of this run that the model does not cover."""
        return dict(getattr(self.model.config, "uncovered", {}))

    @property
    def fault_model(self) -> FaultModel:
        """The faults this run explored and the ones it did not; a fault its bounds offered
        whose injecting actions never fired in the states explored is named as such (a run
        in which no action fired at all, empty coverage, injected none of them)."""
        return self.model.fault_model().injected(self.coverage, self.model.injecting_actions())

    @property
    def result(self) -> str:
        """violated | incomplete | never reached | holds (exit codes 1, 3, 3, 0).

        The one place a run's verdict is aggregated.  Incomplete covers a search stopped
        early, a selected property the engine did not check, an engine that never proves,
        and a semantics-changing setting the model does not cover (then even a violation
        found under Kafka's default is no verdict for the value asked for); never reached
        is a sometimes-property no reachable state satisfies.
        """
        if self.uncovered_settings:
            return INCOMPLETE
        if self.violations:
            return VIOLATED
        if not self.complete or self.not_checked or not self.proves:
            return INCOMPLETE
        if self.unreached:
            return NEVER_REACHED
        return HOLDS

    def violation(self, name: str) -> Violation | None:
        """The named property's counterexample, or its never-reached finding, if any."""
        for v in (*self.violations, *self.unreached):
            if v.property.name == name:
                return v
        return None

    def verdict(self, prop: Property) -> str:
        """Per property: not covered (the run sets a semantics-changing setting the model
        does not cover), violated, not checked, never reached, holds or unknown."""
        if self.uncovered_settings:
            return NOT_COVERED
        if any(v.property.name == prop.name for v in self.violations):
            return VIOLATED
        if prop.name in self.unchecked():
            return NOT_CHECKED
        if prop.kind == "sometimes":
            if prop.name in self.witnesses:
                return HOLDS
            if any(v.property.name == prop.name for v in self.unreached):
                return NEVER_REACHED
            return UNKNOWN
        return HOLDS if self.complete and self.proves else UNKNOWN

    def vacuous(self) -> dict[str, str]:
        """Properties that could not fail in this run: the sometimes-property each rests on
        (Property.needs) is never reached.  Never holds: the run's result is never reached."""
        unreached = {v.name for v in self.unreached}
        violated = {v.name for v in self.violations}
        return {p.name: f"vacuous in this run: {p.needs} is never reached, so it could not "
                "fail" for p in self.properties
                if p.needs in unreached and p.name not in violated}

    def unchecked(self) -> dict[str, str]:
        """Every selected property without a verdict, and why: those the engine did not
        check (``not_checked``) and those that could not fail (``vacuous``)."""
        return {**self.not_checked, **self.vacuous()}

    @property
    def resumed(self) -> str:
        """'resumed from DIR at depth D' when the run went on from a checkpoint (two
        processes made it; read from search.resumed_note's note), else ''."""
        for note in self.notes:
            end = note.rfind(RESUMED_MARK)
            if note.startswith("resumed from ") and end > 0:
                return note[:end]
        return ""

    @property
    def states_per_second(self) -> float:
        """Distinct states per second of wall time."""
        return self.distinct_states / self.seconds if self.seconds > 0 else 0.0

    def bounds_text(self) -> str:
        """The bounds a 'holds' is relative to, in one line."""
        cfg = self.model.config
        bounds = ", ".join(f"{k}={v}" for k, v in cfg.bounds.items())
        return (
            f"bounds: {bounds or 'none'}; depth {self.depth}; "
            f"{self.distinct_states:,} distinct states"
        )


def action_text(action: Action | None) -> str:
    """An action label as text ('Init' for the initial state)."""
    return "Init" if action is None else format_action(action)
