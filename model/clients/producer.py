"""The Kafka producer composed with replication: batching, retries, in-flight limits, idempotence.

The question it answers: with these producer settings, can a record be duplicated,
reordered or lost, and what does a failed send tell the application?  The broker side
is the replication model embedded whole (``compose.Embedded``, its own Produce
disabled): fetch, ISR changes, high watermark, crashes, fencing, elections and
truncation are its actions, unchanged.  This module adds the producer (KafkaProducer,
RecordAccumulator, Sender, TransactionManager for idempotence), one connection per
broker, and the cross-component actions: a leader appending a produce request (the
partition component's append, with ProducerStateManager checks), the acks=all
purgatory (DelayedProduce) and the responses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

from kafkacheck.config import Config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model import versions
from kafkacheck.model.clients import producer_broker as pb
from kafkacheck.model.clients.producer_broker import Descriptor, IdempotenceRules
from kafkacheck.model.clients.producer_partitioning import Partitioning, batch_bytes, key_name
from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster.partition import NO_LEADER, WAITING, broker_name, put
from kafkacheck.model.cluster.replication import (
    CONTROLLED_SHUTDOWN,
    DISK_LOSS,
    LOST_PRODUCE,
    REREGISTRATION_RACE,
    ReplicationModel,
    ReplicationState,
)
from kafkacheck.model.compose import Embedded
from kafkacheck.model.interface import (
    ADDED_PARTITIONS,
    POWER_LOSS,
    PROCESS_CRASH,
    Action,
    Bound,
    FaultModel,
    Message,
    Model,
    State,
)
from kafkacheck.properties.base import Property

QUEUED, INFLIGHT, ACKED, FAILED = range(4)
STATUS_NAMES = ("queued", "in flight", "acked", "failed")
# The batch that stands for another client's records (foreign_records): never this
# producer's to send, acknowledge or fail, and holding none of its records.
FOREIGN = len(STATUS_NAMES)

# A request's stage on a connection: on the wire (not read by the broker), in the acks=all
# purgatory, answered (response travelling back), or dead (the broker crashed under it).
WIRE, PURGATORY, RESPONSE, DEAD = range(4)

# Error codes (org.apache.kafka.common.protocol.Errors) plus the client-side ones; the
# broker's own codes are the partition component's (partition.NONE ... REQUEST_TIMED_OUT).
(NONE, NOT_LEADER, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_AFTER, REQUEST_TIMED_OUT, NETWORK,
 OUT_OF_ORDER, INVALID_EPOCH, DELIVERY_TIMEOUT) = range(9)
assert (NONE, NOT_LEADER, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_AFTER, REQUEST_TIMED_OUT) == (
    pt.NONE, pt.NOT_LEADER, pt.NOT_ENOUGH_REPLICAS, pt.NOT_ENOUGH_AFTER, pt.REQUEST_TIMED_OUT)
ERROR_NAMES = ("NONE", "NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS",
               "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION",
               "OUT_OF_ORDER_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH",
               "TimeoutException (delivery.timeout.ms)")
RETRIABLE = frozenset({NOT_LEADER, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_AFTER, REQUEST_TIMED_OUT,
                       NETWORK})
# Errors the broker returns only for a batch it did not append (checked against the broker
# code paths): NOT_ENOUGH_REPLICAS (Partition.appendRecordsToLeader, before the append),
# OUT_OF_ORDER_SEQUENCE_NUMBER and INVALID_PRODUCER_EPOCH (ProducerAppendInfo, before the
# append).  Jepsen's Kafka client treats the last two as definite failures too.
DEFINITE = frozenset({NOT_ENOUGH_REPLICAS, OUT_OF_ORDER, INVALID_EPOCH})
# Errors that leave the attempt's outcome unknown: NOT_LEADER_OR_FOLLOWER also completes a
# produce request whose batch was appended when the leader changed while it waited in the
# purgatory (DelayedProduce via checkEnoughReplicasReachOffset; KAFKA-13574, which is why
# Jepsen reads it as indefinite); NOT_ENOUGH_REPLICAS_AFTER_APPEND says the batch was
# appended; timeouts, disconnects and delivery.timeout.ms say nothing.
INDEFINITE = frozenset({NOT_LEADER, NOT_ENOUGH_AFTER, REQUEST_TIMED_OUT, NETWORK,
                        DELIVERY_TIMEOUT})
assert not DEFINITE & INDEFINITE and len(DEFINITE | INDEFINITE) == len(ERROR_NAMES) - 1

NO_SEQ = -1
MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5
PRODUCER_RESTART = "producer restart (a new session, a new producer id)"
# The replication model's produce path, which this model's client and broker replace.
CLIENT_PATH = frozenset({"Produce", "Ack", "AckError", "AckLost", *LOST_PRODUCE})
PRODUCER_STATE_EXPIRY = "producer state removed at the broker (producer.id.expiration.ms)"


def expiration_and_delivery(values: Mapping[str, Any],
                            version: tuple[int, int]) -> tuple[str, int, int]:
    """The setting that expires the producer's state at the brokers, its value, and the
    delivery.timeout.ms in force, from ``values`` or the release's defaults.  KIP-854 (3.4):
    producer ids expire after producer.id.expiration.ms; before, after
    transactional.id.expiration.ms (ProducerStateManager.removeExpiredProducers).
    KafkaProducer.configureDeliveryTimeout: left unset, delivery.timeout.ms is raised to
    linger.ms + request.timeout.ms when it is below (set below, it is refused)."""
    def value(name: str) -> Any:
        return values[name] if name in values else kafka_settings.default_for(name, version)

    key = ("producer.id.expiration.ms" if tuple(version[:2]) >= (3, 4)
           else "transactional.id.expiration.ms")
    delivery = max(value("delivery.timeout.ms"),
                   min(value("linger.ms") + value("request.timeout.ms"), 2**31 - 1))
    return key, value(key), delivery
FOREIGN_RECORDS = "another client's records not yet replicated"
# The release gate of the idempotence rules modelled (KIP-360, Kafka 2.5: the broker's
# "no producer state: accept any sequence" of KAFKA-8710 and the client's epoch bump of
# KAFKA-8805, both first in 2.5.0).
KIP_360 = "KAFKA-8710"


class Batch(NamedTuple):
    """A ProducerBatch: partition, record ids, retries so far, current wire descriptor (-1
    before its first drain), status, last error, sequence reset by an epoch bump, and
    whether an earlier attempt ended with an outcome the producer could not know."""

    partition: int
    records: tuple[int, ...]
    attempts: int
    desc: int
    status: int
    error: int
    reset: bool
    in_doubt: bool


class Request(NamedTuple):
    """A produce request on a connection: its descriptor, stage, the offset awaited (in the
    purgatory) or the error code (answered), and the leader epoch it was appended in."""

    desc: int
    stage: int
    value: int
    leader_epoch: int


class Sequences(NamedTuple):
    """TxnPartitionEntry: next sequence, last acknowledged sequence, the producer epoch the
    partition uses, and the unresolved next sequence (after an expired batch)."""

    next: int
    acked: int
    epoch: int
    unresolved: int


class Idempotence(NamedTuple):
    """TransactionManager of an idempotent producer: producer epoch, bump requested,
    partitions whose sequences to rewrite (mask), and each partition's sequences."""

    epoch: int
    bump: bool
    rewrite: int
    parts: tuple[Sequences, ...]


