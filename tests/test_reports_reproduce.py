"""The committed reports are what the engine produces: a slice is regenerated and compared.

Timings and dates are masked (`kafkacheck.report.normalize`); every other character of
the regenerated rows, counterexample steps and claim sections must match reports/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kafkacheck.report import normalize, row_markdown, run_row
from kafkacheck.report_matrices import EXACTLY_ONCE, GROUP, PRODUCER, REPLICATION, TRANSACTIONS

REPORTS = Path(__file__).resolve().parents[1] / "reports"

SLICE = [
    (REPLICATION, 0),   # acks=1, RF=2, one crash
    (REPLICATION, 11),  # acks=all, RF=2, power loss
    (PRODUCER, 3),      # no idempotence, 5 in flight
    (GROUP, 8),         # commit before processing, crash
    (TRANSACTIONS, 19),  # read_committed, power loss of the only broker
    (EXACTLY_ONCE, 0),  # the loop without a transactional.id
]


def section(text: str, title: str) -> str:
    """The body of one '## title' section of a Markdown page."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


@pytest.mark.parametrize("matrix,index", SLICE)
def test_a_regenerated_matrix_row_matches_the_committed_report(matrix, index):
    row = matrix.rows[index]
    rr = run_row((row, matrix.columns, matrix.max_states))
    committed = (REPORTS / "README.md").read_text(encoding="utf-8")
    assert normalize(row_markdown(matrix, rr)) in normalize(committed)
    for name, cell in rr.cells.items():
        if cell.verdict != "violated" or cell.steps is None:
            continue
        page = (REPORTS / "counterexamples" / f"{matrix.id}-{row.slug}-{name}.md").read_text(
            encoding="utf-8")
        assert section(page, "Steps").strip() == f"```text\n{cell.trace_text}\n```"
        assert cell.mermaid in section(page, "Sequence diagram")


def test_the_committed_results_json_agrees_with_the_regenerated_verdicts():
    data = json.loads((REPORTS / "results.json").read_text(encoding="utf-8"))
    for matrix, index in SLICE:
        row = matrix.rows[index]
        rr = run_row((row, matrix.columns, matrix.max_states))
        entry = data["matrices"][matrix.id][index]
        assert entry["settings"] == dict(row.settings)
        assert entry["verdicts"] == {k: c.verdict for k, c in rr.cells.items()}
        assert entry["distinct_states"] == rr.distinct


def test_the_matrices_hold_at_least_forty_configurations_each_backed_by_a_run():
    data = json.loads((REPORTS / "results.json").read_text(encoding="utf-8"))
    rows = [r for rows in data["matrices"].values() for r in rows]
    assert len(rows) >= 40
    assert all(r["distinct_states"] > 0 and r["verdicts"] for r in rows)


def test_every_claim_of_the_seed_document_has_a_verdict():
    from kafkacheck.seed_claims import CLAIMS

    page = (REPORTS / "seed-claims.md").read_text(encoding="utf-8")
    for claim in CLAIMS:
        assert f'<a id="{claim.id}"></a>' in page
        assert claim.korean in page
    assert "needs review" not in page


def test_a_seed_claim_section_regenerates_identically():
    from kafkacheck.seed_claims import CLAIMS

    claim = next(c for c in CLAIMS if c.id == "partitioner-keys")
    page = (REPORTS / "seed-claims.md").read_text(encoding="utf-8")
    runs = {}

    def check(model, settings, bounds, properties):
        from kafkacheck.report_matrices import Row
        from kafkacheck.seed_claims import Run

        rr = run_row((Row(model, dict(settings), dict(bounds)), tuple(properties), 3_000_000))
        run = Run(model, dict(settings), dict(bounds), list(properties),
                  {k: c.verdict for k, c in rr.cells.items()},
                  {k: c.steps for k, c in rr.cells.items() if c.steps}, rr.distinct)
        for name in run.steps:
            run.links[name] = f"counterexamples/claim-{rr.row.slug}-{name}.md"
        runs[model] = run
        return run

    verdict = claim.decide(check)
    assert f"**Verdict: {verdict.verdict}.** {verdict.conditions}" in page
    for line in verdict.evidence:
        assert f"- {line}" in page
