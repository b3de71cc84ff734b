"""Regenerate kafkacheck/catalogue/kafka-<version>.json from a local Apache Kafka installation.

The catalogue lists every configuration key Kafka defines for producers, consumers,
admin clients, topics, brokers, Connect workers and connectors, and Streams, with its
type, default and validator as Kafka's own ``ConfigDef`` objects report them.  It is
read from the Kafka jars themselves (``DumpConfigDefs.java`` loads each ConfigDef by
reflection), so the names and defaults are exactly those of the version installed:

    python tools/kafka_catalogue.py --lib ~/.cache/kafkacheck/kafka-4.4.0/lib \\
        --jar ~/.m2/repository/org/apache/kafka/kafka-streams/4.4.0/kafka-streams-4.4.0.jar

The broker distribution under ``--lib`` is what ``kafkacheck conformance`` downloads;
kafka-streams is one more jar (``mvn dependency:get
-Dartifact=org.apache.kafka:kafka-streams:4.4.0``).  Needs ``javac`` and ``java``.
Only facts (names, types, defaults, validator text) are written; no Kafka code.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / "kafkacheck" / "catalogue"

# role -> (class, static member holding or building its ConfigDef)
SOURCES: dict[str, tuple[str, str]] = {
    "producer": ("org.apache.kafka.clients.producer.ProducerConfig", "configDef"),
    "consumer": ("org.apache.kafka.clients.consumer.ConsumerConfig", "configDef"),
    "admin": ("org.apache.kafka.clients.admin.AdminClientConfig", "configDef"),
    "topic": ("org.apache.kafka.storage.internals.log.LogConfig", "configDefCopy"),
    "broker": ("org.apache.kafka.server.config.AbstractKafkaConfig", "CONFIG_DEF"),
    "connect-distributed": ("org.apache.kafka.connect.runtime.distributed.DistributedConfig",
                            "config"),
    "connect-standalone": ("org.apache.kafka.connect.runtime.standalone.StandaloneConfig",
                           "CONFIG"),
    "connect-sink": ("org.apache.kafka.connect.runtime.SinkConnectorConfig", "configDef"),
    "connect-source": ("org.apache.kafka.connect.runtime.SourceConnectorConfig", "configDef"),
    "streams": ("org.apache.kafka.streams.StreamsConfig", "configDef"),
}

# Keys Kafka's own pluggable classes read from the broker configuration, outside
# KafkaConfig's ConfigDef (org.apache.kafka.metadata.authorizer.StandardAuthorizer).
BROKER_PLUGIN_KEYS = {
    "super.users": {"type": "STRING", "default": "", "valid": None,
                    "from": "StandardAuthorizer.SUPER_USERS_CONFIG"},
    "allow.everyone.if.no.acl.found": {
        "type": "BOOLEAN", "default": "false", "valid": None,
        "from": "StandardAuthorizer.ALLOW_EVERYONE_IF_NO_ACL_IS_FOUND_CONFIG"},
}


def dump(classpath: list[Path]) -> dict:
    """Compile and run DumpConfigDefs against the jars; its JSON output, parsed."""
    clients = [p for p in classpath if re.match(r"kafka-clients-[\d.]+\.jar$", p.name)]
    if not clients:
        sys.exit("kafka-clients-<version>.jar not found on the classpath given")
    with tempfile.TemporaryDirectory() as build:
        subprocess.run(["javac", "-d", build, "-cp", str(clients[0]),
                        str(HERE / "catalogue" / "DumpConfigDefs.java")], check=True)
        cp = ":".join([build, *(str(p) for p in classpath)])
        args = [f"{role}={cls}#{member}" for role, (cls, member) in SOURCES.items()]
        proc = subprocess.run(["java", "-cp", cp, "DumpConfigDefs", *args], check=True,
                              capture_output=True, text=True)
    return json.loads(proc.stdout)


def version_of(classpath: list[Path]) -> str:
    """The Kafka version, from the kafka-clients jar's file name."""
    for p in classpath:
        m = re.match(r"kafka-clients-([\d.]+)\.jar$", p.name)
        if m:
            return m.group(1)
    raise SystemExit("no kafka-clients jar")


