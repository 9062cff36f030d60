"""Quick eager dispatch of one-operand registry ops whose call records nothing.

:func:`tenkai._ops.apply` handles every case (tracers, the profiler, GPU tensors, autograd
nodes, views) and keys its per-signature cache on the op's attributes, which costs a few
microseconds per call. Where the caller already knows the attributes follow from the operand's
shape (``x.sum()``: every axis) and nothing records, :func:`run1` computes the same result
with a key of ``(op, tag, shape, dtype)`` in the same cache (``_ops._CHECKED``):
the same rules run on a miss (and raise the same errors), and the same function computes it
(the native provider's kernel or the numpy reference), so values and dtypes are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _ops, _profiling, _trace
from ._node import GRAD_MODE
from ._tensor import Tensor

_TRACER = _trace._LOCAL
_PROFILER = _profiling.ACTIVE
_new_tensor = object.__new__
_CHECKED = _ops._CHECKED  # (cleared, never replaced)


def run1(op: str, tag: str, t: Tensor, attrs_of: Callable[[np.ndarray], dict[str, Any]]
         ) -> Tensor | None:
    """``apply(op, (t,), **attrs_of(t's data))`` when that records nothing (no tracer on
    this thread, no profiler, ``t`` on the CPU, and grad mode off or ``t`` not requiring
    grad), else None (the caller then applies it). ``tag`` names the attributes that
    ``attrs_of`` gives (they must follow from the data's shape and dtype: the cache key is
    ``(op, tag, shape, dtype)``)."""
    d = t._data
    if _TRACER.tracer is not None or _PROFILER[0] is not None or type(d) is not np.ndarray:
        return None
    node = t._node
    if node is not None and node.requires_grad and GRAD_MODE.enabled:
        return None
    key = (op, tag, d.shape, d.dtype)
    checked = _CHECKED.get(key)
    if checked is None:
        deferred = _trace.DEFERRED_KERNELS[0]
        checked = _vector_reduce(op, d, _ops._check(op, [d], attrs_of(d)))
        if not _trace.deferred_since(deferred):
            if len(_CHECKED) > 65536:
                _CHECKED.clear()
            _CHECKED[key] = checked
    _, attrs, run, _, view = checked
    out = run(d, **attrs) if attrs else run(d)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    r = _new_tensor(Tensor)
    r._data, r._node, r._vc, r._base, r._grad, r._retains_grad = out, None, [0], None, None, False
    if view and np.may_share_memory(out, d):  # a view op's view of the operand
        r._base = t._base if t._base is not None else t
        r._vc = t._vc
    return r


def all_axes(d: np.ndarray) -> dict[str, Any]:
    """A full reduction's attributes: every axis, not kept."""
    return {"axes": tuple(range(d.ndim)), "keepdim": False}


# the full reductions whose reference, on a non-empty vector, is one ufunc reduce (x.sum() of
# a float vector, x.max(), x.min()); where that reference was chosen, the cache holds the
# call itself, without the reference's keyword arguments and checks (~0.3 us of ~2.5)
_VECTOR_REDUCE = {"sum": np.add, "max": np.maximum, "min": np.minimum}


def _vector_reduce(op: str, d: np.ndarray, checked: tuple) -> tuple:
    ufunc = _VECTOR_REDUCE.get(op)
    if ufunc is None or checked[2] is not checked[0].reference or d.ndim != 1 or not d.size \
            or (op == "sum" and d.dtype.kind != "f"):
        return checked
    reduce = ufunc.reduce

    def run(x: np.ndarray) -> np.ndarray:
        # what the reference returns for a vector: a 0-d array (np.array of the scalar:
        # ~0.1 us less than np.asarray)
        return np.array(reduce(x))
    return (checked[0], {}, run, *checked[3:])
