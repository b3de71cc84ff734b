"""A crashed leader that the controller has not fenced yet serves nothing: the producer's
properties read the live leader's log, as the replication properties do, so a power loss
of the leader is no lost record while the follower holds it and will be elected."""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "2"}
POWER = {"crashes": 1, "crash_kind": "power-loss", "lost_responses": 0, "retry_budget": 1}


def test_a_power_loss_of_the_leader_loses_no_record_with_elr_on_4_4():
    result = breadth_first(make_model("producer", SAFE, records=1, **POWER),
                           ["NoAckedRecordLost"])
    assert result.result == "holds" and result.distinct_states == 970


def test_before_elr_the_same_power_loss_still_loses_one_on_3_9():
    result = breadth_first(make_model("producer", SAFE, kafka_version="3.9", records=2,
                                      **POWER), ["NoAckedRecordLost"])
    assert result.violation("NoAckedRecordLost") is not None
