"""A one-line progress display for long runs, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Rewrites one status line on a terminal at most every ``interval`` seconds."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.5,
                 enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = interval
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, distinct: int, generated: int, depth: int, queue: int) -> None:
        """Report counts; cheap to call often (it only prints every interval)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        elapsed = now - self.start
        rate = distinct / elapsed if elapsed > 0 else 0.0
        self.stream.write(
            f"\r{distinct:,} distinct, {generated:,} generated, depth {depth}, "
            f"queue {queue:,}, {rate:,.0f} states/s, {elapsed:.0f}s   "
        )
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        """Clear the status line."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
