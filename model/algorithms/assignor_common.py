"""Shared types and ordering rules of Kafka's consumer partition assignors.

Mirrors ``ConsumerPartitionAssignor.Subscription``, ``AbstractPartitionAssignor``
(topic collection, ``MemberInfo`` ordering, KIP-881 rack-awareness switch) and the
``java.util.HashMap`` iteration of the leader's subscription map
(``ConsumerCoordinator.onLeaderElected``), from apache/kafka @ 1eb7644349.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .java_hash import JavaHashMap, java_string_key

__all__ = [
    "DEFAULT_GENERATION",
    "AssignmentResult",
    "AssignorError",
    "CooperativeUserData",
    "MemberMap",
    "MemberSubscription",
    "ReplicaRacks",
    "StickyUserData",
    "TopicPartition",
    "format_topic_partition",
    "member_info_sort_key",
    "parse_topic_partition",
    "partition_sort_key",
    "partitions_per_topic",
    "replica_racks_of",
    "subscription_map_order",
    "use_rack_aware_assignment",
]

TopicPartition = tuple[str, int]
"""org.apache.kafka.common.TopicPartition as (topic, partition)."""

ReplicaRacks = Mapping[str, Sequence[Sequence[str | None]]]
"""topic -> per partition id, the rack of each replica (None = broker without rack)."""

MemberMap = Literal["hashmap", "linked"]
"""How the leader's subscription map iterates: HashMap (real leader) or LinkedHashMap (tests)."""

DEFAULT_GENERATION = -1
"""AbstractStickyAssignor.DEFAULT_GENERATION."""


class AssignorError(RuntimeError):
    """The Java assignor would throw (IllegalStateException, PartitionAssignorException...)."""


def parse_topic_partition(text: str) -> TopicPartition:
    """Parse TopicPartition.toString() form 'topic-3' (the last '-' separates the partition)."""
    topic, sep, number = text.rpartition("-")
    if not sep or not number.isdigit():
        raise ValueError(f"not a topic-partition: {text!r}")
    return topic, int(number)


def format_topic_partition(tp: TopicPartition) -> str:
    """TopicPartition.toString(): 'topic-partition'."""
    return f"{tp[0]}-{tp[1]}"


def partition_sort_key(tp: TopicPartition) -> tuple[tuple[int, ...], int]:
    """TopicPartitionComparator: topic (String.compareTo), then partition."""
    return java_string_key(tp[0]), tp[1]


@dataclass(frozen=True)
class StickyUserData:
    """StickyAssignor userData (V1, or V0 without generation): the member's last assignment."""

    partitions: tuple[TopicPartition, ...] = ()
    generation: int | None = None

    def __post_init__(self) -> None:
        """Normalise partitions to tuples."""
        object.__setattr__(self, "partitions", tuple(tuple(p) for p in self.partitions))


@dataclass(frozen=True)
class CooperativeUserData:
    """CooperativeStickyAssignor userData (schema V0): the member's last generation."""

    generation: int = DEFAULT_GENERATION


UserData = StickyUserData | CooperativeUserData | bytes | None


@dataclass(frozen=True)
class MemberSubscription:
    """ConsumerPartitionAssignor.Subscription as the group leader sees it.

    generation is Subscription.generationId (protocol v2+; None or negative = absent);
    user_data is structured (StickyUserData/CooperativeUserData), raw bytes (parsed
    like the Java schemas, unparsable bytes behave like Java's fallbacks) or None.
    """

    topics: tuple[str, ...]
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation: int | None = None
    user_data: UserData = None
    group_instance_id: str | None = None
    rack: str | None = None

    def __post_init__(self) -> None:
        """Normalise like Subscription: tuples, negative generation and empty rack absent."""
        object.__setattr__(self, "topics", tuple(self.topics))
        owned = tuple(tuple(p) for p in self.owned_partitions)
        object.__setattr__(self, "owned_partitions", owned)
        if self.generation is not None and self.generation < 0:
            object.__setattr__(self, "generation", None)
        if self.rack == "":
            object.__setattr__(self, "rack", None)