class Budget(NamedTuple):
    """Faults left: responses lost or timed out, retries, delivery timeouts, producer
    restarts, and removals of the producer's state at the broker."""

    lost: int
    retries: int
    expiries: int
    restarts: int = 0
    state_expiries: int = 0


class ProducerState(NamedTuple):
    """The replicated topic, the producer's accumulator and in-flight requests."""

    repl: ReplicationState
    next_record: int
    partitioner: tuple[int, ...]
    accumulator: tuple[tuple[int, ...], ...]  # per partition, queued batch numbers
    batches: tuple[Batch, ...]
    descriptors: tuple[Descriptor, ...]
    connections: tuple[tuple[Request, ...], ...]  # per broker
    idempotence: Idempotence | tuple  # () when idempotence is off
    budget: Budget
    session: int = 0  # producer session: its producer id (a restart gets a new one)
    state_from: tuple[int, ...] = ()  # per partition: offset the broker's producer state
    # is rebuilt from (after it expired), () when it never expired
    topic_partitions: int = 0  # partitions in the producer's metadata (0: all of them)


def _setting(config: Config, name: str) -> Any:
    """A producer setting as given or defaulted, whether or not this model reads it."""
    return config.setting(name, kafka_settings.default_for(name, config.version))


def effective_idempotence(config: Config) -> tuple[bool, str | None, str | None, dict[str, Any]]:
    """ProducerConfig.postProcessAndValidateIdempotenceConfigs (3.2 and later, KAFKA-13673):
    (enabled, error, note, settings Kafka overrides); releases before 3.2 follow
    ``_idempotence_before_3_2``."""
    if not versions.has_fix(config.kafka_version, "KAFKA-13598"):
        return _idempotence_before_3_2(config)
    explicit = "enable.idempotence" in config.explicit
    enabled = _setting(config, "enable.idempotence")
    disable_reasons = []
    if enabled:
        if _setting(config, "retries") == 0:
            if explicit:
                return (False, "Must set retries to non-zero when using the idempotent "
                        "producer.", None, {})
            disable_reasons.append("retries is set to 0")
        if _setting(config, "acks") != -1:
            if explicit:
                return False, ("Must set acks to all in order to use the idempotent producer. "
                               "Otherwise we cannot guarantee idempotence."), None, {}
            disable_reasons.append(f"acks is set to {_setting(config, 'acks')}, not set to 'all'")
        in_flight = _setting(config, "max.in.flight.requests.per.connection")
        if in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
            # 3.2 to 3.9 disable a defaulted idempotence here too (KAFKA-13673); an error
            # from 4.0 (KAFKA-17927).
            if explicit or config.version >= (4, 0):
                return False, ("To use the idempotent producer, max.in.flight.requests.per."
                               f"connection must be set to at most 5. Current value is "
                               f"{in_flight}."), None, {}
            disable_reasons.append(f"max.in.flight.requests.per.connection is set to "
                                   f"{in_flight}, which is greater than 5")
    note = None
    if disable_reasons:
        enabled = False
        # ProducerConfig logs the retries and acks cases at INFO, the in-flight one at WARN
        # (3.9.0: 'in v4.0.0 and onward, this will become an error').
        level = "WARN" if any("in.flight" in r for r in disable_reasons) else "INFO"
        note = ("idempotence disabled: enable.idempotence was left at its default and "
                + " and ".join(disable_reasons)
                + f" (Kafka disables it without an error, logging at {level})")
    if "transactional.id" in config.explicit and _setting(config, "transactional.id") \
            and not enabled:
        return (False, "Cannot set a transactional.id without also enabling idempotence.",
                None, {})
    if config.version >= (4, 1) and "transaction.timeout.ms" in config.explicit \
            and config.setting("transaction.two.phase.commit.enable", False):
        # KIP-939 (4.1): the external coordinator decides when a prepared transaction ends.
        return (False, "Cannot set transaction.timeout.ms when transaction.two.phase.commit."
                "enable is set to true. Transactions will not expire with two-phase commit "
                "enabled.", None, {})
    return enabled, None, note, {}


def _idempotence_before_3_2(config: Config) -> tuple[bool, str | None, str | None,
                                                      dict[str, Any]]:
    """0.11 to 3.1: idempotence is on only when enable.idempotence=true or a transactional.id
    is set explicitly, and then acks and retries left unset become all and Integer.MAX_VALUE
    (ProducerConfig.idempotenceEnabled and maybeOverrideAcksAndRetries; before 2.8
    KafkaProducer.configureAcks/configureRetries); 0.11 also needs max.in.flight 1
    (KafkaProducer.configureInflightRequests, up to 5 from 1.0, KAFKA-5494)."""
    given = config.explicit
    idempotence_set = "enable.idempotence" in given
    transactional = "transactional.id" in given and bool(_setting(config, "transactional.id"))
    if idempotence_set and not _setting(config, "enable.idempotence"):
        error = ("Cannot set a transactional.id without also enabling idempotence."
                 if transactional else None)
        return False, error, None, {}
    if not (idempotence_set or transactional):
        note = None
        if _setting(config, "enable.idempotence"):  # the 3.0 default, not applied (KAFKA-13598)
            note = (f"idempotence disabled: Kafka {config.kafka_version}.0 applies the "
                    "enable.idempotence default only when it is set explicitly (KAFKA-13598)")
        return False, None, note, {}
    overrides: dict[str, Any] = {}
    if "retries" not in given:
        overrides["retries"] = kafka_settings.INT_MAX
    elif _setting(config, "retries") == 0:
        return False, "Must set retries to non-zero when using the idempotent producer.", None, {}
    if "acks" not in given:
        overrides["acks"] = -1
    elif _setting(config, "acks") != -1:
        return False, ("Must set acks to all in order to use the idempotent producer. "
                       "Otherwise we cannot guarantee idempotence."), None, {}
    in_flight_name = "max.in.flight.requests.per.connection"
    in_flight = _setting(config, in_flight_name)
    if config.version < (1, 0):
        if in_flight_name not in given:
            overrides[in_flight_name] = 1
        elif in_flight != 1:
            return False, (f"Must set {in_flight_name} to 1 in order to use the idempotent "
                           "producer. Otherwise we cannot guarantee idempotence."), None, {}
    elif in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
        return False, (f"Must set {in_flight_name} to at most 5 to use the idempotent "
                       "producer."), None, {}
    return True, None, None, overrides


