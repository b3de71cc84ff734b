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

A state is the tuple ``(replica_0, ..., replica_{n-1}, controller)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

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
TRUNC_HW, KIP101, KIP279, KIP320_FIRST_TRY, KIP320 = range(5)
_VARIANT_CODE = {name: i for i, name in enumerate(VARIANTS)}

# The actions of each variant's Next, by their TLA+ names.
_COMMON = ("ControllerElectLeader", "ControllerShrinkIsr", "BecomeLeader", "LeaderWrite")
ACTIONS: dict[str, tuple[str, ...]] = {
    "truncate-to-high-watermark": _COMMON + (
        "LeaderExpandIsr", "LeaderShrinkIsr", "LeaderIncHighWatermark",
        "BecomeFollowerTruncateToHighWatermark", "FollowerReplicate"),
    "kip101": _COMMON + (
        "LeaderExpandIsr", "LeaderShrinkIsr", "LeaderIncHighWatermark",
        "BecomeFollowerTruncateKip101", "FollowerReplicate"),
    "kip279": _COMMON + (
        "LeaderExpandIsr", "LeaderShrinkIsr", "LeaderIncHighWatermark",
        "BecomeFollowerTruncateKip279", "FollowerReplicate"),
    "kip320-first-try": _COMMON + (
        "LeaderExpandIsrBetterFencing", "LeaderShrinkIsrBetterFencing",
        "ImprovedLeaderIncHighWatermark", "BecomeFollower", "FollowerFetch",
        "FollowerTruncate"),
    "kip320": _COMMON + (
        "FencedLeaderExpandIsr", "FencedLeaderShrinkIsr", "FencedLeaderIncHighWatermark",
        "FencedBecomeFollowerAndTruncate", "FencedFollowerFetch"),
}

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
        self.dec: dict[int, tuple[int, ...]] = _Decoder(self.decode_replica)
        # the five fields every successor computation reads: lid, hw, epoch, leader, length
        self.fields: dict[int, tuple[int, ...]] = _Decoder(
            lambda x: self.dec[x][:4] + (self.dec[x][5],))
        self.cdec: dict[int, tuple[Any, ...]] = _Decoder(self.decode_controller)

    def decode_replica(self, x: int) -> tuple[int, ...]:
        """(log id, hw, leaderEpoch, leader, isr, log length, low part) of a replica code."""
        lid, rest = divmod(x, self.m_log)
        hw, low = divmod(rest, self.m_hw)
        ep1, rest = divmod(low, self.m_ep)
        ld, isr = divmod(rest, self.m_ld)
        return (lid, hw, ep1 - 1, ld, isr, self.length[lid], low)

    def encode_replica(self, lid: int, hw: int, ep: int, ld: int, isr: int) -> int:
        """The code of one replica's log and replicaState."""
        return lid * self.m_log + hw * self.m_hw + (ep + 1) * self.m_ep + ld * self.m_ld + isr

    def low(self, ep: int, ld: int, isr: int) -> int:
        """The (leaderEpoch, leader, isr) part of a replica code."""
        return (ep + 1) * self.m_ep + ld * self.m_ld + isr

    def decode_controller(self, c: int) -> tuple[Any, ...]:
        """(nextRecordId, quorum leader, quorum isr, nextLeaderEpoch, requests)."""
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
        return (nrid, ql, qisr, len(reqs), tuple(reqs))

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


