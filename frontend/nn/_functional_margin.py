"""Embedding, multi-class margin and triplet losses of ``tenkai.nn.functional`` with PyTorch's
defaults, reductions and checks. Each is a composite of registry ops; label structure (which
classes a multilabel target names) is computed with tensor ops too, so compiled steps stay
general over target values."""

from __future__ import annotations

from collections.abc import Callable

from .. import _ops as ops
from .. import _reduce
from .._composite import cumsum
from .._creation import arange
from .._shape import reshape, squeeze_dims, unsqueeze
from .._tensor import Tensor
from ._functional_activation import logsigmoid
from ._functional_common import check_reduction, legacy_reduction, named, reduce_loss
from ._functional_norm import pairwise_distance


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    return check_reduction(legacy_reduction(size_average, reduce, reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1: ``F.hinge_embedding_loss(x, y)``."""
    reduction = _reduction(size_average, reduce, reduction)
    clamp = ops.relu(margin - input)
    loss = ops.where(target != 1, clamp, 0.0) + ops.where(target != -1, input, 0.0)
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos - margin) where y = -1."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(f"cosine_embedding_loss: expected 1D or 2D inputs of the same "
                           f"dimensionality, got {input1.ndim}D and {input2.ndim}D")
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(f"{input1.ndim}D target tensor expects {input1.ndim}D input tensors, "
                           f"but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)} and target of size {list(target.shape)}.")
    eps = 1e-12
    prod = _reduce.sum(input1 * input2, -1)
    mag = (_reduce.sum(input1 * input1, -1) + eps) * (_reduce.sum(input2 * input2, -1) + eps)
    cos = prod / ops.sqrt(mag)
    loss = ops.where(target == 1, 1.0 - cos, 0.0) + ops.where(target == -1,
                                                                ops.relu(cos - margin), 0.0)
    return reduce_loss(loss, reduction)


def _class_target(input: Tensor, target: Tensor, op: str) -> tuple[Tensor, Tensor]:
    """Batch an (C,) input with its 0-d target; check the (N, C) / (N,) pairing."""
    if input.ndim == 1 and target.ndim in (0, 1) and target.numel() == 1:
        return unsqueeze(input, 0), reshape(target, (1,))
    if input.ndim != 2 or target.ndim != 1 or target.shape[0] != input.shape[0]:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    return input, target


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """sum over j != y of max(0, margin - x[y] + x[j])^p / C (times weight[y])."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    unbatched = input.ndim <= 1
    x, t = _class_target(input, target, "multi_margin_loss")
    c = x.shape[1]
    if t.numel() and (int(t._data.min()) < 0 or int(t._data.max()) >= c):
        raise RuntimeError("target out of range")
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    picked = ops.cast(unsqueeze(t, 1) == arange(c), x._ir_dtype)
    x_y = _reduce.sum(x * picked, 1, keepdim=True)
    z = ops.relu(margin - x_y + x)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * unsqueeze(_reduce.sum(picked * weight, 1), 1)
    loss = _reduce.sum(z * (1.0 - picked), 1) / c
    if unbatched and reduction == "none":
        loss = squeeze_dims(loss, [0])
    return named(reduce_loss(loss, reduction), "MultiMarginLossBackward0", input)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """sum over target classes j and other classes k of max(0, 1 - (x[j] - x[k])) / C; each
    target row lists class indices and ends at the first -1."""
    reduction = _reduction(size_average, reduce, reduction)
    unbatched = input.ndim <= 1
    x = unsqueeze(input, 0) if unbatched else input
    t = unsqueeze(target, 0) if unbatched and target.ndim <= 1 else target
    if x.ndim != 2 or tuple(t.shape) != tuple(x.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    c = x.shape[1]
    if t.numel() and (int(t._data.min()) < -1 or int(t._data.max()) >= c):
        raise RuntimeError("multilabel_margin_loss: target values must lie in [-1, C-1], got "
                           f"values outside [-1, {c - 1}]")
    cls = arange(c)
    # a position is a label while no -1 came before it (running count of -1s is zero)
    ends = ops.cast(t == -1, "int64")
    seen = cumsum(ends, 1)
    valid = seen == 0
    hits = (unsqueeze(t, 2) == reshape(cls, (1, 1, c))) & unsqueeze(valid, 2)
    is_target = ops.cast(_reduce.amax(ops.cast(hits, x._ir_dtype), 1), x._ir_dtype)  # (N, C)
    margins = ops.relu(1.0 - unsqueeze(x, 2) + unsqueeze(x, 1))  # [n, j, k]
    pairs = unsqueeze(is_target, 2) * unsqueeze(1.0 - is_target, 1)
    loss = _reduce.sum(margins * pairs, (1, 2)) / c
    if unbatched and reduction == "none":
        loss = squeeze_dims(loss, [0])
    return named(reduce_loss(loss, reduction), "MultilabelMarginLossBackward0", input)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Mean over classes of the binary logistic loss: ``F.multilabel_soft_margin_loss(x, y)``."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = _reduce.sum(loss, class_dim) / input.shape[class_dim]
    return reduce_loss(loss, reduction)


def _check_triplet(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, and "
                           f"negative {n}D inputs")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with the p-norm distance."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(named(ops.relu(margin + d_pos - d_neg), "ClampMinBackward0"), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with any distance (pairwise_distance by default)."""
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    _check_triplet(anchor, positive, negative)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    return reduce_loss(named(ops.relu(margin + d_pos - d_neg), "ClampMinBackward0"), reduction)
