"""The KIP-848 two-owners race the model predicts, tried on a real Kafka 4.4 cluster.

Model finding (tests/test_group_consumer_protocol.py, range assignor, one close and one
restart, no lost messages, no crash): C2 is handed a partition that C1 left and, before C2
has finished taking it (its onPartitionsAssigned still runs), C1's restart makes the
coordinator move it back to C1.  C2's heartbeat did not list the partition yet, so the
coordinator treats it as released and gives it to C1 at once, while C2's reconciliation
still adds it: both consumers own it for a while.

Scenario (marked ``conformance``; skipped without Java, Maven's cached Kafka or
confluent-kafka, like the other cluster tests): a 2-partition topic, consumers with
``group.protocol=consumer`` and ``group.remote.assignor=range``; C2's onPartitionsAssigned
is slow (a widened reconciliation window); C1 owns both partitions, C2 joins, and as soon as
C2 starts taking partitions C1 closes and a new C1 starts.  Each consumer's ownership
intervals (assigned .. revoked or lost) and processed records are recorded; the judgement:
an overlap of two owners, or a record processed twice, is allowed only where the model run
of the same scenario says it is possible.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.conformance

if os.environ.get("KAFKACHECK_SKIP_CONFORMANCE") == "1":
    pytest.skip("KAFKACHECK_SKIP_CONFORMANCE=1", allow_module_level=True)
pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed")

from kafkacheck.conformance.cluster import KafkaCluster  # noqa: E402
from kafkacheck.conformance.distribution import (  # noqa: E402
    Distribution,
    DistributionError,
    ensure_distribution,
    tools_available,
)
from kafkacheck.conformance.network import missing_tools  # noqa: E402
from kafkacheck.explorer.bfs import breadth_first  # noqa: E402
from kafkacheck.testing import make_model  # noqa: E402

RECORDS_PER_PARTITION = 30
SLOW_ASSIGN_S = 2.0
PROCESS_S = 0.02


@pytest.fixture(scope="module")
def cluster() -> Iterator[KafkaCluster]:
    """A 3-node Kafka 4.4 cluster (skipped when Java, Maven or the jars are missing)."""
    if tools_available():
        pytest.skip(f"needs {', '.join(tools_available())} on PATH for a real Kafka cluster")
    try:
        dist: Distribution = ensure_distribution()
    except DistributionError as exc:
        pytest.skip(f"no cached Kafka and no download (mvn/Maven Central): {exc}")
    with KafkaCluster(dist, network=not missing_tools()) as c:
        yield c


@dataclass
class Member:
    """One consumer thread: what it owned when, and what it processed."""

    name: str
    conf: dict[str, Any]
    topic: str
    slow_assign_s: float = 0.0
    owned: dict[int, float] = field(default_factory=dict)  # partition -> assigned at
    intervals: list[tuple[int, float, float]] = field(default_factory=list)
    processed: list[tuple[int, int]] = field(default_factory=list)
    assigning: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: str = ""

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=60)

    def _released(self, partitions: list[Any]) -> None:
        now = time.monotonic()
        for tp in partitions:
            since = self.owned.pop(tp.partition, None)
            if since is not None:
                self.intervals.append((tp.partition, since, now))

    def _run(self) -> None:
        from confluent_kafka import Consumer

        def on_assign(consumer: Any, partitions: list[Any]) -> None:
            self.assigning.set()
            time.sleep(self.slow_assign_s)  # a slow onPartitionsAssigned
            now = time.monotonic()
            for tp in partitions:
                self.owned.setdefault(tp.partition, now)

        def on_revoke(consumer: Any, partitions: list[Any]) -> None:
            self._released(partitions)

        try:
            c = Consumer(self.conf)
            c.subscribe([self.topic], on_assign=on_assign, on_revoke=on_revoke,
                        on_lost=on_revoke)
            while not self.stop.is_set():
                msg = c.poll(0.1)
                if msg is None or msg.error():
                    continue
                time.sleep(PROCESS_S)
                self.processed.append((msg.partition(), msg.offset()))
                c.commit(message=msg, asynchronous=False)  # commitSync after processing
            c.close()  # a leave heartbeat; on_revoke runs first
        except Exception as exc:  # reported by the test, never swallowed
            self.error = repr(exc)
        finally:
            self._released([_TP(p) for p in list(self.owned)])


@dataclass
class _TP:
    partition: int


def _overlaps(members: list[Member]) -> list[tuple[int, str, str]]:
    """(partition, a, b) for every two members that owned one partition at the same time."""
    out = []
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            for pa, sa, ea in a.intervals:
                for pb, sb, eb in b.intervals:
                    if pa == pb and sa < eb and sb < ea:
                        out.append((pa, a.name, b.name))
    return out


def _model_predicts() -> dict[str, str]:
    """The model's verdicts on the same scenario (range, one close, one restart)."""
    model = make_model("group-consumer", {"group.remote.assignor": "range"},
                       closes=1, rejoins=1)
    result = breadth_first(model, ["NoTwoOwnersAtOnce"])
    two_owners = "possible" if result.violation("NoTwoOwnersAtOnce") else "impossible"
    delivery = make_model("group-consumer", {"group.remote.assignor": "range",
                                             "auto.offset.reset": "earliest",
                                             "enable.auto.commit": "false"},
                          closes=1, rejoins=1, records=1, partitions=2,
                          commit="sync-after-processing")
    dup = breadth_first(delivery, ["AtMostOnce"]).violation("AtMostOnce")
    return {"two-owners": two_owners, "duplicate": "possible" if dup else "impossible"}


