"""The KRaft controller audit (s19): per-release rules of the controller model and its notes.

- KAFKA-15021 (3.6): before it, the KRaft controller bumps the leader epoch on every ISR
  shrink, under a leader that stays (PartitionChangeBuilder.triggerLeaderEpochBumpIfNeeded).
- KIP-996 (4.0): Raft pre-vote; before, an isolated voter that rejoins in a higher epoch
  deposes the active controller (KafkaRaftClient.handleVoteRequest).
- The power-loss warning knows the controller model's "node process crash".
- min.insync.replicas above the replica count: one note for both models, per release.
- unclean.leader.election.enable on 3.3-3.8: the controller model says it checks KRaft.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.render import power_loss_warning
from kafkacheck.model import versions
from kafkacheck.model.cluster import partition as pt
from kafkacheck.testing import check, make_model


def step(model, state, *label):
    """The successor of ``state`` by the action whose label starts with ``label``."""
    found = [t for a, t in model.successors(state) if tuple(a[:len(label)]) == label]
    assert found, (label, sorted({tuple(a) for a, _ in model.successors(state)}))
    return found[0]


def labels(model, state):
    return {tuple(a) for a, _ in model.successors(state)}


def walk(model, *labels_):
    state = model.init_states()[0]
    for label in labels_:
        state = step(model, state, *label)
    return state


# -- KAFKA-15021: the leader epoch bump on an ISR shrink, 3.3 to 3.5 -----------------------

def test_the_fix_is_recorded_once_with_its_release():
    assert [versions.has_fix(v, "KAFKA-15021") for v in ("3.3", "3.5", "3.5.2", "3.6")] == [
        False, False, False, True]
    assert [versions.has_fix(v, "KIP-996") for v in ("3.9", "3.9.1", "4.0")] == [
        False, False, True]
    assert [versions.has_fix(v, "KAFKA-12670") for v in ("3.8", "3.8.1", "3.9")] == [
        False, False, True]


@pytest.mark.parametrize("version, epoch", [("3.3", 1), ("3.4", 1), ("3.5", 1), ("3.6", 0),
                                            ("4.4", 0)])
def test_fencing_a_follower_bumps_the_leader_epoch_before_3_6(version, epoch):
    # B2 is cut off and fenced: it leaves the ISR while B1 keeps leading.  Kafka 3.3-3.5
    # bump the leader epoch (the record's leader is set to B1), 3.6+ only the partition
    # epoch.
    model = make_model("controller", {"acks": "1"}, kafka_version=version, brokers=3,
                       controllers=1, records=0, isolations=1)
    state = walk(model, ("Isolate", "B2"), ("Fence", "B2", "by C1"))
    reg = state.controllers[0].image.parts[0]
    assert (reg.leader, reg.epoch, reg.partition_epoch, reg.isr) == (0, epoch, 1, 0b101)
    assert state.parts[0].epoch == epoch


SHRINK = {"acks": "all", "min.insync.replicas": "1"}
SHRINK_BOUNDS = {"brokers": 3, "controllers": 1, "records": 1, "slow_followers": 1,
                 "isolations": 0}


def test_before_3_6_the_leader_learns_its_shrunk_isr_from_the_metadata_in_a_new_epoch():
    # B1 drops the slow B2.  On 3.4 the controller's answer carries leader epoch 1, which
    # Partition.handleAlterPartitionUpdate ignores (B1 is in epoch 0); makeLeader applies
    # it from the metadata, and keeps the acks=all request in the purgatory (the leader
    # stays: resetReplicaState with isNewLeader=false).  On 3.6 the answer updates B1 at
    # once, in epoch 0.
    old = make_model("controller", SHRINK, kafka_version="3.4", **SHRINK_BOUNDS)
    shrunk = walk(old, ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"))
    reg = shrunk.controllers[0].image.parts[0]
    assert (reg.leader, reg.epoch, reg.partition_epoch, reg.isr) == (0, 1, 1, 0b101)
    view = shrunk.brokers[0].views[0]
    assert (view.epoch, view.partition_epoch, view.isr) == (0, 0, 0b111)
    # The AlterPartition B1 would repeat from epoch 0 is refused (FENCED_LEADER_EPOCH).
    assert not any(a[0] in ("AlterPartition", "ShrinkSlowFollower")
                   for a in labels(old, shrunk))
    caught_up = step(old, shrunk, "FetchMetadata", "B1")
    view = caught_up.brokers[0].views[0]
    assert (view.epoch, view.isr) == (1, 0b101)
    assert caught_up.leads[0][0].pending == ((1, 0),)
    assert caught_up.parts[0].synced[0] == 1
    # B3 truncates in the new epoch before it fetches, and then r1 is acknowledged.
    done = walk(old, ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"),
                ("FetchMetadata", "B1"), ("FetchMetadata", "B3"),
                ("BecomeFollower", "B3"), ("Fetch", "B3", "from B1"),
                ("Fetch", "B3", "from B1"), ("Ack", "r1", "by B1"))
    assert done.parts[0].acked == 1 << 1

    new = make_model("controller", SHRINK, kafka_version="3.6", **SHRINK_BOUNDS)
    shrunk = walk(new, ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"))
    view = shrunk.brokers[0].views[0]
    assert (view.epoch, view.partition_epoch, view.isr) == (0, 1, 0b101)


def test_before_3_6_an_answer_in_a_new_leader_epoch_leaves_the_request_pending():
    # isr_updates=in-flight: the accepted shrink's answer is ignored on 3.4, so B1 keeps
    # awaiting it (Partition.isInflight) until the metadata's makeLeader.
    model = make_model("controller", SHRINK, kafka_version="3.4", isr_updates="in-flight",
                       **SHRINK_BOUNDS)
    sent = walk(model, ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"))
    answered = step(model, sent, "AlterPartitionAccepted", "B1", "isr {B1, B3}")
    assert answered.ops.proposed[0][0] == 0b101
    assert answered.brokers[0].views[0].epoch == 0
    caught_up = step(model, answered, "FetchMetadata", "B1")
    assert caught_up.ops.proposed[0][0] == -1
    assert caught_up.brokers[0].views[0].epoch == 1
    # 3.6: the answer is taken at once.
    model = make_model("controller", SHRINK, kafka_version="3.6", isr_updates="in-flight",
                       **SHRINK_BOUNDS)
    sent = walk(model, ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"))
    answered = step(model, sent, "AlterPartitionAccepted", "B1", "isr {B1, B3}")
    assert answered.ops.proposed[0][0] == -1
    assert answered.brokers[0].views[0].isr == 0b101


def test_a_leader_an_epoch_behind_after_a_shrink_is_not_a_deposed_leader():
    # acks=1 on 3.4: B1 acknowledges r2 before it applies the shrink's new leader epoch.
    # It still leads: DeposedLeaderAcksSurvive's ghost does not count r2 (it did, as any
    # leader acting in an older epoch than the committed one).
    model = make_model("controller", {"acks": "1"}, kafka_version="3.4",
                       **{**SHRINK_BOUNDS, "records": 2})
    state = walk(model, ("Produce", "r1", "to B1"), ("ShrinkSlowFollower", "B1", "shrink B2"),
                 ("Produce", "r2", "to B1"))
    assert state.brokers[0].views[0].epoch == 0 and state.parts[0].epoch == 1
    assert state.parts[0].acked == 0b110
    assert state.acked_by_deposed_leader == (0,)


# -- KIP-996: pre-vote from 4.0 ----------------------------------------------------------------

QUORUM = {"process.roles": "broker"}
QUORUM_BOUNDS = {"brokers": 1, "controllers": 3, "records": 0, "isolations": 1}


def test_before_4_0_an_isolated_voter_rejoins_in_a_higher_epoch_and_deposes_the_leader():
    # Kafka 3.9: cut off, C3 retries elections in new epochs (CandidateState); after the
    # heal its Vote request moves C1 and C2 to its epoch (handleVoteRequest:
    # transitionToUnattached): it wins (nothing was committed meanwhile), or the active
    # controller steps down.
    model = make_model("controller", QUORUM, kafka_version="3.9", **QUORUM_BOUNDS)
    cut = walk(model, ("Isolate", "C3"))
    assert ("StartElection", "C3", "epoch 2") in labels(model, cut)
    candidate = step(model, cut, "StartElection", "C3")
    assert [(c.epoch, c.leader) for c in candidate.controllers] == [(1, 0), (1, 0), (2, -1)]
    assert labels(model, candidate) >= {("Heal",)}
    assert not any(a[0] in ("StartElection", "Elect") for a in labels(model, candidate))
    healed = step(model, candidate, "Heal")
    assert {("Elect", "C3", "epoch 3"), ("StepDown", "C1", "epoch 2 at C3")} <= labels(
        model, healed)
    elected = step(model, healed, "Elect", "C3")
    assert [(c.epoch, c.leader) for c in elected.controllers] == [(3, 2)] * 3


def test_from_4_0_pre_vote_keeps_an_isolated_voter_from_disrupting_the_quorum():
    model = make_model("controller", QUORUM, kafka_version="4.0", **QUORUM_BOUNDS)
    cut = walk(model, ("Isolate", "C3"))
    assert not any(a[0] in ("StartElection", "Elect") for a in labels(model, cut))
    healed = step(model, cut, "Heal")
    assert not any(a[0] in ("StartElection", "Elect", "StepDown")
                   for a in labels(model, healed))
    assert ("QuorumSync", "C3", "from C1") not in labels(model, healed)  # it never left C1


def test_before_4_0_a_restarted_voter_resumes_following_and_does_not_disrupt():
    # A restarted voter at the leader's epoch follows it again (QuorumState.initialize
    # starts a follower of the leader it knew): no election, no higher epoch.
    model = make_model("controller", QUORUM, kafka_version="3.9", brokers=1, controllers=3,
                       records=0, isolations=0, crashes=1, restarts=1)
    state = walk(model, ("Crash", "C3"), ("Restart", "C3"))
    assert not any(a[0] in ("StartElection", "Elect", "StepDown")
                   for a in labels(model, state))


def test_the_disruption_only_exists_before_4_0():
    # Every state reachable when only C3 (not the active C1) was ever cut off: on 3.9 the
    # quorum reaches controller epochs above 1 (a failover with nothing wrong at C1), on
    # 4.0 never.
    def failovers(version):
        model = make_model("controller", QUORUM, kafka_version=version, **QUORUM_BOUNDS)
        init = model.init_states()[0]
        seen, todo, epochs = {init}, [init], set()
        while todo:
            state = todo.pop()
            epochs.add(max(c.epoch for c in state.controllers))
            for action, nxt in model.successors(state):
                if action[0] == "Isolate" and action[1] != "C3":
                    continue
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return sorted(epochs)

    assert failovers("3.9") == [1, 2, 3]
    assert failovers("4.0") == [1]


def test_two_lone_candidates_do_not_outbid_each_other_forever():
    # C1 crashes and the network cuts C2 from C3: each is alone and cannot win.  They
    # raise their epochs above a controller with a leader only, so the search ends (one
    # more than any other controller's epoch, they would leapfrog without end).
    model = make_model("controller", QUORUM, kafka_version="3.9", brokers=1, controllers=3,
                       records=0, crashes=1, isolations=1)
    result = breadth_first(model, max_states=20_000)
    assert result.complete and result.distinct_states == 484


# -- the power-loss warning and the controller's crash fault --------------------------------

def test_the_power_loss_warning_counts_the_controller_models_node_crash():
    crashed = check({"acks": "all"}, model="controller", properties="NoAckedWriteLost",
                    bounds={"brokers": 1, "controllers": 1, "records": 1, "crashes": 1,
                            "isolations": 0})
    assert ("node process crash", 1) in crashed.fault_model.explored
    warning = power_loss_warning(crashed)
    assert "this verdict covers process crashes only (the page cache survives)" in warning
    quiet = check({"acks": "all"}, model="controller", properties="NoAckedWriteLost",
                  bounds={"brokers": 1, "controllers": 1, "records": 1, "crashes": 0,
                          "isolations": 0})
    assert "this verdict covers no broker crash at all" in power_loss_warning(quiet)


# -- notes -------------------------------------------------------------------------------

ABOVE = {"acks": "all", "min.insync.replicas": "3"}


@pytest.mark.parametrize("version, text", [
    ("3.6", "min.insync.replicas=3 exceeds the 2 replicas: Kafka 3.6 (before 3.7) rejects "
            "every acks=all write with NOT_ENOUGH_REPLICAS"),
    ("3.7", "min.insync.replicas=3 exceeds the 2 replicas: Kafka 3.7 applies 2 (effective "
            "min ISR, KAFKA-15583)"),
])
def test_min_isr_above_the_replicas_is_one_note_for_both_models(version, text):
    controller = make_model("controller", ABOVE, kafka_version=version, brokers=2,
                            controllers=1)
    replication = make_model("replication", {**ABOVE, "replication.factor": "2"},
                             kafka_version=version)
    assert text in controller.notes()
    assert text in replication.notes()
    assert pt.min_isr_note(controller.rules, version) == text
    assert not any(n.startswith("min.insync.replicas")
                   for n in make_model("controller", {"acks": "all"}).notes())


def test_the_controller_model_says_it_checks_kraft_when_unclean_election_is_ignored():
    unclean = {"unclean.leader.election.enable": "true"}
    [note] = [n for n in make_model("controller", unclean, kafka_version="3.8").notes()
              if n.startswith("unclean.leader.election.enable")]
    assert "this model checks a KRaft cluster" in note and "KAFKA-12670" in note
    assert "ZooKeeper-mode cluster of Kafka 3.8 elects an out-of-sync replica" in note
    assert not [n for n in make_model("controller", unclean, kafka_version="3.9").notes()
                if n.startswith("unclean.leader.election.enable")]
