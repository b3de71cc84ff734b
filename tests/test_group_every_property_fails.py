"""Every group property has a configuration that breaks it: a real one, or a mutant.

A property that nothing can break checks nothing.  Each row is one
``kafkacheck check group --set ... --bound ...`` run (real Kafka behaviour) or the same run
on a mutant from ``tests/mutants/group.py`` (a subclass overriding one rule), and must
report the property violated by the shortest counterexample of the pinned length.
"""

from __future__ import annotations

import pytest
from mutants import MUTANTS, make_mutant
from mutants.group import NoWithhold

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.group import GroupModel
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
MANUAL = {**EARLIEST, "enable.auto.commit": "false"}
COOPERATIVE = {**EARLIEST, "partition.assignment.strategy": "cooperative-sticky"}
REPLICATED = {**EARLIEST, "acks": "all", "replication.factor": "2"}

# property -> (why it fails, mutant or None for real Kafka behaviour, Kafka settings, bounds,
#              steps in the shortest counterexample (None: a never-reached `sometimes`),
#              its last action)
FAILS = {
    "OneOwnerPerGeneration": ("the cooperative assignor's moving partitions not withheld",
                              "no-withhold", COOPERATIVE,
                              {"consumers": 3, "partitions": 3, "records": 0}, 10, "Sync"),
    "NoTwoOwnersAtOnce": ("a paused member's session expires", None, COOPERATIVE,
                          {"records": 0, "pauses": 1}, 6, "Sync"),
    "NoConcurrentProcessing": ("max.poll.interval.ms exceeded (a zombie)", None, EARLIEST,
                               {"records": 1, "poll_timeouts": 1}, 9, "Poll"),
    "ConsumingNeverDeletes": ("a commit deletes the records below it (a queue)",
                              "delete-on-commit", MANUAL,
                              {"commit": "sync-after-processing", "records": 1,
                               "consumers": 1}, 7, "Commit"),
    "CommitsFromCurrentGeneration": ("the coordinator accepts a zombie's commit",
                                     "accept-stale-commits", MANUAL,
                                     {"commit": "sync-after-processing", "records": 1,
                                      "poll_timeouts": 1}, 8, "Commit"),
    "AtLeastOnce": ("commit before processing, then a crash", None, MANUAL,
                    {"commit": "before-processing", "records": 1, "crashes": 1}, 7, "Crash"),
    "AtMostOnce": ("auto-commit, a crash before the commit", None, EARLIEST,
                   {"records": 1, "crashes": 1}, 12, "Process"),
    "NoSkippedOffsets": ("auto.offset.reset=latest after retention", None,
                         {"auto.offset.reset": "latest"},
                         {"consumers": 1, "records": 2, "retention": 1}, 8, "Poll"),
    "ConsumersReadBelowHw": ("a fetch up to the log end", "fetch-above-hw", EARLIEST,
                             {"consumers": 1, "records": 1, "hw_lag": 1}, 5, "Poll"),
    "BalancedAssignment": ("the leader assigns itself everything", "assign-all-to-leader",
                           EARLIEST, {"consumers": 3, "partitions": 2, "records": 0}, 4,
                           "Sync"),
    "ExtraConsumersIdle": ("the leader assigns itself everything", "assign-all-to-leader",
                           EARLIEST, {"consumers": 3, "partitions": 2, "records": 0}, 5,
                           "Sync"),
    "SomeRecordProcessed": ("auto.offset.reset=none without a committed offset", None,
                            {"auto.offset.reset": "none"}, {"consumers": 1, "records": 1},
                            None, None),
    "AllRecordsProcessed": ("commit before processing, then a crash", None, MANUAL,
                            {"commit": "before-processing", "records": 1, "crashes": 1}, 11,
                            "Poll"),
    "ReadRecordsStay": ("unclean leader election", None,
                        {**REPLICATED, "unclean.leader.election.enable": "true"},
                        {"consumers": 1, "records": 2, "log": "replicated"}, 9,
                        "UncleanElect"),
    "NoAckedWriteLost": ("acks=1 and a leader crash", None, {**REPLICATED, "acks": "1"},
                         {"consumers": 1, "records": 1, "log": "replicated"}, 3, "Fence"),
    "CommittedRecordsStay": ("unclean leader election", None,
                             {**REPLICATED, "unclean.leader.election.enable": "true"},
                             {"consumers": 1, "records": 2, "log": "replicated"}, 5,
                             "UncleanElect"),
}


def build(mutant: str | None, settings: dict, bounds: dict) -> GroupModel:
    """The group model, or a registered mutant of it, on one configuration."""
    model = make_mutant("group", mutant, settings, **bounds) if mutant \
        else make_model("group", settings, **bounds)
    assert isinstance(model, GroupModel)
    return model


def test_without_withholding_cooperative_rebalancing_has_two_owners_at_once():
    model = make_mutant("group", "no-withhold", COOPERATIVE, consumers=3, partitions=3,
                        records=0)
    assert isinstance(model, NoWithhold)
    trace = breadth_first(model, ["NoTwoOwnersAtOnce"]).violation("NoTwoOwnersAtOnce").trace
    assert len(trace) == 10 and [a[0] for a in trace.actions][-2:] == ["Sync", "Sync"]


def test_every_property_of_the_group_model_has_a_failing_configuration():
    plain = make_model("group", EARLIEST)
    composed = make_model("group", REPLICATED, consumers=1, log="replicated")
    names = {p.name for p in plain.properties()} | {p.name for p in composed.properties()}
    assert names == set(FAILS)


def test_every_group_mutant_breaks_what_it_claims_and_is_used():
    group_mutants = {name for model, name in MUTANTS if model == "group"}
    assert group_mutants == {row[1] for row in FAILS.values() if row[1]}
    for (model, name), entry in MUTANTS.items():
        if model == "group":
            assert set(entry.breaks) & {p for p, row in FAILS.items() if row[1] == name}
            assert "bug" not in {b.name for b in entry.cls.bounds}


@pytest.mark.parametrize("prop", sorted(FAILS))
def test_the_property_fails(prop):
    _why, mutant, settings, bounds, length, last = FAILS[prop]
    model = build(mutant, settings, bounds)
    result = breadth_first(model, [prop], max_seconds=60)
    violation = result.violation(prop)
    assert violation is not None
    if length is None:
        assert violation.reason == "never-reached"
    else:
        assert len(violation.trace) == length and violation.trace.actions[-1][0] == last


@pytest.mark.parametrize("prop", ["CommitsFromCurrentGeneration", "ConsumingNeverDeletes",
                                  "BalancedAssignment", "ExtraConsumersIdle",
                                  "ConsumersReadBelowHw"])
def test_what_a_mutant_breaks_holds_without_it(prop):
    _why, mutant, settings, bounds, _length, _last = FAILS[prop]
    assert mutant is not None
    assert breadth_first(make_model("group", settings, **bounds), [prop]).result == "holds"
