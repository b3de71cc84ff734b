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

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple, TypeVar

from kafkacheck.config import Config
from kafkacheck.model import versions
from kafkacheck.model.algorithms import assignors
from kafkacheck.model.algorithms.assignor_common import (
    AssignmentResult,
    CooperativeUserData,
    MemberSubscription,
    StickyUserData,
)
from kafkacheck.model.clients.consumer_config import classic_problem
from kafkacheck.model.clients.group_log import AbstractLog, ReplicatedLog
from kafkacheck.model.clients.poll_loop import (
    COMMIT_STRATEGIES,
    HALF,
    IDLE,
    NO_BATCH,
    NO_COMMIT,
    NO_POSITION,
    POLLED,
    PollLoop,
    auto_commit_enabled,
    commit_problem,
    offsets_text,
    poll_timeout_problem,
)
from kafkacheck.model.interface import (
    ADDED_PARTITIONS,
    Action,
    Bound,
    FaultModel,
    Message,
    Model,
    State,
)
from kafkacheck.model.settings import LOG_LOSS, default_for
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

NO_SUBSCRIPTION = (0, 0)
NO_GEN = 0  # generation 0: none (Kafka's NO_GENERATION is -1; generations start at 1)
NO_LEADER = -1

PROCESSING = ("in-loop", "async")
LOG_KINDS = ("abstract", "replicated")
BROKER_CRASH = "broker crash"  # the broker_crashes bound; replicated logs name the kind
OFFSET_EXPIRY = "committed offsets expire (offsets.retention.minutes)"
DUPLICATE_INSTANCE = "a second process with the same group.instance.id"
TOPIC = "topic"


_T = TypeVar("_T")


def _quick_replace(cls: type[_T]) -> type[_T]:
    """Give a NamedTuple a ``_replace`` with the same meaning that costs about half of
    the standard one (it is on every transition of this model)."""
    index = {name: i for i, name in enumerate(cls._fields)}  # type: ignore[attr-defined]
    new = tuple.__new__

    def _replace(self: _T, /, **changes: Any) -> _T:
        values = list(self)  # type: ignore[call-overload]
        try:
            for name, value in changes.items():
                values[index[name]] = value
        except KeyError as exc:
            raise ValueError(f"{cls.__name__} has no field {exc}") from None
        return new(cls, values)

    cls._replace = _replace  # type: ignore[attr-defined]
    return cls


@_quick_replace
class Member(NamedTuple):
    """One consumer as its client sees itself, and the batch its application holds."""

    status: int  # DOWN, UNJOINED, JOINING, AWAIT_SYNC or MSTABLE
    generation: int  # the generation it believes it is in (NO_GEN: none)
    owned: int  # the partitions it believes it owns (bitmask)
    positions: tuple[int, ...]  # fetch position per partition (NO_POSITION: none)
    phase: int  # IDLE, POLLED or HALF
    batch_partition: int  # the partition of the batch it holds (NO_BATCH: none)
    batch_start: int  # the batch's first offset
    batch_end: int  # one past the batch's last offset
    batch_records: int  # the batch's record ids (bitmask)
    unaware: bool  # the coordinator removed it (session expired) and it does not know yet
    assignor_generation: int  # the generation of its last assignment (sticky userData)
    epochs: tuple[int, ...] = ()  # per partition, the leader epoch of the record before the
    # position (KIP-320 offsetEpoch; -1 unknown); () unless positions are validated


@_quick_replace
class Budget(NamedTuple):
    """The faults still allowed in this run (the fault bounds, counting down)."""

    crashes: int
    closes: int
    rejoins: int
    poll_timeouts: int
    pauses: int
    retention: int
    offset_expiries: int = 0
    duplicates: int = 0


@_quick_replace
class GroupState(NamedTuple):
    """The coordinator, the log, every consumer, and the ghost history the properties need."""

    group_state: int  # EMPTY, PREPARING, COMPLETING or STABLE
    generation: int  # the coordinator's generation
    members: int  # members the coordinator knows (bitmask of consumer slots)
    joined: int  # members that sent JoinGroup in this rebalance
    leader: int  # the group leader's slot (NO_LEADER: none)
    assignment: tuple[int, ...]  # per slot, the partitions of the leader's last assignment
    subscriptions: tuple[tuple[int, int], ...]  # per slot, what JoinGroup told the assignor
    initial_delay: bool  # the first rebalance waits for group.initial.rebalance.delay.ms
    committed: tuple[int, ...]  # per partition, the committed offset (NO_COMMIT: none)
    log_start: tuple[int, ...]  # per partition, the log start offset (retention)
    log: State  # the partition log's own state (AbstractLog or the replication model)
    consumers: tuple[Member, ...]
    budget: Budget
    processed: tuple[int, ...]  # ghost: per partition, the record ids ever processed
    excused: tuple[int, ...]  # ghost: record ids deleted or reset past before anyone processed them
    started: int  # ghost: partitions the group ever had a position on (bitmask)
    duplicate: bool  # ghost: some record was processed twice
    topic_partitions: int = 0  # partitions the topic has now (added_partitions: fewer first)
    stale_metadata: bool = False  # partitions were added after the last assignment
    committed_epochs: tuple[int, ...] = ()  # per partition, the leader epoch committed with
    # the offset (KIP-320; -1 unknown); () unless positions are validated


_LOG_INDEX = GroupState._fields.index("log")  # where the log's state sits (for its properties)


def consumer_name(i: int) -> str:
    """Display name of consumer slot ``i``."""
    return f"C{i + 1}"


def parts_text(mask: int) -> str:
    """A partition bitmask as {p0, p2}."""
    return "{" + ", ".join(f"p{p}" for p in range(mask.bit_length()) if mask >> p & 1) + "}"


def _put(values: tuple, index: int, value: object) -> tuple:
    """A plain tuple (per partition or per consumer) with one element replaced."""
    return values[:index] + (value,) + values[index + 1:]


def _lowest(mask: int) -> int:
    return (mask & -mask).bit_length() - 1 if mask else NO_LEADER


