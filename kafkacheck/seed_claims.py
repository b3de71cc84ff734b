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

    def command(self) -> str:
        """The CLI command that reproduces the run."""
        sets = " ".join(f"--set {k}={v}" for k, v in self.settings.items())
        bounds = " ".join(f"--bound {k}={v}" for k, v in self.bounds.items())
        props = " ".join(f"--property {p}" for p in self.properties)
        return " ".join(x for x in ("kafkacheck check", self.model, sets, bounds, props) if x)

    def cite(self, prop: str) -> str:
        """One Markdown line stating the run's verdict for ``prop``."""
        verdict = self.verdicts.get(prop, "?")
        config = ", ".join(f"`{k}={v}`" for k, v in self.settings.items()) or "defaults"
        bounds = ", ".join(f"{k}={v}" for k, v in self.bounds.items()) or "default bounds"
        if verdict == "violated":
            link = self.links.get(prop, "")
            return (f"{config} ({bounds}): **{prop} violated**, [counterexample]({link}) of "
                    f"{self.steps.get(prop)} steps")
        if verdict == "holds":
            return (f"{config} ({bounds}): **{prop} holds** ({self.distinct:,} states "
                    "explored to the end)")
        return f"{config} ({bounds}): {prop} {verdict}"


@dataclass
class Verdict:
    """A claim's verdict, the conditions, and the evidence lines (Markdown)."""

    verdict: str
    conditions: str
    evidence: list[str]


Checker = Callable[..., Run]


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


def _replication(check: Checker) -> Verdict:
    safe = check("replication", SAFE, {"crashes": 1, "records": 2},
                 ["NoAckedWriteLost", "CommittedRecordsStay"])
    acks1 = check("replication", {"acks": "1", "replication.factor": "3"}, {"crashes": 1},
                  ["NoAckedWriteLost"])
    unclean = check("replication", {**SAFE, "min.insync.replicas": "1",
                                    "unclean.leader.election.enable": "true"},
                    {"crashes": 1}, ["NoAckedWriteLost"])
    power = check("replication", {"acks": "all", "replication.factor": "2",
                                  "min.insync.replicas": "2"},
                  {"crashes": 1, "crash_kind": "power-loss"}, ["NoAckedWriteLost"])
    two = check("replication", SAFE, {"crashes": 2, "records": 2}, ["NoAckedWriteLost"])
    return Verdict(
        CONDITIONAL,
        "Only for writes acknowledged with `acks=all`, with `min.insync.replicas` >= 2, "
        "`unclean.leader.election.enable=false`, leader-epoch truncation (Kafka >= 2.0), and "
        "failures that keep the disk (a process crash). With `acks=1`, with unclean "
        "election, or with a power failure of the last in-sync replica (the ISR may shrink "
        "below `min.insync.replicas`; KIP-966), acknowledged data is lost.",
        [safe.cite("NoAckedWriteLost"), two.cite("NoAckedWriteLost"),
         acks1.cite("NoAckedWriteLost"), unclean.cite("NoAckedWriteLost"),
         power.cite("NoAckedWriteLost"),
         "`kafkacheck prove acks-all-safe`: the same guarantee is proved by induction with Z3 "
         "for any number of brokers and process crashes."],
    )


def _broker_count(check: Checker) -> Verdict:
    rf2 = check("replication", {"acks": "all", "replication.factor": "2",
                                "min.insync.replicas": "2"},
                {"crashes": 1, "crash_kind": "power-loss"}, ["NoAckedWriteLost"])
    rf3 = check("replication", {"acks": "all", "replication.factor": "3",
                                "min.insync.replicas": "2"},
                {"crashes": 1, "crash_kind": "power-loss"}, ["NoAckedWriteLost"])
    return Verdict(
        IMPRECISE,
        "Kafka runs with any number of brokers (even one); three is what "
        "`replication.factor=3` needs, and only a replication factor above "
        "`min.insync.replicas` lets a partition keep accepting `acks=all` writes with one "
        "replica down. Three brokers do not by themselves protect data: see the rows below "
        "and the replication claim.",
        [rf2.cite("NoAckedWriteLost"), rf3.cite("NoAckedWriteLost")],
    )


