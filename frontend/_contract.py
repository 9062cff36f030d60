"""Contractions and matrix-structure helpers PyTorch has as kernels, written as compositions of
registry ops (so they trace, fuse and compile): ``addmm`` and family, ``addcmul``/``addcdiv``,
``einsum``, ``tensordot``, ``kron``, ``cross``, ``diag``/``diagonal``/``diag_embed``,
``tril``/``triu`` (+ ``_indices``) and ``trace``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from ._dtype import as_dtype
from ._ops import add, apply, as_tensor_arg, div, mul, promote, sub, tensor_of, where
from ._reduce import sum
from ._shape import bmm, cat, matmul, mm, mv, named, permute, reshape
from ._tensor import Tensor

# ---------------------------------------------------------------- addmm family


def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any, name: str) -> Tensor:
    """``beta * input + alpha * product``; ``beta == 0`` ignores ``input`` (nan included)."""
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # PyTorch ignores input then: its nan/inf do not propagate
        shape = tuple(np.broadcast_shapes(tuple(as_tensor_arg(input).shape),
                                          tuple(product.shape)))
        out = product if tuple(product.shape) == shape else \
            apply("expand", (product,), shape=shape)
    else:
        out = add(input if beta == 1 else mul(input, beta), product)
    return named(out, name)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha, "AddmmBackward0")


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha, "AddmvBackward0")


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha, "BaddbmmBackward0")


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _scaled_sum(input, sum(bmm(batch1, batch2), 0), beta, alpha, "AddbmmBackward0")


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    prod = mul(tensor1, tensor2)
    return named(add(input, prod if value == 1 else mul(prod, value)), "AddcmulBackward0")


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``."""
    (t1, t2), dt = promote(tensor1, tensor2)
    if not dt.startswith("float"):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float "
                           "inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    q = div(t1, t2)
    return named(add(input, q if value == 1 else mul(q, value)), "AddcdivBackward0")


# ---------------------------------------------------------------- einsum, tensordot, kron


