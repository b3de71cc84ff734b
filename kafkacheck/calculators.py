"""Kafka-exact answers to everyday questions: which partition, who gets what, where next.

Thin front ends over the oracle-tested algorithms in ``kafkacheck.model.algorithms``:
keyed partitioning (murmur2, ``BuiltInPartitioner.partitionForKey``), the consumer
assignors (``assign``), and the keyless partitioners record by record (the KIP-794
built-in sticky partitioner through ``RecordAccumulator``, and
``RoundRobinPartitioner``).  Every input Kafka's answer depends on is a parameter and
is printed with the answer.  Errors are ``UsageError`` (one line, exit 2).
"""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.model.algorithms import partitioners as pt

MAX_PARTITIONS = 100_000
MAX_MEMBERS = 10_000
MAX_RECORDS = 100_000

# -- keyed partitioning --------------------------------------------------------------

KEY_SERIALIZERS = ("string", "integer", "long", "short", "uuid", "bytes")
"""How --key becomes bytes: Kafka's StringSerializer (UTF-8), IntegerSerializer, ...,
or raw bytes given in hex."""

PARTITIONERS = {
    "default": "the built-in partitioner (partitioner.class unset; KIP-794): keyed records "
               "by murmur2 of the key bytes",
    "roundrobin": "org.apache.kafka.clients.producer.RoundRobinPartitioner: keys ignored, "
                  "one partition after the other",
    "ignore-keys": "the built-in partitioner with partitioner.ignore.keys=true: keys ignored, "
                   "sticky batches as for keyless records",
}


def key_bytes(key: str, serializer: str = "string") -> bytes:
    """The bytes Kafka's serializer produces for ``key`` (what murmur2 hashes)."""
    try:
        if serializer == "string":
            out = pt.serialize_string(key)
        elif serializer in ("integer", "long", "short"):
            from kafkacheck.catalogue import java_integer

            bits = {"integer": 32, "long": 64, "short": 16}[serializer]
            value = java_integer(key.strip(), bits)
            out = {"integer": pt.serialize_int, "long": pt.serialize_long,
                   "short": pt.serialize_short}[serializer](value)
        elif serializer == "uuid":
            out = pt.serialize_uuid(uuid.UUID(key))
        elif serializer == "bytes":
            out = bytes.fromhex(key)
        else:
            raise UsageError(f"unknown key serializer {serializer!r} (one of "
                             f"{', '.join(KEY_SERIALIZERS)})")
    except ValueError:
        raise UsageError(f"key {key[:40]!r} is not a valid {serializer} for "
                         f"--key-serializer {serializer}") from None
    assert out is not None
    return out


@dataclass
class KeyedAnswer:
    """Where one key goes, and the intermediate values Kafka computes."""

    key: str
    partitions: int
    partitioner: str
    partition: int | None  # None: the key does not decide (keys ignored)
    key_bytes: bytes = b""
    murmur2: int | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, "partitions": self.partitions, "partitioner": self.partitioner,
                "partition": self.partition, "key_bytes_hex": self.key_bytes.hex(),
                "murmur2": self.murmur2,
                "to_positive": None if self.murmur2 is None else pt.to_positive(self.murmur2)}


def partition_for(key: str, partitions: int, partitioner: str = "default",
                  serializer: str = "string") -> KeyedAnswer:
    """The partition Kafka's producer picks for a record with this key."""
    if partitioner not in PARTITIONERS:
        raise UsageError(f"unknown partitioner {partitioner!r} (one of {', '.join(PARTITIONERS)})")
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise UsageError(f"--partitions {partitions}: must be between 1 and {MAX_PARTITIONS:,}")
    data = key_bytes(key, serializer)
    if partitioner != "default":
        return KeyedAnswer(key, partitions, partitioner, None, data)
    return KeyedAnswer(key, partitions, partitioner, pt.partition_for_key(data, partitions), data,
                       pt.murmur2(data))


