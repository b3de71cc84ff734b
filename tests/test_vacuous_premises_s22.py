"""A property that cannot fail under the bounds is *not checked* (exit 3), never HOLDS
(README "Exit codes"), in the transactions, Connect and KIP-848 models; where its premise
occurs it is still checked, and a mutant that breaks it is caught there.

* ZombieFenced needs a newer instance of the transactional.id (instances=2); AtomicCommit an
  aborted record (witness SomeAbortFiltered).
* The loop's ZombieOffsetsFenced needs a rebalance (the only step that moves the group
  generation); its LsoAdvances a transactional.id (without one nothing is transactional).
* SinkNoDuplicates needs a record put twice (witness SomeRedelivery); SinkNoLoss a record.
* SourceExactlyOnce needs a source record sent twice: a worker crash, a rebalance with two
  workers, a delayed produce, an expiry or a broker crash.
* KIP-848 SingleOwnerAtCoordinator, NoTwoOwnersAtOnce and NoConcurrentProcessing need two
  consumers.
"""

from __future__ import annotations

import pytest
from mutants import make_mutant
from verdicts import cli, steps, verdicts

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

T_RC = {"transactional.id": "app", "isolation.level": "read_committed"}
LOOP_TV1 = {**T_RC, "transaction.version": "1", "enable.auto.commit": "false"}
ALO_LOOP = {"isolation.level": "read_committed", "enable.auto.commit": "false"}
CONSUMER = {"group.protocol": "consumer"}
SOURCE_EOS_TV1 = {"exactly.once.source.support": "enabled", "transaction.version": "1"}


# -- transactions: application mode -------------------------------------------------------


def test_one_instance_leaves_zombie_fenced_and_atomic_commit_not_checked(capsys):
    code, out = cli(capsys, "check", "transactions", "--set", "transactional.id=app",
                    "--set", "isolation.level=read_committed", "--bound", "instances=1")
    assert code == 3 and "HOLDS" not in out
    assert "[ not checked ] ZombieFenced" in out and "[ not checked ] AtomicCommit" in out
    assert ("not checked: ZombieFenced: instances=1: no newer instance of the transactional.id "
            "ever fences this one, so this property cannot fail; set --bound instances=2 to "
            "check it") in out
    assert "[never reached] SomeAbortFiltered" in out
    assert "[    holds    ] NoAbortedRead" in out  # an open transaction's record is its premise


def test_zombie_fenced_catches_the_end_txn_mutant_only_with_a_second_instance():
    one = breadth_first(make_mutant("transactions", "end-txn-ignores-epoch", T_RC,
                                    instances=1, partitions=1), ["ZombieFenced"])
    assert one.result == "incomplete"  # was HOLDS: the mutant survived with one instance
    assert verdicts(one) == {"ZombieFenced": "not checked"}
    two = breadth_first(make_mutant("transactions", "end-txn-ignores-epoch", T_RC,
                                    instances=2, partitions=1), ["ZombieFenced"])
    assert two.result == "violated" and steps(two, "ZombieFenced") == 16


def test_atomic_commit_rests_on_an_aborted_record():
    never = breadth_first(make_mutant("transactions", "keeps-aborted-records", T_RC,
                                      instances=1, partitions=2), ["AtomicCommit"])
    assert never.result == "never reached"  # was HOLDS: nothing is ever aborted
    assert verdicts(never) == {"AtomicCommit": "not checked",
                               "SomeAbortFiltered": "never reached"}
    aborted = breadth_first(make_mutant("transactions", "keeps-aborted-records", T_RC,
                                        instances=1, partitions=2, aborts=1), ["AtomicCommit"])
    assert verdicts(aborted) == {"AtomicCommit": "violated", "SomeAbortFiltered": "holds"}
    assert steps(aborted, "AtomicCommit") == 8


def test_the_zombie_preset_still_checks_every_transaction_guarantee(capsys):
    code, out = cli(capsys, "check", "txn-zombie-read-committed")
    assert code == 0 and "not checked" not in out
    assert "[    holds    ] ZombieFenced" in out and "[    holds    ] AtomicCommit" in out


def test_the_version_2_preset_selects_what_one_instance_can_check(capsys):
    # One instance: ZombieFenced is not checked, so the preset leaves it out and HOLDS.
    code, out = cli(capsys, "check", "txn-version-2")
    assert code == 0 and "ZombieFenced" not in out
    assert "[    holds    ] AtomicCommit" in out and "[    holds    ] SomeAbortFiltered" in out


# -- transactions: the consume-transform-produce loop --------------------------------------


