"""The Z3 encoding is tied to the explicit replication model, not written beside it.

For small configurations, every reachable transition of the explicit model is mapped
through the abstraction function (``replication_symbolic.abstract``, one tracked record
at a time) and must be a stutter or be allowed by the symbolic relation of the action of
the same name; every reachable abstract state must be well formed, and satisfy every clause
of the inductive invariant wherever the proof goes through.  A mutant's transitions do not
fit, and ``prove`` refuses mutants outright.

The converse is coverage, not equality: every symbolic action is exercised by some explicit
transition, and every explicit initial state maps into the symbolic Init.  The relations
over-approximate (a Fetch with nothing to fetch, a ShrinkIsr of a follower that is not
lagging, any HW from a checkpoint), which keeps a proof sound and makes a step-by-step
converse false by design.
"""

from __future__ import annotations

import pytest
from mutants import load, make_mutant

from kafkacheck.config import UsageError
from kafkacheck.explorer.symbolic import prove_inductive
from kafkacheck.model.cluster.replication_symbolic import (
    check_abstraction,
    coverage,
    flags_for,
    refusal,
)
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
NO_ELR = {"eligible.leader.replicas.version": "0"}
PROCESS = {"crashes": 1, "records": 1, "crash_kind": "process"}

# (settings, bounds, reachable states, the symbolic actions some transition must exercise)
SMALL = [
    pytest.param({"acks": "all", "replication.factor": "2"},
                 {"crashes": 2, "records": 1, "crash_kind": "process"}, 1082,
                 {"Produce", "Ack", "Crash", "Fence", "Restart", "LastLeaderElect"},
                 id="kafka-4.4-defaults-elr-min-isr-1-two-crashes"),
    pytest.param({**SAFE, "replication.factor": "2"}, {"crashes": 1, "records": 2}, 1731,
                 {"Produce", "Ack", "Fetch", "BecomeFollower", "ShrinkIsr", "ExpandIsr",
                  "Crash", "PowerLoss", "Fence", "Restart"}, id="rf2-crash-any-2-records"),
    pytest.param({**SAFE, "replication.factor": "2"},
                 {"crashes": 1, "records": 1, "partitions": 2}, 1181,
                 {"Produce", "Fetch", "BecomeFollower", "Crash", "PowerLoss", "Restart"},
                 id="rf2-two-partitions"),
    # acks=0: a leader may crash or lose power before it reads a request the client counts
    # as sent (ReplicationModel._crash_before_read): Crash and PowerLoss relations allow it.
    pytest.param({"acks": "0", "replication.factor": "2"},
                 {"crashes": 1, "records": 1, "crash_kind": "any"}, 154,
                 {"Produce", "Crash", "PowerLoss", "Fence", "Restart"}, id="acks0-crash-unread"),
]
THOROUGH = [
    pytest.param(SAFE, PROCESS, 2582,
                 {"Produce", "Ack", "Fetch", "BecomeFollower", "ShrinkIsr", "ExpandIsr",
                  "Crash", "Fence", "Restart"}, id="acks-all-process-crash"),
    pytest.param({**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true",
                  **NO_ELR}, PROCESS, 2692, {"UncleanElect", "Elect"}, id="unclean"),
    pytest.param({**SAFE, "flush.messages": "1"}, {**PROCESS, "crash_kind": "power-loss"},
                 2582, {"PowerLoss"}, id="fsync-every-message"),
    pytest.param({"acks": "1", "replication.factor": "3", **NO_ELR}, {**PROCESS, "lost_acks": 1},
                 2663, {"Produce"}, id="acks1-lost-response"),
    pytest.param({"acks": "0", "replication.factor": "3", **NO_ELR}, {**PROCESS, "lost_acks": 1},
                 1412, {"Produce"}, id="acks0-lost-request"),
    pytest.param({**SAFE, "eligible.leader.replicas.version": "0"},
                 {**PROCESS, "leader_changes": 1, "crashes": 0}, 1563, {"MoveLeader"},
                 id="no-elr-leader-move"),
    # A bounce is ZooKeeper's (KRaft brokers leave their ISRs as they register again):
    # 3.4 is the last ZooKeeper release whose rules prove encodes.
    pytest.param(SAFE, {**PROCESS, "bounces": 1, "crashes": 0, "kafka_version": "3.4"}, 567,
                 {"Bounce"}, id="bounce"),
    pytest.param({**SAFE, "replication.factor": "2", "flush.messages": "2"},
                 {"crashes": 1, "records": 2, "crash_kind": "power-loss"}, 1240,
                 {"PowerLoss", "Produce"}, id="fsync-every-second-message"),
    pytest.param({**SAFE, "replication.factor": "2"},
                 {"crashes": 1, "records": 1, "truncation": "kip101", "bounces": 1,
                  "kafka_version": "3.4"}, 646,
                 {"Bounce", "BecomeFollower", "PowerLoss"}, id="kip101-bounce"),
]


