"""A throwaway KRaft Kafka cluster with process and network fault injection.

Two layouts (``roles``): ``combined`` runs 3 nodes that are each broker and controller
(``process.roles=broker,controller``); ``split`` runs 3 controllers
(``process.roles=controller``, ids 101..103) and 3 brokers (``process.roles=broker``,
ids 1..3) as separate JVMs, as in production, so a broker fault is not a controller
fault.  The quorum is static (``controller.quorum.voters``), storage is formatted by
``kafka.tools.StorageTool format --cluster-id`` (``--feature`` pins feature levels such
as ``eligible.leader.replicas.version``).  Nodes listen on 127.0.0.1, or, with
``network=True``, each in its own network namespace (:mod:`.network`) so that links
can be cut.  Processes are tracked by PID:
the context manager and an ``atexit`` hook stop them (SIGTERM, then SIGKILL),
and with ``die_with_parent`` Linux SIGKILLs them if the Python thread that
started them dies (``PR_SET_PDEATHSIG``), so start and restart nodes from a
long-lived thread such as the main one.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .distribution import Distribution
from .network import NetnsNetwork

RUNNING = "running"
PAUSED = "paused"
DEAD = "dead"

#: Broker settings shared by every node; chosen for a small, fast-failing test cluster.
BASE_SETTINGS: dict[str, str] = {
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "auto.create.topics.enable": "false",
    "auto.leader.rebalance.enable": "false",
    "num.partitions": "1",
    "default.replication.factor": "3",
    "min.insync.replicas": "1",
    "unclean.leader.election.enable": "false",
    # internal setting: how often the controller retries unclean elections (default 5 min)
    "unclean.leader.election.interval.ms": "1000",
    "offsets.topic.replication.factor": "3",
    "offsets.topic.num.partitions": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "transaction.state.log.num.partitions": "3",
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
    "replica.lag.time.max.ms": "4000",
    "replica.fetch.wait.max.ms": "100",
    "replica.fetch.backoff.ms": "200",
    "replica.socket.timeout.ms": "3000",
    "controller.quorum.election.timeout.ms": "1000",
    "controller.quorum.fetch.timeout.ms": "2000",
    "controller.quorum.election.backoff.max.ms": "500",
    "controller.quorum.request.timeout.ms": "1500",
    "broker.heartbeat.interval.ms": "500",
    "broker.session.timeout.ms": "3000",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "num.replica.fetchers": "1",
    "background.threads": "2",
    "log.cleaner.threads": "1",
    "log.cleaner.dedupe.buffer.size": "4194304",
    "share.coordinator.state.topic.replication.factor": "3",
    "share.coordinator.state.topic.min.isr": "2",
}

JVM_OPTS: tuple[str, ...] = (
    "-Xms128m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
    "-Djava.net.preferIPv4Stack=true",
)

LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p [%t] %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
"""


#: librdkafka's own log lines (connection refused and the like) go here, not to stderr.
RDKAFKA_LOGGER = logging.getLogger("kafkacheck.conformance.rdkafka")
RDKAFKA_LOGGER.addHandler(logging.NullHandler())


class ClusterError(RuntimeError):
    """Raised when the cluster does not reach the expected state in time."""


@dataclass(frozen=True)
class PartitionState:
    """Leader and replica sets of one partition, as metadata reported them."""

    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"leader": self.leader, "replicas": list(self.replicas), "isr": list(self.isr)}


COMBINED = "combined"
SPLIT = "split"
LAYOUTS = (COMBINED, SPLIT)
#: Node ids of dedicated controllers in the split layout (brokers are 1, 2, 3, ...).
CONTROLLER_ID_BASE = 100
BROKER_PORT = 9092
CONTROLLER_PORT = 9093


