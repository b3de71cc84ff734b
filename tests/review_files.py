"""`kafkacheck review --json` of files written for a test: {"[ROLE:]NAME": text}."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kafkacheck.cli import main


def review_json(tmp_path: Path, capsys: Any, files: dict[str, str], *options: str) -> dict:
    """Write each file under tmp_path, review them (with ``options``) and return the JSON."""
    specs = []
    for spec, text in files.items():
        role, _, name = spec.rpartition(":")
        (tmp_path / name).write_text(text)
        specs.append(f"{role}:{tmp_path / name}" if role else str(tmp_path / name))
    main(["review", *specs, "--json", *options])
    return json.loads(capsys.readouterr().out)
