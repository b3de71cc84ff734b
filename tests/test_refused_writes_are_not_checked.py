"""Before Kafka 3.7 a min.insync.replicas above the replica count refuses every acks=all
write (NOT_ENOUGH_REPLICAS): nothing is ever written, so the record properties cannot
fail and are not checked, never HOLDS.  From 3.7 the effective min ISR (KAFKA-15583)
caps it at the replicas and they are checked again."""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

ABOVE = {"replication.factor": "2", "min.insync.replicas": "3", "acks": "all"}


def test_before_3_7_no_acked_write_lost_is_not_checked_when_every_write_is_refused():
    result = breadth_first(make_model("replication", ABOVE, kafka_version="3.6", crashes=1))
    assert result.result == "incomplete"
    assert "KAFKA-15583" in result.not_checked["NoAckedWriteLost"]
    assert set(result.not_checked) == {"NoAckedWriteLost", "CommittedRecordsStay",
                                       "ReplicasAgreeBelowHw", "HwWithinLeo"}


def test_from_3_7_the_capped_min_isr_lets_writes_through_and_they_are_checked():
    result = breadth_first(make_model("replication", ABOVE, kafka_version="3.7", crashes=1))
    # Two replicas and a power loss (crash_kind=any) lose an acknowledged write again.
    assert not result.not_checked
    assert result.violation("NoAckedWriteLost") is not None


def test_the_controller_model_marks_the_same_refusal():
    model = make_model("controller", ABOVE, kafka_version="3.6", brokers=2, controllers=1)
    vacuous = {p.name: p.vacuous for p in model.properties() if p.vacuous}
    assert "KAFKA-15583" in vacuous["NoAckedWriteLost"]
    capped = make_model("controller", ABOVE, kafka_version="3.7", brokers=2, controllers=1)
    # Nothing is refused any more; only the quorum properties cannot fail with one voter
    # (controllers=1, tests/test_vacuous_premises_replication.py).
    assert [p.name for p in capped.properties() if p.vacuous] == [
        "OneActiveControllerPerEpoch", "MetadataCommittedByMajority"]


def test_the_producer_model_does_not_call_no_duplicates_held_when_nothing_is_appended():
    settings = {**ABOVE, "enable.idempotence": "false"}
    result = breadth_first(make_model("producer", settings, kafka_version="3.6", records=1),
                           ["NoDuplicates"])
    assert result.result == "incomplete" and "KAFKA-15583" in result.not_checked["NoDuplicates"]


def test_the_deposed_leader_property_is_not_checked_either():
    model = make_model("controller", {**ABOVE, "process.roles": "broker"},
                       kafka_version="3.6", brokers=2, controllers=1, records=1)
    vacuous = {p.name: p.vacuous for p in model.properties() if p.vacuous}
    assert "KAFKA-15583" in vacuous["DeposedLeaderAcksSurvive"]


def test_a_group_over_such_a_replicated_log_runs_and_says_its_record_properties_are_not_checked():
    settings = {"auto.offset.reset": "earliest", "replication.factor": "2",
                "min.insync.replicas": "3"}
    result = breadth_first(make_model("group", settings, kafka_version="3.6", consumers=1,
                                      records=1, log="replicated"), ["ReadRecordsStay"])
    assert result.result == "incomplete"
    assert "KAFKA-15583" in result.not_checked["ReadRecordsStay"]
