"""pytest plugin: a ``kafkacheck`` fixture for asserting guarantees in users' test suites.

Every check made through the fixture records what it covered (verdict, fault model
explored and not explored, settings not covered, properties not checked) in the test's
``user_properties`` (so JUnit XML carries it), and the session ends with a summary
section listing them: a green test says under which faults it is green.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kafkacheck import testing
from kafkacheck.explorer.result import CheckResult

RECORD = "kafkacheck"  # the user_properties key of the fixture's records


def describe(result: CheckResult) -> str:
    """One line: model, verdict, fault model and what the verdict does not cover."""
    from kafkacheck.explorer.render import power_loss_warning

    parts = [f"{result.model.name} {result.result.upper()}", result.fault_model.text()]
    if result.uncovered_settings:
        parts.append(f"not covered: {result.model.config.uncovered_text()}")
    if power_loss_warning(result):
        parts.append("POWER LOSS NOT EXPLORED")
    return "; ".join(parts)


class KafkaCheck:
    """What the fixture hands to a test: check, assert_holds, assert_violated, machine."""

    settings_strategy = staticmethod(testing.kafka_settings)

    def __init__(self, node: pytest.Item | None = None) -> None:
        self._node = node

    def _record(self, text: str) -> None:
        if self._node is not None:
            self._node.user_properties.append((RECORD, text))

    def check(self, settings: Mapping[str, str] | None = None, **kwargs: Any) -> CheckResult:
        """testing.check, recorded."""
        result = testing.check(settings, **kwargs)
        self._record(describe(result))
        return result

    def assert_holds(self, settings: Mapping[str, str] | None = None,
                     **kwargs: Any) -> CheckResult:
        """testing.assert_holds, recorded (the failure message names the faults too)."""
        result = testing.assert_holds(settings, **kwargs)
        self._record(describe(result))
        return result

    def assert_violated(self, settings: Mapping[str, str] | None = None, prop: str = "",
                        **kwargs: Any) -> CheckResult:
        """testing.assert_violated, recorded."""
        result = testing.assert_violated(settings, prop, **kwargs)
        self._record(describe(result))
        return result

    def machine(self, model: str, settings: Mapping[str, str] | None = None,
                properties: Sequence[str] = (), **bounds: object) -> Any:
        """testing.machine, recorded with what the machine checks and what it cannot; a
        named property it cannot check is refused (UsageError), never a pass."""
        cls = testing.machine(model, settings, properties, refuse_unchecked=True, **bounds)
        text = f"{model} Hypothesis machine; {cls.fault_model.text()}"
        if cls.not_checked:
            text += f"; not checked: {', '.join(cls.not_checked)}"
        self._record(text)
        return cls


@pytest.fixture
def kafkacheck(request: pytest.FixtureRequest) -> KafkaCheck:
    """Check Kafka settings against kafkacheck's models from a test."""
    return KafkaCheck(request.node)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List what each kafkacheck check covered, after the test results."""
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for key, value in getattr(report, "user_properties", ()):
                if key == RECORD:
                    lines.append(f"{report.nodeid}: {value}")
    if lines:
        terminalreporter.write_sep("-", "kafkacheck: the faults each check explored")
        for line in lines:
            terminalreporter.write_line(line)
