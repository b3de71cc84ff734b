"""Hypothesis drives the Streams and sink models past exhaustive reach: exactly_once_v2 with
two instances, two inputs and a crash that moves the task (issue 20's configuration; the
breadth-first search passes 350,000 states without finishing), and three sink tasks with
four records, two crashes and a zombie.  The record layout (63 kinds of log entry) keeps
exactly_once_v2 at two inputs, one key and one crash."""

from __future__ import annotations

import pytest
from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.explorer.stateful import machine_for
from kafkacheck.testing import make_model

EOS_SCALE = {"instances": 2, "inputs": 2, "instance_crashes": 1}
SINK_SCALE = {"tasks": 3, "records": 4, "crashes": 2, "poll_timeouts": 1}


def run_machine(model, properties, examples, steps=60):
    machine = seed(0)(machine_for(model, properties))
    run_state_machine_as_test(machine, settings=settings(
        settings.default, max_examples=examples, stateful_step_count=steps, deadline=None))


def test_exactly_once_v2_keeps_counts_exact_with_two_instances_sampled():
    model = make_model("streams", {"processing.guarantee": "exactly_once_v2"}, **EOS_SCALE)
    run_machine(model, ["CountsExact", "OutputExactlyOnce"], examples=30)


def test_an_upserting_sink_loses_and_duplicates_nothing_at_scale():
    model = make_model("sink", {}, write="upsert", **SINK_SCALE)
    run_machine(model, ["SinkNoLoss", "SinkNoDuplicates"], examples=30)


@pytest.mark.thorough
def test_exactly_once_v2_keeps_counts_exact_with_two_instances_sampled_thorough():
    model = make_model("streams", {"processing.guarantee": "exactly_once_v2"}, **EOS_SCALE)
    run_machine(model, ["CountsExact", "OutputExactlyOnce"], examples=500, steps=120)
