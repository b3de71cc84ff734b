"""Benchmark of the explorer: distinct states/s, transitions/s and bytes per state.

Each case runs in a fresh process so that its peak memory is its own.  Bytes per
state is the growth of peak RSS during the search divided by the distinct states
(it includes the visited-fingerprint table, the frontier and the parent links).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import platform
import resource
import time
from typing import Any

from kafkacheck import compiled

CASES: list[dict[str, Any]] = [
    {"name": "twophase-7rm", "model": "twophase", "settings": {}, "bounds": {"rms": 7},
     "properties": ["TCConsistent"],
     "quick": True},
    {"name": "replication-acks-all-3-records", "model": "replication",
     "settings": {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"},
     "bounds": {"records": 3, "crashes": 1},
     "properties": ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
                    "LeaderInIsr", "HwWithinLeo"], "quick": True},
    {"name": "kafka-spec-kip320-strongisr", "model": "kafka-spec", "settings": {},
     "bounds": {"variant": "kip320"}, "properties": ["StrongIsr"], "quick": False},
]


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _run_case(case: dict[str, Any], queue: Any) -> None:
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.testing import make_model

    try:
        model = make_model(case["model"], case["settings"], **case["bounds"])
    except Exception as exc:  # a case that no longer builds: a failure, never a quiet skip
        queue.put({"name": case["name"], "error": f"{type(exc).__name__}: {exc}"})
        return
    before = _peak_rss_bytes()
    started = time.perf_counter()
    result = breadth_first(model, case.get("properties", ()))
    seconds = time.perf_counter() - started
    after = _peak_rss_bytes()
    queue.put({
        "name": case["name"],
        "model": case["model"],
        "bounds": case["bounds"],
        "result": result.result,
        "distinct_states": result.distinct_states,
        "generated_states": result.generated_states,
        "depth": result.depth,
        "seconds": round(seconds, 3),
        "states_per_second": round(result.distinct_states / seconds),
        "transitions_per_second": round(result.generated_states / seconds),
        "bytes_per_state": round((after - before) / max(result.distinct_states, 1)),
    })


def measure(case: dict[str, Any]) -> dict[str, Any]:
    """Run one case in a fresh process and return its figures."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_case, args=(case, queue))
    proc.start()
    figures = queue.get()
    proc.join()
    return figures


def run_bench(as_json: bool = False, quick: bool = False) -> int:
    """Run the benchmark cases and print the figures; returns an exit code (1 when a case
    could not run: its figures are missing, so the bench did not measure what it lists)."""
    rows = [measure(case) for case in CASES if case["quick"] or not quick]
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": mp.cpu_count(), "build": compiled.describe(load=True), "cases": rows}
    code = 1 if any("error" in row for row in rows) else 0
    if as_json:
        print(json.dumps(info, indent=2))
        return code
    print(f"kafkacheck bench: Python {info['python']}, {info['cpus']} CPUs, {info['build']}")
    header = f"{'case':<34}{'distinct':>10}{'generated':>11}{'depth':>6}{'sec':>8}" \
             f"{'states/s':>10}{'trans/s':>10}{'B/state':>9}"
    print(header)
    for row in rows:
        if "error" in row:
            print(f"{row['name']:<34} FAILED: {row['error']}")
            continue
        print(f"{row['name']:<34}{row['distinct_states']:>10,}{row['generated_states']:>11,}"
              f"{row['depth']:>6}{row['seconds']:>8.2f}{row['states_per_second']:>10,}"
              f"{row['transitions_per_second']:>10,}{row['bytes_per_state']:>9,}")
    return code
