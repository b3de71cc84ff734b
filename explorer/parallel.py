"""Sharded parallel breadth-first search with persistent worker processes.

Each worker lives for the whole run and owns the states ``shard_owner`` gives it (the
fingerprint modulo the workers: of the whole state, or, with up to LOCAL_SHARDS workers,
of the part of the state the model names in ``shard_part``): it expands its part of each
level, keeps the successors it owns, and sends the others to
their owners in batches of packed states (no per-level fork, no merge in one process).
Levels are synchronous, so counterexamples are shortest.  A worker done with its part of
a level asks the others for part of what they have not begun (whole chunks, or slices
near the level's end) and expands it (work sharing: on this VM one core can run 20%
slower than the other for a while).  Incoming batches are
taken in the level's order, the worker's own successors first, whoever expanded them, so
a run's output is deterministic for a given number of workers.  Counts of a finished
run equal the sequential engine's; a run stopped early (a violation of every property,
--stop-at-first, a limit) may have seen more states, since a state sent by another worker
is checked when it is expanded, a level later.  Liveness properties need the whole
state graph in one process: they are *not checked* here (the CLI runs the sequential
engine instead when one is selected).  A worker that fails, dies or hangs ends the run as
incomplete with the counts of the last level every worker finished (WorkerFailed); what
was found by then is reported, its traces rebuilt by the sequential engine.

The same ``ShardWorker`` runs inside Ray actors (explorer/ray_engine.py).
"""

from __future__ import annotations

import fcntl
import gc
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import queue as queue_module
import resource
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.native import append_record, records
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult, Trace, Violation
from kafkacheck.explorer.search import (
    Found,
    Limits,
    ModelRaised,
    PropertyChecks,
    Shard,
    Spill,
    StopSearch,
    checkpoint_folder,
    collect,
    initial_states,
    new_result,
    pace_gc,
    refuse_process_local,
    resume_depth,
    resumed_note,
    run_identity,
    shard_part_index,
    size_text,
    write_checkpoint,
)
from kafkacheck.model.interface import Model

MAX_WORKERS = 64
# At most this many chunks (64 KiB each) go to an idle worker at a time: it asks again
# when done, and the copies in flight stay small (on Kip320 with MaxLeaderEpoch=3, half of
# what was left at once cost 1.8 bytes per state of peak memory).
GIVE_CHUNKS = 16
# A worker expands its level in slices of this many states and reads its inbox after each.
# Near a level's end an idle worker gets half of the slices left, so the workers finish
# within about a slice of each other; with whole chunks (about 1,000 states) as the unit,
# the idle one waited for up to two chunks at the end of every level.
SLICE_STATES = 128
# A reply to an idle worker's request is written by the queue's feeder thread, which needs
# the GIL that the expanding thread holds for up to the switch interval (5 ms): after a
# reply the thread sleeps this long so that the feeder sends it now (measured on the
# controller case: 6 ms from request to reply before, 3-4 ms after, with the wider pipes).
REPLY_HANDOFF = 0.0001
# Inbox pipes are widened to this (Linux, where allowed): the feeder writes a batch in one
# call instead of one 64 KiB piece at a time, each waiting for the GIL again.
PIPE_BYTES = 1 << 20
# A level exchange's batches kept in memory (the rest on disk) when no --memory-budget
# is given; with one, they count against the worker's share of it.
EXCHANGE_BYTES = 8 << 20
# How long a blocked wait for another worker (or the coordinator's wait for the workers)
# reads the abort flag and the deadline in between; and how long past the time limit,
# or past an abort, a level may take before the run is ended as failed (a worker that
# died or hangs must not hold the others forever; audit 16).
WAIT_POLL = 0.2
STOP_GRACE = 30.0


