"""The ``tenkai`` namespace's forms of ``nn.functional`` ops, with PyTorch's top-level (aten)
signatures: ``torch.conv2d``, ``torch.layer_norm``, ``torch.embedding(weight, indices)``,
``torch.dropout(input, p, train)``, ``torch.batch_norm(input, weight, bias, running_mean,
running_var, training, momentum, eps, cudnn_enabled)``, losses taking an integer
``reduction`` (0 none, 1 mean, 2 sum), the module-level in-place activations, ...

Each calls the ``nn.functional`` implementation, so it traces and differentiates like it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _ops
from ._random import bernoulli
from ._shape import named
from ._tensor import Tensor
from .nn import functional as F

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction: Any) -> str:
    """aten's integer reduction (``at::Reduction``): 0 none, 1 mean, 2 sum."""
    if isinstance(reduction, str):
        return reduction
    try:
        return _REDUCTIONS[int(reduction)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


# ---------------------------------------------------------------- convolution / pooling

conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = (
    F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)
conv_tbc, bilinear, channel_shuffle = F.conv_tbc, F.bilinear, F.channel_shuffle
pixel_shuffle, pixel_unshuffle, pdist = F.pixel_shuffle, F.pixel_unshuffle, F.pdist
cosine_similarity, pairwise_distance = F.cosine_similarity, F.pairwise_distance
adaptive_avg_pool1d, avg_pool1d, rms_norm = F.adaptive_avg_pool1d, F.avg_pool1d, F.rms_norm


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:
    """aten's generic convolution: ``conv{1,2,3}d`` or ``conv_transpose{1,2,3}d`` by the
    weight's rank and ``transposed``."""
    nd = weight.ndim - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3-D, 4-D or 5-D weight, got {weight.ndim}-D")
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


def _stride(stride: Any, kernel_size: Any) -> Any:
    return kernel_size if stride is None or (isinstance(stride, list | tuple) and not stride) \
        else stride


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """(values, indices), always both, as aten returns them."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    return F.max_pool1d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                        ceil_mode)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False) -> tuple[Tensor, Tensor]:
    return F.max_pool1d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                        ceil_mode, return_indices=True)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    return F.max_pool2d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                        ceil_mode)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    return F.max_pool3d(input, kernel_size, _stride(stride, kernel_size), padding, dilation,
                        ceil_mode)


def constant_pad_nd(input: Tensor, pad: Any, value: Any = 0) -> Tensor:
    return F.pad(input, tuple(pad), "constant", value)


_INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """``F.grid_sample`` with aten's integer modes (interpolation 0 bilinear, 1 nearest,
    2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    return F.grid_sample(input, grid, _INTERPOLATION[int(interpolation_mode)],
                         _PADDING[int(padding_mode)], bool(align_corners))


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d(): expected 4D input, but got input with sizes "
                           f"{list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler_3d(): expected 5D input, but got input with sizes "
                           f"{list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta: Tensor, size: Any, align_corners: bool) -> Tensor:
    return F.affine_grid(theta, list(size), bool(align_corners))


# ---------------------------------------------------------------- normalization


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-05,
               cudnn_enable: bool = True) -> Tensor:
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-05,
               cudnn_enabled: bool = True) -> Tensor:
    return F.group_norm(input, num_groups, weight, bias, eps)


def norm_except_dim(v: Tensor, pow: Any = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dim but ``dim`` (kept as size-1 dims); weight
    normalization's ``g``. ``dim=-1`` is the norm of the whole tensor."""
    if dim == -1:
        return v.norm(pow)
    dim %= v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs()


# ---------------------------------------------------------------- losses (integer reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: int = 1) -> Tensor:
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 1) -> Tensor:
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction))


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: int = 1, zero_infinity: bool = False) -> Tensor:
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction), zero_infinity)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: int = 1) -> Tensor:
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *,
           log_target: bool = False) -> Tensor:
    """aten's kl_div: ``reduction=1`` is the mean over all elements (no batchmean here); as
    in PyTorch, ``torch.kl_div(input, target)`` without a reduction is elementwise."""
    return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 1) -> Tensor:
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction(reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-06, swap: bool = False,
                        reduction: int = 1) -> Tensor:
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


# ---------------------------------------------------------------- activations


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return F.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return F.celu_(input, alpha)


def selu(input: Tensor) -> Tensor:
    return F.selu(input)


def selu_(input: Tensor) -> Tensor:
    return F.selu_(input)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return F.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return F.threshold_(input, threshold, value)


def rrelu(input: Tensor, lower: float = 0.125, upper: float = 1.0 / 3.0, training: bool = False,
          generator: Any = None) -> Tensor:
    return F.rrelu(input, lower, upper, training, generator=generator)


def rrelu_(input: Tensor, lower: float = 0.125, upper: float = 1.0 / 3.0,
           training: bool = False, generator: Any = None) -> Tensor:
    return F.rrelu(input, lower, upper, training, True, generator=generator)


relu_ = F.relu_


