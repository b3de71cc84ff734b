"""KAFKA-6119's silent data loss on 0.11.0.0 / 0.11.0.1, and the source model's floor.

Before KAFKA-6119 (fixed in 0.11.0.2 and 1.0, commit 5bbfd614d00) the coordinator aborts a
timed-out transaction with the producer's own epoch.  The producer goes on: its next send
to a partition it has not written yet sends AddPartitionsToTxn, which the coordinator
accepts from CompleteAbort (handleAddPartitionsToTransaction checks only the producer id,
the epoch, a pending transition and Prepare*), opening a new transaction; the producer's
commitTransaction() then commits that one only, and the record it wrote before the timeout
was aborted (TransactionsTest.testFencingOnTransactionExpiration expects that send to be
fenced).  Reaching it needs a timeout between two adds, so on those releases the model
lets the client add a transaction's partitions separately (protocol ``split_adds``).
"""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.testing import make_model

TXN = {"transactional.id": "app", "isolation.level": "read_committed"}
BOUNDS = {"instances": 1, "partitions": 2, "timeouts": 1}
PROPS = ["CommittedNotLost", "AtomicCommit"]

# The loss: p0 written, the transaction timed out (PrepareAbort with the same epoch e0),
# p1 added from CompleteAbort, a new transaction, committed with p1 alone.
LOSS = [
    ("InitProducerId", "P0", "epoch 0 pending"),
    ("TxnLogCommitted", "Empty e0"),
    ("AddPartitions", "P0", "{p0}"),
    ("TxnLogCommitted", "Ongoing +p0"),
    ("Produce", "P0", "p0", "r0 (P0 txn 0) e0 s0", "appended at 0"),
    ("AbortTimedOut", "e0"),
    ("TxnLogCommitted", "PrepareAbort e0"),
    ("WriteMarker", "p0", "ABORT e0 at 1"),
    ("Acked", "P0", "p0"),
    ("MarkerWritten", "p0"),
    ("CompleteTxn", "PrepareAbort"),
    ("TxnLogCommitted", "CompleteAbort"),
    ("AddPartitions", "P0", "{p1}"),
    ("TxnLogCommitted", "Ongoing +p1"),
    ("Produce", "P0", "p1", "r0 (P0 txn 0) e0 s0", "appended at 0"),
    ("Acked", "P0", "p1"),
    ("Commit", "P0", "txn 0"),
    ("TxnLogCommitted", "PrepareCommit e0"),
]


def check(version, **bounds):
    model = make_model("transactions", TXN, kafka_version=version, **{**BOUNDS, **bounds})
    return model, breadth_first(model, PROPS)


@pytest.mark.parametrize("version", ["0.11.0.0", "0.11.0.1"])
def test_timeout_between_two_adds_loses_a_committed_record_before_6119(version):
    """kafkacheck check transactions --kafka-version 0.11.0.1 --set transactional.id=app
    --set isolation.level=read_committed --bound instances=1 --bound partitions=2
    --bound timeouts=1 --property CommittedNotLost --property AtomicCommit"""
    model, result = check(version)
    assert isinstance(model.protocol, tc.Before6119)
    assert result.result == "violated"
    assert {v.name for v in result.violations} == set(PROPS)
    assert result.distinct_states == 1011
    # CommittedNotLost: commitTransaction() returned (PrepareCommit committed) while r0
    # on p0 was aborted by the timeout.
    assert list(result.violation("CommittedNotLost").trace.actions) == LOSS
    # AtomicCommit: the commit marker reaches p1 alone.
    assert list(result.violation("AtomicCommit").trace.actions) == \
        [*LOSS, ("WriteMarker", "p1", "COMMIT e0 at 1")]


@pytest.mark.parametrize("version", ["0.11.0.2", "1.0"])
def test_the_epoch_bump_of_6119_fences_the_add_and_every_guarantee_holds(version):
    """The same run on 0.11.0.2 and 1.0: the timeout bumps the epoch, so any later request
    of the producer is fenced; partitions are added together there (the abstraction)."""
    model, result = check(version)
    assert not model.protocol.split_adds
    assert result.result == "holds" and result.complete
    assert result.distinct_states == 268


def test_only_the_releases_without_6119_split_the_adds():
    assert tc.Before6119.split_adds
    for proto in (tc.TxnProtocol, tc.NoClientEpochBump, tc.VerifiedFirstWrite,
                  tc.EpochPerTransaction):
        assert not proto.split_adds
    # Without a timeout budget nothing can fall between the adds that matters, but the
    # groupings are still explored: {p0}, {p1} and {p0, p1}.
    model = make_model("transactions", TXN, kafka_version="0.11.0.1", instances=1,
                       partitions=2)
    state = model.init_states()[0]
    for action, nxt in model.successors(state):
        if action[0] == "InitProducerId":
            state = nxt
    for action, nxt in model.successors(state):
        if action[0] == "TxnLogCommitted":
            state = nxt
    adds = sorted(a for a, _ in model.successors(state) if a[0] == "AddPartitions")
    assert adds == [("AddPartitions", "P0", "{p0, p1}"), ("AddPartitions", "P0", "{p0}"),
                    ("AddPartitions", "P0", "{p1}")]


def test_notes_say_how_partitions_are_added():
    split, _ = check("0.11.0.1")
    together, _ = check("0.11.0.2")
    assert any("before KAFKA-6119" in n and "separate requests" in n
               for n in split.notes())
    assert any("added in one request (an abstraction" in n and "KAFKA-6119" in n
               for n in together.notes())
    one = make_model("transactions", TXN, kafka_version="0.11.0.2", instances=1,
                     partitions=1)
    assert not any("added in one request" in n for n in one.notes())


def test_loop_loses_its_output_while_committing_the_offsets_before_6119():
    """The consume-transform-produce loop: output written, the transaction timed out, then
    AddOffsetsToTxn opens a new transaction that commits the offsets alone."""
    settings = {**TXN, "enable.auto.commit": "false"}
    results = {}
    for version in ("0.11.0.1", "0.11.0.2"):
        model = make_model("transactions", settings, kafka_version=version, instances=1,
                           inputs=1, partitions=1, timeouts=1)
        results[version] = breadth_first(model, ["ExactlyOnce"])
    assert results["0.11.0.2"].result == "holds" and results["0.11.0.2"].complete
    assert results["0.11.0.1"].result == "violated"
    actions = list(results["0.11.0.1"].violation("ExactlyOnce").trace.actions)
    names = [a[0] for a in actions]
    timeout = names.index("AbortTimedOut")
    assert actions.index(("AddPartitions", "P0", "{p0}")) < timeout
    assert actions.index(("AddPartitions", "P0", "{offsets}")) > timeout
    assert ("Commit", "P0", "txn 0") in actions[timeout:]


def test_source_model_refuses_releases_before_0_11_with_its_own_reason(capsys):
    """kafkacheck check source-crash-duplicates --kafka-version 0.10: the model's floor,
    not isolation.level (a value of the worker's offsets consumer the user never set)."""
    for argv in (["check", "source-crash-duplicates", "--kafka-version", "0.10"],
                 ["check", "source", "--kafka-version", "0.10"]):
        code = main(argv)
        _out, err = capsys.readouterr()
        assert code == 2, err
        assert err.count("\n") == 1, err
        assert err.startswith("kafkacheck: error: the source model starts at Kafka 0.11"), err
        assert "isolation.level" not in err
