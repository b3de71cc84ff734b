"""Kafka Streams delivery semantics: a stateful task (a count per key with a changelog
topic) run by instances of one application, ``processing.guarantee`` at_least_once or
exactly_once_v2.

The question it answers: after instance crashes, task migrations and zombies, does the
count of each key equal the number of input records with that key, exactly?  Nothing
here is a second log or a second protocol: the task is the transactions model's
consume-transform-produce loop (``transactions.TransactionsModel`` in loop mode: the
partitions, the group's generation check, the transaction coordinator, markers and LSO)
with two data partitions, the output topic (p0) and the store's changelog (p1).  This
module adds what a Streams task does around that loop:

* processing input k increments the in-memory store's count of k's key and writes the new
  count to the output topic and to the changelog (StreamTask.process, a KTable count with
  a logged store, ChangeLoggingKeyValueBytesStore), as a store without the record cache
  does and each input committed on its own (the cache, on by default, writes a key's last
  count when it flushes, at each commit: ``COMMIT_AND_CACHE_NOTE``);
* a task (re)initialised (first assignment, after a rebalance, an abort under
  exactly_once_v2, a failed offset commit or a crash) restores its store from the
  changelog before it processes (StoreChangelogReader), reading until the end offset with
  read_committed under exactly_once_v2 (the restore waits for the LSO to reach it:
  KAFKA-10167);
* an instance crashes and restarts: its memory (store, position, producer) is gone, its
  restarted consumer rejoins and the group rebalances; under exactly_once_v2 it reuses
  its transactional.id (the process id persists in the state directory), so its
  InitProducerId aborts its open transaction.  With ``after_crash=down`` it stays down
  instead, and only the coordinator's transaction timeout ends its open transaction.

With exactly_once_v2 the output, the changelog and the input offset are one transaction
(KIP-447, ``transactional.id`` per instance); with at_least_once the producer is
idempotent and the offset is committed after the output and changelog are acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from kafkacheck.config import Config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model import versions
from kafkacheck.model.clients import transactions as txm
from kafkacheck.model.clients import txn_loop as tl
from kafkacheck.model.clients import txn_producer as tp
from kafkacheck.model.clients.transactions import TransactionsModel, TxnState
from kafkacheck.model.clients.txn_loop import Group, Member
from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.model.cluster.partition import NO_LEADER
from kafkacheck.model.interface import Action, Bound, Message, State
from kafkacheck.properties.base import Property

AT_LEAST_ONCE, EXACTLY_ONCE_V2 = "at_least_once", "exactly_once_v2"

OUTPUT, CHANGELOG = 0, 1  # the data partitions of the embedded loop

# commit.interval.ms (30000; 100 under exactly_once_v2) and the record cache
# (statestore.cache.max.bytes, 10 MiB; a count's store is cached unless Materialized says
# otherwise) decide how many inputs one commit covers and which counts are written: a
# CachingKeyValueStore writes a key's count to the changelog and forwards it to the output
# only when the cache flushes, at every commit (StreamTask.prepareCommit flushes the
# caches and the record collector first) or on an eviction.  The model runs one input per
# commit, every count written: Kafka's behaviour for inputs further apart than
# commit.interval.ms, or with statestore.cache.max.bytes=0 and a commit per input.
COMMIT_AND_CACHE_NOTE = (
    "commit.interval.ms and the record cache (statestore.cache.max.bytes): one input per "
    "commit, each count written, as with inputs further apart than the interval; a commit "
    "covering several inputs is not explored, and it adds no loss or double count: the "
    "cache is flushed before the commit (or in its transaction) and writes each key's "
    "last count, which the properties allow, as they ask for no count per input")

# Transactions-model settings a Streams application sets itself, by processing.guarantee
# (StreamsConfig: exactly_once_v2 forces isolation.level=read_committed on its consumers
# and a transactional.id on its producers; at_least_once leaves the consumer default).
# Both turn auto-commit off (StreamsConfig.CONSUMER_DEFAULT_OVERRIDES).
_DERIVED = {
    AT_LEAST_ONCE: {"transactional.id": None, "isolation.level": "read_uncommitted",
                    "enable.auto.commit": False},
    EXACTLY_ONCE_V2: {"transactional.id": "streams", "isolation.level": "read_committed",
                      "enable.auto.commit": False},
}


def _eos_family(guarantee: str) -> str:
    """exactly_once and exactly_once_beta get the clients' EOS overrides as exactly_once_v2
    does (StreamsConfig: one eosEnabled for every exactly_once variant)."""
    return EXACTLY_ONCE_V2 if guarantee.startswith("exactly_once") else guarantee


class StreamsModel(TransactionsModel):
    """A counting Streams task over the transactions model's consume-transform-produce loop."""

    name = "streams"
    summary = ("Kafka Streams: a counting task with a changelog, instance crashes and task "
               "migration, processing.guarantee at_least_once vs exactly_once_v2 (KIP-447)")
    source = ("StreamTask, StoreChangelogReader, ChangeLoggingKeyValueBytesStore, "
              "StreamsProducer; KIP-129, KIP-447, KAFKA-10167")
    settings = (
        "processing.guarantee",
        "transaction.version",
        "transaction.partition.verification.enable",
        "replication.factor",
        "min.insync.replicas",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "process.roles",  # ZooKeeper or KRaft before 4.0 (the replication model's rules)
    )
    key_settings = ("processing.guarantee", "transaction.version")
    # Reads none of the settings its base model covers by value (group.protocol,
    # transactional.id, isolation.level): those stay "not covered" here.
    # The transaction log follows replication.factor and min.insync.replicas here: any
    # value given for its own settings is not covered.
    # exactly_once (a producer per task, before 4.0) and exactly_once_beta (2.6-3.9) are
    # not modelled: a run with them is not covered.
    covered_values: ClassVar[dict[str, tuple]] = {
        "transaction.state.log.replication.factor": (), "transaction.state.log.min.isr": (),
        "processing.guarantee": ("at_least_once", EXACTLY_ONCE_V2)}
    # Its own name, apart from the brokers' Crash, so the fault line can tell which fired.
    fault_actions: ClassVar[dict[str, tuple[str, ...]]] = {
        "Streams instance crash": ("InstanceCrash",)}
    faults_not_modelled = (
        *TransactionsModel.faults_not_modelled,
        "an instance crash while one of its requests is outstanding (its late answer)",
        "standby replicas and warm-up tasks (KIP-441)",
        # The transaction faults of the loop underneath, which Streams' bounds never offer.
        txm.TIMEOUT_OF_LIVE_TRANSACTION, "delayed produce request",
        "delayed offset commit request", "delayed EndTxn request",
    )
    bounds = (
        Bound("instances", 2, "Streams instances (one stream thread each) in the group; the "
              "task runs on one at a time", minimum=1, maximum=2),
        Bound("inputs", 2, "input records of the task's input partition", minimum=1,
              maximum=3),
        Bound("keys", 1, "distinct keys; input k has key k mod keys", minimum=1, maximum=2),
        Bound("instance_crashes", 1, "crashes of the instance running the task (it restarts "
              "with empty memory; the group rebalances and the task moves to the next "
              "instance)",
              minimum=0, fault="Streams instance crash"),
        Bound("after_crash", "restart", "restart: the crashed instance comes back at once "
              "(its InitProducerId aborts its open transaction); down: it stays down (an open "
              "transaction of it stays open until the coordinator aborts it on "
              "transaction.timeout.ms)",
              choices=("restart", "down")),
        Bound("rebalances", 0, "rebalances moving the task while its old owner keeps running "
              "(a zombie: it missed max.poll.interval.ms)", minimum=0,
              fault="group rebalance", injected_by=("Rebalance",)),
        Bound("crashes", 0, "broker crashes", minimum=0, fault="broker crash"),
    )
    # A stream thread past max.poll.interval.ms is a zombie: the rebalances bound.
    timeout_bounds: ClassVar[dict[str, str]] = {"max.poll.interval.ms": "rebalances"}
    # Test mutants override the Streams rules below, like the transactions model's.
    rule_mixins: ClassVar[tuple[type, ...]] = ()
    protocol_mixins: ClassVar[tuple[type, ...]] = ()

    # StreamsConfig hands bare client keys to its clients too (getClientPropsWithPrefix),
    # under producer., consumer. and the per-consumer prefixes; topic. keys go to the
    # topics it creates (InternalTopicManager: the changelog).
    client_prefixes: ClassVar[tuple[str, ...]] = ("", "producer.", "consumer.", "main.consumer.",
                                                  "restore.consumer.", "global.consumer.",
                                                  "topic.")

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """Its producer's acks are its own, not the plain loop's: a value given is judged
        as a client key (client_values); left unset under at_least_once before 3.0 it is
        the producer's default 1, which the model does not cover (it runs acks=all)."""
        guarantee = given.get("processing.guarantee",
                              kafka_settings.default_for("processing.guarantee", version))
        if _eos_family(guarantee) == EXACTLY_ONCE_V2:
            checkpoints = {} if versions.has_fix(versions.text(version), "KAFKA-16017") \
                or guarantee != EXACTLY_ONCE_V2 else {"processing.guarantee": guarantee}
            return {**txm.txn_log_min_isr_uncovered(given, version), **checkpoints,
                    **txm.txn_id_expiry_uncovered(given, version)}
        acks = kafka_settings.default_for("acks", version)
        if "producer.acks" in given or "acks" in given or acks == -1:
            return {}
        return {"acks": acks}

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        if name == "acks":
            return ("the task's producer is modelled with acks=all only; Streams sets no "
                    "acks, and the producer's default is 1 before 3.0: set producer.acks=all")
        if name == "processing.guarantee" and str(value) == EXACTLY_ONCE_V2:
            return ("before 3.6.2 and 3.7.0 (KAFKA-16017) a persistent store's checkpoint "
                    "after a task re-initialised under exactly-once (a wiped store) could "
                    "name its changelog's end, so the next restore skipped the missing "
                    "counts; this model keeps no local checkpoint, so it cannot show that "
                    "(3.6.2's backport is not told apart here: a 3.6 release counts as "
                    "without it)")
        if name == txm.TXN_ID_EXPIRY:
            return txm.TransactionsModel.uncovered_reason(name, value)
        return txm.TXN_LOG_MIN_ISR_REASON if name == txm.TXN_LOG_MIN_ISR else None

    @classmethod
    def client_values(cls, kafka: Mapping[str, Any]) -> dict[str, Any]:
        """What Streams gives its clients under processing.guarantee (StreamsConfig
        CONSUMER_DEFAULT_OVERRIDES, CONSUMER_EOS_OVERRIDES, PRODUCER_EOS_OVERRIDES)."""
        guarantee = _eos_family(kafka["processing.guarantee"])
        # acks: not set by Streams (the producer's default: 1 before 3.0, all since), but
        # the task's producer is modelled with acks=all only (_producer_acks).
        return {**{k: v for k, v in _DERIVED[guarantee].items() if k != "transactional.id"},
                "auto.offset.reset": "earliest", "acks": -1,
                # the store's changelog (UnwindowedUnversionedChangelogTopicConfig): a
                # topic.cleanup.policy=delete lets retention delete counts a restore needs
                "cleanup.policy": "compact",
                "min.insync.replicas": kafka["min.insync.replicas"],
                **({"enable.idempotence": True} if guarantee == EXACTLY_ONCE_V2 else {})}

    @classmethod
    def client_forced(cls, kafka: Mapping[str, Any], prefix: str) -> frozenset[str]:
        """Streams drops a user's enable.auto.commit given bare or with producer. or
        consumer., and under exactly_once_v2 the isolation.level, enable.idempotence and
        transactional.id too (StreamsConfig.checkIfUnexpectedUserSpecifiedConsumerConfig);
        main.consumer., restore.consumer. and global.consumer. keys are applied after that
        check (getMainConsumerConfigs, getRestoreConsumerConfigs): they take effect. The
        main consumer's partition.assignment.strategy is StreamsPartitionAssignor whatever
        any key says (put after every prefix in getMainConsumerConfigs), and the restore
        and global consumers' auto.offset.reset is none whatever their keys say."""
        assignor = frozenset({"partition.assignment.strategy"})
        if prefix in ("restore.consumer.", "global.consumer."):
            # getRestoreConsumerConfigs, getGlobalConsumerConfigs: "none", after the keys
            return assignor | {"auto.offset.reset"}
        if prefix not in ("", "producer.", "consumer."):
            return assignor
        if _eos_family(kafka["processing.guarantee"]) != EXACTLY_ONCE_V2:
            return assignor | {"enable.auto.commit"}
        return assignor | {"enable.auto.commit", "isolation.level", "enable.idempotence",
                           "transactional.id"}

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        if config.version < (0, 11):
            # The application runs on the transactions model's loop (KIP-98): nothing
            # older is modelled, though Streams itself is older (0.10).
            return (f"the streams model starts at Kafka 0.11: it runs the application on "
                    "the transactions model's loop (KIP-98 log format and producer state), "
                    f"which Kafka {config.kafka_version} does not have")
        acks = _acks_key(config)
        problem = acks and eos_acks_problem(config.kafka["processing.guarantee"], *acks)
        if problem:
            return problem
        protocol = str(config.setting("group.protocol", "classic")).strip().lower()
        static = [k for k in ("main.consumer.group.instance.id", "consumer.group.instance.id",
                              "group.instance.id")
                  if k in config.explicit and str(config.setting(k)).strip()]
        if protocol == "streams" and static:
            # StreamsConfig.verifyStreamsProtocolCompatibility (4.1, KIP-1071).
            return (f"ConfigException: Streams rebalance protocol does not support static "
                    f"membership ({static[0]} with group.protocol=streams; StreamsConfig)")
        problem = eos_producer_problem(config.kafka["processing.guarantee"], {
            k: config.setting(k) for k in config.explicit}) or \
            TransactionsModel.validate_config(_loop_config(config)) or \
            _eos_timeout_problem(config)
        if problem:
            return problem
        try:
            _codecs(config)
        except ValueError as exc:
            # Before transaction.version 2 (Kafka 4.0) one producer epoch spans every
            # transaction of an instance, so its sequences multiply the layouts.
            return (f"{exc} (e.g. --bound inputs=1 or --bound instance_crashes=0; before "
                    "transaction.version 2 every transaction of an epoch takes new sequences)")
        return None

    def __init__(self, config: Config) -> None:
        super().__init__(_loop_config(config))
        self.guarantee = config.kafka["processing.guarantee"]
        self.eos = self.guarantee == EXACTLY_ONCE_V2
        self.keys = config.bounds["keys"] if "keys" in config.bounds else 1
        self.bound = {**self.bound, **{b.name: b.default for b in StreamsModel.bounds},
                      **config.bounds}
        self.config = config
        self.kafka = config.kafka
        # A record holds (key, count), the count saturated at inputs + 1: a count above
        # the number of inputs is wrong whatever its value, so nothing is lost for the
        # properties (and a log entry names at most 63 kinds of record).
        self.top = self.K + 1
        self.data_codec, self.log_codec, self.offsets_codec = _codecs(config)

    # -- the task's rules (one method each: test mutants override them) --------------------

    def key_of(self, k: int) -> int:
        """The key of input record k."""
        return k % self.keys

    def restore_isolation(self) -> str:
        """The restore consumer's isolation.level: read_committed under exactly_once_v2
        (StreamsConfig overrides it for every consumer), the default otherwise."""
        return "read_committed" if self.eos else "read_uncommitted"

    def restore_complete(self, state: TxnState) -> bool:
        """StoreChangelogReader restores until its position reaches the changelog's end
        offset, listed read_uncommitted (the HW): read_committed, that waits until the LSO
        reaches the HW, i.e. no transaction is open or unmarked (KAFKA-10167)."""
        part = state.cluster.parts[CHANGELOG]
        leader = self._leader(state, CHANGELOG)
        if leader < 0:
            return False
        if self.restore_isolation() == "read_uncommitted":
            return True
        return self.lso(state, CHANGELOG) == part.hws[leader]

    def restored_store(self, state: TxnState) -> tuple[int, ...]:
        """The store rebuilt from the changelog: each key's last count in it (0: none)."""
        store = [0] * self.keys
        for _offset, rec in self.read(state, CHANGELOG, self.restore_isolation()) or ():
            key, count = self.decode(rec)
            store[key] = count
        return tuple(store)

    def processed_store(self, store: tuple[int, ...], k: int) -> tuple[int, ...]:
        """process(): the store after counting input k (KTable count: old count + 1,
        saturated at inputs + 1)."""
        g = self.key_of(k)
        return store[:g] + (min(store[g] + 1, self.top),) + store[g + 1:]

    def encode(self, key: int, count: int) -> int:
        """The record (key, count) as the log holds it."""
        return key * self.top + count - 1

    def decode(self, rec: int) -> tuple[int, int]:
        """(key, count) of a record of the output topic or the changelog."""
        key, c = divmod(rec, self.top)
        return key, c + 1

    # -- the loop, specialised -------------------------------------------------------------

    def _plan(self, k: int) -> tuple[int, ...]:
        """Each input writes the output topic, the changelog and (in the same transaction
        under exactly_once_v2) the input offset."""
        if k < 0:
            return (tp.IDLE,) * self.slots
        return (tp.TODO,) * self.slots

    def init_states(self) -> list[State]:
        budget = lambda s: s.budget._replace(restarts=self.bound["instance_crashes"])  # noqa: E731
        return [s._replace(budget=budget(s)) for s in super().init_states()]

    def _member_actions(self, state: TxnState, i: int,
                        prod: tp.Producer) -> Iterator[tuple[Action, State]]:
        if prod.phase == tp.DONE:
            return  # a crashed instance that stays down (after_crash=down)
        for action, nxt in super()._member_actions(state, i, prod):
            member = nxt.members[i]
            if action[0] == "FetchOffset":
                if not self.restore_complete(state):
                    continue
                store = self.restored_store(state)
                action = (*action, f"restored {self._store_text(store)}")
                nxt = self._with_member(nxt, i, member._replace(store=store))
            elif action[0] == "Poll":
                store = self.processed_store(member.store, member.input)
                action = (*action, f"count {self._store_text(store)}")
                nxt = self._with_member(nxt, i, member._replace(store=store))
            yield action, nxt

    def _batch(self, state: TxnState, prod: tp.Producer, i: int, p: int,
               fresh: bool) -> ptx.Entry:
        batch = super()._batch(state, prod, i, p, fresh)
        if p == self.P:
            return batch
        member = state.members[i]
        key = self.key_of(member.input)
        return batch._replace(rec=self.encode(key, member.store[key]))

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        yield from super().successors(state)
        if state.budget.restarts > 0:
            for i in range(self.I):
                yield from self._crashes(state, i)

    def _outstanding(self, state: TxnState, i: int) -> bool:
        """Instance i has a request in flight (an append awaiting acks, or a change the
        coordinator has not answered)."""
        if any(w.owner == i for w in state.waits) or \
                any(late.instance == i for late in state.late):
            return True
        for pend in state.coord.pending:
            if pend.reply == tc.REPLY_CLIENT + i:
                return True
            if pend.reply >= tc.REPLY_LEADER and \
                    self._writer(self._resumed(pend.reply)[0], state) == i:
                return True
        return False

    def _crashes(self, state: TxnState, i: int) -> Iterator[tuple[Action, State]]:
        """Instance i (the task's owner) crashes and restarts with empty memory; the group
        rebalances and the task moves (successor_of)."""
        member = state.members[i]
        if not member.owns or self._outstanding(state, i):
            return
        prod = state.producers[i]
        if self.bound["after_crash"] == "down":
            restarted = prod._replace(phase=tp.DONE)
        elif self.transactional:
            # Same transactional.id (the process id persists in the state directory:
            # StateDirectory.initializeProcessId): InitProducerId bumps the epoch and aborts
            # its open transaction (TransactionCoordinator.handleInitProducerId).
            restarted = tp.new_producer(self.first_plan)
        else:
            # A new idempotent producer; keeping the id and the next sequence is what the
            # broker sees of a new producer id starting at sequence 0.
            restarted = prod._replace(phase=tp.READY, batches=self.first_plan, abortable=False)
        down = self._with_producer(state, i, restarted)
        down = self._with_member(down, i, Member(member.generation, False, tl.NO_POSITION,
                                                 tl.NO_POSITION))
        g = state.group.generation + 1
        budget = state.budget._replace(restarts=state.budget.restarts - 1)
        j = self.successor_of(i)
        yield (("InstanceCrash", f"P{i}", f"restarts; generation {g}", f"P{j} owns the task"),
               down._replace(group=Group(g, j), budget=budget))

    def successor_of(self, i: int) -> int:
        """Who runs the task after instance i crashed: the next instance (the rebalance on
        its session timeout gives the task to a live member), i itself when it is alone."""
        return (i + 1) % self.I

    # -- what the properties read --------------------------------------------------------

    def settled_counts(self, state: TxnState, p: int) -> dict[int, int] | None:
        """Each key's last count in data partition p's leader log, its records of aborted
        transactions left out, up to the log end (what read_committed consumers see once
        the HW gets there: a new leader's HW may lag what it holds); None while p has no
        leader or holds a transaction still open or without its marker."""
        leader = self._leader(state, p)
        if leader == NO_LEADER:
            return None
        log = state.cluster.parts[p].logs[leader]
        if self.rules.last_stable_offset(log, len(log), self.data_codec) != len(log):
            return None
        latest: dict[int, int] = {}
        for _o, rec in self.rules.consumer_read(log, len(log), self.data_codec,
                                                "read_committed"):
            key, count = self.decode(rec)
            latest[key] = count
        return latest

    # -- presentation --------------------------------------------------------------------

    def _count_text(self, count: int) -> str:
        return f"{count}+" if count == self.top else str(count)

    def _store_text(self, store: tuple[int, ...]) -> str:
        return ", ".join(f"k{g}={self._count_text(c)}" for g, c in enumerate(store)) or "-"

    def partition_name(self, q: int) -> str:
        if q == OUTPUT:
            return "output"
        if q == CHANGELOG:
            return "changelog"
        return super().partition_name(q)

    def _batch_text(self, batch: ptx.Entry, p: int) -> str:
        if p == self.P:
            return super()._batch_text(batch, p)
        key, count = self.decode(batch.rec)
        return f"k{key}={self._count_text(count)} e{batch.epoch} s{batch.seq}"

    def entry_text(self, payload: int, q: int = 0) -> str:
        if q >= self.P:
            return super().entry_text(payload, q)
        e = self.codec_of(q).decode(payload)
        pid = f"P{e.pid}:"
        if e.kind == ptx.MARKER:
            return f"{pid}{'COMMIT' if e.commit else 'ABORT'}(e{e.epoch})"
        key, count = self.decode(e.rec)
        return f"{pid}k{key}={self._count_text(count)}(e{e.epoch}s{e.seq})"

    def message(self, action: Action, before: State, after: State) -> Message:
        """The transactions model's arrows, with partitions named by their topic."""
        return self.topic_message(action, before, after)

    def view(self, state: State) -> dict[str, Any]:
        out = super().view(state)
        for i, m in enumerate(state.members):
            out[f"P{i}.store"] = self._store_text(m.store) if m.store else "not restored"
        out["instance crashes left"] = str(state.budget.restarts)
        return out

    def action_families(self) -> tuple[str, ...]:
        return (*super().action_families(), "InstanceCrash")

    def notes(self) -> list[str]:
        out = [self._streams_note(n) for n in super().notes() if not any(
            # The loop's notes that do not hold for Streams: it sets auto.offset.reset=
            # earliest itself (CONSUMER_DEFAULT_OVERRIDES); its runtime, not the
            # application, calls sendOffsetsToTransaction, with the group metadata under
            # exactly_once_v2 (StreamsProducer.commitTransaction); and at_least_once
            # has no transaction log.
            part in n for part in ("bound 'timeouts'", "auto.offset.reset not set",
                                   "sendOffsetsToTransaction",
                                   *(() if self.eos else ("transaction log",))))]
        out.append(f"processing.guarantee={self.guarantee}: "
                   + ("output, changelog and input offset in one transaction per input"
                      if self.eos else "output and changelog acknowledged, then the offset "
                      "commit, per input"))
        out.append(COMMIT_AND_CACHE_NOTE)
        if "replication.factor" not in self.config.explicit and self.config.version >= (3, 0):
            # StreamsConfig 3.0 (KIP-733): -1, the brokers' default.replication.factor
            out.append(f"replication.factor not given: Streams {self.config.kafka_version} "
                       "creates its internal topics with -1, the brokers' "
                       "default.replication.factor, which no setting here gives; this run "
                       f"takes {self.kafka['replication.factor']} (set replication.factor to "
                       "the brokers' value)")
        out += [f"{key}: Kafka Streams runs its own value whatever this key says (StreamsConfig)"
                for key in sorted(self.config.explicit) if self._forced_key(key)]
        return out

    def _streams_note(self, note: str) -> str:
        """A note of the loop, worded for Streams: its transaction log takes the data
        topics' replication factor (covered_values), so that is the setting to change."""
        if note.startswith("replication.factor=1:"):
            return ("replication.factor=1: one broker holds every partition, so a crash "
                    "stops the whole cluster until it restarts; set replication.factor=2 for a "
                    "failover to another broker"
                    + (" (this model gives the transaction log the same replication factor)"
                       if self.eos else ""))
        # its own transaction-log settings are not covered here (covered_values)
        return note.replace(": set it to check another count",
                            " (this model ties it to replication.factor)")

    def _forced_key(self, key: str) -> bool:
        """Whether Streams replaces the user's ``key`` (client_forced), bare or prefixed."""
        prefix = max((p for p in self.client_prefixes if key.startswith(p)), key=len)
        setting = kafka_settings.setting_of(key)
        return setting is not None and key not in self.settings and \
            setting.name in self.client_forced(self.kafka, prefix)

    def properties(self) -> list[Property]:
        from kafkacheck.properties import streams as props

        return props.streams_properties(self)


