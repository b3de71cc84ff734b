"""Controller guarantees: one active controller per epoch, epochs only grow, fencing works.

The replication guarantees (``properties/replication.py``) are checked on the composed
state too: its ``parts`` hold the latest committed leader, epoch and ISR of each
partition, and its ``alive`` the nodes up (broker b is node b).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from kafkacheck.model.cluster.controller import (
    Controller,
    ControllerModel,
    ControllerState,
    Registration,
)
from kafkacheck.model.cluster.partition import NO_LEADER, log_records
from kafkacheck.properties import replication as rp
from kafkacheck.properties.base import (
    Property,
    always,
    always_step,
    sometimes,
    vacuous_unless,
)


def is_active(model: ControllerModel, state: ControllerState, c: int, ctl: Controller) -> bool:
    """Controller c is live and believes it is active."""
    return ctl.leader == c and bool(state.alive >> model.ctrl_node[c] & 1)


def active_controllers(model: ControllerModel, state: ControllerState) -> list[tuple[int, int]]:
    """(controller, epoch) of every live controller that believes it is active."""
    return [(c, ctl.epoch) for c, ctl in enumerate(state.controllers)
            if is_active(model, state, c, ctl)]


def one_active_per_epoch(model: ControllerModel, state: ControllerState) -> bool:
    """No two live controllers believe they are active in the same epoch."""
    epochs: list[int] = []  # of the active controllers met so far (usually none or one)
    for c, ctl in enumerate(state.controllers):
        if is_active(model, state, c, ctl):
            if ctl.epoch in epochs:
                return False
            epochs.append(ctl.epoch)
    return True


def _registrations_grow(old: tuple[Registration, ...], new: tuple[Registration, ...]) -> bool:
    """No partition registration's leader epoch or partition epoch went down."""
    if old is new:
        return True
    for i, n in enumerate(new):
        o = old[i]
        if o is not n and (n.epoch < o.epoch or n.partition_epoch < o.partition_epoch):
            return False
    return True


def epochs_grow(before: ControllerState, action: Any, after: ControllerState) -> bool:
    """No controller epoch, metadata offset, leader epoch or partition epoch goes down.

    A step changes few parts of the state and shares the rest with its source, so parts
    that are the same object are skipped (this predicate runs on every transition)."""
    old_ctrls, new_ctrls = before.controllers, after.controllers
    if old_ctrls is not new_ctrls:
        for i, ctl in enumerate(new_ctrls):
            was = old_ctrls[i]
            if was is ctl:
                continue
            if ctl.epoch < was.epoch or ctl.end < was.end:
                return False
            if was.image is not ctl.image and \
                    not _registrations_grow(was.image.parts, ctl.image.parts):
                return False
    old_brokers, new_brokers = before.brokers, after.brokers
    if old_brokers is not new_brokers:
        for i, br in enumerate(new_brokers):
            had = old_brokers[i]
            if had is br:
                continue
            if br.controller_epoch < had.controller_epoch or \
                    not _registrations_grow(had.views, br.views):
                return False
    old_parts, new_parts = before.parts, after.parts
    if old_parts is not new_parts:
        for i, part in enumerate(new_parts):
            if part.epoch < old_parts[i].epoch:
                return False
    return True


def committed_by_majority(model: ControllerModel, state: ControllerState) -> bool:
    """Every metadata offset a controller or broker holds is stored by a majority of voters."""
    ends = [ctl.end for ctl in state.controllers]
    ends.sort()
    stored = ends[len(ends) - model.majority]  # the offset a majority has
    if ends[-1] > stored:
        return False
    for br in state.brokers:
        if br.offset > stored:
            return False
    return True


def broker_offsets_grow(before: ControllerState, action: Any, after: ControllerState) -> bool:
    """No broker's applied metadata offset goes down."""
    olds, news = before.brokers, after.brokers
    if olds is not news:
        for i, new in enumerate(news):
            if new.offset < olds[i].offset:
                return False
    return True


def one_leader_per_epoch(model: ControllerModel, state: ControllerState) -> bool:
    """Per partition, no two acting leaders share a leader epoch, nor do two registrations."""
    brokers = state.brokers
    controllers = state.controllers
    for p, leads in enumerate(state.leads):
        leading = 0
        for lead in leads:
            if lead:
                leading += 1
        if leading > 1:  # one broker leading is the usual case: nothing to compare
            acting = model.acting_brokers(state)
            epochs = [brokers[b].views[p].epoch for b, lead in enumerate(leads)
                      if lead and acting >> b & 1]
            if len(epochs) != len(set(epochs)):
                return False
        regs = [ctl.image.parts[p] for ctl in controllers]
        for i in range(1, len(regs)):
            reg = regs[i]
            for j in range(i):
                other = regs[j]
                if other is not reg and other.epoch == reg.epoch and other.leader != reg.leader:
                    return False
    return True


