"""AbstractStickyAssignor.GeneralAssignmentBuilder and PartitionMovements, reproduced exactly.

Used when members subscribe to different topic sets (apache/kafka @ 1eb7644349).
Kafka's ``TreeSet`` of members (ordered by current assignment size, then member id)
is recomputed on demand, which is equivalent because Kafka removes and re-adds a
member around every change of its size.  The ``HashSet<TopicPartition>`` whose first
element ``getTheActualPartitionToBeMoved`` returns is simulated with JavaHashMap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .assignor_common import DEFAULT_GENERATION, AssignorError, MemberSubscription, TopicPartition
from .java_hash import JavaHashMap, java_string_key
from .sticky_types import MemberData, RackInfo

__all__ = ["GeneralAssignmentBuilder", "PartitionMovements"]

Pair = tuple[str, str]


class PartitionMovements:
    """AbstractStickyAssignor.PartitionMovements: per-topic src->dst moves to avoid ping-pong."""

    def __init__(self) -> None:
        """No movements recorded yet."""
        self.by_topic: dict[str, dict[Pair, JavaHashMap]] = {}
        self.moves: dict[TopicPartition, Pair] = {}

    def _remove_record(self, tp: TopicPartition) -> Pair:
        """removeMovementRecordOfPartition."""
        pair = self.moves.pop(tp)
        topic_moves = self.by_topic[tp[0]]
        topic_moves[pair].discard(tp)
        if not len(topic_moves[pair]):
            del topic_moves[pair]
        if not topic_moves:
            del self.by_topic[tp[0]]
        return pair

    def _add_record(self, tp: TopicPartition, pair: Pair) -> None:
        """addPartitionMovementRecord (each pair's partitions live in a fresh HashSet)."""
        self.moves[tp] = pair
        topic_moves = self.by_topic.setdefault(tp[0], {})
        if pair not in topic_moves:
            topic_moves[pair] = JavaHashMap()
        topic_moves[pair].add(tp)

    def move(self, tp: TopicPartition, old: str, new: str) -> None:
        """movePartition: record old->new, collapsing a move back to the original owner."""
        if tp in self.moves:
            source = self._remove_record(tp)[0]
            if source != new:
                self._add_record(tp, (source, new))
        else:
            self._add_record(tp, (old, new))

    def actual_partition_to_move(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        """getTheActualPartitionToBeMoved: undo a reverse move of the same topic if one exists."""
        topic_moves = self.by_topic.get(tp[0])
        if topic_moves is None:
            return tp
        if tp in self.moves:
            old = self.moves[tp][0]
        reverse = (new, old)
        if reverse not in topic_moves:
            return tp
        return topic_moves[reverse].first()


class GeneralAssignmentBuilder:
    """GeneralAssignmentBuilder: keep valid owned partitions, fill least-loaded, then rebalance."""

    def __init__(
        self,
        per_topic: JavaHashMap,
        rack_info: RackInfo,
        owned: JavaHashMap,
        members: Mapping[str, MemberSubscription],
        order: Sequence[str],
        member_data: Mapping[str, MemberData],
        max_generation: int,
    ) -> None:
        """GeneralAssignmentBuilder constructor: potential consumers/topics, sorted partitions."""
        self.per_topic: dict[str, int] = dict(per_topic.items())
        self.rack_info = rack_info
        self.members = members
        self.order = list(order)
        self.member_data = member_data
        self.max_generation = max_generation
        self.total = sum(self.per_topic.values())
        self.current: dict[str, list[TopicPartition]] = dict(owned.items())
        self.topic_consumers: dict[str, list[str]] = {t: [] for t in self.per_topic}
        self.consumer_topics: dict[str, list[str]] = {}
        for consumer in self.order:
            topics: list[str] = []
            self.consumer_topics[consumer] = topics
            for topic in members[consumer].topics:
                if topic in self.per_topic:
                    topics.append(topic)
                    self.topic_consumers[topic].append(consumer)
            self.current.setdefault(consumer, [])
        self.owner: dict[TopicPartition, str] = {
            tp: consumer for consumer, tps in self.current.items() for tp in tps
        }
        topics_sorted = sorted(self.topic_consumers, key=self._topic_key)
        self.sorted_all: list[TopicPartition] = [
            (t, p) for t in topics_sorted for p in range(self.per_topic[t])
        ]
        self.subscriptions: set[str] = set()
        self.revocation_required = False
        self.movements = PartitionMovements()

    def _topic_key(self, topic: str) -> tuple[int, tuple[int, ...]]:
        """TopicComparator: number of potential consumers, then topic name."""
        return len(self.topic_consumers[topic]), java_string_key(topic)

    def _partition_key(self, tp: TopicPartition) -> tuple[int, tuple[int, ...], int]:
        """consumer.internals.Utils.PartitionComparator."""
        return len(self.topic_consumers[tp[0]]), java_string_key(tp[0]), tp[1]

    def _sorted_subscriptions(self) -> list[str]:
        """sortedCurrentSubscriptions: TreeSet by (assignment size, member id)."""
        return sorted(self.subscriptions, key=lambda c: (len(self.current[c]), java_string_key(c)))

    def build(self) -> dict[str, list[TopicPartition]]:
        """GeneralAssignmentBuilder.build."""
        previous = self._prepopulate_previous()
        assigned = self._assign_owned()
        unassigned = self._unassigned(assigned)
        self.subscriptions = set(self.current)
        self._balance(previous, unassigned)
        return self.current

    def _prepopulate_previous(self) -> dict[TopicPartition, tuple[str, int]]:
        """prepopulateCurrentAssignments: older generations' owners, newest wins."""
        previous: dict[TopicPartition, tuple[str, int]] = {}
        for consumer in self.order:
            data = self.member_data[consumer]
            if data.generation is not None and data.generation < self.max_generation:
                generation = data.generation
            elif data.generation is None and self.max_generation > DEFAULT_GENERATION:
                generation = DEFAULT_GENERATION
            else:
                continue
            for tp in data.partitions:
                if tp not in previous or generation > previous[tp][1]:
                    previous[tp] = (consumer, generation)
        return previous

    def _assign_owned(self) -> list[TopicPartition]:
        """assignOwnedPartitions: drop partitions of unsubscribed topics or mismatched racks."""
        assigned: list[TopicPartition] = []
        for consumer, partitions in self.current.items():
            subscribed = self.members[consumer].topics
            kept: list[TopicPartition] = []
            for tp in partitions:
                if tp[0] not in self.topic_consumers:
                    self.owner.pop(tp, None)
                elif tp[0] not in subscribed or self.rack_info.racks_mismatch(consumer, tp):
                    self.revocation_required = True
                else:
                    kept.append(tp)
                    assigned.append(tp)
            partitions[:] = kept
        return assigned

    def _unassigned(self, assigned: list[TopicPartition]) -> list[TopicPartition]:
        """getUnassignedPartitions: sortedAllPartitions minus assigned (the same list if none)."""
        if not assigned:
            return self.sorted_all
        assigned = sorted(assigned, key=self._partition_key)
        result: list[TopicPartition] = []
        add_directly = False
        index = 0
        for tp in self.sorted_all:
            if add_directly or assigned[index] != tp:
                result.append(tp)
            elif index + 1 < len(assigned):
                index += 1
            else:
                add_directly = True
        return result

    def _max_assignment_size(self, topics: list[str]) -> int:
        """getMaxAssignmentSize: all partitions of the consumer's potential topics."""
        if len(topics) == len(self.per_topic):
            return self.total
        return sum(self.per_topic[t] for t in topics)

    def _is_balanced(self) -> bool:
        """isBalanced: sizes within one, or no partition could move to a smaller consumer."""
        ordered = self._sorted_subscriptions()
        smallest = len(self.current[ordered[0]])
        largest = len(self.current[ordered[-1]])
        if smallest >= largest - 1:
            return True
        holder = {tp: c for c, tps in self.current.items() for tp in tps}
        for consumer in ordered:
            mine = self.current[consumer]
            topics = self.consumer_topics[consumer]
            if len(mine) == self._max_assignment_size(topics):
                continue
            for topic in topics:
                for p in range(self.per_topic[topic]):
                    tp = (topic, p)
                    if tp in mine:
                        continue
                    other = holder.get(tp)
                    if other is None:
                        raise AssignorError(f"{tp} has no owner (Java NullPointerException)")
                    if len(mine) + 1 < len(self.current[other]):
                        return False
        return True

    def _balance_score(self, assignment: Mapping[str, list[TopicPartition]]) -> int:
        """getBalanceScore: sum over member pairs of the size difference."""
        sizes = [len(v) for v in assignment.values()]
        return sum(abs(a - b) for i, a in enumerate(sizes) for b in sizes[i + 1 :])

    def _maybe_assign_partition(self, tp: TopicPartition, use_racks: bool) -> bool:
        """maybeAssignPartition: the least-loaded eligible consumer takes the partition."""
        for consumer in self._sorted_subscriptions():
            if tp[0] not in self.consumer_topics[consumer]:
                continue
            if use_racks and self.rack_info.racks_mismatch(consumer, tp):
                continue
            self.current[consumer].append(tp)
            self.owner[tp] = consumer
            return True
        return False

    def _maybe_assign(
        self, partitions: list[TopicPartition], use_racks: bool, remove: bool
    ) -> None:
        """maybeAssign: try every unassigned partition (optionally removing assigned ones)."""
        kept: list[TopicPartition] = []
        for tp in partitions:
            if not self.topic_consumers[tp[0]]:
                kept.append(tp)
                continue
            if not (self._maybe_assign_partition(tp, use_racks) and remove):
                kept.append(tp)
        if remove:
            partitions[:] = kept

    def _can_consumer_participate(self, consumer: str) -> bool:
        """canConsumerParticipateInReassignment: not full, or holds a shared-topic partition."""
        mine = self.current[consumer]
        if len(mine) < self._max_assignment_size(self.consumer_topics[consumer]):
            return True
        return any(len(self.topic_consumers[tp[0]]) >= 2 for tp in mine)

    def _balance(
        self, previous: dict[TopicPartition, tuple[str, int]], unassigned: list[TopicPartition]
    ) -> None:
        """balance: assign, fix what cannot move, reassign, and revert if not better."""
        initializing = not self.current[self._sorted_subscriptions()[-1]]
        to_assign = unassigned
        if self.rack_info.consumer_racks:
            to_assign = list(unassigned)
            self._maybe_assign(to_assign, True, True)
        self._maybe_assign(to_assign, False, False)
        fixed = {
            (t, p)
            for t, cs in self.topic_consumers.items()
            if len(cs) < 2
            for p in range(self.per_topic[t])
        }
        self.sorted_all[:] = [tp for tp in self.sorted_all if tp not in fixed]
        unassigned[:] = [tp for tp in unassigned if tp not in fixed]
        fixed_assignments: dict[str, list[TopicPartition]] = {}
        for consumer in self.consumer_topics:
            if not self._can_consumer_participate(consumer):
                self.subscriptions.discard(consumer)
                fixed_assignments[consumer] = self.current.pop(consumer)
        before = {c: list(tps) for c, tps in self.current.items()}
        before_owner = dict(self.owner)
        if not self.revocation_required:
            self._perform_reassignments(unassigned, previous)
        performed = self._perform_reassignments(self.sorted_all, previous)
        if (
            not initializing
            and performed
            and self._balance_score(self.current) >= self._balance_score(before)
        ):
            self.current = {c: list(tps) for c, tps in before.items()}
            self.owner = before_owner
        for consumer, partitions in fixed_assignments.items():
            self.current[consumer] = partitions
            self.subscriptions.add(consumer)

    def _size(self, consumer: str) -> int:
        """currentAssignment.get(consumer).size(), failing like Java on a removed consumer."""
        partitions = self.current.get(consumer)
        if partitions is None:
            raise AssignorError(f"{consumer} has no current assignment (Java NullPointerException)")
        return len(partitions)

    def _perform_reassignments(
        self, reassignable: list[TopicPartition], previous: dict[TopicPartition, tuple[str, int]]
    ) -> bool:
        """performReassignments: move partitions to consumers at least two smaller until stable."""
        performed = False
        while True:
            modified = False
            for tp in reassignable:
                if self._is_balanced():
                    break
                consumer = self.owner[tp]
                if tp in previous and self._size(consumer) > self._size(previous[tp][0]) + 1:
                    self._reassign_to(tp, previous[tp][0])
                    performed = modified = True
                    continue
                if self._move_if_better(tp, consumer):
                    performed = modified = True
            if not modified:
                return performed

    def _move_if_better(self, tp: TopicPartition, consumer: str) -> bool:
        """The rack-preferring, then plain, 'better-suited consumer exists' checks."""
        rack = self.rack_info.consumer_racks.get(consumer)
        racks = self.rack_info.partition_racks.get(tp)
        candidates = self.topic_consumers[tp[0]]
        if rack is not None and racks and rack in racks:
            for other in candidates:
                other_rack = self.rack_info.consumer_racks.get(other)
                if other_rack is None or other_rack not in racks:
                    continue
                if self._size(consumer) > self._size(other) + 1:
                    self._reassign(tp)
                    return True
        for other in candidates:
            if self._size(consumer) > self._size(other) + 1:
                self._reassign(tp)
                return True
        return False

    def _reassign(self, tp: TopicPartition) -> None:
        """reassignPartition(partition): to the least-loaded consumer subscribed to its topic."""
        target = next(c for c in self._sorted_subscriptions() if tp[0] in self.consumer_topics[c])
        self._reassign_to(tp, target)

    def _reassign_to(self, tp: TopicPartition, new: str) -> None:
        """reassignPartition(partition, newConsumer) with the stickiness correction."""
        moved = self.movements.actual_partition_to_move(tp, self.owner[tp], new)
        old = self.owner[moved]
        self.movements.move(moved, old, new)
        self.current[old].remove(moved)
        self.current[new].append(moved)
        self.owner[moved] = new
        self.subscriptions.update((new, old))
