"""Hypothesis drives the KIP-848 group model past exhaustive reach: 4 members, 2 topics of 3
partitions, crashes, restarts, closes, subscription changes and coordinator failovers.

The coordinator's single ownership, epochs and target legality are checked on every step;
the consumers' own view (NoTwoOwnersAtOnce) is left out because the model predicts short
overlaps during reconciliation races (tests/test_group_consumer_protocol.py).
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.explorer.stateful import PropertyViolation, machine_for
from kafkacheck.testing import make_model

CONSUMER = {"group.protocol": "consumer"}
COORDINATOR = ["SingleOwnerAtCoordinator", "MemberEpochsNeverGoBack", "TargetAssignmentLegal"]


def run_machine(model, properties, steps=None, examples=None, **options):
    machine = seed(0)(machine_for(model, properties))
    if steps:
        options["stateful_step_count"] = steps
    if examples:
        options["max_examples"] = examples
    run_state_machine_as_test(machine, settings=settings(settings.default, **options))


def big(settings_: dict[str, str] | None = None, **bounds: object):
    return make_model("group-consumer", {**CONSUMER, **(settings_ or {})}, consumers=4,
                      topics=2, partitions=3, crashes=2, rejoins=2, closes=1,
                      subscription_changes=2, failovers=1, **bounds)


def test_four_members_two_topics_keep_one_owner_per_partition_at_the_coordinator():
    run_machine(big(), COORDINATOR, steps=60, examples=30)


def test_four_static_members_with_range_keep_one_owner_per_partition():
    run_machine(big({"group.remote.assignor": "range", "group.instance.id": "app"}),
                COORDINATOR, steps=60, examples=20)


@pytest.mark.thorough
def test_the_kafka_16147_bookkeeping_is_found_at_four_members():
    model = big(rules="before-KAFKA-16147")
    with pytest.raises(PropertyViolation) as caught:
        run_machine(model, ["SingleOwnerAtCoordinator"], steps=80, examples=200)
    assert caught.value.property_name == "SingleOwnerAtCoordinator"


@pytest.mark.thorough
def test_four_members_with_every_fault_for_many_examples():
    model = big(pauses=1, lost_responses=2, rebalance_timeouts=1)
    run_machine(model, COORDINATOR, steps=150, examples=300)


def test_commit_after_processing_stays_at_least_once_at_four_members_and_six_partitions():
    model = big({"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
                records=6, commit="sync-after-processing")
    run_machine(model, [*COORDINATOR, "AtLeastOnce", "NoSkippedOffsets",
                        "ConsumersReadBelowHw", "ConsumingNeverDeletes", "StaleCommitsRejected"],
                steps=50, examples=8)


@pytest.mark.thorough
def test_commit_before_processing_loses_a_record_at_four_members_and_six_partitions():
    model = big({"auto.offset.reset": "earliest", "enable.auto.commit": "false"},
                records=6, commit="before-processing")
    # The loss needs a Commit and then a Crash of the same member before its Process, while
    # a walk tends to spend its crashes early: seed 0 meets it within 1,000 walks (about
    # 20 s).  Shrinking a 27-step find took over five minutes, so it is left out (the
    # violation, not its shortest form, is what this test asserts); no example database,
    # so a stored failure cannot stand in for a search.
    with pytest.raises(PropertyViolation) as caught:
        run_machine(model, ["AtLeastOnce"], steps=80, examples=1000, database=None,
                    phases=(Phase.generate,))
    assert caught.value.property_name == "AtLeastOnce"