class WorkerFailed(RuntimeError):
    """A worker process or Ray actor failed, died or hung: LevelDriver ends the run as
    incomplete with what every worker finished (not an internal error: no exit 70).
    ``raised``: the model's own exception, when that is what failed it."""

    def __init__(self, why: str, raised: ModelRaised | None = None) -> None:
        super().__init__(why)
        self.raised = raised


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
        self.forget: tuple[list[str], list[str]] = ([], [])
        # The level's parts: 0 the states kept as objects, k the k-th packed chunk.  Chunks
        # are begun from the front and given from the back; ``taken`` counts those begun.
        self.taken = 0
        self.pending: list[tuple[int, int, list, bool]] = []  # (part, offset, slice, checked)
        self.giving = False  # expanding its own part: what is not begun can be given
        self.helped = 0  # states of other workers' levels this one expanded
        self.exchange_written = 0  # bytes of level-exchange batches written to disk

    def _tick(self, _expanded: int) -> None:
        self.poll()
        if self.deadline is not None and time.time() > self.deadline:
            raise StopSearch("time limit reached")
        if self.abort():  # Ctrl-C, or the coordinator ending a level past the time limit
            raise StopSearch("interrupted (Ctrl-C)")

    def seed(self) -> dict[str, Any]:
        """Take the initial states this worker owns (worker 0 counts them as generated)."""
        shard = self.shard
        before = shard.generated
        shard.seed(initial_states(shard.model))
        if self.index != 0:
            shard.generated = before
        return self.stats()

    def expand(self, forget: tuple[list[str], list[str]],
               flush: Callable[[int, tuple], None]) -> str:
        """Expand the current level; batches for other owners go to ``flush(owner, batch)``.

        After each slice it reads what has arrived (``poll``), where an idle worker's
        request is answered with part of what is not begun (give()).  Returns the stop
        reason ('' when its part of the level was expanded to its end).
        """
        shard = self.shard
        shard.checks.forget(*forget)
        self.forget = forget
        frontier = shard.frontier
        frontier.seal()
        self.taken, self.pending = 0, []
        if frontier.objects:
            objects, frontier.objects = frontier.objects, []
            self._slice(0, objects, True)
        self.giving = True
        try:
            return self._expand(flush, self._slices(), True)
        finally:
            self.giving = False

    def _slices(self) -> Iterator[tuple[list, bool]]:
        """The level's states, a slice at a time (chunks are decoded as they are reached),
        reading the inbox after each."""
        pending, chunks = self.pending, self.shard.frontier.chunks
        while pending or chunks:
            if not pending:
                self._take_chunk()
            _part, _offset, part, checked = pending.pop(0)
            yield part, checked
            self.poll()
        self.shard.frontier.count = 0

    def _take_chunk(self) -> None:
        """Decode the first chunk not begun into slices at the end of ``pending``."""
        frontier = self.shard.frontier
        item, classes, checked = frontier.chunks.pop(0)
        self.taken += 1
        part = records(frontier.spill.take(item),
                       classes if classes is not None else list(frontier.classes))
        self._slice(self.taken, part, checked)

    def _slice(self, number: int, part: list, checked: bool) -> None:
        self.pending.extend((number, i, part[i:i + SLICE_STATES], checked)
                            for i in range(0, len(part), SLICE_STATES))

    def give(self) -> tuple[tuple[int, int], list[tuple[list, bytes, bool]]] | None:
        """The back half of what this level has not begun, for an idle worker, with the
        (part, offset) of its first state: up to GIVE_CHUNKS whole chunks, or near the
        level's end half of the slices left (packed again; the last chunk is split for
        it).  None when at most one slice is left."""
        if not self.giving:
            return None
        frontier = self.shard.frontier
        left = len(frontier.chunks)
        if left >= 2:
            count = min(left // 2, GIVE_CHUNKS)
            return (self.taken + left - count + 1, 0), frontier.give(count)
        if left:
            self._take_chunk()
        if len(self.pending) < 2:
            return None
        count = len(self.pending) // 2
        given, self.pending[-count:] = self.pending[-count:], []
        classes = self.shard.classes
        packed = []
        for _number, _offset, part, checked in given:
            buffer = bytearray()
            for fp, parent, state in part:
                append_record(buffer, fp, parent, state, classes)
            packed.append((bytes(buffer), checked))
        names = list(classes)
        return given[0][:2], [(names, data, checked) for data, checked in packed]

    def help(self, chunks: list[tuple[list, bytes, bool]],
             flush: Callable[[int, tuple], None]) -> tuple[str, dict, dict]:
        """Expand chunks another worker gave; returns the stop reason and what the part
        showed (first in its order), for the giver to merge in order."""
        shard = self.shard
        own = shard.checks
        shard.checks = PropertyChecks(own.props)
        shard.checks.forget(*self.forget)

        def source() -> Iterator[tuple[list, bool]]:
            for classes, data, checked in chunks:
                part = records(data, classes)
                self.helped += len(part)
                yield part, checked

        try:
            stop = self._expand(flush, source(), False)
            return stop, dict(shard.checks.found), dict(shard.checks.witnesses)
        finally:
            shard.checks = own

    def _expand(self, flush: Callable[[int, tuple], None], source: Iterable,
                local: bool) -> str:
        """Expand ``source`` (see Shard.expand), sending full outboxes through ``flush``."""
        shard = self.shard
        outboxes = [bytearray() for _ in range(self.count)]
        classes = shard.classes

        def send(owner: int) -> None:
            flush(owner, (list(classes), bytes(outboxes[owner])))
            outboxes[owner].clear()

        stop = ""
        try:
            shard.expand(outboxes, send, source, local)
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
                "table_bytes": shard.table.nbytes(),
                # bytes written to disk: the frontier's chunks and the level exchange's
                # batches (a state received may be written as both, two real writes)
                "spilled": shard.spill.written + self.exchange_written,
                "spilled_exchange": self.exchange_written,
                "memory_peak": shard.spill.peak,
                "sent_again": shard.sent_again, "helped": self.helped,
                "seconds_before": shard.seconds_before}

    def parent(self, fp: int) -> int | None:
        """The parent fingerprint of a state this worker owns."""
        return self.shard.table.parent(fp)


