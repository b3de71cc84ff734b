"""Consumer groups on the KIP-848 protocol (group.protocol=consumer): coordinator and members.

The question it answers: with Kafka 4's consumer group protocol, can a partition be owned by
two members at once, can a member's epoch go back, is a stale member's offset commit
accepted, and does every member converge to the target assignment once membership stops
changing?  The group coordinator (GroupMetadataManager.consumerGroupHeartbeat, ConsumerGroup,
CurrentAssignmentBuilder, TargetAssignmentBuilder with the server-side assignors of
``model/algorithms/assignor_uniform.py``) and the members' membership managers
(AbstractMembershipManager, ConsumerHeartbeatRequestManager) are one state machine; a
heartbeat is a request the coordinator processes at once and a response that reaches the
client later (or is lost).  Kafka 4.4 rules, with the historical ones as ``CoordinatorRules``
overrides selected by the ``rules`` bound (one rule each, named by its JIRA).

Abstractions: member ids are fixed per consumer slot (Kafka's are random UUIDs: the
HashMap order of these ids picks one of the assignor's symmetric outcomes); the target
assignment is computed in the heartbeat that finds the group epoch ahead of it (as with
consumer.assignment.interval.ms=0); a restarted dynamic consumer joins once its previous
member was removed; coordinator failover loses the in-flight responses (the group state is
rebuilt from the committed __consumer_offsets records, so it is unchanged).

The stale-reconciliation window is Kafka's, reproduced here: a heartbeat reports the last
reconciled assignment (``reported``; ConsumerHeartbeatRequestManager.HeartbeatState) while the
member takes a newer one, the coordinator releases the partition not reported
(``_next_assignment``; CurrentAssignmentBuilder.ownsRevokedPartitions, KAFKA-16615) and the
reconciliation still completes (``_reconcile``; AbstractMembershipManager.
maybeAbortReconciliation does not abort on a newer target): two owners for a while (range at
2 consumers x 2 partitions, uniform from 3 x 3; preset group-consumer-stale-reconciliation).

With ``records`` > 0 the application's poll loop runs too (``model/clients/poll_loop.py``,
the same rules as the classic group): it polls the partitions it owns from an abstract log,
processes and commits them with the ``commit`` strategy, its commits validated by the
member epoch; the delivery properties (at least / at most once) are checked then.  With
``records`` = 0 a commit is an abstract OffsetCommit of the owned partitions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

from kafkacheck.config import Config
from kafkacheck.model import versions
from kafkacheck.model.algorithms.assignor_common import AssignorError
from kafkacheck.model.algorithms.assignor_uniform import GroupMember, assign_server
from kafkacheck.model.clients.consumer_config import consumer_protocol_problem
from kafkacheck.model.clients.group import (
    DUPLICATE_INSTANCE,
    GROUP_SIZE_REASON,
    OFFSET_EXPIRY,
    group_size_uncovered,
)
from kafkacheck.model.clients.group_log import AbstractLog
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
from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.model.settings import LOG_LOSS, LOG_SHAPE
from kafkacheck.properties.base import Property

# ConsumerGroupMember states at the coordinator (MemberState).
STABLE, UNREVOKED, UNRELEASED = range(3)
RECORD_STATES = ("stable", "unrevoked-partitions", "unreleased-partitions")

# The consumer's membership manager, as the model needs it (MemberState on the client):
# DOWN no process; JOINING sends epoch 0 next; MEMBER has an epoch > 0 (stable,
# reconciling or acknowledging: reconciling while ``target != owned``); STALE left the
# group on a poll timeout, or was fenced while processing a batch, and keeps its
# partitions, silent, until its next poll (the onPartitionsLost callback runs there: the
# application registered a ConsumerRebalanceListener).
DOWN, JOINING, MEMBER, STALE = range(4)
CLIENT_STATES = ("down", "joining", "member", "stale")

# A heartbeat response on its way back (NONE: no request in flight).
NONE, OK, FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, UNRELEASED_INSTANCE_ID = range(5)
REPLIES = ("-", "OK", "FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID", "UNRELEASED_INSTANCE_ID")

FREE = -1  # ConsumerGroup.currentPartitionEpoch of a partition no member holds
LEAVE_STATIC = -2  # LEAVE_GROUP_STATIC_MEMBER_EPOCH: a static member away, partitions kept

RULES = ("version", "4.4", "before-KAFKA-16147", "before-KAFKA-19974", "before-KAFKA-19449",
         "before-KAFKA-19233", "before-KAFKA-19431", "before-KAFKA-20066")


class Record(NamedTuple):
    """A member as the coordinator stores it (ConsumerGroupMember + its target assignment)."""

    present: bool  # the member exists in the group
    epoch: int  # member epoch (LEAVE_STATIC for a static member that left)
    previous: int  # previous member epoch
    state: int  # STABLE, UNREVOKED or UNRELEASED
    assigned: int  # assigned partitions (bitmask over all topic-partitions)
    revoking: int  # partitions pending revocation
    subscribed: int  # subscribed topics (bitmask)
    target: int  # the member's target assignment


NO_RECORD = Record(False, 0, 0, STABLE, 0, 0, 0, 0)


class Client(NamedTuple):
    """A consumer's view of its membership."""

    status: int  # DOWN, JOINING or MEMBER
    epoch: int  # the member epoch it believes (0 while joining)
    owned: int  # partitions it owns (reconciled and consuming)
    target: int  # the assignment it was last given (reconciling while != owned)
    subscription: int  # topics it subscribes to (bitmask)
    reply: int  # the heartbeat response on its way (NONE: no request in flight)
    reply_epoch: int
    reply_assigned: int
    paused: bool  # the process is paused (GC, network): it does nothing
    ack: bool  # its next heartbeat reports its owned partitions (HeartbeatState.sentFields)
    positions: tuple[int, ...]  # the poll loop: fetch position per partition (NO_POSITION)
    phase: int  # IDLE, POLLED or HALF (model/clients/poll_loop.py)
    batch_partition: int  # the partition of the batch it holds (NO_BATCH: none)
    batch_start: int  # the batch's first offset
    batch_end: int  # one past the batch's last offset
    batch_records: int  # the batch's record ids (bitmask)


class Budget(NamedTuple):
    """The faults still allowed in this run (the fault bounds, counting down)."""

    crashes: int
    rejoins: int
    closes: int
    pauses: int
    lost_responses: int
    rebalance_timeouts: int
    subscription_changes: int
    failovers: int
    retention: int
    poll_timeouts: int = 0


