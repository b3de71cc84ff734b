"""Long randomised fault runs: ``kafkacheck conformance soak --seed N --rounds R``.

Two producers write to a 3-partition topic (RF=3) while a consumer group of two members
processes it with commits after processing.  Each round the nemesis, drawn from a seeded
generator, injects one fault or two overlapping ones (broker kill, pause, the leader cut
off from the quorum, a follower cut off from its leader, a minority controller, the
clients cut off from a broker, a controller kill, a group member killed so the group
rebalances), holds them a few seconds, heals everything and waits until every partition
has its full ISR again.  Every round is appended to ``rounds.jsonl`` as it ends, with the
concrete node ids and hold times: the seed fixes the draws, but a target such as "the
leader of partition 2" is resolved when the round starts, so ``--replay`` re-applies the
recorded targets instead.  At the end a
complete read closes the history, which is judged against the model's prediction for the
configuration and the union of the fault kinds injected.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cluster import SPLIT, ClusterError, KafkaCluster
from .conform import judge, observe
from .history import HistoryWriter, as_ops, merge_files, read_events, tp_key
from .partition_scenarios import isolate
from .predict import RunConfig, predict, together
from .scenarios import _full_isr, _suffix, run_config, spawn_consumer
from .workloads import ConsumerSettings, HistoryProducer, ProducerSettings, Pump, complete_read

#: Fault kinds of the soak with their weights, and the model fault (predict.FAULTS) each is.
#: What the soak's group sets out to observe: a member's poll must be in the history.
FOCUS = ("group:lost-write", "group:duplicate-delivery")
KINDS: dict[str, tuple[int, str]] = {
    "kill-broker": (3, "broker-kill"),
    "pause-broker": (2, "pause"),
    "isolate-leader": (3, "leader-isolated"),
    "cut-follower": (2, "follower-cut"),
    "isolate-controller": (2, "minority-controller"),
    "cut-clients": (1, "client-cut"),
    "kill-controller": (1, "controller-kill"),
    "kill-consumer": (2, "consumer-crash"),
}


@dataclass
class Fault:
    """One concrete fault of a round (targets are node ids or consumer names)."""

    kind: str
    targets: list[Any]
    role: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"kind": self.kind, "targets": list(self.targets), "role": self.role}


# The soak topic's replication factor: one replica on each of the cluster's 3 brokers
# (``--min-insync-replicas`` can be at most this).
REPLICATION = 3


@dataclass
class SoakConfig:
    """The soak's knobs (all recorded with the result)."""

    seed: int = 1
    rounds: int = 50
    acks: str = "all"
    min_insync_replicas: int = 2
    partitions: int = 3
    rate_per_s: float = 50.0
    producers: int = 2
    consumers: int = 2
    overlap_probability: float = 0.3
    hold_s: tuple[float, float] = (2.0, 5.0)
    recover_timeout_s: float = 120.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {**self.__dict__, "hold_s": list(self.hold_s)}


