"""Liveness under weak fairness on the explored state graph (networkx SCCs).

``eventually q`` fails when some fair behaviour never reaches a q-state: a path from an
initial state into a strongly connected set of not-q states that a fair scheduler can
stay in forever, or into a not-q state where nothing is enabled.  With a trigger p the
search starts from every reachable p-and-not-q state (p leads to q).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

from kafkacheck.explorer.result import CheckResult, Trace, Violation
from kafkacheck.explorer.trace import build_trace, fingerprint_function
from kafkacheck.model.interface import Model
from kafkacheck.properties.base import Property


def _graph(graph: object) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(graph.states)  # type: ignore[attr-defined]
    for src, action, dst in graph.edges:  # type: ignore[attr-defined]
        if g.has_edge(src, dst):
            g[src][dst]["families"].add(action[0])
        else:
            g.add_edge(src, dst, families={action[0]})
    return g


def _enabled(g: nx.DiGraph, node: int) -> set[str]:
    out: set[str] = set()
    for _, _, data in g.out_edges(node, data=True):
        out |= data["families"]
    return out


def _fair_scc(g: nx.DiGraph, scc: set[int], fairness: Sequence[str],
              cut: set[int]) -> list[int] | None:
    """Waypoints of a fair cycle inside ``scc`` (None if no fair behaviour stays in it)."""
    if len(scc) == 1:
        (node,) = scc
        if not g.has_edge(node, node):
            # A state that can stay forever only if nothing at all is enabled (a deadlock),
            # and not merely because the bounds cut its successors off.
            if g.out_degree(node) == 0 and node not in cut:
                return [node]
            return None
    waypoints: list[int] = []
    for family in fairness:
        disabled = [n for n in scc if family not in _enabled(g, n)]
        if disabled:
            waypoints.append(disabled[0])
            continue
        inner = [(u, v) for u in scc for v in g.successors(u)
                 if v in scc and family in g[u][v]["families"]]
        if not inner:
            return None  # always enabled here, never taken inside: unfair to stay
        waypoints.extend(inner[0])
    return waypoints or [next(iter(scc))]


def _lasso(g: nx.DiGraph, sub: nx.DiGraph, prefix: list[int], entry: int,
           waypoints: list[int]) -> tuple[list[int], int | None]:
    """Fingerprints of prefix + path to the SCC + a cycle through the waypoints."""
    to_entry = nx.shortest_path(sub, prefix[-1], entry)
    chain = prefix + to_entry[1:]
    if len(waypoints) == 1 and g.out_degree(waypoints[0]) == 0:
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


def check_liveness(model: Model, props: Iterable[Property], result: CheckResult,
                   graph: object, parents: dict[int, int]) -> None:
    """Add a lasso-shaped Violation to ``result`` for each eventually-property that fails."""
    from kafkacheck.explorer.bfs import chain_to

    props = list(props)
    if not props:
        return
    if not result.complete:
        result.notes.append("liveness not checked: the exploration was incomplete")
        return
    g = _graph(graph)
    states = graph.states  # type: ignore[attr-defined]
    cut = graph.cut  # type: ignore[attr-defined]
    for prop in props:
        assert prop.holds is not None
        good = {fp for fp, s in states.items() if prop.holds(s)}
        if prop.trigger is None:
            starts = [fp for fp in graph.initial if fp not in good]  # type: ignore[attr-defined]
        else:
            starts = [fp for fp, s in states.items() if fp not in good and prop.trigger(s)]
        if not starts:
            continue
        bad = g.subgraph(n for n in g.nodes if n not in good)
        reach = set()
        for s in starts:
            if s not in reach:
                reach |= nx.descendants(bad, s) | {s}
        sub = bad.subgraph(reach)
        found = None
        for scc in sorted(nx.strongly_connected_components(sub), key=len):
            waypoints = _fair_scc(g, scc, prop.fairness, cut)
            if waypoints is not None:
                found = (scc, waypoints)
                break
        if found is None:
            continue
        scc, waypoints = found
        entry = waypoints[0]
        start = min(starts, key=lambda s: (not nx.has_path(sub, s, entry),
                                           len(chain_to(parents, s))))
        chain, loop_start = _lasso(g, sub, chain_to(parents, start), entry, waypoints)
        result.violations.append(Violation(prop, _replay_chain(model, chain, loop_start),
                                           "liveness"))


def _replay_chain(model: Model, chain: list[int], loop_start: int | None) -> Trace:
    """Concrete states and labels along a fingerprint chain (cycles allowed)."""
    fp = fingerprint_function(model)
    current = next(s for s in model.init_states() if fp(s) == chain[0])
    states, actions = [current], [None]
    for target in chain[1:]:
        for label, nxt in model.successors(current):
            if fp(nxt) == target:
                current, action = nxt, label
                break
        states.append(current)
        actions.append(action)
    if loop_start is None:
        loop_start = len(states) - 1  # a deadlock: the behaviour stutters here forever
    return build_trace(model, states, actions, loop_start)
