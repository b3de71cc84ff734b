"""Checking Kafka configurations from your own tests: one call, strategies, and machines.

    from kafkacheck.testing import assert_holds
    assert_holds({"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"},
                 properties=["NoAckedWriteLost"], bounds={"crashes": 1})

``assert_holds`` explores every behaviour within the bounds and fails with the shortest
counterexample (as numbered steps) when the settings break a guarantee.  Model names
and the CLI's presets are both accepted.  Bad input raises ``UsageError`` with the same
one-line message the command line prints.  A pass is relative to a fault model: the
returned result's ``fault_model`` names the faults explored and those not explored, and a
pass without power loss on a replication question warns (``PowerLossNotExplored``).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kafkacheck.config import (
    UsageError,
    build_config,
    count_limit,
    did_you_mean,
    resolve_target,
    seconds_limit,
)
from kafkacheck.explorer.result import CheckResult
from kafkacheck.model.interface import Model

__all__ = ["FaultNeverInjected", "PowerLossNotExplored", "UsageError", "assert_holds",
           "assert_violated", "check", "kafka_settings", "machine", "make_model"]


def _text(value: object, where: str) -> str:
    """A setting or bound value as the text a .properties file would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise UsageError(f"{where}: expected a string or number, got {type(value).__name__}")


def _pairs(value: object, what: str) -> list[tuple[str, str]]:
    """A mapping of names to values (settings, bounds) as (name, text) pairs."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise UsageError(f"{what} must be a mapping of names to values (a dict), got "
                         f"{type(value).__name__}")
    out = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise UsageError(f"{what}: names must be strings, got {type(key).__name__}")
        out.append((key, _text(item, f"{what} {key}")))
    return out


def _names(value: object, what: str) -> list[str]:
    """One name or a sequence of names (a lone string is one name, not its characters)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable) or isinstance(value, Mapping | bytes):
        raise UsageError(f"{what} must be a name or a list of names, got {type(value).__name__}")
    names = list(value)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise UsageError(f"{what} must be names (strings), got {type(bad[0]).__name__}")
    return names


def _resolve(name: object, settings: object, bounds: object,
             kafka_version: object = None) -> tuple[Model, list[str]]:
    """The model instance for a model or preset name, and the preset's properties."""
    target = resolve_target(name)
    if kafka_version is not None and (isinstance(kafka_version, bool)
                                      or not isinstance(kafka_version, str | int)):
        # A float cannot name a release: 3.10 would read as 3.1.
        raise UsageError(f"kafka_version must be a release such as '4.4' (a string), got "
                         f"{type(kafka_version).__name__} {kafka_version!r}")
    config = build_config(target.cls, settings=_pairs(settings, "settings"),
                          bounds=_pairs(bounds, "bounds"), base_bounds=target.bounds,
                          base=target.settings,
                          kafka_version=target.kafka_version if kafka_version is None
                          else str(kafka_version))
    return target.cls(config), target.properties


def make_model(name: str, settings: Mapping[str, object] | None = None, *,
               kafka_version: str | None = None, **bounds: object) -> Model:
    """Build a model instance from Kafka settings and bounds, as the CLI would."""
    return _resolve(name, settings, bounds, kafka_version)[0]


def check(settings: Mapping[str, object] | None = None, *, model: str = "replication",
          properties: Sequence[str] | str = (), bounds: Mapping[str, object] | None = None,
          max_seconds: float | None = None, max_states: int | None = None,
          kafka_version: str | None = None) -> CheckResult:
    """Run the exhaustive search on one configuration and return the result."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.explorer.checks import select_properties

    if max_states is not None:
        max_states = count_limit(max_states, "max_states")
    if max_seconds is not None:
        max_seconds = seconds_limit(max_seconds, "max_seconds")
    instance, preset_props = _resolve(model, settings, bounds, kafka_version)
    names = _names(properties, "properties") or preset_props
    propset = select_properties(instance, names)
    return breadth_first(instance, names, max_seconds=max_seconds, max_states=max_states,
                         propset=propset)


def _check_options(kwargs: Mapping[str, Any], caller: str) -> None:
    """The keyword options ``caller`` passes on to check(): an unknown one (bound= for
    bounds=) is a UsageError naming the close one, not a TypeError from deep inside."""
    known = [name for name in inspect.signature(check).parameters if name != "settings"]
    for name in kwargs:
        if name not in known:
            raise UsageError(f"{caller}() has no option {name!r}{did_you_mean(name, known)} "
                             f"(options: {', '.join(known)})")


class PowerLossNotExplored(UserWarning):
    """A replication guarantee passed without exploring power loss (crash_kind=process)."""


class FaultNeverInjected(UserWarning):
    """A pass whose bounds offered a fault that never fired (replication.factor=1 and
    leader_changes=1: no other replica to move the leader to): the CLI's "offered but never
    injected" line, so a test that asked for the fault learns it was not exercised."""


