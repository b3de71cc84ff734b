"""KAFKA-20332: on Kafka 4.0 to 4.2.0 the KIP-848 consumer's background thread revokes
partitions while the application still processes their records.

AbstractMembershipManager.maybeReconcile(false), called by the background thread between
two polls, waits for the application only when auto-commit is on
(``autoCommitEnabled && !canCommit``), and with no ConsumerRebalanceListener the revocation
callback completes at once.  So with commitSync after processing, a partition can leave the
consumer mid-batch; its commit then leaves the partition out (allConsumed), and the new
owner reads the same records from the old committed offset, at the same time (read in
kafka-clients 4.0.0 to 4.3.1; reproduced on a 4.0.0 broker).  4.3 and 4.2.1 revoke only
from poll() (``!canCommit && (autoCommitEnabled || !revokedPartitions.isEmpty())``); a
reconciliation that only adds partitions still completes in the background.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.explorer.checks import PropertySet
from kafkacheck.model import versions
from kafkacheck.properties.base import always_step
from kafkacheck.testing import make_model

MANUAL = {"auto.offset.reset": "earliest", "enable.auto.commit": "false"}
LOOP = {"records": 2, "hw_lag": 1, "commit": "sync-after-processing"}
PROPS = ["NoConcurrentProcessing", "AtMostOnce"]


def check(version: str, settings=MANUAL, **bounds):
    model = make_model("group-consumer", settings, kafka_version=version, **{**LOOP, **bounds})
    return breadth_first(model, PROPS)


def first_background_reconcile(version: str, **bounds):
    """The shortest trace to a reconciliation completed while the application held a batch."""
    model = make_model("group-consumer", MANUAL, kafka_version=version, **{**LOOP, **bounds})
    prop = always_step("Witness", "no background reconciliation",
                       lambda s, a, t: "in the background" not in a)
    result = breadth_first(model, propset=PropertySet([prop], [], [prop], [], []))
    found = result.violation("Witness")
    return None if found is None else found.trace.actions


@pytest.mark.parametrize("version", ["4.0", "4.0.2", "4.1.2", "4.2.0"])
def test_before_the_fix_two_consumers_process_the_same_records_with_no_fault(version):
    result = check(version)
    assert result.distinct_states == 24017
    trace = result.violation("NoConcurrentProcessing").trace.actions
    # C1 polls p1's record, the background thread revokes p1 before C1 processes it, and
    # C2, given p1, polls the same offset from the committed position (none: earliest).
    assert ("Poll", "C1", "p1", "offset 0", "reset earliest") in trace
    assert ("Reconcile", "C1", "in the background", "revoke {p1}") in trace
    assert trace[-1][:3] in {("Poll", "C2", "p1"), ("Process", "C2", "p1")}
    assert result.violation("AtMostOnce").trace.actions[-1] == ("Process", "C2", "p1",
                                                                 "offset 0")
    assert result.fault_model.text().startswith("faults: none;")


@pytest.mark.parametrize(("version", "states"), [("4.2.1", 29345), ("4.3", 27623),
                                                 ("4.4", 27623)])
def test_from_the_fix_the_background_thread_no_longer_revokes(version, states):
    result = check(version)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == states


def test_from_the_fix_it_still_adds_partitions_in_the_background():
    # C2 crashes and expires: C1, processing p0, is given p1 too and takes it at once.
    trace = first_background_reconcile("4.2.1", crashes=1)
    assert trace[-1] == ("Reconcile", "C1", "in the background", "assign {p1}")
    assert first_background_reconcile("4.2.1") is None  # no revocation in the background


def test_a_registered_listener_keeps_revocation_in_poll():
    result = check("4.0", rebalance_listener="registered")
    assert result.result == "holds" and result.distinct_states == 29345


def test_auto_commit_makes_the_background_thread_wait_for_poll():
    settings = {**MANUAL, "enable.auto.commit": "true"}
    result = check("4.0", settings)
    assert result.result == "holds" and result.distinct_states == 52251


def test_the_fix_is_in_4_3_and_backported_to_4_2_1_only():
    assert [v for v in ("4.0.2", "4.1.2", "4.2.0", "4.2.1", "4.2.2", "4.3.0", "4.4")
            if versions.has_fix(v, "KAFKA-20332")] == ["4.2.1", "4.2.2", "4.3.0", "4.4"]


def test_the_preset_shows_it_on_4_0():
    from kafkacheck.cli import main

    assert main(["check", "group-consumer-background-revocation", "--no-diagram"]) == 1
    assert main(["check", "group-consumer-background-revocation", "--kafka-version", "4.2.1",
                 "--no-diagram"]) == 0
