"""Bad input anywhere is one line and exit 2 (UsageError in the API), before long work."""

from __future__ import annotations

import json
import math
import os
import time

import pytest

from kafkacheck import testing
from kafkacheck.cli import main
from kafkacheck.config import UsageError


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv) -> str:
    code, _out, err = run(capsys, *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("kafkacheck: error: "), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "NaN", "1e999", "soon"])
def test_max_seconds_must_be_a_finite_positive_number(capsys, value):
    for command in (["check", "twophase"], ["simulate", "twophase"],
                    ["prove", "replication"], ["review", "x.properties"]):
        err = one_line_error(capsys, *command, "--max-seconds", value)
        assert "--max-seconds" in err


@pytest.mark.parametrize("option,value", [("--max-states", "0"), ("--max-states", "-5"),
                                          ("--max-depth", "-1"), ("--workers", "0"),
                                          ("--workers", "1000"),
                                          ("--max-states", "1.5")])
def test_counts_must_be_integers_in_range(capsys, option, value):
    one_line_error(capsys, "check", "twophase", option, value)


def test_kafka_int_parsing_rejects_what_integer_parseint_rejects(capsys):
    err = one_line_error(capsys, "check", "replication", "--set", "replication.factor=0_3")
    assert "invalid value '0_3' for replication.factor" in err
    one_line_error(capsys, "check", "replication", "--set", "min.insync.replicas=99999999999")
    one_line_error(capsys, "check", "replication", "--set", "acks=ALL")


def test_a_setting_given_twice_with_two_values_is_refused_not_last_wins(capsys):
    err = one_line_error(capsys, "check", "replication", "--set", "acks=1", "--set", "acks=all")
    assert "acks is set twice (to '1' and to 'all')" in err
    # a value's own line breaks stay escaped: one line
    err = one_line_error(capsys, "check", "replication", "--set", "acks=1", "--set",
                         "acks=0\x850")
    assert "acks is set twice (to '1' and to '0\\x850')" in err


def test_config_files_that_disagree_on_a_key_are_refused_until_set_decides(tmp_path, capsys):
    # A topic override (min.insync.replicas=1) and a broker default (=2): Kafka runs the
    # topic's whatever the order of the files, and a file does not say which it is.  With
    # "later wins" the order decided between HOLDS and VIOLATED.
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=1\n")
    broker = tmp_path / "broker.properties"
    broker.write_text("min.insync.replicas=2\nunclean.leader.election.enable=false\n")
    for first, second in ((topic, broker), (broker, topic)):
        err = one_line_error(capsys, "check", "replication", "--config", str(first),
                             "--config", str(second), "--set", "acks=all")
        assert "min.insync.replicas is" in err and "--set min.insync.replicas=VALUE" in err
    # --set decides; files that agree are fine
    code, out, _err = run(capsys, "check", "replication", "--config", str(topic), "--config",
                          str(broker), "--set", "min.insync.replicas=1", "--set", "acks=all",
                          "--bound", "records=1", "--max-seconds", "60")
    assert code == 1 and "NoAckedWriteLost" in out and "VIOLATED" in out
    code, out, _err = run(capsys, "check", "replication", "--config", str(broker), "--config",
                          str(broker), "--set", "acks=all", "--bound", "records=1",
                          "--set", "replication.factor=3", "--max-seconds", "60")
    assert code == 0 and "HOLDS" in out


def test_every_unknown_key_of_a_config_file_is_in_one_message(tmp_path, capsys):
    config = tmp_path / "producer.properties"
    config.write_text("acks=1\nlinger.sm=5\nretrys=3\nsecurity.protocol=SASL_SSL\n"
                      "schema.registry.url=https://sr:8081\n")
    err = one_line_error(capsys, "check", "replication", "--config", str(config))
    assert "2 unknown Kafka settings" in err
    assert "'linger.sm' (did you mean linger.ms?)" in err and "'retrys'" in err


def test_a_real_client_file_is_accepted_whole(tmp_path, capsys):
    config = tmp_path / "producer.properties"
    config.write_text("bootstrap.servers=k:9093\nsecurity.protocol=SASL_SSL\n"
                      "sasl.mechanism=PLAIN\nssl.truststore.password=secret\n"
                      "key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
                      "schema.registry.url=https://sr:8081\nacks=1\nreplication.factor=3\n")
    code, out, _ = run(capsys, "check", "replication", "--config", str(config),
                       "--property", "NoAckedWriteLost", "--json")
    data = json.loads(out)
    assert code == 1 and "security.protocol" in data["not_modelled"]
    assert "secret" not in out  # PASSWORD values are hidden, as Kafka logs them


