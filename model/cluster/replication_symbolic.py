"""The replication model as Z3 terms, for any number of brokers and any number of faults.

A parametric abstraction of ``model/cluster/replication.py`` that follows one tracked
record r of one partition.  Per broker: alive, fenced, in the ISR, in the ELR, holds r
(``has``), its HW covers r (``hwk``), r is fsynced (``flushed``), synced with the current
leader epoch, the leader saw it fetch past r's offset (``known``), its log is a prefix of
the leader's (``pfx``), the leader's record of its fetch offset is within the leader's log
(``rb``).  Globally: the leader and the last known leader (each with a flag saying it is
defined), whether r was produced and acknowledged, whether the ISR is below
min.insync.replicas (``under``) and whether the leader's epoch started past r (``esp``).

``abstract`` maps an explicit state to this valuation for each tracked record, and each
explicit action has a symbolic action of the same name (``EXPLICIT_ACTIONS``): the test
``tests/test_symbolic_abstraction.py`` checks every transition of exhaustive runs against
the relations, so the encoding is tied to the explicit model rather than written beside it.
Truncation (BecomeFollower) is per rule and not assumed: for leader-epoch truncation the
encoding keeps r exactly when the leader holds it and the follower ends as a prefix of the
leader's log, a lemma ``tests/test_symbolic_truncation.py`` checks against the partition
component's rule over every small pair of logs; KIP-101 alone and the high watermark rule
give weaker relations.  Used by ``explorer/symbolic.py`` and ``kafkacheck prove``.
"""

from __future__ import annotations

import hashlib
import io
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import z3

from kafkacheck.config import UsageError
from kafkacheck.explorer.symbolic import Encoding, SymbolicAction, Vars, declare_vars
from kafkacheck.model.cluster import partition as pt

FUNCTIONS = ("alive", "fenced", "isr", "elr", "has", "hwk", "flushed", "synced", "known",
             "pfx", "rb")
PLAIN = ("produced", "acked", "under", "esp")
BOOLEANS = ("led", "hasl", *PLAIN)
BROKERS = ("leader", "last")
GUARDS = {"leader": "led", "last": "hasl"}
# What an ISR change or election may touch; every other variable keeps its value.
PARTITION = ("leader", "last", "isr", "elr", "under", "synced", "known", "rb", "pfx", "esp",
             "hwk")
EPOCH = ("synced", "known", "rb", "pfx", "esp")  # reset by a new leader epoch
HOWS = ("stay", "clean", "elr", "last-leader", "unclean", "none")
PROPERTY = "NoAckedWriteLost"


class Valuation(NamedTuple):
    """The abstract state of one tracked record: broker predicates as bitmasks (bit b for
    broker index b), flags, and the leader / last known leader (None when undefined)."""

    alive: int
    fenced: int
    isr: int
    elr: int
    has: int
    hwk: int
    flushed: int
    synced: int
    known: int
    pfx: int
    rb: int
    led: bool
    hasl: bool
    produced: bool
    acked: bool
    under: bool
    esp: bool
    leader: int | None
    last: int | None


@dataclass(frozen=True)
class Flags:
    """What of a configuration the encoding represents (derived from the model's rules)."""

    acks: int = -1
    unclean: bool = False
    truncation: str = "leader-epoch"  # leader-epoch | kip101 | high-watermark
    truncates_alone: bool = False  # followers truncate while the leader is down (pre-0.11)
    strict_hw: bool = True  # KAFKA-15583: no HW advance below min ISR (3.7+)
    elr: bool = False  # KIP-966 Eligible Leader Replicas
    crash: bool = True  # process crashes (page cache survives)
    power_loss: bool = False  # power loss (unflushed writes lost)
    flush: str = "never"  # every (flush.messages=1) | tracked | never (no fsync of its own)
    leader_moves: bool = False
    bounces: bool = False
    lost_acks: bool = False
    records: bool = True
    min_isr: int = 2  # effective min ISR: used only over a fixed number of brokers

    @property
    def faults(self) -> bool:
        """Whether brokers can fail at all (so fencing, restarts and elections happen)."""
        return self.crash or self.power_loss

    @property
    def over_approximation(self) -> str:
        """Where the encoding allows more than Kafka (its counterexamples may be spurious):
        '' when it allows exactly what the rules do."""
        if self.truncation == "kip101":
            return ("the encoding lets a follower under KIP-101's truncation keep a "
                    "diverging suffix at any election, which Kafka does only after leader "
                    "changes in quick succession (the case KIP-279 fixed)")
        return ""


def _nobody(x: Any) -> Any:
    """The empty set of brokers."""
    return z3.BoolVal(False)


# -- the encoding ---------------------------------------------------------------------------


def replication_encoding(**changes: Any) -> Encoding:
    """The encoding for flags given by name (the defaults: acks=all, clean elections,
    leader-epoch truncation, strict min ISR HW, process crashes only)."""
    return build(replace(Flags(), **changes))


