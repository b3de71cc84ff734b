"""Jepsen-style operation histories of Kafka clients, stored as JSON lines.

Every client action is two events sharing a process: an ``invoke`` when the
client starts it and a completion when its outcome is known:

* ``ok``   - it definitely happened (a send was acknowledged with an offset; a
  poll returned these records and they were processed);
* ``fail`` - it definitely did not happen;
* ``info`` - indefinite: the client crashed or timed out and the effect is
  unknown.  An invocation with no completion at all is read as ``info``.

Functions (``f``):

* ``send``: value ``[[key, offset_or_null, value], ...]``; ``key`` names a
  topic-partition as ``"topic/partition"``; the invocation carries ``null``
  offsets and the ``ok`` completion the acknowledged ones.
* ``poll``: the completion's value is ``{key: [[offset, value], ...]}``.  A
  completion with ``"complete": true`` is a *complete read*: it read each key
  in ``"ends"`` from the log start up to that end offset.  One whose deadline
  passed first (:func:`read_end_marks`) carries ``"complete": false`` and
  ``"incomplete"``, the keys it did not read to their end: it is no complete
  read, and a final read that timed out.
* ``assign`` / ``subscribe`` / ``crash`` / ``nemesis``: bookkeeping; the
  checkers only use ``assign``/``subscribe`` to reset per-process poll order.

Optional fields: ``group`` (consumer group of a poll), ``error`` (text), and
anything else a scenario wants to keep; unknown fields are preserved.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INVOKE = "invoke"
OK = "ok"
FAIL = "fail"
INFO = "info"
COMPLETIONS = (OK, FAIL, INFO)

Event = dict[str, Any]


def tp_key(topic: str, partition: int) -> str:
    """The history key of a topic-partition."""
    return f"{topic}/{partition}"


def split_key(key: str) -> tuple[str, int]:
    """Invert :func:`tp_key`."""
    topic, _, part = key.rpartition("/")
    return topic, int(part)


class HistoryWriter:
    """Appends events to a JSON-lines file, one flushed line per event (thread-safe)."""

    def __init__(self, path: Path | str, process_prefix: str = "") -> None:
        """Open ``path`` for appending; ``process_prefix`` namespaces process names."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._next_op = 0
        self.prefix = process_prefix

    def _write(self, event: Event) -> Event:
        """Stamp and append one event."""
        event.setdefault("time", time.monotonic_ns())
        event.setdefault("wall", time.time())
        line = json.dumps(event, sort_keys=True, default=str)
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()
        return event

    def invoke(self, process: str, f: str, value: Any = None, **extra: Any) -> Event:
        """Record an invocation and return it (pass it to :meth:`complete`)."""
        with self._lock:
            op_id = f"{self.prefix}{self._next_op}"
            self._next_op += 1
        event = {"type": INVOKE, "process": process, "f": f, "value": value, "op": op_id}
        event.update(extra)
        return self._write(event)

    def complete(self, invocation: Event, type_: str, value: Any = None, **extra: Any) -> Event:
        """Record the completion (ok/fail/info) of an earlier invocation."""
        if type_ not in COMPLETIONS:
            raise ValueError(f"not a completion type: {type_}")
        event = {
            "type": type_,
            "process": invocation["process"],
            "f": invocation["f"],
            "value": value,
            "op": invocation["op"],
        }
        for k in ("group",):
            if k in invocation and k not in extra:
                event[k] = invocation[k]
        event.update(extra)
        return self._write(event)

    def note(self, process: str, f: str, value: Any = None, **extra: Any) -> Event:
        """Record a one-shot event (crash, nemesis action) as an invoke+info pair."""
        inv = self.invoke(process, f, value, **extra)
        return self.complete(inv, INFO, value, **extra)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._fh.close()

    def __enter__(self) -> HistoryWriter:
        """Context manager entry."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()


def read_end_marks(keys: Sequence[str], reached: Mapping[str, int],
                   answers: Sequence[Mapping[str, int]], done: bool) -> dict[str, Any]:
    """The fields a complete read's completion carries besides its records: ``ends`` (the
    last high-watermark answer) and ``end_answers``; when ``done`` is false (its deadline
    passed first) also ``complete: false`` and ``incomplete``, the keys whose next offset
    ``reached`` is not that end (every key when no end was answered), so that the judge
    says the read timed out instead of finding no complete read."""
    marks: dict[str, Any] = {"ends": dict(answers[-1]) if answers else {},
                             "end_answers": len(answers)}
    if not done:
        short = sorted(k for k in keys
                       if not answers or reached.get(k, -1) != answers[-1].get(k))
        marks.update(complete=False, incomplete=short or list(keys))
    return marks


HISTORY_BYTES = 4 << 30
"""The largest history read (4 GiB: a 50-round soak writes tens of MB, and every event is
held in memory to be judged); a device such as /dev/zero or a FIFO is never opened."""

HISTORY_LINE_BYTES = 512 << 20
"""The longest event line read (512 MiB): a complete read is one line holding every record
read, a few dozen bytes each; past this a file without line breaks is refused, not held."""


def _size(n: int) -> str:
    """A byte count as people read it: '512 MiB', or '100 bytes' below a MiB."""
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n:,} bytes"


def regular_file(path: Path | str, what: str, limit: int) -> Path:
    """``path`` when it is an existing regular file of at most ``limit`` bytes, else a
    ValueError naming why (a FIFO would block and /dev/zero never ends: never opened)."""
    p = Path(path)
    try:
        if not p.exists():
            raise ValueError(f"{what} not found: {p}")
        if p.is_dir():
            raise ValueError(f"{what} {p} is a directory")
        if not p.is_file():
            raise ValueError(f"{what} {p} is not a regular file")
        size = p.stat().st_size
    except OSError as exc:
        raise ValueError(f"cannot read {what} {p}: {exc.strerror or exc}") from None
    if size > limit:
        raise ValueError(f"{what} {p} is larger than {_size(limit)}")
    return p


def read_events(path: Path | str, limit: int | None = None,
                line_limit: int | None = None) -> list[Event]:
    """Load a JSON-lines history; a truncated last line (crashed writer) is ignored, any
    other line that is not JSON is refused (ValueError): the events on it would be lost.

    Only a regular file of at most ``limit`` bytes (HISTORY_BYTES) with lines of at most
    ``line_limit`` bytes (HISTORY_LINE_BYTES) of UTF-8 text is read; anything else is a
    ValueError naming the problem, raised before memory or time runs out.
    """
    limit = HISTORY_BYTES if limit is None else limit
    line_limit = HISTORY_LINE_BYTES if line_limit is None else line_limit
    p = regular_file(path, "history", limit)
    lines: list[tuple[int, bytes]] = []
    read = 0
    # A history committed beside a report is gzipped (.gz): the limit is then the text's.
    with (gzip.open(p, "rb") if p.suffix == ".gz" else p.open("rb")) as fh:
        for n in itertools.count(1):
            try:
                raw = fh.readline(line_limit + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise ValueError(f"{path}: not a gzipped history ({exc})") from None
            if not raw:
                break
            read += len(raw)
            if read > limit:
                raise ValueError(f"history {p} holds more than {_size(limit)} of text")
            if len(raw) > line_limit:
                raise ValueError(f"{path}:{n}: a line longer than {_size(line_limit)}: "
                                 "not a history of JSON events")
            if b"\0" in raw:
                raise ValueError(f"{path}:{n}: binary data, not a history of JSON events")
            if raw.strip():
                lines.append((n, raw.strip()))
    events: list[Event] = []
    for i, (n, line) in enumerate(lines):
        try:
            event = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if i == len(lines) - 1:
                break
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise ValueError(f"{path}:{n}: not a JSON event ({why}); only a truncated "
                             "last line is ignored") from None
        if not isinstance(event, dict):
            raise ValueError(f"{path}:{n}: not a JSON event (expected an object)")
        events.append(event)
    return events


def merge_files(paths: Iterable[Path | str], out: Path | str) -> list[Event]:
    """Merge per-process history files by monotonic time into ``out`` and index them."""
    events: list[Event] = []
    for p in paths:
        if Path(p).exists():
            events.extend(read_events(p))
    events.sort(key=lambda e: (e.get("time", 0), e.get("type") != INVOKE))
    for i, e in enumerate(events):
        e["index"] = i
    write_events(events, out)
    return events


def write_events(events: Iterable[Event], path: Path | str) -> None:
    """Write events as JSON lines."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for e in events:
            fh.write(json.dumps(e, sort_keys=True, default=str) + "\n")
    os.replace(tmp, p)