@dataclass
class Group:
    """The consumer group's member processes (one history file per incarnation)."""

    cluster: KafkaCluster
    topic: str
    group: str
    workdir: Path
    settings: ConsumerSettings
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    starts: int = 0

    def start(self, name: str) -> None:
        """Start (or restart) member ``name`` as a new process."""
        self.starts += 1
        path = self.workdir / f"{name}-{self.starts}.jsonl"
        self.files.append(path)
        self.procs[name] = spawn_consumer(
            self.cluster,
            self.topic,
            self.group,
            self.settings,
            path,
            f"{name}#{self.starts}",
            24 * 3600,
            self.workdir / f"{name}.log",
            stop_at_end=False,
        )

    def kill(self, name: str) -> None:
        """SIGKILL member ``name`` (no LeaveGroup, no commit)."""
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def alive(self) -> list[str]:
        """Names of the members whose process runs."""
        return [n for n, p in self.procs.items() if p.poll() is None]

    def stop(self) -> None:
        """SIGTERM every member, SIGKILL what lingers."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def draw_round(
    rng: random.Random, cluster: KafkaCluster, topic: str, cfg: SoakConfig, members: list[str]
) -> list[Fault]:
    """One or two faults for a round, with concrete targets chosen from the current state."""
    kinds = [k for k in KINDS if k != "kill-controller" or cluster.layout == SPLIT]
    weights = [KINDS[k][0] for k in kinds]
    count = 2 if rng.random() < cfg.overlap_probability else 1
    faults: list[Fault] = []
    used: set[int] = set()
    for _ in range(10 * count):
        if len(faults) == count:
            break
        kind = rng.choices(kinds, weights)[0]
        fault = _target(rng, cluster, topic, cfg, kind, used, members)
        if fault is not None:
            faults.append(fault)
            used.update(t for t in fault.targets if isinstance(t, int))
    return faults


def _target(
    rng: random.Random,
    cluster: KafkaCluster,
    topic: str,
    cfg: SoakConfig,
    kind: str,
    used: set[int],
    members: list[str],
) -> Fault | None:
    """Resolve a fault kind to concrete targets (None when nothing fits this round)."""
    brokers = [b for b in cluster.broker_ids if b not in used]
    p = rng.randrange(cfg.partitions)
    if kind in ("kill-broker", "pause-broker", "cut-clients"):
        return Fault(kind, [rng.choice(brokers)]) if brokers else None
    if kind in ("isolate-leader", "cut-follower"):
        try:
            state = cluster.partition_state(topic, p)
        except Exception:  # metadata unavailable: draw something else next round
            return None
        if state.leader in used or state.leader < 0:
            return None
        if kind == "isolate-leader":
            return Fault(kind, [state.leader], role=f"leader of {tp_key(topic, p)}")
        followers = [f for f in state.isr if f != state.leader and f not in used]
        if not followers:
            return None
        return Fault(kind, [state.leader, rng.choice(followers)], role=f"{tp_key(topic, p)}")
    if kind in ("isolate-controller", "kill-controller"):
        controllers = [c for c in cluster.controller_ids if c not in used]
        if not controllers:
            return None
        active = cluster.quorum_leader() if rng.random() < 0.5 else -1
        target = active if active in controllers else rng.choice(controllers)
        return Fault(kind, [target], role="active controller" if target == active else "")
    if kind == "kill-consumer":
        return Fault(kind, [rng.choice(members)]) if members else None
    raise ValueError(kind)


def apply(cluster: KafkaCluster, group: Group, fault: Fault) -> None:
    """Inject one fault."""
    net = cluster.network
    if fault.kind == "kill-broker" or fault.kind == "kill-controller":
        cluster.kill(fault.targets[0])
    elif fault.kind == "pause-broker":
        cluster.pause(fault.targets[0])
    elif fault.kind in ("isolate-leader", "isolate-controller"):
        isolate(cluster, fault.targets[0])
    elif fault.kind == "cut-follower":
        assert net is not None
        net.cut(cluster.endpoint(fault.targets[0]), cluster.endpoint(fault.targets[1]))
    elif fault.kind == "cut-clients":
        assert net is not None
        from .network import CLIENTS

        net.cut(CLIENTS, cluster.endpoint(fault.targets[0]))
    elif fault.kind == "kill-consumer":
        group.kill(fault.targets[0])
    else:
        raise ValueError(fault.kind)


def heal(cluster: KafkaCluster, group: Group, faults: Sequence[Fault], timeout_s: float) -> None:
    """Undo every fault: heal the network, restart or resume processes, restart members."""
    for fault in faults:
        if fault.kind == "kill-consumer":
            group.start(fault.targets[0])
    cluster.heal(timeout_s=timeout_s)


def run_soak(
    cluster: KafkaCluster,
    workdir: Path,
    cfg: SoakConfig,
    replay: list[tuple[list[Fault], float]] | None = None,
    log: Any = None,
) -> dict[str, Any]:
    """Run the soak on a started cluster (with network namespaces); returns the result."""
    if cluster.network is None:
        raise ClusterError("the soak injects network partitions: start the cluster with network")
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(cfg.seed)
    topic = f"soak-{_suffix()}"
    topic_conf = {
        "min.insync.replicas": str(cfg.min_insync_replicas),
        "unclean.leader.election.enable": "false",
    }
    cluster.create_topic(topic, cfg.partitions, REPLICATION, topic_conf)
    idempotent = cfg.acks in ("all", "-1")
    psettings = ProducerSettings(
        acks=cfg.acks, enable_idempotence=idempotent, delivery_timeout_ms=120000
    )
    main_h = workdir / "main.jsonl"
    rounds_path = workdir / "rounds.jsonl"
    for p in (main_h, rounds_path):
        p.unlink(missing_ok=True)
    members = [f"consumer-{i + 1}" for i in range(cfg.consumers)]
    group = Group(
        cluster,
        topic,
        f"g-soak-{_suffix()}",
        workdir,
        ConsumerSettings(strategy="after", process_ms=2, session_timeout_ms=6000),
    )
    round_log: list[dict[str, Any]] = []
    kinds_used: set[str] = set()
    overlapping_kills = False
    say = log or (lambda text: None)
    with HistoryWriter(main_h, process_prefix="main-") as hw:
        producers = [
            HistoryProducer(cluster.client_config(), psettings, hw, f"producer-{i + 1}")
            for i in range(cfg.producers)
        ]
        pumps = [
            Pump(p, topic, cfg.partitions, cfg.rate_per_s, prefix=f"p{i + 1}").start()
            for i, p in enumerate(producers)
        ]
        for name in members:
            group.start(name)
        try:
            time.sleep(3.0)
            plan: Iterator[tuple[list[Fault], float]] = iter(replay or ())
            for r in range(len(replay) if replay is not None else cfg.rounds):
                rt = time.monotonic()
                if replay is not None:
                    faults, hold = next(plan)
                else:
                    faults = draw_round(rng, cluster, topic, cfg, group.alive())
                    hold = rng.uniform(*cfg.hold_s)
                entry: dict[str, Any] = {
                    "round": r,
                    "faults": [f.to_json() for f in faults],
                    "hold_s": round(hold, 2),
                    "acked_before": sum(len(p.acked) for p in producers),
                }
                for fault in faults:
                    hw.note("nemesis", fault.kind, fault.targets, round=r, role=fault.role)
                    apply(cluster, group, fault)
                    kinds_used.add(KINDS[fault.kind][1])
                if overlap_fault([f.kind for f in faults]) is not None:
                    overlapping_kills = True
                time.sleep(hold)
                hw.note("nemesis", "heal", None, round=r)
                try:
                    heal(cluster, group, faults, cfg.recover_timeout_s)
                    _full_isr(cluster, topic, cfg.partitions, cfg.recover_timeout_s)
                    entry["recovered"] = True
                except ClusterError as exc:
                    entry["recovered"] = False
                    entry["error"] = str(exc)[:300]
                entry["seconds"] = round(time.monotonic() - rt, 2)
                entry["acked_after"] = sum(len(p.acked) for p in producers)
                round_log.append(entry)
                with rounds_path.open("a") as fh:
                    fh.write(json.dumps(entry) + "\n")
                say(
                    f"round {r}: {', '.join(_describe(f) for f in faults) or 'nothing to do'} "
                    f"({entry['seconds']:.0f}s, {entry['acked_after']} acked"
                    f"{'' if entry['recovered'] else ', NOT RECOVERED'})"
                )
                if not entry["recovered"]:
                    break
            time.sleep(2.0)
        except BaseException:
            group.stop()  # its consumers would run on for a day (spawned for 24 h)
            raise
        finally:
            for pump in pumps:
                pump.stop()
            cluster.heal(timeout_s=cfg.recover_timeout_s)
        unresolved = sum(p.close(90) for p in producers)
        _drain(group, cfg, timeout_s=60)
        group.stop()
        complete_read(
            cluster.client_config(),
            [(topic, p) for p in range(cfg.partitions)],
            hw,
            timeout_s=120,
        )
    hpath = workdir / "history.jsonl"
    merge_files([main_h, *group.files], hpath)
    faults = sorted(kinds_used | ({"broker-kill-overlapping"} if overlapping_kills else set()))
    config = run_config(
        cluster,
        acks=cfg.acks,
        min_insync_replicas=cfg.min_insync_replicas,
        idempotence=idempotent,
        partitions=cfg.partitions,
        commit="after",
    )
    return {
        "soak": cfg.to_json(),
        "config": config.to_json(),
        "faults": faults,
        "rounds": round_log,
        "history_path": str(hpath),
        "seconds": round(time.monotonic() - t0, 1),
        "sent": sum(p.sent for p in pumps),
        "pump_errors": [e for p in pumps for e in p.errors][:5],
        "unresolved_at_close": unresolved,
        "cluster": cluster.describe(),
    }


def overlap_fault(kinds: Sequence[str]) -> str | None:
    """The model fault that stands for a round's faults together (two broker kills, or a
    kill and a pause: ``broker-kill-overlapping``), or None: each of the round's faults is
    then predicted on its own, by the model runs of its kind (see :func:`split_rounds`)."""
    kills = sum(1 for k in kinds if k == "kill-broker")
    if kills > 1 or (kills and "pause-broker" in kinds):
        return "broker-kill-overlapping"
    return None


def split_rounds(rounds: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], int]:
    """How many recorded rounds had two or more faults that no model run has at once, per
    combination of kinds: no model fault stands for them together (:func:`overlap_fault`),
    and they are the same model fault twice or faults no one run bounds apart
    (:func:`~.predict.together`).  The prediction judges each such fault with the runs made
    for it, never with the others of its round."""
    out: dict[tuple[str, ...], int] = {}
    for r in rounds:
        kinds = [f["kind"] for f in r["faults"]]
        if len(kinds) < 2 or overlap_fault(kinds) is not None:
            continue
        faults = [KINDS[k][1] for k in kinds]
        if len(set(faults)) == len(faults) and together(faults):
            continue
        key = tuple(sorted(kinds))
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _describe(fault: Fault) -> str:
    """A short text for the round log line."""
    role = f" ({fault.role})" if fault.role else ""
    return f"{fault.kind} {'/'.join(str(t) for t in fault.targets)}{role}"


def _drain(group: Group, cfg: SoakConfig, timeout_s: float) -> None:
    """Give the group time to process what was written (its histories stop growing)."""
    deadline = time.monotonic() + timeout_s
    last = -1
    while time.monotonic() < deadline:
        size = sum(p.stat().st_size for p in group.files if p.exists())
        if size == last:
            return
        last = size
        time.sleep(3.0)


def stopped_early(run: dict[str, Any]) -> list[str]:
    """A problem when a round did not recover and the soak stopped before its planned rounds
    (what it observed is judged, but it is not the soak that was asked for)."""
    rounds = run["rounds"]
    planned = run.get("soak", {}).get("rounds")
    failed = next((r for r in rounds if not r.get("recovered", True)), None)
    if failed is None:
        return []
    done = f"{len(rounds)} of {planned}" if planned else f"{len(rounds)}"
    return [f"round {len(rounds)} did not recover ({failed.get('error', 'no reason recorded')}"
            f"): the soak stopped after {done} rounds"]


def _count(anomalies: list[Any] | None) -> int | None:
    """How many anomalies a view found, or None when the view did not apply."""
    return None if anomalies is None else len(anomalies)


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    """Judge a soak's history and add its figures (no cluster needed: run it after stopping).

    ``run`` is what :func:`run_soak` returned; the result keeps it and adds ``figures``,
    ``fault_counts`` and ``judgement``.
    """
    events = read_events(run["history_path"])
    config = RunConfig.from_json(run["config"])
    judgement = judge(events, predict(config, run["faults"]), FOCUS, stopped_early(run))
    found = observe(events)
    final = [o for o in as_ops(events) if o.f == "poll" and o.complete_read]
    read = sum(len(v) for v in final[-1].reads().values()) if final else 0
    sends = [e for e in events if e.get("f") == "send" and e.get("type") != "invoke"]
    round_log = run["rounds"]
    figures = {
        "rounds": len(round_log),
        "rounds_recovered": sum(1 for r in round_log if r.get("recovered")),
        "overlapping_rounds": sum(1 for r in round_log if len(r["faults"]) > 1),
        "sent": run.get("sent"),
        "acknowledged": sum(1 for e in sends if e["type"] == "ok"),
        "indefinite": sum(1 for e in sends if e["type"] == "info"),
        "unresolved_at_close": run.get("unresolved_at_close"),
        "read": read,
        "lost": len(found["lost-write"]),
        "duplicated": len(found["duplicate"]),
        "reordered": len(found["reordered"]),
        "inconsistent_offsets": len(found["inconsistent-offsets"]),
        # None: no member's poll was recorded, so the group view was never observed
        "group_never_processed": _count(found.get("group:lost-write")),
        "group_processed_twice": _count(found.get("group:duplicate-delivery")),
    }
    fault_counts: dict[str, int] = {}
    for r in round_log:
        for f in r["faults"]:
            fault_counts[f["kind"]] = fault_counts.get(f["kind"], 0) + 1
    return {**run, "fault_counts": fault_counts, "figures": figures,
            "judgement": judgement.to_json()}


MAX_REPLAY_HOLD_S = 600.0
"""The longest a replayed round may hold its faults (a soak's own rounds hold seconds)."""


def load_replay(path: Path) -> list[tuple[list[Fault], float]]:
    """The faults and hold time of each round from a soak result (JSON) or its rounds.jsonl."""
    from kafkacheck.config import read_text_file

    text = read_text_file(path, "soak result", 64 * 1024 * 1024)
    try:
        data = json.loads(text)
        rounds = data["rounds"] if isinstance(data, dict) else data
    except json.JSONDecodeError:
        rounds = [json.loads(line) for line in text.splitlines() if line.strip()]
    out = []
    for i, r in enumerate(rounds):
        where = f"round {i + 1} of {path}"
        if not isinstance(r, dict) or not isinstance(r.get("faults"), list):
            raise ValueError(f"{where}: not a round (an object with a list of faults)")
        faults = []
        for f in r["faults"]:
            if not isinstance(f, dict) or f.get("kind") not in KINDS:
                kind = f.get("kind") if isinstance(f, dict) else f
                raise ValueError(f"unknown fault kind {kind!r} in {path}")
            targets = f.get("targets")
            # node ids (positive ints) or consumer names, as a soak writes them
            if not isinstance(targets, list) or not targets or not all(
                    (isinstance(t, int) and not isinstance(t, bool) and t > 0)
                    or (isinstance(t, str) and t.strip()) for t in targets):
                raise ValueError(f"{where}: targets {targets!r} are not a list of node ids "
                                 "or consumer names")
            if not isinstance(f.get("role", ""), str):
                raise ValueError(f"{where}: role {f.get('role')!r} is not text")
            faults.append(Fault(f["kind"], list(targets), f.get("role", "")))
        hold = r.get("hold_s", 3.0)
        if isinstance(hold, bool) or not isinstance(hold, (int, float)) \
                or not 0 < hold <= MAX_REPLAY_HOLD_S:
            raise ValueError(f"{where}: hold_s {hold!r} is not a number of seconds in "
                             f"(0, {MAX_REPLAY_HOLD_S:g}]")
        out.append((faults, float(hold)))
    return out

