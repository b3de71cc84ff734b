"""Scenarios that need network partitions (a cluster started with ``network=True``).

* :func:`zombie_leader`: the partition leader is cut off from the controller quorum and
  the other brokers while clients still reach it (the ``controller-zombie-*`` presets).
* :func:`retry_duplicates`: responses of the leader are lost while its requests get
  through; the producer retries batches that were written.
* :func:`epoch_bump`: the ``producer-idempotent-epoch-bump`` preset's behaviour: an
  idempotent producer's first batch is rejected (NOT_ENOUGH_REPLICAS) and its second
  written, both responses are lost, and the OUT_OF_ORDER_SEQUENCE_NUMBER answer to the
  first batch's retry makes the client bump its epoch and rewrite both batches.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .cluster import ClusterError, KafkaCluster
from .history import HistoryWriter, tp_key
from .network import CLIENTS, Link, NetworkError
from .result import ScenarioResult, attempt_record, finish, may_retry
from .scenarios import _suffix, run_config
from .workloads import HistoryProducer, ProducerSettings, Pump, complete_read

#: The faults (:data:`~.predict.FAULTS`) each scenario of this module injects: its
#: prediction's and the catalog's (the report names a fault a recorded run's prediction lacks).
ZOMBIE_FAULTS = ("leader-isolated",)
RETRY_FAULTS = ("lost-response",)
EPOCH_BUMP_FAULTS = ("follower-cut", "lost-response")
#: The problem of an epoch-bump run whose leader did not both reject r0 and append r1.
SET_UP_MISSED = ("the set-up did not happen (the leader did not both reject r0 and append r1): "
                 "the run cannot show the epoch bump it is about")


def _network(cluster: KafkaCluster) -> Any:
    """The cluster's network namespaces, or a clear error when it has none."""
    if cluster.network is None:
        raise NetworkError("this scenario needs a cluster started with network=True")
    return cluster.network


def isolate(cluster: KafkaCluster, node: int) -> list[Link]:
    """Cut one node off from every other Kafka process (controllers and brokers)."""
    net = _network(cluster)
    others = [cluster.endpoint(n) for n in cluster.nodes if n != node]
    return net.isolate(cluster.endpoint(node), others)


def _successor(cluster: KafkaCluster, topic: str, old: int, timeout_s: float) -> int:
    """Wait until some broker's metadata names a leader other than ``old``; return it.

    The deposed leader keeps answering metadata requests with itself as leader, so the
    probe retries until a response from the majority side arrives.
    """
    state = cluster.wait_partition(
        topic, 0, lambda s: s.leader not in (-1, old), timeout_s, f"a leader other than {old}"
    )
    return state.leader


