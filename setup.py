"""Build of the optional native parts; metadata is in pyproject.toml.

* explorer/_native.c, the search core; without a C compiler kafkacheck falls back to
  explorer/native.py's pure-Python twin, which computes the same fingerprints, slower.
* mypyc builds of the hot Python modules listed in kafkacheck/compiled.py (the model of
  the composed controller check, its properties, the search loop).  The source stays the
  one implementation: where mypyc is missing or fails, or KAFKACHECK_PURE=1 is set, the
  modules run from source; a module edited after its build runs from source too.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup

ROOT = Path(__file__).resolve().parent
# The source folders pyproject.toml maps into the package (kafkacheck.model is model/, ...).
SOURCE_PACKAGES = ("model", "properties", "explorer")
# The setup.py commands that build extensions (pip runs others for metadata only).
BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _stage() -> Path:
    """A tree shaped like the installed package (links to the sources), for mypy."""
    stage = ROOT / "build" / "mypyc-src"
    shutil.rmtree(stage, ignore_errors=True)
    package = stage / "kafkacheck"
    package.mkdir(parents=True)
    for entry in (ROOT / "kafkacheck").iterdir():
        if entry.suffix in (".py", "") and not entry.name.startswith((".", "_compiled")):
            (package / entry.name).symlink_to(entry)
    for folder in SOURCE_PACKAGES:
        (package / folder).symlink_to(ROOT / folder)
    return stage


def _compiled_extensions() -> list[Extension]:
    """mypyc extensions of the listed modules, or none (pure Python)."""
    if not BUILDS & set(sys.argv[1:]):
        return []  # metadata only (egg_info, dist_info): nothing is compiled
    spec = runpy.run_path(str(ROOT / "kafkacheck" / "compiled.py"))
    manifest = ROOT / "kafkacheck" / spec["MANIFEST"]
    manifest.unlink(missing_ok=True)
    if spec["pure_requested"]():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("kafkacheck: mypyc not available, the Python modules run from source",
              file=sys.stderr)
        return []
    stage = _stage()
    paths = [f"kafkacheck/{source}" for source in spec["MODULES"].values()]
    cwd = os.getcwd()
    os.chdir(stage)
    try:
        extensions = mypycify(["--follow-imports=silent", *paths],
                              opt_level="3", group_name=spec["GROUP"])
    except (Exception, SystemExit) as exc:  # a type error, or mypyc refusing a construct
        print(f"kafkacheck: mypyc failed ({exc}); the Python modules run from source",
              file=sys.stderr)
        return []
    finally:
        os.chdir(cwd)
    for ext in extensions:
        ext.optional = True  # a failed compile leaves that module to its source
        ext.sources = [s if os.path.isabs(s) else str(stage / s) for s in ext.sources]
        ext.include_dirs = [d if os.path.isabs(d) else str(stage / d)
                            for d in ext.include_dirs]
    manifest.write_text(json.dumps({name: spec["digest"](ROOT / source)
                                    for name, source in spec["MODULES"].items()},
                                   indent=1, sort_keys=True))
    return extensions


setup(
    ext_modules=[
        Extension(
            "kafkacheck.explorer._native",
            sources=["explorer/_native.c"],
            optional=True,
            extra_compile_args=["-O3"],
        ),
        *_compiled_extensions(),
    ]
)
