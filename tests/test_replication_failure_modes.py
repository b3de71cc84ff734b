"""Failure modes operators meet: lost disks, AlterPartition in flight, rolling restarts.

Each mechanism is shown on both sides: the rule before Kafka fixed it (or a misconfigured
procedure) violates a guarantee with its shortest counterexample, the fixed rule holds on
the same bounds, exhaustively.  Sources: KIP-497 (AlterIsr, maximal ISR), KIP-841 (fenced
replicas stay out of the ISR, 3.3), KIP-903 (broker epochs in AlterPartition, 3.5), KIP-966
(unclean shutdown and Eligible Leader Replicas), ReplicationControlManager
.handleBrokerInControlledShutdown.
"""

from __future__ import annotations

import pytest
from mutants import MUTANTS, load, make_mutant
from reachable import transitions
from verdicts import holds_but_not_checked

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster.replication import (
    CONTROLLED_SHUTDOWN,
    DISK_LOSS,
    LOST_ALTER_RESPONSE,
    SLOW_FOLLOWER,
    ReplicationModel,
)
from kafkacheck.testing import make_model

RF2 = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
RF3 = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
IN_FLIGHT = {"crashes": 0, "disk_losses": 1, "isr_updates": "in-flight"}
JOINS = ["IsrJoinersHoldCommitted", "FencedNeverJoinsIsr"]


def names(trace):
    return [a[0] for a in trace.actions]


# -- disk loss ------------------------------------------------------------------------------


def test_a_replica_that_lost_its_disk_is_elected_from_the_isr_it_kept_until_elr_in_4_1():
    # KIP-841 keeps the last ISR member in the ISR when it is fenced; if its disk was
    # replaced it comes back empty and is elected cleanly (4.0, ELR off).  With Eligible
    # Leader Replicas (4.1 default) its unclean shutdown removes it and the ELR member leads.
    before = make_model("replication", RF2, kafka_version="4.0", crashes=0, disk_losses=1)
    result = breadth_first(before, ["NoAckedWriteLost"])
    assert names(result.violation("NoAckedWriteLost").trace) == [
        "Produce", "Fetch", "Produce", "Fetch", "Ack", "ShrinkIsr", "DiskLoss", "Fence",
        "Restart", "Elect"]
    after = make_model("replication", RF2, kafka_version="4.1", crashes=0, disk_losses=1)
    result = breadth_first(after)
    assert result.result == "holds" and result.complete and result.distinct_states == 869
    assert after.fault_model().explored == ((DISK_LOSS, 1),)


def test_with_elr_two_unclean_shutdowns_elect_the_last_known_leader_even_with_an_empty_disk():
    # A model finding on Kafka 4.4 rules: RF=2, the leader crashes, then the follower loses
    # its disk.  Both restarts are unclean shutdowns, which empty the ELR; with ISR and ELR
    # empty, PartitionChangeBuilder.canElectLastKnownLeader elects the last leader, the
    # replica whose disk was replaced.
    model = make_model("replication", RF2, crashes=1, crash_kind="process", disk_losses=1,
                       records=1)
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert names(trace) == ["Produce", "Fetch", "Fetch", "Ack", "Crash", "Fence", "DiskLoss",
                            "Fence", "Restart", "Restart"]
    assert model.view(trace.steps[-1].state)["leader"] == ("broker", 1)


# -- AlterPartition in flight: the controller's validation ----------------------------------


def test_a_stale_alter_partition_adds_a_replica_with_an_empty_disk_until_kip_903_in_3_5():
    # The KIP-903 scenario: the leader asks to add a caught-up follower; before the request
    # arrives the follower loses its disk, is fenced, restarts and registers again; the
    # controller (3.4, KIP-841 only: the broker is unfenced by then) adds it with an empty log.
    before = make_model("replication", RF2, kafka_version="3.4", **IN_FLIGHT)
    result = breadth_first(before, JOINS)
    assert [tuple(a) for a in result.violation("IsrJoinersHoldCommitted").trace.actions] == [
        ("Produce", "r1"), ("Fetch", "B2"), ("AlterPartition", "B1", "shrink B2"),
        ("Fetch", "B2"), ("AlterPartitionAccepted", "isr {B1}"),
        ("AlterPartition", "B1", "expand B2"), ("DiskLoss", "B2"), ("Fence", "B2"),
        ("Restart", "B2"), ("AlterPartitionAccepted", "isr {B1, B2}")]
    assert result.violation("FencedNeverJoinsIsr") is None
    # KIP-903 is KRaft's (a ZooKeeper cluster of 3.5 still adds it back): process.roles.
    after = make_model("replication", {**RF2, "process.roles": "broker"}, kafka_version="3.5",
                       **IN_FLIGHT)
    result = breadth_first(after, JOINS)
    assert result.result == "holds" and result.distinct_states == 1_686
    assert any(a[0] == "AlterPartitionRejected" and a[2] == "INELIGIBLE_REPLICA"
               for _, a, _ in transitions(after))


