"""The ``kafkacheck`` command line: check Kafka configurations against Kafka's guarantees.

Exit codes: 0 every selected property was checked to the end and holds within the
stated bounds and fault model (and every sometimes-property was reached); 1 a property
is violated (a counterexample is printed); 2 bad input; 3 no verdict for the whole run:
stopped early (a limit or Ctrl-C; the partial result is printed), a selected property
the engine does not check (*not checked*), a sometimes-property never reached (a
coverage finding, not a violation), or a search that cannot prove (simulate).  An
internal error prints one line and exits 70 (KAFKACHECK_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from kafkacheck import __version__
from kafkacheck.config import (
    Config,
    UsageError,
    build_config,
    choice_hint,
    count_limit,
    parse_pairs,
    protocol_variant,
    resolve_target,
    seconds_limit,
)

EXIT_HOLDS, EXIT_VIOLATED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in kafkacheck, never a verdict


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line, exit 2) instead of printing usage, and
    takes no abbreviated option (--prop is no --property: a typo is named, never guessed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(choice_hint(message))


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def _check_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """UsageError for an option given twice that takes one value (its last value would win
    unsaid, where a repeated --set or --bound is refused)."""
    for action in parser._actions:
        if not action.option_strings or not isinstance(action, argparse._StoreAction):
            continue
        given = sum(1 for arg in argv if arg.split("=", 1)[0] in action.option_strings)
        if given > 1:
            raise UsageError(f"{action.option_strings[-1]} is given {given} times: give it "
                             "once")


def _unknown_options(parser: argparse.ArgumentParser, extra: Sequence[str]) -> str:
    """'unrecognized arguments: --bund (did you mean --bound?)'."""
    import difflib

    known = [o for action in parser._actions for o in action.option_strings]
    parts = []
    for arg in extra:
        name = arg.split("=", 1)[0]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) \
            if name.startswith("--") else []
        parts.append(f"{arg} (did you mean {close[0]}?)" if close else arg)
    return "unrecognized arguments: " + " ".join(parts)


def _seconds(text: str) -> float:
    """argparse type of --max-seconds: a finite positive number."""
    try:
        return seconds_limit(text, "")
    except UsageError:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive (a finite number of "
                                         "seconds)") from None


def _count(minimum: int, maximum: int | None = None) -> Any:
    """argparse type of a count option: an integer within [minimum, maximum]."""

    def parse(text: str) -> int:
        try:
            return count_limit(text, "", minimum, maximum)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(": ")) from None

    return parse


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model or preset name (see `kafkacheck list`)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a Kafka setting, e.g. --set acks=1 (repeatable)")
    p.add_argument("--config", dest="configs", action="append", default=[],
                   metavar="FILE.properties",
                   help="Kafka settings from a .properties file (repeatable; files that "
                        "disagree on a key are refused: --set decides)")
    p.add_argument("--bound", dest="bounds", action="append", default=[], metavar="NAME=VALUE",
                   help="a model bound, e.g. --bound crashes=1 (repeatable)")
    p.add_argument("--kafka-version", default=None, metavar="X.Y",
                   help="the Kafka release to check (0.10 to 4.4; default 4.4): picks its "
                        "rules and its defaults")
    p.add_argument("--property", dest="props", action="append", default=[], metavar="NAME",
                   help="check only this property (repeatable)")
    p.add_argument("--max-states", type=_count(1), default=None, metavar="N",
                   help="stop after N distinct states (the result is then INCOMPLETE, exit 3)")
    p.add_argument("--max-seconds", type=_seconds, default=None, metavar="S",
                   help="stop after S seconds (the result is then INCOMPLETE, exit 3)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-diagram", action="store_true", help="omit Mermaid diagrams")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(prog="kafkacheck",
                     description="Check Kafka configurations against Kafka's guarantees: "
                                 "model checking, reviews of real .properties files, and "
                                 "Kafka-exact partition and assignment answers.",
                     epilog="exit codes: 0 holds, 1 violated, 2 bad input, 3 incomplete or "
                            "not covered; `kafkacheck COMMAND --help` for a command's options")
    parser.add_argument("--version", action="version", version=f"kafkacheck {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND",
                                title="commands")

    p_list = sub.add_parser("list", help="models, their bounds and properties, and presets")
    p_list.add_argument("--json", action="store_true", help="print one JSON object")

    p_check = sub.add_parser("check", help="explore every reachable state (bounded)")
    _add_config_args(p_check)
    p_check.add_argument("--strategy", choices=("bfs", "dfs"), default="bfs",
                         help="breadth-first (shortest counterexamples, liveness) or "
                              "depth-first search")
    p_check.add_argument("--max-depth", type=_count(0), default=None, metavar="N",
                         help="explore at most N steps from the initial states")
    p_check.add_argument("--stop-at-first", action="store_true",
                         help="stop with the breadth-first level where a violation is first "
                         "found (each violation of that level is reported, on every engine)")
    p_check.add_argument("--graph", metavar="FILE",
                         help="write the state graph (.dot or .graphml; small runs only)")
    p_check.add_argument("--workers", type=int, default=1, metavar="N",
                         help="processes for parallel breadth-first search (sharded, "
                         "persistent workers)")
    p_check.add_argument("--ray", metavar="auto|ADDRESS", default=None,
                         help="run the sharded search on Ray actors: 'auto' starts a local "
                         "cluster, or give a cluster address")
    p_check.add_argument("--memory-budget", metavar="SIZE", default=None,
                         help="frontier kept in memory by the whole run (e.g. 512M, 4G; "
                         "split between --workers); the rest goes to disk")
    p_check.add_argument("--checkpoint", metavar="DIR", default=None,
                         help="save the search at level boundaries (every "
                         "--checkpoint-every seconds) for --resume")
    p_check.add_argument("--checkpoint-every", type=float, default=None, metavar="S",
                         help="seconds between checkpoints (default 600)")
    p_check.add_argument("--resume", metavar="DIR", default=None,
                         help="continue a search saved with --checkpoint")
    p_check.add_argument("--progress-every", type=float, default=None, metavar="S",
                         help="a progress line on stderr every S seconds (default: live on "
                         "a terminal, every 10 s otherwise, none with --json; 0: none)")
    p_check.add_argument("--no-estimate", action="store_true",
                         help="skip the quick state-space estimate made before a long run")

    p_sim = sub.add_parser("simulate", help="seeded random walks (finds, never proves)")
    _add_config_args(p_sim)
    p_sim.add_argument("--seed", type=int, default=0, help="random seed (same seed, same walks)")
    p_sim.add_argument("--walks", type=_count(1, 10**9), default=1000, help="random walks to run")
    p_sim.add_argument("--depth", type=_count(1, 10**6), default=100, help="steps per walk")

    p_prove = sub.add_parser("prove", help="Z3: prove NoAckedWriteLost for any cluster size, "
                             "or bounded model checking with --brokers")
    _add_config_args(p_prove)
    p_prove.add_argument("--brokers", type=_count(1, 16), default=None,
                         help="bounded model checking over this many brokers")
    p_prove.add_argument("--depth", type=_count(1, 200), default=None,
                         help="steps for bounded checking (with --brokers; default 10)")

    p_replay = sub.add_parser("replay", help="replay a counterexample's actions (from --json)",
                              description="Replay a saved counterexample (`check --json`) "
                              "through the model and configuration it was recorded with.")
    _add_config_args(p_replay)
    p_replay.add_argument("trace", nargs="?", default=None,
                          help="a JSON result file of `check --json`, or - for stdin (given "
                               "alone, the model and settings come from the file)")

    p_report = sub.add_parser("report", help="regenerate the guarantee reports")
    p_report.add_argument("--out", default="reports", metavar="DIR",
                          help="folder to write (created if missing; default reports)")
    p_report.add_argument("--only", action="append", default=[], metavar="SECTION",
                          help="regenerate only this section (repeatable); the others and "
                               "the index keep their content")
    p_report.add_argument("--max-seconds", type=_seconds, default=None, metavar="S",
                          help="time limit per check")

    p_conf = sub.add_parser("conformance", help="run a real Kafka 4.4 cluster and judge its "
                            "histories (run | soak | judge | cleanup | up | down)")
    p_conf.add_argument("rest", nargs=argparse.REMAINDER,
                        help="the harness's own arguments (run, soak, judge, cleanup, up, down, "
                             "--help)")

    from kafkacheck.webui.command import add_arguments as add_explore_arguments

    add_explore_arguments(sub.add_parser(
        "explore", help="explore a model's states and counterexamples in the browser"))

    p_bench = sub.add_parser("bench", help="states/s and bytes/state on a fixed model")
    p_bench.add_argument("--json", action="store_true", help="print one JSON object")
    p_bench.add_argument("--quick", action="store_true", help="a smaller case (seconds)")
    _add_review_parser(sub)
    _add_calculator_parsers(sub)
    return parser


def _add_review_parser(sub: Any) -> None:
    """review: a team's real configuration files, checked in one command."""
    r = sub.add_parser("review", help="check real producer/consumer/topic/broker .properties "
                       "files against Kafka's guarantees",
                       description="Work out which role each file plays, check the guarantees "
                       "that matter for its settings under the faults that threaten them, and "
                       "print per guarantee: holds (with bounds), violated (shortest "
                       "counterexample and the smallest fixing change) or not covered.")
    r.add_argument("files", nargs="+", metavar="[ROLE:]FILE",
                   help="a .properties file; ROLE: (producer, consumer, topic, broker, "
                        "connect-worker, connector, streams, admin) names its role when the "
                        "keys do not tell")
    r.add_argument("--kafka-version", default=None, metavar="X.Y",
                   help="the Kafka release the files run on (0.10 to 4.4; default 4.4): its "
                        "rules and the defaults of unset settings")
    r.add_argument("--max-seconds", type=_seconds, default=None, metavar="S",
                   help="time budget for all checks and fix searches (default 90)")
    r.add_argument("--no-fix", action="store_true",
                   help="report violations without searching for the smallest fix")
    out = r.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--markdown", action="store_true",
                     help="print a Markdown pull-request comment")