def keyed_text(answers: Sequence[KeyedAnswer]) -> str:
    """The answers for people: one line per key, then how Kafka computed it."""
    if not answers:
        return "no keys"
    first = answers[0]
    if first.partition is None:
        return (f"{PARTITIONERS[first.partitioner]}.\nThe key does not choose the partition: "
                "see `kafkacheck partitioner-sequence` for where each record goes.")
    lines = []
    if len(answers) == 1:
        a = first
        lines.append(f"key {a.key!r} -> partition {a.partition} of {a.partitions}")
        lines.append(f"  key bytes (hex): {a.key_bytes.hex() or '(empty)'}")
        lines.append(f"  murmur2: {a.murmur2}; toPositive: {pt.to_positive(a.murmur2 or 0)}; "
                     f"{pt.to_positive(a.murmur2 or 0)} % {a.partitions} = {a.partition}")
    else:
        width = max(len(repr(a.key)) for a in answers[:1000])
        for a in answers:
            lines.append(f"{a.key!r:<{width}}  {a.partition}")
        counts = Counter(a.partition for a in answers)
        spread = ", ".join(f"p{p}: {counts[p]}" for p in range(first.partitions) if counts[p])
        lines.append(f"{len(answers):,} keys over {first.partitions} partitions: {spread}")
    lines.append(f"({PARTITIONERS['default']}; BuiltInPartitioner.partitionForKey: "
                 "toPositive(murmur2(key bytes)) % partitions. The answer changes when the "
                 "partition count changes.)")
    return "\n".join(lines)


def read_keys(text: str) -> list[str]:
    """Keys from a file: one per line (line ends removed, nothing else trimmed)."""
    keys = re.split(r"\r\n|\r|\n", text)
    if keys and keys[-1] == "":
        keys.pop()
    if len(keys) > MAX_RECORDS:
        raise UsageError(f"--keys-file holds {len(keys):,} keys; at most {MAX_RECORDS:,}")
    if not keys:
        raise UsageError("--keys-file holds no keys")
    return keys


# -- keyless records, record by record ---------------------------------------------------


@dataclass
class SequenceAnswer:
    """Where each keyless record goes, with the inputs that decided it."""

    partitioner: str
    partitions: int
    records: int
    partition_of: list[int]
    batch_size: int = 0
    record_bytes: int = 0
    draws: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # per record: "new batch", "switch"

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"partitioner": self.partitioner, "partitions": self.partitions,
                "records": self.records, "batch_size": self.batch_size,
                "record_bytes": self.record_bytes, "random_draws": self.draws,
                "partition_of_record": self.partition_of, "events": self.events}

    def text(self) -> str:
        """A person's view: runs of records per partition, then the inputs."""
        lines = []
        runs: list[tuple[int, int, int]] = []  # (partition, first, last)
        for i, p in enumerate(self.partition_of):
            if runs and runs[-1][0] == p and runs[-1][2] == i - 1:
                runs[-1] = (p, runs[-1][1], i)
            else:
                runs.append((p, i, i))
        for p, a, b in runs:
            span = f"record {a}" if a == b else f"records {a}-{b}"
            lines.append(f"  {span:<20} -> partition {p}")
        counts = Counter(self.partition_of)
        spread = ", ".join(f"p{p}: {counts[p]}" for p in range(self.partitions))
        lines.append(f"{self.records:,} records over {self.partitions} partitions: {spread}")
        if self.partitioner == "sticky":
            lines.insert(0, f"built-in sticky partitioner (KIP-794), batch.size={self.batch_size}, "
                            f"each record {self.record_bytes} bytes in its batch:")
            lines.append(f"random draws used (ThreadLocalRandom.nextInt() values): "
                         f"{', '.join(map(str, self.draws)) or 'none'}")
            lines.append("assumed: the sender sends nothing during the sequence (no batch "
                         "drained), so adaptive partitioning has no queue sizes to weigh and "
                         "every partition is available; a switch comes once batch.size bytes "
                         "went to the partition and its last batch is full, or at 2 x "
                         "batch.size (BuiltInPartitioner.updatePartitionInfo)")
        else:
            lines.insert(0, "RoundRobinPartitioner (Kafka 4.x, after KAFKA-17632): one counter "
                            "per topic, keys ignored, every partition available:")
        return "\n".join(lines)


