"""KRaft controller: quorum election, metadata that reaches brokers late, epoch fencing.

The question it answers: while a controller or a partition leader does not yet know it
has been replaced, what do the epochs protect?  Controllers elect an active controller
by majority (KIP-595 Raft, abstracted as atomic majority votes and commits; who is
active and in which epoch is explicit); the active controller commits metadata records
(KIP-631 QuorumController): broker fencing when heartbeats stop, registration after a
restart, unfencing, partition leader and ISR changes.  Each broker applies the metadata
it has fetched, possibly late, and acts on its own view: a broker that believes it is
leader accepts produce requests and serves fetches.  Every partition rule (append,
acknowledgement, fetch, high watermark, truncation, the controller's PartitionChangeBuilder
with or without ELR) is the partition component's (``model/cluster/partition.py``); a
broker acts on the partition as it believes it to be (``_acting_view``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from itertools import product
from typing import Any, ClassVar, Final, NamedTuple

from mypy_extensions import mypyc_attr

from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster import symmetry as sym
from kafkacheck.model.cluster.controller_view import SLOW_SHRINK, ControllerPresentation
from kafkacheck.model.cluster.partition import (
    NO_LEADER,
    NONE,
    UNKNOWN,
    WAITING,
    Change,
    PartitionRules,
    PartitionState,
    broker_name,
    mask_text,
)
from kafkacheck.model.cluster.replication import (
    DISK_LOSS,
    ISR_UPDATES,
    controller_read_note,
    elr_note,
    elr_problem,
    with_alter_partition_race,
    with_reregistration_race,
)
from kafkacheck.model.cluster.tuples import put
from kafkacheck.model.interface import (
    POWER_LOSS,
    Action,
    Bound,
    FaultModel,
    Model,
    State,
    replacer,
)
from kafkacheck.model.versions import has_fix
from kafkacheck.model.versions import text as version_text
from kafkacheck.properties.base import Property

# Final: the compiled build keeps these out of the module's dictionary (compiled.py).
_new: Final = tuple.__new__
NO_CONTROLLER: Final = -1
# Broker phases (BrokerLifecycleManager): running; restarted, not registered; registered,
# catching up with the metadata log.
RUNNING: Final = 0
STARTING: Final = 1
REGISTERED: Final = 2
PHASE_NAMES = ("running", "starting", "registered")
MODES = ("combined", "separate")
QUORUM_CACHE = 1 << 14  # bound on the entries of the Quorum cache (ControllerModel._quorum)
TRUNCATION_CHOICES = ("version", *pt.TRUNCATION_RULES)


class Registration(NamedTuple):
    """A partition's registration in the metadata log (PartitionRegistration)."""

    leader: int
    epoch: int  # leader epoch
    partition_epoch: int
    isr: int
    elr: int  # KIP-966 eligible leader replicas
    last_leader: int  # KIP-966 last known leader


class Image(NamedTuple):
    """The metadata image at one offset: fenced brokers and each partition's registration."""

    fenced: int
    parts: tuple[Registration, ...]


class Controller(NamedTuple):
    """A KRaft voter: the Raft epoch it knows, the leader it follows (itself when active),
    its metadata log end offset, and the image at that offset."""

    epoch: int
    leader: int
    end: int
    image: Image


class Broker(NamedTuple):
    """A broker: lifecycle phase, metadata offset applied, controller epoch it has seen,
    and the registration of each partition as it believes it to be."""

    phase: int
    offset: int
    controller_epoch: int
    views: tuple[Registration, ...]


class Leading(NamedTuple):
    """A broker's own state as a partition leader (Partition with leaderReplicaIdOpt set):
    the fetch offsets it has seen (remote LEOs) and its acks=all purgatory."""

    remote: tuple[int, ...]
    pending: tuple[tuple[int, int], ...]


NOT_LEADING = ()  # a broker's leader state for a partition it does not lead


class Reach(NamedTuple):
    """Who reaches whom for one (alive, cut) pair, as bitmasks derived from ``_linked``:
    per broker the brokers and the controllers it is linked with, per controller the
    controllers (the successor functions read these instead of testing node pairs)."""

    brokers: tuple[int, ...]
    ctrls_of_broker: tuple[int, ...]
    ctrls: tuple[int, ...]


class Quorum(NamedTuple):
    """What follows from the nodes up, the cut and the controllers alone, worked out once per
    such triple (they recur across many states): who reaches whom, the live controllers
    that believe they are active with their acceptors, those that can commit, the Raft
    steps as (label, controllers), and the active controllers' decision plans per
    (broker phases, leader moves left)."""

    reach: Reach
    leaders: list[tuple[int, int]]
    active: list[tuple[int, int]]
    steps: list[tuple[Action, tuple]]
    plans: dict[tuple[int, bool], list[tuple]]


class AlterPartitionRequest(NamedTuple):
    """An AlterPartition request on its way to the active controller: who sent it, for which
    leader and partition epochs, the ISR it proposes, the members whose broker epoch it
    carries (from their last fetch) and those among them that registered again since."""

    leader: int
    leader_epoch: int
    partition_epoch: int
    isr: int
    epochs: int
    stale: int


class InFlight(NamedTuple):
    """Disk losses left, and the AlterPartition exchange: per partition the ISR each broker
    proposed and awaits (-1: none) and the requests not yet handled (oldest first)."""

    disk_losses: int
    proposed: tuple[tuple[int, ...], ...]
    requests: tuple[tuple[AlterPartitionRequest, ...], ...]


class ControllerState(NamedTuple):
    """Nodes, network cut, fault budgets, the quorum, the brokers and the partitions."""

    alive: int  # nodes up (bitmask; broker b is node b)
    cut: int  # nodes on the far side of the network cut
    crashes: int
    isolations: int
    restarts: int
    leader_changes: int
    slow_followers: int
    next_record: int
    controllers: tuple[Controller, ...]
    brokers: tuple[Broker, ...]
    # Per partition, per broker: its Leading, or NOT_LEADING (an empty tuple).
    leads: tuple[tuple[Any, ...], ...]
    parts: tuple[PartitionState, ...]  # logs and HWs; leadership as last committed
    acked_by_deposed_leader: tuple[int, ...]  # ghost, per partition
    # InFlight, or () unless disk losses or AlterPartition in flight are explored.
    ops: Any = ()


# Fast setters of the fields the successor functions change most (see interface.replacer).
_set_leads_parts_acked: Final = replacer(ControllerState, "leads", "parts",
                                         "acked_by_deposed_leader")
_set_ctrls_parts: Final = replacer(ControllerState, "controllers", "parts")
_set_ctrls: Final = replacer(ControllerState, "controllers")
_set_parts: Final = replacer(ControllerState, "parts")
_set_brokers: Final = replacer(ControllerState, "brokers")
_set_leads: Final = replacer(ControllerState, "leads")
_set_next_record: Final = replacer(ControllerState, "next_record")
_set_views: Final = replacer(Broker, "views")
_set_synced: Final = replacer(PartitionState, "synced")
_set_leadership: Final = replacer(PartitionState, "leader", "epoch", "isr")
_set_cut: Final = replacer(ControllerState, "cut")
_set_cut_isolations: Final = replacer(ControllerState, "cut", "isolations")
_set_crashed: Final = replacer(ControllerState, "alive", "crashes", "controllers", "leads")
_set_leader: Final = replacer(Controller, "leader")


def kraft_reads_unclean_election(version: tuple[int, int]) -> bool:
    """KAFKA-12670 (3.9): the KRaft controller reads unclean.leader.election.enable; before,
    ConfigurationControlManager.uncleanLeaderElectionEnabledForTopic always answered false
    (versions.FIXES; a ZooKeeper-mode controller of those releases honours the setting)."""
    return has_fix(version_text(version), "KAFKA-12670")


def roles_mode(roles: str) -> str | None:
    """combined or separate from a process.roles value of the broker nodes, None if invalid."""
    parts = {r.strip() for r in roles.split(",") if r.strip()}
    if parts == {"broker", "controller"}:
        return "combined"
    if parts == {"broker"}:
        return "separate"
    return None


def empty_roles_problem(release: str, version: tuple[int, int]) -> str:
    """Why an explicit empty process.roles is refused: 4.0+ requires it (KAFKA-18331,
    KRaftConfigs); before, empty is ZooKeeper mode (KafkaConfig.requiresZookeeper)."""
    if version >= (4, 0):
        return (f"process.roles is empty: Kafka {release} requires process.roles (broker, "
                "controller or broker,controller; KAFKA-18331) and a node without it does "
                "not start")
    return (f"process.roles is empty: Kafka {release} then runs in ZooKeeper mode, which the "
            "controller model (KRaft's) does not check; check it with the replication model")