class Kip848State(NamedTuple):
    """The coordinator's group, every consumer, and the ghost history properties need."""

    group_epoch: int
    assignment_epoch: int  # the target assignment's epoch
    records: tuple[Record, ...]  # per consumer slot
    partition_epoch: tuple[int, ...]  # ConsumerGroup.currentPartitionEpoch (FREE: none)
    assignment_epochs: tuple[int, ...]  # KIP-1251: epoch its owner was assigned it at
    clients: tuple[Client, ...]
    budget: Budget
    committed: tuple[int, ...]  # per partition, the committed offset (NO_COMMIT: none)
    log_start: tuple[int, ...]  # per partition, the log start offset (retention)
    log: tuple  # the abstract log: per partition (high watermark, log end offset)
    processed: tuple[int, ...]  # ghost: per partition, the record ids ever processed
    excused: tuple[int, ...]  # ghost: record ids deleted or reset past before anyone processed them
    started: int  # ghost: partitions the group ever had a position on (bitmask)
    duplicate: bool  # ghost: some record was processed twice


def consumer_name(i: int) -> str:
    """Display name of consumer slot ``i``."""
    return f"C{i + 1}"


def _put(values: tuple, index: int, value: object) -> tuple:
    return values[:index] + (value,) + values[index + 1:]


def _bits(mask: int) -> Iterator[int]:
    p = 0
    while mask:
        if mask & 1:
            yield p
        mask >>= 1
        p += 1


class CoordinatorRules:
    """Kafka 4.4's group coordinator rules that changed over time: one method per rule.

    A historical version is a subclass overriding one method (tests name them by JIRA).
    """

    name = "4.4"

    def rejoin_is_fenced(self, record: Record) -> bool:
        """An epoch-0 heartbeat of a known dynamic member is accepted (KAFKA-19233, 4.2)."""
        return False

    def epoch_after_revocation(self, record: Record) -> int:
        """Leaving UNREVOKED_PARTITIONS keeps the member epoch (KAFKA-19974, 4.2)."""
        return record.epoch

    def unreleased(self, p: int, record: Record, partition_epoch: tuple[int, ...]) -> bool:
        """A partition is still owned elsewhere, unless this member is revoking it itself
        (CurrentAssignmentBuilder; KAFKA-19449, 4.2)."""
        return partition_epoch[p] != FREE and not record.revoking >> p & 1

    def stale_commit(self, epoch: int, record: Record, parts: int,
                     assignment_epochs: tuple[int, ...]) -> bool:
        """ConsumerGroup.validateOffsetCommit: an epoch between each partition's assignment
        epoch and the member's is accepted, for partitions it holds (KIP-1251, KAFKA-20066,
        merged March 2026, so 4.3)."""
        if epoch == record.epoch:
            return False
        if epoch > record.epoch:
            return True
        return any(not (record.assigned | record.revoking) >> p & 1
                   or epoch < assignment_epochs[p] for p in _bits(parts))

    def strips_unsubscribed(self) -> bool:
        """A subscription change alone drops the unsubscribed topics' partitions at once, in
        STABLE and UNREVOKED_PARTITIONS (CurrentAssignmentBuilder.updateCurrentAssignment,
        KAFKA-19431, 4.2)."""
        return True

    def previous_after_strip(self, record: Record) -> int:
        """The previous epoch once a subscription change dropped partitions: 4.3's
        updateCurrentAssignment also calls updateMemberEpoch, so it becomes the current one
        (the kafka-group-coordinator sources of 4.2.1 and 4.3.0)."""
        return record.epoch

    def update_partition_epochs(self, epochs: list[int], old: Record, new: Record) -> None:
        """ConsumerGroup.maybeUpdatePartitionEpoch: drop the old member's partitions, then
        add the new member's at its epoch (KAFKA-16147: commit cf90382fb92, first tagged 3.8.0)."""
        if old.present:
            for p in _bits(old.assigned | old.revoking):
                epochs[p] = FREE
        if new.present:
            for p in _bits(new.assigned | new.revoking):
                epochs[p] = new.epoch


class Before16147(CoordinatorRules):
    """Partition epochs updated per changed set, removing after adding (KAFKA-16147): a
    partition moving from pending revocation back to assigned loses its epoch."""

    name = "before-KAFKA-16147"

    def update_partition_epochs(self, epochs: list[int], old: Record, new: Record) -> None:
        if not old.present:
            for p in _bits(new.assigned | new.revoking):
                epochs[p] = new.epoch
            return
        if not new.present:
            for p in _bits(old.assigned | old.revoking):
                epochs[p] = FREE
            return
        if old.assigned != new.assigned:
            for p in _bits(old.assigned):
                epochs[p] = FREE
            for p in _bits(new.assigned):
                epochs[p] = new.epoch
        if old.revoking != new.revoking:
            for p in _bits(old.revoking):
                epochs[p] = FREE
            for p in _bits(new.revoking):
                epochs[p] = new.epoch


class Before19974(CoordinatorRules):
    """Leaving UNREVOKED_PARTITIONS bumps the member epoch by one (before KAFKA-19974)."""

    name = "before-KAFKA-19974"

    def epoch_after_revocation(self, record: Record) -> int:
        return record.epoch + 1


class Before19449(CoordinatorRules):
    """A partition this member is itself revoking counts as unreleased (before KAFKA-19449)."""

    name = "before-KAFKA-19449"

    def unreleased(self, p: int, record: Record, partition_epoch: tuple[int, ...]) -> bool:
        return partition_epoch[p] != FREE


class Before19233(CoordinatorRules):
    """An epoch-0 heartbeat of a known member is fenced unless its previous epoch was 0
    (before KAFKA-19233): a fenced member cannot rejoin until its session expires."""

    name = "before-KAFKA-19233"

    def rejoin_is_fenced(self, record: Record) -> bool:
        return record.epoch > 0 and record.previous != 0


class Before19431(CoordinatorRules):
    """A subscription change leaves the member's assignment as it is until a new target
    assignment reaches it (before KAFKA-19431; CurrentAssignmentBuilder.build of 4.0.0 to
    4.1.2 returns the member unchanged in STABLE and while it owns revoked partitions)."""

    name = "before-KAFKA-19431"

    def strips_unsubscribed(self) -> bool:
        return False


class Before20066(CoordinatorRules):
    """An offset commit must carry the member's current epoch exactly (before KIP-1251): a
    member whose epoch was bumped by a heartbeat it has not seen the answer to is fenced
    with STALE_MEMBER_EPOCH, a CommitFailedException to commitSync."""

    name = "before-KAFKA-20066"

    def stale_commit(self, epoch: int, record: Record, parts: int,
                     assignment_epochs: tuple[int, ...]) -> bool:
        return epoch != record.epoch


class Kafka42Rules(Before20066):
    """The coordinator of Kafka 4.2: before KAFKA-20066 (4.3), and a subscription change's
    strip keeps the previous epoch (updateCurrentAssignment without updateMemberEpoch)."""

    name = "4.2"

    def previous_after_strip(self, record: Record) -> int:
        return record.previous


class Kafka40Rules(Before19974, Before19449, Before19233, Before19431, Kafka42Rules):
    """The coordinator of Kafka 4.0.0, 4.0.1, 4.1.0 and 4.1.1: also before KAFKA-19974,
    KAFKA-19449, KAFKA-19233 and KAFKA-19431 (4.2; 4.0.2 and 4.1.2 got KAFKA-19449)."""

    name = "4.0"


