"""The die-hard water-jug puzzle: a textbook model for engine self-tests (not Kafka).

Two jugs of 3 and 5 gallons; fill, empty, pour.  The "invariant" big != 4 fails, and
the shortest counterexample is the puzzle's solution.  Pinned against TLC.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from kafkacheck.model.interface import Action, Bound, Message, Model, State
from kafkacheck.properties.base import Property, always, sometimes


class Jugs(NamedTuple):
    """Gallons in each jug (DieHard.tla's variables small and big)."""

    small: int
    big: int


class DieHard(Model):
    """Jugs (small, big); the classic TLA+ teaching example."""

    name = "diehard"
    summary = "Die-hard water jugs (textbook engine self-test; not Kafka)"
    source = "Lamport, Specifying Systems / TLA+ video course, DieHard"
    bounds = (
        Bound("small", 3, "capacity of the small jug", minimum=1),
        Bound("big", 5, "capacity of the big jug", minimum=1),
        Bound("goal", 4, "the amount the puzzle asks for in the big jug", minimum=0),
    )
    fields = Jugs._fields

    def init_states(self) -> list[State]:
        return [Jugs(0, 0)]

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        small, big = state
        cap_s, cap_b = self.bound["small"], self.bound["big"]
        yield ("FillSmall",), Jugs(cap_s, big)
        yield ("FillBig",), Jugs(small, cap_b)
        yield ("EmptySmall",), Jugs(0, big)
        yield ("EmptyBig",), Jugs(small, 0)
        pour = min(small, cap_b - big)
        yield ("SmallToBig",), Jugs(small - pour, big + pour)
        pour = min(big, cap_s - small)
        yield ("BigToSmall",), Jugs(small + pour, big - pour)

    def action_families(self) -> tuple[str, ...]:
        return ("FillSmall", "FillBig", "EmptySmall", "EmptyBig", "SmallToBig", "BigToSmall")

    def properties(self) -> list[Property]:
        goal = self.bound["goal"]
        return [
            always("TypeOK", "each jug holds between 0 and its capacity",
                   lambda s: 0 <= s.small <= self.bound["small"]
                   and 0 <= s.big <= self.bound["big"]),
            always("NotSolved", f"the big jug never holds exactly {goal} gallons",
                   lambda s: s.big != goal,
                   explanation="the puzzle's solution is a counterexample to this invariant"),
            sometimes("BothFull", "both jugs can be full at once",
                      lambda s: s == (self.bound["small"], self.bound["big"])),
        ]

    def participants(self) -> tuple[str, ...]:
        return ("Small", "Big")

    def message(self, action: Action, before: State, after: State) -> Message:
        name = action[0]
        if name == "SmallToBig":
            return Message("Small", "Big", f"pour {before.small - after.small}")
        if name == "BigToSmall":
            return Message("Big", "Small", f"pour {before.big - after.big}")
        jug = "Small" if "Small" in name else "Big"
        return Message(jug, jug, name)
