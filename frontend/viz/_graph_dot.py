"""``draw``: tenkai's own graphs as pictures, at any stage, and exports for networkx users.

    step = tenkai.trace(train_step, x, y)
    tenkai.viz.draw(step, "traced.svg")              # forward / backward / optimizer colours
    tenkai.viz.draw(step.lower(), "fused.svg")       # + fusion groups, memory plan timeline
    tenkai.viz.to_graphml(step, "step.graphml")      # networkx.read_graphml reads it back
    tenkai.viz.to_json(step, "step.json")            # networkx node-link JSON

Nodes are coloured by part of the training step: forward (blue), backward (red), optimizer
and other state updates (green); inputs are yellow ellipses, parameters and state blue
ellipses, outputs green ellipses (labelled with the state they write). Edges carry the type
of the value (``f32[64,128]``). After fusion every group is a cluster labelled with its
kernel's name and kind; a lowered step also gets the memory plan as a timeline of buffer
lifetimes (one row per arena buffer, one column per group).
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from tenkai.ir.graph import Graph
from tenkai.ir.passes.memory import forward_nodes
from tenkai.ir.printer import type_str, value_names

from ..compile import CompiledFunction
from ..staged import CompiledGraph, LoweredGraph, TracedGraph
from ._render import Picture, graphviz_module

COLORS = {"forward": "#dbe9ff", "backward": "#ffd9d0", "optimizer": "#d8f5d0",
          "input": "#ffe8a3", "param": "#a8d5ff", "output": "#c5f08a", "const": "#eeeeee"}
BOUNDARY = ("input", "param", "output", "const", "full")
MAX_TIMELINE_ROWS = 60


@dataclass
class Drawable:
    """What a drawing needs from any stage: the graph, and for a lowered step the kernel
    program and the lowering info (kernel name -> nodes)."""

    graph: Graph
    stage: str  # traced | fused
    program: Any = None
    info: dict[str, Any] = field(default_factory=dict)


def drawable(obj: Any) -> Drawable:
    """Accept an ``ir.Graph``, ``tenkai.trace(...)``, ``.lower()``, ``.compile()``, or a
    ``tenkai.compile`` function that has run (its latest specialization)."""
    if isinstance(obj, Drawable):
        return obj
    if isinstance(obj, Graph):
        return Drawable(obj, "fused" if "groups" in obj.meta else "traced")
    if isinstance(obj, TracedGraph):
        return Drawable(obj.graph, "traced")
    if isinstance(obj, LoweredGraph):
        return Drawable(obj.fused, "fused", obj.program, obj.info)
    if isinstance(obj, CompiledGraph):
        if obj.lowered is not None:
            return drawable(obj.lowered)
        return Drawable(obj.step.graph, "traced")
    if isinstance(obj, CompiledFunction):
        if not obj.steps:
            raise ValueError(f"tenkai.viz: the compiled function {obj.fn.__name__} has not "
                             "been traced yet; call it once (or twice, with an optimizer whose "
                             "first step creates state) before drawing it")
        return Drawable(obj.steps[-1].graph, "traced")
    raise TypeError(f"tenkai.viz: cannot draw a {type(obj).__name__}; expected an ir.Graph, "
                    "tenkai.trace(...), its .lower() or .compile(), or a tenkai.compile'd "
                    "function that has run (use tenkai.viz.make_dot for a tensor)")


def parts(g: Graph) -> dict[int, str]:
    """Each node's part: forward, backward or optimizer (boundary nodes by their op)."""
    forward = forward_nodes(g)
    writes = g.meta.get("writes") or {}
    by_index = {g.attrs(o)["index"]: g.operands(o)[0] for o in g.outputs}
    grad_roots = [by_index[k] for k, name in writes.items() if name.endswith(".grad")]
    backward = g.ancestors(grad_roots) | set(grad_roots) if grad_roots else set()
    out: dict[int, str] = {}
    for n in g.nodes():
        op = g.op(n)
        if op in BOUNDARY:
            out[n] = "const" if op == "full" else op
        elif n in forward:
            out[n] = "forward"
        elif n in backward or not writes:
            out[n] = "backward"
        else:
            out[n] = "optimizer"
    return out


def _kernel_of_group(d: Drawable) -> dict[int, tuple[str, str]]:
    """group id -> (kernel name, kernel kind), from the lowering info when present."""
    groups = d.graph.meta.get("groups", {})
    node_group = {n: gid for gid, rec in groups.items() for n in rec["nodes"]}
    kinds = {k.name: k.kind for k in d.program.kernels} if d.program is not None else {}
    out: dict[int, tuple[str, str]] = {}
    for name, nodes in d.info.get("kernel_nodes", {}).items():
        for n in nodes:
            if n in node_group and node_group[n] not in out:
                out[node_group[n]] = (name, kinds.get(name, groups[node_group[n]]["kind"]))
    return out


