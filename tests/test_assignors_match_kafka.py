"""Consumer partition assignors must reproduce Kafka's Java assignors case for case.

Oracles come from /work/shared/oracles when present, else the committed copy in
tests/oracles.  Cases marked "derived" cover rules the oracle file exercises thinly;
their expected values were worked out from the named Kafka source (and agree with
the Java classes compiled from apache/kafka @ 1eb7644349).
"""

from __future__ import annotations

import pytest
from oracle_files import load_oracle

from kafkacheck.model.algorithms.assignors import (
    COOPERATIVE,
    EAGER,
    AssignorError,
    CooperativeUserData,
    MemberSubscription,
    StickyUserData,
    assign,
    parse_topic_partition,
    rebalance_protocol,
    subscription_map_order,
    validate_cooperative_assignment,
)
from kafkacheck.model.algorithms.java_hash import (
    JavaHashMap,
    compare_java_strings,
    hashmap_iteration_order,
    string_hash,
)

CASES = load_oracle("assignor_cases.json")


def _tps(names: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple(parse_topic_partition(n) for n in names)


def _user_data(raw: dict | None) -> StickyUserData | CooperativeUserData | None:
    if raw is None:
        return None
    if raw["kind"] == "sticky":
        return StickyUserData(_tps(raw["partitions"]), raw["generation"])
    return CooperativeUserData(raw["generation"])


def _members(case: dict) -> dict[str, MemberSubscription]:
    return {
        member: MemberSubscription(
            topics=tuple(sub["topics"]),
            owned_partitions=_tps(sub["owned_partitions"]),
            generation=sub["generation"],
            user_data=_user_data(sub["user_data"]),
            group_instance_id=sub["group_instance_id"],
            rack=sub["rack"],
        )
        for member, sub in case["members"].items()
    }


def _run(case: dict):
    return assign(
        case["assignor"],
        case["topics"],
        _members(case),
        replica_racks=case["partition_replica_racks"],
        prefer_rack_aware_logic=case.get("prefer_rack_aware_logic", False),
    )


def _names(transfers: dict | None) -> dict[str, str] | None:
    if transfers is None:
        return None
    return {f"{t}-{p}": member for (t, p), member in transfers.items()}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_assignment_matches_kafka_case(case: dict) -> None:
    got = _run(case).as_strings()
    if case["expected_complete"]:
        assert set(got) == set(case["expected"])
    for member, expected in case["expected"].items():
        if case["order_significant"]:
            assert got[member] == expected, member
        else:
            assert sorted(got[member]) == sorted(expected), member


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["expected_partitions_transferring_ownership"] is not None],
    ids=lambda c: c["id"],
)
def test_partitions_transferring_ownership_match_kafka_case(case: dict) -> None:
    expected = case["expected_partitions_transferring_ownership"]
    transfers = _names(_run(case).partitions_transferring_ownership)
    assert transfers == (None if expected == "null" else expected)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("java_output") is not None], ids=lambda c: c["id"]
)
def test_output_reproduces_the_java_run_including_list_order(case: dict) -> None:
    result = _run(case)
    assert result.as_strings() == case["java_output"]
    if "java_partitions_transferring_ownership" in case:
        expected = case["java_partitions_transferring_ownership"]
        assert _names(result.partitions_transferring_ownership) == expected


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("java_hashmap_member_order")], ids=lambda c: c["id"]
)
def test_leader_subscription_map_iterates_in_java_hashmap_order(case: dict) -> None:
    assert subscription_map_order(case["members"]) == case["java_hashmap_member_order"]


# ------------------------------------------------------------- Java collections


def test_string_hash_is_java_string_hashcode_with_int32_wrap() -> None:
    assert string_hash("") == 0
    assert string_hash("Aa") == string_hash("BB") == 2112
    assert string_hash("consumer1") == -421004549
    assert string_hash("\U0001f600") == 1772899  # two UTF-16 units


def test_java_string_order_is_utf16_code_unit_order() -> None:
    assert compare_java_strings("a", "b") < 0 < compare_java_strings("b", "a")
    assert compare_java_strings("ab", "a") == 1
    # U+FFFF sorts after U+1F600 in Java (surrogate 0xD83D < 0xFFFF), unlike Python str
    assert compare_java_strings("\uffff", "\U0001f600") > 0 and "\uffff" < "\U0001f600"


def test_hashmap_order_follows_spread_bucket_then_insertion() -> None:
    assert hashmap_iteration_order(["consumer1", "consumer2", "consumer3", "consumer4"]) == [
        "consumer4",
        "consumer3",
        "consumer2",
        "consumer1",
    ]
    assert hashmap_iteration_order(["BB", "Aa"]) == ["BB", "Aa"]  # same bucket: insertion


