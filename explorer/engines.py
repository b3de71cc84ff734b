"""Choosing the engine for a check: options validated before the search, fallbacks said aloud.

Every option is checked against the chosen engine's declared capabilities
(explorer/capabilities.py) before any work starts: an option the engine would ignore is
a usage error, and a selected property kind it cannot check either makes the run fall
back to an engine that can (parallel BFS -> sequential BFS for liveness, with a note) or
is reported *not checked*.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer.capabilities import ENGINES
from kafkacheck.explorer.checks import PropertySet, select_properties
from kafkacheck.explorer.progress import Progress
from kafkacheck.explorer.result import CheckResult
from kafkacheck.explorer.search import process_local, refuse_process_local
from kafkacheck.model.interface import Model

MAX_WORKERS = 64

NO_GRAPH_IN_CHECKPOINTS = ("--checkpoint/--resume do not keep the state graph that liveness "
                           "properties and --graph need: select safety properties only")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'512M', '4G', '1.5g', '1000000' -> bytes (UsageError otherwise)."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"--memory-budget {text!r}: give a size such as 512M or 4G")
    number, unit = float(match.group(1)), match.group(2).lower()
    value = int(number * 1024 ** "_kmgt".index(unit or "_"))
    if value < 1 << 20:
        raise UsageError("--memory-budget must be at least 1M")
    return value


@dataclass
class EngineRequest:
    """What the user asked of the search, already validated."""

    strategy: str = "bfs"
    workers: int = 1
    ray: str | None = None
    max_states: int | None = None
    max_seconds: float | None = None
    max_depth: int | None = None
    stop_at_first: bool = False
    graph: str | None = None
    memory_budget: int | None = None
    checkpoint: str | None = None
    checkpoint_every: float = 600.0
    resume: str | None = None
    progress_every: float | None = None
    json: bool = False

    @classmethod
    def from_args(cls, args: Any) -> EngineRequest:
        """From parsed CLI arguments; UsageError for anything the engine would not honour."""
        for option, value in (("--memory-budget", args.memory_budget),
                              ("--checkpoint", args.checkpoint), ("--resume", args.resume),
                              ("--graph", args.graph)):
            if value is not None and not str(value).strip():
                raise UsageError(f"{option} is empty: give "
                                 + ("a size such as 512M" if option == "--memory-budget"
                                    else "a path"))
        request = cls(
            strategy=args.strategy, workers=args.workers, ray=args.ray,
            max_states=args.max_states, max_seconds=args.max_seconds,
            max_depth=args.max_depth, stop_at_first=args.stop_at_first, graph=args.graph,
            memory_budget=None if args.memory_budget is None else parse_size(args.memory_budget),
            checkpoint=args.checkpoint,
            checkpoint_every=600.0 if args.checkpoint_every is None else args.checkpoint_every,
            resume=args.resume, progress_every=args.progress_every, json=args.json)
        if args.checkpoint_every is not None and args.checkpoint is None:
            raise UsageError("--checkpoint-every needs --checkpoint DIR (it would be ignored)")
        request.validate()
        return request

    def engine(self) -> str:
        """The capability key of the engine this request runs."""
        if self.strategy == "dfs":
            return "dfs"
        if self.ray is not None:
            return "ray"
        return "parallel" if self.workers > 1 else "bfs"

    def options(self) -> list[str]:
        """The run settings given (names as in the capability declarations)."""
        given = {"max_states": self.max_states is not None,
                 "max_seconds": self.max_seconds is not None,
                 "max_depth": self.max_depth is not None, "stop_at_first": self.stop_at_first,
                 "graph": self.graph is not None, "memory_budget": self.memory_budget is not None,
                 "checkpoint": self.checkpoint is not None, "resume": self.resume is not None,
                 "workers": self.workers > 1, "ray": self.ray is not None}
        return [name for name, on in given.items() if on]

    def validate(self) -> None:
        """Refuse bad values and options the chosen engine would silently ignore."""
        if not 1 <= self.workers <= MAX_WORKERS:
            raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}")
        if self.max_depth is not None and self.max_depth < 0:
            raise UsageError("--max-depth must not be negative")
        for name in ("checkpoint_every", "progress_every"):
            value = getattr(self, name)
            if value is not None and (math.isnan(value) or value < 0 or math.isinf(value)):
                raise UsageError(f"--{name.replace('_', '-')} must be a number >= 0")
        if self.strategy == "dfs" and (self.workers > 1 or self.ray is not None):
            raise UsageError("--strategy dfs runs in one process: drop --workers/--ray")
        engine = ENGINES[self.engine()]
        refused = engine.refuse(self.options())
        if refused:
            names = ", ".join("--" + o.replace("_", "-") for o in refused)
            hint = " (use --workers 1 --strategy bfs)" if self.engine() != "bfs" else ""
            raise UsageError(f"{names} is not supported by {engine.engine}{hint}")
        if self.graph is not None:
            if not self.graph.endswith((".dot", ".gv", ".graphml")):
                raise UsageError(f"--graph {self.graph}: use a .dot, .gv or .graphml file name")
            probe_writable(self.graph, "--graph")
        if self.checkpoint is not None:
            folder = Path(self.checkpoint)
            if folder.exists() and not folder.is_dir():
                raise UsageError(f"--checkpoint {folder}: not a folder")
            if not _checkpoint_or_empty(folder):
                # write_checkpoint replaces current/, old/ and writing/: never a user's files
                raise UsageError(f"--checkpoint {folder}: the folder holds files that are not "
                                 "a kafkacheck checkpoint; give a new or empty folder")
            probe_writable(str(folder / "run.json"), "--checkpoint", create=True,
                           shown=str(folder), keep=False)
        if self.resume is not None and not (Path(self.resume) / "current").is_dir():
            raise UsageError(f"--resume {self.resume}: no checkpoint there")

    def refuse_for(self, model: Model, props: PropertySet) -> None:
        """UsageError for what this request cannot do with these properties on this model,
        said before any estimate or search: a checkpoint keeps no state graph (liveness,
        --graph) and no states of a model whose states are process-local ids."""
        if self.checkpoint is None and self.resume is None:
            return
        if process_local(model):
            refuse_process_local(model, "--checkpoint/--resume")
        if props.eventually or self.graph is not None:
            raise UsageError(NO_GRAPH_IN_CHECKPOINTS)

    def progress(self) -> Progress | None:
        """The progress display: live on a terminal, periodic lines otherwise, quiet for JSON."""
        every = self.progress_every
        if every == 0 or (every is None and self.json):
            return None
        return Progress(interval=every, limit_states=self.max_states,
                        limit_seconds=self.max_seconds)


def _checkpoint_or_empty(folder: Path) -> bool:
    """Whether ``folder`` is missing, empty, or holds only what write_checkpoint makes:
    current/, old/ and writing/ (an interrupted save leaves the last two), each with shard
    folders, run.json and manifest.json only, and current/ with its run.json."""
    if not folder.is_dir():
        return True

    def made_by_a_save(sub: Path) -> bool:
        return sub.is_dir() and all(
            (p.is_dir() and re.fullmatch(r"shard-\d+", p.name))
            or (p.is_file() and p.name in ("run.json", "manifest.json"))
            for p in sub.iterdir())

    entries = list(folder.iterdir())
    return all(p.name in ("current", "old", "writing") and made_by_a_save(p)
               for p in entries) and (not (folder / "current").exists()
                                      or (folder / "current" / "run.json").is_file())


def probe_writable(path: str, option: str, *, create: bool = False,
                   shown: str | None = None, keep: bool = True) -> None:
    """UsageError unless ``path`` can be written, found by opening it for appending (and
    removing it again if it was not there); ``create`` makes its folder first, and without
    ``keep`` removes again the folders it made (a run refused later leaves none behind)."""
    target = Path(path)
    existed = target.exists() or target.is_symlink()
    made = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        if existed and not target.is_file():
            # a folder, a FIFO (opening it waits for a reader), a device, a dangling link
            raise IsADirectoryError(path)
        if create:
            target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a"):
            pass
        if not existed:
            target.unlink()
    except OSError:
        raise UsageError(f"{option} {shown or path}: cannot write there") from None
    finally:
        for folder in made if create and not keep else ():
            with contextlib.suppress(OSError):
                folder.rmdir()  # deepest first; one holding something else stays


def run_check(model: Model, properties: list[str], request: EngineRequest) -> CheckResult:
    """Run the requested engine (or the one that can check what was selected)."""
    props = select_properties(model, properties)
    request.refuse_for(model, props)
    progress = request.progress()
    engine = request.engine()
    fallback = ""
    local = process_local(model)  # states are ids into per-process tables (kip848-spec)
    if engine in ("parallel", "ray") and (props.eventually or local):
        if props.eventually:
            names = ", ".join(p.name for p in props.eventually)
            why = f"it does not check eventually-properties ({names})"
        else:
            why = (f"{model.name}'s states are ids into tables of the process that made "
                   "them, which other workers cannot read")
        fallback = f"ran the sequential bfs instead of {ENGINES[engine].engine}: {why}"
        refused = ENGINES["bfs"].refuse(o for o in request.options() if o not in ("workers", "ray"))
        if refused:
            raise UsageError(f"{fallback}, and bfs does not support --{refused[0]}")
        engine = "bfs"
    if engine == "dfs":
        from kafkacheck.explorer.dfs import depth_first

        result = depth_first(model, propset=props, max_states=request.max_states,
                             max_seconds=request.max_seconds, max_depth=request.max_depth,
                             stop_at_first=request.stop_at_first, progress=progress)
    elif engine == "parallel":
        from kafkacheck.explorer.parallel import parallel_breadth_first

        result = parallel_breadth_first(
            model, propset=props, workers=request.workers, max_states=request.max_states,
            max_seconds=request.max_seconds, max_depth=request.max_depth,
            stop_at_first=request.stop_at_first, memory_budget=request.memory_budget,
            progress=progress, checkpoint=request.checkpoint,
            checkpoint_every=request.checkpoint_every, resume=request.resume)
    elif engine == "ray":
        from kafkacheck.explorer.ray_engine import ray_breadth_first

        result = ray_breadth_first(
            model, propset=props, workers=request.workers, address=request.ray,
            max_states=request.max_states, max_seconds=request.max_seconds,
            max_depth=request.max_depth, stop_at_first=request.stop_at_first,
            progress=progress)
    else:
        from kafkacheck.explorer.bfs import breadth_first

        result = breadth_first(
            model, propset=props, max_states=request.max_states,
            max_seconds=request.max_seconds, max_depth=request.max_depth,
            stop_at_first=request.stop_at_first, record_graph=bool(request.graph),
            progress=progress, memory_budget=request.memory_budget,
            checkpoint=request.checkpoint, checkpoint_every=request.checkpoint_every,
            resume=request.resume)
    if fallback:
        result.notes.insert(0, fallback)
    return result
