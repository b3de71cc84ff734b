"""One search skeleton shared by the exhaustive engines (BFS, DFS, parallel and Ray BFS).

What they share: initial-state handling, the visited table (64-bit fingerprints with a
parent link each, see native.py), property evaluation, the limits (states, seconds,
depth, stop at the first violation, Ctrl-C), and turning what was found into traces
that are rebuilt by replay and checked to end where the search said they end.

A ``Shard`` owns the states whose owner (``shard_owner``) is its index and expands its
part of each breadth-first level; the sequential engine is one shard, the parallel
engines run one per worker and exchange successors with their owners in batches.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import inspect
import json
import os
import pickle
import shutil
import sys
import sysconfig
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, cast

from kafkacheck.config import UsageError
from kafkacheck.explorer.capabilities import ENGINES
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.explorer.native import (
    SCHEME,
    Table,
    absorb_sized,
    append_record,
    append_sized,
    collision_probability,
    records,
)
from kafkacheck.explorer.native import owner as part_owner
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import (
    RESUMED_MARK,
    CheckResult,
    ModelError,
    Trace,
    Violation,
)
from kafkacheck.explorer.trace import (
    ROOT,
    TraceMismatch,
    build_trace,
    chain_to,
    fingerprint_function,
    trace_from_fingerprints,
)
from kafkacheck.model.interface import Action, Model, State, symmetry_label, uses_symmetry

# A chunk's records() call builds each part repeated in it once: 64 KiB chunks cost the
# sequential controller search 0.9% more instructions per state than 256 KiB.  A shard's
# level is given away to idle workers in whole chunks, so shards keep them smaller.
CHUNK_BYTES = 1 << 18
SHARD_CHUNK_BYTES = 1 << 16
OBJECT_STATES = 4096  # the first states of a level stay Python objects (no packing cost)
BATCH_BYTES = 256 * 1024  # successors sent to another shard at a time
# Fingerprints of successors recently sent to other shards (direct-mapped, 2 MiB): a
# successor sent before is in its owner's table already, or will be before anything the
# owner reads after it, so sending it again would only be packed, shipped and dropped.
SENT_SLOTS = 1 << 18
HELP_SENT_SLOTS = 1 << 12  # the same for a part of another worker's level (a fresh one)
_FP_LIMIT = 1 << 64
_NO_LIMIT = 1 << 60  # no --max-states (a short int for mypyc: the test stays cheap)
# Up to this many workers a state's owner follows the model's shard_part (see Model):
# with more, the part's values are too few to balance the levels (on the controller
# model with 16 workers the busiest would get 1.8x its share of a level).
LOCAL_SHARDS = 4
_Holds = Callable[[Any], object]
_StepHolds = Callable[[Any, Any, Any], object]


# Python's cyclic collector runs every 700 net new container objects, and every few runs
# it walks every live state again (the level kept as objects, the unpacked chunk, the
# graph).  States are tuples of ints, which form no cycles: a search collects only the
# young objects, and only every GC_YOUNG net new ones (a bound on what a cycle could
# keep), with what existed before it frozen (bench/gc_pacing.py measures the saving).
GC_YOUNG = 1_000_000
GC_NEVER = 1_000_000  # older generations: no collections during the search


def pace_gc() -> tuple[tuple[int, int, int], bool]:
    """Freeze what exists now (it is never walked again; unless a caller froze objects
    already) and collect young objects only, every GC_YOUNG; returns what restore_gc
    undoes."""
    old = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.set_threshold(GC_YOUNG, GC_NEVER, GC_NEVER)
    return old, freeze


def restore_gc(paced: tuple[tuple[int, int, int], bool]) -> None:
    """Undo pace_gc."""
    old, froze = paced
    gc.set_threshold(*old)
    if froze:
        gc.unfreeze()


@contextmanager
def paced_gc() -> Iterator[None]:
    """pace_gc for the length of a search."""
    old = pace_gc()
    try:
        yield
    finally:
        restore_gc(old)


@dataclass(frozen=True)
class Limits:
    """When a search stops before the end; every stop makes the result incomplete."""

    max_states: int | None = None
    max_seconds: float | None = None
    max_depth: int | None = None
    stop_at_first: bool = False
    memory_budget: int | None = None  # bytes of frontier kept in memory; the rest on disk


class StopSearch(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a search loop to stop it; carries the stop reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ModelRaised(Exception):  # noqa: N818 - a stop with what the model raised
    """The model's own code (its successors, a property, within_bounds, canonical) raised
    while a search expanded the state ``fp`` at ``depth`` (ROOT: an initial state).  The
    run ends incomplete with what it found and a trace to that state (model_error), as a
    failed parallel worker's does; an exception from the engine alone stays an error."""

    def __init__(self, error: str, fp: int, depth: int, detail: str = "") -> None:
        super().__init__(error, fp, depth, detail)  # pickled by its args (Ray, workers)
        self.error, self.fp, self.depth, self.detail = error, fp, depth, detail

    @property
    def reason(self) -> str:
        """The run's stop reason: 'the model raised ...'."""
        return f"the model raised {self.error}"


# Frames that are not the model's: the search engine's (this folder, or the compiled
# build's names) and the standard library's (the exchange's queues and pipes), but not
# what is installed beside the library (site-packages: kafkacheck's models, a user's).
# (The package's __init__ is never compiled: a compiled module's own __file__ is not
# where its folder is.)
_ENGINE_FILES = (str(Path(str(sys.modules["kafkacheck.explorer"].__file__)).resolve().parent)
                 + os.sep, "kafkacheck/explorer/")
