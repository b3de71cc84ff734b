"""A recorded history judged against the model's prediction: does Kafka do what the model allows?

:func:`observe` derives the anomalies of a history in two views: the *log* (producers'
sends and complete reads: what Kafka stored) and the *group* (what a consumer group
processed).  :func:`judge` compares each observed kind with the :class:`~.predict.Prediction`
for the run's configuration and faults:

* observed and possible: **allowed**;
* observed and impossible: **FAIL**, a conformance failure, reported with an excerpt of
  the history (the operations that touched the values involved);
* observed and not covered by any model run: **not covered**, never a pass;
* predicted but not observed: **not seen** (a bounded run may miss it);
* neither: **absent**.

A run whose final complete read did not finish, began before an acknowledgement, or read
nothing although records were acknowledged, FAILS: without it lost records cannot be told
from unread ones.  So does a group that never processed up to the final read's end, a read
of a record no send in the history wrote (the history is incomplete), and a run that
observed nothing to judge: no send acknowledged, a fault it names never injected (no
nemesis action for it in the history), or a focus kind whose view never applied (no group
member polled).  A run none of whose judged kinds any model run covers is not covered.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import checker
from .history import OK, Event, Op, as_ops
from .predict import FAULTS, IMPOSSIBLE, KINDS, NOT_COVERED, POSSIBLE, Prediction

ALLOWED = "allowed"
FAIL = "FAIL"
NOT_SEEN = "not seen"
ABSENT = "absent"
CONFORMS = "conforms"
EXCERPT_OPS = 12


def _is_group_poll(op: Op) -> bool:
    """A poll made by a consumer group member (it carries its group)."""
    return op.f == "poll" and op.group is not None and not op.complete_read


def observe(history: Sequence[Event] | Sequence[Op]) -> dict[str, list[checker.Anomaly]]:
    """Every anomaly of the history, keyed by the kind ids of :data:`~.predict.KINDS`."""
    ops = as_ops(history)
    log_ops = [o for o in ops if not _is_group_poll(o)]
    found: dict[str, list[checker.Anomaly]] = {
        "lost-write": checker.lost_writes(log_ops),
        "duplicate": checker.duplicates(log_ops),
        "reordered": checker.reorders(log_ops),
        "nonmonotonic-send": checker.nonmonotonic_sends(log_ops),
        "inconsistent-offsets": checker.inconsistent_offsets(log_ops),
        "poll-skip": checker.poll_skips(log_ops, "process"),
        "nonmonotonic-poll": checker.nonmonotonic_polls(log_ops, "process"),
        "aborted-read": checker.aborted_reads(ops),
    }
    group_ops = [o for o in ops if o.f == "send" or _is_group_poll(o)]
    if any(_is_group_poll(o) for o in group_ops):
        found["group:lost-write"] = checker.lost_writes(group_ops)
        found["group:poll-skip"] = checker.poll_skips(group_ops, "group")
        found["group:duplicate-delivery"] = checker.duplicate_deliveries(group_ops)
        found["group:nonmonotonic-poll"] = checker.nonmonotonic_polls(group_ops, "group")
    return found


def _final_read(ops: Sequence[Op]) -> Op | None:
    """The history's last complete read, finished or not (None when there is none): one that
    timed out has its completion's ``complete: false`` over the invocation's ``true``, and
    is found by its ``incomplete`` keys (history.read_end_marks)."""
    reads = [o for o in ops if o.f == "poll"
             and (o.extra.get("complete") or "incomplete" in o.extra)]
    return reads[-1] if reads else None


def final_read_problem(history: Sequence[Event] | Sequence[Op]) -> str | None:
    """Why the history's final complete read cannot support a verdict (None if it can)."""
    ops = as_ops(history)
    last = _final_read(ops)
    if last is None:
        return "no complete read was recorded"
    if last.type != OK:
        return f"the final read did not complete ({last.type}: {last.extra.get('error', '')})"
    if last.extra.get("incomplete"):
        return f"the final read timed out before the end of {last.extra['incomplete']}"
    acked = sum(1 for o in ops if o.f == "send" and o.type == OK)
    read = sum(len(v) for v in last.reads().values())
    if not acked and not any(o.f == "send" for o in ops):
        return "no send was recorded: the run wrote nothing to lose, duplicate or reorder"
    if not acked:
        return "no send was acknowledged: nothing the cluster promised can be checked"
    if not read:
        return f"{acked} sends were acknowledged but the final read returned nothing"
    # a record acknowledged after the read began may lie past where it read: not lost
    late = [o for o in ops if o.f == "send" and o.type == OK
            and o.complete_time is not None and o.complete_time > last.invoke_time]
    if late:
        return (f"the final read began before an acknowledgement ({len(late)} came later, "
                f"the first: op #{late[0].index}): it must begin after every acknowledgement")
    unread = sorted({key for o in ops if o.f == "send" and o.type == OK
                     for key in o.writes() if not checker.covers(last, key)})
    if unread:
        return (f"the final read did not cover {', '.join(unread)}, where sends were "
                "acknowledged: their loss could not be seen")
    return None


