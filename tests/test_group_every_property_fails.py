"""Every group property has a configuration that breaks it: a real one, or an injected bug.

A property that nothing can break checks nothing.  Each row is one
``kafkacheck check group --set ... --bound ...`` run that must report the property violated.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
MANUAL = {**EARLIEST, "enable.auto.commit": "false"}
COOPERATIVE = {**EARLIEST, "partition.assignment.strategy": "cooperative-sticky"}
REPLICATED = {**EARLIEST, "acks": "all", "replication.factor": "2"}

# property -> (why it fails, Kafka settings, bounds)
FAILS = {
    "OneOwnerPerGeneration": ("bug: the cooperative assignor's moving partitions not withheld",
                              COOPERATIVE, {"consumers": 3, "partitions": 3, "records": 0,
                                            "bug": "no-withhold"}),
    "NoTwoOwnersAtOnce": ("real: a paused member's session expires", COOPERATIVE,
                          {"records": 0, "pauses": 1}),
    "NoConcurrentProcessing": ("real: max.poll.interval.ms exceeded (a zombie)", EARLIEST,
                               {"records": 1, "poll_timeouts": 1}),
    "ConsumingNeverDeletes": ("bug: a commit deletes the records below it (a queue)",
                              MANUAL, {"commit": "sync-after-processing", "records": 1,
                                       "consumers": 1, "bug": "delete-on-commit"}),
    "CommitsFromCurrentGeneration": ("bug: the coordinator accepts a zombie's commit", MANUAL,
                                     {"commit": "sync-after-processing", "records": 1,
                                      "poll_timeouts": 1, "bug": "accept-stale-commits"}),
    "AtLeastOnce": ("real: commit before processing, then a crash", MANUAL,
                    {"commit": "before-processing", "records": 1, "crashes": 1}),
    "AtMostOnce": ("real: auto-commit, a crash before the commit", EARLIEST,
                   {"records": 1, "crashes": 1}),
    "NoSkippedOffsets": ("real: auto.offset.reset=latest after retention",
                         {"auto.offset.reset": "latest"},
                         {"consumers": 1, "records": 2, "retention": 1}),
    "ConsumersReadBelowHw": ("bug: fetch up to the log end", EARLIEST,
                             {"consumers": 1, "records": 1, "hw_lag": 1,
                              "bug": "fetch-above-hw"}),
    "BalancedAssignment": ("bug: the leader assigns itself everything", EARLIEST,
                           {"consumers": 3, "partitions": 2, "records": 0,
                            "bug": "assign-all-to-leader"}),
    "ExtraConsumersIdle": ("bug: the leader assigns itself everything", EARLIEST,
                           {"consumers": 3, "partitions": 2, "records": 0,
                            "bug": "assign-all-to-leader"}),
    "SomeRecordProcessed": ("real: auto.offset.reset=none without a committed offset",
                            {"auto.offset.reset": "none"}, {"consumers": 1, "records": 1}),
    "AllRecordsProcessed": ("real: commit before processing, then a crash", MANUAL,
                            {"commit": "before-processing", "records": 1, "crashes": 1}),
    "ReadRecordsStay": ("real: unclean leader election",
                        {**REPLICATED, "unclean.leader.election.enable": "true"},
                        {"consumers": 1, "records": 2, "log": "replicated"}),
    "NoAckedWriteLost": ("real: acks=1 and a leader crash", {**REPLICATED, "acks": "1"},
                         {"consumers": 1, "records": 1, "log": "replicated"}),
    "CommittedRecordsStay": ("real: unclean leader election",
                             {**REPLICATED, "unclean.leader.election.enable": "true"},
                             {"consumers": 1, "records": 2, "log": "replicated"}),
}


def test_without_withholding_cooperative_rebalancing_has_two_owners_at_once():
    model = make_model("group", COOPERATIVE, consumers=3, partitions=3, records=0,
                       bug="no-withhold")
    result = breadth_first(model, ["NoTwoOwnersAtOnce"])
    assert [a[0] for a in result.violation("NoTwoOwnersAtOnce").trace.actions][-1] == "Sync"


def test_every_property_of_the_group_model_has_a_failing_configuration():
    plain = make_model("group", EARLIEST)
    composed = make_model("group", REPLICATED, consumers=1, log="replicated")
    names = {p.name for p in plain.properties()} | {p.name for p in composed.properties()}
    assert names == set(FAILS)


@pytest.mark.parametrize("prop", sorted(FAILS))
def test_the_property_fails(prop):
    _why, settings, bounds = FAILS[prop]
    model = make_model("group", settings, **bounds)
    result = breadth_first(model, [prop], max_seconds=60)
    assert result.violation(prop) is not None
