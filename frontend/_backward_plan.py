"""The derived backward graph of one recorded subgraph, ready to replay.

``_autograd.py`` turns a recorded subgraph into an ``ir.Graph``, derives its backward graph
once per structure (cached there) and runs it: with the reference interpreter
(:meth:`BackwardPlan.run`), or through the eager ops (``_replay.py``) when the gradients must
themselves be recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir import Graph, Plan
from tenkai.ir.dtypes import from_numpy
from tenkai.ir.passes import autodiff

from ._node import Node, forward_value
from .config import debug_level, verify_enabled


class BackwardPlan:
    """The derived backward graph of one subgraph structure, ready to replay."""

    def __init__(self, order: list[Node], roots: list[Node], wrt: list[Node]) -> None:
        index = {id(n): k for k, n in enumerate(order)}
        g = Graph("backward")
        for k, n in enumerate(order):  # node k of the tape becomes IR node k
            if n.op is None:
                g.add("input", shape=n.value.shape, dtype=ir_dtype(n.value))
            else:  # loc "tape:k" marks the backward nodes built from node k's VJP (see _saved)
                g.add(n.op, [index[id(i)] for i in n.inputs], loc=f"tape:{k}", **n.attrs)
        result = autodiff(g, [index[id(r)] for r in roots], [index[id(w)] for w in wrt])
        _check_and_report(result.graph)
        self.graph, self.seeds, self.n_forward = result.graph, result.seeds, len(order)
        self.grads = result.grads
        wanted = [gid for gid in self.grads if gid is not None]
        self.plan = Plan(self.graph, wanted, set(range(len(order))) | set(self.seeds))
        self.saved = self._saved()

    def _saved(self) -> list[tuple[int, int]]:
        """``(k, j)`` pairs: the VJP of forward node k reads forward node j (a saved tensor)."""
        pairs = set()
        for nid, _ref, operands, _attrs in self.plan.steps:
            loc = self.graph.loc(nid) or ""
            for j in operands:
                if j < self.n_forward and loc.startswith("tape:"):
                    pairs.add((int(loc[5:]), j))
        return sorted(pairs)

    def run(self, order: list[Node], seeds: list[np.ndarray]) -> list[np.ndarray | None]:
        env: dict[int, Any] = {k: forward_value(n) for k, n in enumerate(order)}
        env.update(zip(self.seeds, seeds, strict=True))
        self.plan.run(env)
        return [None if gid is None else env[gid] for gid in self.grads]


def _check_and_report(graph: Graph) -> None:
    """Verifier and debug output for a newly derived backward graph (see tenkai.config)."""
    if verify_enabled() and graph.outputs:  # no outputs: nothing was reachable
        graph.verify()
    level = debug_level()
    if level >= 1:
        print(f"[tenkai] derived backward graph: {graph.nx.number_of_nodes()} nodes")
    if level >= 2:
        print(graph.dump())


def ir_dtype(value: np.ndarray) -> str:
    """The IR dtype name of a numpy value."""
    return from_numpy(value.dtype)
