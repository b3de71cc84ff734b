"""Audit s19 of the classic group model: two wrong greens and a fencing answer Kafka never gives.

1. With ``processing=async`` the poll loop goes on calling poll() while a worker thread
   processes a batch (ConsumerCoordinator.poll: ensureActiveGroup, onJoinPrepare's
   auto-commit and revocation), so a rebalance moves a partition whose records the worker
   still processes; and since max.poll.interval.ms is the time between two poll() calls
   (Heartbeat.poll / pollTimeoutExpired), it never passes.
2. BalancedAssignment exempted a cooperative group whenever a partition was missing; a
   settled cooperative group (nothing left to revoke or rejoin) can leave one unowned for
   good (a static member restarted between KIP-429's two rounds).
3. A static member fenced by a newer process with its group.instance.id gets
   FENCED_INSTANCE_ID on JoinGroup and SyncGroup (ClassicGroup.validateMember,
   replaceStaticMember; GroupCoordinator.isStaticMemberFenced from 2.3) and stops; it never
   takes the instance id back.
"""

from __future__ import annotations

from collections import deque

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.model.clients.group import DOWN, MSTABLE, POLLED, STABLE, UNJOINED
from kafkacheck.properties.base import always_step
from kafkacheck.testing import check, make_model

EARLIEST = {"auto.offset.reset": "earliest"}
COOPERATIVE = {**EARLIEST, "partition.assignment.strategy": "cooperative-sticky"}
STATIC = {**EARLIEST, "group.instance.id": "app"}
FAST = ["--no-diagram", "--no-estimate", "--progress-every", "0"]


def labels(trace):
    return [tuple(a) for a in trace.actions]


def witness(model, step):
    """The shortest trace to a transition where step(before, action, after) holds."""
    prop = always_step("Witness", "no such step", lambda s, a, t: not step(s, a, t))
    result = breadth_first(model, propset=PropertySet([prop], [], [prop], [], []))
    violation = result.violation("Witness")
    return None if violation is None else violation.trace


# -- 1. processing=async: the poll loop rejoins while the worker runs --------------------

ASYNC_ARGV = ["check", "group", "--bound", "processing=async", "--bound", "partitions=2",
              "--set", "auto.offset.reset=earliest", "--property", "NoConcurrentProcessing"]


def test_with_async_processing_a_rebalance_moves_a_partition_the_worker_still_processes(
        capsys):
    assert main([*ASYNC_ARGV, *FAST]) == 1
    assert "VIOLATED: NoConcurrentProcessing" in capsys.readouterr().out
    model = make_model("group", EARLIEST, processing="async", partitions=2)
    result = breadth_first(model, ["NoConcurrentProcessing"])
    trace = result.violation("NoConcurrentProcessing").trace
    assert labels(trace) == [
        ("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0, p1}"), ("Join", "C2"),
        ("Produce", "p1", "offset 0"), ("Poll", "C1", "p1", "offset 0", "reset earliest"),
        # C1's loop rejoins with its worker on p1@0: onJoinPrepare commits p1@1, revokes all
        ("Join", "C1", "auto-commit", "revoke all"), ("Sync", "C1", "{p0}"),
        ("Sync", "C2", "{p1}"), ("Produce", "p1", "offset 1"),
        ("Poll", "C2", "p1", "offset 1", "from committed")]
    last = trace.steps[-1].state
    c1, c2 = last.consumers
    # The sync handed C1 a new assignment and left its worker's batch alone.
    assert (c1.status, c1.owned, c1.phase, c1.batch_partition) == (MSTABLE, 0b01, POLLED, 1)
    assert (c2.owned, c2.phase, c2.batch_partition) == (0b10, POLLED, 1)


def test_with_async_processing_and_cooperative_sticky_the_new_owner_rereads_the_workers_batch():
    model = make_model("group", COOPERATIVE, processing="async", partitions=2)
    result = breadth_first(model, ["NoConcurrentProcessing", "AtMostOnce"])
    steps = labels(result.violation("NoConcurrentProcessing").trace)
    assert len(steps) == 15
    # C1 polled p1@0 and revoked p1 while its worker still held the record; revoked
    # partitions are not committed (onJoinComplete), so C2 reads p1@0 again.
    assert steps[7:9] == [("Poll", "C1", "p1", "offset 0"), ("Sync", "C1", "{p0}", "revoke {p1}")]
    assert steps[-1] == ("Poll", "C2", "p1", "offset 0", "from committed")
    assert labels(result.violation("AtMostOnce").trace)[-1] == ("Process", "C2", "p1",
                                                                "offset 0")


def test_with_async_processing_the_poll_loop_never_exceeds_max_poll_interval():
    bounds = {"consumers": 1, "records": 1, "poll_timeouts": 1}
    # The loop keeps calling poll(): a poll timeout asked for could never be injected, so
    # the run is refused rather than HOLDING with the fault never fired.
    with pytest.raises(UsageError, match="poll_timeouts with processing=async"):
        make_model("group", EARLIEST, processing="async", **bounds)
    # in-loop, the same batch keeps poll() from being called until it is processed
    result = breadth_first(make_model("group", EARLIEST, **bounds), ["AtLeastOnce"])
    assert result.coverage["PollTimeout"] > 0


def test_in_loop_processing_still_keeps_one_processor_per_partition_without_faults():
    result = breadth_first(make_model("group", EARLIEST, partitions=2),
                           ["NoConcurrentProcessing"])
    assert result.result == "holds" and result.complete and result.distinct_states == 1988


