"""Results a person can read: numbered steps, Mermaid sequence diagrams, and JSON."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from kafkacheck import __version__
from kafkacheck.explorer.result import CheckResult, Trace, Violation, action_text
from kafkacheck.model.interface import POWER_LOSS, PROCESS_CRASH, FaultModel, Model
from kafkacheck.model.settings import (
    TIMEOUT_FAULTS,
    brings_fault_in,
    fault_bound,
    names_custom_class,
    render_uncovered,
    setting_of,
    unexplored_fault,
)
from kafkacheck.properties.base import Property

_MERMAID_UNSAFE = str.maketrans({";": ",", "#": "no. ", "\n": " ", ":": " "})


def _value(model: Model, name: str, value: Any) -> str:
    return "-" if value is None else model.format_value(name, value)


def trace_lines(model: Model, trace: Trace) -> list[str]:
    """The trace as numbered steps, each with its action and the variables it changed."""
    lines = []
    for step in trace.steps:
        marker = "  (loop starts here)" if trace.loop_start == step.index else ""
        lines.append(f"{step.index:>3}. {action_text(step.action)}{marker}")
        for name, (old, new) in step.changes.items():
            if step.action is None:
                lines.append(f"       {name} = {_value(model, name, new)}")
            else:
                lines.append(
                    f"       {name}: {_value(model, name, old)} -> {_value(model, name, new)}"
                )
    if trace.loop_start is not None and trace.loop_start == len(trace):
        lines.append(f"  ... and stays at step {trace.loop_start} forever: no weakly fair "
                     "action is enabled there")
    elif trace.loop_start is not None:
        lines.append(f"  ... and back to step {trace.loop_start}, forever")
    return lines


def mermaid(model: Model, trace: Trace, title: str = "") -> str:
    """A Mermaid sequenceDiagram of the trace (renders in GitHub Markdown)."""
    out = ["sequenceDiagram"]
    if title:
        out.append(f"    title {title.translate(_MERMAID_UNSAFE)}")
    for actor in model.participants():
        out.append(f"    participant {actor}")
    prev = None
    for step in trace.steps:
        if step.action is None:
            prev = step.state
            continue
        msg = model.message(step.action, prev, step.state)
        text = f"{step.index}. {msg.text}".translate(_MERMAID_UNSAFE)
        if msg.source == msg.target:
            out.append(f"    Note over {msg.source}: {text}")
        else:
            out.append(f"    {msg.source}->>{msg.target}: {text}")
        if trace.loop_start is not None and step.index == trace.loop_start:
            out.append(f"    Note over {model.participants()[0]}: loop starts")
        prev = step.state
    return "\n".join(out)


def not_covered_text(result: CheckResult) -> str:
    """Why the run is not covered: each setting, the value asked for and what it changes."""
    return uncovered_text(result.model, result.uncovered_settings)


def uncovered_text(model: Model, uncovered: Mapping[str, Any]) -> str:
    """Each semantics-changing setting of ``uncovered`` the model does not cover, with the
    value asked for and what it changes (the NOT COVERED lines of `check` and `explore`)."""
    parts = []
    for name, value in uncovered.items():
        setting = setting_of(name)
        reason = _unexplored_fault_reason(model, name, value) \
            or model.uncovered_reason(name, value)
        if reason is None and names_custom_class(value):
            reason = "a class of your own, which the model does not run"
        if setting is None:  # a key of the catalogue alone (group.max.size)
            parts.append(f"{name}={value} ({reason or 'value not modelled'})")
            continue
        roles = " and ".join(setting.semantics)
        if reason or name in model.settings:
            why = reason or "value not modelled"
        elif setting.name in model.settings:  # a prefixed key: set the model's own
            why = f"not the {setting.name} the model runs; set {setting.name} itself"
        else:
            why = f"changes {roles} semantics the model does not model"
        parts.append(f"{name}={setting.render(value)} ({why})")
    return ", ".join(parts)


def _unexplored_fault_reason(model: Model, name: str, value: Any) -> str | None:
    """Why a value that brings a fault this run leaves out is not covered, with the bound
    that explores it where the model has one (unexplored_fault); and a topic file's
    partition count other than the run's."""
    if name in ("partitions", "num.partitions") and "partitions" in model.config.bounds:
        top = next((b.maximum for b in model.bounds if b.name == "partitions"), None)
        fits = top is None or int(str(value).strip()) <= top
        whose = "topic's" if name == "partitions" else "brokers' default"
        return (f"the {whose} partition count; this run explores "
                f"partitions={model.config.bounds['partitions']}: "
                + (f"rerun with --bound partitions={str(value).strip()}" if fits else
                   f"the model explores up to {top}"))
    found = unexplored_fault(name, value, model.config.bounds, model.config.version)
    if found is None:
        return None
    bound, fault = found
    if bound in model.config.bounds:
        return (f"it brings a fault, {fault}, this run does not explore: rerun with "
                f"--bound {bound}=1")
    return f"it brings a fault, {fault}, that this model does not explore"


