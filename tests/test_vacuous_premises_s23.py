"""Vacuity pass 4: Streams, the classic group's retention and offset expiry, and the poll
loop's delivery properties (properties/delivery.py, used by both group protocols).

* AtLeastOnce needs a committed offset.  With commit=none and enable.auto.commit=false
  the poll loop commits nothing, so AtLeastOnce cannot fail and is not checked (exit 3), in
  the classic and the KIP-848 model.  A commit-ahead mutant survives there and is caught
  once the loop commits.
* CommitsFromCurrentGeneration needs a member dropped from the group while it runs on (a
  pause, a poll timeout or a second process with its group.instance.id) and a commit:
  without them an accept-stale-commits mutant holds, and the property is not checked.
* Left checked: each of these is failed by a one-rule mutant without any fault, where the
  real fault-free run says HOLDS "with no fault injected".  They are the Streams
  CountsExact and OutputExactlyOnce (a wrong count, or an offset committed without its
  changelog write), ConsumingNeverDeletes without retention (a commit that deletes),
  AtMostOnce with one consumer (a refused commit; with auto-commit, polls that restart
  from the committed offset, in both group models), and the verdict of
  offset-expiry-kip211, where no offset ever expires (the pre-KIP-211 expiry rule, run on
  4.4 under the same bounds, breaks AtMostOnce).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from mutants import make_mutant
from verdicts import cli, cli_gaps, steps, verdicts

from kafkacheck.config import build_config
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients import txn_producer as tp
from kafkacheck.model.clients.group import GroupModel, GroupState
from kafkacheck.model.clients.group_consumer import ConsumerProtocolGroupModel
from kafkacheck.model.clients.poll_loop import NO_COMMIT, NO_POSITION
from kafkacheck.model.clients.streams import StreamsModel
from kafkacheck.model.presets import PRESETS
from kafkacheck.testing import make_model

NO_COMMITS_REASON = (
    "not checked: AtLeastOnce: commit=none with enable.auto.commit=false: no offset is ever "
    "committed, so this property cannot fail; set --bound commit=sync-after-processing to "
    "check it")
OFF = {"enable.auto.commit": "false", "auto.offset.reset": "earliest"}
ON = {"enable.auto.commit": "true", "auto.offset.reset": "earliest"}
KIP848 = {"group.protocol": "consumer"}
ALOS = {"processing.guarantee": "at_least_once"}
EOS = {"processing.guarantee": "exactly_once_v2"}
COUNTS = ["CountsExact", "OutputExactlyOnce"]


def build(cls: type, settings: dict[str, str], kafka_version: str | None = None,
          **bounds: Any) -> Any:
    """An instance of a test-local mutant class over a configuration built as for its model."""
    config = build_config(cls, list(settings.items()),
                          bounds=[(k, str(v)) for k, v in bounds.items()],
                          kafka_version=kafka_version)
    return cls(config)


# -- mutants (one rule each, overridden here, never in the model) ----------------------------


class CommitAheadRule:
    """A commit stores one past each position: the committed offset passes a record nobody
    polled."""

    def _committed_positions(self, state: Any, m: Any) -> tuple[int, ...]:
        committed = super()._committed_positions(state, m)  # type: ignore[misc]
        return tuple(c + 1 if c >= 0 else c for c in committed)


class ClassicCommitAhead(CommitAheadRule, GroupModel):
    """The classic group model with CommitAheadRule."""


class Kip848CommitAhead(CommitAheadRule, ConsumerProtocolGroupModel):
    """The KIP-848 group model with CommitAheadRule."""


class RefuseCommits(GroupModel):
    """The coordinator refuses every commit with REBALANCE_IN_PROGRESS, a valid one too."""

    def commit_error(self, state: GroupState, i: int) -> str | None:
        return super().commit_error(state, i) or "REBALANCE_IN_PROGRESS"


class PollFromCommittedRule:
    """Every poll starts from the group's committed offset when there is one, not from the
    consumer's own position (a position lost between polls)."""

    def _poll(self, state: Any, i: int, p: int) -> Any:
        m = self.consumers_of(state)[i]  # type: ignore[attr-defined]
        if state.committed[p] != NO_COMMIT and m.positions[p] != NO_POSITION:
            m = m._replace(positions=m.positions[:p] + (NO_POSITION,) + m.positions[p + 1:])
            state = self._with_member(state, i, m)  # type: ignore[attr-defined]
        return super()._poll(state, i, p)  # type: ignore[misc]


class ClassicPollFromCommitted(PollFromCommittedRule, GroupModel):
    """The classic group model with PollFromCommittedRule."""


