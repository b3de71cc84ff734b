"""The compiled build (mypyc) runs the same source, and only the source it was built from.

setup.py compiles the modules of kafkacheck/compiled.py when mypyc is there. These tests
say when a compiled module may be used (never after its source changed, never under
KAFKACHECK_PURE=1) and that the compiled and the pure build explore the same states and
reach the same verdicts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kafkacheck import compiled
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

LISTED = "kafkacheck.model.cluster.controller"


def _sources(folder: Path) -> dict[str, Path]:
    """A stand-in source per listed module."""
    out = {}
    for i, name in enumerate(compiled.MODULES):
        out[name] = folder / f"m{i}.py"
        out[name].write_text(f"X = {i}\n")
    return out


def test_the_build_runs_only_while_every_source_is_the_one_built(tmp_path, monkeypatch):
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    sources = _sources(tmp_path)
    built = {name: compiled.digest(path) for name, path in sources.items()}
    assert compiled.build_is_current(built, sources)
    # One module edited after the build: none may run compiled (they import each other
    # inside their shared library, past the import system).
    next(iter(sources.values())).write_text("X = 'edited'\n")
    assert not compiled.build_is_current(built, sources)
    assert not compiled.build_is_current({}, sources)  # never built
    missing = {**sources, LISTED: tmp_path / "gone.py"}
    assert not compiled.build_is_current(built, missing)


def test_kafkacheck_pure_asks_for_every_source(tmp_path, monkeypatch):
    sources = _sources(tmp_path)
    built = {name: compiled.digest(path) for name, path in sources.items()}
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    assert not compiled.build_is_current(built, sources)
    monkeypatch.setenv(compiled.PURE_ENV, "0")
    assert compiled.build_is_current(built, sources)


def test_the_guard_loads_the_listed_modules_from_source_when_the_build_is_stale(
        tmp_path, monkeypatch):
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    sources = _sources(tmp_path)
    built = {name: compiled.digest(path) for name, path in sources.items()}
    (tmp_path / "controller.py").write_text("X = 1\n")
    stale = compiled.SourceWhenStale({**built, LISTED: "0" * 64}, sources)
    spec = stale.find_spec(LISTED, [str(tmp_path)])
    assert spec is not None and spec.origin == str(tmp_path / "controller.py")
    assert type(spec.loader).__name__ == "SourceFileLoader"
    # Modules that are not listed are never its business.
    assert stale.find_spec("kafkacheck.model.cluster.partition", [str(tmp_path)]) is None
    # A current build: the usual finders decide (they prefer the extension module).
    current = compiled.SourceWhenStale(built, sources)
    assert current.find_spec(LISTED, [str(tmp_path)]) is None


def test_the_guard_stands_first_in_the_import_system():
    assert isinstance(sys.meta_path[0], compiled.SourceWhenStale)


def test_each_listed_module_runs_compiled_exactly_when_the_build_is_current():
    import kafkacheck.explorer.search  # noqa: F401
    import kafkacheck.model.cluster.controller  # noqa: F401
    import kafkacheck.properties.controller  # noqa: F401
    import kafkacheck.properties.replication  # noqa: F401

    sources = {name: compiled.source_of(name) for name in compiled.MODULES}
    assert all(sources.values())
    current = compiled.build_is_current(compiled.manifest(), sources)
    for name, runs_compiled in compiled.status().items():
        source = sources[name]
        built = any(source.parent.glob(f"{source.stem}.*.so"))  # type: ignore[union-attr]
        assert runs_compiled == (current and built), name


_FIGURES = """
import json
from kafkacheck import compiled
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model
model = make_model("controller", {"acks": "1"}, records=1, crashes=1, isolations=0)
result = breadth_first(model)
print(json.dumps({"build": compiled.describe(), "distinct": result.distinct_states,
                  "generated": result.generated_states,
                  "verdicts": {p.name: result.verdict(p) for p in result.properties},
                  "traces": {v.name: len(v.trace) for v in result.violations}}))
"""


def _figures(pure: bool) -> dict:
    env = {**os.environ}
    env.pop(compiled.PURE_ENV, None)
    if pure:
        env[compiled.PURE_ENV] = "1"
    done = subprocess.run([sys.executable, "-c", _FIGURES], env=env, capture_output=True,
                          text=True, timeout=600, check=True)
    return json.loads(done.stdout)


def test_the_compiled_and_the_pure_build_find_the_same_states_and_verdicts():
    pure, default = _figures(pure=True), _figures(pure=False)
    assert pure["build"] == "build: pure Python"
    if default["build"] == pure["build"]:
        pytest.skip("no compiled build in this installation (mypyc missing or failed)")
    for key in ("distinct", "generated", "verdicts", "traces"):
        assert default[key] == pure[key], key
    # acks=1 loses an acknowledged write after a crash: both builds find it.
    assert pure["verdicts"]["NoAckedWriteLost"] == "violated"


def test_a_mutant_subclass_overrides_a_rule_of_the_compiled_model():
    model = make_model("controller", {"acks": "all", "min.insync.replicas": "2"}, records=1,
                       crashes=0, isolations=0)

    class NoProduce(type(model)):  # the compiled class allows interpreted subclasses
        def _produce(self, *args, **kwargs):
            return None

    mutant = NoProduce(model.config)
    assert breadth_first(mutant).coverage.get("Produce", 0) == 0
    assert breadth_first(model).coverage.get("Produce", 0) > 0
