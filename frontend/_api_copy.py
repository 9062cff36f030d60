"""The ``tenkai`` namespace's ``*_copy`` forms of the view ops (``torch.transpose_copy``,
``torch.unfold_copy``, ...: the view's values in a fresh tensor), the stacking functions
(``hstack``, ``vstack``, ``dstack``, ``column_stack``, ``row_stack``), the module-level
in-place forms (``torch.relu_``-style ``torch.clamp_``, ``torch.zero_``, ...) and small
constructors (``scalar_tensor``, ``asarray``, ``frombuffer``, ``from_file``, ``empty_strided``,
``empty_permuted``, ``range``, ``logspace``).

The copies and stacks are compositions of registry ops, so they trace and differentiate.
"""

from __future__ import annotations

import builtins
import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _contract, _creation, _ops, _shape
from ._dtype import as_dtype, get_default_dtype
from ._reduce import dims_arg
from ._tensor import Tensor

# ---------------------------------------------------------------- *_copy


def _fresh(out: Any) -> Any:
    """The view's values in new C-ordered tensors (as PyTorch's copies are contiguous)."""
    if isinstance(out, Tensor):
        return _shape.densify(_ops.clone(out))
    return tuple(_shape.densify(_ops.clone(t)) for t in out)


def alias_copy(input: Tensor) -> Tensor:
    return _fresh(input)


def detach_copy(input: Tensor) -> Tensor:
    return _fresh(input.detach())


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _fresh(_contract.diagonal(input, offset, dim1, dim2))


def expand_copy(input: Tensor, size: Sequence[int], *, implicit: bool = False) -> Tensor:
    return _fresh(_shape.expand(input, tuple(size)))


def permute_copy(input: Tensor, dims: Sequence[int]) -> Tensor:
    return _fresh(_shape.permute(input, tuple(dims)))


def select_copy(input: Tensor, dim: int, index: int) -> Tensor:
    (axis,) = dims_arg("select", dim, input.ndim)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return _fresh(input[(slice(None),) * axis + (index,)])


def slice_copy(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
               step: int = 1) -> Tensor:
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    (axis,) = dims_arg("slice", dim, input.ndim)
    return _fresh(input[(slice(None),) * axis + (slice(start, end, step),)])


