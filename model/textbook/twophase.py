"""Two-phase commit (Lamport's TwoPhase): a textbook model for engine self-tests (not Kafka).

Resource managers (RMs) prepare or abort; the transaction manager (TM) commits once all
have prepared.  ``--bound bug=early-commit`` lets the TM commit after the first prepare,
which breaks consistency; the distinct-state counts are pinned against TLC.
"""

from __future__ import annotations

from collections.abc import Iterator

from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.properties.base import Property, always, eventually, sometimes

WORKING, PREPARED, COMMITTED, ABORTED = 0, 1, 2, 3
RM_NAMES = ("working", "prepared", "committed", "aborted")
TM_INIT, TM_COMMITTED, TM_ABORTED = 0, 1, 2
TM_NAMES = ("init", "committed", "aborted")
MSG_COMMIT, MSG_ABORT = 1, 2  # bits of the message set; Prepared(r) messages are a bitmask


class TwoPhaseCommit(Model):
    """State: (rm states, tm state, tm prepared set, Prepared messages, decision messages)."""

    name = "twophase"
    summary = "Two-phase commit (textbook engine self-test; not Kafka)"
    source = "Lamport & Gray, Consensus on Transaction Commit (TwoPhase.tla)"
    bounds = (
        Bound("rms", 3, "resource managers", minimum=1, maximum=8),
        Bound("bug", "none", "inject a bug: the TM commits after the first prepare",
              choices=("none", "early-commit")),
    )
    fields = ("rm_state", "tm_state", "tm_prepared", "prepared_msgs", "decision_msgs")

    def init_states(self) -> list[State]:
        return [((WORKING,) * self.bound["rms"], TM_INIT, 0, 0, 0)]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        rms, tm, tm_prep, prep_msgs, decided = state
        n = len(rms)
        everyone = (1 << n) - 1
        if tm == TM_INIT:
            for r in range(n):
                if prep_msgs >> r & 1 and not tm_prep >> r & 1:
                    yield ("TMRcvPrepared", r + 1), (rms, tm, tm_prep | 1 << r, prep_msgs,
                                                     decided)
            ready = tm_prep == everyone if self.bound["bug"] == "none" else tm_prep != 0
            if ready:
                yield ("TMCommit",), (rms, TM_COMMITTED, tm_prep, prep_msgs,
                                      decided | MSG_COMMIT)
            yield ("TMAbort",), (rms, TM_ABORTED, tm_prep, prep_msgs, decided | MSG_ABORT)
        for r in range(n):
            rm = rms[r]
            if rm == WORKING:
                yield ("RMPrepare", r + 1), (_set(rms, r, PREPARED), tm, tm_prep,
                                             prep_msgs | 1 << r, decided)
                yield ("RMChooseToAbort", r + 1), (_set(rms, r, ABORTED), tm, tm_prep,
                                                   prep_msgs, decided)
            if decided & MSG_COMMIT and rm != COMMITTED:
                yield ("RMRcvCommitMsg", r + 1), (_set(rms, r, COMMITTED), tm, tm_prep,
                                                  prep_msgs, decided)
            if decided & MSG_ABORT and rm != ABORTED:
                yield ("RMRcvAbortMsg", r + 1), (_set(rms, r, ABORTED), tm, tm_prep,
                                                 prep_msgs, decided)

    def action_families(self) -> tuple[str, ...]:
        return ("TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort",
                "RMRcvCommitMsg", "RMRcvAbortMsg")

    def properties(self) -> list[Property]:
        return [
            always("TCConsistent", "no resource manager commits while another aborts",
                   lambda s: not (COMMITTED in s[0] and ABORTED in s[0]),
                   source="TwoPhase.tla TCConsistent",
                   explanation="the transaction manager decided commit before every resource "
                               "manager had prepared"),
            sometimes("CanCommit", "all resource managers can commit",
                      lambda s: all(r == COMMITTED for r in s[0])),
            eventually("Terminates", "under fairness every resource manager ends committed "
                       "or aborted", lambda s: all(r in (COMMITTED, ABORTED) for r in s[0]),
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


def _set(values: tuple, index: int, value: int) -> tuple:
    return values[:index] + (value,) + values[index + 1 :]
