"""Bad input, audit s21: options given twice, endless history files, Ctrl-C in prove and
review, replay steps without labels, and the assign and CLI contract slips.

Every refusal is one line on stderr and exit code 2 (UsageError in the Python API),
before any long work; a run cut short says so and what it explored, with exit code 3.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kafkacheck import testing
from kafkacheck.cli import main
from kafkacheck.config import UsageError

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def error_line(capsys, *argv) -> str:
    """The one stderr line of a refused command (exit code 2, no traceback)."""
    code, _out, err = run(capsys, *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("kafkacheck: error: "), err
    return err.removeprefix("kafkacheck: error: ").rstrip("\n")


# -- 1. a bound given twice --------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["check", "acks-all-safe", "--property", "NoAckedWriteLost"],
    ["simulate", "acks-all-safe"],
    ["prove", "acks-all-safe", "--brokers", "3"],
    ["explore", "acks-all-safe", "--port", "70000"],  # refused after the bounds: never serves
])
def test_a_bound_given_twice_with_two_values_is_refused_not_last_wins(capsys, command):
    # crashes=2 is VIOLATED (KIP-966's 11-step loss); "last wins" answered HOLDS at
    # crashes=1, exit 0, for a CI script that appended --bound crashes=1.
    assert error_line(capsys, *command, "--max-seconds", "5", "--bound", "crashes=2",
                      "--bound", "crashes=1") == \
        "bound crashes is given twice (as '2' and as '1'): give it once"


def test_the_same_bound_twice_and_a_preset_bound_overridden_are_accepted(capsys):
    code, out, _ = run(capsys, "check", "diehard", "--bound", "goal=4", "--bound", "goal=4",
                       "--no-diagram")
    assert code == 1 and "goal=4" in out
    # acks1-loss's preset says crashes=1; the user's --bound decides (no crash: no loss)
    code, out, _ = run(capsys, "check", "acks1-loss", "--bound", "crashes=0", "--property",
                       "NoAckedWriteLost", "--no-estimate")
    assert code == 0 and "crashes=0" in out and "HOLDS within the bounds" in out
    assert testing.make_model("acks-all-safe", crashes=2).config.bounds["crashes"] == 2


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """`check acks1-loss --json` output: NoAckedWriteLost violated in 3 steps, crashes=1."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "acks1-loss", "--property", "NoAckedWriteLost", "--json"]) == 1
    path = tmp_path_factory.mktemp("s21") / "cex.json"
    path.write_text(out.getvalue())
    return path


def test_replay_takes_the_saved_bounds_as_a_base_and_refuses_a_bound_given_twice(
        saved, capsys):
    code, out, _ = run(capsys, "replay", str(saved), "--bound", "crashes=2")
    assert code == 1 and "final state violates: NoAckedWriteLost" in out
    assert error_line(capsys, "replay", str(saved), "--bound", "crashes=2", "--bound",
                      "crashes=3") == \
        "bound crashes is given twice (as '2' and as '3'): give it once"


# -- 5. replay: a step without its action label ------------------------------------------


def test_replay_refuses_a_step_other_than_the_first_without_a_label(saved, tmp_path, capsys):
    data = json.loads(saved.read_text())
    assert data["violations"][0]["trace"][0]["label"] is None  # Init has none
    data["violations"][0]["trace"][1]["label"] = None
    path = tmp_path / "null-label.json"
    path.write_text(json.dumps(data))
    # It was dropped: "2 steps replayed; final state violates: nothing", exit 3.
    assert error_line(capsys, "replay", str(path)) == \
        f"{path}: violation 1 ('NoAckedWriteLost'): step 1 has no action label"


# -- 2. conformance judge: the history named inside a result -----------------------------


def _result(tmp_path: Path, history: Path, source: str = "soak-acks-all.json",
            drop: str = "") -> Path:
    data = json.loads((ROOT / "reports" / "data" / source).read_text())
    if "scenarios" in data:
        data = data["scenarios"][0]
    data["history_path"] = str(history)
    data.pop(drop, None)
    path = tmp_path / f"result-{history.name}.json"
    path.write_text(json.dumps(data))
    return path


