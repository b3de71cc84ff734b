"""Consumer groups over a partition log: the classic rebalance protocol, commits, zombies.

The question it answers: can my consumers lose or duplicate records when the group
rebalances or a member crashes, and can two members ever own one partition?  The group
coordinator (ClassicGroup, GroupMetadataManager), the client side of the protocol
(AbstractCoordinator, ConsumerCoordinator), the poll loop (poll, processing, commits) and
the partition log (an abstract log, or the replication model embedded) are one state
machine.  Time is abstract: a session expiring, max.poll.interval.ms passing and the
auto-commit interval elapsing are nondeterministic events, bounded where they are faults.
Assignments come from Kafka's own assignors (``model/algorithms/assignors.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafkacheck.config import Config
from kafkacheck.model.algorithms import assignors
from kafkacheck.model.algorithms.assignor_common import (
    CooperativeUserData,
    MemberSubscription,
    StickyUserData,
)
from kafkacheck.model.clients.group_log import AbstractLog, ReplicatedLog
from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.properties.base import Property

# Classic group states (ClassicGroupState).
EMPTY, PREPARING, COMPLETING, STABLE = range(4)
GROUP_STATES = ("Empty", "PreparingRebalance", "CompletingRebalance", "Stable")

# A consumer as its client sees itself (AbstractCoordinator.MemberState, plus DOWN for a
# process that is not running).  UNJOINED with a generation > 0 is Java's STABLE with a
# rejoin requested (cooperative second round, REBALANCE_IN_PROGRESS); with generation 0 it
# is Java's UNJOINED after a reset (poll timeout, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION).
DOWN, UNJOINED, JOINING, AWAIT_SYNC, MSTABLE = range(5)
MEMBER_STATES = ("down", "unjoined", "joining", "awaiting-sync", "stable")

# Where the application's poll loop is: in poll() (IDLE), holding polled records (POLLED),
# or between processing and committing them (HALF: processed awaiting commit for
# sync-after-processing, committed awaiting processing for before-processing).
IDLE, POLLED, HALF = range(3)

# Fields of the model state.
(GS, GEN, MEMBERS, JOINED, LEADER, ASSIGN, SUBS, INITIAL, COMMITTED, LSO, LOG, CONS, BUDGET,
 PROCESSED, EXCUSED, STARTED, DUP) = range(17)
FIELDS = ("group_state", "generation", "members", "joined", "leader", "assignment",
          "subscriptions", "initial_delay", "committed", "log_start", "log", "consumers",
          "budget", "processed", "excused", "started", "duplicate")

# Fields of one consumer.
ST, MGEN, OWNED, POS, PHASE, BP, BS, BE, BREC, UNAWARE, AGEN = range(11)

# Fault budgets, in BUDGET.
B_CRASH, B_CLOSE, B_REJOIN, B_POLL_TIMEOUT, B_PAUSE, B_RETENTION = range(6)

NO_SUBSCRIPTION = (0, 0)
NO_GEN = 0  # generation 0: none (Kafka's NO_GENERATION is -1; generations start at 1)
NO_LEADER = -1
NO_POSITION = -1
NO_COMMIT = -1

COMMIT_STRATEGIES = ("auto", "sync-after-processing", "before-processing", "none")
LOG_KINDS = ("abstract", "replicated")
BUGS = ("none", "accept-stale-commits", "no-withhold", "fetch-above-hw", "assign-all-to-leader",
        "delete-on-commit")
TOPIC = "topic"


def consumer_name(i: int) -> str:
    """Display name of consumer slot ``i``."""
    return f"C{i + 1}"


def parts_text(mask: int) -> str:
    """A partition bitmask as {p0, p2}."""
    return "{" + ", ".join(f"p{p}" for p in range(mask.bit_length()) if mask >> p & 1) + "}"


def _put(values: tuple, index: int, value: object) -> tuple:
    return values[:index] + (value,) + values[index + 1:]


def offsets_text(start: int, end: int) -> str:
    """Offsets start..end-1 as 'offset 3' or 'offsets 3-4'."""
    return f"offset {start}" if end - start == 1 else f"offsets {start}-{end - 1}"


def _lowest(mask: int) -> int:
    return (mask & -mask).bit_length() - 1 if mask else NO_LEADER


class GroupModel(Model):
    """A consumer group: coordinator, members, poll loop and commits over a partition log."""

    name = "group"
    symmetry_note = "generation numbers renumbered in order of appearance (the protocol " \
        "only compares them)"
    summary = ("Consumer group: join/sync/generations, eager and cooperative rebalancing, "
               "commits, zombies, offset reset, retention")
    source = ("ConsumerCoordinator, AbstractCoordinator, ClassicGroup/GroupMetadataManager; "
              "KIP-62, KIP-345, KIP-429")
    settings = (
        "group.protocol",
        "partition.assignment.strategy",
        "group.instance.id",
        "enable.auto.commit",
        "auto.commit.interval.ms",
        "auto.offset.reset",
        "max.poll.records",
        "max.poll.interval.ms",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "group.initial.rebalance.delay.ms",
        "replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "acks",
    )
    key_settings = ("partition.assignment.strategy", "enable.auto.commit", "auto.offset.reset",
                    "group.instance.id")
    bounds = (
        Bound("consumers", 2, "consumer processes in the group", minimum=1, maximum=4),
        Bound("partitions", 1, "partitions of the subscribed topic", minimum=1, maximum=4),
        Bound("records", 2, "records the producer appends in all (to any partition)",
              minimum=0, maximum=12),
        Bound("commit", "auto", "what the application commits: auto (enable.auto.commit, "
              "in poll), sync-after-processing (commitSync after processing), "
              "before-processing (commitSync right after poll), none; a manual strategy "
              "turns auto-commit off unless enable.auto.commit=true is set explicitly",
              choices=COMMIT_STRATEGIES),
        Bound("crashes", 0, "consumer process crashes (no LeaveGroup, no commit)", minimum=0,
              fault="consumer crash"),
        Bound("closes", 0, "clean consumer closes (commit if auto, LeaveGroup if dynamic)",
              minimum=0),
        Bound("rejoins", 0, "restarts of a crashed or closed consumer (a new member; the "
              "same group.instance.id when static)", minimum=0, fault="consumer restart"),
        Bound("poll_timeouts", 0, "max.poll.interval.ms exceeded while processing (KIP-62): "
              "the member leaves but its processing goes on (a zombie)", minimum=0,
              fault="poll timeout (zombie consumer)"),
        Bound("pauses", 0, "a live member's session expires while it is paused (GC, "
              "network partition): removed without knowing it", minimum=0,
              fault="paused consumer (session expiry)"),
        Bound("retention", 0, "moves of a log start offset by retention", minimum=0,
              fault="retention deletes records"),
        Bound("hw_lag", 0, "abstract log: 0 the high watermark follows each append; 1 it "
              "advances in its own steps (replication catching up)", minimum=0, maximum=1),
        Bound("log", "abstract", "abstract: a partition log with HW and log start; "
              "replicated: the replication model embedded (brokers = replication.factor)",
              choices=LOG_KINDS),
        Bound("broker_crashes", 1, "with log=replicated: broker crashes", minimum=0,
              fault="broker process crash (log=replicated)"),
        Bound("bug", "none", "inject a bug, to show that the properties can fail",
              choices=BUGS),
    )
    fields = FIELDS

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        k, b = config.kafka, config.bounds
        if k["group.protocol"] != "classic":
            return ("group.protocol=consumer (KIP-848) is not modelled: the group model "
                    "checks the classic protocol")
        reset = k["auto.offset.reset"]
        if reset not in ("earliest", "latest", "none"):
            return f"auto.offset.reset={reset} is not modelled (earliest, latest or none)"
        try:
            assignors.rebalance_protocol(list(k["partition.assignment.strategy"]))
        except ValueError as exc:
            return f"partition.assignment.strategy: {exc}"
        if b["commit"] == "auto" and not k["enable.auto.commit"]:
            return ("commit=auto needs enable.auto.commit=true; pick a manual strategy with "
                    "--bound commit=sync-after-processing|before-processing|none")
        if b["log"] == "replicated":
            if k["min.insync.replicas"] > k["replication.factor"]:
                return "min.insync.replicas exceeds replication.factor"
            if k["replication.factor"] > 3:
                return "log=replicated: replication.factor at most 3 here"
            if b["records"] > 6:
                return "log=replicated: at most 6 records"
        elif b["records"] > 12:
            return "at most 12 records"
        return None

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        k, b = self.kafka, self.bound
        self.n = b["consumers"]
        self.p = b["partitions"]
        self.max_records = b["records"]
        self.commit = b["commit"]
        self.bug = b["bug"]
        self.auto = bool(k["enable.auto.commit"]) and (
            self.commit == "auto" or "enable.auto.commit" in config.explicit)
        self.reset = k["auto.offset.reset"]
        self.max_poll = k["max.poll.records"]
        strategies = list(k["partition.assignment.strategy"])
        self.strategy = strategies[0]  # every member lists the same: the leader picks the first
        self.protocol = assignors.rebalance_protocol(strategies)
        self.cooperative = self.protocol == assignors.COOPERATIVE
        self.sticky = self.strategy in ("sticky", "cooperative-sticky")
        instance = k["group.instance.id"]
        self.static = bool(instance)
        self.instance_ids = tuple(f"{instance}-{i + 1}" if instance else None
                                  for i in range(self.n))
        self.member_ids = tuple(f"consumer-{i + 1}" for i in range(self.n))
        self.hw_lag = b["hw_lag"]
        self.replicated = b["log"] == "replicated"
        self.log = (ReplicatedLog(self, config) if self.replicated
                    else AbstractLog(self.p, self.max_records, self.hw_lag))
        self._assign_cache: dict[tuple, tuple[int, ...]] = {}
        self._index = {consumer_name(i): i for i in range(self.n)}

    def index_of(self, name: str) -> int:
        """The slot of a consumer named in an action label (C1 -> 0)."""
        return self._index[name]

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        b = self.bound
        member = (UNJOINED, NO_GEN, 0, (NO_POSITION,) * self.p, IDLE, -1, 0, 0, 0, False, NO_GEN)
        zeros = (0,) * self.p
        return [(EMPTY, 0, 0, 0, NO_LEADER, (), (NO_SUBSCRIPTION,) * self.n, False,
                 (NO_COMMIT,) * self.p, zeros, self.log.initial(), (member,) * self.n,
                 (b["crashes"], b["closes"], b["rejoins"], b["poll_timeouts"], b["pauses"],
                  b["retention"]),
                 zeros, zeros, 0, False)]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        if self.bug == "delete-on-commit":
            yield from self._deleting_commits(state)
            return
        for i in range(self.n):
            yield from self._member_actions(state, i)
        yield from self._coordinator_actions(state)
        yield from self._log_actions(state)

    def _deleting_commits(self, state: State) -> Iterator[tuple[Action, State]]:
        """Injected bug: a commit deletes the log below the committed offset (as a queue
        would); Kafka never does this (consuming does not delete)."""
        self.bug, saved = "none", self.bug
        try:
            for action, nxt in self.successors(state):
                if nxt[COMMITTED] != state[COMMITTED]:
                    lso = tuple(max(a, b) for a, b in zip(nxt[LSO], nxt[COMMITTED],
                                                          strict=True))
                    nxt = nxt[:LSO] + (lso,) + nxt[LSO + 1:]
                yield action, nxt
        finally:
            self.bug = saved

    def canonical(self, state: State) -> State:
        """Generation numbers renumbered 1, 2, ... in their order (0 stays 'none').

        Sound because the protocol and the assignors only compare generations (equality,
        order) and the next one is always above every one in the state.
        """
        gen = state[GEN]
        cons = state[CONS]
        used = {gen}
        for m in cons:
            used.add(m[MGEN])
            used.add(m[AGEN])
        if self.sticky:
            for _, g in state[SUBS]:
                used.add(g)
        used.discard(0)
        if len(used) == gen:
            return state  # already 1..gen
        rank = {g: r for r, g in enumerate(sorted(used), 1)}
        rank[0] = 0
        cons = tuple(m[:MGEN] + (rank[m[MGEN]],) + m[MGEN + 1:AGEN] + (rank[m[AGEN]],)
                     for m in cons)
        subs = state[SUBS]
        if self.sticky:
            subs = tuple((mask, rank[g]) for mask, g in subs)
        return (state[GS], rank[gen], *state[MEMBERS:SUBS], subs, *state[SUBS + 1:CONS], cons,
                *state[CONS + 1:])

    # -- helpers on the composite state ----------------------------------------------

    @staticmethod
    def _with_member(state: State, i: int, m: tuple) -> State:
        cons = state[CONS]
        return state[:CONS] + (cons[:i] + (m,) + cons[i + 1:],) + state[CONS + 1:]

    @staticmethod
    def _spend(state: State, which: int) -> State:
        budget = state[BUDGET]
        return _put(state, BUDGET, _put(budget, which, budget[which] - 1))

    def _remove(self, s: list, i: int) -> None:
        """The coordinator removes member i (LeaveGroup, session or rebalance timeout).

        GroupMetadataManager.removeMemberAndUpdateClassicGroup: a stable or completing group
        prepares a rebalance; a preparing group whose remaining members all joined completes
        the join phase at once.
        """
        bit = 1 << i
        s[MEMBERS] &= ~bit
        s[JOINED] &= ~bit
        s[SUBS] = _put(s[SUBS], i, NO_SUBSCRIPTION)
        if s[LEADER] == i:
            s[LEADER] = _lowest(s[MEMBERS])
        if s[GS] in (STABLE, COMPLETING):
            self._prepare(s)
        elif s[GS] == PREPARING and s[JOINED] == s[MEMBERS]:
            self._complete_join(s)

    def _prepare(self, s: list) -> None:
        """GroupMetadataManager.prepareRebalance: PreparingRebalance, pending syncs fail."""
        initial = s[GS] == EMPTY
        s[GS] = PREPARING
        s[ASSIGN] = ()
        s[INITIAL] = initial
        if not initial and s[JOINED] == s[MEMBERS]:
            self._complete_join(s)

    def _complete_join(self, s: list, timeout: bool = False) -> None:
        """completeClassicGroupJoin: next generation; joined members get JoinGroup responses.

        On the rebalance timeout, dynamic members that did not rejoin are removed first;
        static ones stay (KIP-345).  ClassicGroup.maybeElectNewJoinedLeader picks a joined
        leader when the old one did not rejoin.
        """
        if timeout:
            for i in range(self.n):
                if s[MEMBERS] >> i & 1 and not s[JOINED] >> i & 1 and not self.static:
                    s[MEMBERS] &= ~(1 << i)
                    s[SUBS] = _put(s[SUBS], i, NO_SUBSCRIPTION)
        gen = s[GEN] + 1
        s[GEN] = gen
        s[INITIAL] = False
        s[ASSIGN] = ()
        joined = s[JOINED]
        s[JOINED] = 0
        if not s[MEMBERS]:
            s[GS] = EMPTY
            s[LEADER] = NO_LEADER
            return
        s[GS] = COMPLETING
        if s[LEADER] == NO_LEADER or not joined >> s[LEADER] & 1:
            s[LEADER] = _lowest(joined)
        cons = list(s[CONS])
        for i in range(self.n):
            if joined >> i & 1 and cons[i][ST] == JOINING:
                cons[i] = _put(_put(cons[i], ST, AWAIT_SYNC), MGEN, gen)
        s[CONS] = tuple(cons)

    def _commit_error(self, state: State, i: int) -> str | None:
        """Why an OffsetCommit from consumer i fails, or None when it is accepted.

        Client: ConsumerCoordinator.sendOffsetCommitRequest needs generationIfStable().
        Coordinator: ClassicGroup.validateOffsetCommit (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
        REBALANCE_IN_PROGRESS while CompletingRebalance).
        """
        if self.bug == "accept-stale-commits":
            return None
        m = state[CONS][i]
        if m[ST] in (JOINING, AWAIT_SYNC):
            return "RebalanceInProgressException"
        if m[ST] not in (MSTABLE, UNJOINED) or m[MGEN] == NO_GEN:
            return "CommitFailedException (not in an active group)"
        if not state[MEMBERS] >> i & 1:
            return "UNKNOWN_MEMBER_ID"
        if m[MGEN] != state[GEN]:
            return "ILLEGAL_GENERATION"
        if state[GS] == COMPLETING:
            return "REBALANCE_IN_PROGRESS"
        return None

    def _committed_positions(self, state: State, m: tuple) -> tuple:
        """The committed offsets after committing a member's positions (allConsumed)."""
        committed = state[COMMITTED]
        owned, pos = m[OWNED], m[POS]
        for p in range(self.p):
            if owned >> p & 1 and pos[p] >= 0 and committed[p] != pos[p]:
                committed = _put(committed, p, pos[p])
        return committed

    def _has_uncommitted(self, state: State, m: tuple) -> bool:
        committed = state[COMMITTED]
        owned, pos = m[OWNED], m[POS]
        return any(owned >> p & 1 and pos[p] >= 0 and pos[p] != committed[p]
                   for p in range(self.p))

    # -- the consumers ------------------------------------------------------------------

    def _member_actions(self, state: State, i: int) -> Iterator[tuple[Action, State]]:
        m = state[CONS][i]
        st = m[ST]
        name = consumer_name(i)
        budget = state[BUDGET]
        if st == DOWN:
            if budget[B_REJOIN] > 0 and (self.static or not state[MEMBERS] >> i & 1):
                yield ("Restart", name), self._restart(state, i)
            return
        phase = m[PHASE]
        if phase == IDLE:
            if st == UNJOINED or (st == MSTABLE and state[GS] == PREPARING and not m[UNAWARE]
                                  and state[MEMBERS] >> i & 1 and m[MGEN] == state[GEN]
                                  and not state[JOINED] >> i & 1):
                yield from self._join(state, i)
            elif st == AWAIT_SYNC:
                yield from self._sync(state, i)
            if st >= JOINING and m[OWNED]:
                # poll(Duration) does not wait for a rebalance (waitForJoinGroup=false): a
                # member keeps fetching the partitions it owns that have a position.
                for p in range(self.p):
                    if m[OWNED] >> p & 1 and (st == MSTABLE or m[POS][p] != NO_POSITION):
                        yield from self._poll(state, i, p)
            if st == MSTABLE and self.auto and self._has_uncommitted(state, m) \
                    and self._commit_error(state, i) is None:
                committed = self._committed_positions(state, m)
                yield ("AutoCommit", name), _put(state, COMMITTED, committed)
            if st in (UNJOINED, MSTABLE) and budget[B_CLOSE] > 0:
                yield ("Close", name), self._close(state, i)
        else:
            yield from self._process_or_commit(state, i)
            if st >= JOINING and m[MGEN] != NO_GEN and budget[B_POLL_TIMEOUT] > 0 \
                    and not m[UNAWARE] and state[MEMBERS] >> i & 1:
                yield ("PollTimeout", name), self._poll_timeout(state, i)
        if st == MSTABLE and m[UNAWARE]:
            yield ("HeartbeatFailed", name, "UNKNOWN_MEMBER_ID"), self._reset_member(state, i)
        elif st == MSTABLE and budget[B_PAUSE] > 0 and state[MEMBERS] >> i & 1:
            yield ("Pause", name, "session expired"), self._pause(state, i)
        if budget[B_CRASH] > 0:
            yield ("Crash", name), self._crash(state, i)

    def _restart(self, state: State, i: int) -> State:
        """A crashed or closed consumer process starts again: a new KafkaConsumer."""
        m = (UNJOINED, NO_GEN, 0, (NO_POSITION,) * self.p, IDLE, -1, 0, 0, 0, False, NO_GEN)
        return self._spend(self._with_member(state, i, m), B_REJOIN)

    def _subscription(self, m: tuple, owned_before: int) -> tuple[int, int]:
        """What JoinGroup carries for the assignor, as (partitions, generation) the way the
        assignor reads it (ConsumerCoordinator.metadata, AbstractStickyAssignor.memberData).

        Sticky: userData = the last assignment and its generation.  Cooperative sticky:
        ownedPartitions with Subscription.generationId, or the userData generation when the
        member's generation was reset.  Range and round robin read only the topics.
        """
        if not self.sticky:
            return NO_SUBSCRIPTION
        if self.cooperative:
            return (m[OWNED], m[MGEN] or m[AGEN])
        return (owned_before, m[AGEN]) if m[AGEN] else NO_SUBSCRIPTION

    def _join(self, state: State, i: int) -> Iterator[tuple[Action, State]]:
        """onJoinPrepare then JoinGroup (ConsumerCoordinator.onJoinPrepare,
        AbstractCoordinator.sendJoinGroupRequest; GroupMetadataManager.classicGroupJoin)."""
        m = state[CONS][i]
        s = list(state)
        notes = []
        owned_before = m[OWNED]
        if m[MGEN] == NO_GEN:
            # Generation reset: the partitions are lost (onPartitionsLost), nothing committed.
            if m[OWNED]:
                notes.append("partitions lost")
            m = _put(_put(m, OWNED, 0), POS, (NO_POSITION,) * self.p)
        else:
            if self.auto and self._has_uncommitted(state, m) \
                    and self._commit_error(state, i) is None:
                s[COMMITTED] = self._committed_positions(state, m)
                notes.append("auto-commit")
            if not self.cooperative and m[OWNED]:
                notes.append("revoke all")
                m = _put(_put(m, OWNED, 0), POS, (NO_POSITION,) * self.p)
        bit = 1 << i
        s[SUBS] = _put(s[SUBS], i, self._subscription(m, owned_before))
        known = s[MEMBERS] & bit
        gs = s[GS]
        if self.static and known and m[MGEN] == NO_GEN and gs == STABLE:
            # KIP-345: a known group.instance.id rejoining a stable group replaces the old
            # member id and gets the current generation without a rebalance.
            m = _put(_put(m, ST, AWAIT_SYNC), MGEN, s[GEN])
            notes.append("static member, no rebalance")
            s[CONS] = _put(s[CONS], i, m)
            yield ("Join", consumer_name(i), *notes), tuple(s)
            return
        if known and not self.static and state[SUBS][i] == s[SUBS][i] \
                and (gs == COMPLETING or (gs == STABLE and s[LEADER] != i)):
            # classicGroupJoinExistingMember: unchanged metadata gets the current generation
            # (in Stable only a follower; the leader's JoinGroup forces a rebalance).
            m = _put(_put(m, ST, AWAIT_SYNC), MGEN, s[GEN])
            s[CONS] = _put(s[CONS], i, m)
            yield ("Join", consumer_name(i), *notes, "unchanged"), tuple(s)
            return
        m = _put(m, ST, JOINING)
        s[CONS] = _put(s[CONS], i, m)
        if not known:
            s[MEMBERS] |= bit
            if s[LEADER] == NO_LEADER:
                s[LEADER] = i
        s[JOINED] |= bit
        if gs == PREPARING:
            if not s[INITIAL] and s[JOINED] == s[MEMBERS]:
                self._complete_join(s)
        else:
            self._prepare(s)
        yield ("Join", consumer_name(i), *notes), tuple(s)

    def _assignment(self, state: State) -> tuple[int, ...]:
        """The leader's assignment: Kafka's assignor on the members' subscriptions."""
        members = state[MEMBERS]
        subs = state[SUBS]
        key = (members, subs if self.sticky else (), state[LEADER])
        cached = self._assign_cache.get(key)
        if cached is not None:
            return cached
        tps = [(TOPIC, p) for p in range(self.p)]
        by_id: dict[str, MemberSubscription] = {}
        for i in range(self.n):
            if not members >> i & 1:
                continue
            mask, gen = subs[i]
            owned = tuple(tp for tp in tps if mask >> tp[1] & 1)
            if not self.sticky:
                sub = MemberSubscription((TOPIC,), group_instance_id=self.instance_ids[i])
            elif self.cooperative:
                sub = MemberSubscription((TOPIC,), owned, gen or -1,
                                         CooperativeUserData(gen or -1),
                                         group_instance_id=self.instance_ids[i])
            else:
                user = StickyUserData(owned, gen) if gen else None
                sub = MemberSubscription((TOPIC,), (), None, user,
                                         group_instance_id=self.instance_ids[i])
            by_id[self.member_ids[i]] = sub
        result = assignors.assign(self.strategy, {TOPIC: self.p}, by_id)
        out = [0] * self.n
        for i in range(self.n):
            for _, p in result.assignment.get(self.member_ids[i], ()):
                out[i] |= 1 << p
        if self.bug == "no-withhold" and result.cooperative_withheld:
            for (_, p), owner in result.cooperative_withheld.items():
                out[self.member_ids.index(owner)] |= 1 << p
        if self.bug == "assign-all-to-leader":
            out = [(1 << self.p) - 1 if i == state[LEADER] else 0 for i in range(self.n)]
        assignment = tuple(out)
        self._assign_cache[key] = assignment
        return assignment

    def _sync(self, state: State, i: int) -> Iterator[tuple[Action, State]]:
        """SyncGroup (AbstractCoordinator.SyncGroupResponseHandler, classicGroupSync) and
        ConsumerCoordinator.onJoinComplete."""
        m = state[CONS][i]
        name = consumer_name(i)
        gs = state[GS]
        if not state[MEMBERS] >> i & 1 or m[MGEN] != state[GEN]:
            error = "UNKNOWN_MEMBER_ID" if not state[MEMBERS] >> i & 1 else "ILLEGAL_GENERATION"
            m2 = _put(_put(m, ST, UNJOINED), MGEN, NO_GEN)
            yield ("SyncFailed", name, error), self._with_member(state, i, m2)
            return
        if gs == PREPARING:
            m2 = _put(m, ST, UNJOINED)
            yield ("SyncFailed", name, "REBALANCE_IN_PROGRESS"), self._with_member(state, i, m2)
            return
        if gs == COMPLETING and state[LEADER] == i:
            s = list(state)
            s[GS] = STABLE
            s[ASSIGN] = self._assignment(state)
            if not self.static:
                # Dynamic members send their metadata again in every JoinGroup.
                s[SUBS] = (NO_SUBSCRIPTION,) * self.n
            state = tuple(s)
        elif gs != STABLE:
            return  # a follower waits for the leader's SyncGroup
        assigned = state[ASSIGN][i]
        owned = m[OWNED]
        pos = m[POS]
        revoked = owned & ~assigned
        new_pos = tuple(pos[p] if (assigned & owned) >> p & 1 else NO_POSITION
                        for p in range(self.p))
        status = MSTABLE
        if self.cooperative and revoked:
            status = UNJOINED  # KIP-429: revoke, then rejoin for the second round
        m2 = (status, m[MGEN], assigned, new_pos, IDLE, -1, 0, 0, 0, False,
              state[GEN] if self.sticky else NO_GEN)
        label = ("Sync", name, parts_text(assigned))
        if self.cooperative and revoked:
            label = (*label, f"revoke {parts_text(revoked)}")
        yield label, self._with_member(state, i, m2)

    def _poll(self, state: State, i: int, p: int) -> Iterator[tuple[Action, State]]:
        """KafkaConsumer.poll for partition p: position (committed offset or
        auto.offset.reset, SubscriptionState/OffsetFetcher) then a fetch up to the HW
        (FetchCollector, max.poll.records)."""
        view = self.log.view(state[LOG], p)
        if view is None:
            return  # no live leader: the fetch fails
        hw, leo = view
        m = state[CONS][i]
        pos = m[POS][p]
        lso = state[LSO][p]
        note = ""
        start = pos
        if pos == NO_POSITION:
            committed = state[COMMITTED][p]
            if committed != NO_COMMIT:
                start, note = committed, "from committed"
            else:
                start, note = self._reset_to(lso, hw), f"reset {self.reset}"
        if start is not None and (start < lso or start > leo):
            start, note = self._reset_to(lso, hw), f"out of range, reset {self.reset}"
        if start is None:
            return  # NoOffsetForPartitionException (auto.offset.reset=none)
        limit = leo if self.bug == "fetch-above-hw" else hw
        end = min(limit, start + self.max_poll)
        if end <= start and start == pos:
            return
        s = list(state)
        if not state[STARTED] >> p & 1:
            # The group's first position on p: records before it are not owed (latest).
            s[STARTED] = state[STARTED] | 1 << p
            if start > lso:
                owed = self.log.read(state[LOG], p, lso, start) & ~state[PROCESSED][p]
                s[EXCUSED] = _put(state[EXCUSED], p, state[EXCUSED][p] | owed)
        new_pos = _put(m[POS], p, max(end, start))
        if end > start:
            recs = self.log.read(state[LOG], p, start, end)
            m2 = m[:POS] + (new_pos, POLLED, p, start, end, recs) + m[BREC + 1:]
            label = ("Poll", consumer_name(i), f"p{p}", offsets_text(start, end))
        else:
            m2 = _put(m, POS, new_pos)
            label = ("Poll", consumer_name(i), f"p{p}", "none")
        if note:
            label = (*label, note)
        s[CONS] = _put(s[CONS], i, m2)
        yield label, tuple(s)

    def _reset_to(self, lso: int, hw: int) -> int | None:
        """auto.offset.reset: earliest = log start, latest = HW (ListOffsets for
        read_uncommitted), none = NoOffsetForPartitionException."""
        if self.reset == "earliest":
            return lso
        if self.reset == "latest":
            return hw
        return None

    def _process_or_commit(self, state: State, i: int) -> Iterator[tuple[Action, State]]:
        """The application between polls: process the records, commitSync before or after."""
        m = state[CONS][i]
        phase = m[PHASE]
        name = consumer_name(i)
        process_now = (phase == POLLED and self.commit != "before-processing") or \
            (phase == HALF and self.commit == "before-processing")
        if process_now:
            p, recs = m[BP], m[BREC]
            processed = state[PROCESSED]
            dup = state[DUP] or bool(processed[p] & recs)
            done = self.commit != "sync-after-processing"
            m2 = (m[:PHASE] + (IDLE, -1, 0, 0, 0) + m[BREC + 1:]) if done \
                else _put(m, PHASE, HALF)
            s = state[:PROCESSED] + (_put(processed, p, processed[p] | recs),) \
                + state[PROCESSED + 1:DUP] + (dup,)
            yield (("Process", name, f"p{p}", offsets_text(m[BS], m[BE])),
                   self._with_member(s, i, m2))
            return
        # commitSync of every owned position (KafkaConsumer.commitSync()).
        error = self._commit_error(state, i)
        if error is None:
            s = _put(state, COMMITTED, self._committed_positions(state, m))
            m2 = (m[:PHASE] + (IDLE, -1, 0, 0, 0) + m[BREC + 1:]) if phase == HALF \
                else _put(m, PHASE, HALF)
            offsets = ", ".join(f"p{p}@{m[POS][p]}" for p in range(self.p)
                                if m[OWNED] >> p & 1 and m[POS][p] >= 0)
            yield ("Commit", name, offsets or "nothing"), self._with_member(s, i, m2)
            return
        # CommitFailedException: the application skips the rest of this batch and polls,
        # which rejoins.  UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION reset the generation.
        m2 = m[:PHASE] + (IDLE, -1, 0, 0, 0) + m[BREC + 1:]
        if error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"):
            m2 = _put(_put(_put(m2, ST, UNJOINED), MGEN, NO_GEN), UNAWARE, False)
        elif error == "REBALANCE_IN_PROGRESS":
            m2 = _put(m2, ST, UNJOINED)
        yield ("CommitFailed", name, error), self._with_member(state, i, m2)

    def _close(self, state: State, i: int) -> State:
        """KafkaConsumer.close: auto-commit (maybeAutoCommitOffsetsSync), then LeaveGroup
        for a dynamic member (AbstractCoordinator.maybeLeaveGroup; KIP-345 static members
        do not leave)."""
        m = state[CONS][i]
        s = list(self._spend(state, B_CLOSE))
        if self.auto and self._commit_error(state, i) is None:
            s[COMMITTED] = self._committed_positions(state, m)
        s[CONS] = _put(s[CONS], i, self._down(m))
        if not self.static and m[MGEN] != NO_GEN and s[MEMBERS] >> i & 1:
            self._remove(s, i)
        return tuple(s)

    def _down(self, m: tuple) -> tuple:
        return (DOWN, NO_GEN, 0, (NO_POSITION,) * self.p, IDLE, -1, 0, 0, 0, False, NO_GEN)

    def _crash(self, state: State, i: int) -> State:
        """The consumer process dies: no LeaveGroup, no commit, its batch unfinished."""
        s = self._spend(state, B_CRASH)
        return self._with_member(s, i, self._down(state[CONS][i]))

    def _poll_timeout(self, state: State, i: int) -> State:
        """KIP-62: max.poll.interval.ms passes while processing; the heartbeat thread sends
        LeaveGroup (dynamic members) and resets the generation; the processing goes on."""
        m = state[CONS][i]
        s = list(self._spend(state, B_POLL_TIMEOUT))
        s[CONS] = _put(s[CONS], i, _put(_put(m, ST, UNJOINED), MGEN, NO_GEN))
        s[JOINED] &= ~(1 << i)
        if not self.static:
            self._remove(s, i)
        return tuple(s)

    def _pause(self, state: State, i: int) -> State:
        """A paused member's session expires: the coordinator removes it, it does not know."""
        s = list(self._spend(state, B_PAUSE))
        s[CONS] = _put(s[CONS], i, _put(state[CONS][i], UNAWARE, True))
        self._remove(s, i)
        return tuple(s)

    def _reset_member(self, state: State, i: int) -> State:
        """A heartbeat answered UNKNOWN_MEMBER_ID: resetStateAndRejoin, partitions lost."""
        m = state[CONS][i]
        return self._with_member(state, i, _put(_put(_put(m, ST, UNJOINED), MGEN, NO_GEN),
                                                UNAWARE, False))

    # -- the coordinator ----------------------------------------------------------------

    def _coordinator_actions(self, state: State) -> Iterator[tuple[Action, State]]:
        gs = state[GS]
        if gs == PREPARING and state[INITIAL] and state[JOINED]:
            # group.initial.rebalance.delay.ms passed (InitialDelayedJoin).
            s = list(state)
            self._complete_join(s)
            yield ("InitialRebalance",), tuple(s)
        cons = state[CONS]
        members = state[MEMBERS]
        for i in range(self.n):
            if not members >> i & 1:
                continue
            m = cons[i]
            silent = m[ST] == DOWN or (self.static and m[MGEN] == NO_GEN and m[ST] == UNJOINED)
            if silent:
                # session.timeout.ms passes without heartbeats (expireClassicGroupMemberHeartbeat).
                s = list(state)
                self._remove(s, i)
                yield ("Expire", consumer_name(i)), tuple(s)
        if self.static and gs == PREPARING and not state[INITIAL] and state[JOINED] \
                and state[JOINED] != members:
            waiting = members & ~state[JOINED]
            if all(cons[i][ST] == DOWN or (cons[i][MGEN] == NO_GEN and cons[i][ST] == UNJOINED
                                           and cons[i][PHASE] != IDLE)
                   for i in range(self.n) if waiting >> i & 1):
                s = list(state)
                self._complete_join(s, timeout=True)
                yield ("RebalanceTimeout",), tuple(s)

    # -- the log ------------------------------------------------------------------------

    def _log_actions(self, state: State) -> Iterator[tuple[Action, State]]:
        for action, sub in self.log.successors(state[LOG]):
            yield action, state[:LOG] + (sub,) + state[LOG + 1:]
        if state[BUDGET][B_RETENTION] > 0:
            for p in range(self.p):
                view = self.log.view(state[LOG], p)
                lso = state[LSO][p]
                if view is not None and lso < view[0]:
                    # Retention deletes the oldest segment (UnifiedLog.deleteOldSegments, only
                    # below the HW); a record deleted before anyone processed it is excused.
                    s = list(self._spend(state, B_RETENTION))
                    s[LSO] = _put(state[LSO], p, lso + 1)
                    gone = self.log.read(state[LOG], p, lso, lso + 1) & ~state[PROCESSED][p]
                    if gone:
                        s[EXCUSED] = _put(state[EXCUSED], p, state[EXCUSED][p] | gone)
                    yield ("Retention", f"p{p}", f"log start {lso + 1}"), tuple(s)

    # -- properties ---------------------------------------------------------------------

    def effective_settings(self) -> dict[str, Any]:
        """enable.auto.commit as the application runs it (off under a manual commit bound)."""
        return {**super().effective_settings(), "enable.auto.commit": self.auto}

    def properties(self) -> list[Property]:
        from kafkacheck.properties import group as props

        return props.group_properties(self)

    def action_families(self) -> tuple[str, ...]:
        return ("Join", "Sync", "SyncFailed", "Poll", "Process", "Commit", "CommitFailed",
                "AutoCommit", "Close", "Crash", "Restart", "PollTimeout", "Pause",
                "HeartbeatFailed", "Expire", "InitialRebalance", "RebalanceTimeout",
                "Retention", *self.log.families())

    # -- presentation -------------------------------------------------------------------

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {
            "group": f"{GROUP_STATES[state[GS]]} gen {state[GEN]}",
            "members": ("consumers", state[MEMBERS]),
            "leader": "-" if state[LEADER] == NO_LEADER else consumer_name(state[LEADER]),
        }
        if state[ASSIGN]:
            out["assignment"] = ", ".join(f"{consumer_name(i)}:{parts_text(a)}"
                                          for i, a in enumerate(state[ASSIGN])
                                          if state[MEMBERS] >> i & 1)
        out["committed"] = ", ".join(f"p{p}@{'-' if c < 0 else c}"
                                     for p, c in enumerate(state[COMMITTED]))
        out.update(self.log.view_vars(state[LOG], state[LSO]))
        for i, m in enumerate(state[CONS]):
            out[consumer_name(i)] = self._member_text(m)
        out["processed"] = ", ".join(f"p{p}:{self.log.ids_text(mask)}"
                                     for p, mask in enumerate(state[PROCESSED]))
        if any(state[EXCUSED]):
            out["not owed"] = ", ".join(f"p{p}:{self.log.ids_text(mask)}"
                                        for p, mask in enumerate(state[EXCUSED]))
        out["duplicate"] = state[DUP]
        out["budget"] = ("budget", state[BUDGET])
        return out

    def _member_text(self, m: tuple) -> str:
        if m[ST] == DOWN:
            return "down"
        text = f"{MEMBER_STATES[m[ST]]} gen {m[MGEN]} owns {parts_text(m[OWNED])}"
        pos = [f"p{p}@{x}" for p, x in enumerate(m[POS]) if x >= 0]
        if pos:
            text += " pos " + ",".join(pos)
        if m[PHASE] != IDLE:
            what = {POLLED: "polled", HALF: "processed" if self.commit != "before-processing"
                    else "committed"}[m[PHASE]]
            text += f"; {what} p{m[BP]} {offsets_text(m[BS], m[BE])}"
        if m[UNAWARE]:
            text += "; session expired (unaware)"
        return text

    def format_value(self, name: str, value: Any) -> str:
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "consumers":
            return "{" + ", ".join(consumer_name(i) for i in range(self.n)
                                   if value[1] >> i & 1) + "}"
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "budget":
            names = ("crashes", "closes", "rejoins", "poll_timeouts", "pauses", "retention")
            return ", ".join(f"{k}={v}" for k, v in zip(names, value[1], strict=True) if v)
        return value if isinstance(value, str) else repr(value)

    def participants(self) -> tuple[str, ...]:
        return ("Producer", "Log", "Coordinator", *(consumer_name(i) for i in range(self.n)))

    def message(self, action: Action, before: State, after: State) -> Message:
        name, *args = action
        text = " ".join(str(a) for a in args[1:]) if args else ""
        who = args[0] if args and str(args[0]).startswith("C") and str(args[0])[1:].isdigit() \
            else None
        if who is None:
            if name in ("Produce", "AdvanceHw", "Retention") or self.replicated \
                    and name not in ("InitialRebalance", "RebalanceTimeout", "Expire"):
                return Message("Producer" if name == "Produce" else "Log", "Log",
                               " ".join(str(a) for a in action))
            return Message("Coordinator", "Coordinator", " ".join(str(a) for a in action))
        if name in ("Join", "Sync", "Commit", "AutoCommit", "Close", "PollTimeout"):
            return Message(who, "Coordinator", f"{name} {text}".strip())
        if name in ("SyncFailed", "CommitFailed", "HeartbeatFailed"):
            return Message("Coordinator", who, f"{name} {text}".strip())
        if name == "Expire":
            return Message("Coordinator", who, "session expired: removed")
        if name == "Pause":
            return Message("Coordinator", who, "session expired while paused")
        if name == "Poll":
            return Message(who, "Log", f"fetch {text}")
        return Message(who, who, f"{name} {text}".strip())
