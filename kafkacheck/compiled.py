"""The optional compiled build: which modules mypyc compiles, and when their build is used.

``pip install`` compiles the modules below with mypyc when it can (setup.py); the Python
source stays the one implementation, compiled or not.  The compiled build is used only
while the sources are the ones it was built from: the build writes each source's SHA-256
into ``_compiled.json``, and ``install()`` makes every listed module load from its source
when any of them changed since (an edited checkout).  ``KAFKACHECK_PURE=1`` loads every module
from source.  This file is plain Python with no imports from kafkacheck: setup.py runs it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# Module -> its source, relative to the project root (the package layout of pyproject).
MODULES = {
    "kafkacheck.explorer.search": "explorer/search.py",
    "kafkacheck.model.cluster.controller": "model/cluster/controller.py",
    "kafkacheck.model.cluster.tuples": "model/cluster/tuples.py",
    "kafkacheck.properties.controller": "properties/controller.py",
    "kafkacheck.properties.replication": "properties/replication.py",
}
GROUP = "kafkacheck._compiled"  # mypyc's shared library: kafkacheck/_compiled__mypyc*.so
MANIFEST = "_compiled.json"  # next to this file: {module: sha256 of the source built}
PURE_ENV = "KAFKACHECK_PURE"


def digest(path: Path) -> str:
    """SHA-256 of a source file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict[str, str]:
    """The hashes the compiled build was made from (empty when nothing was compiled)."""
    try:
        data = json.loads((Path(__file__).with_name(MANIFEST)).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def pure_requested() -> bool:
    """Whether KAFKACHECK_PURE asks for the Python source of every module."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def source_of(name: str) -> Path | None:
    """A listed module's source file, installed (kafkacheck/model/...) or in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here.joinpath(*name.split(".")[1:]).with_suffix(".py")
    for candidate in (installed, here.parent / MODULES[name]):
        if candidate.is_file():
            return candidate
    return None


def build_is_current(built: dict[str, str], sources: dict[str, Path | None]) -> bool:
    """Whether the compiled build may run: every listed module's source is the one it was
    built from.  All or none: compiled modules import each other inside their shared
    library, past the import system, so one stale module means none may be loaded."""
    if not built or pure_requested():
        return False
    for name in MODULES:
        source = sources.get(name)
        try:
            if source is None or digest(source) != built.get(name):
                return False
        except OSError:
            return False
    return True


class SourceWhenStale(importlib.abc.MetaPathFinder):
    """Loads the listed modules from their sources unless the compiled build is current."""

    def __init__(self, built: dict[str, str],
                 sources: dict[str, Path | None] | None = None) -> None:
        self.built = built
        self.sources = sources
        self._current: bool | None = None

    @property
    def current(self) -> bool:
        """build_is_current(), worked out on the first listed import."""
        if self._current is None:
            sources = self.sources or {name: source_of(name) for name in MODULES}
            self._current = build_is_current(self.built, sources)
        return self._current

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES or path is None or self.current:
            return None  # the usual finders: they pick the extension module first
        leaf = fullname.rpartition(".")[2] + ".py"
        for folder in path:
            source = Path(folder) / leaf
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def install() -> None:
    """Put the stale-build guard in front of the import system (once)."""
    if not any(isinstance(f, SourceWhenStale) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceWhenStale(manifest()))


def status() -> dict[str, bool]:
    """Per listed module already imported: whether it runs compiled."""
    out = {}
    for name in MODULES:
        module = sys.modules.get(name)
        if module is not None:
            out[name] = not str(getattr(module, "__file__", "")).endswith(".py")
    return out


def describe(load: bool = False) -> str:
    """One line for benchmark output: which build runs (``load``: import every listed
    module first, as a benchmark's own processes will)."""
    if load:
        for name in MODULES:
            importlib.import_module(name)
    state = status()
    compiled = sum(state.values())
    if not state:
        return "build: no compiled module imported"
    if compiled == len(state):
        return f"build: compiled (mypyc), {compiled} modules"
    if compiled == 0:
        return "build: pure Python"
    return f"build: {compiled} of {len(state)} modules compiled (mypyc)"
