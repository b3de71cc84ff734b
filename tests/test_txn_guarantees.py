"""What the transactions model proves and refutes (issue 14's 'must show').

Each test is one `kafkacheck check transactions ...` run (the docstring gives the command);
state counts and counterexample lengths are exact, so a model change that alters what
is explored shows here.
"""

from __future__ import annotations

import pytest

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.clients.transactions import TransactionsModel
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.testing import make_model

TXN = {"transactional.id": "app", "isolation.level": "read_committed"}
NO_VERIFICATION = {"transaction.partition.verification.enable": "false"}
TV1 = {"transaction.version": "1"}
TV2 = {"transaction.version": "2"}

# The three KIP-890 scenarios (issue KAFKA-14402 and the KIP's motivation):
# a produce delayed past the client's timeout lands after the transaction aborted ...
HANGING = {"instances": 1, "transactions": 1, "partitions": 1, "late_produces": 1,
           "expiries": 1, "aborts": 1}
# ... or after the next transaction of the same epoch began, and joins it;
LATE_WRITE = {**HANGING, "transactions": 2}
# a delayed EndTxn(commit) arrives when the next transaction is open, and commits it.
STALE_END = {"instances": 1, "transactions": 2, "partitions": 1, "late_end_txns": 1}


def names(trace):
    return [a[0] for a in trace.actions]


def check(settings, properties=(), **bounds):
    return breadth_first(make_model("transactions", {**TXN, **settings}, **bounds),
                         list(properties))


def test_read_uncommitted_returns_a_record_of_an_open_transaction():
    """kafkacheck check transactions --set transactional.id=app --bound instances=1
    --bound partitions=1 --bound aborts=1 (isolation.level defaults to read_uncommitted)"""
    result = breadth_first(make_model("transactions", {"transactional.id": "app"},
                                      instances=1, partitions=1, aborts=1), ["NoAbortedRead"])
    trace = result.violation("NoAbortedRead").trace
    assert names(trace) == ["InitProducerId", "TxnLogCommitted", "Produce", "TxnLogCommitted"]
    assert result.distinct_states == 6  # the search stops at its first violation


def test_read_committed_with_a_zombie_instance_on_two_partitions_holds_every_guarantee():
    """kafkacheck check transactions --set transactional.id=app
    --set isolation.level=read_committed --bound instances=2 --bound partitions=2"""
    result = check({}, instances=2, partitions=2)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 3741
    # The zombie was fenced in some behaviour: the second instance's InitProducerId
    # aborted the first one's open transaction.
    assert "SomeAbortFiltered" in result.witnesses


@pytest.mark.parametrize("settings, states", [(TV1, 1961), (TV2, 3741)])
def test_liveness_every_transaction_completes_and_the_lso_advances(settings, states):
    """Checked by the liveness engine under weak fairness of brokers, coordinator and
    producers (not of faults, delays or the application's choices)."""
    result = check(settings, ["TransactionsComplete", "LsoAdvances", "CommittedBecomesVisible"],
                   instances=2, partitions=2)
    assert result.result == "holds" and result.distinct_states == states


def test_a_crash_of_the_broker_holding_coordinator_and_data_loses_no_guarantee():
    """Two instances (the first a zombie once the second initialises), the only broker
    crashes and restarts: the coordinator fails over to its reloaded log.  Every safety
    and liveness property holds; Partition.makeLeader moving the restarted leader's HW to
    its log end is what lets the LSO reach the committed transactions (the
    new-leader-keeps-hw mutant, without it, violates LsoAdvances).
    kafkacheck check transactions --set transactional.id=app
    --set isolation.level=read_committed --bound instances=2 --bound crashes=1"""
    result = check({}, instances=2, partitions=1, crashes=1)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 10395
    assert result.coverage["Crash"] > 0 and result.coverage["Restart"] > 0


# -- KIP-890: the anomalies of the old protocol, absent from transaction.version 2 --------


def test_hanging_transaction_without_partition_verification():
    """A produce delayed past its delivery timeout lands after the abort marker: the
    coordinator never learns of it, no marker ever follows, and the LSO stops for good.
    kafkacheck check transactions --set transaction.version=1
    --set transaction.partition.verification.enable=false --bound late_produces=1
    --bound expiries=1 --bound aborts=1 --bound instances=1 --bound partitions=1"""
    result = check({**TV1, **NO_VERIFICATION}, ["LsoAdvances"], **HANGING)
    trace = result.violation("LsoAdvances").trace
    assert result.distinct_states == 123 and len(trace) == 14
    steps = names(trace)
    # The produce is delayed, the application aborts and the batch expires (the last two
    # in either order: the lasso found depends on the order of successors).
    assert steps[4] == "DelayProduce" and "Expire" in steps[5:7]
    assert {"Abort", "AppAbort"} & set(steps[5:7])
    # The late batch lands after the ABORT marker: the epoch bump the failed batch asked
    # for (KIP-360) comes too late, as it is never written to that partition.
    assert steps.index("LateProduce") > steps.index("WriteMarker")