def cmd_review(args: argparse.Namespace) -> int:
    """Review configuration files; exit 0 all hold, 1 violated, 2 bad input, 3 not covered."""
    from kafkacheck import review

    files = review.load_files(args.files, args.kafka_version)
    budget = args.max_seconds if args.max_seconds is not None else review.DEFAULT_MAX_SECONDS
    result = review.run(files, budget, fix_search=not args.no_fix,
                        kafka_version=args.kafka_version)
    _printing_verdict[:] = [result.exit_code]
    if args.json:
        print(json.dumps(review.as_json(result), indent=1))
    elif args.markdown:
        print(review.markdown(result))
    else:
        print(review.text(result))
    return result.exit_code


def _add_calculator_parsers(sub: Any) -> None:
    """partition, assign and partitioner-sequence: Kafka's exact answers, instantly."""
    p = sub.add_parser("partition", help="which partition a key goes to (Kafka's murmur2)",
                       description="The partition Kafka's producer picks for a keyed record.")
    p.add_argument("--key", action="append", default=[], metavar="KEY",
                   help="the record key (repeatable)")
    p.add_argument("--keys-file", metavar="FILE", help="keys, one per line (batch mode)")
    p.add_argument("--partitions", type=_count(1), required=True, metavar="N",
                   help="partitions of the topic")
    p.add_argument("--partitioner", default="default",
                   choices=("default", "roundrobin", "ignore-keys"),
                   help="default: the built-in partitioner (partitioner.class unset); "
                        "roundrobin: RoundRobinPartitioner; ignore-keys: "
                        "partitioner.ignore.keys=true")
    p.add_argument("--key-serializer", default="string",
                   choices=("string", "integer", "long", "short", "uuid", "bytes"),
                   help="how the key becomes bytes (StringSerializer UTF-8 by default; bytes: "
                        "the key is hex)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    a = sub.add_parser("assign", help="what each consumer gets (Kafka's own assignors)",
                       description="Run Kafka's partition assignor as the group leader (or "
                                   "the KIP-848 group coordinator) would.")
    a.add_argument("--strategy", required=True,
                   choices=("range", "roundrobin", "sticky", "cooperative-sticky", "uniform",
                            "kip848-range"),
                   help="the assignor (partition.assignment.strategy; uniform and range for "
                        "group.protocol=consumer)")
    a.add_argument("--members", required=True, metavar="M1,M2,...|N",
                   help="member ids in JoinGroup order, or a count")
    a.add_argument("--topics", required=True, metavar="TOPIC:N,...",
                   help="subscribed topics and their partition counts")
    a.add_argument("--subscribe", default="", metavar="M=T1+T2,...",
                   help="per-member subscriptions (default: every member, every topic)")
    a.add_argument("--previous", default="", metavar="M[@GEN]=T-0+T-1,...",
                   help="partitions each member owned before this rebalance, optionally with "
                        "the generation it owned them in (sticky and cooperative-sticky keep "
                        "them; shows what is revoked and what moves)")
    a.add_argument("--generation", type=_count(0), default=None, metavar="G",
                   help="the generation of the previous assignment (default 1)")
    a.add_argument("--instance-ids", default="", metavar="M=ID,...",
                   help="group.instance.id of static members (orders range and roundrobin)")
    a.add_argument("--group-protocol", default=None, choices=("classic", "consumer"),
                   help="classic (client-side assignors) or consumer (KIP-848, server-side); "
                        "default: consumer for kip848-range, else classic")
    a.add_argument("--json", action="store_true", help="print one JSON object")

    q = sub.add_parser("partitioner-sequence",
                       help="where each keyless record goes (sticky or round-robin)",
                       description="Follow keyless records one by one through the built-in "
                                   "sticky partitioner (KIP-794) or RoundRobinPartitioner.")
    q.add_argument("--partitioner", default="sticky", choices=("sticky", "roundrobin"),
                   help="sticky: the built-in partitioner; roundrobin: RoundRobinPartitioner")
    q.add_argument("--partitions", type=_count(1), required=True, metavar="N",
                   help="partitions of the topic")
    q.add_argument("--records", type=_count(1), default=100, metavar="R",
                   help="records sent one after another (default 100)")
    q.add_argument("--batch-size", type=_count(1), default=None, metavar="BYTES",
                   help="batch.size (default 16384)")
    q.add_argument("--record-bytes", type=_count(1), default=None, metavar="BYTES",
                   help="each record's size inside its batch (default 100)")
    q.add_argument("--random", default=None, metavar="V1,V2,...",
                   help="the ThreadLocalRandom.nextInt() values Kafka draws, in order")
    q.add_argument("--seed", type=int, default=None,
                   help="draw the random values from this seed instead (printed; default 0)")
    q.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_partition(args: argparse.Namespace) -> int:
    """Print the partition of each key."""
    from kafkacheck import calculators

    keys = list(args.key)
    if args.keys_file:
        from kafkacheck.config import read_text_file

        keys += calculators.read_keys(read_text_file(args.keys_file, "--keys-file"))
    if not keys:
        raise UsageError("give --key KEY or --keys-file FILE")
    answers = [calculators.partition_for(k, args.partitions, args.partitioner,
                                         args.key_serializer) for k in keys]
    if args.json:
        print(json.dumps({"partitions": args.partitions, "partitioner": args.partitioner,
                          "key_serializer": args.key_serializer,
                          "keys": [a.as_json() for a in answers]}, indent=1))
    else:
        print(calculators.keyed_text(answers))
    return EXIT_HOLDS


def cmd_assign(args: argparse.Namespace) -> int:
    """Print each member's partitions (and moves, with --previous)."""
    from kafkacheck import calculators

    topics = calculators.parse_topics(args.topics)
    members = calculators.parse_members(args.members)
    previous, generations = calculators.parse_previous(args.previous, members)
    subscribe = calculators.parse_member_map(args.subscribe, "--subscribe", members)
    ids = calculators.parse_instance_ids(args.instance_ids, members)
    if args.group_protocol is None:  # kip848-range is the consumer protocol's own assignor
        args.group_protocol = "consumer" if args.strategy == "kip848-range" else "classic"
    elif args.group_protocol == "classic" and args.strategy == "kip848-range":
        raise UsageError("kip848-range is the KIP-848 server-side range assignor: use "
                         "--group-protocol consumer (or --strategy range for the classic one)")
    calculators.check_generation(args.strategy, args.group_protocol, args.generation,
                                 generations, previous)
    if args.generation is not None:
        generations = {m: generations.get(m, args.generation) for m in previous}
    answer = calculators.assign_partitions(args.strategy, topics, members, subscribe, previous,
                                           generations, ids, args.group_protocol)
    # A subscription to a topic the cluster lacks is valid Kafka (it gets nothing from it),
    # and most often a typo: said, with the close topic.
    from kafkacheck.config import did_you_mean

    unknown = [f"{m} subscribes to {t!r}, which is not in --topics{did_you_mean(t, topics)}: "
               "it gets nothing from it" for m, subs in subscribe.items() for t in subs
               if t not in topics]
    if args.json:
        print(json.dumps({**answer.as_json(), **({"notes": unknown} if unknown else {})},
                         indent=1))
    else:
        print(answer.text())
        for line in unknown:
            print(f"note: {line}")
    return EXIT_HOLDS


def cmd_partitioner_sequence(args: argparse.Namespace) -> int:
    """Print where each keyless record goes."""
    from kafkacheck import calculators

    sticky_only = [option for option, value in (
        ("--random", args.random), ("--seed", args.seed), ("--batch-size", args.batch_size),
        ("--record-bytes", args.record_bytes)) if value is not None]
    if args.partitioner == "roundrobin":
        if sticky_only:
            raise UsageError(f"{', '.join(sticky_only)}: RoundRobinPartitioner draws no random "
                             "value and does not depend on batches (drop it)")
        answer = calculators.round_robin_sequence(args.records, args.partitions)
    else:
        if args.random is not None and args.seed is not None:
            raise UsageError("--random and --seed are alternatives: give one")
        draws = calculators.parse_draws(args.random) if args.random is not None else None
        answer = calculators.sticky_sequence(
            args.records, args.partitions, args.batch_size or 16384, args.record_bytes or 100,
            draws, args.seed or 0)
    print(json.dumps(answer.as_json(), indent=1) if args.json else answer.text())
    return EXIT_HOLDS


def resolve(args: argparse.Namespace) -> tuple[Any, Config, list[str]]:
    """The model instance, its configuration and the selected properties from CLI args."""
    cls, base, bound_pairs, preset_props, preset_version = resolve_target(args.model)
    props = list(args.props) or preset_props
    given = getattr(args, "kafka_version", None)
    version = preset_version if given is None else given  # '' is bad input, not the default
    settings = parse_pairs(args.sets, "--set")
    cls = protocol_variant(cls, base, args.configs, settings)
    config = build_config(
        cls,
        settings=settings,
        files=args.configs,
        bounds=parse_pairs(args.bounds, "--bound"),  # the user's: given twice is refused
        base_bounds=bound_pairs,  # the preset's: the user's --bound overrides them
        base=base,
        kafka_version=version,
    )
    # Commands whose parsers take plain numbers (explore) are held to the same limits.
    for attr, unit in (("max_states", "states"), ("max_seconds", "seconds")):
        value = getattr(args, attr, None)
        if value is not None and not 0 < value < float("inf"):
            raise UsageError(f"--{attr.replace('_', '-')}: {value!r} must be positive (a "
                             f"finite number of {unit})")
    return cls(config), config, props


def _exit_code(result: Any) -> int:
    """1 violated, 0 holds, 3 anything else (incomplete, not checked, never reached)."""
    from kafkacheck.explorer.render import exit_code

    return exit_code(result)


# Commands whose exit code is a verdict, and the code of the verdict being printed: when
# the reader goes away mid-print (`| head`), the exit code stays the verdict's, never 0 for
# a verdict that was not "holds" (nor for one not yet reached).
VERDICT_COMMANDS = frozenset({"check", "simulate", "replay", "prove", "review", "report",
                              "conformance"})
_printing_verdict: list[int] = []


def _emit(result: Any, args: argparse.Namespace, error: str | None = None) -> None:
    """Print the result; with ``error`` (the run's own output refused after it ended, as
    a graph past the export limit) the JSON says so and names exit code 2, as the
    process then exits."""
    from kafkacheck.explorer.render import result_json, text_report

    _printing_verdict[:] = [_exit_code(result)]

    if args.json:
        data = result_json(result)
        if error is not None:
            data = {**data, "exit_code": 2, "error": error}
        print(json.dumps(data, indent=2))
    else:
        print(text_report(result, diagrams=not args.no_diagram))


def cmd_check(args: argparse.Namespace) -> int:
    """Run exhaustive search and print the result."""
    from kafkacheck.explorer.engines import EngineRequest, run_check

    model, _config, props = resolve(args)
    if args.graph:
        from kafkacheck.explorer.graph import MAX_EXPORT_STATES

        # A graph past the export limit is refused: stop exploring just past it, not at
        # the end of a long run.
        if args.max_states is None or args.max_states > MAX_EXPORT_STATES + 1:
            args.max_states = MAX_EXPORT_STATES + 1
    request = EngineRequest.from_args(args)
    if not args.no_estimate and not args.resume:
        from kafkacheck.explorer.checks import select_properties

        # an unknown property, or one the request cannot check, is bad input: say so first
        request.refuse_for(model, select_properties(model, props))
        _warn_if_too_big(model, args.max_seconds)
    result = run_check(model, props, request)
    if args.graph:
        from kafkacheck.explorer.graph import export_graph

        try:
            export_graph(result, args.graph)
        except OSError as exc:
            message = f"--graph {args.graph}: {exc.strerror or exc}"
            _emit(result, args, message)
            raise UsageError(message) from None
        except UsageError as exc:
            _emit(result, args, str(exc))
            raise
    _emit(result, args)
    return _exit_code(result)


def _warn_if_too_big(model: Any, max_seconds: float | None) -> None:
    """Before an exhaustive run: a quick estimate, and a note on stderr when it looks long."""
    from kafkacheck.estimate import probe, warning

    seconds = 0.5 if max_seconds is None else min(0.5, max_seconds * 0.05)
    try:
        estimate = probe(model, seconds)
    except Exception:  # noqa: BLE001 - the model raised: the search reports it, with its trace
        return
    note = warning(estimate, max_seconds)
    if note:
        print(f"kafkacheck: {note}", file=sys.stderr)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run seeded random walks and print what they found."""
    from kafkacheck.explorer.simulate import simulate

    model, _config, props = resolve(args)
    if args.walks < 1 or args.depth < 1:
        raise UsageError("--walks and --depth must be at least 1")
    if args.max_states is not None:  # not among ENGINES["simulate"].options: refused
        raise UsageError("simulate has no --max-states (use --walks, --depth or --max-seconds)")
    result = simulate(model, props, seed=args.seed, walks=args.walks, depth=args.depth,
                      max_seconds=args.max_seconds)
    _emit(result, args)
    return _exit_code(result)  # a random search never proves: 1 or 3


def _read_saved_result(path: str) -> dict[str, Any]:
    """A `check --json` result file, parsed and shape-checked (UsageError otherwise)."""
    from kafkacheck.config import read_json_file

    data = read_json_file(path, "trace")
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a result of `kafkacheck check --json` (not an object)")
    violations = data.get("violations")
    if not isinstance(violations, list):
        raise UsageError(f"{path} is not a result of `kafkacheck check --json` "
                         "(no list of violations)")
    if not violations:
        raise UsageError(f"{path} holds no violation to replay")
    for i, violation in enumerate(violations):
        where = f"{path}: violation {i + 1}"
        if not isinstance(violation, dict) or not isinstance(violation.get("property"), str):
            raise UsageError(f"{where} has no property name")
        name = violation["property"]
        steps = violation.get("trace")
        if not isinstance(steps, list) or not all(isinstance(st, dict) for st in steps):
            raise UsageError(f"{where} ({name!r}) has no trace")
        for j, step in enumerate(steps):
            label = step.get("label")
            if label is None:
                if j == 0:  # the initial state: no action led to it
                    continue
                # dropping it would replay another trace than the one saved
                raise UsageError(f"{where} ({name!r}): step {j} has no action label")
            if (not isinstance(label, list) or not label or not isinstance(label[0], str)
                    or not all(isinstance(a, int | str) for a in label)):
                raise UsageError(f"{where} ({name!r}): malformed action label "
                                 f"{str(label)[:60]!r}")
    for key in ("config", "config_given", "bounds"):
        value = data.get(key)
        if value is not None and (not isinstance(value, dict) or not all(
                isinstance(v, str | int | float | bool) for v in value.values())):
            raise UsageError(f"{path}: malformed {key!r} (expected an object of values)")
    return data


def _saved_settings(data: dict[str, Any], cls: Any) -> list[tuple[str, str]]:
    """The settings a saved result was run with (what was given, or what differs from
    the defaults for files written before results recorded it)."""
    from kafkacheck.model import settings as kafka_settings

    given = data.get("config_given")
    if isinstance(given, dict):
        return [(k, str(v)) for k, v in given.items()]
    out = []
    for key, value in (data.get("config") or {}).items():
        setting = kafka_settings.lookup(key)
        if setting is None or kafka_settings.render(key, setting.default) != str(value):
            out.append((key, str(value)))
    return out


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay the action labels of a saved counterexample and re-check the properties."""
    from kafkacheck.explorer.checks import select_properties
    from kafkacheck.explorer.render import trace_lines
    from kafkacheck.explorer.trace import ReplayError, replay, violated_at_end

    ignored = [option for option, given in (("--json", args.json),
                                            ("--max-states", args.max_states is not None),
                                            ("--max-seconds", args.max_seconds is not None))
               if given]
    if ignored:
        raise UsageError(f"replay takes no {', '.join(ignored)}: it replays the saved traces "
                         "step by step (kafkacheck check runs a search)")
    trace_path, model_name = (args.model, None) if args.trace is None else \
        (args.trace, args.model)
    data = _read_saved_result(trace_path)
    saved_model = data.get("model")
    if model_name is None:
        if not isinstance(saved_model, str):
            raise UsageError(f"{trace_path} does not name its model: give it "
                             "(kafkacheck replay MODEL FILE)")
        model_name = saved_model
    cls, base, preset_bounds, _props, version = resolve_target(model_name)
    if isinstance(saved_model, str) and saved_model != cls.name:
        raise UsageError(f"{trace_path} was recorded for model {saved_model!r}, not "
                         f"{cls.name}")
    saved_bounds = data.get("bounds")
    bound_pairs = [(k, str(v)) for k, v in saved_bounds.items()] \
        if isinstance(saved_bounds, dict) else list(preset_bounds)
    settings = _saved_settings(data, cls) if "config" in data or "config_given" in data else \
        list(base.items())
    # The settings the run did not cover are not in config_given: without them the
    # replay would run another configuration (and answer VIOLATED where check said
    # NOT COVERED).
    saved_uncovered = data.get("not_covered")
    if isinstance(saved_uncovered, dict):
        settings += [(k, str(v)) for k, v in saved_uncovered.items()
                     if k not in dict(settings)]
    if args.trace is not None:
        # A preset named with the file: its settings and bounds apply over the file's, as
        # --set and --bound do (replay the trace under that configuration).
        settings = list({**dict(settings), **base}.items())
        bound_pairs = [*bound_pairs, *preset_bounds]
    saved_version = data.get("kafka_version")
    if saved_version is not None and not isinstance(saved_version, str):
        raise UsageError(f"{trace_path}: malformed 'kafka_version' (expected text)")
    given = getattr(args, "kafka_version", None)
    version = given if given is not None else saved_version or version
    # The saved settings come first, so --config files and --set override them.
    config = build_config(cls, base=dict(settings), settings=parse_pairs(args.sets, "--set"),
                          files=args.configs,
                          bounds=parse_pairs(args.bounds, "--bound"),
                          base_bounds=bound_pairs, kafka_version=version)
    model = cls(config)
    by_name = {p.name: p for p in model.properties()}
    select_properties(model, args.props)  # --property: replay only these; a typo is named
    from kafkacheck.explorer.render import bounds_line, settings_lines, uncovered_text

    print("\n".join([f"replay: model {model.name}, Kafka {config.kafka_version}",
                     *settings_lines(model), bounds_line(model)]))
    if config.uncovered:
        print(f"NOT COVERED: {uncovered_text(model, config.uncovered)}; no verdict until the "
              "model covers it (no trace replayed)")
        return EXIT_INCOMPLETE
    status = EXIT_HOLDS
    replayed = 0
    for violation in data["violations"]:
        name = violation["property"]
        if args.props and name not in args.props:
            continue
        labels = [tuple(step["label"]) for step in violation["trace"] if step.get("label")]
        if not labels:
            print(f"{name}: no steps to replay (reason: {violation.get('reason', '?')})")
            continue
        prop = by_name.get(name)
        if prop is None:
            raise UsageError(f"{trace_path}: model {model.name} has no property {name!r}")
        try:
            trace = replay(model, labels)
        except ReplayError as exc:
            # Valid input that no longer reproduces (other settings, or a changed model).
            print(f"{name}: not reproduced: the trace does not replay: {exc}")
            replayed += 1
            if status == EXIT_HOLDS:
                status = EXIT_INCOMPLETE
            continue
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise UsageError(f"trace of {name} does not replay: bad action "
                             f"({type(exc).__name__})") from None
        replayed += 1
        broken = [p.name for p in model.properties()
                  if p.kind == "always" and violated_at_end(p, trace)]
        if prop.kind == "eventually":
            if _replay_lasso(model, prop, trace, violation, broken) == EXIT_VIOLATED:
                status = EXIT_VIOLATED
            elif status == EXIT_HOLDS:
                status = EXIT_INCOMPLETE
            continue
        note = "" if prop.kind == "always" else f" ({prop.kind} property: not re-checked)"
        print(f"{name}: {len(trace)} steps replayed; final state violates: "
              f"{', '.join(broken) or 'nothing'}{note}")
        print("\n".join(trace_lines(model, trace)))
        if name in broken:
            status = EXIT_VIOLATED
        else:
            # Only the named property's own failure is a reproduction: another one broken
            # at the end (or under other settings) does not confirm this counterexample.
            if prop.kind == "always" or prop.step is not None:
                print(f"{name} is not violated at the end of this trace (not reproduced): "
                      f"one trace is no verdict on it (kafkacheck check {model.name} "
                      "explores them all)")
            if status == EXIT_HOLDS:
                status = EXIT_INCOMPLETE
    if not replayed:
        of = f" of {', '.join(args.props)}" if args.props else ""
        raise UsageError(f"{trace_path} holds no trace{of} with steps to replay")
    return status


def _replay_lasso(model: Any, prop: Any, trace: Any, saved: dict[str, Any],
                  broken: list[str]) -> int:
    """Re-check a replayed liveness lasso (its saved loop start) under the property's
    fairness: exit 1 when it shows the property violated, 3 when it does not."""
    from kafkacheck.explorer.liveness import recheck_lasso
    from kafkacheck.explorer.render import trace_lines

    loop_start = saved.get("loop_start")
    if loop_start is not None and (not isinstance(loop_start, int)
                                   or isinstance(loop_start, bool)):
        raise UsageError(f"trace of {prop.name}: malformed 'loop_start' (expected a number)")
    trace.loop_start = loop_start
    why = recheck_lasso(model, prop, trace)
    print(f"{prop.name}: {len(trace)} steps replayed; final state violates: "
          f"{', '.join(broken) or 'nothing'}")
    print("\n".join(trace_lines(model, trace)))
    if why is None:
        fair = ", ".join(prop.fairness) or "none"
        print(f"{prop.name}: lasso re-checked: its goal holds nowhere on it and a weakly fair "
              f"scheduler may follow it forever (weak fairness of {fair})")
        return EXIT_VIOLATED
    print(f"{prop.name} is not reproduced by this lasso: {why}")
    return EXIT_INCOMPLETE


def cmd_prove(args: argparse.Namespace) -> int:
    """Symbolic checking with Z3: an inductive proof for every cluster size, or BMC.

    The encoding represents some models, settings and bounds (``covered``); anything else is
    NOT COVERED (exit 3) before any solving, and every verdict lists what it abstracts away.
    """
    from kafkacheck.explorer.symbolic import (
        Interrupted,
        bounded_check,
        is_interrupt,
        prove_inductive,
    )

    model, config, props = resolve(args)
    if args.depth is not None and args.brokers is None:
        raise UsageError("prove --depth bounds the bounded check: give --brokers N too (the "
                         "inductive proof has no depth)")
    if args.depth is None:
        args.depth = 10
    if args.brokers is not None and args.brokers < 1 or args.depth < 1:
        raise UsageError("--brokers and --depth must be at least 1")
    if args.max_states is not None:
        raise UsageError("prove has no --max-states (use --max-seconds)")
    if args.brokers is not None and "replication.factor" not in config.explicit \
            and config.kafka.get("replication.factor", args.brokers) != args.brokers:
        # Bounded checking runs one replica per broker: the run's replication.factor (and
        # the min.insync.replicas it caps) is the broker count, and its output says so.
        args.sets = [*(args.sets or []), f"replication.factor={args.brokers}"]
        try:
            model, config, props = resolve(args)
        except UsageError as exc:
            raise UsageError(f"--brokers {args.brokers}: the bounded check runs that many "
                             f"replicas, and {exc}") from None
    coverage = getattr(model, "symbolic_coverage", None)
    if coverage is None:
        raise UsageError(f"model {model.name} has no symbolic encoding (try replication)")
    cov = coverage()
    known = {p.name for p in model.properties()}
    for name in props:
        if name not in known:
            from kafkacheck.explorer.checks import not_a_property

            raise UsageError(not_a_property(model, name, known))
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
                              "exit_code": EXIT_INCOMPLETE, "not_covered": problems},
                             indent=2))
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
        # a trace of an encoding that allows more than Kafka is no verdict by itself
        spurious = cov.flags.over_approximation if cov.flags is not None else ""
        unconfirmed = res.violated and bool(spurious)
        out: dict[str, Any] = {"engine": "z3-bmc", **base, "brokers": res.brokers,
                               "depth": args.depth, "budgets": dict(cov.budgets),
                               "uncounted_bounds": list(cov.uncounted),
                               "violated": res.violated, "seconds": round(res.seconds, 2),
                               # exit 0 means checked to the end; a depth bound is not that
                               "result": "unconfirmed" if unconfirmed else
                               "violated" if res.violated else (
                                   "no violation within depth" if res.complete_to_depth
                                   else "incomplete"),
                               **({"unconfirmed_because": spurious} if unconfirmed else {}),
                               # the most steps searched to the end (-1: none)
                               "depth_checked": res.checked,
                               **({"stop_reason": res.stop_reason} if res.stop_reason
                                  else {}),
                               "trace": [label for label, _ in res.trace],
                               "exit_code": EXIT_VIOLATED if res.violated
                               and not unconfirmed else EXIT_INCOMPLETE}
        budgets = ", ".join([f"{k}<={v}" for k, v in cov.budgets.items()]
                            + [f"{k}: any number" for k in cov.uncounted]) or "no faults"
        if args.json:
            print(json.dumps(out, indent=2))
        elif unconfirmed:
            print(f"UNCONFIRMED: an abstract counterexample to {cov.property} within "
                  f"{res.depth} steps over {res.brokers} brokers ({settings}; {budgets}), "
                  f"which may be spurious: {spurious}; `kafkacheck check` with the same "
                  "settings decides it:")
            for i, (label, view) in enumerate(res.trace):
                print(f"  {i}. {label}  {view}")
        elif res.violated:
            print(f"{cov.property} VIOLATED within {res.depth} steps over {res.brokers} "
                  f"brokers ({settings}; {budgets}):")
            for i, (label, view) in enumerate(res.trace):
                print(f"  {i}. {label}  {view}")
        elif res.complete_to_depth:
            print(f"no violation of {cov.property} within {args.depth} steps over "
                  f"{res.brokers} brokers ({settings}; {budgets}); {res.seconds:.1f}s "
                  f"(bounded: says nothing beyond {args.depth} steps)")
        else:  # a time limit, Ctrl-C or the solver: what was searched to the end
            what = (f"no violation of {cov.property} within {res.checked} of the "
                    f"{args.depth} steps asked" if res.checked >= 0 else
                    f"{cov.property} not checked at any depth (of the {args.depth} asked)")
            print(f"INCOMPLETE ({res.stop_reason}): {what}, over {res.brokers} brokers "
                  f"({settings}; {budgets}); {res.seconds:.1f}s")
        return EXIT_VIOLATED if res.violated and not unconfirmed else EXIT_INCOMPLETE
    try:
        proof = prove_inductive(enc, max_seconds=args.max_seconds)
    except (ctypes.ArgumentError, Interrupted) as exc:
        if is_interrupt(exc):  # Ctrl-C inside a z3 call: "kafkacheck: interrupted", exit 3
            raise KeyboardInterrupt from None
        raise
    gave_up = any(v.startswith("unknown") for v in proof.obligations.values())
    if args.json:
        print(json.dumps({"engine": "z3-induction", **base, "proved": proof.proved,
                          "result": "proved" if proof.proved else
                          ("incomplete" if gave_up else "not proved"),
                          "exit_code": EXIT_HOLDS if proof.proved else EXIT_INCOMPLETE,
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
    """Print the models, their bounds and every property each can have (with the bounds or
    settings that bring those its defaults lack), and the presets."""
    from kafkacheck.explorer.checks import property_catalogue
    from kafkacheck.model import presets, registry

    entries = []
    for name in registry.available():
        cls = registry.model_class(name)
        catalogue = property_catalogue(cls)
        entries.append({
            "name": name,
            "summary": cls.summary,
            "source": cls.source,
            "settings": list(cls.settings),
            "bounds": [{"name": b.name, "default": b.default, "doc": b.doc,
                        **({"choices": list(b.choices)} if b.choices else {})}
                       for b in cls.bounds],
            # Where the model refuses its defaults (transactions: a transactional.id or a
            # loop), the properties are those of the fewest settings of a preset.
            **({"defaults_refused": catalogue.refused} if catalogue.refused else {}),
            **({"properties_with": catalogue.base} if catalogue.base else {}),
            "properties": [{"name": e.prop.name, "kind": e.prop.kind,
                            "statement": e.prop.statement,
                            **({"needs": list(e.needs)} if e.needs else {})}
                           for e in catalogue.entries],
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
        if "defaults_refused" in e:
            base = (f"the properties below are those with {e['properties_with']}"
                    if "properties_with" in e else "no preset of it is accepted either")
            print(f"  (its defaults are refused: {e['defaults_refused']}; {base})")
        for p in e["properties"]:
            needs = " or ".join(f"with {n}" for n in p.get("needs", ()))
            print(f"  {p['kind']:<10} {p['name']}{f' ({needs})' if needs else ''}: "
                  f"{p['statement']}")
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

    # Its own parser ends bad input with one line and exit code 2.
    if not args.rest:  # as `kafkacheck` alone: the usage, then bad input (exit 2)
        conformance_main(["--help"])
        raise UsageError("conformance: no subcommand given (the subcommands are listed "
                         "above)")
    return conformance_main(args.rest)


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
    "review": cmd_review,
    "partition": cmd_partition,
    "assign": cmd_assign,
    "partitioner-sequence": cmd_partitioner_sequence,
}


def _quiet_stdout() -> None:
    """After a broken pipe: send what is left in stdout to /dev/null (no second error at exit)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    command = None
    _printing_verdict.clear()
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C must stop a search with its partial result, even when the shell that
        # started us ignores SIGINT (background jobs inherit that).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            # `replay MODEL --set k=v FILE`: argparse gives the optional FILE up early.
            if args.command == "replay" and args.trace is None and len(extra) == 1 \
                    and not extra[0].startswith("-"):
                args.trace = extra[0]
            else:
                parser.error(_unknown_options(_command_parser(parser, args.command or ""),
                                              extra))
        if not args.command:
            parser.print_help()
            raise UsageError("no command given (the commands are listed above)")
        _check_options(_command_parser(parser, args.command),
                       list(sys.argv[1:] if argv is None else argv))
        command = args.command
        return COMMANDS[args.command](args)
    except UsageError as exc:
        # One line whatever the message quotes (a key or a file's content with line breaks).
        text = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        print(f"kafkacheck: error: {text}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        from kafkacheck.explorer.trace import TraceMismatch

        if not isinstance(exc, TraceMismatch):  # a parallel worker's failure among them
            return _internal_error(exc)
        print(f"kafkacheck: error: the result cannot be trusted: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        print("kafkacheck: interrupted", file=sys.stderr)
        return EXIT_INCOMPLETE
    except BrokenPipeError:
        _quiet_stdout()
        if _printing_verdict:
            return _printing_verdict[0]
        return EXIT_INCOMPLETE if command in VERDICT_COMMANDS else EXIT_HOLDS
    except OSError as exc:  # the machine refused (a full disk, /dev/full): not a bug
        where = f" ({exc.filename})" if exc.filename else " (standard output)"
        print(f"kafkacheck: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback
        return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    """One line for an unexpected exception (exit 70); KAFKACHECK_DEBUG re-raises it."""
    if os.environ.get("KAFKACHECK_DEBUG"):
        raise exc
    where = _crash_site(exc)
    text = str(exc)[:200].replace("\r", "\\r").replace("\n", "\\n")
    print(f"kafkacheck: internal error: {type(exc).__name__}: {text} at {where} "
          "(a bug in kafkacheck; KAFKACHECK_DEBUG=1 shows the traceback)", file=sys.stderr)
    return EXIT_INTERNAL


def _crash_site(exc: BaseException) -> str:
    """file:line of the innermost frame of an exception (to report without a traceback)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


def console_main() -> None:
    """setuptools console-script wrapper."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
