"""numpy kernels of ``kron`` and ``cross`` (the eager values of :mod:`tenkai._contract`'s
fast paths and fused steps)."""

from __future__ import annotations

import math

import numpy as np


def kron_data(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``kron`` of two arrays of one rank. The output viewed with the dims interleaved
    ``(a0, b0, a1, b1, ...)`` is ``a`` times ``b``, broadcast; a small factor's elements are
    looped over instead (one strided ``a * b[k]`` each): numpy's broadcast loops over a short
    inner dim are slow (64x64 by 4x4: 150 us, the loop 70 us, PyTorch ~60 us)."""
    mixed = [d for pair in zip(a.shape, b.shape, strict=True) for d in pair]
    shape = [x * y for x, y in zip(a.shape, b.shape, strict=True)]
    small, big, first = (b, a, False) if b.size <= a.size else (a, b, True)
    if small.size > 64 or a.size * b.size < 4096:
        out = a.reshape([d for s in a.shape for d in (s, 1)]) * \
            b.reshape([d for s in b.shape for d in (1, s)])
        return out.reshape(shape)
    out = np.empty(mixed, np.result_type(a, b))
    for at in np.ndindex(small.shape):
        fixed = tuple(x for k in at for x in ((k, slice(None)) if first else (slice(None), k)))
        np.multiply(big, small[at], out=out[fixed])
    return out.reshape(shape)


_CROSS_I, _CROSS_J = np.array([1, 2, 0]), np.array([2, 0, 1])


def cross_data(x: np.ndarray, y: np.ndarray, axis: int, shape: tuple) -> np.ndarray:
    """The cross product of arrays of one rank (broadcast to ``shape``) along ``axis``:
    component k = x[i] * y[j] - x[j] * y[i] for (i, j) = (1, 2), (2, 0), (0, 1)."""
    if math.prod(shape) <= 3072:  # few numpy calls (gathers are slow on long arrays): the
        # three at once from index-permuted operands (broadcasting does the expansion)
        out = x.take(_CROSS_I, axis) * y.take(_CROSS_J, axis)
        out -= x.take(_CROSS_J, axis) * y.take(_CROSS_I, axis)
        return out
    part = [(slice(None),) * axis + (slice(k, k + 1),) for k in range(3)]
    out = np.empty(shape, np.result_type(x, y))
    for k, (i, j) in enumerate(((1, 2), (2, 0), (0, 1))):
        np.subtract(x[part[i]] * y[part[j]], x[part[j]] * y[part[i]], out=out[part[k]])
    return out
