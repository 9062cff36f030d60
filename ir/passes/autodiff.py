"""Reverse-mode autodiff as a graph transform.

Input: a graph, the nodes to differentiate (``outputs``) and the nodes to differentiate with
respect to (``wrt``). Output: a new graph holding the original nodes plus, for each output, an
``input`` node for its cotangent (named ``grad_output<k>``) and the backward nodes built from
the registry's VJP rules. The gradients are ordinary nodes (and graph outputs), so the result
can be simplified, fused, compiled, or differentiated again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import AutogradError
from ..graph import Builder, Graph, Value
from ..ops import REGISTRY


@dataclass
class GradGraph:
    """The result of :func:`autodiff`: the joint graph and where things are in it."""

    graph: Graph
    seeds: list[int]  # cotangent input node per differentiated output
    grads: list[int | None]  # gradient node per wrt node; None when no path connects them


def _active(g: Graph, outputs: Sequence[int], wrt: Sequence[int]) -> set[int]:
    """Nodes on some path from a wrt node to an output: only these carry cotangents."""
    return g.descendants(wrt) & g.ancestors(outputs)


def _fresh_name(g: Graph, base: str) -> str:
    """``base``, or ``base_1``, ``base_2``... when differentiating a graph that already has it
    (a second autodiff): input names must stay unique for feeds and the text form."""
    taken = {g.node_name(n) for n in g.nodes()}
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    return name


def _total(b: Builder, parts: list[Value]) -> Value:
    total = parts[0]
    for part in parts[1:]:
        if part.dtype != total.dtype:
            part = b.cast(part, dtype=total.dtype)
        total = b.add(total, part)
    return total


def autodiff(g: Graph, outputs: Sequence[int], wrt: Sequence[int],
             name: str | None = None) -> GradGraph:
    """Differentiate ``outputs`` with respect to ``wrt``; see the module docstring."""
    start = time.perf_counter()
    jg = g.copy(name or f"{g.name}_grad")
    b = Builder(jg)
    active = _active(jg, outputs, wrt)
    cts: dict[int, list[Value]] = {}
    seeds = []
    for k, out in enumerate(outputs):
        seed = jg.add("input", shape=jg.shape(out), dtype=jg.dtype(out),
                      name=_fresh_name(jg, f"grad_output{k}"))
        seeds.append(seed)
        cts.setdefault(out, []).append(Value(jg, seed))
    for n in reversed(g.topo_order()):
        if n in active and n in cts and REGISTRY[jg.op(n)].arity != 0:
            _propagate(b, jg, n, _total(b, cts[n]), active, cts)
    grads = []
    for w in wrt:
        grads.append(_total(b, cts[w]).id if w in cts else None)
    for gid in grads:
        if gid is not None:
            jg.add_output(gid)
    _drop_dead_backward(jg, first_new=g._next_id, keep=set(seeds))
    jg.meta.setdefault("passes", []).append(("autodiff", time.perf_counter() - start))
    return GradGraph(jg, seeds, grads)


def _drop_dead_backward(jg: Graph, first_new: int, keep: set[int]) -> None:
    """Remove nodes this pass created that no output needs (VJP terms of inputs that get no
    gradient); the original graph's nodes and the cotangent inputs stay."""
    live = jg.ancestors(jg.outputs)
    dead = [n for n in jg.nodes() if n >= first_new and n not in live and n not in keep]
    jg.nx.remove_nodes_from(dead)


def _propagate(b: Builder, jg: Graph, n: int, ct: Value, active: set[int],
               cts: dict[int, list[Value]]) -> None:
    operands = jg.operands(n)
    if not any(i in active for i in operands):
        return
    op = REGISTRY[jg.op(n)]
    if op.vjp is None:
        raise AutogradError(f"{op.name} is not differentiable, but a gradient flows through "
                            f"it (node {n}); detach() its input if that is intended")
    b.loc = jg.loc(n)
    grads = op.vjp(b, ct, Value(jg, n), *[Value(jg, i) for i in operands], **jg.attrs(n))
    for i, grad in zip(operands, grads, strict=True):
        if grad is not None and i in active:
            cts.setdefault(i, []).append(grad)
