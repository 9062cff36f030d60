"""``x[index]`` and ``x[index] = value``, lowered to registry ops.

Reading: ints, slices, ``None`` and ``...`` become one ``slice`` plus one ``reshape``; index
tensors (int or bool, also lists/ndarrays) become one ``take`` over the advanced dims merged
into one (NumPy's rule for where the broadcast index dims go). Writing without autograd goes
straight into the buffer; with autograd it is the functional ``slice_assign`` / ``index_put``
/ ``where``, whose result replaces the tensor's value and history (see ``inplace_update``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from tenkai.ir.dtypes import category
from tenkai.ir.errors import IndexOutOfRange, ShapeError

from . import _profiling, _trace
from ._dtype import BY_NAME
from ._node import GRAD_MODE, NODE_SEQ, bind
from ._ops import apply, cast, tensor_of, where
from ._shape import alias, expand, unbind
from ._tensor import Tensor

_FULL = slice(None)


def _normalize(x: Tensor, index: Any) -> list[Any]:
    items = list(index) if isinstance(index, tuple) else [index]
    out: list[Any] = []
    for it in items:
        if isinstance(it, (list, np.ndarray)):
            it = Tensor._make(np.asarray(it))
        if isinstance(it, Tensor) and it._data.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if isinstance(it, (bool, np.bool_)):
            raise NotImplementedError("indexing with a Python bool is not supported")
        out.append(it)
    used = 0
    for it in out:
        if isinstance(it, Tensor) and it._data.dtype == np.bool_:
            used += max(it.ndim, 1)
        elif it is not None and it is not Ellipsis:
            used += 1
    if used > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    dots = [k for k, it in enumerate(out) if it is Ellipsis]  # identity: never Tensor.__eq__
    if len(dots) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = [_FULL] * (x.ndim - used)
    if dots:
        return out[:dots[0]] + fill + out[dots[0] + 1:]
    return out + fill


def _is_full(it: Any) -> bool:
    return isinstance(it, slice) and it == _FULL


def _keeps_all(it: slice, n: int) -> bool:
    """PyTorch skips a slice written as ``0:`` / ``:n`` / ``:`` (it does not wrap a negative
    start first, so ``-n:`` still makes a SliceBackward0)."""
    start = 0 if it.start is None else int(it.start)
    stop = n if it.stop is None else int(it.stop)
    return start == 0 and stop >= n and it.step in (None, 1)


def _basic(x: Tensor, items: list[Any],
           name: str = "AliasBackward0") -> tuple[Tensor, list[tuple[int, Tensor]]]:
    """Apply ints/slices/None; return the result and the advanced indices with their dims.

    The grad_fn is named after the last index item that changed something, since PyTorch
    applies an index left to right (``x[0, None]`` is an UnsqueezeBackward0)."""
    starts, stops, steps, shape, adv = [], [], [], [], []
    d = 0
    for it in items:
        if it is None:
            shape.append(1)
            name = "UnsqueezeBackward0"
            continue
        if isinstance(it, Tensor) and it._data.dtype == np.bool_:
            for k in range(it.ndim):
                starts.append(0), stops.append(x.shape[d + k]), steps.append(1)
            adv.append((len(shape), it))
            shape.extend(x.shape[d:d + it.ndim])
            d += it.ndim
            continue
        n = x.shape[d]
        if isinstance(it, Tensor):
            starts.append(0), stops.append(n), steps.append(1)
            adv.append((len(shape), it))
            shape.append(n)
        elif isinstance(it, slice):
            a, o, s = it.indices(n)
            if s <= 0:
                raise ValueError("step must be greater than zero")
            o = max(o, a)
            starts.append(a), stops.append(o), steps.append(s)
            shape.append(len(range(a, o, s)))
            if not _keeps_all(it, n):
                name = "SliceBackward0"
        else:
            i = int(it)
            if not -n <= i < n:
                raise IndexOutOfRange(f"index {i} is out of bounds for dimension {d} with "
                                      f"size {n}")
            i %= n
            starts.append(i), stops.append(i + 1), steps.append(1)
            name = "SelectBackward0"
        d += 1
    y = x
    whole = (tuple(starts), tuple(stops)) == ((0,) * x.ndim, tuple(x.shape))
    if not whole or any(s != 1 for s in steps):
        y = apply("slice", (x,), name=name, starts=tuple(starts), stops=tuple(stops),
                  steps=tuple(steps))
    if tuple(shape) != tuple(y.shape):
        y = apply("reshape", (y,), name=name, shape=tuple(shape))
    if y is x and not adv:
        y = alias(x, name)
    return y, adv


def _int_indices(y: Tensor, adv: list[tuple[int, Tensor]]) -> tuple[list[int], list[np.ndarray]]:
    """Expand bool masks into int index arrays (eager: mask values are known)."""
    dims, arrays = [], []
    for pos, idx in adv:
        data = idx._data
        if data.dtype == np.bool_:
            size = tuple(y.shape[pos:pos + data.ndim])
            if data.shape != size:
                raise IndexError(f"The shape of the mask {list(data.shape)} at index {pos} does "
                                 f"not match the shape of the indexed tensor {list(size)}")
            nz = np.nonzero(data) if data.ndim else (np.zeros(int(data), dtype=np.int64),)
            dims.extend(range(pos, pos + max(data.ndim, 1)))
            arrays.extend(a.astype(np.int64) for a in nz)
        else:
            dims.append(pos)
            arrays.append(data)
    return dims, arrays


def _merge_advanced(y: Tensor, adv: list[tuple[int, Tensor]]) -> tuple[Tensor, Tensor, int]:
    """Move the advanced dims together, merge them, and build one linear int64 index."""
    if any(idx._data.dtype == np.bool_ for _, idx in adv):
        if _trace.active() is not None:  # the mask's values decide the shape: read at trace time
            for _, idx in adv:
                _trace.active().escape(idx, "a boolean mask index")
        dims, arrays = _int_indices(y, adv)
        tensors = [tensor_of(a, "int64") for a in arrays]
    else:  # int32/int64 index the IR directly; other integer dtypes are cast
        dims = [d for d, _ in adv]
        tensors = [idx if idx._ir_dtype in ("int64", "int32") else cast(idx, "int64")
                   for _, idx in adv]
    try:
        np.broadcast_shapes(*[tuple(t.shape) for t in tensors])
    except ValueError:
        shapes = ", ".join(str(list(t.shape)) for t in tensors)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {shapes}") from None
    adjacent = dims == list(range(dims[0], dims[0] + len(dims)))
    at = dims[0] if adjacent else 0
    if len(dims) == 1:  # take itself wraps negatives and checks the range (bounds="index")
        return y, tensors[0], at
    checked = [_checked_index(t, y.shape[d], d, y.ndim) for d, t in zip(dims, tensors,
                                                                         strict=True)]
    rest = [i for i in range(y.ndim) if i not in dims]
    order = rest[:at] + dims + rest[at:]
    if order != list(range(y.ndim)):
        y = apply("permute", (y,), dims=tuple(order))
    sizes = [y.shape[at + k] for k in range(len(dims))]
    merged = (*y.shape[:at], int(np.prod(sizes)), *y.shape[at + len(dims):])
    y = apply("reshape", (y,), shape=merged)
    lin = checked[0]
    for a, n in zip(checked[1:], sizes[1:], strict=True):
        lin = lin * n + a
    return y, lin, at


def _checked_index(index: Tensor, n: int, d: int, ndim: int) -> Tensor:
    """``index`` (traced) wrapped into [0, n) and checked as dimension ``d`` of a tensor:
    a take from ``arange(n)`` laid along ``d``, under advanced indexing's rule."""
    positions = tensor_of(np.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1)),
                          "int64")
    out = apply("take", (positions, cast(index, "int64")), axis=d, bounds="index")
    return apply("reshape", (out,), shape=tuple(index.shape))


