"""Mutants of the KRaft controller model: each overrides one rule of Raft, of the controller's
partition decisions, or (through ``rule_mixins``) of the partition component."""

from __future__ import annotations

from kafkacheck.model.cluster.controller import ControllerModel, Registration
from kafkacheck.model.cluster.partition import Change
from mutants import mutant
from mutants.replication import NeverElects, TruncationKeepsHw


@mutant("controller", "broker-accepts-stale-controller",
        breaks=("BrokerMetadataNeverGoesBack", "EpochsOnlyGrow"))
class BrokerAcceptsStaleController(ControllerModel):
    """Brokers take metadata from a controller with a lower epoch than they have seen."""

    def broker_accepts(self, controller_epoch: int, known: int) -> bool:
        return True


@mutant("controller", "stale-controller-epoch", breaks="EpochsOnlyGrow")
class VotersAcceptStaleEpochs(ControllerModel):
    """Voters take appends from a leader of a lower epoch (no FENCED_LEADER_EPOCH)."""

    def voter_accepts(self, voter_epoch: int, epoch: int) -> bool:
        return True


@mutant("controller", "election-without-majority", breaks="OneActiveControllerPerEpoch")
class ElectionWithoutMajority(ControllerModel):
    """A candidate becomes active on its own vote."""

    def election_quorum(self) -> int:
        return 1


@mutant("controller", "commit-without-majority", breaks="MetadataCommittedByMajority")
class CommitWithoutMajority(ControllerModel):
    """A controller commits metadata stored by itself alone."""

    def commit_quorum(self) -> int:
        return 1


@mutant("controller", "stale-alter-partition", breaks="LeaderInIsr")
class StaleAlterPartition(ControllerModel):
    """AlterPartition is written as sent, without checking the leader and partition epochs
    (as a ZooKeeper-era ISR write without its zkVersion condition would)."""

    def alter_partition_result(self, reg: Registration, view: Registration, b: int,
                               new_isr: int, fenced: int, p: int) -> Registration | None:
        if new_isr & fenced:
            return None
        return reg._replace(partition_epoch=reg.partition_epoch + 1, isr=new_isr)


@mutant("controller", "no-leader-epoch-bump", breaks="OneLeaderPerLeaderEpoch")
class NoLeaderEpochBump(ControllerModel):
    """A new partition leader keeps the old leader epoch."""

    def next_registration(self, reg: Registration, ch: Change) -> Registration:
        new = super().next_registration(reg, ch)
        return new._replace(epoch=reg.epoch)


@mutant("controller", "elect-fenced", breaks="FencedBrokerNeverLeads")
class ElectFenced(ControllerModel):
    """Partition elections ignore broker fencing."""

    def acceptable(self, fenced: int, remove: int = -1, add: int = -1) -> int:
        return super().acceptable(0, remove, add)


class FetchIgnoresEpoch:
    """KIP-320 reverted: a leader serves fetches sent for any leader epoch."""

    def fetch_accepted(self, leader_epoch: int, follower_epoch: int) -> bool:
        return True


@mutant("controller", "fetch-ignores-epoch", breaks="ReplicasAgreeBelowHw")
class ControllerFetchIgnoresEpoch(ControllerModel):
    """Leaders serve fetches of any leader epoch (Kafka before 2.1, KIP-320)."""

    rule_mixins = (FetchIgnoresEpoch,)


@mutant("controller", "truncate-keeps-hw", breaks="HwWithinLeo")
class ControllerTruncationKeepsHw(ControllerModel):
    """A truncating follower keeps its high watermark."""

    rule_mixins = (TruncationKeepsHw,)


class AcceptsFencedJoiner:
    """KIP-841 reverted: the controller adds a fenced broker to an ISR (no
    INELIGIBLE_REPLICA for it), as ReplicationControlManager did before 3.3."""

    def alter_partition_error(self, reg, requester, leader_epoch, partition_epoch_order,
                              new_isr, fenced, stale):
        return super().alter_partition_error(reg, requester, leader_epoch,
                                             partition_epoch_order, new_isr, 0, stale)


@mutant("controller", "fenced-joins-isr", breaks="FencedNeverJoinsIsr")
class ControllerAcceptsFencedJoiner(ControllerModel):
    """The controller lets a fenced broker join an ISR (Kafka before KIP-841)."""

    rule_mixins = (AcceptsFencedJoiner,)


@mutant("controller", "no-election", breaks="LeaderFailsOver")
class ControllerNeverElects(ControllerModel):
    """The controller never picks a new partition leader once the old one is gone."""

    rule_mixins = (NeverElects,)
