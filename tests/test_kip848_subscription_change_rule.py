"""KAFKA-19431 (4.2): a subscription change alone makes the coordinator revoke the
unsubscribed topics' partitions at once (CurrentAssignmentBuilder.updateCurrentAssignment);
4.0.0 to 4.1.2 leave the member's assignment as it is until a new target assignment
reaches it (build() returns the member in STABLE at the target epoch, and while it still
owns partitions pending revocation; read in kafka-group-coordinator 4.0.0, 4.0.2, 4.1.1,
4.1.2 and 4.2.0)."""

from __future__ import annotations

from kafkacheck.model import versions
from kafkacheck.model.clients.group_consumer import (
    STABLE,
    Before19431,
    CoordinatorRules,
    rules_of_release,
)
from kafkacheck.testing import make_model

BOUNDS = {"consumers": 1, "topics": 2, "partitions": 1, "subscription_changes": 1}


def test_the_rule_belongs_to_4_2_and_later():
    assert [v for v in ("4.0.2", "4.1.2", "4.2.0", "4.4") if versions.has_fix(v, "KAFKA-19431")
            ] == ["4.2.0", "4.4"]
    assert not rules_of_release("4.1.2")().strips_unsubscribed()
    assert rules_of_release("4.2")().strips_unsubscribed()


def test_a_stable_member_keeps_an_unsubscribed_topic_until_the_next_target():
    model = make_model("group-consumer", {}, kafka_version="4.2", **BOUNDS)
    state = next(iter(model.init_states()))
    record = state.records[0]._replace(present=True, epoch=state.assignment_epoch,
                                       state=STABLE, assigned=0b11, subscribed=0b01,
                                       target=0b11)
    stripped = model._reconcile_member(state, record, 0b11, True)
    assert (stripped.assigned, stripped.revoking) == (0b01, 0b10)  # 4.2: t1 revoked at once
    model.rules = Before19431()
    assert model._reconcile_member(state, record, 0b11, True) is record
    model.rules = CoordinatorRules()
    assert model._reconcile_member(state, record, 0b11, False) is record


def test_the_strip_moves_the_previous_epoch_from_4_3_only():
    # 4.3's updateCurrentAssignment calls updateMemberEpoch; 4.2's leaves previousMemberEpoch
    # (kafka-group-coordinator 4.2.1 and 4.3.0): 4.2 then still accepts a heartbeat at the
    # previous epoch after a lost response (session 30's KIP-848 review).
    model = make_model("group-consumer", {}, kafka_version="4.2", **BOUNDS)
    state = next(iter(model.init_states()))
    record = state.records[0]._replace(present=True, epoch=state.assignment_epoch,
                                       previous=state.assignment_epoch - 1, state=STABLE,
                                       assigned=0b11, subscribed=0b01, target=0b11)
    assert model._reconcile_member(state, record, 0b11, True).previous == record.previous
    model.rules = CoordinatorRules()  # 4.3 and later
    assert model._reconcile_member(state, record, 0b11, True).previous == record.epoch