# ---------------------------------------------------------------- dropout (input, p, train)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def _feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Dropout of whole (sample, channel) slices of an (N, C, ...) input, scaled by 1/(1-p)."""
    if p < 0.0 or p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not train or p == 0.0:
        return input
    shape = (*input.shape[:2], *(1,) * (input.ndim - 2))
    keep = bernoulli(Tensor._make(np.full(shape, 1.0 - p, dtype=input._data.dtype)))
    return _ops.mul(input, _ops.mul(keep, 0.0 if p == 1.0 else 1.0 / (1.0 - p)))


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return named(_feature_dropout(input, p, train), "MulBackward0")


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    out = _feature_dropout(input, p, train)
    return input if out is input else input.copy_(out)


# ---------------------------------------------------------------- embedding


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """aten's argument order (weight first); ``padding_idx=-1`` means none."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float,
                      norm_type: float) -> Tensor:
    """Rescale, in place and without recording, the rows of ``input`` referenced by
    ``indices`` whose ``norm_type``-norm exceeds ``max_norm`` (to ``max_norm / (norm + 1e-7)``
    times themselves)."""
    if input.ndim != 2:
        raise RuntimeError("embedding_renorm_(): expected self to be a 2-D tensor")
    rows = np.unique(indices._data.reshape(-1))
    data = input._data
    norms = np.linalg.norm(data[rows].astype(np.float64), ord=float(norm_type), axis=1)
    big = norms > max_norm
    if np.any(big):
        data[rows[big]] *= (max_norm / (norms[big] + 1e-7)).astype(data.dtype)[:, None]
        input._vc[0] += 1
    return input


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor,
                  scale_grad_by_freq: bool = False, mode: int = 0, sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """aten's embedding_bag: (output, offset2bag, bag_size, max_indices); ``mode`` 0 sum,
    1 mean, 2 max. The three bookkeeping tensors are those of PyTorch's CPU kernel (whose
    float32/float16 sum path leaves ``offset2bag`` empty)."""
    _ops.check_tensor(offsets, "embedding_bag", "offsets", 3)
    name = ("sum", "mean", "max")[int(mode)]
    out = F.embedding_bag(indices, weight, offsets, scale_grad_by_freq=scale_grad_by_freq,
                          mode=name, sparse=sparse, per_sample_weights=per_sample_weights,
                          include_last_offset=include_last_offset, padding_idx=padding_idx)
    return (out, *_bag_bookkeeping(weight, indices, offsets, int(mode), include_last_offset,
                                   padding_idx))


def _bag_bookkeeping(weight: Tensor, indices: Tensor, offsets: Tensor, mode: int,
                     include_last: bool, padding_idx: int | None) -> tuple[Tensor, ...]:
    idx, offs = indices._data.reshape(-1).astype(np.int64), offsets._data.astype(np.int64)
    bags = len(offs) - 1 if include_last else len(offs)
    zeros = np.zeros(bags, np.int64)
    if mode == 0 and weight._ir_dtype in ("float32", "float16"):  # PyTorch's fast sum path
        return (Tensor._make(np.zeros(0, np.int64)), Tensor._make(zeros),
                Tensor._make(zeros.copy()))
    marks = np.zeros(len(idx), np.int64)
    np.add.at(marks, offs[1:bags][offs[1:bags] < len(idx)], 1)
    offset2bag = np.cumsum(marks)
    ends = np.append(offs[1:bags], len(idx))
    valid = idx != (padding_idx % weight.shape[0]) if padding_idx is not None else \
        np.ones(len(idx), bool)
    size = np.array([valid[s:e].sum() for s, e in zip(offs[:bags], ends, strict=True)],
                    np.int64)
    if mode == 0:
        return Tensor._make(offset2bag), Tensor._make(zeros), Tensor._make(zeros.copy())
    if mode == 1:
        return Tensor._make(offset2bag), Tensor._make(size), Tensor._make(size.copy())
    arg = np.zeros((bags, weight.shape[1]), np.int64)
    for b, (s, e) in enumerate(zip(offs[:bags], ends, strict=True)):
        rows = idx[s:e][valid[s:e]]
        if len(rows):
            arg[b] = rows[np.argmax(weight._data[rows], axis=0)]
    return Tensor._make(offset2bag), Tensor._make(size), Tensor._make(arg)


NAMES = """adaptive_avg_pool1d adaptive_max_pool1d affine_grid_generator alpha_dropout
alpha_dropout_ avg_pool1d batch_norm bilinear binary_cross_entropy_with_logits celu celu_
channel_shuffle constant_pad_nd conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d
conv_transpose3d convolution cosine_embedding_loss cosine_similarity ctc_loss dropout dropout_
embedding embedding_bag embedding_renorm_ feature_alpha_dropout feature_alpha_dropout_
feature_dropout feature_dropout_ grid_sampler grid_sampler_2d grid_sampler_3d group_norm
hinge_embedding_loss instance_norm kl_div layer_norm margin_ranking_loss max_pool1d
max_pool1d_with_indices max_pool2d max_pool3d norm_except_dim pairwise_distance pdist
pixel_shuffle pixel_unshuffle poisson_nll_loss relu_ rms_norm rrelu rrelu_ selu selu_ threshold
threshold_ triplet_margin_loss""".split()
