"""Jason Gustafson's TLA+ specification of Kafka replication, action for action, in fast Python.

The specification is ``hachikuji/kafka-specification`` (Apache-2.0): the module
``KafkaReplication`` holds the shared state and actions, and five modules extend it with
the follower-truncation and fencing rules of successive Kafka versions.  The bound
``variant`` picks one of them.  This model keeps the specification's abstraction exactly
(one partition; the same variables, initial state, actions, enabling conditions and
invariants) so that its state counts and shortest counterexamples equal TLC's.

How the specification's variables are held (every value is a small int, so hashes are
the same in every process):

* ``replicaLog[r]`` is a log id: an index into the table of every possible log, a tuple
  of records ``(id, epoch)`` of length at most ``log_size``.  Record ids are unique and
  a record never changes offset, so only logs whose ids are distinct are tabulated.
* ``replicaState[r]`` (hw, leaderEpoch, leader, isr) and the log id are packed into one
  int per replica; ``Nil`` is stored as epoch ``-1``, ``None`` as replica index ``n``,
  an ISR as a bitmask.
* ``nextRecordId``, ``quorumState`` (leader, isr) and ``leaderAndIsrRequests`` are packed
  into one controller int.  Every controller update consumes a fresh epoch, so the
  request set holds exactly one request per epoch ``0 .. nextLeaderEpoch - 1`` and is
  stored as the list of their (leader, isr); ``nextLeaderEpoch`` is its length and
  ``quorumState.leaderEpoch`` is ``nextLeaderEpoch - 1`` (``Nil`` when no request exists).

A state is the plain tuple ``(replica_0, ..., replica_{n-1}, controller)`` of those codes;
every field is read by name through ``ReplicaVars`` and ``ControllerVars`` (decoded once per
code and cached).  The tuple itself stays plain: a NamedTuple per broker count made the
Kip320 reference run 16% slower (a tuple subclass is built in Python on every transition
and never untracked by the garbage collector), and this model must stay fast next to TLC.

The modules are layered as the specification layers them: ``KafkaSpecModel`` holds
KafkaReplication.tla, each variant is a subclass overriding the actions its module redefines
(``Kip320FirstTry`` and ``Kip320`` EXTEND ``Kip279``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

from kafkacheck.model.interface import POWER_LOSS, Action, Bound, Message, Model, State
from kafkacheck.properties.base import Property, always

# bound value -> TLA+ module name
VARIANTS: dict[str, str] = {
    "truncate-to-high-watermark": "KafkaTruncateToHighWatermark",
    "kip101": "Kip101",
    "kip279": "Kip279",
    "kip320-first-try": "Kip320FirstTry",
    "kip320": "Kip320",
}
# The actions every variant's Next shares (KafkaReplication.tla).
_COMMON = ("ControllerElectLeader", "ControllerShrinkIsr", "BecomeLeader", "LeaderWrite")

# What each action stands for in Kafka (shown by `message` and in the docs).
ACTION_MEANING: dict[str, str] = {
    "ControllerElectLeader": "controller elects a leader from the ISR and sends "
                             "LeaderAndIsr (KafkaController / PartitionStateMachine)",
    "ControllerShrinkIsr": "controller removes a failed broker from the ISR "
                           "(KafkaController.onBrokerFailure, ReplicaStateMachine "
                           "OfflineReplica; the leader becomes None if it was the one)",
    "BecomeLeader": "broker applies a LeaderAndIsr naming it leader (Partition.makeLeader)",
    "LeaderWrite": "leader appends a producer record (Partition.appendRecordsToLeader)",
    "LeaderExpandIsr": "leader adds a follower caught up to its HW "
                       "(Partition.maybeExpandIsr, ZooKeeper conditional update)",
    "LeaderShrinkIsr": "leader removes a lagging follower (Partition.maybeShrinkIsr)",
    "LeaderIncHighWatermark": "leader advances the HW once the ISR has the record, without "
                              "epoch checks (pre-KIP-320 Partition.maybeIncrementLeaderHW)",
    "BecomeFollowerTruncateToHighWatermark": "follower applies LeaderAndIsr and truncates to "
                                             "its own HW (pre-KIP-101 "
                                             "ReplicaManager.makeFollowers)",
    "BecomeFollowerTruncateKip101": "follower truncates with OffsetsForLeaderEpoch on its "
                                    "last epoch (KIP-101)",
    "BecomeFollowerTruncateKip279": "follower truncates after the last offset whose record "
                                    "matches the leader's (KIP-279)",
    "FollowerReplicate": "follower fetches the next record from the broker it follows, "
                         "no epoch fencing (pre-KIP-320 ReplicaFetcherThread)",
    "LeaderExpandIsrBetterFencing": "ISR expansion only once the HW reached the leader's "
                                    "epoch (KIP-320 first attempt)",
    "LeaderShrinkIsrBetterFencing": "ISR shrink when the follower's last epoch differs "
                                    "(KIP-320 first attempt)",
    "ImprovedLeaderIncHighWatermark": "HW advance when ISR epochs match at the HW "
                                      "(KIP-320 first attempt)",
    "BecomeFollower": "follower applies LeaderAndIsr without truncating "
                      "(KIP-320 first attempt: truncate on LOG_TRUNCATION later)",
    "FollowerFetch": "fetch that checks the epoch of the follower's last record "
                     "(KIP-320 first attempt)",
    "FollowerTruncate": "follower truncates after a LOG_TRUNCATION error "
                        "(KIP-320 first attempt)",
    "FencedLeaderExpandIsr": "ISR expansion of a follower on the leader's epoch that reached "
                             "the HW, once the HW reached the epoch (KIP-320)",
    "FencedLeaderShrinkIsr": "ISR shrink of a follower off the leader's epoch or behind its "
                             "log end (KIP-320, Partition.maybeShrinkIsr)",
    "FencedLeaderIncHighWatermark": "HW advance when every ISR member fetches in the leader's "
                                    "epoch (KIP-320 current_leader_epoch in Fetch)",
    "FencedBecomeFollowerAndTruncate": "follower truncates with OffsetsForLeaderEpoch fenced "
                                       "by the leader's current epoch (KIP-320)",
    "FencedFollowerFetch": "fetch fenced by current leader epoch (KIP-320, "
                           "FENCED_LEADER_EPOCH)",
}


class ReplicaVars(NamedTuple):
    """One replica's variables decoded from its code: replicaLog[r] and replicaState[r]."""

    log: int  # log id: an index into _Tables.logs
    hw: int
    leader_epoch: int  # Nil = -1
    leader: int  # None = the number of replicas
    isr: int  # bitmask
    length: int  # the log's end offset
    low: int  # the (leaderEpoch, leader, isr) part of the code


class ControllerVars(NamedTuple):
    """nextRecordId, quorumState and leaderAndIsrRequests, decoded from the controller code."""

    next_record_id: int
    quorum_leader: int
    quorum_isr: int
    next_leader_epoch: int
    requests: tuple[tuple[int, int, int], ...]  # per epoch: (leader, isr, low part)