def _finishes(call, seconds: float, fifo: Path):
    """call() in a thread, which must return within ``seconds``; a reader left blocked on
    ``fifo`` is released (a writer opens and closes it) so that no thread stays stuck."""
    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(value=call()), daemon=True)
    worker.start()
    worker.join(seconds)
    stuck = worker.is_alive()
    if stuck:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        worker.join(5)
    assert not stuck, f"still waiting on the FIFO {fifo} after {seconds}s"
    return box.get("value")


def test_judge_refuses_a_history_that_is_a_fifo_without_waiting_on_it(tmp_path, capsys):
    fifo = tmp_path / "history.jsonl"
    os.mkfifo(fifo)
    result = _result(tmp_path, fifo)
    code = _finishes(lambda: main(["conformance", "judge", "--result", str(result)]), 20, fifo)
    _out, err = capsys.readouterr()
    assert code == 2
    assert err == f"kafkacheck: error: cannot judge {result}: history {fifo} is not a " \
        "regular file\n"


def test_a_transactions_run_that_is_a_fifo_is_refused_without_waiting_on_it(tmp_path):
    from kafkacheck.conformance.txn_scenario import load_txn_run

    fifo = tmp_path / "txn-run.json"
    os.mkfifo(fifo)

    def load() -> str:
        try:
            load_txn_run(fifo)
        except ValueError as exc:
            return str(exc)
        return "read"

    assert _finishes(load, 20, fifo) == f"transactions run {fifo} is not a regular file"


def test_judge_refuses_an_oversized_history_and_a_line_past_the_cap(tmp_path, capsys,
                                                                     monkeypatch):
    from kafkacheck.conformance import history

    monkeypatch.setattr(history, "HISTORY_BYTES", 4096)
    monkeypatch.setattr(history, "HISTORY_LINE_BYTES", 1024)
    big = tmp_path / "big.jsonl"
    big.write_text('{"type": "invoke", "f": "send", "process": "p"}\n' * 100)  # 4,900 bytes
    assert error_line(capsys, "conformance", "judge", "--result",
                      str(_result(tmp_path, big))).endswith(
        f"history {big} is larger than 4,096 bytes")
    endless = tmp_path / "one-line.jsonl"
    endless.write_text("[" * 2000)  # no line break: a reader would hold it all
    assert error_line(capsys, "conformance", "judge", "--result",
                      str(_result(tmp_path, endless))).endswith(
        f"{endless}:1: a line longer than 1,024 bytes: not a history of JSON events")


def test_judge_names_a_missing_field_of_the_result(tmp_path, capsys):
    result = _result(tmp_path, tmp_path / "h.jsonl", drop="config")
    # It printed "cannot judge X: 'config'", a bare KeyError.
    assert error_line(capsys, "conformance", "judge", "--result", str(result)) == \
        f"cannot judge {result}: the result has no field 'config' (a result of " \
        "conformance run or soak has it)"


# -- 3. prove --brokers: Ctrl-C and --max-seconds ----------------------------------------


def test_prove_bounded_stops_at_max_seconds_within_a_step_and_says_how_deep(capsys):
    started = time.monotonic()
    code, out, err = run(capsys, "prove", "acks-all-safe", "--brokers", "3", "--depth", "60",
                         "--max-seconds", "2")
    took = time.monotonic() - started
    # It built all 60 steps before the first solver call: 10.9 s, "solver gave up of ...".
    assert took < 4.5, took
    assert code == 3 and err == ""
    assert out.startswith("INCOMPLETE (time limit reached): no violation of NoAckedWriteLost "
                          "within ") and " of the 60 steps asked, over 3 brokers (" in out


def test_prove_bounded_interrupted_by_ctrl_c_is_incomplete_with_exit_3():
    # z3's ctypes call turned the KeyboardInterrupt into "internal error: ArgumentError",
    # exit 70, with nothing about the depth searched.
    child = subprocess.Popen(
        [sys.executable, "-m", "kafkacheck.cli", "prove", "acks-all-safe", "--brokers", "3",
         "--depth", "200"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "KAFKACHECK_DEBUG": ""})
    try:
        time.sleep(3.0)  # imports and the first steps (200 steps take minutes)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 3, err
    assert err == ""
    assert out.startswith("INCOMPLETE (interrupted (Ctrl-C)): no violation of "
                          "NoAckedWriteLost within "), out
    assert " of the 200 steps asked, over 3 brokers (" in out


