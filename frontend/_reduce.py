"""Reductions of the ``tenkai`` namespace (``sum``, ``mean``, ``max``/``min`` with their
``(values, indices)`` results, ``var``/``std``, ``argmax``, ``logsumexp``...), lowered to
registry reductions with PyTorch's argument conventions and grad_fn names."""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir.errors import DTypeError
from tenkai.ir.ops import norm_axis

from ._dtype import as_dtype
from ._eager_quick import all_axes, run1
from ._node import GRAD_MODE
from ._ops import (
    _floating,
    add,
    apply,
    as_tensor_arg,
    cast,
    eq,
    exp,
    log,
    logical_not,
    maximum,
    minimum,
    ne,
    sqrt,
    sub,
)
from ._shape import gather, named, reshape, squeeze_dims
from ._tensor import Tensor


def dims_arg(op: str, dim: Any, ndim: int) -> tuple[int, ...]:
    """Normalize a ``dim`` argument (None, int, or sequence) into sorted non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    axes = sorted(norm_axis(op, int(d), ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {axes[0]} appears multiple times in the list of dims")
    return tuple(a for a in axes if ndim)


def _reduce(op: str, input: Tensor, dim: Any, keepdim: bool, dtype: Any, full: str,
            partial: str, **attrs: Any) -> Tensor:
    x = as_tensor_arg(input)
    if dtype is not None:
        x = cast(x, as_dtype(dtype).name)
    axes = dims_arg(op, dim, x.ndim)
    name = full if dim is None else partial
    return apply(op, (x,), name=name, axes=axes, keepdim=keepdim, **attrs)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    if dim is None and dtype is None and not keepdim and type(input) is Tensor:
        out = run1("sum", "all", input, all_axes)  # x.sum(), when it records nothing
        if out is not None:
            return out
    return _reduce("sum", input, dim, keepdim, dtype, "SumBackward0", "SumBackward1")


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    return _reduce("mean", input, dim, keepdim, dtype, "MeanBackward0", "MeanBackward1")


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    return _reduce("prod", input, dim, keepdim, dtype, "ProdBackward0", "ProdBackward1")


def _correction(unbiased: bool | None, correction: Any) -> int:
    if correction is not None:
        return int(correction)
    return 0 if unbiased is False else 1


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    return _moment(input, dim, unbiased, keepdim, correction, root=False)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    return _moment(input, dim, unbiased, keepdim, correction, root=True)


def _moment(input: Tensor, dim: Any, unbiased: bool | None, keepdim: bool, correction: Any,
            root: bool) -> Tensor:
    """var/std. PyTorch accumulates float32 moments in double and rounds once at the end, so
    a float32 input is computed in float64 and cast back (same digits as ``x.var().item()``)."""
    if isinstance(dim, bool):  # var(x, False): the legacy unbiased positional argument
        dim, unbiased = None, dim
    x = as_tensor_arg(input)
    if not x.is_floating_point():
        raise DTypeError("std and var only support floating point and complex dtypes")
    wide = cast(x, "float64")
    out = _reduce("var", wide, dim, keepdim, None, "VarBackward0", "VarBackward0",
                  correction=_correction(unbiased, correction))
    if root:
        out = sqrt(out)
    out = cast(out, x._ir_dtype)
    return named(out, "StdBackward0" if root else "VarBackward0", x)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _reduce("max", input, dim, keepdim, None, "AmaxBackward0", "AmaxBackward0")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _reduce("min", input, dim, keepdim, None, "AminBackward0", "AminBackward0")


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return apply("argmax", (reshape(input, (-1,)),), axis=0, keepdim=False)
    return apply("argmax", (input,), axis=norm_axis("argmax", dim, input.ndim), keepdim=keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return apply("argmin", (reshape(input, (-1,)),), axis=0, keepdim=False)
    return apply("argmin", (input,), axis=norm_axis("argmin", dim, input.ndim), keepdim=keepdim)


class _ReturnType(tuple):
    """``torch.return_types.max``: a (values, indices) pair printed like PyTorch's."""

    _name = "max"

    def __new__(cls, values: Tensor, indices: Tensor) -> _ReturnType:
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _return_type(name: str) -> type:
    return type(name, (_ReturnType,), {"_name": name, "__module__": "torch.return_types"})


RETURN_TYPES = {name: _return_type(name) for name in ("max", "min")}


_FULL_NAMES = {"max": "MaxBackward1", "min": "MinBackward1"}


def _extreme(op: str, arg: Any, input: Tensor, dim: Any, keepdim: bool, other_fn: Any) -> Any:
    if isinstance(dim, Tensor):
        return other_fn(input, dim)
    if dim is None:
        return apply(op, (input,), name=_FULL_NAMES[op], axes=tuple(range(input._data.ndim)),
                     keepdim=False)
    if input.ndim and input.requires_grad and GRAD_MODE.enabled:
        # the values are read at the returned indices, so the gradient goes to that one
        # element even where the extreme is tied (PyTorch's MaxBackward0), unlike amax's
        axis = norm_axis(op, dim, input.ndim)
        index = arg(input, axis, True)
        values = gather(input, axis, index)
        if not keepdim:
            values, index = squeeze_dims(values, (axis,)), squeeze_dims(index, (axis,))
        return RETURN_TYPES[op](named(values, f"{op.title()}Backward0", input), index)
    values = apply(op, (input,), name=f"{op.title()}Backward0",
                   axes=dims_arg(op, dim, input.ndim), keepdim=keepdim)
    return RETURN_TYPES[op](values, arg(input, dim, keepdim))


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    if dim is None and type(input) is Tensor:
        out = run1("max", "all", input, all_axes)  # x.max(), when it records nothing
        if out is not None:
            return out
    return _extreme("max", argmax, input, dim, keepdim, maximum)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    if dim is None and type(input) is Tensor:
        out = run1("min", "all", input, all_axes)  # x.min(), when it records nothing
        if out is not None:
            return out
    return _extreme("min", argmin, input, dim, keepdim, minimum)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return eq(sum(cast(logical_not(cast(input, "bool")), "int64"), dim, keepdim), 0)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return ne(sum(cast(cast(input, "bool"), "int64"), dim, keepdim), 0)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    x = _floating(input)
    m = amax(x, dim, keepdim=True).detach()
    m = Tensor._make(np.where(np.isfinite(m._data), m._data, 0).astype(m._data.dtype))
    out = add(log(sum(exp(sub(x, m)), dim, keepdim=True)), m)
    if not keepdim:
        out = squeeze_dims(out, dims_arg("logsumexp", dim, x.ndim))
    return named(out, "LogsumexpBackward0", x)
