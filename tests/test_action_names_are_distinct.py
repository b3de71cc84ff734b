"""Every model names each action family once: coverage, fault lines and fairness count
action names, so two components sharing a name (a consumer's Crash and a broker's Crash)
would let one stand for the other."""

from __future__ import annotations

from collections import Counter

import pytest

from kafkacheck.model import registry
from kafkacheck.testing import make_model

# Settings and bounds a model needs to build, and the embeddings worth checking.
SETUPS = {
    "group": [({"auto.offset.reset": "earliest"}, {}),
              ({"auto.offset.reset": "earliest"}, {"log": "replicated"})],
    "transactions": [({"transactional.id": "app"}, {}),
                     ({"transactional.id": "app", "enable.auto.commit": "false"},
                      {"inputs": 2})],
}


def setups():
    for name in registry.available():
        for kafka, bounds in SETUPS.get(name, [({}, {})]):
            yield pytest.param(name, kafka, bounds, id=f"{name}-{bounds or 'default'}")


@pytest.mark.parametrize(("name", "kafka", "bounds"), list(setups()))
def test_no_two_components_share_an_action_name(name, kafka, bounds):
    families = make_model(name, kafka, **bounds).action_families()
    assert [f for f, n in Counter(families).items() if n > 1] == []