def test_a_fenced_broker_joins_the_isr_until_kip_841_in_3_3():
    before = make_model("replication", RF2, kafka_version="3.2", **IN_FLIGHT)
    trace = breadth_first(before, ["FencedNeverJoinsIsr"]).violation(
        "FencedNeverJoinsIsr").trace
    assert names(trace)[-3:] == ["DiskLoss", "Fence", "AlterPartitionAccepted"]
    after = make_model("replication", RF2, kafka_version="3.3", **IN_FLIGHT)
    assert breadth_first(after, ["FencedNeverJoinsIsr"]).result == "holds"


def test_kafka_4_4_keeps_every_guarantee_with_a_disk_loss_and_alter_partition_in_flight():
    model = make_model("replication", RF2, **IN_FLIGHT)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete and result.distinct_states == 2_421


# -- AlterPartition in flight: the leader's maximal ISR and lost responses -----------------


def test_the_leader_counts_its_maximal_isr_while_an_isr_shrink_is_in_flight_kip_497():
    # PendingShrinkIsr.maximalIsr keeps the member being removed: the HW waits for it until
    # the controller answers.  Counting the proposed ISR instead acknowledges a record the
    # controller's ISR member lacks, which is then elected.
    bounds = {"crashes": 1, "crash_kind": "process", "isr_updates": "in-flight", "records": 1}
    load("replication")
    assert "NoAckedWriteLost" in MUTANTS[("replication", "hw-counts-proposed-isr")].breaks
    mutant = make_mutant("replication", "hw-counts-proposed-isr", RF3, **bounds)
    assert names(breadth_first(mutant, ["NoAckedWriteLost"]).violation(
        "NoAckedWriteLost").trace) == ["Produce", "Fetch", "AlterPartition", "Fetch", "Ack",
                                       "Crash", "Fence"]
    result = breadth_first(make_model("replication", RF3, **bounds))
    assert result.result == "holds" and result.distinct_states == 13_538


def test_a_lost_alter_partition_response_is_resent_and_refused_as_stale():
    # AlterPartitionManager resends a request whose response never came; the commit bumped
    # the partition epoch, so the controller answers INVALID_UPDATE_VERSION.
    model = make_model("replication", RF2, crashes=0, isr_updates="in-flight",
                       lost_alter_responses=1, records=2)
    result = breadth_first(model)
    # No crash or disk loss fences a broker, so FencedNeverJoinsIsr cannot fail here (it was
    # HOLDS; tests/test_vacuous_premises_replication.py).
    assert holds_but_not_checked(result, {"FencedNeverJoinsIsr"})
    assert result.distinct_states == 973
    assert model.fault_model().explored == ((LOST_ALTER_RESPONSE, 1),)
    steps = {a[1:] for _, a, _ in transitions(model) if a[0].startswith("AlterPartitionRej")}
    assert ("isr {B1}", "INVALID_UPDATE_VERSION") in steps


