"""What the group model proves and refutes about ownership: zombies, owners, assignments.

Each test is one ``kafkacheck check group --set ... --bound ...`` run (the settings and
bounds are the arguments of ``make_model``).
"""

from __future__ import annotations

import pytest
from verdicts import holds_but_not_checked

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.model.clients.group import IDLE, NO_GEN
from kafkacheck.properties.base import always_step
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
COOPERATIVE = {**EARLIEST, "partition.assignment.strategy": "cooperative-sticky"}
OWNERSHIP = ["OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "CommitsFromCurrentGeneration",
             "BalancedAssignment", "ExtraConsumersIdle"]


def names(trace):
    return [a[0] for a in trace.actions]


def witness(model, step):
    """The shortest trace to a transition where step(before, action, after) holds."""
    prop = always_step("Witness", "no such step", lambda s, a, t: not step(s, a, t))
    result = breadth_first(model, propset=PropertySet([prop], [], [prop], [], []))
    return result.violation("Witness").trace


def test_a_poll_timeout_lets_two_members_process_one_partition_under_eager():
    model = make_model("group", EARLIEST, consumers=2, records=1, poll_timeouts=1)
    assert model.protocol == "EAGER"
    trace = breadth_first(model, ["NoConcurrentProcessing"]).violation(
        "NoConcurrentProcessing").trace
    steps = trace.actions
    assert [a[:2] for a in steps if a[0] in ("PollTimeout", "Poll")][-2:] == [
        ("PollTimeout", "C1"), ("Poll", "C2")]
    assert names(trace)[-2:] == ["Sync", "Poll"]  # p0 moved to C2 while C1 still processes


def test_a_zombie_commit_is_rejected():
    settings = {**EARLIEST, "enable.auto.commit": "false"}
    model = make_model("group", settings, commit="sync-after-processing", consumers=2,
                       records=1, poll_timeouts=1)

    def zombie_commit_rejected(s, a, t):
        # A consumer whose generation was reset by its poll timeout commits, still holding
        # records of a partition that another member owns by now.
        if a[0] != "CommitFailed":
            return False
        i = model.index_of(a[1])
        zombie = s.consumers[i]
        taken = any(m.owned & zombie.owned and m.generation != NO_GEN
                    for j, m in enumerate(s.consumers) if j != i)
        return zombie.generation == NO_GEN and zombie.phase != IDLE and taken

    trace = witness(model, zombie_commit_rejected)
    assert trace.actions[-1][0] == "CommitFailed"
    assert "PollTimeout" in names(trace)
    assert ("Sync", "C2", "{p0}") in trace.actions  # the partition moved before the commit
    result = breadth_first(model, ["CommitsFromCurrentGeneration"])
    assert result.result == "holds" and result.distinct_states == 194
    assert result.coverage["CommitFailed"] == 17


def test_cooperative_sticky_never_has_two_owners_through_crashes_closes_and_rejoins():
    model = make_model("group", COOPERATIVE, consumers=2, partitions=2, records=1, crashes=1,
                       poll_timeouts=0, closes=1, rejoins=1)
    assert model.protocol == "COOPERATIVE"
    result = breadth_first(model, OWNERSHIP)
    # Two consumers, two partitions: ExtraConsumersIdle cannot fail and is not checked (it
    # was HOLDS before audit s21); no member is dropped while it runs on, so neither can
    # CommitsFromCurrentGeneration (s23); the ownership properties hold.
    assert holds_but_not_checked(result, {"ExtraConsumersIdle", "CommitsFromCurrentGeneration"})
    assert result.distinct_states == 25_194
    assert all(result.coverage[f] for f in ("Crash", "Close", "Restart"))


def test_a_poll_timeout_leaves_a_second_owner_even_with_cooperative_sticky():
    # KIP-62: the heartbeat thread leaves the group, the partition is reassigned, and the
    # application keeps it until its next poll() runs onPartitionsLost.  Generations keep
    # the commits apart (the other ownership properties hold), not the ownership itself.
    model = make_model("group", COOPERATIVE, consumers=2, partitions=2, records=1, crashes=1,
                       poll_timeouts=1, closes=1, rejoins=1)
    result = breadth_first(model, OWNERSHIP)
    assert result.distinct_states == 64_527
    violation = result.violation("NoTwoOwnersAtOnce")
    assert [a[0] for a in violation.trace.actions][-2:] == ["PollTimeout", "Sync"]
    assert len(violation.trace) == 8
    assert [v.name for v in result.violations] == ["NoTwoOwnersAtOnce"]


def test_a_member_whose_session_expired_while_paused_still_owns_its_partitions():
    model = make_model("group", COOPERATIVE, consumers=2, records=0, pauses=1)
    trace = breadth_first(model, ["NoTwoOwnersAtOnce"]).violation("NoTwoOwnersAtOnce").trace
    assert "Pause" in names(trace) and names(trace)[-1] == "Sync"


@pytest.mark.parametrize("strategy,states", [("range", 4_669), ("roundrobin", 4_669),
                                             ("sticky", 11_452),
                                             ("cooperative-sticky", 20_937)])
def test_more_consumers_than_partitions_leave_the_extra_consumers_idle(strategy, states):
    settings = {**EARLIEST, "partition.assignment.strategy": strategy}
    model = make_model("group", settings, consumers=3, partitions=2, records=0, crashes=1)
    result = breadth_first(model, ["ExtraConsumersIdle", "BalancedAssignment",
                                   "NoTwoOwnersAtOnce"])
    assert result.result == "holds" and result.distinct_states == states
    assert result.coverage["Crash"] and result.coverage["Sync"]


def test_a_restarted_static_member_gets_its_partitions_back_without_a_rebalance():
    settings = {**EARLIEST, "group.instance.id": "app"}
    model = make_model("group", settings, consumers=2, partitions=2, records=0, crashes=1,
                       rejoins=1)

    def static_rejoin(s, a, t):
        return a[0] == "Join" and "static member, no rebalance" in a

    trace = witness(model, static_rejoin)
    assert "Restart" in names(trace) and "Expire" not in names(trace)
    before, after = trace.steps[-2].state, trace.steps[-1].state
    assert after.generation == before.generation  # no rebalance: the same generation


def test_kip_848_consumer_protocol_is_not_covered_and_runs_under_the_classic_protocol():
    model = make_model("group", {"group.protocol": "consumer"})
    assert dict(model.config.uncovered) == {"group.protocol": "consumer"}
    assert model.kafka["group.protocol"] == "classic"
