"""Replication guarantees: acknowledged writes survive, committed records stay, ISR sanity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.cluster.partition import (
    ACKED,
    EPOCH,
    EXPOSED,
    HWS,
    ISR,
    LEADER,
    LOGS,
    NO_LEADER,
    PENDING,
    entry_record,
)
from kafkacheck.model.cluster.replication import ALIVE, PARTS
from kafkacheck.properties.base import Property, always, eventually, sometimes

if TYPE_CHECKING:
    from kafkacheck.model.cluster.replication import ReplicationModel



def acked_writes_survive(parts: tuple, alive: int) -> bool:
    """Every acknowledged record is in the log of the partition's current (live) leader."""
    for part in parts:
        leader = part[LEADER]
        acked = part[ACKED]
        if leader == NO_LEADER or not acked or not alive >> leader & 1:
            continue
        present = 0
        for e in part[LOGS][leader]:
            present |= 1 << entry_record(e)
        if acked & ~present:
            return False
    return True


def committed_records_stay(parts: tuple, alive: int) -> bool:
    """Records once below a leader's HW stay at their offsets in every later live leader's log."""
    for part in parts:
        leader = part[LEADER]
        exposed = part[EXPOSED]
        if leader == NO_LEADER or not exposed or not alive >> leader & 1:
            continue
        if part[LOGS][leader][: len(exposed)] != exposed:
            return False
    return True


def replicas_agree_below_hw(parts: tuple) -> bool:
    """Any two replicas hold the same entries below the smaller of their HWs."""
    for part in parts:
        logs, hws = part[LOGS], part[HWS]
        n = len(logs)
        for i in range(n):
            for j in range(i + 1, n):
                m = min(hws[i], hws[j])
                if m and logs[i][:m] != logs[j][:m]:
                    return False
    return True


def leader_in_isr(parts: tuple) -> bool:
    """A partition's leader is a member of its ISR."""
    return all(part[LEADER] == NO_LEADER or part[ISR] >> part[LEADER] & 1 for part in parts)


def hw_within_leo(parts: tuple) -> bool:
    """Every replica's high watermark is at most its log end offset."""
    for part in parts:
        for log, hw in zip(part[LOGS], part[HWS], strict=True):
            if hw > len(log):
                return False
    return True


def _holders(part: tuple, record: int) -> list[int]:
    return [b for b, log in enumerate(part[LOGS]) if any(entry_record(e) == record for e in log)]


def _names(brokers: list[int]) -> str:
    return ", ".join(f"B{b + 1}" for b in brokers) or "no replica"


def _loss_story(trace: object, record: int, p: int, since: int, what: str) -> str:
    """How the record came to be missing from the final leader: who had it, who led next."""
    steps = trace.steps  # type: ignore[attr-defined]
    final = steps[-1].state[PARTS][p]
    leader = final[LEADER]
    start = steps[since]
    text = (f"r{record} was {what} at step {since} ({start.action[0]}) while "
            f"{_names(_holders(start.state[PARTS][p], record))} had it.")
    became = next((s for s in reversed(steps) if s.action is not None
                   and s.state[PARTS][p][LEADER] == leader
                   and steps[s.index - 1].state[PARTS][p][LEADER] != leader), None)
    lost = next((s for s in steps[since + 1:] if s.action is not None
                 and leader in _holders(steps[s.index - 1].state[PARTS][p], record)
                 and leader not in _holders(s.state[PARTS][p], record)), None)
    if lost is not None:
        text += f" B{leader + 1} lost it at step {lost.index} ({lost.action[0]})"
        text += "," if became is not None else "."
    elif became is not None:
        text += f" B{leader + 1}, which never had it,"
    if became is not None:
        text += f" became leader at step {became.index} ({became.action[0]})."
    return text


def narrate_acked_loss(model: object, trace: object) -> str:
    """The story of an acknowledged record missing from the leader."""
    final = trace.steps[-1].state  # type: ignore[attr-defined]
    for p, part in enumerate(final[PARTS]):
        leader = part[LEADER]
        if leader == NO_LEADER:
            continue
        present = {entry_record(e) for e in part[LOGS][leader]}
        for record in range(64):
            if part[ACKED] >> record & 1 and record not in present:
                since = next(s.index for s in trace.steps  # type: ignore[attr-defined]
                             if s.state[PARTS][p][ACKED] >> record & 1)
                return _loss_story(trace, record, p, since, "acknowledged")
    return ""


