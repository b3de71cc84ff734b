"""`prove` encodes the replication model as it was when the encoding was checked against it.

A hand-written Z3 encoding of Kafka's rules is tied to the explicit model by
tests/test_symbolic_abstraction.py. An edit of the model, its rules or the property
after that would still have been encoded as released: a patched rule could be PROVED.
The encoding is pinned to a digest of those sources' code (comments, docstrings and
layout do not count). prove refuses any other code, NOT COVERED, exit 3.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kafkacheck.cli import main
from kafkacheck.model.cluster import replication_symbolic as rs

ROOT = Path(rs.__file__).resolve().parents[2]


def test_the_encoding_is_pinned_to_the_sources_it_was_checked_against():
    assert rs.source_digest() == rs.ENCODED_SOURCE, (
        "model/cluster/partition.py, model/cluster/replication.py or properties/"
        "replication.py changed: check the encoding against them (tests/test_symbolic_"
        "abstraction.py, tests/test_symbolic_truncation.py) and set ENCODED_SOURCE in "
        f"model/cluster/replication_symbolic.py to {rs.source_digest()}")


def _copy(tmp_path: Path) -> Path:
    for name in rs.PINNED_SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "model/cluster/partition.py"
    text = path.read_text()
    assert text.count(old) >= 1
    path.write_text(text.replace(old, new, 1))


def test_comments_docstrings_and_blank_lines_leave_the_digest_as_it_is(tmp_path):
    root = _copy(tmp_path)
    assert rs.source_digest(root) == rs.ENCODED_SOURCE
    _edit(root, '"""The partition rules of Kafka 0.10;', '"""Rules, reworded: Kafka 0.10;')
    _edit(root, "\nclass PartitionRules:", "\n# a new comment\n\n\nclass PartitionRules:")
    assert rs.source_digest(root) == rs.ENCODED_SOURCE


def test_a_code_edit_changes_the_digest(tmp_path):
    root = _copy(tmp_path)
    _edit(root, "class PartitionRules:", "class PartitionRules:\n    patched = 1\n")
    assert rs.source_digest(root) not in ("", rs.ENCODED_SOURCE)
    (root / "properties/replication.py").unlink()
    assert rs.source_digest(root) == ""  # a source that cannot be read pins nothing


def test_prove_refuses_sources_other_than_the_pinned_ones(capsys, monkeypatch):
    safe = ["--set", "acks=all", "--set", "replication.factor=3",
            "--set", "min.insync.replicas=2", "--bound", "crash_kind=process"]
    assert main(["prove", "replication", *safe]) == 0
    capsys.readouterr()
    monkeypatch.setattr(rs, "_digests", ["0" * 64])  # as after an edit of a pinned source
    assert main(["prove", "replication", *safe]) == 3
    out = capsys.readouterr().out
    assert "PROVED" not in out and "NOT COVERED" in out
    assert "prove's encoding was checked against other sources of model/cluster/" \
        "partition.py" in out


@pytest.mark.parametrize("name", rs.PINNED_SOURCES)
def test_every_pinned_source_exists(name):
    assert (ROOT / name).is_file()
