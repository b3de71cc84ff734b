#!/usr/bin/env python3
"""Symmetry reduction (``--bound symmetry=1``): distinct states and speed with it off and on.

For each configuration the breadth-first search runs twice, symmetry off then on, in
this process; both runs must give the same verdict per property and counterexamples of the
same length (checked).  Printed: the renamings the configuration allows, distinct and
generated states, CPU seconds, distinct states per CPU second, the reduction factor
(distinct off / distinct on, at most the number of renamings) and the CPU-time ratio; then
the cost of one canonical() call on a sample of the reduced run's successors.  CPU seconds,
not wall seconds: on a shared machine the wall clock measures the neighbours.

    .venv/bin/python bench/symmetry_bench.py            # the default cases (minutes)
    .venv/bin/python bench/symmetry_bench.py --long     # also the 1.35 M-state case
    .venv/bin/python bench/symmetry_bench.py --markdown # a table for bench/results
"""

from __future__ import annotations

import argparse
import time
from typing import Any

RF2 = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "1"}
SEPARATE = {"process.roles": "broker", "acks": "all"}

CASES: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
    ("replication: RF=2, 2 partitions", "replication", RF2,
     {"partitions": 2, "records": 2}),
    ("replication: RF=2, 2 partitions, leader moves", "replication",
     {**RF2, "min.insync.replicas": "2"},
     {"partitions": 2, "records": 2, "leader_changes": 1, "crash_kind": "process"}),
    ("replication: RF=3, 3 partitions (rotations)", "replication",
     {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"},
     {"partitions": 3, "records": 1, "crash_kind": "process"}),
    ("replication: RF=1, 3 partitions", "replication",
     {"acks": "all", "replication.factor": "1"}, {"partitions": 3, "records": 3}),
    ("replication: RF=3, 1 partition (default: nothing to rename)", "replication",
     {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"},
     {"records": 2, "crashes": 1}),
    ("controller: 3 dedicated controllers, 1 broker", "controller",
     {**SEPARATE, "acks": "1"},
     {"brokers": 1, "controllers": 3, "records": 2, "isolations": 2, "crashes": 1,
      "restarts": 1}),
    ("controller: 3 dedicated controllers, 3 brokers", "controller", SEPARATE,
     {"brokers": 3, "controllers": 3, "records": 1, "crashes": 1, "restarts": 1}),
    ("controller: 2 dedicated controllers, 2 brokers, 2 partitions", "controller", SEPARATE,
     {"brokers": 2, "controllers": 2, "partitions": 2, "records": 1, "crashes": 1,
      "restarts": 1}),
    ("controller: 2 combined nodes, 2 partitions", "controller", {"acks": "all"},
     {"brokers": 2, "controllers": 2, "partitions": 2, "records": 1, "crashes": 1,
      "restarts": 1}),
    ("controller: 3 combined nodes (default: nothing to rename)", "controller",
     {"acks": "all"}, {"records": 1}),
]
LONG = [
    ("replication: RF=2, 4 partitions", "replication", {**RF2, "min.insync.replicas": "2"},
     {"partitions": 4, "records": 2}),
]


def run_case(model_name: str, settings: dict[str, str], bounds: dict[str, Any]
             ) -> dict[str, Any]:
    """Both runs of one configuration, their figures, and the canonical() cost."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.testing import make_model

    rows = []
    verdicts = []
    model = None
    for symmetry in (0, 1):
        model = make_model(model_name, settings, **bounds, symmetry=symmetry)
        started = time.process_time()
        result = breadth_first(model)
        cpu = time.process_time() - started
        rows.append({"distinct": result.distinct_states,
                     "generated": result.generated_states, "cpu": cpu,
                     "symmetry": result.symmetry})
        verdicts.append(({p.name: result.verdict(p) for p in result.properties},
                         {v.property.name: len(v.trace.steps) for v in result.violations}))
    if verdicts[0] != verdicts[1]:
        raise SystemExit(f"verdicts or counterexample lengths differ with symmetry on: "
                         f"{verdicts}")
    assert model is not None
    cost = canonical_cost(model) if rows[1]["symmetry"] else 0.0
    return {"renamings": len(model.renamings), "off": rows[0], "on": rows[1],
            "canonical_us": cost}


def canonical_cost(model: Any, sample: int = 20_000) -> float:
    """Microseconds per canonical() call on the successors met first breadth-first."""
    states, frontier, seen = [], list(model.init_states()), set()
    while frontier and len(states) < sample:
        state = frontier.pop(0)
        if state in seen:
            continue
        seen.add(state)
        for _, nxt in model.successors(state):
            states.append(nxt)
            frontier.append(nxt)
    states = states[:sample]
    canon = model.canonical
    started = time.process_time()
    for state in states:
        canon(state)
    return (time.process_time() - started) / len(states) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--long", action="store_true", help="also run the long cases")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    cases = CASES + (LONG if args.long else [])
    if args.markdown:
        print("| configuration | renamings | distinct off | distinct on | factor | "
              "CPU s off | CPU s on | distinct/s off | distinct/s on | canonical µs |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    for title, model_name, settings, bounds in cases:
        r = run_case(model_name, settings, bounds)
        off, on = r["off"], r["on"]
        factor = off["distinct"] / on["distinct"]
        rate_off = off["distinct"] / off["cpu"] if off["cpu"] else 0.0
        rate_on = on["distinct"] / on["cpu"] if on["cpu"] else 0.0
        if args.markdown:
            print(f"| {title} | {r['renamings']} | {off['distinct']:,} | {on['distinct']:,} | "
                  f"{factor:.2f} | {off['cpu']:.1f} | {on['cpu']:.1f} | {rate_off:,.0f} | "
                  f"{rate_on:,.0f} | {r['canonical_us']:.1f} |", flush=True)
        else:
            print(f"{title}\n  renamings {r['renamings']}; distinct {off['distinct']:,} -> "
                  f"{on['distinct']:,} (x{factor:.2f}); generated {off['generated']:,} -> "
                  f"{on['generated']:,}; CPU {off['cpu']:.1f} s -> {on['cpu']:.1f} s; "
                  f"distinct/s {rate_off:,.0f} -> {rate_on:,.0f}; canonical "
                  f"{r['canonical_us']:.1f} us/call", flush=True)


if __name__ == "__main__":
    main()
