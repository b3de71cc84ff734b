"""The classic-vs-consumer protocol comparison of the reports (`reports/protocols.md`).

Every cell comes from a run made when the page is generated: the rebalance column from
the shortest trace in which a second consumer joins a group whose first consumer owns every
partition (what each consumer gives up meanwhile), the ownership and delivery columns from
the same properties checked on both group models (``properties/delivery.py``) under the
same scenario and fault budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafkacheck.report_matrices import Row


@dataclass(frozen=True)
class Protocol:
    """One column group of the comparison: a group model with its protocol settings."""

    label: str
    model: str
    settings: Mapping[str, str]


@dataclass(frozen=True)
class Scenario:
    """One fault scenario, as bounds of each model (the faults are named differently)."""

    title: str
    classic: Mapping[str, int | str]
    consumer: Mapping[str, int | str]
    note: str = ""


PROTOCOLS = (
    Protocol("classic, eager (range)", "group", {"partition.assignment.strategy": "range"}),
    Protocol("classic, cooperative (cooperative-sticky)", "group",
             {"partition.assignment.strategy": "cooperative-sticky"}),
    Protocol("consumer (KIP-848, uniform)", "group-consumer", {}),
)
COMMON_SETTINGS = {"auto.offset.reset": "earliest", "enable.auto.commit": "false"}
COMMON_BOUNDS: dict[str, int | str] = {"commit": "sync-after-processing", "records": 1}
SCENARIOS = (
    Scenario("a consumer crashes", {"crashes": 1, "partitions": 1},
             {"crashes": 1, "partitions": 1}),
    Scenario("a consumer is paused past its session", {"pauses": 1, "partitions": 1},
             {"pauses": 1, "partitions": 1}),
    Scenario("a consumer is slow to give partitions up", {"poll_timeouts": 1, "partitions": 2},
             {"rebalance_timeouts": 1, "partitions": 2},
             note="classic: max.poll.interval.ms passes while processing (KIP-62); consumer "
             "protocol: the rebalance timeout passes before the member acknowledges a "
             "revocation"),
)
COLUMNS = ("NoTwoOwnersAtOnce", "NoConcurrentProcessing", "AtLeastOnce", "AtMostOnce")


@dataclass
class Rebalance:
    """What the shortest join of a second consumer costs the first one."""

    steps: int
    revoked: int  # partitions the first consumer gave up along the way
    kept_but_stopped: int  # of the partitions it keeps, those it stopped owning meanwhile
    trace: list[Any] = field(default_factory=list)


def _first_alone(model: Any) -> Callable[[Any], bool]:
    """C1 owns every partition and C2 has not contacted the coordinator yet."""
    full = (1 << model.p) - 1

    def holds(s: Any) -> bool:
        c1, c2 = model.consumers_of(s)[:2]
        if c1.owned != full or c2.owned:
            return False
        if model.name == "group":
            from kafkacheck.model.clients.group import MSTABLE, STABLE, UNJOINED

            return (s.group_state == STABLE and c1.status == MSTABLE
                    and c2.status == UNJOINED and not s.members >> 1 & 1)
        from kafkacheck.model.clients.group_consumer import NONE
        from kafkacheck.model.clients.group_consumer import STABLE as RECORD_STABLE

        r1 = s.records[0]
        return (not s.records[1].present and c2.reply == NONE and c1.target == c1.owned
                and r1.state == RECORD_STABLE and r1.epoch == s.assignment_epoch
                and s.group_epoch == s.assignment_epoch and c1.epoch == r1.epoch)
    return holds


def _shared(model: Any) -> Callable[[Any], bool]:
    """Both consumers own one partition each and the group is settled."""

    def holds(s: Any) -> bool:
        c1, c2 = model.consumers_of(s)[:2]
        if c1.owned.bit_count() != 1 or c2.owned.bit_count() != 1:
            return False
        if model.name == "group":
            from kafkacheck.model.clients.group import MSTABLE, STABLE

            return s.group_state == STABLE and c1.status == c2.status == MSTABLE
        from kafkacheck.properties.group_consumer import converged

        return converged(model, s)
    return holds


def _shortest(model: Any, goal: Callable[[Any], bool]) -> Any:
    """The shortest trace from the model's initial states to a state satisfying goal."""
    from kafkacheck.explorer.bfs import breadth_first
    from kafkacheck.explorer.checks import PropertySet
    from kafkacheck.properties.base import always

    prop = always("Goal", "the goal is never reached", lambda s: not goal(s))
    result = breadth_first(model, propset=PropertySet([prop], [prop], [], [], []),
                           stop_at_first=True)
    violation = result.violation("Goal")
    if violation is None:
        raise RuntimeError(f"{model.name}: the rebalance scenario is unreachable")
    return violation.trace


