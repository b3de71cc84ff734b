"""Audit 13: the engines other than plain sequential BFS never give a green they did not earn.

Each test names the guarantee an engine keeps (Hypothesis machines, Z3, liveness, the
parallel and depth-first searches, simulation): what it found in the audit, and what keeps
it fixed.  Each runs in well under a second or two.
"""

from __future__ import annotations

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.testing import machine, make_model

# -- Hypothesis machines -------------------------------------------------------------------


def test_a_hypothesis_machine_can_take_every_action_the_model_has_enabled():
    # The transactions model names a KIP-360 epoch bump "InitProducerId (bump e0)": a family
    # its action_families() does not declare.  The machine drew only from declared families,
    # so it never bumped an epoch (nor reached what follows a bump, AbortTimedOut): a green
    # machine run over fewer behaviours than the model has, said nowhere.
    model = make_model("txn-late-write-tv1")
    cls = machine("txn-late-write-tv1", properties=["NoAbortedRead"])
    states = breadth_first(model, ["NoAbortedRead"], record_graph=True).graph.states
    declared = set(model.action_families())
    undeclared = set()
    for state in states.values():
        instance = cls()
        instance.state = state
        offered = {action for action, _ in instance.choices()}
        assert offered == {action for action, _ in model.successors(state)}
        undeclared |= {action[0] for action in offered} - declared
    assert undeclared == {"InitProducerId (bump e0)"}
