"""Kafka Streams counting task (issue 20): exactly_once_v2 keeps every count exact through
an instance crash; at_least_once counts an input twice, shortest counterexample first.

The task counts input records per key into a store logged to a changelog topic and
writes each new count to an output topic; the crashed instance restarts with empty
memory, and the task moves to the other instance, which restores the store from the
changelog and resumes from the committed offset.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

ALOS = {"processing.guarantee": "at_least_once"}
EOS = {"processing.guarantee": "exactly_once_v2"}
# Issue 20's configuration: 2 instances, 2 input records (one key), one crash.
TWO_TWO_ONE = {"instances": 2, "inputs": 2, "instance_crashes": 1}


def names(trace):
    return [a[0] for a in trace.actions]


def test_at_least_once_counts_an_input_twice_after_a_crash():
    """kafkacheck check streams --property CountsExact (at_least_once is the default)"""
    result = breadth_first(make_model("streams", ALOS, **TWO_TWO_ONE), ["CountsExact"])
    found = result.violation("CountsExact")
    # P0 counts input 0 and commits its offset, counts input 1 into the changelog, crashes
    # before the offset commit; P1 restores count 2 and counts input 1 again: 3.
    assert names(found.trace) == ["FetchOffset", "Poll", "Produce", "Produce", "Acked",
                                  "Acked", "SendOffsets", "Acked", "Poll", "Produce", "Acked",
                                  "InstanceCrash", "Rejoin", "FetchOffset", "Poll", "Produce"]
    assert found.trace.actions[13][-1] == "restored k0=2"
    assert found.trace.actions[14][-1] == "count k0=3+"
    assert result.distinct_states == 198


def test_at_least_once_writes_an_output_count_twice_after_a_crash():
    result = breadth_first(make_model("streams", ALOS, **TWO_TWO_ONE), ["OutputExactlyOnce"])
    found = result.violation("OutputExactlyOnce")
    assert names(found.trace) == ["FetchOffset", "Poll", "Produce", "Acked", "InstanceCrash",
                                  "Rejoin",
                                  "FetchOffset", "Poll", "Produce"]
    assert result.distinct_states == 59


def test_exactly_once_v2_counts_exactly_through_a_crash_and_restart():
    """One instance, one input, one crash at every point: every count exact, and the
    input's count does become visible (AllCounted is reached)."""
    result = breadth_first(make_model("streams", EOS, instances=1, inputs=1))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 6098
    assert result.coverage["InstanceCrash"] > 0 and result.coverage["InitProducerId"] > 0


@pytest.mark.thorough
def test_exactly_once_v2_counts_exactly_for_two_inputs_through_a_crash():
    result = breadth_first(make_model("streams", EOS, instances=1, inputs=2))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 74096


def test_at_least_once_double_counts_when_the_crashed_instance_stays_down():
    result = breadth_first(make_model("streams", ALOS, **TWO_TWO_ONE, after_crash="down"),
                           ["CountsExact"])
    assert len(result.violation("CountsExact").trace) == 16
    assert result.distinct_states == 146


@pytest.mark.thorough
def test_exactly_once_v2_counts_exactly_on_the_other_instance_after_a_crash():
    """Two instances, one input; the crashed instance stays down and the task moves."""
    result = breadth_first(make_model("streams", EOS, instances=2, inputs=1,
                                      after_crash="down"))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 134249
    assert result.coverage["AbortTimedOut"] > 0  # its open transaction times out


@pytest.mark.thorough
def test_exactly_once_v2_counts_exactly_for_two_instances_two_inputs_one_crash_down():
    """Issue 20's 'must show' for exactly_once_v2, the crashed instance staying down and the
    task moving to the other one (about 18 minutes on a loaded 2-core machine)."""
    result = breadth_first(make_model("streams", EOS, **TWO_TWO_ONE, after_crash="down"))
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 3341287


@pytest.mark.thorough
def test_exactly_once_v2_counts_exactly_for_two_instances_two_inputs_one_crash():
    """Issue 20's 'must show' for exactly_once_v2: the task migrates to the other instance
    on the crash (not run to completion in the session that wrote it: see the report)."""
    result = breadth_first(make_model("streams", EOS, **TWO_TWO_ONE))
    assert result.result == "holds" and result.complete


