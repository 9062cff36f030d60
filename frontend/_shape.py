"""Shape and data-movement functions (reshape/view/permute/cat/stack/split/gather...) and the
contractions (matmul, mm, bmm, dot, outer), all lowered to registry ops."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir.errors import ShapeError
from tenkai.ir.ops import fmt_shape, norm_axis

from . import _eager_fast as fast
from . import _profiling, _trace
from ._dtype import as_dtype
from ._node import GRAD_MODE
from ._ops import apply, as_tensor_arg, cast, check_tensor, mul, promote
from ._tensor import Tensor


def _sizes(args: Sequence[Any]) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))`` size arguments."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple([int(a) for a in args])


def named(t: Tensor, name: str, *inputs: Any) -> Tensor:
    """Give ``t``'s recorded node PyTorch's grad_fn name (composite ops end in one node).

    ``inputs`` are the inputs of the public op, in PyTorch's order (``None`` for an absent
    optional tensor; Python numbers are skipped): ``grad_fn.next_functions`` then shows one
    entry per input, as PyTorch's single backward node does, instead of the composite's
    interior nodes. Only the inputs' nodes are kept; the backward engine still walks
    ``node.inputs``."""
    node = t._node
    if node is not None and node.op is not None:
        node.name = name
        if inputs:  # (a plain loop: this runs on every eager composite call)
            shown = []
            for i in inputs:
                if isinstance(i, Tensor):
                    if i._node is node:  # an op that returned an input's node keeps its own
                        return t
                    shown.append(i._node)
                elif i is None:
                    shown.append(None)
            node.shown = shown
    return t


def alias(input: Tensor, name: str) -> Tensor:
    """A new view with the same shape: PyTorch's no-op views still make a new tensor (and a
    grad_fn), e.g. ``v.t()`` on a vector or ``x.reshape(x.shape)``."""
    return apply("reshape", (input,), name=name, shape=tuple(input.shape))


def infer_shape(shape: Sequence[int], numel: int, op: str = "reshape",
                old: Sequence[int] | None = None) -> tuple[int, ...]:
    """Resolve one ``-1`` in ``shape``; PyTorch's message, prefixed with the op's name."""
    shape = tuple([int(d) for d in shape])
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    asked = shape
    if -1 in shape:
        known = math.prod([d for d in shape if d != -1])
        if known and numel % known == 0:
            shape = tuple([numel // known if d == -1 else d for d in shape])
    if -1 in shape or math.prod(shape) != numel or (shape and min(shape) < 0):
        of = "" if old is None else f" (a tensor of shape {fmt_shape(old)})"
        raise ShapeError(f"{op}: shape '{fmt_shape(asked)}' is invalid for input of size "
                         f"{numel}{of}")
    return shape


def reshape(input: Tensor, *shape: Any) -> Tensor:
    data = input._data
    new = infer_shape(_sizes(shape), data.size, "reshape", data.shape)
    if new == data.shape:
        return alias(input, "ViewBackward0")
    name = "ViewBackward0" if data.flags.c_contiguous else "UnsafeViewBackward0"
    return apply("reshape", (input,), name=name, shape=new)


def view(input: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        raise NotImplementedError(f"view(dtype) reinterpretation is not supported "
                                  f"(asked for {as_dtype(shape[0])}); use .to(dtype)")
    new = infer_shape(_sizes(shape), input.numel(), "view", input.shape)
    try:
        if not input._data.flags.c_contiguous:  # contiguous data always has the view
            np.reshape(input._data, new, copy=False)
    except ValueError:
        raise RuntimeError("view: view size is not compatible with input tensor's size and "
                           "stride (at least one dimension spans across two contiguous "
                           f"subspaces): {fmt_shape(input.shape)} with strides "
                           f"{list(input.stride())} -> {fmt_shape(new)}. Use .reshape(...) "
                           "instead.") from None
    return apply("reshape", (input,), name="ViewBackward0", shape=new)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, tuple(other.shape))


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, tuple(other.shape))


def permute(input: Tensor, *dims: Any) -> Tensor:
    d = _sizes(dims)
    if len(d) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.ndim} is not equal to len(dims) = {len(d)}")
    d = tuple(norm_axis("permute", x, input.ndim) for x in d)
    if len(set(d)) != len(d):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply("permute", (input,), name="PermuteBackward0", dims=d)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input.ndim
    a, b = norm_axis("transpose", dim0, n), norm_axis("transpose", dim1, n)
    dims = list(range(n))
    dims[a], dims[b] = dims[b], dims[a]
    if n == 0:
        return input
    return apply("permute", (input,), name="TransposeBackward0", dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    if input.ndim < 2:
        return alias(input, "TBackward0")
    return apply("permute", (input,), name="TBackward0", dims=(1, 0))


def T(input: Tensor) -> Tensor:
    if input.ndim != 2:
        import warnings

        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases." if input.ndim == 0 else _T_DEPRECATED, UserWarning,
                      stacklevel=2)
    if input.ndim < 2:
        return alias(input, "PermuteBackward0")
    return apply("permute", (input,), name="PermuteBackward0",
                 dims=tuple(range(input.ndim))[::-1])


_T_DEPRECATED = ("The use of `x.T` on tensors of dimension other than 2 to reverse their shape "
                 "is deprecated and it will throw an error in a future release. Consider `x.mT` "
                 "to transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, "
                 "-1))` to reverse the dimensions of a tensor.")


def squeeze_dims(input: Tensor, dims: Sequence[int]) -> Tensor:
    new = tuple(d for i, d in enumerate(input.shape) if not (i in dims and d == 1))
    if new == tuple(input.shape):
        return input
    return apply("reshape", (input,), name="SqueezeBackward1", shape=new)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    if dim is None:
        out, name = squeeze_dims(input, range(input.ndim)), "SqueezeBackward0"
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        out = squeeze_dims(input, [norm_axis("squeeze", d, input.ndim) for d in dims])
        name = "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    return alias(input, name) if out is input else named(out, name)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    d = norm_axis("unsqueeze", dim, input.ndim + 1)
    new = (*input.shape[:d], 1, *input.shape[d:])
    return apply("reshape", (input,), name="UnsqueezeBackward0", shape=new)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    check_tensor(input, "flatten")
    if input.ndim == 0:
        return reshape(input, (1,))
    s, e = norm_axis("flatten", start_dim, input.ndim), norm_axis("flatten", end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = tuple(input.shape)
    return reshape(input, (*shape[:s], int(np.prod(shape[s:e + 1])), *shape[e + 1:]))


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    d = norm_axis("unflatten", dim, input.ndim)
    shape = tuple(input.shape)
    inner = infer_shape(sizes, shape[d], "unflatten")
    return reshape(input, (*shape[:d], *inner, *shape[d + 1:]))


def expand(input: Tensor, *sizes: Any) -> Tensor:
    new = list(_sizes(sizes))
    lead = len(new) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(new)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({input.ndim})")
    for i, d in enumerate(new):
        if d == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing "
                                   "dimension")
            new[i] = input.shape[i - lead]
    if tuple(new) == tuple(input.shape):
        return alias(input, "ExpandBackward0")
    return apply("expand", (input,), name="ExpandBackward0", shape=tuple(new))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other.shape))


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    reps = _sizes(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    out = [r * d for r, d in zip(reps, shape, strict=True)]
    for size in out:
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {out}")
    x = reshape(input, tuple(v for d in shape for v in (1, d)))
    x = expand(x, tuple(v for r, d in zip(reps, shape, strict=True) for v in (r, d)))
    return named(reshape(x, tuple(r * d for r, d in zip(reps, shape, strict=True))),
                 "RepeatBackward0", input)


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    if input.is_contiguous():
        return input
    return densify(apply("cast", (input,), name="CloneBackward0", dtype=input._ir_dtype))


def densify(t: Tensor) -> Tensor:
    """Give a freshly computed tensor a C-ordered buffer (the cast keeps its input's strides);
    its recorded node and its trace binding follow the new buffer."""
    if t._data.flags.c_contiguous:
        return t
    old = t._data
    t._data = np.ascontiguousarray(old)
    if t._node is not None:
        t._node.value = t._data
    if _trace.active() is not None:
        _trace.active().bind(t, _trace.active().node_of[id(old)])
    return t


def _tensor_list(tensors: Sequence[Any]) -> list[Tensor]:
    """The operands of cat/stack as tensors of one dtype (PyTorch's promotion when mixed)."""
    out = [x if isinstance(x, Tensor) else as_tensor_arg(x) for x in tensors]
    if out:
        dt = out[0]._data.dtype
        for x in out:
            if x._data.dtype != dt:
                return promote(*out)[0]
    return out


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    plain = fast.cat_arrays(tensors, dim)
    if plain is not None:  # records nothing, shapes as the rule wants: the reference's call
        return Tensor._make(np.concatenate(plain[0], axis=plain[1]))
    tensors = _tensor_list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    if tensors[0]._data.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = norm_axis("cat", dim, tensors[0]._data.ndim)
    return apply("cat", tensors, name="CatBackward0", axis=axis)


concat = concatenate = cat


def _plain_datas(tensors: Any) -> list[np.ndarray] | None:
    """The arrays of ``tensors`` when stacking them records nothing and needs no promotion:
    CPU tensors of one dtype and shape, none with autograd history (or grad mode off), no
    tracer or profiler; else None (the general path checks and records)."""
    if type(tensors) not in (list, tuple) or not tensors or _trace._LOCAL.tracer is not None \
            or _profiling.ACTIVE[0] is not None:
        return None
    grad, ndarray, tensor = GRAD_MODE.enabled, np.ndarray, Tensor
    head = tensors[0]
    if type(head) is not tensor or type(head._data) is not ndarray:
        return None
    shape, dtype = head._data.shape, head._data.dtype
    datas = []
    for x in tensors:
        if type(x) is not tensor:
            return None
        d = x._data
        if type(d) is not ndarray or (grad and x._node is not None):
            return None
        dt = d.dtype
        if (dt is not dtype and dt != dtype) or d.shape != shape:
            return None
        datas.append(d)
    return datas


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    datas = _plain_datas(tensors)
    if datas is not None:  # one pass over the list (32 small tensors: ~15% faster than three)
        first = datas[0].shape
        d = norm_axis("stack", dim, len(first) + 1)
        rows = fast.stack_rows(datas) if d == 0 else None
        if rows is not None:
            return Tensor._make(rows)
        if d < len(first):
            joined = np.concatenate(datas, axis=d)
            return Tensor._make(joined.reshape((*first[:d], len(tensors), *first[d:])))
        return Tensor._make(np.stack(datas, axis=d))
    tensors = _tensor_list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]._data.shape
    for k, x in enumerate(tensors):
        if x._data.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{fmt_shape(first)} at entry 0 and {fmt_shape(x.shape)} at "
                               f"entry {k}")
    d = norm_axis("stack", dim, len(first) + 1)
    if _trace._LOCAL.tracer is None and _profiling.ACTIVE[0] is None and (
            not GRAD_MODE.enabled or all(x._node is None for x in tensors)) and all(
            type(x._data) is np.ndarray for x in tensors):
        # nothing to record: the values computed below, as one fresh C-ordered buffer (as
        # PyTorch's stack gives)
        datas = [x._data for x in tensors]
        if d < len(first):
            joined = np.concatenate(datas, axis=d)
            return Tensor._make(joined.reshape((*first[:d], len(tensors), *first[d:])))
        return Tensor._make(np.stack(datas, axis=d))
    if not first:
        out = cat([unsqueeze(x, d) for x in tensors], d)
    elif d < len(first):
        # concatenating along d puts tensor j at d-positions [j*n, (j+1)*n): splitting that
        # axis into (count, n) is the stack (two ops instead of one unsqueeze per tensor)
        joined = apply("cat", tensors, name="CatBackward0", axis=d)
        out = apply("reshape", (joined,), shape=(*first[:d], len(tensors), *first[d:]))
    else:  # a new last dim: concatenate along the last, split, swap the two last axes
        out = reshape(cat(tensors, d - 1), (*first[:-1], len(tensors), first[-1]))
        out = transpose(out, -1, -2)
    if out._node is not None:
        out._node.name = "StackBackward0"
    return out