_STDLIB_FILES = (str(Path(sysconfig.get_paths()["stdlib"]).resolve()) + os.sep, "<frozen ")
_RAY_FILES = f"{os.sep}site-packages{os.sep}ray{os.sep}"  # the Ray engine's exchange
_INSTALLED = tuple({str(Path(sysconfig.get_paths()[k]).resolve()) + os.sep
                    for k in ("purelib", "platlib")})


def _model_frame(filename: str) -> bool:
    """Whether code in ``filename`` is the model's (or a property's), not the engine's."""
    if filename.startswith(_ENGINE_FILES) or _RAY_FILES in filename:
        return False
    return not filename.startswith(_STDLIB_FILES) or filename.startswith(_INSTALLED)


def model_raised(exc: Exception, fp: int, depth: int) -> Exception:
    """``exc`` as ModelRaised when a frame outside the engine (the model's, a property's)
    was on its stack; else ``exc`` itself (an engine bug: exit 70, never a verdict; and
    a MemoryError: the machine's limit, wherever it struck)."""
    if isinstance(exc, MemoryError):
        return exc
    tb = exc.__traceback__
    while tb is not None:
        if _model_frame(tb.tb_frame.f_code.co_filename):
            import traceback

            detail = "".join(traceback.format_exception(exc))
            return ModelRaised(f"{type(exc).__name__}: {exc}", fp, depth, detail)
        tb = tb.tb_next
    return exc


def initial_states(model: Model) -> list[State]:
    """The model's initial states; what it raises making them is its error (ModelRaised)."""
    try:
        return list(model.init_states())
    except Exception as exc:
        raise model_raised(exc, ROOT, 0) from None


class Found(NamedTuple):
    """Where a property failed: the violating state, or the step's two ends."""

    kind: str  # invariant | step
    fp: int
    before: int  # the state before a failing step (ROOT for an invariant)
    depth: int


def shard_part_index(model: Model, count: int) -> int:
    """The index in the state of the field that decides owners (``Model.shard_part``), or
    -1 when the whole state's fingerprint does: one worker, more than LOCAL_SHARDS, no
    hint, or symmetry (owners must be a function of the canonical state)."""
    name = type(model).shard_part
    if name is None or not 1 < count <= LOCAL_SHARDS or uses_symmetry(model):
        return -1
    first = next(iter(model.init_states()))
    return list(type(first)._fields).index(name)


def shard_owner(state: State, fp: int, part: int, count: int) -> int:
    """The worker that owns a state: by its shard part's fingerprint (read from the digest
    the state's own fingerprint cached), or by its own."""
    return fp % count if part < 0 else part_owner(state, fp, part, count)


