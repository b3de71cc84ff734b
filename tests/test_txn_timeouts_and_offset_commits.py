"""Transaction timeouts, delayed offset commits and the transaction settings, release by
release (audit of session 18).

* KAFKA-6119 (fixed in 0.11.0.2 and 1.0): before it the coordinator aborted a timed-out
  transaction in the producer's own epoch, so the producer was not fenced.
* A TxnOffsetCommit delayed past request.timeout.ms is retried by the client
  (TransactionManager.TxnRequestHandler re-enqueues a request whose connection the
  timeout cut); the first still reaches the group coordinator later.  GroupCoordinator
  verifies a TxnOffsetCommit with the transaction coordinator from 3.7 only
  (KAFKA-15784); transaction.version 2 fences it by the epoch bump per transaction.
* transaction.max.timeout.ms is the broker's limit InitProducerId checks
  transaction.timeout.ms against; producer.id.expiration.ms is not modelled here.
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError, build_config
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import versions
from kafkacheck.model.clients import transactions as txm
from kafkacheck.model.clients import txn_loop as tl
from kafkacheck.model.clients.transactions import TransactionsModel
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.testing import make_model

RC = {"transactional.id": "app", "isolation.level": "read_committed"}
LOOP = {**RC, "enable.auto.commit": "false"}
TV1 = {"transaction.version": "1"}
# One instance, two partitions, one transaction the coordinator may time out.
TIMEOUT = {"instances": 1, "partitions": 2, "timeouts": 1}
# The loop over two inputs, its first offset commit delayed (and retried meanwhile).
LATE_COMMIT = {"instances": 1, "partitions": 1, "inputs": 2, "late_offset_commits": 1}


def steps(trace):
    return [" ".join(map(str, a)) for a in trace.actions]


def transitions(model):
    """Every (state, action, next state) of the model's reachable graph."""
    seen = set(model.init_states())
    todo = list(seen)
    while todo:
        state = todo.pop()
        for action, nxt in model.successors(state):
            yield state, action, nxt
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)


# -- 1. KAFKA-6119: a timeout abort without an epoch bump (0.11.0.0, 0.11.0.1) -------------

@pytest.mark.parametrize("release, fixed", [("0.11", False), ("0.11.0.1", False),
                                            ("0.11.0.2", True), ("1.0", True), ("4.4", True)])
def test_kafka_6119_is_fixed_in_0_11_0_2_and_1_0(release, fixed):
    assert versions.has_fix(release, "KAFKA-6119") is fixed


def test_before_kafka_6119_a_timed_out_producer_keeps_writing_and_its_transaction_hangs():
    """0.11.0.0 abortTimedOutTransactions: handleEndTransaction(ABORT) with the producer's
    own epoch.  The producer is not fenced: its next batch lands after the ABORT marker,
    opens a transaction the coordinator never ends, and the LSO stops there for good.
    kafkacheck check transactions --kafka-version 0.11 --set transactional.id=app
    --set isolation.level=read_committed --bound instances=1 --bound timeouts=1"""
    model = make_model("transactions", RC, kafka_version="0.11", **TIMEOUT)
    assert type(model.protocol) is tc.Before6119
    result = breadth_first(model, ["LsoAdvances"])
    assert result.distinct_states == 1034  # adds may be split before KAFKA-6119 (s19)
    assert steps(result.violation("LsoAdvances").trace) == [
        "InitProducerId P0 epoch 0 pending", "TxnLogCommitted Empty e0",
        "AddPartitions P0 {p0, p1}", "TxnLogCommitted Ongoing +p0,p1",
        "Produce P0 p1 r0 (P0 txn 0) e0 s0 appended at 0",
        "AbortTimedOut e0", "TxnLogCommitted PrepareAbort e0",  # the epoch kept
        "WriteMarker p0 ABORT e0 at 0",
        "Produce P0 p0 r0 (P0 txn 0) e0 s0 appended at 1",  # after the marker: hangs
        "WriteMarker p1 ABORT e0 at 1", "Acked P0 p1", "MarkerWritten p1", "Acked P0 p0",
        "Commit P0 txn 0", "MarkerWritten p0", "CompleteTxn PrepareAbort",
        "TxnLogCommitted CompleteAbort"]


