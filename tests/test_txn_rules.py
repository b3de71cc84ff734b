"""The transactional storage and coordinator rules on hand-built logs (no model search).

Each test names the Kafka rule it pins down: ProducerAppendInfo's epoch and sequence
checks, the last stable offset, what read_committed drops, the coordinator's answers
per transaction.version.
"""

from __future__ import annotations

from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.model.cluster.partition_txn import TransactionalPartition, data, marker

RULES = TransactionalPartition()
CODEC = ptx.data_codec(pids=2, epochs=3, seqs=2, recs=3, transactional=True)


def log(*entries: ptx.Entry) -> tuple[int, ...]:
    """A leader log of the given entries (leader epoch 0)."""
    return tuple(CODEC.encode(e) for e in entries)


def test_codec_names_every_entry_once_and_refuses_layouts_beyond_the_payload_width():
    assert len(CODEC) == 2 * 3 * 2 * 3 + 2 * 3 * 2
    assert CODEC.decode(CODEC.encode(marker(1, 2, True))) == marker(1, 2, True)
    try:
        ptx.data_codec(pids=2, epochs=8, seqs=2, recs=4, transactional=True)
    except ValueError as exc:
        assert "lower the bounds" in str(exc)
    else:
        raise AssertionError("a layout of 160 entries must not fit 63 payloads")


def test_producer_state_follows_the_log_a_marker_ends_the_transaction_and_sets_the_epoch():
    entries = log(data(0, 0, 0, 0), data(0, 0, 1, 1), marker(0, 1, False))
    assert ptx.producer_entry(entries, CODEC, 0, upto=2) == ptx.ProducerEntry(
        0, ((0, 0), (1, 1)), 0)
    # maybeUpdateProducerEpoch: the marker's newer epoch clears the batch metadata.
    assert ptx.producer_entry(entries, CODEC, 0) == ptx.ProducerEntry(1, (), ptx.NO_OFFSET)
    assert ptx.producer_entry(entries, CODEC, 1) == ptx.EMPTY_PRODUCER


def test_a_retried_batch_is_a_duplicate_and_an_older_epoch_is_fenced():
    entries = log(data(0, 1, 0, 0))
    assert RULES.data_outcome(entries, CODEC, data(0, 1, 0, 0)) == (ptx.DUPLICATE, 0)
    assert RULES.data_outcome(entries, CODEC, data(0, 0, 1, 1))[0] == ptx.INVALID_EPOCH
    assert RULES.data_outcome(entries, CODEC, data(0, 1, 2, 1))[0] == ptx.OUT_OF_ORDER
    assert RULES.data_outcome(entries, CODEC, data(0, 1, 1, 1))[0] == ptx.APPEND
    # A new epoch starts at sequence 0; with no state at all any sequence is taken.
    assert RULES.data_outcome(entries, CODEC, data(0, 2, 1, 1))[0] == ptx.OUT_OF_ORDER
    assert RULES.data_outcome(entries, CODEC, data(0, 2, 0, 1))[0] == ptx.APPEND
    assert RULES.data_outcome((), CODEC, data(0, 0, 2, 1))[0] == ptx.APPEND


def test_a_delayed_batch_fills_the_sequence_gap_after_an_abort_with_the_same_epoch():
    # The TV1 hole KIP-890 closes: after an ABORT marker in the same epoch, the producer's
    # next expected sequence is the one its lost batch had.
    entries = log(marker(0, 0, False))
    assert RULES.data_outcome(entries, CODEC, data(0, 0, 0, 0))[0] == ptx.APPEND
    assert not RULES.has_ongoing_transaction(entries, CODEC, 0, 0)


def test_the_last_stable_offset_stops_at_an_open_transaction_and_at_an_unreplicated_marker():
    entries = log(data(0, 0, 0, 0), data(1, 0, 0, 1), marker(0, 0, True))
    assert RULES.last_stable_offset(entries, 3, CODEC) == 1  # pid 1 still open at 1
    assert RULES.last_stable_offset(entries[:1] + entries[2:], 1, CODEC) == 0  # marker >= HW
    assert RULES.last_stable_offset(entries[:1] + entries[2:], 2, CODEC) == 2