@dataclass
class Op:
    """An invocation paired with its completion (``type`` is ok, fail or info)."""

    process: str
    f: str
    type: str
    invoke_time: int
    complete_time: int | None
    value: Any
    invoke_value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    index: int = 0

    @property
    def group(self) -> str | None:
        """The consumer group of a poll, if recorded."""
        g = self.extra.get("group")
        return None if g is None else str(g)

    @property
    def complete_read(self) -> bool:
        """Whether this poll is a complete read (see module docstring)."""
        return bool(self.extra.get("complete")) and self.type == OK

    def reads(self) -> dict[str, list[tuple[int, Any]]]:
        """Per key, the ``(offset, value)`` pairs this poll returned (empty when unknown)."""
        if self.f != "poll" or not isinstance(self.value, Mapping):
            return {}
        return {
            str(k): [(int(o), v) for o, v in pairs if o is not None]
            for k, pairs in self.value.items()
        }

    def writes(self) -> dict[str, list[tuple[int | None, Any]]]:
        """Per key, the ``(offset or None, value)`` pairs this send carried, in order."""
        if self.f != "send":
            return {}
        src = self.value if isinstance(self.value, list) else self.invoke_value
        if not isinstance(src, list):
            src = self.invoke_value if isinstance(self.invoke_value, list) else []
        out: dict[str, list[tuple[int | None, Any]]] = {}
        for item in src:
            key, offset, value = item
            out.setdefault(str(key), []).append((None if offset is None else int(offset), value))
        return out


