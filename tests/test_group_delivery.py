"""What the group model proves and refutes about delivery: at least once, at most once, skips.

Each test is one ``kafkacheck check group --set ... --bound ...`` run (the settings and
bounds are the arguments of ``make_model``).
"""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.trace import replay
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
MANUAL = {"auto.offset.reset": "earliest", "enable.auto.commit": "false"}


def names(trace):
    return [a[0] for a in trace.actions]


def test_auto_commit_with_processing_in_the_poll_loop_is_at_least_once():
    model = make_model("group", EARLIEST, consumers=2, partitions=1, records=2, crashes=1)
    result = breadth_first(model, ["AtLeastOnce", "NoSkippedOffsets", "AllRecordsProcessed"])
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 1_007 and result.coverage["Crash"] == 548


def test_auto_commit_duplicates_records_after_a_crash():
    model = make_model("group", EARLIEST, consumers=2, partitions=1, records=2, crashes=1)
    trace = breadth_first(model, ["AtMostOnce"]).violation("AtMostOnce").trace
    steps = names(trace)
    assert steps.count("Process") == 2 and "Crash" in steps
    assert steps.index("Crash") > steps.index("Process")  # processed, not yet auto-committed


def test_commit_before_processing_then_a_crash_never_processes_a_record():
    model = make_model("group", MANUAL, commit="before-processing", consumers=2, records=1,
                       crashes=1)
    result = breadth_first(model, ["AtLeastOnce", "AllRecordsProcessed"])
    trace = result.violation("AtLeastOnce").trace
    assert names(trace)[-3:] == ["Poll", "Commit", "Crash"]
    assert result.violation("AllRecordsProcessed") is not None  # nobody ever processes it


def test_commit_before_processing_is_at_most_once_through_crashes_and_zombies():
    model = make_model("group", MANUAL, commit="before-processing", consumers=2, partitions=2,
                       records=2, crashes=1, poll_timeouts=1, pauses=1)
    result = breadth_first(model, ["AtMostOnce"])
    assert result.result == "holds" and result.distinct_states == 86_253
    assert all(result.coverage[fault] for fault in ("Crash", "PollTimeout", "Pause"))


def test_commit_after_processing_is_at_least_once_through_crashes_zombies_and_retention():
    model = make_model("group", MANUAL, commit="sync-after-processing", consumers=2,
                       partitions=1, records=2, crashes=1, poll_timeouts=1, pauses=1,
                       retention=1)
    result = breadth_first(model, ["AtLeastOnce", "NoSkippedOffsets"])
    assert result.result == "holds" and result.distinct_states == 29_588
    assert all(result.coverage[fault] for fault in ("Crash", "PollTimeout", "Pause", "Retention"))


def test_latest_reset_after_retention_skips_records():
    model = make_model("group", {"auto.offset.reset": "latest"}, consumers=1, records=2,
                       retention=1)
    result = breadth_first(model, ["AtLeastOnce", "NoSkippedOffsets"])
    trace = result.violation("NoSkippedOffsets").trace
    assert "Retention" in names(trace)
    assert trace.actions[-1][-1] == "out of range, reset latest"
    assert result.violation("AtLeastOnce") is not None


