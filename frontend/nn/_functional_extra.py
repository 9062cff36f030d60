"""The rest of ``torch.nn.functional``'s public names: ``conv_tbc``, ``grouped_mm``,
``linear_cross_entropy`` (with ``LinearCrossEntropyOptions``), and the override /
dispatch helpers PyTorch exports from the module (``has_torch_function``,
``handle_torch_function``, ``boolean_dispatch``, ``assert_int_or_pair``) plus its typing
re-exports (``Callable``, ``Optional``, ``DType``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .. import _ops as ops
from .._shape import cat, matmul, permute, reshape
from .._tensor import Tensor
from ._functional_common import named
from ._functional_conv import conv1d
from ._functional_loss import cross_entropy

DType = int  # PyTorch's ``torch.nn.functional.DType`` alias


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-D convolution over (time, batch, channels) input with a (k, C_in, C_out) weight.

    ``F.conv_tbc(torch.randn(7, 2, 4), torch.randn(3, 4, 5), torch.zeros(5), 1)`` -> (7, 2, 5)
    """
    if input.ndim != 3:
        raise RuntimeError("conv_tbc: Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("conv_tbc: Weight tensor must have 3 dims: kernel_width, "
                           "in_channels, out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("conv_tbc: Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("conv_tbc: Input dim 2 (input channels) is not == dim 1 in the "
                           "weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("conv_tbc: Bias size must equal dim 2 in the weight tensor "
                           "(output channels).")
    out = conv1d(permute(input, (1, 2, 0)), permute(weight, (2, 1, 0)), bias, 1, int(pad))
    return named(permute(out, (2, 0, 1)), "ConvTbcBackward0", input, weight, bias)


@dataclass
class LinearCrossEntropyOptions:
    """Hints for PyTorch's chunked ``linear_cross_entropy``. tenkai computes the reference
    path (the same loss and gradients; the graph compiler decides what is materialized), so
    the hints are accepted and kept, not acted on."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``; a
    (C, d_1, ..., d_K, in) weight gives the K-dimensional loss."""
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.ndim}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, (N, "
                           f"{in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    flat_w = reshape(linear_weight, (-1, in_features))
    logits = reshape(matmul(input, flat_w.transpose(0, 1)), logits_shape)
    if linear_bias is not None:
        logits = logits + linear_bias
    return cross_entropy(logits, target, weight, ignore_index=-100 if ignore_index is None
                         else ignore_index, reduction=reduction,
                         label_smoothing=label_smoothing)


# ---------------------------------------------------------------- grouped_mm


def _group_mask(offs: Tensor, length: int, dtype: str) -> Tensor:
    """(G, length) 0/1: position j is in group i when offs[i-1] <= j < offs[i]."""
    ends = ops.cast(offs, "int64")
    starts = cat([Tensor._make(np.zeros((1,), np.int64)), ends[:-1]], 0)
    pos = Tensor._make(np.arange(length, dtype=np.int64)).unsqueeze(0)
    inside = ops.logical_and(pos >= starts.unsqueeze(1), pos < ends.unsqueeze(1))
    return ops.cast(inside, dtype)


def grouped_mm(mat_a: Tensor, mat_b: Tensor, *, offs: Tensor | None = None,
               bias: Tensor | None = None, out_dtype: Any = None) -> Tensor:
    """Per-group matrix products (mixture-of-experts layers): 2-D x 3-D groups the rows of
    ``mat_a`` by ``offs``; 3-D x 3-D is a batched matmul; 2-D x 2-D groups the shared K;
    3-D x 2-D groups the columns of ``mat_b``. Rows or columns past ``offs[-1]`` are zero
    (PyTorch leaves them unwritten)."""
    for name, t in (("mat_a", mat_a), ("mat_b", mat_b)):
        if t._ir_dtype not in ("float32", "float16", "bfloat16"):
            raise RuntimeError(f"Expected {name} to be Float32, BFloat16 or Float16 matrix, "
                               f"got {t.dtype.name.title()}")
        if t.ndim not in (2, 3):
            raise RuntimeError(f"{name} must be 2d or 3d")
    if bias is not None:
        raise RuntimeError("Bias not supported yet")
    if out_dtype is not None and out_dtype != mat_a.dtype:
        raise RuntimeError("Grouped gemm output dtype must match `mat_a` dtype")
    a_3d, b_3d = mat_a.ndim == 3, mat_b.ndim == 3
    if (offs is None) != (a_3d and b_3d):
        raise RuntimeError("Have to provide offsets if there is a 2d matrix"
                           if offs is None else "Offsets not supported for 3d x 3d inputs")
    dt = mat_a._ir_dtype
    if a_3d and b_3d:
        out = matmul(mat_a, mat_b)
    elif b_3d:                                    # (M, K) x (G, K, N) -> (M, N)
        mask = _group_mask(offs, mat_a.shape[0], dt).unsqueeze(2)
        out = (matmul(mat_a.unsqueeze(0), mat_b) * mask).sum(0)
    elif a_3d:                                    # (G, M, K) x (K, N) -> (M, N)
        mask = _group_mask(offs, mat_b.shape[1], dt).unsqueeze(1)
        out = (matmul(mat_a, mat_b.unsqueeze(0)) * mask).sum(0)
    else:                                         # (M, K) x (K, N) -> (G, M, N)
        mask = _group_mask(offs, mat_a.shape[1], dt).unsqueeze(1)
        out = matmul(mat_a.unsqueeze(0) * mask, mat_b)
    return named(out, "GroupedMmBackward0")


# ---------------------------------------------------------------- override helpers


def _overloaded(args: Iterable[Any]) -> list[Any]:
    """Arguments whose type defines ``__torch_function__`` (tenkai's Tensor does not)."""
    seen: list[type] = []
    found = []
    for a in args:
        t = type(a)
        if t not in seen and hasattr(t, "__torch_function__"):
            seen.append(t)
            found.append(a)
    return found


def has_torch_function(relevant_args: Iterable[Any]) -> bool:
    """Whether any argument overrides ``__torch_function__``."""
    return bool(_overloaded(relevant_args))


def has_torch_function_unary(arg: Any) -> bool:
    """``has_torch_function((arg,))``."""
    return has_torch_function((arg,))


def has_torch_function_variadic(*args: Any) -> bool:
    """``has_torch_function(args)``."""
    return has_torch_function(args)


def handle_torch_function(public_api: Callable[..., Any], relevant_args: Iterable[Any],
                          *args: Any, **kwargs: Any) -> Any:
    """Call the ``__torch_function__`` overrides of ``relevant_args`` in order until one
    does not return ``NotImplemented``, as PyTorch's override protocol does."""
    overloaded = _overloaded(relevant_args)
    types = tuple(type(a) for a in overloaded)
    for arg in overloaded:
        result = type(arg).__torch_function__(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = getattr(public_api, "__module__", "") + "." + getattr(public_api, "__name__", "")
    raise TypeError(f"no implementation found for '{name}' on types that implement "
                    f"__torch_function__: {[type(a) for a in overloaded]}")


def boolean_dispatch(arg_name: str, arg_index: int, default: bool, if_true: Callable,
                     if_false: Callable, module_name: str | None,
                     func_name: str | None) -> Callable:
    """A function that calls ``if_true`` or ``if_false`` by the boolean argument
    ``arg_name`` (positional index ``arg_index``, default ``default``)."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        flag = default
        if arg_name in kwargs:
            flag = kwargs[arg_name]
        elif arg_index < len(args):
            flag = args[arg_index]
        return if_true(*args, **kwargs) if flag else if_false(*args, **kwargs)

    if if_true.__doc__ is None and if_false.__doc__ is not None:
        fn.__doc__ = if_false.__doc__
    else:
        fn.__doc__ = if_true.__doc__
    if module_name is not None:
        fn.__module__ = module_name
    if func_name is not None:
        fn.__name__ = func_name
    return fn


def assert_int_or_pair(arg: Any, arg_name: str, message: str) -> None:
    """Assert ``arg`` is an int or a pair (PyTorch's helper for fold / unfold arguments)."""
    assert isinstance(arg, int) or len(arg) == 2, message.format(arg_name)


__all__ = ["Callable", "DType", "LinearCrossEntropyOptions", "Optional", "assert_int_or_pair",
           "boolean_dispatch", "conv_tbc", "grouped_mm", "handle_torch_function",
           "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
           "linear_cross_entropy"]
