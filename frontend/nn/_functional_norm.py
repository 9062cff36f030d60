"""Normalization functions of ``tenkai.nn.functional``: batch / instance / layer / group norm,
``normalize``, ``cosine_similarity`` and ``pairwise_distance``.

Statistics are ``mean`` and ``var(correction=0)`` reductions, the normalization is
``(x - mean) * rsqrt(var + eps)``: plain registry ops that fuse with their neighbours.
Running statistics are updated in place under ``no_grad`` (``copy_``), as PyTorch does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir.ops import fmt_shape, norm_axis
from tenkai.ir.ops_reduce import mean_reference

from .. import _eager_fast as fast
from .. import _ops as ops
from .. import _reduce
from .._shape import reshape, squeeze_dims
from .._tensor import Tensor
from ..autograd import no_grad
from . import _fused_nn
from ._functional_common import channel_view, named, size_str
from ._functional_conv import avg_pool2d, pad


def _normalize_over(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(x - mean) / sqrt(var + eps) over ``axes``; also returns mean and biased var (keepdim)."""
    if fast.plain_float(x) and x.numel():
        out, mean, var = _normalize_data(x._data, axes, eps)
        return (fast.result(out, fresh=True), fast.result(mean, fresh=True),
                fast.result(var, fresh=True))
    # the fast path's steps as ops: the variance is the mean of the centered squares in x's
    # dtype, so its backward reads the centered values the output keeps anyway (var() would
    # widen x to float64 and a training step would hold that double copy for backward)
    mean = _reduce.mean(x, axes, keepdim=True)
    centered = x - mean
    var = _reduce.mean(centered * centered, axes, keepdim=True)
    return centered * ops.rsqrt(var + eps), mean, var


