"""Contractions and matrix-structure helpers PyTorch has as kernels, written as compositions of
registry ops (so they trace, fuse and compile): ``addmm`` and family, ``addcmul``/``addcdiv``,
``einsum``, ``tensordot``, ``kron``, ``cross``, ``diag``/``diagonal``/``diag_embed``,
``tril``/``triu`` (+ ``_indices``) and ``trace``.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from . import _eager_fast as fast
from . import _eager_fused
from ._contract_data import cross_data, kron_data
from ._contract_fused import scaled_product
from ._dtype import as_dtype
from ._ops import add, apply, as_tensor_arg, div, mul, promote, sub, tensor_of, where
from ._reduce import sum
from ._shape import bmm, matmul, mm, mv, named, permute, reshape
from ._tensor import Tensor

# ---------------------------------------------------------------- addmm family


def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any, name: str,
                *operands: Tensor) -> Tensor:
    """``beta * input + alpha * product``; ``beta == 0`` ignores ``input`` (nan included).
    ``operands``: the product's factors (the op's other inputs, for ``next_functions``)."""
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # PyTorch ignores input then: its nan/inf do not propagate
        shape = tuple(np.broadcast_shapes(tuple(as_tensor_arg(input).shape),
                                          tuple(product.shape)))
        out = product if tuple(product.shape) == shape else \
            apply("expand", (product,), shape=shape)
    else:
        out = add(input if beta == 1 else mul(input, beta), product)
    return named(out, name, input, *operands)


def _number(v: Any) -> bool:
    return type(v) in (int, float)


def _same_float(*ts: Any) -> bool:
    """All plain float tensors of one dtype, with nothing recording (the fast paths' case)."""
    if not fast.plain_float(*ts):
        return False
    dtype = ts[0]._data.dtype
    return all(t._data.dtype == dtype for t in ts)


def _scaled_sum_plain(input: Any, product: Any, beta: Any, alpha: Any) -> Tensor | None:
    """:func:`_scaled_sum` of ``product`` (a function of the data, run only when the fast path
    applies), or None when the composite must run (recording, mixed dtypes, a product or an
    input broadcast PyTorch rejects: the composite raises its error)."""
    if not (isinstance(input, Tensor) and _number(beta) and _number(alpha)):
        return None
    p = product()
    if p is None:
        return None
    if input._data.shape != p.shape:  # (np.broadcast_shapes costs ~4 us: only when needed)
        try:
            if np.broadcast_shapes(input._data.shape, p.shape) != p.shape:
                return None
        except ValueError:
            return None
    dt = p.dtype
    if alpha != 1:
        p = p * dt.type(alpha)
    if beta == 0:
        return fast.result(p)
    return fast.result((input._data if beta == 1 else input._data * dt.type(beta)) + p, fresh=True)


def _plain_product(fn: Any, input: Any, a: Any, b: Any, ranks: tuple[int, int]) -> Any:
    """``fn(a, b)`` on the data when ``input``, ``a``, ``b`` are plain floats of one dtype with
    the ranks ``ranks`` and matching inner sizes, else a function giving None."""
    def run() -> np.ndarray | None:
        if not (isinstance(a, Tensor) and isinstance(b, Tensor) and _same_float(input, a, b)):
            return None
        x, y = a._data, b._data
        if (x.ndim, y.ndim) != ranks:
            return None
        inner = y.shape[-2] if y.ndim > 1 else y.shape[0]
        if x.shape[-1] != inner or (x.ndim == 3 and x.shape[0] != y.shape[0]):
            return None
        return fn(x, y)
    return run


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    out = _scaled_sum_plain(input, _plain_product(np.matmul, input, mat1, mat2, (2, 2)), beta,
                            alpha)
    if out is None and isinstance(input, Tensor) and _number(beta) and _number(alpha):
        out = scaled_product("AddmmBackward0", input, mat1, mat2, beta, alpha,
                             lambda c, a, b: addmm(c, a, b, beta=beta, alpha=alpha))
    if out is not None:
        return out
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha, "AddmmBackward0", mat1, mat2)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    out = _scaled_sum_plain(input, _plain_product(np.matmul, input, mat, vec, (2, 1)), beta,
                            alpha)
    if out is None and isinstance(input, Tensor) and _number(beta) and _number(alpha):
        out = scaled_product("AddmvBackward0", input, mat, vec, beta, alpha,
                             lambda c, a, b: addmv(c, a, b, beta=beta, alpha=alpha))
    if out is not None:
        return out
    return _scaled_sum(input, mv(mat, vec), beta, alpha, "AddmvBackward0", mat, vec)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    out = _scaled_sum_plain(input, _plain_product(np.matmul, input, batch1, batch2, (3, 3)),
                            beta, alpha)
    if out is not None:
        return out
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha, "BaddbmmBackward0",
                       batch1, batch2)