def test_latest_reset_after_retention_removed_the_committed_offset_skips_records():
    # C1 commits offset 1 and crashes; retention moves the log start to 2; the restarted C1
    # finds its committed offset out of range, resets to the high watermark (3) and record 2,
    # still in the log, is never processed.
    settings = {"auto.offset.reset": "latest", "max.poll.records": "1"}
    model = make_model("group", settings, consumers=1, records=3, retention=2, crashes=1,
                       rejoins=1)
    join = [("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0}")]
    steps = [*join, ("Poll", "C1", "p0", "none", "reset latest"),
             ("Produce", "p0", "offset 0"), ("Produce", "p0", "offset 1"),
             ("Produce", "p0", "offset 2"),
             ("Poll", "C1", "p0", "offset 0"), ("Process", "C1", "p0", "offset 0"),
             ("AutoCommit", "C1"), ("Crash", "C1"), ("Expire", "C1"),
             ("Retention", "p0", "log start 1"), ("Retention", "p0", "log start 2"),
             ("Restart", "C1"), *join,
             ("Poll", "C1", "p0", "none", "out of range, reset latest"), ("AutoCommit", "C1")]
    trace = replay(model, steps)
    props = {p.name: p for p in model.properties()}
    states = [step.state for step in trace.steps]
    skip = props["NoSkippedOffsets"].step
    before, after = states[:-1], states[1:]
    verdicts = [skip(a, act, b) for a, act, b in zip(before, steps, after, strict=True)]
    assert verdicts[:-2] == [True] * (len(steps) - 2) and verdicts[-2] is False
    assert props["AtLeastOnce"].holds(states[-2])
    assert not props["AtLeastOnce"].holds(states[-1])


def test_default_latest_skips_records_when_a_new_group_crashes_before_its_first_commit():
    model = make_model("group", {}, consumers=2, partitions=1, records=1, crashes=1)
    result = breadth_first(model, ["NoSkippedOffsets"])
    trace = result.violation("NoSkippedOffsets").trace
    assert "Crash" in names(trace) and "Commit" not in names(trace)


def test_earliest_reset_after_retention_misses_only_deleted_records():
    model = make_model("group", EARLIEST, consumers=1, records=2, retention=2, crashes=1,
                       rejoins=1)
    result = breadth_first(model, ["AtLeastOnce", "NoSkippedOffsets"])
    assert result.result == "holds" and result.distinct_states == 951
    assert result.coverage["Retention"] and result.coverage["Restart"]


def test_no_offset_reset_reads_nothing_without_a_committed_offset():
    model = make_model("group", {"auto.offset.reset": "none"}, consumers=1, records=1)
    result = breadth_first(model, ["SomeRecordProcessed"])
    assert result.violation("SomeRecordProcessed").reason == "never-reached"


def test_consuming_never_deletes_records_the_seeds_claim():
    model = make_model("group", {"auto.offset.reset": "earliest"},
                       records=2, crashes=1, retention=1)
    result = breadth_first(model, ["ConsumingNeverDeletes"])
    assert result.result == "holds" and result.coverage["Retention"] > 0


REPLICATED_ONE = {"replication.factor": "1", "acks": "all", "enable.auto.commit": "false",
                  "auto.offset.reset": "earliest"}


def _walk(model, names_in_order):
    """The state reached by taking, in turn, the first enabled action of each family."""
    state = model.init_states()[0]
    for family in names_in_order:
        state = next(t for a, t in model.successors(state) if a[0] == family)
    return state


def test_a_partition_left_without_a_leader_owes_nothing_once_every_record_was_processed():
    # Every record processed and committed, then the only broker crashes and stays down: the
    # partition has no leader, and no record is owed (this was a false red: a leaderless
    # partition counted as unprocessed).
    model = make_model("group", REPLICATED_ONE, consumers=1, records=1, log="replicated",
                       broker_crashes=1, commit="sync-after-processing")
    prop = {p.name: p for p in model.properties()}["AllRecordsProcessed"]
    done = ["Join", "InitialRebalance", "Sync", "Produce", "Ack", "Poll", "Process", "Commit"]
    assert prop.holds(_walk(model, done + ["BrokerCrash", "Fence"]))
    assert not prop.holds(_walk(model, done[:5] + ["BrokerCrash", "Fence"]))  # r1 still owed


def test_a_committed_record_on_a_broker_that_never_returns_is_never_processed():
    model = make_model("group", REPLICATED_ONE, consumers=1, records=1, log="replicated",
                       broker_crashes=1, commit="sync-after-processing")
    trace = breadth_first(model, ["AllRecordsProcessed"]).violation("AllRecordsProcessed").trace
    steps = names(trace)
    assert steps[:3] == ["Produce", "BrokerCrash", "Fence"] and len(steps) == 6
    assert "Process" not in steps and "BrokerRestart" not in steps
