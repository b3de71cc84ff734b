"""Group settings Kafka refuses, alone or together, before a consumer ever reads a record.

A check under them would answer for a consumer (or a broker) that never runs: Kafka throws
ConfigException or IllegalArgumentException when the consumer is built, refuses to start the
broker, or answers every JoinGroup with a fatal error.  The group models return these as
their validate_config problem (a one-line usage error), never a verdict.
"""

from __future__ import annotations

from typing import Any

# KIP-345 (2.3, KAFKA-7862) raised group.max.session.timeout.ms from 5 to 30 minutes.
_CLASSIC_MAX_SESSION = (((0, 10), 300000), ((2, 3), 1800000))

# ConsumerConfig.CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS (KAFKA-17338, 4.0): classic-only
# client keys that the consumer refuses to be built with under group.protocol=consumer.
CLASSIC_ONLY_KEYS = ("partition.assignment.strategy", "heartbeat.interval.ms",
                     "session.timeout.ms")

# What a whole-file review passes on to these checks: consumer keys outside a group
# model's settings, and the broker keys each protocol's group is checked against (those
# classic_problem and consumer_protocol_problem read, and the broker keys among the group
# models' settings).
CLIENT_KEYS = (*CLASSIC_ONLY_KEYS, "group.remote.assignor")
CLASSIC_BROKER_KEYS = ("group.min.session.timeout.ms", "group.max.session.timeout.ms",
                       "group.coordinator.rebalance.protocols",
                       "group.initial.rebalance.delay.ms",
                       "group.max.size")  # a member past it is refused (group_size_uncovered)
CONSUMER_BROKER_KEYS = ("group.coordinator.rebalance.protocols",
                        "group.consumer.session.timeout.ms",
                        "group.consumer.heartbeat.interval.ms",
                        "group.consumer.min.session.timeout.ms",
                        "group.consumer.max.session.timeout.ms",
                        "group.consumer.min.heartbeat.interval.ms",
                        "group.consumer.max.heartbeat.interval.ms",
                        # the default server assignor: the list's first entry
                        # (GroupMetadataManager.defaultConsumerGroupAssignor, KIP-848)
                        "group.consumer.assignors",
                        "group.consumer.max.size")
BROKER_KEYS = tuple(dict.fromkeys((*CLASSIC_BROKER_KEYS, *CONSUMER_BROKER_KEYS)))
# The broker keys a group model's checks read, by model name.
GROUP_BROKER_KEYS = {"group": CLASSIC_BROKER_KEYS, "group-consumer": CONSUMER_BROKER_KEYS}

# GroupCoordinatorConfig defaults of the KIP-848 broker ranges (Kafka 4.x).
_CONSUMER_GROUP_RANGES = {
    "group.consumer.session.timeout.ms": ("group.consumer.min.session.timeout.ms", 45000,
                                          "group.consumer.max.session.timeout.ms", 60000),
    "group.consumer.heartbeat.interval.ms": ("group.consumer.min.heartbeat.interval.ms", 5000,
                                             "group.consumer.max.heartbeat.interval.ms", 15000),
}


def _is_set(config: Any, name: str) -> bool:
    """Set in the configuration to a non-blank value (ConsumerConfig reads originals())."""
    if name not in config.explicit:
        return False
    value = config.setting(name, None)
    return value is not None and str(value).strip() != ""


_LEGAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _instance_id_problem(config: Any) -> str | None:
    """GroupRebalanceConfig refuses a group.instance.id that is not a legal topic-like name
    (JoinGroupRequest.validateGroupInstanceId, Topic.validate: 1 to 249 of [a-zA-Z0-9._-],
    not '.' or '..'): InvalidConfigurationException when the consumer is built."""
    if "group.instance.id" not in config.explicit:
        return None
    value = config.setting("group.instance.id")
    if value is None:
        return None  # blank: dynamic membership
    if value in (".", "..") or len(value) > 249 or not set(value) <= _LEGAL:
        return (f"InvalidConfigurationException: group.instance.id {value!r} is invalid (1 to "
                "249 of the characters a-z A-Z 0-9 . _ -, not '.' or '..')")
    return None


def _rebalance_protocols_problem(config: Any, protocol: str) -> str | None:
    """The broker's group.coordinator.rebalance.protocols against the group's protocol:
    without classic the broker does not start (KafkaConfig.groupCoordinatorRebalanceProtocols);
    without consumer ConsumerGroupHeartbeat answers UNSUPPORTED_VERSION, fatal to the client
    (KafkaApis.isConsumerGroupProtocolEnabled)."""
    value = config.not_modelled.get("group.coordinator.rebalance.protocols")
    if value is None:
        return None
    enabled = {part.strip().lower() for part in str(value).split(",")}
    if "classic" not in enabled:
        return ("broker config: group.coordinator.rebalance.protocols must include classic "
                "(ConfigException: disabling the classic protocol is not supported)")
    if protocol not in enabled:
        return (f"group.protocol={protocol} with group.coordinator.rebalance.protocols="
                f"{value}: the broker answers ConsumerGroupHeartbeat with UNSUPPORTED_VERSION "
                "and the consumer stops")
    return None


