"""Auto-commit with records processed on another thread.

enable.auto.commit commits the consumer's positions in poll()
(ConsumerCoordinator.maybeAutoCommitOffsetsAsync commits subscriptions.allConsumed()),
whether or not the application has processed the records below them.  A poll loop that
processes each batch before polling again keeps at-least-once; one that hands batches to
a worker thread commits past records the worker still holds, and a crash loses them.
"""

from __future__ import annotations

import pytest

from kafkacheck.config import UsageError
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
CRASH = {"consumers": 1, "records": 2, "crashes": 1, "rejoins": 1}
PROPS = ["AtLeastOnce", "NoSkippedOffsets"]


def test_auto_commit_with_async_processing_commits_past_a_record_lost_in_a_crash():
    model = make_model("group", EARLIEST, processing="async", **CRASH)
    result = breadth_first(model, PROPS)
    assert [tuple(a) for a in result.violation("AtLeastOnce").trace.actions] == [
        ("Join", "C1"), ("InitialRebalance",), ("Sync", "C1", "{p0}"),
        ("Produce", "p0", "offset 0"), ("Poll", "C1", "p0", "offset 0", "reset earliest"),
        ("AutoCommit", "C1", "p0 offset 0 not processed yet"), ("Crash", "C1")]
    # the restarted consumer starts at the committed offset, past the lost record
    assert len(result.violation("NoSkippedOffsets").trace.actions) == 13


def test_auto_commit_in_the_poll_loop_keeps_at_least_once_through_the_same_crash():
    result = breadth_first(make_model("group", EARLIEST, **CRASH), PROPS)
    assert result.result == "holds" and result.complete and result.distinct_states == 213


def test_async_processing_is_modelled_with_auto_commit_only():
    with pytest.raises(UsageError, match="processing=async"):
        make_model("group", {"enable.auto.commit": "false"}, processing="async",
                   commit="sync-after-processing")
