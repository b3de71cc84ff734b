"""The replication model as Z3 terms, for any number of brokers and any number of faults.

A parametric abstraction of `model/cluster/replication.py` that follows one tracked record r:
per broker whether its log holds r (at r's offset), whether its own HW covers r,
whether r is flushed to its disk, whether it is alive, fenced, in the ISR, and synced
with the current leader epoch.  Each action below is the replication model's action of
the same name seen through that abstraction (``min.insync.replicas`` is not counted: the
abstraction allows every acknowledgement the real check allows, and more, so a proof
here is sound for every value).  Used by `explorer/symbolic.py`.
"""

from __future__ import annotations

from typing import Any

import z3

from kafkacheck.explorer.symbolic import Encoding, SymbolicAction, Vars

FUNCTIONS = ("alive", "fenced", "isr", "has", "hwk", "flushed", "synced")
BOOLS = ("led", "produced", "committed", "acked")


def _declare(prefix: str, sort: Any) -> Vars:
    out: Vars = {n: z3.Function(f"{prefix}_{n}", sort, z3.BoolSort()) for n in FUNCTIONS}
    out.update({n: z3.Bool(f"{prefix}_{n}") for n in BOOLS})
    out["leader"] = z3.Const(f"{prefix}_leader", sort)
    return out


def _x(sort: Any) -> Any:
    return z3.Const("x", sort)


def _same(pre: Vars, post: Vars, sort: Any, keep: set[str]) -> list[Any]:
    """Frame conditions: everything not in ``keep``'s complement is unchanged."""
    x = _x(sort)
    out = []
    for name in FUNCTIONS:
        if name not in keep:
            out.append(z3.ForAll([x], post[name](x) == pre[name](x)))
    for name in (*BOOLS, "leader"):
        if name not in keep:
            out.append(post[name] == pre[name])
    return out


def _set(pre: Vars, post: Vars, sort: Any, name: str, who: Any, value: Any) -> Any:
    x = _x(sort)
    return z3.ForAll([x], post[name](x) == z3.If(x == who, value, pre[name](x)))


