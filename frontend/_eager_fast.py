"""Eager fast paths for composite ops: when nothing records (no tracer on this thread, no
profiler, and grad mode off or no input requiring grad), a composite's value can come from
one numpy call instead of its chain of registry ops. The composite stays the definition
(it runs whenever anything records, so graphs, gradients and compiled steps are unchanged);
a fast path computes the same values and dtype, checked against PyTorch by the op's tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _profiling, _trace
from ._node import GRAD_MODE
from ._tensor import Tensor


def plain(*inputs: Any) -> bool:
    """True when eager work on ``inputs`` records nothing (see the module doc) and every
    tensor among them is on the CPU."""
    if _trace.active() is not None or _profiling.ACTIVE[0] is not None:
        return False
    grad = GRAD_MODE.enabled
    for t in inputs:
        if isinstance(t, Tensor):
            if type(t._data) is not np.ndarray:  # on a GPU: its ops run there
                return False
            node = t._node
            if grad and node is not None and node.requires_grad:
                return False
    return True


def plain_float(*inputs: Tensor) -> bool:
    """:func:`plain`, and every input a float32/float64 tensor (the dtypes fast paths take)."""
    for t in inputs:
        if not isinstance(t, Tensor) or t._data.dtype not in (np.float32, np.float64):
            return False
    return plain(*inputs)


def result(value: np.ndarray, dtype: Any = None, fresh: bool = False) -> Tensor:
    """A fresh, writable, C-contiguous result tensor (``dtype``: a numpy dtype to cast to).
    ``fresh``: the caller made ``value`` (or the array it views) for this result alone, never
    an input's data or a view of it; then a writable, C-contiguous array of the dtype is taken
    as is instead of copied."""
    if (fresh and type(value) is np.ndarray and (dtype is None or value.dtype == dtype)
            and value.flags.c_contiguous and value.flags.writeable):
        return Tensor._make(value)
    out = np.array(value, dtype=dtype, order="C", copy=True)
    return Tensor._make(out)
