"""Unit tests of the Jepsen-style checkers on hand-made histories (no Java needed)."""

from __future__ import annotations

from typing import Any

from kafkacheck.conformance import checker
from kafkacheck.conformance.history import Event

K = "t/0"


class H:
    """A tiny builder for hand-made histories."""

    def __init__(self) -> None:
        """Start empty."""
        self.events: list[Event] = []
        self.t = 0

    def _add(self, process: str, type_: str, f: str, value: Any, **extra: Any) -> None:
        """Append one event with the next time stamp."""
        self.t += 1
        e: Event = {"process": process, "type": type_, "f": f, "value": value, "time": self.t}
        e.update(extra)
        self.events.append(e)

    def send(self, p: str, key: str, value: Any, offset: int | None, type_: str = "ok") -> H:
        """An invoke+completion pair for one record."""
        self._add(p, "invoke", "send", [[key, None, value]])
        self._add(p, type_, "send", [[key, offset, value]])
        return self

    def send_invoke(self, p: str, key: str, value: Any) -> H:
        """Only the invocation of a send."""
        self._add(p, "invoke", "send", [[key, None, value]])
        return self

    def poll(self, p: str, reads: dict[str, list[list[Any]]], type_: str = "ok", **extra: Any) -> H:
        """An invoke+completion pair for one poll."""
        self._add(p, "invoke", "poll", None, **extra)
        self._add(p, type_, "poll", reads if type_ == "ok" else None, **extra)
        return self

    def assign(self, p: str, keys: list[str]) -> H:
        """An assign op."""
        self._add(p, "invoke", "assign", keys)
        self._add(p, "ok", "assign", keys)
        return self


def kinds(anoms: list[checker.Anomaly]) -> list[tuple[str, tuple[Any, ...]]]:
    """Compact view of anomalies."""
    return [(a.kind, a.values) for a in anoms]


# --- lost write -----------------------------------------------------------


def test_lost_write_below_highest_read() -> None:
    h = H().send("p", K, "a", 0).send("p", K, "b", 1).send("p", K, "c", 2)
    h.poll("c", {K: [[0, "a"], [2, "c"]]})
    lost = checker.lost_writes(h.events)
    assert kinds(lost) == [("lost-write", ("b",))]
    assert lost[0].offsets == (1,)


def test_no_lost_write_when_reader_simply_behind() -> None:
    h = H().send("p", K, "a", 0).send("p", K, "b", 1)
    h.poll("c", {K: [[0, "a"]]})
    assert checker.lost_writes(h.events) == []


def test_lost_write_seen_by_complete_read_after_ack() -> None:
    # the acknowledged record vanished from the log and nothing overwrote its offset
    h = H().send("p", K, "a", 0).send("p", K, "b", 1)
    h.poll("c", {K: [[0, "a"]]}, complete=True, ends={K: 1})
    lost = checker.lost_writes(h.events)
    assert kinds(lost) == [("lost-write", ("b",))]
    assert "complete read" in lost[0].detail["reasons"][0]


def test_complete_read_before_ack_does_not_count() -> None:
    h = H().poll("c", {K: []}, complete=True, ends={K: 0}).send("p", K, "a", 0)
    assert checker.lost_writes(h.events) == []


def test_indefinite_and_failed_sends_are_not_lost() -> None:
    h = H().send("p", K, "a", 0).send("p", K, "b", None, "info").send("p", K, "x", None, "fail")
    h.send("p", K, "c", 2)
    h.poll("c", {K: [[0, "a"], [2, "c"]]}, complete=True, ends={K: 3})
    assert checker.lost_writes(h.events) == []


def test_unmatched_invocation_is_indefinite() -> None:
    h = H().send("p", K, "a", 0).send_invoke("p", K, "b")
    h.poll("c", {K: [[0, "a"]]}, complete=True, ends={K: 1})
    assert checker.lost_writes(h.events) == []


def test_overwritten_offset_is_lost_and_inconsistent() -> None:
    # acks=1 style: "b" acknowledged at 1, after failover "z" sits at 1
    h = H().send("p", K, "a", 0).send("p", K, "b", 1).send("q", K, "z", 1)
    h.poll("c", {K: [[0, "a"], [1, "z"]]})
    assert kinds(checker.lost_writes(h.events)) == [("lost-write", ("b",))]
    inc = checker.inconsistent_offsets(h.events)
    assert kinds(inc) == [("inconsistent-offsets", ("b", "z"))]
    assert inc[0].offsets == (1,)


# --- duplicate & inconsistent offsets ------------------------------------


def test_duplicate_value_at_two_offsets() -> None:
    h = H().send("p", K, "a", 0).poll("c", {K: [[0, "a"], [1, "b"], [2, "a"]]})
    dups = checker.duplicates(h.events)
    assert kinds(dups) == [("duplicate", ("a",))]
    assert dups[0].offsets == (0, 2)


