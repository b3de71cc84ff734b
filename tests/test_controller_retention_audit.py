"""Audit 18: the KRaft controller model, ELR, disk loss, retention and replication settings.

Each test names a guarantee a wrong green had hidden: a setting Kafka ignores in a release
that the model still obeyed, or an assumption a verdict rested on without saying so.
"""

from __future__ import annotations

from mutants import make_mutant

from kafkacheck import cli
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster.replication import ALTER_PARTITION_RACE
from kafkacheck.testing import make_model

# A follower falls out of the ISR, the leader commits r1 alone (min ISR 1) and crashes:
# only an unclean election can hand the partition to the replica that lacks r1.
UNCLEAN = {"acks": "1", "min.insync.replicas": "1", "unclean.leader.election.enable": "true",
           "process.roles": "broker"}
UNCLEAN_BOUNDS = {"brokers": 2, "records": 1, "controllers": 1, "crashes": 1,
                  "isolations": 0, "slow_followers": 1}


def test_before_3_9_the_kraft_controller_never_elects_an_out_of_sync_replica_kafka_12670():
    # ConfigurationControlManager.uncleanLeaderElectionEnabledForTopic answered false in
    # every KRaft release before 3.9 (KAFKA-12670 made the controller read the setting):
    # the unclean election, and the loss it causes, only exist from 3.9.
    for version, lost in (("3.8", False), ("3.9", True)):
        model = make_model("controller", UNCLEAN, kafka_version=version, **UNCLEAN_BOUNDS)
        result = breadth_first(model, ["CommittedRecordsStay"])
        violation = result.violation("CommittedRecordsStay")
        assert (violation is not None) is lost, version
        if lost:
            # Produce, the shrink, the crash, and the fencing that elects B2 uncleanly.
            assert len(violation.trace) == 4
        else:
            assert result.complete and result.distinct_states == 113
        assert model.effective_settings()["unclean.leader.election.enable"] is lost


def test_the_ignored_unclean_setting_is_shown_in_effect_as_false(capsys):
    code = cli.main(["check", "controller", "--kafka-version", "3.8", "--no-diagram",
                     *[a for k, v in UNCLEAN.items() for a in ("--set", f"{k}={v}")],
                     *[a for k, v in UNCLEAN_BOUNDS.items() for a in ("--bound", f"{k}={v}")],
                     "--property", "CommittedRecordsStay"])
    out = capsys.readouterr().out
    assert code == 0
    assert "in effect: unclean.leader.election.enable=false (given: true)" in out
    assert "KAFKA-12670" in out


ELR = "eligible.leader.replicas.version"
LAST_ISR_MEMBER = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}


def elr_notes(model):
    return [n for n in model.notes() if n.startswith(ELR)]


def test_a_verdict_resting_on_defaulted_elr_says_it_assumes_a_cluster_formatted_by_4_1():
    # Kafka 4.4 turns ELR on only in clusters formatted by 4.1 or later: the power loss of
    # the last ISR member holds there and loses a write in a cluster upgraded from 4.0.
    assumed = make_model("replication", LAST_ISR_MEMBER, crash_kind="power-loss")
    result = breadth_first(assumed)
    assert result.result == "holds" and result.distinct_states == 1_731
    [note] = elr_notes(assumed)
    assert "formatted by 4.1 or later" in note and f"--set {ELR}=0" in note
    upgraded = make_model("replication", {**LAST_ISR_MEMBER, ELR: "0"},
                          crash_kind="power-loss")
    trace = breadth_first(upgraded, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert len(trace) == 10 and not elr_notes(upgraded)
    # Set explicitly, ELR is no assumption; the controller model words it the same way.
    [explicit] = elr_notes(make_model("replication", {**LAST_ISR_MEMBER, ELR: "1"}))
    assert "assumed" not in explicit
    assert elr_notes(make_model("controller", {})) == [note]


def test_fenced_never_joins_isr_fails_in_the_controller_model_when_kip_841_is_reverted():
    # The controller model starts at 3.3, where KIP-841 already refuses fenced joiners: the
    # property needs a mutant to show it can fail.  B1 asks to add B2, B2's node loses its
    # disk and is fenced, and the request is handled after the fencing.
    bounds = {"brokers": 2, "controllers": 1, "slow_followers": 1, "crashes": 0,
              "isolations": 0, "restarts": 0, "disk_losses": 1, "isr_updates": "in-flight",
              "records": 1}
    settings = {"acks": "all", "min.insync.replicas": "2"}
    mutant = make_mutant("controller", "fenced-joins-isr", settings, **bounds)
    trace = breadth_first(mutant, ["FencedNeverJoinsIsr"]).violation(
        "FencedNeverJoinsIsr").trace
    assert [a[0] for a in trace.actions][-4:] == [
        "AlterPartition", "DiskLoss", "Fence", "AlterPartitionAccepted"]
    result = breadth_first(make_model("controller", settings, **bounds),
                           ["FencedNeverJoinsIsr"])
    assert result.result == "holds" and result.distinct_states == 258


# KIP-903's race at its smallest: B2 catches up, B1 asks to add it, B2 loses its disk and
# restarts before the controller handles the request (Kafka before 3.5 accepts it).
RACE = {"acks": "all", "min.insync.replicas": "2"}
RACE_BOUNDS = {"brokers": 2, "controllers": 1, "slow_followers": 1, "crashes": 0,
               "isolations": 0, "restarts": 1, "disk_losses": 1, "records": 1}


def test_a_disk_loss_check_with_atomic_isr_updates_names_the_alter_partition_race_unexplored():
    # With isr_updates=atomic the controller decides each AlterPartition in the step it is
    # sent: the request decided after its new member restarted empty never exists, so
    # IsrJoinersHoldCommitted holds on Kafka 3.4, which has the race (in-flight finds it).
    atomic = make_model("controller", RACE, kafka_version="3.4", **RACE_BOUNDS)
    result = breadth_first(atomic, ["IsrJoinersHoldCommitted"])
    # 2,159 states before Kafka 3.4's leader epoch bump on a shrink (KAFKA-15021) was modelled.
    assert result.result == "holds" and result.distinct_states == 3_314
    assert ALTER_PARTITION_RACE in atomic.fault_model().not_explored
    in_flight = make_model("controller", RACE, kafka_version="3.4", isr_updates="in-flight",
                           **RACE_BOUNDS)
    assert breadth_first(in_flight, ["IsrJoinersHoldCommitted"]).violation(
        "IsrJoinersHoldCommitted") is not None
    assert ALTER_PARTITION_RACE not in in_flight.fault_model().not_explored
    # The replication model abstracts the controller the same way and says so too.
    repl = make_model("replication", {**RACE, "replication.factor": "2"}, kafka_version="3.4",
                      crashes=0, disk_losses=1, records=2)
    assert breadth_first(repl, ["IsrJoinersHoldCommitted"]).result == "holds"
    assert ALTER_PARTITION_RACE in repl.fault_model().not_explored
    # Without a disk loss neither property of the race is checked: the fault line is as it was.
    assert ALTER_PARTITION_RACE not in make_model("controller", RACE).fault_model().not_explored