def build(fl: Flags) -> Encoding:
    """The symbolic replication model for one set of flags."""

    def up(v: Vars) -> Any:
        return z3.And(v["led"], v["alive"](v["leader"]))

    def eligible(v: Vars, x: Any) -> Any:  # a follower fetching now may join the ISR
        return z3.And(v["alive"](x), z3.Not(v["fenced"](x)))

    def acceptable(v: Vars, x: Any) -> Any:  # may lead: unfenced, crashed or not (isActive)
        return z3.Not(v["fenced"](x))

    def same(pre: Vars, post: Vars, dom: Any, *changed: str) -> list[Any]:
        """Frame: every variable not named keeps its value."""
        out = [dom.forall(lambda x, n=n: post[n](x) == pre[n](x))
               for n in FUNCTIONS if n not in changed]
        out += [post[n] == pre[n] for n in PLAIN if n not in changed]
        for var, guard in GUARDS.items():
            if var not in changed:
                out += [post[guard] == pre[guard],
                        z3.Implies(pre[guard], post[var] == pre[var])]
        return out

    def only_frame(pre: Vars, post: Vars, dom: Any, names: tuple[str, ...]) -> list[Any]:
        """Frame exactly ``names``."""
        return same(pre, post, dom, *[n for n in (*FUNCTIONS, *PLAIN, *BROKERS)
                                      if n not in names])

    def at(pre: Vars, post: Vars, dom: Any, name: str, who: Any, value: Any) -> Any:
        return dom.forall(lambda x: post[name](x) == z3.If(x == who, value, pre[name](x)))

    def others(pre: Vars, post: Vars, dom: Any, name: str, *who: Any) -> Any:
        return dom.forall(lambda x: z3.Or(*[x == w for w in who], post[name](x) == pre[name](x)))

    def set_is(v: Vars, dom: Any, name: str, pred: Any) -> Any:
        return dom.forall(lambda x: v[name](x) == pred(x))

    def under_of(flag: Any, members: Any, pre: Vars, dom: Any) -> Any:
        """``flag`` says the set ``members`` is below min.insync.replicas: exact over a fixed
        number of brokers; otherwise what the min ISR class implies (1: below means empty;
        2 or more: an empty set is below; a one-member ISR is set where it arises), monotone
        in the set."""
        count = dom.count(members)
        if count is not None:
            return flag == (count < fl.min_isr)
        some = dom.exists(members)
        if fl.min_isr <= 1:
            return flag == z3.Not(some)
        return z3.And(
            z3.Implies(z3.Not(some), flag),
            z3.Implies(z3.And(dom.forall(lambda x: z3.Implies(members(x), pre["isr"](x))),
                              pre["under"]), flag),
            z3.Implies(z3.And(dom.forall(lambda x: z3.Implies(pre["isr"](x), members(x))),
                              z3.Not(pre["under"])), z3.Not(flag)))

    def raise_hw(pre: Vars, post: Vars, dom: Any) -> list[Any]:
        """Partition.maybeIncrementLeaderHW: the leader's HW may pass r once every other ISR
        member's fetch offset passed it (and, from 3.7, the ISR is not below min ISR)."""
        ld = pre["leader"]
        may = z3.And(post["has"](ld),
                     dom.forall(lambda x: z3.Implies(z3.And(post["isr"](x), x != ld),
                                                     post["known"](x))),
                     z3.Not(post["under"]) if fl.strict_hw else z3.BoolVal(True))
        return [z3.Implies(post["hwk"](ld), z3.Or(pre["hwk"](ld), may)),
                z3.Implies(z3.And(pre["hwk"](ld), post["has"](ld)), post["hwk"](ld))]

    def new_epoch(pre: Vars, post: Vars, dom: Any) -> list[Any]:
        """Partition.makeLeader: a new leader epoch; followers must truncate, the leader forgets
        their fetch offsets, its epoch starts at its log end."""
        return [dom.forall(lambda x: z3.And(
                    post["synced"](x) == z3.And(post["led"], x == post["leader"]),
                    z3.Not(post["known"](x)), post["rb"](x))),
                post["esp"] == z3.And(post["led"], post["has"](post["leader"])),
                dom.forall(lambda x: post["hwk"](x) == pre["hwk"](x))]

    def change(pre: Vars, post: Vars, dom: Any, target: Any, acc: Any, gone: Any,
               allow_unclean: bool, hows: tuple[str, ...]) -> Any:
        """PartitionChangeBuilder (PartitionRules.change + apply_change): a new ISR
        ``target``; a leader that is no longer valid is replaced (ISR, then ELR, then the last
        known leader, then unclean if allowed); ``gone`` shut down uncleanly (KIP-966)."""
        ld = pre["leader"]
        new = post["leader"]
        u_target = dom.boolean("under_target")
        some_target = dom.exists(target)

        def only(c: Any) -> Any:
            return lambda x: x == c

        # an ISR of one: below min ISR exactly when min ISR is 2 or more
        alone = z3.And(set_is(post, dom, "isr", only(new)), post["under"] == (fl.min_isr > 1))

        if fl.elr:
            def elr1(x: Any) -> Any:
                return z3.And(u_target, z3.Or(pre["elr"](x), pre["isr"](x)),
                              z3.Not(target(x)), z3.Not(gone(x)))

            def cands(x: Any) -> Any:
                return z3.If(some_target, target(x), elr1(x))

            stays = z3.And(pre["led"], cands(ld), acc(ld))
            cand = dom.exists(lambda x: z3.And(cands(x), acc(x)))
            last_ok = z3.And(z3.Not(some_target), z3.Not(dom.exists(elr1)), pre["hasl"],
                             acc(pre["last"]))
            unclean = z3.And(z3.BoolVal(allow_unclean), dom.exists(acc))
            no_last = z3.Not(post["hasl"])
            cases = {
                "stay": z3.And(stays, post["led"], new == ld, set_is(post, dom, "isr", target),
                               set_is(post, dom, "elr", elr1), no_last),
                "clean": z3.And(z3.Not(stays), cand, some_target, post["led"], target(new),
                                acc(new), set_is(post, dom, "isr", target),
                                set_is(post, dom, "elr", elr1), no_last),
                "elr": z3.And(z3.Not(stays), cand, z3.Not(some_target), post["led"], elr1(new),
                              acc(new), alone,
                              set_is(post, dom, "elr", lambda x: z3.And(elr1(x), x != new)),
                              no_last),
                "last-leader": z3.And(z3.Not(stays), z3.Not(cand), last_ok, post["led"],
                                      new == pre["last"], alone,
                                      set_is(post, dom, "elr", _nobody), no_last),
                "unclean": z3.And(z3.Not(stays), z3.Not(cand), z3.Not(last_ok), unclean,
                                  post["led"], acc(new), alone,
                                  set_is(post, dom, "elr", _nobody), no_last),
                "none": z3.And(
                    z3.Not(stays), z3.Not(cand), z3.Not(last_ok), z3.Not(unclean),
                    z3.Not(post["led"]), set_is(post, dom, "isr", target),
                    set_is(post, dom, "elr", elr1),
                    # the last known leader (4.1.1+, PR #20629): remembered as the leader
                    # is lost with none remembered, kept while the partition has none
                    z3.If(z3.And(pre["led"], z3.Not(pre["hasl"])),
                          z3.And(post["hasl"], post["last"] == ld),
                          z3.And(post["hasl"] == pre["hasl"],
                                 z3.Implies(post["hasl"], post["last"] == pre["last"])))),
            }
        else:
            def kept(x: Any) -> Any:  # KIP-841: the ISR never becomes empty
                return z3.If(some_target, target(x), pre["isr"](x))

            stays = z3.And(pre["led"], target(ld), acc(ld))
            cand = dom.exists(lambda x: z3.And(target(x), acc(x)))
            unclean = z3.And(z3.BoolVal(allow_unclean), dom.exists(acc))
            cases = {
                "stay": z3.And(stays, post["led"], new == ld, set_is(post, dom, "isr", kept)),
                "clean": z3.And(z3.Not(stays), cand, post["led"], target(new), acc(new),
                                set_is(post, dom, "isr", target)),
                "unclean": z3.And(z3.Not(stays), z3.Not(cand), unclean, post["led"], acc(new),
                                  alone),
                "none": z3.And(z3.Not(stays), z3.Not(cand), z3.Not(unclean),
                               z3.Not(post["led"]), set_is(post, dom, "isr", kept)),
            }
        chosen = z3.Or(*[cases[h] for h in hows if h in cases])
        moved = z3.Or(post["led"] != pre["led"], z3.And(pre["led"], new != ld))
        hw = z3.If(pre["led"],
                   z3.And(*raise_hw(pre, post, dom), others(pre, post, dom, "hwk", ld)),
                   set_is(post, dom, "hwk", pre["hwk"]))
        return z3.And(chosen, under_of(u_target, target, pre, dom),
                      z3.Implies(set_is(post, dom, "isr", target), post["under"] == u_target),
                      z3.If(moved, z3.And(*new_epoch(pre, post, dom)),
                            z3.And(*only_frame(pre, post, dom, EPOCH), hw)))

    # -- actions ---------------------------------------------------------------------------

    def produce(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        ld = pre["leader"]
        ok = up(pre) if fl.acks != -1 else z3.And(up(pre), z3.Not(pre["under"]))
        flush_leader = [others(pre, post, dom, "flushed", ld)] if fl.flush == "tracked" else []
        if fl.acks == -1:
            acked = post["acked"] == pre["acked"]
        elif fl.acks == 1 and fl.lost_acks:
            acked = z3.BoolVal(True)  # acknowledged, or the response was lost
        else:
            acked = post["acked"]
        appended_r = z3.And(
            ok, z3.Not(pre["produced"]), post["produced"], at(pre, post, dom, "has", ld, True),
            others(pre, post, dom, "hwk", ld), *raise_hw(pre, post, dom), *flush_leader,
            dom.forall(lambda x: z3.And(post["known"](x) == z3.Not(pre["rb"](x)),
                                        z3.Implies(pre["rb"](x), post["rb"](x)))),
            z3.Not(post["esp"]), acked,
            *same(pre, post, dom, "has", "hwk", "flushed", "known", "rb", "esp", "produced",
                  "acked"))
        flush_other = []
        if fl.flush == "tracked":
            flush_other = [z3.Implies(pre["flushed"](ld), post["flushed"](ld))]
        appended_other = z3.And(
            ok, others(pre, post, dom, "hwk", ld), *raise_hw(pre, post, dom), *flush_leader,
            *flush_other, dom.forall(lambda x: z3.Implies(pre["rb"](x), post["rb"](x))),
            *same(pre, post, dom, "hwk", "flushed", "rb"))
        lost_request = fl.acks == 0 and fl.lost_acks
        elsewhere = z3.And(
            z3.Not(pre["produced"]), post["produced"],
            z3.BoolVal(True) if lost_request else post["acked"] == pre["acked"],
            *same(pre, post, dom, "produced", "acked"))
        return z3.Or(appended_r, appended_other, elsewhere)

    def ack(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        ld = pre["leader"]
        return z3.And(up(pre), pre["hwk"](ld), z3.Not(pre["under"]), post["acked"],
                      *same(pre, post, dom, "acked"))

    def fetch(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        f, ld = p["f"], pre["leader"]
        flushed = []
        if fl.flush == "tracked":
            flushed = [z3.Implies(pre["flushed"](f), post["flushed"](f)),
                       others(pre, post, dom, "flushed", f)]
        return z3.And(
            up(pre), f != ld, pre["alive"](f), pre["synced"](f),
            z3.Implies(pre["has"](f), post["has"](f)),
            z3.Implies(post["has"](f), z3.Or(pre["has"](f), pre["has"](ld))),
            others(pre, post, dom, "has", f),
            z3.Implies(pre["has"](f), post["known"](f)),
            z3.Implies(z3.And(post["known"](f), pre["pfx"](f), pre["has"](ld)), pre["has"](f)),
            others(pre, post, dom, "known", f),
            z3.Implies(post["hwk"](f), z3.Or(pre["hwk"](ld), z3.Not(pre["has"](ld)))),
            z3.Implies(z3.And(post["has"](f), pre["hwk"](ld)), post["hwk"](f)),
            others(pre, post, dom, "hwk", f, ld), *raise_hw(pre, post, dom), *flushed,
            z3.Implies(pre["pfx"](f), post["rb"](f)), others(pre, post, dom, "rb", f),
            *same(pre, post, dom, "has", "known", "hwk", "flushed", "rb"))

    def become_follower(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        f, ld = p["f"], pre["leader"]
        guard = pre["led"] if fl.truncates_alone else up(pre)
        if fl.truncation == "leader-epoch":
            # Lemma (tests/test_symbolic_truncation.py): KIP-279 keeps r exactly when the
            # leader has it, and leaves a prefix of the leader's log.
            rule = [post["has"](f) == z3.And(pre["has"](f), pre["has"](ld)), post["pfx"](f)]
        elif fl.truncation == "kip101":
            # KIP-101 alone keeps r when the leader has it, and may keep it (and a diverging
            # suffix) when the leader does not: the case KIP-279 fixed.
            rule = [z3.Implies(z3.And(pre["has"](f), pre["has"](ld)), post["has"](f)),
                    z3.Implies(post["has"](f), pre["has"](f))]
        else:  # high-watermark: truncate to the follower's own HW
            rule = [post["has"](f) == pre["hwk"](f)]
        flushed = []
        if fl.flush == "tracked":
            flushed = [post["flushed"](f) == z3.And(pre["flushed"](f), post["has"](f)),
                       others(pre, post, dom, "flushed", f)]
        anyone = dom.exists(post["has"])
        return z3.And(
            guard, f != ld, pre["alive"](f), z3.Not(pre["synced"](f)), *rule,
            others(pre, post, dom, "has", f),
            post["hwk"](f) == z3.And(pre["hwk"](f), post["has"](f)),
            others(pre, post, dom, "hwk", f), *flushed, at(pre, post, dom, "synced", f, True),
            dom.forall(lambda x: post["known"](x) == z3.And(pre["known"](x), anyone)),
            others(pre, post, dom, "pfx", f),
            *same(pre, post, dom, "has", "hwk", "flushed", "synced", "known", "pfx"))

    def shrink(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        f, ld = p["f"], pre["leader"]
        return z3.And(up(pre), f != ld, pre["isr"](f),
                      change(pre, post, dom, lambda x: z3.And(pre["isr"](x), x != f),
                             lambda x: acceptable(pre, x), _nobody, False, ("stay",)),
                      *same(pre, post, dom, *PARTITION))

    def expand(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        f, ld = p["f"], pre["leader"]
        # isFollowerInSync: its fetch offset reached the HW and the leader's epoch start.
        return z3.And(up(pre), f != ld, z3.Not(pre["isr"](f)), eligible(pre, f),
                      z3.Implies(z3.Or(pre["hwk"](ld), pre["esp"]), pre["known"](f)),
                      change(pre, post, dom, lambda x: z3.Or(pre["isr"](x), x == f),
                             lambda x: acceptable(pre, x), _nobody, False, ("stay",)),
                      *same(pre, post, dom, *PARTITION))

    def unread(pre: Vars, post: Vars, b: Any) -> tuple[list[Any], tuple[str, ...]]:
        """acks=0: the leader b may crash with r's request unread (ReplicationModel
        ._crash_before_read): r becomes produced and acknowledged, in no log."""
        if fl.acks != 0:
            return [], ()
        kept = z3.And(post["produced"] == pre["produced"], post["acked"] == pre["acked"])
        lost = z3.And(pre["led"], pre["leader"] == b, z3.Not(pre["produced"]),
                      post["produced"], post["acked"])
        return [z3.Or(kept, lost)], ("produced", "acked")

    def crash(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        b = p["b"]
        lost, free = unread(pre, post, b)
        return z3.And(pre["alive"](b), at(pre, post, dom, "alive", b, False), *lost,
                      *same(pre, post, dom, "alive", *free))

    def power_loss(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        b, ld = p["b"], pre["leader"]
        flushed = []
        if fl.flush == "tracked":
            flushed = [post["flushed"](b) == pre["flushed"](b),
                       others(pre, post, dom, "flushed", b)]
        anyone = dom.exists(post["has"])
        was_leader = z3.And(pre["led"], ld == b)
        lost, free = unread(pre, post, b)
        return z3.And(
            pre["alive"](b), at(pre, post, dom, "alive", b, False), *lost,
            z3.Implies(z3.And(pre["has"](b), pre["flushed"](b)), post["has"](b)),
            z3.Implies(post["has"](b), pre["has"](b)), others(pre, post, dom, "has", b),
            post["hwk"](b) == z3.And(pre["hwk"](b), post["has"](b)),
            others(pre, post, dom, "hwk", b), *flushed,
            dom.forall(lambda x: post["known"](x) == z3.And(pre["known"](x), anyone)),
            z3.If(was_leader, z3.BoolVal(True),
                  z3.And(z3.Implies(pre["pfx"](b), post["pfx"](b)),
                         others(pre, post, dom, "pfx", b),
                         set_is(post, dom, "rb", pre["rb"]))),
            post["esp"] == z3.And(pre["esp"], post["has"](ld)),
            *same(pre, post, dom, "alive", "has", "hwk", "flushed", "known", "pfx", "rb",
                  "esp", *free))

    def fence(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        b = p["b"]
        involved = z3.Or(pre["isr"](b), z3.And(pre["led"], pre["leader"] == b))
        return z3.And(
            z3.Not(pre["alive"](b)), z3.Not(pre["fenced"](b)),
            at(pre, post, dom, "fenced", b, True),
            z3.If(involved,
                  change(pre, post, dom, lambda x: z3.And(pre["isr"](x), x != b),
                         lambda x: z3.And(acceptable(pre, x), x != b), _nobody, False,
                         HOWS),
                  z3.And(*only_frame(pre, post, dom, PARTITION))),
            *same(pre, post, dom, "fenced", *PARTITION))

    def restart(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        b = p["b"]
        mid = declare_vars(FUNCTIONS, BOOLEANS, BROKERS, "restarting", dom)
        involved = z3.Or(pre["isr"](b), pre["elr"](b))
        return z3.And(
            z3.Not(pre["alive"](b)), pre["fenced"](b),
            at(pre, mid, dom, "alive", b, True), at(pre, mid, dom, "fenced", b, False),
            # handleBrokerUncleanShutdown: b leaves the ISR and every ELR
            z3.If(involved,
                  change(pre, mid, dom, lambda x: z3.And(pre["isr"](x), x != b),
                         lambda x: z3.And(acceptable(pre, x), x != b), lambda x: x == b, False,
                         HOWS),
                  z3.And(*only_frame(pre, mid, dom, PARTITION))),
            *same(pre, mid, dom, "alive", "fenced", *PARTITION),
            wellformed(mid, dom),
            # the HW from the checkpoint is any value up to the one at the crash
            z3.Implies(post["hwk"](b), mid["hwk"](b)), others(mid, post, dom, "hwk", b),
            at(mid, post, dom, "synced", b, False), at(mid, post, dom, "known", b, False),
            at(mid, post, dom, "rb", b, True),
            *same(mid, post, dom, "hwk", "synced", "known", "rb"))

    def bounce(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        b = p["b"]
        return z3.And(pre["alive"](b), z3.Or(z3.Not(pre["led"]), pre["leader"] != b),
                      z3.Implies(post["hwk"](b), pre["hwk"](b)),
                      others(pre, post, dom, "hwk", b), at(pre, post, dom, "synced", b, False),
                      *same(pre, post, dom, "hwk", "synced"))

    def election(how: str) -> Any:
        def relation(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
            return z3.And(z3.Not(pre["led"]), post["leader"] == p["c"],
                          change(pre, post, dom, pre["isr"], lambda x: acceptable(pre, x),
                                 _nobody, fl.unclean, (how,)),
                          *same(pre, post, dom, *PARTITION))
        return relation

    def move_leader(pre: Vars, post: Vars, p: dict, dom: Any) -> Any:
        c, ld = p["c"], pre["leader"]
        return z3.And(up(pre), c != ld, pre["isr"](c), acceptable(pre, c), post["led"],
                      post["leader"] == c, z3.Not(post["hasl"]), *new_epoch(pre, post, dom),
                      *same(pre, post, dom, "leader", "last", "synced", "known", "rb", "pfx",
                            "esp", "hwk"))

    actions: list[SymbolicAction] = []
    if fl.records:
        actions.append(SymbolicAction("Produce", (), produce, "Partition.appendRecordsToLeader"))
    if fl.acks == -1:
        actions.append(SymbolicAction("Ack", (), ack,
                                      "Partition.checkEnoughReplicasReachOffset"))
    actions += [
        SymbolicAction("Fetch", ("f",), fetch, "ReplicaManager.fetchMessages"),
        SymbolicAction("BecomeFollower", ("f",), become_follower,
                       f"ReplicaFetcherThread truncation ({fl.truncation})"),
        SymbolicAction("ShrinkIsr", ("f",), shrink, "Partition.maybeShrinkIsr"),
        SymbolicAction("ExpandIsr", ("f",), expand, "Partition.maybeExpandIsr"),
    ]
    if fl.crash:
        actions.append(SymbolicAction("Crash", ("b",), crash, "process crash (page cache "
                                      "survives)", budget="crashes"))
    if fl.power_loss:
        actions.append(SymbolicAction("PowerLoss", ("b",), power_loss,
                                      "power loss (unflushed writes lost)", budget="crashes"))
    if fl.faults:
        actions += [
            SymbolicAction("Fence", ("b",), fence, "broker fenced: PartitionChangeBuilder"),
            SymbolicAction("Restart", ("b",), restart,
                           "re-registration: handleBrokerUncleanShutdown"),
            SymbolicAction("Elect", ("c",), election("clean"), "offline partition, ISR member"),
        ]
        if fl.elr:
            actions += [
                SymbolicAction("ElrElect", ("c",), election("elr"), "KIP-966 ELR member"),
                SymbolicAction("LastLeaderElect", ("c",), election("last-leader"),
                               "KIP-966 last known leader (KAFKA-19522)"),
            ]
        if fl.unclean:
            actions.append(SymbolicAction("UncleanElect", ("c",), election("unclean"),
                                          "unclean.leader.election.enable=true"))
    if fl.bounces:
        actions.append(SymbolicAction("Bounce", ("b",), bounce, "quick follower restart",
                                      budget="bounces"))
    if fl.leader_moves:
        actions.append(SymbolicAction("MoveLeader", ("c",), move_leader,
                                      "preferred leader election", budget="leader_changes"))

    def wellformed(v: Vars, dom: Any) -> Any:
        """What holds of every abstract state by construction of ``abstract``."""
        ld = v["leader"]
        parts = [
            dom.forall(lambda x: z3.And(
                z3.Implies(v["hwk"](x), v["has"](x)),
                z3.Implies(v["flushed"](x), v["has"](x)),
                z3.Implies(v["has"](x), v["produced"]),
                z3.Implies(v["pfx"](x), z3.And(v["led"], z3.Implies(v["has"](x),
                                                                    v["has"](ld)))),
                z3.Implies(z3.Not(v["led"]), v["rb"](x)))),
            dom.forall(lambda x: z3.Implies(v["known"](x), dom.exists(v["has"]))),
            z3.Implies(v["acked"], v["produced"]),
            z3.Implies(v["led"], v["pfx"](ld)),
            z3.Implies(v["esp"], z3.And(v["led"], v["has"](ld))),
            under_of(v["under"], v["isr"], v, dom),
        ]
        if fl.flush == "every":
            parts.append(set_is(v, dom, "flushed", v["has"]))
        elif fl.flush == "never":
            parts.append(set_is(v, dom, "flushed", _nobody))
        if not fl.elr:
            parts += [set_is(v, dom, "elr", _nobody), z3.Not(v["hasl"])]
        return z3.And(*parts)

    def step(pre: Vars, post: Vars, dom: Any) -> Any:
        """min ISR is a count: a smaller ISR is no less below it, a larger one no more."""
        smaller = dom.forall(lambda x: z3.Implies(post["isr"](x), pre["isr"](x)))
        larger = dom.forall(lambda x: z3.Implies(pre["isr"](x), post["isr"](x)))
        return z3.And(z3.Implies(z3.And(smaller, pre["under"]), post["under"]),
                      z3.Implies(z3.And(larger, z3.Not(pre["under"])), z3.Not(post["under"])))

    def init(v: Vars, dom: Any) -> Any:
        return z3.And(v["led"], z3.Not(v["hasl"]), z3.Not(v["produced"]), z3.Not(v["acked"]),
                      z3.Not(v["esp"]),
                      dom.forall(lambda x: z3.And(
                          v["alive"](x), z3.Not(v["fenced"](x)), v["isr"](x),
                          z3.Not(v["elr"](x)), z3.Not(v["has"](x)), z3.Not(v["hwk"](x)),
                          v["synced"](x), z3.Not(v["known"](x)), v["pfx"](x), v["rb"](x))))

    # With ELR a broker that lost unflushed data may stay in the ISR/ELR until it restarts
    # (KIP-966 drops it then), so only running members must hold r; flush.messages=1 loses
    # nothing to power loss, and every member must.
    relaxed = fl.elr and fl.power_loss and fl.flush != "every"

    def invariant(v: Vars, dom: Any) -> dict[str, Any]:
        ld = v["leader"]

        def q(x: Any) -> Any:  # with ELR, a broker that lost power is dropped on restart
            return v["alive"](x) if relaxed else z3.BoolVal(True)

        def safe(x: Any) -> Any:
            return z3.Or(v["isr"](x), v["elr"](x), z3.And(v["hasl"], v["last"] == x))

        committed = z3.Or(v["acked"], dom.exists(v["hwk"]))
        out = {
            "alive brokers are unfenced":
                dom.forall(lambda x: z3.Implies(v["alive"](x), z3.Not(v["fenced"](x)))),
            "the leader is in the ISR, unfenced and synced":
                z3.Implies(v["led"], z3.And(v["isr"](ld), z3.Not(v["fenced"](ld)),
                                            v["synced"](ld))),
            "synced followers' logs are prefixes of the live leader's":
                z3.Implies(up(v), dom.forall(lambda x: z3.Implies(v["synced"](x),
                                                                  v["pfx"](x)))),
            "fetch offsets the live leader recorded are within its log":
                z3.Implies(up(v), dom.forall(v["rb"])),
            "a replica the leader saw fetch past r holds r":
                dom.forall(lambda x: z3.Implies(
                    z3.And(v["known"](x), v["led"], v["has"](ld), q(x)), v["has"](x))),
            "once r is committed, every ISR/ELR member and the last leader hold it":
                z3.Implies(committed, dom.forall(
                    lambda x: z3.Implies(z3.And(safe(x), q(x)), v["has"](x)))),
            "once r is committed, the live leader's HW or epoch start covers it":
                z3.Implies(z3.And(committed, up(v)), z3.Or(v["hwk"](ld), v["esp"])),
        }
        if fl.elr:
            # (a last leader may outlive the ISR's fall below min ISR: PR #20629, 4.1.1+)
            out["ELR members exist only below min ISR, a last leader only without a leader"] = \
                z3.And(dom.forall(lambda x: z3.Implies(v["elr"](x), v["under"])),
                       z3.Implies(v["hasl"], z3.Not(v["led"])))
        if fl.elr and fl.min_isr <= 1:
            # min ISR 1: the ISR empties one member at a time, so the ELR holds at most the
            # last member (an ELR election then leaves an ISR of one and an empty ELR).
            out["with min ISR 1 the ELR holds at most one broker"] = dom.forall(
                lambda x: z3.Implies(v["elr"](x), dom.forall(
                    lambda y: z3.Implies(v["elr"](y), y == x))))
        return out

    def prop(v: Vars, dom: Any) -> Any:
        return z3.Implies(antecedent(v, dom), v["has"](v["leader"]))

    def antecedent(v: Vars, dom: Any) -> Any:
        return z3.And(v["acked"], up(v))

    def describe(model: z3.ModelRef, v: Vars, dom: Any) -> dict[str, Any]:
        def members(name: str) -> list[str]:
            return [str(b) for b in dom.values if z3.is_true(model.eval(v[name](b)))]

        out: dict[str, Any] = {n: members(n) for n in ("alive", "isr", "has")}
        if fl.elr:
            out["elr"] = members("elr")
        out["leader"] = (str(model.eval(v["leader"])) if z3.is_true(model.eval(v["led"]))
                         else "none")
        out["acked"] = z3.is_true(model.eval(v["acked"]))
        return out

    return Encoding("replication", FUNCTIONS, BOOLEANS, BROKERS, GUARDS, init, actions,
                    invariant, prop, PROPERTY, wellformed, antecedent, describe, step)


# -- the tie to the explicit model --------------------------------------------------------


@dataclass(frozen=True)
class Stutter:
    """An explicit action the encoding treats as a stutter: it may not change the tracked
    record's abstract state at all (tests/test_symbolic_abstraction.py checks it)."""

    reason: str


EXPLICIT_ACTIONS: dict[str, str | Stutter] = {
    "Produce": "Produce", "Ack": "Ack", "Fetch": "Fetch", "BecomeFollower": "BecomeFollower",
    "ShrinkIsr": "ShrinkIsr", "ExpandIsr": "ExpandIsr", "Crash": "Crash",
    "PowerLoss": "PowerLoss", "Fence": "Fence", "Restart": "Restart", "Bounce": "Bounce",
    "Elect": "Elect", "ElrElect": "ElrElect", "LastLeaderElect": "LastLeaderElect",
    "UncleanElect": "UncleanElect", "MoveLeader": "MoveLeader",
    # A produce whose response (acks=1) or request (acks=0) is lost: Produce's relation
    # holds both (lost_acks).
    "ProduceResponseLost": "Produce", "ProduceRequestLost": "Produce",
    "AckError": Stutter("answers an acks=all request with NOT_ENOUGH_REPLICAS_AFTER_APPEND: "
                        "only the purgatory changes, which the encoding does not hold"),
    "AckLost": Stutter("the acks=all answer never reaches the producer: only the purgatory "
                       "and the lost_acks budget change"),
    "ProduceTimeout": Stutter("REQUEST_TIMED_OUT from the purgatory: only the purgatory "
                              "changes"),
}

# Explicit actions on a broker (every partition); the others act on the partition their
# label names last when there are several.
BROKER_ACTIONS = ("Crash", "PowerLoss", "Fence", "Restart", "Bounce")

# The rule implementations the encoding represents, per PartitionRules method: anything else
# (a test mutant, a rule of a Kafka release newer than the encoding) is refused.
_RULES: dict[str, dict[Any, Any]] = {
    "truncation_offset": {pt.PartitionRules.truncation_offset: "high-watermark",
                          pt.Kip101Truncation.truncation_offset: "kip101",
                          pt.Kip279Truncation.truncation_offset: "leader-epoch"},
    "hw_may_advance": {pt.PartitionRules.hw_may_advance: False,
                       pt.StrictMinIsrHw.hw_may_advance: True},
    "change": {pt.PartitionRules.change: False, pt.EligibleLeaderReplicas.change: True},
    # min ISR enters only through the ISR-size flag computed with the effective value.
    "effective_min_isr": {pt.PartitionRules.effective_min_isr: None,
                          pt.EffectiveMinIsr.effective_min_isr: None},
    # Called only with isr_updates=in-flight, a bound value the encoding refuses.
    "alter_partition_error": {pt.PartitionRules.alter_partition_error: None,
                              pt.Kip841IneligibleReplicas.alter_partition_error: None,
                              pt.Kip903BrokerEpochs.alter_partition_error: None},
    # Not called by the replication model (fetches are gated by the follower's epoch).
    "fetch_accepted": {pt.PartitionRules.fetch_accepted: None,
                       pt.Kip320FetchEpoch.fetch_accepted: None},
}

# How the encoding represents each bound of the replication model.
BOUNDS = {
    "partitions": "any number: partitions are independent, one is encoded",
    "records": "any number: one tracked record r; the others only move HWs and fsyncs",
    "crashes": "any number of crashes when > 0 (fences, restarts and elections with them)",
    "crash_kind": "which crash actions exist (process crash, power loss)",
    "leader_changes": "any number of leader moves when > 0",
    "lost_acks": "any number of lost produce responses/requests when > 0",
    "bounces": "any number of quick follower restarts when > 0",
    "truncation": "the truncation rule's relation (a lemma checked against the rule)",
    "symmetry": "a reduction of explicit search only: the proof is for any broker naming",
}
SETTINGS = ("replication.factor", "min.insync.replicas", "unclean.leader.election.enable",
            "acks", "flush.messages", "log.flush.interval.messages",
            "eligible.leader.replicas.version")


# The sources the encoding was written and checked against (tests/test_symbolic_abstraction.py
# ties it to their behaviour): an edit of the model, its rules or the property afterwards
# is refused by prove until the encoding is checked again and ENCODED_SOURCE updated
# (tests/test_prove_is_pinned_to_its_sources.py says so when it fails).
PINNED_SOURCES = ("model/cluster/partition.py", "model/cluster/replication.py",
                  "properties/replication.py")
ENCODED_SOURCE = "2cbeffdc915faf194e29a661d98cb0db279cf5bf36cdb7fae8323ca1fb627643"


def source_digest(root: Path | None = None) -> str:
    """SHA-256 of the PINNED_SOURCES' code: the text without comments, docstrings, blank
    lines and trailing spaces, so indentation and line breaks count (they are code) and the
    same code gives the same digest on every Python version ('' when a source cannot be
    read)."""
    root = root or Path(__file__).resolve().parents[2]  # holds model/ and properties/
    digest = hashlib.sha256()
    for name in PINNED_SOURCES:
        try:
            text = (root / name).read_text(encoding="utf-8")
        except OSError:
            return ""
        digest.update(f"\0{name}\0".encode())
        digest.update(_code_text(text).encode())
    return digest.hexdigest()


def _code_text(text: str) -> str:
    """``text`` with its comments and docstrings blanked out, then without blank lines and
    trailing spaces."""
    lines = text.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    cuts = []
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.COMMENT:
            cuts.append((tok.start, tok.end))
        elif tok.type == tokenize.STRING and tokens[i - 1].type in _STATEMENT_START \
                and tokens[i + 1].type == tokenize.NEWLINE:
            cuts.append((tok.start, tok.end))  # a string that is a whole statement
    for (row, col), (end_row, end_col) in reversed(cuts):
        first, last = lines[row - 1], lines[end_row - 1]
        lines[row - 1:end_row] = [first[:col] + last[end_col:]]
    return "\n".join(line.rstrip() for line in lines if line.strip())


_digests: list[str] = []  # source_digest() of the installed sources, worked out once
_STATEMENT_START = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
                    tokenize.ENDMARKER, tokenize.ENCODING, tokenize.COMMENT)


def refusal(model: Any) -> str | None:
    """Why the encoding cannot represent this model instance, in one line; None if it can."""
    from kafkacheck.model.cluster.replication import ReplicationModel

    if not _digests:
        _digests.append(source_digest())  # once per process: the files do not change
    if _digests[0] != ENCODED_SOURCE:
        return ("prove's encoding was checked against other sources of "
                f"{', '.join(PINNED_SOURCES)} than these (edited since): use `kafkacheck "
                "check`, or check the encoding again and update ENCODED_SOURCE")
    if type(model) is not ReplicationModel:
        return (f"prove encodes the replication model as released; {type(model).__name__} "
                "(a subclass or test mutant) is not encoded: use `kafkacheck check`")
    if model.bound["records"] == 0:
        # Nothing is ever produced: the property holds vacuously and Inv does not know it.
        return ("records=0: no record is ever produced, so there is nothing for "
                f"{PROPERTY} to keep and nothing to prove (use records >= 1)")
    # A bound the encoding does not represent is accepted only at its default, where it
    # adds no behaviour (no disk loss, atomic ISR updates, no rolling restart, ...).
    defaults = {b.name: b.default for b in type(model).bounds}
    unknown = sorted(name for name, value in model.config.bounds.items()
                     if name not in BOUNDS and value != defaults.get(name))
    if unknown:
        return f"prove does not encode the bound {unknown[0]} (use `kafkacheck check`)"
    settings = [k for k in (*model.config.explicit, *model.config.not_modelled)
                if k not in SETTINGS]
    if settings:
        return (f"prove does not encode the setting {settings[0]} (not modelled by "
                f"{model.name}; use `kafkacheck check`)")
    patched = sorted(n for n, v in getattr(model.rules, "__dict__", {}).items() if callable(v))
    if patched:
        # A rule replaced on the instance (model.rules.leader_hw = ...) is no class's rule.
        return (f"prove does not encode the partition rule {patched[0]} replaced on this "
                "model instance (use `kafkacheck check`)")
    cls = type(model.rules)
    for name in sorted({n for c in cls.__mro__[:-1] for n in vars(c)}):
        mine = getattr(cls, name)
        if not callable(mine) or name.startswith("__"):
            continue
        # A method the table does not name is encoded only as the class introducing it
        # wrote it (Kip101Truncation.leader_cache): any override of it is a rule change.
        first = next(vars(c)[name] for c in reversed(cls.__mro__[:-1]) if name in vars(c))
        known = _RULES.get(name, {first: None})
        if mine not in known:
            owner = next(c.__name__ for c in cls.__mro__ if name in vars(c))
            return (f"prove does not encode the partition rule {owner}.{name} of Kafka "
                    f"{model.config.kafka_version} (a rule override the encoding does not "
                    "know: use `kafkacheck check`)")
    return None


@dataclass(frozen=True)
class Coverage:
    """What ``prove`` can say about one model instance: the settings and bounds the encoding
    represents, why it refuses this instance (empty: it does not), and what it abstracts."""

    property: str
    settings: tuple[str, ...]
    bounds: dict[str, str]  # bound -> how the encoding represents it
    refusals: tuple[str, ...]
    abstracts: tuple[str, ...]
    faults: str
    budgets: dict[str, int]  # fault budgets bounded model checking counts
    uncounted: tuple[str, ...]  # bounds above 0 it does not count (any number is explored)
    flags: Flags | None

    def encoding(self) -> Encoding:
        """The encoding (UsageError when this instance is refused)."""
        if self.flags is None:
            raise UsageError(self.refusals[0])
        return build(self.flags)


def coverage(model: Any) -> Coverage:
    """The coverage of a model instance by the symbolic encoding."""
    problem = refusal(model)
    fl = None if problem else flags_for(model)
    faults = "none"
    budgets: dict[str, int] = {}
    if fl is not None:
        kinds = [k for k, on in (("process crash", fl.crash), ("power loss", fl.power_loss),
                                 ("leader move", fl.leader_moves),
                                 ("quick follower restart", fl.bounces),
                                 ("lost produce response/request", fl.lost_acks)) if on]
        faults = ", ".join(kinds) or "none"
        budgets = {b: model.bound[b] for b in ("crashes", "leader_changes", "bounces")
                   if model.bound[b] > 0}
    # Bounded checking counts the fault budgets above; these bounds it explores unbounded.
    uncounted = tuple(b for b in ("records", "lost_acks")
                      if fl is not None and model.bound[b] > 0)
    return Coverage(PROPERTY, SETTINGS, dict(BOUNDS), (problem,) if problem else (),
                    tuple(abstracts(fl)) if fl else (), faults, budgets, uncounted, fl)


def flags_for(model: Any) -> Flags:
    """The flags of a ReplicationModel instance; UsageError if it is not representable."""
    problem = refusal(model)
    if problem:
        raise UsageError(problem)
    cls = type(model.rules)
    rules = model.rules
    bound = model.bound
    crashes = bound["crashes"] > 0
    if rules.flush_every <= 1:
        flush = "every"
    else:
        flush = "tracked" if rules.track_flush else "never"
    return Flags(
        acks=model.acks, unclean=bool(model.unclean),
        truncation=_RULES["truncation_offset"][cls.truncation_offset],
        truncates_alone=cls.truncates_alone,
        strict_hw=_RULES["hw_may_advance"][cls.hw_may_advance],
        elr=_RULES["change"][cls.change],
        crash=crashes and model.crash_kind != "power-loss",
        power_loss=crashes and model.crash_kind != "process",
        flush=flush, leader_moves=bound["leader_changes"] > 0, bounces=bound["bounces"] > 0,
        lost_acks=bound["lost_acks"] > 0, records=bound["records"] > 0,
        min_isr=rules.min_isr)


def encoding_for(model: Any) -> Encoding:
    """The symbolic encoding matching a ReplicationModel instance (UsageError if refused)."""
    return build(flags_for(model))


def abstracts(fl: Flags) -> list[str]:
    """What the encoding abstracts away, in short lines a user reads before a verdict."""
    out = [
        "one tracked record r (by symmetry every record): the others only move HWs and fsyncs",
        "partitions are independent: one partition is encoded, broker faults act on it",
        "any number of brokers and any number of each enabled fault (the bounds' counts "
        "are not used)",
        "offsets, epochs and log contents: only whether each replica holds r, its HW covers "
        "r, r is fsynced, its log is a prefix of the leader's, the leader saw it fetch past r",
        "min.insync.replicas: only whether the ISR is below it "
        f"({'1: below means empty' if fl.min_isr <= 1 else '2 or more'})",
        "which candidate an election picks (any valid one, not the assignment order)",
        "the acks=all purgatory: an acknowledgement may come whenever the leader's HW covers r",
        "a restarted replica's checkpointed HW: any value up to the one it had",
    ]
    return out


def _epoch_start(log: tuple, epoch: int) -> int:
    return next((i for i, e in enumerate(log) if pt.entry_epoch(e) == epoch), len(log))


def abstract(model: Any, state: Any, p: int, r: int) -> Valuation:
    """The valuation the encoding gives explicit ``state`` for record ``r`` of partition ``p``."""
    part = state.parts[p]
    logs = part.logs
    n = len(logs)
    off = -1
    has = 0
    for b, log in enumerate(logs):
        for i, e in enumerate(log):
            if e & pt.RECORD_MASK == r:
                has |= 1 << b
                off = i
                break
    leader = part.leader
    led = leader != pt.NO_LEADER
    hws, remote = part.hws, part.remote
    hwk = known = pfx = rb = synced = flushed = 0
    rules = model.rules
    for b in range(n):
        bit = 1 << b
        if has & bit and hws[b] > off:
            hwk |= bit
        if off >= 0 and remote[b] > off:
            known |= bit
        if part.synced[b] == part.epoch:
            synced |= bit
        if led and logs[b] == logs[leader][:len(logs[b])]:
            pfx |= bit
        if not led or remote[b] <= len(logs[leader]):
            rb |= bit
        if has & bit and (rules.flush_every <= 1 or (part.flushed and part.flushed[b] > off)):
            flushed |= bit
    esp = bool(led and has >> leader & 1 and _epoch_start(logs[leader], part.epoch) > off)
    hasl = part.last_leader != pt.NO_LEADER
    return Valuation(state.alive, state.fenced, part.isr, part.elr, has, hwk, flushed, synced,
                     known, pfx, rb, led, hasl, r < state.next_record,
                     bool(part.acked >> r & 1), part.isr.bit_count() < rules.min_isr, esp,
                     leader if led else None, part.last_leader if hasl else None)



@dataclass
class AbstractionReport:
    """What walking an explicit model's reachable transitions through ``abstract`` found."""

    states: int = 0
    transitions: int = 0  # explicit transitions x tracked records checked
    stutters: int = 0  # abstract pre == post (allowed for every action)
    matched: dict[str, int] = field(default_factory=dict)  # symbolic action -> changed pairs
    mismatched: int = 0  # changed pairs no relation allows
    mismatches: list[tuple[str, Valuation, Valuation]] = field(default_factory=list)  # first
    illformed: list[Valuation] = field(default_factory=list)  # states failing wellformed
    broken: dict[str, int] = field(default_factory=dict)  # invariant clause -> states
    complete: bool = True  # every reachable state was visited
    bad_init: int = 0  # initial states whose image does not satisfy the symbolic Init
    property_disagrees: int = 0  # states where the explicit and the encoded property differ
    violating: int = 0  # states violating the explicit property


def check_abstraction(model: Any, fl: Flags | None = None, max_states: int = 20_000,
                      invariant: bool = True, keep: int = 5) -> AbstractionReport:
    """Walk every reachable transition of ``model`` (breadth first) and check, for each
    partition and tracked record, that its abstract image is a stutter or is allowed by the
    symbolic relation of the action of the same name; that every reachable abstract state is
    well formed; that the encoded property holds exactly where the explicit one does; and
    (``invariant``) that it satisfies every clause of the inductive invariant.  ``fl``
    defaults to the model's own flags (refused models raise UsageError); a test passes other
    flags to show that a mutant's transitions do not fit the encoding."""
    from kafkacheck.explorer.symbolic import TransitionChecker

    fl = fl or flags_for(model)
    enc = build(fl)
    checker = TransitionChecker(enc, model.n)
    report = AbstractionReport()
    parts = range(model.partitions)
    records = range(1, model.max_records + 1)
    seen_abstract: set[Valuation] = set()

    explicit_property = next(q for q in model.properties() if q.name == PROPERTY).holds

    def visit(state: Any) -> None:
        vals = [abstract(model, state, p, r) for p in parts for r in records]
        # The encoding's property over every tracked record is the explicit property.
        holds = explicit_property(state)
        report.violating += not holds
        if holds != all(checker.satisfies("property", v) for v in vals):
            report.property_disagrees += 1
        for val in vals:
            if val in seen_abstract:
                continue
            seen_abstract.add(val)
            if not checker.satisfies("wellformed", val) and len(report.illformed) < keep:
                report.illformed.append(val)
            for c in checker.broken(val) if invariant else ():
                report.broken[c] = report.broken.get(c, 0) + 1

    frontier = list(model.init_states())
    seen = set(frontier)
    for s in frontier:
        visit(s)
        for p in parts:
            for r in records:
                if not checker.satisfies("init", abstract(model, s, p, r)):
                    report.bad_init += 1
    while frontier:
        nxt = []
        for pre in frontier:
            for label, post in model.successors(pre):
                where = None  # a broker action, or the only partition
                if model.partitions > 1 and label[0] not in BROKER_ACTIONS:
                    where = int(str(label[-1]).removeprefix("p"))
                _check(model, checker, enc, label, pre, post, where, records, report, keep)
                if post not in seen:
                    if len(seen) >= max_states:
                        report.complete = False
                        continue
                    seen.add(post)
                    visit(post)
                    nxt.append(post)
        frontier = nxt
    report.states = len(seen)
    return report


def _check(model: Any, checker: Any, enc: Encoding, label: tuple, pre: Any, post: Any,
           where: int | None, records: range, report: AbstractionReport, keep: int) -> None:
    """One explicit transition against the encoding, for every partition and record."""
    name = label[0]
    target = EXPLICIT_ACTIONS[name]
    for p in range(model.partitions):
        local = where is None or where == p or name == "Produce"
        for r in records:
            a, b = abstract(model, pre, p, r), abstract(model, post, p, r)
            report.transitions += 1
            if a == b:
                report.stutters += 1
                continue
            if isinstance(target, Stutter) or not local:
                ok = False
                action = name
            else:
                action = target
                params = {}
                symbolic = enc.action(action) if action in {x.name for x in enc.actions} \
                    else None
                if symbolic is None:
                    ok = False
                else:
                    if symbolic.params:
                        params = {symbolic.params[0]: int(str(label[1])[1:]) - 1}
                    ok = checker.allows(action, a, b, params)
            if ok:
                report.matched[action] = report.matched.get(action, 0) + 1
                continue
            report.mismatched += 1
            if len(report.mismatches) < keep:
                report.mismatches.append((" ".join(map(str, label)), a, b))
