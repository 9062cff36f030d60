"""The graph IR's data structure: a ``networkx.MultiDiGraph`` of registry ops.

Invariants (checked by :func:`tenkai.ir.verify.verify`):
* every node has ``op`` (a registry name), ``attrs`` (normalized to the op's schema),
  ``shape`` and ``dtype`` equal to what the op's rules derive from its operands;
* an edge ``u -> v`` with key ``k`` means "u is operand k of v"; operand keys of a node are
  exactly ``0..arity-1``;
* node ids are ints that never change; inputs, params, consts and outputs are nodes too.

The printer and the verifier read a :class:`GraphCore`; :class:`tenkai.ir.graph.Graph` (what
everyone builds) adds the methods that call them (``dump()``, ``verify()``), so neither of
those modules imports the class that uses them.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import networkx as nx

from .errors import VerifyError
from .ops import REGISTRY, OpDef

Shape = tuple[int, ...]
G = TypeVar("G", bound="GraphCore")
_first = operator.itemgetter(0)


class GraphCore:
    """A dataflow graph of registry ops. Build it with :meth:`add`; read it with the accessors."""

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
    # (the accessors read networkx's node dict directly: its NodeView costs more than the
    # lookup, and the passes call them hundreds of thousands of times per compile)
    def op(self, nid: int) -> str:
        return self.nx._node[nid]["op"]

    def attrs(self, nid: int) -> dict[str, Any]:
        return self.nx._node[nid]["attrs"]

    def shape(self, nid: int) -> Shape:
        return self.nx._node[nid]["shape"]

    def dtype(self, nid: int) -> str:
        return self.nx._node[nid]["dtype"]

    def node_name(self, nid: int) -> str | None:
        return self.nx._node[nid]["name"]

    def loc(self, nid: int) -> str | None:
        return self.nx._node[nid].get("loc")

    def operands(self, nid: int) -> list[int]:
        """Operand node ids in operand order (the edges into ``nid`` sorted by key, stably:
        read from the adjacency dict, in ``in_edges``' order, without networkx's views)."""
        edges = [(key, src) for src, keys in self.nx._pred[nid].items() for key in keys]
        edges.sort(key=_first)
        return [src for _, src in edges]

    def users(self, nid: int) -> list[int]:
        return sorted(set(self.nx.successors(nid)))

    def nodes(self) -> list[int]:
        return sorted(self.nx.nodes)

    def topo_order(self) -> list[int]:
        """A deterministic topological order (ties broken by node id): the order of
        ``networkx.lexicographical_topological_sort`` (Kahn's algorithm, the smallest ready
        id first), read straight from the adjacency dicts (it runs on every pass and every
        cache key, and networkx's generic version is several times slower)."""
        pred, succ = self.nx._pred, self.nx._succ
        waiting = {}
        ready = []
        for n, sources in pred.items():
            count = sum(len(keys) for keys in sources.values())
            if count:
                waiting[n] = count
            else:
                ready.append(n)
        heapq.heapify(ready)
        order = []
        while ready:
            n = heapq.heappop(ready)
            order.append(n)
            for child, keys in succ[n].items():
                left = waiting[child] - len(keys)
                if left:
                    waiting[child] = left
                else:
                    del waiting[child]
                    heapq.heappush(ready, child)
        if waiting:
            raise nx.NetworkXUnfeasible("Graph contains a cycle or graph changed during "
                                        "iteration")
        return order

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
        return _reach(self.nx.pred, nids)

    def descendants(self, nids: Iterable[int]) -> set[int]:
        """The given nodes and everything that depends on them."""
        return _reach(self.nx.succ, nids)

    def copy(self: G, name: str | None = None) -> G:
        g = type(self)(name or self.name)
        g.nx = self.nx.copy()
        g._next_id = self._next_id
        g.meta = dict(self.meta)
        return g


def _reach(adjacency: Any, starts: Iterable[int]) -> set[int]:
    """``starts`` and every node reachable from them through ``adjacency`` (``nx.pred`` or
    ``nx.succ``): a plain walk, as ``nx.ancestors`` computes, without networkx's dispatch
    (whose first call per function inspects signatures: ~17 ms of a disk-cache hit)."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for m in adjacency[stack.pop()]:
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return seen


def lookup(op: str) -> OpDef:
    try:
        return REGISTRY[op]
    except KeyError:
        raise VerifyError(f"unknown op '{op}': not in the registry") from None