def sticky_sequence(records: int, partitions: int, batch_size: int = 16384,
                    record_bytes: int = 100, draws: Sequence[int] | None = None,
                    seed: int = 0) -> SequenceAnswer:
    """The built-in partitioner (KIP-794) for keyless records appended one after another."""
    _check_sequence(records, partitions)
    if not 1 <= batch_size <= 2**31 - 1:
        raise UsageError(f"--batch-size {batch_size}: must be between 1 and 2147483647")
    if not 1 <= record_bytes <= 2**31 - 1:
        raise UsageError(f"--record-bytes {record_bytes}: must be between 1 and 2147483647")
    used: list[int] = []
    scripted = list(draws) if draws is not None else None
    rng = random.Random(seed)

    def draw(bound: int) -> int:
        if scripted is not None:
            if len(used) >= len(scripted):
                raise UsageError(f"needs more random draws than the {len(scripted)} given with "
                                 "--random (or use --seed)")
            value = scripted[len(used)]
        else:
            value = pt._int32(rng.getrandbits(32))
        used.append(value)
        return value

    view = pt.TopicView(partitions)
    state = pt.TopicAccumulator(partitions)
    out: list[int] = []
    events: list[str] = []
    for _ in range(records):
        before = state.sticky.partition if state.sticky else None
        appended = pt.accumulator_append(state, pt.UNKNOWN_PARTITION, record_bytes, batch_size,
                                         view, draw)
        state = appended.state
        out.append(appended.partition)
        event = []
        if appended.new_batch_created:
            event.append("new batch")
        if before is not None and appended.partition != before:
            event.append("switched")
        events.append(", ".join(event))
    return SequenceAnswer("sticky", partitions, records, out, batch_size, record_bytes, used,
                          events)


def round_robin_sequence(records: int, partitions: int) -> SequenceAnswer:
    """RoundRobinPartitioner (4.x behaviour): where each record of one topic goes."""
    _check_sequence(records, partitions)
    model = pt.RoundRobinPartitioner(kafka_17632_fix=True)
    state: object = model.initial_state()
    view = pt.TopicView(partitions)
    out = []
    for _ in range(records):
        state, p = model.partition(state, "topic", None, view, lambda bound: 0)
        out.append(p)
    return SequenceAnswer("roundrobin", partitions, records, out)


def _check_sequence(records: int, partitions: int) -> None:
    if not 1 <= records <= MAX_RECORDS:
        raise UsageError(f"--records {records}: must be between 1 and {MAX_RECORDS:,}")
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise UsageError(f"--partitions {partitions}: must be between 1 and {MAX_PARTITIONS:,}")


def parse_draws(text: str) -> list[int]:
    """--random: comma-separated Java ints (ThreadLocalRandom.nextInt() values)."""
    from kafkacheck.catalogue import java_integer

    values = []
    for part in text.split(","):
        try:
            values.append(java_integer(part.strip(), 32))
        except ValueError:
            raise UsageError(f"--random {part.strip()[:20]!r}: expected Java int values "
                             "(-2147483648..2147483647), comma-separated") from None
    return values


# -- consumer assignment ----------------------------------------------------------------

ASSIGN_STRATEGIES = ("range", "roundrobin", "sticky", "cooperative-sticky", "uniform",
                     "kip848-range")


