"""Where the Kafka test vectors live: ../shared/oracles when present, else tests/oracles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def oracle_dir() -> Path:
    """The oracle folder (the steering copy wins: it may hold more cases)."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "oracles"
    return shared if shared.is_dir() else Path(__file__).resolve().parent / "oracles"


def load_oracle(name: str) -> Any:
    """One oracle JSON file, parsed."""
    return json.loads((oracle_dir() / name).read_text(encoding="utf-8"))
