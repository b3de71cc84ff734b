"""The properties an engine run checks, sorted by how they are checked; and every property a
model can have, with the bounds or settings that bring it (``kafkacheck list``, and the error
for a property this run does not have)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kafkacheck.config import BOUND_MAXIMUM, Config, UsageError, build_config, did_you_mean
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.interface import Bound, Model
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
    """The model's properties, or only the named ones (UsageError for a name this run lacks,
    naming the bounds or settings that bring it: not_a_property), with the
    sometimes-properties they rest on (Property.needs) unless ``witnesses`` is false (an
    engine that cannot show a state unreachable gains nothing from them)."""
    available = list(model.properties())
    by_name = {p.name: p for p in available}
    if names:
        chosen = []
        for name in dict.fromkeys(names):  # a property named twice is checked once
            if name not in by_name:
                raise UsageError(not_a_property(model, name, by_name))
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


# -- every property a model can have ------------------------------------------------------
# A model's properties depend on its configuration (WritesAccepted only with rolling
# restarts, the transactions model's loop properties only with a consume-transform-produce
# loop), so one default instance does not name them all.  The models say which by building
# them: probes raise each bound from its value (one more, or each other choice), pair a raise
# the model refuses alone with each other raise (lost_alter_responses with
# isr_updates=in-flight), and run each of the model's presets, shrunk to the fewest of its
# settings and bounds that still bring the property.  A bound printed ``NAME>=V`` brought the
# property at V and at V+1.

# An option of a probe: ("set", key, value), ("bound", name, value) or ("version", X.Y, "").
_Item = tuple[str, str, str]


@dataclass(frozen=True)
class CatalogueEntry:
    """A property a model can have, and what brings it where its listing's base lacks it."""

    prop: Property
    # Alternatives, each the command-line options that bring it ("--bound rolling_restarts>=1");
    # empty for a property of the base configuration.
    needs: tuple[str, ...] = ()

    def where(self) -> str:
        """'with --bound disk_losses>=1 or with --bound isr_updates=in-flight' ('' in the base)."""
        return " or ".join(f"with {options}" for options in self.needs)


@dataclass(frozen=True)
class PropertyCatalogue:
    """Every property the probes find for one model: those of its base configuration (its
    defaults, or where the model refuses them the fewest settings of a preset it accepts)
    first, then those that other bounds or settings bring."""

    base: str  # the options of the base configuration ('' for the model's defaults)
    refused: str  # why the model refuses its defaults ('' when it does not)
    entries: tuple[CatalogueEntry, ...]

    def find(self, name: str) -> CatalogueEntry | None:
        """The entry of property ``name``, or None."""
        return next((e for e in self.entries if e.prop.name == name), None)


def _properties_under(cls: type[Model], config: Config | None) -> dict[str, Property] | None:
    """The properties of ``cls`` under ``config``, by name; None where the model refuses it."""
    if config is None:
        return None
    try:
        if cls.validate_config(config):
            return None
        # A probe whose bounds leave a setting uncovered (a loop auto-committing beside its
        # transactions) brings nothing a run would check.
        given = {k: config.setting(k) for k in config.explicit}
        if set(cls.uncovered_under(given, _bound_values(cls, config), config.version)) \
                - set(config.uncovered):
            return None
        return {p.name: p for p in cls(config).properties()}
    except UsageError:
        return None


def _bound_values(cls: type[Model], config: Config) -> dict[str, Any]:
    """Every bound of ``cls`` with its value in ``config`` (a bound not given: its default)."""
    return {**{b.name: b.default for b in cls.bounds}, **config.bounds}


def _with_bounds(config: Config, changes: Mapping[str, Any]) -> Config:
    """``config`` with some bounds changed."""
    return replace(config, bounds={**config.bounds, **changes})


def _raised(bound: Bound, value: Any) -> list[Any]:
    """The values a probe moves ``bound`` to from ``value``: each other choice, or one more."""
    if bound.choices:
        return [c for c in bound.choices if c != value]
    top = BOUND_MAXIMUM if bound.maximum is None else bound.maximum
    return [value + 1] if isinstance(value, int) and value + 1 <= top else []