def _normalize_data(d: np.ndarray, axes: tuple[int, ...],
                    eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_normalize_over`'s eager fast path on an array."""
    mean = mean_reference(d, axes, True)
    centered = d - mean
    var = mean_reference(centered * centered, axes, True)
    scale = np.asarray(1.0 / np.sqrt(var + d.dtype.type(eps)), dtype=d.dtype)
    return centered * scale, mean, var


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, per_channel: bool) -> Tensor:
    if weight is not None:
        out = out * (channel_view(weight, out.ndim) if per_channel else weight)
    if bias is not None:
        out = out + (channel_view(bias, out.ndim) if per_channel else bias)
    return out


def _first(t: Tensor | None) -> Tensor | None:
    """``t[0]``, as PyTorch's empty-input batch_norm scales by ``weight[0]`` (keeps the chain
    to the parameters, whose gradients are then zero)."""
    return None if t is None else t[0]


def _check_stat(name: str, stat: Tensor | None, channels: int) -> None:
    if stat is not None and stat.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {stat.numel()}")


def _update_running(running: Tensor | None, batch_stat: Tensor, momentum: Any) -> None:
    """running = (1 - momentum) * running + momentum * batch_stat, in place, without grad.

    ``momentum`` is a float or a 0-d tensor (BatchNorm's cumulative average, 1 / count)."""
    if running is None:
        return
    with no_grad():
        stat = reshape(batch_stat.detach(), tuple(running.shape))
        new = running * (1 - momentum) + stat * momentum
        running.copy_(new)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) by batch statistics (training) or running ones (eval).

    In training the running stats move by ``momentum`` (running_var with the unbiased
    variance). ``F.batch_norm(x, rm, rv, training=True)``
    """
    ops.check_tensor(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {input.ndim}D input)")
    channels = input.shape[1]
    _check_stat("running_mean", running_mean, channels)
    _check_stat("running_var", running_var, channels)
    axes = (0, *range(2, input.ndim))
    count = input.numel() // max(channels, 1)
    if input.numel() == 0:  # PyTorch: an empty result, running stats untouched
        return named(_affine(input * 1.0, _first(weight), _first(bias), False),
                     "NativeBatchNormBackward0", input, weight, bias)
    if training:
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size_str(input.shape)}")
        if momentum is None:
            raise TypeError("batch_norm: momentum must be a float (nn.BatchNorm passes "
                            "1 / num_batches_tracked for momentum=None)")
        out, mean, var = _normalize_over(input, axes, eps)
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, var * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when not "
                               "training")
        out = _normalize_running(input, running_mean, running_var, eps)
    return named(_affine(out, weight, bias, True), "NativeBatchNormBackward0", input, weight,
                 bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each (sample, channel) over its spatial dims: ``F.instance_norm(x)``."""
    if input.ndim < 3:
        raise ValueError(f"expected 3D or more input (got {input.ndim}D input)")
    channels = input.shape[1]
    _check_stat("running_mean", running_mean, channels)
    _check_stat("running_var", running_var, channels)
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        count = input.numel() // (input.shape[0] * max(channels, 1))
        if count <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {size_str(input.shape)}")
        fused = None
        if running_mean is None and running_var is None and all(
                p is None or tuple(p.shape) == (channels,) for p in (weight, bias)):
            fused = _fused_nn.normalize(
                "ViewBackward0", input, weight, bias, (input.shape[0], channels, 1, -1),
                (1, channels, 1, 1), eps, _normalize_data,
                lambda x, w, b: instance_norm(x, None, None, w, b, True, momentum, eps))
        if fused is not None:
            return fused
        out, mean, var = _normalize_over(input, axes, eps)
        if running_mean is not None:
            _update_running(running_mean, _reduce.mean(mean, 0), momentum)
        if running_var is not None:
            _update_running(running_var, _reduce.mean(var, 0) * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        out = _normalize_running(input, running_mean, running_var, eps)
    return named(_affine(out, weight, bias, True), "ViewBackward0")


def _normalize_running(input: Tensor, running_mean: Tensor, running_var: Tensor,
                       eps: float) -> Tensor:
    """``(x - running_mean) / sqrt(running_var + eps)`` per channel (dim 1), stats detached."""
    mean = channel_view(running_mean.detach(), input.ndim)
    var = channel_view(running_var.detach(), input.ndim)
    return (input - mean) * ops.rsqrt(var + eps)


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int,
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims: ``F.layer_norm(x, (64,))``."""
    ops.check_tensor(input, "layer_norm")
    shape = ((int(normalized_shape),) if isinstance(normalized_shape, int)
             else tuple(int(d) for d in normalized_shape))
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={fmt_shape(shape)}, expected input with shape "
                           f"[*, {', '.join(str(d) for d in shape)}], but got input of size"
                           f"{fmt_shape(input.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {fmt_shape(p.shape)} and normalized_shape = "
                               f"{fmt_shape(shape)}")
    params = [p for p in (weight, bias) if p is not None]
    if (fast.plain_float(input, *params) and input.numel()
            and all(p._data.dtype == input._data.dtype for p in params)):
        # the composite's steps on arrays, without its unused mean and variance tensors
        out = _normalize_data(input._data, tuple(range(input.ndim - k, input.ndim)), eps)[0]
        if weight is not None:
            out = np.multiply(out, weight._data, out=out)
        if bias is not None:
            out = np.add(out, bias._data, out=out)
        return fast.result(out, fresh=True)
    size = math.prod(shape)
    fused = _fused_nn.normalize(
        "NativeLayerNormBackward0", input, weight, bias, (-1, 1, size, 1), (1, 1, size, 1),
        eps, _normalize_data, lambda x, w, b: layer_norm(x, shape, w, b, eps))
    if fused is not None:
        return fused
    out, _, _ = _normalize_over(input, tuple(range(input.ndim - k, input.ndim)), eps)
    return named(_affine(out, weight, bias, False), "NativeLayerNormBackward0", input, weight,
                 bias)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize channel groups of each sample: ``F.group_norm(x, num_groups=4)``."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {fmt_shape(input.shape)} and num_groups="
                           f"{num_groups}")
    params = [p for p in (weight, bias) if p is not None]
    if (fast.plain_float(input, *params) and input.numel()
            and all(p._data.dtype == input._data.dtype and tuple(p.shape) == (c,)
                    for p in params)):
        data = input._data
        out = _normalize_data(data.reshape(n, num_groups, -1), (2,), eps)[0].reshape(data.shape)
        view = (1, c) + (1,) * (data.ndim - 2)  # channel_view's shape
        if weight is not None:
            out = out * weight._data.reshape(view)
        if bias is not None:
            out = out + bias._data.reshape(view)
        return fast.result(out)
    if all(tuple(p.shape) == (c,) for p in params):
        fused = _fused_nn.normalize(
            "NativeGroupNormBackward0", input, weight, bias, (n, num_groups, c // num_groups, -1),
            (1, num_groups, c // num_groups, 1), eps, _normalize_data,
            lambda x, w, b: group_norm(x, num_groups, w, b, eps))
        if fused is not None:
            return fused
    grouped = reshape(input, (n, num_groups, -1))
    out, _, _ = _normalize_over(grouped, (2,), eps)
    out = reshape(out, tuple(input.shape))
    return named(_affine(out, weight, bias, True), "NativeGroupNormBackward0", input, weight,
                 bias)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    sq = reshape(input * input, (input.shape[0], 1, input.shape[1], -1))
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1)
    div = reshape(div, tuple(input.shape))
    return input / ops.pow(div * alpha + k, beta)


# ---------------------------------------------------------------- distances


def _vector_norm(x: Tensor, p: float, dim: Any) -> Tensor:
    if p == 2:
        return ops.sqrt(_reduce.sum(x * x, dim, keepdim=True))
    if p == 1:
        return _reduce.sum(ops.abs(x), dim, keepdim=True)
    if p == float("inf"):
        return _reduce.amax(ops.abs(x), dim, keepdim=True)
    return ops.pow(_reduce.sum(ops.pow(ops.abs(x), p), dim, keepdim=True), 1.0 / p)


def _vector_norm_data(x: np.ndarray, p: float, axis: int) -> np.ndarray:
    """:func:`_vector_norm` on an array, step for step (keepdim)."""
    if p == 2:
        return np.sqrt(np.add.reduce(x * x, axis, keepdims=True))
    if p == 1:
        return np.add.reduce(np.abs(x), axis, keepdims=True)
    with np.errstate(all="ignore"):
        return np.power(np.add.reduce(np.power(np.abs(x), x.dtype.type(p)), axis,
                                      keepdims=True), x.dtype.type(1.0 / p))


def _plain_pair(x1: Any, x2: Any) -> bool:
    """Two plain float tensors (see ``_eager_fast``) of one dtype and one rank, and no
    result that would fall outside them in the fast paths' arithmetic."""
    return (isinstance(x1, Tensor) and isinstance(x2, Tensor) and fast.plain_float(x1, x2)
            and x1._data.dtype == x2._data.dtype and x1.ndim == x2.ndim and x1.ndim > 0)


def _fast_p(p: Any) -> bool:
    return type(p) in (int, float) and 0 < p < float("inf")


def normalize(input: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: ``F.normalize(torch.tensor([[3., 4.]]))`` -> [[.6, .8]].
    """
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported; use the return value")
    # on large inputs the composite's generated eager kernels are faster than numpy's
    # strided reduction (measured: 1024 x 64 rows)
    if (_fast_p(p) and type(dim) is int and type(eps) in (int, float)
            and fast.plain_float(input) and input.ndim > 0 and input.numel() <= 4096):
        x = input._data
        norm = _vector_norm_data(x, p, norm_axis("normalize", dim, x.ndim))
        with np.errstate(all="ignore"):
            return fast.result(x / np.maximum(norm, x.dtype.type(eps)), fresh=True)
    return input / ops.maximum(_vector_norm(input, p, dim), eps)


def _clamp_min_no_grad(norm: Tensor, eps: float) -> Tensor:
    """PyTorch clamps the norms in place under no_grad: the value changes, the gradient not."""
    return norm + (ops.maximum(norm.detach(), eps) - norm.detach())


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/|x1| * x2/|x2|) along ``dim``: ``F.cosine_similarity(a, b, dim=1)``."""
    if _plain_pair(x1, x2) and type(dim) is int and type(eps) in (int, float):
        a, b = x1._data, x2._data
        axis = norm_axis("cosine_similarity", dim, a.ndim)
        eps_t = a.dtype.type(eps)
        with np.errstate(all="ignore"):
            n1, n2 = _vector_norm_data(a, 2, axis), _vector_norm_data(b, 2, axis)
            n1 = n1 + (np.maximum(n1, eps_t) - n1)  # _clamp_min_no_grad's arithmetic
            n2 = n2 + (np.maximum(n2, eps_t) - n2)
            return fast.result(np.add.reduce((a / n1) * (b / n2), axis), fresh=True)
    n1 = _clamp_min_no_grad(_vector_norm(x1, 2, dim), eps)
    n2 = _clamp_min_no_grad(_vector_norm(x2, 2, dim), eps)
    return _reduce.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim: ``F.pairwise_distance(a, b)``."""
    if _plain_pair(x1, x2) and _fast_p(p) and type(eps) in (int, float):
        a, b = x1._data, x2._data
        with np.errstate(all="ignore"):
            norm = _vector_norm_data(a - b + a.dtype.type(eps), p, a.ndim - 1)
        return fast.result(norm if keepdim else norm.squeeze(-1))
    diff = x1 - x2 + eps
    norm = _vector_norm(diff, p, -1)
    if not keepdim:
        norm = squeeze_dims(norm, [norm.ndim - 1])
    return named(norm, "NormBackward1", diff)
