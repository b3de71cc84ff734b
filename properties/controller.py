"""Controller guarantees: one active controller per epoch, epochs only grow, fencing works.

The replication guarantees (``properties/replication.py``) are checked on the composed
state too: the partition tuple there holds the latest committed leader, epoch and ISR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafkacheck.model.cluster.controller import (
    ALIVE,
    B_CEPOCH,
    B_OFFSET,
    B_PHASE,
    B_VIEWS,
    BROKERS,
    C_END,
    C_EPOCH,
    C_IMAGE,
    C_LEADER,
    CTRL,
    I_FENCED,
    I_PARTS,
    LEAD,
    M_EPOCH,
    M_LEADER,
    M_PEPOCH,
    PARTS,
    RUNNING,
    ZOMBIE,
)
from kafkacheck.model.cluster.partition import EPOCH, LEADER, LOGS, NO_LEADER, entry_record
from kafkacheck.properties import replication as rp
from kafkacheck.properties.base import Property, always, always_step, sometimes

if TYPE_CHECKING:
    from kafkacheck.model.cluster.controller import ControllerModel


def active_controllers(model: ControllerModel, state: tuple) -> list[tuple[int, int]]:
    """(controller, epoch) of every live controller that believes it is active."""
    alive = state[ALIVE]
    return [(c, ctl[C_EPOCH]) for c, ctl in enumerate(state[CTRL])
            if ctl[C_LEADER] == c and alive >> model.ctrl_node[c] & 1]


def one_active_per_epoch(model: ControllerModel, state: tuple) -> bool:
    """No two live controllers believe they are active in the same epoch."""
    epochs = [e for _, e in active_controllers(model, state)]
    return len(epochs) == len(set(epochs))


def _metas_grow(old: tuple, new: tuple) -> bool:
    """No partition registration's leader epoch or partition epoch went down."""
    if old is new:
        return True
    for om, nm in zip(old, new, strict=True):
        if nm[M_EPOCH] < om[M_EPOCH] or nm[M_PEPOCH] < om[M_PEPOCH]:
            return False
    return True


def epochs_grow(before: tuple, after: tuple) -> bool:
    """No controller epoch, metadata offset, leader epoch or partition epoch goes down."""
    if before[CTRL] is not after[CTRL]:
        for old, new in zip(before[CTRL], after[CTRL], strict=True):
            if old is new:
                continue
            if new[C_EPOCH] < old[C_EPOCH] or new[C_END] < old[C_END]:
                return False
            if not _metas_grow(old[C_IMAGE][I_PARTS], new[C_IMAGE][I_PARTS]):
                return False
    if before[BROKERS] is not after[BROKERS]:
        for old, new in zip(before[BROKERS], after[BROKERS], strict=True):
            if old is new:
                continue
            if new[B_CEPOCH] < old[B_CEPOCH] or not _metas_grow(old[B_VIEWS], new[B_VIEWS]):
                return False
    if before[PARTS] is after[PARTS]:
        return True
    return all(np[EPOCH] >= op[EPOCH] for op, np in zip(before[PARTS], after[PARTS],
                                                       strict=True))


def committed_by_majority(model: ControllerModel, state: tuple) -> bool:
    """Every metadata offset a controller or broker holds is stored by a majority of voters."""
    ends = sorted((ctl[C_END] for ctl in state[CTRL]), reverse=True)
    stored = ends[model.majority - 1]
    if ends[0] > stored:
        return False
    return all(br[B_OFFSET] <= stored for br in state[BROKERS])


def broker_offsets_grow(before: tuple, after: tuple) -> bool:
    """No broker's applied metadata offset goes down."""
    if before[BROKERS] is after[BROKERS]:
        return True
    return all(new[B_OFFSET] >= old[B_OFFSET]
               for old, new in zip(before[BROKERS], after[BROKERS], strict=True))


def one_leader_per_epoch(model: ControllerModel, state: tuple) -> bool:
    """Per partition, no two acting leaders share a leader epoch, nor do two registrations."""
    alive = state[ALIVE]
    brokers = state[BROKERS]
    for p, leads in enumerate(state[LEAD]):
        seen: set[int] = set()
        for b, lead in enumerate(leads):
            if not lead or not alive >> model.broker_node[b] & 1:
                continue
            if brokers[b][B_PHASE] != RUNNING:
                continue
            epoch = brokers[b][B_VIEWS][p][M_EPOCH]
            if epoch in seen:
                return False
            seen.add(epoch)
        leader_of: dict[int, int] = {}
        for ctl in state[CTRL]:
            meta = ctl[C_IMAGE][I_PARTS][p]
            if leader_of.setdefault(meta[M_EPOCH], meta[M_LEADER]) != meta[M_LEADER]:
                return False
    return True


def deposed_acks_survive(state: tuple) -> bool:
    """Every record a deposed leader acknowledged is in the current (live) leader's log."""
    alive = state[ALIVE]
    for part, zombie in zip(state[PARTS], state[ZOMBIE], strict=True):
        leader = part[LEADER]
        if not zombie or leader == NO_LEADER or not alive >> leader & 1:
            continue
        present = 0
        for e in part[LOGS][leader]:
            present |= 1 << entry_record(e)
        if zombie & ~present:
            return False
    return True


def fenced_never_leads(state: tuple) -> bool:
    """No controller's metadata names a fenced broker as a partition leader."""
    for ctl in state[CTRL]:
        fenced = ctl[C_IMAGE][I_FENCED]
        for meta in ctl[C_IMAGE][I_PARTS]:
            leader = meta[M_LEADER]
            if leader != NO_LEADER and fenced >> leader & 1:
                return False
    return True


