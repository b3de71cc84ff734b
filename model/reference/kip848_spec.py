"""Jack Vanlightly's TLA+ specification of KIP-848 (the consumer group protocol), action for action.

The specification is ``Vanlightly/kafka-tlaplus``, ``groupprotocol/consumer_group_protocol_
kip_848_v2.tla`` with ``network.tla`` (MIT; not vendored here).  This model keeps its
abstraction exactly (the same variables, initial state, actions, enabling conditions and
invariants; the constants ``Clients``, ``TopicCount``, ``PartitionsPerTopic`` and
``MaxPerturbations`` as bounds) so that its state counts equal TLC's.  The cfg names no
VIEW and no SYMMETRY, so every variable counts, the auxiliary ones included.

How the specification's variables are held:

* The actions are written once, as methods over small typed records (``Member``,
  ``Group``, ``Client``, ``Request``, ``Response``); partition and topic sets are bitmasks
  (topic ``t``'s partition ``p`` is bit ``t * PartitionsPerTopic + p``) and ``Nil`` is -1.
* A state (``Kip848State``) holds small ints: each record is interned (a dict gives every
  distinct record an id) so a state hashes in a few nanoseconds and equal TLA+ values get
  equal ids.  The clients' ids share one int, 24 bits each.
* ``successors`` is a closure that looks the effect of each action up in tables keyed by
  the ids the action reads (a client action reads its client, a coordinator action the
  group, the message and ``aux_member_id``); a table entry is computed by the action
  methods the first time it is needed.  Mutants override an action method.

Where the spec and Kafka 4.4 differ (checked against the 4.4.0 jars and Kafka's sources:
GroupMetadataManager, CurrentAssignmentBuilder, ConsumerGroup, AbstractMembershipManager):

* Assignor: BuildAssignment explores every map of partitions to subscribed members; Kafka
  runs one deterministic server assignor (``group.consumer.assignors``, default
  ``uniform,range``).  Kafka assigns only partitions of subscribed topics; the spec waits
  (the heartbeat is not handled) until some member subscribes to every topic.
* Epochs: the spec fences any epoch mismatch; Kafka also accepts the member's previous
  epoch when its owned partitions are a subset of its assignment (a lost response), and
  keeps ``previousMemberEpoch``.  Kafka tracks an epoch per assigned partition.
* Revocation: the spec enters REVOKING whenever partitions must go and leaves it only when
  the reported partitions equal the assignment; Kafka skips UNREVOKED_PARTITIONS if the
  reported partitions already exclude them, and recomputes from the latest target when
  they are gone.
* Member ids: the coordinator numbers members and a fenced client forgets its id; since
  KIP-1082 (4.0) the client makes its own id (a UUID) and keeps it when fenced.
* Time: no heartbeat interval, session timeout (``group.consumer.session.timeout.ms``,
  45 s) or rebalance timeout: expiry is an action (``LiveMemberExpired`` counts as a
  perturbation), and nothing fences a member that never revokes.
* Not modelled: static membership (``group.instance.id``, leave epoch -2), the client's
  STALE state (poll timeout), offsets and commit fencing (STALE_MEMBER_EPOCH),
  coordinator failover, the DEAD group state, topic metadata changes.  Messages form a
  set (equal requests merge) rather than per-connection ordered queues.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from kafkacheck.model.interface import Action, Bound, Message, Model, State, format_action
from kafkacheck.properties.base import Property, always, always_step

SOURCE = ("github.com/Vanlightly/kafka-tlaplus groupprotocol/"
          "consumer_group_protocol_kip_848_v2.tla (+ network.tla)")

NIL = -1  # the spec's Nil where a partition set is expected
JOIN_GROUP_MEMBER_EPOCH = 0
LEAVE_GROUP_MEMBER_EPOCH = -1

# ClientStatuses (0..8); TransitionTo's <<prev, next, ILLEGAL_STATE>> is 16 * (prev + 1) + next
(UNSUBSCRIBED, JOINING, RECONCILING, ACKNOWLEDGING, STABLE, FENCED, PREPARE_LEAVING, LEAVING,
 FATAL) = range(9)
CLIENT_STATUS_NAMES = ("UNSUBSCRIBED", "JOINING", "RECONCILING", "ACKNOWLEDGING", "STABLE",
                       "FENCED", "PREPARE_LEAVING", "LEAVING", "FATAL")
# MemberStatuses
M_STABLE, M_REVOKING, M_ASSIGNING = range(3)
MEMBER_STATUS_NAMES = ("STABLE", "REVOKING", "ASSIGNING")
# GroupStatuses
G_EMPTY, G_STABLE, G_ASSIGNING, G_RECONCILING = range(4)
GROUP_STATUS_NAMES = ("EMPTY", "STABLE", "ASSIGNING", "RECONCILING")
# HeartbeatResponse.error: Nil or one of Errors
NO_ERROR, FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID = range(3)
ERROR_NAMES = ("Nil", "FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID")

# TransitionTo: the statuses each status may be entered from (besides itself).
_ENTERED_FROM: dict[int, frozenset[int]] = {
    STABLE: frozenset({JOINING, ACKNOWLEDGING, RECONCILING}),
    RECONCILING: frozenset({STABLE, JOINING, ACKNOWLEDGING}),
    ACKNOWLEDGING: frozenset({RECONCILING}),
    FATAL: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING,
                      UNSUBSCRIBED}),
    FENCED: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING}),
    JOINING: frozenset({FENCED, UNSUBSCRIBED}),
    PREPARE_LEAVING: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, UNSUBSCRIBED,
                                FENCED}),
    LEAVING: frozenset({PREPARE_LEAVING}),
    UNSUBSCRIBED: frozenset({FENCED, LEAVING}),
}

# The actions of Next, by their TLA+ names.
ACTIONS = ("SendHeartbeatRequest", "ReceiveErrorResponse", "ReceiveSuccessResponse",
           "CompleteReconciliation", "StartLeaveGroup", "CompleteLeaveGroup", "ClientCrash",
           "ReceiveRegularHeartbeatRequest", "ReceiveLeaveHeartbeatRequest",
           "ReceiveBadHeartbeatRequest", "LiveMemberExpired", "DeadMemberExpired")

# What each action stands for in Kafka 4.x (shown by `message` and in the docs).
ACTION_MEANING: dict[str, str] = {
    "SendHeartbeatRequest": "consumer sends ConsumerGroupHeartbeat, maybe with a new "
                            "subscription (ConsumerMembershipManager / "
                            "ConsumerHeartbeatRequestManager)",
    "ReceiveErrorResponse": "consumer gets FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID, drops "
                            "its assignment and rejoins with epoch 0 "
                            "(AbstractMembershipManager.transitionToFenced)",
    "ReceiveSuccessResponse": "consumer takes the member id, epoch and assignment of a "
                              "heartbeat response and starts reconciling",
    "CompleteReconciliation": "consumer finished revoking/assigning (callbacks, commits) "
                              "and acknowledges in the next heartbeat",
    "StartLeaveGroup": "consumer starts leaving (unsubscribe / close)",
    "CompleteLeaveGroup": "consumer drops its assignment and sends epoch -1 next",
    "ClientCrash": "consumer process restarts with no member id",
    "ReceiveRegularHeartbeatRequest": "coordinator handles a join or regular heartbeat: "
                                      "bumps the group epoch on membership/subscription "
                                      "change, computes a target assignment, reconciles "
                                      "the member (GroupMetadataManager.consumerGroupHeartbeat"
                                      ", CurrentAssignmentBuilder)",
    "ReceiveLeaveHeartbeatRequest": "coordinator removes a member that sent epoch -1",
    "ReceiveBadHeartbeatRequest": "coordinator answers UNKNOWN_MEMBER_ID, or fences a member "
                                  "whose epoch does not match (FENCED_MEMBER_EPOCH)",
    "LiveMemberExpired": "session timeout fences a member whose client is alive "
                         "(a perturbation)",
    "DeadMemberExpired": "session timeout removes a member its client no longer uses",
}


class Member(NamedTuple):
    """group_member_state[member_id]: the coordinator's record of one member."""

    member_id: int
    host: int                 # client index
    member_epoch: int
    target_epoch: int
    subscribed: int           # topic bitmask
    status: int               # MemberStatuses
    assigned: int             # assigned_partitions (partition bitmask)
    pending_revoke: int       # pending_revoke_partitions
    pending_assign: int       # pending_assign_partitions
    cached: int               # cached_topic_partitions: partition bitmask or NIL


