"""Pure checkers for the anomalies Jepsen looks for in Kafka histories.

Each checker takes a history (raw events or paired :class:`~.history.Op`) and
returns a list of :class:`Anomaly`.  The definitions follow the Jepsen Kafka
workload, restated here:

* *version order*: per topic-partition, every ``(offset, value)`` known from an
  acknowledged send or from any poll.  Offsets may have gaps (transaction
  markers), so positions are compared by *index*: the rank of an offset among
  the observed offsets of that partition.
* **inconsistent offsets**: one offset of a partition holds two different values.
* **duplicate**: one value sits at two or more offsets of a partition.
* **lost write**: an acknowledged send that a *complete read* of its partition
  begun after the acknowledgement does not contain (whatever other reads saw it),
  or whose value no successful poll returned although one read a value at the same
  or a higher index of that partition.
* **poll skip**: two successive reads of a partition by one consumer (within one
  poll or across consecutive polls) jump over values known to lie between them.
* **non-monotonic poll**: a consumer's successive reads of a partition go
  backwards or repeat a position.
* **non-monotonic send**: a producer's sends to a partition, in the order it
  issued them, were acknowledged at offsets that do not increase.
* **reordered**: a producer's records stand in a partition's log (by the lowest
  offset each value was read at) in another order than it sent them.

Poll checks can group by ``process`` (one consumer instance, Jepsen's view) or
by ``group`` (the consumer group as one logical reader across crashes and
restarts).  :func:`duplicate_deliveries` (a value handed to a group's
processing twice) is an extra, group-level observation used for commit
strategies; it is not a log anomaly.  :func:`unsent_reads` (a value read that no
send of the history carried) says the history is incomplete, not what Kafka did.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .history import FAIL, OK, Event, Op, as_ops, split_key

History = Sequence[Event] | Sequence[Op]
GroupBy = Literal["process", "group"]


@dataclass(frozen=True)
class Anomaly:
    """One observed violation."""

    kind: str
    key: str
    values: tuple[Any, ...] = ()
    offsets: tuple[int, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        d = asdict(self)
        d["values"] = list(self.values)
        d["offsets"] = list(self.offsets)
        return d


@dataclass
class VersionOrder:
    """The observed log of one partition."""

    log: dict[int, set[Any]] = field(default_factory=dict)

    def add(self, offset: int, value: Any) -> None:
        """Record that ``value`` was seen at ``offset``."""
        self.log.setdefault(offset, set()).add(_hashable(value))

    def offsets(self) -> list[int]:
        """Observed offsets, ascending."""
        return sorted(self.log)

    def index_of_offset(self) -> dict[int, int]:
        """Dense index of each observed offset."""
        return {o: i for i, o in enumerate(self.offsets())}

    def first_index(self) -> dict[Any, int]:
        """For each value, the lowest index where it was seen."""
        out: dict[Any, int] = {}
        for i, o in enumerate(self.offsets()):
            for v in self.log[o]:
                out.setdefault(v, i)
        return out

    def values_at_index(self) -> list[set[Any]]:
        """The values at each dense index."""
        return [self.log[o] for o in self.offsets()]


def _hashable(value: Any) -> Any:
    """Lists (from JSON) become tuples so values can live in sets."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def version_orders(history: History) -> dict[str, VersionOrder]:
    """Build each partition's version order from acknowledged sends and all polls."""
    orders: dict[str, VersionOrder] = defaultdict(VersionOrder)
    for op in as_ops(history):
        if op.f == "send" and op.type == OK:
            for key, pairs in op.writes().items():
                for offset, value in pairs:
                    if offset is not None:
                        orders[key].add(offset, value)
        elif op.f == "poll":
            for key, pairs in op.reads().items():
                for offset, value in pairs:
                    orders[key].add(offset, value)
    return dict(orders)


def inconsistent_offsets(history: History) -> list[Anomaly]:
    """Offsets of one partition at which two or more different values were observed."""
    out = []
    for key, vo in sorted(version_orders(history).items()):
        for offset in vo.offsets():
            values = vo.log[offset]
            if len(values) > 1:
                out.append(
                    Anomaly("inconsistent-offsets", key, tuple(sorted(values, key=repr)), (offset,))
                )
    return out


