"""A matrix row states the configuration it ran and the faults its verdicts are relative to.

A bound a row leaves at its default is printed at the value the run used, never "-": the
default crash_kind is "any" in the replication model but "process" in the transactions
model, so a "-" read as "any" turned a process-crash-only "holds" into a claim about power
failures.  A holds cell whose run crashed brokers only as processes says so, and the row's
entry in results.json carries its effective bounds, its fault model and the power-loss
warning the command line prints for the same run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kafkacheck.cli import main
from kafkacheck.explorer.render import power_loss_warning
from kafkacheck.report import (
    CellResult,
    RowResult,
    _columns,
    claim_run,
    row_data,
    row_markdown,
    run_row,
)
from kafkacheck.report_matrices import MATRICES, REPLICATION, TRANSACTIONS, Matrix, Row
from kafkacheck.testing import check, make_model

REPORTS = Path(__file__).resolve().parents[1] / "reports"
TXN = {"transactional.id": "app", "isolation.level": "read_committed"}


def _cells(matrix: Matrix, line: str) -> dict[str, str]:
    """A row's cells by column name."""
    settings, bounds = _columns(matrix)
    header = (["Kafka"] if any(r.kafka_version for r in matrix.rows) else []) + [
        *settings, *bounds, *matrix.columns, "time"]
    cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
    assert len(cells) == len(header)
    return dict(zip(header, cells, strict=True))


def _row(matrix: Matrix, settings: dict[str, str], bounds: dict[str, object]) -> Row:
    [row] = [r for r in matrix.rows if dict(r.settings) == settings and dict(r.bounds) == bounds]
    return row


def test_a_transactions_row_prints_the_default_crash_kind_and_names_process_crashes_only():
    # the audited row: crashes=1, crash_kind left at the transactions model's default
    row = _row(TRANSACTIONS, TXN, {"instances": 2, "partitions": 1, "crashes": 1})
    rr = run_row((row, TRANSACTIONS.columns, TRANSACTIONS.max_states))
    cells = _cells(TRANSACTIONS, row_markdown(TRANSACTIONS, rr))
    assert {b: cells[b] for b in _columns(TRANSACTIONS)[1]} == {
        "instances": "2", "transactions": "1", "partitions": "1", "late_produces": "0",
        "late_end_txns": "0", "expiries": "0", "aborts": "0", "crashes": "1",
        "crash_kind": "process", "coordinator_moves": "0"}
    holds = [cells[name] for name in TRANSACTIONS.columns
             if rr.cells[name].verdict == "holds"]
    assert holds and set(holds) == {f"✅ holds ({rr.distinct:,} states; process crashes only)"}


def test_a_row_that_explored_power_loss_carries_no_process_crash_note():
    row = _row(TRANSACTIONS, TXN, {"instances": 1, "partitions": 1, "crashes": 1,
                                   "crash_kind": "power-loss"})
    rr = run_row((row, TRANSACTIONS.columns, TRANSACTIONS.max_states))
    cells = _cells(TRANSACTIONS, row_markdown(TRANSACTIONS, rr))
    assert cells["crash_kind"] == "power-loss"
    holds = [cells[name] for name in TRANSACTIONS.columns
             if rr.cells[name].verdict == "holds"]
    assert holds and set(holds) == {f"✅ holds ({rr.distinct:,} states)"}


def test_a_replication_row_prints_its_defaults_any_crash_kind_and_version_truncation():
    row = _row(REPLICATION, {"acks": "1", "replication.factor": "2", "min.insync.replicas": "1",
                             "unclean.leader.election.enable": "false"},
               {"records": 2, "crashes": 1})
    rr = run_row((row, REPLICATION.columns, REPLICATION.max_states))
    cells = _cells(REPLICATION, row_markdown(REPLICATION, rr))
    assert {b: cells[b] for b in _columns(REPLICATION)[1]} == {
        "crashes": "1", "crash_kind": "any", "truncation": "version", "leader_changes": "0"}
    assert cells["LeaderInIsr"] == f"✅ holds ({rr.distinct:,} states)"


def test_no_matrix_prints_a_dash_for_a_bound_its_row_leaves_at_the_default():
    # one row of each matrix that leaves some shown bound unset, with the model's bounds
    # as run_row records them
    for matrix in MATRICES:
        bound_cols = _columns(matrix)[1]
        for row in matrix.rows:
            if all(b in row.bounds for b in bound_cols):
                continue
            model = make_model(row.model, row.settings, kafka_version=row.kafka_version,
                               **row.bounds)
            rr = RowResult(row, True, "complete", 1, 1, 1, 0.1,
                           {name: CellResult("not checked") for name in matrix.columns},
                           bounds=dict(model.config.bounds))
            cells = _cells(matrix, row_markdown(matrix, rr))
            assert {b: cells[b] for b in bound_cols} == {
                b: str(row.bounds.get(b, model.config.bounds[b])) for b in bound_cols}
            assert "-" not in [cells[b] for b in bound_cols], (matrix.id, row.slug)
            break


