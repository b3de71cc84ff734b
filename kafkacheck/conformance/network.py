"""Network partitions on one machine: a network namespace per Kafka process, cut with nftables.

Layout (all inside this machine, on one private /24 the harness picks and owns)::

    root namespace (clients)        switch namespace kc<N>sw        node namespaces kc<N>n<i>
    kc<N>h 10.213.N.1/24  ------->  host ┐                             eth0 10.213.N.(10+i)/24
                                       ├─ br0 (bridge) ── n<i> ───── (one veth pair per node)

The bridge lives in its own namespace so the host's firewall never sees the traffic.
Clients (this Python process and the consumer children it starts) stay in the root
namespace and reach the nodes through ``kc<N>h``.  A *cut* between two endpoints drops
their packets in both directions (or one, for asymmetric faults) with an ``nftables``
table inside each node's namespace: TCP connections hang as in a real partition, they
are not reset.  Every namespace is recorded in a state file under ``/run/kafkacheck``
with the owner's PID, so :func:`cleanup_stale` removes what a killed run left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Endpoint name of the clients (the root namespace, where the harness runs).
CLIENTS = "clients"
PREFIX = "kc"
SUBNET_BASE = "10.213"
STATE_DIR = Path("/run/kafkacheck/net")
TABLE = "kafkacheck"
DIRECTIONS = ("both", "to", "from")


class NetworkError(RuntimeError):
    """Raised when namespaces cannot be created or a cut cannot be applied."""


def missing_tools() -> list[str]:
    """What partitions need and this machine lacks: root, ``ip`` (iproute2) and ``nft``."""
    out = []
    if os.geteuid() != 0:
        out.append("root")
    out += [t for t in ("ip", "nft") if shutil.which(t) is None]
    return out


#: The largest IPv4 packet that carries no TCP payload: 20 bytes of IP header plus at most
#: 60 of TCP header.  A ``data`` cut drops the TCP segments that carry data (longer than
#: this, or flagged PSH as every segment ending a write is) and lets handshakes and pure
#: acknowledgements pass: requests or responses are lost while the connection stays up.
MAX_EMPTY_TCP_PACKET = 80
WHAT = ("all", "data")


@dataclass(frozen=True)
class Link:
    """A cut: packets from ``src`` to ``dst`` are dropped (``both``: and back).

    ``what="data"`` drops only TCP segments that carry data (lost responses on a connection
    that stays up) instead of every packet (a partition).
    """

    src: str
    dst: str
    direction: str = "both"
    what: str = "all"

    def to_json(self) -> dict[str, str]:
        """A JSON-friendly dict."""
        return {"src": self.src, "dst": self.dst, "direction": self.direction, "what": self.what}


def blocked_pairs(links: Iterable[Link]) -> set[tuple[str, str, str]]:
    """The directed (sender, receiver, what) triples the cuts drop."""
    out: set[tuple[str, str, str]] = set()
    for link in links:
        if link.direction in ("both", "to"):
            out.add((link.src, link.dst, link.what))
        if link.direction in ("both", "from"):
            out.add((link.dst, link.src, link.what))
    return out


def render_ruleset(
    own: str, pairs: set[tuple[str, str, str]], addresses: dict[str, str]
) -> str:
    """The nft script for endpoint ``own``'s namespace: drop what it may not send or receive.

    The script replaces the whole table atomically (``nft -f``), so applying it twice or
    after a partial failure leaves exactly these rules.
    """
    matches = {
        "all": [""],
        "data": [f"ip length > {MAX_EMPTY_TCP_PACKET} ", "tcp flags & psh == psh "],
    }

    def rules(field: str, peers: list[tuple[str, str]]) -> list[str]:
        out = []
        for what, prefixes in matches.items():
            chosen = sorted({addresses[p] for p, w in peers if w == what})
            for prefix in prefixes if chosen else ():
                out.append(f"    {prefix}ip {field} {{ {', '.join(chosen)} }} drop")
        return out

    outgoing = [(dst, what) for src, dst, what in pairs if src == own]
    incoming = [(src, what) for src, dst, what in pairs if dst == own]
    lines = [
        f"table inet {TABLE}",
        f"delete table inet {TABLE}",
        f"table inet {TABLE} {{",
        "  chain input {",
        "    type filter hook input priority 0; policy accept;",
        *rules("saddr", incoming),
        "  }",
        "  chain output {",
        "    type filter hook output priority 0; policy accept;",
        *rules("daddr", outgoing),
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _run(cmd: Sequence[str], stdin: str | None = None, check: bool = True) -> str:
    """Run one command; raise NetworkError with its stderr when it fails and ``check``."""
    proc = subprocess.run(
        list(cmd), input=stdin, capture_output=True, text=True, timeout=30, check=False
    )
    if check and proc.returncode != 0:
        raise NetworkError(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _namespaces() -> set[str]:
    """Names of the network namespaces under /run/netns."""
    out = _run(["ip", "netns", "list"], check=False)
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def _pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_namespace_processes(ns: str) -> list[int]:
    """SIGKILL the processes left inside one of our namespaces; returns their PIDs."""
    pids = [int(p) for p in _run(["ip", "netns", "pids", ns], check=False).split() if p.isdigit()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _remove(state: dict[str, Any]) -> None:
    """Delete the namespaces and the host veth a state file names (missing ones are fine)."""
    for ns in state.get("namespaces", []):
        _kill_namespace_processes(ns)
    if state.get("host_if"):
        _run(["ip", "link", "del", "dev", state["host_if"]], check=False)
    for ns in reversed(state.get("namespaces", [])):
        _run(["ip", "netns", "del", ns], check=False)


def cleanup_stale(state_dir: Path = STATE_DIR) -> list[str]:
    """Remove networks whose owning process is gone (a crashed or killed run); returns tags."""
    removed = []
    if not state_dir.is_dir():
        return removed
    for path in sorted(state_dir.glob("*.json")):
        try:
            state = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if _pid_alive(int(state.get("owner_pid", 0))):
            continue
        _remove(state)
        path.unlink(missing_ok=True)
        removed.append(str(state.get("tag")))
    return removed


_LIVE: set[NetnsNetwork] = set()
_LIVE_LOCK = threading.Lock()


def _destroy_all_at_exit() -> None:
    """atexit safety net: remove every network this interpreter created."""
    with _LIVE_LOCK:
        nets = list(_LIVE)
    for net in nets:
        with contextlib.suppress(Exception):
            net.destroy()


atexit.register(_destroy_all_at_exit)


@dataclass
class NetnsNetwork:
    """Namespaces for ``endpoints`` (names of Kafka processes) plus the clients' endpoint."""

    endpoints: tuple[str, ...]
    state_dir: Path = STATE_DIR
    tag: str = ""
    subnet: str = ""
    addresses: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)
    links: set[Link] = field(default_factory=set)
    log: list[dict[str, Any]] = field(default_factory=list)
    created: bool = False

    def __hash__(self) -> int:
        """Identity hash (instances live in a set for the atexit hook)."""
        return id(self)

    # -- lifecycle --------------------------------------------------------------

    def create(self) -> NetnsNetwork:
        """Claim a free /24, create the switch, the clients' veth and one namespace per endpoint."""
        missing = missing_tools()
        if missing:
            raise NetworkError(f"network partitions need {', '.join(missing)}")
        if CLIENTS in self.endpoints or len(set(self.endpoints)) != len(self.endpoints):
            raise NetworkError(f"endpoint names must be distinct and not {CLIENTS!r}")
        if len(self.endpoints) > 200:
            raise NetworkError("at most 200 endpoints fit in one /24")
        cleanup_stale(self.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with _LIVE_LOCK:
            _LIVE.add(self)
        n = self._claim()
        try:
            self._build(n)
        except BaseException:
            self.destroy()
            raise
        self.created = True
        return self

    def _claim(self) -> int:
        """Take the lowest free N (``ip netns add`` of the switch namespace is the atomic claim)."""
        taken = _namespaces()
        routes = _run(["ip", "-4", "route", "show"], check=False)
        for n in range(256):
            sw = f"{PREFIX}{n}sw"
            if sw in taken or f"{SUBNET_BASE}.{n}." in routes:
                continue
            proc = subprocess.run(["ip", "netns", "add", sw], capture_output=True, timeout=30)
            if proc.returncode == 0:
                self.tag = f"{PREFIX}{n}"
                self.subnet = f"{SUBNET_BASE}.{n}.0/24"
                self.namespaces = {"switch": sw}
                self._save()
                return n
        raise NetworkError(f"no free {SUBNET_BASE}.N.0/24 subnet for a test network")

    def _build(self, n: int) -> None:
        """Create the bridge, the clients' veth and each endpoint's namespace and address."""
        sw, host_if = self.namespaces["switch"], f"{self.tag}h"
        self.addresses = {CLIENTS: f"{SUBNET_BASE}.{n}.1"}
        _run(["ip", "-n", sw, "link", "set", "dev", "lo", "up"])
        _run(["ip", "-n", sw, "link", "add", "br0", "type", "bridge"])
        _run(["ip", "-n", sw, "link", "set", "dev", "br0", "up"])
        _run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", "host", "netns", sw])
        self._save(host_if=host_if)
        _run(["ip", "addr", "add", f"{self.addresses[CLIENTS]}/24", "dev", host_if])
        _run(["ip", "link", "set", "dev", host_if, "up"])
        _run(["ip", "-n", sw, "link", "set", "dev", "host", "master", "br0", "up"])
        for i, name in enumerate(self.endpoints, start=1):
            ns = f"{self.tag}n{i}"
            _run(["ip", "netns", "add", ns])
            self.namespaces[name] = ns
            self._save(host_if=host_if)
            addr = f"{SUBNET_BASE}.{n}.{10 + i}"
            self.addresses[name] = addr
            _run(["ip", "-n", sw, "link", "add", f"n{i}", "type", "veth",
                  "peer", "name", "eth0", "netns", ns])
            _run(["ip", "-n", sw, "link", "set", "dev", f"n{i}", "master", "br0", "up"])
            _run(["ip", "-n", ns, "link", "set", "dev", "lo", "up"])
            _run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0"])
            _run(["ip", "-n", ns, "link", "set", "dev", "eth0", "up"])
            self._apply(name, set())
        self._save(host_if=host_if)

    def _state(self, host_if: str = "") -> dict[str, Any]:
        """What cleanup needs to know."""
        return {
            "tag": self.tag,
            "owner_pid": os.getpid(),
            "subnet": self.subnet,
            "host_if": host_if,
            "namespaces": list(self.namespaces.values()),
            "addresses": self.addresses,
            "created": time.time(),
        }

    def _save(self, host_if: str = "") -> None:
        """Write the state file (before and while creating things, so a crash leaves a record)."""
        path = self.state_dir / f"{self.tag}.json"
        path.write_text(json.dumps(self._state(host_if or f"{self.tag}h"), indent=1))

    def destroy(self) -> None:
        """Kill what is left in our namespaces; delete them, the veths and the state file."""
        if self.tag:
            _remove(self._state(f"{self.tag}h"))
            (self.state_dir / f"{self.tag}.json").unlink(missing_ok=True)
        self.links.clear()
        self.created = False
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> NetnsNetwork:
        """Create on entry."""
        return self.create()

    def __exit__(self, *exc: object) -> None:
        """Destroy on exit, also after errors."""
        self.destroy()

    # -- use ----------------------------------------------------------------------

    def address(self, endpoint: str) -> str:
        """The IPv4 address of an endpoint (``clients`` is the root namespace's)."""
        return self.addresses[endpoint]

    def exec_prefix(self, endpoint: str) -> list[str]:
        """Prefix a command with this to run it inside the endpoint's namespace."""
        return ["ip", "netns", "exec", self.namespaces[endpoint]]

    def cut(self, a: str, b: str, direction: str = "both", what: str = "all") -> Link:
        """Drop packets between ``a`` and ``b`` (``to``: only a->b; ``from``: only b->a).

        ``what="data"``: drop only TCP segments with data (see :data:`MAX_EMPTY_TCP_PACKET`).
        """
        if direction not in DIRECTIONS:
            raise NetworkError(f"direction must be one of {DIRECTIONS}")
        if what not in WHAT:
            raise NetworkError(f"what must be one of {WHAT}")
        for e in (a, b):
            if e not in self.addresses:
                raise NetworkError(f"unknown endpoint {e!r}")
        if a == b:
            raise NetworkError("cannot cut an endpoint from itself")
        if a == CLIENTS and b == CLIENTS:
            raise NetworkError("cannot cut the clients from themselves")
        link = Link(a, b, direction, what)
        self.links.add(link)
        self._refresh({a, b})
        self.log.append({"time": time.time(), "action": "cut", **link.to_json()})
        return link

    def isolate(self, endpoint: str, from_: Iterable[str]) -> list[Link]:
        """Cut one endpoint from several others (both directions)."""
        return [self.cut(endpoint, other) for other in from_ if other != endpoint]

    def heal(self, link: Link) -> None:
        """Remove one cut."""
        self.links.discard(link)
        self._refresh({link.src, link.dst})
        self.log.append({"time": time.time(), "action": "heal", **link.to_json()})

    def heal_all(self) -> None:
        """Remove every cut."""
        touched = {e for link in self.links for e in (link.src, link.dst)}
        self.links.clear()
        self._refresh(touched)
        if touched:
            self.log.append({"time": time.time(), "action": "heal-all"})

    def _refresh(self, endpoints: set[str]) -> None:
        """Re-render the rules of every touched node namespace."""
        pairs = blocked_pairs(self.links)
        for e in sorted(endpoints):
            if e != CLIENTS:
                self._apply(e, pairs)

    def _apply(self, endpoint: str, pairs: set[tuple[str, str, str]]) -> None:
        """Load one namespace's ruleset."""
        script = render_ruleset(endpoint, pairs, self.addresses)
        _run([*self.exec_prefix(endpoint), "nft", "-f", "-"], stdin=script)

    def hold_retransmits(self, endpoint: str, seconds: int = 30) -> None:
        """Make the clients' TCP wait ``seconds`` before retransmitting to ``endpoint``.

        A ``data`` cut drops the segments that would carry the endpoint's acknowledgements
        along with its responses; with Linux's usual 200 ms minimum retransmission timeout
        the clients' kernel then stops sending new requests on that connection.  A /32
        route with ``rto_min`` keeps the connection sending, as when responses are lost
        further away.  :meth:`release_retransmits` (or destroying the network) undoes it.
        """
        _run(["ip", "route", "replace", f"{self.address(endpoint)}/32", "dev", f"{self.tag}h",
              "rto_min", f"{int(seconds)}s"])
        self.log.append({"time": time.time(), "action": "hold-retransmits", "dst": endpoint})

    def release_retransmits(self, endpoint: str) -> None:
        """Undo :meth:`hold_retransmits`."""
        _run(["ip", "route", "del", f"{self.address(endpoint)}/32", "dev", f"{self.tag}h"],
             check=False)

    def reachable(self, src: str, dst: str) -> bool:
        """Whether every packet from ``src`` to ``dst`` passes (per the cuts in force)."""
        return not any(s == src and d == dst for s, d, _ in blocked_pairs(self.links))

    def probe(self, src: str, dst: str, timeout_s: float = 1.0) -> bool:
        """Whether a TCP SYN from ``src`` gets any answer from ``dst`` (a live check of the cuts).

        It connects to a port nobody listens on: a reachable kernel answers with a reset
        (connection refused) at once, a cut one lets the attempt time out.
        """
        code = (
            "import socket,sys\n"
            "s=socket.socket(); s.settimeout(float(sys.argv[2]))\n"
            "try:\n s.connect((sys.argv[1], 9))\nexcept ConnectionRefusedError: sys.exit(0)\n"
            "except OSError: sys.exit(1)\n"
            "sys.exit(0)\n"
        )
        prefix = [] if src == CLIENTS else self.exec_prefix(src)
        cmd = [*prefix, sys.executable, "-c", code, self.address(dst), str(timeout_s)]
        return subprocess.run(cmd, capture_output=True, timeout=timeout_s + 10).returncode == 0

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {
            "tag": self.tag,
            "subnet": self.subnet,
            "addresses": dict(self.addresses),
            "namespaces": dict(self.namespaces),
            "cuts": [link.to_json() for link in sorted(self.links, key=repr)],
        }
