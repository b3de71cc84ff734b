"""Tests against a real 3-node Kafka cluster (marked ``conformance``; skipped without Java/Maven).

Set ``KAFKACHECK_SKIP_CONFORMANCE=1`` to skip them on purpose.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.conformance

if os.environ.get("KAFKACHECK_SKIP_CONFORMANCE") == "1":
    pytest.skip("KAFKACHECK_SKIP_CONFORMANCE=1", allow_module_level=True)
pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed")

from kafkacheck.conformance import scenarios  # noqa: E402
from kafkacheck.conformance.cluster import KafkaCluster  # noqa: E402
from kafkacheck.conformance.distribution import (  # noqa: E402
    Distribution,
    DistributionError,
    ensure_distribution,
    tools_available,
)

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def dist() -> Distribution:
    """The Kafka jars, downloaded once into the cache; skip when that is impossible."""
    if "java" in tools_available():
        pytest.skip("needs java on PATH to run a real Kafka cluster")
    try:
        d = ensure_distribution()
    except DistributionError as exc:
        pytest.skip(f"no cached Kafka and no download (mvn/Maven Central): {exc}")
    TIMINGS["distribution"] = d.seconds
    return d


@pytest.fixture(scope="module")
def cluster(dist: Distribution) -> Iterator[KafkaCluster]:
    """One cluster shared by this module's tests; every scenario heals it first."""
    with KafkaCluster(dist) as c:
        TIMINGS["cluster_start"] = c.start_seconds or 0.0
        yield c


def _record(name: str, result: scenarios.ScenarioResult, tmp: Path) -> None:
    """Keep the observation for the timing/observation report printed at the end."""
    TIMINGS[name] = result.seconds
    print(f"\n[{name}] {result.observation} in {result.seconds:.1f}s; history {tmp}")


def test_cluster_faults_and_metadata(cluster: KafkaCluster) -> None:
    assert cluster.registered_brokers() == {1, 2, 3}
    cluster.create_topic("basic", 1, 3)
    st = cluster.partition_state("basic", 0)
    assert st.leader in (1, 2, 3) and sorted(st.isr) == [1, 2, 3]
    follower = next(n for n in st.replicas if n != st.leader)
    cluster.pause(follower)
    assert follower not in cluster.running_ids()
    cluster.resume(follower)
    cluster.kill(st.leader)
    new = cluster.wait_partition("basic", 0, lambda s: s.leader not in (-1, st.leader), 30, "x")
    assert new.leader != st.leader
    cluster.restart(st.leader)
    cluster.wait_partition("basic", 0, lambda s: len(s.isr) == 3, 60, "full ISR")
    assert set(cluster.running_ids()) == {1, 2, 3}


def test_acks1_leader_kill_loses_acknowledged_writes(cluster: KafkaCluster, tmp_path: Path) -> None:
    r = scenarios.acks1_leader_kill(cluster, tmp_path / "a", records=20)
    _record("acks1-leader-kill", r, tmp_path)
    assert r.expected_seen, r.observation
    assert r.counts["lost-write"] > 0
    assert Path(r.history_path).exists()


def test_acks_all_survives_kill_rounds(cluster: KafkaCluster, tmp_path: Path) -> None:
    r = scenarios.acks_all_kill_rounds(cluster, tmp_path / "b", rounds=8)
    _record("acks-all-kill-rounds", r, tmp_path)
    assert r.rounds == 8
    assert r.counts["lost-write"] == 0, r.check["anomalies"]
    assert r.counts["duplicate"] == 0
    assert r.counts["inconsistent-offsets"] == 0
    assert r.check["ops"]["send_ok"] > 100


def test_commit_before_processing_crash_skips_a_record(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = scenarios.commit_before_processing_crash(cluster, tmp_path / "c")
    _record("commit-before-processing-crash", r, tmp_path)
    assert r.expected_seen, r.observation
    assert r.counts["lost-write"] >= 1
    assert r.details["records_in_log"] == 40  # the broker kept it; the group never processed it


def test_auto_commit_crash_duplicates(cluster: KafkaCluster, tmp_path: Path) -> None:
    r = scenarios.auto_commit_crash(cluster, tmp_path / "d")
    _record("auto-commit-crash", r, tmp_path)
    assert r.expected_seen, r.observation
    assert r.counts["duplicate-delivery"] >= 1
    assert r.counts["lost-write"] == 0


def test_auto_commit_store_on_return_loses_in_flight_record(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = scenarios.auto_commit_store_on_return_crash(cluster, tmp_path / "e")
    _record("auto-commit-store-on-return-crash", r, tmp_path)
    assert r.expected_seen, r.observation
    assert r.counts["lost-write"] >= 1


def test_zz_report_timings() -> None:
    print("\n[conformance timings s] " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