@dataclass
class AssignAnswer:
    """An assignment, and with previous owners what moves and what is revoked."""

    strategy: str
    protocol: str  # classic | consumer
    topics: dict[str, int]
    members: list[str]
    assignment: dict[str, list[str]]
    previous: dict[str, list[str]] = field(default_factory=dict)
    first_round: dict[str, list[str]] | None = None  # cooperative: before the withheld ones

    def moves(self) -> list[tuple[str, str, str]]:
        """(partition, from member, to member) for every partition that changes owner."""
        owner = {tp: m for m, tps in self.previous.items() for tp in tps}
        out = []
        for member, tps in self.assignment.items():
            for tp in tps:
                if tp in owner and owner[tp] != member:
                    out.append((tp, owner[tp], member))
        return sorted(out)

    def deleted(self) -> list[str]:
        """Owned partitions of topics not in --topics: read as deleted topics (Kafka's
        assignors drop what metadata no longer has), so they go to no member."""
        return [tp for tps in self.previous.values() for tp in tps
                if tp.rpartition("-")[0] not in self.topics]

    def revoked(self) -> dict[str, list[str]]:
        """Per member, the owned partitions it gives up (in round 1 when cooperative)."""
        target = self.first_round if self.first_round is not None else self.assignment
        out = {}
        for member, owned in self.previous.items():
            lost = [tp for tp in owned if tp not in set(target.get(member, []))]
            if lost:
                out[member] = lost
        return out

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"strategy": self.strategy, "group_protocol": self.protocol,
                "topics": self.topics, "members": self.members, "assignment": self.assignment,
                "previous": self.previous, "first_round": self.first_round,
                "revoked": self.revoked(), "deleted_topic_partitions": self.deleted(),
                "moves": [{"partition": tp, "from": a, "to": b} for tp, a, b in self.moves()]}

    def text(self) -> str:
        """The assignment as a person reads it."""
        topics = ", ".join(f"{t} ({n} partition{'s' if n != 1 else ''})"
                           for t, n in self.topics.items())
        how = {"cooperative-sticky": "classic protocol, COOPERATIVE rebalancing (KIP-429)",
               "uniform": "KIP-848 consumer protocol, server-side UniformAssignor",
               "kip848-range": "KIP-848 consumer protocol, server-side RangeAssignor"}.get(
                   self.strategy, "classic protocol, EAGER rebalancing")
        lines = [f"{self.strategy} assignment of {topics} to {len(self.members)} member"
                 f"{'s' if len(self.members) != 1 else ''} ({how}):"]
        width = max(len(m) for m in self.members)
        shown = self.members if len(self.members) <= 200 else self.members[:200]
        for m in shown:
            parts = self.assignment.get(m, [])
            lines.append(f"  {m:<{width}}  {', '.join(parts) if parts else '(nothing)'}")
        if len(shown) < len(self.members):
            lines.append(f"  ... and {len(self.members) - len(shown):,} more members")
        idle = [m for m in self.members if not self.assignment.get(m)]
        if idle:
            lines.append(f"{len(idle)} member{'s get' if len(idle) != 1 else ' gets'} nothing: "
                         "a partition has at most one consumer in a group")
        if self.previous:
            revoked = self.revoked()
            if self.first_round is not None:
                lines.append("round 1 (members keep what stays; a partition that changes owner "
                             "is first revoked, then handed out in round 2):")
                for m, tps in revoked.items():
                    lines.append(f"  {m} revokes {', '.join(tps)} and rejoins")
                if not revoked:
                    lines.append("  nothing revoked: no second round")
            elif revoked and self.protocol == "consumer":
                lines.append("KIP-848 reconciliation: each member revokes what left its target "
                             "and says so in a heartbeat; a partition goes to its new owner "
                             "only after that (previous target, now revoked):")
                for m, tps in revoked.items():
                    lines.append(f"  {m}: {', '.join(tps)}")
            elif revoked:
                lines.append("eager rebalance: every member revokes everything it owned before "
                             "the assignment; owned partitions that end elsewhere:")
                for m, tps in revoked.items():
                    lines.append(f"  {m}: {', '.join(tps)}")
            deleted = self.deleted()
            if deleted:
                lines.append(f"not in --topics, so read as partitions of deleted topics that "
                             f"no member gets (a typo in --previous?): {', '.join(deleted)}")
            moves = self.moves()
            if moves:
                lines.append("moves: " + "; ".join(f"{tp} {a} -> {b}" for tp, a, b in moves))
            else:
                lines.append("moves: none (every owned partition"
                             f"{' of a topic in --topics' if deleted else ''} stays with its "
                             "owner)")
        if self.protocol == "consumer":
            lines.append("(member ids as given; real ones are UUIDs the consumers draw, and "
                         "the coordinator breaks ties in the hash order of the ids)")
            if self.strategy == "uniform" and len(self.topics) > 1:
                lines.append("(several topics: Kafka also orders them by their random topic "
                             "ids; this answer takes them in the order given)")
        else:
            lines.append("(member ids as given, in JoinGroup order; real member ids are "
                         "client.id-UUID, which can change how ties between members break)")
        return "\n".join(lines)


def parse_topics(text: str) -> dict[str, int]:
    """--topics orders:3,payments:6."""
    topics: dict[str, int] = {}
    for item in text.split(","):
        name, sep, count = item.strip().rpartition(":")
        if not sep or not name or not count.strip().isdecimal():
            raise UsageError(f"--topics {item.strip()[:40]!r}: expected TOPIC:PARTITIONS")
        n = int(count)
        if not 1 <= n <= MAX_PARTITIONS:
            raise UsageError(f"--topics {item.strip()[:40]!r}: partitions must be between 1 and "
                             f"{MAX_PARTITIONS:,}")
        if name in topics:
            raise UsageError(f"--topics: {name!r} given twice")
        topics[name] = n
    return topics


