"""Indexed reads and writes of issue 13's API breadth: ``index_copy``/``index_fill``/
``index_put``/``index_reduce``, ``scatter``/``scatter_reduce``, ``masked_scatter``/
``masked_select``, ``put``/``take``/``take_along_dim``, as methods, ``torch.X`` functions and
in-place forms.

The differentiable cases are composites of the registry's indexing ops (``take``, ``gather``,
``scatter_add``, ``index_put``, ``index_add``, ``where``). The reductions without a registry op
(``prod``, ``amax``, ``amin``) run eagerly with NumPy and raise NotImplementedError when a
gradient or a compiled trace would need them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tenkai.ir import index_rules
from tenkai.ir.ops import norm_axis

from . import _eager_fast as fast
from . import _eager_fused, _scatter_fused, _trace
from ._indexing import _flat_setitem
from ._node import GRAD_MODE
from ._ops import add, apply, cast, div, eq, gt, logical_and, logical_not, sub, tensor_of, where
from ._shape import expand, gather, named, reshape, scatter_add
from ._tensor import Tensor

_REDUCE_IDENTITY = {"prod": 1, "amax": -np.inf, "amin": np.inf, "mean": 0, "sum": 0}
_UFUNCS = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum, "sum": np.add,
           "mean": np.add}


def _eager_reduce(op: str, reduce: str, *tensors: Tensor) -> bool:
    """The reductions without a registry op are computed with NumPy: not in a trace; returns
    whether a gradient is wanted (which ``prod`` does not have in tenkai)."""
    if _trace.active() is not None:
        raise NotImplementedError(f"{op}: reduce='{reduce}' is not supported inside "
                                  "tenkai.compile (no registry op); use scatter_reduce's 'sum' "
                                  "or 'mean', or compute it outside the compiled function")
    wanted = GRAD_MODE.enabled and any(t.requires_grad for t in tensors)
    if wanted and reduce == "prod":
        raise NotImplementedError(f"{op}: the gradient of reduce='prod' is not implemented in "
                                  "tenkai (sum, mean, amax and amin are differentiable)")
    return wanted


def _with_gradient(input: Tensor, src: Tensor, value: Tensor, spread: Any, pull: Any,
                   reduce: str, include_self: bool, name: str, given: Tensor) -> Tensor:
    """The NumPy result ``value`` with PyTorch's gradient: ``mean`` shares it between the
    reduced elements, ``amax``/``amin`` evenly between the elements equal to the result.
    ``spread`` adds a src-shaped tensor into an input-shaped one; ``pull`` reads back."""
    dt = input._ir_dtype
    zero = tensor_of(0, dt)
    hits = spread(tensor_of(np.ones(tuple(src.shape)), dt))
    hit = gt(hits, 0)
    if reduce == "mean":
        base = input if include_self else where(hit, zero, input)
        count = where(hit, add(hits, 1 if include_self else 0), tensor_of(1, dt))
        share = div(add(base, spread(src)), count)
    else:
        # PyTorch counts input's ties even where include_self=False leaves input out (its
        # gradient there is 0, but it takes its share): the same here
        self_tie = eq(input, value)
        src_tie = eq(src, pull(value))
        count = add(cast(self_tie, dt), spread(cast(src_tie, dt)))
        if not include_self:
            self_tie = logical_and(self_tie, logical_not(hit))
        total = add(where(self_tie, input, zero), spread(where(src_tie, src, zero)))
        share = div(total, where(gt(count, 0), count, tensor_of(1, dt)))
    exact = add(value, sub(share, share.detach()))  # NumPy's value, the composite's gradient
    return named(where(hit, exact, input), name, input, given)


def _identity(reduce: str, dtype: np.dtype) -> Any:
    value = _REDUCE_IDENTITY[reduce]
    if dtype.kind in "iub" and np.isinf(value):
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        return (info.min if value < 0 else info.max) if info else value < 0
    return value


def _legacy(t: Tensor) -> str:
    return t.dtype._legacy.removesuffix("Tensor")


def _vector_index(op: str, index: Tensor) -> Tensor:
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    if index._ir_dtype not in ("int64", "int32"):
        raise IndexError(f"{op}(): Expected a long tensor for index, but got "
                         f"{index.dtype._legacy.removesuffix('Tensor')}")
    return index


# ---------------------------------------------------------------- index_*


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with its slices ``index`` along ``dim`` replaced by ``source``'s."""
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    _vector_index("index_copy_", index)
    axis = norm_axis("index_copy", dim, max(input.ndim, 1))
    x = reshape(input, (1,)) if input.ndim == 0 else input
    src = reshape(source, (1,)) if source.ndim == 0 else source
    if src.ndim != x.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({input.ndim})")
    if index.numel() != src.shape[axis]:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({src.shape[axis]})")
    dest_slice = [d for k, d in enumerate(x.shape) if k != axis]
    src_slice = [d for k, d in enumerate(src.shape) if k != axis]
    for k, (a, b) in enumerate(zip(dest_slice, src_slice, strict=True)):
        if a != b:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                               f"shapes. Destination slice shape: {a} at dimension {k} and "
                               f"source slice shape: {b} at dimension {k}.")
    if fast.plain(input, source) and _in_range(index, 0, x.shape[axis]):
        data = np.array(x._data, copy=True)
        data[(slice(None),) * axis + (index._data.reshape(-1),)] = src._data
        return fast.result(data.reshape(input.shape), fresh=True)
    if _trace.active() is None and index.numel():
        flat, size = np.asarray(index._data).reshape(-1), x.shape[axis]
        bad = flat[(flat < 0) | (flat >= size)]
        if bad.size:  # PyTorch's IndexError (index_add's is a RuntimeError)
            raise IndexError(f"index_copy_(): index {int(bad[0])} is out of bounds for "
                             f"dimension {axis} with size {size}")
    if fast.plain(input, source):
        data = np.array(x._data, copy=True)
        idx = index_rules.check(index._data.reshape(-1), data.shape[axis], axis, "index_add")
        data[(slice(None),) * axis + (idx,)] = src._data
        return fast.result(data.reshape(input.shape))
    out = apply("index_put", (x, _as_vector(index), cast(src, x._ir_dtype)), axis=axis,
                bounds="index_add")
    return named(_shaped_like(out, input), "IndexCopyBackward0", input, source)


