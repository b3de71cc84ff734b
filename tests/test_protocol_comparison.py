"""The classic-vs-consumer comparison page (`reports/protocols.md`) is measured, not written.

A second consumer joining: the eager classic protocol makes the first consumer give up every
partition, even the one it keeps (stop the world); cooperative rebalancing (KIP-429) and the
consumer protocol (KIP-848) take away only the partition that moves.
"""

from __future__ import annotations

from pathlib import Path

from kafkacheck.report import normalize, run_row
from kafkacheck.report_protocols import (
    COLUMNS,
    PROTOCOLS,
    comparison_rows,
    measure_rebalance,
    rebalance_rows,
    result_row,
)

PAGE = Path(__file__).resolve().parents[1] / "reports" / "protocols.md"


def test_eager_rebalancing_stops_the_world_and_the_incremental_protocols_do_not():
    eager, cooperative, consumer = (measure_rebalance(p) for p in PROTOCOLS)
    assert (eager.revoked, eager.kept_but_stopped, eager.steps) == (2, 1, 4)
    assert eager.trace[1] == ("Join", "C1", "revoke all")
    assert (cooperative.revoked, cooperative.kept_but_stopped, cooperative.steps) == (1, 0, 8)
    assert (consumer.revoked, consumer.kept_but_stopped, consumer.steps) == (1, 0, 10)
    assert ("Reconcile", "C1", "revoke {p1}") in consumer.trace


def test_the_committed_rebalance_table_is_what_the_models_produce():
    page = PAGE.read_text(encoding="utf-8")
    for line in rebalance_rows():
        assert line in page


def test_a_regenerated_comparison_row_matches_the_committed_page():
    page = normalize(PAGE.read_text(encoding="utf-8"))
    scenario, protocol, row = comparison_rows()[2]  # a crash, on the consumer protocol
    assert row.model == "group-consumer"
    rr = run_row((row, COLUMNS, 3_000_000))
    line = result_row(scenario, protocol, rr)
    assert line in page
    assert rr.cells["AtMostOnce"].verdict == "violated"
    assert rr.cells["AtLeastOnce"].verdict == "holds"