def parse_members(text: str) -> list[str]:
    """--members c1,c2,c3 (JoinGroup order) or a count N (consumer-1 .. consumer-N)."""
    text = text.strip()
    if re.fullmatch(r"[+-]?[0-9]+", text):  # a count, -1 included (not a member named -1)
        n = int(text)
        if not 1 <= n <= MAX_MEMBERS:
            raise UsageError(f"--members {n}: between 1 and {MAX_MEMBERS:,} members")
        return [f"consumer-{i}" for i in range(1, n + 1)]
    members = [m.strip() for m in text.split(",")]
    if any(not m for m in members):
        raise UsageError(f"--members {text[:40]!r}: an empty member name")
    if len(set(members)) != len(members):
        raise UsageError("--members: a member is named twice")
    if len(members) > MAX_MEMBERS:
        raise UsageError(f"--members: at most {MAX_MEMBERS:,} members")
    return members


def parse_member_map(text: str, flag: str, members: Sequence[str]) -> dict[str, list[str]]:
    """MEMBER=A+B,MEMBER=C (--previous owners, --subscribe topics)."""
    out: dict[str, list[str]] = {}
    if not text.strip():
        return out
    for item in text.split(","):
        member, sep, values = item.strip().partition("=")
        if not sep:
            raise UsageError(f"{flag} {item.strip()[:40]!r}: expected MEMBER=VALUE+VALUE")
        if member not in members:
            raise UsageError(f"{flag}: {member!r} is not one of --members")
        if member in out:  # the last one won unsaid
            raise UsageError(f"{flag}: {member!r} is given twice: give it once "
                             "(MEMBER=A+B)")
        out[member] = [v.strip() for v in values.split("+") if v.strip()]
    return out


def parse_instance_ids(text: str, members: Sequence[str]) -> dict[str, str]:
    """--instance-ids M=ID,...: each static member's group.instance.id, one per member and
    no id twice: Kafka's coordinator keeps one member per instance id (a classic group's
    ClassicGroup.replaceStaticMember fences the older one with FENCED_INSTANCE_ID; a
    KIP-848 group refuses the newer one, GroupMetadataManager.throwIfInstanceIdIsUnreleased:
    UNRELEASED_INSTANCE_ID), so no assignment has two members with one id."""
    ids: dict[str, str] = {}
    holder: dict[str, str] = {}
    for member, values in parse_member_map(text, "--instance-ids", members).items():
        if len(values) != 1:
            raise UsageError(f"--instance-ids {member}={'+'.join(values)}: one "
                             "group.instance.id per member")
        if values[0] in holder:
            raise UsageError(f"--instance-ids: {holder[values[0]]} and {member} both have "
                             f"group.instance.id {values[0]}: the group coordinator keeps one "
                             "member per instance id (the other is fenced), so no assignment "
                             "has both")
        holder[values[0]] = member
        ids[member] = values[0]
    return ids


GENERATION_STRATEGIES = ("sticky", "cooperative-sticky")
"""The assignors that read a member's generation (AbstractStickyAssignor: StickyAssignor's
userData, CooperativeStickyAssignor's Subscription.generationId); RangeAssignor and
RoundRobinAssignor never read it, and the KIP-848 assignors have member epochs instead."""


def check_generation(strategy: str, group_protocol: str, generation: int | None,
                     generations: Mapping[str, int], previous: Mapping[str, Any]) -> None:
    """Refuse a generation (--generation, or @GEN in --previous) the answer would ignore:
    one for an assignor that does not read it, or one without --previous to date."""
    given = "--generation" if generation is not None else \
        "--previous M@GEN" if generations else None
    if given is None:
        return
    if _strategy(strategy, group_protocol) not in GENERATION_STRATEGIES:
        raise UsageError(f"{given}: the {strategy} assignor"
                         f"{' of group.protocol=consumer' if group_protocol == 'consumer' else ''}"
                         " does not read generations (only sticky and cooperative-sticky "
                         "do): drop it")
    if not previous:
        raise UsageError(f"{given}: a generation dates the previous assignment: give "
                         "--previous too")


