"""Two processes started with the same group.instance.id (KIP-345 static membership).

The coordinator gives the membership to the newer process without a rebalance
(ClassicGroup static join with an unknown member id: updateStaticMember) and fences the
old member id: its next heartbeat, join, sync or commit gets FENCED_INSTANCE_ID, which is
fatal to it (a JoinGroup or SyncGroup pending when it was fenced is answered so at once).
Until then both processes believe they own the partition, so both read it; the fencing
keeps the old one's offset commits out.
"""

from __future__ import annotations

import pytest
from mutants import make_mutant

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.group import DUPLICATE_INSTANCE
from kafkacheck.testing import make_model

STATIC = {"group.instance.id": "app", "auto.offset.reset": "earliest"}
TWINS = {"consumers": 1, "records": 1, "duplicate_instances": 1}
TAKEOVER = [("Join", "C1"), ("Start", "C2", "group.instance.id app-1"), ("InitialRebalance",),
            ("Sync", "C1", "{p0}"), ("Join", "C2", "fences C1", "static member, no rebalance"),
            ("Sync", "C2", "{p0}")]
PROPS = ["NoTwoOwnersAtOnce", "NoConcurrentProcessing", "CommitsFromCurrentGeneration",
         "AtLeastOnce"]


def labels(result, name):
    return [tuple(a) for a in result.violation(name).trace.actions]


def test_the_newer_instance_takes_over_and_both_read_the_partition_until_the_old_is_fenced():
    model = make_model("group", STATIC, **TWINS)
    result = breadth_first(model, PROPS)
    assert labels(result, "NoTwoOwnersAtOnce") == TAKEOVER
    assert labels(result, "NoConcurrentProcessing") == [
        *TAKEOVER, ("Produce", "p0", "offset 0"),
        ("Poll", "C1", "p0", "offset 0", "reset earliest"),
        ("Poll", "C2", "p0", "offset 0", "reset earliest")]
    # Fencing keeps the old instance's commits out, and nothing is committed unread.
    # (and records are processed: the delivery properties' witness is reached)
    assert [result.verdict(p) for p in result.properties][2:] == ["holds", "holds", "holds"]
    assert result.properties[-1].name == "SomeRecordProcessed"
    # (357 until a fenced C1 was told FENCED_INSTANCE_ID on its SyncGroup and JoinGroup
    # and stopped, as Kafka's ClassicGroup.validateMember answers: it used to get
    # UNKNOWN_MEMBER_ID, rejoin and fence C2 back, states Kafka never reaches)
    assert result.complete and result.distinct_states == 291
    assert result.coverage["HeartbeatFailed"] > 0
    assert (DUPLICATE_INSTANCE, 1) in model.fault_model().explored


def test_one_instance_per_group_instance_id_cannot_have_two_owners():
    # One process: the ownership properties cannot fail, so they are not checked (s22);
    # nor can the commit check, with no member dropped while it runs on (s23).
    result = breadth_first(make_model("group", STATIC, consumers=1, records=1), PROPS)
    assert result.result == "incomplete" and result.distinct_states == 17
    assert set(result.unchecked()) == {"NoTwoOwnersAtOnce", "NoConcurrentProcessing",
                                       "CommitsFromCurrentGeneration"}


def test_without_fencing_the_old_instance_commits_over_the_new_one():
    model = make_mutant("group", "accept-stale-commits", STATIC, **TWINS)
    result = breadth_first(model, ["CommitsFromCurrentGeneration"])
    assert labels(result, "CommitsFromCurrentGeneration")[-2:] == [
        ("Join", "C2", "fences C1", "static member, no rebalance"), ("AutoCommit", "C1")]


def test_with_commit_sync_the_fenced_instances_commits_are_refused_too():
    manual = {**STATIC, "enable.auto.commit": "false"}
    result = breadth_first(make_model("group", manual, commit="sync-after-processing",
                                      **TWINS), PROPS)
    assert result.verdict(result.properties[2]) == "holds"
    assert result.complete and result.distinct_states == 193  # (237 with the ping-pong)


def test_a_duplicate_instance_needs_static_members():
    with pytest.raises(UsageError, match="group.instance.id"):
        make_model("group", {}, duplicate_instances=1)
