"""``reports/conformance.md``: recorded real-cluster runs judged against predictions made now.

The data are the files under ``reports/data/`` written by the conformance commands:
``conformance-summary.json`` (``kafkacheck conformance run``), ``soak-*.json``
(``kafkacheck conformance soak``) and ``conformance-failure-demo.json``
(``kafkacheck conformance judge --variant``).  The predictions of the scenario and soak
sections are made again from the model when the page is generated, and the recorded
observed counts are judged against them, so a model change that forbids something Kafka
was seen doing turns the page red.  The failure-on-purpose section is not: it shows the
verdict ``judge --variant`` recorded; its run's history is committed beside the run's
result (``reports/data/demo/``), so the command judges it again from the repository, and a
test compares that judgement with the record.  The other histories are not committed (their
``history_path`` names where the run wrote them), so their counts are recorded data.  Where a
prediction is not the run's (a run of many rounds predicted with the faults of one round,
soak rounds whose faults no model run has together, a fault a scenario injects that its
recorded prediction lacks), the model runs table says so, computed from the scenario
(:data:`~.catalog.SCENARIOS`) and fault (:data:`~.predict.FAULTS`) definitions.
Everything else the page states is computed, except the section marked as notes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import PENDING_FAMILIES, SCENARIOS
from .conform import FAIL, rejudge
from .predict import FAULTS, KINDS, Prediction, RunConfig, predict, together
from .result import ops_text
from .soak import FOCUS as SOAK_FOCUS
from .soak import KINDS as SOAK_KINDS
from .soak import split_rounds

SUMMARY = "data/conformance-summary.json"
#: Runs of single scenarios recorded apart (``conformance run --scenarios X --out ...``).
EXTRA_SUMMARIES = "data/conformance-summary-*.json"
SOAKS = "data/soak-*.json"
FAILURE_DEMO = "data/conformance-failure-demo.json"


@dataclass(frozen=True)
class Gap:
    """A way a prediction is not the recorded run's: a line for the run's section, the
    faults it concerns (the model runs standing for them, or made for them, name it in their
    last column) and those words (``{n}``: ``count`` summed over a model run's gaps)."""

    text: str
    faults: frozenset[str]
    short: str
    count: int = 0


def _load(path: Path) -> Any:
    """JSON from a data file, or None if it is missing."""
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _kinds_text(j: dict[str, Any], focus: list[str]) -> tuple[str, str]:
    """(predicted, observed) cells for the focus kinds of a judgement."""
    by = {k["kind"]: k for k in j["kinds"]}
    pred, obs = [], []
    for kind in focus:
        k = by.get(kind)
        label = KINDS[kind].label
        status = j["prediction"]["kinds"][kind]["status"]
        pred.append(f"{label}: {status}")
        obs.append(f"{label}: {k['observed'] if k else 'n/a'}")
    return "; ".join(pred), "; ".join(obs)


def _other_observed(j: dict[str, Any], focus: list[str]) -> str:
    """Anomaly kinds observed outside the focus (all must be allowed)."""
    rest = [f"{KINDS[k['kind']].label} {k['observed']} ({k['verdict']})"
            for k in j["kinds"] if k["observed"] and k["kind"] not in focus]
    return ", ".join(rest) or "none"


def _note_runs(all_runs: dict[tuple[Any, ...], dict[str, Any]], prediction: Prediction,
               used_by: str, gaps: Sequence[Gap] = ()) -> None:
    """Remember the model runs behind a prediction, merged by (model, settings, bounds),
    with the ``gaps`` that concern each (a fault it stands for, or a model a fault needs)."""
    for o in prediction.outcomes:
        key = (o.run.model, o.run.settings, o.run.bounds)
        entry = all_runs.setdefault(key, {"outcome": o, "stands_for": set(), "notes": set(),
                                          "used_by": [], "gaps": {}})
        entry["stands_for"].update(o.run.stands_for)
        entry["notes"].update(o.run.abstractions)
        if used_by not in entry["used_by"]:
            entry["used_by"].append(used_by)
        for gap in gaps:
            models = {k.split("#")[0] for f in gap.faults if f in FAULTS for k in FAULTS[f].bounds}
            if gap.faults & set(o.run.stands_for) or o.run.model in models:
                words = entry["gaps"].setdefault(used_by, {})
                words[gap.short] = words.get(gap.short, 0) + gap.count


def scenario_gaps(s: dict[str, Any]) -> list[Gap]:
    """Where a recorded scenario's prediction is not the run: each fault its definition
    (:data:`~.catalog.SCENARIOS`) injects that the recorded prediction lacks, faults that no
    model run has at once (:func:`~.predict.together`), and a run of many rounds (its
    details' round log) predicted with the faults of one round."""
    name, faults = s["scenario"], set(s["faults"])
    declared = SCENARIOS[name].faults if name in SCENARIOS else ()
    gaps = [Gap(f"`{name}` injects {f} ({FAULTS[f].description}): not in its recorded "
                "prediction", frozenset({f}), f"{f} not predicted")
            for f in declared if f not in faults]
    if not together(faults):
        gaps.append(Gap(f"`{name}`: {' + '.join(sorted(faults))} judged per fault (no model "
                        "run has them at once)", frozenset(faults),
                        f"{' + '.join(sorted(faults))} judged per fault"))
    rounds = s.get("details", {}).get("rounds")
    if isinstance(rounds, list) and len(rounds) > 1:
        gaps.append(Gap(f"`{name}`: {len(rounds)} rounds predicted with the faults of one "
                        "round", frozenset(faults),
                        f"{len(rounds)} rounds predicted with the faults of one"))
    return gaps


def soak_gaps(name: str, data: dict[str, Any]) -> list[Gap]:
    """Where a soak's prediction is not the run: its rounds predicted with one fault of each
    kind, and each combination of a round's faults that no model fault stands for together
    (:func:`~.soak.split_rounds`), judged per fault."""
    rounds = data.get("rounds", [])
    gaps = [Gap(f"`{name}`: {len(rounds)} rounds predicted with one fault of each kind (the "
                "faults of one round)", frozenset(data["faults"]),
                f"{len(rounds)} rounds predicted with the faults of one")]
    for kinds, count in split_rounds(rounds).items():
        gaps.append(Gap(f"`{name}`: {count} round{'s' if count > 1 else ''} of "
                        f"{' + '.join(kinds)} judged per fault (no model run has them at once)",
                        frozenset(SOAK_KINDS[k][1] for k in kinds if k in SOAK_KINDS),
                        "rounds with two faults judged per fault: {n}", count))
    return gaps


def _gap_lines(gaps: Sequence[Gap]) -> list[str]:
    """The gaps of a section as a list under its table (the model runs table sums them up)."""
    if not gaps:
        return []
    return (["Where the prediction is not the run (computed from the scenario and fault "
             "definitions):", ""] + [f"- {g.text}" for g in gaps] + [""])


def _rejudged(entry: dict[str, Any], focus: Sequence[str]) -> tuple[dict[str, Any], Prediction]:
    """A recorded judgement judged again against a prediction made now (and its focus)."""
    prediction = predict(RunConfig.from_json(entry["config"]), entry["faults"])
    return rejudge(entry["judgement"], prediction, focus).to_json(), prediction


def _n(count: int | None) -> str:
    """A count for the page: "n/a" when it was not observed (never a 0 in its place)."""
    return "n/a" if count is None else f"{count:,}"


def conformance_markdown(out: Path, stamp: str, version: str) -> str:
    """The whole page."""
    lines = ["# Predicted by the model, observed on Kafka 4.4", "",
             f"Generated on {stamp} by kafkacheck {version}.", ""]
    summary = _load(out / SUMMARY)
    extras = [_load(p) for p in sorted(out.glob(EXTRA_SUMMARIES))]
    soaks = sorted(out.glob(SOAKS), key=lambda p: ("acks-1" in p.name, p.name))
    if summary is None and not soaks and not extras:
        return "\n".join(lines + [
            "No real-cluster run is recorded yet. Record one with `kafkacheck conformance run "
            f"--out {out}/{SUMMARY}` (needs Java 17 and Maven; root for network partitions)."])
    lines += [
        "Each recorded run wrote a Jepsen-style history; the anomaly kinds derived from it "
        "(lost, duplicated, reordered, inconsistent offsets, skipped, ...) are judged against "
        "the kinds the model allows for the run's configuration and faults. The model runs "
        "below were made when this page was generated; the failure on purpose is the verdict "
        "its command recorded, and its run's history is committed, so it can be judged "
        "again. The other histories are not committed: their observed counts are the "
        "recorded ones. A kind observed that the model says "
        "cannot happen is a **FAIL**; a final read that did not complete is a **FAIL**, and so "
        "is a run that did not observe what it names (no send acknowledged, a fault never "
        "injected, a group that never polled); a kind no model run covers is **not covered**. "
        "A run of many rounds is predicted with the faults of one round; the last column of "
        "the model runs table names that and any fault a run injected that its prediction "
        "lacks.",
        ""]
    all_runs: dict[tuple[Any, ...], dict[str, Any]] = {}
    if summary is not None:
        lines += _summary_section(summary, all_runs)
    for extra in extras:
        names = ", ".join(s["scenario"] for s in extra.get("scenarios", []))
        lines += _summary_section(extra, all_runs, f"Scenarios recorded apart: {names}")
    for path in soaks:
        lines += _soak_section(path, _load(path), all_runs)
    demo = _load(out / FAILURE_DEMO)
    lines += _demo_section(demo, out.parent)
    lines += _coverage_section([summary, *extras])
    lines += _runs_section(all_runs)
    lines += _notes()
    return "\n".join(lines)


def _summary_section(summary: dict[str, Any],
                     all_runs: dict[tuple[Any, ...], dict[str, Any]],
                     title: str = "Scenarios") -> list[str]:
    """The scenario table of a recorded ``run``."""
    cluster = summary.get("cluster", {})
    features = cluster.get("feature_levels") or cluster.get("bootstrap_features", {})
    layout = cluster.get("layout", "combined")
    nodes = cluster.get("nodes", {})
    brokers = sum(1 for n in nodes.values() if "broker" in n.get("roles", ["broker"]))
    controllers = sum(1 for n in nodes.values() if "controller" in n.get("roles", []))
    net = cluster.get("network")
    elr = features.get("eligible.leader.replicas.version")
    lines = [
        f"## {title}", "",
        f"Recorded run: Apache Kafka {summary.get('kafka_version')}, "
        + (f"{brokers} brokers and {controllers} controllers as separate processes"
           if layout == "split" else f"{len(nodes)} combined broker+controller nodes")
        + (f", each in its own network namespace on {net['subnet']}" if net else
           ", on 127.0.0.1") + f"; took {summary.get('total_seconds')} s.", "",
        "Feature levels (`kafka-features describe`): "
        + ", ".join(f"`{k}={v}`" for k, v in sorted(features.items()))
        + (f". The replication model runs use `eligible.leader.replicas.version={elr}`; the "
           "controller and producer models have no ELR setting (their rows say so)."
           if elr is not None else "."), "",
        "| scenario | family | faults | model predicts | observed | other anomalies | "
        "verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    failures = []
    gaps: list[Gap] = []
    for s in summary.get("scenarios", []):
        j, prediction = _rejudged(s, s["focus"])
        gaps += scenario_gaps(s)
        _note_runs(all_runs, prediction, f"`{s['scenario']}`", scenario_gaps(s))
        pred, obs = _kinds_text(j, s["focus"])
        verdict = j["verdict"] if j["verdict"] != FAIL else "**FAIL**"
        lines.append(
            f"| `{s['scenario']}` | {s.get('family', '')} | {', '.join(s['faults'])} | {pred} | "
            f"{obs} | {_other_observed(j, s['focus'])} | {verdict} |")
        if j["verdict"] == FAIL:
            failures.append((s, j))
    lines.append("")
    lines += _gap_lines(gaps)
    lines += ["Per scenario: what it did, the settings, and the counts.", ""]
    for s in summary.get("scenarios", []):
        ops = s.get("ops", {})
        extra = _details_text(s)
        told = (ops_text(ops).capitalize() if "txn_committed" in ops else
                f"Sends acknowledged {ops.get('send_ok', 0)}, indefinite "
                f"{ops.get('send_info', 0)}, failed {ops.get('send_fail', 0)}")
        lines.append(f"- `{s['scenario']}`: {s['description']}. {told}; "
                     f"{s['seconds']} s.{extra}")
    lines.append("")
    for s, j in failures:
        lines += _failure_text(s["scenario"], j, s.get("history_path", ""))
    return lines


def _details_text(s: dict[str, Any]) -> str:
    """The scenario-specific figures recorded in its details."""
    d = s.get("details", {})
    parts = []
    if "lost_acked_after_successor" in d:
        parts.append(f"successor elected {d.get('successor_seconds')} s after the cut; "
                     f"{d['lost_acked_after_successor']} of the lost records were acknowledged "
                     "after the successor was elected (by the deposed leader)")
    if "set_up" in d:
        parts.append(f"leader rejected r0 and appended r1 as planned: {d['set_up']}; "
                     f"acknowledged offsets {[a[1:] for a in d.get('acked', [])]}")
        if d.get("client_log"):
            lines = [re.sub(r"^\w+ \[[^]]*\] (\[Producer [^]]*\] )?", "", line)
                     for line in d["client_log"][:4]]
            parts.append("Java client log: " + " / ".join(f"`{line[:160]}`" for line in lines))
        if d.get("errors"):
            parts.append("client errors: " + "; ".join(f"`{e[:160]}`" for e in d["errors"][:2]))
    if "rounds" in d and isinstance(d["rounds"], list):
        parts.append(f"{len(d['rounds'])} rounds")
    attempts = d.get("attempts") or []
    if len(attempts) > 1:  # every attempt's recorded verdict: none is hidden by the next
        parts.append("attempts (as recorded): " + ", ".join(
            f"{a['attempt']} {a['verdict']}"
            + (f" ({'; '.join(a['problems'])[:160]})" if a.get("problems") else "")
            for a in attempts))
    return (" " + "; ".join(parts) + ".") if parts else ""


def _failure_text(name: str, j: dict[str, Any], history: str) -> list[str]:
    """The failing kinds of one judgement with their history excerpts."""
    lines = [f"### Conformance failure: `{name}`", ""]
    lines += [f"- problem: {p}" for p in j.get("problems", [])]
    for k in j["kinds"]:
        if k["verdict"] != FAIL:
            continue
        lines.append(f"- {k['label']}: {k['observed']} observed; the model says impossible: "
                     + "; ".join(k["because"][:3]))
        rows = k.get("excerpt") or []
        if rows:
            lines += ["", "  ```"]
            lines += [f"  #{r['index']} {r['process']} {r['f']} {r.get('type', '')} "
                      f"{json.dumps(r['value'])[:160]}" for r in rows]
            lines += ["  ```", ""]
        else:
            lines.append(f"  (excerpt: see the history {history})")
    lines.append("")
    return lines


def _soak_section(path: Path, data: dict[str, Any],
                  all_runs: dict[tuple[Any, ...], dict[str, Any]]) -> list[str]:
    """Figures and verdict of one recorded soak."""
    j, prediction = _rejudged(data, SOAK_FOCUS)
    gaps = soak_gaps(path.name, data)
    _note_runs(all_runs, prediction, f"`{path.name}`", gaps)
    f = data["figures"]
    cfg = data["soak"]
    cluster = data.get("cluster") or {}
    features = cluster.get("feature_levels", {})
    lines = [
        f"## Soak: acks={cfg['acks']}, min.insync.replicas={cfg['min_insync_replicas']}, "
        f"RF=3 (`{path.name}`)", "",
        f"`kafkacheck conformance soak --seed {cfg['seed']} --rounds {cfg['rounds']} "
        f"--acks {cfg['acks']}` on Kafka {data.get('kafka_version')} "
        f"({cluster.get('layout', '?')} roles, ELR "
        f"{features.get('eligible.leader.replicas.version', '?')}); {cfg['producers']} "
        f"producers at {cfg['rate_per_s']:g} records/s each, a group of {cfg['consumers']} "
        f"members committing after processing, {cfg['partitions']} partitions; "
        f"{data['seconds']} s. Faults per round: one, or two overlapping with probability "
        f"{cfg['overlap_probability']}.", "",
        "| figure | value |", "|---|---|",
        f"| fault rounds | {f['rounds']} ({f['overlapping_rounds']} with two overlapping "
        f"faults; {f['rounds_recovered']} recovered to a full ISR) |",
        "| faults injected | " + ", ".join(f"{k} {v}" for k, v in
                                           sorted(data["fault_counts"].items())) + " |",
        f"| records acknowledged | {f['acknowledged']:,} |",
        f"| sends indefinite (timed out, error) | {f['indefinite']:,} |",
        f"| records read by the final read | {f['read']:,} |",
        f"| lost | {f['lost']:,} |",
        f"| duplicated | {f['duplicated']:,} |",
        f"| reordered | {f['reordered']:,} |",
        f"| inconsistent offsets | {f['inconsistent_offsets']:,} |",
        f"| never processed by the group | {_n(f['group_never_processed'])} |",
        f"| processed twice by the group | {_n(f['group_processed_twice'])} |",
        "",
        f"Verdict against the model: **{j['verdict']}**"
        + ("" if not j.get("problems") else f" ({'; '.join(j['problems'])})") + ".", "",
        "| anomaly | observed | model | verdict |", "|---|---|---|---|",
    ]
    for k in j["kinds"]:
        lines.append(f"| {k['label']} | {k['observed']:,} | {k['predicted']} | {k['verdict']} |")
    lines.append("")
    lines += _gap_lines(gaps)
    if j["verdict"] == FAIL:
        lines += _failure_text(path.name, j, data.get("history_path", ""))
    lines += [f"Replay the faults of this run: `kafkacheck conformance soak --replay {path}`.", ""]
    return lines


def demo_history(demo: dict[str, Any], root: Path) -> Path | None:
    """The committed history the failure demo judged (a relative ``history_path`` is its
    result file's neighbour, as ``conformance judge`` reads it), or None when not there."""
    try:
        result = json.loads((root / demo["result"]).read_text(encoding="utf-8"))
        scenario = next(s for s in result["scenarios"] if s["scenario"] == demo["scenario"])
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    history = Path(scenario["history_path"])
    path = history if history.is_absolute() else (root / demo["result"]).parent / history
    return path if not history.is_absolute() and path.is_file() else None


def _demo_section(demo: dict[str, Any] | None, root: Path = Path()) -> list[str]:
    """The conformance failure made on purpose with a model variant."""
    lines = ["## A conformance failure, on purpose", ""]
    if demo is None:
        return lines + ["Not recorded yet (`kafkacheck conformance judge --variant ... --out "
                        f"reports/{FAILURE_DEMO}`).", ""]
    history = demo_history(demo, root)
    where = (f"the run's history is committed (`{history.relative_to(root)}`), so the command "
             "judges it again from the repository "
             "(`tests/conformance/test_failure_demo_replays.py` does, and compares the "
             "judgement with this record)" if history is not None else
             "the command needs the run's history, which is not committed (record a run with "
             "`kafkacheck conformance run --workdir DIR --out FILE`, then give its FILE to "
             "`--result`)")
    lines += [
        f"`kafkacheck conformance judge --result {demo['result']} --scenario "
        f"{demo['scenario']} " + " ".join(f"--variant {v}" for v in demo["variant"])
        + f"` judged the recorded history against a model variant; verdict: "
        f"**{demo['verdict']}**. This section shows what that command recorded "
        f"(`reports/{FAILURE_DEMO}`): unlike the sections above, nothing in it is predicted "
        f"or judged again when the page is generated, and {where}.", ""]
    lines += _failure_text(str(demo["scenario"]), demo, "")
    return lines


def _coverage_section(summaries: list[dict[str, Any] | None]) -> list[str]:
    """Which model families have a real-cluster scenario in the recorded runs."""
    recorded = {s["scenario"] for summary in summaries
                for s in (summary or {}).get("scenarios", [])}
    families: dict[str, list[str]] = {}
    for s in SCENARIOS.values():
        families.setdefault(s.family, []).append(
            f"`{s.name}`" + ("" if s.name in recorded else " (not in the recorded run)"))
    lines = ["## Model families with a real-cluster scenario", "",
             "| family | scenarios |", "|---|---|"]
    lines += [f"| {fam} | {', '.join(names)} |" for fam, names in families.items()]
    lines += [f"| {fam} | none yet |" for fam in PENDING_FAMILIES]
    return lines + [""]


def _runs_section(all_runs: dict[tuple[Any, ...], dict[str, Any]]) -> list[str]:
    """Every model run the predictions above used (each distinct run was made once)."""
    lines = ["## The model runs behind the predictions", "",
             "Breadth-first, exhaustive within the bounds shown; only `always` properties "
             "decide what a history may show. The last column says where a run differs from "
             "the real cluster.", "",
             "| model | Kafka settings | bounds | stands for | violated | states | used by | "
             "differs from the cluster |", "|---|---|---|---|---|---|---|---|"]
    for (model, settings, bounds), entry in all_runs.items():
        o = entry["outcome"]
        violated = [p for p, v in o.verdicts.items() if v == "violated"]
        # a verdict that is neither (not covered, unknown) is named: it is no "holds"
        violated += [f"{p} {v}" for p, v in o.verdicts.items() if v not in ("holds", "violated")]
        lines.append(
            f"| `{model}` | {', '.join(f'{k}={v}' for k, v in settings)} | "
            f"{', '.join(f'{k}={v}' for k, v in bounds)} | "
            f"{', '.join(sorted(entry['stands_for']))} | {', '.join(violated) or 'none'} | "
            f"{o.distinct_states:,}{'' if o.complete else ' (incomplete)'} | "
            f"{', '.join(entry['used_by'])} | {'; '.join(_differs(entry, o)) or '-'} |")
    return lines + [""]


def _differs(entry: dict[str, Any], outcome: Any) -> list[str]:
    """Where a model run differs from the cluster: its abstractions, where its prediction is
    not the recorded run (:func:`scenario_gaps`, :func:`soak_gaps`), and any fault its bounds
    offered that never fired (its holds say nothing about that fault)."""
    never = list(getattr(outcome, "never_injected", ()))
    gaps = [f"{user}: " + ", ".join(short.format(n=n) for short, n in words.items())
            for user, words in entry.get("gaps", {}).items()]
    return (sorted(entry["notes"]) + gaps
            + ([f"never injected: {', '.join(never)}"] if never else []))


def _notes() -> list[str]:
    """Hand-written findings: kept apart from everything computed above."""
    return [
        "## Notes (written by hand while building the harness; not computed)", "",
        "- Idempotent producer epoch bump (`producer-idempotent-epoch-bump`): reproduced "
        "with the Java client. A broker with no state for a producer accepts any sequence "
        "number (`ProducerAppendInfo.checkSequence`), so r1 (sequence 1) is appended after "
        "r0 (sequence 0) was rejected; when r0's retry gets OUT_OF_ORDER_SEQUENCE_NUMBER "
        "and r0 is the next expected sequence, `TransactionManager.canRetry` requests an "
        "epoch bump and `startSequencesAtBeginning` rewrites every in-flight batch of the "
        "partition, r1 included, which is then written a second time. librdkafka treats "
        "the same answer as a fatal \"sequence desynchronization\" error: no duplicate, "
        "but the producer must be recreated. KAFKA-14034 (an unmerged pull request) "
        "describes the same class: rewriting the sequence of in-flight batches gives "
        "records that may already be written a new identity.",
        "- Lost responses: dropping only the leader's data segments also drops the "
        "acknowledgements Linux piggybacks on them; the clients' kernel then stops sending "
        "on that connection after its 200 ms retransmission timeout. The harness gives the "
        "leader's /32 route `rto_min 30s` for those scenarios, so requests keep flowing "
        "while responses are lost.",
        "- A follower that stops fetching leaves the ISR only once the leader has records it "
        "lacks (`replica.lag.time.max.ms` counts from the last time it was caught up); the "
        "scenarios write a record from another producer to make the ISR shrink.",
        "- A paused (SIGSTOP) follower still received records: a fetch response already in "
        "flight was buffered by the kernel and read on resume. The model's fetch is one "
        "atomic step, which covers this; the acks=1 kill scenario waits 0.5 s after pausing.",
        "- librdkafka's default auto-commit (offsets stored when poll() returns them) loses a "
        "record on a crash, which the Java client's auto-commit does not: the predictions "
        "model it as a commit before processing.",
        "",
    ]