def split_copy(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
    return _fresh(_shape.split(input, int(split_size), dim))


def split_with_sizes_copy(input: Tensor, split_sizes: Sequence[int],
                          dim: int = 0) -> tuple[Tensor, ...]:
    return _fresh(_shape.split(input, list(split_sizes), dim))


def squeeze_copy(input: Tensor, dim: Any = None) -> Tensor:
    return _fresh(_shape.squeeze(input, dim))


def t_copy(input: Tensor) -> Tensor:
    return _fresh(_shape.t(input))


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return _fresh(_shape.transpose(input, dim0, dim1))


def unbind_copy(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    return _fresh(_shape.unbind(input, dim))


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:
    return _fresh(_shape.unsqueeze(input, dim))


def view_copy(input: Tensor, size: Any) -> Tensor:
    return _fresh(_shape.view(input, size))


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All slices of length ``size`` along ``dimension``, ``step`` apart, as a new last dim."""
    if input.ndim == 0:
        return _fresh(_shape.reshape(input, (1,))) if size == 1 else _unfold_error(size, 1)
    (axis,) = dims_arg("unfold", dimension, input.ndim)
    length = input.shape[axis]
    if size > length:
        _unfold_error(size, length, axis)
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (length - size) // step + 1
    index = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    out = _ops.apply("take", (input, _ops.tensor_of(index, "int64")), axis=axis)
    return _shape.named(_shape.transpose(out, axis + 1, -1) if axis + 1 != out.ndim - 1
                        else out, "UnfoldBackward0_copy", input)


def _unfold_error(size: int, length: int, axis: int = 0) -> Any:
    raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size is "
                       f"{size}")


def _storage_positions(t: Tensor) -> tuple[np.ndarray, int, Tensor]:
    """Where each element of ``t`` (C order) sits in its storage, the storage's size, and the
    tensor holding that storage (the view's base, or ``t``)."""
    base = t._base if t._base is not None and t._base._data.flags.c_contiguous else None
    owner = base if base is not None else t
    start = 0
    if base is not None:
        start = (t._data.__array_interface__["data"][0]
                 - base._data.__array_interface__["data"][0]) // max(t._data.itemsize, 1)
    pos = np.full(tuple(t.shape), start, dtype=np.int64)
    for k, (n, s) in enumerate(zip(t.shape, t.stride(), strict=True)):
        pos = pos + (np.arange(n) * s).reshape((n,) + (1,) * (t.ndim - k - 1))
    size = owner.numel() if base is not None else (int(pos.max()) + 1 if pos.size else 0)
    return pos.reshape(-1), size, owner


def as_strided_copy(input: Tensor, size: Sequence[int], stride: Sequence[int],
                    storage_offset: int | None = None) -> Tensor:
    """The elements at ``storage_offset + sum(i_k * stride_k)`` of ``input``'s storage (a
    view's base; ``storage_offset`` defaults to the input's own), gathered into a new tensor.
    Gradients reach ``input`` when it holds every element read, else its base."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                           f"{len(stride)}")
    positions, storage, owner = _storage_positions(input)
    own_offset = int(positions.min()) if positions.size else 0
    offset = own_offset if storage_offset is None else int(storage_offset)
    wanted = np.full(size, offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride, strict=True)):
        wanted = wanted + (np.arange(n) * s).reshape((n,) + (1,) * (len(size) - k - 1))
    if wanted.size and (wanted.max() >= storage or wanted.min() < 0):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset} require a storage of {int(wanted.max()) + 1} "
                           f"elements, but the input's storage has {storage}")
    where_in_input = {int(p): i for i, p in enumerate(positions.tolist())}
    if all(int(p) in where_in_input for p in wanted.reshape(-1).tolist()):
        source = _shape.reshape(input, (-1,))
        index = np.vectorize(where_in_input.__getitem__, otypes=[np.int64])(wanted) \
            if wanted.size else wanted
    else:  # read the base; as in PyTorch, only the input's own elements get gradients
        flat = _shape.reshape(owner, (-1,))
        mine = np.zeros(storage, dtype=bool)
        mine[positions] = True
        source = _ops.where(_ops.tensor_of(mine, "bool"), flat, flat.detach())
        index = wanted
    return _shape.named(_ops.apply("take", (source, _ops.tensor_of(index, "int64")), axis=0),
                        "AsStridedBackward0_copy", input)


def indices_copy(input: Tensor) -> Tensor:
    raise RuntimeError("indices expected sparse coordinate tensor layout but got Strided")


def values_copy(input: Tensor) -> Tensor:
    raise RuntimeError("values expected sparse tensor layout but got Strided")


# ---------------------------------------------------------------- stacking


def _tensors(op: str, tensors: Any) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{_ops.type_name(tensors)}")
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return list(tensors)


def _at_least(t: Tensor, ndim: int) -> Tensor:
    """``atleast_{1,2,3}d``: a 0-d tensor becomes (1,), (1, 1), (1, 1, 1); a 1-d one (1, n)
    or (1, n, 1); a 2-d one (a, b, 1)."""
    if t.ndim >= ndim:
        return t
    if t.ndim == 0:
        return _shape.reshape(t, (1,) * ndim)
    if t.ndim == 1:
        return _shape.reshape(t, (1, t.numel()) if ndim == 2 else (1, t.numel(), 1))
    return _shape.reshape(t, (*t.shape, 1))


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [_at_least(t, 1) for t in _tensors("hstack", tensors)]
    return _shape.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [_at_least(t, 2) for t in _tensors("vstack", tensors)]
    return _shape.cat(ts, 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [_at_least(t, 3) for t in _tensors("dstack", tensors)]
    return _shape.cat(ts, 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    ts = [_shape.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t
          for t in _tensors("column_stack", tensors)]
    return _shape.cat(ts, 1)


# ---------------------------------------------------------------- fills, in-place forms


def fill(input: Tensor, value: Any) -> Tensor:
    """A new tensor of ``input``'s shape and dtype holding ``value`` (a number or 0-d tensor);
    ``input`` gets a zero gradient, a tensor ``value`` the sum of the output's."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    v = value if isinstance(value, Tensor) else _ops.tensor_of(value, input._ir_dtype)
    keep_all = _ops.tensor_of(True, "bool")
    return _shape.named(_ops.where(keep_all, _ops.cast(v, input._ir_dtype), input),
                        "FillBackward0", input, value)


def rsub(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """``other - alpha * input``: RsubBackward1 (the tensor's edge only) when ``other`` is a
    Python number, as ``number - x``; RsubBackward0 (input, other) for two tensors."""
    name = "RsubBackward0" if isinstance(other, Tensor) else "RsubBackward1"
    return _shape.named(_ops.sub(other, input, alpha=alpha), name, input, other)


def spmm(input: Tensor, mat2: Tensor) -> Tensor:
    """``mm`` (tenkai has dense layouts only)."""
    return _shape.mm(input, mat2)


def detach(input: Tensor) -> Tensor:
    return input.detach()


def detach_(input: Tensor) -> Tensor:
    return input.detach_()


def addmv_(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def fill_(input: Tensor, value: Any) -> Tensor:
    return input.fill_(value)


def zero_(input: Tensor) -> Tensor:
    return input.zero_()


def _module_inplace(name: str) -> Any:
    """``tenkai.ceil_(x)``: the module-level form of the method ``x.ceil_()``."""
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(input, name + "_")(*args, **kwargs)
    fn.__name__ = name + "_"
    return fn


ceil_, floor_, round_, clamp_, clip_, sigmoid_, tanh_ = (
    _module_inplace(n) for n in ("ceil", "floor", "round", "clamp", "clip", "sigmoid", "tanh"))


# ---------------------------------------------------------------- constructors


def _make(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    return t.requires_grad_(True) if requires_grad else t


def scalar_tensor(s: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: Any = None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor of ``s``, in the default float dtype unless ``dtype`` says otherwise."""
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    value = s.item() if isinstance(s, Tensor) else s
    return _creation.full((), value, dtype=dt, device=device, requires_grad=requires_grad)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """``obj`` as a tensor: a tensor or an ndarray is shared when the dtype allows and ``copy``
    is not True (``copy=False`` refuses to copy); sequences and numbers are copied."""
    dt = None if dtype is None else as_dtype(dtype)
    if isinstance(obj, (Tensor, np.ndarray)):
        out = obj if isinstance(obj, Tensor) else _creation.from_numpy(obj)
        if dt is not None and dt != out.dtype:
            if copy is False:
                raise ValueError(f"can't alias tensor with dtype '{out.dtype._legacy[:-6]}' "
                                 f"into dtype '{dt._legacy[:-6]}'.")
            out = _ops.cast(out.detach(), dt.name)
        elif copy:
            out = _ops.clone(out.detach())
    else:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        out = _creation.tensor(obj, dtype=dt, device=device)
    if requires_grad:
        out = out.detach().requires_grad_(True) if out.requires_grad else \
            out.requires_grad_(True)
    return out


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor sharing memory with a Python buffer (``bytearray``, ``memoryview``...)."""
    np_dt = as_dtype(dtype).to_numpy()
    nbytes = memoryview(buffer).nbytes
    if offset < 0 or offset >= max(nbytes, 1) and nbytes:
        raise ValueError(f"both buffer length ({nbytes}) and offset ({offset}) must be "
                         "non-negative and offset must be less than the buffer length")
    if count == 0 or (count < 0 and (nbytes - offset) == 0):
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if count < 0 and (nbytes - offset) % np_dt.itemsize:
        raise ValueError(f"buffer length ({nbytes - offset} after offset) must be a multiple of "
                         f"element size ({np_dt.itemsize})")
    if memoryview(buffer).readonly:
        warnings.warn("The given buffer is not writable, and PyTorch does not support "
                      "non-writable tensors. This means you can write to the underlying "
                      "(supposedly non-writable) buffer using the tensor.", UserWarning,
                      stacklevel=2)
    arr = np.frombuffer(buffer, dtype=np_dt, count=count, offset=offset)
    return _make(arr, requires_grad)


def from_file(filename: str, shared: bool | None = None, size: int = 0, *, dtype: Any = None,
              layout: Any = None, device: Any = None, pin_memory: bool = False) -> Tensor:
    """The first ``size`` elements of a raw binary file; ``shared=True`` maps the file, so
    writes to the tensor reach it."""
    np_dt = (as_dtype(dtype) if dtype is not None else get_default_dtype()).to_numpy()
    if not os.path.isfile(filename):
        mode = "read-write" if shared else "read-only"
        raise RuntimeError(f"unable to open file <{filename}> in {mode} mode: No such file or "
                           "directory (2)")
    if shared:
        arr = np.memmap(filename, dtype=np_dt, mode="r+", shape=(int(size),))
    else:
        arr = np.fromfile(filename, dtype=np_dt, count=int(size))
        if arr.size < size:
            raise RuntimeError(f"unexpected EOF, expected {size * np_dt.itemsize - arr.nbytes}"
                               f" more bytes. The file might be corrupted.")
    return Tensor._make(arr)


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: Any = None,
                  layout: Any = None, device: Any = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A zero-filled tensor with the given strides (``x.stride() == stride``)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                           f"{len(stride)}")
    np_dt = (as_dtype(dtype) if dtype is not None else get_default_dtype()).to_numpy()
    span = 1 + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) if all(size) else 0
    buf = np.zeros(max(span, 0), dtype=np_dt)
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(s * np_dt.itemsize for s in stride))
    return _make(arr, requires_grad)


def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype: Any = None,
                   layout: Any = None, device: Any = None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """A zero-filled tensor of ``size`` laid out in memory in ``physical_layout``'s order."""
    size, order = tuple(int(s) for s in size), tuple(int(d) for d in physical_layout)
    if sorted(order) != list(builtins.range(len(size))):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; or physical_layout is not a permutation: "
                           f"{list(order)}")
    np_dt = (as_dtype(dtype) if dtype is not None else get_default_dtype()).to_numpy()
    buf = np.zeros([size[d] for d in order], dtype=np_dt)
    return _make(np.transpose(buf, np.argsort(order)), requires_grad)


def range(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ..., end`` (``end`` included); deprecated as in PyTorch."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        raise TypeError("range() missing required argument 'end' (pos 2)")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    vals = np.float64(start) + np.float64(step) * np.arange(n, dtype=np.float64)
    if not dt.is_floating_point:
        vals = int(start) + int(step) * np.arange(n, dtype=np.int64)
    return _make(vals.astype(dt.to_numpy()), requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    if int(steps) < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    lo, hi = (float(v.item()) if isinstance(v, Tensor) else float(v) for v in (start, end))
    exps = np.linspace(lo, hi, int(steps), dtype=np.float64)
    vals = np.power(np.float64(base), exps)
    if not dt.is_floating_point:
        vals = np.trunc(vals)
    return _make(vals.astype(dt.to_numpy()), requires_grad)


NAMES = """alias_copy as_strided_copy column_stack detach_copy diagonal_copy dstack expand_copy
hstack indices_copy permute_copy row_stack select_copy slice_copy split_copy
split_with_sizes_copy squeeze_copy t_copy transpose_copy unbind_copy unfold_copy unsqueeze_copy
values_copy view_copy vstack fill rsub spmm detach detach_ addmv_ fill_ zero_ ceil_ floor_
round_ clamp_ clip_ sigmoid_ tanh_ scalar_tensor asarray frombuffer from_file empty_strided
empty_permuted range logspace""".split()
