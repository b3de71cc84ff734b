"""Mutants of the Streams task's rules (model/clients/streams.py): each overrides one.

tests/test_streams_every_property_fails.py shows each Streams property failing on one of
these or on a real configuration.
"""

from __future__ import annotations

from kafkacheck.model.clients.streams import StreamsModel
from kafkacheck.model.clients.transactions import TxnState
from mutants import mutant


@mutant("streams", "restore-read-uncommitted", breaks="CountsExact")
class RestoreReadUncommitted(StreamsModel):
    """The restore consumer reads read_uncommitted under exactly_once_v2: an aborted
    count is restored."""

    def restore_isolation(self) -> str:
        return "read_uncommitted"


@mutant("streams", "restore-never-completes", breaks="AllCounted")
class RestoreNeverCompletes(StreamsModel):
    """The restore waits for an end offset it never reaches: the task never runs."""

    def restore_complete(self, state: TxnState) -> bool:
        return False