@pytest.mark.parametrize("path,fragment", [
    ("/dev/urandom", "not a regular file"),
    ("/dev/zero", "not a regular file"),
    ("/nonexistent/x.properties", "not found"),
    ("/tmp", "is a directory"),
])
def test_config_files_that_are_not_small_text_files_fail_fast(capsys, path, fragment):
    started = time.monotonic()
    err = one_line_error(capsys, "check", "replication", "--config", path)
    assert fragment in err and time.monotonic() - started < 5


def test_huge_and_binary_config_files_are_rejected_without_reading_them_all(tmp_path, capsys):
    huge = tmp_path / "huge.properties"
    huge.write_bytes(b"a" * (2 << 20))
    assert "larger than 1024 KiB" in one_line_error(capsys, "check", "replication",
                                                     "--config", str(huge))
    binary = tmp_path / "bin.properties"
    binary.write_bytes(b"acks=1\x00\x01\x02")
    assert "binary" in one_line_error(capsys, "check", "replication", "--config", str(binary))


def test_a_latin1_properties_file_is_read_as_java_reads_it(tmp_path, capsys):
    config = tmp_path / "latin1.properties"
    config.write_bytes("client.id=caf\xe9\nacks=1\nreplication.factor=3\n".encode("latin-1"))
    code, _, _ = run(capsys, "check", "replication", "--config", str(config), "--property",
                     "NoAckedWriteLost")
    assert code == 1


