"""Kafka transactions end to end: producers, the transaction coordinator, markers, LSO.

The question it answers: with these settings, can a ``read_committed`` consumer see a
record of an aborted or unfinished transaction, can a committed transaction be lost or
seen only in part, can a fenced (zombie) producer still write, and does every
transaction end?  Every partition, the data partitions and ``__transaction_state``
alike, is the partition component (``model/cluster/partition.py``) with the
transactional storage rules mixed in (``partition_txn.TransactionalPartition``); the
brokers, replication, crashes and elections are the replication model embedded whole,
its own produce switched off.  This module adds the producer instances
(``txn_producer``), the coordinator (``txn_coordinator``) and what crosses between them:
produce requests a leader checks against the producer state (and, with KIP-890, against
the coordinator), the coordinator's writes to its log, and the markers it writes.

Consumers are observers: a consumer that fetches a partition from its leader at any
moment gets ``fetch(isolation.level)``; the properties evaluate that read in every state.
Two applications run on it.  The default one (``inputs=0``) is instances of one
transactional.id, each running ``transactions`` transactions that write one record to
every data partition; a later instance fences the earlier (a zombie that keeps going).
With ``inputs=N`` each instance is a consume-transform-produce loop in one consumer group
(``txn_loop``): its own transactional.id (KIP-447), or none at all (at-least-once).

Faults: broker crashes (and the coordinator failover they cause), coordinator moves,
requests delayed in the network past the client's timeout (a late produce, EndTxn or
the loop's offset commit), batches expired by delivery.timeout.ms, transactions aborted by
the coordinator's transaction.timeout.ms (an orphaned one always), applications that
abort, and group rebalances.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from kafkacheck.config import Config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.clients import txn_loop as tl
from kafkacheck.model.clients import txn_producer as tp
from kafkacheck.model.clients.producer import effective_idempotence
from kafkacheck.model.clients.txn_loop import Group, Member
from kafkacheck.model.clients.txn_producer import Producer
from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.model.cluster.partition import NO_LEADER, NONE, WAITING, PartitionState
from kafkacheck.model.cluster.partition_txn import TransactionalPartition
from kafkacheck.model.cluster.replication import (
    SLOW_FOLLOWERS,
    ReplicationModel,
    ReplicationState,
)
from kafkacheck.model.cluster.txn_coordinator import Coordinator, Pending, TxnMeta
from kafkacheck.model.compose import Embedded
from kafkacheck.model.interface import Action, Bound, FaultModel, Message, Model, State
from kafkacheck.model.versions import has_fix
from kafkacheck.properties.base import Property

_new = tuple.__new__

# Owners of an append awaiting acks=all: a producer instance (>= 0) or the coordinator
# writing a marker for transactional id t (MARKER_OWNER - t).
MARKER_OWNER = -1

# The timeouts fault; with no budget the coordinator still aborts an orphaned transaction
# (no instance left to end it), so only the others' timeout goes unexplored.
TRANSACTION_TIMEOUT = "transaction timeout"
# Before KAFKA-17507 (3.9.1, 4.0) the classic group coordinator completed a transaction's
# offsets in a task of its own after the markers were answered (GroupMetadataManager.
# scheduleHandleTxnCompletion), and could take the next transaction's pending
# TxnOffsetCommit as committed; the model reads committed offsets from the log.
LATE_OFFSET_COMPLETION = ("the group coordinator completing a transaction's offsets after "
                          "its markers were answered, taking the next transaction's pending "
                          "TxnOffsetCommit as committed (KAFKA-17507, before 3.9.1 and 4.0)")
TIMEOUT_OF_LIVE_TRANSACTION = ("transaction timeout of a transaction its producer can still "
                               "end (an orphaned one, whose producers are all fenced or "
                               "done, is aborted)")

# Requests delayed in the network (stale): a produce (or the loop's offset commit, its
# offsets slot: late_offset_commits) or an EndTxn.
LATE_PRODUCE, LATE_END = 0, 1


class Wait(NamedTuple):
    """An append waiting for acks=all (DelayedProduce): partition, payload, offset, the
    leader epoch it was written in, and who waits (instance, or a marker's coordinator)."""

    part: int
    payload: int
    offset: int
    epoch: int
    owner: int


class Late(NamedTuple):
    """A request the network delayed past the client's request timeout: still delivered
    later, its answer lost.  ``kind`` LATE_PRODUCE carries a batch, or for the offsets
    slot the loop's offset commit, whose ``seq`` holds the group generation it was sent in
    (an offset commit has no sequence number); LATE_END an EndTxn."""

    kind: int
    instance: int
    part: int
    epoch: int
    seq: int
    rec: int
    commit: bool


class Budget(NamedTuple):
    """Faults and choices left: delayed requests, delivery timeouts, coordinator
    transaction timeouts, transactions the application aborts, group rebalances,
    application restarts."""

    late_produces: int
    late_end_txns: int
    expiries: int
    timeouts: int
    aborts: int
    rebalances: int
    restarts: int = 0  # application instance crashes (the Streams model's)


# Budget's fields and the loop's delayed offset commits (late_offset_commits), used only
# when that bound is set: every other run keeps Budget's shape, hence its state graph and
# the lassos its liveness checks find.
LateCommitBudget = NamedTuple(  # type: ignore[misc]
    "LateCommitBudget", [*((name, int) for name in Budget._fields), ("late_commits", int)])


class TxnState(NamedTuple):
    """The cluster (brokers and every partition), the coordinator's memory, the producer
    instances, appends awaiting acks, delayed requests, budgets, a ghost (what each
    application transaction became as its application saw it: txn_producer.OPEN ...; the
    application mode only), and the consumer group (the loop mode only)."""

    cluster: ReplicationState
    coord: Coordinator
    producers: tuple[Producer, ...]
    waits: tuple[Wait, ...]
    late: tuple[Late, ...]
    budget: Budget
    outcomes: tuple[int, ...]
    group: Group
    members: tuple[Member, ...]


class TransactionalCluster(ReplicationModel):
    """The replication model whose partition rules carry the transactional storage rules."""

    rule_mixins: ClassVar[tuple[type, ...]] = (TransactionalPartition,)
    external_writes = True  # the transactional producers and the coordinator write here


def partition_verification(kafka: Any, version: tuple[int, ...]) -> bool:
    """Whether the broker verifies a transactional produce (KIP-890 part 1): the key's
    value, in a release that has the key (settings.SINCE)."""
    key = "transaction.partition.verification.enable"
    return bool(kafka[key]) and kafka_settings.absent_in(key, True, version) is None


class TransactionsModel(Model):
    """Transactional producers, the transaction coordinator and read_committed consumers."""

    name = "transactions"
    summary = ("Transactions: transactional producers, zombie fencing, the coordinator and "
               "its log, markers, LSO, read_committed (KIP-98, KIP-890)")
    source = ("TransactionManager, TransactionCoordinator, TransactionMetadata, "
              "TransactionStateManager, ProducerStateManager, UnifiedLog; KIP-98, KIP-360, "
              "KIP-447, KIP-890")
    settings = (
        "transactional.id",
        "isolation.level",
        "transaction.version",
        "transaction.timeout.ms",
        "transaction.max.timeout.ms",
        "transaction.partition.verification.enable",
        "enable.idempotence",
        "acks",
        "replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "flush.messages",
        "log.flush.interval.messages",
        "eligible.leader.replicas.version",
        "enable.auto.commit",
        "auto.offset.reset",
        "producer.id.expiration.ms",
        "process.roles",  # ZooKeeper or KRaft before 4.0 (the replication model's rules)
    )
    # The log's min ISR is min.insync.replicas here: its own setting is covered only where the
    # two agree (txn_log_min_isr_uncovered). The loop's members commit their offsets
    # themselves and never auto-commit (KafkaProducer.sendOffsetsToTransaction: "the consumer
    # should have enable.auto.commit=false"): auto-commit alongside is not covered. Producer
    # ids never expire here (faults_not_modelled): any producer.id.expiration.ms given is not
    # covered. The loop's inputs are in the topic before it starts, and a member without a
    # committed offset reads them from the start: auto.offset.reset=earliest (latest would
    # skip them, none would stop the consumer).
    covered_values: ClassVar[dict[str, tuple]] = {"enable.auto.commit": (False,),
                                                  "auto.offset.reset": ("earliest",),
                                                  "producer.id.expiration.ms": ()}
    key_settings = ("transactional.id", "isolation.level", "transaction.version",
                    "transaction.partition.verification.enable", "replication.factor",
                    "min.insync.replicas")
    # The loop commits its offsets through the group coordinator (sendOffsetsToTransaction).
    group_coordinator_offsets: ClassVar[bool] = True
    faults_not_modelled = (
        "network partition of a broker (a deposed coordinator keeps running)",
        "delayed WriteTxnMarkers requests (stale markers, KIP-1228)",
        "producer id expiry (producer.id.expiration.ms)",
        "retention deletes records",  # of the inputs and outputs (retention.ms)
    )
    bounds = (
        Bound("instances", 2, "producer instances sharing the transactional.id, started in "
              "any order; each later one fences the earlier (a zombie that keeps running)",
              minimum=1, maximum=2),
        Bound("transactions", 1, "transactions each instance runs", minimum=1, maximum=2),
        Bound("partitions", 2, "data partitions; each transaction writes one record to each",
              minimum=1, maximum=2),
        Bound("crashes", 0, "broker crashes (a crash of the coordinator's broker is a "
              "coordinator failover)", minimum=0, fault="broker crash"),
        Bound("crash_kind", "process", "process (the page cache survives), power-loss or any",
              choices=("process", "power-loss", "any")),
        Bound("coordinator_moves", 0, "moves of the __transaction_state leader without a "
              "crash: the coordinator fails over", minimum=0,
              fault="coordinator failover without a crash (__transaction_state leader move)",
              injected_by=("MoveLeader",)),
        Bound("late_produces", 0, "produce requests delayed in the network past the client's "
              "request.timeout.ms and delivered later", minimum=0,
              fault="delayed produce request", injected_by=("DelayProduce", "LateProduce")),
        Bound("late_offset_commits", 0, "the loop's offset commits (TxnOffsetCommit, or "
              "OffsetCommit without a transactional.id) delayed in the network past the "
              "client's request.timeout.ms and delivered later: the client retries them",
              minimum=0, fault="delayed offset commit request",
              injected_by=("DelaySendOffsets", "LateSendOffsets")),
        Bound("late_end_txns", 0, "EndTxn requests delayed in the network past the client's "
              "request.timeout.ms and delivered later", minimum=0,
              fault="delayed EndTxn request", injected_by=("DelayEndTxn", "LateEndTxn")),
        Bound("expiries", 0, "batches failed by delivery.timeout.ms, waiting in the producer "
              "or while their request is lost or delayed", minimum=0,
              fault="batch expiry (delivery.timeout.ms)"),
        Bound("timeouts", 0, "transactions the coordinator aborts on transaction.timeout.ms "
              "while an instance could still end them (an orphaned transaction, with no "
              "instance left to end it, is always aborted)",
              minimum=0, fault=TRANSACTION_TIMEOUT, injected_by=("AbortTimedOut",)),
        Bound("aborts", 0, "transactions the application itself aborts", minimum=0),
        Bound("inputs", 0, "0: the application mode; N: a consume-transform-produce loop over "
              "N input records in one consumer group (each instance a member, committing its "
              "offsets itself: set enable.auto.commit=false)",
              minimum=0, maximum=3),
        Bound("rebalances", 0, "group rebalances moving the input partition (a member "
              "deemed dead keeps running as a zombie)", minimum=0, fault="group rebalance",
              injected_by=("Rebalance",)),
        Bound("slow_followers", "any", "any: a running follower behind its leader may leave "
              "the ISR (replica.lag.time.max.ms); none: only stopped followers leave (the "
              "replication model's bound, for every partition here)",
              choices=SLOW_FOLLOWERS),
    )
    # Test mutants add one-rule overrides of the partition rules or the protocol here.
    rule_mixins: ClassVar[tuple[type, ...]] = ()
    protocol_mixins: ClassVar[tuple[type, ...]] = ()

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """A loop without a transactional.id may run acks=1 or 0 (no ConfigException
        without idempotence; acks=1 is the producer's default before 3.0): Kafka takes
        it, the loop's producers are modelled with acks=all only."""
        expires = txn_id_expiry_uncovered(given, version)
        if bounds.get("inputs", 0) and "enable.auto.commit" not in given:
            # Kafka's default, true: the loop's consumer auto-commits too (no refusal).
            expires = {**expires, "enable.auto.commit": True}
        if given.get("transactional.id"):
            return {**txn_log_min_isr_uncovered(given, version), **expires}
        if not bounds.get("inputs", 0):
            return expires
        acks = given.get("acks", kafka_settings.default_for("acks", version))
        return {**expires, **({} if acks == -1 else {"acks": acks})}

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        if name == "acks":
            return "the loop's producers are modelled with acks=all only"
        if name == "enable.auto.commit" and value is True:
            return ("Kafka's default, which the loop's consumer runs unless set to false: "
                    "auto-commit in poll() commits input offsets outside the transactions "
                    "(Kafka does not refuse it; KafkaProducer.sendOffsetsToTransaction says "
                    "the consumer should have it off), and the loop commits only its own: "
                    "set enable.auto.commit=false")
        if name == TXN_ID_EXPIRY:
            return ("before 3.4 (KIP-854) it is also how long the partition leaders keep an "
                    "idle producer's state (producer.id.expiration.ms from 3.4), and producer "
                    "ids never expire here")
        return TXN_LOG_MIN_ISR_REASON if name == TXN_LOG_MIN_ISR else None

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        k = config.kafka
        b = config.bounds
        version = config.version
        if version < (0, 11):
            return f"Kafka {config.kafka_version} has no transactions (KIP-98 arrived in 0.11)"
        loop = b["inputs"] > 0
        if not k["transactional.id"] and not loop:
            return ("the transactions model needs a transactional.id (set "
                    "transactional.id=app), or a consume-transform-produce loop "
                    "(--bound inputs=2) to run without one")
        idempotent, error, _note, overrides = effective_idempotence(config)
        if error:
            return f"ConfigException: {error}"
        if k["transactional.id"] and not idempotent:
            return ("ConfigException: Cannot set a transactional.id without also enabling "
                    "idempotence.")
        acks = overrides.get("acks", k["acks"])
        if acks != -1 and "acks" not in config.uncovered:
            return (f"acks={kafka_settings.render('acks', acks)}: the loop's producers are "
                    "modelled with acks=all only; set acks=all")
        tv = k["transaction.version"]
        if tv > 0 and version < (4, 0):
            return (f"transaction.version={tv} does not exist in Kafka {config.kafka_version} "
                    "(the feature arrived in 4.0)")
        if k["transactional.id"]:
            problem = txn_timeout_problem(k["transaction.timeout.ms"],
                                          k["transaction.max.timeout.ms"])
            if problem:
                return problem
        rf = k["replication.factor"]
        log_rf = transaction_log_rf(config)
        for name, value in (("replication.factor", rf), (TXN_LOG_RF, log_rf)):
            if value > 3:
                return f"{name}={value} is beyond exhaustive reach here (at most 3)"
        if b["coordinator_moves"] and log_rf < 2:
            return (f"coordinator_moves needs {TXN_LOG_RF} >= 2 (it follows "
                    "replication.factor unless set): with one replica the "
                    "__transaction_state leader cannot move (a broker crash, --bound "
                    "crashes=1, stops the coordinator and reloads it on restart)")
        if log_rf != rf and k["min.insync.replicas"] > min(rf, log_rf):
            unset = "" if "replication.factor" in config.explicit else (
                " (the data topic's replication.factor is not given: Kafka's default 1 for "
                "a topic file, and this model does not read default.replication.factor; set "
                "replication.factor)")
            return (f"min.insync.replicas={k['min.insync.replicas']} with topics of "
                    f"{min(rf, log_rf)} and {max(rf, log_rf)} replicas{unset}: this model "
                    "gives every partition one min ISR, so it must not exceed the smaller "
                    "replication factor")
        if loop and b["transactions"] != 1:
            return ("the transactions bound counts the application mode's transactions; a "
                    "loop (inputs > 0) runs as many as its input needs")
        if not loop and b["rebalances"]:
            return "rebalances need a consumer group: set --bound inputs=N"
        if not loop and b["late_offset_commits"]:
            return ("late_offset_commits delays the loop's offset commits: set --bound "
                    "inputs=N")
        try:
            _codecs(config)
        except ValueError as exc:
            return str(exc)
        return None

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        k = self.kafka
        b = self.bound
        self.isolation = k["isolation.level"]
        # ProducerConfig's idempotence and the acks/retries it sets (before 3.2), for
        # effective_settings.
        idempotent, _error, _note, overrides = effective_idempotence(config)
        self.producer_overrides = {**overrides, "enable.idempotence": idempotent}
        self.idempotent = idempotent
        self.transactional = bool(k["transactional.id"])
        self.tv = k["transaction.version"]
        self.verification = partition_verification(k, config.version)
        self.kip447 = has_fix(config.kafka_version, "KIP-447")
        self.protocol = self.make_protocol()
        self.P = b["partitions"]
        self.I = b["instances"]
        self.K = b["inputs"]
        self.loop = self.K > 0
        self.late_commits = b.get("late_offset_commits", 0)
        # The application mode's instances share one transactional.id; a loop's members
        # each have their own (KIP-447), or none.
        self.tids = (self.I if self.loop else 1) if self.transactional else 0
        self.T = b["transactions"] if not self.loop else 1 << 20
        self.TXN = self.P  # __transaction_state-0 among the cluster's partitions
        self.OFF = self.P + 1  # __consumer_offsets-0 (loop mode)
        # A transaction's slots: the data partitions, then (loop) the offsets partition.
        self.slots = self.P + (1 if self.loop else 0)
        self.slot_part = tuple(range(self.P)) + ((self.OFF,) if self.loop else ())
        # Brokers: as many as the larger replication factor.  The data topic (and the
        # loop's offsets) has replication.factor replicas, the transaction log its own.
        self.data_rf = k["replication.factor"]
        self.log_rf = transaction_log_rf(config)
        self.n = max(self.data_rf, self.log_rf)
        # At least one a transaction: without the client's bump (before KIP-360) a failed
        # transaction may be left to the coordinator's timeout abort, one epoch up.
        bumps = max(1, int(self.protocol.end_epoch(0) > 0)
                    + int(self.protocol.client_bumps_epoch))
        self.data_codec, self.log_codec, self.offsets_codec = _codecs(config, bumps)
        repl_kafka = {name: k.get(name, kafka_settings.SETTINGS[name].default)
                      for name in ReplicationModel.settings}
        repl_kafka["acks"] = -1  # transactional producers, markers and logs: acks=all
        repl_kafka["replication.factor"] = self.n
        repl_bounds = {"partitions": self.P + (2 if self.loop else 1), "records": 0,
                       "crashes": b["crashes"], "crash_kind": b["crash_kind"],
                       "leader_changes": b["coordinator_moves"], "lost_acks": 0, "bounces": 0,
                       "truncation": "version", "slow_followers": b["slow_followers"]}
        cluster_cls = TransactionalCluster
        if self.rule_mixins:
            cluster_cls = type("MutatedCluster", (TransactionalCluster,),
                               {"rule_mixins": (*self.rule_mixins, TransactionalPartition)})
        explicit = config.explicit & {"flush.messages", "process.roles"}
        replicas = (self.data_rf,) * self.P + (self.log_rf,) + \
            ((self.data_rf,) if self.loop else ())
        self.repl = cluster_cls(Config(repl_kafka, repl_bounds, explicit,
                                       kafka_version=config.kafka_version), replicas)
        # TransactionStateManager.transactionTopicConfigs: the transaction log never
        # elects an unclean leader, whatever the brokers' unclean.leader.election.enable.
        self.repl.clean_only = frozenset({self.TXN})
        self.rules = self.repl.rules
        self.embedded = Embedded(self.repl, 0, "")
        self.everyone = (1 << self.P) - 1
        self.first_plan = self._plan(-1)
        # Reads are pure functions of a leader's log and HW: computed once each.
        self._reads: dict[tuple, tuple] = {}
        self._lsos: dict[tuple, int] = {}
        self._aborted: dict[tuple, frozenset[int]] = {}
        self._records: dict[tuple, frozenset[int]] = {}
        self._kept: dict[tuple, frozenset[int]] = {}

    def make_protocol(self) -> tc.TxnProtocol:
        """The protocol of this cluster (with any test mixins)."""
        base = type(tc.protocol_for(self.tv, self.verification,
                                    kip360=has_fix(self.config.kafka_version, "KAFKA-8710"),
                                    kafka_6119=has_fix(self.config.kafka_version,
                                                       "KAFKA-6119"),
                                    kafka_19367=has_fix(self.config.kafka_version,
                                                        "KAFKA-19367")))
        if self.protocol_mixins:
            base = type("MutatedProtocol", (*self.protocol_mixins, base), {})
        return base()

    def _plan(self, k: int) -> tuple[int, ...]:
        """The batches of a transaction: every data partition (application mode), or for
        input k its output partition and the offsets (loop mode; -1: none yet)."""
        if not self.loop:
            return (tp.TODO,) * self.P
        if k < 0:
            return (tp.IDLE,) * self.slots
        return tuple(tp.TODO if p == k % self.P else tp.IDLE for p in range(self.P)) + \
            (tp.TODO,)

    # -- state --------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        cluster = self.repl.init_states()[0]
        b = self.bound
        ready = not self.transactional or self.loop
        prod = tp.new_producer(self.first_plan, ready=ready)
        if self.loop and self.transactional:
            cluster = self._initialized(cluster)
        outcomes = () if self.loop else (tp.OPEN,) * (self.I * self.T)
        members: tuple[Member, ...] = ()
        if self.loop:
            members = tuple(Member(0, i == 0, tl.NO_POSITION, tl.NO_POSITION)
                            for i in range(self.I))
        state = TxnState(cluster, tc.unloaded(max(self.tids, 1)), (prod,) * self.I, (), (),
                         self._budget(b), outcomes, Group(0, 0), members)
        return [self._settle(state)]

    def _budget(self, b: dict[str, Any]) -> Budget | LateCommitBudget:
        """The fault budgets a run starts with."""
        budget = (b["late_produces"], b["late_end_txns"], b["expiries"], b["timeouts"],
                  b["aborts"], b["rebalances"])
        if self.late_commits:
            return LateCommitBudget(*budget, 0, self.late_commits)
        return Budget(*budget)

    def _initialized(self, cluster: ReplicationState) -> ReplicationState:
        """The loop's members called initTransactions() before consuming: each
        transactional.id's InitProducerId record is in the transaction log, replicated
        (appended and fetched by the partition rules), and every producer holds epoch 0."""
        rules = self.rules
        part = cluster.parts[self.TXN]
        for tid in range(self.tids):
            part = rules.append(part, self.log_codec.encode(tc.init_record(tid, 0)))
        changed = True
        while changed:
            changed = False
            for f in self.repl.replicas[self.TXN]:
                if f != part.leader:
                    nxt = rules.fetch(part, f)
                    if nxt is not None:
                        part, changed = nxt, True
        parts = cluster.parts
        return cluster._replace(parts=parts[:self.TXN] + (part,) + parts[self.TXN + 1:])

    def record_of(self, instance: int, txn: int) -> int:
        """The record id of instance ``instance``'s transaction ``txn`` (application mode)."""
        return instance * self.T + txn

    def txn_of_record(self, rec: int) -> tuple[int, int]:
        """(instance, transaction) of a record id (application mode)."""
        return divmod(rec, self.T)

    def tid_of(self, i: int) -> int:
        """The transactional id (and producer id) instance i uses."""
        return i if self.loop else 0

    def pid_of(self, i: int) -> int:
        """The producer id of instance i's data batches: its transactional id's, its own
        when idempotent, none without idempotence (RecordBatch.NO_PRODUCER_ID: the leader
        then checks no sequence, so a retried batch is appended again)."""
        if self.transactional:
            return self.tid_of(i)
        return i if self.idempotent else ptx.NO_PRODUCER_ID

    def offsets_pid(self, i: int) -> int:
        """The producer id instance i's offset commit carries (``_writer`` reads it back):
        its transactional id's, else its own, idempotent or not."""
        return self.tid_of(i) if self.transactional else i

    def _plain(self, batch: ptx.Entry) -> ptx.Entry:
        """A batch without a producer id has no epoch and no sequence either."""
        return batch._replace(epoch=0, seq=0) if batch.pid == ptx.NO_PRODUCER_ID else batch

    def codec_of(self, q: int) -> ptx.Codec:
        """The payload layout of cluster partition q."""
        if q == self.TXN:
            return self.log_codec
        return self.offsets_codec if q == self.OFF and self.loop else self.data_codec

    # -- shorthands ------------------------------------------------------------------------

    def _leader(self, state: TxnState, q: int) -> int:
        """The live leader of cluster partition ``q``, or NO_LEADER."""
        part = state.cluster.parts[q]
        leader = part.leader
        if leader == NO_LEADER or not state.cluster.alive >> leader & 1:
            return NO_LEADER
        return leader

    def _active(self, state: TxnState) -> bool:
        """The coordinator has loaded its partition and still leads it."""
        return state.coord.epoch >= 0

    def _with_part(self, state: TxnState, q: int, part: PartitionState) -> TxnState:
        cluster = state.cluster
        parts = cluster.parts
        cluster = cluster._replace(parts=parts[:q] + (part,) + parts[q + 1:])
        return _new(TxnState, (cluster,) + state[1:])

    def _with_producer(self, state: TxnState, i: int, prod: Producer) -> TxnState:
        ps = state.producers
        return _new(TxnState, state[:2] + (ps[:i] + (prod,) + ps[i + 1:],) + state[3:])

    def _with_member(self, state: TxnState, i: int, member: Member) -> TxnState:
        ms = state.members
        return state._replace(members=ms[:i] + (member,) + ms[i + 1:])

    def _with_outcome(self, state: TxnState, i: int, txn: int, outcome: int) -> TxnState:
        if self.loop:
            return state
        k = self.record_of(i, txn)
        o = state.outcomes
        return state._replace(outcomes=o[:k] + (outcome,) + o[k + 1:])

    def _with_coord(self, state: TxnState, tid: int, meta: TxnMeta | None = None,
                    pending: Pending | None = None, markers: int | None = None) -> TxnState:
        c = state.coord
        metas, pend, marks = c.metas, c.pending, c.markers
        if meta is not None:
            metas = metas[:tid] + (meta,) + metas[tid + 1:]
        if pending is not None:
            pend = pend[:tid] + (pending,) + pend[tid + 1:]
        if markers is not None:
            marks = marks[:tid] + (markers,) + marks[tid + 1:]
        return state._replace(coord=Coordinator(c.epoch, metas, pend, marks))

    def _settle(self, state: TxnState) -> TxnState:
        """Consequences that take no decision: appends whose leader changed or died fail
        (their clients see an error and retry), and the coordinator follows the leader of
        its partition (onResignation drops its memory; onElection loads the log)."""
        cluster = state.cluster
        parts, alive = cluster.parts, cluster.alive
        waits = state.waits
        if waits:
            kept = tuple(w for w in waits if parts[w.part].epoch == w.epoch
                         and parts[w.part].leader != NO_LEADER
                         and alive >> parts[w.part].leader & 1)
            if len(kept) != len(waits):
                state = state._replace(waits=kept)
        if not self.transactional:
            return state
        txn = parts[self.TXN]
        leader = txn.leader
        up = leader != NO_LEADER and alive >> leader & 1
        coord = state.coord
        if up and coord.epoch != txn.epoch:
            metas = self.load_log(txn, leader)
            markers = tuple(m.parts if m.state in (tc.PREPARE_COMMIT, tc.PREPARE_ABORT) else 0
                            for m in metas)
            state = state._replace(coord=Coordinator(txn.epoch, metas,
                                                     (tc.NO_PENDING,) * self.tids, markers))
        elif not up and coord.epoch >= 0:
            state = state._replace(coord=tc.unloaded(self.tids))
        return state

    def load_log(self, txn: PartitionState, leader: int) -> tuple[TxnMeta, ...]:
        """What a coordinator taking over reads: its replica's whole transaction log, to
        the log end offset, not just below its high watermark (TransactionStateManager
        .loadTransactionMetadata, FetchIsolation.LOG_END)."""
        return tc.load(txn.logs[leader], self.log_codec, self.tids)

    # -- successors ------------------------------------------------------------------------

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        settle = self._settle
        for i in range(self.I):
            for action, nxt in self._client_actions(state, i):
                yield action, settle(nxt)
        for action, nxt in self._coordinator_actions(state):
            yield action, settle(nxt)
        for action, nxt in self._ack_actions(state):
            yield action, settle(nxt)
        for action, nxt in self._late_actions(state):
            yield action, settle(nxt)
        yield from self._rebalances(state)
        for action, nxt in self._cluster_actions(state):
            yield action, settle(nxt)

    # -- the cluster (embedded replication) ----------------------------------------------

    def partition_name(self, q: int) -> str:
        """Display name of cluster partition ``q``."""
        if q == self.TXN:
            return "txnlog"
        return "offsets" if self.loop and q == self.OFF else f"p{q}"

    def _cluster_actions(self, state: TxnState) -> Iterator[tuple[Action, State]]:
        txn_label = f"p{self.TXN}"
        names = {f"p{q}": self.partition_name(q) for q in range(self.P, self.OFF + 1)}
        for action, cluster in self.repl.successors(state.cluster):
            if action[0] == "MoveLeader" and action[-1] != txn_label:
                continue  # leader moves are coordinator failovers here
            if action[-1] in names:
                action = (*action[:-1], names[action[-1]])
            yield action, _new(TxnState, (cluster,) + state[1:])

    # -- producer instances ----------------------------------------------------------------

    def _client_actions(self, state: TxnState, i: int) -> Iterator[tuple[Action, State]]:
        prod = state.producers[i]
        phase = prod.phase
        name = f"P{i}"
        if self.loop:
            yield from self._member_actions(state, i, prod)
            if phase == tp.FENCED:
                # The application closes the fenced producer and creates a new one with the
                # same transactional.id, then re-reads its committed offset.
                member = state.members[i]
                nxt = self._with_producer(state, i, tp.new_producer(self.first_plan))
                yield (("NewProducer", name),
                       self._with_member(nxt, i, member._replace(position=tl.NO_POSITION,
                                                                 input=tl.NO_POSITION)))
        if phase in (tp.FENCED, tp.DONE):
            return
        if phase in (tp.NEW, tp.INITIALIZING, tp.BUMPING):
            if phase != tp.NEW and self._reply_pending(state, tc.REPLY_CLIENT + i):
                return
            nxt = self._init(state, i, prod)
            if nxt is not None:
                yield nxt
            return
        protocol = self.protocol
        adds = self.transactional and protocol.client_adds_partitions
        sending = phase == tp.IN_TXN or (phase == tp.READY and not self.loop)
        if sending and not prod.abortable and adds and tp.TODO in prod.batches and \
                not self._reply_pending(state, tc.REPLY_CLIENT + i):
            yield from self._add_partitions(state, i, prod)
        for p in range(self.slots):
            status = prod.batches[p]
            fresh = status == tp.ADDED or (status == tp.TODO and not adds)
            if fresh and (not sending or prod.abortable):
                continue
            if fresh and p == self.P and not self.transactional and \
                    any(s != tp.WRITTEN for s in prod.batches[:self.P] if s != tp.IDLE):
                continue  # at-least-once: the offset is committed after the output
            retry = status == tp.INFLIGHT and not self._request_live(state, i, p)
            if not (fresh or retry):
                continue
            batch = self._batch(state, prod, i, p, fresh)
            started = tp.start_batch(prod, p) if fresh else prod
            base = self._with_producer(state, i, started)
            family = "SendOffsets" if p == self.P else "Produce"
            where = "offsets" if p == self.P else f"p{p}"
            label = (family, name, where, self._batch_text(batch, p)) + \
                (("retry",) if retry else ())
            result = self._produce(base, p, batch, i)
            if result is not None:
                yield (*label, result[0]), result[1]
            # A request delayed past the request timeout and retried: a produce, or the
            # loop's offset commit (TransactionManager.TxnRequestHandler re-enqueues a
            # TxnOffsetCommit whose connection the timeout cut; ConsumerCoordinator retries
            # an OffsetCommit so), whose seq carries its group generation instead.
            spend = "late_commits" if p == self.P else "late_produces"
            if (p < self.P or self.late_commits) and getattr(state.budget, spend) > 0:
                seq = state.members[i].generation if p == self.P else batch.seq
                late = Late(LATE_PRODUCE, i, p, batch.epoch, seq, batch.rec, False)
                yield ((f"Delay{family}", *label[1:]),
                       base._replace(late=tuple(sorted(base.late + (late,))),
                                     budget=base.budget._replace(
                                         **{spend: getattr(state.budget, spend) - 1})))
            # RecordAccumulator.expiredBatches fails a batch past delivery.timeout.ms also
            # while it waits in the producer, never sent (no leader, an outage): time is not
            # modelled, so a batch may expire before its first send as after a lost request.
            if state.budget.expiries > 0 and p < self.P:
                failed = tp.fail_batch(prod, p, self.transactional and
                                       protocol.client_bumps_epoch)
                nxt = self._with_producer(state, i, failed)
                yield (("Expire", name, where, self._batch_text(batch, p)),
                       nxt._replace(budget=nxt.budget._replace(
                           expiries=nxt.budget.expiries - 1)))
        if phase == tp.IN_TXN:
            if not self.transactional:
                if prod.abortable and tp.may_end(prod):
                    yield ("Abort", name, "gives up this input"), self._cycle_lost(state, i)
                return
            if not prod.abortable and all(s in (tp.WRITTEN, tp.IDLE) for s in prod.batches):
                committing = self._with_outcome(
                    self._with_producer(state, i, prod._replace(phase=tp.COMMITTING)),
                    i, prod.txn, tp.COMMIT_ASKED)
                yield ("Commit", name, f"txn {prod.txn}"), self._end_txn(committing, i, True)
                yield from self._delay_end(committing, i, f"commit txn {prod.txn}")
            if prod.abortable or state.budget.aborts > 0:
                aborting = prod._replace(phase=tp.ABORTING, batches=tuple(
                    tp.TODO if s == tp.ADDED else s for s in prod.batches))
                nxt = self._with_producer(state, i, aborting)
                if not prod.abortable:
                    nxt = nxt._replace(budget=nxt.budget._replace(aborts=nxt.budget.aborts - 1))
                family = "Abort" if prod.abortable else "AppAbort"
                yield (family, name, f"txn {prod.txn}"), self._end_txn(nxt, i, False)
                yield from self._delay_end(nxt, i, f"abort txn {prod.txn}")
        elif phase in (tp.COMMITTING, tp.ABORTING) and \
                not self._reply_pending(state, tc.REPLY_CLIENT + i):
            commit = phase == tp.COMMITTING
            nxt = self._end_txn(state, i, commit)
            if nxt is not state:
                yield ("EndTxn", name, "commit" if commit else "abort"), nxt
            yield from self._delay_end(state, i, "commit" if commit else "abort")

    def _delay_end(self, state: TxnState, i: int, what: str) -> Iterator[tuple[Action, State]]:
        """The EndTxn request is sent now but the network delays it past the client's
        request timeout: the client will send it again, and the first arrives later."""
        prod = state.producers[i]
        if state.budget.late_end_txns == 0 or not tp.may_end(prod) or _unsent(prod):
            return
        late = Late(LATE_END, i, 0, prod.epoch, 0, 0, prod.phase == tp.COMMITTING)
        yield (("DelayEndTxn", f"P{i}", what),
               state._replace(late=tuple(sorted(state.late + (late,))),
                              budget=state.budget._replace(
                                  late_end_txns=state.budget.late_end_txns - 1)))

    # -- the loop's consumer side -----------------------------------------------------------

    def _member_actions(self, state: TxnState, i: int,
                        prod: Producer) -> Iterator[tuple[Action, State]]:
        """Group membership, OffsetFetch and poll of instance i (loop mode)."""
        member = state.members[i]
        group = state.group
        name = f"P{i}"
        idle = not tp.in_transaction(prod)
        if member.generation < group.generation and idle:
            owns = group.owner == i
            yield (("Rejoin", name, f"generation {group.generation}",
                    "owns the input" if owns else "no partition"),
                   self._with_member(state, i, Member(group.generation, owns, tl.NO_POSITION,
                                                      tl.NO_POSITION)))
        if not member.owns or prod.phase != tp.READY:
            return
        if member.position == tl.NO_POSITION:
            q = self.OFF
            leader = self._leader(state, q)
            if leader == NO_LEADER:
                return
            part = state.cluster.parts[q]
            log = part.logs[leader]
            if self.offset_fetch_waits(log):
                return  # UNSTABLE_OFFSET_COMMIT: OffsetFetch with require_stable waits
            committed = tl.committed_offset(log, part.hws[leader], self.offsets_codec,
                                            self.rules)
            # auto.offset.reset=earliest when the group has no committed offset yet.
            position = max(committed, 0)
            yield (("FetchOffset", name, f"committed {committed}" if committed >= 0 else
                    "none (earliest)"),
                   self._with_member(state, i, member._replace(position=position)))
        elif member.position < self.K and member.input == tl.NO_POSITION:
            k = member.position
            started = prod._replace(phase=tp.IN_TXN, batches=self._plan(k))
            nxt = self._with_member(self._with_producer(state, i, started), i,
                                    member._replace(input=k))
            yield ("Poll", name, f"input {k}"), nxt

    # The loop's rules, one method each (test mutants override them).

    def generation_valid(self, member: Member, group: Group) -> bool:
        """GroupCoordinator.validateOffsetCommit / validateTransactionalOffsetCommit: an offset
        commit carries the member's generation, which must be the group's (KIP-447)."""
        return member.generation == group.generation

    def commit_checks_generation(self, batch: ptx.Entry) -> bool:
        """Whether an offset commit carries a generation to check: OffsetCommit always, a
        TxnOffsetCommit only from 2.5 (KIP-447, TxnOffsetCommitRequest v3); before, a zombie
        member's transactional offsets are written (fencing was by transactional.id alone)."""
        return not batch.transactional or self.kip447

    def committed_input(self, state: TxnState) -> int | None:
        """The group's committed input offset (a source task's: its source offset) as an
        OffsetFetch reads it now: 0 when none was committed, None while the offsets
        partition has no leader."""
        leader = self._leader(state, self.OFF)
        if leader == NO_LEADER:
            return None
        part = state.cluster.parts[self.OFF]
        return max(tl.committed_offset(part.logs[leader], part.hws[leader],
                                       self.offsets_codec, self.rules), 0)

    def offset_commit_verified(self) -> bool:
        """Whether the group coordinator asks the transaction coordinator before a
        producer's first TxnOffsetCommit of a transaction, as a leader does before a first
        produce (KIP-890 part 1): from 3.7 (KAFKA-15784: GroupCoordinator
        .handleTxnCommitOffsets verifies first); 3.6 verifies produce requests only."""
        return self.config.version >= (3, 7)

    def offset_fetch_waits(self, log: tuple[int, ...]) -> bool:
        """OffsetFetch with require_stable (ConsumerCoordinator always sets it): the answer
        waits while a transaction holds offsets for the partition (UNSTABLE_OFFSET_COMMIT).
        Before 2.5 OffsetFetch has no require_stable (KIP-447, OffsetFetchRequest v7)."""
        return self.kip447 and tl.pending_offsets(log, self.offsets_codec)

    def position_after_end(self, member: Member, commit: bool) -> int:
        """Where the application goes on after its transaction: the next input after a
        commit; after an abort it seeks back to the committed offset (the consumer's
        position is not rewound by abortTransaction(): KafkaProducer's documented loop)."""
        return member.input + 1 if commit else tl.NO_POSITION

    def _rebalances(self, state: TxnState) -> Iterator[tuple[Action, State]]:
        """A rebalance (a member missed its session or poll timeout, or one joined): a new
        generation, the input partition owned by any member."""
        if not self.loop or state.budget.rebalances == 0:
            return
        g = state.group.generation + 1
        budget = state.budget._replace(rebalances=state.budget.rebalances - 1)
        for j in range(self.I):
            yield (("Rebalance", f"generation {g}", f"P{j} owns the input"),
                   state._replace(group=Group(g, j), budget=budget))

    def _cycle_lost(self, state: TxnState, i: int) -> TxnState:
        """At-least-once: the offset commit failed; the member re-reads its committed offset."""
        prod = state.producers[i]
        member = state.members[i]
        state = self._with_member(state, i, member._replace(position=tl.NO_POSITION,
                                                            input=tl.NO_POSITION))
        return self._with_producer(state, i, prod._replace(
            phase=tp.READY, batches=self.first_plan, abortable=False))

    # -- batches ---------------------------------------------------------------------------

    def _batch(self, state: TxnState, prod: Producer, i: int, p: int,
               fresh: bool) -> ptx.Entry:
        """The current transaction's batch for slot ``p``: a data batch (a fresh one takes
        the next sequence number), or the offset commit of the loop's input."""
        pid = self.pid_of(i)
        if not self.loop:
            seq = prod.seqs[p] if fresh else tp.batch_seq(prod, p)
            return ptx.data(pid, prod.epoch, seq, self.record_of(i, prod.txn))
        k = state.members[i].input
        if p == self.P:
            return ptx.data(self.offsets_pid(i), prod.epoch if self.transactional else 0, 0,
                            k + 1,
                            self.transactional)
        seq = prod.seqs[p] if fresh else tp.batch_seq(prod, p)
        return self._plain(ptx.data(pid, prod.epoch, seq, k, self.transactional))

    def _batch_text(self, batch: ptx.Entry, p: int) -> str:
        if p == self.P:
            return f"offset {batch.rec} e{batch.epoch}"
        if self.loop:
            if batch.pid == ptx.NO_PRODUCER_ID:
                return f"out{batch.rec} (no producer id)"
            return f"out{batch.rec} e{batch.epoch} s{batch.seq}"
        inst, txn = self.txn_of_record(batch.rec)
        return f"r{batch.rec} (P{inst} txn {txn}) e{batch.epoch} s{batch.seq}"

    def _reply_pending(self, state: TxnState, reply: int) -> bool:
        """The coordinator holds a pending change whose answer goes to ``reply``."""
        return any(p.reply == reply for p in state.coord.pending)

    def _leader_reply(self, batch: ptx.Entry, p: int) -> int:
        """The pending-change answer that resumes a leader's produce of ``batch`` to slot p."""
        codec = self.offsets_codec if p == self.P else self.data_codec
        return tc.REPLY_LEADER + codec.encode(batch) * self.slots + p

    def _resumed(self, reply: int) -> tuple[ptx.Entry, int]:
        """(batch, slot) of a leader's produce waiting for the coordinator."""
        payload, p = divmod(reply - tc.REPLY_LEADER, self.slots)
        codec = self.offsets_codec if p == self.P else self.data_codec
        return codec.decode(payload), p

    def _writer(self, batch: ptx.Entry, state: TxnState) -> int:
        """The instance that wrote a batch (``state``: for a model whose instances share a
        producer id, model/clients/source.py)."""
        if self.loop:
            return batch.pid
        return self.txn_of_record(batch.rec)[0]

    def _request_live(self, state: TxnState, i: int, p: int) -> bool:
        """Instance i's request for slot p is still being handled (in the leader's
        purgatory, or waiting for the coordinator to add the partition)."""
        q = self.slot_part[p]
        for w in state.waits:
            if w.owner == i and w.part == q:
                return True
        for pend in state.coord.pending:
            if pend.reply >= tc.REPLY_LEADER:
                batch, slot = self._resumed(pend.reply)
                if slot == p and self._writer(batch, state) == i:
                    return True
        return False

    # -- requests to the coordinator -----------------------------------------------------

    def _append_log(self, state: TxnState, tid: int, rec: tc.TxnRecord,
                    reply: int) -> TxnState | None:
        """The coordinator appends ``rec`` to its partition (acks=all); None when the
        append is refused (NOT_ENOUGH_REPLICAS: the caller retries)."""
        q = self.TXN
        part = state.cluster.parts[q]
        if self.rules.append_error(part.isr) != NONE:
            return None
        payload = self.log_codec.encode(rec)
        part = self.rules.append(part, payload)
        offset = len(part.logs[part.leader]) - 1
        state = self._with_part(state, q, part)
        return self._with_coord(state, tid, pending=Pending(payload, offset, reply))

    def _init(self, state: TxnState, i: int, prod: Producer) -> tuple[Action, State] | None:
        """InitProducerId: initTransactions(), a retry, or a KIP-360 epoch bump."""
        if not self._active(state):
            return None
        tid = self.tid_of(i)
        meta = state.coord.metas[tid]
        busy = state.coord.pending[tid].offset >= 0
        expected = prod.epoch if prod.phase == tp.BUMPING else tc.NO_EPOCH
        err, rec = self.protocol.init_request(tid, meta, busy, expected)
        name = f"P{i}"
        # One family for every InitProducerId, so a fairness on it covers the KIP-360 bumps.
        who = (name, f"bump e{prod.epoch}") if expected != tc.NO_EPOCH else (name,)
        if err == tc.PRODUCER_FENCED:
            return (("InitProducerId", *who, "PRODUCER_FENCED"),
                    self._with_producer(state, i, tp.fenced(prod)))
        if rec is None:
            return None
        reply = tc.REPLY_NOBODY if err == tc.CONCURRENT_TRANSACTIONS else tc.REPLY_CLIENT + i
        nxt = self._append_log(state, tid, rec, reply)
        if nxt is None:
            return None
        if err == tc.CONCURRENT_TRANSACTIONS:
            return ("InitProducerId", *who, f"fences the ongoing transaction (e{rec.epoch})"), nxt
        if prod.phase == tp.NEW:
            nxt = self._with_producer(nxt, i, prod._replace(phase=tp.INITIALIZING))
        return ("InitProducerId", *who, f"epoch {rec.epoch} pending"), nxt

    def _slots_text(self, mask: int) -> str:
        return "{" + ", ".join("offsets" if p == self.P else f"p{p}"
                               for p in range(self.slots) if mask >> p & 1) + "}"

    def _add_partitions(self, state: TxnState, i: int,
                        prod: Producer) -> Iterator[tuple[Action, State]]:
        """AddPartitionsToTxn (and AddOffsetsToTxn) from the client for the partitions of
        the transaction not yet added: all of them in one request, or, where the protocol
        splits adds (``split_adds``: before KAFKA-6119), any of them (TransactionManager
        sends those pending when the Sender runs, one per send() when sends come one after
        another), so a fault can fall between two adds."""
        if not self._active(state):
            return
        todo = sum(1 << p for p, s in enumerate(prod.batches) if s == tp.TODO)
        if self.protocol.split_adds:
            masks = [m for m in range(1, todo + 1) if m & todo == m]
        else:
            masks = [todo]
        for mask in masks:
            nxt = self._add_request(state, i, prod, mask)
            if nxt is not None:
                yield nxt

    def _add_request(self, state: TxnState, i: int, prod: Producer,
                     mask: int) -> tuple[Action, State] | None:
        """One AddPartitionsToTxn for the slots in ``mask``."""
        tid = self.tid_of(i)
        meta = state.coord.metas[tid]
        busy = state.coord.pending[tid].offset >= 0
        err, rec = self.protocol.add_request(tid, meta, busy, prod.epoch, mask)
        name = f"P{i}"
        parts = self._slots_text(mask)
        began = prod._replace(phase=tp.IN_TXN)
        if err == tc.PRODUCER_FENCED:
            return ("AddPartitions", name, parts, "PRODUCER_FENCED"), \
                self._with_producer(state, i, tp.fenced(prod))
        if err == tc.NONE:
            added = began._replace(batches=tuple(tp.ADDED if mask >> p & 1 else s
                                                 for p, s in enumerate(prod.batches)))
            return ("AddPartitions", name, parts, "NONE"), self._with_producer(state, i, added)
        if rec is None:
            return None
        nxt = self._append_log(state, tid, rec, tc.REPLY_CLIENT + i)
        if nxt is None:
            return None
        adding = began._replace(batches=tuple(tp.ADDING if mask >> p & 1 else s
                                              for p, s in enumerate(prod.batches)))
        return ("AddPartitions", name, parts), self._with_producer(nxt, i, adding)

    def _end_txn(self, state: TxnState, i: int, commit: bool) -> TxnState:
        """EndTxn from instance i if it may be sent now (else the state unchanged: the
        client sends it later); an abort of a transaction never started ends locally."""
        prod = state.producers[i]
        if not tp.may_end(prod):
            return state
        if not commit and _unsent(prod):
            return self._ended(state, i, prod.epoch, False)
        if not self._active(state):
            return state
        tid = self.tid_of(i)
        meta = state.coord.metas[tid]
        busy = state.coord.pending[tid].offset >= 0
        err, rec = self.protocol.end_request(tid, meta, busy, prod.epoch, commit)
        if err == tc.NONE:
            return self._ended(state, i, meta.epoch, commit)
        if err in (tc.PRODUCER_FENCED, tc.INVALID_TXN_STATE):
            return self._with_producer(state, i, tp.fenced(prod))
        if rec is None:
            return state
        nxt = self._append_log(state, tid, rec, tc.REPLY_CLIENT + i)
        return state if nxt is None else nxt

    def _ended(self, state: TxnState, i: int, epoch: int, commit: bool) -> TxnState:
        """commitTransaction() / abortTransaction() returned; a loop moves its position on
        after a commit and seeks back to the committed offset after an abort."""
        prod = state.producers[i]
        state = self._with_outcome(state, i, prod.txn, tp.COMMITTED if commit else tp.ABORTED)
        if self.loop:
            member = state.members[i]
            state = self._with_member(state, i, member._replace(
                position=self.position_after_end(member, commit), input=tl.NO_POSITION))
        return self._with_producer(state, i, tp.after_end(prod, epoch, self.first_plan, self.T))

    # -- the partition leader's side of a produce ------------------------------------------

    def _produce(self, state: TxnState, p: int, batch: ptx.Entry, i: int,
                 generation: int | None = None) -> tuple[str, TxnState] | None:
        """A leader handles a produce to slot p (ReplicaManager.handleProduceAppend), or the
        group coordinator a TxnOffsetCommit / OffsetCommit: the generation check (KIP-447),
        the coordinator check of a transaction's first write (KIP-890), then the
        producer-state checks and the append.  ``i`` is the waiting instance (-1 for a late
        request, whose answer nobody reads); ``generation``: the group generation a late
        offset commit carries (None: the member's own).  None: a retriable refusal."""
        q = self.slot_part[p]
        leader = self._leader(state, q)
        if leader == NO_LEADER:
            return None
        if not batch.transactional:
            return self._append_batch(state, p, batch, i, generation)
        part = state.cluster.parts[q]
        rules = self.rules
        codec = self.codec_of(q)
        log = part.logs[leader]
        if not rules.has_ongoing_transaction(log, codec, batch.pid, batch.epoch):
            protocol = self.protocol
            if type(protocol).first_write is not tc.TxnProtocol.first_write and \
                    (p < self.P or self.offset_commit_verified()):
                if not self._active(state):
                    return None  # COORDINATOR_NOT_AVAILABLE: retriable
                tid = batch.pid
                meta = state.coord.metas[tid]
                check = protocol.first_write(meta, batch.epoch, 1 << p)
                if check == tc.PRODUCER_FENCED:
                    return self._produce_failed(state, i, p, "INVALID_PRODUCER_EPOCH")
                if check == tc.INVALID_TXN_STATE:
                    return self._produce_failed(state, i, p, "INVALID_TXN_STATE")
                if check == tc.CONCURRENT_TRANSACTIONS:
                    return None
                if check == tc.APPENDING:
                    if state.coord.pending[tid].offset >= 0:
                        return None
                    nxt = self._append_log(state, tid, tc.add_record(tid, 1 << p),
                                           self._leader_reply(batch, p))
                    return None if nxt is None else ("leader adds the partition", nxt)
        return self._append_batch(state, p, batch, i, generation)

    def _append_batch(self, state: TxnState, p: int, batch: ptx.Entry, i: int,
                      generation: int | None = None) -> tuple[str, TxnState] | None:
        """Partition.appendRecordsToLeader for a batch that passed the coordinator check."""
        q = self.slot_part[p]
        if p == self.P:
            writer = self._writer(batch, state)
            member = state.members[writer]
            sent = member if generation is None else member._replace(generation=generation)
            if self.commit_checks_generation(batch) and \
                    not self.generation_valid(sent, state.group):
                # validateOffsetCommit, run once the transaction check is done: the member
                # lost its partition (CommitFailedException) and rejoins before it goes on;
                # the answer to a late request reaches nobody.
                if generation is None:
                    state = self._with_member(state, writer, member._replace(owns=False))
                return self._produce_failed(state, i, p, "ILLEGAL_GENERATION")
        part = state.cluster.parts[q]
        rules = self.rules
        codec = self.codec_of(q)
        leader = part.leader
        client = p < self.P  # offsets are written by the group coordinator
        if batch.transactional or client:
            outcome, offset = rules.data_outcome(part.logs[leader], codec, batch, client)
        else:
            outcome, offset = ptx.APPEND, ptx.NO_OFFSET
        if outcome == ptx.INVALID_EPOCH:
            return self._produce_failed(state, i, p, "INVALID_PRODUCER_EPOCH")
        if outcome == ptx.OUT_OF_ORDER:
            return self._produce_failed(state, i, p, "OUT_OF_ORDER_SEQUENCE_NUMBER")
        if rules.append_error(part.isr) != NONE:
            return None  # NOT_ENOUGH_REPLICAS: retriable
        payload = codec.encode(batch)
        if outcome == ptx.APPEND:
            part = rules.append(part, payload)
            offset = len(part.logs[leader]) - 1
            state = self._with_part(state, q, part)
            what = f"appended at {offset}"
        else:
            what = f"duplicate of offset {offset}"
            # Partition.appendRecordsToLeader tries the HW after every append, a duplicate
            # too (maybeIncrementLeaderHW): a leader elected with the ISR down to itself
            # answers a retried batch once it is the only replica left.
            raised = rules.raise_hw(part)
            if raised is not part:
                part = raised
                state = self._with_part(state, q, part)
            if offset < part.hws[leader]:
                return what, (state if i < 0 else self._batch_written(state, i, p))
        if i >= 0:
            wait = Wait(q, payload, offset, part.epoch, i)
            state = state._replace(waits=tuple(sorted(state.waits + (wait,))))
        return what, state

    def _produce_failed(self, state: TxnState, i: int, p: int,
                        error: str) -> tuple[str, TxnState]:
        """The request failed for good: the client's batch fails (an abortable error;
        the KIP-360 epoch bump only for produced batches, not for offset commits)."""
        if i < 0:
            return error, state
        prod = state.producers[i]
        bumps = self.transactional and p < self.P and self.protocol.client_bumps_epoch
        return error, self._with_producer(state, i, tp.fail_batch(prod, p, bumps))

    def _batch_written(self, state: TxnState, i: int, p: int) -> TxnState:
        """Instance i's batch for slot p is acknowledged (an at-least-once loop is then done
        with its input once its offset commit is)."""
        prod = state.producers[i]
        if prod.batches[p] != tp.INFLIGHT:
            return state
        state = self._with_producer(state, i, tp.with_batch(prod, p, tp.WRITTEN))
        if self.loop and not self.transactional and p == self.P:
            return self._ended(state, i, 0, True)
        return state

    # -- appends awaiting acks=all -------------------------------------------------------

    def _ack_actions(self, state: TxnState) -> Iterator[tuple[Action, State]]:
        parts = state.cluster.parts
        rules = self.rules
        for k, w in enumerate(state.waits):
            part = parts[w.part]
            outcome = rules.ack_outcome(part, w.offset)
            if outcome == WAITING:
                continue
            rest = state._replace(waits=state.waits[:k] + state.waits[k + 1:])
            where = self.partition_name(w.part)
            if outcome != NONE:
                yield ("AckError", where, "NOT_ENOUGH_REPLICAS_AFTER_APPEND"), rest
                continue
            slot = self.slot_part.index(w.part)
            if w.owner >= 0:
                yield (("Acked", f"P{w.owner}", where),
                       self._batch_written(rest, w.owner, slot))
            else:
                tid = MARKER_OWNER - w.owner
                marks = rest.coord.markers[tid] & ~(1 << slot)
                yield ("MarkerWritten", where), self._with_coord(rest, tid, markers=marks)

    # -- the coordinator's own work --------------------------------------------------------

    def _coordinator_actions(self, state: TxnState) -> Iterator[tuple[Action, State]]:
        if not self._active(state):
            return
        coord = state.coord
        txn_part = state.cluster.parts[self.TXN]
        for tid, meta in enumerate(coord.metas):
            pend = coord.pending[tid]
            if pend.offset >= 0:
                outcome = self.rules.ack_outcome(txn_part, pend.offset)
                if outcome == NONE:
                    yield self._log_committed(state, tid, meta, pend)
                elif outcome != WAITING or self.rules.hw_waits(txn_part):
                    # NOT_ENOUGH_REPLICAS_AFTER_APPEND or REQUEST_TIMED_OUT: the memory is
                    # not changed though the record may stay in the log (appendTransactionToLog).
                    yield (("TxnLogAppendFailed", self.log_text(pend.payload)),
                           self._with_coord(state, tid, pending=tc.NO_PENDING))
                continue
            if meta.state in (tc.PREPARE_COMMIT, tc.PREPARE_ABORT):
                marks = coord.markers[tid]
                if marks == 0:
                    rec = tc.complete_record(tid, meta.state == tc.PREPARE_COMMIT)
                    nxt = self._append_log(state, tid, rec, tc.REPLY_NOBODY)
                    if nxt is not None:
                        yield ("CompleteTxn", tc.STATE_NAMES[meta.state]), nxt
                for p in range(self.slots):
                    if marks >> p & 1:
                        nxt = self._write_marker(state, tid, meta, p)
                        if nxt is not None:
                            yield nxt
            elif meta.state == tc.ONGOING:
                # transaction.timeout.ms: free once no instance can end the transaction (the
                # timeout then surely fires), a budgeted fault while one still could.
                orphan = all(prod.phase in (tp.FENCED, tp.DONE)
                             for i, prod in enumerate(state.producers) if self.tid_of(i) == tid)
                if not orphan and state.budget.timeouts == 0:
                    continue
                rec = self.protocol.timeout_record(tid, meta)
                nxt = self._append_log(state, tid, rec, tc.REPLY_NOBODY)
                if nxt is None:
                    continue
                if not orphan:
                    nxt = nxt._replace(budget=nxt.budget._replace(
                        timeouts=nxt.budget.timeouts - 1))
                yield ("AbortTimedOut", f"e{rec.epoch}"), nxt

    def _log_committed(self, state: TxnState, tid: int, meta: TxnMeta,
                       pend: Pending) -> tuple[Action, State]:
        """A transaction-log append is committed: the memory changes and the waiting caller
        gets its answer (completeTransitionTo, then the response callback)."""
        rec = self.log_codec.decode(pend.payload)
        new = tc.apply(meta, rec)
        markers = None
        if rec.kind == tc.PREPARE:
            markers = new.parts
        state = self._with_coord(state, tid, meta=new, pending=tc.NO_PENDING, markers=markers)
        label: Action = ("TxnLogCommitted", self.log_text(pend.payload))
        reply = pend.reply
        if reply >= tc.REPLY_LEADER:
            # KIP-890 part 2: the leader's produce goes on once the partition is added; the
            # instance waits for it if the batch is still its current one.
            batch, p = self._resumed(reply)
            i = self._writer(batch, state)
            prod = state.producers[i]
            waiting = prod.batches[p] == tp.INFLIGHT and \
                self._batch(state, prod, i, p, False) == batch
            where = self.partition_name(self.slot_part[p])
            result = self._append_batch(state, p, batch, i if waiting else -1)
            if result is None:
                return (*label, f"{where} NOT_ENOUGH_REPLICAS"), state
            return (*label, f"{where} {result[0]}"), result[1]
        if reply < tc.REPLY_CLIENT:
            return label, state
        i = reply - tc.REPLY_CLIENT
        prod = state.producers[i]
        if rec.kind == tc.INIT and prod.phase in (tp.INITIALIZING, tp.BUMPING):
            return label, self._with_producer(state, i, tp.after_init(
                prod, new.epoch, self.first_plan, self.T))
        if rec.kind == tc.ADD and tp.ADDING in prod.batches:
            added = prod._replace(batches=tuple(tp.ADDED if s == tp.ADDING else s
                                                for s in prod.batches))
            return label, self._with_producer(state, i, added)
        if rec.kind == tc.PREPARE and prod.phase in (tp.COMMITTING, tp.ABORTING):
            return label, self._ended(state, i, new.epoch, rec.commit)
        return label, state

    def _write_marker(self, state: TxnState, tid: int, meta: TxnMeta,
                      p: int) -> tuple[Action, State] | None:
        """WriteTxnMarkers to the leader of slot p's partition
        (TransactionMarkerChannelManager), acks=all."""
        owner = MARKER_OWNER - tid
        q = self.slot_part[p]
        if any(w.owner == owner and w.part == q for w in state.waits):
            return None
        leader = self._leader(state, q)
        if leader == NO_LEADER:
            return None
        part = state.cluster.parts[q]
        rules = self.rules
        if rules.append_error(part.isr) != NONE:
            return None
        commit = meta.state == tc.PREPARE_COMMIT
        mark = ptx.marker(tid, meta.epoch, commit)
        codec = self.codec_of(q)
        if not rules.marker_accepted(part.logs[leader], codec, mark):
            return None  # cannot happen without stale markers (not modelled)
        payload = codec.encode(mark)
        part = rules.append(part, payload)
        offset = len(part.logs[leader]) - 1
        state = self._with_part(state, q, part)
        wait = Wait(q, payload, offset, part.epoch, owner)
        state = state._replace(waits=tuple(sorted(state.waits + (wait,))))
        kind = "COMMIT" if commit else "ABORT"
        return (("WriteMarker", self.partition_name(q), f"{kind} e{meta.epoch} at {offset}"),
                state)

    # -- requests the network delayed ----------------------------------------------------

    def _late_actions(self, state: TxnState) -> Iterator[tuple[Action, State]]:
        for k, late in enumerate(state.late):
            if k and state.late[k - 1] == late:
                continue
            rest = state._replace(late=state.late[:k] + state.late[k + 1:])
            name = f"P{late.instance}"
            if late.kind == LATE_PRODUCE:
                offsets = late.part == self.P  # seq: the offset commit's generation
                pid = self.offsets_pid(late.instance) if offsets \
                    else self.pid_of(late.instance)
                batch = self._plain(ptx.data(pid, late.epoch, 0 if offsets else late.seq,
                                             late.rec, self.transactional))
                result = self._produce(rest, late.part, batch, -1,
                                       late.seq if offsets else None)
                if result is not None:
                    label = ("LateSendOffsets", name, "offsets",
                             f"generation {late.seq}") if offsets else \
                        ("LateProduce", name, f"p{late.part}")
                    yield ((*label, self._batch_text(batch, late.part), result[0]),
                           result[1])
            else:
                nxt = self._late_end(rest, late)
                if nxt is not None:
                    yield nxt

    def _late_end(self, state: TxnState, late: Late) -> tuple[Action, State] | None:
        """A delayed EndTxn reaches the coordinator; its answer is lost."""
        if not self._active(state):
            return None
        tid = self.tid_of(late.instance)
        meta = state.coord.metas[tid]
        busy = state.coord.pending[tid].offset >= 0
        err, rec = self.protocol.end_request(tid, meta, busy, late.epoch, late.commit)
        what = "commit" if late.commit else "abort"
        label: Action = ("LateEndTxn", f"P{late.instance}", f"{what} e{late.epoch}")
        if rec is None:
            return (*label, tc.ERROR_NAMES[err]), state
        nxt = self._append_log(state, tid, rec, tc.REPLY_NOBODY)
        return None if nxt is None else ((*label, "prepares"), nxt)

    # -- reads (what a consumer fetching from the leader gets) ---------------------------

    def read(self, state: TxnState, p: int, isolation: str | None = None
             ) -> tuple[tuple[int, int], ...] | None:
        """(offset, record) pairs a consumer of data partition p gets from its leader now
        with ``isolation`` (default: isolation.level); None while p has no live leader."""
        leader = self._leader(state, p)
        if leader == NO_LEADER:
            return None
        part = state.cluster.parts[p]
        key = (part.logs[leader], part.hws[leader], isolation or self.isolation)
        cached = self._reads.get(key)
        if cached is None:
            cached = self._reads[key] = self.rules.consumer_read(key[0], key[1], self.data_codec,
                                                         key[2])
        return cached

    def lso(self, state: TxnState, p: int) -> int | None:
        """The last stable offset of data partition p (or the loop's offsets partition) at
        its leader (None: no leader)."""
        leader = self._leader(state, p)
        if leader == NO_LEADER:
            return None
        part = state.cluster.parts[p]
        codec = self.codec_of(p)
        key = (part.logs[leader], part.hws[leader], codec is self.data_codec)
        cached = self._lsos.get(key)
        if cached is None:
            cached = self._lsos[key] = self.rules.last_stable_offset(key[0], key[1], codec)
        return cached

    def records(self, state: TxnState, p: int) -> frozenset[int]:
        """The records (data entries) in data partition p's leader log."""
        leader = self._leader(state, p)
        if leader == NO_LEADER:
            return frozenset()
        log = state.cluster.parts[p].logs[leader]
        cached = self._records.get(log)
        if cached is None:
            values = self.data_codec.values
            cached = self._records[log] = frozenset(
                values[e & pt.RECORD_MASK].rec for e in log
                if values[e & pt.RECORD_MASK].kind == ptx.DATA)
        return cached

    def kept(self, state: TxnState, p: int) -> frozenset[int]:
        """Records of data partition p's leader log with a copy no ABORT marker covers
        (visible, or still to be decided)."""
        leader = self._leader(state, p)
        if leader == NO_LEADER:
            return frozenset()
        log = state.cluster.parts[p].logs[leader]
        cached = self._kept.get(log)
        if cached is None:
            codec = self.data_codec
            covered = set()
            for txn in ptx.transactions(log, codec):
                if txn.aborted:
                    covered.update(o for o in range(txn.first, txn.end)
                                   if codec.decode(log[o] & pt.RECORD_MASK).pid == txn.pid)
            cached = self._kept[log] = frozenset(
                codec.decode(e & pt.RECORD_MASK).rec for o, e in enumerate(log)
                if o not in covered and codec.decode(e & pt.RECORD_MASK).kind == ptx.DATA)
        return cached

    def aborted(self, state: TxnState, p: int) -> frozenset[int]:
        """Records of data partition p's leader log that an ABORT marker covers."""
        leader = self._leader(state, p)
        if leader == NO_LEADER:
            return frozenset()
        log = state.cluster.parts[p].logs[leader]
        cached = self._aborted.get(log)
        if cached is None:
            codec = self.data_codec
            out = set()
            for txn in ptx.transactions(log, codec):
                if txn.aborted:
                    for o in range(txn.first, txn.end):
                        e = codec.decode(log[o] & pt.RECORD_MASK)
                        if e.kind == ptx.DATA and e.pid == txn.pid:
                            out.add(e.rec)
            cached = self._aborted[log] = frozenset(out)
        return cached

    # -- properties and presentation ---------------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import transactions as props

        return props.transaction_properties(self)

    def action_families(self) -> tuple[str, ...]:
        return ("InitProducerId", "AddPartitions", "Produce", "SendOffsets", "DelayProduce",
                "DelaySendOffsets", "Expire", "Rejoin", "FetchOffset", "Poll", "Rebalance",
                "NewProducer", "Commit", "Abort", "AppAbort", "EndTxn", "DelayEndTxn", "Acked",
                "AckError", "MarkerWritten", "TxnLogCommitted", "TxnLogAppendFailed",
                "CompleteTxn", "WriteMarker", "AbortTimedOut", "LateProduce", "LateSendOffsets",
                "LateEndTxn",
                *(f for f in self.repl.action_families() if f not in REPLICATION_PRODUCE))

    def fault_model(self) -> FaultModel:
        base = self.repl.fault_model()
        explored = [f for f in base.explored if f[0] != "leader move"]
        missing = [f for f in base.not_explored if f != "leader move"]
        for bound in self.bounds:
            if bound.fault and bound.name != "crashes":
                budget = self.bound[bound.name]
                fault = bound.fault
                if fault == TRANSACTION_TIMEOUT and not budget and self.transactional:
                    # _coordinator_actions: an orphaned transaction times out all the same.
                    fault = TIMEOUT_OF_LIVE_TRANSACTION
                if budget > 0:
                    explored.append((fault, budget))
                else:
                    missing.append(fault)
        missing = [m for m in missing if m not in ("lost produce response",
                                                    "quick follower restart")]
        if self.loop and self.transactional and self.group_coordinator_offsets \
                and not has_fix(self.config.kafka_version, "KAFKA-17507"):
            missing.append(LATE_OFFSET_COMPLETION)
        return FaultModel(tuple(explored), tuple(missing) + self.faults_not_modelled)

    def interest(self, state: State) -> float:
        """Ingredients of the anomalies: faults spent, delayed requests delivered,
        transactions ended (a search heuristic for Hypothesis's targeting)."""
        b = self.bound
        budget = state.budget
        spent = (b["late_produces"] - budget.late_produces
                 + (self.late_commits - budget.late_commits if self.late_commits else 0)
                 + b["late_end_txns"] - budget.late_end_txns
                 + b["expiries"] - budget.expiries + b["aborts"] - budget.aborts)
        delivered = spent - len(state.late)
        ended = sum(prod.txn for prod in state.producers)
        return float(spent + 2 * delivered + ended)

    def notes(self) -> list[str]:
        # A loop without a transactional.id has no transactions: nothing to say of them.
        out = [f"protocol: {self.protocol.name}"] if self.transactional else []
        assumed = kafka_settings.feature_level_assumed(
            "transaction.version", self.config.explicit, self.tv, self.config.kafka_version)
        if self.transactional and assumed is not None:
            out[0] += f"; transaction.version={self.tv} {assumed}"
        if self.n == 1:
            out.append("replication.factor=1: one broker holds every partition, so a crash "
                       "stops the whole cluster until it restarts (the coordinator reloads "
                       f"its log); set {TXN_LOG_RF}=2 for a failover to another broker")
        if self.transactional and self.log_rf > 1 and self.bound["crashes"]:
            out.append("a crash of the coordinator's broker fails the coordinator over: "
                       "another replica of the transaction log leads and loads it")
        if self.n > 1 and self.log_rf != self.data_rf:
            where = ", ".join(f"{self.partition_name(q)} on "
                              f"{pt.mask_text(self.repl.replica_mask[q], self.n)}"
                              for q in range(len(self.repl.replicas)))
            out.append(f"{self.n} brokers; replicas: {where}")
        if self.transactional and self.tv >= 2:
            out.append("transaction.version=2 (KIP-890 part 2) is what 4.0+ producers run; "
                       "an older client on this cluster keeps the earlier protocol (4.0's "
                       "TransactionVersion takes its request versions as version 0): check "
                       "such clients with --set transaction.version=1 (or 0)")
        if self.loop and "auto.offset.reset" not in self.config.explicit:
            out.append("auto.offset.reset not set: the loop's consumers are taken to start "
                       "from the earliest offset, as they read inputs written before they "
                       "started; Kafka's default, latest, skips the inputs written before "
                       "the group's first commit (set auto.offset.reset=earliest, or see "
                       "what latest does with the group model)")
        if self.loop and self.transactional and self.kip447 and self.config.version < (4, 0):
            # KafkaProducer.sendOffsetsToTransaction(offsets, String groupId), deprecated in
            # 2.5 and removed in 4.0, sends generation -1 and no member id: the coordinator
            # then skips both checks (GroupCoordinator.doTxnCommitOffsets), as before KIP-447.
            out.append(f"Kafka {self.config.kafka_version}: the application is assumed to "
                       "call sendOffsetsToTransaction(offsets, consumer.groupMetadata()); "
                       "the String groupId overload (until 4.0) sends no generation, so a "
                       "zombie's offsets are accepted as before KIP-447 (--kafka-version "
                       "2.4 shows what that allows)")
        if self.loop and self.transactional and not self.kip447:
            out.append(f"Kafka {self.config.kafka_version}: before KIP-447 (2.5) a "
                       "transactional offset commit carries no generation, so a zombie "
                       "member's offsets are not fenced by the group; each member here has "
                       "its own transactional.id (the KIP-447 pattern); one transactional.id "
                       "per input partition, the older pattern, is not modelled")
        if self.loop and self.transactional and self.tv < 2 \
                and self.bound["late_offset_commits"]:
            # Before TV2 an application abort keeps the epoch, so a late TxnOffsetCommit of
            # an aborted transaction may land in the next one; one input per transaction
            # makes it carry the offset the retry commits anyway.
            out.append("late_offset_commits under transaction.version < 2: each transaction "
                       "of the loop commits one input, so a stale TxnOffsetCommit landing in "
                       "the next transaction carries the offset its retry commits; a stale "
                       "commit of a larger transaction (several inputs) over a smaller retry "
                       "is not explored")
        if self.transactional:
            out.append("transaction.timeout.ms: time is not modelled; the coordinator's "
                       "abort of a timed-out transaction can happen at any moment of an "
                       "ongoing transaction (bound 'timeouts'), which covers every value")
            if self.protocol.client_adds_partitions and self.slots > 1:
                out.append(self._adds_note())
            if self.log_rf == self.data_rf:
                out.append(f"the transaction log has {self.data_rf} replica(s), as many as "
                           f"the data topic (replication.factor); Kafka's {TXN_LOG_RF} "
                           "default is 3: set it to check another count")
            log_min = self.config.setting(TXN_LOG_MIN_ISR, 2)
            if self.kafka["min.insync.replicas"] < log_min:
                out.append(f"the transaction log runs min.insync.replicas="
                           f"{self.kafka['min.insync.replicas']}, as the data topic, below "
                           f"Kafka's {TXN_LOG_MIN_ISR}={log_min}: it takes writes Kafka's "
                           "log refuses (NOT_ENOUGH_REPLICAS), so a violation through the "
                           "transaction log may be one Kafka cannot show; set "
                           f"min.insync.replicas={log_min} to check Kafka's log")
        if self.n > 1:
            out += self.repl.mode_notes()
        return out

    def _adds_note(self) -> str:
        """How the client's AddPartitionsToTxn requests are modelled (protocol.split_adds)."""
        what = "partitions" if not self.loop else "output partition and offsets"
        if self.protocol.split_adds:
            return (f"Kafka {self.config.kafka_version}, before KAFKA-6119 (0.11.0.2): the "
                    f"{what} of a transaction are added in separate requests or together "
                    "(AddPartitionsToTxn per send(), AddOffsetsToTxn), so a timeout abort, "
                    "which keeps the epoch, can fall between two adds")
        return (f"the {what} of a transaction are added in one request (an abstraction: "
                "Kafka may add them one send() at a time, but a transaction ended behind "
                "the producer's back, by a timeout or a new instance, bumps the epoch since "
                "KAFKA-6119, so a later add is fenced like every later request)")

    def effective_settings(self) -> dict[str, Any]:
        """The transaction log's replica count as checked: replication.factor unless
        transaction.state.log.replication.factor is given (the notes say why); a
        transactional producer's idempotence and acks=all, as ProducerConfig sets them."""
        out = {**self.config.kafka, TXN_LOG_RF: self.log_rf}
        if self.loop:
            out["auto.offset.reset"] = "earliest"  # what the loop runs (covered_values)
        if self.transactional:
            # Before 3.2 ProducerConfig turns idempotence on for a transactional.id, with
            # acks and retries left unset (effective_idempotence).
            out.update(self.producer_overrides)
        return out

    def log_text(self, payload: int) -> str:
        """A transaction-log record as text."""
        rec = self.log_codec.decode(payload)
        if self.tids > 1:
            return f"t{rec.tid}:" + self._log_text(rec)
        return self._log_text(rec)

    def _log_text(self, rec: tc.TxnRecord) -> str:
        if rec.kind == tc.INIT:
            return f"Empty e{rec.epoch}"
        if rec.kind == tc.ADD:
            return "Ongoing +" + self._slots_text(rec.parts)[1:-1].replace(" ", "")
        if rec.kind == tc.PREPARE:
            return f"{'PrepareCommit' if rec.commit else 'PrepareAbort'} e{rec.epoch}"
        return "CompleteCommit" if rec.commit else "CompleteAbort"

    def entry_text(self, payload: int, q: int = 0) -> str:
        """An entry of data partition (or the offsets partition) ``q`` as text."""
        e = self.codec_of(q).decode(payload)
        pid = f"P{e.pid}:" if (self.tids > 1 or not self.transactional) \
            and e.pid != ptx.NO_PRODUCER_ID else ""
        if e.kind == ptx.MARKER:
            return f"{pid}{'COMMIT' if e.commit else 'ABORT'}(e{e.epoch})"
        if self.loop and q == self.OFF:
            return f"{pid}offset={e.rec}" + (f"(e{e.epoch})" if e.transactional else "")
        name = f"out{e.rec}" if self.loop else f"r{e.rec}"
        return f"{pid}{name}(e{e.epoch}s{e.seq})"

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {}
        cluster = state.cluster
        out["alive"] = pt.mask_text(cluster.alive, self.n)
        for q, part in enumerate(cluster.parts):
            name = self.partition_name(q)
            leader = part.leader
            out[f"{name}.leader"] = "none" if leader == NO_LEADER else pt.broker_name(leader)
            for b in self.repl.replicas[q]:
                if q == self.TXN:
                    log = " ".join(self.log_text(e & pt.RECORD_MASK) for e in part.logs[b])
                else:
                    log = " ".join(self.entry_text(e & pt.RECORD_MASK, q) for e in part.logs[b])
                out[f"{name}.{pt.broker_name(b)}"] = f"{log or 'empty'} | hw {part.hws[b]}"
            if q < self.P:
                out[f"{name}.lso"] = str(self.lso(state, q))
        coord = state.coord
        out["coordinator"] = "not loaded" if coord.epoch < 0 else f"epoch {coord.epoch}"
        for tid, meta in enumerate(coord.metas[:self.tids]):
            parts = self._slots_text(meta.parts)[1:-1]
            pend = coord.pending[tid]
            extra = f", pending {self.log_text(pend.payload)}" if pend.offset >= 0 else ""
            marks = coord.markers[tid]
            if marks:
                extra += ", markers to " + self._slots_text(marks)
            out[f"txn{tid}"] = f"{tc.STATE_NAMES[meta.state]} e{meta.epoch} {{{parts}}}{extra}"
        for i, prod in enumerate(state.producers):
            batches = " ".join(f"{'offsets' if p == self.P else f'p{p}'}:{tp.BATCH_NAMES[s]}"
                               for p, s in enumerate(prod.batches) if s != tp.IDLE)
            flags = (" abortable" if prod.abortable else "") + (" bump" if prod.bump else "")
            out[f"P{i}"] = (f"{tp.PHASE_NAMES[prod.phase]} e{prod.epoch} txn {prod.txn} "
                            f"[{batches}]{flags}")
        for k, o in enumerate(state.outcomes):
            inst, txn = self.txn_of_record(k)
            out[f"P{inst}.txn{txn}"] = tp.OUTCOME_NAMES[o]
        if self.loop:
            out["group"] = (f"generation {state.group.generation}, input owned by "
                            f"P{state.group.owner}")
            for i, m in enumerate(state.members):
                pos = "to fetch" if m.position == tl.NO_POSITION else str(m.position)
                doing = f", processing input {m.input}" if m.input != tl.NO_POSITION else ""
                owns = "owns the input" if m.owns else "no partition"
                out[f"P{i}.member"] = f"generation {m.generation}, {owns}, position {pos}{doing}"
        if state.late:
            out["delayed"] = ", ".join(
                (f"offset commit P{late.instance} offset {late.rec} e{late.epoch} "
                 f"generation {late.seq}"
                 if late.kind == LATE_PRODUCE and late.part == self.P else
                 f"produce P{late.instance} p{late.part} e{late.epoch}s{late.seq}"
                 if late.kind == LATE_PRODUCE else
                 f"EndTxn P{late.instance} {'commit' if late.commit else 'abort'} e{late.epoch}")
                for late in state.late)
        return out

    def format_value(self, name: str, value: Any) -> str:
        return value if isinstance(value, str) else repr(value)

    def participants(self) -> tuple[str, ...]:
        return (*(f"P{i}" for i in range(self.I)), "Coordinator",
                *(pt.broker_name(b) for b in range(self.n)))

    def topic_message(self, action: Action, before: State, after: State) -> Message:
        """This model's arrow for an action whose partitions a subclass names by topic
        (``partition_name``): drawn with the numbered names, shown with the topic ones."""
        numbered = {self.partition_name(q): f"p{q}" for q in range(len(before.cluster.parts))}
        plain = tuple(numbered.get(a, a) if isinstance(a, str) else a for a in action)
        arrow = TransactionsModel.message(self, plain, before, after)
        return Message(arrow.source, arrow.target,
                       arrow.text.replace(" ".join(map(str, plain[1:])),
                                          " ".join(map(str, action[1:]))))

    def _part_named(self, name: str) -> int:
        """The cluster partition an action names: p0, offsets (the loop's), txnlog."""
        for q in range(len(self.repl.replicas)):
            if self.partition_name(q) == name:
                return q
        return int(name[1:])

    def message(self, action: Action, before: State, after: State) -> Message:
        name = action[0]
        text = " ".join(str(a) for a in action[1:])
        if name in ("Produce", "Expire", "LateProduce", "Acked"):
            p = self._part_named(action[2])
            leader = before.cluster.parts[p].leader
            target = pt.broker_name(leader) if leader != NO_LEADER else "Coordinator"
            src = action[1]
            if name == "Acked":
                return Message(target, src, f"ack {action[2]}")
            return Message(src, target, f"{name} {' '.join(str(a) for a in action[2:])}")
        if name in ("InitProducerId", "AddPartitions", "Commit", "Abort", "EndTxn",
                    "LateEndTxn"):
            return Message(action[1], "Coordinator", f"{name} {' '.join(map(str, action[2:]))}")
        if name in ("WriteMarker", "MarkerWritten"):
            p = self._part_named(action[1])
            leader = before.cluster.parts[p].leader
            target = pt.broker_name(leader) if leader != NO_LEADER else "Coordinator"
            return Message("Coordinator", target, f"{name} {text}")
        if name in ("TxnLogCommitted", "TxnLogAppendFailed", "CompleteTxn", "AbortTimedOut",
                    "AckError"):
            return Message("Coordinator", "Coordinator", f"{name} {text}")
        return Message("Coordinator", "Coordinator", f"{name} {text}")


TXN_LOG_RF = "transaction.state.log.replication.factor"


def txn_timeout_problem(timeout: int, maximum: int, key: str = "transaction.timeout.ms"
                        ) -> str | None:
    """TransactionStateManager.validateTransactionTimeoutMs: a transactional producer whose
    timeout exceeds the broker's transaction.max.timeout.ms fails initTransactions() with
    INVALID_TRANSACTION_TIMEOUT, a fatal error."""
    if timeout <= maximum:
        return None
    return (f"InvalidTxnTimeoutException: {key} {timeout} exceeds the broker's "
            f"transaction.max.timeout.ms {maximum}: InitProducerId refuses it "
            "(INVALID_TRANSACTION_TIMEOUT)")


def first_given(config: Config, keys: Sequence[str]) -> str | None:
    """The first of ``keys`` the run was given (a client key, prefixed first), or None."""
    return next((k for k in keys if k in config.explicit), None)


def client_txn_timeout_problem(config: Config, keys: Sequence[str], default: int
                               ) -> str | None:
    """The same for an application's transactional producer, whose timeout is the first
    of ``keys`` given (or ``default``, the application's own)."""
    key = first_given(config, keys)
    timeout = int(config.setting(key, default)) if key else default
    maximum = int(config.setting("transaction.max.timeout.ms", 900000))
    return txn_timeout_problem(timeout, maximum, key or "transaction.timeout.ms")
TXN_LOG_MIN_ISR = "transaction.state.log.min.isr"
TXN_LOG_MIN_ISR_REASON = (
    "it is __transaction_state's min.insync.replicas (TransactionLogConfig), and this model "
    "gives the transaction log the data topic's min.insync.replicas: set both alike; a "
    "stricter log than Kafka's would refuse writes Kafka takes, and hide their losses")


TXN_ID_EXPIRY = "transactional.id.expiration.ms"


def txn_id_expiry_uncovered(given: Mapping[str, Any], version: tuple[int, int]
                            ) -> dict[str, Any]:
    """Before KIP-854 (3.4) transactional.id.expiration.ms also expired the producer ids at
    the partition leaders (ProducerStateManager), which never happens in these models: a
    value other than the default is not covered there."""
    value = given.get(TXN_ID_EXPIRY)
    if tuple(version[:2]) >= (3, 4) or value is None or \
            value == kafka_settings.default_for(TXN_ID_EXPIRY, version):
        return {}
    return {TXN_ID_EXPIRY: value}


def txn_log_min_isr_uncovered(given: Mapping[str, Any],
                              version: tuple[int, int]) -> dict[str, Any]:
    """transaction.state.log.min.isr when the log's min ISR this model runs
    (min.insync.replicas) differs from it as given, or is stricter than Kafka's default 2:
    a run that refuses writes Kafka's log takes cannot speak for it. A weaker log is run
    (and noted): it takes writes Kafka refuses."""
    runs = given.get("min.insync.replicas",
                     kafka_settings.default_for("min.insync.replicas", version))
    kafka = given.get(TXN_LOG_MIN_ISR, kafka_settings.default_for(TXN_LOG_MIN_ISR, version))
    if runs == kafka or (TXN_LOG_MIN_ISR not in given and runs < kafka):
        return {}
    return {TXN_LOG_MIN_ISR: kafka}


def transaction_log_rf(config: Config) -> int:
    """Replicas of __transaction_state: the setting when given, else replication.factor
    (Kafka's default of 3 would need three brokers in every check)."""
    if TXN_LOG_RF in config.explicit:
        return config.kafka[TXN_LOG_RF]
    return config.kafka["replication.factor"]

# The replication model's own produce path, switched off here (records=0).
REPLICATION_PRODUCE = frozenset({"Produce", "Ack", "AckError", "AckLost", "ProduceTimeout"})



def _unsent(prod: Producer) -> bool:
    """Nothing of the transaction was sent: an abort ends it without EndTxn."""
    return all(s in (tp.TODO, tp.IDLE) for s in prod.batches)


def _codecs(config: Config, bumps: int = 1, *, restarts: int = 0,
            values: int = 0) -> tuple[ptx.Codec, ptx.Codec, ptx.Codec]:
    """The payload layouts of the data partitions, the transaction log and the offsets
    partition for this configuration (ValueError when a layout would not fit).

    Epochs of a transactional.id go up by one per InitProducerId (each instance once, a
    retry after each coordinator failover, the fence of another instance's open
    transaction), per transaction timeout, and per transaction: its EndTxn with version 2,
    or the client's KIP-360 bump after a failed batch with version 1.  Sequences: the
    batches one epoch of a producer writes to one partition.  A model built on the loop
    may add application ``restarts`` (an InitProducerId and a pass over the inputs each)
    and ``values``: distinct record values, when a record carries more than its input.
    """
    k, b = config.kafka, config.bounds
    transactional = bool(k["transactional.id"])
    tv2 = k["transaction.version"] >= 2
    inputs, instances, partitions = b["inputs"], b["instances"], b["partitions"]
    loop = inputs > 0
    failovers = b["crashes"] + b["coordinator_moves"]
    if loop:
        # A member's transactions: each input once, again after each fault that ends one.
        cycles = inputs * (1 + b["rebalances"] + b["expiries"] + b["aborts"]
                           + b["late_produces"] + b.get("late_offset_commits", 0)
                           + b["late_end_txns"] + failovers + b["timeouts"] + restarts)
        inits = 1 + failovers + b["timeouts"] + restarts
    else:
        cycles = instances * b["transactions"]
        inits = instances + (instances - 1) + instances * failovers
    # ``bumps``: per transaction, the EndTxn bump, the client's, or (a test hybrid) both.
    epochs = inits + b["timeouts"] + bumps * cycles if transactional else 1
    if transactional and tv2 and not has_fix(config.kafka_version, "KAFKA-19367"):
        epochs += inits + b["timeouts"]  # 4.0.0: each fence bumps twice
    if tv2 and transactional:
        seqs = 1
    elif loop:
        seqs = cycles
    else:
        seqs = b["transactions"]
    tids = (instances if loop else 1) if transactional else 1
    pids = tids if transactional else instances
    recs = values or (inputs if loop else instances * b["transactions"])
    slots = partitions + (1 if loop else 0)
    if transactional or effective_idempotence(config)[0]:
        data = ptx.data_codec(pids, epochs, seqs, recs, transactional)
    else:  # RecordBatch.NO_PRODUCER_ID: no epoch, no sequence
        data = ptx.Codec([ptx.data(ptx.NO_PRODUCER_ID, 0, 0, r, False) for r in range(recs)],
                         "a data partition")
    return (data,
            tc.log_codec(tids, epochs, slots),
            tl.offsets_codec(pids, epochs, inputs, transactional))
