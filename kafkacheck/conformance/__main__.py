"""Command line: ``kafkacheck conformance run|soak|judge|up|down|cleanup``.

Exit codes: 0 every history conforms to the model; 1 a conformance failure (an anomaly
the model says cannot happen, or a final read that did not complete); 2 bad input; 3 no
verdict (Kafka or a tool is missing, or an observed anomaly no model run covers).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.util
import json
import math
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from kafkacheck.config import UsageError, choice_hint, count_limit, did_you_mean

from .distribution import (
    KAFKA_VERSION,
    Distribution,
    DistributionError,
    check_version,
    ensure_distribution,
)

DEFAULT_UP_DIR = Path.home() / ".cache" / "kafkacheck" / "cluster"
SCENARIO_NAMES = (
    "acks1-leader-kill",
    "acks-all-kill-rounds",
    "zombie-leader-acks1",
    "zombie-leader-acks-all",
    "producer-retry-duplicates",
    "producer-retry-idempotent",
    "idempotent-epoch-bump-java",
    "idempotent-epoch-bump-librdkafka",
    "commit-before-processing-crash",
    "auto-commit-crash",
    "auto-commit-store-on-return-crash",
    "txn-zombie-broker-kill",
)
EXIT = {"conforms": 0, "FAIL": 1, "not covered": 3}
MAX_ROUNDS = 10_000  # a soak round lasts seconds to minutes: more is weeks of running
MAX_PARTITIONS = 1_000  # of the soak topic, on a 3-broker test cluster
MIN_RATE, MAX_RATE = 0.1, 100_000.0  # records/s per producer (one Python pump thread)
DEFAULT_ROUNDS = {"run": 8, "soak": 50}
DEFAULT_SEED = 1
# what a cluster folder of 'up' holds (a failed start leaves only node folders)
_UP_ENTRY = re.compile(r"node\d+|cluster\.json|pids\.json|\.kafkacheck-probe")


def _error(text: str) -> None:
    """One 'kafkacheck: error: ' line on stderr, whatever the text quotes."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    print(f"kafkacheck: error: {text}", file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse that ends bad input with one line and exit code 2."""

    def error(self, message: str) -> Any:  # noqa: D102 - argparse's hook
        _error(f"{self.prog.removeprefix('kafkacheck ')}: {choice_hint(message)}")
        raise SystemExit(2)


def _count(minimum: int, maximum: int, why: str = "") -> Any:
    """argparse type of a count option: an integer from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        try:
            return count_limit(text, "", minimum, maximum)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(": ") + why) from None

    return parse


def _positive(text: str) -> int:
    """A count of rounds: 1 to MAX_ROUNDS."""
    return _count(1, MAX_ROUNDS)(text)


def _rate(text: str) -> float:
    """Records/s per producer: a finite number from MIN_RATE to MAX_RATE."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and MIN_RATE <= value <= MAX_RATE):
        raise argparse.ArgumentTypeError(
            f"{text!r} must be a number of records/s from {MIN_RATE:g} to {MAX_RATE:g}")
    return value


