"""Depth-first exhaustive search: low memory for the frontier, traces not shortest."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kafkacheck.explorer.bfs import ROOT, chain_to, step_violation_trace
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult, Violation
from kafkacheck.explorer.trace import fingerprint_function, trace_from_fingerprints
from kafkacheck.model.interface import Model


def depth_first(
    model: Model,
    properties: Sequence[str] = (),
    *,
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_depth: int | None = None,
    progress: Progress | None = None,
    propset: PropertySet | None = None,
) -> CheckResult:
    """Explore every reachable state depth-first (bounded by max_depth if given)."""
    props = propset or select_properties(model, properties)
    result = CheckResult(model, "dfs", props.all)
    result.symmetry = type(model).canonical is not Model.canonical
    fp_of = fingerprint_function(model)
    within = None if type(model).within_bounds is Model.within_bounds else model.within_bounds
    parents: dict[int, int] = {}
    found: dict[str, tuple[str, int, int | None]] = {}
    witnesses: dict[str, int] = {}
    depth_of: dict[int, int] = {}
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds else None
    generated = 0
    cut_by_depth = False

    def check(state: object, fp: int) -> None:
        for p in props.invariants:
            if p.name not in found and not p.holds(state):  # type: ignore[misc]
                found[p.name] = ("invariant", fp, None)
        for p in props.sometimes:
            if p.name not in witnesses and p.holds(state):  # type: ignore[misc]
                witnesses[p.name] = fp

    stack = []
    try:
        for state in model.init_states():
            generated += 1
            if within is not None and not within(state):
                continue
            fp = fp_of(state)
            if fp in parents:
                continue
            parents[fp] = ROOT
            depth_of[fp] = 0
            check(state, fp)
            stack.append((fp, state))
        while stack:
            sfp, state = stack.pop()
            d = depth_of[sfp]
            result.depth = max(result.depth, d)
            if max_depth is not None and d >= max_depth:
                cut_by_depth = True
                continue
            if deadline is not None and not len(parents) & 1023 and time.monotonic() > deadline:
                result.stop_reason = "time limit reached"
                break
            if progress is not None:
                progress.update(len(parents), generated, d, len(stack))
            for action, nxt in model.successors(state):
                generated += 1
                result.coverage[action[0]] += 1
                for p in props.steps:
                    if p.name not in found and not p.step(state, action, nxt):  # type: ignore[misc]
                        found[p.name] = ("step", fp_of(nxt), sfp)
                if within is not None and not within(nxt):
                    continue
                fp = fp_of(nxt)
                if fp in parents:
                    continue
                parents[fp] = sfp
                depth_of[fp] = d + 1
                check(nxt, fp)
                stack.append((fp, nxt))
                if max_states is not None and len(parents) >= max_states:
                    result.stop_reason = f"state limit {max_states:,} reached"
                    stack = []
                    break
        else:
            pass
        if not result.stop_reason:
            if cut_by_depth:
                result.stop_reason = f"depth limit {max_depth} reached"
            else:
                result.complete = True
                result.stop_reason = "complete"
    except KeyboardInterrupt:
        result.stop_reason = "interrupted (Ctrl-C)"
    finally:
        if progress is not None:
            progress.done()
    result.seconds = time.monotonic() - started
    result.distinct_states = len(parents)
    result.generated_states = generated
    by_name = {p.name: p for p in props.all}
    for name, (kind, fp, before) in found.items():
        if kind == "step":
            trace = step_violation_trace(model, parents, before, fp, by_name[name])  # type: ignore[arg-type]
        else:
            trace = trace_from_fingerprints(model, chain_to(parents, fp))
        result.violations.append(Violation(by_name[name], trace, kind))
    for name, fp in witnesses.items():
        result.witnesses[name] = trace_from_fingerprints(model, chain_to(parents, fp))
    if result.complete:
        for p in props.sometimes:
            if p.name not in witnesses:
                result.violations.append(Violation(p, None, "never-reached"))
    if props.eventually:
        result.notes.append("liveness is checked by breadth-first search only (use --strategy bfs)")
    return result
