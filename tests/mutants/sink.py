"""Mutants of the sink task's rules (model/clients/sink.py)."""

from __future__ import annotations

from kafkacheck.model.clients.sink import SinkModel
from mutants import mutant


@mutant("sink", "commit-before-put", breaks="SinkNoLoss")
class CommitBeforePut(SinkModel):
    """The worker commits the polled offsets before put() wrote them (a preCommit that
    returns offsets of records still buffered)."""

    commit_strategy = "before-processing"
