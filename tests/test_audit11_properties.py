"""Audit 11: properties whose predicate is weaker than the statement users read.

Each gap has two tests.  The first shows the situation is real: under the named model (a
real configuration, or a mutant from tests/mutants) the statement taken literally, written
here as a stricter predicate, is violated.  The second is a strict xfail: it asserts the
named property is violated there too, and fails today because the predicate skips the
situation.  Fixing the predicate turns the xfail into an XPASS, which strict mode reports,
so the mark must then be removed.  Each run explores a few hundred states (well under a
second).
"""

from __future__ import annotations

from typing import Any

import pytest
from mutants import make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.group import DOWN
from kafkacheck.properties.base import Property, always, always_step
from kafkacheck.testing import make_model

WEAKER = "property weaker than its statement (audit11)"


def with_extra(model: Any, *extra: Property) -> Any:
    """The same model and configuration, with stricter test-only properties added."""
    base = type(model)

    class Stricter(base):  # type: ignore[misc, valid-type]
        def properties(self) -> list[Property]:
            return [*super().properties(), *extra]

    Stricter.__name__ = base.__name__
    return Stricter(model.config)


# -- OneLeaderPerLeaderEpoch (properties/controller.py, one_leader_per_epoch) ---------------
#
# Statement: "at most one broker leads a partition in each leader epoch (as brokers act,
# and in every controller's metadata)".  The predicate compares only what holds in one
# state: brokers acting as leader at that moment, and the registrations controllers hold
# at that moment.  A leader epoch handed to a second broker after the first one stopped
# leading (a crash, then fencing) is never seen twice in one state when a single
# controller holds the metadata, so the mutant that keeps the leader epoch on a new
# leader (no-leader-epoch-bump) passes.  Kafka bumps the leader epoch on every leader
# change (PartitionChangeBuilder), which is what followers and clients fence on (KIP-320).

SAFE = {"acks": "all", "min.insync.replicas": "2", "unclean.leader.election.enable": "false",
        "process.roles": "broker"}
ONE_CONTROLLER_CRASH = {"records": 1, "crashes": 1, "isolations": 0, "controllers": 1}


def _leader_changes_bump_epoch(before: Any, action: Any, after: Any) -> bool:
    """The statement over time: in every controller's metadata, a registration whose leader
    changes gets a new leader epoch (so no epoch ever names two leaders)."""
    for old_ctl, new_ctl in zip(before.controllers, after.controllers, strict=True):
        for old, new in zip(old_ctl.image.parts, new_ctl.image.parts, strict=True):
            if new.leader != old.leader and new.epoch == old.epoch:
                return False
    return True


LEADER_EPOCH_NAMES_ONE_LEADER = always_step(
    "LeaderEpochNamesOneLeaderOverTime",
    "a leader epoch, once given to a broker, is never given to another",
    _leader_changes_bump_epoch)


def _epoch_reuse_model() -> Any:
    model = make_mutant("controller", "no-leader-epoch-bump", SAFE, **ONE_CONTROLLER_CRASH)
    return with_extra(model, LEADER_EPOCH_NAMES_ONE_LEADER)


def test_a_leader_epoch_reused_after_a_crash_breaks_the_statement_taken_literally():
    result = breadth_first(_epoch_reuse_model(),
                           ["OneLeaderPerLeaderEpoch", "LeaderEpochNamesOneLeaderOverTime"])
    assert result.complete
    violation = result.violation("LeaderEpochNamesOneLeaderOverTime")
    assert violation is not None
    # B1 (leader in epoch 0) crashes; the controller fences it and makes B2 leader, still
    # in epoch 0: two brokers have led the partition in epoch 0.
    assert [a[0] for a in violation.trace.actions] == ["Crash", "Fence"]


@pytest.mark.xfail(strict=True, reason=WEAKER)
def test_one_leader_per_leader_epoch_fails_when_an_epoch_is_reused_after_a_crash():
    result = breadth_first(_epoch_reuse_model(), ["OneLeaderPerLeaderEpoch"])
    assert result.violation("OneLeaderPerLeaderEpoch") is not None


# -- NoTwoOwnersAtOnce (properties/group.py, _owners / no_two_owners) ---------------------
#
# Statement: "no partition is owned by two consumers at the same time".  The predicate
# counts only consumers with a generation (``m.generation != NO_GEN``).  After a poll
# timeout (KIP-62, max.poll.interval.ms) the heartbeat thread leaves the group and resets
# the generation, but the application still holds its assignment (onPartitionsLost runs
# only in its next poll()) and goes on processing: the coordinator gives the partition to
# another consumer meanwhile, and two consumers own it.  The report's poll_timeouts row
# says NoTwoOwnersAtOnce holds while NoConcurrentProcessing is violated on the same
# overlap.  The KIP-848 model's no_two_owners counts every running client, as the
# statement says.  No mutant is needed: this is Kafka's own behaviour.

