"""What the KRaft controller model proves and refutes (issue 4 'must show')."""

from __future__ import annotations

import pytest
from mutants import load, make_mutant

from kafkacheck import cli
from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster import controller as cm
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
ISOLATED_LEADER = {"records": 1, "crashes": 0, "isolations": 1}


def names(trace):
    return [a[0] for a in trace.actions]


def test_deposed_leader_isolated_from_the_controller_loses_acks_1_writes():
    model = make_model("controller", {"acks": "1"}, **ISOLATED_LEADER)
    result = breadth_first(model, ["DeposedLeaderAcksSurvive", "NoAckedWriteLost"])
    trace = result.violation("DeposedLeaderAcksSurvive").trace
    # B1 (leader, on the node of the active controller C1) is cut off; the majority elects
    # C2, which fences B1 and makes B2 leader; B1 still believes it leads and acks alone.
    assert [str(a) for a in trace.actions] == [
        str(a) for a in [("Isolate", "B1/C1"), ("Elect", "C2", "epoch 2"),
                         ("Fence", "B1", "by C2"), ("Produce", "r1", "to B1")]]
    assert result.violation("NoAckedWriteLost") is not None


def test_deposed_leader_acks_nothing_the_new_leader_lacks_with_acks_all_min_isr_2():
    model = make_model("controller", SAFE, **ISOLATED_LEADER)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    # The zombie really exists: it still leads while the majority has a new leader.
    assert "ZombieLeaderMeetsSuccessor" in result.witnesses
    assert "ZombieControllerMeetsSuccessor" in result.witnesses


def _minority_controllers(model, state):
    """Controllers that believe they are active but sit with a minority of voters."""
    alive, cut = state.alive, state.cut
    out = []
    for c, ctl in enumerate(state.controllers):
        if ctl.leader != c or not alive >> model.ctrl_node[c] & 1:
            continue
        side = cut >> model.ctrl_node[c] & 1
        peers = sum(1 for v in range(model.m) if alive >> model.ctrl_node[v] & 1
                    and (cut >> model.ctrl_node[v] & 1) == side)
        if peers < model.majority:
            out.append(c)
    return out


@pytest.mark.parametrize("roles", ["broker,controller", "broker"])
def test_an_isolated_controller_in_a_minority_cannot_change_leadership(roles):
    model = make_model("controller", {**SAFE, "process.roles": roles},
                       records=0, crashes=0, isolations=1)
    result = breadth_first(model, ["MetadataCommittedByMajority", "OneActiveControllerPerEpoch"],
                           record_graph=True)
    assert result.result == "holds"
    graph = result.graph
    zombies_seen = 0
    for source, action, _target in graph.edges:
        minority = _minority_controllers(model, graph.states[source])
        if minority:
            zombies_seen += 1
            assert not any(f"by {cm.ctrl_name(c)}" in action for c in minority), action
    assert zombies_seen > 0


def test_the_majority_side_elects_a_new_controller_with_a_higher_epoch():
    model = make_model("controller", SAFE, records=0, crashes=0, isolations=1)
    result = breadth_first(model, ["ZombieControllerMeetsSuccessor", "ControllerFailsOver"])
    trace = result.witnesses["ZombieControllerMeetsSuccessor"]
    assert names(trace) == ["Isolate", "Elect"]
    final = trace.steps[-1].state
    active = sorted((ctl.epoch, c) for c, ctl in enumerate(final.controllers)
                    if ctl.leader == c)
    assert active == [(1, 0), (2, 1)]  # C1 still believes it is active in epoch 1


def test_brokers_that_accept_a_stale_controller_epoch_are_caught():
    model = make_mutant("controller", "broker-accepts-stale-controller", SAFE, records=0,
                        crashes=0, isolations=1)
    result = breadth_first(model, ["BrokerMetadataNeverGoesBack", "EpochsOnlyGrow"])
    trace = result.violation("BrokerMetadataNeverGoesBack").trace
    assert names(trace) == ["Isolate", "Elect", "Fence", "FetchMetadata", "Heal",
                            "FetchMetadata"]
    assert trace.actions[-1][2] == "from C1"  # the deposed controller, in epoch 1
    assert result.violation("EpochsOnlyGrow") is not None


