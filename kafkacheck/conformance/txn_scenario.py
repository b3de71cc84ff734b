"""Transactions on a real cluster: commits, aborts, a broker kill and a paused zombie.

Three producer instances of one ``transactional.id`` (librdkafka through confluent-kafka),
in turn.  The first writes transactions over two partitions, committing most and aborting
some; the broker of the transaction coordinator, which the topic is placed to have lead
partition 0 as well, is SIGKILLed inside a transaction (a coordinator and a leader failover)
and restarted a few transactions later.  The second, the zombie, runs in a child process:
it opens a transaction, writes to both partitions and is SIGSTOPped (a long GC pause).
The third calls init_transactions meanwhile (the coordinator bumps the epoch and aborts the
zombie's open transaction), then commits one transaction and aborts one.  The zombie is
resumed (SIGCONT) and tries to commit: it must be fenced.  Finally a ``read_committed`` and a
``read_uncommitted`` consumer read both partitions from the start, once the last stable
offset reached the high watermark.

:func:`judge_txn` compares what each consumer saw with what each transaction's application
was told (KIP-98): read_committed never returns a record of an aborted or fenced
transaction, shows each transaction all-or-nothing across partitions and every committed one
whole; the zombie's commit fails with a fencing error; read_uncommitted returns aborted
records (documented).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .cluster import BASE_SETTINGS, KafkaCluster
from .conform import Judgement, injection_problems, judge_found, merged
from .predict import Prediction, RunConfig, predict
from .result import ScenarioResult

COMMITTED = "committed"
ABORTED = "aborted"  # the application aborted (or a failed commit was aborted)
FENCED = "fenced"  # the zombie: its commit failed because a newer instance holds the id
INDEFINITE = "indefinite"  # neither outcome reported to the application

TXN_TOPIC = "__transaction_state"
TXN_TOPIC_PARTITIONS = int(BASE_SETTINGS["transaction.state.log.num.partitions"])

#: librdkafka's error names that mean "a newer instance of this transactional.id exists".
FENCED_ERRORS = frozenset({"_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"})

#: The instances of the transactional.id, in start order: the first, the zombie (a child
#: process, SIGSTOPped with a transaction open) and the newer one that fences it.
MAIN, ZOMBIE, NEWER = "a", "z", "b"


@dataclass(frozen=True)
class TxnOutcome:
    """What one transaction's application was told when it ended."""

    writer: str
    txn: int
    outcome: str
    error: str = ""
    seconds: float = 0.0  # how long the commit or abort call took


@dataclass
class TxnRun:
    """What the scenario did and what each consumer read, ready for :func:`judge_txn`."""

    topic: str
    partitions: int
    records_per_partition: int
    outcomes: list[TxnOutcome] = field(default_factory=list)
    zombie_error: str = ""  # the errors the zombie's commit reported, comma-separated
    zombie_fatal: bool = False
    zombie_paused_s: float = 0.0  # how long the zombie process was stopped
    killed: int = -1
    faults: list[str] = field(default_factory=list)
    reads: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    stable: bool = False  # the last stable offset reached the high watermark before reading
    seconds: float = 0.0
    #: the isolation levels whose read's deadline passed before it reached every
    #: partition's end (:func:`_read`): those reads are partial
    reads_timed_out: list[str] = field(default_factory=list)

    def expected(self, writer: str, txn: int) -> set[tuple[int, str]]:
        """Every (partition, value) transaction ``txn`` of ``writer`` wrote."""
        return {(p, record_value(writer, txn, p, j)) for p in range(self.partitions)
                for j in range(self.records_per_partition)}

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return asdict(self)

    def nemesis_actions(self) -> set[str]:
        """The faults this run shows it injected, named as ``predict.FAULTS`` injected_by
        names them: the broker kill (``killed``) and the zombie's pause (``zombie_paused_s``)."""
        return ({"kill-broker"} if self.killed >= 0 else set()) | (
            {"pause-zombie"} if self.zombie_paused_s > 0 else set())