def to_dot(obj: Any, memory: bool = True) -> Picture:
    """The DOT picture of a tenkai graph at its stage (see the module docstring)."""
    graphviz = graphviz_module()
    d = drawable(obj)
    g = d.graph
    names, part = value_names(g), parts(g)
    dot = graphviz.Digraph(name=g.name, graph_attr={"rankdir": "TB", "fontname": "Helvetica",
                                                    "label": f"{g.name} ({d.stage})",
                                                    "labelloc": "t"},
                           node_attr={"fontname": "monospace", "fontsize": "10",
                                      "style": "filled", "shape": "box"},
                           edge_attr={"fontname": "monospace", "fontsize": "8"})
    grouped: set[int] = set()
    groups = g.meta.get("groups", {})
    kernels = _kernel_of_group(d)
    for gid in g.meta.get("group_order", list(groups)):
        rec = groups[gid]
        kname, kind = kernels.get(gid, (f"group {gid}", rec["kind"]))
        with dot.subgraph(name=f"cluster_{gid}") as sub:
            sub.attr(label=f"{kname} [{kind}]", style="rounded,dashed", color="#555555",
                     fontsize="10")
            for n in rec["nodes"]:
                _node(sub, g, n, names, part)
                grouped.add(n)
    for n in g.topo_order():
        if n not in grouped:
            _node(dot, g, n, names, part)
    for n in g.topo_order():
        for p in g.operands(n):
            dot.edge(f"n{p}", f"n{n}", label=type_str(g.shape(p), g.dtype(p)))
    plan = g.meta.get("memory")
    if memory and plan is not None:
        _memory_cluster(dot, plan)
    return Picture(dot)


def _node(dot: Any, g: Graph, n: int, names: dict[int, str], part: dict[int, str]) -> None:
    op, kind = g.op(n), part[n]
    if op == "output":
        index = g.attrs(n)["index"]
        target = (g.meta.get("writes") or {}).get(index)
        label = f"write {target}" if target else f"output {index}"
        dot.node(f"n{n}", label, shape="ellipse", fillcolor=COLORS["output"])
    elif op in ("input", "param"):
        dot.node(f"n{n}", f"{names[n]}\n{type_str(g.shape(n), g.dtype(n))}", shape="ellipse",
                 fillcolor=COLORS[op])
    else:
        label = f"{names.get(n, '_')} = {op}\n{type_str(g.shape(n), g.dtype(n))}"
        dot.node(f"n{n}", label, fillcolor=COLORS[kind], tooltip=g.loc(n) or op)


def _memory_cluster(dot: Any, plan: Any) -> None:
    """The memory plan as an HTML table: one row per arena buffer, one cell per group,
    filled while the buffer is live."""
    slots = sorted(plan.arena_slots(), key=lambda s: (s.start, s.node))[:MAX_TIMELINE_ROWS]
    steps = max(plan.steps, 1)
    header = "".join(f'<TD><FONT POINT-SIZE="7">{t}</FONT></TD>' for t in range(steps))
    rows = [f'<TR><TD ALIGN="LEFT"><B>buffer</B></TD><TD><B>bytes</B></TD>{header}</TR>']
    for s in slots:
        color = {"activation": "#6fa8dc", "scratch": "#f6b26b", "output": "#93c47d"}.get(
            s.category, "#b4a7d6")
        cells = "".join(f'<TD BGCOLOR="{color}"> </TD>' if s.start <= t <= s.end else "<TD> </TD>"
                        for t in range(steps))
        rows.append(f'<TR><TD ALIGN="LEFT">{html.escape(s.name)} {html.escape(s.type)}</TD>'
                    f"<TD>{s.nbytes}</TD>{cells}</TR>")
    label = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
             + "".join(rows) + "</TABLE>>")
    with dot.subgraph(name="cluster_memory") as sub:
        sub.attr(label=f"memory plan: arena {plan.arena_bytes} B, peak live {plan.peak_bytes} B",
                 style="rounded", color="#999999", fontsize="10")
        sub.node("memory_plan", label=label, shape="plaintext", style="")


def draw(obj: Any, path: str | None = None, format: str | None = None,
         memory: bool = True) -> Picture:
    """Draw a tenkai graph (any stage); with ``path``, also write it (svg/png/pdf/dot by
    suffix or ``format``). Returns the :class:`Picture`.

        >>> pic = tenkai.viz.draw(tenkai.trace(step, x, y), "step.svg")
    """
    pic = to_dot(obj, memory=memory)
    if path is not None:
        pic.render(path, format=format)
    return pic


# ---------------------------------------------------------------- networkx exports


def to_networkx(obj: Any) -> nx.DiGraph:
    """A plain ``networkx.MultiDiGraph`` with string/int attributes only (op, name, type,
    shape, dtype, part, group; operand position on edges), as GraphML and JSON can hold."""
    d = drawable(obj)
    g = d.graph
    names, part = value_names(g), parts(g)
    group_of = {n: gid for gid, rec in g.meta.get("groups", {}).items() for n in rec["nodes"]}
    out = nx.MultiDiGraph(name=g.name, stage=d.stage)
    for n in g.topo_order():
        out.add_node(n, op=g.op(n), name=names.get(n, ""), type=type_str(g.shape(n), g.dtype(n)),
                     shape=",".join(str(s) for s in g.shape(n)), dtype=g.dtype(n),
                     part=part[n], group=group_of.get(n, -1), loc=g.loc(n) or "")
        for pos, p in enumerate(g.operands(n)):
            out.add_edge(p, n, position=pos, type=type_str(g.shape(p), g.dtype(p)))
    return out


def to_graphml(obj: Any, path: str) -> str:
    """Write the graph as GraphML (``networkx.read_graphml(path)`` reads it back)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    nx.write_graphml(to_networkx(obj), path)
    return path


def to_json(obj: Any, path: str | None = None) -> dict[str, Any]:
    """networkx node-link data (``networkx.node_link_graph(data, edges="edges")``); written
    to ``path`` when given."""
    graph = to_networkx(obj)
    try:
        data = nx.node_link_data(graph, edges="edges")
    except TypeError:  # networkx < 3.4 names the keyword ``link``
        data = nx.node_link_data(graph, link="edges")
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(data, f, indent=1)
    return data