def _view(x: Tensor, data: np.ndarray) -> Tensor:
    """A tensor over ``data`` (numpy's basic indexing of ``x``'s buffer): a view of ``x``,
    sharing its version counter, unless it is empty (what ``apply`` gives a view op: basic
    indexing shares memory exactly when the result has elements)."""
    t = Tensor._make(data)
    if data.size:
        t._base = x._base if x._base is not None else x
        t._vc = x._vc
    return t


def _fast_items(x: Tensor, index: Any) -> tuple | None:
    """``index`` as a numpy basic index giving an array view, when it holds only ints (in
    range) and slices of ints with a positive step, at most one per dimension; else None."""
    items = index if type(index) is tuple else (index,)
    shape = x._data.shape
    if len(items) > len(shape):
        return None
    for it in items:
        kind = type(it)
        if kind is slice:
            if not ((it.step is None or (type(it.step) is int and it.step > 0))
                    and (it.start is None or type(it.start) is int)
                    and (it.stop is None or type(it.stop) is int)):
                return None
        elif kind is not int:
            return None
    for d, it in enumerate(items):
        if type(it) is int and not -shape[d] <= it < shape[d]:
            raise IndexOutOfRange(f"index {it} is out of bounds for dimension {d} with size "
                                  f"{shape[d]}")
    return (*items, Ellipsis)  # the Ellipsis keeps a full int index a 0-d array view