# A cluster of its own and a slow reconciliation: about 50 s.
@pytest.mark.thorough
def test_a_restart_during_a_slow_reconciliation_gives_two_owners_only_as_the_model_predicts(
        cluster: KafkaCluster, tmp_path: Path) -> None:
    from confluent_kafka import Producer

    predicted = _model_predicts()
    assert predicted["two-owners"] == "possible"  # the model finding this scenario tests
    suffix = f"{os.getpid()}-{int(time.time())}"
    topic, group = f"kip848-race-{suffix}", f"g-kip848-race-{suffix}"
    cluster.create_topic(topic, 2, 3, {"min.insync.replicas": "2"})
    producer = Producer(cluster.client_config(acks="all"))
    for p in (0, 1):
        for i in range(RECORDS_PER_PARTITION):
            producer.produce(topic, f"r-{p}-{i}".encode(), partition=p)
    assert producer.flush(30) == 0
    conf = cluster.client_config(**{
        "group.id": group, "group.protocol": "consumer", "group.remote.assignor": "range",
        "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c1 = Member("C1", conf, topic)
    c1.start()
    deadline = time.monotonic() + 60
    while len(c1.owned) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(c1.owned) == 2, f"C1 never owned both partitions ({c1.error})"
    c2 = Member("C2", conf, topic, slow_assign_s=SLOW_ASSIGN_S)
    c2.start()
    assert c2.assigning.wait(60), f"C2 never got an assignment ({c2.error})"
    c1.close()  # the leave heartbeat while C2 is still taking its partitions
    c1b = Member("C1-restarted", conf, topic)
    c1b.start()
    members = [c1, c2, c1b]
    expected = {(p, o) for p in (0, 1) for o in range(RECORDS_PER_PARTITION)}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done = {r for m in members for r in m.processed}
        if expected <= done:
            break
        time.sleep(0.2)
    time.sleep(SLOW_ASSIGN_S + 1)
    for m in (c2, c1b):
        m.close()
    errors = [f"{m.name}: {m.error}" for m in members if m.error]
    assert not errors, errors
    processed = [r for m in members for r in m.processed]
    assert expected <= set(processed), "a record was never processed (commit after processing)"
    overlaps = _overlaps(members)
    duplicates = len(processed) - len(set(processed))
    observed = tmp_path / "ownership.json"
    observed.write_text(json.dumps({
        m.name: {"intervals": m.intervals, "processed": m.processed} for m in members},
        indent=1), encoding="utf-8")
    print(f"\n[kip848-two-owners-race] overlaps {overlaps}; duplicates {duplicates}; "
          f"predicted {predicted}; ownership intervals in {observed}")
    if overlaps:
        assert predicted["two-owners"] == "possible", overlaps
    if duplicates:
        assert predicted["duplicate"] == "possible", duplicates
