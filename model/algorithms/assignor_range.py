"""Range and round-robin consumer assignors, reproduced exactly.

Classic client ``RangeAssignor`` (with the KIP-881 rack-aware pre-pass and
co-partitioning), ``RoundRobinAssignor``, and the KIP-848 group-coordinator
``coordinator.group.assignor.RangeAssignor``; apache/kafka @ 1eb7644349.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .assignor_common import (
    AssignmentResult,
    MemberSubscription,
    ReplicaRacks,
    TopicPartition,
    member_info_sort_key,
    partition_sort_key,
    partitions_per_topic,
    replica_racks_of,
    subscription_map_order,
    use_rack_aware_assignment,
)
from .java_hash import java_sorted

__all__ = ["assign_kip848_range", "assign_range", "assign_round_robin"]


def _sorted_members(members: Mapping[str, MemberSubscription], ids: Sequence[str]) -> list[str]:
    """Collections.sort over MemberInfo (static members by instance id first, stable)."""
    return sorted(ids, key=lambda m: member_info_sort_key(m, members[m].group_instance_id))


@dataclass
class _TopicState:
    """RangeAssignor.TopicAssignmentState: per-topic quotas, racks and unassigned partitions."""

    topic: str
    consumers: dict[str, str | None]
    partition_racks: dict[int, frozenset[str]]
    needs_rack_aware: bool
    unassigned: list[int]
    per_consumer: int
    remaining_extra: int
    assigned_count: dict[str, int] = field(default_factory=dict)

    def racks_match(self, consumer: str, partition: int) -> bool:
        """TopicAssignmentState.racksMatch: consumer without rack, or rack among the replicas."""
        rack = self.consumers[consumer]
        replica_racks = self.partition_racks.get(partition)
        return rack is None or (replica_racks is not None and rack in replica_racks)

    def max_assignable(self, consumer: str) -> int:
        """TopicAssignmentState.maxAssignable: quota left, keeping plain range's balance."""
        extra = 1 if self.remaining_extra > 0 else 0
        return max(0, self.per_consumer + extra - self.assigned_count[consumer])

    def on_assigned(self, consumer: str, partitions: Sequence[int]) -> None:
        """TopicAssignmentState.onAssigned: count, consume an extra slot, drop from unassigned."""
        self.assigned_count[consumer] += len(partitions)
        if self.assigned_count[consumer] > self.per_consumer:
            self.remaining_extra -= 1
        taken = set(partitions)
        self.unassigned = [p for p in self.unassigned if p not in taken]


def _topic_state(
    topic: str,
    count: int,
    subscribers: list[str],
    members: Mapping[str, MemberSubscription],
    consumer_racks: Mapping[str, str],
    replica_racks: ReplicaRacks | None,
    prefer_rack_aware_logic: bool,
) -> _TopicState:
    """Build a TopicAssignmentState (members sorted by MemberInfo, deduplicated)."""
    ordered = _sorted_members(members, subscribers)
    consumers: dict[str, str | None] = {}
    for member in ordered:
        consumers.setdefault(member, consumer_racks.get(member))
    all_consumer_racks = {consumer_racks[m] for m in ordered if m in consumer_racks}
    partition_racks: dict[int, frozenset[str]] = {}
    if all_consumer_racks:
        partition_racks = {p: replica_racks_of(replica_racks, topic, p) for p in range(count)}
    all_partition_racks = set().union(*partition_racks.values()) if partition_racks else set()
    needs = use_rack_aware_assignment(
        all_consumer_racks,
        all_partition_racks,
        {(topic, p): r for p, r in partition_racks.items()},
        prefer_rack_aware_logic,
    )
    size = len(consumers)
    return _TopicState(
        topic=topic,
        consumers=consumers,
        partition_racks=partition_racks,
        needs_rack_aware=needs,
        unassigned=list(range(count)),
        per_consumer=count // size if size else 0,
        remaining_extra=count % size if size else 0,
        assigned_count=dict.fromkeys(consumers, 0),
    )


def _assign(
    consumer: str,
    partitions: list[int],
    state: _TopicState,
    assignment: dict[str, list[TopicPartition]],
) -> None:
    """RangeAssignor.assign: append to the member's list and update the topic state."""
    assignment[consumer].extend((state.topic, p) for p in partitions)
    state.on_assigned(consumer, partitions)


def _assign_ranges(
    state: _TopicState,
    may_assign: Callable[[str, int], bool],
    assignment: dict[str, list[TopicPartition]],
) -> None:
    """RangeAssignor.assignRanges: each consumer in order takes its quota of allowed partitions."""
    for consumer in state.consumers:
        if not state.unassigned:
            break
        limit = state.max_assignable(consumer)
        allowed = [p for p in state.unassigned if may_assign(consumer, p)][:limit]
        if allowed:
            _assign(consumer, allowed, state, assignment)