_INT_INDEX = (np.dtype(np.int64), np.dtype(np.int32))


def getitem(x: Tensor, index: Any) -> Tensor:
    # Eager reads without history (no grad recorded, no trace, no profiler) of a CPU tensor:
    # numpy's basic indexing is the slice + reshape the ops would compute, as a view of the
    # same buffer.
    if (x._node is None or not GRAD_MODE.enabled) and _trace._LOCAL.tracer is None and \
            _profiling.ACTIVE[0] is None and type(x._data) is np.ndarray and x._data.ndim:
        if type(index) is Tensor:  # one int64/int32 index tensor: numpy's take along dim 0
            idx = index._data
            if type(idx) is np.ndarray and idx.dtype in _INT_INDEX and idx.ndim:
                try:
                    return Tensor._make(x._data[idx])
                except IndexError:
                    pass  # out of range: the recorded path raises PyTorch's message
        else:
            items = _fast_items(x, index)
            if items is not None:
                return _view(x, x._data[items])
    if isinstance(index, (bool, np.bool_)) or (type(index) is Tensor and index.ndim == 0
                                               and index._data.dtype == np.bool_):
        # x[True], x[mask] with a 0-d mask: PyTorch unsqueezes a leading dim and masks it
        mask = index.reshape(1) if isinstance(index, Tensor) else Tensor._make(
            np.array([bool(index)]))
        return getitem(x.unsqueeze(0), mask)
    if x.ndim == 0 and isinstance(index, (int, np.integer, slice)) and not isinstance(index, bool):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    # A lone slice (``x[:]``) is a SliceBackward0 even when it keeps everything.
    y, adv = _basic(x, _normalize(x, index),
                    "SliceBackward0" if isinstance(index, slice) else "AliasBackward0")
    if not adv:
        return y
    y, lin, at = _merge_advanced(y, adv)
    return apply("take", (y, lin), name="IndexBackward0", axis=at)


# ---------------------------------------------------------------- writing


def _np_index(index: Any) -> Any:
    items = index if isinstance(index, tuple) else (index,)
    conv = tuple(it._data if isinstance(it, Tensor) else it for it in items)
    return conv if isinstance(index, tuple) else conv[0]


def check_inplace(x: Tensor, result_dtype: str) -> None:
    if GRAD_MODE.enabled and x.requires_grad and x.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    if category(result_dtype) > category(x._ir_dtype):
        raise RuntimeError(f"result type {_legacy_name(BY_NAME[result_dtype])} can't be cast to "
                           f"the desired output type {_legacy_name(x.dtype)}")


def _legacy_name(d: Any) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[d.name]