@pytest.mark.parametrize("release", ["0.11.0.2", "1.0"])
def test_from_kafka_6119_a_timeout_abort_fences_the_producer_and_every_guarantee_holds(
        release):
    model = make_model("transactions", RC, kafka_version=release, **TIMEOUT)
    assert type(model.protocol) is tc.NoClientEpochBump
    result = breadth_first(model)
    # One instance: nothing fences it, so ZombieFenced cannot fail and is not checked
    # (session 22); every other guarantee holds.
    assert result.result == "incomplete" and result.complete
    verdicts = {p.name: result.verdict(p) for p in result.properties}
    assert verdicts.pop("ZombieFenced") == "not checked"
    assert set(verdicts.values()) == {"holds"}
    assert result.distinct_states == 268
    assert result.coverage["AbortTimedOut"] == 9


def test_only_the_timeout_abort_keeps_the_epoch_before_kafka_6119():
    """InitProducerId fenced an ongoing transaction one epoch up already in 0.11.0.0
    (prepareFenceProducerEpoch); KAFKA-6119 made the timeout abort do the same."""
    meta = tc.TxnMeta(tc.ONGOING, 3, 1)
    old, new = tc.Before6119(), tc.NoClientEpochBump()
    assert old.timeout_record(0, meta) == tc.prepare_record(0, False, 3)
    assert new.timeout_record(0, meta) == tc.prepare_record(0, False, 4)
    assert old.init_request(0, meta, False) == new.init_request(0, meta, False) == (
        tc.CONCURRENT_TRANSACTIONS, tc.prepare_record(0, False, 4))


# -- 2. a delayed TxnOffsetCommit ----------------------------------------------------------

def test_a_delayed_txn_offset_commit_moves_the_committed_offset_back_under_version_1():
    """The first TxnOffsetCommit of input 0 is delayed; its retry commits.  The next
    transaction (same epoch, the offsets partition added again) commits offset 2, and the
    delayed request lands before its marker: the marker commits offset 1 after offset 2,
    behind the output of input 1 (the next owner would process input 1 again).
    kafkacheck check transactions --set transaction.version=1 ... --bound inputs=2
    --bound late_offset_commits=1 --bound instances=1 --bound partitions=1"""
    model = make_model("transactions", {**LOOP, **TV1}, **LATE_COMMIT)
    result = breadth_first(model, ["ExactlyOnce"])
    assert result.distinct_states == 275
    trace = result.violation("ExactlyOnce").trace
    done = steps(trace)
    assert len(done) == 33
    assert done[5:7] == ["DelaySendOffsets P0 offsets offset 1 e0",
                         "SendOffsets P0 offsets offset 1 e0 retry appended at 0"]
    assert done[21] == "SendOffsets P0 offsets offset 2 e0 appended at 2"
    assert done[28] == "LateSendOffsets P0 offsets generation 0 offset 1 e0 appended at 3"
    assert done[-1] == "TxnLogCommitted CompleteCommit"
    last = trace.steps[-1].state
    offsets = last.cluster.parts[model.OFF]
    assert tl.committed_offset(offsets.logs[0], offsets.hws[0], model.offsets_codec,
                               model.rules) == 1
    assert model.read(last, 0) == ((0, 0), (2, 1))  # both outputs committed


def test_version_2_fences_the_delayed_txn_offset_commit_by_the_epoch_bump():
    model = make_model("transactions", LOOP, **LATE_COMMIT)
    result = breadth_first(model)
    # No rebalance: the generation never changes, so ZombieOffsetsFenced cannot fail and is
    # not checked (session 22); every other guarantee holds.
    assert result.result == "incomplete" and result.complete
    verdicts = {p.name: result.verdict(p) for p in result.properties}
    assert verdicts.pop("ZombieOffsetsFenced") == "not checked"
    assert set(verdicts.values()) == {"holds"}
    assert result.distinct_states == 765
    labels = {" ".join(map(str, a)) for _s, a, _t in transitions(model)
              if a[0] == "LateSendOffsets"}
    assert "LateSendOffsets P0 offsets generation 0 offset 1 e0 INVALID_PRODUCER_EPOCH" in labels


