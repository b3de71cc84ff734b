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
    ],
)
def test_judge_refuses_bad_recorded_input_with_one_line_and_exit_2(
    change: dict[str, Any], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Audit: a wrong type, an unknown fault or focus ended in a traceback (exit 70), a
    # misspelt config key fell back to its default, a history without times judged as if
    # every event happened at 0, and a damaged line in the middle was skipped unnoticed
    events = _events()
    if "time" in change:
        for e in events:
            del e["time"]
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
