"""``kafkacheck conformance`` commands: run (real cluster), judge, soak/judge bad input, up/down."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from kafkacheck.conformance.__main__ import main
from kafkacheck.conformance.history import HistoryWriter

VARIANTS = Path(__file__).with_name("variants.py")
needs_kafka = pytest.mark.skipif(
    os.environ.get("KAFKACHECK_SKIP_CONFORMANCE") == "1", reason="KAFKACHECK_SKIP_CONFORMANCE=1"
)


@pytest.fixture(scope="module")
def dist() -> Any:
    """The Kafka jars (skip when Java/Maven or the download are unavailable)."""
    pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed")
    from kafkacheck.conformance.distribution import (
        DistributionError,
        ensure_distribution,
        tools_available,
    )

    if "java" in tools_available():
        pytest.skip("needs java on PATH to run a real Kafka cluster")
    try:
        return ensure_distribution()
    except DistributionError as exc:
        pytest.skip(f"no cached Kafka and no download (mvn/Maven Central): {exc}")


# The whole judged run (about 45 s); the default suite keeps the judge's failure on purpose.
@pytest.mark.thorough
@needs_kafka
@pytest.mark.conformance
def test_run_writes_a_judged_summary(dist: Any, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    t0 = time.monotonic()
    rc = main(["run", "--scenarios", "commit-before-processing-crash", "--network", "off",
               "--out", str(out), "--workdir", str(tmp_path / "w")])
    print(f"\n[cli run, one scenario] {time.monotonic() - t0:.1f}s")
    data: dict[str, Any] = json.loads(out.read_text())
    assert rc == 0
    assert data["kafka_version"] == dist.version
    assert data["verdict"] == "conforms"
    (scenario,) = data["scenarios"]
    assert scenario["scenario"] == "commit-before-processing-crash"
    assert scenario["faults"] == ["consumer-crash"]
    kinds = {k["kind"]: k for k in scenario["judgement"]["kinds"]}
    assert kinds["group:lost-write"]["predicted"] == "possible"
    assert kinds["lost-write"]["predicted"] == "impossible"
    assert kinds["lost-write"]["observed"] == 0  # the record is in the log, only unprocessed
    assert scenario["config"]["elr"] == int(
        data["cluster"]["feature_levels"]["eligible.leader.replicas.version"])
    assert Path(scenario["history_path"]).exists()


def _lossy_result(tmp_path: Path) -> Path:
    """A recorded zombie-leader result whose history shows an acknowledged record lost."""
    hist = tmp_path / "history.jsonl"
    with HistoryWriter(hist) as hw:
        for value, offset, process in (("a", 0, "p"), ("b", 1, "p"), ("z", 1, "q")):
            inv = hw.invoke(process, "send", [["t/0", None, value]])
            hw.complete(inv, "ok", [["t/0", offset, value]])
        inv = hw.invoke("reader", "poll", None, complete=True)
        hw.complete(inv, "ok", {"t/0": [[0, "a"], [1, "z"]]}, ends={"t/0": 2})
    result = tmp_path / "result.json"
    result.write_text(json.dumps({
        "history_path": str(hist),
        "config": {"acks": "1", "min_insync_replicas": 1, "idempotence": False,
                   "producers": False},
        "faults": ["leader-isolated"],
    }))
    return result


def test_judge_fails_a_history_against_a_variant_that_forbids_its_anomaly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _lossy_result(tmp_path)
    out = tmp_path / "demo.json"
    rc = main(["judge", "--result", str(result), "--out", str(out),
               "--variant", f"controller={VARIANTS}:ControllerAcksOneWaitsForIsr"])
    assert rc == 1
    assert "conformance: FAIL" in capsys.readouterr().out
    demo = json.loads(out.read_text())
    lost = next(k for k in demo["kinds"] if k["kind"] == "lost-write")
    assert lost["verdict"] == "FAIL" and lost["excerpt"]


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--scenarios", "nope"],
        ["soak", "--rounds", "0"],
        ["soak", "--acks", "2"],
        ["judge", "--result", "/nonexistent.json"],
        ["judge", "--result", "{result}", "--variant", "controller=nomodule"],
        ["frobnicate"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _lossy_result(tmp_path)
    argv = [a.replace("{result}", str(result)) for a in argv]
    assert main([*argv, *(["--out", str(tmp_path / "x.json")] if argv[0] == "run" else [])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("kafkacheck: error: ")


@needs_kafka
@pytest.mark.conformance
@pytest.mark.thorough
def test_up_then_down(dist: Any, tmp_path: Path) -> None:
    d = tmp_path / "up"
    assert main(["up", "--dir", str(d)]) == 0
    pids = json.loads((d / "pids.json").read_text())["pids"]
    try:
        assert len(pids) == 3
        assert all(Path(f"/proc/{p}").exists() for p in pids.values())
    finally:
        assert main(["down", "--dir", str(d)]) == 0
    time.sleep(0.5)
    for p in pids.values():
        stat = Path(f"/proc/{p}/stat")
        assert not stat.exists() or ") Z" in stat.read_text()


def _events(group_polls: list[list[Any]] | None = None, final: list[list[Any]] | None = None
            ) -> list[dict[str, Any]]:
    """a@0 and b@1 acknowledged, a group member's poll (if given), then the final read."""
    events: list[dict[str, Any]] = []

    def op(process: str, f: str, value: Any, done: Any, **extra: Any) -> None:
        n = len(events)
        events.append({"process": process, "type": "invoke", "f": f, "value": value,
                       "op": n, "time": n + 1, **extra})
        events.append({"process": process, "type": "ok", "f": f, "value": done,
                       "op": n, "time": n + 2, **extra})

    for offset, value in enumerate("ab"):
        op("producer", "send", [["t/0", None, value]], [["t/0", offset, value]])
    if group_polls is not None:
        op("consumer-1", "poll", None, {"t/0": group_polls}, group="g")
    read = [[0, "a"], [1, "b"]] if final is None else final
    op("final-reader", "poll", None, {"t/0": read}, complete=True, ends={"t/0": len(read)})
    return events


