"""How reliably Hypothesis finds the known violations: 20 seeds per case, CI profile.

Usage: python bench/hypothesis_seeds.py [--seeds 20] [--only NAME] [--json]
For each case it reports how many seeds found the violation, the median time to the
reported (shrunk) failure, and the median shrunk length; safe cases must find nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from kafkacheck.explorer.stateful import PropertyViolation, machine_for  # noqa: E402
from kafkacheck.testing import make_model  # noqa: E402

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}

# (name, model, settings, bounds, property, expect_violation)
CASES: list[tuple[str, str, dict, dict, str, bool]] = [
    ("acks1-loss", "replication", {"acks": "1", "replication.factor": "3"},
     {"partitions": 2, "records": 6, "crashes": 2}, "NoAckedWriteLost", True),
    ("unclean-election-loss", "replication",
     {"acks": "all", "replication.factor": "2", "min.insync.replicas": "1",
      "unclean.leader.election.enable": "true"},
     {"records": 3, "crashes": 3}, "NoAckedWriteLost", True),
    ("legacy-hw-truncation-divergence", "kafka-spec", {},
     {"variant": "truncate-to-high-watermark"}, "StrongIsr", True),
    ("legacy-hw-truncation-loss", "replication",
     {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"},
     {"records": 3, "crashes": 2, "bounces": 3, "truncation": "high-watermark"},
     "CommittedRecordsStay", True),
    ("commit-before-process-loss", "group",
     {"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
     {"commit": "before-processing", "records": 2, "crashes": 2}, "AtLeastOnce", True),
    ("zombie-double-processing", "group",
     {"auto.offset.reset": "earliest", "enable.auto.commit": "false",
      "partition.assignment.strategy": "range"},
     {"commit": "sync-after-processing", "records": 2, "poll_timeouts": 2},
     "NoConcurrentProcessing", True),
    ("retries-without-idempotence-duplicate", "producer", {"enable.idempotence": "false"},
     {"records": 3}, "NoDuplicates", True),
    ("acks-all-safe", "replication", SAFE, {"partitions": 2, "records": 6, "crashes": 2},
     "NoAckedWriteLost", False),
    ("kip320-safe", "kafka-spec", {}, {"variant": "kip320"}, "StrongIsr", False),
    ("idempotent-producer-safe", "producer",
     {"replication.factor": "2", "min.insync.replicas": "2"},
     {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1, "retry_budget": 2},
     "NoDuplicates", False),
    ("cooperative-sticky-single-owner", "group",
     {"auto.offset.reset": "earliest", "partition.assignment.strategy": "cooperative-sticky"},
     {"partitions": 2, "records": 1, "crashes": 1, "poll_timeouts": 1, "closes": 1,
      "rejoins": 1}, "NoTwoOwnersAtOnce", False),
]


def load_profile() -> settings:
    """The CI profile registered by tests/conftest.py."""
    import conftest  # noqa: F401  (registers the profiles)

    return settings.get_profile("ci")


def run_case(case: tuple, seeds: int, profile: settings) -> dict:
    """Run one case over ``seeds`` seeds."""
    name, model_name, settings_, bounds, prop, expect = case
    found, times, lengths = 0, [], []
    for s in range(seeds):
        model = make_model(model_name, settings_, **bounds)
        machine = seed(s)(machine_for(model, [prop]))
        started = time.perf_counter()
        try:
            run_state_machine_as_test(machine, settings=profile)
        except PropertyViolation as exc:
            found += 1
            times.append(time.perf_counter() - started)
            lengths.append(len(exc.actions))
    return {
        "case": name, "model": model_name, "property": prop, "expect_violation": expect,
        "seeds": seeds, "found": found,
        "median_seconds_to_failure": round(statistics.median(times), 2) if times else None,
        "median_shrunk_length": statistics.median(lengths) if lengths else None,
        "ok": (found >= seeds - seeds // 20) if expect else found == 0,
    }


def main() -> int:
    """Run the measurement and print a table (or JSON)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    if not args.json:
        print(f"{'case':<40}{'found':>8}{'median s':>10}{'median len':>12}  ok", flush=True)
    rows = []
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        r = run_case(case, args.seeds, profile)
        rows.append(r)
        if not args.json:
            print(f"{r['case']:<40}{r['found']:>5}/{r['seeds']:<2}"
                  f"{r['median_seconds_to_failure'] or '-':>10}"
                  f"{r['median_shrunk_length'] or '-':>12}  {'yes' if r['ok'] else 'NO'}",
                  flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
