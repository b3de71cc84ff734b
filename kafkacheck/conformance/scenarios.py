"""Fault scenarios against a real cluster; each returns a :class:`ScenarioResult`."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cluster import ClusterError, KafkaCluster
from .conform import injection_problems
from .history import OK, HistoryWriter, merge_files, read_events, tp_key
from .predict import RunConfig
from .result import ScenarioResult, attempt_record, finish, may_retry
from .workloads import (
    ConsumerSettings,
    HistoryProducer,
    ProducerSettings,
    complete_read,
)

#: The faults (:data:`~.predict.FAULTS`) each scenario of this module injects: its
#: prediction's and the catalog's (the report names a fault a recorded run's prediction lacks).
ACKS1_FAULTS = ("broker-kill", "pause")
KILL_ROUNDS_FAULTS = ("broker-kill", "leader-move")
CONSUMER_CRASH_FAULTS = ("consumer-crash",)


def _suffix() -> str:
    """A short random suffix for topic and group names."""
    return uuid.uuid4().hex[:8]


def run_config(cluster: KafkaCluster, **settings: Any) -> RunConfig:
    """The predictions' view of a run: its settings plus the cluster's layout and ELR level."""
    elr = cluster.feature_levels.get("eligible.leader.replicas.version")
    return RunConfig(
        layout=cluster.layout, elr=None if elr is None else int(elr), **settings
    )


def _full_isr(cluster: KafkaCluster, topic: str, partitions: int, timeout_s: float) -> None:
    """Wait until every partition has a leader and all replicas in its ISR."""
    for p in range(partitions):
        cluster.wait_partition(
            topic,
            p,
            lambda s: s.leader >= 0 and len(s.isr) == len(s.replicas),
            timeout_s,
            "full ISR",
        )


# --------------------------------------------------------------------------
# (a) acks=1, leader killed before its followers fetched
# --------------------------------------------------------------------------


def acks1_leader_kill(
    cluster: KafkaCluster, workdir: Path, records: int = 20, settle_s: float = 0.5
) -> ScenarioResult:
    """acks=1: pause the followers, send, SIGKILL the leader, resume; acknowledged records vanish.

    Steps: (1) a 1-partition topic, RF=3, min.insync.replicas=1, unclean election off;
    (2) a few records with acks=all so every replica is in sync; (3) SIGSTOP both
    followers; (4) ``records`` sends with acks=1, all acknowledged by the lone
    leader; (5) SIGKILL the leader, SIGCONT the followers; (6) wait for a follower
    to lead (it is still in the ISR: with two of three controllers stopped the
    leader could not shrink the ISR), falling back to an unclean election only if
    none is elected; (7) more acks=all sends, restart the old leader, wait for a
    full ISR; (8) a complete read.

    ``settle_s``: wait this long after SIGSTOP before sending.  A follower's fetch
    that the leader received just before the pause is a long poll
    (``replica.fetch.wait.max.ms``); the leader answers it when the first acks=1
    batch arrives and the kernel buffers that answer in the stopped follower's
    socket, so with ``settle_s=0`` the first batch survives the failover.
    """
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    cluster.heal()
    topic = f"acks1-{_suffix()}"
    topic_conf = {"min.insync.replicas": "1", "unclean.leader.election.enable": "false"}
    cluster.create_topic(topic, 1, 3, topic_conf)
    key = tp_key(topic, 0)
    hpath = workdir / "history.jsonl"
    hpath.unlink(missing_ok=True)
    details: dict[str, Any] = {"topic": topic}
    strong = ProducerSettings(acks="all", enable_idempotence=False)
    weak = ProducerSettings(acks="1", enable_idempotence=False, delivery_timeout_ms=10000)
    with HistoryWriter(hpath) as hw:
        pre = HistoryProducer(cluster.client_config(), strong, hw, "producer-pre")
        for i in range(5):
            pre.send(topic, 0, f"pre-{i}")
        pre.close(15)
        before = cluster.wait_partition(topic, 0, lambda s: len(s.isr) == 3, 30, "full ISR")
        leader = before.leader
        followers = [n for n in before.replicas if n != leader]
        details["before"] = before.to_json()
        # connect to the leader while everyone is up, so pausing cannot stall metadata
        victim = HistoryProducer(
            cluster.client_config(**{"bootstrap.servers": cluster.bootstrap_of([leader])}),
            weak,
            hw,
            "producer-acks1",
        )
        victim.send(topic, 0, "warmup")
        victim.flush(10)
        for f in followers:
            cluster.pause(f)
            hw.note("nemesis", "pause", f)
        time.sleep(settle_s)  # let a pending long-poll fetch expire empty
        for i in range(records):
            victim.send(topic, 0, f"acks1-{i}")
        left = victim.flush(10)
        details["acks1_acknowledged"] = sum(1 for k, _, v in victim.acked if v.startswith("acks1-"))
        details["acks1_unresolved_after_flush"] = left
        cluster.kill(leader)
        hw.note("nemesis", "kill", leader)
        victim.close(0.5)
        for f in followers:
            cluster.resume(f)
            hw.note("nemesis", "resume", f)
        unclean_used = False
        t_fail = time.monotonic()
        try:
            after = cluster.wait_partition(
                topic, 0, lambda s: s.leader in followers, 30, "a follower elected leader"
            )
        except ClusterError:
            unclean_used = True
            hw.note("nemesis", "unclean-election", key)
            _enable_unclean(cluster, topic)
            after = cluster.wait_partition(
                topic, 0, lambda s: s.leader in followers, 30, "unclean election"
            )
        details["failover_seconds"] = round(time.monotonic() - t_fail, 2)
        details["after_failover"] = after.to_json()
        details["unclean_election_used"] = unclean_used
        post = HistoryProducer(cluster.client_config(), strong, hw, "producer-post")
        for i in range(5):
            post.send(topic, 0, f"post-{i}")
        post.close(15)
        cluster.restart(leader)
        hw.note("nemesis", "restart", leader)
        final = cluster.wait_partition(topic, 0, lambda s: len(s.isr) == 3, 60, "full ISR again")
        details["final"] = final.to_json()
        final_read = complete_read(cluster.client_config(), [(topic, 0)], hw, timeout_s=30)
    details["acks1_survivors"] = [
        v for _, v in final_read["value"].get(key, []) if str(v).startswith("acks1-")
    ]
    details["new_leader"] = after.leader
    return finish(
        "acks1-leader-kill",
        "acks=1: SIGSTOP both followers, send, SIGKILL the leader, SIGCONT the followers",
        ["lost-write", "inconsistent-offsets"],
        run_config(
            cluster,
            acks="1",
            min_insync_replicas=1,
            idempotence=False,
            unclean=unclean_used,
        ),
        list(ACKS1_FAULTS),
        hpath,
        {
            "topic": {"partitions": 1, "replication.factor": 3, **topic_conf},
            "producer_acks1": weak.to_json(),
            "producer_other": strong.to_json(),
            "faults": "SIGSTOP both followers, SIGKILL leader, SIGCONT followers",
            "settle_s": settle_s,
            "unclean_election_used": unclean_used,
        },
        t0,
        details=details,
    )


def _enable_unclean(cluster: KafkaCluster, topic: str) -> None:
    """Turn on unclean.leader.election.enable for a topic and trigger an unclean election."""
    from confluent_kafka import ElectionType, TopicPartition
    from confluent_kafka.admin import (
        AlterConfigOpType,
        ConfigEntry,
        ConfigResource,
        ResourceType,
    )

    admin = cluster.admin()
    res = ConfigResource(
        ResourceType.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry(
                "unclean.leader.election.enable",
                "true",
                incremental_operation=AlterConfigOpType.SET,
            )
        ],
    )
    for fut in admin.incremental_alter_configs([res]).values():
        fut.result(timeout=15)
    try:
        admin.elect_leaders(ElectionType.UNCLEAN, [TopicPartition(topic, 0)]).result(timeout=15)
    except Exception:  # the periodic unclean election may already have run
        pass


# --------------------------------------------------------------------------
# (b) acks=all, min.insync.replicas=2, RF=3, random single-node kills
# --------------------------------------------------------------------------


def acks_all_kill_rounds(
    cluster: KafkaCluster,
    workdir: Path,
    rounds: int = 8,
    partitions: int = 3,
    rate_per_s: float = 100.0,
    seed: int = 1,
    down_s: float = 2.0,
) -> ScenarioResult:
    """acks=all + idempotence: SIGKILL a random node and restart it, ``rounds`` times; no loss.

    A producer thread sends continuously; each round kills one node (leader or
    follower, chosen at random), keeps it down ``down_s`` seconds, restarts it,
    waits until every partition has its full ISR again and asks for a preferred-leader
    election (recorded as the nemesis action ``preferred-election``: the fault
    ``leader-move``).  A complete read follows.  The prediction is made with the faults of
    one round (one kill, one leader move), whatever ``rounds`` is.
    """
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    cluster.heal()
    rng = random.Random(seed)
    topic = f"acksall-{_suffix()}"
    topic_conf = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
    cluster.create_topic(topic, partitions, 3, topic_conf)
    settings = ProducerSettings(acks="all", enable_idempotence=True, delivery_timeout_ms=60000)
    hpath = workdir / "history.jsonl"
    hpath.unlink(missing_ok=True)
    round_log: list[dict[str, Any]] = []
    stop = threading.Event()
    with HistoryWriter(hpath) as hw:
        producer = HistoryProducer(cluster.client_config(), settings, hw, "producer")
        sent = [0]

        def pump() -> None:
            period = 1.0 / rate_per_s
            next_t = time.monotonic()
            while not stop.is_set():
                producer.send(topic, sent[0] % partitions, f"v-{sent[0]}")
                sent[0] += 1
                next_t += period
                producer.poll(max(0.0, next_t - time.monotonic()))

        th = threading.Thread(target=pump, name="acks-all-producer", daemon=True)
        th.start()
        try:
            time.sleep(1.0)
            for r in range(rounds):
                rt = time.monotonic()
                node = rng.choice(sorted(cluster.broker_ids))
                leaders = {p: cluster.partition_state(topic, p).leader for p in range(partitions)}
                hw.note("nemesis", "kill", node, round=r)
                cluster.kill(node)
                time.sleep(down_s)
                cluster.restart(node)
                hw.note("nemesis", "restart", node, round=r)
                cluster.wait_brokers([node], timeout_s=60)
                _full_isr(cluster, topic, partitions, 60)
                # move leadership back to preferred replicas so later kills hit leaders too:
                # a leadership move without a crash, the fault leader-move of the prediction
                hw.note("nemesis", "preferred-election", topic, round=r)
                _preferred_election(cluster, topic, partitions)
                after = {p: cluster.partition_state(topic, p).leader for p in range(partitions)}
                round_log.append(
                    {
                        "round": r,
                        "killed": node,
                        "was_leader_of": [p for p, ld in leaders.items() if ld == node],
                        "leaders_after_election": after,
                        "seconds": round(time.monotonic() - rt, 2),
                    }
                )
            time.sleep(1.0)
        finally:
            stop.set()
            th.join(timeout=10)
        unresolved = producer.close(60)
        complete_read(
            cluster.client_config(), [(topic, p) for p in range(partitions)], hw, timeout_s=60
        )
    return finish(
        "acks-all-kill-rounds",
        "acks=all, min.insync.replicas=2, RF=3, idempotent producer: SIGKILL a random broker "
        "and restart it, round after round",
        ["lost-write", "duplicate"],
        run_config(
            cluster, acks="all", min_insync_replicas=2, idempotence=True, partitions=partitions
        ),
        list(KILL_ROUNDS_FAULTS),
        hpath,
        {
            "topic": {"partitions": partitions, "replication.factor": 3, **topic_conf},
            "producer": settings.to_json(),
            "rate_per_s": rate_per_s,
            "down_s": down_s,
            "seed": seed,
            "faults": "SIGKILL one random broker per round, restart after down_s, then a "
            "preferred-leader election",
        },
        t0,
        rounds=len(round_log),
        details={
            "topic": topic,
            "rounds": round_log,
            "sent": sent[0],
            "unresolved_at_close": unresolved,
        },
    )


def _preferred_election(cluster: KafkaCluster, topic: str, partitions: int) -> None:
    """Ask the controller for a preferred-leader election (no-op if already preferred)."""
    from confluent_kafka import ElectionType, TopicPartition

    admin = cluster.admin()
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    try:
        admin.elect_leaders(ElectionType.PREFERRED, tps).result(timeout=15)
    except Exception:  # ELECTION_NOT_NEEDED and the like
        pass


# --------------------------------------------------------------------------
# (c)/(d) consumer crashes under a commit strategy
# --------------------------------------------------------------------------


def _python_env() -> dict[str, str]:
    """Environment for child Pythons: this interpreter's import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def spawn_consumer(
    cluster: KafkaCluster,
    topic: str,
    group: str,
    settings: ConsumerSettings,
    history_path: Path,
    process: str,
    max_seconds: float,
    log_path: Path,
    stop_at_end: bool = True,
) -> subprocess.Popen[bytes]:
    """Start a consumer group member in a child Python process."""
    cmd = [
        sys.executable,
        "-m",
        "kafkacheck.conformance.workloads",
        "consume",
        "--bootstrap",
        cluster.bootstrap_of(),
        "--topic",
        topic,
        "--group",
        group,
        "--strategy",
        settings.strategy,
        "--history",
        str(history_path),
        "--process",
        process,
        "--process-ms",
        str(settings.process_ms),
        "--auto-commit-interval-ms",
        str(settings.auto_commit_interval_ms),
        "--session-timeout-ms",
        str(settings.session_timeout_ms),
        "--max-seconds",
        str(max_seconds),
        *([] if stop_at_end else ["--no-stop-at-end"]),
    ]
    with log_path.open("ab") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_python_env()
        )


