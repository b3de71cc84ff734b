"""Disk loss, broker epochs and AlterPartition in flight, with an explicit KRaft controller.

The controller model carries the AlterPartition request from the leader to the active
controller (``isr_updates=in-flight``): the leader counts its maximal ISR meanwhile
(KIP-497), the controller validates it with the partition component's rule (leader and
partition epochs, KIP-841 fencing, KIP-903 broker epochs), and a broker that lost its disk
registers again with a new broker epoch (ClusterControlManager.registerBroker).
"""

from __future__ import annotations

import pytest
from verdicts import holds_but_not_checked

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster.replication import DISK_LOSS
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2"}
# Two brokers, one controller on the first node: the KIP-903 scenario at its smallest.
KIP903 = {"brokers": 2, "controllers": 1, "slow_followers": 1, "crashes": 0,
          "isolations": 0, "restarts": 1, "disk_losses": 1, "isr_updates": "in-flight",
          "records": 1}


def test_the_kip_903_race_with_an_explicit_controller_until_broker_epochs_in_3_5():
    # B2 catches up, B1 asks to add it; B2's node loses its disk, restarts, registers and
    # is unfenced before the request is handled: Kafka 3.4 adds the empty replica.  The
    # shrink bumped the leader epoch (before KAFKA-15021): B1 ignores the controller's
    # answer and takes the shrink from the metadata, and B2 truncates in the new epoch,
    # before B1 asks to add it (three steps more than with 3.6's rule).
    before = make_model("controller", SAFE, kafka_version="3.4", **KIP903)
    result = breadth_first(before, ["IsrJoinersHoldCommitted"])
    assert [tuple(a) for a in result.violation("IsrJoinersHoldCommitted").trace.actions] == [
        ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"),
        ("Fetch", "B2", "from B1"), ("Fetch", "B2", "from B1"),
        ("AlterPartitionAccepted", "B1", "isr {B1}", "by C1"),
        ("FetchMetadata", "B1", "from C1", "offset 2"),
        ("FetchMetadata", "B2", "from C1", "offset 2"), ("BecomeFollower", "B2", "truncate to 1"),
        ("AlterPartition", "B1", "expand B2"), ("DiskLoss", "B2"), ("Restart", "B2"),
        ("Register", "B2", "by C1"), ("FetchMetadata", "B2", "from C1", "offset 3"),
        ("Unfence", "B2", "by C1"), ("AlterPartitionAccepted", "B1", "isr {B1, B2}", "by C1")]
    after = make_model("controller", SAFE, kafka_version="3.5", **KIP903)
    result = breadth_first(after)
    # 5,885 states before the shrink's leader epoch bump (KAFKA-15021) was modelled.
    assert result.complete and result.distinct_states == 5_198
    assert result.verdict(next(p for p in result.properties
                               if p.name == "IsrJoinersHoldCommitted")) == "holds"
    assert (DISK_LOSS, 1) in after.fault_model().explored


def test_before_4_0_the_last_isr_member_comes_back_empty_and_is_elected():
    # KIP-841 keeps the last ISR member; without the unclean-shutdown clean-up (KIP-966,
    # metadata.version 4.0) its registration leaves it there and unfencing elects it.
    model = make_model("controller", SAFE, kafka_version="3.5", **KIP903)
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert [a[0] for a in trace.actions][-6:] == [
        "DiskLoss", "Restart", "Elect", "Register", "FetchMetadata", "Unfence"]


def test_kafka_4_4_keeps_every_guarantee_through_the_same_disk_loss():
    result = breadth_first(make_model("controller", SAFE, **KIP903))
    # One voter, and no isolation or leader change: the quorum properties and the deposed
    # leader's acknowledgements cannot fail here (they were HOLDS;
    # tests/test_vacuous_premises_replication.py); every other guarantee holds.
    assert holds_but_not_checked(
        result, {"OneActiveControllerPerEpoch", "MetadataCommittedByMajority",
                 "DeposedLeaderAcksSurvive"}, {"SomeDeposedLeaderAck"})
    assert result.distinct_states == 8_457


