"""Progress of long runs on stderr: a live line on a terminal, periodic lines elsewhere.

On a terminal the status line is rewritten every half second; when stderr is a file or
a pipe (CI logs) a full line is written every ``interval`` seconds (10 by default), so a
long run shows life without flooding the log.  Each line gives distinct and generated
states, states per second, the queue (frontier), the depth, resident memory, and an ETA
when a state or time limit makes one estimable.
"""

from __future__ import annotations

import resource
import sys
import time
from typing import TextIO


def rss_bytes() -> int:
    """Current resident memory of this process (peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Progress:
    """Reports counts at most every ``interval`` seconds; cheap to call often."""

    def __init__(self, stream: TextIO | None = None, interval: float | None = None,
                 enabled: bool | None = None, limit_states: int | None = None,
                 limit_seconds: float | None = None) -> None:
        self.stream = stream or sys.stderr
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.enabled = True if enabled is None else enabled
        self.interval = interval if interval is not None else (0.5 if self.tty else 10.0)
        self.limit_states = limit_states
        self.limit_seconds = limit_seconds
        self.start = time.monotonic()
        self.last = self.start
        self.shown = False
        self.lines = 0

    def line(self, distinct: int, generated: int, depth: int, queue: int,
             elapsed: float, memory: int | None = None) -> str:
        """The text of one progress report (``memory``: bytes, default this process's RSS)."""
        rate = distinct / elapsed if elapsed > 0 else 0.0
        memory = rss_bytes() if memory is None else memory
        text = (f"{distinct:,} distinct, {generated:,} generated, {rate:,.0f} states/s, "
                f"queue {queue:,}, depth {depth}, {memory / 2**20:,.0f} MiB, "
                f"{elapsed:,.0f}s")
        eta = []
        if self.limit_states and rate > 0:
            eta.append((self.limit_states - distinct) / rate)
        if self.limit_seconds:
            eta.append(self.limit_seconds - elapsed)
        if eta:
            text += f", ETA {max(0.0, min(eta)):,.0f}s (limit)"
        return text

    def update(self, distinct: int, generated: int, depth: int, queue: int,
               memory: int | None = None) -> None:
        """Report counts when the interval has passed since the last report."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        text = self.line(distinct, generated, depth, queue, now - self.start, memory)
        if self.tty:
            self.stream.write(f"\r{text}   ")
            self.shown = True
        else:
            self.stream.write(f"progress: {text}\n")
        self.lines += 1
        self.stream.flush()

    def done(self) -> None:
        """Clear the live status line (periodic lines stay in the log)."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
