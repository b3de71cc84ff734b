"""`kafkacheck report`: regenerate the guarantee reports in reports/ from engine runs.

Every number in a report comes from a run made during that regeneration.  Results are
deterministic (state limits, not time limits, bound each run), so a regeneration on
another machine reproduces the committed files apart from the lines marked as timing
(the date and the per-check times, which ``normalize`` masks for comparison).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kafkacheck import __version__
from kafkacheck.report_matrices import MATRICES, Matrix, Row

if TYPE_CHECKING:
    from kafkacheck.seed_claims import Run

# Beside a "holds" whose run crashed brokers only as processes: not a guarantee under
# power failure (explorer.render.power_loss_warning warns so on the command line).
PROCESS_CRASHES_ONLY = "; process crashes only"

TIMING_RE = re.compile(r"⏱ [0-9.,]+ ?(s|min)")
DATE_RE = re.compile(r"^(Generated on ).*$", re.M)


def normalize(text: str) -> str:
    """The report text with timings and dates masked, for reproducibility comparisons."""
    return DATE_RE.sub(r"\1<date>", TIMING_RE.sub("⏱ <time>", text))


def seconds_text(seconds: float) -> str:
    """A time as the reports print it (masked by ``normalize``)."""
    if seconds >= 120:
        return f"⏱ {seconds / 60:.1f} min"
    return f"⏱ {seconds:.2f} s"


@dataclass
class CellResult:
    """One property's verdict on one row, with its counterexample rendered if violated."""

    verdict: str
    steps: int | None = None
    trace_text: str = ""
    mermaid: str = ""
    explanation: str = ""
    statement: str = ""
    kind: str = "always"  # the property's kind: a sometimes that holds was only reached


@dataclass
class RowResult:
    """The outcome of one row's run."""

    row: Row
    complete: bool
    stop_reason: str
    distinct: int
    generated: int
    depth: int
    seconds: float
    cells: dict[str, CellResult]
    # Faults the row's bounds offer whose actions never fired (FaultModel.never_injected):
    # a "holds" beside them is not a guarantee under that fault, and says so.
    never_injected: tuple[str, ...] = ()
    # Every bound's effective value (the row's, else the model's default): a table cell
    # never reads "-" where the run used a default (crash_kind=process, not "any").
    bounds: Mapping[str, Any] = field(default_factory=dict)
    # The faults the run explored and those it did not (FaultModel.as_json), and the
    # power-loss warning the CLI prints for it (explorer.render.power_loss_warning).
    fault_model: Mapping[str, Any] = field(default_factory=dict)
    power_loss_warning: str | None = None
    # Whether the run crashed brokers (or KRaft nodes) only as processes, the page cache
    # surviving (explorer.render.process_crashes_only): a "holds" says nothing about a
    # power failure.
    process_crashes_only: bool = False


# `report --max-seconds`: the time limit of each run (a run cut short is "unknown" in its
# cells, never "holds"); set by generate() before the worker processes are forked.
_ROW_LIMIT: dict[str, float | None] = {"seconds": None}


