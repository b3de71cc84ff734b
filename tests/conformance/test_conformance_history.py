"""Unit tests of the JSON-lines history format (no Java needed)."""

from __future__ import annotations

import json
from pathlib import Path

from kafkacheck.conformance.history import (
    HistoryWriter,
    merge_files,
    pair,
    read_events,
    split_key,
    tp_key,
)


def test_tp_key_round_trip() -> None:
    assert split_key(tp_key("my/topic", 3)) == ("my/topic", 3)


def test_writer_pairs_and_indefinite(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as w:
        a = w.invoke("p", "send", [["t/0", None, 1]])
        w.complete(a, "ok", [["t/0", 0, 1]])
        w.invoke("p", "send", [["t/0", None, 2]])  # never completed: crash
        c = w.invoke("c", "poll", None, group="g")
        w.complete(c, "ok", {"t/0": [[0, 1]]})
    ops = pair(read_events(path))
    assert [(o.f, o.type) for o in ops] == [("send", "ok"), ("send", "info"), ("poll", "ok")]
    assert ops[0].writes() == {"t/0": [(0, 1)]}
    assert ops[1].writes() == {"t/0": [(None, 2)]}
    assert ops[2].group == "g"
    assert ops[2].reads() == {"t/0": [(0, 1)]}


def test_truncated_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as w:
        w.note("nemesis", "kill", 1)
    with path.open("a") as fh:
        fh.write('{"type": "invo')
    assert len(read_events(path)) == 2


def test_merge_orders_by_time_and_indexes(tmp_path: Path) -> None:
    p1, p2 = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    p1.write_text(json.dumps({"type": "invoke", "process": "a", "f": "poll", "time": 3}) + "\n")
    p2.write_text(json.dumps({"type": "invoke", "process": "b", "f": "poll", "time": 1}) + "\n")
    events = merge_files([p1, p2, tmp_path / "missing.jsonl"], tmp_path / "all.jsonl")
    assert [e["process"] for e in events] == ["b", "a"]
    assert [e["index"] for e in read_events(tmp_path / "all.jsonl")] == [0, 1]


def test_writer_prefix_keeps_ops_apart(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    w1 = HistoryWriter(path, process_prefix="x")
    w2 = HistoryWriter(path, process_prefix="y")
    a = w1.invoke("p", "poll")
    b = w2.invoke("p", "poll")
    w2.complete(b, "ok", {})
    w1.complete(a, "fail")
    w1.close()
    w2.close()
    ops = pair(read_events(path))
    assert sorted(o.type for o in ops) == ["fail", "ok"]
