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

A run whose final complete read did not finish, or read nothing although records were
acknowledged, FAILS: without it lost records cannot be told from unread ones.  So does a run
that observed nothing to judge: no send acknowledged, a fault it names never injected (no
nemesis action for it in the history), or a focus kind whose view never applied (no group
member polled).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def final_read_problem(history: Sequence[Event] | Sequence[Op]) -> str | None:
    """Why the history's final complete read cannot support a verdict (None if it can)."""
    ops = as_ops(history)
    reads = [o for o in ops if o.f == "poll" and o.extra.get("complete")]
    if not reads:
        return "no complete read was recorded"
    last = reads[-1]
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
    unread = sorted({key for o in ops if o.f == "send" and o.type == OK
                     for key in o.writes() if not checker.covers(last, key)})
    if unread:
        return (f"the final read did not cover {', '.join(unread)}, where sends were "
                "acknowledged: their loss could not be seen")
    return None


def fault_problems(history: Sequence[Event] | Sequence[Op], faults: Sequence[str]) -> list[str]:
    """The faults a run names that its history shows no nemesis action for (never injected)."""
    done = {o.f for o in as_ops(history) if o.process == "nemesis"}
    return [f"the fault {name} was never injected (no {' or '.join(FAULTS[name].injected_by)} "
            "in the history): the prediction assumes it"
            for name in faults if FAULTS[name].injected_by
            and not done.intersection(FAULTS[name].injected_by)]


def focus_problems(judged: Sequence[str], focus: Sequence[str]) -> list[str]:
    """The focus kinds missing from a judgement: their view never applied (no group polled)."""
    return [f"{KINDS[k].label} was not observed: no consumer group member's poll was recorded"
            for k in focus if k not in judged]


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


def overall(kinds: Sequence[KindVerdict], problems: Sequence[str],
            focus: Sequence[str] = ()) -> str:
    """FAIL on a problem or a failing kind, else not covered (a kind observed that no model
    run covers, or a focus kind the model makes no prediction for), else conforms."""
    if problems or any(k.verdict == FAIL for k in kinds):
        return FAIL
    if any(k.verdict == NOT_COVERED or (k.kind in focus and k.predicted == NOT_COVERED)
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
    problems = list(recorded.get("problems", []))
    problems += [p for p in focus_problems([k.kind for k in kinds], focus) if p not in problems]
    return Judgement(overall(kinds, problems, focus), kinds, problems, prediction)


def judge(history: Sequence[Event] | Sequence[Op], prediction: Prediction,
          focus: Sequence[str] = (), scenario_problems: Sequence[str] = ()) -> Judgement:
    """Compare the anomalies of ``history`` with what ``prediction`` allows.

    ``focus``: the kinds the run set out to observe; one whose view never applied is a
    problem, as is a final read that cannot support a verdict or a fault never injected;
    ``scenario_problems``: what the scenario itself saw go wrong (a set-up that never
    happened).
    """
    ops = as_ops(history)
    found = observe(ops)  # a kind missing here: its view does not apply (no group ran)
    read_problem = final_read_problem(ops)
    problems = ([read_problem] if read_problem else []) + list(scenario_problems)
    problems += fault_problems(ops, prediction.faults)
    problems += focus_problems(list(found), focus)
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
    return Judgement(overall(kinds, list(problems), focus), kinds, list(problems), prediction)


def render(j: Judgement) -> str:
    """A few lines of text: the verdict, then one line per observed or failing kind."""
    lines = [f"conformance: {j.verdict}"]
    lines += [f"  problem: {p}" for p in j.problems]
    for k in j.kinds:
        if k.observed or k.verdict in (FAIL, NOT_COVERED):
            lines.append(f"  {k.label}: {k.observed} observed, model says {k.predicted}"
                         f" -> {k.verdict}")
            for line in k.because[:2]:
                lines.append(f"      {line}")
            for row in k.excerpt:
                lines.append(f"      #{row['index']} {row['process']} {row['f']} "
                             f"{row.get('type', '')} {row['value']}")
    return "\n".join(lines)
