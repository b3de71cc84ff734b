"""Hypothesis drives the replication model beyond exhaustive reach, with the same properties."""

from __future__ import annotations

import pytest
from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.stateful import PropertyViolation, machine_for
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}


def run_machine(model, properties=(), n=None, steps=None, seed_value=0):
    machine = seed(seed_value)(machine_for(model, properties))
    options = {}
    if n:
        options["max_examples"] = n
    if steps:
        options["stateful_step_count"] = steps
    run_state_machine_as_test(machine, settings=settings(settings.default, **options))


def test_five_brokers_three_partitions_twenty_records_keep_acked_writes_with_acks_all():
    settings5 = {"acks": "all", "min.insync.replicas": "3", "replication.factor": "5"}
    model = make_model("replication", settings5, partitions=3, records=20, crashes=2,
                       leader_changes=2)
    run_machine(model, ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
                        "LeaderInIsr", "HwWithinLeo"], steps=60)


def test_hypothesis_finds_and_shrinks_the_acks_1_loss_to_the_explorers_trace():
    model = make_model("replication", {"acks": "1", "replication.factor": "3"}, partitions=2,
                       records=10, crashes=2)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(model, ["NoAckedWriteLost"])
    shortest = breadth_first(make_model("replication", {"acks": "1", "replication.factor": "3"}),
                             ["NoAckedWriteLost"]).violation("NoAckedWriteLost")
    assert caught.value.property_name == "NoAckedWriteLost"
    assert len(caught.value.actions) <= len(shortest.trace) + 2
    assert "sequenceDiagram" in str(caught.value)


GRID = [
    ({"acks": "1", "replication.factor": "2"}, {}),
    ({"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}, {}),
    ({**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"}, {}),
    (SAFE, {"truncation": "high-watermark", "leader_changes": 1}),
    ({"acks": "all", "replication.factor": "2"}, {"crash_kind": "power-loss"}),
]


@pytest.mark.parametrize("settings_,bounds", GRID)
def test_explorer_and_hypothesis_agree_on_small_configurations(settings_, bounds):
    props = ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw"]
    model = make_model("replication", settings_, **bounds)
    exhaustive = breadth_first(model, props)
    assert exhaustive.complete or exhaustive.result == "violated"
    machine = machine_for(model, props)
    for violation in exhaustive.violations:
        # every breadth-first counterexample replays in the Hypothesis machine
        with pytest.raises(PropertyViolation):
            machine.replay(violation.trace.actions)
    try:
        run_machine(model, props, n=100)
        found = None
    except PropertyViolation as exc:
        found = exc.property_name
    if found is not None:
        # whatever Hypothesis finds, the explorer finds too
        assert exhaustive.violation(found) is not None
    if exhaustive.result == "holds":
        assert found is None
