"""Fuzzing the command line in-process: generated argument vectors and input files.

Hypothesis strategies for argument vectors of every command (real, misspelt, empty,
unicode, huge and negative values; missing, binary, huge and special files; corrupted
replay JSON) and a runner that calls ``cli.main`` with captured output and a wall-clock
limit.  ``tests/test_cli_fuzz.py`` runs a few hundred cases in the default suite and
``bench/fuzz_cli.py`` ten thousand or more; both hold the CLI to its contract: exit code
0, 1, 2 or 3, never a traceback, and bad input is exit 2 with one line.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

MODELS = ("replication", "producer", "group", "controller", "kafka-spec", "diehard",
          "twophase")

def _presets() -> tuple[str, ...]:
    from kafkacheck.model.presets import PRESETS as ALL

    return tuple(ALL)


PRESETS = _presets()


def _names() -> tuple[str, ...]:
    from kafkacheck.model.registry import MODELS as REGISTERED

    return (*REGISTERED, *PRESETS)


NAMES = _names()
"""Every name `check` accepts: the registered models and the presets."""
SKIP: set[str] = set()
"""Model or preset names the generators leave out (set by a caller for known bugs)."""
KEYS = ("acks", "min.insync.replicas", "replication.factor", "unclean.leader.election.enable",
        "enable.idempotence", "retries", "max.in.flight.requests.per.connection",
        "linger.ms", "batch.size", "delivery.timeout.ms", "enable.auto.commit",
        "auto.offset.reset", "partition.assignment.strategy", "group.protocol",
        "flush.messages", "bootstrap.servers", "security.protocol", "sasl.mechanism",
        "sasl.jaas.config", "ssl.truststore.password", "key.serializer", "value.serializer",
        "group.id", "isolation.level", "transactional.id", "cleanup.policy", "retention.ms",
        "schema.registry.url", "value.subject.name.strategy", "config.providers.file.class",
        "eligible.leader.replicas.version", "application.id", "processing.guarantee",
        "connector.class", "partitions", "process.roles", "node.id")
MISSPELT = ("ack", "acks ", "min.insync.replica", "replication_factor", "enable.idempotance",
            "linger.sm", "auto.offset.rest", "foo.bar", "", "=", "ключ", "😀", "a" * 300)
BOUNDS = ("records", "crashes", "crash_kind", "partitions", "consumers", "leader_changes",
          "lost_acks", "bug", "commit", "retention", "isolations", "brokers", "rms",
          "truncation", "keys", "lost_responses", "log", "crash")
PROPERTIES = ("NoAckedWriteLost", "CommittedRecordsStay", "LeaderInIsr", "NoDuplicates",
              "AtLeastOnce", "ProduceRequestsComplete", "SomeRecordCommitted", "NotSolved",
              "TCConsistent", "Terminates", "NoAckedWritesLost", "")
VALUES = ("all", "1", "0", "-1", "2", "3", "5", "true", "false", "TRUE", "yes", "earliest",
          "latest", "none", "cooperative-sticky", "range,cooperative-sticky", "consumer",
          "classic", "read_committed", "compact", "delete", "process", "power-loss", "any",
          "0_3", "+3", " 3 ", "3.0", "1e3", "nan", "inf", "-2147483649", "2147483648",
          "9223372036854775808", "99999999999999999999", "٣", "", " ", "\t", "null",
          "hw-ignores-isr", "sync-after-processing", "replicated", "é", "日本語", "x" * 2000)


# Plausible values per key: most generated runs are valid and reach the engines.
VALID = {
    "acks": ("all", "1", "0", "-1"), "min.insync.replicas": ("1", "2", "3"),
    "replication.factor": ("1", "2", "3"), "unclean.leader.election.enable": ("true", "false"),
    "enable.idempotence": ("true", "false"), "retries": ("0", "1", "2147483647"),
    "max.in.flight.requests.per.connection": ("1", "5"), "enable.auto.commit": ("true", "false"),
    "auto.offset.reset": ("earliest", "latest", "none"),
    "partition.assignment.strategy": ("range", "cooperative-sticky", "roundrobin", "sticky"),
    "flush.messages": ("1",), "bootstrap.servers": ("k:9092",), "transactional.id": ("t",),
    "isolation.level": ("read_committed",), "group.protocol": ("consumer", "classic"),
    "eligible.leader.replicas.version": ("0", "1"),
}
VALID_BOUNDS = {
    "records": ("0", "1", "2"), "crashes": ("0", "1", "2"), "partitions": ("1", "2"),
    "crash_kind": ("process", "power-loss", "any"), "leader_changes": ("0", "1"),
    "lost_acks": ("0", "1"), "consumers": ("1", "2", "3"), "retention": ("0", "1"),
    "commit": ("auto", "sync-after-processing", "before-processing", "none"),
    "log": ("abstract", "replicated"), "isolations": ("0", "1"), "lost_responses": ("0", "1"),
    "keys": ("0", "1", "2"), "bug": ("none", "hw-ignores-isr", "skip-truncation"),
}


@st.composite
def _value(draw: Any) -> str:
    return draw(st.one_of(st.sampled_from(VALUES), st.integers(-10, 10).map(str),
                          st.text(max_size=12)))


@st.composite
def _key(draw: Any) -> str:
    return draw(st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS),
                          st.sampled_from(MISSPELT), st.text(max_size=10)))


@st.composite
def properties_text(draw: Any) -> str:
    """A .properties file: real, misspelt, empty, unicode, huge or negative values."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append("# " + draw(st.text(max_size=20)))
        elif kind == 1:
            lines.append(draw(st.text(max_size=30)))  # anything at all
        elif kind == 2:
            lines.append(f"{draw(_key())}{draw(st.sampled_from(['=', ':', ' ', ' = ']))}"
                         f"{draw(_value())}\\")  # a continuation
        else:
            sep = draw(st.sampled_from(["=", ":", " ", " = ", "\t"]))
            lines.append(f"{draw(_key())}{sep}{draw(_value())}")
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