def _widen(inbox: Any) -> None:
    """Widen a queue's pipe to PIPE_BYTES where the system allows it (else leave it)."""
    try:
        fcntl.fcntl(inbox._writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        pass


def _rss() -> int:
    """Peak resident memory of this process in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- multiprocessing workers -------------------------------------------------------------


def _worker_main(index: int, count: int, model: Model, props: PropertySet,
                 memory_budget: int | None, inboxes: list, conn: Any, abort: Any,
                 share: bool) -> None:
    """A worker process: serve the coordinator's commands until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    worker = ShardWorker(model, props, index, count, memory_budget)
    worker.abort = abort.is_set
    pace_gc()  # this process only searches
    try:
        _serve(worker, inboxes, conn, share)
    finally:
        worker.shard.spill.close()  # a level not expanded may be on disk


def _serve(worker: ShardWorker, inboxes: list, conn: Any, share: bool) -> None:
    """Answer the coordinator's commands until told to stop (or a command fails)."""
    index, level = worker.index, 0
    while True:
        command, arg = conn.recv()
        try:
            if command == "seed":
                conn.send(("ok", worker.seed()))
            elif command == "level":
                deadline, forget = arg
                worker.deadline = deadline
                exchange = _Exchange(worker, inboxes, level, share)
                worker.poll = exchange.poll
                try:
                    reason = worker.expand(forget, exchange.own_batch)
                    if share and not reason:
                        reason = exchange.help_others()
                    exchange.finish()
                finally:
                    exchange.spill.close()  # batches past a few MiB are on disk
                    worker.exchange_written += exchange.spill.written
                    worker.poll = lambda: None
                level += 1
                conn.send(("ok", {"stop": reason, **worker.stats()}))
            elif command == "save":
                folder, seconds = arg
                worker.shard.save(Path(folder) / f"shard-{index}", seconds)
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
        except ModelRaised as exc:  # the model's error: the run ends with its trace
            conn.send(("model-error", exc.args))
            return
        except Exception as exc:  # report, do not hang the coordinator
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return


class _Exchange:
    """One level's messages between the workers, and the order successors are taken in.

    Messages are (kind, sender, level, payload): ``batch`` (successors this worker owns,
    keyed by the part of a level they came from), ``end`` (the sender sent all of its
    level), ``ask`` / ``give`` / ``none`` (an idle worker asks for states not yet begun),
    ``found`` (what a given part showed, for its giver).  A part is keyed (origin, part,
    offset): the worker whose level it is and where its first state lies in that level
    (see ShardWorker; (-1, 0): what the origin expanded itself, before any part it gave).
    Successors are taken in key order, the worker's own level first, so each table gets
    its states, parents and findings in the same order whoever expanded what: the output
    does not depend on the timing.
    Batches are read while this worker still expands (so senders do not hold them) and
    kept, past a few MiB, on disk.
    """

    def __init__(self, worker: ShardWorker, inboxes: list, level: int, share: bool) -> None:
        self.worker, self.inboxes, self.level, self.share = worker, inboxes, level, share
        self.index, self.count = worker.index, worker.count
        self.queue = inboxes[self.index]
        self.batches: dict[tuple[int, int, int], list[tuple[list, bytes | Path]]] = {}
        self.findings: dict[tuple[int, int, int], tuple[dict, dict]] = {}
        self.waiting = {i for i in range(self.count) if i != self.index}  # no end yet
        self.reply: Any = _ASKED
        # --memory-budget: the batches count against this worker's share of it
        own = worker.shard.spill
        self.spill = (Spill(None, account=own) if own.budget is not None
                      else Spill(EXCHANGE_BYTES))
        self.aborted_at: float | None = None

    def _put(self, owner: int, kind: str, payload: Any) -> None:
        self.inboxes[owner].put((kind, self.index, self.level, payload))

    def _keep_batch(self, key: tuple[int, int, int], classes: list, data: bytes) -> None:
        self.batches.setdefault(key, []).append((classes, self.spill.keep(data)))

    def own_batch(self, owner: int, batch: tuple[list, bytes]) -> None:
        """A batch of this worker's own part of the level, for its owner."""
        self._put(owner, "batch", ((self.index, -1, 0), *batch))

    def _keep(self, message: tuple) -> None:
        kind, sender, level, payload = message
        if level != self.level:
            raise RuntimeError(f"worker {self.index}: a message of level {level} during "
                               f"level {self.level}")
        if kind == "batch":
            key, classes, data = payload
            self._keep_batch(key, classes, data)
        elif kind == "end":
            self.waiting.discard(sender)
        elif kind == "ask":
            given = self.worker.give() if self.share else None
            self._put(sender, "give" if given else "none", given)
            time.sleep(REPLY_HANDOFF)  # the feeder thread takes the GIL and sends it
        elif kind in ("give", "none"):
            self.reply = payload
        elif kind == "found":
            key, found, witnesses = payload
            self.findings[key] = (found, witnesses)

    def _get(self) -> tuple:
        """The next message, waiting for it while the run goes on.  RuntimeError when the
        coordinator aborted the run (or the time limit passed) STOP_GRACE seconds ago and
        nothing came: the sender died or hangs, and the coordinator ends the run."""
        while True:
            try:
                message = self.queue.get(timeout=WAIT_POLL)
                self.aborted_at = None
                return message
            except queue_module.Empty:
                pass
            deadline = self.worker.deadline
            if self.worker.abort() or (deadline is not None and time.time() > deadline):
                now = time.monotonic()
                if self.aborted_at is None:
                    self.aborted_at = now
                elif now - self.aborted_at > STOP_GRACE:
                    silent = ", ".join(map(str, sorted(self.waiting)))
                    raise RuntimeError(f"worker {self.index}: the other workers sent nothing "
                                       f"for {STOP_GRACE:.0f}s after the run was stopped "
                                       f"(no end of level from worker {silent})")

    def poll(self) -> None:
        """Take what has arrived, without waiting."""
        while True:
            try:
                self._keep(self.queue.get_nowait())
            except queue_module.Empty:
                return

    def help_others(self) -> str:
        """Ask the other workers in turn for chunks they have not begun and expand them,
        until none has any; returns a stop reason ('' when none)."""
        others = [(self.index + k) % self.count for k in range(1, self.count)]
        while others:
            victim = others[0]
            self.reply = _ASKED
            self._put(victim, "ask", None)
            while self.reply is _ASKED:
                self._keep(self._get())
            reply: Any = self.reply
            if reply is None:
                others.pop(0)
                continue
            start, chunks = reply
            key = (victim, *start)

            def flush(owner: int, batch: tuple[list, bytes], key: tuple = key) -> None:
                if owner == self.index:
                    self._keep_batch(key, *batch)
                else:
                    self._put(owner, "batch", (key, *batch))

            stop, found, witnesses = self.worker.help(chunks, flush)
            if found or witnesses:
                self._put(victim, "found", (key, found, witnesses))
            if stop:
                return stop
        return ""

    def finish(self) -> None:
        """Tell the others this worker is done, wait for theirs, and take the successors
        in key order (a part of its own level given away is checked now, as if expanded
        here)."""
        for owner in range(self.count):
            if owner != self.index:
                self._put(owner, "end", None)
        while self.waiting:
            self._keep(self._get())
        shard = self.worker.shard
        keys = sorted(self.batches.keys() | self.findings.keys(),
                      key=lambda k: (k[0] != self.index, k))
        for key in keys:
            own = key[0] == self.index
            for classes, item in self.batches.pop(key, []):
                shard.receive(self.spill.take(item), classes, check=own)
            if key in self.findings:
                shard.checks.merge(*self.findings[key])


_ASKED = object()  # no reply yet


class _Pool:
    """The coordinator's handle on the worker processes."""

    def __init__(self, model: Model, props: PropertySet, workers: int,
                 memory_budget: int | None, share: bool = True) -> None:
        ctx = mp.get_context("fork")
        self.share = share
        self.abort = ctx.Event()
        self.inboxes = [ctx.Queue() for _ in range(workers)]
        for inbox in self.inboxes:
            _widen(inbox)
        self.conns = []
        self.procs = []
        self.pending: set[int] = set()  # workers whose answer has not been read yet
        self.on_wait: Callable[[], None] | None = None  # called every second while waiting
        self.failed = False  # a worker failed: the others are stopped at once
        # --memory-budget is the whole run's: each worker keeps its share
        self.worker_budget = memory_budget // workers if memory_budget is not None else None
        # Objects that exist before the fork go to the permanent generation for the
        # workers: their collections then never walk (and copy-on-write) the model and
        # its caches inherited from this process (gc.freeze's documented use).
        gc.freeze()
        try:
            self._start(ctx, model, props, workers, self.worker_budget)
        finally:
            gc.unfreeze()

    def _start(self, ctx: Any, model: Model, props: PropertySet, workers: int,
               memory_budget: int | None) -> None:
        """Fork the worker processes (``memory_budget``: each one's)."""
        for i in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, daemon=True, name=f"kafkacheck-worker-{i}",
                               args=(i, workers, model, props, memory_budget, self.inboxes,
                                     child, self.abort, self.share))
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def call(self, command: str, arg: Any = None, only: int | None = None,
             deadline: float | None = None) -> list[Any]:
        """Send a command to every worker (or one) and wait for the answers, from whichever
        answers first.  The first failure (an error reported, a worker that ended) aborts
        the others and raises WorkerFailed; so does a ``deadline`` (time.time()) passed by
        2 x STOP_GRACE (the abort flag is set after one: the workers end their level)."""
        targets = list(range(len(self.conns))) if only is None else [only]
        for i in targets:
            try:
                self.conns[i].send((command, arg))
            except OSError:
                self._fail(i, self._ended(i))
            self.pending.add(i)
        answers: dict[int, Any] = {}
        waiting = list(targets)
        while waiting:
            ready = mp_connection.wait([self.conns[i] for i in waiting]
                                       + [self.procs[i].sentinel for i in waiting], 1.0)
            for i in list(waiting):
                conn = self.conns[i]
                if conn in ready:
                    try:
                        status, value = conn.recv()
                    except (EOFError, OSError):
                        self._fail(i, self._ended(i))
                    waiting.remove(i)
                    self.pending.discard(i)
                    if status == "model-error":
                        raised = ModelRaised(*value)
                        self._fail(i, raised.reason, raised)
                    if status != "ok":
                        self._fail(i, value)
                    answers[i] = value
                elif self.procs[i].sentinel in ready and not conn.poll():
                    self._fail(i, self._ended(i))
            if not ready and self.on_wait is not None:
                self.on_wait()
            if deadline is not None and waiting:
                late = time.time() - deadline
                if late > STOP_GRACE:
                    self.abort.set()  # the workers' own deadline did not end the level
                if late > 2 * STOP_GRACE:
                    self._fail(waiting[0], f"did not end its level within "
                               f"{2 * STOP_GRACE:.0f}s after the time limit")
        return [answers[i] for i in targets]

    def _ended(self, i: int) -> str:
        """Why worker ``i`` cannot answer: it ended (with its exit code)."""
        proc = self.procs[i]
        proc.join(timeout=1)
        return f"the process ended without an answer (exit code {proc.exitcode})"

    def _fail(self, i: int, why: str, raised: ModelRaised | None = None) -> None:
        """Abort the other workers' level and raise WorkerFailed (no verdict from a broken
        search: the run ends incomplete)."""
        self.abort.set()
        self.failed = True
        raise WorkerFailed(f"parallel worker {i} failed: {why}", raised)

    def interrupt(self) -> None:
        """Ctrl-C: make the workers end their level now, and read the answers left unread."""
        self.abort.set()
        for i in sorted(self.pending):
            try:
                if self.conns[i].poll(60):
                    self.conns[i].recv()
            except (EOFError, OSError):
                pass
            self.pending.discard(i)

    def close(self) -> None:
        """Stop the workers (politely, then not)."""
        for conn in self.conns:
            try:
                conn.send(("stop", None))
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=0.2 if self.failed else 2)
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
    share: bool = True,
) -> CheckResult:
    """Breadth-first search with ``workers`` persistent processes; the sequential verdicts.

    Limits are checked at level boundaries (the time limit also within a level), so a
    state limit may be passed by the rest of its level.  ``checkpoint``/``resume`` as in
    breadth_first (a checkpoint resumes with the same number of workers).  With ``share``
    a worker that has expanded its part of a level expands chunks another has not begun
    (the output is the same either way).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}")
    refuse_process_local(model, "--workers")
    props = propset or select_properties(model, properties)
    limits = Limits(max_states, max_seconds, max_depth, stop_at_first, memory_budget)
    result = new_result(model, props, f"bfs x{workers}", "parallel")
    saving = checkpoint is not None or resume is not None
    identity = run_identity(model, props, f"parallel bfs x{workers}") if saving else {}
    start = None
    if resume is not None:
        start = checkpoint_folder(Path(resume), identity)
        resume_depth(start, Path(resume), max_depth)
    driver = LevelDriver(result, props, limits, workers, progress)
    driver.resumed_from = None if resume is None else str(resume)
    pool = _Pool(model, props, workers, memory_budget, share)

    try:
        def save() -> None:
            seconds = driver.seconds()
            write_checkpoint(Path(checkpoint), identity,  # type: ignore[arg-type]
                             lambda path: pool.call("save", (str(path), seconds)))

        driver.checkpoint = save if checkpoint is not None else None
        pool.on_wait = driver.show_progress
        driver.checkpoint_every = checkpoint_every
        driver.run(
            seed=(lambda: pool.call("restore", str(start))) if start else
            (lambda: pool.call("seed")),
            level=lambda deadline, forget: pool.call("level", (deadline, forget),
                                                     deadline=deadline),
            advance=lambda: pool.call("advance"),
            abort=pool.interrupt,
            check=lambda: pool.call("check"),
        )
        driver.collect(model, lambda fp: next((p for p in pool.call("parent", fp)
                                               if p is not None), None))
    finally:
        pool.close()
    driver.rebuild(model)  # the workers are gone: their memory is free
    result.notes.append(f"parallel search: {workers} worker processes, fingerprints sharded "
                        "by owner" + (f" (of the state's {model.shard_part})"
                                      if shard_part_index(model, workers) >= 0 else ""))
    return result


def spill_notes(stats: list[dict[str, Any]], budget: int | None, workers: int) -> list[str]:
    """The note on what the workers wrote to disk: every byte once, the frontier's chunks
    and the level exchange's batches named apart (audit 16b: a received state can be
    written as a batch and again in a chunk; without --memory-budget the exchange's
    writes past EXCHANGE_BYTES went unreported)."""
    spilled = sum(s.get("spilled", 0) for s in stats)
    if not spilled:
        return []
    exchange = sum(s.get("spilled_exchange", 0) for s in stats)
    if budget is None:  # the frontier stays in memory: only batches went to disk
        return [f"level-exchange batches spilled to disk: {size_text(spilled)}, past the "
                f"{size_text(EXCHANGE_BYTES)} each worker keeps in memory without "
                "--memory-budget"]
    return [f"frontier spilled to disk: {size_text(spilled - exchange)}, level-exchange "
            f"batches {size_text(exchange)}: {size_text(spilled)} written in all past the "
            f"memory budget of {size_text(budget)} ({size_text(budget // workers)} in each "
            f"of {workers} worker{'s' if workers != 1 else ''}, with its level exchange)"]


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
        self.resumed_from: str | None = None  # the checkpoint folder seed() restored
        self.failure = ""  # why a worker failed (WorkerFailed), if one did
        self.raised: ModelRaised | None = None  # the model's exception that failed it
        self.started = time.monotonic()
        self.seconds_before = 0.0  # the run's seconds before that checkpoint

    def seconds(self) -> float:
        """The run's seconds so far, the part before a resume included."""
        return self.seconds_before + time.monotonic() - self.started

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
        self.started = time.monotonic()
        deadline = time.time() + limits.max_seconds if limits.max_seconds else None
        wanted = len(self.props.invariants) + len(self.props.steps)
        try:
            self._absorb(seed())
            self.depth = self.stats[0]["depth"] if self.stats else 0
            if self.resumed_from is not None:
                self.seconds_before = max(s.get("seconds_before", 0.0) for s in self.stats)
                result.notes.append(resumed_note(self.resumed_from, self.depth,
                                                 self.seconds_before))
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
                if deadline is not None and time.time() > deadline:
                    # Workers read the deadline every 1,024 states: levels smaller than
                    # that never did, and the run went on to its end (audit 16b).
                    result.stop_reason = "time limit reached"
                    break
                forget = (sorted(self.found), sorted(self.witnesses))
                stats = level(deadline, forget)
                self._absorb(stats)
                stopped = next((s["stop"] for s in stats if s["stop"]), "")
                if sum(s["next"] for s in stats):
                    # every worker finished the level: its counts stand if advance() fails
                    self.depth += 1
                    self.stats = [{**s, "frontier": s["next"]} for s in stats]
                    advance()
                else:
                    self.stats = [{**s, "frontier": 0} for s in stats]
                if stopped:
                    result.stop_reason = stopped
                    break
                self.show_progress()
        except KeyboardInterrupt:
            abort()
            result.stop_reason = "interrupted (Ctrl-C)"
        except WorkerFailed as exc:
            # The run ends with the counts and findings of the last level every worker
            # finished (self.stats, self.found): what was explored, never a verdict on more.
            self.failure = result.stop_reason = str(exc)
            self.raised = exc.raised
            result.complete = False
        finally:
            if self.progress is not None:
                self.progress.done()
        result.seconds = self.seconds()
        result.depth = self.depth
        result.distinct_states = sum(s["distinct"] for s in self.stats)
        result.generated_states = sum(s["generated"] for s in self.stats)
        for s in self.stats:
            for k, v in s["coverage"].items():
                result.coverage[k] += v
        result.worker_stats = self.stats  # type: ignore[attr-defined]
        result.notes.extend(spill_notes(self.stats, limits.memory_budget, self.workers))

    def collect(self, model: Model, parent_of: Callable[[int], int | None]) -> None:
        """The traces of what the run found, from the workers' parent links (search.collect);
        after a worker failure, or one while the links are read, they wait for rebuild()."""
        if self.failure:
            return
        try:
            collect(model, self.props, self.result, self.found, self.witnesses, parent_of)
        except WorkerFailed as exc:  # the search itself had ended: its counts stand
            self.failure = str(exc)
            self.result.violations.clear()
            self.result.witnesses.clear()

    def rebuild(self, model: Model) -> None:
        """After a worker failure (a dead worker's parent links are lost): the traces of what
        was found, from a sequential breadth-first search of those properties to the deepest
        finding's depth, which finds traces of the same, shortest lengths (checked: else
        TraceMismatch); and when the model raised, the trace to where it did (model_error).
        Call it once the workers are stopped (their memory is free)."""
        if not self.failure:
            return
        from kafkacheck.explorer.bfs import breadth_first
        from kafkacheck.explorer.trace import TraceMismatch

        result, props, raised = self.result, self.props, self.raised
        depths = {name: where.depth for name, where in self.found.items()}
        depths.update((name, depth) for name, (_fp, depth) in self.witnesses.items())
        if depths or raised is not None:
            deepest = max(depths.values(), default=0)
            # When the model raised (in its successors or a property), one search of the
            # run's properties expands the level it was raised in and meets it there (a
            # deterministic model), finding what was found before on the way.
            chosen = props if raised is not None else PropertySet(*(
                [p for p in group if p.name in depths] for group in (
                    props.all, props.invariants, props.steps, props.sometimes,
                    props.eventually)))
            stop = deepest if raised is None else max(deepest, raised.depth + 1)
            again = breadth_first(model, propset=chosen, max_depth=stop,
                                  memory_budget=self.limits.memory_budget)
            for prop in (p for p in props.all if p.name in depths):
                trace: Trace | None = again.witnesses.get(prop.name)
                if prop.name in self.found:
                    trace = next((v.trace for v in again.violations if v.name == prop.name),
                                 None)
                if trace is None or len(trace) != depths[prop.name]:
                    raise TraceMismatch(
                        f"{self.failure}; a sequential search to depth {stop} "
                        f"({again.stop_reason}) did not find the trace of {prop.name} "
                        f"at depth {depths[prop.name]}")
                if prop.name in self.found:
                    result.violations.append(Violation(prop, trace, self.found[prop.name].kind))
                else:
                    result.witnesses[prop.name] = trace
            if depths:
                result.notes.append(
                    f"{self.failure}: the traces of what was found by then were rebuilt by a "
                    f"sequential breadth-first search to depth {stop} (the failed worker's "
                    "parent links are lost); it finds traces of the same, shortest length")
            if raised is not None:
                result.model_error = again.model_error
                # What that search found in the level that raised (bfs reports it too):
                # each trace was rebuilt by replay and checked to end in the finding.
                found = {v.name for v in result.violations}
                result.violations.extend(v for v in again.violations if v.name not in found)
                for name, witness in again.witnesses.items():
                    result.witnesses.setdefault(name, witness)
                result.notes.append(
                    "the trace to the state the model raised on was found again by a "
                    f"sequential breadth-first search to depth {stop}"
                    if again.model_error is not None else
                    f"a sequential search to depth {stop} did not meet the model's exception "
                    f"({again.stop_reason}): no trace to it")
        collect(model, props, result, {}, {}, lambda _fp: None)  # ordering, unreached

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