class Kip848PollFromCommitted(PollFromCommittedRule, ConsumerProtocolGroupModel):
    """The KIP-848 group model with PollFromCommittedRule."""


class ExpireLiveGroupOffsets(GroupModel):
    """Offsets expire whatever the group's state: the rule before KIP-211 (Kafka 2.0), on a
    release that has KIP-211."""

    def expirable_offsets(self, state: GroupState) -> int:
        return sum(1 << p for p, c in enumerate(state.committed) if c != NO_COMMIT)


class CountTwice(StreamsModel):
    """process() adds two to the key's count."""

    def processed_store(self, store: tuple[int, ...], k: int) -> tuple[int, ...]:
        g = self.key_of(k)
        return store[:g] + (min(store[g] + 2, self.top),) + store[g + 1:]


class SkipChangelog(StreamsModel):
    """The task sends the count to the output topic and commits the input offset, but
    never writes the count to the changelog."""

    def _plan(self, k: int) -> tuple[int, ...]:
        plan = super()._plan(k)
        return plan if k < 0 else plan[:1] + (tp.IDLE,) + plan[2:]


def reachable(model: Any, limit: int = 200_000) -> list[Any]:
    """Every state the model reaches (a plain BFS, no symmetry reduction)."""
    seen = set(model.init_states())
    queue = deque(seen)
    while queue:
        for _action, nxt in model.successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
                assert len(seen) < limit
    return list(seen)


# -- AtLeastOnce: no commit, nothing to check ------------------------------------------------


@pytest.mark.parametrize("model, extra", [("group", ()), ("group-consumer",
                                                          ("--bound", "partitions=1"))])
def test_at_least_once_is_not_checked_when_the_poll_loop_never_commits(capsys, model, extra):
    code, out = cli(capsys, "check", model, "--set", "enable.auto.commit=false",
                    "--set", "auto.offset.reset=earliest", "--bound", "commit=none",
                    "--bound", "records=1", *extra, "--property", "AtLeastOnce")
    assert code == 3 and "HOLDS" not in out
    assert "[ not checked ] AtLeastOnce" in out and NO_COMMITS_REASON in out
    assert "[    holds    ] SomeRecordProcessed" in out  # records are read: only no commit


@pytest.mark.parametrize("cls, settings, bounds", [
    (GroupModel, OFF, {"records": 2, "crashes": 1, "rejoins": 1, "closes": 1,
                       "poll_timeouts": 1, "offset_expiries": 1}),
    (ConsumerProtocolGroupModel, {**OFF, **KIP848},
     {"records": 1, "partitions": 1, "crashes": 1, "rejoins": 1, "closes": 1}),
], ids=["classic", "kip848"])
def test_without_commits_no_state_has_a_committed_offset(cls, settings, bounds):
    # The premise, checked on every reachable state: through crashes, restarts, closes (and
    # the classic model's poll timeout and offset expiry) no offset is ever committed.
    states = reachable(build(cls, settings, commit="none", **bounds))
    assert len(states) > 1_000
    assert all(c == NO_COMMIT for s in states for c in s.committed)


@pytest.mark.parametrize("cls, settings, bounds", [
    (ClassicCommitAhead, OFF, {"records": 2, "consumers": 1}),
    (Kip848CommitAhead, {**OFF, **KIP848}, {"records": 1, "partitions": 1}),
], ids=["classic", "kip848"])
def test_a_commit_ahead_is_caught_once_the_loop_commits(cls, settings, bounds):
    none = breadth_first(build(cls, settings, commit="none", crashes=1, rejoins=1, **bounds),
                         ["AtLeastOnce"])
    assert none.result == "incomplete"  # was HOLDS: the mutant survived, nothing committed
    assert verdicts(none) == {"AtLeastOnce": "not checked", "SomeRecordProcessed": "holds"}
    sync = breadth_first(build(cls, settings, commit="sync-after-processing", **bounds),
                         ["AtLeastOnce"])
    assert sync.result == "violated" and steps(sync, "AtLeastOnce") == 7
    # commit=none beside enable.auto.commit=true: auto-commit commits, so it is checked.
    auto = breadth_first(build(cls, {**settings, **ON}, commit="none", **bounds),
                         ["AtLeastOnce"])
    assert auto.result == "violated" and steps(auto, "AtLeastOnce") == 5


def test_at_least_once_is_still_checked_with_auto_commit_beside_commit_none(capsys):
    code, out = cli(capsys, "check", "group", "--set", "enable.auto.commit=true",
                    "--set", "auto.offset.reset=earliest", "--bound", "commit=none",
                    "--bound", "records=2", "--bound", "consumers=1",
                    "--property", "AtLeastOnce")
    assert code == 0 and "[    holds    ] AtLeastOnce" in out and "not checked" not in out