def group_read_problem(history: Sequence[Event] | Sequence[Op]) -> str | None:
    """Why the group view cannot support a verdict: on a partition of the final read the
    group never processed up to the read's last record, so what it left unprocessed there
    cannot be told from what it had not reached yet (None if it caught up or no group ran)."""
    ops = as_ops(history)
    final = _final_read(ops)
    polls = [o for o in ops if _is_group_poll(o) and o.type == OK]
    if not polls or final is None or not final.complete_read:
        return None  # no group view, or final_read_problem says why
    reached: dict[str, int] = {}
    for op in polls:
        for key, pairs in op.reads().items():
            for offset, _ in pairs:
                reached[key] = max(reached.get(key, -1), offset)
    ends = {key: max(o for o, _ in pairs) for key, pairs in final.reads().items() if pairs}
    behind = [f"{key} (offset {reached[key] if key in reached else 'none'} of {end})"
              for key, end in sorted(ends.items()) if reached.get(key, -1) < end]
    if not behind:
        return None
    return (f"the group did not process up to the end of the final read in "
            f"{', '.join(behind)}: a record it never processed there could not be seen")


def unsent_problem(history: Sequence[Event] | Sequence[Op]) -> str | None:
    """Why the history is incomplete: it reads records no send of it wrote (None if not)."""
    found = checker.unsent_reads(history)
    if not found:
        return None
    first = found[0]
    return (f"a record no send in the history wrote was read ({len(found)} such, the first: "
            f"{first.values[0]!r} at {first.key} offset {first.offsets[0]}): a writer is "
            "missing from the history")


def injection_problems(done: Collection[str], faults: Sequence[str]) -> list[str]:
    """The faults of ``faults`` none of whose injecting actions (``Fault.injected_by``) is
    in ``done``, the actions a run shows: the prediction assumes a fault never injected."""
    return [f"the fault {name} was never injected (no {' or '.join(FAULTS[name].injected_by)} "
            "in the history): the prediction assumes it"
            for name in faults if FAULTS[name].injected_by
            and not set(done).intersection(FAULTS[name].injected_by)]


def fault_problems(history: Sequence[Event] | Sequence[Op], faults: Sequence[str]) -> list[str]:
    """The faults a run names that its history shows no nemesis action for (never injected)."""
    return injection_problems({o.f for o in as_ops(history) if o.process == "nemesis"}, faults)


