"""Real Kafka 4.4 clusters (marked ``conformance``; skipped without Java/Maven or the download).

The default run keeps one cluster (3 combined nodes, each in its own network namespace when
this machine allows it) and a short version of each scenario; ``pytest -m thorough`` adds
the longer ones and a split-roles cluster.  Set ``KAFKACHECK_SKIP_CONFORMANCE=1`` to skip.
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

from kafkacheck.conformance import partition_scenarios, scenarios  # noqa: E402
from kafkacheck.conformance.__main__ import _variant_factory  # noqa: E402
from kafkacheck.conformance.cluster import KafkaCluster  # noqa: E402
from kafkacheck.conformance.conform import FAIL, judge  # noqa: E402
from kafkacheck.conformance.distribution import (  # noqa: E402
    Distribution,
    DistributionError,
    ensure_distribution,
    tools_available,
)
from kafkacheck.conformance.history import read_events  # noqa: E402
from kafkacheck.conformance.network import missing_tools  # noqa: E402
from kafkacheck.conformance.predict import RunConfig, predict  # noqa: E402
from kafkacheck.conformance.result import ScenarioResult  # noqa: E402

TIMINGS: dict[str, float] = {}
VARIANTS = Path(__file__).with_name("variants.py")
needs_netns = pytest.mark.skipif(
    bool(missing_tools()), reason=f"network partitions need {', '.join(missing_tools())}"
)


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
    with KafkaCluster(dist, network=not missing_tools()) as c:
        TIMINGS["cluster_start"] = c.start_seconds or 0.0
        yield c


def _record(name: str, result: ScenarioResult) -> None:
    """Keep the observation for the timing report printed at the end."""
    TIMINGS[name] = result.seconds
    print(f"\n[{name}] {result.verdict}: {result.observation} in {result.seconds:.1f}s; "
          f"history {result.history_path}")


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


def test_feature_levels_come_from_the_running_cluster(cluster: KafkaCluster) -> None:
    levels = cluster.feature_levels
    assert levels["eligible.leader.replicas.version"] in ("0", "1")
    assert levels["metadata.version"].startswith("4.4")
    config = scenarios.run_config(cluster, acks="all")
    assert config.elr == int(levels["eligible.leader.replicas.version"])
    assert config.layout == "combined"


@needs_netns
def test_a_deposed_leader_acknowledges_acks1_writes_that_are_then_lost(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = partition_scenarios.zombie_leader(cluster, tmp_path / "z1", acks="1")
    _record("zombie-leader-acks1", r)
    assert r.predicted("lost-write") == "possible"
    assert r.observed("lost-write") > 0
    assert r.details["lost_acked_after_successor"] > 0  # acknowledged by the deposed leader
    assert r.verdict == "conforms", r.judgement
    # the same history against a model variant in which a deposed leader cannot acknowledge
    config = RunConfig.from_json(r.config)
    variant = _variant_factory([f"controller={VARIANTS}:ControllerAcksOneWaitsForIsr"])
    failing = judge(read_events(r.history_path), predict(config, r.faults, variant))
    assert failing.verdict == FAIL
    lost = next(k for k in failing.kinds if k.kind == "lost-write")
    assert lost.verdict == FAIL and lost.excerpt


# The safe twin of the acks=1 deposed-leader loss kept in the default suite.
@pytest.mark.thorough
@needs_netns
def test_a_deposed_leader_loses_nothing_with_acks_all_and_min_isr_2(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = partition_scenarios.zombie_leader(cluster, tmp_path / "zall", acks="all")
    _record("zombie-leader-acks-all", r)
    assert r.predicted("lost-write") == "impossible"
    assert r.observed("lost-write") == 0
    assert r.ops["send_ok"] > 100
    assert r.verdict == "conforms", r.judgement


@needs_netns
def test_lost_responses_make_a_non_idempotent_producer_write_twice(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = partition_scenarios.retry_duplicates(cluster, tmp_path / "dup", idempotence=False)
    _record("producer-retry-duplicates", r)
    assert r.predicted("duplicate") == "possible"
    assert r.observed("duplicate") > 0
    assert r.verdict == "conforms", r.judgement


@pytest.mark.thorough
@needs_netns
def test_the_java_clients_epoch_bump_writes_a_batch_twice(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = partition_scenarios.epoch_bump_set_up(cluster, tmp_path / "eb", client="java")
    _record("idempotent-epoch-bump-java", r)
    assert r.details["set_up"], r.details["steps"]
    assert r.predicted("duplicate") == "possible"
    assert r.observed("duplicate") == 1 and r.observed("reordered") == 1
    assert any("Incremented producer epoch" in line for line in r.details["client_log"])
    assert r.verdict == "conforms", r.judgement


@pytest.mark.thorough
def test_acks1_leader_kill_loses_acknowledged_writes(cluster: KafkaCluster, tmp_path: Path) -> None:
    r = scenarios.acks1_leader_kill(cluster, tmp_path / "a", records=20)
    _record("acks1-leader-kill", r)
    assert r.predicted("lost-write") == "possible"
    assert r.observed("lost-write") > 0
    assert r.verdict == "conforms", r.judgement


# Kill rounds take about 40 s; the soak command is the long version.
@pytest.mark.thorough
def test_acks_all_survives_kill_rounds(cluster: KafkaCluster, tmp_path: Path) -> None:
    r = scenarios.acks_all_kill_rounds(cluster, tmp_path / "b", rounds=2)
    _record("acks-all-kill-rounds", r)
    assert r.rounds == 2
    assert r.predicted("lost-write") == "impossible"
    assert r.observed("lost-write") == 0
    assert r.ops["send_ok"] > 100
    assert r.verdict == "conforms", r.judgement


def test_commit_before_processing_crash_skips_a_record(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = scenarios.commit_before_processing_crash(cluster, tmp_path / "c")
    _record("commit-before-processing-crash", r)
    assert r.predicted("group:lost-write") == "possible"
    assert r.observed("group:lost-write") >= 1
    assert r.details["records_in_log"] == 40  # the broker kept it; the group never processed it
    assert r.verdict == "conforms", r.judgement


def test_auto_commit_crash_duplicates(cluster: KafkaCluster, tmp_path: Path) -> None:
    r = scenarios.auto_commit_crash(cluster, tmp_path / "d")
    _record("auto-commit-crash", r)
    assert r.predicted("group:duplicate-delivery") == "possible"
    assert r.observed("group:duplicate-delivery") >= 1
    assert r.predicted("group:lost-write") == "impossible"
    assert r.observed("group:lost-write") == 0
    assert r.verdict == "conforms", r.judgement


@pytest.mark.thorough
def test_auto_commit_store_on_return_loses_in_flight_record(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = scenarios.auto_commit_store_on_return_crash(cluster, tmp_path / "e")
    _record("auto-commit-store-on-return-crash", r)
    assert r.observed("group:lost-write") >= 1
    assert r.verdict == "conforms", r.judgement


@pytest.mark.thorough
@needs_netns
def test_librdkafka_refuses_to_go_on_after_the_same_epoch_bump(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = partition_scenarios.epoch_bump_set_up(cluster, tmp_path / "ebr", client="librdkafka")
    _record("idempotent-epoch-bump-librdkafka", r)
    assert r.details["set_up"], r.details["steps"]
    assert r.observed("duplicate") == 0
    # librdkafka does not rewrite r1: r0 is never acknowledged (its error is fatal)
    assert [a[2] for a in r.details["acked"]] == ["r1"]
    assert r.verdict == "conforms", r.judgement


@pytest.mark.thorough
@needs_netns
def test_an_idempotent_producer_does_not_duplicate_on_lost_responses(
    cluster: KafkaCluster, tmp_path: Path
) -> None:
    r = partition_scenarios.retry_duplicates(cluster, tmp_path / "idem", idempotence=True)
    _record("producer-retry-idempotent", r)
    assert r.predicted("duplicate") == "impossible"
    assert r.observed("duplicate") == 0
    assert r.verdict == "conforms", r.judgement


@pytest.mark.thorough
@needs_netns
def test_split_roles_zombie_leader_and_a_short_soak(dist: Distribution, tmp_path: Path) -> None:
    from kafkacheck.conformance.soak import SoakConfig, run_soak, summarize

    with KafkaCluster(dist, roles="split", network=True) as c:
        assert sorted(c.broker_ids) == [1, 2, 3] and sorted(c.controller_ids) == [101, 102, 103]
        r = partition_scenarios.zombie_leader(c, tmp_path / "z1", acks="1")
        _record("split-zombie-leader-acks1", r)
        assert r.observed("lost-write") > 0 and r.verdict == "conforms"
        result = summarize(run_soak(c, tmp_path / "soak", SoakConfig(seed=3, rounds=4)))
    assert result["figures"]["rounds"] == 4
    assert result["figures"]["lost"] == 0
    assert result["judgement"]["verdict"] == "conforms", result["judgement"]["problems"]
    rounds = [json.loads(x) for x in (tmp_path / "soak" / "rounds.jsonl").read_text().split("\n")
              if x]
    assert [r["round"] for r in rounds] == [0, 1, 2, 3]


def test_zz_report_timings() -> None:
    print("\n[conformance timings s] " + json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
