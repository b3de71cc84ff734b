"""A history judged against a prediction: allowed, FAIL (with an excerpt), not covered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kafkacheck.conformance import conform
from kafkacheck.conformance.__main__ import _variant_factory
from kafkacheck.conformance.history import Event
from kafkacheck.conformance.predict import (
    IMPOSSIBLE,
    KINDS,
    NOT_COVERED,
    POSSIBLE,
    KindPrediction,
    Prediction,
    RunConfig,
    predict,
)

K = "t/0"
VARIANTS = Path(__file__).with_name("variants.py")


class H:
    """Hand-made histories."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def _add(self, process: str, type_: str, f: str, value: Any, **extra: Any) -> None:
        e: Event = {"process": process, "type": type_, "f": f, "value": value,
                    "time": len(self.events) + 1}
        e.update(extra)
        self.events.append(e)

    def send(self, value: str, offset: int | None, type_: str = "ok", p: str = "producer") -> H:
        self._add(p, "invoke", "send", [[K, None, value]])
        self._add(p, type_, "send", [[K, offset, value]])
        return self

    def nemesis(self, what: str) -> H:
        self._add("nemesis", "invoke", what, 1)
        self._add("nemesis", "info", what, 1)
        return self

    def read(self, pairs: list[list[Any]], ends: int, **extra: Any) -> H:
        self._add("reader", "invoke", "poll", None, complete=True)
        self._add("reader", "ok", "poll", {K: pairs}, complete=True, ends={K: ends}, **extra)
        return self


def _prediction(**status: str) -> Prediction:
    kinds = {k: KindPrediction(k, status.get(k.replace("-", "_").replace(":", "_"), IMPOSSIBLE),
                               ["because"]) for k in KINDS}
    return Prediction(RunConfig(), (), [], kinds)


def _lossy() -> H:
    # "b" acknowledged at offset 1, then the leader was isolated; the final log has "z" there
    return H().send("a", 0).nemesis("isolate").send("b", 1).send("z", 1, p="other").read(
        [[0, "a"], [1, "z"]], 2)


def test_an_observed_anomaly_the_model_allows_conforms() -> None:
    j = conform.judge(_lossy().events, _prediction(lost_write=POSSIBLE,
                                                    inconsistent_offsets=POSSIBLE))
    assert j.verdict == conform.CONFORMS
    assert {k.kind: k.verdict for k in j.kinds if k.observed} == {
        "lost-write": conform.ALLOWED, "inconsistent-offsets": conform.ALLOWED}


def test_an_observed_anomaly_the_model_forbids_fails_with_the_history_excerpt() -> None:
    j = conform.judge(_lossy().events, _prediction(inconsistent_offsets=POSSIBLE))
    assert j.verdict == conform.FAIL and j.failed
    lost = next(k for k in j.kinds if k.kind == "lost-write")
    assert lost.verdict == conform.FAIL and lost.observed == 1
    rows = [(r["process"], r["f"], r["value"]) for r in lost.excerpt]
    assert rows == [  # the ack of b, the ack of z at the same offset, the final read there
        ("producer", "send", {K: [[1, "b"]]}),
        ("other", "send", {K: [[1, "z"]]}),
        ("reader", "poll", {K: [[1, "z"]]}),
    ]
    assert "lost: 1 observed, model says impossible -> FAIL" in conform.render(j)


def test_an_anomaly_no_model_run_covers_is_not_a_pass() -> None:
    j = conform.judge(_lossy().events, _prediction(lost_write=NOT_COVERED,
                                                    inconsistent_offsets=POSSIBLE))
    assert j.verdict == NOT_COVERED


@pytest.mark.parametrize(
    ("history", "problem"),
    [
        (H().send("a", 0), "no complete read"),
        (H().send("a", 0).read([], 1, incomplete=[K]), "timed out"),
        (H().send("a", 0).read([], 0), "returned nothing"),
    ],
)
def test_a_run_without_a_complete_final_read_fails(history: H, problem: str) -> None:
    j = conform.judge(history.events, _prediction())
    assert j.verdict == conform.FAIL
    assert problem in j.problems[0]


def test_recorded_counts_are_judged_again_against_a_new_prediction() -> None:
    recorded = conform.judge(_lossy().events, _prediction(
        lost_write=POSSIBLE, inconsistent_offsets=POSSIBLE)).to_json()
    stricter = conform.rejudge(recorded, _prediction(inconsistent_offsets=POSSIBLE))
    assert stricter.verdict == conform.FAIL
    assert conform.rejudge(recorded, _prediction(
        lost_write=POSSIBLE, inconsistent_offsets=POSSIBLE)).verdict == conform.CONFORMS


def test_a_model_variant_that_forbids_zombie_acks_turns_a_lossy_history_into_a_failure() -> None:
    config = RunConfig(acks="1", min_insync_replicas=1, idempotence=False, producers=False)
    variant = _variant_factory([f"controller={VARIANTS}:ControllerAcksOneWaitsForIsr"])
    forbidding = predict(config, ["leader-isolated"], variant)
    (run,) = forbidding.outcomes
    assert run.complete and run.verdicts["DeposedLeaderAcksSurvive"] == "holds"
    assert forbidding.status("lost-write") == IMPOSSIBLE
    j = conform.judge(_lossy().events, forbidding)
    assert j.verdict == conform.FAIL
    assert [k.kind for k in j.kinds if k.verdict == conform.FAIL] == [
        "lost-write", "inconsistent-offsets"]