def _loop_config(config: Config) -> Config:
    """The transactions model's configuration of this Streams application: a loop over the
    inputs, two data partitions (output, changelog), the producer and consumer settings
    Streams derives from processing.guarantee."""
    k, b = config.kafka, config.bounds
    guarantee = k["processing.guarantee"]
    kafka = {name: k[name] for name in ("transaction.version", "replication.factor",
                                        "min.insync.replicas",
                                        "transaction.partition.verification.enable")
             if name in k}
    kafka.update(_DERIVED[guarantee])
    if "process.roles" in config.explicit:
        kafka["process.roles"] = k["process.roles"]
    if _given_acks(config) is not None:
        kafka["acks"] = _given_acks(config)
    bounds = {"instances": b["instances"], "inputs": b["inputs"], "partitions": 2,
              "rebalances": b["rebalances"], "crashes": b["crashes"]}
    # An unset value (at_least_once's transactional.id) is left out: Kafka's default null
    # (an empty string is a value Kafka refuses, ConfigDef.NonEmptyString).
    settings = [(name, kafka_settings.render(name, v)) for name, v in kafka.items()
                if v is not None]
    from kafkacheck.config import build_config

    return build_config(TransactionsModel, settings=settings,
                        bounds=[(n, str(v)) for n, v in bounds.items()],
                        kafka_version=config.kafka_version)