def assert_holds(settings: Mapping[str, object] | None = None, **kwargs: Any) -> CheckResult:
    """Fail (AssertionError with the counterexample) unless every property holds in bounds.

    The result's ``fault_model`` says what the pass covers, as the CLI's exit 0 does: a
    fault the bounds offered that never fired warns (FaultNeverInjected), and so does a
    replication pass without power loss (PowerLossNotExplored), with the lines the CLI prints.
    """
    import warnings

    from kafkacheck.explorer.render import power_loss_warning, text_report

    _check_options(kwargs, "assert_holds")
    result = check(settings, **kwargs)
    if result.result != "holds":
        raise AssertionError(text_report(result, diagrams=False))
    never = result.fault_model.never_fired()
    if never:
        warnings.warn(FaultNeverInjected(f"{never}, so this pass says nothing about it "
                                         f"({result.fault_model.text()})"), stacklevel=2)
    warning = power_loss_warning(result)
    if warning:
        warnings.warn(PowerLossNotExplored(f"{warning} ({result.fault_model.text()})"),
                      stacklevel=2)
    return result


def assert_violated(settings: Mapping[str, object] | None = None, prop: str = "",
                    **kwargs: Any) -> CheckResult:
    """Fail unless ``prop`` (or any property) is violated; returns the result with its trace."""
    if not isinstance(prop, str):
        raise UsageError(f"prop must be a property name, got {type(prop).__name__}")
    if prop and "properties" in kwargs:
        raise UsageError("give prop= or properties=, not both")
    _check_options(kwargs, "assert_violated")
    result = check(settings, properties=[prop] if prop else kwargs.pop("properties", ()),
                   **kwargs)
    if result.result != "violated":
        raise AssertionError(f"expected a violation of {prop or 'a property'}, got "
                             f"{result.result} ({result.distinct_states:,} states; "
                             f"{result.fault_model.text()})")
    return result


# Values worth exploring for each Kafka setting (a subset of each valid range).
VALUE_DOMAINS: dict[str, tuple[str, ...]] = {
    "acks": ("0", "1", "all"),
    "min.insync.replicas": ("1", "2", "3"),
    "replication.factor": ("1", "2", "3"),
    "unclean.leader.election.enable": ("false", "true"),
    "enable.idempotence": ("true", "false"),
    "retries": ("0", "1", "2147483647"),
    "max.in.flight.requests.per.connection": ("1", "2", "5"),
    "enable.auto.commit": ("true", "false"),
    "auto.offset.reset": ("earliest", "latest", "none"),
    "partition.assignment.strategy": ("range", "roundrobin", "sticky", "cooperative-sticky",
                                      "range,cooperative-sticky"),
    "flush.messages": ("1", "9223372036854775807"),
}

_SATISFIABILITY_TRIES = 5000


def kafka_settings(model: str = "replication", **fixed: object) -> Any:
    """A Hypothesis strategy of valid settings dicts for ``model`` (``fixed`` pins some).

    Pins are checked at once: an unknown setting, a value Kafka rejects, or pins no
    valid configuration satisfies raise UsageError (not Hypothesis's Unsatisfiable).
    """
    from hypothesis import strategies as st

    cls, base, _bounds, _props, _version = resolve_target(model)
    pinned_text = {**base, **dict(_pairs(fixed, "pinned settings"))}
    build_config(cls, settings=list(pinned_text.items()))  # UsageError for a bad pin
    free_names = [name for name in cls.settings
                  if name in VALUE_DOMAINS and name not in pinned_text]

    def valid(settings: dict[str, str]) -> bool:
        try:
            build_config(cls, settings=list(settings.items()))
        except UsageError:
            return False
        return True

    combos = itertools.product(*(VALUE_DOMAINS[name] for name in free_names))
    if not any(valid({**dict(zip(free_names, values, strict=True)), **pinned_text})
               for values in itertools.islice(combos, _SATISFIABILITY_TRIES)):
        pins = ", ".join(f"{k}={v}" for k, v in pinned_text.items())
        raise UsageError(f"no valid {cls.name} configuration has {pins}")
    free = {name: st.sampled_from(VALUE_DOMAINS[name]) for name in free_names}
    pinned = {name: st.just(value) for name, value in pinned_text.items()}
    return st.fixed_dictionaries({**free, **pinned}).filter(valid)


def machine(model: str, settings: Mapping[str, object] | None = None,
            properties: Sequence[str] | str = (), *, kafka_version: str | None = None,
            refuse_unchecked: bool = True, **bounds: object) -> Any:
    """A Hypothesis RuleBasedStateMachine class for one configuration of a model
    (``kafka_version``: the release whose rules and defaults it runs, as make_model).

    Run it with ``run_state_machine_as_test(machine(...))`` or expose it to pytest as
    ``TestX = machine(...).TestCase``.  A property named here that the machine cannot
    check (sometimes, eventually, or one that cannot fail under the bounds) is a UsageError,
    so a test naming it can never pass; with ``refuse_unchecked=False`` it is only warned
    about and listed in ``not_checked`` (the preset's own properties always are).
    """
    from kafkacheck.explorer.checks import select_properties
    from kafkacheck.explorer.stateful import machine_for, machine_skips

    instance, preset_props = _resolve(model, settings, bounds, kafka_version)
    named = _names(properties, "properties")
    names = named or preset_props
    select_properties(instance, names)  # UsageError for an unknown property, before Hypothesis
    if refuse_unchecked and named and not getattr(instance.config, "uncovered", {}):
        refused = machine_skips(select_properties(instance, named, witnesses=False))
        if refused:
            raise UsageError(f"a Hypothesis machine cannot check {', '.join(refused)}: a "
                             "test naming it would pass without checking it "
                             "(assert_holds checks every kind, exhaustively)")
    return machine_for(instance, names)
