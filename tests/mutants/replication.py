"""Mutants of the partition component, checked through the replication model.

Each rule mutant is a one-method override of ``PartitionRules``; a model mutant is the
model with that rule mixed in (``rule_mixins``).  The controller and producer mutants reuse
these rules where their bug lives in the partition.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkacheck.model.cluster.partition import NO_LEADER, Change, PartitionState, first_in
from kafkacheck.model.cluster.replication import ReplicationModel
from mutants import mutant


class HwIgnoresIsr:
    """The leader's HW jumps to its own LEO, ignoring what the ISR has."""

    def leader_hw(self, part: PartitionState) -> int:
        return len(part.logs[part.leader])


class ElectsOutsideIsr:
    """An offline partition's new leader is any acceptable replica, the ISR left as it was."""

    def change(self, part: PartitionState, target_isr: int, acceptable: int,
               order: Sequence[int], unclean_shutdown: int = 0,
               allow_unclean: bool = False) -> Change:
        ch = super().change(part, target_isr, acceptable, order,  # type: ignore[misc]
                            unclean_shutdown, allow_unclean)
        if ch.leader == NO_LEADER:
            leader = first_in(order, acceptable)
            if leader != NO_LEADER:
                return ch._replace(leader=leader, how="clean")
        return ch


class TruncationKeepsHw:
    """Truncating a log (power loss, becoming follower) leaves the replica's HW as it was."""

    def truncate(self, part: PartitionState, b: int, offset: int) -> PartitionState:
        cut = super().truncate(part, b, offset)  # type: ignore[misc]
        return cut._replace(hws=part.hws)


class SkipsTruncation:
    """A replica becoming follower keeps its whole log (no truncation at all)."""

    def truncation_offset(self, part: PartitionState, follower: int) -> int:
        return len(part.logs[follower])


class NeverCommits:
    """The leader's HW never moves."""

    def leader_hw(self, part: PartitionState) -> int:
        return part.hws[part.leader]


class NeverElects:
    """The controller never picks a new leader once the old one is gone."""

    def change(self, part: PartitionState, target_isr: int, acceptable: int,
               order: Sequence[int], unclean_shutdown: int = 0,
               allow_unclean: bool = False) -> Change:
        ch = super().change(part, target_isr, acceptable, order,  # type: ignore[misc]
                            unclean_shutdown, allow_unclean)
        if ch.leader != part.leader:
            return ch._replace(leader=part.leader if part.leader != NO_LEADER and
                               acceptable >> part.leader & 1 else NO_LEADER, how="")
        return ch


class AppendsBeforeMinIsrCheck:
    """acks=all writes are appended even when the ISR is below min.insync.replicas."""

    def append_error(self, isr: int) -> int:
        return 0


@mutant("replication", "hw-ignores-isr", breaks="NoAckedWriteLost")
class ReplicationHwIgnoresIsr(ReplicationModel):
    """The leader's HW ignores the ISR."""

    rule_mixins = (HwIgnoresIsr,)


@mutant("replication", "elect-outside-isr", breaks="LeaderInIsr")
class ReplicationElectsOutsideIsr(ReplicationModel):
    """A leader is elected outside the ISR without resetting the ISR."""

    rule_mixins = (ElectsOutsideIsr,)


@mutant("replication", "hw-kept-on-truncation", breaks="HwWithinLeo")
class ReplicationTruncationKeepsHw(ReplicationModel):
    """Truncation forgets to lower the HW."""

    rule_mixins = (TruncationKeepsHw,)


@mutant("replication", "skip-truncation", breaks="ReplicasAgreeBelowHw")
class ReplicationSkipsTruncation(ReplicationModel):
    """Followers never truncate."""

    rule_mixins = (SkipsTruncation,)


@mutant("replication", "never-commit", breaks=("SomeRecordCommitted",
                                                "ProduceRequestsComplete"))
class ReplicationNeverCommits(ReplicationModel):
    """The HW never advances."""

    rule_mixins = (NeverCommits,)


@mutant("replication", "no-election", breaks="LeaderFailsOver")
class ReplicationNeverElects(ReplicationModel):
    """No new leader is ever elected."""

    rule_mixins = (NeverElects,)


class HwAdvancesBelowMinIsr:
    """KAFKA-15583 reverted: the HW advances even while the ISR is below min ISR."""

    def hw_may_advance(self, part: PartitionState) -> bool:
        return True


@mutant("replication", "loose-hw", breaks="CommittedRecordsStay")
class ReplicationLooseHw(ReplicationModel):
    """Eligible Leader Replicas without the strict min-ISR high watermark they rely on.

    It commits records it then loses, but acknowledges none of them: an acks=all request
    completing below min ISR still fails (NOT_ENOUGH_REPLICAS_AFTER_APPEND).  So it is not
    claimed to break NoAckedWriteLost: on the configurations tried it either holds or fails
    unmutated too (two crashes with power loss).
    """

    rule_mixins = (HwAdvancesBelowMinIsr,)


class RestartKeepsFetchState:
    """A restarted follower's old fetch offset still counts at the leader (no KIP-903 check):
    it can rejoin the ISR on the strength of a log it no longer has."""

    def restart(self, part: PartitionState, b: int, hw: int) -> PartitionState:
        return super().restart(part, b, hw)._replace(remote=part.remote)  # type: ignore[misc]


@mutant("replication", "stale-fetch-state", breaks="NoAckedWriteLost")
class ReplicationRestartKeepsFetchState(ReplicationModel):
    """A follower rejoins the ISR from fetch state recorded before its power loss."""

    rule_mixins = (RestartKeepsFetchState,)
