"""The conformance failure on purpose is judged again from the repository.

The zombie-leader-acks1 run records a history of a real Kafka 4.4 cluster (three
combined nodes; a partitioned leader keeps acknowledging acks=1 writes). That history
is committed, gzipped, beside its run summary in reports/data/demo/. The record on the
conformance page (reports/data/conformance-failure-demo.json) is what
`kafkacheck conformance judge` says when that history is judged against a model variant
that forbids the loss. The released model allows the loss.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from kafkacheck.conformance.__main__ import main
from kafkacheck.conformance.history import read_events
from kafkacheck.conformance.page import _demo_section, demo_history

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "reports" / "data" / "conformance-failure-demo.json"
RESULT = "reports/data/demo/zombie-leader-acks1.json"
HISTORY = ROOT / "reports" / "data" / "demo" / "zombie-leader-acks1.history.jsonl.gz"


def _judge(tmp_path: Path, *variant: str) -> tuple[int, dict]:
    out = tmp_path / "judged.json"
    argv = ["judge", "--result", RESULT, "--scenario", "zombie-leader-acks1", "--out", str(out)]
    for v in variant:
        argv += ["--variant", v]
    return main(argv), json.loads(out.read_text())


def _timeless(value: object) -> object:
    """The record without its timings (a model run's seconds differ from run to run)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def test_judging_the_committed_history_against_the_variant_gives_the_recorded_failure(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the record names the result as the command was given it
    recorded = json.loads(DEMO.read_text())
    code, judged = _judge(tmp_path, *recorded["variant"])
    assert code == 1 and _timeless(judged) == _timeless(recorded)
    lost = {k["kind"]: k for k in judged["kinds"]}["lost-write"]
    assert (lost["verdict"], lost["predicted"], lost["observed"]) == ("FAIL", "impossible", 1045)
    assert "conformance: FAIL" in capsys.readouterr().out


def test_the_released_model_allows_what_the_cluster_did(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, judged = _judge(tmp_path)
    lost = {k["kind"]: k for k in judged["kinds"]}["lost-write"]
    assert code == 0 and judged["verdict"] == "conforms"
    assert (lost["predicted"], lost["observed"]) == ("possible", 1045)


def test_the_page_names_the_committed_history():
    demo = json.loads(DEMO.read_text())
    assert demo_history(demo, ROOT) == HISTORY
    text = "\n".join(_demo_section(demo, ROOT))
    assert ("the run's history is committed (`reports/data/demo/zombie-leader-acks1.history"
            ".jsonl.gz`), so the command judges it again from the repository") in text


def test_a_gzipped_history_reads_as_its_text(tmp_path):
    plain = tmp_path / "history.jsonl"
    plain.write_bytes(gzip.decompress(HISTORY.read_bytes()))
    events = read_events(HISTORY)
    assert events == read_events(plain) and len(events) > 1000


def test_a_gzipped_history_is_limited_by_its_text_and_must_be_gzip(tmp_path):
    # A small .gz can hold an endless text: the limit counts what it unpacks to.
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b'{"a": 1}\n' * 200_000))
    assert bomb.stat().st_size < 10_000
    with pytest.raises(ValueError, match="holds more than 1 MiB of text"):
        read_events(bomb, limit=1 << 20)
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_text('{"a": 1}\n')
    with pytest.raises(ValueError, match="not a gzipped history"):
        read_events(fake)


def test_a_corrupt_gzip_is_one_line_of_bad_input(tmp_path, capsys):
    # A damaged deflate stream raised zlib.error, which is no OSError: exit 70.
    packed = HISTORY.read_bytes()
    damaged = tmp_path / "damaged.jsonl.gz"
    damaged.write_bytes(packed[:30] + bytes(b ^ 0x5A for b in packed[30:400]) + packed[400:])
    with pytest.raises(ValueError, match="not a gzipped history"):
        read_events(damaged)
    result = json.loads((ROOT / RESULT).read_text())
    result["scenarios"][0]["history_path"] = str(damaged)
    (tmp_path / "result.json").write_text(json.dumps(result))
    assert main(["judge", "--result", str(tmp_path / "result.json"),
                 "--scenario", "zombie-leader-acks1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a gzipped history" in err


def test_a_history_path_relative_to_where_the_run_was_started_is_still_found(
        tmp_path, monkeypatch):
    # `run --workdir hist --out results/s.json` records hist/...: judge looked for it only
    # beside the result file (results/hist/...), a regression of reading it from there.
    (tmp_path / "hist").mkdir()
    (tmp_path / "results").mkdir()
    shutil.copy(HISTORY, tmp_path / "hist" / "h.jsonl.gz")
    result = json.loads((ROOT / RESULT).read_text())
    result["scenarios"][0]["history_path"] = "hist/h.jsonl.gz"
    (tmp_path / "results" / "s.json").write_text(json.dumps(result))
    monkeypatch.chdir(tmp_path)
    assert main(["judge", "--result", "results/s.json", "--scenario",
                 "zombie-leader-acks1"]) == 0
