"""What a Kafka Connect sink connector promises about the external system.

Promised (the Connect documentation, WorkerSinkTask): at-least-once delivery into the
external system: every record below the committed offset was written by put()
(``SinkNoLoss``).  Not promised: exactly once; a record put but whose offset was not
committed before a crash or rebalance is put again by the task that takes the partition
over, and a batch whose put() threw a RetriableException is put again whole
(WorkerSinkTask.deliverMessages).  Whether that makes a duplicate depends on the write:
an append makes a second row (``SinkNoDuplicates`` fails), an upsert keyed by
topic-partition-offset does not.
"""

from __future__ import annotations

from typing import Any

from kafkacheck.properties.base import NO_RECORDS, Property, always, sometimes, vacuous_unless


def sink_properties(model: Any) -> list[Property]:
    """The sink guarantees, evaluated on (group state, external table)."""
    log = model.log

    def no_loss(s: Any) -> bool:
        g, table = s.group, s.table
        for p in range(model.p):
            c = g.committed[p]
            # A dead-letter send in flight lands unless its task's worker dies first.
            sending = table.sending[p::model.p]
            kept = table.rows[p] | table.dlq[p] | g.excused[p]
            for recs in sending:
                kept |= recs
            if c > 0 and log.ids(g.log, p, 0, c) & ~kept:
                return False
        return True

    props = [
        always("SinkNoLoss", "every record below the committed offset has a row in the "
               "external table or is in the dead-letter queue", no_loss,
               source="WorkerSinkTask (offsets committed after SinkTask.put); KIP-298",
               explanation=("the worker commits only offsets of records put() returned for; "
                            "errors.tolerance=all without a dead-letter queue skips a bad "
                            "record and commits past it, and with one it does not wait for "
                            "the dead-letter send: a worker crash before it lands loses the "
                            "record")),
        always("SinkNoDuplicates", "no record has two rows in the external table",
               lambda s: not any(s.table.doubled),
               source="WorkerSinkTask; Connect's at-least-once delivery",
               explanation=("a record put but whose offset was not committed before its "
                            "task crashed is put again by the task that takes the partition "
                            "over, and a put() that threw a RetriableException is called "
                            "again with the same batch; an append writes it twice, an upsert "
                            "keyed by topic-partition-offset once"),
               # A second row needs a second put() of the record: it rests on the witness
               # (never reached with crashes=0, poll_timeouts=0 and put_retries=0).
               needs="SomeRedelivery"),
        sometimes("SomeRedelivery", "some record is put twice (by two tasks, or one twice)",
                  lambda s: s.group.duplicate,
                  explanation="no record is ever put twice, so SinkNoDuplicates is not "
                  "checked; set --bound crashes=1, poll_timeouts=1 or put_retries=1"),
    ]
    # No record: no offset is ever committed past one (the delivery properties' premise).
    return vacuous_unless(props, model.bound["records"] > 0, ("SinkNoLoss",), NO_RECORDS)
