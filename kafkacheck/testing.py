"""Checking Kafka configurations from your own tests: one call, strategies, and machines.

    from kafkacheck.testing import assert_holds
    assert_holds({"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"},
                 properties=["NoAckedWriteLost"], bounds={"crashes": 1})

``assert_holds`` explores every behaviour within the bounds and fails with the shortest
counterexample (as numbered steps) when the settings break a guarantee.  A pass is
relative to a fault model: the returned result's ``fault_model`` names the faults explored
and those not explored, and a pass without power loss on a replication question warns
(``PowerLossNotExplored``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kafkacheck.config import UsageError, build_config
from kafkacheck.explorer.result import CheckResult
from kafkacheck.model import registry
from kafkacheck.model.interface import Model


def make_model(name: str, settings: Mapping[str, str] | None = None, *,
               kafka_version: str | None = None, **bounds: object) -> Model:
    """Build a model instance from Kafka settings and bounds, as the CLI would."""
    cls = registry.model_class(name)
    config = build_config(
        cls,
        settings=[(k, str(v)) for k, v in (settings or {}).items()],
        bounds=[(k, str(v)) for k, v in bounds.items()],
        kafka_version=kafka_version,
    )
    return cls(config)


def check(settings: Mapping[str, str] | None = None, *, model: str = "replication",
          properties: Sequence[str] = (), bounds: Mapping[str, object] | None = None,
          max_seconds: float | None = None, max_states: int | None = None) -> CheckResult:
    """Run the exhaustive search on one configuration and return the result."""
    from kafkacheck.explorer.bfs import breadth_first

    instance = make_model(model, settings, **dict(bounds or {}))
    return breadth_first(instance, properties, max_seconds=max_seconds, max_states=max_states)


class PowerLossNotExplored(UserWarning):
    """A replication guarantee passed without exploring power loss (crash_kind=process)."""


def assert_holds(settings: Mapping[str, str] | None = None, **kwargs: Any) -> CheckResult:
    """Fail (AssertionError with the counterexample) unless every property holds in bounds.

    The result's ``fault_model`` says what the pass covers; a replication pass without
    power loss also warns (PowerLossNotExplored), with the line the CLI prints.
    """
    import warnings

    from kafkacheck.explorer.render import power_loss_warning, text_report

    result = check(settings, **kwargs)
    if result.result != "holds":
        raise AssertionError(text_report(result, diagrams=False))
    warning = power_loss_warning(result)
    if warning:
        warnings.warn(PowerLossNotExplored(f"{warning} ({result.fault_model.text()})"),
                      stacklevel=2)
    return result


def assert_violated(settings: Mapping[str, str] | None = None, prop: str = "",
                    **kwargs: Any) -> CheckResult:
    """Fail unless ``prop`` (or any property) is violated; returns the result with its trace."""
    result = check(settings, properties=[prop] if prop else kwargs.pop("properties", ()),
                   **kwargs)
    if result.result != "violated":
        raise AssertionError(f"expected a violation of {prop or 'a property'}, got "
                             f"{result.result} ({result.distinct_states:,} states)")
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


def kafka_settings(model: str = "replication", **fixed: str) -> Any:
    """A Hypothesis strategy of valid settings dicts for ``model`` (``fixed`` pins some)."""
    from hypothesis import strategies as st

    cls = registry.model_class(model)
    free = {name: st.sampled_from(VALUE_DOMAINS[name]) for name in cls.settings
            if name in VALUE_DOMAINS and name not in fixed}
    pinned = {name: st.just(value) for name, value in fixed.items()}

    def valid(settings: dict[str, str]) -> bool:
        try:
            build_config(cls, settings=list(settings.items()))
        except UsageError:
            return False
        return True

    return st.fixed_dictionaries({**free, **pinned}).filter(valid)


def machine(model: str, settings: Mapping[str, str] | None = None,
            properties: Sequence[str] = (), **bounds: object) -> Any:
    """A Hypothesis RuleBasedStateMachine class for one configuration of a model."""
    from kafkacheck.explorer.stateful import machine_for

    return machine_for(make_model(model, settings, **bounds), properties)