def _process_crash_faults(model: Model) -> set[str]:
    """The faults of ``model`` that crash a broker's process and keep its page cache:
    PROCESS_CRASH, and in a model that cannot express power loss at all (its fault model
    lists it as not modelled) the fault of its crash budget, the bound ``crashes``: there
    every crash keeps the page cache (the controller model's "node process crash")."""
    faults = {PROCESS_CRASH}
    if POWER_LOSS in model.faults_not_modelled:
        faults.update(b.fault for b in model.bounds if b.name == "crashes" and b.fault)
    return faults


def _crashed_processes(result: CheckResult) -> bool:
    """Whether the run explored a crash that keeps the page cache."""
    return _crashes_processes(result.model, result.fault_model)


def _crashes_processes(model: Model, faults: FaultModel) -> bool:
    """Whether ``faults`` explores a crash of ``model`` that keeps the page cache."""
    crashes = _process_crash_faults(model)
    return any(name in crashes for name, _ in faults.explored)


def process_crashes_only(result: CheckResult) -> bool:
    """Whether the run crashed brokers (or nodes) only as processes: its "holds" says
    nothing about a power failure (power_loss_warning then warns)."""
    return power_loss_warning(result) is not None and _crashed_processes(result)


def power_loss_warning(result: CheckResult) -> str | None:
    """A loud line when a replication-safety verdict was reached without power loss (the
    fault acks=all users most often forget), else None."""
    return power_loss_text(result.model, result.fault_model)


def power_loss_text(model: Model, faults: FaultModel) -> str | None:
    """The power-loss WARNING for verdicts of ``model`` under ``faults`` (a run's, or the
    configuration's before any run, as `explore` shows it), else None."""
    if POWER_LOSS not in faults.not_explored:
        return None
    if "crash_kind" not in {b.name for b in model.bounds}:
        hint = ("this model cannot express it; the replication and producer models can "
                "(with their bound crash_kind=any)")
    elif PROCESS_CRASH in faults.not_explored:
        hint = "rerun with --bound crashes=1 --bound crash_kind=any"
    else:
        hint = "rerun with --bound crash_kind=any"
    covers = ("process crashes only (the page cache survives)"
              if _crashes_processes(model, faults) else "no broker crash at all")
    return (f"WARNING: power loss was NOT explored: this verdict covers {covers}. Kafka does "
            "not fsync each write by default (flush.messages), so a power failure can lose "
            f"acknowledged writes; {hint}.")


def fault_lines(result: CheckResult) -> list[str]:
    """The fault model the verdict is relative to, then the power-loss warning if any."""
    warning = power_loss_warning(result)
    return [result.fault_model.text(), *([warning] if warning else [])]


