"""The KIP-848 stale-reconciliation window: two owners, as Kafka's own code allows (audit 848race).

A member's heartbeat reports the partitions it finished taking (ConsumerHeartbeatRequestManager
.HeartbeatState sends the last reconciled assignment) while it still takes a newer one; the
coordinator releases the partition it is taking, since the member did not report it
(CurrentAssignmentBuilder.computeNextAssignment / ownsRevokedPartitions, KAFKA-16615, 3.8+),
and gives it to another member; the member's reconciliation still completes
(AbstractMembershipManager.maybeAbortReconciliation does not abort on a newer target).

Under range 2 consumers x 2 partitions show it; under uniform (Kafka's default) it takes
3 x 3, so a HOLDS at 2 x 2 is the bounds' luck: `review` reports it not covered, the
presets and the README say their bounds.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from kafkacheck import review
from kafkacheck.cli import main
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import presets
from kafkacheck.model.clients.group_consumer import FREE, Kip848State
from kafkacheck.properties.group_consumer import (
    narrate_stale_commit,
    narrate_stale_reconciliation,
)
from kafkacheck.testing import make_model

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
CONSUMER = {"group.protocol": "consumer"}
CHURN = {"crashes": 1, "rejoins": 1}
WINDOW, OWNERS = "group-consumer-stale-reconciliation", "group-consumer-owners"


def window(model, trace):
    """(member, partition, heartbeat step, reconcile step) of the window in ``trace``: the
    member's heartbeat reports owned partitions without p while its target has p, the
    coordinator drops p from the member's record and frees it, and a later Reconcile of the
    member adds p; None when the trace has no such steps."""
    steps = trace.steps
    for k in range(1, len(steps)):
        action = steps[k].action
        if action[0] != "Heartbeat" or "owns" not in " ".join(action):
            continue
        i = model.index_of(action[1])
        before, after = steps[k - 1].state, steps[k].state
        c, r, t = before.clients[i], before.records[i], after.records[i]
        for p in range(model.p):
            bit = 1 << p
            if (c.target & bit and not c.owned & bit and r.assigned & bit
                    and not (t.assigned | t.revoking) & bit and after.partition_epoch[p] == FREE):
                for m in range(k + 1, len(steps)):
                    a = steps[m].action
                    if a[0] == "Reconcile" and a[1] == action[1] \
                            and steps[m].state.clients[i].owned & bit:
                        return i, p, k, m
    return None


def owners_of(state, p):
    return {i for i, c in enumerate(state.clients) if c.owned >> p & 1}


# -- the model: a Commit without records is a step, not state ----------------------------


def test_an_abstract_commit_changes_no_state():
    # Audit 848race finding 3: a never-read ghost of the last committer per partition made
    # every Commit a new state (7,529 states instead of 2,007 at 2 x 2).
    assert "committer" not in Kip848State._fields
    model = make_model("group-consumer", CONSUMER, **CHURN)
    frontier, seen, commits = list(model.init_states()), set(), 0
    while frontier and len(seen) < 3000:
        state = frontier.pop()
        if state in seen:
            continue
        seen.add(state)
        for action, nxt in model.successors(state):
            if action[0] == "Commit":
                commits += 1
                assert nxt == state, action
            frontier.append(nxt)
    assert commits > 100


# -- the window at 2 x 2 under range (quick) -----------------------------------------------


def test_range_shows_the_window_at_two_consumers_and_two_partitions_in_23_steps():
    model = make_model("group-consumer", {**CONSUMER, "group.consumer.assignors": "range"},
                       **CHURN)
    result = breadth_first(model, ["NoTwoOwnersAtOnce"])
    assert result.result == "violated"
    assert result.distinct_states == 1907  # 6,722 with the committer ghost
    trace = result.violation("NoTwoOwnersAtOnce").trace
    assert len(trace.actions) == 23
    # No pause, lost response, timeout or failover: crash, restart and ordinary heartbeats.
    assert {a[0] for a in trace.actions} == {"Heartbeat", "Receive", "Reconcile", "Crash",
                                             "Expire", "Restart"}
    found = window(model, trace)
    assert found == (1, 0, 19, 23)  # C2 reports {p1} at step 19, takes p0 at step 23
    member, p, heartbeat, _reconcile = found
    assert trace.actions[heartbeat - 1] == ("Heartbeat", "C2", "epoch 3", "owns {p1}")
    assert owners_of(trace.steps[-1].state, p) == {0, member}
    assert narrate_stale_reconciliation(model, trace) == (
        "C2's heartbeat at step 19 reported owning {p1} while it was still taking {p0, p1}: "
        "the coordinator took p0 as released and it went to C1, and C2's reconciliation at "
        "step 23 then added p0 anyway.")
    story = result.violation("NoTwoOwnersAtOnce").property.story(model, trace)
    assert story.startswith("C2's heartbeat at step 19")
    assert "maybeAbortReconciliation does not abort on a newer target" in story


def test_the_explanation_names_the_window_and_the_narration_only_tells_it_when_it_happened():
    model = make_model("group-consumer", CONSUMER, pauses=1)
    prop = next(p for p in model.properties() if p.name == "NoTwoOwnersAtOnce")
    for clause in ("while still taking a newer assignment",
                   "CurrentAssignmentBuilder.computeNextAssignment",
                   "ownsRevokedPartitions", "KAFKA-16615",
                   "AbstractMembershipManager.maybeAbortReconciliation does not abort on a "
                   "newer target"):
        assert clause in prop.explanation
    assert "maybeAbortReconciliation" in prop.source
    # A paused member's two owners are another story: no window narrated.
    trace = breadth_first(model, ["NoTwoOwnersAtOnce"]).violation("NoTwoOwnersAtOnce").trace
    assert "Pause" in {a[0] for a in trace.actions}
    assert window(model, trace) is None
    assert narrate_stale_reconciliation(model, trace) == ""
    assert prop.story(model, trace) == prop.explanation


def test_the_member_in_the_window_commits_the_released_partition_at_its_current_epoch():
    # ConsumerGroup.validateOffsetCommit compares the member epoch only (trunk; KIP-1251
    # adds assignment epochs for older epochs, not partition checks at the current one): the
    # member that took a released partition commits it, over its new owner's offsets.  Real
    # Kafka behaviour, so StaleCommitsRejected is violated; the story names the window.
    model = make_model("group-consumer", {**CONSUMER, "group.consumer.assignors": "range"},
                       **CHURN)
    result = breadth_first(model, ["StaleCommitsRejected"])
    violation = result.violation("StaleCommitsRejected")
    trace = violation.trace
    assert len(trace.actions) == 21
    assert trace.actions[-1] == ("Commit", "C2", "epoch 4", "{p0, p1}")
    assert window(model, trace) == (1, 0, 18, 19)
    before = trace.steps[-2].state
    assert before.clients[1].epoch == before.records[1].epoch == 4
    assert not before.records[1].assigned & 1  # the coordinator no longer gives C2 p0
    assert narrate_stale_commit(model, trace) == (
        "C2's heartbeat at step 18 reported owning {p1} while it was still taking {p0, p1}: "
        "the coordinator took p0 as released, C2's reconciliation at step 19 added it anyway, "
        "and its commit at its current member epoch 4 was accepted for p0 "
        "(ConsumerGroup.validateOffsetCommit checks the epoch, not the partitions).")
    assert "stale-reconciliation window" in violation.property.explanation
    assert violation.property.story(model, trace).startswith("C2's heartbeat at step 18")
    # A zombie's epoch -1 commit into the emptied group is another story: none told.
    zombie = make_model("group-consumer", {**CONSUMER, "enable.auto.commit": "false"},
                        consumers=1, partitions=1, records=1,
                        commit="sync-after-processing", poll_timeouts=1)
    other = breadth_first(zombie, ["StaleCommitsRejected"]).violation("StaleCommitsRejected")
    assert narrate_stale_commit(zombie, other.trace) == ""


def test_uniform_with_two_consumers_holds_at_two_and_three_partitions():
    # Why 2 x 2 holds (audit 848race): a member only ever gains the lower partition and is
    # then asked to give back the one it already owns (3 x 2 holds too, 176,778 states in
    # about 25 s).  Counts: exhaustive, no violation.
    for bounds, states in (({}, 2007), ({"partitions": 3}, 2028)):
        model = make_model("group-consumer", {**CONSUMER, "group.consumer.assignors": "uniform"},
                           **CHURN, **bounds)
        result = breadth_first(model, ["NoTwoOwnersAtOnce", "SingleOwnerAtCoordinator"])
        assert (result.result, result.complete, result.distinct_states) == (
            "holds", True, states), bounds


# -- what the tool says: review, presets, README -------------------------------------------


def _review(tmp_path, *files):
    specs = []
    for name, text in files:
        role, _, base = name.rpartition(":")
        (tmp_path / base).write_text(text)
        specs.append(f"{role}:{tmp_path / base}" if role else str(tmp_path / base))
    done = review.run(review.load_files(specs), fix_search=False)
    return next(g for g in done.guarantees if g.key == "one-owner"), done


CONSUMER_FILE = ("c.properties", "group.id=g\ngroup.protocol=consumer\n"
                 "auto.offset.reset=earliest\n")


def test_review_never_says_a_kip848_group_holds_one_owner_at_bounds_too_small_for_the_window(
        tmp_path):
    owners, done = _review(tmp_path, CONSUMER_FILE)
    # The run behind it: exhaustive at 2 x 2, no violation; reported not covered, with why.
    assert owners.result.result == "holds" and owners.result.distinct_states == 2007
    assert owners.verdict == review.NOT_COVERED
    assert owners.reason.startswith("holds at these bounds, which are too small to show the "
                                    "KIP-848 stale-reconciliation window")
    assert done.exit_code == 3
    text = review.text(done)
    assert "[HOLDS] No partition has two owners" not in text
    assert "[NOT COVERED] No partition has two owners through consumer crashes, restarts and " \
           "the rebalances they cause (KIP-848)" in text
    # The command it names checks the preset's configuration (the thorough test runs it).
    command = re.search(r"Check it with: (kafkacheck check .*?) \(a minute", owners.reason)
    argv = shlex.split(command.group(1))
    sets = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--set")
    bounds = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--bound")
    window_preset = presets.PRESETS[WINDOW]
    assert argv[2] == window_preset.model
    assert argv[argv.index("--property") + 1] == "NoTwoOwnersAtOnce"
    assert sets == {"group.protocol": "consumer", "auto.offset.reset": "earliest"}
    assert {k: int(v) for k, v in bounds.items()} == window_preset.bounds


def test_review_reports_the_range_window_as_violated_from_its_run(tmp_path):
    owners, _ = _review(tmp_path, CONSUMER_FILE,
                        ("broker:b.properties", "group.consumer.assignors=range\n"
                                                "process.roles=broker\n"))
    assert owners.verdict == review.VIOLATED and owners.reason == ""
    trace = owners.result.violation("NoTwoOwnersAtOnce").trace
    assert len(trace.actions) == 23 and window(owners.result.model, trace) is not None


def test_the_owners_preset_says_its_bounds_and_points_at_the_window_preset():
    owners, window_preset = presets.PRESETS[OWNERS], presets.PRESETS.get(WINDOW)
    assert window_preset is not None
    assert (owners.bounds["consumers"], owners.bounds["partitions"]) == (2, 2)
    assert "2 consumers and 2 partitions" in owners.summary
    assert "These bounds only" in owners.summary and WINDOW in owners.summary
    assert dict(window_preset.settings) == dict(owners.settings) == {
        "group.protocol": "consumer", "group.consumer.assignors": "uniform"}
    # One consumer and one partition more, same faults, same assignor.
    assert dict(window_preset.bounds) == {**owners.bounds, "consumers": 3, "partitions": 3}
    assert "3 consumers and 3 partitions" in window_preset.summary
    assert "24 steps" in window_preset.summary
    model = make_model(owners.model, owners.settings, **owners.bounds)
    result = breadth_first(model, list(owners.properties))
    assert (result.result, result.distinct_states) == ("holds", 2007)


def _readme() -> str:
    return " ".join(README.split())


def test_the_readme_describes_the_window_and_its_range_command_runs_as_written(capsys):
    text = _readme()
    assert "`kafkacheck check group-consumer-stale-reconciliation`" in text
    command = ("kafkacheck check group-consumer --set group.consumer.assignors=range --bound "
               "crashes=1 --bound rejoins=1 --property NoTwoOwnersAtOnce")
    assert f"`{command}` at 2 consumers and 2 partitions (23 steps" in text
    assert "maybeAbortReconciliation` does not abort on a newer target" in text
    code = main([*command.split()[1:], "--no-diagram"])
    out = capsys.readouterr().out
    assert code == 1 and "counterexample of 23 steps" in out


@pytest.mark.thorough
def test_uniform_three_by_three_gives_two_owners_in_24_steps_as_the_readme_says(capsys):
    # About a minute (444k states): the preset, run as the README and review name it.
    code = main(["check", WINDOW, "--no-diagram"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "NoTwoOwnersAtOnce violated" in out and "counterexample of 24 steps" in out
    assert "why: C1's heartbeat at step 19 reported owning {p1} while it was still taking " \
           "{p1, p2}: the coordinator took p2 as released and it went to C3, and C1's " \
           "reconciliation at step 20 then added p2 anyway." in out
