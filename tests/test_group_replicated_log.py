"""The group composed with the replication model: consumers read only up to the HW.

Each test is one ``kafkacheck check group --set ... --bound log=replicated ...`` run.
"""

from __future__ import annotations

from mutants import make_mutant
from mutants.group import FetchAboveHw

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "replication.factor": "2", "auto.offset.reset": "earliest"}
READS = ["ConsumersReadBelowHw", "ReadRecordsStay", "AtLeastOnce", "SomeRecordProcessed"]


def names(trace):
    return [a[0] for a in trace.actions]


def test_a_consumer_never_reads_above_the_hw_through_a_broker_crash():
    model = make_model("group", SAFE, consumers=1, records=2, log="replicated",
                       broker_crashes=1)
    result = breadth_first(model, READS)
    assert result.result == "holds" and result.complete
    # Kafka 4.4 (ELR on): a leader alone in the ISR that crashes is the last known leader,
    # elected again once it is back (PartitionChangeBuilder.canElectLastKnownLeader).
    assert result.coverage["BrokerCrash"] and result.coverage["Fence"]
    assert result.coverage["LastLeaderElect"]


def test_a_consumer_never_reads_above_the_hw_with_three_replicas_and_min_isr_2():
    settings = {**SAFE, "replication.factor": "3", "min.insync.replicas": "2"}
    model = make_model("group", settings, consumers=1, records=1, log="replicated")
    assert breadth_first(model, READS).result == "holds"


def test_unclean_election_removes_a_record_a_consumer_already_read():
    settings = {**SAFE, "unclean.leader.election.enable": "true"}
    model = make_model("group", settings, consumers=1, records=2, log="replicated")
    result = breadth_first(model, ["ReadRecordsStay", "CommittedRecordsStay"])
    trace = result.violation("ReadRecordsStay").trace
    assert names(trace)[-1] == "UncleanElect" and "Poll" in names(trace)
    assert result.violation("CommittedRecordsStay") is not None


def test_acks_1_loses_an_acknowledged_write_under_the_consumers():
    settings = {**SAFE, "acks": "1"}
    model = make_model("group", settings, consumers=1, records=1, log="replicated")
    assert breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost")


def test_reading_above_the_hw_loses_a_record_on_a_broker_crash():
    model = make_mutant("group", "fetch-above-hw", SAFE, consumers=1, records=1,
                        log="replicated")
    assert isinstance(model, FetchAboveHw)
    result = breadth_first(model, ["ConsumersReadBelowHw", "ReadRecordsStay"])
    assert names(result.violation("ConsumersReadBelowHw").trace)[-1] == "Poll"
    assert names(result.violation("ReadRecordsStay").trace)[-2:] == ["BrokerCrash", "Fence"]