def inplace_update(x: Tensor, result: Tensor, since: int | None = None) -> Tensor:
    """Make ``x`` hold ``result``: in its buffer when no history is recorded, else by taking
    over the result's value and node (the old value stays intact for saved uses).

    ``since`` is the node counter before the in-place op computed ``result``: its own nodes
    may read the old value (PyTorch saves the original where a formula needs it); older
    readers see the version bump and fail at backward, as in PyTorch."""
    check_inplace(x, result._ir_dtype)
    if tuple(result.shape) != tuple(x.shape):
        raise ShapeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                         f"{list(result.shape)}")
    tracer = _trace.active()
    if tracer is not None:
        tracer.before_inplace(x)
    if result._node is None:
        try:
            np.copyto(x._data, result._data, casting="unsafe")
        except ValueError as err:
            raise RuntimeError(f"unsupported operation: cannot write into this tensor in place "
                               f"({err}); clone() it first") from None
        x._vc[0] += 1
        if tracer is not None:
            tracer.record_inplace(x, result)
        return x
    if x._base is not None:
        raise NotImplementedError("in-place modification of a view of another tensor while "
                                  "recording autograd history is not supported; clone() first")
    res = cast(result, x._ir_dtype)
    old_node = x._node
    x._vc[0] += 1  # the old value is now "modified": its saved uses fail at backward
    if since is None:  # caller did not say: the op's nodes are those newer than x's value
        since = old_node.seq + 1 if old_node is not None else 0
    _exempt_own_reads(res._node, x, old_node, since)
    x._data, x._node = res._data, res._node
    bind(res._node, x)
    if tracer is not None:
        tracer.record_inplace(x, res)
    return x


def _exempt_own_reads(node: Any, x: Tensor, old_node: Any, since: int) -> None:
    """Nodes of the in-place op itself may read ``x``'s pre-op value (it is intact, as the
    original PyTorch saves); other aliases of the memory (``x.detach()``) are not exempt."""
    def is_x(i: Any) -> bool:
        return i is old_node or (i.op is None and i.owner is not None and i.owner() is x)
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen or n.op is None or n.seq < since:
            continue
        seen.add(id(n))
        n.in_versions = tuple(x._vc[0] if is_x(i) else v
                              for i, v in zip(n.inputs, n.in_versions, strict=True))
        stack.extend(n.inputs)


def setitem(x: Tensor, index: Any, value: Any) -> None:
    needs_grad = isinstance(value, Tensor) and value.requires_grad
    if _trace.active() is not None or hasattr(x._data, "tk_device"):
        # traced: the write must be a recorded (functional) op; on a GPU: device kernels
        inplace_update(x, _functional_setitem(x, index, value), NODE_SEQ[0])
        return
    if not GRAD_MODE.enabled or not (x.requires_grad or needs_grad):
        check_inplace(x, x._ir_dtype)
        v = value._data if isinstance(value, Tensor) else value
        try:
            x._data[_np_index(index)] = v
        except IndexError as err:
            raise IndexOutOfRange(_torch_words(str(err))) from None
        except ValueError as err:
            raise RuntimeError(f"setitem: {err}") from None
        x._vc[0] += 1
        return
    since = NODE_SEQ[0]
    inplace_update(x, _functional_setitem(x, index, value), since)