def zombie_leader(
    cluster: KafkaCluster,
    workdir: Path,
    acks: str = "1",
    rate_per_s: float = 100.0,
    zombie_s: float = 4.0,
) -> ScenarioResult:
    """Cut the leader off from the quorum and the other brokers while a producer writes to it.

    Steps: a 1-partition topic, RF=3 (min.insync.replicas=1 for acks=1, 2 for acks=all),
    unclean election off; a producer sends ``rate_per_s`` records a second; the leader's
    links to every other Kafka process are cut (clients still reach it); once the
    controller has elected a successor the producer goes on for ``zombie_s`` seconds;
    the cut heals, the old leader rejoins as a follower and truncates; a complete read.
    The history marks when the successor was seen, so the lost records acknowledged after
    that moment are records the deposed leader acknowledged.
    """
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    net = _network(cluster)
    cluster.heal()
    topic = f"zombie-{acks}-{_suffix()}"
    min_isr = "1" if acks == "1" else "2"
    topic_conf = {"min.insync.replicas": min_isr, "unclean.leader.election.enable": "false"}
    cluster.create_topic(topic, 1, 3, topic_conf)
    hpath = workdir / "history.jsonl"
    hpath.unlink(missing_ok=True)
    idempotent = acks != "1"
    settings = ProducerSettings(
        acks=acks, enable_idempotence=idempotent, delivery_timeout_ms=30000
    )
    details: dict[str, Any] = {"topic": topic}
    with HistoryWriter(hpath) as hw:
        producer = HistoryProducer(cluster.client_config(), settings, hw, "producer")
        pump = Pump(producer, topic, 1, rate_per_s).start()
        try:
            time.sleep(2.0)
            before = cluster.partition_state(topic, 0)
            leader = before.leader
            details["before"] = before.to_json()
            hw.note("nemesis", "isolate", leader, layout=cluster.layout)
            t_cut = time.monotonic()
            isolate(cluster, leader)
            successor = _successor(cluster, topic, leader, 60)
            details["successor"] = successor
            details["successor_seconds"] = round(time.monotonic() - t_cut, 2)
            hw.note("nemesis", "successor-elected", successor, deposed=leader)
            t_successor_wall = time.time()
            time.sleep(zombie_s)
            hw.note("nemesis", "heal", leader)
            net.heal_all()
            cluster.wait_partition(topic, 0, lambda s: len(s.isr) == 3, 90, "full ISR again")
            time.sleep(1.0)
        finally:
            pump.stop()
        details["sent"] = pump.sent
        details["pump_errors"] = pump.errors[:5]
        details["unresolved_at_close"] = producer.close(40)
        complete_read(cluster.client_config(), [(topic, 0)], hw, timeout_s=60)
    result = finish(
        f"zombie-leader-acks{'1' if acks == '1' else '-all'}",
        f"acks={acks}: the partition leader cut off from the controller quorum and the other "
        "brokers by a network partition while the producer still reaches it",
        ["lost-write"],
        run_config(
            cluster,
            acks=acks,
            min_insync_replicas=int(min_isr),
            idempotence=idempotent,
        ),
        list(ZOMBIE_FAULTS),
        hpath,
        {
            "topic": {"partitions": 1, "replication.factor": 3, **topic_conf},
            "producer": settings.to_json(),
            "rate_per_s": rate_per_s,
            "zombie_s": zombie_s,
            "faults": "nftables drop between the leader and every other Kafka process",
        },
        t0,
        details=details,
    )
    result.details["lost_acked_after_successor"] = _lost_after(result, t_successor_wall)
    return result


def _lost_after(result: ScenarioResult, wall: float) -> int:
    """Lost records whose acknowledgement came after ``wall`` (a time.time() stamp)."""
    from .conform import observe
    from .history import read_events

    events = read_events(result.history_path)
    acked_at = {}
    for e in events:
        if e.get("f") == "send" and e.get("type") == "ok":
            for key, _, value in e["value"]:
                acked_at[(key, value)] = float(e.get("wall", 0))
    lost = observe(events)["lost-write"]
    return sum(1 for a in lost if acked_at.get((a.key, a.values[0]), 0) > wall)