class _Tables:
    """Log tables and packing constants for one (replicas, log_size, records, epochs)."""

    def __init__(self, n: int, log_size: int, max_records: int, max_epoch: int) -> None:
        self.n, self.ls, self.mr, self.me = n, log_size, max_records, max_epoch
        ne = max_epoch + 1
        self.ne = ne
        # records (id, epoch) as codes id * ne + epoch; logs as tuples of codes
        logs: list[tuple[int, ...]] = [()]
        for length in range(1, log_size + 1):
            for ids in itertools.permutations(range(max_records), length):
                for epochs in itertools.product(range(ne), repeat=length):
                    logs.append(tuple(i * ne + e for i, e in zip(ids, epochs, strict=True)))
        self.logs = logs
        log_id = {log: i for i, log in enumerate(logs)}
        self.length = [len(log) for log in logs]
        self.append = [[log_id.get(log + (rc,), -1) if len(log) < log_size else -1
                        for rc in range(max_records * ne)] for log in logs]
        self.trunc = [[log_id[log[:k]] for k in range(len(log) + 1)] for log in logs]
        self.rec_at = [list(log) for log in logs]
        self.epoch_at = [[rc % ne for rc in log] for log in logs]
        self.last_epoch = [log[-1] % ne if log else -1 for log in logs]

        def lcp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
            k = 0
            while k < len(a) and k < len(b) and a[k] == b[k]:
                k += 1
            return k

        self.lcp = [[lcp(a, b) for b in logs] for a in logs]

        def first_non_matching_from_tail(leader: tuple[int, ...], follower: tuple[int, ...]) -> int:
            # Kip279 FirstNonMatchingOffsetFromTail: 1 + the largest offset where both
            # logs hold the same record (not necessarily a common prefix), else 0.
            if not leader:
                return 0
            matching = [o for o in range(len(follower)) if o < len(leader)
                        and follower[o] == leader[o]]
            return max(matching) + 1 if matching else 0

        self.fnmo = [[first_non_matching_from_tail(lead, fol) for fol in logs] for lead in logs]

        def lookup_offset_for_epoch(leader: tuple[int, ...], epoch: int) -> int:
            # Kip101 LookupOffsetForEpoch; -1 stands for "the follower's own HW".
            if not leader:
                return -1
            if leader[-1] % ne == epoch:
                return len(leader)
            larger = [o for o, rc in enumerate(leader) if rc % ne > epoch]
            return min(larger) if larger else -1

        self.lookup101 = [[lookup_offset_for_epoch(lead, e) for e in range(ne)]
                          for lead in logs]

        def caught_up_to_epoch(leader: tuple[int, ...], follower: tuple[int, ...],
                               end: int) -> bool:
            # Kip320FirstTry IsFollowerCaughtUpToLeaderEpoch, log part
            if end == 0:
                return True
            o = end - 1
            return o < len(leader) and o < len(follower) and leader[o] % ne == follower[o] % ne

        self.caught_up_epoch = [[tuple(caught_up_to_epoch(lead, fol, k)
                                       for k in range(log_size + 1)) for fol in logs]
                                for lead in logs]

        def needs_truncation(follower: tuple[int, ...], leader: tuple[int, ...]) -> bool:
            # Kip320FirstTry FollowerNeedsTruncation
            if len(follower) > len(leader):
                return True
            if not follower:
                return False
            o = len(follower) - 1
            return o < len(leader) and leader[o] % ne != follower[o] % ne

        self.needs_trunc = [[needs_truncation(fol, lead) for lead in logs] for fol in logs]

        # packing of one replica: x = lid*M_LOG + hw*M_HW + (ep+1)*M_EP + leader*M_LD + isr
        self.none = n
        self.nisr = 1 << n
        self.m_ld = self.nisr
        self.m_ep = self.nisr * (n + 1)
        self.m_hw = self.m_ep * (max_epoch + 2)
        self.m_log = self.m_hw * (log_size + 1)
        # packing of the controller: c = ((reqcode*(n+1) + qleader)*nisr + qisr)*nrid + nrid
        self.nrid = max_records + 1
        self.req_base = (n + 1) * self.nisr + 1
        self.members = [tuple(r for r in range(n) if mask >> r & 1)
                        for mask in range(self.nisr)]
        self.dec: dict[int, ReplicaVars] = _Decoder(self.decode_replica)
        # the five fields every successor computation reads: lid, hw, epoch, leader, length
        self.fields: dict[int, tuple[int, ...]] = _Decoder(
            lambda x: self.dec[x][:4] + (self.dec[x][5],))
        self.cdec: dict[int, ControllerVars] = _Decoder(self.decode_controller)

    def decode_replica(self, x: int) -> ReplicaVars:
        """The variables of one replica from its code."""
        lid, rest = divmod(x, self.m_log)
        hw, low = divmod(rest, self.m_hw)
        ep1, rest = divmod(low, self.m_ep)
        ld, isr = divmod(rest, self.m_ld)
        return ReplicaVars(lid, hw, ep1 - 1, ld, isr, self.length[lid], low)

    def encode_replica(self, lid: int, hw: int, ep: int, ld: int, isr: int) -> int:
        """The code of one replica's log and replicaState."""
        return lid * self.m_log + hw * self.m_hw + (ep + 1) * self.m_ep + ld * self.m_ld + isr

    def low(self, ep: int, ld: int, isr: int) -> int:
        """The (leaderEpoch, leader, isr) part of a replica code."""
        return (ep + 1) * self.m_ep + ld * self.m_ld + isr

    def decode_controller(self, c: int) -> ControllerVars:
        """nextRecordId, quorumState and the requests from the controller code."""
        rest, nrid = divmod(c, self.nrid)
        rest, qisr = divmod(rest, self.nisr)
        reqcode, ql = divmod(rest, self.n + 1)
        reqs = []
        e = 0
        while reqcode:
            reqcode, digit = divmod(reqcode, self.req_base)
            ld, isr = divmod(digit - 1, self.nisr)
            reqs.append((ld, isr, self.low(e, ld, isr)))
            e += 1
        return ControllerVars(nrid, ql, qisr, len(reqs), tuple(reqs))

    def encode_controller(self, nrid: int, ql: int, qisr: int,
                          reqs: tuple[tuple[int, int], ...]) -> int:
        """The controller code of nextRecordId, quorumState and the request list."""
        reqcode = 0
        for ld, isr in reversed(reqs):
            reqcode = reqcode * self.req_base + 1 + ld * self.nisr + isr
        return ((reqcode * (self.n + 1) + ql) * self.nisr + qisr) * self.nrid + nrid


class _Decoder(dict):
    """A dict that fills itself from a decoding function on first lookup."""

    def __init__(self, fn: Callable[[int], Any]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: int) -> Any:
        value = self[key] = self.fn(key)
        return value