def test_processing_guarantee_uses_kafkas_names_and_default():
    model = make_model("streams")
    assert model.kafka["processing.guarantee"] == "at_least_once"
    assert not model.transactional and model.isolation == "read_uncommitted"
    eos = make_model("streams", EOS)
    assert eos.transactional and eos.isolation == "read_committed"


def test_exactly_once_v2_is_refused_before_kafka_3_0():
    # StreamsConfig has exactly_once_v2 from 3.0 (KIP-732); 2.6-2.8 call it exactly_once_beta.
    from kafkacheck.config import UsageError
    from kafkacheck.testing import make_model as build

    for version in ("2.4", "2.8"):
        with pytest.raises(UsageError, match="KIP-732"):
            build("streams", EOS, kafka_version=version)


def test_bounds_beyond_the_record_layout_are_a_one_line_usage_error():
    from kafkacheck.config import UsageError

    with pytest.raises(UsageError, match="lower the bounds"):
        make_model("streams", EOS, inputs=3)


def test_exactly_once_v2_on_a_3_x_release_names_the_bounds_that_fit():
    # Before transaction.version 2 an epoch's transactions take new sequences: the default
    # bounds do not fit the record layout on 3.9, and the error says which bounds do.
    from kafkacheck.config import UsageError

    with pytest.raises(UsageError, match="--bound inputs=1 or --bound instance_crashes=0"):
        make_model("streams", EOS, kafka_version="3.9")
    for bounds in ({"inputs": 1}, {"instance_crashes": 0}):
        assert make_model("streams", EOS, kafka_version="3.9", **bounds).name == "streams"


# -- the record cache and commit.interval.ms (audit of the Streams model, finding 1) -------
# A count's store is cached by default (Materialized caching on, statestore.cache.max.bytes
# 10 MiB): CachingKeyValueStore writes a key's count to the changelog and forwards it to
# the output only when the cache flushes, at each commit (StreamTask.prepareCommit flushes
# the caches, then the record collector) or on an eviction.  Two inputs of a key within one
# commit.interval.ms write only count 2.  CountsExact and OutputExactlyOnce asked for every
# count 1..n ("an input's count was never written"), which Kafka does not write with the
# cache: they held only because the model commits after every input.


def _two_inputs_per_commit(settings, **bounds):
    """Test-only model of one commit covering inputs 0 and 1 (a commit interval longer than
    the gap between them, the record cache on): the task counts both, the cache flush
    writes the last count, k0=2, and the commit takes input offset 2."""
    base = make_model("streams", settings, **bounds)

    class TwoInputsPerCommit(type(base)):  # type: ignore[misc]
        def processed_store(self, store, k):
            store = super().processed_store(store, k)
            return super().processed_store(store, k + 1) if k == 0 else store

        def position_after_end(self, member, commit):
            return 2 if commit and member.input == 0 else super().position_after_end(member,
                                                                                      commit)

        def _batch(self, state, prod, i, p, fresh):
            batch = super()._batch(state, prod, i, p, fresh)
            return batch._replace(rec=2) if p == self.P and state.members[i].input == 0 \
                else batch

    return TwoInputsPerCommit(base.config)


def test_a_commit_covering_two_inputs_writes_only_the_last_count_and_counts_stay_exact():
    model = _two_inputs_per_commit(EOS, instances=1, inputs=2, instance_crashes=1)
    result = breadth_first(model, ["CountsExact", "OutputExactlyOnce", "AllCounted"])
    assert result.complete and result.distinct_states == 6098
    assert result.violations == []
    # The output never shows count 1: AllCounted asks for a run committing one at a time.
    assert result.violation("AllCounted").reason == "never-reached"


def test_at_least_once_still_double_counts_when_a_commit_covers_two_inputs():
    model = _two_inputs_per_commit(ALOS, instances=1, inputs=2, instance_crashes=1)
    result = breadth_first(model, ["CountsExact"])
    found = result.violation("CountsExact")
    # The flush writes k0=2 to the changelog; the instance crashes before the offset
    # commit, restores k0=2 and counts both inputs again.
    assert names(found.trace) == ["FetchOffset", "Poll", "Produce", "Acked", "InstanceCrash",
                                  "Rejoin",
                                  "FetchOffset", "Poll", "Produce"]
    assert found.property.narrate(model, found.trace) == (
        "The changelog holds count 3+ for key k0, which has 2 input records: an input was "
        "processed again after its count was written but before its offset was committed.")


