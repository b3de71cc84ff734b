"""Replication guarantees: acknowledged writes survive, committed records stay, ISR sanity.

The predicates read any state with ``alive`` (broker bitmask) and ``parts`` (a tuple of
``PartitionState``): the replication model's and the controller model's states both have
them, so the controller checks these same properties on its own states.
"""

from __future__ import annotations

from typing import Any, Protocol

from kafkacheck.model.cluster.partition import (
    NO_LEADER,
    PartitionState,
    entry_record,
    log_records,
)
from kafkacheck.properties.base import (
    Property,
    always,
    always_step,
    eventually,
    sometimes,
    vacuous_unless,
)


class ReplicatedModel(Protocol):
    """What these properties read of a model: the replication model and the controller
    model both provide it (a Protocol, so that a compiled build checks no class)."""

    acks: int
    max_records: int
    min_isr: int
    bound: dict[str, Any]
    order: list[tuple[int, ...]]  # each partition's replicas, the first leading at start

    def acting_brokers(self, state: Any) -> int: ...

    def fenced_brokers(self, state: Any) -> int: ...


def leader_moved(parts: tuple[PartitionState, ...], first: tuple[int, ...]) -> bool:
    """Some partition is led by another broker than the one that led it at start (a new
    epoch alone is no failover: an ISR shrink bumps it on KRaft 3.3-3.5, KAFKA-15021)."""
    return any(part.leader != NO_LEADER and part.leader != first[p]
               for p, part in enumerate(parts))


def acked_writes_survive(parts: tuple[PartitionState, ...], alive: int) -> bool:
    """Every acknowledged record is in the log of the partition's current (live) leader."""
    for part in parts:
        leader = part.leader
        acked = part.acked
        if leader == NO_LEADER or not acked or not alive >> leader & 1:
            continue
        if acked & ~log_records(part.logs[leader]):
            return False
    return True


def committed_records_stay(parts: tuple[PartitionState, ...], alive: int) -> bool:
    """Records once below a leader's HW stay at their offsets in every later live leader's log."""
    for part in parts:
        leader = part.leader
        committed = part.committed
        if leader == NO_LEADER or not committed or not alive >> leader & 1:
            continue
        if part.logs[leader][: len(committed)] != committed:
            return False
    return True


def replicas_agree_below_hw(parts: tuple[PartitionState, ...]) -> bool:
    """Any two replicas hold the same entries below the smaller of their HWs."""
    for part in parts:
        logs, hws = part.logs, part.hws
        n = len(logs)
        for i in range(n):
            hi = hws[i]
            if not hi:
                continue  # nothing below an HW of 0
            for j in range(i + 1, n):
                m = hws[j]
                if hi < m:
                    m = hi
                if m and logs[i][:m] != logs[j][:m]:
                    return False
    return True


def leader_in_isr(parts: tuple[PartitionState, ...]) -> bool:
    """A partition's leader is a member of its ISR."""
    for part in parts:
        leader = part.leader
        if leader != NO_LEADER and not part.isr >> leader & 1:
            return False
    return True


def hw_within_leo(parts: tuple[PartitionState, ...]) -> bool:
    """Every replica's high watermark is at most its log end offset."""
    for part in parts:
        logs = part.logs
        for b, hw in enumerate(part.hws):
            if hw and hw > len(logs[b]):
                return False
    return True


def _joiners(old: PartitionState, new: PartitionState) -> int:
    """Brokers added to a partition's ISR by its leader's ISR change (same leader and epoch)."""
    leader = new.leader
    if leader == NO_LEADER or leader != old.leader or new.epoch != old.epoch:
        return 0
    return new.isr & ~old.isr


def isr_joiners_hold_committed(before: Any, after: Any, acting: int) -> bool:
    """A running replica (in ``acting``) that joins the ISR holds the leader's log up to its
    high watermark."""
    for old, new in zip(before.parts, after.parts, strict=True):
        joined = _joiners(old, new) & acting
        if not joined:
            continue
        leader = new.leader
        hw = new.hws[leader]
        prefix = new.logs[leader][:hw]
        for b, log in enumerate(new.logs):
            if joined >> b & 1 and log[:hw] != prefix:
                return False
    return True


