#!/usr/bin/env python3
"""Instructions executed per distinct state, counted by valgrind (cachegrind).

Wall-clock timings on a shared VM vary by 20% or more from one run to the next; the
number of instructions does not.  The search runs twice under cachegrind, to ``--low``
and to ``--high`` distinct states, and the difference divided by the states between
them is printed (start-up and imports cancel out).  With ``--workers N`` the parallel
engine runs and the instructions of every process are added up (a level is always
finished, so the state counts overshoot; the printed states are the real ones).

    .venv/bin/python bench/instructions_per_state.py                       # controller
    .venv/bin/python bench/instructions_per_state.py --workers 2
    .venv/bin/python bench/instructions_per_state.py --case kafka-spec --low 50000 --high 250000

It needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from kafkacheck import compiled

CASES = {
    "controller": ("controller", {"acks": "all", "min.insync.replicas": "2"},
                   {"records": 2, "crashes": 1, "isolations": 1}, None),
    "replication": ("replication", {"acks": "all", "min.insync.replicas": "2",
                                    "replication.factor": "3"}, {"records": 3, "crashes": 1},
                    ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
                     "LeaderInIsr", "HwWithinLeo"]),
    "kafka-spec": ("kafka-spec", {}, {"variant": "kip320"}, ["StrongIsr"]),
}


def search(case: str, states: int, workers: int) -> None:
    """The measured run: print its distinct and generated counts."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.explorer.parallel import parallel_breadth_first
    from kafkacheck.testing import make_model

    name, settings, bounds, props = CASES[case]
    model = make_model(name, settings, **bounds)
    if props is None:  # every safety property (the parallel engine checks no liveness)
        props = [p.name for p in model.properties() if p.kind != "eventually"]
    if workers == 1:
        result = breadth_first(model, props, max_states=states)
    else:
        result = parallel_breadth_first(model, props, workers=workers, max_states=states)
    print(f"counts {result.distinct_states} {result.generated_states}")


def counted(case: str, states: int, workers: int) -> tuple[int, int]:
    """(instructions of every process, distinct states) of one run under cachegrind."""
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
         "--cachegrind-out-file=/dev/null", sys.executable, __file__, "--run",
         "--case", case, "--states", str(states), "--workers", str(workers)],
        capture_output=True, text=True, check=True)
    refs = sum(int(n.replace(",", "")) for n in re.findall(r"I\s+refs:\s+([\d,]+)", out.stderr))
    distinct = int(re.findall(r"^counts (\d+) \d+$", out.stdout, re.M)[-1])
    return refs, distinct


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), default="controller")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--low", type=int, default=20_000)
    parser.add_argument("--high", type=int, default=150_000)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--states", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        search(args.case, args.states, args.workers)
        return 0
    if not 0 < args.low < args.high:
        print("error: --low must be positive and below --high", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if shutil.which("valgrind") is None:
        print("error: valgrind is not installed (Debian: apt-get install valgrind)",
              file=sys.stderr)
        return 2
    print(f"# {args.case}, {args.workers} worker(s), {compiled.describe(load=True)}")
    low_refs, low = counted(args.case, args.low, args.workers)
    high_refs, high = counted(args.case, args.high, args.workers)
    print(f"states {low:,} -> {high:,}: {(high_refs - low_refs) // (high - low):,} "
          "instructions per distinct state")
    return 0


if __name__ == "__main__":
    sys.exit(main())
