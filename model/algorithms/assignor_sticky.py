"""StickyAssignor and CooperativeStickyAssignor (AbstractStickyAssignor), reproduced exactly.

Follows clients/.../consumer/internals/AbstractStickyAssignor.java,
consumer/StickyAssignor.java and consumer/CooperativeStickyAssignor.java at
apache/kafka @ 1eb7644349: member data from userData or ownedPartitions,
owned-partition validation by generation, the ConstrainedAssignmentBuilder
(KAFKA-9987) and GeneralAssignmentBuilder (KIP-54 plus fixes, with
PartitionMovements), the KIP-881 rack-aware paths, and cooperative round-1 withholding.
Java collections whose iteration order matters are simulated with JavaHashMap; every
other collection is a plain Python list or dict.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .assignor_common import (
    DEFAULT_GENERATION,
    AssignmentResult,
    AssignorError,
    CooperativeUserData,
    MemberSubscription,
    ReplicaRacks,
    StickyUserData,
    TopicPartition,
)
from .assignor_sticky_general import GeneralAssignmentBuilder
from .java_hash import JavaHashMap, java_sorted, java_string_key
from .sticky_types import MemberData, RackInfo

__all__ = [
    "MemberData",
    "RackInfo",
    "assign_sticky",
    "cooperative_member_data",
    "sticky_member_data",
]


# ------------------------------------------------------------------ member data


class _Reader:
    """Minimal Kafka protocol-types reader (big-endian) that fails like Schema.read."""

    def __init__(self, data: bytes) -> None:
        """Start reading at offset 0."""
        self.data = data
        self.offset = 0

    def take(self, size: int) -> bytes:
        """Consume size bytes or raise (BufferUnderflowException)."""
        if size < 0 or self.offset + size > len(self.data):
            raise ValueError("buffer underflow")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def int32(self) -> int:
        """Type.INT32."""
        return int(struct.unpack(">i", self.take(4))[0])

    def string(self) -> str:
        """Type.STRING: int16 length then UTF-8 (null not allowed)."""
        length = int(struct.unpack(">h", self.take(2))[0])
        if length < 0:
            raise ValueError("null string")
        return self.take(length).decode("utf-8", "replace")

    def array_size(self) -> int:
        """ArrayOf size prefix: non-null and not larger than the remaining bytes."""
        size = self.int32()
        if size < 0 or size > len(self.data) - self.offset:
            raise ValueError("bad array size")
        return size


def _read_sticky_user_data(data: bytes, with_generation: bool) -> MemberData:
    """Read StickyAssignor USER_DATA_V1 (or V0) into MemberData."""
    reader = _Reader(data)
    partitions: list[TopicPartition] = []
    for _ in range(reader.array_size()):
        topic = reader.string()
        for _ in range(reader.array_size()):
            partitions.append((topic, reader.int32()))
    generation = reader.int32() if with_generation else None
    return MemberData(partitions, generation)


def _group_partitions_by_topic(partitions: Sequence[TopicPartition]) -> list[TopicPartition]:
    """CollectionUtils.groupPartitionsByTopic as serialized (HashMap.computeIfAbsent order)."""
    grouped = JavaHashMap()
    for topic, partition in partitions:
        grouped.compute_if_absent(topic, lambda _: []).append(partition)
    return [(topic, p) for topic, ps in grouped.items() for p in ps]


def sticky_member_data(subscription: MemberSubscription) -> MemberData:
    """StickyAssignor.memberData: always from userData (eager protocol revokes everything)."""
    user_data = subscription.user_data
    if user_data is None or (isinstance(user_data, bytes) and not user_data):
        return MemberData([], None)
    if isinstance(user_data, StickyUserData):
        return MemberData(_group_partitions_by_topic(user_data.partitions), user_data.generation)
    if isinstance(user_data, bytes):
        for with_generation in (True, False):
            try:
                return _read_sticky_user_data(user_data, with_generation)
            except (ValueError, struct.error):
                continue
        return MemberData([], DEFAULT_GENERATION)
    return MemberData([], DEFAULT_GENERATION)


def cooperative_member_data(subscription: MemberSubscription) -> MemberData:
    """CooperativeStickyAssignor.memberData: ownedPartitions + generationId, userData fallback."""
    owned = list(subscription.owned_partitions)
    if subscription.generation is not None:
        return MemberData(owned, subscription.generation)
    user_data = subscription.user_data
    if user_data is None:
        return MemberData(owned, None)
    if isinstance(user_data, CooperativeUserData):
        return MemberData(owned, user_data.generation)
    if isinstance(user_data, bytes) and len(user_data) >= 4:
        return MemberData(owned, int(struct.unpack(">i", user_data[:4])[0]))
    return MemberData(owned, DEFAULT_GENERATION)


# --------------------------------------------------- owned-partition validation


@dataclass
class _Validation:
    """Outputs of AbstractStickyAssignor.allSubscriptionsEqual."""

    all_equal: bool
    owned: JavaHashMap
    multiple_owners: set[TopicPartition]
    max_generation: int


def _all_subscriptions_equal(
    all_topics: set[str],
    members: Mapping[str, MemberSubscription],
    order: Sequence[str],
    member_data: Mapping[str, MemberData],
    max_generation: int,
) -> _Validation:
    """allSubscriptionsEqual: topic-set equality, plus owned partitions resolved by generation."""
    all_equal = True
    subscribed: set[str] = set()
    owned = JavaHashMap()
    multiple: set[TopicPartition] = set()
    previous_owner: dict[TopicPartition, str] = {}
    for consumer in order:
        topics = members[consumer].topics
        if not subscribed:
            subscribed.update(topics)
        elif all_equal and not (len(topics) == len(subscribed) and subscribed.issuperset(topics)):
            all_equal = False
        data = member_data[consumer]
        generation = DEFAULT_GENERATION if data.generation is None else data.generation
        max_generation = max(max_generation, generation)
        mine: list[TopicPartition] = []
        owned.put(consumer, mine)
        for tp in data.partitions:
            if tp[0] not in all_topics:
                continue
            other = previous_owner.get(tp)
            if other is None:
                mine.append(tp)
                previous_owner[tp] = consumer
                continue
            other_generation = members[other].generation
            if other_generation is None:
                other_generation = DEFAULT_GENERATION
            if generation == other_generation:
                multiple.add(tp)
                _remove_first(owned.get(other), tp)
                previous_owner[tp] = consumer
            elif generation > other_generation:
                mine.append(tp)
                _remove_first(owned.get(other), tp)
                previous_owner[tp] = consumer
    return _Validation(all_equal, owned, multiple, max_generation)


def _remove_first(values: list[TopicPartition], item: TopicPartition) -> None:
    """List.remove(Object): drop the first occurrence if present."""
    try:
        values.remove(item)
    except ValueError:
        pass


# ----------------------------------------------------- constrained builder


class _ConstrainedBuilder:
    """ConstrainedAssignmentBuilder: quota-based fast path when all subscriptions are equal."""

    def __init__(
        self,
        per_topic: JavaHashMap,
        rack_info: RackInfo,
        owned: JavaHashMap,
        multiple_owners: set[TopicPartition],
    ) -> None:
        """ConstrainedAssignmentBuilder constructor: quotas from partitions per member."""
        self.per_topic = per_topic
        self.rack_info = rack_info
        self.current = owned
        self.multiple_owners = multiple_owners
        self.maybe_revoked: dict[TopicPartition, str] = {}
        self.transferring: dict[TopicPartition, str] = {}
        self.under_min: list[str] = []
        self.exactly_min: list[str] = []
        total = sum(per_topic.values())
        self.total = total
        consumers = len(owned)
        self.min_quota = total // consumers
        self.max_quota = -(-total // consumers)
        self.expected_over_min = total % consumers
        self.current_over_min = 0
        self.assignment: dict[str, list[TopicPartition]] = {c: [] for c in owned.keys()}
        self.assigned: list[TopicPartition] = []

    def build(self) -> dict[str, list[TopicPartition]]:
        """ConstrainedAssignmentBuilder.build."""
        self._assign_owned()
        unassigned = self._unassigned()
        self.under_min = java_sorted(self.under_min)
        self.exactly_min = java_sorted(self.exactly_min)
        unassigned = self.rack_info.sort_partitions_by_rack_consumers(unassigned)
        unassigned = self._assign_rack_aware_round_robin(unassigned)
        self._assign_round_robin(unassigned)
        self._verify_unfilled()
        return self.assignment

    def _assign_owned(self) -> None:
        """assignOwnedPartitions: keep up to min/max quota of owned partitions per member."""
        for consumer, partitions in self.current.items():
            kept: list[TopicPartition] = []
            for tp in partitions:
                if self.rack_info.racks_mismatch(consumer, tp):
                    self.maybe_revoked[tp] = consumer
                else:
                    kept.append(tp)
            kept.sort(key=lambda tp: (tp[1], java_string_key(tp[0])))
            for doubly in self.multiple_owners:
                if doubly in kept:
                    kept.remove(doubly)
            self._keep_quota(consumer, kept)

    def _keep_quota(self, consumer: str, owned: list[TopicPartition]) -> None:
        """The three quota cases of assignOwnedPartitions for one member."""
        target = self.assignment[consumer]
        if len(owned) < self.min_quota:
            target.extend(owned)
            self.assigned.extend(owned)
            self.under_min.append(consumer)
            return
        at_max = len(owned) >= self.max_quota and self.current_over_min < self.expected_over_min
        if at_max:
            self.current_over_min += 1
            if self.current_over_min == self.expected_over_min:
                self.exactly_min.clear()
        keep = self.max_quota if at_max else self.min_quota
        target.extend(owned[:keep])
        self.assigned.extend(owned[:keep])
        for tp in owned[keep:]:
            self.maybe_revoked[tp] = consumer
        if not at_max and self.current_over_min < self.expected_over_min:
            self.exactly_min.append(consumer)

    def _unassigned(self) -> list[TopicPartition]:
        """getUnassignedPartitions: sorted topics' partitions minus kept ones (two pointers)."""
        topics = java_sorted(self.per_topic.keys())
        if not self.assigned:
            return [(t, p) for t in topics for p in range(self.per_topic.get(t))]
        assigned = sorted(self.assigned, key=lambda tp: (java_string_key(tp[0]), tp[1]))
        result: list[TopicPartition] = []
        add_directly = False
        index = 0
        for topic in topics:
            for p in range(self.per_topic.get(topic)):
                nxt = assigned[index]
                if add_directly or nxt != (topic, p):
                    result.append((topic, p))
                elif index + 1 < len(assigned):
                    index += 1
                else:
                    add_directly = True
        return result

    def _assign_rack_aware_round_robin(
        self, unassigned: list[TopicPartition]
    ) -> list[TopicPartition]:
        """assignRackAwareRoundRobin: fill members from partitions on their own rack first."""
        if not self.rack_info.consumer_racks:
            return unassigned
        remaining: list[TopicPartition] = []
        next_index = 0
        for tp in unassigned:
            consumer = None
            index = self.rack_info.next_rack_consumer(tp, self.under_min, next_index)
            if index >= 0:
                consumer = self.under_min[index]
                count = len(self.assignment[consumer]) + 1
                if count >= self.min_quota:
                    self.under_min.remove(consumer)
                    if count < self.max_quota and self.current_over_min < self.expected_over_min:
                        self.exactly_min.append(consumer)
                else:
                    index += 1
                next_index = index % len(self.under_min) if self.under_min else 0
            elif self.exactly_min:
                first = self.rack_info.next_rack_consumer(tp, self.exactly_min, 0)
                if first >= 0:
                    consumer = self.exactly_min[first]
                    if len(self.assignment[consumer]) + 1 == self.max_quota:
                        del self.exactly_min[first]
                        self.current_over_min += 1
                        if self.current_over_min == self.expected_over_min:
                            self.exactly_min.clear()
            if consumer is None:
                remaining.append(tp)
            else:
                self._assign_new(tp, consumer)
        return remaining

    def _assign_round_robin(self, unassigned: list[TopicPartition]) -> None:
        """assignRoundRobin: under-min members in turn, then exactly-min members FIFO."""
        # The LinkedList iterator is modelled by (cursor, last_returned) so that Java's
        # iterator.remove() semantics carry over exactly.
        cursor = 0
        last: int | None = None
        for tp in unassigned:
            if cursor < len(self.under_min):
                consumer = self.under_min[cursor]
                last, cursor = cursor, cursor + 1
            elif not self.under_min and not self.exactly_min:
                raise AssignorError("No more unfilled consumers to be assigned.")
            elif not self.under_min:
                consumer = self.exactly_min.pop(0)
            else:
                consumer = self.under_min[0]
                last, cursor = 0, 1
            count = self._assign_new(tp, consumer)
            if count == self.min_quota:
                if last is None:
                    raise AssignorError("Iterator.remove() without next(): IllegalStateException")
                del self.under_min[last]
                cursor, last = last, None
                self.exactly_min.append(consumer)
            elif count == self.max_quota:
                self.current_over_min += 1

    def _assign_new(self, tp: TopicPartition, consumer: str) -> int:
        """assignNewPartition: record transfers away from a previous owner."""
        self.assignment[consumer].append(tp)
        previous = self.maybe_revoked.get(tp)
        if (previous is not None and previous != consumer) or tp in self.multiple_owners:
            self.transferring[tp] = consumer
        return len(self.assignment[consumer])

    def _verify_unfilled(self) -> None:
        """verifyUnfilledMembers: the IllegalStateExceptions Java raises on a broken fill."""
        if not self.under_min:
            return
        if self.current_over_min != self.expected_over_min:
            raise AssignorError("expected number of members with more than minQuota not reached")
        for member in self.under_min:
            if len(self.assignment[member]) != self.min_quota:
                raise AssignorError(f"Consumer: [{member}] doesn't reach minQuota partitions")


