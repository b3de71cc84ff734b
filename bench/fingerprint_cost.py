#!/usr/bin/env python3
"""Cost per state of the fingerprint (and of packing), against Python's hash() it replaced.

For each registered model, the first 20,000 states of a breadth-first walk (each state
and all its successors) are fingerprinted with: Python's ``hash`` (the old fingerprint,
which has structural collisions: ``hash((0, -1)) == hash((0, -2))``), kafkacheck's C
fingerprint, its pure-Python twin, and the packing used for frontiers and batches.
Nanoseconds per state, the best of three passes.

    .venv/bin/python bench/fingerprint_cost.py
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable

from kafkacheck.config import build_config
from kafkacheck.explorer import native
from kafkacheck.model import registry


def sample(name: str, count: int = 20_000) -> list:
    """States met by a breadth-first walk of the model's default configuration."""
    cls = registry.model_class(name)
    model = cls(build_config(cls))
    seen: set = set()
    queue = deque(model.init_states())
    out: list = []
    while queue and len(out) < count:
        state = queue.popleft()
        for _action, nxt in model.successors(state):
            out.append(nxt)
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return out


def ns_per_call(fn: Callable, states: list, passes: int = 3) -> float:
    """Best-of-``passes`` nanoseconds per call."""
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        for state in states:
            fn(state)
        best = min(best, time.perf_counter() - started)
    return best / len(states) * 1e9


def main() -> int:
    print(f"fingerprint implementation in use: {native.IMPLEMENTATION}")
    print(f"{'model':<14}{'states':>8}{'hash()':>9}{'C fp':>9}{'Py fp':>9}{'pack':>9}"
          f"{'unpack':>9}   ns per state")
    for name in registry.available():
        states = sample(name)
        if not states:
            continue
        classes: dict = {}
        packed = [native.pack(s, classes) for s in states]
        order = list(classes)
        pack_ns = ns_per_call(lambda s, c=classes: native.pack(s, c), states)
        unpack_ns = ns_per_call(lambda p, o=order: native.unpack(p, o), packed)
        print(f"{name:<14}{len(states):>8}{ns_per_call(hash, states):>9.0f}"
              f"{ns_per_call(native.fingerprint, states):>9.0f}"
              f"{ns_per_call(native.py_fingerprint, states[:2000], 1):>9.0f}"
              f"{pack_ns:>9.0f}{unpack_ns:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
