"""Named configurations worth checking: the README's examples and the reports' rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """A model with Kafka settings and bounds, and the question it answers."""

    name: str
    model: str
    summary: str
    settings: Mapping[str, str] = field(default_factory=dict)
    bounds: Mapping[str, int | str] = field(default_factory=dict)
    properties: tuple[str, ...] = ()


_ALL: tuple[Preset, ...] = (
    Preset("diehard", "diehard", "the die-hard jug puzzle: its solution is a counterexample"),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _ALL}