def _einsum_parse(equation: str, operands: list[Tensor]) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in eq]
    width = max((t.ndim - len(term.replace("...", "")) for term, t in zip(terms, operands,
                                                                          strict=True)
                 if "..." in term), default=0)
    ell = "".join(spare[:width])
    subs = []
    for term, t in zip(terms, operands, strict=True):
        if "..." in term:
            n = t.ndim - len(term.replace("...", ""))
            term = term.replace("...", ell[width - n:])
        if len(term) != t.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(term)}) does not match the number of dimensions "
                               f"({t.ndim}) for operand {len(subs)} and no ellipsis was given")
        subs.append(term)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {c: "".join(subs).count(c) for c in "".join(subs)}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return subs, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation by broadcasting: each operand is permuted and unsqueezed onto one
    index order, multiplied, and the indices missing from the output are summed."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ops = [as_tensor_arg(t) for t in operands]
    ops, _ = promote(*ops) if len(ops) > 1 else (ops, None)
    subs, out = _einsum_parse(equation, ops)
    for k, term in enumerate(subs):  # a repeated subscript within an operand: its diagonal
        while len(set(term)) != len(term):
            c = next(c for c in term if term.count(c) > 1)
            i, j = term.index(c), term.index(c, term.index(c) + 1)
            if ops[k].shape[i] != ops[k].shape[j]:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but "
                                   f"the sizes don't match, {ops[k].shape[i]} != "
                                   f"{ops[k].shape[j]}")
            ops[k] = diagonal(ops[k], 0, i, j)
            term = term[:i] + term[i + 1:j] + term[j + 1:] + c
        subs[k] = term
    order = list(out) + sorted({c for s in subs for c in s} - set(out))
    sizes: dict[str, int] = {}
    total = None
    for term, t in zip(subs, ops, strict=True):
        for c, d in zip(term, t.shape, strict=True):
            if sizes.get(c, 1) not in (1, d) and d != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): subscript {c} has sizes "
                                   f"{sizes[c]} and {d}")
            sizes[c] = max(sizes.get(c, 1), d)
        present = [c for c in order if c in term]
        aligned = permute(t, [term.index(c) for c in present]) if present else t
        shape = [t.shape[term.index(c)] if c in term else 1 for c in order]
        aligned = reshape(aligned, shape)
        total = aligned if total is None else mul(total, aligned)
    contracted = tuple(range(len(out), len(order)))
    result = sum(total, contracted) if contracted else total
    return result if tuple(result.shape) == tuple(sizes.get(c, 1) for c in out) else \
        apply("expand", (result,), shape=tuple(sizes.get(c, 1) for c in out))


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract ``dims`` (a count, or two lists) of ``a`` with those of ``b``."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [norm_axis("tensordot", d, a.ndim) for d in da]
    db = [norm_axis("tensordot", d, b.ndim) for d in db]
    for x, y in zip(da, db, strict=True):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                               f"dim {y}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    a2 = reshape(permute(a, free_a + da), (-1, k) if a.numel() else
                 (int(np.prod([a.shape[d] for d in free_a])), k))
    b2 = reshape(permute(b, db + free_b), (k, int(np.prod([b.shape[d] for d in free_b]))))
    out = matmul(a2, b2)
    return reshape(out, [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: block ``(i, j)`` is ``input[i, j] * other``."""
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = reshape(input, [d for s in sa for d in (s, 1)])
    b = reshape(other, [d for s in sb for d in (1, s)])
    return named(reshape(mul(a, b), [x * y for x, y in zip(sa, sb, strict=True)]),
                 "UnsafeViewBackward0")


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """3-vector cross product along ``dim`` (PyTorch's default: the first dim of size 3)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    (a, b), _ = promote(input, other)
    shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = next((i for i, d in enumerate(shape) if d == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shape {list(shape)})")
    axis = norm_axis("cross", dim, len(shape))
    if shape[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[axis] if a.ndim == len(shape) else shape[axis]} and "
                           f"{b.shape[axis] if b.ndim == len(shape) else shape[axis]}")
    a = apply("expand", (a,), shape=shape) if tuple(a.shape) != shape else a
    b = apply("expand", (b,), shape=shape) if tuple(b.shape) != shape else b
    i1, i2 = tensor_of([1, 2, 0], "int64"), tensor_of([2, 0, 1], "int64")

    def pick(t: Tensor, idx: Tensor) -> Tensor:
        return apply("take", (t, idx), axis=axis)
    out = sub(mul(pick(a, i1), pick(b, i2)), mul(pick(a, i2), pick(b, i1)))
    return named(out, "LinalgCrossBackward0")


# ---------------------------------------------------------------- diagonals and triangles


def _diag_len(n: int, m: int, offset: int) -> int:
    return max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal over ``dim1``/``dim2`` moved to the last dim (a copy in tenkai)."""
    d1, d2 = norm_axis("diagonal", dim1, input.ndim), norm_axis("diagonal", dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(input.ndim) if d not in (d1, d2)]
    n, m = input.shape[d1], input.shape[d2]
    moved = permute(input, rest + [d1, d2])
    flat = reshape(moved, [input.shape[d] for d in rest] + [n * m])
    length = _diag_len(n, m, offset)
    rows = np.arange(length) + max(0, -offset)
    index = tensor_of(rows * m + rows + offset, "int64")
    return named(apply("take", (flat, index), axis=len(rest)), "DiagonalBackward0")


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal."""
    if input.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension, got 0")
    n = input.shape[-1]
    size = n + abs(offset)
    zeros = tensor_of(np.zeros(tuple(input.shape[:-1]) + (1,)), input._ir_dtype)
    padded = cat([input, zeros], -1)  # slot n: 0
    r, c = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    k = r if offset >= 0 else c
    index = np.where(c - r == offset, k, n)
    out = apply("take", (padded, tensor_of(index, "int64")), axis=input.ndim - 1)
    nd = out.ndim
    a1, a2 = norm_axis("diag_embed", dim1, nd), norm_axis("diag_embed", dim2, nd)
    if (a1, a2) != (nd - 2, nd - 1):
        rest = iter(range(nd - 2))
        perm = [nd - 2 if i == a1 else nd - 1 if i == a2 else next(rest) for i in range(nd)]
        out = permute(out, perm)
    return named(out, "DiagEmbedBackward0")


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D: a matrix with ``input`` on a diagonal; 2-D: that diagonal of the matrix."""
    if input.ndim == 1:
        return named(diag_embed(input, diagonal), "DiagBackward0")
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def _triangle(input: Tensor, diagonal: int, lower: bool, name: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{name.removesuffix('Backward0').lower()}: input tensor must have "
                           "at least 2 dimensions")
    n, m = input.shape[-2:]
    mask = np.tril(np.ones((n, m), bool), diagonal) if lower else \
        np.triu(np.ones((n, m), bool), diagonal)
    zero = tensor_of(0, input._ir_dtype)
    return named(where(tensor_of(mask, "bool"), input, zero), name)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero everything above the ``diagonal``-th diagonal."""
    return _triangle(input, diagonal, True, "TrilBackward0")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero everything below the ``diagonal``-th diagonal."""
    return _triangle(input, diagonal, False, "TriuBackward0")


def _tri_indices(fn: Any, row: int, col: int, offset: int, dtype: Any) -> Tensor:
    r, c = fn(row, offset, col)
    dt = as_dtype(dtype).name if dtype is not None else "int64"
    return Tensor._make(np.stack([r, c]).astype(dt).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """Coordinates (2, N) of the lower triangle of a ``row x col`` matrix."""
    return _tri_indices(np.tril_indices, row, col, offset, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """Coordinates (2, N) of the upper triangle of a ``row x col`` matrix."""
    return _tri_indices(np.triu_indices, row, col, offset, dtype)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return named(sum(diagonal(input)), "TraceBackward0")


FUNCTIONS = """addmm addmv addbmm baddbmm addcmul addcdiv einsum tensordot kron cross diag
diagonal diag_embed tril triu tril_indices triu_indices trace""".split()
METHODS = """addmm addmv addbmm baddbmm addcmul addcdiv kron cross diag diagonal diag_embed tril
triu trace""".split()
INPLACE = "addmm addmv addbmm baddbmm addcmul addcdiv tril triu".split()