def _bound_option(cls: type[Model], config: Config, name: str, bound: Bound,
                  value: Any) -> str:
    """'--bound NAME>=V' when property ``name`` is also there one above V, else '--bound NAME=V'
    (``config`` already has the bound at V)."""
    above = _raised(bound, value) if not bound.choices else []
    if above and name in (_properties_under(cls, _with_bounds(config, {bound.name: above[0]}))
                          or {}):
        return f"--bound {bound.name}>={value}"
    return f"--bound {bound.name}={value}"


def _bound_ways(cls: type[Model], config: Config,
                known: Collection[str]) -> dict[str, tuple[Property, list[str]]]:
    """Properties not in ``known`` that a bound raised from ``config`` brings (or, where the
    model refuses that raise alone, the raise with one other), each with the options that
    bring it."""
    current = _bound_values(cls, config)
    by_name = {b.name: b for b in cls.bounds}
    singles = [(b.name, v) for b in cls.bounds for v in _raised(b, current[b.name])]
    found: dict[str, tuple[Property, list[dict[str, Any]]]] = {}
    refused: list[tuple[str, Any]] = []
    for change in singles:
        props = _properties_under(cls, _with_bounds(config, dict([change])))
        if props is None:
            refused.append(change)
            continue
        for n, p in props.items():
            if n not in known:
                found.setdefault(n, (p, []))[1].append(dict([change]))
    alone = set(found)
    tried: set[frozenset[tuple[str, Any]]] = set()
    for change in refused:
        for other in singles:
            pair = frozenset((change, other))
            if other[0] == change[0] or pair in tried:
                continue
            tried.add(pair)
            for n, p in (_properties_under(cls, _with_bounds(config, dict(pair))) or {}).items():
                if n not in known and n not in alone:
                    found.setdefault(n, (p, []))[1].append(dict(pair))
    out: dict[str, tuple[Property, list[str]]] = {}
    for n, (p, ways) in found.items():
        texts = []
        for way in ways:
            probe = _with_bounds(config, way)
            texts.append(" ".join(_bound_option(cls, probe, n, by_name[b], way[b])
                                  for b in by_name if b in way))
        out[n] = (p, texts)
    return out


def _build(cls: type[Model], items: Sequence[_Item], kafka_version: str | None) -> Config | None:
    """The configuration these options give ``cls``; None where it is refused."""
    settings = [(k, v) for kind, k, v in items if kind == "set"]
    bounds = [(k, v) for kind, k, v in items if kind == "bound"]
    version = next((k for kind, k, _ in items if kind == "version"), kafka_version)
    try:
        return build_config(cls, settings, bounds=bounds, kafka_version=version)
    except UsageError:
        return None


def _fewest(cls: type[Model], items: Sequence[_Item], kafka_version: str | None,
            keep: Callable[[Config], bool]) -> list[_Item]:
    """``items`` less each one (in order) without which the configuration still ``keep``s."""
    kept = list(items)
    whole = _build(cls, kept, kafka_version)
    covered = set(whole.uncovered) if whole is not None else set()
    for item in items:
        trial = [i for i in kept if i != item]
        config = _build(cls, trial, kafka_version)
        # Dropping an item must not leave a setting uncovered (enable.auto.commit=false of
        # a loop): the run it names would check nothing.
        if config is not None and not set(config.uncovered) - covered and keep(config):
            kept = trial
    return kept


def _options(cls: type[Model], items: Sequence[_Item], kafka_version: str | None,
             name: str | None) -> str:
    """The options ``items`` as typed on the command line (a bound as NAME>=V where property
    ``name`` is there one above V too)."""
    config = _build(cls, items, kafka_version)
    by_name = {b.name: b for b in cls.bounds}
    out = []
    for kind, key, value in items:
        if kind == "set":
            out.append(f"--set {key}={value}")
        elif kind == "version":
            out.append(f"--kafka-version {key}")
        elif name is not None and config is not None and key in by_name:
            out.append(_bound_option(cls, config, name, by_name[key],
                                     _bound_values(cls, config)[key]))
        else:
            out.append(f"--bound {key}={value}")
    return " ".join(out)


def _bringing(cls: type[Model], name: str) -> Callable[[Config], bool]:
    """Whether a configuration gives ``cls`` property ``name``."""
    return lambda config: name in (_properties_under(cls, config) or {})