# -- 4 and 6. review: Ctrl-C, and --no-fix ------------------------------------------------

SERIALIZERS = ("key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
               "value.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
               "bootstrap.servers=x:9092\n")


def _review_files(tmp_path: Path, acks: str) -> list[str]:
    producer = tmp_path / "producer.properties"
    producer.write_text(f"acks={acks}\n{SERIALIZERS}")
    topic = tmp_path / "topic.properties"
    topic.write_text("min.insync.replicas=2\nreplication.factor=3\n")
    return [str(producer), str(topic)]


def _ctrl_c_in_check(monkeypatch, n: int) -> list[str]:
    """The n-th exhaustive check gets Ctrl-C 50 expansions in, inside the engine's loop
    (which turns it into an "interrupted (Ctrl-C)" result); returns the checks' models."""
    from kafkacheck.explorer import engines

    real = engines.run_check
    calls: list[str] = []

    def run_check(model, properties, request):
        calls.append(model.name)
        if len(calls) == n:
            successors, expanded = model.successors, []

            def interrupting(state):
                expanded.append(state)
                if len(expanded) > 50:
                    raise KeyboardInterrupt
                return successors(state)

            model.successors = interrupting
        return real(model, properties, request)

    monkeypatch.setattr(engines, "run_check", run_check)
    return calls


def test_ctrl_c_in_the_re_check_of_an_assumption_stops_the_review(tmp_path, capsys,
                                                                    monkeypatch):
    # It ran on to the end (exit 1) and said the re-check "did not decide it within the
    # time budget" (session 31's bad-input review).  The 4th check is the power-loss
    # guarantee's again with eligible.leader.replicas.version=0.
    calls = _ctrl_c_in_check(monkeypatch, 4)
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", f"topic:{topic}", "--json")
    data = json.loads(out)
    assert code == 3 and data["interrupted"] and len(calls) == 4
    reasons = {g["id"]: g.get("reason", "") for g in data["guarantees"]}
    assert reasons["acked-writes-survive-power-loss"] == \
        "the review was interrupted (Ctrl-C) in its re-check of an assumption"
    assert reasons["deposed-leader"] == \
        "the review was interrupted (Ctrl-C) before this check"


def test_review_stops_at_ctrl_c_and_says_interrupted_not_out_of_time(tmp_path, capsys,
                                                                      monkeypatch):
    calls = _ctrl_c_in_check(monkeypatch, 2)
    code, out, _ = run(capsys, "review", *_review_files(tmp_path, "all"), "--json")
    data = json.loads(out)
    # It went on to run every other guarantee, and called the stop "the time budget ran
    # out ...; raise --max-seconds".
    assert len(calls) == 2 and code == 3 and data["interrupted"] is True
    first, second, *rest = data["guarantees"]
    assert first["verdict"] == "holds"
    assert second["verdict"] == "not covered"
    assert second["reason"].startswith("interrupted (Ctrl-C) after ")
    assert second["reason"].endswith(" states, before the check finished")
    assert rest and all(g["reason"] == "the review was interrupted (Ctrl-C) before this "
                        "check" for g in rest)


def test_review_interrupted_in_a_fix_search_says_which_fixes_were_not_searched(
        tmp_path, capsys, monkeypatch):
    files = _review_files(tmp_path, "1")
    code, out, _ = run(capsys, "review", *files, "--no-fix")
    violated = out.count("\n[VIOLATED] ")
    assert code == 1 and violated >= 2
    # the checks, then Ctrl-C in the first fix candidate's re-check
    calls = _ctrl_c_in_check(monkeypatch, out.count("\n[") + 1)
    code, out, _ = run(capsys, "review", *files)
    assert code == 1 and len(calls) == out.count("\n[") + 1
    assert out.count("    fix: none found among 0 candidate change(s) before it was "
                     "interrupted (Ctrl-C)\n") == 1
    assert out.count("    fix: not searched (the review was interrupted (Ctrl-C) first)\n") \
        == violated - 1
    assert out.rstrip().endswith("; interrupted (Ctrl-C): stopped there)")


