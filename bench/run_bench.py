"""Benchmark script: `python bench/run_bench.py [--quick] [--json]` (same as `kafkacheck bench`)."""

from __future__ import annotations

import sys

from kafkacheck.bench import run_bench

if __name__ == "__main__":
    sys.exit(run_bench(as_json="--json" in sys.argv, quick="--quick" in sys.argv))