def _loses_first_write(settings, slot):
    """Test-only mutant: input 0's processing leaves out its write to data partition
    ``slot`` (0: the output topic, 1: the changelog); its offset is committed all the same
    (Kafka flushes the cache and the record collector before every commit)."""
    from kafkacheck.model.clients import txn_producer as tp

    base = make_model("streams", settings, instances=1, inputs=1, instance_crashes=0)

    class LosesFirstWrite(type(base)):  # type: ignore[misc]
        def _plan(self, k):
            plan = super()._plan(k)
            return plan[:slot] + (tp.IDLE,) + plan[slot + 1:] if k == 0 else plan

    return LosesFirstWrite(base.config)


def test_counts_exact_fails_when_an_offset_is_committed_without_its_count():
    # With one input nothing is visible but the committed offset: no gap, no duplicate.
    model = _loses_first_write(EOS, 1)
    result = breadth_first(model, ["CountsExact"])
    found = result.violation("CountsExact")
    assert names(found.trace) == ["FetchOffset", "Poll", "Produce", "TxnLogCommitted",
                                  "SendOffsets", "TxnLogCommitted", "Acked", "Acked", "Commit",
                                  "TxnLogCommitted", "WriteMarker"]
    assert found.trace.actions[-1][1:] == ("offsets", "COMMIT e1 at 1")
    assert found.property.narrate(model, found.trace) == (
        "The input offset is committed at 1, 1 input(s) of key k0, but the changelog's last "
        "count for k0 is 0: an input's offset was committed without its count written.")


def test_output_exactly_once_fails_when_an_offset_is_committed_without_its_output():
    result = breadth_first(_loses_first_write(ALOS, 0), ["OutputExactlyOnce"])
    found = result.violation("OutputExactlyOnce")
    assert names(found.trace) == ["FetchOffset", "Poll", "Produce", "Acked", "SendOffsets"]


def test_the_notes_say_what_one_commit_per_input_leaves_out():
    from kafkacheck.model.clients.streams import COMMIT_AND_CACHE_NOTE

    notes = make_model("streams", EOS).notes()
    assert COMMIT_AND_CACHE_NOTE in notes
    assert "a commit covering several inputs is not explored" in COMMIT_AND_CACHE_NOTE
    assert not any("the finest" in note for note in notes)


# -- acks before Kafka 3.0 (audit of the Streams/Connect models, finding 4) ----------------
# StreamsConfig sets no acks before 3.0 (2.8 overrides only linger.ms), so a task's producer
# runs the producer default, acks=1, and the model (acks=all only) refuses the run; the
# producer.acks=all its message asks for was not passed to the loop and was refused too.

@pytest.mark.parametrize("setting", [{"producer.acks": "all"}, {"acks": "all"},
                                     {"producer.acks": "-1"}])
def test_producer_acks_all_runs_streams_before_kafka_3_0(setting):
    model = make_model("streams", setting, kafka_version="2.8", instances=1, inputs=1,
                       instance_crashes=0)
    assert model.config.uncovered == {}
    result = breadth_first(model)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 13


@pytest.mark.parametrize("setting,uncovered", [
    ({}, {"acks": 1}), ({"producer.acks": "1"}, {"producer.acks": 1}),
    ({"acks": "all", "producer.acks": "1"}, {"producer.acks": 1})])
def test_streams_before_kafka_3_0_does_not_cover_the_producer_default_acks_1(setting,
                                                                            uncovered):
    # Kafka takes it (the producer's default before 3.0): not covered, never refused nor
    # HOLDS (was refused); producer.acks wins over a bare acks (getProducerConfigs).
    model = make_model("streams", setting, kafka_version="2.8", instances=1, inputs=1,
                       instance_crashes=0)
    assert dict(model.config.uncovered) == uncovered
    assert breadth_first(model).result == "incomplete"
