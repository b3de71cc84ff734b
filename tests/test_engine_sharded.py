"""The sharded parallel search, the frontier on disk, checkpoints and Ray give the sequential
engine's counts and verdicts: same distinct and generated states, same shortest traces."""

from __future__ import annotations

import json
import shutil
from typing import NamedTuple

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError, build_config
from kafkacheck.explorer import native, search
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import always, sometimes
from kafkacheck.testing import make_model

REPLICATION = ("replication", {"acks": "1", "replication.factor": "3"},
               {"records": 2, "crashes": 1})
SAFETY = ["NoAckedWriteLost", "ReplicasAgreeBelowHw", "HwWithinLeo"]


def _replication():
    name, settings, bounds = REPLICATION
    return make_model(name, settings, **bounds)


def _summary(result):
    return (result.distinct_states, result.generated_states, result.depth,
            {p.name: result.verdict(p) for p in result.properties},
            {v.name: len(v.trace) for v in result.violations})


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_workers_find_the_sequential_counts_verdicts_and_trace_lengths(workers):
    seq = breadth_first(_replication(), SAFETY)
    par = parallel_breadth_first(_replication(), SAFETY, workers=workers)
    assert seq.complete and par.complete
    assert _summary(par) == _summary(seq)
    assert seq.violation("NoAckedWriteLost") is not None
    assert par.coverage == seq.coverage


def test_stop_at_first_ends_with_the_level_on_every_engine():
    # The first violating level of the deposed-leader preset has two properties violated:
    # the sequential engine stopped at the first state and named one (session 29's review).
    props = ["DeposedLeaderAcksSurvive", "NoAckedWriteLost", "LeaderInIsr"]
    seq = breadth_first(make_model("controller-zombie-acks1"), props, stop_at_first=True)
    par = parallel_breadth_first(make_model("controller-zombie-acks1"), props, workers=2,
                                 stop_at_first=True)
    assert seq.stop_reason == par.stop_reason == "stopped at the first violation"
    assert _summary(seq) == _summary(par)
    assert sorted(v.name for v in seq.violations) == sorted(props[:2])
    assert (seq.distinct_states, seq.depth) == (119, 4)


@pytest.mark.parametrize("slots", [search.SENT_SLOTS, 1])
def test_a_successor_sent_to_its_owner_before_is_not_sent_again(monkeypatch, slots):
    # The owner holds it already (or takes it before anything sent after it), so the
    # counts, verdicts and traces are those of the sequential search with or without
    # the sender's cache (one slot: nearly every successor is sent again).
    monkeypatch.setattr(search, "SENT_SLOTS", slots)
    seq = breadth_first(_replication(), SAFETY)
    par = parallel_breadth_first(_replication(), SAFETY, workers=2)
    assert _summary(par) == _summary(seq)
    skipped = sum(s["sent_again"] for s in par.worker_stats)
    if slots > 1:
        assert skipped > seq.generated_states // 10
    else:
        assert skipped < seq.generated_states // 20


def test_a_parallel_run_is_deterministic_for_a_given_worker_count():
    runs = [parallel_breadth_first(_replication(), SAFETY, workers=2) for _ in range(2)]
    assert [v.trace.actions for v in runs[0].violations] == \
        [v.trace.actions for v in runs[1].violations]


