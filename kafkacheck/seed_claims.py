"""The seed document's claims, each quoted (Korean and English) and checked by the engine.

`../shared/seed/kafka-how-it-works.md` is the blog post this project started from.  For
each claim the report gives the verdict, the exact conditions under which the model
confirms it, and links to counterexamples where it fails.  Verdicts come from runs made
during the regeneration (state limits keep them deterministic).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafkacheck.model import settings as kafka_settings

CONFIRMED = "confirmed"
CONDITIONAL = "confirmed under conditions"
REFUTED = "refuted"
OUTDATED = "outdated"
IMPRECISE = "imprecise"


@dataclass
class Run:
    """One engine run a claim relies on, and what it found."""

    model: str
    settings: Mapping[str, str]
    bounds: Mapping[str, Any]
    properties: Sequence[str]
    verdicts: dict[str, str] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)
    distinct: int = 0
    seconds: float = 0.0
    links: dict[str, str] = field(default_factory=dict)
    never_injected: tuple[str, ...] = ()  # offered faults whose actions never fired
    kafka_version: str | None = None  # None: the default release
    # The line the CLI prints when the run explored no power loss
    # (explorer.render.power_loss_warning), and whether it crashed brokers as processes.
    power_loss_warning: str | None = None
    process_crashes: bool = False

    def command(self) -> str:
        """The CLI command that reproduces the run."""
        version = f"--kafka-version {self.kafka_version}" if self.kafka_version else ""
        sets = " ".join(f"--set {k}={v}" for k, v in self.settings.items())
        bounds = " ".join(f"--bound {k}={v}" for k, v in self.bounds.items())
        props = " ".join(f"--property {p}" for p in self.properties)
        return " ".join(x for x in ("kafkacheck check", self.model, version, sets, bounds,
                                    props) if x)

    def power_loss_note(self) -> str:
        """What a "holds" of this run leaves out, as the CLI's power-loss warning says:
        '' when the run explored power loss (or the warning does not apply)."""
        if not self.power_loss_warning:
            return ""
        if self.process_crashes:
            return "; process crashes only: power loss NOT explored"
        return "; no broker crash: power loss NOT explored"

    def cite(self, prop: str) -> str:
        """One Markdown line stating the run's verdict for ``prop``."""
        verdict = self.verdicts.get(prop, "?")
        config = ", ".join(f"`{k}={v}`" for k, v in self.settings.items()) or "defaults"
        if self.kafka_version:
            config = f"Kafka {self.kafka_version}, {config}"
        bounds = ", ".join(f"{k}={v}" for k, v in self.bounds.items()) or "default bounds"
        if verdict == "never reached":
            return (f"{config} ({bounds}): **{prop} is never reached** in any of the "
                    f"{self.distinct:,} reachable states")
        if verdict == "violated":
            link = self.links.get(prop, "")
            return (
                f"{config} ({bounds}): **{prop} violated**, [counterexample]({link}) of "
                f"{self.steps.get(prop)} steps"
            )
        if verdict == "holds":
            never = (f"; never injected: {', '.join(self.never_injected)}"
                     if self.never_injected else "")
            return (
                f"{config} ({bounds}): **{prop} holds** ({self.distinct:,} states "
                f"explored to the end{never}{self.power_loss_note()})"
            )
        return f"{config} ({bounds}): {prop} {verdict}"


@dataclass
class Verdict:
    """A claim's verdict, the conditions, and the evidence lines (Markdown)."""

    verdict: str
    conditions: str
    evidence: list[str]


# check(model, settings, bounds, properties, kafka_version=None) -> Run: one engine run
# (kafka_version None: the default release), made when the page is generated.
Checker = Callable[..., Run]

NEEDS_REVIEW = "needs review"


def decided(
    verdict: str, conditions: str, evidence: list[str], expect: Sequence[tuple[Run, str, str]],
    *, process_crashes_only: bool = False,
) -> Verdict:
    """The verdict, if every run came out as the reasoning needs; else 'needs review'.

    The conditions text explains *why* the verdict follows from the runs; ``expect``
    lists (run, property, expected verdict) so that a model change that flips a run
    cannot leave a stale verdict standing; an expected "holds" from a run in which an
    offered fault never fired does not count, nor one from a run that explored no power
    loss, unless another run of the claim explored it or the claim is about process
    crashes only (``process_crashes_only``, which its conditions must say).
    """
    broken = [
        f"{prop} {run.verdicts.get(prop)} (expected {want}) in `{run.command()}`"
        for run, prop, want in expect
        if run.verdicts.get(prop) != want
    ]
    # a "holds" the reasoning needs is no evidence under a fault that never fired
    broken += [
        f"{prop} holds only without {', '.join(run.never_injected)} (never injected) in "
        f"`{run.command()}`"
        for run, prop, want in expect
        if want == "holds" and run.verdicts.get(prop) == "holds" and run.never_injected
    ]
    # a claim confirmed on a "holds" that explored no power loss says so, or it reads as
    # a guarantee under every broker failure (the CLI warns beside such a run)
    power_run = any(not run.power_loss_warning for run, _prop, _want in expect)
    if verdict in (CONFIRMED, CONDITIONAL) and not (process_crashes_only or power_run):
        broken += [
            f"{prop} holds without power loss (not explored) in `{run.command()}`, and "
            "no run of the claim explores power loss and it is not limited to process "
            "crashes"
            for run, prop, want in expect
            if want == "holds" and run.verdicts.get(prop) == "holds" and run.power_loss_warning
        ]
    if broken:
        return Verdict(
            NEEDS_REVIEW, "The runs no longer support the reasoning: " + "; ".join(broken), evidence
        )
    return Verdict(verdict, conditions, evidence)