def measure_rebalance(protocol: Protocol) -> Rebalance:
    """Join a second consumer to a group whose first consumer owns both partitions."""
    from kafkacheck.testing import make_model

    model = make_model(protocol.model, {**COMMON_SETTINGS, **protocol.settings},
                       consumers=2, partitions=2, records=0, commit="none")
    first = _shortest(model, _first_alone(model))
    start = first.steps[-1].state
    cls = type(model)
    again = type(f"From{cls.__name__}", (cls,), {"init_states": lambda self: [start]})
    then = _shortest(again(model.config), _shared(model))
    owned = [model.consumers_of(step.state)[0].owned for step in then.steps]
    revoked = sum((a & ~b).bit_count() for a, b in zip(owned, owned[1:], strict=False))
    kept = owned[0] & owned[-1]
    stopped = 0
    for mask in owned:
        stopped |= kept & ~mask
    return Rebalance(len(then.actions), revoked, stopped.bit_count(), list(then.actions))


def rebalance_cell(r: Rebalance) -> str:
    """The rebalance column's text."""
    style = ("stop-the-world: C1 stops consuming the partition it keeps"
             if r.kept_but_stopped else "incremental: C1 keeps consuming the partition it keeps")
    return f"{style}; C1 gives up {r.revoked} partition(s) in {r.steps} steps"


def comparison_rows() -> list[tuple[Scenario, Protocol, Row]]:
    """Every (scenario, protocol) run of the comparison, as report rows."""
    out = []
    for scenario in SCENARIOS:
        for protocol in PROTOCOLS:
            bounds = scenario.classic if protocol.model == "group" else scenario.consumer
            row = Row(protocol.model, {**COMMON_SETTINGS, **protocol.settings},
                      {**COMMON_BOUNDS, "consumers": 2, **bounds})
            out.append((scenario, protocol, row))
    return out


def result_row(scenario: Scenario, protocol: Protocol, rr: Any) -> str:
    """One row of the ownership and delivery table, from a report RowResult."""
    cells = []
    for name in COLUMNS:
        cell = rr.cells[name]
        if cell.verdict == "violated":
            cells.append(f"❌ violated ({cell.steps} steps)")
        elif cell.verdict == "holds":
            # as in the matrices: a holds beside a fault that never fired says so
            never = getattr(rr, "never_injected", ())
            cells.append("✅ holds" + (f" (never injected: {', '.join(never)})" if never else ""))
        else:
            cells.append(f"⚠️ {cell.verdict}")
    return (f"| {scenario.title} | {protocol.label} | " + " | ".join(cells)
            + f" | {rr.distinct:,} |")


def protocols_markdown(stamp: str, version: str, results: list[Any]) -> str:
    """The comparison page; ``results`` are the report's RowResults of COLUMNS on
    ``comparison_rows()``, in that order."""
    lines = ["# Classic vs consumer group protocol (KIP-848)", "",
             f"Generated on {stamp} by kafkacheck {version}; every cell is a run made then.",
             "", "## Rebalancing: what a member join costs the members already there", "",
             "Two partitions; C1 owns both, then C2 joins. The shortest run to a settled "
             "group where each owns one partition, and what C1 gives up on the way.", "",
             "| protocol | model | rebalance | shortest trace |", "|---|---|---|---|"]
    lines += rebalance_rows()
    lines += ["", "## Ownership and delivery under the same faults", "",
              "Two consumers, one record, commitSync after processing "
              f"(`{' '.join(f'--set {k}={v}' for k, v in COMMON_SETTINGS.items())}`); "
              "each row one fault. A violated cell gives its shortest counterexample's "
              "length.", "",
              "| scenario | protocol | " + " | ".join(COLUMNS) + " | states |",
              "|---|---|" + "---|" * (len(COLUMNS) + 1)]
    notes = []
    for (scenario, protocol, _), rr in zip(comparison_rows(), results, strict=True):
        lines.append(result_row(scenario, protocol, rr))
        if scenario.note and scenario.note not in notes:
            notes.append(scenario.note)
    lines += ["", *[f"- {scenario_note}" for scenario_note in notes], "",
              "Reproduce a row:", ""]
    lines += [f"- {scenario.title}, {protocol.label}: `{row.command()}`"
              for scenario, protocol, row in comparison_rows()]
    lines.append("")
    return "\n".join(lines)


def rebalance_rows() -> list[str]:
    """The rebalance table's rows, one per protocol (measured now)."""
    out = []
    for protocol in PROTOCOLS:
        r = measure_rebalance(protocol)
        trace = " → ".join(" ".join(str(x) for x in a) for a in r.trace)
        out.append(f"| {protocol.label} | `{protocol.model}` | {rebalance_cell(r)} | {trace} |")
    return out
