"""Types shared by the sticky assignors: AbstractStickyAssignor's MemberData and RackInfo.

Both ``assignor_sticky`` (the constrained builder) and ``assignor_sticky_general`` (the
general builder) use them; they live here so neither module imports the other's types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .assignor_common import (
    MemberSubscription,
    ReplicaRacks,
    TopicPartition,
    replica_racks_of,
    use_rack_aware_assignment,
)
from .java_hash import JavaHashMap

__all__ = ["MemberData", "RackInfo"]


@dataclass
class MemberData:
    """AbstractStickyAssignor.MemberData: previously owned partitions and their generation."""

    partitions: list[TopicPartition]
    generation: int | None


class RackInfo:
    """AbstractStickyAssignor.RackInfo: consumer racks, replica racks, rack-consumer counts."""

    def __init__(
        self,
        per_topic: JavaHashMap,
        members: Mapping[str, MemberSubscription],
        order: Sequence[str],
        replica_racks: ReplicaRacks | None,
        prefer_rack_aware_logic: bool,
    ) -> None:
        """RackInfo constructor: racks only count when useRackAwareAssignment says so."""
        consumers_by_rack: dict[str, list[str]] = {}
        for member in order:
            rack = members[member].rack
            if rack:
                consumers_by_rack.setdefault(rack, []).append(member)
        partition_racks: dict[TopicPartition, frozenset[str]] = {}
        if consumers_by_rack:
            for topic, count in per_topic.items():
                for p in range(count):
                    partition_racks[(topic, p)] = replica_racks_of(replica_racks, topic, p)
        all_partition_racks = set().union(*partition_racks.values()) if partition_racks else set()
        self.rack_aware = use_rack_aware_assignment(
            set(consumers_by_rack), all_partition_racks, partition_racks, prefer_rack_aware_logic
        )
        self.consumer_racks: dict[str, str] = {}
        self.partition_racks: dict[TopicPartition, frozenset[str]] = {}
        if self.rack_aware:
            for rack, rack_consumers in consumers_by_rack.items():
                for consumer in rack_consumers:
                    self.consumer_racks[consumer] = rack
            self.partition_racks = partition_racks
        self.num_consumers_by_partition = {
            tp: sum(len(consumers_by_rack.get(r, ())) for r in racks)
            for tp, racks in partition_racks.items()
        }

    def racks_mismatch(self, consumer: str, tp: TopicPartition) -> bool:
        """RackInfo.racksMismatch: the consumer has a rack that holds no replica of tp."""
        rack = self.consumer_racks.get(consumer)
        replica_racks = self.partition_racks.get(tp)
        return rack is not None and (replica_racks is None or rack not in replica_racks)

    def sort_partitions_by_rack_consumers(
        self, partitions: list[TopicPartition]
    ) -> list[TopicPartition]:
        """RackInfo.sortPartitionsByRackConsumers: stable sort by same-rack consumer count."""
        if not self.num_consumers_by_partition:
            return partitions
        counts = self.num_consumers_by_partition
        return sorted(partitions, key=lambda tp: counts.get(tp, 0))

    def next_rack_consumer(self, tp: TopicPartition, consumers: Sequence[str], first: int) -> int:
        """RackInfo.nextRackConsumer: index of the next consumer (circularly) on a replica rack."""
        racks = self.partition_racks.get(tp)
        if not racks:
            return -1
        for i in range(len(consumers)):
            index = (first + i) % len(consumers)
            if self.consumer_racks.get(consumers[index]) in racks:
                return index
        return -1
