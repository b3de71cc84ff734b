"""KIP-848 consumer-group guarantees: one owner, epochs, legal targets, fenced commits, liveness;
with records, the delivery guarantees shared with the classic group (properties/delivery.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kafkacheck.model.clients.group_consumer import (
    DOWN,
    LEAVE_STATIC,
    MEMBER,
    STABLE,
    Kip848State,
    consumer_name,
)
from kafkacheck.properties.base import (
    Property,
    always,
    always_step,
    eventually,
    sometimes,
    vacuous_unless,
)
from kafkacheck.properties.delivery import delivery_properties

if TYPE_CHECKING:
    from kafkacheck.model.clients.group_consumer import ConsumerProtocolGroupModel


def single_owner_at_coordinator(s: Kip848State) -> bool:
    """No partition is assigned (or pending revocation) to two members of the group."""
    seen = 0
    for r in s.records:
        if r.present:
            held = r.assigned | r.revoking
            if seen & held:
                return False
            seen |= held
    return True


def no_two_owners(s: Kip848State) -> bool:
    """No two running consumers believe they own one partition."""
    seen = 0
    for c in s.clients:
        if c.status != DOWN:
            if seen & c.owned:
                return False
            seen |= c.owned
    return True


def _window(model: ConsumerProtocolGroupModel, trace: Any, x: int, p: int) -> tuple | None:
    """(heartbeat step, reported, target, reconcile step) of member x's stale-reconciliation
    window on partition p in ``trace``, or None: a heartbeat reported owned partitions
    without p while x was taking p, the coordinator dropped p from x's record, and a later
    Reconcile of x added p anyway."""
    release = None
    for before, step in zip(trace.steps, trace.steps[1:], strict=False):
        action = step.action
        if action is None or len(action) < 2 or action[1] != consumer_name(x):
            continue
        c, r, after = before.state.clients[x], before.state.records[x], step.state.records[x]
        if action[0] == "Heartbeat":
            reported = model.reported(c)
            held_after = after.present and (after.assigned | after.revoking) >> p & 1
            if (c.target >> p & 1 and not c.owned >> p & 1 and reported is not None
                    and r.present and (r.assigned | r.revoking) >> p & 1 and not held_after):
                release = (step.index, reported, c.target)
        elif action[0] == "Reconcile" and release is not None \
                and step.state.clients[x].owned >> p & 1 and not c.owned >> p & 1:
            return (*release, step.index)
    return None


def narrate_stale_reconciliation(model: ConsumerProtocolGroupModel, trace: Any) -> str:
    """The stale-reconciliation window in a NoTwoOwnersAtOnce trace, or '' when it is not one.

    A member's heartbeat reports the partitions it owns while it is still taking a newer
    assignment; the coordinator releases the one it is taking but did not report
    (CurrentAssignmentBuilder.ownsRevokedPartitions is false) and the member's reconciliation
    then adds it anyway (AbstractMembershipManager.maybeAbortReconciliation does not abort).
    """
    last = trace.steps[-1].state
    seen: dict[int, int] = {}
    shared = None
    for i, c in enumerate(last.clients):
        if c.status == DOWN:
            continue
        for p in range(model.p):
            if c.owned >> p & 1:
                if p in seen:
                    shared = (p, seen[p], i)
                seen.setdefault(p, i)
    if shared is None:
        return ""
    p, first, second = shared
    name = model.part_text(p)
    for x, other in ((first, second), (second, first)):
        found = _window(model, trace, x, p)
        if found is not None:
            k, reported, target, m = found
            return (f"{consumer_name(x)}'s heartbeat at step {k} reported owning "
                    f"{model.parts_text(reported)} while it was still taking "
                    f"{model.parts_text(target)}: the coordinator took {name} as released "
                    f"and it went to {consumer_name(other)}, and {consumer_name(x)}'s "
                    f"reconciliation at step {m} then added {name} anyway.")
    return ""


def narrate_stale_commit(model: ConsumerProtocolGroupModel, trace: Any) -> str:
    """The stale-reconciliation window behind a StaleCommitsRejected trace, or ''.

    The member took a partition the coordinator had already released (the window above)
    and committed it at its current member epoch, which ConsumerGroup.validateOffsetCommit
    accepts without looking at the partitions."""
    action, before = trace.steps[-1].action, trace.steps[-2].state
    if action is None or action[0] != "Commit" or model.max_records:
        return ""
    x = model.index_of(action[1])
    r = before.records[x]
    if not r.present or r.epoch != before.clients[x].epoch:
        return ""
    for p in range(model.p):
        if before.clients[x].owned >> p & 1 and not (r.assigned | r.revoking) >> p & 1:
            found = _window(model, trace, x, p)
            if found is not None:
                k, reported, target, m = found
                name = model.part_text(p)
                return (f"{consumer_name(x)}'s heartbeat at step {k} reported owning "
                        f"{model.parts_text(reported)} while it was still taking "
                        f"{model.parts_text(target)}: the coordinator took {name} as "
                        f"released, {consumer_name(x)}'s reconciliation at step {m} added it "
                        f"anyway, and its commit at its current member epoch "
                        f"{before.clients[x].epoch} was accepted for {name} "
                        "(ConsumerGroup.validateOffsetCommit checks the epoch, not the "
                        "partitions).")
    return ""


def converged(model: ConsumerProtocolGroupModel, s: Kip848State) -> bool:
    """The group is stable: the target is current and every member owns exactly its target.

    A group whose members are all gone is settled (Empty: no member to converge, and no
    heartbeat to compute a target for its last epoch)."""
    if all(c.status == DOWN for c in s.clients) and not any(r.present for r in s.records):
        return True
    if s.group_epoch != s.assignment_epoch:
        return False
    for r, c in zip(s.records, s.clients, strict=True):
        if c.status == DOWN:
            if r.present and r.epoch != LEAVE_STATIC:
                return False
            continue
        if c.paused or not r.present or c.status != MEMBER:
            return False
        if (r.state != STABLE or r.epoch != s.assignment_epoch or r.assigned != r.target
                or c.epoch != r.epoch or c.owned != r.assigned or c.target != c.owned):
            return False
    return True


def consumer_protocol_properties(model: ConsumerProtocolGroupModel) -> list[Property]:
    """The KIP-848 group model's properties."""

    def target_legal(s: Kip848State) -> bool:
        seen = 0
        wanted = 0
        for r in s.records:
            if not r.present:
                continue
            if seen & r.target or r.target & ~model.partitions_of(r.subscribed):
                return False
            seen |= r.target
            wanted |= model.partitions_of(r.subscribed)
        return s.assignment_epoch != s.group_epoch or seen == wanted

    def epochs_never_go_back(s: Kip848State, a: tuple, t: Kip848State) -> bool:
        for before, after in zip(s.records, t.records, strict=True):
            if before.present and after.present and after.epoch != LEAVE_STATIC \
                    and before.epoch != LEAVE_STATIC and after.epoch < before.epoch:
                return False
        for before, after in zip(s.clients, t.clients, strict=True):
            if after.epoch and after.epoch < before.epoch:
                return False
        return True

    def stale_commits_rejected(s: Kip848State, a: tuple, t: Kip848State) -> bool:
        if a[0] == "Commit" and not model.max_records:
            parts = s.clients[model.index_of(a[1])].owned  # the abstract OffsetCommit
        elif t.committed != s.committed:
            parts = 0  # the poll loop's commits: the partitions whose offset changed
            for p, (before, after) in enumerate(zip(s.committed, t.committed, strict=True)):
                if before != after:
                    parts |= 1 << p
        else:
            return True
        r = s.records[model.index_of(a[1])]
        return r.present and r.epoch != LEAVE_STATIC and not parts & ~(r.assigned | r.revoking)

    protocol = f"{model.assignor} assignor, rules {model.rules.name}"
    props = [
        always(
            "SingleOwnerAtCoordinator",
            f"the coordinator never assigns a partition to two members at once ({protocol})",
            single_owner_at_coordinator,
            source="KIP-848 (a partition is assigned only once its previous owner revoked "
            "it); ConsumerGroup partition epochs; KAFKA-16147",
            explanation="two members of the group hold one partition (assigned or pending "
            "revocation): the coordinator handed it out while its previous owner still had "
            "it, e.g. after losing the partition's epoch",
        ),
        always(
            "NoTwoOwnersAtOnce",
            f"no partition is owned by two consumers at the same time ({protocol})",
            no_two_owners,
            source="KIP-848 revoke-before-assign (CurrentAssignmentBuilder, "
            "AbstractMembershipManager.revokeAndAssign); the stale-reconciliation window: "
            "CurrentAssignmentBuilder.computeNextAssignment / ownsRevokedPartitions "
            "(KAFKA-16615, 3.8), AbstractMembershipManager.maybeAbortReconciliation",
            explanation="two consumers believe they own one partition: a member the "
            "coordinator removed (session or rebalance timeout while paused or slow) still "
            "holds its partitions until its next heartbeat is fenced, a member that left on "
            "a poll timeout (max.poll.interval.ms) holds them until its next poll, the "
            "coordinator assigned a partition before its owner revoked it, or a member "
            "reported its owned partitions while still taking a newer assignment (its "
            "heartbeat carries the last reconciled assignment), the coordinator released "
            "what it did not report (CurrentAssignmentBuilder.computeNextAssignment skips "
            "the revocation when ownsRevokedPartitions is false, KAFKA-16615, 3.8+) and gave "
            "it to another member, and the member's stale reconciliation then completed "
            "(AbstractMembershipManager.maybeAbortReconciliation does not abort on a newer "
            "target): it owns that partition too",
            narrate=narrate_stale_reconciliation,
        ),
        always_step(
            "MemberEpochsNeverGoBack",
            "a member epoch never decreases, at the coordinator or at the consumer (a "
            "consumer goes back to 0 only to rejoin)",
            epochs_never_go_back,
            source="KIP-848 member epochs; GroupMetadataManager."
            "throwIfConsumerGroupMemberEpochIsInvalid",
            explanation="a member's epoch went back: the coordinator accepted an older epoch "
            "as current, or a consumer applied a response older than one it had applied",
        ),
        always(
            "TargetAssignmentLegal",
            f"the {model.assignor} target assignment gives each subscribed partition to "
            "exactly one member, and only to members subscribed to its topic",
            target_legal,
            source="ConsumerGroupPartitionAssignor contract (TargetAssignmentBuilder)",
            explanation="the target assignment gave a partition to two members, to a member "
            "not subscribed to its topic, or to nobody",
        ),
        always_step(
            "StaleCommitsRejected",
            "an offset commit is accepted only from a member that the coordinator says "
            "holds every committed partition",
            stale_commits_rejected,
            source="ConsumerGroup.validateOffsetCommit (STALE_MEMBER_EPOCH, "
            "UNKNOWN_MEMBER_ID; KIP-1251 assignment epochs; a commit at epoch -1 is "
            "accepted into a group with no members)",
            explanation="a commit from a fenced or stale member was accepted for a "
            "partition it no longer holds, overwriting its new owner's offsets; or a "
            "consumer that left the group (poll timeout) or was fenced, still holding its "
            "partitions until its next poll, committed with no member epoch (-1) once the "
            "group had no members, which the coordinator accepts as it does the admin "
            "client's: a later committed offset can go back; or a member in the "
            "stale-reconciliation window (see NoTwoOwnersAtOnce) took a partition the "
            "coordinator had released and committed it at its current member epoch, which "
            "validateOffsetCommit accepts without checking the partitions",
            narrate=narrate_stale_commit,
        ),
        sometimes(
            "SomeMemberStable", "a member can reach the target assignment with partitions",
            lambda s: any(r.present and r.state == STABLE and r.assigned for r in s.records),
            explanation="no member ever gets a partition"),
        eventually(
            "GroupConverges",
            "once membership stops changing, every member converges to the target "
            "assignment and the group is stable (under fair heartbeats)",
            lambda s: converged(model, s),
            trigger=lambda s: not converged(model, s),
            fairness=model.fairness(),
            source="KIP-848 (reconciliation converges to the target assignment)",
            explanation="some fair behaviour never stabilises: a member waits forever for "
            "a partition, or is fenced again and again",
        ),
    ]
    if model.max_records:
        delivery = delivery_properties(model, (*model.fairness(), *model.log.fair()))
        props.extend(delivery[name] for name in (
            "NoConcurrentProcessing", "ConsumingNeverDeletes", "AtLeastOnce", "AtMostOnce",
            "NoSkippedOffsets", "ConsumersReadBelowHw", "SomeRecordProcessed",
            "AllRecordsProcessed"))
    # With records the poll loop commits only by auto-commit or the commit strategy: with
    # neither no committed offset ever changes.
    props = vacuous_unless(
        props, not model.max_records or model.auto or model.commit != "none",
        ("StaleCommitsRejected",),
        "commit=none with enable.auto.commit=false: no offset is ever committed, so this "
        "property cannot fail; set --bound commit=sync-after-processing to check it")
    # Two owners need two consumers: one client slot (a restart reuses it) has one record at
    # the coordinator and one poll loop.
    consumers = model.bound["consumers"]
    return vacuous_unless(
        props, consumers >= 2,
        ("SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce", "NoConcurrentProcessing"),
        f"consumers={consumers}: a partition never has two members or two consumers to be "
        "owned or processed by, so this property cannot fail; set --bound consumers=2 to "
        "check it")
