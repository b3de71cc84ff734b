"""Named configurations worth checking: the README's examples and the reports' rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """A model with Kafka settings and bounds, and the question it answers."""

    name: str
    model: str
    summary: str
    settings: Mapping[str, str] = field(default_factory=dict)
    bounds: Mapping[str, int | str] = field(default_factory=dict)
    properties: tuple[str, ...] = ()


_SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3",
         "unclean.leader.election.enable": "false"}

_ALL: tuple[Preset, ...] = (
    Preset("acks1-loss", "replication",
           "acks=1: can an acknowledged write be lost when the leader crashes? (yes)",
           {"acks": "1", "replication.factor": "3"}, {"crashes": 1}),
    Preset("acks-all-safe", "replication",
           "acks=all, min.insync.replicas=2, RF=3, no unclean election: one crash loses "
           "nothing", _SAFE, {"crashes": 1, "records": 2}),
    Preset("unclean-loss", "replication",
           "min.insync.replicas=1 with unclean election: an out-of-sync replica becomes "
           "leader and acknowledged writes vanish",
           {**_SAFE, "min.insync.replicas": "1", "unclean.leader.election.enable": "true"},
           {"crashes": 1}),
    Preset("hw-truncation-loss", "replication",
           "truncation to the high watermark (before KIP-101) loses committed data on a "
           "leader change", _SAFE,
           {"truncation": "high-watermark", "crashes": 1, "leader_changes": 1}),
    Preset("leader-epoch-safe", "replication",
           "the same faults with leader-epoch truncation (KIP-101 + KIP-279): safe", _SAFE,
           {"truncation": "leader-epoch", "crashes": 1, "leader_changes": 1}),
    Preset("power-loss", "replication",
           "acks=all with min.insync.replicas=1: a power failure of the only in-sync replica "
           "loses acknowledged writes (the KIP-966 scenario)",
           {"acks": "all", "replication.factor": "3"}, {"crash_kind": "power-loss"}),
    Preset("diehard", "diehard", "the die-hard jug puzzle: its solution is a counterexample"),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _ALL}
