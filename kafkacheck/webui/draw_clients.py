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


_RECORD_RE = re.compile(r"epoch (-?\d+) \(prev (-?\d+)\) (\S+) (.*)")


def draw_group_consumer(v: Vars) -> list[Section]:
    """The KIP-848 group: the coordinator's epochs, each member's record (epoch, state,
    assignment, target), and each consumer's own view (epoch, owned, response in flight)."""
    coordinator = facts("Group coordinator", fact_rows(v, ["group", "partition epochs"]))
    records = []
    for m in v.matching(r"coordinator\.(C\d+)"):
        text = v.get(m.group(0)) or ""
        parsed = _RECORD_RE.fullmatch(text)
        if parsed is None:
            records.append({"name": m.group(1), "states": [], "lines": [text]})
            continue
        epoch, previous, state, rest = parsed.groups()
        records.append({"name": m.group(1), "states": [state],
                        "lines": [f"member epoch {epoch} (previous {previous})", rest]})
    consumers = []
    for m in v.matching(r"(C\d+)"):
        text = v.get(m.group(1)) or ""
        status, _, rest = text.partition(" ")
        lines = [part.strip() for part in rest.split(";") if part.strip()]
        consumers.append({"name": m.group(1), "states": [status], "lines": lines})
    sections: list[Section] = [coordinator]
    if records:
        sections.append({"type": "cards", "title": "Members (the coordinator's records)",
                         "items": records})
    sections.append({"type": "cards", "title": "Consumers", "items": consumers})
    if v.has("committed"):  # the poll loop runs (records > 0)
        sections.append(facts("Committed offsets", fact_rows(v, ["committed"])))
        for m in v.matching(r"(\S+)\.log"):
            sections.append(_simple_log(v, m.group(0), m.group(1)))
        sections.append(facts("What the checker remembers",
                              fact_rows(v, ["processed", "not owed", "duplicate"]),
                              note="ghost variables: processed records, owed records; no "
                              "Kafka process holds them"))
    return sections


_STATUS_RE = re.compile(r"\b(STABLE|REVOKING|ASSIGNING)\b")


def draw_kip848_spec(v: Vars) -> list[Section]:
    """The KIP-848 spec: the coordinator's group, each member's record, each client, the
    messages in flight and the spec's auxiliary counters."""
    coordinator = facts("Group coordinator", fact_rows(
        v, ["group_members", "group_epoch", "group_status", "group_target_assignment",
            "group_partition_epoch"]))
    members = []
    for m in v.matching(r"group_member_state\[(\d+)\]"):
        text = v.get(m.group(0)) or ""
        status = _STATUS_RE.search(text)
        members.append({"name": f"member {m.group(1)}",
                        "states": [status.group(1)] if status else [], "lines": [text]})
    clients = []
    for m in v.matching(r"client_state\[(c\d+)\]"):
        name = m.group(1)
        text = v.get(m.group(0)) or ""
        state, _, rest = text.partition(", ")
        clients.append({"name": name, "states": [state], "lines": [
            rest, f"reconciliation: {v.get(f'client_recon_proc[{name}]')}",
            f"leave: {v.get(f'client_leave_proc[{name}]')}"]})
    return [coordinator,
            {"type": "cards", "title": "Members (coordinator's records)", "items": members},
            {"type": "cards", "title": "Clients", "items": clients},
            facts("Network", fact_rows(v, ["messages", "messages_last_discard"])),
            facts("Auxiliary variables", fact_rows(
                v, ["aux_member_id", "aux_conn_id", "aux_perturb_ctr"]),
                note="not part of the protocol: they number members, connections and "
                     "perturbations")]


def draw_transactions(v: Vars) -> list[Section]:
    """Brokers; each partition (data, __transaction_state, __consumer_offsets) with its
    replicas' logs, markers included, HW and LSO; the coordinator's transactions; each
    producer instance with what its application asked and, in the loop, its membership."""
    sections: list[Section] = [facts("Brokers", fact_rows(v, ["alive"]))]
    for m in list(v.matching(r"(\S+)\.leader")):
        pre = m.group(1)
        replicas = [r.group(0) for r in v.matching(rf"{re.escape(pre)}\.B\d+")]
        sections.append(facts(f"Partition {pre}",
                              fact_rows(v, [m.group(0), *replicas, f"{pre}.lso"])))
    txns = [m.group(0) for m in v.matching(r"txn\d+")]
    sections.append(facts("Transaction coordinator", fact_rows(v, ["coordinator", *txns])))
    instances = []
    for m in list(v.matching(r"P\d+")):
        name = m.group(0)
        text = v.get(name) or ""
        phase = text.split(" e", 1)[0]
        lines = [text] + [f"{k.group(1)}: {v.get(k.group(0))}"
                          for k in list(v.matching(rf"{name}\.(txn\d+|member|store)"))]
        instances.append({"name": name, "states": [phase], "lines": lines})
    sections.append({"type": "cards", "title": "Producer instances", "items": instances})
    extra = fact_rows(v, ["group", "delayed"])
    if extra:
        sections.append(facts("Consumer group and delayed requests", extra))
    return sections


def draw_streams(v: Vars) -> list[Section]:
    """The transactions drawing (output and changelog partitions, coordinator, instances
    with their stores) and the crash budget left."""
    sections = draw_transactions(v)
    left = fact_rows(v, ["instance crashes left"])
    if left:
        sections.append(facts("Faults left", left))
    return sections


def draw_sink(v: Vars) -> list[Section]:
    """The sink tasks' consumer group, then the external system the tasks write."""
    sections = draw_group(v)
    external = fact_rows(v, ["external table", "duplicate"])
    if external:
        sections.append(facts("External system", external))
    return sections


def draw_source(v: Vars) -> list[Section]:
    """The transactions drawing (the topic, the offsets topic, the coordinator, the task's
    producer on each worker), then the committed source offset and the crash budget left."""
    sections = draw_transactions(v)
    task = fact_rows(v, ["committed source offset", "task crashes left"])
    if task:
        sections.append(facts("Source task", task))
    return sections
