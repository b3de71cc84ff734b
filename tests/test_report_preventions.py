"""A counterexample page's "Which setting prevents it" offers only real preventions.

A row one setting away where the property holds is offered as the setting that prevents
the violation, unless the change only makes the search smaller: fewer of a bound that
counts, a fault's kind dropped, or a smaller cluster or workload.  The audit found the
page of the acks=all, RF=3, min.insync.replicas=2 row with high-watermark truncation
recommending ``replication.factor=2``: under that row's fault budget the two-replica
cluster never reaches the loss, which takes a follower bounce there (KIP-101).
"""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from kafkacheck.report import (
    CellResult,
    RowResult,
    _differs_by_one,
    _prevention,
    _shrinks_the_search,
    counterexample_page,
    run_row,
)
from kafkacheck.report_matrices import MATRICES, REPLICATION, Row


def _row(rf: str) -> Row:
    """The audited replication row (high-watermark truncation), at a replication factor."""
    [row] = [r for r in REPLICATION.rows
             if r.settings == {"acks": "all", "replication.factor": rf,
                               "min.insync.replicas": "2",
                               "unclean.leader.election.enable": "false"}
             and r.bounds.get("truncation") == "high-watermark"]
    return row


def _result(row: Row, verdict: str, steps: int | None = None) -> RowResult:
    cells = {name: CellResult(verdict, steps=steps) for name in REPLICATION.columns}
    return RowResult(row, True, "complete", 100, 200, 5, 0.1, cells)


def _prevention_section(page: str) -> str:
    match = re.search(r"^## Which setting prevents it\n(.*?)^## ", page, re.M | re.S)
    assert match
    return match.group(1).strip()


def test_the_audited_page_does_not_offer_a_smaller_replication_factor() -> None:
    rf3, rf2 = _row("3"), _row("2")
    assert rf2.bounds == rf3.bounds == {"records": 2, "crashes": 1,
                                        "truncation": "high-watermark", "leader_changes": 1}
    # the RF=2 row holds within its bounds (a real run), RF=3 loses the write (its run,
    # 440k states, is the matrix's; its verdict is taken as the report states it)
    holds = run_row((rf2, REPLICATION.columns, REPLICATION.max_states))
    assert holds.cells["NoAckedWriteLost"].verdict == "holds"
    lost = _result(rf3, "violated", steps=9)
    for name in ("NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw"):
        assert _prevention(REPLICATION, [lost, holds], lost, name) == []
        page = counterexample_page(REPLICATION, [lost, holds], lost, name, "<date>")
        assert _prevention_section(page) == (
            "- no configuration one setting away in this matrix keeps the property; see the "
            "matrix for safe ones")


def test_two_replicas_lose_the_write_too_once_a_follower_may_bounce() -> None:
    # why RF=2 is no prevention: one more fault the RF=2 row does not offer, and it loses
    # the acknowledged write in 7 steps (the audit's reproduction); a bounce is a
    # ZooKeeper cluster's (3.9 without process.roles)
    rf2 = _row("2")
    bounced = Row(rf2.model, rf2.settings, {**rf2.bounds, "bounces": 1}, kafka_version="3.9")
    rr = run_row((bounced, ("NoAckedWriteLost",), 100_000))
    cell = rr.cells["NoAckedWriteLost"]
    assert (cell.verdict, cell.steps) == ("violated", 7)
    assert [line.split(". ", 1)[1] for line in cell.trace_text.splitlines()
            if re.match(r"\s*[1-9][0-9]*\. ", line)] == [
        "Produce(r1)", "Fetch(B2)", "Fetch(B2)", "Ack(r1)", "Bounce(B2)",
        "BecomeFollower(B2, truncate to 0)", "MoveLeader(B2)"]


def test_a_raised_replication_factor_is_still_offered() -> None:
    # more replicas is a real change of configuration, not a smaller search
    rf2, rf3 = _row("2"), _row("3")
    lost, holds = _result(rf2, "violated", steps=5), _result(rf3, "holds")
    [line] = _prevention(REPLICATION, [lost, holds], lost, "NoAckedWriteLost")
    assert line.startswith("- `replication.factor=3` instead of `2`: the property holds "
                           "(100 states explored; `kafkacheck check replication ")


