"""The controller learns of a broker's crash only when it fences the broker.

Until then the broker is active to it (ClusterControlManager.isActive: not fenced and not
in controlled shutdown), so PartitionChangeBuilder may elect it: leadership passes to a
crashed ISR member, and moves on when that one is fenced in turn.  A controller that
skipped crashed brokers would reach states Kafka does not, such as a partition left
without a leader while an ISR member could still lead, and report losses Kafka cannot
have; it would also miss the states where a crashed broker holds the leadership.

Before 4.0 a KRaft controller also lets a crashed broker back without fencing it: a new
incarnation registering once the old session expired, before the stale-broker fence ran,
keeps the old one's ISR membership and leadership (ClusterControlManager.registerBroker,
3.9.0).  ``--bound early_registrations`` explores that race; otherwise a fault line names
it as not explored.
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
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


KRAFT_39 = {**RF3, "process.roles": "broker"}
POWER_LOSS_ONCE = {"records": 1, "crashes": 1, "crash_kind": "power-loss"}


def test_kraft_3_9_loses_a_write_when_a_powered_off_leader_registers_before_it_is_fenced():
    # The leader loses its unflushed r1 in a power failure and registers again once its
    # session expired, before the controller fenced it: it is still leader and ISR member,
    # and followers truncate to its empty log.  Fenced first, as 4.0 does, nothing is lost.
    fenced_first = make_model("replication", KRAFT_39, kafka_version="3.9", **POWER_LOSS_ONCE)
    result = breadth_first(fenced_first, ["NoAckedWriteLost"])
    assert (result.result, result.distinct_states) == ("holds", 3_110)
    racing = make_model("replication", KRAFT_39, kafka_version="3.9", early_registrations=1,
                        **POWER_LOSS_ONCE)
    trace = breadth_first(racing, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert [tuple(a) for a in trace.actions] == [
        ("Produce", "r1"), ("Fetch", "B2"), ("Fetch", "B2"), ("ShrinkIsr", "B3"),
        ("Ack", "r1"), ("PowerLoss", "B1", "log kept to 0"), ("EarlyRegistration", "B1")]
    last = trace.steps[-1].state
    assert last.parts[0].leader == 0 and last.alive & 1 and not last.fenced
    explored = dict(racing.fault_model().explored)
    assert explored[REREGISTRATION_RACE] == 1
    assert REREGISTRATION_RACE not in racing.fault_model().not_explored


def test_an_fsync_per_message_keeps_the_early_registration_safe():
    model = make_model("replication", {**KRAFT_39, "flush.messages": "1"}, kafka_version="3.9",
                       early_registrations=1, **{**POWER_LOSS_ONCE, "crash_kind": "any"})
    result = breadth_first(model, [p.name for p in model.properties()
                                   if p.kind != "eventually"])
    assert (result.result, result.distinct_states) == ("holds", 4_060)


# 4.x fences the new incarnation; 3.9 without process.roles is a ZooKeeper cluster.
@pytest.mark.parametrize(("version", "settings"), [("4.0", RF3), ("4.4", RF3), ("3.9", RF3)])
def test_early_registrations_exist_only_in_kraft_before_4_0(version, settings):
    with pytest.raises(UsageError, match="only a KRaft cluster before 4.0"):
        make_model("replication", settings, kafka_version=version, early_registrations=1)


def test_prove_does_not_cover_early_registrations(capsys):
    code = main(["prove", "replication", "--kafka-version", "3.9", "--set",
                 "process.roles=broker", "--set", "acks=all", "--set", "replication.factor=3",
                 "--set", "min.insync.replicas=2", "--bound", "crash_kind=process",
                 "--bound", "early_registrations=1"])
    out = capsys.readouterr().out
    assert code == 3 and out.startswith("NOT COVERED: prove does not encode the bound "
                                        "early_registrations")
