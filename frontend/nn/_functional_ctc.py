"""``F.ctc_loss``: the connectionist temporal classification loss as a composite.

The forward (alpha) recursion of Graves et al. over the blank-extended targets runs one
time step at a time with tensor ops: the log-probabilities of the extended labels come from
one ``gather``, the three-way log-sum-exp of each step uses shifted copies of the previous
alphas, and per-sample lengths enter as masks. Autograd through the recursion gives the
gradient PyTorch's CtcLossBackward computes. "Impossible" alignments hold a large finite
negative value instead of ``-inf`` (so no NaN reaches the gradient) and become ``inf`` at
the end, or zero with ``zero_infinity``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _ops as ops
from .. import _trace
from .._shape import cat, gather, index_select, reshape, unsqueeze
from .._tensor import Tensor
from ._functional_common import check_reduction, named

_NEG = -1e30  # "log 0" that stays finite in float32 sums
_IMPOSSIBLE = -1e29


def _lengths(value: Any, what: str, n: int) -> Tensor:
    if isinstance(value, Tensor):
        if value._ir_dtype not in ("int64", "int32"):
            raise RuntimeError(f"ctc_loss: {what} must be integral, but got {value.dtype}")
        t = ops.cast(reshape(value, (-1,)), "int64")
    else:
        t = Tensor._make(np.asarray(value, dtype=np.int64).reshape(-1))
    if t.shape[0] != n:
        raise RuntimeError(f"{what} must be of size batch_size")
    return t


def _padded_targets(targets: Tensor, target_lengths: Tensor, n: int) -> Tensor:
    """(N, S) targets; a 1-D concatenation is split with the host-read lengths."""
    lens = target_lengths._data.astype(np.int64)
    if targets.ndim == 2:
        if lens.size and int(lens.max()) > targets.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {int(lens.max())} at "
                               f"dimension 1, but got size {targets.shape[1]} for argument #2 "
                               f"'targets' (while checking arguments for ctc_loss)")
        return targets
    if _trace.active() is not None:
        _trace.active().escape(target_lengths, "ctc_loss(1-D concatenated targets)")
    if int(lens.sum()) != targets.shape[0]:
        raise RuntimeError(f"Expected tensor to have size {int(lens.sum())} at dimension 0, "
                           f"but got size {targets.shape[0]} for argument #2 'targets' (while "
                           f"checking arguments for ctc_loss)")
    width = max(int(lens.max()) if lens.size else 0, 1)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    pos = np.minimum(starts[:, None] + np.arange(width)[None, :], max(targets.shape[0] - 1, 0))
    if targets.shape[0] == 0:
        return Tensor._make(np.zeros((n, width), dtype=np.int64))
    flat = index_select(targets, 0, Tensor._make(pos.reshape(-1)))
    return reshape(flat, (n, width))


def _lse3(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    m = ops.maximum(ops.maximum(a, b), c).detach()
    return m + ((a - m).exp() + (b - m).exp() + (c - m).exp()).log()


def _shift(alpha: Tensor, pad: Tensor) -> Tensor:
    """``alpha`` moved ``k`` labels right, the first ``k`` filled from ``pad`` (N, k)."""
    return cat([pad, alpha[:, :alpha.shape[1] - pad.shape[1]]], 1)


def _softmax_term(lp: Tensor, in_len: Tensor) -> Tensor:
    """Zero in value; its gradient ``exp(log_probs)`` over each sample's live steps is the
    term PyTorch's CTC backward adds (it assumes ``log_probs`` came from log_softmax, where
    the term cancels), so gradients match PyTorch for any ``log_probs``."""
    t_idx = Tensor._make(np.arange(lp.shape[0], dtype=np.int64).reshape(-1, 1))
    live = ops.cast(t_idx < unsqueeze(in_len, 0), lp._ir_dtype)          # (T, N)
    e = (lp.exp() * unsqueeze(live, 2)).sum((0, 2))
    return e - e.detach()


def _check(log_probs: Tensor, blank: int, reduction: str) -> None:
    check_reduction(reduction)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), but "
                           f"got {tuple(log_probs.shape)}")
    if not log_probs.dtype.is_floating_point:
        raise RuntimeError(f"ctc_loss: expected floating point log_probs, got {log_probs.dtype}")
    if not 0 <= blank < log_probs.shape[-1]:
        raise RuntimeError("blank must be in label range")


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of (T, N, C) log-probabilities against (N, S) or concatenated targets.

    ``F.ctc_loss(lp, targets, input_lengths, target_lengths)``; ``reduction="mean"`` divides
    each loss by its target length before averaging over the batch, as PyTorch.
    """
    _check(log_probs, blank, reduction)
    unbatched = log_probs.ndim == 2
    lp = unsqueeze(log_probs, 1) if unbatched else log_probs
    if unbatched and targets.ndim == 1:
        targets = unsqueeze(targets, 0)
    t_max, n, _ = lp.shape
    in_len = _lengths(input_lengths, "input_lengths", n)
    tg_len = _lengths(target_lengths, "target_lengths", n)
    if in_len._data.size and int(in_len._data.max()) > t_max:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                           f"value {int(in_len._data.max())}")
    tg = ops.cast(_padded_targets(targets, tg_len, n), "int64")
    s_max = tg.shape[1]
    width = 2 * s_max + 1
    blanks = Tensor._make(np.full((n, s_max), blank, dtype=np.int64))
    ext = reshape(cat([unsqueeze(blanks, 2), unsqueeze(tg, 2)], 2), (n, 2 * s_max))
    ext = cat([ext, Tensor._make(np.full((n, 1), blank, dtype=np.int64))], 1)
    lp_ext = gather(lp, 2, unsqueeze(ext, 0).expand(t_max, n, width))
    s_idx = unsqueeze(Tensor._make(np.arange(width, dtype=np.int64)), 0)
    valid = s_idx < unsqueeze(2 * tg_len + 1, 1)                              # (N, S')
    prev2 = cat([Tensor._make(np.full((n, 2), blank, dtype=np.int64)), ext[:, :width - 2]], 1)
    skip = ops.logical_and(ext != blank, ext != prev2)
    neg = Tensor._make(np.full((n, width), _NEG, dtype=lp._data.dtype))
    first = ops.logical_and(s_idx < 2, valid)
    alpha = ops.where(first, lp_ext[0], neg)
    t_idx = Tensor._make(np.arange(t_max, dtype=np.int64).reshape(-1, 1, 1))
    live = ops.logical_and(t_idx < reshape(in_len, (1, n, 1)), unsqueeze(valid, 0))  # (T,N,S')
    pad1, pad2 = neg[:, :1], neg[:, :2]
    for t in range(1, t_max):
        step = _lse3(alpha, _shift(alpha, pad1), ops.where(skip, _shift(alpha, pad2), neg))
        alpha = ops.where(live[t], step + lp_ext[t], alpha)
    last = unsqueeze(2 * tg_len, 1)
    end1 = gather(alpha, 1, last)
    end2 = ops.where(unsqueeze(tg_len > 0, 1), gather(alpha, 1, ops.clamp(last - 1, 0)), neg[:, :1])
    ll = reshape(_lse3(end1, end2, neg[:, :1]), (n,))
    loss = -ll + _softmax_term(lp, in_len)
    impossible = ll < _IMPOSSIBLE
    if zero_infinity:
        loss = ops.where(impossible, 0.0, loss)
    else:
        loss = ops.where(impossible, float("inf"), loss)
    loss = named(loss, "CtcLossBackward0")
    if reduction == "none":
        return reshape(loss, ()) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    return (loss / ops.clamp(ops.cast(tg_len, loss._ir_dtype), 1.0)).mean()
