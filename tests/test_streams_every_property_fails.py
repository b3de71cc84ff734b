"""Every Streams and sink property fails somewhere: on a real configuration where Kafka does
not keep it, or on a one-rule mutant (tests/mutants/streams.py, tests/mutants/sink.py).

Each case gives the configuration, the property and the length of its shortest
counterexample (None: a 'sometimes' never reached).
"""

from __future__ import annotations

import pytest
from mutants import load, make_mutant

from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import registry
from kafkacheck.testing import make_model

load("streams")
load("sink")

ALOS = {"processing.guarantee": "at_least_once"}
EOS = {"processing.guarantee": "exactly_once_v2"}

# (case, model, settings, bounds, property, shortest counterexample) on real behaviour.
REAL = [
    ("at_least_once counts an input twice after a crash", "streams", ALOS, {},
     "CountsExact", 16),
    ("at_least_once writes an output count twice", "streams", ALOS, {},
     "OutputExactlyOnce", 9),
    ("an appending sink writes a record twice after a crash", "sink", {}, {"records": 1},
     "SinkNoDuplicates", 12),
    ("without a crash no record is put twice", "sink", {}, {"records": 1, "crashes": 0},
     "SomeRedelivery", None),
    ("errors.tolerance=all without a dead-letter queue skips a bad record", "sink",
     {"errors.tolerance": "all"}, {"records": 1, "bad_records": 1}, "SinkNoLoss", 7),
]

# (model, mutant, settings, bounds, property, shortest counterexample)
MUTANTS = [
    ("streams", "restore-read-uncommitted", EOS, {"instances": 1, "inputs": 1}, "CountsExact",
     29),
    ("streams", "restore-never-completes", EOS, {"instances": 1, "inputs": 1}, "AllCounted",
     None),
    ("sink", "commit-before-put", {}, {"records": 1}, "SinkNoLoss", 6),
]


@pytest.mark.parametrize("case, model, settings, bounds, prop, length", REAL,
                         ids=[c[0] for c in REAL])
def test_property_fails_on_real_kafka_behaviour(case, model, settings, bounds, prop, length):
    result = breadth_first(make_model(model, settings, **bounds), [prop])
    found = result.violation(prop)
    assert found is not None, case
    if length is None:
        assert found.reason == "never-reached"
    else:
        assert len(found.trace) == length


@pytest.mark.parametrize("model, name, settings, bounds, prop, length", MUTANTS,
                         ids=[c[1] for c in MUTANTS])
def test_property_fails_on_a_mutant(model, name, settings, bounds, prop, length):
    result = breadth_first(make_mutant(model, name, settings, **bounds), [prop])
    found = result.violation(prop)
    assert found is not None
    if length is None:
        assert found.reason == "never-reached"
    else:
        assert len(found.trace) == length


@pytest.mark.parametrize("model", ["streams", "sink"])
def test_every_property_has_a_failing_case(model):
    instance = make_model(model)
    shown = {c[4] for c in REAL if c[1] == model} | {c[4] for c in MUTANTS if c[0] == model}
    assert {p.name for p in instance.properties()} == shown
    assert model in registry.available()
