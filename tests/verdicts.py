"""Test helper: a run whose only gaps are the properties that cannot fail under its bounds.

A property that cannot fail is *not checked* (Property.vacuous: the run is incomplete, exit
3; or Property.needs with its witness never reached: the run is never reached, exit 3), so
such a run is no longer HOLDS.  The tests that expected HOLDS name the exact gaps instead,
and every other selected property must still hold.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def holds_but_not_checked(result: Any, not_checked: Collection[str],
                          never_reached: Collection[str] = ()) -> bool:
    """The run is complete and violates nothing; exactly ``not_checked`` are not checked and
    exactly ``never_reached`` are never reached; every other selected property holds; and
    the run's verdict is the one those gaps give (incomplete before never reached)."""
    gaps = set(not_checked) | set(never_reached)
    verdicts = {p.name: result.verdict(p) for p in result.properties}
    static = {p.name for p in result.properties if p.vacuous}
    expected = "incomplete" if static & gaps else "never reached" if never_reached else "holds"
    return (result.complete and not result.violations
            and set(result.unchecked()) == set(not_checked)
            and {v.name for v in result.unreached} == set(never_reached)
            and all(v == "holds" for name, v in verdicts.items() if name not in gaps)
            and result.result == expected)


def cli_gaps(out: str) -> dict[str, set[str]]:
    """From a ``kafkacheck check`` table: the names per verdict other than holds
    ('not checked', 'never reached', 'violated', ...)."""
    gaps: dict[str, set[str]] = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("[") and "]" in line:
            verdict, rest = line[1:].split("]", 1)
            verdict = verdict.strip()
            if verdict != "holds":
                gaps.setdefault(verdict, set()).add(rest.split()[0])
    return gaps


def cli(capsys: Any, *argv: str) -> tuple[int, str]:
    """Exit code and stdout of one kafkacheck command (no diagram)."""
    from kafkacheck.cli import main

    code = main([*argv, "--no-diagram"])
    return code, capsys.readouterr().out


def verdicts(result: Any) -> dict[str, str]:
    """Each selected property's verdict."""
    return {p.name: result.verdict(p) for p in result.properties}


def steps(result: Any, name: str) -> int:
    """The length of the property's counterexample."""
    return len(result.violation(name).trace)