def duplicates(history: History) -> list[Anomaly]:
    """Values that appear at more than one offset of the same partition."""
    out = []
    for key, vo in sorted(version_orders(history).items()):
        where: dict[Any, list[int]] = defaultdict(list)
        for offset in vo.offsets():
            for v in vo.log[offset]:
                where[v].append(offset)
        for v, offsets in sorted(where.items(), key=lambda kv: kv[1]):
            if len(offsets) > 1:
                out.append(Anomaly("duplicate", key, (v,), tuple(offsets)))
    return out


def lost_writes(history: History) -> list[Anomaly]:
    """Acknowledged sends that a later complete read lacks (even when an earlier read had
    them), or that no successful poll returned although one read past them."""
    ops = as_ops(history)
    orders = version_orders(ops)
    read: dict[str, set[Any]] = defaultdict(set)
    for op in ops:
        if op.f == "poll" and op.type == OK:
            for key, pairs in op.reads().items():
                read[key].update(_hashable(v) for _, v in pairs)
    firsts = {k: vo.first_index() for k, vo in orders.items()}
    bound: dict[str, int] = {}
    for key, values in read.items():
        first = firsts.get(key, {})
        idx = [first[v] for v in values if v in first]
        bound[key] = max(idx, default=-1)
    complete_reads = [op for op in ops if op.f == "poll" and op.complete_read]
    holds = {c.index: {k: {_hashable(v) for _, v in pairs} for k, pairs in c.reads().items()}
             for c in complete_reads}
    out = []
    for op in ops:
        if op.f != "send" or op.type != OK:
            continue
        for key, pairs in op.writes().items():
            first = firsts.get(key, {})
            for offset, value in pairs:
                v = _hashable(value)
                reasons = []
                idx = first.get(v)
                if v not in read[key] and idx is not None and idx <= bound.get(key, -1):
                    reasons.append("a successful poll read this partition at or past its index")
                later = [
                    c.index
                    for c in complete_reads
                    if covers(c, key)
                    and op.complete_time is not None
                    and c.invoke_time > op.complete_time
                    and v not in holds[c.index].get(key, ())
                ]
                if later:
                    reasons.append("a complete read begun after the acknowledgement lacks it")
                if reasons:
                    out.append(
                        Anomaly(
                            "lost-write",
                            key,
                            (v,),
                            () if offset is None else (offset,),
                            {"reasons": reasons, "send_op": op.index, "complete_reads": later},
                        )
                    )
    return out


def covers(op: Op, key: str) -> bool:
    """Whether a complete read covered ``key``."""
    ends = op.extra.get("ends")
    if isinstance(ends, dict):
        return key in ends
    return isinstance(op.value, dict) and key in op.value


def _poll_streams(ops: list[Op], by: GroupBy) -> dict[str, list[Op]]:
    """Successive ops per reader: per process (history order) or per group (completion order)."""
    streams: dict[str, list[Op]] = defaultdict(list)
    for op in ops:
        if by == "process":
            if op.f in ("poll", "assign", "subscribe"):
                streams[op.process].append(op)
        elif op.f == "poll":
            streams[op.group or op.process].append(op)
    if by == "group":
        for stream in streams.values():
            stream.sort(key=lambda o: (o.complete_time or o.invoke_time, o.index))
    return dict(streams)


def _poll_order_cases(history: History, by: GroupBy) -> list[Anomaly]:
    """Shared walk behind :func:`poll_skips` and :func:`nonmonotonic_polls`."""
    ops = as_ops(history)
    orders = version_orders(ops)
    index = {k: (vo.first_index(), vo.values_at_index()) for k, vo in orders.items()}
    out: list[Anomaly] = []
    for reader, stream in sorted(_poll_streams(ops, by).items()):
        last: dict[str, tuple[Any, Op]] = {}
        for op in stream:
            if op.f in ("assign", "subscribe"):
                if op.type == OK:
                    last = {k: v for k, v in last.items() if _still_reading(op, k)}
                continue
            if op.type != OK:
                continue
            rebalanced = set(op.extra.get("rebalance") or [])
            for key, pairs in op.reads().items():
                if not pairs:
                    continue
                values = [_hashable(v) for _, v in pairs]
                chain: list[tuple[Any, Any, Op | None]] = []
                if key in last:
                    chain.append((last[key][0], values[0], last[key][1]))
                chain.extend((a, b, None) for a, b in zip(values, values[1:], strict=False))
                last[key] = (values[-1], op)
                if key in rebalanced:
                    continue
                first, by_index = index.get(key, ({}, []))
                for a, b, prev in chain:
                    ia, ib = first.get(a), first.get(b)
                    if ia is None or ib is None:
                        continue
                    delta = ib - ia
                    detail = {"reader": reader, "op": op.index, "delta": delta}
                    if prev is not None:
                        detail["previous_op"] = prev.index
                    if delta > 1:
                        skipped = tuple(sorted(by_index[i], key=repr)[0] for i in range(ia + 1, ib))
                        detail["skipped"] = list(skipped)
                        out.append(Anomaly("poll-skip", key, (a, b), (), detail))
                    elif delta < 1:
                        out.append(Anomaly("nonmonotonic-poll", key, (a, b), (), detail))
    return out