def focus_problems(judged: Sequence[str], focus: Sequence[str]) -> list[str]:
    """The focus kinds missing from a judgement: their view never applied (no group polled).
    A focus that names no kind is refused (ValueError)."""
    unknown = [k for k in focus if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown focus kinds {unknown}; known: {sorted(KINDS)}")
    return [f"{KINDS[k].label} was not observed: no consumer group member's poll was recorded"
            for k in focus if k not in judged]


def merged(*problems: Iterable[str]) -> list[str]:
    """Problems from several sources in order, each once (a recorded one found again)."""
    out: list[str] = []
    for source in problems:
        out += [p for p in source if p not in out]
    return out


@dataclass
class KindVerdict:
    """One anomaly kind: observed count, the prediction, and the verdict."""

    kind: str
    label: str
    observed: int
    predicted: str
    verdict: str
    because: list[str]
    excerpt: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return dict(self.__dict__)


@dataclass
class Judgement:
    """The verdict of one history against one prediction."""

    verdict: str  # conforms | FAIL | not covered
    kinds: list[KindVerdict]
    problems: list[str]
    prediction: Prediction
    focus: list[str] = field(default_factory=list)  # the kinds the run set out to observe

    @property
    def failed(self) -> bool:
        """Whether the run is a conformance failure."""
        return self.verdict == FAIL

    def observed(self) -> dict[str, int]:
        """Observed count per kind (only kinds seen)."""
        return {k.kind: k.observed for k in self.kinds if k.observed}

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (the prediction's runs included)."""
        return {
            "verdict": self.verdict,
            "problems": list(self.problems),
            "kinds": [k.to_json() for k in self.kinds],
            "prediction": self.prediction.to_json(),
        }


def excerpt(
    history: Sequence[Event] | Sequence[Op], anomalies: Sequence[checker.Anomaly]
) -> list[dict[str, Any]]:
    """The operations that touched the first anomalies' values or offsets (at most
    :data:`EXCERPT_OPS`), with the nemesis actions between them."""
    wanted: set[tuple[str, Any]] = set()
    offsets: set[tuple[str, int]] = set()
    for a in anomalies[:3]:
        wanted.update((a.key, checker._hashable(v)) for v in a.values)
        offsets.update((a.key, o) for o in a.offsets)

    def hit(key: str, offset: int | None, value: Any) -> bool:
        """The value is involved, or something else sat at an involved offset."""
        return (key, checker._hashable(value)) in wanted or (key, offset) in offsets

    out: list[dict[str, Any]] = []
    for op in as_ops(history):
        pairs: dict[str, list[Any]] = {}
        if op.f == "send":
            for key, items in op.writes().items():
                hits = [[o, v] for o, v in items if hit(key, o, v)]
                if hits:
                    pairs[key] = hits
        elif op.f == "poll":
            for key, items in op.reads().items():
                hits = [[o, v] for o, v in items if hit(key, o, v)]
                if hits:
                    pairs[key] = hits
        elif op.f not in ("assign", "subscribe"):
            # nemesis actions give the excerpt its context
            if op.process == "nemesis":
                out.append({"index": op.index, "process": op.process, "f": op.f,
                            "value": op.invoke_value})
            continue
        if pairs:
            row = {"index": op.index, "process": op.process, "f": op.f, "type": op.type,
                   "value": pairs}
            if op.extra.get("complete"):
                row["complete_read"] = True
            if op.extra.get("error"):
                row["error"] = op.extra["error"]
            out.append(row)
    # keep nemesis rows only when they sit between the rows that matter
    kept = [r for r in out if r["process"] != "nemesis"]
    if not kept:
        return []
    lo, hi = kept[0]["index"], kept[-1]["index"]
    rows = [r for r in out if r["process"] != "nemesis" or lo <= r["index"] <= hi]
    return rows[:EXCERPT_OPS]


def kind_verdict(observed: int, status: str) -> str:
    """The verdict of one kind: observed count against the predicted status."""
    if observed and status == POSSIBLE:
        return ALLOWED
    if observed and status == IMPOSSIBLE:
        return FAIL
    if observed:
        return NOT_COVERED
    return NOT_SEEN if status == POSSIBLE else ABSENT


def nothing_covered(kinds: Sequence[KindVerdict]) -> bool:
    """No kind judged has a prediction (no model run covers the run): nothing was compared."""
    return all(k.predicted == NOT_COVERED for k in kinds)


def overall(kinds: Sequence[KindVerdict], problems: Sequence[str],
            focus: Sequence[str] = ()) -> str:
    """FAIL on a problem or a failing kind, else not covered (a kind observed that no model
    run covers, a focus kind the model makes no prediction for, or no kind judged that it
    makes one for), else conforms."""
    if problems or any(k.verdict == FAIL for k in kinds):
        return FAIL
    if nothing_covered(kinds) or any(
            k.verdict == NOT_COVERED or (k.kind in focus and k.predicted == NOT_COVERED)
            for k in kinds):
        return NOT_COVERED
    return CONFORMS


def rejudge(recorded: dict[str, Any], prediction: Prediction,
            focus: Sequence[str] = ()) -> Judgement:
    """Judge a recorded judgement's observed counts (and problems) against a new prediction.

    This is what the report does with committed data: the histories stay where the run
    wrote them, the counts per kind are data, and the prediction is made again now.  A
    ``focus`` kind the recording did not judge is a problem (see :func:`focus_problems`).
    """
    kinds = []
    for old in recorded["kinds"]:
        pred = prediction.kinds[old["kind"]]
        kv = KindVerdict(old["kind"], KINDS[old["kind"]].label, int(old["observed"]),
                         pred.status, kind_verdict(int(old["observed"]), pred.status),
                         list(pred.because), list(old.get("excerpt", [])),
                         list(old.get("examples", [])))
        kinds.append(kv)
    problems = merged(recorded.get("problems", []), focus_problems([k.kind for k in kinds], focus))
    return Judgement(overall(kinds, problems, focus), kinds, problems, prediction, list(focus))


def judge(history: Sequence[Event] | Sequence[Op], prediction: Prediction,
          focus: Sequence[str] = (), scenario_problems: Sequence[str] = ()) -> Judgement:
    """Compare the anomalies of ``history`` with what ``prediction`` allows.

    ``focus``: the kinds the run set out to observe; one whose view never applied is a
    problem, as is a final read (or a group) that cannot support a verdict, a record read
    that no send wrote or a fault never injected; ``scenario_problems``: what the scenario
    itself saw go wrong (a set-up that never happened), or what a recorded judgement of it
    said.
    """
    ops = as_ops(history)
    found = observe(ops)  # a kind missing here: its view does not apply (no group ran)
    reads = [final_read_problem(ops), group_read_problem(ops), unsent_problem(ops)]
    problems = merged([p for p in reads if p], scenario_problems,
                      fault_problems(ops, prediction.faults), focus_problems(list(found), focus))
    judgement = judge_found({k: [a.to_json() for a in v] for k, v in found.items()},
                            problems, prediction, focus)
    for kv in judgement.kinds:
        if kv.verdict in (FAIL, NOT_COVERED):
            kv.excerpt = excerpt(ops, found[kv.kind])
    return judgement


def judge_found(found: Mapping[str, Sequence[dict[str, Any]]], problems: Sequence[str],
                prediction: Prediction, focus: Sequence[str] = ()) -> Judgement:
    """Judge anomalies already derived (examples per kind id) against ``prediction``.

    :func:`judge` derives them from an event history; a transactions run derives them from
    each transaction's outcome and what each consumer read.  A kind missing from ``found``
    did not apply.
    """
    kinds = []
    for kind_id, kind in KINDS.items():
        examples = found.get(kind_id)
        if examples is None:
            continue
        pred = prediction.kinds[kind_id]
        n = len(examples)
        kinds.append(KindVerdict(kind_id, kind.label, n, pred.status,
                                 kind_verdict(n, pred.status), list(pred.because),
                                 examples=[dict(e) for e in examples[:3]]))
    return Judgement(overall(kinds, list(problems), focus), kinds, list(problems), prediction,
                     list(focus))


def render(j: Judgement) -> str:
    """A few lines of text: the verdict, then one line per observed or failing kind."""
    lines = [f"conformance: {j.verdict}"]
    lines += [f"  problem: {p}" for p in j.problems]
    if nothing_covered(j.kinds):
        lines.append(f"  no model run covers any kind judged ({len(j.prediction.outcomes)} "
                     "model runs)")
    for k in j.kinds:
        if k.observed or k.verdict in (FAIL, NOT_COVERED) or (
                k.kind in j.focus and k.predicted == NOT_COVERED):
            lines.append(f"  {k.label}: {k.observed} observed, model says {k.predicted}"
                         f" -> {k.verdict}" + (" (the run's focus)" if k.kind in j.focus else ""))
            for line in k.because[:2]:
                lines.append(f"      {line}")
            for row in k.excerpt:
                lines.append(f"      #{row['index']} {row['process']} {row['f']} "
                             f"{row.get('type', '')} {row['value']}")
    return "\n".join(lines)