def parse_previous(text: str, members: Sequence[str]) -> tuple[dict[str, list[str]],
                                                              dict[str, int]]:
    """--previous M=T-0+T-1 or M@G=... (G: that member's generation): owners, generations."""
    previous: dict[str, list[str]] = {}
    generations: dict[str, int] = {}
    if not text.strip():
        return previous, generations
    for item in text.split(","):
        head, sep, values = item.strip().partition("=")
        if not sep:
            raise UsageError(f"--previous {item.strip()[:40]!r}: expected MEMBER[@GEN]=T-0+T-1")
        member, at, gen = head.partition("@")
        if member not in members:
            raise UsageError(f"--previous: {member!r} is not one of --members")
        if member in previous:  # the last one won unsaid
            raise UsageError(f"--previous: {member!r} is given twice: give it once "
                             "(MEMBER=T-0+T-1)")
        if at:
            if not gen.isdecimal():
                raise UsageError(f"--previous {head!r}: the generation after @ is a number")
            generations[member] = int(gen)
        previous[member] = [v.strip() for v in values.split("+") if v.strip()]
    return previous, generations


def assign_partitions(strategy: str, topics: Mapping[str, int], members: Sequence[str],
                      subscriptions: Mapping[str, Sequence[str]] | None = None,
                      previous: Mapping[str, Sequence[str]] | None = None,
                      generations: Mapping[str, int] | None = None,
                      instance_ids: Mapping[str, str] | None = None,
                      group_protocol: str = "classic") -> AssignAnswer:
    """Run Kafka's assignor the way a group leader (or the KIP-848 coordinator) would."""
    from kafkacheck.model.algorithms import assignors

    strategy = _strategy(strategy, group_protocol)
    if strategy in ("uniform", "kip848-range"):
        return _assign_server(strategy, topics, members, subscriptions or {}, previous or {},
                              instance_ids or {}, group_protocol)
    if strategy not in assignors.STRATEGIES:
        raise UsageError(f"strategy {strategy!r} is not available in this build (have: "
                         f"{', '.join(assignors.STRATEGIES)})")
    subscriptions = subscriptions or {}
    previous = previous or {}
    generations = generations or {}
    instance_ids = instance_ids or {}
    # Two members may claim one partition (a zombie, a stale generation): Kafka's sticky
    # assignors settle it by generation, so it is input, not an error; and a member may
    # subscribe to a topic that has no metadata (it gets nothing from it).
    owned = {m: [_tp(tp, topics) for tp in previous.get(m, [])] for m in members}
    subs = build_subscriptions(strategy, topics, members, subscriptions, owned, generations,
                               instance_ids, previous)
    try:
        result = assignors.assign(strategy, dict(topics), subs)
    except (assignors.AssignorError, ValueError) as exc:
        raise UsageError(f"the {strategy} assignor rejects this input: {exc}") from None
    return _answer(strategy, group_protocol, topics, members, subs, result, previous,
                   generations, instance_ids)


def _assign_server(strategy: str, topics: Mapping[str, int], members: Sequence[str],
                   subscriptions: Mapping[str, Sequence[str]],
                   previous: Mapping[str, Sequence[str]], instance_ids: Mapping[str, str],
                   group_protocol: str) -> AssignAnswer:
    """The KIP-848 coordinator's target assignment (UniformAssignor or RangeAssignor):
    ``previous`` is each member's current target, which the uniform assignor keeps."""
    from kafkacheck.model.algorithms.assignor_common import AssignorError
    from kafkacheck.model.algorithms.assignor_uniform import GroupMember, assign_server

    group = {}
    for m in members:
        current: dict[str, list[int]] = {}
        for text in previous.get(m, []):
            topic, number = _tp(text, topics)
            current.setdefault(topic, []).append(number)
        group[m] = GroupMember(tuple(subscriptions.get(m, list(topics))),
                               {t: tuple(sorted(ps)) for t, ps in current.items()},
                               instance_ids.get(m))
    try:
        result = assign_server("uniform" if strategy == "uniform" else "range", dict(topics),
                               group)
    except (AssignorError, ValueError) as exc:
        raise UsageError(f"the {strategy} assignor rejects this input: {exc}") from None
    assignment = {m: [f"{t}-{p}" for t in topics for p in result[m].get(t, ())]
                  for m in members}
    return AssignAnswer(strategy, group_protocol, dict(topics), list(members), assignment,
                        {m: list(previous[m]) for m in members if previous.get(m)})


