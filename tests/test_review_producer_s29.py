"""`review` of a producer file: the faults its settings bring are explored, never passed
over (session 29's producer review: four wrong greens)."""

from __future__ import annotations

import json

import pytest

from kafkacheck.cli import main
from kafkacheck.testing import check, make_model

SERDE = "key.serializer=a.B\nvalue.serializer=a.B\n"
RF3 = "replication.factor=3\nmin.insync.replicas=2\nflush.messages=1\n"


def _review(tmp_path, capsys, producer: str, topic: str | None = None,
            version: str = "4.0", fix: bool = True) -> dict:
    (tmp_path / "p.properties").write_text(producer + SERDE)
    files = [str(tmp_path / "p.properties")]
    if topic is not None:
        (tmp_path / "t.properties").write_text(topic)
        files.append(f"topic:{tmp_path / 't.properties'}")
    main(["review", "--kafka-version", version, *files, "--json",
          *([] if fix else ["--no-fix"])])
    return json.loads(capsys.readouterr().out)


def _guarantee(data: dict, key: str) -> dict:
    return next(g for g in data["guarantees"] if g["id"] == key)


@pytest.mark.thorough  # slow (session 32's 10-minute budget)
def test_a_follower_leaving_the_isr_lets_the_default_idempotent_producer_write_twice(
        tmp_path, capsys):
    # Was HOLDS (exit 0): with two retries and an empty partition the epoch bump after
    # OUT_OF_ORDER_SEQUENCE_NUMBER never happened (the producer-idempotent-epoch-bump
    # preset, reproduced on Kafka 4.4 in reports/conformance.md).
    data = _review(tmp_path, capsys, "acks=all\nenable.idempotence=true\n", RF3)
    retries = _guarantee(data, "producer-exactly-once-order")
    assert retries["verdict"] == "violated"
    assert retries["bounds"]["retry_budget"] == 3 and retries["bounds"]["foreign_records"] == 1
    assert retries["fix"] == {"max.in.flight.requests.per.connection": "1"}


def test_a_delivery_timeout_past_the_producer_state_expiry_is_explored(tmp_path, capsys):
    # Was HOLDS: the brokers drop an idle producer's state after producer.id.expiration.ms
    # (one day); a producer retrying longer than that writes a retry as a new record.
    data = _review(tmp_path, capsys, "delivery.timeout.ms=2147483647\n", fix=False)
    retries = _guarantee(data, "producer-exactly-once-order")
    assert retries["bounds"]["producer_state_expiries"] == 1
    assert retries["verdict"] == "violated"
    assert retries["counterexample"]["property"] == "NoDuplicates"


def test_check_names_the_producer_state_expiry_it_does_not_explore_as_not_covered():
    run = check({"producer.id.expiration.ms": "1000"}, model="producer",
                bounds={"records": 1, "crashes": 1})
    assert run.result == "incomplete"
    assert dict(run.model.config.uncovered) == {"producer.id.expiration.ms": 1000}
    explored = check({"producer.id.expiration.ms": "1000"}, model="producer",
                     bounds={"records": 2, "batch_records": 1, "crashes": 0,
                             "lost_responses": 1, "producer_state_expiries": 1},
                     properties=["NoDuplicates"])
    assert explored.result == "violated"
    # Without retries a batch is never resent: the expiry cannot matter.
    assert not make_model("producer", {"producer.id.expiration.ms": "1000"},
                          retry_budget=0).config.uncovered


def test_an_acks_0_send_is_lost_when_its_leader_crashes_before_reading_it(tmp_path, capsys):
    # Was HOLDS with one replica: Sender completes acks=0 batches once they are written to
    # the socket, so a crash of the broker before it reads them loses them.
    result = check({"acks": "0", "replication.factor": "1"}, model="replication",
                   properties=["NoAckedWriteLost"], bounds={"records": 1, "crashes": 1,
                                                            "crash_kind": "process"})
    trace = result.violation("NoAckedWriteLost").trace
    assert trace.actions[0] == ("Crash", "B1", "before reading r1")
    assert [a[0] for a in trace.actions] == ["Crash", "Fence", "Restart", "LastLeaderElect"]
    data = _review(tmp_path, capsys, "acks=0\n", fix=False)
    assert _guarantee(data, "acked-writes-survive-crash")["verdict"] == "violated"


def test_per_key_order_is_checked_on_two_partitions(tmp_path, capsys):
    # Was HOLDS: the retries guarantee ran one partition and no key, where neither
    # partitioner.ignore.keys nor RoundRobinPartitioner can matter.
    data = _review(tmp_path, capsys, "partitioner.ignore.keys=true\n")
    keys = _guarantee(data, "producer-key-order")
    assert keys["verdict"] == "violated"
    assert keys["counterexample"]["property"] == "KeyOrder"
    assert keys["fix"] == {"partitioner.ignore.keys": "false"}
    robin = "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner\n"
    data = _review(tmp_path, capsys, robin, fix=False)
    assert _guarantee(data, "producer-key-order")["verdict"] == "violated"
    data = _review(tmp_path, capsys, "acks=all\n", fix=False)
    assert _guarantee(data, "producer-key-order")["verdict"] == "holds"


def test_an_in_flight_above_5_is_fixed_by_the_idempotent_limit_first(tmp_path, capsys):
    # 3.2-3.9: more than 5 in flight turns idempotence off; 5 restores it and keeps the
    # pipelining (1 also holds, at a throughput cost).
    data = _review(tmp_path, capsys, "max.in.flight.requests.per.connection=10\n",
                   version="3.9")
    retries = _guarantee(data, "producer-exactly-once-order")
    assert retries["verdict"] == "violated"
    assert retries["fix"] == {"max.in.flight.requests.per.connection": "5"}


def test_a_producer_file_kafka_refuses_is_a_usage_error_before_any_check(tmp_path, capsys):
    # Was [NOT COVERED] with the other guarantees judged under acks=1: the KafkaProducer
    # constructor throws, so the application writes nothing (exit 2, as `check` says).
    (tmp_path / "p.properties").write_text("enable.idempotence=true\nacks=1\n" + SERDE)
    code = main(["review", "--kafka-version", "4.0", str(tmp_path / "p.properties")])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip().splitlines() == [
        f"kafkacheck: error: {tmp_path / 'p.properties'}: Kafka 4.0 refuses this producer "
        "configuration: ConfigException: Must set acks to all in order to use the "
        "idempotent producer. Otherwise we cannot guarantee idempotence."]
