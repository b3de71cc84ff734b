"""The sharded breadth-first search on Ray: fingerprint-owning actors, batched exchange.

The algorithm is parallel.py's: each actor owns the states ``shard_owner`` gives it,
expands its part of a level and returns, per owner, the packed successors it generated
for that owner; the driver hands each owner the batches addressed to it, as Ray object
references (the data moves between actors through Ray's object store, not through the
driver), in sender order.  Counts, verdicts and counterexample lengths equal the
sequential engine's; liveness properties are not checked (the CLI falls back to the
sequential engine for them).

``address``: "auto" joins a running cluster (``ray start``) when there is one and starts
a local one otherwise; anything else is a cluster address for ``ray.init``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.parallel import MAX_WORKERS, LevelDriver, ShardWorker
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult
from kafkacheck.explorer.search import (
    Limits,
    class_code,
    collect,
    new_result,
    pace_gc,
    package_code,
    refuse_process_local,
)
from kafkacheck.model.interface import Model


class _ShardActorBody:
    """The body of a Ray actor: one ShardWorker, its model rebuilt from a pickle."""

    def __init__(self, model: Model, names: list[str], index: int, count: int) -> None:
        self.count = count
        self.model = model
        props = select_properties(model, names)
        self.worker = ShardWorker(model, props, index, count)
        self.pending_stop = ""
        pace_gc()  # the actor's process only searches

    def code(self) -> tuple[str, str]:
        """The code this actor runs (code_of()), for the driver to compare with its own."""
        return code_of(self.model)

    def seed(self) -> dict[str, Any]:
        return self.worker.seed()

    def expand(self, deadline: float | None, forget: tuple) -> list[Any]:
        """Expand this actor's part of the level; one list of batches per owner."""
        self.worker.deadline = deadline
        out: list[list] = [[] for _ in range(self.count)]
        self.pending_stop = self.worker.expand(forget, lambda owner, b: out[owner].append(b))
        return out if self.count > 1 else out[0]

    def take(self, *batches: list) -> dict[str, Any]:
        """The batches addressed to this actor, one list per sender, in sender order."""
        self.worker.take([b for sender in batches for b in sender])
        return {"stop": self.pending_stop, **self.worker.stats()}

    def advance(self) -> None:
        self.worker.advance()

    def check(self) -> dict[str, Any]:
        return self.worker.check_frontier()

    def parent(self, fp: int) -> int | None:
        return self.worker.parent(fp)


def code_of(model: Model) -> tuple[str, str]:
    """The kafkacheck code and the model's own classes a process runs (search.package_code,
    search.class_code): a node with another installation must not explore.  Classes of
    ``__main__`` are left out: Ray sends them by value, so every actor runs the driver's."""
    return package_code(), class_code(type(model), skip_main=True)


def connect(address: str | None, workers: int) -> Any:
    """Import Ray and join or start a cluster; UsageError when Ray is missing or unreachable."""
    try:
        import ray
    except ImportError:
        raise UsageError("--ray needs the ray package: pip install 'kafkacheck[ray]'") from None
    if ray.is_initialized():
        return ray
    options = {"include_dashboard": False, "log_to_driver": False,
               "ignore_reinit_error": True, "logging_level": "ERROR"}
    try:
        if address in (None, "auto", "local"):
            try:
                if address == "local":
                    raise ConnectionError
                ray.init(address="auto", **options)
            except (ConnectionError, RuntimeError):
                ray.init(num_cpus=max(workers, os.cpu_count() or 1), **options)
        else:
            _reachable(address)
            ray.init(address=address, **options)
    except UsageError:
        raise
    except Exception as exc:  # Ray raises many kinds; all mean "no cluster there"
        raise UsageError(f"--ray {address}: cannot reach a Ray cluster: {exc}") from None
    return ray


def _reachable(address: str) -> None:
    """UsageError unless HOST:PORT (or ray://HOST:PORT) accepts a TCP connection within 5 s:
    ray.init retries an unreachable address for minutes, printing its logs."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--ray {address}: give auto or a cluster address HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise UsageError(f"--ray {address}: cannot reach a Ray cluster there "
                         f"({getattr(exc, 'strerror', None) or exc})") from None


def ray_breadth_first(
    model: Model,
    properties: Sequence[str] = (),
    *,
    workers: int = 2,
    address: str | None = "auto",
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_depth: int | None = None,
    stop_at_first: bool = False,
    progress: Progress | None = None,
    propset: PropertySet | None = None,
) -> CheckResult:
    """Breadth-first search on ``workers`` Ray actors; the sequential engine's verdicts."""
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}")
    refuse_process_local(model, "--ray")
    props = propset or select_properties(model, properties)
    ray = connect(address, workers)
    limits = Limits(max_states, max_seconds, max_depth, stop_at_first)
    result = new_result(model, props, f"ray bfs x{workers}", "ray")
    actor_class = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(_ShardActorBody)
    names = [p.name for p in props.all]
    model_ref = ray.put(model)
    actors = [actor_class.remote(model_ref, names, i, workers) for i in range(workers)]

    def level(deadline: float | None, forget: tuple) -> list[dict[str, Any]]:
        outs = [a.expand.options(num_returns=workers).remote(deadline, forget) for a in actors]
        if workers == 1:
            outs = [[o] for o in outs]
        return ray.get([actors[d].take.remote(*[outs[s][d] for s in range(workers)])
                        for d in range(workers)])

    try:
        # Actors import kafkacheck (and the model's module) from their node's installation.
        mine = code_of(model)
        theirs = ray.get([a.code.remote() for a in actors])
        if any(tuple(code) != mine for code in theirs):
            raise UsageError("--ray: a Ray worker runs other kafkacheck code (or another "
                             f"version of {type(model).__module__}) than this driver: install "
                             "the same code on every node")
        driver = LevelDriver(result, props, limits, workers, progress)
        driver.run(seed=lambda: ray.get([a.seed.remote() for a in actors]), level=level,
                   advance=lambda: ray.get([a.advance.remote() for a in actors]),
                   abort=lambda: None,
                   check=lambda: ray.get([a.check.remote() for a in actors]))
        collect(model, props, result, driver.found, driver.witnesses,
                lambda fp: next((p for p in ray.get([a.parent.remote(fp) for a in actors])
                                 if p is not None), None))
    finally:
        for actor in actors:
            ray.kill(actor)
    nodes = len([n for n in ray.nodes() if n.get("Alive")])
    result.notes.append(f"ray: {workers} shard actors on {nodes} node(s)")
    return result
