#!/usr/bin/env python3
"""The composed check: replication + KRaft controller, 3 brokers, a crash and an isolation.

Runs kafkacheck's breadth-first search on the ``controller`` model (3 nodes that are
each broker and controller, one partition replicated on all three) with one crash and
one isolation in the fault budget, and prints, per configuration, the verdict of every
property, distinct states, depth, seconds and states per second.

    .venv/bin/python bench/controller_composed.py              # records=1: about a minute
    .venv/bin/python bench/controller_composed.py --records 2  # about 15 minutes on one core
    .venv/bin/python bench/controller_composed.py --json
    .venv/bin/python bench/controller_composed.py --records 2 --workers 2 --only-safe
    .venv/bin/python bench/controller_composed.py --crashes 0 --isolations 0 \
        --restarts 1 --disk-losses 1 --isr-updates in-flight  # issue 21: 233,104 states

Measured on the 2-core development machine: records=1, acks=all/min.insync.replicas=2
holds over 794,623 states (depth 31); records=2 holds over 9,086,829 states
(depth 35; with 2 workers on the idle machine: 458 s from source, 880 worker CPU-s;
255-275 s with the compiled build, 484-523 worker CPU-s; 232-249 s once the native core
kept the digests and packed bytes of shared parts, 437-473 worker CPU-s; 155-180 s in
three runs once workers owned states by their brokers' metadata, 290-337 worker CPU-s;
68-69 bytes/state; on the faster machine of 2026-12-02, with each received state
unpacked once: 102-105 s, 195-197 worker CPU-s, against 143.3 s for one process);
acks=1 violates DeposedLeaderAcksSurvive and NoAckedWriteLost with a 4-step
counterexample in both.  Issue 21's composition (AlterPartition in flight, one disk loss
with its restart; the disk loss of the active controller's node fails the controller
over) holds over 233,104 states (depth 29); adding an isolation of another node on top
did not finish (more than 7.4 million states at depth 15).

The same checks from the command line:

    kafkacheck check controller --set acks=all --set min.insync.replicas=2 \\
        --bound records=1 --bound crashes=1 --bound isolations=1
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from kafkacheck import compiled
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.parallel import parallel_breadth_first
from kafkacheck.testing import make_model

CONFIGS = (
    ("acks=all, min.insync.replicas=2", {"acks": "all", "min.insync.replicas": "2"}),
    ("acks=1", {"acks": "1"}),
)


def _current_rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def run(label: str, settings: dict[str, str], bounds: dict[str, object],
        max_seconds: float | None, workers: int = 1) -> dict[str, object]:
    """Check one configuration and return its figures (with several workers the liveness
    properties are left out: they need the whole graph in one process)."""
    model = make_model("controller", settings, **bounds)
    baseline = _current_rss()
    started, cpu = time.monotonic(), time.process_time()
    if workers > 1:
        names = [p.name for p in model.properties() if p.kind != "eventually"]
        result = parallel_breadth_first(model, names, workers=workers, max_seconds=max_seconds)
        worker_cpu = [round(s["cpu_seconds"], 1) for s in result.worker_stats]
        grown = sum(s["rss_growth"] for s in result.worker_stats)
    else:
        result = breadth_first(model, max_seconds=max_seconds)
        worker_cpu = [round(time.process_time() - cpu, 1)]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    seconds = time.monotonic() - started
    verdicts = {p.name: result.verdict(p) for p in result.properties}
    shortest = {v.name: len(v.trace) for v in result.violations if v.trace is not None}
    return {
        "config": label,
        "settings": settings,
        "bounds": bounds,
        "result": result.result,
        "complete": result.complete,
        "distinct_states": result.distinct_states,
        "generated_states": result.generated_states,
        "depth": result.depth,
        "seconds": round(seconds, 1),
        "workers": workers,
        "worker_cpu_seconds": worker_cpu,
        "bytes_per_state": round(grown / max(result.distinct_states, 1), 1),
        "states_per_second": round(result.distinct_states / seconds) if seconds else 0,
        "verdicts": verdicts,
        "counterexample_lengths": shortest,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the composed checks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1)
    parser.add_argument("--crashes", type=int, default=1)
    parser.add_argument("--isolations", type=int, default=1)
    parser.add_argument("--restarts", type=int, default=None)
    parser.add_argument("--disk-losses", type=int, default=0)
    parser.add_argument("--isr-updates", choices=("atomic", "in-flight"), default="atomic")
    parser.add_argument("--max-seconds", type=float, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=int, default=1,
                        help="sharded parallel search (liveness properties left out)")
    parser.add_argument("--only-safe", action="store_true",
                        help="only the acks=all, min.insync.replicas=2 configuration")
    args = parser.parse_args(argv)
    bounds = {"brokers": 3, "controllers": 3, "records": args.records,
              "crashes": args.crashes, "isolations": args.isolations}
    if args.restarts is not None:
        bounds["restarts"] = args.restarts
    if args.disk_losses or args.isr_updates != "atomic":
        bounds.update(disk_losses=args.disk_losses, isr_updates=args.isr_updates)
    configs = CONFIGS[:1] if args.only_safe else CONFIGS
    rows = [run(label, settings, bounds, args.max_seconds, args.workers)
            for label, settings in configs]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if args.json:
        print(json.dumps({"rows": rows, "peak_rss_bytes": peak,
                          "build": compiled.describe(load=True)}, indent=2))
        return 0
    print("composed check: controller model (KRaft, 3 combined broker+controller nodes, "
          "1 partition, RF=3)")
    print("bounds: " + ", ".join(f"{k}={v}" for k, v in bounds.items()))
    print(compiled.describe(load=True))
    for row in rows:
        print(f"\n{row['config']}: {row['result']} "
              f"({'complete' if row['complete'] else 'incomplete'}) - "
              f"{row['distinct_states']:,} distinct states, {row['generated_states']:,} "
              f"generated, depth {row['depth']}, {row['seconds']} s, "
              f"{row['states_per_second']:,} states/s, {row['workers']} worker(s), CPU s "
              f"{row['worker_cpu_seconds']}, {row['bytes_per_state']} bytes/state")
        lengths = row["counterexample_lengths"]
        for name, verdict in row["verdicts"].items():
            extra = f" (counterexample of {lengths[name]} steps)" if name in lengths else ""
            print(f"  {verdict:<9} {name}{extra}")
    print(f"\npeak RSS {peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