def fenced_never_join_isr(before: Any, after: Any, fenced: int) -> bool:
    """No broker of ``fenced`` (fenced or shut down after the step) is added to an ISR."""
    return not any(_joiners(old, new) & fenced
                   for old, new in zip(before.parts, after.parts, strict=True))


def writes_accepted(parts: tuple[PartitionState, ...], alive: int, acks: int, min_isr: int) -> bool:
    """Every partition has a live leader that takes a produce request with these acks: for
    acks=all its ISR meets min.insync.replicas."""
    for part in parts:
        leader = part.leader
        if leader == NO_LEADER or not alive >> leader & 1:
            return False
        if acks == -1 and part.isr.bit_count() < min_isr:
            return False
    return True


def _holders(part: Any, record: int) -> list[int]:
    return [b for b, log in enumerate(part.logs) if any(entry_record(e) == record for e in log)]


def _names(brokers: list[int]) -> str:
    return ", ".join(f"B{b + 1}" for b in brokers) or "no replica"


def _loss_story(trace: Any, record: int, p: int, since: int, what: str) -> str:
    """How the record came to be missing from the final leader: who had it, who led next."""
    steps = trace.steps
    final = steps[-1].state.parts[p]
    leader = final.leader
    start = steps[since]
    action = start.action[0] if start.action is not None else "Init"
    text = (f"r{record} was {what} at step {since} ({action}) while "
            f"{_names(_holders(start.state.parts[p], record))} had it.")
    became = next((s for s in reversed(steps) if s.action is not None
                   and s.state.parts[p].leader == leader
                   and steps[s.index - 1].state.parts[p].leader != leader), None)
    lost = next((s for s in steps[since + 1:] if s.action is not None
                 and leader in _holders(steps[s.index - 1].state.parts[p], record)
                 and leader not in _holders(s.state.parts[p], record)), None)
    if lost is not None:
        text += f" B{leader + 1} lost it at step {lost.index} ({lost.action[0]})"
        text += "," if became is not None else "."
    elif became is not None:
        text += f" B{leader + 1}, which never had it,"
    if became is not None:
        text += f" became leader at step {became.index} ({became.action[0]})."
    return text


def narrate_acked_loss(model: object, trace: Any) -> str:
    """The story of an acknowledged record missing from the leader."""
    final = trace.steps[-1].state
    for p, part in enumerate(final.parts):
        leader = part.leader
        if leader == NO_LEADER:
            continue
        present = log_records(part.logs[leader])
        for record in range(64):
            if part.acked >> record & 1 and not present >> record & 1:
                since = next(s.index for s in trace.steps
                             if s.state.parts[p].acked >> record & 1)
                return _loss_story(trace, record, p, since, "acknowledged")
    return ""


def narrate_committed_loss(model: object, trace: Any) -> str:
    """The story of a committed record that changed or vanished at its offset."""
    final = trace.steps[-1].state
    for p, part in enumerate(final.parts):
        leader = part.leader
        committed = part.committed
        if leader == NO_LEADER or not committed:
            continue
        log = part.logs[leader]
        for offset, e in enumerate(committed):
            if offset >= len(log) or log[offset] != e:
                record = entry_record(e)
                since = next(s.index for s in trace.steps
                             if len(s.state.parts[p].committed) > offset)
                return _loss_story(trace, record, p, since,
                                   f"committed at offset {offset}")
    return ""


# The properties about records: each is vacuous when no record is ever written (the
# replication and controller models mark them so).
ABOUT_RECORDS = ("NoAckedWriteLost", "CommittedRecordsStay", "ReplicasAgreeBelowHw",
                 "HwWithinLeo", "IsrJoinersHoldCommitted")


def writes_refused(model: Any) -> bool:
    """Every acks=all append is refused: min.insync.replicas above the replicas before the
    effective min ISR (KAFKA-15583, 3.7) answers each one NOT_ENOUGH_REPLICAS."""
    return bool(model.acks == -1 and model.min_isr > model.n)


