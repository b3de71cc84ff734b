"""What Kafka Streams promises about a counting task, per processing.guarantee.

Promised with ``exactly_once_v2`` (KIP-129, KIP-447; the Streams documentation,
"Processing Guarantees"): the effect of each input record on the state, the changelog and
the output is applied exactly once, across crashes, task migrations and zombies.  For a
count per key, as a read_committed consumer sees the output topic and the changelog: no
count is above the key's number of inputs, no count is written twice, and the inputs
below the committed input offset are all counted (``CountsExact``, ``OutputExactlyOnce``).

Not asked: a count for every input.  A count's store is cached by default (Materialized
caching on, statestore.cache.max.bytes 10 MiB): CachingKeyValueStore writes a key's count
to the changelog and forwards it to the output only when the cache flushes, at each
commit (StreamTask.prepareCommit flushes the caches and the record collector before the
offsets are committed, or sent in the transaction) or when it evicts the entry; two
inputs of a key between two flushes write only the second count.  What is asked holds
with and without the cache: each flush writes counts the store reached, in order, and
every commit comes after a flush.

Not promised with ``at_least_once`` (the default): an input processed but whose offset
was not committed before a crash or a rebalance is processed again, and its key counted
twice.  ``CountsExact`` fails there, as documented.
"""

from __future__ import annotations

from typing import Any

from kafkacheck.model.clients.streams import CHANGELOG, OUTPUT
from kafkacheck.properties.base import Property, always, sometimes

TOPICS = ((OUTPUT, "output topic"), (CHANGELOG, "changelog"))

TWICE = "an input was processed again after its count was written but before its offset " \
        "was committed"


def counts(model: Any, state: Any, p: int) -> list[tuple[int, int]]:
    """(key, count) records of data partition p that read_committed consumers see now."""
    return [model.decode(rec) for _o, rec in model.read(state, p, "read_committed") or ()]


def inputs_of(model: Any, key: int, below: int | None = None) -> int:
    """How many input records have this key (of the first ``below`` inputs): the highest
    count it may reach."""
    return sum(1 for k in range(model.K if below is None else below) if model.key_of(k) == key)


def first_wrong_count(model: Any, state: Any, p: int) -> str:
    """'' when the counts of data partition p are exact, else what is wrong and why, in
    words: a key's visible counts are at most its number of inputs and distinct, and once
    p holds no pending transaction each key's last count covers its inputs below the
    committed input offset (a commit comes after the counts are flushed)."""
    topic = dict(TOPICS)[p]
    seen: set[tuple[int, int]] = set()
    for key, count in counts(model, state, p):
        if count > inputs_of(model, key):
            return (f"the {topic} holds count {model._count_text(count)} for key k{key}, "
                    f"which has {inputs_of(model, key)} input records: {TWICE}")
        if (key, count) in seen:
            return f"the {topic} holds count {count} for key k{key} twice: {TWICE}"
        seen.add((key, count))
    committed = model.committed_input(state)
    latest = model.settled_counts(state, p)
    if committed is None or latest is None:
        return ""
    for key in range(model.keys):
        needed = inputs_of(model, key, committed)
        if latest.get(key, 0) < needed:
            return (f"the input offset is committed at {committed}, {needed} input(s) of key "
                    f"k{key}, but the {topic}'s last count for k{key} is "
                    f"{latest.get(key, 0)}: an input's offset was committed without its "
                    "count written")
    return ""


def streams_properties(model: Any) -> list[Property]:
    """The Streams guarantees, evaluated on the model's states."""

    def narrator(p: int) -> Any:
        def narrate(_model: Any, trace: Any) -> str:
            wrong = first_wrong_count(model, trace.steps[-1].state, p)
            return f"{wrong[0].upper()}{wrong[1:]}." if wrong else ""
        return narrate

    source = ("KIP-129, KIP-447 (processing.guarantee=exactly_once_v2); StreamTask, "
              "StoreChangelogReader, CachingKeyValueStore")
    return [
        always("CountsExact",
               "the store's counts, as its changelog holds them for read_committed readers "
               "(and a restore), are exact: a key's counts are distinct and never above its "
               "number of input records, and once no transaction is pending its last count "
               "covers its inputs below the committed input offset",
               lambda s: not first_wrong_count(model, s, CHANGELOG),
               source=source,
               explanation=("under exactly_once_v2 the changelog write and the input offset "
                            "commit are one transaction and a restore reads only committed "
                            "changelog records; under at_least_once an input whose offset "
                            "commit did not happen is counted again on top of a store "
                            "restored with its first count"),
               narrate=narrator(CHANGELOG)),
        always("OutputExactlyOnce",
               "the output topic, read with read_committed, holds each count of a key once "
               "and none above its number of input records, and once no transaction is "
               "pending the key's last count covers its inputs below the committed input "
               "offset",
               lambda s: not first_wrong_count(model, s, OUTPUT), source=source,
               explanation=("under exactly_once_v2 the output is in the input's transaction; "
                            "under at_least_once an output written before a crash is written "
                            "again when the input is processed again"),
               narrate=narrator(OUTPUT)),
        sometimes("AllCounted", "a run shows every input's count to read_committed in the "
                  "output topic (with the record cache, a run whose inputs are committed "
                  "one at a time)", lambda s: len(counts(model, s, OUTPUT)) == model.K),
    ]
