"""Rearranging and norm helpers of ``tenkai.nn.functional``: pixel_shuffle, pixel_unshuffle,
channel_shuffle, rms_norm, pdist and gumbel_softmax, as composites of registry ops (reshape,
permute, reductions), so they trace and compile like the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _eager_fast as fast
from .. import _ops as ops
from .. import _reduce
from .._creation import rand_like
from .._shape import index_select, permute, reshape
from .._tensor import Tensor
from ._functional_activation import softmax
from ._functional_common import named


def _batch_dims(input: Tensor, need: int, op: str) -> tuple[int, ...]:
    if input.ndim < need:
        raise RuntimeError(f"{op} expects input to have at least {need} dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    return tuple(input.shape[:-3])


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): ``F.pixel_shuffle(x, 2)``."""
    batch = _batch_dims(input, 3, "pixel_shuffle")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    nb = len(batch)
    order = tuple(range(nb)) + (nb, nb + 3, nb + 1, nb + 4, nb + 2)
    if fast.plain(input):
        data = input._data.reshape(batch + (c // (r * r), r, r, h, w)).transpose(order)
        return fast.result(data.reshape(batch + (c // (r * r), h * r, w * r)))
    x = reshape(input, batch + (c // (r * r), r, r, h, w))
    return named(reshape(permute(x, order), batch + (c // (r * r), h * r, w * r)),
                 "PixelShuffleBackward0", input)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): ``F.pixel_unshuffle(x, 2)``."""
    batch = _batch_dims(input, 3, "pixel_unshuffle")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if h % r or w % r:
        which, size = ("height", h) if h % r else ("width", w)
        raise RuntimeError(f"pixel_unshuffle expects {which} to be divisible by "
                           f"downscale_factor, but input.size({-2 if which == 'height' else -1})"
                           f"={size} is not divisible by {r}")
    nb = len(batch)
    x = reshape(input, batch + (c, h // r, r, w // r, r))
    order = tuple(range(nb)) + (nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return named(reshape(permute(x, order), batch + (c * r * r, h // r, w // r)),
                 "PixelUnshuffleBackward0", input)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups: ``F.channel_shuffle(x, 2)``."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    n, c = input.shape[0], input.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    rest = tuple(input.shape[2:])
    x = reshape(input, (n, g, c // g) + rest)
    order = (0, 2, 1) + tuple(range(3, 3 + len(rest)))
    return named(reshape(permute(x, order), tuple(input.shape)), "ChannelShuffleBackward0",
                 input)


def rms_norm(input: Tensor, normalized_shape: Sequence[int] | int, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2 over the last dims) + eps) * weight: ``F.rms_norm(x, (4,))``."""
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(
        int(d) for d in normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(d) for d in shape)}], but got input of size"
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(shape)}")
    if eps is None:
        eps = float(np.finfo(np.dtype(input._ir_dtype)).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    out = input * ops.rsqrt(_reduce.mean(input * input, axes, keepdim=True) + eps)
    return out if weight is None else out * weight


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """p-norm distances between the rows of an (N, M) input, upper triangle row by row."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    if n < 2:
        return reshape(_reduce.sum(input, (0, 1)), (1,))[:0]
    rows, cols = np.triu_indices(n, 1)
    a = index_select(input, 0, Tensor._make(rows.astype(np.int64)))
    b = index_select(input, 0, Tensor._make(cols.astype(np.int64)))
    diff = ops.abs(a - b)
    if p == 2:
        out = ops.sqrt(_reduce.sum(diff * diff, 1))
    elif p == 1:
        out = _reduce.sum(diff, 1)
    elif p == float("inf"):
        out = _reduce.amax(diff, 1)
    elif p == 0:
        out = _reduce.sum(ops.cast(diff != 0, input._ir_dtype), 1)
    else:
        out = ops.pow(_reduce.sum(ops.pow(diff, p), 1), 1.0 / p)
    return named(out, "PdistBackward0", input)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + Gumbel noise) / tau); ``hard`` gives one-hot values with the soft
    gradient (straight-through): ``F.gumbel_softmax(logits, tau=0.5, hard=True)``."""
    # -log(E) with E ~ Exp(1) is Gumbel(0, 1); E = -log(U) for U ~ U(0, 1)
    uniform = rand_like(logits.detach())
    gumbels = -ops.log(-ops.log(ops.clamp(uniform, min=eps)) + eps)
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    top = _reduce.amax(y_soft.detach(), dim, keepdim=True)
    y_hard = ops.cast(y_soft.detach() == top, logits._ir_dtype)
    return y_hard - y_soft.detach() + y_soft


__all__: list[Any] = ["channel_shuffle", "gumbel_softmax", "pdist", "pixel_shuffle",
                      "pixel_unshuffle", "rms_norm"]