def _recorded(tmp_path: Path, events: list[dict[str, Any]], **result: Any) -> Path:
    """A result file naming a history of ``events`` (JSON lines), with ``result``'s fields."""
    hist = tmp_path / "history.jsonl"
    hist.write_text("".join(json.dumps(e) + "\n" for e in events))
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"history_path": str(hist), "config": {}, "faults": [],
                                **result}))
    return path


def test_judge_keeps_a_soak_round_that_never_recovered_as_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: a soak result whose first of 50 rounds never recovered judged to "conforms",
    # exit 0, where the soak's own summary says FAIL (cmd_judge never asked stopped_early)
    result = _recorded(tmp_path, _events(group_polls=[[0, "a"], [1, "b"]]),
                       config={"commit": "after"}, soak={"rounds": 50, "seed": 1},
                       rounds=[{"round": 0, "recovered": False,
                                "error": "ISR never came back", "faults": []}])
    assert main(["judge", "--result", str(result)]) == 1
    assert capsys.readouterr().out.splitlines()[:2] == [
        "conformance: FAIL",
        "  problem: round 1 did not recover (ISR never came back): the soak stopped after 1 "
        "of 50 rounds"]


def test_judge_keeps_the_problems_its_run_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: a scenario whose set-up never happened (its judgement said FAIL) judged again
    # to "conforms", exit 0: the recorded problems were dropped
    why = "the set-up did not happen (the leader did not both reject r0 and append r1)"
    summary = _recorded(tmp_path, _events())
    entry = json.loads(summary.read_text())
    entry.update(scenario="idempotent-epoch-bump-java", focus=["duplicate", "reordered"],
                 config={"acks": "all", "min_insync_replicas": 2, "replication_factor": 2},
                 judgement={"verdict": "FAIL", "problems": [why], "kinds": []})
    summary.write_text(json.dumps({"scenarios": [entry]}))
    assert main(["judge", "--result", str(summary),
                 "--scenario", "idempotent-epoch-bump-java"]) == 1
    assert capsys.readouterr().out.splitlines()[:2] == ["conformance: FAIL", f"  problem: {why}"]


