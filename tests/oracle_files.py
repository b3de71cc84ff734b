"""Where the Kafka test vectors live: ../shared/oracles when it has the file, else ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "oracles"
OWN = Path(__file__).resolve().parent / "oracles"


def oracle_path(name: str) -> Path:
    """One oracle file: the steering copy wins (it may hold more cases); ours fills the gaps.

    The steering folder need not hold every file we generated ourselves (the KIP-848
    assignor cases come from our own Java harness in bench/oracles), so the choice is per file.
    """
    shared = SHARED / name
    return shared if shared.is_file() else OWN / name


def load_oracle(name: str) -> Any:
    """One oracle JSON file, parsed."""
    return json.loads(oracle_path(name).read_text(encoding="utf-8"))