@pytest.mark.parametrize("settings, states", [(TV1, 117), (TV2, 94)])
def test_no_hanging_transaction_once_the_leader_asks_the_coordinator(settings, states):
    """KIP-890 part 1 (verification, 3.6) and part 2 (transaction.version=2)."""
    result = check(settings, ["LsoAdvances", "NoAbortedRead"], **HANGING)
    assert result.result == "holds" and result.distinct_states == states


def test_a_late_write_of_an_aborted_transaction_joins_the_next_one_under_version_1():
    """Same epoch for both transactions: the delayed batch fills the sequence gap and the
    next transaction commits it.  Verification cannot tell: the partition is in the (new)
    transaction.  kafkacheck check transactions --set transaction.version=1 --bound late_produces=1
    --bound expiries=1 --bound aborts=1 --bound transactions=2 --bound instances=1
    --bound partitions=1"""
    result = check(TV1, ["NoAbortedRead"], **LATE_WRITE)
    trace = result.violation("NoAbortedRead").trace
    assert result.distinct_states == 541 and len(trace) == 21
    steps = names(trace)
    # Aborted while its batch was in flight, expired while completing: no epoch bump.
    assert steps[4:7] == ["DelayProduce", "AppAbort", "Expire"]
    assert steps.index("LateProduce") > steps.index("AddPartitions", 4)
    assert steps[-3:] == ["Commit", "TxnLogCommitted", "WriteMarker"]


def test_the_late_write_breaks_atomicity_across_two_partitions_under_version_1():
    """With two partitions the aborted transaction's record is aborted on one and
    committed (inside the next transaction) on the other."""
    result = check(TV1, ["AtomicCommit"], **{**LATE_WRITE, "partitions": 2})
    assert result.distinct_states == 4544
    assert len(result.violation("AtomicCommit").trace) == 27


def test_a_stale_end_txn_commits_the_next_transaction_under_version_1():
    """The client's EndTxn(commit) is delayed; its retry commits, the next transaction
    begins in the same epoch, and the original commits it before the application asks.
    kafkacheck check transactions --set transaction.version=1 --bound late_end_txns=1
    --bound transactions=2 --bound instances=1 --bound partitions=1"""
    result = check(TV1, ["NoAbortedRead"], **STALE_END)
    trace = result.violation("NoAbortedRead").trace
    assert result.distinct_states == 61 and len(trace) == 19
    assert names(trace)[6:8] == ["DelayEndTxn", "EndTxn"]
    assert names(trace)[-3] == "LateEndTxn"


@pytest.mark.parametrize("bounds, states", [(LATE_WRITE, 430), (STALE_END, 71)])
def test_version_2_bumps_the_epoch_per_transaction_and_fences_both(bounds, states):
    result = check(TV2, ["NoAbortedRead", "AtomicCommit", "LsoAdvances"], **bounds)
    assert result.violations == [] and result.complete
    assert result.distinct_states == states


class _EpochBumpOnEnd:
    """Only KIP-890 part 2's epoch bump per transaction, on top of version 1."""

    end_epoch = tc.EpochPerTransaction.end_epoch
    end_retry_epoch = tc.EpochPerTransaction.end_retry_epoch


class _BumpOnly(TransactionsModel):
    protocol_mixins = (_EpochBumpOnEnd,)


@pytest.mark.parametrize("bounds", [LATE_WRITE, STALE_END])
def test_the_epoch_bump_alone_removes_the_late_write_and_the_stale_end_txn(bounds):
    """One rule each: TxnProtocol.end_epoch (with its retry check) is what closes them."""
    from kafkacheck.config import build_config

    config = build_config(_BumpOnly, list({**TXN, **TV1}.items()),
                          bounds=[(k, str(v)) for k, v in bounds.items()])
    result = breadth_first(_BumpOnly(config), ["NoAbortedRead", "AtomicCommit"])
    assert result.violations == [] and result.complete


def test_verification_alone_removes_the_hanging_transaction():
    """One rule: VerifiedFirstWrite.first_write (KIP-890 part 1) over the old protocol."""
    model = make_model("transactions", {**TXN, **TV1}, **HANGING)
    assert type(model.protocol) is tc.VerifiedFirstWrite
    assert tc.VerifiedFirstWrite.first_write is not tc.TxnProtocol.first_write
    assert breadth_first(model, ["LsoAdvances"]).result == "holds"


