"""Audit 8: does the classic group model cover every member order Kafka can produce?

The range and round-robin assignors hand out partitions in the order of the members'
ids (AbstractPartitionAssignor.MemberInfo.compareTo: group.instance.id first, then
member.id).  The model names slot i ``consumer-{i+1}`` for ever, so a member keeps its
rank for the whole run.  In Kafka a dynamic member that joins without a member id gets a
new one from the coordinator (ClassicGroup.generateMemberId: clientId + "-" + a random
UUID), and the client drops its id on a LeaveGroup (poll timeout, close) and on
UNKNOWN_MEMBER_ID (AbstractCoordinator.resetStateAndGeneration): the rejoined member can
sort anywhere among the others.  ``RankedRejoinGroup`` below is that faithful rule as a
test-only subclass: each dynamic member that joins as a new member takes a
nondeterministic rank among the current members.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.model.algorithms import assignors
from kafkacheck.model.algorithms.assignor_common import MemberSubscription
from kafkacheck.model.clients.group import MSTABLE, GroupModel, GroupState
from kafkacheck.model.interface import Action, State
from kafkacheck.properties.base import always
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}


class RankedRejoinGroup(GroupModel):
    """The group model with member ids that change on a rejoin (ClassicGroup.generateMemberId).

    The order of the member ids is kept in the budget's ``duplicates`` slot (unused without
    duplicate_instances) as a tuple of slots, lowest id first; the current members come
    first, the others follow in slot order (their place is chosen again when they join).
    """

    name = "group-ranked"
    # Only after a fault: before one, every join is a process's first, and any first-join
    # id order is slot order after renaming the processes (join order is free).
    after_fault_only = True

    def __init__(self, config) -> None:
        super().__init__(config)
        assert self.twin < 0, "the order lives in budget.duplicates"
        self._by_order: dict[tuple, tuple[int, ...]] = {}
        self._full = self.init_states()[0].budget

    def _fault_happened(self, state: GroupState) -> bool:
        """Some member was removed or restarted before (a budget was spent)."""
        b, full = state.budget, self._full
        return (b.crashes, b.closes, b.poll_timeouts, b.pauses) != (
            full.crashes, full.closes, full.poll_timeouts, full.pauses)

    def init_states(self) -> list[State]:
        return [s._replace(budget=s.budget._replace(duplicates=tuple(range(self.n))))
                for s in GroupModel.init_states(self)]

    def _normal(self, state: GroupState) -> GroupState:
        """Members in id order, then the others in slot order (where they will rejoin
        with a new id: their old place no longer matters)."""
        if self.after_fault_only and not self._fault_happened(state):
            return state  # slot order, kept until the first fault
        order = state.budget.duplicates
        members = state.members
        normal = tuple(j for j in order if members >> j & 1) + tuple(
            j for j in range(self.n) if not members >> j & 1)
        if normal == order:
            return state
        return state._replace(budget=state.budget._replace(duplicates=normal))

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        for action, after in super().successors(state):
            yield action, self._normal(after)

    def _join(self, state: GroupState, i: int) -> Iterator[tuple[Action, State]]:
        new_member = not self.static and not state.members >> i & 1 and (
            not self.after_fault_only or self._fault_happened(state))
        for action, after in super()._join(state, i):
            if not (new_member and after.members >> i & 1):
                yield action, after
                continue
            # A new member id (clientId-UUID): any rank among the current members.
            others = [j for j in after.budget.duplicates
                      if after.members >> j & 1 and j != i]
            rest = [j for j in range(self.n) if not after.members >> j & 1]
            for rank in range(len(others) + 1):
                order = tuple(others[:rank]) + (i,) + tuple(others[rank:]) + tuple(rest)
                yield ((*action, f"id rank {rank + 1}"),
                       after._replace(budget=after.budget._replace(duplicates=order)))

    def _assignment(self, state: GroupState) -> tuple[int, ...]:
        key = (state.members, state.subscriptions if self.sticky else (), state.leader,
               state.topic_partitions, state.budget.duplicates)
        cached = self._by_order.get(key)
        if cached is None:
            ids = [""] * self.n
            for rank, slot in enumerate(state.budget.duplicates):
                ids[slot] = f"consumer-{rank + 1}"
            fixed = self.member_ids
            self.member_ids = tuple(ids)
            try:
                cached = self._by_order[key] = self.leader_assignment(state)
            finally:
                self.member_ids = fixed
        return cached


def _range(*member_ids: str, partitions: int = 2) -> dict[str, list[int]]:
    """RangeAssignor's answer for dynamic members subscribed to one topic."""
    members = {m: MemberSubscription(("t",)) for m in member_ids}
    result = assignors.assign("range", {"t": partitions}, members)
    return {m: [p for _, p in tps] for m, tps in result.assignment.items()}


# Member ids as ClassicGroup.generateMemberId makes them: clientId + "-" + a random UUID
# (every consumer process of an application has the default client.id consumer-<group>-1).
STAYED = "consumer-g-1-7c1e3a52-0c1d-4a55-9d0a-1f6f2b8e9a01"
REJOINED_BELOW = "consumer-g-1-2b9d7f10-5e4c-4c3b-8a7e-6d5c4b3a2f10"
REJOINED_ABOVE = "consumer-g-1-d04f8e21-9a3b-4e6c-b1d2-3c4e5f6a7b80"