def _in_range(index: Tensor, low: int, size: int) -> bool:
    """Whether ``index`` (an integer tensor on the CPU) lies in ``[low, size)``: two
    reductions (the fast paths' check; out-of-range indices take the general path, which
    raises PyTorch's error)."""
    data = index._data
    return type(data) is np.ndarray and (not data.size or (
        int(data.min()) >= low and int(data.max()) < size))


def _as_vector(index: Tensor) -> Tensor:
    return index if index.ndim == 1 else reshape(index, (index.numel(),))


def _shaped_like(out: Tensor, input: Tensor) -> Tensor:
    """``out`` (``input`` or its 1-element vector, updated) in ``input``'s shape: no reshape
    recorded when it has it already."""
    return out if out.ndim == input.ndim else reshape(out, tuple(input.shape))


def _wrap_negative(index: Tensor, size: int, axis: int) -> Tensor:
    """``index_fill`` counts negative positions from the end (``index_copy``/``index_add``
    reject them), as in PyTorch: ``-size <= i < 0`` becomes ``i + size``; what stays out of
    range fails the bounds check with PyTorch's message."""
    if _trace.active() is not None or type(index._data) is not np.ndarray:
        # the step's indices change per call, a device's stay there: wrap them with tensor ops
        return where(gt(tensor_of(0, index._ir_dtype), index),
                     add(index, tensor_of(size, index._ir_dtype)), index)
    data = np.asarray(index._data)
    if data.size == 0 or data.min() >= 0:
        return index
    if data.min() < -size:
        bad = int(data[data < -size][0])
        raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
    return Tensor._make(np.where(data < 0, data + size, data).astype(data.dtype))


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """``input`` with its slices ``index`` along ``dim`` set to the scalar ``value``."""
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    _vector_index("index_fill_", index)
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    axis = norm_axis("index_fill", dim, max(input.ndim, 1))
    x = reshape(input, (1,)) if input.ndim == 0 else input
    if (type(value) in (int, float) and input._data.dtype.kind == "f" and fast.plain(input)
            and _in_range(index, -x.shape[axis], x.shape[axis])):
        data = np.array(x._data, copy=True)  # (numpy wraps the negative positions too)
        data[(slice(None),) * axis + (index._data.reshape(-1),)] = value
        return fast.result(data.reshape(input.shape), fresh=True)
    index = _wrap_negative(index, x.shape[axis], axis)
    v = cast(value, x._ir_dtype) if isinstance(value, Tensor) else tensor_of(value, x._ir_dtype)
    if fast.plain(input, v):
        data = np.array(x._data, copy=True)
        idx = index_rules.check(index._data.reshape(-1), data.shape[axis], axis, "index_add")
        data[(slice(None),) * axis + (idx,)] = v._data
        return fast.result(data.reshape(input.shape))
    out = apply("index_put", (x, _as_vector(index), v), axis=axis, bounds="index_add")
    name = "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0"
    return named(_shaped_like(out, input), name, input)


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``input[indices] = values`` (``accumulate``: ``+=``, duplicates summed) as a copy."""
    indices = tuple(indices)
    if len(indices) > max(input.ndim, 1):
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got "
                         f"{len(indices)})")
    v = values if isinstance(values, Tensor) else tensor_of(values, input._ir_dtype)
    if v._ir_dtype != input._ir_dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype._legacy.removesuffix('Tensor')} for the destination "
                           f"and {v.dtype._legacy.removesuffix('Tensor')} for the source.")
    if not accumulate:
        return named(_flat_setitem(input, indices, v, "IndexPutBackward0"), "IndexPutBackward0",
                     input, values)
    if _trace.active() is not None:
        for it in indices:
            _trace.active().escape(it, "index_put(indices)")
    positions = np.arange(input.numel()).reshape(tuple(input.shape))[
        tuple(i._data if isinstance(i, Tensor) else i for i in indices)]
    flat = reshape(input, (input.numel(),))
    pos = Tensor._make(np.asarray(positions, dtype=np.int64).reshape(-1))
    src = reshape(expand(v, np.shape(positions)), (pos.numel(),))
    out = apply("index_add", (flat, pos, src), axis=0, bounds="index_add")
    return named(reshape(out, tuple(input.shape)), "IndexPutBackward0", input, values)


_WARNED: list[bool] = []


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """Reduce ``source``'s slices into ``input``'s slices ``index`` along ``dim`` with
    ``reduce`` in ``prod``, ``mean``, ``amax``, ``amin`` (eager NumPy; no gradient)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    _vector_index("index_reduce_", index)
    if not _WARNED:  # PyTorch warns once per process
        _WARNED.append(True)
        warnings.warn("index_reduce() is in beta and the API may change at any time.",
                      UserWarning, stacklevel=2)
    wanted = _eager_reduce("index_reduce", reduce, input, source)
    axis = norm_axis("index_reduce", dim, max(input.ndim, 1))
    data = np.array(np.atleast_1d(input._data), copy=True)
    idx = index._data.reshape(-1).astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= data.shape[axis]):
        bad = idx[(idx < 0) | (idx >= data.shape[axis])][0]
        raise IndexError(f"index_reduce(): index {bad} is out of bounds for dimension {axis} "
                         f"with size {data.shape[axis]}")
    src = np.moveaxis(np.atleast_1d(source._data).astype(data.dtype), axis, 0)
    view = np.moveaxis(data, axis, 0)
    hit = np.unique(idx)
    if not include_self:
        view[hit] = _identity(reduce, data.dtype)
    _UFUNCS[reduce].at(view, idx, src)
    if reduce == "mean":
        counts = np.bincount(idx, minlength=view.shape[0])[hit] + (1 if include_self else 0)
        shape = (-1,) + (1,) * (view.ndim - 1)
        divided = view[hit] / counts.reshape(shape)
        view[hit] = np.floor(divided) if data.dtype.kind in "iu" else divided
    out = Tensor._make(data.reshape(input._data.shape))
    if not wanted:
        return out
    positions = reshape(index, (index.numel(),))
    zeros = tensor_of(np.zeros(tuple(input.shape)), input._ir_dtype)
    return _with_gradient(
        input, cast(source, input._ir_dtype), out,
        lambda t: apply("index_add", (zeros, positions, t), axis=axis, bounds="index_add"),
        lambda t: apply("take", (t, positions), axis=axis, bounds="index_select"),
        reduce, include_self, "IndexReduceBackward0", source)


