"""Lazy modules: Linear, Conv, ConvTranspose, BatchNorm and InstanceNorm whose input size is
inferred from the first input. Until then their parameters are UninitializedParameter (and
buffers UninitializedBuffer); the first call materializes them with the real shape, runs
``reset_parameters`` and turns the module into its eager class (``LazyLinear`` becomes
``Linear``), as in PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import as_dtype, get_default_dtype
from .._tensor import Tensor
from .layers import BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Linear, _NormBase, _pair
from .layers_more import ConvTranspose3d
from .layers_resample import Conv3d, ConvTranspose1d, ConvTranspose2d
from .module import Module
from .normalization import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .parameter import Parameter


def _np_dtype(dtype: Any) -> np.dtype:
    return np.dtype(as_dtype(dtype if dtype is not None else get_default_dtype()).name)


class UninitializedParameter(Parameter):
    """A parameter without a shape yet; ``materialize(shape)`` makes it a Parameter."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,
                dtype: Any = None) -> UninitializedParameter:
        param = Parameter.__new__(cls, None, requires_grad)
        param._lazy_dtype = _np_dtype(dtype)
        return param

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        pass

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        self._data = np.zeros(tuple(shape), _np_dtype(dtype) if dtype else self._lazy_dtype)
        self._vc[0] += 1
        self.__class__ = self.cls_to_become
        if self.requires_grad:  # a fresh leaf node that records the real shape
            self.requires_grad_(False)
            self.requires_grad_(True)

    def __repr__(self, **kwargs: Any) -> str:
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer without a shape yet; ``materialize(shape)`` makes it a Tensor."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None,
                dtype: Any = None) -> UninitializedBuffer:
        return cls._make(np.zeros((0,), _np_dtype(dtype)))

    def __init__(self, requires_grad: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        pass

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        self._data = np.zeros(tuple(shape), _np_dtype(dtype) if dtype else self._data.dtype)
        self._vc[0] += 1
        self.__class__ = self.cls_to_become

    def __repr__(self, **kwargs: Any) -> str:
        return "<UninitializedBuffer>"


class LazyModuleMixin:
    """Infers the missing size from the first input, then becomes ``cls_to_become``."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        tables = (self._parameters.values(), self._buffers.values())
        return any(isinstance(t, UninitializedParameter | UninitializedBuffer)
                   for table in tables for t in table)

    def initialize_parameters(self, *args: Any) -> None:
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.has_uninitialized_params():
            self.initialize_parameters(*args)
            if self.cls_to_become is not None:
                self.__class__ = self.cls_to_become
                return Module.__call__(self, *args, **kwargs)
        return super().__call__(*args, **kwargs)


def _uninit(module: Module, name: str, present: bool, dtype: Any, buffer: bool = False) -> None:
    if not present:
        (module.register_buffer if buffer else module.register_parameter)(name, None)
    elif buffer:
        module.register_buffer(name, UninitializedBuffer(dtype=dtype))
    else:
        module.register_parameter(name, UninitializedParameter(dtype=dtype))


class LazyLinear(LazyModuleMixin, Linear):
    """Linear with in_features taken from the first input (``nn.LazyLinear(10)``)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        _uninit(self, "weight", True, dtype)
        _uninit(self, "bias", bias, dtype)

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    transposed = False

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 *rest: Any, device: Any = None, dtype: Any = None, **kwargs: Any) -> None:
        Module.__init__(self)
        n = self.cls_to_become.dims
        # PyTorch's positional order after padding
        names = (["output_padding", "groups", "bias", "dilation", "padding_mode"]
                 if self.transposed else ["dilation", "groups", "bias", "padding_mode"])
        values = dict(zip(names, rest, strict=False), **kwargs)
        self.in_channels, self.out_channels = 0, out_channels
        self.kernel_size, self.stride = _pair(kernel_size, n), _pair(stride, n)
        self.padding = padding if isinstance(padding, str) else _pair(padding, n)
        self.dilation = _pair(values.get("dilation", 1), n)
        self.groups = values.get("groups", 1)
        self.padding_mode = values.get("padding_mode", "zeros")
        if self.transposed:
            self.output_padding = _pair(values.get("output_padding", 0), n)
        if self.padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode='{self.padding_mode}' is not supported; "
                                      "only 'zeros'")
        _uninit(self, "weight", True, dtype)
        _uninit(self, "bias", values.get("bias", True), dtype)

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        n = self.cls_to_become.dims
        self.in_channels = input.shape[0] if input.dim() == n + 1 else input.shape[1]
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _lazy_conv(name: str, base: type, transposed: bool) -> type:
    doc = f"{base.__name__} with in_channels taken from the first input (``nn.{name}(16, 3)``)."
    return type(name, (_LazyConvXdMixin, base), {"cls_to_become": base, "transposed": transposed,
                                            "__doc__": doc, "__module__": __name__})


LazyConv1d = _lazy_conv("LazyConv1d", Conv1d, False)
LazyConv2d = _lazy_conv("LazyConv2d", Conv2d, False)
LazyConv3d = _lazy_conv("LazyConv3d", Conv3d, False)
LazyConvTranspose1d = _lazy_conv("LazyConvTranspose1d", ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv("LazyConvTranspose2d", ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv("LazyConvTranspose3d", ConvTranspose3d, True)


class _LazyNormBase(LazyModuleMixin, _NormBase):

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self.num_features, self.eps, self.momentum = 0, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _uninit(self, "weight", affine, dtype)
        _uninit(self, "bias", affine, dtype)
        _uninit(self, "running_mean", track_running_stats, dtype, buffer=True)
        _uninit(self, "running_var", track_running_stats, dtype, buffer=True)
        count = Tensor._make(np.array(0, np.int64)) if track_running_stats else None
        self.register_buffer("num_batches_tracked", count)

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        self.num_features = input.shape[1]  # as PyTorch, also for unbatched instance norms
        for name, fill in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0),
                           ("running_var", 1.0)):
            t = getattr(self, name)
            if t is not None:
                t.materialize((self.num_features,))
                t._data[...] = fill


def _lazy_norm(name: str, base: type) -> type:
    doc = f"{base.__name__} with num_features taken from the first input (``nn.{name}()``)."
    # as PyTorch's: a sibling of ``base`` (LazyBatchNorm1d is a _BatchNorm, not a
    # BatchNorm1d) with ``base``'s own methods (the input-dimension check)
    own = {k: v for k, v in vars(base).items()
           if k not in ("__dict__", "__weakref__", "__module__", "__doc__", "__qualname__")}
    return type(name, (_LazyNormBase, base.__base__), {**own, "cls_to_become": base,
                                                       "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm("LazyBatchNorm1d", BatchNorm1d)
LazyBatchNorm2d = _lazy_norm("LazyBatchNorm2d", BatchNorm2d)
LazyBatchNorm3d = _lazy_norm("LazyBatchNorm3d", BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm("LazyInstanceNorm1d", InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm("LazyInstanceNorm2d", InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm("LazyInstanceNorm3d", InstanceNorm3d)

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
           "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyConvTranspose3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear", "LazyModuleMixin",
           "UninitializedBuffer", "UninitializedParameter"]