def _assert_fits(settings, bounds, states, exercised):
    bounds = dict(bounds)
    model = make_model("replication", settings, kafka_version=bounds.pop("kafka_version", None),
                       **bounds)
    report = check_abstraction(model)
    assert report.complete and report.states == states
    assert report.bad_init == 0 and report.property_disagrees == 0
    assert report.mismatched == 0, report.mismatches
    assert report.illformed == []
    assert exercised <= set(report.matched)
    if prove_inductive(coverage(model).encoding()).proved:
        assert report.broken == {}


@pytest.mark.parametrize("settings,bounds,states,exercised", SMALL)
def test_every_explicit_transition_is_a_symbolic_transition_of_the_same_action(
        settings, bounds, states, exercised):
    _assert_fits(settings, bounds, states, exercised)


@pytest.mark.thorough
@pytest.mark.parametrize("settings,bounds,states,exercised", THOROUGH)
def test_every_explicit_transition_fits_over_more_configurations(settings, bounds, states,
                                                                 exercised):
    _assert_fits(settings, bounds, states, exercised)


@pytest.mark.thorough
@pytest.mark.parametrize("truncation", ["kip101", "high-watermark"])
def test_older_truncation_rules_fit_their_own_weaker_relations(truncation):
    model = make_model("replication", SAFE, **PROCESS, truncation=truncation)
    report = check_abstraction(model, invariant=False)
    assert report.complete and report.mismatched == 0 and report.illformed == []
    assert report.matched["BecomeFollower"] > 0


def test_reachable_states_of_an_unsafe_configuration_break_the_invariant_it_cannot_prove():
    # acks=1 acknowledges before followers copy r: the committed-record clauses fail on
    # reachable states, the check of the invariant is not vacuous.
    model = make_model("replication", {"acks": "1", "replication.factor": "2",
                                       "min.insync.replicas": "2"},
                       crashes=1, records=1, crash_kind="process")
    report = check_abstraction(model)
    assert report.states == 97 and report.violating == 5
    assert report.mismatched == 0 and report.property_disagrees == 0
    assert "once r is committed, every ISR/ELR member and the last leader hold it" \
        in report.broken


@pytest.mark.parametrize("mutant,action", [
    ("hw-ignores-isr", "Produce"),
    ("skip-truncation", "BecomeFollower"),
    ("stale-fetch-state", "Restart"),
])
def test_a_mutant_model_does_not_fit_the_encoding_of_the_released_rules(mutant, action):
    settings, bounds = {**SAFE, "replication.factor": "2"}, PROCESS
    model = make_mutant("replication", mutant, settings, **bounds)
    clean = flags_for(make_model("replication", settings, **bounds))
    report = check_abstraction(model, clean, invariant=False)
    assert report.mismatched > 0
    assert report.mismatches[0][0].split()[0] == action


def test_prove_refuses_every_mutant_of_the_replication_model():
    mutants = [m for (model, _), m in load("replication").items() if model == "replication"]
    assert len(mutants) >= 8
    for m in mutants:
        model = make_mutant("replication", m.name, SAFE, crashes=1)
        assert "not encoded" in refusal(model)
        with pytest.raises(UsageError):
            coverage(model).encoding()
