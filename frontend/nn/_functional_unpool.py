"""``F.max_unpool1d/2d/3d`` and ``F.embedding_bag``: composites of registry ops.

Unpooling scatters every input value to its recorded flat index in a zero output
(``scatter_add`` over the flattened spatial dims; its VJP is a gather, the gradient PyTorch
gives). A bag reduction is a (bags, indices) membership mask built from ``offsets`` with
comparisons, so it traces: ``sum`` / ``mean`` are a matmul of the mask with the looked-up
rows, ``max`` a masked ``amax``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _eager_fast as fast
from .. import _eager_fused, _trace
from .. import _ops as ops
from .._shape import cat, reshape, scatter_add, unsqueeze
from .._tensor import Tensor
from ._functional_common import named, tuple_arg
from ._functional_misc import embedding


def _unpool_size(spatial: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...],
                 p: tuple[int, ...], output_size: Any, ndim: int) -> tuple[int, ...]:
    default = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(len(spatial)))
    if output_size is None:
        return default
    size = list(output_size)
    if len(size) == len(spatial) + 2 or (len(size) == len(spatial) + 1 and ndim == 1 + len(k)):
        size = size[-len(spatial):]
    if len(size) != len(spatial):
        raise ValueError(f"output_size should be a sequence containing {len(spatial)} or "
                         f"{len(spatial) + 2} elements, but it has a length of "
                         f"'{len(output_size)}'")
    for d in range(len(spatial)):
        lo, hi = default[d] - s[d], default[d] + s[d]
        if not lo < int(size[d]) < hi:
            raise ValueError(f'invalid output_size "{list(output_size)}" (dim {d} must be '
                             f"between {lo} and {hi})")
    return tuple(int(v) for v in size)


def _max_unpool(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any, padding: Any,
                output_size: Any, n: int) -> Tensor:
    op = f"max_unpool{n}d"
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{op}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) "
                           f"input, but got input of size {tuple(input.shape)}")
    if not isinstance(indices, Tensor) or indices._ir_dtype != "int64":
        raise RuntimeError(f"{op}: elements in indices should be type int64")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({tuple(input.shape)}) but got indices tensor with shape: "
                           f"{tuple(indices.shape)}")
    k = tuple_arg(kernel_size, n, "kernel_size", op)
    s = k if stride is None else tuple_arg(stride, n, "stride", op)
    p = tuple_arg(padding, n, "padding", op)
    x = unsqueeze(input, 0) if input.ndim == n + 1 else input
    idx = unsqueeze(indices, 0) if indices.ndim == n + 1 else indices
    size = _unpool_size(tuple(x.shape[2:]), k, s, p, output_size, input.ndim)
    total = int(np.prod(size))
    data = idx._data
    if data.size and (data.min() < 0 or data.max() >= total):
        bad = int(data.max() if data.max() >= total else data.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(str(v) for v in size)})")
    lead = (x.shape[0], x.shape[1])
    flat_x = reshape(x, (*lead, -1))
    zeros = Tensor._make(np.zeros((*lead, total), dtype=x._data.dtype))
    out = scatter_add(zeros, 2, reshape(idx, (*lead, -1)), flat_x)
    out = reshape(out, (*lead, *size))
    out = reshape(out, tuple(out.shape[1:])) if input.ndim == n + 1 else out
    # PyTorch runs the 1-d case as the 2-d one on an unsqueezed input, then squeezes
    return named(out, f"MaxUnpool{n}DBackward0", input) if n > 1 else \
        named(out, "SqueezeBackward1")


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Inverse of ``max_pool1d``: maxima back at their indices, zeros elsewhere.

    ``F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2)`` has ``x``'s length.
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Inverse of ``max_pool2d`` over (N, C, H, W) or (C, H, W) (flat ``h * W + w`` indices)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Inverse of ``max_pool3d`` over (N, C, D, H, W) or (C, D, H, W)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


# ---------------------------------------------------------------- embedding_bag


def _bag_bounds(input: Tensor, offsets: Tensor | None,
                include_last_offset: bool) -> tuple[Tensor, Tensor, Tensor]:
    """(flat indices (M,), bag starts (B,), bag ends (B,))."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        b, length = input.shape
        starts = np.arange(b, dtype=np.int64) * length
        return (reshape(input, (-1,)), Tensor._make(starts),
                Tensor._make(starts + length))
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    if offsets._ir_dtype not in ("int64", "int32"):
        raise RuntimeError("embedding_bag: expected offsets to be an integer tensor")
    offsets = ops.cast(offsets, "int64")
    if include_last_offset:
        if offsets.shape[0] < 1:
            raise RuntimeError("include_last_offset: numBags should be at least 1")
        return input, offsets[:-1], offsets[1:]
    end = Tensor._make(np.array([input.shape[0]], dtype=np.int64))
    return input, offsets, cat([offsets[1:], end], 0)