def summary_line(result: CheckResult) -> str:
    """One line: verdict, bounds and counts (never 'holds' without bounds, nor while a
    selected property went unchecked)."""
    verdict = result.result
    # Under symmetry the counts are of classes: say so beside them.
    classes = f" (symmetry: {result.symmetry})" if result.symmetry else ""
    counts = (
        f"{result.distinct_states:,} distinct states{classes}, "
        f"{result.generated_states:,} generated, depth {result.depth}, {result.seconds:.2f}s"
    )
    if result.resumed:  # two processes made the run: say so where its verdict is
        counts += f"; {result.resumed}"
    unchecked = ", ".join(result.unchecked())
    if result.uncovered_settings:
        extra = "" if result.complete else f"; search stopped: {result.stop_reason}"
        if unchecked:
            extra += f"; not checked: {unchecked}"
        return (f"NOT COVERED: {not_covered_text(result)}; no verdict until the model covers "
                f"it ({counts}{extra})")
    if verdict == "holds":
        faultless = "" if result.fault_model.explored else ", with no fault injected"
        return (f"HOLDS within the bounds{faultless} ({counts}; exploration complete; "
                f"{fingerprint_text(result)})")
    if verdict == "violated":
        names = ", ".join(v.name for v in result.violations)
        extra = "" if result.complete else f"; search stopped: {result.stop_reason}"
        if unchecked:
            extra += f"; not checked: {unchecked}"
        return f"VIOLATED: {names} ({counts}{extra})"
    if verdict == "never reached":
        names = ", ".join(v.name for v in result.unreached)
        vacuous = f"; not checked: {unchecked_text(result)}" if unchecked else ""
        return (f"NEVER REACHED: {names} (no reachable state satisfies these sometimes-"
                f"properties: a coverage finding, not a violation; the other properties' "
                f"verdicts may be vacuous) ({counts}; exploration complete{vacuous})")
    if result.complete and unchecked:
        return (f"INCOMPLETE: not checked: {unchecked_text(result)} ({counts}); the run "
                "as a whole is not verified")
    if not result.proves:
        cut = "" if result.stop_reason in ("", "walks done") else f"; {result.stop_reason}"
        return (f"INCOMPLETE: {result.engine} found no violation ({counts}{cut}); a random "
                "search never proves a property")
    return f"INCOMPLETE: {result.stop_reason} ({counts}); no property is verified"


def unchecked_text(result: CheckResult) -> str:
    """The properties left unchecked, grouped by why (an engine that cannot check their
    kind, or bounds under which they cannot fail)."""
    by_reason: dict[str, list[str]] = {}
    for name, why in result.unchecked().items():
        by_reason.setdefault(why, []).append(name)
    return "; ".join(f"{', '.join(names)} ({why})" for why, names in by_reason.items())


def fingerprint_text(result: CheckResult) -> str:
    """The chance that a fingerprint collision hid a state, as TLC reports it."""
    p = result.collision_probability
    if p is None:
        return "fingerprint collision probability not computed"
    return f"fingerprint collision probability {p:.1e}"


def settings_lines(model: Model) -> list[str]:
    """The settings a run's header shows: the model's key settings, the others given, and
    the values Kafka puts in force over what was given or defaulted."""
    from kafkacheck.config import overridden_settings

    cfg = model.config
    shown = [k for k in model.key_settings if k in cfg.kafka] or list(cfg.kafka)
    lines = []
    settings = ", ".join(f"{k}={v}" for k, v in cfg.kafka_text().items() if k in shown)
    if settings:
        lines.append(f"settings: {settings}")
    others = [f"{k}={v}" for k, v in cfg.kafka_text().items()
              if k not in shown and k in cfg.explicit]
    if others:
        lines.append(f"other settings: {', '.join(others)}")
    for key, (given, effective) in overridden_settings(model).items():
        # a value not covered is run as the default, said in the NOT COVERED line
        how = "default" if key not in cfg.explicit or key in cfg.uncovered else "given"
        lines.append(f"in effect: {key}={effective} ({how}: {given})")
    return lines


def bounds_line(model: Model) -> str:
    """The bounds a run explored, as its header shows them."""
    bounds = ", ".join(f"{k}={v}" for k, v in model.config.bounds.items())
    return f"bounds: {bounds or 'none'}"


