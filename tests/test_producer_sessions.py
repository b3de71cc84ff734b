"""Idempotence is per producer session and lasts as long as the broker keeps its state.

A producer restarted without transactional.id gets a new producer id (InitProducerId), so
the broker cannot tell a record it sends again from a new one; and the broker forgets a
producer id's state after producer.id.expiration.ms without a write (KIP-854, 3.4; before,
transactional.id.expiration.ms), after which it accepts any sequence (KIP-360, 2.5:
ProducerAppendInfo.checkSequence), a retried batch included.
"""

from __future__ import annotations

import pytest
from verdicts import holds_but_not_checked

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.producer import PRODUCER_RESTART, PRODUCER_STATE_EXPIRY
from kafkacheck.testing import make_model

PROPS = ["NoDuplicates", "NoAckedRecordLost", "PartitionOrder", "DefiniteFailureAbsent"]
TWO = {"records": 2, "batch_records": 1, "lost_responses": 1}


def labels(trace):
    return [tuple(a) for a in trace.actions]


def test_a_restarted_idempotent_producer_writes_a_record_again_under_a_new_producer_id():
    # The first session's batch was appended; its acknowledgement never reached the
    # application, which sends the record again after the restart.
    model = make_model("producer", {}, records=1, lost_responses=0, producer_restarts=1)
    assert model.idempotent
    result = breadth_first(model, PROPS)
    assert labels(result.violation("NoDuplicates").trace) == [
        ("Send", "r0", "no key", "p0"), ("Drain", "p0", "b0 [r0]", "to B1"),
        ("Append", "B1", "b0", "offset 0"),
        ("RestartProducer", "new producer id 1", "resend r0"),
        ("Drain", "p0", "b1 [r0]", "to B1"), ("Append", "B1", "b1", "offset 1")]
    # One record cannot be out of order, and no send fails definitely: PartitionOrder and
    # DefiniteFailureAbsent are not checked (both were HOLDS before audit s21).
    assert {p.name: result.verdict(p) for p in result.properties} == {
        "NoDuplicates": "violated", "NoAckedRecordLost": "holds",
        "PartitionOrder": "not checked", "DefiniteFailureAbsent": "not checked",
        "SomeSendFailedDefinitely": "never reached"}
    assert model.fault_model().explored[-1] == (PRODUCER_RESTART, 1)
    # The same producer without the restart: retries of one session are deduplicated.
    same = breadth_first(make_model("producer", {}, **TWO), PROPS)
    # (DefiniteFailureAbsent: no send fails definitely, not checked; it was HOLDS, audit s21)
    assert holds_but_not_checked(same, {"DefiniteFailureAbsent"}, {"SomeSendFailedDefinitely"})
    assert same.distinct_states == 68


def test_an_expired_producer_state_lets_a_retried_batch_in_twice():
    # producer.id.expiration.ms (1 minute) below delivery.timeout.ms (2 minutes): the
    # state expires while a retry is still due, the broker accepts it at any sequence
    # and the producer sees a plain success.
    short = {"producer.id.expiration.ms": "60000"}
    model = make_model("producer", short, producer_state_expiries=1, **TWO)
    result = breadth_first(model, PROPS)
    trace = result.violation("NoDuplicates").trace
    assert labels(trace)[-3:] == [("Drain", "p0", "b0 [r0]", "to B1"),
                                  ("ExpireProducerState", "p0", "below offset 1"),
                                  ("Append", "B1", "b0", "offset 1")]
    assert (PRODUCER_STATE_EXPIRY, 1) in model.fault_model().explored
    # The default (1 day, longer than delivery.timeout.ms): only an idle producer's
    # state expires, and no retry can follow.
    default = breadth_first(make_model("producer", {}, producer_state_expiries=1, **TWO),
                            PROPS)
    assert holds_but_not_checked(default, {"DefiniteFailureAbsent"},
                                 {"SomeSendFailedDefinitely"})
    assert default.distinct_states == 91


def test_before_3_4_producer_ids_expire_with_transactional_id_expiration_kip_854():
    old = make_model("producer", {"transactional.id.expiration.ms": "60000"},
                     kafka_version="3.3", producer_state_expiries=1, **TWO)
    assert old.expiration_ms == 60000
    assert breadth_first(old, ["NoDuplicates"]).violation("NoDuplicates") is not None
    with pytest.raises(UsageError, match="KIP-854"):
        make_model("producer", {"producer.id.expiration.ms": "60000"}, kafka_version="3.3")
    with pytest.raises(UsageError, match="KIP-360"):
        make_model("producer", {}, kafka_version="2.4", producer_state_expiries=1)