def _bag_sums(rows: np.ndarray, bags: np.ndarray, count: int, mode: str) -> np.ndarray:
    """Sum (or mean) of consecutive runs of ``rows`` by bag (``bags`` non-decreasing), with
    one ``np.add.reduceat``; empty bags are 0."""
    sizes = np.bincount(bags, minlength=count)
    size = int(sizes[0]) if count else 0
    if size and sizes.size == count and rows.shape[0] == size * count and (sizes == size).all():
        # bags of one size (a 2-D input's rows): one reduction over the bag axis, which numpy
        # runs as reduceat does, adding the rows in order
        out = rows.reshape(count, size, rows.shape[1]).sum(1)
    else:
        out = np.zeros((count, rows.shape[1]), rows.dtype)
        if bags.size:
            first = np.flatnonzero(np.r_[True, bags[1:] != bags[:-1]])
            out[bags[first]] = np.add.reduceat(rows, first, axis=0)
    if mode == "mean":
        out /= np.maximum(sizes[:count], 1)[:, None].astype(rows.dtype)
    return out


def _equal_bags(w: np.ndarray, read: np.ndarray, count: int, mode: str) -> np.ndarray | None:
    """The sums (or means) of ``count`` bags of equal size over consecutive runs of ``read``
    (row indices of ``w``), or None unless they split ``read`` evenly. The rows are gathered
    bag-position-major, (size, count, D), so the sum adds whole (count, D) slabs in order:
    the additions ``_bag_sums`` makes, without its strided middle-axis reduction."""
    size = read.size // count if count else 0
    if not size or size * count != read.size:
        return None
    out = np.take(w, read.reshape(count, size).T, 0).sum(0)
    if mode == "mean":
        out /= w.dtype.type(size)
    return out


