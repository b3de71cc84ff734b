"""--kafka-version: each release's rules and defaults, and verdicts that change with them.

The replication rule overrides (KIP-101, KIP-279, KAFKA-15583, ELR) are checked on both
sides in test_replication_guarantees.py; this file covers the version input itself and the
client defaults that changed between releases.
"""

from __future__ import annotations

import json

import pytest

from kafkacheck import cli
from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import versions
from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.settings import default_for
from kafkacheck.testing import make_model


def names(trace):
    return [a[0] for a in trace.actions]


@pytest.mark.parametrize("text,version", [("0.10", (0, 10)), ("3.6", (3, 6)), ("4.4", (4, 4))])
def test_kafka_release_numbers_parse(text, version):
    assert versions.parse(text) == version


@pytest.mark.parametrize("text,message", [
    ("4.9", "unknown Kafka version"), ("0.9", "unknown Kafka version"),
    ("3", "invalid Kafka version"), ("latest", "invalid Kafka version"),
])
def test_versions_outside_0_10_to_4_4_are_usage_errors(text, message):
    with pytest.raises(UsageError, match=message):
        make_model("replication", {}, kafka_version=text)


@pytest.mark.parametrize("version,rule", [
    ("0.10", pt.PartitionRules), ("0.11", pt.Kip101Truncation), ("2.0", pt.Kip279Truncation),
    ("2.0.1", pt.Kip279Truncation), ("2.1", pt.Kip320FetchEpoch), ("3.2", pt.Kip320FetchEpoch),
    ("3.3", pt.Kip841IneligibleReplicas), ("3.4", pt.Kip841IneligibleReplicas),
    ("3.5", pt.Kip903BrokerEpochs), ("3.6", pt.Kip903BrokerEpochs),
    ("3.7", pt.EffectiveMinIsr), ("4.4", pt.EffectiveMinIsr),
])
def test_each_release_takes_the_newest_rule_override_released_by_then(version, rule):
    cls = pt.rules_class(versions.parse(version), release=version)
    # before KAFKA-7415 and KAFKA-7128 (both 2.0.1): their one-rule overrides on top
    on_top = {"0.10": (pt.Before7128IsrJoin,),
              "0.11": (pt.Before7415, pt.Before7128IsrJoin),
              "2.0": (pt.Before7415, pt.Before7128IsrJoin)}.get(version, ())
    if on_top:
        assert cls.__mro__[1:len(on_top) + 2] == (*on_top, rule)
    else:
        assert cls is rule
    # every override is one subclass of the one before: the chain reads like EXTENDS
    assert issubclass(cls, pt.PartitionRules)


@pytest.mark.parametrize("version,older,newer", [("2.0", True, True), ("2.1", False, False),
                                                  ("4.4", False, False)])
def test_from_2_1_a_leader_serves_only_fetches_of_its_own_leader_epoch_kip_320(
        version, older, newer):
    # KIP-320: a fetch carries the follower's current leader epoch; Partition.getLocalLog
    # answers FENCED_LEADER_EPOCH to an older one and UNKNOWN_LEADER_EPOCH to a newer one.
    rules = make_model("replication", {}, kafka_version=version).rules
    assert rules.fetch_accepted(3, 3)
    assert rules.fetch_accepted(3, 2) is older
    assert rules.fetch_accepted(3, 4) is newer


def test_eligible_leader_replicas_are_a_feature_on_top_of_the_release_rules():
    cls = pt.rules_class((4, 4), elr=True)
    assert issubclass(cls, pt.EligibleLeaderReplicas) and issubclass(cls, pt.EffectiveMinIsr)


@pytest.mark.parametrize("name,values", [
    ("acks", {"2.8": 1, "3.0": -1}),
    ("enable.idempotence", {"2.8": False, "3.0": True}),
    ("retries", {"2.0": 0, "2.1": 2**31 - 1}),
    ("linger.ms", {"3.9": 0, "4.0": 5}),
    ("unclean.leader.election.enable", {"0.10": True, "0.11": False}),
    ("eligible.leader.replicas.version", {"4.0": 0, "4.1": 1}),
])
def test_defaults_that_changed_between_releases(name, values):
    for version, value in values.items():
        assert default_for(name, versions.parse(version)) == value


def test_before_3_0_the_producer_defaults_to_acks_1_and_loses_a_record_on_failover():
    # KIP-679 (3.0): acks=all and idempotence became the defaults.
    bounds = {"records": 1, "crashes": 1, "lost_responses": 0}
    settings = {"replication.factor": "2"}
    old = make_model("producer", settings, kafka_version="2.8", **bounds)
    assert old.acks == 1 and not old.idempotent
    trace = breadth_first(old, ["NoAckedRecordLost"]).violation("NoAckedRecordLost").trace
    assert names(trace) == ["Send", "Drain", "Append", "Receive", "Crash", "Fence"]
    new = make_model("producer", settings, kafka_version="3.2", **bounds)
    assert breadth_first(new, ["NoAckedRecordLost"]).result == "holds"


@pytest.mark.parametrize("version,duplicates", [
    ("2.0", False),  # retries=0 by default: nothing is sent twice
    ("2.1", True),   # retries=MAX_INT (KIP-91), idempotence off
    ("3.0", True),   # KAFKA-13598: the new default is applied only when set explicitly
    ("3.1", True),
    ("3.2", False),  # idempotence on by default
    ("4.4", False),
])
def test_default_producer_duplicates_a_retried_batch_until_idempotence_is_on(version,
                                                                             duplicates):
    model = make_model("producer", {}, kafka_version=version, records=1)
    violation = breadth_first(model, ["NoDuplicates"]).violation("NoDuplicates")
    assert (violation is not None) is duplicates
    if duplicates:
        assert names(violation.trace) == ["Send", "Drain", "Append", "Timeout", "Drain",
                                          "Append"]


def test_an_explicit_enable_idempotence_applies_in_3_0():
    model = make_model("producer", {"enable.idempotence": "true"}, kafka_version="3.0",
                       records=1)
    assert model.idempotent
    assert breadth_first(model, ["NoDuplicates"]).result == "holds"


def test_the_cli_prints_the_version_and_gives_the_verdict_of_that_release(capsys):
    # Power loss of the last ISR member: 4.0 (ELR off by default) loses the write, 4.1
    # (clusters formatted with ELR) does not.
    argv = ["check", "replication", "--set", "min.insync.replicas=2", "--set",
            "replication.factor=2", "--bound", "crash_kind=power-loss",
            "--property", "NoAckedWriteLost", "--no-diagram"]
    assert cli.main([*argv, "--kafka-version", "4.0"]) == 1
    out = capsys.readouterr().out
    assert "Kafka 4.0" in out.splitlines()[0]
    assert "PowerLoss(B1" in out
    assert cli.main([*argv, "--kafka-version", "4.1"]) == 0
    out = capsys.readouterr().out
    assert "Kafka 4.1" in out.splitlines()[0] and "eligible.leader.replicas" in out


def test_the_json_result_carries_the_version(capsys):
    # One property: with replication.factor=1 ReplicasAgreeBelowHw is not checked (exit 3).
    code = cli.main(["check", "replication", "--kafka-version", "2.0", "--bound", "records=1",
                     "--bound", "crashes=0", "--property", "NoAckedWriteLost", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["kafka_version"] == "2.0"