@dataclass
class Files:
    """A scratch folder for generated input files (and a saved counterexample to corrupt)."""

    root: Path
    saved_result: str

    def write(self, name: str, data: bytes) -> str:
        """Write a file and return its path."""
        path = self.root / name
        path.write_bytes(data)
        return str(path)


@st.composite
def config_file(draw: Any, files: Files) -> str:
    """A path for --config / review: generated text, binary, huge, missing or special."""
    kind = draw(st.integers(0, 12))
    name = f"f{draw(st.integers(0, 10**9))}.properties"
    if kind <= 6:
        text = draw(properties_text())
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"]))
        return files.write(name, text.encode(encoding, "replace"))
    if kind == 7:
        return files.write(name, draw(st.binary(max_size=64)))
    if kind == 8:
        return files.write(name, b"acks=1\n" + b"#" * (draw(st.integers(1, 3)) << 20))
    if kind == 9:
        return str(files.root / "missing" / name)
    if kind == 10:
        return draw(st.sampled_from(["/dev/urandom", "/dev/null", "/dev/zero", "/tmp", "",
                                     "/proc/self/status"]))
    if kind == 11:
        return files.write(name, b"acks=all\nreplication.factor=3\nmin.insync.replicas=2\n"
)
    return files.write(name, ("a" * draw(st.integers(1, 5000)) + "=" + "b" * 10).encode())


@st.composite
def replay_file(draw: Any, files: Files) -> str:
    """A corrupted (or intact) `check --json` result."""
    base = files.saved_result
    kind = draw(st.integers(0, 11))
    name = f"r{draw(st.integers(0, 10**9))}.json"
    if kind == 0:
        data = base.encode()
    elif kind == 1:
        data = base[: draw(st.integers(0, len(base)))].encode()
    elif kind == 2:
        data = ("[" * draw(st.integers(1, 200_000))).encode()
    elif kind == 3:
        data = base.encode().replace(b'"replication"', b'"caf\xe9"')
    elif kind == 4:
        doc = json.loads(base)
        doc["violations"] = draw(st.sampled_from(["abc", [], None, 5, [{}], [{"property": 1}]]))
        data = json.dumps(doc).encode()
    elif kind == 5:
        doc = json.loads(base)
        for v in doc["violations"]:
            for step in v["trace"]:
                if step.get("label") and draw(st.booleans()):
                    step["label"] = draw(st.one_of(
                        st.lists(st.one_of(st.text(max_size=5), st.integers(-3, 9)), max_size=4),
                        st.just(None), st.text(max_size=5), st.integers()))
        data = json.dumps(doc).encode()
    elif kind == 6:
        doc = json.loads(base)
        doc[draw(st.sampled_from(["model", "config", "bounds", "config_given"]))] = draw(
            st.one_of(st.text(max_size=8), st.integers(), st.dictionaries(
                st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers()),
                max_size=3), st.none()))
        data = json.dumps(doc).encode()
    elif kind == 7:
        data = draw(st.binary(max_size=100))
    elif kind == 8:
        doc = json.loads(base)
        for v in doc["violations"]:
            v["trace"] = v["trace"][: draw(st.integers(0, 3))]
        data = json.dumps(doc).encode()
    elif kind == 9:
        return str(files.root / "missing.json")
    elif kind == 10:
        data = json.dumps(draw(st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c,
                                                                max_size=3),
            max_leaves=10))).encode()
    else:
        data = b""
    return files.write(name, data)


