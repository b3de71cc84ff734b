"""The ``python -m kafkacheck.conformance`` entry point against real clusters (``conformance``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.conformance

if os.environ.get("KAFKACHECK_SKIP_CONFORMANCE") == "1":
    pytest.skip("KAFKACHECK_SKIP_CONFORMANCE=1", allow_module_level=True)
pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed")

from kafkacheck.conformance.__main__ import main  # noqa: E402
from kafkacheck.conformance.distribution import (  # noqa: E402
    Distribution,
    DistributionError,
    ensure_distribution,
    tools_available,
)


@pytest.fixture(scope="module")
def dist() -> Distribution:
    """The Kafka jars (skip when Java/Maven or the download are unavailable)."""
    if "java" in tools_available():
        pytest.skip("needs java on PATH to run a real Kafka cluster")
    try:
        return ensure_distribution()
    except DistributionError as exc:
        pytest.skip(f"no cached Kafka and no download (mvn/Maven Central): {exc}")


def test_run_writes_summary(dist: Distribution, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    t0 = time.monotonic()
    rc = main(
        [
            "run",
            "--scenarios",
            "acks1-leader-kill",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "w"),
        ]
    )
    print(f"\n[cli run, one scenario] {time.monotonic() - t0:.1f}s")
    data: dict[str, Any] = json.loads(out.read_text())
    assert rc == 0
    assert data["kafka_version"] == dist.version
    assert data["all_expectations_met"] is True
    (scenario,) = data["scenarios"]
    assert scenario["scenario"] == "acks1-leader-kill"
    assert scenario["counts"]["lost-write"] > 0
    assert scenario["settings"]["producer_acks1"]["acks"] == "1"
    assert Path(scenario["history_path"]).exists()


def test_run_rejects_unknown_scenario(tmp_path: Path) -> None:
    assert main(["run", "--scenarios", "nope", "--out", str(tmp_path / "x.json")]) == 2


def test_up_then_down(dist: Distribution, tmp_path: Path) -> None:
    d = tmp_path / "up"
    assert main(["up", "--dir", str(d)]) == 0
    pids = json.loads((d / "pids.json").read_text())["pids"]
    try:
        assert len(pids) == 3
        assert all(Path(f"/proc/{p}").exists() for p in pids.values())
    finally:
        assert main(["down", "--dir", str(d)]) == 0
    time.sleep(0.5)
    for p in pids.values():
        stat = Path(f"/proc/{p}/stat")
        assert not stat.exists() or ") Z" in stat.read_text()