@pytest.mark.parametrize("key, was, now, shrinks", [
    ("replication.factor", "3", "2", True),
    ("replication.factor", "3", "1", True),
    ("replication.factor", "2", "3", False),
    ("transaction.state.log.replication.factor", "3", "2", True),
    ("transaction.state.log.replication.factor", "2", "3", False),
    ("num.partitions", "2", "1", True),
    ("tasks.max", "2", "1", True),
    ("num.stream.threads", "2", "1", True),
    ("min.insync.replicas", "2", "1", False),  # a setting, not the cluster's size
    ("max.in.flight.requests.per.connection", "5", "1", False),
    ("acks", "1", "all", False),
])
def test_a_lowered_size_setting_shrinks_the_search(key: str, was: str, now: str,
                                                   shrinks: bool) -> None:
    a = Row("replication", {"acks": "all", key: was}, {"crashes": 1})
    b = Row("replication", {"acks": "all", key: now}, {"crashes": 1})
    assert _shrinks_the_search(a, b, key) is shrinks


def test_a_size_setting_given_in_one_row_only_is_no_prevention() -> None:
    # which row is smaller cannot be told from the rows: it is not offered
    a = Row("replication", {"acks": "all", "replication.factor": "3"}, {})
    b = Row("replication", {"acks": "all"}, {})
    assert _shrinks_the_search(a, b, "replication.factor")
    assert _shrinks_the_search(b, a, "replication.factor")


@pytest.mark.parametrize("key, was, now", [
    ("crashes", 1, 0), ("records", 2, 1), ("consumers", 2, 1), ("instances", 2, 1),
    ("partitions", 2, 1), ("brokers", 3, 2), ("retry_budget", 3, 2),
    ("crash_kind", "any", "process"), ("slow_followers", "any", "none"),
])
def test_fewer_faults_a_fault_kind_dropped_or_a_smaller_workload_shrink_the_search(
        key: str, was: object, now: object) -> None:
    a = Row("replication", {"acks": "all"}, {key: was})
    b = Row("replication", {"acks": "all"}, {key: now})
    assert _shrinks_the_search(a, b, key)


def test_a_mode_bound_setting_or_release_is_a_prevention() -> None:
    a = Row("group", {"enable.auto.commit": "true"}, {"commit": "before-processing"}, "2.0")
    for key, b in (
            ("commit", Row("group", {"enable.auto.commit": "true"},
                           {"commit": "sync-after-processing"}, "2.0")),
            ("enable.auto.commit", Row("group", {"enable.auto.commit": "false"},
                                       {"commit": "before-processing"}, "2.0")),
            ("--kafka-version", Row("group", {"enable.auto.commit": "true"},
                                    {"commit": "before-processing"}, "2.1"))):
        assert not _shrinks_the_search(a, b, key)


def test_no_matrix_offers_fewer_replicas_as_a_prevention() -> None:
    # every pair of rows of every matrix one setting apart, each in turn the violated one
    # and the other holding: a lowered replication factor (of the topic, the transaction
    # log or any other) is never offered
    offered = []
    for matrix in MATRICES:
        for a, b in combinations(matrix.rows, 2):
            if len(_differs_by_one(a, b)) != 1:
                continue
            for bad, good in ((a, b), (b, a)):
                lost = RowResult(bad, True, "complete", 9, 9, 2, 0.1,
                                 {n: CellResult("violated", steps=3) for n in matrix.columns})
                held = RowResult(good, True, "complete", 9, 9, 2, 0.1,
                                 {n: CellResult("holds") for n in matrix.columns})
                offered += _prevention(matrix, [lost, held], lost, matrix.columns[0])
    lowered = [line for line in offered
               if (m := re.match(r"- `(\S*replication\.factor)=(\d+)` instead of `(\d+)`",
                                 line)) and int(m.group(2)) < int(m.group(3))]
    assert lowered == []
    # the matrices do pair rows by replication factor both ways: the raised one stays
    assert any(line.startswith("- `replication.factor=3` instead of `2`") for line in offered)