def replication_encoding(acks: int = -1, unclean: bool = False,
                         truncation: str = "leader-epoch", power_loss: bool = False,
                         flush_every_message: bool = False,
                         leader_moves: bool = True) -> Encoding:
    """The encoding for one configuration (Kafka settings and fault kinds)."""
    sort = z3.DeclareSort("Broker")

    def changes(pre: Vars, post: Vars, s: Any, *names: str) -> list[Any]:
        return _same(pre, post, s, set(names))

    def srt(v: Vars) -> Any:
        return v["leader"].sort()

    def leader_up(v: Vars) -> Any:
        return z3.And(v["led"], v["alive"](v["leader"]))

    def eligible(v: Vars, b: Any) -> Any:
        return z3.And(v["alive"](b), z3.Not(v["fenced"](b)))

    def produce(pre: Vars, post: Vars, p: dict) -> Any:
        s = srt(pre)
        ld = pre["leader"]
        flush = [_set(pre, post, s, "flushed", ld, True)] if flush_every_message else []
        kept = ("has", "produced", "flushed") if flush_every_message else ("has", "produced")
        return z3.And(leader_up(pre), z3.Not(pre["produced"]), post["produced"],
                      _set(pre, post, s, "has", ld, True), *flush, *changes(pre, post, s, *kept))

    def fetch(pre: Vars, post: Vars, p: dict) -> Any:
        s, f, ld = srt(pre), p["f"], pre["leader"]
        got = z3.Or(pre["has"](f), pre["has"](ld))
        flushed = [_set(pre, post, s, "flushed", f, z3.And(pre["flushed"](f), got))]
        if flush_every_message:
            flushed = [_set(pre, post, s, "flushed", f, got)]
        return z3.And(leader_up(pre), f != ld, eligible(pre, f), pre["synced"](f),
                      _set(pre, post, s, "has", f, got),
                      _set(pre, post, s, "hwk", f, z3.And(got, pre["hwk"](ld))),
                      *flushed, *changes(pre, post, s, "has", "hwk", "flushed"))

    def advance_hw(pre: Vars, post: Vars, p: dict) -> Any:
        s, ld = srt(pre), pre["leader"]
        b = _x(s)
        all_isr_have = z3.ForAll([b], z3.Implies(pre["isr"](b), pre["has"](b)))
        return z3.And(leader_up(pre), pre["produced"], all_isr_have, post["committed"],
                      _set(pre, post, s, "hwk", ld, True),
                      *changes(pre, post, s, "committed", "hwk"))

    def ack(pre: Vars, post: Vars, p: dict) -> Any:
        s, ld = srt(pre), pre["leader"]
        ready = pre["hwk"](ld) if acks == -1 else pre["has"](ld)
        return z3.And(leader_up(pre), pre["produced"], ready, post["acked"],
                      *changes(pre, post, s, "acked"))

    def shrink(pre: Vars, post: Vars, p: dict) -> Any:
        s, f = srt(pre), p["f"]
        return z3.And(leader_up(pre), f != pre["leader"], pre["isr"](f),
                      _set(pre, post, s, "isr", f, False), *changes(pre, post, s, "isr"))

    def expand(pre: Vars, post: Vars, p: dict) -> Any:
        s, f = srt(pre), p["f"]
        caught_up = z3.Implies(pre["committed"], pre["has"](f))
        return z3.And(leader_up(pre), eligible(pre, f), z3.Not(pre["isr"](f)), pre["synced"](f),
                      caught_up, _set(pre, post, s, "isr", f, True),
                      *changes(pre, post, s, "isr"))

    def crash(pre: Vars, post: Vars, p: dict) -> Any:
        s, b = srt(pre), p["b"]
        return z3.And(pre["alive"](b), _set(pre, post, s, "alive", b, False),
                      *changes(pre, post, s, "alive"))

    def power(pre: Vars, post: Vars, p: dict) -> Any:
        s, b = srt(pre), p["b"]
        kept = pre["flushed"](b)
        return z3.And(pre["alive"](b), _set(pre, post, s, "alive", b, False),
                      _set(pre, post, s, "has", b, z3.And(pre["has"](b), kept)),
                      _set(pre, post, s, "hwk", b, z3.And(pre["hwk"](b), kept)),
                      *changes(pre, post, s, "alive", "has", "hwk"))

    def flush(pre: Vars, post: Vars, p: dict) -> Any:
        s, b = srt(pre), p["b"]
        return z3.And(pre["alive"](b), _set(pre, post, s, "flushed", b, pre["has"](b)),
                      *changes(pre, post, s, "flushed"))

    def new_epoch(pre: Vars, post: Vars, s: Any, leader: Any) -> Any:
        x = _x(s)
        return z3.ForAll([x], post["synced"](x) == (x == leader))

    def fence(pre: Vars, post: Vars, p: dict) -> Any:
        s, b, c = srt(pre), p["b"], p["c"]
        x = _x(s)
        last = z3.ForAll([x], z3.Implies(pre["isr"](x), x == b))
        isr_after = z3.ForAll([x], post["isr"](x) == z3.If(x == b, z3.And(pre["isr"](b), last),
                                                           pre["isr"](x)))
        was_leader = z3.And(pre["led"], pre["leader"] == b)
        someone = z3.Exists([x], z3.And(post["isr"](x), eligible(pre, x), x != b))
        elect = z3.If(was_leader,
                      z3.If(someone,
                            z3.And(post["led"], post["leader"] == c, post["isr"](c),
                                   eligible(pre, c), c != b, new_epoch(pre, post, s, c)),
                            z3.And(z3.Not(post["led"]), post["leader"] == pre["leader"],
                                   z3.ForAll([x], z3.Not(post["synced"](x))))),
                      z3.And(post["led"] == pre["led"], post["leader"] == pre["leader"],
                             z3.ForAll([x], post["synced"](x) == pre["synced"](x))))
        return z3.And(z3.Not(pre["alive"](b)), z3.Not(pre["fenced"](b)),
                      _set(pre, post, s, "fenced", b, True), isr_after, elect,
                      *changes(pre, post, s, "fenced", "isr", "led", "leader", "synced"))

    def restart(pre: Vars, post: Vars, p: dict) -> Any:
        s, b = srt(pre), p["b"]
        return z3.And(z3.Not(pre["alive"](b)), pre["fenced"](b),
                      _set(pre, post, s, "alive", b, True),
                      _set(pre, post, s, "fenced", b, False),
                      _set(pre, post, s, "synced", b, False),
                      *changes(pre, post, s, "alive", "fenced", "synced"))

    def become_follower(pre: Vars, post: Vars, p: dict) -> Any:
        s, f, ld = srt(pre), p["f"], pre["leader"]
        if truncation == "high-watermark":
            keep = pre["hwk"](f)
            guard = pre["led"]
        else:  # leader-epoch (KIP-101 + KIP-279): keep r where the leader has it
            keep = pre["has"](ld)
            guard = leader_up(pre)
        has_after = z3.And(pre["has"](f), keep)
        return z3.And(guard, f != ld, eligible(pre, f), z3.Not(pre["synced"](f)),
                      _set(pre, post, s, "has", f, has_after),
                      _set(pre, post, s, "hwk", f, z3.And(pre["hwk"](f), has_after)),
                      _set(pre, post, s, "flushed", f, z3.And(pre["flushed"](f), has_after)),
                      _set(pre, post, s, "synced", f, True),
                      *changes(pre, post, s, "has", "hwk", "flushed", "synced"))

    def elect(pre: Vars, post: Vars, p: dict) -> Any:
        s, c = srt(pre), p["c"]
        return z3.And(z3.Not(pre["led"]), pre["isr"](c), eligible(pre, c), post["led"],
                      post["leader"] == c, new_epoch(pre, post, s, c),
                      *changes(pre, post, s, "led", "leader", "synced"))

    def unclean_elect(pre: Vars, post: Vars, p: dict) -> Any:
        s, c = srt(pre), p["c"]
        x = _x(s)
        no_clean = z3.Not(z3.Exists([x], z3.And(pre["isr"](x), eligible(pre, x))))
        return z3.And(z3.Not(pre["led"]), no_clean, eligible(pre, c), post["led"],
                      post["leader"] == c, z3.ForAll([x], post["isr"](x) == (x == c)),
                      new_epoch(pre, post, s, c),
                      *changes(pre, post, s, "led", "leader", "isr", "synced"))

    def move_leader(pre: Vars, post: Vars, p: dict) -> Any:
        s, c = srt(pre), p["c"]
        return z3.And(leader_up(pre), c != pre["leader"], pre["isr"](c), eligible(pre, c),
                      post["led"], post["leader"] == c, new_epoch(pre, post, s, c),
                      *changes(pre, post, s, "led", "leader", "synced"))

    actions = [
        SymbolicAction("Produce", (), produce, "Partition.appendRecordsToLeader"),
        SymbolicAction("Fetch", ("f",), fetch, "ReplicaManager.fetchMessages"),
        SymbolicAction("AdvanceHw", (), advance_hw, "Partition.maybeIncrementLeaderHW"),
        SymbolicAction("Ack", (), ack, "Partition.checkEnoughReplicasReachOffset"),
        SymbolicAction("ShrinkIsr", ("f",), shrink, "Partition.maybeShrinkIsr"),
        SymbolicAction("ExpandIsr", ("f",), expand, "Partition.maybeExpandIsr"),
        SymbolicAction("Crash", ("b",), crash, "process crash (page cache survives)"),
        SymbolicAction("Fence", ("b", "c"), fence, "KIP-841 fencing + clean election"),
        SymbolicAction("Restart", ("b",), restart, "broker re-registration"),
        SymbolicAction("BecomeFollower", ("f",), become_follower, "KIP-101/KIP-279"),
        SymbolicAction("Elect", ("c",), elect, "offline partition, last ISR member back"),
    ]
    if power_loss and not flush_every_message:
        actions.append(SymbolicAction("PowerLoss", ("b",), power, "KIP-966 unclean shutdown"))
        actions.append(SymbolicAction("Flush", ("b",), flush, "OS writeback"))
    if unclean:
        actions.append(SymbolicAction("UncleanElect", ("c",), unclean_elect,
                                      "unclean.leader.election.enable=true"))
    if leader_moves:
        actions.append(SymbolicAction("MoveLeader", ("c",), move_leader,
                                      "preferred leader election"))

    def init(v: Vars) -> Any:
        s = srt(v)
        x = _x(s)
        return z3.And(v["led"], z3.Not(v["produced"]), z3.Not(v["committed"]),
                      z3.Not(v["acked"]),
                      z3.ForAll([x], z3.And(v["alive"](x), z3.Not(v["fenced"](x)), v["isr"](x),
                                            z3.Not(v["has"](x)), z3.Not(v["hwk"](x)),
                                            z3.Not(v["flushed"](x)), v["synced"](x))))

    def invariant(v: Vars) -> Any:
        s = srt(v)
        x = _x(s)
        parts = [
            z3.Implies(v["led"], v["isr"](v["leader"])),
            z3.Implies(v["committed"], z3.ForAll([x], z3.Implies(v["isr"](x), v["has"](x)))),
            z3.ForAll([x], z3.Implies(v["hwk"](x), z3.And(v["committed"], v["has"](x)))),
            z3.ForAll([x], z3.Implies(v["flushed"](x), v["has"](x))),
            z3.ForAll([x], z3.Implies(v["has"](x), v["produced"])),
            z3.Implies(v["acked"], v["committed"]),
        ]
        if flush_every_message:
            parts.append(z3.ForAll([x], v["flushed"](x) == v["has"](x)))
        return z3.And(*parts)

    def prop(v: Vars) -> Any:
        return z3.Implies(z3.And(v["acked"], v["led"], v["alive"](v["leader"])),
                          v["has"](v["leader"]))

    def describe(model: z3.ModelRef, v: Vars, values: list[Any]) -> dict[str, Any]:
        def members(name: str) -> list[str]:
            return [str(b) for b in values if z3.is_true(model.eval(v[name](b)))]

        out: dict[str, Any] = {n: members(n) for n in ("alive", "isr", "has")}
        out["leader"] = str(model.eval(v["leader"])) if z3.is_true(model.eval(v["led"])) \
            else "none"
        out["acked"] = z3.is_true(model.eval(v["acked"]))
        return out

    return Encoding("replication", _declare, init, actions, invariant, prop, sort, describe)


def encoding_for(model: Any) -> Encoding:
    """The symbolic encoding matching a ReplicationModel instance's configuration."""
    return replication_encoding(
        acks=model.acks, unclean=model.unclean, truncation=model.rule,
        power_loss=model.crash_kind != "process", flush_every_message=model.flush_every == 1,
        leader_moves=model.bound["leader_changes"] > 0)