def test_zombie_offsets_fenced_needs_a_rebalance(capsys):
    code, out = cli(capsys, "check", "transactions", "--set", "transactional.id=app",
                    "--set", "enable.auto.commit=false", "--bound", "inputs=1",
                    "--bound", "instances=1", "--bound", "partitions=1",
                    "--property", "ZombieOffsetsFenced")
    assert code == 3 and "[ not checked ] ZombieOffsetsFenced" in out and "HOLDS" not in out
    assert ("rebalances=0: the group generation never changes, so no member is ever of an "
            "older one and this property cannot fail; set --bound rebalances=1 to check it"
            ) in out
    none = breadth_first(make_mutant("transactions", "no-generation-check", LOOP_TV1,
                                     instances=2, partitions=1, inputs=1, rebalances=0),
                         ["ZombieOffsetsFenced"])
    assert verdicts(none) == {"ZombieOffsetsFenced": "not checked"}
    one = breadth_first(make_mutant("transactions", "no-generation-check", LOOP_TV1,
                                    instances=2, partitions=1, inputs=1, rebalances=1),
                        ["ZombieOffsetsFenced"])
    assert one.result == "violated" and steps(one, "ZombieOffsetsFenced") == 6


def test_lso_advances_is_not_checked_in_a_loop_without_a_transactional_id(capsys):
    code, out = cli(capsys, "check", "transactions", "--set", "isolation.level=read_committed",
                    "--set", "enable.auto.commit=false", "--bound", "inputs=1",
                    "--bound", "partitions=1", "--property", "LsoAdvances")
    assert code == 3 and "[ not checked ] LsoAdvances" in out and "HOLDS" not in out
    assert ("not checked: LsoAdvances: no transactional.id: no record is written in a "
            "transaction, so the last stable offset is always the high watermark and this "
            "property cannot fail; set transactional.id=app to check it") in out
    alo = breadth_first(make_model("transactions", ALO_LOOP, instances=2, partitions=1,
                                   inputs=1, rebalances=1), ["LsoAdvances"])
    assert verdicts(alo) == {"LsoAdvances": "not checked"}
    eos = breadth_first(make_model("transactions", LOOP_TV1, instances=1, partitions=1,
                                   inputs=1), ["LsoAdvances"])
    assert eos.result == "holds" and eos.distinct_states == 25


# -- Connect sink and source ---------------------------------------------------------------


def test_sink_no_duplicates_rests_on_a_redelivery(capsys):
    code, out = cli(capsys, "check", "sink", "--bound", "crashes=0")
    assert code == 3 and "HOLDS" not in out
    assert "[ not checked ] SinkNoDuplicates" in out
    assert "[never reached] SomeRedelivery" in out and "[    holds    ] SinkNoLoss" in out
    crash = breadth_first(make_model("sink", {}, records=1, crashes=1), ["SinkNoDuplicates"])
    assert verdicts(crash) == {"SinkNoDuplicates": "violated", "SomeRedelivery": "holds"}
    assert steps(crash, "SinkNoDuplicates") == 12
    code, out = cli(capsys, "check", "sink-idempotent-upsert")
    assert code == 0 and "[    holds    ] SinkNoDuplicates" in out


def test_sink_no_loss_is_not_checked_without_records(capsys):
    code, out = cli(capsys, "check", "sink", "--bound", "records=0", "--property", "SinkNoLoss")
    assert code == 3 and "[ not checked ] SinkNoLoss" in out and "HOLDS" not in out
    assert "records=0: nothing is ever written, so this property cannot fail" in out
    one = breadth_first(make_mutant("sink", "commit-before-put", {}, records=1), ["SinkNoLoss"])
    assert one.result == "violated" and steps(one, "SinkNoLoss") == 6


SOURCE_NOT_CHECKED = (
    "not checked: SourceExactlyOnce: no worker crash, rebalance (with two workers), delayed "
    "produce, expiry or broker crash: no source record is ever sent twice, so this property "
    "cannot fail; set --bound task_crashes=1 to check it")


@pytest.mark.parametrize("bounds", [
    ("task_crashes=0",),
    # one worker: the rebalance has no other worker to move the task to, it never happens
    ("task_crashes=0", "workers=1", "rebalances=1"),
])
def test_source_exactly_once_is_not_checked_when_no_record_is_sent_twice(capsys, bounds):
    argv = [arg for bound in bounds for arg in ("--bound", bound)]
    code, out = cli(capsys, "check", "source", *argv)
    assert code == 3 and "HOLDS" not in out
    assert "[ not checked ] SourceExactlyOnce" in out and SOURCE_NOT_CHECKED in out
    assert "[    holds    ] SourceAtLeastOnce" in out


def test_source_exactly_once_is_checked_once_a_record_can_be_sent_twice():
    crash = breadth_first(make_model("source", {}, records=1, task_crashes=1),
                          ["SourceExactlyOnce"])
    assert crash.result == "violated" and steps(crash, "SourceExactlyOnce") == 8
    mutant = breadth_first(make_mutant("source", "transactional-id-per-worker",
                                       SOURCE_EOS_TV1, records=1), ["SourceExactlyOnce"])
    assert mutant.result == "violated" and steps(mutant, "SourceExactlyOnce") == 26


