"""What each engine checks: property kinds and run settings, declared once.

A property kind an engine does not check gets the verdict *not checked* (never
*holds*), and a run setting it does not honour is refused before the run starts.
Engines that can only find violations (random walks, Hypothesis) never prove: their
verdict for a property they found nothing against is *unknown*.

    kafkacheck's rule: HOLDS only when every selected property was checked to the end
    within the printed bounds and fault model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kafkacheck.properties.base import Property

KINDS = ("always", "step", "sometimes", "eventually")

CHECKED = "checked"  # proves and refutes (within the bounds)
REFUTES = "finds violations only"  # a violation is real; finding none proves nothing
WITNESSES = "finds witnesses only"  # sometimes: a witness is real; none proves nothing
NOT_CHECKED = "not checked"


def kind_of(prop: Property) -> str:
    """always (state invariant), step (transition invariant), sometimes or eventually."""
    return "step" if prop.is_step else prop.kind


@dataclass(frozen=True)
class Capability:
    """One engine's declaration: per property kind how it is checked, and what it honours."""

    engine: str
    kinds: dict[str, str]
    options: frozenset[str]
    # Model bounds the engine represents; None: all (it runs the explicit model itself).
    bounds: frozenset[str] | None = None
    notes: dict[str, str] = field(default_factory=dict)  # kind -> what to use instead

    def how(self, prop: Property) -> str:
        """CHECKED, REFUTES, WITNESSES or NOT_CHECKED for this property."""
        return self.kinds.get(kind_of(prop), NOT_CHECKED)

    def unchecked(self, props: Iterable[Property]) -> dict[str, str]:
        """name -> why, for each property this engine does not check at all."""
        out = {}
        for prop in props:
            if self.how(prop) == NOT_CHECKED:
                kind = kind_of(prop)
                hint = self.notes.get(kind, "")
                out[prop.name] = (f"{self.engine} does not check {kind}-properties"
                                  + (f" ({hint})" if hint else ""))
        return out

    def refuse(self, options: Iterable[str]) -> list[str]:
        """The given run settings this engine does not honour."""
        return [o for o in options if o not in self.options]


_EXHAUSTIVE = {"always": CHECKED, "step": CHECKED, "sometimes": CHECKED}
_LIVENESS_HINT = {"eventually": "liveness needs the whole state graph: use --strategy bfs "
                                "with --workers 1"}

ENGINES: dict[str, Capability] = {
    "bfs": Capability(
        "bfs", {**_EXHAUSTIVE, "eventually": CHECKED},
        frozenset({"max_states", "max_seconds", "max_depth", "stop_at_first", "graph",
                   "memory_budget", "checkpoint", "resume", "progress"})),
    "parallel": Capability(
        "parallel bfs", dict(_EXHAUSTIVE),
        frozenset({"max_states", "max_seconds", "max_depth", "stop_at_first",
                   "memory_budget", "checkpoint", "resume", "progress", "workers"}),
        notes=_LIVENESS_HINT),
    "ray": Capability(
        "ray bfs", dict(_EXHAUSTIVE),
        frozenset({"max_states", "max_seconds", "max_depth", "stop_at_first", "progress",
                   "workers", "ray"}),
        notes=_LIVENESS_HINT),
    "dfs": Capability(
        "dfs", dict(_EXHAUSTIVE),
        frozenset({"max_states", "max_seconds", "max_depth", "stop_at_first", "progress"}),
        notes={"eventually": "use --strategy bfs"}),
    "simulate": Capability(
        "simulate", {"always": REFUTES, "step": REFUTES, "sometimes": WITNESSES},
        frozenset({"max_seconds", "seed", "walks", "depth"}),
        notes={"eventually": "random walks have no cycles to judge; use check"}),
    "liveness": Capability(
        "liveness", {"eventually": CHECKED}, frozenset(),
        notes={"always": "part of bfs", "step": "part of bfs", "sometimes": "part of bfs"}),
    # Declarations for the engines that live elsewhere (explorer/stateful.py and
    # explorer/symbolic.py read them): Hypothesis runs random rule sequences; Z3 checks
    # the invariants its encoding represents, within the bounds it represents.
    "hypothesis": Capability(
        "hypothesis", {"always": REFUTES, "step": REFUTES},
        frozenset({"max_examples", "steps"}),
        notes={"sometimes": "use check", "eventually": "use check"}),
    "z3": Capability(
        "z3", {"always": CHECKED}, frozenset({"brokers", "depth", "max_seconds"}),
        # The replication bounds the encoding represents (replication_symbolic.BOUNDS).
        bounds=frozenset({"partitions", "records", "crashes", "crash_kind", "leader_changes",
                          "lost_acks", "bounces", "truncation", "symmetry"}),
        notes={"step": "use check", "sometimes": "use check", "eventually": "use check"}),
}


def table() -> list[tuple[str, dict[str, str]]]:
    """Engine x property kind, for documentation and reports."""
    return [(cap.engine, {k: cap.kinds.get(k, NOT_CHECKED) for k in KINDS})
            for cap in ENGINES.values()]
