#!/usr/bin/env python3
"""The `kip848-spec` model and TLC on the KIP-848 TLA+ spec, side by side in one run.

Runs kafkacheck's breadth-first search (in a fresh subprocess, every invariant of the
spec's cfg checked) and then TLC (``-workers 2 -deadlock``, as in bench/tlc/run_tlc.py) on
the same constants, and prints for each: verdict, distinct states, generated states, depth,
wall and CPU seconds and distinct states per wall second, then the wall-time ratio.

Conventions: TLC's depth counts states (the initial state is depth 1), ours counts
transitions, so the table shows ours + 1.  Both count a generated state per (action,
witness) evaluation, the initial state included; the spec has no two disjuncts that yield
the same successor, so the generated counts are equal too.

The spec (Vanlightly/kafka-tlaplus, MIT) is not part of this repository: pass a copy
with --spec-dir (the repository or its groupprotocol/ folder); it is copied to a scratch
folder.  Without it, or without tla2tools.jar, only our side runs (TLC's numbers pinned in
bench/tlc/reference.json are printed instead).

    .venv/bin/python bench/kip848_bench.py --spec-dir /tmp/kafka-tlaplus
    .venv/bin/python bench/kip848_bench.py --constants 2,1,1,1 --skip-tlc
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tlc"))
import run_tlc  # noqa: E402  (bench/tlc/run_tlc.py: TLC driver and output parser)

REFERENCE = HERE / "tlc" / "reference.json"
INVARIANTS = ("TypeOK", "LegalTargetAssignment", "NoDoubleClientAssignment",
              "ValidPartitionEpoch", "ValidStableGroupState", "ValidMemberEpoch")


def child(args: argparse.Namespace) -> None:
    """Run our search in this process and print one JSON line."""
    from kafkacheck.testing import make_model

    clients, topics, ppt, maxp = args.constants
    model = make_model("kip848-spec", clients=clients, topic_count=topics,
                       partitions_per_topic=ppt, max_perturbations=maxp)
    wall, cpu = time.perf_counter(), time.process_time()
    # One process only: the model's states are ids into tables of the process that made
    # them (Kip848SpecModel.process_local_states), so no parallel engine can run it.
    from kafkacheck.explorer.bfs import breadth_first

    result = breadth_first(model, list(INVARIANTS))
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    print(json.dumps({
        "verdict": result.result,
        "distinct": result.distinct_states,
        "generated": result.generated_states,
        "depth": result.depth + 1,  # as TLC counts it
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "engine": "bfs",
    }))


def ours(args: argparse.Namespace) -> dict:
    """Our side, in a subprocess (its own peak RSS, no tables shared with this one)."""
    cmd = [sys.executable, __file__, "--child", "--constants",
           ",".join(map(str, args.constants))]
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"kafkacheck run failed\n{proc.stderr}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["loadavg_1min_before"], row["loadavg_1min_after"] = round(load, 2), round(
        os.getloadavg()[0], 2)
    return row


def tlc(args: argparse.Namespace) -> dict | None:
    """TLC's side on a scratch copy of the spec, or None when spec or jar is missing."""
    if not args.spec_dir:
        return None
    jar = run_tlc.find_jar(args.jar)
    with tempfile.TemporaryDirectory(prefix="kip848-tlc-") as tmp:
        work = Path(tmp)
        cfgs = run_tlc.kip848_prepare(Path(args.spec_dir), work, [tuple(args.constants)])
        (cfg,) = cfgs.values()
        r = run_tlc.run_tlc(jar, work, run_tlc.KIP848_MODULE, cfg, args.tlc_workers,
                            ["-XX:+UseParallelGC"], work / "tlc.log")
    r.pop("_trace_text", None)
    return r


def pinned(constants: list[int]) -> dict | None:
    """TLC's numbers for these constants from bench/tlc/reference.json, if pinned."""
    if not REFERENCE.exists():
        return None
    results = json.loads(REFERENCE.read_text()).get("results", {})
    entry = results.get(run_tlc.kip848_job(tuple(constants)))
    return entry and entry["run"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--constants", default="2,2,1,1",
                    help="Clients,TopicCount,PartitionsPerTopic,MaxPerturbations "
                         "(default 2,2,1,1: the spec's cfg)")
    ap.add_argument("--spec-dir", help="copy of Vanlightly/kafka-tlaplus (or groupprotocol/)")
    ap.add_argument("--jar", help="tla2tools.jar (default: $TLA2TOOLS or /tmp/tlc-venv's)")
    ap.add_argument("--tlc-workers", type=int, default=2)
    ap.add_argument("--skip-tlc", action="store_true")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    try:
        args.constants = [int(x) for x in args.constants.split(",")]
    except ValueError:
        ap.error("--constants needs four integers")
    if len(args.constants) != 4:
        ap.error("--constants needs four integers")
    if args.child:
        child(args)
        return
    if args.skip_tlc:
        args.spec_dir = None
    if args.spec_dir and not Path(args.spec_dir).is_dir():
        ap.error(f"no such folder: {args.spec_dir}")

    out = {"constants": args.constants, "cpu_count": os.cpu_count(), "ours": ours(args)}
    out["tlc"] = tlc(args)
    if out["tlc"] is None:
        out["tlc_pinned"] = pinned(args.constants)
    if args.json:
        print(json.dumps(out))
    else:
        report(out)
    theirs = out["tlc"] or out.get("tlc_pinned")
    if theirs and theirs.get("distinct") != out["ours"]["distinct"]:
        sys.exit("distinct states differ from TLC's")


def report(out: dict) -> None:
    """The side-by-side table."""
    print(f"KIP-848 spec, constants (Clients, TopicCount, PartitionsPerTopic, "
          f"MaxPerturbations) = {tuple(out['constants'])}, {out['cpu_count']} CPUs")
    print(f"{'':28} {'verdict':8} {'distinct':>10} {'generated':>11} {'depth':>5} "
          f"{'wall s':>8} {'cpu s':>8} {'states/s':>9} {'load':>9}")

    def line(name: str, r: dict) -> None:
        rate = round(r["distinct"] / r["wall_s"]) if r.get("wall_s") else 0
        cpu = r.get("cpu_s")
        if cpu is None and r.get("cpu_user_s") is not None:
            cpu = round(r["cpu_user_s"] + r.get("cpu_sys_s", 0), 2)
        load = (f"{r['loadavg_1min_before']}-{r['loadavg_1min_after']}"
                if "loadavg_1min_before" in r else "")
        print(f"{name:28} {str(r.get('verdict')):8} {r.get('distinct') or 0:>10,} "
              f"{r.get('generated') or 0:>11,} {r.get('depth') or 0:>5} "
              f"{r.get('wall_s') or 0:>8.1f} {cpu or 0:>8.1f} {rate:>9,} {load:>9}")

    line(f"kafkacheck ({out['ours']['engine']})", out["ours"])
    if out["tlc"]:
        line(f"TLC ({out['tlc']['workers']} workers)", out["tlc"])
        ratio = out["tlc"]["wall_s"] / out["ours"]["wall_s"]
        print(f"wall-time ratio TLC / kafkacheck: {ratio:.2f}")
    elif out.get("tlc_pinned"):
        line("TLC (pinned, earlier run)", out["tlc_pinned"])
        print("TLC not run here (no --spec-dir or --skip-tlc): no wall-time ratio")


if __name__ == "__main__":
    main()
