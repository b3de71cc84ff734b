"""What Kafka Streams promises about a counting task, per processing.guarantee.

Promised with ``exactly_once_v2`` (KIP-129, KIP-447; the Streams documentation,
"Processing Guarantees"): the effect of each input record on the state, the changelog and
the output is applied exactly once, across crashes, task migrations and zombies.  For a
count per key: the count written for the n-th input of a key is n, and no input's count
is written twice (``CountsExact``), as a read_committed consumer sees the output topic
and the changelog.

Not promised with ``at_least_once`` (the default): an input processed but whose offset
was not committed before a crash or a rebalance is processed again, and its key counted
twice.  ``CountsExact`` fails there, as documented.
"""

from __future__ import annotations

from typing import Any

from kafkacheck.model.clients.streams import CHANGELOG, OUTPUT
from kafkacheck.properties.base import Property, always, sometimes

TOPICS = ((OUTPUT, "output topic"), (CHANGELOG, "changelog"))


def counts(model: Any, state: Any, p: int) -> list[tuple[int, int]]:
    """(key, count) records of data partition p that read_committed consumers see now."""
    return [model.decode(rec) for _o, rec in model.read(state, p, "read_committed") or ()]


def inputs_of(model: Any, key: int) -> int:
    """How many input records have this key: the highest count it may reach."""
    return sum(1 for k in range(model.K) if model.key_of(k) == key)


def first_wrong_count(model: Any, state: Any, p: int) -> str:
    """'' when every count visible in data partition p is exact, else what is wrong, in
    words: each key's counts must be distinct (one per input), at most its number of
    inputs, and without a gap (the n-th input's count n is there once n+1 is)."""
    topic = dict(TOPICS)[p]
    seen: set[tuple[int, int]] = set()
    top: dict[int, int] = {}
    for key, count in counts(model, state, p):
        if count > inputs_of(model, key):
            return (f"the {topic} holds count {model._count_text(count)} for key k{key}, "
                    f"which has {inputs_of(model, key)} input records")
        if (key, count) in seen:
            return f"the {topic} holds count {count} for key k{key} twice"
        seen.add((key, count))
        top[key] = max(top.get(key, 0), count)
    for key, highest in sorted(top.items()):
        missing = [c for c in range(1, highest) if (key, c) not in seen]
        if missing:
            return (f"the {topic} holds count {highest} for key k{key} but not count "
                    f"{missing[0]}: an input's count was never written")
    return ""


def streams_properties(model: Any) -> list[Property]:
    """The Streams guarantees, evaluated on the model's states."""

    def narrator(p: int) -> Any:
        def narrate(_model: Any, trace: Any) -> str:
            wrong = first_wrong_count(model, trace.steps[-1].state, p)
            return (f"{wrong[0].upper()}{wrong[1:]}: an input was processed again after its "
                    "count was written but before its offset was committed.") if wrong else ""
        return narrate

    source = ("KIP-129, KIP-447 (processing.guarantee=exactly_once_v2); StreamTask, "
              "StoreChangelogReader")
    return [
        always("CountsExact",
               "the store's counts, as its changelog holds them for read_committed readers "
               "(and a restore), are exact: a key's counts are distinct and never above its "
               "number of input records", lambda s: not first_wrong_count(model, s, CHANGELOG),
               source=source,
               explanation=("under exactly_once_v2 the changelog write and the input offset "
                            "commit are one transaction and a restore reads only committed "
                            "changelog records; under at_least_once an input whose offset "
                            "commit did not happen is counted again on top of a store "
                            "restored with its first count"),
               narrate=narrator(CHANGELOG)),
        always("OutputExactlyOnce",
               "the output topic, read with read_committed, holds each count of a key once "
               "and none above its number of input records",
               lambda s: not first_wrong_count(model, s, OUTPUT), source=source,
               explanation=("under exactly_once_v2 the output is in the input's transaction; "
                            "under at_least_once an output written before a crash is written "
                            "again when the input is processed again"),
               narrate=narrator(OUTPUT)),
        sometimes("AllCounted", "every input's count is visible to read_committed in the "
                  "output topic", lambda s: len(counts(model, s, OUTPUT)) == model.K),
    ]