@dataclass
class Node:
    """One Kafka process: a broker, a controller, or both."""

    node_id: int
    broker_port: int
    controller_port: int
    directory: Path
    roles: tuple[str, ...] = ("broker", "controller")
    host: str = "127.0.0.1"
    endpoint: str = ""
    proc: subprocess.Popen[bytes] | None = None
    state: str = DEAD
    starts: int = 0
    history: list[tuple[float, str]] = field(default_factory=list)
    #: size of server.log when the current process started (its own lines come after)
    log_mark: int = 0

    def started(self) -> bool:
        """Whether the current process logged that it finished starting."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self.log_mark)
                return b"Kafka Server started" in fh.read()
        except OSError:
            return False

    @property
    def pid(self) -> int | None:
        """PID of the current process, if any."""
        return self.proc.pid if self.proc is not None else None

    @property
    def is_broker(self) -> bool:
        """Whether this process serves clients and hosts replicas."""
        return "broker" in self.roles

    @property
    def is_controller(self) -> bool:
        """Whether this process is a KRaft voter."""
        return "controller" in self.roles

    @property
    def config_path(self) -> Path:
        """server.properties of this node."""
        return self.directory / "server.properties"

    @property
    def log_path(self) -> Path:
        """The broker's log4j log."""
        return self.directory / "server.log"


_LIVE: set[KafkaCluster] = set()
_LIVE_LOCK = threading.Lock()


def _stop_all_at_exit() -> None:
    """atexit safety net: stop every cluster this interpreter started."""
    with _LIVE_LOCK:
        clusters = list(_LIVE)
    for c in clusters:
        with contextlib.suppress(Exception):
            c.stop()


atexit.register(_stop_all_at_exit)


