"""The KIP-848 server-side assignors (uniform, range) reproduce Kafka 4.4's classes case for case.

Expected values were produced by running kafka-group-coordinator 4.4.0 itself on each input
(bench/oracles/gen_kip848_assignor_cases.py); the cases are random group states: members with
static instance ids or not, equal or different subscriptions, and current target
assignments that the sticky uniform assignor keeps, trims or moves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kafkacheck.model.algorithms.assignor_common import AssignorError
from kafkacheck.model.algorithms.assignor_uniform import (
    GroupMember,
    assign_server,
    subscription_type,
)

DOC = json.loads((Path(__file__).parent / "oracles" / "kip848_assignor_cases.json")
                 .read_text(encoding="utf-8"))
CASES = DOC["cases"]


def _inputs(case: dict) -> tuple[dict[str, int], dict[str, GroupMember]]:
    topics = {f"t{k}": n for k, n in enumerate(case["topics"])}
    members = {}
    for m in case["members"]:
        assignment: dict[str, list[int]] = {}
        for t, p in m["assignment"]:
            assignment.setdefault(f"t{t}", []).append(p)
        members[m["id"]] = GroupMember(tuple(f"t{t}" for t in m["topics"]),
                                       {t: tuple(ps) for t, ps in assignment.items()},
                                       m["instance"] or None)
    return topics, members


def _flat(result: dict[str, dict[str, tuple[int, ...]]]) -> dict[str, list[list[int]]]:
    return {m: sorted([int(t[1:]), p] for t, ps in a.items() for p in ps)
            for m, a in result.items()}


def test_the_oracle_covers_both_assignors_and_both_subscription_types() -> None:
    kinds = {(c["assignor"], subscription_type(_inputs(c)[1])) for c in CASES}
    assert kinds == {("uniform", "HOMOGENEOUS"), ("uniform", "HETEROGENEOUS"),
                     ("range", "HOMOGENEOUS"), ("range", "HETEROGENEOUS")}
    assert len(CASES) == 400


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_target_assignment_matches_kafka_4_4(case: dict) -> None:
    topics, members = _inputs(case)
    expected = case["expected"]
    if isinstance(expected, str):
        with pytest.raises(AssignorError):
            assign_server(case["assignor"], topics, members)
        return
    assert _flat(assign_server(case["assignor"], topics, members)) == expected


def test_uniform_leaves_the_extra_partition_to_a_later_member_kafka_18688() -> None:
    # consumer-2 iterates first (HashMap order) but owns nothing: the partition above the
    # minimum quota goes to consumer-1, which keeps the three it owns.
    topics = {"t0": 3, "t1": 2}
    members = {"consumer-1": GroupMember(("t0", "t1"), {"t0": (0, 1, 2)}),
               "consumer-2": GroupMember(("t0", "t1"))}
    assert assign_server("uniform", topics, members) == {
        "consumer-1": {"t0": (0, 1, 2)}, "consumer-2": {"t1": (0, 1)}}


def test_range_recomputes_contiguous_ranges_by_sorted_member_id() -> None:
    topics = {"t0": 3}
    members = {"b": GroupMember(("t0",), {"t0": (0, 1, 2)}), "a": GroupMember(("t0",))}
    assert assign_server("range", topics, members) == {"b": {"t0": (2,)}, "a": {"t0": (0, 1)}}