def record_value(writer: str, txn: int, p: int, j: int) -> str:
    """The value that names a record's writer instance, transaction, partition and index."""
    return f"{writer}-t{txn}-p{p}-r{j}"


def parse_value(value: str) -> tuple[str, int]:
    """(writer, txn) of a value written by :func:`record_value`."""
    writer, txn = value.split("-")[:2]
    return writer, int(txn[1:])


def judge_txn(run: TxnRun) -> dict[str, Any]:
    """Each guarantee's observed breaches (empty lists: it held in this run).

    ``aborted_reads``: read_committed returned a record of an aborted or fenced transaction;
    ``partial``: read_committed returned part of a transaction only;
    ``committed_missing``: a transaction whose commit returned is not whole in read_committed;
    ``zombie_not_fenced``: the zombie's commit succeeded, or failed without a fencing error
    (``PRODUCER_FENCED`` / librdkafka's ``_FENCED``; ``INVALID_PRODUCER_EPOCH`` before KIP-588);
    ``uncommitted_aborted_reads``: how many aborted or fenced records read_uncommitted
    returned (documented behaviour, not a breach).
    """
    outcome = {(o.writer, o.txn): o.outcome for o in run.outcomes}
    undone = {k for k, v in outcome.items() if v in (ABORTED, FENCED)}
    rc = run.reads.get("read_committed", [])
    ru = run.reads.get("read_uncommitted", [])
    seen: dict[tuple[str, int], set[tuple[int, str]]] = {}
    for p, _, value in rc:
        seen.setdefault(parse_value(value), set()).add((p, value))
    aborted_reads = sorted(v for _, _, v in rc if parse_value(v) in undone)
    partial = sorted(f"{w}-t{t}: {len(got)} of {len(run.expected(w, t))}"
                     for (w, t), got in seen.items() if got != run.expected(w, t))
    missing = sorted(f"{w}-t{t}" for (w, t), v in outcome.items()
                     if v == COMMITTED and seen.get((w, t)) != run.expected(w, t))
    fenced = set(run.zombie_error.split(",")) & FENCED_ERRORS
    zombie = [o for o in run.outcomes if o.writer == ZOMBIE]
    not_fenced = [] if fenced and zombie and zombie[0].outcome != COMMITTED else [
        f"zombie commit: {run.zombie_error or 'no fencing error reported'}"]
    return {
        "aborted_reads": aborted_reads,
        "partial": partial,
        "committed_missing": missing,
        "zombie_not_fenced": not_fenced,
        "uncommitted_aborted_reads": sum(1 for _, _, v in ru if parse_value(v) in undone),
        "counts": {
            "committed": sum(1 for v in outcome.values() if v == COMMITTED),
            "aborted": sum(1 for v in outcome.values() if v == ABORTED),
            "fenced": sum(1 for v in outcome.values() if v == FENCED),
            "indefinite": sum(1 for v in outcome.values() if v == INDEFINITE),
            "read_committed": len(rc),
            "read_uncommitted": len(ru),
        },
    }


#: The anomaly kinds (conformance.predict.KINDS) and the judge_txn lists that count them.
TXN_KINDS = {
    "txn:aborted-read": "aborted_reads",
    "txn:partial": "partial",
    "txn:committed-missing": "committed_missing",
    "txn:zombie-not-fenced": "zombie_not_fenced",
}
#: What the scenario runs, for the predictions: RF=3, min.insync.replicas=2, 2 partitions,
#: transactional producers and read_committed readers only.
RUN_CONFIG = RunConfig(acks="all", min_insync_replicas=2, replication_factor=3,
                       partitions=2, producers=False, transactional=True)
#: Its faults, by name (conformance.predict.FAULTS).
RUN_FAULTS = ("broker-kill", "producer-zombie")


