"""Eager execution of registry ops, and the elementwise / reduction / contraction functions of
the ``tenkai`` namespace (``tenkai.add``, ``tenkai.sum``, ``tenkai.matmul``, ...).

Every function applies PyTorch's argument conventions and type promotion, then calls
:func:`apply`, which checks the op's shape/dtype rules (the source of the error messages),
runs its numpy reference and records it for autograd.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir import REGISTRY
from tenkai.ir.dtypes import from_numpy, is_float, to_numpy
from tenkai.ir.ops import norm_axis

from ._dtype import get_default_dtype, result_type, scalar_dtype
from ._tensor import Tensor, record

VIEW_OPS = frozenset({"reshape", "permute", "expand", "slice"})


def apply(op: str, inputs: Sequence[Tensor], name: str | None = None, **attrs: Any) -> Tensor:
    """Run registry op ``op`` eagerly on tensors; ``name`` is the grad_fn name to show."""
    opdef = REGISTRY[op]
    attrs = opdef.normalize_attrs(attrs)
    datas = [t._data for t in inputs]
    opdef.shape_rule([d.shape for d in datas], attrs)
    opdef.dtype_rule([from_numpy(d.dtype) for d in datas], attrs)
    with np.errstate(all="ignore"):
        out = opdef.reference(*datas, **attrs)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    t = record(op, attrs, tuple(inputs), out, opdef.vjp is not None)
    if name is not None and t._node is not None:
        t._node.name = name
    if op in VIEW_OPS and np.may_share_memory(out, datas[0]):
        base = inputs[0]
        t._base, t._vc = base._base or base, base._vc
        if t._node is not None:
            t._node.vc = t._vc
    return t


def tensor_of(value: Any, dtype: str) -> Tensor:
    """A constant tensor (no grad) from a Python scalar or array."""
    return Tensor._make(np.asarray(value, dtype=to_numpy(dtype)))


def cast(t: Tensor, dtype: str) -> Tensor:
    if t._ir_dtype == dtype:
        return t
    return apply("cast", (t,), name="ToCopyBackward0", dtype=dtype)


def promote(*args: Any) -> tuple[list[Tensor], str]:
    """Apply PyTorch's result-type rule to tensors and Python scalars; cast them all to it."""
    if builtins.all(isinstance(a, Tensor) for a in args):
        first = args[0]._data.dtype
        if builtins.all(a._data.dtype == first for a in args):
            return list(args), from_numpy(first)
    items = []
    for a in args:
        if isinstance(a, Tensor):
            items.append((a._ir_dtype, 2 if a._data.ndim else 1))
        elif isinstance(a, (bool, int, float, np.number, np.bool_)):
            items.append((scalar_dtype(a), 0))
        else:
            raise TypeError(f"expected Tensor or number as operand, got {type(a).__name__}")
    dt = result_type(items)
    return [cast(a, dt) if isinstance(a, Tensor) else tensor_of(a, dt) for a in args], dt


def _floating(t: Tensor) -> Tensor:
    """Integer inputs of float-only math are computed in the default float dtype (PyTorch)."""
    return t if t._data.dtype.kind == "f" else cast(t, get_default_dtype().name)


def as_tensor_arg(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float)):
        return tensor_of(x, scalar_dtype(x))
    raise TypeError(f"expected a Tensor, got {type(x).__name__}")


# ---------------------------------------------------------------- elementwise


def _unary(op: str, float_only: bool):
    def fn(input: Tensor) -> Tensor:
        x = as_tensor_arg(input)
        return apply(op, (_floating(x) if float_only else x,))
    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op} (``tenkai.{op}(x)``)."
    return fn


exp, log, log1p, expm1 = (_unary(o, True) for o in ("exp", "log", "log1p", "expm1"))
sqrt, rsqrt, sin, cos = (_unary(o, True) for o in ("sqrt", "rsqrt", "sin", "cos"))
tanh, sigmoid, erf, reciprocal = (_unary(o, True) for o in ("tanh", "sigmoid", "erf", "reciprocal"))
neg, abs, sign, relu = (_unary(o, False) for o in ("neg", "abs", "sign", "relu"))
floor, ceil, round, trunc = (_unary(o, False) for o in ("floor", "ceil", "round", "trunc"))
negative, absolute = neg, abs


def logical_not(input: Tensor) -> Tensor:
    return apply("logical_not", (input,))


def _binary(op: str, name: str):
    def fn(input: Any, other: Any) -> Tensor:
        (a, b), _ = promote(input, other)
        return apply(op, (a, b), name=name)
    fn.__name__ = op
    return fn


mul = multiply = _binary("mul", "MulBackward0")
maximum = _binary("maximum", "MaximumBackward0")
minimum = _binary("minimum", "MinimumBackward0")
eq, ne, lt, le, gt, ge = (_binary(o, "") for o in ("eq", "ne", "lt", "le", "gt", "ge"))
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    return apply("logical_and", (as_tensor_arg(input), as_tensor_arg(other)))


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    return apply("logical_or", (as_tensor_arg(input), as_tensor_arg(other)))


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha != 1:
        other = mul(other, alpha)
    (a, b), _ = promote(input, other)
    return apply("add", (a, b), name="AddBackward0")


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha != 1:
        other = mul(other, alpha)
    (a, b), dt = promote(input, other)
    if dt == "bool":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    name = "SubBackward0" if isinstance(input, Tensor) else "RsubBackward1"
    return apply("sub", (a, b), name=name)


