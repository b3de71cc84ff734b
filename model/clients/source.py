"""Kafka Connect source tasks: a task polls an external source, a producer writes what it
polled to a topic, and the worker writes the source offsets to the offsets topic
(WorkerSourceTask), or both in one transaction (ExactlyOnceWorkerSourceTask, KIP-618).

The question it answers: after the worker running the task crashes, or a rebalance moves
the task while its old worker keeps running it (a zombie), is every source record below
the committed source offset in the topic (no loss), and is any source record in the topic
twice?  Nothing here is a second log, producer or protocol: the task is the transactions
model's loop (``transactions.TransactionsModel`` with inputs: the partitions, producer
state, the transaction coordinator, markers and LSO), its input the external source (a
sequence of N source records; record k has source offset k + 1), its output partition
the topic (p0) and its offsets partition the connector's offsets topic
(offset.storage.topic).  This module says how a Connect worker runs that loop:

* ``exactly.once.source.support=disabled`` (the default) or ``preparing``
  (DistributedConfig.exactlyOnceSourceEnabled: only ``enabled`` changes the tasks):
  records go out through the worker's producer (Worker.producerConfigs /
  baseProducerConfigs: acks=all, max.in.flight.requests.per.connection=1, retries
  Integer.MAX_VALUE (the worker's value up to 2.0, the client's default from 2.1, KIP-91),
  request.timeout.ms Integer.MAX_VALUE up to 2.8 (KAFKA-12361), delivery.timeout.ms
  Integer.MAX_VALUE from 2.1).  It has no idempotence (Connect sets
  enable.idempotence=false from KAFKA-13759: 3.2, 3.0.2, 3.1.1; earlier releases leave the
  client's default, off before 3.0 and applied only when set in 3.0.0 and 3.1.0,
  KAFKA-13598), so a retried batch is appended again; except on Kafka 3.0.1, which has
  KAFKA-13598 and not KAFKA-13759: each start of the task gets an idempotent producer of
  its own producer id, and the broker drops a retried batch's duplicate.  The source
  offset of a record is written to the offsets topic once its produce is acknowledged
  (WorkerSourceTask.commitOffsets, SubmittedRecords: only acknowledged records commit).
* ``enabled``: each task has a transactional producer whose transactional.id is the
  task's, the same on every worker (Worker.taskTransactionalId: group-connector-task); a
  task starting on a worker calls initTransactions() before it reads its source offsets
  (ExactlyOnceWorkerSourceTask.prepareToInitializeTask), which fences the task's previous
  producer and aborts its open transaction; the records of a poll() and their source
  offset are one transaction (transaction.boundary=poll, the default: the offset write
  happens inside it, OffsetStorageWriter.doFlush before commitTransaction).
* a send that fails for good (a fenced epoch, an expired batch) fails the task, in both
  modes (errors.tolerance=none: WorkerSourceTask.producerSendFailed; under exactly-once the
  error comes back from commitTransaction); a failed task is not restarted: only a later
  rebalance starts the task on a worker again.  Before KAFKA-8586 (2.4; 2.2.2, 2.3.1) the
  send callback logged the error and counted the record as sent, so the offset commit went
  past it (``failed_send_fails_task``).
* a task starting on a worker reads its last committed source offset from the offsets
  topic up to its end, read_committed under ``enabled``, and polls from there
  (KafkaOffsetBackingStore, KafkaBasedLog.readToEnd).  Kafka's read waits for open
  transactions on the offsets topic (its end is the high watermark, TopicAdmin.endOffsets
  with READ_UNCOMMITTED); the model reads at once, up to the LSO.  That is no wider than
  Kafka for one task: initTransactions() has already ended the task's previous
  transaction (AbstractWorkerSourceTask.initializeAndStart), and an earlier read only
  resumes from an older offset (more duplicates, never a loss).
* a worker crash, at any moment: its memory is gone (its requests in flight still land,
  their answers reach nobody), the group rebalances and the task starts on the next
  worker.  A rebalance starts the task anew on the worker it assigns it to, that worker
  too if it already ran it (eager rebalancing does so; with sessioned rebalancing an
  unrevoked task keeps running, which the model does not tell apart).

Modelled as the loop does it, and so narrower than Connect: one record per poll(), the
source offset written (or the transaction committed) before the next poll, i.e.
offset.flush.interval.ms and the poll batch at their finest; time is not modelled, so the
offset write may happen at any moment after the acknowledgement.  Under ``enabled`` the
offset record takes the loop's offsets path: written with the producer's id and epoch in
its transaction (a stale epoch is refused), without a sequence number.  Not modelled:
transaction.boundary=interval or connector and errors.tolerance=all (KIP-779: a failed
send skipped and committed past) are "not covered"; the leader's fenceZombies
round when a connector's task count changes (Worker.fenceZombies: one task here), the
worker-global offsets topic next to the connector's own, SourceTask.commitRecord,
producer faults other than a delayed produce request and a batch expiry.  The offsets topic
has replication.factor replicas, not offset.storage.replication.factor's (3 by default).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from kafkacheck.config import Config, build_config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.clients import txn_loop as tl
from kafkacheck.model.clients import txn_producer as tp
from kafkacheck.model.clients.connect_clients import (
    ConnectTaskClients,
    override_ignored,
    override_problem,
)
from kafkacheck.model.clients.transactions import (
    TransactionsModel,
    TxnState,
    client_txn_timeout_problem,
    partition_verification,
)
from kafkacheck.model.clients.txn_loop import Group, Member
from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.model.cluster.partition_txn import NO_PRODUCER_ID
from kafkacheck.model.interface import Action, Bound, Message, State
from kafkacheck.model.versions import has_fix
from kafkacheck.properties.base import Property

TOPIC = 0  # the topic's partition among the loop's data partitions

DISABLED, PREPARING, ENABLED = "disabled", "preparing", "enabled"


# Worker.baseProducerConfigs in every release (0.9 to 4.x) sets acks=all on the producers
# of source tasks, over the client's default; producer. (worker) and producer.override.
# (connector, KIP-458) keys override it.  Also what `review` assumes for a worker file.
WORKER_PRODUCER_ACKS = "all"


class SourceModel(ConnectTaskClients, TransactionsModel):
    """A Connect source task over the transactions model's loop, run by one of the workers."""

    name = "source"
    summary = ("Kafka Connect source task: polled records produced, source offsets committed "
               "after the ack; worker crashes and zombies; exactly.once.source.support "
               "(KIP-618) writes records and offsets in one transaction")
    source = ("WorkerSourceTask, ExactlyOnceWorkerSourceTask, OffsetStorageWriter, "
              "KafkaOffsetBackingStore, Worker.taskTransactionalId; KIP-618")
    settings = (
        "exactly.once.source.support",
        "exactly.once.support",
        "transaction.boundary",
        "offset.flush.interval.ms",
        "errors.tolerance",
        "transaction.version",
        "transaction.partition.verification.enable",
        "replication.factor",
        "min.insync.replicas",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "process.roles",  # ZooKeeper or KRaft before 4.0 (the replication model's rules)
    )
    key_settings = ("exactly.once.source.support", "transaction.boundary")
    # One record per poll(), one transaction per poll(): the other boundaries are not
    # modelled.  It reads none of the settings its base model covers by value
    # (transactional.id, isolation.level): those stay "not covered" here.
    # errors.tolerance=all skips a record whose send failed and commits past it (KIP-779):
    # not modelled.
    # The transaction log follows replication.factor and min.insync.replicas here.
    covered_values: ClassVar[dict[str, tuple]] = {"transaction.boundary": ("poll",),
                                                  "errors.tolerance": ("none",),
                                                  "transaction.state.log.replication.factor": (),
                                                  "transaction.state.log.min.isr": ()}
    # Its own name, apart from the brokers' Crash, so the fault line can tell which fired.
    fault_actions: ClassVar[dict[str, tuple[str, ...]]] = {
        "source task (worker) crash": ("WorkerCrash",)}
    group_coordinator_offsets = False  # its offsets topic is a plain topic
    faults_not_modelled = (
        *TransactionsModel.faults_not_modelled,
        "task count changes (the leader's zombie fencing round, Worker.fenceZombies)",
        "delayed write to the offsets topic (late_produces delays the records' produce "
        "requests only)",
    )
    bounds = (
        Bound("workers", 2, "Connect workers; the connector's one task runs on one of them "
              "at a time", minimum=1, maximum=2),
        Bound("records", 2, "source records the task polls, one per poll() (record k has "
              "source offset k + 1)", minimum=1, maximum=3),
        Bound("task_crashes", 1, "crashes of the worker running the task: its memory is "
              "gone, the group rebalances and the task starts on the next worker",
              minimum=0, fault="source task (worker) crash"),
        Bound("rebalances", 0, "rebalances moving the task while its old worker keeps "
              "running it until it rejoins (a zombie)", minimum=0,
              fault="group rebalance (zombie task)", injected_by=("Rebalance",)),
        Bound("late_produces", 0, "produce requests delayed past request.timeout.ms and "
              "delivered later (the producer retries meanwhile)", minimum=0,
              fault="delayed produce request", injected_by=("DelayProduce", "LateProduce")),
        Bound("expiries", 0, "sends failed by the producer's delivery timeout, waiting in the "
              "producer or while their request is lost or delayed (delivery.timeout.ms from "
              "2.1, KIP-91; before 2.1 a batch waiting for its retry expires after "
              "request.timeout.ms.  Connect sets "
              "both to Integer.MAX_VALUE (request.timeout.ms up to 2.8), so it takes a "
              "producer.delivery.timeout.ms, producer.request.timeout.ms (before 2.1) or "
              "producer.override. value, or a very long outage)", minimum=0,
              fault="batch expiry (delivery.timeout.ms)"),
        Bound("crashes", 0, "broker crashes", minimum=0, fault="broker crash"),
    )

    # The worker's producer. and consumer. keys and a connector's producer.override. and
    # consumer.override. keys (KIP-458) reach the task's producer and offsets consumer;
    # topic.creation.default. keys, the topic the worker creates for it (KIP-158).
    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """The transactions model's, and a topic-creation group's log shape (topic.creation.
        g.cleanup.policy=compact, KIP-158), as topic.creation.default.* is judged."""
        out = super().uncovered_under(given, bounds, version)
        for key, value in given.items():
            base = kafka_settings.topic_key(key)
            if key.startswith("topic.creation.") and base != key \
                    and base in kafka_settings.LOG_SHAPE \
                    and value != kafka_settings.default_for(base, version):
                out[key] = value
        return out

    # A source task has no input consumer; the offsets log's reader seeks to the beginning
    # whatever its reset policy (KafkaBasedLog.start): a bare auto.offset.reset changes nothing.
    abstracted: ClassVar[tuple[str, ...]] = ("auto.offset.reset",)
    client_prefixes: ClassVar[tuple[str, ...]] = ("producer.", "consumer.", "producer.override.",
                                                  "consumer.override.",
                                                  "topic.creation.default.")

    @classmethod
    def client_values(cls, kafka: Mapping[str, Any]) -> dict[str, Any]:
        """Worker.baseProducerConfigs (idempotence off, acks=all, one request in flight,
        retries Integer.MAX_VALUE: Worker.java 0.9 to 2.0, the client's default from 2.1),
        idempotence on under exactly-once (exactlyOnceSourceTaskProducerConfigs), the
        offsets consumer read_committed (regularSourceOffsetsConsumerConfigs: putIfAbsent).

        Kafka 3.0.1's producers are idempotent (``connect_idempotence``), but this hook is
        not told the release: a producer.enable.idempotence=true there is "not covered", and
        a false, accepted, is what the model runs (``_idempotent`` reads it)."""
        return {"enable.idempotence": kafka["exactly.once.source.support"] == ENABLED,
                "retries": kafka_settings.INT_MAX,
                "acks": -1, "max.in.flight.requests.per.connection": 1,
                "isolation.level": "read_committed", "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                **{name: kafka[name] for name in ("replication.factor", "min.insync.replicas")}}

    @classmethod
    def client_forced(cls, kafka: Mapping[str, Any], prefix: str) -> frozenset[str]:
        """Under exactly-once the worker replaces a user's enable.idempotence,
        transactional.id and the offsets consumer's isolation.level (ConnectUtils
        .ensureProperty in Worker.exactlyOnceSourceTaskProducerConfigs and
        exactlyOnceSourceOffsetsConsumerConfigs)."""
        if kafka["exactly.once.source.support"] != ENABLED:
            return frozenset()
        return frozenset({"enable.idempotence", "transactional.id", "isolation.level"})

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        k = config.kafka
        if config.version < (0, 11):
            # The task runs on the transactions model's loop (its partitions keep producer
            # state and read_committed reads, KIP-98): nothing older is modelled, though
            # Connect itself is older (0.9).
            return (f"the source model starts at Kafka 0.11: it runs the task on the "
                    "transactions model's loop (KIP-98 log format and producer state), "
                    f"which Kafka {config.kafka_version} does not have")
        support = k["exactly.once.source.support"]
        if support != DISABLED and config.version < (3, 3):
            return ("exactly.once.source.support does not exist in Kafka "
                    f"{config.kafka_version} (KIP-618 arrived in 3.3)")
        if k["exactly.once.support"] == "required" and support != ENABLED:
            return ("exactly.once.support=required: the worker must have "
                    "exactly.once.source.support=enabled, or creating the connector fails "
                    "(SourceConnectorConfig, KIP-618)")
        problem = (override_problem(config)
                   or TransactionsModel.validate_config(_loop_config(config))
                   or _eos_producer_problem(config))
        if problem:
            return problem
        try:
            _codecs(config, 1)
        except ValueError as exc:
            return str(exc)
        return None

    def __init__(self, config: Config) -> None:
        super().__init__(_loop_config(config))
        self.config = config
        self.kafka = config.kafka
        self.support = config.kafka["exactly.once.source.support"]
        self.eos = self.support == ENABLED
        # A producer with idempotence but no transactional.id (Kafka 3.0.1, unless an
        # accepted producer.enable.idempotence=false turns it off): each start of the task
        # has its own producer id, the group generation the task started in, which its
        # batches carry in their epoch too (a delayed request keeps only the epoch).
        self.plain_idempotent = not self.eos and _idempotent(config)
        self.bound = {**self.bound, **{b.name: b.default for b in SourceModel.bounds},
                      **config.bounds}
        # The task's producers share one transactional.id (Worker.taskTransactionalId).
        self.tids = len({self.tid_of(i) for i in range(self.I)}) if self.eos else 0
        self.data_codec, self.log_codec, self.offsets_codec = _codecs(config, self.tids)

    # -- the worker's rules (one method each: test mutants override them) ------------------

    def tid_of(self, i: int) -> int:
        """Every worker runs the task with the task's transactional.id, group-connector-task
        (Worker.taskTransactionalId): one id, one producer id, fenced by epoch."""
        return 0

    def pid_of(self, i: int) -> int:
        """The producer id of worker i's task producer: the transactional id's, or none
        (Worker.baseProducerConfigs: enable.idempotence=false; an idempotent producer
        without exactly-once takes its id per task start, ``_batch``)."""
        return self.tid_of(i) if self.eos else NO_PRODUCER_ID

    def offsets_pid(self, i: int) -> int:
        """The worker's offset writer shares its task producer's id (``_writer``)."""
        return self.pid_of(i)

    def _plain(self, batch: ptx.Entry) -> ptx.Entry:
        """Kept whole: ``_batch`` reads a plain idempotent task's id from the epoch first
        (``_with_own_id``), then drops epoch and sequence where no id is left."""
        return batch

    def offsets_in_transaction(self) -> bool:
        """Under exactly-once the source offsets are written by the task's transactional
        producer inside the transaction (ExactlyOnceWorkerSourceTask.commitTransaction)."""
        return self.eos

    def generation_valid(self, member: Member, group: Group) -> bool:
        """The offsets topic is a plain topic: a write to it carries no group generation;
        a zombie is stopped only by its producer epoch (KIP-618)."""
        return True

    def offset_commit_verified(self) -> bool:
        """The source offsets are a produce request to the offsets topic, verified as any
        produce (KIP-890 part 1, from 3.6), not a TxnOffsetCommit."""
        return True

    def offset_fetch_waits(self, log: tuple[int, ...]) -> bool:
        """The offsets are read to the end of the offsets topic (KafkaBasedLog.readToEnd).
        Kafka waits there for open transactions (the end is the high watermark, and the
        read_committed consumer stops at the LSO); the model reads at once: the task's own
        earlier transaction is already ended by initTransactions(), which runs first
        (AbstractWorkerSourceTask.initializeAndStart), and reading earlier only resumes from
        an older offset (more duplicates, never a loss)."""
        return False

    def task_started(self, prod: tp.Producer, generation: int = 0) -> tp.Producer:
        """The task's producer on the worker that starts the task in group ``generation``: a
        transactional one still to call initTransactions() (which fences the task's previous
        producer), or a plain one ready at once (an idempotent one with a producer id of its
        own, InitProducerId without a transactional.id: the generation, kept in its epoch)."""
        if self.eos:
            return tp.new_producer(self.first_plan)
        started = tp.new_producer(self.first_plan, ready=True)
        return started._replace(epoch=generation) if self.plain_idempotent else started

    def task_stopped(self, prod: tp.Producer) -> tp.Producer:
        """The task is gone from this worker (it crashed, or a rebalance revoked it)."""
        return prod._replace(phase=tp.DONE, batches=self.first_plan, abortable=False,
                             bump=False)

    def failed_send_fails_task(self) -> bool:
        """A send that fails for good (its batch expired) fails the task, and no source
        offset is committed past it: the callback keeps the error for the task thread and
        the record stays outstanding (WorkerSourceTask.producerSendException, KAFKA-8586:
        2.4, 2.3.1, 2.2.2).  Before, the callback logged the error and called recordSent,
        so the next offset commit took the record's source offset with it (WorkerSourceTask
        2.3.0 and 2.2.0, sendRecords)."""
        return has_fix(self.config.kafka_version, "KAFKA-8586")

    def task_failed(self, prod: tp.Producer) -> tp.Producer:
        """A send failed for good (a fenced epoch, an out-of-order sequence): the task
        fails instead of aborting and going on (errors.tolerance=none:
        WorkerSourceTask.producerSendFailed; under exactly-once the error comes back from
        commitTransaction), and closes its producer; an open transaction is left to the
        coordinator's transaction.timeout.ms."""
        return prod._replace(phase=tp.FENCED if self.eos else tp.DONE)

    # -- the loop, specialised -------------------------------------------------------------

    def init_states(self) -> list[State]:
        out = []
        for s in super().init_states():
            prods = tuple(p if s.members[i].owns else self.task_stopped(p)
                          for i, p in enumerate(s.producers))
            out.append(s._replace(producers=prods, budget=s.budget._replace(
                restarts=self.bound["task_crashes"])))
        return out

    def _writer(self, batch: ptx.Entry, state: TxnState) -> int:
        """Under one transactional.id the epoch names the producer: each InitProducerId hands
        out a new one, so the worker whose producer holds the batch's epoch wrote it (-1:
        none any more)."""
        if not self.eos:
            return super()._writer(batch, state)
        for i, prod in enumerate(state.producers):
            if prod.epoch == batch.epoch and self.pid_of(i) == batch.pid and \
                    prod.phase not in (tp.NEW, tp.INITIALIZING, tp.DONE):
                return i
        return -1

    def _batch(self, state: TxnState, prod: tp.Producer, i: int, p: int,
               fresh: bool) -> ptx.Entry:
        batch = self._with_own_id(super()._batch(state, prod, i, p, fresh), p)
        if not batch.transactional and batch.pid == NO_PRODUCER_ID:
            return batch._replace(epoch=0, seq=0)  # no producer id: no epoch, no sequence
        if p == self.P and not self.offsets_in_transaction():
            return batch._replace(epoch=0, transactional=False)
        return batch

    def _with_own_id(self, batch: ptx.Entry, p: int) -> ptx.Entry:
        """A plain idempotent producer's record batch with its producer id (its epoch:
        ``task_started``); the offsets are the worker's offset writer's, without one."""
        if self.plain_idempotent and p < self.P and batch.pid == NO_PRODUCER_ID:
            return batch._replace(pid=batch.epoch)
        return batch

    def _produce(self, state: TxnState, p: int, batch: ptx.Entry, i: int,
                 generation: int | None = None) -> tuple[str, TxnState] | None:
        # A delayed request is rebuilt from its epoch (_late_actions): its producer id too.
        return super()._produce(state, p, self._with_own_id(batch, p), i, generation)

    def _ended(self, state: TxnState, i: int, epoch: int, commit: bool) -> TxnState:
        # An idempotent producer keeps its id and sequences from one record to the next.
        if self.plain_idempotent:
            epoch = state.producers[i].epoch
        return super()._ended(state, i, epoch, commit)

    def _rebalances(self, state: TxnState) -> Iterator[tuple[Action, State]]:
        """With one worker there is no zombie: a rebalance only restarts the task in place
        once it stops (Worker.startTask refuses a task already running there), so none is
        injected and the fault line says so (offered but never injected)."""
        if self.I > 1:
            yield from super()._rebalances(state)

    def _member_actions(self, state: TxnState, i: int,
                        prod: tp.Producer) -> Iterator[tuple[Action, State]]:
        for action, nxt in super()._member_actions(state, i, prod):
            if action[0] == "Rejoin":
                owns = nxt.members[i].owns
                started = self.task_started(prod, nxt.members[i].generation) if owns \
                    else self.task_stopped(prod)
                nxt = self._with_producer(nxt, i, started)
                action = (*action[:3], "starts the task" if owns else "no task")
            elif action[0] == "FetchOffset":
                action = ("FetchOffset", action[1], action[2].replace("committed",
                                                                      "source offset"))
            elif action[0] == "Poll":
                action = ("Poll", action[1], action[2].replace("input", "source record"))
            yield action, nxt

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        for action, nxt in super().successors(state):
            if action[0] == "NewProducer":
                continue  # a fenced task fails; Connect does not restart it by itself
            if action[0] == "Expire" and not self.failed_send_fails_task():
                i = int(action[1][1:])
                sent = tp.with_batch(state.producers[i], TOPIC, tp.WRITTEN)
                yield ((*action, "logged, counted as sent (before KAFKA-8586)"),
                       self._with_producer(nxt, i, sent))
                continue
            if action[0] == "Abort":
                i = int(action[1][1:])
                yield (("TaskFails", action[1], "producer error"),
                       self._with_producer(state, i, self.task_failed(state.producers[i])))
                continue
            yield action, nxt
        if state.budget.restarts > 0:
            for i in range(self.I):
                yield from self._crashes(state, i)

    def _crashes(self, state: TxnState, i: int) -> Iterator[tuple[Action, State]]:
        """The worker running the task crashes, at any moment: the task is gone from it
        (answers to its requests in flight reach nobody; the requests themselves still land),
        the group rebalances and the next worker gets the task (itself when it is alone: it
        restarts)."""
        member = state.members[i]
        if not member.owns:
            return
        down = self._with_producer(state, i, self.task_stopped(state.producers[i]))
        down = self._with_member(down, i, Member(member.generation, False, tl.NO_POSITION,
                                                 tl.NO_POSITION))
        down = self._forget_answers(down, i)
        g = state.group.generation + 1
        j = (i + 1) % self.I
        budget = state.budget._replace(restarts=state.budget.restarts - 1)
        yield (("WorkerCrash", f"P{i}", f"generation {g}", f"P{j} gets the task"),
               down._replace(group=Group(g, j), budget=budget))

    def _forget_answers(self, state: TxnState, i: int) -> TxnState:
        """Worker i's appends awaiting acks and its coordinator requests stay, unanswered:
        their writes land, and no later producer of worker i takes their answers for its
        own (a leader's coordinator call is answered by epoch, ``_writer``)."""
        waits = tuple(w for w in state.waits if w.owner != i)
        if waits != state.waits:
            state = state._replace(waits=waits)
        for tid, pend in enumerate(state.coord.pending):
            if pend.reply == tc.REPLY_CLIENT + i:
                state = self._with_coord(state, tid, pending=pend._replace(
                    reply=tc.REPLY_NOBODY))
        return state

    # -- what the properties read --------------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import source as props

        return props.source_properties(self)

    # -- presentation --------------------------------------------------------------------

    def partition_name(self, q: int) -> str:
        return "topic" if q == TOPIC else super().partition_name(q)

    def _batch_text(self, batch: ptx.Entry, p: int) -> str:
        if p == self.P:
            return f"source offset {batch.rec}" + (f" e{batch.epoch}" if batch.transactional
                                                  else "")
        if self.plain_idempotent:
            return f"r{batch.rec} pid {batch.epoch} s{batch.seq}"
        if batch.pid == NO_PRODUCER_ID:
            return f"r{batch.rec}"
        return f"r{batch.rec} e{batch.epoch} s{batch.seq}"

    def entry_text(self, payload: int, q: int = 0) -> str:
        if q >= self.P and q != self.OFF:
            return super().entry_text(payload, q)
        e = self.codec_of(q).decode(payload)
        if e.kind == ptx.MARKER:
            return f"{'COMMIT' if e.commit else 'ABORT'}(e{e.epoch})"
        if q == self.OFF:
            return f"offset={e.rec}" + (f"(e{e.epoch})" if e.transactional else "")
        if self.plain_idempotent:
            return f"r{e.rec}(pid {e.pid} s{e.seq})"
        return f"r{e.rec}" + (f"(e{e.epoch})" if e.pid != NO_PRODUCER_ID else "")

    def message(self, action: Action, before: State, after: State) -> Message:
        """The transactions model's arrows, with partitions named by their topic."""
        if action[0] in ("WorkerCrash", "TaskFails"):
            return Message(action[1], action[1], " ".join(map(str, action[1:])))
        return self.topic_message(action, before, after)

    def view(self, state: State) -> dict[str, Any]:
        out = super().view(state)
        if not self.eos:
            # No transactions without exactly-once: no coordinator, transaction log or LSO,
            # and a producer between a poll and its offset write is not "in transaction".
            out = {k: v for k, v in out.items() if k != "coordinator" and
                   not k.startswith("txn") and not k.endswith(".lso")}
            for i, prod in enumerate(state.producers):
                batches = " ".join(f"{'offsets' if p == self.P else 'topic'}:"
                                   f"{tp.BATCH_NAMES[s]}" for p, s in enumerate(prod.batches)
                                   if s != tp.IDLE)
                own = f" pid {prod.epoch}" if self.plain_idempotent and \
                    prod.phase != tp.DONE else ""
                out[f"P{i}"] = f"{_PLAIN_PHASES.get(prod.phase, 'done')}{own} [{batches}]"
        committed = self.committed_input(state)
        out["committed source offset"] = "no leader" if committed is None else str(committed)
        out["task crashes left"] = str(state.budget.restarts)
        return out

    def action_families(self) -> tuple[str, ...]:
        return (*(f for f in super().action_families() if f not in ("NewProducer", "Abort")),
                "TaskFails", "WorkerCrash")

    def effective_settings(self) -> dict[str, Any]:
        """Under exactly-once the transaction log's replica count as checked
        (TransactionsModel); without it no transaction log is used: the settings as given."""
        return super().effective_settings() if self.eos else dict(self.config.kafka)

    def notes(self) -> list[str]:
        # A source task has no input consumer: the loop's auto.offset.reset note is not its.
        out = [n for n in super().notes() if "bound 'timeouts'" not in n
               and not n.startswith("auto.offset.reset not set")]
        if not self.eos:
            out = [("replication.factor=1: one broker holds the topic and the offsets topic, "
                    "so a crash stops both until it restarts") if n.startswith(
                        "replication.factor=1:") else n for n in out]
        if self.I == 1 and self.bound["rebalances"]:
            out.append("rebalances: with one worker a rebalance restarts the task in place "
                       "once it stops, with no zombie: none is injected (--bound workers=2)")
        out.append("offset.flush.interval.ms: time is not modelled; the task polls one "
                   "record at a time and its source offset is written at any moment after "
                   "the acknowledgement, before the next poll (the finest interval)")
        out.append(f"exactly.once.source.support={self.support}: "
                   + ("records and source offsets in one transaction per poll "
                      "(transaction.boundary=poll); the task's transactional.id is shared by "
                      "the workers, so a new task producer fences the old one"
                      if self.eos else
                      ("an idempotent producer without a transactional.id (Kafka "
                       f"{self.config.kafka_version}: KAFKA-13598's default, before "
                       "KAFKA-13759 turned it off for Connect), a producer id per task start"
                       if self.plain_idempotent else "a producer without idempotence "
                       + ("(as set: Kafka 3.0.1's own is idempotent)"
                          if connect_idempotence(self.config.kafka_version)
                          else "(Connect's default)"))
                      + "; the source offset is written after the record is acknowledged"))
        return out


# A plain (non-transactional) task producer's phases as the counterexamples name them.
_PLAIN_PHASES = {tp.READY: "ready", tp.IN_TXN: "sending a polled record", tp.DONE: "no task"}

# Where a worker's and a connector's producer keys go (Worker.producerConfigs: the
# worker's producer.*, then the connector's producer.override.*, KIP-458).
_PRODUCER_KEY_ORDER = ("producer.", "producer.override.")


def connect_idempotence(release: str) -> bool:
    """Whether Connect's task producer is idempotent without exactly-once on this release:
    the client's default applies (KAFKA-13598: 3.0.1, 3.1.1, 3.2) and Connect does not turn
    it off yet (KAFKA-13759: 3.0.2, 3.1.1, 3.2), i.e. on 3.0.1 only."""
    return has_fix(release, "KAFKA-13598") and not has_fix(release, "KAFKA-13759")


def _idempotent(config: Config) -> bool:
    """The task producer's idempotence: on under exactly-once; else the release's
    (``connect_idempotence``), or a producer.(override.)enable.idempotence the run covers
    (config.uncovered lacks it: the value the model's client runs, client_values)."""
    if config.kafka["exactly.once.source.support"] == ENABLED:
        return True
    enabled = connect_idempotence(config.kafka_version)
    for prefix in _PRODUCER_KEY_ORDER:
        key = prefix + "enable.idempotence"
        if key in config.not_modelled and key not in config.uncovered:
            enabled = kafka_settings.SETTINGS["enable.idempotence"].value_of(
                str(config.not_modelled[key]))
    return enabled


def _loop_config(config: Config) -> Config:
    """The transactions model's configuration of this source task: a loop over the source
    records, one data partition (the topic), and the producer the worker gives the task."""
    k, b = config.kafka, config.bounds
    eos = k["exactly.once.source.support"] == ENABLED
    settings = [(name, kafka_settings.render(name, k[name]))
                for name in ("transaction.version", "replication.factor", "min.insync.replicas",
                             "transaction.partition.verification.enable")]
    # Without exactly-once the producer has no transactional.id (Kafka's default null).
    settings += [*([("transactional.id", "connect-cluster-connector-0")] if eos else []),
                 ("enable.idempotence", "true" if _idempotent(config) else "false"),
                 ("acks", WORKER_PRODUCER_ACKS),
                 ("isolation.level", "read_committed"),
                 # No consumer: source offsets go through the worker's offset writer.
                 ("enable.auto.commit", "false")]
    if "process.roles" in config.explicit:
        settings.append(("process.roles", k["process.roles"]))
    # Budgets the loop reads from the model's own bounds (rebalances, late produces) stay 0
    # here: this model's record layouts count them (_codecs), not the loop's.
    bounds = {"instances": b["workers"], "inputs": b["records"], "partitions": 1,
              "crashes": b["crashes"]}
    return build_config(TransactionsModel, settings=settings,
                        bounds=[(n, str(v)) for n, v in bounds.items()],
                        kafka_version=config.kafka_version)


def _eos_producer_problem(config: Config) -> str | None:
    """Under exactly.once.source.support=enabled the task's producer is transactional and
    idempotent (Worker.exactlyOnceSourceTaskProducerConfigs): acks other than all is
    ProducerConfig's ConfigException, and a transaction timeout above the broker's
    transaction.max.timeout.ms fails InitProducerId."""
    if config.kafka["exactly.once.source.support"] != ENABLED:
        return None
    acks = next((str(config.setting(k)) for k in ("producer.override.acks", "producer.acks")
                 if k in config.explicit and not override_ignored(k, config.version)), "all")
    if kafka_settings.SETTINGS["acks"].value_of(acks) != -1:
        return ("ConfigException: Must set acks to all in order to use the idempotent "
                "producer. Otherwise we cannot guarantee idempotence. (the task's producer "
                "is transactional under exactly.once.source.support=enabled)")
    timeouts = ("producer.override.transaction.timeout.ms", "producer.transaction.timeout.ms")
    return client_txn_timeout_problem(config, timeouts, 60000)


def _codecs(config: Config, pids: int) -> tuple[ptx.Codec, ptx.Codec, ptx.Codec]:
    """The record layouts of the topic, the transaction log and the offsets topic
    (ValueError when one does not fit).  Under exactly-once, the task's ``pids`` producer
    ids (one: the task's transactional.id) go through epochs: one per task start and one
    more to fence an open transaction, and with transaction.version 2 one per transaction
    (each poll of each start, and again after each broker failover); below version 2 a
    producer's batches take one sequence per poll.  Without exactly-once, batches carry no
    producer id, or (an idempotent producer) the id of the task start that sent them, its
    group generation, in their epoch as well, with one sequence per poll."""
    loop = _loop_config(config)
    k, b = loop.kafka, config.bounds
    n = b["records"]
    eos = config.kafka["exactly.once.source.support"] == ENABLED
    if not eos:
        if _idempotent(config):
            # Generations: one per worker crash and per rebalance.
            starts = 1 + b["task_crashes"] + b["rebalances"]
            data = ptx.Codec([ptx.data(g, g, s, r, False) for g in range(starts)
                              for s in range(n) for r in range(n)], "the topic")
        else:
            data = ptx.Codec([ptx.data(NO_PRODUCER_ID, 0, 0, r, False) for r in range(n)],
                             "the topic")
        offsets = ptx.Codec([ptx.data(NO_PRODUCER_ID, 0, 0, v, False) for v in range(n + 1)],
                            "the offsets topic")
        return data, tc.log_codec(1, 1, 2), offsets
    protocol = tc.protocol_for(k["transaction.version"],
                               partition_verification(k, loop.version))
    # The client's own KIP-360 bump never happens: a failed batch fails the task.
    bumps = int(protocol.end_epoch(0) > 0)
    starts = 1 + b["task_crashes"] + b["rebalances"]
    failovers = b["crashes"]
    # A task failed by an expired batch leaves its transaction open: the coordinator's
    # timeout abort fences it, one more epoch per expiry (TransactionCoordinator
    # .abortTimedOutTransactions, prepareFenceProducerEpoch).
    epochs = 1 + 2 * (starts - 1) + 2 * failovers + bumps * n * (starts + failovers) \
        + b["expiries"]
    seqs = 1 if bumps else n * (1 + failovers)
    data = ptx.data_codec(pids, epochs, seqs, n, True)
    offsets = tl.offsets_codec(pids, epochs, n, True)
    # A test mutant writes the offsets outside the transaction: plain records, epoch 0.
    plain = [ptx.data(pid, 0, 0, v, False) for pid in range(pids) for v in range(n + 1)]
    offsets = ptx.Codec([*offsets.values[1:], *plain], "the offsets topic")
    return data, tc.log_codec(pids, epochs, 2), offsets