class Group(NamedTuple):
    """The coordinator's variables (group_vars)."""

    members: tuple[Member, ...]          # group_members with group_member_state, by id
    epoch: int                           # group_epoch
    status: int                          # group_status
    target_epoch: int                    # group_target_assignment.epoch
    target: tuple[tuple[int, int], ...]  # .assignments: (member id, partitions), by id
    partition_epochs: tuple[int, ...]    # group_partition_epoch, by partition


class Client(NamedTuple):
    """client_state[c] with client_recon_proc[c] and client_leave_proc[c]."""

    connection_id: int
    member_id: int
    member_epoch: int
    status: int               # ClientStatuses, or an illegal-transition code
    subscribed: int           # topic bitmask
    curr: int                 # curr_assignment
    target: int               # target_assignment
    last_sent: int            # last_sent_partitions: partition bitmask or NIL
    has_inflight: bool
    recon: tuple[int, ...]    # () for Nil, else (epoch_on_start, assignment)
    leave: tuple[int, ...]    # () for Nil, else (assignment,)


class Request(NamedTuple):
    """A HeartbeatRequestMsg."""

    member_id: int
    member_epoch: int
    subscribed: int
    topic_partitions: int     # partition bitmask or NIL
    connection_id: int
    source: int


class Response(NamedTuple):
    """A HeartbeatResponseMsg."""

    error: int                # NO_ERROR (Nil) or an Errors value
    member_epoch: int
    member_id: int
    assignment: int           # partition bitmask or NIL
    connection_id: int
    dest: int


class Kip848State(NamedTuple):
    """One state of the specification, as interned ids and small ints."""

    group: int                # id of the Group record
    clients: int              # ids of the Client records, 24 bits per client
    messages: int             # id of the sorted tuple of message ids (the set `messages`)
    last_discard: int         # messages_last_discard: 0 for {}, else the message id
    aux_member_id: int
    aux_conn_id: int
    aux_perturb_ctr: int


CLIENT_BITS = 24
CLIENT_MASK = (1 << CLIENT_BITS) - 1


def transition_to(prev: int, nxt: int) -> int:
    """TransitionTo: ``nxt``, or an illegal-transition code that TypeOK rejects."""
    if prev == nxt or prev in _ENTERED_FROM.get(nxt, ()):
        return nxt
    return 16 * (prev + 1) + nxt


def is_valid_transition(prev: int, nxt: int) -> bool:
    """IsValidTransition."""
    return transition_to(prev, nxt) <= FATAL


def next_member_status(pending_revoke: int, pending_assign: int) -> int:
    """NextStatus."""
    if pending_revoke:
        return M_REVOKING
    return M_ASSIGNING if pending_assign else M_STABLE


class _Interner:
    """Gives every distinct value a small int id (from ``first``) and maps ids back."""

    def __init__(self, first: int = 0, step: int = 1) -> None:
        self.ids: dict[Any, int] = {}
        self.values: dict[int, Any] = {}
        self.next, self.step = first, step

    def id(self, value: Any) -> int:
        i = self.ids.get(value)
        if i is None:
            i = self.ids[value] = self.next
            self.values[i] = value
            self.next += self.step
        return i