def test_review_no_fix_says_the_fix_was_not_searched(tmp_path, capsys):
    files = _review_files(tmp_path, "1")
    code, out, _ = run(capsys, "review", *files, "--no-fix")
    # It printed "fix: none found among 0 candidate change(s)", as if no setting fixed it.
    assert code == 1 and "    fix: not searched (--no-fix)" in out
    assert "none found among" not in out
    code, out, _ = run(capsys, "review", *files, "--no-fix", "--json")
    data = json.loads(out)
    violated = [g for g in data["guarantees"] if g["verdict"] == "violated"]
    assert data["fix_searched"] is False and violated
    assert all(g["fix"] is None and g["fix_searched"] is False for g in violated)


def test_review_fix_search_cut_by_the_budget_says_the_search_did_not_end(tmp_path, capsys,
                                                                          monkeypatch):
    # It printed "fix: none found among 1 candidate change(s) within the time budget",
    # which a reader takes for "no setting fixes it" (session 31's reports review: the
    # README's producer fix vanished on a busy machine).  The clock jumps past the budget
    # once the first candidate's re-check is done.
    from kafkacheck import review

    real_run, real_clock, jumped = review._run_check, time.monotonic, []

    def first_then_late(*args, **kwargs):
        result = real_run(*args, **kwargs)
        if args[2] < review.FIX_RUN_SECONDS + 1:  # a fix candidate's re-check
            jumped.append(1000.0)
        return result

    monkeypatch.setattr(review, "_run_check", first_then_late)
    monkeypatch.setattr(review.time, "monotonic", lambda: real_clock() + sum(jumped))
    files = _review_files(tmp_path, "1")
    code, out, _ = run(capsys, "review", *files, "--json")
    violated = [g for g in json.loads(out)["guarantees"] if g["verdict"] == "violated"]
    cut = [g for g in violated if g["fix_search_cut"]]
    assert code == 1 and cut and all(g["fix"] is None for g in cut)
    jumped.clear()
    code, out, _ = run(capsys, "review", *files)
    assert code == 1
    assert "before the time budget ran out (its share of --max-seconds 90); the search did " \
           "not end: rerun with a larger --max-seconds to try every candidate" in out


# -- 7. assign ----------------------------------------------------------------------------


@pytest.mark.parametrize("argv,message", [
    (["--strategy", "range", "--members", "a,b", "--topics", "t:2", "--instance-ids",
      "a=x,b=x"],
     "--instance-ids: a and b both have group.instance.id x: the group coordinator keeps one "
     "member per instance id (the other is fenced), so no assignment has both"),
    (["--strategy", "range", "--members", "a,b", "--topics", "t:2", "--instance-ids",
      "a=x+y"], "--instance-ids a=x+y: one group.instance.id per member"),
    (["--strategy", "range", "--members", "a,b", "--topics", "t:2", "--previous", "a=t-0",
      "--generation", "5"],
     "--generation: the range assignor does not read generations (only sticky and "
     "cooperative-sticky do): drop it"),
    (["--strategy", "roundrobin", "--members", "a,b", "--topics", "t:2", "--previous",
      "a@3=t-0"],
     "--previous M@GEN: the roundrobin assignor does not read generations (only sticky and "
     "cooperative-sticky do): drop it"),
    (["--strategy", "range", "--group-protocol", "consumer", "--members", "a,b", "--topics",
      "t:2", "--previous", "a=t-0", "--generation", "1"],
     "--generation: the range assignor of group.protocol=consumer does not read generations "
     "(only sticky and cooperative-sticky do): drop it"),
    (["--strategy", "sticky", "--members", "a,b", "--topics", "t:2", "--generation", "5"],
     "--generation: a generation dates the previous assignment: give --previous too"),
    (["--strategy", "range", "--members", "-1", "--topics", "t:2"],
     "--members -1: between 1 and 10,000 members"),
])
def test_assign_refuses_input_no_group_can_have_or_the_answer_would_ignore(capsys, argv,
                                                                            message):
    assert error_line(capsys, "assign", *argv) == message


