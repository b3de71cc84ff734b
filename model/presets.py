"""Named configurations worth checking: the README's examples and the reports' rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """A model with Kafka settings and bounds, and the question it answers."""

    name: str
    model: str
    summary: str
    settings: Mapping[str, str] = field(default_factory=dict)
    bounds: Mapping[str, int | str] = field(default_factory=dict)
    properties: tuple[str, ...] = ()
    kafka_version: str | None = None  # None: the default release


# The controller's own properties: what a run with no records checks (the data-loss ones
# cannot fail without a record, so they are not checked there).
_QUORUM = ("OneActiveControllerPerEpoch", "EpochsOnlyGrow", "MetadataCommittedByMajority",
           "BrokerMetadataNeverGoesBack", "OneLeaderPerLeaderEpoch", "FencedBrokerNeverLeads",
           "LeaderInIsr", "ControllerFailsOver", "ZombieControllerMeetsSuccessor",
           "ZombieLeaderMeetsSuccessor")

_SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3",
         "unclean.leader.election.enable": "false"}

_RF2_ALL = {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"}
_IN_FLIGHT: dict[str, int | str] = {"crashes": 0, "disk_losses": 1, "isr_updates": "in-flight"}
_ROLLING: dict[str, int | str] = {"crashes": 0, "slow_followers": "none",
                                  "rolling_restarts": 2, "records": 1}

_ALL: tuple[Preset, ...] = (
    Preset("acks1-loss", "replication",
           "acks=1: can an acknowledged write be lost when the leader crashes? (yes)",
           {"acks": "1", "replication.factor": "3"}, {"crashes": 1}),
    Preset("acks-all-safe", "replication",
           "acks=all, min.insync.replicas=2, RF=3, no unclean election: one crash loses "
           "nothing", _SAFE, {"crashes": 1, "records": 2}),
    Preset("unclean-loss", "replication",
           "min.insync.replicas=1 with unclean election: an out-of-sync replica becomes "
           "leader and acknowledged writes vanish",
           {**_SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"},
           {"crashes": 1}),
    Preset("hw-truncation-loss", "replication",
           "Kafka 0.10: truncation to the high watermark (before KIP-101) loses committed "
           "data on a leader change", _SAFE,
           {"crashes": 1, "leader_changes": 1, "crash_kind": "process"}, kafka_version="0.10"),
    Preset("leader-epoch-safe", "replication",
           "the same faults in Kafka 4.4 (leader-epoch truncation, KIP-101 + KIP-279): safe",
           _SAFE, {"crashes": 1, "leader_changes": 1, "crash_kind": "process"}),
    Preset("replication-kafka-7128", "replication",
           "Kafka 2.0.0, before KAFKA-7128: after a leader move the new leader's HW lags, and "
           "a follower whose fetch it processed joins the ISR though the response, and the "
           "committed record in it, never arrive (or carried only the first of two records, "
           "replica.fetch.max.bytes); it is elected after a crash (12 steps; 2.0.1 and 2.1 "
           "hold)", _SAFE,
           {"crashes": 1, "leader_changes": 1, "crash_kind": "process"}, ("NoAckedWriteLost",),
           kafka_version="2.0"),
    Preset("power-loss", "replication",
           "acks=all with min.insync.replicas=1: a power failure of the only in-sync replica "
           "loses acknowledged writes (the KIP-966 scenario)",
           {"acks": "all", "replication.factor": "3"}, {"crash_kind": "power-loss"}),
    Preset("producer-retry-duplicates", "producer",
           "enable.idempotence=false: can a retried batch be written twice? (yes)",
           {"enable.idempotence": "false"}, {"records": 1}),
    Preset("producer-inflight-reorder", "producer",
           "enable.idempotence=false with 5 requests in flight: can retries reorder records?",
           {"enable.idempotence": "false"}, {"records": 2, "batch_records": 1}),
    Preset("producer-idempotent-failover", "producer",
           "idempotent producer through a leader failover with lost responses, two retries "
           "in total over both batches (retry_budget=2): no duplicates, order kept (within the "
           "bounds). Kafka retries until delivery.timeout.ms (retries=2147483647): one more "
           "retry duplicates and reorders a batch, see producer-idempotent-epoch-bump",
           {"replication.factor": "2", "min.insync.replicas": "2"},
           {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1,
            "retry_budget": 2}, ("NoDuplicates", "PartitionOrder", "NoAckedRecordLost")),
    Preset("producer-idempotent-epoch-bump", "producer",
           "the same with one more retry (retry_budget=3): an OUT_OF_ORDER_SEQUENCE epoch bump "
           "rewrites a batch, a duplicate and a reordering (reproduced on Kafka 4.4 with the "
           "Java client: reports/conformance.md)",
           {"replication.factor": "2", "min.insync.replicas": "2"},
           {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1,
            "retry_budget": 3}),
    Preset("producer-roundrobin-keys", "producer",
           "RoundRobinPartitioner ignores keys: per-key order is lost",
           {"partitioner.class": "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
           {"keys": 1, "partitions": 2, "records": 2, "batch_records": 1,
            "lost_responses": 0}),
    Preset("group-auto-commit-dups", "group",
           "auto-commit with processing in the poll loop: at-least-once holds, and a crash "
           "duplicates records", {"auto.offset.reset": "earliest"}, {"crashes": 1},
           ("AtLeastOnce", "AtMostOnce")),
    Preset("group-commit-before-processing-loss", "group",
           "commit before processing, then a crash: a record is never processed",
           {"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
           {"commit": "before-processing", "records": 1, "crashes": 1}),
    Preset("group-poll-timeout-zombie", "group",
           "a member exceeding max.poll.interval.ms: two members process one partition, and "
           "the zombie's commit is rejected",
           {"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
           {"commit": "sync-after-processing", "records": 1, "poll_timeouts": 1},
           ("NoConcurrentProcessing", "CommitsFromCurrentGeneration")),
    Preset("group-cooperative-owners", "group",
           "cooperative-sticky rebalancing never gives a partition two owners through "
           "crashes, closes and rejoins (a poll timeout does: the member keeps its "
           "partitions until its next poll)",
           {"auto.offset.reset": "earliest",
            "partition.assignment.strategy": "cooperative-sticky"},
           {"partitions": 2, "records": 1, "crashes": 1, "poll_timeouts": 0, "closes": 1,
            "rejoins": 1}, ("OneOwnerPerGeneration", "NoTwoOwnersAtOnce")),
    Preset("group-paused-member", "group",
           "a member paused past session.timeout.ms still owns its partitions: two owners",
           {"partition.assignment.strategy": "cooperative-sticky"},
           {"records": 0, "pauses": 1}, ("NoTwoOwnersAtOnce",)),
    Preset("group-extra-consumers", "group",
           "more consumers than partitions: the extra ones get nothing (the seed's claim)",
           {"auto.offset.reset": "earliest"},
           {"consumers": 3, "partitions": 2, "records": 0, "crashes": 1},
           ("ExtraConsumersIdle", "BalancedAssignment")),
    Preset("group-latest-retention-skip", "group",
           "auto.offset.reset=latest after retention removed the committed offset: records "
           "are skipped", {"auto.offset.reset": "latest"},
           {"consumers": 1, "records": 2, "retention": 1}),
    Preset("group-replicated-hw", "group",
           "a consumer never reads above the high watermark through a broker crash",
           {"auto.offset.reset": "earliest", "acks": "all", "replication.factor": "2"},
           {"consumers": 1, "log": "replicated"}, ("ConsumersReadBelowHw", "ReadRecordsStay")),
    Preset("group-consumer-owners", "group-consumer",
           "KIP-848 (group.protocol=consumer), uniform assignor, 2 consumers and 2 "
           "partitions: a crash and a restart give no partition two owners, at the "
           "coordinator or among the consumers, and the group converges. These bounds only: "
           "with 3 consumers and 3 partitions two consumers own a partition for a while, "
           "see group-consumer-stale-reconciliation",
           {"group.protocol": "consumer", "group.consumer.assignors": "uniform"},
           {"consumers": 2, "partitions": 2, "crashes": 1, "rejoins": 1},
           ("SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce", "GroupConverges")),
    # The stale-reconciliation window (audit 848race): real Kafka behaviour, from
    # ConsumerHeartbeatRequestManager.HeartbeatState (the last reconciled assignment),
    # CurrentAssignmentBuilder.ownsRevokedPartitions (KAFKA-16615) and
    # AbstractMembershipManager.maybeAbortReconciliation; about a minute (444k states).
    Preset("group-consumer-stale-reconciliation", "group-consumer",
           "KIP-848, uniform assignor, 3 consumers and 3 partitions, a crash and a restart: "
           "a member reports its owned partitions while still taking a newer assignment, "
           "the coordinator releases the partition it is taking and gives it to another "
           "member, and its reconciliation then adds it: two owners (24 steps, a minute or "
           "more)",
           {"group.protocol": "consumer", "group.consumer.assignors": "uniform"},
           {"consumers": 3, "partitions": 3, "crashes": 1, "rejoins": 1},
           ("NoTwoOwnersAtOnce",)),
    Preset("group-consumer-kafka-16147", "group-consumer",
           "KIP-848 before KAFKA-16147 (fixed in 3.8.0; 3.7 has it): the lost partition "
           "epoch assigns a partition to two members", {"group.protocol": "consumer"},
           {"rules": "before-KAFKA-16147", "closes": 1, "rejoins": 1},
           ("SingleOwnerAtCoordinator",)),
    Preset("group-consumer-paused-member", "group-consumer",
           "KIP-848: a member paused past its session still owns its partitions (two owners, "
           "as with the classic protocol)", {"group.protocol": "consumer"}, {"pauses": 1},
           ("SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce")),
    # KAFKA-20332 (read in kafka-clients 4.0.0-4.3.1; reproduced on a 4.0.0 broker in review
    # s28): the background thread revokes mid-batch without auto-commit and a listener.
    Preset("group-consumer-background-revocation", "group-consumer",
           "KIP-848 on Kafka 4.0-4.2.0 with commitSync after processing and no rebalance "
           "listener: the consumer's background thread revokes a partition while the "
           "application processes its records, the commit leaves it out, and the new owner "
           "processes the same records at the same time, with no fault (KAFKA-20332, fixed "
           "in 4.2.1 and 4.3)",
           {"group.protocol": "consumer", "enable.auto.commit": "false",
            "auto.offset.reset": "earliest"},
           {"records": 2, "hw_lag": 1, "commit": "sync-after-processing"},
           ("NoConcurrentProcessing", "AtMostOnce"), kafka_version="4.0"),
    Preset("controller-zombie-acks1", "controller",
           "a deposed leader cut off from the controller keeps acknowledging acks=1 writes, "
           "which are lost", {"acks": "1"}, {"records": 1, "crashes": 0, "isolations": 1}),
    Preset("controller-zombie-safe", "controller",
           "the same with acks=all and min.insync.replicas=2: never acknowledged, nothing lost",
           {"acks": "all", "min.insync.replicas": "2"},
           {"records": 2, "crashes": 0, "isolations": 1}),
    Preset("controller-minority", "controller",
           "an isolated minority controller changes nothing; the majority elects a successor "
           "with a higher epoch", {}, {"records": 0, "crashes": 0, "isolations": 1},
           _QUORUM),
    Preset("controller-two-voters", "controller",
           "two controller voters tolerate no failure: no controller failover",
           {}, {"controllers": 2, "records": 0, "crashes": 1, "isolations": 0},
           (*_QUORUM, "LeaderFailsOver")),
    Preset("controller-composed", "controller",
           "replication + KRaft controller, 3 brokers, a crash and an isolation",
           {"acks": "all", "min.insync.replicas": "2"},
           {"records": 1, "crashes": 1, "isolations": 1}),
    Preset("controller-disk-loss-failover", "controller",
           "replication + KRaft controller, 3 combined nodes, AlterPartition in flight: one "
           "node loses the disk of its log.dirs and restarts with a new broker epoch; when it "
           "is the active controller's node, another controller takes over (every "
           "guarantee it selects holds). Only with metadata.log.dir on a separate disk that "
           "survives: the model keeps the KRaft metadata log, which by default "
           "(metadata.log.dir unset) lives in the first log.dirs directory and is lost with it",
           {"acks": "all", "min.insync.replicas": "2"},
           {"records": 1, "crashes": 0, "isolations": 0, "restarts": 1, "disk_losses": 1,
            "isr_updates": "in-flight"},
           # Without an isolation or a leader change no deposed leader acknowledges anything:
           # DeposedLeaderAcksSurvive would be not checked (its witness never reached).
           ("OneActiveControllerPerEpoch", "EpochsOnlyGrow", "MetadataCommittedByMajority",
            "BrokerMetadataNeverGoesBack", "OneLeaderPerLeaderEpoch", "FencedBrokerNeverLeads",
            "NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw", "LeaderInIsr",
            "HwWithinLeo", "IsrJoinersHoldCommitted", "FencedNeverJoinsIsr",
            "SomeRecordCommitted", "ControllerFailsOver")),
    Preset("disk-loss-last-isr", "replication",
           "Kafka 4.0 (ELR off): the last ISR member loses its disk, comes back empty and is "
           "elected (KIP-841 kept it in the ISR)", _RF2_ALL, {"crashes": 0, "disk_losses": 1},
           ("NoAckedWriteLost",), kafka_version="4.0"),
    Preset("disk-loss-elr", "replication",
           "the same disk loss on Kafka 4.4: its unclean shutdown takes it out of the ELR, "
           "and an ELR member with the data leads", _RF2_ALL,
           {"crashes": 0, "disk_losses": 1}),
    Preset("kip903-stale-alter-partition", "replication",
           "Kafka 3.4: an AlterPartition sent before the follower lost its disk adds it back, "
           "empty, after it registered again", _RF2_ALL, _IN_FLIGHT,
           ("IsrJoinersHoldCommitted",), kafka_version="3.4"),
    Preset("kip903-broker-epochs", "replication",
           "the same on a Kafka 3.5 KRaft cluster (process.roles): the request carries the "
           "old broker epoch and the controller refuses it (INELIGIBLE_REPLICA; a ZooKeeper "
           "cluster has no such check)", {**_RF2_ALL, "process.roles": "broker"}, _IN_FLIGHT,
           ("IsrJoinersHoldCommitted", "FencedNeverJoinsIsr"), kafka_version="3.5"),
    Preset("rolling-restart-safe", "replication",
           "acks=all, min.insync.replicas=2, RF=3, one broker at a time and waiting for the "
           "ISR: writes never stop and nothing is lost", _SAFE,
           {**_ROLLING, "rolling_restarts": 3, "records": 2},
           ("WritesAccepted", "NoAckedWriteLost", "CommittedRecordsStay")),
    Preset("rolling-restart-no-wait", "replication",
           "the same without waiting for the restarted broker to rejoin the ISR: "
           "NOT_ENOUGH_REPLICAS", _SAFE, {**_ROLLING, "restart_wait": "none"},
           ("WritesAccepted", "NoAckedWriteLost")),
    Preset("rolling-restart-acks1-loss", "replication",
           "acks=1: a controlled shutdown moves leadership to a follower that has not "
           "fetched an acknowledged record", {"acks": "1", "replication.factor": "3"},
           _ROLLING, ("NoAckedWriteLost",)),
    Preset("offset-expiry-pre-kip211", "group",
           "Kafka 2.0: a live group that commits after processing loses its committed offset "
           "to offsets.retention.minutes; after a rebalance earliest processes a record again",
           {"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
           {"consumers": 2, "records": 2, "commit": "sync-after-processing",
            "offset_expiries": 1}, ("AtMostOnce", "AtLeastOnce"), kafka_version="2.0"),
    Preset("offset-expiry-kip211", "group",
           "the same from Kafka 2.1 (KIP-211): only an Empty group's offsets expire",
           {"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
           {"consumers": 2, "records": 2, "commit": "sync-after-processing",
            "offset_expiries": 1}, ("AtMostOnce", "AtLeastOnce")),
    Preset("consumer-divergence-pre-kip320", "group",
           "Kafka 2.2: after an unclean election the consumer keeps its position and skips "
           "the record written in place of the one it read",
           {"replication.factor": "2", "min.insync.replicas": "1", "acks": "1",
            "unclean.leader.election.enable": "true", "auto.offset.reset": "earliest"},
           {"consumers": 1, "records": 3, "log": "replicated", "broker_crashes": 1},
           ("NoSkippedOffsets", "AtMostOnce", "ReadRecordsStay"), kafka_version="2.2"),
    Preset("consumer-divergence-kip320", "group",
           "the same from Kafka 2.3 (KIP-320): the consumer validates its position and "
           "seeks back to the divergence; what it read from the lost tail stays read",
           {"replication.factor": "2", "min.insync.replicas": "1", "acks": "1",
            "unclean.leader.election.enable": "true", "auto.offset.reset": "earliest"},
           {"consumers": 1, "records": 3, "log": "replicated", "broker_crashes": 1},
           ("NoSkippedOffsets", "AtMostOnce", "ReadRecordsStay")),
    Preset("auto-commit-async-processing", "group",
           "auto-commit while a worker thread processes the records: a crash loses a record "
           "whose offset was committed", {"auto.offset.reset": "earliest"},
           {"consumers": 1, "records": 2, "crashes": 1, "rejoins": 1, "processing": "async"},
           ("AtLeastOnce", "NoSkippedOffsets")),
    Preset("add-partitions-key-order", "producer",
           "a partition added while a keyed producer runs: key-0 moves from p0 to p1 "
           "(murmur2 modulo the new count) and its records leave one partition",
           {}, {"partitions": 1, "added_partitions": 1, "keys": 1, "records": 2,
                "lost_responses": 0}, ("KeyOrder",)),
    Preset("static-duplicate-instance", "group",
           "two processes with one group.instance.id: the newer takes over without a "
           "rebalance, the older reads on until it is fenced (FENCED_INSTANCE_ID)",
           {"group.instance.id": "app", "auto.offset.reset": "earliest"},
           {"consumers": 1, "records": 1, "duplicate_instances": 1},
           ("NoTwoOwnersAtOnce", "NoConcurrentProcessing", "CommitsFromCurrentGeneration")),
    Preset("add-partitions-latest", "group",
           "a partition added while the group runs: with auto.offset.reset=latest (the "
           "default) the records written to it before the consumer's reset are skipped",
           {}, {"consumers": 1, "partitions": 2, "records": 1, "added_partitions": 1},
           ("NoSkippedOffsets", "AllRecordsProcessed")),
    Preset("txn-read-uncommitted", "transactions",
           "isolation.level=read_uncommitted (the consumer default) returns records of open "
           "and aborted transactions", {"transactional.id": "app"},
           {"instances": 1, "partitions": 1, "aborts": 1}, ("NoAbortedRead",)),
    Preset("txn-zombie-read-committed", "transactions",
           "read_committed with a second instance of the transactional.id fencing the first "
           "(a zombie), two partitions: every transaction guarantee holds",
           {"transactional.id": "app", "isolation.level": "read_committed"},
           {"instances": 2, "partitions": 2}),
    Preset("txn-coordinator-failover", "transactions",
           "the transaction log on two brokers (transaction.state.log.replication.factor=2), "
           "the data on one: the coordinator moves to the other replica and loads the log "
           "there while a zombie and a newer instance run; every guarantee holds",
           {"transactional.id": "app", "isolation.level": "read_committed",
            "replication.factor": "1", "transaction.state.log.replication.factor": "2"},
           {"instances": 2, "partitions": 1, "coordinator_moves": 1}),
    Preset("txn-hanging-3.5", "transactions",
           "Kafka 3.5 (before KIP-890): a produce delayed past its timeout lands after the "
           "abort and the LSO stops for good (a hanging transaction)",
           {"transactional.id": "app", "isolation.level": "read_committed"},
           {"instances": 1, "partitions": 1, "late_produces": 1, "expiries": 1, "aborts": 1},
           ("LsoAdvances",), kafka_version="3.5"),
    Preset("txn-late-write-tv1", "transactions",
           "transaction.version=1: the late produce of an aborted transaction joins the next "
           "one and is committed (KIP-890 part 2 closes it)",
           {"transactional.id": "app", "isolation.level": "read_committed",
            "transaction.version": "1"},
           {"instances": 1, "transactions": 2, "partitions": 1, "late_produces": 1,
            "expiries": 1, "aborts": 1}, ("NoAbortedRead",)),
    Preset("txn-stale-end-txn-tv1", "transactions",
           "transaction.version=1: a delayed EndTxn commits the next transaction before its "
           "application asks", {"transactional.id": "app", "isolation.level":
                                "read_committed", "transaction.version": "1"},
           {"instances": 1, "transactions": 2, "partitions": 1, "late_end_txns": 1},
           ("NoAbortedRead",)),
    Preset("txn-version-2", "transactions",
           "transaction.version=2 (Kafka 4.0+): the same late produce and delayed EndTxn "
           "change nothing", {"transactional.id": "app", "isolation.level": "read_committed"},
           {"instances": 1, "transactions": 2, "partitions": 1, "late_produces": 1,
            "late_end_txns": 1, "expiries": 1, "aborts": 1},
           # Not ZombieFenced: with one instance nothing fences it (not checked).
           ("NoAbortedRead", "AtomicCommit", "CommittedNotLost", "TransactionsComplete",
            "LsoAdvances", "CommittedBecomesVisible", "SomeCommitVisible",
            "SomeAbortFiltered")),
    Preset("eos-loop", "transactions",
           "consume-transform-produce in transactions (KIP-447) through a rebalance with a "
           "zombie: each input's output exactly once",
           {"transactional.id": "app", "isolation.level": "read_committed",
            "enable.auto.commit": "false"},
           {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}),
    Preset("alo-loop-duplicates", "transactions",
           "the same loop without a transactional.id: the zombie's output and its "
           "successor's both stand (at-least-once)",
           {"isolation.level": "read_committed", "enable.auto.commit": "false"},
           {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}, ("ExactlyOnce",)),
    Preset("streams-alos-double-count", "streams",
           "Kafka Streams at_least_once (the default): an instance crashes after counting an "
           "input into the changelog but before committing its offset; the task moves and "
           "the input is counted twice",
           {"processing.guarantee": "at_least_once"},
           {"instances": 2, "inputs": 2, "instance_crashes": 1}, ("CountsExact",)),
    Preset("streams-eos-crash", "streams",
           "Kafka Streams exactly_once_v2 through an instance crash at every point between "
           "its requests: every count exact (KIP-447)", {"processing.guarantee": "exactly_once_v2"},
           {"instances": 1, "inputs": 1, "instance_crashes": 1}),
    Preset("sink-duplicate-after-rebalance", "sink",
           "a Connect sink task puts a record, crashes before its offset commit; the "
           "rebalance gives the partition to another task, which puts it again: a duplicate "
           "row with an appending write", {}, {"records": 1, "write": "append"},
           ("SinkNoDuplicates",)),
    Preset("sink-idempotent-upsert", "sink",
           "the same crash and rebalance with an upsert keyed by topic-partition-offset: the "
           "record is put twice, the table holds it once", {},
           {"records": 2, "write": "upsert"}),
    Preset("sink-errors-tolerance-all-no-dlq", "sink",
           "errors.tolerance=all without a dead-letter queue: a record the converter fails on "
           "is skipped and its offset committed, lost to the external system (KIP-298)",
           {"errors.tolerance": "all"}, {"records": 2, "bad_records": 1, "write": "upsert"},
           ("SinkNoLoss",)),
    Preset("source-crash-duplicates", "source",
           "a Connect source task without exactly-once support (the default): its worker "
           "crashes after a record is produced and before its source offset is written; the "
           "task restarts on another worker and produces the record again (at-least-once "
           "holds)", {"exactly.once.source.support": "disabled"},
           {"records": 1, "task_crashes": 1}, ("SourceAtLeastOnce", "SourceExactlyOnce")),
    Preset("source-exactly-once", "source",
           "exactly.once.source.support=enabled (KIP-618): records and source offsets in one "
           "transaction, the task's transactional.id shared by the workers: a worker crash at "
           "any point duplicates and loses nothing",
           {"exactly.once.source.support": "enabled"}, {"records": 2, "task_crashes": 1}),
    Preset("source-exactly-once-zombie", "source",
           "the same with a rebalance instead of a crash: the old worker keeps running the "
           "task (a zombie) until the new task producer fences it (KIP-618)",
           {"exactly.once.source.support": "enabled"},
           {"records": 2, "task_crashes": 0, "rebalances": 1}),
    Preset("diehard", "diehard", "the die-hard jug puzzle: its solution is a counterexample"),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _ALL}
if len(PRESETS) != len(_ALL):  # a later preset would silently replace an earlier one
    raise RuntimeError("presets defined twice: " + ", ".join(sorted(
        name for name, n in Counter(p.name for p in _ALL).items() if n > 1)))
