#!/usr/bin/env python3
"""Scaling of the sharded parallel search: 1, 2, 4, 8, 16 workers against the sequential BFS.

For each case the sequential engine runs once, then the parallel engine with each worker
count up to ``--max-workers`` (default: this machine's cores), each in a fresh process.
Every parallel run must find the sequential distinct and generated counts (checked).

Printed per run: wall seconds, wall speedup over the sequential run, the CPU seconds of
each worker (sum and max), and the CPU-normalised speedup: sequential CPU seconds over
the busiest worker's CPU seconds.  On a machine shared with other work the wall figures
mostly measure the neighbours; the CPU-normalised figure is what the run would take
with its cores to itself (the coordinator's waits aside).  Bytes per state are the sum
of every process's peak RSS growth divided by the distinct states.

    .venv/bin/python bench/parallel_scaling.py                      # every case
    .venv/bin/python bench/parallel_scaling.py --case kafka-spec --max-workers 16
    .venv/bin/python bench/parallel_scaling.py --ray                # Ray actors too
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

from kafkacheck import compiled

CASES: dict[str, dict[str, Any]] = {
    "replication": {
        "model": "replication",
        "settings": {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"},
        "bounds": {"records": 3, "crashes": 1},
        "properties": ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
                       "LeaderInIsr", "HwWithinLeo"],
    },
    "kafka-spec": {
        "model": "kafka-spec", "settings": {}, "bounds": {"variant": "kip320"},
        "properties": ["StrongIsr"],
    },
    "controller": {
        "model": "controller",
        "settings": {"acks": "all", "min.insync.replicas": "2"},
        "bounds": {"brokers": 3, "controllers": 3, "records": 1, "crashes": 1,
                   "isolations": 1},
        "properties": ["OneActiveControllerPerEpoch", "EpochsOnlyGrow",
                       "DeposedLeaderAcksSurvive", "NoAckedWriteLost", "ReplicasAgreeBelowHw"],
    },
}


def child(case_name: str, workers: int, engine: str) -> dict[str, Any]:
    """One run in this process; returns its figures."""
    import resource

    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.testing import make_model

    case = CASES[case_name]
    model = make_model(case["model"], case["settings"], **case["bounds"])
    list(model.init_states())
    with open("/proc/self/statm", encoding="ascii") as fh:
        baseline = int(fh.read().split()[1]) * resource.getpagesize()
    wall, cpu = time.perf_counter(), time.process_time()
    if engine == "bfs":
        result = breadth_first(model, case["properties"])
        worker_cpu = [time.process_time() - cpu]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    elif engine == "ray":
        from kafkacheck.explorer.ray_engine import connect, ray_breadth_first

        connect("local", workers)
        wall = time.perf_counter()  # Ray's start-up is not the search
        result = ray_breadth_first(model, case["properties"], workers=workers)
        worker_cpu = [s["cpu_seconds"] for s in result.worker_stats]
        grown = sum(s["rss_growth"] for s in result.worker_stats)
    else:
        from kafkacheck.explorer.parallel import parallel_breadth_first

        result = parallel_breadth_first(model, case["properties"], workers=workers)
        worker_cpu = [s["cpu_seconds"] for s in result.worker_stats]
        grown = sum(s["rss_growth"] for s in result.worker_stats)
    wall = time.perf_counter() - wall
    return {"case": case_name, "engine": engine, "workers": workers, "result": result.result,
            "distinct": result.distinct_states, "generated": result.generated_states,
            "depth": result.depth, "wall_s": round(wall, 2),
            "worker_cpu_s": [round(c, 2) for c in worker_cpu],
            "states_per_s": round(result.distinct_states / wall) if wall else 0,
            "bytes_per_state": round(grown / max(result.distinct_states, 1), 1)}


def run_child(case: str, workers: int, engine: str) -> dict[str, Any]:
    """A run in a fresh process (its memory is its own)."""
    cmd = [sys.executable, __file__, "--child", case, str(workers), engine]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{case} x{workers} ({engine}) failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ray", action="store_true", help="also run the Ray actors engine")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        case, workers, engine = args.child
        print(json.dumps(child(case, int(workers), engine)))
        return 0
    counts = [n for n in (1, 2, 4, 8, 16) if n <= args.max_workers]
    load = os.getloadavg()[0]
    print(f"# kafkacheck parallel scaling: Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {load:.1f} at start, "
          f"{compiled.describe(load=True)}")
    failed = False
    for case in args.case or list(CASES):
        seq = run_child(case, 1, "bfs")
        rows = [seq] + [run_child(case, n, "parallel") for n in counts]
        if args.ray:
            rows += [run_child(case, n, "ray") for n in counts]
        print(f"\n## {case}: {seq['distinct']:,} distinct, {seq['generated']:,} generated, "
              f"depth {seq['depth']}, {seq['result']}")
        print(f"{'engine':<10}{'workers':>8}{'wall s':>9}{'wall x':>8}{'cpu sum':>9}"
              f"{'cpu max':>9}{'cpu x':>7}{'states/s':>10}{'per wkr':>9}{'B/state':>9}"
              "  same counts")
        for row in rows:
            cpus = row["worker_cpu_s"]
            same = (row["distinct"], row["generated"]) == (seq["distinct"], seq["generated"])
            failed |= not same
            cpu_x = seq["worker_cpu_s"][0] / max(cpus) if cpus else float("nan")
            print(f"{row['engine']:<10}{row['workers']:>8}{row['wall_s']:>9.2f}"
                  f"{seq['wall_s'] / row['wall_s']:>8.2f}{sum(cpus):>9.2f}"
                  f"{max(cpus, default=0):>9.2f}{cpu_x:>7.2f}{row['states_per_s']:>10,}"
                  f"{row['states_per_s'] // row['workers']:>9,}"
                  f"{row['bytes_per_state']:>9}  {'yes' if same else 'NO'}")
            if args.json:
                print(json.dumps(row))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