def classic_problem(config: Any) -> str | None:
    """Why a classic-protocol consumer group never runs under these settings, or None.

    Heartbeat's constructor (from 0.10.1) refuses heartbeat.interval.ms >= session.timeout.ms;
    the coordinator answers a JoinGroup whose session.timeout.ms is outside
    [group.min.session.timeout.ms, group.max.session.timeout.ms] with INVALID_SESSION_TIMEOUT,
    fatal to the consumer (GroupCoordinatorService.joinGroup, AbstractCoordinator); from 3.9
    ConsumerConfig.checkGroupRemoteAssignor refuses group.remote.assignor (KAFKA-15773).
    """
    # Keys and assignors a release does not have yet: settings.absent_in (build_config).
    problem = _instance_id_problem(config) or _rebalance_protocols_problem(config, "classic")
    if problem:
        return problem
    session = config.kafka["session.timeout.ms"]
    heartbeat = config.setting("heartbeat.interval.ms", 3000)
    if heartbeat >= session:
        return (f"IllegalArgumentException: heartbeat.interval.ms={heartbeat} must be lower "
                f"than session.timeout.ms={session} (the classic consumer is never built)")
    low = config.setting("group.min.session.timeout.ms", 6000)
    high_default = next(v for since, v in reversed(_CLASSIC_MAX_SESSION)
                        if config.version >= since)
    high = config.setting("group.max.session.timeout.ms", high_default)
    if not low <= session <= high:
        return (f"INVALID_SESSION_TIMEOUT: session.timeout.ms={session} is outside the "
                f"broker's group.min.session.timeout.ms={low} .. group.max.session.timeout.ms="
                f"{high}: every JoinGroup fails and the consumer stops (set the broker range "
                "too if it differs)")
    if config.version >= (3, 9) and _is_set(config, "group.remote.assignor"):
        return ("ConfigException: group.remote.assignor cannot be set when "
                "group.protocol=CLASSIC")
    return None


def consumer_protocol_problem(config: Any) -> str | None:
    """Why a KIP-848 consumer group (Kafka 4.x) never runs under these settings, or None.

    The broker must enable the consumer protocol (group.coordinator.rebalance.protocols);
    ConsumerConfig refuses the classic-only keys under group.protocol=consumer (KAFKA-17338);
    the broker refuses to start with a consumer-group session timeout or heartbeat interval
    outside its min/max, or a heartbeat interval not below the session timeout
    (GroupCoordinatorConfig, KAFKA-17618).
    """
    problem = _instance_id_problem(config) or _rebalance_protocols_problem(config, "consumer")
    if problem:
        return problem
    given = [key for key in CLASSIC_ONLY_KEYS if _is_set(config, key)]
    if given and config.version >= (4, 0):  # KAFKA-17338 (4.0): 3.7 to 3.9 accept them
        return (f"ConfigException: {', '.join(given)} cannot be set when "
                "group.protocol=CONSUMER (the coordinator assigns and times sessions: "
                "group.remote.assignor, group.consumer.session.timeout.ms, "
                "group.consumer.heartbeat.interval.ms)")
    values = {}
    for name, (low_name, low_default, high_name, high_default) in \
            _CONSUMER_GROUP_RANGES.items():
        value = values[name] = config.setting(name, None)
        low = config.setting(low_name, low_default)
        high = config.setting(high_name, high_default)
        if value < low:
            return f"broker config: {name}={value} must be at least {low_name}={low}"
        if value > high:
            return f"broker config: {name}={value} must be at most {high_name}={high}"
    heartbeat = values["group.consumer.heartbeat.interval.ms"]
    session = values["group.consumer.session.timeout.ms"]
    if heartbeat >= session:
        return (f"broker config: group.consumer.heartbeat.interval.ms={heartbeat} must be "
                f"less than group.consumer.session.timeout.ms={session}")
    # A group's own values (GroupConfig, KIP-848) must lie in the same ranges: the broker
    # refuses the config change (GroupConfig.validateValues, InvalidConfigurationException).
    for name, (low_name, low_default, high_name, high_default) in \
            _CONSUMER_GROUP_RANGES.items():
        own = name.replace("group.consumer.", "consumer.", 1)
        if own not in config.explicit:
            continue
        value = int(str(config.setting(own)).strip())
        low = config.setting(low_name, low_default)
        high = config.setting(high_name, high_default)
        if not low <= value <= high:
            return (f"InvalidConfigurationException: the group config {own}={value} must be "
                    f"within {low_name}={low} and {high_name}={high} (GroupConfig)")
    return None