def one_leader_per_epoch_step(model: ControllerModel, before: ControllerState, action: Any,
                              after: ControllerState) -> bool:
    """One leader per epoch in the state reached, and across time: no controller's metadata
    hands a partition to another leader (or to none) without a higher leader epoch
    (PartitionChangeBuilder bumps it on every leader change), so an epoch given to one
    broker is never given to another after the first stopped leading."""
    if not one_leader_per_epoch(model, after):
        return False
    olds, news = before.controllers, after.controllers
    if olds is news:
        return True
    for i, new in enumerate(news):
        old = olds[i]
        if old is new or old.image is new.image:
            continue
        olds_parts, news_parts = old.image.parts, new.image.parts
        for k, n in enumerate(news_parts):
            o = olds_parts[k]
            if o is not n and n.leader != o.leader and n.epoch <= o.epoch:
                return False
    return True


def deposed_acks_survive(model: ControllerModel, state: ControllerState) -> bool:
    """Every record a deposed leader acknowledged is in the current acting leader's log (a
    restarted broker acts on nothing until it registered and caught up, as the replication
    properties read it: ControllerModel.acting_brokers)."""
    acting = -1
    for p, zombie in enumerate(state.acked_by_deposed_leader):
        if not zombie:
            continue  # the usual case: no deposed leader acknowledged anything
        part = state.parts[p]
        leader = part.leader
        if acting < 0:
            acting = model.acting_brokers(state)
        if leader == NO_LEADER or not acting >> leader & 1:
            continue
        if zombie & ~log_records(part.logs[leader]):
            return False
    return True


def fenced_never_leads(state: ControllerState) -> bool:
    """No controller's metadata names a fenced broker as a partition leader."""
    for ctl in state.controllers:
        fenced = ctl.image.fenced
        if not fenced:
            continue
        for reg in ctl.image.parts:
            if reg.leader != NO_LEADER and fenced >> reg.leader & 1:
                return False
    return True


def some_deposed_ack(state: ControllerState) -> bool:
    """Some deposed leader acknowledged a record: DeposedLeaderAcksSurvive's premise."""
    return any(state.acked_by_deposed_leader)


def zombie_controller(model: ControllerModel, state: ControllerState) -> bool:
    """Two live controllers believe they are active, in different epochs."""
    return len({e for _, e in active_controllers(model, state)}) >= 2


def zombie_leader(model: ControllerModel, state: ControllerState) -> bool:
    """Two live brokers act as leader of the same partition."""
    alive = state.alive
    return any(sum(1 for b, lead in enumerate(leads)
                   if lead and alive >> model.broker_node[b] & 1) >= 2
               for leads in state.leads)