def _assign_co_partitioned(
    consumers: list[str],
    num_partitions: int,
    states: list[_TopicState],
    assignment: dict[str, list[TopicPartition]],
) -> None:
    """RangeAssignor.assignCoPartitionedWithRackMatching: partition i of all topics together."""
    remaining = list(consumers)
    for p in range(num_partitions):
        match = next(
            (
                c
                for c in remaining
                if all(t.racks_match(c, p) and t.max_assignable(c) > 0 for t in states)
            ),
            None,
        )
        if match is None:
            continue
        for state in states:
            _assign(match, [p], state, assignment)
        if not any(t.max_assignable(match) > 0 for t in states):
            remaining.remove(match)
            if not remaining:
                break


def _assign_with_rack_matching(
    states: list[_TopicState], assignment: dict[str, list[TopicPartition]]
) -> None:
    """RangeAssignor.assignWithRackMatching: group by identical consumers, then partition count."""
    groups: list[tuple[dict[str, str | None], list[_TopicState]]] = []
    for state in states:
        for consumers, members in groups:
            if consumers == state.consumers:
                members.append(state)
                break
        else:
            groups.append((state.consumers, [state]))
    for consumers, group in groups:
        by_count: dict[int, list[_TopicState]] = {}
        for state in group:
            by_count.setdefault(len(state.partition_racks), []).append(state)
        for count, co_partitioned in by_count.items():
            if len(co_partitioned) > 1:
                _assign_co_partitioned(list(consumers), count, co_partitioned, assignment)
            elif co_partitioned[0].needs_rack_aware:
                only = co_partitioned[0]
                _assign_ranges(only, only.racks_match, assignment)


def assign_range(
    topics: Mapping[str, int],
    members: Mapping[str, MemberSubscription],
    order: Sequence[str],
    replica_racks: ReplicaRacks | None = None,
    prefer_rack_aware_logic: bool = False,
) -> AssignmentResult:
    """RangeAssignor.assignPartitions: per-topic contiguous ranges, KIP-881 rack-aware pre-pass."""
    per_topic = partitions_per_topic(topics, members, order)
    consumers_per_topic: dict[str, list[str]] = {}
    for member in order:
        for topic in members[member].topics:
            consumers_per_topic.setdefault(topic, []).append(member)
    consumer_racks = {m: members[m].rack for m in order if members[m].rack}
    states = [
        _topic_state(
            topic,
            count,
            consumers_per_topic.get(topic, []),
            members,
            consumer_racks,
            replica_racks,
            prefer_rack_aware_logic,
        )
        for topic, count in per_topic.items()
    ]
    assignment: dict[str, list[TopicPartition]] = {m: [] for m in members}
    rack_aware = any(s.needs_rack_aware for s in states)
    if rack_aware:
        _assign_with_rack_matching(states, assignment)
    for state in states:
        _assign_ranges(state, lambda c, p: True, assignment)
    if rack_aware:
        for partitions in assignment.values():
            partitions.sort(key=partition_sort_key)
    return AssignmentResult(assignment, rack_aware=rack_aware, member_order=tuple(order))


def assign_round_robin(
    topics: Mapping[str, int],
    members: Mapping[str, MemberSubscription],
    order: Sequence[str],
) -> AssignmentResult:
    """RoundRobinAssignor.assign: one circular member iterator over all sorted partitions."""
    assignment: dict[str, list[TopicPartition]] = {m: [] for m in members}
    if not members:
        return AssignmentResult(assignment, member_order=tuple(order))
    per_topic = partitions_per_topic(topics, members, order)
    circle = _sorted_members(members, list(order))
    subscribed = {t for m in members.values() for t in m.topics}
    position = 0
    for topic in java_sorted(subscribed):
        count = per_topic.get(topic)
        if count is None:
            continue
        for partition in range(count):
            while topic not in members[circle[position]].topics:
                position = (position + 1) % len(circle)
            assignment[circle[position]].append((topic, partition))
            position = (position + 1) % len(circle)
    return AssignmentResult(assignment, member_order=tuple(order))


def assign_kip848_range(
    topics: Mapping[str, int],
    members: Mapping[str, MemberSubscription],
) -> AssignmentResult:
    """group-coordinator RangeAssignor (KIP-848): sorted members, contiguous per-topic ranges."""
    # Subscribed topic names missing from the metadata are dropped, as the coordinator
    # resolves names to topic ids before calling the assignor.  Per-member lists are
    # sorted by (topic, partition) since the server returns sets.  Members start in the
    # HashMap order of their ids (GroupSpecImpl.memberIds), which only matters for ties.
    ordered = _sorted_members(members, subscription_map_order(members))
    subscribers: dict[str, list[str]] = {}
    for member in ordered:
        for topic in dict.fromkeys(members[member].topics):
            if topic in topics:
                subscribers.setdefault(topic, []).append(member)
    assignment: dict[str, list[TopicPartition]] = {m: [] for m in members}
    for topic, subs in subscribers.items():
        count = topics[topic]
        quota, extra = divmod(count, len(subs))
        start = 0
        for member in subs:
            size = quota + (1 if extra > 0 else 0)
            extra -= 1 if extra > 0 else 0
            end = min(start + size, count)
            assignment[member].extend((topic, p) for p in range(start, end))
            start = end
    for partitions in assignment.values():
        partitions.sort(key=partition_sort_key)
    return AssignmentResult(assignment, member_order=tuple(ordered))
