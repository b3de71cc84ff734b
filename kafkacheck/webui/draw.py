"""A state as a structured drawing: sections the page renders (cards, partitions, tables).

``drawing(model, state)`` picks the model's adapter by name and falls back to a plain table
of variables for any other model.  Section types:

* ``cards``: named items with state badges (alive, crashed, fenced, ...) and text lines;
* ``partition``: leader, epoch, ISR/ELR, and per replica the log as offset cells with
  record and epoch, HW and LEO;
* ``facts``: [name, value] rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafkacheck.model.interface import Model, State
from kafkacheck.webui.draw_clients import (
    draw_group,
    draw_group_consumer,
    draw_kip848_spec,
    draw_producer,
    draw_sink,
    draw_source,
    draw_streams,
    draw_transactions,
)
from kafkacheck.webui.draw_cluster import draw_controller, draw_kafka_spec, draw_replication
from kafkacheck.webui.draw_common import Section, Vars, facts

Adapter = Callable[[Vars], list[Section]]

ADAPTERS: dict[str, Adapter] = {
    "replication": draw_replication,
    "controller": draw_controller,
    "producer": draw_producer,
    "group": draw_group,
    "group-consumer": draw_group_consumer,
    "transactions": draw_transactions,
    "streams": draw_streams,
    "sink": draw_sink,
    "source": draw_source,
    "kafka-spec": draw_kafka_spec,
    "kip848-spec": draw_kip848_spec,
}


def variables_text(model: Model, state: State) -> dict[str, str]:
    """The state's variables as the CLI prints them (``view`` + ``format_value``)."""
    return {name: "-" if value is None else model.format_value(name, value)
            for name, value in model.view(state).items()}


def drawing(model: Model, state: State) -> dict[str, Any]:
    """The drawing of one state: {adapter, sections, problem}."""
    v = Vars(variables_text(model, state))
    adapter = ADAPTERS.get(model.name)
    problem = ""
    sections: list[Section] = []
    if adapter is not None:
        try:
            sections = adapter(v)
        except (LookupError, ValueError, TypeError, AttributeError) as exc:
            # A view this adapter does not know (a model changed its text): show the table,
            # and say so on the page instead of drawing something wrong.
            problem = f"the {model.name} drawing could not read this state ({exc!r})"
            v = Vars(v.text)
            sections = []
    rest = v.rest()
    if rest:
        title = "Variables" if not sections else "Other variables"
        sections.append(facts(title, rest))
    return {"adapter": model.name if adapter is not None and not problem else "table",
            "sections": sections, "problem": problem}
