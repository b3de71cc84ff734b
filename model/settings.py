"""Kafka's own configuration names, value types, validators and defaults.

One registry for broker, topic, producer, consumer, Streams and Connect settings.  Models
say which ones they read; the rest are accepted and reported as "not modelled".  A
setting that changes delivery semantics names the roles whose semantics it changes
(``semantics``): set to a value other than its default on a model that has that role but
does not read the setting, the run is "not covered" (never HOLDS).  Defaults are those of
the newest release modelled (the doc section "Configuration" of kafka.apache.org);
``default_for`` gives a setting's default in an older release when Kafka changed it
(``VERSION_DEFAULTS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kafkacheck.model.versions import FIXES, Version
from kafkacheck.model.versions import text as version_text

INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1


# Roles whose delivery semantics a setting can change.  A model has the roles of the
# settings it reads (the replication model reads acks and replication.factor: producer, log).
PRODUCER, CONSUMER, LOG, CONTROLLER = "producer", "consumer", "log", "controller"
ROLES = (PRODUCER, CONSUMER, LOG, CONTROLLER)


class SettingError(ValueError):
    """A setting value Kafka itself would reject (ConfigException)."""


class AbsentInRelease(SettingError):
    """A key or value the chosen Kafka release does not have (``absent_in`` says why)."""


@dataclass(frozen=True)
class Setting:
    """One Kafka configuration key: where it lives, its default and how values parse."""

    name: str
    scope: str  # broker | topic | producer | consumer | streams | connect
    default: Any
    parse: Callable[[str], Any]
    doc: str
    render: Callable[[Any], str] = str
    # Roles whose delivery semantics this setting changes (which records are written, kept,
    # read, duplicated or reordered); () for timing, sizing, identity and security settings,
    # whose behaviours a model explores as nondeterminism or that cannot change a verdict.
    semantics: tuple[str, ...] = ()

    def value_of(self, text: str) -> Any:
        """Parse ``text`` as Kafka would, raising SettingError with Kafka-like wording."""
        from kafkacheck.catalogue import java_trim

        try:
            kafka_type_check(self.name, text)
            return self.parse(java_trim(text))
        except SettingError as exc:
            raise SettingError(f"invalid value {text!r} for {self.name}: {exc}") from None

    def value_in(self, text: str, version: Version) -> Any:
        """Parse ``text`` as Kafka ``version`` would: SettingError for a value Kafka rejects,
        AbsentInRelease for a key or value that release does not have."""
        value = self.value_of(text)
        absent = absent_in(self.name, value, version)
        if absent:
            raise AbsentInRelease(absent)
        return value


def kafka_type_check(name: str, text: str) -> None:
    """Reject what Kafka's ConfigDef rejects for this key's type (Integer.parseInt, ...).

    Uses the generated catalogue of Kafka's own definitions; keys it does not hold pass,
    and so does a value an older release had (``VALUE_UNTIL``: absent_in judges it).
    """
    from kafkacheck import catalogue

    try:
        catalogue.load().parse_anywhere(name, text)
    except ValueError as exc:
        if (name, catalogue.java_trim(text)) not in VALUE_UNTIL:
            raise SettingError(str(exc)) from None


def _int(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        from kafkacheck.catalogue import java_integer

        try:
            value = java_integer(text, 64)  # Long.parseLong: no '_', no inner spaces
        except ValueError:
            raise SettingError("expected an integer") from None
        if low is not None and value < low:
            raise SettingError(f"value must be at least {low}")
        if high is not None and value > high:
            raise SettingError(f"value must be no more than {high}")
        return value

    return parse


def _bool(text: str) -> bool:
    # ConfigDef.parseType(BOOLEAN): "true"/"false" ignoring case, anything else fails.
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise SettingError("expected true or false")


def _bool_render(value: bool) -> str:
    return "true" if value else "false"


def _choice(*values: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        lowered = text.lower()
        if lowered not in values:
            raise SettingError(f"must be one of: {', '.join(values)}")
        return lowered

    return parse


def _acks(text: str) -> int:
    # ProducerConfig: ValidString.in("all", "-1", "0", "1"); "all" is stored as -1.
    lowered = text.lower()
    if lowered in ("all", "-1"):
        return -1
    if lowered in ("0", "1"):
        return int(lowered)
    raise SettingError("must be one of: all, -1, 0, 1")


def _acks_render(value: int) -> str:
    return "all" if value == -1 else str(value)


def _replication_factor(text: str) -> int:
    """A topic's replica count, or -1 for the broker's default.replication.factor."""
    value = _int(-1, 32767)(text)
    if value == 0:
        raise SettingError("value must be at least 1, or -1 for the broker's "
                           "default.replication.factor")
    return value


def _aliases(text: str) -> str:
    """A connector's list of aliases (ConnectorConfig.aliasValidator: no duplicates), as
    the list without blanks around its items ('': none)."""
    aliases = [a.strip() for a in text.split(",")] if text.strip() else []
    if len(set(aliases)) < len(aliases):
        raise SettingError("Duplicate alias provided.")
    return ",".join(aliases)


def _text(text: str) -> str:
    return text


def _optional_text(text: str) -> str | None:
    return text or None


class CustomClass(str):
    """A class of the user's that Kafka loads by name (a custom assignor or partitioner):
    valid, and never covered by a model reading its setting, which runs Kafka's own."""


_JAVA_CLASS = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+")


def _custom_class(name: str) -> CustomClass | None:
    """``name`` as a custom class when it has a package, as a class Kafka can load needs."""
    return CustomClass(name) if _JAVA_CLASS.fullmatch(name) else None


def names_custom_class(value: Any) -> bool:
    """Whether a parsed value is or lists a custom class (settings.uncovered)."""
    items = value if isinstance(value, tuple) else (value,)
    return any(isinstance(item, CustomClass) for item in items)


ASSIGNOR_CLASSES = {
    "range": "org.apache.kafka.clients.consumer.RangeAssignor",
    "roundrobin": "org.apache.kafka.clients.consumer.RoundRobinAssignor",
    "sticky": "org.apache.kafka.clients.consumer.StickyAssignor",
    "cooperative-sticky": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
}
_ASSIGNOR_BY_CLASS = {cls: short for short, cls in ASSIGNOR_CLASSES.items()}
_ASSIGNOR_BY_SIMPLE = {cls.rsplit(".", 1)[1].lower(): s for s, cls in ASSIGNOR_CLASSES.items()}


def _assignors(text: str) -> tuple[str, ...]:
    # ConsumerConfig: a list of class names; we also take the short protocol names.
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise SettingError("needs at least one assignor")
    out = []
    for name in names:
        short = (
            _ASSIGNOR_BY_CLASS.get(name)
            or _ASSIGNOR_BY_SIMPLE.get(name.lower())
            or (name.lower() if name.lower() in ASSIGNOR_CLASSES else None)
            or _custom_class(name)
        )
        if short is None:
            raise SettingError(
                "unknown assignor (expected range, roundrobin, sticky, cooperative-sticky, "
                "their class names, or a class of your own named with its package)"
            )
        out.append(short)
    return tuple(out)


SERVER_ASSIGNOR_CLASSES = {
    "uniform": "org.apache.kafka.coordinator.group.assignor.UniformAssignor",
    "range": "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
}


def _server_assignors(text: str) -> tuple[str, ...]:
    # GroupCoordinatorConfig group.consumer.assignors: names or class names of the built-ins.
    by_class = {cls: name for name, cls in SERVER_ASSIGNOR_CLASSES.items()}
    out = []
    for part in (p.strip() for p in text.split(",")):
        # GroupCoordinatorConfig.consumerGroupAssignors matches the names as written.
        name = by_class.get(part) or _custom_class(part) or part
        if name not in SERVER_ASSIGNOR_CLASSES and not isinstance(name, CustomClass):
            raise SettingError("unknown server assignor (expected uniform, range, their "
                               "class names, or a class of your own named with its package)")
        out.append(name)
    if not out:
        raise SettingError("needs at least one assignor")
    return tuple(out)


def _assignors_render(value: tuple[str, ...]) -> str:
    return ",".join(value)


PARTITIONER_CLASSES = {
    "org.apache.kafka.clients.producer.RoundRobinPartitioner": "round-robin",
    "org.apache.kafka.clients.producer.UniformStickyPartitioner": "uniform-sticky-legacy",
    "org.apache.kafka.clients.producer.internals.DefaultPartitioner": "default-legacy",
}


