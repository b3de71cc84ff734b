"""Z3: what the replication guarantee rests on, proved for every cluster size."""

from __future__ import annotations

import pytest
import z3

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.symbolic import (
    PROVED,
    SymbolicAction,
    bounded_check,
    prove_inductive,
    step_obligation,
)
from kafkacheck.model.cluster.replication_symbolic import encoding_for, replication_encoding
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}
NO_ELR = {"eligible.leader.replicas.version": "0"}


def test_acks_all_clean_election_keeps_acked_writes_for_any_number_of_brokers_and_crashes():
    proof = prove_inductive(replication_encoding(acks=-1))
    assert proof.proved
    assert all(v == PROVED for v in proof.obligations.values())


def test_fsync_on_every_message_keeps_the_proof_under_power_loss():
    assert prove_inductive(replication_encoding(power_loss=True, flush="every")).proved


def test_eligible_leader_replicas_keep_the_proof_under_process_crashes():
    assert prove_inductive(replication_encoding(elr=True)).proved


@pytest.mark.parametrize("options,breaking_action", [
    ({"acks": 1}, "Produce"),
    ({"unclean": True}, "UncleanElect"),
    ({"truncation": "high-watermark"}, "BecomeFollower"),
    ({"truncation": "kip101"}, "BecomeFollower"),
    ({"power_loss": True}, "PowerLoss"),
])
def test_each_unsafe_setting_breaks_induction_at_the_action_that_loses_data(options,
                                                                            breaking_action):
    proof = prove_inductive(replication_encoding(**options))
    assert not proof.proved
    assert proof.failed() == [step_obligation(breaking_action)]


def test_a_transition_relation_that_can_never_fire_is_reported_not_proved():
    enc = replication_encoding()
    broken = enc.actions[0]
    enc.actions[0] = SymbolicAction(broken.name, broken.params,
                                    lambda pre, post, p, dom: z3.BoolVal(False))
    proof = prove_inductive(enc)
    assert not proof.proved and "Produce is possible" in proof.obligations


@pytest.mark.parametrize("settings,bounds,violated", [
    ({"acks": "1", "replication.factor": "3", **NO_ELR}, {"crash_kind": "process"}, True),
    ({**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true", **NO_ELR},
     {"crash_kind": "process"}, True),
    pytest.param(SAFE, {"crash_kind": "process"}, False, marks=pytest.mark.thorough),
])
def test_bounded_z3_search_agrees_with_breadth_first_search(settings, bounds, violated):
    model = make_model("replication", settings, crashes=1, **bounds)
    explicit = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost")
    symbolic = bounded_check(encoding_for(model), brokers=3, depth=8,
                             budgets={"crashes": 1})
    assert (explicit is not None) == violated == symbolic.violated
