"""Eager fused ops: a composite computed in numpy as one recorded step with its own backward.

A composite op (an RNN layer's recurrence, ...) records one node per registry op, and eager
mode pays the op dispatch for each: an LSTM layer over 16 steps records ~240 nodes. When
nothing traces or profiles, :func:`record` instead runs the op's numpy ``forward`` once and
gives its outputs one shared grad_fn (:class:`FusedBackward`, named as PyTorch names the op's
grad_fn) whose backward is the op's numpy ``backward``: the autograd engine treats it as it
treats an ``autograd.Function`` (it hands over the outputs' gradients and continues from the
op's inputs), so gradients accumulate as through the composite.

The composite stays the definition: ``tenkai.compile`` traces it (a tracer is active, so no
fused step is taken), and ``backward(create_graph=True)`` differentiates it again: the fused
backward then re-runs the composite on the saved inputs with recording on and returns its
recorded gradients, which connect to the inputs' own history. The op's tests compare the
fused values and gradients with PyTorch and with the composite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError

from . import _profiling, _trace
from ._compiled_backward import CompiledBackward
from ._node import ANOMALY, FREED_MESSAGE, GRAD_MODE, NODE_SEQ, Node
from ._tensor import Tensor


class _Switch(threading.local):
    off = False  # set while a fused backward re-runs its composite (create_graph)


SWITCH = _Switch()


def available(*inputs: Tensor | None) -> bool:
    """True when a fused step may replace the composite on ``inputs`` (None: absent): no
    tracer or profiler, grad mode on with some input requiring grad (without it the
    composite's own no-grad paths apply), no anomaly detection (it records per-op traces),
    every input a CPU float32/float64 tensor of one dtype."""
    if (SWITCH.off or not GRAD_MODE.enabled or ANOMALY.enabled or _trace.active() is not None
            or _profiling.ACTIVE[0] is not None):
        return False
    dtype, grad = None, False
    for t in inputs:
        if t is None:
            continue
        data = t._data
        if type(data) is not np.ndarray or data.dtype not in (np.float32, np.float64):
            return False
        if dtype is None:
            dtype = data.dtype
        elif data.dtype != dtype:
            return False
        node = t._node
        grad = grad or (node is not None and node.requires_grad)
    return grad


class FusedBackward(CompiledBackward):
    """The grad_fn shared by the outputs of one fused step (``<NameBackward0 object ...>``;
    the surface and the in-place check of a compiled function's grad_fn).

    ``backward(seeds)`` maps the outputs' gradients (arrays, zeros for outputs without one) to
    one gradient array (or None) per input; ``composite(*inputs)`` returns the outputs as
    recorded tensors (used for ``create_graph``)."""

    def __init__(self, name: str, inputs: Sequence[Tensor | None],
                 backward: Callable[[list[np.ndarray]], list[np.ndarray | None]],
                 composite: Callable[..., Sequence[Tensor]],
                 outputs: list[tuple[tuple, Any]]) -> None:
        self._name, self._backward, self._composite = name, backward, composite
        self._tensors = list(inputs)
        self._inputs = [(t, t._vc[0]) for t in inputs if t is not None]
        self._roots = [None if t is None or not t.requires_grad else t._grad_node()
                       for t in inputs]
        self._outputs = outputs
        self._freed = False
        self._seq = NODE_SEQ[0]
        NODE_SEQ[0] += 1

    def name(self) -> str:
        # PyTorch's C++-only nodes report a qualified name but print a short one (as GradFn)
        if self._name in ("CopySlices", "CopyBackwards"):
            return f"torch::autograd::{self._name}"
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"

    def _run_backward(self, grads: dict[int, Any], retain_graph: bool,
                      create_graph: bool) -> tuple[list[Node], list[Any]]:
        if self._freed:
            raise AutogradError(FREED_MESSAGE)
        self._check_versions()
        if create_graph:
            found = self._recorded_grads(grads)
        else:
            seeds = []
            for k, (shape, dtype) in enumerate(self._outputs):
                g = grads.get(k)
                g = np.zeros(shape, dtype) if g is None else getattr(g, "_data", g)
                seeds.append(np.asarray(g, dtype=dtype))
            found = self._backward(seeds)
        if not retain_graph:
            self._freed, self._backward = True, None
        roots, out = [], []
        for node, g in zip(self._roots, found, strict=True):
            if node is not None and g is not None:
                roots.append(node)
                out.append(g)
        return roots, out

    def _recorded_grads(self, grads: dict[int, Any]) -> list[Any]:
        """The composite's gradients, recorded (``create_graph``): differentiable again."""
        from .autograd import grad as autograd_grad

        prev, SWITCH.off = SWITCH.off, True
        prev_grad, GRAD_MODE.enabled = GRAD_MODE.enabled, True
        try:
            outs = list(self._composite(*self._tensors))
            keep = [k for k, g in grads.items() if g is not None]
            wrt = [t for t, node in zip(self._tensors, self._roots, strict=True)
                   if node is not None]
            seeds = [g if isinstance(g, Tensor) else Tensor._make(np.asarray(g))
                     for g in (grads[k] for k in keep)]
            found = iter(autograd_grad([outs[k] for k in keep], wrt, seeds, create_graph=True,
                                       allow_unused=True))
        finally:
            SWITCH.off, GRAD_MODE.enabled = prev, prev_grad
        return [None if node is None else next(found) for node in self._roots]


def record(name: str, inputs: Sequence[Tensor | None], values: Sequence[np.ndarray],
           backward: Callable[[list[np.ndarray]], list[np.ndarray | None]],
           composite: Callable[..., Sequence[Tensor]]) -> list[Tensor]:
    """Tensors of the fused step's output ``values`` (fresh arrays), recorded with one
    :class:`FusedBackward` named ``name`` over ``inputs``."""
    fn = FusedBackward(name, inputs, backward, composite,
                       [(tuple(v.shape), v.dtype) for v in values])
    outs = []
    for k, value in enumerate(values):
        t = Tensor._make(value)
        node = Node(None, {"output_nr": k}, (), value, t._vc)
        node.fn = fn
        t._node = node
        outs.append(t)
    return outs


def unary(name: str, x: Tensor, value: np.ndarray, backward: Callable[[np.ndarray], np.ndarray],
          composite: Callable[[Tensor], Tensor]) -> Tensor:
    """:func:`record` of an op of one tensor input and one output: ``backward(g)`` maps the
    output's gradient to the input's, ``composite(t)`` is the op recorded."""
    return record(name, [x], [value], lambda seeds: [backward(seeds[0])],
                  lambda t: [composite(t)])[0]


def add_along(shape: tuple, axis: int, index: np.ndarray, g: np.ndarray,
              dtype: Any) -> np.ndarray:
    """Zeros of ``shape`` with each ``g`` added at its ``index`` along ``axis`` (``index``
    and ``g`` of one shape, equal to ``shape`` off ``axis``): a gather's gradient, as one
    ``bincount`` over flat positions (``np.add.at`` goes element by element)."""
    outer, n = int(np.prod(shape[:axis])), shape[axis]
    inner = int(np.prod(shape[axis + 1:]))
    k = index.shape[axis] if index.ndim else 1
    lines = index.reshape(outer, k, inner) + (np.arange(outer) * n)[:, None, None]
    flat = lines * inner + np.arange(inner)
    summed = np.bincount(flat.ravel(), g.ravel(), outer * n * inner)
    return summed.reshape(shape).astype(dtype, copy=False)
