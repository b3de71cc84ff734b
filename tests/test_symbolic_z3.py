"""Z3: what the replication guarantee rests on, proved for every cluster size."""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.symbolic import bounded_check, prove_inductive
from kafkacheck.model.cluster.replication_symbolic import encoding_for, replication_encoding
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}


def test_acks_all_clean_election_keeps_acked_writes_for_any_number_of_brokers_and_crashes():
    proof = prove_inductive(replication_encoding(acks=-1))
    assert proof.proved
    assert all(v == "proved" for v in proof.obligations.values())


def test_fsync_on_every_message_keeps_the_proof_under_power_loss():
    assert prove_inductive(replication_encoding(power_loss=True, flush_every_message=True)).proved


@pytest.mark.parametrize("options,breaking_action", [
    ({"acks": 1}, "Ack"),
    ({"unclean": True}, "UncleanElect"),
    ({"truncation": "high-watermark"}, "BecomeFollower"),
    ({"power_loss": True}, "PowerLoss"),
])
def test_each_unsafe_setting_breaks_induction_at_the_action_that_loses_data(options,
                                                                            breaking_action):
    proof = prove_inductive(replication_encoding(**options))
    assert not proof.proved
    failed = [name for name, v in proof.obligations.items() if v != "proved"]
    assert failed == [f"Inv /\\ {breaking_action} => Inv'"]


def test_a_transition_relation_that_can_never_fire_is_reported_not_proved():
    enc = replication_encoding()
    broken = enc.actions[0]
    enc.actions[0] = type(broken)(broken.name, broken.params,
                                  lambda pre, post, p: __import__("z3").BoolVal(False))
    proof = prove_inductive(enc)
    assert not proof.proved and "Produce is possible" in proof.obligations


@pytest.mark.parametrize("settings,bounds,violated", [
    ({"acks": "1", "replication.factor": "3"}, {}, True),
    ({**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"}, {}, True),
    (SAFE, {}, False),
])
def test_bounded_z3_search_agrees_with_breadth_first_search(settings, bounds, violated):
    model = make_model("replication", settings, crashes=1, **bounds)
    explicit = breadth_first(model, ["NoAckedWriteLost"]).violation("NoAckedWriteLost")
    symbolic = bounded_check(encoding_for(model), brokers=3, depth=8)
    assert (explicit is not None) == violated == symbolic.violated