def roles_assumed_note(release: str, version: tuple[int, int]) -> str:
    """The note for a run without process.roles: this KRaft model assumes combined nodes."""
    why = (f"Kafka {release} requires process.roles on every node (KAFKA-18331)"
           if version >= (4, 0) else
           f"without it Kafka {release} runs in ZooKeeper mode, which the replication model "
           "checks")
    return ("process.roles not set: combined KRaft nodes assumed (process.roles="
            f"broker,controller); {why}; set process.roles=broker for dedicated controllers")


# Tests override single rules in subclasses (mutants), also of the compiled build.
@mypyc_attr(allow_interpreted_subclasses=True)
class ControllerModel(ControllerPresentation, Model):
    """KRaft controllers and brokers with late metadata, composed with partition replication."""

    name = "controller"
    summary = ("KRaft controller quorum, broker fencing, late metadata and epoch fencing, "
               "composed with replication")
    source = ("KIP-500, KIP-595 (Raft), KIP-631 (QuorumController), KIP-320, KIP-841, KIP-966; "
              "ReplicationControlManager, ClusterControlManager, BrokerHeartbeatManager, "
              "KafkaRaftClient, PartitionChangeBuilder, Partition.makeLeader/makeFollower")
    settings = (
        "replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "acks",
        "process.roles",
        "eligible.leader.replicas.version",
    )
    key_settings = ("acks", "min.insync.replicas", "replication.factor",
                    "unclean.leader.election.enable", "process.roles")
    # acks=0: the client counts a send as done when it leaves (Sender completes acks=0
    # batches at once), so a send to a crashed or deposed broker is lost unseen; this model
    # appends every send it makes and skips the others, so acks=0 is not covered here (the
    # replication model explores it with its lost_acks bound).
    covered_values: ClassVar[dict[str, tuple[Any, ...]]] = {"acks": (-1, 1)}
    # A disk loss here stops the node; the fault (an empty log directory on a restarted
    # broker) happens only once it restarts.
    # A crashed node keeps its disk and page cache: power loss is the replication model's;
    # disk losses (bound disk_losses) hit log.dirs, never the metadata log.
    faults_not_modelled = (POWER_LOSS, "loss of the metadata log",
                           # KafkaRaftClient.appendAsLeader, truncateToEndOffset;
                           # QuorumController.renounce reverts to the committed offset
                           "uncommitted metadata (a Raft leader's appends before a majority "
                           "has them, a follower's divergent tail truncated, a resigning "
                           "controller's revert)")
    bounds = (
        Bound("brokers", 3, "brokers; each hosts a replica of every partition "
              "(replication.factor = brokers)", minimum=1, maximum=5),
        Bound("controllers", 3, "KRaft voters (controller.quorum.voters); with "
              "process.roles=broker,controller they run on the first brokers", minimum=1,
              maximum=5),
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=3),
        Bound("records", 1, "records the producer sends in all", minimum=0, maximum=60),
        Bound("crashes", 0, "node crashes (process crash: the disk survives)", minimum=0,
              fault="node process crash", injected_by=("Crash",)),
        Bound("restarts", 0, "restarts of crashed nodes", minimum=0, fault="node restart"),
        Bound("isolations", 1, "nodes cut off from the others (clients still reach them); "
              "the network heals at any time", minimum=0, fault="node isolation"),
        Bound("leader_changes", 0, "preferred-leader elections by the controller", minimum=0,
              fault="leader move"),
        Bound("slow_followers", 0, "ISR shrinks of a follower that could reach its leader "
              "(a slow follower); followers cut off or dead leave the ISR without this",
              minimum=0, fault="slow follower", injected_by=("ShrinkSlowFollower",)),
        Bound("truncation", "version", "how a new follower truncates: version (the rule of "
              "--kafka-version), or an explicit override: leader-epoch (KIP-101 + KIP-279), "
              "kip101 (0.11), high-watermark (before 0.11)", choices=TRUNCATION_CHOICES),
        Bound("disk_losses", 0, "node crashes that also lose the broker's log directory "
              "(log.dirs; the metadata log is kept): the broker restarts empty and registers "
              "with a new broker epoch", minimum=0, fault=DISK_LOSS,
              injected_by=("DiskLoss", "Restart")),
        Bound("isr_updates", "atomic", "atomic: the leader's AlterPartition is handled in the "
              "step it is sent; in-flight: it travels to the active controller while the "
              "leader counts its maximal ISR (KIP-497)", choices=ISR_UPDATES),
        Bound("symmetry", 0, "1: explore one state per renaming of interchangeable nodes: "
              "dedicated controllers, and brokers and partitions that the replica assignment "
              "cannot tell apart (counts are then of classes)", minimum=0, maximum=1),
    )
    # Test mutants add one-rule overrides of the partition component here (tests/mutants).
    rule_mixins: ClassVar[tuple[type, ...]] = ()
    # The brokers' metadata views change in a quarter of the steps (produce, fetch and the
    # controllers' steps leave them): sharded by them, 87% of successors stay with the
    # worker that made them, against 50% by whole state (2 workers, first 300,000 states).
    shard_part: ClassVar[str | None] = "brokers"

    @classmethod
    def validate_config(cls, config: Any) -> str | None:
        b = config.bounds
        if b.get("symmetry") and (b["isr_updates"] == "in-flight" or any(
                b[k] for k in ('disk_losses',))):
            return ("symmetry=1 does not rename the failure-mode state (AlterPartition in "
                    "flight, broker epochs, shut-down brokers) yet: drop symmetry there")
        if config.version < (3, 3):
            return (f"the controller model checks KRaft clusters (production ready from "
                    f"Kafka 3.3); Kafka {config.kafka_version} is checked with the "
                    "replication model")
        n = config.bounds["brokers"]
        m = config.bounds["controllers"]
        rf = config.kafka["replication.factor"]
        if "replication.factor" in config.explicit and rf != n:
            return (f"replication.factor={rf} but brokers={n}: this model puts a replica on "
                    f"every broker (use --bound brokers={rf})")
        given = "process.roles" in config.explicit
        roles = str(config.kafka["process.roles"]).strip()
        if given and not roles:
            return empty_roles_problem(config.kafka_version, config.version)
        # Not set: combined nodes assumed (roles_assumed_note says so).
        mode = roles_mode(roles) if given else "combined"
        if mode is None:
            return ("process.roles must be broker,controller (combined nodes) or broker "
                    "(dedicated controller nodes) for the broker nodes of this model")
        if mode == "combined" and m > n:
            how = "" if given else " (assumed: process.roles is not set)"
            return (f"controllers={m} exceeds brokers={n} with process.roles=broker,controller"
                    f"{how}; use process.roles=broker for dedicated controllers")
        return elr_problem(config)

    def __init__(self, config: Any) -> None:
        if config.kafka["replication.factor"] != config.bounds["brokers"]:
            # replication.factor follows the brokers bound unless set (then they agree).
            kafka = {**config.kafka, "replication.factor": config.bounds["brokers"]}
            config = dataclasses.replace(config, kafka=kafka)
        super().__init__(config)
        k = self.kafka
        b = self.bound
        self.version = config.version
        self.n = b["brokers"]
        self.m = b["controllers"]
        self.majority = self.m // 2 + 1
        self.unclean = k["unclean.leader.election.enable"] and \
            kraft_reads_unclean_election(self.version)
        release = config.kafka_version
        # Before KAFKA-15021 (3.3 to 3.5) every ISR shrink bumps the leader epoch, also
        # under a leader that stays (PartitionChangeBuilder.triggerLeaderEpochBumpIfNeeded).
        self.epoch_bump_on_shrink = not has_fix(release, "KAFKA-15021")
        # KIP-996 (4.0): Raft pre-vote; before, a candidate in a higher epoch deposes a
        # healthy active controller (see _election).
        self.pre_vote = has_fix(release, "KIP-996")
        self.acks = k["acks"]
        self.elr = k.get("eligible.leader.replicas.version", 0) == 1
        # Not set: combined nodes, as validate_config assumes (roles_assumed_note).
        self.mode = roles_mode(k["process.roles"]) or "combined"
        self.partitions = b["partitions"]
        self.max_records = b["records"]
        truncation = None if b["truncation"] == "version" else b["truncation"]
        cls = pt.rules_class(self.version, self.elr, truncation, self.rule_mixins,
                             config.kafka_version)
        # Process crashes only: the page cache survives, nothing is fsynced by the broker.
        self.rules: PartitionRules = cls(self.n, k["min.insync.replicas"], self.acks,
                                         pt.NEVER, track_flush=False)
        self.min_isr = self.rules.min_isr
        self.rule = pt.truncation_name(cls)
        # Replica assignment: partition p's replicas start at broker p (round robin).
        self.order = [tuple((p + i) % self.n for i in range(self.n))
                      for p in range(self.partitions)]
        self.everyone = (1 << self.n) - 1
        # Nodes: brokers are nodes 0..n-1; controllers share them (combined) or follow.
        self.broker_node = tuple(range(self.n))
        if self.mode == "combined":
            self.ctrl_node = tuple(range(self.m))
            self.nodes = self.n
        else:
            self.ctrl_node = tuple(self.n + c for c in range(self.m))
            self.nodes = self.n + self.m
        self.node_brokers = [tuple(x for x in range(self.n) if self.broker_node[x] == node)
                             for node in range(self.nodes)]
        self.node_ctrls = [tuple(c for c in range(self.m) if self.ctrl_node[c] == node)
                           for node in range(self.nodes)]
        self.node_names = tuple(self.node_name(node) for node in range(self.nodes))
        self.broker_names = tuple(broker_name(b) for b in range(self.n))
        self.ctrl_names = tuple(ctrl_name(c) for c in range(self.m))
        self.async_isr = b["isr_updates"] == "in-flight"
        # Reach per (alive, cut), filled as pairs occur (at most 4 ** nodes of them).
        self._reaches: dict[int, Reach] = {}
        self._quorums: dict[tuple, Quorum] = {}  # see _quorum
        self.in_flight = self.async_isr or b["disk_losses"] > 0
        # Renamings of brokers, partitions and controllers (model/cluster/symmetry.py).
        self.renamings = sym.controller_renamings(self.order, self.n, self.m,
                                                  self.mode == "combined")
        if b["symmetry"] and len(self.renamings) > 1:
            self.canonical = sym.controller_canonical(  # type: ignore[method-assign,assignment]
                self.renamings, self.n, self.nodes, self.broker_node, self.ctrl_node,
                {cls.__name__: cls for cls in (ControllerState, Controller, Broker, Image,
                                               Registration, Leading)})
            self.symmetry_note = sym.describe(self.renamings)  # type: ignore[misc]
            self.symmetry_over = sym.renamed(self.renamings)  # type: ignore[misc]

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        """Topic created, every broker registered and unfenced, C1 active in epoch 1."""
        n = self.n
        regs = tuple(Registration(self.order[p][0], 0, 0, self.everyone, 0, NO_LEADER)
                     for p in range(self.partitions))
        image = Image(0, regs)
        ctrl = tuple(Controller(1, 0, 1, image) for _ in range(self.m))
        brokers = tuple(Broker(RUNNING, 1, 1, regs) for _ in range(n))
        parts = []
        leads = []
        for p in range(self.partitions):
            leader = self.order[p][0]
            # The leader's own bookkeeping lives in ``leads``; the shared partition keeps
            # the logs, HWs and ghosts.
            parts.append(self.rules.initial(leader)._replace(remote=(UNKNOWN,) * n))
            leads.append(tuple(Leading((0,) * n, ()) if x == leader else NOT_LEADING
                               for x in range(n)))
        b = self.bound
        ops: InFlight | tuple = ()
        if self.in_flight:
            ops = InFlight(b["disk_losses"], ((-1,) * n,) * self.partitions,
                           ((),) * self.partitions)
        return [ControllerState((1 << self.nodes) - 1, 0, b["crashes"], b["isolations"],
                                b["restarts"], b["leader_changes"], b["slow_followers"], 1,
                                ctrl, brokers, tuple(leads), tuple(parts),
                                (0,) * self.partitions, ops)]

    # -- helpers ------------------------------------------------------------------------

    def _label(self, name: str, p: int, *args: object) -> Action:
        """An action label, with the partition when there are several."""
        return (name, *args, f"p{p}") if self.partitions > 1 else (name, *args)

    @staticmethod
    def _linked(alive: int, cut: int, x: int, y: int) -> bool:
        """Nodes x and y are both up and on the same side of the network cut."""
        return bool(alive >> x & 1 and alive >> y & 1 and not (cut >> x ^ cut >> y) & 1)

    def _reach(self, alive: int, cut: int) -> Reach:
        """``_linked`` for every pair of brokers and controllers under (alive, cut), as
        bitmasks; computed once per pair, since few pairs occur across millions of states."""
        key = alive << self.nodes | cut
        reach = self._reaches.get(key)
        if reach is None:
            linked = self._linked
            bnode, cnode = self.broker_node, self.ctrl_node

            def mask(node: int, nodes: tuple[int, ...]) -> int:
                return sum(1 << i for i, other in enumerate(nodes)
                           if linked(alive, cut, node, other))

            reach = Reach(tuple(mask(x, bnode) for x in bnode),
                          tuple(mask(x, cnode) for x in bnode),
                          tuple(mask(x, cnode) for x in cnode))
            self._reaches[key] = reach
        return reach

    # Raft rules a mutant may override (tests/mutants/controller.py).

    def voter_accepts(self, voter_epoch: int, epoch: int) -> bool:
        """A voter takes appends and votes from a leader or candidate of ``epoch`` only if
        its own epoch is not newer (KafkaRaftClient: FENCED_LEADER_EPOCH)."""
        return voter_epoch <= epoch

    def election_quorum(self) -> int:
        """Votes a candidate needs to become the active controller: a majority."""
        return self.majority

    def commit_quorum(self) -> int:
        """Voters that must store a metadata record before it is committed: a majority."""
        return self.majority

    def new_controller_epoch(self, own: int, highest: int) -> int:
        """A winning candidate's epoch: one more than any epoch among its voters."""
        return highest + 1

    def broker_accepts(self, controller_epoch: int, known: int) -> bool:
        """A broker fetches metadata only from a controller whose epoch is not older than
        the one it has seen (UNKNOWN_LEADER_EPOCH otherwise)."""
        return controller_epoch >= known

    def _acceptors(self, state: ControllerState, c: int, reach: Reach) -> int:
        """Voters that take appends (or votes) from controller c: reachable, epoch not newer."""
        ctrl = state.controllers
        epoch = ctrl[c].epoch
        accepts = self.voter_accepts
        linked = reach.ctrls[c]
        mask = 1 << c
        for v, other in enumerate(ctrl):
            if v != c and linked >> v & 1 and accepts(other.epoch, epoch):
                mask |= 1 << v
        return mask

    @staticmethod
    def _has_leader(ctrl: tuple[Controller, ...], c: int, reach: Reach) -> bool:
        """Controller c hears from the leader it follows (so it starts no election)."""
        leader = ctrl[c].leader
        if leader == NO_CONTROLLER:
            return False
        if leader == c:
            return True
        return bool(reach.ctrls[c] >> leader & 1 and ctrl[leader].leader == leader
                    and ctrl[leader].epoch == ctrl[c].epoch)

    def _commit(self, state: ControllerState, c: int, image: Image,
                acceptors: int) -> ControllerState:
        """Controller c appends a record and a majority stores it (an atomic Raft commit)."""
        ctrl = state.controllers
        me = ctrl[c]
        record = _new(Controller, (me.epoch, c, me.end + 1, image))
        new_ctrl = tuple([record if acceptors >> v & 1 else old for v, old in enumerate(ctrl)])
        parts = state.parts
        new_parts = parts
        for p, reg in enumerate(image.parts):
            part = parts[p]
            if part.leader != reg.leader or part.epoch != reg.epoch or part.isr != reg.isr:
                new_parts = put(new_parts, p, _set_leadership(part, reg.leader, reg.epoch,
                                                              reg.isr))
        return _set_ctrls_parts(state, new_ctrl, new_parts)

    def _leaders(self, state: ControllerState, reach: Reach) -> list[tuple[int, int]]:
        """(controller, acceptors) for each live controller that believes it is active."""
        alive = state.alive
        return [(c, self._acceptors(state, c, reach)) for c, me in enumerate(state.controllers)
                if me.leader == c and alive >> self.ctrl_node[c] & 1]

    def _active_controllers(self, leaders: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The ``_leaders`` that can commit (QuorumController with a Raft majority behind it)."""
        quorum = self.commit_quorum()
        return [(c, acc) for c, acc in leaders if acc.bit_count() >= quorum]

    # -- partition changes (PartitionChangeBuilder, one rule in partition.py) --------------

    def _change(self, reg: Registration, p: int, target_isr: int, acceptable: int,
                unclean_shutdown: int = 0) -> Registration:
        """A partition registration after an ISR change and, if needed, a leader election."""
        ch = self.rules.change(reg, target_isr, acceptable, self.order[p], unclean_shutdown,
                               allow_unclean=self.unclean)
        return self.next_registration(reg, ch)

    def next_registration(self, reg: Registration, ch: Change) -> Registration:
        """PartitionRegistration.merge: a new leader bumps the leader epoch, any change the
        partition epoch.  Before KAFKA-15021 (3.3 to 3.5) an ISR that loses a member bumps
        the leader epoch too, under the same leader (triggerLeaderEpochBumpIfNeeded sets
        the record's leader to the current one: fenced and AlterPartition shrinks alike)."""
        if (ch.leader, ch.isr, ch.elr, ch.last_leader) == (reg.leader, reg.isr, reg.elr,
                                                           reg.last_leader):
            return reg
        bump = ch.leader != reg.leader or (self.epoch_bump_on_shrink
                                           and (reg.isr & ~ch.isr) != 0)
        epoch = reg.epoch + 1 if bump else reg.epoch
        return Registration(ch.leader, epoch, reg.partition_epoch + 1, ch.isr, ch.elr,
                            ch.last_leader)

    def acceptable(self, fenced: int, remove: int = -1, add: int = -1) -> int:
        """Brokers that may lead: unfenced (or being unfenced), not being removed."""
        ok = self.everyone & ~fenced
        if add >= 0:
            ok |= 1 << add
        if remove >= 0:
            ok &= ~(1 << remove)
        return ok

    def _remove_broker(self, image: Image, b: int, unclean_shutdown: bool = False) -> Image:
        """handleBrokerFenced / handleBrokerUncleanShutdown: b leaves ISRs and leadership
        (and, after an unclean shutdown, every ELR)."""
        fenced = image.fenced | 1 << b
        acceptable = self.acceptable(fenced, remove=b)
        bit = 1 << b
        regs = []
        for p, reg in enumerate(image.parts):
            if (reg.isr | (reg.elr if unclean_shutdown else 0)) & bit:
                reg = self._change(reg, p, reg.isr & ~bit, acceptable,
                                   bit if unclean_shutdown else 0)
            regs.append(reg)
        return Image(fenced, tuple(regs))

    # -- successors --------------------------------------------------------------------

    def successors(self, state: ControllerState) -> Iterator[tuple[Action, State]]:
        # Who reaches whom, who acts and which controllers can commit: read by every
        # family of actions, so worked out once per state.
        quorum = self._quorum(state)
        reach, active = quorum.reach, quorum.active
        acting = self.acting_brokers(state)
        ops = state.ops
        for p in range(self.partitions):
            yield from self._partition_actions(state, p, reach, acting, active)
            if ops and ops.requests[p]:
                yield from self._alter_partition_answers(state, p, reach, active)
        yield from self._metadata_actions(state, reach)
        for label, ctrl in quorum.steps:
            yield label, _set_ctrls(state, ctrl)
        if active:
            yield from self._decisions(state, quorum)
        yield from self._faults(state)

    # -- data plane: a broker acts on the partition as it believes it to be -----------------

    @staticmethod
    def _acting_view(part: PartitionState, b: int, view: Registration,
                     lead: Leading) -> PartitionState:
        """The partition as broker ``b``, which believes it leads in ``view``, acts on it:
        its own leader epoch, ISR, fetch offsets and purgatory over the shared logs."""
        return _new(PartitionState, (b, view.epoch, view.isr, part.logs, part.hws, part.synced,
                                     lead.remote, part.flushed, lead.pending, part.committed,
                                     part.acked, 0, NO_LEADER))

    @staticmethod
    def _settle(state: ControllerState, p: int, b: int, acted: PartitionState,
                zombie: int = -1) -> ControllerState:
        """Write back what broker b's action changed: logs, HWs, ghosts, its leader state."""
        part = state.parts[p]
        part = _new(PartitionState, (part.leader, part.epoch, part.isr, acted.logs, acted.hws,
                                     acted.synced, part.remote, acted.flushed, part.pending,
                                     acted.committed, acted.acked, part.elr,
                                     part.last_leader))
        leads = state.leads
        lead = put(leads[p], b, _new(Leading, (acted.remote, acted.pending)))
        zombies = state.acked_by_deposed_leader
        if zombie >= 0:
            zombies = put(zombies, p, zombies[p] | 1 << zombie)
        return _set_leads_parts_acked(state, put(leads, p, lead), put(state.parts, p, part),
                                      zombies)

    def _deposed(self, state: ControllerState, p: int, b: int, view: Registration) -> bool:
        """Broker b acts as leader while the latest committed metadata names another
        leader (or none).  A leader merely an epoch behind, as after an ISR shrink before
        KAFKA-15021 (or a re-election it did not see), still leads: not deposed."""
        return state.parts[p].leader != b

    def _partition_actions(self, state: ControllerState, p: int, reach: Reach, acting: int,
                           active: list[tuple[int, int]]) -> Iterator[tuple[Action, State]]:
        """Leaders serve produce, acks and AlterPartition; followers truncate and fetch from
        the leader their metadata names, fenced by leader epoch (Partition.fetchRecords,
        KIP-320: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH)."""
        brokers = state.brokers
        part = state.parts[p]
        leads = state.leads[p]
        rules = self.rules
        for b in range(self.n):
            if not acting >> b & 1:
                continue
            view = brokers[b].views[p]
            lead = leads[b]
            if lead:
                produced = self._produce(state, p, b, view, lead)
                if produced is not None:
                    yield produced
                if lead.pending:
                    yield from self._acks(state, p, b, view, lead)
                proposals, slow = self._isr_proposals(state, p, b, view, lead, reach, acting)
                if proposals:
                    yield from self._alter_partition(state, p, b, view, lead, active, reach,
                                                     proposals, slow)
                continue
            leader = view.leader
            if leader == NO_LEADER or leader == b:
                continue
            if part.synced[b] != view.epoch and rules.truncates_alone:
                yield self._truncate(state, p, b, view, None)
                continue
            # The follower's fetcher talks to the leader its metadata names, if that one
            # is linked to it and acting.
            if not reach.brokers[b] >> leader & 1 or not acting >> leader & 1:
                continue
            lview = brokers[leader].views[p]
            llead = leads[leader]
            if not llead:
                continue  # NOT_LEADER_OR_FOLLOWER: it does not (yet) lead
            if not rules.fetch_accepted(lview.epoch, view.epoch):
                continue  # FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (KIP-320)
            if part.synced[b] != view.epoch:
                yield self._truncate(state, p, b, view, (leader, lview))
                continue
            acted = rules.fetch(self._acting_view(part, leader, lview, llead), b,
                                self._maximal(state, p, leader, lview))
            if acted is not None:
                names = self.broker_names
                yield (self._label("Fetch", p, names[b], f"from {names[leader]}"),
                       self._settle(state, p, leader, acted))

    def _produce(self, state: ControllerState, p: int, b: int, view: Registration,
                 lead: Leading) -> tuple[Action, State] | None:
        """ProduceRequest to a broker that believes it leads: Partition.appendRecordsToLeader
        (None when the producer has sent its records or the append fails)."""
        record = state.next_record
        if record > self.max_records:
            return None
        rules = self.rules
        if rules.append_error(view.isr) != NONE:
            return None  # NOT_ENOUGH_REPLICAS, judged on the ISR this broker knows
        acted = rules.append(self._acting_view(state.parts[p], b, view, lead), record,
                             self._maximal(state, p, b, view))
        if self.acks == -1:
            acted = pt.with_pending(acted, acted.pending + ((record, len(acted.logs[b]) - 1),))
        zombie = -1
        if rules.acknowledged_on_append():
            acted = rules.acknowledge(acted, record)
            if self._deposed(state, p, b, view):
                zombie = record
        nxt = self._settle(_set_next_record(state, record + 1), p, b, acted, zombie)
        return self._label("Produce", p, f"r{record}", f"to {self.broker_names[b]}"), nxt

    def _acks(self, state: ControllerState, p: int, b: int, view: Registration,
              lead: Leading) -> Iterator[tuple[Action, State]]:
        """acks=all completion in the purgatory: Partition.checkEnoughReplicasReachOffset
        (for a leader with requests pending)."""
        rules = self.rules
        pending = lead.pending
        view_now = self._acting_view(state.parts[p], b, view, lead)
        maximal = self._maximal(state, p, b, view)
        for i, (record, offset) in enumerate(pending):
            outcome = rules.ack_outcome(view_now, offset, maximal)
            if outcome == WAITING:
                continue
            acted = pt.with_pending(view_now, pending[:i] + pending[i + 1:])
            if outcome == NONE:
                acted = rules.acknowledge(acted, record)
                zombie = record if self._deposed(state, p, b, view) else -1
                yield (self._label("Ack", p, f"r{record}", f"by {broker_name(b)}"),
                       self._settle(state, p, b, acted, zombie))
            else:
                yield (self._label("AckError", p, f"r{record}", f"by {broker_name(b)}",
                                   "NOT_ENOUGH_REPLICAS_AFTER_APPEND"),
                       self._settle(state, p, b, acted))

    def _truncate(self, state: ControllerState, p: int, f: int, view: Registration,
                  leader: tuple[int, Registration] | None) -> tuple[Action, State]:
        """A replica becoming follower truncates (ReplicaFetcherThread, KIP-101/KIP-279);
        before KIP-101 it does so alone, to its HW."""
        part = state.parts[p]
        if leader is None:
            offset, nxt = self.rules.become_follower(part, f, epoch=view.epoch)
        else:
            lb, lview = leader
            offset, nxt = self.rules.become_follower(part, f, lb, lview.epoch)
            nxt = _set_synced(nxt, put(nxt.synced, f, view.epoch))
        label = self._label("BecomeFollower", p, broker_name(f), f"truncate to {offset}")
        return label, _set_parts(state, put(state.parts, p, nxt))

    def _isr_proposals(self, state: ControllerState, p: int, b: int, view: Registration,
                       lead: Leading, reach: Reach, acting: int) -> tuple[list, list]:
        """The ISR changes leader b would propose (Partition.maybeShrinkIsr /
        maybeExpandIsr) as (kind, follower, new ISR), and the followers among them that
        would leave as slow followers."""
        part = state.parts[p]
        acted = None  # the partition as b acts on it, built when a follower may join
        leo = len(part.logs[b])
        isr = view.isr
        remote = lead.remote
        proposals = []
        slow = []
        for f in range(self.n):
            if f == b:
                continue
            if isr >> f & 1:
                # Out of sync for replica.lag.time.max.ms: a follower that fetches from
                # this leader keeps up within that time unless it is slow (a bounded fault);
                # one that cannot (down, cut off, restarting, or following another leader
                # by its metadata) falls behind.
                if remote[f] < leo:
                    if not self._fetches_from(state, p, f, b, view, reach, acting,
                                              synced=False):
                        proposals.append(("shrink", f, isr & ~(1 << f)))
                    elif state.slow_followers > 0:
                        proposals.append(("shrink", f, isr & ~(1 << f)))
                        slow.append(f)
                continue
            if acted is None:
                acted = self._acting_view(part, b, view, lead)
            if self.rules.may_join_isr(acted, f) and self._fetches_from(state, p, f, b, view,
                                                                        reach, acting):
                # maybeExpandIsr runs when a caught-up follower fetches.
                proposals.append(("expand", f, isr | 1 << f))
        return proposals, slow

    def _alter_partition(self, state: ControllerState, p: int, b: int, view: Registration,
                         lead: Leading, active: list[tuple[int, int]], reach: Reach,
                         proposals: list, slow: list) -> Iterator[tuple[Action, State]]:
        """The leader asks the controller to shrink or expand the ISR (AlterPartition).

        The leader proposes (``_isr_proposals``); the active controller validates the
        leader and partition epochs and the new members' eligibility
        (ReplicationControlManager.validateAlterPartitionData) and commits; the response
        updates the leader's ISR and partition epoch before the metadata does.
        """
        if self.async_isr:
            yield from self._send_alter_partition(state, p, b, view, lead, proposals, slow)
            return
        linked = reach.ctrls_of_broker[b]
        for c, acc in active:
            if not linked >> c & 1:
                continue
            image = state.controllers[c].image
            reg = image.parts[p]
            for kind, f, new_isr in proposals:
                new_reg = self.alter_partition_result(reg, view, b, new_isr, image.fenced, p)
                if new_reg is None:
                    continue
                nxt = self._commit(state, c, Image(image.fenced,
                                                   put(image.parts, p, new_reg)), acc)
                if new_reg.leader == b and new_reg.epoch == view.epoch:
                    # The response carries the new ISR and partition epoch (one in another
                    # leader epoch, a shrink before KAFKA-15021, is ignored:
                    # Partition.handleAlterPartitionUpdate; the metadata brings it).
                    nxt = self._set_view(nxt, b, p, new_reg)
                    acted2 = self.rules.raise_hw(
                        self._acting_view(nxt.parts[p], b, new_reg, lead))
                    nxt = self._settle(nxt, p, b, acted2)
                name = "AlterPartition"
                if kind == "shrink" and f in slow:
                    nxt = nxt._replace(slow_followers=nxt.slow_followers - 1)
                    name = SLOW_SHRINK
                label = self._label(name, p, broker_name(b), f"{kind} {broker_name(f)}",
                                    f"by {ctrl_name(c)}")
                yield label, nxt

    def alter_partition_result(self, reg: Registration, view: Registration, b: int,
                               new_isr: int, fenced: int, p: int) -> Registration | None:
        """ReplicationControlManager.alterPartition: the new registration, or None when the
        request is rejected (the partition component's validation: stale leader or partition
        epoch, not the leader, an ineligible new member)."""
        order = (view.partition_epoch > reg.partition_epoch) - \
            (view.partition_epoch < reg.partition_epoch)
        error = self.rules.alter_partition_error(reg, b, view.epoch, order, new_isr, fenced, 0)
        if error != "NONE":
            return None
        return self._change(reg, p, new_isr, self.acceptable(fenced))

    # -- AlterPartition in flight (KIP-497) and broker epochs (KIP-903) ---------------------

    def _maximal(self, state: ControllerState, p: int, b: int, view: Registration) -> int:
        """Broker b's maximal ISR of partition p while its AlterPartition is in flight, else
        -1 (the ISR of its view counts)."""
        if not state.ops:
            return -1
        proposed = state.ops.proposed[p][b]
        return -1 if proposed < 0 else self.rules.maximal_isr(view.isr, proposed)

    def _send_alter_partition(self, state: ControllerState, p: int, b: int,
                              view: Registration, lead: Leading, proposals: list,
                              slow: list) -> Iterator[tuple[Action, State]]:
        """Leader b sends AlterPartition (one change at a time: Partition.isInflight) with
        the broker epoch of each member it has a fetch from (addBrokerEpochToIsr)."""
        ops = state.ops
        if ops.proposed[p][b] >= 0:
            return
        known = 1 << b
        for f in range(self.n):
            if lead.remote[f] != UNKNOWN:
                known |= 1 << f
        for kind, f, new_isr in proposals:
            request = AlterPartitionRequest(b, view.epoch, view.partition_epoch, new_isr,
                                            known & new_isr, 0)
            nxt_ops = ops._replace(
                proposed=put(ops.proposed, p, put(ops.proposed[p], b, new_isr)),
                requests=put(ops.requests, p, ops.requests[p] + (request,)))
            nxt = state._replace(ops=nxt_ops)
            name = "AlterPartition"
            if kind == "shrink" and f in slow:
                nxt = nxt._replace(slow_followers=nxt.slow_followers - 1)
                name = SLOW_SHRINK
            yield self._label(name, p, broker_name(b), f"{kind} {broker_name(f)}"), nxt

    def _alter_partition_answers(self, state: ControllerState, p: int, reach: Reach,
                                 active: list[tuple[int, int]]
                                 ) -> Iterator[tuple[Action, State]]:
        """An active controller handles the oldest AlterPartition request of partition p
        (ReplicationControlManager.alterPartition, validated by the partition component);
        a live sender it reaches takes the answer (handleAlterPartitionUpdate / Error)."""
        ops = state.ops
        request = ops.requests[p][0]
        rest = put(ops.requests, p, ops.requests[p][1:])
        sender = request.leader
        sender_up = bool(state.alive >> self.broker_node[sender] & 1)
        linked_to = reach.ctrls_of_broker[sender]
        for c, acc in active:
            linked = bool(linked_to >> c & 1)
            if sender_up and not linked:
                continue  # NodeToControllerChannelManager retries until it reaches one
            image = state.controllers[c].image
            reg = image.parts[p]
            order = (request.partition_epoch > reg.partition_epoch) - \
                (request.partition_epoch < reg.partition_epoch)
            error = self.rules.alter_partition_error(reg, sender, request.leader_epoch, order,
                                                     request.isr, image.fenced, request.stale)
            base = state._replace(ops=ops._replace(requests=rest))
            view = state.brokers[sender].views[p]
            awaited = (sender_up and linked
                       and ops.proposed[p][sender] == request.isr
                       and view.partition_epoch == request.partition_epoch)
            what = mask_text(request.isr, self.n)
            by = f"by {ctrl_name(c)}"
            if error == "NONE":
                new_reg = self._change(reg, p, request.isr, self.acceptable(image.fenced))
                nxt = self._commit(base, c, Image(image.fenced, put(image.parts, p, new_reg)),
                                   acc)
                if awaited and (new_reg.leader != sender or new_reg.epoch == view.epoch):
                    # handleAlterPartitionUpdate; an answer in another leader epoch (a
                    # shrink before KAFKA-15021) leaves the change pending until the
                    # metadata's makeLeader.
                    nxt = self._clear_proposal(nxt, p, sender)
                    if new_reg.leader == sender:
                        nxt = self._set_view(nxt, sender, p, new_reg)
                        lead = nxt.leads[p][sender]
                        if lead:
                            acted = self.rules.raise_hw(
                                self._acting_view(nxt.parts[p], sender, new_reg, lead))
                            nxt = self._settle(nxt, p, sender, acted)
                yield (self._label("AlterPartitionAccepted", p, broker_name(sender),
                                   f"isr {what}", by), nxt)
                continue
            nxt = base
            if error == "INELIGIBLE_REPLICA" and awaited:
                nxt = self._clear_proposal(nxt, p, sender)  # back to the committed state
            yield (self._label("AlterPartitionRejected", p, broker_name(sender), f"isr {what}",
                               error, by), nxt)

    @staticmethod
    def _clear_proposal(state: ControllerState, p: int, b: int) -> ControllerState:
        """Broker b no longer awaits an AlterPartition answer for partition p."""
        ops = state.ops
        if ops.proposed[p][b] < 0:
            return state
        return state._replace(ops=ops._replace(
            proposed=put(ops.proposed, p, put(ops.proposed[p], b, -1))))

    @staticmethod
    def _registered_again(state: ControllerState, b: int) -> ControllerState:
        """Broker b registered with a new broker epoch: requests carrying its old one are
        stale for it (KIP-903)."""
        ops = state.ops
        if not ops or not any(r.epochs >> b & 1 for queue in ops.requests for r in queue):
            return state
        bit = 1 << b
        requests = tuple(tuple(r._replace(stale=r.stale | bit) if r.epochs & bit else r
                               for r in queue) for queue in ops.requests)
        return state._replace(ops=ops._replace(requests=requests))

    @staticmethod
    def _fetches_from(state: ControllerState, p: int, f: int, b: int, view: Registration,
                      reach: Reach, acting: int, synced: bool = True) -> bool:
        """Follower f is fetching from leader b in b's leader epoch (truncated, if synced)."""
        if not acting >> f & 1:
            return False
        fview = state.brokers[f].views[p]
        return bool(fview.leader == b and fview.epoch == view.epoch
                    and (not synced or state.parts[p].synced[f] == view.epoch)
                    and reach.brokers[f] >> b & 1)

    @staticmethod
    def _set_view(state: ControllerState, b: int, p: int,
                  view: Registration) -> ControllerState:
        """The state with broker b's view of partition p replaced."""
        brokers = state.brokers
        me = brokers[b]
        return _set_brokers(state, put(brokers, b, _set_views(me, put(me.views, p, view))))

    # -- metadata propagation: brokers fetch the metadata log (KIP-631 observers) ---------

    def _metadata_actions(self, state: ControllerState,
                          reach: Reach) -> Iterator[tuple[Action, State]]:
        """Brokers fetch the metadata log from a controller that believes it is active, as
        KRaft observers (KafkaRaftClient.handleFetchRequest: validateLeaderOnlyRequest)."""
        leaders = [(c, cc) for c, cc in enumerate(state.controllers) if cc.leader == c]
        if not leaders:
            return
        for b, me in enumerate(state.brokers):
            linked = reach.ctrls_of_broker[b]  # nothing when b is down
            for c, cc in leaders:
                if not linked >> c & 1:
                    continue
                if not self.broker_accepts(cc.epoch, me.controller_epoch):
                    continue  # UNKNOWN_LEADER_EPOCH: that controller is behind (KafkaRaftClient)
                if cc.image.parts == me.views and me.phase != REGISTERED:
                    # Nothing this broker acts on would change: leave the fetch for later
                    # (a reduction: the offset alone only matters when views differ).
                    continue
                label = ("FetchMetadata", self.broker_names[b], f"from {self.ctrl_names[c]}",
                         f"offset {cc.end}")
                yield label, self._apply_metadata(state, b, cc)

    def _apply_metadata(self, state: ControllerState, b: int,
                        cc: Controller) -> ControllerState:
        """Broker b applies metadata up to the controller's offset (ReplicaManager.applyDelta):
        Partition.makeLeader / makeFollower, skipping stale partition epochs."""
        me = state.brokers[b]
        phase = me.phase
        fresh = phase == REGISTERED
        if phase == REGISTERED:
            phase = RUNNING  # caught up past its registration: the publishers start
        views = []
        for p, new in enumerate(cc.image.parts):
            old = me.views[p]
            views.append(old if new.partition_epoch < old.partition_epoch and not fresh
                         else new)
        brokers = put(state.brokers, b, _new(Broker, (phase, cc.end, cc.epoch, tuple(views))))
        state = _set_brokers(state, brokers)
        if phase != RUNNING:
            return state
        for p, view in enumerate(views):
            old = me.views[p]
            if view == old and not fresh:
                continue
            if state.ops:
                # makeLeader / makeFollower replace the pending ISR state with the metadata's.
                state = self._clear_proposal(state, p, b)
            state = self._role_change(state, p, b, old, view, fresh)
        return state

    def _role_change(self, state: ControllerState, p: int, b: int, old: Registration,
                     view: Registration, fresh: bool) -> ControllerState:
        """Partition.makeLeader / makeFollower for one partition of broker b."""
        leads = state.leads
        lead = leads[p][b]
        part = state.parts[p]
        if view.leader == b:
            if fresh or not lead:
                # makeLeader of a new leader: followers' states reset, the leader is in sync.
                lead = Leading((UNKNOWN,) * self.n, ())
                part = _set_synced(part, put(part.synced, b, view.epoch))
                state = _set_parts(state, put(state.parts, p, part))
            elif view.epoch > old.epoch:
                # makeLeader of a leader that stays, in a new epoch (a shrink before
                # KAFKA-15021, a re-election it did not see): resetReplicaState with
                # isNewLeader=false keeps the followers' fetch offsets, and the purgatory
                # keeps its acks=all requests.
                part = _set_synced(part, put(part.synced, b, view.epoch))
                state = _set_parts(state, put(state.parts, p, part))
            acted = self.rules.raise_hw(self._acting_view(part, b, view, lead))
            return self._settle(state, p, b, acted)
        if lead:
            # makeFollower: it stops leading; its delayed produce requests fail.
            return _set_leads(state, put(leads, p, put(leads[p], b, NOT_LEADING)))
        return state

    # -- the controller quorum (KIP-595 Raft, abstracted) ---------------------------------

    def _quorum(self, state: ControllerState) -> Quorum:
        """The state's Quorum, remembered per (alive, cut, controllers) in a cache emptied
        when it reaches QUORUM_CACHE entries (about a thousand keys occur in the composed
        check of 794,623 states)."""
        key = (state.alive, state.cut, state.controllers)
        quorum = self._quorums.get(key)
        if quorum is None:
            reach = self._reach(state.alive, state.cut)
            leaders = self._leaders(state, reach)
            steps = list(self._quorum_steps(state.alive, state.controllers, reach, leaders))
            quorum = Quorum(reach, leaders, self._active_controllers(leaders), steps, {})
            if len(self._quorums) >= QUORUM_CACHE:
                self._quorums.clear()
            self._quorums[key] = quorum
        return quorum

    def _quorum_steps(self, alive: int, ctrl: tuple[Controller, ...], reach: Reach,
                      leaders: list[tuple[int, int]]
                      ) -> Iterator[tuple[Action, tuple[Controller, ...]]]:
        """Check-quorum resignation (LeaderState), stepping down on a higher epoch,
        BeginQuorumEpoch / Fetch catch-up of voters, and elections: (label, controllers)."""
        acceptors = dict(leaders)
        for c, me in enumerate(ctrl):
            if not alive >> self.ctrl_node[c] & 1:
                continue
            if me.leader == c:
                if acceptors[c].bit_count() < self.majority:
                    # check-quorum: no fetches from a majority in time (LeaderState)
                    yield ("Resign", self.ctrl_names[c]), put(ctrl, c,
                                                              _set_leader(me, NO_CONTROLLER))
                linked = reach.ctrls[c]
                for v, other in enumerate(ctrl):
                    if v == c or not linked >> v & 1:
                        continue
                    if other.epoch > me.epoch and not self.voter_accepts(other.epoch,
                                                                         me.epoch):
                        # The voter answers with its newer epoch: this leader steps down.
                        yield (("StepDown", ctrl_name(c), f"epoch {other.epoch} at "
                                f"{ctrl_name(v)}"),
                               put(ctrl, c, me._replace(epoch=other.epoch,
                                                        leader=other.leader)))
                    elif (other.epoch, other.leader, other.end) != (me.epoch, c, me.end):
                        # BeginQuorumEpoch / Fetch: the voter follows c and catches up.
                        yield (("QuorumSync", ctrl_name(v), f"from {ctrl_name(c)}"),
                               put(ctrl, v, Controller(me.epoch, c, me.end, me.image)))
            elif not self._has_leader(ctrl, c, reach):
                yield from self._election(ctrl, c, reach)

    def _election(self, ctrl: tuple[Controller, ...], c: int,
                  reach: Reach) -> Iterator[tuple[Action, tuple[Controller, ...]]]:
        """Controller c is elected if a majority votes for it (KafkaRaftClient, KIP-595/996).

        A voter grants its vote when it reaches c and its log is no longer than c's; the
        new epoch is one more than any epoch among the voters, so no voter has seen it.
        With pre-vote (KIP-996, 4.0) a voter that hears from a leader of its own refuses.
        Before, a candidate already in a higher epoch than the voter's (one that ran
        elections it could not win: ``StartElection``) moves the voter to that epoch
        first (handleVoteRequest: transitionToUnattached), so the voter grants even while
        it follows a live leader, the active controller itself included.

        A candidate that cannot win and reaches no majority: with pre-vote it waits in its
        epoch (ProspectiveState); before, each election round starts a new epoch
        (CandidateState), so it raises its epoch to one more than that of any other
        controller with a leader (further rounds change nothing the model tells apart),
        and once the network heals that epoch deposes the active controller
        (``StepDown``) or wins.
        """
        me = ctrl[c]
        linked = reach.ctrls[c]
        votes = 0
        top = me.epoch
        pre_vote = self.pre_vote
        for v, other in enumerate(ctrl):
            if v != c:
                if not linked >> v & 1:
                    continue
                if other.end > me.end:
                    continue
                if (pre_vote or other.epoch >= me.epoch) and self._has_leader(ctrl, v, reach):
                    continue
            votes |= 1 << v
            top = max(top, other.epoch)
        if votes.bit_count() < self.election_quorum():
            if not pre_vote and linked.bit_count() < self.majority:
                # The highest epoch of another controller that leads or follows a leader:
                # candidates alone on either side of a cut would otherwise outbid each
                # other forever, and an epoch matters once it meets a leader's quorum.
                others = 0
                for v, other in enumerate(ctrl):
                    if v != c and other.leader != NO_CONTROLLER and other.epoch > others:
                        others = other.epoch
                if me.epoch <= others:
                    epoch = others + 1
                    yield (("StartElection", ctrl_name(c), f"epoch {epoch}"),
                           put(ctrl, c, Controller(epoch, NO_CONTROLLER, me.end, me.image)))
            return
        epoch = self.new_controller_epoch(me.epoch, top)
        new_ctrl = tuple(ctrl[v]._replace(epoch=epoch, leader=c) if votes >> v & 1
                         else ctrl[v] for v in range(self.m))
        yield ("Elect", ctrl_name(c), f"epoch {epoch}"), new_ctrl

    # -- controller decisions (QuorumController / ReplicationControlManager) --------------

    def _decisions(self, state: ControllerState,
                   quorum: Quorum) -> Iterator[tuple[Action, State]]:
        """What the active controllers commit (``_decision_plan``), applied to the state.

        The plan depends only on the quorum, the brokers' phases and whether leader moves
        are left: it is remembered in the Quorum per (phases, moves)."""
        phases = 0
        for b, broker in enumerate(state.brokers):
            phases |= broker.phase << 2 * b
        moves = state.leader_changes > 0
        plan = quorum.plans.get((phases, moves))
        if plan is None:
            plan = list(self._decision_plan(state.brokers, moves, state.controllers,
                                            quorum.reach, quorum.active))
            quorum.plans[phases, moves] = plan
        for label, c, acc, image, registered, moved in plan:
            nxt = self._commit(state, c, image, acc)
            if registered >= 0:
                me = nxt.brokers[registered]
                nxt = _set_brokers(nxt, put(nxt.brokers, registered,
                                            me._replace(phase=REGISTERED)))
                nxt = self._registered_again(nxt, registered)
            if moved:
                nxt = nxt._replace(leader_changes=state.leader_changes - 1)
            yield label, nxt

    def _decision_plan(self, brokers: tuple[Broker, ...], moves: bool,
                       ctrl: tuple[Controller, ...], reach: Reach,
                       active: list[tuple[int, int]]) -> Iterator[tuple]:
        """What the active controller commits: fencing on session expiry
        (BrokerHeartbeatManager), unfencing, registration (ClusterControlManager), and
        preferred-leader moves (ReplicationControlManager.electLeaders), as (label,
        controller, acceptors, new image, broker registered or -1, a leader move)."""
        for c, acc in active:
            image = ctrl[c].image
            fenced = image.fenced
            by = f"by {self.ctrl_names[c]}"
            for b, broker in enumerate(brokers):
                bit = 1 << b
                phase = broker.phase
                reachable = reach.ctrls_of_broker[b] >> c & 1
                if not fenced & bit:
                    if not reachable or phase == STARTING:
                        # BrokerHeartbeatManager: the session expired; fenceStaleBroker.
                        yield (("Fence", self.broker_names[b], by), c, acc,
                               self._remove_broker(image, b), -1, False)
                elif reachable and phase == RUNNING:
                    # A caught-up broker heartbeats with wantFence=false: handleBrokerUnfenced.
                    yield (("Unfence", self.broker_names[b], by), c, acc,
                           self._unfence(image, b), -1, False)
                if reachable and phase == STARTING:
                    # RegisterBrokerRecord (fenced) and, since metadata.version 4.0-IV1, the
                    # unclean-shutdown clean-up (KIP-966 handleBrokerUncleanShutdown): a
                    # crash is always an unclean shutdown.
                    unclean = self.version >= (4, 0)
                    yield (("Register", broker_name(b), by), c, acc,
                           self._remove_broker(image, b, unclean), b, False)
            for p in range(self.partitions):
                reg = image.parts[p]
                if moves and reg.leader != NO_LEADER:
                    ok = self.acceptable(fenced)
                    for b in self.order[p]:
                        if b != reg.leader and reg.isr >> b & 1 and ok >> b & 1:
                            ch = Change(b, reg.isr, reg.elr, NO_LEADER, "clean")
                            new = self.next_registration(reg, ch)
                            yield (self._label("MoveLeader", p, broker_name(b), by), c, acc,
                                   Image(fenced, put(image.parts, p, new)), -1, True)

    def _unfence(self, image: Image, b: int) -> Image:
        """handleBrokerUnfenced: b may lead again; leaderless partitions get a leader."""
        fenced = image.fenced & ~(1 << b)
        acceptable = self.acceptable(fenced, add=b)
        regs = []
        for p, reg in enumerate(image.parts):
            if reg.leader == NO_LEADER:
                reg = self._change(reg, p, reg.isr, acceptable)
            regs.append(reg)
        return Image(fenced, tuple(regs))

    # -- faults --------------------------------------------------------------------------

    def _faults(self, state: ControllerState) -> Iterator[tuple[Action, State]]:
        """Crash, restart, isolation of a node (clients still reach it), and healing."""
        alive, cut = state.alive, state.cut
        everyone = (1 << self.nodes) - 1
        for node in range(self.nodes):
            bit = 1 << node
            name = self.node_names[node]
            if alive & bit:
                if state.crashes > 0:
                    yield ("Crash", name), self._crash(state, node)
                if state.ops and state.ops.disk_losses > 0 and self.node_brokers[node]:
                    yield ("DiskLoss", name), self._disk_loss(state, node)
                if state.isolations > 0 and not cut & bit and cut | bit != everyone:
                    yield ("Isolate", name), _set_cut_isolations(state, cut | bit,
                                                                 state.isolations - 1)
            elif state.restarts > 0:
                yield from self._restart(state, node)
        if cut:
            yield ("Heal",), _set_cut(state, 0)

    def _crash(self, state: ControllerState, node: int) -> ControllerState:
        """A node's process dies: its brokers stop leading (in-flight requests fail) and its
        controllers forget who leads (Raft keeps its epoch and log on disk)."""
        leads = state.leads
        for b in self.node_brokers[node]:
            leads = tuple([put(lp, b, NOT_LEADING) if lp[b] else lp for lp in leads])
        ctrl = state.controllers
        for c in self.node_ctrls[node]:
            ctrl = put(ctrl, c, _set_leader(ctrl[c], NO_CONTROLLER))
        state = _set_crashed(state, state.alive & ~(1 << node), state.crashes - 1, ctrl, leads)
        for b in self.node_brokers[node]:
            if state.ops:
                for p in range(self.partitions):
                    state = self._clear_proposal(state, p, b)  # in-memory state is gone
        return state

    def _disk_loss(self, state: ControllerState, node: int) -> ControllerState:
        """The node crashes and its brokers' log directories are replaced: they restart
        with empty logs and no HW checkpoint (the metadata log survives)."""
        crashed = self._crash(state._replace(crashes=state.crashes + 1), node)
        parts = crashed.parts
        for b in self.node_brokers[node]:
            parts = tuple(self.rules.lose_disk(part, b) for part in parts)
        ops = crashed.ops._replace(disk_losses=crashed.ops.disk_losses - 1)
        return crashed._replace(parts=parts, ops=ops)

    def _restart(self, state: ControllerState, node: int) -> Iterator[tuple[Action, State]]:
        """The node starts again: its brokers must register and catch up before acting, and
        each reloads its HWs from replication-offset-checkpoint (possibly stale)."""
        brokers = state.brokers
        parts = state.parts
        leads = state.leads
        rules = self.rules
        mine = self.node_brokers[node]
        for b in mine:
            brokers = put(brokers, b, brokers[b]._replace(phase=STARTING))
            # Leaders trust no fetch offset from b's earlier incarnation (KIP-903).
            leads = tuple(tuple(Leading(put(lead.remote, b, UNKNOWN), lead.pending)
                                if lead else lead for lead in lp) for lp in leads)
        base = state._replace(alive=state.alive | 1 << node, restarts=state.restarts - 1,
                              brokers=brokers, leads=leads)
        choices = [rules.restart_hws(part, b) for b in mine for part in parts]
        name = self.node_names[node]
        for hws in product(*choices):
            it = iter(hws)
            restarted = list(parts)
            stale = []
            for b in mine:
                for p, part in enumerate(restarted):
                    hw = next(it)
                    if hw < part.hws[b]:
                        stale.append(f"{broker_name(b)}{f' p{p}' if self.partitions > 1 else ''}"
                                     f" hw {hw} from checkpoint")
                    restarted[p] = rules.restart(part, b, hw)
            yield ("Restart", name, *stale), base._replace(parts=tuple(restarted))

    def acting_brokers(self, state: ControllerState) -> int:
        """The brokers that run and have caught up since their last start (bitmask): a
        restarted broker acts on nothing before its registration (which takes away its
        leaderships) and its metadata catch-up (BrokerServer startup)."""
        mask = 0
        for b, broker in enumerate(state.brokers):
            if broker.phase == RUNNING:
                mask |= 1 << b
        return mask & state.alive  # broker b is node b

    @staticmethod
    def fenced_brokers(state: ControllerState) -> int:
        """The brokers fenced in the newest committed metadata (the longest image)."""
        return max(state.controllers, key=lambda c: c.end).image.fenced

    def action_families(self) -> tuple[str, ...]:
        families = ("Produce", "Ack", "AckError", "Fetch", "BecomeFollower", "AlterPartition",
                    "FetchMetadata", "Resign", "StepDown", "QuorumSync", "Elect", "Fence",
                    "Unfence", "Register", "MoveLeader", "Crash", "Restart", "Isolate",
                    "Heal", "AlterPartitionAccepted", "AlterPartitionRejected", "DiskLoss",
                    SLOW_SHRINK)
        # A candidate's election in a new epoch it cannot win: only without pre-vote.
        return families if self.pre_vote else (*families, "StartElection")

    def fault_model(self) -> FaultModel:
        """The bounds' faults, the AlterPartition race when atomic ISR updates hide it, and
        before 4.0 the re-registration race (every Register here removes the old
        incarnation)."""
        return with_reregistration_race(with_alter_partition_race(
            super().fault_model(), self.bound), self.bound, self.version < (4, 0))

    def effective_settings(self) -> dict[str, Any]:
        """unclean.leader.election.enable as the KRaft controller of this release reads it."""
        return {**super().effective_settings(), "unclean.leader.election.enable": self.unclean}

    def notes(self) -> list[str]:
        """What a reader should know about this configuration before reading verdicts."""
        out = []
        if "process.roles" not in self.config.explicit:
            out.append(roles_assumed_note(self.config.kafka_version, self.version))
        if self.kafka["unclean.leader.election.enable"] and not self.unclean:
            version = self.config.kafka_version
            out.append(f"unclean.leader.election.enable=true: this model checks a KRaft "
                       f"cluster, whose controller in Kafka {version} ignores it (read from "
                       "3.9, KAFKA-12670), so no unclean election is explored; a "
                       f"ZooKeeper-mode cluster of Kafka {version} elects an out-of-sync "
                       "replica (the replication model checks that mode)")
        elr = elr_note(self.config)
        if elr:
            out.append(elr)
        read = controller_read_note(self.config)
        if read:
            out.append(read)
        if self.bound["disk_losses"] > 0 and "metadata.log.dir" not in self.config.explicit:
            # KRaftConfigs.METADATA_LOG_DIR_CONFIG: unset, the metadata log is in the first
            # of log.dirs, and a replaced disk there takes the node's KRaft log with it.
            out.append("disk_losses keeps each node's metadata log: that is a layout with "
                       "metadata.log.dir on another disk; by default it lives in the first "
                       "log.dirs directory, whose loss also loses the node's KRaft log and "
                       "meta.properties (a node formatted again), which is not explored")
        min_isr = pt.min_isr_note(self.rules, self.config.kafka_version)
        if min_isr:
            out.append(min_isr)
        if not self.epoch_bump_on_shrink:
            # PartitionChangeBuilder: bump on shrink while !metadataVersion.isAtLeast(3.6-IV0)
            out.append("an ISR shrink keeps the leader epoch (KAFKA-15021): that takes "
                       "metadata.version 3.6-IV0 or later; a cluster not yet finalized at it "
                       "bumps the epoch on every shrink, as 3.3 to 3.5 do (--kafka-version "
                       "3.5 checks that rule; no setting here gives the metadata.version)")
        if self.bound["symmetry"] and len(self.renamings) == 1:
            out.append(sym.NOTHING_TO_RENAME)
        return out

    # -- properties --------------------------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import controller as props

        return props.controller_properties(self)


def ctrl_name(c: int) -> str:
    """Display name of controller index ``c``."""
    return f"C{c + 1}"


__all__ = ["ControllerModel", "ControllerState", "broker_name", "ctrl_name"]
