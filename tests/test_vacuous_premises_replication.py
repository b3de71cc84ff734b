"""A property that cannot fail under the bounds is *not checked* (exit 3), never HOLDS
(README "Exit codes"), in the replication and controller models (and the replication
properties the producer embeds); where its premise occurs it is still checked, and a mutant
or a real Kafka rule that breaks it is caught there.

* ReplicasAgreeBelowHw needs two replicas (replication.factor=1, Kafka's default, or one
  broker in the controller model, has one).
* FencedNeverJoinsIsr needs a fenced or shut-down broker: a crash, a disk loss or a rolling
  restart (replication), a crash, a disk loss or an isolation (controller).
* OneActiveControllerPerEpoch needs a second voter and a fault that ends the first active
  controller's term; MetadataCommittedByMajority a second voter.
* FencedBrokerNeverLeads needs a fenced broker; OneLeaderPerLeaderEpoch a leader change.
* DeposedLeaderAcksSurvive needs a deposed leader's acknowledgement (witness
  SomeDeposedLeaderAck: never reached without an isolation or a leader change, or with two
  voters, which elect no successor).
"""

from __future__ import annotations

import pytest
from mutants import make_mutant
from verdicts import cli, steps, verdicts

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

RF2 = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
C_SAFE = {"acks": "all", "min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
NO_FAULT = ("no crash, isolation or disk loss: no broker is ever fenced, so this property "
            "cannot fail; set --bound isolations=1 to check it")


# -- ReplicasAgreeBelowHw: two replicas -----------------------------------------------------


def test_one_replica_leaves_replicas_agree_below_hw_not_checked(capsys):
    # replication.factor=1 is the default: the default run said holds for it.
    code, out = cli(capsys, "check", "replication", "--property", "ReplicasAgreeBelowHw")
    assert code == 3 and "HOLDS" not in out
    assert "[ not checked ] ReplicasAgreeBelowHw" in out
    assert ("not checked: ReplicasAgreeBelowHw: replication.factor=1: each partition has one "
            "replica, with no other to disagree with, so this property cannot fail; set "
            "replication.factor=3 to check it") in out


def test_replicas_agree_below_hw_catches_skipped_truncation_only_with_two_replicas():
    one = breadth_first(make_mutant("replication", "skip-truncation"), ["ReplicasAgreeBelowHw"])
    assert one.result == "incomplete"  # was HOLDS: the mutant survived with one replica
    assert verdicts(one) == {"ReplicasAgreeBelowHw": "not checked"}
    three = breadth_first(make_mutant("replication", "skip-truncation",
                                      {"replication.factor": "3"}), ["ReplicasAgreeBelowHw"])
    assert three.result == "violated" and steps(three, "ReplicasAgreeBelowHw") == 8


def test_the_producer_embeds_the_same_verdict(capsys):
    code, out = cli(capsys, "check", "producer", "--property", "ReplicasAgreeBelowHw")
    assert code == 3 and "[ not checked ] ReplicasAgreeBelowHw" in out


def test_one_broker_in_the_controller_model_names_the_brokers_bound(capsys):
    code, out = cli(capsys, "check", "controller", "--set", "process.roles=broker",
                    "--bound", "brokers=1", "--bound", "controllers=1", "--bound", "records=2",
                    "--bound", "isolations=0", "--bound", "leader_changes=2",
                    "--property", "ReplicasAgreeBelowHw")
    assert code == 3
    assert ("not checked: ReplicasAgreeBelowHw: brokers=1: each partition has one replica, "
            "with no other to disagree with, so this property cannot fail; set --bound "
            "brokers=3 to check it") in out


# -- FencedNeverJoinsIsr: a fenced broker ---------------------------------------------------


def test_fenced_never_joins_isr_needs_a_broker_fenced_on_kafka_3_2():
    # Kafka 3.2 lacks KIP-841's check: with a disk loss or a crash it fails; without any
    # fault no broker is fenced and it could not.
    none = breadth_first(make_model("replication", RF2, kafka_version="3.2", crashes=0,
                                    isr_updates="in-flight"), ["FencedNeverJoinsIsr"])
    assert none.result == "incomplete"
    assert verdicts(none) == {"FencedNeverJoinsIsr": "not checked"}
    for bounds in ({"crashes": 0, "disk_losses": 1}, {"crashes": 1}):
        fenced = breadth_first(make_model("replication", RF2, kafka_version="3.2",
                                          isr_updates="in-flight", **bounds),
                               ["FencedNeverJoinsIsr"])
        assert fenced.result == "violated" and steps(fenced, "FencedNeverJoinsIsr") == 9


def test_fenced_never_joins_isr_without_a_fault_is_not_checked(capsys):
    code, out = cli(capsys, "check", "replication", "--set", "replication.factor=3",
                    "--bound", "crashes=0", "--bound", "isr_updates=in-flight",
                    "--property", "FencedNeverJoinsIsr")
    assert code == 3 and "HOLDS" not in out
    assert ("not checked: FencedNeverJoinsIsr: no crash, disk loss or rolling restart: no "
            "broker is ever fenced or shut down, so this property cannot fail; set --bound "
            "crashes=1 to check it") in out


def test_the_controllers_fenced_joiner_mutant_needs_a_fault():
    quiet = breadth_first(make_mutant("controller", "fenced-joins-isr", isolations=0,
                                      leader_changes=1, isr_updates="in-flight"),
                          ["FencedNeverJoinsIsr"])
    assert verdicts(quiet) == {"FencedNeverJoinsIsr": "not checked"}
    assert quiet.unchecked()["FencedNeverJoinsIsr"] == (
        "no crash, isolation or disk loss: no broker is ever fenced or shut down, so this "
        "property cannot fail; set --bound isolations=1 to check it")
    cut = breadth_first(make_mutant("controller", "fenced-joins-isr", isr_updates="in-flight"),
                        ["FencedNeverJoinsIsr"])
    assert cut.result == "violated" and steps(cut, "FencedNeverJoinsIsr") == 6


# -- the controller's own properties --------------------------------------------------------


def test_one_voter_leaves_the_quorum_properties_not_checked(capsys):
    code, out = cli(capsys, "check", "controller", "--bound", "controllers=1",
                    "--property", "OneActiveControllerPerEpoch",
                    "--property", "MetadataCommittedByMajority")
    assert code == 3 and "HOLDS" not in out
    assert ("not checked: OneActiveControllerPerEpoch: controllers=1: one voter is never "
            "active twice in an epoch, so this property cannot fail; set --bound "
            "controllers=3 to check it") in out
    assert ("not checked: MetadataCommittedByMajority: controllers=1: the only voter is a "
            "majority by itself and holds every metadata record a broker has, so this "
            "property cannot fail; set --bound controllers=3 to check it") in out


def test_the_quorum_mutants_are_caught_only_with_a_second_voter():
    election = breadth_first(make_mutant("controller", "election-without-majority",
                                         controllers=1), ["OneActiveControllerPerEpoch"])
    assert verdicts(election) == {"OneActiveControllerPerEpoch": "not checked"}
    commit = breadth_first(make_mutant("controller", "commit-without-majority",
                                       controllers=1), ["MetadataCommittedByMajority"])
    assert verdicts(commit) == {"MetadataCommittedByMajority": "not checked"}
    # Two voters and a crash: a candidate that wins on its own vote is still caught.
    two = breadth_first(make_mutant("controller", "election-without-majority", controllers=2,
                                    records=0), ["OneActiveControllerPerEpoch"])
    assert two.result == "violated" and steps(two, "OneActiveControllerPerEpoch") == 4
    three = breadth_first(make_mutant("controller", "commit-without-majority"),
                          ["MetadataCommittedByMajority"])
    assert three.result == "violated" and steps(three, "MetadataCommittedByMajority") == 2


def test_a_fault_free_controller_run_checks_no_election_fencing_or_leader_change(capsys):
    code, out = cli(capsys, "check", "controller", "--bound", "isolations=0")
    assert code == 3 and "HOLDS" not in out
    assert ("not checked: OneActiveControllerPerEpoch: no crash, isolation or disk loss: the "
            "first active controller is never replaced and no other is ever elected, so this "
            "property cannot fail; set --bound isolations=1 to check it") in out
    assert f"not checked: FencedBrokerNeverLeads: {NO_FAULT}" in out
    assert ("not checked: OneLeaderPerLeaderEpoch: no crash, isolation, disk loss or leader "
            "change: every partition keeps its first leader, so no leader epoch is ever given "
            "to a second broker and this property cannot fail; set --bound leader_changes=1 "
            "to check it") in out
    assert ("not checked: DeposedLeaderAcksSurvive: vacuous in this run: SomeDeposedLeaderAck "
            "is never reached, so it could not fail") in out
    assert "[never reached] SomeDeposedLeaderAck" in out
    # A controller's own rules still run without a fault: these stay checked.
    for name in ("EpochsOnlyGrow", "MetadataCommittedByMajority", "BrokerMetadataNeverGoesBack",
                 "NoAckedWriteLost", "LeaderInIsr"):
        assert f"[    holds    ] {name}" in out


def test_the_election_mutant_needs_a_fault_that_ends_a_term():
    quiet = breadth_first(make_mutant("controller", "election-without-majority", isolations=0),
                          ["OneActiveControllerPerEpoch"])
    assert verdicts(quiet) == {"OneActiveControllerPerEpoch": "not checked"}
    cut = breadth_first(make_mutant("controller", "election-without-majority"),
                        ["OneActiveControllerPerEpoch"])
    assert cut.result == "violated" and steps(cut, "OneActiveControllerPerEpoch") == 4


def test_fenced_broker_never_leads_needs_a_fenced_broker():
    quiet = breadth_first(make_mutant("controller", "elect-fenced", C_SAFE, records=1,
                                      crashes=0, isolations=0, leader_changes=1,
                                      slow_followers=1), ["FencedBrokerNeverLeads"])
    assert verdicts(quiet) == {"FencedBrokerNeverLeads": "not checked"}
    crash = breadth_first(make_mutant("controller", "elect-fenced", C_SAFE, records=1,
                                      crashes=1, isolations=1, slow_followers=1),
                          ["FencedBrokerNeverLeads"])
    assert crash.result == "violated" and steps(crash, "FencedBrokerNeverLeads") == 8


def test_one_leader_per_leader_epoch_needs_a_leader_change():
    shrink = breadth_first(make_mutant("controller", "no-leader-epoch-bump", isolations=0,
                                       slow_followers=1), ["OneLeaderPerLeaderEpoch"])
    assert verdicts(shrink) == {"OneLeaderPerLeaderEpoch": "not checked"}
    moved = breadth_first(make_mutant("controller", "no-leader-epoch-bump", isolations=0,
                                      leader_changes=1), ["OneLeaderPerLeaderEpoch"])
    assert moved.result == "violated" and steps(moved, "OneLeaderPerLeaderEpoch") == 1


# -- DeposedLeaderAcksSurvive: a deposed leader's acknowledgement ---------------------------


ACKS1 = {"acks": "1"}


def test_deposed_leader_acks_survive_rests_on_a_deposed_leaders_ack():
    # acks=1 loses the deposed leader's record (controller-zombie-acks1) wherever one
    # acknowledges: after an isolation, or a preferred-leader election it has not seen.
    for bounds, length in (({"isolations": 1}, 4), ({"isolations": 0, "leader_changes": 1}, 2)):
        lost = breadth_first(make_model("controller", ACKS1, records=1, **bounds),
                             ["DeposedLeaderAcksSurvive"])
        assert verdicts(lost) == {"DeposedLeaderAcksSurvive": "violated",
                                  "SomeDeposedLeaderAck": "holds"}
        assert steps(lost, "DeposedLeaderAcksSurvive") == length
    # A crashed leader acknowledges nothing; two voters elect no successor after an
    # isolation: no leader is deposed while it can still answer.
    for bounds in ({"crashes": 1, "isolations": 0}, {"controllers": 2}):
        never = breadth_first(make_model("controller", ACKS1, records=1, **bounds),
                              ["DeposedLeaderAcksSurvive"])
        assert never.result == "never reached"  # was HOLDS
        assert verdicts(never) == {"DeposedLeaderAcksSurvive": "not checked",
                                   "SomeDeposedLeaderAck": "never reached"}


@pytest.mark.thorough  # about 20 s: the preset's whole state space
def test_the_acks_all_zombie_preset_still_checks_deposed_acks(capsys):
    # With acks=all and min.insync.replicas=2 a deposed leader's acknowledgement is still
    # reached (the witness holds), so the property is checked and holds.
    code, out = cli(capsys, "check", "controller-zombie-safe")
    assert code == 0 and "not checked" not in out
    assert "[    holds    ] DeposedLeaderAcksSurvive" in out
    assert "[    holds    ] SomeDeposedLeaderAck" in out


@pytest.mark.thorough  # about 20 s: the preset's whole state space
def test_the_disk_loss_preset_selects_what_it_can_check(capsys):
    # No isolation or leader change: nobody is deposed while running, so the preset leaves
    # DeposedLeaderAcksSurvive out and HOLDS.
    code, out = cli(capsys, "check", "controller-disk-loss-failover")
    assert code == 0 and "DeposedLeaderAcksSurvive" not in out and "not checked" not in out
    assert "[    holds    ] OneActiveControllerPerEpoch" in out
    assert "[    holds    ] FencedNeverJoinsIsr" in out
