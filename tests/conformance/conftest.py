"""Pytest configuration for the Kafka conformance tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``conformance`` marker (real Kafka cluster tests)."""
    config.addinivalue_line(
        "markers", "conformance: runs a real Apache Kafka cluster (needs java, mvn, network once)"
    )
