"""Command line: ``python -m kafkacheck.conformance run|up|down``."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from .distribution import KAFKA_VERSION, DistributionError, ensure_distribution

DEFAULT_UP_DIR = Path.home() / ".cache" / "kafkacheck" / "cluster"
SCENARIO_NAMES = (
    "acks1-leader-kill",
    "acks-all-kill-rounds",
    "commit-before-processing-crash",
    "auto-commit-crash",
    "auto-commit-store-on-return-crash",
)


def _parser() -> argparse.ArgumentParser:
    """The argument parser."""
    ap = argparse.ArgumentParser(
        prog="python -m kafkacheck.conformance",
        description="Run a real Kafka cluster and check Jepsen-style histories against it.",
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start a cluster, run scenarios, write a JSON summary")
    run.add_argument("--out", type=Path, default=Path("conformance-summary.json"))
    run.add_argument(
        "--scenarios",
        default=",".join(SCENARIO_NAMES),
        help=f"comma-separated subset of {', '.join(SCENARIO_NAMES)}",
    )
    run.add_argument("--rounds", type=int, default=8, help="kill rounds for acks-all-kill-rounds")
    run.add_argument("--workdir", type=Path, default=None, help="where histories go")
    run.add_argument("--version", default=KAFKA_VERSION)
    run.add_argument("--keep", action="store_true", help="keep the cluster's data and logs")
    up = sub.add_parser("up", help="start a detached cluster and print its bootstrap servers")
    up.add_argument("--dir", type=Path, default=DEFAULT_UP_DIR)
    up.add_argument("--version", default=KAFKA_VERSION)
    down = sub.add_parser("down", help="stop a cluster started with 'up'")
    down.add_argument("--dir", type=Path, default=DEFAULT_UP_DIR)
    return ap


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so clusters are stopped on the way out."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _trim(check: dict[str, Any], limit: int = 20) -> dict[str, Any]:
    """The checker summary with at most ``limit`` anomalies listed per kind."""
    out = dict(check)
    out["anomalies"] = {k: v[:limit] for k, v in check.get("anomalies", {}).items()}
    return out


def cmd_run(args: argparse.Namespace) -> int:
    """Start a cluster, run the chosen scenarios and write the summary."""
    from .cluster import KafkaCluster
    from .scenarios import SCENARIOS, acks_all_kill_rounds

    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios: {unknown}; choose from {list(SCENARIOS)}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    try:
        dist = ensure_distribution(args.version)
    except DistributionError as exc:
        print(f"cannot obtain Kafka {args.version}: {exc}", file=sys.stderr)
        return 3
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kafkacheck-run-"))
    summary: dict[str, Any] = {
        "kafka_version": dist.version,
        "distribution": {
            "root": str(dist.root),
            "jars": len(dist.jars),
            "fetched_now": dist.fetched,
            "seconds": round(dist.seconds, 2),
        },
        "workdir": str(workdir),
        "scenarios": [],
    }
    ok = True
    with KafkaCluster(dist, keep_dir=args.keep) as cluster:
        summary["cluster"] = cluster.describe()
        for name in names:
            print(f"[kafkacheck] scenario {name} ...", file=sys.stderr, flush=True)
            if name == "acks-all-kill-rounds":
                res = acks_all_kill_rounds(cluster, workdir / name, rounds=args.rounds)
            else:
                res = SCENARIOS[name](cluster, workdir / name)
            data = res.to_json()
            data["check"] = _trim(data["check"])
            summary["scenarios"].append(data)
            ok = ok and res.expected_seen
            print(
                f"[kafkacheck]   {res.observation} ({res.seconds:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
        summary["cluster"]["events"] = cluster.events
    summary["total_seconds"] = round(time.monotonic() - t0, 2)
    summary["all_expectations_met"] = ok
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1, default=str) + "\n")
    print(f"[kafkacheck] summary written to {args.out}", file=sys.stderr)
    return 0 if ok else 1


def cmd_up(args: argparse.Namespace) -> int:
    """Start a cluster that outlives this command."""
    from .cluster import KafkaCluster, stop_detached

    directory: Path = args.dir.expanduser().resolve()
    if (directory / "pids.json").exists():
        stop_detached(directory)
    try:
        dist = ensure_distribution(args.version)
    except DistributionError as exc:
        print(f"cannot obtain Kafka {args.version}: {exc}", file=sys.stderr)
        return 3
    if directory.exists():
        shutil.rmtree(directory)
    cluster = KafkaCluster(dist, base_dir=directory, die_with_parent=False, keep_dir=True)
    cluster.start()
    info = cluster.describe()
    (directory / "cluster.json").write_text(json.dumps(info, indent=1, default=str) + "\n")
    cluster.detach()  # this interpreter's atexit hook must not stop them
    print(cluster.bootstrap)
    print(
        f"[kafkacheck] cluster up in {cluster.start_seconds:.1f}s; stop it with "
        f"'python -m kafkacheck.conformance down --dir {directory}'",
        file=sys.stderr,
    )
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop a cluster started by ``up``."""
    from .cluster import stop_detached

    directory: Path = args.dir.expanduser().resolve()
    if not (directory / "pids.json").exists():
        print(f"no running cluster recorded in {directory}", file=sys.stderr)
        return 0
    pids = stop_detached(directory)
    print(f"[kafkacheck] stopped {len(pids)} processes: {pids}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 expectation not met, 2 bad input, 3 no Kafka)."""
    args = _parser().parse_args(list(argv) if argv is not None else None)
    with _sigterm_as_exit():
        if args.cmd == "run":
            return cmd_run(args)
        if args.cmd == "up":
            return cmd_up(args)
        return cmd_down(args)


if __name__ == "__main__":
    sys.exit(main())
