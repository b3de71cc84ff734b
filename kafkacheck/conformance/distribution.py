"""Fetch an Apache Kafka broker distribution (jars only) from Maven Central with Maven."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
LOG4J_VERSION = "2.25.3"
# kafka_2.13 declares slf4j-api 1.7.x; log4j-slf4j2-impl is only found by slf4j 2.x.
SLF4J_VERSION = "2.0.17"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
CACHE_ENV = "KAFKACHECK_KAFKA_CACHE"
_MARKER = ".complete"
# The oldest release line the harness runs: its clusters are KRaft-only, configured with
# log4j2 and formatted with 4.0 feature levels (eligible.leader.replicas.version).
OLDEST_LINE = (4, 0)


class DistributionError(RuntimeError):
    """Raised when the Kafka jars cannot be obtained."""


@dataclass(frozen=True)
class Distribution:
    """A folder of jars that together run a Kafka broker and its tools."""

    version: str
    root: Path
    jars: tuple[Path, ...]
    fetched: bool
    seconds: float

    @property
    def classpath(self) -> str:
        """The jars joined for `java -cp`."""
        return os.pathsep.join(str(j) for j in self.jars)


def check_version(text: str) -> str:
    """``text`` if it names a Kafka release the harness can fetch and run, as Maven names it
    (``4.4.0``); ValueError with a one-line reason otherwise (before any download)."""
    from kafkacheck.model import versions

    parts = text.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and str(int(p)) == p
                                  for p in parts):
        raise ValueError(f"{text!r} is not a Kafka release: expected MAJOR.MINOR.PATCH "
                         f"such as {KAFKA_VERSION}")
    line = (int(parts[0]), int(parts[1]))
    newest = versions.RELEASES[-1]
    if line not in versions.RELEASES or line < OLDEST_LINE:
        raise ValueError(f"Kafka {text} is not a release the harness runs: it runs "
                         f"{versions.text(OLDEST_LINE)}.x to {versions.text(newest)}.x")
    return text


def default_cache(version: str = KAFKA_VERSION) -> Path:
    """The cache folder: $KAFKACHECK_KAFKA_CACHE or ~/.cache/kafkacheck/kafka-<version>."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "kafkacheck" / f"kafka-{version}"


def tools_available() -> list[str]:
    """Names of the required external tools (java, mvn) that are missing from PATH."""
    return [t for t in ("java", "mvn") if shutil.which(t) is None]


def _dependency(group: str, artifact: str, version: str) -> str:
    """One <dependency> element."""
    return (
        "    <dependency>\n"
        f"      <groupId>{group}</groupId>\n"
        f"      <artifactId>{artifact}</artifactId>\n"
        f"      <version>{version}</version>\n"
        "    </dependency>\n"
    )


def render_pom(version: str = KAFKA_VERSION, log4j: str = LOG4J_VERSION) -> str:
    """A throwaway pom whose only purpose is to list the broker's runtime dependencies."""
    deps = "".join(
        [
            _dependency("org.apache.kafka", f"kafka_{SCALA_VERSION}", version),
            _dependency("org.apache.kafka", "kafka-tools", version),
            _dependency("org.slf4j", "slf4j-api", SLF4J_VERSION),
            _dependency("org.apache.logging.log4j", "log4j-api", log4j),
            _dependency("org.apache.logging.log4j", "log4j-core", log4j),
            _dependency("org.apache.logging.log4j", "log4j-slf4j2-impl", log4j),
        ]
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>kafkacheck.local</groupId>\n"
        f"  <artifactId>kafka-runtime-{version}</artifactId>\n"
        "  <version>1</version>\n"
        "  <packaging>pom</packaging>\n"
        "  <dependencies>\n"
        f"{deps}"
        "  </dependencies>\n"
        "</project>\n"
    )


def _collect(lib: Path) -> tuple[Path, ...]:
    """The jars in a lib folder, sorted for a stable classpath."""
    return tuple(sorted(lib.glob("*.jar")))


def ensure_distribution(
    version: str = KAFKA_VERSION,
    cache: Path | None = None,
    timeout_s: float = 900.0,
) -> Distribution:
    """Download Kafka and its transitive dependencies once; later calls reuse the cache."""
    start = time.monotonic()
    root = (cache or default_cache(version)).expanduser()
    lib = root / "lib"
    marker = root / _MARKER
    stamp = f"{version} log4j={LOG4J_VERSION} slf4j={SLF4J_VERSION}"
    if marker.is_file() and marker.read_text().strip() == stamp:
        jars = _collect(lib)
        if jars:
            return Distribution(version, root, jars, False, time.monotonic() - start)
    missing = tools_available()
    if missing:
        raise DistributionError(f"missing tools on PATH: {', '.join(missing)}")
    root.mkdir(parents=True, exist_ok=True)
    (root / "pom.xml").write_text(render_pom(version))
    if lib.exists():
        shutil.rmtree(lib)
    cmd = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(root / "pom.xml"),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={lib}",
        "-DincludeScope=runtime",
    ]
    log = root / "mvn.log"
    try:
        with log.open("w") as out:
            proc = subprocess.run(
                cmd, cwd=root, stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s, check=False
            )
    except subprocess.TimeoutExpired as exc:
        raise DistributionError(f"maven timed out after {timeout_s:.0f}s; see {log}") from exc
    if proc.returncode != 0:
        # one line: Maven's first error (the rest stays in the log)
        errors = [line.removeprefix("[ERROR]").strip()
                  for line in log.read_text(errors="replace").splitlines()
                  if line.startswith("[ERROR]") and line.removeprefix("[ERROR]").strip()]
        why = errors[0][:300] if errors else "no error line"
        raise DistributionError(f"maven failed (rc={proc.returncode}) for Kafka {version}: "
                                f"{why} (its output is in {log})")
    jars = _collect(lib)
    if not any(j.name.startswith(f"kafka_{SCALA_VERSION}-{version}") for j in jars):
        raise DistributionError(f"maven ran but no kafka_{SCALA_VERSION}-{version} jar in {lib}")
    marker.write_text(stamp + "\n")
    return Distribution(version, root, jars, True, time.monotonic() - start)