def _pdeathsig() -> None:
    """In the child: ask Linux to SIGKILL us when the parent thread dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports on 127.0.0.1 that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def random_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in unpadded URL-safe base64, not starting with '-'.

    Like Kafka's ``Uuid.randomUuid``, ids that start with '-' are drawn again: the storage
    tool's argument parser would read one as an option.
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _kill_pid(pid: int, grace_s: float) -> None:
    """SIGTERM a process, then SIGKILL it after ``grace_s`` seconds if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGCONT)
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a live (non-zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False


class KafkaCluster:
    """Start, break and stop a small KRaft cluster; use as a context manager."""

    def __init__(
        self,
        dist: Distribution,
        nodes: int = 3,
        base_dir: Path | str | None = None,
        overrides: dict[str, str] | None = None,
        jvm_opts: tuple[str, ...] = JVM_OPTS,
        die_with_parent: bool = True,
        keep_dir: bool = False,
        roles: str = COMBINED,
        controllers: int = 3,
        network: bool = False,
        features: dict[str, int] | None = None,
        controller_jvm_opts: tuple[str, ...] | None = None,
    ) -> None:
        """Prepare (but do not start) ``nodes`` brokers (and ``controllers`` in ``split``)."""
        if shutil.which("java") is None:
            raise ClusterError("java is not on PATH")
        if roles not in LAYOUTS:
            raise ClusterError(f"roles must be one of {LAYOUTS}, not {roles!r}")
        self.dist = dist
        self.layout = roles
        self.settings = {**BASE_SETTINGS, **(overrides or {})}
        self.jvm_opts = jvm_opts
        self.controller_jvm_opts = controller_jvm_opts or jvm_opts
        self.die_with_parent = die_with_parent
        self.keep_dir = keep_dir
        self.features = dict(features or {})
        self.base_dir = Path(base_dir) if base_dir else Path(tempfile.mkdtemp(prefix="kafkacheck-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.cluster_id = random_cluster_id()
        layout: list[tuple[int, tuple[str, ...]]]
        if roles == COMBINED:
            layout = [(i + 1, ("broker", "controller")) for i in range(nodes)]
        else:
            layout = [(i + 1, ("broker",)) for i in range(nodes)]
            layout += [(CONTROLLER_ID_BASE + i + 1, ("controller",)) for i in range(controllers)]
        self.network: NetnsNetwork | None = None
        if network:
            self.network = NetnsNetwork(tuple(f"k{nid}" for nid, _ in layout))
            ports = [BROKER_PORT, CONTROLLER_PORT] * len(layout)
        else:
            ports = free_ports(2 * len(layout))
        self.nodes: dict[int, Node] = {}
        for i, (nid, node_roles) in enumerate(layout):
            self.nodes[nid] = Node(
                nid,
                ports[2 * i],
                ports[2 * i + 1],
                self.base_dir / f"node{nid}",
                roles=node_roles,
                endpoint=f"k{nid}",
            )
        self.started_at: float | None = None
        self.start_seconds: float | None = None
        self.events: list[dict[str, Any]] = []
        self.feature_levels: dict[str, str] = {}
        self._lock = threading.RLock()

    @property
    def broker_ids(self) -> list[int]:
        """Ids of the processes that are brokers."""
        return [n.node_id for n in self.nodes.values() if n.is_broker]

    @property
    def controller_ids(self) -> list[int]:
        """Ids of the KRaft voters."""
        return [n.node_id for n in self.nodes.values() if n.is_controller]

    def endpoint(self, node_id: int) -> str:
        """The network endpoint name of a node (for :class:`~.network.NetnsNetwork` cuts)."""
        return self.nodes[node_id].endpoint

    # -- configuration ------------------------------------------------------

    @property
    def bootstrap(self) -> str:
        """bootstrap.servers for clients (every broker)."""
        return self.bootstrap_of(self.broker_ids)

    def bootstrap_of(self, node_ids: list[int] | None = None) -> str:
        """bootstrap.servers restricted to some brokers (default: the running ones)."""
        ids = node_ids if node_ids is not None else self.running_ids()
        nodes = [self.nodes[i] for i in ids if self.nodes[i].is_broker]
        return ",".join(f"{n.host}:{n.broker_port}" for n in nodes)

    def voters(self) -> str:
        """controller.quorum.voters: a static quorum of the controllers."""
        voters = [n for n in self.nodes.values() if n.is_controller]
        return ",".join(f"{n.node_id}@{n.host}:{n.controller_port}" for n in voters)

    def node_properties(self, node: Node) -> dict[str, str]:
        """The full server.properties of one node."""
        props = dict(self.settings)
        listeners = []
        if node.is_broker:
            listeners.append(f"PLAINTEXT://{node.host}:{node.broker_port}")
        if node.is_controller:
            listeners.append(f"CONTROLLER://{node.host}:{node.controller_port}")
        props.update(
            {
                "process.roles": ",".join(node.roles),
                "node.id": str(node.node_id),
                "controller.quorum.voters": self.voters(),
                "listeners": ",".join(listeners),
                "log.dirs": str(node.directory / "data"),
            }
        )
        if node.is_broker:
            props["advertised.listeners"] = f"PLAINTEXT://{node.host}:{node.broker_port}"
        return props

    def _write_configs(self) -> None:
        """Write server.properties and log4j2.properties for every node."""
        for node in self.nodes.values():
            node.directory.mkdir(parents=True, exist_ok=True)
            lines = [f"{k}={v}" for k, v in sorted(self.node_properties(node).items())]
            node.config_path.write_text("\n".join(lines) + "\n")
            (node.directory / "log4j2.properties").write_text(LOG4J2.format(log=node.log_path))

    def _java(self, main: str, *args: str, node: Node | None = None) -> list[str]:
        """A java command line on the distribution's classpath."""
        heap = self.jvm_opts if node is None or node.is_broker else self.controller_jvm_opts
        cmd = ["java", *heap]
        if node is not None:
            cmd.append(f"-Dlog4j2.configurationFile={node.directory / 'log4j2.properties'}")
            cmd.append(f"-Dkafka.logs.dir={node.directory}")
        cmd += ["-cp", self.dist.classpath, main, *args]
        return cmd

    def format_storage(self, timeout_s: float = 120.0) -> None:
        """Format every node's log dir with the cluster id (StorageTool, in parallel)."""
        procs = []
        for node in self.nodes.values():
            cmd = self._java(
                "kafka.tools.StorageTool",
                "format",
                "--config",
                str(node.config_path),
                "--cluster-id",
                self.cluster_id,
                "--ignore-formatted",
                *[a for k, v in sorted(self.features.items()) for a in ("--feature", f"{k}={v}")],
                node=node,
            )
            out = (node.directory / "format.log").open("wb")
            procs.append((node, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT), out))
        deadline = time.monotonic() + timeout_s
        for node, proc, out in procs:
            try:
                rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                raise ClusterError(f"formatting node {node.node_id} timed out") from exc
            finally:
                out.close()
            if rc != 0:
                text = (node.directory / "format.log").read_text()[-1500:]
                raise ClusterError(f"formatting node {node.node_id} failed:\n{text}")

    # -- lifecycle ----------------------------------------------------------

    def start(self, timeout_s: float = 120.0) -> KafkaCluster:
        """Format storage, launch every node and wait until all brokers are registered."""
        t0 = time.monotonic()
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            if self.network is not None:
                self.network.create()
                for node in self.nodes.values():
                    node.host = self.network.address(node.endpoint)
            self._write_configs()
            self.format_storage(timeout_s)
            for nid in self.nodes:
                self.start_node(nid)
            self.wait_brokers(
                self.broker_ids, timeout_s=max(5.0, timeout_s - (time.monotonic() - t0))
            )
            self.feature_levels = self.describe_features()
        except BaseException:
            self.stop()
            raise
        self.started_at = time.time()
        self.start_seconds = time.monotonic() - t0
        self._save_pids()
        return self

    def start_node(self, node_id: int) -> None:
        """Launch one node's JVM (it must not be running)."""
        with self._lock:
            node = self.nodes[node_id]
            if node.proc is not None and node.proc.poll() is None:
                raise ClusterError(f"node {node_id} is already running")
            out = (node.directory / "stdout.log").open("ab")
            try:
                node.log_mark = node.log_path.stat().st_size
            except OSError:
                node.log_mark = 0
            prefix = self.network.exec_prefix(node.endpoint) if self.network else []
            node.proc = subprocess.Popen(
                [*prefix, *self._java("kafka.Kafka", str(node.config_path), node=node)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_pdeathsig if self.die_with_parent else None,
            )
            out.close()
            node.state = RUNNING
            node.starts += 1
            self._event("start", node_id)
            self._save_pids()

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop every process this cluster started: SIGTERM, then SIGKILL after ``grace_s``."""
        with self._lock:
            procs = [n.proc for n in self.nodes.values() if n.proc is not None]
            for p in procs:
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(p.pid, signal.SIGCONT)
                        p.terminate()
            deadline = time.monotonic() + grace_s
            for p in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=max(0.0, deadline - time.monotonic()))
            for p in procs:
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        p.kill()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        p.wait(timeout=10)
            for n in self.nodes.values():
                n.state = DEAD
        if self.network is not None:
            self.network.destroy()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        with contextlib.suppress(FileNotFoundError):
            (self.base_dir / "pids.json").unlink()
        if not self.keep_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def detach(self) -> None:
        """Forget this cluster so the atexit hook leaves its processes running (for ``up``)."""
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> KafkaCluster:
        """Start on entry."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop every process on exit, also on errors and KeyboardInterrupt."""
        self.stop(grace_s=2.0)

    def _save_pids(self) -> None:
        """Write pids.json so ``down`` can find the processes of a detached cluster."""
        data = {
            "cluster_id": self.cluster_id,
            "bootstrap": self.bootstrap,
            "pids": {str(n.node_id): n.pid for n in self.nodes.values() if n.pid},
        }
        with contextlib.suppress(OSError):
            (self.base_dir / "pids.json").write_text(json.dumps(data, indent=1))

    def _event(self, action: str, node_id: int) -> None:
        """Record a lifecycle or fault event."""
        self.events.append({"time": time.time(), "action": action, "node": node_id})
        if node_id in self.nodes:
            self.nodes[node_id].history.append((time.time(), action))

    # -- faults ---------------------------------------------------------------

    def kill(self, node_id: int) -> None:
        """SIGKILL one node (no controlled shutdown, no flush)."""
        with self._lock:
            node = self.nodes[node_id]
            if node.proc is None:
                return
            with contextlib.suppress(ProcessLookupError):
                node.proc.kill()
            node.proc.wait(timeout=30)
            node.state = DEAD
            self._event("kill", node_id)

    def restart(self, node_id: int) -> None:
        """Start a dead node again on its existing data."""
        with self._lock:
            node = self.nodes[node_id]
            if node.proc is not None and node.proc.poll() is None:
                self.kill(node_id)
            self.start_node(node_id)

    def pause(self, node_id: int) -> None:
        """SIGSTOP one node: it keeps its sockets but stops answering."""
        with self._lock:
            node = self.nodes[node_id]
            if node.proc is not None and node.proc.poll() is None:
                os.kill(node.proc.pid, signal.SIGSTOP)
                node.state = PAUSED
                self._event("pause", node_id)

    def resume(self, node_id: int) -> None:
        """SIGCONT a paused node."""
        with self._lock:
            node = self.nodes[node_id]
            if node.proc is not None and node.proc.poll() is None:
                os.kill(node.proc.pid, signal.SIGCONT)
                node.state = RUNNING
                self._event("resume", node_id)

    def running_ids(self) -> list[int]:
        """Ids of nodes whose process runs and is not paused."""
        out = []
        for n in self.nodes.values():
            if n.proc is not None and n.proc.poll() is None and n.state == RUNNING:
                out.append(n.node_id)
        return out

    def heal(self, timeout_s: float = 60.0) -> None:
        """Remove every cut, resume paused nodes, restart dead ones, wait for every broker.

        A restarted node counts only once it logged that it started: until the controller
        fences it, a killed broker still looks registered in the metadata.
        """
        if self.network is not None and self.network.links:
            self.network.heal_all()
            self._event("heal-network", 0)
        restarted = []
        for nid, node in self.nodes.items():
            if node.state == PAUSED:
                self.resume(nid)
            elif node.proc is None or node.proc.poll() is not None:
                self.start_node(nid)
                restarted.append(nid)
        deadline = time.monotonic() + timeout_s
        self._wait(lambda: all(self.nodes[n].started() for n in restarted), timeout_s,
                   f"nodes {restarted} started")
        self.wait_brokers(self.broker_ids, timeout_s=max(5.0, deadline - time.monotonic()))

    # -- observation ----------------------------------------------------------

    def client_config(self, **extra: Any) -> dict[str, Any]:
        """Base librdkafka settings for clients of this cluster."""
        conf: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_of(),
            "broker.address.family": "v4",
            "socket.timeout.ms": 3000,
            "reconnect.backoff.max.ms": 500,
            "topic.metadata.refresh.interval.ms": 1000,
            "logger": RDKAFKA_LOGGER,
        }
        conf.update(extra)
        return conf

    def admin(self) -> Any:
        """A confluent-kafka AdminClient bootstrapped from the running nodes."""
        from confluent_kafka.admin import AdminClient

        return AdminClient(self.client_config())

    def registered_brokers(self, timeout_s: float = 3.0) -> set[int]:
        """Broker ids present in cluster metadata (unfenced brokers)."""
        md = self.admin().list_topics(timeout=timeout_s)
        return set(md.brokers)

    def wait_brokers(self, node_ids: list[int], timeout_s: float = 60.0) -> None:
        """Wait until every given broker is registered, or raise ClusterError."""
        want = set(node_ids)
        self._wait(
            lambda: want <= self.registered_brokers(),
            timeout_s,
            f"brokers {sorted(want)} registered",
        )

    def partition_state(self, topic: str, partition: int, timeout_s: float = 3.0) -> PartitionState:
        """Leader, replicas and ISR of one partition from the metadata of a running node."""
        md = self.admin().list_topics(topic=topic, timeout=timeout_s)
        t = md.topics.get(topic)
        if t is None or t.error is not None or partition not in t.partitions:
            raise ClusterError(f"no metadata for {topic}/{partition}: {t and t.error}")
        p = t.partitions[partition]
        return PartitionState(topic, partition, p.leader, tuple(p.replicas), tuple(p.isrs))

    def wait_partition(
        self,
        topic: str,
        partition: int,
        predicate: Callable[[PartitionState], bool],
        timeout_s: float,
        what: str,
    ) -> PartitionState:
        """Poll partition metadata until ``predicate`` holds; returns the last state."""
        box: dict[str, PartitionState] = {}

        def probe() -> bool:
            st = self.partition_state(topic, partition)
            box["s"] = st
            return predicate(st)

        self._wait(probe, timeout_s, f"{topic}/{partition}: {what}")
        return box["s"]

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication: int = 3,
        config: dict[str, str] | None = None,
        timeout_s: float = 30.0,
        assignment: list[list[int]] | None = None,
    ) -> None:
        """Create a topic and wait until every partition has a leader and a full ISR.

        ``assignment`` places the replicas (one broker list per partition, preferred
        leader first) instead of ``partitions`` and ``replication``.
        """
        from confluent_kafka.admin import NewTopic

        if assignment is not None:
            partitions, replication = len(assignment), len(assignment[0])
            topic = NewTopic(name, partitions, replica_assignment=assignment, config=config or {})
        else:
            topic = NewTopic(name, partitions, replication, config=config or {})
        admin = self.admin()  # keep the handle alive until the future resolves
        fut = admin.create_topics([topic], request_timeout=timeout_s)
        fut[name].result(timeout=timeout_s)
        del admin
        for p in range(partitions):
            self.wait_partition(
                name,
                p,
                lambda s: s.leader >= 0 and len(s.isr) == replication,
                timeout_s,
                "leader and full ISR",
            )

    def _wait(self, probe: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Retry ``probe`` (exceptions count as false) until true or the deadline."""
        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while True:
            try:
                if probe():
                    return
            except Exception as exc:  # any client error means "not yet"
                last = exc
            if time.monotonic() >= deadline:
                dead = [n.node_id for n in self.nodes.values() if n.proc and n.proc.poll()]
                raise ClusterError(
                    f"timed out after {timeout_s:.0f}s waiting for {what}"
                    f" (last error: {last}; exited nodes: {dead}; logs in {self.base_dir})"
                )
            time.sleep(0.25)

    def bootstrap_features(self) -> dict[str, int]:
        """Feature levels the storage tool wrote at format time (e.g. ELR), from node 1's log."""
        node = next(iter(self.nodes.values()))
        try:
            text = (node.directory / "format.log").read_text()
        except OSError:
            return {}
        found = re.findall(r"FeatureLevelRecord\(name='([\w.]+)', featureLevel=(\d+)\)", text)
        return {name: int(level) for name, level in found}

    def describe_features(self, timeout_s: float = 60.0) -> dict[str, str]:
        """Finalized feature levels the running cluster reports (``kafka-features describe``)."""
        cmd = self._java(
            "org.apache.kafka.tools.FeatureCommand",
            "--bootstrap-server",
            self.bootstrap_of(),
            "describe",
        )
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise ClusterError("kafka-features describe timed out") from exc
        found = parse_feature_describe(proc.stdout)
        if proc.returncode != 0 or not found:
            raise ClusterError(f"kafka-features describe failed: {proc.stderr[-800:]}")
        return found

    def quorum_leader(self, timeout_s: float = 60.0) -> int:
        """The active controller's id (``kafka-metadata-quorum describe --status``), -1 if none."""
        cmd = self._java(
            "org.apache.kafka.tools.MetadataQuorumCommand",
            "--bootstrap-server",
            self.bootstrap_of(),
            "describe",
            "--status",
        )
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return -1
        found = re.search(r"LeaderId:\s*(-?\d+)", proc.stdout)
        return int(found.group(1)) if found else -1

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description of the cluster and its settings."""
        return {
            "cluster_id": self.cluster_id,
            "directory": str(self.base_dir),
            "kafka_version": self.dist.version,
            "layout": self.layout,
            "bootstrap": self.bootstrap,
            "nodes": {
                n.node_id: {
                    "roles": list(n.roles),
                    "host": n.host,
                    "broker_port": n.broker_port,
                    "controller_port": n.controller_port,
                    "pid": n.pid,
                    "state": n.state,
                }
                for n in self.nodes.values()
            },
            "network": self.network.describe() if self.network else None,
            "settings": dict(self.settings),
            "requested_features": dict(self.features),
            "feature_levels": dict(self.feature_levels),
            "bootstrap_features": self.bootstrap_features(),
            "jvm_opts": list(self.jvm_opts),
            "start_seconds": self.start_seconds,
        }


def parse_feature_describe(text: str) -> dict[str, str]:
    """Feature name -> finalized level (``1``, ``4.4-IV2``) from ``kafka-features describe``."""
    found = re.findall(r"Feature:\s*([\w.]+)\s.*?FinalizedVersionLevel:\s*(\S+)", text)
    return dict(found)


def stop_detached(base_dir: Path | str, grace_s: float = 5.0) -> list[int]:
    """Stop a cluster started by another process from its pids.json; returns the PIDs signalled."""
    path = Path(base_dir) / "pids.json"
    data = json.loads(path.read_text())
    stopped = []
    for pid in data.get("pids", {}).values():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except FileNotFoundError:
            continue
        if str(base_dir) in cmdline and "kafka.Kafka" in cmdline:
            _kill_pid(int(pid), grace_s)
            stopped.append(int(pid))
    path.unlink(missing_ok=True)
    return stopped


@contextlib.contextmanager
def running_cluster(dist: Distribution, **kwargs: Any) -> Iterator[KafkaCluster]:
    """Context manager: a started cluster that is stopped whatever happens."""
    cluster = KafkaCluster(dist, **kwargs)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
