"""Mutants of the consumer-group model: each overrides one rule with a plausible bug, so the
group properties that real Kafka configurations cannot break are still seen to fail."""

from __future__ import annotations

from kafkacheck.model.clients.group import GroupModel, GroupState
from mutants import mutant


@mutant("group", "accept-stale-commits", breaks="CommitsFromCurrentGeneration")
class AcceptStaleCommits(GroupModel):
    """The coordinator accepts every OffsetCommit, a zombie's or an old generation's too
    (ClassicGroup.validateOffsetCommit skipped)."""

    def commit_error(self, state: GroupState, i: int) -> str | None:
        return None


@mutant("group", "no-withhold", breaks=("OneOwnerPerGeneration", "NoTwoOwnersAtOnce"))
class NoWithhold(GroupModel):
    """The cooperative leader hands a moving partition to its new owner in round 1 instead
    of withholding it until the old owner revoked it (KIP-429 ignored)."""

    def leader_assignment(self, state: GroupState) -> tuple[int, ...]:
        result = self.run_assignor(state)
        out = list(super().leader_assignment(state))
        for (_, p), owner in result.cooperative_withheld.items():
            out[self.member_ids.index(owner)] |= 1 << p
        return tuple(out)


@mutant("group", "assign-all-to-leader", breaks=("BalancedAssignment", "ExtraConsumersIdle"))
class AssignAllToLeader(GroupModel):
    """The group leader's assignor gives every partition to the leader itself."""

    def leader_assignment(self, state: GroupState) -> tuple[int, ...]:
        return tuple((1 << self.p) - 1 if i == state.leader else 0 for i in range(self.n))


class FetchAboveHwRule:
    """A consumer's fetch reads up to the log end, above the high watermark (a poll-loop
    rule: the KIP-848 model's mutant mixes it in too)."""

    def fetch_limit(self, hw: int, leo: int) -> int:
        return leo


class DeleteOnCommitRule:
    """A commit deletes the records below the committed offset, as a queue would."""

    def store_commit(self, state: GroupState, committed: tuple[int, ...]) -> GroupState:
        start = tuple(max(a, b) for a, b in zip(state.log_start, committed, strict=True))
        return state._replace(committed=committed, log_start=start)


@mutant("group", "fetch-above-hw", breaks=("ConsumersReadBelowHw", "ReadRecordsStay"))
class FetchAboveHw(FetchAboveHwRule, GroupModel):
    """A consumer's fetch reads up to the log end, above the high watermark."""


@mutant("group", "delete-on-commit", breaks="ConsumingNeverDeletes")
class DeleteOnCommit(DeleteOnCommitRule, GroupModel):
    """A commit deletes the records below the committed offset, as a queue would."""