def _last_processed(history_path: Path) -> int:
    """Highest offset a consumer child reported as processed (-1 if none)."""
    if not history_path.exists():
        return -1
    best = -1
    for e in read_events(history_path):
        if e.get("f") == "poll" and e.get("type") == OK and isinstance(e.get("value"), dict):
            for pairs in e["value"].values():
                for off, _ in pairs:
                    best = max(best, int(off))
    return best


def _committed(reader: Any, topic: str) -> int:
    """The group's committed offset of partition 0 (-1 if none or unknown).

    Asked with a consumer of the group that never subscribes (an OffsetFetch only):
    librdkafka's AdminClient ListConsumerGroupOffsets crashed the process (SIGSEGV in
    rd_kafka_cgrp_op, confluent-kafka 2.16.1) when polled in a loop like this one.
    """
    from confluent_kafka import TopicPartition

    try:
        (tp,) = reader.committed([TopicPartition(topic, 0)], timeout=5)
    except Exception:  # coordinator moving, group not there yet: unknown
        return -1
    return tp.offset if tp.offset >= 0 else -1


def consumer_crash(
    cluster: KafkaCluster,
    workdir: Path,
    strategy: str,
    crash_when: Callable[[int, int], bool],
    records: int = 40,
    process_ms: int = 150,
    auto_commit_interval_ms: int = 1000,
    name: str = "consumer-crash",
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    """Produce ``records``, run a member until ``crash_when(committed, processed)``, SIGKILL it.

    A second member of the same group then consumes to the end.  ``processed`` is
    one past the highest processed offset; ``committed`` is the group's committed
    offset (the next record to read), -1 before any commit.  Returns the raw
    material for a :class:`ScenarioResult`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    cluster.heal()
    topic = f"{name}-{_suffix()}"
    group = f"g-{name}-{_suffix()}"
    cluster.create_topic(topic, 1, 3, {"min.insync.replicas": "2"})
    main_h = workdir / "main.jsonl"
    c1_h, c2_h = workdir / "consumer-1.jsonl", workdir / "consumer-2.jsonl"
    for p in (main_h, c1_h, c2_h):
        p.unlink(missing_ok=True)
    cs = ConsumerSettings(
        strategy=strategy, process_ms=process_ms, auto_commit_interval_ms=auto_commit_interval_ms
    )
    crash: dict[str, Any] = {}
    with HistoryWriter(main_h, process_prefix="main-") as hw:
        prod = HistoryProducer(
            cluster.client_config(), ProducerSettings(acks="all"), hw, "producer"
        )
        for i in range(records):
            prod.send(topic, 0, f"r-{i}")
        prod.close(30)
        c1 = spawn_consumer(
            cluster, topic, group, cs, c1_h, "consumer-1", timeout_s, workdir / "consumer-1.log"
        )
        from confluent_kafka import Consumer

        from .workloads import quiet

        reader = Consumer(quiet(cluster.client_config(**{"group.id": group,
                                                          "enable.auto.commit": False})))
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and c1.poll() is None:
                committed = _committed(reader, topic) if c1_h.exists() else -1
                processed = _last_processed(c1_h) + 1
                if crash_when(committed, processed):
                    os.kill(c1.pid, signal.SIGKILL)
                    c1.wait(timeout=10)
                    crash = {
                        "committed": committed,
                        "processed": processed,
                        "after_kill_processed": _last_processed(c1_h) + 1,
                    }
                    hw.note("nemesis", "kill-consumer", "consumer-1", **crash)
                    break
                time.sleep(0.02)
        finally:
            reader.close()
            if c1.poll() is None:
                c1.kill()
                c1.wait(timeout=10)
        c2 = spawn_consumer(
            cluster,
            topic,
            group,
            ConsumerSettings(strategy=strategy, process_ms=5),
            c2_h,
            "consumer-2",
            timeout_s,
            workdir / "consumer-2.log",
        )
        try:
            c2.wait(timeout=timeout_s + 15)
        except subprocess.TimeoutExpired:
            c2.kill()
            c2.wait(timeout=10)
        # a complete read: is every record still in the log? (the log view of the history)
        audit = complete_read(cluster.client_config(), [(topic, 0)], hw, "audit")
    hpath = workdir / "history.jsonl"
    merge_files([main_h, c1_h, c2_h], hpath)
    in_log = len(audit["value"].get(tp_key(topic, 0), []))
    return {
        "history": hpath,
        "crash": crash,
        "topic": topic,
        "group": group,
        "records_in_log": in_log,
        "consumer_settings": cs.to_json(group),
        "consumer2_rc": c2.returncode,
    }


def _consumer_result(
    cluster: KafkaCluster,
    name: str,
    description: str,
    focus: str,
    strategy: str,
    fault_text: str,
    run: Callable[[Path], dict[str, Any]],
    workdir: Path,
    records: int,
    attempts: int,
) -> ScenarioResult:
    """Run a racy consumer crash up to ``attempts`` times until ``focus`` is observed.

    An attempt is run again only when it shows nothing against the model
    (:func:`~.result.may_retry`: the kill did not happen, or the race did not show the focus);
    any other attempt, a FAIL above all, ends the loop and is the result.  Every attempt's
    judgement is kept in ``details["attempts"]``.
    """
    t0 = time.monotonic()
    result: ScenarioResult | None = None
    # the kill never happened: the attempt says nothing, another one may
    not_killed = injection_problems((), CONSUMER_CRASH_FAULTS)
    tried: list[dict[str, Any]] = []
    for i in range(1, attempts + 1):
        raw = run(workdir / f"attempt-{i}")
        result = finish(
            name,
            description,
            [focus],
            run_config(cluster, acks="all", idempotence=False, commit=strategy),
            list(CONSUMER_CRASH_FAULTS),
            raw["history"],
            {
                "consumer": raw["consumer_settings"],
                "records": records,
                "faults": fault_text,
            },
            t0,
            rounds=i,
            details={k: raw[k] for k in ("crash", "topic", "group", "records_in_log")},
        )
        tried.append(attempt_record(i, result))
        if result.observed(focus) or not may_retry(result, not_killed):
            break
    assert result is not None
    result.details["attempts"] = tried
    return result


def commit_before_processing_crash(
    cluster: KafkaCluster, workdir: Path, records: int = 40, attempts: int = 2
) -> ScenarioResult:
    """Commit before processing, crash while processing: a record is never processed."""
    return _consumer_result(
        cluster,
        "commit-before-processing-crash",
        "commitSync right after poll(), then SIGKILL of the member while it processes",
        "group:lost-write",
        "before",
        "SIGKILL the consumer process once committed > processed",
        lambda wd: consumer_crash(
            cluster,
            wd,
            "before",
            # committed offset already past a record that is not yet processed
            lambda committed, processed: processed >= 3 and committed > processed,
            records=records,
            name="commit-before",
        ),
        workdir,
        records,
        attempts,
    )


def auto_commit_crash(
    cluster: KafkaCluster, workdir: Path, records: int = 40, attempts: int = 2
) -> ScenarioResult:
    """enable.auto.commit=true, crash between auto-commits: records are processed twice.

    Offsets are stored only after processing (the Java client's behaviour); the
    consumer is killed once at least 3 processed records lie past the last
    auto-commit.
    """
    return _consumer_result(
        cluster,
        "auto-commit-crash",
        "auto-commit with offsets stored after processing (the Java client's auto-commit), "
        "SIGKILL of the member between two auto-commits",
        "group:duplicate-delivery",
        "auto",
        "SIGKILL the consumer process >= 3 records after an auto-commit",
        lambda wd: consumer_crash(
            cluster,
            wd,
            "auto",
            lambda committed, processed: committed >= 1 and processed >= committed + 3,
            records=records,
            process_ms=100,
            auto_commit_interval_ms=1000,
            name="auto-commit",
        ),
        workdir,
        records,
        attempts,
    )


def auto_commit_store_on_return_crash(
    cluster: KafkaCluster, workdir: Path, records: int = 40, attempts: int = 2
) -> ScenarioResult:
    """librdkafka's default auto-commit (offset stored on return) can lose an in-flight record.

    With ``enable.auto.offset.store=true`` the offset of a record is stored when
    ``poll()`` hands it over and the background timer may commit it while it is
    still being processed; a crash then loses it.  The Java client's auto-commit
    (committing inside the next ``poll()``) cannot do this for synchronous
    processing.
    """
    return _consumer_result(
        cluster,
        "auto-commit-store-on-return-crash",
        "librdkafka's default auto-commit (offset stored when poll() returns the record), "
        "SIGKILL of the member while it processes",
        "group:lost-write",
        "auto-store-on-return",
        "SIGKILL the consumer process once committed > processed",
        lambda wd: consumer_crash(
            cluster,
            wd,
            "auto-store-on-return",
            lambda committed, processed: processed >= 3 and committed > processed,
            records=records,
            process_ms=100,
            auto_commit_interval_ms=300,
            name="auto-store",
        ),
        workdir,
        records,
        attempts,
    )
