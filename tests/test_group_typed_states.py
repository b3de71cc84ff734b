"""Group states are typed tuples of ints and bools only, so a fingerprint (``hash``) is the
same in every process, whatever PYTHONHASHSEED says."""

from __future__ import annotations

import os
import subprocess
import sys

from kafkacheck.model.clients.group import Budget, GroupState, Member
from kafkacheck.testing import make_model

EARLIEST = {"auto.offset.reset": "earliest"}
REPLICATED = {**EARLIEST, "acks": "all", "replication.factor": "2"}


def reachable(model, limit: int = 3000) -> list:
    frontier = list(model.init_states())
    seen = set(frontier)
    while frontier and len(seen) < limit:
        frontier = [t for s in frontier for _, t in model.successors(s) if t not in seen
                    and not seen.add(t)]
    return list(seen)


def leaves(value):
    if isinstance(value, tuple):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def test_every_reachable_group_state_is_typed_and_made_of_ints_and_bools():
    for model in (make_model("group", EARLIEST, crashes=1, poll_timeouts=1, retention=1),
                  make_model("group", REPLICATED, consumers=1, log="replicated")):
        states = reachable(model)
        assert len(states) > 100
        for s in states:
            assert type(s) is GroupState and type(s.budget) is Budget
            assert all(type(m) is Member for m in s.consumers)
            assert all(type(x) in (int, bool) for x in leaves(s))


FINGERPRINTS = """
import sys
from kafkacheck.testing import make_model
model = make_model("group", {"auto.offset.reset": "earliest"}, crashes=1, poll_timeouts=1)
frontier = list(model.init_states()); seen = set(frontier)
while frontier:
    frontier = [t for s in frontier for _, t in model.successors(s) if t not in seen
                and not seen.add(t)]
print(len(seen), sum(hash(s) for s in seen) % (1 << 61))
"""


def test_group_fingerprints_do_not_depend_on_the_hash_seed():
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", FINGERPRINTS], env=env, check=True,
                             capture_output=True, text=True).stdout
        outputs.add(out)
    assert len(outputs) == 1 and int(outputs.pop().split()[0]) > 100