def test_without_the_bug_no_broker_goes_back_even_when_the_zombie_controller_rejoins():
    model = make_model("controller", SAFE, records=0, crashes=0, isolations=1)
    result = breadth_first(model, ["BrokerMetadataNeverGoesBack", "EpochsOnlyGrow"])
    assert result.result == "holds"


@pytest.mark.parametrize("roles,bounds", [
    ("broker", {"brokers": 2, "controllers": 3, "records": 1}),
    ("broker,controller", {"brokers": 3, "controllers": 3, "records": 0}),
], ids=["2-brokers-3-dedicated-controllers", "3-combined-nodes-no-records"])
def test_composed_replication_and_controller_with_a_crash_and_an_isolation(roles, bounds):
    # The full composed check (3 combined nodes, 1-2 records) takes from a minute upwards:
    # bench/controller_composed.py prints its figures.
    model = make_model("controller", {**SAFE, "process.roles": roles},
                       crashes=1, isolations=1, **bounds)
    # With no records the data-loss properties cannot fail (they are not checked): the
    # controller's own properties are what this case checks.
    result = breadth_first(model, [p.name for p in model.properties() if not p.vacuous],
                           max_seconds=60)
    assert result.result == "holds" and result.complete
    assert result.distinct_states > 10_000
    for name in ("ControllerFailsOver", "LeaderFailsOver", "ZombieControllerMeetsSuccessor",
                 "ZombieLeaderMeetsSuccessor"):
        assert name in result.witnesses


@pytest.mark.parametrize("cache", [cm.QUORUM_CACHE, 1], ids=["cache", "cache-of-one-entry"])
def test_remembered_quorum_steps_change_no_count(monkeypatch, cache):
    # The model remembers the Raft steps and controller decisions per (alive, cut,
    # controllers); emptying that cache at every new key must explore the same graph
    # (counts of the search before the cache existed).
    monkeypatch.setattr(cm, "QUORUM_CACHE", cache)
    model = make_model("controller", {**SAFE, "process.roles": "broker"}, brokers=2,
                       controllers=3, records=1, crashes=1, isolations=1)
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    # (15,619, 29,668) while makeLeader in a new epoch reset the state of a leader that
    # stays (re-elected by ELR without seeing the epochs between): Kafka keeps it.
    assert (result.distinct_states, result.generated_states) == (15_689, 29_680)


# Each property, and a configuration or a mutant (tests/mutants/controller.py) that breaks
# it, with the length of the shortest counterexample.
FAILING = [
    ("OneActiveControllerPerEpoch", {}, {"crashes": 1}, "election-without-majority", 4),
    ("EpochsOnlyGrow", {}, {}, "stale-controller-epoch", 4),
    ("MetadataCommittedByMajority", {}, {}, "commit-without-majority", 2),
    ("BrokerMetadataNeverGoesBack", {}, {}, "broker-accepts-stale-controller", 6),
    ("OneLeaderPerLeaderEpoch", {}, {"crashes": 1}, "no-leader-epoch-bump", 3),
    ("DeposedLeaderAcksSurvive", {"acks": "1"}, {}, None, 4),
    # 8 steps with ELR (Kafka 4.4's default): the fenced B1 is elected from the ELR as
    # soon as the ISR empties; 9 without ELR (it needs the unfencing of B1 first).
    ("FencedBrokerNeverLeads", {}, {"crashes": 1, "slow_followers": 1}, "elect-fenced", 8),
    ("NoAckedWriteLost", {"acks": "1"}, {"crashes": 1, "isolations": 0}, None, 4),
    # Kafka 3.9: the first KRaft controller that reads unclean.leader.election.enable
    # (KAFKA-12670); the strict HW (KAFKA-15583, 3.7) makes the follower fetch r1 first.
    ("CommittedRecordsStay", {"acks": "1", "unclean.leader.election.enable": "true",
                              "process.roles": "broker"},
     {"controllers": 1, "crashes": 1, "slow_followers": 1, "version": "3.9"}, None, 7),
    ("ReplicasAgreeBelowHw", {}, {"records": 2, "isolations": 0, "leader_changes": 2},
     "fetch-ignores-epoch", 12),
    ("LeaderInIsr", {}, {"slow_followers": 1}, "stale-alter-partition", 7),
    ("HwWithinLeo", {"acks": "1", "min.insync.replicas": "1",
                     "unclean.leader.election.enable": "true", "process.roles": "broker"},
     {"brokers": 2, "controllers": 1, "crashes": 1, "slow_followers": 1, "version": "3.9"},
     "truncate-keeps-hw", 8),
]