def test_a_frontier_spilled_to_disk_gives_the_same_search(monkeypatch):
    monkeypatch.setattr(search, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(search, "OBJECT_STATES", 100)
    whole = breadth_first(make_model("twophase", rms=5), ["TCConsistent"])
    spilled = breadth_first(make_model("twophase", rms=5), ["TCConsistent"],
                            memory_budget=8192)
    assert spilled.complete and spilled.distinct_states == whole.distinct_states == 8832
    assert spilled.generated_states == whole.generated_states
    assert any("spilled to disk" in note for note in spilled.notes)


@pytest.mark.parametrize("objects", [16384, 10])
def test_a_resumed_run_gives_the_counts_of_an_uninterrupted_one(tmp_path, monkeypatch, objects):
    monkeypatch.setattr(search, "OBJECT_STATES", objects)
    whole = breadth_first(_replication(), SAFETY)
    first = breadth_first(_replication(), SAFETY, max_depth=4, checkpoint=tmp_path)
    assert not first.complete and first.stop_reason == "depth limit 4 reached"
    resumed = breadth_first(_replication(), SAFETY, resume=tmp_path)
    assert resumed.complete
    assert _summary(resumed) == _summary(whole)
    assert resumed.coverage == whole.coverage


def test_a_resumed_parallel_run_gives_the_counts_of_an_uninterrupted_one(tmp_path):
    whole = parallel_breadth_first(_replication(), SAFETY, workers=2)
    first = parallel_breadth_first(_replication(), SAFETY, workers=2, max_depth=4,
                                   checkpoint=tmp_path)
    assert not first.complete
    resumed = parallel_breadth_first(_replication(), SAFETY, workers=2, resume=tmp_path)
    assert resumed.complete and _summary(resumed) == _summary(whole)
    assert resumed.coverage == whole.coverage


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path, capsys):
    breadth_first(_replication(), SAFETY, max_depth=2, checkpoint=tmp_path)
    code = main(["check", "replication", "--set", "acks=all", "--set",
                 "replication.factor=3", "--bound", "records=2", "--bound", "crashes=1",
                 "--resume", str(tmp_path)] + [a for p in SAFETY for a in ("--property", p)])
    assert code == 2 and "checkpoint is of another run" in capsys.readouterr().err


def _controller():
    return make_model("controller", {"acks": "1"}, records=1, crashes=0, isolations=1)


def test_with_few_workers_a_state_belongs_to_the_owner_of_its_brokers_part():
    model = _controller()
    state = next(iter(model.init_states()))
    assert search.shard_part_index(model, 1) == -1  # one worker: nothing to share
    part = search.shard_part_index(model, 2)
    assert type(state)._fields[part] == "brokers" == model.shard_part
    assert search.shard_owner(state, 7, part, 2) == native.fingerprint(state.brokers) % 2
    beyond = search.LOCAL_SHARDS + 1  # too many workers for the part's values
    assert search.shard_part_index(model, beyond) == -1
    assert search.shard_owner(state, 7, -1, beyond) == 7 % beyond


def test_sharding_by_a_part_keeps_the_sequential_counts_verdicts_and_traces():
    names = [p.name for p in _controller().properties() if p.kind != "eventually"]
    sequential = breadth_first(_controller(), names)
    parallel = parallel_breadth_first(_controller(), names, workers=2)
    assert (parallel.distinct_states, parallel.generated_states) == \
        (sequential.distinct_states, sequential.generated_states) == (30_936, 93_866)
    lengths = {v.property.name: len(v.trace) for v in sequential.violations}
    assert lengths == {"DeposedLeaderAcksSurvive": 4, "NoAckedWriteLost": 4}
    assert {v.property.name: len(v.trace) for v in parallel.violations} == lengths
    assert any("of the state's brokers" in note for note in parallel.notes)
    assert parallel.coverage == sequential.coverage


class Hop(NamedTuple):
    key: int  # the part that decides the owner (shard_part)
    step: int
    path: int


def _keys_of_two_owners() -> tuple[int, int]:
    """Two keys that two workers own apart (found, not assumed: the hash decides)."""
    first = native.fingerprint(0) % 2
    return 0, next(k for k in range(1, 64) if native.fingerprint(k) % 2 != first)