def test_a_rejoined_dynamic_member_takes_the_range_its_new_member_id_sorts_into():
    # Kafka: the member that stayed owns both partitions; the restarted one joins with a
    # new id, and RangeAssignor hands p0 to whichever id sorts first.
    assert _range(REJOINED_BELOW, STAYED) == {REJOINED_BELOW: [0], STAYED: [1]}
    assert _range(STAYED, REJOINED_ABOVE) == {STAYED: [0], REJOINED_ABOVE: [1]}


def test_the_model_keeps_each_slot_s_member_id_across_rejoins():
    model = make_model("group", EARLIEST, consumers=3, crashes=1, rejoins=1)
    assert model.member_ids == ("consumer-1", "consumer-2", "consumer-3")
    assert sorted(model.member_ids) == list(model.member_ids)  # rank = slot, for ever


def _swapped(state: GroupState) -> bool:
    """Both consumers stable members of the group, C1 on p1 and C2 on p0."""
    c1, c2 = state.consumers
    return (state.members == 0b11 and c1.status == c2.status == MSTABLE
            and c1.owned == 0b10 and c2.owned == 0b01)


def _first_swapped(model: GroupModel):
    prop = always("NeverSwapped", "C1 never ranks above C2", lambda s: not _swapped(s))
    return breadth_first(model, propset=PropertySet([prop], [prop], [], [], [])).violation(
        "NeverSwapped")


def _follow(model: GroupModel, labels: list[tuple]) -> GroupState:
    """The state after the first successor whose action starts with each label in turn."""
    state = model.init_states()[0]
    for label in labels:
        state = next(t for a, t in model.successors(state) if a[:len(label)] == label)
    return state


# range, 2 consumers, 2 partitions: C1 owns p0, crashes, C2 takes both, C1 restarts.
BEFORE_REJOIN = [("Join", "C1"), ("Join", "C2"), ("InitialRebalance",), ("Sync", "C1", "{p0}"),
                 ("Sync", "C2", "{p1}"), ("Crash", "C1"), ("Expire", "C1"), ("Join", "C2"),
                 ("Sync", "C2", "{p0, p1}"), ("Restart", "C1")]
CRASH_AND_RESTART = {"consumers": 2, "partitions": 2, "records": 0, "crashes": 1,
                     "rejoins": 1}


def test_after_a_restart_kafka_may_leave_p0_with_the_member_that_stayed():
    model = make_model("group", EARLIEST, **CRASH_AND_RESTART)
    fixed = _follow(model, [*BEFORE_REJOIN, ("Join", "C1"), ("Join", "C2"), ("Sync", "C2")])
    assert fixed.consumers[1].owned == 0b10  # fixed ids: p0 goes back to C1, C2 keeps p1
    ranked = RankedRejoinGroup(model.config)
    above = _follow(ranked, [*BEFORE_REJOIN, ("Join", "C1", "id rank 2"), ("Join", "C2"),
                             ("Sync", "C2")])
    assert above.consumers[1].owned == 0b01  # new id above C2's: C2 keeps p0
    below = _follow(ranked, [*BEFORE_REJOIN, ("Join", "C1", "id rank 1"), ("Join", "C2"),
                             ("Sync", "C2")])
    assert below.consumers[1].owned == 0b10  # new id below C2's: as the fixed ids


def test_fixed_ids_never_reach_a_state_with_c1_ranked_above_c2():
    # With the fixed ids C1 always gets p0 when both are members; Kafka also reaches C2 on
    # p0 and C1 on p1 (C1's new id above C2's, or C2's below C1's).
    model = make_model("group", EARLIEST, **CRASH_AND_RESTART)
    assert _first_swapped(model) is None
    assert _first_swapped(RankedRejoinGroup(model.config)) is not None


def _verdicts(model: GroupModel) -> tuple[int, dict[str, str]]:
    result = breadth_first(model, [p.name for p in model.properties()])
    assert result.complete
    return result.distinct_states, {p.name: result.verdict(p) for p in result.properties}


@pytest.mark.parametrize(("strategy", "shape", "faults"), [
    ("range", (2, 2, 1), {"crashes": 1, "rejoins": 1}),
    ("roundrobin", (2, 2, 1), {"poll_timeouts": 1}),
    ("cooperative-sticky", (2, 1, 1), {"pauses": 1, "poll_timeouts": 1}),
])
def test_a_rejoined_member_s_rank_changes_no_group_verdict_within_these_bounds(
        strategy, shape, faults):
    consumers, partitions, records = shape
    settings = {**EARLIEST, "partition.assignment.strategy": strategy}
    model = make_model("group", settings, consumers=consumers, partitions=partitions,
                       records=records, **faults)
    fixed_states, fixed = _verdicts(model)
    ranked_states, ranked = _verdicts(RankedRejoinGroup(model.config))
    assert ranked == fixed
    assert ranked_states > fixed_states  # the fixed ids miss states Kafka reaches


def test_the_rank_choice_costs_no_state_without_a_fault():
    model = make_model("group")  # the default group run: no member ever rejoins
    assert _verdicts(RankedRejoinGroup(model.config))[0] == _verdicts(model)[0] == 375
