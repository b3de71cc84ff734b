"""Fuzz the kafkacheck command line: N generated cases, counted by outcome.

    python bench/fuzz_cli.py                 # 10,000 cases, seed 0
    python bench/fuzz_cli.py --cases 20000 --seed 3 --out bench/results/fuzz-cli.txt

Every case is a generated argument vector (with generated .properties files, corrupted
replay JSON, special files) run in-process through ``kafkacheck.cli.main`` with a
wall-clock limit.  Prints the counts the contract is measured by: cases, tracebacks,
exit codes outside {0, 1, 2, 3} (internal errors are exit 70), exit 2 without a one-line
error, and hangs; then each distinct problem once, with an example command line.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kafkacheck.cli_fuzz import argv, make_files, run_case  # noqa: E402


def main() -> int:
    """Run the cases and print the counts; exit 1 when any case broke the contract."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a hang")
    parser.add_argument("--full", action="store_true",
                        help="larger budgets (up to 2 s per check) instead of the quick ones")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()

    codes: collections.Counter[int | None] = collections.Counter()
    commands: collections.Counter[str] = collections.Counter()
    problems: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = {}
    counts = collections.Counter()
    slowest: list[tuple[float, list[str]]] = []
    started = time.monotonic()

    with tempfile.TemporaryDirectory() as scratch:
        files = make_files(Path(scratch))

        @seed(args.seed)
        @settings(max_examples=args.cases, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=argv(files, quick=not args.full))
        def one(case: list[str]) -> None:
            outcome = run_case(case, args.limit)
            counts["cases"] += 1
            codes[outcome.code] += 1
            known = ("check", "simulate", "prove", "replay", "review", "list", "partition",
                     "assign", "partitioner-sequence", "report", "conformance", "--help", "-h",
                     "--version")
            commands[case[0] if case and case[0] in known else "(other words)"] += 1
            slowest.append((outcome.seconds, case))
            slowest.sort(key=lambda pair: -pair[0])
            del slowest[5:]
            for problem in outcome.problems():
                counts[problem.split(" ")[0] if problem.startswith("exit ") and
                       problem != "exit 2 without a one-line error" else problem] += 1
                key = f"{problem}: {(outcome.err.strip().splitlines() or [''])[-1][:160]}"
                problems[key] += 1
                examples.setdefault(key, case)
            if counts["cases"] % 1000 == 0:
                print(f"  {counts['cases']:,} cases, {time.monotonic() - started:.0f}s",
                      file=sys.stderr, flush=True)

        one()

    seconds = time.monotonic() - started
    lines = [
        f"kafkacheck CLI fuzz: seed {args.seed}, {'full' if args.full else 'quick'} budgets, "
        f"{seconds:.0f}s ({counts['cases'] / seconds:.1f} cases/s)",
        f"cases:                         {counts['cases']:,}",
        f"tracebacks:                    {counts['traceback']:,}",
        f"exit codes outside 0-3:        {counts['exit']:,}",
        f"exit 2 without one-line error: {counts['exit 2 without a one-line error']:,}",
        f"hangs (> {args.limit:g}s):              {counts['hang']:,}",
        "exit codes: " + ", ".join(f"{c}: {n:,}" for c, n in sorted(
            codes.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))),
        "commands: " + ", ".join(f"{c}: {n:,}" for c, n in commands.most_common()),
        "slowest: " + "; ".join(f"{s:.1f}s {' '.join(c)[:80]}" for s, c in slowest),
    ]
    if problems:
        lines.append("problems (each once, with an example):")
        for key, n in problems.most_common():
            lines.append(f"  {n:>5} x {key}")
            lines.append(f"          e.g. kafkacheck {' '.join(map(repr, examples[key]))[:300]}")
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