def narrate_committed_loss(model: object, trace: object) -> str:
    """The story of a committed record that changed or vanished at its offset."""
    final = trace.steps[-1].state  # type: ignore[attr-defined]
    for p, part in enumerate(final[PARTS]):
        leader = part[LEADER]
        exposed = part[EXPOSED]
        if leader == NO_LEADER or not exposed:
            continue
        log = part[LOGS][leader]
        for offset, e in enumerate(exposed):
            if offset >= len(log) or log[offset] != e:
                record = entry_record(e)
                since = next(s.index for s in trace.steps  # type: ignore[attr-defined]
                             if len(s.state[PARTS][p][EXPOSED]) > offset)
                return _loss_story(trace, record, p, since,
                                   f"committed at offset {offset}")
    return ""


def replication_properties(model: ReplicationModel) -> list[Property]:
    """The properties of the replication model, with the settings that decide them."""
    acks = {-1: "all", 0: "0", 1: "1"}[model.acks]
    props = [
        always(
            "NoAckedWriteLost",
            f"a record acknowledged to the producer (acks={acks}) stays in the log of every "
            "later leader",
            lambda s: acked_writes_survive(s[PARTS], s[ALIVE]),
            source="Kafka docs 'Replication': committed messages are not lost",
            narrate=narrate_acked_loss,
            explanation="an acknowledged record was missing from the new leader's log: the "
            "acknowledgement came before enough replicas had it (acks=1, or an ISR of one "
            "with min.insync.replicas=1), or the replica that had it lost it (unclean "
            "election, unflushed data lost in a power failure, truncation to the HW). "
            "acks=all with min.insync.replicas >= 2, unclean.leader.election.enable=false "
            "and leader-epoch truncation prevent it for process crashes; against power "
            "failures it also takes flush.messages=1 or Eligible Leader Replicas "
            "(eligible.leader.replicas.version=1, KIP-966)",
        ),
        always(
            "CommittedRecordsStay",
            "a record consumers could read (below the leader's high watermark) stays at its "
            "offset in every later leader's log",
            lambda s: committed_records_stay(s[PARTS], s[ALIVE]),
            source="Kafka docs 'Replication' (committed = in every ISR replica's log)",
            narrate=narrate_committed_loss,
            explanation="a record that was below the high watermark, so visible to "
            "consumers, disappeared or changed at its offset after a leader change",
        ),
        always(
            "ReplicasAgreeBelowHw",
            "any two replicas hold the same record at each offset below both their high "
            "watermarks",
            lambda s: replicas_agree_below_hw(s[PARTS]),
            source="KIP-101 (replica divergence)",
            explanation="two replicas diverged below their high watermarks: a follower kept "
            "entries the new leader does not have (log divergence, KIP-101 scenario 2)",
        ),
        always(
            "LeaderInIsr",
            "a partition's leader is in its in-sync replica set",
            lambda s: leader_in_isr(s[PARTS]),
            source="kafka.cluster.Partition (the leader never leaves its own ISR)",
            explanation="the ISR lost its leader",
        ),
        always(
            "HwWithinLeo",
            "every replica's high watermark is at most its log end offset",
            lambda s: hw_within_leo(s[PARTS]),
            source="UnifiedLog.updateHighWatermark (HW is capped at the LEO)",
            explanation="a replica claimed a high watermark beyond its own log",
        ),
    ]
    if model.max_records > 0:
        props.append(sometimes(
            "SomeRecordCommitted", "a record can become committed (visible to consumers)",
            lambda s: any(part[EXPOSED] for part in s[PARTS])))
    if model.bound["crashes"] > 0 or model.bound["leader_changes"] > 0:
        props.append(sometimes(
            "LeaderFailsOver", "leadership can move to a new leader epoch",
            lambda s: any(part[EPOCH] > 0 and part[LEADER] != NO_LEADER for part in s[PARTS])))
    if model.acks == -1 and model.max_records > 0:
        props.append(eventually(
            "ProduceRequestsComplete",
            "under fair scheduling every acks=all produce request is eventually answered",
            lambda s: not any(part[PENDING] for part in s[PARTS]),
            trigger=lambda s: any(part[PENDING] for part in s[PARTS]),
            fairness=("Fetch", "BecomeFollower", "Ack", "AckError", "ShrinkIsr", "Fence",
                      "Elect", "ElrElect", "UncleanElect", "ProduceTimeout"),
            source="Kafka docs: a produce request waits for the ISR or request.timeout.ms",
            explanation="a produce request can wait forever: nothing fair forces its answer",
        ))
    return props