def _acks_key(config: Config) -> tuple[str, str] | None:
    """The key and text of the acks given for the task's producer
    (StreamsConfig.getProducerConfigs: a producer.-prefixed key over a bare one)."""
    return next(((key, str(config.not_modelled[key])) for key in ("producer.acks", "acks")
                 if key in config.not_modelled), None)


def _given_acks(config: Config) -> int | None:
    """The acks given for the task's producer; None when none is, or when the run does not
    cover the value given (it then runs the release's behaviour, as for any setting not
    covered)."""
    given = _acks_key(config)
    if given is None or given[0] in config.uncovered:
        return None
    return kafka_settings.SETTINGS["acks"].value_of(given[1])


# StreamsConfig's transaction timeout under exactly-once (PRODUCER_EOS_OVERRIDES).
EOS_TRANSACTION_TIMEOUT = 10000
EOS_COMMIT_INTERVAL = 100  # StreamsConfig.EOS_DEFAULT_COMMIT_INTERVAL_MS


def eos_producer_problem(guarantee: str, given: Mapping[str, str]) -> str | None:
    """Why the task's idempotent producer is never built under an exactly-once
    ``guarantee`` with the keys ``given`` (as written): more than 5 requests in flight
    (StreamsConfig.verifyMaxInFlightRequestPerConnection) or retries=0 (ProducerConfig:
    "Must set retries to non-zero when using the idempotent producer", Streams having set
    enable.idempotence=true), bare or with producer."""
    if not guarantee.strip().startswith("exactly_once"):
        return None
    for name in ("max.in.flight.requests.per.connection", "retries"):
        key = next((k for k in (f"producer.{name}", name) if k in given), None)
        if key is None:
            continue
        try:
            value = int(str(given[key]).strip())
        except ValueError:
            continue  # refused by the setting's own parser
        if name == "retries" and value == 0:
            return (f"ConfigException: {key}=0 with processing.guarantee={guarantee}: Must "
                    "set retries to non-zero when using the idempotent producer (Streams sets "
                    "enable.idempotence=true)")
        if name != "retries" and value > 5:
            return (f"ConfigException: {key}={value}: Can't exceed 5 when exactly-once "
                    "processing is enabled (StreamsConfig)")
    return None


