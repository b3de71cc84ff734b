"""A property that cannot fail under the bounds is never reported as holding.

With ``records=0`` nothing is ever written, so "no acknowledged write is lost" or "at
least once" is true of every state: such a run printed HOLDS, exit 0 (a vacuous proof
that `prove` already refused).  Every engine now reports those properties *not checked*
(exit 3), with the reason; the properties that do not depend on records keep their
verdicts.
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.simulate import simulate
from kafkacheck.explorer.stateful import NotChecked, machine_for
from kafkacheck.testing import make_model


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_no_acknowledged_write_lost_is_not_checked_when_nothing_is_written(capsys):
    code, out = _run(capsys, "check", "replication", "--bound", "records=0")
    assert code == 3 and "HOLDS" not in out
    assert "[ not checked ] NoAckedWriteLost" in out and "[    holds    ] LeaderInIsr" in out
    assert "(records=0: nothing is ever written, so this property cannot fail)" in out


def test_the_controller_properties_still_hold_with_no_records(capsys):
    code, out = _run(capsys, "check", "controller", "--bound", "records=0", "--bound",
                     "crashes=0", "--property", "OneActiveControllerPerEpoch")
    assert code == 0 and "HOLDS" in out
    code, out = _run(capsys, "check", "controller", "--bound", "records=0", "--bound",
                     "crashes=0", "--property", "DeposedLeaderAcksSurvive")
    assert code == 3 and "[ not checked ] DeposedLeaderAcksSurvive" in out


def test_delivery_guarantees_are_not_checked_without_records_ownership_ones_are():
    result = breadth_first(make_model("group", records=0, crashes=1))
    verdicts = {p.name: result.verdict(p) for p in result.properties}
    assert result.result == "incomplete"
    assert verdicts["AtLeastOnce"] == verdicts["AllRecordsProcessed"] == "not checked"
    assert verdicts["NoTwoOwnersAtOnce"] == verdicts["OneOwnerPerGeneration"] == "holds"


def test_every_engine_reports_a_vacuous_property_not_checked():
    model = make_model("replication", records=0)
    result = simulate(model, ["NoAckedWriteLost"], walks=10)
    assert result.verdict(result.properties[0]) == "not checked"
    with pytest.raises(NotChecked, match="records=0"):
        machine_for(model, ["NoAckedWriteLost"])


def test_with_one_record_the_same_properties_are_checked():
    safe = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
    result = breadth_first(make_model("replication", safe, records=1, crash_kind="process"))
    assert result.result == "holds" and not result.not_checked


@pytest.mark.parametrize(("model", "settings"), [
    # replication.factor=2: with the default 1, ReplicasAgreeBelowHw is not checked for want
    # of a second replica (tests/test_vacuous_premises_replication.py), not of records.
    ("producer", {"replication.factor": "2"}),
    ("transactions", {"transactional.id": "app"}),
])
def test_a_model_that_writes_through_an_embedded_log_keeps_its_record_properties(
        model, settings):
    # The producer and the transactional client switch the embedded replication model's own
    # produce path off (records=0 there) and write the records themselves.
    built = make_model(model, settings)
    embedded = {p.name: p for p in built.repl.properties()}
    assert embedded["CommittedRecordsStay"].vacuous == ""
    assert not [p.name for p in built.properties() if p.vacuous]
