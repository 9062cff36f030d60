"""Fused eager steps (:mod:`tenkai._eager_fused`) of ``addmm``/``addmv``: ``beta * input +
alpha * (a @ b)`` in numpy and its closed-form gradients, instead of the composite's recorded
product, scalings and sum and their backward graph (the composite stays the definition:
compiled steps trace it, ``create_graph`` re-runs it)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _eager_fused
from ._tensor import Tensor


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` summed down to ``shape`` (the dims ``shape`` broadcast over)."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + k for k, d in enumerate(shape)
                                      if d == 1 and g.shape[lead + k] != 1)
    return g.sum(axes).reshape(shape) if axes else g


def scaled_product(name: str, input: Tensor, a: Tensor, b: Tensor, beta: float, alpha: float,
                   composite: Callable[[Tensor, Tensor, Tensor], Tensor]) -> Tensor | None:
    """``addmm`` (2-D ``a``, ``b``) or ``addmv`` (2-D ``a``, 1-D ``b``) as one fused step, or
    None where it does not apply (not float tensors of one dtype requiring grad, ``beta ==
    0``, shapes the composite rejects)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return None
    x, y, c = a._data, b._data, input._data
    if (beta == 0 or not _eager_fused.available(input, a, b) or x.ndim != 2
            or y.ndim not in (1, 2) or x.shape[1] != y.shape[0]):
        return None
    dt = x.dtype.type
    p = x @ y
    try:
        if np.broadcast_shapes(c.shape, p.shape) != p.shape:
            return None
    except ValueError:
        return None
    scaled = p * dt(alpha) if alpha != 1 else p
    value = (c if beta == 1 else c * dt(beta)) + scaled

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        g = seeds[0]
        ga = g * dt(alpha) if alpha != 1 else g
        gc = _unbroadcast(g * dt(beta) if beta != 1 else g, c.shape)
        left = np.multiply.outer(ga, y) if y.ndim == 1 else ga @ y.T
        return [np.array(gc, copy=True), left, x.T @ ga]

    return _eager_fused.record(name, [input, a, b], [value], backward,
                               lambda s, t, u: [composite(s, t, u)])[0]
