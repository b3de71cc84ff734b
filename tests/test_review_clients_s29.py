"""`review` of consumer files: the hazards a holding one-owner check rests on are named
(session 29's client review)."""

from __future__ import annotations

import json

from kafkacheck.cli import main

CONSUMER = ("key.deserializer=a.B\nvalue.deserializer=a.B\ngroup.id=billing\n"
            "group.instance.id=billing-0\nenable.auto.commit=false\n")


def test_a_static_member_names_the_duplicate_instance_it_does_not_explore(tmp_path, capsys):
    # KIP-345: a second process with the same group.instance.id takes the member's
    # partitions without a rebalance; the first is fenced only at its next request.
    (tmp_path / "c.properties").write_text(CONSUMER)
    main(["review", str(tmp_path / "c.properties"), "--json", "--no-fix"])
    data = json.loads(capsys.readouterr().out)
    owner = next(g for g in data["guarantees"] if g["id"] == "one-owner")
    assert any("no second process runs with the same group.instance.id" in a
               and "--bound duplicate_instances=1" in a for a in owner["assumptions"])
    assert "a second process with the same group.instance.id" in \
        owner["fault_model"]["not_explored"]


def _files(tmp_path, **texts: str) -> list[str]:
    out = []
    for name, text in texts.items():
        role, _, stem = name.rpartition("_")
        (tmp_path / f"{stem}.properties").write_text(text)
        out.append(f"{role}:{tmp_path / f'{stem}.properties'}" if role
                   else str(tmp_path / f"{stem}.properties"))
    return out


TOPIC = "replication.factor=3\nmin.insync.replicas=2\n"


def test_a_streams_exactly_once_file_with_acks_1_is_refused_as_kafka_refuses_it(tmp_path,
                                                                                 capsys):
    # Was VIOLATED with a counterexample: Streams sets enable.idempotence=true under
    # exactly_once_v2, so the KafkaProducer refuses acks=1 and the application never starts.
    files = _files(tmp_path, s=("application.id=app\nbootstrap.servers=x:9092\n"
                                "processing.guarantee=exactly_once_v2\nacks=1\n"),
                   topic_t=TOPIC)
    assert main(["review", *files]) == 2
    assert "Must set acks to all in order to use the idempotent producer" in \
        capsys.readouterr().err


def test_a_connector_override_the_workers_policy_refuses_is_an_error_and_a_sink_has_none(
        tmp_path, capsys):
    worker = ("bootstrap.servers=x:9092\ngroup.id=connect\nconfig.storage.topic=c\n"
              "offset.storage.topic=o\nstatus.storage.topic=s\nkey.converter=a.B\n"
              "value.converter=a.B\nconnector.client.config.override.policy=None\n")
    source = ("name=src\nconnector.class=org.apache.kafka.connect.file."
              "FileStreamSourceConnector\nproducer.override.acks=1\ntopic=orders\n")
    files = _files(tmp_path, w=worker, k=source, topic_t=TOPIC)
    assert main(["review", *files]) == 2
    assert "policy=None does not allow producer.override.acks" in capsys.readouterr().err
    # A sink connector without a dead-letter queue runs no producer: its override is not
    # the acks anything writes the topic with.
    sink = ("name=snk\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\n"
            "topics=orders\nproducer.override.acks=0\n")
    main(["review", *_files(tmp_path, k=sink, topic_t=TOPIC), "--json", "--no-fix"])
    data = json.loads(capsys.readouterr().out)
    crash = next(g for g in data["guarantees"] if g["id"] == "acked-writes-survive-crash")
    assert crash["settings"].get("acks") != "0"


def test_an_assignor_short_name_in_a_file_is_refused_as_kafka_cannot_load_it(tmp_path,
                                                                             capsys):
    # Was HOLDS: `check --set` takes range and RangeAssignor; a consumer's file holds class
    # names (ConsumerPartitionAssignor.getAssignorInstances loads each one).
    for value in ("range", "RangeAssignor"):
        files = _files(tmp_path, c=("key.deserializer=a.B\nvalue.deserializer=a.B\n"
                                    f"group.id=g\npartition.assignment.strategy={value}\n"))
        assert main(["review", *files]) == 2
        assert (f"Kafka cannot load class {value!r} (ConsumerPartitionAssignor"
                ".getAssignorInstances): give its class name, "
                "org.apache.kafka.clients.consumer.RangeAssignor") in capsys.readouterr().err