def zombie_controller(model: ControllerModel, state: tuple) -> bool:
    """Two live controllers believe they are active, in different epochs."""
    return len({e for _, e in active_controllers(model, state)}) >= 2


def zombie_leader(model: ControllerModel, state: tuple) -> bool:
    """Two live brokers act as leader of the same partition."""
    alive = state[ALIVE]
    return any(sum(1 for b, lead in enumerate(leads)
                   if lead and alive >> model.broker_node[b] & 1) >= 2
               for leads in state[LEAD])


def _lift(model: ControllerModel, prop: Property) -> Property:
    """A replication property evaluated on the composed state's partitions."""
    holds = prop.holds
    assert holds is not None
    size = max(rp.ALIVE, rp.PARTS) + 1
    everyone = model.everyone  # broker b runs on node b
    if (rp.ALIVE, rp.PARTS) == (0, size - 1):
        pad = (0,) * (size - 2)

        def lifted(s: tuple, h=holds) -> bool:
            return h((s[ALIVE] & everyone, *pad, s[PARTS]))
    else:
        def lifted(s: tuple, h=holds) -> bool:
            shaped = [0] * size
            shaped[rp.ALIVE] = s[ALIVE] & everyone
            shaped[rp.PARTS] = s[PARTS]
            return h(tuple(shaped))

    return Property(**{**prop.__dict__, "holds": lifted,
                       "source": prop.source + " (on the composed controller state)"})


def controller_properties(model: ControllerModel) -> list[Property]:
    """The controller model's properties, then the replication ones on the composed state."""
    acks = {-1: "all", 0: "0", 1: "1"}[model.acks]
    props = [
        always(
            "OneActiveControllerPerEpoch",
            "at most one controller is active in each controller epoch",
            lambda s: one_active_per_epoch(model, s),
            source="KIP-595 (Raft election safety); QuorumController",
            explanation="two controllers believed they were active in the same epoch: an "
            "election won without a majority, or voters that granted a stale epoch",
        ),
        always_step(
            "EpochsOnlyGrow",
            "controller epochs, metadata offsets, leader epochs and partition epochs never "
            "go down, at controllers and at brokers",
            lambda s, a, t: epochs_grow(s, t),
            source="KIP-595, KIP-631, KIP-320 (epochs are monotonic fences)",
            explanation="an epoch went backwards: a node accepted a message from a deposed "
            "controller or leader, so fencing by epoch no longer works",
        ),
        always(
            "MetadataCommittedByMajority",
            "every metadata record a controller or broker has is stored by a majority of "
            "voters (an isolated minority changes nothing)",
            lambda s: committed_by_majority(model, s),
            source="KIP-595 (a record is committed once a majority has it); KIP-631",
            explanation="a controller without a majority committed metadata (for example a "
            "leadership change) that brokers could apply and a new majority would never know",
        ),
        always_step(
            "BrokerMetadataNeverGoesBack",
            "a broker never applies metadata older than what it has",
            lambda s, a, t: broker_offsets_grow(s, t),
            source="KafkaRaftClient (observers fetch with the current leader epoch)",
            explanation="a broker replaced its metadata with an older offset: it accepted the "
            "log of a controller with a lower epoch",
        ),
        always(
            "OneLeaderPerLeaderEpoch",
            "at most one broker leads a partition in each leader epoch (as brokers act, and "
            "in every controller's metadata)",
            lambda s: one_leader_per_epoch(model, s),
            source="KIP-101, KIP-320 (the leader epoch identifies one leader); "
            "PartitionChangeBuilder",
            explanation="two brokers led the partition in the same leader epoch: followers "
            "and clients cannot tell the deposed leader from the new one",
        ),
        always(
            "DeposedLeaderAcksSurvive",
            f"a record a deposed leader acknowledges (acks={acks}) is in the log of the "
            "current leader",
            deposed_acks_survive,
            source="Kafka docs 'Replication'; Partition.makeFollower; KIP-320",
            explanation="a leader that did not yet know it was replaced acknowledged a "
            "record that the new leader lacks: with acks=1 the deposed leader answers "
            "alone; with acks=all it needs every ISR member it knows, which includes "
            "the new leader",
        ),
        always(
            "FencedBrokerNeverLeads",
            "no committed metadata names a fenced broker as a partition leader",
            fenced_never_leads,
            source="KIP-631, KIP-841; ReplicationControlManager.handleBrokerFenced",
            explanation="a fenced broker (no heartbeats, or restarted and not caught up) "
            "was elected or kept as leader",
        ),
    ]
    props += [_lift(model, p) for p in rp.replication_properties(model) if p.kind != "eventually"]
    if model.m > 1 and (model.bound["crashes"] or model.bound["isolations"]):
        props.append(sometimes(
            "ControllerFailsOver", "a new controller is elected in a higher epoch",
            lambda s: any(e > 1 for _, e in active_controllers(model, s))))
    faults = model.bound["crashes"] or model.bound["isolations"]
    if model.m > 1 and faults:
        props.append(sometimes(
            "ZombieControllerMeetsSuccessor",
            "an isolated controller still believes it is active while a majority has "
            "elected a successor",
            lambda s: zombie_controller(model, s)))
    if model.n > 1 and (faults or model.bound["leader_changes"]):
        props.append(sometimes(
            "ZombieLeaderMeetsSuccessor",
            "two brokers act as leader of the same partition at once",
            lambda s: zombie_leader(model, s)))
    return props
