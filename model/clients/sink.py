"""Kafka Connect sink tasks: a consumer group whose members write what they consume to an
external system, then commit the offsets (WorkerSinkTask).

The question it answers: after a task crash or a zombie task and the rebalance that
follows, does the external system hold every record below the committed offset (no
loss), and does it hold any record twice?  The consumers, the group coordinator, the
rebalances and the log are the group model (``group.GroupModel``) unchanged, run the
way a Connect worker configures a sink task's consumer (Worker.baseConsumerConfigs:
enable.auto.commit=false, auto.offset.reset=earliest) and committing after the records
are written (SinkTask.put, then the worker's offset commit: preCommit and commitAsync
every offset.flush.interval.ms).  This module adds the external system: a table written
either by appending a row per record (a non-idempotent write) or by an upsert keyed by
topic-partition-offset (an idempotent write).

A put() that throws a RetriableException (``put_retries``) may have written part of its
batch, or all of it: WorkerSinkTask.deliverMessages pauses every partition and calls put()
again with the same batch on its next iteration, without limit and without a crash, so
an appending connector writes those rows twice.  (errors.retry.timeout.ms, KIP-298, is
another mechanism: RetryWithToleranceOperator retries the converter and transformation
stages, never put().)

Time is not modelled: the worker's offset commit may happen at any moment after put(),
which covers every offset.flush.interval.ms.  Not modelled: the commit WorkerSinkTask
makes in onPartitionsRevoked during a clean rebalance (so a duplicate found without a
crash or zombie would be one Connect avoids; the tests' duplicates come from a crash),
the task's own offsets in the external system.  Bad records (``bad_records``) fail the
task with errors.tolerance=none, and are skipped with all (to the dead-letter queue when
errors.deadletterqueue.topic.name is set: a send the worker does not wait for before it
commits, lost if the worker dies first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

from kafkacheck.config import Config, build_config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.clients.connect_clients import (
    ConnectTaskClients,
    override_ignored,
    override_problem,
    overrides_exist,
    task_client_value,
)
from kafkacheck.model.clients.group import GroupModel, GroupState
from kafkacheck.model.interface import Action, Bound, FaultModel, Message, State
from kafkacheck.properties.base import Property

WRITES = ("append", "upsert")
# The task consumer's settings the group model reads, from the worker's consumer. keys and
# the connector's consumer.override. keys (the bare keys are the worker's own).
TASK_CONSUMER_READ = ("partition.assignment.strategy", "session.timeout.ms",
                      "max.poll.interval.ms", "heartbeat.interval.ms")

PUT_RETRIED = "put() redelivered after a RetriableException"

# The dead-letter queue's producer (Worker.sinkTaskReporters: baseProducerConfigs, so the
# worker's producer.* and the connector's producer.override.* keys reach it): a send that
# fails is only logged (DeadLetterQueueReporter.report), and the offset commit does not
# wait for it. The model runs Connect's own producer settings, with which no send fails.
DLQ_PRODUCER_PREFIXES = ("producer.", "producer.override.")
# Timeouts that fail a send (Connect sets both to Integer.MAX_VALUE; request.timeout.ms
# expires a waiting batch before KIP-91, 2.1).
DLQ_SEND_TIMEOUTS = ("delivery.timeout.ms", "request.timeout.ms")
DLQ_PRODUCER_REASON = ("it reaches the dead-letter queue's producer, whose failed sends "
                       "are only logged while the offset commit goes on; the model runs "
                       "Connect's own producer settings, with which no send fails")


def dlq_producer_keys(given: Mapping[str, Any], version: tuple[int, int]) -> dict[str, Any]:
    """The producer keys given for a sink with a dead-letter queue that change producer
    semantics (any value: the model has no failed dead-letter send)."""
    out = {}
    for key, value in given.items():
        if not key.startswith(DLQ_PRODUCER_PREFIXES) or override_ignored(key, version):
            continue
        setting = kafka_settings.setting_of(key)
        if setting is not None and ("producer" in setting.semantics
                                    or setting.name in DLQ_SEND_TIMEOUTS):
            out[key] = value
    return out


class Table(NamedTuple):
    """The external system's table, per partition: the records with a row, the records
    with two rows or more, and the records in the dead-letter queue (bitmasks of record
    ids); and per task and partition (task * partitions + partition), the records its
    dead-letter queue producer is still sending."""

    rows: tuple[int, ...]
    doubled: tuple[int, ...]
    dlq: tuple[int, ...]
    sending: tuple[int, ...]


class SinkState(NamedTuple):
    """The group model's state (consumers, coordinator, log), the external table, and the
    put() calls left that may throw a RetriableException (``put_retries``)."""

    group: GroupState
    table: Table
    retries: int


class SinkModel(ConnectTaskClients, GroupModel):
    """Connect sink tasks over the group model, writing to an external table."""

    name = "sink"
    summary = ("Kafka Connect sink tasks: a group's members put records into an external "
               "table, then commit offsets; duplicates after a crash and rebalance, idempotent "
               "writes")
    source = "WorkerSinkTask, SinkTask.put/preCommit, Worker.baseConsumerConfigs"
    # Its consumers read a topic's log: compaction and tiered storage change what they see,
    # and unclean elections and flushing what broker faults take from it (LOG_LOSS; the
    # replication factor and min ISR bring those faults, FAULT_BOUNDS: not explored).
    also_changed_by: ClassVar[tuple[str, ...]] = (*kafka_settings.LOG_SHAPE,
                                                  *kafka_settings.LOG_LOSS)
    settings = (
        "errors.tolerance",
        "errors.deadletterqueue.topic.name",
        "offset.flush.interval.ms",
    )
    key_settings = ("errors.tolerance", "errors.deadletterqueue.topic.name")
    symmetry_note = GroupModel.symmetry_note
    fields = ()
    # Reads none of the settings its base model covers by value (group.protocol,
    # transactional.id, isolation.level): those stay "not covered" here.
    covered_values: ClassVar[dict[str, tuple]] = {}
    bounds = (
        Bound("tasks", 2, "sink tasks (one consumer each) in the connector's group",
              minimum=1, maximum=3),
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=2),
        Bound("records", 2, "records in the topic", minimum=0, maximum=4),
        Bound("write", "append", "how put() writes the external table: append (a row per "
              "put, not idempotent) or upsert (keyed by topic-partition-offset, idempotent)",
              choices=WRITES),
        Bound("bad_records", 0, "records the converter or a transform fails on (the first "
              "ones of partition 0)", minimum=0, maximum=2),
        Bound("crashes", 1, "task (worker) crashes: no offset commit; the group rebalances",
              minimum=0, fault="sink task crash", injected_by=("Crash",)),
        Bound("poll_timeouts", 0, "put() outlasts max.poll.interval.ms: the task leaves the "
              "group and its write goes on (a zombie)", minimum=0,
              fault="poll timeout (zombie task)", injected_by=("PollTimeout",)),
        Bound("put_retries", 0, "put() calls that throw a RetriableException after writing "
              "any part of their batch: the worker pauses and calls put() again with the same "
              "batch (WorkerSinkTask.deliverMessages)", minimum=0, maximum=3,
              fault=PUT_RETRIED, injected_by=("PutRetried",)),
    )

    # The worker's consumer. keys and a connector's consumer.override. keys (KIP-458) reach
    # the task's consumer (Worker.baseConsumerConfigs); the bare keys are the worker's own
    # (its group's session.timeout.ms and heartbeat.interval.ms), not the task's.
    client_prefixes: ClassVar[tuple[str, ...]] = ("consumer.", "consumer.override.")
    client_read: ClassVar[tuple[str, ...]] = TASK_CONSUMER_READ

    @classmethod
    def client_values(cls, kafka: Mapping[str, Any]) -> dict[str, Any]:
        """Worker.baseConsumerConfigs: auto-commit off, reset to earliest, before the
        prefixed keys."""
        return {name: kafka_settings.SETTINGS[name].value_of(text)
                for name, text in _SINK_CONSUMER}

    # WorkerSinkTask commits the offsets of records put() has returned for (the group
    # model's commitSync after processing); a test mutant commits before put().
    commit_strategy: ClassVar[str] = "sync-after-processing"

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """errors.tolerance=all changes what happens to a record the converter or a
        transform fails on: with bad_records=0 there is none, so the run says nothing
        about the setting (it would HOLD whatever it does)."""
        out: dict[str, Any] = {}
        if given.get("errors.tolerance") == "all" and not bounds.get("bad_records", 0):
            out["errors.tolerance"] = "all"
        if str(given.get("errors.deadletterqueue.topic.name") or "").strip():
            out.update(dlq_producer_keys(given, version))
        return out

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        if name == "errors.tolerance":
            return ("it skips the records a converter or transform fails on, and this run "
                    "has none: explored with --bound bad_records=1")
        if name.startswith(DLQ_PRODUCER_PREFIXES):
            return DLQ_PRODUCER_REASON
        setting = kafka_settings.setting_of(name)
        if setting is not None and setting.name != name:  # a task consumer key
            return GroupModel.uncovered_reason(setting.name, value)
        return None

    @classmethod
    def client_uncovered(cls, name: str, value: Any, version: tuple[int, int]) -> bool:
        """The task consumer runs the group model: what it does not cover (an assignor of
        an older release), this model does not either."""
        return super().client_uncovered(name, value, version) or bool(
            GroupModel.uncovered_under({name: value}, {}, version))

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        return (override_problem(config)
                or GroupModel.validate_config(_group_config(config, cls.commit_strategy)))

    def __init__(self, config: Config) -> None:
        super().__init__(_group_config(config, self.commit_strategy))
        self.config = config
        self.kafka = config.kafka
        self.bound = {**self.bound, **config.bounds}
        self.write = config.bounds["write"]
        self.tolerance = config.kafka["errors.tolerance"]
        self.dlq = bool(config.kafka["errors.deadletterqueue.topic.name"])
        # Record ids are bits in offset order: the first bad_records of partition 0 fail.
        self.bad = tuple(((1 << config.bounds["bad_records"]) - 1) if p == 0 else 0
                         for p in range(self.p))

    def delivers(self, p: int, recs: int) -> bool:
        """WorkerSinkTask with errors.tolerance=none fails the task on a record it cannot
        convert: put() never gets the batch (RetryWithToleranceOperator, KIP-298)."""
        return self.tolerance != "none" or not recs & self.bad[p]

    # -- the external system's rule (test mutants override it) ---------------------------

    def put(self, table: Table, p: int, recs: int) -> Table:
        """SinkTask.put of records ``recs`` of partition p: an append adds a row per record
        (a second put of a record makes a second row); an upsert keyed by
        topic-partition-offset replaces the row.  errors.tolerance=all: a record conversion
        failed on is dropped from the batch but its offset still counts as consumed
        (WorkerSinkTask.convertMessages)."""
        recs &= ~self.bad[p]
        rows, doubled = table.rows[p], table.doubled[p]
        if self.write == "append":
            doubled |= rows & recs
        rows |= recs
        return table._replace(rows=table.rows[:p] + (rows,) + table.rows[p + 1:],
                              doubled=table.doubled[:p] + (doubled,) + table.doubled[p + 1:])

    def partial_puts(self, p: int, recs: int) -> Iterator[int]:
        """What a put() of records ``recs`` of partition p that throws a RetriableException
        may have written first: any non-empty part of the batch the converter passed (a
        connector may write row by row, or all rows and then fail to flush)
        (WorkerSinkTask.deliverMessages catches it, keeps messageBatch, and redelivers)."""
        recs &= ~self.bad[p]
        part = recs
        while part:
            yield part
            part = (part - 1) & recs

    def dead_letter(self, table: Table, i: int, p: int, recs: int) -> Table:
        """The records of ``recs`` conversion failed on go to task i's dead-letter queue
        producer, if a queue is named (DeadLetterQueueReporter.report): a send nobody waits
        for (RetryWithToleranceOperator.execute drops its future, and the offset commit
        awaits only the ErrantRecordReporter's, WorkerSinkTask.commitOffsets)."""
        bad = recs & self.bad[p]
        if not self.dlq or not bad:
            return table
        k = i * self.p + p
        return table._replace(sending=_put_at(table.sending, k, table.sending[k] | bad))

    def dead_letter_acked(self, table: Table, k: int) -> Table:
        """The dead-letter queue topic acknowledges slot k's records (acks=all,
        Worker.baseProducerConfigs): they are in the queue."""
        p = k % self.p
        return table._replace(dlq=_put_at(table.dlq, p, table.dlq[p] | table.sending[k]),
                              sending=_put_at(table.sending, k, 0))

    def task_crashed(self, table: Table, i: int) -> Table:
        """Task i's worker dies: what its dead-letter queue producer had not sent is gone."""
        lost = range(i * self.p, (i + 1) * self.p)
        return table._replace(sending=tuple(0 if k in lost else m
                                            for k, m in enumerate(table.sending)))

    # -- the state machine ---------------------------------------------------------------

    def init_states(self) -> list[State]:
        empty = Table((0,) * self.p, (0,) * self.p, (0,) * self.p,
                      (0,) * (self.p * self.bound["tasks"]))
        return [SinkState(g, empty, self.bound["put_retries"]) for g in super().init_states()]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        group, table, retries = state
        for action, nxt in super().successors(group):
            if action[0] == "Process":
                i = self.index_of(action[1])
                m = group.consumers[i]
                p, recs = m.batch_partition, m.batch_records
                if not self.delivers(p, recs):
                    continue  # the task failed on a bad record: it goes no further
                after = self.dead_letter(self.put(table, p, recs), i, p, recs)
                yield ("Put", *action[1:]), SinkState(nxt, after, retries)
                if retries:
                    yield from self._put_retried(state, action[1], p, recs)
            elif action[0] == "Crash":
                yield action, SinkState(nxt, self.task_crashed(table, self.index_of(action[1])),
                                        retries)
            else:
                yield action, SinkState(nxt, table, retries)
        for k, recs in enumerate(table.sending):
            if recs:
                yield (("DlqAcked", f"C{k // self.p + 1}", f"p{k % self.p}"),
                       SinkState(group, self.dead_letter_acked(table, k), retries))

    def _put_retried(self, state: SinkState, name: str, p: int,
                     recs: int) -> Iterator[tuple[Action, State]]:
        """Task ``name``'s put() writes part of its batch, then throws a RetriableException: the
        batch stays to be put again (its consumer still holds it, the offsets are not
        committed), and the dead-letter reports of its conversion are not made again."""
        group, table, retries = state
        for part in self.partial_puts(p, recs):
            processed = group.processed
            nxt = group._replace(processed=processed[:p] + (processed[p] | part,)
                                 + processed[p + 1:],
                                 duplicate=group.duplicate or bool(processed[p] & part))
            yield (("PutRetried", name, f"p{p}", f"wrote {self.log.ids_text(part)}",
                    "RetriableException"),
                   SinkState(nxt, self.put(table, p, part), retries - 1))

    def canonical(self, state: State) -> State:
        return SinkState(super().canonical(state.group), state.table, state.retries)

    def properties(self) -> list[Property]:
        from kafkacheck.properties import sink as props

        return props.sink_properties(self)

    def action_families(self) -> tuple[str, ...]:
        return (*("Put" if f == "Process" else f for f in super().action_families()),
                "DlqAcked", "PutRetried")

    def fault_model(self) -> FaultModel:
        return FaultModel(tuple((b.fault, self.bound[b.name]) for b in self.bounds
                                if b.fault and self.bound[b.name] > 0),
                          tuple(b.fault for b in self.bounds
                                if b.fault and not self.bound[b.name])
                          + ("broker faults (the log is the abstract one)",
                             "paused task (session expiry)", "task close and restart",
                             "committed offsets expire (offsets.retention.minutes)",
                             "retention deletes records"))

    def notes(self) -> list[str]:
        return ["offset.flush.interval.ms: time is not modelled; the offset commit may come "
                "at any moment after put(), which covers every value",
                "enable.auto.commit=false and auto.offset.reset=earliest, as the worker sets "
                "them for a sink task's consumer",
                *(f"the task consumer runs {name}={value} (from consumer.{name} or "
                  f"consumer.override.{name})"
                  for name in TASK_CONSUMER_READ
                  if (value := task_client_value(self.config, "consumer", name)) is not None),
                *(f"{name} is a worker key, not the task consumer's (Connect hands a task "
                  f"only consumer.{name} and consumer.override.{name})"
                  for name in TASK_CONSUMER_READ if name in self.config.explicit),
                *(["consumer.override. keys do not exist before Kafka 2.3 (KIP-458): the "
                   "worker ignores them"]
                  if not overrides_exist(self.config.version) and any(
                      k.startswith("consumer.override.") for k in self.config.explicit)
                  else [])]

    # -- presentation ----------------------------------------------------------------------

    def view(self, state: State) -> dict[str, Any]:
        out = super().view(state.group)
        table = state.table
        out["external table"] = "; ".join(
            f"p{p}: {self.log.ids_text(rows)}"
            + (f" (twice: {self.log.ids_text(table.doubled[p])})" if table.doubled[p] else "")
            for p, rows in enumerate(table.rows))
        if self.bound["put_retries"]:
            out["put() retries left"] = str(state.retries)
        if self.dlq:
            out["dead-letter queue"] = "; ".join(
                f"p{p}: {self.log.ids_text(table.dlq[p])}"
                + "".join(f" (C{k // self.p + 1} sending {self.log.ids_text(m)})"
                          for k, m in enumerate(table.sending) if m and k % self.p == p)
                for p in range(self.p))
        return out

    def message(self, action: Action, before: State, after: State) -> Message:
        if action[0] in ("Put", "PutRetried"):
            return Message(action[1], "External", " ".join(str(a) for a in action[2:]))
        if action[0] == "DlqAcked":
            return Message(action[1], "Log", f"dead-letter queue {action[2]} acknowledged")
        return super().message(action, before.group, after.group)

    def participants(self) -> tuple[str, ...]:
        return (*super().participants(), "External")


# What Worker.baseConsumerConfigs sets for a sink task's consumer.
_SINK_CONSUMER = (("enable.auto.commit", "false"), ("auto.offset.reset", "earliest"))


def _put_at(values: tuple[int, ...], k: int, value: int) -> tuple[int, ...]:
    return values[:k] + (value,) + values[k + 1:]


def _group_config(config: Config, commit: str) -> Config:
    """The group model's configuration of these sink tasks, as the worker sets it."""
    b = config.bounds
    settings = list(_SINK_CONSUMER)
    settings += [(name, str(value)) for name in TASK_CONSUMER_READ
                 if (value := task_client_value(config, "consumer", name)) is not None]
    # The broker's range the group model checks the session timeout against
    # (consumer_config.py), and its group protocols.
    settings += [(name, str(config.not_modelled[name]))
                 for name in ("group.min.session.timeout.ms", "group.max.session.timeout.ms",
                              "group.coordinator.rebalance.protocols")
                 if name in config.not_modelled]
    bounds = {"consumers": b["tasks"], "partitions": b["partitions"], "records": b["records"],
              "commit": commit, "crashes": b["crashes"],
              "rejoins": 0, "poll_timeouts": b["poll_timeouts"]}
    return build_config(GroupModel, settings=settings,
                        bounds=[(n, str(v)) for n, v in bounds.items()],
                        kafka_version=config.kafka_version)

