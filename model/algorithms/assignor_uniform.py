"""The KIP-848 group coordinator's server-side assignors, reproduced exactly.

``assign_server("uniform" | "range", topics, members)`` is what the group coordinator
computes as a consumer group's target assignment (TargetAssignmentBuilder calling
``ConsumerGroupPartitionAssignor.assign(GroupSpec, SubscribedTopicDescriber)``) in Kafka
4.4: ``UniformAssignor`` (UniformHomogeneousAssignmentBuilder when every member subscribes
to the same topics, UniformHeterogeneousAssignmentBuilder otherwise) and the server-side
``RangeAssignor`` (``assignor_range.assign_kip848_range``).  Checked case for case against
the classes of kafka-group-coordinator 4.4.0 (``bench/oracles/``,
``tests/oracles/kip848_assignor_cases.json``).

Java collection order decides the uniform results.  Members iterate in the HashMap order of
their ids (``subscription_map_order``).  Topics iterate in the order of ``topics``: kafkacheck
gives topic k the id ``Uuid(16 + k, 0)``, whose HashMap bucket is k in every table of four
buckets or more, so every topic-keyed HashMap/HashSet iterates in topic index order, and
Integer sets of partitions below 16 iterate in ascending order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .assignor_common import AssignorError, MemberSubscription, subscription_map_order
from .assignor_range import assign_kip848_range

__all__ = ["SERVER_ASSIGNORS", "GroupMember", "ServerAssignment", "assign_server",
           "assign_uniform", "subscription_type"]

SERVER_ASSIGNORS = ("uniform", "range")
"""group.consumer.assignors: the built-in assignors by name (the first is the default)."""

MAX_ITERATION_COUNT = 16  # UniformHeterogeneousAssignmentBuilder.MAX_ITERATION_COUNT

ServerAssignment = dict[str, dict[str, tuple[int, ...]]]
"""member id -> topic -> partitions (ascending): a GroupAssignment."""


@dataclass(frozen=True)
class GroupMember:
    """One member as the assignor sees it (MemberSubscriptionAndAssignmentImpl).

    ``assignment`` is the member's current *target* assignment (not what it owns yet).
    """

    topics: tuple[str, ...]
    assignment: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    instance_id: str | None = None


def subscription_type(members: Mapping[str, GroupMember]) -> str:
    """ModernGroup.subscriptionType: HOMOGENEOUS when every subscribed topic has every member."""
    counts: dict[str, int] = {}
    for m in members.values():
        for t in set(m.topics):
            counts[t] = counts.get(t, 0) + 1
    return "HOMOGENEOUS" if all(c == len(members) for c in counts.values()) else "HETEROGENEOUS"


def assign_server(
    assignor: str, topics: Mapping[str, int], members: Mapping[str, GroupMember],
    kafka_18688_fix: bool = True,
) -> ServerAssignment:
    """The target assignment the group coordinator's ``assignor`` computes (every member listed).

    ``kafka_18688_fix=False`` is the uniform assignor of Kafka 4.0 (before KAFKA-18688, 4.1).
    """
    _check_topics(topics, members)
    if assignor == "uniform":
        out = assign_uniform(topics, members, kafka_18688_fix)
    elif assignor == "range":
        subs = {m: MemberSubscription(spec.topics, group_instance_id=spec.instance_id)
                for m, spec in members.items()}
        result = assign_kip848_range(topics, subs).assignment
        out = {}
        for m, tps in result.items():
            per: dict[str, list[int]] = {}
            for t, p in tps:
                per.setdefault(t, []).append(p)
            out[m] = {t: tuple(sorted(ps)) for t, ps in per.items()}
    else:
        raise ValueError(f"unknown server assignor {assignor!r}; "
                         f"expected one of {SERVER_ASSIGNORS}")
    return {m: out.get(m, {}) for m in members}


def _check_topics(topics: Mapping[str, int], members: Mapping[str, GroupMember]) -> None:
    for m in members.values():
        for t in m.topics:
            if t not in topics:
                raise AssignorError(f"Members are subscribed to topic {t} which doesn't exist")


def assign_uniform(
    topics: Mapping[str, int], members: Mapping[str, GroupMember],
    kafka_18688_fix: bool = True,
) -> ServerAssignment:
    """UniformAssignor.assign: sticky and balanced (homogeneous or heterogeneous builder)."""
    if not members:
        return {}
    ids = subscription_map_order(members)
    if subscription_type(members) == "HOMOGENEOUS":
        return _homogeneous(topics, members, ids, kafka_18688_fix)
    return _Heterogeneous(topics, members, ids).build()


def _topic_order(topics: Mapping[str, int], names: object) -> list[str]:
    """Topics of a topic-keyed HashMap/HashSet in its iteration order (see module doc)."""
    return [t for t in topics if t in names]  # type: ignore[operator]


def _homogeneous(topics: Mapping[str, int], members: Mapping[str, GroupMember],
                 ids: Sequence[str], kafka_18688_fix: bool = True) -> ServerAssignment:
    """UniformHomogeneousAssignmentBuilder.build: keep up to the quota, then fill in order.

    Before KAFKA-18688 (PR 19677, 4.1) the extra partitions of the quota go to the first
    members in iteration order, whatever they hold (maybeRevokePartitions: ``quota++``
    while remainingMembersToGetAnExtraPartition > 0): a balanced assignment whose larger
    share sits on a later member moves a partition."""
    subscribed = _topic_order(topics, set(members[ids[0]].topics))
    if not subscribed:
        return {}
    assigned = {(t, p) for m in members.values() for t, ps in m.assignment.items() for p in ps}
    unassigned = [(t, p) for t in subscribed for p in range(topics[t]) if (t, p) not in assigned]
    min_quota, extra = divmod(sum(topics[t] for t in subscribed), len(ids))
    target: dict[str, dict[str, list[int]]] = {}
    unfilled: list[tuple[str, int]] = []
    for index, mid in enumerate(ids):  # maybeRevokePartitions
        old = members[mid].assignment
        quota = min_quota
        has_extra = extra > 0
        if has_extra:
            quota += 1
        new: dict[str, list[int]] = {}
        for t in _topic_order(topics, old):
            parts = sorted(old[t])
            if t not in subscribed:
                continue  # the whole topic is dropped
            if len(parts) <= quota:
                quota -= len(parts)
                new[t] = parts
                continue
            new[t] = parts[:quota]
            unassigned.extend((t, p) for p in parts[quota:])
            quota = 0
        if kafka_18688_fix and quota > 0 and has_extra and len(ids) - index > extra:
            # KAFKA-18688 (4.1): a member below its quota leaves the extra partition to a
            # later member while enough members remain, so that one keeps what it owns.
            quota -= 1
            has_extra = False
        if quota > 0:
            unfilled.append((mid, quota))
        if has_extra:
            extra -= 1
        target[mid] = {t: ps for t, ps in new.items() if ps}
    index = 0  # assignRemainingPartitions
    for mid, quota in unfilled:
        for _ in range(quota):
            if index >= len(unassigned):
                break
            t, p = unassigned[index]
            index += 1
            target[mid].setdefault(t, []).append(p)
    if index < len(unassigned):
        raise AssignorError("Partitions were left unassigned")
    return {m: {t: tuple(sorted(ps)) for t, ps in a.items()} for m, a in target.items()}


class _Balancer:
    """UniformHeterogeneousAssignmentBuilder.MemberAssignmentBalancer, line for line."""

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.sorted: list[int] = []
        self.least_end = 0
        self.least_count = -1
        self.next_least = 0
        self.most_start = 0
        self.most_end = 0
        self.most_count = 1
        self.next_most = -1

    def initialize(self, members: list[int]) -> int:
        if not members:
            raise ValueError("Cannot balance an empty subscriber list.")
        self.sorted = sorted(members, key=lambda i: (self.sizes[i], i))
        s = self.sizes
        self.least_end = 0
        self.least_count = s[self.sorted[0]] - 1
        self.next_least = 0
        self.most_start = len(self.sorted)
        self.most_end = len(self.sorted)
        self.most_count = s[self.sorted[-1]] + 1
        self.next_most = len(self.sorted) - 1
        return s[self.sorted[-1]] - s[self.sorted[0]]

    def next_least_loaded(self) -> int:
        if self.next_least >= self.least_end:
            self.least_count += 1
            while (self.least_end < len(self.sorted)
                   and self.sizes[self.sorted[self.least_end]] == self.least_count):
                self.least_end += 1
            self.next_least = 0
        member = self.sorted[self.next_least]
        self.next_least += 1
        return member

    def next_most_loaded(self) -> int:
        if self.next_most < self.most_start:
            if self.most_end <= self.most_start and self.most_start > 0:
                self.most_count = self.sizes[self.sorted[self.most_start - 1]]
            else:
                self.most_count -= 1
            while (self.most_start > 0
                   and self.sizes[self.sorted[self.most_start - 1]] == self.most_count):
                self.most_start -= 1
            self.next_most = self.most_end - 1
        if self.next_most < 0:
            return -1
        member = self.sorted[self.next_most]
        self.next_most -= 1
        return member

    def exclude_most_loaded(self) -> None:
        i = self.next_most + 1
        member = self.sorted[i]
        self.sorted[i] = self.sorted[self.most_end - 1]
        self.sorted[self.most_end - 1] = member
        self.most_end -= 1

    def is_balanced(self) -> bool:
        return self.most_count - self.least_count <= 1


class _Heterogeneous:
    """UniformHeterogeneousAssignmentBuilder (Kafka 4.x, KAFKA-17710)."""

    def __init__(self, topics: Mapping[str, int], members: Mapping[str, GroupMember],
                 ids: Sequence[str]) -> None:
        self.topics = topics
        self.members = members
        self.ids = list(ids)
        self.subscribers: dict[str, list[int]] = {}
        for index, mid in enumerate(self.ids):
            for t in _topic_order(topics, set(members[mid].topics)):
                self.subscribers.setdefault(t, []).append(index)
        self.subscribed = _topic_order(topics, self.subscribers)
        self.sizes = [0] * len(self.ids)
        self.owners = {t: [-1] * topics[t] for t in self.subscribed}
        self.target: list[dict[str, set[int]]] = [{} for _ in self.ids]
        self.topic_rank = {t: k for k, t in enumerate(topics)}

    def _topic_key(self, t: str) -> tuple[float, int, int]:
        subs = len(self.subscribers[t])
        return (-(self.topics[t] / subs), subs, self.topic_rank[t])

    def build(self) -> ServerAssignment:
        if not self.subscribed:
            return {}
        self._revoke()
        unassigned = {t: [p for p in range(self.topics[t]) if self.owners[t][p] == -1]
                      for t in self.subscribed}
        unassigned = {t: ps for t, ps in unassigned.items() if ps}
        balancer = _Balancer(self.sizes)
        for t in sorted(unassigned, key=self._topic_key):
            balancer.initialize(self.subscribers[t])
            for p in unassigned[t]:
                self._assign(t, p, balancer.next_least_loaded())
        movable = [t for t in self.subscribed if len(self.subscribers[t]) >= 2]
        if movable:
            self._balance_topics(movable)
        return {mid: {t: tuple(sorted(ps)) for t, ps in self.target[i].items() if ps}
                for i, mid in enumerate(self.ids)}

    def _revoke(self) -> None:
        for i, mid in enumerate(self.ids):
            spec = self.members[mid]
            for t, parts in spec.assignment.items():
                if t in spec.topics:
                    self.sizes[i] += len(parts)
                    for p in parts:
                        self.owners[t][p] = i
                    self.target[i][t] = set(parts)

    def _assign(self, t: str, p: int, member: int) -> None:
        old = self.owners[t][p]
        if old != -1:
            parts = self.target[old].get(t)
            if parts is not None:
                parts.discard(p)
                if not parts:
                    del self.target[old][t]
            self.owners[t][p] = -1
            self.sizes[old] -= 1
        self.target[member].setdefault(t, set()).add(p)
        self.owners[t][p] = member
        self.sizes[member] += 1

    def _balance_topics(self, topic_ids: list[str]) -> None:
        ordered = sorted(topic_ids, key=self._topic_key)
        last = -1
        balancer = _Balancer(self.sizes)
        for _ in range(MAX_ITERATION_COUNT):
            for index, t in enumerate(ordered):
                if index == last:
                    return
                moved = self._balance_topic(t, balancer)
                if moved > 0 or last == -1:
                    last = index

    def _balance_topic(self, t: str, balancer: _Balancer) -> int:
        moved = 0
        if balancer.initialize(self.subscribers[t]) <= 1:
            return moved
        owners = self.owners[t]
        parts = sorted(range(self.topics[t]), key=lambda p: (owners[p], p))
        start: dict[int, int] = {}
        end: dict[int, int] = {}
        for i, p in enumerate(parts):
            start.setdefault(owners[p], i)
            end[owners[p]] = i + 1
        while not balancer.is_balanced():
            most = -1
            while True:
                most = balancer.next_most_loaded()
                if most == -1:
                    break
                if most not in end or end[most] - start[most] <= 0:
                    balancer.exclude_most_loaded()
                    continue
                break
            if most == -1:
                break
            p = parts[end[most] - 1]
            end[most] -= 1
            least = balancer.next_least_loaded()
            if balancer.is_balanced():
                break
            self._assign(t, p, least)
            moved += 1
        return moved
