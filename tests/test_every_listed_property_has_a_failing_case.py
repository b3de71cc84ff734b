"""Every (model, property) that ``kafkacheck list --json`` names has a failing case: a
registered mutant that claims to break it (tests/mutants, run by bench/mutation_score.py on
its witness configuration) or a named test that shows it violated, never reached or failing
as liveness (on real Kafka behaviour or an inline mutant).

A property no run can break is a wrong green waiting to happen (README "Exit codes").  The
table below is checked against the listing, so a new property without a failing case fails
here; nothing is searched or explored, only names are compared (audit s21, finding 4).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from mutants import MUTANTS, load

from kafkacheck.cli import main
from kafkacheck.testing import make_model

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# The transactions model in loop mode (a consume-transform-produce loop): its LsoAdvances
# and TransactionsComplete are other predicates than the app mode's of the same name.
LOOP = "transactions loop"
LOOP_CONFIG = ({"transactional.id": "app", "isolation.level": "read_committed",
                "transaction.version": "1", "enable.auto.commit": "false"},
               {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1})

RF = "tests/test_replication_failure_modes.py::"
KS = "tests/test_kafka_spec_matches_tla.py::"
CG = "tests/test_controller_guarantees.py::"
ECF = "tests/test_every_property_can_fail.py::"
PG = "tests/test_producer_guarantees.py::"
VP = "tests/test_vacuous_premises.py::"
GEF = "tests/test_group_every_property_fails.py::test_the_property_fails"
GCD = "tests/test_group_consumer_delivery.py::"
GA = "tests/test_groups_audit.py::test_a_kip848_member_past_max_poll_interval_is_a_zombie"
TXR = "tests/test_txn_every_property_fails.py::test_property_fails_on_real_kafka_behaviour"
TXM = "tests/test_txn_every_property_fails.py::test_property_fails_on_a_mutant"
SER = "tests/test_streams_every_property_fails.py::test_property_fails_on_real_kafka_behaviour"
PARTITION_MUTANTS = PG + "test_the_replication_properties_on_the_producer_catch_partition_mutants"

# (model, property) -> "mutant NAME" (registered for that model, claiming the property) or
# "tests/FILE.py::TEST" (a test function that shows the property failing).
FAILING: dict[tuple[str, str], str] = {
    ("replication", "NoAckedWriteLost"): "mutant hw-ignores-isr",
    ("replication", "CommittedRecordsStay"): "mutant loose-hw",
    ("replication", "ReplicasAgreeBelowHw"): "mutant skip-truncation",
    ("replication", "LeaderInIsr"): "mutant elect-outside-isr",
    ("replication", "HwWithinLeo"): "mutant hw-kept-on-truncation",
    ("replication", "SomeRecordCommitted"): "mutant never-commit",
    ("replication", "LeaderFailsOver"): "mutant no-election",
    ("replication", "ProduceRequestsComplete"): "mutant never-commit",
    ("replication", "IsrJoinersHoldCommitted"):
        RF + "test_a_stale_alter_partition_adds_a_replica_with_an_empty_disk_until_kip_903_in_3_5",
    ("replication", "FencedNeverJoinsIsr"):
        RF + "test_a_fenced_broker_joins_the_isr_until_kip_841_in_3_3",
    ("replication", "WritesAccepted"):
        RF + "test_which_settings_keep_producing_and_keep_data_through_a_rolling_restart",
    ("kafka-spec", "TypeOk"): "mutant epoch-past-max",
    ("kafka-spec", "LeaderInIsr"): KS + "test_leader_in_isr_is_false_in_the_initial_state_like_tlc",
    ("kafka-spec", "WeakIsr"): KS + "test_truncate_to_high_watermark_loses_committed_data_like_tlc",
    ("kafka-spec", "StrongIsr"):
        KS + "test_truncate_to_high_watermark_loses_committed_data_like_tlc",
    ("kafka-spec", "LeaderInIsrWhenLeader"): "mutant leader-outside-isr",
    ("kip848-spec", "TypeOK"): "mutant fence-while-unsubscribed",
    ("kip848-spec", "LegalTargetAssignment"): "mutant assignor-skips-unsubscribed-topics",
    ("kip848-spec", "NoDoubleClientAssignment"): "mutant assign-before-revoked",
    ("kip848-spec", "ValidPartitionEpoch"): "mutant revoked-partitions-epoch-cleared",
    ("kip848-spec", "ValidStableGroupState"): "mutant stable-ignores-target-epoch",
    ("kip848-spec", "ValidMemberEpoch"): "mutant epoch-bump-while-revoking",
    ("kip848-spec", "ClientSideMemberEpochIsMonotonic"):
        "mutant reconciliation-restores-start-epoch",
    ("kip848-spec", "GcSideMemberEpochIsMonotonic"): "mutant resubscribe-restarts-member-epoch",
    ("controller", "OneActiveControllerPerEpoch"): "mutant election-without-majority",
    ("controller", "EpochsOnlyGrow"): "mutant stale-controller-epoch",
    ("controller", "MetadataCommittedByMajority"): "mutant commit-without-majority",
    ("controller", "BrokerMetadataNeverGoesBack"): "mutant broker-accepts-stale-controller",
    ("controller", "OneLeaderPerLeaderEpoch"): "mutant no-leader-epoch-bump",
    ("controller", "DeposedLeaderAcksSurvive"): CG + "test_each_property_has_a_counterexample",
    ("controller", "SomeDeposedLeaderAck"): "tests/test_vacuous_premises_replication.py::"
        "test_deposed_leader_acks_survive_rests_on_a_deposed_leaders_ack",
    ("controller", "FencedBrokerNeverLeads"): "mutant elect-fenced",
    ("controller", "NoAckedWriteLost"): CG + "test_each_property_has_a_counterexample",
    ("controller", "CommittedRecordsStay"): CG + "test_each_property_has_a_counterexample",
    ("controller", "ReplicasAgreeBelowHw"): "mutant fetch-ignores-epoch",
    ("controller", "LeaderInIsr"): "mutant stale-alter-partition",
    ("controller", "HwWithinLeo"): "mutant truncate-keeps-hw",
    ("controller", "SomeRecordCommitted"):
        ECF + "test_controller_commits_nothing_when_min_insync_replicas_exceeds_the_replicas",
    ("controller", "ControllerFailsOver"): CG + "test_two_voters_tolerate_no_controller_failure",
    ("controller", "ZombieControllerMeetsSuccessor"):
        CG + "test_a_crashed_controller_is_never_a_zombie_and_a_crashed_leader_never_acts",
    ("controller", "ZombieLeaderMeetsSuccessor"):
        CG + "test_a_crashed_controller_is_never_a_zombie_and_a_crashed_leader_never_acts",
    ("controller", "LeaderFailsOver"): "mutant no-election",
    ("controller", "IsrJoinersHoldCommitted"): "tests/test_controller_failure_modes.py::"
        "test_the_kip_903_race_with_an_explicit_controller_until_broker_epochs_in_3_5",
    ("controller", "FencedNeverJoinsIsr"): "mutant fenced-joins-isr",
    ("producer", "NoDuplicates"): "mutant no-producer-state",
    ("producer", "NoAckedRecordLost"): "mutant oos-as-success",
    ("producer", "PartitionOrder"): "mutant skip-sequence-check",
    ("producer", "DefiniteFailureAbsent"): "mutant rejects-after-append",
    ("producer", "SomeRecordAcked"): "mutant never-ack",
    ("producer", "SomePartitionHoldsTwoBatches"):
        VP + "test_partition_order_is_not_checked_when_each_key_has_a_partition_of_its_own",
    ("producer", "SomeSendFailedDefinitely"):
        VP + "test_definite_failure_absent_is_not_checked_when_no_send_fails_definitely",
    ("producer", "SomeBatchRetried"): "mutant never-retry",
    ("producer", "CommittedRecordsStay"):
        ECF + "test_a_committed_record_is_lost_to_an_unclean_election_under_the_producer",
    ("producer", "ReplicasAgreeBelowHw"): PARTITION_MUTANTS,
    ("producer", "LeaderInIsr"): PARTITION_MUTANTS,
    ("producer", "HwWithinLeo"): PARTITION_MUTANTS,
    ("producer", "KeyOrder"): "mutant skip-sequence-check",
    ("producer", "TimedOutSendWritten"): "mutant timeout-only-unread",
    ("producer", "RetryAfterFailover"): "mutant never-retry",
    ("producer", "LeaderFailsOver"): PARTITION_MUTANTS,
    # The group's own table (one failing case per property, checked against its model).
    **{("group", name): GEF for name in (
        "OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "NoConcurrentProcessing",
        "ConsumingNeverDeletes", "CommitsFromCurrentGeneration", "AtLeastOnce", "AtMostOnce",
        "NoSkippedOffsets", "ConsumersReadBelowHw", "BalancedAssignment", "ExtraConsumersIdle",
        "SomeRecordProcessed", "AllRecordsProcessed", "ReadRecordsStay", "NoAckedWriteLost",
        "CommittedRecordsStay")},
    ("group-consumer", "SingleOwnerAtCoordinator"): "mutant assign-unreleased",
    ("group-consumer", "NoTwoOwnersAtOnce"): "mutant assign-unreleased",
    ("group-consumer", "MemberEpochsNeverGoBack"): "mutant adopt-previous-epoch",
    ("group-consumer", "TargetAssignmentLegal"): "mutant assignor-duplicates",
    ("group-consumer", "StaleCommitsRejected"): "mutant accept-stale-commits",
    ("group-consumer", "SomeMemberStable"):
        ECF + "test_a_member_never_becomes_stable_when_reconciliation_never_releases",
    ("group-consumer", "GroupConverges"): "mutant never-release",
    ("group-consumer", "NoConcurrentProcessing"): GA,
    ("group-consumer", "ConsumingNeverDeletes"): "mutant delete-on-commit",
    ("group-consumer", "AtLeastOnce"):
        GCD + "test_commit_before_processing_on_the_consumer_protocol_is_at_most_once",
    ("group-consumer", "AtMostOnce"): GA,
    ("group-consumer", "NoSkippedOffsets"):
        ECF + "test_kip848_commits_before_processing_skip_records_through_a_crash",
    ("group-consumer", "ConsumersReadBelowHw"): "mutant fetch-above-hw",
    ("group-consumer", "SomeRecordProcessed"):
        ECF + "test_kip848_consumers_process_nothing_with_no_offset_to_start_from",
    ("group-consumer", "AllRecordsProcessed"):
        ECF + "test_kip848_commits_before_processing_skip_records_through_a_crash",
    ("transactions", "NoAbortedRead"): "mutant stable-up-to-hw",
    ("transactions", "AtomicCommit"): "mutant keeps-aborted-records",
    ("transactions", "CommittedNotLost"): "mutant loads-below-hw",
    ("transactions", "ZombieFenced"): "mutant end-txn-ignores-epoch",
    ("transactions", "TransactionsComplete"): "mutant refuses-markers",
    ("transactions", "LsoAdvances"): "mutant new-leader-keeps-hw",
    ("transactions", "CommittedBecomesVisible"): "mutant new-leader-keeps-hw",
    ("transactions", "SomeCommitVisible"): TXM,
    ("transactions", "SomeAbortFiltered"): TXR,
    ("transactions", "ExactlyOnce"): "mutant no-generation-check",
    ("transactions", "ZombieOffsetsFenced"): "mutant no-generation-check",
    ("transactions", "LoopCompletes"): "mutant no-seek-after-abort",
    ("transactions", "SomeOutputVisible"): TXM,
    (LOOP, "LsoAdvances"): ECF + "test_the_consume_transform_produce_loop_stalls_without_markers",
    (LOOP, "TransactionsComplete"):
        ECF + "test_the_consume_transform_produce_loop_stalls_without_markers",
    ("streams", "CountsExact"): "mutant restore-read-uncommitted",
    ("streams", "OutputExactlyOnce"): SER,
    ("streams", "AllCounted"): "mutant restore-never-completes",
    ("sink", "SinkNoLoss"): "mutant commit-before-put",
    ("sink", "SinkNoDuplicates"): SER,
    ("sink", "SomeRedelivery"): SER,
    ("source", "SourceAtLeastOnce"): "mutant offsets-outside-transaction",
    ("source", "SourceExactlyOnce"): "mutant transactional-id-per-worker",
    ("source", "AllProduced"): "mutant task-never-starts",
    ("diehard", "TypeOK"): "mutant fill-overflows",
    ("diehard", "NotSolved"): "tests/test_engine_textbook.py::"
        "test_diehard_shortest_solution_is_six_steps_ending_with_four_gallons",
    ("diehard", "BothFull"): "mutant small-jug-leaks",
    ("twophase", "TCConsistent"): "mutant early-commit",
    ("twophase", "CanCommit"): "mutant tm-never-decides",
    ("twophase", "Terminates"): "mutant tm-never-decides",
}


def listed_pairs(capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str]]:
    """(model, property) for every property ``kafkacheck list --json`` names, and the loop
    mode's own properties whose names the app mode of transactions also has."""
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    pairs = {(m["name"], p["name"]) for m in listing["models"] for p in m["properties"]}
    settings, bounds = LOOP_CONFIG
    loop = make_model("transactions", settings, **bounds)
    assert loop.loop
    app = {p.name for p in make_model("transactions", {"transactional.id": "app"},
                                      instances=1, partitions=1).properties()}
    pairs |= {(LOOP, p.name) for p in loop.properties() if p.name in app}
    return pairs


