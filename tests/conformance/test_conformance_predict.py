"""Predictions: which model runs stand for a real run, and what their verdicts allow."""

from __future__ import annotations

import pytest

from kafkacheck.conformance.predict import (
    FAULTS,
    IMPOSSIBLE,
    KINDS,
    NOT_COVERED,
    POSSIBLE,
    ModelRun,
    RunConfig,
    RunOutcome,
    judge_kinds,
    plan,
    predict,
)


def _models(runs: list[ModelRun]) -> list[str]:
    return [r.model for r in runs]


def test_a_leader_isolation_is_predicted_by_the_controller_model_with_the_clusters_roles() -> None:
    runs = plan(RunConfig(acks="1", min_insync_replicas=1, layout="split", elr=1),
                ["leader-isolated"])
    assert _models(runs) == ["controller", "producer"]
    ctrl = runs[0]
    assert dict(ctrl.settings)["process.roles"] == "broker"  # dedicated controllers
    assert dict(ctrl.bounds)["isolations"] == 1 and dict(ctrl.bounds)["crashes"] == 0
    assert "eligible.leader.replicas.version is not a setting of this model" in ctrl.abstractions


def test_broker_kills_use_the_replication_model_with_the_recorded_elr_level() -> None:
    for elr in (0, 1):
        (rep, _) = plan(RunConfig(elr=elr, partitions=3), ["broker-kill"])
        assert rep.model == "replication"
        assert dict(rep.settings)["eligible.leader.replicas.version"] == str(elr)
        assert dict(rep.bounds)["crash_kind"] == "process"  # SIGKILL keeps the page cache
        assert any("partitions=1 (the topic has 3" in a for a in rep.abstractions)


def test_faults_of_one_model_run_merge_by_the_larger_bound() -> None:
    runs = plan(RunConfig(), ["broker-kill", "broker-kill-overlapping", "pause"])
    rep = next(r for r in runs if r.model == "replication")
    assert dict(rep.bounds)["crashes"] == 2
    assert rep.stands_for == ("broker-kill", "broker-kill-overlapping")
    ctrl = next(r for r in runs if r.model == "controller")
    assert dict(ctrl.bounds)["isolations"] == 1


def test_controller_kills_get_their_own_controller_run() -> None:
    runs = plan(RunConfig(layout="split"), ["controller-kill", "leader-isolated"])
    bounds = [dict(r.bounds) for r in runs if r.model == "controller"]
    assert {(b["crashes"], b["isolations"]) for b in bounds} == {(1, 0), (0, 1)}


def test_the_group_model_runs_only_when_a_group_consumed() -> None:
    assert "group" not in _models(plan(RunConfig(), ["consumer-crash"]))
    runs = plan(RunConfig(commit="before", partitions=3), ["consumer-crash"])
    group = next(r for r in runs if r.model == "group")
    assert dict(group.bounds)["commit"] == "before-processing"
    assert dict(group.bounds)["partitions"] == 3


def test_an_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown faults"):
        plan(RunConfig(), ["meteor"])


def _outcome(verdicts: dict[str, str], complete: bool = True,
             model: str = "producer") -> RunOutcome:
    run = ModelRun(model, (), (), ("test",))
    return RunOutcome(run, verdicts, {}, 10, complete, 0.0)


def test_a_violated_property_makes_its_anomalies_possible() -> None:
    kinds = judge_kinds([_outcome({"NoDuplicates": "violated", "PartitionOrder": "holds",
                                   "NoAckedRecordLost": "holds"})])
    assert kinds["duplicate"].status == POSSIBLE
    assert kinds["poll-skip"].status == POSSIBLE  # a duplicate shifts a reader's order
    assert kinds["reordered"].status == IMPOSSIBLE
    assert kinds["lost-write"].status == IMPOSSIBLE
    assert kinds["aborted-read"].status == NOT_COVERED  # no run checked DefiniteFailureAbsent


def test_an_incomplete_run_never_makes_an_anomaly_impossible() -> None:
    kinds = judge_kinds([_outcome({"NoDuplicates": "unknown"}, complete=False)])
    assert kinds["duplicate"].status == NOT_COVERED