def valid_text(valid: str, default: str | None) -> str:
    """A validator's text, marked as ignoring case when it lists its values in a case its
    own default does not have.  ConfigDef.ConfigKey runs the validator on the default when
    the key is defined (``validator.ensureValid(name, defaultValue)``), so such a
    validator accepts the default in another case (share.acquire.mode: default
    BATCH_OPTIMIZED, ShareAcquireMode.Validator upper-cases with ShareAcquireMode.of);
    marked the way ConfigDef.CaseInsensitiveValidString prints itself."""
    if default is None or not (valid.startswith("[") and valid.endswith("]")):
        return valid
    choices = [c.strip() for c in valid[1:-1].split(",")]
    if default not in choices and default.lower() in {c.lower() for c in choices}:
        return f"(case insensitive) {valid}"
    return valid


def compact(raw: dict) -> dict:
    """Per role: key -> {type, default, valid[, required][, internal]}, sorted by name."""
    roles = {}
    for role, data in raw.items():
        keys = {}
        for name, key in sorted(data["keys"].items()):
            entry = {"type": key["type"], "default": key["default"]}
            valid = key["valid"]
            # A validator without its own toString prints Object identity: not a fact.
            if valid and not re.search(r"@[0-9a-f]+$", valid):
                entry["valid"] = valid_text(valid, key["default"])
            if key["required"]:
                entry["required"] = True
            if key["internal"]:
                entry["internal"] = True
            keys[name] = entry
        if role == "broker":
            for name, entry in BROKER_PLUGIN_KEYS.items():
                keys.setdefault(name, dict(entry))
        roles[role] = {"from": data["source"], "keys": keys}
    return roles


def render(doc: dict) -> str:
    """JSON with one configuration key per line (small diffs between versions)."""
    head = {k: v for k, v in doc.items() if k != "roles"}
    lines = ["{"]
    lines += [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append(' "roles": {')
    roles = list(doc["roles"].items())
    for i, (role, data) in enumerate(roles):
        lines.append(f"  {json.dumps(role)}: {{\"from\": {json.dumps(data['from'])}, \"keys\": {{")
        keys = list(data["keys"].items())
        for j, (name, entry) in enumerate(keys):
            comma = "," if j < len(keys) - 1 else ""
            lines.append(f"   {json.dumps(name)}: {json.dumps(entry, ensure_ascii=False)}{comma}")
        lines.append("  }}" + ("," if i < len(roles) - 1 else ""))
    lines += [" }", "}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write the catalogue file for the Kafka version found in the jars."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", type=Path, required=True,
                        help="folder of a Kafka distribution's jars (libs/)")
    parser.add_argument("--jar", type=Path, action="append", default=[],
                        help="more jars (kafka-streams)")
    args = parser.parse_args(argv)
    classpath = sorted(args.lib.glob("*.jar")) + list(args.jar)
    version = version_of(classpath)
    roles = compact(dump(classpath))
    doc = {
        "kafka_version": version,
        "about": ("Configuration keys Apache Kafka defines, by role, with type, default and "
                  "validator as printed by Kafka's ConfigDef (facts, not code)."),
        "source": (f"Apache Kafka {version} jars (kafka-clients, kafka-server, kafka-storage, "
                   f"connect-runtime, kafka-streams), read by tools/kafka_catalogue.py; "
                   "super.users and allow.everyone.if.no.acl.found from StandardAuthorizer"),
        "roles": roles,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    major_minor = ".".join(version.split(".")[:2])
    out = OUT_DIR / f"kafka-{major_minor}.json"
    out.write_text(render(doc), encoding="utf-8")
    total = sum(len(r["keys"]) for r in roles.values())
    print(f"wrote {out} ({total} keys in {len(roles)} roles)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
