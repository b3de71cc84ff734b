"""Counterexamples from ``kafkacheck check --json`` output, checked to replay on this model."""

from __future__ import annotations

from typing import Any

from kafkacheck.config import UsageError, read_json_file
from kafkacheck.explorer.checks import not_a_property
from kafkacheck.explorer.liveness import recheck_lasso
from kafkacheck.explorer.result import Trace
from kafkacheck.explorer.trace import ReplayError, replay, violated_at_end
from kafkacheck.model.interface import Model
from kafkacheck.model.settings import render_uncovered
from kafkacheck.properties.base import Property
from kafkacheck.webui.session import label_json, label_of


def read_result_file(path: str) -> Any:
    """The JSON document in ``path`` (``-`` for standard input); UsageError when unreadable,
    endless (a device, a FIFO), too large or nested too deeply."""
    return read_json_file(path, "trace")


def _differences(theirs: Any, ours: dict[str, str]) -> list[str]:
    if not isinstance(theirs, dict):
        return ["(missing)"]
    keys = sorted(set(theirs) | set(ours))
    return [f"{k}={theirs.get(k, '-')} (here {ours.get(k, '-')})" for k in keys
            if str(theirs.get(k)) != str(ours.get(k))]


def counterexamples(model: Model, data: Any, source: str) -> list[dict[str, Any]]:
    """The replayable counterexamples of a ``check --json`` result made on this model.

    The result must be of the same model, Kafka release, settings (those not covered too)
    and bounds: a trace replayed on another configuration would be another behaviour.  Each
    trace is re-checked as ``kafkacheck replay`` does (cli.cmd_replay): an always-trace
    must end in its violation, a liveness lasso must pass ``liveness.recheck_lasso``.
    """
    if not isinstance(data, dict) or not isinstance(data.get("violations"), list):
        raise UsageError(f"{source} is not the JSON output of `kafkacheck check --json`")
    if data.get("model") != model.name:
        raise UsageError(f"{source} is a result of model {data.get('model')!r}, "
                         f"not {model.name!r}")
    cfg = model.config
    version = data.get("kafka_version")
    if version is None:
        raise UsageError(f"{source} does not say which Kafka release it was made with "
                         "(no kafka_version): rerun `kafkacheck check --json`")
    if str(version) != str(cfg.kafka_version):
        # Another release's rules: the same labels would be another behaviour (or none).
        raise UsageError(f"{source} was made with --kafka-version {str(version)[:20]} (here "
                         f"{cfg.kafka_version}); give explore the same --kafka-version")
    uncovered = {k: render_uncovered(k, v) for k, v in cfg.uncovered.items()}
    for what, theirs, ours in (("settings", data.get("config"), cfg.kafka_text()),
                               ("settings not covered", data.get("not_covered"), uncovered),
                               ("bounds", data.get("bounds"),
                                {k: str(v) for k, v in cfg.bounds.items()})):
        diffs = _differences(theirs, ours)
        if diffs:
            raise UsageError(f"{source} was made with other {what}: {', '.join(diffs)}; "
                             "give explore the same --set and --bound")
    inits = list(model.init_states())
    by_name = {p.name: p for p in model.properties()}
    out = []
    for i, v in enumerate(data["violations"]):
        if not isinstance(v, dict) or not isinstance(v.get("property"), str):
            raise UsageError(f"{source}: violation {i + 1} has no property name")
        name = v["property"]
        prop = by_name.get(name)
        if prop is None:
            raise UsageError(f"{source}: {not_a_property(model, name, by_name)}")
        if v.get("kind") is not None and v.get("kind") != prop.kind:
            article = "an" if prop.kind[0] in "ae" else "a"
            raise UsageError(f"{source}: {name} is {article} {prop.kind}-property of "
                             f"{model.name}, not {str(v.get('kind'))[:20]!r}")
        if prop.kind == "sometimes":
            # `check` files a sometimes-property never reached under never_reached, and a
            # reached one has a witness, not a counterexample.
            raise UsageError(f"{source}: {name} is a sometimes-property: it has no "
                             "counterexample to step through")
        steps = v.get("trace")
        if not steps:
            continue
        trace = _replayed(model, name, steps, source)
        loop_start = v.get("loop_start")
        if prop.kind == "eventually":
            why = _lasso_refusal(model, prop, trace, loop_start)
            if why:
                raise UsageError(f"{source}: the trace of {name} is not a counterexample: "
                                 f"{why}")
        elif loop_start is not None:
            raise UsageError(f"{source}: the trace of {name} has a loop_start, but {name} "
                             "is an always-property: its counterexample is no lasso")
        elif not violated_at_end(prop, trace):
            raise UsageError(f"{source}: the trace of {name} ends in a state that does "
                             "not violate it")
        out.append({
            "property": name, "kind": prop.kind, "reason": "liveness" if
            prop.kind == "eventually" else "step" if prop.is_step else "invariant",
            "statement": prop.statement, "explanation": prop.story(model, trace),
            "length": len(trace), "init": inits.index(trace.steps[0].state),
            "labels": [label_json(a) for a in trace.actions], "loop_start": trace.loop_start,
            "source": source,
        })
    if not out:
        raise UsageError(f"{source} holds no counterexample trace to explore")
    return out


def _replayed(model: Model, name: str, steps: Any, source: str) -> Trace:
    """The trace of a saved counterexample, replayed on ``model``; UsageError otherwise."""
    try:
        for j, step in enumerate(steps):
            if j and not step.get("label"):
                # dropping it would step through another trace than the one saved
                raise UsageError(f"{source}: the trace of {name}: step {j} has no action "
                                 "label")
        labels = [step["label"] for step in steps if step.get("label")]
        return replay(model, [label_of(x) for x in labels])
    except ReplayError as exc:
        raise UsageError(f"{source}: the trace of {name} does not replay: {exc}") from None
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
        raise UsageError(f"{source}: malformed trace of {name}: {exc!r:.100}") from None


def _lasso_refusal(model: Model, prop: Property, trace: Trace, loop_start: Any) -> str | None:
    """Why a saved liveness lasso does not show ``prop`` violated (None: it does), as
    ``kafkacheck replay`` re-checks it (cli._replay_lasso, liveness.recheck_lasso)."""
    if not isinstance(loop_start, int) or isinstance(loop_start, bool):
        return f"its loop_start {str(loop_start)[:20]!r} is not a step number"
    if not 0 <= loop_start <= len(trace):
        return f"its loop_start {loop_start} is not a step of its {len(trace)} steps"
    trace.loop_start = loop_start
    return recheck_lasso(model, prop, trace)
