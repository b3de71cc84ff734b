"""How the controller model's states and actions read: variables, values, sequence diagrams."""

from __future__ import annotations

from typing import Any

from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster.partition import NO_LEADER
from kafkacheck.model.interface import Action, Message, State

# The AlterPartition of a leader dropping a follower that could still reach it (the
# slow_followers fault): its own action name, so that coverage shows whether it fired.
SLOW_SHRINK = "ShrinkSlowFollower"


def _mask(mask: int, prefix: str, count: int) -> str:
    return "{" + ", ".join(f"{prefix}{i + 1}" for i in range(count) if mask >> i & 1) + "}"


class ControllerPresentation:
    """Mixin of ControllerModel: the state as named variables and actions as messages."""

    n: int
    m: int
    nodes: int
    partitions: int
    mode: str
    node_brokers: list[tuple[int, ...]]
    node_ctrls: list[tuple[int, ...]]
    broker_node: tuple[int, ...]
    ctrl_node: tuple[int, ...]

    def node_name(self, node: int) -> str:
        """A node by the roles it runs: B1, C1, or B1/C1 for a combined node."""
        names = [f"B{b + 1}" for b in self.node_brokers[node]]
        names += [f"C{c + 1}" for c in self.node_ctrls[node]]
        return "/".join(names)

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {
            "alive": ("nodes", state.alive),
            "isolated": ("nodes", state.cut),
        }
        for c, ctl in enumerate(state.controllers):
            out[f"C{c + 1}"] = ("controller", (c, ctl.epoch, ctl.leader, ctl.end))
            out[f"C{c + 1}.fenced"] = ("brokers", ctl.image.fenced)
        pre_of = (lambda p: f"p{p}.") if self.partitions > 1 else (lambda p: "")
        for b, br in enumerate(state.brokers):
            out[f"B{b + 1}.metadata"] = ("broker", (br.phase, br.offset, br.controller_epoch))
            for p, v in enumerate(br.views):
                out[f"{pre_of(p)}B{b + 1}.believes"] = ("meta", v)
        for p, part in enumerate(state.parts):
            pre = pre_of(p)
            out[f"{pre}leader"] = ("broker", part.leader)
            out[f"{pre}leader_epoch"] = part.epoch
            out[f"{pre}isr"] = ("brokers", part.isr)
            for b in range(self.n):
                out[f"{pre}B{b + 1}.log"] = ("log", part.logs[b])
                out[f"{pre}B{b + 1}.hw"] = part.hws[b]
                lead = state.leads[p][b]
                if lead:
                    out[f"{pre}B{b + 1}.awaiting_acks"] = ("pending", lead.pending)
            out[f"{pre}acked"] = ("records", part.acked)
            out[f"{pre}acked_by_deposed_leader"] = ("records",
                                                    state.acked_by_deposed_leader[p])
            out[f"{pre}committed"] = ("log", part.committed)
            if state.ops:
                for b, proposed in enumerate(state.ops.proposed[p]):
                    if proposed >= 0:
                        out[f"{pre}B{b + 1}.isr_proposed"] = ("brokers", proposed)
                if state.ops.requests[p]:
                    out[f"{pre}alter_requests"] = ("requests", state.ops.requests[p])
        return out

    def format_value(self, name: str, value: Any) -> str:
        if not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[0], str):
            return repr(value)
        kind, v = value
        if kind == "nodes":
            return "{" + ", ".join(self.node_name(i) for i in range(self.nodes)
                                   if v >> i & 1) + "}"
        if kind == "brokers":
            return _mask(v, "B", self.n)
        if kind == "broker":
            if isinstance(v, tuple):
                from kafkacheck.model.cluster.controller import PHASE_NAMES

                phase, offset, cepoch = v
                return f"offset {offset}, controller epoch {cepoch}, {PHASE_NAMES[phase]}"
            return "none" if v == NO_LEADER else f"B{v + 1}"
        if kind == "controller":
            c, epoch, leader, end = v
            role = ("active" if leader == c else
                    "no leader" if leader < 0 else f"follows C{leader + 1}")
            return f"epoch {epoch}, {role}, metadata offset {end}"
        if kind == "meta":
            who = "none" if v.leader == NO_LEADER else f"B{v.leader + 1}"
            text = (f"leader {who} (leader epoch {v.epoch}, partition epoch "
                    f"{v.partition_epoch}), isr {_mask(v.isr, 'B', self.n)}")
            if v.elr:
                text += f", elr {_mask(v.elr, 'B', self.n)}"
            return text
        if kind == "log":
            return pt.log_text(v)
        if kind == "records":
            return pt.records_text(v)
        if kind == "pending":
            return pt.pending_text(v)
        if kind == "requests":
            return "[" + ", ".join(
                f"{_mask(r.isr, 'B', self.n)} from B{r.leader + 1} (leader epoch "
                f"{r.leader_epoch}, partition epoch {r.partition_epoch})"
                + (f", old broker epoch of {_mask(r.stale, 'B', self.n)}" if r.stale else "")
                for r in v) + "]"
        return repr(v)

    def participants(self) -> tuple[str, ...]:
        return ("Producer", *(f"C{c + 1}" for c in range(self.m)),
                *(f"B{b + 1}" for b in range(self.n)))

    def message(self, action: Action, before: State, after: State) -> Message:
        name = action[0]
        args = [str(a) for a in action[1:]]
        text = " ".join([name, *args])

        def who(word: str) -> str:
            return word.split()[-1] if word else "Producer"

        if name == "Produce":
            return Message("Producer", who(args[1]), f"produce {args[0]}")
        if name in ("Ack", "AckError"):
            return Message(who(args[1]), "Producer", f"{name} {args[0]}")
        if name in ("Fetch", "BecomeFollower"):
            target = who(args[1]) if name == "Fetch" else args[0]
            return Message(args[0], target, text)
        if name in ("AlterPartition", SLOW_SHRINK):
            by = [a for a in args if a.startswith("by ")]
            return Message(args[0], who(by[0]) if by else args[0], text)
        if name in ("AlterPartitionAccepted", "AlterPartitionRejected"):
            by = next(a for a in args if a.startswith("by "))
            return Message(who(by), args[0], text)
        if name == "FetchMetadata":
            return Message(args[0], who(args[1]), f"metadata up to {args[2]}")
        if name in ("Fence", "Unfence", "Register", "MoveLeader"):
            by = next(a for a in args if a.startswith("by "))
            return Message(who(by), args[0], text)
        if name in ("Resign", "StepDown", "Elect", "StartElection"):
            return Message(args[0], args[0], text)
        if name == "QuorumSync":
            return Message(who(args[1]), args[0], "BeginQuorumEpoch / Fetch")
        if name in ("Crash", "Restart", "Isolate", "DiskLoss"):
            first = args[0].split("/")[0]
            return Message(first, first, text)
        return Message("Producer", "Producer", text)
