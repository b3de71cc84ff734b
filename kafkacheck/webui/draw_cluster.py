"""Drawing adapters of the cluster models: replication, controller (KRaft) and kafka-spec."""

from __future__ import annotations

import re

from kafkacheck.webui.draw_common import (
    Section,
    Vars,
    broker_section,
    fact_rows,
    facts,
    ghost_section,
    mark_cells,
    parse_int,
    parse_log,
    parse_set,
    partition_prefixes,
    partition_section,
    partition_title,
)

GHOSTS = ("acked", "acked_by_deposed_leader", "committed")


def broker_names(v: Vars, pattern: str = r"(?:[\w.]*\.)?(B\d+)\.log") -> list[str]:
    """Broker names in the order their logs appear in the view."""
    names: list[str] = []
    for m in v.matching(pattern):
        if m.group(1) not in names:
            names.append(m.group(1))
    return names


def leader_lines(sections: list[Section]) -> dict[str, list[str]]:
    """'leader of p0' lines for broker cards."""
    out: dict[str, list[str]] = {}
    for s in sections:
        if s["type"] == "partition" and s["leader"]:
            out.setdefault(s["leader"], []).append(f"leader of {s['title'].split()[-1]}")
    return out


def partition_sections(v: Vars, alive: list[str] | None, notes_of: dict[str, dict[str, list[str]]],
                base: str = "") -> list[Section]:
    """Every partition's section, each followed by its ghost variables."""
    out = []
    for pre in partition_prefixes(v, base):
        title = partition_title(pre)
        part = partition_section(v, pre, title, alive, notes_of.get(pre))
        purgatory = fact_rows(v, [f"{pre}awaiting_acks"])
        part["facts"] = [["awaiting acks (leader's produce purgatory)", r[1]] for r in purgatory]
        out.append(part)
        ghost = ghost_section(v, pre, GHOSTS, f"{title}: what the checker remembers")
        if ghost is not None:
            out.append(ghost)
    return out


def draw_replication(v: Vars) -> list[Section]:
    """Brokers (alive, crashed, fenced) and the replicated partitions."""
    names = broker_names(v)
    alive = parse_set(v.get("alive"))
    fenced = parse_set(v.get("fenced"))
    parts = partition_sections(v, alive, {})
    return [broker_section(names, alive, fenced, details=leader_lines(parts)), *parts]


_CTRL_RE = re.compile(r"epoch (\d+), (active|no leader|follows \S+), metadata offset (\d+)")


def draw_controller(v: Vars) -> list[Section]:
    """The KRaft quorum, the brokers' metadata, and the partitions it governs."""
    alive_nodes = parse_set(v.get("alive")) or []
    cut_nodes = parse_set(v.get("isolated")) or []
    alive = [r for n in alive_nodes for r in n.split("/")]
    isolated = [r for n in cut_nodes for r in n.split("/")]
    quorum = []
    fenced: list[str] | None = None
    for m in v.matching(r"(C\d+)"):
        name = m.group(1)
        text = v.get(name) or ""
        sees = v.get(f"{name}.fenced")
        parsed = _CTRL_RE.fullmatch(text)
        states = ["alive" if name in alive else "crashed"]
        if name in isolated:
            states.append("isolated")
        role = parsed.group(2) if parsed else ""
        if role == "active":
            states.append("active")
            if name in alive:
                fenced = parse_set(sees)
        lines = ([f"epoch {parsed.group(1)}", role, f"metadata offset {parsed.group(3)}"]
                 if parsed else [text])
        lines.append(f"fenced brokers in its image: {sees}")
        quorum.append({"name": name, "states": states, "lines": lines})
    names = broker_names(v)
    notes: dict[str, dict[str, list[str]]] = {}
    for pre in partition_prefixes(v):
        for b in names:
            lines = []
            believes = v.get(f"{pre}{b}.believes")
            if believes is not None:
                lines.append(f"believes: {believes}")
            waiting = v.get(f"{pre}{b}.awaiting_acks")
            if waiting is not None:
                lines.append(f"awaiting acks: {waiting}")
            notes.setdefault(pre, {})[b] = lines
    parts = partition_sections(v, alive, notes)
    details = leader_lines(parts)
    for b in names:
        meta = v.get(f"{b}.metadata")
        if meta is not None:
            details.setdefault(b, []).append(f"metadata {meta}")
    brokers = broker_section(names, alive, fenced, isolated, details)
    ctrl: Section = {"type": "cards", "title": "Controller quorum (KRaft)", "items": quorum}
    return [ctrl, brokers, *parts]


_QUORUM_RE = re.compile(r"epoch (\S+), leader (\S+), isr (\{.*\})")


def draw_kafka_spec(v: Vars) -> list[Section]:
    """Each broker's own view (leader, epoch, ISR, log, HW) beside the controller's."""
    names = broker_names(v, r"(Broker\d+)\.log")
    quorum = v.get("quorumState") or ""
    m = _QUORUM_RE.fullmatch(quorum)
    leader = m.group(2) if m else None
    replicas = []
    for b in names:
        text = v.get(f"{b}.log")
        cells = parse_log(text)
        own = v.get(f"{b}.leader")
        replicas.append({
            "broker": b, "leader": b == leader, "status": None, "log": cells, "log_text": text,
            "hw": parse_int(v.get(f"{b}.hw")), "leo": None if cells is None else len(cells),
            "flushed": None,
            "notes": [f"its leader epoch {v.get(f'{b}.leaderEpoch')}, its leader {own}, "
                      f"its isr {v.get(f'{b}.isr')}"],
        })
    mark_cells(replicas)
    part: Section = {"type": "partition", "title": "Partition (controller's decision)",
                     "leader": leader, "epoch": m.group(1) if m else None,
                     "isr": parse_set(m.group(3)) if m else None, "elr": None,
                     "replicas": replicas, "facts": []}
    ctrl = facts("Controller", fact_rows(v, ["quorumState", "leaderAndIsrRequests",
                                              "nextLeaderEpoch", "nextRecordId"]))
    return [ctrl, part]