class KafkaSpecModel(Model):
    """KafkaReplication.tla and its five variants, with TLC-identical state spaces.

    Action labels use the spec's action names and its quantifier order for the arguments
    (brokers as Broker1..N, then the request's epoch); ``ACTION_MEANING`` says what Kafka
    behaviour each action stands for.
    """

    name = "kafka-spec"
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
              fault="leader election at any time (the spec's broker failure)"),
        Bound("symmetry", 0, "1: explore one state per permutation of the brokers (the spec "
              "treats them symmetrically; TLC's reference counts are without it)",
              minimum=0, maximum=1),
        Bound("bug", "none", "inject a bug (not in the spec), to show that TypeOk and "
              "LeaderInIsrWhenLeader can fail", choices=("none", "leader-outside-isr",
                                                           "record-id-overflow")),
    )

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        b = self.bound
        self.variant = b["variant"]
        self.module = VARIANTS[self.variant]
        self.t = _tables(b["replicas"], b["log_size"], b["max_records"],
                         b["max_leader_epoch"])
        self.n = b["replicas"]
        self.names = tuple(f"Broker{i + 1}" for i in range(self.n))
        self._ctrl: dict[int, tuple[tuple[Action, int], ...]] = {}
        self._labels()
        self._next = self._build_next()
        # engines look successors up once per run: give them the closure itself
        self.successors = self._next  # type: ignore[method-assign,assignment]
        if b["bug"] != "none":
            self.successors = self._buggy(self._next, b["bug"])  # type: ignore[method-assign]
        if b["symmetry"]:
            self._perms = [p for p in itertools.permutations(range(self.n))
                           if p != tuple(range(self.n))]
            self._perm_x: list[dict[int, int]] = [
                _Decoder(lambda x, p=p: self._rename_replica(x, p)) for p in self._perms]
            self._perm_c: list[dict[int, int]] = [
                _Decoder(lambda c, p=p: self._rename_controller(c, p)) for p in self._perms]

    def _buggy(self, nxt: Callable[[State], Iterator[tuple[Action, State]]],
               bug: str) -> Callable[[State], Iterator[tuple[Action, State]]]:
        """Successors with an injected bug applied to the controller after some actions."""
        t, n = self.t, self.n

        def successors(state: State) -> Iterator[tuple[Action, State]]:
            for action, after in nxt(state):
                nrid, ql, qisr, _nle, reqs = t.decode_controller(after[n])
                pairs = tuple((ld, isr) for ld, isr, _ in reqs)
                if bug == "leader-outside-isr" and action[0] == "ControllerElectLeader" \
                        and ql < n:
                    # the controller writes an ISR without the leader it just elected
                    after = after[:n] + (t.encode_controller(nrid, ql, qisr & ~(1 << ql),
                                                             pairs),)
                elif bug == "record-id-overflow" and action[0] == "LeaderWrite":
                    after = after[:n] + (t.encode_controller(t.mr + 1, ql, qisr, pairs),)
                yield action, after

        return successors

    def __new__(cls, config: Any) -> KafkaSpecModel:
        """With ``symmetry=1`` build a KafkaSpecSymmetricModel (engines look for ``canonical``)."""
        if cls is KafkaSpecModel and config.bounds.get("symmetry"):
            cls = KafkaSpecSymmetricModel
        return super().__new__(cls)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the configuration (tables and closures are rebuilt in the new process)."""
        return (KafkaSpecModel, (self.config,))

    # -- labels: precomputed, one tuple per (action, arguments) ---------------------------

    def _labels(self) -> None:
        names, n = self.names, self.n
        epochs = range(self.t.me + 1)
        self.lbl_elect = [("ControllerElectLeader", names[r]) for r in range(n)]
        self.lbl_cshrink = [("ControllerShrinkIsr", names[r]) for r in range(n)]
        self.lbl_leader = [[("BecomeLeader", names[r], e) for e in epochs] for r in range(n)]
        self.lbl_write = [("LeaderWrite", names[r]) for r in range(n)]
        acts = ACTIONS[self.variant]
        expand, shrink, inc, follow, fetch = acts[4:9]
        self.lbl_expand = [[(expand, names[a], names[b]) for b in range(n)] for a in range(n)]
        self.lbl_shrink = [[(shrink, names[a], names[b]) for b in range(n)] for a in range(n)]
        self.lbl_inc = [(inc, names[r]) for r in range(n)]
        self.lbl_follow = [[[(follow, names[a], names[b], e) for e in epochs]
                            for b in range(n)] for a in range(n)]
        self.lbl_fetch = [[(fetch, names[a], names[b]) for b in range(n)] for a in range(n)]
        self.lbl_trunc = [[("FollowerTruncate", names[a], names[b]) for b in range(n)]
                          for a in range(n)]

    # -- the state machine ----------------------------------------------------------------

    def init_states(self) -> list[State]:
        """KafkaReplication Init: empty logs, no leader anywhere, quorum ISR = all replicas."""
        t = self.t
        x0 = t.encode_replica(0, 0, -1, t.none, 0)
        c0 = t.encode_controller(0, t.none, t.nisr - 1, ())
        return [(x0,) * self.n + (c0,)]

    def _controller_successors(self, c: int) -> tuple[tuple[Action, int], ...]:
        """ControllerElectLeader and ControllerShrinkIsr from controller code ``c``."""
        t = self.t
        nrid, ql, qisr, nle, reqs = t.cdec[c]
        if nle > t.me:  # LeaderEpochSeq!NextId: no epoch left
            return ()
        old = tuple((ld, isr) for ld, isr, _ in reqs)
        out: list[tuple[Action, int]] = []

        def update(new_leader: int, new_isr: int) -> int:
            # ControllerUpdateIsr: bump the epoch, set the quorum, record the request
            return t.encode_controller(nrid, new_leader, new_isr,
                                       old + ((new_leader, new_isr),))

        for r in t.members[qisr]:
            if ql != r:
                out.append((self.lbl_elect[r], update(r, qisr)))
        for r in range(self.n):
            bit = 1 << r
            if ql == r:
                if qisr == bit:
                    out.append((self.lbl_cshrink[r], update(t.none, qisr)))
                else:
                    out.append((self.lbl_cshrink[r], update(t.none, qisr & ~bit)))
            elif qisr & bit:
                out.append((self.lbl_cshrink[r], update(ql, qisr & ~bit)))
        return tuple(out)

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        """Every enabled action of the variant's Next and the state it leads to."""
        return iter(self._next(state))  # instances bind self.successors to _next directly

    def _build_next(self) -> Callable[[State], list[tuple[Action, State]]]:
        """The variant's Next as a closure over the tables (locals are Python's fastest)."""
        t, n = self.t, self.n
        none, cdec, fields, nisr = t.none, t.cdec, t.fields, t.nisr
        m_log, m_hw, nrid_mul = t.m_log, t.m_hw, t.nrid
        max_records, log_size, ne = t.mr, t.ls, t.ne
        members, append, rec_at, epoch_at = t.members, t.append, t.rec_at, t.epoch_at
        fnmo, trunc, lookup101, last_epoch = t.fnmo, t.trunc, t.lookup101, t.last_epoch
        cue, needs_trunc = t.caught_up_epoch, t.needs_trunc
        ctrl_memo, ctrl_successors = self._ctrl, self._controller_successors
        lbl_leader, lbl_write, lbl_inc = self.lbl_leader, self.lbl_write, self.lbl_inc
        lbl_shrink, lbl_expand = self.lbl_shrink, self.lbl_expand
        lbl_follow, lbl_fetch, lbl_trunc = self.lbl_follow, self.lbl_fetch, self.lbl_trunc
        replicas = range(n)
        v = _VARIANT_CODE[self.variant]

        def leader_write(s: State, c: int, r: int, lid: int, ep: int, nrid: int,
                         out: list[tuple[Action, State]]) -> None:
            # LeaderWrite: a presumed leader appends record nextRecordId in its epoch
            u = list(s)
            u[r] = s[r] + (append[lid][nrid * ne + ep] - lid) * m_log
            u[n] = c + 1
            out.append((lbl_write[r], tuple(u)))

        def isr_change(s: State, c: int, qisr: int, r: int, old: int, new: int,
                       label: Action, out: list[tuple[Action, State]]) -> None:
            # QuorumUpdateLeaderAndIsr: the true leader writes the ISR to quorum and itself
            u = list(s)
            u[r] = s[r] - old + new
            u[n] = c + (new - qisr) * nrid_mul
            out.append((label, tuple(u)))

        def next_kip320(s: State) -> list[tuple[Action, State]]:
            c = s[n]
            nrid, ql, qisr, nle, reqs = cdec[c]
            xs = s[:n]
            lids, hws, eps, lds, lens = zip(*[fields[x] for x in xs])  # noqa: B905
            out: list[tuple[Action, State]] = []
            add = out.append
            # ControllerElectLeader, ControllerShrinkIsr: they only change the controller
            ctrl = ctrl_memo.get(c)
            if ctrl is None:
                ctrl = ctrl_memo[c] = ctrl_successors(c)
            for label, c2 in ctrl:
                add((label, xs + (c2,)))
            # BecomeLeader: a replica applies a request naming it, with a higher epoch
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld != none and e > eps[ld]:
                    u = list(s)
                    u[ld] = xs[ld] - xs[ld] % m_hw + low
                    add((lbl_leader[ld][e], tuple(u)))
            for r in replicas:
                ln, hw, ep = lens[r], hws[r], eps[r]
                if lds[r] != r:
                    # FencedLeaderIncHighWatermark also holds vacuously for an empty ISR
                    if hw < ln and not xs[r] % nisr:
                        u = list(s)
                        u[r] = xs[r] + m_hw
                        add((lbl_inc[r], tuple(u)))
                    continue
                if nrid < max_records and ln < log_size:
                    leader_write(s, c, r, lids[r], ep, nrid, out)
                # FencedLeaderIncHighWatermark: every ISR member follows this epoch and
                # has the record at the HW
                if hw < ln:
                    for f in members[xs[r] % nisr]:
                        if lds[f] != r or eps[f] != ep or hw >= lens[f]:
                            break
                    else:
                        u = list(s)
                        u[r] = xs[r] + m_hw
                        add((lbl_inc[r], tuple(u)))
                if ql == r and ep == nle - 1:  # IsTrueLeader
                    lisr = xs[r] % nisr
                    # FencedLeaderShrinkIsr: off the leader's epoch, or behind its log end
                    for f in members[lisr]:
                        if f != r and (lds[f] != r or eps[f] != ep or lens[f] < ln):
                            isr_change(s, c, qisr, r, lisr, lisr & ~(1 << f),
                                       lbl_shrink[r][f], out)
                    # FencedLeaderExpandIsr: on the epoch, reached the HW, and the HW
                    # reached the leader's own epoch
                    if hw == ln or (hw < ln and epoch_at[lids[r]][hw] == ep):
                        for f in replicas:
                            if (not lisr >> f & 1 and lds[f] == r and eps[f] == ep
                                    and hw <= lens[f]):
                                isr_change(s, c, qisr, r, lisr, lisr | 1 << f,
                                           lbl_expand[r][f], out)
                # FencedBecomeFollowerAndTruncate: only with a leader already in the epoch
                req_leader, _isr, low = reqs[ep]
                if req_leader == r:
                    row = fnmo[lids[r]]
                    for f in replicas:
                        if eps[f] < ep and f != r:
                            off = row[lids[f]]
                            h2 = off if off < hws[f] else hws[f]
                            u = list(s)
                            u[f] = trunc[lids[f]][off] * m_log + h2 * m_hw + low
                            add((lbl_follow[r][f][ep], tuple(u)))
            # FencedFollowerFetch: same epoch as the leader, one record at the log end
            for f in replicas:
                ld = lds[f]
                if (ld != none and ld != f and lds[ld] == ld and eps[f] == eps[ld]
                        and lens[f] < lens[ld]):
                    lf = lens[f]
                    h2 = hws[ld] if hws[ld] <= lf else lf + 1
                    u = list(s)
                    u[f] = append[lids[f]][rec_at[lids[ld]][lf]] * m_log + h2 * m_hw + xs[f] % m_hw
                    add((lbl_fetch[f][ld], tuple(u)))
            return out

        def next_first_try(s: State) -> list[tuple[Action, State]]:
            c = s[n]
            nrid, ql, qisr, nle, reqs = cdec[c]
            xs = s[:n]
            lids, hws, eps, lds, lens = zip(*[fields[x] for x in xs])  # noqa: B905
            out: list[tuple[Action, State]] = []
            add = out.append
            # ControllerElectLeader, ControllerShrinkIsr: they only change the controller
            ctrl = ctrl_memo.get(c)
            if ctrl is None:
                ctrl = ctrl_memo[c] = ctrl_successors(c)
            for label, c2 in ctrl:
                add((label, xs + (c2,)))
            # BecomeLeader: a replica applies a request naming it, with a higher epoch
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld != none and e > eps[ld]:
                    u = list(s)
                    u[ld] = xs[ld] - xs[ld] % m_hw + low
                    add((lbl_leader[ld][e], tuple(u)))
            for r in replicas:
                if lds[r] != r:
                    continue
                ln, hw, ep = lens[r], hws[r], eps[r]
                row = cue[lids[r]]
                if nrid < max_records and ln < log_size:
                    leader_write(s, c, r, lids[r], ep, nrid, out)
                # ImprovedLeaderIncHighWatermark: ISR epochs match the leader's at the HW
                if hw < ln:
                    for f in members[xs[r] % nisr]:
                        if lds[f] != r or not row[lids[f]][hw + 1]:
                            break
                    else:
                        u = list(s)
                        u[r] = xs[r] + m_hw
                        add((lbl_inc[r], tuple(u)))
                if ql == r and ep == nle - 1:  # IsTrueLeader
                    lisr = xs[r] % nisr
                    # LeaderShrinkIsrBetterFencing
                    for f in members[lisr]:
                        if f != r and (lds[f] != r or not row[lids[f]][ln]):
                            isr_change(s, c, qisr, r, lisr, lisr & ~(1 << f),
                                       lbl_shrink[r][f], out)
                    # LeaderExpandIsrBetterFencing
                    if hw == ln or (hw < ln and epoch_at[lids[r]][hw] == ep):
                        for f in replicas:
                            if not lisr >> f & 1 and lds[f] == r and row[lids[f]][hw]:
                                isr_change(s, c, qisr, r, lisr, lisr | 1 << f,
                                           lbl_expand[r][f], out)
            # BecomeFollower: epoch change without truncation
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld != none:
                    for r in replicas:
                        if eps[r] < e and r != ld:
                            u = list(s)
                            u[r] = xs[r] - xs[r] % m_hw + low
                            add((lbl_follow[ld][r][e], tuple(u)))
            for f in replicas:
                ld = lds[f]
                if ld == none or ld == f or lds[ld] != ld:
                    continue
                lf = lens[f]
                # FollowerFetch: the epoch of the follower's last record matches the leader
                if lf < lens[ld] and cue[lids[ld]][lids[f]][lf]:
                    h2 = hws[ld] if hws[ld] <= lf else lf + 1
                    u = list(s)
                    u[f] = append[lids[f]][rec_at[lids[ld]][lf]] * m_log + h2 * m_hw + xs[f] % m_hw
                    add((lbl_fetch[f][ld], tuple(u)))
                # FollowerTruncate: after a LOG_TRUNCATION error
                if needs_trunc[lids[f]][lids[ld]]:
                    off = fnmo[lids[ld]][lids[f]]
                    h2 = off if off < hws[f] else hws[f]
                    u = list(s)
                    u[f] = trunc[lids[f]][off] * m_log + h2 * m_hw + xs[f] % m_hw
                    add((lbl_trunc[ld][f], tuple(u)))
            return out

        def next_legacy(s: State) -> list[tuple[Action, State]]:
            c = s[n]
            nrid, ql, qisr, nle, reqs = cdec[c]
            xs = s[:n]
            lids, hws, eps, lds, lens = zip(*[fields[x] for x in xs])  # noqa: B905
            out: list[tuple[Action, State]] = []
            add = out.append
            # ControllerElectLeader, ControllerShrinkIsr: they only change the controller
            ctrl = ctrl_memo.get(c)
            if ctrl is None:
                ctrl = ctrl_memo[c] = ctrl_successors(c)
            for label, c2 in ctrl:
                add((label, xs + (c2,)))
            # BecomeLeader: a replica applies a request naming it, with a higher epoch
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld != none and e > eps[ld]:
                    u = list(s)
                    u[ld] = xs[ld] - xs[ld] % m_hw + low
                    add((lbl_leader[ld][e], tuple(u)))
            for r in replicas:
                if lds[r] != r:
                    continue
                ln, hw, ep = lens[r], hws[r], eps[r]
                if nrid < max_records and ln < log_size:
                    leader_write(s, c, r, lids[r], ep, nrid, out)
                # LeaderIncHighWatermark: the ISR follows this replica and has offset HW
                if hw < log_size:
                    for f in members[xs[r] % nisr]:
                        if lds[f] != r or hw >= lens[f]:
                            break
                    else:
                        u = list(s)
                        u[r] = xs[r] + m_hw
                        add((lbl_inc[r], tuple(u)))
                if ql == r and ep == nle - 1:  # IsTrueLeader
                    lisr = xs[r] % nisr
                    # LeaderShrinkIsr: not caught up to the leader's log end
                    for f in members[lisr]:
                        if f != r and (lds[f] != r or (ln > 0 and lens[f] < ln)):
                            isr_change(s, c, qisr, r, lisr, lisr & ~(1 << f),
                                       lbl_shrink[r][f], out)
                    # LeaderExpandIsr: caught up to the leader's HW
                    for f in replicas:
                        if (not lisr >> f & 1 and lds[f] == r
                                and (hw == 0 or (hw <= ln and hw <= lens[f]))):
                            isr_change(s, c, qisr, r, lisr, lisr | 1 << f,
                                       lbl_expand[r][f], out)
            # BecomeFollowerAndTruncateTo with the variant's truncation offset; the spec
            # quantifies the leader over Replicas, so requests naming None are never applied
            for e, (ld, _isr, low) in enumerate(reqs):
                if ld == none:
                    continue
                for r in replicas:
                    if eps[r] >= e or r == ld:
                        continue
                    if v == TRUNC_HW:
                        off = hws[r]
                    elif v == KIP101:
                        if lens[r] == 0:
                            off = 0
                        else:
                            off = lookup101[lids[ld]][last_epoch[lids[r]]]
                            if off < 0:
                                off = hws[r]
                    else:
                        off = fnmo[lids[ld]][lids[r]]
                    if off > lens[r]:
                        continue  # TruncateTo cannot extend a log: not enabled
                    h2 = off if off < hws[r] else hws[r]
                    u = list(s)
                    u[r] = trunc[lids[r]][off] * m_log + h2 * m_hw + low
                    add((lbl_follow[ld][r][e], tuple(u)))
            # FollowerReplicate: no epoch fencing at all
            for f in replicas:
                ld = lds[f]
                if ld != none and ld != f and lds[ld] == ld and lens[f] < lens[ld]:
                    lf = lens[f]
                    h2 = hws[ld] if hws[ld] <= lf else lf + 1
                    u = list(s)
                    u[f] = append[lids[f]][rec_at[lids[ld]][lf]] * m_log + h2 * m_hw + xs[f] % m_hw
                    add((lbl_fetch[f][ld], tuple(u)))
            return out

        if v == KIP320:
            return next_kip320
        if v == KIP320_FIRST_TRY:
            return next_first_try
        return next_legacy

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
        if self.variant == "kip279":
            for e, (ld, _isr, _low) in enumerate(reqs):
                if ld != t.none:
                    extra += sum(1 for r in range(n) if r != ld and eps[r] < e and not lens[r])
        elif self.variant == "kip320" and ql != t.none and lds[ql] == ql and eps[ql] == nle - 1:
            extra += sum(1 for f in t.members[isrs[ql]]
                         if f != ql and (lds[f] != ql or eps[f] != eps[ql])
                         and lens[f] < lens[ql])
        return extra

    def action_families(self) -> tuple[str, ...]:
        return ACTIONS[self.variant]

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


class KafkaSpecSymmetricModel(KafkaSpecModel):
    """The same specification explored up to renaming of the brokers."""

    symmetry_note = "states equal up to renaming the brokers are explored once"

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


def _rename_mask(mask: int, p: tuple[int, ...]) -> int:
    out = 0
    for r, q in enumerate(p):
        if mask >> r & 1:
            out |= 1 << q
    return out
