"""The Kafka producer composed with replication: batching, retries, in-flight limits, idempotence.

The question it answers: with these producer settings, can a record be duplicated,
reordered or lost, and what does a failed send tell the application?  The broker side
is the replication model embedded whole (``compose.Embedded``, its own Produce
disabled): fetch, ISR changes, high watermark, crashes, fencing, elections and
truncation are its actions, unchanged.  This module adds the producer (KafkaProducer,
RecordAccumulator, Sender, TransactionManager for idempotence), one connection per
broker, and the cross-component actions: a leader appending a produce request
(Partition.appendRecordsToLeader with ProducerStateManager checks), the acks=all
purgatory (DelayedProduce) and the responses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafkacheck.config import Config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.clients import producer_broker as pb
from kafkacheck.model.clients.producer_partitioning import Partitioning, batch_bytes, key_name
from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster.partition import EPOCH, HWS, ISR, LEADER, LOGS, NO_LEADER, put
from kafkacheck.model.cluster.replication import ALIVE, PARTS, ReplicationModel, broker_name
from kafkacheck.model.compose import Embedded
from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.properties.base import Property

# Fields of the model state tuple.
REPL, NEXT, PSTATE, DEQUES, BATCHES, DESCS, CONNS, TM, BUDGET = range(9)
FIELDS = ("replication", "next_record", "partitioner", "accumulator", "batches",
          "wire_batches", "connections", "idempotence", "budget")

# A batch (ProducerBatch): partition, record ids, attempts (retries so far), current wire
# descriptor (-1 before its first drain), status, last error, sequence reset by a bump.
B_PART, B_RECORDS, B_ATTEMPTS, B_DESC, B_STATUS, B_ERR, B_RESET = range(7)
QUEUED, INFLIGHT, ACKED, FAILED = range(4)
STATUS_NAMES = ("queued", "in flight", "acked", "failed")

# A wire descriptor (the batch as sent): batch, producer epoch (-1: not idempotent),
# base sequence, record count.  Log entries are partition.entry(leader epoch, descriptor).
D_BATCH, D_EPOCH, D_BASE, D_COUNT = range(4)

# A request on a connection: (descriptor, stage, x, leader epoch).  Stages: on the wire
# (not read by the broker), in the acks=all purgatory (x = offset awaited), answered
# (x = error code, response travelling back), or dead (the broker crashed under it).
WIRE, PURGATORY, RESPONSE, DEAD = range(4)

# Error codes (org.apache.kafka.common.protocol.Errors) plus the client-side ones.
(NONE, NOT_LEADER, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_AFTER, REQUEST_TIMED_OUT, NETWORK,
 OUT_OF_ORDER, INVALID_EPOCH, DELIVERY_TIMEOUT) = range(9)
ERROR_NAMES = ("NONE", "NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS",
               "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION",
               "OUT_OF_ORDER_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH",
               "TimeoutException (delivery.timeout.ms)")
RETRIABLE = frozenset({NOT_LEADER, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_AFTER, REQUEST_TIMED_OUT,
                       NETWORK})
# Errors saying the last attempt was not written; the others leave it unknown (or written).
DEFINITE = frozenset({NOT_LEADER, NOT_ENOUGH_REPLICAS, OUT_OF_ORDER, INVALID_EPOCH})

# Idempotence bookkeeping (TransactionManager / TxnPartitionEntry): producer epoch, epoch
# bump requested, partitions whose sequences to rewrite (mask), and per partition
# (next sequence, last acked sequence, epoch the partition uses, unresolved next sequence).
T_EPOCH, T_BUMP, T_REWRITE, T_PARTS = range(4)
S_NEXT, S_ACKED, S_EPOCH, S_UNRESOLVED = range(4)
NO_SEQ = -1

# Budgets: responses lost or timed out, retries, delivery timeouts.
L_LOST, L_RETRIES, L_EXPIRIES = range(3)

BUGS = ("none", "no-producer-state", "skip-sequence-check", "oos-as-success", "never-ack",
        "never-retry", "timeout-only-unread")
MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5


def effective_idempotence(config: Config) -> tuple[bool, str | None, str | None]:
    """ProducerConfig.postProcessAndValidateIdempotenceConfigs: (enabled, error, note)."""
    k = config.kafka
    explicit = "enable.idempotence" in config.explicit
    enabled = k["enable.idempotence"]
    disable_reasons = []
    if enabled:
        if k["retries"] == 0:
            if explicit:
                return (False, "Must set retries to non-zero when using the idempotent "
                        "producer.", None)
            disable_reasons.append("retries is set to 0")
        if k["acks"] != -1:
            if explicit:
                return False, ("Must set acks to all in order to use the idempotent producer. "
                               "Otherwise we cannot guarantee idempotence."), None
            disable_reasons.append(f"acks is set to {k['acks']}, not set to 'all'")
        in_flight = k["max.in.flight.requests.per.connection"]
        if in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
            return False, ("To use the idempotent producer, max.in.flight.requests.per.connection"
                           f" must be set to at most 5. Current value is {in_flight}."), None
    note = None
    if disable_reasons:
        enabled = False
        note = ("idempotence disabled: enable.idempotence was left at its default and "
                + " and ".join(disable_reasons) + " (Kafka disables it silently, logging at INFO)")
    if "transactional.id" in config.explicit and config.not_modelled.get("transactional.id") \
            and not enabled:
        return False, "Cannot set a transactional.id without also enabling idempotence.", None
    return enabled, None, note


class ProducerModel(Model):
    """One producer sending records to a replicated topic through batches and retries."""

    name = "producer"
    summary = ("Producer: partitioners, batching, retries, in-flight requests, idempotence "
               "(KIP-98/KIP-360/KIP-679) over replicated partitions")
    source = ("KafkaProducer, RecordAccumulator, Sender, TransactionManager, ProducerStateManager;"
              " KIP-98, KIP-360, KIP-480, KIP-679, KIP-794")
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
    )
    key_settings = ("acks", "enable.idempotence", "retries",
                    "max.in.flight.requests.per.connection", "partitioner.class",
                    "replication.factor", "min.insync.replicas")
    bounds = (
        Bound("records", 2, "records the application sends, in order r0, r1, ...",
              minimum=1, maximum=8),
        Bound("keys", 0, "0: keyless records; K: record i has the String key 'key-(i mod K)'",
              minimum=0, maximum=8),
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=4),
        Bound("batch_records", 0, "records that fill a batch (0: derive from batch.size with "
              "10-byte records)", minimum=0, maximum=8),
        Bound("record_partition", -1, "-1: the partitioner chooses; p: every record names "
              "partition p explicitly", minimum=-1, maximum=3),
        Bound("lost_responses", 1, "produce responses lost or timed out (request.timeout.ms)",
              minimum=0, fault="lost or timed-out produce response"),
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
        Bound("truncation", "leader-epoch", "follower truncation rule (as in replication)",
              choices=pt.TRUNCATION_RULES),
        Bound("bug", "none", "inject a bug, to show that the properties can fail", choices=BUGS),
    )

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        _enabled, error, _note = effective_idempotence(config)
        if error:
            return f"ConfigException: {error}"
        k = config.kafka
        if "delivery.timeout.ms" in config.explicit and \
                k["delivery.timeout.ms"] < k["linger.ms"] + k["request.timeout.ms"]:
            return ("ConfigException: delivery.timeout.ms should be equal to or larger than "
                    "linger.ms + request.timeout.ms")
        rf, isr = k["replication.factor"], k["min.insync.replicas"]
        if isr > rf:
            return (f"min.insync.replicas={isr} exceeds replication.factor={rf}: every acks=all "
                    "write would fail with NOT_ENOUGH_REPLICAS")
        if rf > 3:
            return f"replication.factor={rf} is beyond exhaustive reach here (at most 3)"
        b = config.bounds
        if b["record_partition"] >= b["partitions"]:
            return (f"record_partition={b['record_partition']} does not exist: the topic has "
                    f"{b['partitions']} partition(s)")
        return None

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        k = self.kafka
        b = self.bound
        self.idempotent, _error, self.idempotence_note = effective_idempotence(config)
        self.acks = k["acks"]
        self.retries = k["retries"]
        self.max_in_flight = k["max.in.flight.requests.per.connection"]
        self.guarantee_order = self.max_in_flight == 1  # Sender mutes the partition
        self.n = k["replication.factor"]
        self.min_isr = k["min.insync.replicas"]
        self.partitions = b["partitions"]
        self.records = b["records"]
        self.keys = b["keys"]
        self.bug = b["bug"]
        batch_size = max(1, k["batch.size"])  # KafkaProducer: Math.max(1, batch.size)
        if b["batch_records"] > 0:
            batch_size = batch_bytes(b["batch_records"])
        self.batch_size = batch_size
        self.partitioning = Partitioning(self.partitions, batch_size, k["partitioner.class"],
                                         k["partitioner.ignore.keys"], b["record_partition"])
        repl_kafka = {name: k.get(name, kafka_settings.SETTINGS[name].default)
                      for name in ReplicationModel.settings}
        repl_bounds = {"partitions": self.partitions, "records": 0, "crashes": b["crashes"],
                       "crash_kind": b["crash_kind"], "leader_changes": b["leader_changes"],
                       "lost_acks": 0, "truncation": b["truncation"], "bug": "none"}
        repl_config = Config(repl_kafka, repl_bounds, config.explicit & {"flush.messages"})
        self.repl = ReplicationModel(repl_config)
        self.embedded = Embedded(self.repl, REPL, "")

    # -- state --------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        repl = self.repl.init_states()[0]
        tm: tuple = ()
        if self.idempotent:
            tm = (0, False, 0, ((0, NO_SEQ, 0, NO_SEQ),) * self.partitions)
        b = self.bound
        return [(repl, 0, self.partitioning.initial_state(), ((),) * self.partitions, (), (),
                 ((),) * self.n, tm, (b["lost_responses"], b["retry_budget"], b["expiries"]))]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        yield from self._send(state)
        for p in range(self.partitions):
            nxt = self._drain(state, p)
            if nxt is not None:
                yield nxt
            if state[BUDGET][L_EXPIRIES] > 0 and state[DEQUES][p]:
                nxt = self._expire(state, p)
                if nxt is not None:
                    yield nxt
        alive = state[REPL][ALIVE]
        for b, conn in enumerate(state[CONNS]):
            if not conn:
                continue
            if alive >> b & 1:
                yield from self._handle(state, b)
                yield from self._purgatory(state, b)
            if conn[0][1] == RESPONSE:
                nxt = self._receive(state, b)
                if nxt is not None:
                    yield nxt
            nxt = self._disconnect(state, b)
            if nxt is not None:
                yield nxt
        for action, nxt in self.embedded.successors(state):
            if action[0] in ("Crash", "PowerLoss"):
                b = int(action[1][1:]) - 1
                conns = nxt[CONNS]
                dead = tuple((r[0], DEAD, 0, 0) for r in conns[b])
                nxt = nxt[:CONNS] + (put(conns, b, dead),) + nxt[CONNS + 1:]
            yield action, nxt

    # -- KafkaProducer.send -> RecordAccumulator.append ----------------------------------

    def _send(self, state: State) -> Iterator[tuple[Action, State]]:
        """KafkaProducer.send: partition the next record and append it to a batch."""
        r = state[NEXT]
        if r >= self.records:
            return
        key = r % self.keys if self.keys else -1
        batches = state[BATCHES]
        deques = state[DEQUES]
        parts = state[REPL][PARTS]
        available = tuple(p for p, part in enumerate(parts) if part[LEADER] != NO_LEADER)
        sketch = tuple(tuple((len(batches[i][B_RECORDS]), batches[i][B_DESC] != -1) for i in dq)
                       for dq in deques)
        key_text = key_name(key) if key >= 0 else "no key"
        places = self.partitioning.place(key, state[PSTATE], sketch, available)
        chosen = [place.partition for place in places]
        for place in places:
            p = place.partition
            label: Action = ("Send", f"r{r}", key_text, f"p{p}")
            if chosen.count(p) > 1:  # the partitioner also drew its next partition
                label += (f"next p{place.partitioner[0]}" if len(place.partitioner) == 2 and
                          self.partitioning.plugin is None else f"partitioner {place.partitioner}",)
            if place.new_batch:
                number = len(batches)
                new_batches = batches + ((p, (r,), 0, -1, QUEUED, NONE, False),)
                new_deques = put(deques, p, deques[p] + (number,))
            else:
                number = deques[p][-1]
                old = batches[number]
                new_batches = put(batches, number, put(old, B_RECORDS, old[B_RECORDS] + (r,)))
                new_deques = deques
            nxt = (state[REPL], r + 1, place.partitioner, new_deques, new_batches) + state[DESCS:]
            yield label, nxt

    # -- Sender: drain, complete, retry --------------------------------------------------

    def _tm_inflight(self, batches: tuple, descs: tuple, p: int) -> list[int]:
        """TransactionManager.inflightBatchesBySequence of p: sequenced batches not done."""
        found = [i for i, bt in enumerate(batches) if bt[B_PART] == p and bt[B_DESC] >= 0
                 and bt[B_STATUS] <= INFLIGHT]
        found.sort(key=lambda i: (descs[batches[i][B_DESC]][D_EPOCH],
                                  descs[batches[i][B_DESC]][D_BASE]))
        return found

    def _drain(self, state: State, p: int) -> tuple[Action, State] | None:
        """RecordAccumulator.drain: p's first batch to its leader (full, or linger.ms expired)."""
        deque = state[DEQUES][p]
        if not deque:
            return None
        part = state[REPL][PARTS][p]
        leader = part[LEADER]
        if leader == NO_LEADER:
            return None  # leader unknown: the partition is not ready
        conns = state[CONNS]
        conn = conns[leader]
        if self.acks != 0 and len(conn) >= self.max_in_flight:
            return None  # NetworkClient.canSendMore
        batches = state[BATCHES]
        if self.guarantee_order and any(bt[B_PART] == p and bt[B_STATUS] == INFLIGHT
                                        for bt in batches):
            return None  # muted partition (max.in.flight.requests.per.connection=1)
        number = deque[0]
        batch = batches[number]
        descs = state[DESCS]
        tm = state[TM]
        count = len(batch[B_RECORDS])
        if self.idempotent:
            tparts = tm[T_PARTS]
            tp = tparts[p]
            inflight = self._tm_inflight(batches, descs, p)
            if batch[B_DESC] < 0:
                # shouldStopDrainBatchesForPartition
                if inflight and tp[S_EPOCH] != tm[T_EPOCH]:
                    return None
                if tp[S_UNRESOLVED] != NO_SEQ:
                    return None
                if tp[S_EPOCH] != tm[T_EPOCH]:  # maybeUpdateProducerIdAndEpoch
                    tp = (0, NO_SEQ, tm[T_EPOCH], NO_SEQ)
            elif inflight and descs[batch[B_DESC]][D_BASE] != \
                    descs[batches[inflight[0]][B_DESC]][D_BASE]:
                return None  # a retried batch waits until it is first in sequence
            if batch[B_DESC] < 0:
                desc = len(descs)
                descs = descs + ((number, tm[T_EPOCH], tp[S_NEXT], count),)
                tp = put(tp, S_NEXT, tp[S_NEXT] + count)
            else:
                desc = batch[B_DESC]
            tm = put(tm, T_PARTS, put(tparts, p, tp))
        elif batch[B_DESC] < 0:
            desc = len(descs)
            descs = descs + ((number, -1, -1, count),)
        else:
            desc = batch[B_DESC]
        if desc > pt.RECORD_MASK:
            return None  # beyond the log-entry encoding (64 wire batches)
        dead = not state[REPL][ALIVE] >> leader & 1 or any(r[1] == DEAD for r in conn)
        request = (desc, DEAD if dead else WIRE, 0, 0)
        status = ACKED if self.acks == 0 else INFLIGHT  # acks=0 completes on send
        batch = (p, batch[B_RECORDS], batch[B_ATTEMPTS], desc, status, NONE, batch[B_RESET])
        nxt = (state[REPL], state[NEXT], state[PSTATE], put(state[DEQUES], p, deque[1:]),
               put(batches, number, batch), descs, put(conns, leader, conn + (request,)), tm,
               state[BUDGET])
        records = " ".join(f"r{r}" for r in batch[B_RECORDS])
        return ("Drain", f"p{p}", f"b{number} [{records}]", f"to {broker_name(leader)}"), nxt

    def _reenqueue(self, deque: tuple, batches: tuple, descs: tuple, number: int) -> tuple:
        """RecordAccumulator.reenqueue: addFirst, or insertInSequenceOrder when idempotent."""
        if not self.idempotent:
            return (number,) + deque
        base = descs[batches[number][B_DESC]][D_BASE]
        i = 0
        while i < len(deque) and batches[deque[i]][B_DESC] >= 0 and \
                descs[batches[deque[i]][B_DESC]][D_BASE] < base:
            i += 1
        return deque[:i] + (number,) + deque[i:]

    def _request_bump(self, tm: tuple, p: int) -> tuple:
        """TransactionManager.requestEpochBumpForPartition."""
        return (tm[T_EPOCH], True, tm[T_REWRITE] | 1 << p, tm[T_PARTS])

    def _can_retry_idempotent(self, tm: tuple, batch: tuple, descs: tuple,
                              err: int) -> tuple[bool, tuple]:
        """TransactionManager.canRetry (idempotent, non-transactional)."""
        if err != OUT_OF_ORDER:
            return err in RETRIABLE, tm
        p = batch[B_PART]
        tp = tm[T_PARTS][p]
        base = descs[batch[B_DESC]][D_BASE]
        unresolved = tp[S_UNRESOLVED]
        is_next = base - tp[S_ACKED] == 1
        if unresolved == NO_SEQ and (batch[B_RESET] or not is_next):
            return True, tm
        if unresolved == NO_SEQ or base == unresolved:
            tm = self._request_bump(tm, p)
        return True, tm

    def _complete(self, parts: list, number: int, err: int) -> str | None:
        """Sender.completeBatch: the outcome (None: a retry past the budget, not explored)."""
        # ``parts`` is [batches, deques, tm, budget, descs], updated in place.
        batches, deques, tm, budget, descs = parts
        batch = batches[number]
        if batch[B_STATUS] != INFLIGHT:
            return "ignored"  # !batch.isDone() failed: already completed
        if (err == NONE or (err == OUT_OF_ORDER and self.bug == "oos-as-success")) \
                and self.bug != "never-ack":
            if self.idempotent:
                p = batch[B_PART]
                d = descs[batch[B_DESC]]
                tp = tm[T_PARTS][p]
                last = d[D_BASE] + d[D_COUNT] - 1
                if last > tp[S_ACKED]:
                    tm = put(tm, T_PARTS, put(tm[T_PARTS], p, put(tp, S_ACKED, last)))
            parts[0] = put(batches, number, put(batch, B_STATUS, ACKED))
            parts[2] = tm
            return "acked"
        attempts = batch[B_ATTEMPTS]
        if self.idempotent:
            retriable, tm = self._can_retry_idempotent(tm, batch, descs, err)
        else:
            retriable = err in RETRIABLE
        if attempts < self.retries and retriable and self.bug != "never-retry":
            if budget[L_RETRIES] == 0:
                return None
            parts[3] = put(budget, L_RETRIES, budget[L_RETRIES] - 1)
            batch = (batch[B_PART], batch[B_RECORDS], attempts + 1, batch[B_DESC], QUEUED, err,
                     batch[B_RESET])
            parts[0] = batches = put(batches, number, batch)
            p = batch[B_PART]
            parts[1] = put(deques, p, self._reenqueue(deques[p], batches, descs, number))
            parts[2] = tm
            return "retry"
        # failBatch: sequences are adjusted only if the batch did not exhaust its retries.
        adjust = attempts < self.retries
        if self.idempotent and (err == OUT_OF_ORDER or adjust):
            tm = self._request_bump(tm, batch[B_PART])  # TransactionManager.handleFailedBatch
        parts[0] = put(batches, number, put(put(batch, B_STATUS, FAILED), B_ERR, err))
        parts[2] = tm
        return "failed"

    def _settle(self, parts: list) -> None:
        """Sender.runOnce prologue: maybeResolveSequences, bumpIdempotentEpochAndResetIdIfNeeded."""
        if not self.idempotent:
            return
        batches, _deques, tm, _budget, descs = parts
        tparts = tm[T_PARTS]
        for p, tp in enumerate(tparts):
            if tp[S_UNRESOLVED] == NO_SEQ or self._tm_inflight(batches, descs, p):
                continue
            if tp[S_NEXT] - tp[S_ACKED] != 1:
                tm = self._request_bump(tm, p)
            tparts = tm[T_PARTS]
            tm = put(tm, T_PARTS, put(tparts, p, put(tparts[p], S_UNRESOLVED, NO_SEQ)))
        if tm[T_BUMP]:
            epoch = tm[T_EPOCH] + 1
            tparts = list(tm[T_PARTS])
            for p in range(self.partitions):
                if not tm[T_REWRITE] >> p & 1:
                    continue
                seq = 0  # TxnPartitionEntry.startSequencesAtBeginning
                for i in self._tm_inflight(batches, descs, p):
                    bt = batches[i]
                    count = len(bt[B_RECORDS])
                    descs = descs + ((i, epoch, seq, count),)
                    batches = put(batches, i, bt[:B_DESC] + (len(descs) - 1,) + bt[B_STATUS:B_RESET]
                                  + (True,))
                    seq += count
                tparts[p] = (seq, NO_SEQ, epoch, NO_SEQ)
            tm = (epoch, False, 0, tuple(tparts))
        parts[0], parts[2], parts[4] = batches, tm, descs

    def _rebuild(self, state: State, parts: list, conns: tuple) -> State:
        batches, deques, tm, budget, descs = parts
        return (state[REPL], state[NEXT], state[PSTATE], deques, batches, descs, conns, tm,
                budget)

    def _receive(self, state: State, b: int) -> tuple[Action, State] | None:
        """Sender.handleProduceResponse for the oldest response on connection b."""
        conn = state[CONNS][b]
        desc, _stage, err, _ = conn[0]
        number = state[DESCS][desc][D_BATCH]
        parts = [state[BATCHES], state[DEQUES], state[TM], state[BUDGET], state[DESCS]]
        outcome = self._complete(parts, number, err)
        if outcome is None:
            return None
        self._settle(parts)
        nxt = self._rebuild(state, parts, put(state[CONNS], b, conn[1:]))
        return ("Receive", broker_name(b), f"b{number}", ERROR_NAMES[err], outcome), nxt

    def _disconnect(self, state: State, b: int) -> tuple[Action, State] | None:
        """NetworkClient disconnect: in-flight requests fail (NETWORK_EXCEPTION), oldest first."""
        # request.timeout.ms on a live broker (budgeted) or a dead broker (free); the broker
        # never reads the requests still on the wire.
        conn = state[CONNS][b]
        budget = state[BUDGET]
        free = not state[REPL][ALIVE] >> b & 1 or any(r[1] == DEAD for r in conn)
        if self.bug == "timeout-only-unread" and any(r[1] != WIRE for r in conn):
            return None  # injected bug: a request the broker already handled never times out
        if not free:
            if budget[L_LOST] == 0:
                return None
            budget = put(budget, L_LOST, budget[L_LOST] - 1)
        parts = [state[BATCHES], state[DEQUES], state[TM], budget, state[DESCS]]
        if self.acks != 0:
            for request in conn:
                number = state[DESCS][request[0]][D_BATCH]
                if self._complete(parts, number, NETWORK) is None:
                    return None
        self._settle(parts)
        nxt = self._rebuild(state, parts, put(state[CONNS], b, ()))
        label = "Disconnect" if free else "Timeout"
        return (label, broker_name(b), f"{len(conn)} request(s)"), nxt

    def _expire(self, state: State, p: int) -> tuple[Action, State] | None:
        """RecordAccumulator.expiredBatches: p's oldest queued batch fails (delivery.timeout.ms)."""
        number = state[DEQUES][p][0]
        batches = state[BATCHES]
        batch = batches[number]
        tm = state[TM]
        if self.idempotent and batch[B_ATTEMPTS] > 0:  # markSequenceUnresolved
            d = state[DESCS][batch[B_DESC]]
            tp = tm[T_PARTS][p]
            nxt_seq = max(tp[S_UNRESOLVED], d[D_BASE] + d[D_COUNT])
            tm = put(tm, T_PARTS, put(tm[T_PARTS], p, put(tp, S_UNRESOLVED, nxt_seq)))
        batch = put(put(batch, B_STATUS, FAILED), B_ERR, DELIVERY_TIMEOUT)
        budget = state[BUDGET]
        parts = [put(batches, number, batch), put(state[DEQUES], p, state[DEQUES][p][1:]), tm,
                 put(budget, L_EXPIRIES, budget[L_EXPIRIES] - 1), state[DESCS]]
        self._settle(parts)
        return ("Expire", f"b{number}", f"p{p}"), self._rebuild(state, parts, state[CONNS])

    # -- broker: produce request handling ------------------------------------------------

    def _leader_append(self, part: tuple, desc: int) -> tuple:
        """Partition.appendRecordsToLeader: append, flush if due, advance the HW."""
        leader = part[LEADER]
        log = part[LOGS][leader] + (pt.entry(part[EPOCH], desc),)
        nxt = put(part, LOGS, put(part[LOGS], leader, log))
        durable = nxt[pt.DURABLE]
        if durable and len(log) - durable[leader] >= self.repl.flush_every:
            nxt = put(nxt, pt.DURABLE, put(durable, leader, len(log)))
        return pt.with_leader_hw(nxt, pt.advanced_hw(nxt))

    def _handle(self, state: State, b: int) -> Iterator[tuple[Action, State]]:
        """KafkaApis.handleProduceRequest: broker b reads its connection's next request."""
        # One request at a time per connection: the channel stays muted until the response
        # is sent (SocketServer), so an acks=all request in the purgatory blocks the next.
        conn = state[CONNS][b]
        i = 0
        while i < len(conn) and conn[i][1] == RESPONSE:
            i += 1
        if i == len(conn) or conn[i][1] != WIRE:
            return
        desc = conn[i][0]
        descs = state[DESCS]
        number = descs[desc][D_BATCH]
        p = state[BATCHES][number][B_PART]
        repl = state[REPL]
        part = repl[PARTS][p]
        name = broker_name(b)
        err = NONE
        offset = -1
        new_part = part
        if part[LEADER] != b:
            err = NOT_LEADER
        elif self.acks == -1 and part[ISR].bit_count() < self.min_isr:
            err = NOT_ENOUGH_REPLICAS
        else:
            outcome, offset = pb.check_append(part[LOGS][b], descs, desc, self.bug)
            if outcome == pb.OUT_OF_ORDER:
                err = OUT_OF_ORDER
            elif outcome == pb.INVALID_EPOCH:
                err = INVALID_EPOCH
            elif outcome == pb.APPEND:
                new_part = self._leader_append(part, desc)
                offset = len(new_part[LOGS][b]) - 1
        if err != NONE:
            label: Action = ("Reject", name, f"b{number}", ERROR_NAMES[err])
            request: tuple | None = (desc, RESPONSE, err, 0)
        else:
            what = "Append" if new_part is not part else "Duplicate"
            label = (what, name, f"b{number}", f"offset {offset}")
            if self.acks == -1:
                request = (desc, PURGATORY, offset, part[EPOCH])
            else:
                request = (desc, RESPONSE, NONE, 0)
        if self.acks == 0:
            request = None  # no response is sent
        conn = conn[:i] + ((request,) if request else ()) + conn[i + 1:]
        if new_part is not part:
            repl = repl[:PARTS] + (put(repl[PARTS], p, new_part),)
        yield label, (repl,) + state[NEXT:CONNS] + (put(state[CONNS], b, conn),) + state[TM:]

    def _purgatory(self, state: State, b: int) -> Iterator[tuple[Action, State]]:
        """DelayedProduce on broker b: Partition.checkEnoughReplicasReachOffset, or expiry."""
        conn = state[CONNS][b]
        i = next((j for j, r in enumerate(conn) if r[1] == PURGATORY), -1)
        if i < 0:
            return
        desc, _stage, offset, epoch = conn[i]
        number = state[DESCS][desc][D_BATCH]
        part = state[REPL][PARTS][state[BATCHES][number][B_PART]]
        name = broker_name(b)
        budget = state[BUDGET]
        if part[LEADER] != b or part[EPOCH] != epoch:
            err = NOT_LEADER
        elif part[HWS][b] > offset:
            err = NONE if part[ISR].bit_count() >= self.min_isr else NOT_ENOUGH_AFTER
        elif budget[L_LOST] > 0:
            err = REQUEST_TIMED_OUT
            budget = put(budget, L_LOST, budget[L_LOST] - 1)
        else:
            return
        conn = put(conn, i, (desc, RESPONSE, err, 0))
        nxt = state[:CONNS] + (put(state[CONNS], b, conn), state[TM], budget)
        yield ("Respond", name, f"b{number}", ERROR_NAMES[err]), nxt

    # -- properties and presentation ----------------------------------------------------

    def effective_settings(self) -> dict[str, Any]:
        """enable.idempotence as ProducerConfig leaves it (off when acks/retries forbid it)."""
        return {**super().effective_settings(), "enable.idempotence": self.idempotent}

    def properties(self) -> list[Property]:
        from kafkacheck.properties import producer as props

        return props.producer_properties(self)

    def action_families(self) -> tuple[str, ...]:
        return ("Send", "Drain", "Append", "Duplicate", "Reject", "Respond", "Receive",
                "Timeout", "Disconnect", "Expire", *self.repl.action_families()[4:])

    def batch_records_of(self, state: State, entry: int) -> tuple[int, ...]:
        """The records of one log entry (a batch as written)."""
        return state[BATCHES][state[DESCS][entry & pt.RECORD_MASK][D_BATCH]][B_RECORDS]

    def entry_text(self, state: State, entry: int) -> str:
        """A log entry as b0[r0 r1]{pid epoch/seq}@leader epoch."""
        d = state[DESCS][entry & pt.RECORD_MASK]
        records = " ".join(f"r{r}" for r in self.batch_records_of(state, entry))
        seq = f" e{d[D_EPOCH]}s{d[D_BASE]}" if d[D_EPOCH] >= 0 else ""
        return f"[{records}{seq}]@{pt.entry_epoch(entry)}"

    def view(self, state: State) -> dict[str, Any]:
        repl = state[REPL]
        out: dict[str, Any] = {
            "alive": "{" + ", ".join(broker_name(b) for b in range(self.n)
                                     if repl[ALIVE] >> b & 1) + "}",
        }
        batches = state[BATCHES]
        for p, part in enumerate(repl[PARTS]):
            pre = f"p{p}." if self.partitions > 1 else ""
            leader = part[LEADER]
            out[f"{pre}leader"] = "none" if leader == NO_LEADER else broker_name(leader)
            out[f"{pre}leader_epoch"] = str(part[EPOCH])
            out[f"{pre}isr"] = "{" + ", ".join(broker_name(b) for b in range(self.n)
                                               if part[ISR] >> b & 1) + "}"
            for b in range(self.n):
                out[f"{pre}{broker_name(b)}.log"] = " ".join(
                    self.entry_text(state, e) for e in part[LOGS][b]) or "empty"
                out[f"{pre}{broker_name(b)}.hw"] = str(part[HWS][b])
            out[f"{pre}accumulator"] = " ".join(
                f"b{i}[" + " ".join(f"r{r}" for r in batches[i][B_RECORDS]) + "]"
                for i in state[DEQUES][p]) or "empty"
        for i, bt in enumerate(batches):
            extra = f" after {bt[B_ATTEMPTS]} retries" if bt[B_ATTEMPTS] else ""
            err = f" {ERROR_NAMES[bt[B_ERR]]}" if bt[B_STATUS] == FAILED else ""
            d = state[DESCS][bt[B_DESC]] if bt[B_DESC] >= 0 else (0, -1, -1, 0)
            seq = f" e{d[D_EPOCH]}s{d[D_BASE]}" if d[D_EPOCH] >= 0 else ""
            out[f"b{i}"] = (f"p{bt[B_PART]} [" + " ".join(f"r{r}" for r in bt[B_RECORDS])
                            + f"{seq}] {STATUS_NAMES[bt[B_STATUS]]}{err}{extra}")
        stages = ("wire", "purgatory", "answered", "dead")
        for b, conn in enumerate(state[CONNS]):
            out[f"conn {broker_name(b)}"] = " ".join(
                f"b{state[DESCS][r[0]][D_BATCH]}:{stages[r[1]]}"
                + (f" {ERROR_NAMES[r[2]]}" if r[1] == RESPONSE else "") for r in conn) or "idle"
        if self.idempotent:
            tm = state[TM]
            out["producer_epoch"] = str(tm[T_EPOCH])
            for p, tp in enumerate(tm[T_PARTS]):
                out[f"p{p}.sequence"] = (f"next {tp[S_NEXT]}, acked up to {tp[S_ACKED]}"
                                         + (f", unresolved {tp[S_UNRESOLVED]}"
                                            if tp[S_UNRESOLVED] != NO_SEQ else ""))
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
        if name == "Receive":
            return Message(action[1], "Producer", f"{action[2]} {action[3]}: {action[4]}")
        if name in ("Timeout", "Disconnect"):
            return Message("Producer", action[1], f"{name.lower()}: {action[2]} failed")
        if name == "Expire":
            return Message("Producer", "App", f"{action[1]} TimeoutException")
        return self.repl.message(action, before[REPL], after[REPL])