def build_subscriptions(strategy: str, topics: Mapping[str, int], members: Sequence[str],
                        subscriptions: Mapping[str, Sequence[str]],
                        owned: Mapping[str, Sequence[tuple[str, int]]],
                        generations: Mapping[str, int], instance_ids: Mapping[str, str],
                        previous: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """What each member sends in JoinGroup: topics, owned partitions, generation, userData
    (StickyAssignor: its last assignment; CooperativeStickyAssignor: its generation)."""
    from kafkacheck.model.algorithms import assignors

    subs = {}
    for m in members:
        gen = generations.get(m, 1 if m in previous else None)
        user_data: Any = None
        if strategy == "sticky" and m in previous:
            user_data = assignors.StickyUserData(tuple(owned[m]), gen)
        elif strategy == "cooperative-sticky" and gen is not None:
            user_data = assignors.CooperativeUserData(gen)
        subs[m] = assignors.MemberSubscription(
            topics=tuple(subscriptions.get(m, list(topics))),
            owned_partitions=tuple(owned[m]),
            generation=gen, user_data=user_data,
            group_instance_id=instance_ids.get(m))
    return subs


def _answer(strategy: str, group_protocol: str, topics: Mapping[str, int],
            members: Sequence[str], subs: Mapping[str, Any], result: Any,
            previous: Mapping[str, Sequence[str]], generations: Mapping[str, int],
            instance_ids: Mapping[str, str]) -> AssignAnswer:
    """The answer, with the second cooperative round run when the first withheld some."""
    from kafkacheck.model.algorithms import assignors

    first = {m: [pt_name(tp) for tp in result.assignment.get(m, [])] for m in members}
    answer = AssignAnswer(strategy, group_protocol, dict(topics), list(members), first,
                          {m: list(previous[m]) for m in members if previous.get(m)})
    if strategy == "cooperative-sticky" and previous and result.cooperative_withheld:
        # KIP-429 round 2: members rejoin owning what round 1 left them.
        round2 = {}
        for m in members:
            gen = max(generations.values(), default=1) + 1
            round2[m] = assignors.MemberSubscription(
                topics=subs[m].topics, owned_partitions=tuple(result.assignment.get(m, [])),
                generation=gen, user_data=assignors.CooperativeUserData(gen),
                group_instance_id=instance_ids.get(m))
        final = assignors.assign(strategy, dict(topics), round2)
        answer.first_round = first
        answer.assignment = {m: [pt_name(tp) for tp in final.assignment.get(m, [])]
                             for m in members}
    elif strategy == "cooperative-sticky" and previous:
        answer.first_round = first
    return answer


def _strategy(strategy: str, protocol: str) -> str:
    if protocol not in ("classic", "consumer"):
        raise UsageError(f"--group-protocol {protocol!r}: classic or consumer")
    if strategy not in ASSIGN_STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r} (one of "
                         f"{', '.join(ASSIGN_STRATEGIES)})")
    if protocol == "consumer":
        if strategy == "range":
            return "kip848-range"
        if strategy not in ("uniform", "kip848-range"):
            raise UsageError(f"group.protocol=consumer assigns on the broker: --strategy uniform "
                             f"or range, not {strategy}")
    elif strategy == "uniform":
        raise UsageError("uniform is the KIP-848 server-side assignor: use --group-protocol "
                         "consumer")
    return strategy


def _tp(text: str, topics: Mapping[str, int]) -> tuple[str, int]:
    topic, sep, number = text.rpartition("-")
    if not sep or not number.isdecimal():
        raise UsageError(f"{text[:40]!r}: expected TOPIC-PARTITION, e.g. orders-0")
    if topic in topics and int(number) >= topics[topic]:
        raise UsageError(f"{text[:40]!r}: no such partition in --topics")
    return topic, int(number)  # a topic missing from --topics was deleted: Kafka allows it


def pt_name(tp: tuple[str, int]) -> str:
    """TopicPartition.toString()."""
    return f"{tp[0]}-{tp[1]}"