@pytest.mark.parametrize("release, verified, hangs, states", [
    ("3.6", False, True, 286), ("3.7", True, False, 277)])
def test_a_txn_offset_commit_is_verified_from_3_7_only(release, verified, hangs, states):
    """KAFKA-15784 (3.7): GroupCoordinator.handleTxnCommitOffsets asks the transaction
    coordinator first.  In 3.6 (verification on, for produce requests only) a delayed
    TxnOffsetCommit that lands after its transaction completed opens a transaction on
    __consumer_offsets no marker ever ends; 3.7 answers it INVALID_TXN_STATE."""
    model = make_model("transactions", LOOP, kafka_version=release, **LATE_COMMIT)
    assert model.offset_commit_verified() is verified
    assert type(model.protocol) is tc.VerifiedFirstWrite
    result = breadth_first(model, ["LsoAdvances"])
    assert result.distinct_states == states
    assert (result.violation("LsoAdvances") is not None) is hangs
    refused = any(a[0] == "LateSendOffsets" and a[-1] == "INVALID_TXN_STATE"
                  for _s, a, _t in transitions(model))
    assert refused is verified


def test_a_delayed_offset_commit_carries_the_generation_it_was_sent_in():
    """Sent in generation 0, delivered after the rebalance: ILLEGAL_GENERATION, and the
    member (who never reads that answer) keeps its partition."""
    model = make_model("transactions", {**LOOP, **TV1}, instances=1, partitions=1, inputs=1,
                       rebalances=1, late_offset_commits=1)
    refused = [(before, after) for before, a, after in transitions(model)
               if a[0] == "LateSendOffsets" and a[-1] == "ILLEGAL_GENERATION"]
    assert refused
    for before, after in refused:
        assert before.group.generation == 1 and after.members == before.members
        assert after.cluster == before.cluster
    result = breadth_first(model)
    assert result.result == "holds" and result.distinct_states == 926


def test_a_loop_counterexample_through_the_offsets_partition_draws_its_diagram(capsys):
    """Its sequence diagram names the offsets partition's broker (the arrows parsed 'p0'
    names only: a loop counterexample with a marker on offsets was an internal error)."""
    code = main(["check", "transactions", "--set", "transactional.id=app",
                 "--set", "isolation.level=read_committed", "--set", "enable.auto.commit=false",
                 "--set", "transaction.version=1", "--bound", "instances=1",
                 "--bound", "partitions=1", "--bound", "inputs=2",
                 "--bound", "late_offset_commits=1", "--property", "ExactlyOnce",
                 "--no-estimate"])
    out = capsys.readouterr()
    assert code == 1 and "internal error" not in out.err
    assert "Coordinator->>B1: 14. WriteMarker offsets COMMIT e0 at 1" in out.out
    assert "B1->>P0: 9. ack offsets" in out.out
    assert "delayed: - -> offset commit P0 offset 1 e0 generation 0" in out.out
    assert ("The output of input 1 is committed but the group's committed offset is 1: the "
            "next owner of the input processes it again.") in out.out


def test_the_fault_line_names_the_delayed_offset_commit():
    loop = make_model("transactions", LOOP, **LATE_COMMIT).fault_model()
    assert ("delayed offset commit request", 1) in loop.explored
    quiet = make_model("transactions", LOOP, instances=1, partitions=1, inputs=1)
    assert "delayed offset commit request" in quiet.fault_model().not_explored
    with pytest.raises(UsageError, match="late_offset_commits delays the loop's offset "
                                         "commits: set --bound inputs=N"):
        make_model("transactions", RC, late_offset_commits=1)


# -- 3. transaction.max.timeout.ms ------------------------------------------------------

