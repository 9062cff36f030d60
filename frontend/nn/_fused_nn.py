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
    data, shape = pad_data(x._data, pairs, mode, positions), x._data.shape

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        g = seeds[0]
        for axis in range(len(pairs) - 1, -1, -1):
            lo, hi = pairs[axis]
            if lo or hi:
                g = _pad_grad(g, axis, mode, shape[axis], lo,
                              positions(mode, shape[axis], lo, hi))
        return [g]

    return _eager_fused.record(name, [x], [data], backward, lambda t: [composite(t)])[0]


PAD_SLICES_MIN = 16384


def pad_data(data: np.ndarray, pairs: list[tuple[int, int]], mode: str,
             positions: Callable[[str, int, int, int], np.ndarray]) -> np.ndarray:
    """``data`` padded (a fresh array). From :data:`PAD_SLICES_MIN` elements the interior is
    copied once, then each padded dim's border planes are copied from the planes they read
    (``positions``), from the last dim to the first, each over the already padded later dims
    (a ``take`` per dim gathers every element: 1.6x slower on (4, 16, 32, 32)); smaller
    arrays take one ``take`` per padded dim (fewer numpy calls)."""
    if data.size < PAD_SLICES_MIN:
        out = data
        for axis, (lo, hi) in enumerate(pairs):
            if lo or hi:
                out = out.take(positions(mode, data.shape[axis], lo, hi), axis)
        return out.copy() if out is data else out
    out = np.empty([d + lo + hi for d, (lo, hi) in zip(data.shape, pairs, strict=True)],
                   data.dtype)
    inner = [slice(lo, lo + d) for d, (lo, _) in zip(data.shape, pairs, strict=True)]
    out[tuple(inner)] = data
    for axis in range(data.ndim - 1, -1, -1):
        lo, hi = pairs[axis]
        if not (lo or hi):
            continue
        pos = positions(mode, data.shape[axis], lo, hi)
        for k in (*range(lo), *range(lo + data.shape[axis], len(pos))):
            dst = (*inner[:axis], k)
            out[dst] = out[(*inner[:axis], lo + int(pos[k]))]
    return out


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


def normalize(name: str, x: Tensor, weight: Tensor | None, bias: Tensor | None,
              view: tuple[int, int, int, int], affine_view: tuple[int, ...], eps: float,
              stats: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]],
              composite: Callable[..., Tensor]) -> Tensor | None:
    """Layer / group / instance norm fused, or None: ``x`` seen as ``view`` (rows, groups,
    K, S) is normalized over its last two axes (``stats(array, axes, eps)``: the no-grad
    fast path's ``(x - mean) / sqrt(var + eps), mean, var``), then scaled by ``weight`` and
    shifted by ``bias`` seen as ``affine_view``."""
    if not _eager_fused.available(x, weight, bias) or not x.numel():
        return None
    data = x._data.reshape(view)
    rows = data.shape[:2] + (1, 1)
    flat, _, var = stats(data.reshape(data.shape[0], data.shape[1], -1), (2,), eps)
    xhat = flat.reshape(data.shape)  # (numpy reduces one contiguous axis fastest)
    rstd = np.asarray(1.0 / np.sqrt(var + data.dtype.type(eps)), dtype=data.dtype)
    rstd = rstd.reshape(rows)
    w = None if weight is None else weight._data.reshape(affine_view)
    out = xhat.copy() if w is None else xhat * w  # xhat is kept for the backward
    if bias is not None:
        out += bias._data.reshape(affine_view)

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray | None]:
        gy = seeds[0].reshape(data.shape)
        gxhat = gy if w is None else gy * w
        inv = data.dtype.type(1.0 / (data.shape[2] * data.shape[3]))
        a = np.add.reduce(gxhat.reshape(flat.shape), axis=2).reshape(rows) * inv
        b = np.add.reduce((gxhat * xhat).reshape(flat.shape), axis=2).reshape(rows) * inv
        dx = (gxhat - a - xhat * b) * rstd
        dw = None if w is None else np.add.reduce(gy * xhat, axis=(0, 3)).reshape(weight.shape)
        db = None if bias is None else np.add.reduce(gy, axis=(0, 3)).reshape(bias.shape)
        return [dx.reshape(x.shape), dw, db]

    return _eager_fused.record(name, [x, weight, bias], [out.reshape(x.shape)], backward,
                               lambda *ts: [composite(*ts)])[0]