def retry_duplicates(
    cluster: KafkaCluster,
    workdir: Path,
    idempotence: bool = False,
    records: int = 20,
    request_timeout_ms: int = 6000,
) -> ScenarioResult:
    """Lose the leader's responses while its requests get through: retries write twice.

    The leader's data segments to the clients are dropped (``what="data"``), so produce
    requests are appended and their responses lost; after ``request.timeout.ms`` the
    client disconnects and retries.  Without idempotence the broker appends the retries
    again; with it, it recognises their (producer id, epoch, sequence).
    """
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    net = _network(cluster)
    cluster.heal()
    topic = f"retry-{'idem' if idempotence else 'plain'}-{_suffix()}"
    topic_conf = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
    cluster.create_topic(topic, 1, 3, topic_conf)
    # Another node may not have the new topic's metadata yet (UNKNOWN_TOPIC_OR_PART).
    leader = cluster.wait_partition(topic, 0, lambda s: s.leader >= 0, 30.0,
                                    "leader known").leader
    hpath = workdir / "history.jsonl"
    hpath.unlink(missing_ok=True)
    settings = ProducerSettings(
        acks="all",
        enable_idempotence=idempotence,
        delivery_timeout_ms=60000,
        extra={"request.timeout.ms": request_timeout_ms, "retry.backoff.ms": 200},
    )
    details: dict[str, Any] = {"topic": topic, "leader": leader}
    ep = cluster.endpoint(leader)
    net.hold_retransmits(ep)  # before the producer connects (see epoch_bump)
    with HistoryWriter(hpath) as hw:
        producer = HistoryProducer(cluster.client_config(), settings, hw, "producer")
        producer.send(topic, 0, "warmup")
        producer.flush(15)
        mute = net.cut(ep, CLIENTS, "to", what="data")
        hw.note("nemesis", "drop-responses", leader)
        try:
            for i in range(records):
                producer.send(topic, 0, f"r-{i}")
                producer.poll(0.05)
            producer.poll(request_timeout_ms / 1000.0 + 2.0)
        finally:
            net.heal(mute)
            net.release_retransmits(ep)
            hw.note("nemesis", "heal", leader)
        details["unresolved_at_close"] = producer.close(60)
        complete_read(cluster.client_config(), [(topic, 0)], hw, timeout_s=60)
    return finish(
        f"producer-retry-{'idempotent' if idempotence else 'duplicates'}",
        f"enable.idempotence={str(idempotence).lower()}: the leader's responses are dropped "
        "while its requests get through, so the producer retries batches that were written",
        ["duplicate"],
        run_config(cluster, acks="all", min_insync_replicas=2, idempotence=idempotence),
        list(RETRY_FAULTS),
        hpath,
        {
            "topic": {"partitions": 1, "replication.factor": 3, **topic_conf},
            "producer": settings.to_json(),
            "records": records,
            "faults": "nftables drop of the leader's data segments to the clients",
        },
        t0,
        details=details,
    )


def _warm_producer_ids(cluster: KafkaCluster, topic: str) -> None:
    """Have every broker allocate producer ids (a broker's first InitProducerId is refused)."""
    from confluent_kafka import Producer

    from .workloads import quiet

    for b in cluster.broker_ids:
        p = Producer(quiet({"bootstrap.servers": cluster.bootstrap_of([b]),
                            "enable.idempotence": True}))
        p.produce(topic, b"warm", partition=0)
        p.flush(30)