# -- 2. BalancedAssignment: the cooperative exemption ends when the rebalance settles -----

STUCK = {"partition.assignment.strategy": "cooperative-sticky", "group.instance.id": "app"}
STUCK_BOUNDS = {"consumers": 2, "partitions": 2, "records": 0, "crashes": 1, "rejoins": 1}


def test_a_settled_cooperative_group_that_never_hands_out_a_partition_violates_balance(
        capsys):
    argv = ["check", "group", "--set", "partition.assignment.strategy=cooperative-sticky",
            "--set", "group.instance.id=app", "--bound", "consumers=2", "--bound",
            "partitions=2", "--bound", "records=0", "--bound", "crashes=1", "--bound",
            "rejoins=1", "--property", "BalancedAssignment"]
    assert main([*argv, *FAST]) == 1
    assert "VIOLATED: BalancedAssignment" in capsys.readouterr().out
    result = check(STUCK, model="group", bounds=STUCK_BOUNDS,
                   properties=["BalancedAssignment"])
    trace = result.violation("BalancedAssignment").trace
    assert labels(trace) == [
        ("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0, p1}"), ("Join", "C2"),
        ("Join", "C1"), ("Sync", "C1", "{p0}", "revoke {p1}"), ("Crash", "C1"),
        ("Restart", "C1"), ("Join", "C1", "static member, no rebalance"),
        ("Sync", "C1", "{p0}"), ("Sync", "C2", "{}")]
    last = trace.steps[-1].state
    # Settled: nothing is left to revoke or rejoin, so nothing asks for p1 again.
    assert last.group_state == STABLE and last.assignment == (0b01, 0b00)
    assert [(m.status, m.owned) for m in last.consumers] == [(MSTABLE, 0b01), (MSTABLE, 0)]


@pytest.mark.parametrize(("settings", "bounds", "states"), [
    (COOPERATIVE, {"consumers": 2, "partitions": 2}, 175),
    (COOPERATIVE, {"consumers": 2, "partitions": 3}, 461),
    (COOPERATIVE, {"consumers": 3, "partitions": 2}, 3002),
    (COOPERATIVE, {"consumers": 2, "partitions": 2, "crashes": 1, "rejoins": 1}, 2060),
    ({**COOPERATIVE, "group.instance.id": "app"}, {"consumers": 2, "partitions": 2}, 211),
])
def test_cooperative_round_one_withholding_partitions_still_holds_balanced_assignment(
        settings, bounds, states):
    result = check(settings, model="group", bounds={"records": 0, **bounds},
                   properties=["BalancedAssignment"])
    assert result.result == "holds" and result.complete
    assert result.distinct_states == states


# -- 3. a fenced static member is told FENCED_INSTANCE_ID and stops -----------------------

TWINS = {"consumers": 1, "records": 1, "duplicate_instances": 1}


def test_a_static_member_fenced_while_awaiting_its_assignment_gets_fenced_instance_id_and_stops():
    model = make_model("group", STATIC, **TWINS)
    trace = witness(model, lambda s, a, t: a[0] == "SyncFailed" and a[1] == "C1")
    assert labels(trace) == [
        ("Join", "C1"), ("Start", "C2", "group.instance.id app-1"), ("InitialRebalance",),
        ("Join", "C2", "fences C1"), ("SyncFailed", "C1", "FENCED_INSTANCE_ID")]
    assert trace.steps[-1].state.consumers[0].status == DOWN


def test_a_static_member_fenced_while_its_join_is_pending_gets_fenced_instance_id_and_stops():
    model = make_model("group", STATIC, **TWINS)
    trace = witness(model, lambda s, a, t: a[0] == "JoinFailed")
    assert labels(trace) == [
        ("Join", "C1"), ("Start", "C2", "group.instance.id app-1"),
        ("Join", "C2", "fences C1"), ("JoinFailed", "C1", "FENCED_INSTANCE_ID")]
    assert trace.steps[-1].state.consumers[0].status == DOWN


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_a_fenced_member_rejoining_with_its_old_member_id_is_refused_the_instance(strategy):
    model = make_model("group", {**STATIC, "partition.assignment.strategy": strategy},
                       consumers=2, records=0, duplicate_instances=1)
    trace = witness(model, lambda s, a, t: a[:2] in (("Join", "C1"), ("JoinFailed", "C1"))
                    and s.consumers[0].status == UNJOINED and s.consumers[0].unaware)
    assert labels(trace) == [
        ("Join", "C1"), ("Start", "C3", "group.instance.id app-1"), ("InitialRebalance",),
        ("Join", "C2"), ("SyncFailed", "C1", "REBALANCE_IN_PROGRESS"),
        ("Join", "C3", "fences C1"), ("JoinFailed", "C1", "FENCED_INSTANCE_ID")]


def test_a_fenced_instance_never_fences_the_newer_one_back():
    model = make_model("group", STATIC, **TWINS)
    init = (model.init_states()[0], False)
    seen = {init}
    queue = deque([init])
    refenced = []
    while queue:
        state, fenced = queue.popleft()
        for action, after in model.successors(state):
            if fenced and action[:2] == ("Join", "C1") and "fences C2" in action:
                refenced.append(action)
            key = (model.canonical(after),
                   fenced or action[:2] == ("Join", "C2") and "fences C1" in action)
            if key not in seen:
                seen.add(key)
                queue.append(key)
    assert any(f for _, f in seen)  # C2 does fence C1
    assert refenced == []
