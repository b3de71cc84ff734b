"""What the KIP-848 group model proves and refutes (`kafkacheck check group-consumer`).

Kafka 4.4's coordinator keeps one owner per partition through crashes, restarts, clean
leaves and static membership (SingleOwnerAtCoordinator); the pre-3.7.0 partition-epoch
bookkeeping (KAFKA-16147) does not; a paused or slow member, a lost heartbeat response
during a reconciliation, and the stale-reconciliation window (range at 2 consumers x 2
partitions, uniform from 3 x 3: tests/test_kip848_reconciliation_window.py) let two
consumers own a partition for a while; every property fails on a one-rule mutant.
"""

from __future__ import annotations

import subprocess
import sys

import mutants.group_consumer  # noqa: F401  (registers the mutants)
import pytest
from mutants import MUTANTS, make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.model.clients.group_consumer import FENCED_MEMBER_EPOCH, LEAVE_STATIC
from kafkacheck.properties.base import always_step
from kafkacheck.testing import make_model

CONSUMER = {"group.protocol": "consumer"}
SAFETY = ["SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce", "MemberEpochsNeverGoBack",
          "TargetAssignmentLegal", "StaleCommitsRejected"]


def check(settings=None, props=None, **bounds):
    model = make_model("group-consumer", {**CONSUMER, **(settings or {})}, **bounds)
    return model, breadth_first(model, props)


def witness(model, step):
    """The shortest trace to a transition where step(before, action, after) holds."""
    prop = always_step("Witness", "no such step", lambda s, a, t: not step(s, a, t))
    result = breadth_first(model, propset=PropertySet([prop], [], [prop], [], []))
    return result.violation("Witness").trace


def test_two_members_join_and_converge_with_one_owner_per_partition():
    _, result = check(props=[*SAFETY, "GroupConverges"])
    assert result.result == "holds"
    # 509 while the abstract Commit kept a never-read committer ghost (audit 848race, 3)
    assert result.distinct_states == 217


def test_crash_and_restart_keep_one_owner_per_partition_and_the_group_converges():
    # Uniform at 2 consumers x 2 partitions only: with 3 x 3 the stale-reconciliation window
    # gives a partition two owners (tests/test_kip848_reconciliation_window.py).
    _, result = check(props=[*SAFETY, "GroupConverges"], crashes=1, rejoins=1)
    assert result.result == "holds"
    # 7,529 while the abstract Commit kept a never-read committer ghost (audit 848race, 3)
    assert result.distinct_states == 2007


def test_range_assignor_keeps_one_owner_at_the_coordinator_through_a_leave_and_rejoin():
    _, result = check({"group.remote.assignor": "range"}, SAFETY, closes=1, rejoins=1)
    for prop in ("SingleOwnerAtCoordinator", "MemberEpochsNeverGoBack",
                 "TargetAssignmentLegal"):
        assert result.violation(prop) is None
    # The stale-reconciliation window, as Kafka's code has it (audit 848race): a partition
    # assigned to a member and revoked again before the member acknowledged it is released
    # at once (its heartbeat does not list it: CurrentAssignmentBuilder.
    # ownsRevokedPartitions), while the member's reconciliation still adds it
    # (maybeAbortReconciliation does not abort): two owners for a while, and the second
    # owner's commit at its current epoch is accepted.
    race = result.violation("NoTwoOwnersAtOnce").trace
    assert len(race.actions) == 22
    assert not {"LoseResponse", "Crash", "Pause"} & {a[0] for a in race.actions}
    assert len(result.violation("StaleCommitsRejected").trace.actions) == 20


def test_unfixed_partition_epoch_bookkeeping_assigns_a_partition_twice_kafka_16147():
    model, result = check(props=["SingleOwnerAtCoordinator"], rules="before-KAFKA-16147",
                          closes=1, rejoins=1)
    trace = result.violation("SingleOwnerAtCoordinator").trace
    assert len(trace.actions) == 11
    names = [a[0] for a in trace.actions]
    assert "Close" in names and "Restart" in names  # membership churn moves the partition
    _, fixed = check(props=["SingleOwnerAtCoordinator"], closes=1, rejoins=1)
    assert fixed.result == "holds"