def test_slow_followers_none_keeps_running_followers_in_the_isr_and_says_so():
    """The replication model's slow_followers bound, passed to every partition: with
    'none' no running follower leaves the ISR (no ShrinkIsr), and the verdict lists the
    slow follower among the faults not explored."""
    rf2 = {"replication.factor": "2"}
    slow = check(rf2, ["NoAbortedRead"], instances=1, partitions=1)
    assert slow.complete and slow.distinct_states == 1391 and slow.coverage["ShrinkIsr"] > 0
    model = make_model("transactions", {**TXN, **rf2}, instances=1, partitions=1,
                       slow_followers="none")
    keep = breadth_first(model, ["NoAbortedRead"])
    assert keep.complete and keep.distinct_states == 66 and "ShrinkIsr" not in keep.coverage
    assert "slow follower (a running follower leaves the ISR)" in model.fault_model().not_explored


def test_a_coordinator_move_needs_a_second_replica():
    """With replication.factor=1 no leader can move: the bound is refused in one line
    instead of being reported as an explored fault that never happened."""
    from kafkacheck.config import UsageError

    with pytest.raises(UsageError, match="coordinator_moves needs transaction.state.log"
                                         r".replication.factor >= 2 \(it follows "):
        make_model("transactions", TXN, coordinator_moves=1)
    with pytest.raises(UsageError, match="coordinator_moves needs transaction.state.log"):
        make_model("transactions", {**TXN, "replication.factor": "2",
                                    "transaction.state.log.replication.factor": "1"},
                   coordinator_moves=1)


# -- the transaction log's own replication factor (TransactionLogConfig) ------------------

# The data topic on one replica, __transaction_state on two: the coordinator can move to
# another broker while the data partitions add no follower interleavings.
SPLIT = {"replication.factor": "1", "transaction.state.log.replication.factor": "2"}


def reachable_actions(model):
    """Every action label of the model's reachable transitions (a plain search)."""
    seen, todo, actions = set(model.init_states()), list(model.init_states()), set()
    while todo:
        for action, nxt in model.successors(todo.pop()):
            actions.add(tuple(action))
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return actions


def test_the_transaction_log_has_its_own_replication_factor():
    """transaction.state.log.replication.factor sizes __transaction_state apart from the
    data topic: two brokers, each data partition on one of them (round robin), the log
    on both, every replica in its ISR at the start."""
    model = make_model("transactions", {**TXN, **SPLIT}, instances=1, partitions=2)
    assert model.n == 2 and model.repl.replicas == ((0,), (1,), (0, 1))
    assert [part.isr for part in model.init_states()[0].cluster.parts] == [0b01, 0b10, 0b11]
    assert "2 brokers; replicas: p0 on {B1}, p1 on {B2}, txnlog on {B1, B2}" in model.notes()


def test_only_the_transaction_log_has_a_follower_to_fetch_and_to_move_to():
    model = make_model("transactions", {**TXN, **SPLIT}, instances=1, partitions=1,
                       coordinator_moves=1)
    actions = reachable_actions(model)
    fetches = {a for a in actions if a[0] in ("Fetch", "ShrinkIsr", "ExpandIsr", "MoveLeader")}
    assert fetches and {a[-1] for a in fetches} == {"txnlog"}
    # The log's replicas start at broker 2 (round robin): B2 leads, the move goes to B1.
    assert {a for a in actions if a[0] == "MoveLeader"} == {("MoveLeader", "B1", "txnlog")}


def test_a_crash_of_the_coordinators_broker_fails_the_coordinator_over_to_the_other():
    # The log's leader B2 crashes: B1, its other replica, leads it in a new epoch and its
    # coordinator loads the log there while B2 is still down.
    model = make_model("transactions", {**TXN, **SPLIT}, instances=1, partitions=1,
                       crashes=1)
    seen, todo, moved = set(model.init_states()), list(model.init_states()), False
    while todo and not moved:
        for _action, nxt in model.successors(todo.pop()):
            log = nxt.cluster.parts[model.TXN]
            moved = (log.leader == 0 and not nxt.cluster.alive >> 1 & 1
                     and nxt.coord.epoch == log.epoch > 0)
            if moved:
                break
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert moved


@pytest.mark.thorough  # 10 s of 75,789 states
def test_a_coordinator_moved_to_the_other_replica_keeps_every_guarantee():
    """The log's leader moves to its second replica, whose coordinator loads the log at
    its log end (loadTransactionMetadata): every safety and liveness property holds for
    the zombie and the newer instance.
    kafkacheck check transactions --set transactional.id=app
    --set isolation.level=read_committed --set replication.factor=1
    --set transaction.state.log.replication.factor=2 --bound instances=2
    --bound partitions=1 --bound coordinator_moves=1"""
    result = check(SPLIT, instances=2, partitions=1, coordinator_moves=1)
    assert result.result == "holds" and result.complete
    assert (result.distinct_states, result.generated_states) == (75_789, 185_773)
    assert result.coverage["MoveLeader"] > 0