def test_the_partition_epoch_check_is_covered_by_kip_841_and_kip_903_in_these_bounds():
    # An equivalent mutant, found by the model: without the partition-epoch check a resent
    # request is applied again, but it can only re-add a member that was fenced since
    # (KIP-841 refuses it) or registered again (KIP-903 refuses it).
    class IgnoresPartitionEpoch:
        def alter_partition_error(self, reg, requester, leader_epoch, order, new_isr, fenced,
                                  stale):
            return super().alter_partition_error(reg, requester, leader_epoch, 0, new_isr,
                                                 fenced, stale)

    class Mutant(ReplicationModel):
        rule_mixins = (IgnoresPartitionEpoch,)

    model = make_model("replication", RF2, crashes=1, crash_kind="process",
                       isr_updates="in-flight", lost_alter_responses=1, records=1)
    mutant = Mutant(model.config)
    result = breadth_first(mutant, [*JOINS, "CommittedRecordsStay", "ReplicasAgreeBelowHw"])
    assert result.result == "holds" and result.complete and result.distinct_states == 1_337


def test_isr_updates_in_flight_need_alter_isr_from_2_7_and_lost_responses_need_it():
    with pytest.raises(UsageError, match="KIP-497"):
        make_model("replication", RF2, kafka_version="2.6", isr_updates="in-flight")
    with pytest.raises(UsageError, match="isr_updates=in-flight"):
        make_model("replication", RF2, lost_alter_responses=1)


# -- controlled shutdown and rolling restarts ----------------------------------------------

ROLLING = {"crashes": 0, "slow_followers": "none", "rolling_restarts": 2, "records": 1}
SAFETY = ["WritesAccepted", "NoAckedWriteLost", "CommittedRecordsStay"]


@pytest.mark.parametrize("settings,wait,broken,states", [
    # acks=all, RF=3, min ISR 2, waiting for the ISR between restarts: writable and safe
    (RF3, "isr", {}, 1_597),
    # restarting the next broker before the last one caught up: NOT_ENOUGH_REPLICAS
    (RF3, "none", {"WritesAccepted": 2}, 4_944),
    # min ISR = RF: any one broker down stops acks=all writes
    ({**RF3, "min.insync.replicas": "3"}, "isr", {"WritesAccepted": 1}, 1_628),
    (RF2, "isr", {"WritesAccepted": 1}, 302),
    # acks=all, min ISR 1: writable while the operator waits; offline if not
    ({**RF2, "min.insync.replicas": "1"}, "isr", {}, 283),
    ({**RF2, "min.insync.replicas": "1"}, "none", {"WritesAccepted": 2}, 470),
    # ... and with unclean election the lagging replica leads: acknowledged writes are lost
    ({**RF2, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"}, "none",
     {"WritesAccepted": 2, "NoAckedWriteLost": 6, "CommittedRecordsStay": 5}, 167),
    # acks=1: leadership moves to a follower that has not fetched the acknowledged record
    ({"acks": "1", "replication.factor": "3"}, "isr", {"NoAckedWriteLost": 2}, 1_075),
], ids=["all-rf3-minisr2", "all-rf3-minisr2-nowait", "all-rf3-minisr3", "all-rf2-minisr2",
        "all-rf2-minisr1", "all-rf2-minisr1-nowait", "all-rf2-minisr1-unclean-nowait",
        "acks1-rf3"])
def test_which_settings_keep_producing_and_keep_data_through_a_rolling_restart(
        settings, wait, broken, states):
    model = make_model("replication", settings, restart_wait=wait, **ROLLING)
    result = breadth_first(model, SAFETY)
    assert result.distinct_states == states
    assert result.complete or len(broken) == len(SAFETY)
    found = {name: len(result.violation(name).trace) for name in SAFETY
             if result.violation(name) is not None}
    assert found == broken
    assert (CONTROLLED_SHUTDOWN, 2) in model.fault_model().explored
    assert SLOW_FOLLOWER in model.fault_model().not_explored


def test_a_controlled_shutdown_moves_leadership_first_and_restarts_with_exact_checkpoints():
    model = make_model("replication", RF3, **ROLLING)
    moves = [(a, s, t) for s, a, t in transitions(model) if a[0] == "ControlledShutdown"]
    assert moves
    for action, before, after in moves:
        b = int(action[1][1:]) - 1
        part = after.parts[0]
        assert part.leader != b and not part.isr >> b & 1 and after.fenced >> b & 1
        assert before.parts[0].leader != b or part.epoch == before.parts[0].epoch + 1
    restarts = [a for _, a, _ in transitions(model) if a[0] == "Restart"]
    assert restarts and all(a[2:] == ("after controlled shutdown",) for a in restarts)