def _odds(draw: Any) -> Any:
    """A seeded random.Random for the mix of valid and invalid choices (honest odds;
    Hypothesis's own integers lean to boundary values)."""
    return draw(st.randoms(use_true_random=True))


def _limits(draw: Any, quick: bool) -> list[str]:
    """Small budgets (valid or not) so no case runs long."""
    rng = _odds(draw)
    out = []
    if rng.random() < 0.05:
        out += ["--max-seconds", rng.choice(["nan", "inf", "-1", "0", "x", "1e999"])]
    else:
        out += ["--max-seconds", str(rng.choice([0.05, 0.2, 0.5] if quick else [0.1, 0.5, 1, 2]))]
    if rng.random() < 0.05:
        out += ["--max-states", rng.choice(["0", "-5", "1.5", "lots", "1"])]
    else:
        out += ["--max-states", str(rng.randint(1, 3000))]
    return out


@st.composite
def model_name(draw: Any) -> str:
    """Mostly a model or preset; sometimes a misspelling or anything."""
    rng = _odds(draw)
    if rng.random() < 0.9:
        return rng.choice([n for n in MODELS[:5] + PRESETS if n not in SKIP])
    return draw(st.one_of(st.sampled_from(["replicaton", "", "-", "graph", "ü", "ACKS1-LOSS"]),
                          st.text(max_size=8)))


def _pair(draw: Any, table: dict[str, tuple[str, ...]], junk_keys: tuple[str, ...]) -> str:
    rng = _odds(draw)
    if rng.random() < 0.85:
        key = rng.choice(sorted(table))
        return f"{key}={rng.choice(table[key])}"
    return draw(st.one_of(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(junk_keys),
                                    _value()),
                          st.builds(lambda k, v: f"{k}={v}", _key(), _value()),
                          st.text(max_size=8)))


