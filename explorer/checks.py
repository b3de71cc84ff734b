"""The properties an engine run checks, sorted by how they are checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafkacheck.config import UsageError, did_you_mean
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import Property


@dataclass
class PropertySet:
    """A run's properties split into state invariants, step invariants, sometimes, eventually."""

    all: list[Property]
    invariants: list[Property]
    steps: list[Property]
    sometimes: list[Property]
    eventually: list[Property]


def select_properties(model: Model, names: Sequence[str] = (),
                      witnesses: bool = True) -> PropertySet:
    """The model's properties, or only the named ones (UsageError for an unknown name),
    with the sometimes-properties they rest on (Property.needs) unless ``witnesses`` is
    false (an engine that cannot show a state unreachable gains nothing from them)."""
    available = list(model.properties())
    by_name = {p.name: p for p in available}
    if names:
        chosen = []
        for name in dict.fromkeys(names):  # a property named twice is checked once
            if name not in by_name:
                hint = did_you_mean(name, by_name)
                raise UsageError(f"unknown property {name!r} for model {model.name}{hint}")
            chosen.append(by_name[name])
        for prop in list(chosen) if witnesses else ():  # what a verdict rests on
            if prop.needs in by_name and by_name[prop.needs] not in chosen:
                chosen.append(by_name[prop.needs])
    else:
        chosen = available
    return PropertySet(
        all=chosen,
        invariants=[p for p in chosen if p.kind == "always" and not p.is_step],
        steps=[p for p in chosen if p.is_step],
        sometimes=[p for p in chosen if p.kind == "sometimes"],
        eventually=[p for p in chosen if p.kind == "eventually"],
    )
