"""`prove` encodes the replication model as it was when the encoding was checked against it.

A hand-written Z3 encoding of Kafka's rules is tied to the explicit model by
tests/test_symbolic_abstraction.py. An edit of the model, its rules or the property
after that would still have been encoded as released: a patched rule could be PROVED.
The encoding is pinned to a digest of those sources' code. Comments, docstrings and blank
lines do not count; indentation and line breaks do. prove refuses any other code, NOT
COVERED, exit 3.
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
    tmp_path.mkdir(parents=True, exist_ok=True)
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


@pytest.mark.parametrize("old,one,other", [
    # first_in's fallback moved into its loop: only the first broker is ever tried
    ("            return b\n    return NO_LEADER\n", "            return b\n    return NO_LEADER\n",
     "            return b\n        return NO_LEADER\n"),
    # one statement, or two at a call's parenthesis: RECORD_BITS becomes the type int
    ("RECORD_BITS = 6\n", "RECORD_BITS = int(6)\n", "RECORD_BITS = int\n(6)\n"),
])
def test_indentation_and_line_breaks_are_code(tmp_path, old, one, other):
    # A review found both pairs with one digest when only the tokens were hashed.
    digests = []
    for i, text in enumerate((one, other)):
        root = _copy(tmp_path / str(i))
        _edit(root, old, text)
        digests.append(rs.source_digest(root))
    assert digests[0] != digests[1] and "" not in digests


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
