"""Every fault a run can call explored names the actions that inject it, and those are
actions of the model: a fault whose actions never fired is then reported "offered but
never injected", never as explored (coverage counts action names)."""

from __future__ import annotations

import pytest

from kafkacheck.config import UsageError
from kafkacheck.model import registry
from kafkacheck.testing import make_model

# What a model needs to build, and what a fault bound needs beside it.
BASE = {"transactions": {"transactional.id": "app"},
        "group": {"auto.offset.reset": "earliest"}}
NEEDS = {
    ("replication", "lost_alter_responses"): ({}, {"isr_updates": "in-flight"}),
    # A quick restart inside the session is a ZooKeeper cluster's (3.9, no process.roles).
    ("replication", "bounces"): ({}, {}, "3.9"),
    ("group-consumer", "poll_timeouts"): ({}, {"records": 1}),
    ("group", "duplicate_instances"): ({"group.instance.id": "a"}, {}),
    ("group", "added_partitions"): ({}, {"partitions": 2}),
    ("group", "broker_crashes"): ({"replication.factor": "2"}, {"log": "replicated"}),
    ("transactions", "coordinator_moves"): ({"replication.factor": "2"}, {}),
    ("transactions", "late_offset_commits"): (
        {"enable.auto.commit": "false"}, {"inputs": 2}),
    ("transactions", "rebalances"): ({"enable.auto.commit": "false"}, {"inputs": 2}),
}


def fault_bounds():
    for name in registry.available():
        for bound in registry.model_class(name).bounds:
            if bound.fault:
                yield pytest.param(name, bound.name, id=f"{name}-{bound.name}")


@pytest.mark.parametrize(("name", "bound"), list(fault_bounds()))
def test_each_explored_fault_is_injected_by_named_actions_of_the_model(name, bound):
    settings, bounds, *release = NEEDS.get((name, bound), ({}, {}))
    try:
        model = make_model(name, {**BASE.get(name, {}), **settings},
                           kafka_version=release[0] if release else None,
                           **{bound: 1, **bounds})
    except UsageError as exc:  # a budget of 1 is not a configuration this model runs
        pytest.fail(f"add what {name} {bound}=1 needs to NEEDS: {exc}")
    families = set(model.action_families())
    injecting = model.injecting_actions()
    for fault, _ in model.fault_model().explored:
        assert fault in injecting, f"{name}: nothing names the actions that inject {fault!r}"
        for entry in injecting[fault]:
            assert set(entry.split("|")) <= families, (name, fault, entry)


@pytest.mark.parametrize(("name", "settings", "bounds", "fault"), [
    # One broker has no follower to drop, slow or not.
    ("controller", {}, {"brokers": 1, "controllers": 1, "isolations": 0, "slow_followers": 1},
     "slow follower"),
    # Without a retry a timed-out request would need, the model never times one out.
    ("producer", {"enable.idempotence": "false"}, {"records": 1, "retry_budget": 0},
     "lost or timed-out produce response"),
    # acks=1 turns idempotence off: there is no producer state to expire.
    ("producer", {"acks": "1"}, {"records": 1, "producer_state_expiries": 1},
     "producer state removed at the broker (producer.id.expiration.ms)"),
    # acks=all with one replica: nothing is lost on the way back.
    ("replication", {"replication.factor": "1"}, {"records": 0, "lost_acks": 1},
     "lost produce response"),
])
def test_a_fault_whose_actions_never_fire_is_offered_not_explored(name, settings, bounds,
                                                                  fault):
    from kafkacheck.explorer.bfs import breadth_first

    result = breadth_first(make_model(name, settings, **bounds))
    assert result.complete
    assert fault in result.fault_model.never_injected
    assert fault not in dict(result.fault_model.explored)
