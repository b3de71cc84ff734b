"""Classic consumer-group guarantees: ownership, generations, balance; the delivery ones
(at least / at most once, the HW) come from ``properties/delivery.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.clients.group import (
    COMPLETING,
    DOWN,
    MSTABLE,
    NO_GEN,
    STABLE,
    UNJOINED,
    GroupState,
)
from kafkacheck.properties.base import Property, always, always_step, vacuous_unless
from kafkacheck.properties.delivery import delivery_properties, in_flight, never_commits
from kafkacheck.properties.replication import unless_writes_refused

if TYPE_CHECKING:
    from kafkacheck.model.clients.group import GroupModel


def _owners(state: GroupState) -> list[tuple[int, int]]:
    """(generation, owned mask) of every consumer that believes it owns partitions."""
    return [(m.generation, m.owned) for m in state.consumers
            if m.status != DOWN and m.generation != NO_GEN and m.owned]


def one_owner_per_generation(state: GroupState) -> bool:
    """No two consumers claim one partition for the same generation."""
    owners = _owners(state)
    for a in range(len(owners)):
        for b in range(a + 1, len(owners)):
            if owners[a][0] == owners[b][0] and owners[a][1] & owners[b][1]:
                return False
    return True


def no_two_owners(state: GroupState) -> bool:
    """No two consumers believe they own one partition at the same time: every running
    consumer counts, a member whose generation was reset too (after a poll timeout it
    keeps its partitions until its next poll() runs onPartitionsLost, KIP-62)."""
    seen = 0
    for owned in (m.owned for m in state.consumers if m.status != DOWN and m.owned):
        if seen & owned:
            return False
        seen |= owned
    return True


def group_properties(model: GroupModel) -> list[Property]:
    """The group model's properties, worded with the settings that decide them."""
    log = model.log
    parts = range(model.p)
    strategy = model.strategy
    protocol = "cooperative" if model.cooperative else "eager"

    def commit_from_current_generation(s: GroupState, a: tuple, t: GroupState) -> bool:
        if s.committed == t.committed or a[0] == "ExpireOffsets":
            return True  # (an expiry is the coordinator deleting offsets, not a commit)
        i = model.index_of(a[1])
        m = s.consumers[i]
        return (s.members >> i & 1 and m.generation == s.generation
                and m.status in (MSTABLE, UNJOINED) and s.group_state != COMPLETING)

    def balanced(s: GroupState) -> bool:
        assignment = s.assignment
        if not assignment or s.group_state != STABLE or s.stale_metadata:
            # (an assignment made before partitions were added cannot hand them out)
            return True
        members = s.members
        sizes = [a.bit_count() for i, a in enumerate(assignment) if members >> i & 1]
        everything = 0
        for i, a in enumerate(assignment):
            if members >> i & 1:
                everything |= a
        if everything != (1 << s.topic_partitions) - 1:
            # Cooperative round 1 withholds the partitions that move until their owners
            # revoke them and rejoin (KIP-429); once nothing is left to revoke or rejoin,
            # nothing asks for round 2, and a partition left out stays unowned.
            return model.cooperative and rebalance_pending(s)
        return not sizes or max(sizes) - min(sizes) <= 1

    def rebalance_pending(s: GroupState) -> bool:
        """Some process still has a step of the rebalance to take: a running consumer not
        stable in the current generation (joining, awaiting its assignment, rejoining after
        a revocation, removed without knowing it, or not in the group yet), one that owns
        partitions its assignment took away (revocation pending), or a member the
        coordinator still has whose process is down (its session will expire)."""
        members = s.members
        assignment = s.assignment
        for i, m in enumerate(s.consumers):
            if m.status == DOWN:
                if members >> i & 1:
                    return True
            elif not members >> i & 1 or m.status != MSTABLE or m.unaware \
                    or m.generation != s.generation or m.owned & ~assignment[i]:
                return True
        return False

    def extra_consumers_idle(s: GroupState) -> bool:
        assignment = s.assignment
        members = s.members
        if not assignment or members.bit_count() <= s.topic_partitions:
            return True
        return all(a.bit_count() <= 1 for i, a in enumerate(assignment) if members >> i & 1)

    fair = ("Join", "Sync", "SyncFailed", "Poll", "Process", "Commit", "CommitFailed",
            "AutoCommit", "Expire", "HeartbeatFailed", "JoinFailed", "InitialRebalance",
            "RebalanceTimeout", *log.fair())
    delivery = delivery_properties(model, fair)
    props = [
        always(
            "OneOwnerPerGeneration",
            "no two consumers own the same partition in the same generation",
            one_owner_per_generation,
            source="ConsumerPartitionAssignor contract; ClassicGroup generations",
            explanation="two members of one generation both hold a partition: the "
            "assignment handed a partition to a new owner before the old owner revoked it",
        ),
        always(
            "NoTwoOwnersAtOnce",
            f"no partition is owned by two consumers at the same time ({protocol} protocol, "
            f"{strategy})",
            no_two_owners,
            source="KIP-429 (cooperative: a partition moves only after its owner revoked it)",
            explanation="two consumers believe they own one partition: a member removed by "
            "the coordinator (session expired while it was paused) still holds its "
            "partitions until its next heartbeat or commit fails, or an assignor gave away a "
            "partition that is still owned",
        ),
        delivery["NoConcurrentProcessing"],
        delivery["ConsumingNeverDeletes"],
        always_step(
            "CommitsFromCurrentGeneration",
            "an offset commit is accepted only from a current member of the current generation",
            commit_from_current_generation,
            source="ClassicGroup.validateOffsetCommit (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION)",
            explanation="a commit from a consumer that is no longer in the group (a zombie) "
            "or from an old generation was accepted, overwriting the new owner's offsets",
        ),
        delivery["AtLeastOnce"],
        delivery["AtMostOnce"],
        delivery["NoSkippedOffsets"],
        delivery["ConsumersReadBelowHw"],
        always(
            "BalancedAssignment",
            f"a {strategy} assignment with equal subscriptions hands out every partition and "
            "member sizes differ by at most one",
            balanced,
            source=f"{strategy} assignor (RangeAssignor / RoundRobinAssignor / "
            "AbstractStickyAssignor balance)",
            explanation="an assignment left partitions out or gave one member two more "
            "partitions than another",
        ),
        always(
            "ExtraConsumersIdle",
            "with more members than partitions no member gets more than one partition, so the "
            "extra members get nothing",
            extra_consumers_idle,
            source="Kafka docs 'Consumers' (each partition goes to one member of the group)",
            explanation="with more members than partitions a member got several partitions "
            "while others had none",
        ),
    ]
    if model.replicated:
        def read_records_stay(s: GroupState) -> bool:
            for p in parts:
                if log.view(s.log, p) is None:
                    continue  # no live leader: nothing to read from, nothing to compare
                got = s.processed[p] | in_flight(model, s, p)
                if got & ~log.leader_ids(s.log, p):
                    return False
            return True

        props.append(always(
            "ReadRecordsStay",
            "every record a consumer read stays in its partition's log (at every later leader)",
            read_records_stay,
            source="Kafka docs 'Replication': committed messages are not lost; consumers read "
            "up to the high watermark",
            explanation="a consumer read a record that is gone from the partition: it was read "
            "above the high watermark and a broker crash and leader change truncated it, or "
            "an unclean election made a replica without it the leader",
        ))
        # Without a broker crash nothing truncates a log: a read record cannot vanish (a
        # fetch-above-the-high-watermark mutant holds there, audit s23; ConsumersReadBelowHw
        # catches it)
        crashes = model.bound["broker_crashes"]
        props = vacuous_unless(
            props, crashes > 0, ("ReadRecordsStay",),
            "broker_crashes=0: no broker crashes, so no log is ever truncated and no record "
            "a consumer read can vanish; this property cannot fail; set --bound "
            "broker_crashes=1 to check it")
        props.extend(model.log_properties())
    props.extend(delivery[name] for name in ("SomeRecordProcessed", "AllRecordsProcessed")
                 if name in delivery)
    about_records = (*delivery, "ReadRecordsStay", "ConsumersReadBelowHw")
    props = vacuous_unless(props, model.max_records > 0, about_records)
    # Its premise (more members than partitions) needs more consumers than the partitions
    # the topic starts with (it only grows; a duplicate instance takes C1's membership, so it
    # is never a member beside C1: _holder, KIP-345).
    consumers, first = model.bound["consumers"], model.first_partitions
    props = vacuous_unless(
        props, consumers > first, ("ExtraConsumersIdle",),
        f"consumers={consumers} and {first} partition(s) at the start: never more members "
        "than partitions, so this property cannot fail; set --bound consumers above "
        "partitions to check it")
    # Two owners need two consumer processes: one member, and no second process with its
    # group.instance.id, cannot own a partition twice or process it beside itself.
    processes = consumers + model.bound["duplicate_instances"]
    props = vacuous_unless(
        props, processes > 1,
        ("OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "NoConcurrentProcessing"),
        "consumers=1 and no duplicate instance: one consumer process cannot own a partition "
        "twice or process it beside itself, so this property cannot fail; set --bound "
        "consumers=2 to check it")
    # A commit from outside the current generation needs a member the group dropped while it
    # runs on (a paused member whose session expired, a zombie past max.poll.interval.ms, a
    # static member fenced by a second process); crashes, closes, restarts and added
    # partitions leave none (an accept-stale-commits mutant holds there, audit s23), and
    # without a commit nothing is accepted at all.
    stale = (model.bound["pauses"] + model.bound["poll_timeouts"]
             + model.bound["duplicate_instances"])
    why = never_commits(model) or ("" if stale else (
        "no pause, poll timeout or duplicate instance: no member is dropped from the group "
        "while it runs on, so no commit comes from outside the current generation and this "
        "property cannot fail; set --bound pauses=1 to check it"))
    props = vacuous_unless(props, not why, ("CommitsFromCurrentGeneration",), why)
    if model.replicated:  # every acks=all append refused (min ISR above the replicas)
        props = unless_writes_refused(log.model, props, about_records)
    return props

