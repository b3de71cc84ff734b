"""What the page asks of a model: states along a path, enabled actions, properties, traces.

The server keeps no per-page state: a page names a state by its path (an initial state's
index and the action labels from it), and every answer is computed by replaying that path
with ``explorer.trace.replay``, the same replay ``kafkacheck replay`` uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kafkacheck.config import UsageError
from kafkacheck.explorer.render import power_loss_text, setting_lines, trace_lines
from kafkacheck.explorer.result import Trace, action_text
from kafkacheck.explorer.trace import ReplayError, diff, replay
from kafkacheck.model.interface import Action, Model, State
from kafkacheck.properties.base import Property
from kafkacheck.webui.draw import drawing

NOT_ON_ONE_STATE = "not evaluated on a single state"
_STEP_START = re.compile(r"^\s*\d+\. ")


def label_of(data: Any) -> Action:
    """An action label from JSON (lists back to tuples, at every depth)."""
    if isinstance(data, list):
        return tuple(label_of(x) for x in data)
    return data


def label_json(action: Action) -> list[Any]:
    """An action label as JSON (tuples as lists)."""
    return [label_json(x) if isinstance(x, tuple) else x for x in action]


@dataclass(frozen=True)
class Limits:
    """The default limits of "search from here" (the page may lower or raise them)."""

    max_states: int = 200_000
    max_seconds: float = 30.0


@dataclass
class Explorer:
    """One model bound to one configuration, as the page explores it."""

    model: Model
    counterexamples: list[dict[str, Any]] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    focus: tuple[str, ...] = ()  # the preset's properties: preselected in "search from here"
    source: str = ""  # the model or preset name the user typed

    def __post_init__(self) -> None:
        self.inits: list[State] = list(self.model.init_states())
        self.properties: list[Property] = list(self.model.properties())

    # -- paths --------------------------------------------------------------------------

    def path_trace(self, init: int, labels: Sequence[Any]) -> Trace:
        """The trace of a path; UsageError when the path does not replay."""
        if not _is_int(init) or not 0 <= init < len(self.inits):
            raise UsageError(f"no initial state {init!r} (the model has {len(self.inits)})")
        if not isinstance(labels, list | tuple):
            raise UsageError(f"the path must be a list of action labels, not {labels!r:.60}")
        try:
            return replay(self.model, [label_of(x) for x in labels], self.inits[init])
        except ReplayError as exc:
            raise UsageError(f"the path does not replay: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise UsageError(f"not an action label: {exc}") from None

    # -- answers to the page ------------------------------------------------------------

    def describe_model(self) -> dict[str, Any]:
        """What the page shows once: the model, its configuration, properties, traces."""
        model, cfg = self.model, self.model.config
        shown = [k for k in model.key_settings if k in cfg.kafka] or list(cfg.kafka)
        # The power-loss WARNING of the configuration's faults (a search's own says which of
        # them fired), as `check` prints it beside its verdicts.
        warning = power_loss_text(model, model.fault_model())
        return {
            "name": model.name,
            "source": self.source or model.name,
            "kafka_version": cfg.kafka_version,
            "summary": model.summary,
            "settings": {k: v for k, v in cfg.kafka_text().items() if k in shown},
            "other_settings": {k: v for k, v in cfg.kafka_text().items()
                               if k not in shown and k in cfg.explicit},
            "bounds": {k: str(v) for k, v in cfg.bounds.items()},
            "faults": model.fault_model().text(),
            "not_covered": cfg.uncovered_text(),
            # `check`'s header lines: accepted but not modelled, WARNING, NOT COVERED.
            "setting_lines": setting_lines(model, cfg.uncovered),
            "warnings": [warning] if warning else [],
            "notes": model.notes(),
            "participants": list(model.participants()),
            "initial_states": len(self.inits),
            "properties": [{"name": p.name, "kind": p.kind, "statement": p.statement,
                            "step": p.is_step} for p in self.properties],
            "focus": list(self.focus),
            "counterexamples": self.counterexamples,
            "limits": {"max_states": self.limits.max_states,
                       "max_seconds": self.limits.max_seconds},
        }

    def describe(self, init: int, labels: Sequence[Any], at: int | None = None) -> dict[str, Any]:
        """The state at step ``at`` of a path (its end by default), and the whole path."""
        trace = self.path_trace(init, labels)
        at = step_at(trace, at)
        state = trace.steps[at].state
        return {
            "init": init,
            "at": at,
            "length": len(trace),
            "path": [label_json(a) for a in trace.actions],
            "drawing": drawing(self.model, state),
            "actions": self.actions(state),
            "properties": self.evaluate(_prefix(trace, at)),
            "steps": step_blocks(self.model, trace),
            "messages": self.messages(trace),
        }

    def actions(self, state: State) -> list[dict[str, Any]]:
        """The enabled actions, each with what it would change (the hover preview)."""
        model = self.model
        invariants = [p for p in self.properties if p.kind == "always" and p.holds is not None
                      and p.holds(state)]
        steps = [p for p in self.properties if p.step is not None]
        out = []
        for action, nxt in model.successors(state):
            msg = model.message(action, state, nxt)
            # What this step newly breaks (an invariant already false here is not news).
            breaks = [p.name for p in invariants if not p.holds(nxt)]  # type: ignore[misc]
            breaks += [p.name for p in steps if not p.step(state, action, nxt)]  # type: ignore[misc]
            out.append({
                "label": label_json(action),
                "text": action_text(action),
                "message": {"source": msg.source, "target": msg.target, "text": msg.text},
                "changes": change_rows(model, diff(model, state, nxt)),
                "violates": breaks,
                "within_bounds": model.within_bounds(nxt),
            })
        return out

    def evaluate(self, trace: Trace) -> list[dict[str, Any]]:
        """Each property on the current state (or last step), with the story when false."""
        out = []
        for prop in self.properties:
            entry: dict[str, Any] = {"name": prop.name, "kind": prop.kind,
                                     "statement": prop.statement}
            if prop.kind != "always":
                entry.update(status="not-evaluated", text=NOT_ON_ONE_STATE)
            elif prop.step is not None and len(trace) == 0:
                entry.update(status="not-evaluated", text="a step property: no step taken yet")
            else:
                ok = _holds_at(prop, trace, len(trace))
                first = next((i for i in range(len(trace) + 1)
                              if (prop.step is None or i > 0) and not _holds_at(prop, trace, i)),
                             None)
                if ok:
                    where = "the last step keeps it" if prop.step is not None else \
                        "true in this state"
                    entry.update(status="true", text=where)
                else:
                    where = "the last step breaks it" if prop.step is not None else \
                        "false in this state"
                    entry.update(status="false", text=where,
                                 why=prop.story(self.model, _prefix(trace, len(trace))))
                if first is not None and first < len(trace):
                    entry["earlier"] = first
            out.append(entry)
        return out

    def messages(self, trace: Trace) -> list[dict[str, Any]]:
        """The path as sequence-diagram messages (``Model.message``, as in Mermaid output)."""
        out = []
        for before, step in zip(trace.steps, trace.steps[1:], strict=False):
            assert step.action is not None
            msg = self.model.message(step.action, before.state, step.state)
            out.append({"step": step.index, "source": msg.source, "target": msg.target,
                        "text": msg.text})
        return out


def _is_int(value: Any) -> bool:
    """An integer from JSON: true and false are not steps or indexes."""
    return isinstance(value, int) and not isinstance(value, bool)


def step_at(trace: Trace, at: Any) -> int:
    """Step ``at`` of a path (its end when None); UsageError when there is no such step."""
    if at is None:
        return len(trace)
    if not _is_int(at) or not 0 <= at <= len(trace):
        raise UsageError(f"no step {at!r:.60} on a path of {len(trace)} steps")
    return int(at)


def _prefix(trace: Trace, n: int) -> Trace:
    """The first ``n`` steps of a trace."""
    return Trace(trace.steps[: n + 1])


def _holds_at(prop: Property, trace: Trace, i: int) -> bool:
    """An always-property at step ``i``: the state invariant, or the step into it."""
    step = trace.steps[i]
    if prop.holds is not None:
        return bool(prop.holds(step.state))
    assert prop.step is not None and i > 0 and step.action is not None
    return bool(prop.step(trace.steps[i - 1].state, step.action, step.state))


def change_rows(model: Model, changes: dict[str, tuple]) -> list[list[str]]:
    """[name, old, new] rows of a diff, as the CLI prints values."""
    def text(name: str, value: Any) -> str:
        return "-" if value is None else model.format_value(name, value)

    return [[k, text(k, old), text(k, new)] for k, (old, new) in changes.items()]


def step_blocks(model: Model, trace: Trace) -> list[str]:
    """The CLI's numbered step list (``render.trace_lines``), one text block per step."""
    blocks: list[list[str]] = []
    for line in trace_lines(model, trace):
        if _STEP_START.match(line) or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return ["\n".join(b) for b in blocks]
