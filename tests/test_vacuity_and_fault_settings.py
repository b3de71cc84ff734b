"""Holds only where something could have failed: a selection keeps the witness its
properties rest on, a setting that brings a fault is never called irrelevant, and a
bounded proof names the replication factor it ran."""

from __future__ import annotations

import json

from verdicts import cli_gaps

from kafkacheck.cli import main

# One consumer (never more members than partitions) on the abstract log with hw_lag=0 (the
# HW follows each append): these cannot fail, so they are not checked and a run that checks
# everything else exits 3 (it was HOLDS, exit 0, before audit s21).
# With one consumer the ownership properties cannot fail either (two owners need two
# processes; s22).
# (CommitsFromCurrentGeneration: no pause, poll timeout or duplicate instance, audit s23)
ONE_CONSUMER_VACUOUS = {"not checked": {"ExtraConsumersIdle", "ConsumersReadBelowHw",
                                        "OneOwnerPerGeneration", "NoTwoOwnersAtOnce",
                                        "NoConcurrentProcessing",
                                        "CommitsFromCurrentGeneration"}}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_selected_delivery_properties_are_not_checked_when_nothing_is_ever_processed(capsys):
    """auto.offset.reset=none with no committed offset: no consumer ever polls, so
    AtMostOnce and AtLeastOnce cannot fail.  Selecting them checks SomeRecordProcessed
    too, and the run says so instead of HOLDS."""
    code, out, _ = run(capsys, "check", "group", "--set", "auto.offset.reset=none",
                       "--property", "AtMostOnce", "--property", "AtLeastOnce", "--json")
    data = json.loads(out)
    assert code == 3 and data["result"] == "never reached"
    verdicts = {p["name"]: p["verdict"] for p in data["properties"]}
    assert verdicts == {"AtMostOnce": "not checked", "AtLeastOnce": "not checked",
                        "SomeRecordProcessed": "never reached"}
    assert data["not_checked"]["AtMostOnce"] == (
        "vacuous in this run: SomeRecordProcessed is never reached, so it could not fail")


def test_the_same_selection_holds_where_records_are_processed(capsys):
    code, out, _ = run(capsys, "check", "group", "--set", "auto.offset.reset=earliest",
                       "--property", "AtMostOnce", "--json")
    data = json.loads(out)
    assert code == 0 and data["result"] == "holds" and data["not_checked"] == {}
    assert {p["name"]: p["verdict"] for p in data["properties"]} == {
        "AtMostOnce": "holds", "SomeRecordProcessed": "holds"}


def test_a_violated_property_stays_violated_when_its_witness_is_reached(capsys):
    # The preset's crash duplicates a record: the witness changes nothing there.
    code, out, _ = run(capsys, "check", "group-auto-commit-dups", "--no-diagram")
    assert code == 1 and "[  violated   ] AtMostOnce" in out


def test_a_retention_setting_is_never_called_irrelevant_where_a_bound_explores_it(capsys):
    argv = ["check", "group", "--bound", "consumers=1", "--set", "auto.offset.reset=latest",
            "--set", "retention.ms=1", "--no-diagram"]
    code, out, _ = run(capsys, *argv)
    # Was a WARNING beside the verdicts; not covered since session 32.
    assert code == 3 and "not covered" in cli_gaps(out)
    assert ("NOT COVERED: retention.ms=1 (it brings a fault, records deleted by retention, "
            "this run does not explore: rerun with --bound retention=1)") in out
    assert "no effect on these verdicts" not in out
    code, out, _ = run(capsys, *argv, "--bound", "retention=1")
    assert code == 1 and "VIOLATED: AtLeastOnce, NoSkippedOffsets" in out
    assert "the fault it brings is explored whatever it is: retention=1" in out


def test_a_fault_setting_of_a_model_without_that_fault_says_so(capsys):
    code, out, _ = run(capsys, "check", "replication", "--set", "retention.ms=1",
                       "--bound", "records=1", "--no-diagram")
    assert code == 3  # was 1 beside an "accepted, not modelled" line (session 32)
    assert "no effect on these verdicts" not in out
    assert ("NOT COVERED: retention.ms=1 (it brings a fault, records deleted by retention, "
            "that this model does not explore)") in out


def test_a_bounded_proof_runs_and_names_one_replica_per_broker(capsys):
    code, out, _ = run(capsys, "prove", "replication", "--set", "min.insync.replicas=2",
                       "--brokers", "3", "--depth", "6")
    assert code == 3  # no violation within 6 steps is no verdict beyond them
    assert "over 3 brokers (replication.factor=3, min.insync.replicas=2," in out


def test_a_retention_of_minus_one_deletes_nothing_and_brings_no_fault(capsys):
    code, out, _ = run(capsys, "check", "group", "--bound", "consumers=1", "--set",
                       "auto.offset.reset=latest", "--set", "retention.ms=-1", "--no-diagram")
    assert code == 3 and cli_gaps(out) == ONE_CONSUMER_VACUOUS
    assert "WARNING: retention.ms" not in out
    assert "accepted but not modelled: retention.ms (no effect on these verdicts)" in out


def test_a_fault_setting_of_a_model_without_that_fault_is_not_called_irrelevant(capsys):
    code, out, _ = run(capsys, "check", "group-consumer", "--set",
                       "offsets.retention.minutes=1", "--no-diagram")
    assert "no effect on these verdicts" not in out
    assert code == 3 and ("NOT COVERED: offsets.retention.minutes=1 (it brings a fault, "
                          "committed offsets expiring, that this model does not explore)") \
        in out


def test_a_compacted_topic_is_not_covered_for_consumers_of_an_abstract_log(capsys):
    """group-consumer and sink read no log setting, yet their consumers read a topic:
    compaction changes what they read, so it is not covered there, never 'no effect'."""
    for model in ("group-consumer", "sink"):
        code, out, _ = run(capsys, "check", model, "--set", "cleanup.policy=compact",
                           "--no-diagram")
        assert code == 3, model
        assert "NOT COVERED: cleanup.policy=compact (changes log semantics" in out
    # A replication setting only decides which broker faults could matter (not explored).
    code, out, _ = run(capsys, "check", "group-consumer", "--set", "replication.factor=3",
                       "--set", "auto.offset.reset=earliest", "--bound", "records=1",
                       "--no-diagram")
    # (hw_lag=0: ConsumersReadBelowHw cannot fail, exit 3; it was exit 0 before audit s21)
    assert code == 3 and "NOT COVERED" not in out
    assert cli_gaps(out) == {"not checked": {"ConsumersReadBelowHw"}}