RULE_CLASSES = {cls.name: cls for cls in (CoordinatorRules, Before16147, Before19974,
                                          Before19449, Before19233, Before19431,
                                          Before20066)}


# Each rule a fix changed, by JIRA (versions.FIXES: the release, and any patch release it
# was backported to): the class that keeps the rule from before the fix.
_BEFORE_FIX: tuple[tuple[str, type[CoordinatorRules]], ...] = (
    ("KAFKA-19974", Before19974), ("KAFKA-19449", Before19449),
    ("KAFKA-19233", Before19233), ("KAFKA-19431", Before19431),
    ("KAFKA-20066", Before20066),
)
_RELEASE_RULES: dict[tuple[type[CoordinatorRules], ...], type[CoordinatorRules]] = {
    (): CoordinatorRules, (Before20066,): Kafka42Rules,
    (Before19974, Before19449, Before19233, Before19431, Before20066): Kafka40Rules,
}


def rules_of_release(release: str) -> type[CoordinatorRules]:
    """The coordinator rules Kafka ``release`` (patch number included) shipped: before
    each fix it lacks (4.2: KAFKA-20066 not yet in)."""
    before = tuple(cls for jira, cls in _BEFORE_FIX if not versions.has_fix(release, jira))
    cls = _RELEASE_RULES.get(before)
    if cls is None:  # a mix no minor release shipped (a backport to one patch release)
        cls = type("".join(c.__name__ for c in before), before,
                   {"name": "+".join(c.name for c in before)})
        _RELEASE_RULES[before] = cls
    return cls


