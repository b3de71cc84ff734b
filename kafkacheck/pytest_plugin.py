"""pytest plugin: a ``kafkacheck`` fixture for asserting guarantees in users' test suites."""

from __future__ import annotations

from typing import Any

import pytest

from kafkacheck import testing


class KafkaCheck:
    """What the fixture hands to a test: check, assert_holds, assert_violated, machine."""

    check = staticmethod(testing.check)
    assert_holds = staticmethod(testing.assert_holds)
    assert_violated = staticmethod(testing.assert_violated)
    machine = staticmethod(testing.machine)
    settings_strategy = staticmethod(testing.kafka_settings)


@pytest.fixture
def kafkacheck() -> Any:
    """Check Kafka settings against kafkacheck's models from a test."""
    return KafkaCheck()