def _partitioner(text: str) -> str | None:
    # ProducerConfig partitioner.class: null selects the built-in partitioner (KIP-794).
    if not text:
        return None
    if text in PARTITIONER_CLASSES:
        return text
    simple = {cls.rsplit(".", 1)[1].lower(): cls for cls in PARTITIONER_CLASSES}
    if text.lower() in simple:
        return simple[text.lower()]
    custom = _custom_class(text)
    if custom is not None:
        return custom
    raise SettingError("unknown partitioner class (RoundRobinPartitioner, UniformStickyPartitioner,"
                       " DefaultPartitioner or a class of your own named with its package; "
                       "leave empty for the built-in one)")


def _class_list(text: str) -> tuple[str, ...]:
    # ConfigDef.Type.LIST of class names (interceptor.classes): comma-separated, trimmed.
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _security_protocol(text: str) -> str:
    # CommonClientConfigs security.protocol: SecurityProtocol names, case-insensitive.
    upper = text.upper()
    if upper not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
        raise SettingError("must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
    return upper


_ISO_DURATION = re.compile(
    r"([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?"
    r"(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?", re.IGNORECASE)


def _iso_seconds(text: str) -> float | None:
    """The seconds of an ISO-8601 duration as java.time.Duration.parse reads it (PT1H,
    P2DT3M, PT-0.5S), or None when it does not parse or is negative."""
    found = _ISO_DURATION.fullmatch(text)
    if found is None:
        return None
    sign, days, time, hours, minutes, secs, fraction = found.groups()
    if time is not None and time.upper() == "T" or not any((days, hours, minutes, secs)):
        return None  # "PT" or "P": Duration.parse needs a part
    whole = int(secs or 0)
    part = int((fraction or "").ljust(9, "0")) / 1e9
    seconds = (int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60
               + whole + (-part if (secs or "").startswith("-") else part))
    seconds = -seconds if sign == "-" else seconds
    return seconds if seconds >= 0 else None


def _offset_reset(text: str) -> str:
    # ConsumerConfig auto.offset.reset: earliest | latest | none (| by_duration:<ISO-8601>, 4.0).
    # The name is matched as written (ConfigDef.ValidString.in; AutoOffsetResetStrategy
    # refuses "LATEST" too): a consumer given "Latest" does not start.
    if text in ("earliest", "latest", "none"):
        return text
    if text.startswith("by_duration:"):
        # AutoOffsetResetStrategy.fromString: Duration.parse, and a negative one refused.
        if _iso_seconds(text[len("by_duration:"):]) is None:
            raise SettingError("by_duration needs a duration Duration.parse reads, not "
                               "negative (by_duration:PnDTnHnMn.nS, such as by_duration:PT1H)")
        return text.lower()  # Duration.parse reads the ISO-8601 letters in either case
    raise SettingError("must be one of: earliest, latest, none, by_duration:<duration> "
                       "(lower case)")


def _cleanup_policy(text: str) -> str:
    # TopicConfig cleanup.policy: a list of delete and compact, in any order (ValidList);
    # or empty: neither, segments are kept forever.  Every release accepts the empty list
    # (ConfigDef.ValidList checks each element; LogConfig's delete and compact are false:
    # read at 0.11.0.0, 2.0.0, 3.0.0 and 3.9.0-4.1.0; KIP-1161 (4.2) documented it).
    if not text.strip():
        return ""
    parts = {p.strip() for p in text.split(",") if p.strip()}
    if not parts or not parts <= {"delete", "compact"}:
        raise SettingError("must be a list of: delete, compact")
    return ",".join(p for p in ("delete", "compact") if p in parts)


def releases_with_fix(jira: str) -> str:
    """The releases that have fix ``jira`` (versions.FIXES, the one record of it), as
    prose: the first patch release of each older line it was backported to, then the
    release that shipped it ('3.0.1, 3.1.1 and 3.2')."""
    fixed_in, backports = FIXES[jira]
    names = [f"{version_text(line)}.{'0.' if line[0] == 0 else ''}{first}"
             for line, first in backports] + [version_text(fixed_in)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _s(name: str, scope: str, default: Any, parse: Callable[[str], Any], doc: str,
       render: Callable[[Any], str] = str, semantics: tuple[str, ...] = ()) -> Setting:
    return Setting(name, scope, default, parse, doc, render, semantics)


_P, _C, _L, _K = (PRODUCER,), (CONSUMER,), (LOG,), (CONTROLLER,)


def _with_deprecated_name(setting: Setting, old: str) -> tuple[Setting, Setting]:
    """A setting and the deprecated name Kafka still reads for it (KIP-1056)."""
    return setting, replace(setting, name=old,
                            doc=f"deprecated name of {setting.name} (KIP-1056)")


_REGISTRY: tuple[Setting, ...] = (
    # -- topic / broker: replication (kafka.server.KafkaConfig, LogConfig) ------------
    # -1: the broker's default.replication.factor (CreateTopics, KIP-464, 2.4; Kafka
    # Streams' default from 3.0, KIP-733): no model covers it (BROKER_DECIDES).
    _s("replication.factor", "topic", 1, _replication_factor,
       "replicas per partition (CreateTopics; -1 or unset: default.replication.factor=1)",
       semantics=_L),
    _s("default.replication.factor", "broker", 1, _int(1, 32767),
       "replication factor of automatically created topics", semantics=_L),
    _s("num.partitions", "broker", 1, _int(1), "default partition count of new topics"),
    _s("min.insync.replicas", "topic", 1, _int(1),
       "with acks=all, the ISR size below which produce fails with NOT_ENOUGH_REPLICAS",
       semantics=_L),
    _s("unclean.leader.election.enable", "topic", False, _bool,
       "may a replica outside the ISR become leader (risking loss)", _bool_render, semantics=_L),
    _s("replica.lag.time.max.ms", "broker", 30000, _int(0),
       "a follower not caught up for this long leaves the ISR"),
    _s("flush.messages", "topic", LONG_MAX, _int(0),
       "fsync after this many messages (default: never; leave it to the OS)", semantics=_L),
    _s("log.flush.interval.messages", "broker", LONG_MAX, _int(1),
       "broker default of flush.messages", semantics=_L),
    _s("retention.ms", "topic", 604800000, _int(-1),
       "delete segments older than this (-1: keep forever)"),
    _s("retention.bytes", "topic", -1, _int(-1), "delete old segments past this size"),
    _s("log.retention.hours", "broker", 168, _int(-1), "broker default of retention.ms"),
    _s("cleanup.policy", "topic", "delete", _cleanup_policy,
       "delete or compact old segments", semantics=_L),
    _s("log.cleanup.policy", "broker", "delete", _cleanup_policy,
       "broker default of cleanup.policy (ServerLogConfigs)", semantics=_L),
    _s("remote.storage.enable", "topic", False, _bool,
       "tiered storage: old segments move to remote storage (KIP-405; TopicConfig)",
       _bool_render, semantics=_L),
    # No role: it only matters for the graceful shutdowns of the rolling_restarts bound
    # (ServerConfigs; BrokerServer.shutdown skips the controlled shutdown when false),
    # which the replication model marks not covered (ReplicationModel.uncovered_under).
    _s("controlled.shutdown.enable", "broker", True, _bool,
       "move leadership away before a graceful shutdown", _bool_render),
    # KIP-392 (2.4): a consumer fetches from the replica this selector picks (with its
    # client.rack), a follower's log and HW; the models' consumers fetch from the leader.
    _s("replica.selector.class", "broker", None, _optional_text,
       "ReplicaSelector that lets consumers fetch from followers (KIP-392; ReplicaManager)",
       lambda v: v or "", semantics=_C),
    # __consumer_offsets replicas (GroupCoordinatorConfig): the durability of committed
    # offsets.  The group models keep commits in the coordinator, never lost; the
    # transactions loop puts them in a partition of replication.factor replicas.
    _s("offsets.topic.replication.factor", "broker", 3, _int(1, 32767),
       "replicas of the committed-offsets topic, __consumer_offsets (GroupCoordinatorConfig)",
       semantics=_C),
    # KIP-853 (3.9): a dynamic quorum keeps its voter set in the metadata log and changes it
    # with AddRaftVoter/RemoveRaftVoter; the controller model's voters are fixed.
    _s("controller.quorum.bootstrap.servers", "broker", "", _text,
       "dynamic KRaft quorum: controllers to bootstrap from (KIP-853; QuorumConfig)",
       semantics=_K),
    _s("controller.quorum.auto.join.enable", "broker", False, _bool,
       "a controller not in the voter set adds itself (KIP-853; QuorumConfig)", _bool_render,
       semantics=_K),
    # ZooKeeper mode (ZkConfigs, removed in 4.0 by KIP-500/KIP-833): the controller is then
    # ZooKeeper's, which the KRaft controller model does not represent.
    _s("zookeeper.connect", "broker", "", _text,
       "ZooKeeper mode: the ensemble the brokers and their controller use (before 4.0)",
       semantics=_K),
    _s("eligible.leader.replicas.version", "broker", 1, _int(0, 1),
       "KRaft feature level (kafka-features / storage format), not a config property: 1 turns "
       "on Eligible Leader Replicas (KIP-966; available from 4.0, default on clusters "
       "formatted by Kafka 4.1 or later, off in 4.0 and in clusters upgraded from it)",
       semantics=_L),
    _s("offsets.retention.minutes", "broker", 10080, _int(1),
       "committed offsets of an empty group are kept this long"),
    _s("producer.id.expiration.ms", "broker", 86400000, _int(1),
       "a producer id's state is dropped after this long without a write (KIP-854, 3.4)"),
    _s("transactional.id.expiration.ms", "broker", 604800000, _int(1),
       "a transactional id (and, before 3.4, any producer id) expires after this long idle"),
    _s("group.initial.rebalance.delay.ms", "broker", 3000, _int(0),
       "wait for more members before the first rebalance"),
    _s("group.consumer.assignors", "broker", ("uniform", "range"), _server_assignors,
       "KIP-848 server-side assignors the group coordinator offers (the first is the default)",
       _assignors_render),
    _s("group.consumer.session.timeout.ms", "broker", 45000, _int(1),
       "KIP-848: a member without heartbeats this long is removed from its consumer group"),
    _s("group.consumer.heartbeat.interval.ms", "broker", 5000, _int(1),
       "KIP-848: the heartbeat interval the coordinator gives its members"),
    _s("broker.heartbeat.interval.ms", "broker", 2000, _int(1),
       "KRaft broker heartbeat period to the controller"),
    _s("broker.session.timeout.ms", "broker", 9000, _int(1),
       "KRaft: a broker without heartbeats this long is fenced"),
    _s("controller.quorum.voters", "broker", "", _text, "static KRaft voter set", semantics=_K),
    # KRaftConfigs.PROCESS_ROLES_CONFIG: an empty list by default (2.8-3.9: ZooKeeper
    # mode); from 4.0 required, no default (KAFKA-18331): a broker without it refuses.
    _s("process.roles", "broker", "", _text,
       "KRaft roles of a node: broker, controller or both; empty (the default) is ZooKeeper "
       "mode before 4.0, and 4.0+ requires it (KAFKA-18331)", semantics=_K),
    # -- producer (org.apache.kafka.clients.producer.ProducerConfig) ------------------
    _s("acks", "producer", -1, _acks,
       "acknowledgement the leader waits for: 0 none, 1 leader, all the full ISR",
       _acks_render, semantics=_P),
    _s("enable.idempotence", "producer", True, _bool,
       "producer id + sequence numbers: no duplicates from retries (the default from 3.0, "
       f"KIP-679, in effect from {releases_with_fix('KAFKA-13598')}, KAFKA-13598: earlier "
       "releases turn it on only when it is set)", _bool_render, semantics=_P),
    _s("retries", "producer", INT_MAX, _int(0, INT_MAX), "resend a failed batch this often",
       semantics=_P),
    _s("max.in.flight.requests.per.connection", "producer", 5, _int(1),
       "unacknowledged requests per broker connection", semantics=_P),
    _s("linger.ms", "producer", 5, _int(0), "wait this long to fill a batch (5 since 4.0)"),
    _s("batch.size", "producer", 16384, _int(0), "bytes per partition batch"),
    _s("delivery.timeout.ms", "producer", 120000, _int(0),
       "upper bound on reporting success or failure of a send"),
    _s("request.timeout.ms", "producer", 30000, _int(0), "wait this long for a response"),
    _s("retry.backoff.ms", "producer", 100, _int(0), "wait between retries"),
    _s("partitioner.class", "producer", None, _partitioner,
       "custom partitioner class (null: built-in uniform sticky, KIP-794)",
       lambda v: v or "", semantics=_P),
    _s("partitioner.ignore.keys", "producer", False, _bool,
       "partition keyed records as if keyless", _bool_render, semantics=_P),
    _s("partitioner.adaptive.partitioning.enable", "producer", True, _bool,
       "send more to faster brokers (KIP-794)", _bool_render),
    _s("partitioner.availability.timeout.ms", "producer", 0, _int(0),
       "skip partitions whose broker is this slow (KIP-794)"),
    _s("transactional.id", "producer", None, _optional_text,
       "enables transactions (KIP-98)", lambda v: v or "", semantics=_P),
    _s("transaction.timeout.ms", "producer", 60000, _int(1),
       "the coordinator aborts a transaction open longer than this"),
    _s("transaction.two.phase.commit.enable", "producer", False, _bool,
       "KIP-939 two-phase commit: prepared transactions survive timeouts and producer "
       "restarts (not modelled)", _bool_render, semantics=_P),
    # The two KIP-890 switches change what transactional producers get, and only them: a
    # model without transactional.id (itself not covered there) meets no difference.
    _s("transaction.version", "broker", 2, _int(0, 2),
       "KRaft feature level (kafka-features), not a config property: 2 is KIP-890 part 2 "
       "(an epoch bump per transaction, partitions added by the leader; from 4.0), 0 and 1 "
       "the earlier protocol"),
    # Replicas of __transaction_state (TransactionLogConfig; its topic is created once this
    # many brokers exist).  No role: a model without a transaction log is not affected, and
    # each model with one lists both (covered, or not covered by value).
    _s("transaction.state.log.replication.factor", "broker", 3, _int(1, 32767),
       "replicas of the transaction log, __transaction_state (its own topic: the data "
       "topics keep replication.factor)"),
    _s("transaction.state.log.min.isr", "broker", 2, _int(1),
       "min.insync.replicas of the transaction log"),
    # TransactionStateManager.validateTransactionTimeoutMs: InitProducerId refuses a larger
    # transaction.timeout.ms (INVALID_TRANSACTION_TIMEOUT, InvalidTxnTimeoutException).
    _s("transaction.max.timeout.ms", "broker", 900000, _int(1),
       "the largest transaction.timeout.ms a producer may ask for (InitProducerId refuses "
       "more)"),
    _s("transaction.partition.verification.enable", "broker", True, _bool,
       "a leader asks the transaction coordinator before a producer's first transactional "
       "write to a partition (KIP-890 part 1, from 3.6)", _bool_render),
    _s("bootstrap.servers", "producer", "", _text, "initial brokers"),
    _s("key.serializer", "producer", "", _text, "key serializer class"),
    _s("value.serializer", "producer", "", _text, "value serializer class"),
    _s("client.id", "producer", "", _text, "client name in logs and quotas"),
    _s("compression.type", "producer", "none", _text, "batch compression codec"),
    _s("buffer.memory", "producer", 33554432, _int(0), "accumulator memory"),
    _s("max.block.ms", "producer", 60000, _int(0), "send() blocks at most this long"),
    _s("max.request.size", "producer", 1048576, _int(0), "largest request"),
    # -- consumer (org.apache.kafka.clients.consumer.ConsumerConfig) ------------------
    _s("group.id", "consumer", None, _optional_text, "consumer group name",
       lambda v: v or ""),
    _s("group.instance.id", "consumer", None, _optional_text,
       "static membership id (KIP-345)", lambda v: v or "", semantics=_C),
    _s("group.protocol", "consumer", "classic", _choice("classic", "consumer"),
       "classic rebalance protocol or the KIP-848 consumer protocol", semantics=_C),
    _s("auto.offset.reset", "consumer", "latest", _offset_reset,
       "where to start without a valid committed offset", semantics=_C),
    _s("enable.auto.commit", "consumer", True, _bool,
       "commit positions in the background of poll()", _bool_render, semantics=_C),
    _s("auto.commit.interval.ms", "consumer", 5000, _int(0), "auto-commit period"),
    _s("max.poll.records", "consumer", 500, _int(1), "records returned by one poll()",
       semantics=_C),
    _s("max.poll.interval.ms", "consumer", 300000, _int(1),
       "a member that does not poll this long leaves the group"),
    _s("session.timeout.ms", "consumer", 45000, _int(1),
       "a member without heartbeats this long is removed (45 s since 3.0, KIP-735)"),
    _s("heartbeat.interval.ms", "consumer", 3000, _int(1), "heartbeat period"),
    _s("group.remote.assignor", "consumer", None, _optional_text,
       "KIP-848: the server-side assignor this member asks for (null: the broker's first "
       "group.consumer.assignors)", lambda v: v or ""),
    _s("partition.assignment.strategy", "consumer", ("range", "cooperative-sticky"),
       _assignors, "assignors in preference order", _assignors_render, semantics=_C),
    _s("isolation.level", "consumer", "read_uncommitted",
       _choice("read_uncommitted", "read_committed"), "read aborted transactions or not",
       semantics=_C),
    _s("client.rack", "consumer", "", _text, "rack of the consumer (KIP-881)"),
    # ConsumerInterceptor.onConsume may filter, change or add the records poll() returns
    # (positions still move past the dropped ones); ProducerInterceptor.onSend may change
    # the record sent (its key, partition, value).  What a plugin does is not modelled.
    _s("interceptor.classes", "client", (), _class_list,
       "ConsumerInterceptor / ProducerInterceptor plugins: they may drop or rewrite records",
       _assignors_render, semantics=_P + _C),
    _s("fetch.min.bytes", "consumer", 1, _int(0), "fetch waits for this much data"),
    _s("key.deserializer", "consumer", "", _text, "key deserializer class"),
    _s("value.deserializer", "consumer", "", _text, "value deserializer class"),
    # Read by KafkaShareConsumer only (KIP-932): set, the file is a share group's member,
    # whose acquisition locks and redeliveries no model represents.
    _s("share.acknowledgement.mode", "consumer", "implicit", _choice("implicit", "explicit"),
       "share consumer: records acknowledged by the next poll or by acknowledge() (KIP-932; "
       "ConsumerConfig)", semantics=_C),
    _s("share.acquire.mode", "consumer", "batch_optimized",
       _choice("batch_optimized", "record_limit"),
       "share consumer: how many records a fetch acquires (KIP-932; ConsumerConfig)",
       semantics=_C),
    # -- security, common to clients and brokers (CommonClientConfigs, SslConfigs,
    #    SaslConfigs): no effect on delivery semantics ---------------------------------
    _s("security.protocol", "client", "PLAINTEXT", _security_protocol,
       "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
    _s("sasl.mechanism", "client", "GSSAPI", _text, "SASL mechanism (PLAIN, SCRAM-..., ...)"),
    _s("sasl.jaas.config", "client", "", _text, "JAAS login module configuration"),
    _s("ssl.truststore.location", "client", "", _text, "trust store file"),
    _s("ssl.truststore.password", "client", "", _text, "trust store password"),
    _s("ssl.keystore.location", "client", "", _text, "key store file"),
    _s("ssl.keystore.password", "client", "", _text, "key store password"),
    _s("ssl.key.password", "client", "", _text, "private key password"),
    _s("ssl.endpoint.identification.algorithm", "client", "https", _text,
       "host name verification (https; empty turns it off)"),
    # -- Kafka Streams (StreamsConfig) and Connect (DistributedConfig) ----------------
    _s("processing.guarantee", "streams", "at_least_once",
       _choice("at_least_once", "exactly_once_v2", "exactly_once", "exactly_once_beta"),
       "exactly_once_v2: transactional producers and read_committed consumers (KIP-447; "
       "exactly_once and exactly_once_beta were removed in 4.0, KAFKA-12689)",
       semantics=(PRODUCER, CONSUMER)),
    _s("exactly.once.source.support", "connect", "disabled",
       _choice("disabled", "preparing", "enabled"),
       "exactly-once source connectors: transactional source task producers (KIP-618)",
       semantics=_P),
    _s("exactly.once.support", "connect", "requested", _choice("requested", "required"),
       "source connector: required fails validation unless the worker has exactly-once "
       "source support enabled and the connector declares it (KIP-618)"),
    _s("transaction.boundary", "connect", "poll", _choice("poll", "interval", "connector"),
       "source connector with exactly-once support: a transaction per poll() batch, per "
       "transaction.boundary.interval.ms, or where the connector says (KIP-618)",
       semantics=_P),
    _s("errors.tolerance", "connect", "none", _choice("none", "all"),
       "a connector task fails on a bad record (none) or skips it (all, KIP-298)",
       semantics=_C),
    _s("errors.deadletterqueue.topic.name", "connect", "", _text,
       "sink connectors: where errors.tolerance=all sends the records it skips (KIP-298)"),
    # A transformation (or its predicate) returning null drops the record and the worker
    # commits past it: WorkerSinkTask.convertMessages keeps its offset for the commit,
    # AbstractWorkerSourceTask.sendRecords calls recordDropped (KIP-66, KIP-585); a
    # transformation may change a record too.  Not modelled: any alias is not covered.
    _s("transforms", "connect", "", _aliases,
       "connector: the single message transformations applied to each record, by alias "
       "(KIP-66; one returning null drops the record)", semantics=(PRODUCER, CONSUMER)),
    _s("predicates", "connect", "", _aliases,
       "connector: the predicates deciding which records a transformation applies to, by "
       "alias (KIP-585)", semantics=(PRODUCER, CONSUMER)),
    _s("offset.flush.interval.ms", "connect", 60000, _int(0),
       "how often a worker commits its tasks' offsets (WorkerConfig)"),
    # Where a source task resumes after a crash: the source model keeps the offsets in a
    # topic of replication.factor replicas (KafkaOffsetBackingStore).
    # DistributedConfig: REPLICATION_FACTOR_VALIDATOR (TopicCreationConfig) refuses 0 and
    # below -1; before KIP-605 (2.6) atLeast(1), whence VALUE_SINCE's -1.
    _s("offset.storage.replication.factor", "connect", 3, _replication_factor,
       "replicas of the worker's source-offsets topic; -1: the broker default "
       "(DistributedConfig, KIP-605, 2.6)", semantics=_C),
    _s("offset.storage.file.filename", "connect", None, _optional_text,
       "standalone worker: source offsets in a local file (StandaloneConfig, "
       "FileOffsetBackingStore), not in an offsets topic", lambda v: v or "", semantics=_C),
    # -- Kafka Streams restore and error handling (StreamsConfig) ---------------------
    _s("num.standby.replicas", "streams", 0, _int(0),
       "standby tasks: a task fails over to an instance with a shadow copy of its store "
       "(StandbyTask) instead of restoring the changelog from scratch", semantics=_C),
    _s("enable.transactional.statestores", "streams", False, _bool,
       "under exactly_once_v2 the local store keeps uncommitted writes apart and survives "
       "a crash instead of being wiped and restored (KIP-892)", _bool_render, semantics=_C),
    # A handler answering CONTINUE skips the record and commits past it (KIP-161, KIP-210,
    # KIP-1033): the loss the Streams properties look for; the defaults fail the task.
    *_with_deprecated_name(_s(
        "production.exception.handler", "streams",
        "org.apache.kafka.streams.errors.DefaultProductionExceptionHandler", _text,
        "what a failed send does: fail the task or drop the record (KIP-210; "
        "RecordCollectorImpl)", semantics=_P), "default.production.exception.handler"),
    *_with_deprecated_name(_s(
        "deserialization.exception.handler", "streams",
        "org.apache.kafka.streams.errors.LogAndFailExceptionHandler", _text,
        "what an input record that fails to deserialize does: fail or skip (KIP-161; "
        "RecordDeserializer)", semantics=_C), "default.deserialization.exception.handler"),
    _s("processing.exception.handler", "streams",
       "org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler", _text,
       "what a record whose processing throws does: fail or skip (KIP-1033; "
       "ProcessorNode)", semantics=_C),
    # RecordQueue.updateHead drops a record whose extracted timestamp is negative and
    # commits past it (LogAndSkipOnInvalidTimestamp returns one; a class of the user's own
    # may); the default throws.
    _s("default.timestamp.extractor", "streams",
       "org.apache.kafka.streams.processor.FailOnInvalidTimestamp", _text,
       "each input record's timestamp; a negative one drops the record (RecordQueue."
       "updateHead)", semantics=_C),
    # KIP-1112: a class of the user's wraps every processor of the topology, and may drop
    # or change records, as a Connect transform may.
    _s("processor.wrapper.class", "streams",
       "org.apache.kafka.streams.processor.internals.NoOpProcessorWrapper", _text,
       "user code around every processor of the topology (KIP-1112; ProcessorWrapper)",
       semantics=(PRODUCER, CONSUMER)),
    # KIP-884: a class of the user's supplies every client of the application (the task
    # producer, the main and restore consumers; KafkaStreams, ActiveTaskCreator).
    _s("default.client.supplier", "streams",
       "org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier", _text,
       "user code that builds every Kafka client of the application (KIP-884; "
       "KafkaClientSupplier)", semantics=(PRODUCER, CONSUMER)),
)

SETTINGS: dict[str, Setting] = {s.name: s for s in _REGISTRY}

# Topic and broker settings that change what a consumer reads from a log (compaction,
# tiered storage; LogConfig, KIP-405), for models whose consumers read one.
LOG_SHAPE = ("cleanup.policy", "log.cleanup.policy", "remote.storage.enable")

# The KRaft quorum's own keys (QuorumConfig; KIP-853's dynamic quorum): only the controller
# model runs a quorum; the others take the controller's decisions as correct steps.
QUORUM_KEYS = ("controller.quorum.voters", "controller.quorum.bootstrap.servers",
               "controller.quorum.auto.join.enable")

# Log settings that change what a broker failure takes from a log, for models whose log
# is abstract (it loses nothing): not covered, as in the models that read some log
# setting (an unclean election truncates records consumers could read, KIP-106; a flush
# per message keeps what a power loss would take).  The replication factor and min ISR
# bring that fault instead (FAULT_BOUNDS): they only choose which broker faults lose records.
LOG_LOSS = ("unclean.leader.election.enable", "flush.messages", "log.flush.interval.messages")

# Settings whose value the models do not read but that decide how soon a fault comes that
# a model explores through a bound of its own (a retention of 1 ms deletes records almost
# at once; -1 deletes nothing): a run that leaves the bound at 0 must not call such a
# setting irrelevant.
# key -> (the bound, the fault in words)
FAULT_BOUNDS = {name: ("retention", "records deleted by retention") for name in (
    "retention.ms", "retention.bytes", "log.retention.ms", "log.retention.minutes",
    "log.retention.hours", "log.retention.bytes")} | {
    "offsets.retention.minutes": ("offset_expiries", "committed offsets expiring")} | {
    # A Connect source task's producer (Worker.baseProducerConfigs sets Integer.MAX_VALUE)
    # and a Streams producer: a finite timeout fails sends (the source model's expiries).
    key: ("expiries", "sends failed by the delivery timeout") for key in (
        "producer.delivery.timeout.ms", "producer.override.delivery.timeout.ms")}

FAULT_BOUNDS |= {
    # A model whose log is abstract explores no broker fault: how many replicas a topic has
    # and how many must have a write only decide which broker faults lose its records.
    key: ("broker_faults", "broker failures that lose records of the log they read (its "
          "replication settings decide which)") for key in (
        "replication.factor", "default.replication.factor", "min.insync.replicas",
        # the replication of the dead-letter topic a sink task writes (DeadLetterQueueReporter)
        "errors.deadletterqueue.topic.replication.factor")} | {
    # ControllerServer: with auto.leader.rebalance.enable (true by default) the controller
    # elects preferred leaders every leader.imbalance.check.interval.seconds
    # (QuorumController); such a move alone loses an acks=1 write.
    key: ("leader_changes", "preferred-leader elections") for key in (
        "auto.leader.rebalance.enable", "leader.imbalance.check.interval.seconds",
        "leader.imbalance.per.broker.percentage")} | {
    # Several log directories (JBOD): one can fail under a running broker (KIP-858,
    # ReplicationControlManager.handleDirectoriesOffline), a fault no model explores.
    "log.dirs": ("log_dir_failures", "a log directory failing under a running broker "
                 "(JBOD, KIP-858)"),
    # A connector's task count: a change of it is a new set of tasks, which under
    # exactly-once source support the leader fences first (Worker.fenceZombies, KIP-618).
    "tasks.max": ("task_count_changes", "task count changes (a reconfiguration; under "
                  "exactly-once source support, the leader's zombie fencing round, "
                  "Worker.fenceZombies)")}

# Timeouts a model reads whose value only times a fault (time is not modelled): given
# explicitly on a run whose bound leaves the fault out, the run says so (render).
# max.poll.interval.ms: a consumer slower than it leaves the group (KIP-62); session.timeout.ms:
# one without heartbeats that long is removed (ConsumerConfig).
TIMEOUT_FAULTS = {
    "max.poll.interval.ms": ("poll_timeouts", "poll timeout (zombie consumer)"),
    "session.timeout.ms": ("pauses", "paused consumer (session expiry)"),
    # KIP-848: the coordinator's own session timeout for consumer groups, and a group's
    # own value over it (GroupConfig consumer.session.timeout.ms, KIP-848).
    "group.consumer.session.timeout.ms": ("pauses", "paused consumer (session expiry)"),
    "consumer.session.timeout.ms": ("pauses", "paused consumer (session expiry)"),
    # TransactionCoordinator: a transaction running longer is aborted by the coordinator.
    "transaction.timeout.ms": ("timeouts", "the coordinator aborting a live transaction "
                               "(transaction.timeout.ms)"),
    # KIP-91 (2.1): a request past request.timeout.ms is sent again while the first may
    # still be appended later; a batch not acknowledged within delivery.timeout.ms fails
    # (RecordAccumulator.expiredBatches), in a transaction an abortable error.
    "request.timeout.ms": ("late_produces", "a produce request delayed past "
                           "request.timeout.ms, retried, and delivered late"),
    "delivery.timeout.ms": ("expiries", "sends failed by delivery.timeout.ms"),
    # Partition.getOutOfSyncReplicas: a follower not caught up for this long leaves the ISR.
    "replica.lag.time.max.ms": ("slow_followers", "a running follower leaving the ISR "
                                "(replica.lag.time.max.ms)"),
}


# A Connect source connector's own topic-creation groups (topic.creation.groups=g, KIP-158):
# topic.creation.g.* keys configure the topics the group's include pattern matches
# (TopicCreation.findFirstGroup), as topic.creation.default.* keys do the others.
_CREATION_GROUP = re.compile(r"topic\.creation\.(?!default\.)[^.]+\.")


def topic_key(key: str) -> str:
    """``key`` without a topic prefix (topic.retention.ms, topic.creation.g.retention.ms:
    retention.ms)."""
    found = _CREATION_GROUP.match(key)
    if found:
        return key[found.end():]
    prefix = max((p for p in TOPIC_PREFIXES if key.startswith(p)), key=len, default="")
    return key[len(prefix):]


def topic_prefixes(given: Mapping[str, Any]) -> tuple[str, ...]:
    """The prefixes of the topics ``given`` keys configure: "" (the topic the model reads
    or writes), TOPIC_PREFIXES, and each topic-creation group named in a key."""
    groups = {m.group(0) for k in given if (m := _CREATION_GROUP.match(k))}
    return ("", *TOPIC_PREFIXES, *sorted(groups))


def brings_fault(key: str, value: Any) -> bool:
    """Whether ``value`` of a FAULT_BOUNDS key brings its fault: a retention of -1 deletes
    nothing, auto.leader.rebalance.enable=false moves no leader, one log directory cannot
    fail alone."""
    text = str(value).strip()
    if FAULT_BOUNDS.get(topic_key(key), ("",))[0] == "retention":
        # KafkaConfig.logRetentionTimeMillis, LogConfig: any negative value is no limit.
        try:
            return int(text) >= 0
        except ValueError:
            return True
    if key == "log.dirs":
        return len([d for d in text.split(",") if d.strip()]) > 1
    if key == "auto.leader.rebalance.enable":
        return text.lower() != "false"
    return text != "-1"


# Prefixes by which a Streams application (StreamsConfig.TOPIC_PREFIX) and a Connect source
# connector (topic.creation.default., KIP-158) configure the topics they create.
TOPIC_PREFIXES = ("topic.", "topic.creation.default.")

# The same, for settings whose fault depends on the release: key -> ((first, end, bound,
# fault), ...), each for the releases first <= version < end.  Connect's Worker set the
# producer's request.timeout.ms to Integer.MAX_VALUE from 0.9 to 2.8 (KAFKA-12361 dropped
# it in 3.0, where the client's own default applies): before KIP-91 (2.1) RecordAccumulator
# expired a batch after request.timeout.ms; from 2.1 a request that times out is retried.
VERSIONED_FAULT_BOUNDS: dict[str, tuple[tuple[tuple[int, int], tuple[int, int], str, str],
                                        ...]] = {
    "producer.request.timeout.ms": (
        ((0, 0), (2, 1), "expiries", "batches expired by request.timeout.ms (before KIP-91)"),
        ((2, 1), (3, 0), "late_produces", "produce requests timed out and sent again "
         "(Connect's own request.timeout.ms is Integer.MAX_VALUE up to 2.8)")),
}


# Kafka's default retention: log.retention.hours=168, log.retention.bytes=-1.
DEFAULT_RETENTION = (168 * 3_600_000, -1)
RETENTION_KEYS = frozenset({"retention.ms", "retention.bytes", "log.retention.ms",
                            "log.retention.minutes", "log.retention.hours",
                            "log.retention.bytes"})


def effective_retention(given: Mapping[str, Any], prefix: str = ""
                        ) -> tuple[tuple[int, int], list[str]]:
    """The (time ms, bytes) retention a topic runs under ``given`` settings, and the keys that
    decide it: the topic's retention.ms and retention.bytes (under ``prefix``, for topics an
    application creates) over the broker's log.retention.ms, .minutes, .hours and .bytes,
    in that order (KafkaConfig.logRetentionTimeMillis, LogConfig); any negative value is
    -1, no limit."""
    def first(*keys: tuple[str, int]) -> tuple[int, str | None]:
        for key, unit in keys:
            if key in given:
                value = int(str(given[key]).strip())
                return (-1 if value < 0 else value * unit), key
        return -2, None

    time, time_key = first((prefix + "retention.ms", 1), ("log.retention.ms", 1),
                           ("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000))
    size, size_key = first((prefix + "retention.bytes", 1), ("log.retention.bytes", 1))
    time = DEFAULT_RETENTION[0] if time == -2 else time
    size = DEFAULT_RETENTION[1] if size == -2 else size
    # the keys that make it delete: a time or size limit given (not -1)
    return (time, size), [k for k, v in ((time_key, time), (size_key, size)) if k and v >= 0]


def retention_deletes(given: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the consumed topic's retention, as ``given`` settings make it, deletes
    anything (-1 for both time and size keeps every record), and the settings that decide
    so."""
    (time, size), _keys = effective_retention(given)
    named = [k for k in ("retention.ms", "log.retention.ms", "log.retention.minutes",
                         "log.retention.hours", "retention.bytes", "log.retention.bytes")
             if k in given]
    return time >= 0 or size >= 0, ", ".join(f"{k}={given[k]}" for k in named)


def retention_deciding(given: Mapping[str, Any], default_too: bool = True) -> set[str]:
    """The retention keys among ``given`` that make a topic (the consumed one, or one an
    application creates under a TOPIC_PREFIXES key) delete records, as the topic resolves
    them; with ``default_too`` False only where it deletes otherwise than Kafka's default
    (those whose deletions a run must explore to cover them)."""
    out: set[str] = set()
    for prefix in topic_prefixes(given):
        if prefix and not any(prefix + k in given for k in ("retention.ms", "retention.bytes")):
            continue
        (time, size), keys = effective_retention(given, prefix)
        if (time >= 0 or size >= 0) and (default_too or (time, size) != DEFAULT_RETENTION):
            out.update(keys)
    return out


def brings_fault_in(key: str, value: Any, given: Mapping[str, Any]) -> bool:
    """brings_fault, judged with the other ``given`` settings: a retention key only where it
    decides a deleting retention (a topic's retention.ms=-1 over the broker's hours), the
    leader-imbalance keys only where auto.leader.rebalance.enable is not false."""
    if topic_key(key) in RETENTION_KEYS:
        return key in retention_deciding(given)
    if key.startswith("leader.imbalance.") and str(
            given.get("auto.leader.rebalance.enable", "true")).strip().lower() == "false":
        return False
    return brings_fault(key, value)


# Fault bounds a setting's value does not bring, only shapes (which broker faults lose a
# record; tasks.max is a change of the count only when changed): a model that does not
# explore them notes the setting, as it does a timeout.
SHAPING_BOUNDS = ("broker_faults", "task_count_changes")


def unexplored_fault(key: str, value: Any, bounds: Mapping[str, Any],
                     version: tuple[int, ...]) -> tuple[str, str] | None:
    """The bound and fault of a setting whose ``value`` brings a fault (a retention that
    deletes, offsets that expire) that a run with these ``bounds`` leaves out (the bound at
    0, or no such bound): that value was not checked.  None otherwise."""
    found = fault_bound(key, version)
    if found is None or found[0] in SHAPING_BOUNDS or not brings_fault(key, value):
        return None
    return None if bounds.get(found[0]) else found


def fault_bound(key: str, version: tuple[int, ...]) -> tuple[str, str] | None:
    """The bound and fault a setting's value brings in this release (FAULT_BOUNDS,
    VERSIONED_FAULT_BOUNDS), or None."""
    if key in FAULT_BOUNDS:
        return FAULT_BOUNDS[key]
    if topic_key(key) in FAULT_BOUNDS:  # topic.retention.ms: the topics an application creates
        return FAULT_BOUNDS[topic_key(key)]
    for first, end, bound, fault in VERSIONED_FAULT_BOUNDS.get(key, ()):
        if first <= tuple(version[:2]) < end:
            return bound, fault
    return None


def roles_of(model_settings: tuple[str, ...]) -> set[str]:
    """The semantics (producer, consumer, log, controller) of the settings a model reads;
    every role for a model that reads none."""
    if not model_settings:
        return set(ROLES)
    return {role for name in model_settings for role in SETTINGS[name].semantics}


def concerned_roles(model_settings: tuple[str, ...], also: tuple[str, ...],
                    name: str) -> list[str]:
    """The semantics of setting ``name`` that concern a model reading ``model_settings``
    (all of them when ``also``, Model.also_changed_by, names it); empty: none."""
    semantics = SETTINGS[name].semantics
    if name in also:
        return list(semantics)
    roles = roles_of(model_settings)
    return [role for role in semantics if role in roles]


# Values that leave the choice to the broker's configuration, which no model reads: not
# covered by a model reading the setting (replication.factor=-1: default.replication.factor).
BROKER_DECIDES: dict[str, Any] = {"replication.factor": -1}


def uncovered(model_settings: tuple[str, ...], values: dict[str, Any],
              covered_values: dict[str, tuple[Any, ...]] | None = None,
              version: Version | None = None,
              also: tuple[str, ...] = ()) -> dict[str, Any]:
    """The semantics-changing settings in ``values`` a model reading ``model_settings`` does
    not cover: a setting of one of its roles it does not read, set to a value other than
    its default in Kafka ``version`` (default: the newest modelled), a setting of ``also``
    (Model.also_changed_by) so set, or a value outside ``covered_values`` of a setting it
    reads.

    A model reading no Kafka setting has every role: it covers none of them.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        setting = SETTINGS[name]
        if name in model_settings:
            allowed = (covered_values or {}).get(name)
            if (allowed is not None and value not in allowed) or names_custom_class(value) \
                    or (name in BROKER_DECIDES and value == BROKER_DECIDES[name]):
                out[name] = value
        elif concerned_roles(model_settings, also, name) and value != (
                setting.default if version is None else default_for(name, version)):
            out[name] = value
    return out


def lookup(name: str) -> Setting | None:
    """The Kafka setting called ``name``, or None if Kafka has no such key here."""
    return SETTINGS.get(name)


# Prefixes by which Kafka Streams and Connect hand a setting on to their own clients and
# the topics they create (StreamsConfig PRODUCER_PREFIX, the consumer prefixes and
# TOPIC_PREFIX; WorkerConfig producer. and consumer.; ConnectorConfig producer.override.
# and consumer.override., KIP-458; SourceConnectorConfig topic.creation.default., KIP-158).
CLIENT_PREFIXES = ("producer.", "consumer.", "main.consumer.", "restore.consumer.",
                   "global.consumer.", "producer.override.", "consumer.override.", "topic.",
                   "topic.creation.default.")


def setting_of(key: str) -> Setting | None:
    """The setting ``key`` names: itself, or the client setting after a client prefix
    (producer.override.acks: acks); None when neither is registered."""
    if key in SETTINGS:
        return SETTINGS[key]
    prefix = max((p for p in CLIENT_PREFIXES if key.startswith(p)), key=len, default="")
    return SETTINGS.get(key[len(prefix):]) if prefix else None


def render(name: str, value: Any) -> str:
    """Print a parsed value the way a .properties file would hold it."""
    setting = SETTINGS.get(name)
    return setting.render(value) if setting else str(value)


def render_uncovered(name: str, value: Any) -> str:
    """Print a value of a run's not-covered settings, which the registry parsed also when
    ``name`` carries a client prefix (producer.override.acks=-1: all)."""
    setting = setting_of(name)
    return setting.render(value) if setting else str(value)


# Defaults that changed between releases: (first release with the value, value), oldest
# first.  Each line names where the change is recorded.
VERSION_DEFAULTS: dict[str, tuple[tuple[Version, Any], ...]] = {
    # KIP-890 part 2: transaction.version 2 is on for clusters from 4.0 (docs "Transaction
    # Protocol": "automatically enabled on the server since Apache Kafka 4.0").
    "transaction.version": (((0, 10), 0), ((4, 0), 2)),
    # KIP-890 part 1 (3.6): transaction.partition.verification.enable, default true.
    "transaction.partition.verification.enable": (((0, 10), False), ((3, 6), True)),
    # KIP-106 (0.11): unclean leader election off by default (KafkaConfig, 0.10.2 vs 0.11.0).
    "unclean.leader.election.enable": (((0, 10), True), ((0, 11), False)),
    # KIP-91 (2.1): retries default Integer.MAX_VALUE, bounded by delivery.timeout.ms.
    "retries": (((0, 10), 0), ((2, 1), INT_MAX)),
    # KIP-679 (3.0): acks=all and enable.idempotence=true by default (ProducerConfig 3.0.0).
    "acks": (((0, 10), 1), ((3, 0), -1)),
    "enable.idempotence": (((0, 10), False), ((3, 0), True)),
    # KAFKA-13023 (3.0, KIP-726): [RangeAssignor] -> [RangeAssignor,
    # CooperativeStickyAssignor]; the group still rebalances eagerly with range.
    "partition.assignment.strategy": (((0, 10), ("range",)),
                                      ((3, 0), ("range", "cooperative-sticky"))),
    # KIP-186 (2.0): offsets.retention.minutes 1 day -> 7 days (KafkaConfig 1.1 vs 2.0).
    "offsets.retention.minutes": (((0, 10), 1440), ((2, 0), 10080)),
    # KIP-537 (2.5): replica.lag.time.max.ms 10 s -> 30 s (KafkaConfig 2.4 vs 2.5).
    "replica.lag.time.max.ms": (((0, 10), 10000), ((2, 5), 30000)),
    # KIP-735 (3.0): session.timeout.ms 10 s -> 45 s.
    "session.timeout.ms": (((0, 10), 10000), ((3, 0), 45000)),
    # KIP-1030 / KAFKA-16368 (4.0): linger.ms 0 -> 5.
    "linger.ms": (((0, 10), 0), ((4, 0), 5)),
    # KIP-966: Eligible Leader Replicas exist from 4.0 (off), on for clusters formatted by
    # 4.1 or later (docs "Eligible Leader Replicas").
    "eligible.leader.replicas.version": (((0, 10), 0), ((4, 1), 1)),
    # KIP-794 (3.3): partitioner.class null (the built-in partitioner) replaces
    # DefaultPartitioner as the default (ProducerConfig 3.2.0 vs 3.3.0).
    "partitioner.class": (((0, 10), "org.apache.kafka.clients.producer.internals."
                           "DefaultPartitioner"), ((3, 3), None)),
}


# Settings Kafka added after 0.10: (first release, where it is recorded).  Kafka ignores a
# key it does not define (AbstractConfig.logUnused: "supplied but isn't a known config"), so
# a model reading one set for an older release would check a feature that release lacks;
# ``absent_in`` refuses such a value unless it is what the release does anyway.
SINCE: dict[str, tuple[Version, str]] = {
    "enable.idempotence": ((0, 11), "KIP-98"),
    "transactional.id": ((0, 11), "KIP-98"),
    "transaction.timeout.ms": ((0, 11), "KIP-98"),
    "transaction.max.timeout.ms": ((0, 11), "KIP-98"),
    "isolation.level": ((0, 11), "KIP-98"),
    "group.initial.rebalance.delay.ms": ((0, 11), "KIP-134"),
    "errors.tolerance": ((2, 0), "KIP-298"),
    "errors.deadletterqueue.topic.name": ((2, 0), "KIP-298"),
    "delivery.timeout.ms": ((2, 1), "KIP-91"),
    "group.instance.id": ((2, 3), "KIP-345"),
    "replica.selector.class": ((2, 4), "KIP-392"),
    "partitioner.ignore.keys": ((3, 3), "KIP-794"),
    "partitioner.adaptive.partitioning.enable": ((3, 3), "KIP-794"),
    "partitioner.availability.timeout.ms": ((3, 3), "KIP-794"),
    "exactly.once.source.support": ((3, 3), "KIP-618"),
    "exactly.once.support": ((3, 3), "KIP-618"),
    "transaction.boundary": ((3, 3), "KIP-618"),
    "producer.id.expiration.ms": ((3, 4), "KIP-854"),
    "transaction.partition.verification.enable": ((3, 6), "KIP-890"),
    "group.protocol": ((3, 7), "KIP-848"),
    "group.remote.assignor": ((3, 7), "KIP-848"),
    "processing.exception.handler": ((3, 9), "KIP-1033"),
    "controller.quorum.bootstrap.servers": ((3, 9), "KIP-853"),
    # KafkaConfig.ProcessRolesProp: absent at 2.7.0, defined at 2.8.0.
    "process.roles": ((2, 8), "KIP-631"),
    # Read in Maven Central's jars and sources jars of each release, 3.9.0 to 4.4.0 (their
    # ConfigDefs: QuorumConfig, ProducerConfig, ConsumerConfig, StreamsConfig).
    "controller.quorum.auto.join.enable": ((4, 2), "KIP-853's auto-join"),
    "transaction.two.phase.commit.enable": ((4, 1), "KIP-939"),
    "share.acknowledgement.mode": ((4, 1), "KIP-932"),
    "share.acquire.mode": ((4, 2), "KIP-932's acquire modes"),
    "enable.transactional.statestores": ((4, 4), "KIP-892"),
    # KIP-1056: the handlers' names without the "default." prefix (3.9 reads only those
    # with it).
    "production.exception.handler": ((4, 0), "KIP-1056"),
    "deserialization.exception.handler": ((4, 0), "KIP-1056"),
    "processor.wrapper.class": ((4, 0), "KIP-1112"),
    "default.client.supplier": ((3, 5), "KIP-884"),
}

# Values of a list or choice setting that arrived later than the setting itself.
VALUE_SINCE: dict[tuple[str, str], tuple[Version, str]] = {
    ("partition.assignment.strategy", "sticky"): ((0, 11), "KIP-54"),
    ("partition.assignment.strategy", "cooperative-sticky"): ((2, 4), "KIP-429"),
    # StreamsConfig: 2.6-2.8 call the same protocol exactly_once_beta (not modelled).
    ("processing.guarantee", "exactly_once_v2"): ((3, 0), "KIP-732"),
    ("processing.guarantee", "exactly_once"): ((0, 11), "KIP-129"),
    ("processing.guarantee", "exactly_once_beta"): ((2, 6), "KIP-447"),
    # DistributedConfig: -1 (the broker's default.replication.factor) from KIP-605.
    ("offset.storage.replication.factor", "-1"): ((2, 6), "KIP-605"),
    # CreateTopics without a replica count (-1: default.replication.factor), KIP-464.
    ("replication.factor", "-1"): ((2, 4), "KIP-464"),
    # A key ending in ':' stands for every value with that prefix.
    ("auto.offset.reset", "by_duration:"): ((4, 0), "KIP-1106"),
    ("partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner"):
        ((2, 4), "KAFKA-3333"),
    ("partitioner.class", "org.apache.kafka.clients.producer.UniformStickyPartitioner"):
        ((2, 4), "KIP-480"),
    # 3.9 has no EligibleLeaderReplicasVersion (kafka-server-common 3.9.0 Features).
    ("eligible.leader.replicas.version", "1"): ((4, 0), "KIP-966"),
}

# Feature levels a release has only as unstable ones: (name, level) -> (first release where
# it is a production level, why).  Features.fromFeatureLevel refuses a level above
# latestProduction() unless unstable.feature.versions.enable (kafka-storage format,
# kafka-features): not a cluster anyone runs in production.
PRODUCTION_LEVEL_SINCE: dict[tuple[str, str], tuple[Version, str]] = {
    **{("transaction.version", level): (
        (4, 0), "KIP-890, TransactionVersion: Kafka 3.9's latest production level is 0, "
        "and 1 and 2 run only with unstable.feature.versions.enable; releases before 3.9 "
        "have no transaction.version") for level in ("1", "2")},
}

# Keys Kafka removed: key -> (first release without it, why and what to use instead).  A
# release ignores a key it does not define (AbstractConfig.logUnused), so a value other than
# the old default asks for a behaviour that release no longer has.
KEY_UNTIL: dict[str, tuple[Version, str]] = {
    # ZkConfigs: zookeeper.connect is in KafkaConfig up to 3.9.x, gone from 4.0.0.
    "zookeeper.connect": ((4, 0), "ZooKeeper mode was removed in Kafka 4.0 (KIP-833, KIP-500): "
                          "set process.roles for KRaft, or check a ZooKeeper cluster with "
                          "its own --kafka-version (3.9 or earlier)"),
}


def _list_items(value: Any) -> list[str]:
    """A LIST's items: the catalogue's parse (config._catalogue_value), or its split of
    the trimmed text."""
    from kafkacheck.catalogue import list_items

    if isinstance(value, list):
        return [str(item) for item in value]
    return list_items(str(value))


def _non_empty_list(value: Any) -> str | None:
    """ConfigDef.ValidList.anyNonDuplicateValues(false, false) on a LIST's trimmed text."""
    items = _list_items(value)
    if not items:
        return "must not be empty"
    if "" in items:
        return "its values must not be empty"
    return _distinct_items(value)


def _distinct_items(value: Any) -> str | None:
    """No item twice: ConfigDef.ValidList from 4.2 (KIP-1161), KafkaConfig.parseProcessRoles
    always."""
    items = _list_items(value)
    return "its values must not be duplicated" if len(set(items)) < len(items) else None


# Values a release's own validator refuses though earlier releases took them: key -> (first
# release refusing, the check, where it is recorded).  Only a value given to a model's
# application is judged (config.build_config): the models' default (bootstrap.servers
# unset: "") is not, nor an admin client's (AdminClientConfig still takes an empty list).
REFUSED_SINCE: dict[str, tuple[Version, Callable[[Any], str | None], str]] = {
    # ProducerConfig, ConsumerConfig, StreamsConfig and WorkerConfig 4.2.0: required, no
    # default, a non-empty list (3.9-4.1: producer and consumer default "").
    "bootstrap.servers": ((4, 2), _non_empty_list,
                          "required: a non-empty list without duplicates in ProducerConfig, "
                          "ConsumerConfig, StreamsConfig and WorkerConfig; KIP-1161"),
    # KafkaConfig.parseProcessRoles (2.8-4.2): "Duplicate role names found in process.roles".
    "process.roles": ((2, 8), _distinct_items, "KafkaConfig.parseProcessRoles"),
    # ConfigDef.ValidList.in refuses an item twice from 4.2 (KIP-1161; LogConfig,
    # GroupCoordinatorConfig define these with it).
    "cleanup.policy": ((4, 2), _distinct_items, "ConfigDef.ValidList; KIP-1161"),
    "log.cleanup.policy": ((4, 2), _distinct_items, "ConfigDef.ValidList; KIP-1161"),
    "group.coordinator.rebalance.protocols": ((4, 2), _distinct_items,
                                              "ConfigDef.ValidList; KIP-1161"),
}


def refused_in(name: str, value: Any, version: Version) -> str | None:
    """Why Kafka ``version``'s validator refuses ``value`` for ``name`` (REFUSED_SINCE);
    None if it takes it."""
    rule = REFUSED_SINCE.get(name)
    if rule is None or version < rule[0]:
        return None
    why = rule[1](value)
    return None if why is None else (f"{why} in Kafka {version_text(version)} (from "
                                     f"{version_text(rule[0])} {rule[2]})")


# A key an application defines apart from the client key of the same name, with values of
# its own: (key, model) -> (first release, its values, where it is recorded).  StreamsConfig
# has its own group.protocol from 4.1 (CaseInsensitiveValidString of classic and streams;
# KIP-1071); the streams rebalance protocol is not modelled, so streams is not covered.
APPLICATION_VALUES: dict[tuple[str, str], tuple[Version, tuple[str, ...], str]] = {
    ("group.protocol", "streams"): ((4, 1), ("classic", "streams"), "KIP-1071, StreamsConfig"),
}


def application_value(name: str, model: str, text: str, version: Version) -> str | None:
    """The value of key ``name`` as model ``model``'s application reads it in Kafka
    ``version`` (APPLICATION_VALUES), lower-cased; None when the key is the client's there.
    SettingError for a value that application refuses, AbsentInRelease for its own value
    asked for in a release before the application had it."""
    from kafkacheck.catalogue import java_trim

    rule = APPLICATION_VALUES.get((name, model))
    if rule is None:
        return None
    since, values, where = rule
    value = java_trim(text).lower()
    if version >= since:
        if value not in values:
            raise SettingError(f"invalid value {text!r} for {name}: must be one of: "
                               f"{', '.join(values)} (Kafka Streams' own {name} from "
                               f"{version_text(since)}, {where})")
        return value
    if value in values:
        try:
            SETTINGS[name].value_of(text)  # the client's value too (classic): not refused
        except SettingError:
            raise AbsentInRelease(f"{name}={value} does not exist in Kafka "
                                  f"{version_text(version)} (Kafka Streams' own {name} "
                                  f"arrived in {version_text(since)}, {where})") from None
    return None


# Values Kafka removed: (first release without it, where it is recorded).
VALUE_UNTIL: dict[tuple[str, str], tuple[Version, str]] = {
    ("partitioner.class", "org.apache.kafka.clients.producer.internals.DefaultPartitioner"):
        ((4, 0), "KAFKA-18262"),
    ("partitioner.class", "org.apache.kafka.clients.producer.UniformStickyPartitioner"):
        ((4, 0), "KAFKA-18262"),
    # LogConfig took flush.messages >= 0 until KAFKA-12613 (3.3) made it >= 1; 0 flushed
    # every append, as 1 does (UnifiedLog: unflushed messages >= flush.messages).
    ("flush.messages", "0"): ((3, 3), "KAFKA-12613"),
    ("processing.guarantee", "exactly_once"): ((4, 0), "KAFKA-12689"),
    ("processing.guarantee", "exactly_once_beta"): ((4, 0), "KAFKA-12689"),
}


def absent_in(name: str, value: Any, version: Version) -> str | None:
    """Why ``name`` (set to ``value``) does not exist in Kafka ``version``; None if it does."""
    until = KEY_UNTIL.get(name)
    if until is not None and version >= until[0] and value != default_for(name, version):
        return f"{name} does not exist in Kafka {version_text(version)}: {until[1]}"
    since = SINCE.get(name)
    # A value that is the release's own behaviour (isolation.level=read_uncommitted in
    # 0.10, a derived configuration's defaults) changes nothing: only others are refused.
    if since is not None and version < since[0] and value != default_for(name, version):
        return (f"{name} does not exist in Kafka {version_text(version)} ({since[1]} arrived "
                f"in {version_text(since[0])}; that release ignores the key)")
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, bool) or not isinstance(item, str | int):
            continue
        item = str(item)  # the tables name values as Kafka reads them: text
        prefix = item.split(":", 1)[0] + ":"
        since = VALUE_SINCE.get((name, item), VALUE_SINCE.get((name, prefix)))
        if since is not None and version < since[0]:
            return (f"{name}={item} does not exist in Kafka {version_text(version)} "
                    f"({since[1]} arrived in {version_text(since[0])})")
        until = VALUE_UNTIL.get((name, item))
        if until is not None and version >= until[0]:
            return (f"{name}={item} does not exist in Kafka {version_text(version)} "
                    f"(removed in {version_text(until[0])} by {until[1]})")
        production = PRODUCTION_LEVEL_SINCE.get((name, item))
        if production is not None and version < production[0]:
            return (f"{name}={item} is not a production feature level of Kafka "
                    f"{version_text(version)} (production from "
                    f"{version_text(production[0])}; {production[1]})")
    return None


# Feature levels (kafka-features.sh, KIP-584): a release's default level is set only when a
# cluster is formatted by it; a cluster upgraded from an earlier release keeps level 0
# until an operator upgrades the feature.
FEATURE_LEVELS = ("eligible.leader.replicas.version", "transaction.version")


def feature_level_assumed(name: str, explicit: frozenset[str], value: Any,
                          release: str) -> str | None:
    """The assumption behind a feature level left at its release's non-zero default."""
    if name not in FEATURE_LEVELS or name in explicit or not value:
        return None
    since = VERSION_DEFAULTS[name][-1][0]  # the release that formats clusters with it on
    return (f"assumed as Kafka {release}'s default for clusters formatted by "
            f"{version_text(since)} or later: a cluster upgraded from an earlier release "
            f"keeps 0 until kafka-features.sh upgrades it (check it with --set {name}=0)")


def default_for(name: str, version: Version) -> Any:
    """The default of setting ``name`` in Kafka release ``version``."""
    value = SETTINGS[name].default
    for since, changed in VERSION_DEFAULTS.get(name, ()):
        if version >= since:
            value = changed
    return value
