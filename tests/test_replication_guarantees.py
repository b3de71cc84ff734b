"""What the replication model proves and refutes (issue: replication model 'must show')."""

from __future__ import annotations

import pytest

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3",
        "unclean.leader.election.enable": "false"}


def names(trace):
    return [a[0] for a in trace.actions]


def test_acks_1_loses_an_acknowledged_write_when_the_leader_dies_before_replication():
    model = make_model("replication", {"acks": "1", "replication.factor": "3"})
    result = breadth_first(model, ["NoAckedWriteLost"])
    violation = result.violation("NoAckedWriteLost")
    assert violation is not None
    assert names(violation.trace) == ["Produce", "Crash", "Fence"]


def test_acks_all_with_min_isr_2_keeps_acknowledged_writes_through_one_crash():
    result = breadth_first(make_model("replication", SAFE, records=2, crashes=1))
    assert result.result == "holds" and result.complete
    assert result.distinct_states > 10_000


def test_min_isr_1_with_unclean_election_loses_acknowledged_writes():
    settings = {**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"}
    result = breadth_first(make_model("replication", settings), ["NoAckedWriteLost"])
    trace = result.violation("NoAckedWriteLost").trace
    assert names(trace)[-1] == "UncleanElect"
    assert names(trace).count("ShrinkIsr") == 2  # the leader was alone in the ISR


def test_high_watermark_truncation_loses_committed_data_kip_101():
    model = make_model("replication", SAFE, truncation="high-watermark", crashes=1,
                       leader_changes=1)
    result = breadth_first(model, ["NoAckedWriteLost", "CommittedRecordsStay"])
    assert result.violation("NoAckedWriteLost") is not None
    assert "BecomeFollower" in names(result.violation("CommittedRecordsStay").trace)


def test_leader_epoch_truncation_keeps_the_same_bounds_safe():
    model = make_model("replication", SAFE, truncation="leader-epoch", crashes=1,
                       leader_changes=1)
    result = breadth_first(model, ["NoAckedWriteLost", "CommittedRecordsStay",
                                   "ReplicasAgreeBelowHw"])
    assert result.result == "holds"


def test_kip101_without_kip279_lets_replicas_diverge():
    model = make_model("replication", SAFE, truncation="kip101", crashes=2)
    result = breadth_first(model, ["ReplicasAgreeBelowHw"], max_seconds=120)
    assert result.violation("ReplicasAgreeBelowHw") is not None


def test_power_loss_with_a_single_member_isr_loses_an_acks_all_write_kip_966():
    model = make_model("replication", {"acks": "all", "replication.factor": "3"},
                       crash_kind="power-loss")
    result = breadth_first(model, ["NoAckedWriteLost"])
    trace = result.violation("NoAckedWriteLost").trace
    assert names(trace) == ["Produce", "ShrinkIsr", "ShrinkIsr", "Ack", "PowerLoss", "Fence",
                            "Restart", "Elect"]


def test_power_loss_loses_acks_all_writes_even_with_min_isr_2_once_the_isr_shrank():
    # KIP-966 "last replica standing": the ISR may shrink below min.insync.replicas
    settings = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
    model = make_model("replication", settings, crash_kind="power-loss")
    trace = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost").trace
    assert names(trace)[-4:] == ["PowerLoss", "Fence", "Restart", "Elect"]
    assert "ShrinkIsr" in names(trace)


def test_flushing_every_message_prevents_the_power_loss_scenario():
    settings = {"acks": "all", "replication.factor": "3", "flush.messages": "1"}
    model = make_model("replication", settings, crash_kind="power-loss")
    assert breadth_first(model, ["NoAckedWriteLost"]).result == "holds"


@pytest.mark.parametrize("bug,prop,kind", [
    ("hw-ignores-isr", "NoAckedWriteLost", "process"),
    ("shrink-leader", "LeaderInIsr", "process"),
    ("hw-kept-on-truncation", "HwWithinLeo", "power-loss"),
    ("skip-truncation", "ReplicasAgreeBelowHw", "process"),
])
def test_each_replication_property_catches_its_injected_bug(bug, prop, kind):
    model = make_model("replication", SAFE, bug=bug, crashes=1, leader_changes=1,
                       crash_kind=kind)
    result = breadth_first(model, [prop], max_seconds=60)
    assert result.violation(prop) is not None


def test_min_insync_replicas_above_replication_factor_is_rejected():
    with pytest.raises(UsageError, match="exceeds replication.factor"):
        make_model("replication", {"min.insync.replicas": "3", "replication.factor": "2"})


def test_eligible_leader_replicas_prevent_the_power_loss_scenario_kip_966():
    settings = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2",
                "eligible.leader.replicas.version": "1"}
    model = make_model("replication", settings, crash_kind="power-loss")
    assert breadth_first(model).result == "holds"


def test_with_elr_the_high_watermark_stops_below_min_isr_and_requests_time_out():
    settings = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2",
                "eligible.leader.replicas.version": "1"}
    result = breadth_first(make_model("replication", settings))
    assert result.result == "holds" and result.coverage["ProduceTimeout"] > 0


def test_every_successor_keeps_the_state_layout():
    # A successor with a field missing would hash as a different state: check the shape.
    from kafkacheck.explorer.simulate import simulate

    model = make_model("replication", {**SAFE, "eligible.leader.replicas.version": "1"},
                       crashes=2, bounces=2, leader_changes=1, lost_acks=1,
                       crash_kind="any")
    init = next(iter(model.init_states()))
    result = simulate(model, seed=3, walks=200, depth=40)
    assert result.distinct_states > 100
    for state in [init]:
        for _action, nxt in model.successors(state):
            assert len(nxt) == len(init)
    frontier = [init]
    for _ in range(8):
        frontier = [t for s in frontier for _a, t in model.successors(s)][:400]
        assert all(len(t) == len(init) and len(t[-1]) == len(init[-1]) for t in frontier)


@pytest.mark.parametrize("bug,prop,reason", [
    ("never-commit", "SomeRecordCommitted", "never-reached"),
    ("never-commit", "ProduceRequestsComplete", "liveness"),
    ("no-election", "LeaderFailsOver", "never-reached"),
])
def test_reachability_and_liveness_properties_fail_on_their_injected_bug(bug, prop, reason):
    model = make_model("replication", SAFE, bug=bug, crashes=1)
    violation = breadth_first(model, [prop]).violation(prop)
    assert violation is not None and violation.reason == reason
