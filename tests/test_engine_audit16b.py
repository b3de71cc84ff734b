"""Audit 16b (the search engines' honesty, audit 16's leftovers): --max-seconds holds in the
sharded engines and a Ray actor that fails or hangs ends the run, the resume digest covers
the configuration code, a resumed run's result line says so, and the parallel engine's
"spilled to disk" figure is the bytes it wrote."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from kafkacheck import catalogue, config
from kafkacheck.cli import _exit_code, main
from kafkacheck.config import build_config
from kafkacheck.explorer import parallel, search
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.explorer.render import summary_line
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import always
from kafkacheck.testing import make_model

SAFETY = ["NoAckedWriteLost", "ReplicasAgreeBelowHw", "HwWithinLeo"]


def _replication():
    return make_model("replication", {"acks": "1", "replication.factor": "3"}, records=2,
                      crashes=1)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kafkacheck: error: "), err
    return err


# -- 1: --max-seconds and failed actors in the sharded engines -------------------------------


class Link(NamedTuple):
    side: int
    n: int


class SlowChains(Model):
    """Two chains of 200 links, one state per chain and level; each expansion takes 20 ms:
    no worker ever expands the 1,024 states after which it reads the deadline."""

    name = "slow-chains"
    bounds = ()

    def init_states(self):
        return [Link(0, 0), Link(1, 0)]

    def successors(self, state):
        time.sleep(0.02)
        if state.n < 200:
            yield ("Next",), Link(state.side, state.n + 1)

    def properties(self):
        return [always("Short", "a chain has at most 200 links", lambda s: s.n <= 200)]


def test_the_parallel_search_stops_at_the_time_limit_between_small_levels():
    # It read the deadline only inside a level, every 1,024 states: with small levels the
    # run went on to its end (HOLDS after 4 s of --max-seconds 1).
    started = time.monotonic()
    result = parallel_breadth_first(SlowChains(build_config(SlowChains)), ["Short"],
                                    workers=2, max_seconds=1)
    assert time.monotonic() - started < 3
    assert (result.result, result.stop_reason) == ("incomplete", "time limit reached")
    assert 0 < result.depth < 200 and result.distinct_states == 2 * (result.depth + 1)
    assert _exit_code(result) == 3
    assert summary_line(result).startswith("INCOMPLETE: time limit reached (")


_RAY_SCRIPT = """
import os, signal, sys, threading, time
from typing import NamedTuple

import ray

from kafkacheck.cli import _exit_code
from kafkacheck.config import build_config
from kafkacheck.explorer import native, parallel
from kafkacheck.explorer.ray_engine import ray_breadth_first
from kafkacheck.explorer.render import summary_line
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import always

parallel.STOP_GRACE = 0.5
DRIVER = os.getpid()  # a rebuild of traces runs the model here: only an actor dies
# Two chains whose states two actors own apart (the hash decides: found, not assumed).
FIRST = native.fingerprint(0) % 2
SIDES = (0, next(k for k in range(1, 64) if native.fingerprint(k) % 2 != FIRST))


class Link(NamedTuple):
    side: int  # the part that decides the owner
    n: int


class Chains(Model):
    name = "chains"
    bounds = ()
    shard_part = "side"
    mode = "ok"

    def init_states(self):
        return [Link(side, 0) for side in SIDES]

    def successors(self, state):
        if state.side == SIDES[1] and state.n == 3:  # in the second side's owner only
            if self.mode == "raise":
                raise MemoryError("simulated failure in one actor")
            if self.mode in ("die", "found") and os.getpid() != DRIVER:
                os._exit(1)
            if self.mode == "hang":
                time.sleep(600)
        if self.mode == "slow":
            time.sleep(0.02)
        if state.n < 200:
            yield ("Next",), Link(state.side, state.n + 1)

    def properties(self):
        return [always("Short", "a chain has at most 200 links", lambda s: s.n <= 200),
                always("NotTwo", "no chain has 2 links", lambda s: s.n != 2)]


class Fan(NamedTuple):
    n: int
    k: int


