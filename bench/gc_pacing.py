#!/usr/bin/env python3
"""What pacing Python's cyclic garbage collector saves a search (explorer/search.py: pace_gc).

Runs the sequential BFS on each case alternately with the search's pacing (the objects
that exist before the search frozen, a collection every GC_YOUNG new objects) and with
Python's default (every 700), each run in a fresh process, ``--rounds`` times, and prints
the CPU seconds of every run, their medians and the ratio.  The counts of both runs must
be equal (checked).  Alternating the runs spreads a busy neighbour over both sides.

    .venv/bin/python bench/gc_pacing.py                       # replication, controller
    .venv/bin/python bench/gc_pacing.py --case replication --rounds 5 --max-states 200000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Any

CASES: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "replication": ("replication", {"acks": "all", "replication.factor": "3",
                                    "min.insync.replicas": "2"}, {"records": 3, "crashes": 1}),
    "controller": ("controller", {"acks": "all", "min.insync.replicas": "2"},
                   {"records": 1, "crashes": 1, "isolations": 1}),
    "kafka-spec": ("kafka-spec", {}, {"variant": "kip320"}),
}


def child(case: str, paced: bool, max_states: int | None) -> dict[str, Any]:
    """One search in this process: CPU seconds and counts."""
    import time

    from kafkacheck.explorer import bfs
    from kafkacheck.testing import make_model

    if not paced:  # Python's own pace: nothing frozen, a collection every 700 objects
        bfs.pace_gc = lambda: ((700, 10, 10), False)  # type: ignore[assignment]
        bfs.restore_gc = lambda _paced: None  # type: ignore[assignment]
    name, settings, bounds = CASES[case]
    model = make_model(name, settings, **bounds)
    started = time.process_time()
    result = bfs.breadth_first(model, max_states=max_states)
    return {"cpu": time.process_time() - started, "distinct": result.distinct_states,
            "generated": result.generated_states}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-states", type=int, default=None)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1] == "paced", args.max_states)))
        return 0
    failed = False
    for case in args.case or ["replication", "controller"]:
        runs: dict[str, list[dict[str, Any]]] = {"paced": [], "default": []}
        for _ in range(args.rounds):
            for mode in runs:
                cmd = [sys.executable, __file__, "--child", case, mode]
                if args.max_states:
                    cmd += ["--max-states", str(args.max_states)]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                runs[mode].append(json.loads(out.strip().splitlines()[-1]))
        counts = {(r["distinct"], r["generated"]) for rs in runs.values() for r in rs}
        failed |= len(counts) != 1
        paced = statistics.median(r["cpu"] for r in runs["paced"])
        default = statistics.median(r["cpu"] for r in runs["default"])
        distinct, generated = next(iter(counts))
        print(f"{case}: {distinct:,} distinct, {generated:,} generated"
              f"{'' if len(counts) == 1 else ' (COUNTS DIFFER)'}")
        for mode, rs in runs.items():
            print(f"  {mode:<8} CPU s: " + ", ".join(f"{r['cpu']:.1f}" for r in rs))
        print(f"  median: paced {paced:.1f} s, default {default:.1f} s: "
              f"{default / paced:.2f}x less CPU paced")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