def _release(text: str) -> str:
    """A Kafka release the harness can fetch and run (checked before any download)."""
    try:
        return check_version(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    """The argument parser."""
    from .soak import REPLICATION

    ap = _Parser(
        prog="kafkacheck conformance",
        description="Run a real Kafka cluster, record histories, judge them against the model.",
    )
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="start a cluster, run scenarios, write a JSON summary")
    run.add_argument("--out", type=Path, default=Path("conformance-summary.json"),
                     help="where the JSON summary goes (conformance-summary.json)")
    run.add_argument(
        "--scenarios",
        default=",".join(SCENARIO_NAMES),
        help=f"comma-separated subset of {', '.join(SCENARIO_NAMES)}",
    )
    run.add_argument("--rounds", type=_positive, default=None,
                     help=f"kill rounds for acks-all-kill-rounds ({DEFAULT_ROUNDS['run']})")
    _cluster_args(run)
    soak = sub.add_parser("soak", help="randomised fault rounds with producers and a group")
    soak.add_argument("--seed", type=int, default=None,
                      help=f"seed of the fault draws (same seed, same faults; {DEFAULT_SEED})")
    soak.add_argument("--rounds", type=_positive, default=None,
                      help=f"fault rounds ({DEFAULT_ROUNDS['soak']})")
    soak.add_argument("--acks", choices=("all", "1"), default="all",
                      help="the producers' acks (all)")
    soak.add_argument("--min-insync-replicas", default=2,
                      type=_count(1, REPLICATION, f" (the topic has {REPLICATION} replicas, "
                                                  "one per broker)"),
                      help=f"the topic's min.insync.replicas, 1 to {REPLICATION} (2)")
    soak.add_argument("--partitions", type=_count(1, MAX_PARTITIONS), default=3,
                      help="partitions of the topic (3)")
    soak.add_argument("--rate", type=_rate, default=50.0,
                      help=f"records/s per producer, {MIN_RATE:g} to {MAX_RATE:g} (50)")
    soak.add_argument("--replay", type=Path, default=None,
                      help="re-apply the faults recorded in a soak result or rounds.jsonl")
    soak.add_argument("--out", type=Path, default=Path("soak-result.json"),
                      help="where the JSON result goes (soak-result.json)")
    _cluster_args(soak, default_roles="split")
    jd = sub.add_parser("judge", help="judge a recorded history against the model (no cluster)")
    jd.add_argument("--result", type=Path, required=True,
                    help="a soak result or a run summary (JSON) naming the history")
    jd.add_argument("--scenario", default=None, help="which scenario of a run summary")
    jd.add_argument("--variant", action="append", default=[],
                    help="MODEL=module:Class: predict with a model variant instead "
                         "(e.g. to show that the check can fail)")
    jd.add_argument("--out", type=Path, default=None, help="write the judgement as JSON")
    up = sub.add_parser("up", help="start a detached cluster and print its bootstrap servers")
    up.add_argument("--dir", type=Path, default=DEFAULT_UP_DIR,
                    help=f"the cluster's folder ({DEFAULT_UP_DIR})")
    up.add_argument("--version", type=_release, default=KAFKA_VERSION,
                    help=f"the Kafka release to run ({KAFKA_VERSION})")
    down = sub.add_parser("down", help="stop a cluster started with 'up'")
    down.add_argument("--dir", type=Path, default=DEFAULT_UP_DIR,
                      help=f"the folder given to 'up' ({DEFAULT_UP_DIR})")
    sub.add_parser("cleanup", help="remove network namespaces left by killed runs")
    return ap