class ConsumerProtocolGroupModel(PollLoop, Model):
    """KIP-848 consumer group: the coordinator's epochs and reconciliation, members, faults."""

    name = "group-consumer"
    summary = ("Consumer group, KIP-848 protocol: group/assignment/member epochs, server-side "
               "assignors, reconciliation, fencing, stale commits, faults")
    source = ("KIP-848; GroupMetadataManager, ConsumerGroup, CurrentAssignmentBuilder, "
              "TargetAssignmentBuilder, UniformAssignor, RangeAssignor; "
              "AbstractMembershipManager, ConsumerHeartbeatRequestManager (Kafka 4.4)")
    # Its consumers read a topic's log: compaction and tiered storage change what they see,
    # and unclean elections and flushing what broker faults take from it (LOG_LOSS; the
    # replication factor and min ISR bring those faults, FAULT_BOUNDS: not explored).
    also_changed_by: ClassVar[tuple[str, ...]] = (*LOG_SHAPE, *LOG_LOSS)
    settings = ("group.protocol", "group.remote.assignor", "group.consumer.assignors",
                "group.instance.id", "group.consumer.session.timeout.ms",
                "group.consumer.heartbeat.interval.ms", "max.poll.interval.ms",
                "enable.auto.commit", "auto.commit.interval.ms", "auto.offset.reset",
                "max.poll.records")
    key_settings = ("group.protocol", "group.remote.assignor", "group.instance.id")
    # The only group.protocol this model answers for: also its value when none is set.
    covered_values = {"group.protocol": ("consumer",),
                      "auto.offset.reset": ("earliest", "latest", "none")}
    bounds = (
        Bound("consumers", 2, "consumer processes in the group", minimum=1, maximum=4),
        Bound("topics", 1, "subscribed topics", minimum=1, maximum=2),
        Bound("partitions", 2, "partitions per topic", minimum=1, maximum=4),
        Bound("records", 0, "records the producer appends in all (to any partition); with "
              "records > 0 the consumers poll, process and commit them", minimum=0, maximum=6),
        Bound("hw_lag", 0, "0 the high watermark follows each append; 1 it advances in its "
              "own steps (replication catching up)", minimum=0, maximum=1),
        Bound("commit", "auto", "what the application commits (as in the group model): auto, "
              "sync-after-processing, before-processing, none", choices=COMMIT_STRATEGIES),
        Bound("rebalance_listener", "none", "none: the application subscribes without a "
              "ConsumerRebalanceListener (subscribe(topics)), so the consumer's background "
              "thread completes a reconciliation itself, between two polls (without "
              "auto-commit); registered: the callbacks run in the application's poll()",
              choices=("none", "registered")),
        Bound("rules", "version", "the coordinator's rules: those of --kafka-version, Kafka "
              "4.4, or 4.4 with one rule as it was before the named fix", choices=RULES),
        Bound("crashes", 0, "consumer process crashes (no leave heartbeat)", minimum=0,
              fault="consumer crash"),
        Bound("rejoins", 0, "restarts of a crashed or closed consumer", minimum=0,
              fault="consumer restart"),
        Bound("closes", 0, "clean closes (leave heartbeat: epoch -1, or -2 when static)",
              minimum=0),
        Bound("pauses", 0, "a process paused (GC, network partition) past its session",
              minimum=0, fault="paused consumer (session expiry)"),
        Bound("lost_responses", 0, "heartbeat responses lost on the way back", minimum=0,
              fault="lost heartbeat response"),
        Bound("rebalance_timeouts", 0, "a member slow to revoke is removed after "
              "max.poll.interval.ms (the rebalance timeout)", minimum=0,
              fault="slow revocation (rebalance timeout)"),
        Bound("poll_timeouts", 0, "max.poll.interval.ms passes while the application "
              "processes a batch: the member sends a leave heartbeat but keeps its "
              "partitions, the processing and its commit go on (a zombie), and the next "
              "poll drops them and rejoins",
              minimum=0, fault="poll timeout (zombie consumer)"),
        Bound("subscription_changes", 0, "a consumer unsubscribes from or resubscribes to "
              "the last topic", minimum=0),
        Bound("failovers", 0, "coordinator failovers (the __consumer_offsets leader moves; "
              "responses in flight are lost)", minimum=0, fault="coordinator failover"),
        Bound("retention", 0, "moves of a log start offset by retention", minimum=0,
              fault="retention deletes records"),
    )
    fields = Kip848State._fields
    # The action that injects each fault of the bounds (with INJECTED_BY's consumer restart
    # and retention): a fault whose action never fired in a run (a poll timeout without
    # records) is reported as offered but never injected, not as explored.
    fault_actions: ClassVar[dict[str, tuple[str, ...]]] = {
        "consumer crash": ("Crash",),
        "paused consumer (session expiry)": ("Pause",),
        "lost heartbeat response": ("LoseResponse",),
        "slow revocation (rebalance timeout)": ("RebalanceTimeout",),
        "poll timeout (zombie consumer)": ("PollTimeout",),
        "coordinator failover": ("CoordinatorFailover",),
    }
    # The classic group model explores these; this one has no bound for them.
    faults_not_modelled = ("coordinator writes lost in a failover", OFFSET_EXPIRY,
                           DUPLICATE_INSTANCE, "broker faults (the log is abstract: no brokers)")
    symmetry_note = "epochs renumbered in order of appearance (the protocol only compares them)"
    symmetry_over = "epochs"

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """Before 4.0 the consumer protocol was early access (3.7) or preview (3.8, 3.9),
        and its consumer's auto-commit did not wait for poll() (KAFKA-18641): Kafka takes
        group.protocol=consumer there, the model (4.0's rules and client) does not cover
        it."""
        asked = given.get("group.protocol", "consumer")
        out = {"group.protocol": "consumer"} if version < (4, 0) and asked == "consumer" \
            else {}
        return {**out, **group_size_uncovered(given, bounds, "group.consumer.max.size")}

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        if name == "group.protocol" and value == "consumer":
            return ("before Kafka 4.0 the consumer protocol was early access or preview, and "
                    "its auto-commit did not wait for poll(), KAFKA-18641: the model follows "
                    "4.0 and later")
        return GROUP_SIZE_REASON if name == "group.consumer.max.size" else None

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        k = config.kafka
        if k["group.protocol"] != "consumer" and \
                config.uncovered.get("group.protocol") != "consumer":
            return "group-consumer models group.protocol=consumer (KIP-848)"
        problem = consumer_protocol_problem(config)
        if problem:
            return problem
        wanted = k["group.remote.assignor"]
        offered = k["group.consumer.assignors"]
        if wanted is not None and wanted not in offered:
            return (f"group.remote.assignor={wanted} is not among group.consumer.assignors="
                    f"{','.join(offered)} (UNSUPPORTED_ASSIGNOR)")
        if config.bounds.get("subscription_changes", 0) and config.bounds.get("topics", 1) < 2:
            return "subscription_changes needs topics=2 (the last topic is (un)subscribed)"
        problem = poll_timeout_problem(config.bounds)
        if problem:
            return problem
        if config.bounds.get("records", 0):  # with no records a commit is abstract
            return commit_problem(config)
        return None

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        k, b = self.kafka, self.bound
        self.n = b["consumers"]
        self.topics = b["topics"]
        self.per_topic = b["partitions"]
        self.p = self.topics * self.per_topic
        self.assignor = k["group.remote.assignor"] or k["group.consumer.assignors"][0]
        instance = k["group.instance.id"]
        self.static = bool(instance)
        self.instance_ids = tuple(f"{instance}-{i + 1}" if instance else None
                                  for i in range(self.n))
        self.member_ids = tuple(f"consumer-{i + 1}" for i in range(self.n))
        self.rules: CoordinatorRules = (rules_of_release(config.kafka_version)
                                        if b["rules"] == "version"
                                        else RULE_CLASSES[b["rules"]])()
        # The uniform assignor of the release (KAFKA-18688, 4.1 and 4.0.1: a balanced assignment
        # stays put); the rules bound's 4.4 variants have it.
        self.kafka_18688_fix = b["rules"] != "version" \
            or versions.has_fix(config.kafka_version, "KAFKA-18688")
        if type(self.rules).epoch_after_revocation is CoordinatorRules.epoch_after_revocation:
            self.canonical = self._renumber_epochs  # type: ignore[method-assign]
        self.all_topics = (1 << self.topics) - 1
        self._topic_parts = tuple(((1 << self.per_topic) - 1) << (t * self.per_topic)
                                  for t in range(self.topics))
        self._cache: dict[tuple, tuple[int, ...]] = {}
        self._index = {consumer_name(i): i for i in range(self.n)}
        self._names = tuple(consumer_name(i) for i in range(self.n))
        # The poll loop (model/clients/poll_loop.py), active when records > 0.
        self.max_records = b["records"]
        self.commit = b["commit"]
        self.auto = auto_commit_enabled(config, self.commit)
        self.listener = b["rebalance_listener"] == "registered"
        self.background_revocation = not versions.has_fix(config.kafka_version, "KAFKA-20332")
        self.reset = k["auto.offset.reset"]
        self.max_poll = k["max.poll.records"]
        self.log = AbstractLog(self.p, self.max_records, b["hw_lag"])
        self._part_index = {self.part_text(p): p for p in range(self.p)}

    def index_of(self, name: str) -> int:
        """The slot of a consumer named in an action label (C1 -> 0)."""
        return self._index[name]

    def partitions_of(self, topics: int) -> int:
        """The partitions (bitmask) of the topics in ``topics`` (bitmask)."""
        mask = 0
        for t in _bits(topics):
            mask |= self._topic_parts[t]
        return mask

    def parts_text(self, mask: int) -> str:
        """A partition bitmask as {p0, p1} (one topic) or {t0p0, t1p1}."""
        if self.topics == 1:
            names = [f"p{p}" for p in _bits(mask)]
        else:
            names = [f"t{p // self.per_topic}p{p % self.per_topic}" for p in _bits(mask)]
        return "{" + ", ".join(names) + "}"

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        b = self.bound
        client = self._fresh(JOINING)
        zeros = (0,) * self.p
        return [Kip848State(
            0, 0, (NO_RECORD,) * self.n, (FREE,) * self.p, zeros, (client,) * self.n,
            Budget(b["crashes"], b["rejoins"], b["closes"], b["pauses"], b["lost_responses"],
                   b["rebalance_timeouts"], b["subscription_changes"], b["failovers"],
                   b["retention"], b["poll_timeouts"]),
            (NO_COMMIT,) * self.p, zeros, self.log.initial(), zeros, zeros, 0,
            False)]

    def _fresh(self, status: int) -> Client:
        """A consumer process just started (JOINING) or gone (DOWN)."""
        return Client(status, 0, 0, 0, self.all_topics, NONE, 0, 0, False, True,
                      (NO_POSITION,) * self.p, IDLE, NO_BATCH, 0, 0, 0)

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        for i in range(self.n):
            yield from self._client_actions(state, i)
        yield from self._coordinator_actions(state)
        if self.max_records:
            yield from self._log_actions(state)

    def _renumber_epochs(self, state: State) -> State:
        """Epochs renumbered 1, 2, ... in their order (0, -1 and -2 keep their meaning).

        Sound because the protocol only compares epochs (equality, order, the previous
        epoch) and the next group epoch is always above every epoch in the state; the rules
        before KAFKA-19974 add one to a member's epoch after a revocation, which does not
        commute with renumbering, so they explore unreduced (``__init__``).
        """
        used = {state.group_epoch, state.assignment_epoch}
        for r in state.records:
            used.add(r.epoch)
            used.add(r.previous)
        for c in state.clients:
            used.add(c.epoch)
            used.add(c.reply_epoch)
        used.update(state.partition_epoch)
        used.update(state.assignment_epochs)
        positive = sorted(e for e in used if e > 0)
        if positive == list(range(1, len(positive) + 1)) and state.group_epoch == len(positive):
            return state
        rank = {e: r for r, e in enumerate(positive, 1)}
        for e in used:
            if e <= 0:
                rank[e] = e

        def renumber(e: int) -> int:
            return rank[e]

        records = tuple(r._replace(epoch=renumber(r.epoch), previous=renumber(r.previous))
                        for r in state.records)
        clients = tuple(c._replace(epoch=renumber(c.epoch), reply_epoch=renumber(c.reply_epoch))
                        for c in state.clients)
        return state._replace(
            group_epoch=renumber(state.group_epoch),
            assignment_epoch=renumber(state.assignment_epoch), records=records,
            partition_epoch=tuple(renumber(e) for e in state.partition_epoch),
            assignment_epochs=tuple(renumber(e) for e in state.assignment_epochs),
            clients=clients)

    # -- the consumers ----------------------------------------------------------------

    def _client_actions(self, state: Kip848State, i: int) -> Iterator[tuple[Action, State]]:
        c = state.clients[i]
        name = consumer_name(i)
        budget = state.budget
        if c.status == DOWN:
            if budget.rejoins > 0 and (self.static or not state.records[i].present):
                s = self._spend(state, "rejoins")
                yield ("Restart", name), self._with_client(s, i, self._fresh(JOINING))
            return
        if c.paused:
            yield ("Resume", name), self._with_client(state, i, c._replace(paused=False))
            return
        if c.status == STALE:
            yield from self._stale_actions(state, i)
            return
        if c.reply == NONE:
            yield self._heartbeat(state, i)
        else:
            yield self._receive(state, i)
            if budget.lost_responses > 0:
                s = self._spend(state, "lost_responses")
                yield (("LoseResponse", name, REPLIES[c.reply]),
                       self._with_client(s, i, c._replace(reply=NONE, reply_epoch=0,
                                                          reply_assigned=0, ack=True)))
        loop = self.max_records > 0
        if c.status == MEMBER and c.target != c.owned and (
                c.phase == IDLE or self.reconciles_in_background(c)):
            # The rebalance callbacks run in the application thread, inside poll().
            yield self._reconcile(state, i)
        if not loop:
            if c.status == MEMBER and c.owned:
                yield self._commit(state, i)
        elif c.phase == IDLE:
            if c.status == MEMBER:
                for p in _bits(c.owned):
                    yield from self._poll(state, i, p)
                yield from self._auto_commit(state, i)
        else:
            yield from self._process_or_commit(state, i)
            if budget.poll_timeouts > 0 and c.status == MEMBER and state.records[i].present:
                s = self._spend(state, "poll_timeouts")
                yield ("PollTimeout", name), self._poll_timeout(s, i)
        if budget.crashes > 0:
            s = self._spend(state, "crashes")
            yield ("Crash", name), self._with_client(s, i, self._down())
        if budget.closes > 0 and c.status == MEMBER and c.phase == IDLE:
            yield ("Close", name), self._close(self._spend(state, "closes"), i)
        if budget.pauses > 0:
            s = self._spend(state, "pauses")
            yield ("Pause", name), self._with_client(s, i, c._replace(paused=True))
        if budget.subscription_changes > 0 and self.topics > 1:
            last = 1 << (self.topics - 1)
            s = self._spend(state, "subscription_changes")
            verb = "Unsubscribe" if c.subscription & last else "Subscribe"
            yield ((verb, name, f"t{self.topics - 1}"),
                   self._with_client(s, i, c._replace(subscription=c.subscription ^ last)))

    def _down(self) -> Client:
        return self._fresh(DOWN)

    def _receive(self, state: Kip848State, i: int) -> tuple[Action, State]:
        """A heartbeat response reaches the consumer (AbstractMembershipManager)."""
        c = state.clients[i]
        name = consumer_name(i)
        cleared = c._replace(reply=NONE, reply_epoch=0, reply_assigned=0)
        if c.reply == OK:
            # onHeartbeatSuccess: the epoch from the response, the assignment to reconcile.
            # A new target equal to what the consumer owns needs no reconciliation: the
            # local assignment epoch is bumped and acknowledged (maybeReconcile ->
            # ACKNOWLEDGING); any other waits for Reconcile to finish.
            fresh = c.reply_assigned != c.target and c.reply_assigned == c.owned
            nxt = cleared._replace(status=MEMBER, epoch=c.reply_epoch, target=c.reply_assigned,
                                   ack=c.ack or fresh)
            label = ("Receive", name, f"epoch {c.reply_epoch}",
                     f"assigned {self.parts_text(c.reply_assigned)}")
        elif c.reply == UNRELEASED_INSTANCE_ID:
            # A fatal error for the consumer (AbstractHeartbeatRequestManager): it stops.
            nxt = self._down()
            label = ("Receive", name, REPLIES[c.reply], "fatal")
        elif c.phase != IDLE:
            # transitionToFenced while the application processes a batch: the epoch is
            # gone (0), the onPartitionsLost callback waits for the application's next
            # poll, as after a poll timeout: STALE, its partitions held until then.
            nxt = cleared._replace(status=STALE, epoch=0, target=c.owned)
            label = ("Receive", name, REPLIES[c.reply], "partitions lost at the next poll")
        else:
            # transitionToFenced inside poll(): onPartitionsLost (no commit), then rejoin
            # with epoch 0.
            nxt = cleared._replace(status=JOINING, epoch=0, owned=0, target=0, ack=True,
                                   positions=(NO_POSITION,) * self.p)
            label = ("Receive", name, REPLIES[c.reply], f"lost {self.parts_text(c.owned)}")
        return label, self._with_client(state, i, nxt)

    def reconciles_in_background(self, c: Client) -> bool:
        """Whether the background thread completes c's reconciliation while the application
        holds a batch (AbstractMembershipManager.maybeReconcile(false), read in kafka-clients
        4.0.0-4.3.1): only without auto-commit (which waits for a poll to commit first) and
        with no listener (whose callbacks wait for the application's poll); before
        KAFKA-20332 (4.3, 4.2.1) it also revokes, so the application's next commitSync
        leaves the revoked partition out (allConsumed) while its new owner reads it."""
        if self.auto or self.listener:
            return False
        return self.background_revocation or not c.owned & ~c.target

    def _reconcile(self, state: Kip848State, i: int) -> tuple[Action, State]:
        """The consumer revokes what it no longer has (onPartitionsRevoked; with auto-commit
        the positions are committed first, CommitRequestManager.
        maybeAutoCommitSyncBeforeRevocation), then takes the new partitions
        (onPartitionsAssigned); its next heartbeat acknowledges."""
        c = state.clients[i]
        revoked = c.owned & ~c.target
        added = c.target & ~c.owned
        label: tuple = ("Reconcile", consumer_name(i))
        if c.phase != IDLE:
            label = (*label, "in the background")
        if revoked and self.auto and self._has_uncommitted(state, c) \
                and self.poll_commit_error(state, i) is None:
            state = self.store_commit(state, self._committed_positions(state, c))
            label = (*label, "auto-commit")
        if revoked:
            label = (*label, f"revoke {self.parts_text(revoked)}")
        if added:
            label = (*label, f"assign {self.parts_text(added)}")
        positions = tuple(NO_POSITION if revoked >> p & 1 else pos
                          for p, pos in enumerate(c.positions))
        return label, self._with_client(state, i, c._replace(owned=c.target, ack=True,
                                                             positions=positions))

    def _close(self, state: Kip848State, i: int) -> Kip848State:
        """KafkaConsumer.close: auto-commit, then a leave heartbeat (epoch -1; -2 for a
        static member)."""
        c = state.clients[i]
        if self.auto and self._has_uncommitted(state, c) \
                and self.poll_commit_error(state, i) is None:
            state = self.store_commit(state, self._committed_positions(state, c))
        return self._leave(self._with_client(state, i, self._down()), i)

    def _poll_timeout(self, state: Kip848State, i: int) -> Kip848State:
        """max.poll.interval.ms passed inside the application's processing: the background
        thread sends a leave heartbeat (AbstractMembershipManager.transitionToSendingLeaveGroup
        with the poll timer expired) and the member turns STALE: no heartbeats, responses
        ignored, its partitions held until onPartitionsLost runs in the application's next
        poll (KAFKA-16258, transitionToStale); the batch in hand is still processed."""
        c = state.clients[i]
        stale = c._replace(status=STALE, epoch=0, target=c.owned, reply=NONE, reply_epoch=0,
                           reply_assigned=0)
        return self._leave(self._with_client(state, i, stale), i)

    def _stale_actions(self, state: Kip848State, i: int) -> Iterator[tuple[Action, State]]:
        """A STALE consumer finishes its batch (a commitSync goes out with no member epoch:
        ``commit_error``), then its next poll runs onPartitionsLost (nothing committed) and
        rejoins with epoch 0 (maybeRejoinStaleMember; after a fencing, transitionToJoining
        once the callback completed)."""
        c = state.clients[i]
        name = consumer_name(i)
        if c.phase != IDLE:
            yield from self._process_or_commit(state, i)
        else:
            fresh = c._replace(status=JOINING, owned=0, target=0, ack=True,
                               positions=(NO_POSITION,) * self.p)
            yield (("Rejoin", name, f"lost {self.parts_text(c.owned)}"),
                   self._with_client(state, i, fresh))
        if state.budget.crashes > 0:
            s = self._spend(state, "crashes")
            yield ("Crash", name), self._with_client(s, i, self._down())

    def _leave(self, s: Kip848State, i: int) -> Kip848State:
        """The coordinator handles member i's leave heartbeat (epoch -1, or -2 when static)."""
        r = s.records[i]
        if not r.present:
            return s
        if self.static:
            # consumerGroupStaticMemberGroupLeave: kept with epoch -2 and its partitions.
            new = r._replace(epoch=LEAVE_STATIC, previous=r.epoch, revoking=0)
            return self._store(s, i, r, new)
        return self._remove(s, i)

    def _commit(self, state: Kip848State, i: int) -> tuple[Action, State]:
        """OffsetCommit of every owned partition at the consumer's member epoch (records=0).

        A step that changes no state: no property reads who committed (StaleCommitsRejected
        judges the step itself), so keeping the committer in the state would only multiply
        the states (audit 848race finding 3)."""
        c = state.clients[i]
        name = consumer_name(i)
        error = self.commit_error(state, i, c.epoch, c.owned)
        if error is not None:
            return ("CommitFailed", name, f"epoch {c.epoch}", error), state
        return ("Commit", name, f"epoch {c.epoch}", self.parts_text(c.owned)), state

    def commit_error(self, state: Kip848State, i: int, epoch: int, parts: int) -> str | None:
        """ConsumerGroup.validateOffsetCommit: the member must be known, its epoch current
        by the rules of the release (CoordinatorRules.stale_commit).

        A consumer with no member epoch (epoch 0: it left on a poll timeout or was fenced,
        and still holds its partitions) sends none: CommitRequestManager leaves
        generationIdOrMemberEpoch at -1 once onMemberEpochUpdated cleared the epoch.  A
        commit at epoch -1 into a group with no members is accepted, as the admin client's
        is (``memberEpoch < 0 && members().isEmpty()``), whoever holds the partitions."""
        if epoch <= 0 and not any(r.present for r in state.records):
            return None
        r = state.records[i]
        if not r.present or r.epoch == LEAVE_STATIC:
            return "UNKNOWN_MEMBER_ID"
        if self.rules.stale_commit(epoch, r, parts, state.assignment_epochs):
            return "STALE_MEMBER_EPOCH"
        return None

    # -- the poll loop's hooks (model/clients/poll_loop.py) -----------------------------

    def consumers_of(self, state: Kip848State) -> tuple[Client, ...]:
        return state.clients

    def _with_member(self, state: Kip848State, i: int, m: Client) -> Kip848State:
        return self._with_client(state, i, m)

    def poll_commit_error(self, state: Kip848State, i: int) -> str | None:
        """A commit of the positions, at the member epoch the consumer knows
        (CommitRequestManager; commitSync's STALE_MEMBER_EPOCH is a CommitFailedException)."""
        c = state.clients[i]
        return self.commit_error(state, i, c.epoch, self.positioned(c))

    def part_text(self, p: int) -> str:
        return self.parts_text(1 << p)[1:-1]

    def part_of(self, text: str) -> int:
        return self._part_index[text]

    # -- the heartbeat at the coordinator -----------------------------------------------

    def _heartbeat(self, state: Kip848State, i: int) -> tuple[Action, State]:
        """ConsumerGroupHeartbeat: validate the epoch, update the subscription, compute the
        target assignment if the group epoch is ahead, reconcile the member, respond."""
        c = state.clients[i]
        name = consumer_name(i)
        owned = self.reported(c)
        label: tuple = ("Heartbeat", name, f"epoch {c.epoch}")
        if owned is not None:
            label = (*label, f"owns {self.parts_text(owned)}")
        r = state.records[i]
        c = c._replace(ack=False)
        member, error = self._validate(r, c, owned)
        if error != OK:
            return label, self._with_client(state, i, c._replace(reply=error, reply_epoch=0,
                                                                 reply_assigned=0))
        updated = member._replace(subscribed=c.subscription)
        changed = updated.subscribed != member.subscribed
        s = state
        if changed:
            s = s._replace(group_epoch=s.group_epoch + 1)
        records = _put(s.records, i, updated)
        s = s._replace(records=records)
        if s.group_epoch > s.assignment_epoch:
            s = self._update_target(s)
        updated = s.records[i]
        new = self._reconcile_member(s, updated, owned, changed)
        s = self._store(s, i, r, new)
        reply = c._replace(reply=OK, reply_epoch=new.epoch, reply_assigned=new.assigned)
        return label, self._with_client(s, i, reply)

    @staticmethod
    def reported(c: Client) -> int | None:
        """The owned partitions a heartbeat carries: all fields while joining, else only
        when they changed since the last one sent (None: the field is null)."""
        return c.owned if c.status == JOINING or c.ack else None

    def _validate(self, r: Record, c: Client, owned: int | None) -> tuple[Record, int]:
        """The member the heartbeat is for, or the error it gets
        (throwIfConsumerGroupMemberEpochIsInvalid, the static member checks)."""
        if c.epoch == 0:
            if not r.present:
                return Record(True, 0, 0, STABLE, 0, 0, 0, 0), OK
            if self.static:
                if r.epoch != LEAVE_STATIC:
                    return r, UNRELEASED_INSTANCE_ID  # throwIfInstanceIdIsUnreleased
                return r._replace(epoch=0, previous=0), OK  # replaces the member that left
            if self.rules.rejoin_is_fenced(r):
                return r, FENCED_MEMBER_EPOCH
            return r, OK
        if not r.present or r.epoch == LEAVE_STATIC:
            return r, UNKNOWN_MEMBER_ID
        if c.epoch > r.epoch:
            return r, FENCED_MEMBER_EPOCH
        if c.epoch < r.epoch and (c.epoch != r.previous or owned is None
                                  or owned & ~r.assigned):  # isSubset(null) is false
            return r, FENCED_MEMBER_EPOCH
        return r, OK

    def _update_target(self, s: Kip848State) -> Kip848State:
        """TargetAssignmentBuilder: the assignor over every member, at the group epoch."""
        present = tuple((r.subscribed, r.target) if r.present else None for r in s.records)
        targets = self._cache.get(present)
        if targets is None:
            targets = self.target_assignment(present)
            self._cache[present] = targets
        records = tuple(r._replace(target=t) if r.present else r
                        for r, t in zip(s.records, targets, strict=True))
        return s._replace(records=records, assignment_epoch=s.group_epoch)

    def target_assignment(self, members: tuple[tuple[int, int] | None, ...]) -> tuple[int, ...]:
        """The server-side assignor's result for (subscribed topics, target) per slot."""
        topics = {f"t{t}": self.per_topic for t in range(self.topics)}
        spec: dict[str, GroupMember] = {}
        for i, m in enumerate(members):
            if m is None:
                continue
            subscribed, target = m
            per: dict[str, list[int]] = {}
            for p in _bits(target):
                per.setdefault(f"t{p // self.per_topic}", []).append(p % self.per_topic)
            spec[self.member_ids[i]] = GroupMember(
                tuple(f"t{t}" for t in _bits(subscribed)),
                {t: tuple(ps) for t, ps in per.items()}, self.instance_ids[i])
        try:
            result = assign_server(self.assignor, topics, spec,
                                   self.kafka_18688_fix) if spec else {}
        except AssignorError as exc:  # never expected: every topic exists
            raise RuntimeError(f"assignor failed: {exc}") from exc
        out = []
        for i in range(self.n):
            mask = 0
            for t, parts in result.get(self.member_ids[i], {}).items():
                for p in parts:
                    mask |= 1 << (int(t[1:]) * self.per_topic + p)
            out.append(mask)
        return tuple(out)

    def _reconcile_member(self, s: Kip848State, r: Record, owned: int | None,
                          subscription_changed: bool) -> Record:
        """CurrentAssignmentBuilder.build (Kafka 4.4)."""
        target_epoch = s.assignment_epoch
        if r.state == STABLE:
            if r.epoch != target_epoch:
                return self._next_assignment(s, r, r.epoch, owned)
            if subscription_changed and self.rules.strips_unsubscribed():
                return self._strip_unsubscribed(r, owned)
            return r
        if r.state == UNREVOKED:
            if _owns(owned, r.revoking):
                return self._strip_unsubscribed(r, owned) \
                    if subscription_changed and self.rules.strips_unsubscribed() else r
            return self._next_assignment(s, r, self.rules.epoch_after_revocation(r), owned)
        return self._next_assignment(s, r, r.epoch, owned)

    def _next_assignment(self, s: Kip848State, r: Record, epoch: int,
                         owned: int | None) -> Record:
        """CurrentAssignmentBuilder.computeNextAssignment: revoke first; assign only what
        no other member still holds."""
        target = r.target & self.partitions_of(r.subscribed)
        assigned = r.assigned & target
        revoking = r.assigned & ~assigned
        pending = target & ~assigned
        unreleased = 0
        for p in _bits(pending):
            if self.rules.unreleased(p, r, s.partition_epoch):
                unreleased |= 1 << p
        pending &= ~unreleased
        target_epoch = s.assignment_epoch
        if revoking and _owns(owned, revoking):
            return _epoch(r, epoch)._replace(state=UNREVOKED, assigned=assigned,
                                             revoking=revoking)
        state = UNRELEASED if unreleased else STABLE
        return _epoch(r, target_epoch)._replace(state=state, assigned=assigned | pending,
                                                revoking=0)

    def _strip_unsubscribed(self, r: Record, owned: int | None) -> Record:
        """CurrentAssignmentBuilder.updateCurrentAssignment: drop unsubscribed topics."""
        subscribed = self.partitions_of(r.subscribed)
        if not r.subscribed and not r.revoking:
            assigned, revoking = 0, r.assigned
        else:
            removed = r.assigned & ~subscribed
            if not removed:
                return r
            assigned, revoking = r.assigned & ~removed, r.revoking | removed
        if assigned == r.assigned:
            return r
        previous = self.rules.previous_after_strip(r)
        if revoking and _owns(owned, revoking):
            return r._replace(previous=previous, state=UNREVOKED, assigned=assigned,
                              revoking=revoking)
        return r._replace(previous=previous, assigned=assigned)

    def _store(self, s: Kip848State, i: int, old: Record, new: Record) -> Kip848State:
        """ConsumerGroup.updateMember: the record, its partition and assignment epochs."""
        epochs = list(s.partition_epoch)
        self.rules.update_partition_epochs(epochs, old, new)
        assignment = list(s.assignment_epochs)
        for p in _bits(new.assigned & ~(old.assigned if old.present else 0)):
            assignment[p] = new.epoch
        for p in _bits((old.assigned | old.revoking) & ~(new.assigned | new.revoking)):
            assignment[p] = 0
        return s._replace(records=_put(s.records, i, new), partition_epoch=tuple(epochs),
                          assignment_epochs=tuple(assignment))

    def _remove(self, s: Kip848State, i: int) -> Kip848State:
        """Fence/remove a member (leave, session or rebalance timeout): its partitions are
        released and the group epoch bumps (GroupMetadataManager.consumerGroupFenceMember)."""
        old = s.records[i]
        s = self._store(s, i, old, NO_RECORD)
        return s._replace(group_epoch=s.group_epoch + 1)

    # -- coordinator events ------------------------------------------------------------

    def _silent(self, s: Kip848State, i: int) -> bool:
        """No heartbeat of this member's reaches the coordinator successfully."""
        c = s.clients[i]
        if c.status in (DOWN, STALE) or c.paused:
            return True
        if c.status == JOINING and c.reply == NONE:
            _, error = self._validate(s.records[i], c, c.owned)
            return error != OK
        return False

    def _coordinator_actions(self, state: Kip848State) -> Iterator[tuple[Action, State]]:
        for i, r in enumerate(state.records):
            if not r.present:
                continue
            name = consumer_name(i)
            if self._silent(state, i):
                # group.consumer.session.timeout.ms passed without a heartbeat.
                yield ("Expire", name), self._remove(state, i)
            if r.state == UNREVOKED and state.budget.rebalance_timeouts > 0:
                # The rebalance timeout (the member's max.poll.interval.ms) passed before it
                # acknowledged the revocation: the member is fenced.
                s = self._spend(state, "rebalance_timeouts")
                yield ("RebalanceTimeout", name), self._remove(s, i)
        if state.budget.failovers > 0:
            s = self._spend(state, "failovers")
            clients = tuple(c._replace(reply=NONE, reply_epoch=0, reply_assigned=0, ack=True)
                            if c.reply != NONE else c for c in s.clients)
            yield ("CoordinatorFailover",), s._replace(clients=clients)

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _with_client(s: Kip848State, i: int, c: Client) -> Kip848State:
        return s._replace(clients=_put(s.clients, i, c))

    @staticmethod
    def _spend(s: Kip848State, fault: str) -> Kip848State:
        return s._replace(budget=s.budget._replace(**{fault: getattr(s.budget, fault) - 1}))

    # -- properties and presentation ---------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import group_consumer as props

        return props.consumer_protocol_properties(self)

    def action_families(self) -> tuple[str, ...]:
        return ("Heartbeat", "Receive", "Reconcile", "Commit", "CommitFailed", "Poll",
                "Process", "AutoCommit", "Produce", "AdvanceHw", "Retention", "Crash",
                "Restart", "Close", "PollTimeout", "Rejoin", "Pause", "Resume", "LoseResponse",
                "Subscribe", "Unsubscribe", "Expire", "RebalanceTimeout", "CoordinatorFailover")

    # Not Restart: a crashed consumer the budget lets restart need not (a lasso may stop
    # after the crash), as in the classic model.
    FAIR = ("Heartbeat", "Receive", "Reconcile", "Resume", "Expire")

    # Rejoin: a STALE consumer's next poll (after a poll timeout or a fencing mid-batch).
    LOOP_FAIR = ("Poll", "Process", "Commit", "CommitFailed", "AutoCommit", "Rejoin")

    def fairness(self) -> tuple[str, ...]:
        """Weakly fair families, per consumer ("Receive/C2"): each process makes progress
        (its poll loop too, when there are records)."""
        families = self.FAIR + (self.LOOP_FAIR if self.max_records else ())
        return tuple(f"{family}/{consumer_name(i)}" for family in families
                     for i in range(self.n))

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {"group": f"epoch {state.group_epoch}, target assignment epoch "
                                        f"{state.assignment_epoch}"}
        for i, r in enumerate(state.records):
            if r.present:
                text = (f"epoch {r.epoch} (prev {r.previous}) {RECORD_STATES[r.state]} "
                        f"assigned {self.parts_text(r.assigned)} target "
                        f"{self.parts_text(r.target)}")
                if r.revoking:
                    text += f" revoking {self.parts_text(r.revoking)}"
                if self.topics > 1:
                    text += f" subscribed {r.subscribed:0{self.topics}b}"
                out[f"coordinator.{consumer_name(i)}"] = text
        for i, c in enumerate(state.clients):
            text = f"{CLIENT_STATES[c.status]} epoch {c.epoch} owns {self.parts_text(c.owned)}"
            if c.target != c.owned:
                text += f" reconciling to {self.parts_text(c.target)}"
            if c.reply != NONE:
                text += f"; response in flight {REPLIES[c.reply]}"
                if c.reply == OK:
                    text += f" epoch {c.reply_epoch} {self.parts_text(c.reply_assigned)}"
            if c.paused:
                text += "; paused"
            if self.max_records:
                text += self._loop_text(c)
            out[consumer_name(i)] = text
        out["partition epochs"] = ", ".join(
            f"{self.parts_text(1 << p)[1:-1]}:{'-' if e == FREE else e}"
            for p, e in enumerate(state.partition_epoch))
        if self.max_records:
            out["committed"] = ", ".join(f"{self.part_text(p)}@{'-' if c < 0 else c}"
                                         for p, c in enumerate(state.committed))
            out.update({f"{self.part_text(p)}.log": text for p, text in
                        enumerate(self.log.view_vars(state.log, state.log_start).values())})
            out["processed"] = ", ".join(f"{self.part_text(p)}:{self.log.ids_text(mask)}"
                                         for p, mask in enumerate(state.processed))
            if any(state.excused):
                out["not owed"] = ", ".join(f"{self.part_text(p)}:{self.log.ids_text(mask)}"
                                            for p, mask in enumerate(state.excused))
            out["duplicate"] = repr(state.duplicate)
        return out

    def _loop_text(self, c: Client) -> str:
        """The poll loop of a consumer: positions and the batch it holds."""
        text = ""
        pos = [f"{self.part_text(p)}@{x}" for p, x in enumerate(c.positions) if x >= 0]
        if pos:
            text += "; pos " + ",".join(pos)
        if c.phase != IDLE:
            what = {POLLED: "polled", HALF: "processed" if self.commit != "before-processing"
                    else "committed"}[c.phase]
            text += (f"; {what} {self.part_text(c.batch_partition)} "
                     f"{offsets_text(c.batch_start, c.batch_end)}")
        return text

    def format_value(self, name: str, value: Any) -> str:
        return value if isinstance(value, str) else repr(value)

    def participants(self) -> tuple[str, ...]:
        log = ("Log",) if self.max_records else ()
        return (*log, "Coordinator", *(consumer_name(i) for i in range(self.n)))

    def message(self, action: Action, before: State, after: State) -> Message:
        name, *args = action
        who = args[0] if args and str(args[0]) in self._index else None
        text = " ".join(str(a) for a in args[1:])
        if who is None:
            place = "Log" if name in self.log.families() or name == "Retention" \
                else "Coordinator"
            return Message(place, place, " ".join(str(a) for a in action))
        if name == "Poll":
            return Message(who, "Log", f"fetch {text}")
        if name in ("Heartbeat", "Commit", "AutoCommit", "Close", "PollTimeout"):
            return Message(who, "Coordinator", f"{name} {text}".strip())
        if name in ("Receive", "CommitFailed", "Expire", "RebalanceTimeout"):
            return Message("Coordinator", who, f"{name} {text}".strip())
        return Message(who, who, f"{name} {text}".strip())


def _owns(owned: int | None, revoking: int) -> bool:
    """CurrentAssignmentBuilder.ownsRevokedPartitions (a null owned list owns them all)."""
    return owned is None or bool(owned & revoking)


def _epoch(r: Record, epoch: int) -> Record:
    """ConsumerGroupMember.Builder.updateMemberEpoch: the old epoch becomes the previous."""
    return r._replace(epoch=epoch, previous=r.epoch)