@pytest.mark.parametrize("rules", ["before-KAFKA-19974", "before-KAFKA-19449",
                                   "before-KAFKA-19233"])
def test_the_other_historical_rules_keep_single_ownership(rules):
    _, result = check(props=["SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"], rules=rules,
                      crashes=1, rejoins=1)
    assert result.result == "holds"


def _fenced_rejoin(model):
    def step(s, a, t):
        if a[0] != "Heartbeat":
            return False
        i = model.index_of(a[1])
        return s.clients[i].epoch == 0 and t.clients[i].reply == FENCED_MEMBER_EPOCH
    return step


def test_a_rejoin_with_epoch_zero_was_fenced_before_kafka_19233():
    old = make_model("group-consumer", CONSUMER, rules="before-KAFKA-19233", lost_responses=2)
    names = [a[0] for a in witness(old, _fenced_rejoin(old)).actions]
    assert names.count("Heartbeat") >= 2 and names[-1] == "Heartbeat"
    new = make_model("group-consumer", CONSUMER, lost_responses=2)
    step = _fenced_rejoin(new)
    prop = always_step("NoFencedRejoin", "no epoch-0 heartbeat is fenced",
                       lambda s, a, t: not step(s, a, t))
    assert breadth_first(new, propset=PropertySet([prop], [], [prop], [], [])).result == "holds"


@pytest.mark.parametrize("release,joined,balanced", [
    # consumer-2 comes first in the HashMap order of the member ids.
    ("4.0", (0b001, 0b110), (0b010, 0b101)),
    ("4.0.1", (0b011, 0b100), (0b110, 0b001)),  # backported (kafka-group-coordinator 4.0.1)
    ("4.1", (0b011, 0b100), (0b110, 0b001)),
    ("4.4", (0b011, 0b100), (0b110, 0b001)),
])
def test_the_uniform_assignor_keeps_a_balanced_assignment_from_kafka_18688(
        release, joined, balanced):
    # UniformHomogeneousAssignmentBuilder.maybeRevokePartitions before KAFKA-18688 (PR
    # 19677, 4.0.1 and 4.1): the extra partition of 3 over 2 goes to the member iterated first,
    # consumer-2, whatever it holds. C2 joining C1 (all three) takes two, not one; and the
    # balanced C1 {p1, p2} / C2 {p0} moves p2 to C2.
    model = make_model("group-consumer", CONSUMER, kafka_version=release, partitions=3)
    assert model.target_assignment(((1, 0b111), (1, 0))) == joined
    assert model.target_assignment(((1, 0b110), (1, 0b001))) == balanced
    revoke = witness(model, lambda s, a, t: a[0] == "Reconcile" and "revoke" in str(a))
    assert revoke.actions[-1] == ("Reconcile", "C1", "revoke {p1, p2}" if release == "4.0"
                                  else "revoke {p2}")


def test_the_rules_bound_s_4_4_variants_have_the_kafka_18688_assignor_on_any_release():
    model = make_model("group-consumer", CONSUMER, kafka_version="4.0", partitions=3,
                       rules="4.4")
    assert model.target_assignment(((1, 0b110), (1, 0b001))) == (0b110, 0b001)


def test_a_paused_member_still_owns_its_partitions_after_the_coordinator_removed_it():
    _, result = check(props=["SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"], pauses=1)
    assert result.violation("SingleOwnerAtCoordinator") is None
    trace = result.violation("NoTwoOwnersAtOnce").trace
    names = [a[0] for a in trace.actions]
    assert "Pause" in names and "Expire" in names


def test_a_member_slow_to_revoke_is_fenced_and_still_holds_the_partition():
    _, result = check(props=["SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"],
                      rebalance_timeouts=1)
    assert result.violation("SingleOwnerAtCoordinator") is None
    assert "RebalanceTimeout" in [a[0] for a in result.violation("NoTwoOwnersAtOnce")
                                  .trace.actions]


def test_a_lost_response_during_reconciliation_lets_two_consumers_own_a_partition():
    # Model finding (to confirm on a cluster): after a failed heartbeat the client reports
    # its pre-reconciliation partitions in full, the coordinator releases a partition the
    # client is still adding, and a second member takes it.
    _, result = check(props=["SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"],
                      lost_responses=2)
    assert result.violation("SingleOwnerAtCoordinator") is None
    trace = result.violation("NoTwoOwnersAtOnce").trace
    assert len(trace.actions) == 11
    assert [a[0] for a in trace.actions].count("LoseResponse") == 1


