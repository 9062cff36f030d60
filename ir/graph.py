"""The graph IR: a ``networkx.MultiDiGraph`` of registry ops.

Invariants (checked by :func:`tenkai.ir.verify.verify`):
* every node has ``op`` (a registry name), ``attrs`` (normalized to the op's schema),
  ``shape`` and ``dtype`` equal to what the op's rules derive from its operands;
* an edge ``u -> v`` with key ``k`` means "u is operand k of v"; operand keys of a node are
  exactly ``0..arity-1``;
* node ids are ints that never change; inputs, params, consts and outputs are nodes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from .errors import VerifyError
from .ops import REGISTRY, OpDef

Shape = tuple[int, ...]


class Graph:
    """A dataflow graph of registry ops. Build it with :meth:`add`; read it with the accessors."""

    def __init__(self, name: str = "graph") -> None:
        self.name = name
        self.nx: nx.MultiDiGraph = nx.MultiDiGraph()
        self._next_id = 0
        self.meta: dict[str, Any] = {}  # pass stamps, timings: never part of the semantics

    # ------------------------------------------------------------ building
    def add(self, op: str, inputs: Sequence[int] = (), *, name: str | None = None,
            loc: str | None = None, **attrs: Any) -> int:
        """Append one node; shape and dtype come from the op's rules (which raise on misuse)."""
        opdef = lookup(op)
        attrs = opdef.normalize_attrs(attrs)
        if opdef.arity >= 0 and len(inputs) != opdef.arity:
            raise TypeError(f"{op}: expected {opdef.arity} operand(s), got {len(inputs)}")
        shape = tuple(int(d) for d in opdef.shape_rule([self.shape(i) for i in inputs], attrs))
        dtype = opdef.dtype_rule([self.dtype(i) for i in inputs], attrs)
        nid = self._next_id
        self._next_id += 1
        self.nx.add_node(nid, op=op, attrs=attrs, shape=shape, dtype=dtype, name=name, loc=loc)
        for pos, src in enumerate(inputs):
            self.nx.add_edge(src, nid, key=pos)
        return nid

    def add_output(self, src: int) -> int:
        return self.add("output", [src], index=len(self.outputs))

    # ------------------------------------------------------------ reading
    def op(self, nid: int) -> str:
        return self.nx.nodes[nid]["op"]

    def attrs(self, nid: int) -> dict[str, Any]:
        return self.nx.nodes[nid]["attrs"]

    def shape(self, nid: int) -> Shape:
        return self.nx.nodes[nid]["shape"]

    def dtype(self, nid: int) -> str:
        return self.nx.nodes[nid]["dtype"]

    def node_name(self, nid: int) -> str | None:
        return self.nx.nodes[nid]["name"]

    def loc(self, nid: int) -> str | None:
        return self.nx.nodes[nid].get("loc")

    def operands(self, nid: int) -> list[int]:
        """Operand node ids in operand order."""
        edges = sorted(self.nx.in_edges(nid, keys=True), key=lambda e: e[2])
        return [src for src, _, _ in edges]

    def users(self, nid: int) -> list[int]:
        return sorted(set(self.nx.successors(nid)))

    def nodes(self) -> list[int]:
        return sorted(self.nx.nodes)

    def topo_order(self) -> list[int]:
        """A deterministic topological order (ties broken by node id)."""
        return list(nx.lexicographical_topological_sort(self.nx))

    def _of_op(self, op: str) -> list[int]:
        return [n for n in self.nodes() if self.op(n) == op]

    @property
    def inputs(self) -> list[int]:
        return self._of_op("input")

    @property
    def params(self) -> list[int]:
        return self._of_op("param")

    @property
    def outputs(self) -> list[int]:
        return sorted(self._of_op("output"), key=lambda n: self.attrs(n)["index"])

    def find(self, name: str) -> int:
        """The node (usually an input or param) with this name."""
        for n in self.nodes():
            if self.node_name(n) == name:
                return n
        raise KeyError(f"no node named {name!r} in graph {self.name}")

    def ancestors(self, nids: Iterable[int]) -> set[int]:
        """The given nodes and everything they depend on."""
        out: set[int] = set()
        for n in nids:
            if n not in out:
                out |= nx.ancestors(self.nx, n) | {n}
        return out

    def copy(self, name: str | None = None) -> Graph:
        g = Graph(name or self.name)
        g.nx = self.nx.copy()
        g._next_id = self._next_id
        g.meta = dict(self.meta)
        return g

    def value(self, nid: int) -> Value:
        return Value(self, nid)

    # ------------------------------------------------------------ text
    def dump(self) -> str:
        """The graph as text, one node per line (see :mod:`tenkai.ir.printer`)."""
        from .printer import format_graph

        return format_graph(self)

    as_text = dump

    def __str__(self) -> str:
        return self.dump()

    def verify(self) -> None:
        from .verify import verify

        verify(self)


def lookup(op: str) -> OpDef:
    try:
        return REGISTRY[op]
    except KeyError:
        raise VerifyError(f"unknown op '{op}': not in the registry") from None


class Value:
    """A node of a graph seen as a symbolic value: what VJP rules compute with."""

    __slots__ = ("graph", "id")

    def __init__(self, graph: Graph, nid: int) -> None:
        self.graph, self.id = graph, nid

    @property
    def shape(self) -> Shape:
        return self.graph.shape(self.id)

    @property
    def dtype(self) -> str:
        return self.graph.dtype(self.id)

    def __repr__(self) -> str:
        return f"Value(%{self.id}: {self.dtype}{list(self.shape)})"


class Builder:
    """Emits registry ops into a graph: ``b.mul(x, y)``, ``b.sum(x, axes=(0,), keepdim=False)``.

    VJP rules receive one of these, so everything they build is ordinary IR.
    """

    def __init__(self, graph: Graph, loc: str | None = None) -> None:
        self.graph, self.loc = graph, loc

    def emit(self, op: str, *inputs: Value, **attrs: Any) -> Value:
        nid = self.graph.add(op, [v.id for v in inputs], loc=self.loc, **attrs)
        return Value(self.graph, nid)

    def scalar(self, value: float | int | bool, dtype: str) -> Value:
        """A 0-d constant of the given dtype."""
        return self.emit("full", shape=(), value=value, dtype=dtype)

    def __getattr__(self, op: str) -> Any:
        if op not in REGISTRY:
            raise AttributeError(f"no registry op named '{op}'")

        def emit_op(*inputs: Value, **attrs: Any) -> Value:
            return self.emit(op, *inputs, **attrs)

        return emit_op