def _still_reading(op: Op, key: str) -> bool:
    """Whether an assign/subscribe op keeps ``key`` (assign lists keys, subscribe topics)."""
    value = op.value if op.value is not None else op.invoke_value
    if not isinstance(value, list):
        return False
    if op.f == "assign":
        return key in value
    return split_key(key)[0] in value


def poll_skips(history: History, by: GroupBy = "process") -> list[Anomaly]:
    """Successive reads of a partition by one reader that jump over known values."""
    return [a for a in _poll_order_cases(history, by) if a.kind == "poll-skip"]


def nonmonotonic_polls(history: History, by: GroupBy = "process") -> list[Anomaly]:
    """Successive reads of a partition by one reader that go backwards or repeat."""
    return [a for a in _poll_order_cases(history, by) if a.kind == "nonmonotonic-poll"]


def nonmonotonic_sends(history: History) -> list[Anomaly]:
    """A producer's sends to one partition, in issue order, acknowledged at non-rising offsets."""
    ops = sorted(as_ops(history), key=lambda o: (o.invoke_time, o.index))
    last: dict[tuple[str, str], tuple[int, Any, Op]] = {}
    out = []
    for op in ops:
        if op.f != "send" or op.type != OK:
            continue
        for key, pairs in op.writes().items():
            for offset, value in pairs:
                if offset is None:
                    continue
                prev = last.get((op.process, key))
                if prev is not None and offset <= prev[0]:
                    out.append(
                        Anomaly(
                            "nonmonotonic-send",
                            key,
                            (prev[1], _hashable(value)),
                            (prev[0], offset),
                            {"process": op.process, "ops": [prev[2].index, op.index]},
                        )
                    )
                last[(op.process, key)] = (offset, _hashable(value), op)
    return out


def reorders(history: History) -> list[Anomaly]:
    """A producer's records that stand in the log before a record it sent earlier.

    Positions are the lowest offset each value was *read* at (acknowledged offsets of
    lost records do not count); values are (sent earlier, sent later but standing first).
    """
    ops = sorted(as_ops(history), key=lambda o: (o.invoke_time, o.index))
    firsts: dict[str, dict[Any, int]] = defaultdict(dict)
    for op in ops:
        if op.f == "poll" and op.type == OK:
            for key, pairs in op.reads().items():
                seen = firsts[key]
                for offset, value in pairs:
                    v = _hashable(value)
                    if v not in seen or offset < seen[v]:
                        seen[v] = offset
    latest: dict[tuple[str, str], tuple[int, Any]] = {}
    out = []
    for op in ops:
        if op.f != "send":
            continue
        for key, pairs in op.writes().items():
            first = firsts.get(key, {})
            for _, value in pairs:
                v = _hashable(value)
                idx = first.get(v)
                if idx is None:
                    continue  # never observed: lost or never written
                prev = latest.get((op.process, key))
                if prev is not None and idx < prev[0]:
                    out.append(
                        Anomaly(
                            "reordered",
                            key,
                            (prev[1], v),
                            (),
                            {"process": op.process, "op": op.index, "indexes": [prev[0], idx]},
                        )
                    )
                if prev is None or idx > prev[0]:
                    latest[(op.process, key)] = (idx, v)
    return out


