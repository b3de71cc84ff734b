#!/usr/bin/env python3
"""Scaling of the sharded parallel search: 1, 2, 4, 8, 16 workers against the sequential BFS.

For each case the sequential engine runs once, then the parallel engine with each worker
count up to ``--max-workers`` (default: this machine's cores), each in a fresh process.
Every parallel run must find the sequential distinct and generated counts (checked).

Printed per run: wall seconds, wall speedup over the sequential run, the CPU seconds of
each worker (sum and max), and the CPU-normalised speedup: sequential CPU seconds over
the busiest worker's CPU seconds.  On a machine shared with other work the wall figures
mostly measure the neighbours; the CPU-normalised figure is what the run would take
with its cores to itself (the coordinator's waits aside).  ``--unshared`` also runs
the workers without work sharing (an idle worker expanding chunks a busy one has not
begun), to show what sharing gives.  Bytes per state are the sum
of every process's peak RSS growth divided by the distinct states.

    .venv/bin/python bench/parallel_scaling.py                      # every case
    .venv/bin/python bench/parallel_scaling.py --case kafka-spec --max-workers 16
    .venv/bin/python bench/parallel_scaling.py --ray                # Ray actors too
    .venv/bin/python bench/parallel_scaling.py --counts 2 --unshared --repeat 5
    .venv/bin/python bench/parallel_scaling.py --case replication --max-workers 2 --repeat 5
    .venv/bin/python bench/parallel_scaling.py --case replication-4 --counts 2 --repeat 3
    .venv/bin/python bench/parallel_scaling.py --case controller-2 --counts 2 --repeat 3

With ``--repeat N`` every configuration runs once per round, back to back, and the
medians are printed; each round's speedup compares runs made a minute apart, so a VM
whose speed drifts (this project's moves by up to 20%) moves both sides of the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from statistics import median
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
    # The composed check with 2 records and every safety property (9,086,829 states; not
    # in the default set: about 4 minutes a round with 2 workers).
    "controller-2": {
        "model": "controller",
        "settings": {"acks": "all", "min.insync.replicas": "2"},
        "bounds": {"brokers": 3, "controllers": 3, "records": 2, "crashes": 1,
                   "isolations": 1},
        "properties": None,
    },
}
# The replication case with a fourth record: 4,790,198 states, where a level's fixed costs
# (the barrier, the stragglers) weigh less (about 4 minutes a round with 2 workers).
CASES["replication-4"] = {**CASES["replication"], "bounds": {"records": 4, "crashes": 1}}
LONG_CASES = ("replication-4", "controller-2")  # not in the default set


def child(case_name: str, workers: int, engine: str) -> dict[str, Any]:
    """One run in this process; returns its figures."""
    import resource

    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.testing import make_model

    case = CASES[case_name]
    model = make_model(case["model"], case["settings"], **case["bounds"])
    props = case["properties"]
    if props is None:  # every safety property (the parallel engine checks no liveness)
        props = [p.name for p in model.properties() if p.kind != "eventually"]
    list(model.init_states())
    with open("/proc/self/statm", encoding="ascii") as fh:
        baseline = int(fh.read().split()[1]) * resource.getpagesize()
    wall, cpu = time.perf_counter(), time.process_time()
    if engine == "bfs":
        result = breadth_first(model, props)
        worker_cpu = [time.process_time() - cpu]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    elif engine == "ray":
        from kafkacheck.explorer.ray_engine import connect, ray_breadth_first

        connect("local", workers)
        wall = time.perf_counter()  # Ray's start-up is not the search
        result = ray_breadth_first(model, props, workers=workers)
        worker_cpu = [s["cpu_seconds"] for s in result.worker_stats]
        grown = sum(s["rss_growth"] for s in result.worker_stats)
    else:
        from kafkacheck.explorer.parallel import parallel_breadth_first

        result = parallel_breadth_first(model, props, workers=workers,
                                        share=engine != "unshared")
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


def summarise(seqs: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One configuration over the rounds: medians, and the speedup of each round's pair.

    Round i's run is compared with round i's sequential run (they ran back to back), so a
    VM whose speed drifts from one minute to the next moves both sides of each ratio.
    """
    walls = [r["wall_s"] for r in runs]
    ratios = [s["wall_s"] / r["wall_s"] for s, r in zip(seqs, runs, strict=True)]
    cpu_ratios = [s["worker_cpu_s"][0] / max(r["worker_cpu_s"])
                  for s, r in zip(seqs, runs, strict=True) if r["worker_cpu_s"]]
    last = runs[-1]
    return {"engine": last["engine"], "workers": last["workers"], "wall_s": median(walls),
            "speedup": median(ratios),
            "speedup_range": (min(ratios), max(ratios)),
            "cpu_sum": median([sum(r["worker_cpu_s"]) for r in runs]),
            "cpu_max": median([max(r["worker_cpu_s"], default=0) for r in runs]),
            "cpu_x": median(cpu_ratios) if cpu_ratios else float("nan"),
            "states_per_s": round(median([r["states_per_s"] for r in runs])),
            "bytes_per_state": median([r["bytes_per_state"] for r in runs]),
            "same": all((r["distinct"], r["generated"]) == (seqs[0]["distinct"],
                                                            seqs[0]["generated"])
                        for r in runs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ray", action="store_true", help="also run the Ray actors engine")
    ap.add_argument("--unshared", action="store_true",
                    help="also run the worker processes without work sharing")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds (each runs every configuration once, back to back); "
                         "medians and ranges are printed")
    ap.add_argument("--counts", help="worker counts to run, comma-separated (default: "
                    "1, 2, 4, 8 and 16 up to --max-workers)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        case, workers, engine = args.child
        print(json.dumps(child(case, int(workers), engine)))
        return 0
    if args.repeat < 1 or args.max_workers < 1:
        print("error: --repeat and --max-workers must be at least 1", file=sys.stderr)
        return 2
    try:
        wanted = [int(n) for n in args.counts.split(",")] if args.counts else [1, 2, 4, 8, 16]
    except ValueError:
        print(f"error: --counts takes numbers separated by commas, not {args.counts!r}",
              file=sys.stderr)
        return 2
    counts = [n for n in wanted if 1 <= n <= args.max_workers]
    configs = [(n, "parallel") for n in counts] + ([(n, "ray") for n in counts]
                                                   if args.ray else [])
    configs += [(n, "unshared") for n in counts if n > 1] if args.unshared else []
    load = os.getloadavg()[0]
    print(f"# kafkacheck parallel scaling: Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {load:.1f} at start, "
          f"{compiled.describe(load=True)}, {args.repeat} round(s)")
    failed = False
    for case in args.case or [name for name in CASES if name not in LONG_CASES]:
        seqs: list[dict[str, Any]] = []
        runs: dict[tuple[int, str], list[dict[str, Any]]] = {c: [] for c in configs}
        for _ in range(args.repeat):
            seqs.append(run_child(case, 1, "bfs"))
            if args.json:  # each run as it ends: a run cut short keeps what finished
                print(json.dumps(seqs[-1]), flush=True)
            for n, engine in configs:
                runs[(n, engine)].append(run_child(case, n, engine))
                if args.json:
                    print(json.dumps(runs[(n, engine)][-1]), flush=True)
        seq = seqs[0]
        rows = [summarise(seqs, seqs)] + [summarise(seqs, runs[c]) for c in configs]
        print(f"\n## {case}: {seq['distinct']:,} distinct, {seq['generated']:,} generated, "
              f"depth {seq['depth']}, {seq['result']}")
        spread = args.repeat > 1
        print(f"{'engine':<10}{'workers':>8}{'wall s':>9}{'wall x':>8}"
              + (f"{'x range':>12}" if spread else "")
              + f"{'cpu sum':>9}{'cpu max':>9}{'cpu x':>7}{'states/s':>10}{'per wkr':>9}"
              f"{'B/state':>9}  same counts")
        for row in rows:
            failed |= not row["same"]
            low, high = row["speedup_range"]
            print(f"{row['engine']:<10}{row['workers']:>8}{row['wall_s']:>9.2f}"
                  f"{row['speedup']:>8.2f}"
                  + (f"{f'{low:.2f}-{high:.2f}':>12}" if spread else "")
                  + f"{row['cpu_sum']:>9.2f}{row['cpu_max']:>9.2f}{row['cpu_x']:>7.2f}"
                  f"{row['states_per_s']:>10,}{row['states_per_s'] // row['workers']:>9,}"
                  f"{row['bytes_per_state']:>9.1f}  {'yes' if row['same'] else 'NO'}")
    if args.repeat > 1:
        print("\nmedians over the rounds; 'wall x' is the median of each round's "
              "sequential wall over that round's run ('x range': lowest-highest)")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
