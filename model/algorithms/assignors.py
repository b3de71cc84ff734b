"""Kafka consumer partition assignors as pure functions (the public entry point).

``assign(strategy, topics, members, ...)`` reproduces the group leader's call
``ConsumerPartitionAssignor.assign(Cluster, GroupSubscription)`` for the classic
client assignors ``range``, ``roundrobin``, ``sticky`` and ``cooperative-sticky``,
and the KIP-848 server-side ``range`` (strategy ``kip848-range``), exactly as
apache/kafka @ 1eb7644349 computes them, including Java HashMap iteration order
where it decides the result.  No global state: the only instance field that
survives between Java calls (AbstractStickyAssignor.maxGeneration) is a parameter
and is returned in the result.

Driving cooperative rebalancing (ConsumerCoordinator, KIP-429): round 1 returns the
sticky target minus every partition that changes owner; each member revokes
``owned - assigned`` and, if that is non-empty, rejoins; round 2 is another
``assign`` call with owned_partitions = the round-1 result (and a higher
generation), which hands out the withheld partitions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .assignor_common import (
    DEFAULT_GENERATION,
    AssignmentResult,
    AssignorError,
    CooperativeUserData,
    MemberMap,
    MemberSubscription,
    ReplicaRacks,
    StickyUserData,
    TopicPartition,
    format_topic_partition,
    parse_topic_partition,
    partitions_per_topic,
    subscription_map_order,
)
from .assignor_range import assign_kip848_range, assign_range, assign_round_robin
from .assignor_sticky import assign_sticky, cooperative_member_data, sticky_member_data

__all__ = [
    "COOPERATIVE",
    "EAGER",
    "STRATEGIES",
    "AssignmentResult",
    "AssignorError",
    "CooperativeUserData",
    "MemberSubscription",
    "StickyUserData",
    "TopicPartition",
    "assign",
    "cooperative_member_data",
    "format_topic_partition",
    "parse_topic_partition",
    "rebalance_protocol",
    "sticky_member_data",
    "subscription_map_order",
    "supported_protocols",
    "validate_cooperative_assignment",
]

EAGER = "EAGER"
COOPERATIVE = "COOPERATIVE"
_PROTOCOL_RANK = {EAGER: 0, COOPERATIVE: 1}

_SUPPORTED: dict[str, tuple[str, ...]] = {
    "range": (EAGER,),
    "roundrobin": (EAGER,),
    "sticky": (EAGER,),
    "cooperative-sticky": (COOPERATIVE, EAGER),
}

STRATEGIES = ("range", "roundrobin", "sticky", "cooperative-sticky", "kip848-range")
"""Strategy names accepted by assign (the classic names are ConsumerPartitionAssignor.name())."""


def supported_protocols(strategy: str) -> tuple[str, ...]:
    """ConsumerPartitionAssignor.supportedProtocols for a built-in classic assignor."""
    try:
        return _SUPPORTED[strategy]
    except KeyError:
        raise ValueError(f"unknown classic assignor {strategy!r}") from None


def rebalance_protocol(
    strategies: Sequence[str],
    supported: Mapping[str, Sequence[str]] | None = None,
) -> str | None:
    """ConsumerCoordinator constructor: highest protocol supported by every configured assignor."""
    # Returns None for an empty list (Java leaves the protocol null); raises ValueError
    # when the assignors share no protocol (Java's IllegalArgumentException).
    if not strategies:
        return None
    table = dict(_SUPPORTED, **(supported or {}))

    def protocols(name: str) -> Sequence[str]:
        """supportedProtocols of one configured assignor."""
        if name not in table:
            raise ValueError(f"unknown classic assignor {name!r}")
        return table[name]

    common = list(protocols(strategies[0]))
    for name in strategies:
        allowed = set(protocols(name))
        common = [p for p in common if p in allowed]
    if not common:
        raise ValueError(f"assignors {sorted(set(strategies))} share no rebalance protocol")
    return max(common, key=lambda p: _PROTOCOL_RANK[p])


def validate_cooperative_assignment(
    owned: Mapping[str, Sequence[TopicPartition]],
    assignment: Mapping[str, Sequence[TopicPartition]],
) -> None:
    """ConsumerCoordinator.validateCooperativeAssignment: no partition added while still owned."""
    added: set[TopicPartition] = set()
    revoked: set[TopicPartition] = set()
    for member, assigned in assignment.items():
        mine = set(owned.get(member, ()))
        added.update(tp for tp in assigned if tp not in mine)
        revoked.update(tp for tp in mine if tp not in set(assigned))
    both = added & revoked
    if both:
        names = sorted(format_topic_partition(tp) for tp in both)
        raise AssignorError(f"Assignor supporting COOPERATIVE reassigned owned partitions {names}")


def assign(
    strategy: str,
    topics: Mapping[str, int],
    members: Mapping[str, MemberSubscription],
    *,
    replica_racks: ReplicaRacks | None = None,
    member_map: MemberMap = "hashmap",
    max_generation: int = DEFAULT_GENERATION,
    prefer_rack_aware_logic: bool = False,
) -> AssignmentResult:
    """Run a Kafka assignor on the leader's view: metadata topics and members in JoinGroup order."""
    # topics maps every topic in the metadata to its partition count; replica_racks gives
    # each partition's replica racks (KIP-881).  members must be in the order the
    # JoinGroup response lists them; member_map="linked" reproduces unit tests that pass a
    # LinkedHashMap.  max_generation is the sticky assignors' persistent instance field.
    if strategy == "kip848-range":
        return assign_kip848_range(topics, members)
    order = subscription_map_order(members, member_map)
    if strategy == "range":
        return assign_range(topics, members, order, replica_racks, prefer_rack_aware_logic)
    if strategy == "roundrobin":
        return assign_round_robin(topics, members, order)
    if strategy in ("sticky", "cooperative-sticky"):
        per_topic = partitions_per_topic(topics, members, order)
        return assign_sticky(
            members,
            order,
            per_topic,
            cooperative=strategy == "cooperative-sticky",
            replica_racks=replica_racks,
            max_generation=max_generation,
            prefer_rack_aware_logic=prefer_rack_aware_logic,
        )
    raise ValueError(f"unknown assignment strategy {strategy!r}; expected one of {STRATEGIES}")
