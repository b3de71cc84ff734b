"""Partition replication: brokers, ISR, high watermark, leader epochs, acks, truncation.

The question it answers: with these settings, can an acknowledged write be lost when
brokers fail?  The controller is abstracted here as atomic decisions (fence a dead
broker, elect a leader), taken with what it knows: a crash only once it has fenced the
broker; the `controller` model makes it explicit.  Every partition rule
is the partition component's (``model/cluster/partition.py``), picked by Kafka version.
Sources: the Kafka documentation section "Replication", kafka.cluster.Partition,
KIP-101, KIP-279, KIP-841 (the last ISR member stays in the ISR), KIP-966 (Eligible
Leader Replicas, unclean shutdown), KAFKA-15583 (strict min ISR).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import product
from typing import Any, ClassVar, NamedTuple

from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster import symmetry as sym
from kafkacheck.model.cluster.partition import (
    NO_LEADER,
    NONE,
    NOT_ENOUGH_REPLICAS,
    WAITING,
    Change,
    PartitionRules,
    PartitionState,
    broker_name,
    mask_text,
    put,
)
from kafkacheck.model.interface import (
    POWER_LOSS,
    PROCESS_CRASH,
    Action,
    Bound,
    FaultModel,
    Message,
    Model,
    State,
)
from kafkacheck.model.settings import LONG_MAX, QUORUM_KEYS, feature_level_assumed
from kafkacheck.model.versions import has_fix
from kafkacheck.properties.base import Property, vacuous_unless

CRASH_KINDS = ("process", "power-loss", "any")
ISR_UPDATES = ("atomic", "in-flight")
RESTART_WAITS = ("isr", "none")
SLOW_FOLLOWERS = ("any", "none")
SLOW_FOLLOWER = "slow follower (a running follower leaves the ISR)"
TRUNCATION_CHOICES = ("version", *pt.TRUNCATION_RULES)
FETCH_CHOICES = ("version", "whole", "one-batch")
DISK_LOSS = "disk loss (a broker restarts with an empty log directory)"
LOST_ALTER_RESPONSE = "lost AlterPartition response"
CONTROLLED_SHUTDOWN = "controlled shutdown and restart (rolling restart)"
# A produce whose answer (acks=1) or request (acks=0) is lost: its own action names, so
# that coverage shows whether the lost_acks fault fired.
LOST_PRODUCE = {"ProduceResponseLost": " (response lost)", "ProduceRequestLost": " (request lost)"}
ALTER_PARTITION_RACE = ("an AlterPartition decided after its new ISR member restarted or was "
                        "fenced (the KIP-841/KIP-903 race; isr_updates=in-flight)")
# KRaft before 4.0: a new incarnation registering after the old one's session expired, before
# the controller fenced it, keeps its ISR membership and leadership (ClusterControlManager
# .registerBroker: handleBrokerUncleanShutdown changes nothing without ELR; read in 3.9.0).
REREGISTRATION_RACE = ("a broker registering again after its session expired, before the "
                       "controller fenced it (KRaft before 4.0 keeps it in the ISR and as leader)")

_new = tuple.__new__

__all__ = ["AlterRequest", "Operations", "ReplicationModel", "ReplicationState", "broker_name",
           "mask_text"]


class AlterRequest(NamedTuple):
    """An AlterPartition request on its way to the controller (AlterPartitionManager)."""

    leader: int  # the broker that sent it
    leader_epoch: int
    isr: int  # the ISR it proposes
    current: bool  # its partition epoch is still the registered one (nothing committed since)
    epochs: int  # members whose broker epoch it carries (-1 for the others: not checked)
    stale: int  # members among those that registered again since (a new broker epoch)


class Operations(NamedTuple):
    """Operator events and the AlterPartition exchange: budgets left, brokers down after a
    controlled shutdown, and per partition the ISR its leader proposed (-1: none in flight)
    and the requests on their way to the controller (oldest first)."""

    disk_losses: int
    shutdowns: int
    lost_alter: int  # AlterPartition responses that may still be lost
    clean: int  # brokers down after a controlled shutdown (bitmask)
    proposed: tuple[int, ...]
    requests: tuple[tuple[AlterRequest, ...], ...]
    early_registrations: int = 0  # REREGISTRATION_RACE budget left


class ReplicationState(NamedTuple):
    """The cluster as the replication model sees it, with fault budgets left."""

    alive: int  # brokers whose process runs (bitmask)
    fenced: int  # brokers the controller fenced (bitmask)
    crashes: int
    leader_changes: int
    next_record: int
    lost_acks: int
    bounces: int
    parts: tuple[PartitionState, ...]
    ops: Operations | tuple  # () when no operator event or in-flight ISR change is modelled


NETWORK_PARTITION = "network partition (see the controller model)"
NO_PARTITION_MODEL = ("network partition (no model here explores it for this cluster: the "
                      "controller model runs KRaft clusters of Kafka 3.3 and later)")


class ReplicationModel(Model):
    """Replicated partitions over brokers that crash, restart and lose unflushed data."""

    name = "replication"
    # Another model's actions write the records (an embedding producer or transactional
    # client, with this model's own produce path off at records=0): its record properties
    # are then not vacuous.
    external_writes: ClassVar[bool] = False
    summary = "Partition replication: ISR, high watermark, leader epochs, acks, elections"
    source = ("Kafka docs 'Replication'; kafka.cluster.Partition; PartitionChangeBuilder; "
              "KIP-101, KIP-279, KIP-841, KIP-966, KAFKA-15583")
    # Its controller is an atomic step of a correct quorum: the quorum's keys change
    # nothing here (the controller model runs one).
    abstracted: ClassVar[tuple[str, ...]] = QUORUM_KEYS
    settings = (
        "replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "acks",
        "process.roles",
        "flush.messages",
        "log.flush.interval.messages",
        "eligible.leader.replicas.version",
    )
    key_settings = ("acks", "min.insync.replicas", "replication.factor",
                    "unclean.leader.election.enable")
    faults_not_modelled = (NETWORK_PARTITION,
                           "a log directory failing under a running broker (JBOD, KIP-858)")
    bounds = (
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=4),
        Bound("records", 2, "records the producer sends in all", minimum=0, maximum=60),
        Bound("crashes", 1, "broker crashes in the fault budget", minimum=0, fault="broker crash"),
        Bound("crash_kind", "any",
              "process: the page cache survives (kill -9); power-loss: unflushed data is "
              "lost; any: either", choices=CRASH_KINDS),
        Bound("leader_changes", 0, "leadership moves without a crash (preferred-leader "
              "election, controlled shutdown)", minimum=0, fault="leader move"),
        Bound("lost_acks", 0, "produce responses lost on the way to the client (acks=0: "
              "produce requests lost after the send succeeded)", minimum=0,
              fault="lost produce response",
              injected_by=("AckLost|ProduceResponseLost|ProduceRequestLost",)),
        Bound("bounces", 0, "quick follower restarts inside the controller's session timeout: "
              "the broker keeps its ISR membership (ZooKeeper-era controllers; the KIP-101 "
              "scenario)", minimum=0, fault="quick follower restart"),
        Bound("truncation", "version", "how a new follower truncates: version (the rule of "
              "--kafka-version), or an explicit override: leader-epoch (KIP-101 + KIP-279), "
              "kip101 (0.11), high-watermark (before 0.11)", choices=TRUNCATION_CHOICES),
        Bound("fetch", "version", "what a fetch response carries: whole (everything the "
              "follower misses), one-batch (that, or only the next batch: "
              "replica.fetch.max.bytes reached, or nothing: a response lost after the "
              "leader processed the request), version (one-batch before KAFKA-7128's "
              "ISR join check, 2.0.1 and 2.1; whole from them)", choices=FETCH_CHOICES),
        Bound("disk_losses", 0, "brokers that stop and lose their log directory (a replaced "
              "disk): they restart empty, as a new incarnation with a new broker epoch",
              minimum=0, fault=DISK_LOSS, injected_by=("DiskLoss",)),
        Bound("isr_updates", "atomic", "atomic: the leader's ISR change and the controller's "
              "decision are one step; in-flight: the leader sends AlterPartition and counts "
              "its maximal ISR until the controller's answer (KIP-497, from 2.7)",
              choices=ISR_UPDATES),
        Bound("lost_alter_responses", 0, "AlterPartition responses lost on the way back: the "
              "leader resends the same request (with isr_updates=in-flight)", minimum=0,
              fault=LOST_ALTER_RESPONSE, injected_by=("AlterPartitionResponseLost",)),
        Bound("rolling_restarts", 0, "controlled shutdowns, each followed by a restart when "
              "the operator chooses (a rolling restart: leadership moves away first, logs are "
              "flushed)", minimum=0, fault=CONTROLLED_SHUTDOWN,
              injected_by=("ControlledShutdown",)),
        Bound("slow_followers", "any", "any: a running follower behind the leader may leave "
              "the ISR (replica.lag.time.max.ms); none: followers keep up while they run, "
              "only stopped ones leave", choices=SLOW_FOLLOWERS),
        Bound("restart_wait", "isr", "isr: a broker is shut down only once every replica is "
              "back in the ISR (under-replicated partitions = 0); none: at any time",
              choices=RESTART_WAITS),
        Bound("early_registrations", 0, "crashed brokers that register again after their "
              "session expired, before the controller fenced them (KRaft 3.3-3.9 keeps them "
              "in the ISR and as leader; 4.0 fences them)", minimum=0),
        Bound("symmetry", 0, "1: explore one state per renaming of the brokers and partitions "
              "that the replica assignment cannot tell apart (counts are then of classes)",
              minimum=0, maximum=1),
    )
    fault_actions: ClassVar[dict[str, tuple[str, ...]]] = {
        REREGISTRATION_RACE: ("EarlyRegistration",)}
    # Test mutants add one-rule overrides of the partition component here (tests/mutants).
    rule_mixins: ClassVar[tuple[type, ...]] = ()

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """rolling_restarts explores controlled shutdowns only (leadership moves away first):
        with controlled.shutdown.enable=false BrokerServer.shutdown skips that step, which
        the model does not explore."""
        out: dict[str, Any] = {}
        restarts = bounds.get("rolling_restarts", 0) > 0
        if restarts and given.get("controlled.shutdown.enable", True) is False:
            out["controlled.shutdown.enable"] = False
        return out

    @classmethod
    def validate_config(cls, config: Any) -> str | None:
        b = config.bounds
        if b.get("symmetry") and (b["isr_updates"] == "in-flight" or any(
                b[k] for k in ('disk_losses', 'lost_alter_responses', 'rolling_restarts',
                               'early_registrations'))):
            return ("symmetry=1 does not rename the failure-mode state (AlterPartition in "
                    "flight, broker epochs, shut-down brokers) yet: drop symmetry there")
        rf = config.kafka["replication.factor"]
        if rf > 5:
            return f"replication.factor={rf} is beyond exhaustive reach here (at most 5)"
        b = config.bounds
        if b.get("isr_updates") == "in-flight" and config.version < (2, 7):
            return (f"isr_updates=in-flight: AlterIsr (KIP-497) arrived in Kafka 2.7; Kafka "
                    f"{config.kafka_version} writes ISR changes at once (isr_updates=atomic)")
        if b.get("lost_alter_responses", 0) > 0 and b.get("isr_updates") != "in-flight":
            return "lost_alter_responses needs --bound isr_updates=in-flight"
        if b.get("bounces", 0) > 0 and kraft_cluster(config):
            # 4.0+: every new incarnation leaves its ISRs as it registers
            # (ClusterControlManager.registerBroker, handleBrokerShutdown); 3.x KRaft refuses
            # a registration while the old session is valid, and a later one is the
            # early_registrations race.
            return ("bounces: a KRaft broker that restarts leaves its ISRs when it registers "
                    "again, so a quick restart keeping its ISR membership is ZooKeeper's "
                    "(a --kafka-version before 4.0 without process.roles)"
                    + ("; KRaft 3.x's late re-registration is --bound early_registrations=1"
                       if config.version < (4, 0) else ""))
        if b.get("early_registrations", 0) > 0 and not _kraft_before_4(config):
            return ("early_registrations: only a KRaft cluster before 4.0 keeps a broker that "
                    "registers again before it was fenced in its ISRs (4.0 fences it; set "
                    "process.roles for KRaft 3.x, or use bounces for a ZooKeeper cluster)")
        if config.version >= (0, 11):
            # A producer Kafka cannot build is refused as the producer model refuses it
            # (ProducerConfig.postProcessAndValidateIdempotenceConfigs): a transactional.id
            # or enable.idempotence=true with acks=1.
            from kafkacheck.model.clients.producer import effective_idempotence

            error = effective_idempotence(config)[1]
            if error:
                return f"ConfigException: {error}"
        return elr_problem(config)

    def __init__(self, config: Any, replicas: Sequence[int] | None = None) -> None:
        """``replicas``: an embedding model's replica count per partition (topics with
        their own replication factor, such as ``__transaction_state``); the brokers are
        then as many as the largest count, and replication.factor must equal it."""
        super().__init__(config)
        k = self.kafka
        self.version = config.version
        self.n = k["replication.factor"]
        # ZooKeeper or KRaft: 4.0 runs KRaft only; before, a given process.roles names a
        # KRaft cluster and none a ZooKeeper one.  Two modelled rules differ: KIP-903 (KRaft
        # only) and unclean.leader.election.enable, which a KRaft controller reads only
        # from 3.9 (KAFKA-12670).  ZooKeeper's is the more permissive reading of both.
        # process.roles exists from 2.8 (KIP-631, KafkaConfig); an older broker ignores it,
        # and empty (Kafka's default, KRaftConfigs) is ZooKeeper mode before 4.0.
        self.kraft = kraft_cluster(config)
        self.unclean = k["unclean.leader.election.enable"] and (
            not self.kraft or has_fix(config.kafka_version, "KAFKA-12670"))
        # Partitions whose topic forces unclean.leader.election.enable=false whatever the
        # broker says (an embedding sets it: __transaction_state).
        self.clean_only: frozenset[int] = frozenset()
        self.acks = k["acks"]
        # KIP-966 Eligible Leader Replicas (Kafka 4.0 opt-in, 4.1+ default on new clusters).
        self.elr = k.get("eligible.leader.replicas.version", 0) == 1
        flush = k["flush.messages"] if "flush.messages" in config.explicit else \
            k["log.flush.interval.messages"]
        # flush.messages=0 (before 3.3) flushes every append, as 1 does
        self.flush_every = pt.NEVER if flush >= LONG_MAX else max(flush, 1)
        if self.flush_every == 1:
            # Every append fsynced: either crash kind, fired, explores both (fault_model).
            either = ("Crash|PowerLoss",)
            self.fault_actions = {**self.fault_actions, PROCESS_CRASH: either,
                                  POWER_LOSS: either}
        b = self.bound
        self.partitions = b["partitions"]
        self.max_records = b["records"]
        self.crash_kind = b["crash_kind"]
        power = self.crash_kind != "process" and b["crashes"] > 0
        truncation = None if b["truncation"] == "version" else b["truncation"]
        cls = pt.rules_class(self.version, self.elr, truncation, self.rule_mixins,
                             config.kafka_version, zookeeper=not self.kraft)
        self.rules: PartitionRules = cls(
            self.n, k["min.insync.replicas"], self.acks, self.flush_every,
            track_flush=power and 1 < self.flush_every < pt.NEVER)
        self.min_isr = self.rules.min_isr
        self.rule = pt.truncation_name(cls)
        self.truncation_overridden = truncation is not None
        # A fetch response may carry only the next batch: needed where the release's ISR join
        # rule lacks KAFKA-7128's check (a follower with a partial suffix may join).
        self.fetch = b["fetch"]
        self.join_fixed = has_fix(config.kafka_version, "KAFKA-7128")
        self.one_batch = self.fetch == "one-batch" or (
            self.fetch == "version" and not self.join_fixed)
        # Replica assignment: partition p's replicas start at broker p (round robin), the
        # first ``replicas[p]`` of the rotation when partitions differ in replica count.
        counts = tuple(replicas) if replicas is not None else (self.n,) * self.partitions
        if len(counts) != self.partitions or max(counts) != self.n or min(counts) < 1:
            raise ValueError(f"replica counts {counts} for {self.partitions} partitions "
                             f"over {self.n} brokers")
        self.order = [tuple((p + i) % self.n for i in range(counts[p]))
                      for p in range(self.partitions)]
        # Each partition's replicas in broker order (the order successors are listed in).
        self.replicas = tuple(tuple(sorted(order)) for order in self.order)
        self.replica_mask = tuple(sum(1 << b for b in order) for order in self.order)
        self.everyone = (1 << self.n) - 1
        self.names = tuple(broker_name(b) for b in range(self.n))
        self.async_isr = b["isr_updates"] == "in-flight"
        self.restart_wait = b["restart_wait"]
        self.slow_followers = b["slow_followers"] == "any"
        self.operations = self.async_isr or b["disk_losses"] > 0 or b["rolling_restarts"] > 0 \
            or b["early_registrations"] > 0
        self.fetch_labels = tuple(tuple(self._label("Fetch", p, name) for name in self.names)
                                  for p in range(self.partitions))
        self.one_batch_labels = tuple(tuple(self._label("FetchOneBatch", p, name)
                                            for name in self.names)
                                      for p in range(self.partitions))
        self.response_lost_labels = tuple(tuple(self._label("FetchResponseLost", p, name)
                                                for name in self.names)
                                          for p in range(self.partitions))
        # Renamings that map every partition's replica order onto one (model/cluster/symmetry).
        self.renamings = sym.assignment_renamings(self.order, self.n)
        if b["symmetry"] and len(self.renamings) > 1:
            self.canonical = sym.replication_canonical(  # type: ignore[method-assign]
                self.renamings, self.n, ReplicationState)
            self.symmetry_note = sym.describe(self.renamings)
            self.symmetry_over = sym.renamed(self.renamings)

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        parts = tuple(self.rules.initial(self.order[p][0], self.replica_mask[p])
                      for p in range(self.partitions))
        b = self.bound
        ops: Operations | tuple = ()
        if self.operations:
            ops = Operations(b["disk_losses"], b["rolling_restarts"], b["lost_alter_responses"],
                             0, (-1,) * self.partitions, ((),) * self.partitions,
                             b["early_registrations"])
        return [ReplicationState(self.everyone, 0, b["crashes"], b["leader_changes"], 1,
                                 b["lost_acks"], b["bounces"], parts, ops)]

    def _label(self, name: str, p: int, *args: object) -> Action:
        return (name, *args, f"p{p}") if self.partitions > 1 else (name, *args)

    @staticmethod
    def _with_part(state: ReplicationState, p: int, part: PartitionState,
                   **changes: int) -> ReplicationState:
        parts = state.parts
        parts = parts[:p] + (part,) + parts[p + 1:]
        if changes:
            return state._replace(parts=parts, **changes)
        return _new(ReplicationState, (state.alive, state.fenced, state.crashes,
                                       state.leader_changes, state.next_record,
                                       state.lost_acks, state.bounces, parts, state.ops))

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        alive = state.alive
        if state.ops:
            yield from self._with_operations(state)
            return
        for p, part in enumerate(state.parts):
            yield from self._partition_actions(state, p, part, alive)
        yield from self._broker_actions(state, alive, state.fenced, state.parts)

    def _partition_actions(self, state: ReplicationState, p: int, part: PartitionState,
                           alive: int) -> Iterator[tuple[Action, State]]:
        rules = self.rules
        leader = part.leader
        leader_up = leader != NO_LEADER and alive >> leader & 1
        maximal = -1
        if state.ops and state.ops.proposed[p] >= 0:
            maximal = rules.maximal_isr(part.isr, state.ops.proposed[p])
        if leader_up:
            if state.next_record <= self.max_records:
                yield from self._produce(state, p, part, maximal)
            if part.pending:
                yield from self._acks(state, p, part, maximal)
            synced, epoch = part.synced, part.epoch
            for f in self.replicas[p]:
                if f == leader or not alive >> f & 1:
                    continue
                if synced[f] == epoch:
                    nxt = rules.fetch(part, f, maximal)
                    if nxt is not None:
                        yield (self.fetch_labels[p][f], self._with_part(state, p, nxt))
                        if self.one_batch:
                            nxt = rules.fetch_one_batch(part, f, maximal)
                            if nxt is not None:
                                yield (self.one_batch_labels[p][f],
                                       self._with_part(state, p, nxt))
                            nxt = rules.fetch_response_lost(part, f, maximal)
                            if nxt is not None:
                                yield (self.response_lost_labels[p][f],
                                       self._with_part(state, p, nxt))
                else:
                    yield self._become_follower(state, p, part, f)
            if self.async_isr:
                if state.ops.proposed[p] < 0:
                    yield from self._propose_isr_change(state, p, part, alive)
            elif rules.out_of_sync(part, alive) or alive & ~state.fenced & ~part.isr:
                yield from self._isr_changes(state, p, part, alive)
        elif leader != NO_LEADER and rules.truncates_alone:
            # Legacy followers truncate on becoming follower, whether or not the leader is up.
            for f in self.replicas[p]:
                if f != leader and alive >> f & 1 and part.synced[f] != part.epoch:
                    yield self._become_follower(state, p, part, f)
        eligible = self._acceptable(state.fenced)
        if leader == NO_LEADER:
            yield from self._offline_election(state, p, part, eligible)
        elif leader_up and state.leader_changes > 0:
            for b in range(self.n):
                if b != leader and part.isr >> b & 1 and eligible >> b & 1:
                    nxt = rules.elect(part, Change(b, part.isr, part.elr, NO_LEADER, "clean"))
                    yield (self._label("MoveLeader", p, broker_name(b)),
                           self._with_part(state, p, nxt,
                                           leader_changes=state.leader_changes - 1))

    def _produce(self, state: ReplicationState, p: int, part: PartitionState,
                 maximal: int = -1) -> Iterator[tuple[Action, State]]:
        """ProduceRequest to the leader: Partition.appendRecordsToLeader."""
        record = state.next_record
        if record > self.max_records:
            return
        rules = self.rules
        if rules.append_error(part.isr) == NOT_ENOUGH_REPLICAS:
            return  # NOT_ENOUGH_REPLICAS before the append: nothing is written
        nxt = rules.append(part, record, maximal)
        if self.acks == -1:
            offset = len(nxt.logs[nxt.leader]) - 1
            nxt = pt.with_pending(nxt, nxt.pending + ((record, offset),))
        base = _new(ReplicationState, (state.alive, state.fenced, state.crashes,
                                       state.leader_changes, record + 1, state.lost_acks,
                                       state.bounces, state.parts, state.ops))
        label = self._label("Produce", p, f"r{record}")
        if not rules.acknowledged_on_append():
            yield label, self._with_part(base, p, nxt)
            return
        yield label, self._with_part(base, p, rules.acknowledge(nxt, record))
        if state.lost_acks > 0:
            if self.acks == 1:
                # The leader appended; its response never reaches the producer.
                yield (("ProduceResponseLost", *label[1:]),
                       self._with_part(base, p, nxt, lost_acks=state.lost_acks - 1))
            else:
                # acks=0: the send succeeded at once; the request never reached the leader.
                yield (("ProduceRequestLost", *label[1:]),
                       self._with_part(base, p, rules.acknowledge(part, record),
                                       lost_acks=state.lost_acks - 1))
        if self.acks == 0 and state.crashes > 0:
            yield from self._crash_before_read(base, p, part, record)

    def _crash_before_read(self, base: ReplicationState, p: int, part: PartitionState,
                           record: int) -> Iterator[tuple[Action, State]]:
        """acks=0: the send completed once the request was written to the socket
        (Sender.handleProduceResponse: 'the acks = 0 case, just complete all requests');
        the leader crashes before it reads the request, which no log ever holds."""
        sent = self._with_part(base, p, self.rules.acknowledge(part, record))
        leader, before = part.leader, f"before reading r{record}"
        if self.crash_kind in ("process", "any"):
            yield ("Crash", self.names[leader], before), self._crash(sent, leader)
        if self.crash_kind in ("power-loss", "any"):
            for label, nxt in self._power_loss(sent, leader):
                yield (*label, before), nxt

    def _acks(self, state: ReplicationState, p: int, part: PartitionState,
              maximal: int = -1) -> Iterator[tuple[Action, State]]:
        """acks=all completion in the purgatory (DelayedProduce), or its expiry."""
        rules = self.rules
        stuck = rules.hw_waits(part, maximal)
        for i, (record, offset) in enumerate(part.pending):
            outcome = rules.ack_outcome(part, offset, maximal)
            if outcome == WAITING and not stuck:
                continue
            done = pt.with_pending(part, part.pending[:i] + part.pending[i + 1:])
            if outcome == WAITING:
                if stuck:
                    # DelayedProduce expires after request.timeout.ms and answers
                    # REQUEST_TIMED_OUT.
                    yield (self._label("ProduceTimeout", p, f"r{record}"),
                           self._with_part(state, p, done))
                continue
            if outcome == NONE:
                yield (self._label("Ack", p, f"r{record}"),
                       self._with_part(state, p, rules.acknowledge(done, record)))
            else:
                yield (self._label("AckError", p, f"r{record}",
                                   "NOT_ENOUGH_REPLICAS_AFTER_APPEND"),
                       self._with_part(state, p, done))
            if state.lost_acks > 0:
                yield (self._label("AckLost", p, f"r{record}"),
                       self._with_part(state, p, done, lost_acks=state.lost_acks - 1))

    def _become_follower(self, state: ReplicationState, p: int, part: PartitionState,
                         f: int) -> tuple[Action, State]:
        """A replica becoming follower truncates (ReplicaFetcherThread, KIP-101/KIP-279)."""
        offset, nxt = self.rules.become_follower(part, f)
        label = self._label("BecomeFollower", p, broker_name(f), f"truncate to {offset}")
        return label, self._with_part(state, p, nxt)

    def _isr_changes(self, state: ReplicationState, p: int, part: PartitionState,
                     alive: int) -> Iterator[tuple[Action, State]]:
        """AlterPartition from the leader: shrink a lagging follower, expand a caught-up one."""
        rules = self.rules
        isr = part.isr
        eligible = self._acceptable(state.fenced)
        order = self.order[p]
        out = self._out_of_sync(part, alive)
        for f in self.replicas[p]:
            bit = 1 << f
            if out & bit:
                ch = rules.change(part, isr & ~bit, eligible, order)
                yield (self._label("ShrinkIsr", p, broker_name(f)),
                       self._with_part(state, p, rules.apply_change(part, ch)))
            elif (not isr & bit and f != part.leader and alive & eligible & bit
                  and rules.may_join_isr(part, f)):
                ch = rules.change(part, isr | bit, eligible, order)
                yield (self._label("ExpandIsr", p, broker_name(f)),
                       self._with_part(state, p, rules.apply_change(part, ch)))

    def _out_of_sync(self, part: PartitionState, alive: int) -> int:
        """ISR followers the leader may drop: behind it, and (with slow_followers=none) not
        running (a running follower fetches and keeps up within replica.lag.time.max.ms)."""
        out = self.rules.out_of_sync(part, alive)
        return out if self.slow_followers else out & ~alive

    def _acceptable(self, fenced: int) -> int:
        """The brokers the controller accepts as leaders: every unfenced one, crashed or not,
        since it learns of a crash only by fencing (ClusterControlManager.isActive)."""
        return self.everyone & ~fenced

    def _offline_election(self, state: ReplicationState, p: int, part: PartitionState,
                          eligible: int) -> Iterator[tuple[Action, State]]:
        """An offline partition gets a leader when one becomes acceptable (an unfenced ISR
        member, an ELR member, the last known leader) or, with unclean election, any
        unfenced replica (the controller's periodic unclean election)."""
        ch = self.rules.change(part, part.isr, eligible, self.order[p],
                               allow_unclean=self.unclean and p not in self.clean_only)
        if ch.leader == NO_LEADER:
            return
        name = {"clean": "Elect", "elr": "ElrElect", "last-leader": "LastLeaderElect",
                "unclean": "UncleanElect"}[ch.how]
        yield (self._label(name, p, broker_name(ch.leader)),
               self._with_part(state, p, self.rules.elect(part, ch)))

    def _broker_actions(self, state: ReplicationState, alive: int, fenced: int,
                        parts: tuple) -> Iterator[tuple[Action, State]]:
        for b in range(self.n):
            bit = 1 << b
            name = self.names[b]
            if alive & bit:
                if state.crashes > 0:
                    if self.crash_kind in ("process", "any"):
                        yield ("Crash", name), self._crash(state, b)
                    if self.crash_kind in ("power-loss", "any"):
                        yield from self._power_loss(state, b)
                if state.bounces > 0 and all(part.leader != b for part in parts):
                    # A follower restarts before the controller notices: it keeps its ISR
                    # membership and becomes follower again (truncating by the rule).
                    yield from self._restarts(state._replace(bounces=state.bounces - 1), b,
                                              "Bounce", keep_fetch_state=True)
                ops = state.ops
                if ops:
                    if ops.disk_losses > 0:
                        yield ("DiskLoss", name), self._disk_loss(state, b)
                    if ops.shutdowns > 0 and self._may_shut_down(state):
                        yield ("ControlledShutdown", name), self._controlled_shutdown(state, b)
            elif not fenced & bit:
                yield ("Fence", name), self._fence(state, b)
                if state.ops and state.ops.early_registrations > 0:
                    yield from self._early_registration(state, b)
            else:
                clean = bool(state.ops and state.ops.clean & bit)
                yield from self._restarts(state._replace(alive=alive | bit,
                                                         fenced=fenced & ~bit), b, "Restart",
                                          clean=clean)

    def _early_registration(self, state: ReplicationState,
                            b: int) -> Iterator[tuple[Action, State]]:
        """Crashed broker b registers again once its session expired, before the controller
        fenced it: KRaft 3.3-3.9 writes the new registration without touching a partition
        (ClusterControlManager.registerBroker; handleBrokerUncleanShutdown does nothing
        without ELR), so b comes back in its ISRs, and as leader of what it led, with the
        log it restarted with.  Its leadership is taken as a new leader epoch: followers
        truncate to its log as the same epoch's diverging-epoch check would make them."""
        rules = self.rules
        ops = state.ops._replace(early_registrations=state.ops.early_registrations - 1)
        parts = state.parts
        for hws in product(*[rules.restart_hws(part, b) for part in parts]):
            restarted = []
            for p, part in enumerate(parts):
                if not self.replica_mask[p] >> b & 1:
                    restarted.append(part)
                    continue
                nxt = rules.restart(part, b, hws[p])
                if part.leader == b:
                    nxt = rules.elect(nxt, Change(b, part.isr, part.elr, part.last_leader, ""))
                restarted.append(nxt)
            yield ("EarlyRegistration", self.names[b]), state._replace(
                alive=state.alive | 1 << b, parts=tuple(restarted), ops=ops)

    def _crash(self, state: ReplicationState, b: int) -> ReplicationState:
        """Broker b's process stops; in-flight requests it leads fail."""
        crash = self.rules.crash
        parts = tuple(crash(part, b) for part in state.parts)
        return _new(ReplicationState, (state.alive & ~(1 << b), state.fenced, state.crashes - 1,
                                       state.leader_changes, state.next_record,
                                       state.lost_acks, state.bounces, parts, state.ops))

    def _power_loss(self, state: ReplicationState,
                    b: int) -> Iterator[tuple[Action, State]]:
        """Broker b loses power: each log keeps what was fsynced and whatever the OS wrote."""
        crashed = self._crash(state, b)
        rules = self.rules
        choices = [rules.power_loss_keeps(part, b) for part in crashed.parts]
        name = broker_name(b)
        for keeps in product(*choices):
            parts = tuple(rules.truncate(part, b, keep)
                          for part, keep in zip(crashed.parts, keeps, strict=True))
            lost = [(f"p{p} " if self.partitions > 1 else "") + f"log kept to {keep}"
                    for p, (part, keep) in enumerate(zip(crashed.parts, keeps, strict=True))
                    if keep < len(part.logs[b])]
            label = ("PowerLoss", name, *lost)
            yield label, crashed._replace(parts=parts)

    def _restarts(self, state: ReplicationState, b: int, what: str,
                  keep_fetch_state: bool = False,
                  clean: bool = False) -> Iterator[tuple[Action, State]]:
        """Broker b starts again, its HWs loaded from the checkpoint (any value written).

        A restart after a crash is an unclean shutdown: registering with a new broker
        epoch removes the replica from every ELR (KIP-966 handleBrokerUncleanShutdown).
        After a controlled shutdown (``clean``) the checkpoint is exact and the ELR stays:
        ClusterControlManager.registerBroker compares the previous broker epoch
        (KAFKA-18635, PR #18277; in the 4.0.0 to 4.0.2 kafka-metadata sources jars).
        """
        rules = self.rules
        bit = 1 << b
        eligible = self._acceptable(state.fenced) & ~bit
        parts = state.parts
        if clean:
            state = state._replace(ops=state.ops._replace(clean=state.ops.clean & ~bit))
            restarted = tuple(rules.restart(part, b, min(part.hws[b], len(part.logs[b])))
                              if mask >> b & 1 else part
                              for part, mask in zip(parts, self.replica_mask, strict=True))
            yield (what, self.names[b], "after controlled shutdown"), state._replace(
                parts=restarted)
            return
        if not keep_fetch_state:
            # handleBrokerUncleanShutdown visits the partitions with b in the ISR or ELR.
            changed = []
            for p, part in enumerate(parts):
                if (part.isr | part.elr) & bit:
                    ch = rules.change(part, part.isr & ~bit, eligible, self.order[p],
                                      unclean_shutdown=bit)
                    part = rules.apply_change(part, ch)
                changed.append(part)
            parts = tuple(changed)
        name = self.names[b]
        prefix = self.partitions > 1
        restart = rules.restart
        for hws in product(*[rules.restart_hws(part, b) for part in parts]):
            restarted = []
            stale = []
            for p, part in enumerate(parts):
                hw = hws[p]
                if not self.replica_mask[p] >> b & 1:
                    restarted.append(part)  # b holds no replica of partition p
                    continue
                nxt = restart(part, b, hw)
                if keep_fetch_state:
                    nxt = nxt._replace(remote=part.remote)
                restarted.append(nxt)
                if hw < part.hws[b]:
                    stale.append(f"p{p} hw {hw} from checkpoint" if prefix
                                 else f"hw {hw} from checkpoint")
            yield (what, name, *stale), _new(ReplicationState, (
                state.alive, state.fenced, state.crashes, state.leader_changes,
                state.next_record, state.lost_acks, state.bounces, tuple(restarted), state.ops))

    # -- operator events and AlterPartition in flight --------------------------------------

    def _with_operations(self, state: ReplicationState) -> Iterator[tuple[Action, State]]:
        """Every successor, then what the controller's commits mean for requests in flight."""
        alive = state.alive
        steps: list[Iterator[tuple[Action, State]]] = []
        for p, part in enumerate(state.parts):
            steps.append(self._partition_actions(state, p, part, alive))
            if state.ops.requests[p]:
                steps.append(self._alter_partition_answers(state, p, part))
        steps.append(self._broker_actions(state, alive, state.fenced, state.parts))
        for it in steps:
            for action, nxt in it:
                yield action, self._track_registrations(state, action, nxt)

    def _track_registrations(self, before: ReplicationState, action: Action,
                             after: ReplicationState) -> ReplicationState:
        """Every change the controller commits to a partition bumps its partition epoch
        (PartitionRegistration.merge): requests sent before it are stale, and the leader,
        learning the change from the metadata (Partition.makeLeader), leaves its pending
        state.  A broker that registers again gets a new broker epoch: requests carrying
        its old one are stale for it (KIP-903)."""
        ops = after.ops
        proposed = ops.proposed
        requests = ops.requests
        for p, (old, new) in enumerate(zip(before.parts, after.parts, strict=True)):
            if old is new or (old.leader, old.epoch, old.isr, old.elr, old.last_leader) == (
                    new.leader, new.epoch, new.isr, new.elr, new.last_leader):
                continue
            if proposed[p] >= 0:
                proposed = put(proposed, p, -1)
            if any(r.current for r in requests[p]):
                requests = put(requests, p, tuple(r._replace(current=False)
                                                  for r in requests[p]))
        if action[0] in ("Restart", "Bounce"):
            bit = 1 << (int(action[1][1:]) - 1)
            requests = tuple(tuple(r._replace(stale=r.stale | bit) if r.epochs & bit else r
                                   for r in queue) for queue in requests)
        if proposed is ops.proposed and requests == ops.requests:
            return after
        return after._replace(ops=ops._replace(proposed=proposed, requests=requests))

    def _propose_isr_change(self, state: ReplicationState, p: int, part: PartitionState,
                            alive: int) -> Iterator[tuple[Action, State]]:
        """The leader asks the controller to shrink or expand the ISR (AlterPartition sent by
        Partition.maybeShrinkIsr / maybeExpandIsr) and counts its maximal ISR meanwhile.
        The request carries the broker epoch the leader saw in each member's last fetch
        (-1, unchecked, for a member it has not heard from in its leader epoch)."""
        rules = self.rules
        isr = part.isr
        eligible = alive & ~state.fenced  # a follower fetching now (maybeExpandIsr)
        out = self._out_of_sync(part, alive)
        known = 1 << part.leader
        for f in self.replicas[p]:
            if part.remote[f] != pt.UNKNOWN:
                known |= 1 << f
        ops = state.ops
        for f in self.replicas[p]:
            bit = 1 << f
            if out & bit:
                kind, new_isr = "shrink", isr & ~bit
            elif (not isr & bit and f != part.leader and eligible & bit
                  and rules.may_join_isr(part, f)):
                kind, new_isr = "expand", isr | bit
            else:
                continue
            request = AlterRequest(part.leader, part.epoch, new_isr, True, known & new_isr, 0)
            nxt_ops = ops._replace(proposed=put(ops.proposed, p, new_isr),
                                   requests=put(ops.requests, p, ops.requests[p] + (request,)))
            yield (self._label("AlterPartition", p, broker_name(part.leader),
                               f"{kind} {broker_name(f)}"), state._replace(ops=nxt_ops))

    def _alter_partition_answers(self, state: ReplicationState, p: int,
                                 part: PartitionState) -> Iterator[tuple[Action, State]]:
        """The controller handles the oldest AlterPartition request of partition p
        (ReplicationControlManager.alterPartition): it commits the new ISR through
        PartitionChangeBuilder or refuses it; the leader takes the answer
        (Partition.handleAlterPartitionUpdate / handleAlterPartitionError).  A lost
        response makes the leader send the same request again."""
        rules = self.rules
        ops = state.ops
        request = ops.requests[p][0]
        rest = ops.requests[p][1:]
        awaited = request.current and ops.proposed[p] == request.isr
        error = rules.alter_partition_error(part, request.leader, request.leader_epoch,
                                            0 if request.current else -1, request.isr,
                                            state.fenced, request.stale)
        what = mask_text(request.isr, self.n)
        if error == "NONE":
            ch = rules.change(part, request.isr, self._acceptable(state.fenced), self.order[p])
            new_part = rules.apply_change(part, ch)
            proposed = put(ops.proposed, p, -1) if awaited else ops.proposed
            done = ops._replace(proposed=proposed, requests=put(ops.requests, p, rest))
            label = self._label("AlterPartitionAccepted", p, f"isr {what}")
            yield label, self._with_part(state._replace(ops=done), p, new_part)
            if awaited and ops.lost_alter > 0:
                # The response is lost: the request goes out again; the leader keeps
                # waiting unless the commit reaches it as metadata first.
                again = ops._replace(lost_alter=ops.lost_alter - 1)
                yield (("AlterPartitionResponseLost", *label[1:]),
                       self._with_part(state._replace(ops=again), p, new_part))
            return
        label = self._label("AlterPartitionRejected", p, f"isr {what}", error)
        if error == "INELIGIBLE_REPLICA" and awaited:
            # The controller says the request was not applied: back to the committed ISR.
            done = ops._replace(proposed=put(ops.proposed, p, -1),
                                requests=put(ops.requests, p, rest))
            yield label, state._replace(ops=done)
            if ops.lost_alter > 0:
                yield (("AlterPartitionResponseLost", *label[1:]),
                       state._replace(ops=ops._replace(lost_alter=ops.lost_alter - 1)))
            return
        # Stale (another leader or partition epoch): the leader, which has moved on, ignores it.
        yield label, state._replace(ops=ops._replace(requests=put(ops.requests, p, rest)))

    def _disk_loss(self, state: ReplicationState, b: int) -> ReplicationState:
        """Broker b stops and its log directory is replaced (a failed or wiped disk)."""
        lose = self.rules.lose_disk
        parts = tuple(lose(part, b) for part in state.parts)
        ops = state.ops._replace(disk_losses=state.ops.disk_losses - 1)
        return state._replace(alive=state.alive & ~(1 << b), parts=parts, ops=ops)

    def _may_shut_down(self, state: ReplicationState) -> bool:
        """Whether the operator takes a broker down now: with restart_wait=isr only when
        every broker runs and every replica is in its ISR (no under-replicated partition)."""
        if self.restart_wait == "none":
            return True
        return state.alive == self.everyone and not state.fenced and all(
            part.isr == mask for part, mask in zip(state.parts, self.replica_mask, strict=True))

    def _controlled_shutdown(self, state: ReplicationState, b: int) -> ReplicationState:
        """Broker b shuts down cleanly: the controller moves its leaderships and removes it
        from every ISR first (handleBrokerInControlledShutdown; it is ineligible to lead or
        join, KIP-841), then b flushes its logs, writes its checkpoints and stops."""
        rules = self.rules
        bit = 1 << b
        eligible = self._acceptable(state.fenced) & ~bit
        parts = []
        for p, part in enumerate(state.parts):
            if part.isr & bit or part.leader == b:
                ch = rules.change(part, part.isr & ~bit, eligible, self.order[p])
                part = rules.apply_change(part, ch)
            parts.append(rules.shut_down(part, b))
        ops = state.ops._replace(shutdowns=state.ops.shutdowns - 1, clean=state.ops.clean | bit)
        return state._replace(alive=state.alive & ~bit, fenced=state.fenced | bit,
                              parts=tuple(parts), ops=ops)

    def _fence(self, state: ReplicationState, b: int) -> ReplicationState:
        """The controller fences a broker that stopped heartbeating: it leaves every ISR
        (KIP-841 keeps the last member without ELR) and partitions it led get a leader."""
        rules = self.rules
        bit = 1 << b
        fenced = state.fenced | bit
        eligible = self._acceptable(fenced)
        parts = []
        for p, part in enumerate(state.parts):
            if part.isr & bit or part.leader == b:
                ch = rules.change(part, part.isr & ~bit, eligible, self.order[p])
                part = rules.apply_change(part, ch)
            parts.append(part)
        return _new(ReplicationState, (state.alive, fenced, state.crashes, state.leader_changes,
                                       state.next_record, state.lost_acks, state.bounces,
                                       tuple(parts), state.ops))

    @staticmethod
    def acting_brokers(state: ReplicationState) -> int:
        """The brokers whose process runs (bitmask): a leader among them acts as one."""
        return state.alive

    @staticmethod
    def fenced_brokers(state: ReplicationState) -> int:
        """The brokers the controller has fenced (bitmask)."""
        return state.fenced

    def action_families(self) -> tuple[str, ...]:
        return ("Produce", "Ack", "AckError", "AckLost", "Fetch",
                *(("FetchOneBatch", "FetchResponseLost") if self.one_batch else ()),
                "BecomeFollower",
                "ShrinkIsr", "ExpandIsr", "Crash", "PowerLoss", "Fence", "Restart",
                "Bounce", "Elect", "ElrElect", "LastLeaderElect", "UncleanElect",
                "MoveLeader", "ProduceTimeout", "AlterPartition", "AlterPartitionAccepted",
                "AlterPartitionRejected", "DiskLoss", "ControlledShutdown",
                # Fault-only actions, where the bounds offer the fault.
                *(LOST_PRODUCE if self.bound["lost_acks"] else ()),
                *(("AlterPartitionResponseLost",) if self.bound["lost_alter_responses"]
                  else ()),
                *(("EarlyRegistration",) if self.bound["early_registrations"] else ()))

    def fault_model(self) -> FaultModel:
        """Crashes named by kind: a process crash keeps the page cache, power loss does not.

        With flush.messages=1 every append is fsynced, so a power loss loses nothing a
        process crash keeps: either kind explored covers both.
        """
        b = self.bound
        kinds = {"process": (PROCESS_CRASH,), "power-loss": (POWER_LOSS,),
                 "any": (PROCESS_CRASH, POWER_LOSS)}[self.crash_kind]
        if self.flush_every == 1:
            kinds = (PROCESS_CRASH, POWER_LOSS)
        explored: list[tuple[str, int]] = []
        missing: list[str] = []
        if b["crashes"] > 0:
            explored += [(kind, b["crashes"]) for kind in kinds]
            missing += [k for k in (PROCESS_CRASH, POWER_LOSS) if k not in kinds]
        else:
            missing += [PROCESS_CRASH, POWER_LOSS]
        for bound in self.bounds:
            if bound.fault and bound.name != "crashes":
                if b[bound.name] > 0:
                    explored.append((bound.fault, b[bound.name]))
                else:
                    missing.append(bound.fault)
        if not self.slow_followers:
            missing.append(SLOW_FOLLOWER)
        # The controller model runs KRaft clusters of 3.3 and later only: elsewhere no model
        # here explores a network partition (KAFKA-6880's zombie replicas, before 2.1).
        not_modelled = self.faults_not_modelled if self.kraft and self.version >= (3, 3) \
            else tuple(NO_PARTITION_MODEL if f == NETWORK_PARTITION else f
                       for f in self.faults_not_modelled)
        return with_reregistration_race(with_alter_partition_race(
            FaultModel(tuple(explored), tuple(missing) + not_modelled), b), b,
            self.kraft and self.version < (4, 0))

    def mode_notes(self) -> list[str]:
        """What ZooKeeper or KRaft mode, as the run reads it, means here (models that embed
        this one repeat these notes)."""
        if "process.roles" in self.config.explicit and self.version < (2, 8):
            return [f"process.roles has no effect: Kafka {self.config.kafka_version} has no "
                    "KRaft mode (process.roles arrived in 2.8, KIP-631) and ignores the key; "
                    "its ZooKeeper controller honours unclean.leader.election.enable"]
        if not self.kraft and (3, 3) <= self.version < (4, 0):
            return [f"ZooKeeper mode assumed (process.roles not given or empty): Kafka "
                    f"{self.config.kafka_version}'s ZooKeeper controller honours "
                    "unclean.leader.election.enable and has no KIP-903 broker-epoch check "
                    "(3.5+); set process.roles=broker for a KRaft cluster"]
        if self.kraft and self.version < (4, 0) and \
                self.kafka["unclean.leader.election.enable"] and not self.unclean:
            return [f"unclean.leader.election.enable=true has no effect: Kafka "
                    f"{self.config.kafka_version}'s KRaft controller never elects an unclean "
                    "leader on its own (it reads the setting from 3.9, KAFKA-12670; an "
                    "operator's ElectLeaders request of type UNCLEAN, kafka-leader-election.sh, "
                    "still can, and is not modelled)"]
        return []

    def notes(self) -> list[str]:
        """What a reader should know about this configuration before reading verdicts."""
        out = []
        if self.n == 1:
            out.append("replication.factor=1 (Kafka's default for new topics): one replica, "
                       "so there is no failover to check; set replication.factor=3")
        min_isr = pt.min_isr_note(self.rules, self.config.kafka_version)
        if min_isr:
            out.append(min_isr)
        out += self.mode_notes()
        if self.flush_every == 1:
            out.append("flush.messages=1: every append is fsynced, so a power failure loses "
                       "nothing that was written (a process crash covers it)")
        if self.crash_kind == "process" and self.bound["crashes"] > 0 and self.flush_every != 1:
            out.append("crash_kind=process: power loss (unflushed writes are lost) is NOT "
                       "explored; use --bound crash_kind=any")
        elr = elr_note(self.config)
        if elr:
            out.append(elr)
        if isinstance(self.rules, pt.Kip903BrokerEpochs) \
                and self.bound["isr_updates"] == "in-flight" \
                and (self.bound["crashes"] or self.bound["disk_losses"] or self.bound["bounces"]):
            # (only an AlterPartition in flight can carry a stale broker epoch)
            # MetadataVersion.fetchRequestVersion: the broker epoch rides in FetchRequest
            # v15 (3.5-IV1); below it the epoch is -1 and leader and controller skip it.
            out.append("KIP-903's broker-epoch check takes metadata.version 3.5-IV1 or "
                       "later; a cluster not yet finalized at it sends no broker epoch and "
                       "runs as 3.4 does (--kafka-version 3.4 checks that rule; no setting "
                       "here gives the metadata.version)")
        read = controller_read_note(self.config)
        if read:
            out.append(read)
        if not self.slow_followers:
            out.append("slow_followers=none: a running follower never falls out of the ISR "
                       "(slow followers are NOT explored)")
        if self.async_isr:
            out.append("isr_updates=in-flight: the leader learns the controller's commits at "
                       "once (metadata propagation is immediate here; see the controller model)")
        if self.truncation_overridden:
            out.append(f"truncation={self.rule} set explicitly: not the rule of Kafka "
                       f"{self.config.kafka_version}")
        fetch = self.fetch_note()
        if fetch:
            out.append(fetch)
        if self.bound["symmetry"] and len(self.renamings) == 1:
            out.append(sym.NOTHING_TO_RENAME)
        return out

    def fetch_note(self) -> str | None:
        """What the fetch bound means for this release's ISR join rule (KAFKA-7128), when
        it matters: partial fetch responses explored for it, or not explored though the
        release's rule needs them to show a loss."""
        release = self.config.kafka_version
        if self.join_fixed:
            return None
        if self.one_batch:
            return (f"Kafka {release} lacks KAFKA-7128 (fixed in 2.0.1 and 2.1): a follower "
                    "joins the ISR once it fetches at the leader's HW, so fetch responses that "
                    "carry only the next batch (replica.fetch.max.bytes) are explored")
        return (f"fetch=whole: fetch responses always carry everything the follower misses, "
                f"so partial responses, through which Kafka {release}'s ISR join rule (before "
                "KAFKA-7128) admits a follower missing committed records, are NOT explored "
                "(use fetch=version)")

    def interest(self, state: State) -> float:
        """Acknowledged records, leader changes and missing ISR members: loss ingredients."""
        score = 0
        for part in state.parts:
            score += part.acked.bit_count() + part.epoch + self.n - part.isr.bit_count()
        return float(score)

    def symbolic_coverage(self) -> Any:
        """What `prove` encodes of this configuration (its Z3 encoding, explorer/symbolic.py),
        and what it refuses."""
        from kafkacheck.model.cluster.replication_symbolic import coverage

        return coverage(self)

    # -- properties --------------------------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import replication as props

        # Its record properties cannot fail when nothing writes a record: none is sent, or
        # every acks=all append is refused (min.insync.replicas above the replicas, before
        # the effective min ISR of KAFKA-15583).
        out = vacuous_unless(props.replication_properties(self),
                             self.max_records > 0 or self.external_writes, props.ABOUT_RECORDS)
        return props.unless_writes_refused(self, out)

    # -- presentation ------------------------------------------------------------------

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {
            "alive": ("mask", state.alive),
            "fenced": ("mask", state.fenced),
        }
        for p, part in enumerate(state.parts):
            pre = f"p{p}." if self.partitions > 1 else ""
            out[f"{pre}leader"] = ("broker", part.leader)
            out[f"{pre}leader_epoch"] = part.epoch
            out[f"{pre}isr"] = ("mask", part.isr)
            if self.elr:
                out[f"{pre}elr"] = ("mask", part.elr)
            for b in range(self.n):
                name = broker_name(b)
                out[f"{pre}{name}.log"] = ("log", part.logs[b])
                out[f"{pre}{name}.hw"] = part.hws[b]
                if part.flushed:
                    out[f"{pre}{name}.flushed"] = part.flushed[b]
            out[f"{pre}acked"] = ("records", part.acked)
            out[f"{pre}awaiting_acks"] = ("pending", part.pending)
            out[f"{pre}committed"] = ("log", part.committed)
            if self.async_isr:
                proposed = state.ops.proposed[p]
                out[f"{pre}isr_proposed"] = ("mask", proposed) if proposed >= 0 else "none"
                out[f"{pre}alter_requests"] = ("requests", state.ops.requests[p])
        if state.ops and state.ops.clean:
            out["shut_down_cleanly"] = ("mask", state.ops.clean)
        return out

    def format_value(self, name: str, value: Any) -> str:
        if not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[0], str):
            return repr(value)
        kind, v = value
        if kind == "mask":
            return mask_text(v, self.n)
        if kind == "broker":
            return "none" if v == NO_LEADER else broker_name(v)
        if kind == "log":
            return pt.log_text(v)
        if kind == "records":
            return pt.records_text(v)
        if kind == "pending":
            return pt.pending_text(v)
        if kind == "requests":
            return "[" + ", ".join(
                f"{mask_text(r.isr, self.n)} from {broker_name(r.leader)} e{r.leader_epoch}"
                + ("" if r.current else " stale")
                + (f" old broker epoch of {mask_text(r.stale, self.n)}" if r.stale else "")
                for r in v) + "]"
        return repr(v)

    def participants(self) -> tuple[str, ...]:
        return ("Producer", "Controller", *(broker_name(b) for b in range(self.n)))

    def message(self, action: Action, before: State, after: State) -> Message:
        name = action[0]
        args = [a for a in action[1:] if not (isinstance(a, str) and a.startswith("p")
                                               and a[1:].isdigit())]
        p = next((int(a[1:]) for a in action[1:] if isinstance(a, str) and a.startswith("p")
                  and a[1:].isdigit()), 0)
        part_before = before.parts[p]
        part_after = after.parts[p]
        leader = broker_name(part_before.leader) if part_before.leader != NO_LEADER else None
        acks = {-1: "all", 0: "0", 1: "1"}[self.acks]
        if (name == "Produce" or name in LOST_PRODUCE) and leader:
            note = f" ({args[1]})" if len(args) > 1 else LOST_PRODUCE.get(name, "")
            return Message("Producer", leader, f"produce {args[0]} acks={acks}{note}")
        if name in ("Ack", "AckError", "AckLost") and leader:
            text = {"Ack": f"ack {args[0]}", "AckLost": f"ack {args[0]} lost",
                    "AckError": f"{args[0]} NOT_ENOUGH_REPLICAS_AFTER_APPEND"}[name]
            return Message(leader, "Producer", text)
        if name == "FetchResponseLost" and leader:
            f = int(args[0][1:]) - 1
            return Message(args[0], leader, f"fetch from {len(part_before.logs[f])}, its "
                           "response lost")
        if name in ("Fetch", "FetchOneBatch") and leader:
            f = int(args[0][1:]) - 1
            got = len(part_after.logs[f]) - len(part_before.logs[f])
            one = " (one batch)" if name == "FetchOneBatch" else ""
            return Message(args[0], leader,
                           f"fetch from {len(part_before.logs[f])}, got {got}{one}, "
                           f"hw {part_after.hws[f]}")
        if name == "BecomeFollower":
            return Message(args[0], args[0], f"follower of epoch {part_after.epoch}, {args[1]}")
        if name == "AlterPartition":
            return Message(args[0], "Controller", f"AlterPartition {args[1]}")
        if name in ("AlterPartitionAccepted", "AlterPartitionRejected",
                    "AlterPartitionResponseLost"):
            to = broker_name(part_after.leader) if part_after.leader != NO_LEADER else \
                (leader or "Controller")
            lost = " (response lost)" if name == "AlterPartitionResponseLost" else ""
            return Message("Controller", to, " ".join(str(a) for a in args) + lost)
        if name in ("ShrinkIsr", "ExpandIsr"):
            who = leader or "Controller"
            return Message(who, "Controller",
                           f"{name} {args[0]}: isr {mask_text(part_after.isr, self.n)}")
        if name in ("Elect", "ElrElect", "LastLeaderElect", "UncleanElect", "MoveLeader"):
            return Message("Controller", args[0], f"{name}: leader epoch {part_after.epoch}")
        if name == "Fence":
            leaders = ", ".join(
                f"p{i} leader {broker_name(q.leader) if q.leader != NO_LEADER else 'none'}"
                for i, q in enumerate(after.parts))
            return Message("Controller", args[0], f"fence; {leaders}")
        text = " ".join(str(a) for a in (name, *args[1:]))
        return Message(args[0] if args else "Controller", args[0] if args else "Controller",
                       text)