def _eos_timeout_problem(config: Config) -> str | None:
    """Under exactly-once: StreamsConfig.verifyEOSTransactionTimeoutCompatibility (3.0)
    refuses a commit.interval.ms above producer.transaction.timeout.ms (10 s by default),
    and the broker refuses a transaction timeout above its transaction.max.timeout.ms."""
    if _eos_family(config.kafka["processing.guarantee"]) != EXACTLY_ONCE_V2:
        return None
    key = "producer.transaction.timeout.ms"
    if config.version >= (3, 0):
        # Only the prefixed key: a bare transaction.timeout.ms still reaches the producer
        # (getClientPropsWithPrefix) but this check reads producerPrefix's alone.
        given = key if key in config.explicit else None
        timeout = EOS_TRANSACTION_TIMEOUT if given is None else int(config.setting(given))
        # postProcessParsedConfig: 100 ms (EOS_DEFAULT_COMMIT_INTERVAL_MS) when not given
        commit = int(config.setting("commit.interval.ms", EOS_COMMIT_INTERVAL)) \
            if "commit.interval.ms" in config.explicit else EOS_COMMIT_INTERVAL
        if timeout < commit:
            return (f"IllegalArgumentException: Transaction timeout {timeout} was set lower "
                    f"than streams commit interval {commit} (StreamsConfig); raise {key} or "
                    "lower commit.interval.ms")
    return txm.client_txn_timeout_problem(config, (key, "transaction.timeout.ms"),
                                          EOS_TRANSACTION_TIMEOUT)


