"""Exactly-once on Kafka 4.x (session 32's EOS review): the timeouts that time the
transaction faults, the Streams timeout check as StreamsConfig makes it, KIP-939's refusal,
auto-commit in the loop, and review's read_uncommitted consumer."""

from __future__ import annotations

from kafkacheck import review
from kafkacheck.cli import main

TV1 = ["--set", "transactional.id=app", "--set", "isolation.level=read_committed", "--set",
       "transaction.version=1", "--kafka-version", "4.1"]


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv, "--no-diagram"])
    return code, capsys.readouterr().out


def test_request_and_delivery_timeouts_name_the_faults_they_time(capsys):
    # Were "no effect on these verdicts" with HOLDS: a request past request.timeout.ms is
    # retried and the first may land late (txn-late-write-tv1), a batch past
    # delivery.timeout.ms fails.
    code, out = _check(capsys, "transactions", *TV1, "--set", "request.timeout.ms=100",
                       "--set", "delivery.timeout.ms=1000")
    assert "no effect" not in out
    assert "WARNING: request.timeout.ms times a fault this run does not explore (a produce " \
           "request delayed past request.timeout.ms, retried, and delivered late; " \
           "late_produces=0): no value of it was checked; rerun with --bound " \
           "late_produces=1" in out
    assert "WARNING: delivery.timeout.ms times a fault this run does not explore (sends " \
           "failed by delivery.timeout.ms; expiries=0)" in out
    code, out = _check(capsys, "txn-late-write-tv1", "--set", "request.timeout.ms=100",
                       "--kafka-version", "4.1")
    assert code == 1 and "accepted: request.timeout.ms (time is not modelled; the fault " \
        "it times is explored whatever its value: late_produces=1)" in out


def test_streams_does_not_explore_a_late_produce_and_says_so(capsys):
    _code, out = _check(capsys, "streams-eos-crash", "--set", "request.timeout.ms=100")
    assert "accepted, not modelled: request.timeout.ms (it times a fault, a produce request " \
           "delayed past request.timeout.ms, retried, and delivered late, that this model " \
           "does not explore)" in out


def test_streams_checks_only_the_prefixed_transaction_timeout(capsys):
    # StreamsConfig.verifyEOSTransactionTimeoutCompatibility reads producer.transaction.
    # timeout.ms alone (10 s otherwise): a bare 20 s with a 15 s commit interval is refused
    # (was HOLDS), a bare 50 ms is not (was refused).
    assert main(["check", "streams-eos-crash", "--set", "transaction.timeout.ms=20000",
                 "--set", "commit.interval.ms=15000", "--kafka-version", "4.1"]) == 2
    assert "Transaction timeout 10000 was set lower than streams commit interval 15000" \
        in capsys.readouterr().err
    code, out = _check(capsys, "streams-eos-crash", "--set", "transaction.timeout.ms=50",
                       "--kafka-version", "4.1")
    assert code == 0 and "accepted, not modelled: transaction.timeout.ms (it times a fault" \
        in out
    assert main(["check", "streams-eos-crash", "--set", "producer.transaction.timeout.ms=50",
                 "--kafka-version", "4.1"]) == 2


def test_two_phase_commit_refuses_a_transaction_timeout_from_4_1(capsys):
    # ProducerConfig.postProcessAndValidateIdempotenceConfigs (4.1, KIP-939); was exit 3.
    argv = ["check", "transactions", "--set", "transactional.id=app", "--set",
            "transaction.two.phase.commit.enable=true", "--set", "transaction.timeout.ms=1000",
            "--kafka-version", "4.1"]
    assert main(argv) == 2
    assert "Cannot set transaction.timeout.ms when transaction.two.phase.commit.enable is " \
        "set to true" in capsys.readouterr().err


def test_a_loop_that_leaves_auto_commit_on_is_not_covered_not_refused(capsys):
    # Was exit 2 "KafkaProducer.sendOffsetsToTransaction requires it": Kafka refuses
    # nothing, and auto-commit then commits input offsets outside the transactions.
    code, out = _check(capsys, "transactions", "--set", "transactional.id=app", "--set",
                       "isolation.level=read_committed", "--set", "auto.offset.reset=earliest",
                       "--bound", "inputs=1", "--bound", "partitions=1", "--bound",
                       "instances=1")
    assert code == 3
    assert "NOT COVERED: enable.auto.commit=true (Kafka's default, which the loop's consumer " \
           "runs unless set to false" in out


