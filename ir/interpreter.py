"""The reference executor: runs any graph with the registry's numpy implementations.

It is the oracle for every compiled backend. :func:`run` is the plain entry point;
:class:`Plan` pre-resolves a graph into a list of steps for repeated execution (the eager
autograd engine replays cached backward plans through it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .graph import Graph
from .index_rules import index_error
from .ops import REGISTRY
from .printer import format_window


class Plan:
    """The steps that compute ``outputs`` of ``graph`` given values for the ``given`` nodes.

    A step is ``(node, reference_fn, operand_nodes, attrs)``; ``run(env)`` fills ``env`` (a dict
    node -> ndarray holding the given values) and returns the output values.
    """

    def __init__(self, graph: Graph, outputs: Sequence[int], given: set[int]) -> None:
        self.graph, self.outputs = graph, list(outputs)
        needed = _needed(graph, self.outputs, given)
        self.steps: list[tuple[int, Any, list[int], dict[str, Any]]] = []
        for n in graph.topo_order():
            if n in needed and n not in given:
                op = graph.op(n)
                if op in ("input", "param"):
                    raise KeyError(f"no value fed for {op} '{graph.node_name(n) or n}'")
                self.steps.append((n, REGISTRY[op].reference, graph.operands(n), graph.attrs(n)))

    def run(self, env: dict[int, Any]) -> list[Any]:
        with np.errstate(all="ignore"):
            for n, ref, ins, attrs in self.steps:
                try:
                    env[n] = ref(*[env[i] for i in ins], **attrs)
                except Exception as err:
                    facts, loc = getattr(err, "index_check", None), self.graph.loc(n)
                    if facts is not None and loc and not loc.startswith("tape:"):
                        raise index_error(*facts, loc=loc) from None  # name the user's line
                    err.add_note(f"While executing node {n} of graph {self.graph.name}:\n"
                                 f"{format_window(self.graph, n, radius=2)}")
                    raise
        return [env[o] for o in self.outputs]


def _needed(graph: Graph, outputs: Sequence[int], given: set[int]) -> set[int]:
    """Nodes that must run: ancestors of the outputs, not looking past given nodes."""
    seen: set[int] = set()
    stack = list(outputs)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n not in given:
            stack.extend(graph.operands(n))
    return seen


def run(graph: Graph, feeds: Mapping[Any, Any] | None = None) -> list[np.ndarray]:
    """Execute ``graph``; ``feeds`` maps input/param names (or node ids) to arrays."""
    env: dict[int, Any] = {}
    for key, value in (feeds or {}).items():
        nid = key if isinstance(key, int) else graph.find(key)
        arr = np.asarray(value)
        if tuple(arr.shape) != tuple(graph.shape(nid)):
            raise ValueError(f"feed for {graph.node_name(nid) or nid}: expected shape "
                             f"{list(graph.shape(nid))}, got {list(arr.shape)}")
        env[nid] = arr
    return Plan(graph, graph.outputs, set(env)).run(env)
