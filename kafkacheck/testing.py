"""Helpers for checking Kafka configurations from your own tests (pytest or plain Python)."""

from __future__ import annotations

from collections.abc import Mapping

from kafkacheck.config import build_config
from kafkacheck.model import registry
from kafkacheck.model.interface import Model


def make_model(name: str, settings: Mapping[str, str] | None = None, **bounds: object) -> Model:
    """Build a model instance from Kafka settings and bounds, as the CLI would."""
    cls = registry.model_class(name)
    config = build_config(
        cls,
        settings=[(k, str(v)) for k, v in (settings or {}).items()],
        bounds=[(k, str(v)) for k, v in bounds.items()],
    )
    return cls(config)
