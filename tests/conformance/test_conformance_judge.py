"""A history judged against a prediction: allowed, FAIL (with an excerpt), not covered."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kafkacheck.conformance import conform
from kafkacheck.conformance.__main__ import _variant_factory
from kafkacheck.conformance.history import Event, HistoryWriter, read_end_marks, read_events
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

    def timed_out_read(self, pairs: list[list[Any]], ends: int) -> H:
        """A complete read whose deadline passed before ``ends``, as complete_read writes
        it: the invocation says complete, the completion the fields of read_end_marks."""
        reached = {K: pairs[-1][0] + 1 if pairs else 0}
        self._add("reader", "invoke", "poll", None, complete=True)
        self._add("reader", "ok", "poll", {K: pairs},
                  **read_end_marks([K], reached, [{K: ends}], done=False))
        return self

    def group_poll(self, pairs: list[list[Any]]) -> H:
        self._add("consumer-1", "invoke", "poll", None, group="g")
        self._add("consumer-1", "ok", "poll", {K: pairs}, group="g")
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
        # Audit: the test wrote complete=true with incomplete, a shape complete_read never
        # writes; its timed-out read (complete=false) was reported as "no complete read"
        (H().send("a", 0).timed_out_read([], 1), "the final read timed out before the end "
                                                  "of ['t/0']"),
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


def test_a_final_read_begun_before_an_acknowledgement_cannot_support_a_verdict() -> None:
    # Audit: the final read was invoked before b's acknowledgement came back and did not
    # hold b; b was not "lost" (no complete read began after its ack) and the run conformed
    h = H().send("a", 0)
    h._add("reader", "invoke", "poll", None, complete=True)
    h.send("b", 1)
    h._add("reader", "ok", "poll", {K: [[0, "a"]]}, complete=True, ends={K: 2})
    j = conform.judge(h.events, _prediction())
    assert j.verdict == conform.FAIL
    assert j.problems == ["the final read began before an acknowledgement (1 came later, the "
                          "first: op #2): it must begin after every acknowledgement"]


def test_a_group_that_never_reached_the_end_of_the_final_read_cannot_support_a_verdict() -> None:
    # Audit: the group processed a only, the final read holds a and b: b was never
    # processed, yet "never processed: 0" conformed (no record past b showed the gap)
    behind = H().send("a", 0).send("b", 1).group_poll([[0, "a"]]).read([[0, "a"], [1, "b"]], 2)
    j = conform.judge(behind.events, _prediction(), focus=["group:lost-write"])
    assert j.verdict == conform.FAIL
    assert j.problems == ["the group did not process up to the end of the final read in t/0 "
                          "(offset 0 of 1): a record it never processed there could not be "
                          "seen"]
    caught_up = H().send("a", 0).send("b", 1).group_poll([[0, "a"], [1, "b"]]).read(
        [[0, "a"], [1, "b"]], 2)
    assert conform.judge(caught_up.events, _prediction(),
                         focus=["group:lost-write"]).verdict == conform.CONFORMS


def test_a_record_read_that_no_send_wrote_makes_the_history_incomplete() -> None:
    # Audit: a final read holding "ghost", which no send of the history carried, conformed
    h = H().send("a", 0).read([[0, "a"], [1, "ghost"]], 2)
    j = conform.judge(h.events, _prediction())
    assert j.verdict == conform.FAIL
    assert j.problems == ["a record no send in the history wrote was read (1 such, the first: "
                          "'ghost' at t/0 offset 1): a writer is missing from the history"]


def test_a_run_whose_judged_kinds_no_model_run_covers_is_not_covered() -> None:
    # Audit: a prediction without model runs has every kind "not covered"; nothing observed
    # was compared with anything and the run "conformed"
    blind = _prediction(**{k.replace("-", "_").replace(":", "_"): NOT_COVERED for k in KINDS})
    ok = H().send("a", 0).read([[0, "a"]], 1)
    j = conform.judge(ok.events, blind)
    assert j.verdict == NOT_COVERED
    assert conform.render(j).splitlines() == [
        "conformance: not covered", "  no model run covers any kind judged (0 model runs)"]
    assert conform.rejudge(j.to_json(), blind).verdict == NOT_COVERED


def test_a_final_read_that_complete_read_ended_at_its_deadline_is_reported_as_timed_out(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # the real writer, its consumer stubbed: the high watermark says 2, no record ever comes
    from kafkacheck.conformance import workloads

    class Stuck:
        def __init__(self, conf: dict[str, Any]) -> None:
            pass

        def assign(self, partitions: list[Any]) -> None:
            pass

        def consume(self, num_messages: int, timeout: float) -> list[Any]:
            time.sleep(0.02)
            return []

        def position(self, partitions: list[Any]) -> list[Any]:
            return [SimpleNamespace(topic="t", partition=0, offset=0)]

        def close(self) -> None:
            pass

    monkeypatch.setattr(workloads, "Consumer", Stuck)
    monkeypatch.setattr(workloads, "high_watermarks", lambda conf, parts, timeout_s: {K: (0, 2)})
    path = tmp_path / "history.jsonl"
    with HistoryWriter(path) as hw:
        inv = hw.invoke("producer", "send", [[K, None, "a"]])
        hw.complete(inv, "ok", [[K, 0, "a"]])
        done = workloads.complete_read({}, [("t", 0)], hw, timeout_s=0.2, confirm_s=0.01)
    assert (done["complete"], done["incomplete"]) == (False, [K])
    assert conform.final_read_problem(read_events(path)) == (
        "the final read timed out before the end of ['t/0']")