class _Rebalance:
    """The coordinator's fields of a state while a rebalance rule edits them in place."""

    __slots__ = ("group_state", "generation", "members", "joined", "leader", "assignment",
                 "subscriptions", "initial_delay", "consumers")

    def __init__(self, s: GroupState) -> None:
        self.group_state = s.group_state
        self.generation = s.generation
        self.members = s.members
        self.joined = s.joined
        self.leader = s.leader
        self.assignment = s.assignment
        self.subscriptions = s.subscriptions
        self.initial_delay = s.initial_delay
        self.consumers = s.consumers

    def apply(self, s: GroupState) -> GroupState:
        """``s`` with the edited coordinator fields."""
        return GroupState(self.group_state, self.generation, self.members, self.joined,
                          self.leader, self.assignment, self.subscriptions,
                          self.initial_delay, s.committed, s.log_start, s.log,
                          self.consumers, s.budget, s.processed, s.excused, s.started,
                          s.duplicate, s.topic_partitions, s.stale_metadata,
                          s.committed_epochs)

    def set_member(self, i: int, m: Member) -> None:
        """Replace consumer ``i``."""
        self.consumers = _put(self.consumers, i, m)


# The assignors module reproduces the newest code; a release before one of these fixes
# settles two claims of one partition (a member that missed a rebalance) otherwise.
ASSIGNOR_FIXES = {"sticky": "KAFKA-7026", "cooperative-sticky": "KAFKA-12984"}


def older_assignor(strategies: tuple[str, ...], version: tuple[int, int]) -> str | None:
    """The fix the elected assignor (the first listed: the members share their list) lacks
    in ``version``, else None; a release line with the fix in a later patch only counts as
    without it (the version here has no patch number)."""
    jira = ASSIGNOR_FIXES.get(strategies[0]) if strategies else None
    return jira if jira and tuple(version[:2]) < versions.FIXES[jira][0] else None


GROUP_SIZE_REASON = ("the coordinator refuses a member past it (GROUP_MAX_SIZE_REACHED, "
                     "fatal to that consumer), which the model does not run")


def group_size_uncovered(given: Mapping[str, Any], bounds: Mapping[str, Any],
                         key: str) -> dict[str, Any]:
    """A broker's group size limit (group.max.size; group.consumer.max.size for KIP-848)
    below the consumer processes a run starts: not covered (a member would be refused)."""
    limit = given.get(key)
    members = bounds.get("consumers", 0) + bounds.get("duplicate_instances", 0)
    return {key: limit} if isinstance(limit, int) and limit < members else {}