@pytest.mark.parametrize("prop,settings,bounds,mutant,length", FAILING,
                         ids=[f[0] for f in FAILING])
def test_each_property_has_a_counterexample(prop, settings, bounds, mutant, length):
    config = {**SAFE, **settings}
    bounds = {"records": 1, "crashes": 0, "isolations": 1, **bounds}
    version = bounds.pop("version", None)
    if mutant is None:
        model = make_model("controller", config, kafka_version=version, **bounds)
    else:
        assert prop in load("controller")[("controller", mutant)].breaks
        model = make_mutant("controller", mutant, config, kafka_version=version, **bounds)
    result = breadth_first(model, [prop], max_seconds=600)
    violation = result.violation(prop)
    assert violation is not None
    assert len(violation.trace) == length


def test_the_controller_model_checks_kraft_releases_only():
    with pytest.raises(UsageError, match="KRaft clusters"):
        make_model("controller", {}, kafka_version="3.2")


def test_every_always_property_is_in_the_failing_table():
    model = make_model("controller", SAFE)
    always = {p.name for p in model.properties() if p.kind == "always"}
    assert always == {f[0] for f in FAILING}


def test_two_voters_tolerate_no_controller_failure():
    # With two voters the majority is two: after a crash nobody is elected and the
    # partition cannot fail over either (these 'sometimes' properties are never reached).
    model = make_model("controller", SAFE, controllers=2, records=0, crashes=1, isolations=0)
    result = breadth_first(model, ["ControllerFailsOver", "LeaderFailsOver"])
    assert result.complete and result.result == "never reached" and not result.violations
    assert {v.name for v in result.unreached} == {"ControllerFailsOver", "LeaderFailsOver"}


def test_a_crashed_controller_is_never_a_zombie_and_a_crashed_leader_never_acts():
    model = make_model("controller", SAFE, records=1, crashes=1, isolations=0)
    result = breadth_first(model, ["ZombieControllerMeetsSuccessor",
                                   "ZombieLeaderMeetsSuccessor"])
    assert result.complete and not result.violations
    assert {v.name for v in result.unreached} == {"ZombieControllerMeetsSuccessor",
                                                  "ZombieLeaderMeetsSuccessor"}


def test_a_restarted_broker_registers_catches_up_and_rejoins_the_isr():
    model = make_model("controller", SAFE, records=0, crashes=1, isolations=0, restarts=1)
    invariants = [p.name for p in model.properties() if p.kind == "always" and not p.vacuous]
    result = breadth_first(model, invariants, record_graph=True)
    assert result.result == "holds"
    for family in ("Register", "Unfence", "Restart"):
        assert result.coverage[family] > 0
    # B1 crashes, B2 takes over; B1 restarts, registers, catches up, is unfenced, and
    # leads again after a preferred-leader-free path: B2 crashing is not in the budget,
    # so B1 is back in the ISR as a follower (it rejoins through AlterPartition).
    assert any(st.parts[0].epoch >= 1 and st.brokers[0].phase == cm.RUNNING
               and st.alive == 7 and st.parts[0].isr == 7
               for st in result.graph.states.values())


def test_the_cli_reproduces_the_acks_1_counterexample(capsys):
    code = cli.main(["check", "controller", "--set", "acks=1", "--bound", "records=1",
                     "--bound", "crashes=0", "--bound", "isolations=1",
                     "--property", "DeposedLeaderAcksSurvive", "--no-diagram"])
    assert code == 1
    assert "Produce(r1, to B1)" in capsys.readouterr().out