def test_the_exactly_once_source_presets_still_check_it(capsys):
    for preset in ("source-exactly-once", "source-exactly-once-zombie"):
        code, out = cli(capsys, "check", preset)
        assert code == 0 and "[    holds    ] SourceExactlyOnce" in out, preset


# -- KIP-848 -------------------------------------------------------------------------------


def test_one_kip848_consumer_cannot_share_a_partition(capsys):
    code, out = cli(capsys, "check", "group-consumer", "--bound", "consumers=1",
                    "--bound", "records=1", "--bound", "partitions=1", "--bound", "hw_lag=1")
    assert code == 3 and "HOLDS" not in out
    for name in ("SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce", "NoConcurrentProcessing"):
        assert f"[ not checked ] {name}" in out
        assert (f"not checked: {name}: consumers=1: a partition never has two members or two "
                "consumers to be owned or processed by, so this property cannot fail; set "
                "--bound consumers=2 to check it") in out
    assert "[    holds    ] AtMostOnce" in out  # one consumer can still process twice


def test_the_assign_unreleased_mutant_is_caught_with_two_consumers():
    names = ["SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce"]
    one = breadth_first(make_mutant("group-consumer", "assign-unreleased", CONSUMER,
                                    consumers=1), names)
    assert verdicts(one) == dict.fromkeys(names, "not checked")
    two = breadth_first(make_mutant("group-consumer", "assign-unreleased", CONSUMER), names)
    assert steps(two, "SingleOwnerAtCoordinator") == 2
    assert steps(two, "NoTwoOwnersAtOnce") == 6


NO_COMMITS = {"group.protocol": "consumer", "enable.auto.commit": "false",
              "auto.offset.reset": "earliest"}


def test_stale_commits_rejected_is_not_checked_when_the_poll_loop_never_commits(capsys):
    code, out = cli(capsys, "check", "group-consumer", "--set", "enable.auto.commit=false",
                    "--bound", "commit=none", "--bound", "records=1", "--bound", "partitions=1",
                    "--property", "StaleCommitsRejected")
    assert code == 3 and "[ not checked ] StaleCommitsRejected" in out and "HOLDS" not in out
    assert ("commit=none with enable.auto.commit=false: no offset is ever committed, so this "
            "property cannot fail; set --bound commit=sync-after-processing to check it") in out
    never = breadth_first(make_mutant("group-consumer", "accept-stale-commits", NO_COMMITS,
                                      records=1, partitions=1, commit="none", pauses=1),
                          ["StaleCommitsRejected"])
    assert verdicts(never) == {"StaleCommitsRejected": "not checked"}  # was HOLDS


def test_stale_commits_rejected_is_checked_once_the_loop_commits():
    sync = {"records": 1, "partitions": 1, "commit": "sync-after-processing"}
    mutant = breadth_first(make_mutant("group-consumer", "accept-stale-commits", NO_COMMITS,
                                       **sync, pauses=1), ["StaleCommitsRejected"])
    assert mutant.result == "violated" and steps(mutant, "StaleCommitsRejected") == 10
    real = breadth_first(make_model("group-consumer", NO_COMMITS, **sync),
                         ["StaleCommitsRejected"])
    assert real.result == "holds" and real.distinct_states == 562


# -- classic groups: two owners need two consumer processes ------------------------------

OWNERSHIP = ("OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "NoConcurrentProcessing")


def test_classic_ownership_is_not_checked_with_one_consumer_process(capsys):
    code, out = cli(capsys, "check", "group", "--set", "auto.offset.reset=earliest",
                    "--bound", "consumers=1", "--bound", "crashes=1",
                    *[arg for name in OWNERSHIP for arg in ("--property", name)])
    assert code == 3
    for name in OWNERSHIP:
        assert f"[ not checked ] {name}" in out
        assert (f"not checked: {name}: consumers=1 and no duplicate instance: one consumer "
                "process cannot own a partition twice") in out


def test_classic_ownership_is_checked_with_two_consumers_or_a_duplicate_instance():
    two = breadth_first(make_model("group", {"auto.offset.reset": "earliest"},
                                   consumers=2, crashes=1))
    assert {n: two.verdict(p) for p in two.properties
            if (n := p.name) in OWNERSHIP} == dict.fromkeys(OWNERSHIP, "holds")
    static = {"auto.offset.reset": "earliest", "group.instance.id": "app"}
    twin = breadth_first(make_model("group", static,
                                    consumers=1, records=1, duplicate_instances=1))
    assert twin.verdict(next(p for p in twin.properties
                             if p.name == "NoTwoOwnersAtOnce")) == "violated"
