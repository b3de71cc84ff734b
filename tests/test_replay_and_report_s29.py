"""`replay` and `report` say NOT COVERED, not reproduced and unknown as `check` does
(session 29's engines review: no replay answer stronger than its check)."""

from __future__ import annotations

import json

from kafkacheck.cli import main


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _saved(tmp_path, capsys, *argv: str) -> str:
    code, out = _run(capsys, "check", *argv, "--json")
    path = tmp_path / "result.json"
    path.write_text(out)
    return str(path)


def test_replay_of_a_not_covered_result_is_not_covered(tmp_path, capsys):
    # Was VIOLATED (exit 1): config_given leaves the uncovered setting out.
    path = _saved(tmp_path, capsys, "acks1-loss", "--set", "remote.storage.enable=true")
    assert json.loads(open(path).read())["not_covered"] == {"remote.storage.enable": "true"}
    code, out = _run(capsys, "replay", path, "--no-diagram")
    assert code == 3 and "NOT COVERED: remote.storage.enable=true" in out
    assert "violates" not in out


def test_a_preset_named_with_the_file_is_the_configuration_replayed(tmp_path, capsys):
    # Was a silent swap to the file's acks=1 and exit 1.
    path = _saved(tmp_path, capsys, "acks1-loss")
    code, out = _run(capsys, "replay", "acks-all-safe", path, "--no-diagram")
    assert "acks=all" in out.splitlines()[1] and "min.insync.replicas=2" in out.splitlines()[1]
    assert code == 3 and "NoAckedWriteLost: 3 steps replayed; final state violates: nothing" \
        in out
    code, out = _run(capsys, "replay", path, "--no-diagram")
    assert code == 1 and "acks=1" in out.splitlines()[1]


def test_a_trace_another_bound_disables_is_not_reproduced(tmp_path, capsys):
    path = _saved(tmp_path, capsys, "acks1-loss")
    code, out = _run(capsys, "replay", "acks1-loss", path, "--property", "NoAckedWriteLost",
                     "--bound", "crashes=0")
    assert code == 3
    assert "NoAckedWriteLost: not reproduced: the trace does not replay: step 2 Crash(B1) " \
           "is not enabled" in out


def test_a_report_with_cells_cut_short_exits_3_and_says_so(tmp_path, capsys):
    code, out = _run(capsys, "report", "--out", str(tmp_path / "r"), "--only",
                     "partition-count-changes", "--max-seconds", "0.001")
    assert code == 3 and "cell(s) unknown: their runs were cut short" in out
    index = (tmp_path / "r" / "README.md").read_text()
    assert "each cell backed by one exhaustive run" not in index
    assert "exhaustive except" in index


def test_empty_paths_and_sizes_are_refused(capsys):
    for argv, what in ((["check", "acks1-loss", "--memory-budget", ""], "--memory-budget"),
                       (["check", "acks1-loss", "--checkpoint", " "], "--checkpoint"),
                       (["report", "--out", ""], "--out")):
        code, out = _run(capsys, *argv)
        assert code == 2 and out.strip().splitlines() == [
            next(line for line in out.splitlines() if line.startswith("kafkacheck: error"))]
        assert f"{what} is empty" in out
