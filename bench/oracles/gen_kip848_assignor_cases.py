"""Generate tests/oracles/kip848_assignor_cases.json by running Kafka's own assignors.

Draws random group states (members, subscriptions, current target assignments, static
instance ids), runs them through UniformAssignor and the server-side RangeAssignor of
kafka-group-coordinator (Kip848AssignorOracle.java, compiled against the jars in the local
Maven repository), and stores inputs and Kafka's outputs.  Usage:

    python bench/oracles/gen_kip848_assignor_cases.py [--cases 400] [--seed 848]

Needs a JDK and the Kafka 4.4.0 jars in ~/.m2 (mvn dependency:get
-Dartifact=org.apache.kafka:kafka-group-coordinator:4.4.0, and its -api, kafka-clients,
kafka-server-common, kafka-coordinator-common, slf4j-api).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
from pathlib import Path

KAFKA = "4.4.0"
HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "tests" / "oracles" / "kip848_assignor_cases.json"
JARS = ("kafka-group-coordinator", "kafka-group-coordinator-api", "kafka-clients",
        "kafka-server-common", "kafka-coordinator-common")
MEMBER_IDS = ("consumer-1", "consumer-2", "consumer-3", "consumer-4", "consumer-5",
              "Vh3ckT2FQpW9x6bGkzA1sQ", "u0aZfJ8PSd2nqQ7t5Xy1Bw", "member-a", "member-b")


def classpath() -> str:
    m2 = Path.home() / ".m2" / "repository"
    jars = [m2 / "org" / "apache" / "kafka" / j / KAFKA / f"{j}-{KAFKA}.jar" for j in JARS]
    slf4j = sorted((m2 / "org" / "slf4j" / "slf4j-api").glob("*/slf4j-api-*.jar"))
    missing = [str(j) for j in jars if not j.exists()]
    if missing or not slf4j:
        raise SystemExit(f"missing jars: {missing or 'slf4j-api'}")
    return ":".join(str(j) for j in [*jars, slf4j[-1]])


def random_case(rng: random.Random, index: int) -> dict:
    assignor = rng.choice(("uniform", "uniform", "range"))
    topics = [rng.randint(1, 7) for _ in range(rng.randint(1, 3))]
    ids = rng.sample(MEMBER_IDS, rng.randint(1, 5))
    homogeneous = rng.random() < 0.5
    everything = list(range(len(topics)))
    members = []
    for mid in ids:
        subs = everything if homogeneous else sorted(rng.sample(everything,
                                                                rng.randint(0, len(topics))))
        instance = f"instance-{rng.randint(1, 9)}" if rng.random() < 0.3 else ""
        members.append({"id": mid, "instance": instance, "topics": subs, "assignment": []})
    if members and rng.random() < 0.8:  # a current target assignment, each partition once
        for t, count in enumerate(topics):
            for p in range(count):
                if rng.random() < 0.7:
                    rng.choice(members)["assignment"].append([t, p])
    instances = [m["instance"] for m in members if m["instance"]]
    if len(set(instances)) != len(instances):
        for n, m in enumerate(members):
            m["instance"] = f"instance-{n}" if m["instance"] else ""
    return {"id": f"random-{index}", "assignor": assignor, "topics": topics, "members": members}


def encode(case: dict) -> str:
    members = []
    for m in case["members"]:
        tps = "+".join(f"{t}:{p}" for t, p in m["assignment"]) or "-"
        subs = "+".join(str(t) for t in m["topics"])
        members.append(f"{m['id']}/{m['instance']}/{subs}/{tps}")
    return f"{case['assignor']}|{','.join(map(str, case['topics']))}|{';'.join(members)}"


def decode(line: str) -> dict | str:
    if line.startswith("ERROR"):
        return line
    out = {}
    for part in line.split(";"):
        mid, _, tps = part.partition("=")
        tps = tps.removesuffix("!absent")
        out[mid] = [[int(x) for x in tp.split(":")] for tp in tps.split("+") if tp]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seed", type=int, default=848)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [random_case(rng, i) for i in range(args.cases)]
    cp = classpath()
    with tempfile.TemporaryDirectory() as build:
        subprocess.run(["javac", "-d", build, "-cp", cp, str(HERE / "Kip848AssignorOracle.java")],
                       check=True)
        run = subprocess.run(["java", "-cp", f"{build}:{cp}", "Kip848AssignorOracle"],
                             input="\n".join(encode(c) for c in cases) + "\n",
                             capture_output=True, text=True, check=True)
    lines = run.stdout.strip().splitlines()
    assert len(lines) == len(cases)
    for case, line in zip(cases, lines, strict=True):
        case["expected"] = decode(line)
    doc = {"source": f"kafka-group-coordinator {KAFKA} (UniformAssignor, RangeAssignor) run by "
                     "bench/oracles/Kip848AssignorOracle.java; topic k has id Uuid(16 + k, 0)",
           "seed": args.seed, "cases": cases}
    OUT.write_text(json.dumps(doc, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