def test_a_static_member_that_left_gets_its_partitions_back_without_a_rebalance():
    model = make_model("group-consumer", {**CONSUMER, "group.instance.id": "app"},
                       closes=1, rejoins=1)

    def back_without_bump(s, a, t):
        if a[0] != "Heartbeat":
            return False
        i = model.index_of(a[1])
        before = s.records[i]
        return (before.present and before.epoch == LEAVE_STATIC and before.assigned
                and t.records[i].assigned == before.assigned
                and t.group_epoch == s.group_epoch)

    trace = witness(model, back_without_bump)
    assert [a[0] for a in trace.actions][-3:] == ["Close", "Restart", "Heartbeat"]
    _, result = check({"group.instance.id": "app"}, SAFETY, closes=1, rejoins=1)
    assert result.result == "holds"


GROUP_CONSUMER_MUTANTS = [m for m in MUTANTS.values() if m.model == "group-consumer"]
MUTANT_BOUNDS = {"accept-stale-commits": {"pauses": 1},
                 "adopt-previous-epoch": {"lost_responses": 1},
                 "fetch-above-hw": {"records": 1, "hw_lag": 1, "partitions": 1},
                 "delete-on-commit": {"records": 1, "partitions": 1}}
MUTANT_TRACES = {"assign-unreleased": {"SingleOwnerAtCoordinator": 2, "NoTwoOwnersAtOnce": 6},
                 # A lasso: which fair cycle is reported follows the state fingerprints
                 # (the Budget's poll_timeouts field moved it from 19 steps to 33, and
                 # per-tuple digests in the fingerprint to 17, dropping the committer ghost
                 # to 15).
                 "never-release": {"GroupConverges": 15},
                 "accept-stale-commits": {"StaleCommitsRejected": 7},
                 "adopt-previous-epoch": {"MemberEpochsNeverGoBack": 9},
                 "assignor-duplicates": {"TargetAssignmentLegal": 2},
                 "fetch-above-hw": {"ConsumersReadBelowHw": 5},
                 "delete-on-commit": {"ConsumingNeverDeletes": 6}}


@pytest.mark.parametrize("entry", GROUP_CONSUMER_MUTANTS, ids=lambda m: m.name)
def test_every_property_fails_on_its_mutant(entry):
    model = make_mutant("group-consumer", entry.name, CONSUMER,
                        **MUTANT_BOUNDS.get(entry.name, {}))
    result = breadth_first(model, list(entry.breaks))
    for prop in entry.breaks:
        assert len(result.violation(prop).trace.actions) == MUTANT_TRACES[entry.name][prop]


def test_every_property_has_a_mutant_or_a_kafka_scenario_that_breaks_it():
    model = make_model("group-consumer", CONSUMER)
    broken = {p for m in GROUP_CONSUMER_MUTANTS for p in m.breaks}
    assert {p.name for p in model.properties() if p.kind != "sometimes"} <= broken


def test_cli_check_group_with_the_consumer_protocol_answers_with_the_kip848_model():
    run = subprocess.run([sys.executable, "-m", "kafkacheck.cli", "check", "group",
                          "--set", "group.protocol=consumer",
                          "--bound", "rules=before-KAFKA-16147", "--bound", "closes=1",
                          "--bound", "rejoins=1", "--property", "SingleOwnerAtCoordinator",
                          "--no-diagram"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "SingleOwnerAtCoordinator violated" in run.stdout
    assert "counterexample of 11 steps" in run.stdout
    assert "model group-consumer" in run.stdout.splitlines()[0]


def test_the_kip848_model_needs_no_setting_to_answer_for_group_protocol_consumer():
    from kafkacheck.config import UsageError, build_config
    from kafkacheck.model.clients.group_consumer import ConsumerProtocolGroupModel

    assert build_config(ConsumerProtocolGroupModel).kafka["group.protocol"] == "consumer"
    with pytest.raises(UsageError, match="group-consumer models group.protocol=consumer"):
        build_config(ConsumerProtocolGroupModel, settings=[("group.protocol", "classic")])
