"""`kafkacheck review` reads the model's one definition of a producer or topic rule.

The duplication audit (findings 1, 2, 4, 5, 6, 7) found review re-deriving rules the models
hold: the acks an idempotent producer runs with, the effective min.insync.replicas
(KAFKA-15583, 3.7), the defaults its fix candidates compare with, the releases the KIP-848
model covers, the release the idempotence default takes effect in, and a catalogue default
its own validator refused.  Each test states what review must do.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kafkacheck import catalogue, review
from kafkacheck.config import UsageError, build_config
from kafkacheck.model import registry, versions
from kafkacheck.model import settings as kafka_settings

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "replication.factor=3\nmin.insync.replicas=2\n"
CLIENT = "bootstrap.servers=b:9092\nkey.serializer=x\nvalue.serializer=y\n"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _plan(tmp_path: Path, producer: str | None, topic: str | None, release: str,
          consumer: str | None = None):
    specs = []
    if producer is not None:
        specs.append(f"producer:{_write(tmp_path, 'producer.properties', CLIENT + producer)}")
    if topic is not None:
        specs.append(f"topic:{_write(tmp_path, 'topic.properties', topic)}")
    if consumer is not None:
        specs.append(f"consumer:{_write(tmp_path, 'consumer.properties', consumer)}")
    return review.plan(review.load_files(specs, release), versions.parse(release), release)


def _guarantee(guarantees, key):
    return next(g for g in guarantees if g.key == key)


def _check(g, release: str, seconds: float = 60.0):
    g.result = review._run_check(g, g.settings, seconds, release)
    return review._verdict(g.result)[0]


# -- finding 1: the acks Kafka puts in force ---------------------------------------------


@pytest.mark.parametrize("release", ["0.11", "1.0", "2.8"])
def test_an_idempotent_producer_without_acks_is_checked_with_the_acks_all_kafka_gives_it(
        tmp_path, release):
    # ProducerConfig.maybeOverrideAcksAndRetries (KafkaProducer.configureAcks before 2.8):
    # enable.idempotence=true with acks unset runs with acks=all, though the default is 1.
    guarantees, _ = _plan(tmp_path, "enable.idempotence=true\n", TOPIC, release)
    replication = [g for g in guarantees if g.model in ("replication", "controller")]
    assert replication
    for g in replication:
        assert g.settings["acks"] == "all"
        assert ("acks", "all") not in g.candidates
        assert (f"acks not set in the producer file: Kafka {release} runs it with acks=all, "
                "not the default acks=1, because idempotence is on (ProducerConfig "
                "overrides an unset acks)") in g.assumptions


def test_the_producer_settings_review_assumes_are_those_effective_idempotence_puts_in_force():
    # One definition: review's reading of a producer file is the producer model's
    # effective_idempotence (ProducerConfig's overrides), never a rule of its own.
    from kafkacheck.model.clients.producer import effective_idempotence

    cls = registry.model_class("producer")
    for release in ("0.11", "2.8", "3.0", "3.0.1", "4.4"):
        for given in ([], [("enable.idempotence", "true")], [("enable.idempotence", "false")],
                      [("transactional.id", "tx")]):
            config = build_config(cls, settings=given, kafka_version=release)
            enabled, _error, _note, overrides = effective_idempotence(config)
            seen = review.producer_in_effect(dict(given), release)
            assert seen["acks"] == kafka_settings.render(
                "acks", overrides.get("acks", config.kafka["acks"]))
            assert seen["enable.idempotence"] == ("true" if enabled else "false")
    assert review.producer_in_effect({"enable.idempotence": "true"}, "2.8")["acks"] == "all"
    assert review.producer_in_effect({}, "3.0")["enable.idempotence"] == "false"
    assert review.producer_in_effect({}, "3.0.1")["enable.idempotence"] == "true"


def test_an_idempotent_producer_on_kafka_2_8_keeps_acknowledged_writes_through_a_crash(
        tmp_path):
    # Was: [VIOLATED] with acks=1 and the fix "set acks=all", contradicting the producer
    # guarantee's own "in effect: acks=all" in the same review.
    guarantees, _ = _plan(tmp_path, "enable.idempotence=true\n", TOPIC, "2.8")
    crash = _guarantee(guarantees, "acked-writes-survive-crash")
    assert _check(crash, "2.8") == review.HOLDS
    assert crash.result.model.config.kafka_text()["acks"] == "all"


def test_a_producer_without_idempotence_on_kafka_2_8_is_still_checked_with_acks_1(tmp_path):
    guarantees, _ = _plan(tmp_path, "", TOPIC, "2.8")
    crash = _guarantee(guarantees, "acked-writes-survive-crash")
    assert "acks" not in crash.settings and ("acks", "all") in crash.candidates
    assert "acks not set in the producer file: Kafka 2.8's default acks=1" in crash.assumptions


# -- finding 2: min.insync.replicas above the replicas, per release -------------------------


def test_the_producer_guarantee_checks_the_topics_min_insync_replicas_as_the_file_gives_it(
        tmp_path):
    # No clamp to replication.factor: before 3.7 (no effective min ISR, KAFKA-15583) every
    # acks=all write fails, so no duplicate can be written (review said VIOLATED, with the
    # fix enable.idempotence=true); from 3.7 the model applies 2 and finds the duplicate.
    # Whether 3.6's unwritable topic reads as a (vacuous) holds or as not covered is the
    # producer model's own rule, as for the replication model (refused_writes).
    producer = "acks=all\nenable.idempotence=false\n"
    topic = "replication.factor=2\nmin.insync.replicas=3\n"
    verdicts = {}
    for release in ("3.6", "3.7"):
        guarantees, _ = _plan(tmp_path, producer, topic, release)
        g = _guarantee(guarantees, "producer-exactly-once-order")
        assert g.settings["min.insync.replicas"] == "3"
        verdicts[release] = _check(g, release)
        assert g.result.model.config.kafka_text()["min.insync.replicas"] == "3"
    assert verdicts["3.6"] in (review.HOLDS, review.NOT_COVERED)
    assert verdicts["3.7"] == review.VIOLATED


@pytest.mark.parametrize("topic,checked,note", [
    ("replication.factor=5\nmin.insync.replicas=4\n", "3",
     "min.insync.replicas 4 checked as 3 with the 3 replicas"),
    ("replication.factor=4\nmin.insync.replicas=5\n", "5", None),
])
def test_a_topic_above_three_replicas_keeps_whether_its_min_insync_replicas_can_be_met(
        tmp_path, topic, checked, note):
    # The producer model runs at most 3 replicas: a min ISR the real replicas meet stays
    # one the three meet; one above the real replicas stays above (the model's rule).
    guarantees, _ = _plan(tmp_path, "acks=all\n", topic, "3.6")
    g = _guarantee(guarantees, "producer-exactly-once-order")
    assert g.settings["replication.factor"] == "3"
    assert g.settings["min.insync.replicas"] == checked
    assert (note in g.assumptions) if note else not any("checked as 3 with" in a
                                                        for a in g.assumptions)


# -- finding 4: fix candidates against the values in force --------------------------------


@pytest.mark.thorough  # 4 s: a review with its fix re-checks
def test_on_kafka_3_0_0_the_fix_for_duplicates_is_enable_idempotence_true(tmp_path):
    # 3.0.0 defaults enable.idempotence to true but applies it only when set (KAFKA-13598,
    # fixed in 3.0.1): review compared with the default and proposed nothing.
    guarantees, _ = _plan(tmp_path, "", TOPIC, "3.0")
    g = _guarantee(guarantees, "producer-exactly-once-order")
    assert ("enable.idempotence", "true") in g.candidates
    assert _check(g, "3.0") == review.VIOLATED
    review._search_fix(g, time.monotonic() + 120, 1, "3.0")
    assert g.fix == [("enable.idempotence", "true")]


def test_on_kafka_3_0_1_idempotence_is_in_effect_so_it_is_no_candidate(tmp_path):
    guarantees, _ = _plan(tmp_path, "", TOPIC, "3.0.1")
    g = _guarantee(guarantees, "producer-exactly-once-order")
    assert ("enable.idempotence", "true") not in g.candidates


def test_on_kafka_0_10_the_fix_for_a_crash_is_unclean_leader_election_enable_false(tmp_path):
    # unclean.leader.election.enable defaulted to true before 0.11 (KIP-106); review
    # compared with a literal "false" and proposed nothing.
    guarantees, _ = _plan(tmp_path, "acks=all\n", TOPIC, "0.10")
    crash = _guarantee(guarantees, "acked-writes-survive-crash")
    assert crash.candidates == [("unclean.leader.election.enable", "false")]
    assert _check(crash, "0.10") == review.VIOLATED
    review._search_fix(crash, time.monotonic() + 120, 1, "0.10")
    assert crash.fix == [("unclean.leader.election.enable", "false")]


# -- finding 5: the KIP-848 model says which releases it covers --------------------------


KIP848 = "group.id=g\nkey.deserializer=x\nvalue.deserializer=y\ngroup.protocol=consumer\n"


@pytest.mark.parametrize("release,rules", [("4.1", "4.0"), ("4.3", "CoordinatorRules")])
def test_a_kip848_consumer_is_checked_on_the_group_consumer_model_of_its_release(
        tmp_path, release, rules):
    guarantees, not_covered = _plan(tmp_path, None, None, release, consumer=KIP848)
    assert not_covered == []
    assert {g.key: g.model for g in guarantees} == {"consumer-at-least-once": "group-consumer",
                                                    "one-owner": "group-consumer"}
    owners = _guarantee(guarantees, "one-owner")
    assert _check(owners, release) == review.HOLDS
    model_rules = owners.result.model.rules
    assert (type(model_rules).__name__ if rules == "CoordinatorRules"
            else model_rules.name) == rules


def test_a_kip848_consumer_before_kafka_4_0_is_not_covered_with_the_models_reason(tmp_path):
    # Kafka 3.7 takes group.protocol=consumer (early access): the model runs, and its
    # result is not covered, with the model's reason (ConsumerProtocolGroupModel
    # .uncovered_reason), never a verdict.
    cls = registry.model_class("group-consumer")
    config = build_config(cls, settings=[("group.protocol", "consumer")], kafka_version="3.7")
    assert config.uncovered == {"group.protocol": "consumer"}
    assert cls.uncovered_reason("group.protocol", "consumer").startswith(
        "before Kafka 4.0 the consumer protocol was early access or preview")
    guarantees, not_covered = _plan(tmp_path, None, None, "3.7", consumer=KIP848)
    assert not_covered == []
    owners = _guarantee(guarantees, "one-owner")
    assert owners.model == "group-consumer"
    assert _check(owners, "3.7") == review.NOT_COVERED


def test_the_readme_no_longer_limits_the_kip848_review_to_kafka_4_4():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Kafka 4.4's coordinator; other releases: not covered" not in readme


# -- finding 6: the idempotence default takes effect in 3.0.1, 3.1.1 and 3.2 ----------------


def test_the_releases_with_a_fix_are_read_from_versions_fixes():
    assert kafka_settings.releases_with_fix("KAFKA-13598") == "3.0.1, 3.1.1 and 3.2"
    assert kafka_settings.releases_with_fix("KAFKA-6119") == "0.11.0.2 and 1.0"
    assert kafka_settings.releases_with_fix("KAFKA-18688") == "4.0.1 and 4.1"
    for name in ("3.0.1", "3.1.1", "3.2"):
        assert versions.has_fix(name, "KAFKA-13598")
    for name in ("3.0", "3.1"):
        assert not versions.has_fix(name, "KAFKA-13598")


def test_the_enable_idempotence_doc_says_where_the_default_takes_effect():
    doc = kafka_settings.SETTINGS["enable.idempotence"].doc
    assert "in effect from 3.0.1, 3.1.1 and 3.2, KAFKA-13598" in doc
    assert "(default since 3.0)" not in doc


def test_the_seed_claims_say_the_idempotence_default_takes_effect_from_3_0_1():
    report = (ROOT / "reports" / "seed-claims.md").read_text(encoding="utf-8")
    assert "`enable.idempotence=true` (the default since 3.0)" not in report
    assert "Idempotence (the default since Kafka 3.0" not in report
    assert report.count("in effect from 3.0.1, 3.1.1 and 3.2, KAFKA-13598") == 2


# -- finding 7: a catalogue default passes its own validator, as in Kafka's ConfigDef ---------


def _catalogue_keys():
    raw = json.loads((Path(catalogue.__file__).parent / "kafka-4.4.json").read_text())
    for section, data in raw["roles"].items():
        for name, entry in data["keys"].items():
            yield section, name, catalogue.KeyDef(name, entry["type"], entry.get("default"),
                                                  entry.get("valid"))


def test_every_catalogue_default_parses_under_its_own_validator():
    # ConfigDef.ConfigKey runs validator.ensureValid(name, defaultValue) when a key is
    # defined: Kafka cannot ship a default its validator refuses.
    refused = []
    for section, name, definition in _catalogue_keys():
        if definition.default is None:
            continue
        try:
            catalogue.parse_value(definition, definition.default)
        except ValueError as exc:
            refused.append(f"{section} {name}={definition.default!r}: {exc}")
    assert refused == []


@pytest.mark.parametrize("value", ["BATCH_OPTIMIZED", "batch_optimized", "Record_Limit"])
def test_share_acquire_mode_takes_its_values_in_any_case_as_kafkas_validator_does(
        tmp_path, value):
    # ShareAcquireMode.Validator: ShareAcquireMode.of upper-cases the name.
    consumer = _write(tmp_path, "c.properties", "group.id=g\nkey.deserializer=x\n"
                      f"value.deserializer=y\nshare.acquire.mode={value}\n")
    files = review.load_files([consumer])
    assert files[0].role == "consumer"


def test_share_acquire_mode_still_refuses_a_value_kafka_refuses(tmp_path):
    consumer = _write(tmp_path, "c.properties", "group.id=g\nkey.deserializer=x\n"
                      "value.deserializer=y\nshare.acquire.mode=fastest\n")
    with pytest.raises(UsageError, match="share.acquire.mode"):
        review.load_files([consumer])


def test_a_one_replica_topic_is_checked_on_one_broker_not_two(tmp_path, capsys):
    # With replication.factor=1 there is no B2 to elect: the isolated leader keeps the only
    # replica and is re-elected after the heal with its log (KIP-841 keeps the last ISR).
    producer = tmp_path / "p.properties"
    producer.write_text("acks=1\n")
    topic = tmp_path / "t.properties"
    topic.write_text("replication.factor=1\n")
    from kafkacheck.cli import main

    main(["review", str(producer), f"topic:{topic}"])
    out = capsys.readouterr().out
    assert out.count("[HOLDS] A leader cut off from the controller") == 1
    cut_off = out.split("A leader cut off from the controller")[1].split("\n[")[0]
    assert "bounds brokers=1," in cut_off