def txn_problems(run: TxnRun, faults: Sequence[str] = ()) -> list[str]:
    """Why the run cannot support a verdict (empty when it can): its reads ended early or came
    before the last stable offset settled, no transaction committed, read_committed returned
    nothing, a read timed out before the partitions' ends, or a fault of ``faults`` (the
    prediction's) was never injected."""
    problems = []
    if not run.reads:
        problems.append("the run ended early: a transaction's outcome was never reported "
                        "(indefinite), so no zombie step and no reads were made")
    elif not run.stable:
        problems.append("the last stable offset did not reach the high watermark before the "
                        "reads: a committed transaction may be missing from read_committed "
                        "for that reason")
    if not any(o.outcome == COMMITTED for o in run.outcomes):
        problems.append("no transaction committed: what read_committed must show was never "
                        "asked of it")
    if run.reads and not run.reads.get("read_committed"):
        problems.append("read_committed returned no record: nothing was read to judge")
    problems += [f"the {isolation} read timed out before the end of every partition: a "
                 "record it did not reach cannot be told from a missing one"
                 for isolation in run.reads_timed_out]
    return problems + injection_problems(run.nemesis_actions(), faults)


def judge_txn_run(run: TxnRun, prediction: Prediction,
                  scenario_problems: Sequence[str] = ()) -> Judgement:
    """The run's breaches (:func:`judge_txn`) judged against what the model allows
    (``scenario_problems``: what a recorded judgement of the run said went wrong)."""
    breaches = judge_txn(run)
    found = {kind: [{"what": item} for item in breaches[key]]
             for kind, key in TXN_KINDS.items()}
    problems = merged(txn_problems(run, prediction.faults), scenario_problems)
    return judge_found(found, problems, prediction)


TXN_RUN_BYTES = 64 << 20
"""The largest transactions run read (64 MiB, as a result file: a run is a few hundred kB)."""