def unless_writes_refused(model: Any, props: list[Property],
                          names: tuple[str, ...] = ABOUT_RECORDS) -> list[Property]:
    """The record properties (``names``) marked vacuous where every acks=all append is
    refused (writes_refused), so no record is written."""
    if not writes_refused(model):
        return props
    return vacuous_unless(
        props, False, names,
        f"min.insync.replicas={model.min_isr} exceeds the {model.n} replicas and Kafka "
        f"{model.config.kafka_version} (before 3.7, KAFKA-15583) refuses every acks=all "
        "write with NOT_ENOUGH_REPLICAS: no record is ever written, so this property cannot "
        "fail")


def replication_properties(model: ReplicatedModel) -> list[Property]:
    """The properties of the replication model, with the settings that decide them."""
    acks = {-1: "all", 0: "0", 1: "1"}[model.acks]
    acting = model.acting_brokers
    acked = ("a record whose send succeeded (acks=0: the application is told so at once, "
             "with no broker confirmation)" if model.acks == 0 else
             f"a record acknowledged to the producer (acks={acks})")
    props = [
        always(
            "NoAckedWriteLost",
            f"{acked} stays in the log of every later leader",
            lambda s: acked_writes_survive(s.parts, acting(s)),
            source="Kafka docs 'Replication': committed messages are not lost",
            narrate=narrate_acked_loss,
            explanation="an acknowledged record was missing from the new leader's log: the "
            "acknowledgement came before enough replicas had it (acks=0 acknowledges on "
            "send, acks=1 on the leader's append, or an ISR of one "
            "with min.insync.replicas=1), or the replica that had it lost it (unclean "
            "election, unflushed data lost in a power failure, truncation to the HW). "
            "acks=all with min.insync.replicas >= 2, unclean.leader.election.enable=false "
            "and leader-epoch truncation as fixed in Kafka 2.0.1 (KAFKA-7415: 0.11 to 2.0.0 "
            "still lose it after leader changes) prevent it for process crashes (2.0.1 also "
            "fixed the ISR join check, KAFKA-7128); against power failures it also takes "
            "flush.messages=1, or against one broker's power failure Eligible Leader "
            "Replicas (eligible.leader.replicas.version=1, KIP-966: a broker restarting after "
            "an unclean shutdown leaves the ELR, so two such failures can empty it)",
        ),
        always(
            "CommittedRecordsStay",
            "a record consumers could read (below the leader's high watermark) stays at its "
            "offset in every later leader's log",
            lambda s: committed_records_stay(s.parts, acting(s)),
            source="Kafka docs 'Replication' (committed = in every ISR replica's log)",
            narrate=narrate_committed_loss,
            explanation="a record that was below the high watermark, so visible to "
            "consumers, disappeared or changed at its offset after a leader change",
        ),
        always(
            "ReplicasAgreeBelowHw",
            "any two replicas hold the same record at each offset below both their high "
            "watermarks",
            lambda s: replicas_agree_below_hw(s.parts),
            source="KIP-101 (replica divergence)",
            explanation="two replicas diverged below their high watermarks: a follower kept "
            "entries the new leader does not have (log divergence, KIP-101 scenario 2)",
        ),
        always(
            "LeaderInIsr",
            "a partition's leader is in its in-sync replica set",
            lambda s: leader_in_isr(s.parts),
            source="kafka.cluster.Partition (the leader never leaves its own ISR)",
            explanation="the ISR lost its leader",
        ),
        always(
            "HwWithinLeo",
            "every replica's high watermark is at most its log end offset",
            lambda s: hw_within_leo(s.parts),
            source="UnifiedLog.updateHighWatermark (HW is capped at the LEO)",
            explanation="a replica claimed a high watermark beyond its own log",
        ),
    ]
    bounds = model.bound
    if bounds.get("disk_losses", 0) > 0 or bounds.get("isr_updates") == "in-flight":
        props.append(always_step(
            "IsrJoinersHoldCommitted",
            "a running replica that joins the ISR holds every record below the leader's high "
            "watermark",
            lambda s, a, t: isr_joiners_hold_committed(s, t, acting(t)),
            source="Partition.isFollowerInSync; KIP-903 (broker epochs in AlterPartition)",
            explanation="a replica joined the ISR without the records the leader had "
            "committed: the AlterPartition that added it was decided on a fetch from before "
            "it restarted with a shorter log (an empty disk, a power loss), so it can now be "
            "elected cleanly and lose them; KIP-903 broker epochs make the controller refuse "
            "it (INELIGIBLE_REPLICA)",
        ))
        props.append(always_step(
            "FencedNeverJoinsIsr",
            "a fenced or shut-down broker is never added to an ISR",
            lambda s, a, t: fenced_never_join_isr(s, t, model.fenced_brokers(t)),
            source="KIP-841 (ReplicationControlManager.ineligibleReplicasForIsr)",
            explanation="the controller added a fenced broker to the ISR: an AlterPartition "
            "decided before the broker stopped arrived after it was fenced; KIP-841 makes "
            "the controller refuse it (INELIGIBLE_REPLICA)",
        ))
    if bounds.get("rolling_restarts", 0) > 0:
        min_isr = model.min_isr
        written = f"acks={acks}" + (f" with min.insync.replicas={min_isr}"
                                    if model.acks == -1 else "")
        props.append(always(
            "WritesAccepted",
            f"every partition always has a live leader that accepts {written} writes "
            "(availability through the restarts)",
            lambda s: writes_accepted(s.parts, s.alive, model.acks, min_isr),
            source="Kafka docs 'Replication' (availability); Partition.appendRecordsToLeader",
            explanation="a partition stopped taking writes: it had no live leader (leadership "
            "could not move to an in-sync replica) or, with acks=all, its ISR fell below "
            "min.insync.replicas (NOT_ENOUGH_REPLICAS)",
        ))
    if model.max_records > 0:
        props.append(sometimes(
            "SomeRecordCommitted", "a record can become committed (visible to consumers)",
            lambda s: any(part.committed for part in s.parts)))
    if model.bound["crashes"] > 0 or model.bound["leader_changes"] > 0:
        first = tuple(order[0] for order in model.order)
        props.append(sometimes(
            "LeaderFailsOver", "leadership can move to another broker in a new leader epoch",
            lambda s: leader_moved(s.parts, first)))
    # Two replicas must exist to disagree: with one (replication.factor=1, or one broker in
    # the controller model) replicas_agree_below_hw compares no pair.
    controller = "brokers" in bounds
    replicas = max(len(order) for order in model.order)
    if controller:
        one = f"brokers={replicas}: each partition has one replica"
        more = "--bound brokers=3"
    else:
        one = f"replication.factor={replicas}: each partition has one replica"
        more = "replication.factor=3"
    props = vacuous_unless(
        props, replicas >= 2, ("ReplicasAgreeBelowHw",),
        f"{one}, with no other to disagree with, so this property cannot fail; set {more} to "
        "check it")
    # A broker is fenced or shut down only by a crash, a disk loss or a controlled shutdown
    # (replication model), or a crash, a disk loss or an isolation (controller model:
    # BrokerHeartbeatManager fences it): without one nobody fenced can join an ISR.
    fencing = ("crashes", "isolations", "disk_losses") if controller else (
        "crashes", "disk_losses", "rolling_restarts")
    faults = ("no crash, isolation or disk loss" if controller
              else "no crash, disk loss or rolling restart")
    props = vacuous_unless(
        props, any(bounds.get(name, 0) for name in fencing), ("FencedNeverJoinsIsr",),
        f"{faults}: no broker is ever fenced or shut down, so this property cannot fail; "
        f"set --bound {'isolations' if controller else 'crashes'}=1 to check it")
    if model.acks == -1 and model.max_records > 0:
        props.append(eventually(
            "ProduceRequestsComplete",
            "under fair scheduling every acks=all produce request is eventually answered",
            lambda s: not any(part.pending for part in s.parts),
            trigger=lambda s: any(part.pending for part in s.parts),
            fairness=("Fetch", "BecomeFollower", "Ack", "AckError", "ShrinkIsr", "Fence",
                      "Elect", "ElrElect", "LastLeaderElect", "UncleanElect",
                      "ProduceTimeout", "AlterPartition", "AlterPartitionAccepted",
                      "AlterPartitionRejected"),
            source="Kafka docs: a produce request waits for the ISR or request.timeout.ms",
            explanation="a produce request can wait forever: nothing fair forces its answer",
        ))
    return props