@dataclass(frozen=True)
class AssignmentResult:
    """What assign() returns: per-member lists in Kafka's order plus sticky bookkeeping.

    partitions_transferring_ownership is AbstractStickyAssignor's field after the call:
    a dict for the constrained builder, None for the general builder and for the
    non-sticky assignors.  cooperative_withheld is what CooperativeStickyAssignor
    removed from new owners this round (None for other assignors).
    """

    assignment: dict[str, list[TopicPartition]]
    partitions_transferring_ownership: dict[TopicPartition, str] | None = None
    cooperative_withheld: dict[TopicPartition, str] | None = None
    max_generation: int = DEFAULT_GENERATION
    builder: str | None = None
    rack_aware: bool = False
    member_order: tuple[str, ...] = field(default=())

    def as_strings(self) -> dict[str, list[str]]:
        """The assignment with TopicPartition.toString() names ('topic-0')."""
        return {m: [format_topic_partition(tp) for tp in tps] for m, tps in self.assignment.items()}

    def frozen(self) -> tuple[tuple[str, tuple[TopicPartition, ...]], ...]:
        """A hashable, member-sorted form for model-checker states."""
        return tuple(sorted((m, tuple(tps)) for m, tps in self.assignment.items()))


def subscription_map_order(
    member_ids: Iterable[str], member_map: MemberMap = "hashmap"
) -> list[str]:
    """Iteration order of the leader's subscriptions map (HashMap, filled in JoinGroup order)."""
    ids = list(member_ids)
    if member_map == "linked":
        return ids
    if member_map != "hashmap":
        raise ValueError(f"unknown member_map {member_map!r}")
    table = JavaHashMap()
    for member in ids:
        table.put(member)
    return table.keys()


def member_info_sort_key(member_id: str, instance_id: str | None) -> tuple[int, tuple[int, ...]]:
    """AbstractPartitionAssignor.MemberInfo.compareTo: static by instance id, then dynamic by id."""
    if instance_id is not None:
        return 0, java_string_key(instance_id)
    return 1, java_string_key(member_id)


def partitions_per_topic(
    topics: Mapping[str, int], members: Mapping[str, MemberSubscription], order: Sequence[str]
) -> JavaHashMap:
    """AbstractPartitionAssignor.assign: subscribed topics with metadata and > 0 partitions."""
    # Returns a HashMap topic -> partition count, filled in the iteration order of the
    # allSubscribedTopics HashSet (itself filled member by member in map order).
    subscribed = JavaHashMap()
    for member in order:
        for topic in members[member].topics:
            subscribed.add(topic)
    result = JavaHashMap()
    for topic in subscribed.keys():
        count = topics.get(topic)
        if count is not None and count > 0:
            result.put(topic, count)
    return result


def replica_racks_of(
    replica_racks: ReplicaRacks | None, topic: str, partition: int
) -> frozenset[str]:
    """Racks of a partition's replicas (all replicas, non-null racks only), as Node::rack."""
    if not replica_racks:
        return frozenset()
    per_partition = replica_racks.get(topic)
    if per_partition is None or partition >= len(per_partition):
        return frozenset()
    return frozenset(r for r in per_partition[partition] if r is not None)


def use_rack_aware_assignment(
    consumer_racks: set[str] | frozenset[str],
    partition_racks: set[str] | frozenset[str],
    racks_per_partition: Mapping[TopicPartition, frozenset[str]],
    prefer_rack_aware_logic: bool = False,
) -> bool:
    """AbstractPartitionAssignor.useRackAwareAssignment (KIP-881 switch)."""
    if not consumer_racks or not (set(consumer_racks) & set(partition_racks)):
        return False
    if prefer_rack_aware_logic:
        return True
    wanted = frozenset(partition_racks)
    return not all(racks == wanted for racks in racks_per_partition.values())
