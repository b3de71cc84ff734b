"""Every key Kafka 4.4 defines is known, parsed as Kafka parses it, and placed in its role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kafkacheck import catalogue
from kafkacheck.catalogue import KeyDef, java_integer, parse_value, suggest

CAT = catalogue.load()


def test_the_catalogue_is_generated_from_kafka_4_4_and_says_where_it_came_from():
    raw = json.loads((Path(catalogue.__file__).parent / "kafka-4.4.json").read_text())
    assert raw["kafka_version"] == "4.4.0"
    assert "tools/kafka_catalogue.py" in raw["source"]
    assert raw["roles"]["producer"]["from"].endswith("ProducerConfig#configDef")
    # The counts Kafka 4.4.0's ConfigDefs hold (a regenerated file changes them knowingly).
    counts = {role: len(data["keys"]) for role, data in raw["roles"].items()}
    assert counts == {"producer": 120, "consumer": 120, "admin": 95, "topic": 38,
                      "broker": 381, "connect-distributed": 138, "connect-standalone": 52,
                      "connect-sink": 24, "connect-source": 24, "streams": 79}


@pytest.mark.parametrize("role,key,kind,default", [
    ("producer", "acks", "STRING", "all"),
    ("producer", "enable.idempotence", "BOOLEAN", "true"),
    ("producer", "linger.ms", "LONG", "5"),
    ("producer", "sasl.jaas.config", "PASSWORD", None),
    ("producer", "ssl.truststore.location", "STRING", None),
    ("consumer", "enable.auto.commit", "BOOLEAN", "true"),
    ("consumer", "session.timeout.ms", "INT", "45000"),
    ("consumer", "group.protocol", "STRING", "classic"),
    ("topic", "min.insync.replicas", "INT", "1"),
    ("topic", "unclean.leader.election.enable", "BOOLEAN", "false"),
    ("broker", "default.replication.factor", "INT", "1"),
    ("broker", "super.users", "STRING", ""),
    ("connect-worker", "exactly.once.source.support", "STRING", "disabled"),
    ("connector", "errors.tolerance", "STRING", "none"),
    ("streams", "processing.guarantee", "STRING", "at_least_once"),
])
def test_kafka_keys_have_their_kafka_types_and_defaults(role, key, kind, default):
    definition = CAT.keys(role)[key]
    assert (definition.type, definition.default) == (kind, default)


@pytest.mark.parametrize("role,key,kind", [
    ("producer", "acks", "kafka"),
    ("producer", "schema.registry.url", "third-party"),
    ("producer", "value.subject.name.strategy", "third-party"),
    ("producer", "confluent.monitoring.interceptor.topic", "third-party"),
    ("consumer", "spring.json.trusted.packages", "third-party"),
    ("producer", "config.providers.file.class", "kafka-prefix"),
    ("broker", "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "kafka-prefix"),
    ("streams", "producer.acks", "kafka-prefix"),
    ("streams", "bootstrap.servers", "kafka"),
    ("connector", "consumer.override.max.poll.records", "kafka-prefix"),
    ("connector", "connection.url", "connector-specific"),
    ("producer", "min.insync.replicas", "misplaced"),
    ("producer", "group.id", "misplaced"),
    ("producer", "linger.sm", "unknown"),
    ("streams", "producer.acksx", "unknown"),
])
def test_each_key_is_classified_for_the_role_of_its_file(role, key, kind):
    assert CAT.classify(role, key).kind == kind


def test_a_misplaced_key_names_the_roles_that_define_it():
    info = CAT.classify("producer", "min.insync.replicas")
    assert set(info.roles) == {"topic", "broker"}


@pytest.mark.parametrize("typo,meant", [
    ("linger.sm", "linger.ms"),
    ("ack", "acks"),
    ("enable.idempotance", "enable.idempotence"),
    ("auto.offset.rest", "auto.offset.reset"),
    ("min_insync_replicas", "min.insync.replicas"),
    ("idempotence.enable", "enable.idempotence"),
])
def test_did_you_mean_finds_the_intended_key(typo, meant):
    assert suggest(typo, CAT.all_names()) == meant


@pytest.mark.parametrize("name", ["schema.registry.urls", "my.company.flag", "foo", "x"])
def test_did_you_mean_stays_silent_rather_than_guess_far(name):
    # The old difflib matcher answered 'did you mean group.protocol?' for such keys.
    assert suggest(name, CAT.all_names()) is None


def test_role_is_worked_out_from_the_keys():
    assert CAT.infer_role(["bootstrap.servers", "acks", "key.serializer"])[0] == "producer"
    assert CAT.infer_role(["bootstrap.servers", "group.id"])[0] == "consumer"
    assert CAT.infer_role(["retention.ms", "cleanup.policy", "partitions"])[0] == "topic"
    assert CAT.infer_role(["process.roles", "listeners"])[0] == "broker"
    assert CAT.infer_role(["application.id", "bootstrap.servers"])[0] == "streams"
    assert CAT.infer_role(["connector.class", "tasks.max"])[0] == "connector"
    role, why = CAT.infer_role(["bootstrap.servers", "security.protocol"])
    assert role is None and "ROLE:FILE" in why


INT = KeyDef("x", "INT", "0")
LONG = KeyDef("x", "LONG", "0", "[1,...]")
SHORT = KeyDef("x", "SHORT", "0")


@pytest.mark.parametrize("definition,text,value", [
    (INT, "3", 3), (INT, " +3\t", 3), (INT, "-2147483648", -2147483648),
    (INT, "\u0663", 3),  # Character.digit accepts every Unicode decimal digit
    (LONG, "9223372036854775807", 2**63 - 1),
    (KeyDef("b", "BOOLEAN", "true"), " TRUE ", True),
    (KeyDef("d", "DOUBLE", "0.5"), "1e3", 1000.0),
    (KeyDef("d", "DOUBLE", "0.5"), "2.5f", 2.5),
    (KeyDef("l", "LIST", ""), "a , b,c", ["a", "b", "c"]),
    (KeyDef("s", "STRING", "all", "[all, -1, 0, 1]"), "all", "all"),
    (KeyDef("s", "STRING", "x", "(case insensitive) [FULL, INCREMENTAL]"), "full", "full"),
])
def test_values_parse_as_kafka_configdef_parses_them(definition, text, value):
    assert parse_value(definition, text) == value


@pytest.mark.parametrize("definition,text,reason", [
    (INT, "0_3", "Not a number of type INT"),  # Python's int() accepts it; Java does not
    (INT, "3 3", "Not a number of type INT"),
    (INT, "2147483648", "Not a number of type INT"),
    (SHORT, "40000", "Not a number of type SHORT"),
    (LONG, "0", "at least 1"),
    (INT, "\u00a03", "Not a number of type INT"),  # String.trim() keeps a no-break space
    (KeyDef("b", "BOOLEAN", "true"), "yes", "true or false"),
    (KeyDef("d", "DOUBLE", "0.5"), "1_0", "DOUBLE"),
    (KeyDef("s", "STRING", "all", "[all, -1, 0, 1]"), "ALL", "must be one of"),
    (KeyDef("c", "CLASS", None), "not a class", "class name"),
])
def test_values_kafka_rejects_are_rejected_with_its_reason(definition, text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_value(definition, text)


def test_java_integer_keeps_to_the_width_of_the_type():
    assert java_integer("32767", 16) == 32767
    with pytest.raises(ValueError):
        java_integer("32768", 16)


def test_a_key_whose_values_differ_by_role_is_accepted_when_any_role_accepts_it():
    assert CAT.parse_anywhere("compression.type", "producer") == "producer"  # topic value
    with pytest.raises(ValueError):
        CAT.parse_anywhere("compression.type", "bogus")
