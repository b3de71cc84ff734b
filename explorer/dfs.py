"""Depth-first exhaustive search: a small frontier (the stack), traces not shortest.

It shares the visited table, property checks and limits with breadth-first search
(explorer/search.py).  It does not check liveness (eventually) properties: those get the
verdict *not checked*.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkacheck.explorer.bfs import finish
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult
from kafkacheck.explorer.search import (
    Clock,
    Limits,
    ModelRaised,
    Shard,
    StopSearch,
    initial_states,
    model_raised,
    new_result,
    pace_gc,
    restore_gc,
)
from kafkacheck.explorer.trace import ROOT
from kafkacheck.model.interface import Model


def depth_first(
    model: Model,
    properties: Sequence[str] = (),
    *,
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_depth: int | None = None,
    stop_at_first: bool = False,
    progress: Progress | None = None,
    propset: PropertySet | None = None,
) -> CheckResult:
    """Explore every reachable state depth-first (cut at max_depth if given)."""
    props = propset or select_properties(model, properties)
    limits = Limits(max_states, max_seconds, max_depth, stop_at_first)
    result = new_result(model, props, "dfs", "dfs")
    shard = Shard(model, props, state_limit=max_states, stop_at_first=stop_at_first)
    clock = Clock(limits, progress)
    raised: ModelRaised | None = None
    paced = pace_gc()
    try:
        try:
            shard.seed(initial_states(model))
            stack = [(fp, state, 0) for chunk, _checked in shard.frontier.drain()
                     for fp, _parent, state in chunk]
            stack.reverse()
            _search(shard, stack, limits, clock)
            result.complete = True
            result.stop_reason = "complete"
        except StopSearch as stop:
            result.stop_reason = stop.reason
        except KeyboardInterrupt:
            result.stop_reason = "interrupted (Ctrl-C)"
        except ModelRaised as exc:
            raised = exc
            result.stop_reason = exc.reason
    finally:
        restore_gc(paced)
        if progress is not None:
            progress.done()
    result.seconds = clock.seconds()
    finish(model, props, result, shard, None, raised)  # its trace: the depth-first path
    return result


def _search(shard: Shard, stack: list, limits: Limits, clock: Clock) -> int:
    """The depth-first loop; returns the deepest depth reached (also in shard.depth)."""
    fp_of, successors, within = shard.fp_of, shard.model.successors, shard.within
    add, checks, coverage = shard.table.add, shard.checks, shard.coverage
    max_depth = limits.max_depth
    limit = limits.max_states if limits.max_states is not None else -1
    cut = False
    expanded = 0
    sfp, depth = ROOT, 0
    try:
        while stack:
            sfp, state, depth = stack.pop()
            if depth > shard.depth:
                shard.depth = depth
            if max_depth is not None and depth >= max_depth:
                cut = True
                continue
            expanded += 1
            if not expanded & 1023:
                clock.check(len(shard.table), shard.generated, depth, len(stack))
            for action, nxt in successors(state):
                shard.generated += 1
                coverage[action[0]] = coverage.get(action[0], 0) + 1
                if checks.steps and checks.step(state, sfp, action, nxt, fp_of, depth + 1):
                    shard._found()
                if within is not None and not within(nxt):
                    continue
                fp = fp_of(nxt)
                if not add(fp, sfp):
                    continue
                if checks.active and checks.state(nxt, fp, depth + 1):
                    shard._found()
                stack.append((fp, nxt, depth + 1))
                if len(shard.table) == limit:
                    raise StopSearch(f"state limit {limit:,} reached")
    except StopSearch:
        raise
    except Exception as exc:  # the model's (else kafkacheck's own error)
        raise model_raised(exc, sfp, depth) from None
    if cut:
        raise StopSearch(f"depth limit {max_depth} reached")
    return shard.depth
