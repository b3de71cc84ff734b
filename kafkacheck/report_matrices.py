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
         "errors.deadletterqueue.topic.name": "dlq",
         "exactly.once.source.support": "eos-source"}


@dataclass(frozen=True)
class Row:
    """One configuration of a matrix: a model, Kafka settings and bounds."""

    model: str
    settings: Mapping[str, str]
    bounds: Mapping[str, int | str] = field(default_factory=dict)
    kafka_version: str | None = None  # None: the default release

    @property
    def slug(self) -> str:
        """A stable short name used in file names and anchors."""
        parts = [f"kafka-{self.kafka_version}"] if self.kafka_version else []
        parts += [f"{SHORT.get(k, k.split('.')[-1])}-{v}" for k, v in self.settings.items()]
        parts += [f"{k}-{v}" for k, v in self.bounds.items()]
        text = "_".join(parts)
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).lower()

    def command(self) -> str:
        """The CLI command that reproduces this row."""
        sets = " ".join(f"--set {k}={v}" for k, v in self.settings.items())
        bounds = " ".join(f"--bound {k}={v}" for k, v in self.bounds.items())
        version = f"--kafka-version {self.kafka_version}" if self.kafka_version else ""
        return " ".join(p for p in ("kafkacheck check", self.model, version, sets, bounds) if p)


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
    # Kafka 4.1+ clusters: Eligible Leader Replicas and the strict min-ISR HW (KIP-966);
    # a cluster upgraded from an earlier release keeps level 0.
    for rf, min_isr in (("2", "1"), ("2", "2"), ("3", "1"), ("3", "2")):
        rows.append(Row("replication", {"acks": "all", "replication.factor": rf,
                                        "min.insync.replicas": min_isr,
                                        "eligible.leader.replicas.version": "1"},
                        {"records": 2, "crashes": 1, "crash_kind": "power-loss"}))
    for rf in ("2", "3"):
        rows.append(Row("replication", {"acks": "all", "replication.factor": rf,
                                        "min.insync.replicas": "2",
                                        "eligible.leader.replicas.version": "0"},
                        {"records": 2, "crashes": 1, "crash_kind": "power-loss"}))
    return tuple(rows)


REPLICATION = Matrix(
    id="replication",
    title="Replication: can an acknowledged write be lost?",
    intro="One partition replicated on 2 or 3 brokers; the producer sends 2 records; "
          "the fault budget is one broker crash (two where the crashes column says so; a "
          "process crash keeps the page cache, a power loss loses what was not flushed to "
          "disk). Rows with the legacy "
          "high-watermark truncation also allow one leadership move without a crash. "
          "Eligible Leader Replicas (eligible.leader.replicas.version, KIP-966) are on "
          "where the column says 1, and by default, Kafka 4.4's level for clusters "
          "formatted by 4.1 or later: a cluster upgraded from an earlier release keeps 0, "
          "and the rows with 0 show what a power loss does then.",
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
        if commit != "auto":
            settings["enable.auto.commit"] = "false"  # the application commits, alone
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
    setting_columns=("partition.assignment.strategy", "auto.offset.reset",
                     "enable.auto.commit"),
    bound_columns=("commit", "consumers", "records", "crashes", "poll_timeouts", "retention",
                   "pauses"),
    rows=_group_rows(),
)

def _disk_loss_rows() -> tuple[Row, ...]:
    rf2 = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
    atomic: dict[str, int | str] = {"crashes": 0, "disk_losses": 1}
    in_flight: dict[str, int | str] = {**atomic, "isr_updates": "in-flight"}
    rows = [Row("replication", rf2, atomic, version) for version in ("4.0", "4.1")]
    # AlterPartition in flight: KIP-841 (3.3), KIP-903 (3.5), ELR (4.1+ clusters)
    rows += [Row("replication", rf2, in_flight, version)
             for version in ("3.2", "3.4", "3.5", "4.4")]
    # KIP-903 is KRaft's: the same 3.5 cluster with process.roles (the row above assumes
    # ZooKeeper, as the replication model does without it)
    rows.append(Row("replication", {**rf2, "process.roles": "broker"}, in_flight, "3.5"))
    rows.append(Row("replication", rf2, {**in_flight, "lost_alter_responses": 1,
                                         "records": 1}))
    # a process crash and a disk loss: every replica shut down uncleanly
    rows.append(Row("replication", rf2, {"crashes": 1, "crash_kind": "process",
                                         "disk_losses": 1, "records": 1}))
    return tuple(rows)