def duplicate_deliveries(history: History, by: GroupBy = "group") -> list[Anomaly]:
    """Records (partition, offset) that a reader's successful polls returned more than once."""
    ops = as_ops(history)
    seen: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    values: dict[tuple[str, str, int], Any] = {}
    for op in ops:
        if op.f != "poll" or op.type != OK or op.complete_read:
            continue
        reader = (op.group or op.process) if by == "group" else op.process
        for key, pairs in op.reads().items():
            for offset, value in pairs:
                seen[(reader, key, offset)].append(op.index)
                values[(reader, key, offset)] = _hashable(value)
    out = []
    for (reader, key, offset), idx in sorted(seen.items()):
        if len(idx) > 1:
            out.append(
                Anomaly(
                    "duplicate-delivery",
                    key,
                    (values[(reader, key, offset)],),
                    (offset,),
                    {"reader": reader, "ops": idx, "times": len(idx)},
                )
            )
    return out


def unsent_reads(history: History) -> list[Anomaly]:
    """Values a successful poll returned that no send of the history carried, whatever its
    outcome (once per partition, offset and value): a writer is missing from the history."""
    ops = as_ops(history)
    sent: dict[str, set[Any]] = defaultdict(set)
    for op in ops:
        for key, pairs in op.writes().items():
            sent[key].update(_hashable(v) for _, v in pairs)
    out: dict[tuple[str, int, Any], Anomaly] = {}
    for op in ops:
        if op.f == "poll" and op.type == OK:
            for key, pairs in op.reads().items():
                for offset, value in pairs:
                    v = _hashable(value)
                    if v not in sent[key] and (key, offset, v) not in out:
                        out[(key, offset, v)] = Anomaly("unsent-read", key, (v,), (offset,),
                                                        {"op": op.index})
    return list(out.values())


def aborted_reads(history: History) -> list[Anomaly]:
    """Values read by a successful poll although their send definitely failed."""
    ops = as_ops(history)
    failed: dict[str, set[Any]] = defaultdict(set)
    for op in ops:
        if op.f == "send" and op.type == FAIL:
            for key, pairs in op.writes().items():
                failed[key].update(_hashable(v) for _, v in pairs)
    out = []
    for op in ops:
        if op.f == "poll" and op.type == OK:
            for key, pairs in op.reads().items():
                for offset, value in pairs:
                    if _hashable(value) in failed[key]:
                        out.append(
                            Anomaly(
                                "aborted-read",
                                key,
                                (_hashable(value),),
                                (offset,),
                                {"op": op.index},
                            )
                        )
    return out


CHECKS = (
    "lost-write",
    "duplicate",
    "poll-skip",
    "nonmonotonic-poll",
    "nonmonotonic-send",
    "reordered",
    "inconsistent-offsets",
    "aborted-read",
)


def check(history: History, poll_by: GroupBy = "process") -> dict[str, Any]:
    """Run every checker; returns counts, anomalies per kind and ``valid``."""
    ops = as_ops(history)
    found: dict[str, list[Anomaly]] = {
        "lost-write": lost_writes(ops),
        "duplicate": duplicates(ops),
        "poll-skip": poll_skips(ops, poll_by),
        "nonmonotonic-poll": nonmonotonic_polls(ops, poll_by),
        "nonmonotonic-send": nonmonotonic_sends(ops),
        "reordered": reorders(ops),
        "inconsistent-offsets": inconsistent_offsets(ops),
        "aborted-read": aborted_reads(ops),
    }
    extra = {"duplicate-delivery": duplicate_deliveries(ops)}
    sends = [o for o in ops if o.f == "send"]
    return {
        "valid": not any(found.values()),
        "poll_by": poll_by,
        "counts": {k: len(v) for k, v in found.items()},
        "observations": {k: len(v) for k, v in extra.items()},
        "anomalies": {k: [a.to_json() for a in v] for k, v in {**found, **extra}.items() if v},
        "ops": {
            "send_ok": sum(1 for o in sends if o.type == OK),
            "send_info": sum(1 for o in sends if o.type == "info"),
            "send_fail": sum(1 for o in sends if o.type == FAIL),
            "poll_ok": sum(1 for o in ops if o.f == "poll" and o.type == OK),
            "poll_info": sum(1 for o in ops if o.f == "poll" and o.type == "info"),
        },
    }