def run_row(args: tuple[Row, Sequence[str], int]) -> RowResult:
    """Run the explorer on one row (in a worker process) and render what it found."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.explorer.render import (
        mermaid,
        power_loss_warning,
        process_crashes_only,
        trace_lines,
    )
    from kafkacheck.testing import make_model

    row, columns, max_states = args
    model = make_model(row.model, row.settings, kafka_version=row.kafka_version, **row.bounds)
    result = breadth_first(model, columns, max_states=max_states,
                           max_seconds=_ROW_LIMIT["seconds"])
    by_name = {p.name: p for p in result.properties}
    cells = {}
    for name in columns:
        prop = by_name[name]
        violation = result.violation(name)
        cell = CellResult(result.verdict(prop), statement=prop.statement,
                          explanation=prop.explanation, kind=prop.kind)
        if violation is not None and violation.trace is not None:
            cell.explanation = prop.story(model, violation.trace)
            cell.steps = len(violation.trace)
            cell.trace_text = "\n".join(trace_lines(model, violation.trace))
            cell.mermaid = mermaid(model, violation.trace)
        cells[name] = cell
    return RowResult(row, result.complete, result.stop_reason, result.distinct_states,
                     result.generated_states, result.depth, result.seconds, cells,
                     result.fault_model.never_injected, bounds=dict(model.config.bounds),
                     fault_model=result.fault_model.as_json(),
                     power_loss_warning=power_loss_warning(result),
                     process_crashes_only=process_crashes_only(result))


def _bounds_text(row: Row) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.bounds.items()) or "defaults"


def _cell_markdown(matrix: Matrix, rr: RowResult, name: str) -> str:
    cell = rr.cells[name]
    if cell.verdict == "never reached":
        return "❌ never reached"
    if cell.verdict == "violated":
        link = f"counterexamples/{matrix.id}-{rr.row.slug}-{name}.md"
        return f"❌ [violated]({link}) ({cell.steps} steps)"
    if cell.verdict == "holds" and cell.kind == "sometimes":
        # a witness, not a guarantee: the search may have stopped once it had one
        stopped = "" if rr.complete else ", a search stopped early"
        return f"🔎 reachable (an example among {rr.distinct:,} states{stopped})"
    if cell.verdict == "holds":
        never = f"; never injected: {', '.join(rr.never_injected)}" if rr.never_injected else ""
        return f"✅ holds ({rr.distinct:,} states{never}{_crash_kind_note(rr)})"
    if cell.verdict == "unknown":
        return f"⚠️ unknown: {rr.stop_reason} at {rr.distinct:,} states"
    return f"⚠️ {cell.verdict} ({rr.distinct:,} states)"  # not covered, not checked


def _crash_kind_note(rr: RowResult) -> str:
    """'; process crashes only' beside a holds whose run crashed brokers only as
    processes (the page cache survives: power loss not explored), else ''."""
    return PROCESS_CRASHES_ONLY if rr.process_crashes_only else ""


def _bound_value(rr: RowResult, name: str) -> str:
    """A bound as the run used it: the row's value, else the model's default (never "-"
    for a default: crash_kind defaults to "any" in one model and "process" in another)."""
    return str(rr.row.bounds.get(name, rr.bounds.get(name, "-")))


def _differs_by_one(a: Row, b: Row) -> list[tuple[str, Any, Any]]:
    keys = set(a.settings) | set(b.settings) | set(a.bounds) | set(b.bounds)
    out = []
    if a.kafka_version != b.kafka_version:
        out.append(("--kafka-version", a.kafka_version or "(default)",
                    b.kafka_version or "(default)"))
    for key in sorted(keys):
        va = a.settings.get(key, a.bounds.get(key, "(default)"))
        vb = b.settings.get(key, b.bounds.get(key, "(default)"))
        if va != vb:
            out.append((key, va, vb))
    return out


# Bounds that name a fault's kind rather than count it: another value drops a fault
# (crash_kind=process drops power loss, slow_followers=none drops slow followers).
FAULT_KIND_BOUNDS = frozenset({"crash_kind", "slow_followers"})

# Kafka settings that size the cluster or the workload (replicas, partitions, tasks,
# threads): a row with fewer of them has fewer brokers to fail, fewer replicas to diverge
# and fewer interleavings, so under the same fault budget it can miss a loss the larger
# row shows.  With high-watermark truncation, RF=2 "holds" beside RF=3's lost write only
# because one crash and one leader change cannot reach the two-replica loss, which takes
# a follower bounce there (KIP-101); fewer replicas are not safer.
SIZE_SETTINGS = ("replication.factor", "num.partitions", "tasks.max", "num.stream.threads",
                 "num.standby.replicas")


def _is_size_setting(key: str) -> bool:
    return key.endswith(SIZE_SETTINGS)


def _as_count(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _shrinks_the_search(a: Row, b: Row, key: str) -> bool:
    """Whether row ``b`` differs from ``a`` in ``key`` only by exploring less: fewer of a
    bound that counts (faults, retries, records, partitions, instances, consumers), a
    fault's kind dropped (``FAULT_KIND_BOUNDS``), or a smaller cluster or workload (a size
    setting such as ``replication.factor`` lowered, or set in one row only, so that which is
    smaller cannot be told).  Such a row prevents nothing (unlike a setting, a release or
    an application's mode)."""
    if _is_size_setting(key) and (key in a.settings or key in b.settings):
        was, now = _as_count(a.settings.get(key)), _as_count(b.settings.get(key))
        return was is None or now is None or now < was
    if key in a.settings or key in b.settings or key not in (*a.bounds, *b.bounds):
        return False
    return key in FAULT_KIND_BOUNDS or any(isinstance(r.bounds.get(key), int) for r in (a, b))


def _prevention(matrix: Matrix, results: list[RowResult], rr: RowResult, name: str) -> list[str]:
    """Rows of the same matrix, one setting away, where the property holds (a smaller fault
    budget, cluster or search is no prevention: such rows are left out)."""
    lines = []
    for other in results:
        if other.cells[name].verdict != "holds":
            continue
        diff = _differs_by_one(rr.row, other.row)
        if len(diff) == 1 and not _shrinks_the_search(rr.row, other.row, diff[0][0]):
            key, was, now = diff[0]
            # A fault that no longer fires is the change's effect or a degenerate bound:
            # either way the reader is told.
            never = (f"; never injected there: {', '.join(other.never_injected)}"
                     if other.never_injected else "")
            lines.append(f"- `{key}={now}` instead of `{was}`: the property holds "
                         f"({other.distinct:,} states explored{never}"
                         f"{_crash_kind_note(other)}; "
                         f"`{other.row.command()}`)")
    return lines


def counterexample_page(matrix: Matrix, results: list[RowResult], rr: RowResult, name: str,
                        stamp: str) -> str:
    """The Markdown page of one counterexample."""
    cell = rr.cells[name]
    settings = "\n".join(f"| `{k}` | `{v}` |" for k, v in rr.row.settings.items())
    if rr.row.kafka_version:
        settings = f"| Kafka version | `{rr.row.kafka_version}` |\n" + settings
    prevention = _prevention(matrix, results, rr, name) or [
        "- no configuration one setting away in this matrix keeps the property; see the "
        "matrix for safe ones"]
    return "\n".join([
        f"# {name} violated: {matrix.title.split(':')[0]}",
        "",
        f"Generated on {stamp} by kafkacheck {__version__}.",
        "",
        f"**Property**: {cell.statement}.",
        "",
        "## Configuration",
        "",
        "| Kafka setting | value |",
        "|---|---|",
        settings,
        "",
        f"Bounds: {_bounds_text(rr.row)}. The shortest counterexample has {cell.steps} steps "
        f"(breadth-first search; {rr.distinct:,} distinct states explored, "
        f"{seconds_text(rr.seconds)}).",
        "",
        "## What broke",
        "",
        cell.explanation or cell.statement,
        "",
        "## Which setting prevents it",
        "",
        *prevention,
        "",
        "## Steps",
        "",
        "```text",
        cell.trace_text,
        "```",
        "",
        "## Sequence diagram",
        "",
        "```mermaid",
        cell.mermaid,
        "```",
        "",
        "## Reproduce",
        "",
        "```sh",
        f"{rr.row.command()} --property {name}",
        "```",
        "",
        "Step through it in the browser (`kafkacheck explore`):",
        "",
        "```sh",
        f"{rr.row.command()} --property {name} --json | "
        f"{rr.row.command().replace('kafkacheck check', 'kafkacheck explore', 1)} --trace -",
        "```",
        "",
    ])


def _undeclared(declared: Sequence[str], given: Sequence[Mapping[str, Any]]) -> list[str]:
    """Keys some row sets that are not among a matrix's declared columns, in first-seen order."""
    keys: list[str] = []
    for g in given:
        keys += [k for k in g if k not in declared and k not in keys]
    return keys


def _varies(key: str, given: Sequence[Mapping[str, Any]]) -> bool:
    """Whether rows differ in ``key`` (one setting it and another not counts)."""
    return len({repr(g.get(key)) for g in given}) > 1


def _columns(matrix: Matrix) -> tuple[list[str], list[str]]:
    """The setting and bound columns a matrix shows: the declared ones some row sets, then
    any other that differs between rows (no row is shown without what tells it apart)."""
    def shown(declared: Sequence[str], given: list[Mapping[str, Any]]) -> list[str]:
        return ([c for c in declared if any(c in g for g in given)]
                + [k for k in _undeclared(declared, given) if _varies(k, given)])

    return (shown(matrix.setting_columns, [r.settings for r in matrix.rows]),
            shown(matrix.bound_columns, [r.bounds for r in matrix.rows]))


def _common_text(matrix: Matrix) -> str:
    """The settings and bounds every row shares but no column shows, in one line ("" if
    none): a table never leaves a run's bounds unstated."""
    parts = []
    for declared, given in ((matrix.setting_columns, [r.settings for r in matrix.rows]),
                            (matrix.bound_columns, [r.bounds for r in matrix.rows])):
        parts += [f"`{k}={given[0][k]}`" for k in _undeclared(declared, given)
                  if not _varies(k, given)]
    return f"Every row also runs with {', '.join(parts)}." if parts else ""


def _versioned(matrix: Matrix) -> bool:
    """Whether some row of the matrix names a Kafka version (then a column shows it)."""
    return any(row.kafka_version for row in matrix.rows)


# Defaults no configuration file shows, whose cell says what was assumed: a cluster's
# feature level is 1 only where it was formatted by Kafka 4.1 or later (KIP-966).
ASSUMED_DEFAULTS = {"eligible.leader.replicas.version": "(default: 1, assumed)"}


def row_markdown(matrix: Matrix, rr: RowResult) -> str:
    """One table row: the configuration, one cell per property, and the time."""
    settings_cols, bound_cols = _columns(matrix)
    cells = [rr.row.kafka_version or "(default)"] if _versioned(matrix) else []
    cells += [rr.row.settings.get(c, ASSUMED_DEFAULTS.get(c, "(default)"))
              for c in settings_cols]
    cells += [_bound_value(rr, c) for c in bound_cols]
    cells += [_cell_markdown(matrix, rr, name) for name in matrix.columns]
    cells.append(seconds_text(rr.seconds))
    return "| " + " | ".join(cells) + " |"


def row_data(rr: RowResult) -> dict[str, Any]:
    """One row's entry in results.json: the configuration as given and as run (every
    bound's effective value), the fault model its verdicts are relative to, the verdicts."""
    return {
        "model": rr.row.model, "settings": dict(rr.row.settings),
        "bounds": dict(rr.row.bounds), "complete": rr.complete,
        **({"kafka_version": rr.row.kafka_version} if rr.row.kafka_version else {}),
        "distinct_states": rr.distinct, "generated_states": rr.generated,
        "depth": rr.depth,
        "verdicts": {k: c.verdict for k, c in rr.cells.items()},
        "counterexample_steps": {k: c.steps for k, c in rr.cells.items() if c.steps},
        **({"never_injected": list(rr.never_injected)} if rr.never_injected else {}),
        "effective_bounds": dict(rr.bounds), "fault_model": dict(rr.fault_model),
        **({"power_loss_warning": rr.power_loss_warning} if rr.power_loss_warning else {}),
    }


def matrix_markdown(matrix: Matrix, results: list[RowResult]) -> str:
    """The Markdown table of one matrix."""
    settings_cols, bound_cols = _columns(matrix)
    header = [*settings_cols, *bound_cols, *matrix.columns, "time"]
    if _versioned(matrix):
        header.insert(0, "Kafka")
    common = _common_text(matrix)
    lines = [f"## {matrix.title}", "", matrix.intro, "", *([common, ""] if common else []),
             "| " + " | ".join(f"`{h}`" if h in settings_cols else h for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += [row_markdown(matrix, rr) for rr in results]
    lines.append("")
    return "\n".join(lines)


def claim_run(rr: RowResult, properties: Sequence[str]) -> Run:
    """A seed claim's ``Run`` from a row's run: verdicts, steps, and the faults it left
    out (never injected, power loss not explored)."""
    from kafkacheck.seed_claims import Run

    row = rr.row
    return Run(row.model, dict(row.settings), dict(row.bounds), list(properties),
               {k: c.verdict for k, c in rr.cells.items()},
               {k: c.steps for k, c in rr.cells.items() if c.steps}, rr.distinct, rr.seconds,
               never_injected=rr.never_injected, kafka_version=row.kafka_version,
               power_loss_warning=rr.power_loss_warning,
               process_crashes=rr.process_crashes_only)


def claims_markdown(out: Path, stamp: str) -> tuple[str, int]:
    """Decide every seed claim with engine runs; write its counterexamples; the page text."""
    from kafkacheck.seed_claims import CLAIMS

    cache: dict[str, Run] = {}
    runs = 0
    stale = _pages_of(out, "claim")

    def check(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any],
              properties: Sequence[str], kafka_version: str | None = None) -> Run:
        nonlocal runs
        key = json.dumps([model, dict(settings), dict(bounds), list(properties),
                          kafka_version], sort_keys=True)
        if key in cache:
            return cache[key]
        row = Row(model, dict(settings), dict(bounds), kafka_version)
        rr = run_row((row, tuple(properties), 3_000_000))
        runs += 1
        run = claim_run(rr, properties)
        pseudo = Matrix("claim", "Seed claim", "", model, tuple(properties), (), (), (row,))
        for name, cell in rr.cells.items():
            if cell.verdict == "violated" and cell.steps is not None:
                fname = f"claim-{row.slug}-{name}.md"
                (out / "counterexamples" / fname).write_text(
                    counterexample_page(pseudo, [rr], rr, name, stamp), encoding="utf-8")
                stale.discard(out / "counterexamples" / fname)
                run.links[name] = f"counterexamples/{fname}"
        cache[key] = run
        return run

    lines = ["# The seed document's claims, checked", "",
             f"Generated on {stamp} by kafkacheck {__version__}.", "",
             "The project started from a Korean blog post, *kafka의 동작을 알아보자* (2024). "
             "Each claim below is quoted, translated, and decided by runs of the model made "
             "when this page was generated; a verdict holds only under the stated conditions "
             "and within the bounds of the runs cited.", ""]
    summary = ["| claim | verdict |", "|---|---|"]
    body = []
    for claim in CLAIMS:
        verdict = claim.decide(check)
        summary.append(f"| [{claim.english[:70]}{'…' if len(claim.english) > 70 else ''}]"
                       f"(#{claim.id}) | {verdict.verdict} |")
        body += [f'<a id="{claim.id}"></a>', f"## {claim.english}", "",
                 f"> {claim.korean}", ">", f"> *{claim.english}* (section: {claim.section})",
                 "", f"**Verdict: {verdict.verdict}.** {verdict.conditions}", "",
                 "Evidence:", "", *[f"- {e}" for e in verdict.evidence], ""]
    _remove(stale)
    return "\n".join(lines + summary + [""] + body), runs


def conformance_markdown(out: Path, stamp: str) -> str:
    """The conformance page: recorded real-cluster runs judged against predictions made now."""
    from kafkacheck.conformance.page import conformance_markdown as page

    return page(out, stamp, __version__)


def protocols_markdown(stamp: str, processes: int) -> str:
    """The classic-vs-consumer protocol comparison page (kafkacheck/report_protocols.py)."""
    from kafkacheck import report_protocols as rp

    tasks = [(row, rp.COLUMNS, 3_000_000) for _, _, row in rp.comparison_rows()]
    return rp.protocols_markdown(stamp, __version__, _run_all(tasks, processes))


def _run_all(tasks: list[tuple[Row, Sequence[str], int]], processes: int) -> list[RowResult]:
    if processes <= 1:
        return [run_row(t) for t in tasks]
    with mp.get_context("fork").Pool(processes) as pool:
        return pool.map(run_row, tasks, chunksize=1)


def _writable_folder(given: str | Path) -> Path:
    """The output folder, checked before any work: a folder we can write, or creatable."""
    from kafkacheck.config import UsageError

    if not str(given).strip():
        raise UsageError("--out is empty: give a folder")
    out = Path(given)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a folder")
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"--out {out}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {probe} is not writable")
    for name in ("README.md", "results.json", "protocols.md", "conformance.md",
                 "seed-claims.md", "counterexamples"):
        target = out / name
        if not target.exists():
            continue
        if target.is_dir() != (name == "counterexamples"):
            kind = "a folder" if name == "counterexamples" else "a file"
            raise UsageError(f"--out {out}: {target} is not {kind}")
        if not os.access(target, os.W_OK):
            raise UsageError(f"--out {out}: {target} is not writable")
        if name == "README.md":  # read back to replace only the regenerated sections
            try:
                target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                raise UsageError(f"--out {out}: {target} is not a UTF-8 text file") from None
    return out


# The date line of reports/README.md: a full run's, or one a partial run rewrote
# ("Generated on D (a, b only; c on D1; the rest on D0) by kafkacheck").
GENERATED_RE = re.compile(r"^Generated on (?P<date>[^;(]*?) (?:\((?P<inner>[^)]*)\) )?"
                          r"by kafkacheck", re.M)
COUNT_RE = re.compile(r"; \d[\d,]* configurations, ")


def _restamp(text: str, stamp: str, sections: Sequence[str]) -> str:
    """The index's date line after a partial run: the sections rerun now, those an earlier
    partial run rewrote with its date, the rest on the date of the full run that wrote
    them (the old date alone would hide the rerun, the new one alone would pass the other
    tables off as new); and the count of configurations the index now holds."""
    match = GENERATED_RE.search(text)
    if not match:
        return text
    earlier: list[tuple[list[str], str]] = []  # (sections, date) of earlier partial runs
    rest = match.group("date")
    if match.group("inner"):
        first, *middle, last = match.group("inner").split("; ")
        earlier.append((first.removesuffix(" only").split(", "), rest))
        for part in middle:
            names, _on, date = part.rpartition(" on ")
            earlier.append((names.split(", "), date))
        rest = last.removeprefix("the rest on ")
    kept = [(", ".join(n for n in names if n not in sections), date)
            for names, date in earlier]
    between = "".join(f"{names} on {date}; " for names, date in kept if names)
    line = (f"Generated on {stamp} ({', '.join(sections)} only; {between}the rest on "
            f"{rest}) by kafkacheck")
    text = text[:match.start()] + line + text[match.end():]
    return COUNT_RE.sub(f"; {sum(len(m.rows) for m in MATRICES):,} configurations, ", text,
                        count=1)


def _update_index(out: Path, matrices: Sequence[Matrix], sections: Sequence[str],
                  data: dict[str, Any], stamp: str = "") -> None:
    """Replace the regenerated matrices' sections of README.md and entries of results.json,
    and say in its date line which sections were regenerated when."""
    readme = out / "README.md"
    text = readme.read_text(encoding="utf-8")
    if stamp and matrices:
        text = _restamp(text, stamp, [m.id for m in matrices])
    for matrix, section in zip(matrices, sections, strict=True):
        heading = f"## {matrix.title}\n"
        start = text.find(heading)
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + section
            continue
        end = text.find("\n## ", start + len(heading))
        end = len(text) if end < 0 else end + 1
        # A section ends with a blank line before the next heading, as in a full run.
        text = text[:start] + section.rstrip("\n") + "\n\n" + text[end:]
    if matrices:
        readme.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        results = out / "results.json"
        try:
            old = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {"kafkacheck": __version__, "matrices": {}}
        if not isinstance(old, dict) or not isinstance(old.get("matrices"), dict):
            old = {"kafkacheck": __version__, "matrices": {}}
        old["matrices"].update(data["matrices"])
        results.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def generate(out: str | Path = "reports", only: Sequence[str] = (),
             max_seconds: float | None = None, processes: int | None = None) -> int:
    """Regenerate the reports under ``out``, each run within ``max_seconds``; returns an
    exit code."""
    _ROW_LIMIT["seconds"] = max_seconds
    try:
        return _generate(out, only, processes)
    finally:
        _ROW_LIMIT["seconds"] = None


def _pages_of(out: Path, section: str) -> set[Path]:
    """The counterexample pages a section wrote before (``{section}-...md``; a longer
    section id that starts the same way keeps its own)."""
    longer = [m.id for m in MATRICES if m.id != section and m.id.startswith(section + "-")]
    return {path for path in (out / "counterexamples").glob(f"{section}-*.md")
            if not any(path.name.startswith(other + "-") for other in longer)}


def _remove(pages: set[Path]) -> None:
    """Delete counterexample pages a regeneration no longer writes (the cell turned green,
    or its row is gone): a page left behind would show a violation nothing reports."""
    for path in pages:
        path.unlink(missing_ok=True)


def _generate(out: str | Path, only: Sequence[str], processes: int | None) -> int:
    sections = {m.id for m in MATRICES} | {"claims", "conformance", "protocols"}
    unknown = [name for name in only if name not in sections]
    if unknown:
        from kafkacheck.config import UsageError, did_you_mean

        raise UsageError(f"unknown report section {unknown[0]!r}"
                         f"{did_you_mean(unknown[0], sections)} "
                         f"(sections: {', '.join(sorted(sections))})")
    out = _writable_folder(out)
    try:
        (out / "counterexamples").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from kafkacheck.config import UsageError

        raise UsageError(f"--out {out}: {exc.strerror or exc}") from None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    started = time.monotonic()
    matrices = [m for m in MATRICES if not only or m.id in only]
    sections = []
    data: dict[str, Any] = {"kafkacheck": __version__, "matrices": {}}
    cut_short = 0  # cells whose run a limit stopped ("unknown"): no verdict, exit 3
    for matrix in matrices:
        tasks = [(row, matrix.columns, matrix.max_states) for row in matrix.rows]
        results = _run_all(tasks, processes or min(2, mp.cpu_count()))
        cut_short += sum(cell.verdict == "unknown" for rr in results
                         for cell in rr.cells.values())
        stale = _pages_of(out, matrix.id)
        for rr in results:
            for name, cell in rr.cells.items():
                if cell.verdict == "violated" and cell.steps is not None:
                    page = counterexample_page(matrix, results, rr, name, stamp)
                    path = out / "counterexamples" / f"{matrix.id}-{rr.row.slug}-{name}.md"
                    path.write_text(page, encoding="utf-8")
                    stale.discard(path)
        _remove(stale)
        sections.append(matrix_markdown(matrix, results))
        data["matrices"][matrix.id] = [row_data(rr) for rr in results]
    if not only or "conformance" in only:
        (out / "conformance.md").write_text(conformance_markdown(out, stamp) + "\n",
                                            encoding="utf-8")
    if not only or "protocols" in only:
        text = protocols_markdown(stamp, processes or min(2, mp.cpu_count()))
        (out / "protocols.md").write_text(text + "\n", encoding="utf-8")
    claim_runs = 0
    if not only or "claims" in only:
        text, claim_runs = claims_markdown(out, stamp)
        (out / "seed-claims.md").write_text(text + "\n", encoding="utf-8")
    total = time.monotonic() - started
    rows = sum(len(m.rows) for m in matrices)
    unknown_text = (f"; {cut_short} cell(s) unknown: their runs were cut short, no verdict"
                    if cut_short else "")
    status = 3 if cut_short else 0  # EXIT_INCOMPLETE: a cell without a verdict
    if only and (out / "README.md").exists():
        # Regenerating some sections keeps the others: replace only what was rerun.
        _update_index(out, matrices, sections, data, stamp)
        print(f"reports updated in {out}/ ({', '.join(only)}; {rows} configurations, "
              f"{claim_runs} claim runs, {seconds_text(total)}{unknown_text})")
        return status
    backing = ("each cell backed by one exhaustive run" if not cut_short else
               f"each cell backed by one run, exhaustive except {cut_short} cut short "
               "(unknown)")
    index = "\n".join([
        "# What Kafka guarantees, checked",
        "",
        f"Generated on {stamp} by kafkacheck {__version__} (Python "
        f"{platform.python_version()}); {rows} configurations, {backing}; regeneration "
        f"took {seconds_text(total)} on this machine.",
        "",
        "Every **holds** is relative to the bounds in its row (records, fault budget) and "
        "says how many distinct states the breadth-first search explored to the end; "
        "**reachable** marks a *sometimes* property of which the search found an example "
        "(no guarantee: a search whose safety properties were all violated may have stopped "
        "there, and says so); "
        "*process crashes only* marks one whose run crashed brokers without losing their "
        "page cache (power loss not explored: Kafka does not fsync each write by default, "
        "so it is no guarantee against a power failure). "
        "Every **violated** links to its shortest counterexample. Regenerate with "
        "`kafkacheck report`.",
        "",
        "- [The seed document's claims, checked](seed-claims.md)",
        "- [Predicted by the model, observed on Kafka 4.4](conformance.md)",
        "- [Classic vs consumer group protocol (KIP-848)](protocols.md)",
        "",
        *sections,
    ])
    (out / "README.md").write_text(index.rstrip("\n") + "\n", encoding="utf-8")
    (out / "results.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n",
                                      encoding="utf-8")
    print(f"reports written to {out}/ ({rows} configurations, {claim_runs} claim runs, "
          f"{seconds_text(total)}{unknown_text})")
    return status