class Wide(Model):  # one state, 40,000 successors, each slow: a level of about 10 s

    name = "wide"
    bounds = ()

    def init_states(self):
        return [Fan(0, 0)]

    mark = ""  # a file an actor creates once it expands the slow level
    begun = False

    def successors(self, state):
        if state.n == 0:
            for k in range(40000):
                yield ("Fan",), Fan(1, k)
        elif state.n == 1:
            if self.mark and not self.begun:
                self.begun = True
                open(self.mark, "w").close()
            time.sleep(0.0005)
            yield ("Next",), Fan(2, state.k)

    def properties(self):
        return [always("Fine", "nothing goes wrong", lambda s: True),
                always("NotOne", "no state is at depth 1", lambda s: s.n != 1)]


FIRED = []


def ctrl_c_into_the_level(mark, seconds):
    # Ctrl-C once an actor has expanded the slow level for a while (a fixed delay from the
    # start fell before the actors existed when the machine was loaded).
    def fire():
        while not os.path.exists(mark):
            time.sleep(0.01)
        time.sleep(seconds)
        FIRED.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=fire, daemon=True).start()


ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
print("OWNER", FIRST ^ 1)
for mode in sys.argv[1:]:
    model = Chains(build_config(Chains))
    model.mode = mode
    started = time.monotonic()
    if mode == "interrupt":
        model = Wide(build_config(Wide))
        model.mark = os.path.join(sys.argv[0] + ".level-begun")
        ctrl_c_into_the_level(model.mark, 1)
    try:
        names = {"found": ["Short", "NotTwo"], "interrupt": ["Fine", "NotOne"]}.get(
            mode, ["Short"])
        result = ray_breadth_first(model, names, workers=2,
                                   max_seconds=1 if mode in ("hang", "slow") else None)
        print(mode, "RESULT", _exit_code(result), result.depth, summary_line(result))
        print(mode, "FOUND", [(v.name, len(v.trace)) for v in result.violations])
    except RuntimeError as exc:
        print(mode, "RAISED", exc)
    except BaseException as exc:
        print(mode, "OTHER", type(exc).__name__, " ".join(str(exc).split())[:200])
    print(mode, "SECONDS", round(time.monotonic() - (FIRED[0] if mode == "interrupt"
                                                     else started), 1), flush=True)
