"""Running generated Hypothesis machines from the stateful test files, reproducibly.

Runs pin Hypothesis's pool of local constants (fixed_constant_pool), so a seed finds the
same thing in `pytest one_file.py` and in the whole suite.  Default-suite runs use the
generate and target phases only, at a fixed seed, and shrink
with kafkacheck's label shrinker (milliseconds; the result replays exactly).  Hypothesis's
own shrinking is exercised by one small test and by the thorough runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.explorer.stateful import PropertyViolation, fixed_constant_pool, machine_for
from kafkacheck.model.interface import Model

FIND = (Phase.generate, Phase.target)


def run(model: Model, properties: Sequence[str], *, seed_value: int = 0,
        examples: int | None = None, steps: int | None = None,
        phases: Sequence[Phase] | None = FIND) -> tuple[PropertyViolation | None, Counter]:
    """Run a machine for ``model`` at a fixed seed; (the violation or None, family coverage).

    ``examples``/``steps``/``phases`` default to the loaded profile's when None.
    """
    machine = seed(seed_value)(machine_for(model, properties))
    base = settings.default
    options = {"database": None, "deadline": None,
               "suppress_health_check": list(HealthCheck)}
    if examples is not None:
        options["max_examples"] = examples
    if steps is not None:
        options["stateful_step_count"] = steps
    if phases is not None:
        options["phases"] = tuple(phases)
    try:
        with fixed_constant_pool():
            run_state_machine_as_test(machine, settings=settings(base, **options))
    except PropertyViolation as violation:
        return violation, machine.coverage
    return None, machine.coverage
