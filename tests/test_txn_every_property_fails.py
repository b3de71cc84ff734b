"""Every transactions property fails somewhere: on a real configuration where Kafka does not
keep it, or on a one-rule mutant (tests/mutants/transactions.py).

A property no run can break would be a wrong green waiting to happen.  Each case gives
the configuration, the property and the length of its shortest counterexample.
"""

from __future__ import annotations

import pytest
from mutants import load, make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

load("transactions")

RC = {"transactional.id": "app", "isolation.level": "read_committed"}
SMALL = {"instances": 1, "partitions": 1}
LOOP = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
# The loop's members commit their offsets themselves: auto-commit off.
LOOP_TV1 = {**RC, "transaction.version": "1", "enable.auto.commit": "false"}
# The transaction log on two brokers, the data on one: the coordinator can move.
SPLIT = {**RC, "replication.factor": "1", "transaction.state.log.replication.factor": "2"}

# (case, settings, bounds, property, shortest counterexample) on real Kafka behaviour.
REAL = [
    ("read_uncommitted reads an open transaction", {"transactional.id": "app"},
     {**SMALL, "aborts": 1}, "NoAbortedRead", 4),
    ("version 1: a late write commits half of an aborted transaction",
     {**RC, "transaction.version": "1"},
     {"instances": 1, "transactions": 2, "partitions": 2, "late_produces": 1, "expiries": 1,
      "aborts": 1}, "AtomicCommit", 27),
    ("a power loss of the only replica loses a committed transaction", RC,
     {**SMALL, "crashes": 1, "crash_kind": "power-loss"}, "CommittedNotLost", 11),
    ("version 1 without verification: a hanging transaction",
     {**RC, "transaction.version": "1", "transaction.partition.verification.enable": "false"},
     {**SMALL, "late_produces": 1, "expiries": 1, "aborts": 1}, "LsoAdvances", 14),
    ("no abort ever happens: nothing to filter", RC, SMALL, "SomeAbortFiltered", None),
    ("without a transactional.id the loop duplicates",
     {"isolation.level": "read_committed", "enable.auto.commit": "false"},
     LOOP, "ExactlyOnce", 8),
]


@pytest.mark.parametrize("case, settings, bounds, prop, length", REAL,
                         ids=[c[0] for c in REAL])
def test_property_fails_on_real_kafka_behaviour(case, settings, bounds, prop, length):
    result = breadth_first(make_model("transactions", settings, **bounds), [prop])
    found = result.violation(prop)
    assert found is not None, case
    if length is None:
        assert found.reason == "never-reached"
    else:
        assert len(found.trace) == length


# (mutant, settings, bounds, property, shortest counterexample)
MUTANTS = [
    ("stable-up-to-hw", RC, SMALL, "NoAbortedRead", 4),
    ("keeps-aborted-records", RC, {**SMALL, "aborts": 1}, "NoAbortedRead", 8),
    ("keeps-aborted-records", RC, {"instances": 2, "partitions": 2}, "AtomicCommit", 7),
    ("accepts-older-epochs", {**RC, "transaction.version": "1",
                              "transaction.partition.verification.enable": "false"},
     {"instances": 2, "partitions": 1, "late_produces": 1}, "ZombieFenced", 13),
    ("end-txn-ignores-epoch", RC, {"instances": 2, "partitions": 1}, "ZombieFenced", 16),
    ("refuses-markers", RC, SMALL, "TransactionsComplete", 7),
    ("new-leader-keeps-hw", RC, {**SMALL, "crashes": 1}, "LsoAdvances", 15),
    ("refuses-markers", RC, SMALL, "CommittedBecomesVisible", 7),
    ("refuses-markers", RC, SMALL, "SomeCommitVisible", None),
    ("refuses-markers", LOOP_TV1, LOOP, "SomeOutputVisible", None),
    ("no-generation-check", LOOP_TV1, LOOP, "ZombieOffsetsFenced", 6),
    ("no-generation-check", LOOP_TV1, LOOP, "ExactlyOnce", 24),
    ("unstable-offset-fetch", LOOP_TV1, LOOP, "ExactlyOnce", 24),
    # The new coordinator forgets P0's epoch (its replica's HW was behind) and gives P1 the
    # same one: P1's record is taken for a duplicate of P0's, and P1's commit returns.
    ("loads-below-hw", SPLIT, {"instances": 2, "partitions": 1, "coordinator_moves": 1},
     "CommittedNotLost", 13),
    ("no-seek-after-abort", LOOP_TV1, {**LOOP, "rebalances": 0, "instances": 1, "aborts": 1},
     "LoopCompletes", 3),
]


@pytest.mark.parametrize("name, settings, bounds, prop, length", MUTANTS,
                         ids=[f"{m[0]}-{m[3]}" for m in MUTANTS])
def test_property_fails_on_a_mutant(name, settings, bounds, prop, length):
    model = make_mutant("transactions", name, settings, **bounds)
    result = breadth_first(model, [prop])
    found = result.violation(prop)
    assert found is not None
    if length is None:
        assert found.reason == "never-reached"
    else:
        assert len(found.trace) == length


def test_every_property_is_covered_by_a_failing_case():
    app = {p.name for p in make_model("transactions", RC, **SMALL).properties()}
    loop = {p.name for p in make_model("transactions", LOOP_TV1, **LOOP).properties()}
    shown = {c[3] for c in REAL} | {m[3] for m in MUTANTS}
    assert (app | loop) - shown == set()
