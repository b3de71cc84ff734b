"""Audit 15: delivery-semantics answers ("is this exactly-once / at-least-once?") that
came out green for configurations real Kafka does not make so.

Each test names the guarantee and the configuration; each run is small (well under a
second of exploration).
"""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

LOOP = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
NO_AUTO_COMMIT = {"enable.auto.commit": "false"}


def names(trace):
    return [a[0] for a in trace.actions]


# -- a transactional loop read by a read_uncommitted consumer -----------------------------
# KafkaConsumer isolation.level (default read_uncommitted) returns every record below the
# high watermark, those of open and aborted transactions included (KIP-98;
# UnifiedLog.read with FetchIsolation.HIGH_WATERMARK).  The loop's ExactlyOnce read the
# output as read_committed whatever isolation.level said, so
# `check transactions --set transactional.id=app --set enable.auto.commit=false
# --bound inputs=1 ...` (isolation.level left at its default) printed HOLDS, exit 0.

def test_exactly_once_loop_output_read_uncommitted_shows_a_zombies_output_twice():
    model = make_model("transactions", {"transactional.id": "app", **NO_AUTO_COMMIT,
                                        "transaction.version": "1"}, **LOOP)
    assert model.isolation == "read_uncommitted"  # the consumer default
    result = breadth_first(model, ["ExactlyOnce"])
    trace = result.violation("ExactlyOnce").trace
    # The zombie's output sits in its open transaction when the new owner writes its own:
    # a read_uncommitted reader gets both.
    assert names(trace) == ["FetchOffset", "Poll", "AddPartitions", "TxnLogCommitted",
                            "Produce", "Rebalance", "Rejoin", "FetchOffset", "Poll",
                            "AddPartitions", "TxnLogCommitted", "Produce"]
    assert result.distinct_states == 339


def test_exactly_once_loop_statement_names_the_isolation_level_it_reads_with():
    for isolation in ("read_uncommitted", "read_committed"):
        model = make_model("transactions", {"transactional.id": "app", **NO_AUTO_COMMIT,
                                            "isolation.level": isolation}, **LOOP)
        statement = next(p.statement for p in model.properties() if p.name == "ExactlyOnce")
        assert f"visible to {isolation} twice" in statement


# -- a loop whose consumer auto-commits ---------------------------------------------------
# KafkaProducer.sendOffsetsToTransaction: "the consumer should have enable.auto.commit=false
# and should also not commit offsets manually"; ConsumerConfig's default is true, and
# auto-commit in poll(), close() and before a revocation commits positions outside any
# transaction.  The loop's members only ever commit through the transaction (or commitSync
# after the ack without one), yet with enable.auto.commit unset (true) the loop printed
# HOLDS and "accepted but not modelled: enable.auto.commit (no effect on these verdicts)",
# while enable.auto.commit=false, the behaviour it runs, was "NOT COVERED".

EOS_LOOP = ["transactions", "--set", "transactional.id=app",
            "--set", "isolation.level=read_committed", "--set", "transaction.version=1",
            "--bound", "instances=1", "--bound", "partitions=1", "--bound", "inputs=1",
            "--no-diagram", "--no-estimate", "--progress-every", "0"]


