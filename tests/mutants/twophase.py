"""Mutants of the two-phase commit textbook model."""

from __future__ import annotations

from kafkacheck.model.textbook.twophase import TwoPhaseCommit, TwoPhaseState
from mutants import mutant


@mutant("twophase", "early-commit", breaks="TCConsistent")
class EarlyCommit(TwoPhaseCommit):
    """The TM commits once any RM has prepared (TLC's TwoPhaseCommitBuggy configuration)."""

    def tm_can_commit(self, s: TwoPhaseState) -> bool:
        return s.tm_prepared != 0