def test_read_committed_drops_aborted_records_and_markers_read_uncommitted_does_not():
    entries = log(data(0, 0, 0, 0), marker(0, 0, False), data(0, 0, 1, 1), marker(0, 0, True))
    assert RULES.consumer_read(entries, 4, CODEC, "read_committed") == ((2, 1),)
    assert RULES.consumer_read(entries, 4, CODEC, "read_uncommitted") == ((0, 0), (2, 1))
    # Up to the high watermark only, even for read_uncommitted.
    assert RULES.consumer_read(entries, 1, CODEC, "read_uncommitted") == ((0, 0),)


def test_read_committed_returns_offset_order_not_commit_order():
    """Not promised: isolation between concurrent transactions.  Producer 1 commits first,
    but its record sits after producer 0's, which read_committed waits for."""
    entries = log(data(0, 0, 0, 0), data(1, 0, 0, 1), marker(1, 0, True))
    assert RULES.consumer_read(entries, 3, CODEC, "read_committed") == ()
    entries += log(marker(0, 0, True))
    assert RULES.consumer_read(entries, 4, CODEC, "read_committed") == ((0, 0), (1, 1))


def test_a_marker_of_an_older_epoch_is_refused():
    entries = log(data(0, 2, 0, 0))
    assert not RULES.marker_accepted(entries, CODEC, marker(0, 1, True))
    assert RULES.marker_accepted(entries, CODEC, marker(0, 2, True))


# -- the coordinator ------------------------------------------------------------------


def test_replaying_the_transaction_log_gives_the_coordinator_metadata():
    codec = tc.log_codec(tids=1, epochs=3, partitions=2)
    records = [tc.init_record(0, 0), tc.add_record(0, 1), tc.add_record(0, 2),
               tc.prepare_record(0, True, 1)]
    entries = tuple(codec.encode(r) for r in records)
    assert tc.load(entries, codec, 1) == (tc.TxnMeta(tc.PREPARE_COMMIT, 1, 3),)
    entries += (codec.encode(tc.complete_record(0, True)),)
    assert tc.load(entries, codec, 1) == (tc.TxnMeta(tc.COMPLETE_COMMIT, 1, 0),)


def test_init_producer_id_fences_an_ongoing_transaction_first():
    ongoing = tc.TxnMeta(tc.ONGOING, 3, 1)
    err, rec = tc.TxnProtocol().init_request(0, ongoing, False)
    assert err == tc.CONCURRENT_TRANSACTIONS and rec == tc.prepare_record(0, False, 4)
    err, rec = tc.TxnProtocol().init_request(0, tc.TxnMeta(tc.COMPLETE_ABORT, 4, 0), False)
    assert err == tc.APPENDING and rec == tc.init_record(0, 5)


def test_a_stale_end_txn_commits_the_next_transaction_only_without_epoch_bumps():
    """KIP-890: 'a delayed EndTxn ... can result in incorrectly completing a transaction'."""
    next_txn = tc.TxnMeta(tc.ONGOING, 0, 1)  # TV1: the next transaction keeps epoch 0
    err, rec = tc.VerifiedFirstWrite().end_request(0, next_txn, False, 0, True)
    assert err == tc.APPENDING and rec == tc.prepare_record(0, True, 0)
    bumped = tc.TxnMeta(tc.ONGOING, 1, 1)  # TV2: the first EndTxn moved the epoch to 1
    assert tc.EpochPerTransaction().end_request(0, bumped, False, 0, True) == \
        (tc.PRODUCER_FENCED, None)


def test_end_txn_retries_are_answered_from_the_completed_state():
    tv1, tv2 = tc.VerifiedFirstWrite(), tc.EpochPerTransaction()
    assert tv1.end_request(0, tc.TxnMeta(tc.COMPLETE_COMMIT, 0, 0), False, 0, True) == \
        (tc.NONE, None)
    assert tv2.end_request(0, tc.TxnMeta(tc.COMPLETE_COMMIT, 1, 0), False, 0, True) == \
        (tc.NONE, None)
    assert tv1.end_request(0, tc.TxnMeta(tc.COMPLETE_COMMIT, 0, 0), False, 0, False) == \
        (tc.INVALID_TXN_STATE, None)


