"""What a Kafka Connect source connector promises about the topic it writes.

Promised always (the Connect documentation, WorkerSourceTask): at-least-once delivery: a
source offset is committed only for records whose produce was acknowledged, so every
source record below the committed source offset is in the topic (``SourceAtLeastOnce``:
an always property, over what a restarted task resumes from; that every polled record
eventually arrives is not promised, as a failed task stays down until restarted).

Promised only with ``exactly.once.source.support=enabled`` (KIP-618): no source record is
in the topic twice as a read_committed consumer sees it (``SourceExactlyOnce``).  Without
it, a record produced but whose source offset was not committed before the worker
crashed is polled and produced again by the task's next run, as documented.
"""

from __future__ import annotations

from typing import Any

from kafkacheck.model.clients.source import TOPIC
from kafkacheck.properties.base import Property, always, sometimes, vacuous_unless


def visible(model: Any, state: Any) -> list[int]:
    """The source records a read_committed consumer of the topic sees now, in order."""
    return [rec for _o, rec in model.read(state, TOPIC, "read_committed") or ()]


def first_missing(model: Any, state: Any) -> int | None:
    """The first source record below the committed source offset with no copy in the topic
    that an ABORT marker does not cover (None: none; or a partition has no leader)."""
    committed = model.committed_input(state)
    if committed is None or model._leader(state, TOPIC) < 0:
        return None
    kept = model.kept(state, TOPIC)
    for k in range(committed):
        if k not in kept:
            return k
    return None


def first_twice(model: Any, state: Any) -> int | None:
    """The first source record a read_committed consumer sees twice (None: none)."""
    seen: set[int] = set()
    for rec in visible(model, state):
        if rec in seen:
            return rec
        seen.add(rec)
    return None


def source_properties(model: Any) -> list[Property]:
    """The source connector guarantees, evaluated on the model's states."""

    def narrate_missing(_model: Any, trace: Any) -> str:
        k = first_missing(model, trace.steps[-1].state)
        return "" if k is None else (
            f"Source record {k} is below the committed source offset but not in the topic: "
            "the offset was written without the record.")

    def narrate_twice(_model: Any, trace: Any) -> str:
        k = first_twice(model, trace.steps[-1].state)
        return "" if k is None else (
            f"Source record {k} is in the topic twice: it was produced, then polled and "
            "produced again after its source offset failed to be committed.")

    props = [
        always("SourceAtLeastOnce",
               "every source record below the committed source offset is in the topic (a "
               "copy no ABORT marker covers)",
               lambda s: first_missing(model, s) is None,
               source="WorkerSourceTask.commitOffsets (acknowledged records only); KIP-618",
               explanation=("the source offset is written after the record's produce is "
                            "acknowledged, or in the record's transaction under "
                            "exactly.once.source.support=enabled"),
               narrate=narrate_missing),
        always("SourceExactlyOnce",
               "no source record is in the topic twice, as a read_committed consumer sees it",
               lambda s: first_twice(model, s) is None,
               source="KIP-618 (exactly.once.source.support=enabled); "
                      "ExactlyOnceWorkerSourceTask",
               explanation=("under exactly.once.source.support=enabled a record and its "
                            "source offset are one transaction and a new task producer "
                            "fences the old one; without it a record produced but whose "
                            "offset was not committed before a crash is produced again"),
               narrate=narrate_twice),
        sometimes("AllProduced", "every source record is visible to read_committed in the "
                  "topic", lambda s: len(set(visible(model, s))) == model.K),
    ]
    # A record is in the topic twice only if it is sent twice: polled again by a new run of
    # the task (a worker crash, or a rebalance, which needs a second worker), or produced
    # again after its request was delayed, its batch expired or its broker crashed.
    b = model.bound
    resent = (b["task_crashes"] > 0 or (b["rebalances"] > 0 and b["workers"] >= 2)
              or b["late_produces"] > 0 or b["expiries"] > 0 or b["crashes"] > 0)
    return vacuous_unless(
        props, resent, ("SourceExactlyOnce",),
        "no worker crash, rebalance (with two workers), delayed produce, expiry or broker "
        "crash: no source record is ever sent twice, so this property cannot fail; set "
        "--bound task_crashes=1 to check it")
