"""Engine semantics on tiny inline models: vacuity, step invariants, liveness under fairness."""

from __future__ import annotations

from kafkacheck.config import build_config
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model.interface import Bound, Model
from kafkacheck.properties.base import always, always_step, eventually, sometimes


class Ring(Model):
    """A process that loops 0 -> 1 -> 2 -> 0 and may 'finish' (to 3) from any of them."""

    name = "ring"
    bounds = (Bound("fair", 1, "is Finish weakly fair"), Bound("decrement", 0, "inject a bug"))
    fields = ("pc",)

    def init_states(self):
        return [(0,)]

    def successors(self, state):
        (pc,) = state
        if pc < 3:
            yield ("Step",), ((pc + 1) % 3,)
        if pc < 3:
            yield ("Finish",), (3,)
        if pc == 1 and self.bound["decrement"]:
            yield ("Back",), (0,)

    def properties(self):
        fairness = ("Finish",) if self.bound["fair"] else ()
        return [
            always("InRange", "pc stays within 0..3", lambda s: 0 <= s[0] <= 3),
            always_step("Forward", "pc never goes back from 1 to 0",
                        lambda s, a, t: not (s[0] == 1 and t[0] == 0)),
            sometimes("Finished", "the process can finish", lambda s: s[0] == 3),
            sometimes("Negative", "pc can go negative", lambda s: s[0] < 0),
            eventually("Terminates", "the process eventually finishes", lambda s: s[0] == 3,
                       fairness=fairness),
        ]


def ring(**bounds):
    return Ring(build_config(Ring, bounds=[(k, str(v)) for k, v in bounds.items()]))


def test_a_sometimes_property_that_no_state_satisfies_is_reported_never_reached():
    result = breadth_first(ring(), ["Negative"])
    violation = result.violation("Negative")
    assert violation is not None and violation.reason == "never-reached"
    # A coverage finding of its own, not a safety violation (and not a plain holds).
    assert result.result == "never reached" and not result.violations
    assert result.verdict(result.properties[0]) == "never reached"


def test_a_reachable_sometimes_property_gets_a_witness_trace():
    result = breadth_first(ring(), ["Finished"])
    assert result.result == "holds"
    assert len(result.witnesses["Finished"]) == 1


def test_a_step_invariant_catches_a_forbidden_transition():
    result = breadth_first(ring(decrement=1), ["Forward"])
    violation = result.violation("Forward")
    assert violation is not None
    assert [a[0] for a in violation.trace.actions] == ["Step", "Back"]


def test_liveness_holds_when_the_finishing_action_is_weakly_fair():
    result = breadth_first(ring(fair=1), ["Terminates"])
    assert result.result == "holds"


def test_liveness_fails_with_a_lasso_when_nothing_forces_progress():
    result = breadth_first(ring(fair=0), ["Terminates"])
    violation = result.violation("Terminates")
    assert violation is not None and violation.reason == "liveness"
    trace = violation.trace
    assert trace.loop_start is not None
    assert trace.steps[trace.loop_start].state == trace.steps[-1].state
