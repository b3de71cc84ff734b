"""What one real-cluster scenario did, observed, and how its history compares with the model."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import checker
from .conform import Judgement, judge
from .history import read_events
from .predict import KINDS, ModelFactory, RunConfig, predict


def ops_text(ops: dict[str, int]) -> str:
    """What the clients were told: transactions' outcomes, or sends acknowledged."""
    if "txn_committed" in ops:
        return (f"{ops['txn_committed']} transactions committed, {ops.get('txn_aborted', 0)} "
                f"aborted, {ops.get('txn_fenced', 0)} fenced, "
                f"{ops.get('txn_indefinite', 0)} indefinite")
    return f"{ops.get('send_ok', 0)} sends acknowledged, {ops.get('send_info', 0)} indefinite"


@dataclass
class ScenarioResult:
    """A scenario's settings, faults, counts, and the judgement of its history."""

    scenario: str
    description: str
    focus: list[str]
    settings: dict[str, Any]
    config: dict[str, Any]
    faults: list[str]
    rounds: int
    counts: dict[str, int]
    ops: dict[str, int]
    judgement: dict[str, Any]
    history_path: str
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """conforms | FAIL | not covered."""
        return str(self.judgement["verdict"])

    def kind(self, kind: str) -> dict[str, Any]:
        """The judgement of one anomaly kind (observed count, prediction, verdict)."""
        for k in self.judgement["kinds"]:
            if k["kind"] == kind:
                return dict(k)
        raise KeyError(kind)

    def observed(self, kind: str) -> int:
        """How many anomalies of ``kind`` the history shows (0 when the view did not apply)."""
        try:
            return int(self.kind(kind)["observed"])
        except KeyError:
            return 0

    def observed_text(self, kind: str) -> str:
        """The count of ``kind`` for people: "n/a" when its view did not apply (never 0)."""
        try:
            return str(self.kind(kind)["observed"])
        except KeyError:
            return "n/a (not observed)"

    def predicted(self, kind: str) -> str:
        """possible | impossible | not covered, for ``kind``."""
        return str(self.judgement["prediction"]["kinds"][kind]["status"])

    @property
    def observation(self) -> str:
        """One line: what the history shows for the focus kinds, with the ops counts."""
        parts = [
            f"{self.observed_text(k)} {KINDS[k].label} (model: {self.predicted(k)})"
            for k in self.focus
        ]
        parts.append(ops_text(self.ops))
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return asdict(self)


def finish(
    name: str,
    description: str,
    focus: list[str],
    config: RunConfig,
    faults: list[str],
    history_path: Path,
    settings: dict[str, Any],
    started: float,
    rounds: int = 1,
    details: dict[str, Any] | None = None,
    factory: ModelFactory | None = None,
    problems: list[str] | None = None,
) -> ScenarioResult:
    """Check the recorded history, predict with the model, judge, and package the result
    (``problems``: what the scenario saw go wrong itself, each failing the run)."""
    events = read_events(history_path)
    summary = checker.check(events)
    judgement: Judgement = judge(events, predict(config, faults, factory), focus,
                                 problems or ())
    counts = dict(summary["counts"])
    counts.update(summary["observations"])
    counts.update({k.kind: k.observed for k in judgement.kinds if k.kind.startswith("group:")})
    return ScenarioResult(
        scenario=name,
        description=description,
        focus=list(focus),
        settings=settings,
        config=config.to_json(),
        faults=sorted(faults),
        rounds=rounds,
        counts=counts,
        ops=dict(summary["ops"]),
        judgement=judgement.to_json(),
        history_path=str(history_path),
        seconds=round(time.monotonic() - started, 2),
        details=dict(details or {}),
    )
