"""Pytest configuration for the Kafka conformance tests."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``conformance`` and ``thorough`` markers."""
    config.addinivalue_line(
        "markers", "conformance: runs a real Apache Kafka cluster (needs java, mvn, network once)"
    )
    config.addinivalue_line(
        "markers", "thorough: long runs, only with `pytest -m thorough`"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave this folder's ``thorough`` tests out of the default run (``-m thorough`` runs them)."""
    if "thorough" in (config.getoption("markexpr") or ""):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="long run: select with `pytest -m thorough`")
    for item in items:
        if item.get_closest_marker("thorough") is not None and here in item.path.parents:
            item.add_marker(skip)