def test_hashmap_compute_if_absent_links_new_keys_at_the_bucket_head() -> None:
    # derived from java.util.HashMap.computeIfAbsent (newNode(hash, key, v, first))
    table = JavaHashMap()
    for key in ("topic1", "Aa", "t2"):
        table.compute_if_absent(key, lambda _: [])
    assert table.keys() == ["Aa", "topic1", "t2"]


def test_hashmap_grows_at_load_factor_and_keeps_order_across_resize() -> None:
    table = JavaHashMap()
    for i in range(13):
        table.put(f"k{i}")
    assert table.capacity == 32
    table.remove("k3")
    assert "k3" not in table.keys() and len(table) == 12


# ---------------------------------------------------------- rebalance protocol


def test_rebalance_protocol_is_the_highest_supported_by_every_assignor() -> None:
    assert rebalance_protocol(["cooperative-sticky"]) == COOPERATIVE
    assert rebalance_protocol(["range"]) == EAGER
    assert rebalance_protocol(["cooperative-sticky", "range"]) == EAGER
    assert rebalance_protocol(["range", "cooperative-sticky"]) == EAGER
    assert rebalance_protocol([]) is None
    with pytest.raises(ValueError):
        rebalance_protocol(["nope"])


def test_cooperative_round_one_withholds_and_round_two_hands_over() -> None:
    topics = {"topic": 3}
    round1 = assign(
        "cooperative-sticky",
        topics,
        {
            "consumer1": MemberSubscription(("topic",), _tps(["topic-0", "topic-1", "topic-2"]), 1),
            "consumer2": MemberSubscription(("topic",), (), 1),
        },
    )
    assert round1.as_strings() == {"consumer1": ["topic-0", "topic-1"], "consumer2": []}
    assert round1.cooperative_withheld == {("topic", 2): "consumer2"}
    owned = {m: tuple(tps) for m, tps in round1.assignment.items()}
    validate_cooperative_assignment(
        {"consumer1": _tps(["topic-0", "topic-1", "topic-2"]), "consumer2": ()},
        round1.assignment,
    )
    round2 = assign(
        "cooperative-sticky",
        topics,
        {m: MemberSubscription(("topic",), owned[m], 2) for m in ("consumer1", "consumer2")},
    )
    assert round2.as_strings() == {"consumer1": ["topic-0", "topic-1"], "consumer2": ["topic-2"]}


def test_validate_cooperative_assignment_rejects_a_direct_move() -> None:
    with pytest.raises(AssignorError):
        validate_cooperative_assignment({"a": (("t", 0),), "b": ()}, {"a": [], "b": [("t", 0)]})


# ------------------------------------------------- derived extra cases (thin coverage)


def test_round_robin_iterator_continues_across_topics() -> None:
    # derived: RoundRobinAssignor keeps one CircularIterator for all partitions
    members = {m: MemberSubscription(("t1", "t2")) for m in ("A", "B")}
    result = assign("roundrobin", {"t1": 1, "t2": 1}, members)
    assert result.as_strings() == {"A": ["t1-0"], "B": ["t2-0"]}


def test_round_robin_skips_members_not_subscribed_to_the_topic() -> None:
    # derived: RoundRobinAssignor advances past non-subscribers without assigning
    members = {
        "A": MemberSubscription(("t1",)),
        "B": MemberSubscription(("t1", "t2")),
        "C": MemberSubscription(("t2",)),
    }
    result = assign("roundrobin", {"t1": 3, "t2": 3}, members)
    assert result.as_strings() == {
        "A": ["t1-0", "t1-2"],
        "B": ["t1-1", "t2-0", "t2-2"],
        "C": ["t2-1"],
    }


def test_range_orders_static_members_by_instance_id_before_dynamic_members() -> None:
    # derived: MemberInfo.compareTo
    members = {
        "a": MemberSubscription(("t",)),
        "b": MemberSubscription(("t",), group_instance_id="z"),
        "c": MemberSubscription(("t",), group_instance_id="y"),
    }
    result = assign("range", {"t": 5}, members)
    assert result.as_strings() == {"c": ["t-0", "t-1"], "b": ["t-2", "t-3"], "a": ["t-4"]}
    assert assign("kip848-range", {"t": 5}, members).as_strings() == result.as_strings()


def test_range_ignores_topics_missing_from_metadata_or_without_partitions() -> None:
    members = {"a": MemberSubscription(("t", "ghost", "empty"))}
    assert assign("range", {"t": 1, "empty": 0}, members).as_strings() == {"a": ["t-0"]}


