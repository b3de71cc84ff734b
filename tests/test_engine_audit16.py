"""Audit 16 (the search engine's scale features): a checkpoint resumes only under the code
that wrote it, kip848-spec runs in one process, a failed or hung worker ends a parallel
search, --max-states holds on resume, --memory-budget is the whole run's, and a resumed run
reports the whole run's time and refuses a depth limit it has passed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.explorer import search
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.testing import make_model

SAFETY = ["NoAckedWriteLost", "ReplicasAgreeBelowHw", "HwWithinLeo"]


def _replication():
    return make_model("replication", {"acks": "1", "replication.factor": "3"}, records=2,
                      crashes=1)


def _summary(result):
    return (result.distinct_states, result.generated_states, result.depth,
            {p.name: result.verdict(p) for p in result.properties},
            {v.name: len(v.trace) for v in result.violations})


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kafkacheck: error: "), err
    return err


# -- 1: a checkpoint is resumed only by the code that wrote it ------------------------------

_POWER = make_model("power-loss")


class _WithoutAcks(type(_POWER)):  # the same model as another kafkacheck build has it
    name = type(_POWER).name

    def successors(self, state):
        return [(a, s) for a, s in super().successors(state) if a[0] != "Ack"]


def test_a_checkpoint_written_by_other_model_code_is_refused_not_resumed_to_holds(
        tmp_path, capsys):
    # Written by a build whose model never acknowledges, the finished checkpoint was
    # resumed by the real model: its table held every state, only its last level was
    # expanded again, and the run printed HOLDS (14,626 states) for a configuration that
    # loses an acknowledged write.
    other = breadth_first(_WithoutAcks(_POWER.config), ["NoAckedWriteLost"],
                          checkpoint=tmp_path, checkpoint_every=0.0)
    assert other.result == "holds"
    args = ["check", "power-loss", "--property", "NoAckedWriteLost", "--no-diagram"]
    capsys.readouterr()
    assert main([*args, "--resume", str(tmp_path)]) == 2
    assert "the checkpoint was written by other kafkacheck code" in _one_line_error(capsys)
    assert main(args) == 1  # what a fresh run finds
    assert breadth_first(_WithoutAcks(_POWER.config), ["NoAckedWriteLost"],
                         resume=tmp_path).result == "holds"  # the code that wrote it


def test_the_code_identity_covers_the_model_property_and_search_sources_and_the_build():
    names = {name for name, _path in search.code_files()}
    for expected in ("kafkacheck.model/cluster/replication.py",
                     "kafkacheck.model/reference/kip848_spec.py",
                     "kafkacheck.properties/replication.py", "kafkacheck.explorer/native.py",
                     "kafkacheck.explorer/search.py", "kafkacheck/_compiled.json"):
        assert expected in names
    assert search.package_code() == search.package_code()  # worked out once per process


def test_a_checkpoint_of_another_kafkacheck_version_or_package_code_is_refused(
        tmp_path, monkeypatch):
    breadth_first(_replication(), SAFETY, max_depth=2, checkpoint=tmp_path)
    import kafkacheck

    with monkeypatch.context() as patch:
        patch.setattr(kafkacheck, "__version__", "0.2.0")
        with pytest.raises(UsageError, match="written by other kafkacheck code"):
            breadth_first(_replication(), SAFETY, resume=tmp_path)
    with monkeypatch.context() as patch:  # as after an edit of a model file (a git pull)
        patch.setattr(search, "_package_code", ["f" * 64])
        with pytest.raises(UsageError, match="written by other kafkacheck code"):
            breadth_first(_replication(), SAFETY, resume=tmp_path)
    assert breadth_first(_replication(), SAFETY, resume=tmp_path).complete


def test_a_model_class_without_a_source_file_is_told_apart_by_its_bytecode():
    # A model made in `python -c` has no file and no inspect.getsource: its functions'
    # code tells an edited body apart.
    def made(body: str) -> type:
        scope: dict = {"base": type(_POWER), "__name__": "__main__"}
        exec(f"class Made(base):\n    def successors(self, state):\n        {body}\n", scope)
        return scope["Made"]

    first, same, edited = (made("return super().successors(state)"),
                           made("return super().successors(state)"),
                           made("return list(super().successors(state))[:1]"))
    assert search.class_code(first) == search.class_code(same)
    assert search.class_code(first) != search.class_code(edited)
    assert search.class_code(first) != search.class_code(type(_POWER))


# -- 2: kip848-spec's states are ids into per-process tables ---------------------------------

KIP848 = ["check", "kip848-spec", "--bound", "clients=1", "--bound", "max_perturbations=2",
          "--json"]


@pytest.mark.parametrize("engine", [["--workers", "2"], ["--ray", "auto", "--workers", "2"]])
def test_kip848_spec_under_workers_or_ray_runs_the_sequential_search(engine, capsys):
    # Forked workers and Ray actors interned records in their own tables: an id sent to
    # another worker named another record (KeyError, a trace with no matching successor,
    # or states read as other states).
    assert main(KIP848) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*KIP848, *engine]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["engine"] == "bfs"
    assert (run["distinct_states"], run["generated_states"]) == \
        (alone["distinct_states"], alone["generated_states"]) == (38_299, 108_002)
    assert any(n.startswith("ran the sequential bfs instead of") and "ids into tables of the "
               "process" in n for n in run["notes"])


def test_kip848_spec_refuses_checkpoints(tmp_path, capsys):
    # A checkpoint saved the ids and not the tables: a resumed run read them as nothing
    # (KeyError) or as other records.
    assert main([*KIP848, "--max-depth", "6", "--checkpoint", str(tmp_path / "c")]) == 2
    assert "ids into tables of the process" in _one_line_error(capsys)
    (tmp_path / "r" / "current").mkdir(parents=True)
    assert main([*KIP848, "--resume", str(tmp_path / "r")]) == 2
    assert "ids into tables of the process" in _one_line_error(capsys)
    model = make_model("kip848-spec", clients=1)
    with pytest.raises(UsageError, match="ids into tables"):
        breadth_first(model, checkpoint=tmp_path / "c")
    with pytest.raises(UsageError, match="ids into tables"):
        parallel_breadth_first(model, workers=2)
    assert not (tmp_path / "c" / "current").exists()  # nothing saved


# -- 3: a failed or hung worker ends the parallel search (incomplete, with its counts) --------

_WORKER_SCRIPT = """
import multiprocessing as mp, sys, time
from kafkacheck.explorer import parallel
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.testing import make_model

