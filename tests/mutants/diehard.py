"""Mutants of the die-hard water-jug textbook model."""

from __future__ import annotations

from kafkacheck.model.textbook.diehard import DieHard, Jugs
from mutants import mutant


@mutant("diehard", "fill-overflows", breaks="TypeOK")
class FillOverflows(DieHard):
    """Filling the big jug pours one gallon more than it holds."""

    def successors(self, state: Jugs):  # noqa: ANN201
        for action, after in super().successors(state):
            yield action, (after._replace(big=after.big + 1) if action == ("FillBig",)
                           else after)


@mutant("diehard", "small-jug-leaks", breaks="BothFull")
class SmallJugLeaks(DieHard):
    """The small jug leaks its last gallon: it never holds its capacity."""

    def successors(self, state: Jugs):  # noqa: ANN201
        full = self.bound["small"]
        for action, after in super().successors(state):
            yield action, (after._replace(small=full - 1) if after.small == full else after)