def test_graph_path_is_checked_before_the_search(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    started = time.monotonic()
    err = one_line_error(capsys, "check", "replication", "--bound", "records=4",
                         "--graph", str(blocker / "g.dot"))
    assert "--graph" in err and time.monotonic() - started < 5
    assert "--graph" in one_line_error(capsys, "check", "diehard", "--graph",
                                       str(tmp_path / "missing" / "g.dot"))


def test_report_out_must_be_a_folder_and_is_checked_first(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "not a folder" in one_line_error(capsys, "report", "--out", str(blocker))
    assert "not a folder" in one_line_error(capsys, "report", "--out", str(blocker / "sub"))


def test_report_only_one_section_keeps_the_index_and_results(tmp_path, capsys, monkeypatch):
    from kafkacheck import report

    (tmp_path / "README.md").write_text("# index\n\n## Other matrix\n\nkept\n")
    (tmp_path / "results.json").write_text('{"matrices": {"other": [1]}}\n')
    monkeypatch.setattr(report, "conformance_markdown", lambda out, stamp: "# conformance")
    code, _, _ = run(capsys, "report", "--out", str(tmp_path), "--only", "conformance")
    assert code == 0
    assert (tmp_path / "README.md").read_text() == "# index\n\n## Other matrix\n\nkept\n"
    assert json.loads((tmp_path / "results.json").read_text()) == {"matrices": {"other": [1]}}
    assert (tmp_path / "conformance.md").read_text() == "# conformance\n"


# -- replay ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", "acks1-loss", "--property", "NoAckedWriteLost", "--json"])
    path = tmp_path_factory.mktemp("replay") / "cex.json"
    path.write_text(out.getvalue())
    return path


def test_replay_uses_the_model_and_settings_saved_in_the_file(saved, capsys):
    code, out, _ = run(capsys, "replay", str(saved))
    assert code == 1 and "final state violates: NoAckedWriteLost" in out


def test_replay_settings_given_on_the_command_line_override_the_saved_ones(saved, capsys):
    # The trace no longer violates anything: exit 3, since one trace is no verdict (a
    # replay never exits 0).
    code, out, _ = run(capsys, "replay", "replication", "--set", "acks=all", str(saved))
    assert code == 3 and "final state violates: nothing" in out
    assert "NoAckedWriteLost is not violated at the end of this trace" in out


def test_replay_config_files_also_override_the_saved_settings(saved, tmp_path, capsys):
    props = tmp_path / "producer.properties"
    props.write_text("acks=all\n")
    code, out, _ = run(capsys, "replay", "replication", "--config", str(props), str(saved))
    assert code == 3 and "NoAckedWriteLost is not violated at the end of this trace" in out


def test_replay_refuses_a_trace_recorded_for_another_model(saved, capsys):
    err = one_line_error(capsys, "replay", "producer", str(saved))
    assert "recorded for model 'replication', not producer" in err


@pytest.mark.parametrize("content,fragment", [
    ('{"violations":"abc"}', "no list of violations"),
    ('{"violations":[]}', "holds no violation"),
    ('{"model":"replication","violations":[{"property":"NoAckedWriteLost"}]}', "has no trace"),
    ('{"model":"replication","violations":[{"property":"NoAckedWriteLost","trace":[]}]}',
     "no trace with steps"),
    ('{"model":"replication","violations":[{"property":"NoAckedWriteLost","trace":'
     '[{"label":null},{"label":["Produce",{"a":1}]}]}]}', "malformed action label"),
    ('{"model":"replication","violations":[{"property":"Nope","trace":'
     '[{"label":null},{"label":["Produce","r1"]}]}]}', "no property 'Nope'"),
    ('{"model":"nope","violations":[{"property":"X","trace":[]}]}', "unknown model"),
    ('[' * 100_000, "nested too deeply"),
    ("not json", "not JSON"),
    ('{"model":"replication","config":{"acks":[1]},"violations":[{"property":"X",'
     '"trace":[]}]}', "malformed 'config'"),
])
def test_replay_rejects_malformed_files_in_one_line(tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert fragment in one_line_error(capsys, "replay", str(path))


def test_replay_reads_latin1_bytes_without_crashing(tmp_path, capsys):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"model": "caf\xe9", "violations": []}')
    one_line_error(capsys, "replay", str(path))


def test_replay_of_a_step_the_model_does_not_allow_is_not_reproduced(saved, tmp_path,
                                                                     capsys):
    # A trace that no longer replays is no error of the input (README: exit 3).
    data = json.loads(saved.read_text())
    data["violations"][0]["trace"][1]["label"] = ["Crash", 99]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    code = main(["replay", str(path), "--no-diagram"])
    out, err = capsys.readouterr()
    assert code == 3 and not err
    assert "not reproduced: the trace does not replay: step 1 Crash(99)" in out


def test_prove_stops_at_max_seconds_and_says_incomplete(capsys):
    started = time.monotonic()
    code, out, _ = run(capsys, "prove", "replication", "--set", "acks=all", "--set",
                       "replication.factor=3", "--set", "min.insync.replicas=2",
                       "--brokers", "3", "--depth", "14", "--max-seconds", "1")
    assert time.monotonic() - started < 30  # unbounded, depth 14 runs for minutes
    assert code == 3 and out.startswith("INCOMPLETE (time limit reached): ")


# -- the Python API -------------------------------------------------------------------


def api_error(call, *args, **kwargs) -> str:
    with pytest.raises(UsageError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_api_unknown_model_is_a_usage_error_with_the_cli_message(capsys):
    message = api_error(testing.check, model="replicaton")
    cli = one_line_error(capsys, "check", "replicaton")
    assert message in cli and "did you mean replication" in message
    api_error(testing.make_model, "nope")
    api_error(testing.machine, "nope")
    api_error(testing.kafka_settings, "nope")


def test_api_accepts_presets_as_the_cli_does():
    result = testing.check(model="acks1-loss")
    assert result.result == "violated" and result.model.config.kafka["acks"] == 1
    assert testing.make_model("acks-all-safe").bound["records"] == 2


@pytest.mark.parametrize("settings", ["acks=1", ["acks"], 5, {"acks": None}, {1: "x"}])
def test_api_settings_must_be_a_mapping_of_names_to_values(settings):
    assert "settings" in api_error(testing.check, settings)


def test_api_bounds_must_be_a_mapping():
    api_error(testing.check, bounds=["crashes"])
    api_error(testing.check, bounds="crashes=1")


def test_api_a_single_property_name_is_one_name_not_its_letters():
    result = testing.check({"acks": 1, "replication.factor": 3}, properties="NoAckedWriteLost")
    assert [p.name for p in result.properties] == ["NoAckedWriteLost"]
    assert "did you mean" in api_error(testing.check, properties="NoAckedWritesLost")


@pytest.mark.parametrize("kwargs", [{"max_states": 0}, {"max_states": -1},
                                    {"max_states": 2.5}, {"max_seconds": 0},
                                    {"max_seconds": -1.0}, {"max_seconds": math.nan},
                                    {"max_seconds": math.inf}])
def test_api_limits_must_be_positive(kwargs):
    api_error(testing.check, **kwargs)


def test_api_numbers_and_booleans_are_accepted_as_setting_values():
    model = testing.make_model("producer", {"acks": 1, "enable.idempotence": False})
    assert model.config.kafka["acks"] == 1 and model.config.kafka["enable.idempotence"] is False
    testing.kafka_settings("replication", acks=1)


def test_api_bad_pins_fail_at_once_not_as_unsatisfiable():
    assert "invalid value '2' for acks" in api_error(testing.kafka_settings, acks="2")
    assert "unknown Kafka setting" in api_error(testing.kafka_settings, nope="1")
    message = api_error(testing.kafka_settings, "producer",
                        **{"acks": "1", "enable.idempotence": "true"})
    assert "Must set acks to all in order to use the idempotent producer" in message


def test_consumer_protocol_before_kafka_4_is_not_covered_never_checked_with_4_x_rules(
        capsys):
    # Kafka 3.7-3.9 take group.protocol=consumer (early access, preview); the KIP-848 model
    # follows 4.0 and later: an older release never reads as holds, nor as bad input.
    from kafkacheck.cli import main

    code = main(["check", "group", "--set", "group.protocol=consumer", "--kafka-version",
                 "3.7", "--max-states", "10"])
    out = capsys.readouterr().out
    assert code == 3 and "HOLDS" not in out
    assert "NOT COVERED: group.protocol=consumer (before Kafka 4.0 the consumer protocol" in out


# -- audit 17: output paths, bounds and standard streams ------------------------------------


def test_a_checkpoint_never_goes_into_a_folder_of_other_files(tmp_path, capsys):
    # write_checkpoint replaces current/, old/ and writing/: they held a user's files.
    for name in ("old/thesis.txt", "current/x.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("mine")
    err = one_line_error(capsys, "check", "diehard", "--checkpoint", str(tmp_path))
    assert "holds files that are not a kafkacheck checkpoint" in err
    assert (tmp_path / "old" / "thesis.txt").read_text() == "mine"
    # a folder holding a checkpoint of kafkacheck's (or what an interrupted save left) is
    # taken again, and a run resumes from and saves into the same folder
    ck = tmp_path / "ck"
    (ck / "writing" / "shard-0").mkdir(parents=True)
    args = ["check", "twophase", "--property", "TCConsistent", "--no-diagram"]
    assert main([*args, "--max-depth", "5", "--checkpoint", str(ck)]) == 3
    assert (ck / "current" / "manifest.json").is_file()
    assert main([*args, "--resume", str(ck), "--checkpoint", str(ck)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("option,path", [("--graph", "/proc/x.dot"), ("--graph", "/sys/x.dot"),
                                         ("--checkpoint", "/proc/ck")])
def test_an_output_the_machine_refuses_is_found_before_the_search(capsys, option, path):
    # os.access said yes for /proc and /sys; the failure came after the whole search.
    code, out, err = run(capsys, "check", "diehard", option, path)
    assert code == 2 and out == ""
    assert err == f"kafkacheck: error: {option} {path}: cannot write there\n"


def test_a_graph_too_large_to_export_stops_the_search_just_past_the_limit(tmp_path, capsys):
    # The limit was found after exploring all 57,909 states, and the result was lost.
    started = time.monotonic()
    code, out, err = run(capsys, "check", "replication", "--set", "replication.factor=3",
                         "--set", "min.insync.replicas=2", "--graph", str(tmp_path / "g.dot"),
                         "--no-estimate", "--no-diagram")
    assert code == 2 and "state limit 20,001 reached" in out
    assert err.strip() == ("kafkacheck: error: state graph has more than 20,000 states "
                           "(--graph stopped the search at 20,001); export is limited to "
                           "20,000 (lower the bounds)")
    assert time.monotonic() - started < 30


def test_report_refuses_an_index_file_it_could_not_write_before_any_check(tmp_path, capsys):
    (tmp_path / "results.json").mkdir()
    err = one_line_error(capsys, "report", "--out", str(tmp_path), "--only", "claims")
    assert "results.json is not a file" in err


def test_a_bound_without_its_own_maximum_stops_at_ten_thousand(capsys):
    # 10**20 crashes overflowed the 64-bit state fields: an internal error, exit 70.
    err = one_line_error(capsys, "check", "replication", "--bound",
                         "crashes=99999999999999999999")
    assert "maximum 10000" in err
    with pytest.raises(UsageError, match="maximum 10000"):
        testing.check(bounds={"crashes": 10**30})


def test_an_output_the_machine_cannot_take_is_one_line_exit_2(capsys, monkeypatch):
    # A full disk (/dev/full) was "internal error", exit 70; closed stdin for `replay -`
    # was an AttributeError.
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kafkacheck.cli._emit", full)
    err = one_line_error(capsys, "check", "diehard", "--json")
    assert "error: No space left on device (standard output)" in err
    monkeypatch.setattr("sys.stdin", None)
    err = one_line_error(capsys, "replay", "-")
    assert "no standard input to read the trace from" in err


@pytest.mark.parametrize("argv,message", [
    (["check", "diehard", "--checkpoint-every", "5"], "--checkpoint-every needs --checkpoint"),
    (["partitioner-sequence", "--partitions", "3", "--random", "1", "--seed", "5"],
     "--random and --seed are alternatives"),
    (["partitioner-sequence", "--partitions", "3", "--partitioner", "roundrobin", "--seed",
      "5"], "--seed: RoundRobinPartitioner draws no random value"),
    (["explore", "diehard", "--host", ""], "--host '': give an address"),
    (["check", "diehard", "--ray", "127.0.0.1:1"], "--ray 127.0.0.1:1: cannot reach a Ray "
                                                   "cluster there"),
    (["check", "diehard", "--ray", "nonsense"], "give auto or a cluster address HOST:PORT"),
])
def test_an_option_that_would_be_ignored_or_never_answer_is_refused(capsys, argv, message):
    # Each was silently ignored (or, for an unreachable Ray address, retried for minutes).
    assert message in one_line_error(capsys, *argv)


def test_a_file_of_many_unknown_keys_is_refused_after_twenty_of_them(tmp_path, capsys):
    # Each unknown key's did-you-mean searches the whole catalogue: 30,000 of them took
    # 7 minutes in review before the refusal.
    path = tmp_path / "many.properties"
    path.write_text("".join(f"producer.override.zz{i}=1\n" for i in range(5000)))
    started = time.monotonic()
    for argv in (["check", "producer", "--config", str(path)],
                 ["review", f"producer:{path}"]):
        err = one_line_error(capsys, *argv)
        assert "20 unknown" in err and "(and 4980 more keys not examined)" in err
    assert time.monotonic() - started < 20


def test_a_long_random_walk_stops_at_the_time_limit(capsys):
    started = time.monotonic()
    assert main(["simulate", "diehard", "--walks", "2", "--depth", "1000000",
                 "--max-seconds", "1", "--no-diagram"]) in (1, 3)
    assert time.monotonic() - started < 4
    assert "time limit reached" in capsys.readouterr().out


def test_replay_refuses_the_search_options_it_would_ignore_and_honours_property(
        tmp_path, capsys):
    assert main(["check", "acks1-loss", "--json"]) == 1
    path = tmp_path / "cx.json"
    path.write_text(capsys.readouterr().out)
    for option in (["--json"], ["--max-states", "1"], ["--max-seconds", "5"]):
        assert "replay takes no " + option[0] in one_line_error(capsys, "replay", str(path),
                                                                *option)
    assert "unknown property 'NoAckedWriteLos' for model replication (did you mean " \
        "NoAckedWriteLost?)" in one_line_error(capsys, "replay", str(path), "--property",
                                                 "NoAckedWriteLos")
    code, out, _ = run(capsys, "replay", str(path), "--property", "NoAckedWriteLost")
    assert code == 1 and out.startswith("replay: model replication, Kafka 4.4\nsettings: ")
    assert "\nNoAckedWriteLost: " in out and "CommittedRecordsStay: " not in out


def test_review_names_a_mistyped_role_with_the_close_one(tmp_path, capsys, monkeypatch):
    # "config file not found: producr:ok.properties" left the typo to be guessed.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.properties").write_text("acks=all\n")
    err = one_line_error(capsys, "review", "producr:ok.properties")
    assert "unknown role 'producr' in producr:ok.properties (did you mean producer?)" in err
    assert "give the file after producer:" in one_line_error(capsys, "review", "producer:")


def test_a_fifo_as_an_output_is_refused_not_waited_on(tmp_path, capsys):
    # Opening a FIFO to probe it waits for a reader that never comes.
    fifo = tmp_path / "g.dot"
    os.mkfifo(fifo)
    assert "cannot write there" in one_line_error(capsys, "check", "diehard", "--graph",
                                                  str(fifo))


@pytest.mark.parametrize("argv", [["conformance", "judge", "--result", "/dev/zero"],
                                  ["conformance", "soak", "--replay", "/dev/zero"]])
def test_conformance_refuses_an_endless_result_file(capsys, argv):
    # Both read /dev/zero until the kernel killed them for memory.
    code, _out, err = run(capsys, *argv)
    assert code == 2 and "/dev/zero is not a regular file" in err