def test_sticky_keeps_lowest_partition_ids_first_when_trimming_to_quota() -> None:
    # derived: ConstrainedAssignmentBuilder sorts owned partitions by (partition, topic)
    owned = _tps(["t1-0", "t1-2", "t2-1", "t2-3", "t1-1", "t1-3", "t2-0", "t2-2"])
    members = {"c1": MemberSubscription(("t1", "t2"), owned, 3)}
    members.update({c: MemberSubscription(("t1", "t2"), (), 3) for c in ("c2", "c3", "c4")})
    result = assign("cooperative-sticky", {"t1": 4, "t2": 4}, members)
    assert result.assignment["c1"] == [("t1", 0), ("t2", 0)]
    assert result.as_strings()["c2"] == [] and len(result.cooperative_withheld or {}) == 6


def test_generation_conflict_reads_the_other_claimant_generation_from_its_subscription() -> None:
    # derived: allSubscriptionsEqual compares memberData generation with the *other*
    # member's Subscription.generationId (absent -> -1), so the older claimant wins here
    members = {
        "a": MemberSubscription(("t",), _tps(["t-0", "t-1", "t-2"]), None, CooperativeUserData(4)),
        "b": MemberSubscription(("t",), _tps(["t-0"]), None, CooperativeUserData(3)),
    }
    assert assign("cooperative-sticky", {"t": 3}, members).as_strings() == {
        "a": ["t-1", "t-2"],
        "b": ["t-0"],
    }


def test_empty_first_subscription_does_not_break_topic_set_equality() -> None:
    # derived: allSubscriptionsEqual initialises the topic set from the first non-empty one,
    # so a member with no topics iterated first still takes the constrained path
    members = {"consumer2": MemberSubscription(()), "consumer1": MemberSubscription(("t",))}
    result = assign("sticky", {"t": 2}, members)
    assert result.builder == "constrained"
    assert result.as_strings() == {"consumer2": ["t-1"], "consumer1": ["t-0"]}


def test_sticky_reads_ownership_only_from_user_data() -> None:
    # derived: StickyAssignor.memberData ignores ownedPartitions (eager protocol); b keeps
    # the lowest owned partition, t-1 moves to a
    members = {
        "a": MemberSubscription(("t",), _tps(["t-0", "t-1"]), 5),
        "b": MemberSubscription(("t",), (), 5, StickyUserData(_tps(["t-0", "t-1"]), 5)),
    }
    result = assign("sticky", {"t": 2}, members)
    assert result.as_strings() == {"a": ["t-1"], "b": ["t-0"]}
    assert result.partitions_transferring_ownership == {("t", 1): "a"}


def test_unparsable_sticky_user_data_counts_as_no_previous_assignment() -> None:
    members = {
        "a": MemberSubscription(("t",), user_data=b"\x00"),
        "b": MemberSubscription(("t",), user_data=StickyUserData(_tps(["t-0", "t-1"]), 1)),
    }
    assert assign("sticky", {"t": 2}, members).as_strings() == {"a": ["t-1"], "b": ["t-0"]}


def test_general_builder_reports_no_transfer_map_and_cooperative_computes_it() -> None:
    members = {
        "a": MemberSubscription(("t", "u"), _tps(["t-0", "t-1", "u-0"]), 2),
        "b": MemberSubscription(("t",), (), 2),
    }
    result = assign("cooperative-sticky", {"t": 2, "u": 1}, members)
    assert result.builder == "general"
    assert result.partitions_transferring_ownership is None
    assert result.cooperative_withheld == {("t", 0): "b"}
    assert result.as_strings() == {"a": ["t-1", "u-0"], "b": []}


def test_stale_general_builder_state_fails_like_java_null_pointer() -> None:
    # derived: a fixed (non-participating) member named by prevAssignment makes
    # performReassignments dereference a removed currentAssignment entry in Java
    members = {
        "x": MemberSubscription((), (), None, StickyUserData(_tps(["t-0", "t-1", "t-2"]), 1)),
        "y": MemberSubscription(("t",), (), None, StickyUserData(_tps(["t-0", "t-1", "t-2"]), 3)),
        "z": MemberSubscription(("t", "u"), (), None, StickyUserData((), 3)),
    }
    with pytest.raises(AssignorError):
        assign("sticky", {"t": 3, "u": 1}, members)


def test_unknown_strategy_is_rejected() -> None:
    with pytest.raises(ValueError):
        assign("fair", {"t": 1}, {"a": MemberSubscription(("t",))})
