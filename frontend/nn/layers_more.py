"""More ``torch.nn`` modules with PyTorch's constructor arguments, defaults and ``repr``:
MaxUnpool1d/2d/3d, EmbeddingBag, CTCLoss, ConvTranspose3d, CrossMapLRN2d,
FractionalMaxPool2d/3d, LinearCrossEntropyLoss and the deprecated Container."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _ops as ops
from .._shape import matmul, permute
from .._tensor import Tensor
from . import functional as F
from . import init
from .layers import Linear, _pair
from .layers_resample import _ConvTransposeNd
from .loss import _Loss, _WeightedLoss
from .module import Module
from .parameter import Parameter


class _MaxUnpoolNd(Module):
    dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        n = self.dims
        self.kernel_size = _pair(kernel_size, n)
        self.stride = _pair(stride if stride is not None else kernel_size, n)
        self.padding = _pair(padding, n)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        fn = getattr(F, f"max_unpool{self.dims}d")
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of MaxPool1d (``nn.MaxUnpool1d(2)(*nn.MaxPool1d(2, return_indices=True)(x))``)."""

    dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of MaxPool2d: maxima back at their indices, zeros elsewhere."""

    dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of MaxPool3d over (N, C, D, H, W)."""

    dims = 3


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (``nn.EmbeddingBag(10, 3, mode="sum")``)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Tensor | None = None,
                 include_last_offset: bool = False, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("EmbeddingBag: scale_grad_by_freq and sparse are not "
                                      "supported; tenkai computes dense, unscaled gradients")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.padding_idx = scale_grad_by_freq, padding_idx
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        if _weight is not None and list(_weight.shape) != [num_embeddings, embedding_dim]:
            raise AssertionError("Shape of weight does not match num_embeddings and "
                                 "embedding_dim")
        if _weight is None:
            from .. import _creation
            self.weight = Parameter(_creation.empty(num_embeddings, embedding_dim, dtype=dtype))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            from ..autograd import no_grad

            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor, offsets: Tensor | None = None,
                per_sample_weights: Tensor | None = None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                  embeddings, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (``nn.CTCLoss(blank=0)``)."""

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Any,
                target_lengths: Any) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (``nn.ConvTranspose3d(16, 8, 3, stride=2)``)."""

    dims = 3

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


def _cross_map_window(channels: int, size: int) -> np.ndarray:
    """(C, C) 0/1 matrix: row c marks the squares PyTorch's legacy running sum adds for c."""
    pre_pad = int((size - 1) / 2 + 1)
    m = np.zeros((channels, channels))
    m[0, :min(pre_pad, channels)] = 1
    for c in range(1, channels):
        m[c] = m[c - 1]
        if c < channels - pre_pad + 1:
            m[c, c + pre_pad - 1] += 1
        if c > pre_pad:
            m[c, c - pre_pad] -= 1
    return m


def _cross_map_backward_band(channels: int, size: int) -> np.ndarray:
    """(C, C) 0/1 band of PyTorch's legacy backward: row c sums channels
    [c - pre, c + size - 1 - pre] with pre = int(size - (size - 1) / 2)."""
    pre = int(size - (size - 1) / 2)
    c = np.arange(channels)[:, None]
    j = np.arange(channels)[None, :]
    return ((j >= c - pre) & (j <= c + size - 1 - pre)).astype(np.float64)


def _channel_mix(t: Tensor, m: np.ndarray) -> Tensor:
    """``out[:, c] = sum_j m[c, j] * t[:, j]`` for (N, C, H, W) ``t``."""
    w = Tensor._make(np.ascontiguousarray(m.T).astype(t._data.dtype))
    return permute(matmul(permute(t, (0, 2, 3, 1)), w), (0, 3, 1, 2))


class CrossMapLRN2d(Module):
    """Legacy cross-channel local response normalization of 4-D input
    (``nn.CrossMapLRN2d(3)``). The forward follows PyTorch's running-sum channel window
    exactly; the gradient is PyTorch's legacy backward formula (a different, banded
    window), carried by a zero-valued surrogate term so the two agree with PyTorch."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D "
                             f"instead.")
        channels = input.shape[1]
        x_d = input.detach()
        scale = _channel_mix(x_d * x_d, _cross_map_window(channels, self.size))
        scale = scale * (self.alpha / self.size) + float(self.k)
        inv = ops.pow(scale, -self.beta)
        out = x_d * inv
        if not input.requires_grad:
            return out
        # d surrogate / dx = PyTorch's backward: scale^-beta g - 2ab/size x band(g out / scale)
        band = _cross_map_backward_band(channels, self.size).T
        surrogate = input * inv - (self.alpha * self.beta / self.size) * (out / scale) * \
            _channel_mix(input * input, band)
        return out + (surrogate - surrogate.detach())

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class Container(Module):
    """Deprecated: ``nn.Container(**modules)``; subclass ``nn.Module`` instead."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        warnings.warn("nn.Container is deprecated. All of it's functionality is now "
                      "implemented in nn.Module. Subclass that instead.", stacklevel=2)
        for key, value in kwargs.items():
            self.add_module(key, value)


class _FractionalMaxPoolNd(Module):
    dims = 2

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        n, name = self.dims, type(self).__name__
        self.kernel_size = _pair(kernel_size, n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _pair(output_size, n) if output_size is not None else None
        self.output_ratio = _pair(output_ratio, n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:
        fn = getattr(F, f"fractional_max_pool{self.dims}d")
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max over pseudo-random windows (``nn.FractionalMaxPool2d(3, output_ratio=0.5)``)."""

    dims = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling (``nn.FractionalMaxPool3d(2, output_size=(4, 4, 4))``)."""

    dims = 3


class LinearCrossEntropyLoss(_WeightedLoss):
    """Cross entropy of linearly projected inputs
    (``nn.LinearCrossEntropyLoss(in_features=512, num_classes=10)``); the projection is a
    ``Linear(in_features, num_classes * prod(out_features))`` child named ``linear``."""

    def __init__(self, in_features: int, num_classes: int, *,
                 out_features: tuple[int, ...] = (), bias: bool = False, device: Any = None,
                 dtype: Any = None, reduction: str = "mean", weight: Tensor | None = None,
                 ignore_index: int | None = None, label_smoothing: float = 0.0,
                 options: Any = None) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got "
                               f"{tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"expected label_smoothing to be in range [0, 1], got "
                               f"{label_smoothing}")
        super().__init__(weight, reduction=reduction)
        self.num_classes, self.out_features = num_classes, out_features
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes),
                             bias=bias, dtype=dtype)
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        w = self.linear.weight.reshape((self.num_classes, *self.out_features,
                                        self.linear.in_features))
        b = (self.linear.bias.reshape((self.num_classes, *self.out_features))
             if self.linear.bias is not None else None)
        return F.linear_cross_entropy(input, w, target, linear_bias=b, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
