"""Define-by-run recording and the eager autograd engine.

Every differentiable op on a tensor that requires grad creates a :class:`Node` (op name, attrs,
input nodes, its forward value). The history lives with the tensors that reference it, as in
PyTorch, so dropping the loss frees the step's graph.

``backward()`` turns the recorded subgraph into an ``ir.Graph``, runs the symbolic autodiff
pass on it, and executes the derived backward graph with the reference interpreter. The pass
result is cached by the subgraph's structure (ops, attrs, shapes, dtypes, wiring), so a
training loop derives its backward graph once and afterwards only replays the cached plan.
With ``create_graph=True`` the backward graph is replayed through the eager ops instead, so
the gradients are recorded and can be differentiated again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

from tenkai.ir import Graph, Plan
from tenkai.ir.errors import AutogradError
from tenkai.ir.passes import autodiff


class _GradMode(threading.local):
    enabled = True


GRAD_MODE = _GradMode()


def is_grad_enabled() -> bool:
    return GRAD_MODE.enabled


class Node:
    """One recorded value. ``op is None`` marks a graph input: a leaf (``leaf`` is a weakref to
    the tensor that accumulates ``.grad``) or a value that needs no grad."""

    __slots__ = ("op", "attrs", "inputs", "in_versions", "value", "vc", "leaf", "name",
                 "requires_grad", "retain", "freed", "fn", "__weakref__")

    def __init__(self, op: str | None, attrs: dict[str, Any], inputs: tuple[Node, ...],
                 value: np.ndarray, vc: list[int], requires_grad: bool = True) -> None:
        self.op, self.attrs, self.inputs, self.value, self.vc = op, attrs, inputs, value, vc
        self.in_versions = tuple(i.vc[0] for i in inputs)
        self.requires_grad = requires_grad
        self.leaf: weakref.ref | None = None
        self.retain: weakref.ref | None = None
        self.name: str | None = None
        self.freed = False
        self.fn: Any = None


def constant_node(value: np.ndarray, vc: list[int]) -> Node:
    """A graph input that needs no gradient (data, targets, Python scalars)."""
    return Node(None, {}, (), value, vc, requires_grad=False)


# ---------------------------------------------------------------- subgraph collection


def _collect(roots: list[Node]) -> list[Node]:
    """Nodes reachable from ``roots`` through recorded ops, inputs first (iterative DFS)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.freed:
            raise AutogradError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        stack.append((node, True))
        for i in reversed(node.inputs):
            if id(i) not in seen:
                stack.append((i, False))
    return order


def _check_versions(order: list[Node]) -> None:
    for node in order:
        for i, version in zip(node.inputs, node.in_versions, strict=True):
            if i.vc[0] != version:
                shape = "[" + ", ".join(str(d) for d in i.value.shape) + "]"
                raise AutogradError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [tensor of shape {shape}] is at version {i.vc[0]}; "
                    f"expected version {version} instead. Hint: clone() the tensor before "
                    "modifying it in place, or modify it after backward()")


def _structure_key(order: list[Node], roots: list[Node], wrt: list[Node]) -> tuple:
    index = {id(n): k for k, n in enumerate(order)}
    wrt_ids = {id(w) for w in wrt}
    parts: list[Any] = []
    for n in order:
        v = n.value
        if n.op is None:
            parts.append((v.shape, v.dtype.str, id(n) in wrt_ids))
        else:
            parts.append((n.op, tuple(n.attrs.items()), tuple(index[id(i)] for i in n.inputs)))
    return (tuple(parts), tuple(index[id(r)] for r in roots),
            tuple(index[id(w)] for w in wrt))


# ---------------------------------------------------------------- cached backward plans


class BackwardPlan:
    """The derived backward graph of one subgraph structure, ready to replay."""

    def __init__(self, order: list[Node], roots: list[Node], wrt: list[Node]) -> None:
        index = {id(n): k for k, n in enumerate(order)}
        g = Graph("backward")
        for n in order:  # node k of the tape becomes IR node k
            if n.op is None:
                g.add("input", shape=n.value.shape, dtype=_dt(n.value))
            else:
                g.add(n.op, [index[id(i)] for i in n.inputs], **n.attrs)
        result = autodiff(g, [index[id(r)] for r in roots], [index[id(w)] for w in wrt])
        self.graph, self.seeds, self.n_forward = result.graph, result.seeds, len(order)
        self.grads = result.grads
        wanted = [gid for gid in self.grads if gid is not None]
        self.plan = Plan(self.graph, wanted, set(range(len(order))) | set(self.seeds))

    def run(self, order: list[Node], seeds: list[np.ndarray]) -> list[np.ndarray | None]:
        env: dict[int, Any] = {k: n.value for k, n in enumerate(order)}
        env.update(zip(self.seeds, seeds, strict=True))
        self.plan.run(env)
        return [None if gid is None else env[gid] for gid in self.grads]


def _dt(value: np.ndarray) -> str:
    from tenkai.ir.dtypes import from_numpy

    return from_numpy(value.dtype)


_CACHE: OrderedDict[tuple, BackwardPlan] = OrderedDict()
_CACHE_SIZE = 512
STATS = {"backward_calls": 0, "plan_cache_hits": 0, "plan_cache_misses": 0}


def _plan_for(order: list[Node], roots: list[Node], wrt: list[Node]) -> BackwardPlan:
    key = _structure_key(order, roots, wrt)
    plan = _CACHE.get(key)
    if plan is None:
        STATS["plan_cache_misses"] += 1
        plan = BackwardPlan(order, roots, wrt)
        _CACHE[key] = plan
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        STATS["plan_cache_hits"] += 1
        _CACHE.move_to_end(key)
    return plan


# ---------------------------------------------------------------- the engine


def run_backward(roots: list[Node], seeds: list[Any], wrt: list[Node], retain_graph: bool,
                 create_graph: bool) -> list[Any]:
    """Gradients of ``roots`` (weighted by ``seeds``) with respect to ``wrt`` nodes.

    Returns one entry per wrt node: an ndarray (or a recorded Tensor with ``create_graph``)
    or None when the node does not influence the roots.
    """
    STATS["backward_calls"] += 1
    order = _collect(roots)
    _check_versions(order)
    reachable = {id(n) for n in order}
    present = [w for w in wrt if id(w) in reachable]
    plan = _plan_for(order, roots, present)
    if create_graph:
        from ._replay import replay_backward

        found = replay_backward(plan, order, seeds)
    else:
        found = plan.run(order, [np.asarray(s._data if hasattr(s, "_data") else s)
                                 for s in seeds])
    by_node = {id(w): g for w, g in zip(present, found, strict=True)}
    grads = [by_node.get(id(w)) for w in wrt]
    if not retain_graph:
        for node in order:
            if node.op is not None:
                node.freed, node.inputs, node.in_versions = True, (), ()
    return grads