def eos_acks_problem(guarantee: str, key: str, text: str) -> str | None:
    """Why the task's producer is never built under an exactly-once ``guarantee`` with
    ``key=text``: PRODUCER_EOS_OVERRIDES set enable.idempotence=true, and the
    KafkaProducer then refuses any acks but all (ProducerConfig, explicit idempotence)."""
    if _eos_family(guarantee) != EXACTLY_ONCE_V2 or \
            kafka_settings.SETTINGS["acks"].value_of(text) == -1:
        return None
    return (f"ConfigException: {key}={text} with processing.guarantee={guarantee}: Must set "
            "acks to all in order to use the idempotent producer (Streams sets "
            "enable.idempotence=true)")


def _producer_acks(config: Config) -> int:
    """The acks the task's producer runs with: as given (a value the model covers), else
    all: the idempotent producer's under exactly_once_v2 (StreamsConfig
    PRODUCER_EOS_OVERRIDES), the producer's default from 3.0, and what the model runs in
    place of the default 1 before 3.0, which is not covered (uncovered_under)."""
    given = _given_acks(config)
    return -1 if given is None else given


def _codecs(config: Config) -> tuple[ptx.Codec, ptx.Codec, ptx.Codec]:
    """The loop's record layouts for this application (ValueError when they do not fit): a
    record holds (key, count) with counts 1..inputs + 1, and each instance restart is one
    more InitProducerId and pass over the inputs."""
    loop = _loop_config(config)
    k, b = loop.kafka, config.bounds
    protocol = tc.protocol_for(k["transaction.version"],
                               txm.partition_verification(k, loop.version))
    bumps = int(protocol.end_epoch(0) > 0) + int(protocol.client_bumps_epoch)
    return txm._codecs(loop, bumps, restarts=b["instance_crashes"],
                       values=b["keys"] * (b["inputs"] + 1))
