"""Wrong greens of `kafkacheck review` found by the audit10 adversarial audit.

Each test states what review must do; each was a wrong green (a holds, or an assumption
left unsaid) until fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkacheck import review


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _producer(tmp_path: Path, acks: str = "all") -> str:
    return _write(tmp_path, "producer.properties",
                  f"acks={acks}\nkey.serializer=x\nvalue.serializer=y\n")


def _plan(specs: list[str], version: str = "4.4"):
    from kafkacheck.model import versions

    return review.plan(review.load_files(specs), versions.parse(version))


def test_power_loss_with_replication_factor_4_before_elr_is_not_reported_holding(tmp_path):
    # Kafka 3.9 (no ELR), rf=4, min.insync.replicas=2, acks=all: the ISR shrinks to
    # the leader after an acknowledged write, the leader loses power and is elected
    # again with an empty log (12 steps, two records).  Review checks rf > 3 with one
    # record only and reports HOLDS.
    topic = _write(tmp_path, "topic.properties", "replication.factor=4\nmin.insync.replicas=2\n")
    guarantees, _ = _plan([_producer(tmp_path), f"topic:{topic}"], "3.9")
    power = next(g for g in guarantees if g.key == "acked-writes-survive-power-loss")
    result = review._run_check(power, power.settings, 60.0, "3.9")
    verdict, _why = review._verdict(result)
    assert verdict != review.HOLDS


def test_min_insync_replicas_of_every_broker_file_is_checked(tmp_path):
    # Each broker builds its default LogConfig from its own server.properties
    # (LogManager: config.extractLogConfigMap) and a leader checks acks=all against its
    # own min.insync.replicas (Partition.appendRecordsToLeader): the weakest broker
    # decides.  Review reads only the first broker file.
    b1 = _write(tmp_path, "b1.properties",
                "process.roles=broker\nnode.id=1\nmin.insync.replicas=2\n"
                "default.replication.factor=3\n")
    b2 = _write(tmp_path, "b2.properties",
                "process.roles=broker\nnode.id=2\nmin.insync.replicas=1\n"
                "default.replication.factor=3\n")
    guarantees, not_covered = _plan([_producer(tmp_path), b1, b2])
    power = [g for g in guarantees if g.key.startswith("acked-writes-survive-power-loss")]
    weakest_checked = power and all(g.settings.get("min.insync.replicas") == "1"
                                    for g in power)
    named = any("min.insync.replicas" in why for _what, why in not_covered)
    assert weakest_checked or named


@pytest.mark.parametrize("name,text", [
    ("streams.properties", "application.id=app\nbootstrap.servers=k:9092\nproducer.acks=1\n"),
    ("worker.properties", "bootstrap.servers=k:9092\ngroup.id=connect\n"
                          "offset.storage.topic=o\nconfig.storage.topic=c\n"
                          "status.storage.topic=s\nproducer.acks=1\n"),
    ("connector.properties", "connector.class=com.example.Source\n"
                             "producer.override.acks=1\n"),
], ids=["streams-producer.acks", "connect-worker-producer.acks",
        "connector-producer.override.acks"])
def test_acks_of_a_streams_or_connect_producer_is_not_assumed_to_be_the_default(
        tmp_path, name, text):
    # StreamsConfig.getProducerConfigs and Connect's Worker.baseProducerConfigs pass
    # producer.acks (and a connector's producer.override.acks) to the producer that
    # writes the topic; review plans the replication guarantees with "acks not given:
    # default acks=all" and reports them HOLDS.
    app = _write(tmp_path, name, text)
    topic = _write(tmp_path, "topic.properties", "replication.factor=3\nmin.insync.replicas=2\n")
    guarantees, _ = _plan([app, f"topic:{topic}"])
    replication = [g for g in guarantees if g.model in ("replication", "controller")]
    assert all(g.settings.get("acks") == "1" for g in replication)


def test_a_connect_worker_without_producer_acks_writes_with_acks_all_in_every_release(
        tmp_path):
    # Worker.baseProducerConfigs sets acks=all (1.0 to 4.x) over the client default, which
    # was acks=1 before 3.0: review assumed acks=1 on 2.8 and advised a producer file.
    worker = _write(tmp_path, "worker.properties",
                    "bootstrap.servers=k:9092\ngroup.id=connect\noffset.storage.topic=o\n"
                    "config.storage.topic=c\nstatus.storage.topic=s\n")
    topic = _write(tmp_path, "topic.properties", "replication.factor=3\nmin.insync.replicas=2\n")
    guarantees, _ = _plan([worker, f"topic:{topic}"], "2.8")
    replication = [g for g in guarantees if g.model in ("replication", "controller")]
    assert replication and all(g.settings.get("acks") == "all" for g in replication)


def test_power_loss_holding_on_kafka_4_4_states_that_elr_must_be_enabled(tmp_path):
    # eligible.leader.replicas.version=1 only on clusters formatted with Kafka 4.1+ or
    # upgraded with kafka-features.sh; an upgraded cluster keeps it at 0 and then loses
    # an acknowledged write on power loss (the 11-step trace of Kafka 3.9).  The holds
    # must say it rests on that.
    topic = _write(tmp_path, "topic.properties", "replication.factor=3\nmin.insync.replicas=2\n")
    guarantees, _ = _plan([_producer(tmp_path), f"topic:{topic}"])
    power = next(g for g in guarantees if g.key == "acked-writes-survive-power-loss")
    assert any("eligible.leader.replicas.version" in a for a in power.assumptions)


def test_markdown_shows_the_assumptions_a_holding_guarantee_rests_on(tmp_path):
    # With enable.auto.commit=false the at-least-once holds only if the application
    # commits after processing; text and JSON say so, the pull-request comment does not.
    consumer = _write(tmp_path, "consumer.properties",
                      "group.id=g\nkey.deserializer=x\nvalue.deserializer=y\n"
                      "enable.auto.commit=false\nauto.offset.reset=earliest\n")
    result = review.run(review.load_files([consumer]), max_seconds=30, fix_search=False)
    at_least_once = next(g for g in result.guarantees if g.key == "consumer-at-least-once")
    assert at_least_once.verdict == review.HOLDS
    assert "commitSync()" in review.markdown(result)


def test_size_based_retention_is_explored_even_with_time_retention_off(tmp_path):
    # retention.ms=-1 keeps segments forever by time, but retention.bytes still deletes
    # the oldest ones (UnifiedLog.deleteOldSegments): records the group has not read can go.
    consumer = _write(tmp_path, "consumer.properties",
                      "group.id=g\nkey.deserializer=x\nvalue.deserializer=y\n"
                      "auto.offset.reset=earliest\n")
    topic = _write(tmp_path, "topic.properties", "retention.ms=-1\nretention.bytes=1073741824\n")
    guarantees, _ = _plan([consumer, f"topic:{topic}"])
    at_least_once = next(g for g in guarantees if g.key == "consumer-at-least-once")
    assert at_least_once.bounds["retention"] == 1
    forever = _write(tmp_path, "forever.properties", "retention.ms=-1\n")
    guarantees, _ = _plan([consumer, f"topic:{forever}"])
    at_least_once = next(g for g in guarantees if g.key == "consumer-at-least-once")
    assert at_least_once.bounds["retention"] == 0


def test_review_names_a_fault_its_check_never_injected(tmp_path):
    # replication.factor=1: no other replica can take leadership, so the check of
    # "survive leader elections ... and lost produce responses" never moves a leader.
    # Review printed "leader move x1" beside HOLDS, in text, JSON and markdown alike.
    topic = _write(tmp_path, "topic.properties", "replication.factor=1\n")
    result = review.run(review.load_files([_producer(tmp_path), f"topic:{topic}"]), 60.0)
    checked = [g for g in result.guarantees if g.result is not None]
    assert checked
    for g in checked:
        assert "leader move" not in dict(g.result.fault_model.explored)
    entries = {e["id"]: e for e in review.as_json(result)["guarantees"]}
    elections = [e for e in entries.values()
                 if "leader move" in e.get("fault_model", {}).get("never_injected", ())]
    assert elections
    assert all("leader move" not in e["fault_model"]["explored"] for e in entries.values()
               if "fault_model" in e)
    assert "leader move x" not in review.text(result)
    assert "leader move x" not in review.markdown(result)
