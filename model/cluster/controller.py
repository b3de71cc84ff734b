"""KRaft controller: quorum election, metadata that reaches brokers late, epoch fencing.

The question it answers: while a controller or a partition leader does not yet know it
has been replaced, what do the epochs protect?  Controllers elect an active controller
by majority (KIP-595 Raft, abstracted as atomic majority votes and commits; who is
active and in which epoch is explicit); the active controller commits metadata records
(KIP-631 QuorumController): broker fencing when heartbeats stop, registration after a
restart, unfencing, partition leader and ISR changes.  Each broker applies the metadata
it has fetched, possibly late, and acts on its own view: a broker that believes it is
leader accepts produce requests and serves fetches.  Replica rules (fetch, high
watermark, truncation, acks) are those of ``model/cluster/partition.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster.controller_view import ControllerPresentation
from kafkacheck.model.cluster.partition import (
    ACKED,
    DURABLE,
    EPOCH,
    EXPOSED,
    HWS,
    ISR,
    LEADER,
    LOGS,
    NO_LEADER,
    PENDING,
    REMOTE,
    SYNCED,
    UNKNOWN,
    entry,
    entry_epoch,
    put,
)
from kafkacheck.model.interface import POWER_LOSS, Action, Bound, Model, State
from kafkacheck.properties.base import Property

# Fields of the model state tuple.
(ALIVE, CUT, CRASHES, ISOLATIONS, RESTARTS, CHANGES, SLOW, NEXT_RECORD, CTRL, BROKERS,
 LEAD, PARTS, ZOMBIE) = range(13)
STATE_FIELDS = ("alive", "cut", "crashes_left", "isolations_left", "restarts_left",
                "leader_changes_left", "slow_followers_left", "next_record", "controllers",
                "brokers", "leader_state", "partitions", "acked_by_deposed_leader")

# A controller: (Raft epoch it knows, leader it follows (itself when active), metadata log
# end offset, metadata image at that offset).
C_EPOCH, C_LEADER, C_END, C_IMAGE = range(4)
# A metadata image: (fenced brokers mask, per-partition registration).
I_FENCED, I_PARTS = range(2)
# A partition registration (PartitionRegistration): leader, leader epoch, partition epoch, ISR.
M_LEADER, M_EPOCH, M_PEPOCH, M_ISR = range(4)
# A broker: (lifecycle phase, metadata offset applied, controller epoch known, partition views).
B_PHASE, B_OFFSET, B_CEPOCH, B_VIEWS = range(4)
# Phases (BrokerLifecycleManager): running; restarted, not registered; registered, catching up.
RUNNING, STARTING, REGISTERED = 0, 1, 2
PHASE_NAMES = ("running", "starting", "registered")
NO_CONTROLLER = -1
NOT_LEADING = ()  # a broker's leader state for a partition it does not lead

BUGS = (
    "none",
    "broker-accepts-stale-controller",  # brokers take metadata from a lower controller epoch
    "stale-controller-epoch",           # voters accept a leader or candidate of a lower epoch
    "election-without-majority",        # a controller becomes active without a majority vote
    "commit-without-majority",          # a controller commits with a minority of voters
    "stale-alter-partition",            # AlterPartition unchecked: a stale leader's ISR is written
    "no-leader-epoch-bump",             # a new partition leader keeps the old leader epoch
    "elect-fenced",                     # partition elections ignore broker fencing
    "fetch-ignores-epoch",              # leaders serve any leader epoch's fetches (no KIP-320)
    "truncate-keeps-hw",                # a truncating follower keeps its high watermark
)

MODES = ("combined", "separate")


def roles_mode(roles: str) -> str | None:
    """combined or separate from a process.roles value of the broker nodes, None if invalid."""
    parts = {r.strip() for r in roles.split(",") if r.strip()}
    if parts == {"broker", "controller"}:
        return "combined"
    if parts == {"broker"}:
        return "separate"
    return None


class ControllerModel(ControllerPresentation, Model):
    """KRaft controllers and brokers with late metadata, composed with partition replication."""

    name = "controller"
    summary = ("KRaft controller quorum, broker fencing, late metadata and epoch fencing, "
               "composed with replication")
    source = ("KIP-500, KIP-595 (Raft), KIP-631 (QuorumController), KIP-320, KIP-841; "
              "ReplicationControlManager, ClusterControlManager, BrokerHeartbeatManager, "
              "KafkaRaftClient, Partition.makeLeader/makeFollower")
    settings = (
        "replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "acks",
        "process.roles",
    )
    key_settings = ("acks", "min.insync.replicas", "replication.factor",
                    "unclean.leader.election.enable", "process.roles")
    faults_not_modelled = (POWER_LOSS,)  # a crashed node keeps its disk and page cache
    bounds = (
        Bound("brokers", 3, "brokers; each hosts a replica of every partition "
              "(replication.factor = brokers)", minimum=1, maximum=5),
        Bound("controllers", 3, "KRaft voters (controller.quorum.voters); with "
              "process.roles=broker,controller they run on the first brokers", minimum=1,
              maximum=5),
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=3),
        Bound("records", 1, "records the producer sends in all", minimum=0, maximum=60),
        Bound("crashes", 0, "node crashes (process crash: the disk survives)", minimum=0,
              fault="node process crash"),
        Bound("restarts", 0, "restarts of crashed nodes", minimum=0, fault="node restart"),
        Bound("isolations", 1, "nodes cut off from the others (clients still reach them); "
              "the network heals at any time", minimum=0, fault="node isolation"),
        Bound("leader_changes", 0, "preferred-leader elections by the controller", minimum=0,
              fault="leader move"),
        Bound("slow_followers", 0, "ISR shrinks of a follower that could reach its leader "
              "(a slow follower); followers cut off or dead leave the ISR without this",
              minimum=0, fault="slow follower"),
        Bound("truncation", "leader-epoch", "how a new follower truncates: leader-epoch "
              "(KIP-101 + KIP-279), kip101 (0.11), high-watermark (before 0.11)",
              choices=pt.TRUNCATION_RULES),
        Bound("bug", "none", "inject a bug, to show that the properties can fail", choices=BUGS),
    )

    @classmethod
    def validate_config(cls, config: Any) -> str | None:
        n = config.bounds["brokers"]
        m = config.bounds["controllers"]
        rf = config.kafka["replication.factor"]
        if "replication.factor" in config.explicit and rf != n:
            return (f"replication.factor={rf} but brokers={n}: this model puts a replica on "
                    f"every broker (use --bound brokers={rf})")
        isr = config.kafka["min.insync.replicas"]
        if isr > n:
            return (f"min.insync.replicas={isr} exceeds replication.factor={n}: every acks=all "
                    "write would fail with NOT_ENOUGH_REPLICAS")
        mode = roles_mode(config.kafka["process.roles"])
        if mode is None:
            return ("process.roles must be broker,controller (combined nodes) or broker "
                    "(dedicated controller nodes) for the broker nodes of this model")
        if mode == "combined" and m > n:
            return (f"controllers={m} exceeds brokers={n} with process.roles=broker,controller; "
                    "use process.roles=broker for dedicated controllers")
        return None

    def __init__(self, config: Any) -> None:
        if config.kafka["replication.factor"] != config.bounds["brokers"]:
            # replication.factor follows the brokers bound unless set (then they agree).
            kafka = {**config.kafka, "replication.factor": config.bounds["brokers"]}
            config = dataclasses.replace(config, kafka=kafka)
        super().__init__(config)
        k = self.kafka
        b = self.bound
        self.n = b["brokers"]
        self.m = b["controllers"]
        self.majority = self.m // 2 + 1
        self.min_isr = k["min.insync.replicas"]
        self.unclean = k["unclean.leader.election.enable"]
        self.acks = k["acks"]
        self.mode = roles_mode(k["process.roles"]) or "combined"
        self.partitions = b["partitions"]
        self.max_records = b["records"]
        self.rule = b["truncation"]
        self.bug = b["bug"]
        self.flush_every = 1 << 62  # process crashes only: the page cache survives
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

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        """Topic created, every broker registered and unfenced, C1 active in epoch 1."""
        n = self.n
        pmeta = tuple((self.order[p][0], 0, 0, self.everyone) for p in range(self.partitions))
        image = (0, pmeta)
        ctrl = tuple((1, 0, 1, image) for _ in range(self.m))
        brokers = tuple((RUNNING, 1, 1, pmeta) for _ in range(n))
        parts = []
        leads = []
        for p in range(self.partitions):
            leader = self.order[p][0]
            part = pt.initial_partition(n, leader, False)
            parts.append(part[:REMOTE] + ((),) + part[REMOTE + 1 : PENDING] + ((),)
                         + part[PENDING + 1 :])
            leads.append(tuple(((0,) * n, ()) if x == leader else NOT_LEADING
                               for x in range(n)))
        b = self.bound
        return [((1 << self.nodes) - 1, 0, b["crashes"], b["isolations"], b["restarts"],
                 b["leader_changes"], b["slow_followers"], 1, ctrl, brokers, tuple(leads),
                 tuple(parts), (0,) * self.partitions)]

    # -- helpers ------------------------------------------------------------------------

    def _label(self, name: str, p: int, *args: object) -> Action:
        """An action label, with the partition when there are several."""
        return (name, *args, f"p{p}") if self.partitions > 1 else (name, *args)

    @staticmethod
    def _linked(alive: int, cut: int, x: int, y: int) -> bool:
        """Nodes x and y are both up and on the same side of the network cut."""
        return bool(alive >> x & 1 and alive >> y & 1 and not (cut >> x ^ cut >> y) & 1)

    def _acceptors(self, state: State, c: int) -> int:
        """Voters that take appends (or votes) from controller c: reachable, epoch not newer."""
        alive, cut = state[ALIVE], state[CUT]
        ctrl = state[CTRL]
        epoch = ctrl[c][C_EPOCH]
        node = self.ctrl_node[c]
        mask = 0
        stale_ok = self.bug == "stale-controller-epoch"
        for v in range(self.m):
            if v == c or (self._linked(alive, cut, node, self.ctrl_node[v])
                          and (stale_ok or ctrl[v][C_EPOCH] <= epoch)):
                mask |= 1 << v
        return mask

    def _enough(self, mask: int) -> bool:
        """A majority of voters (one voter with the commit-without-majority bug)."""
        need = 1 if self.bug == "commit-without-majority" else self.majority
        return mask.bit_count() >= need

    def _has_leader(self, state: State, c: int) -> bool:
        """Controller c hears from the leader it follows (so it starts no election)."""
        ctrl = state[CTRL]
        leader = ctrl[c][C_LEADER]
        if leader == NO_CONTROLLER:
            return False
        if leader == c:
            return True
        return (self._linked(state[ALIVE], state[CUT], self.ctrl_node[c], self.ctrl_node[leader])
                and ctrl[leader][C_LEADER] == leader
                and ctrl[leader][C_EPOCH] == ctrl[c][C_EPOCH])

    def _commit(self, state: State, c: int, image: tuple, acceptors: int) -> State:
        """Controller c appends a record and a majority stores it (an atomic Raft commit)."""
        ctrl = state[CTRL]
        me = ctrl[c]
        record = (me[C_EPOCH], c, me[C_END] + 1, image)
        new_ctrl = tuple(record if acceptors >> v & 1 else ctrl[v] for v in range(self.m))
        parts = state[PARTS]
        new_parts = []
        for p, part in enumerate(parts):
            meta = image[I_PARTS][p]
            if (part[LEADER], part[EPOCH], part[ISR]) != (meta[M_LEADER], meta[M_EPOCH],
                                                         meta[M_ISR]):
                part = (meta[M_LEADER], meta[M_EPOCH], meta[M_ISR]) + part[LOGS:]
            new_parts.append(part)
        return state[:CTRL] + (new_ctrl,) + state[BROKERS:PARTS] + (tuple(new_parts),) \
            + state[PARTS + 1 :]

    def _active_controllers(self, state: State) -> Iterator[tuple[int, int]]:
        """(controller, acceptors) for each live controller that believes it is active and
        can commit (QuorumController with a Raft majority behind it)."""
        alive = state[ALIVE]
        ctrl = state[CTRL]
        for c in range(self.m):
            if ctrl[c][C_LEADER] == c and alive >> self.ctrl_node[c] & 1:
                acc = self._acceptors(state, c)
                if self._enough(acc):
                    yield c, acc

    # -- partition changes (PartitionChangeBuilder) --------------------------------------

    def _change(self, meta: tuple, p: int, target_isr: int, acceptable: int) -> tuple:
        """A partition registration after an ISR change and, if needed, a leader election.

        PartitionChangeBuilder: keep the leader if it is in the target ISR and acceptable,
        else the first acceptable ISR replica in assignment order, else (unclean election
        enabled) the first acceptable replica with the ISR reset to it, else no leader.
        An ISR that would become empty is kept as it is (KIP-841, ELR disabled).
        """
        leader, epoch, pepoch, isr = meta
        order = self.order[p]
        unclean = False
        if leader != NO_LEADER and target_isr >> leader & 1 and acceptable >> leader & 1:
            new_leader = leader
        else:
            new_leader = pt.clean_candidate(target_isr, acceptable, order)
            if new_leader == NO_LEADER and self.unclean:
                new_leader = pt.clean_candidate(self.everyone, acceptable, order)
                unclean = new_leader != NO_LEADER
        if unclean:
            new_isr = 1 << new_leader
        else:
            new_isr = target_isr if target_isr else isr
        if new_leader == leader and new_isr == isr:
            return meta
        bump = new_leader != leader and self.bug != "no-leader-epoch-bump"
        return (new_leader, epoch + 1 if bump else epoch, pepoch + 1, new_isr)

    def _acceptable(self, fenced: int, remove: int = -1, add: int = -1) -> int:
        """Brokers that may lead: unfenced (or being unfenced), not being removed."""
        ok = self.everyone if self.bug == "elect-fenced" else self.everyone & ~fenced
        if add >= 0:
            ok |= 1 << add
        if remove >= 0:
            ok &= ~(1 << remove)
        return ok

    def _remove_broker(self, image: tuple, b: int) -> tuple:
        """handleBrokerFenced / handleBrokerUncleanShutdown: b leaves ISRs and leadership."""
        fenced = image[I_FENCED] | 1 << b
        acceptable = self._acceptable(fenced, remove=b)
        metas = []
        for p, meta in enumerate(image[I_PARTS]):
            if meta[M_ISR] >> b & 1:
                meta = self._change(meta, p, meta[M_ISR] & ~(1 << b), acceptable)
            metas.append(meta)
        return (fenced, tuple(metas))

    # -- successors --------------------------------------------------------------------

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        for p in range(self.partitions):
            yield from self._partition_actions(state, p)
        yield from self._metadata_actions(state)
        yield from self._controller_actions(state)
        yield from self._decisions(state)
        yield from self._faults(state)

    # -- data plane: produce, acks, fetch, truncation (partition.py rules) -----------------

    def _ctx(self, part: tuple, leader: int, view: tuple, lead: tuple) -> tuple:
        """The partition as broker ``leader`` acts on it, in partition.py's tuple layout."""
        return (leader, view[M_EPOCH], view[M_ISR], part[LOGS], part[HWS], part[SYNCED],
                lead[0], part[DURABLE], lead[1], part[EXPOSED], part[ACKED])

    def _with_ctx(self, state: State, p: int, leader: int, ctx: tuple,
                  zombie: int = -1) -> State:
        """Write back what a leader's action changed: the logs, HWs, its own leader state."""
        part = state[PARTS][p]
        part = part[:LOGS] + ctx[LOGS:REMOTE] + ((),) + (ctx[DURABLE], ()) + ctx[EXPOSED:]
        leads = state[LEAD]
        lead = put(leads[p], leader, (ctx[REMOTE], ctx[PENDING]))
        out = state[:LEAD] + (put(leads, p, lead), put(state[PARTS], p, part))
        zombies = state[ZOMBIE]
        if zombie >= 0:
            zombies = put(zombies, p, zombies[p] | 1 << zombie)
        return out + (zombies,)

    def _deposed(self, state: State, p: int, b: int, view: tuple) -> bool:
        """Broker b acts as leader in an epoch older than the latest committed one."""
        part = state[PARTS][p]
        return part[LEADER] != b or view[M_EPOCH] != part[EPOCH]

    def _acting(self, state: State, b: int) -> bool:
        """Broker b is up and has caught up since its last start (BrokerServer startup)."""
        alive = state[ALIVE]
        return bool(alive >> self.broker_node[b] & 1) and state[BROKERS][b][B_PHASE] == RUNNING

    def _partition_actions(self, state: State, p: int) -> Iterator[tuple[Action, State]]:
        """Leaders serve produce, acks and AlterPartition; followers truncate and fetch from
        the leader their metadata names, fenced by leader epoch (Partition.fetchRecords,
        KIP-320: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH)."""
        brokers = state[BROKERS]
        part = state[PARTS][p]
        leads = state[LEAD][p]
        alive, cut = state[ALIVE], state[CUT]
        for b in range(self.n):
            if not self._acting(state, b):
                continue
            view = brokers[b][B_VIEWS][p]
            lead = leads[b]
            if lead:
                yield from self._produce(state, p, b, view, lead)
                yield from self._acks(state, p, b, view, lead)
                yield from self._alter_partition(state, p, b, view, lead)
                continue
            leader = view[M_LEADER]
            if leader == NO_LEADER or leader == b:
                continue
            if part[SYNCED][b] != view[M_EPOCH] and self.rule == "high-watermark":
                yield self._truncate(state, p, b, view, None)
                continue
            # The follower's fetcher talks to the leader its metadata names.
            if not self._linked(alive, cut, self.broker_node[b], self.broker_node[leader]):
                continue
            if not self._acting(state, leader):
                continue
            lview = brokers[leader][B_VIEWS][p]
            llead = leads[leader]
            if not llead:
                continue  # NOT_LEADER_OR_FOLLOWER: it does not (yet) lead
            if lview[M_EPOCH] != view[M_EPOCH] and self.bug != "fetch-ignores-epoch":
                continue  # FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (KIP-320)
            if part[SYNCED][b] != view[M_EPOCH]:
                yield self._truncate(state, p, b, view, (leader, lview))
                continue
            ctx = self._ctx(part, leader, lview, llead)
            nxt = pt.fetch(ctx, b, self.flush_every)
            if nxt is not None:
                yield (self._label("Fetch", p, broker_name(b), f"from {broker_name(leader)}"),
                       self._with_ctx(state, p, leader, nxt))

    def _produce(self, state: State, p: int, b: int, view: tuple,
                 lead: tuple) -> Iterator[tuple[Action, State]]:
        """ProduceRequest to a broker that believes it leads: Partition.appendRecordsToLeader."""
        record = state[NEXT_RECORD]
        if record > self.max_records:
            return
        if self.acks == -1 and view[M_ISR].bit_count() < self.min_isr:
            return  # NOT_ENOUGH_REPLICAS, judged on the ISR this broker knows
        part = state[PARTS][p]
        ctx = self._ctx(part, b, view, lead)
        log = ctx[LOGS][b] + (entry(view[M_EPOCH], record),)
        ctx = put(ctx, LOGS, put(ctx[LOGS], b, log))
        if self.acks == -1:
            ctx = put(ctx, PENDING, ctx[PENDING] + ((record, len(log) - 1),))
        ctx = pt.with_leader_hw(ctx, pt.advanced_hw(ctx))
        zombie = -1
        if self.acks == 1:
            ctx = put(ctx, ACKED, ctx[ACKED] | 1 << record)
            if self._deposed(state, p, b, view):
                zombie = record
        nxt = self._with_ctx(put(state, NEXT_RECORD, record + 1), p, b, ctx, zombie)
        yield self._label("Produce", p, f"r{record}", f"to {broker_name(b)}"), nxt

    def _acks(self, state: State, p: int, b: int, view: tuple,
              lead: tuple) -> Iterator[tuple[Action, State]]:
        """acks=all completion in the purgatory: Partition.checkEnoughReplicasReachOffset."""
        part = state[PARTS][p]
        hw = part[HWS][b]
        pending = lead[1]
        for i, (record, offset) in enumerate(pending):
            if hw <= offset:
                continue
            rest = pending[:i] + pending[i + 1 :]
            ctx = self._ctx(part, b, view, (lead[0], rest))
            if view[M_ISR].bit_count() >= self.min_isr:
                ctx = put(ctx, ACKED, ctx[ACKED] | 1 << record)
                zombie = record if self._deposed(state, p, b, view) else -1
                yield (self._label("Ack", p, f"r{record}", f"by {broker_name(b)}"),
                       self._with_ctx(state, p, b, ctx, zombie))
            else:
                yield (self._label("AckError", p, f"r{record}", f"by {broker_name(b)}",
                                   "NOT_ENOUGH_REPLICAS_AFTER_APPEND"),
                       self._with_ctx(state, p, b, ctx))

    def _truncate(self, state: State, p: int, f: int, view: tuple,
                  leader: tuple[int, tuple] | None) -> tuple[Action, State]:
        """A replica becoming follower truncates (ReplicaFetcherThread, KIP-101/KIP-279)."""
        part = state[PARTS][p]
        logs = part[LOGS]
        if leader is None:
            offset = min(part[HWS][f], len(logs[f]))
        else:
            lb, lview = leader
            offset = pt.truncation_offset(self.rule, logs[f], part[HWS][f], logs[lb],
                                          lview[M_EPOCH])
        hw = part[HWS][f]
        nxt = pt.truncate_replica(part, f, offset)
        if self.bug == "truncate-keeps-hw":
            nxt = put(nxt, HWS, put(nxt[HWS], f, hw))
        nxt = put(nxt, SYNCED, put(nxt[SYNCED], f, view[M_EPOCH]))
        label = self._label("BecomeFollower", p, broker_name(f), f"truncate to {offset}")
        return label, state[:PARTS] + (put(state[PARTS], p, nxt),) + state[PARTS + 1 :]

    def _alter_partition(self, state: State, p: int, b: int, view: tuple,
                         lead: tuple) -> Iterator[tuple[Action, State]]:
        """The leader asks the controller to shrink or expand the ISR (AlterPartition).

        The leader proposes (Partition.maybeShrinkIsr / maybeExpandIsr); the active
        controller validates the leader and partition epochs and the new members'
        eligibility (ReplicationControlManager.validateAlterPartitionData) and commits;
        the response updates the leader's ISR and partition epoch before the metadata does.
        """
        part = state[PARTS][p]
        leader_log = part[LOGS][b]
        leo = len(leader_log)
        isr = view[M_ISR]
        remote = lead[0]
        epoch_start = next((i for i, e in enumerate(leader_log)
                            if entry_epoch(e) == view[M_EPOCH]), leo)
        hw = part[HWS][b]
        proposals = []
        alive, cut = state[ALIVE], state[CUT]
        bnode = self.broker_node[b]
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
                    if not self._fetches_from(state, p, f, b, view, synced=False):
                        proposals.append(("shrink", f, isr & ~(1 << f)))
                    elif state[SLOW] > 0:
                        proposals.append(("shrink", f, isr & ~(1 << f)))
                        slow.append(f)
            elif remote[f] >= hw and remote[f] >= epoch_start and self._fetches_from(
                    state, p, f, b, view):
                # maybeExpandIsr runs when a caught-up follower fetches.
                proposals.append(("expand", f, isr | 1 << f))
        if not proposals:
            return
        for c, acc in self._active_controllers(state):
            if not self._linked(alive, cut, bnode, self.ctrl_node[c]):
                continue
            image = state[CTRL][c][C_IMAGE]
            meta = image[I_PARTS][p]
            unchecked = self.bug == "stale-alter-partition"
            if not unchecked:
                if view[M_EPOCH] != meta[M_EPOCH] or view[M_PEPOCH] != meta[M_PEPOCH]:
                    continue  # FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION / NOT_CONTROLLER
                if meta[M_LEADER] != b:
                    continue  # INVALID_REQUEST
            for kind, f, new_isr in proposals:
                if new_isr & image[I_FENCED]:
                    continue  # INELIGIBLE_REPLICA (KIP-841)
                if unchecked:
                    # The stale leader's ISR is written as sent, as a ZooKeeper-era ISR
                    # write without its zkVersion condition would.
                    new_meta = meta[:M_PEPOCH] + (meta[M_PEPOCH] + 1, new_isr)
                else:
                    new_meta = self._change(meta, p, new_isr,
                                            self._acceptable(image[I_FENCED]))
                metas = put(image[I_PARTS], p, new_meta)
                nxt = self._commit(state, c, (image[I_FENCED], metas), acc)
                if new_meta[M_LEADER] == b:
                    # The response carries the new ISR and partition epoch.
                    new_view = new_meta
                    nxt = self._set_view(nxt, b, p, new_view)
                    ctx = self._ctx(nxt[PARTS][p], b, new_view, lead)
                    ctx = pt.with_leader_hw(ctx, pt.advanced_hw(ctx))
                    nxt = self._with_ctx(nxt, p, b, ctx)
                if kind == "shrink" and f in slow:
                    nxt = put(nxt, SLOW, nxt[SLOW] - 1)
                label = self._label("AlterPartition", p, broker_name(b),
                                    f"{kind} {broker_name(f)}", f"by {ctrl_name(c)}")
                yield label, nxt

    def _fetches_from(self, state: State, p: int, f: int, b: int, view: tuple,
                      synced: bool = True) -> bool:
        """Follower f is fetching from leader b in b's leader epoch (truncated, if synced)."""
        if not self._acting(state, f):
            return False
        fview = state[BROKERS][f][B_VIEWS][p]
        return (fview[M_LEADER] == b and fview[M_EPOCH] == view[M_EPOCH]
                and (not synced or state[PARTS][p][SYNCED][f] == view[M_EPOCH])
                and self._linked(state[ALIVE], state[CUT], self.broker_node[f],
                                 self.broker_node[b]))

    def _set_view(self, state: State, b: int, p: int, view: tuple) -> State:
        """The state with broker b's view of partition p replaced."""
        brokers = state[BROKERS]
        me = brokers[b]
        me = me[:B_VIEWS] + (put(me[B_VIEWS], p, view),)
        return state[:BROKERS] + (put(brokers, b, me),) + state[BROKERS + 1 :]

    # -- metadata propagation: brokers fetch the metadata log (KIP-631 observers) ---------

    def _metadata_actions(self, state: State) -> Iterator[tuple[Action, State]]:
        """Brokers fetch the metadata log from a controller that believes it is active, as
        KRaft observers (KafkaRaftClient.handleFetchRequest: validateLeaderOnlyRequest)."""
        alive, cut = state[ALIVE], state[CUT]
        ctrl = state[CTRL]
        brokers = state[BROKERS]
        stale_ok = self.bug == "broker-accepts-stale-controller"
        for b in range(self.n):
            node = self.broker_node[b]
            if not alive >> node & 1:
                continue
            me = brokers[b]
            for c in range(self.m):
                cc = ctrl[c]
                if cc[C_LEADER] != c or not self._linked(alive, cut, node, self.ctrl_node[c]):
                    continue
                if cc[C_EPOCH] < me[B_CEPOCH] and not stale_ok:
                    continue  # UNKNOWN_LEADER_EPOCH: that controller is behind (KafkaRaftClient)
                if cc[C_IMAGE][I_PARTS] == me[B_VIEWS] and me[B_PHASE] != REGISTERED:
                    # Nothing this broker acts on would change: leave the fetch for later
                    # (a reduction: the offset alone only matters when views differ).
                    continue
                label = ("FetchMetadata", broker_name(b), f"from {ctrl_name(c)}",
                         f"offset {cc[C_END]}")
                yield label, self._apply_metadata(state, b, cc)

    def _apply_metadata(self, state: State, b: int, cc: tuple) -> State:
        """Broker b applies metadata up to the controller's offset (ReplicaManager.applyDelta):
        Partition.makeLeader / makeFollower, skipping stale partition epochs."""
        me = state[BROKERS][b]
        phase = me[B_PHASE]
        image_parts = cc[C_IMAGE][I_PARTS]
        fresh = phase == REGISTERED
        if phase == REGISTERED:
            phase = RUNNING  # caught up past its registration: the publishers start
        views = []
        for p, new in enumerate(image_parts):
            old = me[B_VIEWS][p]
            views.append(old if new[M_PEPOCH] < old[M_PEPOCH] and not fresh else new)
        brokers = put(state[BROKERS], b, (phase, cc[C_END], cc[C_EPOCH], tuple(views)))
        state = state[:BROKERS] + (brokers,) + state[BROKERS + 1 :]
        if phase != RUNNING:
            return state
        for p, view in enumerate(views):
            old = me[B_VIEWS][p]
            if view == old and not fresh:
                continue
            state = self._role_change(state, p, b, old, view, fresh)
        return state

    def _role_change(self, state: State, p: int, b: int, old: tuple, view: tuple,
                     fresh: bool) -> State:
        """Partition.makeLeader / makeFollower for one partition of broker b."""
        leads = state[LEAD]
        lead = leads[p][b]
        part = state[PARTS][p]
        if view[M_LEADER] == b:
            if fresh or not lead or view[M_EPOCH] > old[M_EPOCH]:
                # makeLeader in a new epoch: followers' states reset, the leader is in sync.
                lead = ((UNKNOWN,) * self.n, ())
                part = put(part, SYNCED, put(part[SYNCED], b, view[M_EPOCH]))
                state = state[:PARTS] + (put(state[PARTS], p, part),) + state[PARTS + 1 :]
            ctx = self._ctx(part, b, view, lead)
            ctx = pt.with_leader_hw(ctx, pt.advanced_hw(ctx))
            return self._with_ctx(state, p, b, ctx)
        if lead:
            # makeFollower: it stops leading; its delayed produce requests fail.
            new_leads = put(leads, p, put(leads[p], b, NOT_LEADING))
            return state[:LEAD] + (new_leads,) + state[LEAD + 1 :]
        return state

    # -- the controller quorum (KIP-595 Raft, abstracted) ---------------------------------

    def _controller_actions(self, state: State) -> Iterator[tuple[Action, State]]:
        """Raft bookkeeping: check-quorum resignation (LeaderState), stepping down on a
        higher epoch, BeginQuorumEpoch / Fetch catch-up of voters, and elections."""
        alive, cut = state[ALIVE], state[CUT]
        ctrl = state[CTRL]
        m = self.m
        for c in range(m):
            node = self.ctrl_node[c]
            if not alive >> node & 1:
                continue
            me = ctrl[c]
            if me[C_LEADER] == c:
                reach = self._acceptors(state, c)
                if reach.bit_count() < self.majority:
                    # check-quorum: no fetches from a majority in time (LeaderState)
                    yield ("Resign", ctrl_name(c)), self._set_ctrl(
                        state, c, (me[C_EPOCH], NO_CONTROLLER, me[C_END], me[C_IMAGE]))
                for v in range(m):
                    if v == c or not self._linked(alive, cut, node, self.ctrl_node[v]):
                        continue
                    other = ctrl[v]
                    if other[C_EPOCH] > me[C_EPOCH] and self.bug != "stale-controller-epoch":
                        # The voter answers with its newer epoch: this leader steps down.
                        yield (("StepDown", ctrl_name(c), f"epoch {other[C_EPOCH]} at "
                                f"{ctrl_name(v)}"),
                               self._set_ctrl(state, c, (other[C_EPOCH], other[C_LEADER],
                                                         me[C_END], me[C_IMAGE])))
                    elif (other[C_EPOCH], other[C_LEADER], other[C_END]) != (
                            me[C_EPOCH], c, me[C_END]):
                        # BeginQuorumEpoch / Fetch: the voter follows c and catches up.
                        yield (("QuorumSync", ctrl_name(v), f"from {ctrl_name(c)}"),
                               self._set_ctrl(state, v, (me[C_EPOCH], c, me[C_END],
                                                         me[C_IMAGE])))
            elif not self._has_leader(state, c):
                yield from self._election(state, c)

    def _set_ctrl(self, state: State, c: int, value: tuple) -> State:
        """The state with controller c replaced."""
        return state[:CTRL] + (put(state[CTRL], c, value),) + state[CTRL + 1 :]

    def _election(self, state: State, c: int) -> Iterator[tuple[Action, State]]:
        """Controller c is elected if a majority votes for it (KafkaRaftClient, KIP-595/996).

        A voter grants its vote when it reaches c, hears from no leader of its own
        (pre-vote, KIP-996) and its log is no longer than c's; the new epoch is one more
        than any epoch among the voters, so no voter has seen it.
        """
        alive, cut = state[ALIVE], state[CUT]
        ctrl = state[CTRL]
        me = ctrl[c]
        node = self.ctrl_node[c]
        votes = 0
        top = me[C_EPOCH]
        for v in range(self.m):
            other = ctrl[v]
            if v != c:
                if not self._linked(alive, cut, node, self.ctrl_node[v]):
                    continue
                if self._has_leader(state, v) or other[C_END] > me[C_END]:
                    continue
            votes |= 1 << v
            top = max(top, other[C_EPOCH])
        need = 1 if self.bug == "election-without-majority" else self.majority
        if votes.bit_count() < need:
            return
        epoch = me[C_EPOCH] + 1 if self.bug == "stale-controller-epoch" else top + 1
        new_ctrl = tuple((epoch, c, ctrl[v][C_END], ctrl[v][C_IMAGE]) if votes >> v & 1
                         else ctrl[v] for v in range(self.m))
        yield ("Elect", ctrl_name(c), f"epoch {epoch}"), \
            state[:CTRL] + (new_ctrl,) + state[CTRL + 1 :]

    # -- controller decisions (QuorumController / ReplicationControlManager) --------------

    def _decisions(self, state: State) -> Iterator[tuple[Action, State]]:
        """What the active controller commits: fencing on session expiry
        (BrokerHeartbeatManager), unfencing, registration (ClusterControlManager), and
        preferred-leader moves (ReplicationControlManager.electLeaders)."""
        alive, cut = state[ALIVE], state[CUT]
        brokers = state[BROKERS]
        for c, acc in self._active_controllers(state):
            image = state[CTRL][c][C_IMAGE]
            fenced = image[I_FENCED]
            cnode = self.ctrl_node[c]
            by = f"by {ctrl_name(c)}"
            for b in range(self.n):
                bit = 1 << b
                phase = brokers[b][B_PHASE]
                reachable = self._linked(alive, cut, cnode, self.broker_node[b])
                if not fenced & bit:
                    if not reachable or phase == STARTING:
                        # BrokerHeartbeatManager: the session expired; fenceStaleBroker.
                        yield (("Fence", broker_name(b), by),
                               self._commit(state, c, self._remove_broker(image, b), acc))
                elif reachable and phase == RUNNING:
                    # A caught-up broker heartbeats with wantFence=false: handleBrokerUnfenced.
                    yield ("Unfence", broker_name(b), by), \
                        self._commit(state, c, self._unfence(image, b), acc)
                if reachable and phase == STARTING:
                    # RegisterBrokerRecord (fenced) and, since metadata.version 4.0-IV1, the
                    # unclean-shutdown clean-up (KIP-966 handleBrokerUncleanShutdown).
                    nxt = self._commit(state, c, self._remove_broker(image, b), acc)
                    me = nxt[BROKERS][b]
                    nxt = nxt[:BROKERS] + (put(nxt[BROKERS], b, (REGISTERED,) + me[1:]),) \
                        + nxt[BROKERS + 1 :]
                    yield ("Register", broker_name(b), by), nxt
            for p in range(self.partitions):
                meta = image[I_PARTS][p]
                if state[CHANGES] > 0 and meta[M_LEADER] != NO_LEADER:
                    ok = self._acceptable(fenced)
                    for b in self.order[p]:
                        if b != meta[M_LEADER] and meta[M_ISR] >> b & 1 and ok >> b & 1:
                            new = (b, meta[M_EPOCH] + (self.bug != "no-leader-epoch-bump"),
                                   meta[M_PEPOCH] + 1, meta[M_ISR])
                            nxt = self._commit(state, c, (fenced, put(image[I_PARTS], p, new)),
                                               acc)
                            yield (self._label("MoveLeader", p, broker_name(b), by),
                                   put(nxt, CHANGES, state[CHANGES] - 1))

    def _unfence(self, image: tuple, b: int) -> tuple:
        """handleBrokerUnfenced: b may lead again; leaderless partitions get a leader."""
        fenced = image[I_FENCED] & ~(1 << b)
        acceptable = self._acceptable(fenced, add=b)
        metas = []
        for p, meta in enumerate(image[I_PARTS]):
            if meta[M_LEADER] == NO_LEADER:
                meta = self._change(meta, p, meta[M_ISR], acceptable)
            metas.append(meta)
        return (fenced, tuple(metas))

    # -- faults --------------------------------------------------------------------------

    def _faults(self, state: State) -> Iterator[tuple[Action, State]]:
        """Crash, restart, isolation of a node (clients still reach it), and healing."""
        alive, cut = state[ALIVE], state[CUT]
        everyone = (1 << self.nodes) - 1
        for node in range(self.nodes):
            bit = 1 << node
            name = self.node_names[node]
            if alive & bit:
                if state[CRASHES] > 0:
                    yield ("Crash", name), self._crash(state, node)
                if state[ISOLATIONS] > 0 and not cut & bit and cut | bit != everyone:
                    nxt = state[:CUT] + (cut | bit,) + state[CUT + 1 : ISOLATIONS] \
                        + (state[ISOLATIONS] - 1,) + state[ISOLATIONS + 1 :]
                    yield ("Isolate", name), nxt
            elif state[RESTARTS] > 0:
                yield ("Restart", name), self._restart(state, node)
        if cut:
            yield ("Heal",), state[:CUT] + (0,) + state[CUT + 1 :]

    def _crash(self, state: State, node: int) -> State:
        """A node's process dies: its brokers stop leading (in-flight requests fail) and its
        controllers forget who leads (Raft keeps its epoch and log on disk)."""
        leads = state[LEAD]
        for b in self.node_brokers[node]:
            leads = tuple(put(lp, b, NOT_LEADING) if lp[b] else lp for lp in leads)
        ctrl = state[CTRL]
        for c in self.node_ctrls[node]:
            me = ctrl[c]
            ctrl = put(ctrl, c, (me[C_EPOCH], NO_CONTROLLER, me[C_END], me[C_IMAGE]))
        return (state[ALIVE] & ~(1 << node), state[CUT], state[CRASHES] - 1) \
            + state[ISOLATIONS:CTRL] + (ctrl, state[BROKERS], leads) + state[PARTS:]

    def _restart(self, state: State, node: int) -> State:
        """The node starts again: its brokers must register and catch up before acting."""
        brokers = state[BROKERS]
        parts = state[PARTS]
        for b in self.node_brokers[node]:
            brokers = put(brokers, b, (STARTING,) + brokers[b][1:])
            parts = tuple(put(part, SYNCED, put(part[SYNCED], b, -1)) for part in parts)
        return (state[ALIVE] | 1 << node,) + state[CUT:RESTARTS] + (state[RESTARTS] - 1,) \
            + state[CHANGES:BROKERS] + (brokers, state[LEAD], parts, state[ZOMBIE])

    def action_families(self) -> tuple[str, ...]:
        return ("Produce", "Ack", "AckError", "Fetch", "BecomeFollower", "AlterPartition",
                "FetchMetadata", "Resign", "StepDown", "QuorumSync", "Elect", "Fence",
                "Unfence", "Register", "MoveLeader", "Crash", "Restart", "Isolate", "Heal")

    # -- properties --------------------------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import controller as props

        return props.controller_properties(self)


def broker_name(b: int) -> str:
    """Display name of broker index ``b``."""
    return f"B{b + 1}"


def ctrl_name(c: int) -> str:
    """Display name of controller index ``c``."""
    return f"C{c + 1}"