@lru_cache(maxsize=8)
def _tables(n: int, log_size: int, max_records: int, max_epoch: int) -> _Tables:
    return _Tables(n, log_size, max_records, max_epoch)


Frame = tuple
"""One state decoded once for every rule: ``(c, xs, nrid, ql, qisr, nle, reqs, lids, hws,
eps, lds, lens, leaders, pairs)``: the controller code and its fields (nextRecordId, quorum
leader and ISR, nextLeaderEpoch, the requests), the replica codes; per replica its log id,
hw, leaderEpoch, leader and log length; the replicas that presume leadership, and the
(follower, leader) pairs where the follower follows a replica that presumes leadership."""

Rule = Callable[[State, Frame, list], None]
"""One TLA+ action: appends ``(label, successor)`` for every way it is enabled."""


class KafkaSpecModel(Model):
    """KafkaReplication.tla: the variables, Init, invariants and the shared actions.

    Instantiating ``KafkaSpecModel`` builds the variant the ``variant`` bound names; each
    variant is a subclass that overrides the actions its TLA+ module redefines, as the
    module EXTENDS KafkaReplication (or Kip279).  An action is a *rule builder*: a method
    returning a closure over the precomputed tables (locals are Python's fastest);
    ``isr_rules`` and ``next_rules`` list the builders in the order of the module's Next.
    The actions no module redefines (ControllerElectLeader, ControllerShrinkIsr,
    BecomeLeader, LeaderWrite) are written once, in the base Next.  Action labels use
    the spec's action names and its quantifier order for the arguments (brokers as
    Broker1..N, then the request's epoch); ``ACTION_MEANING`` says what Kafka behaviour each
    action stands for.
    """

    name = "kafka-spec"
    subject = "the TLA+ specification KafkaReplication.tla (and its variants), not a Kafka release"
    summary = ("Gustafson's TLA+ Kafka replication spec (KIP-101/279/320 variants), exactly, "
               "for cross-checking against TLC")
    source = "github.com/hachikuji/kafka-specification (KafkaReplication.tla and variants)"
    faults_not_modelled = (POWER_LOSS,)  # the spec's logs are durable
    bounds = (
        Bound("variant", "kip320", "which specification module's Next relation to check",
              choices=tuple(VARIANTS)),
        Bound("replicas", 3, "Replicas: brokers hosting the partition", minimum=1, maximum=4),
        Bound("log_size", 2, "LogSize: capacity of each replica's log", minimum=1, maximum=3),
        Bound("max_records", 2, "MaxRecords: records producers may write", minimum=1,
              maximum=3),
        Bound("max_leader_epoch", 2, "MaxLeaderEpoch: the last leader epoch the controller "
              "may assign", minimum=0, maximum=3,
              fault="leader election at any time (the spec's broker failure)",
              injected_by=("ControllerElectLeader",)),
        Bound("symmetry", 0, "1: explore one state per permutation of the brokers (the spec "
              "treats them symmetrically; TLC's reference counts are without it)",
              minimum=0, maximum=1),
    )

    variant: ClassVar[str] = ""  # the ``variant`` bound value of this class
    module: ClassVar[str] = "KafkaReplication"  # the TLA+ module it follows
    actions: ClassVar[tuple[str, ...]] = ()  # the TLA+ names of the actions in its Next
    # rule builders of the leader's ISR changes: they all go through QuorumUpdateLeaderAndIsr,
    # so they are only evaluated when the quorum leader IsTrueLeader
    isr_rules: ClassVar[tuple[str, ...]] = ("leader_expand_isr", "leader_shrink_isr")
    # rule builders of the variant's other actions, in its Next's order
    next_rules: ClassVar[tuple[str, ...]] = (
        "leader_inc_high_watermark", "become_follower", "follower_fetch")

    def __new__(cls, config: Any) -> KafkaSpecModel:
        """``KafkaSpecModel(config)`` builds the class of the configured variant."""
        if cls is KafkaSpecModel:
            variant = config.bounds.get("variant", "kip320")
            symmetric = bool(config.bounds.get("symmetry"))
            cls = (SYMMETRIC_CLASSES if symmetric else VARIANT_CLASSES)[variant]
        return super().__new__(cls)

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        b = self.bound
        if b["variant"] != self.variant:
            raise ValueError(f"{type(self).__name__} is variant {self.variant!r}, "
                             f"not {b['variant']!r}")
        self.t = _tables(b["replicas"], b["log_size"], b["max_records"],
                         b["max_leader_epoch"])
        self.n = b["replicas"]
        self.names = tuple(f"Broker{i + 1}" for i in range(self.n))
        self._next = self._build_next()
        # engines look successors up once per run: give them the closure itself
        self.successors = self._next  # type: ignore[method-assign,assignment]
        if b["symmetry"] and not isinstance(self, BrokerSymmetry):
            raise ValueError("symmetry=1: build the model as KafkaSpecModel(config)")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the configuration (tables and closures are rebuilt in the new process);
        a subclass of a variant (a test mutant) pickles as its own class."""
        if type(self) in (*VARIANT_CLASSES.values(), *SYMMETRIC_CLASSES.values()):
            return (KafkaSpecModel, (self.config,))
        return (type(self), (self.config,))

    # -- the state machine ----------------------------------------------------------------

    def init_states(self) -> list[State]:
        """KafkaReplication Init: empty logs, no leader anywhere, quorum ISR = all replicas."""
        t = self.t
        x0 = t.encode_replica(0, 0, -1, t.none, 0)
        c0 = t.encode_controller(0, t.none, t.nisr - 1, ())
        return [(x0,) * self.n + (c0,)]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        """Every enabled action of the variant's Next and the state it leads to."""
        return iter(self._next(state))  # instances bind self.successors to _next directly

    def _build_next(self) -> Callable[[State], list[tuple[Action, State]]]:
        """Next: the shared actions of KafkaReplication.tla, then the variant's rules."""
        t, n = self.t, self.n
        none, m_hw, m_log = t.none, t.m_hw, t.m_log
        append, ne, max_records, log_size = t.append, t.ne, t.mr, t.ls
        # per controller code: its fields and the controller actions' successors codes
        ctrl_memo: dict[int, tuple[Any, ...]] = {}
        # per replica code: (log id, hw, leaderEpoch, leader, log length), an exact dict
        fields: dict[int, tuple[int, ...]] = {}
        fget = fields.__getitem__
        lbl_leader = self._labels("BecomeLeader", "broker", "epoch")
        lbl_write = self._labels("LeaderWrite", "broker")
        isr_rules = tuple(getattr(self, name)() for name in self.isr_rules)
        rules = tuple(getattr(self, name)() for name in self.next_rules)
        roles: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = {}
        replicas = range(n)

        def roles_of(lds: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
            leaders = tuple(r for r in replicas if lds[r] == r)
            pairs = tuple((g, lds[g]) for g in replicas
                          if lds[g] != none and lds[g] != g and lds[lds[g]] == lds[g])
            roles[lds] = leaders, pairs
            return leaders, pairs

        def controller_of(c: int) -> tuple[Any, ...]:
            ctrl_memo[c] = (*t.cdec[c], self._controller_successors(c))
            return ctrl_memo[c]

        def fields_of(xs: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
            for x in xs:
                fields[x] = t.fields[x]
            return zip(*map(fget, xs))  # noqa: B905

        def next_state_relation(s: State) -> list[tuple[Action, State]]:
            c = s[n]
            nrid, ql, qisr, nle, reqs, ctrl = ctrl_memo.get(c) or controller_of(c)
            xs = s[:n]
            try:
                lids, hws, eps, lds, lens = zip(*map(fget, xs))  # noqa: B905
            except KeyError:
                lids, hws, eps, lds, lens = fields_of(xs)
            out: list[tuple[Action, State]] = []
            add = out.append
            # ControllerElectLeader, ControllerShrinkIsr: they only change the controller
            for label, c2 in ctrl:
                add((label, xs + (c2,)))
            # BecomeLeader: a replica applies a request naming it, with a higher epoch
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld != none and e > eps[ld]:
                    u = list(s)
                    u[ld] = xs[ld] - xs[ld] % m_hw + low
                    add((lbl_leader[ld][e], tuple(u)))
            leaders, pairs = roles.get(lds) or roles_of(lds)
            # LeaderWrite: a presumed leader appends record nextRecordId in its epoch
            if nrid < max_records:
                for r in leaders:
                    if lens[r] < log_size:
                        lid = lids[r]
                        u = list(s)
                        u[r] = s[r] + (append[lid][nrid * ne + eps[r]] - lid) * m_log
                        u[n] = c + 1  # nextRecordId is the controller code's lowest digit
                        add((lbl_write[r], tuple(u)))
            frame = (c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs)
            if ql != none and lds[ql] == ql and eps[ql] == nle - 1:  # IsTrueLeader(ql)
                for rule in isr_rules:
                    rule(s, frame, out)
            for rule in rules:
                rule(s, frame, out)
            return out

        return next_state_relation

    def _labels(self, action: str, *args: str) -> Any:
        """Every label (action, arg, ...) as nested lists indexed by the arguments: a
        "broker" argument is a replica index (shown as BrokerN), an "epoch" one a leader
        epoch 0 .. MaxLeaderEpoch.  Labels are built once; rules only index them."""
        def build(prefix: tuple, rest: tuple[str, ...]) -> Any:
            if not rest:
                return prefix
            values = self.names if rest[0] == "broker" else range(self.t.me + 1)
            return [build((*prefix, v), rest[1:]) for v in values]

        return build((action,), args)

    # -- KafkaReplication.tla's actions -------------------------------------------------

    def _controller_successors(self, c: int) -> tuple[tuple[Action, int], ...]:
        """ControllerElectLeader and ControllerShrinkIsr from controller code ``c``."""
        return tuple(self.controller_elect_leader(c)) + tuple(self.controller_shrink_isr(c))

    def controller_update_isr(self, c: int, new_leader: int, new_isr: int) -> int | None:
        """ControllerUpdateIsr: bump the epoch, set the quorum, record the request (None when
        no epoch is left: LeaderEpochSeq!NextId)."""
        t = self.t
        nrid, _ql, _qisr, nle, reqs = t.cdec[c]
        if nle > t.me:
            return None
        old = tuple((ld, isr) for ld, isr, _ in reqs)
        return t.encode_controller(nrid, new_leader, new_isr, old + ((new_leader, new_isr),))

    def controller_elect_leader(self, c: int) -> list[tuple[Action, int]]:
        """ControllerElectLeader: a member of the quorum ISR other than the leader leads."""
        t = self.t
        _nrid, ql, qisr, _nle, _reqs = t.cdec[c]
        out = []
        for r in t.members[qisr]:
            if ql != r:
                c2 = self.controller_update_isr(c, r, qisr)
                if c2 is not None:
                    out.append((("ControllerElectLeader", self.names[r]), c2))
        return out

    def controller_shrink_isr(self, c: int) -> list[tuple[Action, int]]:
        """ControllerShrinkIsr: a failed broker leaves the quorum ISR (the leader becomes
        None when it was the one; a last member stays in the ISR)."""
        t = self.t
        _nrid, ql, qisr, _nle, _reqs = t.cdec[c]
        out = []
        for r in range(self.n):
            bit = 1 << r
            if ql == r:
                c2 = self.controller_update_isr(c, t.none, qisr if qisr == bit else qisr & ~bit)
            elif qisr & bit:
                c2 = self.controller_update_isr(c, ql, qisr & ~bit)
            else:
                continue
            if c2 is not None:
                out.append((("ControllerShrinkIsr", self.names[r]), c2))
        return out

    def _isr_change(self) -> Callable[..., None]:
        """QuorumUpdateLeaderAndIsr: the true leader writes a new ISR to the quorum and
        to its own state."""
        n, nrid_mul = self.n, self.t.nrid

        def isr_change(s: State, c: int, qisr: int, r: int, old: int, new: int,
                       label: Action, out: list) -> None:
            u = list(s)
            u[r] = s[r] - old + new
            u[n] = c + (new - qisr) * nrid_mul
            out.append((label, tuple(u)))

        return isr_change

    def leader_expand_isr(self) -> Rule:
        """LeaderExpandIsr: the true leader adds a follower caught up to its HW."""
        nisr, replicas = self.t.nisr, range(self.n)
        isr_change = self._isr_change()
        labels = self._labels("LeaderExpandIsr", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            r = ql  # the true leader
            lisr, hw, ln = xs[r] % nisr, hws[r], lens[r]
            for g in replicas:
                if (not lisr >> g & 1 and lds[g] == r
                        and (hw == 0 or (hw <= ln and hw <= lens[g]))):
                    isr_change(s, c, qisr, r, lisr, lisr | 1 << g, labels[r][g], out)

        return rule

    def leader_shrink_isr(self) -> Rule:
        """LeaderShrinkIsr: the true leader removes a follower not caught up to its log end."""
        nisr, members = self.t.nisr, self.t.members
        isr_change = self._isr_change()
        labels = self._labels("LeaderShrinkIsr", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            r = ql  # the true leader
            lisr, ln = xs[r] % nisr, lens[r]
            for g in members[lisr]:
                if g != r and (lds[g] != r or (ln > 0 and lens[g] < ln)):
                    isr_change(s, c, qisr, r, lisr, lisr & ~(1 << g), labels[r][g], out)

        return rule

    def leader_inc_high_watermark(self) -> Rule:
        """LeaderIncHighWatermark: the presumed leader's HW advances once its whole ISR
        follows it and has the record at the HW, without epoch checks."""
        t = self.t
        nisr, members, m_hw, log_size = t.nisr, t.members, t.m_hw, t.ls
        labels = self._labels("LeaderIncHighWatermark", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for r in leaders:
                hw = hws[r]
                if hw >= log_size:
                    continue
                for g in members[xs[r] % nisr]:
                    if lds[g] != r or hw >= lens[g]:
                        break
                else:
                    u = list(s)
                    u[r] = xs[r] + m_hw
                    out.append((labels[r], tuple(u)))

        return rule

    def truncation_offsets(self) -> list[list[int]]:
        """The offset a follower truncates to on becoming follower, per (leader log id,
        follower log id); -1 stands for the follower's own high watermark."""
        raise NotImplementedError(f"{self.module} defines no follower truncation")

    become_follower_action: ClassVar[str] = ""

    def become_follower(self) -> Rule:
        """BecomeFollowerAndTruncateTo with the variant's truncation offset.  The spec
        quantifies the leader over Replicas, so requests naming None are never applied."""
        t = self.t
        none, m_log, m_hw, trunc, replicas = t.none, t.m_log, t.m_hw, t.trunc, range(self.n)
        offsets = self.truncation_offsets()
        labels = self._labels(self.become_follower_action, "broker", "broker", "epoch")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld == none:
                    continue
                row = offsets[lids[ld]]
                for r in replicas:
                    if eps[r] >= e or r == ld:
                        continue
                    off = row[lids[r]]
                    if off < 0:
                        off = hws[r]
                    if off > lens[r]:
                        continue  # TruncateTo cannot extend a log: not enabled
                    h2 = off if off < hws[r] else hws[r]
                    u = list(s)
                    u[r] = trunc[lids[r]][off] * m_log + h2 * m_hw + low
                    out.append((labels[ld][r][e], tuple(u)))

        return rule

    def follower_fetch(self) -> Rule:
        """FollowerReplicate: a follower copies the next record from the presumed leader it
        follows, with no epoch fencing at all."""
        t = self.t
        m_log, m_hw, append, rec_at = t.m_log, t.m_hw, t.append, t.rec_at
        labels = self._labels("FollowerReplicate", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for g, ld in pairs:
                if lens[g] < lens[ld]:
                    lf = lens[g]
                    h2 = hws[ld] if hws[ld] <= lf else lf + 1
                    u = list(s)
                    u[g] = (append[lids[g]][rec_at[lids[ld]][lf]] * m_log + h2 * m_hw
                            + xs[g] % m_hw)
                    out.append((labels[g][ld], tuple(u)))

        return rule


    def tlc_repeated_successors(self, state: State) -> int:
        """How many successors of ``state`` TLC evaluates once more than we yield them."""
        # TLC counts a successor in "states generated" once per disjunct or witness that
        # produces it.  The spec has two such overlaps: Kip279's follower transition on an
        # empty log (both disjuncts truncate to 0) and Kip320's ISR shrink when the
        # follower is both off the leader's epoch and behind its log end.
        t, n = self.t, self.n
        _, ql, _, nle, reqs = t.cdec[state[n]]
        lids, hws, eps, lds, isrs, lens, lows = zip(*[t.dec[x] for x in state[:n]])  # noqa: B905
        extra = 0
        if "BecomeFollowerTruncateKip279" in self.actions:
            for e, (ld, _isr, _low) in enumerate(reqs):
                if ld != t.none:
                    extra += sum(1 for r in range(n) if r != ld and eps[r] < e and not lens[r])
        if "FencedLeaderShrinkIsr" in self.actions and ql != t.none and lds[ql] == ql \
                and eps[ql] == nle - 1:
            extra += sum(1 for f in t.members[isrs[ql]]
                         if f != ql and (lds[f] != ql or eps[f] != eps[ql])
                         and lens[f] < lens[ql])
        return extra

    def action_families(self) -> tuple[str, ...]:
        return self.actions

    # -- symmetry (optional) ----------------------------------------------------------------

    def _rename_replica(self, x: int, p: tuple[int, ...]) -> int:
        t = self.t
        lid, hw, ep, ld, isr, _, _ = t.dec[x]
        return t.encode_replica(lid, hw, ep, p[ld] if ld != t.none else ld,
                                _rename_mask(isr, p))

    def _rename_controller(self, c: int, p: tuple[int, ...]) -> int:
        t = self.t
        nrid, ql, qisr, _, reqs = t.cdec[c]

        def rename(r: int) -> int:
            return p[r] if r != t.none else r

        return t.encode_controller(nrid, rename(ql), _rename_mask(qisr, p),
                                   tuple((rename(ld), _rename_mask(isr, p))
                                         for ld, isr, _ in reqs))

    # -- properties -------------------------------------------------------------------------

    def properties(self) -> list[Property]:
        t, n, none = self.t, self.n, self.t.none
        dec, cdec, lcp, members = t.dec, t.cdec, t.lcp, t.members
        src = f"{self.module}.tla (via KafkaReplication.tla)"

        def replica_type_ok(x: int) -> bool:
            lid, hw, ep, ld, isr, _, _ = dec[x]
            return (0 <= lid < len(t.logs) and 0 <= hw <= t.ls and -1 <= ep <= t.me
                    and 0 <= ld <= none and 0 <= isr < t.nisr
                    and all(rc // t.ne < t.mr for rc in t.logs[lid]))

        def controller_type_ok(c: int) -> bool:
            nrid, ql, qisr, nle, reqs = cdec[c]
            return (0 <= nrid <= t.mr and 0 <= nle <= t.me + 1 and 0 <= ql <= none
                    and 0 <= qisr < t.nisr
                    and all(0 <= ld <= none and 0 <= isr < t.nisr for ld, isr, _ in reqs))

        replica_ok: dict[int, bool] = _Decoder(replica_type_ok)
        controller_ok: dict[int, bool] = _Decoder(controller_type_ok)

        def type_ok(s: State) -> bool:
            if not controller_ok[s[n]]:
                return False
            for r in range(n):
                if not replica_ok[s[r]]:
                    return False
            return True

        def leader_in_isr(s: State) -> bool:
            _, ql, qisr, _, _ = cdec[s[n]]
            return ql != none and bool(qisr >> ql & 1)

        def exposed_of(x: int) -> tuple[int, int, list[int], int]:
            # (leader, hw, common-prefix row of its log, isr); leader -1 when hw is 0
            lid, hw, _, ld, isr, _, _ = dec[x]
            return (ld if hw else -1, hw, lcp[lid], isr)

        exposed: dict[int, tuple[int, int, list[int], int]] = _Decoder(exposed_of)
        log_of: dict[int, int] = _Decoder(lambda x: dec[x][0])
        replicas = range(n)

        def weak_isr(s: State) -> bool:
            for r in replicas:
                ld, hw, row, isr = exposed[s[r]]
                if ld == r:
                    for r2 in members[isr]:
                        if row[log_of[s[r2]]] < hw:
                            return False
            return True

        def strong_isr(s: State) -> bool:
            for r in replicas:
                ld, hw, row, _ = exposed[s[r]]
                if ld == r:
                    for r2 in members[cdec[s[n]][2]]:
                        if row[log_of[s[r2]]] < hw:
                            return False
            return True

        return [
            always("TypeOk", "every variable stays in its declared type (logs, replica "
                   "states, quorum state, request set, id sequences)", type_ok, source=src,
                   explanation="a variable left the type the specification declares for it "
                               "(TLC can only evaluate this with FiniteReplicatedLog's "
                               "LogType conjunct rewritten; see bench/tlc/run_tlc.py)"),
            always("LeaderInIsr", "the quorum's leader is a member of the quorum's ISR",
                   leader_in_isr, source=src,
                   explanation="the quorum leader is None (initially, or after the controller "
                               "removed the leader), and None is never in the ISR"),
            always("WeakIsr", "every presumed leader's own ISR holds its log up to its "
                   "high watermark", weak_isr, source=src,
                   explanation="a replica in the leader's cached ISR lacks or disagrees on a "
                               "record below the leader's high watermark"),
            always("StrongIsr", "every presumed leader's records below its high watermark "
                   "are on every member of the quorum ISR (no committed data can be lost)",
                   strong_isr, source=src,
                   explanation="a member of the quorum ISR, which may be elected leader, "
                               "lacks a record a leader already exposed below its high "
                               "watermark: electing it loses committed data"),
            always("LeaderInIsrWhenLeader", "when the quorum names a leader, that leader is "
                   "in the quorum ISR (not in the spec: LeaderInIsr guarded against None)",
                   lambda s: leader_in_isr(s) or cdec[s[n]][1] == none,
                   source="kafkacheck, guarding KafkaReplication.tla LeaderInIsr",
                   explanation="the controller left a leader outside the ISR it wrote"),
        ]

    # -- presentation -------------------------------------------------------------------------

    def view(self, state: State) -> dict[str, Any]:
        """The specification's variables, one entry per broker field."""
        t, n = self.t, self.n
        out: dict[str, Any] = {}
        for r in range(n):
            lid, hw, ep, ld, isr, _, _ = t.dec[state[r]]
            b = self.names[r]
            out[f"{b}.log"] = tuple(divmod(rc, t.ne) for rc in t.logs[lid])
            out[f"{b}.hw"] = hw
            out[f"{b}.leaderEpoch"] = ep
            out[f"{b}.leader"] = ld
            out[f"{b}.isr"] = isr
        nrid, ql, qisr, nle, reqs = t.cdec[state[n]]
        out["nextRecordId"] = nrid
        out["nextLeaderEpoch"] = nle
        out["quorumState"] = (nle - 1, ql, qisr)
        out["leaderAndIsrRequests"] = tuple((e, ld, isr) for e, (ld, isr, _) in enumerate(reqs))
        return out

    def _broker(self, r: int) -> str:
        return self.names[r] if r != self.t.none else "None"

    def _isr(self, mask: int) -> str:
        return "{" + ", ".join(self.names[r] for r in self.t.members[mask]) + "}"

    def format_value(self, name: str, value: Any) -> str:
        if name.endswith(".log"):
            return "[" + ", ".join(f"id{i}@e{e}" for i, e in value) + "]"
        if name.endswith(".leaderEpoch"):
            return "Nil" if value < 0 else str(value)
        if name.endswith(".leader"):
            return self._broker(value)
        if name.endswith(".isr"):
            return self._isr(value)
        if name == "quorumState":
            ep, ld, isr = value
            return (f"epoch {'Nil' if ep < 0 else ep}, leader {self._broker(ld)}, "
                    f"isr {self._isr(isr)}")
        if name == "leaderAndIsrRequests":
            return "{" + "; ".join(f"epoch {e}: {self._broker(ld)} {self._isr(isr)}"
                                   for e, ld, isr in value) + "}"
        return repr(value)

    def participants(self) -> tuple[str, ...]:
        return ("Controller", *self.names)

    def message(self, action: Action, before: State, after: State) -> Message:
        name, *args = action
        va, vb = self.view(before), self.view(after)
        if name in ("ControllerElectLeader", "ControllerShrinkIsr"):
            ep, ld, isr = vb["quorumState"]
            what = "elect" if name == "ControllerElectLeader" else "remove"
            return Message("Controller", "Controller",
                           f"{what} {args[0]}: LeaderAndIsr epoch {ep} leader "
                           f"{self._broker(ld)} isr {self._isr(isr)}")
        if name == "BecomeLeader":
            b = args[0]
            return Message("Controller", b, f"LeaderAndIsr epoch {args[1]}: you lead, isr "
                           f"{self.format_value('.isr', vb[b + '.isr'])}")
        if name == "LeaderWrite":
            b = args[0]
            rec = vb[b + ".log"][-1]
            return Message(b, b, f"append id{rec[0]}@e{rec[1]} at offset "
                           f"{len(vb[b + '.log']) - 1}")
        if len(args) == 3:  # a BecomeFollower* action: (leader, replica, epoch)
            lead, rep, ep = args
            return Message("Controller", rep,
                           f"LeaderAndIsr epoch {ep}: follow {lead}; log "
                           f"{self.format_value('.log', vb[rep + '.log'])}, hw {vb[rep + '.hw']}")
        if name in ("FollowerReplicate", "FollowerFetch", "FencedFollowerFetch"):
            fol, lead = args
            rec = vb[fol + ".log"][-1]
            return Message(lead, fol, f"fetch id{rec[0]}@e{rec[1]} at offset "
                           f"{len(vb[fol + '.log']) - 1}, hw {vb[fol + '.hw']}")
        if name == "FollowerTruncate":
            lead, fol = args
            return Message(lead, fol, f"LOG_TRUNCATION: truncate to "
                           f"{len(vb[fol + '.log'])}")
        if "Isr" in name:
            lead, rep = args
            return Message(lead, "Controller", f"ISR {self._isr(va[lead + '.isr'])} -> "
                           f"{self._isr(vb[lead + '.isr'])}")
        b = args[0]
        return Message(b, b, f"hw {va[b + '.hw']} -> {vb[b + '.hw']}")


class KafkaTruncateToHighWatermark(KafkaSpecModel):
    """KafkaTruncateToHighWatermark.tla: before KIP-101 a follower truncates to its HW."""

    variant = "truncate-to-high-watermark"
    module = "KafkaTruncateToHighWatermark"
    become_follower_action = "BecomeFollowerTruncateToHighWatermark"
    actions = (*_COMMON, "LeaderExpandIsr", "LeaderShrinkIsr", "LeaderIncHighWatermark",
               "BecomeFollowerTruncateToHighWatermark", "FollowerReplicate")

    def truncation_offsets(self) -> list[list[int]]:
        """BecomeFollowerTruncateToHighWatermark: always the follower's own HW."""
        logs = range(len(self.t.logs))
        return [[-1 for _ in logs] for _ in logs]


class Kip101(KafkaSpecModel):
    """Kip101.tla: the follower asks the leader for the end offset of its last epoch."""

    variant = "kip101"
    module = "Kip101"
    become_follower_action = "BecomeFollowerTruncateKip101"
    actions = (*_COMMON, "LeaderExpandIsr", "LeaderShrinkIsr", "LeaderIncHighWatermark",
               "BecomeFollowerTruncateKip101", "FollowerReplicate")

    def truncation_offsets(self) -> list[list[int]]:
        """BecomeFollowerTruncateKip101: 0 for an empty log, else LookupOffsetForEpoch of
        the follower's last epoch (OffsetsForLeaderEpoch; -1 = the follower's HW)."""
        t = self.t
        return [[0 if not t.length[fol] else t.lookup101[lead][t.last_epoch[fol]]
                 for fol in range(len(t.logs))] for lead in range(len(t.logs))]


class Kip279(KafkaSpecModel):
    """Kip279.tla: the follower truncates after the last offset whose record matches."""

    variant = "kip279"
    module = "Kip279"
    become_follower_action = "BecomeFollowerTruncateKip279"
    actions = (*_COMMON, "LeaderExpandIsr", "LeaderShrinkIsr", "LeaderIncHighWatermark",
               "BecomeFollowerTruncateKip279", "FollowerReplicate")

    def truncation_offsets(self) -> list[list[int]]:
        """FirstNonMatchingOffsetFromTail(leader, follower) (an empty follower log gives 0
        either way, so BecomeFollowerTruncateKip279's two disjuncts agree)."""
        return self.t.fnmo


class Kip320FirstTry(Kip279):
    """Kip320FirstTry.tla (EXTENDS Kip279): epoch checks on the follower's last record;
    truncation after a LOG_TRUNCATION error instead of on becoming follower."""

    variant = "kip320-first-try"
    module = "Kip320FirstTry"
    actions = (*_COMMON, "LeaderExpandIsrBetterFencing", "LeaderShrinkIsrBetterFencing",
               "ImprovedLeaderIncHighWatermark", "BecomeFollower", "FollowerFetch",
               "FollowerTruncate")
    next_rules = ("leader_inc_high_watermark", "become_follower", "follower_fetch",
                  "follower_truncate")

    def leader_expand_isr(self) -> Rule:
        """LeaderExpandIsrBetterFencing: a follower caught up to the HW in the leader's
        epochs joins, once the HW reached the leader's own epoch."""
        t = self.t
        nisr, epoch_at, cue, replicas = t.nisr, t.epoch_at, t.caught_up_epoch, range(self.n)
        isr_change = self._isr_change()
        labels = self._labels("LeaderExpandIsrBetterFencing", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            r = ql  # the true leader
            lisr, hw, ln, ep = xs[r] % nisr, hws[r], lens[r], eps[r]
            if not (hw == ln or (hw < ln and epoch_at[lids[r]][hw] == ep)):
                return  # HasHighWatermarkReachedCurrentEpoch
            row = cue[lids[r]]
            for g in replicas:
                if not lisr >> g & 1 and lds[g] == r and row[lids[g]][hw]:
                    isr_change(s, c, qisr, r, lisr, lisr | 1 << g, labels[r][g], out)

        return rule

    def leader_shrink_isr(self) -> Rule:
        """LeaderShrinkIsrBetterFencing: a follower whose record at the leader's log end
        differs in epoch leaves."""
        nisr, members, cue = self.t.nisr, self.t.members, self.t.caught_up_epoch
        isr_change = self._isr_change()
        labels = self._labels("LeaderShrinkIsrBetterFencing", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            r = ql  # the true leader
            lisr, ln, row = xs[r] % nisr, lens[r], cue[lids[r]]
            for g in members[lisr]:
                if g != r and (lds[g] != r or not row[lids[g]][ln]):
                    isr_change(s, c, qisr, r, lisr, lisr & ~(1 << g), labels[r][g], out)

        return rule

    def leader_inc_high_watermark(self) -> Rule:
        """ImprovedLeaderIncHighWatermark: every ISR member's record at the HW has the
        leader's epoch for it."""
        t = self.t
        nisr, members, m_hw, cue = t.nisr, t.members, t.m_hw, t.caught_up_epoch
        labels = self._labels("ImprovedLeaderIncHighWatermark", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for r in leaders:
                hw = hws[r]
                if hw >= lens[r]:
                    continue
                row = cue[lids[r]]
                for g in members[xs[r] % nisr]:
                    if lds[g] != r or not row[lids[g]][hw + 1]:
                        break
                else:
                    u = list(s)
                    u[r] = xs[r] + m_hw
                    out.append((labels[r], tuple(u)))

        return rule

    def become_follower(self) -> Rule:
        """BecomeFollower: the epoch changes, the log is kept (truncation comes later)."""
        none, m_hw, replicas = self.t.none, self.t.m_hw, range(self.n)
        labels = self._labels("BecomeFollower", "broker", "broker", "epoch")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld == none:
                    continue
                for r in replicas:
                    if eps[r] < e and r != ld:
                        u = list(s)
                        u[r] = xs[r] - xs[r] % m_hw + low
                        out.append((labels[ld][r][e], tuple(u)))

        return rule

    def follower_fetch(self) -> Rule:
        """FollowerFetch: only when the epoch of the follower's last record matches the
        leader's record at that offset."""
        t = self.t
        m_log, m_hw, append, rec_at = t.m_log, t.m_hw, t.append, t.rec_at
        cue = t.caught_up_epoch
        labels = self._labels("FollowerFetch", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for g, ld in pairs:
                lf = lens[g]
                if lf < lens[ld] and cue[lids[ld]][lids[g]][lf]:
                    h2 = hws[ld] if hws[ld] <= lf else lf + 1
                    u = list(s)
                    u[g] = (append[lids[g]][rec_at[lids[ld]][lf]] * m_log + h2 * m_hw
                            + xs[g] % m_hw)
                    out.append((labels[g][ld], tuple(u)))

        return rule

    def follower_truncate(self) -> Rule:
        """FollowerTruncate: after a LOG_TRUNCATION error, truncate to Kip279's offset."""
        t = self.t
        m_log, m_hw, trunc, needs = t.m_log, t.m_hw, t.trunc, t.needs_trunc
        offsets = self.truncation_offsets()
        labels = self._labels("FollowerTruncate", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for g, ld in pairs:
                if not needs[lids[g]][lids[ld]]:
                    continue
                off = offsets[lids[ld]][lids[g]]
                h2 = off if off < hws[g] else hws[g]
                u = list(s)
                u[g] = trunc[lids[g]][off] * m_log + h2 * m_hw + xs[g] % m_hw
                out.append((labels[ld][g], tuple(u)))

        return rule


class Kip320(Kip279):
    """Kip320.tla (EXTENDS Kip279): fetches, ISR changes, HW advance and truncation fenced
    by the leader epoch (KIP-320's current_leader_epoch)."""

    variant = "kip320"
    module = "Kip320"
    actions = (*_COMMON, "FencedLeaderExpandIsr", "FencedLeaderShrinkIsr",
               "FencedLeaderIncHighWatermark", "FencedBecomeFollowerAndTruncate",
               "FencedFollowerFetch")

    def leader_expand_isr(self) -> Rule:
        """FencedLeaderExpandIsr: a follower on the leader's epoch that reached the HW joins,
        once the HW reached the leader's own epoch."""
        nisr, epoch_at, replicas = self.t.nisr, self.t.epoch_at, range(self.n)
        isr_change = self._isr_change()
        labels = self._labels("FencedLeaderExpandIsr", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            r = ql  # the true leader
            lisr, hw, ln, ep = xs[r] % nisr, hws[r], lens[r], eps[r]
            if not (hw == ln or (hw < ln and epoch_at[lids[r]][hw] == ep)):
                return  # HasHighWatermarkReachedCurrentEpoch
            for g in replicas:
                if not lisr >> g & 1 and lds[g] == r and eps[g] == ep and hw <= lens[g]:
                    isr_change(s, c, qisr, r, lisr, lisr | 1 << g, labels[r][g], out)

        return rule

    def leader_shrink_isr(self) -> Rule:
        """FencedLeaderShrinkIsr: a follower off the leader's epoch or behind its log end
        leaves (Partition.maybeShrinkIsr)."""
        nisr, members = self.t.nisr, self.t.members
        isr_change = self._isr_change()
        labels = self._labels("FencedLeaderShrinkIsr", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            r = ql  # the true leader
            lisr, ln, ep = xs[r] % nisr, lens[r], eps[r]
            for g in members[lisr]:
                if g != r and (lds[g] != r or eps[g] != ep or lens[g] < ln):
                    isr_change(s, c, qisr, r, lisr, lisr & ~(1 << g), labels[r][g], out)

        return rule

    def leader_inc_high_watermark(self) -> Rule:
        """FencedLeaderIncHighWatermark: every ISR member follows this epoch and has the
        record at the HW; holds vacuously for a replica with an empty ISR, leader or not."""
        t = self.t
        nisr, members, m_hw, replicas = t.nisr, t.members, t.m_hw, range(self.n)
        labels = self._labels("FencedLeaderIncHighWatermark", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for r in replicas:
                hw = hws[r]
                if hw >= lens[r]:
                    continue
                isr = xs[r] % nisr
                if isr:  # every member IsFollowingLeaderEpoch(r, g) and has offset hw
                    if lds[r] != r:
                        continue
                    ep = eps[r]
                    for g in members[isr]:
                        if lds[g] != r or eps[g] != ep or hw >= lens[g]:
                            break
                    else:
                        isr = 0  # every member passed
                    if isr:
                        continue
                u = list(s)
                u[r] = xs[r] + m_hw
                out.append((labels[r], tuple(u)))

        return rule

    def become_follower(self) -> Rule:
        """FencedBecomeFollowerAndTruncate: only with a leader already in the request's
        epoch, truncating to Kip279's offset against it."""
        t = self.t
        m_log, m_hw, trunc, replicas = t.m_log, t.m_hw, t.trunc, range(self.n)
        offsets = self.truncation_offsets()
        labels = self._labels("FencedBecomeFollowerAndTruncate", "broker", "broker", "epoch")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for r in leaders:
                ep = eps[r]
                req_leader, _isr, low = reqs[ep]
                if req_leader != r:
                    continue
                row = offsets[lids[r]]
                for g in replicas:
                    if eps[g] < ep and g != r:
                        off = row[lids[g]]
                        h2 = off if off < hws[g] else hws[g]
                        u = list(s)
                        u[g] = trunc[lids[g]][off] * m_log + h2 * m_hw + low
                        out.append((labels[r][g][ep], tuple(u)))

        return rule

    def follower_fetch(self) -> Rule:
        """FencedFollowerFetch: only on the leader's epoch (FENCED_LEADER_EPOCH otherwise)."""
        t = self.t
        m_log, m_hw, append, rec_at = t.m_log, t.m_hw, t.append, t.rec_at
        labels = self._labels("FencedFollowerFetch", "broker", "broker")

        def rule(s: State, f: Frame, out: list) -> None:
            c, xs, nrid, ql, qisr, nle, reqs, lids, hws, eps, lds, lens, leaders, pairs = f
            for g, ld in pairs:
                if eps[g] == eps[ld] and lens[g] < lens[ld]:
                    lf = lens[g]
                    h2 = hws[ld] if hws[ld] <= lf else lf + 1
                    u = list(s)
                    u[g] = (append[lids[g]][rec_at[lids[ld]][lf]] * m_log + h2 * m_hw
                            + xs[g] % m_hw)
                    out.append((labels[g][ld], tuple(u)))

        return rule


class BrokerSymmetry(KafkaSpecModel):
    """The same specification explored up to renaming of the brokers (a mixin)."""

    symmetry_note = "states equal up to renaming the brokers are explored once"
    symmetry_over = "brokers"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._perms = [p for p in itertools.permutations(range(self.n))
                       if p != tuple(range(self.n))]
        self._perm_x: list[dict[int, int]] = [
            _Decoder(lambda x, p=p: self._rename_replica(x, p)) for p in self._perms]
        self._perm_c: list[dict[int, int]] = [
            _Decoder(lambda c, p=p: self._rename_controller(c, p)) for p in self._perms]

    def canonical(self, state: State) -> State:
        """The least renaming of the brokers (replica i's state moves to p[i])."""
        n = self.n
        best = state
        for p, px, pc in zip(self._perms, self._perm_x, self._perm_c, strict=True):
            moved = [0] * n
            for r in range(n):
                moved[p[r]] = px[state[r]]
            cand = (*moved, pc[state[n]])
            if cand < best:
                best = cand
        return best


VARIANT_CLASSES: dict[str, type[KafkaSpecModel]] = {
    cls.variant: cls
    for cls in (KafkaTruncateToHighWatermark, Kip101, Kip279, Kip320FirstTry, Kip320)}
SYMMETRIC_CLASSES: dict[str, type[KafkaSpecModel]] = {
    variant: type(f"{cls.__name__}Symmetric", (BrokerSymmetry, cls), {"__module__": __name__})
    for variant, cls in VARIANT_CLASSES.items()}

# The actions of each variant's Next, by their TLA+ names.
ACTIONS: dict[str, tuple[str, ...]] = {v: cls.actions for v, cls in VARIANT_CLASSES.items()}

def _rename_mask(mask: int, p: tuple[int, ...]) -> int:
    out = 0
    for r, q in enumerate(p):
        if mask >> r & 1:
            out |= 1 << q
    return out