def test_one_min_isr_for_every_partition_must_fit_the_smaller_topic():
    from kafkacheck.config import UsageError

    with pytest.raises(UsageError, match="must not exceed the smaller replication factor"):
        make_model("transactions", {**TXN, **SPLIT, "min.insync.replicas": "2"})
    with pytest.raises(UsageError, match=r"transaction.state.log.replication.factor=4 is "
                                         "beyond exhaustive reach"):
        make_model("transactions", {**TXN, "transaction.state.log.replication.factor": "4"})


def test_the_transaction_logs_min_isr_is_not_covered_unless_it_is_min_insync_replicas():
    """The log runs min.insync.replicas: a run setting transaction.state.log.min.isr to
    another value is NOT COVERED, never a green verdict (test_txn_log_min_isr.py)."""
    from kafkacheck.config import build_config

    config = build_config(TransactionsModel, settings=[
        ("transactional.id", "app"), ("transaction.state.log.min.isr", "3")])
    assert "transaction.state.log.min.isr" in config.uncovered
    config = build_config(TransactionsModel, settings=[
        ("transactional.id", "app"), ("transaction.state.log.min.isr", "1")])
    assert not config.uncovered


@pytest.mark.parametrize("model, uncovered", [
    # No transaction log in the model: the broker file's key changes nothing there.
    ("replication", False), ("controller", False), ("producer", False),
    # A transaction log that follows replication.factor: another count is not covered.
    ("streams", True), ("source", True)])
def test_the_transaction_log_settings_matter_only_where_there_is_a_transaction_log(
        model, uncovered):
    from kafkacheck.config import build_config
    from kafkacheck.model.registry import model_class

    config = build_config(model_class(model), settings=[
        ("transaction.state.log.replication.factor", "1")])
    assert ("transaction.state.log.replication.factor" in config.uncovered) is uncovered


@pytest.mark.thorough
def test_two_instances_two_partitions_and_a_broker_crash_keep_read_committed_exhaustively():
    """Issue 14's must-show size with one replica: the zombie and the newer instance, two
    partitions, and a crash of the only broker, which stops the coordinator and reloads it
    from its log at a new coordinator epoch (about 80 s on an idle machine).
    kafkacheck check transactions --set transactional.id=app
    --set isolation.level=read_committed --bound instances=2 --bound partitions=2
    --bound crashes=1"""
    result = check({}, ["NoAbortedRead", "AtomicCommit", "CommittedNotLost", "ZombieFenced"],
                   instances=2, partitions=2, crashes=1)
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 613_047 and result.generated_states == 1_838_836
    assert result.coverage["Crash"] > 0 and result.coverage["Restart"] > 0


@pytest.mark.thorough
def test_the_must_show_size_with_the_transaction_log_on_two_brokers_holds_exhaustively():
    """Issue 14's must-show with a real failover: the zombie and the newer instance, two
    partitions (one per broker), the transaction log on both brokers, and one broker
    crash; when it hits the coordinator's broker, the log's other replica leads and its
    coordinator loads the log (about 10 minutes).  Running followers stay in the ISR
    (slow_followers=none); with a separate coordinator move as well the search passed
    21 million states at depth 37 without ending.
    kafkacheck check transactions --set transactional.id=app
    --set isolation.level=read_committed --set replication.factor=1
    --set transaction.state.log.replication.factor=2 --bound instances=2
    --bound partitions=2 --bound crashes=1 --bound slow_followers=none"""
    result = check(SPLIT, ["NoAbortedRead", "AtomicCommit", "CommittedNotLost", "ZombieFenced"],
                   instances=2, partitions=2, crashes=1, slow_followers="none")
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 4_868_860 and result.generated_states == 15_886_831
    assert result.coverage["Crash"] > 0 and result.coverage["LastLeaderElect"] > 0


@pytest.mark.parametrize("release,states", [("4.0", 61), ("4.0.1", 57), ("4.1", 57)])
def test_kafka_4_0_0_fences_a_timed_out_producer_that_4_0_1_lets_abort(release, states):
    # KAFKA-19367: the application's abort after the coordinator's timeout abort is a
    # retry from 4.0.1 (answered NONE), a fenced epoch on 4.0.0.
    model = make_model("transactions", TXN, kafka_version=release, instances=1,
                       partitions=1, timeouts=1, aborts=1)
    assert model.protocol.name.endswith("twice)") == (release == "4.0")
    assert breadth_first(model).distinct_states == states
