"""A run cut short reports what it explored: a parallel worker (or Ray actor) that fails,
dies or hangs ends the run as INCOMPLETE (exit 3) with the counts of the last level every
worker finished, and what was found by then is still reported with a shortest trace
(VIOLATED, exit 1).  Before, the run raised RuntimeError and the CLI printed an internal
error (exit 70), losing every count.  A bug in the coordinator is still exit 70.

The failures are test-only mutants of ShardWorker (patched before the workers fork) or of
a model sent to Ray actors by value: nothing here is in production code.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from kafkacheck.cli import _exit_code, main
from kafkacheck.explorer import parallel
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.parallel import ShardWorker, WorkerFailed, parallel_breadth_first
from kafkacheck.explorer.render import summary_line
from kafkacheck.testing import make_model

MODEL = "acks1-loss"  # NoAckedWriteLost fails at depth 3; HwWithinLeo holds
DIES_AT = 6  # worker 1 is killed as it begins to expand level 6
KILLED = "parallel worker 1 failed: the process ended without an answer (exit code -9)"


def _counts(result) -> tuple[int, int, int]:
    return result.distinct_states, result.generated_states, result.depth


def _kill_worker_1(monkeypatch, method: str, depth: int = DIES_AT) -> None:
    """Worker 1 SIGKILLs itself in ``method`` at ``depth`` (as the OOM killer would)."""
    original = getattr(ShardWorker, method)

    def dying(self, *args):
        if self.index == 1 and self.shard.depth == depth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, *args)

    monkeypatch.setattr(ShardWorker, method, dying)


def test_a_killed_worker_ends_the_run_incomplete_with_the_last_finished_levels_counts(
        monkeypatch):
    _kill_worker_1(monkeypatch, "expand")
    result = parallel_breadth_first(make_model(MODEL), ["HwWithinLeo"], workers=2)
    finished = breadth_first(make_model(MODEL), ["HwWithinLeo"], max_depth=DIES_AT)
    assert (result.complete, result.result, result.stop_reason) == \
        (False, "incomplete", KILLED)
    # levels 0-5 were expanded by both workers: the states down to depth 6, no more
    assert _counts(result) == _counts(finished) == (1216, 2529, 6)
    assert _exit_code(result) == 3
    assert summary_line(result).startswith(f"INCOMPLETE: {KILLED} (1,216 distinct states, "
                                           "2,529 generated, depth 6, ")
    assert summary_line(result).endswith("; no property is verified")
    assert [result.verdict(p) for p in result.properties] == ["unknown"]


def test_the_cli_exits_3_with_the_incomplete_line_when_a_worker_is_killed(monkeypatch,
                                                                          capsys):
    _kill_worker_1(monkeypatch, "expand")
    code = main(["check", MODEL, "--property", "HwWithinLeo", "--workers", "2"])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert "internal error" not in err
    assert f"\nINCOMPLETE: {KILLED} (1,216 distinct states, 2,529 generated, depth 6, " in out
    assert "HOLDS" not in out


def test_a_violation_found_before_the_failure_is_reported_with_a_shortest_trace(
        monkeypatch, capsys):
    _kill_worker_1(monkeypatch, "expand")
    names = ["NoAckedWriteLost", "HwWithinLeo"]
    result = parallel_breadth_first(make_model(MODEL), names, workers=2)
    assert (result.complete, result.result, result.stop_reason) == (False, "violated", KILLED)
    assert _counts(result) == (1216, 2529, 6)
    # The dead worker's parent links are lost: the trace is the sequential search's, found
    # again to the violation's depth (3 steps, as in a run without the failure).
    shortest = breadth_first(make_model(MODEL), names).violation("NoAckedWriteLost")
    [violation] = result.violations
    assert (violation.name, violation.reason, len(violation.trace)) == \
        ("NoAckedWriteLost", "invariant", len(shortest.trace)) == \
        ("NoAckedWriteLost", "invariant", 3)
    assert f"{KILLED}: the traces of what was found by then were rebuilt by a sequential " \
        "breadth-first search to depth 3 (the failed worker's parent links are lost); it " \
        "finds traces of the same, shortest length" in result.notes
    assert _exit_code(result) == 1
    code = main(["check", MODEL, "--property", "NoAckedWriteLost", "--property",
                 "HwWithinLeo", "--workers", "2", "--no-diagram"])
    out = capsys.readouterr().out
    assert code == 1
    assert "NoAckedWriteLost violated (" in out and "): counterexample of 3 steps" in out
    assert "\nVIOLATED: NoAckedWriteLost (1,216 distinct states, 2,529 generated, depth 6, " \
        in out and out.split("\nVIOLATED: ")[1].split("\n")[0].endswith(
            f"; search stopped: {KILLED})")


def test_a_worker_that_raises_ends_the_run_incomplete(monkeypatch):
    original = ShardWorker.expand

    def failing(self, *args):
        if self.index == 1 and self.shard.depth == DIES_AT:
            raise MemoryError("simulated failure in one worker")
        return original(self, *args)

    monkeypatch.setattr(ShardWorker, "expand", failing)
    result = parallel_breadth_first(make_model(MODEL), ["HwWithinLeo"], workers=2)
    assert (result.result, result.stop_reason) == \
        ("incomplete", "parallel worker 1 failed: MemoryError: simulated failure in one worker")
    assert _counts(result) == (1216, 2529, 6)


def test_a_worker_killed_between_levels_keeps_the_level_every_worker_finished(monkeypatch):
    # Killed in advance() after level 6 was expanded by both: its counts stand (depth 7).
    _kill_worker_1(monkeypatch, "advance")
    result = parallel_breadth_first(make_model(MODEL), ["HwWithinLeo"], workers=2)
    finished = breadth_first(make_model(MODEL), ["HwWithinLeo"], max_depth=DIES_AT + 1)
    assert (result.result, result.stop_reason) == ("incomplete", KILLED)
    assert _counts(result) == _counts(finished) == (2453, 5204, 7)


def test_a_worker_killed_while_the_traces_are_read_leaves_the_complete_search_standing(
        monkeypatch):
    # The search ended; worker 1 dies when asked for its first parent link.  The counts
    # and verdicts stand, the traces are the sequential search's.
    original = ShardWorker.parent

    def dying(self, fp):
        if self.index == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, fp)

    monkeypatch.setattr(ShardWorker, "parent", dying)
    names = ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw", "HwWithinLeo"]
    result = parallel_breadth_first(make_model(MODEL), names, workers=2)
    sequential = breadth_first(make_model(MODEL), names)
    assert (result.complete, result.stop_reason, result.result) == (True, "complete", "violated")
    assert _counts(result) == _counts(sequential) == (14611, 39381, 18)
    assert {v.name: len(v.trace) for v in result.violations} == \
        {v.name: len(v.trace) for v in sequential.violations} == \
        {"NoAckedWriteLost": 3, "CommittedRecordsStay": 7, "ReplicasAgreeBelowHw": 9}
    assert [result.verdict(p) for p in result.properties] == \
        ["violated", "violated", "violated", "holds"]
    assert any(n.startswith(f"{KILLED}: the traces of what was found by then were rebuilt "
                            "by a sequential breadth-first search to depth 9")
               for n in result.notes)


def test_a_hung_worker_ends_the_run_incomplete_after_the_time_limit(monkeypatch):
    original = ShardWorker.expand

    def hanging(self, *args):
        if self.index == 1 and self.shard.depth == DIES_AT:
            time.sleep(600)  # the pool kills it when the run ends
        return original(self, *args)

    monkeypatch.setattr(ShardWorker, "expand", hanging)
    monkeypatch.setattr(parallel, "STOP_GRACE", 1.0)
    started = time.monotonic()
    result = parallel_breadth_first(make_model(MODEL), ["HwWithinLeo"], workers=2,
                                    max_seconds=2)
    assert time.monotonic() - started < 15
    # The other worker gives up on worker 1 one grace after the time limit; the
    # coordinator two graces after it (whichever is first on a loaded machine).
    assert result.stop_reason in (
        "parallel worker 0 failed: RuntimeError: worker 0: the other workers sent nothing "
        "for 1s after the run was stopped (no end of level from worker 1)",
        "parallel worker 1 failed: did not end its level within 2s after the time limit")
    assert (result.result, _counts(result)) == ("incomplete", (1216, 2529, 6))


def test_a_bug_in_the_coordinator_is_still_an_internal_error(monkeypatch, capsys):
    def broken(*_args):
        raise RuntimeError("simulated bug in the coordinator")

    monkeypatch.setattr(parallel, "spill_notes", broken)
    with pytest.raises(RuntimeError, match="simulated bug") as raised:
        parallel_breadth_first(make_model(MODEL), ["HwWithinLeo"], workers=2)
    assert not isinstance(raised.value, WorkerFailed)
    assert main(["check", MODEL, "--property", "HwWithinLeo", "--workers", "2"]) == 70
    assert capsys.readouterr().err.startswith(
        "kafkacheck: internal error: RuntimeError: simulated bug in the coordinator at ")


# A dead Ray actor: tests/test_engine_audit16b.py (modes "die" and "found"), in its one
# local Ray cluster.