def text_report(result: CheckResult, *, diagrams: bool = True) -> str:
    """The full human-readable result of a run."""
    model = result.model
    cfg = model.config
    lines = [f"kafkacheck {__version__} - model {model.name} ({result.engine}), "
             f"{model.subject or f'Kafka {cfg.kafka_version}'}"]
    lines.extend(settings_lines(model))
    lines.extend(setting_lines(model, result.uncovered_settings))
    lines.append(bounds_line(model))
    for note in model.notes():
        lines.append(f"note: {note}")
    if result.symmetry:
        lines.append(f"symmetry: {result.symmetry} - {model.symmetry_note}; the state "
                     "counts are of classes")
    lines.append("")
    for prop in result.properties:
        verdict = result.verdict(prop)
        lines.append(f"  [{verdict:^13}] {prop.name} ({prop.kind}): {prop.statement}")
    for prop in result.properties:
        if prop.kind == "eventually":
            lines.append(f"  fairness of {prop.name}: {fairness_text(prop)}")
    lines.append("")
    for violation in [*result.violations, *result.unreached]:
        lines.extend(violation_lines(model, violation, diagrams=diagrams))
        lines.append("")
    lines.extend(model_error_lines(result))
    for name, why in result.unchecked().items():
        lines.append(f"not checked: {name}: {why}")
    lines.extend(result.notes)
    # A search counts every transition of the states it explored; random walks count the
    # steps they took, so an action they never took may well have been enabled.
    counted, missing = ("transitions", "enabled") if result.proves else ("steps taken", "taken")
    if result.proves and not result.complete:  # a stopped search saw only part of the graph
        missing = "enabled in the states explored (the search stopped early)"
    top = sorted(result.coverage.items(), key=lambda kv: (-kv[1], kv[0]))
    if top:
        cov = ", ".join(f"{name} {count:,}" for name, count in top)
        lines.append(f"action coverage ({counted}): {cov}")
    never = [a for a in model.action_families() if a not in result.coverage]
    if never and result.distinct_states:
        lines.append(f"actions never {missing}: {', '.join(never)}")
    lines.append(summary_line(result))
    lines.extend(fault_lines(result))
    return "\n".join(lines)


def model_error_lines(result: CheckResult) -> list[str]:
    """What the model raised, if it did: the line, the trace to the state being expanded,
    and the traceback with KAFKACHECK_DEBUG=1."""
    error = result.model_error
    if error is None:
        return []
    lines = [f"model error: {error.text()}"]
    if error.trace is not None:
        lines.extend(trace_lines(result.model, error.trace))
    if os.environ.get("KAFKACHECK_DEBUG") and error.detail:
        lines.append(error.detail.rstrip())
    return [*lines, ""]


