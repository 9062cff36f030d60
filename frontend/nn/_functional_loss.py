"""Loss functions of ``tenkai.nn.functional`` with PyTorch's defaults, reductions and checks.

Each loss is a composite of registry ops (so it differentiates and fuses); the elementwise
loss is reduced by ``reduction`` = 'mean' | 'sum' | 'none'. Target validation that needs the
target's values (class indices out of range) reads them eagerly, as PyTorch's CPU kernels do.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tenkai.ir import index_rules
from tenkai.ir.ops import fmt_shape

from .. import _ops as ops
from .. import _reduce, _trace
from .._shape import squeeze_dims, unsqueeze
from .._tensor import Tensor
from ._functional_activation import log_softmax, logsigmoid
from ._functional_common import (
    channel_view,
    check_reduction,
    legacy_reduction,
    named,
    reduce_loss,
    size_str,
)

# ---------------------------------------------------------------- regression losses


def _warn_target_size(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({size_str(target.shape)}) that is different to the "
                      f"input size ({size_str(input.shape)}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str, mean_by_weight: bool) -> Tensor:
    """PyTorch's manual weighting of mse/l1/huber: 'mean' divides by sum(weight) for mse/l1."""
    check_reduction(reduction)
    if weight is None:
        return reduce_loss(loss, reduction)
    if tuple(weight.shape) != tuple(loss.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return _reduce.sum(loss) / _reduce.sum(weight)
    return reduce_loss(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error: ``F.mse_loss(torch.zeros(2), torch.ones(2))`` -> ``tensor(1.)``."""
    ops.check_tensor(input, "mse_loss")
    ops.check_tensor(target, "mse_loss", "target", 2)
    _warn_target_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    diff = input - target
    out = _weighted(diff * diff, weight, reduction, True)
    return out if weight is not None else named(out, "MseLossBackward0", input, target)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: ``F.l1_loss(torch.zeros(2), torch.ones(2))`` -> ``tensor(1.)``."""
    _warn_target_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _weighted(ops.abs(input - target), weight, reduction, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Quadratic below ``beta``, linear above: ``F.smooth_l1_loss(x, y, beta=0.5)``."""
    _warn_target_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    diff = input - target
    dist = ops.abs(diff)
    loss = ops.where(dist < beta, diff * diff * (0.5 / beta), dist - 0.5 * beta)
    return named(reduce_loss(loss, check_reduction(reduction)), "SmoothL1LossBackward0", input,
                 target)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Quadratic below ``delta``, delta-scaled linear above: ``F.huber_loss(x, y, delta=2.0)``."""
    _warn_target_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = input - target
    dist = ops.abs(diff)
    loss = ops.where(dist < delta, diff * diff * 0.5, (dist - 0.5 * delta) * delta)
    out = _weighted(loss, weight, reduction, False)
    return out if weight is not None else named(out, "HuberLossBackward0", input, target)


# ---------------------------------------------------------------- classification


def _check_class_target(input: Tensor, target: Tensor) -> None:
    """PyTorch's nll_loss shape/dtype checks for class-index targets."""
    if input.ndim < 1:
        raise RuntimeError("input tensor should be 1D or 2D")
    if target._ir_dtype not in ("int64", "uint8", "int32"):
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{names.get(target._ir_dtype, target._ir_dtype)}")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return
    if target.ndim >= 1 and target.shape[0] != input.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if input.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = (input.shape[0], *input.shape[2:])
    if input.ndim > 2 and tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {fmt_shape(expected)}, got "
                           f"{fmt_shape(target.shape)}")


def _check_class_weight(weight: Tensor | None, classes: int) -> None:
    if weight is not None and (weight.ndim != 1 or weight.numel() != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or "
                           f"no classes but got weight tensor of shape: {fmt_shape(weight.shape)}")


def _check_bounds(target: Tensor, classes: int, ignore_index: int, op: str, dim: int) -> None:
    t = target._data
    if hasattr(t, "tk_device"):  # on a GPU: the gather kernel checks them (status word)
        return
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if np.any(bad):
        raise index_rules.index_error(op, int(t[bad].flat[0]), classes, dim)


def _class_dim(input: Tensor) -> int:
    return 0 if input.ndim == 1 else 1


def _picked(input: Tensor, safe_target: Tensor, op: str) -> Tensor:
    """input[n, target[n, ...], ...]: the class dim gathered away. The gather checks the
    target under ``op``'s rule (ignored targets were replaced by 0 before it)."""
    axis = _class_dim(input)
    idx = unsqueeze(safe_target, axis)
    picked = ops.apply("gather", (input, idx), name="GatherBackward0", axis=axis, bounds=op)
    return squeeze_dims(picked, [axis])


def _target_weights(target: Tensor, safe: Tensor, weight: Tensor | None, ignore_index: int,
                    dtype: str, op: str = "nll_loss") -> Tensor:
    """Per-element class weight, 0 where the target is ignored."""
    keep = ops.cast(target != ignore_index, dtype)
    if weight is None:
        return keep
    w = ops.apply("take", (ops.cast(weight, dtype), safe), axis=0, bounds=op)
    return w * keep


def _plain_nll(target: Tensor, weight: Tensor | None, ignore_index: int, reduction: str,
               classes: int) -> bool:
    """Eager shortcut: with no class weights, every target a class index and none ignored,
    the weighted mean is a plain mean (2 ops instead of 12) and the bounds checks would pass
    (the target's min and max tell both: two reductions instead of eight array ops). Traced
    steps keep the general form: the targets of later replays are not known."""
    if reduction != "mean" or weight is not None or _trace.active() is not None:
        return False
    t = target._data
    if hasattr(t, "tk_device") or t.size == 0:  # (a GPU's targets stay there)
        return False
    low, high = int(t.min()), int(t.max())
    return low >= 0 and high < classes and not low <= ignore_index <= high


def _plain_picked(input: Tensor, target: Tensor, op: str) -> Tensor:
    """input[n, target[n, ...], ...] with the class dim kept (size 1): the gather alone (the
    index is a constant; its mean is the mean of the squeezed values)."""
    axis = _class_dim(input)
    t = target._data
    idx = Tensor._make(t.reshape(t.shape[:axis] + (1,) + t.shape[axis:]))
    return ops.apply("gather", (input, idx), name="GatherBackward0", axis=axis, bounds=op)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of log-probabilities (N, C, ...) at class-index targets.

    ``F.nll_loss(F.log_softmax(logits, 1), torch.tensor([1, 0, 4]))``
    """
    ops.check_tensor(input, "nll_loss_nd")
    ops.check_tensor(target, "nll_loss_nd", "target", 2)
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    return _nll(input, target, weight, ignore_index, reduction, "nll_loss")


def _nll(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
         reduction: str, op: str) -> Tensor:
    """nll_loss; ``op`` is the user-level op named in a bad target's error."""
    _check_class_target(input, target)
    classes = input.shape[_class_dim(input)]
    _check_class_weight(weight, classes)
    if _plain_nll(target, weight, ignore_index, reduction, classes):
        out = ops.neg(_reduce.mean(_plain_picked(input, ops.cast(target, "int64"), op)))
        return named(out, "NllLossBackward0" if input.ndim <= 2 else "NllLoss2DBackward0",
                     input)
    _check_bounds(target, classes, ignore_index, op, _class_dim(input))
    target = ops.cast(target, "int64")
    safe = ops.where(target == ignore_index, 0, target)
    w = _target_weights(target, safe, weight, ignore_index, input._ir_dtype, op)
    loss = -_picked(input, safe, op) * w
    if reduction == "mean":
        out = _reduce.sum(loss) / _reduce.sum(w)
    else:
        out = reduce_loss(loss, reduction)
    return named(out, "NllLossBackward0" if input.ndim <= 2 else "NllLoss2DBackward0", input)


def _smooth_term(logp: Tensor, target: Tensor, safe: Tensor, weight: Tensor | None,
                 ignore_index: int, reduction: str) -> Tensor:
    """The label-smoothing part of cross_entropy: -sum_c w_c * logp_c, reduced like torch."""
    axis = _class_dim(logp)
    scaled = logp if weight is None else logp * channel_view(weight, logp.ndim, axis)
    keep = ops.cast(target != ignore_index, logp._ir_dtype)
    smooth = -_reduce.sum(scaled, axis) * keep
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return _reduce.sum(smooth)
    return _reduce.sum(smooth) / _reduce.sum(_target_weights(target, safe, weight, ignore_index,
                                                     logp._ir_dtype, "cross_entropy"))


def _prob_target_loss(logp: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                      label_smoothing: float) -> Tensor:
    axis = _class_dim(logp)
    classes = logp.shape[axis]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    prod = logp * target
    if weight is not None:
        prod = prod * channel_view(weight, logp.ndim, axis)
    if reduction == "none":
        return -_reduce.sum(prod, axis)
    if reduction == "sum":
        return -_reduce.sum(prod)
    total = -_reduce.sum(prod)
    return named(total / (logp.numel() / classes), "DivBackward1", total)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over dim 1 (dim 0 for 1-D input) + nll_loss, or class-probability targets.

    ``F.cross_entropy(torch.randn(3, 5), torch.tensor([1, 0, 4]), label_smoothing=0.1)``
    """
    ops.check_tensor(input, "cross_entropy_loss")
    ops.check_tensor(target, "cross_entropy_loss", "target", 2)
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise RuntimeError("input tensor should be 1D or 2D")
    logp = log_softmax(input, _class_dim(input))
    classes = input.shape[_class_dim(input)]
    _check_class_weight(weight, classes)
    if tuple(target.shape) == tuple(input.shape) and target.is_floating_point():
        return _prob_target_loss(logp, target, weight, reduction, label_smoothing)
    nll = _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing == 0:
        return nll
    target = ops.cast(target, "int64")
    safe = ops.where(target == ignore_index, 0, target)
    smooth = _smooth_term(logp, target, safe, weight, ignore_index, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


# ---------------------------------------------------------------- binary


def _safe_log(x: Tensor) -> Tensor:
    """log(x) clamped at -100 like PyTorch's BCE, with a finite gradient at x == 0."""
    positive = x > 0
    safe = ops.where(positive, x, 1.0)
    return ops.where(positive, ops.clamp(ops.log(safe), min=-100.0), -100.0)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(t log x + (1 - t) log(1 - x)) with logs clamped at -100.

    ``F.binary_cross_entropy(torch.tensor([0.8]), torch.tensor([1.]))`` -> ``tensor(0.2231)``
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({size_str(target.shape)}) that is different to "
                         f"the input size ({size_str(input.shape)}) is deprecated. Please ensure "
                         "they have the same size.")
    data = input._data
    if np.any((data < 0) | (data > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * _safe_log(input) + (1 - target) * _safe_log(1 - input))
    if weight is not None:
        loss = loss * weight
    return named(reduce_loss(loss, reduction), "BinaryCrossEntropyBackward0", input, target)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + BCE in one stable expression: (1 - t) x - w_pos(t) * logsigmoid(x).

    ``F.binary_cross_entropy_with_logits(torch.tensor([0.]), torch.tensor([1.]))`` -> 0.6931
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({size_str(target.shape)}) must be the same as input "
                         f"size ({size_str(input.shape)})")
    log_weight: Any = 1.0
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
    loss = (1 - target) * input - log_weight * logsigmoid(input)
    if weight is not None:
        loss = loss * weight
    return named(reduce_loss(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0",
                 input, target)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: t * (log t - x); ``reduction='batchmean'`` is the math.

    ``F.kl_div(F.log_softmax(x, 1), probs, reduction='batchmean')``
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        zero = target == 0
        xlogy = ops.where(zero, 0.0, target * ops.log(ops.where(zero, 1.0, target)))
        loss = xlogy - target * input
    if reduction == "batchmean":
        total = _reduce.sum(loss)
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(loss, check_reduction(reduction))


# ---------------------------------------------------------------- margin / misc losses


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for y in {-1, 1}: ``F.soft_margin_loss(x, y)``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    out = reduce_loss(-logsigmoid(target * input), reduction)
    return named(out, "SoftMarginLossBackward0", input)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): ``F.margin_ranking_loss(a, b, y, margin=0.5)``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    loss = named(ops.relu(-target * (input1 - input2) + margin), "ClampMinBackward0")
    return reduce_loss(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """exp(x) - t x (log_input) or x - t log(x + eps): ``F.poisson_nll_loss(x, t)``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    loss = (ops.exp(input) - target * input if log_input
            else input - target * ops.log(input + eps))
    if full:
        safe = ops.where(target > 1, target, 2.0)
        stirling = safe * ops.log(safe) - safe + ops.log(safe * (2 * np.pi)) * 0.5
        loss = loss + ops.where(target > 1, stirling, 0.0)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log max(var, eps) + (x - t)^2 / max(var, eps)) (+ const): ``F.gaussian_nll_loss``."""
    check_reduction(reduction)
    if not isinstance(var, Tensor):
        var = ops.tensor_of(var, input._ir_dtype)
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = unsqueeze(var, -1)
    if np.any(var._data < 0):
        raise ValueError("var has negative entry/entries")
    clamped = var + (ops.maximum(var.detach(), eps) - var.detach())  # clamp without grad effect
    diff = input - target
    loss = (ops.log(clamped) + diff * diff / clamped) * 0.5
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return reduce_loss(loss, reduction)
