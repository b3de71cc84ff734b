"""What the transactions, Streams and Connect models say they do not explore, and the
settings that take them outside what they check (review s28, each read in Kafka's sources).

- KAFKA-17507 (before 3.9.1 and 4.0): the classic group coordinator completed a
  transaction's offsets after the markers were answered and could take the next
  transaction's pending TxnOffsetCommit as committed; the model reads committed offsets
  from the log, so a loop run on those releases names the race as not explored.
- Retention deletes inputs and outputs in every loop model: named as not explored, and a
  topic.* retention (the topics Streams and a source connector create) brings that fault.
- A Streams store's changelog is compacted (UnwindowedUnversionedChangelogTopicConfig):
  topic.cleanup.policy=delete lets retention delete counts a restore needs.
- The loop's consumers read inputs written before they started: auto.offset.reset=earliest
  is what is checked; latest and none are not covered, and an unset key says so.
- transaction.version=2 is what 4.0+ producers run; older clients keep the earlier protocol.
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import main

LOOP = ["--set", "transactional.id=app", "--set", "isolation.level=read_committed",
        "--set", "enable.auto.commit=false", "--bound", "instances=1", "--bound",
        "partitions=1", "--bound", "inputs=1", "--property", "ExactlyOnce", "--no-diagram"]
RACE = "TxnOffsetCommit as committed (KAFKA-17507, before 3.9.1 and 4.0)"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize(("version", "named"), [("3.9", True), ("3.9.0", True),
                                                ("2.5", True), ("3.9.1", False),
                                                ("4.0", False)])
def test_the_late_offset_completion_is_named_where_kafka_had_it(capsys, version, named):
    code, out = run(capsys, "transactions", "--kafka-version", version, *LOOP)
    assert code == 0
    assert (RACE in out) is named


def test_a_source_connector_commits_no_offsets_through_the_group_coordinator(capsys):
    code, out = run(capsys, "source", "--kafka-version", "3.9.0", "--no-diagram")
    assert "KAFKA-17507" not in out


@pytest.mark.parametrize("model", ["transactions", "streams", "source", "sink"])
def test_every_loop_names_retention_as_not_explored(capsys, model):
    argv = [model, "--max-states", "50", "--no-diagram"]
    if model == "transactions":
        argv = ["transactions", *LOOP]
    _, out = run(capsys, *argv)
    faults = next(line for line in out.splitlines() if line.startswith("faults:"))
    assert "retention deletes records" in faults.split("not explored:")[1]


@pytest.mark.parametrize(("model", "key"), [("streams", "topic.retention.ms"),
                                            ("source", "topic.creation.default.retention.ms")])
def test_a_retention_of_the_topics_an_application_creates_brings_that_fault(capsys, model,
                                                                           key):
    code, out = run(capsys, model, "--set", f"{key}=1", "--max-states", "50",
                    "--no-diagram")
    assert code == 3 and (f"NOT COVERED: {key}=1 (it brings a fault, records deleted by "
                          "retention, that this model does not explore)") in out


def test_a_streams_changelog_that_is_not_compacted_is_not_covered(capsys):
    code, out = run(capsys, "streams", "--set", "topic.cleanup.policy=delete",
                    "--max-states", "50", "--no-diagram")
    assert code == 3
    assert "NOT COVERED: topic.cleanup.policy=delete" in out
    code, out = run(capsys, "streams", "--set", "topic.cleanup.policy=compact",
                    "--max-states", "50", "--no-diagram")
    assert "NOT COVERED" not in out  # Streams' own policy for the changelog


def test_the_loop_checks_consumers_that_start_from_the_earliest_offset(capsys):
    code, out = run(capsys, "transactions", *LOOP, "--set", "auto.offset.reset=earliest")
    assert code == 0 and "NOT COVERED" not in out and "auto.offset.reset not set" not in out
    code, out = run(capsys, "transactions", *LOOP, "--set", "auto.offset.reset=latest")
    assert code == 3 and "NOT COVERED: auto.offset.reset=latest" in out
    code, out = run(capsys, "transactions", *LOOP)
    assert code == 0
    assert ("note: auto.offset.reset not set: the loop's consumers are taken to start from "
            "the earliest offset") in out


def test_transaction_version_2_says_older_clients_keep_the_earlier_protocol(capsys):
    _, out = run(capsys, "txn-version-2", "--no-diagram")
    assert "note: transaction.version=2 (KIP-890 part 2) is what 4.0+ producers run" in out
    _, out = run(capsys, "transactions", "--set", "transactional.id=app",
                 "--set", "transaction.version=1", "--max-states", "50", "--no-diagram")
    assert "is what 4.0+ producers run" not in out


# -- settings Kafka takes and the models do not cover: NOT COVERED, not refused --------------

@pytest.mark.parametrize("argv", [
    ("alo-loop-duplicates", "--kafka-version", "2.8"),  # the producer's default acks=1
    ("alo-loop-duplicates", "--set", "acks=1"),
    ("group-consumer", "--kafka-version", "3.9"),  # the consumer protocol's preview
    ("group", "--kafka-version", "3.7", "--set", "group.protocol=consumer"),
])
def test_what_kafka_takes_and_a_model_does_not_cover_is_not_covered(capsys, argv):
    code, out = run(capsys, *argv, "--max-states", "200")
    assert code == 3 and "NOT COVERED: " in out and "HOLDS" not in out


def test_a_transactional_producer_with_acks_1_is_still_refused(capsys):
    # ProducerConfig: idempotence (which a transactional.id needs) requires acks=all.
    code = main(["check", "transactions", "--set", "transactional.id=app", "--set", "acks=1"])
    assert code == 2
    assert "ConfigException" in capsys.readouterr().err