def not_modelled_lines(model: Model, uncovered: Mapping[str, Any]) -> list[str]:
    """Settings given that the model accepts but does not model: those of no effect on its
    verdicts, and those that bring a fault (a WARNING when this run's bounds leave it out).
    ``uncovered`` (settings that make the run NOT COVERED) are named elsewhere."""
    cfg = model.config
    lines = []
    quiet = sorted(k for k in set(cfg.not_modelled) - set(uncovered)
                   if not model.reads_client_key(k))
    # A retention of -1 deletes nothing: only other values bring the fault (brings_fault).
    brings = {k: fault_bound(k, cfg.version) for k in quiet}
    given = {k: cfg.setting(k) for k in cfg.explicit}
    faulty = {k: fault for k, fault in brings.items()
              if fault is not None and brings_fault_in(k, cfg.not_modelled[k], given)}
    timed = [k for k in quiet if k not in faulty and _timeout_fault(model, k)]
    quiet = [k for k in quiet if k not in faulty and k not in timed]
    if quiet:
        lines.append(f"accepted but not modelled: {', '.join(quiet)} (no effect on these "
                     "verdicts)")
    for key, (bound, fault) in faulty.items():
        if bound not in cfg.bounds:
            lines.append(f"accepted, not modelled: {key} (it brings a fault, {fault}, that "
                         "this model does not explore)")
        elif cfg.bounds[bound]:
            lines.append(f"accepted: {key} (its value is not modelled; the fault it brings "
                         f"is explored whatever it is: {bound}={cfg.bounds[bound]})")
        else:
            lines.append(f"WARNING: {key} brings a fault this run does not explore "
                         f"({bound}=0): rerun with --bound {bound}=1")
    # Timeouts: those the model does not read first, then those it reads (whose line is
    # only the WARNING: the model's own notes say how it reads them).
    read = sorted(k for k in cfg.explicit if (k in cfg.kafka or model.reads_client_key(k))
                  and _timeout_fault(model, k))
    for key, modelled in [*((k, False) for k in timed), *((k, True) for k in read)]:
        bound, fault = _timeout_fault(model, key) or ("", "")
        if bound in cfg.bounds and _unexplored(cfg.bounds[bound]):
            lines.append(f"WARNING: {key} times a fault this run does not explore ({fault}; "
                         f"{bound}={cfg.bounds[bound]}): no value of it was checked; rerun "
                         f"with --bound {bound}={_explored_value(cfg.bounds[bound])}")
        elif modelled:
            continue
        elif bound not in cfg.bounds:
            lines.append(f"accepted, not modelled: {key} (it times a fault, {fault}, that "
                         "this model does not explore)")
        else:
            lines.append(f"accepted: {key} (time is not modelled; the fault it times is "
                         f"explored whatever its value: {bound}={cfg.bounds[bound]})")
    return lines


def _timeout_fault(model: Model, key: str) -> tuple[str, str] | None:
    """The bound and fault a timeout key times (TIMEOUT_FAULTS, under the model's own
    bound where it has one), given bare or under one of its client prefixes."""
    prefix = max((p for p in model.client_prefixes if key.startswith(p)), key=len,
                 default="")
    base = key[len(prefix):]
    if base not in TIMEOUT_FAULTS:
        return None
    bound, fault = TIMEOUT_FAULTS[base]
    bound = model.timeout_bounds.get(base, bound)
    return (bound, fault) if bound else None  # "": not a timeout of this model's


def _unexplored(value: Any) -> bool:
    """Whether a fault bound's value leaves its fault out: 0, or a mode's "none"
    (slow_followers=none)."""
    return not value or value == "none"


def _explored_value(value: Any) -> str:
    """The value of a fault bound that explores its fault (1, or a mode's "any")."""
    return "any" if value == "none" else "1"


def setting_lines(model: Model, uncovered: Mapping[str, Any]) -> list[str]:
    """The header lines of `check` (and `explore`) on settings the model does not model:
    not_modelled_lines, then the NOT COVERED line when ``uncovered`` is not empty."""
    lines = not_modelled_lines(model, uncovered)
    if uncovered:
        lines.append(f"NOT COVERED: {uncovered_text(model, uncovered)}; what follows is what "
                     f"the model checks instead (Kafka {model.config.kafka_version}'s default, "
                     "or the one value the model covers)")
    return lines


def fairness_text(prop: Property) -> str:
    """What an eventually property assumes of the scheduler: the weakly fair families."""
    if not prop.fairness:
        return "none assumed (every behaviour counts, however unfair)"
    return (f"weak fairness of {', '.join(prop.fairness)} (an action of these families that "
            "stays enabled is taken); no other action is forced to happen")


def violation_lines(model: Model, violation: Violation, *, diagrams: bool = True) -> list[str]:
    """A violation: what broke, the steps, the diagram and the explanation."""
    prop = violation.property
    if violation.trace is None:
        return [
            f"{prop.name} was never reached: no reachable state satisfies it "
            f"({prop.statement}); a coverage finding (the bounds may make other verdicts "
            "vacuous), not a safety violation"
        ]
    kind = "liveness" if violation.reason == "liveness" else "counterexample"
    lines = [
        f"{prop.name} violated ({prop.statement}): {kind} of {len(violation.trace)} steps",
    ]
    lines.extend(trace_lines(model, violation.trace))
    story = prop.story(model, violation.trace)
    if story:
        lines.append(f"why: {story}")
    if diagrams:
        lines.append("```mermaid")
        lines.append(mermaid(model, violation.trace, f"{prop.name} violated"))
        lines.append("```")
    return lines