# -- Streams: a wrong rule fails both properties without any fault ---------------------------


@pytest.mark.parametrize("settings, length", [(ALOS, 3), (EOS, 14)], ids=["alos", "eos"])
def test_a_wrong_count_fails_the_streams_properties_without_a_fault(settings, length):
    # One instance, one input, no crash, rebalance or broker crash: nothing could count an
    # input twice, yet a wrong count rule is caught, so such a run is a real check.
    bounds = {"instances": 1, "inputs": 1, "instance_crashes": 0}
    result = breadth_first(build(CountTwice, settings, **bounds), COUNTS)
    assert verdicts(result) == dict.fromkeys(COUNTS, "violated")
    assert steps(result, "CountsExact") == steps(result, "OutputExactlyOnce") == length
    assert breadth_first(make_model("streams", settings, **bounds), COUNTS).result == "holds"


@pytest.mark.parametrize("settings, length", [(ALOS, 5), (EOS, 11)], ids=["alos", "eos"])
def test_an_offset_committed_without_its_changelog_write_fails_counts_exact(settings, length):
    result = breadth_first(build(SkipChangelog, settings, instances=1, inputs=1,
                                 instance_crashes=0), COUNTS)
    assert verdicts(result) == {"CountsExact": "violated", "OutputExactlyOnce": "holds"}
    assert steps(result, "CountsExact") == length


def test_a_fault_free_streams_run_says_so(capsys):
    # The restore rule is exercised only after a crash or a rebalance (the
    # restore-read-uncommitted mutant holds here, and fails with instance_crashes=1:
    # test_streams_every_property_fails.py): the verdict names the missing fault.
    code, out = cli(capsys, "check", "streams", "--set", "processing.guarantee=exactly_once_v2",
                    "--bound", "instances=1", "--bound", "inputs=1",
                    "--bound", "instance_crashes=0")
    assert code == 0 and "HOLDS within the bounds, with no fault injected" in out
    assert "faults: none;" in out
    mutant = breadth_first(make_mutant("streams", "restore-read-uncommitted", EOS, instances=1,
                                       inputs=1, instance_crashes=0), ["CountsExact"])
    assert mutant.result == "holds"


# -- the classic group: retention, offset expiry, re-reads -----------------------------------


def test_consuming_never_deletes_fails_without_retention():
    result = breadth_first(make_mutant("group", "delete-on-commit",
                                       {"auto.offset.reset": "earliest"}, consumers=1,
                                       records=2, retention=0), ["ConsumingNeverDeletes"])
    assert result.result == "violated" and steps(result, "ConsumingNeverDeletes") == 7


def test_at_most_once_fails_on_a_refused_commit_with_one_consumer_and_no_fault():
    bounds = {"consumers": 1, "records": 2, "commit": "sync-after-processing"}
    result = breadth_first(build(RefuseCommits, OFF, **bounds), ["AtMostOnce"])
    assert result.result == "violated" and steps(result, "AtMostOnce") == 11
    assert breadth_first(make_model("group", OFF, **bounds), ["AtMostOnce"]).result == "holds"


@pytest.mark.parametrize("name, cls, settings", [
    ("group", ClassicPollFromCommitted, ON),
    ("group-consumer", Kip848PollFromCommitted, {**ON, **KIP848})])
def test_at_most_once_fails_with_auto_commit_one_consumer_and_no_fault(name, cls, settings):
    # With auto-commit, one consumer and no fault the real loop never reads a record twice:
    # its position only moves forward.  That is what this HOLDS checks, not nothing: a loop
    # whose polls restart from the committed offset reads a processed record again before
    # the next auto-commit.
    bounds = {"consumers": 1, "records": 2, "commit": "auto"}
    result = breadth_first(build(cls, settings, **bounds), ["AtMostOnce"])
    assert result.result == "violated" and steps(result, "AtMostOnce") == 10
    real = breadth_first(make_model(name, settings, **bounds), ["AtMostOnce"])
    assert real.result == "holds" and real.unchecked() == {}


def test_offset_expiry_kip211_checks_that_a_live_groups_offsets_never_expire(capsys):
    # No offset expires under the preset's bounds (the group is never Empty), and it says
    # so; its HOLDS is still a check: expiring a live group's offsets, as before KIP-211,
    # breaks AtMostOnce under the same bounds on the same release.
    code, out = cli(capsys, "check", "offset-expiry-kip211")
    assert code == 0 and "HOLDS within the bounds, with no fault injected" in out
    assert ("offered but never injected (its actions never fired): committed offsets expire "
            "(offsets.retention.minutes)") in out
    preset = PRESETS["offset-expiry-kip211"]
    mutant = breadth_first(build(ExpireLiveGroupOffsets, dict(preset.settings),
                                 **preset.bounds), ["AtMostOnce"])
    assert mutant.result == "violated" and steps(mutant, "AtMostOnce") == 13
    # An Empty group's offsets do expire (KIP-211): after a close, a restart reads again.
    empty = breadth_first(make_model("group", dict(preset.settings),
                                     **{**preset.bounds, "closes": 1, "rejoins": 1}),
                          ["AtMostOnce"])
    assert empty.result == "violated" and steps(empty, "AtMostOnce") == 14