class Handoff(Model):
    """Two paths: the bad state at depth 2 is made by one worker and sent to the other,
    which expands a state of its own first whose successor is bad at depth 3."""

    name = "handoff"
    bounds = ()
    shard_part = "key"

    def init_states(self):
        a, _b = _keys_of_two_owners()
        return [Hop(a, 0, 0)]

    def successors(self, state):
        a, b = _keys_of_two_owners()
        if state.step == 0:
            yield ("Stay",), Hop(a, 1, 0)  # stays with the first worker
            yield ("Pass",), Hop(b, 1, 1)  # goes to the second
        elif state.step < 3:
            # Both paths end with the second worker: path 0 is sent to it at depth 2 (and
            # arrives unchecked), path 1 stays there and is checked as it is made.
            yield ("Next",), Hop(b, state.step + 1, state.path)

    def properties(self):
        def bad(s):
            return (s.path, s.step) in {(0, 2), (1, 3)}

        return [always("NeverBad", "no bad state", lambda s: not bad(s)),
                sometimes("CanBeBad", "a bad state is reachable", bad)]


def test_an_unchecked_state_received_from_another_worker_keeps_the_shortest_trace():
    # The second worker expands its own depth-2 state first and finds both properties at
    # depth 3; the state the first worker sent it is checked later, as it is expanded,
    # and its depth 2 must win, as in the sequential search.
    handoff = Handoff(build_config(Handoff))
    sequential = breadth_first(handoff, ["NeverBad", "CanBeBad"])
    parallel = parallel_breadth_first(Handoff(build_config(Handoff)),
                                      ["NeverBad", "CanBeBad"], workers=2)
    assert len(sequential.violation("NeverBad").trace) == 2
    assert len(sequential.witnesses["CanBeBad"]) == 2
    # (the counts differ: the sequential search stops inside a level once both are decided)
    assert _summary(parallel)[3:] == _summary(sequential)[3:]
    assert len(parallel.witnesses["CanBeBad"]) == 2
    assert [s.state.path for s in parallel.violation("NeverBad").trace.steps] == [0, 0, 0]


def test_a_checkpoint_of_another_fingerprint_scheme_is_refused(tmp_path):
    # Fingerprints of two schemes would not meet: the same state would be counted twice.
    breadth_first(_replication(), SAFETY, max_depth=2, checkpoint=tmp_path)
    saved = tmp_path / "current" / "run.json"
    identity = json.loads(saved.read_text())
    assert identity["fingerprint"] == native.SCHEME
    saved.write_text(json.dumps({**identity, "fingerprint": native.SCHEME - 1}))
    with pytest.raises(UsageError, match="different fingerprint"):
        breadth_first(_replication(), SAFETY, resume=tmp_path)


def _damage_empty_chunk(shard):
    next(shard.glob("chunk-*.bin")).write_bytes(b"")


def _damage_frontier_list(shard):
    state = json.loads((shard / "shard.json").read_text())
    (shard / "shard.json").write_text(json.dumps({**state, "chunks": []}))


def _damage_missing_table(shard):
    (shard / "table.bin").unlink()


def _damage_added_file(shard):
    (shard / "chunk-99.bin").write_bytes(b"\0" * 16)


@pytest.mark.parametrize("damage", [_damage_empty_chunk, _damage_frontier_list,
                                    _damage_missing_table, _damage_added_file])
def test_a_damaged_checkpoint_is_refused_not_resumed_to_a_wrong_green(tmp_path, damage,
                                                                      capsys):
    # acks=1 loses a write at depth 3: a run resumed at depth 2 from a frontier that lost
    # its states would explore nothing more and print HOLDS.  The manifest of every
    # file's size and sha256 catches the damage before any state is read.
    args = ["check", "acks1-loss", "--property", "NoAckedWriteLost", "--no-diagram"]
    saved, intact = tmp_path / "saved", tmp_path / "intact"
    assert main([*args, "--max-depth", "2", "--checkpoint", str(saved)]) == 3
    shutil.copytree(saved, intact)
    damage(saved / "current" / "shard-0")
    capsys.readouterr()
    assert main([*args, "--resume", str(saved)]) == 2
    err = capsys.readouterr().err
    assert "the checkpoint is damaged" in err and len(err.strip().splitlines()) == 1
    assert main([*args, "--resume", str(intact)]) == 1
    assert "VIOLATED: NoAckedWriteLost" in capsys.readouterr().out


