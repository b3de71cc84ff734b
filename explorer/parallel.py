"""Sharded parallel breadth-first search with persistent worker processes.

Each worker lives for the whole run and owns the states ``shard_owner`` gives it (the
fingerprint modulo the workers: of the whole state, or, with up to LOCAL_SHARDS workers,
of the part of the state the model names in ``shard_part``): it expands its part of each
level, keeps the successors it owns, and sends the others to
their owners in batches of packed states (no per-level fork, no merge in one process).
Levels are synchronous, so counterexamples are shortest; incoming batches are taken in
sender order after the worker's own successors, so a run is deterministic for a given
number of workers.  Counts equal the sequential engine's.  Liveness properties need the
whole state graph in one process: they are *not checked* here (the CLI runs the
sequential engine instead when one is selected).

The same ``ShardWorker`` runs inside Ray actors (explorer/ray_engine.py).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import resource
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult
from kafkacheck.explorer.search import (
    Found,
    Limits,
    Shard,
    Spill,
    StopSearch,
    checkpoint_folder,
    collect,
    new_result,
    pace_gc,
    run_identity,
    shard_part_index,
    write_checkpoint,
)
from kafkacheck.model.interface import Model

MAX_WORKERS = 64


class ShardWorker:
    """One shard and its exchange: expand a level, batch what others own, take batches."""

    def __init__(self, model: Model, props: PropertySet, index: int, count: int,
                 memory_budget: int | None = None) -> None:
        self.shard = Shard(model, props, index=index, count=count, spill=Spill(memory_budget))
        self.index, self.count = index, count
        self.deadline: float | None = None
        self.abort: Callable[[], bool] = lambda: False
        self.shard.tick = self._tick
        self.shard.early_stop = False
        self.poll: Callable[[], None] = lambda: None  # read arriving batches meanwhile
        self.rss_start = _rss()

    def _tick(self, _expanded: int) -> None:
        self.poll()
        if self.deadline is not None and time.time() > self.deadline:
            raise StopSearch("time limit reached")
        if self.abort():
            raise StopSearch("interrupted (Ctrl-C)")

    def seed(self) -> dict[str, Any]:
        """Take the initial states this worker owns (worker 0 counts them as generated)."""
        shard = self.shard
        before = shard.generated
        shard.seed(shard.model.init_states())
        if self.index != 0:
            shard.generated = before
        return self.stats()

    def expand(self, forget: tuple[list[str], list[str]],
               flush: Callable[[int, tuple], None]) -> str:
        """Expand the current level; batches for other owners go to ``flush(owner, batch)``.

        Returns the stop reason ('' when the level was expanded to its end).
        """
        shard = self.shard
        shard.checks.forget(*forget)
        outboxes = [bytearray() for _ in range(self.count)]
        classes = shard.classes

        def send(owner: int) -> None:
            flush(owner, (list(classes), bytes(outboxes[owner])))
            outboxes[owner].clear()

        stop = ""
        try:
            shard.expand(outboxes, send)
        except StopSearch as exc:
            stop = exc.reason
        for owner, buf in enumerate(outboxes):
            if buf:
                send(owner)
        return stop

    def check_frontier(self) -> dict[str, Any]:
        """Check the current level's unchecked states (a level that will not be expanded)."""
        self.shard.check_frontier()
        return self.stats()

    def take(self, batches: Iterable[tuple[list, bytes]]) -> None:
        """Successors from other workers, in sender order (that order makes runs repeatable)."""
        for classes, data in batches:
            self.shard.receive(data, classes)

    def advance(self) -> None:
        """The next level becomes the current one."""
        self.shard.advance()

    def stats(self) -> dict[str, Any]:
        """Counts and findings so far."""
        shard = self.shard
        return {"distinct": len(shard.table), "generated": shard.generated,
                "depth": shard.depth,
                "next": len(shard.next), "frontier": len(shard.frontier),
                "coverage": dict(shard.coverage),
                "found": {k: tuple(v) for k, v in shard.checks.found.items()},
                "witnesses": dict(shard.checks.witnesses),
                "rss_growth": max(0, _rss() - self.rss_start),
                "cpu_seconds": time.process_time(),
                "table_bytes": shard.table.nbytes(), "spilled": shard.spill.spilled,
                "sent_again": shard.sent_again}

    def parent(self, fp: int) -> int | None:
        """The parent fingerprint of a state this worker owns."""
        return self.shard.table.parent(fp)


