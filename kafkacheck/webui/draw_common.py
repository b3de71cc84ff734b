"""Pieces every drawing adapter uses: the state's variables as text, and parsers for them.

Adapters read the text that ``Model.format_value`` prints for each ``Model.view`` variable
(the same text the CLI's traces show), never the state tuple, so a change in how a model
stores its state does not change the drawing.  Every variable an adapter does not draw
lands in an "other variables" table: nothing in the view is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Section = dict[str, Any]

_SET_RE = re.compile(r"^\{(.*)\}$")
# A log entry: r1@e0 (replication, controller, group's replicated log), id0@e1 (kafka-spec).
_ENTRY_RE = re.compile(r"^(r\d+|id\d+)@e(\d+)$")
# A producer-model log entry: a batch [r0 r1 e0s0]@1 (records, producer epoch/sequence, epoch).
_BATCH_RE = re.compile(r"\[([^\]]*)\]@(\d+)")
_SEQ_RE = re.compile(r"^e\d+s\d+$")


class Vars:
    """The state's variables as display text, remembering which ones a drawing used."""

    def __init__(self, text: dict[str, str]) -> None:
        self.text = text
        self.used: set[str] = set()

    def has(self, key: str) -> bool:
        """True when the view has this variable."""
        return key in self.text

    def get(self, key: str, default: str | None = None) -> str | None:
        """The variable's text (and mark it drawn), or ``default`` when absent."""
        if key not in self.text:
            return default
        self.used.add(key)
        return self.text[key]

    def matching(self, pattern: str) -> Iterator[re.Match[str]]:
        """Matches of a regular expression against the variable names, in view order."""
        regex = re.compile(pattern)
        for key in self.text:
            m = regex.fullmatch(key)
            if m is not None:
                yield m

    def rest(self) -> list[list[str]]:
        """[name, text] of every variable no section drew."""
        return [[k, v] for k, v in self.text.items() if k not in self.used]


def parse_set(text: str | None) -> list[str] | None:
    """'{B1, B3}' as ['B1', 'B3']; None when the text is not a set."""
    if text is None:
        return None
    m = _SET_RE.match(text.strip())
    if m is None:
        return None
    inner = m.group(1).strip()
    return [x.strip() for x in inner.split(",")] if inner else []