def epoch_bump(
    cluster: KafkaCluster,
    workdir: Path,
    client: str = "java",
    request_timeout_ms: int = 15000,
    settle_s: float = 1.0,
) -> ScenarioResult:
    """Reproduce the ``producer-idempotent-epoch-bump`` preset on the real cluster.

    Steps (L leads a partition replicated on L and F, min.insync.replicas=2; neither is
    the active controller, so their own link can be cut without cutting the quorum):

    1. cut L-F; another producer's acks=1 record makes F lag, L shrinks the ISR to {L};
    2. drop L's data segments to the clients (responses lost, requests arrive);
    3. the idempotent producer sends r0: L rejects it (NOT_ENOUGH_REPLICAS), the answer
       is lost;
    4. heal L-F; F catches up, the ISR is {L, F} again;
    5. the producer sends r1 (sequence 1) on the same connection: L has no state for this
       producer, accepts any sequence, appends r1 and F replicates it; the answer is lost;
    6. the producer's request timeout fires, it retries r0 (sequence 0) and L answers
       OUT_OF_ORDER_SEQUENCE_NUMBER; the responses flow again.

    The Java client then bumps its epoch and rewrites both batches (r0, r1 again);
    librdkafka raises a fatal error instead.  The history and the client's log show which.
    ``details["set_up"]`` says whether the leader's log confirmed the rejection of r0 and
    its segment file the append of r1 (the steps race with the leader's own ISR updates).
    """
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    net = _network(cluster)
    cluster.heal()
    quorum_leader = cluster.quorum_leader()
    candidates = [b for b in cluster.broker_ids if b != quorum_leader]
    if len(candidates) < 2:
        raise ClusterError("needs two brokers that are not the active controller")
    leader, follower = candidates[:2]
    suffix = _suffix()
    topic, warm = f"epoch-bump-{suffix}", f"epoch-warm-{suffix}"
    topic_conf = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
    cluster.create_topic(topic, config=topic_conf, assignment=[[leader, follower]])
    cluster.create_topic(warm, assignment=[[leader, follower]])
    _warm_producer_ids(cluster, warm)
    hpath = workdir / "history.jsonl"
    hpath.unlink(missing_ok=True)
    conf: dict[str, Any] = {
        "acks": "all",
        "enable.idempotence": "true",
        "max.in.flight.requests.per.connection": 5,
        "request.timeout.ms": request_timeout_ms,
        "delivery.timeout.ms": 120000,
        "linger.ms": 0,
    }
    details: dict[str, Any] = {
        "topic": topic,
        "leader": leader,
        "follower": follower,
        "active_controller": quorum_leader,
        "client": client,
    }
    lep, fep = cluster.endpoint(leader), cluster.endpoint(follower)
    steps: list[dict[str, Any]] = []

    def step(what: str, **extra: Any) -> None:
        steps.append({"t": round(time.monotonic() - t0, 2), "step": what, **extra})

    # before the producer connects: TCP computes its retransmission timeout from the route
    # when it takes RTT samples, so a connection opened earlier would keep 200 ms
    net.hold_retransmits(lep)
    with HistoryWriter(hpath) as hw:
        if client == "java":
            from .javaclient import JavaProducer

            producer: Any = JavaProducer(
                cluster.dist,
                {"bootstrap.servers": cluster.bootstrap_of(), **conf},
                hw,
                "producer",
                workdir,
            )
        else:
            extra = {k: v for k, v in conf.items() if k not in ("acks", "enable.idempotence")}
            # librdkafka drops a connection whose request waits socket.timeout.ms (3 s in
            # client_config) and refreshes metadata every second: both would end the
            # window in which r0's answer is lost before r1 is sent
            extra.update({"socket.timeout.ms": request_timeout_ms,
                          "topic.metadata.refresh.interval.ms": 300000})
            producer = HistoryProducer(
                cluster.client_config(),
                ProducerSettings(acks="all", enable_idempotence=True, extra=extra),
                hw,
                "producer",
            )
        try:
            # a connection to L and the topic's metadata before anything is cut
            producer.send(warm, 0, "warm")
            producer.flush(60)
            if client == "java":
                producer.fetch_metadata(topic)
            else:
                producer._producer.list_topics(topic, timeout=10)
            cut = net.cut(lep, fep)
            hw.note("nemesis", "cut", [leader, follower])
            from confluent_kafka import Producer

            from .workloads import quiet

            filler = Producer(quiet({"bootstrap.servers": cluster.bootstrap_of(), "acks": "1"}))
            # in the history as an indefinite send: the final read holds it, and a record
            # no send wrote is refused (conform.unsent_problem); its fate is not judged
            hw.note("filler", "send", [[tp_key(topic, 0), None, "filler"]],
                    error="set-up record (acks=1), not judged")
            filler.produce(topic, b"filler", partition=0)
            filler.flush(15)
            cluster.wait_partition(topic, 0, lambda s: s.isr == (leader,), 60, "ISR {L}")
            time.sleep(settle_s)  # the leader applies its own AlterPartition answer
            step("ISR shrank to the leader")
            mute = net.cut(lep, CLIENTS, "to", what="data")
            hw.note("nemesis", "drop-responses", leader)
            mark = _log_size(cluster, leader)
            producer.send(topic, 0, "r0")
            rejected = _wait(
                lambda: _logged_since(cluster, leader, mark, "NotEnoughReplicasException", topic),
                5.0,
            )
            step("r0 sent", rejected_by_leader=rejected)
            net.heal(cut)
            hw.note("nemesis", "heal", [leader, follower])
            cluster.wait_partition(topic, 0, lambda s: len(s.isr) == 2, 60, "ISR {L, F}")
            time.sleep(settle_s)
            step("ISR back to {L, F}")
            size = _segment_bytes(cluster, leader, topic)
            producer.send(topic, 0, "r1")
            appended = _wait(lambda: _segment_bytes(cluster, leader, topic) > size, 5.0)
            step("r1 sent", appended_by_leader=appended)
            details["set_up"] = rejected and appended
            _serve(producer, request_timeout_ms / 1000.0)
            net.heal(mute)
            hw.note("nemesis", "heal-responses", leader)
            step("responses flow again")
            producer.flush(60)
        finally:
            net.heal_all()
            net.release_retransmits(lep)
            left = producer.close(30)
        details["unresolved_at_close"] = left
        details["acked"] = [[k, o, v] for k, o, v in producer.acked if k == tp_key(topic, 0)]
        details["errors"] = [str(e) for e in producer.errors][-5:]
        details["errors"] += list(getattr(producer, "client_errors", []))[:3]
        if client == "java":
            details["client_log"] = [
                line[line.find("]") + 2 :][:240]
                for line in producer.log_lines(
                    "OUT_OF_ORDER", "Incremented producer epoch", "Resetting sequence"
                )
            ]
        # the warm-up partition too: every acknowledged send must be in a partition read
        complete_read(cluster.client_config(), [(topic, 0), (warm, 0)], hw, timeout_s=60)
    details["steps"] = steps
    return finish(
        f"idempotent-epoch-bump-{client}",
        f"idempotent producer ({'Java client' if client == 'java' else 'librdkafka'}): first "
        "batch rejected while the follower is cut off, second written, both answers lost, "
        "then OUT_OF_ORDER_SEQUENCE_NUMBER on the first batch's retry",
        ["duplicate", "reordered"],
        run_config(
            cluster, acks="all", min_insync_replicas=2, replication_factor=2, idempotence=True
        ),
        list(EPOCH_BUMP_FAULTS),
        hpath,
        {
            "topic": {"partitions": 1, "replication.factor": 2, **topic_conf},
            "producer": conf,
            "client": "Apache Kafka Java client" if client == "java" else "librdkafka",
            "faults": "nftables drop between leader and follower, then of the leader's data "
            "segments to the clients",
        },
        t0,
        details=details,
        # Without both set-up steps no epoch bump can follow: the run shows nothing of it.
        problems=[] if details.get("set_up") else [SET_UP_MISSED],
    )


