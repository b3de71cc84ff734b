#!/usr/bin/env python3
"""Breadth-first search speed on the `kafka-spec` model (the TLA+ Kafka replication spec).

Runs kafkacheck's single-process BFS on each variant of the specification, each in a
fresh subprocess so that peak RSS is its own, and prints distinct states, generated
states, depth, wall and CPU seconds, distinct states per second and peak-RSS bytes per
distinct state.  Where bench/tlc/reference.json holds TLC's numbers for the same module
and invariant it prints them alongside.

Conventions: our ``depth`` counts transitions (the initial state is depth 0); TLC's
counts states (the initial state is depth 1), so TLC's depth is ours + 1.  Our
``generated`` counts distinct (action, successor) pairs; TLC also counts a successor
once more for every further disjunct or witness that yields it again (Kip279's two
follower disjuncts on an empty log, Kip320's two ISR-shrink reasons); ``--tlc-generated``
adds those in (a second pass over the state space, outside the timing).

    .venv/bin/python bench/spec_bench.py                 # all five variants
    .venv/bin/python bench/spec_bench.py --variant kip320 --property StrongIsr
    .venv/bin/python bench/spec_bench.py --constants 3,2,1,2 --symmetry --json
    .venv/bin/python bench/spec_bench.py --variant kip320 --constants 3,2,2,3 --workers 2

Default property per variant: StrongIsr for kip320 (TLC's headline run), TypeOk for the
other four (they violate StrongIsr; TypeOk holds, so the whole space is explored).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "tlc" / "reference.json"
VARIANTS = ("truncate-to-high-watermark", "kip101", "kip279", "kip320-first-try", "kip320")
MODULES = {
    "truncate-to-high-watermark": "KafkaTruncateToHighWatermark",
    "kip101": "Kip101",
    "kip279": "Kip279",
    "kip320-first-try": "Kip320FirstTry",
    "kip320": "Kip320",
}


def _rss_bytes() -> int:
    """Peak resident set size of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _current_rss_bytes() -> int:
    """Current resident set size in bytes (from /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize()
    except OSError:
        return _rss_bytes()


def child(args: argparse.Namespace) -> None:
    """Run one search in this process and print one JSON line."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.testing import make_model

    replicas, log_size, records, epochs = args.constants
    model = make_model("kafka-spec", variant=args.variant, replicas=replicas,
                       log_size=log_size, max_records=records, max_leader_epoch=epochs,
                       symmetry=int(args.symmetry))
    model.init_states()
    baseline = _current_rss_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    if args.workers > 1:
        from kafkacheck.explorer.parallel import parallel_breadth_first

        result = parallel_breadth_first(model, [args.property], workers=args.workers)
        stats = result.worker_stats
        grown = sum(s["rss_growth"] for s in stats) + max(0, _rss_bytes() - baseline)
        cpu_workers = [round(s["cpu_seconds"], 3) for s in stats]
    else:
        result = breadth_first(model, [args.property])
        grown, cpu_workers = None, None
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _rss_bytes()
    if grown is None:
        grown = peak - baseline
    out = {
        "variant": args.variant,
        "module": MODULES[args.variant],
        "constants": list(args.constants),
        "symmetry": bool(args.symmetry),
        "workers": args.workers,
        "worker_cpu_s": cpu_workers,
        "property": args.property,
        "result": result.result,
        "distinct": result.distinct_states,
        "generated": result.generated_states,
        "depth": result.depth,
        "wall_s": round(wall, 3),
        # this process's CPU seconds, and every worker's with the parallel engine
        "cpu_s": round(cpu + sum(cpu_workers or ()), 3),
        "states_per_s": round(result.distinct_states / wall) if wall else None,
        "peak_rss_bytes": peak,
        "bytes_per_state": round(grown / max(result.distinct_states, 1), 1),
        "counterexample_length": [len(v.trace) for v in result.violations if v.trace],
    }
    if args.tlc_generated and not args.symmetry:
        out["tlc_generated"] = _tlc_generated(model, result.generated_states)
    print(json.dumps(out))


