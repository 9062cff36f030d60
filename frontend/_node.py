"""The recorded history of eager tensors: :class:`Node` and the grad-mode switch.

Every differentiable op on a tensor that requires grad creates a :class:`Node` (op name, attrs,
input nodes, its forward value). The history lives with the tensors that reference it, as in
PyTorch, so dropping the loss frees the step's graph. This module is the bottom of the eager
layer: the tensor, the ops and the autograd engine (``_autograd.py``) all build on it, and it
imports none of them.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np


class _GradMode(threading.local):
    enabled = True


GRAD_MODE = _GradMode()


def is_grad_enabled() -> bool:
    return GRAD_MODE.enabled


NODE_SEQ = [0]


class _Anomaly:
    """``tenkai.autograd.detect_anomaly`` state: on, whether backward checks for NaN, and the
    forward traceback of each node recorded while on (PyTorch prints it with the error)."""

    enabled = False
    check_nan = True
    traces: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


ANOMALY = _Anomaly()


def _user_stack() -> str:
    """The current Python stack without tenkai's own frames (what the user's code called)."""
    import os
    import traceback

    here = os.path.dirname(os.path.abspath(__file__))
    frames = [f for f in traceback.extract_stack() if not f.filename.startswith(here)]
    return "".join(traceback.format_list(frames))


def anomaly_trace(node: Node) -> str | None:
    """The forward traceback recorded for ``node`` in anomaly mode, if any."""
    return ANOMALY.traces.get(node)


class Node:
    """One recorded value. ``op is None`` marks a graph input: a leaf (``leaf`` is a weakref to
    the tensor that accumulates ``.grad``) or a value that needs no grad."""

    __slots__ = ("op", "attrs", "inputs", "in_versions", "value", "vc", "out_version", "owner",
                 "leaf", "name", "requires_grad", "retain", "freed", "fn", "seq", "shown",
                 "output_nr", "__weakref__")

    def __init__(self, op: str | None, attrs: dict[str, Any], inputs: tuple[Node, ...],
                 value: np.ndarray, vc: list[int], requires_grad: bool = True) -> None:
        self.op, self.attrs, self.inputs, self.value, self.vc = op, attrs, inputs, value, vc
        # the versions the backward expects of the inputs; then the holder of ``value`` (see
        # forward_value), leaf/retain weakrefs, grad_fn name and object
        self.in_versions = tuple([i.vc[0] for i in inputs]) if inputs else ()
        self.out_version, self.owner, self.requires_grad = vc[0], None, requires_grad
        self.leaf = self.retain = self.name = self.fn = None
        self.freed = False
        # ``shown`` (set only by ``_shape.named``, read with getattr): the list of the nodes of
        # a composite op's public tensor inputs, which its grad_fn.next_functions lists;
        # ``output_nr`` (set only for a multi-output op's later outputs, read with getattr):
        # which output of PyTorch's one backward node this value is (svd's S is 1, Vh 2)
        self.seq = NODE_SEQ[0]  # creation order (in-place ops exempt their own nodes by it)
        NODE_SEQ[0] += 1
        if ANOMALY.enabled and op is not None:
            ANOMALY.traces[self] = _user_stack()


def bind(node: Node, tensor: Any) -> None:
    """Make ``tensor`` the holder of ``node``'s value and share its version counter."""
    node.vc, node.out_version = tensor._vc, tensor._vc[0]
    node.owner = weakref.ref(tensor)


def forward_value(node: Node) -> np.ndarray | None:
    """The node's forward value; after a graph is freed, from its tensor if that still lives."""
    if node.value is not None:
        return node.value
    owner = node.owner() if node.owner is not None else None
    return None if owner is None or owner._node is not node else owner._data


# A node whose backward cannot run (the output of an inference-only compiled module): its
# ``attrs["message"]`` is raised by any backward that reaches it.
NO_BACKWARD = "no_backward"


def constant_node(value: np.ndarray, vc: list[int]) -> Node:
    """A graph input that needs no gradient (data, targets, Python scalars)."""
    return Node(None, {}, (), value, vc, requires_grad=False)


def is_function_output(node: Node) -> bool:
    """An output of an ``autograd.Function``: op-less, its grad_fn (``fn``) runs user code."""
    return node.op is None and getattr(node.fn, "runs_user_backward", False)


_ATTR_ITEMS: dict[int, tuple[dict, tuple]] = {}  # id(attrs) -> (attrs, its items)


def _attr_items(attrs: dict[str, Any]) -> tuple:
    """``tuple(attrs.items())``, cached per attrs object: eager ops share one normalized attrs
    dict per signature (see ``_ops.apply``), so a step's nodes mostly hit."""
    hit = _ATTR_ITEMS.get(id(attrs))
    if hit is not None and hit[0] is attrs:
        return hit[1]
    items = tuple(attrs.items())
    if len(_ATTR_ITEMS) > 4096:
        _ATTR_ITEMS.clear()
    _ATTR_ITEMS[id(attrs)] = (attrs, items)  # holds attrs: its id is not reused meanwhile
    return items


def walk(roots: list[Node], keyed: bool = True
         ) -> tuple[list[Node], dict[int, int], list[Any], bool]:
    """The recorded subgraph behind ``roots`` in one walk: its nodes, inputs first; each
    node's position by id; with ``keyed``, the parts of the plan cache key (one per node, see
    ``_autograd._structure_key``); and whether the walk met a node the plain engine cannot
    run alone (an ``autograd.Function`` output or a no-backward node)."""
    order: list[Node] = []
    parts: list[Any] = []
    index: dict[int, int] = {}  # id -> position; -1 while its inputs are being walked
    special = False
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    pop, push, emit, part = stack.pop, stack.append, order.append, parts.append
    while stack:
        node, done = pop()
        key = id(node)
        if done:
            index[key] = len(order)
            emit(node)
            op = node.op
            if op is None:
                if keyed:
                    v = node.value
                    part((v.shape, v.dtype))
                if node.fn is not None and is_function_output(node):
                    special = True
            else:
                if keyed:
                    part((op, _attr_items(node.attrs),
                          tuple([index[id(i)] for i in node.inputs])))
                if op == NO_BACKWARD:
                    special = True
            continue
        if key in index:
            continue
        index[key] = -1
        push((node, True))
        inputs = node.inputs
        for k in range(len(inputs) - 1, -1, -1):
            i = inputs[k]
            if id(i) not in index:
                push((i, False))
    return order, index, parts, special


def collect(roots: list[Node]) -> list[Node]:
    """Nodes reachable from ``roots`` through recorded ops, inputs first (iterative DFS)."""
    return walk(roots, keyed=False)[0]


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")