def test_a_results_json_row_carries_its_effective_bounds_and_fault_model():
    row = _row(TRANSACTIONS, TXN, {"instances": 2, "partitions": 1, "crashes": 1})
    rr = run_row((row, TRANSACTIONS.columns, TRANSACTIONS.max_states))
    same = check(TXN, model="transactions", properties=list(TRANSACTIONS.columns),
                 bounds=dict(row.bounds))
    data = row_data(rr)
    assert data["bounds"] == {"instances": 2, "partitions": 1, "crashes": 1}
    assert data["effective_bounds"] == dict(same.model.config.bounds)
    assert data["effective_bounds"]["crash_kind"] == "process"
    assert data["fault_model"] == same.fault_model.as_json()
    assert data["fault_model"]["explored"] == {
        "broker process crash (the page cache survives)": 1}
    assert data["power_loss_warning"] == power_loss_warning(same)
    assert data["power_loss_warning"].startswith(
        "WARNING: power loss was NOT explored: this verdict covers process crashes only")
    # a row that explored power loss has no warning to carry
    lossy = _row(TRANSACTIONS, TXN, {"instances": 1, "partitions": 1, "crashes": 1,
                                     "crash_kind": "power-loss"})
    assert "power_loss_warning" not in row_data(
        run_row((lossy, TRANSACTIONS.columns, TRANSACTIONS.max_states)))


def test_a_partial_regeneration_dates_the_sections_it_reran_and_keeps_the_others_date(
        tmp_path):
    # The committed index, as a full run of 2026-01-01 with one configuration fewer wrote it.
    committed = (REPORTS / "README.md").read_text(encoding="utf-8")
    full = re.sub(r"^Generated on .*? by kafkacheck (.*?); [\d,]+ configurations,",
                  r"Generated on 2026-01-01 00:00 UTC by kafkacheck \1; 1 configurations,",
                  committed, count=1, flags=re.M)
    (tmp_path / "README.md").write_text(full, encoding="utf-8")
    (tmp_path / "results.json").write_text((REPORTS / "results.json").read_text(
        encoding="utf-8"), encoding="utf-8")
    old_date = "2026-01-01 00:00 UTC"
    total = f"{sum(len(m.rows) for m in MATRICES):,} configurations"

    def date_line() -> str:
        text = (tmp_path / "README.md").read_text(encoding="utf-8")
        [line] = [ln for ln in text.splitlines() if ln.startswith("Generated on ")]
        return line

    assert main(["report", "--only", "disk-loss", "--out", str(tmp_path)]) == 0
    line = date_line()
    assert re.fullmatch(r"Generated on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(disk-loss only; the "
                        rf"rest on {re.escape(old_date)}\) by kafkacheck .*", line), line
    assert f"; {total}, " in line  # the index's count, not the old one nor the rerun's
    first = line.removeprefix("Generated on ")[:20]
    # a second partial run keeps the first one's date for its section, and the date of
    # the run that wrote the rest
    assert main(["report", "--only", "partition-count-changes", "--out", str(tmp_path)]) == 0
    assert (f"(partition-count-changes only; disk-loss on {first}; the rest on {old_date}) "
            "by kafkacheck ") in date_line()
    second = date_line().removeprefix("Generated on ")[:20]
    # a section rerun again leaves the earlier ones, and takes the new date
    assert main(["report", "--only", "disk-loss", "--out", str(tmp_path)]) == 0
    assert (f"(disk-loss only; partition-count-changes on {second}; the rest on {old_date}) "
            "by kafkacheck ") in date_line()
    # the rerun matrix's results.json rows carry their fault model; the others are kept
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    committed_data = json.loads((REPORTS / "results.json").read_text(encoding="utf-8"))
    assert all("fault_model" in entry and "effective_bounds" in entry
               for entry in data["matrices"]["disk-loss"])
    assert data["matrices"]["replication"] == committed_data["matrices"]["replication"]


def test_a_controller_row_whose_node_crashed_names_process_crashes_only():
    # The controller model cannot express power loss: its crash is a "node process crash"
    # that keeps the disk.  A holds from a run that crashed one is about process crashes
    # only, in the matrix cell and in a seed claim's evidence line, never "no broker crash".
    row = Row("controller", {}, {"controllers": 2, "records": 0, "crashes": 1,
                                 "isolations": 0})
    rr = run_row((row, ("OneActiveControllerPerEpoch",), 200_000))
    assert rr.cells["OneActiveControllerPerEpoch"].verdict == "holds"
    assert rr.fault_model["explored"] == {"node process crash": 1}
    assert rr.process_crashes_only
    run = claim_run(rr, ["OneActiveControllerPerEpoch"])
    assert run.power_loss_note() == "; process crashes only: power loss NOT explored"
    # without a crash the same row crashed nothing, and says so
    calm = run_row((Row("controller", {}, {"controllers": 2, "records": 0, "crashes": 0,
                                           "isolations": 0}),
                    ("OneActiveControllerPerEpoch",), 200_000))
    assert not calm.process_crashes_only
    assert claim_run(calm, ["OneActiveControllerPerEpoch"]).power_loss_note() == (
        "; no broker crash: power loss NOT explored")