def _partitioner_keys(check: Checker) -> Verdict:
    from kafkacheck.model import partitioners as pt

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
    keys = check("producer", {"partitioner.class":
                              "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
                 {"keys": 1, "partitions": 2, "records": 2, "batch_records": 1,
                  "lost_responses": 0}, ["KeyOrder"])
    return Verdict(
        REFUTED,
        "Neither named class hashes keys: `RoundRobinPartitioner` and the (deprecated) "
        "`UniformStickyPartitioner` both ignore the key. Keys are hashed (murmur2, "
        "toPositive, modulo the partition count) by the built-in partitioner, used when "
        "`partitioner.class` is not set (the default since Kafka 3.3, KIP-794), and by the "
        "legacy `DefaultPartitioner`.",
        [f"Six records with key `order-42` over 4 partitions: RoundRobinPartitioner sends "
         f"them to {rr_parts}; UniformStickyPartitioner (a new batch each time) to "
         f"{legacy_parts}; the built-in partitioner to {builtin} (murmur2 = "
         f"{pt.murmur2(key)}).",
         keys.cite("KeyOrder")],
    )


def batching(partitioner: str, records: int = 600, partitions: int = 6,
             record_bytes: int = 100, batch_size: int = 16384, linger_every: int = 12,
             seed: int = 1) -> tuple[int, float]:
    """Batches sent and records per batch when the sender drains every ``linger_every``."""
    from kafkacheck.model import partitioners as pt

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
        CONFIRMED,
        "With keyless records and a sender that drains whatever is ready when `linger.ms` "
        "expires, round robin spreads each linger window over every partition, so batches "
        "stay small; the built-in uniform sticky partitioner (KIP-480, KIP-794) fills one "
        "partition's batch and switches after `batch.size` bytes, so over time every "
        "partition still receives data.",
        [f"600 keyless 100-byte records, 6 partitions, `batch.size=16384`, a linger window "
         f"every 12 records (Kafka's accumulator and partitioners as modelled in "
         f"`model/partitioners.py`): round robin sent {rr_sent} batches "
         f"({rr_avg:.1f} records per batch); uniform sticky sent {st_sent} batches "
         f"({st_avg:.1f} records per batch)."],
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


def _retries(check: Checker) -> Verdict:
    same, actual = _default_check("retries", "2147483647")
    dup = check("producer", {"enable.idempotence": "false"}, {"records": 1}, ["NoDuplicates"])
    idem = check("producer", {"replication.factor": "2", "min.insync.replicas": "2"},
                 {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1,
                  "retry_budget": 2}, ["NoDuplicates", "PartitionOrder"])
    return Verdict(
        CONFIRMED if same else REFUTED,
        f"The default is {actual} (Integer.MAX_VALUE); in practice `delivery.timeout.ms` "
        "bounds retrying. Retries after a lost response write duplicates unless "
        "`enable.idempotence=true` (the default since 3.0).",
        [dup.cite("NoDuplicates"), idem.cite("NoDuplicates"), idem.cite("PartitionOrder")],
    )


def _in_flight(check: Checker) -> Verdict:
    same, actual = _default_check("max.in.flight.requests.per.connection", "5")
    reorder = check("producer", {"enable.idempotence": "false"},
                    {"records": 2, "batch_records": 1}, ["PartitionOrder"])
    one = check("producer", {"enable.idempotence": "false",
                             "max.in.flight.requests.per.connection": "1"},
                {"records": 2, "batch_records": 1}, ["PartitionOrder"])
    return Verdict(
        IMPRECISE,
        f"The default {actual} is right, but the setting is not a number of connections: it "
        "is how many unacknowledged requests the producer sends on one connection. Above 1, "
        "without idempotence, a retried batch can land after a later one (reordering).",
        [reorder.cite("PartitionOrder"), one.cite("PartitionOrder")],
    )


def _idempotence(check: Checker) -> Verdict:
    dup = check("producer", {"enable.idempotence": "false"}, {"records": 1}, ["NoDuplicates"])
    idem = check("producer", {"replication.factor": "2", "min.insync.replicas": "2"},
                 {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1,
                  "retry_budget": 2}, ["NoDuplicates"])
    bump = check("producer", {"replication.factor": "2", "min.insync.replicas": "2"},
                 {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1,
                  "retry_budget": 3}, ["NoDuplicates"])
    return Verdict(
        CONDITIONAL,
        "Idempotence (the default since Kafka 3.0, KIP-679, which also needs `acks=all`) "
        "removes the duplicates retries cause, within the bounds checked. With one more "
        "retry the model finds a duplicate after an OUT_OF_ORDER_SEQUENCE_NUMBER epoch bump "
        "when the leader holds no state for the producer: a model finding that the "
        "conformance harness has not yet reproduced on a real cluster.",
        [dup.cite("NoDuplicates"), idem.cite("NoDuplicates"), bump.cite("NoDuplicates")],
    )


def _acks_values(check: Checker) -> Verdict:
    acks0 = check("replication", {"acks": "0", "replication.factor": "3"}, {"crashes": 1},
                  ["CommittedRecordsStay"])
    acks1 = check("replication", {"acks": "1", "replication.factor": "3"}, {"crashes": 1},
                  ["NoAckedWriteLost"])
    safe = check("replication", SAFE, {"crashes": 1}, ["NoAckedWriteLost"])
    return Verdict(
        CONFIRMED,
        "`acks` takes 0, 1 and -1 (also spelled `all`, the default since 3.0). What it "
        "decides is which acknowledged writes survive a leader failure:",
        [acks0.cite("CommittedRecordsStay"), acks1.cite("NoAckedWriteLost"),
         safe.cite("NoAckedWriteLost")],
    )


def _consumer_defaults(check: Checker) -> Verdict:
    rows = []
    wrong = []
    for name, stated in (("auto.offset.reset", "latest"), ("enable.auto.commit", "true"),
                         ("heartbeat.interval.ms", "3000"), ("max.poll.interval.ms", "300000")):
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


CLAIMS: list[Claim] = [
    Claim("brokers", "Broker의 역할",
          "Kafka cluster는 3개 이상의 브로커로 구성된다.",
          "A Kafka cluster is made of three or more brokers.", _broker_count),
    Claim("replication", "replication",
          "데이터 복제는 kafka를 장애 허용 시스템(fault tolerant)으로 동작하게 만들어준다. 브로커에 "
          "장애가 발생하게 되어도 데이터를 유실하지 않고 사용할 수 있게 한다.",
          "Replication makes Kafka fault tolerant: even when a broker fails, data is not lost "
          "and stays usable.", _replication),
    Claim("acks", "Producer",
          "acks: producer가 전송한 레코드에 대해 브로커에 잘 저장되었는지 전송 성공 여부를 확인하기 "
          "위한 값이다. 0, 1, -1을 설정할 수 있다.",
          "acks: the value by which the producer checks that a record it sent was stored by "
          "the broker. It can be 0, 1 or -1.", _acks_values),
    Claim("linger", "Producer",
          "linger.ms: 배치를 전송하기 전까지 기다리는 최소 시간 값이다. 기본은 0이다.",
          "linger.ms: the minimum time to wait before sending a batch. The default is 0.",
          _linger),
    Claim("retries", "Producer",
          "retries: 브로커에서 에러를 받으면 재시도하는 횟수를 지정한다. 기본값은 int 최댓값이다.",
          "retries: how many times to retry after an error from the broker. The default is "
          "the largest int.", _retries),
    Claim("in-flight", "Producer",
          "max.in.flight.requests.per.connection: 한 번에 요청하는 최대 커넥션 수이다. 기본값은 "
          "5이다.",
          "max.in.flight.requests.per.connection: the maximum number of connections requested "
          "at once. The default is 5.", _in_flight),
    Claim("idempotence", "Producer",
          "enable.idempotence: 멱등성 producer로 동작할지 여부를 설정한다.",
          "enable.idempotence: whether the producer runs as an idempotent producer.",
          _idempotence),
    Claim("partitioner-keys", "producer partitioner",
          "producer의 기본 파티셔너는 `UniformStickyPartitioner`와 `RoundRobinPartitioner`가 "
          "있다. 메세지 키가 있을 경우 두 파티셔너 모두 메세지 키의 해시 값과 파티션을 매칭하여 레코드를 "
          "전송한다.",
          "The producer's default partitioners are UniformStickyPartitioner and "
          "RoundRobinPartitioner. When a message has a key, both match the key's hash to a "
          "partition.", _partitioner_keys),
    Claim("partitioner-batching", "producer partitioner",
          "RoundRobin 방식은 레코드가 들어오는대로 파티션을 순회하면서 전송하고, accumulater에서 "
          "묶이는 정도가 적어 낮은 전송 성능을 보인다. UnifomSticky 방식은 RoundRobbin 방식을 개선한 "
          "파티셔너로 accumulater에서 배치로 묶일 때까지 기다렸다가 전송하게 된다. 배치로 묶여도 "
          "파티션을 순회하면서 전송하기 때문에 모든 파티션에 분배된다.",
          "RoundRobin sends records cycling through the partitions as they arrive; few get "
          "batched in the accumulator, so throughput is low. UniformSticky improves on it: it "
          "waits until records are batched in the accumulator, and since it still cycles "
          "through the partitions, every partition gets data.", _batching),
    Claim("consumer-defaults", "Consumer",
          "auto.offset.reset: ... 기본 값은 latest이다. enable.auto.commit: ... 기본값은 true이다. "
          "heartbeat.interval.ms: ... 기본값은 3초이다. max.poll.interval.ms: ... 기본값은 5분이다.",
          "auto.offset.reset defaults to latest; enable.auto.commit to true; "
          "heartbeat.interval.ms to 3 seconds; max.poll.interval.ms to 5 minutes.",
          _consumer_defaults),
]