def parse_int(text: str | None) -> int | None:
    """An integer variable's text as int; None otherwise."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def parse_log(text: str | None) -> list[dict[str, Any]] | None:
    """A log's text as cells {offset, record, epoch[, extra]}; None when not a known form.

    Forms: '[r1@e0, r2@e1]', '[id0@e1]', '[]', and the producer model's batches
    '[r0 r1 e0s0]@1 [r2]@1' or 'empty'.
    """
    if text is None:
        return None
    text = text.strip()
    if text in ("[]", "empty"):
        return []
    if "]@" in text:
        cells = []
        for offset, m in enumerate(_BATCH_RE.finditer(text)):
            words = m.group(1).split()
            extra = " ".join(w for w in words if _SEQ_RE.match(w))
            records = " ".join(w for w in words if not _SEQ_RE.match(w))
            cell = {"offset": offset, "record": records, "epoch": m.group(2)}
            if extra:
                cell["extra"] = extra
            cells.append(cell)
        return cells
    if not (text.startswith("[") and text.endswith("]")):
        return None
    cells = []
    for offset, item in enumerate(text[1:-1].split(",")):
        m = _ENTRY_RE.match(item.strip())
        if m is None:
            return None
        cells.append({"offset": offset, "record": m.group(1), "epoch": m.group(2)})
    return cells


def log_text(cells: list[dict[str, Any]]) -> str:
    """Cells back to '[r1@e0, r2@e1]' (what tests compare with the model's text)."""
    return "[" + ", ".join(f"{c['record']}@e{c['epoch']}" for c in cells) + "]"


def facts(title: str, rows: list[list[str]], note: str = "") -> Section:
    """A table of variables: [name, value] rows."""
    return {"type": "facts", "title": title, "rows": rows, "note": note}


def fact_rows(v: Vars, keys: list[str]) -> list[list[str]]:
    """[name, text] rows of the variables present among ``keys``."""
    return [[k, v.get(k) or ""] for k in keys if v.has(k)]


def broker_section(names: list[str], alive: list[str] | None, fenced: list[str] | None = None,
                   isolated: list[str] | None = None, details: dict[str, list[str]] | None = None,
                   title: str = "Brokers") -> Section:
    """Broker cards: alive or crashed, fenced by the controller, cut off by a partition."""
    items = []
    for name in names:
        states = []
        if alive is not None:
            states.append("alive" if name in alive else "crashed")
        if fenced is not None and name in fenced:
            states.append("fenced")
        if isolated is not None and name in isolated:
            states.append("isolated")
        items.append({"name": name, "states": states, "lines": (details or {}).get(name, [])})
    return {"type": "cards", "title": title, "items": items}


def partition_section(v: Vars, pre: str, title: str, alive: list[str] | None,
                      notes: dict[str, list[str]] | None = None) -> Section:
    """One partition: leader, epoch, ISR/ELR and each replica's log with HW and LEO.

    ``pre`` is the variables' prefix ('', 'p1.', 'log.'); replicas are the ``B<n>.log``
    variables under it.
    """
    leader = v.get(f"{pre}leader")
    replicas = []
    names = [m.group(1) for m in v.matching(re.escape(pre) + r"(B\d+)\.log")]
    for name in names:
        text = v.get(f"{pre}{name}.log")
        cells = parse_log(text)
        hw = parse_int(v.get(f"{pre}{name}.hw"))
        replicas.append({
            "broker": name,
            "leader": name == leader,
            "status": None if alive is None else ("alive" if name in alive else "crashed"),
            "log": cells,
            "log_text": text,
            "hw": hw,
            "leo": None if cells is None else len(cells),
            "flushed": parse_int(v.get(f"{pre}{name}.flushed")),
            "notes": (notes or {}).get(name, []),
        })
    mark_cells(replicas)
    section: Section = {
        "type": "partition", "title": title, "leader": leader,
        "epoch": v.get(f"{pre}leader_epoch"), "isr": parse_set(v.get(f"{pre}isr")),
        "elr": parse_set(v.get(f"{pre}elr")), "replicas": replicas,
    }
    return section


def mark_cells(replicas: list[dict[str, Any]]) -> None:
    """Mark cells below each replica's HW, and cells that differ from the leader's log."""
    lead = next((r for r in replicas if r["leader"] and r["log"] is not None), None)
    for r in replicas:
        if r["log"] is None:
            continue
        for cell in r["log"]:
            cell["below_hw"] = r["hw"] is not None and cell["offset"] < r["hw"]
            if lead is not None and r is not lead:
                other = lead["log"][cell["offset"]] if cell["offset"] < len(lead["log"]) else None
                cell["diverges"] = other is not None and (
                    (other["record"], other["epoch"]) != (cell["record"], cell["epoch"]))


def ghost_section(v: Vars, pre: str, keys: tuple[str, ...], title: str) -> Section | None:
    """The checker's bookkeeping variables (Kafka keeps no such record)."""
    rows = fact_rows(v, [f"{pre}{k}" for k in keys])
    if not rows:
        return None
    return facts(title, rows, note="ghost variables: what the checker remembers to judge "
                 "the properties; no Kafka process holds them")


def partition_prefixes(v: Vars, base: str = "") -> list[str]:
    """The partitions' prefixes: [''] for one partition, ['p0.', 'p1.'] for several."""
    return [base + (m.group(1) or "") for m in v.matching(re.escape(base) + r"(p\d+\.)?leader")]


def partition_title(pre: str) -> str:
    """'Partition p1' from the prefix 'p1.' ('Partition p0' for the only one)."""
    m = re.search(r"(p\d+)\.$", pre)
    return f"Partition {m.group(1) if m else 'p0'}"