def _rss() -> int:
    """Peak resident memory of this process in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- multiprocessing workers -------------------------------------------------------------

_END = "end"


def _worker_main(index: int, count: int, model: Model, props: PropertySet,
                 memory_budget: int | None, inboxes: list, conn: Any, abort: Any) -> None:
    """A worker process: serve the coordinator's commands until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    worker = ShardWorker(model, props, index, count, memory_budget)
    worker.abort = abort.is_set
    pace_gc()  # this process only searches
    level = 0
    while True:
        command, arg = conn.recv()
        try:
            if command == "seed":
                conn.send(("ok", worker.seed()))
            elif command == "level":
                deadline, forget = arg
                worker.deadline = deadline
                tag = level
                inbox = _Inbox(inboxes[index], index, count, level)
                worker.poll = inbox.poll
                reason = worker.expand(
                    forget, lambda owner, batch, tag=tag: inboxes[owner].put((index, tag, batch)))
                for owner in range(count):
                    if owner != index:
                        inboxes[owner].put((index, level, _END))
                inbox.wait()
                worker.poll = lambda: None
                worker.take(inbox.batches())
                level += 1
                conn.send(("ok", {"stop": reason, **worker.stats()}))
            elif command == "save":
                worker.shard.save(Path(arg) / f"shard-{index}")
                conn.send(("ok", None))
            elif command == "restore":
                worker.shard.restore(Path(arg) / f"shard-{index}")
                level = worker.shard.depth
                conn.send(("ok", worker.stats()))
            elif command == "check":
                conn.send(("ok", worker.check_frontier()))
            elif command == "advance":
                worker.advance()
                conn.send(("ok", None))
            elif command == "parent":
                conn.send(("ok", worker.parent(arg)))
            elif command == "stop":
                conn.send(("ok", None))
                return
        except Exception as exc:  # report, do not hang the coordinator
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return


class _Inbox:
    """A level's batches from the other workers, read while this one still expands (so the
    senders do not hold them) and kept, past a few MiB on disk, to be taken in sender order."""

    def __init__(self, queue: Any, index: int, count: int, level: int) -> None:
        self.queue, self.index, self.level = queue, index, level
        self.by_sender: list[list] = [[] for _ in range(count)]
        self.waiting = count - 1
        self.spill = Spill(8 << 20)

    def _keep(self, message: tuple) -> None:
        sender, level, batch = message
        if level != self.level:
            raise RuntimeError(f"worker {self.index}: a batch of level {level} during level "
                               f"{self.level}")
        if batch == _END:
            self.waiting -= 1
        else:
            classes, data = batch
            self.by_sender[sender].append((classes, self.spill.keep(data)))

    def poll(self) -> None:
        """Take what has arrived, without waiting."""
        import queue as queue_module

        while self.waiting:
            try:
                self._keep(self.queue.get_nowait())
            except queue_module.Empty:
                return

    def wait(self) -> None:
        """Take everything up to every other worker's end-of-level mark."""
        while self.waiting:
            self._keep(self.queue.get())

    def batches(self) -> Iterator[tuple[list, bytes]]:
        """The batches in sender order, each released as it is handed out."""
        try:
            for sender in self.by_sender:
                while sender:
                    classes, item = sender.pop(0)
                    yield classes, self.spill.take(item)
        finally:
            self.spill.close()