def test_judge_of_a_run_no_model_run_covers_is_not_covered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: with no producers and no group there is no model run; every kind was "not
    # covered" and "0 observed" against nothing printed "conforms", exit 0
    result = _recorded(tmp_path, _events(), config={"producers": False})
    assert main(["judge", "--result", str(result)]) == 3
    assert capsys.readouterr().out.splitlines() == [
        "conformance: not covered", "  no model run covers any kind judged (0 model runs)"]


def test_judge_of_a_group_without_a_group_model_is_not_covered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: no commit strategy recorded, so no group model ran, yet "never processed" was
    # predicted impossible from the producer model alone and the run conformed
    result = _recorded(tmp_path, _events(group_polls=[[0, "a"], [1, "b"]]),
                       focus=["group:lost-write"])
    assert main(["judge", "--result", str(result)]) == 3
    assert capsys.readouterr().out.splitlines() == [
        "conformance: not covered",
        "  never processed: 0 observed, model says not covered -> absent (the run's focus)",
        "      no model run checks AtLeastOnce or NoSkippedOffsets: the group committed past "
        "an unprocessed record"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"config": {"partitions": "3"}}, "run config partitions='3': not int"),
        ({"config": {"min_insync_replica": 1}},
         "unknown run config key 'min_insync_replica'; did you mean 'min_insync_replicas'?"),
        ({"faults": ["nope"]}, "unknown faults ['nope']"),
        ({"focus": ["nope"]}, "unknown focus kinds ['nope']"),
        ({"config": {"acks": "0"}}, "Must set acks to all in order to use the idempotent"),
        ({"time": None}, "an event has no time stamp"),
        ({"line": 3}, "history.jsonl:4: not a JSON event"),
        # were FAIL (exit 1) and "cannot judge ...: 'f'" (session 31's bad-input review)
        ({"empty": True}, "holds no event: nothing of Kafka was recorded to judge"),
        ({"no_f": True}, "has no 'f' field: not a history event"),
    ],
)
def test_judge_refuses_bad_recorded_input_with_one_line_and_exit_2(
    change: dict[str, Any], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: a wrong type, an unknown fault or focus ended in a traceback (exit 70), a
    # misspelt config key fell back to its default, a history without times judged as if
    # every event happened at 0, and a damaged line in the middle was skipped unnoticed
    events = [] if change.get("empty") else _events()
    if "time" in change:
        for e in events:
            del e["time"]
    if change.get("no_f"):
        for e in events:
            e.pop("f", None)
    result = _recorded(tmp_path, events, **{k: v for k, v in change.items()
                                            if k in ("config", "faults", "focus")})
    if "line" in change:
        hist = tmp_path / "history.jsonl"
        lines = hist.read_text().splitlines()
        lines[change["line"]] = lines[change["line"]][:25]
        hist.write_text("\n".join(lines) + "\n")
    assert main(["judge", "--result", str(result)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err


# -- bad input is refused before a cluster starts (an audit of `kafkacheck conformance`) ---


class _WouldStart(AssertionError):
    """Raised where a test would have fetched Kafka or started a real cluster."""


@pytest.fixture
def no_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetching Kafka or starting, stopping a cluster fails the test instead of happening."""
    from kafkacheck.conformance import __main__ as cli
    from kafkacheck.conformance import cluster

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _WouldStart("bad input reached the cluster")

    monkeypatch.setattr(cli, "ensure_distribution", refuse)
    monkeypatch.setattr(cluster, "KafkaCluster", refuse)
    monkeypatch.setattr(cluster, "stop_detached", refuse)


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Exit 2 with one 'kafkacheck: error: ' line and no traceback; returns that line."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err.startswith("kafkacheck: error: ") and "Traceback" not in err
    return err.rstrip("\n")


RATE = "kafkacheck: error: conformance soak: argument --rate: {!r} must be a number of " \
       "records/s from 0.1 to 100000"


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize("rate", ["0", "-1", "nan", "inf", "-inf", "1e-300", "fast"])
def test_soak_rate_must_be_a_positive_finite_number_at_parse_time(
    rate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: --rate 0 was a ZeroDivisionError in Pump after 27 s of cluster; -1, nan, inf ran
    assert _refused(capsys, ["soak", f"--rate={rate}"]) == RATE.format(rate)


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["soak", "--min-insync-replicas", "99999999999999999999"],
         "argument --min-insync-replicas: 99999999999999999999 is above the maximum 3 "
         "(the topic has 3 replicas, one per broker)"),
        (["soak", "--min-insync-replicas", "4"],
         "argument --min-insync-replicas: 4 is above the maximum 3 "
         "(the topic has 3 replicas, one per broker)"),
        (["soak", "--min-insync-replicas", "0"],
         "argument --min-insync-replicas: 0 is below the minimum 1 "
         "(the topic has 3 replicas, one per broker)"),
        (["soak", "--partitions", "0"], "argument --partitions: 0 is below the minimum 1"),
        (["soak", "--partitions", "1001"],
         "argument --partitions: 1001 is above the maximum 1000"),
        (["soak", "--rounds", "10001"], "argument --rounds: 10001 is above the maximum 10000"),
        (["soak", "--rounds", "x"], "argument --rounds: invalid int value 'x'"),
    ],
)
def test_soak_counts_must_be_in_range_at_parse_time(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: --min-insync-replicas 99999999999999999999 was a KafkaException after 23 s
    assert _refused(capsys, argv) == f"kafkacheck: error: conformance soak: {says}"


@pytest.mark.usefixtures("no_cluster")
def test_run_rounds_must_be_in_range_at_parse_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert _refused(capsys, ["run", "--rounds", "0"]) == (
        "kafkacheck: error: conformance run: argument --rounds: 0 is below the minimum 1")


@pytest.mark.usefixtures("no_cluster")
def test_up_dir_that_cannot_be_a_folder_is_bad_input_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: up --dir /proc/x and up --dir ok.properties exited 70 (internal error)
    regular = tmp_path / "ok.properties"
    regular.write_text("acks=all\n")
    assert _refused(capsys, ["up", "--dir", str(regular)]) == (
        f"kafkacheck: error: --dir {regular}: not a folder")
    assert _refused(capsys, ["up", "--dir", str(regular / "x")]) == (
        f"kafkacheck: error: --dir {regular / 'x'}: cannot write there")
    assert _refused(capsys, ["up", "--dir", "/proc/x"]) == (
        "kafkacheck: error: --dir /proc/x: cannot write there")
    assert regular.read_text() == "acks=all\n"


@pytest.mark.usefixtures("no_cluster")
def test_up_never_empties_a_folder_that_is_not_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 'up' removes its folder before it starts: `up --dir ~` would have deleted a home
    (tmp_path / "notes.txt").write_text("mine\n")
    assert _refused(capsys, ["up", "--dir", str(tmp_path)]) == (
        f"kafkacheck: error: --dir {tmp_path}: not a cluster folder of 'up' (it holds "
        "notes.txt); 'up' empties its folder, so give a new or empty one")
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "--out", "{tmp}"], "--out {tmp}: cannot write there"),
        (["run", "--out", "/proc/x.json"], "--out /proc/x.json: cannot write there"),
        (["soak", "--out", "/proc/x.json"], "--out /proc/x.json: cannot write there"),
        (["soak", "--out", "{tmp}"], "--out {tmp}: cannot write there"),
        (["run", "--out", "{tmp}/s.json", "--workdir", "/proc/x"],
         "--workdir /proc/x: cannot write there"),
        (["soak", "--out", "{tmp}/s.json", "--workdir", "{tmp}/s.json"],
         "--workdir {tmp}/s.json: not a folder"),
        (["judge", "--result", "{tmp}/r.json", "--out", "{tmp}"],
         "--out {tmp}: cannot write there"),
    ],
)
def test_output_paths_are_probed_before_the_cluster_starts(
    argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: run --out DIR and --out /proc/x.json started the cluster and failed at the end;
    # --workdir /proc/x exited 70 after 15 s
    (tmp_path / "s.json").write_text("")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert _refused(capsys, argv) == "kafkacheck: error: " + says.replace("{tmp}", str(tmp_path))
    assert (tmp_path / "s.json").read_text() == ""  # probed for appending, not truncated


def test_conformance_probes_outputs_with_the_main_clis_rule() -> None:
    # one rule for "can this be written" (explorer/engines.py), not a second copy
    import inspect

    from kafkacheck.conformance import __main__ as cli

    source = inspect.getsource(cli)
    assert "from kafkacheck.explorer.engines import probe_writable" in source
    assert 'open(target, "a")' not in source


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "--version", "5.0"], "conformance run: argument --version: '5.0' is not a "
                                      "Kafka release: expected MAJOR.MINOR.PATCH such as 4.4.0"),
        (["up", "--version", "latest"], "conformance up: argument --version: 'latest' is not "
                                        "a Kafka release: expected MAJOR.MINOR.PATCH such as "
                                        "4.4.0"),
        (["soak", "--version", "4.04.0"], "conformance soak: argument --version: '4.04.0' is "
                                          "not a Kafka release: expected MAJOR.MINOR.PATCH "
                                          "such as 4.4.0"),
        (["run", "--version", "5.0.0"], "conformance run: argument --version: Kafka 5.0.0 is "
                                        "not a release the harness runs: it runs 4.0.x to "
                                        "4.4.x"),
        (["up", "--version", "3.9.1"], "conformance up: argument --version: Kafka 3.9.1 is not "
                                       "a release the harness runs: it runs 4.0.x to 4.4.x"),
    ],
)
def test_kafka_version_is_checked_before_any_download(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: run --version 5.0 exited 3 with ~9 lines of Maven errors
    assert _refused(capsys, argv) == f"kafkacheck: error: {says}"


def test_kafka_versions_the_harness_runs_pass_the_check() -> None:
    from kafkacheck.conformance.distribution import KAFKA_VERSION, check_version

    assert [check_version(v) for v in (KAFKA_VERSION, "4.0.0", "4.1.2")] == [
        KAFKA_VERSION, "4.0.0", "4.1.2"]


def test_a_maven_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A well-formed release Maven Central does not have (4.4.9): its ~9 lines of errors
    # became the message; now Maven's first error, and where the rest is
    import subprocess

    from kafkacheck.conformance import distribution

    def maven(cmd: list[str], stdout: Any, **kwargs: Any) -> Any:
        stdout.write("[INFO] Scanning\n[ERROR] Failed to execute goal: could not resolve "
                     "org.apache.kafka:kafka_2.13:jar:4.4.9\n[ERROR] \n[ERROR] -> [Help 1]\n")
        return subprocess.CompletedProcess(cmd, 1)

    monkeypatch.setattr(distribution, "tools_available", lambda: [])
    monkeypatch.setattr(distribution.subprocess, "run", maven)
    with pytest.raises(distribution.DistributionError) as caught:
        distribution.ensure_distribution("4.4.9", cache=tmp_path)
    assert str(caught.value) == (
        "maven failed (rc=1) for Kafka 4.4.9: Failed to execute goal: could not resolve "
        f"org.apache.kafka:kafka_2.13:jar:4.4.9 (its output is in {tmp_path / 'mvn.log'})")


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    ("scenarios", "says"),
    [
        ("acks1-leader-kil", "unknown scenarios: acks1-leader-kil (did you mean "
                             "acks1-leader-kill?); choose from "),
        ("auto-commit-crash,nope", "unknown scenarios: nope; choose from "),
        ("", "--scenarios '' names no scenario; choose from "),
        (" , ", "--scenarios ' , ' names no scenario; choose from "),
    ],
)
def test_an_unknown_scenario_is_named_with_the_close_one(
    scenarios: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: a Python list and no suggestion; --scenarios "" said "unknown scenarios: []"
    from kafkacheck.conformance.catalog import SCENARIOS

    assert _refused(capsys, ["run", "--scenarios", scenarios, "--out",
                             str(tmp_path / "s.json")]) == (
        f"kafkacheck: error: {says}{', '.join(SCENARIOS)}")


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "--scenarios", "auto-commit-crash,auto-commit-crash"],
         "--scenarios names auto-commit-crash more than once"),
        (["run", "--scenarios", "acks1-leader-kill,zombie-leader-acks1", "--network", "off"],
         "--network off, but scenarios zombie-leader-acks1 partition the network: leave them "
         "out or drop --network off"),
        (["run", "--scenarios", "auto-commit-crash", "--rounds", "3"],
         "--rounds is for acks-all-kill-rounds, which --scenarios leaves out"),
        (["soak", "--network", "off"],
         "the soak injects network partitions: --network off cannot run it"),
        (["soak", "--replay", "{tmp}/r.json", "--rounds", "3", "--seed", "2"],
         "--replay re-applies the recorded rounds: --rounds and --seed would be ignored; "
         "leave them out"),
        (["soak", "--replay", "{tmp}/empty.jsonl"],
         "cannot replay {tmp}/empty.jsonl: it records no rounds"),
    ],
)
def test_impossible_combinations_are_one_prefixed_line_before_the_cluster(
    argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[0] == "run":
        argv += ["--out", str(tmp_path / "s.json")]
    assert _refused(capsys, argv) == "kafkacheck: error: " + says.replace("{tmp}", str(tmp_path))


def test_judge_names_the_close_scenario_of_a_run_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _recorded(tmp_path, _events())
    entry = json.loads(summary.read_text())
    summary.write_text(json.dumps({"scenarios": [{**entry, "scenario": "auto-commit-crash"}]}))
    assert _refused(capsys, ["judge", "--result", str(summary), "--scenario",
                             "auto-commit-crsh"]) == (
        "kafkacheck: error: --scenario must be one of ['auto-commit-crash'] (did you mean "
        "auto-commit-crash?)")


@pytest.mark.usefixtures("no_cluster")
def test_a_kafka_that_cannot_be_had_is_one_prefixed_line_after_the_input_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Good input gets as far as fetching Kafka (and no further here): exit 3, one line
    import shutil

    from kafkacheck.conformance import __main__ as cli
    from kafkacheck.conformance.distribution import DistributionError

    def unavailable(version: str) -> Any:
        raise DistributionError(f"maven failed (rc=1) for Kafka {version}: offline")

    monkeypatch.setattr(cli, "ensure_distribution", unavailable)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    out = tmp_path / "new" / "s.json"
    assert main(["run", "--scenarios", "auto-commit-crash", "--network", "off",
                 "--out", str(out), "--workdir", str(tmp_path / "w")]) == 3
    assert capsys.readouterr().err == (
        "kafkacheck: error: cannot obtain Kafka 4.4.0: maven failed (rc=1) for Kafka 4.4.0: "
        "offline\n")
    assert not out.exists() and out.parent.is_dir()  # probed, not written


@pytest.mark.usefixtures("no_cluster")
@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["soak", "--acks", "2"], "conformance soak: argument --acks: invalid choice: '2' "),
        (["frobnicate"], "conformance: argument cmd: invalid choice: 'frobnicate' "),
        (["run", "--nope"], "conformance: unrecognized arguments: --nope"),
    ],
)
def test_argparse_errors_carry_the_prefix(
    argv: list[str], starts: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: "kafkacheck conformance soak: argument ..." lacked "kafkacheck: error: "
    # (how argparse quotes the choices differs between Python releases)
    assert _refused(capsys, argv).startswith(f"kafkacheck: error: {starts}")