def property_catalogue(cls: type[Model], kafka_version: str | None = None) -> PropertyCatalogue:
    """Every property the probes find for model ``cls`` under ``kafka_version``'s rules and
    defaults, each with the options that bring it (see the comment above)."""
    from kafkacheck.model import presets

    own = [p for p in presets.PRESETS.values() if p.model == cls.name]
    refused, base_items = "", []
    config: Config | None
    try:
        config = build_config(cls, kafka_version=kafka_version)
    except UsageError as exc:
        # The transactions model needs a transactional.id or a loop: list the properties
        # of the fewest settings of the first preset whose settings it accepts.
        refused, config = str(exc), None
        for preset in own:
            items = [("set", k, str(v)) for k, v in preset.settings.items()]
            if _properties_under(cls, _build(cls, items, kafka_version)) is not None:
                base_items = _fewest(cls, items, kafka_version,
                                     lambda c: _properties_under(cls, c) is not None)
                config = _build(cls, base_items, kafka_version)
                break
    base = _options(cls, base_items, kafka_version, None)
    entries = {n: CatalogueEntry(p) for n, p in (_properties_under(cls, config) or {}).items()}
    if config is not None:
        for n, (p, ways) in _bound_ways(cls, config, entries).items():
            entries[n] = CatalogueEntry(p, tuple(f"{base} {w}".strip() for w in ways))
    for preset in own:
        items = [("set", k, str(v)) for k, v in preset.settings.items()]
        items += [("bound", k, str(v)) for k, v in preset.bounds.items()]
        if preset.kafka_version:
            items.append(("version", preset.kafka_version, ""))
        for n, p in (_properties_under(cls, _build(cls, items, kafka_version)) or {}).items():
            if n not in entries:
                fewest = _fewest(cls, items, kafka_version, _bringing(cls, n))
                entries[n] = CatalogueEntry(p, (_options(cls, fewest, kafka_version, n),))
    return PropertyCatalogue(base, refused, tuple(entries.values()))


def _starting_value(cls: type[Model], name: str, config: Config) -> Any:
    """Setting ``name``'s value in a run that does not give it (as build_config starts it)."""
    value = kafka_settings.default_for(name, config.version)
    covered = cls.covered_values.get(name)
    return covered[0] if covered and value not in covered else value


def not_a_property(model: Model, name: str, have: Collection[str]) -> str:
    """The one-line error for property ``name``, not among this run's (``have``): the bounds
    or settings that would bring it where the model has it under others, else 'unknown'."""
    cls = type(model)
    config = getattr(model, "config", None)
    if isinstance(config, Config):
        ways = _bound_ways(cls, config, have).get(name)
        if ways:
            alternatives = " or ".join(f"with {w}" for w in ways[1])
            return f"{name} is a property of {model.name} {alternatives}"
        # A setting or bound given away from its default that takes the property away.
        given = []
        for key in sorted(config.explicit & set(config.kafka)):
            start = _starting_value(cls, key, config)
            if config.kafka[key] != start and name in (_properties_under(
                    cls, replace(config, kafka={**config.kafka, key: start})) or {}):
                given.append(f"--set {key}={kafka_settings.render(key, config.kafka[key])} "
                             f"(it is with {key} at its default, "
                             f"{kafka_settings.render(key, start)})")
        for bound in cls.bounds:
            value = _bound_values(cls, config)[bound.name]
            if value != bound.default and name in (_properties_under(
                    cls, _with_bounds(config, {bound.name: bound.default})) or {}):
                given.append(f"--bound {bound.name}={value} (it is with {bound.name} at its "
                             f"default, {bound.default})")
        if given:
            return f"{name} is not a property of {model.name} with " + " or ".join(given)
    catalogue = property_catalogue(cls, getattr(config, "kafka_version", None))
    entry = catalogue.find(name)
    if entry is not None and entry.needs:
        return f"{name} is a property of {model.name} {entry.where()}"
    if entry is not None:
        base = f" and {catalogue.base}" if catalogue.base else ""
        return (f"{name} is a property of {model.name} with its default settings and "
                f"bounds{base}, not with those of this run")
    hint = did_you_mean(name, {*have, *(e.prop.name for e in catalogue.entries)})
    return f"unknown property {name!r} for model {model.name}{hint}"