DISK_LOSS = Matrix(
    id="disk-loss",
    title="Disk loss and AlterPartition in flight: can a replica with an empty disk lead?",
    intro="One partition on 2 brokers, acks=all, min.insync.replicas=2, 2 records (1 where "
          "noted); one broker loses its log directory and restarts empty. With "
          "isr_updates=in-flight the leader's AlterPartition travels to the controller while "
          "the leader counts its maximal ISR (KIP-497); the Kafka version picks the "
          "controller's validation (KIP-841 from 3.3, KIP-903 broker epochs from 3.5 on KRaft "
          "clusters: before 4.0 a row without process.roles is a ZooKeeper cluster) and "
          "Eligible Leader Replicas (on for clusters formatted by 4.1+).",
    model="replication",
    columns=("NoAckedWriteLost", "CommittedRecordsStay", "IsrJoinersHoldCommitted",
             "FencedNeverJoinsIsr"),
    setting_columns=("acks", "replication.factor", "min.insync.replicas", "process.roles"),
    bound_columns=("crashes", "crash_kind", "disk_losses", "isr_updates",
                   "lost_alter_responses", "records"),
    rows=_disk_loss_rows(),
)


def _rolling_rows() -> tuple[Row, ...]:
    rows = []
    base: dict[str, int | str] = {"crashes": 0, "slow_followers": "none",
                                  "rolling_restarts": 2, "records": 1}
    for acks, rf, min_isr, unclean, wait in (
        ("all", "3", "2", "false", "isr"), ("all", "3", "2", "false", "none"),
        ("all", "3", "3", "false", "isr"), ("all", "2", "2", "false", "isr"),
        ("all", "2", "1", "false", "isr"), ("all", "2", "1", "false", "none"),
        ("all", "2", "1", "true", "none"), ("1", "3", "1", "false", "isr"),
    ):
        settings = {"acks": acks, "replication.factor": rf, "min.insync.replicas": min_isr,
                    "unclean.leader.election.enable": unclean}
        rows.append(Row("replication", settings, {**base, "restart_wait": wait}))
    # a full rolling restart of three brokers, two records
    rows.append(Row("replication", {"acks": "all", "replication.factor": "3",
                                    "min.insync.replicas": "2"},
                    {**base, "rolling_restarts": 3, "records": 2, "restart_wait": "isr"}))
    return tuple(rows)


ROLLING = Matrix(
    id="rolling-restarts",
    title="Rolling restarts: which settings keep producing, and keep the data?",
    intro="Controlled shutdowns (leadership and ISR membership move away first, logs are "
          "flushed), each broker restarted when the operator chooses; no crash and no slow "
          "follower. restart_wait=isr: the next broker goes down only once every replica is "
          "back in the ISR; none: at any time. WritesAccepted asks whether every state has a "
          "live leader taking writes with these acks.",
    model="replication",
    columns=("WritesAccepted", "NoAckedWriteLost", "CommittedRecordsStay"),
    setting_columns=("acks", "replication.factor", "min.insync.replicas",
                     "unclean.leader.election.enable"),
    bound_columns=("rolling_restarts", "restart_wait", "records"),
    rows=_rolling_rows(),
)

def _session_rows() -> tuple[Row, ...]:
    base: dict[str, int | str] = {"records": 2, "batch_records": 1, "lost_responses": 1}
    short = {"producer.id.expiration.ms": "60000"}
    return (
        Row("producer", {}, dict(base)),
        Row("producer", {}, {"records": 1, "lost_responses": 0, "producer_restarts": 1}),
        Row("producer", {}, {**base, "producer_state_expiries": 1}),
        Row("producer", short, {**base, "producer_state_expiries": 1}),
        Row("producer", {"transactional.id.expiration.ms": "60000"},
            {**base, "producer_state_expiries": 1}, "3.3"),
    )


SESSIONS = Matrix(
    id="producer-sessions",
    title="Producer sessions: does idempotence outlive a restart or the broker's state?",
    intro="The idempotent producer (Kafka 4.4 defaults) sends 1 or 2 records, one response "
          "may be lost. producer_restarts: the application restarts the producer without "
          "transactional.id and sends again what was not acknowledged (a new producer id). "
          "producer_state_expiries: the broker drops the producer's state after "
          "producer.id.expiration.ms idle (KIP-854; before 3.4 "
          "transactional.id.expiration.ms); below delivery.timeout.ms (120000) a retry can "
          "still follow.",
    model="producer",
    columns=("NoDuplicates", "NoAckedRecordLost", "PartitionOrder"),
    setting_columns=("producer.id.expiration.ms", "transactional.id.expiration.ms"),
    bound_columns=("records", "lost_responses", "producer_restarts",
                   "producer_state_expiries"),
    rows=_session_rows(),
)


