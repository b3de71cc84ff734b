"""Producer guarantees: no duplicates, no acknowledged loss, per-partition and per-key order, and
what a failed send tells the application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.clients.producer import ACKED, DEFINITE, ERROR_NAMES, FAILED, INDEFINITE
from kafkacheck.model.cluster.partition import NO_LEADER, RECORD_MASK
from kafkacheck.properties.base import Property, always, sometimes, vacuous_unless
from kafkacheck.properties.replication import unless_writes_refused

if TYPE_CHECKING:
    from kafkacheck.model.clients.producer import Batch, ProducerModel

REPLICATION_PROPERTIES = ("CommittedRecordsStay", "ReplicasAgreeBelowHw", "LeaderInIsr",
                          "HwWithinLeo", "LeaderFailsOver")


_LAST: list = [None, None]  # the last state asked about and its answer (properties share it)


def leader_records(state: tuple) -> list[list[int] | None]:
    """Per partition, the record ids in its leader's log in offset order (None: no live
    leader: a crashed one not yet fenced serves nothing, and the controller elects
    another; the replication properties skip it the same way)."""
    if _LAST[0] is state:
        return _LAST[1]
    batches = state.batches
    descs = state.descriptors
    alive = state.repl.alive
    out: list[list[int] | None] = []
    for part in state.repl.parts:
        leader = part.leader
        if leader == NO_LEADER or not alive >> leader & 1:
            out.append(None)
            continue
        records: list[int] = []
        for e in part.logs[leader]:
            records.extend(batches[descs[e & RECORD_MASK].batch].records)
        out.append(records)
    _LAST[0], _LAST[1] = state, out
    return out


def two_batches_in_one_partition(state: tuple) -> bool:
    """Some partition leader's log holds records of two of this producer's batches: the
    premise of PartitionOrder (the records of one batch stay in their order, however often
    it is appended), read from the same logs as leader_records."""
    batches = state.batches
    descs = state.descriptors
    alive = state.repl.alive
    for part in state.repl.parts:
        leader = part.leader
        if leader == NO_LEADER or not alive >> leader & 1:
            continue
        seen = {descs[e & RECORD_MASK].batch for e in part.logs[leader]}
        if sum(1 for number in seen if batches[number].records) >= 2:
            return True
    return False


def no_duplicates(state: tuple) -> bool:
    """No record appears twice in a partition leader's log."""
    for records in leader_records(state):
        if records is not None and len(set(records)) != len(records):
            return False
    return True


def acked_present(state: tuple) -> bool:
    """Every record of an acknowledged batch is in its partition leader's log."""
    logs = leader_records(state)
    for batch in state.batches:
        if batch.status != ACKED:
            continue
        records = logs[batch.partition]
        if records is not None and not set(batch.records) <= set(records):
            return False
    return True


def first_occurrences(records: list[int]) -> list[int]:
    """The records in log order, each at its first offset."""
    seen: set[int] = set()
    out = []
    for r in records:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def partition_order(state: tuple) -> bool:
    """In each partition leader's log, records appear in the order they were sent."""
    for records in leader_records(state):
        if records is not None:
            firsts = first_occurrences(records)
            if firsts != sorted(firsts):
                return False
    return True


def key_order(state: tuple, keys: int) -> bool:
    """The records of one key are in one partition, in the order they were sent."""
    where: dict[int, int] = {}
    for p, records in enumerate(leader_records(state)):
        if records is None:
            continue
        last: dict[int, int] = {}
        for r in first_occurrences(records):
            key = r % keys
            if where.setdefault(key, p) != p or last.get(key, -1) > r:
                return False
            last[key] = r
    return True


def failed_definitely(batch: Batch) -> bool:
    """The batch failed and every attempt ended with an error the broker returns only for a
    batch it did not append (DEFINITE; no attempt in doubt)."""
    return batch.status == FAILED and batch.error in DEFINITE and not batch.in_doubt


def some_send_failed_definitely(state: tuple) -> bool:
    """Some batch reached a definite failure: DefiniteFailureAbsent's premise."""
    return any(failed_definitely(batch) for batch in state.batches)


