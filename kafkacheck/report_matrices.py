"""The guarantee matrices of the reports: which configurations, which properties, which bounds.

Rows are configurations, columns are properties; every cell is decided by one run of
the breadth-first explorer when the reports are regenerated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product

SHORT = {"replication.factor": "rf", "min.insync.replicas": "minisr",
         "unclean.leader.election.enable": "unclean", "flush.messages": "flush",
         "enable.idempotence": "idem", "max.in.flight.requests.per.connection": "inflight",
         "partition.assignment.strategy": "assignor", "enable.auto.commit": "autocommit",
         "auto.offset.reset": "reset", "eligible.leader.replicas.version": "elr",
         "isolation.level": "isolation", "transaction.version": "tv",
         "transaction.partition.verification.enable": "verify", "transactional.id": "txnid",
         "processing.guarantee": "guarantee", "errors.tolerance": "tolerance",
         "errors.deadletterqueue.topic.name": "dlq"}


@dataclass(frozen=True)
class Row:
    """One configuration of a matrix: a model, Kafka settings and bounds."""

    model: str
    settings: Mapping[str, str]
    bounds: Mapping[str, int | str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """A stable short name used in file names and anchors."""
        parts = [f"{SHORT.get(k, k.split('.')[-1])}-{v}" for k, v in self.settings.items()]
        parts += [f"{k}-{v}" for k, v in self.bounds.items()]
        text = "_".join(parts)
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).lower()

    def command(self) -> str:
        """The CLI command that reproduces this row."""
        sets = " ".join(f"--set {k}={v}" for k, v in self.settings.items())
        bounds = " ".join(f"--bound {k}={v}" for k, v in self.bounds.items())
        return " ".join(p for p in ("kafkacheck check", self.model, sets, bounds) if p)


@dataclass(frozen=True)
class Matrix:
    """A table of configurations x properties for one area of Kafka."""

    id: str
    title: str
    intro: str
    model: str
    columns: tuple[str, ...]
    setting_columns: tuple[str, ...]
    bound_columns: tuple[str, ...]
    rows: tuple[Row, ...]
    max_states: int = 3_000_000


def _replication_rows() -> tuple[Row, ...]:
    rows = []
    for acks, rf, min_isr, unclean, truncation, fault in product(
        ("1", "all"), ("2", "3"), ("1", "2"), ("false", "true"),
        ("leader-epoch", "high-watermark"), ("crash", "power-loss"),
    ):
        if int(min_isr) > int(rf):
            continue
        if acks == "1" and min_isr == "2":
            continue  # min.insync.replicas only matters with acks=all
        if truncation == "high-watermark" and (fault == "power-loss" or unclean == "true"):
            continue  # keep the legacy rule's rows to the scenario it is known for
        settings = {"acks": acks, "replication.factor": rf, "min.insync.replicas": min_isr,
                    "unclean.leader.election.enable": unclean}
        bounds: dict[str, int | str] = {"records": 2, "crashes": 1}
        if fault == "power-loss":
            bounds["crash_kind"] = "power-loss"
        if truncation == "high-watermark":
            bounds["truncation"] = "high-watermark"
            bounds["leader_changes"] = 1
        rows.append(Row("replication", settings, bounds))
    # acks=0 for completeness, and fsync on every message against power loss
    rows.append(Row("replication", {"acks": "0", "replication.factor": "3"},
                    {"records": 2, "crashes": 1}))
    rows.append(Row("replication", {"acks": "all", "replication.factor": "3",
                                    "min.insync.replicas": "1", "flush.messages": "1"},
                    {"records": 2, "crashes": 1, "crash_kind": "power-loss"}))
    rows.append(Row("replication", {"acks": "all", "replication.factor": "3",
                                    "min.insync.replicas": "2"},
                    {"records": 2, "crashes": 2, "truncation": "kip101"}))
    rows.append(Row("replication", {"acks": "all", "replication.factor": "3",
                                    "min.insync.replicas": "2"},
                    {"records": 2, "crashes": 2}))
    # Kafka 4.1+ clusters: Eligible Leader Replicas and the strict min-ISR HW (KIP-966).
    for rf, min_isr in (("2", "1"), ("2", "2"), ("3", "1"), ("3", "2")):
        rows.append(Row("replication", {"acks": "all", "replication.factor": rf,
                                        "min.insync.replicas": min_isr,
                                        "eligible.leader.replicas.version": "1"},
                        {"records": 2, "crashes": 1, "crash_kind": "power-loss"}))
    return tuple(rows)


REPLICATION = Matrix(
    id="replication",
    title="Replication: can an acknowledged write be lost?",
    intro="One partition replicated on 2 or 3 brokers; the producer sends 2 records; "
          "the fault budget is one broker crash (a process crash keeps the page cache; a "
          "power loss loses what was not flushed to disk). Rows with the legacy "
          "high-watermark truncation also allow one leadership move without a crash.",
    model="replication",
    columns=("NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
             "LeaderInIsr", "HwWithinLeo"),
    setting_columns=("acks", "replication.factor", "min.insync.replicas",
                     "unclean.leader.election.enable", "flush.messages",
                     "eligible.leader.replicas.version"),
    bound_columns=("crashes", "crash_kind", "truncation", "leader_changes"),
    rows=_replication_rows(),
)

def _producer_rows() -> tuple[Row, ...]:
    rows = []
    base = {"records": 2, "batch_records": 1, "lost_responses": 1, "retry_budget": 2}
    for idem, retries, inflight in product(("false", "true"), ("0", "2147483647"), ("1", "5")):
        if idem == "true" and retries == "0":
            continue  # Kafka rejects an explicit enable.idempotence=true with retries=0
        rows.append(Row("producer", {"enable.idempotence": idem, "retries": retries,
                                     "max.in.flight.requests.per.connection": inflight},
                        dict(base)))
    rows.append(Row("producer", {"acks": "1"}, dict(base)))
    failover = {"replication.factor": "2", "min.insync.replicas": "2"}
    for budget in (2, 3):
        rows.append(Row("producer", dict(failover),
                        {**base, "crashes": 1, "retry_budget": budget}))
    rows.append(Row("producer", {**failover, "enable.idempotence": "false"},
                    {**base, "crashes": 1}))
    return tuple(rows)


PRODUCER = Matrix(
    id="producer",
    title="Producer: duplicates, reordering and lost acknowledgements",
    intro="Two records, one per batch, to one partition; one produce response may be lost "
          "(a timeout), and up to two retries are explored (three in one row). The last "
          "rows add a broker crash with two replicas (a leader failover).",
    model="producer",
    columns=("NoDuplicates", "NoAckedRecordLost", "PartitionOrder", "DefiniteFailureAbsent"),
    setting_columns=("acks", "enable.idempotence", "retries",
                     "max.in.flight.requests.per.connection", "replication.factor",
                     "min.insync.replicas"),
    bound_columns=("crashes", "lost_responses", "retry_budget"),
    rows=_producer_rows(),
)


def _group_rows() -> tuple[Row, ...]:
    rows = []
    for commit, assignor, fault in product(
        ("auto", "sync-after-processing", "before-processing"), ("range", "cooperative-sticky"),
        ("crashes", "poll_timeouts"),
    ):
        settings = {"auto.offset.reset": "earliest", "partition.assignment.strategy": assignor}
        bounds: dict[str, int | str] = {"commit": commit, "records": 2, fault: 1}
        rows.append(Row("group", settings, bounds))
    rows.append(Row("group", {"auto.offset.reset": "latest"}, {"records": 1, "crashes": 1}))
    rows.append(Row("group", {"auto.offset.reset": "latest"},
                    {"consumers": 1, "records": 2, "retention": 1}))
    rows.append(Row("group", {"auto.offset.reset": "earliest",
                              "partition.assignment.strategy": "cooperative-sticky"},
                    {"records": 0, "pauses": 1}))
    return tuple(rows)


GROUP = Matrix(
    id="group",
    title="Consumer groups: lost, duplicated and concurrent processing",
    intro="Two consumers, one partition, two records; one consumer crash or one "
          "max.poll.interval.ms overrun (a zombie keeps processing). The protocol follows "
          "the assignor (range: eager; cooperative-sticky: cooperative, KIP-429). The last "
          "rows show the default auto.offset.reset=latest and a session-timeout pause.",
    model="group",
    columns=("AtLeastOnce", "AtMostOnce", "NoSkippedOffsets", "NoConcurrentProcessing",
             "NoTwoOwnersAtOnce", "OneOwnerPerGeneration", "CommitsFromCurrentGeneration"),
    setting_columns=("partition.assignment.strategy", "auto.offset.reset"),
    bound_columns=("commit", "consumers", "records", "crashes", "poll_timeouts", "retention",
                   "pauses"),
    rows=_group_rows(),
)


def _transaction_rows() -> tuple[Row, ...]:
    rows = []
    # The protocol as Kafka 3.5 ran it, with KIP-890 part 1, and with part 2 (4.0 default).
    protocols = ({"transaction.version": "1",
                  "transaction.partition.verification.enable": "false"},
                 {"transaction.version": "1"}, {"transaction.version": "2"})
    late_produce = {"instances": 1, "transactions": 2, "partitions": 2, "late_produces": 1,
                    "expiries": 1, "aborts": 1}
    late_end = {"instances": 1, "transactions": 2, "partitions": 1, "late_end_txns": 1}
    zombie = {"instances": 2, "partitions": 2}
    for isolation, protocol, faults in product(("read_uncommitted", "read_committed"),
                                               protocols, (late_produce, late_end, zombie)):
        settings = {"transactional.id": "app", "isolation.level": isolation, **protocol}
        rows.append(Row("transactions", settings, dict(faults)))
    # A broker crash: one broker holds every partition, so the coordinator reloads its log.
    rows.append(Row("transactions", {"transactional.id": "app",
                                     "isolation.level": "read_committed"},
                    {"instances": 2, "partitions": 1, "crashes": 1}))
    # A power loss of that broker loses what it did not fsync, committed transactions too.
    rows.append(Row("transactions", {"transactional.id": "app",
                                     "isolation.level": "read_committed"},
                    {"instances": 1, "partitions": 1, "crashes": 1,
                     "crash_kind": "power-loss"}))
    return tuple(rows)


TRANSACTIONS = Matrix(
    id="transactions",
    title="Transactions: what read_committed sees, per transaction version",
    intro="A transactional producer writes one record to each partition per transaction; "
          "rows explore a produce request delayed past its client timeout (with a "
          "delivery timeout and an application abort), a delayed EndTxn, a second instance "
          "of the transactional.id that fences the first (a zombie), and a broker crash. "
          "transaction.version 1 without partition verification is the protocol of Kafka "
          "3.5 and earlier; version 1 with verification is KIP-890 part 1 (3.6); version 2 "
          "is KIP-890 part 2 (the default from 4.0).",
    model="transactions",
    columns=("NoAbortedRead", "AtomicCommit", "CommittedNotLost", "ZombieFenced",
             "LsoAdvances", "TransactionsComplete"),
    setting_columns=("isolation.level", "transaction.version",
                     "transaction.partition.verification.enable"),
    bound_columns=("instances", "transactions", "partitions", "late_produces",
                   "late_end_txns", "expiries", "aborts", "crashes", "crash_kind"),
    rows=_transaction_rows(),
)


def _loop_rows() -> tuple[Row, ...]:
    rows = []
    bounds = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
    rows.append(Row("transactions", {"transactional.id": "", "isolation.level":
                                     "read_committed"}, dict(bounds)))
    for tv in ("1", "2"):
        rows.append(Row("transactions", {"transactional.id": "app", "isolation.level":
                                         "read_committed", "transaction.version": tv},
                        dict(bounds)))
    return tuple(rows)


EXACTLY_ONCE = Matrix(
    id="exactly-once",
    title="Exactly-once: a consume-transform-produce loop with and without transactions",
    intro="Two members of one consumer group; the input partition has one record whose "
          "output goes to one output partition; one rebalance moves the input partition "
          "while its old owner keeps running (a zombie). With a transactional.id each "
          "member has its own (KIP-447) and commits its offset in the transaction; without, "
          "it commits the offset after the output is acknowledged.",
    model="transactions",
    columns=("ExactlyOnce", "ZombieOffsetsFenced", "LoopCompletes"),
    setting_columns=("transactional.id", "transaction.version"),
    bound_columns=("instances", "inputs", "rebalances"),
    rows=_loop_rows(),
)


def _streams_rows() -> tuple[Row, ...]:
    rows = []
    for guarantee, inputs in product(("at_least_once", "exactly_once_v2"), (1, 2)):
        rows.append(Row("streams", {"processing.guarantee": guarantee},
                        {"instances": 1, "inputs": inputs, "instance_crashes": 1}))
    return tuple(rows)


STREAMS = Matrix(
    id="streams",
    title="Kafka Streams: a count per key through an instance crash",
    intro="A task counts its input records per key into a store logged to a changelog and "
          "writes each new count to an output topic; the instance running it crashes once, "
          "at any moment, and restarts with empty memory: it restores the store from the "
          "changelog and resumes from the committed offset. With exactly_once_v2 the "
          "output, the changelog and the offset commit are one transaction (KIP-447).",
    model="streams",
    columns=("CountsExact", "OutputExactlyOnce", "AllCounted"),
    setting_columns=("processing.guarantee",),
    bound_columns=("instances", "inputs", "instance_crashes"),
    rows=_streams_rows(),
)


def _sink_rows() -> tuple[Row, ...]:
    rows = [Row("sink", {}, {"records": 2, "write": write, "crashes": crashes})
            for write, crashes in product(("append", "upsert"), (0, 1))]
    # A record the converter fails on: the task stops (none), or skips it (all), to the
    # dead-letter queue when one is named.
    for settings in ({}, {"errors.tolerance": "all"},
                     {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}):
        rows.append(Row("sink", settings, {"records": 2, "write": "upsert", "crashes": 1,
                                           "bad_records": 1}))
    return tuple(rows)


SINK = Matrix(
    id="sink",
    title="Kafka Connect sink: the external table through a task crash",
    intro="Two sink tasks of one connector share a topic partition through their consumer "
          "group; a task puts records into an external table, then the worker commits their "
          "offsets. A crashed task's partition goes to the other task after a rebalance. "
          "The table is written by appending a row per record, or by an upsert keyed by "
          "topic-partition-offset. The last rows add a record the converter fails on "
          "(errors.tolerance, KIP-298).",
    model="sink",
    columns=("SinkNoLoss", "SinkNoDuplicates", "SomeRedelivery"),
    setting_columns=("errors.tolerance", "errors.deadletterqueue.topic.name"),
    bound_columns=("records", "write", "crashes", "bad_records"),
    rows=_sink_rows(),
)

MATRICES: list[Matrix] = [REPLICATION, PRODUCER, GROUP, TRANSACTIONS, EXACTLY_ONCE, STREAMS,
                          SINK]
