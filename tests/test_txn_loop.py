"""Exactly-once for a consume-transform-produce loop: with transactions it holds, without
them it does not (issue 14's 'must show').

Two members of one group, one input record, one output partition, one rebalance that
moves the input partition while its old owner keeps running (a zombie).
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

LOOP = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
# The members commit their offsets themselves (sendOffsetsToTransaction or commitSync).
RC = {"isolation.level": "read_committed", "enable.auto.commit": "false"}


def names(trace):
    return [a[0] for a in trace.actions]


def test_without_transactions_the_zombie_and_its_successor_both_produce_the_output():
    """kafkacheck check transactions --set isolation.level=read_committed
    --set enable.auto.commit=false --bound inputs=1
    --bound instances=2 --bound rebalances=1 --property ExactlyOnce"""
    result = breadth_first(make_model("transactions", RC, **LOOP), ["ExactlyOnce"])
    trace = result.violation("ExactlyOnce").trace
    assert names(trace) == ["FetchOffset", "Poll", "Produce", "Rebalance", "Rejoin",
                            "FetchOffset", "Poll", "Produce"]
    assert result.distinct_states == 83


def test_with_transactions_each_input_is_in_the_output_exactly_once():
    """kafkacheck check transactions --set transactional.id=app
    --set isolation.level=read_committed --set enable.auto.commit=false
    --set transaction.version=1 --bound inputs=1
    --bound instances=2 --bound rebalances=1"""
    model = make_model("transactions", {**RC, "transactional.id": "app",
                                        "transaction.version": "1"}, **LOOP)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 23287
    # The zombie's offsets were refused in some behaviour (KIP-447), and it aborted.
    assert result.coverage["SendOffsets"] > 0 and result.coverage["Abort"] > 0


@pytest.mark.thorough
def test_with_transactions_version_2_each_input_is_in_the_output_exactly_once():
    model = make_model("transactions", {**RC, "transactional.id": "app"}, **LOOP)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 82555


@pytest.mark.thorough
def test_with_transactions_two_inputs_each_in_the_output_exactly_once():
    model = make_model("transactions", {**RC, "transactional.id": "app"},
                       **{**LOOP, "inputs": 2})
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
