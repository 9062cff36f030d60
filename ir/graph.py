"""The graph IR: :class:`Graph` (the data structure of :mod:`tenkai.ir.graph_core` with its
text form and verifier attached) and the symbolic :class:`Value`/:class:`Builder` that VJP
rules build IR with."""

from __future__ import annotations

from typing import Any

from .graph_core import GraphCore, Shape, lookup
from .ops import REGISTRY
from .printer import format_graph
from .verify import verify

__all__ = ["Builder", "Graph", "Shape", "Value", "lookup"]


class Graph(GraphCore):
    """A dataflow graph of registry ops (see :class:`GraphCore` for building and reading)."""

    def value(self, nid: int) -> Value:
        return Value(self, nid)

    def dump(self) -> str:
        """The graph as text, one node per line (see :mod:`tenkai.ir.printer`)."""
        return format_graph(self)

    as_text = dump

    def __str__(self) -> str:
        return self.dump()

    def verify(self) -> None:
        """Check every invariant (see :mod:`tenkai.ir.verify`); raises VerifyError."""
        verify(self)


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
