"""Hypothesis profiles for the stateful suites, `ci` (default) and `thorough`, and the
`thorough` marker's profile switch.

`pytest` runs the default suite (`-m "not thorough"` in pyproject.toml) under `ci`;
`pytest -m thorough` runs only the long explorations, under `thorough`.  Choose a profile
by hand with `pytest --hypothesis-profile thorough`.

Phases, chosen deliberately for both profiles: explicit, reuse, generate, target and
shrink, but not explain.  The explain phase re-runs a failing example once per step with
that step varied, to mark which steps matter; over the models' 40-150-step behaviours a
failing `machine()` run took 274 s with it against 28 s without.  A kafkacheck failure
already prints the model's own trace (numbered steps with what changed), replayed
exactly, so explain adds minutes and nothing a reader needs.  The database is off:
failures are reproduced by seed (`@seed(n)`), and a choice sequence saved by one model
version means nothing to the next.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings

pytest_plugins = ["pytester"]  # tests of the kafkacheck pytest plugin run inner sessions

PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", max_examples=600, stateful_step_count=40, deadline=None, database=None,
    phases=PHASES, suppress_health_check=HEALTH,
)
settings.register_profile(
    "thorough", max_examples=1000, stateful_step_count=150, deadline=None, database=None,
    phases=PHASES, suppress_health_check=HEALTH,
)
settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """`pytest -m thorough` runs the thorough tests under the thorough profile."""
    expression = config.getoption("markexpr", "") or ""
    if "thorough" in expression and "not thorough" not in expression \
            and config.getoption("--hypothesis-profile", None) is None:
        settings.load_profile("thorough")