def _consumer_failure_rows() -> tuple[Row, ...]:
    manual = {"auto.offset.reset": "earliest", "enable.auto.commit": "false"}
    live: dict[str, int | str] = {"consumers": 2, "records": 2,
                                  "commit": "sync-after-processing", "offset_expiries": 1}
    unclean = {"replication.factor": "2", "min.insync.replicas": "1", "acks": "1",
               "unclean.leader.election.enable": "true", "auto.offset.reset": "earliest"}
    diverge: dict[str, int | str] = {"consumers": 1, "records": 2, "log": "replicated",
                                     "broker_crashes": 1}
    crash: dict[str, int | str] = {"consumers": 1, "records": 2, "crashes": 1, "rejoins": 1}
    rows = [Row("group", manual, live, version) for version in ("2.0", "2.1", "4.4")]
    rows.append(Row("group", manual, {**live, "consumers": 1, "closes": 1, "rejoins": 1}))
    rows += [Row("group", unclean, diverge, version) for version in ("2.2", "2.3")]
    rows += [Row("group", {"auto.offset.reset": "earliest"}, {**crash, "processing": p})
             for p in ("in-loop", "async")]
    static = {"group.instance.id": "app", "auto.offset.reset": "earliest"}
    rows += [Row("group", static, {"consumers": 1, "records": 1, "duplicate_instances": d})
             for d in (0, 1)]
    grow: dict[str, int | str] = {"consumers": 1, "partitions": 2, "records": 1,
                                  "added_partitions": 1}
    rows += [Row("group", {"auto.offset.reset": r}, grow) for r in ("latest", "earliest")]
    return tuple(rows)


CONSUMER_FAILURES = Matrix(
    id="consumer-failure-modes",
    title="Consumers: expired offsets, a diverged log, auto-commit with async processing",
    intro="Rows 1-4: the group's committed offset expires (offsets.retention.minutes); "
          "KIP-211 (2.1) expires only an Empty group's offsets. Rows 5-6: an unclean "
          "election cuts back a log the consumer read (replication.factor=2, "
          "min.insync.replicas=1, acks=1, one broker crash); KIP-320 (2.3) validates the "
          "position after the leader change (AtLeastOnce still fails there: the record "
          "written in place of the lost one sits below the committed offset until the "
          "consumer seeks back). Rows 7-8: auto-commit while the records are "
          "processed in the poll loop or on another thread, and one consumer crash. "
          "Rows 9-10: a second process with the same group.instance.id (KIP-345 fencing). "
          "Rows 11-12: a partition added to the topic while the group runs.",
    model="group",
    columns=("AtLeastOnce", "AtMostOnce", "NoSkippedOffsets", "NoTwoOwnersAtOnce"),
    setting_columns=("auto.offset.reset", "enable.auto.commit",
                     "unclean.leader.election.enable", "group.instance.id"),
    bound_columns=("consumers", "commit", "processing", "offset_expiries", "closes",
                   "crashes", "log", "broker_crashes", "duplicate_instances", "partitions",
                   "added_partitions"),
    rows=_consumer_failure_rows(),
)

PARTITION_CHANGES = Matrix(
    id="partition-count-changes",
    title="Adding partitions: do a key's records stay in one partition?",
    intro="A keyed producer (one key, 'key-0') sends 2 records; an operator may add "
          "partitions between them. murmur2('key-0') is partition 0 of 1 and partition 1 "
          "of 2 or 3.",
    model="producer",
    columns=("KeyOrder", "PartitionOrder", "NoDuplicates"),
    setting_columns=(),
    bound_columns=("partitions", "added_partitions"),
    rows=tuple(Row("producer", {}, {"partitions": p, "added_partitions": a, "keys": 1,
                                    "records": 2, "lost_responses": 0})
               for p, a in ((1, 0), (1, 1), (2, 1))),
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
    # The log on two brokers, the data on one: the coordinator moves to the other replica.
    rows.append(Row("transactions", {"transactional.id": "app",
                                     "isolation.level": "read_committed",
                                     "replication.factor": "1",
                                     "transaction.state.log.replication.factor": "2"},
                    {"instances": 2, "partitions": 1, "coordinator_moves": 1}))
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
          "is KIP-890 part 2 (the default from 4.0).  Unless a row sets "
          "transaction.state.log.replication.factor, the transaction log has as many "
          "replicas as the data topic (one broker); the last row puts it on two brokers and "
          "moves the coordinator to the second one.",
    model="transactions",
    columns=("NoAbortedRead", "AtomicCommit", "CommittedNotLost", "ZombieFenced",
             "LsoAdvances", "TransactionsComplete"),
    setting_columns=("isolation.level", "transaction.version",
                     "transaction.partition.verification.enable", "replication.factor",
                     "transaction.state.log.replication.factor"),
    bound_columns=("instances", "transactions", "partitions", "late_produces",
                   "late_end_txns", "expiries", "aborts", "crashes", "crash_kind",
                   "coordinator_moves"),
    rows=_transaction_rows(),
)


