"""Mutants of the KIP-848 group model (group-consumer): each overrides one rule with a
plausible coordinator bug, so that each property is seen to fail."""

from __future__ import annotations

from kafkacheck.model.clients.group_consumer import (
    ConsumerProtocolGroupModel,
    CoordinatorRules,
    Kip848State,
    Record,
)
from mutants import mutant
from mutants.group import DeleteOnCommitRule, FetchAboveHwRule


class _AssignStillOwned(CoordinatorRules):
    def unreleased(self, p: int, record: Record, partition_epoch: tuple[int, ...]) -> bool:
        return False


class _NeverRelease(CoordinatorRules):
    def unreleased(self, p: int, record: Record, partition_epoch: tuple[int, ...]) -> bool:
        return True


@mutant("group-consumer", "assign-unreleased",
        breaks=("SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"))
class AssignUnreleased(ConsumerProtocolGroupModel):
    """Reconciliation hands out a partition that another member still holds (no
    UNRELEASED_PARTITIONS wait)."""

    def __init__(self, config):  # noqa: ANN001
        super().__init__(config)
        self.rules = _AssignStillOwned()


@mutant("group-consumer", "never-release", breaks="GroupConverges")
class NeverRelease(ConsumerProtocolGroupModel):
    """Reconciliation treats every partition it would hand out as still owned: a member
    waits in UNRELEASED_PARTITIONS forever."""

    def __init__(self, config):  # noqa: ANN001
        super().__init__(config)
        self.rules = _NeverRelease()


@mutant("group-consumer", "accept-stale-commits", breaks="StaleCommitsRejected")
class AcceptStaleCommits(ConsumerProtocolGroupModel):
    """The coordinator accepts every OffsetCommit (validateOffsetCommit skipped)."""

    def commit_error(self, state: Kip848State, i: int, epoch: int, parts: int) -> str | None:
        return None


@mutant("group-consumer", "adopt-previous-epoch", breaks="MemberEpochsNeverGoBack")
class AdoptPreviousEpoch(ConsumerProtocolGroupModel):
    """A heartbeat with the member's previous epoch (its response was lost) sets the
    member back to that epoch instead of being answered with the current one."""

    def _heartbeat(self, state: Kip848State, i: int):  # noqa: ANN202
        label, after = super()._heartbeat(state, i)
        sent, before = state.clients[i].epoch, state.records[i]
        r = after.records[i]
        if r.present and before.present and 0 < sent < before.epoch:
            after = after._replace(records=after.records[:i] + (r._replace(epoch=sent),)
                                   + after.records[i + 1:])
        return label, after


@mutant("group-consumer", "assignor-duplicates", breaks="TargetAssignmentLegal")
class AssignorDuplicates(ConsumerProtocolGroupModel):
    """The assignor gives every partition to every member."""

    def target_assignment(self, members):  # noqa: ANN001
        everything = (1 << self.p) - 1
        return tuple(0 if m is None else everything for m in members)


@mutant("group-consumer", "fetch-above-hw", breaks="ConsumersReadBelowHw")
class FetchAboveHw(FetchAboveHwRule, ConsumerProtocolGroupModel):
    """A consumer's fetch reads up to the log end, above the high watermark (the classic
    group's mutant rule, on the shared poll loop)."""


@mutant("group-consumer", "delete-on-commit", breaks="ConsumingNeverDeletes")
class DeleteOnCommit(DeleteOnCommitRule, ConsumerProtocolGroupModel):
    """A commit deletes the records below the committed offset, as a queue would."""