def _run(capsys, *extra):
    from kafkacheck.cli import main

    code = main(["check", *EOS_LOOP, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_exactly_once_loop_with_auto_commit_left_at_kafkas_default_is_not_covered(capsys):
    # Was refused (exit 2) as if Kafka required it; Kafka runs it (session 32).
    code, out = _run(capsys)
    assert code == 3
    assert "NOT COVERED: enable.auto.commit=true (Kafka's default" in out
    assert "HOLDS" not in out and "Traceback" not in out


def test_exactly_once_loop_with_auto_commit_on_is_not_covered(capsys):
    code, out = _run(capsys, "--set", "enable.auto.commit=true")
    assert code == 3
    assert "NOT COVERED: enable.auto.commit=true" in out and "HOLDS" not in out


def test_exactly_once_loop_with_auto_commit_off_holds(capsys):
    # Not ZombieOffsetsFenced: without a rebalance it cannot fail and is not checked
    # (session 22), which makes the whole run exit 3.
    code, out = _run(capsys, "--set", "enable.auto.commit=false", "--property", "ExactlyOnce",
                     "--property", "LoopCompletes")
    assert code == 0, out
    assert "NOT COVERED" not in out and "HOLDS within the bounds" in out


def test_streams_and_connect_source_turn_auto_commit_off_themselves():
    # StreamsConfig.CONSUMER_DEFAULT_OVERRIDES sets enable.auto.commit=false; a Connect
    # source task has no consumer: neither asks the user for the setting.
    from kafkacheck.model.clients import source, streams

    for module in (streams, source):
        model = make_model(module.__name__.rsplit(".", 1)[1])  # no UsageError
        assert module._loop_config(model.config).kafka["enable.auto.commit"] is False
        assert not model.config.uncovered


# -- a transactional loop before KIP-447 (Kafka 2.4) -------------------------------------
# KIP-447 (2.5) made TxnOffsetCommit carry the member's generation (the group fences a
# zombie's offsets) and OffsetFetch wait for pending transactional offsets (require_stable).
# In 2.4 GroupCoordinator.handleTxnCommitOffsets commits with NoGeneration and OffsetFetch
# returns the last committed offset at once.  The loop, whose members each have their own
# transactional.id, ran the 2.5 rules on every version: HOLDS on --kafka-version 2.4.
# (The versions audit fixed the same rule at the same time and checks ZombieOffsetsFenced
# in tests/test_versions_audit.py; this checks the exactly-once verdict.)

PRE_447 = {"transactional.id": "app", "enable.idempotence": "true", "acks": "all",
           "isolation.level": "read_committed", **NO_AUTO_COMMIT}


def test_exactly_once_loop_before_kip_447_processes_an_input_whose_offsets_are_pending_again():
    # The new owner's OffsetFetch does not wait for the old owner's transaction to finish
    # writing its markers: it reads no committed offset and processes input 0 again.
    model = make_model("transactions", PRE_447, kafka_version="2.4", **LOOP)
    result = breadth_first(model, ["ExactlyOnce"])
    trace = result.violation("ExactlyOnce").trace
    assert len(trace.actions) == 24
    assert trace.actions[13] == ("FetchOffset", "P1", "none (earliest)")
    assert result.distinct_states == 4323
    assert any("before KIP-447" in note for note in model.notes())


# -- the producer refusals of the transactions model --------------------------------------
# ProducerConfig 2.x (maybeOverrideEnableIdempotence, maybeOverrideAcksAndRetries): with a
# transactional.id and enable.idempotence unset idempotence is on, and an unset acks (then
# 1) becomes all; an explicit conflicting acks is refused.  A loop's producer without a
# transactional.id and without idempotence may use acks=1 (no ConfigException): the model
# only covers acks=all and says so.

def test_transactional_producer_refusals_are_the_ones_producer_config_makes(capsys):
    from kafkacheck.cli import main

    def error(*argv):
        assert main(["check", "transactions", "--bound", "instances=1", *argv]) == 2
        return capsys.readouterr().err

    assert "Must set acks to all" in error("--kafka-version", "2.8", "--set",
                                           "transactional.id=app", "--set", "acks=1")
    # 4.x: acks=1 turns the defaulted idempotence off, then the transactional.id fails.
    assert "Cannot set a transactional.id" in error("--set", "transactional.id=app",
                                                    "--set", "acks=1")
    # A loop without a transactional.id may run 2.8's default acks=1 (no ConfigException):
    # not covered, the loop's producers being modelled with acks=all only.
    assert main(["check", "transactions", "--bound", "instances=1", "--kafka-version", "2.8",
                 "--bound", "inputs=1", "--set", "enable.auto.commit=false"]) == 3
    assert "NOT COVERED: acks=1 (the loop's producers are modelled with acks=all only)" in \
        capsys.readouterr().out


def test_streams_exactly_once_v2_before_3_0_is_refused_not_checked(capsys):
    # StreamsConfig: exactly_once_v2 exists from 3.0 (KIP-732); once a transactional.id
    # alone ran on 2.8, `check streams --kafka-version 2.8 --set
    # processing.guarantee=exactly_once_v2` would have printed HOLDS for a value 2.8 refuses.
    from kafkacheck.cli import main

    code = main(["check", "streams", "--kafka-version", "2.8", "--set",
                 "processing.guarantee=exactly_once_v2", "--bound", "instances=1",
                 "--bound", "inputs=1", "--bound", "instance_crashes=0", "--no-diagram"])
    assert code == 2 and "KIP-732" in capsys.readouterr().err


# -- what review says it covers --------------------------------------------------------
# A Streams or Connect file is not checked by review (exit 3, not covered), but the reason
# printed said "Streams is not modelled" / "Connect delivery semantics are not modelled",
# while `kafkacheck check streams|source|sink` model exactly those delivery semantics.

def test_review_of_streams_and_connect_files_points_to_the_models_that_check_them(
        tmp_path, capsys):
    from kafkacheck.cli import main

    streams = tmp_path / "app.properties"
    streams.write_text("application.id=a\nbootstrap.servers=x:9092\n"
                       "processing.guarantee=exactly_once_v2\n", encoding="utf-8")
    worker = tmp_path / "worker.properties"
    worker.write_text("bootstrap.servers=x:9092\ngroup.id=connect\n"
                      "exactly.once.source.support=enabled\nconfig.storage.topic=a\n"
                      "offset.storage.topic=b\nstatus.storage.topic=c\n", encoding="utf-8")
    code = main(["review", "--no-fix", str(streams), str(worker)])
    out = capsys.readouterr().out
    assert code == 3 and "[HOLDS]" not in out
    assert "not modelled" not in out
    assert "kafkacheck check streams" in out
    assert "kafkacheck check source" in out
