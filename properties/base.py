"""Named properties: always (invariants), sometimes (reachability) and eventually (liveness).

A property is written once as a predicate over model states (or over one step for
step invariants) and every engine checks the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Kind = Literal["always", "sometimes", "eventually"]
Predicate = Callable[[Any], bool]
StepPredicate = Callable[[Any, tuple, Any], bool]


@dataclass(frozen=True)
class Property:
    """One guarantee: its name, kind, a one-line statement and the predicate that checks it.

    * ``always``: ``holds(state)`` is true in every reachable state, or, for a step
      invariant, ``step(before, action, after)`` is true for every transition.
    * ``sometimes``: some reachable state satisfies ``holds`` (a non-vacuity check).
    * ``eventually``: every fair behaviour reaches a state satisfying ``holds``; with a
      ``trigger``, every fair behaviour through a trigger state reaches one afterwards
      (trigger ~> holds).  ``fairness`` names the weakly fair action families.
    """

    name: str
    kind: Kind
    statement: str
    holds: Predicate | None = None
    step: StepPredicate | None = None
    trigger: Predicate | None = None
    fairness: tuple[str, ...] = ()
    source: str = ""
    explanation: str = ""
    tags: tuple[str, ...] = field(default=())
    # Tells this counterexample's story in a sentence or two (optional; falls back to
    # the generic explanation).
    narrate: Callable[[Any, Any], str] | None = None
    # Why this property cannot fail under the model's bounds (records=0: nothing is ever
    # written): every engine then reports it *not checked*, never holds.
    vacuous: str = ""
    # The sometimes-property this verdict rests on (SomeRecordProcessed for the delivery
    # properties): a selection that names this one checks that one too, and where it is
    # never reached this property could not fail, so it is not checked, never holds.
    needs: str = ""

    def story(self, model: Any, trace: Any) -> str:
        """What broke in this particular trace, in plain words."""
        if self.narrate is not None and trace is not None:
            try:
                text = self.narrate(model, trace)
            except (LookupError, ValueError):
                text = ""
            if text:
                general = self.explanation
                if general:
                    general = general[0].upper() + general[1:]
                    general += "" if general.endswith(".") else "."
                return f"{text} {general}".strip()
        return self.explanation

    def __post_init__(self) -> None:
        if self.kind not in ("always", "sometimes", "eventually"):
            raise ValueError(f"unknown property kind {self.kind!r}")
        if (self.holds is None) == (self.step is None):
            raise ValueError(f"property {self.name}: give exactly one of holds= or step=")
        if self.step is not None and self.kind != "always":
            raise ValueError(f"property {self.name}: step predicates are always-properties")

    @property
    def is_step(self) -> bool:
        """True for a step (transition) invariant."""
        return self.step is not None


NO_RECORDS = "records=0: nothing is ever written, so this property cannot fail"


def vacuous_unless(props: list[Property], premise: bool, names: tuple[str, ...],
                   reason: str = NO_RECORDS) -> list[Property]:
    """The properties, with those named marked vacuous for ``reason`` unless ``premise``."""
    if premise:
        return props
    return [replace(p, vacuous=reason) if p.name in names else p for p in props]


def always(name: str, statement: str, holds: Predicate, **kw: Any) -> Property:
    """An invariant: ``holds`` is true in every reachable state."""
    return Property(name, "always", statement, holds=holds, **kw)


def always_step(name: str, statement: str, step: StepPredicate, **kw: Any) -> Property:
    """A step invariant: ``step(before, action, after)`` is true for every transition."""
    return Property(name, "always", statement, step=step, **kw)


def sometimes(name: str, statement: str, holds: Predicate, **kw: Any) -> Property:
    """A reachability check: some reachable state satisfies ``holds``."""
    return Property(name, "sometimes", statement, holds=holds, **kw)


def eventually(
    name: str,
    statement: str,
    holds: Predicate,
    *,
    trigger: Predicate | None = None,
    fairness: tuple[str, ...] = (),
    **kw: Any,
) -> Property:
    """A liveness property under weak fairness of the named action families."""
    return Property(
        name, "eventually", statement, holds=holds, trigger=trigger, fairness=fairness, **kw
    )


def negate(prop: Property) -> Property:
    """The same property with its predicate inverted: for injected-bug self-tests."""
    if prop.step is not None:
        step = prop.step
        return Property(**{**prop.__dict__, "step": lambda s, a, t: not step(s, a, t)})
    holds = prop.holds
    assert holds is not None
    return Property(**{**prop.__dict__, "holds": lambda s: not holds(s)})