POLL_TIMEOUT_ROW = {"partition.assignment.strategy": "range", "auto.offset.reset": "earliest"}
POLL_TIMEOUT_BOUNDS = {"records": 2, "poll_timeouts": 1, "crashes": 0}


def _every_running_owner_counts(s: Any) -> bool:
    """The statement taken literally: no two running consumers hold one partition."""
    seen = 0
    for m in s.consumers:
        if m.status != DOWN and m.owned:
            if seen & m.owned:
                return False
            seen |= m.owned
    return True


NO_TWO_RUNNING_OWNERS = always(
    "NoTwoRunningOwners", "no two running consumers hold the same partition",
    _every_running_owner_counts)


def _poll_timeout_model() -> Any:
    return with_extra(make_model("group", POLL_TIMEOUT_ROW, **POLL_TIMEOUT_BOUNDS),
                      NO_TWO_RUNNING_OWNERS)


def test_a_poll_timed_out_consumer_still_owns_its_partition_when_it_moves():
    result = breadth_first(_poll_timeout_model(),
                           ["NoTwoRunningOwners", "NoConcurrentProcessing"])
    violation = result.violation("NoTwoRunningOwners")
    assert violation is not None
    # C1 owns p0 and polled offset 0; max.poll.interval.ms passes; C2 syncs and gets p0
    # while C1 still holds it (and the records it polled).
    assert [str(a) for a in violation.trace.actions[-2:]] == [
        str(("PollTimeout", "C1")), str(("Sync", "C2", "{p0}"))]
    assert len(violation.trace) == 8
    # The same overlap is what NoConcurrentProcessing reports one poll later.
    assert len(result.violation("NoConcurrentProcessing").trace) == 9


@pytest.mark.xfail(strict=True, reason=WEAKER)
def test_no_two_owners_at_once_fails_when_a_poll_timed_out_consumer_keeps_its_partition():
    model = make_model("group", POLL_TIMEOUT_ROW, **POLL_TIMEOUT_BOUNDS)
    result = breadth_first(model, ["NoTwoOwnersAtOnce"])
    assert result.violation("NoTwoOwnersAtOnce") is not None


# -- OutputExactlyOnce (properties/streams.py, first_wrong_count) --------------------------
#
# Statement: "the output topic, read with read_committed, holds each count of a key once
# and none above its number of input records" (the module says: the count written for the
# n-th input of a key is n).  The predicate checks only that a key's visible counts are
# distinct and not above its number of inputs: a count that is never written (an input
# whose offset was committed with its output lost) leaves {2} for a key whose first count
# is missing, which passes.  Only the coverage property AllCounted ("never reached")
# notices, and only when the loss happens on every path.  CountsExact (the changelog)
# shares the same predicate.

def _no_missing_count(model: Any) -> Property:
    """The statement taken literally: a visible count n of a key comes with counts 1..n-1."""
    from kafkacheck.properties.streams import counts

    def holds(s: Any) -> bool:
        seen: dict[int, set[int]] = {}
        for key, count in counts(model, s, 0):  # data partition 0: the output topic
            seen.setdefault(key, set()).add(count)
        return all(c == set(range(1, max(c) + 1)) for c in seen.values())

    return always("OutputHasEveryCount", "a key's visible counts are 1..n with none missing",
                  holds)


def _loses_first_output() -> Any:
    """Test-only mutant: input 0's transaction leaves out its output-topic write (the
    changelog and the input offset are still written and committed)."""
    from kafkacheck.model.clients import txn_producer as tp
    from kafkacheck.model.clients.streams import OUTPUT

    base = make_model("streams", {"processing.guarantee": "exactly_once_v2"},
                      instances=1, instance_crashes=0)

    class LosesFirstOutput(type(base)):  # type: ignore[misc]
        def _plan(self, k: int) -> tuple[int, ...]:
            plan = super()._plan(k)
            if k == 0:
                plan = plan[:OUTPUT] + (tp.IDLE,) + plan[OUTPUT + 1:]
            return plan

    model = LosesFirstOutput(base.config)
    return with_extra(model, _no_missing_count(model))


def test_an_input_whose_output_is_lost_breaks_the_statement_taken_literally():
    result = breadth_first(_loses_first_output(),
                           ["OutputExactlyOnce", "OutputHasEveryCount", "AllCounted"])
    assert result.violation("OutputHasEveryCount") is not None
    # The coverage property is the only other signal, and only because every path loses.
    assert result.result == "violated"
    assert "AllCounted" not in result.witnesses


@pytest.mark.xfail(strict=True, reason=WEAKER)
def test_output_exactly_once_fails_when_an_inputs_count_is_never_written():
    result = breadth_first(_loses_first_output(), ["OutputExactlyOnce"])
    assert result.violation("OutputExactlyOnce") is not None