def test_a_transaction_timeout_above_the_brokers_max_is_refused_as_init_producer_id_does():
    """TransactionStateManager.validateTransactionTimeoutMs: INVALID_TRANSACTION_TIMEOUT,
    which initTransactions() throws (InvalidTxnTimeoutException): no transaction runs."""
    with pytest.raises(UsageError, match="InvalidTxnTimeoutException: transaction.timeout.ms "
                                         "60000 exceeds the broker's transaction.max.timeout.ms "
                                         "30000"):
        make_model("transactions", {**RC, "transaction.max.timeout.ms": "30000"})
    with pytest.raises(UsageError, match="transaction.timeout.ms 900001 exceeds the broker's "
                                         "transaction.max.timeout.ms 900000"):
        make_model("transactions", {**RC, "transaction.timeout.ms": "900001"})


def test_a_larger_transaction_max_timeout_admits_a_larger_transaction_timeout():
    config = build_config(TransactionsModel, [*RC.items(), ("transaction.timeout.ms", "3600000"),
                                              ("transaction.max.timeout.ms", "3600000")])
    assert config.kafka["transaction.max.timeout.ms"] == 3600000
    assert "transaction.max.timeout.ms" not in config.not_modelled
    assert not config.uncovered


def test_without_a_transactional_id_the_timeout_is_not_checked():
    # TransactionCoordinator.handleInitProducerId: a null transactional.id is answered
    # before the timeout check.
    config = build_config(TransactionsModel, [("enable.auto.commit", "false"),
                                              ("transaction.timeout.ms", "1000000")],
                          bounds=[("inputs", "1")])
    assert config.kafka["transaction.timeout.ms"] == 1000000


def test_the_cli_exits_2_on_a_transaction_timeout_above_the_configured_max(capsys):
    code = main(["check", "transactions", "--set", "transactional.id=app",
                 "--set", "transaction.timeout.ms=120000",
                 "--set", "transaction.max.timeout.ms=60000", "--no-diagram"])
    out = capsys.readouterr()
    assert code == 2
    assert "InvalidTxnTimeoutException" in out.err + out.out


# -- 4. producer.id.expiration.ms ---------------------------------------------------------

def test_producer_id_expiry_is_not_covered_by_the_transactions_model(capsys):
    """Producer ids never expire in this model (its fault line says so): a run that sets
    producer.id.expiration.ms is NOT COVERED, not 'no effect on these verdicts'."""
    config = build_config(TransactionsModel, [*RC.items(), ("producer.id.expiration.ms",
                                                            "60000")])
    assert dict(config.uncovered) == {"producer.id.expiration.ms": 60000}
    code = main(["check", "transactions", "--set", "transactional.id=app",
                 "--set", "producer.id.expiration.ms=60000", "--bound", "instances=1",
                 "--no-diagram", "--no-estimate"])
    out = capsys.readouterr().out
    assert code == 3
    assert "NOT COVERED: producer.id.expiration.ms=60000" in out
    assert "no effect on these verdicts" not in out


# -- 5. the fault line of transaction timeouts -------------------------------------------

# A batch expired while its request was delayed.  With version 1 and no partition
# verification the delayed write reaches its leader after the abort: the coordinator never
# learns of it, and no timeout aborts it (the hanging transaction of KIP-890).  With
# version 2 the client's abort is an empty transaction's, which bumps the epoch, and the
# delayed write is fenced: nothing is left to time out.
ORPHAN = {"instances": 1, "partitions": 1, "expiries": 1, "late_produces": 1}


def test_with_no_timeout_budget_the_fault_line_says_orphaned_transactions_still_time_out():
    model = make_model("transactions", RC, **ORPHAN)
    result = breadth_first(model)
    assert "AbortTimedOut" not in result.coverage and "EndTxn" in result.coverage
    faults = model.fault_model()
    assert "transaction timeout" not in faults.not_explored
    assert txm.TIMEOUT_OF_LIVE_TRANSACTION in faults.not_explored
    assert txm.TIMEOUT_OF_LIVE_TRANSACTION == (
        "transaction timeout of a transaction its producer can still end (an orphaned one, "
        "whose producers are all fenced or done, is aborted)")


def test_with_a_timeout_budget_the_transaction_timeout_is_explored():
    faults = make_model("transactions", RC, **{**ORPHAN, "timeouts": 1}).fault_model()
    assert ("transaction timeout", 1) in faults.explored
    assert not any("transaction timeout" in f for f in faults.not_explored)