@dataclass
class Claim:
    """A quoted claim of the seed document and how to decide it."""

    id: str
    section: str
    korean: str
    english: str
    decide: Callable[[Checker], Verdict]


# -- decisions ---------------------------------------------------------------------------

SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3"}
# The releases in which the idempotence default of 3.0 (KIP-679) takes effect: 3.0.0 and
# 3.1.0 apply it only when set explicitly (versions.FIXES records KAFKA-13598).
IDEMPOTENCE_DEFAULT_APPLIED = kafka_settings.releases_with_fix("KAFKA-13598")


def _replication(check: Checker) -> Verdict:
    safe = check(
        "replication",
        SAFE,
        {"crashes": 1, "records": 2, "crash_kind": "process"},
        ["NoAckedWriteLost", "CommittedRecordsStay"],
    )
    acks1 = check(
        "replication",
        {"acks": "1", "replication.factor": "3"},
        {"crashes": 1},
        ["NoAckedWriteLost"],
    )
    unclean = check(
        "replication",
        {**SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"},
        {"crashes": 1},
        ["NoAckedWriteLost"],
    )
    power = check(
        "replication",
        {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2",
         "eligible.leader.replicas.version": "0"},
        {"crashes": 1, "crash_kind": "power-loss"},
        ["NoAckedWriteLost"],
    )
    two = check("replication", SAFE, {"crashes": 2, "records": 2, "crash_kind": "process"},
                ["NoAckedWriteLost"])
    # KAFKA-7415 (0.11 to 2.0.0): makeLeader did not put the new leader epoch in the
    # leader's epoch cache, so a follower that led an epoch the new leader never wrote
    # truncated to its high watermark and could drop an acknowledged write
    moves = {"crashes": 1, "records": 2, "crash_kind": "process", "leader_changes": 2}
    before_fix = check("replication", SAFE, moves, ["NoAckedWriteLost"], kafka_version="2.0")
    fixed = check("replication", SAFE, moves, ["NoAckedWriteLost"], kafka_version="2.0.1")
    return decided(
        CONDITIONAL,
        "Only for writes acknowledged with `acks=all`, with `min.insync.replicas` >= 2, "
        "`unclean.leader.election.enable=false`, leader-epoch truncation as fixed in Kafka "
        "2.0.1 (0.11 to 2.0.0 lose an acknowledged write after two leader changes and a "
        "crash, KAFKA-7415), and failures that keep the disk (a process crash). With "
        "`acks=1`, with unclean election, or, without Eligible Leader Replicas (Kafka 4.0 "
        "and clusters upgraded from it), with a power failure of the last in-sync replica "
        "(the ISR may shrink below `min.insync.replicas`; KIP-966), acknowledged data is "
        "lost.",
        [
            safe.cite("NoAckedWriteLost"),
            two.cite("NoAckedWriteLost"),
            before_fix.cite("NoAckedWriteLost"),
            fixed.cite("NoAckedWriteLost"),
            acks1.cite("NoAckedWriteLost"),
            unclean.cite("NoAckedWriteLost"),
            power.cite("NoAckedWriteLost"),
            "`kafkacheck prove acks-all-safe --bound crash_kind=process`: the same guarantee "
            "is proved by induction with Z3 for any number of brokers and process crashes.",
        ],
        expect=[
            (safe, "NoAckedWriteLost", "holds"),
            (two, "NoAckedWriteLost", "holds"),
            (before_fix, "NoAckedWriteLost", "violated"),
            (fixed, "NoAckedWriteLost", "holds"),
            (acks1, "NoAckedWriteLost", "violated"),
            (unclean, "NoAckedWriteLost", "violated"),
            (power, "NoAckedWriteLost", "violated"),
        ],
    )


def _broker_count(check: Checker) -> Verdict:
    no_elr = {"eligible.leader.replicas.version": "0"}
    rf2 = check(
        "replication",
        {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2", **no_elr},
        {"crashes": 1, "crash_kind": "power-loss"},
        ["NoAckedWriteLost"],
    )
    rf3 = check(
        "replication",
        {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2", **no_elr},
        {"crashes": 1, "crash_kind": "power-loss"},
        ["NoAckedWriteLost"],
    )
    return decided(
        IMPRECISE,
        "Kafka runs with any number of brokers (even one); three is what "
        "`replication.factor=3` needs, and only a replication factor above "
        "`min.insync.replicas` lets a partition keep accepting `acks=all` writes with one "
        "replica down. Three brokers do not by themselves protect data: see the rows below "
        "(a power failure, Eligible Leader Replicas off as in Kafka 4.0) and the "
        "replication claim.",
        [rf2.cite("NoAckedWriteLost"), rf3.cite("NoAckedWriteLost")],
        expect=[(rf2, "NoAckedWriteLost", "violated"), (rf3, "NoAckedWriteLost", "violated")],
    )


def _partitioner_keys(check: Checker) -> Verdict:
    from kafkacheck.model.algorithms import partitioners as pt

    view = pt.TopicView(4)
    key = pt.serialize_string("order-42")
    rr = pt.RoundRobinPartitioner(kafka_17632_fix=True)
    state: Any = rr.initial_state()
    draw = pt.java_random_draw(random.Random(7))
    rr_parts = []
    for _ in range(6):
        state, p = rr.partition(state, "t", key, view, draw)
        rr_parts.append(p)
    legacy = pt.UniformStickyPartitionerLegacy()
    lstate: Any = legacy.initial_state()
    legacy_parts = []
    for _ in range(6):
        lstate, p = legacy.partition(lstate, "t", key, view, draw)
        lstate = legacy.on_new_batch(lstate, "t", view, p, draw)
        legacy_parts.append(p)
    builtin = [pt.producer_partition(None, key, 4) for _ in range(6)]
    keys = check(
        "producer",
        {"partitioner.class": "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
        {"keys": 1, "partitions": 2, "records": 2, "batch_records": 1, "lost_responses": 0},
        ["KeyOrder"],
    )
    return decided(
        REFUTED,
        "Neither named class hashes keys: `RoundRobinPartitioner` and the (deprecated) "
        "`UniformStickyPartitioner` both ignore the key. Keys are hashed (murmur2, "
        "toPositive, modulo the partition count) by the built-in partitioner, used when "
        "`partitioner.class` is not set (the default since Kafka 3.3, KIP-794), and by the "
        "legacy `DefaultPartitioner`.",
        [
            f"Six records with key `order-42` over 4 partitions: RoundRobinPartitioner sends "
            f"them to {rr_parts}; UniformStickyPartitioner (a new batch each time) to "
            f"{legacy_parts}; the built-in partitioner to {builtin} (murmur2 = "
            f"{pt.murmur2(key)}).",
            keys.cite("KeyOrder"),
        ],
        expect=[(keys, "KeyOrder", "violated")],
    )


def batching(
    partitioner: str,
    records: int = 600,
    partitions: int = 6,
    record_bytes: int = 100,
    batch_size: int = 16384,
    linger_every: int = 12,
    seed: int = 1,
) -> tuple[int, float]:
    """Batches sent and records per batch when the sender drains every ``linger_every``."""
    from kafkacheck.model.algorithms import partitioners as pt

    view = pt.TopicView(partitions)
    draw = pt.java_random_draw(random.Random(seed))
    acc = pt.TopicAccumulator(partitions)
    rr = pt.RoundRobinPartitioner(kafka_17632_fix=True)
    rr_state: Any = rr.initial_state()
    sent = 0
    for i in range(records):
        if partitioner == "round-robin":
            rr_state, target = rr.partition(rr_state, "t", None, view, draw)
        else:
            target = pt.UNKNOWN_PARTITION
        acc = pt.accumulator_append(acc, target, record_bytes, batch_size, view, draw).state
        if (i + 1) % linger_every == 0 or i + 1 == records:
            for p in range(partitions):
                while acc.deque(p):
                    acc = pt.drain_first_batch(acc, p)
                    sent += 1
    return sent, records / sent


def _batching(check: Checker) -> Verdict:
    rr_sent, rr_avg = batching("round-robin")
    st_sent, st_avg = batching("uniform-sticky")
    return Verdict(
        CONFIRMED if st_sent < rr_sent else REFUTED,
        "With keyless records and a sender that drains whatever is ready when `linger.ms` "
        "expires, round robin spreads each linger window over every partition, so batches "
        "stay small; the built-in uniform sticky partitioner (KIP-480, KIP-794) fills one "
        "partition's batch and switches after `batch.size` bytes, so over time every "
        "partition still receives data.",
        [
            f"600 keyless 100-byte records, 6 partitions, `batch.size=16384`, a linger window "
            f"every 12 records (Kafka's accumulator and partitioners as modelled in "
            f"`model/algorithms/partitioners.py`): round robin sent {rr_sent} batches "
            f"({rr_avg:.1f} records per batch); uniform sticky sent {st_sent} batches "
            f"({st_avg:.1f} records per batch)."
        ],
    )


def _default_check(name: str, stated: str) -> tuple[bool, str]:
    setting = kafka_settings.SETTINGS[name]
    actual = setting.render(setting.default)
    return actual == stated, actual


def _linger(check: Checker) -> Verdict:
    same, actual = _default_check("linger.ms", "0")
    return Verdict(
        OUTDATED if not same else CONFIRMED,
        f"`linger.ms` defaults to {actual} since Kafka 4.0 (KIP-1030); it was 0 before. "
        "Its meaning (how long a batch waits for more records) is right.",
        ["Default taken from kafkacheck's registry of Kafka settings (`model/settings.py`)."],
    )


# A lost response, two retries and a broker crash of either kind (a process crash or a
# power loss): an idempotent producer's "holds" covers both.
IDEMPOTENT_FAULTS: dict[str, int | str] = {
    "records": 2, "batch_records": 1, "crashes": 1, "crash_kind": "any", "lost_responses": 1,
    "retry_budget": 2}


def _retries(check: Checker) -> Verdict:
    same, actual = _default_check("retries", "2147483647")
    dup = check("producer", {"enable.idempotence": "false"}, {"records": 1}, ["NoDuplicates"])
    idem = check(
        "producer",
        {"replication.factor": "2", "min.insync.replicas": "2"},
        IDEMPOTENT_FAULTS,
        ["NoDuplicates", "PartitionOrder"],
    )
    return decided(
        CONFIRMED if same else REFUTED,
        f"The default is {actual} (Integer.MAX_VALUE); in practice `delivery.timeout.ms` "
        "bounds retrying. Retries after a lost response write duplicates unless "
        "`enable.idempotence=true` (the configured default since 3.0, in effect from "
        f"{IDEMPOTENCE_DEFAULT_APPLIED}, KAFKA-13598).",
        [dup.cite("NoDuplicates"), idem.cite("NoDuplicates"), idem.cite("PartitionOrder")],
        expect=[
            (dup, "NoDuplicates", "violated"),
            (idem, "NoDuplicates", "holds"),
            (idem, "PartitionOrder", "holds"),
        ],
    )


def _in_flight(check: Checker) -> Verdict:
    same, actual = _default_check("max.in.flight.requests.per.connection", "5")
    reorder = check(
        "producer",
        {"enable.idempotence": "false"},
        {"records": 2, "batch_records": 1},
        ["PartitionOrder"],
    )
    one = check(
        "producer",
        {"enable.idempotence": "false", "max.in.flight.requests.per.connection": "1"},
        {"records": 2, "batch_records": 1},
        ["PartitionOrder"],
    )
    return decided(
        IMPRECISE,
        f"The default {actual} is right, but the setting is not a number of connections: it "
        "is how many unacknowledged requests the producer sends on one connection. Above 1, "
        "without idempotence, a retried batch can land after a later one (reordering).",
        [reorder.cite("PartitionOrder"), one.cite("PartitionOrder")],
        expect=[(reorder, "PartitionOrder", "violated"), (one, "PartitionOrder", "holds")],
    )


def _idempotence(check: Checker) -> Verdict:
    dup = check("producer", {"enable.idempotence": "false"}, {"records": 1}, ["NoDuplicates"])
    idem = check(
        "producer",
        {"replication.factor": "2", "min.insync.replicas": "2"},
        IDEMPOTENT_FAULTS,
        ["NoDuplicates"],
    )
    bump = check(
        "producer",
        {"replication.factor": "2", "min.insync.replicas": "2"},
        {**IDEMPOTENT_FAULTS, "retry_budget": 3},
        ["NoDuplicates"],
    )
    return decided(
        CONDITIONAL,
        "Idempotence (the configured default since Kafka 3.0, KIP-679, in effect from "
        f"{IDEMPOTENCE_DEFAULT_APPLIED}, KAFKA-13598; it also needs `acks=all`) removes the "
        "duplicates retries cause, within the bounds checked. With one more "
        "retry the model finds a duplicate after an OUT_OF_ORDER_SEQUENCE_NUMBER epoch bump "
        "when the leader holds no state for the producer; the conformance harness "
        "reproduced it on Kafka 4.4 with the Java client (librdkafka stops with a fatal "
        "error instead; see conformance.md).",
        [dup.cite("NoDuplicates"), idem.cite("NoDuplicates"), bump.cite("NoDuplicates")],
        expect=[
            (dup, "NoDuplicates", "violated"),
            (idem, "NoDuplicates", "holds"),
            (bump, "NoDuplicates", "violated"),
        ],
    )


def _acks_values(check: Checker) -> Verdict:
    acks0 = check(
        "replication",
        {"acks": "0", "replication.factor": "3"},
        {"crashes": 1},
        ["CommittedRecordsStay"],
    )
    acks1 = check(
        "replication",
        {"acks": "1", "replication.factor": "3"},
        {"crashes": 1},
        ["NoAckedWriteLost"],
    )
    safe = check("replication", SAFE, {"crashes": 1}, ["NoAckedWriteLost"])
    return decided(
        CONFIRMED,
        "`acks` takes 0, 1 and -1 (also spelled `all`, the default since 3.0). What it "
        "decides is which acknowledged writes survive a leader failure:",
        [
            acks0.cite("CommittedRecordsStay"),
            acks1.cite("NoAckedWriteLost"),
            safe.cite("NoAckedWriteLost"),
        ],
        expect=[
            (acks0, "CommittedRecordsStay", "violated"),
            (acks1, "NoAckedWriteLost", "violated"),
            (safe, "NoAckedWriteLost", "holds"),
        ],
    )


def _consumer_defaults(check: Checker) -> Verdict:
    rows = []
    wrong = []
    for name, stated in (
        ("auto.offset.reset", "latest"),
        ("enable.auto.commit", "true"),
        ("heartbeat.interval.ms", "3000"),
        ("max.poll.interval.ms", "300000"),
    ):
        same, actual = _default_check(name, stated)
        rows.append(f"`{name}`: stated {stated}, Kafka's default {actual}")
        if not same:
            wrong.append(name)
    return Verdict(
        CONFIRMED if not wrong else REFUTED,
        "The stated defaults match Kafka 4.x. (The list also names `key.serializer` and "
        "`value.serializer`; a consumer takes `key.deserializer` and `value.deserializer`.)",
        rows,
    )


EARLIEST = {"auto.offset.reset": "earliest"}
MANUAL = {**EARLIEST, "enable.auto.commit": "false"}


def _no_delete_on_consume(check: Checker) -> Verdict:
    run = check(
        "group", EARLIEST, {"records": 2, "crashes": 1, "retention": 1}, ["ConsumingNeverDeletes"]
    )
    return decided(
        CONFIRMED,
        "Reading, processing and committing never remove records; only retention moves the "
        "log start offset.",
        [run.cite("ConsumingNeverDeletes")],
        expect=[(run, "ConsumingNeverDeletes", "holds")],
    )


def _broker_deletes(check: Checker) -> Verdict:
    run = check(
        "group",
        {"auto.offset.reset": "latest"},
        {"consumers": 1, "records": 2, "retention": 1},
        ["NoSkippedOffsets"],
    )
    return decided(
        CONDITIONAL,
        "With `cleanup.policy=delete` (the default) the broker deletes whole old segments: "
        "the log start offset moves forward, so deletion is always a prefix, never chosen "
        "records. Two exceptions the model does not cover: the Admin API `deleteRecords` "
        "(a client asks the broker to move the log start to an offset: still a prefix) and "
        "`cleanup.policy=compact`, where a tombstone (a null value) deletes a chosen key's "
        "records. Deletion also interacts with consumers: a group whose committed offset "
        "fell below the log start resets (`auto.offset.reset`), and `latest` skips records.",
        [run.cite("NoSkippedOffsets")],
        expect=[(run, "NoSkippedOffsets", "violated")],
    )


def _offsets(check: Checker) -> Verdict:
    after = check(
        "group",
        MANUAL,
        {"commit": "sync-after-processing", "records": 2, "crashes": 1},
        ["AtLeastOnce", "NoSkippedOffsets", "AtMostOnce"],
    )
    before = check(
        "group",
        MANUAL,
        {"commit": "before-processing", "records": 1, "crashes": 1},
        ["AtLeastOnce"],
    )
    return decided(
        CONDITIONAL,
        "A new owner resumes from the committed offset, so what the group processes depends "
        "on when it commits: committing after processing gives at-least-once (duplicates "
        "after a crash); committing before processing gives at-most-once (a crash loses "
        "records). Without a committed offset, `auto.offset.reset` decides (default "
        "`latest`).",
        [
            after.cite("AtLeastOnce"),
            after.cite("NoSkippedOffsets"),
            after.cite("AtMostOnce"),
            before.cite("AtLeastOnce"),
        ],
        expect=[
            (after, "AtLeastOnce", "holds"),
            (after, "NoSkippedOffsets", "holds"),
            (after, "AtMostOnce", "violated"),
            (before, "AtLeastOnce", "violated"),
        ],
    )


def _rebalance_reassigns(check: Checker) -> Verdict:
    run = check(
        "group", EARLIEST, {"records": 2, "crashes": 1}, ["AllRecordsProcessed", "AtLeastOnce"]
    )
    return decided(
        CONFIRMED,
        "When a member crashes, its session expires and the coordinator rebalances; the "
        "remaining members take its partitions and, under fair scheduling, every record "
        "below the high watermark is eventually processed (a liveness property, checked on "
        "the state graph).",
        [run.cite("AllRecordsProcessed"), run.cite("AtLeastOnce")],
        expect=[(run, "AllRecordsProcessed", "holds"), (run, "AtLeastOnce", "holds")],
    )


def _one_consumer_per_partition(check: Checker) -> Verdict:
    gen = check(
        "group",
        {**EARLIEST, "partition.assignment.strategy": "cooperative-sticky"},
        {
            "partitions": 2,
            "records": 1,
            "crashes": 1,
            "poll_timeouts": 0,
            "closes": 1,
            "rejoins": 1,
        },
        ["OneOwnerPerGeneration", "NoTwoOwnersAtOnce"],
    )
    timed_out = check(
        "group",
        {**EARLIEST, "partition.assignment.strategy": "cooperative-sticky"},
        {"partitions": 2, "records": 1, "poll_timeouts": 1},
        ["OneOwnerPerGeneration", "NoTwoOwnersAtOnce"],
    )
    paused = check(
        "group",
        {"partition.assignment.strategy": "cooperative-sticky"},
        {"records": 0, "pauses": 1},
        ["NoTwoOwnersAtOnce"],
    )
    zombie = check(
        "group", EARLIEST, {"records": 1, "poll_timeouts": 1}, ["NoConcurrentProcessing"]
    )
    return decided(
        CONDITIONAL,
        "Within one generation the coordinator assigns each partition to at most one "
        "member, and through crashes, closes and rejoins cooperative rebalancing never "
        "hands a partition over while its old owner still has it. But a member that does "
        "not know it was removed (a pause longer than `session.timeout.ms`, or processing "
        "longer than `max.poll.interval.ms`: it keeps its partitions until its next poll()) "
        "keeps working on its partitions while the new owner starts: two consumers own "
        "and process one partition at once, in different generations.",
        [
            gen.cite("OneOwnerPerGeneration"),
            gen.cite("NoTwoOwnersAtOnce"),
            timed_out.cite("OneOwnerPerGeneration"),
            timed_out.cite("NoTwoOwnersAtOnce"),
            paused.cite("NoTwoOwnersAtOnce"),
            zombie.cite("NoConcurrentProcessing"),
        ],
        expect=[
            (gen, "OneOwnerPerGeneration", "holds"),
            (gen, "NoTwoOwnersAtOnce", "holds"),
            (timed_out, "OneOwnerPerGeneration", "holds"),
            (timed_out, "NoTwoOwnersAtOnce", "violated"),
            (paused, "NoTwoOwnersAtOnce", "violated"),
            (zombie, "NoConcurrentProcessing", "violated"),
        ],
    )


def _extra_consumers(check: Checker) -> Verdict:
    lines = []
    runs = []
    for strategy in ("range", "roundrobin", "sticky", "cooperative-sticky"):
        run = check(
            "group",
            {**EARLIEST, "partition.assignment.strategy": strategy},
            {"consumers": 3, "partitions": 2, "records": 0, "crashes": 1},
            ["ExtraConsumersIdle"],
        )
        lines.append(f"`{strategy}`: " + run.cite("ExtraConsumersIdle"))
        runs.append((run, "ExtraConsumersIdle", "holds"))
    return decided(
        CONFIRMED,
        "With more members than partitions every assignor (range, roundrobin, sticky, "
        "cooperative-sticky, as Kafka computes them) leaves the extra members without "
        "partitions; they stay in the group as standbys and take over on a rebalance.",
        lines,
        expect=runs,
    )


def _rebalance_triggers(check: Checker) -> Verdict:
    zombie = check(
        "group", EARLIEST, {"records": 1, "poll_timeouts": 1}, ["NoConcurrentProcessing"]
    )
    paused = check(
        "group",
        {"partition.assignment.strategy": "cooperative-sticky"},
        {"records": 0, "pauses": 1},
        ["NoTwoOwnersAtOnce"],
    )
    return decided(
        IMPRECISE,
        "Joining and leaving members trigger rebalances, but so do a member whose heartbeats "
        "stop for `session.timeout.ms` and one that does not poll within "
        "`max.poll.interval.ms` (it leaves while its processing may go on), as well as "
        "subscription and partition-count changes (not modelled). With the cooperative "
        "protocol (KIP-429) a rebalance that moves partitions takes two rounds.",
        [zombie.cite("NoConcurrentProcessing"), paused.cite("NoTwoOwnersAtOnce")],
        expect=[
            (zombie, "NoConcurrentProcessing", "violated"),
            (paused, "NoTwoOwnersAtOnce", "violated"),
        ],
    )


def _verify_commit(check: Checker) -> Verdict:
    run = check(
        "group",
        MANUAL,
        {"commit": "sync-after-processing", "records": 2, "crashes": 1},
        ["AtMostOnce"],
    )
    return decided(
        REFUTED,
        "Checking that the commit succeeded (`commitSync`) does not prevent duplicates: a "
        "consumer that processes a record and crashes before its commit hands the partition "
        "to a member that reads the record again. Only idempotent processing, or "
        "transactions (read-process-write with `isolation.level=read_committed`: the "
        "transactions model's loop, `--bound inputs=1`), avoid duplicate effects.",
        [run.cite("AtMostOnce")],
        expect=[(run, "AtMostOnce", "violated")],
    )


TXN_RC = {"transactional.id": "app", "isolation.level": "read_committed"}
LATE = {"instances": 1, "transactions": 2, "partitions": 2, "late_produces": 1, "expiries": 1,
        "aborts": 1}


def _transactional_id(check: Checker) -> Verdict:
    zombie = check("transactions", TXN_RC, {"instances": 2, "partitions": 2},
                   ["AtomicCommit", "ZombieFenced", "NoAbortedRead"])
    tv1 = check("transactions", {**TXN_RC, "transaction.version": "1"}, LATE,
                ["AtomicCommit"])
    tv2 = check("transactions", {**TXN_RC, "transaction.version": "2"}, LATE,
                ["AtomicCommit"])
    return decided(
        IMPRECISE,
        "Setting `transactional.id` does not by itself group records: the application "
        "calls `initTransactions()` once, then `beginTransaction()` / `commitTransaction()` "
        "(or `abortTransaction()`) around the records it wants atomic. The id is mostly an "
        "identity: a new instance with the same id bumps the producer epoch and fences the "
        "old one (a zombie) and aborts its open transaction. The all-or-nothing outcome is "
        "only what `read_committed` consumers see, and with the pre-4.0 protocol "
        "(`transaction.version=1`) a delayed write of an aborted transaction can still be "
        "committed inside the next one (KIP-890 part 2 closes it).",
        [zombie.cite("AtomicCommit"), zombie.cite("ZombieFenced"), tv1.cite("AtomicCommit"),
         tv2.cite("AtomicCommit")],
        expect=[(zombie, "AtomicCommit", "holds"), (zombie, "ZombieFenced", "holds"),
                (tv1, "AtomicCommit", "violated"), (tv2, "AtomicCommit", "holds")],
    )


def _isolation_level(check: Checker) -> Verdict:
    uncommitted = check("transactions", {"transactional.id": "app"},
                        {"instances": 1, "partitions": 1, "aborts": 1}, ["NoAbortedRead"])
    committed = check("transactions", TXN_RC, {"instances": 1, "partitions": 1, "aborts": 1},
                      ["NoAbortedRead"])
    return decided(
        IMPRECISE,
        "`isolation.level` is a consumer setting, and it matters to every consumer of a "
        "topic a transactional producer writes to, not to the producer. Its default, "
        "`read_uncommitted`, returns records of open and aborted transactions (everything "
        "below the high watermark); `read_committed` reads only up to the last stable "
        "offset and drops aborted transactions, so it can also wait behind an open "
        "transaction.",
        [uncommitted.cite("NoAbortedRead"), committed.cite("NoAbortedRead")],
        expect=[(uncommitted, "NoAbortedRead", "violated"),
                (committed, "NoAbortedRead", "holds")],
    )


def _fetch_below_hw(check: Checker) -> Verdict:
    run = check(
        "group",
        {**EARLIEST, "acks": "all", "replication.factor": "2"},
        {"consumers": 1, "log": "replicated"},
        ["ConsumersReadBelowHw", "ReadRecordsStay"],
    )
    unclean = check(
        "group",
        {
            **EARLIEST,
            "acks": "all",
            "replication.factor": "2",
            "unclean.leader.election.enable": "true",
        },
        {"consumers": 1, "records": 2, "log": "replicated"},
        ["ReadRecordsStay"],
    )
    # The group model's replicated log crashes brokers as processes only; the replication
    # model, with the same settings, loses a record below the HW in a power failure.
    power = check(
        "replication",
        {"acks": "all", "replication.factor": "2"},
        {"crashes": 1, "crash_kind": "power-loss"},
        ["CommittedRecordsStay"],
    )
    return decided(
        CONDITIONAL,
        "Consumers fetch from the partition leader and only below its high watermark, so "
        "what they read is replicated to the ISR (with KIP-392's follower fetching, 2.4+, "
        "`client.rack` and `replica.selector.class`, from a follower, which also serves "
        "only below the high watermark it knows; not modelled: the models read from the "
        "leader, and `replica.selector.class` is NOT COVERED). The group model checks this with broker "
        "process crashes only (the page cache survives); a record a consumer already read "
        "can still vanish from the log with unclean leader election, or in a power failure "
        "of the replicas that had it (Kafka does not fsync each write by default, "
        "`flush.messages`): the replication model, with the same settings, loses a record "
        "below the high watermark that way without any unclean election.",
        [
            run.cite("ConsumersReadBelowHw"),
            run.cite("ReadRecordsStay"),
            unclean.cite("ReadRecordsStay"),
            power.cite("CommittedRecordsStay"),
        ],
        expect=[
            (run, "ConsumersReadBelowHw", "holds"),
            (run, "ReadRecordsStay", "holds"),
            (unclean, "ReadRecordsStay", "violated"),
            (power, "CommittedRecordsStay", "violated"),
        ],
    )


def _controller(check: Checker) -> Verdict:
    three = check("controller", {}, {"records": 0, "crashes": 0, "isolations": 1},
                  ["ControllerFailsOver", "MetadataCommittedByMajority",
                   "OneActiveControllerPerEpoch"])
    two = check("controller", {}, {"controllers": 2, "records": 0, "crashes": 1,
                                   "isolations": 0}, ["ControllerFailsOver"])
    zombie = check("controller", {"acks": "1"}, {"records": 1, "crashes": 0, "isolations": 1},
                   ["DeposedLeaderAcksSurvive"])
    return decided(
        CONDITIONAL,
        "In KRaft (the only mode of Kafka 4.x) the controller is the leader of a Raft quorum "
        "of voters, which may or may not be brokers. A new controller takes over only while "
        "a majority of the voters is alive and connected, in a higher epoch; an isolated "
        "minority cannot change anything, and with two voters no failure is tolerated. In "
        "the moments in between, a deposed partition leader that has not heard of its "
        "replacement keeps accepting writes: with acks=1 they are lost. The runs isolate a "
        "voter or crash its process (the disk survives); the controller model does not "
        "express a power failure or the loss of the metadata log, and commits metadata in "
        "one majority step: what an isolated active controller appends before a majority "
        "has it (kept apart from what brokers apply until committed, and truncated or "
        "reverted once it is deposed) is not modelled.",
        [three.cite("ControllerFailsOver"), three.cite("MetadataCommittedByMajority"),
         three.cite("OneActiveControllerPerEpoch"), two.cite("ControllerFailsOver"),
         zombie.cite("DeposedLeaderAcksSurvive")],
        expect=[(three, "ControllerFailsOver", "holds"),
                (three, "MetadataCommittedByMajority", "holds"),
                (three, "OneActiveControllerPerEpoch", "holds"),
                (two, "ControllerFailsOver", "never reached"),
                (zombie, "DeposedLeaderAcksSurvive", "violated")],
        process_crashes_only=True,  # the conditions say the model cannot express power loss
    )


CLAIMS: list[Claim] = [
    Claim(
        "brokers",
        "Broker의 역할",
        "Kafka cluster는 3개 이상의 브로커로 구성된다.",
        "A Kafka cluster is made of three or more brokers.",
        _broker_count,
    ),
    Claim(
        "controller",
        "controller 역할",
        "클러스터에 존재하는 브로커들 중 하나의 브로커가 컨트롤러 역할을 한다. 다른 브로커들의 브로커의 상태를 확인하고 브로커의 리더 파티션을 재분배하는 역할을 한다. 컨트롤러 역할을 하는 브로커에 장애가 발생하면 다른 브로커가 컨트롤러 역할을 한다.",
        "One of the brokers in the cluster acts as the controller: it checks the state of the "
        "other brokers and redistributes their leader partitions. When the broker acting as "
        "controller fails, another broker takes over the controller role.",
        _controller,
    ),
    Claim(
        "replication",
        "replication",
        "데이터 복제는 kafka를 장애 허용 시스템(fault tolerant)으로 동작하게 만들어준다. 브로커에 "
        "장애가 발생하게 되어도 데이터를 유실하지 않고 사용할 수 있게 한다.",
        "Replication makes Kafka fault tolerant: even when a broker fails, data is not lost "
        "and stays usable.",
        _replication,
    ),
    Claim(
        "acks",
        "Producer",
        "acks: producer가 전송한 레코드에 대해 브로커에 잘 저장되었는지 전송 성공 여부를 확인하기 "
        "위한 값이다. 0, 1, -1을 설정할 수 있다.",
        "acks: the value by which the producer checks that a record it sent was stored by "
        "the broker. It can be 0, 1 or -1.",
        _acks_values,
    ),
    Claim(
        "linger",
        "Producer",
        "linger.ms: 배치를 전송하기 전까지 기다리는 최소 시간 값이다. 기본은 0이다.",
        "linger.ms: the minimum time to wait before sending a batch. The default is 0.",
        _linger,
    ),
    Claim(
        "retries",
        "Producer",
        "retries: 브로커에서 에러를 받으면 재시도하는 횟수를 지정한다. 기본값은 int 최댓값이다.",
        "retries: how many times to retry after an error from the broker. The default is "
        "the largest int.",
        _retries,
    ),
    Claim(
        "in-flight",
        "Producer",
        "max.in.flight.requests.per.connection: 한 번에 요청하는 최대 커넥션 수이다. 기본값은 "
        "5이다.",
        "max.in.flight.requests.per.connection: the maximum number of connections requested "
        "at once. The default is 5.",
        _in_flight,
    ),
    Claim(
        "idempotence",
        "Producer",
        "enable.idempotence: 멱등성 producer로 동작할지 여부를 설정한다.",
        "enable.idempotence: whether the producer runs as an idempotent producer.",
        _idempotence,
    ),
    Claim(
        "partitioner-keys",
        "producer partitioner",
        "producer의 기본 파티셔너는 `UniformStickyPartitioner`와 `RoundRobinPartitioner`가 "
        "있다. 메세지 키가 있을 경우 두 파티셔너 모두 메세지 키의 해시 값과 파티션을 매칭하여 레코드를 "
        "전송한다.",
        "The producer's default partitioners are UniformStickyPartitioner and "
        "RoundRobinPartitioner. When a message has a key, both match the key's hash to a "
        "partition.",
        _partitioner_keys,
    ),
    Claim(
        "partitioner-batching",
        "producer partitioner",
        "RoundRobin 방식은 레코드가 들어오는대로 파티션을 순회하면서 전송하고, accumulater에서 "
        "묶이는 정도가 적어 낮은 전송 성능을 보인다. UnifomSticky 방식은 RoundRobbin 방식을 개선한 "
        "파티셔너로 accumulater에서 배치로 묶일 때까지 기다렸다가 전송하게 된다. 배치로 묶여도 "
        "파티션을 순회하면서 전송하기 때문에 모든 파티션에 분배된다.",
        "RoundRobin sends records cycling through the partitions as they arrive; few get "
        "batched in the accumulator, so throughput is low. UniformSticky improves on it: it "
        "waits until records are batched in the accumulator, and since it still cycles "
        "through the partitions, every partition gets data.",
        _batching,
    ),
    Claim(
        "no-delete-on-consume",
        "데이터 삭제",
        "kafka는 consumer가 토픽에서 데이터를 가져가서 처리를 해도 데이터가 삭제되지 않는다.",
        "In Kafka, data is not deleted even after a consumer takes it from a topic and "
        "processes it.",
        _no_delete_on_consume,
    ),
    Claim(
        "broker-deletes",
        "데이터 삭제",
        "브로커만이 데이터 삭제가 가능하다. 하지만, 특정 데이터를 선택해서 삭제할 수는 없다.",
        "Only the broker can delete data, but it cannot select specific records to delete.",
        _broker_deletes,
    ),
    Claim(
        "offsets",
        "컨슈머 오프셋 저장",
        "consumer 그룹은 토픽의 특정 파티션에서 데이터를 처리하고 파티션의 어느 레코드까지 가져갔는지 "
        "확인하기 위한 오프셋을 커밋한다. 저장된 오프셋을 기준으로 다음 레코드 데이터를 처리한다.",
        "A consumer group processes a partition's data and commits an offset recording how "
        "far it got; it processes the next records starting from the stored offset.",
        _offsets,
    ),
    Claim(
        "coordinator",
        "그룹 코디네이터",
        "consumer가 그룹에서 빠지게 되면 매칭되지 않은 파티션을 정상 동작하는 consumer로 "
        "재할당한다. consumer 재할당을 rebalancing이라고 한다.",
        "When a consumer leaves the group, the coordinator reassigns its unmatched "
        "partitions to the consumers that work normally; this is called rebalancing.",
        _rebalance_reassigns,
    ),
    Claim(
        "one-consumer-per-partition",
        "consumer group",
        "1개의 파티션은 최대 1개의 consumer에 할당이 가능하다. 1개의 consumer는 여러개의 파티션에 "
        "할당될 수 있다.",
        "A partition can be assigned to at most one consumer; one consumer can be assigned "
        "several partitions.",
        _one_consumer_per_partition,
    ),
    Claim(
        "extra-consumers",
        "consumer group",
        "만약 consumer의 개수가 파티션 개수보다 많게되면 파티션을 할당받지 못한 consumer는 불필요한 "
        "스레드로 남는다.",
        "If there are more consumers than partitions, the consumers without a partition "
        "remain as idle threads.",
        _extra_consumers,
    ),
    Claim(
        "rebalance-triggers",
        "rebalancing",
        "consumer가 새로 추가되거나 제거되는 시점에 리밸런싱이 발생한다.",
        "A rebalance happens when a consumer is added or removed.",
        _rebalance_triggers,
    ),
    Claim(
        "verify-commit",
        "commit",
        "데이터 처리의 중복이 발생하지 않기 위해 consumer는 오프셋 commit을 정상적으로 처리했는지 "
        "검증해야 한다.",
        "To avoid duplicate processing, the consumer must verify that its offset commit succeeded.",
        _verify_commit,
    ),
    Claim(
        "fetcher",
        "Consumer",
        "Fetcher는 리더 파티션으로부터 레코드를 미리 가져와서 대기한다.",
        "The fetcher fetches records from the leader partition in advance and holds them.",
        _fetch_below_hw,
    ),
    Claim(
        "transactional-id",
        "Producer",
        "transcational.id: producer가 레코드를 전송할 때 레코드를 트랜잭션 단위로 묶을지 여부를 "
        "결정한다.",
        "transactional.id decides whether the producer groups the records it sends into "
        "transactions.",
        _transactional_id,
    ),
    Claim(
        "isolation-level",
        "Consumer",
        "isolation.level: 트랜잭션 producer가 레코드를 트랜잭션 단위로 보낼 경우 사용한다.",
        "isolation.level is used when a transactional producer sends records in transactions.",
        _isolation_level,
    ),
    Claim(
        "consumer-defaults",
        "Consumer",
        "auto.offset.reset: ... 기본 값은 latest이다. enable.auto.commit: ... 기본값은 true이다. "
        "heartbeat.interval.ms: ... 기본값은 3초이다. max.poll.interval.ms: ... 기본값은 5분이다.",
        "auto.offset.reset defaults to latest; enable.auto.commit to true; "
        "heartbeat.interval.ms to 3 seconds; max.poll.interval.ms to 5 minutes.",
        _consumer_defaults,
    ),
]