subtract = sub


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    (a, b), dt = promote(input, other)
    if rounding_mode is None:
        if not is_float(dt):
            a, b = cast(a, get_default_dtype().name), cast(b, get_default_dtype().name)
        return apply("div", (a, b), name="DivBackward0")
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    q = div(cast(a, "float64") if not is_float(dt) else a, b)
    q = floor(q) if rounding_mode == "floor" else trunc(q)
    return cast(q, dt)


true_divide = divide = div


def floor_divide(input: Any, other: Any) -> Tensor:
    return div(input, other, rounding_mode="floor")


def remainder(input: Any, other: Any) -> Tensor:
    return sub(input, mul(floor_divide(input, other), other))


def pow(input: Any, exponent: Any) -> Tensor:
    (a, b), _ = promote(input, exponent)
    if not isinstance(input, Tensor):
        name = "PowBackward2"
    else:
        name = "PowBackward1" if isinstance(exponent, Tensor) else "PowBackward0"
    return apply("pow", (a, b), name=name)


def square(input: Tensor) -> Tensor:
    return pow(input, 2)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    (a, b), _ = promote(input, other)
    cond = as_tensor_arg(condition)
    if cond._ir_dtype != "bool":
        cond = cast(cond, "bool")
    return apply("where", (cond, a, b), name="WhereBackward0")


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    x = input
    if (isinstance(min, float) or isinstance(max, float)) and not input.is_floating_point():
        x = cast(x, get_default_dtype().name)
    return apply("clamp", (x,), name="ClampBackward1", min=min, max=max)


clip = clamp


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    v = value if isinstance(value, Tensor) else tensor_of(value, input._ir_dtype)
    return where(mask, cast(v, input._ir_dtype), input)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    return Tensor._make(np.isclose(input._data, other._data, rtol, atol, equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    return bool(np.allclose(input._data, other._data, rtol, atol, equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return apply("cast", (input,), name="CloneBackward0", dtype=input._ir_dtype)


# ---------------------------------------------------------------- reductions


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
        from ._dtype import as_dtype

        x = cast(x, as_dtype(dtype).name)
    axes = dims_arg(op, dim, x.ndim)
    name = full if dim is None else partial
    return apply(op, (x,), name=name, axes=axes, keepdim=keepdim, **attrs)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
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
    if isinstance(dim, bool):  # var(x, False): the legacy unbiased positional argument
        dim, unbiased = None, dim
    return _reduce("var", input, dim, keepdim, None, "VarBackward0", "VarBackward0",
                   correction=_correction(unbiased, correction))


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    out = sqrt(var(input, dim, unbiased, keepdim, correction=correction))
    if out._node is not None:
        out._node.name = "StdBackward0"
    return out


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _reduce("max", input, dim, keepdim, None, "AmaxBackward0", "AmaxBackward0")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _reduce("min", input, dim, keepdim, None, "AminBackward0", "AminBackward0")


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        from ._shape import reshape

        return apply("argmax", (reshape(input, (-1,)),), axis=0, keepdim=False)
    return apply("argmax", (input,), axis=norm_axis("argmax", dim, input.ndim), keepdim=keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        from ._shape import reshape

        return apply("argmin", (reshape(input, (-1,)),), axis=0, keepdim=False)
    return apply("argmin", (input,), axis=norm_axis("argmin", dim, input.ndim), keepdim=keepdim)


MinMax = namedtuple("MinMax", ["values", "indices"])


def _extreme(op: str, arg: Any, input: Tensor, dim: Any, keepdim: bool, other_fn: Any) -> Any:
    if isinstance(dim, Tensor):
        return other_fn(input, dim)
    if dim is None:
        return apply(op, (input,), name=f"{op.title()}Backward1", axes=tuple(range(input.ndim)),
                     keepdim=False)
    values = apply(op, (input,), name=f"{op.title()}Backward0",
                   axes=dims_arg(op, dim, input.ndim), keepdim=keepdim)
    return MinMax(values, arg(input, dim, keepdim))


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return _extreme("max", argmax, input, dim, keepdim, maximum)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return _extreme("min", argmin, input, dim, keepdim, minimum)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return eq(sum(cast(logical_not(cast(input, "bool")), "int64"), dim, keepdim), 0)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return ne(sum(cast(cast(input, "bool"), "int64"), dim, keepdim), 0)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    x = _floating(input)
    m = amax(x, dim, keepdim=True).detach()
    out = add(log(sum(exp(sub(x, m)), dim, keepdim=True)), m)
    if not keepdim:
        from ._shape import squeeze_dims

        out = squeeze_dims(out, dims_arg("logsumexp", dim, x.ndim))
    return out