def elr_problem(config: Any) -> str | None:
    """Eligible Leader Replicas exist from Kafka 4.0: a one-line error for older versions."""
    if config.kafka.get("eligible.leader.replicas.version", 0) == 1 and \
            config.version < (4, 0):
        return (f"eligible.leader.replicas.version=1 does not exist in Kafka "
                f"{config.kafka_version} (KIP-966 arrived in 4.0)")
    return None


def elr_note(config: Any) -> str | None:
    """The note of a configuration with Eligible Leader Replicas on; when that is the
    release's default it names the assumption (on for clusters formatted by 4.1 or later,
    off in clusters upgraded from earlier releases until kafka-features.sh upgrades it)."""
    if config.kafka.get("eligible.leader.replicas.version", 0) != 1:
        return None
    text = ("eligible.leader.replicas.version=1 (KIP-966): replicas leaving an ISR below "
            "min.insync.replicas stay eligible leaders")
    assumed = feature_level_assumed(
        "eligible.leader.replicas.version", config.explicit, 1, config.kafka_version)
    return text if assumed is None else f"{text}; {assumed}"


def controller_read_note(config: Any) -> str | None:
    """Where a KRaft cluster reads the settings its controllers decide with: a topic
    config, else the cluster's, else the controller's own static file
    (ConfigurationControlManager: uncleanLeaderElectionEnabledForTopic from 3.9;
    maybeGenerateElrSafetyRecords / ActivationRecordsGenerator write the controllers'
    min.insync.replicas as the cluster default once ELR is on, over a broker's static
    value).  With dedicated controllers a broker's server.properties reaches neither."""
    if not kraft_cluster(config) or "controller" in str(config.kafka.get("process.roles", "")):
        return None
    keys = []
    if "min.insync.replicas" in config.explicit and \
            config.kafka.get("eligible.leader.replicas.version", 0) == 1:
        keys.append(f"min.insync.replicas={config.kafka['min.insync.replicas']}")
    if "unclean.leader.election.enable" in config.explicit and config.version >= (3, 9) \
            and config.kafka.get("unclean.leader.election.enable"):
        keys.append("unclean.leader.election.enable=true")
    if not keys:
        return None
    return (f"{' and '.join(keys)}: the KRaft controllers read {'them' if len(keys) > 1 else 'it'}"
            " from the topic's config, the cluster's, or their own server.properties, not a "
            "broker's (with ELR on they write their own min.insync.replicas as the cluster "
            "default, over the brokers' static value): checked as the value the topic runs "
            "with, so set it on the topic or on the controllers")