def test_a_property_that_could_not_fail_neither_decides_nor_blocks_its_kind() -> None:
    # controller-kill: no deposed leader ever acknowledges, so DeposedLeaderAcksSurvive is
    # not checked (vacuous); the loss is still ruled out by NoAckedWriteLost, which held
    run = ModelRun("controller", (), (), ("controller-kill",))
    both = RunOutcome(run, {"NoAckedWriteLost": "holds", "DeposedLeaderAcksSurvive":
                            "not checked"}, {}, 10, True, 0.0,
                      vacuous=("DeposedLeaderAcksSurvive",))
    lost = judge_kinds([both])["lost-write"]
    assert lost.status == IMPOSSIBLE
    assert "controller: DeposedLeaderAcksSurvive not checked (could not fail: its premise " \
        "never arises in this run)" in lost.because
    alone = RunOutcome(run, {"DeposedLeaderAcksSurvive": "not checked"}, {}, 10, True, 0.0,
                       vacuous=("DeposedLeaderAcksSurvive",))
    assert judge_kinds([alone])["lost-write"].status == NOT_COVERED  # nothing checked it
    unchecked = RunOutcome(run, {"NoAckedWriteLost": "holds", "DeposedLeaderAcksSurvive":
                                 "not checked"}, {}, 10, True, 0.0)  # not checked, not vacuous
    assert judge_kinds([unchecked])["lost-write"].status == NOT_COVERED


def test_every_kind_is_allowed_by_some_property() -> None:
    assert all(k.allowed_by for k in KINDS.values())
    assert set(FAULTS) >= {"leader-isolated", "minority-controller", "follower-cut", "client-cut"}


def test_lost_responses_duplicate_only_without_idempotence() -> None:
    base = {"replication_factor": 2, "min_insync_replicas": 2}
    plain = predict(RunConfig(idempotence=False, **base), ["lost-response"])
    idem = predict(RunConfig(idempotence=True, **base), ["lost-response"])
    assert plain.status("duplicate") == POSSIBLE
    assert idem.status("duplicate") == IMPOSSIBLE
    assert idem.status("lost-write") == IMPOSSIBLE
    (run,) = idem.outcomes
    assert run.complete and run.verdicts["NoDuplicates"] == "holds"


def test_a_kind_is_impossible_only_when_every_one_of_its_causes_was_checked() -> None:
    # Audit: "never processed by the group" was predicted impossible from the producer
    # model's NoAckedRecordLost alone, with no group model run: the group's own skips
    # (AtLeastOnce, NoSkippedOffsets) were never checked
    producer = _outcome({"NoAckedRecordLost": "holds", "NoDuplicates": "holds"})
    alone = judge_kinds([producer])
    assert alone["lost-write"].status == IMPOSSIBLE  # the log is its one cause
    assert alone["group:lost-write"].status == NOT_COVERED
    assert alone["group:lost-write"].because == [
        "no model run checks AtLeastOnce or NoSkippedOffsets: the group committed past an "
        "unprocessed record"]
    group = _outcome({"AtLeastOnce": "holds", "NoSkippedOffsets": "holds"}, model="group")
    both = judge_kinds([producer, group])
    assert both["group:lost-write"].status == IMPOSSIBLE
    assert judge_kinds([group])["group:lost-write"].status == NOT_COVERED  # the log unchecked
    # a run with a group but no group model (no commit strategy recorded) predicts nothing
    assert predict(RunConfig(), []).status("group:lost-write") == NOT_COVERED
    assert predict(RunConfig(commit="after"), []).status("group:lost-write") == IMPOSSIBLE


def test_a_run_config_refuses_an_unknown_key_or_a_wrong_type() -> None:
    # Audit: unknown keys were dropped, so a misspelt one predicted for the default
    assert RunConfig.from_json(RunConfig(commit="after").to_json()) == RunConfig(commit="after")
    with pytest.raises(ValueError, match="^unknown run config key 'comit'; did you mean "
                                         "'commit'\\?$"):
        RunConfig.from_json({"comit": "after"})
    with pytest.raises(ValueError, match="^run config unclean=1: not bool$"):
        RunConfig.from_json({"unclean": 1})
    with pytest.raises(ValueError, match="^run config elr='1': not int or null$"):
        RunConfig.from_json({"elr": "1"})
