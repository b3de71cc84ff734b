"""Breadth-first exhaustive search: every reachable state, shortest counterexamples.

Visited states are 64-bit fingerprints in a compact table, each with its parent's
fingerprint; the frontier is kept packed (and goes to disk past ``memory_budget``);
traces are rebuilt afterwards by re-running the model along the fingerprint chain and
checked to end in the violation.  Liveness (eventually) properties are checked on the
state graph, which is recorded only when one is selected (or for ``--graph``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from kafkacheck.config import UsageError
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.engines import NO_GRAPH_IN_CHECKPOINTS
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult, ModelError
from kafkacheck.explorer.search import (
    Clock,
    Limits,
    ModelRaised,
    Shard,
    Spill,
    StateGraph,
    StopSearch,
    checkpoint_folder,
    collect,
    initial_states,
    model_error,
    model_raised,
    new_result,
    pace_gc,
    paced_gc,
    refuse_process_local,
    restore_gc,
    resume_depth,
    resumed_note,
    run_identity,
    size_text,
    write_checkpoint,
)
from kafkacheck.explorer.trace import ROOT
from kafkacheck.model.interface import Model

__all__ = ["StateGraph", "breadth_first"]


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
    memory_budget: int | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: float = 600.0,
    resume: str | Path | None = None,
) -> CheckResult:
    """Explore every reachable state level by level; stop on a limit, Ctrl-C or all violated.

    ``checkpoint`` saves the search at a level boundary every ``checkpoint_every``
    seconds and when a depth limit stops it; ``resume`` continues from such a folder.
    """
    props = propset or select_properties(model, properties)
    limits = Limits(max_states, max_seconds, max_depth, stop_at_first, memory_budget)
    result = new_result(model, props, "bfs", "bfs")
    graph = StateGraph() if (record_graph or props.eventually) else None
    spill = Spill(memory_budget)
    # --stop-at-first ends the search with the level the first violation is found in, as
    # the parallel engines do: the violated set does not depend on the engine.
    shard = Shard(model, props, graph=graph, spill=spill, state_limit=max_states)
    saving = resume is not None or checkpoint is not None
    identity = run_identity(model, props, "bfs") if saving else {}
    clock = Clock(limits, progress)
    shard.tick = lambda _n: clock.check(len(shard.table), shard.generated, shard.depth,
                                        len(shard.frontier) + len(shard.next))
    if graph is not None and saving:
        spill.close()
        raise UsageError(NO_GRAPH_IN_CHECKPOINTS)
    if saving:
        try:
            refuse_process_local(model, "--checkpoint/--resume")
        except UsageError:
            spill.close()
            raise
    if resume is not None:
        current = checkpoint_folder(Path(resume), identity)
        resume_depth(current, Path(resume), max_depth)
        shard.restore(current / "shard-0")
        result.notes.append(resumed_note(resume, shard.depth, shard.seconds_before))

    def seconds() -> float:  # the run's, the part before the resume included
        return shard.seconds_before + clock.seconds()

    raised: ModelRaised | None = None
    paced = pace_gc()
    try:
        try:
            if resume is None:
                shard.seed(initial_states(model))
            else:
                shard._count_limit()  # a restored table may be at --max-states already
            last_saved = time.monotonic()
            while len(shard.frontier):
                if stop_at_first and shard.checks.found:
                    raise StopSearch("stopped at the first violation")
                if max_depth is not None and shard.depth >= max_depth:
                    if checkpoint is not None:
                        _save(checkpoint, identity, shard, seconds())
                    raise StopSearch(f"depth limit {max_depth} reached")
                if checkpoint is not None and time.monotonic() - last_saved >= checkpoint_every:
                    _save(checkpoint, identity, shard, seconds())
                    last_saved = time.monotonic()
                clock.check(len(shard.table), shard.generated, shard.depth, len(shard.frontier))
                shard.expand()
                if len(shard.next):
                    shard.advance()
                elif stop_at_first and shard.checks.found:
                    raise StopSearch("stopped at the first violation")
                else:
                    break
            result.complete = True
            result.stop_reason = "complete"
        except StopSearch as stop:
            result.stop_reason = stop.reason
            if shard.expanding and stop.reason.startswith(
                    ("state limit", "stopped at", "every property")):
                shard.depth += 1  # the state that stopped the search is one level deeper
        except KeyboardInterrupt:
            result.stop_reason = "interrupted (Ctrl-C)"
        except ModelRaised as exc:
            raised = exc
            result.stop_reason = exc.reason
    finally:
        restore_gc(paced)
        if progress is not None:
            progress.done()
        if spill.spilled:
            result.notes.append(f"frontier spilled to disk: {size_text(spill.spilled)} past "
                                f"the memory budget of {size_text(memory_budget or 0)}")
        spill.close()
    result.seconds = seconds()
    finish(model, props, result, shard, graph, raised)
    return result


def _save(folder: str | Path, identity: dict, shard: Shard, seconds: float) -> None:
    write_checkpoint(Path(folder), identity, lambda path: shard.save(path / "shard-0", seconds))


def finish(model: Model, props: PropertySet, result: CheckResult, shard: Shard,
           graph: StateGraph | None, raised: ModelRaised | None = None) -> None:
    """Counts, traces (rebuilt and checked), never-reached checks, what the model raised
    (with the trace to where) and liveness."""
    result.distinct_states = len(shard.table)
    result.generated_states = shard.generated
    result.depth = shard.depth
    result.coverage.update(shard.coverage)
    collect(model, props, result, shard.checks.found, shard.checks.witnesses,
            shard.table.parent)
    if raised is not None:
        result.model_error = model_error(model, raised, shard.table.parent)
    if props.eventually and graph is not None:
        from kafkacheck.explorer.liveness import check_liveness

        with paced_gc():  # the graph is millions of tuples the default pace walks again
            try:
                check_liveness(model, props.eventually, result, graph, shard.table.parent)
            except Exception as exc:  # an eventually-property's own code: never a verdict
                error = model_raised(exc, ROOT, result.depth)
                if not isinstance(error, ModelRaised):
                    raise
                where = "checking the eventually-properties on the state graph"
                violated = {v.name for v in result.violations}
                for prop in props.eventually:
                    if prop.name not in violated:
                        result.not_checked.setdefault(prop.name, f"{error.reason} while {where}")
                result.model_error = ModelError(error.error, result.depth, None, error.detail,
                                                where)
    result.graph = graph
