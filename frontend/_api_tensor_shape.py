"""Shape methods of issue 13's API breadth, also ``torch.X`` functions: ``movedim``,
``narrow``, ``select``, ``tile``, ``tensor_split``/``hsplit``/..., ``unfold``, ``sum_to_size``,
``as_strided`` and the ``*_scatter`` family, and the in-place forms that change a tensor's
shape (``t_``, ``squeeze_``, ``resize_``, ``set_``...).

Each is a composite of registry ops (``slice``, ``take``, ``index_put``, ``slice_assign``,
``permute``...), so it differentiates through their VJPs and traces like the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from . import _ops, _trace
from ._contract import diag
from ._creation import _size
from ._indexing import _slice_assign, check_inplace, getitem, inplace_update
from ._node import NODE_SEQ, bind
from ._ops import apply, cast, tensor_of
from ._reduce import sum
from ._shape import chunk, named, permute, repeat, reshape, split, squeeze, t, transpose, unsqueeze
from ._tensor import Tensor

# ---------------------------------------------------------------- in-place shape changes


def _restride(self: Tensor, result: Tensor) -> Tensor:
    """``self`` becomes ``result`` (a new shape of its own values): PyTorch's in-place view
    ops (``t_``, ``squeeze_``...) change the metadata and bump the version."""
    check_inplace(self, self._ir_dtype)
    tracer = _trace.active()
    if tracer is not None:
        raise NotImplementedError("in-place shape changes (t_, squeeze_, resize_...) are not "
                                  "supported inside tenkai.compile; use the out-of-place form")
    self._data = result._data
    if result._node is not None:
        self._node = result._node
        bind(result._node, self)
    self._vc[0] += 1
    return self


def _shape_inplace(fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return _restride(self, fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


def _resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """Keep the first elements (in memory order) that fit the new size; new elements are 0
    (uninitialised in PyTorch)."""
    shape = _size(sizes)
    if any(d < 0 for d in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    flat = self._data.reshape(-1)
    n = int(np.prod(shape))
    data = np.zeros(n, dtype=self._data.dtype)
    data[:min(n, flat.size)] = flat[:min(n, flat.size)]
    return _restride(self, Tensor._make(data.reshape(shape)))


def _resize_as_(self: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    return _resize_(self, tuple(the_template.shape))


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    return _resize_as_(input, the_template)


def _resize(self: Tensor, *sizes: Any) -> Tensor:
    """The deprecated out-of-place ``resize``: a resized copy."""
    return _resize_(_ops.clone(self.detach()), *sizes)


def _set_(self: Tensor, source: Any = None, storage_offset: int = 0, size: Any = None,
          stride: Any = None) -> Tensor:
    """``x.set_(y)``: ``x`` shares ``y``'s memory (same values, sizes and version counter);
    ``x.set_()`` makes ``x`` empty."""
    if source is None:
        return _restride(self, Tensor._make(np.zeros((0,), self._data.dtype)))
    if not isinstance(source, Tensor):
        raise NotImplementedError("set_: only a source Tensor (or nothing) is supported by "
                                  "tenkai; storages are not part of its API")
    if size is not None:
        view = as_strided(source.detach(), size, stride if stride is not None else
                          _contiguous_strides(tuple(size)), storage_offset)
        return _restride(self, view)
    check_inplace(self, self._ir_dtype)
    if source._data.dtype != self._data.dtype:
        kind = source.dtype._legacy.removesuffix("Tensor")
        raise RuntimeError(f"Could not set tensor of type {kind} to a tensor of type "
                           f"{self.dtype._legacy.removesuffix('Tensor')}")
    self._data, self._vc = source._data, source._vc
    self._vc[0] += 1
    return self


# ---------------------------------------------------------------- dimensions


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (the transpose, for real tensors)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    return transpose(input, -2, -1)


def _dims(value: Any) -> list[int]:
    return [int(value)] if isinstance(value, int | np.integer) else [int(v) for v in value]


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (``x.movedim(0, -1)``)."""
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} "
                           "dims)")
    n = max(input.ndim, 1)
    src = [norm_axis("movedim", d, n) for d in src]
    dst = [norm_axis("movedim", d, n) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({_dims(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({_dims(destination)})")
    if input.ndim == 0:
        return permute(input, ())
    rest = iter(d for d in range(n) if d not in src)
    placed = dict(zip(dst, src, strict=True))
    order = [placed[i] if i in placed else next(rest) for i in range(n)]
    return permute(input, order)


moveaxis = movedim


def ravel(input: Tensor) -> Tensor:
    return reshape(input, (-1,))


def _swap_inplace(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return _restride(self, transpose(self, dim0, dim1))


# ---------------------------------------------------------------- slicing


def _slice(input: Tensor, axis: int, start: int, stop: int, step: int = 1,
           name: str = "SliceBackward0") -> Tensor:
    starts = tuple(start if i == axis else 0 for i in range(input.ndim))
    stops = tuple(stop if i == axis else d for i, d in enumerate(input.shape))
    steps = tuple(step if i == axis else 1 for i in range(input.ndim))
    return apply("slice", (input,), name=name, starts=starts, stops=stops, steps=steps)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` (a view in PyTorch)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    axis = norm_axis("narrow", dim, input.ndim)
    size = input.shape[axis]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start = start % size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return _slice(input, axis, start, start + length)


def narrow_copy(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    return _ops.clone(narrow(input, dim, start, length))


def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slice at ``index`` of ``dim``, without that dim (``x.select(1, 0)`` is ``x[:, 0]``)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = norm_axis("select", dim, input.ndim)
    size, i = input.shape[axis], int(index)
    if not -size <= i < size:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return named(getitem(input, (slice(None),) * axis + (i,)), "SelectBackward0", input)


def _region(input: Tensor, src: Tensor, items: list[Any], op: str) -> Tensor:
    expected = tuple(getitem(input.detach(), tuple(items)).shape)
    if tuple(src.shape) != expected:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(expected)}")
    return named(_slice_assign(input, items, cast(src, input._ir_dtype), op), op, input, src)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``src`` written at ``index`` of ``dim`` (a copy)."""
    axis = norm_axis("select_scatter", dim, input.ndim)
    size, i = input.shape[axis], int(index)
    if not -size <= i < size:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    items = [slice(None)] * input.ndim
    items[axis] = i
    return _region(input, src, items, "SelectScatterBackward0")


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: Any = None, end: Any = None,
                  step: int = 1) -> Tensor:
    """``input`` with ``src`` written at ``input[..., start:end:step, ...]`` (a copy)."""
    axis = norm_axis("slice_scatter", dim, input.ndim)
    items: list[Any] = [slice(None)] * input.ndim
    items[axis] = slice(start, end, step)
    return _region(input, src, items, "SliceScatterBackward0")


def _put_flat(input: Tensor, positions: np.ndarray, src: Tensor, name: str) -> Tensor:
    flat = reshape(input, (input.numel(),))
    pos = Tensor._make(np.asarray(positions, dtype=np.int64).reshape(-1))
    values = reshape(cast(src, input._ir_dtype), (pos.numel(),))
    out = apply("index_put", (flat, pos, values), axis=0, bounds="index_put")
    return named(reshape(out, tuple(input.shape)), name, input, src)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """``input`` with ``src`` written on the diagonal ``torch.diagonal`` reads (a copy)."""
    a = norm_axis("diagonal_scatter", dim1, input.ndim)
    b = norm_axis("diagonal_scatter", dim2, input.ndim)
    positions = np.diagonal(np.arange(input.numel()).reshape(tuple(input.shape)), offset, a, b)
    if tuple(src.shape) != positions.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(positions.shape)}")
    return _put_flat(input, positions, src, "DiagonalScatterBackward0")


def _fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal (of a tall matrix, every ``n + 1`` rows again
    with ``wrap``), in place."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mark = np.zeros(tuple(self.shape), dtype=bool)
    np.fill_diagonal(mark, True, wrap=wrap)
    positions = np.flatnonzero(mark)
    since = NODE_SEQ[0]
    src = tensor_of(np.full(positions.size, fill_value), self._ir_dtype)
    return inplace_update(self, _put_flat(self, positions, src, "CopySlices"), since)


def _contiguous_strides(size: tuple[int, ...]) -> tuple[int, ...]:
    out, acc = [], 1
    for d in reversed(size):
        out.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(out))


def _strided_positions(input: Tensor, size: Any, stride: Any, storage_offset: Any,
                       op: str) -> np.ndarray:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if not input._data.flags.c_contiguous:
        raise NotImplementedError(f"{op}: tenkai reads a non-contiguous input through its own "
                                  "elements, not its storage; call .contiguous() first")
    offset = 0 if storage_offset is None else int(storage_offset)
    pos = np.full(size, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride, strict=True)):
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    need = int(pos.max()) + 1 if pos.size else 0
    if need > input.numel():
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {input._data.itemsize} requiring a "
                           f"storage size of {need * input._data.itemsize} are out of bounds "
                           f"for storage of size {input.numel() * input._data.itemsize}")
    return pos


def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: Any = None) -> Tensor:
    """The elements at ``storage_offset + sum(i_k * stride_k)`` of the (contiguous) input;
    PyTorch returns a view, tenkai a copy with the same values and gradient."""
    pos = _strided_positions(input, size, stride, storage_offset, "as_strided")
    flat = reshape(input, (input.numel(),))
    out = apply("take", (flat, Tensor._make(pos)), axis=0, bounds="index")
    return named(out, "AsStridedBackward0", input)


def as_strided_(input: Tensor, size: Any, stride: Any, storage_offset: Any = None) -> Tensor:
    return _restride(input, as_strided(input, size, stride, storage_offset))


def as_strided_scatter(input: Tensor, src: Tensor, size: Any, stride: Any,
                       storage_offset: Any = None) -> Tensor:
    """``input`` with ``src`` written where ``as_strided(size, stride, offset)`` reads."""
    pos = _strided_positions(input, size, stride, storage_offset, "as_strided_scatter")
    if tuple(src.shape) != pos.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(pos.shape)}")
    return _put_flat(input, pos, src, "AsStridedScatterBackward0")


# ---------------------------------------------------------------- tiling and splitting


def tile(input: Tensor, dims: Any) -> Tensor:
    """``repeat`` with ``dims`` padded with leading 1s to the input's rank."""
    reps = _dims(dims)
    reps = [1] * (input.ndim - len(reps)) + reps
    return repeat(input, *reps)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``n`` nearly equal parts (the first ``size % n`` one longer), or the parts between
    the given indices."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    axis = norm_axis("tensor_split", dim, input.ndim)
    size = input.shape[axis]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.ndim > 1 or spec._data.dtype.kind not in "iu":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {spec.ndim} dims")
        spec = int(spec._data) if spec.ndim == 0 else spec._data.tolist()
    if isinstance(spec, int | np.integer):
        n = int(spec)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        small, extra = divmod(size, n)
        edges = np.cumsum([0] + [small + 1] * extra + [small] * (n - extra)).tolist()
    else:
        cuts = [min(max(int(i) + size if int(i) < 0 else int(i), 0), size) for i in spec]
        edges = [0, *cuts, size]
    return tuple(_slice(input, axis, a, max(a, b)) for a, b in zip(edges[:-1], edges[1:],
                                                                   strict=True))


def _split_along(name: str, dim: int, min_dims: int, input: Tensor, spec: Any) -> Any:
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(spec, int | np.integer):
        size = input.shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _split_along("hsplit", 1 if input.ndim > 1 else 0, 1, input, indices_or_sections)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _split_along("vsplit", 0, 2, input, indices_or_sections)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _split_along("dsplit", 2, 3, input, indices_or_sections)


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    return split(input, list(split_sizes), dim)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
    return split(input, split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes: Sequence[int],
                            dim: int = 0) -> tuple[Tensor, ...]:
    return split(input, list(split_sizes), dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return chunk(input, chunks, dim)


def _unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements, ``step`` apart, along ``dimension``, as a new last
    dim (``x.unfold(0, 2, 1)``)."""
    axis = norm_axis("unfold", dimension, max(self.ndim, 1))
    length = self.shape[axis] if self.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size "
                           f"is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    x = reshape(self, (1,)) if self.ndim == 0 else self
    count = (length - size) // step + 1
    index = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    windows = apply("take", (x, Tensor._make(index.astype(np.int64))), axis=axis,
                    bounds="index")
    order = [d for d in range(windows.ndim) if d != axis + 1] + [axis + 1]
    out = permute(windows, order)
    if self.ndim == 0:
        out = reshape(out, (size,))
    return named(out, "UnfoldBackward0", self)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input on the ``offset`` diagonal of a square matrix."""
    flat = reshape(input, (-1,))
    # PyTorch's diagflat is itself a composite: diag_embed of the flattened input
    return named(diag(flat, offset), "DiagEmbedBackward0", flat)


def _sum_to_size(self: Tensor, *size: Any) -> Tensor:
    """Sum ``self`` down to ``size`` (which must broadcast to ``self``'s shape)."""
    target = _size(size)
    shape = tuple(self.shape)
    lead = len(shape) - len(target)
    if lead < 0 or any(t not in (1, s) for t, s in zip(target, shape[lead:], strict=True)):
        raise RuntimeError(f"size {{{list(target)}}} is not expandable to size "
                           f"{{{list(shape)}}}.")
    out = self
    if lead:
        out = sum(out, tuple(range(lead)))
    dims = tuple(d for d, (t, s) in enumerate(zip(target, shape[lead:], strict=True))
                 if t == 1 and s != 1)
    if dims:
        out = sum(out, dims, keepdim=True)
    return out


SHAPE_INPLACE = {"squeeze_": squeeze, "unsqueeze_": unsqueeze, "t_": t,
                 "transpose_": transpose}

METHODS = {
    "resize_": _resize_, "resize_as_": _resize_as_, "resize": _resize,
    "resize_as": lambda self, tensor: _resize(self, tuple(tensor.shape)), "set_": _set_,
    "swapaxes_": _swap_inplace, "swapdims_": _swap_inplace,
    "adjoint": adjoint, "movedim": movedim, "moveaxis": moveaxis, "ravel": ravel,
    "narrow": narrow, "narrow_copy": narrow_copy, "select": select,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter, "as_strided": as_strided, "as_strided_": as_strided_,
    "as_strided_scatter": as_strided_scatter,
    # Tensor.tile takes the sizes as separate arguments too (x.tile(2, 1)); torch.tile not
    "tile": lambda self, *dims: tile(self, dims[0] if len(dims) == 1 else dims),
    "tensor_split": tensor_split,
    "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "split_with_sizes": split_with_sizes,
    "unsafe_split": unsafe_split, "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "unsafe_chunk": unsafe_chunk, "unfold": _unfold, "diagflat": diagflat,
    "sum_to_size": _sum_to_size, "fill_diagonal_": _fill_diagonal_,
    **{name: _shape_inplace(fn) for name, fn in SHAPE_INPLACE.items()},
}

FUNCTIONS = """resize_as_ adjoint movedim moveaxis ravel narrow narrow_copy select select_scatter
slice_scatter diagonal_scatter as_strided as_strided_ as_strided_scatter tile tensor_split hsplit
vsplit dsplit split_with_sizes unsafe_split unsafe_split_with_sizes unsafe_chunk
diagflat""".split()
