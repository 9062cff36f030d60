"""The eager autograd engine, over the history that ops record (:mod:`tenkai._node`).

``backward()`` turns the recorded subgraph into an ``ir.Graph``, runs the symbolic autodiff
pass on it, and executes the derived backward graph with the reference interpreter. The pass
result is cached by the subgraph's structure (ops, attrs, shapes, dtypes, wiring), so a
training loop derives its backward graph once and afterwards only replays the cached plan.
With ``create_graph=True`` the backward graph is replayed through the eager ops instead, so
the gradients are recorded and can be differentiated again.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError

from . import _trace
from ._backward_plan import BackwardPlan, ir_dtype, owned
from ._dtype import BY_NAME
from ._gradfn import display_name
from ._node import (
    FREED_MESSAGE,
    GRAD_MODE,
    NO_BACKWARD,
    Node,
    _attr_items,
    collect,
    forward_value,
    is_function_output,
    walk,
)
from ._replay import replay_backward

# GRAD_MODE is re-exported: the compile path reads it from here
__all__ = ["GRAD_MODE", "STATS", "check_saved", "owned", "plan_for", "run_backward",
           "run_segment"]


def check_saved(order: list[Node], saved: list[tuple[int, int]]) -> None:
    """PyTorch's checks on the values a backward uses: each ``(k, j)`` says node k's VJP reads
    node j's value, which must be neither freed nor modified in place since k recorded it."""
    for k, j in saved:
        node, dep = order[k], order[j]
        if node.freed or forward_value(dep) is None:
            raise AutogradError(FREED_MESSAGE)
        if j == k:
            expected = node.out_version
        elif dep in node.inputs:
            expected = node.in_versions[node.inputs.index(dep)]
        else:
            continue
        if dep.vc[0] != expected:
            raise AutogradError(_inplace_message(dep, expected))


def _inplace_message(dep: Node, expected: int) -> str:
    value = forward_value(dep)
    legacy = BY_NAME[ir_dtype(value)]._legacy
    what = f"[torch.{legacy} [{', '.join(str(d) for d in value.shape)}]]"
    if dep.op is not None:
        what += f", which is output 0 of {re.sub(r'Backward[0-9]*$', '', display_name(dep))},"
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what} is at version {dep.vc[0]}; expected version {expected} "
            "instead. Hint: enable anomaly detection to find the operation that failed to "
            "compute its gradient, with torch.autograd.set_detect_anomaly(True, "
            "check_nan=False).")


def _structure_key(order: list[Node], roots: list[Node], wrt: list[Node]) -> tuple:
    index = {id(n): k for k, n in enumerate(order)}
    parts: list[Any] = []
    append = parts.append
    for n in order:
        if n.op is None:
            v = n.value
            append((v.shape, v.dtype))
        else:
            append((n.op, _attr_items(n.attrs), tuple([index[id(i)] for i in n.inputs])))
    return _key(parts, index, roots, wrt)


def _key(parts: list[Any], index: dict[int, int], roots: list[Node], wrt: list[Node]) -> tuple:
    """The plan cache key: the tape's structure (one part per node), roots and wrt nodes."""
    return (tuple(parts), tuple([index[id(r)] for r in roots]),
            tuple([index[id(w)] for w in wrt]))


# ---------------------------------------------------------------- cached backward plans


_CACHE: OrderedDict[tuple, BackwardPlan] = OrderedDict()
_CACHE_SIZE = 512
STATS = {"backward_calls": 0, "plan_cache_hits": 0, "plan_cache_misses": 0}


def plan_for(order: list[Node], roots: list[Node], wrt: list[Node],
             key: tuple | None = None) -> BackwardPlan:
    """The cached plan of this structure (``key``: its :func:`_structure_key`, if known)."""
    if key is None:
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
                 create_graph: bool) -> tuple[list[Node], list[Any]]:
    """Gradients of ``roots`` (weighted by ``seeds``) with respect to ``wrt`` nodes.

    ``wrt`` may be a function choosing the nodes from the collected subgraph (all leaves).
    Returns the wrt nodes and one gradient per node: an ndarray (or a recorded Tensor with
    ``create_graph`` or while tracing) or None when the node does not influence the roots.
    A subgraph that reaches ``autograd.Function`` outputs runs in segments around the user's
    backward methods (:func:`_run_with_functions`).
    """
    STATS["backward_calls"] += 1
    order, index, parts, special = walk(roots)
    if special:
        for n in order:
            if n.op is None and n.fn is not None and is_function_output(n):
                return _run_with_functions(roots, seeds, wrt, retain_graph, create_graph)
    return run_segment(order, roots, seeds, wrt, retain_graph, create_graph, mark=True,
                       walk=(index, parts, special))