def kraft_cluster(config: Any) -> bool:
    """A KRaft cluster: every release from 4.0; from 2.8 one given a process.roles (empty,
    Kafka's default, is ZooKeeper mode before 4.0, KRaftConfigs)."""
    return config.version >= (4, 0) or (
        config.version >= (2, 8) and bool(str(config.kafka.get("process.roles", "")).strip())
        and "process.roles" in config.explicit)


def _kraft_before_4(config: Any) -> bool:
    """A KRaft cluster of a release before 4.0."""
    return config.version < (4, 0) and kraft_cluster(config)


def with_reregistration_race(faults: FaultModel, bounds: Mapping[str, Any],
                             kraft_before_4: bool) -> FaultModel:
    """``faults`` naming REREGISTRATION_RACE: explored with early_registrations (the
    replication model's bound), else not explored where a KRaft cluster before 4.0 restarts
    a broker (a crash or a disk loss), since every restart then follows a fence."""
    early = bounds.get("early_registrations", 0)
    if early:
        return FaultModel((*faults.explored, (REREGISTRATION_RACE, early)), faults.not_explored)
    if kraft_before_4 and (bounds.get("crashes", 0) > 0 or bounds.get("disk_losses", 0) > 0):
        return FaultModel(faults.explored, (*faults.not_explored, REREGISTRATION_RACE))
    return faults


def with_alter_partition_race(faults: FaultModel, bounds: Mapping[str, Any]) -> FaultModel:
    """``faults`` naming the AlterPartition race as not explored where a disk loss makes
    IsrJoinersHoldCommitted and FencedNeverJoinsIsr checked but isr_updates=atomic decides
    each request in the step it is sent, so the request they are about never exists."""
    if bounds.get("disk_losses", 0) > 0 and bounds.get("isr_updates") == "atomic":
        return FaultModel(faults.explored, (*faults.not_explored, ALTER_PARTITION_RACE))
    return faults
