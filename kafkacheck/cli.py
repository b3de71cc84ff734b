"""The ``kafkacheck`` command line: list, check, simulate, replay, graph, report, bench.

Exit codes: 0 every selected property was checked to the end and holds within the
stated bounds and fault model (and every sometimes-property was reached); 1 a property
is violated (a counterexample is printed); 2 bad input; 3 no verdict for the whole run:
stopped early (a limit or Ctrl-C; the partial result is printed), a selected property
the engine does not check (*not checked*), a sometimes-property never reached (a
coverage finding, not a violation), or a search that cannot prove (simulate).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

from kafkacheck import __version__
from kafkacheck.config import Config, UsageError, build_config, did_you_mean, parse_pairs

EXIT_HOLDS, EXIT_VIOLATED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line, exit 2) instead of printing usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model or preset name (see `kafkacheck list`)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a Kafka setting, e.g. --set acks=1 (repeatable)")
    p.add_argument("--config", dest="configs", action="append", default=[],
                   metavar="FILE.properties", help="Kafka settings from a .properties file")
    p.add_argument("--bound", dest="bounds", action="append", default=[], metavar="NAME=VALUE",
                   help="a model bound, e.g. --bound crashes=1 (repeatable)")
    p.add_argument("--kafka-version", default=None, metavar="X.Y",
                   help="the Kafka release to check (0.10 to 4.4; default 4.4): picks its "
                        "rules and its defaults")
    p.add_argument("--property", dest="props", action="append", default=[], metavar="NAME",
                   help="check only this property (repeatable)")
    p.add_argument("--max-states", type=int, default=None, metavar="N")
    p.add_argument("--max-seconds", type=float, default=None, metavar="S")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-diagram", action="store_true", help="omit Mermaid diagrams")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(prog="kafkacheck", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"kafkacheck {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p_list = sub.add_parser("list", help="models, their bounds and properties, and presets")
    p_list.add_argument("--json", action="store_true")

    p_check = sub.add_parser("check", help="explore every reachable state (bounded)")
    _add_config_args(p_check)
    p_check.add_argument("--strategy", choices=("bfs", "dfs"), default="bfs")
    p_check.add_argument("--max-depth", type=int, default=None, metavar="N")
    p_check.add_argument("--stop-at-first", action="store_true",
                         help="stop at the first violation found")
    p_check.add_argument("--graph", metavar="FILE",
                         help="write the state graph (.dot or .graphml; small runs only)")
    p_check.add_argument("--workers", type=int, default=1, metavar="N",
                         help="processes for parallel breadth-first search (sharded, "
                         "persistent workers)")
    p_check.add_argument("--ray", metavar="auto|ADDRESS", default=None,
                         help="run the sharded search on Ray actors: 'auto' starts a local "
                         "cluster, or give a cluster address")
    p_check.add_argument("--memory-budget", metavar="SIZE", default=None,
                         help="frontier kept in memory (e.g. 512M, 4G); the rest goes to disk")
    p_check.add_argument("--checkpoint", metavar="DIR", default=None,
                         help="save the search at level boundaries (every "
                         "--checkpoint-every seconds) for --resume")
    p_check.add_argument("--checkpoint-every", type=float, default=600.0, metavar="S")
    p_check.add_argument("--resume", metavar="DIR", default=None,
                         help="continue a search saved with --checkpoint")
    p_check.add_argument("--progress-every", type=float, default=None, metavar="S",
                         help="a progress line on stderr every S seconds (default: live on "
                         "a terminal, every 10 s otherwise, none with --json; 0: none)")

    p_sim = sub.add_parser("simulate", help="seeded random walks (finds, never proves)")
    _add_config_args(p_sim)
    p_sim.add_argument("--seed", type=int, default=0)
    p_sim.add_argument("--walks", type=int, default=1000)
    p_sim.add_argument("--depth", type=int, default=100, help="steps per walk")
    p_sim.add_argument("--progress-every", type=float, default=None, metavar="S",
                       help=argparse.SUPPRESS)

    p_prove = sub.add_parser("prove", help="Z3: prove NoAckedWriteLost for any cluster size, "
                             "or bounded model checking with --brokers")
    _add_config_args(p_prove)
    p_prove.add_argument("--brokers", type=int, default=None,
                         help="bounded model checking over this many brokers")
    p_prove.add_argument("--depth", type=int, default=10, help="steps for bounded checking")

    p_replay = sub.add_parser("replay", help="replay a counterexample's actions (from --json)")
    _add_config_args(p_replay)
    p_replay.add_argument("trace", help="a JSON result file of `check --json`, or - for stdin")

    p_report = sub.add_parser("report", help="regenerate the guarantee reports")
    p_report.add_argument("--out", default="reports")
    p_report.add_argument("--only", action="append", default=[], metavar="SECTION")
    p_report.add_argument("--max-seconds", type=float, default=None,
                          help="time limit per check")

    p_conf = sub.add_parser("conformance", help="run a real Kafka 4.4 cluster and judge its "
                            "histories (run | soak | judge | cleanup | up | down)")
    p_conf.add_argument("rest", nargs=argparse.REMAINDER)

    from kafkacheck.webui.command import add_arguments as add_explore_arguments

    add_explore_arguments(sub.add_parser(
        "explore", help="explore a model's states and counterexamples in the browser"))

    p_bench = sub.add_parser("bench", help="states/s and bytes/state on a fixed model")
    p_bench.add_argument("--json", action="store_true")
    p_bench.add_argument("--quick", action="store_true")
    return parser


def resolve(args: argparse.Namespace) -> tuple[Any, Config, list[str]]:
    """The model instance, its configuration and the selected properties from CLI args."""
    from kafkacheck.model import presets, registry

    name = args.model
    base: dict[str, str] = {}
    bound_pairs: list[tuple[str, str]] = []
    props = list(args.props)
    version = getattr(args, "kafka_version", None)
    if name not in registry.MODELS:
        preset = presets.PRESETS.get(name)
        if preset is None:
            hint = did_you_mean(name, [*registry.MODELS, *presets.PRESETS])
            raise UsageError(f"unknown model or preset {name!r}{hint} (see `kafkacheck list`)")
        name = preset.model
        base = dict(preset.settings)
        bound_pairs = [(k, str(v)) for k, v in preset.bounds.items()]
        props = props or list(preset.properties)
        version = version or preset.kafka_version
    try:
        cls = registry.model_class(name)
    except ImportError as exc:
        raise UsageError(f"model {name!r} is not available in this installation: {exc}") from None
    settings = parse_pairs(args.sets, "--set")
    cls = _protocol_variant(cls, base, args.configs, settings)
    config = build_config(
        cls,
        settings=settings,
        files=args.configs,
        bounds=bound_pairs + parse_pairs(args.bounds, "--bound"),
        base=base,
        kafka_version=version,
    )
    for attr in ("max_states", "max_seconds"):
        value = getattr(args, attr, None)
        if value is not None and not 0 < value < float("inf"):
            raise UsageError(f"--{attr.replace('_', '-')} must be positive")
    return cls(config), config, props


def _protocol_variant(cls: Any, base: dict[str, str], files: list[str],
                      settings: list[tuple[str, str]]) -> Any:
    """The model a protocol setting selects (group.protocol=consumer: the KIP-848 model)."""
    variants = getattr(cls, "protocol_variants", None)
    if not variants:
        return cls
    from kafkacheck.config import load_properties_file
    from kafkacheck.model import registry

    key, table = variants
    raw = dict(base)
    for path in files:
        raw.update(load_properties_file(path))
    raw.update(settings)
    name = table.get(raw.get(key, "").strip().lower())
    return registry.model_class(name) if name else cls


def _exit_code(result: Any) -> int:
    """1 violated, 0 holds, 3 anything else (incomplete, not checked, never reached)."""
    if result.result == "violated":
        return EXIT_VIOLATED
    return EXIT_HOLDS if result.result == "holds" else EXIT_INCOMPLETE


def _emit(result: Any, args: argparse.Namespace) -> None:
    from kafkacheck.explorer.render import result_json, text_report

    if args.json:
        print(json.dumps(result_json(result), indent=2))
    else:
        print(text_report(result, diagrams=not args.no_diagram))


def cmd_check(args: argparse.Namespace) -> int:
    """Run exhaustive search and print the result."""
    from kafkacheck.explorer.engines import EngineRequest, run_check

    model, _config, props = resolve(args)
    request = EngineRequest.from_args(args)
    result = run_check(model, props, request)
    if args.graph:
        from kafkacheck.explorer.graph import export_graph

        export_graph(result, args.graph)
    _emit(result, args)
    return _exit_code(result)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run seeded random walks and print what they found."""
    from kafkacheck.explorer.simulate import simulate

    model, _config, props = resolve(args)
    if args.walks < 1 or args.depth < 1:
        raise UsageError("--walks and --depth must be at least 1")
    result = simulate(model, props, seed=args.seed, walks=args.walks, depth=args.depth,
                      max_seconds=args.max_seconds)
    _emit(result, args)
    return _exit_code(result)  # a random search never proves: 1 or 3


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay the action labels of a saved counterexample and re-check the properties."""
    from kafkacheck.explorer.render import trace_lines
    from kafkacheck.explorer.trace import ReplayError, replay

    model, _config, _props = resolve(args)
    try:
        text = sys.stdin.read() if args.trace == "-" else open(args.trace, encoding="utf-8").read()
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read trace {args.trace}: {exc}") from None
    violations = data.get("violations") if isinstance(data, dict) else None
    if not violations:
        raise UsageError(f"{args.trace} holds no violation to replay")
    status = EXIT_HOLDS
    for violation in violations:
        labels = [tuple(step["label"]) for step in violation["trace"] if step.get("label")]
        try:
            trace = replay(model, labels)
        except ReplayError as exc:
            raise UsageError(f"trace of {violation['property']} does not replay: {exc}") from None
        final = trace.steps[-1].state
        broken = [p.name for p in model.properties()
                  if p.kind == "always" and p.holds is not None and not p.holds(final)]
        print(f"{violation['property']}: {len(trace)} steps replayed; final state violates: "
              f"{', '.join(broken) or 'nothing'}")
        print("\n".join(trace_lines(model, trace)))
        if broken:
            status = EXIT_VIOLATED
    return status


def cmd_prove(args: argparse.Namespace) -> int:
    """Symbolic checking with Z3: an inductive proof for every cluster size, or BMC.

    The encoding represents some models, settings and bounds (``covered``); anything else is
    NOT COVERED (exit 3) before any solving, and every verdict lists what it abstracts away.
    """
    from kafkacheck.explorer.symbolic import bounded_check, prove_inductive

    model, config, props = resolve(args)
    if args.brokers is not None and args.brokers < 1 or args.depth < 1:
        raise UsageError("--brokers and --depth must be at least 1")
    if args.max_states is not None:
        raise UsageError("prove has no --max-states (use --max-seconds)")
    coverage = getattr(model, "symbolic_coverage", None)
    if coverage is None:
        raise UsageError(f"model {model.name} has no symbolic encoding (try replication)")
    cov = coverage()
    known = {p.name for p in model.properties()}
    for name in props:
        if name not in known:
            raise UsageError(f"unknown property {name!r} for model {model.name}")
    problems = list(cov.refusals)
    if config.uncovered:
        problems.insert(0, f"{config.uncovered_text()} changes semantics the {model.name} "
                        "model does not cover; nothing was proved")
    problems += [f"property {name}: prove checks {cov.property} only (use `kafkacheck check`)"
                 for name in props if name != cov.property]
    rf = config.kafka.get("replication.factor")
    if args.brokers is not None and "replication.factor" in config.explicit \
            and args.brokers != rf:
        raise UsageError(f"--brokers {args.brokers} contradicts replication.factor={rf} "
                         "(bounded checking runs one replica per broker)")
    settings = ", ".join(f"{k}={v}" for k, v in config.kafka_text().items()
                         if k in model.key_settings)
    missing = list(model.fault_model().not_explored)
    base: dict[str, Any] = {"model": model.name, "settings": settings,
                            "faults": cov.faults, "faults_not_explored": missing,
                            "encoded_settings": list(cov.settings),
                            "encoded_bounds": dict(cov.bounds),
                            "abstracts_away": list(cov.abstracts)}
    if problems:
        if args.json:
            print(json.dumps({"engine": "z3", **base, "result": "not covered",
                              "not_covered": problems}, indent=2))
        else:
            for line in problems:
                print(f"NOT COVERED: {line}")
            print("prove encodes the settings " + ", ".join(cov.settings)
                  + "; the bounds " + ", ".join(cov.bounds))
        return EXIT_INCOMPLETE
    enc = cov.encoding()
    if args.brokers is not None:
        res = bounded_check(enc, args.brokers, args.depth, budgets=cov.budgets,
                            max_seconds=args.max_seconds)
        out: dict[str, Any] = {"engine": "z3-bmc", **base, "brokers": res.brokers,
                               "depth": args.depth, "budgets": dict(cov.budgets),
                               "uncounted_bounds": list(cov.uncounted),
                               "violated": res.violated, "seconds": round(res.seconds, 2),
                               "trace": [label for label, _ in res.trace]}
        budgets = ", ".join([f"{k}<={v}" for k, v in cov.budgets.items()]
                            + [f"{k}: any number" for k in cov.uncounted]) or "no faults"
        if args.json:
            print(json.dumps(out, indent=2))
        elif res.violated:
            print(f"{cov.property} VIOLATED within {res.depth} steps over {res.brokers} "
                  f"brokers ({settings}; {budgets}):")
            for i, (label, view) in enumerate(res.trace):
                print(f"  {i}. {label}  {view}")
        else:
            status = "no violation" if res.complete_to_depth else "solver gave up"
            print(f"{status} of {cov.property} within {args.depth} steps over {res.brokers} "
                  f"brokers ({settings}; {budgets}); {res.seconds:.1f}s (bounded: says "
                  f"nothing beyond {args.depth} steps)")
        return EXIT_VIOLATED if res.violated else (EXIT_HOLDS if res.complete_to_depth
                                                   else EXIT_INCOMPLETE)
    proof = prove_inductive(enc, max_seconds=args.max_seconds)
    gave_up = any(v.startswith("unknown") for v in proof.obligations.values())
    if args.json:
        print(json.dumps({"engine": "z3-induction", **base, "proved": proof.proved,
                          "result": "proved" if proof.proved else
                          ("incomplete" if gave_up else "not proved"),
                          "obligations": proof.obligations, "broken": proof.broken,
                          "seconds": round(proof.seconds, 2)}, indent=2))
    else:
        print(f"inductive proof of {cov.property} ({settings}; faults: {cov.faults}, any "
              f"number of each; not explored: {', '.join(missing) or 'none'}):")
        for name, verdict in proof.obligations.items():
            clauses = proof.broken.get(name)
            print(f"  {verdict:<30} {name}" + (f"  [breaks: {'; '.join(clauses)}]"
                                               if clauses else ""))
        print("abstracted away: " + "; ".join(cov.abstracts))
        if proof.proved:
            print("PROVED for every cluster size and every number of the faults above")
        elif gave_up:
            print("INCOMPLETE: the solver gave up on an obligation")
        else:
            print("NOT PROVED: a counterexample to induction exists, which may be "
                  "unreachable (look for a real one with `kafkacheck check` or "
                  "`prove --brokers N`)")
    # A counterexample to induction is not a violation: not proved is exit 3, as incomplete.
    return EXIT_HOLDS if proof.proved else EXIT_INCOMPLETE


def cmd_list(args: argparse.Namespace) -> int:
    """Print the models, their bounds and properties, and the presets."""
    from kafkacheck.model import presets, registry
    from kafkacheck.model.interface import Model

    entries = []
    for name in registry.available():
        cls = registry.model_class(name)
        try:
            config = build_config(cls)
            model: Model | None = cls(config)
            props = list(model.properties())
        except UsageError:
            props = []
        entries.append({
            "name": name,
            "summary": cls.summary,
            "source": cls.source,
            "settings": list(cls.settings),
            "bounds": [{"name": b.name, "default": b.default, "doc": b.doc,
                        **({"choices": list(b.choices)} if b.choices else {})}
                       for b in cls.bounds],
            "properties": [{"name": p.name, "kind": p.kind, "statement": p.statement}
                           for p in props],
        })
    preset_list = [{"name": p.name, "model": p.model, "summary": p.summary}
                   for p in presets.PRESETS.values()]
    if args.json:
        print(json.dumps({"models": entries, "presets": preset_list}, indent=2))
        return EXIT_HOLDS
    for e in entries:
        print(f"{e['name']}: {e['summary']}")
        if e["settings"]:
            print(f"  Kafka settings: {', '.join(e['settings'])}")
        for b in e["bounds"]:
            choices = f" (one of {', '.join(b['choices'])})" if "choices" in b else ""
            print(f"  bound {b['name']}={b['default']}: {b['doc']}{choices}")
        for p in e["properties"]:
            print(f"  {p['kind']:<10} {p['name']}: {p['statement']}")
        print()
    if preset_list:
        print("presets (use in place of a model name):")
        for p in preset_list:
            print(f"  {p['name']} [{p['model']}]: {p['summary']}")
    return EXIT_HOLDS


def cmd_report(args: argparse.Namespace) -> int:
    """Regenerate the guarantee reports."""
    from kafkacheck.report import generate

    return generate(args.out, only=args.only, max_seconds=args.max_seconds)


def cmd_conformance(args: argparse.Namespace) -> int:
    """Delegate to the conformance harness (python -m kafkacheck.conformance)."""
    from kafkacheck.conformance.__main__ import main as conformance_main

    return conformance_main(args.rest or ["--help"])


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the explorer on a fixed model."""
    from kafkacheck.bench import run_bench

    return run_bench(as_json=args.json, quick=args.quick)


def cmd_explore(args: argparse.Namespace) -> int:
    """Serve the browser explorer (kafkacheck/webui) until Ctrl-C."""
    from kafkacheck.webui.command import explore

    return explore(args, resolve)


COMMANDS = {
    "list": cmd_list,
    "check": cmd_check,
    "simulate": cmd_simulate,
    "replay": cmd_replay,
    "prove": cmd_prove,
    "report": cmd_report,
    "bench": cmd_bench,
    "conformance": cmd_conformance,
    "explore": cmd_explore,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C must stop a search with its partial result, even when the shell that
        # started us ignores SIGINT (background jobs inherit that).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"kafkacheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        from kafkacheck.explorer.trace import TraceMismatch

        if not isinstance(exc, TraceMismatch):
            raise
        print(f"kafkacheck: error: the result cannot be trusted: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        print("kafkacheck: interrupted", file=sys.stderr)
        return EXIT_INCOMPLETE
    except BrokenPipeError:
        return EXIT_HOLDS


def console_main() -> None:
    """setuptools console-script wrapper."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