class _Pool:
    """The coordinator's handle on the worker processes."""

    def __init__(self, model: Model, props: PropertySet, workers: int,
                 memory_budget: int | None) -> None:
        ctx = mp.get_context("fork")
        self.abort = ctx.Event()
        self.inboxes = [ctx.Queue() for _ in range(workers)]
        self.conns = []
        self.procs = []
        self.pending: set[int] = set()  # workers whose answer has not been read yet
        self.on_wait: Callable[[], None] | None = None  # called every second while waiting
        # Objects that exist before the fork go to the permanent generation for the
        # workers: their collections then never walk (and copy-on-write) the model and
        # its caches inherited from this process (gc.freeze's documented use).
        gc.freeze()
        try:
            self._start(ctx, model, props, workers, memory_budget)
        finally:
            gc.unfreeze()

    def _start(self, ctx: Any, model: Model, props: PropertySet, workers: int,
               memory_budget: int | None) -> None:
        """Fork the worker processes."""
        for i in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, daemon=True,
                               args=(i, workers, model, props, memory_budget, self.inboxes,
                                     child, self.abort))
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def call(self, command: str, arg: Any = None, only: int | None = None) -> list[Any]:
        """Send a command to every worker (or one) and wait for the answers."""
        targets = range(len(self.conns)) if only is None else [only]
        for i in targets:
            self.conns[i].send((command, arg))
            self.pending.add(i)
        answers = []
        for i in targets:
            while self.on_wait is not None and not self.conns[i].poll(1.0):
                self.on_wait()
            status, value = self.conns[i].recv()
            self.pending.discard(i)
            if status != "ok":
                raise RuntimeError(f"parallel worker {i} failed: {value}")
            answers.append(value)
        return answers

    def interrupt(self) -> None:
        """Ctrl-C: make the workers end their level now, and read the answers left unread."""
        self.abort.set()
        for i in sorted(self.pending):
            if self.conns[i].poll(60):
                self.conns[i].recv()
            self.pending.discard(i)

    def close(self) -> None:
        """Stop the workers (politely, then not)."""
        for conn in self.conns:
            try:
                conn.send(("stop", None))
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for q in self.inboxes:
            q.cancel_join_thread()
            q.close()


