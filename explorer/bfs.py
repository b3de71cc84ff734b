"""Breadth-first exhaustive search: every reachable state, shortest counterexamples.

Visited states are kept as 64-bit fingerprints (``hash`` of the canonical state) with a
link to their parent's fingerprint; traces are rebuilt afterwards by re-running the
model along the fingerprint chain, so no action labels or full states are stored.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult, Trace, Violation
from kafkacheck.explorer.trace import build_trace, fingerprint_function, trace_from_fingerprints
from kafkacheck.model.interface import Action, Model, State
from kafkacheck.properties.base import Property

ROOT = -1  # Python's hash() never returns -1, so it cannot collide with a fingerprint.


@dataclass
class StateGraph:
    """Edges recorded during a search, for liveness checking and export."""

    edges: list[tuple[int, Action, int]] = field(default_factory=list)
    cut: set[int] = field(default_factory=set)  # states with a successor outside the bounds
    initial: list[int] = field(default_factory=list)
    states: dict[int, State] = field(default_factory=dict)


@dataclass
class SearchState:
    """Everything a search keeps: enough to print a partial result after an interrupt."""

    parents: dict[int, int] = field(default_factory=dict)
    depth_of_level: int = 0
    found: dict[str, tuple[str, int, int | None, Action | None]] = field(default_factory=dict)
    graph: StateGraph | None = None


def chain_to(parents: dict[int, int], fp: int) -> list[int]:
    """The fingerprints from an initial state to ``fp``, following parent links."""
    chain = [fp]
    while True:
        parent = parents[chain[-1]]
        if parent == ROOT:
            break
        chain.append(parent)
    chain.reverse()
    return chain


def step_violation_trace(model: Model, parents: dict[int, int], before_fp: int, after_fp: int,
                         prop: Property) -> Trace:
    """The trace to ``before_fp`` plus the failing transition, found again by replay."""
    prefix = trace_from_fingerprints(model, chain_to(parents, before_fp))
    fp = fingerprint_function(model)
    last = prefix.steps[-1].state
    assert prop.step is not None
    for action, nxt in model.successors(last):
        if fp(nxt) == after_fp and not prop.step(last, action, nxt):
            states = [s.state for s in prefix.steps] + [nxt]
            actions = [s.action for s in prefix.steps] + [action]
            return build_trace(model, states, actions)
    return prefix


def breadth_first(
    model: Model,
    properties: Sequence[str] = (),
    *,
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_depth: int | None = None,
    stop_at_first: bool = False,
    record_graph: bool = False,
    progress: Progress | None = None,
    propset: PropertySet | None = None,
) -> CheckResult:
    """Explore every reachable state level by level; stop on a limit, Ctrl-C or all violated."""
    props = propset or select_properties(model, properties)
    result = CheckResult(model, "bfs", props.all)
    result.symmetry = type(model).canonical is not Model.canonical
    search = SearchState()
    if record_graph or props.eventually:
        search.graph = StateGraph()
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds else None
    try:
        _run(model, props, result, search, max_states, deadline, max_depth, stop_at_first,
             progress)
    except KeyboardInterrupt:
        result.stop_reason = "interrupted (Ctrl-C)"
        result.complete = False
    finally:
        if progress is not None:
            progress.done()
    result.seconds = time.monotonic() - started
    _collect(model, props, result, search)
    if props.eventually:
        from kafkacheck.explorer.liveness import check_liveness

        check_liveness(model, props.eventually, result, search.graph, search.parents)
    result.graph = search.graph
    return result


def _run(model: Model, props: PropertySet, result: CheckResult, search: SearchState,
         max_states: int | None, deadline: float | None, max_depth: int | None,
         stop_at_first: bool, progress: Progress | None) -> None:
    fp_of = fingerprint_function(model)
    successors = model.successors
    within = None if type(model).within_bounds is Model.within_bounds else model.within_bounds
    parents = search.parents
    graph = search.graph
    found = search.found
    invariants = [(p.name, p.holds) for p in props.invariants]
    steps = [(p.name, p.step) for p in props.steps]
    pending = [(p.name, p.holds) for p in props.sometimes]
    wanted = len(invariants) + len(steps)
    live = bool(props.eventually)
    coverage: dict[str, int] = {}
    generated = 0
    limit = max_states if max_states is not None else -1

    def check_new(state: State, fp: int) -> None:
        nonlocal invariants, pending
        for name, pred in invariants:
            if not pred(state):
                found[name] = ("invariant", fp, None, None)
        if len(found) and any(name in found for name, _ in invariants):
            invariants = [(n, p) for n, p in invariants if n not in found]
        for name, pred in pending:
            if pred(state):
                result.witnesses[name] = fp  # type: ignore[assignment]
        if pending and any(name in result.witnesses for name, _ in pending):
            pending = [(n, p) for n, p in pending if n not in result.witnesses]

    frontier: list[tuple[int, State]] = []
    for state in model.init_states():
        generated += 1
        if within is not None and not within(state):
            continue
        fp = fp_of(state)
        if fp in parents:
            continue
        parents[fp] = ROOT
        frontier.append((fp, state))
        if graph is not None:
            graph.initial.append(fp)
            graph.states[fp] = state
        check_new(state, fp)
    depth = 0
    result.depth = 0
    expanded = 0
    try:
        while frontier:
            if max_depth is not None and depth >= max_depth:
                result.stop_reason = f"depth limit {max_depth} reached"
                return
            next_frontier: list[tuple[int, State]] = []
            for sfp, state in frontier:
                expanded += 1
                if not expanded & 1023:
                    if deadline is not None and time.monotonic() > deadline:
                        result.stop_reason = "time limit reached"
                        return
                    if progress is not None:
                        progress.update(len(parents), generated, depth,
                                        len(frontier) + len(next_frontier))
                for action, nxt in successors(state):
                    generated += 1
                    name = action[0]
                    coverage[name] = coverage.get(name, 0) + 1
                    if steps:
                        for pname, pred in steps:
                            if not pred(state, action, nxt) and pname not in found:
                                found[pname] = ("step", fp_of(nxt), sfp, action)
                        steps = [(n, p) for n, p in steps if n not in found]
                    if within is not None and not within(nxt):
                        if graph is not None:
                            graph.cut.add(sfp)
                        continue
                    fp = fp_of(nxt)
                    if graph is not None:
                        graph.edges.append((sfp, action, fp))
                    if fp in parents:
                        continue
                    parents[fp] = sfp
                    next_frontier.append((fp, nxt))
                    if graph is not None:
                        graph.states[fp] = nxt
                    if invariants or pending:
                        check_new(nxt, fp)
                    if wanted and len(found) >= wanted and not pending and not live:
                        result.stop_reason = "every property violated"
                        result.depth = depth + 1
                        return
                    if stop_at_first and found:
                        result.stop_reason = "stopped at the first violation"
                        result.depth = depth + 1
                        return
                    if len(parents) == limit:
                        result.stop_reason = f"state limit {max_states:,} reached"
                        result.depth = depth + 1
                        return
            frontier = next_frontier
            if frontier:
                depth += 1
                result.depth = depth
        result.complete = True
        result.stop_reason = "complete"
    finally:
        result.distinct_states = len(parents)
        result.generated_states = generated
        result.coverage.update(coverage)
        search.depth_of_level = depth


def _collect(model: Model, props: PropertySet, result: CheckResult, search: SearchState) -> None:
    """Turn recorded fingerprints into concrete traces (after the search, off the hot path)."""
    by_name = {p.name: p for p in props.all}
    parents = search.parents
    for name, (kind, fp, before, _action) in search.found.items():
        prop = by_name[name]
        if kind == "step":
            assert before is not None
            trace = step_violation_trace(model, parents, before, fp, prop)
        else:
            trace = trace_from_fingerprints(model, chain_to(parents, fp))
        result.violations.append(Violation(prop, trace, kind))
    witnesses = dict(result.witnesses)
    result.witnesses = {}
    for name, fp in witnesses.items():
        result.witnesses[name] = trace_from_fingerprints(model, chain_to(parents, fp))  # type: ignore[arg-type]
    if result.complete:
        for prop in props.sometimes:
            if prop.name not in result.witnesses:
                result.violations.append(Violation(prop, None, "never-reached"))
    order = {p.name: i for i, p in enumerate(props.all)}
    result.violations.sort(key=lambda v: order[v.property.name])
