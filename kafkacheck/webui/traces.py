"""Counterexamples from ``kafkacheck check --json`` output, checked to replay on this model."""

from __future__ import annotations

from typing import Any

from kafkacheck.config import UsageError, read_json_file
from kafkacheck.explorer.trace import ReplayError, replay, violated_at_end
from kafkacheck.model.interface import Model
from kafkacheck.webui.session import label_of


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

    The result must be of the same model, Kafka release, settings and bounds: a trace
    replayed on another configuration would be another behaviour.
    """
    if not isinstance(data, dict) or not isinstance(data.get("violations"), list):
        raise UsageError(f"{source} is not the JSON output of `kafkacheck check --json`")
    if data.get("model") != model.name:
        raise UsageError(f"{source} is a result of model {data.get('model')!r}, "
                         f"not {model.name!r}")
    cfg = model.config
    version = data.get("kafka_version")
    if version is not None and str(version) != str(cfg.kafka_version):
        # Another release's rules: the same labels would be another behaviour (or none).
        raise UsageError(f"{source} was made with --kafka-version {version} (here "
                         f"{cfg.kafka_version}); give explore the same --kafka-version")
    for what, theirs, ours in (("settings", data.get("config"), cfg.kafka_text()),
                               ("bounds", data.get("bounds"),
                                {k: str(v) for k, v in cfg.bounds.items()})):
        diffs = _differences(theirs, ours)
        if diffs:
            raise UsageError(f"{source} was made with other {what}: {', '.join(diffs)}; "
                             "give explore the same --set and --bound")
    inits = list(model.init_states())
    by_name = {p.name: p for p in model.properties()}
    out = []
    for v in data["violations"]:
        steps = v.get("trace") if isinstance(v, dict) else None
        if not steps:
            continue  # a sometimes-property never reached has no trace to step through
        try:
            labels = [step["label"] for step in steps if step.get("label")]
            trace = replay(model, [label_of(x) for x in labels])
        except ReplayError as exc:
            raise UsageError(f"{source}: the trace of {v.get('property')} does not replay: "
                             f"{exc}") from None
        except (TypeError, AttributeError, KeyError) as exc:
            raise UsageError(f"{source}: malformed trace of {v.get('property')}: {exc!r}") \
                from None
        prop = by_name.get(v.get("property"))  # type: ignore[arg-type]
        if prop is not None and prop.kind == "always" and not violated_at_end(prop, trace):
            raise UsageError(f"{source}: the trace of {prop.name} ends in a state that does "
                             "not violate it")
        out.append({
            "property": v.get("property"), "kind": v.get("kind"), "reason": v.get("reason"),
            "statement": v.get("statement"), "explanation": v.get("explanation"),
            "length": len(labels), "init": inits.index(trace.steps[0].state),
            "labels": labels, "loop_start": v.get("loop_start"), "source": source,
        })
    if not out:
        raise UsageError(f"{source} holds no counterexample trace to explore")
    return out