def epoch_bump_set_up(
    cluster: KafkaCluster, workdir: Path, client: str, attempts: int = 3
) -> ScenarioResult:
    """:func:`epoch_bump` again (new topic) until the leader confirmed both set-up steps.

    An attempt is run again only when the missed set-up is its only problem and no kind
    failed (:func:`~.result.may_retry`); any other attempt, a FAIL above all, is the result.
    Every attempt's judgement is kept in ``details["attempts"]``.
    """
    result: ScenarioResult | None = None
    tried: list[dict[str, Any]] = []
    for i in range(1, attempts + 1):
        result = epoch_bump(cluster, workdir / f"attempt-{i}", client=client)
        result.rounds = i
        tried.append(attempt_record(i, result))
        if result.details.get("set_up") or not may_retry(result, [SET_UP_MISSED]):
            break
    assert result is not None
    result.details["attempts"] = tried
    return result


def _log_size(cluster: KafkaCluster, node: int) -> int:
    """Bytes in a node's server.log so far (to look only at what comes after)."""
    try:
        return cluster.nodes[node].log_path.stat().st_size
    except OSError:
        return 0


def _logged_since(cluster: KafkaCluster, node: int, offset: int, *needles: str) -> bool:
    """Whether a node's server.log, past byte ``offset``, has a line with every needle."""
    try:
        with cluster.nodes[node].log_path.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
    except OSError:
        return False
    return any(all(n in line for n in needles) for line in text.splitlines())


def _segment_bytes(cluster: KafkaCluster, node: int, topic: str) -> int:
    """Size of the partition's log segments on a node's disk (grows with each append)."""
    folder = cluster.nodes[node].directory / "data" / f"{topic}-0"
    return sum(p.stat().st_size for p in folder.glob("*.log")) if folder.is_dir() else 0


def _wait(predicate: Any, timeout_s: float) -> bool:
    """Poll ``predicate()`` every 50 ms until true or the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def _serve(producer: Any, seconds: float) -> None:
    """Let the client work for ``seconds`` (serve librdkafka's callbacks meanwhile)."""
    if isinstance(producer, HistoryProducer):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            producer.poll(0.1)
    else:
        time.sleep(seconds)
