"""Unit tests of the JSON-lines history format (no Java needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def test_a_malformed_line_other_than_the_last_is_refused(tmp_path: Path) -> None:
    # Audit: any line that was not JSON was skipped, so a damaged acknowledgement in the
    # middle vanished and its loss went unseen; only a crashed writer's last line may go
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as w:
        w.note("nemesis", "kill", 1)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0][:25], lines[1]]) + "\n")
    with pytest.raises(ValueError, match=r"h\.jsonl:1: not a JSON event \(.*\); only a "
                                         r"truncated last line is ignored$"):
        read_events(path)


def test_an_event_without_a_time_stamp_is_refused() -> None:
    # Audit: a missing time read as 0, so every op "began" together and a final read could
    # not be told to come after the acknowledgements it must follow
    with pytest.raises(ValueError, match=r"^an event has no time stamp \(p invoke send: "
                                         r"time=None\): the history cannot order its "
                                         r"operations$"):
        pair([{"process": "p", "type": "invoke", "f": "send", "value": [["t/0", None, 1]]}])
