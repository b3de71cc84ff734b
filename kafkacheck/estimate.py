"""A quick look at a state space before exhausting it: how big, how long, worth warning?

A short breadth-first probe (no property checks) measures states per second and how
each level grows; random walks measure how deep behaviours go.  When the probe does
not finish, the remaining levels are projected from the measured growth, damped to
a bell shape (levels grow, then shrink as fault budgets and records run out).  It is
a rough figure, printed as such; its only use is a warning before a long run.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from kafkacheck.explorer.trace import fingerprint_function
from kafkacheck.model.interface import Model


@dataclass
class Estimate:
    """What the probe saw and what it projects."""

    seen: int  # distinct states the probe found
    complete: bool  # the probe explored everything: ``seen`` is exact
    levels: list[int] = field(default_factory=list)  # distinct states per BFS level
    rate: float = 0.0  # distinct states per second during the probe
    depth_guess: int = 0  # deepest random walk
    projected: int = 0  # estimated distinct states in all

    @property
    def seconds(self) -> float:
        """Projected time of a full search at the probe's rate."""
        return self.projected / self.rate if self.rate > 0 else 0.0

    def text(self) -> str:
        """One line for a person."""
        if self.complete:
            return f"{self.seen:,} distinct states in all (the probe finished)"
        return (f"roughly {self.projected:,} distinct states (~{_duration(self.seconds)} at "
                f"{self.rate:,.0f} states/s; the probe saw {self.seen:,} over "
                f"{len(self.levels)} levels, growing x{self.growth:.1f} per level, and random "
                f"walks {self.depth_guess} steps deep)")

    @property
    def growth(self) -> float:
        """Size ratio of the last two complete levels."""
        full = self.levels[:-1] if len(self.levels) > 2 else self.levels
        if len(full) < 2 or full[-2] == 0:
            return 1.0
        return full[-1] / full[-2]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def probe(model: Model, seconds: float = 0.5, walks: int = 30, seed: int = 0,
          states: int | None = None) -> Estimate:
    """Explore for at most ``seconds`` (or ``states`` distinct states, for a deterministic
    probe); project the total when that was not enough."""
    fp_of = fingerprint_function(model)
    within = None if type(model).within_bounds is Model.within_bounds else model.within_bounds
    started = time.monotonic()
    deadline = started + seconds
    seen: set[int] = set()
    frontier = []
    for state in model.init_states():
        if within is not None and not within(state):
            continue
        fp = fp_of(state)
        if fp not in seen:
            seen.add(fp)
            frontier.append(state)
    levels = [len(frontier)]
    complete = True
    expanded = 0
    while frontier:
        nxt_frontier = []
        for state in frontier:
            expanded += 1
            if (states is not None and len(seen) >= states) or \
                    (not expanded & 63 and time.monotonic() > deadline):
                complete = False
                break
            for _action, nxt in model.successors(state):
                if within is not None and not within(nxt):
                    continue
                fp = fp_of(nxt)
                if fp not in seen:
                    seen.add(fp)
                    nxt_frontier.append(nxt)
        if not complete:
            levels.append(len(nxt_frontier))  # partial level
            break
        frontier = nxt_frontier
        if frontier:
            levels.append(len(frontier))
    elapsed = max(time.monotonic() - started, 1e-6)
    est = Estimate(len(seen), complete, levels, len(seen) / elapsed)
    if complete:
        est.projected = len(seen)
        return est
    est.depth_guess = _walk_depth(model, within, fp_of, walks, seed)
    est.projected = _project(est)
    return est


def _walk_depth(model: Model, within: object, fp_of: object, walks: int, seed: int) -> int:
    """The longest of a few random walks that stop at a dead end or a repeated state."""
    rng = random.Random(seed)
    inits = list(model.init_states())
    deepest = 0
    for _ in range(walks):
        state = rng.choice(inits)
        visited = {fp_of(state)}  # type: ignore[operator]
        for depth in range(1, 400):
            options = [n for _a, n in model.successors(state)
                       if within is None or within(n)]  # type: ignore[operator]
            if not options:
                break
            state = rng.choice(options)
            fp = fp_of(state)  # type: ignore[operator]
            if fp in visited:
                break
            visited.add(fp)
            deepest = max(deepest, depth)
    return deepest


def _project(est: Estimate) -> int:
    """Seen states plus the remaining levels: growth damped linearly to 1 at the middle
    depth, then mirrored (bell-shaped level sizes)."""
    full = est.levels[:-1]
    depth = len(full) - 1
    total_depth = max(est.depth_guess, depth + 1)
    middle = max(total_depth / 2, depth + 1)
    growth = max(est.growth, 1.0)
    size = float(full[-1]) if full else 1.0
    sizes = list(map(float, full))
    level = depth
    while level < middle:
        level += 1
        damp = 1 - (level - depth) / (middle - depth + 1)
        size *= 1 + (growth - 1) * damp
        sizes.append(size)
    peak = len(sizes)
    for back in range(peak - 1, -1, -1):
        if level >= total_depth:
            break
        level += 1
        sizes.append(sizes[back])
    return max(int(sum(sizes)), est.seen)


def warning(est: Estimate, budget: float | None, default_budget: float = 60.0) -> str | None:
    """A note when the projected run exceeds the time budget (or a minute without one)."""
    if est.complete:
        return None
    limit = budget if budget is not None else default_budget
    if est.seconds <= limit:
        return None
    if budget is not None:
        return (f"estimate: {est.text()}; that exceeds --max-seconds {budget:g}, so the run "
                "will likely stop INCOMPLETE: lower the bounds (records, fault budgets) or "
                "raise --max-seconds")
    return (f"estimate: {est.text()}; lower the bounds or set --max-seconds to stop early "
            "with a partial result")
