"""A result of a model that stands for a specification or a textbook protocol is headed
with what it checked, never "Kafka 4.4": its HOLDS is the specification's, not Kafka's
(the kip848-spec's NoDoubleClientAssignment holds where Kafka's KIP-848 group has two
owners for a while, preset group-consumer-stale-reconciliation)."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main


@pytest.mark.parametrize(("model", "subject"), [
    ("kip848-spec", "the TLA+ specification consumer_group_protocol_kip_848_v2.tla, not a "
                    "Kafka release"),
    ("kafka-spec", "the TLA+ specification KafkaReplication.tla (and its variants), not a "
                   "Kafka release"),
    ("twophase", "the textbook two-phase commit protocol, not Kafka")])
def test_a_specification_is_not_headed_as_a_kafka_release(capsys, model, subject):
    main(["check", model, "--max-states", "100", "--no-diagram"])
    head = capsys.readouterr().out.splitlines()[0]
    assert f"- model {model} (bfs), {subject}" in head
    assert "Kafka 4.4" not in head


def test_a_kafka_model_is_headed_with_its_release(capsys):
    main(["check", "replication", "--kafka-version", "3.9", "--max-states", "100",
          "--no-diagram"])
    assert capsys.readouterr().out.splitlines()[0].endswith("- model replication (bfs), "
                                                            "Kafka 3.9")
