"""Producer guarantees: no duplicates, no acknowledged loss, per-partition and per-key order, and
what a failed send tells the application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.cluster.partition import EPOCH, LEADER, LOGS, NO_LEADER, RECORD_MASK
from kafkacheck.model.cluster.replication import PARTS
from kafkacheck.properties.base import Property, always, sometimes

if TYPE_CHECKING:
    from kafkacheck.model.clients.producer import ProducerModel

# Positions in the producer model's state and its tuples (see model/producer.py).
REPL, BATCHES, DESCS = 0, 4, 5
B_PART, B_RECORDS, B_ATTEMPTS, B_STATUS, B_ERR = 0, 1, 2, 4, 5
ACKED, FAILED = 2, 3

REPLICATION_PROPERTIES = ("CommittedRecordsStay", "ReplicasAgreeBelowHw", "LeaderInIsr",
                          "HwWithinLeo", "LeaderFailsOver")


_LAST: list = [None, None]  # the last state asked about and its answer (properties share it)


def leader_records(state: tuple) -> list[list[int] | None]:
    """Per partition, the record ids in its leader's log in offset order (None: no leader)."""
    if _LAST[0] is state:
        return _LAST[1]
    batches = state[BATCHES]
    descs = state[DESCS]
    out: list[list[int] | None] = []
    for part in state[REPL][PARTS]:
        leader = part[LEADER]
        if leader == NO_LEADER:
            out.append(None)
            continue
        records: list[int] = []
        for e in part[LOGS][leader]:
            records.extend(batches[descs[e & RECORD_MASK][0]][B_RECORDS])
        out.append(records)
    _LAST[0], _LAST[1] = state, out
    return out


def no_duplicates(state: tuple) -> bool:
    """No record appears twice in a partition leader's log."""
    for records in leader_records(state):
        if records is not None and len(set(records)) != len(records):
            return False
    return True


def acked_present(state: tuple) -> bool:
    """Every record of an acknowledged batch is in its partition leader's log."""
    logs = leader_records(state)
    for batch in state[BATCHES]:
        if batch[B_STATUS] != ACKED:
            continue
        records = logs[batch[B_PART]]
        if records is not None and not set(batch[B_RECORDS]) <= set(records):
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


def definite_failures_absent(state: tuple, definite: frozenset[int]) -> bool:
    """No record of a batch that failed with a 'not written' error is in the leader's log."""
    logs = leader_records(state)
    for batch in state[BATCHES]:
        if batch[B_STATUS] == FAILED and batch[B_ERR] in definite:
            records = logs[batch[B_PART]]
            if records is not None and set(batch[B_RECORDS]) & set(records):
                return False
    return True


def indefinite_failure_written(state: tuple, definite: frozenset[int]) -> bool:
    """A batch reported failed with a timeout-like error is nevertheless in the leader's log."""
    logs = leader_records(state)
    for batch in state[BATCHES]:
        if batch[B_STATUS] == FAILED and batch[B_ERR] not in definite:
            records = logs[batch[B_PART]]
            if records is not None and set(batch[B_RECORDS]) & set(records):
                return True
    return False


def producer_properties(model: ProducerModel) -> list[Property]:
    """The producer model's properties, stated with the settings that decide them."""
    from kafkacheck.model.clients.producer import DEFINITE, ERROR_NAMES

    acks = {-1: "all", 0: "0", 1: "1"}[model.acks]
    idem = "on" if model.idempotent else "off"
    note = f"; {model.idempotence_note}" if model.idempotence_note else ""
    setting = (f"acks={acks}, idempotence {idem}, retries={model.retries}, "
               f"max.in.flight={model.max_in_flight}{note}")
    definite_names = ", ".join(ERROR_NAMES[e] for e in sorted(DEFINITE))
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
        ),
        always(
            "DefiniteFailureAbsent",
            f"a record whose send failed with an error saying it was not written "
            f"({definite_names}) is not in the log",
            lambda s: definite_failures_absent(s, DEFINITE),
            source="Sender.completeBatch: the application sees the error of the last attempt only",
            explanation="the send failed with an error that describes only its last attempt; an "
            "earlier attempt had been written and its response lost. With retries > 0 no "
            "error proves a record absent; only retries=0 makes these errors definite",
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
        lambda s: any(b[B_STATUS] == ACKED for b in s[BATCHES])))
    b = model.bound
    faults = b["lost_responses"] > 0 or b["crashes"] > 0 or b["leader_changes"] > 0
    can_retry = model.acks != 0 and model.retries > 0 and b["retry_budget"] > 0
    if can_retry and faults:
        props.append(sometimes(
            "SomeBatchRetried", "a batch can be retried",
            lambda s: any(b[B_ATTEMPTS] > 0 for b in s[BATCHES])))
    if model.acks != 0 and b["lost_responses"] > 0 and (
            model.retries == 0 or (b["expiries"] > 0 and can_retry)):
        props.append(sometimes(
            "TimedOutSendWritten",
            "a send reported failed with a timeout or network error may still be in the log "
            "(Kafka's documented behaviour: the outcome is unknown)",
            lambda s: indefinite_failure_written(s, DEFINITE)))
    if can_retry and (b["crashes"] > 0 or b["leader_changes"] > 0):
        props.append(sometimes(
            "RetryAfterFailover", "a batch can be retried after its partition changed leader",
            lambda s: any(b[B_ATTEMPTS] > 0 for b in s[BATCHES])
            and any(part[EPOCH] > 0 for part in s[REPL][PARTS])))
    props.extend(p for p in model.embedded.properties() if p.name in REPLICATION_PROPERTIES)
    return props