def test_a_parallel_checkpoint_with_one_shard_copied_over_another_is_refused(tmp_path):
    model = _replication()
    parallel_breadth_first(model, SAFETY, workers=2, max_depth=3, checkpoint=tmp_path)
    current = tmp_path / "current"
    for path in (current / "shard-0").iterdir():
        shutil.copy(path, current / "shard-1" / path.name)
    with pytest.raises(UsageError, match="checkpoint is damaged"):
        parallel_breadth_first(_replication(), SAFETY, workers=2, resume=tmp_path)


def test_the_cli_checkpoints_and_resumes_to_the_same_result(tmp_path, capsys):
    args = ["check", "twophase", "--property", "TCConsistent", "--json"]
    assert main(args + ["--max-depth", "5", "--checkpoint", str(tmp_path)]) == 3
    capsys.readouterr()
    assert main(args + ["--resume", str(tmp_path)]) == 0
    assert '"distinct_states": 288' in capsys.readouterr().out


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_ray_actors_find_the_sequential_counts_and_verdicts_on_two_models(ray_cluster):
    from kafkacheck.explorer.ray_engine import ray_breadth_first

    seq = breadth_first(_replication(), SAFETY)
    distributed = ray_breadth_first(_replication(), SAFETY, workers=2)
    assert distributed.complete and _summary(distributed) == _summary(seq)
    seq = breadth_first(make_model("twophase", rms=4), ["TCConsistent"])
    distributed = ray_breadth_first(make_model("twophase", rms=4), ["TCConsistent"], workers=2)
    assert distributed.result == seq.result == "holds"
    assert _summary(distributed) == _summary(seq)


def test_ray_actors_shard_by_a_part_and_rebuild_counterexamples_from_every_actor(ray_cluster):
    from kafkacheck.explorer.ray_engine import ray_breadth_first

    names = [p.name for p in _controller().properties() if p.kind != "eventually"]
    seq = breadth_first(_controller(), names)
    distributed = ray_breadth_first(_controller(), names, workers=2)
    assert (distributed.distinct_states, distributed.generated_states) == (30_936, 93_866)
    assert {v.property.name: len(v.trace) for v in distributed.violations} == \
        {v.property.name: len(v.trace) for v in seq.violations} == \
        {"DeposedLeaderAcksSurvive": 4, "NoAckedWriteLost": 4}


def test_ctrl_c_stops_the_workers_and_prints_the_partial_result():
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "kafkacheck.cli", "check", "replication", "--set", "acks=all",
         "--set", "replication.factor=3", "--set", "min.insync.replicas=2",
         "--bound", "records=4", "--bound", "crashes=2", "--bound", "crash_kind=process",
         "--property", "NoAckedWriteLost", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3 and "INCOMPLETE: interrupted (Ctrl-C)" in out
    assert "Traceback" not in err


def test_a_checkpoint_is_refused_when_liveness_needs_the_state_graph(tmp_path, capsys):
    assert main(["check", "twophase", "--checkpoint", str(tmp_path)]) == 2
    assert "do not keep the state graph" in capsys.readouterr().err


def test_the_workers_inboxes_take_a_whole_batch_in_one_write():
    # A batch (256 KiB) fits the widened pipe, so the feeder thread writes it in one call
    # rather than in 64 KiB pieces that each wait for the GIL again.
    import fcntl
    import multiprocessing as mp

    from kafkacheck.explorer import parallel

    inbox = mp.get_context("fork").Queue()
    parallel._widen(inbox)
    assert fcntl.fcntl(inbox._writer.fileno(), fcntl.F_GETPIPE_SZ) == parallel.PIPE_BYTES
    assert parallel.PIPE_BYTES >= search.BATCH_BYTES
    inbox.close()