class GroupModel(PollLoop, Model):
    """A consumer group: coordinator, members, poll loop and commits over a partition log."""

    name = "group"
    symmetry_note = "generation numbers renumbered in order of appearance (the protocol " \
        "only compares them)"
    symmetry_over = "generation numbers"
    # The coordinator here never moves and never loses committed offsets (group-consumer
    # models a coordinator failover).
    faults_not_modelled = ("group coordinator failover (__consumer_offsets leader move)",
                           "loss of committed offsets (__consumer_offsets)")
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
        "process.roles",  # ZooKeeper or KRaft before 4.0, with log=replicated
    )
    # group.protocol=consumer is answered by the KIP-848 model (clients/group_consumer.py).
    protocol_variants = ("group.protocol", {"consumer": "group-consumer"})
    key_settings = ("partition.assignment.strategy", "enable.auto.commit", "auto.offset.reset",
                    "group.instance.id")
    # The classic protocol only (KIP-848 is not modelled); no by_duration reset (4.0).
    covered_values = {"group.protocol": ("classic",),
                      "auto.offset.reset": ("earliest", "latest", "none")}
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
        Bound("processing", "in-loop", "in-loop: the poll loop processes a batch before it "
              "polls again; async: it hands the batch to another thread and goes on, so "
              "auto-commit in poll() commits positions past records still being processed, "
              "and the loop rejoins (and a rebalance moves partitions) while the worker "
              "runs; max.poll.interval.ms then never passes (poll_timeouts inject nothing)",
              choices=PROCESSING),
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
        Bound("duplicate_instances", 0, "a second process started with C1's "
              "group.instance.id (an extra consumer slot): the coordinator hands it C1's "
              "membership and fences C1 (FENCED_INSTANCE_ID on its next request, KIP-345)",
              minimum=0, maximum=1, fault=DUPLICATE_INSTANCE),
        Bound("added_partitions", 0, "of the partitions, how many an operator adds while the "
              "group runs (CreatePartitions); the leader's metadata refresh sees them and "
              "rejoins, and their first position comes from auto.offset.reset", minimum=0,
              maximum=3, fault=ADDED_PARTITIONS),
        Bound("retention", 0, "moves of a log start offset by retention", minimum=0,
              fault="retention deletes records"),
        Bound("offset_expiries", 0, "expiries of the group's committed offsets once "
              "offsets.retention.minutes passed: from 2.1 (KIP-211) only while the group is "
              "Empty, before 2.1 retention after each commit, live group or not", minimum=0,
              fault=OFFSET_EXPIRY),
        Bound("hw_lag", 0, "abstract log: 0 the high watermark follows each append; 1 it "
              "advances in its own steps (replication catching up)", minimum=0, maximum=1),
        Bound("log", "abstract", "abstract: a partition log with HW and log start; "
              "replicated: the replication model embedded (brokers = replication.factor)",
              choices=LOG_KINDS),
        Bound("broker_crashes", 1, "with log=replicated: broker crashes", minimum=0,
              fault=BROKER_CRASH),
    )
    fields = GroupState._fields
    # The action that injects each consumer fault of the bounds (with INJECTED_BY's
    # consumer restart, retention and offset expiry): a fault whose action never fired in a
    # run (a poll timeout without records) is offered but never injected, not explored.
    # The KIP-848 coordinator's session timeouts are not a classic group's (its members
    # send session.timeout.ms in JoinGroup).
    timeout_bounds: ClassVar[dict[str, str]] = {"group.consumer.session.timeout.ms": "",
                                                "consumer.session.timeout.ms": ""}
    fault_actions: ClassVar[dict[str, tuple[str, ...]]] = {
        "consumer crash": ("Crash",),
        "poll timeout (zombie consumer)": ("PollTimeout",),
        "paused consumer (session expiry)": ("Pause",),
        DUPLICATE_INSTANCE: ("Start",),
    }

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """A sticky assignor of a release before its fix for two claims of one partition
        (older_assignor) runs code the assignors module does not reproduce."""
        out = group_size_uncovered(given, bounds, "group.max.size")
        if bounds.get("log", "abstract") == "abstract":
            # The abstract log loses nothing: a setting that makes a broker failure take
            # records (an unclean election, KIP-106) is the replicated log's to check.
            out.update({key: given[key] for key in LOG_LOSS
                        if key in given and given[key] != default_for(key, version)})
        strategies = given.get("partition.assignment.strategy")
        if strategies and older_assignor(strategies, version):
            out["partition.assignment.strategy"] = strategies
        return out

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        if name in ("group.max.size", "group.consumer.max.size"):
            return GROUP_SIZE_REASON
        if name in LOG_LOSS:
            return ("log=abstract loses no record to a broker failure; --bound log=replicated "
                    "checks what this setting lets one take")
        if name == "partition.assignment.strategy" and value and value[0] in ASSIGNOR_FIXES:
            jira = ASSIGNOR_FIXES[value[0]]
            first = versions.text(versions.FIXES[jira][0])
            return (f"{value[0]} before {jira} (Kafka {first}) settles two members' claims of "
                    "one partition otherwise, and the model runs the newer assignor only")
        return None

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        # group.protocol and auto.offset.reset values outside covered_values never get here:
        # the run is "not covered" and uses the default (config.build_config).
        k, b = config.kafka, config.bounds
        try:
            assignors.rebalance_protocol(list(k["partition.assignment.strategy"]))
        except ValueError as exc:
            return f"partition.assignment.strategy: {exc}"
        problem = classic_problem(config) or commit_problem(config) \
            or poll_timeout_problem(b)
        if problem:
            return problem
        if b["added_partitions"] >= b["partitions"]:
            return "added_partitions must leave at least one partition at the start"
        if b["added_partitions"] and b["log"] != "abstract":
            return "added_partitions is modelled over log=abstract"
        if b["duplicate_instances"] and not k["group.instance.id"]:
            return "duplicate_instances needs static members: set group.instance.id"
        if b["consumers"] + b["duplicate_instances"] > 4:
            return "consumers + duplicate_instances: at most 4 consumer processes"
        if b["processing"] == "async" and b["commit"] != "auto":
            return ("processing=async is modelled with commit=auto (the poll loop's "
                    "auto-commit); a manual commit after processing waits for the thread")
        if b["log"] == "replicated":
            # min.insync.replicas above replication.factor is Kafka's to judge per release
            # (refused writes before 3.7, KAFKA-15583 after): the embedded model applies it.
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
        # A duplicate instance is one more slot, with C1's group.instance.id.
        self.twin = b["consumers"] if b["duplicate_instances"] else -1
        self.n = b["consumers"] + b["duplicate_instances"]
        self.p = b["partitions"]
        self.first_partitions = b["partitions"] - b["added_partitions"]
        self.max_records = b["records"]
        self.commit = b["commit"]
        self.auto = auto_commit_enabled(config, self.commit)
        self.reset = k["auto.offset.reset"]
        self.async_processing = b["processing"] == "async"
        self.max_poll = k["max.poll.records"]
        strategies = list(k["partition.assignment.strategy"])
        self.strategy = strategies[0]  # every member lists the same: the leader picks the first
        self.protocol = assignors.rebalance_protocol(strategies)
        self.cooperative = self.protocol == assignors.COOPERATIVE
        self.sticky = self.strategy in ("sticky", "cooperative-sticky")
        instance = k["group.instance.id"]
        self.static = bool(instance)
        self.instance_ids = tuple(f"{instance}-{i + 1}" if instance else None
                                  for i in range(b["consumers"]))
        if self.twin >= 0:
            self.instance_ids += (self.instance_ids[0],)
        self.member_ids = tuple(f"consumer-{i + 1}" for i in range(self.n))
        self.hw_lag = b["hw_lag"]
        # KIP-211 (2.1, KAFKA-4682): offsets of a live group no longer expire.
        self.kip211 = config.version >= (2, 1)
        self.replicated = b["log"] == "replicated"
        # KIP-320 (2.3, KAFKA-7747): after a leader change the consumer validates its
        # position with OffsetsForLeaderEpoch; only a replicated log has leader epochs.
        self.validates = self.replicated and config.version >= (2, 3)
        self._no_epochs = (-1,) * self.p if self.validates else ()
        self.log = (ReplicatedLog(self, config) if self.replicated
                    else AbstractLog(self.p, self.max_records, self.hw_lag))
        if self.replicated:
            self.fault_actions = {**type(self).fault_actions, **self.log.fault_actions()}
        self._assign_cache: dict[tuple, tuple[int, ...]] = {}
        # canonical(): a member with its generations renumbered, per (member, ranks)
        self._renumbered: dict[tuple[Member, tuple[int, ...]], Member] = {}
        self._names = tuple(consumer_name(i) for i in range(self.n))
        self._index = {name: i for i, name in enumerate(self._names)}
        self._fresh = Member(UNJOINED, NO_GEN, 0, (NO_POSITION,) * self.p, IDLE, NO_BATCH, 0, 0,
                             0, False, NO_GEN, self._no_epochs)
        self._down_member = self._fresh._replace(status=DOWN)

    def index_of(self, name: str) -> int:
        """The slot of a consumer named in an action label (C1 -> 0)."""
        return self._index[name]

    def notes(self) -> list[str]:
        """With log=replicated, what ZooKeeper or KRaft mode means for its partitions."""
        return self.log.model.mode_notes() if isinstance(self.log, ReplicatedLog) else []

    def fault_model(self) -> FaultModel:
        """The consumer faults of the bounds; broker faults only with log=replicated.

        The abstract log has no brokers, so ``broker_crashes`` injects nothing there and
        broker faults are reported as not explored.  With log=replicated the embedded
        replication model's own fault model (its crash budget is ``broker_crashes``) is
        merged in.
        """
        own = super().fault_model()
        explored = [(f, k) for f, k in own.explored if f != BROKER_CRASH]
        missing = [f for f in own.not_explored if f != BROKER_CRASH]
        embedded = getattr(self.log, "model", None)
        if not self.replicated:
            missing.append("broker faults (log=abstract has no brokers; use log=replicated)")
        elif embedded is not None:
            log_faults = embedded.fault_model()
            explored += log_faults.explored
            missing += [f for f in log_faults.not_explored if f not in missing]
        else:
            budget = self.bound["broker_crashes"]
            if budget:
                explored.append((BROKER_CRASH, budget))
            else:
                missing.append(BROKER_CRASH)
        return FaultModel(tuple(explored), tuple(missing))

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        b = self.bound
        zeros = (0,) * self.p
        return [GroupState(
            group_state=EMPTY, generation=0, members=0, joined=0, leader=NO_LEADER,
            assignment=(), subscriptions=(NO_SUBSCRIPTION,) * self.n, initial_delay=False,
            committed=(NO_COMMIT,) * self.p, log_start=zeros, log=self.log.initial(),
            consumers=tuple(self._down_member if i == self.twin else self._fresh
                            for i in range(self.n)),
            budget=Budget(b["crashes"], b["closes"], b["rejoins"], b["poll_timeouts"],
                          b["pauses"], b["retention"], b["offset_expiries"],
                          b["duplicate_instances"]),
            processed=zeros, excused=zeros, started=0, duplicate=False,
            topic_partitions=self.first_partitions, committed_epochs=self._no_epochs)]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        for i in range(self.n):
            yield from self._member_actions(state, i)
        yield from self._coordinator_actions(state)
        yield from self._log_actions(state)

    def canonical(self, state: State) -> State:
        """Generation numbers renumbered 1, 2, ... in their order (0 stays 'none').

        Sound because the protocol and the assignors only compare generations (equality,
        order) and the next one is always above every one in the state.
        """
        gen = state.generation
        cons = state.consumers
        used = {gen}
        for m in cons:
            used.add(m.generation)
            used.add(m.assignor_generation)
        if self.sticky:
            for _, g in state.subscriptions:
                used.add(g)
        used.discard(0)
        if len(used) == gen:
            return state  # already 1..gen
        ranks = tuple(sorted(used))
        memo = self._renumbered
        renumbered = []
        for m in cons:
            key = (m, ranks)
            m2 = memo.get(key)
            if m2 is None:
                rank = {g: r for r, g in enumerate(ranks, 1)}
                rank[0] = 0
                m2 = memo[key] = m._replace(generation=rank[m.generation],
                                            assignor_generation=rank[m.assignor_generation])
            renumbered.append(m2)
        subs = state.subscriptions
        if self.sticky:
            rank = {g: r for r, g in enumerate(ranks, 1)}
            rank[0] = 0
            subs = tuple((mask, rank[g]) for mask, g in subs)
        return state._replace(generation=ranks.index(gen) + 1, subscriptions=subs,
                              consumers=tuple(renumbered))

    # -- helpers on the composite state ----------------------------------------------

    @staticmethod
    def _with_member(state: GroupState, i: int, m: Member) -> GroupState:
        return state._replace(consumers=_put(state.consumers, i, m))

    @staticmethod
    def _spend(state: GroupState, fault: str) -> GroupState:
        """One fault of kind ``fault`` (a Budget field) used up."""
        budget = state.budget
        return state._replace(budget=budget._replace(**{fault: getattr(budget, fault) - 1}))

    def _remove(self, s: _Rebalance, i: int) -> None:
        """The coordinator removes member i (LeaveGroup, session or rebalance timeout).

        GroupMetadataManager.removeMemberAndUpdateClassicGroup: a stable or completing group
        prepares a rebalance; a preparing group whose remaining members all joined completes
        the join phase at once.
        """
        bit = 1 << i
        s.members &= ~bit
        s.joined &= ~bit
        s.subscriptions = _put(s.subscriptions, i, NO_SUBSCRIPTION)
        if s.leader == i:
            s.leader = _lowest(s.members)
        if s.group_state in (STABLE, COMPLETING):
            self._prepare(s)
        elif s.group_state == PREPARING and s.joined == s.members:
            self._complete_join(s)

    def _prepare(self, s: _Rebalance) -> None:
        """GroupMetadataManager.prepareRebalance: PreparingRebalance, pending syncs fail."""
        initial = s.group_state == EMPTY
        s.group_state = PREPARING
        s.assignment = ()
        s.initial_delay = initial
        if not initial and s.joined == s.members:
            self._complete_join(s)

    def _complete_join(self, s: _Rebalance, timeout: bool = False) -> None:
        """completeClassicGroupJoin: next generation; joined members get JoinGroup responses.

        On the rebalance timeout, dynamic members that did not rejoin are removed first;
        static ones stay (KIP-345).  ClassicGroup.maybeElectNewJoinedLeader picks a joined
        leader when the old one did not rejoin.
        """
        if timeout:
            for i in range(self.n):
                if s.members >> i & 1 and not s.joined >> i & 1 and not self.static:
                    s.members &= ~(1 << i)
                    s.subscriptions = _put(s.subscriptions, i, NO_SUBSCRIPTION)
        gen = s.generation + 1
        s.generation = gen
        s.initial_delay = False
        s.assignment = ()
        joined = s.joined
        s.joined = 0
        if not s.members:
            s.group_state = EMPTY
            s.leader = NO_LEADER
            return
        s.group_state = COMPLETING
        if s.leader == NO_LEADER or not joined >> s.leader & 1:
            s.leader = _lowest(joined)
        cons = list(s.consumers)
        for i in range(self.n):
            if joined >> i & 1 and cons[i].status == JOINING:
                cons[i] = cons[i]._replace(status=AWAIT_SYNC, generation=gen)
        s.consumers = tuple(cons)

    # -- the poll loop's hooks (model/clients/poll_loop.py) -----------------------------

    def consumers_of(self, state: GroupState) -> tuple[Member, ...]:
        return state.consumers

    def poll_commit_error(self, state: GroupState, i: int) -> str | None:
        return self.commit_error(state, i)

    def after_commit_failed(self, m: Member, error: str) -> Member:
        """The poll after a failed commit rejoins: UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION
        reset the generation first; FENCED_INSTANCE_ID is fatal (the consumer stops)."""
        if error == "FENCED_INSTANCE_ID":
            return self._down_member
        if error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"):
            return m._replace(status=UNJOINED, generation=NO_GEN, unaware=False)
        if error == "REBALANCE_IN_PROGRESS":
            return m._replace(status=UNJOINED)
        return m

    # -- the rules that mutants override (tests/mutants/group.py) ----------------------

    def commit_error(self, state: GroupState, i: int) -> str | None:
        """Why an OffsetCommit from consumer i fails, or None when it is accepted.

        Client: ConsumerCoordinator.sendOffsetCommitRequest needs generationIfStable().
        Coordinator: ClassicGroup.validateOffsetCommit (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
        REBALANCE_IN_PROGRESS while CompletingRebalance).
        """
        m = state.consumers[i]
        if m.status in (JOINING, AWAIT_SYNC):
            return "RebalanceInProgressException"
        if m.status not in (MSTABLE, UNJOINED) or m.generation == NO_GEN:
            return "CommitFailedException (not in an active group)"
        if not state.members >> i & 1:
            # validateOffsetCommit: a static member's old member id is fenced
            return "FENCED_INSTANCE_ID" if self._fenced(state, i) else "UNKNOWN_MEMBER_ID"
        if m.generation != state.generation:
            return "ILLEGAL_GENERATION"
        if state.group_state == COMPLETING:
            return "REBALANCE_IN_PROGRESS"
        return None

    def expirable_offsets(self, state: GroupState) -> int:
        """The partitions whose committed offset offsets.retention.minutes can expire now
        (bitmask).

        From 2.1 (KIP-211, ClassicGroup.offsetExpirationCondition) a consumer group's offsets
        expire only while it is Empty, all together, retention after it became Empty (a
        Stable group's offsets of topics it no longer subscribes to too; here it subscribes
        to its one topic throughout).  Before
        2.1 (GroupMetadata.removeExpiredOffsets) each offset expired retention after its own
        commit, live group or not; an auto-committing member commits its positions again
        every auto.commit.interval.ms, so there only a group with no member gets there.
        """
        committed = 0
        for p, c in enumerate(state.committed):
            if c != NO_COMMIT:
                committed |= 1 << p
        if state.group_state == EMPTY or not (self.kip211 or self.auto):
            return committed
        return 0

    def run_assignor(self, state: GroupState) -> AssignmentResult:
        """The leader runs Kafka's assignor on the members' subscriptions."""
        members = state.members
        subs = state.subscriptions
        tps = [(TOPIC, p) for p in range(state.topic_partitions)]
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
        return assignors.assign(self.strategy, {TOPIC: state.topic_partitions}, by_id)

    def leader_assignment(self, state: GroupState) -> tuple[int, ...]:
        """Per slot, the partitions the leader's SyncGroup hands out (KIP-429: cooperative
        round 1 withholds partitions that move, the assignor reports them apart)."""
        result = self.run_assignor(state)
        out = [0] * self.n
        for i in range(self.n):
            for _, p in result.assignment.get(self.member_ids[i], ()):
                out[i] |= 1 << p
        return tuple(out)

    # -- the consumers ------------------------------------------------------------------

    def _member_actions(self, state: GroupState, i: int) -> Iterator[tuple[Action, State]]:
        m = state.consumers[i]
        st, generation, phase, unaware = m.status, m.generation, m.phase, m.unaware
        name = self._names[i]
        crashes, _closes, rejoins, poll_timeouts, pauses = state.budget[:5]
        member = state.members >> i & 1
        if st == DOWN:
            if i == self.twin and state.budget.duplicates > 0:
                yield (("Start", name, f"group.instance.id {self.instance_ids[i]}"),
                       self._spend(self._with_member(state, i, self._fresh), "duplicates"))
            elif rejoins > 0 and (self.static or not member):
                yield ("Restart", name), self._restart(state, i)
            return
        busy = phase != IDLE
        if busy:
            # The application processes (commitSync before or after, in-loop), or, with
            # processing=async, the worker thread does.
            yield from self._process_or_commit(state, i)
        if busy and not self.async_processing:
            # In-loop: poll() is not called until the batch is done, so the member neither
            # rejoins nor fetches, and max.poll.interval.ms can pass (KIP-62).
            if poll_timeouts > 0 and st >= JOINING and generation != NO_GEN \
                    and not unaware and member:
                yield ("PollTimeout", name), self._poll_timeout(state, i)
        else:
            # The poll loop: in-loop once the batch is done; with processing=async also
            # while the worker thread holds one, for the loop goes on calling poll()
            # (ConsumerCoordinator.poll: ensureActiveGroup, onJoinPrepare's auto-commit and
            # revocation, and the heartbeat's poll timer, whatever other threads do).  So a
            # poll timeout, max.poll.interval.ms between two poll() calls
            # (Heartbeat.poll/pollTimeoutExpired), never passes under processing=async.
            yield from self._poll_loop(state, i, busy)
        if st == MSTABLE and unaware and self._fenced(state, i):
            # FencedInstanceIdException is fatal: the application's consumer stops.
            yield (("HeartbeatFailed", name, "FENCED_INSTANCE_ID"),
                   self._with_member(state, i, self._down_member))
        elif st == MSTABLE and unaware:
            yield ("HeartbeatFailed", name, "UNKNOWN_MEMBER_ID"), self._reset_member(state, i)
        elif pauses > 0 and st == MSTABLE and member:
            yield ("Pause", name, "session expired"), self._pause(state, i)
        if crashes > 0:
            yield ("Crash", name), self._crash(state, i)

    def _poll_loop(self, state: GroupState, i: int,
                   busy: bool) -> Iterator[tuple[Action, State]]:
        """One call of poll() by the application's loop: rejoin or sync when the group asks,
        fetch, auto-commit, or close.  ``busy``: a worker thread (processing=async) holds a
        batch, which the rebalance leaves to it."""
        m = state.consumers[i]
        st, generation, owned, positions = m.status, m.generation, m.owned, m.positions
        unaware = m.unaware
        member = state.members >> i & 1
        if st == UNJOINED or (st == MSTABLE and state.group_state == PREPARING
                              and not unaware and member
                              and generation == state.generation
                              and not state.joined >> i & 1) \
                or (st == MSTABLE and state.stale_metadata and state.leader == i
                    and state.group_state == STABLE and not unaware and member):
            # (the leader's metadata no longer matches its assignment's:
            # ConsumerCoordinator.rejoinNeededOrPending, assignmentSnapshot)
            yield from self._join(state, i)
        elif st == AWAIT_SYNC:
            yield from self._sync(state, i)
        elif st == JOINING and unaware:
            # Fenced while its JoinGroup was pending: ClassicGroup.replaceStaticMember
            # (GroupMetadata.replaceGroupInstance before 3.7) answered it FENCED_INSTANCE_ID
            # at once, fatal to the client (JoinGroupResponseHandler).  (A joining member is
            # unaware only after it was fenced.)
            yield (("JoinFailed", self._names[i], "FENCED_INSTANCE_ID"),
                   self._with_member(state, i, self._down_member))
        if st >= JOINING and owned:
            # poll(Duration) does not wait for a rebalance (waitForJoinGroup=false): a
            # member keeps fetching the partitions it owns that have a position.
            for p in range(self.p):
                if owned >> p & 1 and (st == MSTABLE or positions[p] != NO_POSITION):
                    if not busy:
                        yield from self._poll(state, i, p)
                        continue
                    # The worker takes one batch at a time: while it holds one, a fetch
                    # that returns records waits (the model offers it once the worker is
                    # done); a poll that only sets a position goes ahead.
                    for label, t in self._poll(state, i, p):
                        if t.consumers[i][4:9] == m[4:9]:
                            yield label, t
        if st == MSTABLE:
            yield from self._auto_commit(state, i)
        if not busy and state.budget.closes > 0 and st in (UNJOINED, MSTABLE):
            yield ("Close", self._names[i]), self._close(state, i)

    def _fenced(self, state: GroupState, i: int) -> bool:
        """Whether another member holds consumer i's group.instance.id (i was fenced)."""
        return self.twin >= 0 and self._holder(state, i) >= 0

    def _holder(self, state: GroupState, i: int) -> int:
        """The other member slot with consumer i's group.instance.id, else -1."""
        if self.twin < 0 or i not in (0, self.twin):
            return -1
        other = self.twin if i == 0 else 0
        return other if state.members >> other & 1 else -1

    def _restart(self, state: GroupState, i: int) -> GroupState:
        """A crashed or closed consumer process starts again: a new KafkaConsumer."""
        return self._spend(self._with_member(state, i, self._fresh), "rejoins")

    def _subscription(self, m: Member, owned_before: int) -> tuple[int, int]:
        """What JoinGroup carries for the assignor, as (partitions, generation) the way the
        assignor reads it (ConsumerCoordinator.metadata, AbstractStickyAssignor.memberData).

        Sticky: userData = the last assignment and its generation.  Cooperative sticky:
        ownedPartitions with Subscription.generationId, or the userData generation when the
        member's generation was reset.  Range and round robin read only the topics.
        """
        if not self.sticky:
            return NO_SUBSCRIPTION
        if self.cooperative:
            return (m.owned, m.generation or m.assignor_generation)
        return (owned_before, m.assignor_generation) if m.assignor_generation \
            else NO_SUBSCRIPTION

    def _join(self, state: GroupState, i: int) -> Iterator[tuple[Action, State]]:
        """onJoinPrepare then JoinGroup (ConsumerCoordinator.onJoinPrepare,
        AbstractCoordinator.sendJoinGroupRequest; GroupMetadataManager.classicGroupJoin)."""
        m = state.consumers[i]
        if (m.unaware or m.generation != NO_GEN) and not state.members >> i & 1 \
                and self._fenced(state, i):
            # It still sends its old member id (only an UNKNOWN_MEMBER_ID or a LeaveGroup
            # resets it), which another member id replaced: classicGroupJoinExistingMember
            # (ClassicGroup.validateMember; isStaticMemberFenced before 3.7) answers
            # FENCED_INSTANCE_ID, fatal to the client (JoinGroupResponseHandler).  It never
            # takes the group.instance.id back.
            yield (("JoinFailed", self._names[i], "FENCED_INSTANCE_ID"),
                   self._with_member(state, i, self._down_member))
            return
        if m.unaware:
            # Fenced, but the process that fenced it is gone: the instance id is unknown,
            # UNKNOWN_MEMBER_ID resets its member id and it joins as a new member.
            m = m._replace(unaware=False)
        notes = []
        owned_before = m.owned
        no_positions = (NO_POSITION,) * self.p
        if m.generation == NO_GEN:
            # Generation reset: the partitions are lost (onPartitionsLost), nothing committed.
            if m.owned:
                notes.append("partitions lost")
            m = m._replace(owned=0, positions=no_positions, epochs=self._no_epochs)
        else:
            if self.auto and self._has_uncommitted(state, m) \
                    and self.commit_error(state, i) is None:
                state = self._commit_positions(state, m)
                notes.append("auto-commit")
            if not self.cooperative and m.owned:
                notes.append("revoke all")
                m = m._replace(owned=0, positions=no_positions, epochs=self._no_epochs)
        s = _Rebalance(state)
        bit = 1 << i
        old_subscription = s.subscriptions[i]
        s.subscriptions = _put(s.subscriptions, i, self._subscription(m, owned_before))
        known = s.members & bit
        gs = s.group_state
        name = self._names[i]
        holder = self._holder(state, i) if not known else -1
        if holder >= 0:
            # ClassicGroup static join with an unknown member id and a known instance id
            # (updateStaticMember): the new process takes the membership and the old
            # member id is fenced; in Stable it keeps the assignment without a rebalance.
            notes.append(f"fences {self._names[holder]}")
            old = 1 << holder
            s.members = s.members & ~old | bit
            if s.joined & old:
                s.joined = s.joined & ~old | bit
            s.subscriptions = _put(s.subscriptions, holder, NO_SUBSCRIPTION)
            if s.assignment:
                s.assignment = _put(_put(s.assignment, i, s.assignment[holder]), holder, 0)
            if s.leader == holder:
                s.leader = i
            if s.consumers[holder].status != DOWN:
                # (told on its next request: FENCED_INSTANCE_ID, fatal)
                s.set_member(holder, s.consumers[holder]._replace(unaware=True))
            known = bit
        if self.static and known and m.generation == NO_GEN and gs == STABLE:
            # KIP-345: a known group.instance.id rejoining a stable group replaces the old
            # member id and gets the current generation without a rebalance.
            s.set_member(i, m._replace(status=AWAIT_SYNC, generation=s.generation))
            yield ("Join", name, *notes, "static member, no rebalance"), s.apply(state)
            return
        if known and not self.static and old_subscription == s.subscriptions[i] \
                and (gs == COMPLETING or (gs == STABLE and s.leader != i)):
            # classicGroupJoinExistingMember: unchanged metadata gets the current generation
            # (in Stable only a follower; the leader's JoinGroup forces a rebalance).
            s.set_member(i, m._replace(status=AWAIT_SYNC, generation=s.generation))
            yield ("Join", name, *notes, "unchanged"), s.apply(state)
            return
        s.set_member(i, m._replace(status=JOINING))
        if not known:
            s.members |= bit
            if s.leader == NO_LEADER:
                s.leader = i
        s.joined |= bit
        if gs == PREPARING:
            if not s.initial_delay and s.joined == s.members:
                self._complete_join(s)
        else:
            self._prepare(s)
        yield ("Join", name, *notes), s.apply(state)

    def _assignment(self, state: GroupState) -> tuple[int, ...]:
        """The leader's assignment, cached per (members, subscriptions, leader)."""
        key = (state.members, state.subscriptions if self.sticky else (), state.leader,
               state.topic_partitions)
        cached = self._assign_cache.get(key)
        if cached is None:
            cached = self._assign_cache[key] = self.leader_assignment(state)
        return cached

    def _sync(self, state: GroupState, i: int) -> Iterator[tuple[Action, State]]:
        """SyncGroup (AbstractCoordinator.SyncGroupResponseHandler, classicGroupSync) and
        ConsumerCoordinator.onJoinComplete."""
        m = state.consumers[i]
        name = self._names[i]
        gs = state.group_state
        if not state.members >> i & 1 and (m.unaware or self._fenced(state, i)):
            # ClassicGroup.validateMember (validateSyncGroup; GroupCoordinator
            # isStaticMemberFenced / validateCurrentMember before 3.7): another member id
            # holds its group.instance.id, or it was fenced while its SyncGroup was pending
            # (replaceStaticMember answered it).  SyncGroupResponseHandler: always fatal.
            yield (("SyncFailed", name, "FENCED_INSTANCE_ID"),
                   self._with_member(state, i, self._down_member))
            return
        if not state.members >> i & 1 or m.generation != state.generation:
            error = "UNKNOWN_MEMBER_ID" if not state.members >> i & 1 else "ILLEGAL_GENERATION"
            m2 = m._replace(status=UNJOINED, generation=NO_GEN)
            yield ("SyncFailed", name, error), self._with_member(state, i, m2)
            return
        if gs == PREPARING:
            m2 = m._replace(status=UNJOINED)
            yield ("SyncFailed", name, "REBALANCE_IN_PROGRESS"), self._with_member(state, i, m2)
            return
        if gs == COMPLETING and state.leader == i:
            # Dynamic members send their metadata again in every JoinGroup.
            state = state._replace(
                group_state=STABLE, assignment=self._assignment(state), stale_metadata=False,
                subscriptions=state.subscriptions if self.static
                else (NO_SUBSCRIPTION,) * self.n)
        elif gs != STABLE:
            return  # a follower waits for the leader's SyncGroup
        assigned = state.assignment[i]
        owned = m.owned
        pos = m.positions
        revoked = owned & ~assigned
        new_pos = tuple(pos[p] if (assigned & owned) >> p & 1 else NO_POSITION
                        for p in range(self.p))
        status = MSTABLE
        if self.cooperative and revoked:
            status = UNJOINED  # KIP-429: revoke, then rejoin for the second round
        epochs = tuple(m.epochs[p] if new_pos[p] != NO_POSITION else -1
                       for p in range(self.p)) if self.validates else ()
        # (the batch stays: in-loop none is held here; with processing=async the worker
        # thread goes on with it, whichever partitions the new assignment takes away)
        m2 = m._replace(status=status, owned=assigned, positions=new_pos, unaware=False,
                        assignor_generation=state.generation if self.sticky else NO_GEN,
                        epochs=epochs)
        label = ("Sync", name, parts_text(assigned))
        if self.cooperative and revoked:
            label = (*label, f"revoke {parts_text(revoked)}")
        yield label, self._with_member(state, i, m2)

    def _close(self, state: GroupState, i: int) -> GroupState:
        """KafkaConsumer.close: auto-commit (maybeAutoCommitOffsetsSync), then LeaveGroup
        for a dynamic member (AbstractCoordinator.maybeLeaveGroup; KIP-345 static members
        do not leave)."""
        m = state.consumers[i]
        s = self._spend(state, "closes")
        if self.auto and self.commit_error(state, i) is None:
            s = self._commit_positions(s, m)
        r = _Rebalance(s)
        r.set_member(i, self._down_member)
        if not self.static and m.generation != NO_GEN and r.members >> i & 1:
            self._remove(r, i)
        return r.apply(s)

    def _crash(self, state: GroupState, i: int) -> GroupState:
        """The consumer process dies: no LeaveGroup, no commit, its batch unfinished."""
        budget = state.budget
        return state._replace(consumers=_put(state.consumers, i, self._down_member),
                              budget=budget._replace(crashes=budget.crashes - 1))

    def _poll_timeout(self, state: GroupState, i: int) -> GroupState:
        """KIP-62: max.poll.interval.ms passes while processing; the heartbeat thread sends
        LeaveGroup (dynamic members) and resets the generation; the processing goes on."""
        m = state.consumers[i]
        s = self._spend(state, "poll_timeouts")
        r = _Rebalance(s)
        r.set_member(i, m._replace(status=UNJOINED, generation=NO_GEN))
        r.joined &= ~(1 << i)
        if not self.static:
            self._remove(r, i)
        return r.apply(s)

    def _pause(self, state: GroupState, i: int) -> GroupState:
        """A paused member's session expires: the coordinator removes it, it does not know."""
        s = self._spend(state, "pauses")
        r = _Rebalance(s)
        r.set_member(i, state.consumers[i]._replace(unaware=True))
        self._remove(r, i)
        return r.apply(s)

    def _reset_member(self, state: GroupState, i: int) -> GroupState:
        """A heartbeat answered UNKNOWN_MEMBER_ID: resetStateAndRejoin, partitions lost."""
        m = state.consumers[i]
        return self._with_member(state, i, m._replace(status=UNJOINED, generation=NO_GEN,
                                                      unaware=False))

    # -- the coordinator ----------------------------------------------------------------

    def _coordinator_actions(self, state: GroupState) -> Iterator[tuple[Action, State]]:
        gs = state.group_state
        if gs == PREPARING and state.initial_delay and state.joined:
            # group.initial.rebalance.delay.ms passed (InitialDelayedJoin).
            r = _Rebalance(state)
            self._complete_join(r)
            yield ("InitialRebalance",), r.apply(state)
        cons = state.consumers
        members = state.members
        for i in range(self.n):
            if not members >> i & 1:
                continue
            m = cons[i]
            silent = m.status == DOWN or (self.static and m.generation == NO_GEN
                                          and m.status == UNJOINED)
            if silent:
                # session.timeout.ms passes without heartbeats (expireClassicGroupMemberHeartbeat).
                r = _Rebalance(state)
                self._remove(r, i)
                yield ("Expire", self._names[i]), r.apply(state)
        if self.static and gs == PREPARING and not state.initial_delay and state.joined \
                and state.joined != members:
            waiting = members & ~state.joined
            # (a member that timed out in-loop rejoins only once its batch is done; with
            # processing=async its loop rejoins at once)
            if all(cons[i].status == DOWN or (cons[i].generation == NO_GEN
                                              and cons[i].status == UNJOINED
                                              and cons[i].phase != IDLE
                                              and not self.async_processing)
                   for i in range(self.n) if waiting >> i & 1):
                r = _Rebalance(state)
                self._complete_join(r, timeout=True)
                yield ("RebalanceTimeout",), r.apply(state)

        if state.budget.offset_expiries > 0:
            yield from self._expire_offsets(state)

    def _expire_offsets(self, state: GroupState) -> Iterator[tuple[Action, State]]:
        """offsets.retention.minutes passes (OffsetMetadataManager.cleanupExpiredOffsets):
        the expirable committed offsets are deleted; a member without a position on such a
        partition then starts from auto.offset.reset."""
        expirable = self.expirable_offsets(state)
        if not expirable:
            return
        # KIP-211: all of an Empty group's offsets share one base time, so they go
        # together; before, each offset went at its own commit time.
        choices = [expirable] if self.kip211 else \
            [1 << p for p in range(self.p) if expirable >> p & 1]
        for mask in choices:
            committed = tuple(NO_COMMIT if mask >> p & 1 else c
                              for p, c in enumerate(state.committed))
            s = self._spend(state, "offset_expiries")._replace(committed=committed)
            if self.validates:
                s = s._replace(committed_epochs=tuple(
                    -1 if mask >> p & 1 else e for p, e in enumerate(state.committed_epochs)))
            yield ("ExpireOffsets", parts_text(mask)), s

    # -- the log ------------------------------------------------------------------------

    def add_partitions(self, state: GroupState) -> GroupState:
        """Every partition exists; the leader's assignment predates some."""
        return state._replace(topic_partitions=self.p, stale_metadata=True)

    def created_partitions(self, state: GroupState) -> int:
        """The partitions the topic has now (added_partitions come later)."""
        return state.topic_partitions

    # -- properties ---------------------------------------------------------------------

    def effective_settings(self) -> dict[str, Any]:
        """enable.auto.commit as the application runs it (off under a manual commit bound)."""
        return {**super().effective_settings(), "enable.auto.commit": self.auto}

    def properties(self) -> list[Property]:
        from kafkacheck.properties import group as props

        return props.group_properties(self)

    def log_properties(self) -> list[Property]:
        """The log's own properties, lifted onto the group state."""
        return self.log.properties(_LOG_INDEX)

    def action_families(self) -> tuple[str, ...]:
        return ("Join", "Sync", "SyncFailed", "Poll", "Process", "Commit", "CommitFailed",
                "AutoCommit", "Close", "Crash", "Restart", "PollTimeout", "Pause",
                "HeartbeatFailed", "JoinFailed", "Expire", "InitialRebalance",
                "RebalanceTimeout", "Retention", "ExpireOffsets", "Start", "AddPartitions",
                *self.log.families())

    # -- presentation -------------------------------------------------------------------

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {
            "group": f"{GROUP_STATES[state.group_state]} gen {state.generation}",
            "members": ("consumers", state.members),
            "leader": "-" if state.leader == NO_LEADER else consumer_name(state.leader),
        }
        if state.assignment:
            out["assignment"] = ", ".join(f"{consumer_name(i)}:{parts_text(a)}"
                                          for i, a in enumerate(state.assignment)
                                          if state.members >> i & 1)
        out["committed"] = ", ".join(f"p{p}@{'-' if c < 0 else c}"
                                     for p, c in enumerate(state.committed))
        out.update(self.log.view_vars(state.log, state.log_start))
        for i, m in enumerate(state.consumers):
            out[consumer_name(i)] = self._member_text(m)
        out["processed"] = ", ".join(f"p{p}:{self.log.ids_text(mask)}"
                                     for p, mask in enumerate(state.processed))
        if any(state.excused):
            out["not owed"] = ", ".join(f"p{p}:{self.log.ids_text(mask)}"
                                        for p, mask in enumerate(state.excused))
        out["duplicate"] = state.duplicate
        out["budget"] = state.budget
        return out

    def _member_text(self, m: Member) -> str:
        if m.status == DOWN:
            return "down"
        text = f"{MEMBER_STATES[m.status]} gen {m.generation} owns {parts_text(m.owned)}"
        pos = [f"p{p}@{x}" for p, x in enumerate(m.positions) if x >= 0]
        if pos:
            text += " pos " + ",".join(pos)
        if m.phase != IDLE:
            what = {POLLED: "polled", HALF: "processed" if self.commit != "before-processing"
                    else "committed"}[m.phase]
            text += f"; {what} p{m.batch_partition} {offsets_text(m.batch_start, m.batch_end)}"
        if m.unaware:
            text += "; session expired (unaware)"
        return text

    def format_value(self, name: str, value: Any) -> str:
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "consumers":
            return "{" + ", ".join(consumer_name(i) for i in range(self.n)
                                   if value[1] >> i & 1) + "}"
        if isinstance(value, Budget):
            return ", ".join(f"{k}={v}" for k, v in zip(Budget._fields, value, strict=True)
                             if v)
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
                    and name not in ("InitialRebalance", "RebalanceTimeout", "Expire",
                                         "ExpireOffsets"):
                return Message("Producer" if name == "Produce" else "Log", "Log",
                               " ".join(str(a) for a in action))
            return Message("Coordinator", "Coordinator", " ".join(str(a) for a in action))
        if name in ("Join", "Sync", "Commit", "AutoCommit", "Close", "PollTimeout"):
            return Message(who, "Coordinator", f"{name} {text}".strip())
        if name in ("JoinFailed", "SyncFailed", "CommitFailed", "HeartbeatFailed"):
            return Message("Coordinator", who, f"{name} {text}".strip())
        if name == "Expire":
            return Message("Coordinator", who, "session expired: removed")
        if name == "Pause":
            return Message("Coordinator", who, "session expired while paused")
        if name == "Poll":
            return Message(who, "Log", f"fetch {text}")
        return Message(who, who, f"{name} {text}".strip())