def _tlc_generated(model: object, generated: int) -> int:
    """Our generated count plus TLC's repeated evaluations (a second, untimed pass)."""
    extra_of = model.tlc_repeated_successors  # type: ignore[attr-defined]
    successors = model.successors  # type: ignore[attr-defined]
    frontier = list(model.init_states())  # type: ignore[attr-defined]
    seen = set(frontier)
    extra = 0
    while frontier:
        nxt = []
        for state in frontier:
            extra += extra_of(state)
            for _action, after in successors(state):
                if after not in seen:
                    seen.add(after)
                    nxt.append(after)
        frontier = nxt
    return generated + extra


def _tlc_reference(module: str, prop: str, constants: list[int]) -> dict | None:
    """TLC's numbers for the module and invariant, if the reference file has them."""
    if constants != [3, 2, 2, 2] or not REFERENCE.exists():
        return None
    try:
        data = json.loads(REFERENCE.read_text())
        results = data.get("results", data)
        for key in (f"{module}-{prop}Patched", f"{module}-{prop}"):
            entry = results.get(key)
            if isinstance(entry, dict):
                run = entry.get("run", entry)
                return {k: run.get(k) for k in ("verdict", "distinct", "generated", "depth",
                                                "wall_s", "workers")}
    except (AttributeError, TypeError, ValueError):
        return None  # a reference file in another layout: print our numbers only
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", choices=VARIANTS,
                    help="variant to run (repeatable; default: all five)")
    ap.add_argument("--property", default=None,
                    help="invariant to check (default: StrongIsr for kip320, else TypeOk)")
    ap.add_argument("--constants", default="3,2,2,2",
                    help="Replicas,LogSize,MaxRecords,MaxLeaderEpoch (default 3,2,2,2)")
    ap.add_argument("--symmetry", action="store_true", help="also run with symmetry=1")
    ap.add_argument("--tlc-generated", action="store_true",
                    help="also compute TLC's way of counting generated states")
    ap.add_argument("--json", action="store_true", help="print one JSON object per run")
    ap.add_argument("--workers", type=int, default=1,
                    help="worker processes (sharded parallel search; bytes/state sums them)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.constants = [int(x) for x in args.constants.split(",")]
    if len(args.constants) != 4:
        ap.error("--constants needs four integers")
    if args.child:
        args.variant = args.variant[0]
        child(args)
        return

    rows = []
    for variant in args.variant or VARIANTS:
        prop = args.property or ("StrongIsr" if variant == "kip320" else "TypeOk")
        for sym in ([False, True] if args.symmetry else [False]):
            cmd = [sys.executable, __file__, "--child", "--variant", variant,
                   "--property", prop, "--constants", ",".join(map(str, args.constants))]
            if sym:
                cmd.append("--symmetry")
            cmd += ["--workers", str(args.workers)]
            if args.tlc_generated:
                cmd.append("--tlc-generated")
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.exit(f"{variant}: child failed\n{proc.stderr}")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            if not sym:
                row["tlc"] = _tlc_reference(row["module"], prop, args.constants)
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                _print_row(row, first=len(rows) == 1)


def _print_row(row: dict, first: bool) -> None:
    if first:
        print(f"{'variant':27} {'sym':3} {'property':9} {'result':8} {'distinct':>10} "
              f"{'generated':>10} {'depth':>5} {'wall s':>7} {'cpu s':>7} {'states/s':>9} "
              f"{'B/state':>7}")
    print(f"{row['variant']:27} {'yes' if row['symmetry'] else 'no':3} {row['property']:9} "
          f"{row['result']:8} {row['distinct']:>10,} {row['generated']:>10,} "
          f"{row['depth']:>5} {row['wall_s']:>7.2f} {row['cpu_s']:>7.2f} "
          f"{row['states_per_s']:>9,} {row['bytes_per_state']:>7}")
    if row.get("tlc_generated") is not None:
        print(f"{'':27}     generated as TLC counts: {row['tlc_generated']:,}")
    tlc = row.get("tlc")
    if tlc:
        print(f"{'  TLC ' + str(tlc.get('workers') or '?') + ' workers':27} {'':3} {'':9} "
              f"{str(tlc.get('verdict')):8} {tlc.get('distinct') or 0:>10,} "
              f"{tlc.get('generated') or 0:>10,} {tlc.get('depth') or 0:>5} "
              f"{tlc.get('wall_s') or 0:>7.2f}")


if __name__ == "__main__":
    main()
