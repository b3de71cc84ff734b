"""Patch-release backports of modelled fixes: a release gets a fix's rule exactly when
versions.FIXES says it shipped the fix, patch releases included.

The backports recorded are the ones the Kafka mirror shows (a commit in a release tag);
fixes merged after the mirror's snapshot (4.1 and later, KIP-848 coordinator fixes) have no
backport recorded, so their older patch releases keep the rule from before the fix.
"""

from __future__ import annotations

import re

import pytest

from kafkacheck import cli
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import versions
from kafkacheck.model.clients import group_consumer as gc
from kafkacheck.model.cluster import partition as pt
from kafkacheck.testing import make_model


# (JIRA, release, has it): each backport's patch release and the one before it, from the
# mirror's release tags (git tag --contains of the cherry-picked commit).
@pytest.mark.parametrize("jira,release,fixed", [
    ("KAFKA-13598", "3.0", False), ("KAFKA-13598", "3.0.1", True),
    ("KAFKA-13598", "3.1", False), ("KAFKA-13598", "3.1.1", True),
    ("KAFKA-13759", "3.0.1", False), ("KAFKA-13759", "3.0.2", True),
    ("KAFKA-13759", "3.1", False), ("KAFKA-13759", "3.1.1", True),
    ("KAFKA-7415", "2.0", False), ("KAFKA-7415", "2.0.1", True),
    ("KAFKA-7415", "1.1.1", False),  # 68b1d49f4ea reached the 1.1 branch after 1.1.1
    ("KAFKA-7128", "2.0", False), ("KAFKA-7128", "2.0.1", True), ("KAFKA-7128", "1.1.1", False),
    ("KAFKA-6119", "0.11.0.1", False), ("KAFKA-6119", "0.11.0.2", True),
    ("KAFKA-6119", "1.0", True),
    ("KAFKA-8586", "2.2.1", False), ("KAFKA-8586", "2.2.2", True),
    ("KAFKA-8586", "2.3", False), ("KAFKA-8586", "2.3.1", True),
    ("KAFKA-8586", "2.1.1", False),  # on branch 2.1 only after its last release
    ("KAFKA-15021", "3.5.2", False), ("KAFKA-15021", "3.6", True),
    ("KAFKA-12670", "3.8.1", False), ("KAFKA-12670", "3.9", True),
    ("KAFKA-17632", "3.9.1", False), ("KAFKA-17632", "3.9.2", True),
])
def test_a_patch_release_has_a_fix_from_the_first_patch_it_was_backported_to(
        jira, release, fixed):
    assert versions.has_fix(release, jira) is fixed


@pytest.mark.parametrize("release", ["1.1.2", "2.1.2"])
def test_a_backport_after_a_line_s_last_release_reaches_no_made_up_patch_release(release):
    # KAFKA-7415/KAFKA-7128 (branch 1.1) and KAFKA-8586 (branch 2.1) were committed after
    # 1.1.1 and 2.1.1, the last releases of those lines: no later patch release exists.
    with pytest.raises(ValueError,
                       match=r"the newest \d\.\d release kafkacheck knows is \d\.\d\.1"):
        versions.parse(release)


@pytest.mark.parametrize("release,before", [
    ("4.0", True), ("4.0.1", True), ("4.0.2", True), ("4.1", False), ("4.1.1", False),
])
def test_elr_elects_a_fenced_last_known_leader_on_releases_without_kafka_19522(release,
                                                                                before):
    # No 4.0.x backport of KAFKA-19522 is recorded (the mirror predates it): every 4.0
    # patch release keeps canElectLastKnownLeader's fenced-leader election.
    cls = pt.rules_class(versions.parse(release), elr=True, release=release)
    assert issubclass(cls, pt.ElrBefore19522) is before
    assert issubclass(cls, pt.EligibleLeaderReplicas)


@pytest.mark.parametrize("release,rules", [
    ("4.0.1", gc.Kafka40Rules), ("4.1.1", gc.Kafka40Rules), ("4.2", gc.Kafka42Rules),
    ("4.2.2", gc.Kafka42Rules), ("4.3", gc.CoordinatorRules), ("4.3.2", gc.CoordinatorRules),
    ("4.4", gc.CoordinatorRules),
])
def test_the_kip_848_coordinator_rules_of_a_patch_release_are_its_minor_release_s(release,
                                                                                   rules):
    assert gc.rules_of_release(release) is rules


