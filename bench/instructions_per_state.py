#!/usr/bin/env python3
"""Instructions executed per distinct state, counted by valgrind (cachegrind).

Wall-clock timings on a shared VM vary by 20% or more from one run to the next; the
number of instructions does not.  The search runs twice under cachegrind, to depth
``--low`` and to depth ``--high``, and the difference divided by the distinct states
between them is printed (start-up and imports cancel out).  A depth limit ends both
engines on the same level, so they explore the same states: a state limit would stop
the sequential engine inside a level and the parallel one at the level's end, and the
parallel run would be charged for expanding more of its states.  With ``--workers N``
the parallel engine runs and the instructions of every process are added up.

    .venv/bin/python bench/instructions_per_state.py                       # controller
    .venv/bin/python bench/instructions_per_state.py --workers 2
    .venv/bin/python bench/instructions_per_state.py --case kafka-spec --low 8 --high 12

It needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from kafkacheck import compiled

# name, settings, bounds, properties (None: every safety property), default depths (the
# distinct states at the low and high depth are about 16,000 and 140,000 on the first two)
CASES = {
    "controller": ("controller", {"acks": "all", "min.insync.replicas": "2"},
                   {"records": 2, "crashes": 1, "isolations": 1}, None, (8, 11)),
    "replication": ("replication", {"acks": "all", "min.insync.replicas": "2",
                                    "replication.factor": "3"}, {"records": 3, "crashes": 1},
                    ["NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
                     "LeaderInIsr", "HwWithinLeo"], (9, 12)),
    "kafka-spec": ("kafka-spec", {}, {"variant": "kip320"}, ["StrongIsr"], (8, 11)),
}


def search(case: str, depth: int, workers: int, share: bool = True) -> None:
    """The measured run: print its distinct and generated counts."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.explorer.parallel import parallel_breadth_first
    from kafkacheck.testing import make_model

    name, settings, bounds, props, _depths = CASES[case]
    model = make_model(name, settings, **bounds)
    if props is None:  # every safety property (the parallel engine checks no liveness)
        props = [p.name for p in model.properties() if p.kind != "eventually"]
    if workers == 1:
        result = breadth_first(model, props, max_depth=depth)
    else:
        result = parallel_breadth_first(model, props, workers=workers, max_depth=depth,
                                        share=share)
    print(f"counts {result.distinct_states} {result.generated_states}")


def counted(case: str, depth: int, workers: int, share: bool = True) -> tuple[int, int]:
    """(instructions of every process, distinct states) of one run under cachegrind."""
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
         "--cachegrind-out-file=/dev/null", sys.executable, __file__, "--run",
         "--case", case, "--depth", str(depth), "--workers", str(workers)]
        + ([] if share else ["--unshared"]),
        capture_output=True, text=True, check=True)
    refs = sum(int(n.replace(",", "")) for n in re.findall(r"I\s+refs:\s+([\d,]+)", out.stderr))
    distinct = int(re.findall(r"^counts (\d+) \d+$", out.stdout, re.M)[-1])
    return refs, distinct


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), default="controller")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--low", type=int, help="the lower depth (default: the case's)")
    parser.add_argument("--high", type=int, help="the higher depth (default: the case's)")
    parser.add_argument("--unshared", action="store_true",
                        help="workers do not expand chunks of others (no work sharing)")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--depth", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        search(args.case, args.depth, args.workers, not args.unshared)
        return 0
    low_depth, high_depth = CASES[args.case][4]
    args.low = low_depth if args.low is None else args.low
    args.high = high_depth if args.high is None else args.high
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
    sharing = ", no work sharing" if args.unshared and args.workers > 1 else ""
    print(f"# {args.case}, {args.workers} worker(s){sharing}, {compiled.describe(load=True)}")
    low_refs, low = counted(args.case, args.low, args.workers, not args.unshared)
    high_refs, high = counted(args.case, args.high, args.workers, not args.unshared)
    print(f"depth {args.low} -> {args.high}, states {low:,} -> {high:,}: "
          f"{(high_refs - low_refs) // (high - low):,} instructions per distinct state")
    return 0


if __name__ == "__main__":
    sys.exit(main())