# -- CommitsFromCurrentGeneration: a member dropped while it runs on ------------------------

STALE_REASON = (
    "not checked: CommitsFromCurrentGeneration: no pause, poll timeout or duplicate instance: "
    "no member is dropped from the group while it runs on, so no commit comes from outside "
    "the current generation and this property cannot fail; set --bound pauses=1 to check it")


class AcceptStaleCommits(GroupModel):
    """The coordinator takes a commit from a member it removed or from an old generation
    (no UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID or ILLEGAL_GENERATION)."""

    def commit_error(self, state: GroupState, i: int) -> str | None:
        error = super().commit_error(state, i)
        stale = ("UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID", "ILLEGAL_GENERATION")
        return None if error in stale else error


def test_the_generation_check_is_not_checked_when_no_member_is_dropped(capsys):
    # crashes, closes and restarts leave no member running outside the group: the
    # accept-stale-commits mutant held under them (audit s23), as a loop over nothing
    code, out = cli(capsys, "check", "group", "--bound", "hw_lag=1", "--bound", "crashes=1",
                    "--bound", "closes=1", "--bound", "rejoins=1",
                    "--property", "CommitsFromCurrentGeneration")
    assert code == 3 and STALE_REASON in out
    assert cli_gaps(out) == {"not checked": {"CommitsFromCurrentGeneration"}}


def test_the_generation_check_is_not_checked_when_nothing_is_committed(capsys):
    code, out = cli(capsys, "check", "group", "--set", "enable.auto.commit=false",
                    "--bound", "commit=none", "--bound", "pauses=1",
                    "--property", "CommitsFromCurrentGeneration")
    assert code == 3 and ("not checked: CommitsFromCurrentGeneration: commit=none with "
                          "enable.auto.commit=false: no offset is ever committed") in out


def test_a_paused_member_s_commit_is_refused_and_the_stale_commit_mutant_is_caught():
    bounds = {"records": 1, "pauses": 1}
    real = breadth_first(make_model("group", ON, **bounds), ["CommitsFromCurrentGeneration"])
    assert real.result == "holds" and real.complete
    mutant = breadth_first(build(AcceptStaleCommits, ON, **bounds),
                           ["CommitsFromCurrentGeneration"])
    assert steps(mutant, "CommitsFromCurrentGeneration") == 6


# -- ReadRecordsStay: a read record vanishes only when a broker crash truncates a log -------


def test_read_records_stay_is_not_checked_without_a_broker_crash(capsys):
    code, out = cli(capsys, "check", "group", "--set", "acks=all", "--set",
                    "replication.factor=2", "--set", "auto.offset.reset=earliest",
                    "--bound", "log=replicated", "--bound", "consumers=1", "--bound",
                    "records=1", "--bound", "broker_crashes=0", "--property", "ReadRecordsStay")
    assert code == 3 and (
        "not checked: ReadRecordsStay: broker_crashes=0: no broker crashes, so no log is ever "
        "truncated and no record a consumer read can vanish; this property cannot fail; set "
        "--bound broker_crashes=1 to check it") in out


def test_a_read_above_the_high_watermark_vanishes_only_through_a_broker_crash():
    safe = {"acks": "all", "replication.factor": "2", "auto.offset.reset": "earliest"}
    crash = make_mutant("group", "fetch-above-hw", safe, consumers=1, records=1,
                        log="replicated")
    assert steps(breadth_first(crash, ["ReadRecordsStay"]), "ReadRecordsStay") == 7
    # without one, the same mutant reads above the HW and nothing truncates it: the read
    # record stays (ConsumersReadBelowHw is the property that catches the read itself)
    calm = make_mutant("group", "fetch-above-hw", safe, consumers=1, records=1,
                       log="replicated", broker_crashes=0)
    result = breadth_first(calm, ["ReadRecordsStay", "ConsumersReadBelowHw"])
    assert verdicts(result) == {"ReadRecordsStay": "not checked",
                                "ConsumersReadBelowHw": "violated"}
    stays = next(p for p in calm.properties() if p.name == "ReadRecordsStay")
    assert all(stays.holds(state) for state in reachable(calm))
