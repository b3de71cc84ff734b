"""Two-phase commit (Lamport's TwoPhase): a textbook model for engine self-tests (not Kafka).

Resource managers (RMs) prepare or abort; the transaction manager (TM) commits once all
have prepared.  The distinct-state counts are pinned against TLC, with the correct TM and
with a TM that commits after the first prepare (a test mutant, ``tests/mutants/twophase.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.properties.base import Property, always, eventually, sometimes

WORKING, PREPARED, COMMITTED, ABORTED = 0, 1, 2, 3
RM_NAMES = ("working", "prepared", "committed", "aborted")
TM_INIT, TM_COMMITTED, TM_ABORTED = 0, 1, 2
TM_NAMES = ("init", "committed", "aborted")
MSG_COMMIT, MSG_ABORT = 1, 2  # bits of the message set; Prepared(r) messages are a bitmask


class TwoPhaseState(NamedTuple):
    """TwoPhase.tla's variables; sets of RMs are bitmasks (bit r = RM r + 1)."""

    rm_state: tuple[int, ...]  # rmState[r]: WORKING, PREPARED, COMMITTED or ABORTED
    tm_state: int  # tmState: TM_INIT, TM_COMMITTED or TM_ABORTED
    tm_prepared: int  # tmPrepared: the RMs whose Prepared message the TM received
    prepared_msgs: int  # the Prepared(r) messages sent
    decision_msgs: int  # MSG_COMMIT / MSG_ABORT sent by the TM


class TwoPhaseCommit(Model):
    """TwoPhase.tla: resource managers, a transaction manager and their messages."""

    name = "twophase"
    subject = "the textbook two-phase commit protocol, not Kafka"
    summary = "Two-phase commit (textbook engine self-test; not Kafka)"
    source = "Lamport & Gray, Consensus on Transaction Commit (TwoPhase.tla)"
    bounds = (Bound("rms", 3, "resource managers", minimum=1, maximum=8),)
    fields = TwoPhaseState._fields

    def init_states(self) -> list[State]:
        return [TwoPhaseState((WORKING,) * self.bound["rms"], TM_INIT, 0, 0, 0)]

    def tm_can_commit(self, s: TwoPhaseState) -> bool:
        """TMCommit's enabling condition: every RM has prepared (TwoPhase.tla TMCommit)."""
        return s.tm_prepared == (1 << len(s.rm_state)) - 1

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        # Every successor lists all five variables in TwoPhase.tla's order.
        rms, tm, tm_prep, prep_msgs, decided = state
        new = _new_state
        n = len(rms)
        if tm == TM_INIT:
            for r in range(n):
                if prep_msgs >> r & 1 and not tm_prep >> r & 1:
                    yield ("TMRcvPrepared", r + 1), new((rms, tm, tm_prep | 1 << r, prep_msgs,
                                                         decided))
            if self.tm_can_commit(state):
                yield ("TMCommit",), new((rms, TM_COMMITTED, tm_prep, prep_msgs,
                                          decided | MSG_COMMIT))
            yield ("TMAbort",), new((rms, TM_ABORTED, tm_prep, prep_msgs, decided | MSG_ABORT))
        for r in range(n):
            rm = rms[r]
            if rm == WORKING:
                yield ("RMPrepare", r + 1), new((_set(rms, r, PREPARED), tm, tm_prep,
                                                 prep_msgs | 1 << r, decided))
                yield ("RMChooseToAbort", r + 1), new((_set(rms, r, ABORTED), tm, tm_prep,
                                                       prep_msgs, decided))
            if decided & MSG_COMMIT and rm != COMMITTED:
                yield ("RMRcvCommitMsg", r + 1), new((_set(rms, r, COMMITTED), tm, tm_prep,
                                                      prep_msgs, decided))
            if decided & MSG_ABORT and rm != ABORTED:
                yield ("RMRcvAbortMsg", r + 1), new((_set(rms, r, ABORTED), tm, tm_prep,
                                                     prep_msgs, decided))

    def action_families(self) -> tuple[str, ...]:
        return ("TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort",
                "RMRcvCommitMsg", "RMRcvAbortMsg")

    def properties(self) -> list[Property]:
        return [
            always("TCConsistent", "no resource manager commits while another aborts",
                   lambda s: not (COMMITTED in s.rm_state and ABORTED in s.rm_state),
                   source="TwoPhase.tla TCConsistent",
                   explanation="the transaction manager decided commit before every resource "
                               "manager had prepared"),
            sometimes("CanCommit", "all resource managers can commit",
                      lambda s: all(r == COMMITTED for r in s.rm_state)),
            eventually("Terminates", "under fairness every resource manager ends committed "
                       "or aborted",
                       lambda s: all(r in (COMMITTED, ABORTED) for r in s.rm_state),
                       fairness=("TMCommit", "TMAbort", "RMRcvCommitMsg", "RMRcvAbortMsg",
                                 "TMRcvPrepared")),
        ]

    def format_value(self, name: str, value: object) -> str:
        if name == "rm_state":
            return "[" + ", ".join(RM_NAMES[v] for v in value) + "]"  # type: ignore[attr-defined]
        if name == "tm_state":
            return TM_NAMES[value]  # type: ignore[index]
        if name in ("tm_prepared", "prepared_msgs"):
            members = [str(i + 1) for i in range(self.bound["rms"]) if value >> i & 1]  # type: ignore[operator]
            return "{" + ", ".join(members) + "}"
        if name == "decision_msgs":
            out = [n for bit, n in ((MSG_COMMIT, "Commit"), (MSG_ABORT, "Abort")) if value & bit]  # type: ignore[operator]
            return "{" + ", ".join(out) + "}"
        return repr(value)

    def participants(self) -> tuple[str, ...]:
        return ("TM", *(f"RM{i + 1}" for i in range(self.bound["rms"])))

    def message(self, action: Action, before: State, after: State) -> Message:
        name, *args = action
        rm = f"RM{args[0]}" if args else "TM"
        if name == "RMPrepare":
            return Message(rm, "TM", "Prepared")
        if name in ("RMRcvCommitMsg", "RMRcvAbortMsg"):
            return Message("TM", rm, "Commit" if "Commit" in name else "Abort")
        if name == "TMRcvPrepared":
            return Message("TM", "TM", f"receive Prepared from {rm}")
        return Message(rm, rm, name)


# TwoPhaseState from a 5-tuple, built in C: the NamedTuple constructor is Python code and
# costs about three times as much, on every transition.
_new_state = partial(tuple.__new__, TwoPhaseState)


def _set(values: tuple, index: int, value: int) -> tuple:
    return values[:index] + (value,) + values[index + 1 :]
