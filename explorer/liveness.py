"""Liveness under weak fairness on the explored state graph (networkx SCCs).

``eventually q`` fails when some fair behaviour never reaches a q-state: a path from an
initial state into a strongly connected set of not-q states that a fair scheduler can
stay in forever, or into a not-q state where no weakly fair action is enabled (nothing
at all, or only actions no fairness forces, such as a restart the fault budget merely
allows): as in TLA+, a behaviour may stop there for good.  With a trigger p the search
starts from every reachable p-and-not-q state (p leads to q).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

import networkx as nx

from kafkacheck.explorer.result import CheckResult, Trace, Violation
from kafkacheck.explorer.trace import TraceMismatch, build_trace, chain_to, fingerprint_function
from kafkacheck.model.interface import Model, symmetry_label
from kafkacheck.properties.base import Property

MAX_CYCLE_REPEATS = 1000  # renamings of one state a lasso may pass before it must close


def _names(action: tuple) -> tuple[str, ...]:
    """The family names an action counts for: its name, and its name and first argument
    ("Receive/C2") for fairness per process."""
    return (action[0], f"{action[0]}/{action[1]}") if len(action) > 1 else (action[0],)


class _Graph:
    """Adjacency with the action families on each edge, and what is enabled where."""

    def __init__(self, graph: object) -> None:
        self.succ: dict[int, dict[int, set[str]]] = {fp: {} for fp in graph.states}  # type: ignore[attr-defined]
        self.enabled: dict[int, set[str]] = {fp: set() for fp in self.succ}
        for src, action, dst in graph.edges:  # type: ignore[attr-defined]
            fams = self.succ[src].setdefault(dst, set())
            names = _names(action)
            fams.update(names)
            self.enabled[src].update(names)


def _reachable(g: _Graph, starts: list[int], allowed: set[int]) -> dict[int, int]:
    """Breadth-first distances from any start, moving only through ``allowed`` states."""
    dist = {s: 0 for s in starts}
    queue = deque(starts)
    while queue:
        u = queue.popleft()
        for v in g.succ[u]:
            if v in allowed and v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist


def _stays(g: _Graph, node: int, fairness: Sequence[str], cut: set[int]) -> bool:
    """Whether a fair behaviour may stop at ``node`` for good: no weakly fair family is
    enabled there (TLA+ stuttering), and the bounds did not cut successors off."""
    return node not in cut and not any(family in g.enabled[node] for family in fairness)


def _fair_scc(g: _Graph, scc: set[int], fairness: Sequence[str],
              cut: set[int]) -> list[int] | None:
    """Waypoints of a fair cycle inside ``scc`` (None if no fair behaviour stays in it)."""
    if len(scc) == 1:
        (node,) = scc
        if node not in g.succ[node]:
            # A state that can stay forever only if nothing at all is enabled (a deadlock),
            # and not merely because the bounds cut its successors off.
            if not g.succ[node] and node not in cut:
                return [node]
            return None
    waypoints: list[int] = []
    for family in fairness:
        disabled = next((n for n in scc if family not in g.enabled[n]), None)
        if disabled is not None:
            waypoints.append(disabled)
            continue
        inner = next(((u, v) for u in scc for v, fams in g.succ[u].items()
                      if v in scc and family in fams), None)
        if inner is None:
            return None  # always enabled here, never taken inside: unfair to stay
        waypoints.extend(inner)
    return waypoints or [next(iter(scc))]


def _lasso(g: _Graph, sub: nx.DiGraph, prefix: list[int], entry: int,
           waypoints: list[int], stay: bool = False) -> tuple[list[int], int | None]:
    """Fingerprints of prefix + path to the SCC + a cycle through the waypoints (or, when
    the behaviour ``stay``s at ``entry``, the path to it and no cycle)."""
    to_entry = nx.shortest_path(sub, prefix[-1], entry)
    chain = prefix + to_entry[1:]
    if stay or (len(waypoints) == 1 and not g.succ[waypoints[0]]):
        return chain, None
    loop_start = len(chain) - 1
    current = entry
    for target in [*waypoints, entry]:
        if target == current and target != entry:
            continue
        if target == current:
            # close the loop with at least one step
            nxt = next(v for v in sub.successors(current) if nx.has_path(sub, v, entry))
            path = [current, *nx.shortest_path(sub, nxt, entry)]
        else:
            path = nx.shortest_path(sub, current, target)
        chain.extend(path[1:])
        current = target
    return chain, loop_start


# What a renaming may move between processes (model/cluster/symmetry.py's words).
RENAMED_PROCESSES = ("brokers", "controllers", "nodes")


def check_liveness(model: Model, props: Iterable[Property], result: CheckResult,
                   graph: object, parent_of: Callable[[int], int | None]) -> None:
    """Add a lasso-shaped Violation to ``result`` for each eventually-property that fails."""
    props = list(props)
    if not props:
        return
    if not result.complete:
        result.notes.append("liveness not checked: the exploration was incomplete")
        return
    g = _Graph(graph)
    states = graph.states  # type: ignore[attr-defined]
    cut = graph.cut  # type: ignore[attr-defined]
    renamed = symmetry_label(model)
    for prop in props:
        assert prop.holds is not None
        if any(word in renamed for word in RENAMED_PROCESSES) and \
                any("/" in family for family in prop.fairness):
            # A lasso's labels name the brokers of its representative states, not of one
            # behaviour: fairness per broker ("Fetch/B2") would be judged on the wrong one.
            result.not_checked[prop.name] = (f"its fairness is per process and symmetry "
                                             f"renames the {renamed}; rerun without "
                                             "--bound symmetry=1")
            continue
        bad = {fp for fp, s in states.items() if not prop.holds(s)}
        if prop.trigger is None:
            starts = [fp for fp in graph.initial if fp in bad]  # type: ignore[attr-defined]
        else:
            starts = [fp for fp in bad if prop.trigger(states[fp])]
        if not starts:
            continue
        dist = _reachable(g, starts, bad)
        sub = nx.DiGraph()
        sub.add_nodes_from(dist)
        sub.add_edges_from((u, v) for u in dist for v in g.succ[u] if v in dist)
        found = None
        for scc in sorted(nx.strongly_connected_components(sub),
                          key=lambda c: min(dist[n] for n in c)):
            waypoints = _fair_scc(g, scc, prop.fairness, cut)
            if waypoints is not None:
                found = waypoints
                break
        stay = False
        if found is None:
            # No fair cycle: a behaviour may still stop where no fair action is enabled.
            halt = min((n for n in dist if _stays(g, n, prop.fairness, cut)),
                       key=lambda n: dist[n], default=None)
            if halt is None:
                continue
            found, stay = [halt], True
        entry = found[0]
        reaching = [s for s in starts if nx.has_path(sub, s, entry)]
        start = min(reaching, key=lambda s: len(chain_to(parent_of, s)))
        chain, loop_start = _lasso(g, sub, chain_to(parent_of, start), entry, found, stay)
        trace = _replay_chain(model, chain, loop_start)
        cycle = trace.steps[trace.loop_start or 0:]
        if any(prop.holds(step.state) for step in cycle):
            raise TraceMismatch(f"the rebuilt lasso of {prop.name} reaches a state that "
                                "satisfies it inside its cycle (fingerprint collision?)")
        result.violations.append(Violation(prop, trace, "liveness"))


def _replay_chain(model: Model, chain: list[int], loop_start: int | None) -> Trace:
    """Concrete states and labels along a fingerprint chain (cycles allowed).

    Under symmetry a cycle of fingerprints may come back to a renaming of the state it
    left: the cycle is then replayed again until a concrete state repeats (the renamings
    are finitely many), so the lasso shown loops on real states.
    """
    fp = fingerprint_function(model)
    current = next(s for s in model.init_states() if fp(s) == chain[0])
    states, actions = [current], [None]

    def follow(targets: list[int]) -> None:
        nonlocal current
        for target in targets:
            for label, nxt in model.successors(current):
                if fp(nxt) == target:
                    current, action = nxt, label
                    break
            else:
                raise TraceMismatch("a fingerprint of a liveness lasso has no matching "
                                    "successor")
            states.append(current)
            actions.append(action)

    follow(chain[1:])
    if loop_start is None:
        # a deadlock, or no fair action enabled: the behaviour stutters here forever
        loop_start = len(states) - 1
    elif states[-1] != states[loop_start]:
        cycle = chain[loop_start + 1:]
        seen = {states[loop_start]: loop_start, states[-1]: len(states) - 1}
        while True:
            if len(seen) > MAX_CYCLE_REPEATS:
                raise TraceMismatch("a liveness lasso does not close on a concrete state")
            follow(cycle)
            if states[-1] in seen:
                loop_start = seen[states[-1]]
                break
            seen[states[-1]] = len(states) - 1
    return build_trace(model, states, actions, loop_start)


def _families(model: Model, state: object) -> set[str]:
    """The action families enabled at a state, as fairness names them (``_Graph``'s)."""
    return {name for action, _ in model.successors(state) for name in _names(action)}


def recheck_lasso(model: Model, prop: Property, trace: Trace) -> str | None:
    """Why a replayed lasso fails to show ``prop`` violated, or None when it does.

    It does when q holds at no state from a trigger state on (from the start for plain
    eventually), the cycle returns to the concrete state it left, and a weakly fair
    scheduler may follow it forever: each fair family is taken in the cycle or disabled
    at one of its states; a lasso that stops instead has no fair family enabled at its end.
    """
    assert prop.holds is not None
    states = [step.state for step in trace.steps]
    start = trace.loop_start
    if start is None or not 0 <= start < len(states):
        return "it has no loop start inside the trace"
    last = len(states) - 1
    # The goal must fail at every state from a trigger state on; the cycle repeats, so
    # from its start too when the trigger comes inside it.
    triggers = [0] if prop.trigger is None else \
        [i for i, state in enumerate(states) if prop.trigger(state)]
    held = None
    for i in triggers:
        held = next((j for j in range(min(i, start), last + 1) if prop.holds(states[j])),
                    None)
        if held is None:
            break
    else:
        if held is not None:
            return f"{prop.name}'s goal holds at step {held}"
        return f"no state of it triggers {prop.name}"
    fairness = tuple(prop.fairness)
    if start == last:
        enabled = _families(model, states[last]) & set(fairness)
        if enabled:
            return (f"it stops at step {last}, where weakly fair "
                    f"{', '.join(sorted(enabled))} stays enabled")
        return None
    if states[last] != states[start]:
        return f"its last state is not the state of step {start}, where its loop starts"
    taken = {name for step in trace.steps[start + 1:] if step.action is not None
             for name in _names(step.action)}
    always_enabled = set(fairness) - taken
    for state in states[start:last]:
        if not always_enabled:
            break
        always_enabled &= _families(model, state)
    if always_enabled:
        return (f"weakly fair {', '.join(sorted(always_enabled))} is enabled at every state "
                "of its cycle and never taken there")
    return None