# ---------------------------------------------------------------- scatter


def _scatter_hits(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """How many ``index`` entries land on each element of ``input`` (int64, recorded)."""
    zeros = tensor_of(np.zeros(tuple(input.shape)), "int64")
    ones = tensor_of(np.ones(tuple(index.shape)), "int64")
    return scatter_add(zeros, dim, index, ones)


def _scatter_src(index: Tensor, src: Any, dtype: str) -> Tensor:
    if isinstance(src, Tensor):
        return cast(src, dtype)
    return tensor_of(np.full(tuple(index.shape), src), dtype)


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """``input`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (dim 0) and so on; ``src``
    may be a number (``value``); ``reduce='add'``/``'multiply'`` combine instead of write."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated "
                          "and will be removed in a future PyTorch release. Use "
                          "torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        if reduce == "add":
            out = scatter_add(input, dim, index, _scatter_src(index, src, input._ir_dtype))
            return named(out, "ScatterReduceBackward0", input, src)
        return _scatter_eager(input, dim, index, src, "prod", True, "scatter")
    s = _scatter_src(index, src, input._ir_dtype)
    hits = _scatter_hits(input, dim, index)
    if hits.numel() and int(hits._data.max()) > 1:
        raise NotImplementedError("scatter: an index that repeats along dim (PyTorch leaves "
                                  "which value is written unspecified) is not supported by "
                                  "tenkai; use scatter_reduce or deduplicate the index")
    zeros = tensor_of(np.zeros(tuple(input.shape)), input._ir_dtype)
    written = scatter_add(zeros, dim, index, s)
    name = "ScatterBackward0" if isinstance(src, Tensor) else "ScatterBackward1"
    return named(where(gt(hits, 0), written, input), name, input, src)


def _scatter_eager(input: Tensor, dim: int, index: Tensor, src: Any, reduce: str,
                   include_self: bool, op: str) -> Tensor:
    tensors = (input, src) if isinstance(src, Tensor) else (input,)
    wanted = _eager_reduce(op, reduce, *tensors)
    axis = norm_axis(op, dim, max(input.ndim, 1))
    data = np.array(input._data, copy=True, order="C", ndmin=1)
    idx = index._data
    idx = idx.astype(np.int64) if idx.dtype != np.int64 or not idx.ndim else idx
    values = src._data if isinstance(src, Tensor) and src._data.dtype == data.dtype else \
        _scatter_src(index, src, input._ir_dtype)._data
    if values.shape != idx.shape:
        values = np.atleast_1d(values)[tuple(slice(0, d) for d in idx.shape)]
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if idx.size and (idx.min() < 0 or idx.max() >= data.shape[axis]):
        bad = idx[(idx < 0) | (idx >= data.shape[axis])].reshape(-1)[0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size "
                           f"{data.shape[axis]}")
    # one flat position per source element (C order: the order of the multi-index form, so
    # the same sequence of updates), on which ufunc.at runs its faster 1-D loop
    flat = np.zeros(idx.shape, np.int64)
    stride = 1
    for k in range(idx.ndim - 1, -1, -1):
        if k == axis:
            flat += idx * stride
        else:
            flat += np.arange(idx.shape[k], dtype=np.int64).reshape(
                (-1,) + (1,) * (idx.ndim - 1 - k)) * stride
        stride *= data.shape[k]
    flat = flat.reshape(-1)
    line = data.reshape(-1)
    if not include_self:
        line[flat] = _identity(reduce, data.dtype)
    _UFUNCS[reduce].at(line, flat, values.reshape(-1))
    if wanted and op == "scatter_reduce" and _eager_fused.available(input, src):
        return _scatter_fused.scatter_reduce(
            input, src, data.reshape(input._data.shape), flat, values, reduce, include_self,
            lambda i, s: scatter_reduce(i, dim, index, s, reduce, include_self=include_self))
    out = Tensor._make(data.reshape(input._data.shape))
    if not wanted:
        return out
    used = cast(src, input._ir_dtype)
    if tuple(used.shape) != tuple(index.shape):
        used = apply("slice", (used,), starts=(0,) * used.ndim, stops=tuple(index.shape),
                     steps=(1,) * used.ndim)
    zeros = tensor_of(np.zeros(tuple(input.shape)), input._ir_dtype)
    return _with_gradient(input, used, out, lambda t: scatter_add(zeros, dim, index, t),
                          lambda t: gather(t, dim, index), reduce, include_self,
                          "ScatterReduceBackward0", src)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with ``sum``, ``prod``,
    ``mean``, ``amax`` or ``amin`` (``include_self``: ``input``'s own value takes part)."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if reduce in ("prod", "amax", "amin") or (
            reduce == "sum" and isinstance(src, Tensor) and src._ir_dtype == input._ir_dtype
            and (fast.plain(input, src, index) or _eager_fused.available(input, src))):
        return _scatter_eager(input, dim, index, src, reduce, include_self, "scatter_reduce")
    s = cast(src, input._ir_dtype)
    hits = _scatter_hits(input, dim, index)
    hit = gt(hits, 0)
    base = input if include_self else where(hit, tensor_of(0, input._ir_dtype), input)
    total = scatter_add(base, dim, index, s)
    if reduce == "mean":
        count = add(hits, 1) if include_self else where(hit, hits, tensor_of(1, "int64"))
        mean = div(total, cast(count, input._ir_dtype) if input.is_floating_point() else count,
                   rounding_mode=None if input.is_floating_point() else "floor")
        total = where(hit, cast(mean, input._ir_dtype), input)
    return named(total, "ScatterReduceBackward0", input, src)


# ---------------------------------------------------------------- masks and flat positions


def _escape(op: str, *tensors: Tensor) -> None:
    tracer = _trace.active()
    if tracer is not None:
        for t in tensors:
            tracer.escape(t, op)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    if mask._ir_dtype != "bool":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _escape("masked_select(mask)", mask)
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(mask.shape)))
    x = input if tuple(input.shape) == shape else expand(input, shape)
    positions = np.flatnonzero(np.broadcast_to(mask._data, shape))
    flat = reshape(x, (x.numel(),))
    out = apply("take", (flat, Tensor._make(positions.astype(np.int64))), axis=0,
                bounds="index")
    return named(out, "MaskedSelectBackward0", input)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the elements where ``mask`` is True replaced, in order, by the first
    elements of ``source``."""
    if mask._ir_dtype != "bool":
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    _escape("masked_scatter(mask)", mask)
    if source._ir_dtype != input._ir_dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_legacy(input)} and {_legacy(source)}")
    positions = np.flatnonzero(np.broadcast_to(mask._data, tuple(input.shape)))
    if positions.size > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if fast.plain(input, source):
        data = np.array(input._data, copy=True, order="C")
        data.reshape(-1)[positions] = source._data.reshape(-1)[:positions.size]
        return fast.result(data)
    flat_src = reshape(source, (source.numel(),))
    picked = apply("take", (flat_src, Tensor._make(np.arange(positions.size))), axis=0,
                   bounds="index")
    flat = reshape(input, (input.numel(),))
    out = apply("index_put", (flat, Tensor._make(positions.astype(np.int64)), picked), axis=0,
                bounds="index_put")
    return named(reshape(out, tuple(input.shape)), "MaskedScatterBackward0", input, source)


