"""The registry's linear-algebra ops as tensors (``linalg_*`` in ``tenkai.ir.ops_linalg``) and
the matrix norms built on them. ``tenkai.linalg`` is the public face; this lower layer exists
so ``tenkai.norm(p="nuc")`` (in ``_composite``) can reach the matrix norms without a cycle."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from . import _eager_fast as fast
from ._dtype import as_dtype
from ._ops import abs, apply, cast, mul, sqrt
from ._reduce import amax, amin, sum
from ._shape import named, permute
from ._tensor import Tensor


def check_matrix(op: str, A: Any, square: bool = False) -> Tensor:
    """PyTorch's argument checks of the ``linalg`` functions, before any op is built."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{op}(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions.")
    if not A.is_floating_point() or A.dtype.name == "float16":
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype._legacy.removesuffix('Tensor')}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    return A


def lower_symmetric(A: Tensor, uplo: str = "L") -> Tensor:
    """The symmetric matrix PyTorch's ``UPLO`` triangle describes (the other one is ignored),
    with the gradient of ``(A + A^T) / 2``: PyTorch's symmetric gradients of cholesky/eigh."""
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    n = A.shape[-1]
    dt = A._data.dtype
    keep, keep_strict = _triangle_masks(n, dt, uplo)
    if fast.plain_float(A):  # the steps below on arrays
        d = A._data
        from_triangle = d * keep + np.swapaxes(d * keep_strict, -1, -2)
        sym = (d + np.swapaxes(d, -1, -2)) * dt.type(0.5)
        return Tensor._make(sym + (from_triangle - sym))
    tri = mul(A, Tensor._make(keep.copy()))
    strict = mul(A, Tensor._make(keep_strict.copy()))
    from_triangle = apply("add", (tri, strict.transpose(-2, -1)))
    sym = mul(apply("add", (A, A.transpose(-2, -1))), Tensor._make(np.asarray(0.5, dt)))
    return apply("add", (sym, apply("sub", (from_triangle, sym)).detach()))


@functools.lru_cache(maxsize=64)
def _triangle_masks(n: int, dt: np.dtype, uplo: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``UPLO`` triangle of ones (diagonal included) and the strict one, in ``dt``:
    made once per size (read-only: callers copy what a tensor will own)."""
    keep = np.tril(np.ones((n, n), dt)) if uplo == "L" else np.triu(np.ones((n, n), dt))
    strict = keep - np.eye(n, dtype=dt)
    keep.flags.writeable = strict.flags.writeable = False
    return keep, strict


def svdvals(A: Tensor) -> Tensor:
    """Singular values, descending (``torch.linalg.svdvals(torch.eye(2))``)."""
    check_matrix("svd", A)
    s = apply("linalg_svdvals", (A,), name="LinalgSvdBackward0")
    if s._node is not None:
        s._node.output_nr = 1  # output 1 of PyTorch's LinalgSvdBackward0 (U, S, Vh)
    return s


def _to_end(A: Tensor, dim: Any) -> Tensor:
    if not isinstance(dim, tuple | list) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (norm_axis("linalg.matrix_norm", d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    rest = [d for d in range(A.ndim) if d not in (d0, d1)]
    return A if (d0, d1) == (A.ndim - 2, A.ndim - 1) else permute(A, *rest, d0, d1)


def _keep(out: Tensor, A: Tensor, dim: Any, keepdim: bool) -> Tensor:
    if not keepdim:
        return out
    d0, d1 = sorted(norm_axis("linalg.matrix_norm", d, A.ndim) for d in dim)
    return out.unsqueeze(d0).unsqueeze(d1)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """Frobenius, nuclear, 1, -1, 2, -2, inf and -inf matrix norms over the two ``dim``s."""
    check_matrix("matrix_norm", A)
    x = A if dtype is None else cast(A, as_dtype(dtype).name)
    if ord == "fro":
        d = tuple(dim)
        return named(sqrt(sum(mul(x, x), d, keepdim)), "LinalgVectorNormBackward0", x)
    if ord not in ("nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    moved = _to_end(x, dim)
    if ord in ("nuc", 2, -2):
        s = svdvals(moved)
        out = sum(s, -1) if ord == "nuc" else (amax if ord == 2 else amin)(s, -1)
        return _keep(out, A, dim, keepdim)
    # 1: largest absolute column sum; inf: largest absolute row sum
    sums = sum(abs(moved), -2 if ord in (1, -1) else -1)
    out = (amax if ord > 0 else amin)(sums, -1)
    return _keep(out, A, dim, keepdim)


def cholesky_failures(a: np.ndarray, upper: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """``linalg.cholesky_ex``'s result where some matrix of ``a`` is not positive-definite:
    ``(L, info)`` as LAPACK's unblocked ``potrf`` leaves them (info: the order of the first
    leading minor that is not positive-definite, 1-based; L: the columns factored before it,
    the failed diagonal value, the rest of A's triangle as it was). None when all succeed."""
    try:  # the common case: all factor (numpy reads the lower triangle)
        if np.isfinite(np.linalg.cholesky(np.swapaxes(a, -1, -2) if upper else a)).all():
            return None
    except np.linalg.LinAlgError:
        pass
    batch = a.reshape(-1, *a.shape[-2:])
    info = np.zeros(len(batch), np.int32)
    out = np.empty_like(batch)
    for k, m in enumerate(batch):
        L = np.tril(m.T if upper else m).astype(m.dtype, copy=True)
        for j in range(m.shape[-1]):
            d = L[j, j] - L[j, :j] @ L[j, :j]
            if not d > 0:  # (NaN too)
                L[j, j], info[k] = d, j + 1
                break
            L[j, j] = np.sqrt(d)
            L[j + 1:, j] = (L[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
        out[k] = L.T if upper else L
    if not info.any():
        return None
    return out.reshape(a.shape), info.reshape(a.shape[:-2])