def test_assign_names_previous_partitions_of_topics_not_in_topics(capsys):
    # Kafka's assignors drop a deleted topic's owned partitions, so they are accepted; the
    # answer said only "moves: none (every owned partition stays with its owner)".
    code, out, _ = run(capsys, "assign", "--strategy", "sticky", "--members", "a,b",
                       "--topics", "t:2", "--previous", "a=u-0+t-0")
    assert code == 0
    assert ("not in --topics, so read as partitions of deleted topics that no member gets "
            "(a typo in --previous?): u-0") in out
    assert "moves: none (every owned partition of a topic in --topics stays with its " \
        "owner)" in out
    code, out, _ = run(capsys, "assign", "--strategy", "sticky", "--members", "a,b",
                       "--topics", "t:2", "--previous", "a=u-0+t-0", "--json")
    assert json.loads(out)["deleted_topic_partitions"] == ["u-0"]


# -- 8. the rest of the contract ----------------------------------------------------------


def test_conformance_without_a_subcommand_prints_its_usage_and_exits_2(capsys):
    code, out, err = run(capsys, "conformance")
    assert code == 2 and out.startswith("usage: kafkacheck conformance")
    assert err == "kafkacheck: error: conformance: no subcommand given (the subcommands are " \
        "listed above)\n"


@pytest.mark.parametrize("argv,start", [
    (["chek"], "argument COMMAND: invalid choice: 'chek' (did you mean check?) (choose from "),
    (["conformance", "rnu"],
     "conformance: argument cmd: invalid choice: 'rnu' (did you mean run?) (choose from "),
    (["assign", "--strategy", "rnage", "--members", "2", "--topics", "t:2"],
     "argument --strategy: invalid choice: 'rnage' (did you mean range?) (choose from "),
])
def test_a_misspelt_command_or_choice_gets_a_did_you_mean(capsys, argv, start):
    assert error_line(capsys, *argv).startswith(start)


def test_explore_max_seconds_inf_is_refused_as_not_finite(capsys):
    assert error_line(capsys, "explore", "diehard", "--max-seconds", "inf") == \
        "--max-seconds: inf must be positive (a finite number of seconds)"


def test_simulate_cut_short_by_ctrl_c_says_so_with_the_walks_done():
    from kafkacheck.explorer.simulate import simulate

    model = testing.make_model("diehard")
    successors, taken = model.successors, []

    def interrupting(state):
        taken.append(state)
        if len(taken) > 30:
            raise KeyboardInterrupt
        return successors(state)

    model.successors = interrupting
    result = simulate(model, walks=100_000_000, depth=10)
    assert result.stop_reason == "interrupted (Ctrl-C)"
    # It said "simulation: 3 walks of up to 10 steps, seed 0" as though done.
    assert any("(interrupted (Ctrl-C) after 3 of the 100,000,000 walks asked)" in note
               for note in result.notes), result.notes
    from kafkacheck.explorer.render import summary_line

    assert summary_line(result).startswith("INCOMPLETE: simulate found no violation (")
    assert "; interrupted (Ctrl-C)); a random search never proves a property" in \
        summary_line(result)


def test_assert_holds_with_a_misspelt_option_is_a_usage_error_naming_the_right_one():
    # It raised TypeError: check() got an unexpected keyword argument 'bound'.
    for call in (testing.assert_holds, testing.assert_violated):
        with pytest.raises(UsageError) as info:
            call({"acks": "all"}, bound={"crashes": 1})
        assert str(info.value).startswith(f"{call.__name__}() has no option 'bound' (did you "
                                          "mean bounds?)")


@pytest.mark.filterwarnings("ignore::UserWarning")  # the properties a machine cannot check
def test_machine_takes_a_kafka_version_not_as_a_bound():
    # It said "unknown bound 'kafka_version'".
    cls = testing.machine("replication", {"acks": "all"}, kafka_version="3.0", crashes=1)
    assert cls.model.config.kafka_version == "3.0"
    assert cls.model.config.bounds["crashes"] == 1


