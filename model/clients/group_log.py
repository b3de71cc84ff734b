"""The partition log under a consumer group: an abstract log, or the replication model.

The group model reads a log through one small interface: each partition's high watermark
and log end offset at its current leader (None when no live leader can serve a fetch),
the record ids at a range of offsets, and the log's own actions.  The abstract log is
a producer appending records and a high watermark that follows (at once, or in its own
steps); the replicated log is ``ReplicationModel``'s state, composed with
``model/compose.py`` (its actions and properties lifted unchanged), so produce requests,
broker crashes, leader changes and the high watermark come from the partition component.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kafkacheck.config import Config
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.cluster.partition import (
    NO_LEADER,
    end_offset_for,
    entry_epoch,
    entry_record,
    epoch_cache,
    log_records,
)
from kafkacheck.model.cluster.replication import ReplicationModel
from kafkacheck.model.compose import Embedded
from kafkacheck.model.interface import Action, State
from kafkacheck.properties.base import Property

if TYPE_CHECKING:
    from kafkacheck.model.clients.group import GroupModel

HW, LEO = 0, 1


def offsets_mask(lo: int, hi: int) -> int:
    """Bits lo..hi-1 (record ids of offsets lo..hi-1 in the abstract log)."""
    return ((1 << hi) - 1) & ~((1 << lo) - 1) if hi > lo else 0


class AbstractLog:
    """Per partition (high watermark, log end offset); record id = offset."""

    def __init__(self, partitions: int, records: int, hw_lag: int) -> None:
        self.p = partitions
        self.records = records
        self.hw_lag = hw_lag

    def initial(self) -> tuple:
        """Empty partitions."""
        return ((0, 0),) * self.p

    def successors(self, log: tuple, created: int) -> Iterator[tuple[Action, tuple]]:
        """Produce (ProduceRequest to the leader) and the HW catching up (replication), on
        the first ``created`` partitions (those that exist yet)."""
        total = sum(part[LEO] for part in log)
        for p, (hw, leo) in enumerate(log[:created]):
            if total < self.records:
                new = (leo + 1 if not self.hw_lag else hw, leo + 1)
                yield ("Produce", f"p{p}", f"offset {leo}"), log[:p] + (new,) + log[p + 1:]
            if hw < leo:
                yield ("AdvanceHw", f"p{p}", f"hw {hw + 1}"), log[:p] + ((hw + 1, leo),) \
                    + log[p + 1:]

    def view(self, log: tuple, p: int) -> tuple[int, int] | None:
        """(high watermark, log end offset) of partition p."""
        return log[p]

    def read(self, log: tuple, p: int, lo: int, hi: int) -> int:
        """Record ids a fetch of offsets lo..hi-1 returns."""
        return offsets_mask(lo, hi)

    def ids(self, log: tuple, p: int, lo: int, hi: int) -> int:
        """Record ids at offsets lo..hi-1 (committed records first)."""
        return offsets_mask(lo, hi)

    def committed_ids(self, log: tuple, p: int) -> int:
        """Record ids below partition p's high watermark (this log always has a leader)."""
        return offsets_mask(0, log[p][HW])

    def ids_text(self, mask: int) -> str:
        """A record-id mask as offsets {0, 1}."""
        return "{" + ", ".join(str(o) for o in range(mask.bit_length()) if mask >> o & 1) + "}"

    def view_vars(self, log: tuple, lso: tuple) -> dict[str, Any]:
        """The log as named variables."""
        return {f"p{p}.log": f"start {lso[p]} hw {hw} end {leo}"
                for p, (hw, leo) in enumerate(log)}

    def properties(self, index: int) -> list[Property]:
        """No log properties of its own."""
        return []

    def families(self) -> tuple[str, ...]:
        """Its action names."""
        return ("Produce", "AdvanceHw")

    def fair(self) -> tuple[str, ...]:
        """Its weakly fair action names."""
        return ("AdvanceHw",)


