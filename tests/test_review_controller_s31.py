"""review and the cluster's feature levels, which no .properties file shows (session 31's
controller review)."""

from __future__ import annotations

import pytest
from review_files import review_json


def _power(tmp_path, capsys, topic: str, release: str = "4.4") -> dict:
    data = review_json(tmp_path, capsys, {"topic:topic.properties": topic}, "--no-fix",
                       "--kafka-version", release)
    return next(g for g in data["guarantees"] if g["id"] == "acked-writes-survive-power-loss")


def test_a_power_loss_holds_that_rests_on_assumed_elr_is_not_covered(tmp_path, capsys):
    # Was HOLDS (exit 0) with only an "assumed:" line: a cluster upgraded from before 4.1
    # keeps eligible.leader.replicas.version=0, and then the ISR's last member comes back
    # empty after a power loss and is elected (11 steps).
    power = _power(tmp_path, capsys, "replication.factor=3\nmin.insync.replicas=2\n")
    assert power["verdict"] == "not covered"
    assert power["reason"].startswith("holds only as assumed: eligible.leader.replicas."
                                      "version=1 is assumed (clusters formatted by Kafka 4.1 "
                                      "or later)")
    assert "with eligible.leader.replicas.version=0 NoAckedWriteLost is violated (a " \
           "counterexample of 11 steps: kafkacheck check replication " in power["reason"]


def test_a_power_loss_that_holds_at_both_feature_levels_holds(tmp_path, capsys):
    power = _power(tmp_path, capsys, "replication.factor=3\nmin.insync.replicas=2\n"
                   "flush.messages=1\n")
    assert power["verdict"] == "holds"


def test_a_dynamic_quorum_leaves_the_replication_guarantees_covered(tmp_path, capsys):
    # Was NOT COVERED for all four: the replication model's controller is one correct step
    # whatever its quorum; only the controller model runs a voter set (a static one).
    data = review_json(tmp_path, capsys, {
        "broker.properties": "process.roles=broker\nnode.id=4\ncontroller.quorum.bootstrap."
                             "servers=c1:9093\ncontroller.listener.names=CONTROLLER\n",
        "topic:topic.properties": "replication.factor=3\nmin.insync.replicas=2\n"
                                  "flush.messages=1\n"}, "--no-fix")
    verdicts = {g["id"]: g["verdict"] for g in data["guarantees"]}
    assert verdicts == {"acked-writes-survive-crash": "holds",
                        "acked-writes-survive-elections": "holds",
                        "acked-writes-survive-power-loss": "holds",
                        "deposed-leader": "not covered"}
    deposed = next(g for g in data["guarantees"] if g["id"] == "deposed-leader")
    assert "controller.quorum.bootstrap.servers=c1:9093" in deposed["reason"]


@pytest.mark.thorough  # slow (session 32's 10-minute budget)
def test_a_fix_that_holds_only_with_assumed_elr_is_named_so_and_the_search_goes_on(
        tmp_path, capsys):
    # acks=all was "the fix" for a power loss on 4.4: it holds only with ELR on.
    data = review_json(tmp_path, capsys, {
        "producer.properties": "acks=1\n",
        "topic:topic.properties": "replication.factor=3\nmin.insync.replicas=2\n"},
        "--max-seconds", "300")
    power = next(g for g in data["guarantees"] if g["id"] == "acked-writes-survive-power-loss")
    assert power["verdict"] == "violated"
    assert power["fix"] == {"acks": "all", "flush.messages": "1"}
    [conditional] = power["conditional_fixes"]
    assert conditional["changes"] == {"acks": "all"}
    assert conditional["reason"].startswith("holds only as assumed: eligible.leader.replicas."
                                            "version=1 is assumed")
