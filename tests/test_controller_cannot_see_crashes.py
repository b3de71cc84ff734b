"""The controller learns of a broker's crash only when it fences the broker.

Until then the broker is active to it (ClusterControlManager.isActive: not fenced and not
in controlled shutdown), so PartitionChangeBuilder may elect it: leadership passes to a
crashed ISR member, and moves on when that one is fenced in turn.  A controller that
skipped crashed brokers would reach states Kafka does not, such as a partition left
without a leader while an ISR member could still lead, and report losses Kafka cannot
have; it would also miss the states where a crashed broker holds the leadership.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster.replication import REREGISTRATION_RACE, ReplicationModel
from kafkacheck.testing import make_model

RF3 = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
NO_ELR = {"eligible.leader.replicas.version": "0"}


def replay(model, actions):
    """The state the actions lead to from the initial state (each must be enabled)."""
    state = next(iter(model.init_states()))
    for action in actions:
        nexts = [n for a, n in model.successors(state) if tuple(a) == action]
        assert nexts, f"{action} is not enabled; enabled: {[a for a, _ in model.successors(state)]}"
        state = nexts[0]
    return state


def test_a_fenced_leader_hands_over_to_an_isr_member_that_crashed_unseen():
    model = make_model("replication", {**RF3, **NO_ELR}, kafka_version="4.4", records=2,
                       crashes=2, crash_kind="process")
    state = replay(model, [("Produce", "r1"), ("Fetch", "B2"), ("Fetch", "B3"),
                           ("Crash", "B2"), ("Crash", "B1"), ("Fence", "B1")])
    part = state.parts[0]
    assert (part.leader, part.isr, state.alive) == (1, 0b110, 0b100)  # B2 leads, crashed
    # A crashed leader takes no produce request and serves no fetch until it is fenced.
    assert {a[0] for a, _ in model.successors(state)} == {"Fence", "Restart"}
    part = replay(model, [("Produce", "r1"), ("Fetch", "B2"), ("Fetch", "B3"),
                          ("Crash", "B2"), ("Crash", "B1"), ("Fence", "B1"),
                          ("Fence", "B2")]).parts[0]
    assert (part.leader, part.isr) == (2, 0b100)  # B3, which holds r1


SHRINK_AFTER_CRASH = [
    ("Produce", "r1"), ("Fetch", "B3"), ("AlterPartition", "B1", "shrink B2"),
    ("AlterPartitionAccepted", "isr {B1, B3}"), ("AlterPartition", "B1", "shrink B3"),
    ("Fetch", "B3"), ("Ack", "r1"), ("Crash", "B1"), ("AlterPartitionAccepted", "isr {B1}")]


def test_a_shrink_answered_after_the_leader_crashed_keeps_it_leader_until_it_is_fenced():
    # KIP-966 with unclean election on: the leader's AlterPartition shrinking the ISR to
    # itself is accepted after it crashed.  The controller keeps it as leader (it is
    # unfenced); fencing it elects B3 from the ELR.  A controller that knew of the crash
    # would leave the partition without a leader at once and elect B2, which never had
    # r1, uncleanly.
    settings = {**RF3, "unclean.leader.election.enable": "true",
                "eligible.leader.replicas.version": "1"}
    model = make_model("replication", settings, kafka_version="4.4", records=1, crashes=1,
                       crash_kind="process", isr_updates="in-flight")
    state = replay(model, SHRINK_AFTER_CRASH)
    part = state.parts[0]
    assert (part.leader, part.isr, part.elr, state.alive) == (0, 0b001, 0b100, 0b110)
    assert not any(a[0].endswith("Elect") for a, _ in model.successors(state))
    part = replay(model, [*SHRINK_AFTER_CRASH, ("Fence", "B1")]).parts[0]
    assert (part.leader, part.isr) == (2, 0b100)
    result = breadth_first(model, [p.name for p in model.properties()
                                   if p.kind != "eventually"])
    assert (result.result, result.distinct_states) == ("holds", 13_538)


class OmniscientController(ReplicationModel):
    """A mutant whose controller sees crashes as they happen: it accepts only running
    brokers as leaders (the replication model's rule before 2026-12-04)."""

    def successors(self, state):
        self._running = state.alive
        return super().successors(state)

    def _acceptable(self, fenced):
        return super()._acceptable(fenced) & self._running


def test_a_controller_that_saw_crashes_would_report_a_loss_kafka_cannot_have():
    settings = {**RF3, "unclean.leader.election.enable": "true",
                "eligible.leader.replicas.version": "1"}
    model = make_model("replication", settings, kafka_version="4.4", records=1, crashes=1,
                       crash_kind="process", isr_updates="in-flight")
    mutant = OmniscientController(model.config)
    result = breadth_first(mutant, ["NoAckedWriteLost"])
    trace = result.violation("NoAckedWriteLost").trace
    assert [tuple(a) for a in trace.actions] == [*SHRINK_AFTER_CRASH, ("UncleanElect", "B2")]


@pytest.mark.parametrize(("model", "version", "settings", "bounds", "named"), [
    ("replication", "3.9", {"process.roles": "broker"}, {"crashes": 1}, True),
    ("replication", "3.9", {"process.roles": "broker"}, {"crashes": 0, "disk_losses": 1}, True),
    ("replication", "3.9", {"process.roles": "broker"}, {"crashes": 0}, False),
    ("replication", "3.9", {}, {"crashes": 1}, False),  # ZooKeeper mode
    ("replication", "4.0", {}, {"crashes": 1}, False),
    ("controller", "3.9", {}, {"crashes": 1}, True),
    ("controller", "4.0", {}, {"crashes": 1}, False),
])
def test_kraft_before_4_0_names_the_reregistration_it_does_not_explore(model, version, settings,
                                                                        bounds, named):
    # ClusterControlManager.registerBroker (3.9.0): a new incarnation registering once the
    # old session expired, before the controller fenced it, leaves the ISRs and leaders as
    # they were (handleBrokerUncleanShutdown does nothing without ELR); here every restart
    # follows a fence, so a HOLDS names the race as not explored.
    checked = make_model(model, {"acks": "all", **settings}, kafka_version=version, records=1,
                         **bounds)
    assert (REREGISTRATION_RACE in checked.fault_model().not_explored) is named
