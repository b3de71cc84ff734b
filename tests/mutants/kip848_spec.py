"""One-rule mutants of `kip848-spec` (the KIP-848 TLA+ spec): each breaks one property.

Each overrides a single action (or helper of one action) of ``Kip848SpecModel`` with a
plausible mistake in the consumer group protocol; tests/test_kip848_spec_matches_tla.py shows
the property it names failing, with the shortest counterexample.
"""

from __future__ import annotations

import itertools

from kafkacheck.model.reference.kip848_spec import (
    FENCED,
    G_RECONCILING,
    G_STABLE,
    M_REVOKING,
    M_STABLE,
    NIL,
    RECONCILING,
    Client,
    Group,
    Kip848SpecModel,
    Member,
    Request,
    Response,
    next_member_status,
    transition_to,
)
from mutants import mutant


@mutant("kip848-spec", "fence-while-unsubscribed", breaks="TypeOK")
class FenceWhileUnsubscribed(Kip848SpecModel):
    """An error response fences a client that already left (UNSUBSCRIBED -> FENCED)."""

    def receive_error_response(self, cs: Client, m: Response) -> Client | None:
        if cs.connection_id != m.connection_id or not m.error:
            return None
        return cs._replace(member_id=0, member_epoch=0, has_inflight=False, curr=0, target=0,
                           last_sent=NIL, status=transition_to(cs.status, FENCED))


@mutant("kip848-spec", "assignor-skips-unsubscribed-topics", breaks="LegalTargetAssignment")
class AssignorSkipsUnsubscribedTopics(Kip848SpecModel):
    """The assignor leaves out the partitions of topics no member subscribes to, instead of
    waiting (the spec's BuildAssignment is not enabled until every partition has a taker)."""

    def build_assignments(self, members: tuple[Member, ...]) -> list[tuple[tuple[int, int], ...]]:
        options = []
        for p in range(self.np):
            bit = 1 << self.topic_of(p)
            options.append([i for i, m in enumerate(members) if m.subscribed & bit] or [None])
        out = []
        for owners in itertools.product(*options):
            masks = [0] * len(members)
            for p, i in enumerate(owners):
                if i is not None:
                    masks[i] |= 1 << p
            out.append(tuple((m.member_id, mask) for m, mask in zip(members, masks, strict=True)))
        return out


@mutant("kip848-spec", "assign-before-revoked", breaks="NoDoubleClientAssignment")
class AssignBeforeRevoked(Kip848SpecModel):
    """A member's new target partitions are given to it at once, without waiting for their
    previous owner to release them (partition epoch back to 0)."""

    def transition_to_new_target(self, m: Member, target_epoch: int, target: int,
                                 epochs: tuple[int, ...]) -> Member:
        held = m.assigned | m.pending_revoke
        keep = held & target
        revoke = held & ~keep
        return m._replace(status=next_member_status(revoke, 0), member_epoch=target_epoch,
                          target_epoch=target_epoch, assigned=target, pending_revoke=revoke,
                          pending_assign=0)


@mutant("kip848-spec", "revoked-partitions-epoch-cleared", breaks="ValidPartitionEpoch")
class RevokedPartitionsEpochCleared(Kip848SpecModel):
    """Partition epochs follow the assigned partitions only: a partition pending revocation
    is marked free (epoch 0) while its owner still holds it."""

    def updated_partition_epochs(self, g: Group, member_id: int, assigned: int, revoking: int,
                                 epoch: int) -> tuple[int, ...]:
        return super().updated_partition_epochs(g, member_id, assigned, 0, epoch)


@mutant("kip848-spec", "stable-ignores-target-epoch", breaks="ValidStableGroupState")
class StableIgnoresTargetEpoch(Kip848SpecModel):
    """The group is declared STABLE when every member is STABLE, even one still on an older
    target epoch."""

    def maybe_update_group_state(self, members: tuple[Member, ...], group_epoch: int,
                                 target_epoch: int) -> int:
        status = super().maybe_update_group_state(members, group_epoch, target_epoch)
        if status == G_RECONCILING and all(m.status == M_STABLE for m in members):
            return G_STABLE
        return status


@mutant("kip848-spec", "epoch-bump-while-revoking", breaks="ValidMemberEpoch")
class EpochBumpWhileRevoking(Kip848SpecModel):
    """A member that must revoke partitions gets the new epoch at once (KIP-848 bumps it
    only after the revocation is acknowledged)."""

    def transition_to_new_target(self, m: Member, target_epoch: int, target: int,
                                 epochs: tuple[int, ...]) -> Member:
        after = super().transition_to_new_target(m, target_epoch, target, epochs)
        if after.status == M_REVOKING:
            after = after._replace(member_epoch=target_epoch)
        return after


@mutant("kip848-spec", "reconciliation-restores-start-epoch",
        breaks="ClientSideMemberEpochIsMonotonic")
class ReconciliationRestoresStartEpoch(Kip848SpecModel):
    """A finished reconciliation puts back the member epoch it started on, even when a
    heartbeat response moved the client to a newer epoch meanwhile."""

    def complete_reconciliation(self, cs: Client) -> Client | None:
        after = super().complete_reconciliation(cs)
        if after is not None and cs.status == RECONCILING:
            after = after._replace(member_epoch=cs.recon[0])
        return after


@mutant("kip848-spec", "resubscribe-restarts-member-epoch", breaks="GcSideMemberEpochIsMonotonic")
class ResubscribeRestartsMemberEpoch(Kip848SpecModel):
    """On a subscription change the coordinator restarts the member at epoch 0, as for a
    join, while keeping its member id."""

    def receive_regular_heartbeat_request(self, g: Group, aux_member_id: int, m: Request
                                          ) -> list[tuple[Group, Response, int]]:
        out = super().receive_regular_heartbeat_request(g, aux_member_id, m)
        old = self.member(g, m.member_id)
        if old is None or old.subscribed == m.subscribed:
            return out
        restarted = []
        for g2, reply, aux in out:
            member = self.member(g2, m.member_id)
            assert member is not None
            g2 = g2._replace(members=self.with_member(g2.members,
                                                      member._replace(member_epoch=0)))
            restarted.append((g2, reply._replace(member_epoch=0), aux))
        return restarted
