"""What a group verdict's fault model says: consumer faults from the bounds, broker faults
only where a broker exists (``log=replicated``), never a budget that injects nothing."""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.interface import POWER_LOSS, PROCESS_CRASH
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
    assert result.result == "holds" and result.coverage["Crash"] > 0


def test_a_replicated_log_without_broker_crashes_says_so():
    model = make_model("group", REPLICATED, consumers=1, log="replicated", broker_crashes=0)
    faults = model.fault_model()
    assert faults.explored == ()
    assert {PROCESS_CRASH, POWER_LOSS} <= set(faults.not_explored)
    assert faults.text().startswith("faults: none; not explored: consumer crash")
