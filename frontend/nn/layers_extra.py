"""More layers with PyTorch's API: Bilinear, distances, the dropout family, padding layers
(Zero/Constant/Reflection/Replication/Circular, 1d/2d/3d) and the pixel/channel shuffles.
Each is a thin module over ``nn.functional``, so it traces and compiles like the rest."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import _creation
from .._tensor import Tensor
from . import functional as F
from . import init
from .layers import _DropoutNd
from .module import Module
from .parameter import Parameter


class Bilinear(Module):
    """y = x1^T A x2 + b (``nn.Bilinear(20, 30, 40)``)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = (in1_features, in2_features,
                                                                   out_features)
        self.weight = Parameter(_creation.empty(out_features, in1_features, in2_features,
                                                dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class CosineSimilarity(Module):
    """Cosine similarity along ``dim`` (``nn.CosineSimilarity(dim=1, eps=1e-8)``)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm of x1 - x2 + eps over the last dim (``nn.PairwiseDistance(p=2.0)``)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) in training."""

    fn = "dropout1d"


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) or (C, H, W) in training."""

    fn = "dropout2d"


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) in training."""

    fn = "dropout3d"


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalizing mean and variance."""

    fn = "alpha_dropout"


class FeatureAlphaDropout(_DropoutNd):
    """Channel-wise alpha dropout."""

    fn = "feature_alpha_dropout"


# ---------------------------------------------------------------- padding


def _padding(padding: int | Sequence[int], n: int) -> tuple[int, ...]:
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"padding must be an int or a sequence of {2 * n} ints, got "
                         f"{len(padding)} values")
    return padding


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _padding(padding, self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad:
    """Makes a ConstantPadNd pad with zeros (ZeroPad2d subclasses ConstantPad2d, as in
    PyTorch)."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)  # type: ignore[call-arg]

    def extra_repr(self) -> str:
        return f"{self.padding}"  # type: ignore[attr-defined]


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"


def _pad_class(name: str, bases: tuple[type, ...], dims: int) -> type:
    mode = bases[-1].mode
    doc = f"{mode.capitalize()} padding of the last {dims} dim(s) (``nn.{name}(2)``)."
    return type(name, bases, {"dims": dims, "__doc__": doc, "__module__": __name__})


ConstantPad1d = _pad_class("ConstantPad1d", (_ConstantPadNd,), 1)
ConstantPad2d = _pad_class("ConstantPad2d", (_ConstantPadNd,), 2)
ConstantPad3d = _pad_class("ConstantPad3d", (_ConstantPadNd,), 3)
ZeroPad1d = _pad_class("ZeroPad1d", (_ZeroPad, ConstantPad1d), 1)
ZeroPad2d = _pad_class("ZeroPad2d", (_ZeroPad, ConstantPad2d), 2)
ZeroPad3d = _pad_class("ZeroPad3d", (_ZeroPad, ConstantPad3d), 3)
ReflectionPad1d = _pad_class("ReflectionPad1d", (_ReflectionPadNd,), 1)
ReflectionPad2d = _pad_class("ReflectionPad2d", (_ReflectionPadNd,), 2)
ReflectionPad3d = _pad_class("ReflectionPad3d", (_ReflectionPadNd,), 3)
ReplicationPad1d = _pad_class("ReplicationPad1d", (_ReplicationPadNd,), 1)
ReplicationPad2d = _pad_class("ReplicationPad2d", (_ReplicationPadNd,), 2)
ReplicationPad3d = _pad_class("ReplicationPad3d", (_ReplicationPadNd,), 3)
CircularPad1d = _pad_class("CircularPad1d", (_CircularPadNd,), 1)
CircularPad2d = _pad_class("CircularPad2d", (_CircularPadNd,), 2)
CircularPad3d = _pad_class("CircularPad3d", (_CircularPadNd,), 3)


# ---------------------------------------------------------------- shuffles


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r) (``nn.PixelShuffle(3)``)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W) (``nn.PixelUnshuffle(3)``)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (``nn.ChannelShuffle(2)``)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