def controller_properties(model: ControllerModel) -> list[Property]:
    """The controller model's properties, then the replication ones on the composed state."""
    acks = {-1: "all", 0: "0", 1: "1"}[model.acks]
    props = [
        always(
            "OneActiveControllerPerEpoch",
            "at most one controller is active in each controller epoch",
            partial(one_active_per_epoch, model),
            source="KIP-595 (Raft election safety); QuorumController",
            explanation="two controllers believed they were active in the same epoch: an "
            "election won without a majority, or voters that granted a stale epoch",
        ),
        always_step(
            "EpochsOnlyGrow",
            "controller epochs, committed metadata offsets, leader epochs and partition "
            "epochs never go down, at controllers and at brokers (metadata is committed "
            "in one step here: a Raft leader's uncommitted tail, truncated or reverted in "
            "KRaft, is not modelled)",
            epochs_grow,
            source="KIP-595, KIP-631, KIP-320 (epochs are monotonic fences)",
            explanation="an epoch went backwards: a node accepted a message from a deposed "
            "controller or leader, so fencing by epoch no longer works",
        ),
        always(
            "MetadataCommittedByMajority",
            "every metadata record a controller or broker has is committed, stored by a "
            "majority of voters (an isolated minority changes nothing; the model's "
            "controllers hold committed records only: an active controller's appends "
            "before a majority has them are not modelled)",
            partial(committed_by_majority, model),
            source="KIP-595 (a record is committed once a majority has it); KIP-631",
            explanation="a controller without a majority committed metadata (for example a "
            "leadership change) that brokers could apply and a new majority would never know",
        ),
        always_step(
            "BrokerMetadataNeverGoesBack",
            "a broker never applies metadata older than what it has",
            broker_offsets_grow,
            source="KafkaRaftClient (observers fetch with the current leader epoch)",
            explanation="a broker replaced its metadata with an older offset: it accepted the "
            "log of a controller with a lower epoch",
        ),
        always_step(
            "OneLeaderPerLeaderEpoch",
            "at most one broker leads a partition in each leader epoch (as brokers act, and "
            "in every controller's committed metadata, over time)",
            partial(one_leader_per_epoch_step, model),
            source="KIP-101, KIP-320 (the leader epoch identifies one leader); "
            "PartitionChangeBuilder",
            explanation="two brokers led the partition in the same leader epoch: followers "
            "and clients cannot tell the deposed leader from the new one",
        ),
        always(
            "DeposedLeaderAcksSurvive",
            f"a record a deposed leader acknowledges (acks={acks}) is in the log of the "
            "current leader",
            partial(deposed_acks_survive, model),
            source="Kafka docs 'Replication'; Partition.makeFollower; KIP-320",
            explanation="a leader that did not yet know it was replaced acknowledged a "
            "record that the new leader lacks: with acks=1 the deposed leader answers "
            "alone; with acks=all it needs every ISR member it knows, which includes "
            "the new leader",
            # Without a deposed leader's acknowledgement there is nothing to check (no
            # isolation or leader change, or two voters that elect no successor): it rests on
            # the witness.
            needs="SomeDeposedLeaderAck",
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
    # The replication predicates read ``alive`` and ``parts``, which the controller's
    # state has too: they are checked on it unchanged.
    props += [Property(**{**p.__dict__,
                          "source": p.source + " (on the composed controller state)"})
              for p in rp.replication_properties(model) if p.kind != "eventually"]
    # A node that stops (crash, disk loss) or is cut off can take the active controller
    # with it: the failover is then reachable, and its absence a coverage finding.
    if model.m > 1 and (model.bound["crashes"] or model.bound["isolations"]
                        or model.bound["disk_losses"]):
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
    # Only where a record can be written (the same condition as the record properties').
    if model.max_records > 0 and not rp.writes_refused(model):
        props.append(sometimes(
            "SomeDeposedLeaderAck",
            "a deposed leader acknowledges a record (the premise of DeposedLeaderAcksSurvive)",
            some_deposed_ack,
            source="Partition.makeFollower (a leader acts until its metadata deposes it)",
            explanation="no leader ever acknowledges a record after it was deposed, so "
            "DeposedLeaderAcksSurvive is not checked; set --bound isolations=1 (with "
            "--bound controllers=3) or --bound leader_changes=1"))
    about_records = (*rp.ABOUT_RECORDS, "DeposedLeaderAcksSurvive")
    props = rp.unless_writes_refused(
        model, vacuous_unless(props, model.max_records > 0, about_records), about_records)
    b = model.bound
    # A second active controller needs a second voter and the end of the first one's term:
    # only a crash, an isolation or a disk loss stops a controller (QuorumController).
    stops = b["crashes"] > 0 or b["isolations"] > 0 or b["disk_losses"] > 0
    one_voter = (f"controllers={model.m}: one voter is never active twice in an epoch, so "
                 "this property cannot fail; set --bound controllers=3 to check it")
    no_stop = ("no crash, isolation or disk loss: the first active controller is never "
               "replaced and no other is ever elected, so this property cannot fail; set "
               "--bound isolations=1 to check it")
    props = vacuous_unless(props, model.m > 1 and stops, ("OneActiveControllerPerEpoch",),
                           one_voter if model.m == 1 else no_stop)
    # One voter is a majority by itself: it holds every record anyone has.
    props = vacuous_unless(
        props, model.m > 1, ("MetadataCommittedByMajority",),
        f"controllers={model.m}: the only voter is a majority by itself and holds every "
        "metadata record a broker has, so this property cannot fail; set --bound "
        "controllers=3 to check it")
    # Only those faults fence a broker (BrokerHeartbeatManager, handleBrokerUncleanShutdown).
    props = vacuous_unless(
        props, stops, ("FencedBrokerNeverLeads",),
        "no crash, isolation or disk loss: no broker is ever fenced, so this property cannot "
        "fail; set --bound isolations=1 to check it")
    # A partition's leader changes only after a fault or a preferred-leader election.
    return vacuous_unless(
        props, stops or b["leader_changes"] > 0, ("OneLeaderPerLeaderEpoch",),
        "no crash, isolation, disk loss or leader change: every partition keeps its first "
        "leader, so no leader epoch is ever given to a second broker and this property "
        "cannot fail; set --bound leader_changes=1 to check it")