def _functional_setitem(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x[index] = value`` as a new value for ``x`` (recorded): ``slice_assign`` for ints and
    slices, ``where`` for a full-shape mask, else ``index_put`` on the flattened tensor."""
    v = value if isinstance(value, Tensor) else tensor_of(value, x._ir_dtype)
    v = cast(v, x._ir_dtype)
    items = _normalize(x, index)
    adv = [it for it in items if isinstance(it, Tensor)]
    if not adv and all(it is not None for it in items):
        if all(isinstance(it, slice) and _keeps_all(it, n)
               for it, n in zip(items, x.shape, strict=True)):
            name = "FillBackward3" if v.ndim == 0 else "CopyBackwards"
        else:
            name = "CopySlices"
        return _slice_assign(x, items, v, name)
    if len(items) == 1 and adv[0]._data.dtype == np.bool_ and adv[0].shape == x.shape:
        out = where(adv[0], v, x)
        if out._node is not None:
            out._node.name = "IndexPutBackward0"
        return out
    # PyTorch writes through a view when the index also has ints/slices/None: CopySlices
    pure = all(isinstance(it, Tensor) or (isinstance(it, slice) and _keeps_all(it, n))
               for it, n in zip(items, _dim_sizes(x, items), strict=True))
    return _flat_setitem(x, index, v, "IndexPutBackward0" if adv and pure else "CopySlices")


def _dim_sizes(x: Tensor, items: list[Any]) -> list[int]:
    """The size of the dimension each normalized index item applies to (1 for None)."""
    sizes, d = [], 0
    for it in items:
        if it is None:
            sizes.append(1)
            continue
        sizes.append(x.shape[d] if d < x.ndim else 1)
        d += it.ndim if isinstance(it, Tensor) and it._data.dtype == np.bool_ else 1
    return sizes


def _flat_setitem(x: Tensor, index: Any, v: Tensor, name: str) -> Tensor:
    """Any index: find the flat positions it selects (NumPy's indexing rules, which PyTorch
    shares) and ``index_put`` the broadcast value there."""
    if _trace.active() is not None:  # the positions are computed from the index values here
        items = index if isinstance(index, tuple) else (index,)
        for it in items:
            if isinstance(it, Tensor):
                _trace.active().escape(it, "a tensor index in an assignment")
    try:
        positions = np.arange(x.numel()).reshape(tuple(x.shape))[_np_index(index)]
    except IndexError as err:
        raise IndexOutOfRange(_torch_words(str(err))) from None
    v = _strip_leading_ones(v, np.ndim(positions))
    flat = apply("reshape", (x,), shape=(x.numel(),))
    pos = Tensor._make(np.asarray(positions, dtype=np.int64).reshape(-1))
    src = apply("reshape", (expand(v, np.shape(positions)),), shape=(pos.numel(),))
    out = apply("index_put", (flat, pos, src), axis=0)
    return apply("reshape", (out,), name=name, shape=tuple(x.shape))


def _torch_words(numpy_message: str) -> str:
    return re.sub(r"\baxis\b", "dimension", numpy_message).replace("indexing arrays",
                                                                    "indexing tensors")


def _strip_leading_ones(v: Tensor, ndim: int) -> Tensor:
    """PyTorch (and NumPy) drop leading size-1 dims of a value wider than its target."""
    while v.ndim > ndim and v.shape[0] == 1:
        v = apply("reshape", (v,), shape=tuple(v.shape[1:]))
    return v


def _slice_assign(x: Tensor, items: list[Any], v: Tensor, name: str) -> Tensor:
    starts, stops, steps, keep = [], [], [], []
    for d, it in enumerate(items):
        n = x.shape[d]
        if isinstance(it, slice):
            a, o, s = it.indices(n)
            if s <= 0:
                raise ValueError("step must be greater than zero")
            starts.append(a), stops.append(max(o, a)), steps.append(s), keep.append(True)
        else:
            i = int(it)
            if not -n <= i < n:
                raise IndexOutOfRange(f"index {i} is out of bounds for dimension {d} with "
                                      f"size {n}")
            starts.append(i % n), stops.append(i % n + 1), steps.append(1), keep.append(False)
    region = [len(range(a, o, s)) for a, o, s in zip(starts, stops, steps, strict=True)]
    kept = tuple(r for r, k in zip(region, keep, strict=True) if k)
    v = _strip_leading_ones(v, len(kept))
    if tuple(v.shape) != kept and v.ndim:
        v = expand(v, kept)
    if v.ndim:
        v = apply("reshape", (v,), shape=tuple(region))
    return apply("slice_assign", (x, v), name=name, starts=tuple(starts),
                 stops=tuple(stops), steps=tuple(steps))


def iterate(x: Tensor) -> Any:
    """``iter(x)``: PyTorch's ``iter(x.unbind(0))``. Without history the elements are numpy
    views of the buffer, made in one pass; with it, one ``unbind`` records them all."""
    if x._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    if _trace._LOCAL.tracer is not None:  # traced: one recorded read per element
        return iter([getitem(x, i) for i in range(x._data.shape[0])])
    if (x._node is None or not GRAD_MODE.enabled) and _profiling.ACTIVE[0] is None:
        data = x._data
        if not data.size:
            return iter([Tensor._make(data[i, ...]) for i in range(data.shape[0])])
        base = x._base if x._base is not None else x
        vc = x._vc
        out = []
        for i in range(data.shape[0]):
            t = Tensor._make(data[i, ...])
            t._base, t._vc = base, vc
            out.append(t)
        return iter(out)
    return iter(unbind(x, 0))