class ReplicatedLog:
    """The replication model's state; record ids are the producer's record numbers."""

    REPLICATION_SETTINGS = ("replication.factor", "min.insync.replicas",
                            "unclean.leader.election.enable", "acks", "process.roles")
    # The group's broker_crashes fault is a process crash (its fault name says so).
    CRASH_KIND = "process"
    # Broker actions named like a consumer's: coverage and fault lines count action names,
    # so a consumer crash must not mark a broker crash explored (or the reverse).
    RENAMED = {"Crash": "BrokerCrash", "Restart": "BrokerRestart"}

    def __init__(self, group: GroupModel, config: Config) -> None:
        version = config.version
        kafka = {name: kafka_settings.default_for(name, version)
                 for name in ReplicationModel.settings}
        for name in self.REPLICATION_SETTINGS:
            kafka[name] = config.kafka[name]
        bounds = {b.name: b.default for b in ReplicationModel.bounds}
        bounds.update(partitions=group.p, records=group.max_records,
                      crashes=config.bounds["broker_crashes"],
                      crash_kind=self.CRASH_KIND)
        explicit = frozenset(name for name in self.REPLICATION_SETTINGS
                             if name in config.explicit)
        self.model = ReplicationModel(Config(kafka, bounds, explicit,
                                             kafka_version=config.kafka_version))
        self.p = group.p
        self.index: int | str = 0

    def initial(self) -> State:
        """The replication model's initial state."""
        return self.model.init_states()[0]

    def successors(self, log: State, created: int) -> Iterator[tuple[Action, State]]:
        """Produce, follower fetch, ISR changes, broker crashes, fencing, elections (every
        partition exists from the start here)."""
        renamed = self.RENAMED
        for action, sub in self.model.successors(log):
            name = renamed.get(action[0])
            yield (action if name is None else (name, *action[1:])), sub

    def fault_actions(self) -> dict[str, tuple[str, ...]]:
        """The action names that inject each broker fault, under the group's names."""
        injected = self.model.injecting_actions()
        faults = self.model.fault_model()
        out = {}
        for fault in (*(f for f, _ in faults.explored), *faults.not_explored):
            if fault in injected:
                out[fault] = tuple("|".join(self.RENAMED.get(a, a) for a in entry.split("|"))
                                   for entry in injected[fault])
        return out

    def view(self, log: State, p: int) -> tuple[int, int] | None:
        """(HW, LEO) at partition p's leader, None when it has no live leader."""
        part = log.parts[p]
        leader = part.leader
        if leader == NO_LEADER or not log.alive >> leader & 1:
            return None
        return part.hws[leader], len(part.logs[leader])

    def read(self, log: State, p: int, lo: int, hi: int) -> int:
        """Record ids at offsets lo..hi-1 of the leader's log (what a fetch returns)."""
        part = log.parts[p]
        leader = part.leader
        if leader == NO_LEADER:
            return self.ids(log, p, lo, hi)
        return log_records(part.logs[leader][lo:hi])

    def ids(self, log: State, p: int, lo: int, hi: int) -> int:
        """Record ids at offsets lo..hi-1: the committed prefix, then the leader's log."""
        part = log.parts[p]
        committed = part.committed
        leader = part.leader
        tail = part.logs[leader] if leader != NO_LEADER else ()
        mask = 0
        for o in range(lo, hi):
            if o < len(committed):
                mask |= 1 << entry_record(committed[o])
            elif o < len(tail):
                mask |= 1 << entry_record(tail[o])
        return mask

    def epoch_before(self, log: State, p: int, offset: int) -> int:
        """The leader epoch of the record before ``offset`` in the leader's log (the
        offsetEpoch of a consumer position there), -1 at offset 0."""
        part = log.parts[p]
        return entry_epoch(part.logs[part.leader][offset - 1]) if offset > 0 else -1

    def end_offset_for(self, log: State, p: int, epoch: int) -> int:
        """OffsetsForLeaderEpoch at partition p's leader: the end offset of ``epoch`` in its
        log (LeaderEpochFileCache.endOffsetFor), -1 when it does not know the epoch."""
        part = log.parts[p]
        leader_log = part.logs[part.leader]
        known, end = end_offset_for(epoch_cache(leader_log, part.epoch), len(leader_log), epoch)
        return -1 if known < 0 else end

    def committed_ids(self, log: State, p: int) -> int:
        """Record ids ever below a leader's high watermark on partition p that some replica
        still holds: what a leader elected later could serve (the records owed to the
        consumers while the partition has no live leader)."""
        part = log.parts[p]
        held = 0
        for replica_log in part.logs:
            held |= log_records(replica_log)
        return log_records(part.committed) & held

    def leader_ids(self, log: State, p: int) -> int:
        """Record ids in partition p's current leader's log."""
        part = log.parts[p]
        if part.leader == NO_LEADER:
            return 0
        return log_records(part.logs[part.leader])

    def ids_text(self, mask: int) -> str:
        """A record-id mask as {r1, r2}."""
        return "{" + ", ".join(f"r{r}" for r in range(mask.bit_length()) if mask >> r & 1) + "}"

    def view_vars(self, log: State, lso: tuple) -> dict[str, Any]:
        """The replication model's variables, and each partition's log start."""
        out = {f"log.{k}": self.model.format_value(k, v) for k, v in self.model.view(log).items()}
        for p, start in enumerate(lso):
            if start:
                out[f"p{p}.log_start"] = start
        return out

    LIFTED = ("NoAckedWriteLost", "CommittedRecordsStay")

    def properties(self, index: int) -> list[Property]:
        """The replication model's data-loss invariants, on the embedded state."""
        return [prop for prop in Embedded(self.model, index).properties()
                if prop.name in self.LIFTED]

    def families(self) -> tuple[str, ...]:
        """Its action names, as the group names them."""
        return tuple(self.RENAMED.get(a, a) for a in self.model.action_families())

    def fair(self) -> tuple[str, ...]:
        """Its weakly fair action names."""
        # The controller's elections, as the replication model's own liveness property has.
        return ("Fetch", "BecomeFollower", "ShrinkIsr", "ExpandIsr", "Fence", "Elect",
                "ElrElect", "LastLeaderElect", "UncleanElect", "Ack", "AckError")
