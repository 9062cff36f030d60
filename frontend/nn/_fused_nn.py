"""Fused eager steps of nn functions (see :mod:`tenkai._eager_fused`): the forward and
backward of ``F.pad`` (reflect / replicate / circular), ... computed in numpy as one recorded
step instead of their composites' chains of registry ops (each composite stays the
definition: compiled steps trace it, ``create_graph`` re-runs it)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _eager_fused
from .._tensor import Tensor


def index_pad(x: Tensor, pairs: list[tuple[int, int]], mode: str, name: str,
              positions: Callable[[str, int, int, int], np.ndarray],
              composite: Callable[[Tensor], Tensor]) -> Tensor | None:
    """``F.pad`` by source positions (``positions(mode, n, lo, hi)``) fused, or None."""
    if not _eager_fused.available(x):
        return None
    data, shape = x._data, x._data.shape
    for axis, (lo, hi) in enumerate(pairs):
        if lo or hi:
            data = data.take(positions(mode, shape[axis], lo, hi), axis)
    if data is x._data:
        data = data.copy()

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        g = seeds[0]
        for axis in range(len(pairs) - 1, -1, -1):
            lo, hi = pairs[axis]
            if lo or hi:
                g = _pad_grad(g, axis, mode, shape[axis], lo,
                              positions(mode, shape[axis], lo, hi))
        return [g]

    return _eager_fused.record(name, [x], [data], backward, lambda t: [composite(t)])[0]


def _pad_grad(g: np.ndarray, axis: int, mode: str, n: int, lo: int,
              pos: np.ndarray) -> np.ndarray:
    """The gradient of one padded axis: the interior plus the border cells added back onto
    their sources (reflect / circular borders read distinct sources; replicate's one)."""
    g = np.moveaxis(g, axis, -1)
    out = g[..., lo:lo + n].copy()
    for part, src in ((g[..., :lo], pos[:lo]), (g[..., lo + n:], pos[lo + n:])):
        if part.shape[-1] == 0:
            continue
        if mode == "replicate":
            out[..., src[0]] += part.sum(-1)
        else:
            out[..., src] += part
    return np.moveaxis(out, -1, axis)