def load_txn_run(path: str | Path) -> TxnRun:
    """A run written by :func:`txn_zombie_broker_kill_scenario` (the inverse of to_json).

    Only a regular file of at most TXN_RUN_BYTES is opened (a FIFO would block, /dev/zero
    never ends); what is not such a run is a ValueError naming the problem.
    """
    from .history import regular_file

    p = regular_file(path, "transactions run", TXN_RUN_BYTES)
    try:
        data = json.loads(p.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"transactions run {p} is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError(f"transactions run {p} is not a JSON object")
    missing = [k for k in ("topic", "partitions", "records_per_partition", "outcomes",
                           "reads") if k not in data]
    if missing:
        raise ValueError(f"transactions run {p} has no field {missing[0]!r}")
    try:
        outcomes = [TxnOutcome(**o) for o in data.pop("outcomes")]
        reads = {k: [(int(part), int(offset), str(value)) for part, offset, value in rows]
                 for k, rows in data.pop("reads").items()}
        return TxnRun(outcomes=outcomes, reads=reads, **data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"transactions run {p} is malformed ({exc})") from None


def txn_zombie_broker_kill_scenario(cluster: KafkaCluster, workdir: Path) -> ScenarioResult:
    """The scenario as ``conformance run`` runs it: record, predict, judge, package."""
    started = time.monotonic()
    run = txn_zombie_broker_kill(cluster)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "txn-run.json"
    path.write_text(json.dumps(run.to_json(), indent=1) + "\n", encoding="utf-8")
    judgement = judge_txn_run(run, predict(RUN_CONFIG, RUN_FAULTS))
    breaches = judge_txn(run)
    counts = breaches["counts"]
    return ScenarioResult(
        scenario="txn-zombie-broker-kill",
        description=("a transactional producer commits and aborts transactions over 2 "
                     "partitions while the broker of its coordinator (and leader of "
                     "partition 0) is SIGKILLed and restarted; a second instance is paused "
                     "with a transaction open and fenced by a third; read_committed and "
                     "read_uncommitted consumers read both partitions"),
        focus=list(TXN_KINDS),
        settings={"transactional.id": "txn-app-*", "isolation.level": "read_committed",
                  "replication.factor": 3, "min.insync.replicas": 2, "partitions": 2,
                  "client": "librdkafka (confluent-kafka)"},
        config=RUN_CONFIG.to_json(),
        faults=sorted(RUN_FAULTS),
        rounds=1,
        counts={**counts, "uncommitted_aborted_reads": breaches["uncommitted_aborted_reads"]},
        ops={f"txn_{k}": counts[k] for k in ("committed", "aborted", "fenced", "indefinite")},
        judgement=judgement.to_json(),
        history_path=str(path),
        seconds=round(time.monotonic() - started, 2),
        details={"faults_injected": list(run.faults), "zombie_error": run.zombie_error,
                 "zombie_paused_s": run.zombie_paused_s,
                 "read_uncommitted_aborted_records": breaches["uncommitted_aborted_reads"]},
    )


def _error(exc: Exception) -> Any:
    """The KafkaError inside a confluent-kafka exception (None for other exceptions)."""
    return exc.args[0] if exc.args and hasattr(exc.args[0], "fatal") else None


def _end(producer: Any, commit: bool, timeout_s: float) -> tuple[str, str, bool]:
    """Commit or abort the open transaction: (outcome, error name, fatal).

    Follows librdkafka's documented handling: retry a retriable error, abort when the error
    requires it, stop on a fatal one (the instance is unusable: fenced or indefinite).
    """
    from confluent_kafka import KafkaException

    errors: list[str] = []
    for _ in range(5):
        try:
            if commit:
                producer.commit_transaction(timeout_s)
                return COMMITTED, ",".join(errors), False
            producer.abort_transaction(timeout_s)
            return ABORTED, ",".join(errors), False
        except KafkaException as exc:
            err = _error(exc)
            if err is None:
                raise
            errors.append(err.name())
            if err.fatal():
                fenced = err.name() in FENCED_ERRORS
                return (FENCED if fenced else INDEFINITE), ",".join(errors), True
            if err.txn_requires_abort():
                commit = False
            elif not err.retriable():
                return INDEFINITE, ",".join(errors), False
    return INDEFINITE, ",".join(errors), False


class _Writer:
    """One producer instance of the transactional.id."""

    def __init__(self, conf: dict[str, Any], tid: str, name: str, topic: str,
                 partitions: int, records: int) -> None:
        from confluent_kafka import Producer

        self.name, self.topic = name, topic
        self.partitions, self.records = partitions, records
        self.producer = Producer({**conf, "transactional.id": tid,
                                  "transaction.timeout.ms": 20000,
                                  "enable.idempotence": True, "acks": "all"})
        self.next = 0

    def init(self, timeout_s: float = 60.0) -> None:
        self.producer.init_transactions(timeout_s)

    def write(self, txn: int) -> None:
        """Begin a transaction and produce its records to every partition."""
        self.producer.begin_transaction()
        for j in range(self.records):
            for p in range(self.partitions):
                self.producer.produce(self.topic, record_value(self.name, txn, p, j).encode(),
                                      partition=p)
        self.producer.poll(0)

    def run(self, commit: bool, run: TxnRun, before_end: Any = None) -> TxnOutcome:
        """One whole transaction: write, flush, optionally a fault, commit or abort.

        The flush puts the records in the log before the decision (librdkafka's
        abort_transaction would otherwise purge records not yet sent).
        """
        txn, self.next = self.next, self.next + 1
        self.write(txn)
        self.producer.flush(30)
        if before_end is not None:
            before_end()
        started = time.monotonic()
        outcome, error, _ = _end(self.producer, commit, 30.0)
        done = TxnOutcome(self.name, txn, outcome, error, round(time.monotonic() - started, 2))
        run.outcomes.append(done)
        return done


def _read(cluster: KafkaCluster, topic: str, partitions: int, isolation: str,
          timeout_s: float) -> tuple[list[tuple[int, int, str]], bool]:
    """Every record ``isolation`` returns from both partitions' start to their end, and
    whether it reached every end (False: the deadline passed first, the read is partial)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    c = Consumer(cluster.client_config(**{
        "group.id": f"txn-read-{uuid.uuid4().hex[:6]}", "isolation.level": isolation,
        "enable.auto.commit": False, "enable.partition.eof": True}))
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out: list[tuple[int, int, str]] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while len(at_end) < partitions and time.monotonic() < deadline:
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                continue
            at_end.discard(msg.partition())
            out.append((msg.partition(), msg.offset(), msg.value().decode()))
    finally:
        c.close()
    return out, len(at_end) >= partitions


def _wait_stable(cluster: KafkaCluster, topic: str, partitions: int,
                 timeout_s: float) -> bool:
    """Wait until every partition's last stable offset equals its high watermark."""
    from confluent_kafka import Consumer, TopicPartition

    def ends(isolation: str) -> list[int]:
        c = Consumer(cluster.client_config(**{"group.id": "txn-ends",
                                              "isolation.level": isolation}))
        try:
            return [c.get_watermark_offsets(TopicPartition(topic, p), 5.0, cached=False)[1]
                    for p in range(partitions)]
        finally:
            c.close()

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if ends("read_committed") == ends("read_uncommitted"):
                return True
        except Exception:  # a metadata refresh after the restart; try again
            pass
        time.sleep(0.3)
    return False


def coordinator_partition(tid: str, partitions: int = TXN_TOPIC_PARTITIONS) -> int:
    """The __transaction_state partition whose leader coordinates ``tid``.

    TransactionStateManager.partitionFor: abs(transactionalId.hashCode) modulo the
    partition count (Java's String.hashCode over UTF-16 code units; Utils.abs maps
    Integer.MIN_VALUE to 0).
    """
    h = 0
    for unit in tid.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    h = h - (1 << 32) if h >= 1 << 31 else h
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def _client_settings(cluster: KafkaCluster) -> dict[str, Any]:
    """The cluster's client settings a child process can take as JSON (no logger)."""
    return {k: v for k, v in cluster.client_config().items() if k != "logger"}


def _spawn_zombie(cluster: KafkaCluster, tid: str, topic: str, partitions: int,
                  records: int) -> subprocess.Popen[bytes]:
    """The zombie instance in a child process (so that it can be SIGSTOPped alone)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    arg = json.dumps({"conf": _client_settings(cluster), "tid": tid, "topic": topic,
                      "partitions": partitions, "records": records})
    return subprocess.Popen([sys.executable, "-m", __name__, arg], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def _expect(proc: subprocess.Popen[bytes], prefix: str, timeout_s: float) -> str:
    """The child's next stdout line, which must start with ``prefix``."""
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout_s):
            raise TimeoutError(f"the zombie process did not say {prefix!r} in {timeout_s} s")
    line = proc.stdout.readline().decode().strip()
    if not line.startswith(prefix):
        raise RuntimeError(f"the zombie process said {line!r}, expected {prefix!r}")
    return line