def test_no_duplicate_when_same_record_read_twice() -> None:
    h = H().poll("c", {K: [[0, "a"]]}).poll("d", {K: [[0, "a"]]})
    assert checker.duplicates(h.events) == []
    assert checker.inconsistent_offsets(h.events) == []


def test_inconsistent_offsets_between_two_polls() -> None:
    h = H().poll("c", {K: [[0, "a"], [1, "b"]]}).poll("d", {K: [[0, "a"], [1, "x"]]})
    inc = checker.inconsistent_offsets(h.events)
    assert [(a.values, a.offsets) for a in inc] == [(("b", "x"), (1,))]


def test_partitions_are_independent() -> None:
    h = H().poll("c", {"t/0": [[0, "a"]], "t/1": [[0, "a"]]})
    assert checker.duplicates(h.events) == []
    assert checker.inconsistent_offsets(h.events) == []


# --- poll skip & non-monotonic poll ---------------------------------------


def _log(h: H) -> H:
    """Writes a, b, c, d at offsets 0..3."""
    for i, v in enumerate("abcd"):
        h.send("p", K, v, i)
    return h


def test_poll_skip_across_polls_of_one_process() -> None:
    h = _log(H()).poll("c", {K: [[0, "a"], [1, "b"]]}).poll("c", {K: [[3, "d"]]})
    skips = checker.poll_skips(h.events)
    assert kinds(skips) == [("poll-skip", ("b", "d"))]
    assert skips[0].detail["skipped"] == ["c"]


def test_poll_skip_within_one_poll() -> None:
    h = _log(H()).poll("c", {K: [[0, "a"], [2, "c"]]})
    assert kinds(checker.poll_skips(h.events)) == [("poll-skip", ("a", "c"))]


def test_offset_gaps_are_not_skips() -> None:
    # transaction markers leave holes in offsets; only known values count
    h = H().poll("c", {K: [[0, "a"], [2, "b"]]}).poll("c", {K: [[5, "c"]]})
    assert checker.poll_skips(h.events) == []


def test_assign_resets_poll_order() -> None:
    h = _log(H()).poll("c", {K: [[0, "a"]]}).assign("c", ["t/1"]).assign("c", [K])
    h.poll("c", {K: [[3, "d"]]})
    assert checker.poll_skips(h.events) == []


def test_nonmonotonic_poll_across_polls() -> None:
    h = _log(H()).poll("c", {K: [[1, "b"], [2, "c"]]}).poll("c", {K: [[1, "b"]]})
    bad = checker.nonmonotonic_polls(h.events)
    assert kinds(bad) == [("nonmonotonic-poll", ("c", "b"))]
    assert bad[0].detail["delta"] == -1


def test_nonmonotonic_poll_repeat_within_one_poll() -> None:
    h = _log(H()).poll("c", {K: [[0, "a"], [0, "a"]]})
    assert kinds(checker.nonmonotonic_polls(h.events)) == [("nonmonotonic-poll", ("a", "a"))]


def test_different_processes_do_not_interfere_by_process() -> None:
    h = _log(H()).poll("c", {K: [[2, "c"]]}).poll("d", {K: [[0, "a"]]})
    assert checker.nonmonotonic_polls(h.events) == []
    assert checker.poll_skips(h.events) == []


def test_group_view_sees_skip_after_consumer_crash() -> None:
    # commit-before-processing: c1 crashed while processing "b"; c2 resumes after it
    h = _log(H()).poll("c1", {K: [[0, "a"]]}, group="g")
    h.poll("c1", {}, type_="info", group="g")
    h.poll("c2", {K: [[2, "c"], [3, "d"]]}, group="g")
    assert checker.poll_skips(h.events, by="process") == []
    skips = checker.poll_skips(h.events, by="group")
    assert kinds(skips) == [("poll-skip", ("a", "c"))]
    assert skips[0].detail["skipped"] == ["b"]
    assert kinds(checker.lost_writes(h.events)) == [("lost-write", ("b",))]


def test_group_view_sees_redelivery_after_auto_commit_crash() -> None:
    h = _log(H()).poll("c1", {K: [[0, "a"], [1, "b"], [2, "c"]]}, group="g")
    h.poll("c2", {K: [[1, "b"], [2, "c"], [3, "d"]]}, group="g")
    assert kinds(checker.nonmonotonic_polls(h.events, by="group")) == [
        ("nonmonotonic-poll", ("c", "b"))
    ]
    dd = checker.duplicate_deliveries(h.events)
    assert [(a.values, a.offsets) for a in dd] == [(("b",), (1,)), (("c",), (2,))]
    assert checker.duplicates(h.events) == []


def test_rebalanced_key_is_excused() -> None:
    h = _log(H()).poll("c", {K: [[0, "a"]]}).poll("c", {K: [[3, "d"]]}, rebalance=[K])
    assert checker.poll_skips(h.events) == []


