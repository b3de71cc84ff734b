"""What a group verdict's fault model says: consumer faults from the bounds, broker faults
only where a broker exists (``log=replicated``), never a budget that injects nothing."""

from __future__ import annotations

import pytest

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.interface import INJECTED_BY, POWER_LOSS, PROCESS_CRASH
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
REPLICATED = {**EARLIEST, "acks": "all", "replication.factor": "2"}


def test_an_abstract_log_explores_no_broker_fault_whatever_broker_crashes_says():
    model = make_model("group", EARLIEST, crashes=1, poll_timeouts=1, broker_crashes=1)
    faults = model.fault_model()
    assert dict(faults.explored) == {"consumer crash": 1, "poll timeout (zombie consumer)": 1}
    assert "broker crash" not in dict(faults.explored)
    assert any(f.startswith("broker faults") for f in faults.not_explored)
    result = breadth_first(model, ["AtLeastOnce"])
    assert not {a for a in result.coverage if a in ("Fence", "Elect")}  # no broker acted


def test_a_replicated_log_explores_the_broker_crashes_it_injects():
    model = make_model("group", REPLICATED, consumers=1, records=1, log="replicated",
                       broker_crashes=1)
    faults = model.fault_model()
    # The embedded replication model names its crash kind (it crashes processes only).
    assert dict(faults.explored) == {PROCESS_CRASH: 1}
    assert POWER_LOSS in faults.not_explored
    assert "consumer crash" in faults.not_explored
    result = breadth_first(model, ["ReadRecordsStay"])
    assert result.result == "holds" and result.coverage["BrokerCrash"] > 0


def test_a_replicated_log_without_broker_crashes_says_so():
    model = make_model("group", REPLICATED, consumers=1, log="replicated", broker_crashes=0)
    faults = model.fault_model()
    assert faults.explored == ()
    assert {PROCESS_CRASH, POWER_LOSS} <= set(faults.not_explored)
    assert faults.text().startswith("faults: none; not explored: consumer crash")


# -- a fault is explored only when the action that injects it fired ----------------------

def test_a_fault_whose_action_never_fires_is_offered_but_never_injected():
    # One consumer never revokes a partition, so no rebalance times out.
    model = make_model("group-consumer", {}, consumers=1, rebalance_timeouts=1,
                       lost_responses=1)
    faults = breadth_first(model, ["NoTwoOwnersAtOnce"]).fault_model
    assert dict(faults.explored) == {"lost heartbeat response": 1}
    assert faults.never_injected == ("slow revocation (rebalance timeout)",)
    assert "; offered but never injected (its actions never fired): slow revocation " \
           "(rebalance timeout); not explored: consumer crash" in faults.text()


@pytest.mark.parametrize("model", ["group", "group-consumer"])
def test_a_poll_timeout_without_records_is_refused_not_left_uninjected(model):
    # PollTimeout fires while the application holds a batch: without records, never, and
    # a HOLDS would not say the fault asked for never fired.
    with pytest.raises(UsageError, match="poll_timeouts needs records >= 1"):
        make_model(model, EARLIEST, consumers=2, records=0, poll_timeouts=1)


def test_a_kip848_poll_timeout_with_a_record_to_process_is_explored():
    model = make_model("group-consumer", EARLIEST, consumers=1, partitions=1, records=1,
                       poll_timeouts=1)
    faults = breadth_first(model, ["NoTwoOwnersAtOnce"]).fault_model
    assert dict(faults.explored) == {"poll timeout (zombie consumer)": 1}
    assert faults.never_injected == ()


def test_every_consumer_fault_of_both_group_models_names_the_action_that_injects_it():
    from kafkacheck.model.clients.group import BROKER_CRASH
    from kafkacheck.model.interface import INJECTED_BY
    from kafkacheck.model.registry import model_class

    for name in ("group", "group-consumer"):
        cls = model_class(name)
        injected_by = {**INJECTED_BY, **cls.fault_actions}
        families = set(make_model(name, EARLIEST).action_families())
        for bound in cls.bounds:
            if bound.fault and bound.fault != BROKER_CRASH:  # the replicated log's own
                assert set(injected_by[bound.fault]) <= families, (name, bound.fault)


def test_a_consumer_crash_never_counts_as_a_broker_crash_on_a_replicated_log():
    # Coverage counts action names; the broker's crash and restart are BrokerCrash and
    # BrokerRestart here, so one kind firing leaves the other offered but never injected.
    model = make_model("group", REPLICATED, consumers=1, records=1, log="replicated",
                       broker_crashes=1, crashes=1, rejoins=1)
    faults = model.fault_model()
    injected_by = {**INJECTED_BY, **model.fault_actions}
    only_consumers = faults.injected({"Crash": 3, "Restart": 2}, injected_by)
    assert PROCESS_CRASH in only_consumers.never_injected
    assert "consumer crash" not in only_consumers.never_injected
    only_brokers = faults.injected({"BrokerCrash": 3, "BrokerRestart": 2}, injected_by)
    assert "consumer crash" in only_brokers.never_injected
    assert PROCESS_CRASH not in only_brokers.never_injected
    assert {"Crash", "Restart", "BrokerCrash", "BrokerRestart"} <= set(model.action_families())
