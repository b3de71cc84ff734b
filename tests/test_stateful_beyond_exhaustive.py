"""Hypothesis drives the producer, consumer-group and composed models at larger sizes.

The same models and properties as the explorer; sizes the breadth-first search could not
finish (more records, partitions, consumers and faults).
"""

from __future__ import annotations

import pytest
from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.explorer.stateful import PropertyViolation, machine_for
from kafkacheck.testing import make_model


def run_machine(model, properties, steps=None):
    machine = seed(0)(machine_for(model, properties))
    options = {"stateful_step_count": steps} if steps else {}
    run_state_machine_as_test(machine, settings=settings(settings.default, **options))


def test_idempotent_producer_keeps_order_and_no_duplicates_with_three_partitions_and_keys():
    model = make_model("producer", {"replication.factor": "2", "min.insync.replicas": "2"},
                       records=8, keys=3, partitions=3, batch_records=2, crashes=2,
                       lost_responses=2, retry_budget=2)
    run_machine(model, ["NoAckedRecordLost", "KeyOrder", "CommittedRecordsStay"])


def test_producer_without_idempotence_duplicates_at_scale():
    model = make_model("producer", {"enable.idempotence": "false"}, records=8, partitions=3,
                       lost_responses=3)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(model, ["NoDuplicates"])
    assert caught.value.property_name == "NoDuplicates"


def test_cooperative_group_of_three_never_has_two_owners_with_many_faults():
    model = make_model("group", {"auto.offset.reset": "earliest",
                                 "partition.assignment.strategy": "cooperative-sticky"},
                       consumers=3, partitions=3, records=6, crashes=2, closes=1, rejoins=2,
                       poll_timeouts=1)
    run_machine(model, ["OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "AtLeastOnce",
                        "CommitsFromCurrentGeneration"])


def test_group_over_a_replicated_log_reads_below_the_high_watermark():
    model = make_model("group", {"auto.offset.reset": "earliest", "acks": "all",
                                 "replication.factor": "3", "min.insync.replicas": "2"},
                       consumers=2, partitions=2, records=4, log="replicated",
                       broker_crashes=2, crashes=1)
    run_machine(model, ["ConsumersReadBelowHw", "ReadRecordsStay", "NoAckedWriteLost"])


def test_commit_before_processing_loses_records_at_scale():
    model = make_model("group", {"auto.offset.reset": "earliest",
                                 "enable.auto.commit": "false"},
                       consumers=2, partitions=2, records=6, commit="before-processing",
                       crashes=3)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(model, ["AtLeastOnce"])
    assert caught.value.property_name == "AtLeastOnce"


def test_kraft_controller_with_four_brokers_keeps_epoch_guarantees_under_faults():
    model = make_model("controller", {"acks": "all", "min.insync.replicas": "2"},
                       brokers=4, records=4, crashes=2, isolations=2, restarts=2)
    run_machine(model, ["OneActiveControllerPerEpoch", "OneLeaderPerLeaderEpoch",
                        "FencedBrokerNeverLeads", "MetadataCommittedByMajority",
                        "DeposedLeaderAcksSurvive", "NoAckedWriteLost"])


def test_a_zombie_leader_loses_acks_1_writes_at_scale():
    model = make_model("controller", {"acks": "1"}, brokers=4, records=4, crashes=1,
                       isolations=2)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(model, ["DeposedLeaderAcksSurvive"])
    assert caught.value.property_name == "DeposedLeaderAcksSurvive"
