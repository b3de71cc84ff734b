"""Partition replication: brokers, ISR, high watermark, leader epochs, acks, truncation.

The question it answers: with these settings, can an acknowledged write be lost when
brokers fail?  The controller is abstracted here as atomic decisions (fence a dead
broker, elect a leader); the `controller` model makes it explicit.  Sources: the Kafka
documentation section "Replication", kafka.cluster.Partition, KIP-101, KIP-279,
KIP-841 (the last ISR member stays in the ISR), KIP-966 (unclean shutdown loss).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafkacheck.model.cluster import partition as pt
from kafkacheck.model.cluster.partition import (
    ACKED,
    DURABLE,
    EPOCH,
    EXPOSED,
    HWS,
    ISR,
    LEADER,
    LOGS,
    NO_LEADER,
    PENDING,
    REMOTE,
    SYNCED,
    entry,
    entry_epoch,
    entry_record,
    put,
)
from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.model.settings import LONG_MAX
from kafkacheck.properties.base import Property

# Fields of the model state tuple.
ALIVE, FENCED, CRASHES, CHANGES, NEXT_RECORD, LOST_ACKS, BOUNCES, ELRS, PARTS = range(9)

CRASH_KINDS = ("process", "power-loss", "any")
BUGS = ("none", "hw-ignores-isr", "shrink-leader", "hw-kept-on-truncation", "skip-truncation",
        "never-commit", "no-election")


def broker_name(b: int) -> str:
    """Display name of broker index ``b``."""
    return f"B{b + 1}"


def mask_text(mask: int, n: int) -> str:
    """A broker bitmask as {B1, B3}."""
    return "{" + ", ".join(broker_name(b) for b in range(n) if mask >> b & 1) + "}"


def log_text(log: tuple) -> str:
    """A log as [r1@e0, r2@e1] (record id @ leader epoch)."""
    return "[" + ", ".join(f"r{entry_record(e)}@e{entry_epoch(e)}" for e in log) + "]"


class ReplicationModel(Model):
    """Replicated partitions over brokers that crash, restart and lose unflushed data."""

    name = "replication"
    summary = "Partition replication: ISR, high watermark, leader epochs, acks, elections"
    source = "Kafka docs 'Replication'; kafka.cluster.Partition; KIP-101, KIP-279, KIP-841"
    settings = (
        "replication.factor",
        "min.insync.replicas",
        "unclean.leader.election.enable",
        "acks",
        "flush.messages",
        "log.flush.interval.messages",
        "eligible.leader.replicas.version",
    )
    key_settings = ("acks", "min.insync.replicas", "replication.factor",
                    "unclean.leader.election.enable")
    bounds = (
        Bound("partitions", 1, "partitions of the topic", minimum=1, maximum=4),
        Bound("records", 2, "records the producer sends in all", minimum=0, maximum=60),
        Bound("crashes", 1, "broker crashes in the fault budget", minimum=0, fault="broker crash"),
        Bound("crash_kind", "process",
              "process: the page cache survives (kill -9); power-loss: unflushed data is "
              "lost; any: either", choices=CRASH_KINDS),
        Bound("leader_changes", 0, "leadership moves without a crash (preferred-leader "
              "election, controlled shutdown)", minimum=0, fault="leader move"),
        Bound("lost_acks", 0, "produce responses lost on the way to the client", minimum=0,
              fault="lost produce response"),
        Bound("bounces", 0, "quick follower restarts inside the controller's session timeout: "
              "the broker keeps its ISR membership (ZooKeeper-era controllers; the KIP-101 "
              "scenario)", minimum=0, fault="quick follower restart"),
        Bound("truncation", "leader-epoch", "how a new follower truncates: leader-epoch "
              "(KIP-101 + KIP-279), kip101 (0.11), high-watermark (before 0.11)",
              choices=pt.TRUNCATION_RULES),
        Bound("bug", "none", "inject a bug, to show that the properties can fail",
              choices=BUGS),
    )

    @classmethod
    def validate_config(cls, config: Any) -> str | None:
        rf = config.kafka["replication.factor"]
        isr = config.kafka["min.insync.replicas"]
        if isr > rf:
            return (f"min.insync.replicas={isr} exceeds replication.factor={rf}: every acks=all "
                    "write would fail with NOT_ENOUGH_REPLICAS")
        if rf > 5:
            return f"replication.factor={rf} is beyond exhaustive reach here (at most 5)"
        return None

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        k = self.kafka
        self.n = k["replication.factor"]
        self.min_isr = k["min.insync.replicas"]
        self.unclean = k["unclean.leader.election.enable"]
        self.acks = k["acks"]
        # KIP-966 Eligible Leader Replicas (Kafka 4.0 opt-in, 4.1+ default on new clusters).
        self.elr = k.get("eligible.leader.replicas.version", 0) == 1
        self.hw_min_isr = self.min_isr if self.elr else 0
        flush = k["flush.messages"] if "flush.messages" in config.explicit else \
            k["log.flush.interval.messages"]
        self.flush_every = flush
        b = self.bound
        self.partitions = b["partitions"]
        self.max_records = b["records"]
        self.crash_kind = b["crash_kind"]
        self.rule = b["truncation"]
        self.bug = b["bug"]
        self.track_flush = self.crash_kind != "process" and flush != 1 and b["crashes"] > 0
        if flush == LONG_MAX:
            self.flush_every = LONG_MAX
        # Replica assignment: partition p's replicas start at broker p (round robin).
        self.order = [tuple((p + i) % self.n for i in range(self.n))
                      for p in range(self.partitions)]
        self.everyone = (1 << self.n) - 1

    # -- state ------------------------------------------------------------------------

    def init_states(self) -> list[State]:
        parts = tuple(pt.initial_partition(self.n, self.order[p][0], self.track_flush)
                      for p in range(self.partitions))
        b = self.bound
        return [(self.everyone, 0, b["crashes"], b["leader_changes"], 1, b["lost_acks"],
                 b["bounces"], (0,) * self.partitions, parts)]

    def _raise_hw(self, part: tuple) -> tuple:
        """Advance the leader's HW; with ELR only while |ISR| >= min.insync.replicas (KIP-966)."""
        if self.hw_min_isr and part[ISR].bit_count() < self.hw_min_isr:
            return part
        if self.bug == "never-commit":
            return part
        return pt.with_leader_hw(part, pt.advanced_hw(part))

    def _with_elr(self, state: State, p: int, elr: int) -> State:
        return state[:ELRS] + (put(state[ELRS], p, elr),) + state[ELRS + 1:]

    def _label(self, name: str, p: int, *args: object) -> Action:
        return (name, *args, f"p{p}") if self.partitions > 1 else (name, *args)

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        alive, fenced = state[ALIVE], state[FENCED]
        parts = state[PARTS]
        for p, part in enumerate(parts):
            yield from self._partition_actions(state, p, part, alive)
        yield from self._broker_actions(state, alive, fenced, parts)

    def _with_part(self, state: State, p: int, part: tuple) -> State:
        return state[:PARTS] + (put(state[PARTS], p, part),)

    def _partition_actions(self, state: State, p: int, part: tuple,
                           alive: int) -> Iterator[tuple[Action, State]]:
        leader = part[LEADER]
        leader_up = leader != NO_LEADER and alive >> leader & 1
        n = self.n
        if leader_up:
            yield from self._produce(state, p, part)
            yield from self._acks(state, p, part)
            for f in range(n):
                if f == leader or not alive >> f & 1:
                    continue
                if part[SYNCED][f] == part[EPOCH]:
                    nxt = pt.fetch(part, f, self.flush_every,
                                   1 << 30 if self.bug == "never-commit" else self.hw_min_isr)
                    if nxt is not None:
                        yield (self._label("Fetch", p, broker_name(f)),
                               self._with_part(state, p, nxt))
                else:
                    yield self._truncate(state, p, part, f)
            yield from self._isr_changes(state, p, part, alive)
        elif leader != NO_LEADER and self.rule == "high-watermark":
            # Legacy followers truncate on becoming follower, whether or not the leader is up.
            for f in range(n):
                if f != leader and alive >> f & 1 and part[SYNCED][f] != part[EPOCH]:
                    yield self._truncate(state, p, part, f)
        if leader == NO_LEADER and self.bug != "no-election":
            yield from self._offline_election(state, p, part, alive & ~state[FENCED])
        elif leader_up and state[CHANGES] > 0:
            eligible = alive & ~state[FENCED]
            for b in range(n):
                if b != leader and part[ISR] >> b & 1 and eligible >> b & 1:
                    nxt = pt.elect(part, b, part[ISR])
                    yield (self._label("MoveLeader", p, broker_name(b)),
                           put(self._with_part(state, p, nxt), CHANGES, state[CHANGES] - 1))

    def _produce(self, state: State, p: int, part: tuple) -> Iterator[tuple[Action, State]]:
        """ProduceRequest to the leader: Partition.appendRecordsToLeader."""
        record = state[NEXT_RECORD]
        if record > self.max_records:
            return
        leader = part[LEADER]
        isr_size = part[ISR].bit_count()
        if self.acks == -1 and isr_size < self.min_isr:
            return  # NOT_ENOUGH_REPLICAS before the append: nothing is written
        log = part[LOGS][leader] + (entry(part[EPOCH], record),)
        nxt = put(part, LOGS, put(part[LOGS], leader, log))
        durable = nxt[DURABLE]
        if durable and len(log) - durable[leader] >= self.flush_every:
            nxt = put(nxt, DURABLE, put(durable, leader, len(log)))
        if self.acks == -1:
            nxt = put(nxt, PENDING, nxt[PENDING] + ((record, len(log) - 1),))
        if self.bug == "hw-ignores-isr":
            nxt = pt.with_leader_hw(nxt, len(log))
        else:
            nxt = self._raise_hw(nxt)
        base = put(state, NEXT_RECORD, record + 1)
        label = self._label("Produce", p, f"r{record}")
        if self.acks == 1:
            acked = put(nxt, ACKED, nxt[ACKED] | 1 << record)
            yield label, self._with_part(base, p, acked)
            if state[LOST_ACKS] > 0:
                lost = put(base, LOST_ACKS, state[LOST_ACKS] - 1)
                yield (*label, "response lost"), self._with_part(lost, p, nxt)
        else:
            yield label, self._with_part(base, p, nxt)

    def _acks(self, state: State, p: int, part: tuple) -> Iterator[tuple[Action, State]]:
        """acks=all completion in the purgatory: Partition.checkEnoughReplicasReachOffset."""
        leader = part[LEADER]
        hw = part[HWS][leader]
        for i, (record, offset) in enumerate(part[PENDING]):
            if hw <= offset:
                continue
            rest = part[PENDING][:i] + part[PENDING][i + 1 :]
            done = put(part, PENDING, rest)
            if part[ISR].bit_count() >= self.min_isr:
                acked = put(done, ACKED, done[ACKED] | 1 << record)
                yield self._label("Ack", p, f"r{record}"), self._with_part(state, p, acked)
            else:
                label = self._label("AckError", p, f"r{record}",
                                    "NOT_ENOUGH_REPLICAS_AFTER_APPEND")
                yield label, self._with_part(state, p, done)
            if state[LOST_ACKS] > 0:
                lost = put(state, LOST_ACKS, state[LOST_ACKS] - 1)
                yield self._label("AckLost", p, f"r{record}"), self._with_part(lost, p, done)
        if self.hw_min_isr and part[ISR].bit_count() < self.hw_min_isr:
            # The HW cannot move (KIP-966 strict min ISR): DelayedProduce expires after
            # request.timeout.ms and answers REQUEST_TIMED_OUT.
            for i, (record, offset) in enumerate(part[PENDING]):
                if hw <= offset:
                    rest = part[PENDING][:i] + part[PENDING][i + 1:]
                    yield (self._label("ProduceTimeout", p, f"r{record}"),
                           self._with_part(state, p, put(part, PENDING, rest)))

    def _truncate(self, state: State, p: int, part: tuple, f: int) -> tuple[Action, State]:
        """A replica becoming follower truncates (ReplicaFetcherThread, KIP-101/KIP-279)."""
        leader = part[LEADER]
        if self.bug == "skip-truncation":
            offset = len(part[LOGS][f])
        else:
            offset = pt.truncation_offset(self.rule, part[LOGS][f], part[HWS][f],
                                          part[LOGS][leader], part[EPOCH])
        nxt = pt.truncate_replica(part, f, offset)
        nxt = put(nxt, SYNCED, put(nxt[SYNCED], f, part[EPOCH]))
        label = self._label("BecomeFollower", p, broker_name(f), f"truncate to {offset}")
        return label, self._with_part(state, p, nxt)

    def _isr_changes(self, state: State, p: int, part: tuple,
                     alive: int) -> Iterator[tuple[Action, State]]:
        """AlterPartition from the leader: shrink a lagging follower, expand a caught-up one."""
        leader = part[LEADER]
        leader_log = part[LOGS][leader]
        leo = len(leader_log)
        isr = part[ISR]
        remote = part[REMOTE]
        eligible = alive & ~state[FENCED]
        epoch_start = next((i for i, e in enumerate(leader_log)
                            if entry_epoch(e) == part[EPOCH]), leo)
        hw = part[HWS][leader]
        for f in range(self.n):
            if f == leader:
                if self.bug == "shrink-leader" and isr != 1 << leader:
                    yield (self._label("ShrinkIsr", p, broker_name(f)),
                           self._with_part(state, p, put(part, ISR, isr & ~(1 << f))))
                continue
            if isr >> f & 1:
                if not alive >> f & 1 or remote[f] < leo:
                    nxt = self._raise_hw(put(part, ISR, isr & ~(1 << f)))
                    after = self._with_part(state, p, nxt)
                    if self.elr and (isr & ~(1 << f)).bit_count() < self.min_isr:
                        # KIP-966: a replica leaving an ISR below min ISR is eligible (ELR):
                        # the HW stopped, so it holds everything below it.
                        after = self._with_elr(after, p, state[ELRS][p] | 1 << f)
                    yield self._label("ShrinkIsr", p, broker_name(f)), after
            elif eligible >> f & 1 and remote[f] >= hw and remote[f] >= epoch_start:
                nxt = self._raise_hw(put(part, ISR, isr | 1 << f))
                after = self._with_part(state, p, nxt)
                if self.elr:
                    elr = state[ELRS][p] & ~(1 << f)
                    after = self._with_elr(after, p, 0 if (isr | 1 << f).bit_count()
                                           >= self.min_isr else elr)
                yield self._label("ExpandIsr", p, broker_name(f)), after

    def _offline_election(self, state: State, p: int, part: tuple,
                          eligible: int) -> Iterator[tuple[Action, State]]:
        """An offline partition gets a leader: the last ISR member back, or an unclean pick."""
        order = self.order[p]
        leader = pt.clean_candidate(part[ISR], eligible, order)
        if leader != NO_LEADER:
            yield (self._label("Elect", p, broker_name(leader)),
                   self._with_part(state, p, pt.elect(part, leader, part[ISR])))
            return
        if self.elr:
            # KIP-966 election order: the ISR, then an unfenced ELR member.
            leader = pt.clean_candidate(state[ELRS][p], eligible, order)
            if leader != NO_LEADER:
                after = self._with_part(state, p, pt.elect(part, leader, 1 << leader))
                yield (self._label("ElrElect", p, broker_name(leader)),
                       self._with_elr(after, p, state[ELRS][p] & ~(1 << leader)))
                return
        if self.unclean:
            leader = pt.clean_candidate(self.everyone, eligible, order)
            if leader != NO_LEADER:
                yield (self._label("UncleanElect", p, broker_name(leader)),
                       self._with_part(state, p, pt.elect(part, leader, 1 << leader)))

    def _broker_actions(self, state: State, alive: int, fenced: int,
                        parts: tuple) -> Iterator[tuple[Action, State]]:
        n = self.n
        for b in range(n):
            bit = 1 << b
            name = broker_name(b)
            if alive & bit:
                if state[CRASHES] > 0:
                    if self.crash_kind in ("process", "any"):
                        yield ("Crash", name), self._crash(state, b, power=False)
                    if self.crash_kind in ("power-loss", "any"):
                        yield ("PowerLoss", name), self._crash(state, b, power=True)
                if state[BOUNCES] > 0 and all(part[LEADER] != b for part in parts):
                    # A follower restarts before the controller notices: it keeps its ISR
                    # membership and becomes follower again (truncating by the rule).
                    bounced = tuple(put(part, SYNCED, put(part[SYNCED], b, -1)) for part in parts)
                    yield ("Bounce", name), (state[:BOUNCES] + (state[BOUNCES] - 1,)
                                             + state[BOUNCES + 1:PARTS] + (bounced,))
                if self.track_flush and any(part[DURABLE][b] < len(part[LOGS][b])
                                            for part in parts):
                    flushed = tuple(put(part, DURABLE, put(part[DURABLE], b, len(part[LOGS][b])))
                                    for part in parts)
                    yield ("Flush", name), state[:PARTS] + (flushed,)
            elif not fenced & bit:
                yield ("Fence", name), self._fence(state, b)
            else:
                parts2 = tuple(put(part, SYNCED, put(part[SYNCED], b, -1)) for part in parts)
                restarted = (alive | bit, fenced & ~bit) + state[CRASHES:PARTS] + (parts2,)
                if self.elr:
                    # Every crash here is an unclean shutdown: re-registering with a new
                    # broker epoch removes the replica from all ELRs (KAFKA-15586).
                    elrs = tuple(e & ~bit for e in state[ELRS])
                    restarted = restarted[:ELRS] + (elrs,) + restarted[ELRS + 1:]
                yield ("Restart", name), restarted

    def _crash(self, state: State, b: int, power: bool) -> State:
        """Broker b stops; with power loss its logs fall back to what was flushed."""
        parts = []
        for part in state[PARTS]:
            if part[LEADER] == b and part[PENDING]:
                part = put(part, PENDING, ())  # in-flight produce requests fail
            if power:
                keep = part[DURABLE][b] if part[DURABLE] else len(part[LOGS][b])
                hw = part[HWS][b]
                part = pt.truncate_replica(part, b, keep)
                if self.bug == "hw-kept-on-truncation":
                    part = put(part, HWS, put(part[HWS], b, hw))
            parts.append(part)
        crashed = (state[ALIVE] & ~(1 << b), state[FENCED], state[CRASHES] - 1)
        return crashed + state[CHANGES:PARTS] + (tuple(parts),)

    def _fence(self, state: State, b: int) -> State:
        """The controller fences a broker that stopped heartbeating (KIP-841 keeps the last
        ISR member); partitions it led get the first live ISR replica, or go offline."""
        fenced = state[FENCED] | 1 << b
        eligible = state[ALIVE] & ~fenced
        parts = []
        elrs = list(state[ELRS])
        for p, part in enumerate(state[PARTS]):
            isr = part[ISR]
            if isr >> b & 1 and (isr != 1 << b or self.elr):
                isr &= ~(1 << b)  # with ELR the ISR may become empty (KIP-966)
                if self.elr and isr.bit_count() < self.min_isr:
                    elrs[p] |= 1 << b
            if part[LEADER] == b:
                leader = pt.clean_candidate(isr, eligible, self.order[p])
                if self.bug == "no-election":
                    leader = NO_LEADER
                if leader == NO_LEADER and self.elr:
                    leader = pt.clean_candidate(elrs[p], eligible, self.order[p])
                    if leader != NO_LEADER:
                        isr = 1 << leader
                        elrs[p] &= ~(1 << leader)
                part = pt.elect(part, leader, isr)
            elif isr != part[ISR]:
                part = put(part, ISR, isr)
                if part[LEADER] != NO_LEADER:
                    part = self._raise_hw(part)
            parts.append(part)
        return ((state[ALIVE], fenced) + state[CRASHES:ELRS] + (tuple(elrs),)
                + (tuple(parts),))

    def action_families(self) -> tuple[str, ...]:
        return ("Produce", "Ack", "AckError", "AckLost", "Fetch", "BecomeFollower",
                "ShrinkIsr", "ExpandIsr", "Crash", "PowerLoss", "Flush", "Fence", "Restart",
                "Bounce", "Elect", "ElrElect", "UncleanElect", "MoveLeader", "ProduceTimeout")

    def notes(self) -> list[str]:
        """What a reader should know about this configuration before reading verdicts."""
        out = []
        if self.n == 1:
            out.append("replication.factor=1 (Kafka's default for new topics): one replica, "
                       "so there is no failover to check; set replication.factor=3")
        if self.crash_kind != "process" and self.flush_every == 1:
            out.append("flush.messages=1: every append is fsynced, so a power failure loses "
                       "nothing that was written")
        if self.elr:
            out.append("eligible.leader.replicas.version=1 (KIP-966): the high watermark only "
                       "advances while the ISR has min.insync.replicas members")
        return out

    def interest(self, state: State) -> float:
        """Acknowledged records, leader changes and missing ISR members: loss ingredients."""
        score = 0
        for part in state[PARTS]:
            score += part[ACKED].bit_count() + part[EPOCH] + self.n - part[ISR].bit_count()
        return float(score)

    def symbolic_encoding(self) -> Any:
        """The Z3 encoding of this configuration (explorer/symbolic.py)."""
        from kafkacheck.model.cluster.replication_symbolic import encoding_for

        return encoding_for(self)

    # -- properties --------------------------------------------------------------------

    def properties(self) -> list[Property]:
        from kafkacheck.properties import replication as props

        return props.replication_properties(self)

    # -- presentation ------------------------------------------------------------------

    def view(self, state: State) -> dict[str, Any]:
        out: dict[str, Any] = {
            "alive": ("mask", state[ALIVE]),
            "fenced": ("mask", state[FENCED]),
        }
        for p, part in enumerate(state[PARTS]):
            pre = f"p{p}." if self.partitions > 1 else ""
            out[f"{pre}leader"] = ("broker", part[LEADER])
            out[f"{pre}leader_epoch"] = part[EPOCH]
            out[f"{pre}isr"] = ("mask", part[ISR])
            if self.elr:
                out[f"{pre}elr"] = ("mask", state[ELRS][p])
            for b in range(self.n):
                name = broker_name(b)
                out[f"{pre}{name}.log"] = ("log", part[LOGS][b])
                out[f"{pre}{name}.hw"] = part[HWS][b]
                if part[DURABLE]:
                    out[f"{pre}{name}.flushed"] = part[DURABLE][b]
            out[f"{pre}acked"] = ("records", part[ACKED])
            out[f"{pre}awaiting_acks"] = ("pending", part[PENDING])
            out[f"{pre}committed"] = ("log", part[EXPOSED])
        return out

    def format_value(self, name: str, value: Any) -> str:
        if not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[0], str):
            return repr(value)
        kind, v = value
        if kind == "mask":
            return mask_text(v, self.n)
        if kind == "broker":
            return "none" if v == NO_LEADER else broker_name(v)
        if kind == "log":
            return log_text(v)
        if kind == "records":
            return pt.records_text(v)
        if kind == "pending":
            return pt.pending_text(v)
        return repr(v)

    def participants(self) -> tuple[str, ...]:
        return ("Producer", "Controller", *(broker_name(b) for b in range(self.n)))

    def message(self, action: Action, before: State, after: State) -> Message:
        name = action[0]
        args = [a for a in action[1:] if not (isinstance(a, str) and a.startswith("p")
                                               and a[1:].isdigit())]
        p = next((int(a[1:]) for a in action[1:] if isinstance(a, str) and a.startswith("p")
                  and a[1:].isdigit()), 0)
        part_before = before[PARTS][p]
        part_after = after[PARTS][p]
        leader = broker_name(part_before[LEADER]) if part_before[LEADER] != NO_LEADER else None
        acks = {-1: "all", 0: "0", 1: "1"}[self.acks]
        if name == "Produce" and leader:
            note = " (response lost)" if len(args) > 1 else ""
            return Message("Producer", leader, f"produce {args[0]} acks={acks}{note}")
        if name in ("Ack", "AckError", "AckLost") and leader:
            text = {"Ack": f"ack {args[0]}", "AckLost": f"ack {args[0]} lost",
                    "AckError": f"{args[0]} NOT_ENOUGH_REPLICAS_AFTER_APPEND"}[name]
            return Message(leader, "Producer", text)
        if name == "Fetch" and leader:
            f = int(args[0][1:]) - 1
            got = len(part_after[LOGS][f]) - len(part_before[LOGS][f])
            return Message(args[0], leader,
                           f"fetch from {len(part_before[LOGS][f])}, got {got}, "
                           f"hw {part_after[HWS][f]}")
        if name == "BecomeFollower":
            return Message(args[0], args[0], f"follower of epoch {part_after[EPOCH]}, {args[1]}")
        if name in ("ShrinkIsr", "ExpandIsr"):
            who = leader or "Controller"
            return Message(who, "Controller",
                           f"{name} {args[0]}: isr {mask_text(part_after[ISR], self.n)}")
        if name in ("Elect", "ElrElect", "UncleanElect", "MoveLeader"):
            return Message("Controller", args[0], f"{name}: leader epoch {part_after[EPOCH]}")
        if name == "Fence":
            leaders = ", ".join(
                f"p{i} leader {broker_name(q[LEADER]) if q[LEADER] != NO_LEADER else 'none'}"
                for i, q in enumerate(after[PARTS]))
            return Message("Controller", args[0], f"fence; {leaders}")
        return Message(args[0] if args else "Controller", args[0] if args else "Controller",
                       name)
