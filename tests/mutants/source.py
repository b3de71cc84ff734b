"""Mutants of the source task's rules (model/clients/source.py): each overrides one.

tests/test_source_guarantees.py shows each source property failing on one of these or on
a real configuration.
"""

from __future__ import annotations

from kafkacheck.model.clients.source import SourceModel
from mutants import mutant


@mutant("source", "offsets-outside-transaction", breaks="SourceAtLeastOnce")
class OffsetsOutsideTransaction(SourceModel):
    """Under exactly-once the worker writes the source offsets with a plain produce, not in
    the records' transaction: a crash before the commit aborts the records and keeps the
    offsets."""

    def offsets_in_transaction(self) -> bool:
        return False


@mutant("source", "transactional-id-per-worker", breaks="SourceExactlyOnce")
class TransactionalIdPerWorker(SourceModel):
    """Each worker's task producer has its own transactional.id (the worker's, not the
    task's): a new task producer fences nothing, and a zombie task commits a record the
    new one commits too."""

    def tid_of(self, i: int) -> int:
        return i


@mutant("source", "task-never-starts", breaks="AllProduced")
class TaskNeverStarts(SourceModel):
    """Reading the source offsets waits for something that never comes: the task never
    polls."""

    def offset_fetch_waits(self, log: tuple[int, ...]) -> bool:
        return True