def test_a_history_reader_keeps_its_truncated_last_line_rule(tmp_path):
    from kafkacheck.conformance.history import read_events

    path = tmp_path / "h.jsonl"
    path.write_bytes(b'{"type": "invoke"}\n{"type": "ok"}\n{"type": "o')
    assert read_events(path) == [{"type": "invoke"}, {"type": "ok"}]
    path.write_bytes(b'{"type": "invoke"}\n5\n{"type": "ok"}\n')
    with pytest.raises(ValueError, match=r":2: not a JSON event \(expected an object\)"):
        read_events(path)


@pytest.mark.parametrize("argv,message", [
    # a one-value option given twice: its last value won unsaid (session 31)
    (["check", "acks1-loss", "--kafka-version", "3.6", "--kafka-version", "4.4"],
     "--kafka-version is given 2 times: give it once"),
    (["check", "acks1-loss", "--max-states=5", "--max-states", "6"],
     "--max-states is given 2 times: give it once"),
    # a typo of an option is named with the close one; a prefix is no longer taken for it
    (["check", "acks1-loss", "--bund", "records=1"],
     "unrecognized arguments: --bund (did you mean --bound?) records=1"),
    (["check", "acks1-loss", "--prop", "NoAckedWriteLost"],
     "unrecognized arguments: --prop (did you mean --property?) NoAckedWriteLost")])
def test_repeated_and_misspelt_options_are_one_line_errors(capsys, argv, message):
    assert error_line(capsys, *argv) == message


def test_a_config_provider_variable_is_named_as_such_not_as_an_invalid_value(tmp_path,
                                                                            capsys):
    # Was "invalid value ... String must be one of: all, -1, 0, 1": Kafka resolves it first.
    path = tmp_path / "cp.properties"
    path.write_text("config.providers=file\nconfig.providers.file.class=org.apache.kafka."
                    "common.config.provider.FileConfigProvider\n"
                    "acks=${file:/etc/kafka/secret.properties:acks}\n")
    line = error_line(capsys, "review", "--no-fix", f"producer:{path}")
    assert line.endswith("acks=${file:/etc/kafka/secret.properties:acks} is a config "
                         "provider's variable (config.providers): Kafka resolves it at "
                         "runtime, review reads literal values only; give the value it "
                         "resolves to")


@pytest.mark.parametrize("argv,message", [
    (["assign", "--strategy", "sticky", "--members", "a,b", "--topics", "t:4", "--previous",
      "a=t-0+t-1,a=t-2+t-3"], "--previous: 'a' is given twice: give it once (MEMBER=T-0+T-1)"),
    (["assign", "--strategy", "range", "--members", "a,b", "--topics", "t:4", "--subscribe",
      "a=t,a=u"], "--subscribe: 'a' is given twice: give it once (MEMBER=A+B)"),
    (["assign", "--strategy", "kip848-range", "--group-protocol", "classic", "--members", "a",
      "--topics", "t:2"], "kip848-range is the KIP-848 server-side range assignor: use "
     "--group-protocol consumer (or --strategy range for the classic one)"),
    (["check", "replication", "--bound", "crash_kind=powerloss"],
     "invalid value 'powerloss' for bound crash_kind: must be one of process, power-loss, any "
     "(did you mean power-loss?)")])
def test_assign_maps_and_bound_choices_refuse_what_they_would_silently_bend(capsys, argv,
                                                                           message):
    # The last of a member's entries won unsaid; classic ran the KIP-848 assignor.
    assert error_line(capsys, *argv) == message


def test_a_subscription_to_a_topic_not_in_topics_is_said_with_the_close_one(capsys):
    code, out, _ = run(capsys, "assign", "--strategy", "range", "--members", "a,b",
                       "--topics", "orders:3", "--subscribe", "a=order,b=orders")
    assert code == 0 and "note: a subscribes to 'order', which is not in --topics (did you " \
        "mean orders?): it gets nothing from it" in out