def definite_failures_absent(state: tuple) -> bool:
    """No record of a batch whose every attempt failed with a 'not written' error is in its
    partition leader's log."""
    logs = leader_records(state)
    for batch in state.batches:
        if failed_definitely(batch):
            records = logs[batch.partition]
            if records is not None and set(batch.records) & set(records):
                return False
    return True


def failed_send_written(state: tuple, errors: frozenset[int]) -> bool:
    """A batch reported failed with one of ``errors`` is nevertheless in the leader's log."""
    logs = leader_records(state)
    for batch in state.batches:
        if batch.status == FAILED and batch.error in errors:
            records = logs[batch.partition]
            if records is not None and set(batch.records) & set(records):
                return True
    return False


# The properties about appended records: each cannot fail when no append ever succeeds.
RECORD_PROPERTIES = ("NoDuplicates", "NoAckedRecordLost", "PartitionOrder",
                     "DefiniteFailureAbsent", "KeyOrder")


def producer_properties(model: ProducerModel) -> list[Property]:
    """The producer model's properties, stated with the settings that decide them."""
    acks = {-1: "all", 0: "0", 1: "1"}[model.acks]
    idem = "on" if model.idempotent else "off"
    note = f"; {model.idempotence_note}" if model.idempotence_note else ""
    setting = (f"acks={acks}, idempotence {idem}, retries={model.retries}, "
               f"max.in.flight={model.max_in_flight}{note}")
    definite_names = ", ".join(ERROR_NAMES[e] for e in sorted(DEFINITE))
    indefinite_names = ", ".join(ERROR_NAMES[e] for e in sorted(INDEFINITE))
    props = [
        always(
            "NoDuplicates",
            f"no record appears twice in a partition's log ({setting})",
            no_duplicates,
            source="KIP-98 idempotent producer; Sender retries (RecordAccumulator.reenqueue)",
            explanation="a batch was written, its acknowledgement never reached the producer "
            "(response lost, request timed out, leader changed) and the retry was written "
            "again. Without idempotence the broker cannot tell a retry from a new batch; with "
            "it, ProducerStateManager recognises the (producer id, epoch, sequence) of one of "
            "the last 5 batches and answers with the original offset",
        ),
        always(
            "NoAckedRecordLost",
            f"every record acknowledged to the application is in its partition's log ({setting})",
            acked_present,
            source="Kafka docs 'Replication' and 'Message Delivery Semantics'",
            explanation="the producer reported success for a record the partition's log does "
            "not hold: acks=0 reports success on send, acks=1 acknowledges before followers "
            "have the record (a leader failover then loses it)",
        ),
        always(
            "PartitionOrder",
            "records sent to one partition appear in its log in the order they were sent "
            f"({setting})",
            partition_order,
            source="KafkaProducer docs: max.in.flight.requests.per.connection and retries",
            explanation="a later batch was written before an earlier one: with several "
            "requests in flight the first failed (disconnect, NOT_LEADER_OR_FOLLOWER, "
            "NOT_ENOUGH_REPLICAS) while the next succeeded, and the retry came after it. "
            "Without idempotence only max.in.flight.requests.per.connection=1 prevents it; "
            "with idempotence the broker rejects the out-of-sequence batch",
            # Per partition: with keys=2 over 2 partitions the two records never share one.
            needs="SomePartitionHoldsTwoBatches",
        ),
        always(
            "DefiniteFailureAbsent",
            f"a record whose send failed, every attempt with an error the broker returns only "
            f"for batches it did not append ({definite_names}), is not in the log; "
            f"{indefinite_names} leave the outcome unknown",
            definite_failures_absent,
            source="Partition.appendRecordsToLeader (NOT_ENOUGH_REPLICAS before the append), "
            "ProducerAppendInfo (sequence and epoch checks before the append), DelayedProduce "
            "(NOT_LEADER_OR_FOLLOWER after the append, KAFKA-13574); Jepsen's Kafka client",
            explanation="a batch the broker refused outright was in the log all the same: the "
            "broker appended it before (or despite) the check whose error it returned",
            # Without a definite failure there is nothing to check (retries=2147483647 and
            # no expiry: every NOT_ENOUGH_REPLICAS is retried): it rests on the witness.
            needs="SomeSendFailedDefinitely",
        ),
    ]
    if model.keys > 0:
        props.append(always(
            "KeyOrder",
            f"the records of one key land in one partition, in the order they were sent "
            f"({model.keys} key(s))",
            lambda s: key_order(s, model.keys),
            source="KafkaProducer.partition: murmur2 of the key "
            "(BuiltInPartitioner.partitionForKey)",
            explanation="records with the same key went to different partitions (a "
            "partitioner.class that ignores keys, such as RoundRobinPartitioner, or "
            "partitioner.ignore.keys=true), so consumers see them in any order; or they were "
            "reordered inside the partition",
        ))
    props.append(sometimes(
        "SomeRecordAcked", "a record can be acknowledged",
        lambda s: any(b.status == ACKED for b in s.batches)))
    if model.records >= 2:
        props.append(sometimes(
            "SomePartitionHoldsTwoBatches",
            "a partition's log can hold records of two batches (the premise of PartitionOrder)",
            two_batches_in_one_partition,
            source="RecordAccumulator (one batch per drain), the partitioner (keys: murmur2)",
            explanation="no partition ever holds records of two batches (each record's key "
            "maps to a partition of its own, say), so PartitionOrder is not checked; use "
            "keyless records, keys that share a partition, or --bound partitions=1"))
    props.append(sometimes(
        "SomeSendFailedDefinitely",
        f"a send can fail with every attempt answered {definite_names} (the premise of "
        "DefiniteFailureAbsent)",
        some_send_failed_definitely,
        source="Sender.completeBatch/failBatch (a non-retriable error, or retries exhausted)",
        explanation="no batch ever fails definitely: a retriable NOT_ENOUGH_REPLICAS is "
        "retried (retries, delivery.timeout.ms), so DefiniteFailureAbsent is not checked; "
        "check it with --set retries=0 --set replication.factor=2 "
        "--set min.insync.replicas=2"))
    b = model.bound
    faults = b["lost_responses"] > 0 or b["crashes"] > 0 or b["leader_changes"] > 0
    can_retry = model.acks != 0 and model.retries > 0 and b["retry_budget"] > 0
    if can_retry and faults:
        props.append(sometimes(
            "SomeBatchRetried", "a batch can be retried",
            lambda s: any(b.attempts > 0 for b in s.batches)))
    if model.acks != 0 and b["lost_responses"] > 0 and (
            model.retries == 0 or (b["expiries"] > 0 and can_retry)):
        props.append(sometimes(
            "TimedOutSendWritten",
            "a send reported failed with a timeout or network error may still be in the log "
            "(Kafka's documented behaviour: the outcome is unknown)",
            lambda s: failed_send_written(s, INDEFINITE)))
    if can_retry and (b["crashes"] > 0 or b["leader_changes"] > 0):
        props.append(sometimes(
            "RetryAfterFailover", "a batch can be retried after its partition changed leader",
            lambda s: any(b.attempts > 0 for b in s.batches)
            and any(part.epoch > 0 for part in s.repl.parts)))
    props.extend(p for p in model.embedded.properties() if p.name in REPLICATION_PROPERTIES)
    # One record id cannot be out of order (a retried or resent batch counts once:
    # first_occurrences); KeyOrder needs two records of one key, or one record sent again
    # after a producer restart (it may then land in another partition).
    props = vacuous_unless(props, model.records >= 2, ("PartitionOrder",),
                           "records=1: one record cannot be out of order, so this property "
                           "cannot fail; set --bound records=2 to check it")
    if model.keys > 0:
        props = vacuous_unless(
            props, model.records > model.keys or b["producer_restarts"] > 0, ("KeyOrder",),
            f"records={model.records} with keys={model.keys}: every key has one record "
            "(and no producer restart sends one again), so this property cannot fail; set "
            "--bound records above keys to check it")
    return unless_writes_refused(model, props, RECORD_PROPERTIES)