def test_version_2_aborts_an_empty_transaction_with_an_epoch_bump():
    """TransactionCoordinator.endTransaction (4.0): an abort at the current epoch from Empty
    or Complete* prepares an abort one epoch up (the client's writes never reached a leader);
    a commit there is INVALID_TXN_STATE; a retry is one epoch below the stored one."""
    tv2 = tc.EpochPerTransaction()
    for state in (tc.EMPTY, tc.COMPLETE_COMMIT, tc.COMPLETE_ABORT):
        meta = tc.TxnMeta(state, 2, 0)
        assert tv2.end_request(0, meta, False, 2, False) == \
            (tc.APPENDING, tc.prepare_record(0, False, 3)), state
        assert tv2.end_request(0, meta, False, 2, True) == (tc.INVALID_TXN_STATE, None)
        assert tv2.end_request(0, meta, False, 0, False) == (tc.PRODUCER_FENCED, None)
    assert tv2.end_request(0, tc.TxnMeta(tc.COMPLETE_ABORT, 2, 0), False, 1, False) == \
        (tc.NONE, None)  # the retry of the abort that completed
    assert tv2.end_request(0, tc.TxnMeta(tc.COMPLETE_ABORT, 2, 0), False, 1, True) == \
        (tc.INVALID_TXN_STATE, None)
    # KAFKA-18464: a pending change is answered before the epoch is checked.
    assert tv2.end_request(0, tc.TxnMeta(tc.ONGOING, 2, 1), True, 0, True) == \
        (tc.CONCURRENT_TRANSACTIONS, None)
    # Version 1 answers the same abort INVALID_TXN_STATE (endTransactionWithTV1: Empty).
    assert tc.VerifiedFirstWrite().end_request(0, tc.TxnMeta(tc.EMPTY, 2, 0), False, 2,
                                               False) == (tc.INVALID_TXN_STATE, None)


def test_first_write_needs_nothing_before_kip_890_is_verified_in_part_1_added_in_part_2():
    meta = tc.TxnMeta(tc.COMPLETE_ABORT, 0, 0)
    assert tc.TxnProtocol().first_write(meta, 0, 1) == tc.NONE
    assert tc.VerifiedFirstWrite().first_write(meta, 0, 1) == tc.INVALID_TXN_STATE
    assert tc.EpochPerTransaction().first_write(meta, 0, 1) == tc.APPENDING
    assert tc.EpochPerTransaction().first_write(tc.TxnMeta(tc.ONGOING, 1, 1), 0, 1) == \
        tc.PRODUCER_FENCED


def test_kafka_4_0_0_fences_twice_so_a_timed_out_producers_abort_is_fenced():
    """KAFKA-19367 (4.1, 4.0.1): before it a version 2 fence bumped the epoch twice
    (prepareFenceProducerEpoch, then prepareAbortOrCommit on the fenced epoch)."""
    ongoing = tc.TxnMeta(tc.ONGOING, 3, 1)
    assert tc.DoubleFenceBump().timeout_record(0, ongoing) == tc.prepare_record(0, False, 5)
    assert tc.EpochPerTransaction().timeout_record(0, ongoing) == tc.prepare_record(0, False, 4)
    # The producer, still at epoch 3, aborts after the coordinator's abort completed.
    assert tc.EpochPerTransaction().end_request(0, tc.TxnMeta(tc.COMPLETE_ABORT, 4, 0), False,
                                                3, False) == (tc.NONE, None)
    assert tc.DoubleFenceBump().end_request(0, tc.TxnMeta(tc.COMPLETE_ABORT, 5, 0), False,
                                            3, False) == (tc.PRODUCER_FENCED, None)
    assert type(tc.protocol_for(2, True, kafka_19367=False)) is tc.DoubleFenceBump