ray.shutdown()
"""


@pytest.mark.thorough  # one local Ray cluster and seven runs: about 15 s
def test_a_ray_run_ends_at_the_time_limit_and_when_an_actor_fails_dies_or_hangs(tmp_path):
    # The driver waited in ray.get with no limit: an actor stuck in the model held the run
    # forever, small levels ran past --max-seconds to HOLDS, and an actor's error came out
    # as Ray's multi-line RayTaskError of the actor that took its result.  (One script,
    # one local cluster, as the Ray tests of test_engine_sharded start; classes of
    # __main__ reach the actors by value.)
    pytest.importorskip("ray")
    script = tmp_path / "ray_actors.py"
    script.write_text(textwrap.dedent(_RAY_SCRIPT))
    try:
        done = subprocess.run([sys.executable, str(script), "ok", "raise", "die", "found",
                               "hang", "slow", "interrupt"], capture_output=True, text=True,
                              timeout=150, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("a Ray run with a failed or hung actor did not end within 150 s")
    lines = {tuple(line.split(" ", 2)[:2]): line.split(" ", 2)[2]
             for line in done.stdout.splitlines() if line.count(" ") >= 2}
    owner = done.stdout.split("OWNER ")[1].split()[0]
    assert lines[("ok", "RESULT")].startswith("0 200 HOLDS within the bounds"), done.stdout
    # A failed actor ends the run as incomplete with the counts of the last level every
    # actor finished (levels 0-2: 8 states), exit 3 (tests/test_worker_failure_is_incomplete).
    finished = "(8 distinct states, 8 generated, depth 3, "
    assert lines[("raise", "RESULT")].startswith(
        f"3 3 INCOMPLETE: ray actor {owner} failed: MemoryError: simulated failure in one "
        f"actor {finished}"), done.stdout
    assert lines[("die", "RESULT")].startswith(
        f"3 3 INCOMPLETE: ray actor {owner} failed: the actor died (The actor died "
        f"unexpectedly before finishing this task.) {finished}"), done.stdout
    # What was found before the actor died is reported, its trace rebuilt in the driver
    # (tests/test_worker_failure_is_incomplete.py does the same with worker processes).
    died = ("the actor died (The actor died unexpectedly before finishing this task.)")
    assert lines[("found", "RESULT")].startswith(f"1 3 VIOLATED: NotTwo {finished}"), \
        done.stdout
    assert lines[("found", "RESULT")].endswith(
        f"; search stopped: ray actor {owner} failed: {died})"), done.stdout
    assert lines[("found", "FOUND")] == "[('NotTwo', 2)]", done.stdout
    assert lines[("hang", "RESULT")].startswith(
        f"3 3 INCOMPLETE: ray actor {owner} failed: did not end its level within 1s after "
        f"the time limit {finished}"), done.stdout
    # the time limit (1 s) and twice the grace (0.5 s here), then the actors are killed
    assert 2 < float(lines[("hang", "SECONDS")]) < 15
    code, depth, line = lines[("slow", "RESULT")].split(" ", 2)
    assert code == "3" and line.startswith("INCOMPLETE: time limit reached ("), line
    assert 0 < int(depth) < 200 and float(lines[("slow", "SECONDS")]) < 10
    # Ctrl-C 1 s after an actor began a level of about 10 s, with a finding to report: the
    # actors end the level at once (the driver waited for them to finish it before it could
    # read the trace's parent links from them)
    assert lines[("interrupt", "RESULT")].startswith(
        "1 1 VIOLATED: NotOne (40,001 distinct states, 40,001 generated, depth 1, "), done.stdout
    assert lines[("interrupt", "RESULT")].endswith("; search stopped: interrupted (Ctrl-C))")
    assert lines[("interrupt", "FOUND")] == "[('NotOne', 1)]"
    assert float(lines[("interrupt", "SECONDS")]) < 4, done.stdout  # after the Ctrl-C


# -- 2: the resume digest covers the configuration code --------------------------------------


def test_the_code_identity_covers_the_configuration_code():
    names = {name for name, _path in search.code_files()}
    assert {"kafkacheck/config.py", "kafkacheck.catalogue/__init__.py",
            "kafkacheck.catalogue/kafka-4.4.json", "kafkacheck.model/settings.py"} <= names


@pytest.mark.parametrize("changed", [Path(config.__file__),
                                     catalogue.HERE / f"kafka-{catalogue.DEFAULT_VERSION}.json"])
def test_a_checkpoint_written_before_the_configuration_code_changed_is_refused(
        changed, tmp_path, monkeypatch, capsys):
    # config.py parses the settings and bounds a run means (the catalogue checks their
    # values): a checkpoint was resumed after a change there as if nothing had changed.
    args = ["check", "acks-all-safe", "--property", "NoAckedWriteLost"]
    assert main([*args, "--max-depth", "3", "--checkpoint", str(tmp_path)]) == 3
    before = search.package_code()
    path = changed.resolve()
    read = Path.read_bytes

    def edited(self: Path) -> bytes:  # as after an edit of the file (a git pull)
        data = read(self)
        return data + b"\n" if self.resolve() == path else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    monkeypatch.setattr(search, "_package_code", [])  # worked out again, as a new process
    assert search.package_code() != before
    capsys.readouterr()
    assert main([*args, "--resume", str(tmp_path)]) == 2
    assert "the checkpoint was written by other kafkacheck code" in _one_line_error(capsys)


# -- 3: a resumed run's result line says so --------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_result_line_of_a_resumed_run_names_the_checkpoint_and_its_depth(
        workers, tmp_path, capsys):
    # Only a note in the middle of the report said that two processes made the result.
    args = ["check", "twophase", "--property", "TCConsistent", "--workers", workers]
    assert main([*args, "--max-depth", "5", "--checkpoint", str(tmp_path)]) == 3
    first = capsys.readouterr().out.splitlines()
    assert not any("resumed" in line for line in first)
    assert main([*args, "--resume", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    summary = next(line for line in out.splitlines() if line.startswith("HOLDS"))
    assert re.fullmatch(r"HOLDS within the bounds, with no fault injected \(288 distinct "
                        r"states, 762 generated, depth 10, \d+\.\d\ds; resumed from "
                        + re.escape(str(tmp_path)) + r" at depth 5; exploration complete; "
                        r"fingerprint collision probability 2\.2e-15\)", summary), summary
    assert main([*args, "--resume", str(tmp_path), "--max-states", "100", "--json"]) == 3
    run = json.loads(capsys.readouterr().out)
    assert run["notes"][0].startswith(f"resumed from {tmp_path} at depth 5: ")


def test_an_incomplete_resumed_run_says_so_too(tmp_path):
    breadth_first(_replication(), SAFETY, max_depth=2, checkpoint=tmp_path)
    resumed = breadth_first(_replication(), SAFETY, resume=tmp_path, max_states=100)
    assert resumed.resumed == f"resumed from {tmp_path} at depth 2"
    assert summary_line(resumed).endswith(
        f"; resumed from {tmp_path} at depth 2; search stopped: state limit 100 reached)")
    assert breadth_first(_replication(), SAFETY, max_depth=2).resumed == ""


# -- 4: "spilled to disk" is the bytes written -----------------------------------------------


@pytest.fixture()
def written(tmp_path, monkeypatch):
    """The bytes every process (forked workers too) writes into spill folders."""
    log = tmp_path / "writes.log"
    write = Path.write_bytes

    def logged(self: Path, data: bytes) -> int:
        if "kafkacheck-frontier-" in str(self):
            with open(log, "a") as f:
                f.write(f"{os.getpid()} {len(data)}\n")
        return write(self, data)

    monkeypatch.setattr(Path, "write_bytes", logged)

    def total() -> int:
        if not log.exists():
            return 0
        count = sum(int(line.split()[1]) for line in log.read_text().splitlines())
        log.unlink()
        return count

    return total


def _spill_note(result) -> str:
    return next(n for n in result.notes if "spilled to disk" in n)


def test_the_spilled_figure_is_the_bytes_written_to_disk(monkeypatch, written):
    # The note called everything "frontier" although most of it was level-exchange
    # batches (a state received is written as a batch, then maybe in a chunk too).
    monkeypatch.setattr(search, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(search, "OBJECT_STATES", 100)

    def model():
        return make_model("twophase", rms=5)

    alone = breadth_first(model(), ["TCConsistent"], memory_budget=8192)
    alone_bytes = written()
    assert alone_bytes > 0 and _spill_note(alone) == \
        f"frontier spilled to disk: {search.size_text(alone_bytes)} past the memory budget " \
        "of 8 KiB"
    one = parallel_breadth_first(model(), ["TCConsistent"], workers=1, memory_budget=8192)
    assert written() == alone_bytes == sum(s["spilled"] for s in one.worker_stats)
    two = parallel_breadth_first(model(), ["TCConsistent"], workers=2, memory_budget=8192)
    assert two.distinct_states == alone.distinct_states == 8832
    total = written()
    assert sum(s["spilled"] for s in two.worker_stats) == total
    exchange = sum(s["spilled_exchange"] for s in two.worker_stats)
    assert 0 < exchange < total
    size = search.size_text
    assert _spill_note(two) == (
        f"frontier spilled to disk: {size(total - exchange)}, level-exchange batches "
        f"{size(exchange)}: {size(total)} written in all past the memory budget of 8 KiB "
        "(4 KiB in each of 2 workers, with its level exchange)")


def test_level_exchange_batches_written_without_a_memory_budget_are_counted(monkeypatch,
                                                                           written):
    # Past EXCHANGE_BYTES a worker's level exchange goes to disk; without --memory-budget
    # those bytes were counted nowhere and the run said nothing about them.
    monkeypatch.setattr(parallel, "EXCHANGE_BYTES", 4096)
    run = parallel_breadth_first(_replication(), SAFETY, workers=2)
    total = written()
    assert total > 0
    assert sum(s["spilled"] for s in run.worker_stats) == \
        sum(s["spilled_exchange"] for s in run.worker_stats) == total
    assert _spill_note(run) == (f"level-exchange batches spilled to disk: "
                                f"{search.size_text(total)}, past the 4 KiB each worker keeps "
                                "in memory without --memory-budget")


def test_a_spill_counts_what_it_wrote_itself_apart_from_its_account():
    own = search.Spill(100)
    exchange = search.Spill(None, account=own)
    own.keep(b"x" * 60)
    kept = exchange.keep(b"y" * 60)
    try:
        assert (own.spilled, own.written, exchange.spilled, exchange.written) == (60, 0, 0, 60)
        exchange.take(kept)
    finally:
        exchange.close()
