"""Mutants: model subclasses that each override one rule with a plausible bug.

They live in the tests, never in production model code.  A property that no mutant (and no
real Kafka misconfiguration) can break is a defect; ``tests/test_every_property_can_fail.py``
and the per-model tables use this registry to show each property failing.

Register a mutant with::

    @mutant("replication", "hw-ignores-isr", breaks="NoAckedWriteLost")
    class HwIgnoresIsr(ReplicationModel):
        '''The leader's HW jumps to its own LEO, ignoring the ISR.'''
        def advance_hw(self, part): ...

and build one with ``make_mutant("replication", "hw-ignores-isr", {"acks": "all"}, crashes=1)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kafkacheck.model.interface import Model


@dataclass(frozen=True)
class Mutant:
    """One registered mutant: the model it mutates, its class, and what it should break."""

    model: str
    name: str
    cls: type[Model]
    breaks: tuple[str, ...]
    doc: str


MUTANTS: dict[tuple[str, str], Mutant] = {}


def mutant(model: str, name: str, *, breaks: str | tuple[str, ...]) -> Callable[[type], type]:
    """Class decorator registering a one-rule override of ``model`` as mutant ``name``."""

    def register(cls: type) -> type:
        wanted = (breaks,) if isinstance(breaks, str) else tuple(breaks)
        key = (model, name)
        if key in MUTANTS:
            raise ValueError(f"mutant {name!r} of {model!r} registered twice")
        MUTANTS[key] = Mutant(model, name, cls, wanted, (cls.__doc__ or "").strip())
        return cls

    return register


def load(model: str) -> dict[tuple[str, str], Mutant]:
    """Import the mutants of ``model`` (tests/mutants/<model>.py) and return the registry."""
    import importlib

    module = f"mutants.{model.replace('-', '_')}"  # group-consumer: group_consumer.py
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
    return MUTANTS


def make_mutant(model: str, name: str, settings: Mapping[str, str] | None = None, *,
                kafka_version: str | None = None, **bounds: object) -> Model:
    """An instance of a registered mutant over a configuration built as for the model."""
    from kafkacheck.config import build_config

    load(model)
    entry = MUTANTS[(model, name)]
    config = build_config(entry.cls, [(k, str(v)) for k, v in (settings or {}).items()],
                          bounds=[(k, str(v)) for k, v in bounds.items()],
                          kafka_version=kafka_version)
    return entry.cls(config)
