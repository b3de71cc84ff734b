"""Drawing adapters of the client models: the producer and the consumer group."""

from __future__ import annotations

import re

from kafkacheck.webui.draw_cluster import broker_names, leader_lines, partition_sections
from kafkacheck.webui.draw_common import (
    Section,
    Vars,
    broker_section,
    fact_rows,
    facts,
    parse_set,
)

_BATCH_RE = re.compile(r"(p\d+) \[([^\]]*)\] (queued|in flight|acked|failed)(.*)")


def draw_producer(v: Vars) -> list[Section]:
    """Brokers and partitions, then the producer: accumulator, batches, connections."""
    names = broker_names(v)
    alive = parse_set(v.get("alive"))
    parts = partition_sections(v, alive, {})
    batches = []
    for m in v.matching(r"(b\d+)"):
        text = v.get(m.group(1)) or ""
        parsed = _BATCH_RE.fullmatch(text)
        if parsed is None:
            batches.append({"name": m.group(1), "states": [], "lines": [text]})
            continue
        part, content, status, rest = parsed.groups()
        lines = [f"{part} [{content}]"] + ([rest.strip()] if rest.strip() else [])
        batches.append({"name": m.group(1), "states": [status], "lines": lines})
    conns = [{"name": m.group(0), "states": [],
              "lines": [f"in flight: {v.get(m.group(0))}"]}
             for m in v.matching(r"conn B\d+")]
    client = fact_rows(v, [m.group(0) for m in v.matching(r"(?:p\d+\.)?accumulator")])
    client += fact_rows(v, ["producer_epoch"])
    client += fact_rows(v, [m.group(0) for m in v.matching(r"p\d+\.sequence")])
    sections = [broker_section(names, alive, details=leader_lines(parts)), *parts,
                facts("Producer", client)]
    if batches:
        sections.append({"type": "cards", "title": "Producer batches", "items": batches})
    if conns:
        sections.append({"type": "cards", "title": "Producer connections (requests in "
                         "flight per broker)", "items": conns})
    return sections


_MEMBER_RE = re.compile(r"(\S+) gen (\d+) owns (\{[^}]*\})(?: pos (\S+))?(?:; (.*))?")
_SIMPLE_LOG_RE = re.compile(r"start (\d+) hw (\d+) end (\d+)")


def _simple_log(v: Vars, key: str, name: str) -> Section:
    """A partition of the group model's plain log: offsets, log start, HW and log end."""
    text = v.get(key) or ""
    m = _SIMPLE_LOG_RE.fullmatch(text)
    replica = {"broker": "log", "leader": True, "status": None, "log": None, "log_text": text,
               "hw": None, "leo": None, "flushed": None, "start": None, "notes": []}
    if m is not None:
        start, hw, end = (int(x) for x in m.groups())
        replica.update(hw=hw, leo=end, start=start, log=[
            {"offset": o, "record": f"o{o}", "epoch": None, "below_hw": o < hw,
             "deleted": o < start} for o in range(end)])
    return {"type": "partition", "title": f"Partition {name}", "leader": None, "epoch": None,
            "isr": None, "elr": None, "replicas": [replica], "facts": []}


def draw_group(v: Vars) -> list[Section]:
    """The group coordinator, each consumer, and the log they read."""
    coordinator = facts("Group coordinator", fact_rows(
        v, ["group", "members", "leader", "assignment", "committed"]))
    members = []
    for m in v.matching(r"(C\d+)"):
        text = v.get(m.group(1)) or ""
        parsed = _MEMBER_RE.fullmatch(text)
        if parsed is None:
            members.append({"name": m.group(1), "states": [text], "lines": []})
            continue
        state, gen, owns, pos, rest = parsed.groups()
        lines = [f"generation {gen}", f"owns {owns}"]
        if pos:
            lines.append(f"position {pos}")
        if rest:
            lines.append(rest)
        members.append({"name": m.group(1), "states": [state], "lines": lines})
    sections: list[Section] = [coordinator,
                               {"type": "cards", "title": "Consumers", "items": members}]
    if v.has("log.alive"):
        alive = parse_set(v.get("log.alive"))
        parts = partition_sections(v, alive, {}, base="log.")
        sections.append(broker_section(broker_names(v), alive, parse_set(v.get("log.fenced")),
                                       details=leader_lines(parts)))
        sections.extend(parts)
    for m in v.matching(r"(p\d+)\.log"):
        sections.append(_simple_log(v, m.group(0), m.group(1)))
    starts = fact_rows(v, [m.group(0) for m in v.matching(r"p\d+\.log_start")])
    if starts:
        sections.append(facts("Log start offsets (retention)", starts))
    ghosts = fact_rows(v, ["processed", "not owed", "duplicate", "budget"])
    if ghosts:
        sections.append(facts("What the checker remembers", ghosts,
                              note="ghost variables: processed records, owed records, the "
                              "fault budget used; no Kafka process holds them"))
    return sections
