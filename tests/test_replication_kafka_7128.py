"""KAFKA-7128 (fixed in 2.0.1 and 2.1): before it, Partition.maybeExpandIsr added a follower
once its fetch offset reached the leader's HW, without the start of the leader's epoch.  A
new leader learns the HW one fetch late, and a fetch response carries at most
replica.fetch.max.bytes, so a follower holding only part of the committed records joined
the ISR and could be elected: an acknowledged write is lost.  The replication model shows
it with fetch responses that carry only the next batch or are lost after the leader
processed the request (``--bound fetch``), explored by default on the releases without the
fix."""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import versions
from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.presets import PRESETS
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}
BOUNDS = {"crashes": 1, "leader_changes": 1, "crash_kind": "process"}
# 12 steps: B2 leads with a lagging HW (0) while r1 is committed on B1 and B2; B3 fetches
# from 0, B2 records the fetch offset (and adds B3 to the ISR: 0 >= HW 0) but the response
# is lost (ReplicaManager.fetchMessages updates the follower's state before it answers);
# B1 leaves the ISR, B2 crashes, B3 leads without r1 (session 31's old-releases review:
# with responses that always arrive this held).  Partial responses (FetchOneBatch) lose
# it too, in 13 steps with two records.
LOSS = [("Produce", "r1"), ("Fetch", "B2"), ("Fetch", "B2"), ("ShrinkIsr", "B3"),
        ("Ack", "r1"), ("MoveLeader", "B2"), ("BecomeFollower", "B3", "truncate to 0"),
        ("FetchResponseLost", "B3"), ("ExpandIsr", "B3"), ("ShrinkIsr", "B1"),
        ("Crash", "B2"), ("Fence", "B2")]


def _run(version: str, **bounds: object):
    model = make_model("replication", SAFE, kafka_version=version, **{**BOUNDS, **bounds})
    return breadth_first(model, ["NoAckedWriteLost"])


@pytest.mark.parametrize("version", ["0.11", "1.0", "1.1"])  # 2.0: the preset below
def test_before_kafka_7128_a_follower_missing_a_committed_record_joins_and_leads(version):
    result = _run(version)
    assert result.result == "violated"
    assert result.violation("NoAckedWriteLost").trace.actions == LOSS


def test_the_preset_is_that_loss_on_2_0():
    preset = PRESETS["replication-kafka-7128"]
    assert (preset.kafka_version, preset.properties) == ("2.0", ("NoAckedWriteLost",))
    assert (preset.settings, preset.bounds) == ({**SAFE, "unclean.leader.election.enable":
                                                 "false"}, BOUNDS)
    model = make_model("replication-kafka-7128")
    result = breadth_first(model, list(preset.properties))
    assert result.result == "violated"
    assert result.violation("NoAckedWriteLost").trace.actions == LOSS


def test_the_fix_in_2_0_1_holds_with_one_batch_fetch_responses():
    # The backport (2.0.1) has the leader-epoch start check: the same bounds, with partial
    # fetch responses explored, hold exhaustively.
    result = _run("2.0.1", fetch="one-batch")
    assert (result.result, result.complete) == ("holds", True)
    assert result.coverage["FetchOneBatch"] > 0 and result.coverage["ExpandIsr"] > 0
    assert result.coverage["FetchResponseLost"] > 0


@pytest.mark.thorough  # (5 s; the fix itself is checked on 2.0.1 above, the fetch default
# of 2.1 by test_fetch_version_explores_one_batch_responses_exactly_where_the_fix_is_missing)
def test_2_1_holds_with_its_default_whole_suffix_fetches():
    result = _run("2.1")
    assert (result.result, result.complete, result.distinct_states) == ("holds", True, 225915)
    assert "FetchOneBatch" not in result.coverage


def test_whole_suffix_fetches_hide_the_loss_on_2_0_and_say_so():
    # The abstraction's effect: with every response carrying the whole suffix, 2.0's join
    # rule admits only followers that hold everything, and the run says what it left out.
    result = _run("2.0", fetch="whole")
    assert (result.result, result.complete) == ("holds", True)
    assert any(note.startswith("fetch=whole: fetch responses always carry everything")
               and "NOT explored" in note for note in result.model.notes())


@pytest.mark.parametrize("release,one_batch", [
    ("0.10", True), ("0.11", True), ("1.1", True), ("2.0", True), ("2.0.1", False),
    ("2.1", False), ("3.9", False), ("4.4", False)])
def test_fetch_version_explores_one_batch_responses_exactly_where_the_fix_is_missing(
        release, one_batch):
    model = make_model("replication", SAFE, kafka_version=release)
    assert model.one_batch is one_batch
    assert ("FetchOneBatch" in model.action_families()) is one_batch
    rules = pt.rules_class(versions.parse(release), release=release)
    assert issubclass(rules, pt.Before7128IsrJoin) is one_batch


def _partition(rules: pt.PartitionRules) -> pt.PartitionState:
    """B2 (index 1) leads epoch 1 with r1, r2 from epoch 0 and an HW still at 0; B3 (index
    2), out of the ISR, fetched at offset 0 and holds r1 only."""
    e = (pt.entry(0, 1), pt.entry(0, 2))
    part = rules.initial(1)
    return part._replace(epoch=1, isr=0b011, logs=(e, e, e[:1]), hws=(2, 0, 0),
                         remote=(2, 2, 0))


def test_the_join_rules_before_and_after_kafka_7128():
    before = pt.rules_class((2, 0), release="2.0")(3, 2, -1, pt.NEVER, False)
    after = pt.rules_class((2, 0), release="2.0.1")(3, 2, -1, pt.NEVER, False)
    part = _partition(after)
    # 2.0.0 (Partition.maybeExpandIsr): fetch offset 0 >= leader HW 0 is enough.
    assert before.may_join_isr(part, 2) is True
    # 2.0.1: the fetch offset must also reach the leader epoch's start offset (2).
    assert after.may_join_isr(part, 2) is False
    assert after.may_join_isr(part._replace(remote=(2, 2, 2)), 2) is True


def test_a_one_batch_fetch_carries_the_next_record_only():
    rules = pt.rules_class((4, 4))(3, 2, -1, pt.NEVER, False)
    part = _partition(rules)._replace(logs=((pt.entry(0, 1), pt.entry(0, 2)),) * 2 + ((),))
    one = rules.fetch_one_batch(part, 2)
    assert one is not None
    assert (one.logs[2], one.hws[2], one.remote[2]) == ((pt.entry(0, 1),), 0, 0)
    # One entry missing: the whole response is the same, so no separate step.
    assert rules.fetch_one_batch(one, 2) is None
    assert rules.fetch(one, 2).logs[2] == part.logs[1]
