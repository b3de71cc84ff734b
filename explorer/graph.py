"""The explored state graph as a networkx DiGraph, exported to DOT or GraphML."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from kafkacheck.config import UsageError
from kafkacheck.explorer.result import CheckResult
from kafkacheck.model.interface import format_action

MAX_EXPORT_STATES = 20000


def state_graph(result: CheckResult) -> nx.MultiDiGraph:
    """Nodes are fingerprints (with the state as text), edges carry the action label."""
    graph = result.graph
    if graph is None:
        raise UsageError("this run recorded no state graph (use breadth-first search)")
    model = result.model
    violating = {v.trace.steps[-1].state for v in result.violations if v.trace is not None}
    g = nx.MultiDiGraph(model=model.name)
    initial = set(graph.initial)
    for fp, state in graph.states.items():
        view = model.view(state)
        label = "\n".join(f"{k}={model.format_value(k, v)}" for k, v in view.items())
        g.add_node(str(fp), label=label, initial=fp in initial, violating=state in violating)
    for src, action, dst in graph.edges:
        g.add_edge(str(src), str(dst), label=format_action(action))
    return g


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def write_dot(g: nx.MultiDiGraph, path: Path) -> None:
    """Write Graphviz DOT without needing pydot or pygraphviz."""
    lines = [f'digraph "{_dot_escape(str(g.graph.get("model", "kafkacheck")))}" {{',
             "  node [shape=box, fontname=monospace, fontsize=9];"]
    for node, data in g.nodes(data=True):
        style = ""
        if data.get("violating"):
            style = ", color=red, penwidth=2"
        elif data.get("initial"):
            style = ", color=blue, penwidth=2"
        lines.append(f'  "{node}" [label="{_dot_escape(data["label"])}"{style}];')
    for src, dst, data in g.edges(data=True):
        lines.append(f'  "{src}" -> "{dst}" [label="{_dot_escape(data["label"])}"];')
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def export_graph(result: CheckResult, target: str) -> None:
    """Write the graph to ``target`` (.dot / .gv or .graphml)."""
    graph = result.graph
    if graph is not None and len(graph.states) > MAX_EXPORT_STATES:
        raise UsageError(
            f"state graph has more than {MAX_EXPORT_STATES:,} states (--graph stopped the "
            f"search at {len(graph.states):,}); export is limited to {MAX_EXPORT_STATES:,} "
            "(lower the bounds)"
        )
    path = Path(target)
    g = state_graph(result)
    if path.suffix in (".dot", ".gv"):
        write_dot(g, path)
    elif path.suffix == ".graphml":
        nx.write_graphml(g, path)
    else:
        raise UsageError(f"--graph {target}: use a .dot, .gv or .graphml file name")
