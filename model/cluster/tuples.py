"""Tuple helpers the successor functions call on every step (compiled in the compiled build:
a call from compiled code then costs a C call, not a Python frame; kafkacheck/compiled.py)."""

from __future__ import annotations


def put(values: tuple, index: int, value: object) -> tuple:
    """A copy of a plain tuple with one position replaced."""
    return values[:index] + (value,) + values[index + 1 :]
