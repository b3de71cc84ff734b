"""The command line contract users' CI relies on: exit codes, one-line errors, JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kafkacheck.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_holding_check_exits_0_and_states_its_bounds(capsys):
    code, out, _ = run(capsys, "check", "twophase")
    assert code == 0
    assert "HOLDS within the bounds" in out and "288 distinct states" in out


def test_a_violation_exits_1_with_a_numbered_trace_and_a_sequence_diagram(capsys):
    code, out, _ = run(capsys, "check", "acks1-loss")
    assert code == 1
    assert "1. Produce(r1)" in out and "sequenceDiagram" in out


def test_a_state_limit_exits_3_and_says_incomplete(capsys):
    code, out, _ = run(capsys, "check", "twophase", "--max-states", "20")
    assert code == 3 and "INCOMPLETE" in out and "HOLDS" not in out


def test_json_output_has_the_documented_fields(capsys):
    code, out, _ = run(capsys, "check", "acks1-loss", "--json")
    data = json.loads(out)
    for key in ("model", "config", "bounds", "result", "distinct_states", "generated_states",
                "depth", "seconds", "violations"):
        assert key in data
    assert code == 1 and data["result"] == "violated"
    assert data["config"]["acks"] == "1"
    violation = data["violations"][0]
    assert violation["property"] == "NoAckedWriteLost"
    assert [step["action"] for step in violation["trace"]][1] == "Produce(r1)"


@pytest.mark.parametrize("argv,fragment", [
    (["check", "replication", "--set", "acks=2"], "invalid value '2' for acks"),
    (["check", "replication", "--set", "min.insync.replica=2"], "did you mean min.insync.replicas"),
    (["check", "replication", "--bound", "crash=1"], "did you mean crashes"),
    (["check", "replicaton"], "did you mean replication"),
    (["check", "replication", "--kafka-version", "3.6", "--set",
      "eligible.leader.replicas.version=1"], "KIP-966 arrived in 4.0"),
    (["check", "replication", "--kafka-version", "4.9"], "unknown Kafka version"),
    (["check", "replication", "--kafka-version", "three"], "invalid Kafka version"),
    (["check", "replication", "--property", "NoAckedWritesLost"], "did you mean NoAckedWriteLost"),
    (["check", "replication", "--set", "acks"], "expected KEY=VALUE"),
    (["check", "replication", "--bound", "crash_kind=meteor"], "must be one of"),
    (["check", "replication", "--max-states", "lots"], "invalid int value"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_properties_file_supplies_kafka_settings(tmp_path, capsys):
    config = tmp_path / "producer.properties"
    config.write_text("# our producer\nacks = 1\nreplication.factor: 3\n")
    code, out, _ = run(capsys, "check", "replication", "--config", str(config),
                       "--property", "NoAckedWriteLost")
    assert code == 1 and "acks=1" in out


def test_a_malformed_properties_line_is_reported_with_its_line_number(tmp_path, capsys):
    config = tmp_path / "bad.properties"
    config.write_text("acks=all\nthis-line-has-no-value\n")
    code, _, err = run(capsys, "check", "replication", "--config", str(config))
    assert code == 2 and "bad.properties:2" in err


def test_settings_that_change_no_semantics_are_accepted_and_reported(capsys):
    code, out, _ = run(capsys, "check", "acks1-loss", "--set", "bootstrap.servers=k:9092")
    assert code == 1 and "accepted but not modelled: bootstrap.servers" in out


def test_the_console_script_exits_2_without_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "kafkacheck.cli", "check", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_a_saved_counterexample_replays(tmp_path, capsys):
    code, out, _ = run(capsys, "check", "acks1-loss", "--json")
    saved = tmp_path / "cex.json"
    saved.write_text(out)
    code, out, _ = run(capsys, "replay", "replication", "--set", "acks=1", "--set",
                       "replication.factor=3", str(saved))
    assert code == 1 and "NoAckedWriteLost" in out


def test_the_state_graph_exports_to_dot_and_graphml(tmp_path, capsys):
    dot, graphml = tmp_path / "g.dot", tmp_path / "g.graphml"
    assert run(capsys, "check", "diehard", "--graph", str(dot))[0] == 1
    assert run(capsys, "check", "diehard", "--graph", str(graphml))[0] == 1
    assert dot.read_text().count("->") == 97 - 1
    assert "<graphml" in graphml.read_text()


def test_list_shows_models_bounds_properties_and_presets(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "replication:" in out and "bound crashes=" in out and "NoAckedWriteLost" in out
    assert "acks1-loss" in out


def test_ctrl_c_prints_the_partial_result_and_exits_3():
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "kafkacheck.cli", "check", "replication", "--set", "acks=all",
         "--set", "replication.factor=3", "--set", "min.insync.replicas=2",
         "--bound", "records=4", "--bound", "crashes=2", "--property", "NoAckedWriteLost"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell that started pytest in the background ignores SIGINT, and children
        # inherit that: give the CLI the default disposition, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "INCOMPLETE: interrupted" in out and "distinct states" in out
    assert "Traceback" not in err


def test_every_preset_name_is_defined_once():
    # presets.PRESETS is keyed by name: a second definition would replace the first unseen
    # (an old preset of the same name once claimed 'minutes' for a search that never ends).
    from kafkacheck.model import presets

    assert len(presets.PRESETS) == len(presets._ALL)


@pytest.mark.parametrize("argv", [
    ["prove", "acks-all-safe", "--bound", "crash_kind=process"],   # proved: 0
    ["prove", "acks-all-safe"],                                     # not proved: 3
    ["prove", "acks-all-safe", "--set", "transactional.id=t"],      # not covered: 3
    ["prove", "acks1-loss", "--brokers", "3", "--depth", "6"],      # violated: 1
])
def test_prove_json_carries_the_exit_code_it_ends_with(capsys, argv):
    code, out, _ = run(capsys, *argv, "--json")
    assert json.loads(out)["exit_code"] == code
    assert code in (0, 1, 3)


def test_a_refused_checkpoint_leaves_no_folder_behind(tmp_path, capsys):
    # Refused before any estimate or search: liveness needs the state graph, and a
    # process-local model's states cannot be saved; the folder probed is removed again.
    for argv in (["check", "acks-all-safe", "--bound", "records=3"],
                 ["check", "kip848-spec"]):
        code, out, err = run(capsys, *argv, "--checkpoint", str(tmp_path / "ck" / "a"))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "ck").exists()


def test_a_resume_takes_the_properties_in_any_order(tmp_path, capsys):
    folder = str(tmp_path / "ck")
    names = ["--property", "NoAckedWriteLost", "--property", "HwWithinLeo"]
    code, _, _ = run(capsys, "check", "acks-all-safe", *names, "--checkpoint", folder,
                     "--max-depth", "3")
    assert code == 3
    code, out, _ = run(capsys, "check", "acks-all-safe", *names[2:], *names[:2],
                       "--resume", folder)
    assert code == 0 and "resumed from" in out