def trace_json(model: Model, trace: Trace) -> list[dict[str, Any]]:
    """A trace as a list of JSON steps."""
    steps = []
    for step in trace.steps:
        steps.append({
            "step": step.index,
            "action": action_text(step.action),
            "label": list(step.action) if step.action is not None else None,
            "changes": {
                name: {"from": None if old is None else _value(model, name, old),
                       "to": _value(model, name, new)}
                for name, (old, new) in step.changes.items()
            },
        })
    return steps


def _overrides(model: Model) -> dict[str, tuple[str, str]]:
    from kafkacheck.config import overridden_settings

    return overridden_settings(model)


def exit_code(result: CheckResult) -> int:
    """The exit code of a result (``kafkacheck check``'s, and its --json's ``exit_code``):
    1 violated, 0 holds, 3 anything else (incomplete, not checked, not covered, never
    reached)."""
    return {"violated": 1, "holds": 0}.get(result.result, 3)


def result_json(result: CheckResult) -> dict[str, Any]:
    """The machine-readable result (the shape users' CI relies on)."""
    model = result.model
    cfg = model.config
    return {
        "kafkacheck": __version__,
        "model": model.name,
        "engine": result.engine,
        "kafka_version": cfg.kafka_version,
        "config": cfg.kafka_text(),
        "config_given": {k: v for k, v in cfg.kafka_text().items() if k in cfg.explicit},
        "effective_config": {**cfg.kafka_text(), **{
            k: eff for k, (_given, eff) in _overrides(model).items()}},
        "not_modelled": sorted(cfg.not_modelled),
        "not_covered": {k: render_uncovered(k, v) for k, v in result.uncovered_settings.items()},
        "bounds": dict(cfg.bounds),
        "fault_model": result.fault_model.as_json(),
        "warnings": [w for w in (power_loss_warning(result),) if w],
        "result": result.result,
        "exit_code": exit_code(result),
        "complete": result.complete,
        "stop_reason": result.stop_reason,
        "distinct_states": result.distinct_states,
        "generated_states": result.generated_states,
        "depth": result.depth,
        "seconds": round(result.seconds, 3),
        "states_per_second": round(result.states_per_second, 1),
        "symmetry": result.symmetry or None,
        "fingerprint_collision_probability": result.collision_probability,
        "not_checked": result.unchecked(),
        "never_reached": [v.name for v in result.unreached],
        "model_notes": model.notes(),
        "properties": [
            {"name": p.name, "kind": p.kind, "statement": p.statement,
             "verdict": result.verdict(p),
             **({"fairness": list(p.fairness)} if p.kind == "eventually" else {})}
            for p in result.properties
        ],
        "violations": [
            {
                "property": v.name,
                "kind": v.property.kind,
                "reason": v.reason,
                "statement": v.property.statement,
                "explanation": v.property.story(model, v.trace),
                "length": len(v.trace) if v.trace is not None else None,
                "loop_start": v.trace.loop_start if v.trace is not None else None,
                "trace": trace_json(model, v.trace) if v.trace is not None else [],
            }
            for v in result.violations
        ],
        "witnesses": {
            name: [action_text(a) for a in trace.actions]
            for name, trace in result.witnesses.items()
        },
        "model_error": None if result.model_error is None else {
            "error": result.model_error.error,
            "depth": result.model_error.depth,
            "trace": (trace_json(model, result.model_error.trace)
                      if result.model_error.trace is not None else []),
        },
        "coverage": dict(sorted(result.coverage.items())),
        "notes": result.notes,
    }