def _summed_bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_b a[b] @ b[b]`` as one product: (M, B*K) @ (B*K, N)."""
    m, n = a.shape[1], b.shape[2]
    return np.transpose(a, (1, 0, 2)).reshape(m, -1) @ b.reshape(-1, n)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    out = _scaled_sum_plain(input, _plain_product(_summed_bmm, input, batch1, batch2, (3, 3)),
                            beta, alpha)
    if out is not None:
        return out
    return _scaled_sum(input, sum(bmm(batch1, batch2), 0), beta, alpha, "AddbmmBackward0",
                       batch1, batch2)


def _addc_plain(fn: Any, input: Any, t1: Any, t2: Any, value: Any) -> Tensor | None:
    """``input + value * fn(t1, t2)`` on the data, or None (see :func:`_scaled_sum_plain`)."""
    if not (_number(value) and isinstance(input, Tensor) and isinstance(t1, Tensor)
            and isinstance(t2, Tensor) and _same_float(input, t1, t2)):
        return None
    data = input._data
    try:  # (shapes that do not broadcast: numpy's ValueError, before anything is written)
        with np.errstate(all="ignore"):
            q = fn(t1._data, t2._data)
            if value != 1:
                q = q * data.dtype.type(value) if type(q) is not np.ndarray else \
                    np.multiply(q, data.dtype.type(value), out=q)
            if type(q) is np.ndarray and q.shape == data.shape:
                return Tensor._make(np.add(data, q, out=q))  # (the same sum as data + q)
            return fast.result(data + q, fresh=True)
    except ValueError:
        return None


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    out = _addc_plain(np.multiply, input, tensor1, tensor2, value)
    if out is not None:
        return out
    prod = mul(tensor1, tensor2)
    return named(add(input, prod if value == 1 else mul(prod, value)), "AddcmulBackward0",
                 input, tensor1, tensor2)


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
    out = _addc_plain(np.divide, input, tensor1, tensor2, value)
    if out is not None:
        return out
    q = div(t1, t2)
    return named(add(input, q if value == 1 else mul(q, value)), "AddcdivBackward0",
                 input, tensor1, tensor2)


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
    if len(ops) == 2:
        pair = _einsum_pair(subs, ops, out)
        if pair is not None:
            return pair
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


def _einsum_pair(subs: list[str], ops: list[Tensor], out: str) -> Tensor | None:
    """Two operands with distinct subscripts and equal sizes for shared ones, as one batched
    matmul: (batch, left free, contracted) @ (batch, contracted, right free), then the output
    order (subscripts of one operand only are summed first). None: use broadcasting."""
    (sa, sb), (a, b) = subs, ops
    for c in set(sa) & set(sb):
        if a.shape[sa.index(c)] != b.shape[sb.index(c)]:
            return None
    lone_a = tuple(i for i, c in enumerate(sa) if c not in sb and c not in out)
    lone_b = tuple(i for i, c in enumerate(sb) if c not in sa and c not in out)
    if lone_a:
        a, sa = sum(a, lone_a), "".join(c for i, c in enumerate(sa) if i not in lone_a)
    if lone_b:
        b, sb = sum(b, lone_b), "".join(c for i, c in enumerate(sb) if i not in lone_b)
    size = {**dict(zip(sa, a.shape, strict=True)), **dict(zip(sb, b.shape, strict=True))}
    batch = [c for c in out if c in sa and c in sb]
    left = [c for c in out if c in sa and c not in sb]
    right = [c for c in out if c in sb and c not in sa]
    con = [c for c in sa if c in sb and c not in out]

    def count(cs: list[str]) -> int:
        return math.prod(size[c] for c in cs)
    perm_a, perm_b = [sa.index(c) for c in batch + left + con], \
        [sb.index(c) for c in batch + con + right]
    shape_a = (count(batch), count(left), count(con))
    shape_b = (count(batch), count(con), count(right))
    got = batch + left + right
    if _same_float(a, b):  # the same steps on arrays
        prod = np.matmul(a._data.transpose(perm_a).reshape(shape_a),
                         b._data.transpose(perm_b).reshape(shape_b))
        prod = prod.reshape([size[c] for c in got])
        return fast.result(prod.transpose([got.index(c) for c in out]) if got != list(out)
                           else prod)
    a3 = _reshaped(_permuted(a, perm_a), shape_a)
    b3 = _reshaped(_permuted(b, perm_b), shape_b)
    prod = reshape(matmul(a3, b3), [size[c] for c in got])
    return permute(prod, [got.index(c) for c in out]) if got != list(out) else prod


def _permuted(t: Tensor, perm: list[int]) -> Tensor:
    """``permute(t, perm)``; ``t`` itself when ``perm`` keeps the order (no node)."""
    return t if perm == list(range(t.ndim)) else permute(t, perm)


def _reshaped(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``reshape(t, shape)``; ``t`` itself when it has that shape (no node)."""
    return t if tuple(t.shape) == shape else reshape(t, shape)


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
    if isinstance(a, Tensor) and isinstance(b, Tensor) and _same_float(a, b):
        return fast.result(np.tensordot(a._data, b._data, (da, db)), fresh=True)
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
    if isinstance(input, Tensor) and isinstance(other, Tensor) and _same_float(input, other):
        # the composite below on arrays (np.kron does the same products, at ~15 numpy calls)
        return Tensor._make(kron_data(input._data.reshape(sa), other._data.reshape(sb)))
    a = reshape(input, [d for s in sa for d in (s, 1)])
    b = reshape(other, [d for s in sb for d in (1, s)])
    return named(reshape(mul(a, b), [x * y for x, y in zip(sa, sb, strict=True)]),
                 "UnsafeViewBackward0")


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """3-vector cross product along ``dim`` (PyTorch's default: the first dim of size 3)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    (a, b), _ = promote(input, other)
    shape = a._data.shape if a._data.shape == b._data.shape else \
        tuple(np.broadcast_shapes(a._data.shape, b._data.shape))
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
    if _same_float(a, b):
        x, y = a._data, b._data
        if x.ndim != len(shape):
            x = x.reshape((1,) * (len(shape) - x.ndim) + x.shape)
        if y.ndim != len(shape):
            y = y.reshape((1,) * (len(shape) - y.ndim) + y.shape)
        return Tensor._make(cross_data(x, y, axis, shape))
    if a._data.shape == b._data.shape and _eager_fused.available(a, b):
        # one step: d(a x b) . g = a . (b x g) = b . (g x a)
        x, y = a._data, b._data
        return _eager_fused.record(
            "LinalgCrossBackward0", [a, b], [cross_data(x, y, axis, shape)],
            lambda gs: [cross_data(y, gs[0], axis, shape), cross_data(gs[0], x, axis, shape)],
            lambda s, t: [cross(s, t, axis)])[0]
    a = apply("expand", (a,), shape=shape) if tuple(a.shape) != shape else a
    b = apply("expand", (b,), shape=shape) if tuple(b.shape) != shape else b
    i1, i2 = tensor_of([1, 2, 0], "int64"), tensor_of([2, 0, 1], "int64")

    def pick(t: Tensor, idx: Tensor) -> Tensor:
        return apply("take", (t, idx), axis=axis)
    out = sub(mul(pick(a, i1), pick(b, i2)), mul(pick(a, i2), pick(b, i1)))
    return named(out, "LinalgCrossBackward0", input, other)


# ---------------------------------------------------------------- diagonals and triangles


def _diag_len(n: int, m: int, offset: int) -> int:
    return max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal over ``dim1``/``dim2`` moved to the last dim (a copy in tenkai)."""
    d1, d2 = norm_axis("diagonal", dim1, input.ndim), norm_axis("diagonal", dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if fast.plain(input):
        return fast.result(np.diagonal(input._data, offset, d1, d2))
    if _eager_fused.available(input):  # one step: the gradient put back on the diagonal
        return _eager_fused.unary(
            "DiagonalBackward0", input, np.diagonal(input._data, offset, d1, d2).copy(),
            lambda g: _on_diagonal(g, input._data.shape, offset, d1, d2),
            lambda t: diagonal(t, offset, dim1, dim2))
    rest = [d for d in range(input.ndim) if d not in (d1, d2)]
    n, m = input.shape[d1], input.shape[d2]
    order = rest + [d1, d2]
    moved = input if order == list(range(input.ndim)) else permute(input, order)
    flat = reshape(moved, [input.shape[d] for d in rest] + [n * m])
    length = _diag_len(n, m, offset)
    rows = np.arange(length) + max(0, -offset)
    index = tensor_of(rows * m + rows + offset, "int64")
    return named(apply("take", (flat, index), axis=len(rest)), "DiagonalBackward0",
                 input)


def _on_diagonal(g: np.ndarray, shape: tuple, offset: int, d1: int, d2: int) -> np.ndarray:
    """Zeros of ``shape`` with ``g``'s last dim on the ``offset`` diagonal over ``d1``/``d2``
    (the adjoint of ``np.diagonal``)."""
    out = np.zeros(shape, g.dtype)
    at = np.arange(g.shape[-1])
    np.moveaxis(out, (d1, d2), (-2, -1))[..., at + max(0, -offset), at + max(0, offset)] = g
    return out


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal."""
    if input.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension, got 0")
    n = input.shape[-1]
    size = n + abs(offset)
    nd = input.ndim + 1
    plain = fast.plain(input)
    if (plain or _eager_fused.available(input)) and ((dim1, dim2) == (-2, -1) or (
            norm_axis("diag_embed", dim1, nd), norm_axis("diag_embed", dim2, nd)) == (nd - 2,
                                                                                  nd - 1)):
        # the diagonal is every (size + 1)-th element of each flattened matrix from its start
        out = np.zeros(tuple(input.shape[:-1]) + (size * size,), input._data.dtype)
        start = offset if offset >= 0 else -offset * size
        out[..., start:start + n * (size + 1):size + 1] = input._data
        out = out.reshape(tuple(input.shape[:-1]) + (size, size))
        if plain:
            return Tensor._make(out)
        return _eager_fused.unary("DiagEmbedBackward0", input, out,  # the gradient's diagonal
                                  lambda g: np.diagonal(g, offset, -2, -1).copy(),
                                  lambda t: diag_embed(t, offset, dim1, dim2))
    # the values on the diagonal of an (n, size) band (a where, not a product: inf and nan
    # stay on the diagonal), then the missing rows (offset >= 0) or columns padded with 0
    pads = [(0, 0)] * nd
    if offset == 0:  # input's last dim along the rows: a vector broadcasts as is, no reshape
        band = np.eye(n, dtype=bool)
        column = input if input.ndim == 1 else reshape(input, (*input.shape[:-1], 1, n))
    elif offset > 0:
        band = np.eye(n, size, k=offset, dtype=bool)
        column = reshape(input, (*input.shape, 1))
        pads[-2] = (0, offset)
    else:
        band = np.eye(size, n, k=offset, dtype=bool)
        column = reshape(input, (*input.shape[:-1], 1, n))
        pads[-1] = (0, -offset)
    out = where(tensor_of(band, "bool"), column, tensor_of(0, input._ir_dtype))
    if offset:
        out = apply("pad", (out,), pads=tuple(pads), value=0)
    a1, a2 = norm_axis("diag_embed", dim1, nd), norm_axis("diag_embed", dim2, nd)
    if (a1, a2) != (nd - 2, nd - 1):
        rest = iter(range(nd - 2))
        perm = [nd - 2 if i == a1 else nd - 1 if i == a2 else next(rest) for i in range(nd)]
        out = permute(out, perm)
    return named(out, "DiagEmbedBackward0", input)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D: a matrix with ``input`` on a diagonal; 2-D: that diagonal of the matrix."""
    if input.ndim == 1:
        if fast.plain(input):
            return fast.result(np.diag(input._data, diagonal), fresh=True)
        return named(diag_embed(input, diagonal), "DiagEmbedBackward0", input)
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def _triangle(input: Tensor, diagonal: int, lower: bool, name: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{name.removesuffix('Backward0').lower()}: input tensor must have "
                           "at least 2 dimensions")
    plain = fast.plain(input)
    if plain or _eager_fused.available(input):
        # np.tril/np.triu's values with a cached mask (one masked copy); with grad one fused
        # step whose gradient is the same triangle of the output's
        mask = _triangle_mask(*input.shape[-2:], diagonal, lower)

        def masked(data: np.ndarray) -> np.ndarray:
            out = np.zeros(data.shape, data.dtype)
            np.copyto(out, data, where=mask)
            return out
        if plain:
            return Tensor._make(masked(input._data))
        return _eager_fused.unary(name, input, masked(input._data), masked,
                                  lambda t: _triangle(t, diagonal, lower, name))
    n, m = input.shape[-2:]
    mask = np.tril(np.ones((n, m), bool), diagonal) if lower else \
        np.triu(np.ones((n, m), bool), diagonal)
    zero = tensor_of(0, input._ir_dtype)
    return named(where(tensor_of(mask, "bool"), input, zero), name, input)


@functools.lru_cache(maxsize=128)
def _triangle_mask(n: int, m: int, diagonal: int, lower: bool) -> np.ndarray:
    """The kept entries of an ``n x m`` matrix (read-only: shared between calls)."""
    mask = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1,
                                                                    dtype=bool)
    mask.flags.writeable = False
    return mask


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
    if fast.plain_float(input):
        return Tensor._make(np.asarray(np.trace(input._data)))
    if _eager_fused.available(input):  # one step: the gradient on the main diagonal
        def backward(g: np.ndarray) -> np.ndarray:
            out = np.zeros(input._data.shape, g.dtype)
            np.fill_diagonal(out, g)
            return out
        return _eager_fused.unary("TraceBackward0", input,
                                  np.asarray(np.trace(input._data)).astype(input._data.dtype),
                                  backward, trace)
    return named(sum(diagonal(input)), "TraceBackward0", input)


FUNCTIONS = """addmm addmv addbmm baddbmm addcmul addcdiv einsum tensordot kron cross diag
diagonal diag_embed tril triu tril_indices triu_indices trace""".split()
METHODS = """addmm addmv addbmm baddbmm addcmul addcdiv kron cross diag diagonal diag_embed tril
triu trace""".split()
INPLACE = "addmm addmv addbmm baddbmm addcmul addcdiv tril triu".split()