def test_a_restarted_leader_with_an_empty_disk_is_not_a_leader_until_it_registers():
    # Until its registration (which takes its leaderships away) and its metadata catch-up,
    # a restarted broker acts on nothing: the replication properties read only brokers
    # that run (ControllerModel.acting_brokers).
    model = make_model("controller", SAFE, kafka_version="4.4", **KIP903)
    state = model.init_states()[0]
    for label in (("Produce", "r1", "to B1"), ("DiskLoss", "B1/C1"), ("Restart", "B1/C1")):
        state = next(t for a, t in model.successors(state) if tuple(a) == label)
    assert state.parts[0].leader == 0 and not state.parts[0].logs[0]
    assert model.acting_brokers(state) == 0b10


# The must-show composition: three combined broker/controller nodes, AlterPartition in
# flight (KIP-497), one node losing its disk and restarting with a new broker epoch
# (KIP-903, KIP-966).  When the disk goes under the active controller's node, C2 or C3
# takes over in a new controller epoch while the empty broker re-registers: the disk loss
# and the controller failover happen together, in every order the cluster allows.
COMPOSED = {"records": 1, "crashes": 0, "isolations": 0, "restarts": 1, "disk_losses": 1,
            "isr_updates": "in-flight"}


@pytest.mark.thorough
def test_composed_three_brokers_one_disk_loss_one_controller_failover():
    model = make_model("controller", SAFE, **COMPOSED)
    result = breadth_first(model)
    assert result.complete
    assert (result.distinct_states, result.generated_states, result.depth) == (
        233_104, 758_682, 29)
    verdicts = {p.name: result.verdict(p) for p in result.properties}
    for name in ("ControllerFailsOver", "IsrJoinersHoldCommitted", "NoAckedWriteLost",
                 "FencedNeverJoinsIsr"):
        assert verdicts[name] == "holds"
    # No isolation: no deposed leader ever acknowledges, so that property cannot fail
    # (not checked) and its witness is never reached; nothing else falls short.
    assert verdicts["DeposedLeaderAcksSurvive"] == "not checked"
    assert verdicts["SomeDeposedLeaderAck"] == "never reached"
    assert result.result == "never reached"
    assert {v for n, v in verdicts.items()
            if n not in ("DeposedLeaderAcksSurvive", "SomeDeposedLeaderAck")} == {"holds"}


def test_the_disk_loss_of_the_active_controllers_node_is_a_controller_failover():
    # ControllerFailsOver is a 'sometimes' property of every run with a node fault, disk
    # losses included: the shortest failover loses C1's node's disk.
    model = make_model("controller", SAFE, **{**COMPOSED, "records": 0})
    result = breadth_first(model, ["ControllerFailsOver"])
    assert result.result == "holds" and result.complete
    witness = result.witnesses["ControllerFailsOver"]
    assert [a[0] for a in witness.actions] == ["DiskLoss", "Elect"]
    assert witness.actions[0][1] == "B1/C1"


def test_a_new_leader_restarting_with_an_empty_disk_is_not_read_before_it_registers():
    # Found by the composed run: r1 is committed on all three, B1 is isolated and fenced
    # (B2 leads), B1 then acknowledges r1 as a deposed leader, and B2 loses its disk and
    # restarts.  Until it registers (which takes its leadership away) B2 acts on nothing,
    # so the deposed leader's acknowledgement is not judged against B2's empty log; B3
    # still holds r1 and NoAckedWriteLost holds throughout.
    model = make_model("controller", SAFE, records=1, crashes=0, isolations=1, restarts=1,
                       disk_losses=1, isr_updates="in-flight")
    props = {p.name: p for p in model.properties()}
    state = model.init_states()[0]
    for label in (("Produce", "r1", "to B1"), ("Fetch", "B2", "from B1"),
                  ("Fetch", "B2", "from B1"), ("Fetch", "B3", "from B1"),
                  ("Fetch", "B3", "from B1"), ("Isolate", "B1/C1"), ("Elect", "C2", "epoch 2"),
                  ("Fence", "B1", "by C2"), ("Ack", "r1", "by B1"), ("DiskLoss", "B2/C2"),
                  ("Restart", "B2/C2")):
        state = next(t for a, t in model.successors(state) if tuple(a) == label)
    assert state.acked_by_deposed_leader[0] and state.parts[0].leader == 1
    assert not state.parts[0].logs[1] and not model.acting_brokers(state) >> 1 & 1
    assert props["DeposedLeaderAcksSurvive"].holds(state)
    assert props["NoAckedWriteLost"].holds(state)