def _slice_along(input: Tensor, axis: int, start: int, stop: int) -> Tensor:
    starts = tuple(start if i == axis else 0 for i in range(input.ndim))
    stops = tuple(stop if i == axis else d for i, d in enumerate(input.shape))
    return apply("slice", (input,), name="SplitBackward0", starts=starts, stops=stops,
                 steps=(1,) * input.ndim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    axis = norm_axis("split", dim, tensor.ndim)
    size = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError("split_size must be a positive integer")
        bounds = [(a, min(a + step, size)) for a in range(0, max(size, 1), step)]
    else:
        sections = list(split_size_or_sections)
        if np.sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {axis}), but got "
                               f"split_sizes={sections}")
        edges = np.cumsum([0, *sections])
        bounds = list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))
    return tuple(_slice_along(tensor, axis, a, b) for a, b in bounds)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    size = input.shape[norm_axis("chunk", dim, input.ndim)]
    return split(input, max(1, -(-size // chunks)), dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    axis = norm_axis("unbind", dim, input.ndim)
    return tuple(named(squeeze_dims(p, [axis]), "UnbindBackward0", input)
                 for p in split(input, 1, axis))


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    axis = norm_axis("index_select", dim, input.ndim)
    return apply("take", (input, index), name="IndexSelectBackward0", axis=axis,
                 bounds="index_select")


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    axis = norm_axis("gather", dim, input.ndim)
    return apply("gather", (input, index), name="GatherBackward0", axis=axis)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    axis = norm_axis("scatter_add", dim, input.ndim)
    return apply("scatter_add", (input, index, cast(src, input._ir_dtype)),
                 name="ScatterAddBackward0", axis=axis)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: float = 1) -> Tensor:
    """``input`` with ``alpha * source`` added at rows ``index`` along ``dim`` (a copy).

    ``torch.index_add(torch.zeros(3, 2), 0, torch.tensor([0, 2]), torch.ones(2, 2))``
    """
    if index.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    axis = norm_axis("index_add", dim, input.ndim)
    src = cast(source, input._ir_dtype)
    if alpha != 1:
        src = src * alpha
    return apply("index_add", (input, index, src), name="IndexAddBackward0", axis=axis)


# ---------------------------------------------------------------- contractions


def _c_name(t: Tensor) -> str:
    """PyTorch's C type name of a dtype in matmul messages (float, double, long int...)."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}[t._ir_dtype]


def matmul(input: Tensor, other: Tensor) -> Tensor:
    a = input if type(input) is Tensor else as_tensor_arg(input)
    b = other if type(other) is Tensor else as_tensor_arg(other)
    if a._data.dtype != b._data.dtype:  # PyTorch does not promote in matmul
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_c_name(a)} != {_c_name(b)}")
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{len(sa)}D and {len(sb)}D")
    if len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0]:  # the common case: one mm
        return apply("matmul", (a, b), name="MmBackward0")
    _check_inner("matmul", sa, sb)
    lift_a, lift_b = len(sa) == 1, len(sb) == 1
    if lift_a:
        a = unsqueeze(a, 0)
    if lift_b:
        b = unsqueeze(b, 1)
    out = apply("matmul", (a, b), name="MmBackward0")
    if lift_a and lift_b:
        out = reshape(out, ())
    elif lift_a:
        out = squeeze_dims(out, [out.ndim - 2])
    elif lift_b:
        out = squeeze_dims(out, [out.ndim - 1])
    name = _matmul_name(input.ndim, other.ndim)
    # dot and mv are one PyTorch node on the two operands (the others end in a view/squeeze)
    return named(out, name, input, other) if name in ("DotBackward0", "MvBackward0") else \
        named(out, name)


def _matmul_name(da: int, db: int) -> str:
    """The grad_fn PyTorch's matmul ends with for these operand ranks."""
    if da <= 2 and db <= 2:
        return {(1, 1): "DotBackward0", (2, 1): "MvBackward0",
                (1, 2): "SqueezeBackward4"}.get((da, db), "MmBackward0")
    return "CloneBackward0" if da == 2 else "UnsafeViewBackward0"


def _check_inner(op: str, sa: Sequence[int], sb: Sequence[int]) -> None:
    """PyTorch's messages for mismatched contraction dims, prefixed by the op name."""
    ka, kb = sa[-1], sb[-2] if len(sb) > 1 else sb[-1]
    if ka == kb:
        return
    hint = "; did you mean to transpose one operand (.T)?"
    if len(sa) == 1 and len(sb) == 1:
        raise ShapeError(f"{op}: inconsistent tensor size, expected tensor [{ka}] and src [{kb}] "
                         f"to have the same number of elements, but got {ka} and {kb} elements "
                         "respectively")
    if len(sb) == 1 and len(sa) == 2:
        raise ShapeError(f"{op}: size mismatch, got input ({sa[0]}), mat ({sa[0]}x{sa[1]}), "
                         f"vec ({sb[0]}){hint}")
    ra = f"{sa[-2]}x{sa[-1]}" if len(sa) > 1 else f"1x{sa[0]}"
    rb = f"{sb[-2]}x{sb[-1]}" if len(sb) > 1 else f"{sb[0]}x1"
    raise ShapeError(f"{op}: mat1 and mat2 shapes cannot be multiplied ({ra} and {rb}); the inner "
                     f"dimensions of {fmt_shape(sa)} @ {fmt_shape(sb)} must match{hint}")


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    if input.ndim != 2 or mat2.ndim != 2:
        bad = input if input.ndim != 2 else mat2
        name = "self" if bad is input else "mat2"
        raise RuntimeError(f"{name} must be a matrix (got shapes {fmt_shape(input.shape)} and "
                           f"{fmt_shape(mat2.shape)})")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"batch1 and batch2 must be 3D tensors (got shapes "
                           f"{fmt_shape(input.shape)} and {fmt_shape(mat2.shape)})")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{input.shape[0]} and {mat2.shape[0]}")
    return named(matmul(input, mat2), "BmmBackward0")


def mv(input: Tensor, vec: Tensor) -> Tensor:
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {input.ndim}, "
                           f"{vec.ndim}")
    return matmul(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D "
                           "tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                           f"src [{tensor.shape[0]}] to have the same number of elements, but "
                           "got different numbers of elements")
    return matmul(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {input.ndim}D and {vec2.ndim}D")
    if _plain_same_float(input, vec2):  # the product's value without its graph
        return Tensor._make(np.multiply.outer(input._data, vec2._data))
    return mul(unsqueeze(input, 1), unsqueeze(vec2, 0))


def _plain_same_float(a: Any, b: Any) -> bool:
    """Two float tensors of one dtype on which eager work records nothing (_eager_fast)."""
    return (isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype == b._data.dtype
            and fast.plain_float(a, b))


ger = outer