@pytest.mark.parametrize("release", ["4.0.2", "4.1.2"])
def test_4_0_2_and_4_1_2_have_kafka_19449_and_no_other_4_2_coordinator_fix(release):
    # CurrentAssignmentBuilder.computeNextAssignment gained the pending-revocation clause
    # in 4.0.2 and 4.1.2 (read in their kafka-group-coordinator sources jars); the epoch
    # after a revocation (KAFKA-19974) and the epoch-0 rejoin (KAFKA-19233) stayed as in
    # 4.0.0, and so did the subscription-change revocation (KAFKA-19431).
    rules = gc.rules_of_release(release)
    assert rules.unreleased is gc.CoordinatorRules.unreleased
    assert rules.epoch_after_revocation is gc.Before19974.epoch_after_revocation
    assert rules.rejoin_is_fenced is gc.Before19233.rejoin_is_fenced
    assert rules.strips_unsubscribed is gc.Before19431.strips_unsubscribed
    assert rules.stale_commit is gc.Before20066.stale_commit
    assert rules.name == ("before-KAFKA-19974+before-KAFKA-19233+before-KAFKA-19431"
                          "+before-KAFKA-20066")


def test_a_recorded_backport_of_kafka_19522_changes_only_the_patch_releases_with_it(
        monkeypatch):
    # The rule asks has_fix by JIRA, so one FIXES entry moves it: a (hypothetical) 4.0.2
    # backport leaves 4.0.1 electing a fenced last known leader and 4.0.2 not.
    monkeypatch.setitem(versions.FIXES, "KAFKA-19522", ((4, 1), (((4, 0), 2),)))
    monkeypatch.setattr(pt, "_CACHE", {})
    assert issubclass(pt.rules_class((4, 0), elr=True, release="4.0.1"), pt.ElrBefore19522)
    assert not issubclass(pt.rules_class((4, 0), elr=True, release="4.0.2"),
                          pt.ElrBefore19522)


def test_a_recorded_backport_of_kafka_20066_changes_only_that_rule(monkeypatch):
    # A (hypothetical) 4.1.1 backport of KIP-1251's commit check: 4.1.1 accepts a commit at
    # an epoch between the assignment epoch and the member's, and still fences an epoch-0
    # rejoin (KAFKA-19233 is not backported there).
    monkeypatch.setitem(versions.FIXES, "KAFKA-20066", ((4, 3), (((4, 1), 1),)))
    monkeypatch.setattr(gc, "_RELEASE_RULES", dict(gc._RELEASE_RULES))
    assert gc.rules_of_release("4.1") is gc.Kafka40Rules
    patched = gc.rules_of_release("4.1.1")
    assert patched.name == ("before-KAFKA-19974+before-KAFKA-19449+before-KAFKA-19233"
                            "+before-KAFKA-19431")
    assert patched.stale_commit is gc.CoordinatorRules.stale_commit
    assert patched.rejoin_is_fenced is gc.Before19233.rejoin_is_fenced


@pytest.mark.parametrize("release,fenced_leader", [("4.0.2", True), ("4.1", False)])
def test_kafka_4_0_2_still_elects_a_fenced_last_known_leader(release, fenced_leader):
    # The controller model of the release, patch number included: 4.0.2 (no KAFKA-19522
    # backport recorded) elects the fenced broker, 4.1 waits for an unfenced one.
    model = make_model("controller", {"min.insync.replicas": "2",
                                      "eligible.leader.replicas.version": "1",
                                      "process.roles": "broker"},
                       kafka_version=release, brokers=2, controllers=1, crashes=2, restarts=2,
                       isolations=0, records=1)
    result = breadth_first(model, ["FencedBrokerNeverLeads"])
    assert (result.violation("FencedBrokerNeverLeads") is not None) is fenced_leader


@pytest.mark.parametrize("release,verdict", [("4.2.1", 1), ("4.3", 0)])
def test_kafka_4_2_1_still_fences_a_commit_at_a_just_bumped_member_epoch(release, verdict,
                                                                         capsys):
    # The KIP-1251 scenario of test_versions_audit on a patch release: 4.2.1 (no
    # KAFKA-20066 backport recorded) answers STALE_MEMBER_EPOCH and the record is
    # processed twice; 4.3 accepts the commit.
    argv = ["check", "group-consumer", "--kafka-version", release, "--bound", "records=1",
            "--bound", "partitions=1", "--set", "enable.auto.commit=false", "--set",
            "auto.offset.reset=earliest", "--bound", "commit=sync-after-processing",
            "--bound", "closes=1", "--property", "AtMostOnce", "--no-diagram"]
    assert cli.main(argv) == verdict
    out = capsys.readouterr().out
    assert (re.search(r"CommitFailed\(C\d, STALE_MEMBER_EPOCH\)", out) is not None) is \
        (verdict == 1)
