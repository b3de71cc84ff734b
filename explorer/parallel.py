"""Parallel breadth-first search with worker processes on one machine.

Level-synchronous: before each level the master forks workers that inherit (copy on
write) the visited fingerprints and the frontier; each expands a slice, drops
successors already visited, checks the properties and sends back only new states.
The master merges them in worker order, so the result is deterministic and traces
are still shortest.  Liveness properties need the sequential engine.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import time
from collections.abc import Sequence
from typing import Any

from kafkacheck.explorer.bfs import ROOT, SearchState, _collect
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.result import CheckResult
from kafkacheck.explorer.trace import fingerprint_function
from kafkacheck.model.interface import Model

_JOB: dict[str, Any] = {}


def _worker(index: int, conn: Any) -> None:
    """Worker process body: expand one slice and send the result through the pipe."""
    conn.send_bytes(pickle.dumps(_expand(index), protocol=pickle.HIGHEST_PROTOCOL))
    conn.close()


def _expand(index: int) -> tuple:
    """Expand frontier slice ``index``: the new states, violations, witnesses and counts."""
    job = _JOB
    model: Model = job["model"]
    props: PropertySet = job["props"]
    parents: dict[int, int] = job["parents"]
    frontier = job["frontier"]
    workers = job["workers"]
    fp_of = fingerprint_function(model)
    within = None if type(model).within_bounds is Model.within_bounds else model.within_bounds
    invariants = [(p.name, p.holds) for p in props.invariants if p.name not in job["found"]]
    steps = [(p.name, p.step) for p in props.steps if p.name not in job["found"]]
    pending = [(p.name, p.holds) for p in props.sometimes if p.name not in job["witnessed"]]
    local: dict[int, int] = {}
    out: list[tuple[int, int, Any]] = []
    found: dict[str, tuple] = {}
    witnesses: dict[str, int] = {}
    coverage: dict[str, int] = {}
    generated = 0
    for sfp, state in frontier[index::workers]:
        for action, nxt in model.successors(state):
            generated += 1
            coverage[action[0]] = coverage.get(action[0], 0) + 1
            for name, pred in steps:
                if name not in found and not pred(state, action, nxt):
                    found[name] = ("step", fp_of(nxt), sfp, action)
            if within is not None and not within(nxt):
                continue
            fp = fp_of(nxt)
            if fp in parents or fp in local:
                continue
            local[fp] = sfp
            out.append((fp, sfp, nxt))
            for name, pred in invariants:
                if name not in found and not pred(nxt):
                    found[name] = ("invariant", fp, None, None)
            for name, pred in pending:
                if name not in witnesses and pred(nxt):
                    witnesses[name] = fp
    return out, found, witnesses, coverage, generated


def parallel_breadth_first(
    model: Model,
    properties: Sequence[str] = (),
    *,
    workers: int = 2,
    max_states: int | None = None,
    max_seconds: float | None = None,
    propset: PropertySet | None = None,
    min_level: int = 2000,
) -> CheckResult:
    """Breadth-first search with ``workers`` processes; same verdicts as the sequential one."""
    props = propset or select_properties(model, properties)
    result = CheckResult(model, f"bfs x{workers}", props.all)
    result.symmetry = type(model).canonical is not Model.canonical
    search = SearchState()
    parents = search.parents
    found = search.found
    witnessed: dict[str, int] = {}
    fp_of = fingerprint_function(model)
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds else None
    ctx = mp.get_context("fork")
    frontier = []
    generated = 0
    for state in model.init_states():
        generated += 1
        fp = fp_of(state)
        if fp not in parents:
            parents[fp] = ROOT
            frontier.append((fp, state))
            for p in props.invariants:
                if p.name not in found and not p.holds(state):  # type: ignore[misc]
                    found[p.name] = ("invariant", fp, None, None)
            for p in props.sometimes:
                if p.name not in witnessed and p.holds(state):  # type: ignore[misc]
                    witnessed[p.name] = fp
    wanted = len(props.invariants) + len(props.steps)
    depth = 0
    try:
        while frontier:
            if deadline is not None and time.monotonic() > deadline:
                result.stop_reason = "time limit reached"
                break
            n = workers if len(frontier) >= min_level else 1
            _JOB.update(model=model, props=props, parents=parents, frontier=frontier,
                        workers=n, found=dict(found), witnessed=dict(witnessed))
            if n == 1:
                chunks = [_expand(0)]
            else:
                chunks = _fork_level(ctx, n)
            next_frontier = []
            for out, f, w, cov, gen in chunks:
                generated += gen
                for k, v in cov.items():
                    result.coverage[k] += v
                for name, where in f.items():
                    found.setdefault(name, where)
                for name, fp in w.items():
                    witnessed.setdefault(name, fp)
                for fp, parent, nxt in out:
                    if fp not in parents:
                        parents[fp] = parent
                        next_frontier.append((fp, nxt))
            frontier = next_frontier
            if frontier:
                depth += 1
            if wanted and len(found) >= wanted and len(witnessed) == len(props.sometimes):
                result.stop_reason = "every property violated"
                break
            if max_states is not None and len(parents) >= max_states:
                result.stop_reason = f"state limit {max_states:,} reached"
                break
        else:
            result.complete = True
            result.stop_reason = "complete"
    except KeyboardInterrupt:
        result.stop_reason = "interrupted (Ctrl-C)"
    finally:
        _JOB.clear()
    result.seconds = time.monotonic() - started
    result.distinct_states = len(parents)
    result.generated_states = generated
    result.depth = depth
    result.witnesses = dict(witnessed)  # type: ignore[arg-type]
    _collect(model, props, result, search)
    if props.eventually:
        result.notes.append("liveness is checked by the sequential engine only (--workers 1)")
    result.notes.append(f"parallel search: {workers} worker processes (pid {os.getpid()})")
    return result


def _fork_level(ctx: Any, n: int) -> list[tuple]:
    """Fork ``n`` workers for one level and collect their results in worker order."""
    pipes = [ctx.Pipe(duplex=False) for _ in range(n)]
    procs = [ctx.Process(target=_worker, args=(i, pipes[i][1]), daemon=True) for i in range(n)]
    for proc in procs:
        proc.start()
    for _, writer in pipes:
        writer.close()
    results = []
    try:
        for reader, _ in pipes:
            results.append(pickle.loads(reader.recv_bytes()))
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    return results