# --- non-monotonic send ----------------------------------------------------


def test_nonmonotonic_send() -> None:
    h = H().send("p", K, "a", 5).send("p", K, "b", 3)
    bad = checker.nonmonotonic_sends(h.events)
    assert kinds(bad) == [("nonmonotonic-send", ("a", "b"))]
    assert bad[0].offsets == (5, 3)


def test_monotonic_sends_and_other_producers() -> None:
    h = H().send("p", K, "a", 0).send("q", K, "x", 1).send("p", K, "b", 2)
    h.send("p", "t/1", "c", 0)
    assert checker.nonmonotonic_sends(h.events) == []


def test_nonmonotonic_send_ignores_unknown_offsets() -> None:
    h = H().send("p", K, "a", 4).send("p", K, "b", None, "info").send("p", K, "c", 5)
    assert checker.nonmonotonic_sends(h.events) == []


# --- aborted read & summary --------------------------------------------------


def test_aborted_read() -> None:
    h = H().send("p", K, "x", None, "fail").poll("c", {K: [[0, "x"]]})
    assert kinds(checker.aborted_reads(h.events)) == [("aborted-read", ("x",))]


def test_check_summary_valid_history() -> None:
    h = _log(H()).poll(
        "c", {K: [[0, "a"], [1, "b"], [2, "c"], [3, "d"]]}, complete=True, ends={K: 4}
    )
    summary = checker.check(h.events)
    assert summary["valid"] is True
    assert set(summary["counts"]) == set(checker.CHECKS)
    assert summary["ops"]["send_ok"] == 4


def test_check_summary_invalid_history() -> None:
    h = _log(H()).poll("c", {K: [[0, "a"], [3, "d"]]})
    summary = checker.check(h.events)
    assert summary["valid"] is False
    assert summary["counts"]["lost-write"] == 2
    assert summary["counts"]["poll-skip"] == 1


# --- reordered ----------------------------------------------------------------


def test_a_producers_records_out_of_send_order_in_the_log_are_reordered() -> None:
    h = H().send("p", K, "a", None, "info").send("p", K, "b", 0).poll(
        "c", {K: [[0, "b"], [1, "a"]]})
    bad = checker.reorders(h.events)
    assert kinds(bad) == [("reordered", ("a", "b"))]  # a was sent first, b stands first


def test_records_of_different_producers_or_lost_ones_are_not_reordered() -> None:
    h = H().send("p", K, "a", 1).send("q", K, "b", 0).send("p", K, "gone", 5)
    h.send("p", K, "c", 2).poll("c", {K: [[0, "b"], [1, "a"], [2, "c"]]})
    assert checker.reorders(h.events) == []


def test_a_duplicate_does_not_count_as_a_reorder() -> None:
    # the first copy of each record is where it stands
    h = H().send("p", K, "a", 0).send("p", K, "b", 1).poll(
        "c", {K: [[0, "a"], [1, "b"], [2, "a"]]})
    assert checker.reorders(h.events) == []
    assert kinds(checker.duplicates(h.events)) == [("duplicate", ("a",))]


def test_lost_write_a_later_complete_read_lacks_although_an_earlier_read_had_it() -> None:
    # Audit: a value any poll had returned was never a lost write, so an acknowledged
    # record read once (by a consumer, or by an earlier complete read) and then gone from
    # the final complete read was missed; KINDS says "an acknowledged record that a later
    # complete read does not contain"
    polled = H().send("p", K, "a", 0).send("p", K, "b", 1).poll("c", {K: [[0, "a"], [1, "b"]]})
    polled.poll("final", {K: [[0, "a"]]}, complete=True, ends={K: 1})
    lost = checker.lost_writes(polled.events)
    assert kinds(lost) == [("lost-write", ("b",))]
    assert lost[0].detail["reasons"] == [
        "a complete read begun after the acknowledgement lacks it"]
    twice = H().send("p", K, "a", 0).send("p", K, "b", 1)
    twice.poll("audit", {K: [[0, "a"], [1, "b"]]}, complete=True, ends={K: 2})
    twice.poll("final", {K: [[0, "a"]]}, complete=True, ends={K: 1})
    lost = checker.lost_writes(twice.events)
    assert kinds(lost) == [("lost-write", ("b",))]
    assert lost[0].detail["complete_reads"] == [3]  # the final read, not the audit


def test_a_value_read_that_no_send_carried_is_an_unsent_read() -> None:
    h = H().send("p", K, "a", 0).send("p", K, "x", None, type_="fail")
    h.poll("c", {K: [[0, "a"], [1, "ghost"], [2, "x"]]})
    h.poll("c", {K: [[1, "ghost"]]})
    assert [(a.values, a.offsets) for a in checker.unsent_reads(h.events)] == [
        (("ghost",), (1,))]
