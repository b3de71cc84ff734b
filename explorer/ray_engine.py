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

As with the worker processes (parallel._Pool.call), an actor that raises or dies ends the
run (WorkerFailed), and so does one that has not ended its level 2 x STOP_GRACE after
--max-seconds: never a verdict from a broken search (audit 16b).  The run is then
incomplete, with the counts of the last level every actor finished and what was found by
then (LevelDriver.rebuild makes its traces).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer import parallel
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.parallel import MAX_WORKERS, LevelDriver, ShardWorker, WorkerFailed
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult
from kafkacheck.explorer.search import (
    Limits,
    ModelRaised,
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
        self.interrupted = False
        self.worker.abort = lambda: self.interrupted  # read every 1,024 states
        self.pending_stop = ""
        pace_gc()  # the actor's process only searches

    def code(self) -> str:
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

    def interrupt(self) -> None:
        """Ctrl-C at the driver: end the level being expanded at the next 1,024 states (this
        call runs in the actor's control thread), so the traces are read without waiting."""
        self.interrupted = True


def code_of(model: Model) -> str:
    """The kafkacheck code a process runs (search.package_code): a node with another
    installation must not explore.  The model's classes outside kafkacheck (a user's
    module, a test mutant) travel by value (ship_by_value; Ray sends those of ``__main__``
    so anyway), so every actor runs the driver's."""
    return package_code()


def gather(ray: Any, actors: list[Any], refs: list[Any], *, deadline: float | None = None,
           on_wait: Callable[[], None] | None = None,
           sources: list[Any] | None = None) -> list[Any]:
    """The answers to one call per actor (``refs[i]`` from ``actors[i]``), in actor order.

    As parallel._Pool.call: the first failure (an actor that raised, or died) raises
    WorkerFailed naming the actor, and so does a ``deadline`` (time.time()) passed by
    2 x STOP_GRACE with answers missing (an actor stuck in the model: actors read the
    deadline every 1,024 states).  ``sources[i]``: a result of actor ``i`` that the calls
    take (a level's expansions), to name the actor that failed or hangs.  ``on_wait`` runs
    every WAIT_POLL seconds of waiting (the progress display).
    """
    errors = ray_exceptions()
    pending = dict(enumerate(refs))
    answers: dict[int, Any] = {}
    while pending:
        ready, _ = ray.wait(list(pending.values()), num_returns=len(pending),
                            timeout=parallel.WAIT_POLL)
        done = set(ready)
        for i, ref in list(pending.items()):
            if ref not in done:
                continue
            try:
                answers[i] = ray.get(ref)
            except errors.RayError as exc:
                where, why, raised = _failure(ray, actors, exc, i, sources or [])
                raise WorkerFailed(f"ray actor {where} failed: {why}", raised) from None
            del pending[i]
        if pending and on_wait is not None:
            on_wait()
        if pending and deadline is not None and \
                time.time() - deadline > 2 * parallel.STOP_GRACE:
            unfinished = [i for i, ref in enumerate(sources or [])
                          if not ray.wait([ref], timeout=0, fetch_local=False)[0]]
            raise WorkerFailed(f"ray actor {(unfinished or sorted(pending))[0]} failed: did "
                               f"not end its level within {2 * parallel.STOP_GRACE:.0f}s "
                               "after the time limit")
    return [answers[i] for i in range(len(refs))]


def _failure(ray: Any, actors: list[Any], exc: Exception, default: int,
             sources: list[Any]) -> tuple[int, str, ModelRaised | None]:
    """The actor a failed call's error comes from, what happened, in one line, and the
    model's exception when that is it: a call that takes another actor's result fails
    with that actor's error."""
    errors = ray_exceptions()
    where = default
    for i, ref in enumerate(sources):  # the first expansion that failed is the cause
        if ray.wait([ref], timeout=0, fetch_local=False)[0]:
            try:
                ray.get(ref)
            except errors.RayError as source_exc:
                where, exc = i, source_exc
                break
    died = exc if isinstance(exc, errors.RayActorError) else getattr(exc, "cause", None)
    if isinstance(died, ModelRaised):
        return where, died.reason, died
    if isinstance(died, errors.RayActorError):
        ids = {a._actor_id.hex(): i for i, a in enumerate(actors)}
        where = ids.get(getattr(died, "actor_id", None) or "", where)
        lines = str(died).strip().splitlines()
        why = f"the actor died ({lines[0] if lines else type(died).__name__})"
    elif isinstance(getattr(exc, "cause", None), BaseException):
        cause = exc.cause  # type: ignore[attr-defined]
        why = f"{type(cause).__name__}: {cause}"
    else:
        lines = str(exc).strip().splitlines()
        why = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return where, " ".join(why.split())[:300], None


def _interrupt(ray: Any, actors: list[Any]) -> None:
    """Ctrl-C: tell every actor to end its level now (an actor that cannot answer within
    5 s is killed with the others when the run ends)."""
    try:
        ray.get([a.interrupt.options(concurrency_group="control").remote() for a in actors],
                timeout=5)
    except Exception:  # noqa: BLE001 - a dead or stuck actor: nothing more to tell it
        pass


def ray_exceptions() -> Any:
    """ray.exceptions (imported only when Ray is in use)."""
    import ray.exceptions

    return ray.exceptions


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


def ship_by_value(ray: Any, model: Model) -> None:
    """Pickle the model's classes defined outside kafkacheck (a test mutant, a user's
    subclass) by value: the actors, which may not import their modules, run them as given."""
    for cls in type(model).__mro__:
        name = cls.__module__
        module = sys.modules.get(name)
        if module is not None and name.split(".")[0] not in ("kafkacheck", "builtins") \
                and name != "__main__" and getattr(module, "__file__", None):
            ray.cloudpickle.register_pickle_by_value(module)


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
    # interrupt() runs in a thread of its own while a level is being expanded; every other
    # call is taken one at a time, in order, in the default thread
    actor_class = ray.remote(num_cpus=0, scheduling_strategy="SPREAD",
                             concurrency_groups={"control": 1})(_ShardActorBody)
    names = [p.name for p in props.all]
    ship_by_value(ray, model)
    model_ref = ray.put(model)
    actors = [actor_class.remote(model_ref, names, i, workers) for i in range(workers)]

    driver = LevelDriver(result, props, limits, workers, progress)

    def call(method: str, *args: Any) -> list[Any]:
        return gather(ray, actors, [getattr(a, method).remote(*args) for a in actors])

    def level(deadline: float | None, forget: tuple) -> list[dict[str, Any]]:
        outs = [a.expand.options(num_returns=workers).remote(deadline, forget) for a in actors]
        if workers == 1:
            outs = [[o] for o in outs]
        takes = [actors[d].take.remote(*[outs[s][d] for s in range(workers)])
                 for d in range(workers)]
        return gather(ray, actors, takes, deadline=deadline, on_wait=driver.show_progress,
                      sources=[out[0] for out in outs])

    try:
        # Actors import kafkacheck from their node's installation (the model's own classes
        # come by value: ship_by_value).
        mine = code_of(model)
        if any(code != mine for code in call("code")):
            raise UsageError("--ray: a Ray worker runs other kafkacheck code than this "
                             "driver: install the same code on every node")
        driver.run(seed=lambda: call("seed"), level=level, advance=lambda: call("advance"),
                   abort=lambda: _interrupt(ray, actors), check=lambda: call("check"))
        driver.collect(model, lambda fp: next((p for p in call("parent", fp)
                                               if p is not None), None))
    except WorkerFailed as exc:  # an actor failed before the search began: none explored
        driver.failure = result.stop_reason = str(exc)
    finally:
        for actor in actors:
            ray.kill(actor)
    driver.rebuild(model)  # the actors are gone: their memory is free
    nodes = len([n for n in ray.nodes() if n.get("Alive")])
    result.notes.append(f"ray: {workers} shard actors on {nodes} node(s)")
    return result
