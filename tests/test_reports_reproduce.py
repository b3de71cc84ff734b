"""The committed reports are what the engine produces: a slice is regenerated and compared.

Timings and dates are masked (`kafkacheck.report.normalize`); every other character of
the regenerated rows, counterexample steps and claim sections must match reports/.  The
slice holds at least one row of every matrix and every seed claim but the two whose runs
take minutes.  ``KAFKACHECK_REPORTS_DIR`` compares a regeneration made elsewhere
(``kafkacheck report --out DIR``) instead of reports/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kafkacheck.report import claim_run, normalize, row_data, row_markdown, run_row
from kafkacheck.report_matrices import (
    EXACTLY_ONCE,
    GROUP,
    MATRICES,
    PRODUCER,
    REPLICATION,
    TRANSACTIONS,
    Row,
)

REPORTS = Path(os.environ.get("KAFKACHECK_REPORTS_DIR")
               or Path(__file__).resolve().parents[1] / "reports")
BY_ID = {m.id: m for m in MATRICES}

SLICE = [
    (REPLICATION, 0),   # acks=1, RF=2, one crash
    (REPLICATION, 11),  # acks=all, RF=2, power loss
    (PRODUCER, 3),      # no idempotence, 5 in flight
    (PRODUCER, 7),      # idempotence, retry_budget=2: holds, process crashes only
    (GROUP, 8),         # commit before processing, crash
    (GROUP, 13),        # auto.offset.reset=latest with retention: skips records
    (TRANSACTIONS, 18),  # read_committed, crash_kind left at the model's default (process)
    (TRANSACTIONS, 19),  # read_committed, power loss of the only broker
    (EXACTLY_ONCE, 0),  # the loop without a transactional.id
    (BY_ID["streams"], 0),
    (BY_ID["sink"], 5),
    (BY_ID["source"], 3),
    (BY_ID["disk-loss"], 7),  # a process crash and a disk loss
    (BY_ID["rolling-restarts"], 3),
    (BY_ID["producer-sessions"], 1),
    (BY_ID["consumer-failure-modes"], 10),
    (BY_ID["partition-count-changes"], 1),
]

# The seed claims regenerated here: all but two (the replication claim's Kafka 2.0.1 run
# explores 868k states, idempotence's runs 190k; the full regeneration decides them).
SLOW_CLAIMS = {"replication", "idempotence"}


def section(text: str, title: str) -> str:
    """The body of one '## title' section of a Markdown page."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


@pytest.mark.parametrize("matrix,index", SLICE, ids=[f"{m.id}-{i}" for m, i in SLICE])
def test_a_regenerated_matrix_row_matches_the_committed_report(matrix, index):
    row = matrix.rows[index]
    rr = run_row((row, matrix.columns, matrix.max_states))
    committed = (REPORTS / "README.md").read_text(encoding="utf-8")
    assert normalize(row_markdown(matrix, rr)) in normalize(committed)
    # its results.json entry: verdicts, counts, effective bounds and fault model
    data = json.loads((REPORTS / "results.json").read_text(encoding="utf-8"))
    assert data["matrices"][matrix.id][index] == row_data(rr)
    for name, cell in rr.cells.items():
        if cell.verdict != "violated" or cell.steps is None:
            continue
        page = (REPORTS / "counterexamples" / f"{matrix.id}-{row.slug}-{name}.md").read_text(
            encoding="utf-8")
        assert section(page, "What broke").strip() == cell.explanation
        assert section(page, "Steps").strip() == f"```text\n{cell.trace_text}\n```"
        assert cell.mermaid in section(page, "Sequence diagram")


def test_the_matrices_hold_at_least_forty_configurations_each_backed_by_a_run():
    data = json.loads((REPORTS / "results.json").read_text(encoding="utf-8"))
    rows = [r for rows in data["matrices"].values() for r in rows]
    assert len(rows) >= 40
    assert all(r["distinct_states"] > 0 and r["verdicts"] for r in rows)


def test_every_matrix_is_sampled():
    assert {matrix.id for matrix, _ in SLICE} == set(BY_ID)


def test_every_claim_of_the_seed_document_has_a_verdict():
    from kafkacheck.seed_claims import CLAIMS

    page = (REPORTS / "seed-claims.md").read_text(encoding="utf-8")
    for claim in CLAIMS:
        assert f'<a id="{claim.id}"></a>' in page
        assert claim.korean in page
    assert "needs review" not in page


def _claim_ids() -> list[str]:
    from kafkacheck.seed_claims import CLAIMS

    return [c.id for c in CLAIMS if c.id not in SLOW_CLAIMS]


@pytest.mark.parametrize("claim_id", _claim_ids())
def test_a_seed_claim_section_regenerates_identically(claim_id):
    from kafkacheck.seed_claims import CLAIMS

    claim = next(c for c in CLAIMS if c.id == claim_id)
    page = (REPORTS / "seed-claims.md").read_text(encoding="utf-8")

    def check(model, settings, bounds, properties, kafka_version=None):
        row = Row(model, dict(settings), dict(bounds), kafka_version)
        rr = run_row((row, tuple(properties), 3_000_000))
        run = claim_run(rr, properties)
        for name in run.steps:
            run.links[name] = f"counterexamples/claim-{row.slug}-{name}.md"
        return run

    verdict = claim.decide(check)
    assert f"**Verdict: {verdict.verdict}.** {verdict.conditions}" in page
    for line in verdict.evidence:
        assert f"- {line}" in page


@pytest.mark.thorough
def test_the_conformance_page_regenerates_identically(monkeypatch):
    # about 5 minutes of model runs (each recorded run's predictions): thorough only
    from kafkacheck.report import conformance_markdown

    monkeypatch.chdir(REPORTS.parent)  # the page names the folder as `report --out` gave it
    text = conformance_markdown(Path(REPORTS.name), "<date>") + "\n"
    committed = (REPORTS / "conformance.md").read_text(encoding="utf-8")
    assert normalize(text) == normalize(committed)