def _cluster_args(p: argparse.ArgumentParser, default_roles: str = "combined") -> None:
    """Options shared by the commands that start a cluster."""
    p.add_argument("--roles", choices=("combined", "split"), default=default_roles,
                   help="combined: 3 broker+controller nodes; split: 3 controllers + 3 brokers")
    p.add_argument("--network", choices=("auto", "on", "off"), default="auto",
                   help="network namespaces for partitions (needs root, ip, nft)")
    p.add_argument("--elr", choices=("default", "on", "off"), default="default",
                   help="format with eligible.leader.replicas.version=1/0 (default: Kafka's)")
    p.add_argument("--workdir", type=Path, default=None, help="where histories go")
    p.add_argument("--version", type=_release, default=KAFKA_VERSION,
                   help=f"the Kafka release to run ({KAFKA_VERSION})")
    p.add_argument("--keep", action="store_true", help="keep the cluster's data and logs")


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so clusters and namespaces are removed on the way out."""

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


def _network_choice(args: argparse.Namespace) -> bool | None:
    """True/False for namespaces, or None after printing why they are impossible."""
    from .network import missing_tools

    missing = missing_tools()
    if args.network == "off":
        return False
    if missing and args.network == "on":
        _error(f"network partitions need {', '.join(missing)}")
        return None
    return not missing


def _output(path: Path, option: str) -> None:
    """UsageError unless a result can be written at ``path`` (probed now, written at the
    end of a run that takes minutes); its folder is made as the write would make it."""
    from kafkacheck.explorer.engines import probe_writable

    probe_writable(str(path), option, create=True)


def _folder(path: Path, option: str) -> None:
    """UsageError unless ``path`` is, or can be made, a folder this process writes in."""
    from kafkacheck.explorer.engines import probe_writable

    if (path.exists() or path.is_symlink()) and not path.is_dir():
        raise UsageError(f"{option} {path}: not a folder")
    probe_writable(str(path / ".kafkacheck-probe"), option, create=True, shown=str(path))


def _scenario_names(text: str) -> list[str]:
    """The names of --scenarios, each a known scenario, none twice (UsageError otherwise)."""
    from .catalog import SCENARIOS

    names = [s.strip() for s in text.split(",") if s.strip()]
    choose = f"choose from {', '.join(SCENARIOS)}"
    if not names:
        raise UsageError(f"--scenarios {text!r} names no scenario; {choose}")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        hints = "".join(did_you_mean(n, SCENARIOS) for n in unknown[:1])
        raise UsageError(f"unknown scenarios: {', '.join(unknown)}{hints}; {choose}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"--scenarios names {', '.join(twice)} more than once")
    return names


def _java_and_kafka(version: str) -> Distribution | None:
    """The Kafka jars, or None after one line saying why they cannot be had (exit 3)."""
    if shutil.which("java") is None:
        _error("java is not on PATH: the cluster needs a JDK 17")
        return None
    try:
        return ensure_distribution(version)
    except (DistributionError, OSError) as exc:
        _error(f"cannot obtain Kafka {version}: {exc}")
        return None


def _features(args: argparse.Namespace) -> dict[str, int]:
    """Feature levels to format with."""
    if args.elr == "default":
        return {}
    return {"eligible.leader.replicas.version": 1 if args.elr == "on" else 0}


def _trim(judgement: Mapping[str, Any], limit: int = 5) -> dict[str, Any]:
    """A judgement with at most ``limit`` examples per kind (the summary stays small)."""
    out = dict(judgement)
    out["kinds"] = [{**k, "examples": k.get("examples", [])[:limit]} for k in judgement["kinds"]]
    return out


def _overall(verdicts: Sequence[str]) -> str:
    """FAIL if any run failed, else not covered if any was, else conforms."""
    if "FAIL" in verdicts:
        return "FAIL"
    if "not covered" in verdicts:
        return "not covered"
    return "conforms"


def cmd_run(args: argparse.Namespace) -> int:
    """Start a cluster, run the chosen scenarios, judge each history, write the summary."""
    from .catalog import SCENARIOS
    from .cluster import KafkaCluster
    from .scenarios import acks_all_kill_rounds

    # bad input first: every check before this command starts a cluster (15-30 s)
    names = _scenario_names(args.scenarios)
    needs = [n for n in names if SCENARIOS[n].network]
    if needs and args.network == "off":
        raise UsageError(f"--network off, but scenarios {', '.join(needs)} partition the "
                         "network: leave them out or drop --network off")
    if args.rounds is not None and "acks-all-kill-rounds" not in names:
        raise UsageError("--rounds is for acks-all-kill-rounds, which --scenarios leaves out")
    rounds = args.rounds or DEFAULT_ROUNDS["run"]
    _output(args.out, "--out")
    if args.workdir is not None:
        _folder(args.workdir, "--workdir")
    network = _network_choice(args)
    if network is None:
        return 3
    if needs and not network:
        _error(f"scenarios {needs} need network namespaces (root, ip, nft); "
               "run them as root or leave them out")
        return 3
    t0 = time.monotonic()
    dist = _java_and_kafka(args.version)
    if dist is None:
        return 3
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kafkacheck-run-"))
    summary: dict[str, Any] = {
        "kafka_version": dist.version,
        "distribution": {"jars": len(dist.jars), "fetched_now": dist.fetched,
                         "seconds": round(dist.seconds, 2)},
        "workdir": str(workdir),
        "scenarios": [],
    }
    verdicts = []
    with KafkaCluster(dist, keep_dir=args.keep, roles=args.roles, network=network,
                      features=_features(args)) as cluster:
        summary["cluster"] = cluster.describe()
        for name in names:
            print(f"[kafkacheck] scenario {name} ...", file=sys.stderr, flush=True)
            if name == "acks-all-kill-rounds":
                res = acks_all_kill_rounds(cluster, workdir / name, rounds=rounds)
            else:
                res = SCENARIOS[name].run(cluster, workdir / name)
            data = res.to_json()
            data["judgement"] = _trim(data["judgement"])
            data["family"] = SCENARIOS[name].family
            summary["scenarios"].append(data)
            verdicts.append(res.verdict)
            print(f"[kafkacheck]   {res.verdict}: {res.observation} ({res.seconds:.1f}s)",
                  file=sys.stderr, flush=True)
        summary["cluster"]["events"] = cluster.events
    summary["total_seconds"] = round(time.monotonic() - t0, 2)
    summary["verdict"] = _overall(verdicts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1, default=str) + "\n")
    print(f"[kafkacheck] {summary['verdict']}; summary written to {args.out}", file=sys.stderr)
    return EXIT[summary["verdict"]]


def cmd_soak(args: argparse.Namespace) -> int:
    """Run the randomised soak and write its result."""
    from .cluster import KafkaCluster
    from .soak import SoakConfig, load_replay, run_soak, summarize

    # bad input first: every check before this command starts a cluster (15-30 s)
    if args.network == "off":
        raise UsageError("the soak injects network partitions: --network off cannot run it")
    replay = None
    if args.replay is not None:
        given = [o for o, v in (("--rounds", args.rounds), ("--seed", args.seed))
                 if v is not None]
        if given:
            raise UsageError(f"--replay re-applies the recorded rounds: {' and '.join(given)} "
                             "would be ignored; leave them out")
        try:
            replay = load_replay(args.replay)
        except (OSError, ValueError, KeyError, TypeError, UsageError) as exc:
            raise UsageError(f"cannot replay {args.replay}: {exc}") from None
        if not replay:
            raise UsageError(f"cannot replay {args.replay}: it records no rounds")
    _output(args.out, "--out")
    if args.workdir is not None:
        _folder(args.workdir, "--workdir")
    network = _network_choice(args)
    if not network:
        if network is not None:
            _error("the soak injects network partitions: it needs root, ip and nft")
        return 3
    dist = _java_and_kafka(args.version)
    if dist is None:
        return 3
    cfg = SoakConfig(
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        rounds=len(replay) if replay is not None else args.rounds or DEFAULT_ROUNDS["soak"],
        acks=args.acks,
        min_insync_replicas=args.min_insync_replicas,
        partitions=args.partitions,
        rate_per_s=args.rate,
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kafkacheck-soak-"))
    print(f"[kafkacheck] soak seed={cfg.seed} rounds={cfg.rounds} acks={cfg.acks} "
          f"roles={args.roles}; histories in {workdir}", file=sys.stderr, flush=True)
    with KafkaCluster(dist, keep_dir=args.keep, roles=args.roles, network=True,
                      features=_features(args)) as cluster:
        run = run_soak(
            cluster,
            workdir,
            cfg,
            replay=replay,
            log=lambda text: print(f"[kafkacheck] {text}", file=sys.stderr, flush=True),
        )
    print("[kafkacheck] cluster stopped; judging the history against the model ...",
          file=sys.stderr, flush=True)
    result = summarize(run)
    result["kafka_version"] = dist.version
    result["replayed_from"] = str(args.replay) if args.replay else None
    result["judgement"] = _trim(result["judgement"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    verdict = result["judgement"]["verdict"]
    print(f"[kafkacheck] {verdict}: {json.dumps(result['figures'])}; written to {args.out}",
          file=sys.stderr)
    return EXIT[verdict]


@functools.lru_cache(maxsize=16)
def _variant_factory_for(specs: tuple[str, ...]) -> Any:
    """One factory per variant list, so the prediction cache recognises repeated runs."""
    return _make_variant_factory(specs)


def _variant_factory(specs: Sequence[str]) -> Any:
    """A model factory that builds MODEL from module:Class for each MODEL=module:Class."""
    return _variant_factory_for(tuple(specs))


def _make_variant_factory(specs: Sequence[str]) -> Any:
    """Build the factory of :func:`_variant_factory`."""
    from kafkacheck.config import build_config

    from .predict import default_factory

    classes = {}
    for spec in specs:
        model, _, target = spec.partition("=")
        module, _, attr = target.rpartition(":")
        if not (model and module and attr):
            raise ValueError(f"--variant wants MODEL=module:Class or MODEL=file.py:Class, "
                             f"not {spec!r}")
        if module.endswith(".py"):
            spec_ = importlib.util.spec_from_file_location(Path(module).stem, module)
            if spec_ is None or spec_.loader is None:
                raise ImportError(f"cannot load {module}")
            loaded = importlib.util.module_from_spec(spec_)
            spec_.loader.exec_module(loaded)
        else:
            loaded = importlib.import_module(module)
        classes[model] = getattr(loaded, attr)

    def make(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> Any:
        if model not in classes:
            return default_factory(model, settings, bounds)
        cls = classes[model]
        config = build_config(cls, [(k, str(v)) for k, v in settings.items()],
                              bounds=[(k, str(v)) for k, v in bounds.items()])
        return cls(config)

    return make


RESULT_BYTES = 64 * 1024 * 1024  # a long soak's result; /dev/zero is refused, not read

# What judge reads from a run's or a soak's result (a summary of runs lists them under
# "scenarios"); a field missing is named, not reported as a bare KeyError.
_RESULT_FIELDS = (("config", dict, "an object"), ("faults", list, "a list"),
                  ("history_path", str, "a file name"))


def _result_fields(data: Any, where: str = "") -> dict[str, Any]:
    """``data`` when it has the shape judge reads (ValueError naming what is missing):
    a summary with a list of scenarios, or one run with its config, faults and history."""
    what = f"the result{f' ({where})' if where else ''}"
    if not isinstance(data, dict):
        raise ValueError(f"{what} is not a JSON object (a result of conformance run or soak)")
    if not where and "scenarios" in data:
        scenarios = data["scenarios"]
        if not isinstance(scenarios, list) or not all(
                isinstance(s, dict) and isinstance(s.get("scenario"), str) for s in scenarios):
            raise ValueError(f"{what} has a malformed field 'scenarios' (a list of runs, "
                             "each with its 'scenario' name)")
        return data
    for name, kind, expected in _RESULT_FIELDS:
        if name not in data:
            raise ValueError(f"{what} has no field {name!r} (a result of conformance run "
                             "or soak has it)")
        if not isinstance(data[name], kind):
            raise ValueError(f"{what} has a malformed field {name!r} (expected {expected})")
    return data


def cmd_judge(args: argparse.Namespace) -> int:
    """Judge a recorded history (from a run summary or a soak result) against the model.

    What the run itself recorded as going wrong (its judgement's problems, a soak round that
    never recovered) is carried over: a history judged again never passes where its run
    failed.
    """
    from kafkacheck.config import UsageError, read_json_file

    from .conform import focus_problems, judge, render
    from .history import as_ops, read_events
    from .predict import RunConfig, predict
    from .soak import FOCUS as SOAK_FOCUS
    from .soak import stopped_early
    from .txn_scenario import judge_txn_run, load_txn_run

    if args.out is not None:
        _output(args.out, "--out")  # before the prediction (up to minutes)
    try:
        data = _result_fields(read_json_file(str(args.result), "result", RESULT_BYTES))
        if "scenarios" in data:
            chosen = [s for s in data["scenarios"] if s["scenario"] == args.scenario]
            if not chosen:
                names = [s["scenario"] for s in data["scenarios"]]
                hint = did_you_mean(args.scenario, names) if args.scenario else ""
                _error(f"--scenario must be one of {names}{hint}")
                return 2
            data = _result_fields(chosen[0], f"scenario {args.scenario!r}")
        config = RunConfig.from_json(data["config"])
        faults = list(data["faults"])
        # what the run set out to observe: a scenario's focus, or the soak's group kinds
        focus = list(data.get("focus", SOAK_FOCUS if "soak" in data else ()))
        recorded_problems = list(data.get("judgement", {}).get("problems", []))
        if "soak" in data:
            recorded_problems += stopped_early(data)
        # A relative history path is the result file's neighbour (a history committed
        # beside a report, reports/data/demo/), or else relative to here (as `run
        # --workdir DIR` with a relative DIR records it).  A transactions run records
        # outcomes and reads, not an event history.
        history = Path(data["history_path"])
        beside = Path(args.result).parent / history
        if not history.is_absolute() and (beside.exists() or not history.exists()):
            history = beside
        recorded: Any = (load_txn_run(history) if config.transactional
                         else read_events(history))
        if not config.transactional:  # bad input before the prediction (up to minutes)
            if not recorded:
                raise ValueError(f"history {history} holds no event: nothing of Kafka was "
                                 "recorded to judge")
            as_ops(recorded)
            focus_problems([], focus)
        factory = _variant_factory(args.variant) if args.variant else None
        prediction = predict(config, faults, factory)
        judgement = (judge_txn_run(recorded, prediction, recorded_problems)
                     if config.transactional
                     else judge(recorded, prediction, focus, recorded_problems))
    except (OSError, ValueError, KeyError, TypeError, ImportError, AttributeError,
            UsageError) as exc:
        _error(f"cannot judge {args.result}: {exc}")
        return 2
    print(render(judgement))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        out = {"result": str(args.result), "scenario": args.scenario,
               "variant": list(args.variant), **_trim(judgement.to_json())}
        args.out.write_text(json.dumps(out, indent=1, default=str) + "\n")
    return EXIT[judgement.verdict]


def cmd_up(args: argparse.Namespace) -> int:
    """Start a cluster that outlives this command (loopback, combined roles)."""
    from .cluster import KafkaCluster, stop_detached

    directory: Path = args.dir.expanduser().resolve()
    # bad input first: the folder must be one 'up' may empty and write in
    _folder(directory, "--dir")
    try:
        strangers = sorted(p.name for p in directory.iterdir()
                           if not _UP_ENTRY.fullmatch(p.name))
    except OSError as exc:
        raise UsageError(f"--dir {directory}: cannot list it ({exc.strerror})") from None
    if strangers:
        raise UsageError(f"--dir {directory}: not a cluster folder of 'up' (it holds "
                         f"{', '.join(strangers[:3])}{', ...' if len(strangers) > 3 else ''}); "
                         "'up' empties its folder, so give a new or empty one")
    if (directory / "pids.json").exists():
        try:
            stop_detached(directory)
        except (OSError, ValueError, AttributeError) as exc:
            raise UsageError(f"--dir {directory}: cannot read pids.json: {exc}") from None
    dist = _java_and_kafka(args.version)
    if dist is None:
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
        f"'kafkacheck conformance down --dir {directory}'",
        file=sys.stderr,
    )
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop a cluster started by ``up``."""
    from .cluster import stop_detached

    directory: Path = args.dir.expanduser().resolve()
    if not (directory / "pids.json").exists():
        print(f"[kafkacheck] no running cluster recorded in {directory}", file=sys.stderr)
        return 0
    try:
        pids = stop_detached(directory)
    except (OSError, ValueError, AttributeError) as exc:
        raise UsageError(f"--dir {directory}: cannot read pids.json: {exc}") from None
    print(f"[kafkacheck] stopped {len(pids)} processes: {pids}", file=sys.stderr)
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Remove namespaces whose owning run is gone."""
    from .network import STATE_DIR, cleanup_stale, missing_tools

    if "root" in missing_tools():
        _error("cleanup needs root")
        return 3
    removed = cleanup_stale(STATE_DIR)
    print(f"[kafkacheck] removed {len(removed)} stale networks: {removed}", file=sys.stderr)
    return 0


COMMANDS = {
    "run": cmd_run,
    "soak": cmd_soak,
    "judge": cmd_judge,
    "up": cmd_up,
    "down": cmd_down,
    "cleanup": cmd_cleanup,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (see the module docstring)."""
    try:
        args = _parser().parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return int(exc.code or 0)
    with _sigterm_as_exit():
        try:
            return COMMANDS[args.cmd](args)
        except UsageError as exc:
            _error(str(exc))
            return 2


if __name__ == "__main__":
    sys.exit(main())