def test_a_late_offset_commit_before_tv2_says_what_one_input_per_transaction_hides(capsys):
    _code, out = _check(capsys, "transactions", *TV1, "--set", "enable.auto.commit=false",
                        "--set", "auto.offset.reset=earliest", "--bound", "instances=1",
                        "--bound", "inputs=1", "--bound", "partitions=1", "--bound",
                        "late_offset_commits=1", "--property", "ExactlyOnce")
    assert "note: late_offset_commits under transaction.version < 2: each transaction of " \
           "the loop commits one input" in out


def test_review_names_a_read_uncommitted_consumer_beside_a_transactional_producer(
        tmp_path):
    # Was HOLDS for the consumer's guarantees and silent on its isolation level.
    (tmp_path / "txprod.properties").write_text("bootstrap.servers=b:9092\n"
                                                "transactional.id=app-1\n")
    (tmp_path / "consumer.properties").write_text(
        "bootstrap.servers=b:9092\ngroup.id=g\nenable.auto.commit=false\n"
        "auto.offset.reset=earliest\n")
    files = review.load_files([str(tmp_path / "txprod.properties"),
                               str(tmp_path / "consumer.properties")])
    _guarantees, not_covered = review.plan(files)
    hazards = [why for what, why in not_covered
               if what.startswith("reading transactional records")]
    assert hazards and "isolation.level=read_uncommitted (Kafka's default): this consumer " \
        "also receives the records of open and aborted transactions of txprod.properties" \
        in hazards[0]
    (tmp_path / "consumer.properties").write_text("group.id=g\nisolation.level=read_committed\n")
    files = review.load_files([str(tmp_path / "txprod.properties"),
                               str(tmp_path / "consumer.properties")])
    assert not [w for w, _ in review.plan(files)[1] if w.startswith("reading transactional")]


# -- Streams and Connect on 4.x (session 32's second clients review) ----------------------


def test_a_client_supplier_of_the_users_own_is_not_covered(capsys):
    # Was "no effect" and HOLDS: KIP-884's class builds every client of the application.
    run = ["streams", "--kafka-version", "4.1", "--bound", "instances=1", "--bound", "inputs=1",
           "--set", "processing.guarantee=exactly_once_v2"]
    code, out = _check(capsys, *run, "--set", "default.client.supplier=com.acme.Supplier")
    assert code == 3 and "NOT COVERED: default.client.supplier=com.acme.Supplier" in out
    assert main(["check", *run[:2], "3.4", *run[3:], "--set",
                 "default.client.supplier=com.acme.Supplier"]) == 2  # KIP-884 is 3.5


def test_the_allowlist_override_policy_refuses_every_override(capsys):
    # Was "no effect" and HOLDS: AllowlistConnectorClientConfigOverridePolicy (4.2) allows
    # only the keys its worker list names, none by default; 4.1 has no such policy.
    run = ["check", "source", "--bound", "records=1", "--bound", "task_crashes=0", "--set",
           "connector.client.config.override.policy=Allowlist"]
    assert main([*run, "--kafka-version", "4.2", "--set",
                 "producer.override.delivery.timeout.ms=120000"]) == 2
    assert "does not allow this override" in capsys.readouterr().err
    assert main([*run, "--kafka-version", "4.1"]) == 2
    assert "has no such policy (it arrived in 4.2)" in capsys.readouterr().err


def test_the_streams_protocol_refuses_static_membership(capsys):
    # Was NOT COVERED: StreamsConfig.verifyStreamsProtocolCompatibility throws.
    assert main(["check", "streams", "--kafka-version", "4.1", "--bound", "instances=1",
                 "--bound", "inputs=1", "--set", "group.protocol=streams", "--set",
                 "main.consumer.group.instance.id=i1"]) == 2
    assert "does not support static membership" in capsys.readouterr().err


def test_a_source_tasks_reset_policy_changes_nothing(capsys):
    # Was NOT COVERED for earliest, with a note advising it: a source task has no input
    # consumer, and KafkaBasedLog reads the offsets topic from its beginning.
    for value in ("earliest", "latest"):
        _code, out = _check(capsys, "source", "--kafka-version", "4.1", "--bound", "records=1",
                            "--set", f"auto.offset.reset={value}")
        assert "accepted but not modelled: auto.offset.reset (no effect on these verdicts)" \
            in out
    _code, out = _check(capsys, "source-exactly-once", "--kafka-version", "4.1")
    assert "auto.offset.reset not set" not in out