# --------------------------------------------------------------- entry point


def _cooperative_transfers(
    members: Mapping[str, MemberSubscription], assignment: Mapping[str, list[TopicPartition]]
) -> dict[TopicPartition, str]:
    """computePartitionsTransferringOwnership: partitions added somewhere and revoked elsewhere."""
    added: dict[TopicPartition, str] = {}
    revoked: set[TopicPartition] = set()
    for consumer, assigned in assignment.items():
        owned = members[consumer].owned_partitions
        owned_set, assigned_set = set(owned), set(assigned)
        for tp in assigned:
            if tp not in owned_set:
                added[tp] = consumer
        revoked.update(tp for tp in owned if tp not in assigned_set)
    return {tp: c for tp, c in added.items() if tp in revoked}


def assign_sticky(
    members: Mapping[str, MemberSubscription],
    order: Sequence[str],
    per_topic: JavaHashMap,
    cooperative: bool,
    replica_racks: ReplicaRacks | None = None,
    max_generation: int = DEFAULT_GENERATION,
    prefer_rack_aware_logic: bool = False,
) -> AssignmentResult:
    """AbstractStickyAssignor.assignPartitions (+ CooperativeStickyAssignor adjustment)."""
    if not members:
        return AssignmentResult({}, {}, {} if cooperative else None, max_generation)
    reader = cooperative_member_data if cooperative else sticky_member_data
    data = {m: reader(members[m]) for m in order}
    rack_info = RackInfo(per_topic, members, order, replica_racks, prefer_rack_aware_logic)
    checked = _all_subscriptions_equal(set(per_topic.keys()), members, order, data, max_generation)
    transferring: dict[TopicPartition, str] | None
    if checked.all_equal:
        builder = _ConstrainedBuilder(per_topic, rack_info, checked.owned, checked.multiple_owners)
        raw = builder.build()
        transferring = builder.transferring
        kind = "constrained"
    else:
        general = GeneralAssignmentBuilder(
            per_topic, rack_info, checked.owned, members, order, data, checked.max_generation
        )
        raw = general.build()
        transferring = None
        kind = "general"
    assignment = {m: list(raw.get(m, [])) for m in members}
    withheld = None
    if cooperative:
        withheld = (
            transferring
            if transferring is not None
            else (_cooperative_transfers(members, assignment))
        )
        for tp, consumer in withheld.items():
            _remove_first(assignment[consumer], tp)
    return AssignmentResult(
        assignment,
        partitions_transferring_ownership=None if transferring is None else dict(transferring),
        cooperative_withheld=None if withheld is None else dict(withheld),
        max_generation=checked.max_generation,
        builder=kind,
        rack_aware=rack_info.rack_aware,
        member_order=tuple(order),
    )