class PropertyChecks:
    """Property evaluation, the same in every engine: invariants and sometimes on each new
    state, step invariants on each transition."""

    def __init__(self, props: PropertySet) -> None:
        self.props = props
        # Each kind's predicate is set (Property checks this when it is made); a predicate's
        # result is read for its truth, whatever its type (a compiled build checks types).
        self.invariants = [(p.name, cast(_Holds, p.holds)) for p in props.invariants]
        self.steps = [(p.name, cast(_StepHolds, p.step)) for p in props.steps]
        self.pending = [(p.name, cast(_Holds, p.holds)) for p in props.sometimes]
        self.found: dict[str, Found] = {}
        self.witnesses: dict[str, tuple[int, int]] = {}  # name -> (fp, depth)
        self.wanted = len(self.invariants) + len(self.steps)
        self.live = bool(props.eventually)
        # What was undecided when the level being expanded began: its states that arrived
        # unchecked from another shard are checked against these (earlier()).
        self.level_invariants: list[tuple[str, _Holds]] = []
        self.level_pending: list[tuple[str, _Holds]] = []

    def forget(self, found: Iterable[str], witnessed: Iterable[str]) -> None:
        """Stop checking properties already decided (elsewhere, or before a resume)."""
        found, witnessed = set(found), set(witnessed)
        self.invariants = [(n, p) for n, p in self.invariants if n not in found]
        self.steps = [(n, p) for n, p in self.steps if n not in found]
        self.pending = [(n, p) for n, p in self.pending if n not in witnessed]

    def _violated(self, preds: list[tuple[str, _Holds]], state: State, fp: int,
                  depth: int) -> bool:
        """Record each of ``preds`` the state violates; True when one does."""
        hit = False
        for name, pred in preds:
            if not pred(state):
                self.found[name] = Found("invariant", fp, ROOT, depth)
                hit = True
        return hit

    def _witnessed(self, preds: list[tuple[str, _Holds]], state: State, fp: int,
                   depth: int) -> bool:
        """Record each of ``preds`` the state satisfies as witnessed; True when one is."""
        seen = False
        for name, pred in preds:
            if pred(state):
                self.witnesses[name] = (fp, depth)
                seen = True
        return seen

    def state(self, state: State, fp: int, depth: int) -> bool:
        """Check a new state; True when it violates a property not violated before."""
        hit = self._violated(self.invariants, state, fp, depth)
        if hit:
            self.invariants = [(n, p) for n, p in self.invariants if n not in self.found]
        if self.pending and self._witnessed(self.pending, state, fp, depth):
            self.pending = [(n, p) for n, p in self.pending if n not in self.witnesses]
        return hit

    def begin_level(self) -> None:
        """Remember what is undecided as a level begins (for its unchecked states)."""
        self.level_invariants = list(self.invariants)
        self.level_pending = list(self.pending)

    def earlier(self, state: State, fp: int, depth: int) -> bool:
        """Check a state of the level being expanded that arrived unchecked.

        The level's successors, one step deeper, are checked as they are made and may have
        decided a property already: what this state shows is shallower and replaces it, so
        counterexamples and witnesses stay shortest.  True on a new violation.
        """
        hit = self._violated(self.level_invariants, state, fp, depth)
        if hit:
            self.level_invariants = [(n, p) for n, p in self.level_invariants
                                     if n not in self.found or self.found[n].depth > depth]
            self.invariants = [(n, p) for n, p in self.invariants if n not in self.found]
        if self.level_pending and self._witnessed(self.level_pending, state, fp, depth):
            self.level_pending = [(n, p) for n, p in self.level_pending
                                  if n not in self.witnesses or self.witnesses[n][1] > depth]
            self.pending = [(n, p) for n, p in self.pending if n not in self.witnesses]
        return hit

    def merge(self, found: dict[str, Found], witnesses: dict[str, tuple[int, int]]) -> None:
        """Take what another worker found in a part of this shard's level it expanded,
        taken in the level's order: a finding replaces one only when it is shallower (the
        rule earlier() follows), so the result is this shard's had it expanded that part."""
        for name, where in found.items():
            if name not in self.found or self.found[name].depth > where.depth:
                self.found[name] = Found(*where)
        for name, (fp, depth) in witnesses.items():
            if name not in self.witnesses or self.witnesses[name][1] > depth:
                self.witnesses[name] = (fp, depth)
        self.forget(self.found, self.witnesses)

    @property
    def level_active(self) -> bool:
        """Whether a state of the level being expanded has anything left to be checked."""
        return bool(self.level_invariants or self.level_pending)

    def step(self, before: State, before_fp: int, action: Action, after: State,
             fp_of: Callable[[State], int], depth: int) -> bool:
        """Check one transition; True when it violates a step property for the first time."""
        hit = False
        for name, pred in self.steps:
            if not pred(before, action, after):
                self.found[name] = Found("step", fp_of(after), before_fp, depth)
                hit = True
        if hit:
            self.steps = [(n, p) for n, p in self.steps if n not in self.found]
        return hit

    @property
    def active(self) -> bool:
        """Whether a new state still has anything to be checked against."""
        return bool(self.invariants or self.pending)

    def all_decided(self) -> bool:
        """Every safety property violated and every sometimes witnessed: nothing left."""
        return (self.wanted > 0 and len(self.found) >= self.wanted and not self.pending
                and not self.live)


@dataclass
class StateGraph:
    """Edges recorded during a search, for liveness checking and export."""

    edges: list[tuple[int, Action, int]] = field(default_factory=list)
    cut: set[int] = field(default_factory=set)  # states with a successor outside the bounds
    initial: list[int] = field(default_factory=list)
    states: dict[int, State] = field(default_factory=dict)


def size_text(count: int) -> str:
    """A byte count for a note: KiB below 1 MiB, MiB above."""
    return f"{count / 1024:,.0f} KiB" if count < 1 << 20 else f"{count / 2**20:,.0f} MiB"