def test_every_listed_property_has_a_failing_case_and_no_case_is_stale(capsys):
    pairs = listed_pairs(capsys)
    missing = sorted(pairs - set(FAILING))
    assert not missing, f"no failing case for {missing}: add a mutant or a test to FAILING"
    stale = sorted(set(FAILING) - pairs)
    assert not stale, f"FAILING names properties kafkacheck list no longer has: {stale}"


def _registered_mutant(model: str, prop: str, name: str) -> str | None:
    """Why ``name`` is no failing case of (model, prop), or None when it is one."""
    model = "transactions" if model == LOOP else model
    load(model)
    entry = MUTANTS.get((model, name))
    if entry is None:
        return f"no {model} mutant {name!r} in tests/mutants"
    if prop not in entry.breaks:
        return f"{model} mutant {name!r} claims {entry.breaks}, not {prop}"
    return None


def _test_function(node: str) -> str | None:
    """Why the test ``node`` is not there, or None when its file defines it."""
    path, _, function = node.partition("::")
    source = ROOT / path
    if not source.is_file():
        return f"no test file {path}"
    if not re.search(rf"^def {re.escape(function)}\(", source.read_text(), re.M):
        return f"{path} defines no {function}"
    return None


@pytest.mark.parametrize("pair", sorted(FAILING), ids=[f"{m}-{p}" for m, p in sorted(FAILING)])
def test_each_failing_case_exists_and_names_its_property(pair):
    model, prop = pair
    case = FAILING[pair]
    if case.startswith("mutant "):
        problem = _registered_mutant(model, prop, case.removeprefix("mutant "))
    else:
        problem = _test_function(case)
    assert problem is None, problem


def test_every_registered_mutant_claim_has_a_witness_configuration_in_the_bench():
    """bench/mutation_score.py runs each claim on a witness configuration; a claim without
    one would be reported as SURVIVED (audit s21, finding 6)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import mutation_score
    finally:
        sys.path.remove(str(ROOT / "bench"))
    registry = mutation_score.load_registry()
    claims = {(model, name, prop) for (model, name), entry in registry.items()
              for prop in entry.breaks}
    witnessed = {(model, name, prop) for model, name, prop, _s, _b in mutation_score.WITNESSES}
    assert sorted(claims - witnessed) == []
    assert sorted(witnessed - claims) == []
