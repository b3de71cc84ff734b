"""reports/conformance.md: recorded counts judged again against predictions made now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kafkacheck.conformance.page import conformance_markdown

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def _scenario(idempotence: bool, duplicates: int) -> dict[str, Any]:
    """A recorded lost-response scenario as `conformance run` writes it."""
    row = {"index": 4, "process": "producer", "f": "send", "type": "ok",
           "value": {"t/0": [[3, "r-1"]]}}
    kinds = [{"kind": "duplicate", "observed": duplicates, "excerpt": [row]},
             {"kind": "lost-write", "observed": 0}]
    return {
        "scenario": "producer-retry-duplicates", "family": "producer retries",
        "description": "responses dropped", "focus": ["duplicate"],
        "config": {"acks": "all", "min_insync_replicas": 2, "replication_factor": 2,
                   "idempotence": idempotence, "elr": 1},
        "faults": ["lost-response"], "ops": {"send_ok": 21}, "seconds": 7.0,
        "judgement": {"verdict": "conforms", "problems": [], "kinds": kinds},
        "history_path": "/nonexistent/history.jsonl", "details": {},
    }


def _write(tmp_path: Path, scenario: dict[str, Any]) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    summary = {"kafka_version": "4.4.0", "total_seconds": 60,
               "cluster": {"layout": "split", "nodes": {
                   "1": {"roles": ["broker"]}, "101": {"roles": ["controller"]}},
                   "network": {"subnet": "10.213.0.0/24"},
                   "feature_levels": {"eligible.leader.replicas.version": "1"}},
               "scenarios": [scenario]}
    (data / "conformance-summary.json").write_text(json.dumps(summary))
    return tmp_path


def test_the_page_judges_recorded_counts_with_predictions_made_now(tmp_path: Path) -> None:
    page = conformance_markdown(_write(tmp_path, _scenario(False, 2)), "now", "x")
    row = next(line for line in page.splitlines() if line.startswith("| `producer-retry"))
    assert "duplicated: possible" in row and "duplicated: 2" in row and "| conforms |" in row
    assert "1 brokers and 1 controllers as separate processes" in page
    assert "`eligible.leader.replicas.version=1`" in page
    runs = page.split("## The model runs behind the predictions", 1)[1]
    assert "`producer` | acks=all, enable.idempotence=false" in runs
    assert "## Notes (written by hand" in page


def test_a_recorded_anomaly_the_model_now_forbids_turns_the_page_red(tmp_path: Path) -> None:
    # the same counts, but recorded for an idempotent producer: the model forbids duplicates
    page = conformance_markdown(_write(tmp_path, _scenario(True, 2)), "now", "x")
    row = next(line for line in page.splitlines() if line.startswith("| `producer-retry"))
    assert "duplicated: impossible" in row and row.endswith("| **FAIL** |")
    failure = page.split("### Conformance failure: `producer-retry-duplicates`", 1)[1]
    assert "duplicated: 2 observed; the model says impossible" in failure
    assert '#4 producer send ok {"t/0": [[3, "r-1"]]}' in failure


def test_without_recorded_runs_the_page_says_how_to_record_one(tmp_path: Path) -> None:
    page = conformance_markdown(tmp_path, "now", "x")
    assert "No real-cluster run is recorded yet" in page


def _committed(name: str) -> Any:
    return json.loads((REPORTS / "data" / name).read_text(encoding="utf-8"))


def test_the_recorded_soaks_are_fifty_fault_rounds_and_their_figures_are_on_the_page() -> None:
    page = (REPORTS / "conformance.md").read_text(encoding="utf-8")
    safe, weak = _committed("soak-acks-all.json"), _committed("soak-acks-1.json")
    for soak in (safe, weak):
        f = soak["figures"]
        assert f["rounds"] >= 50 and f["rounds_recovered"] == f["rounds"]
        assert f["overlapping_rounds"] > 0
        assert {"isolate-leader", "cut-follower", "isolate-controller", "cut-clients",
                "kill-broker", "kill-consumer"} <= set(soak["fault_counts"])
        assert f"| records acknowledged | {f['acknowledged']:,} |" in page
        assert f"| lost | {f['lost']:,} |" in page
    assert safe["soak"]["acks"] == "all" and safe["soak"]["min_insync_replicas"] == 2
    assert safe["figures"]["lost"] == 0 and safe["judgement"]["verdict"] == "conforms"
    assert weak["soak"]["acks"] == "1" and weak["figures"]["lost"] > 0
    assert weak["judgement"]["verdict"] == "conforms"  # the model predicts that loss


def test_the_recorded_run_shows_the_zombie_leader_and_a_failure_on_purpose() -> None:
    summary = _committed("conformance-summary.json")
    by = {s["scenario"]: s for s in summary["scenarios"]}
    observed = {name: {k["kind"]: k["observed"] for k in s["judgement"]["kinds"]}
                for name, s in by.items()}
    assert summary["cluster"]["layout"] == "split" and summary["cluster"]["network"]
    assert observed["zombie-leader-acks1"]["lost-write"] > 0
    assert by["zombie-leader-acks1"]["details"]["lost_acked_after_successor"] > 0
    assert observed["zombie-leader-acks-all"]["lost-write"] == 0
    assert observed["idempotent-epoch-bump-java"]["duplicate"] == 1
    assert all(s["judgement"]["verdict"] == "conforms" for s in by.values())
    demo = _committed("conformance-failure-demo.json")
    assert demo["verdict"] == "FAIL" and demo["scenario"] == "zombie-leader-acks1"
