"""The Apache Kafka Java producer as a history-recording client (where librdkafka differs).

``java/HistoryProducer.java`` is compiled once with ``javac`` against the downloaded
distribution's jars (cached by source hash) and run as a child process; each ``send`` is
an ``invoke`` in the history and its callback the completion, exactly as for the Python
client in :mod:`.workloads`.  Its log4j log keeps the producer internals at DEBUG
(``TransactionManager``, ``Sender``), so a run shows what the client decided (an epoch
bump, a sequence reset), not only what it reported.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

from .cluster import LOG4J2
from .distribution import Distribution
from .history import FAIL, INFO, OK, Event, HistoryWriter, tp_key

MAIN = "HistoryProducer"

# The brokers' log4j2 file, with the producer internals at DEBUG.
_LOG4J2 = LOG4J2 + """logger.internals.name = org.apache.kafka.clients.producer.internals
logger.internals.level = DEBUG
"""


class JavaClientError(RuntimeError):
    """Raised when the Java client cannot be compiled or started."""


def source() -> str:
    """The Java source of the producer driver."""
    return resources.files(__package__).joinpath("java", f"{MAIN}.java").read_text()


def compile_producer(dist: Distribution) -> Path:
    """Compile the driver into the distribution's cache (once per source version)."""
    if shutil.which("javac") is None:
        raise JavaClientError("javac is not on PATH (install a JDK 17)")
    text = source()
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    out = dist.root / f"java-{digest}"
    if (out / f"{MAIN}.class").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    src = out / f"{MAIN}.java"
    src.write_text(text)
    proc = subprocess.run(
        ["javac", "-nowarn", "-cp", dist.classpath, "-d", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise JavaClientError(f"javac failed:\n{proc.stderr[-2000:]}")
    return out


class JavaProducer:
    """A Java ``KafkaProducer`` whose every record is one ``send`` operation in a history."""

    def __init__(
        self,
        dist: Distribution,
        config: dict[str, Any],
        history: HistoryWriter,
        process: str,
        workdir: Path,
    ) -> None:
        """Write the properties file and start the JVM (returns once the producer is built)."""
        classes = compile_producer(dist)
        workdir.mkdir(parents=True, exist_ok=True)
        self.history = history
        self.process = process
        self.config = dict(config)
        self.log_path = workdir / f"{process}.log"
        props = workdir / f"{process}.properties"
        props.write_text("".join(f"{k}={v}\n" for k, v in sorted(self.config.items())))
        log4j = workdir / f"{process}-log4j2.properties"
        log4j.write_text(_LOG4J2.format(log=self.log_path))
        cmd = [
            "java",
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            f"{classes}:{dist.classpath}",
            MAIN,
            str(props),
        ]
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(workdir / f"{process}.stderr").open("wb"),
            text=True,
            bufsize=1,
        )
        self._pending: dict[str, Event] = {}
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {
            "ready": threading.Event(),
            "flushed": threading.Event(),
            "meta": threading.Event(),
            "closed": threading.Event(),
        }
        self._next = 0
        self.acked: list[tuple[str, int, str]] = []
        self.errors: list[tuple[str, str]] = []
        self._reader = threading.Thread(target=self._read, name=f"{process}-reader", daemon=True)
        self._reader.start()
        if not self._events["ready"].wait(60):
            self.kill()
            raise JavaClientError(f"the Java producer did not start; see {self.log_path}")

    def _read(self) -> None:
        """Turn the driver's JSON lines into completions."""
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = ev.get("ev")
            if kind in self._events:
                self._events[kind].set()
                continue
            with self._lock:
                inv = self._pending.pop(str(ev.get("id")), None)
            if inv is None:
                continue
            key, _, value = inv["value"][0]
            if kind == "ok":
                offset = int(ev["offset"])
                self.acked.append((key, offset, value))
                self.history.complete(inv, OK, [[key, offset, value]])
            else:
                error = str(ev.get("error"))
                self.errors.append((value, error))
                # "not sent" never left the client; any other error is indefinite
                type_ = FAIL if error.startswith("not sent") else INFO
                self.history.complete(inv, type_, [[key, None, value]], error=error)

    def _command(self, line: str) -> None:
        """Send one command line to the driver."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()

    def send(self, topic: str, partition: int, value: str) -> Event:
        """Invoke a send of ``value`` (no spaces) to one partition."""
        if " " in value or "\n" in value:
            raise ValueError("values sent through the Java driver must not contain spaces")
        key = tp_key(topic, partition)
        inv = self.history.invoke(self.process, "send", [[key, None, value]], client="java")
        with self._lock:
            op = str(self._next)
            self._next += 1
            self._pending[op] = inv
        self._command(f"send {op} {topic} {partition} {value}")
        return inv

    def fetch_metadata(self, topic: str, timeout_s: float = 30.0) -> bool:
        """Have the client fetch ``topic``'s metadata now (so a later send needs no request)."""
        self._events["meta"].clear()
        self._command(f"meta {topic}")
        return self._events["meta"].wait(timeout_s)

    def flush(self, timeout_s: float) -> int:
        """Wait for every outstanding send; returns how many remain unresolved."""
        self._events["flushed"].clear()
        self._command("flush")
        self._events["flushed"].wait(timeout_s)
        with self._lock:
            return len(self._pending)

    def close(self, timeout_s: float = 30.0) -> int:
        """Flush and close; sends still unresolved stay indefinite. Returns their number."""
        try:
            self._command("close")
        except (BrokenPipeError, ValueError):
            pass
        self._events["closed"].wait(timeout_s)
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join(timeout=5)
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for inv in pending:
            self.history.complete(inv, INFO, inv["value"], error="unresolved at close")
        return len(pending)

    def kill(self) -> None:
        """SIGKILL the JVM."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def log_lines(self, *needles: str) -> list[str]:
        """Lines of the client's log that contain any of ``needles``."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [ln for ln in text.splitlines() if any(n in ln for n in needles)]

    def wait_until(self, predicate: Any, timeout_s: float) -> bool:
        """Poll ``predicate()`` every 50 ms until true or the deadline."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return bool(predicate())
