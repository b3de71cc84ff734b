"""What CI reads is never green for something that was not checked.

Each channel a CI job reads (the exit code, `check --json`, `review`, the testing API and
the pytest fixture) is run on a case that must not pass: a search cut short, a property
that cannot fail under the bounds, a setting the model does not cover, a random search.
A fault the bounds offer that never happens under the settings is the CLI's "offered but
never injected" line: `review`, whose guarantees are named for their faults, says not
covered; `check` and `assert_holds` hold with that line (a warning in the API).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kafkacheck import review, testing
from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.pytest_plugin import KafkaCheck

VACUOUS_AT_LEAST_ONCE = ("commit=none with enable.auto.commit=false: no offset is ever "
                         "committed, so this property cannot fail")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    """`kafkacheck ARGV --json`: the exit code and the one JSON object printed, whose
    ``exit_code`` is always the process's (a script reads either)."""
    code = main([*argv, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data.get("exit_code", code) == code
    return code, data


def verdicts(data: dict) -> dict[str, str]:
    return {p["name"]: p["verdict"] for p in data["properties"]}


# -- check --json and the exit code ------------------------------------------------------


def test_a_search_cut_by_max_states_is_incomplete_exit_3_and_no_always_property_holds(capsys):
    code, data = run_json(capsys, "check", "acks-all-safe", "--max-states", "50",
                          "--no-estimate")
    assert code == data["exit_code"] == 3
    assert (data["result"], data["complete"], data["stop_reason"]) == (
        "incomplete", False, "state limit 50 reached")
    always = [p["name"] for p in data["properties"] if p["kind"] == "always"]
    assert {verdicts(data)[name] for name in always} == {"unknown"}


def test_a_search_cut_by_max_seconds_is_incomplete_exit_3(capsys):
    code, data = run_json(capsys, "check", "acks-all-safe", "--max-seconds", "0.01",
                          "--no-estimate")
    assert (code, data["result"], data["complete"]) == (3, "incomplete", False)
    assert data["stop_reason"] == "time limit reached"
    assert verdicts(data)["NoAckedWriteLost"] == "unknown"


def test_a_property_that_cannot_fail_under_the_bounds_is_not_checked_exit_3(capsys):
    code, data = run_json(capsys, "check", "group", "--set", "enable.auto.commit=false",
                          "--bound", "commit=none", "--property", "AtLeastOnce",
                          "--no-estimate")
    assert (code, data["result"], data["complete"]) == (3, "incomplete", True)
    assert data["not_checked"]["AtLeastOnce"].startswith(VACUOUS_AT_LEAST_ONCE)
    assert verdicts(data)["AtLeastOnce"] == "not checked"


def test_a_setting_the_model_does_not_cover_is_not_covered_exit_3(capsys):
    # retries is a producer setting the replication model does not read (a valid Kafka key).
    code, data = run_json(capsys, "check", "acks-all-safe", "--set", "retries=0",
                          "--bound", "records=1", "--property", "NoAckedWriteLost",
                          "--no-estimate")
    assert (code, data["result"]) == (3, "incomplete")
    assert data["not_covered"] == {"retries": "0"}
    assert verdicts(data) == {"NoAckedWriteLost": "not covered"}


def test_a_random_search_never_exits_0_and_leaves_liveness_unchecked(capsys):
    code, data = run_json(capsys, "simulate", "acks-all-safe", "--walks", "5", "--depth", "10")
    assert (code, data["result"], data["complete"]) == (3, "incomplete", False)
    assert data["not_checked"]["ProduceRequestsComplete"].startswith(
        "simulate does not check eventually-properties")
    assert verdicts(data)["NoAckedWriteLost"] == "unknown"


def test_liveness_under_two_workers_is_decided_by_the_sequential_engine(capsys):
    code, data = run_json(capsys, "check", "acks-all-safe", "--workers", "2", "--bound",
                          "records=1", "--property", "ProduceRequestsComplete",
                          "--no-estimate")
    assert ("ran the sequential bfs instead of parallel bfs: it does not check "
            "eventually-properties (ProduceRequestsComplete)") in data["notes"]
    assert (code, data["engine"], data["result"], data["not_checked"]) == (
        0, "bfs", "holds", {})
    assert verdicts(data)["ProduceRequestsComplete"] == "holds"


# -- the testing API -----------------------------------------------------------------------


def test_assert_holds_fails_on_a_property_that_cannot_fail():
    with pytest.raises(AssertionError, match="not checked: AtLeastOnce") as failed:
        testing.assert_holds({"enable.auto.commit": "false"}, model="group",
                             properties=["AtLeastOnce"], bounds={"commit": "none"})
    assert VACUOUS_AT_LEAST_ONCE in str(failed.value)


def test_assert_holds_fails_on_a_search_cut_short():
    with pytest.raises(AssertionError, match="INCOMPLETE"):
        testing.assert_holds(model="acks-all-safe", max_states=50)


def test_assert_holds_fails_on_a_setting_the_model_does_not_cover():
    with pytest.raises(AssertionError, match=r"NOT COVERED: retries=0"):
        testing.assert_holds({"retries": "0"}, model="acks-all-safe",
                             properties=["NoAckedWriteLost"], bounds={"records": 1})


def test_assert_holds_warns_when_a_fault_it_asked_for_never_happened():
    # One replica: no other broker to move the leader to, so leader_changes=1 never fires.
    # The search is complete and NoAckedWriteLost holds, as the CLI's exit 0 says with its
    # "offered but never injected" line; the pass warns so, as the CLI prints it (a fault
    # that cannot happen is also how KIP-211 keeps a live group's offsets: the
    # offset-expiry-kip211 preset, a HOLDS).
    settings = {"replication.factor": "1", "min.insync.replicas": "1"}
    with pytest.warns(testing.FaultNeverInjected,
                      match="leader move never happened under these settings and bounds"):
        result = testing.assert_holds(settings, properties=["NoAckedWriteLost"],
                                      bounds={"leader_changes": 1, "crashes": 0})
    assert result.result == "holds"
    assert result.fault_model.never_injected == ("leader move",)


def test_assert_holds_still_passes_when_every_fault_offered_fired():
    result = testing.assert_holds(
        {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"},
        properties=["NoAckedWriteLost"], bounds={"records": 1, "crash_kind": "any"})
    assert (result.result, result.fault_model.never_injected) == ("holds", ())


# -- the pytest fixture ---------------------------------------------------------------------


def test_the_fixture_machine_refuses_a_named_liveness_property():
    with pytest.raises(UsageError, match=r"a Hypothesis machine cannot check "
                                         r"AllRecordsProcessed \(eventually\): a test naming "
                                         "it would pass without checking it"):
        KafkaCheck().machine("group", {"auto.offset.reset": "earliest"},
                             ["AtLeastOnce", "AllRecordsProcessed"])


def test_the_fixture_machine_refuses_a_named_property_that_cannot_fail():
    with pytest.raises(UsageError, match=r"cannot check AtLeastOnce \(commit=none with "
                                         "enable.auto.commit=false"):
        KafkaCheck().machine("group", {"enable.auto.commit": "false"},
                             ["AtLeastOnce", "NoSkippedOffsets"], commit="none")


def test_testing_machine_alone_refuses_them_and_warns_when_asked_to():
    from kafkacheck.explorer.stateful import NotCheckedWarning

    with pytest.raises(UsageError, match="cannot check AllRecordsProcessed"):
        testing.machine("group", {"auto.offset.reset": "earliest"},
                        ["AtLeastOnce", "AllRecordsProcessed"])
    with pytest.warns(NotCheckedWarning, match="AllRecordsProcessed"):
        cls = testing.machine("group", {"auto.offset.reset": "earliest"},
                              ["AtLeastOnce", "AllRecordsProcessed"], refuse_unchecked=False)
    assert cls.not_checked == ("AllRecordsProcessed (eventually)",)


INNER = '''
def test_vacuous(kafkacheck):
    kafkacheck.assert_holds({"enable.auto.commit": "false"}, model="group",
                            properties=["AtLeastOnce"], bounds={"commit": "none"})


def test_cut_short(kafkacheck):
    kafkacheck.assert_holds(model="acks-all-safe", max_states=50)


def test_machine_with_liveness(kafkacheck):
    kafkacheck.machine("group", {"auto.offset.reset": "earliest"}, ["AllRecordsProcessed"])
'''


def test_no_unchecked_run_is_a_pytest_pass(pytester):
    pytester.makepyfile(test_inner=INNER)
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(failed=3)


# -- review -----------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_review_does_not_call_a_guarantee_held_when_its_fault_never_happened(tmp_path,
                                                                              capsys):
    # replication.factor=1 and flush.messages=1: every other guarantee holds, but with one
    # replica a leader never moves, so "survive leader elections" was not checked.
    topic = write(tmp_path, "orders.properties",
                  "replication.factor=1\nmin.insync.replicas=1\nflush.messages=1\n")
    code = main(["review", f"topic:{topic}", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == data["exit_code"] == 3
    by_id = {g["id"]: g for g in data["guarantees"]}
    elections = by_id["acked-writes-survive-elections"]
    assert elections["verdict"] == "not covered"
    assert elections["reason"] == ("leader move never happened under these settings and "
                                   "bounds (its actions never fired), so the run says "
                                   "nothing about it")
    assert elections["fault_model"]["never_injected"] == ["leader move"]
    assert by_id["acked-writes-survive-crash"]["verdict"] == "holds"
    for g in data["guarantees"]:  # every verdict says what it was checked under
        assert g["bounds"] and g["fault_model"]["explored"], g["id"]


def test_review_markdown_says_why_a_run_guarantee_is_not_covered(tmp_path):
    topic = write(tmp_path, "orders.properties",
                  "replication.factor=1\nmin.insync.replicas=1\nflush.messages=1\n")
    result = review.run(review.load_files([f"topic:{topic}"]), 30, fix_search=False)
    row = next(line for line in review.markdown(result).splitlines()
               if line.startswith("| Acknowledged writes survive leader elections"))
    assert "⚪ not covered" in row
    assert "<br>not covered: leader move never happened under these settings" in row
    assert "    not covered: leader move never happened" in review.text(result)


def test_review_names_a_typo_with_did_you_mean_and_exit_2(tmp_path, capsys):
    producer = write(tmp_path, "producer.properties",
                     "bootstrap.servers=b:9092\nacks=all\nenable.idempotance=true\n")
    assert main(["review", producer, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"kafkacheck: error: unknown or invalid Kafka setting: {producer}: "
                            "'enable.idempotance' (did you mean enable.idempotence?)\n")


def test_review_calls_a_setting_no_model_covers_not_covered(tmp_path, capsys):
    producer = write(tmp_path, "producer.properties",
                     "bootstrap.servers=b:9092\nacks=all\ninterceptor.classes=com.example.X\n")
    topic = write(tmp_path, "topic.properties", "replication.factor=3\nmin.insync.replicas=2\n")
    code = main(["review", producer, f"topic:{topic}", "--no-fix", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == data["exit_code"] == 3
    assert {g["verdict"] for g in data["guarantees"]} == {"not covered"}
    assert {g["reason"] for g in data["guarantees"]} == {
        "interceptor.classes=com.example.X in producer.properties changes producer semantics "
        "that no model here covers"}
