"""The properties the per-model tables did not yet show failing, each broken once: on a
real Kafka configuration where one exists, else on a mutant (tests/mutants)."""

from __future__ import annotations

import pytest
from mutants import make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model


def unreached(result, name: str) -> bool:
    return result.complete and name in {v.name for v in result.unreached}


def test_controller_commits_nothing_when_min_insync_replicas_exceeds_the_replicas():
    # Kafka 3.6 (before KAFKA-15583's cap): acks=all with min.insync.replicas=4 on three
    # replicas is refused with NOT_ENOUGH_REPLICAS, so no record is ever written.
    model = make_model("controller", {"min.insync.replicas": "4"}, kafka_version="3.6",
                       records=1)
    assert unreached(breadth_first(model, ["SomeRecordCommitted"]), "SomeRecordCommitted")


def test_kip848_consumers_process_nothing_with_no_offset_to_start_from():
    model = make_model("group-consumer", {"auto.offset.reset": "none"}, records=2,
                       partitions=1)
    assert unreached(breadth_first(model, ["SomeRecordProcessed"]), "SomeRecordProcessed")


def test_kip848_commits_before_processing_skip_records_through_a_crash():
    model = make_model("group-consumer", {"enable.auto.commit": "false"}, records=2,
                       partitions=1, commit="before-processing", crashes=1)
    result = breadth_first(model, ["NoSkippedOffsets", "AllRecordsProcessed"])
    assert {v.name for v in result.violations} == {"NoSkippedOffsets", "AllRecordsProcessed"}


def test_a_member_never_becomes_stable_when_reconciliation_never_releases():
    model = make_mutant("group-consumer", "never-release", records=0)
    assert unreached(breadth_first(model, ["SomeMemberStable"]), "SomeMemberStable")


@pytest.mark.parametrize("prop", ["LsoAdvances", "TransactionsComplete"])
def test_the_consume_transform_produce_loop_stalls_without_markers(prop):
    model = make_mutant("transactions", "refuses-markers",
                        {"transactional.id": "app", "isolation.level": "read_committed",
                         "enable.auto.commit": "false"}, instances=1, inputs=1, partitions=1)
    assert model.loop  # the loop's own LsoAdvances and TransactionsComplete
    assert breadth_first(model, [prop]).violation(prop) is not None


def test_a_committed_record_is_lost_to_an_unclean_election_under_the_producer():
    settings = {"unclean.leader.election.enable": "true", "replication.factor": "2",
                "enable.idempotence": "false", "acks": "1"}
    model = make_model("producer", settings, records=1, crashes=1, lost_responses=0)
    result = breadth_first(model, ["CommittedRecordsStay"])
    assert result.violation("CommittedRecordsStay").trace is not None


def test_diehard_jugs_overflow_and_never_fill_together_under_their_mutants():
    overflow = breadth_first(make_mutant("diehard", "fill-overflows"), ["TypeOK"])
    assert len(overflow.violation("TypeOK").trace) == 1  # FillBig
    leak = breadth_first(make_mutant("diehard", "small-jug-leaks"), ["BothFull"])
    assert unreached(leak, "BothFull")


def test_two_phase_commit_never_commits_nor_ends_without_a_deciding_tm():
    model = make_mutant("twophase", "tm-never-decides")
    assert unreached(breadth_first(model, ["CanCommit"]), "CanCommit")
    assert breadth_first(model, ["Terminates"]).violation("Terminates") is not None