@cache
def _model_table(name: str) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The bounds (with a few valid values) and property names of a model or preset."""
    from kafkacheck.config import UsageError, build_config, resolve_target

    try:
        cls, base, bounds, _props, version = resolve_target(name)
        model = cls(build_config(cls, settings=list(base.items()), bounds=bounds,
                                 kafka_version=version))
    except UsageError:
        return dict(VALID_BOUNDS), PROPERTIES
    table = {}
    for b in cls.bounds:
        if b.choices:
            table[b.name] = tuple(b.choices)
        else:
            top = b.minimum + 2 if b.maximum is None else min(b.maximum, b.minimum + 2)
            table[b.name] = tuple(str(v) for v in range(b.minimum, top + 1))
    return table or dict(VALID_BOUNDS), tuple(p.name for p in model.properties()) or PROPERTIES


@st.composite
def _config_args(draw: Any, files: Files, model: str = "") -> list[str]:
    bounds, props = _model_table(model)
    rng = _odds(draw)
    args = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        args += ["--set", _pair(draw, VALID, KEYS)]
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        args += ["--bound", _pair(draw, bounds, BOUNDS)]
    if rng.random() < 0.3:
        args += ["--property", rng.choice(props if rng.random() < 0.9 else PROPERTIES)]
    if rng.random() < 0.12:
        args += ["--config", draw(config_file(files))]
    if rng.random() < 0.1:
        args += ["--kafka-version", rng.choice(KAFKA_VERSIONS)]
    return args


# Releases (old, new, with a patch number) and malformed ones for --kafka-version.
KAFKA_VERSIONS = ("4.4", "4.0", "3.9", "2.8", "0.10", "3.6.1", "9.9", "4", "x", "", "-1.0")


@st.composite
def argv(draw: Any, files: Files, quick: bool = True) -> list[str]:
    """One generated command line."""
    command = draw(st.sampled_from(
        ["check"] * 6 + ["simulate", "prove", "replay", "replay", "review", "review", "list",
                         "partition", "partition", "assign", "assign", "partitioner-sequence",
                         "report", "conformance", "help", "junk"]))
    flags = ["--json"] if draw(st.booleans()) else []
    if command == "help":
        return [draw(st.sampled_from(["--help", "-h", "--version", "check", "review"])),
                *(["--help"] if draw(st.booleans()) else [])][:2]
    if command == "junk":
        return draw(st.lists(st.text(max_size=10), max_size=4))
    if command == "list":
        return ["list", *flags]
    if command in ("check", "simulate", "prove"):
        name = draw(model_name())
        args = [command, name, *draw(_config_args(files, name)), *_limits(draw, quick), *flags]
        rng = _odds(draw)
        if command == "check":
            if rng.random() < 0.2:
                args += ["--strategy", rng.choice(["bfs", "dfs", "dfs", "z3"])]
            if rng.random() < 0.15:
                args += ["--max-depth", rng.choice(["3", "0", "8", "-1", "x"])]
            if rng.random() < 0.05:
                args += ["--workers", rng.choice(["1", "2", "0", "-3", "1000", "x"])]
            if rng.random() < 0.1:
                args += ["--graph", rng.choice(
                    [str(files.root / "g.dot"), str(files.root / "g.graphml"),
                     str(files.root / "missing" / "g.dot"), str(files.root), "g.png",
                     "/dev/null/x.dot"])]
            if rng.random() < 0.5:
                args += ["--no-diagram", "--stop-at-first"][: rng.randint(1, 2)]
        elif command == "simulate":
            bad = rng.random() < 0.1
            args += ["--walks", rng.choice(["0", "-1", "x"] if bad else ["1", "10", "50"]),
                     "--depth", rng.choice(["1", "20", "60"]),
                     "--seed", rng.choice(["0", "7", "-1"])]
        elif rng.random() < 0.6:
            bad = rng.random() < 0.1
            args += ["--brokers", rng.choice(["0", "17", "x"] if bad else ["1", "2", "3"]),
                     "--depth", rng.choice(["1", "4", "6"] if not bad else ["0", "300"])]
        return args
    if command == "replay":
        path = draw(replay_file(files))
        if draw(st.booleans()):
            return ["replay", path, *flags]
        name = draw(model_name())
        return ["replay", name, *draw(_config_args(files, name)), path]
    if command == "review":
        paths = []
        for _ in range(draw(st.integers(0, 3))):
            role = draw(st.sampled_from(["", "", "producer:", "consumer:", "topic:", "broker:",
                                         "streams:", "nope:"]))
            paths.append(role + draw(config_file(files)))
        budget = draw(st.sampled_from(["0.2", "0.5", "1", "nan", "-1"]) if quick else
                      st.sampled_from(["0.5", "1", "2", "nan"]))
        fmt = draw(st.sampled_from([[], ["--json"], ["--markdown"], ["--json", "--markdown"]]))
        version = (["--kafka-version", draw(st.sampled_from(KAFKA_VERSIONS))]
                   if draw(st.integers(0, 4)) == 0 else [])
        return ["review", *paths, "--max-seconds", budget, "--no-fix", *version, *fmt]
    if command == "partition":
        args = ["partition"]
        for _ in range(draw(st.integers(0, 2))):
            args += ["--key", draw(st.text(max_size=20))]
        if draw(st.integers(0, 3)) == 0:
            args += ["--keys-file", draw(config_file(files))]
        rng = _odds(draw)
        args += ["--partitions", rng.choice(["1", "12", "3", "100"]) if rng.random() < 0.85
                 else rng.choice(["0", "-1", "100000000", "x", "2147483648"])]
        if not args.count("--key") and rng.random() < 0.8:
            args += ["--key", draw(st.text(max_size=20))]
        if draw(st.booleans()):
            args += ["--key-serializer", draw(st.sampled_from(
                ["string", "integer", "long", "short", "uuid", "bytes", "float"]))]
        if draw(st.booleans()):
            args += ["--partitioner", draw(st.sampled_from(
                ["default", "roundrobin", "ignore-keys", "sticky"]))]
        return args + flags
    if command == "assign":
        rng = _odds(draw)
        members = rng.choice(["4", "3", "c1,c2", "consumer-1,consumer-2,consumer-3"]) \
            if rng.random() < 0.85 else draw(st.one_of(
                st.sampled_from(["0", "a,a", "", "20000"]), st.text(max_size=12)))
        topics = rng.choice(["orders:3", "t:1,u:2", "orders:12"]) if rng.random() < 0.85 \
            else draw(st.one_of(st.sampled_from(["t", "t:0", "t:x", "t:200000", ":3"]),
                                st.text(max_size=12)))
        args = ["assign", "--strategy", draw(st.sampled_from(
            ["range", "roundrobin", "sticky", "cooperative-sticky", "uniform", "kip848-range",
             "nope"])), "--members", members, "--topics", topics]
        if draw(st.booleans()):
            args += ["--previous", draw(st.one_of(
                st.sampled_from(["consumer-1=orders-0+orders-1,consumer-2=orders-2",
                                 "c1@2=t-0", "c1=t-9", "x", "c1=", "c1@x=t-0"]),
                st.text(max_size=12)))]
        if draw(st.booleans()):
            args += ["--group-protocol", draw(st.sampled_from(["classic", "consumer", "x"]))]
        if draw(st.integers(0, 4)) == 0:
            args += ["--subscribe", draw(st.text(max_size=12))]
        return args + flags
    if command == "partitioner-sequence":
        args = ["partitioner-sequence", "--partitions", draw(st.sampled_from(
            ["1", "3", "0", "x", "100001"])), "--records", draw(st.sampled_from(
                ["1", "50", "0", "100001", "x"]))]
        if draw(st.booleans()):
            args += ["--partitioner", draw(st.sampled_from(["sticky", "roundrobin", "x"]))]
        if draw(st.booleans()):
            args += ["--random", draw(st.one_of(st.sampled_from(["1,2,3", "x", "", "99999999999"]),
                                                st.text(max_size=8)))]
        if draw(st.booleans()):
            args += ["--batch-size", draw(st.sampled_from(["1", "16384", "0", "x"])),
                     "--record-bytes", draw(st.sampled_from(["1", "1000", "0", "-4"]))]
        return args + flags
    if command == "report":
        return ["report", "--out", draw(st.sampled_from(
            [str(files.root / "afile"), str(files.root / "afile" / "sub")])),
            *(["--only", draw(st.text(max_size=8))] if draw(st.booleans()) else [])]
    real = _conformance_commands()  # never start a cluster or touch namespaces
    return ["conformance", draw(st.one_of(st.sampled_from(["nope", "RUN", "--x", ""]),
                                          st.text(max_size=8).filter(
                                              lambda t: t.strip() not in real)))]


@cache
def _conformance_commands() -> frozenset[str]:
    """The harness's subcommands (and help flags): the fuzzer only sends it wrong ones."""
    import argparse

    from kafkacheck.conformance.__main__ import _parser

    action = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return frozenset({*action.choices, "-h", "--help"})