def run_segment(order: list[Node], roots: list[Node], seeds: list[Any], wrt: Any,
                retain_graph: bool, create_graph: bool, mark: bool = False,
                walk: tuple | None = None) -> tuple[list[Node], list[Any]]:
    """One symbolic backward pass over the recorded subgraph ``order`` (see run_backward).
    ``mark``: the plan run remembers the gradients nothing else holds (``owned``); ``walk``:
    what :func:`walk` found besides ``order`` (index, key parts, special)."""
    if walk is None or walk[2]:
        for node in order:
            if node.op == NO_BACKWARD:
                raise AutogradError(node.attrs["message"])
    if callable(wrt):  # "every leaf of this subgraph": chosen from the same walk
        wrt = present = wrt(order)
    else:
        reachable = walk[0] if walk is not None else {id(n) for n in order}
        present = [w for w in wrt if id(w) in reachable]
    if walk is None:
        plan = plan_for(order, roots, present)
    else:
        plan = plan_for(order, roots, present, _key(walk[1], walk[0], roots, present))
    check_saved(order, plan.saved)
    if create_graph or _trace.active() is not None:
        # replaying through the eager ops records the gradients (create_graph) and/or
        # appends the backward graph to the trace of a compiled step
        prev = GRAD_MODE.enabled
        GRAD_MODE.enabled = create_graph
        try:
            if _on_device(roots[0].value):  # values on a GPU
                from ._cuda_steps import replay

                found = replay(plan, order, seeds)
            else:
                found = replay_backward(plan, order, seeds)
        finally:
            GRAD_MODE.enabled = prev
        if not create_graph and _trace.active() is None:
            found = [None if g is None else g._data for g in found]
    elif _on_device(roots[0].value):  # values on a GPU: replayed by device kernels
        from ._cuda_steps import backward

        found = backward(plan, order, seeds)
    else:
        found = plan.run(order, [s if type(s) is np.ndarray else
                                 np.asarray(s._data if hasattr(s, "_data") else s)
                                 for s in seeds], mark and _first_grads(present))
    by_node = {id(w): g for w, g in zip(present, found, strict=True)}
    grads = [by_node.get(id(w)) for w in wrt]
    if not retain_graph:
        for node in order:  # free the saved values; the structure stays (like PyTorch)
            if node.op is not None:
                node.freed, node.value = True, None
    return wrt, grads


def _first_grads(nodes: list[Node]) -> bool:
    """Whether a gradient for ``nodes`` may become a ``.grad`` without being added into one
    (a leaf or retained tensor whose ``.grad`` is None): only then is marking the gradients
    nothing else holds (``owned``) of use; the rest are added into the ``.grad`` they find."""
    for n in nodes:
        ref = n.leaf if n.op is None and n.leaf is not None else n.retain
        owner = ref() if ref is not None else None
        if owner is not None and owner._grad is None:
            return True
    return False


def _on_device(value: Any) -> bool:
    """Whether a forward value lives on a GPU (a numpy array is asked no attribute: a failed
    ``hasattr`` costs an exception)."""
    return type(value) is not np.ndarray and hasattr(value, "tk_device")


# ---------------------------------------------------------------- autograd.Function boundaries


def _add(a: Any, b: Any) -> Any:
    return b if a is None else (a if b is None else a + b)


def _run_with_functions(roots: list[Node], seeds: list[Any], wrt: Any, retain_graph: bool,
                        create_graph: bool) -> tuple[list[Node], list[Any]]:
    """Backward through a graph that contains ``autograd.Function`` outputs.

    Each segment is an ordinary symbolic backward pass from some roots down to the leaves
    and to the Function outputs it reaches (they are graph inputs of the segment). The
    gradients collected for a Function's outputs are handed to its ``backward`` (the user's
    Python code, run through the eager ops, so it is recorded under ``create_graph`` and
    while tracing a compiled step), whose results seed the next segment at the Function's
    inputs. Functions run latest-created first, so every one of them has all of its output
    gradients before it runs.
    """
    plain = not create_graph and _trace.active() is None  # gradients are ndarrays
    targets: dict[int, Node] = {} if callable(wrt) else {id(w): w for w in wrt}
    totals: dict[int, Any] = {}
    pending: dict[int, tuple[Any, dict[int, Any]]] = {}  # id(fn) -> (fn, output_nr -> grad)
    visited: dict[int, Node] = {}  # segments may share nodes: free them only at the end

    def receive(node: Node, grad: Any) -> None:
        if grad is None:
            return
        if plain and hasattr(grad, "_data"):
            grad = grad._data
        if id(node) in targets:
            totals[id(node)] = _add(totals.get(id(node)), grad)
        if is_function_output(node):
            fn, grads = pending.setdefault(id(node.fn), (node.fn, {}))
            k = node.attrs.get("output_nr", 0)
            grads[k] = _add(grads.get(k), grad)

    while True:
        recorded = [(r, s) for r, s in zip(roots, seeds, strict=True) if r.op is not None]
        for r, s in zip(roots, seeds, strict=True):
            if r.op is None:  # a leaf or a Function output fed straight into a Function
                if callable(wrt) and r in wrt([r]):
                    targets.setdefault(id(r), r)
                receive(r, s)
        if recorded:
            order = collect([r for r, _ in recorded])
            if callable(wrt):
                targets.update((id(n), n) for n in wrt(order))
            outputs = [n for n in order if is_function_output(n)]
            asked = list(targets.values()) + [n for n in outputs if id(n) not in targets]
            visited.update((id(n), n) for n in order)
            asked_nodes, grads = run_segment(order, [r for r, _ in recorded],
                                             [s for _, s in recorded], asked, True,
                                             create_graph)
            for node, g in zip(asked_nodes, grads, strict=True):
                receive(node, g)
        if not pending:
            break
        fn, grads = pending.pop(max(pending, key=lambda k: pending[k][0]._seq))
        roots, seeds = fn._run_backward(grads, retain_graph, create_graph)
    if not retain_graph:
        for node in visited.values():
            if node.op is not None:
                node.freed, node.value = True, None
    nodes = list(targets.values())
    return nodes, [totals.get(id(n)) for n in nodes]
