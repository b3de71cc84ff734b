"""What one real-cluster scenario did, observed, and how its history compares with the model."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import checker
from .conform import CONFORMS, FAIL, NOT_COVERED, Judgement, judge
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


def attempt_record(attempt: int, result: ScenarioResult) -> dict[str, Any]:
    """One attempt of a retried scenario as its details keep it: its history and its whole
    judgement but the prediction (the same for every attempt), so no attempt's verdict is
    lost when a later one is kept."""
    judgement = {k: v for k, v in result.judgement.items() if k != "prediction"}
    return {"attempt": attempt, "history_path": result.history_path, **judgement}


def may_retry(result: ScenarioResult, set_up_problems: Sequence[str]) -> bool:
    """Whether a retried scenario may make another attempt instead of keeping this one.

    Only an attempt that shows nothing against the model: no kind FAIL or not covered, and
    a verdict that is conforms (the run did not show what it is about) or FAIL for
    ``set_up_problems`` alone (a set-up or a fault that did not happen).  Any other
    attempt is the scenario's result: a later clean attempt must not hide it.
    """
    j = result.judgement
    if any(k["verdict"] in (FAIL, NOT_COVERED) for k in j["kinds"]):
        return False
    if j["verdict"] == CONFORMS:
        return True
    problems = list(j.get("problems", []))
    return j["verdict"] == FAIL and bool(problems) and set(problems) <= set(set_up_problems)


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