# -- running ------------------------------------------------------------------------------


class _Hang(BaseException):
    """Raised by the alarm: the case ran past its wall-clock limit."""


@dataclass
class Outcome:
    """What one command line did."""

    argv: list[str]
    code: int | None
    out: str
    err: str
    seconds: float
    hang: bool = False

    @property
    def traceback(self) -> bool:
        """A Python traceback reached the user (stdout or stderr)."""
        return "Traceback (most recent call last)" in self.out + self.err

    @property
    def internal_error(self) -> bool:
        """kafkacheck's last line of defence fired (a bug, exit 70)."""
        return self.code == 70

    @property
    def wrong_exit(self) -> bool:
        """An exit code outside the contract {0, 1, 2, 3}."""
        return not self.hang and self.code not in (0, 1, 2, 3)

    @property
    def bad_usage_line(self) -> bool:
        """Exit 2 but not exactly one line on stderr."""
        if self.code != 2:
            return False
        lines = [ln for ln in self.err.splitlines() if ln.strip()]
        return len(lines) != 1

    def problems(self) -> list[str]:
        """Every way the case broke the contract."""
        out = []
        if self.hang:
            out.append("hang")
        if self.traceback:
            out.append("traceback")
        if self.wrong_exit:
            out.append(f"exit {self.code}")
        if self.bad_usage_line:
            out.append("exit 2 without a one-line error")
        return out


def run_case(args: list[str], limit: float = 30.0) -> Outcome:
    """Run ``kafkacheck ARGS`` in this process; SystemExit (--help) counts as its code."""
    from kafkacheck.cli import main

    out, err = io.StringIO(), io.StringIO()

    def alarm(_signum: int, _frame: Any) -> None:
        raise _Hang()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    started = time.monotonic()
    code: int | None
    hang = False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except _Hang:
        code, hang = None, True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(list(args), code, out.getvalue(), err.getvalue(),
                   time.monotonic() - started, hang)


def make_files(root: Path) -> Files:
    """The scratch folder, with a file where --out and --graph expect folders."""
    from kafkacheck.cli import main

    root.mkdir(parents=True, exist_ok=True)
    (root / "afile").write_text("")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(["check", "acks1-loss", "--json", "--no-estimate"])
    return Files(root, buffer.getvalue())