def test_replication_factor_must_match_the_brokers():
    with pytest.raises(UsageError, match="use --bound brokers=2"):
        make_model("controller", {"replication.factor": "2"})
    assert make_model("controller", {"replication.factor": "2"}, brokers=2, controllers=1).n == 2


def test_combined_nodes_need_enough_brokers_for_the_controllers():
    with pytest.raises(UsageError, match="process.roles=broker"):
        make_model("controller", {}, brokers=2, controllers=3)


def test_a_follower_node_cut_off_leads_its_own_partition_as_a_zombie():
    # With two partitions B2 leads p1; cutting B2 off (with its voter C2) leaves C1 with a
    # majority: C1 fences B2 and moves p1, while B2 keeps acknowledging acks=1 writes.
    model = make_model("controller", {"acks": "1"}, partitions=2, **ISOLATED_LEADER)
    result = breadth_first(model, ["DeposedLeaderAcksSurvive"])
    trace = result.violation("DeposedLeaderAcksSurvive").trace
    assert [str(a) for a in trace.actions] == [
        str(a) for a in [("Isolate", "B2/C2"), ("Fence", "B2", "by C1"),
                         ("Produce", "r1", "to B2", "p1")]]


def test_acks_0_is_not_covered_by_the_controller_model():
    # A send the client counts as done may never reach a log (Sender completes acks=0
    # batches when they leave): this model does not explore such sends, so acks=0 runs
    # under the default and the result is not covered, never a plain holds.
    model = make_model("controller", {"acks": "0"}, brokers=1, controllers=1, crashes=1,
                       restarts=1, isolations=0)
    assert model.config.uncovered == {"acks": 0}
    assert model.acks == -1
    result = breadth_first(model, ["NoAckedWriteLost"])
    assert result.result != "holds"


@pytest.mark.parametrize("release,fenced_leader", [("4.0", True), ("4.1", False)])
def test_kafka_4_0_elects_a_fenced_last_known_leader_until_kafka_19522(release,
                                                                        fenced_leader):
    # With ELR on (opt-in in 4.0), canElectLastKnownLeader logged a fenced last known
    # leader and elected it anyway; 4.1 requires it to be unfenced.
    model = make_model("controller", {"min.insync.replicas": "2",
                                      "eligible.leader.replicas.version": "1",
                                      "process.roles": "broker"},
                       kafka_version=release, brokers=2, controllers=1, crashes=2, restarts=2,
                       isolations=0, records=1)
    result = breadth_first(model, ["FencedBrokerNeverLeads"])
    assert (result.violation("FencedBrokerNeverLeads") is not None) is fenced_leader


def _states(model) -> list:
    """Every state the model reaches within its bounds."""
    seen = {s: None for s in model.init_states()}
    todo = list(seen)
    while todo:
        for _action, nxt in model.successors(todo.pop()):
            if nxt not in seen and model.within_bounds(nxt):
                seen[nxt] = None
                todo.append(nxt)
    return list(seen)


def test_an_epoch_bumped_by_an_isr_shrink_is_no_failover():
    # On 3.4 an ISR shrink bumps the leader epoch (KAFKA-15021) with the leader unchanged:
    # LeaderFailsOver asks for another broker leading, so a controller that never elects
    # never reaches it, though its shrinks raise the epoch.
    model = make_mutant("controller", "no-election", SAFE, kafka_version="3.4", records=0,
                        crashes=1, isolations=0, slow_followers=1)
    result = breadth_first(model, ["LeaderFailsOver"])
    assert result.complete and result.result == "never reached"
    bumped = [s for s in _states(model)
              if any(part.epoch > 0 and part.leader == model.order[p][0]
                     for p, part in enumerate(s.parts))]
    assert bumped
    # the model as it is moves leadership
    fair = make_model("controller", SAFE, kafka_version="3.4", records=0, crashes=1,
                      isolations=0, slow_followers=1)
    assert "LeaderFailsOver" in breadth_first(fair, ["LeaderFailsOver"]).witnesses
