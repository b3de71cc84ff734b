"""How reliably Hypothesis finds the known violations: 20 seeds per case, CI profile.

Usage: python bench/hypothesis_seeds.py [--seeds 20] [--only NAME] [--json] [--hypothesis-shrink]
For each case: how many seeds found the violation, the median time to the first failure
(Hypothesis's generate and target phases, the CI profile's example and step budget), and
the median length before and after shrinking.  Every found trace and every shrunk trace is
replayed exactly through ``model.next_state`` from its initial state and must end in the
violation; lengths are published only for traces that replay (the "replayed" column
counts them, and a case whose traces do not all replay is not ok).  Shrinking is
kafkacheck's label shrinker (milliseconds; `explorer/stateful.shrink_actions`) unless
--hypothesis-shrink asks for Hypothesis's own (its shrink phase, without explain), which
takes seconds to minutes per seed.  Runs pin Hypothesis's local-constant pool
(`fixed_constant_pool`) so a seed means the same run everywhere.  Safe cases must find
nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from hypothesis import Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from kafkacheck.explorer.stateful import (  # noqa: E402
    PropertyViolation,
    fixed_constant_pool,
    machine_for,
    replays_exactly,
    shrink_actions,
)
from kafkacheck.testing import make_model  # noqa: E402

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}

# (name, model, settings, bounds, property, expect_violation).  The first six are the known
# violations the issue names; "legacy-hw-truncation-loss" is an extra, harder case.
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
     {"commit": "before-processing", "consumers": 1, "records": 2, "crashes": 2,
      "rejoins": 2}, "AtLeastOnce", True),
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


def run_case(case: tuple, seeds: int, profile: settings, hypothesis_shrink: bool) -> dict:
    """Run one case over ``seeds`` seeds."""
    name, model_name, settings_, bounds, prop, expect = case
    phases = [Phase.generate, Phase.target] + ([Phase.shrink] if hypothesis_shrink else [])
    profile = settings(profile, phases=phases)
    found, replayed, times, raw, lengths = 0, 0, [], [], []
    for s in range(seeds):
        model = make_model(model_name, settings_, **bounds)
        machine = seed(s)(machine_for(model, [prop]))
        started = time.perf_counter()
        try:
            with fixed_constant_pool():
                run_state_machine_as_test(machine, settings=profile)
        except PropertyViolation as exc:
            found += 1
            times.append(time.perf_counter() - started)
            if not replays_exactly(model, prop, exc.actions, exc.init):
                continue
            shrunk = exc.actions if hypothesis_shrink else shrink_actions(
                model, prop, exc.actions, 20, exc.init)
            if not replays_exactly(model, prop, shrunk, exc.init):
                continue
            replayed += 1
            raw.append(len(exc.actions))
            lengths.append(len(shrunk))
    return {
        "case": name, "model": model_name, "property": prop, "expect_violation": expect,
        "seeds": seeds, "found": found, "replayed": replayed,
        "median_seconds_to_failure": round(statistics.median(times), 2) if times else None,
        "median_found_length": statistics.median(raw) if raw else None,
        "median_shrunk_length": statistics.median(lengths) if lengths else None,
        "shrinker": "hypothesis" if hypothesis_shrink else "kafkacheck",
        "ok": replayed == found and ((found >= seeds - seeds // 20) if expect else found == 0),
    }


def main() -> int:
    """Run the measurement and print a table (or JSON)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--hypothesis-shrink", action="store_true")
    args = ap.parse_args()
    profile = load_profile()
    if not args.json:
        print(f"{'case':<40}{'found':>8}{'replayed':>9}{'median s':>10}{'found len':>10}"
              f"{'shrunk':>8}  ok", flush=True)
    rows = []
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        r = run_case(case, args.seeds, profile, args.hypothesis_shrink)
        rows.append(r)
        if not args.json:
            print(f"{r['case']:<40}{r['found']:>5}/{r['seeds']:<2}{r['replayed']:>9}"
                  f"{r['median_seconds_to_failure'] or '-':>10}"
                  f"{r['median_found_length'] or '-':>10}"
                  f"{r['median_shrunk_length'] or '-':>8}  {'yes' if r['ok'] else 'NO'}",
                  flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