def parallel_breadth_first(
    model: Model,
    properties: Sequence[str] = (),
    *,
    workers: int = 2,
    max_states: int | None = None,
    max_seconds: float | None = None,
    max_depth: int | None = None,
    stop_at_first: bool = False,
    memory_budget: int | None = None,
    progress: Progress | None = None,
    propset: PropertySet | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: float = 600.0,
    resume: str | Path | None = None,
) -> CheckResult:
    """Breadth-first search with ``workers`` persistent processes; the sequential verdicts.

    Limits are checked at level boundaries (the time limit also within a level), so a
    state limit may be passed by the rest of its level.  ``checkpoint``/``resume`` as in
    breadth_first (a checkpoint resumes with the same number of workers).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}")
    props = propset or select_properties(model, properties)
    limits = Limits(max_states, max_seconds, max_depth, stop_at_first, memory_budget)
    result = new_result(model, props, f"bfs x{workers}", "parallel")
    identity = run_identity(model, props, f"parallel bfs x{workers}")
    start = None
    if resume is not None:
        start = checkpoint_folder(Path(resume), identity)
        result.notes.append(f"resumed from {resume}")
    pool = _Pool(model, props, workers, memory_budget)

    def save() -> None:
        write_checkpoint(Path(checkpoint), identity,  # type: ignore[arg-type]
                         lambda path: pool.call("save", str(path)))

    try:
        driver = LevelDriver(result, props, limits, workers, progress)
        driver.checkpoint = save if checkpoint is not None else None
        pool.on_wait = driver.show_progress
        driver.checkpoint_every = checkpoint_every
        driver.run(
            seed=(lambda: pool.call("restore", str(start))) if start else
            (lambda: pool.call("seed")),
            level=lambda deadline, forget: pool.call("level", (deadline, forget)),
            advance=lambda: pool.call("advance"),
            abort=pool.interrupt,
            check=lambda: pool.call("check"),
        )
        collect(model, props, result, driver.found, driver.witnesses,
                lambda fp: next((p for p in pool.call("parent", fp) if p is not None), None))
    finally:
        pool.close()
    result.notes.append(f"parallel search: {workers} worker processes, fingerprints sharded "
                        "by owner" + (f" (of the state's {model.shard_part})"
                                      if shard_part_index(model, workers) >= 0 else ""))
    return result


class LevelDriver:
    """The coordinator's side of a sharded level-synchronous search (processes or Ray)."""

    def __init__(self, result: CheckResult, props: PropertySet, limits: Limits, workers: int,
                 progress: Progress | None) -> None:
        self.result, self.props, self.limits = result, props, limits
        self.workers = workers
        self.progress = progress
        self.found: dict[str, Found] = {}
        self.witnesses: dict[str, tuple[int, int]] = {}
        self.found_by: dict[str, int] = {}  # the worker that reported each (for ties)
        self.witnessed_by: dict[str, int] = {}
        self.stats: list[dict[str, Any]] = []
        self.depth = 0
        self.checkpoint: Callable[[], None] | None = None
        self.checkpoint_every = 600.0

    def _absorb(self, stats: list[dict[str, Any]]) -> None:
        """Merge the workers' findings: the shallowest, then the lowest worker, wins."""
        self.stats = stats
        for index, s in enumerate(stats):
            for name, where in s["found"].items():
                where = Found(*where)
                best = self.found.get(name)
                if best is None or (where.depth, index) < (best.depth, self.found_by[name]):
                    self.found[name] = where
                    self.found_by[name] = index
            for name, (fp, depth) in s["witnesses"].items():
                best = self.witnesses.get(name)
                if best is None or (depth, index) < (best[1], self.witnessed_by[name]):
                    self.witnesses[name] = (fp, depth)
                    self.witnessed_by[name] = index

    def show_progress(self) -> None:
        """Show the counts of the last finished level (while a level is running)."""
        if self.progress is not None and self.stats:
            self.progress.update(sum(s["distinct"] for s in self.stats),
                                 sum(s["generated"] for s in self.stats), self.depth,
                                 sum(s["frontier"] for s in self.stats),
                                 sum(s["rss_growth"] for s in self.stats) or None)

    def run(self, seed: Callable[[], list], level: Callable[[float | None, tuple], list],
            advance: Callable[[], Any], abort: Callable[[], None],
            check: Callable[[], list]) -> None:
        """Seed, then expand level after level until done or a limit stops the search."""
        result, limits = self.result, self.limits
        started = time.monotonic()
        deadline = time.time() + limits.max_seconds if limits.max_seconds else None
        wanted = len(self.props.invariants) + len(self.props.steps)
        try:
            self._absorb(seed())
            self.depth = self.stats[0]["depth"] if self.stats else 0
            last_saved = time.monotonic()
            while True:
                frontier = sum(s["frontier"] for s in self.stats)
                if not frontier:
                    result.complete = True
                    result.stop_reason = "complete"
                    break
                if self._stop_reason(wanted):
                    break
                if limits.max_depth is not None and self.depth >= limits.max_depth:
                    self._absorb(check())  # the last level is checked, not expanded
                    if self.checkpoint is not None:
                        self.checkpoint()
                    result.stop_reason = f"depth limit {limits.max_depth} reached"
                    break
                if (self.checkpoint is not None
                        and time.monotonic() - last_saved >= self.checkpoint_every):
                    self.checkpoint()
                    last_saved = time.monotonic()
                forget = (sorted(self.found), sorted(self.witnesses))
                stats = level(deadline, forget)
                self._absorb(stats)
                stopped = next((s["stop"] for s in stats if s["stop"]), "")
                if sum(s["next"] for s in stats):
                    advance()
                    self.depth += 1
                    self.stats = [{**s, "frontier": s["next"]} for s in stats]
                else:
                    self.stats = [{**s, "frontier": 0} for s in stats]
                if stopped:
                    result.stop_reason = stopped
                    break
                self.show_progress()
        except KeyboardInterrupt:
            abort()
            result.stop_reason = "interrupted (Ctrl-C)"
        finally:
            if self.progress is not None:
                self.progress.done()
        result.seconds = time.monotonic() - started
        result.depth = self.depth
        result.distinct_states = sum(s["distinct"] for s in self.stats)
        result.generated_states = sum(s["generated"] for s in self.stats)
        for s in self.stats:
            for k, v in s["coverage"].items():
                result.coverage[k] += v
        result.worker_stats = self.stats  # type: ignore[attr-defined]
        spilled = sum(s.get("spilled", 0) for s in self.stats)
        if spilled:
            result.notes.append(f"frontier spilled to disk: {spilled / 2**20:,.0f} MiB")

    def _stop_reason(self, wanted: int) -> bool:
        result, limits = self.result, self.limits
        distinct = sum(s["distinct"] for s in self.stats)
        if limits.stop_at_first and self.found:
            result.stop_reason = "stopped at the first violation"
        elif (wanted and len(self.found) >= wanted and len(self.witnesses) ==
              len(self.props.sometimes) and not self.props.eventually):
            result.stop_reason = "every property violated"
        elif limits.max_states is not None and distinct >= limits.max_states:
            result.stop_reason = f"state limit {limits.max_states:,} reached"
            result.notes.append("the parallel search checks the state limit when a level "
                                "ends: the last level was explored to its end")
        else:
            return False
        return True