def _evenly_spaced(starts: np.ndarray, n: int) -> bool:
    """Bag starts ``0, size, 2 size, ...`` splitting ``n`` positions into bags of one size."""
    count = starts.size
    return bool(count and n % count == 0 and starts[0] == 0
                and not np.any(np.diff(starts) != n // count))


def _plain_bags(input: Tensor, weight: Tensor, offsets: Tensor | None,
                include_last_offset: bool, mode: str) -> Tensor | None:
    """Eager sum/mean bags when nothing records and the bags are consecutive runs of one
    size (a 2-D input, or evenly spaced offsets from 0): one gather and one sum in numpy.
    None otherwise (the general path, with its checks and errors)."""
    if not fast.plain_float(weight) or not fast.plain(input, offsets):
        return None
    idx, w = input._data, weight._data
    if input.ndim == 2 and offsets is None:
        count = idx.shape[0]
    elif input.ndim == 1 and offsets is not None and offsets.ndim == 1 and \
            offsets._data.dtype in (np.int64, np.int32):
        off = offsets._data
        if include_last_offset:
            if off.size < 2 or off[-1] != idx.size:
                return None
            off = off[:-1]
        count = off.size
        if not _evenly_spaced(off, idx.size):
            return None
    else:
        return None
    read = idx.reshape(-1)
    if read.size and (read.min() < 0 or read.max() >= w.shape[0]):
        return None  # the general path raises the index error
    out = _equal_bags(w, read.astype(np.intp, copy=False), count, mode)
    return None if out is None else fast.result(out, fresh=True)


def _bag_of_positions(flat: Tensor, starts: Tensor, ends: Tensor, num: int,
                      padding_idx: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The bag of each position of ``flat`` and the mask of the positions summed (not
    ``padding_idx``), or None unless the bags are consecutive runs covering the input."""
    lo, hi = starts._data, ends._data
    n = flat.shape[0]
    if (lo.size == 0 or np.any(lo[1:] < lo[:-1]) or np.any(hi[:-1] != lo[1:]) or lo[0] < 0
            or hi[-1] != n):
        return None  # not consecutive bags covering the input: the general form below
    if padding_idx is not None and not -num <= padding_idx < num:
        return None  # the general form raises PyTorch's error
    bag = np.searchsorted(lo, np.arange(n), side="right") - 1
    keep = bag >= 0
    if padding_idx is not None:
        keep &= flat._data != padding_idx % num
    return bag, keep


def _bags_fused(flat: Tensor, weight: Tensor, starts: Tensor, ends: Tensor, mode: str,
                padding_idx: int | None, composite: Any) -> Tensor | None:
    """Sum/mean bags of ``weight``'s rows as one fused eager step (see
    :mod:`tenkai._eager_fused`), or None: the rows read and summed in numpy; the backward
    adds each bag's gradient (over its size for a mean) onto the rows it read (one bincount
    over (row, column) cells)."""
    if _trace.active() is not None or not _eager_fused.available(weight):
        return None
    found = _bag_of_positions(flat, starts, ends, weight.shape[0], padding_idx)
    if found is None:
        return None
    bag, keep = found
    read = flat._data[keep]
    bags, count = bag[keep], starts._data.size
    w = weight._data
    if read.size and (read.min() < 0 or read.max() >= w.shape[0]):
        return None  # the composite raises the index error
    even = keep.all() and _evenly_spaced(starts._data, read.size)
    out = _equal_bags(w, read, count, mode) if even else None
    if out is None:
        out = _bag_sums(np.take(w, read, 0), bags, count, mode)

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray | None]:
        g = seeds[0]
        if mode == "mean":
            g = g / np.maximum(np.bincount(bags, minlength=count), 1)[:, None].astype(w.dtype)
        cols = w.shape[1]
        cells = (read[:, None] * cols + np.arange(cols)).ravel()
        d_w = np.bincount(cells, g[bags].ravel(), w.size).astype(w.dtype).reshape(w.shape)
        return [d_w, None]

    return _eager_fused.record("EmbeddingBagBackward0", [weight, None], [out], backward,
                               composite)[0]


def _bags_by_index_add(rows: Tensor, flat: Tensor, starts: Tensor, ends: Tensor, num: int,
                       mode: str, per_sample_weights: Tensor | None,
                       padding_idx: int | None) -> Tensor | None:
    """Sum/mean bags in eager mode: each row added into its bag with one ``index_add`` (the
    bag of each position read from the offsets' values, which a traced step must not bake
    in: tracing keeps the membership-matrix product). None: not this case."""
    if _trace.active() is not None:
        return None
    found = _bag_of_positions(flat, starts, ends, num, padding_idx)
    if found is None:
        return None
    bag, keep = found
    lo = starts._data
    rows = rows if keep.all() else ops.apply(
        "take", (rows, ops.tensor_of(np.flatnonzero(keep), "int64")), axis=0)
    if per_sample_weights is not None:
        w = ops.cast(reshape(per_sample_weights, (-1,)), rows._ir_dtype)
        w = w if keep.all() else ops.apply(
            "take", (w, ops.tensor_of(np.flatnonzero(keep), "int64")), axis=0)
        rows = rows * unsqueeze(w, 1)
    bags = bag[keep]
    if fast.plain(rows) and (per_sample_weights is None or fast.plain(per_sample_weights)):
        return fast.result(_bag_sums(rows._data, bags, lo.size, mode))
    zeros = ops.tensor_of(np.zeros((lo.size, rows.shape[1])), rows._ir_dtype)
    out = ops.apply("index_add", (zeros, ops.tensor_of(bags, "int64"), rows), axis=0,
                    bounds="index_add")
    if mode == "mean":
        count = np.maximum(np.bincount(bags, minlength=lo.size), 1)[:, None]
        out = out / ops.tensor_of(count, rows._ir_dtype)
    return out


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of embedding rows, without the (M, D) intermediate.

    ``F.embedding_bag(torch.tensor([1, 2, 4, 5]), w, torch.tensor([0, 2]), mode="sum")``
    -> (2, D): rows 1+2 and rows 4+5. A 2-D ``input`` is one bag per row.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq and sparse gradients are "
                                  "not supported; tenkai computes dense, unscaled gradients")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input._ir_dtype not in ("int64", "int32"):
        raise RuntimeError("embedding_bag: expected indices to be an integer tensor "
                           f"(Long or Int), but got {input.dtype}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                f"on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            psw = tuple(per_sample_weights.shape)
            raise ValueError(f"embedding_bag: If per_sample_weights ({psw}) is not None, then "
                             f"it must have the same shape as the input "
                             f"({tuple(input.shape)})")
    if mode != "max" and per_sample_weights is None and max_norm is None and padding_idx is None:
        out = _plain_bags(input, weight, offsets, include_last_offset, mode)
        if out is not None:
            return out
    flat, starts, ends = _bag_bounds(ops.cast(input, "int64"), offsets, include_last_offset)
    if mode != "max" and per_sample_weights is None and max_norm is None:
        fused = _bags_fused(flat, weight, starts, ends, mode, padding_idx, lambda w, _: [
            embedding_bag(input, w, offsets, None, norm_type, False, mode, False, None,
                          include_last_offset, padding_idx)])
        if fused is not None:
            return fused
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq, sparse)
    if mode != "max":
        out = _bags_by_index_add(rows, flat, starts, ends, weight.shape[0], mode,
                                 per_sample_weights, padding_idx)
        if out is not None:
            return named(out, "EmbeddingBagBackward0", weight, per_sample_weights)
    pos = Tensor._make(np.arange(flat.shape[0], dtype=np.int64))
    member = ops.logical_and(unsqueeze(pos, 0) >= unsqueeze(starts, 1),
                             unsqueeze(pos, 0) < unsqueeze(ends, 1))
    if padding_idx is not None:
        num = weight.shape[0]
        if not -num <= padding_idx < num:
            raise AssertionError("padding_idx must be within num_embeddings")
        member = ops.logical_and(member, unsqueeze(flat != padding_idx % num, 0))
    dt = weight._ir_dtype
    if mode == "max":
        big = ops.where(unsqueeze(member, -1), unsqueeze(rows, 0), -np.inf)
        out = big.amax(1)
        count = ops.cast(member, "int64").sum(1)
        out = ops.where(unsqueeze(count > 0, -1), out, 0.0)
        return named(out, "EmbeddingBagBackward0", weight, per_sample_weights)
    mask = ops.cast(member, dt)
    if per_sample_weights is not None:
        mask = mask * unsqueeze(ops.cast(reshape(per_sample_weights, (-1,)), dt), 0)
    out = mask @ rows
    if mode == "mean":
        count = ops.cast(member, dt).sum(1, keepdim=True)
        out = out / ops.clamp(count, 1.0)
    return named(out, "EmbeddingBagBackward0", weight, per_sample_weights)
