"""Model variants that forbid something Kafka does: they exist to show a conformance check fail.

Not Kafka's behaviour, never used for predictions outside these tests and the report's
"failure on purpose" section.
"""

from __future__ import annotations

from typing import Any

from kafkacheck.model.cluster.controller import ControllerModel
from kafkacheck.model.cluster.replication import ReplicationModel


class _AcksOneWaitsForIsr:
    """acks=1 answered only once the in-sync replicas have the record, as acks=all is."""

    acks: int

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        if self.acks == 1:
            self.acks = -1
            self.rules.acks = -1  # type: ignore[attr-defined]  # the partition's rule set too


class ControllerAcksOneWaitsForIsr(_AcksOneWaitsForIsr, ControllerModel):
    """The controller model with acks=1 treated as acks=all: a deposed leader cannot ack."""


class ReplicationAcksOneWaitsForIsr(_AcksOneWaitsForIsr, ReplicationModel):
    """The replication model with acks=1 treated as acks=all."""
