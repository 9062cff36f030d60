"""Reductions over any set of axes (with ``keepdim``) and the contraction ``matmul``.

Reduction attrs are already normalized by the caller: ``axes`` is a sorted tuple of
non-negative axes (all axes for a full reduction).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import dtypes
from .errors import DTypeError, ShapeError
from .ops import CONTRACTION, REDUCTION, REQUIRED, OpDef, broadcast_shapes, register, unbroadcast

Shape = tuple[int, ...]


def _reduce_shape(op: str):
    def rule(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
        shape, axes = shapes[0], tuple(attrs["axes"])
        if any(not 0 <= a < max(len(shape), 1) for a in axes) or len(set(axes)) != len(axes):
            raise ShapeError(f"{op}: invalid axes {axes} for a tensor of shape {list(shape)}")
        if attrs["keepdim"]:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)
    return rule


def _nonempty(op: str, shape: Shape, axes: tuple[int, ...]) -> None:
    if 0 in shape and any(shape[a] == 0 for a in axes if a < len(shape)):
        raise ShapeError(f"{op}(): Expected reduction dim to have non-zero size "
                         f"(input shape {list(shape)}, axes {axes}); use sum for empty inputs")


def _accumulate_dtype(dts: list[str], attrs: dict[str, Any]) -> str:
    # PyTorch sums and multiplies integers and bools in int64
    return dts[0] if dtypes.is_float(dts[0]) else "int64"


def _float_dtype(op: str):
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        if not dtypes.is_float(dts[0]):
            raise DTypeError(f"{op}(): could not infer output dtype. Input dtype must be either "
                             f"a floating point or complex dtype. Got: {dts[0]}")
        return dts[0]
    return rule


def _keep(x: np.ndarray, axes: tuple[int, ...]) -> tuple[int, ...] | None:
    return tuple(axes) if x.ndim else None


def expand_back(b: Any, g: Any, shape: Shape, axes: tuple[int, ...], keepdim: bool) -> Any:
    """Broadcast a reduced cotangent back to the input ``shape``."""
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    if tuple(g.shape) != kept:
        g = b.reshape(g, shape=kept)
    if kept != tuple(shape):
        g = b.expand(g, shape=tuple(shape))
    return g


def _count(shape: Shape, axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[a] for a in axes])) if shape else 1


def _register_reduce(name: str, ref, vjp, dtype_rule) -> None:
    register(OpDef(name, 1, REDUCTION, _reduce_shape(name), dtype_rule, ref, vjp,
                   attrs={"axes": REQUIRED, "keepdim": False}))


def _sum_ref(x: np.ndarray, axes, keepdim):
    if x.ndim == 1 and axes and not keepdim and x.dtype.kind == "f":  # a vector's sum
        return np.asarray(np.add.reduce(x))  # the same call, without the keyword arguments
    out_dtype = x.dtype if x.dtype.kind == "f" else np.int64
    # np.add.reduce is what np.sum calls for an ndarray, without its Python-level wrapper
    return np.asarray(np.add.reduce(x, axis=_keep(x, axes), dtype=out_dtype, keepdims=keepdim))


def _sum_vjp(b, g, out, x, axes, keepdim):
    return (expand_back(b, g, x.shape, axes, keepdim),)


def _quiet(fn):
    """Run a numpy reduction without its RuntimeWarnings ("Mean of empty slice", "Degrees of
    freedom <= 0"): the result is nan as in PyTorch, and numpy's warning would leak through
    (or fail a warnings-as-errors run); the interpreter already silences floating point ones."""
    def ref(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)
    return ref


@_quiet
def _mean_numpy(x: np.ndarray, axes, keepdim):
    return np.asarray(np.mean(x, axis=_keep(x, axes), keepdims=keepdim), dtype=x.dtype)


_FLOAT_MEAN = (np.dtype(np.float32), np.dtype(np.float64))


def mean_reference(x: np.ndarray, axes, keepdim):
    """The ``mean`` op's reference: ``np.mean``. For float32/float64 and a non-empty count
    below 2**24, its two steps directly (the sum, then one division by the count, exact in
    the dtype: the quotient np.mean rounds through float64 rounds to the same float32),
    without its Python-level wrappers and the warning filter it needs for empty slices."""
    if x.dtype in _FLOAT_MEAN and x.ndim:
        shape = x.shape
        n = 1
        for a in axes:
            n *= shape[a]
        if 0 < n < 1 << 24:
            total = np.add.reduce(x, axis=tuple(axes), keepdims=keepdim)
            return np.asarray(total / x.dtype.type(n))
    return _mean_numpy(x, axes, keepdim)


def _mean_vjp(b, g, out, x, axes, keepdim):
    scale = b.scalar(1.0 / max(_count(x.shape, axes), 1), g.dtype)
    return (expand_back(b, b.mul(g, scale), x.shape, axes, keepdim),)


def _extreme_ref(fn, name):
    def ref(x: np.ndarray, axes, keepdim):
        if x.ndim == 1 and axes and not keepdim and x.size:  # a vector's extreme (x.max())
            return np.asarray(fn.reduce(x))  # the same call, without the keyword arguments
        _nonempty(name, x.shape, axes)
        # fn is np.maximum / np.minimum: their reduce is what np.max / np.min call
        return np.asarray(fn.reduce(x, axis=_keep(x, axes), keepdims=keepdim), dtype=x.dtype)
    return ref


def _extreme_vjp(b, g, out, x, axes, keepdim):
    # the gradient is shared evenly between tied extremes (PyTorch's amax/amin rule)
    full = expand_back(b, out, x.shape, axes, keepdim)
    hit = b.eq(x, full)
    if x.dtype in ("float16", "bfloat16", "float32", "float64"):
        # a nan extreme is shared between the nans (PyTorch's rule; nan == nan is false)
        hit = b.logical_or(hit, b.logical_and(b.ne(x, x), b.ne(full, full)))
    mask = b.cast(hit, dtype=g.dtype)
    count = b.sum(mask, axes=axes, keepdim=True)
    share = b.div(mask, b.expand(count, shape=tuple(x.shape)))
    return (b.mul(share, expand_back(b, g, x.shape, axes, keepdim)),)


def _prod_ref(x: np.ndarray, axes, keepdim):
    out_dtype = x.dtype if x.dtype.kind == "f" else np.int64
    return np.asarray(np.prod(x, axis=_keep(x, axes), keepdims=keepdim, dtype=out_dtype))


def _prod_vjp(b, g, out, x, axes, keepdim):
    # d prod / d x_i = product of the others; written so that zeros in x stay exact
    zero, one = b.scalar(0, x.dtype), b.scalar(1, x.dtype)
    is_zero = b.eq(x, zero)
    nonzero_prod = b.prod(b.where(is_zero, one, x), axes=axes, keepdim=True)
    zeros = b.sum(b.cast(is_zero, dtype=x.dtype), axes=axes, keepdim=True)
    full = expand_back(b, out, x.shape, axes, keepdim)
    others_if_no_zero = b.div(full, b.where(is_zero, one, x))
    only_zero = b.logical_and(is_zero, b.eq(b.expand(zeros, shape=tuple(x.shape)), one))
    grad = b.where(b.eq(b.expand(zeros, shape=tuple(x.shape)), zero), others_if_no_zero,
                   b.where(only_zero, b.expand(nonzero_prod, shape=tuple(x.shape)), zero))
    return (b.mul(grad, expand_back(b, g, x.shape, axes, keepdim)),)


@_quiet
def _var_ref(x: np.ndarray, axes, keepdim, correction):
    return np.asarray(np.var(x, axis=_keep(x, axes), keepdims=keepdim, ddof=correction),
                      dtype=x.dtype)


def _var_vjp(b, g, out, x, axes, keepdim, correction):
    n = _count(x.shape, axes)
    mean = expand_back(b, b.mean(x, axes=axes, keepdim=True), x.shape, axes, True)
    scale = b.scalar(2.0 / max(n - correction, 1), x.dtype)
    return (b.mul(b.mul(b.sub(x, mean), scale), expand_back(b, g, x.shape, axes, keepdim)),)


_register_reduce("sum", _sum_ref, _sum_vjp, _accumulate_dtype)
_register_reduce("mean", mean_reference, _mean_vjp, _float_dtype("mean"))
_register_reduce("max", _extreme_ref(np.maximum, "max"), _extreme_vjp, lambda d, a: d[0])
_register_reduce("min", _extreme_ref(np.minimum, "min"), _extreme_vjp, lambda d, a: d[0])
_register_reduce("prod", _prod_ref, _prod_vjp, _accumulate_dtype)
register(OpDef("var", 1, REDUCTION, _reduce_shape("var"), _float_dtype("var"), _var_ref,
               _var_vjp, attrs={"axes": REQUIRED, "keepdim": False, "correction": 1}))


def _arg_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    return _reduce_shape("argmax")(shapes, {"axes": (attrs["axis"],), "keepdim": attrs["keepdim"]})


def _arg_ref(fn, name):
    def ref(x: np.ndarray, axis, keepdim):
        _nonempty(name, x.shape, (axis,))
        if x.ndim == 0:
            return np.asarray(0, dtype=np.int64)
        return np.asarray(fn(x, axis=axis, keepdims=keepdim), dtype=np.int64)
    return ref


for _name, _fn in [("argmax", np.argmax), ("argmin", np.argmin)]:
    register(OpDef(_name, 1, REDUCTION, _arg_shape, lambda d, a: "int64", _arg_ref(_fn, _name),
                   None, attrs={"axis": REQUIRED, "keepdim": False}))

# ---------------------------------------------------------------- matmul


def _matmul_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    a, b = shapes
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(f"matmul: IR matmul takes operands of rank >= 2, got {list(a)} and "
                         f"{list(b)} (the frontend lifts vectors)")
    if a[-1] != b[-2]:
        raise ShapeError(
            f"matmul: mat1 and mat2 shapes cannot be multiplied ({a[-2]}x{a[-1]} and "
            f"{b[-2]}x{b[-1]}); inner dimensions {a[-1]} and {b[-2]} differ "
            f"(shapes {list(a)} @ {list(b)}); did you mean to transpose one operand (.T)?")
    batch = broadcast_shapes("matmul", a[:-2], b[:-2])
    return (*batch, a[-2], b[-1])


def _matmul_dtype(dts: list[str], attrs: dict[str, Any]) -> str:
    if dts[0] != dts[1]:
        raise DTypeError(f"matmul: expected m1 and m2 to have the same dtype, but got: "
                         f"{dts[0]} != {dts[1]}")
    if dts[0] == "bool":
        raise DTypeError("matmul: not implemented for 'Bool'")
    return dts[0]


def _swap_last(b, x):
    dims = list(range(len(x.shape)))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return b.permute(x, dims=tuple(dims))


def _matmul_vjp(b, g, out, x, y):
    gx = b.matmul(g, _swap_last(b, y))
    gy = b.matmul(_swap_last(b, x), g)
    return unbroadcast(b, gx, x.shape), unbroadcast(b, gy, y.shape)


register(OpDef("matmul", 2, CONTRACTION, _matmul_shape, _matmul_dtype,
               lambda x, y: np.asarray(np.matmul(x, y)), _matmul_vjp))
