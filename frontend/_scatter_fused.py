"""``scatter_reduce`` with a gradient as one fused eager step (:mod:`tenkai._eager_fused`).

The value is the numpy one :func:`tenkai._api_tensor_index._scatter_eager` computes (one
``ufunc.at`` over flat positions); the backward is the composite's gradient in numpy:
``sum`` passes the gradient through (to ``input`` only where ``include_self`` keeps it),
``amax``/``amin`` share it evenly between the elements equal to the result (``input``'s ties
counted even where ``include_self=False`` leaves it out, as in PyTorch). ``mean`` stays the
composite; ``prod`` has no gradient in tenkai.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _eager_fused
from ._tensor import Tensor


def scatter_reduce(input: Tensor, src: Tensor, out: np.ndarray, flat: np.ndarray,
                   values: np.ndarray, reduce: str, include_self: bool,
                   composite: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
    """The result ``out`` (computed, fresh) recorded with its numpy backward. ``flat``: the
    flat position in ``input`` of each used source element (C order); ``values``: those
    elements (``src`` cut to the index's shape); ``composite(input, src)``: the op recorded
    (for ``create_graph``)."""
    data, used_shape = input._data, values.shape
    dtype, size = data.dtype, data.size
    hit = np.bincount(flat, minlength=size) > 0  # the positions some source element reaches

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray | None]:
        g = seeds[0].reshape(-1)
        if reduce == "sum":
            d_in, d_used = (g if include_self else np.where(hit, 0, g)), g[flat]
        else:  # amax / amin
            result = out.reshape(-1)
            self_tie = data.reshape(-1) == result
            src_tie = values.reshape(-1) == result[flat]
            count = self_tie.astype(dtype)
            np.add.at(count, flat, src_tie.astype(dtype))
            if not include_self:
                self_tie &= ~hit
            share = g / np.where(count > 0, count, 1).astype(dtype)
            d_in = np.where(hit, np.where(self_tie, share, 0), g)
            d_used = np.where(src_tie, share[flat], 0)
        d_src = None
        if src.requires_grad:
            d_src = np.zeros(src.shape, dtype)
            d_src[tuple(slice(0, d) for d in used_shape)] = d_used.reshape(used_shape)
        d_input = np.asarray(d_in, dtype).reshape(data.shape) if input.requires_grad else None
        return [d_input, d_src]

    return _eager_fused.record("ScatterReduceBackward0", [input, src], [out], backward,
                               lambda i, s: [composite(i, s)])[0]