class _Memo(dict):
    """A dict that fills itself from a function of the key on first lookup."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.fn(key)
        return value


def _bits(mask: int) -> Iterator[int]:
    i = 0
    while mask:
        if mask & 1:
            yield i
        mask >>= 1
        i += 1


class Kip848SpecModel(Model):
    """consumer_group_protocol_kip_848_v2.tla with TLC-identical state spaces.

    Action labels use the spec's action names with the client (``c1``, ``c2``, ...) and
    what distinguishes the successor (the message's connection, member id and epoch; the
    subscription sent; the target assignment chosen).
    """

    name = "kip848-spec"
    subject = ("the TLA+ specification consumer_group_protocol_kip_848_v2.tla, not a Kafka "
               "release (no STALE state, commits or static members; strict epoch fencing)")
    # States are ids into this instance's _Interner tables, filled in first-seen order, so
    # an id means another record in another process: the engines run it in one process
    # (--workers/--ray fall back to bfs, --checkpoint/--resume are refused; audit 16).
    process_local_states = True
    summary = ("Vanlightly's TLA+ spec of the KIP-848 consumer group protocol, exactly, for "
               "cross-checking against TLC")
    source = SOURCE
    bounds = (
        Bound("clients", 2, "Clients: consumers (c1, c2, ...)", minimum=1, maximum=3),
        Bound("topic_count", 2, "TopicCount: topics a client may subscribe to", minimum=1,
              maximum=3),
        Bound("partitions_per_topic", 1, "PartitionsPerTopic", minimum=1, maximum=2),
        Bound("max_perturbations", 1, "MaxPerturbations: subscription changes, leaves, "
              "crashes and live-member expiries (together)", minimum=0, maximum=3,
              fault="client crash, session expiry, leave or subscription change (together)",
              # A subscription change is a SendHeartbeatRequest like any other: not counted.
              injected_by=("ClientCrash|StartLeaveGroup|LiveMemberExpired",)),
    )

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        b = self.bound
        self.n = b["clients"]
        self.topics = b["topic_count"]
        self.ppt = b["partitions_per_topic"]
        self.max_perturbations = b["max_perturbations"]
        self.np = self.topics * self.ppt
        self.all_topics = (1 << self.topics) - 1
        self.all_partitions = (1 << self.np) - 1
        self.names = tuple(f"c{i + 1}" for i in range(self.n))
        self.groups = _Interner()
        self.client_ids = _Interner()
        self.requests = _Interner(1, 2)   # odd message ids
        self.responses = _Interner(2, 2)  # even message ids
        self.msets = _Interner()
        self._next = self._build_next()
        # engines look successors up once per run: give them the closure itself
        self.successors = self._next  # type: ignore[method-assign,assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the configuration (tables and closures are rebuilt in the new process)."""
        return (type(self), (self.config,))

    # -- the records --------------------------------------------------------------------------

    def initial_client(self) -> Client:
        """A client of Init (and after ClientCrash): joining, subscribed to every topic."""
        return Client(0, 0, JOIN_GROUP_MEMBER_EPOCH, JOINING, self.all_topics, 0, 0, NIL,
                      False, (), ())

    def topic_of(self, partition: int) -> int:
        """The topic (0-based) of partition bit ``partition``."""
        return partition // self.ppt

    def client(self, state: State, c: int) -> Client:
        """client_state[c] (with its reconciliation and leave processes) in ``state``."""
        return self.client_ids.values[(state[1] >> (CLIENT_BITS * c)) & CLIENT_MASK]

    def group(self, state: State) -> Group:
        """The coordinator's variables in ``state``."""
        return self.groups.values[state[0]]

    def in_flight(self, state: State) -> list[Request | Response]:
        """The set ``messages`` in ``state``."""
        return [self._msg(m) for m in self.msets.values[state[2]]]

    def _msg(self, mid: int) -> Request | Response:
        return self.requests.values[mid] if mid & 1 else self.responses.values[mid]

    # -- client actions -----------------------------------------------------------------------

    def converged(self, g: Group, clients: tuple[Client, ...]) -> bool:
        """Converged: the group and every client are stable on the group epoch."""
        if g.status != G_STABLE:
            return False
        members = {m.member_id: m for m in g.members}
        for cs in clients:
            mem = members.get(cs.member_id)
            if (cs.status != STABLE or cs.member_epoch != g.epoch or mem is None
                    or mem.status != M_STABLE or mem.member_epoch != g.epoch):
                return False
        return all(m.status == M_STABLE and m.member_epoch == g.epoch for m in g.members)

    def next_client_status(self, cs: Client) -> int:
        """NextClientStatus: the status a client takes when it sends a heartbeat."""
        if cs.status == UNSUBSCRIBED:
            return JOINING
        if cs.status == ACKNOWLEDGING:
            return STABLE if cs.target == cs.curr else RECONCILING
        if cs.status == LEAVING:
            return UNSUBSCRIBED
        return cs.status

    def send_heartbeat_request(self, c: int, cs: Client, ctr: int, aux_conn: int
                               ) -> list[tuple[Client, Request, int, int]]:
        """SendHeartbeatRequest(c) when not Converged: (client', request, aux_conn', ctr')."""
        if cs.has_inflight:
            return []
        if ctr == self.max_perturbations:
            choices: Any = (cs.subscribed,)
        elif ctr < self.max_perturbations:
            choices = range(1, self.all_topics + 1)  # any non-empty subscription
        else:
            return []
        conn = aux_conn + 1 if cs.connection_id == 0 else cs.connection_id
        send_partitions = cs.last_sent != cs.curr or cs.curr != cs.target
        status = self.next_client_status(cs)
        out = []
        for topics in choices:
            cs2 = cs._replace(status=status, subscribed=topics,
                              last_sent=cs.curr if send_partitions else cs.last_sent,
                              connection_id=conn, has_inflight=True)
            if status == UNSUBSCRIBED:
                cs2 = cs2._replace(member_id=0, member_epoch=0)
            req = Request(cs.member_id, cs.member_epoch, topics,
                          cs.curr if send_partitions else NIL, conn, c)
            out.append((cs2, req, max(conn, aux_conn), ctr + (topics != cs.subscribed)))
        return out

    def start_leave_group(self, cs: Client, ctr: int) -> tuple[Client, int] | None:
        """StartLeaveGroup(c): (client', ctr'), or None when not enabled."""
        if (ctr >= self.max_perturbations or cs.member_epoch <= 0
                or cs.status in (UNSUBSCRIBED, PREPARE_LEAVING, LEAVING)):
            return None
        return (cs._replace(status=transition_to(cs.status, PREPARE_LEAVING), leave=(cs.curr,)),
                ctr + 1)

    def complete_leave_group(self, cs: Client) -> Client | None:
        """CompleteLeaveGroup(c)."""
        if not cs.leave:
            return None
        if cs.status == PREPARE_LEAVING:
            cs = cs._replace(status=transition_to(cs.status, LEAVING),
                             member_epoch=LEAVE_GROUP_MEMBER_EPOCH, subscribed=0, curr=0,
                             target=0, last_sent=NIL)
        return cs._replace(leave=())

    def complete_reconciliation(self, cs: Client) -> Client | None:
        """CompleteReconciliation(c): adopt the reconciled assignment if still on its epoch."""
        if not cs.recon:
            return None
        epoch_on_start, assignment = cs.recon
        if cs.status == RECONCILING and epoch_on_start == cs.member_epoch:
            return cs._replace(status=transition_to(cs.status, ACKNOWLEDGING), curr=assignment,
                               recon=())
        return cs._replace(recon=())

    def client_crash(self, cs: Client, ctr: int) -> tuple[Client, int] | None:
        """ClientCrash(c): (client', ctr')."""
        if ctr >= self.max_perturbations or cs.member_epoch <= 0:
            return None
        return self.initial_client(), ctr + 1

    def receive_error_response(self, cs: Client, m: Response) -> Client | None:
        """ReceiveErrorResponse(c): fenced; rejoin (or finish leaving) with epoch 0."""
        if cs.connection_id != m.connection_id or m.error == NO_ERROR:
            return None
        if cs.status == UNSUBSCRIBED:
            return cs._replace(has_inflight=False)
        fenced = transition_to(cs.status, FENCED)
        after = UNSUBSCRIBED if cs.status in (PREPARE_LEAVING, LEAVING) else JOINING
        return cs._replace(member_id=0, member_epoch=0, has_inflight=False, curr=0, target=0,
                           last_sent=NIL, status=transition_to(fenced, after))

    def reconcile(self, cs: Client) -> Client:
        """Reconcile(c, cs2): start a reconciliation process unless one is running."""
        if cs.recon:
            return cs
        return cs._replace(status=transition_to(cs.status, RECONCILING),
                           recon=(cs.member_epoch, cs.target))

    def receive_success_response(self, cs: Client, m: Response) -> Client | None:
        """ReceiveSuccessResponse(c)."""
        if cs.connection_id != m.connection_id or m.error != NO_ERROR:
            return None
        cs1 = cs._replace(member_id=m.member_id, member_epoch=m.member_epoch,
                          has_inflight=False)
        if cs.status in (UNSUBSCRIBED, PREPARE_LEAVING, LEAVING):
            return cs._replace(has_inflight=False)
        if m.assignment == NIL:
            if cs1.target == cs.curr:
                return cs1._replace(status=transition_to(cs.status, STABLE))
            if cs.status == RECONCILING and not cs.recon:
                return self.reconcile(cs1)
            return cs1
        if not is_valid_transition(cs.status, RECONCILING):
            return None  # the spec leaves client_recon_proc' unspecified: TLC stops there
        if m.assignment == cs.curr:
            if cs.status in (JOINING, RECONCILING):
                return cs1._replace(status=transition_to(cs.status, STABLE))
            return cs1
        return self.reconcile(cs1._replace(target=m.assignment))

    # -- coordinator actions ------------------------------------------------------------------

    @staticmethod
    def member(g: Group, member_id: int) -> Member | None:
        """group_member_state[member_id], or None when not in group_members."""
        for m in g.members:
            if m.member_id == member_id:
                return m
        return None

    @staticmethod
    def with_member(members: tuple[Member, ...], new: Member) -> tuple[Member, ...]:
        """UpdatedGroupMemberState: add or replace one member (kept sorted by id)."""
        rest = [m for m in members if m.member_id != new.member_id]
        return tuple(sorted([*rest, new]))

    def is_unknown(self, g: Group, m: Request) -> bool:
        """IsUnknown: a non-zero member id the group does not know."""
        return m.member_id != 0 and self.member(g, m.member_id) is None

    def should_fence(self, g: Group, m: Request) -> bool:
        """ShouldFence: a known member sent an epoch other than its current one."""
        mem = self.member(g, m.member_id)
        return (mem is not None and m.member_epoch != LEAVE_GROUP_MEMBER_EPOCH
                and mem.member_epoch != m.member_epoch)

    def is_leaving(self, g: Group, m: Request) -> bool:
        """IsLeaving: a known member sent the leave epoch -1."""
        mem = self.member(g, m.member_id)
        return (mem is not None and mem.member_epoch != LEAVE_GROUP_MEMBER_EPOCH
                and m.member_epoch == LEAVE_GROUP_MEMBER_EPOCH)

    def maybe_update_group_state(self, members: tuple[Member, ...], group_epoch: int,
                                 target_epoch: int) -> int:
        """MaybeUpdateGroupState: the group status after an update."""
        if not members:
            return G_EMPTY
        if group_epoch > target_epoch:
            return G_ASSIGNING
        if any(m.status != M_STABLE or m.target_epoch != target_epoch for m in members):
            return G_RECONCILING
        return G_STABLE

    def updated_partition_epochs(self, g: Group, member_id: int, assigned: int, revoking: int,
                                 epoch: int) -> tuple[int, ...]:
        """MaybeUpdatePartitionEpochs2: partitions a member holds take its epoch, released 0."""
        old = self.member(g, member_id)
        held = assigned | revoking
        was = 0 if old is None else old.assigned | old.pending_revoke
        return tuple(epoch if held >> p & 1 else 0 if was >> p & 1 else e
                     for p, e in enumerate(g.partition_epochs))

    def fence_member(self, g: Group, member_id: int) -> Group:
        """FenceMember: remove a member, bump the group epoch, free its partitions."""
        members = tuple(m for m in g.members if m.member_id != member_id)
        epoch = g.epoch + 1
        return g._replace(members=members, epoch=epoch,
                          status=self.maybe_update_group_state(members, epoch, g.target_epoch),
                          partition_epochs=self.updated_partition_epochs(g, member_id, 0, 0, 0))

    def build_assignments(self, members: tuple[Member, ...]) -> list[tuple[tuple[int, int], ...]]:
        """BuildAssignment: every map of partitions to members subscribed to their topic."""
        options = []
        for p in range(self.np):
            bit = 1 << self.topic_of(p)
            owners = [i for i, m in enumerate(members) if m.subscribed & bit]
            if not owners:
                return []  # kSubset has no candidate set covering p: not enabled
            options.append(owners)
        out = []
        for owners in itertools.product(*options):
            masks = [0] * len(members)
            for p, i in enumerate(owners):
                masks[i] |= 1 << p
            out.append(tuple((m.member_id, mask) for m, mask in zip(members, masks, strict=True)))
        return out

    def assign_freed(self, m: Member, target_epoch: int, epochs: tuple[int, ...]) -> Member:
        """Take the pending partitions whose epoch is 0 and move to the target epoch."""
        freed = sum(1 << p for p in _bits(m.pending_assign) if epochs[p] == 0)
        pending = m.pending_assign & ~freed
        return m._replace(status=next_member_status(0, pending), member_epoch=target_epoch,
                          target_epoch=target_epoch, assigned=m.assigned | freed,
                          pending_revoke=0, pending_assign=pending)

    def transition_to_new_target(self, m: Member, target_epoch: int, target: int,
                                 epochs: tuple[int, ...]) -> Member:
        """TransitionToNewTargetAssignmentState: revoke first, else take the freed partitions."""
        held = m.assigned | m.pending_revoke
        keep = held & target
        revoke = held & ~keep
        pending = target & ~keep
        freed = sum(1 << p for p in _bits(pending) if epochs[p] == 0)
        if revoke:
            return m._replace(status=next_member_status(revoke, pending & ~freed),
                              target_epoch=target_epoch, assigned=keep,
                              pending_revoke=revoke, pending_assign=pending)
        return m._replace(status=next_member_status(0, pending & ~freed),
                          member_epoch=target_epoch, target_epoch=target_epoch,
                          assigned=keep | freed, pending_revoke=0,
                          pending_assign=pending & ~freed)

    def compute_current_assignment(self, m: Member, target_epoch: int, target: int,
                                   epochs: tuple[int, ...]) -> Member:
        """ComputeCurrentAssignment (the coordinator's reconciliation of one member)."""
        if target_epoch != m.target_epoch:
            return self.transition_to_new_target(m, target_epoch, target, epochs)
        if m.status == M_REVOKING:
            # MaybeTransitionFromRevokingToAssigningOrStable: the client reported the
            # partitions it kept (cached_topic_partitions), so the revocation is done
            if m.pending_revoke == 0 or m.assigned == m.cached:
                return self.assign_freed(m, target_epoch, epochs)
            return m
        if m.status == M_ASSIGNING:
            if any(epochs[p] == 0 for p in _bits(m.pending_assign)):
                return self.assign_freed(m, target_epoch, epochs)
            return m
        return m

    def receive_regular_heartbeat_request(self, g: Group, aux_member_id: int, m: Request
                                          ) -> list[tuple[Group, Response, int]]:
        """ReceiveRegularHeartbeatRequest: (group', reply, aux_member_id') per target chosen."""
        if self.is_unknown(g, m) or self.should_fence(g, m) or self.is_leaving(g, m):
            return []
        joining = m.member_id == 0
        member_id = aux_member_id + 1 if joining else m.member_id
        old = None if joining else self.member(g, member_id)
        if old is None:
            member0 = Member(member_id, m.source, 0, 0, m.subscribed, M_STABLE, 0, 0, 0, NIL)
        else:
            member0 = old._replace(subscribed=m.subscribed,
                                   cached=old.cached if m.topic_partitions == NIL
                                   else m.topic_partitions)
        bump = old is None or old.subscribed != member0.subscribed
        group_epoch = g.epoch + 1 if bump else g.epoch
        target_epoch = group_epoch
        if group_epoch > g.target_epoch:
            targets = [(group_epoch, t)
                       for t in self.build_assignments(self.with_member(g.members, member0))]
        else:
            targets = [(g.target_epoch, g.target)]
        out = []
        for t_epoch, target in targets:
            mine = dict(target).get(member_id)
            if mine is None:
                continue  # TLC: function applied outside its domain (not reachable)
            member1 = member0
            if member0.status != M_STABLE or member0.target_epoch != target_epoch:
                member1 = self.compute_current_assignment(member0, target_epoch, mine,
                                                          g.partition_epochs)
            send_assignment = (m.topic_partitions != NIL or m.member_epoch == 0
                               or member1 != member0)
            members = self.with_member(g.members, member1)
            g2 = Group(members, group_epoch,
                       self.maybe_update_group_state(members, group_epoch, target_epoch),
                       t_epoch, target,
                       self.updated_partition_epochs(g, member_id, member1.assigned,
                                                     member1.pending_revoke,
                                                     member1.member_epoch))
            reply = Response(NO_ERROR, member1.member_epoch, member1.member_id,
                             member1.assigned if send_assignment else NIL, m.connection_id,
                             m.source)
            out.append((g2, reply, member_id if joining else aux_member_id))
        return out

    def receive_leave_heartbeat_request(self, g: Group, m: Request
                                        ) -> tuple[Group, Response] | None:
        """ReceiveLeaveHeartbeatRequest: fence the leaving member, answer epoch -1."""
        if not self.is_leaving(g, m):
            return None
        return (self.fence_member(g, m.member_id),
                Response(NO_ERROR, LEAVE_GROUP_MEMBER_EPOCH, m.member_id, NIL, m.connection_id,
                         m.source))

    def receive_bad_heartbeat_request(self, g: Group, m: Request
                                      ) -> tuple[Group, Response] | None:
        """ReceiveBadHeartbeatRequest: UNKNOWN_MEMBER_ID, or fence with FENCED_MEMBER_EPOCH."""
        if self.is_unknown(g, m):
            return g, Response(UNKNOWN_MEMBER_ID, 0, 0, NIL, m.connection_id, m.source)
        if self.should_fence(g, m):
            return (self.fence_member(g, m.member_id),
                    Response(FENCED_MEMBER_EPOCH, 0, 0, NIL, m.connection_id, m.source))
        return None

    def dead_member_expired(self, member_id: int, host: Client) -> bool:
        """DeadMemberExpired's condition: the member's client has moved on to another id."""
        return (host.member_id != member_id and host.member_id != 0
                and host.status != JOINING)

    def live_member_expired(self, ctr: int) -> bool:
        """LiveMemberExpired's condition: a perturbation is left."""
        return ctr < self.max_perturbations

    # -- the state machine --------------------------------------------------------------------

    def init_states(self) -> list[State]:
        """Init: an empty group; every client joining, subscribed to every topic."""
        g = self.groups.id(Group((), 0, G_EMPTY, 0, (), (0,) * self.np))
        cid = self.client_ids.id(self.initial_client())
        clients = sum(cid << (CLIENT_BITS * c) for c in range(self.n))
        return [Kip848State(g, clients, self.msets.id(()), 0, 0, 0, 0)]

    def _build_next(self) -> Callable[[State], list[tuple[Action, State]]]:
        """Next as a closure over memo tables keyed by the ids each action reads."""
        n, names = self.n, self.names
        shifts = [CLIENT_BITS * c for c in range(n)]
        cval, gval = self.client_ids.values, self.groups.values
        cid_of, gid_of = self.client_ids.id, self.groups.id

        def msg_id(m: Request | Response) -> int:
            return (self.requests if isinstance(m, Request) else self.responses).id(m)

        def local(c: int, key: int) -> tuple[tuple[Action, int, int], ...]:
            # CompleteReconciliation, StartLeaveGroup, CompleteLeaveGroup, ClientCrash
            cid, ctr = key >> 8, key & 255
            cs, out = cval[cid], []
            if (cs2 := self.complete_reconciliation(cs)) is not None:
                out.append((("CompleteReconciliation", names[c]), cs2, ctr))
            if (r := self.start_leave_group(cs, ctr)) is not None:
                out.append((("StartLeaveGroup", names[c]), *r))
            if (cs2 := self.complete_leave_group(cs)) is not None:
                out.append((("CompleteLeaveGroup", names[c]), cs2, ctr))
            if (r := self.client_crash(cs, ctr)) is not None:
                out.append((("ClientCrash", names[c]), *r))
            return tuple((label, (cid_of(cs2) - cid) << shifts[c], ctr2 - ctr)
                         for label, cs2, ctr2 in out)

        def send(c: int, key: int) -> tuple[tuple[Action, int, int, int, int], ...]:
            cid, acon, ctr = key >> 40, (key >> 8) & 0xFFFFFFFF, key & 255
            out = []
            for cs2, req, acon2, ctr2 in self.send_heartbeat_request(c, cval[cid], ctr, acon):
                label = ("SendHeartbeatRequest", names[c], self._topics(req.subscribed))
                out.append((label, (cid_of(cs2) - cid) << shifts[c], msg_id(req), acon2,
                            ctr2 - ctr))
            return tuple(out)

        def on_response(key: int) -> tuple[Action, int] | None:
            cid, mid = key >> 32, key & 0xFFFFFFFF
            m = self.responses.values[mid]
            cs = cval[cid]
            name = "ReceiveErrorResponse" if m.error != NO_ERROR else "ReceiveSuccessResponse"
            handler = (self.receive_error_response if m.error != NO_ERROR
                       else self.receive_success_response)
            cs2 = handler(cs, m)
            if cs2 is None:
                return None
            return ((name, names[m.dest], f"conn {m.connection_id}"),
                    (cid_of(cs2) - cid) << shifts[m.dest])

        def on_request(key: int) -> tuple[tuple[Action, int, int, int], ...]:
            gid, amid, mid = key >> 64, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
            g, m = gval[gid], self.requests.values[mid]
            c = names[m.source]
            tag = (f"conn {m.connection_id}, member {m.member_id}, epoch {m.member_epoch}",)
            out = []
            regular = self.receive_regular_heartbeat_request(g, amid, m)
            for g2, reply, amid2 in regular:
                target = (f"target {self._assignment(g2.target)}",) if len(regular) > 1 else ()
                out.append((("ReceiveRegularHeartbeatRequest", c, *tag, *target), gid_of(g2),
                            msg_id(reply), amid2))
            if (r := self.receive_leave_heartbeat_request(g, m)) is not None:
                out.append((("ReceiveLeaveHeartbeatRequest", c, *tag), gid_of(r[0]),
                            msg_id(r[1]), amid))
            if (r := self.receive_bad_heartbeat_request(g, m)) is not None:
                out.append((("ReceiveBadHeartbeatRequest", c, *tag), gid_of(r[0]),
                            msg_id(r[1]), amid))
            return tuple(out)

        def expiries(gid: int) -> tuple[tuple[int, int, int, Action, Action], ...]:
            g = gval[gid]
            return tuple((mem.member_id, shifts[mem.host],
                          gid_of(self.fence_member(g, mem.member_id)),
                          ("DeadMemberExpired", f"m{mem.member_id}"),
                          ("LiveMemberExpired", names[mem.host], f"m{mem.member_id}"))
                         for mem in g.members)

        def mset_info(ms: int) -> tuple[tuple[int, int, int, int], ...]:
            out = []
            for mid in self.msets.values[ms]:
                m = self._msg(mid)
                peer = m.source if isinstance(m, Request) else m.dest
                out.append((mid, shifts[peer], mid & 1, m.connection_id))
            return tuple(out)

        msid = self.msets.id

        def add_msg(key: int) -> int:
            ms, mid = key >> 32, key & 0xFFFFFFFF
            return msid(tuple(sorted({*self.msets.values[ms], mid})))

        def remove_msg(key: int) -> int:
            ms, mid = key >> 32, key & 0xFFFFFFFF
            return msid(tuple(x for x in self.msets.values[ms] if x != mid))

        def replace_msg(key: int) -> int:
            ms, mid, reply = key >> 64, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
            return msid(tuple(sorted({*(x for x in self.msets.values[ms] if x != mid),
                                      reply})))

        def quick_stable(gid: int) -> bool:
            g = gval[gid]
            return g.status == G_STABLE and all(
                m.status == M_STABLE and m.member_epoch == g.epoch for m in g.members)

        def converged_of(key: tuple[int, int]) -> bool:
            gid, cl = key
            return self.converged(gval[gid], tuple(cval[(cl >> sh) & CLIENT_MASK]
                                                   for sh in shifts))

        def dead_of(key: int) -> bool:
            return self.dead_member_expired(key & 0xFFFFFFFF, cval[key >> 32])

        local_t = [_Memo(lambda k, c=c: local(c, k)) for c in range(n)]
        send_t = [_Memo(lambda k, c=c: send(c, k)) for c in range(n)]
        resp_t, req_t, exp_t = _Memo(on_response), _Memo(on_request), _Memo(expiries)
        info_t, add_t, rem_t, rep_t = (_Memo(mset_info), _Memo(add_msg), _Memo(remove_msg),
                                       _Memo(replace_msg))
        stable_t, conv_t, dead_t = _Memo(quick_stable), _Memo(converged_of), _Memo(dead_of)
        conn_t = _Memo(lambda cid: cval[cid].connection_id)
        live_t = _Memo(self.live_member_expired)

        def client_moves(key: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
            # every client's local actions and heartbeat sends, for (clients, ctr, aux_conn)
            cl, ctr, acon = key >> 40, (key >> 32) & 255, key & 0xFFFFFFFF
            loc: list[Any] = []
            snd: list[Any] = []
            for c, sh in enumerate(shifts):
                cid = (cl >> sh) & CLIENT_MASK
                loc.extend(local_t[c][cid << 8 | ctr])
                snd.extend(send_t[c][(cid << 32 | acon) << 8 | ctr])
            return tuple(loc), tuple(snd)

        moves_t = _Memo(client_moves)
        new, S = tuple.__new__, Kip848State

        def successors(s: State) -> list[tuple[Action, State]]:
            g, cl, ms, ld, amid, acon, ctr = s
            loc, snd = moves_t[(cl << 8 | ctr) << 32 | acon]
            out = [(label, new(S, (g, cl + dcl, ms, ld, amid, acon, ctr + dctr)))
                   for label, dcl, dctr in loc]
            add = out.append
            if snd and not (stable_t[g] and conv_t[g, cl]):
                for label, dcl, mid, acon2, dctr in snd:
                    add((label, new(S, (g, cl + dcl, add_t[ms << 32 | mid], 0, amid, acon2,
                                        ctr + dctr))))
            for mid, sh, is_request, conn in info_t[ms]:
                cid = (cl >> sh) & CLIENT_MASK
                if is_request:
                    ok = conn_t[cid] == conn
                    for label, g2, reply, amid2 in req_t[(g << 32 | amid) << 32 | mid]:
                        ms2 = rep_t[(ms << 32 | mid) << 32 | reply] if ok else rem_t[ms << 32
                                                                                     | mid]
                        add((label, new(S, (g2, cl, ms2, mid, amid2, acon, ctr))))
                else:
                    r = resp_t[cid << 32 | mid]
                    if r is not None:
                        add((r[0], new(S, (g, cl + r[1], rem_t[ms << 32 | mid], mid, amid, acon,
                                           ctr))))
            expiring = exp_t[g]
            if expiring:
                live = live_t[ctr]
                for mid, sh, g2, dead_label, live_label in expiring:
                    if dead_t[((cl >> sh) & CLIENT_MASK) << 32 | mid]:
                        add((dead_label, new(S, (g2, cl, ms, ld, amid, acon, ctr))))
                    if live:
                        add((live_label, new(S, (g2, cl, ms, ld, amid, acon, ctr + 1))))
            return out

        return successors

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:  # type: ignore[override]
        """Every enabled action of Next and the state it leads to."""
        return iter(self._next(state))  # instances bind self.successors to _next directly

    def action_families(self) -> tuple[str, ...]:
        return ACTIONS

    # -- properties ---------------------------------------------------------------------------

    def _group_type_ok(self, g: Group) -> bool:
        topics, parts = self.all_topics, self.all_partitions

        def subset(x: int, full: int) -> bool:
            return 0 <= x and x & ~full == 0

        for m in g.members:
            if not (0 <= m.host < self.n and m.member_id >= 0 and m.member_epoch >= 0
                    and m.target_epoch >= 0 and subset(m.subscribed, topics)
                    and m.status in (M_STABLE, M_REVOKING, M_ASSIGNING)
                    and subset(m.assigned, parts) and subset(m.pending_revoke, parts)
                    and subset(m.pending_assign, parts)
                    and (m.cached == NIL or subset(m.cached, parts))):
                return False
        return (g.epoch >= 0 and g.target_epoch >= 0
                and all(subset(mask, parts) for _, mask in g.target)
                and all(e >= 0 for e in g.partition_epochs)
                and g.status in (G_EMPTY, G_STABLE, G_ASSIGNING, G_RECONCILING))

    def _client_type_ok(self, cs: Client) -> bool:
        topics, parts = self.all_topics, self.all_partitions

        def subset(x: int, full: int) -> bool:
            return 0 <= x and x & ~full == 0

        return (cs.connection_id >= 0 and cs.member_id >= 0 and cs.member_epoch >= -1
                and 0 <= cs.status <= FATAL and subset(cs.subscribed, topics)
                and subset(cs.curr, parts) and subset(cs.target, parts)
                and (cs.last_sent == NIL or subset(cs.last_sent, parts))
                and cs.has_inflight in (True, False)
                and (not cs.recon or (cs.recon[0] >= 0 and subset(cs.recon[1], parts)))
                and (not cs.leave or subset(cs.leave[0], parts)))

    # The state invariants, as bits of one verdict (see properties()).
    INVARIANTS = ("TypeOK", "LegalTargetAssignment", "NoDoubleClientAssignment",
                  "ValidPartitionEpoch", "ValidStableGroupState", "ValidMemberEpoch")

    def group_verdict(self, g: Group) -> int:
        """The invariants violated by the coordinator's variables alone, as bits."""
        bits = {name: 1 << i for i, name in enumerate(self.INVARIANTS)}
        bad = 0 if self._group_type_ok(g) else bits["TypeOK"]
        # LegalTargetAssignment: <<>>, or every partition in exactly one member's set
        seen = twice = 0
        for _, mask in g.target:
            twice |= seen & mask
            seen |= mask
        if g.target and (seen != self.all_partitions or twice):
            bad |= bits["LegalTargetAssignment"]
        # ValidPartitionEpoch: a partition with epoch 0 is held by no member
        held = 0
        for m in g.members:
            held |= m.assigned | m.pending_revoke
        if any(e == 0 and held >> p & 1 for p, e in enumerate(g.partition_epochs)):
            bad |= bits["ValidPartitionEpoch"]
        # ValidStableGroupState
        if g.status == G_STABLE:
            target = dict(g.target)
            if not all(m.status == M_STABLE and m.member_epoch == g.epoch
                       and m.pending_revoke == 0 and m.assigned == target.get(m.member_id)
                       for m in g.members):
                bad |= bits["ValidStableGroupState"]
        return bad

    def client_verdict(self, g: Group, cs: Client) -> tuple[int, int]:
        """(invariants violated by one client against the group, as bits; the partitions it
        owns as a group member, for NoDoubleClientAssignment)."""
        bits = {name: 1 << i for i, name in enumerate(self.INVARIANTS)}
        bad = 0 if self._client_type_ok(cs) else bits["TypeOK"]
        # ValidMemberEpoch: on the target epoch, no partition of another member's target
        if cs.member_epoch == g.target_epoch:
            others = 0
            for mid, mask in g.target:
                if mid != cs.member_id:
                    others |= mask
            if cs.curr & others:
                bad |= bits["ValidMemberEpoch"]
        member = self.member(g, cs.member_id) is not None
        return bad, cs.curr if member else 0

    def client_epoch_step_ok(self, before: Client, after: Client) -> bool:
        """ClientSideMemberEpochIsMonotonic for one client: when client_state[c] changes, its
        member epoch goes up, or to 0 (join) or -1 (leave)."""
        return (before[:9] == after[:9] or after.member_epoch <= 0
                or after.member_epoch >= before.member_epoch)

    def gc_epoch_step_ok(self, g: Group, g2: Group, mid: int, mid2: int) -> bool:
        """GcSideMemberEpochIsMonotonic for one client whose member id goes from ``mid`` to
        ``mid2``.  The spec primes ``group_member_state[mid]`` as a whole, so the new record
        is read at the new member id; where that id is not a member TLC cannot evaluate the
        property (an error there): we report it as violated."""
        old = self.member(g, mid)
        if not (mid > 0 and mid2 > 0 and old is not None
                and self.member(g2, mid) is not None):
            return True  # not MemberUpdated(c)
        new = self.member(g2, mid2)
        if new is None:
            return False
        return new == old or new.member_epoch >= old.member_epoch

    def properties(self) -> list[Property]:
        gval, cval = self.groups.values, self.client_ids.values
        shifts = [CLIENT_BITS * c for c in range(self.n)]
        src = "consumer_group_protocol_kip_848_v2.tla"
        type_bit, double_bit = 1, 1 << self.INVARIANTS.index("NoDoubleClientAssignment")
        group_t = _Memo(lambda gid: self.group_verdict(gval[gid]))
        client_t = _Memo(lambda key: self.client_verdict(gval[key >> 32],
                                                         cval[key & 0xFFFFFFFF]))
        last: list[Any] = [None, 0]

        def verdict(s: State) -> int:
            # Engines check every invariant on the same state in a row: compute all once.
            if s is last[0]:
                return last[1]
            g, cl = s[0], s[1]
            bad = group_t[g]
            g <<= 32
            owned = 0
            for sh in shifts:
                cbad, curr = client_t[g | (cl >> sh) & CLIENT_MASK]
                bad |= cbad
                if owned & curr:
                    bad |= double_bit
                owned |= curr
            if s[4] < 0 or s[6] < 0:  # aux_member_id, aux_perturb_ctr \in Nat
                bad |= type_bit
            last[0], last[1] = s, bad
            return bad

        def holds(bit: int) -> Callable[[State], bool]:
            def pred(s: State) -> bool:
                return not (last[1] if s is last[0] else verdict(s)) & bit
            return pred

        inv = {name: holds(1 << i) for i, name in enumerate(self.INVARIANTS)}

        client_step_t = _Memo(lambda key: self.client_epoch_step_ok(
            cval[key >> 32], cval[key & 0xFFFFFFFF]))

        def client_epochs_monotonic(before: State, _action: Action, after: State) -> bool:
            cl, cl2 = before[1], after[1]
            return cl == cl2 or all(
                client_step_t[((cl >> sh) & CLIENT_MASK) << 32 | (cl2 >> sh) & CLIENT_MASK]
                for sh in shifts)

        def gc_step_of(key: tuple[int, ...]) -> bool:
            g, g2 = gval[key[0]], gval[key[1]]
            ids = key[2:]
            return all(self.gc_epoch_step_ok(g, g2, ids[2 * c], ids[2 * c + 1])
                       for c in range(self.n))

        gc_step_t = _Memo(gc_step_of)

        def gc_epochs_monotonic(before: State, _action: Action, after: State) -> bool:
            cl, cl2 = before[1], after[1]
            key = [before[0], after[0]]
            for sh in shifts:
                key.append(cval[(cl >> sh) & CLIENT_MASK].member_id)
                key.append(cval[(cl2 >> sh) & CLIENT_MASK].member_id)
            return gc_step_t[tuple(key)]

        return [
            always("TypeOK", "every variable keeps the type the spec declares (client "
                   "statuses only change by legal transitions)", inv["TypeOK"], source=src,
                   explanation="a variable left its declared type; a client status outside "
                               "ClientStatuses is TransitionTo's marker of an illegal "
                               "transition"),
            always("LegalTargetAssignment", "the target assignment gives every partition "
                   "to exactly one member", inv["LegalTargetAssignment"], source=src,
                   explanation="the coordinator's target assignment leaves a partition out "
                               "or gives it to two members"),
            always("NoDoubleClientAssignment", "no two clients that are group members both "
                   "own a partition", inv["NoDoubleClientAssignment"], source=src,
                   explanation="two consumers of the group both hold the same partition: "
                               "records would be processed twice"),
            always("ValidPartitionEpoch", "a partition held by a member (assigned or "
                   "pending revocation) has a non-zero partition epoch",
                   inv["ValidPartitionEpoch"], source=src,
                   explanation="the coordinator believes a partition is free (epoch 0) while "
                               "a member still holds it, so it can hand it to another member"),
            always("ValidStableGroupState", "a STABLE group has every member stable on the "
                   "group epoch with its target assignment and nothing to revoke",
                   inv["ValidStableGroupState"], source=src,
                   explanation="the group reports STABLE while a member is still reconciling"),
            always("ValidMemberEpoch", "a client on the target epoch owns no partition that "
                   "the target gives to another member", inv["ValidMemberEpoch"], source=src,
                   explanation="a client reached the target epoch while still holding a "
                               "partition that is another member's in the target"),
            always_step("ClientSideMemberEpochIsMonotonic", "a client's member epoch only "
                        "goes down to 0 or -1 (join or leave)", client_epochs_monotonic,
                        source=src + " (action property; commented out in its cfg)",
                        explanation="a client moved to an older member epoch"),
            always_step("GcSideMemberEpochIsMonotonic", "the coordinator never lowers a "
                        "member's epoch", gc_epochs_monotonic,
                        source=src + " (action property; commented out in its cfg)",
                        explanation="the coordinator's record of a member went back to an "
                                    "older epoch"),
        ]

    # -- presentation -------------------------------------------------------------------------

    def _topics(self, mask: int) -> str:
        return "{" + ", ".join(str(t + 1) for t in _bits(mask)) + "}"

    def _parts(self, mask: int) -> str:
        if mask == NIL:
            return "Nil"
        return "{" + ", ".join(f"<<{p // self.ppt + 1}, {p % self.ppt + 1}>>"
                               for p in _bits(mask)) + "}"

    def _assignment(self, target: tuple[tuple[int, int], ...]) -> str:
        return " ".join(f"m{mid}:{self._parts(mask)}" for mid, mask in target)

    def _status(self, code: int) -> str:
        if code <= FATAL:
            return CLIENT_STATUS_NAMES[code]
        return f"<<{self._status(code // 16 - 1)}, {CLIENT_STATUS_NAMES[code % 16]}, " \
               "ILLEGAL_STATE>>"

    def describe_message(self, m: Request | Response) -> str:
        """A message as the spec's record, in short."""
        if isinstance(m, Request):
            return (f"HeartbeatRequest(from {self.names[m.source]}, member {m.member_id}, "
                    f"epoch {m.member_epoch}, subscribed {self._topics(m.subscribed)}, "
                    f"partitions {self._parts(m.topic_partitions)}, conn {m.connection_id})")
        return (f"HeartbeatResponse(to {self.names[m.dest]}, error {ERROR_NAMES[m.error]}, "
                f"member {m.member_id}, epoch {m.member_epoch}, "
                f"assignment {self._parts(m.assignment)}, conn {m.connection_id})")

    def view(self, state: State) -> dict[str, Any]:
        """The specification's variables."""
        g = self.group(state)
        out: dict[str, Any] = {
            "group_members": tuple(m.member_id for m in g.members),
            "group_epoch": g.epoch,
            "group_status": GROUP_STATUS_NAMES[g.status],
            "group_target_assignment": (f"epoch {g.target_epoch}: "
                                        + (self._assignment(g.target) or "<<>>")),
            "group_partition_epoch": g.partition_epochs,
        }
        for m in g.members:
            out[f"group_member_state[{m.member_id}]"] = (
                f"host {self.names[m.host]}, epoch {m.member_epoch}, target epoch "
                f"{m.target_epoch}, {MEMBER_STATUS_NAMES[m.status]}, subscribed "
                f"{self._topics(m.subscribed)}, assigned {self._parts(m.assigned)}, revoking "
                f"{self._parts(m.pending_revoke)}, pending {self._parts(m.pending_assign)}, "
                f"cached {self._parts(m.cached)}")
        for c, name in enumerate(self.names):
            cs = self.client(state, c)
            out[f"client_state[{name}]"] = (
                f"{self._status(cs.status)}, member {cs.member_id}, epoch {cs.member_epoch}, "
                f"conn {cs.connection_id}, subscribed {self._topics(cs.subscribed)}, curr "
                f"{self._parts(cs.curr)}, target {self._parts(cs.target)}, last sent "
                f"{self._parts(cs.last_sent)}, inflight {cs.has_inflight}")
            out[f"client_recon_proc[{name}]"] = (
                "Nil" if not cs.recon
                else f"epoch {cs.recon[0]}, assignment {self._parts(cs.recon[1])}")
            out[f"client_leave_proc[{name}]"] = (
                "Nil" if not cs.leave else f"assignment {self._parts(cs.leave[0])}")
        out["messages"] = tuple(sorted(self.describe_message(m) for m in self.in_flight(state)))
        out["messages_last_discard"] = ("{}" if not state[3]
                                        else self.describe_message(self._msg(state[3])))
        out["aux_member_id"], out["aux_conn_id"], out["aux_perturb_ctr"] = state[4:7]
        return out

    def message(self, action: Action, before: State, after: State) -> Message:
        """Client actions from the client, coordinator actions to it (sequence diagrams)."""
        name, *args = action
        who = args[0] if args and isinstance(args[0], str) and args[0] in self.names else None
        if name.startswith("Receive") and name.endswith("Request") or "Expired" in name:
            return Message("Coordinator", who or "Coordinator", format_action(action))
        if name == "SendHeartbeatRequest":
            return Message(who or "c1", "Coordinator", format_action(action))
        return Message(who or "c1", who or "c1", format_action(action))

    def participants(self) -> tuple[str, ...]:
        return ("Coordinator", *self.names)

