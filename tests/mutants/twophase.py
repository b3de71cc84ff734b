"""Mutants of the two-phase commit textbook model."""

from __future__ import annotations

from kafkacheck.model.textbook.twophase import TwoPhaseCommit, TwoPhaseState
from mutants import mutant


@mutant("twophase", "early-commit", breaks="TCConsistent")
class EarlyCommit(TwoPhaseCommit):
    """The TM commits once any RM has prepared (TLC's TwoPhaseCommitBuggy configuration)."""

    def tm_can_commit(self, s: TwoPhaseState) -> bool:
        return s.tm_prepared != 0


@mutant("twophase", "tm-never-decides", breaks=("CanCommit", "Terminates"))
class TmNeverDecides(TwoPhaseCommit):
    """The TM neither commits nor aborts: prepared RMs wait for a decision forever."""

    def successors(self, state: TwoPhaseState):  # noqa: ANN201
        return ((a, t) for a, t in super().successors(state)
                if a[0] not in ("TMCommit", "TMAbort"))
