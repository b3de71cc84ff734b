"""The KRaft controller remembers a partition's last known leader (KIP-966, ELR) by its
release's rule: 4.0.0 to 4.1.0 when the ISR empties under a leader, 4.1.1 and 4.2+ when the
partition loses its leader and none is remembered (PartitionChangeBuilder
.maybeUpdateLastKnownLeader, PR #20629; read in the kafka-metadata sources jars)."""

from typing import NamedTuple

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import versions
from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster.partition import NO_LEADER
from kafkacheck.testing import make_model

ELR = {"eligible.leader.replicas.version": "1", "acks": "all", "replication.factor": "3",
       "min.insync.replicas": "2"}


class Part(NamedTuple):
    """What a partition change reads (pt.Leadership)."""

    leader: int
    isr: int
    elr: int
    last_leader: int


def _part(leader: int, isr: int, last: int) -> Part:
    return Part(leader, isr, 0, last)


def _rules(release: str) -> pt.PartitionRules:
    cls = pt.rules_class(versions.parse(release), elr=True, release=release)
    return cls(3, 2, -1, 2**63 - 1, False)


@pytest.mark.parametrize("release,fixed", [
    ("4.0", False), ("4.0.2", False), ("4.1", False), ("4.1.1", True), ("4.1.2", True),
    ("4.2", True), ("4.4", True)])
def test_the_releases_with_the_newer_rule(release, fixed):
    assert versions.has_fix(release, "PR #20629") is fixed
    cls = pt.rules_class(versions.parse(release), elr=True, release=release)
    assert issubclass(cls, pt.ElrBefore20629) is not fixed


def test_losing_the_leader_with_members_left_in_the_isr_is_remembered_from_4_1_1():
    # The leader (broker 0) goes while broker 1 stays in the ISR but cannot lead: 4.1.1
    # remembers broker 0, 4.1.0 remembers only when the ISR itself empties.
    part = _part(leader=0, isr=0b011, last=NO_LEADER)
    new, old = _rules("4.4"), _rules("4.1")
    assert new.last_known_leader(part, NO_LEADER, 0b010) == 0
    assert old.last_known_leader(part, NO_LEADER, 0b010) == NO_LEADER
    # Both remember the leader when the ISR empties, and drop it once a leader is elected.
    assert new.last_known_leader(part, NO_LEADER, 0) == 0
    assert old.last_known_leader(part, NO_LEADER, 0) == 0
    assert new.last_known_leader(_part(NO_LEADER, 0, 0), 1, 0b010) == NO_LEADER
    assert old.last_known_leader(_part(NO_LEADER, 0, 0), 1, 0b010) == NO_LEADER


@pytest.mark.parametrize("release", ["4.1", "4.1.1"])
def test_two_crashes_reach_the_same_states_under_either_rule(release):
    # The rules differ only when a partition loses its leader with members left in its ISR
    # that cannot lead.  The controller accepts any unfenced ISR member, crashed or not
    # (ClusterControlManager.isActive), and fencing removes a broker from every ISR it is
    # not the last member of, so within these bounds that state is never reached.
    model = make_model("replication", ELR, kafka_version=release, records=1, crashes=2,
                       crash_kind="process")
    result = breadth_first(model, [p.name for p in model.properties()
                                   if p.kind != "eventually"])
    assert (result.result, result.distinct_states) == ("holds", 18_272)