class Spill:
    """Where frontier chunks go past the memory budget: files in a temporary folder.

    ``account``: another Spill whose budget this one shares (its bytes in memory and on
    disk are counted there), with a folder of its own: a parallel worker's level exchange
    counts against the worker's share of --memory-budget.
    """

    def __init__(self, budget: int | None, account: Spill | None = None) -> None:
        self.budget: int | None = budget if account is None else account.budget
        self.account: Spill | None = account
        self.in_memory = 0
        self.peak = 0  # the most bytes kept in memory at once (counted on the account)
        self.spilled = 0  # bytes its budget sent to disk (counted on the account)
        self.written = 0  # bytes this Spill itself wrote to disk (never on the account)
        self._dir: Path | None = None
        self._n = 0

    def keep(self, chunk: bytes) -> bytes | Path:
        """The chunk itself, or the file it was written to when memory is over budget."""
        counted = self if self.account is None else self.account
        if self.budget is None or counted.in_memory + len(chunk) <= self.budget:
            counted.in_memory += len(chunk)
            if counted.in_memory > counted.peak:
                counted.peak = counted.in_memory
            return chunk
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="kafkacheck-frontier-"))
        self._n += 1
        path = self._dir / f"chunk-{self._n}.bin"
        path.write_bytes(chunk)
        counted.spilled += len(chunk)
        self.written += len(chunk)
        return path

    def take(self, item: bytes | Path) -> bytes:
        """A chunk's bytes (read back and deleted when it was on disk)."""
        if isinstance(item, Path):
            data = item.read_bytes()
            item.unlink()
            return data
        counted = self if self.account is None else self.account
        counted.in_memory -= len(item)
        return item

    def close(self) -> None:
        """Remove the spill folder."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class Frontier:
    """One breadth-first level as packed (fp, parent, state) records, in chunks.

    A chunk received from another shard keeps that shard's class numbering and is marked
    unchecked: its states are checked against the properties when they are expanded.
    """

    def __init__(self, classes: dict, spill: Spill, chunk_bytes: int) -> None:
        self.classes = classes
        self.spill = spill
        self.chunk_bytes = chunk_bytes
        self.chunks: list[tuple[bytes | Path, list | None, bool]] = []
        self.buffer = bytearray()
        self.objects: list[tuple[int, int, State]] = []
        self.count = 0

    def append(self, fp: int, parent: int, state: State) -> None:
        """Add one state: kept as is while the level is small, packed past OBJECT_STATES."""
        self.count += 1
        if self.count <= OBJECT_STATES:
            self.objects.append((fp, parent, state))
        elif append_record(self.buffer, fp, parent, state, self.classes) >= self.chunk_bytes:
            self.seal()

    def extend_packed(self, data: bytes | bytearray, count: int, classes: list | None = None,
                      checked: bool = True) -> None:
        """Add packed records (numbered with ``classes``, or this frontier's own)."""
        self.seal()
        if data:
            self.chunks.append((self.spill.keep(bytes(data)), classes, checked))
        self.count += count

    def seal(self, objects: bool = False) -> None:
        """Close the current chunk (and pack the objects too when ``objects``)."""
        if objects and self.objects:
            buffer = bytearray()
            for fp, parent, state in self.objects:
                append_record(buffer, fp, parent, state, self.classes)
            self.chunks.insert(0, (self.spill.keep(bytes(buffer)), None, True))
            self.objects = []
        if self.buffer:
            self.chunks.append((self.spill.keep(bytes(self.buffer)), None, True))
            self.buffer = bytearray()

    def drain(self) -> Iterator[tuple[list[tuple[int, int, State]], bool]]:
        """(records, checked) chunk by chunk; each chunk is released once handed out."""
        self.seal()
        if self.objects:
            objects, self.objects = self.objects, []
            yield objects, True
        while self.chunks:
            item, classes, checked = self.chunks.pop(0)
            data = self.spill.take(item)
            yield records(data, classes if classes is not None else list(self.classes)), checked
        self.count = 0

    def give(self, count: int) -> list[tuple[list, bytes, bool]]:
        """Take the last ``count`` chunks not yet drained (for another worker to expand):
        (class list, packed records, checked) each."""
        taken, self.chunks[-count:] = self.chunks[-count:], []
        return [(classes if classes is not None else list(self.classes),
                 self.spill.take(item), checked) for item, classes, checked in taken]

    def unchecked(self) -> Iterator[list[tuple[int, int, State]]]:
        """The records of unchecked chunks (the frontier keeps them, now marked checked)."""
        for i, (item, classes, checked) in enumerate(self.chunks):
            if checked:
                continue
            data = item.read_bytes() if isinstance(item, Path) else item
            yield records(data, classes if classes is not None else list(self.classes))
            self.chunks[i] = (item, classes, True)

    def __len__(self) -> int:
        return self.count


class Shard:
    """The fingerprints one owner holds, its current and next level, and what it found."""

    def __init__(self, model: Model, props: PropertySet, *, index: int = 0, count: int = 1,
                 graph: StateGraph | None = None, spill: Spill | None = None,
                 state_limit: int | None = None, stop_at_first: bool = False) -> None:
        self.model = model
        self.index, self.count = index, count
        self.part = shard_part_index(model, count)
        self.fp_of = fingerprint_function(model)
        self.within = (None if type(model).within_bounds is Model.within_bounds
                       else model.within_bounds)
        self.table = Table()
        self.checks = PropertyChecks(props)
        self.classes: dict = {}
        self.spill = spill or Spill(None)
        self.chunk_bytes = CHUNK_BYTES if count == 1 else SHARD_CHUNK_BYTES
        self.frontier = Frontier(self.classes, self.spill, self.chunk_bytes)
        self.next = Frontier(self.classes, self.spill, self.chunk_bytes)
        self.graph = graph
        self.depth = 0
        self.generated = 0
        self.coverage: dict[str, int] = {}
        self.state_limit = state_limit
        self.stop_at_first = stop_at_first
        # fingerprint + 1 of the successors last sent per slot (0: none); shards only
        self.sent = array("Q", [0]) * SENT_SLOTS if count > 1 else None
        self.sent_again = 0  # successors not sent because they were sent before
        self.tick: Callable[[int], None] | None = None  # called every 1024 expansions
        self.expanding = False  # inside expand(): a stop there leaves the next level partial
        self.early_stop = True  # stop inside a level when everything is decided
        self.seconds_before = 0.0  # the run's seconds before the checkpoint it resumed from

    # -- states arriving ---------------------------------------------------------------

    def seed(self, states: Iterable[State]) -> None:
        """Take the initial states this shard owns (the others are counted, not kept)."""
        try:
            for state in states:
                self.generated += 1
                if self.within is not None and not self.within(state):
                    continue
                fp = self.fp_of(state)
                if shard_owner(state, fp, self.part, self.count) != self.index \
                        or not self.table.add(fp, ROOT):
                    continue
                self.frontier.append(fp, ROOT, state)
                if self.graph is not None:
                    self.graph.initial.append(fp)
                    self.graph.states[fp] = state
                if self.checks.active and self.checks.state(state, fp, 0):
                    self._found()
                self._count_limit()
        except StopSearch:
            raise
        except Exception as exc:
            raise model_raised(exc, ROOT, 0) from None

    def receive(self, data: bytes, classes: list, check: bool = False) -> None:
        """Successors another shard generated for states this shard owns (one batch).

        The new ones join the next level as they are, packed; they are checked against
        the properties when expanded (check_frontier() checks a level that will not be).
        With ``check`` they are checked now, as new successors of this shard's own level
        are (another worker expanded that part of the level for it).
        """
        fresh = bytearray()
        count = absorb_sized(data, self.table, fresh)
        new = bytes(fresh)
        checks = self.checks
        if check and count and checks.active:
            depth = self.depth + 1
            fp = ROOT
            try:
                for fp, _parent, state in records(new, classes):
                    if checks.state(state, fp, depth):
                        self._found()
                    if not checks.active:
                        break
            except StopSearch:
                raise
            except Exception as exc:  # a property on a successor of this level's state
                raise model_raised(exc, fp, self.depth) from None
        self.next.extend_packed(new, count, classes, checked=check or not checks.active)

    def check_frontier(self) -> None:
        """Check the states of the current level that arrived from other shards unchecked."""
        checks = self.checks
        fp = ROOT
        try:
            for chunk in self.frontier.unchecked():
                for fp, _parent, state in chunk:
                    if checks.active and checks.state(state, fp, self.depth):
                        self._found()
        except StopSearch:
            raise
        except Exception as exc:  # a property on a state of the level before
            raise model_raised(exc, fp, max(self.depth - 1, 0)) from None

    def _found(self) -> None:
        if not self.early_stop:
            return  # a shard of a parallel search: the coordinator decides at the level end
        if self.stop_at_first:
            raise StopSearch("stopped at the first violation")
        if self.checks.all_decided():
            raise StopSearch("every property violated")

    def _count_limit(self) -> None:
        if self.state_limit is not None and len(self.table) >= self.state_limit:
            raise StopSearch(f"state limit {self.state_limit:,} reached")

    # -- one level ---------------------------------------------------------------------

    def expand(self, outboxes: list[bytearray] | None = None,
               flush: Callable[[int], None] | None = None,
               source: Iterable[tuple[list[tuple[int, int, State]], bool]] | None = None,
               local: bool = True) -> None:
        """Expand the current level into the next.

        Successors owned by another shard are packed into ``outboxes[owner]``, and
        ``flush(owner)`` is called when one holds a batch's worth.  ``source`` replaces
        the level's chunks; with ``local`` false (chunks another worker handed over) every
        successor goes to an outbox, this shard's own too: their owners take them in the
        level's order.
        """
        fp_of, successors, within = self.fp_of, self.model.successors, self.within
        classes = self.classes
        add, append = self.table.add, self.next.append
        checks, coverage, graph = self.checks, self.coverage, self.graph
        count, tick = self.count, self.tick
        index = self.index if local else -1
        part = self.part
        depth = self.depth + 1
        # >=: a run resumed from a table already past the limit stops at its first new state
        limit = self.state_limit if self.state_limit is not None else _NO_LIMIT
        steps = bool(checks.steps)
        active = checks.active
        distinct = len(self.table)
        generated = expanded = again = 0
        # A part of another worker's level is sent in its own order: a fresh sent cache
        sent = self.sent if local else array("Q", [0]) * HELP_SENT_SLOTS
        sent_mask = (SENT_SLOTS if local else HELP_SENT_SLOTS) - 1
        # States another shard sent arrive unchecked and are checked here as they are
        # expanded (unpacked once); a deeper finding of this level gives way (earlier()).
        early = False
        if count > 1:
            checks.begin_level()
            early = checks.level_active
        self.expanding = True
        sfp = ROOT
        try:
            for chunk, checked in self.frontier.drain() if source is None else source:
                for sfp, _parent, state in chunk:
                    if early and not checked:
                        if checks.earlier(state, sfp, depth - 1):
                            self._found()
                        early = checks.level_active
                        active = checks.active
                    expanded += 1
                    if tick is not None and not expanded & 1023:
                        tick(expanded)
                    for action, nxt in successors(state):
                        generated += 1
                        name = action[0]
                        coverage[name] = coverage.get(name, 0) + 1
                        if steps and checks.step(state, sfp, action, nxt, fp_of, depth):
                            steps = bool(checks.steps)
                            self._found()
                        if within is not None and not within(nxt):
                            if graph is not None:
                                graph.cut.add(sfp)
                            continue
                        fp = fp_of(nxt)
                        if graph is not None:
                            graph.edges.append((sfp, action, fp))
                        if count > 1 and (owner := shard_owner(nxt, fp, part, count)) != index:
                            slot = (fp >> 16) & sent_mask
                            key = fp + 1
                            if sent[slot] == key:  # type: ignore[index]
                                again += 1
                                continue
                            if key < _FP_LIMIT:
                                sent[slot] = key  # type: ignore[index]
                            if append_sized(outboxes[owner], fp, sfp, nxt,  # type: ignore[index]
                                            classes) >= BATCH_BYTES:
                                flush(owner)  # type: ignore[misc]
                            continue
                        if add(fp, sfp):
                            distinct += 1
                            append(fp, sfp, nxt)
                            if graph is not None:
                                graph.states[fp] = nxt
                            if active and checks.state(nxt, fp, depth):
                                active = checks.active
                                self._found()
                            elif active:
                                active = checks.active
                            if distinct >= limit:
                                raise StopSearch(f"state limit {limit:,} reached")
            self.expanding = False
        except StopSearch:
            raise
        except Exception as exc:
            raise model_raised(exc, sfp, depth - 1) from None
        finally:
            self.generated += generated
            self.sent_again += again

    def advance(self) -> None:
        """Make the next level the current one."""
        self.frontier, self.next = self.next, Frontier(self.classes, self.spill,
                                                       self.chunk_bytes)
        self.depth += 1

    # -- checkpoints ---------------------------------------------------------------------

    def save(self, folder: Path, seconds: float = 0.0) -> None:
        """Write this shard at a level boundary: table, frontier, counters, findings, and
        the run's ``seconds`` so far (a resumed run reports its whole time)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "table.bin").write_bytes(self.table.dump())
        self.frontier.seal(objects=True)
        class_lists: list[list] = [list(self.classes)]
        chunks = []
        for i, (item, classes, checked) in enumerate(self.frontier.chunks):
            data = item.read_bytes() if isinstance(item, Path) else item
            (folder / f"chunk-{i}.bin").write_bytes(data)
            index = 0
            if classes is not None:
                class_lists.append(classes)
                index = len(class_lists) - 1
            chunks.append([f"chunk-{i}.bin", index, checked])
        (folder / "classes.pickle").write_bytes(pickle.dumps(class_lists))
        state = {"depth": self.depth, "generated": self.generated, "coverage": self.coverage,
                 "seconds": seconds,
                 "frontier": len(self.frontier), "chunks": chunks,
                 "found": {k: list(v) for k, v in self.checks.found.items()},
                 "witnesses": {k: list(v) for k, v in self.checks.witnesses.items()}}
        (folder / "shard.json").write_text(json.dumps(state))

    def restore(self, folder: Path) -> None:
        """Read a shard written by save()."""
        state = json.loads((folder / "shard.json").read_text())
        class_lists = pickle.loads((folder / "classes.pickle").read_bytes())
        for cls in class_lists[0]:
            self.classes.setdefault(cls, len(self.classes))
        self.table.load((folder / "table.bin").read_bytes())
        for name, index, checked in state["chunks"]:
            self.frontier.extend_packed((folder / name).read_bytes(), 0,
                                        class_lists[index] if index else None, checked)
        self.frontier.count = state["frontier"]
        self.depth = state["depth"]
        self.generated = state["generated"]
        self.seconds_before = float(state.get("seconds", 0.0))
        self.coverage = dict(state["coverage"])
        self.checks.found = {k: Found(*v) for k, v in state["found"].items()}
        self.checks.witnesses = {k: tuple(v) for k, v in state["witnesses"].items()}
        self.checks.forget(self.checks.found, self.checks.witnesses)


# -- the parts every engine's run shares ----------------------------------------------------


def new_result(model: Model, props: PropertySet, engine: str, capability: str) -> CheckResult:
    """A result that already names the selected properties this engine cannot check."""
    result = CheckResult(model, engine, props.all)
    result.symmetry = symmetry_label(model)
    result.not_checked.update(ENGINES[capability].unchecked(props.all))
    return result


class Clock:
    """The time limit and the progress display, ticked from inside search loops."""

    def __init__(self, limits: Limits, progress: Progress | None) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + limits.max_seconds if limits.max_seconds else None
        self.progress = progress

    def check(self, distinct: int, generated: int, depth: int, queue: int) -> None:
        """Raise StopSearch past the deadline; show progress."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise StopSearch("time limit reached")
        if self.progress is not None:
            self.progress.update(distinct, generated, depth, queue)

    def seconds(self) -> float:
        """Seconds since the search started."""
        return time.monotonic() - self.started


def step_violation_trace(model: Model, prefix: Trace, after_fp: int, name: str,
                         step: _StepHolds) -> Trace:
    """The trace to the state before a failing step plus that step, found again by replay."""
    fp = fingerprint_function(model)
    last = prefix.steps[-1].state
    for action, nxt in model.successors(last):
        if fp(nxt) == after_fp and not step(last, action, nxt):
            states = [s.state for s in prefix.steps] + [nxt]
            actions = [s.action for s in prefix.steps] + [action]
            return build_trace(model, states, actions)
    raise TraceMismatch(f"the failing step of {name} is not found again by replay")


def collect(model: Model, props: PropertySet, result: CheckResult,
            found: dict[str, Found], witnesses: dict[str, tuple[int, int]],
            parent_of: Callable[[int], int | None]) -> None:
    """Turn what a search found into traces, each checked to end where it should."""
    by_name = {p.name: p for p in props.all}
    for name, where in found.items():
        prop = by_name[name]
        if where.kind == "step":
            prefix = trace_from_fingerprints(model, chain_to(parent_of, where.before))
            assert prop.step is not None
            trace = step_violation_trace(model, prefix, where.fp, name, prop.step)
        else:
            trace = trace_from_fingerprints(model, chain_to(parent_of, where.fp))
            assert prop.holds is not None
            holds = cast(_Holds, prop.holds)
            if holds(trace.steps[-1].state):
                raise TraceMismatch(f"the rebuilt trace of {name} ends in a state that "
                                    "satisfies it (fingerprint collision?)")
        result.violations.append(Violation(prop, trace, where.kind))
    for name, (fp, _depth) in witnesses.items():
        trace = trace_from_fingerprints(model, chain_to(parent_of, fp))
        witnessed = cast(_Holds | None, by_name[name].holds)
        if witnessed is None or not witnessed(trace.steps[-1].state):
            raise TraceMismatch(f"the rebuilt witness of {name} does not end in a state "
                                "that satisfies it (fingerprint collision?)")
        result.witnesses[name] = trace
    if result.complete:
        for prop in props.sometimes:
            if prop.name not in result.witnesses and prop.name not in result.not_checked:
                result.unreached.append(Violation(prop, None, "never-reached"))
        result.collision_probability = collision_probability(result.distinct_states)
    order = {p.name: i for i, p in enumerate(props.all)}
    result.violations.sort(key=lambda v: order[v.property.name])


def model_error(model: Model, raised: ModelRaised,
                parent_of: Callable[[int], int | None]) -> ModelError:
    """What the model raised, with the trace to the state being expanded (rebuilt by
    replay, which stops short of the step that raised)."""
    trace = (None if raised.fp == ROOT else
             trace_from_fingerprints(model, chain_to(parent_of, raised.fp)))
    return ModelError(raised.error, raised.depth, trace, raised.detail)


# -- checkpoints of a whole run --------------------------------------------------------------


# The packages whose code defines the transition relation, the properties and the search
# (native.py is in explorer/), and the configuration: kafkacheck/config.py parses the
# settings and bounds a run means and the catalogue (its code and Kafka's ConfigDef data)
# checks and parses their values (audit 16b); with the compiled build's manifest
# (kafkacheck/compiled.py).
CODE_PACKAGES = ("kafkacheck.model", "kafkacheck.properties", "kafkacheck.explorer",
                 "kafkacheck.catalogue")
CODE_MODULES = ("kafkacheck.config",)
CODE_SUFFIXES = (".py", ".c", ".json")
_package_code: list[str] = []  # package_code(), worked out once per process
_class_code: dict[tuple[type, bool], str] = {}


def code_files() -> list[tuple[str, Path]]:
    """(name, path) of every source file package_code() covers, in a fixed order."""
    files: list[tuple[str, Path]] = []
    for package in CODE_PACKAGES:
        for root in importlib.import_module(package).__path__:
            base = Path(root)
            files.extend((f"{package}/{p.relative_to(base).as_posix()}", p)
                         for p in base.rglob("*")
                         if p.suffix in CODE_SUFFIXES and p.is_file()
                         and "__pycache__" not in p.parts)
    for module in CODE_MODULES:
        source = importlib.import_module(module).__file__
        if source is not None:
            files.append((f"{module.replace('.', '/')}.py", Path(source)))
    from kafkacheck import compiled

    manifest = Path(compiled.__file__).with_name(compiled.MANIFEST)
    if manifest.is_file():
        files.append((f"kafkacheck/{compiled.MANIFEST}", manifest))
    return sorted(files)


def package_code() -> str:
    """SHA-256 over kafkacheck's version and every file of code_files() (names and bytes),
    once per process: a checkpoint of other code must not be resumed (audit 16: a visited
    table of another transition relation hides what the new code reaches)."""
    if not _package_code:
        from kafkacheck import __version__

        digest = hashlib.sha256(f"kafkacheck {__version__}\0".encode())
        for name, path in code_files():
            data = path.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
        _package_code.append(digest.hexdigest())
    return _package_code[0]


def _in_package(module: str) -> bool:
    return module in CODE_MODULES or any(module == p or module.startswith(p + ".")
                                         for p in CODE_PACKAGES)


def _code_bytes(code: Any) -> bytes:
    """A code object's instructions, names and constants (nested code too), without its
    file name and line numbers: the same function compiled elsewhere gives the same."""
    out = bytearray(code.co_code)
    out += repr((code.co_names, code.co_varnames, code.co_freevars)).encode()
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            out += b"\0code\0" + _code_bytes(const)
        else:
            out += b"\0" + repr(const).encode()
    return bytes(out)


def _bytecode(cls: type) -> bytes:
    """The code of a class's own functions, properties and static/class methods."""
    out = bytearray()
    for name, value in sorted(vars(cls).items(), key=lambda item: item[0]):
        for member in (value, getattr(value, "__func__", None), getattr(value, "fget", None)):
            code = getattr(member, "__code__", None)
            if code is not None:
                out += name.encode() + b"\0" + _code_bytes(code)
    return bytes(out)


def class_code(cls: type, skip_main: bool = False) -> str:
    """SHA-256 of the code of ``cls``'s class hierarchy outside the packages package_code()
    covers (a test's subclass, a user's model module): each class's own functions'
    bytecode, and its module file's bytes (helpers included) or else its source.
    ``skip_main``: leave out classes of ``__main__`` (a Ray actor gets those by value, the
    driver's own)."""
    key = (cls, skip_main)
    cached = _class_code.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    for klass in cls.__mro__:
        module = klass.__module__
        if module == "builtins" or _in_package(module) or (skip_main and module == "__main__"):
            continue
        digest.update(f"{module}.{klass.__qualname__}\0".encode())
        digest.update(_bytecode(klass))
        source = getattr(sys.modules.get(module), "__file__", None)
        data = b""
        if isinstance(source, str) and source.endswith(".py"):
            try:
                data = Path(source).read_bytes()
            except OSError:
                data = b""
        if not data:
            try:
                data = inspect.getsource(klass).encode()
            except (OSError, TypeError):
                data = b""
        digest.update(b"\0source\0" + data)
    value = digest.hexdigest()
    _class_code[key] = value
    return value


def code_identity(model: Model) -> str:
    """The code a run of ``model`` executes: package_code() and class_code()."""
    return hashlib.sha256(f"{package_code()} {class_code(type(model))}".encode()).hexdigest()


def run_identity(model: Model, props: PropertySet, engine: str) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the model, its configuration, the checks,
    and the code that defines them (code_identity)."""
    cfg = model.config
    from kafkacheck import __version__

    # The Kafka release picks the rules: a run saved under one must not go on under another.
    return {"model": model.name, "kafka_version": cfg.kafka_version,
            "settings": cfg.kafka_text(),
            "bounds": {k: str(v) for k, v in cfg.bounds.items()},
            "not_covered": cfg.uncovered_text(),
            "properties": sorted(p.name for p in props.all), "engine": engine,
            "fingerprint": SCHEME, "shard_part": type(model).shard_part,
            "kafkacheck": __version__, "code": code_identity(model)}


def process_local(model: Model) -> bool:
    """Whether the model's states are ids into tables of the process that made them
    (``process_local_states``, e.g. kip848-spec's interned records): another process
    (a worker, an actor, a resumed run) would read them as other records."""
    return bool(getattr(type(model), "process_local_states", False))


def refuse_process_local(model: Model, options: str) -> None:
    """UsageError for ``options`` a process-local model cannot run under."""
    if process_local(model):
        raise UsageError(f"{options}: {model.name}'s states are ids into tables of the "
                         "process that made them, which another process cannot read: run "
                         "it in one process, without these options")


MANIFEST = "manifest.json"


def _digest(path: Path) -> list:
    """[size, sha256] of a checkpoint file."""
    with path.open("rb") as f:
        return [path.stat().st_size, hashlib.file_digest(f, "sha256").hexdigest()]


def _synced(path: Path) -> None:
    """fsync a file or folder, so that a power loss after the swap keeps what it names."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(folder: Path, identity: dict[str, Any],
                     shards: Callable[[Path], None]) -> None:
    """Write a checkpoint atomically: shards into a new folder with a manifest of every
    file's size and hash, synced to disk, then swap it in."""
    folder.mkdir(parents=True, exist_ok=True)
    fresh = folder / "writing"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    shards(fresh)
    (fresh / "run.json").write_text(json.dumps(identity, indent=1))
    files = sorted(p for p in fresh.rglob("*") if p.is_file())
    manifest = {str(p.relative_to(fresh)): _digest(p) for p in files}
    (fresh / MANIFEST).write_text(json.dumps(manifest, indent=0))
    for path in [*files, fresh / MANIFEST, *{p.parent for p in files}, fresh]:
        _synced(path)
    current, old = folder / "current", folder / "old"
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        os.replace(current, old)
    os.replace(fresh, current)
    _synced(folder)
    shutil.rmtree(old, ignore_errors=True)


def resume_depth(current: Path, folder: Path, max_depth: int | None) -> None:
    """UsageError when ``max_depth`` is below the depth the checkpoint (``current``, from
    checkpoint_folder) was saved at: the run would report a depth past its own limit."""
    if max_depth is None:
        return
    try:
        depth = int(json.loads((current / "shard-0" / "shard.json").read_text())["depth"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # checkpoint_folder checked the files; restore() reports what is wrong
    if max_depth < depth:
        raise UsageError(f"--max-depth {max_depth}: the checkpoint in {folder} was saved at "
                         f"depth {depth}; give --max-depth {depth} or more")


def resumed_note(folder: str | Path, depth: int, seconds_before: float) -> str:
    """The note of a resumed run: where from, and that its counts and time are the whole
    run's (the --max-seconds limit counts this part only)."""
    return (f"resumed from {folder} at depth {depth}{RESUMED_MARK} ({seconds_before:.2f}s "
            "before the resume; --max-seconds counts this part only)")


def checkpoint_folder(folder: Path, identity: dict[str, Any]) -> Path:
    """The saved level to resume from; UsageError when it is missing, for another run, or
    damaged (a file missing, added, or not the size and hash the manifest records)."""
    current = folder / "current"
    try:
        saved = json.loads((current / "run.json").read_text())
    except (OSError, ValueError):
        raise UsageError(f"--resume {folder}: no checkpoint there") from None
    if not isinstance(saved, dict):
        raise UsageError(f"--resume {folder}: run.json is not a checkpoint's")
    if saved != identity:
        diff = sorted(k for k in {*identity, *saved} if saved.get(k) != identity.get(k))
        if "code" in diff or "kafkacheck" in diff:
            raise UsageError(f"--resume {folder}: the checkpoint was written by other "
                             "kafkacheck code (another version, or a changed model, property "
                             "or search): its states may come from another transition "
                             "relation; start again without --resume")
        raise UsageError(f"--resume {folder}: the checkpoint is of another run "
                         f"(different {', '.join(diff)})")
    try:
        manifest = json.loads((current / MANIFEST).read_text())
        present = {str(p.relative_to(current)) for p in current.rglob("*") if p.is_file()}
        present.discard(MANIFEST)
        bad = sorted(present ^ set(manifest)) + sorted(
            name for name in manifest if name in present
            and _digest(current / name) != manifest[name])
    except (OSError, ValueError, TypeError, AttributeError):
        bad = [MANIFEST]
    if bad:
        raise UsageError(f"--resume {folder}: the checkpoint is damaged ({bad[0]} is missing, "
                         "added or changed since it was written, or it predates checkpoint "
                         "manifests); resume from an intact copy or start again")
    return current
