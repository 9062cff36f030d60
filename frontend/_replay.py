"""``create_graph=True``: replay a derived backward graph through the eager ops so the
gradients are themselves recorded (grad-of-grad)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _trace
from ._backward_plan import BackwardPlan
from ._node import Node, forward_value
from ._ops import apply
from ._tensor import Tensor


def _tensor_for(node: Node) -> Tensor:
    if node.op is None and node.leaf is not None:
        leaf = node.leaf()
        if leaf is not None:
            return leaf
    t = Tensor._make(forward_value(node))
    t._node, t._vc = (node if node.requires_grad else None), node.vc
    return t


def replay_backward(plan: BackwardPlan, order: list[Node], seeds: list[Any]) -> list[Any]:
    env: dict[int, Tensor] = {k: _tensor_for(n) for k, n in enumerate(order)}
    for sid, seed in zip(plan.seeds, seeds, strict=True):
        if not isinstance(seed, Tensor):
            seed = Tensor._make(np.asarray(seed))
            if _trace.active() is not None:
                _trace.active().const(seed)
        env[sid] = seed
    graph = plan.graph
    for n, _ref, operands, attrs in plan.plan.steps:
        env[n] = apply(graph.op(n), [env[i] for i in operands], **attrs)
    return [None if gid is None else env[gid] for gid in plan.grads]