def _zombie_main(arg: str) -> None:
    """Child process: open transaction z-t0 on every partition, say ready, and on ``commit``
    from stdin try to commit it; print the outcome as JSON."""
    spec = json.loads(arg)
    w = _Writer(spec["conf"], spec["tid"], ZOMBIE, spec["topic"], spec["partitions"],
                spec["records"])
    w.init()
    w.write(0)
    w.producer.flush(30)
    print("ready", flush=True)
    sys.stdin.readline()
    outcome, error, fatal = _end(w.producer, True, 30.0)
    print(json.dumps({"outcome": outcome, "error": error, "fatal": fatal}), flush=True)


def txn_zombie_broker_kill(cluster: KafkaCluster, transactions: int = 6, records: int = 2,
                           abort_every: int = 3) -> TxnRun:
    """Run the scenario the module docstring describes and return what was observed.

    ``transactions``: transactions of the first instance before the zombie step (every
    ``abort_every``-th is aborted); ``records``: records each transaction writes to each
    of the two partitions.
    """
    t0 = time.monotonic()
    cluster.heal()
    suffix = uuid.uuid4().hex[:8]
    topic, tid, partitions = f"txn-zombie-{suffix}", f"txn-app-{suffix}", 2
    run = TxnRun(topic, partitions, records)
    first = _Writer(cluster.client_config(), tid, MAIN, topic, partitions, records)
    first.init()  # creates __transaction_state; the coordinator is the leader of one of its
    victim = cluster.partition_state(TXN_TOPIC, coordinator_partition(tid)).leader
    others = [b for b in cluster.broker_ids if b != victim][:2]
    # the coordinator's broker leads partition 0 too: one kill, both failovers
    cluster.create_topic(topic, config={"min.insync.replicas": "2"},
                         assignment=[[victim, *others], [*others, victim]][:partitions])
    kill_at, restart_at = 1, transactions - 2

    def kill() -> None:
        cluster.kill(victim)
        run.killed = victim
        run.faults.append(f"SIGKILL broker {victim} (the transaction coordinator of {tid} "
                          f"and leader of {topic}/0) inside transaction {MAIN}-t{kill_at}")

    for i in range(transactions):
        if i == restart_at:
            cluster.restart(victim)
            run.faults.append(f"restart broker {victim} before transaction {MAIN}-t{i}")
        done = first.run(commit=(i % abort_every) != abort_every - 1, run=run,
                         before_end=kill if i == kill_at else None)
        if done.outcome == INDEFINITE:  # the instance is unusable: no zombie step to run
            run.reads = {}
            run.seconds = round(time.monotonic() - t0, 2)
            return run
    first.producer.flush(10)
    zombie = _spawn_zombie(cluster, tid, topic, partitions, records)
    try:
        _expect(zombie, "ready", 60.0)  # its transaction z-t0 is open, its records in the log
        os.kill(zombie.pid, signal.SIGSTOP)
        paused = time.monotonic()
        run.faults.append(f"SIGSTOP the instance {ZOMBIE} of {tid} with {ZOMBIE}-t0 open")
        newer = _Writer(cluster.client_config(), tid, NEWER, topic, partitions, records)
        newer.init()  # bumps the epoch; the coordinator aborts the zombie's open transaction
        run.faults.append(f"instance {NEWER} of {tid} initialised (fences {ZOMBIE})")
        os.kill(zombie.pid, signal.SIGCONT)
        run.zombie_paused_s = round(time.monotonic() - paused, 2)
        run.faults.append(f"SIGCONT {ZOMBIE}, which tries to commit {ZOMBIE}-t0")
        assert zombie.stdin is not None
        zombie.stdin.write(b"commit\n")
        zombie.stdin.flush()
        result = json.loads(_expect(zombie, "{", 60.0))
    finally:
        if zombie.poll() is None:
            os.kill(zombie.pid, signal.SIGCONT)
            zombie.kill()
        zombie.wait(10)
    run.zombie_error, run.zombie_fatal = result["error"], result["fatal"]
    run.outcomes.append(TxnOutcome(ZOMBIE, 0, result["outcome"], result["error"]))
    newer.run(commit=True, run=run)
    newer.run(commit=False, run=run)
    newer.producer.flush(10)
    run.stable = _wait_stable(cluster, topic, partitions, 30.0)
    for isolation in ("read_committed", "read_uncommitted"):
        run.reads[isolation], whole = _read(cluster, topic, partitions, isolation, 30.0)
        if not whole:
            run.reads_timed_out.append(isolation)
    run.seconds = round(time.monotonic() - t0, 2)
    return run


if __name__ == "__main__":
    _zombie_main(sys.argv[1])
