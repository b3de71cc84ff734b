"""A consume-transform-produce loop without a transactional.id writes each output as its
producer sends it: without idempotence a batch carries no producer id
(RecordBatch.NO_PRODUCER_ID), the leader checks no sequence
(UnifiedLog.analyzeAndValidateProducerState: ``batch.hasProducerId``), and a request the
network delayed past its retry is appended twice.  The idempotent producer's retry is
caught as a duplicate (ProducerStateEntry.findDuplicateBatch)."""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

LOOP = {"isolation.level": "read_committed", "enable.auto.commit": "false"}
BOUNDS = {"instances": 1, "partitions": 1, "inputs": 2, "late_produces": 1}
PROPS = ["ExactlyOnce", "LoopCompletes"]


def check(settings, version=None):
    model = make_model("transactions", {**LOOP, **settings}, kafka_version=version, **BOUNDS)
    return breadth_first(model, PROPS)


def test_without_idempotence_a_delayed_produce_and_its_retry_both_land():
    result = check({"enable.idempotence": "false"})
    assert result.distinct_states == 48
    trace = result.violation("ExactlyOnce").trace.actions
    assert trace[2] == ("DelayProduce", "P0", "p0", "out0 (no producer id)")
    assert ("Produce", "P0", "p0", "out0 (no producer id)", "retry", "appended at 0") in trace
    assert ("LateProduce", "P0", "p0", "out0 (no producer id)", "appended at 1") in trace


def test_the_idempotent_producer_keeps_the_output_exactly_once():
    result = check({"enable.idempotence": "true"})
    assert result.result == "holds" and result.distinct_states == 38


def test_before_3_0_the_default_producer_is_not_idempotent():
    # ProducerConfig 2.8: enable.idempotence=false by default (KIP-679 turned it on in 3.0).
    result = check({"acks": "all"}, version="2.8")
    assert result.violation("ExactlyOnce") is not None
    assert check({"acks": "all", "enable.idempotence": "true"}, "2.8").result == "holds"
