"""Two registered mutant claims that no test ran (audit s21, finding 6): each mutant breaks
the property its ``breaks=`` names, on a configuration where the unmutated model keeps it.
"""

from __future__ import annotations

from mutants import MUTANTS, load, make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

load("transactions")
load("replication")

RC = {"transactional.id": "app", "isolation.level": "read_committed"}
RF3 = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}


def test_a_restarted_sole_replica_that_keeps_its_hw_never_shows_a_committed_transaction():
    # The only replica restarts and is the last leader again; the mutant leaves committed
    # transactions below its HW unseen, so a committed one never becomes visible (a lasso).
    assert "CommittedBecomesVisible" in MUTANTS[("transactions", "new-leader-keeps-hw")].breaks
    bounds = {"instances": 1, "partitions": 1, "crashes": 1}
    mutant = make_mutant("transactions", "new-leader-keeps-hw", RC, **bounds)
    found = breadth_first(mutant, ["CommittedBecomesVisible"]).violation(
        "CommittedBecomesVisible")
    assert found.reason == "liveness" and len(found.trace) == 15
    assert [a[0] for a in found.trace.actions][-5:] == [
        "Crash", "Fence", "Restart", "LastLeaderElect", "LastLeaderElect"]
    real = breadth_first(make_model("transactions", RC, **bounds), ["CommittedBecomesVisible"])
    assert real.result == "holds" and real.distinct_states == 233


def test_a_hw_that_counts_the_proposed_isr_loses_a_record_consumers_could_read():
    # KIP-497: the leader's HW must count its maximal ISR while a shrink is in flight;
    # counting the proposed ISR commits a record that only the crashed leader has.
    assert "CommittedRecordsStay" in MUTANTS[("replication", "hw-counts-proposed-isr")].breaks
    bounds = {"crashes": 1, "crash_kind": "process", "isr_updates": "in-flight", "records": 1}
    mutant = make_mutant("replication", "hw-counts-proposed-isr", RF3, **bounds)
    trace = breadth_first(mutant, ["CommittedRecordsStay"]).violation(
        "CommittedRecordsStay").trace
    assert [a[0] for a in trace.actions] == ["Produce", "Fetch", "AlterPartition", "Fetch",
                                             "Crash", "Fence"]
    # The unmutated model has no counterexample as short (tests/test_replication_failure_
    # modes.py shows it holds on these bounds, 16,817 states).
    real = breadth_first(make_model("replication", RF3, **bounds), ["CommittedRecordsStay"],
                         max_depth=6)
    assert real.violation("CommittedRecordsStay") is None
    assert real.stop_reason.startswith("depth limit")
