"""Text form of a graph: one node per line in topological order.

    graph step(x: f32[64,784], fc1.weight: f32[128,784]) {
      %0: f32[784,128] = permute(fc1.weight) {dims=(1, 0)}
      %1: f32[64,128] = matmul(x, %0)
      return %1
    }

Inputs and params are named in the header (params marked ``param``); other values are numbered
``%0, %1, ...`` in print order, so the text has no ids or addresses and can be golden-tested.

After fusion (``meta["groups"]`` and ``meta["group_order"]``, see ``passes/fusion.py``) the
constants print first and then each group, in execution order, as a nested block whose header
names the values it produces for later groups and the values it reads::

      %2, %4 = group 1 reduction(x, %1) {
        %2: f32[8,10] = sub(x, %1)
        %3: f32[8,10] = exp(%2)
        %4: f32[8,1] = sum(%3) {axes=(1,), keepdim=True}
        yield %2, %4
      }

Only unfused text can be parsed back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import SHORT
from .graph_core import GraphCore


def type_str(shape: tuple[int, ...], dtype: str) -> str:
    return f"{SHORT[dtype]}[{','.join(str(d) for d in shape)}]"


def _attr_str(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return repr(value.tolist())
        return f"<{type_str(value.shape, str(value.dtype))}>"
    if isinstance(value, np.generic):
        # a numpy scalar reprs as np.float32(0.5) under numpy 2: print the plain Python value
        return repr(value.item())
    return repr(value)


def _attrs_str(attrs: dict[str, Any]) -> str:
    if not attrs:
        return ""
    return " {" + ", ".join(f"{k}={_attr_str(v)}" for k, v in attrs.items()) + "}"


def value_names(g: GraphCore) -> dict[int, str]:
    """The printed name of every node: its own name for inputs/params, else %k in print order."""
    names: dict[int, str] = {}
    for k, n in enumerate(g.topo_order()):
        if g.op(n) in ("input", "param"):
            names[n] = g.node_name(n) or f"arg{k}"
    for counter, n in enumerate(print_order(g)):
        names[n] = f"%{counter}"
    return names


def fused_layout(g: GraphCore) -> tuple[list[int], list[int]] | None:
    """For a fused graph: (ungrouped non-io nodes, i.e. constants; group ids in execution
    order). None when ``g`` has no usable fusion annotation (then it prints unfused)."""
    groups, order = g.meta.get("groups"), g.meta.get("group_order")
    if not groups or order is None:
        return None
    grouped = {n for gid in order for n in groups[gid]["nodes"]}
    loose = [n for n in g.topo_order() if g.op(n) not in ("input", "param", "output")
             and n not in grouped]
    if any(g.operands(n) for n in loose) or not grouped <= set(g.nx.nodes):
        return None  # stale annotation: print the plain form rather than a wrong one
    return loose, list(order)


def print_order(g: GraphCore) -> list[int]:
    """Non-io nodes in the order they print: topological, or constants then groups."""
    layout = fused_layout(g)
    if layout is None:
        return [n for n in g.topo_order() if g.op(n) not in ("input", "param", "output")]
    loose, order = layout
    return loose + [n for gid in order for n in g.meta["groups"][gid]["nodes"]]


def format_node(g: GraphCore, n: int, names: dict[int, str]) -> str:
    args = ", ".join(names[i] for i in g.operands(n))
    attrs = dict(g.attrs(n))
    line = f"{names[n]}: {type_str(g.shape(n), g.dtype(n))} = {g.op(n)}({args}){_attrs_str(attrs)}"
    if g.node_name(n):
        line += f"  # {g.node_name(n)}"
    return line


def format_group(g: GraphCore, gid: int, names: dict[int, str]) -> list[str]:
    """The nested block of one fusion group (see the module docstring)."""
    rec = g.meta["groups"][gid]
    outs = ", ".join(names[n] for n in rec["outputs"]) or "_"
    ins = ", ".join(names[n] for n in rec["inputs"])
    lines = [f"  {outs} = group {gid} {rec['kind']}({ins}) {{"]
    lines += ["    " + format_node(g, n, names) for n in rec["nodes"]]
    lines.append("    yield " + ", ".join(names[n] for n in rec["outputs"]))
    lines.append("  }")
    return lines


def format_graph(g: GraphCore) -> str:
    names = value_names(g)
    order = g.topo_order()
    header = []
    for n in order:
        if g.op(n) in ("input", "param"):
            kind = "param " if g.op(n) == "param" else ""
            header.append(f"{kind}{names[n]}: {type_str(g.shape(n), g.dtype(n))}")
    lines = [f"graph {g.name}({', '.join(header)}) {{"]
    layout = fused_layout(g)
    if layout is None:
        for n in order:
            if g.op(n) not in ("input", "param", "output"):
                lines.append("  " + format_node(g, n, names))
    else:
        lines += ["  " + format_node(g, n, names) for n in layout[0]]
        for gid in layout[1]:
            lines += format_group(g, gid, names)
    outs = [names[g.operands(o)[0]] for o in g.outputs]
    lines.append("  return " + ", ".join(outs))
    lines.append("}")
    return "\n".join(lines)


def format_window(g: GraphCore, bad: int, radius: int = 5) -> str:
    """The lines around node ``bad``, marked with ``>>``: used in verifier and runtime errors."""
    names = value_names(g)
    order = print_order(g)
    if bad not in order:
        return f"  >> {g.op(bad)} node {names.get(bad, bad)}"
    at = order.index(bad)
    out = []
    for n in order[max(0, at - radius): at + radius + 1]:
        out.append(("  >> " if n == bad else "     ") + format_node(g, n, names))
    return "\n".join(out)
