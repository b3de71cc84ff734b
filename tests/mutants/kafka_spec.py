"""Mutants of the TLA+ replication specification (``kafka-spec``): rules the spec never
breaks, broken on purpose, so that TypeOk and LeaderInIsrWhenLeader are seen to fail."""

from __future__ import annotations

from kafkacheck.model.interface import Action
from kafkacheck.model.reference.replication_spec import Kip320
from mutants import mutant


@mutant("kafka-spec", "leader-outside-isr", breaks="LeaderInIsrWhenLeader")
class LeaderOutsideIsr(Kip320):
    """ControllerElectLeader writes an ISR without the leader it just elected."""

    def controller_elect_leader(self, c: int) -> list[tuple[Action, int]]:
        t = self.t
        _nrid, ql, qisr, _nle, _reqs = t.cdec[c]
        out = []
        for r in t.members[qisr]:
            if ql != r:
                c2 = self.controller_update_isr(c, r, qisr & ~(1 << r))
                if c2 is not None:
                    out.append((("ControllerElectLeader", self.names[r]), c2))
        return out


@mutant("kafka-spec", "epoch-past-max", breaks="TypeOk")
class EpochPastMax(Kip320):
    """ControllerUpdateIsr bumps the leader epoch past MaxLeaderEpoch (no NextId check)."""

    def controller_update_isr(self, c: int, new_leader: int, new_isr: int) -> int | None:
        t = self.t
        nrid, _ql, _qisr, _nle, reqs = t.cdec[c]
        old = tuple((ld, isr) for ld, isr, _ in reqs)
        return t.encode_controller(nrid, new_leader, new_isr, old + ((new_leader, new_isr),))
