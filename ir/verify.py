"""The verifier: checks every invariant of :class:`tenkai.ir.graph.Graph`.

Checked: the graph is acyclic; every op is in the registry; operand positions are exactly
``0..arity-1``; attrs match the op's schema; each node's shape and dtype equal what the
op's rules derive from its operands; output nodes exist, are numbered 0..n-1 and have users
of nothing. Errors show the bad node in a window of IR text and say what to do.
"""

from __future__ import annotations

import networkx as nx

from .errors import VerifyError
from .graph_core import GraphCore, lookup
from .printer import format_window


def _fail(g: GraphCore, n: int, what: str) -> None:
    raise VerifyError(f"graph {g.name}: {what}\n{format_window(g, n)}\n"
                      "fix the pass or builder that created this node")


def _fail_cycle(g: GraphCore, cycle: list[tuple[int, ...]]) -> None:
    # no topological order exists, so print the cycle's nodes by id instead of a %k window
    nodes = [edge[0] for edge in cycle]
    lines = "\n".join(f"  >> node {n}: {g.op(n)}({', '.join(f'node {i}' for i in g.operands(n))})"
                      for n in nodes)
    raise VerifyError(f"graph {g.name}: graph has a cycle through nodes {nodes}\n{lines}\n"
                      "fix the pass or builder that created these edges")


def _check_node(g: GraphCore, n: int) -> None:
    try:
        opdef = lookup(g.op(n))
    except VerifyError as err:
        _fail(g, n, f"{err}; register it or fix the pass that created this node")
        return
    keys = sorted(k for _, _, k in g.nx.in_edges(n, keys=True))
    if keys != list(range(len(keys))):
        _fail(g, n, f"operand positions {keys} are not 0..{len(keys) - 1}")
    if opdef.arity >= 0 and len(keys) != opdef.arity:
        _fail(g, n, f"{opdef.name} takes {opdef.arity} operand(s), node has {len(keys)}")
    attrs = g.attrs(n)
    try:
        if opdef.normalize_attrs(attrs) != attrs:
            _fail(g, n, f"attrs {attrs} are not normalized to the schema of {opdef.name}")
    except TypeError as err:
        _fail(g, n, str(err))
    ops = g.operands(n)
    try:
        shape = tuple(opdef.shape_rule([g.shape(i) for i in ops], attrs))
        dtype = opdef.dtype_rule([g.dtype(i) for i in ops], attrs)
    except Exception as err:  # a rule rejected its operands: report it at this node
        _fail(g, n, f"{type(err).__name__}: {err}")
        return
    if shape != tuple(g.shape(n)) or dtype != g.dtype(n):
        _fail(g, n, f"node says {g.dtype(n)}{list(g.shape(n))} but {opdef.name}'s rules give "
                    f"{dtype}{list(shape)}")


def verify(g: GraphCore) -> None:
    """Raise VerifyError at the first broken invariant; return None for a valid graph."""
    if not nx.is_directed_acyclic_graph(g.nx):
        _fail_cycle(g, nx.find_cycle(g.nx))
    for n in g.topo_order():
        _check_node(g, n)
    outs = g.outputs
    if not outs:
        raise VerifyError(f"graph {g.name}: no output nodes; add one with g.add_output(node)")
    if [g.attrs(o)["index"] for o in outs] != list(range(len(outs))):
        raise VerifyError(f"graph {g.name}: output indices are not 0..{len(outs) - 1}")
    for o in outs:
        if g.users(o):
            _fail(g, o, "an output node is used as an operand")