parallel.STOP_GRACE = 1.0
base = make_model("acks1-loss")

class Faulty(type(base)):
    def successors(self, state):
        if mp.current_process()._identity == (2,):  # the second worker process
            if sys.argv[1] == "raise":
                raise MemoryError("simulated failure in one worker")
            time.sleep(600)
        return super().successors(state)

Faulty.name = type(base).name
started = time.monotonic()
try:
    result = parallel_breadth_first(Faulty(base.config), ["NoAckedWriteLost"], workers=2,
                                    max_seconds=3)
    print("RESULT", result.result, result.stop_reason)
except RuntimeError as exc:
    print("RAISED", exc)
print("SECONDS", round(time.monotonic() - started, 1))
"""


def _run_workers(tmp_path, mode: str) -> tuple[str, float]:
    script = tmp_path / "workers.py"
    script.write_text(textwrap.dedent(_WORKER_SCRIPT))
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(script), mode], capture_output=True,
                              text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the parallel search with a {mode} worker did not end within 60 s")
    return done.stdout + done.stderr, time.monotonic() - started


def test_a_failing_worker_ends_the_parallel_search_at_once(tmp_path):
    # The other worker waited for the failed one's end of level, and the coordinator for
    # the other worker's answer: forever, whatever --max-seconds said.
    # (A failed worker ends the run as incomplete: tests/test_worker_failure_is_incomplete.)
    out, seconds = _run_workers(tmp_path, "raise")
    assert "RESULT incomplete parallel worker 1 failed: MemoryError: simulated failure in " \
        "one worker" in out, out
    assert "RAISED" not in out and seconds < 20


def test_a_hung_worker_ends_the_parallel_search_after_the_time_limit(tmp_path):
    # A worker stuck in the model never reads its inbox: past the time limit (3 s) and
    # the grace (1 s here) the run ends as failed (incomplete), never as HOLDS.
    out, seconds = _run_workers(tmp_path, "hang")
    assert "RESULT incomplete parallel worker " in out and " failed: " in out, out
    assert "RAISED" not in out
    reported = float(out.split("SECONDS ")[1].split()[0])
    assert 3 <= reported < 3 + 8 and seconds < 25


# -- 4: --max-states on resume ---------------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_max_states_holds_when_the_resumed_table_is_past_it(workers, tmp_path, capsys):
    # The restored table had 576 states; `distinct == 100` never came true, and the run
    # went to the end (HOLDS, 57,909 states) despite --max-states 100.
    args = ["check", "acks-all-safe", "--property", "NoAckedWriteLost", "--workers", workers,
            "--json"]
    assert main([*args, "--max-depth", "5", "--checkpoint", str(tmp_path)]) == 3
    capsys.readouterr()
    assert main([*args, "--resume", str(tmp_path), "--max-states", "100"]) == 3
    run = json.loads(capsys.readouterr().out)
    assert run["stop_reason"] == "state limit 100 reached"
    assert run["distinct_states"] == 576 and run["depth"] == 5


# -- 5: --memory-budget is the whole run's ---------------------------------------------------


def test_the_memory_budget_is_shared_by_the_parallel_workers():
    # Each worker kept the whole budget in memory (and its level exchange 8 MiB more).
    budget = 128 * 1024
    alone = breadth_first(_replication(), SAFETY)
    run = parallel_breadth_first(_replication(), SAFETY, workers=2, memory_budget=budget)
    assert _summary(run) == _summary(alone)
    assert all(0 < s["memory_peak"] <= budget // 2 for s in run.worker_stats)
    assert sum(s["spilled"] for s in run.worker_stats) > 0
    assert any(n.startswith("frontier spilled to disk: ") and n.endswith(
        "past the memory budget of 128 KiB (64 KiB in each of 2 workers, with its level "
        "exchange)") for n in run.notes), run.notes


def test_a_spill_that_shares_an_account_counts_against_its_budget():
    own = search.Spill(100)
    exchange = search.Spill(None, account=own)
    assert own.keep(b"x" * 60) == b"x" * 60
    kept = exchange.keep(b"y" * 60)  # 120 bytes would pass the 100 of the account
    try:
        assert not isinstance(kept, bytes) and own.spilled == 60 and own.in_memory == 60
        assert exchange.take(kept) == b"y" * 60
    finally:
        exchange.close()


# -- 6: a resumed run's time and depth limit -------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_resumed_run_reports_the_whole_runs_seconds(workers, tmp_path):
    def run(**kwargs):
        if workers == 1:
            return breadth_first(_replication(), SAFETY, **kwargs)
        return parallel_breadth_first(_replication(), SAFETY, workers=workers, **kwargs)

    first = run(max_depth=6, checkpoint=tmp_path)
    saved = json.loads((tmp_path / "current" / "shard-0" / "shard.json").read_text())
    assert 0 < saved["seconds"] <= first.seconds
    resumed = run(resume=tmp_path)
    assert resumed.complete and resumed.seconds > saved["seconds"]
    assert any(n.startswith(f"resumed from {tmp_path} at depth 6: counts and seconds are the "
                            f"whole run's ({saved['seconds']:.2f}s before the resume")
               for n in resumed.notes), resumed.notes


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_depth_limit_below_the_checkpoints_depth_is_refused(workers, tmp_path, capsys):
    # It printed "INCOMPLETE: depth limit 3 reached (... depth 5)".
    args = ["check", "acks-all-safe", "--property", "NoAckedWriteLost", "--workers", workers]
    assert main([*args, "--max-depth", "5", "--checkpoint", str(tmp_path)]) == 3
    capsys.readouterr()
    assert main([*args, "--resume", str(tmp_path), "--max-depth", "3"]) == 2
    assert "saved at depth 5; give --max-depth 5 or more" in _one_line_error(capsys)
    assert main([*args, "--resume", str(tmp_path), "--max-depth", "5"]) == 3


@pytest.mark.thorough  # a local Ray cluster of its own: about 10 s
def test_ray_actors_running_other_kafkacheck_code_are_refused(monkeypatch):
    # Actors import kafkacheck from their node's installation: one with other code would
    # explore another transition relation.  Here the driver's code differs instead.
    ray = pytest.importorskip("ray")
    from kafkacheck.explorer.ray_engine import ray_breadth_first

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    try:
        monkeypatch.setattr(search, "_package_code", ["f" * 64])
        with pytest.raises(UsageError, match="a Ray worker runs other kafkacheck code"):
            ray_breadth_first(make_model("twophase", rms=3), ["TCConsistent"], workers=2)
        monkeypatch.undo()
        same = ray_breadth_first(make_model("twophase", rms=3), ["TCConsistent"], workers=2)
        assert same.complete and same.result == "holds"
    finally:
        ray.shutdown()
