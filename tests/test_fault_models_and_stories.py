"""Results name the faults they explored, and counterexamples tell their story without
crashing (issue 12): replication's properties lifted onto the controller, producer and
group states narrate on those models' traces."""

from __future__ import annotations

import pytest

from kafkacheck import cli
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster.replication import POWER_LOSS, PROCESS_CRASH
from kafkacheck.testing import make_model


def test_a_replication_check_explores_both_crash_kinds_by_default():
    fm = make_model("replication", {"acks": "all"}).fault_model()
    assert dict(fm.explored) == {PROCESS_CRASH: 1, POWER_LOSS: 1}
    assert "network partition (see the controller model)" in fm.not_explored


def test_a_process_crash_only_run_says_power_loss_was_not_explored():
    fm = make_model("replication", {}, crash_kind="process").fault_model()
    assert dict(fm.explored) == {PROCESS_CRASH: 1}
    assert POWER_LOSS in fm.not_explored


def test_the_producer_names_its_broker_crash_kinds():
    fm = make_model("producer", {}, crashes=1, crash_kind="any").fault_model()
    assert {PROCESS_CRASH, POWER_LOSS} <= dict(fm.explored).keys()
    fm = make_model("producer", {}).fault_model()
    assert {PROCESS_CRASH, POWER_LOSS} <= set(fm.not_explored)


def test_the_controller_says_power_loss_is_not_modelled():
    fm = make_model("controller", {}).fault_model()
    assert POWER_LOSS in fm.not_explored  # the render's warning points to replication


def test_the_deposed_leader_preset_tells_its_story(capsys):
    code = cli.main(["check", "controller-zombie-acks1", "--no-diagram"])
    out = capsys.readouterr().out
    assert code == 1
    assert "why: r1 was acknowledged at step" in out


def test_a_replication_property_on_the_producer_tells_its_story():
    settings = {"unclean.leader.election.enable": "true", "replication.factor": "2",
                "enable.idempotence": "false", "acks": "1"}
    model = make_model("producer", settings, records=1, crashes=1, lost_responses=0)
    violation = breadth_first(model, ["CommittedRecordsStay"]).violation("CommittedRecordsStay")
    story = violation.property.story(model, violation.trace)
    assert story.startswith("r0 was committed at offset 0")


@pytest.mark.parametrize("prop", ["NoAckedWriteLost", "CommittedRecordsStay"])
def test_a_replication_property_on_the_group_tells_its_story(prop):
    settings = {"acks": "1", "replication.factor": "2", "auto.offset.reset": "earliest",
                "unclean.leader.election.enable": "true"}
    model = make_model("group", settings, consumers=1, records=1, log="replicated")
    violation = breadth_first(model, [prop]).violation(prop)
    story = violation.property.story(model, violation.trace)
    assert story.startswith("r1 was ")