def _flat_index(input: Tensor, index: Tensor, op: str) -> Tensor:
    if index._ir_dtype != "int64":
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                           f"{index.dtype._legacy.removesuffix('Tensor')}")
    n = input.numel()
    bad = index._data[(index._data < -n) | (index._data >= n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad.reshape(-1)[0])} on a "
                         f"tensor of {n} elements.")
    return index


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened input at ``index`` (negative counts from the end)."""
    _flat_index(input, index, "take")
    if fast.plain(input):
        return fast.result(np.take(input._data.reshape(-1), index._data), fresh=True)
    if _eager_fused.available(input):  # one step: the gradient counted back onto the input
        n, idx = input.numel(), index._data
        pos = np.where(idx < 0, idx + n, idx).reshape(-1)

        def backward(g: np.ndarray) -> np.ndarray:
            summed = np.bincount(pos, g.reshape(-1), n)
            return summed.reshape(input._data.shape).astype(g.dtype, copy=False)
        return _eager_fused.unary("TakeBackward0", input, np.take(input._data.reshape(-1), idx),
                                  backward, lambda t: take(t, index))
    flat = reshape(input, (input.numel(),))
    return named(apply("take", (flat, index), axis=0, bounds="index"), "TakeBackward0", input)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input.flatten()[index] = source.flatten()`` (``accumulate``: ``+=``), as a copy."""
    _flat_index(input, index, "put")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    if source._ir_dtype != input._ir_dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {input.dtype} and source.dtype = {source.dtype}")
    flat = reshape(input, (input.numel(),))
    pos = reshape(cast(index, "int64"), (index.numel(),))
    pos = where(pos < 0, add(pos, input.numel()), pos)
    src = reshape(source, (source.numel(),))
    out = apply("index_add" if accumulate else "index_put", (flat, pos, src), axis=0,
                bounds="index_add" if accumulate else "index_put")
    return named(reshape(out, tuple(input.shape)), "PutBackward0", input, source)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with ``input`` and ``indices`` broadcast against each other off ``dim``
    (``dim=None``: over the flattened input)."""
    if indices._ir_dtype != "int64":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_legacy(indices)}")
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    axis = norm_axis("take_along_dim", dim, input.ndim)
    xs, ix = list(input.shape), list(indices.shape)
    xs[axis] = ix[axis] = 1
    if xs == ix and fast.plain(input):  # the usual call: nothing to broadcast
        idx = index_rules.check(indices._data, input.shape[axis], axis, "gather")
        return fast.result(np.take_along_axis(input._data, idx, axis), fresh=True)
    if xs == ix and _eager_fused.available(input):  # one step: the gradient added back
        idx = index_rules.check(indices._data, input.shape[axis], axis, "gather")
        data = input._data
        return _eager_fused.unary(
            "GatherBackward0", input, np.take_along_axis(data, idx, axis),
            lambda g: _eager_fused.add_along(data.shape, axis, idx, g, data.dtype),
            lambda t: take_along_dim(t, indices, dim))
    for d, (a, b) in enumerate(zip(xs, ix, strict=True)):
        if a != b and 1 not in (a, b):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {d}")
    common = list(np.broadcast_shapes(tuple(xs), tuple(ix)))
    x_shape, i_shape = list(common), list(common)
    x_shape[axis], i_shape[axis] = input.shape[axis], indices.shape[axis]
    if fast.plain(input):
        data = np.broadcast_to(input._data, tuple(x_shape))
        idx = index_rules.check(np.broadcast_to(indices._data, tuple(i_shape)),
                                input.shape[axis], axis, "gather")
        return fast.result(np.take_along_axis(data, idx, axis), fresh=True)
    x = input if list(input.shape) == x_shape else expand(input, tuple(x_shape))
    i = indices if list(indices.shape) == i_shape else expand(indices, tuple(i_shape))
    return gather(x, axis, i)


METHODS = """index_copy index_fill index_put index_reduce scatter scatter_reduce masked_select
masked_scatter take put take_along_dim""".split()
INPLACE = """index_copy index_fill index_put index_reduce scatter scatter_reduce masked_scatter
put""".split()
FUNCTIONS = """index_copy index_fill index_put index_reduce scatter scatter_reduce masked_select
masked_scatter take put take_along_dim""".split()
MODULE_INPLACE = ["index_put"]
