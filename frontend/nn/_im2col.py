"""im2col / col2im on arrays, shared by ``unfold``/``fold`` (``_functional_resample``) and the
eager fast path of ``conv_transpose2d`` (``_functional_conv``): the window geometry of a call
(cached), the gather of sliding blocks, and the sum of columns back into a plane."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._functional_common import tuple_arg


def _window_index(size: Sequence[int], k: Sequence[int], d: Sequence[int], p: Sequence[int],
                  s: Sequence[int], op: str) -> tuple[np.ndarray, list[int], list[int]]:
    """Flat indices into the padded (H+2p, W+2p) plane, shape (kh*kw, L); computed once per
    argument set (a read-only array)."""
    flat, padded, blocks = _window_index_cached(*(tuple(int(v) for v in a)
                                                  for a in (size, k, d, p, s)), op)
    return flat, list(padded), list(blocks)


@functools.lru_cache(maxsize=256)
def _window_index_cached(size: tuple[int, ...], k: tuple[int, ...], d: tuple[int, ...],
                         p: tuple[int, ...], s: tuple[int, ...],
                         op: str) -> tuple[np.ndarray, list[int], list[int]]:
    flat, padded, blocks = _compute_window_index(size, k, d, p, s, op)
    flat.setflags(write=False)
    return flat, padded, blocks


def _compute_window_index(size: Sequence[int], k: Sequence[int], d: Sequence[int],
                          p: Sequence[int], s: Sequence[int],
                          op: str) -> tuple[np.ndarray, list[int], list[int]]:
    padded = [size[i] + 2 * p[i] for i in range(2)]
    blocks = [(padded[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    if min(blocks) <= 0:
        raise RuntimeError(f"{op}: given input with spatial size {list(size)}, kernel_size="
                           f"{list(k)}, dilation={list(d)}, padding={list(p)}, calculated shape "
                           f"of the array of sliding blocks as {blocks}, but its components "
                           f"must be at least one.")
    ki = (np.arange(k[0]) * d[0])[:, None, None, None]
    kj = (np.arange(k[1]) * d[1])[None, :, None, None]
    bi = (np.arange(blocks[0]) * s[0])[None, None, :, None]
    bj = (np.arange(blocks[1]) * s[1])[None, None, None, :]
    flat = (ki + bi) * padded[1] + (kj + bj)
    return flat.reshape(k[0] * k[1], blocks[0] * blocks[1]), padded, blocks


def _fold_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str) -> tuple:
    return tuple(tuple_arg(v, 2, what, op) for v, what in (
        (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))


_GEOMETRY: dict[tuple, tuple] = {}


def _int_arg(v: Any) -> Any:
    """``v`` as a cache key part: an int or a pair of ints, else a TypeError (not cached)."""
    t = type(v)
    if t is int or (t is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int):
        return v
    raise TypeError


def _geometry(size: Sequence[int], kernel_size: Any, dilation: Any, padding: Any, stride: Any,
              op: str) -> tuple:
    """``(k, d, p, s, flat index, padded size, blocks)`` of an unfold/fold call; calls with
    int (or int tuple) arguments are cached, so a repeated call skips the argument checks."""
    try:
        key = (tuple(size), op, *(_int_arg(v) for v in (kernel_size, dilation, padding, stride)))
    except TypeError:
        key = None
    hit = _GEOMETRY.get(key) if key is not None else None
    if hit is None:
        k, d, p, s = _fold_args(kernel_size, dilation, padding, stride, op)
        hit = (k, d, p, s, *_window_index(size, k, d, p, s, op))
        if key is not None:
            if len(_GEOMETRY) > 256:
                _GEOMETRY.clear()
            _GEOMETRY[key] = hit
    return hit


def _unfold_array(data: np.ndarray, geometry: tuple) -> np.ndarray:
    """:func:`unfold` of an (N, C, H, W) array; ``geometry``: (k, d, p, s, flat index,
    padded size, blocks)."""
    k, _, p, _, flat, padded, blocks = geometry
    n, c = data.shape[:2]
    if any(p):  # zero padding (np.pad: the same zeros, ~10x the per-call cost)
        inner = data
        data = np.zeros((n, c, padded[0], padded[1]), inner.dtype)
        data[:, :, p[0]:p[0] + inner.shape[2], p[1]:p[1] + inner.shape[3]] = inner
    cols = np.take(data.reshape(n, c, padded[0] * padded[1]), flat.reshape(-1), axis=2)
    return cols.reshape(n, c * k[0] * k[1], blocks[0] * blocks[1])


def _fold_array(cols: np.ndarray, size: Sequence[int], geometry: tuple) -> np.ndarray:
    """:func:`fold` of an (N, C*kh*kw, L) array into (N, C, *size) (a view of the padded
    plane); ``geometry`` as for :func:`_unfold_array`."""
    k, d, p, s, flat, padded, blocks = geometry
    n, ckk = cols.shape[:2]
    c = ckk // (k[0] * k[1])
    if n * c * flat.size <= GATHER_MAX:
        out = _fold_gather(cols.reshape(n * c, flat.size), geometry)
        out = out.reshape(n, c, padded[0], padded[1])
    else:
        out = _fold_data(cols.reshape(n, c, k[0], k[1], blocks[0], blocks[1]), padded, d, s)
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


GATHER_MAX = 1 << 16  # up to this many column values, fold gathers (two array ops)


def _fold_gather(cols: np.ndarray, geometry: tuple) -> np.ndarray:
    """:func:`_fold_data` on (rows, kh*kw*L) columns as one gather and one sum: every cell of
    the padded plane reads its contributions in kernel-position order (a zero where it has
    fewer), and the sum over that leading axis adds them in that order, as the strided adds
    do (0 + a + b ... and a + b + ... + 0 are the same numbers)."""
    index = _gather_index(geometry)
    ext = np.empty((cols.shape[0], cols.shape[1] + 1), cols.dtype)
    ext[:, :-1] = cols
    ext[:, -1] = 0
    return np.take(ext, index, axis=1).sum(1)  # (rows, M, cells) -> (rows, cells)


_GATHER_INDEX: dict[tuple, np.ndarray] = {}


def _gather_index(geometry: tuple) -> np.ndarray:
    """(M, cells): for each padded-plane cell, the column positions (``q * L + l``) that add
    into it, by kernel position ``q``; padded with the zero slot ``kh*kw*L``. Cached by the
    geometry that determines the window index (padded size, kernel, dilation, stride)."""
    k, d, _, s, flat, padded, _ = geometry
    key = (tuple(padded), tuple(k), tuple(d), tuple(s))
    index = _GATHER_INDEX.get(key)
    if index is None:
        cells, (kk, length) = padded[0] * padded[1], flat.shape
        count = np.bincount(flat.reshape(-1), minlength=cells)
        index = np.full((int(count.max()), cells), flat.size, np.int64)  # the zero slot
        filled = np.zeros(cells, np.int64)
        for q in range(kk):  # kernel positions in order; one block per cell at most
            at = flat[q]
            index[filled[at], at] = q * length + np.arange(length)
            filled[at] += 1
        index.setflags(write=False)
        if len(_GATHER_INDEX) > 64:
            _GATHER_INDEX.clear()
        _GATHER_INDEX[key] = index
    return index


def _fold_data(cols: np.ndarray, padded: list[int], d: Sequence[int],
               s: Sequence[int]) -> np.ndarray:
    """Sum (N, C, kh, kw, bh, bw) columns into the padded (N, C, H', W') plane: one strided
    add per kernel position (kh * kw adds of whole block grids)."""
    n, c, kh, kw, bh, bw = cols.shape
    out = np.zeros((n, c, padded[0], padded[1]), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * d[0]:i * d[0] + s[0] * (bh - 1) + 1:s[0],
                j * d[1]:j * d[1] + s[1] * (bw - 1) + 1:s[1]] += cols[:, :, i, j]
    return out
