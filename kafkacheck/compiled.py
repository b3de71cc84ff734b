"""The optional compiled build: which modules mypyc compiles, and when their build is used.

``pip install`` compiles the modules below with mypyc when it can (setup.py); the Python
source stays the one implementation, compiled or not.  A compiled module is used only
while its source is the one it was built from: the build writes each source's SHA-256
into ``_compiled.json``, and ``install()`` makes a module whose source changed since (an
edited checkout) load from its source instead.  ``KAFKACHECK_PURE=1`` loads every module
from source.  This file is plain Python with no imports from kafkacheck: setup.py runs it.
"""

from __future__ import annotations

import hashlib
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


def use_compiled(source: Path, built: str | None) -> bool:
    """Whether a module may load its compiled build: built from this very source."""
    if built is None or pure_requested():
        return False
    try:
        return digest(source) == built
    except OSError:
        return False


class SourceWhenStale(importlib.abc.MetaPathFinder):
    """Loads a listed module from its source when its compiled build is not current."""

    def __init__(self, built: dict[str, str]) -> None:
        self.built = built

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES or path is None:
            return None
        leaf = fullname.rpartition(".")[2] + ".py"
        for folder in path:
            source = Path(folder) / leaf
            if source.is_file():
                if use_compiled(source, self.built.get(fullname)):
                    return None  # the usual finders pick the extension module first
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


def describe() -> str:
    """One line for benchmark output: which build runs."""
    state = status()
    compiled = sum(state.values())
    if not state:
        return "build: no compiled module imported"
    if compiled == len(state):
        return f"build: compiled (mypyc), {compiled} modules"
    if compiled == 0:
        return "build: pure Python"
    return f"build: {compiled} of {len(state)} modules compiled (mypyc)"