class ProducerModel(Model):
    """One producer sending records to a replicated topic through batches and retries."""

    name = "producer"
    summary = ("Producer: partitioners, batching, retries, in-flight requests, idempotence "
               "(KIP-98/KIP-360/KIP-679) over replicated partitions")
    source = ("KafkaProducer, RecordAccumulator, Sender, TransactionManager, ProducerStateManager;"
              " KIP-98, KIP-360, KIP-480, KIP-679, KIP-794")
    # Its brokers' controller is an atomic step of a correct quorum (as in replication).
    abstracted: ClassVar[tuple[str, ...]] = kafka_settings.QUORUM_KEYS
    settings = (
        "acks",
        "enable.idempotence",
        "retries",
        "max.in.flight.requests.per.connection",
        "linger.ms",
        "batch.size",
        "delivery.timeout.ms",
        "request.timeout.ms",
        "partitioner.class",
        "partitioner.ignore.keys",
        "replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "flush.messages",
        "log.flush.interval.messages",
        "eligible.leader.replicas.version",
        "producer.id.expiration.ms",
        "transactional.id.expiration.ms",
        "process.roles",  # ZooKeeper or KRaft before 4.0 (the replication model's rules)
    )
    # A request past request.timeout.ms is a lost response here (lost_responses).
    timeout_bounds: ClassVar[dict[str, str]] = {"request.timeout.ms": "lost_responses"}
    key_settings = ("acks", "enable.idempotence", "retries",
                    "max.in.flight.requests.per.connection", "partitioner.class",
                    "replication.factor", "min.insync.replicas")
    bounds = (
        Bound("records", 2, "records the application sends, in order r0, r1, ...",
              minimum=1, maximum=8),
        Bound("keys", 0, "0: keyless records; K: record i has the String key 'key-(i mod K)'",
              minimum=0, maximum=8),
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=4),
        Bound("added_partitions", 0, "partitions an operator adds to the topic while the "
              "producer runs (CreatePartitions); after its metadata refresh the producer "
              "partitions keys over the new count", minimum=0, maximum=3,
              fault=ADDED_PARTITIONS),
        Bound("batch_records", 0, "records that fill a batch (0: derive from batch.size with "
              "10-byte records)", minimum=0, maximum=8),
        Bound("record_partition", -1, "-1: the partitioner chooses; p: every record names "
              "partition p explicitly", minimum=-1, maximum=3),
        Bound("lost_responses", 1, "produce responses lost or timed out (request.timeout.ms)",
              minimum=0, fault="lost or timed-out produce response",
              injected_by=("Timeout|RequestTimedOut",)),
        Bound("retry_budget", 2, "retries explored in all (stands for retries and "
              "delivery.timeout.ms; a retry past it is not explored)", minimum=0,
              fault="producer retry"),
        Bound("expiries", 0, "queued batches failed by delivery.timeout.ms", minimum=0,
              fault="batch expiry (delivery.timeout.ms)"),
        Bound("crashes", 0, "broker crashes in the fault budget", minimum=0,
              fault="broker crash"),
        Bound("crash_kind", "process", "process, power-loss or any (as in replication)",
              choices=("process", "power-loss", "any")),
        Bound("leader_changes", 0, "leadership moves without a crash", minimum=0,
              fault="leader move"),
        Bound("truncation", "version", "follower truncation rule (as in replication)",
              choices=("version", *pt.TRUNCATION_RULES)),
        Bound("producer_restarts", 0, "restarts of the producer without transactional.id: "
              "the application sends its unacknowledged records again in a new session with "
              "a new producer id", minimum=0, fault=PRODUCER_RESTART,
              injected_by=("RestartProducer",)),
        Bound("producer_state_expiries", 0, "removals of the producer's state at the "
              "brokers once it was idle for producer.id.expiration.ms (KIP-854)", minimum=0,
              fault=PRODUCER_STATE_EXPIRY, injected_by=("ExpireProducerState",)),
        Bound("foreign_records", 0, "records of another client (another producer id) in the "
              "log of each partition's leader at the start, not yet fetched by its followers, "
              "so a follower lagging on them can leave the ISR before this producer's first "
              "batch; 0: every partition starts empty with this producer its only writer",
              minimum=0, maximum=2, fault=FOREIGN_RECORDS,
              # In the initial state: it matters once a follower lagging on it leaves the ISR.
              injected_by=("ShrinkIsr",)),
    )
    # Test mutants: one-rule overrides of the partition component or the broker's
    # idempotence checks (tests/mutants/producer.py).
    rule_mixins: ClassVar[tuple[type, ...]] = ()
    idempotence_rules: ClassVar[type[IdempotenceRules]] = IdempotenceRules

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        _enabled, error, _note, _overrides = effective_idempotence(config)
        if error:
            return f"ConfigException: {error}"
        k = config.kafka
        if "delivery.timeout.ms" in config.explicit and \
                k["delivery.timeout.ms"] < k["linger.ms"] + k["request.timeout.ms"]:
            return ("ConfigException: delivery.timeout.ms should be equal to or larger than "
                    "linger.ms + request.timeout.ms")
        rf = k["replication.factor"]
        if rf > 3:
            return f"replication.factor={rf} is beyond exhaustive reach here (at most 3)"
        if config.bounds["producer_state_expiries"] > 0 and \
                not versions.has_fix(config.kafka_version, KIP_360):
            return ("producer_state_expiries: before Kafka 2.5 (KIP-360) the broker answered "
                    "UNKNOWN_PRODUCER_ID to a producer without state, which is not modelled")
        if config.bounds["producer_restarts"] > 0 and "transactional.id" in config.explicit:
            return ("producer_restarts models a producer without transactional.id (a new "
                    "producer id per session); transactional restarts are not modelled here")
        b = config.bounds
        if b["partitions"] + b["added_partitions"] > 4:
            return "partitions + added_partitions: at most 4 partitions in all"
        if b["record_partition"] >= b["partitions"]:
            return (f"record_partition={b['record_partition']} does not exist: the topic has "
                    f"{b['partitions']} partition(s)")
        return ReplicationModel.validate_config(config)

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """The expiry of the producer's state at the brokers while a batch is still retried
        (expiration_and_delivery: the expiration is the shorter) is a fault the run must
        explore (producer_state_expiries) before its verdict stands."""
        if bounds.get("producer_state_expiries", 0) or not bounds.get("retry_budget", 0):
            return {}  # explored, or no batch is ever retried
        expiry_key, expiration, delivery = expiration_and_delivery(given, version)
        if expiration >= delivery:
            return {}
        return {key: given[key] for key in (expiry_key, "delivery.timeout.ms")
                if key in given}

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        if name in ("producer.id.expiration.ms", "transactional.id.expiration.ms",
                    "delivery.timeout.ms"):
            return ("the brokers may drop the producer's state while a batch is still "
                    "retried (the expiration is shorter than delivery.timeout.ms): a retry "
                    "then writes again; explored with --bound producer_state_expiries=1")
        return None

    @staticmethod
    def not_covered_before_kip_360(config: Config) -> tuple[Config, str | None]:
        """An idempotent producer before Kafka 2.5 follows rules the model does not have
        (KIP-360 came in 2.5): the 2.4 broker answers UNKNOWN_PRODUCER_ID to a producer id
        it holds no state for whose first sequence is not 0 (ProducerAppendInfo
        .checkSequence), and the 2.4 client resets its producer id on
        OUT_OF_ORDER_SEQUENCE_NUMBER instead of bumping its epoch (TransactionManager
        .handleFailedBatch, adjustSequencesDueToFailedBatch).  Such a run is not covered
        (``Config.uncovered``) and, as for any value a model does not cover, runs the
        release's default instead: (the configuration to run, a note naming why)."""
        name = "enable.idempotence"
        if versions.has_fix(config.kafka_version, KIP_360) or name in config.uncovered \
                or not effective_idempotence(config)[0]:
            return config, None
        default = kafka_settings.default_for(name, config.version)
        note = (f"an idempotent producer is not covered on Kafka {config.kafka_version}: "
                "the model has the idempotence rules of 2.5 and later (KIP-360), and before "
                "2.5 the broker answered UNKNOWN_PRODUCER_ID to a batch of a producer id it "
                "held no state for whose first sequence is not 0, and the client reset its "
                "producer id on OUT_OF_ORDER_SEQUENCE_NUMBER; ")
        if name in config.explicit:
            note += (f"this run follows the release's default ({name}="
                     f"{'true' if default else 'false'}) and is ")
        note += "no verdict for an idempotent producer"
        config = dataclasses.replace(config, kafka={**config.kafka, name: default},
                                     uncovered={**config.uncovered, name: True})
        return config, note

    def __init__(self, config: Config) -> None:
        config, self.coverage_note = self.not_covered_before_kip_360(config)
        super().__init__(config)
        b = self.bound
        self.idempotent, _error, self.idempotence_note, self.overrides = \
            effective_idempotence(config)
        k = {**self.kafka, **self.overrides}
        self.acks = k["acks"]
        self.retries = k["retries"]
        self.max_in_flight = k["max.in.flight.requests.per.connection"]
        # A retry shows as Retry (a response re-enqueues its batch), or as any Disconnect or
        # Timeout when acks!=0 and retries>=1: each in-flight batch is then re-enqueued, or
        # was already retried ``retries`` times, or is done while a resent request is out.
        self.fault_actions = {"producer retry": (
            "Retry|Disconnect|Timeout" if self.acks != 0 and self.retries >= 1 else "Retry",)}
        self.guarantee_order = self.max_in_flight == 1  # Sender mutes the partition
        self.n = k["replication.factor"]
        self.partitions = b["partitions"] + b["added_partitions"]  # every partition, in the end
        self.first_partitions = b["partitions"] if b["added_partitions"] else 0
        self.records = b["records"]
        self.keys = b["keys"]
        # Another client's records (foreign_records) are batch 0, FOREIGN: this producer's
        # batches are named from b0 all the same (``batch_name``).
        self.foreign = b["foreign_records"]
        self.first_batch = 1 if self.foreign else 0
        batch_size = max(1, k["batch.size"])  # KafkaProducer: Math.max(1, batch.size)
        if b["batch_records"] > 0:
            batch_size = batch_bytes(b["batch_records"])
        self.batch_size = batch_size
        self.partitionings = {count: Partitioning(count, batch_size, k["partitioner.class"],
                                                  k["partitioner.ignore.keys"],
                                                  b["record_partition"], config.kafka_version,
                                                  self.partitions)
                              for count in {b["partitions"], self.partitions}}
        self.partitioning = self.partitionings[self.partitions]
        self.broker_rules = self.idempotence_rules()
        _key, self.expiration_ms, self.delivery_timeout_ms = expiration_and_delivery(
            k, config.version)
        repl_kafka = {name: k.get(name, kafka_settings.default_for(name, config.version))
                      for name in ReplicationModel.settings}
        repl_bounds = {"partitions": self.partitions, "records": 0, "crashes": b["crashes"],
                       "crash_kind": b["crash_kind"], "leader_changes": b["leader_changes"],
                       "lost_acks": 0, "bounces": 0, "truncation": b["truncation"]}
        repl_config = Config(repl_kafka, repl_bounds,
                             config.explicit & {"flush.messages", "process.roles"},
                             kafka_version=config.kafka_version)
        mixins = self.rule_mixins

        class Replication(ReplicationModel):
            rule_mixins = mixins
            external_writes = True  # this producer writes the records

        self.repl = Replication(repl_config)
        self.fault_actions = {**self.repl.fault_actions, **self.fault_actions}
        self.rules = self.repl.rules
        self.min_isr = self.rules.min_isr
        self.embedded = Embedded(self.repl, "repl", "")

    # -- state --------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        repl = self.repl.init_states()[0]
        tm: Idempotence | tuple = ()
        if self.idempotent:
            tm = Idempotence(0, False, 0, (Sequences(0, NO_SEQ, 0, NO_SEQ),) * self.partitions)
        b = self.bound
        batches: tuple[Batch, ...] = ()
        descs: tuple[Descriptor, ...] = ()
        if self.foreign:
            # Each partition the topic starts with holds another client's records (another
            # producer id, not idempotent here) on its leader only: appended there, not yet
            # fetched by a follower, so below the high watermark of none.
            batches = (Batch(0, (), 0, -1, FOREIGN, NONE, False, False),)
            parts = list(repl.parts)
            for p in range(b["partitions"]):
                for _ in range(self.foreign):
                    parts[p] = self.rules.append(parts[p], len(descs))
                    descs += (Descriptor(0, -1, -1, 1, -1),)
            repl = repl._replace(parts=tuple(parts))
        return [ProducerState(repl, 0, self.partitioning.initial_state(),
                              ((),) * self.partitions, batches, descs, ((),) * self.n, tm,
                              Budget(b["lost_responses"], b["retry_budget"], b["expiries"],
                                     b["producer_restarts"], b["producer_state_expiries"]),
                              0, (0,) * self.partitions if b["producer_state_expiries"]
                              else (), self.first_partitions)]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        yield from self._send(state)
        if state.topic_partitions:
            # The topic grows (CreatePartitions) and the producer's metadata refresh sees it.
            yield (("AddPartitions", f"{state.topic_partitions} -> {self.partitions}"),
                   state._replace(topic_partitions=0))
        for p in range(self.partitions):
            nxt = self._drain(state, p)
            if nxt is not None:
                yield nxt
            if state.budget.expiries > 0 and state.accumulator[p]:
                nxt = self._expire(state, p)
                if nxt is not None:
                    yield nxt
        alive = state.repl.alive
        for b, conn in enumerate(state.connections):
            if not conn:
                continue
            if alive >> b & 1:
                yield from self._handle(state, b)
                yield from self._purgatory(state, b)
            if conn[0].stage == RESPONSE:
                nxt = self._receive(state, b)
                if nxt is not None:
                    yield nxt
            nxt = self._disconnect(state, b)
            if nxt is not None:
                yield nxt
        if state.budget.restarts > 0:
            yield self._restart_producer(state)
        if state.budget.state_expiries > 0:
            yield from self._expire_producer_state(state)
        for action, nxt in self.embedded.successors(state):
            if action[0] in ("Crash", "PowerLoss"):
                b = int(action[1][1:]) - 1
                conns = nxt.connections
                dead = tuple(r._replace(stage=DEAD, value=0, leader_epoch=0) for r in conns[b])
                nxt = nxt._replace(connections=put(conns, b, dead))
            yield action, nxt

    # -- KafkaProducer.send -> RecordAccumulator.append ----------------------------------

    def _send(self, state: ProducerState) -> Iterator[tuple[Action, State]]:
        """KafkaProducer.send: partition the next record and append it to a batch."""
        r = state.next_record
        if r >= self.records:
            return
        key = r % self.keys if self.keys else -1
        batches = state.batches
        deques = state.accumulator
        count = state.topic_partitions or self.partitions
        parts = state.repl.parts[:count]
        available = tuple(p for p, part in enumerate(parts) if part.leader != NO_LEADER)
        sketch = tuple(tuple((len(batches[i].records), batches[i].desc != -1) for i in dq)
                       for dq in deques[:count])
        key_text = key_name(key) if key >= 0 else "no key"
        places = self.partitionings[count].place(key, state.partitioner, sketch, available)
        chosen = [place.partition for place in places]
        for place in places:
            p = place.partition
            label: Action = ("Send", f"r{r}", key_text, f"p{p}")
            if chosen.count(p) > 1:  # the partitioner also drew its next partition
                label += (f"next p{place.partitioner[0]}" if len(place.partitioner) == 2 and
                          self.partitioning.plugin is None else f"partitioner {place.partitioner}",)
            if place.new_batch:
                number = len(batches)
                new_batches = batches + (Batch(p, (r,), 0, -1, QUEUED, NONE, False, False),)
                new_deques = put(deques, p, deques[p] + (number,))
            else:
                number = deques[p][-1]
                old = batches[number]
                new_batches = put(batches, number, old._replace(records=old.records + (r,)))
                new_deques = deques
            yield label, state._replace(next_record=r + 1, partitioner=place.partitioner,
                                        accumulator=new_deques, batches=new_batches)

    # -- Sender: drain, complete, retry --------------------------------------------------

    def _tm_inflight(self, batches: tuple, descs: tuple, p: int) -> list[int]:
        """TransactionManager.inflightBatchesBySequence of p: sequenced batches not done."""
        found = [i for i, bt in enumerate(batches) if bt.partition == p and bt.desc >= 0
                 and bt.status <= INFLIGHT]
        found.sort(key=lambda i: (descs[batches[i].desc].epoch, descs[batches[i].desc].base))
        return found

    def _drain(self, state: ProducerState, p: int) -> tuple[Action, State] | None:
        """RecordAccumulator.drain: p's first batch to its leader (full, or linger.ms expired)."""
        deque = state.accumulator[p]
        if not deque:
            return None
        leader = state.repl.parts[p].leader
        if leader == NO_LEADER:
            return None  # leader unknown: the partition is not ready
        conns = state.connections
        conn = conns[leader]
        if self.acks != 0 and len(conn) >= self.max_in_flight:
            return None  # NetworkClient.canSendMore
        batches = state.batches
        if self.guarantee_order and any(bt.partition == p and bt.status == INFLIGHT
                                        for bt in batches):
            return None  # muted partition (max.in.flight.requests.per.connection=1)
        number = deque[0]
        batch = batches[number]
        descs = state.descriptors
        tm = state.idempotence
        count = len(batch.records)
        if self.idempotent:
            tparts = tm.parts
            tp = tparts[p]
            inflight = self._tm_inflight(batches, descs, p)
            if batch.desc < 0:
                # shouldStopDrainBatchesForPartition
                if inflight and tp.epoch != tm.epoch:
                    return None
                if tp.unresolved != NO_SEQ:
                    return None
                if tp.epoch != tm.epoch:  # maybeUpdateProducerIdAndEpoch
                    tp = Sequences(0, NO_SEQ, tm.epoch, NO_SEQ)
            elif inflight and descs[batch.desc].base != descs[batches[inflight[0]].desc].base:
                return None  # a retried batch waits until it is first in sequence
            if batch.desc < 0:
                desc = len(descs)
                descs = descs + (Descriptor(number, tm.epoch, tp.next, count, state.session),)
                tp = tp._replace(next=tp.next + count)
            else:
                desc = batch.desc
            tm = tm._replace(parts=put(tparts, p, tp))
        elif batch.desc < 0:
            desc = len(descs)
            descs = descs + (Descriptor(number, -1, -1, count),)
        else:
            desc = batch.desc
        if desc > pt.RECORD_MASK:
            return None  # beyond the log-entry encoding (64 wire batches)
        dead = not state.repl.alive >> leader & 1 or any(r.stage == DEAD for r in conn)
        request = Request(desc, DEAD if dead else WIRE, 0, 0)
        status = ACKED if self.acks == 0 else INFLIGHT  # acks=0 completes on send
        # ProducerBatch.close(), which RecordAccumulator.drain calls on every drain, clears
        # ``reopened``: sequenceHasBeenReset() holds only until the rewritten batch is sent.
        batch = batch._replace(desc=desc, status=status, error=NONE, reset=False)
        nxt = state._replace(accumulator=put(state.accumulator, p, deque[1:]),
                             batches=put(batches, number, batch), descriptors=descs,
                             connections=put(conns, leader, conn + (request,)), idempotence=tm)
        records = " ".join(f"r{r}" for r in batch.records)
        return (("Drain", f"p{p}", f"{self.batch_name(number)} [{records}]",
                 f"to {broker_name(leader)}"), nxt)

    def _reenqueue(self, deque: tuple, batches: tuple, descs: tuple, number: int) -> tuple:
        """RecordAccumulator.reenqueue: addFirst, or insertInSequenceOrder when idempotent."""
        if not self.idempotent:
            return (number,) + deque
        base = descs[batches[number].desc].base
        i = 0
        while i < len(deque) and batches[deque[i]].desc >= 0 and \
                descs[batches[deque[i]].desc].base < base:
            i += 1
        return deque[:i] + (number,) + deque[i:]

    @staticmethod
    def _request_bump(tm: Idempotence, p: int) -> Idempotence:
        """TransactionManager.requestEpochBumpForPartition."""
        return Idempotence(tm.epoch, True, tm.rewrite | 1 << p, tm.parts)

    def _can_retry_idempotent(self, tm: Idempotence, batch: Batch, descs: tuple,
                              err: int) -> tuple[bool, Idempotence]:
        """TransactionManager.canRetry (idempotent, non-transactional)."""
        if err != OUT_OF_ORDER:
            return err in RETRIABLE, tm
        p = batch.partition
        tp = tm.parts[p]
        base = descs[batch.desc].base
        is_next = base - tp.acked == 1
        if tp.unresolved == NO_SEQ and (batch.reset or not is_next):
            return True, tm
        if tp.unresolved == NO_SEQ or base == tp.unresolved:
            tm = self._request_bump(tm, p)
        return True, tm

    # Client rules a mutant may override (tests/mutants/producer.py).

    def is_success(self, err: int) -> bool:
        """Sender.completeBatch treats only NONE as success."""
        return err == NONE

    def may_retry(self, batch: Batch, retriable: bool) -> bool:
        """Sender.canRetry: attempts left and a retriable error."""
        return batch.attempts < self.retries and retriable

    def may_time_out(self, conn: tuple[Request, ...]) -> bool:
        """NetworkClient: any in-flight request can time out (request.timeout.ms), whether or
        not the broker has read it."""
        return True

    def _complete(self, parts: list, number: int, err: int) -> str | None:
        """Sender.completeBatch: the outcome (None: a retry past the budget, not explored)."""
        # ``parts`` is [batches, accumulator, idempotence, budget, descriptors], updated.
        batches, deques, tm, budget, descs = parts
        batch = batches[number]
        if batch.status != INFLIGHT:
            return "ignored"  # !batch.isDone() failed: already completed
        if self.is_success(err):
            if self.idempotent:
                p = batch.partition
                d = descs[batch.desc]
                tp = tm.parts[p]
                last = d.base + d.count - 1
                if last > tp.acked:
                    tm = tm._replace(parts=put(tm.parts, p, tp._replace(acked=last)))
            parts[0] = put(batches, number, batch._replace(status=ACKED))
            parts[2] = tm
            return "acked"
        in_doubt = batch.in_doubt or err in INDEFINITE
        if self.idempotent:
            retriable, tm = self._can_retry_idempotent(tm, batch, descs, err)
        else:
            retriable = err in RETRIABLE
        if self.may_retry(batch, retriable):
            if budget.retries == 0:
                return None
            parts[3] = budget._replace(retries=budget.retries - 1)
            batch = batch._replace(attempts=batch.attempts + 1, status=QUEUED, error=err,
                                   in_doubt=in_doubt)
            parts[0] = batches = put(batches, number, batch)
            p = batch.partition
            parts[1] = put(deques, p, self._reenqueue(deques[p], batches, descs, number))
            parts[2] = tm
            return "retry"
        # failBatch: sequences are adjusted only if the batch did not exhaust its retries.
        adjust = batch.attempts < self.retries
        if self.idempotent and (err == OUT_OF_ORDER or adjust):
            tm = self._request_bump(tm, batch.partition)  # TransactionManager.handleFailedBatch
        parts[0] = put(batches, number, batch._replace(status=FAILED, error=err,
                                                        in_doubt=in_doubt))
        parts[2] = tm
        return "failed"

    def _settle(self, parts: list) -> None:
        """Sender.runOnce prologue: maybeResolveSequences, bumpIdempotentEpochAndResetIdIfNeeded."""
        if not self.idempotent:
            return
        batches, _deques, tm, _budget, descs = parts
        for p, tp in enumerate(tm.parts):
            if tp.unresolved == NO_SEQ or self._tm_inflight(batches, descs, p):
                continue
            if tp.next - tp.acked != 1:
                tm = self._request_bump(tm, p)
            tm = tm._replace(parts=put(tm.parts, p, tm.parts[p]._replace(unresolved=NO_SEQ)))
        if tm.bump:
            epoch = tm.epoch + 1
            tparts = list(tm.parts)
            for p in range(self.partitions):
                if not tm.rewrite >> p & 1:
                    continue
                seq = 0  # TxnPartitionEntry.startSequencesAtBeginning
                for i in self._tm_inflight(batches, descs, p):
                    bt = batches[i]
                    count = len(bt.records)
                    descs = descs + (Descriptor(i, epoch, seq, count, descs[bt.desc].pid),)
                    batches = put(batches, i, bt._replace(desc=len(descs) - 1, reset=True))
                    seq += count
                tparts[p] = Sequences(seq, NO_SEQ, epoch, NO_SEQ)
            tm = Idempotence(epoch, False, 0, tuple(tparts))
        parts[0], parts[2], parts[4] = batches, tm, descs

    @staticmethod
    def _rebuild(state: ProducerState, parts: list, conns: tuple) -> ProducerState:
        batches, deques, tm, budget, descs = parts
        return state._replace(accumulator=deques, batches=batches, descriptors=descs,
                              connections=conns, idempotence=tm, budget=budget)

    @staticmethod
    def _parts(state: ProducerState, budget: Budget | None = None) -> list:
        return [state.batches, state.accumulator, state.idempotence,
                state.budget if budget is None else budget, state.descriptors]

    def _receive(self, state: ProducerState, b: int) -> tuple[Action, State] | None:
        """Sender.handleProduceResponse for the oldest response on connection b."""
        conn = state.connections[b]
        request = conn[0]
        number = state.descriptors[request.desc].batch
        parts = self._parts(state)
        outcome = self._complete(parts, number, request.value)
        if outcome is None:
            return None
        self._settle(parts)
        nxt = self._rebuild(state, parts, put(state.connections, b, conn[1:]))
        if outcome == "retry":  # Sender.reenqueueBatch: its own family, the retry fault's
            return (("Retry", broker_name(b), self.batch_name(number),
                     ERROR_NAMES[request.value]), nxt)
        return ("Receive", broker_name(b), self.batch_name(number), ERROR_NAMES[request.value],
                outcome), nxt

    def _disconnect(self, state: ProducerState, b: int) -> tuple[Action, State] | None:
        """NetworkClient disconnect: in-flight requests fail (NETWORK_EXCEPTION), oldest first."""
        # request.timeout.ms on a live broker (budgeted) or a dead broker (free); the broker
        # never reads the requests still on the wire.
        conn = state.connections[b]
        budget = state.budget
        free = not state.repl.alive >> b & 1 or any(r.stage == DEAD for r in conn)
        if not self.may_time_out(conn):
            return None
        if not free:
            if budget.lost == 0:
                return None
            budget = budget._replace(lost=budget.lost - 1)
        parts = self._parts(state, budget)
        if self.acks != 0:
            for request in conn:
                number = state.descriptors[request.desc].batch
                if self._complete(parts, number, NETWORK) is None:
                    return None
        self._settle(parts)
        nxt = self._rebuild(state, parts, put(state.connections, b, ()))
        label = "Disconnect" if free else "Timeout"
        return (label, broker_name(b), f"{len(conn)} request(s)"), nxt

    def _expire(self, state: ProducerState, p: int) -> tuple[Action, State] | None:
        """RecordAccumulator.expiredBatches: p's oldest queued batch fails (delivery.timeout.ms)."""
        number = state.accumulator[p][0]
        batches = state.batches
        batch = batches[number]
        tm = state.idempotence
        if self.idempotent and batch.attempts > 0:  # markSequenceUnresolved
            d = state.descriptors[batch.desc]
            tp = tm.parts[p]
            nxt_seq = max(tp.unresolved, d.base + d.count)
            tm = tm._replace(parts=put(tm.parts, p, tp._replace(unresolved=nxt_seq)))
        batch = batch._replace(status=FAILED, error=DELIVERY_TIMEOUT, in_doubt=True)
        budget = state.budget
        parts = [put(batches, number, batch), put(state.accumulator, p, state.accumulator[p][1:]),
                 tm, budget._replace(expiries=budget.expiries - 1), state.descriptors]
        self._settle(parts)
        return (("Expire", self.batch_name(number), f"p{p}"),
                self._rebuild(state, parts, state.connections))

    # -- producer sessions and producer-state expiry ------------------------------------

    def _restart_producer(self, state: ProducerState) -> tuple[Action, State]:
        """The application restarts its producer without transactional.id: InitProducerId
        gives a new producer id (epoch 0, sequences from 0), every unacknowledged batch is
        lost with the old process (its outcome unknown to the application, which sends its
        records again), and the old connections close with their requests."""
        batches = state.batches
        deques: list[tuple[int, ...]] = [() for _ in range(self.partitions)]
        resent = []
        for i, bt in enumerate(batches):
            if bt.status in (QUEUED, INFLIGHT):
                batches = put(batches, i, bt._replace(status=FAILED, error=NETWORK,
                                                      in_doubt=bt.status == INFLIGHT or
                                                      bt.attempts > 0))
                number = len(batches)
                batches = batches + (Batch(bt.partition, bt.records, 0, -1, QUEUED, NONE,
                                           False, False),)
                deques[bt.partition] += (number,)
                resent.extend(bt.records)
        tm: Idempotence | tuple = ()
        if self.idempotent:
            tm = Idempotence(0, False, 0, (Sequences(0, NO_SEQ, 0, NO_SEQ),) * self.partitions)
        budget = state.budget
        nxt = state._replace(accumulator=tuple(deques), batches=batches,
                             connections=((),) * self.n, idempotence=tm,
                             budget=budget._replace(restarts=budget.restarts - 1),
                             session=state.session + 1)
        again = " ".join(f"r{r}" for r in resent) or "nothing"
        return ("RestartProducer", f"new producer id {state.session + 1}", f"resend {again}"), nxt

    def _expire_producer_state(self, state: ProducerState) -> Iterator[tuple[Action, State]]:
        """The brokers drop the producer's state of a partition (ProducerStateManager
        .removeExpiredProducers) once it wrote nothing for producer.id.expiration.ms
        (transactional.id.expiration.ms before 3.4, KIP-854).  Within delivery.timeout.ms
        of its last append a batch may still be retried, so while one is unresolved the
        state can expire only if the expiration is the shorter of the two."""
        if self.expiration_ms >= self.delivery_timeout_ms and any(
                bt.status == INFLIGHT or (bt.status == QUEUED and bt.attempts > 0)
                for bt in state.batches):
            return
        budget = state.budget
        for p, part in enumerate(state.repl.parts):
            leader = part.leader
            if leader == NO_LEADER:
                continue
            end = len(part.logs[leader])
            if end == state.state_from[p] or not self._has_producer_batches(
                    state, part.logs[leader][state.state_from[p]:]):
                continue
            yield (("ExpireProducerState", f"p{p}", f"below offset {end}"),
                   state._replace(state_from=put(state.state_from, p, end),
                                  budget=budget._replace(
                                      state_expiries=budget.state_expiries - 1)))

    @staticmethod
    def _has_producer_batches(state: ProducerState, log: tuple[int, ...]) -> bool:
        """Whether the log holds a batch with a producer id (an idempotent producer's)."""
        descs = state.descriptors
        return any(descs[e & pt.RECORD_MASK].epoch >= 0 for e in log)

    # -- broker: produce request handling ------------------------------------------------

    def _handle(self, state: ProducerState, b: int) -> Iterator[tuple[Action, State]]:
        """KafkaApis.handleProduceRequest: broker b reads its connection's next request."""
        # One request at a time per connection: the channel stays muted until the response
        # is sent (SocketServer), so an acks=all request in the purgatory blocks the next.
        conn = state.connections[b]
        i = 0
        while i < len(conn) and conn[i].stage == RESPONSE:
            i += 1
        if i == len(conn) or conn[i].stage != WIRE:
            return
        desc = conn[i].desc
        descs = state.descriptors
        number = descs[desc].batch
        p = state.batches[number].partition
        repl = state.repl
        part = repl.parts[p]
        name = broker_name(b)
        if state.state_from and state.state_from[p]:
            err, new_part, offset = self.broker_append(part, b, descs, desc,
                                                       state.state_from[p])
        else:
            err, new_part, offset = self.broker_append(part, b, descs, desc)
        if err != NONE:
            label: Action = ("Reject", name, self.batch_name(number), ERROR_NAMES[err])
            request: Request | None = Request(desc, RESPONSE, err, 0)
        else:
            what = "Append" if new_part is not part else "Duplicate"
            label = (what, name, self.batch_name(number), f"offset {offset}")
            if self.acks == -1:
                request = Request(desc, PURGATORY, offset, part.epoch)
            else:
                request = Request(desc, RESPONSE, NONE, 0)
        if self.acks == 0:
            request = None  # no response is sent
        conn = conn[:i] + ((request,) if request else ()) + conn[i + 1:]
        if new_part is not part:
            repl = repl._replace(parts=put(repl.parts, p, new_part))
        yield label, state._replace(repl=repl, connections=put(state.connections, b, conn))

    def broker_append(self, part: Any, b: int, descs: tuple, desc: int,
                      state_from: int = 0) -> tuple[int, Any, int]:
        """Partition.appendRecordsToLeader for broker b: (error, partition, offset).

        NOT_LEADER_OR_FOLLOWER and NOT_ENOUGH_REPLICAS are decided before anything is
        written; the producer-state checks (ProducerAppendInfo) then refuse, recognise a
        duplicate (its original offset) or let the partition component append.  The
        producer state is rebuilt from offset ``state_from`` (what expiry left).
        """
        if part.leader != b:
            return NOT_LEADER, part, -1
        err = self.rules.append_error(part.isr)
        if err != NONE:
            return err, part, -1
        outcome, offset = self.broker_rules.check_append(part.logs[b][state_from:], descs, desc)
        offset += state_from if offset >= 0 else 0
        if outcome == pb.OUT_OF_ORDER:
            return OUT_OF_ORDER, part, -1
        if outcome == pb.INVALID_EPOCH:
            return INVALID_EPOCH, part, -1
        if outcome == pb.DUPLICATE:
            return NONE, part, offset
        new_part = self.rules.append(part, desc)
        return NONE, new_part, len(new_part.logs[b]) - 1

    def _purgatory(self, state: ProducerState, b: int) -> Iterator[tuple[Action, State]]:
        """DelayedProduce on broker b: Partition.checkEnoughReplicasReachOffset, or expiry."""
        conn = state.connections[b]
        i = next((j for j, r in enumerate(conn) if r.stage == PURGATORY), -1)
        if i < 0:
            return
        request = conn[i]
        number = state.descriptors[request.desc].batch
        part = state.repl.parts[state.batches[number].partition]
        name = broker_name(b)
        budget = state.budget
        if part.leader != b or part.epoch != request.leader_epoch:
            err = NOT_LEADER  # makeFollower completes it: the batch was appended
        else:
            err = self.rules.ack_outcome(part, request.value)
            if err == WAITING:
                if self.rules.hw_waits(part):
                    err = REQUEST_TIMED_OUT  # nothing will move the HW: it expires
                elif budget.lost > 0:
                    # The lost_responses fault: its own name, so coverage shows it fired.
                    conn = put(conn, i, Request(request.desc, RESPONSE, REQUEST_TIMED_OUT, 0))
                    yield (("RequestTimedOut", name, self.batch_name(number)),
                           state._replace(connections=put(state.connections, b, conn),
                                          budget=budget._replace(lost=budget.lost - 1)))
                    return
                else:
                    return
        conn = put(conn, i, Request(request.desc, RESPONSE, err, 0))
        yield (("Respond", name, self.batch_name(number), ERROR_NAMES[err]),
               state._replace(connections=put(state.connections, b, conn), budget=budget))

    # -- properties and presentation ----------------------------------------------------

    def effective_settings(self) -> dict[str, Any]:
        """enable.idempotence as ProducerConfig leaves it (off when acks/retries forbid it),
        delivery.timeout.ms as KafkaProducer raises it."""
        return {**super().effective_settings(), **self.overrides,
                "enable.idempotence": self.idempotent,
                "delivery.timeout.ms": self.delivery_timeout_ms}

    def properties(self) -> list[Property]:
        from kafkacheck.properties import producer as props

        return props.producer_properties(self)

    def fault_model(self) -> FaultModel:
        """The producer's faults, with the broker crash kinds named as in replication."""
        own = super().fault_model()
        explored = [f for f in own.explored if f[0] != "broker crash"]
        missing = [f for f in own.not_explored if f != "broker crash"]
        repl = self.repl.fault_model()
        crash_kinds = {PROCESS_CRASH, POWER_LOSS}
        explored += [f for f in repl.explored if f[0] in crash_kinds]
        missing += [f for f in repl.not_explored if f in crash_kinds or f == REREGISTRATION_RACE]
        # The replication faults the producer's bounds cannot reach stay named.
        missing += [CONTROLLED_SHUTDOWN, DISK_LOSS]
        return FaultModel(tuple(explored),
                          tuple(missing) + self.repl.faults_not_modelled)

    def notes(self) -> list[str]:
        """What a reader should know about this configuration before reading verdicts."""
        out = []
        if self.coverage_note:
            out.append(self.coverage_note)
        if self.idempotence_note:
            out.append(self.idempotence_note)
        out += [note for note in self.repl.notes() if "replication.factor=1" not in note]
        return out

    def action_families(self) -> tuple[str, ...]:
        return ("Send", "Drain", "Append", "Duplicate", "Reject", "Respond", "Receive",
                "Retry", "Timeout", "Disconnect", "Expire", "RestartProducer",
                "ExpireProducerState", "AddPartitions", "RequestTimedOut",
                *(name for name in self.repl.action_families() if name not in CLIENT_PATH))

    def batch_records_of(self, state: State, entry: int) -> tuple[int, ...]:
        """The records of one log entry (a batch as written)."""
        return state.batches[state.descriptors[entry & pt.RECORD_MASK].batch].records

    def batch_name(self, number: int) -> str:
        """This producer's batch ``number`` as traces name it: b0, b1, ... (another client's
        records, when there are any, are batch 0 of the state)."""
        return f"b{number - self.first_batch}"

    def entry_text(self, state: State, entry: int) -> str:
        """A log entry as b0[r0 r1]{pid epoch/seq}@leader epoch."""
        d = state.descriptors[entry & pt.RECORD_MASK]
        if state.batches[d.batch].status == FOREIGN:
            return f"[another client's record]@{pt.entry_epoch(entry)}"
        records = " ".join(f"r{r}" for r in self.batch_records_of(state, entry))
        seq = f" e{d.epoch}s{d.base}" if d.epoch >= 0 else ""
        return f"[{records}{seq}]@{pt.entry_epoch(entry)}"

    def view(self, state: State) -> dict[str, Any]:
        repl = state.repl
        out: dict[str, Any] = {
            "alive": "{" + ", ".join(broker_name(b) for b in range(self.n)
                                     if repl.alive >> b & 1) + "}",
        }
        batches = state.batches
        for p, part in enumerate(repl.parts):
            pre = f"p{p}." if self.partitions > 1 else ""
            leader = part.leader
            out[f"{pre}leader"] = "none" if leader == NO_LEADER else broker_name(leader)
            out[f"{pre}leader_epoch"] = str(part.epoch)
            out[f"{pre}isr"] = "{" + ", ".join(broker_name(b) for b in range(self.n)
                                               if part.isr >> b & 1) + "}"
            for b in range(self.n):
                out[f"{pre}{broker_name(b)}.log"] = " ".join(
                    self.entry_text(state, e) for e in part.logs[b]) or "empty"
                out[f"{pre}{broker_name(b)}.hw"] = str(part.hws[b])
            out[f"{pre}accumulator"] = " ".join(
                self.batch_name(i) + "[" + " ".join(f"r{r}" for r in batches[i].records) + "]"
                for i in state.accumulator[p]) or "empty"
        for i, bt in enumerate(batches):
            if bt.status == FOREIGN:
                continue
            extra = f" after {bt.attempts} retries" if bt.attempts else ""
            err = f" {ERROR_NAMES[bt.error]}" if bt.status == FAILED else ""
            d = state.descriptors[bt.desc] if bt.desc >= 0 else Descriptor(0, -1, -1, 0)
            seq = f" e{d.epoch}s{d.base}" if d.epoch >= 0 else ""
            records = " ".join(f"r{r}" for r in bt.records)
            out[self.batch_name(i)] = (f"p{bt.partition} [{records}{seq}] "
                                       f"{STATUS_NAMES[bt.status]}{err}{extra}")
        stages = ("wire", "purgatory", "answered", "dead")
        for b, conn in enumerate(state.connections):
            out[f"conn {broker_name(b)}"] = " ".join(
                f"{self.batch_name(state.descriptors[r.desc].batch)}:{stages[r.stage]}"
                + (f" {ERROR_NAMES[r.value]}" if r.stage == RESPONSE else "")
                for r in conn) or "idle"
        if self.bound["producer_restarts"]:
            out["producer_id"] = str(state.session)
        if state.state_from:
            for p, start in enumerate(state.state_from):
                out[f"p{p}.producer_state_from"] = f"offset {start}"
        if self.idempotent:
            tm = state.idempotence
            out["producer_epoch"] = str(tm.epoch)
            for p, tp in enumerate(tm.parts):
                out[f"p{p}.sequence"] = (f"next {tp.next}, acked up to {tp.acked}"
                                         + (f", unresolved {tp.unresolved}"
                                            if tp.unresolved != NO_SEQ else ""))
        return out

    def format_value(self, name: str, value: Any) -> str:
        return value if isinstance(value, str) else repr(value)

    def participants(self) -> tuple[str, ...]:
        return ("App", "Producer", "Controller", *(broker_name(b) for b in range(self.n)))

    def message(self, action: Action, before: State, after: State) -> Message:
        name = action[0]
        if name == "Send":
            return Message("App", "Producer", f"send {action[1]} ({action[2]}) -> {action[3]}")
        if name == "Drain":
            return Message("Producer", action[3][3:], f"produce {action[2]} ({action[1]})")
        if name in ("Append", "Duplicate", "Reject"):
            return Message(action[1], action[1], " ".join(str(a) for a in action[2:]) + (
                "" if name != "Duplicate" else " duplicate"))
        if name == "Respond":
            return Message(action[1], "Producer", f"{action[2]} {action[3]}")
        if name == "RequestTimedOut":
            return Message(action[1], "Producer", f"{action[2]} REQUEST_TIMED_OUT")
        if name == "Receive":
            return Message(action[1], "Producer", f"{action[2]} {action[3]}: {action[4]}")
        if name == "Retry":
            return Message(action[1], "Producer", f"{action[2]} {action[3]}: retry")
        if name in ("Timeout", "Disconnect"):
            return Message("Producer", action[1], f"{name.lower()}: {action[2]} failed")
        if name == "Expire":
            return Message("Producer", "App", f"{action[1]} TimeoutException")
        if name == "RestartProducer":
            return Message("App", "Producer", " ".join(str(a) for a in action))
        if name == "AddPartitions":
            return Message("Controller", "Producer", f"metadata: partitions {action[1]}")
        if name == "ExpireProducerState":
            p = int(action[1][1:])
            leader = after.repl.parts[p].leader
            who = broker_name(leader) if leader != NO_LEADER else "Controller"
            return Message(who, who, f"producer state of {action[1]} expired")
        return self.repl.message(action, before.repl, after.repl)
