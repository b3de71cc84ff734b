"""Mutants of the producer model: the broker's idempotence checks, the broker's append, and
the client's completion rules, each overridden once."""

from __future__ import annotations

from typing import Any

from kafkacheck.model.clients import producer_broker as pb
from kafkacheck.model.clients.producer import NONE, OUT_OF_ORDER, Batch, ProducerModel, Request
from kafkacheck.model.clients.producer_broker import IdempotenceRules, ProducerEntry
from mutants import mutant


class NoProducerState(IdempotenceRules):
    """The broker keeps no producer state: every batch is appended."""

    def check_append(self, log: Any, descs: Any, desc: int) -> tuple[int, int]:
        return pb.APPEND, -1


class SkipsSequenceCheck(IdempotenceRules):
    """The broker accepts any sequence number from a known producer."""

    def in_sequence(self, entry: ProducerEntry, d: pb.Descriptor) -> bool:
        return True


@mutant("producer", "no-producer-state", breaks="NoDuplicates")
class ProducerNoProducerState(ProducerModel):
    """Brokers do not deduplicate retried batches."""

    idempotence_rules = NoProducerState


@mutant("producer", "skip-sequence-check", breaks=("PartitionOrder", "KeyOrder"))
class ProducerSkipsSequenceCheck(ProducerModel):
    """Brokers append out-of-sequence batches."""

    idempotence_rules = SkipsSequenceCheck


@mutant("producer", "oos-as-success", breaks="NoAckedRecordLost")
class OutOfOrderAsSuccess(ProducerModel):
    """The producer treats OUT_OF_ORDER_SEQUENCE_NUMBER as an acknowledgement."""

    def is_success(self, err: int) -> bool:
        return err in (NONE, OUT_OF_ORDER)


@mutant("producer", "never-ack", breaks="SomeRecordAcked")
class NeverAck(ProducerModel):
    """The producer never reports success."""

    def is_success(self, err: int) -> bool:
        return False


@mutant("producer", "never-retry", breaks=("SomeBatchRetried", "RetryAfterFailover"))
class NeverRetry(ProducerModel):
    """The producer never retries a batch."""

    def may_retry(self, batch: Batch, retriable: bool) -> bool:
        return False


@mutant("producer", "timeout-only-unread", breaks="TimedOutSendWritten")
class TimeoutOnlyUnread(ProducerModel):
    """A request the broker already read never times out."""

    def may_time_out(self, conn: tuple[Request, ...]) -> bool:
        return all(r.stage == 0 for r in conn)


@mutant("producer", "rejects-after-append", breaks="DefiniteFailureAbsent")
class RejectsAfterAppend(ProducerModel):
    """The leader appends first and checks min.insync.replicas afterwards, answering
    NOT_ENOUGH_REPLICAS for a batch it has written."""

    def broker_append(self, part: Any, b: int, descs: tuple,
                      desc: int) -> tuple[int, Any, int]:
        if part.leader != b:
            return super().broker_append(part, b, descs, desc)
        err = self.rules.append_error(part.isr)
        if err == NONE:
            return super().broker_append(part, b, descs, desc)
        new_part = self.rules.append(part, desc)
        return err, new_part, len(new_part.logs[b]) - 1