def _loop_rows() -> tuple[Row, ...]:
    rows = []
    bounds = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
    # The members commit their offsets themselves (KafkaProducer.sendOffsetsToTransaction
    # asks for enable.auto.commit=false).
    # Without transactions: transactional.id unset (Kafka's default null; an empty
    # string is a value Kafka refuses).
    rows.append(Row("transactions", {"isolation.level": "read_committed",
                                     "enable.auto.commit": "false"}, dict(bounds)))
    for tv in ("1", "2"):
        rows.append(Row("transactions", {"transactional.id": "app", "isolation.level":
                                         "read_committed", "enable.auto.commit": "false",
                                         "transaction.version": tv},
                        dict(bounds)))
    return tuple(rows)


EXACTLY_ONCE = Matrix(
    id="exactly-once",
    title="Exactly-once: a consume-transform-produce loop with and without transactions",
    intro="Two members of one consumer group; the input partition has one record whose "
          "output goes to one output partition; one rebalance moves the input partition "
          "while its old owner keeps running (a zombie). With a transactional.id each "
          "member has its own (KIP-447) and commits its offset in the transaction; without, "
          "it commits the offset after the output is acknowledged. Consumers run with "
          "enable.auto.commit=false (KafkaProducer.sendOffsetsToTransaction asks for it) "
          "and the output is read with isolation.level=read_committed.",
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
          "at any moment none of its requests is in flight (a crash with one in flight is "
          "not modelled), and restarts with empty memory: it restores the store from the "
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
    # put() throwing a RetriableException after writing part of its batch, with no crash:
    # the worker hands the same batch to put() again (WorkerSinkTask.deliverMessages).
    rows += [Row("sink", {}, {"records": 2, "write": write, "crashes": 0, "put_retries": 1})
             for write in ("append", "upsert")]
    return tuple(rows)


SINK = Matrix(
    id="sink",
    title="Kafka Connect sink: the external table through a task crash",
    intro="Two sink tasks of one connector share a topic partition through their consumer "
          "group; a task puts records into an external table, then the worker commits their "
          "offsets. A crashed task's partition goes to the other task after a rebalance. "
          "The table is written by appending a row per record, or by an upsert keyed by "
          "topic-partition-offset. The last rows add a record the converter fails on "
          "(errors.tolerance, KIP-298); the worker does not wait for its dead-letter queue "
          "send before committing past it. The two rows after them have no crash, but a "
          "put() that throws a RetriableException after writing part of its batch, which "
          "the worker hands to put() again.",
    model="sink",
    columns=("SinkNoLoss", "SinkNoDuplicates", "SomeRedelivery"),
    setting_columns=("errors.tolerance", "errors.deadletterqueue.topic.name"),
    bound_columns=("records", "write", "crashes", "bad_records", "put_retries"),
    rows=_sink_rows(),
)



def _source_rows() -> tuple[Row, ...]:
    rows = []
    for support in ("disabled", "enabled"):
        settings = {"exactly.once.source.support": support}
        rows.append(Row("source", settings, {"records": 2, "task_crashes": 0}))
        rows.append(Row("source", settings, {"records": 2, "task_crashes": 1}))
        rows.append(Row("source", settings, {"records": 2, "task_crashes": 0,
                                             "rebalances": 1}))
        rows.append(Row("source", settings, {"records": 2, "task_crashes": 0,
                                             "late_produces": 1}))
    return tuple(rows)


SOURCE = Matrix(
    id="source",
    title="Kafka Connect source: the topic through a worker crash and a zombie task",
    intro="One source task polls two records from an external source, one per poll(); "
          "its producer writes them to a topic and the worker writes each record's source "
          "offset to the offsets topic. Two workers: the task's worker crashes once at any "
          "moment and the task restarts on the other, or a rebalance moves the task while "
          "the old worker keeps running it (a zombie), or a produce request is delayed past "
          "its timeout and lands after the retry. Without exactly-once support the "
          "producer has no idempotence (Connect's default) and the offset is written after "
          "the ack; with exactly.once.source.support=enabled (KIP-618) the record and its "
          "offset are one transaction under the task's transactional.id.",
    model="source",
    columns=("SourceAtLeastOnce", "SourceExactlyOnce", "AllProduced"),
    setting_columns=("exactly.once.source.support",),
    bound_columns=("records", "task_crashes", "rebalances", "late_produces"),
    rows=_source_rows(),
)

MATRICES: list[Matrix] = [REPLICATION, PRODUCER, GROUP, TRANSACTIONS, EXACTLY_ONCE, STREAMS,
                          SINK, SOURCE, DISK_LOSS, ROLLING, SESSIONS, CONSUMER_FAILURES,
                          PARTITION_CHANGES]
