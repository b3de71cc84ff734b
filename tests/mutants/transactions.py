"""Mutants of the transaction rules: each overrides one rule of the partition's
transactional storage, the coordinator protocol, or the loop's group coordinator.

A property that none of these (nor a real misconfiguration) can break would be a defect;
tests/test_txn_every_property_fails.py shows each property failing.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkacheck.model.clients.transactions import TransactionsModel
from kafkacheck.model.clients.txn_loop import Group, Member
from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.model.cluster.partition import RECORD_MASK, Change, PartitionState
from kafkacheck.model.cluster.partition_txn import Codec, Entry
from kafkacheck.model.cluster.txn_coordinator import TxnMeta
from mutants import mutant

# -- partition rules (mixed into TransactionalPartition) ------------------------------------


class StableUpToHighWatermark:
    """The last stable offset is the high watermark: open transactions are readable."""

    def last_stable_offset(self, log: Sequence[int], hw: int, codec: Codec) -> int:
        return hw


class AcceptsOlderEpochs:
    """checkProducerEpoch forgotten: a batch of an older producer epoch is appended."""

    def data_outcome(self, log: Sequence[int], codec: Codec, batch: Entry,
                     client: bool = True) -> tuple[int, int]:
        entry = ptx.producer_entry(log, codec, batch.pid)
        if entry.epoch > batch.epoch:
            return ptx.APPEND, ptx.NO_OFFSET
        return super().data_outcome(log, codec, batch, client)  # type: ignore[misc]


class RefusesMarkers:
    """Every marker is refused (as if its epoch were always stale)."""

    def marker_accepted(self, log: Sequence[int], codec: Codec, mark: Entry) -> bool:
        return False


class KeepsAbortedRecords:
    """read_committed forgets the aborted-transaction index: aborted records are returned."""

    def consumer_read(self, log: Sequence[int], hw: int, codec: Codec,
                      isolation: str) -> tuple[tuple[int, int], ...]:
        if isolation == "read_committed":
            lso = self.last_stable_offset(log, hw, codec)  # type: ignore[attr-defined]
            values = codec.values
            return tuple((o, values[log[o] & RECORD_MASK].rec) for o in range(lso)
                         if values[log[o] & RECORD_MASK].kind == ptx.DATA)
        return super().consumer_read(log, hw, codec, isolation)  # type: ignore[misc]


@mutant("transactions", "stable-up-to-hw", breaks="NoAbortedRead")
class TxnStableUpToHw(TransactionsModel):
    """read_committed reads up to the high watermark."""

    rule_mixins = (StableUpToHighWatermark,)


@mutant("transactions", "keeps-aborted-records", breaks=("NoAbortedRead", "AtomicCommit"))
class TxnKeepsAbortedRecords(TransactionsModel):
    """read_committed returns aborted records."""

    rule_mixins = (KeepsAbortedRecords,)


@mutant("transactions", "accepts-older-epochs", breaks="ZombieFenced")
class TxnAcceptsOlderEpochs(TransactionsModel):
    """A fenced producer's batches are appended."""

    rule_mixins = (AcceptsOlderEpochs,)


@mutant("transactions", "refuses-markers", breaks=("TransactionsComplete", "LsoAdvances",
                                                    "CommittedBecomesVisible"))
class TxnRefusesMarkers(TransactionsModel):
    """No marker is ever written."""

    rule_mixins = (RefusesMarkers,)


# -- the coordinator protocol -----------------------------------------------------------


class EndTxnIgnoresEpoch:
    """EndTxn accepted from any epoch: a fenced producer commits."""

    def end_request_valid(self, meta, epoch: int) -> bool:  # noqa: ANN001
        return True


@mutant("transactions", "end-txn-ignores-epoch", breaks="ZombieFenced")
class TxnEndIgnoresEpoch(TransactionsModel):
    """A zombie's EndTxn is accepted."""

    protocol_mixins = (EndTxnIgnoresEpoch,)


# -- the loop's group coordinator and application ---------------------------------------


@mutant("transactions", "no-generation-check", breaks=("ZombieOffsetsFenced", "ExactlyOnce"))
class TxnNoGenerationCheck(TransactionsModel):
    """TxnOffsetCommit from an older generation is accepted (no KIP-447 fencing)."""

    def generation_valid(self, member: Member, group: Group) -> bool:
        return True


@mutant("transactions", "unstable-offset-fetch", breaks="ExactlyOnce")
class TxnUnstableOffsetFetch(TransactionsModel):
    """OffsetFetch answers while a transaction still holds offsets (no require_stable)."""

    def offset_fetch_waits(self, log: tuple[int, ...]) -> bool:
        return False


@mutant("transactions", "no-seek-after-abort", breaks="LoopCompletes")
class TxnNoSeekAfterAbort(TransactionsModel):
    """After an abort the application goes on from its position: the aborted input is
    skipped (abortTransaction() does not rewind the consumer)."""

    def position_after_end(self, member: Member, commit: bool) -> int:
        return member.input + 1


class NewLeaderKeepsHw:
    """Partition.makeLeader without its maybeIncrementLeaderHW: a leader elected with the
    ISR down to itself keeps its checkpointed HW until the next write."""

    def elect(self, part: PartitionState, ch: Change) -> PartitionState:
        return super(ptx.TransactionalPartition, self).elect(part, ch)  # type: ignore[misc]


@mutant("transactions", "new-leader-keeps-hw", breaks=("LsoAdvances",
                                                        "CommittedBecomesVisible"))
class TxnNewLeaderKeepsHw(TransactionsModel):
    """A restarted sole replica leaves committed transactions below its HW unseen."""

    rule_mixins = (NewLeaderKeepsHw,)


@mutant("transactions", "loads-below-hw", breaks="CommittedNotLost")
class TxnLoadsBelowHw(TransactionsModel):
    """A new coordinator reads its transaction log only below its high watermark: a
    PrepareCommit its replica holds but has not yet seen committed is forgotten."""

    def load_log(self, txn: PartitionState, leader: int) -> tuple[TxnMeta, ...]:
        return tc.load(txn.logs[leader][:txn.hws[leader]], self.log_codec, self.tids)