def _time(event: Event) -> int:
    """An event's time stamp; an event without one is refused (ValueError): a missing time
    read as 0 would order every operation wrongly (a read before the acks it follows)."""
    t = event.get("time")
    if type(t) not in (int, float):
        raise ValueError(f"an event has no time stamp ({event.get('process')} "
                         f"{event.get('type')} {event.get('f')}: time={t!r}): the history "
                         "cannot order its operations")
    return int(t)


def pair(events: Sequence[Event]) -> list[Op]:
    """Pair invocations with completions; unmatched invocations become ``info``.  Every
    event must carry its ``time`` (see :func:`_time`)."""
    if all("index" in e for e in events):
        ordered = sorted(events, key=lambda e: e["index"])
    else:
        ordered = list(events)
    open_ops: dict[tuple[str, Any], Event] = {}
    ops: list[Op] = []
    slots: dict[tuple[str, Any], int] = {}
    for e in ordered:
        missing = [k for k in ("type", "f") if k not in e]
        if missing:
            raise ValueError(f"event {e.get('index', '?')} ({json.dumps(e)[:80]}) has no "
                             f"{missing[0]!r} field: not a history event")
        process = str(e.get("process"))
        op_key = (process, e.get("op"))
        if e["type"] == INVOKE:
            open_ops[op_key] = e
            slots[op_key] = len(ops)
            ops.append(
                Op(
                    process=process,
                    f=e["f"],
                    type=INFO,
                    invoke_time=_time(e),
                    complete_time=None,
                    value=None,
                    invoke_value=e.get("value"),
                    extra={k: v for k, v in e.items() if k not in _CORE},
                    index=len(ops),
                )
            )
            continue
        inv = open_ops.pop(op_key, None)
        if inv is None:
            # A completion without invocation: keep it as its own op.
            ops.append(
                Op(
                    process,
                    e["f"],
                    e["type"],
                    _time(e),
                    _time(e),
                    e.get("value"),
                    None,
                    {k: v for k, v in e.items() if k not in _CORE},
                    len(ops),
                )
            )
            continue
        op = ops[slots.pop(op_key)]
        op.type = e["type"]
        op.complete_time = _time(e)
        op.value = e.get("value")
        op.extra.update({k: v for k, v in e.items() if k not in _CORE})
    return ops


_CORE = {"type", "process", "f", "value", "time", "op", "index"}


def as_ops(history: Sequence[Event] | Sequence[Op]) -> list[Op]:
    """Accept either raw events or already paired ops."""
    if history and isinstance(history[0], Op):
        return list(history)  # type: ignore[arg-type]
    return pair(history)  # type: ignore[arg-type]


def iter_polls(ops: Iterable[Op]) -> Iterator[Op]:
    """The poll ops."""
    return (op for op in ops if op.f == "poll")
