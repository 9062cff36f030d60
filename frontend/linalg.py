"""``tenkai.linalg``: PyTorch's ``torch.linalg`` with gradients, batched over leading dims.

Factorizations are registry ops (``tenkai.ir.ops_linalg``: np.linalg references, symbolic
VJPs); the rest are compositions of registry ops. Example::

    >>> import tenkai as torch
    >>> torch.linalg.det(torch.tensor([[2.0, 0.0], [0.0, 3.0]]))
    tensor(6.)

Compiled steps that use the factorizations run with ``backend="interp"``; the LLVM backend
raises ``NotImplementedError`` naming the op (it has no LAPACK-style kernels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir.ops import REGISTRY
from tenkai.ir.ops_linalg import LinAlgError
from tenkai.ir.ops_linalg import reduced_svd as _svd_ref

from . import _contract, _trace, return_types
from . import _eager_fast as fast
from ._composite import norm as _vector_norm
from ._linalg_lu import _permutation as _lu_permutation
from ._linalg_lu import (
    eig,
    eigvals,
    getrs,
    householder_product,
    ldl_factor,
    ldl_factor_ex,
    ldl_solve,
    lu,
    lu_factor,
    lu_factor_ex,
    singular_info,
)
from ._linalg_ops import check_matrix, cholesky_failures, lower_symmetric, matrix_norm, svdvals
from ._native_kernels import MIN_GEMM_FLOPS
from ._ops import abs, apply, div, log, mul, pow, sign, where
from ._reduce import amax, amin, sum
from ._shape import cat, matmul, named, permute, stack
from ._tensor import Tensor

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig",
           "eigh", "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor",
           "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
           "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd",
           "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]


def _mT(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def _reference(op: str, x: Tensor) -> Tensor:
    """Registry op ``op``'s numpy reference on ``x`` (an eager fast path's value)."""
    return fast.result(REGISTRY[op].reference(x._data))


def _singular(A: Tensor, op: str, info: np.ndarray | None = None) -> LinAlgError:
    """PyTorch's error for a singular ``A`` in ``op`` (``linalg.inv``, ``linalg.inv_ex``:
    the first zero pivot; the solvers: "the solver failed"), naming the batch element."""
    info = singular_info(A) if info is None else info
    flat = info.reshape(-1)
    k = int(np.flatnonzero(flat)[0]) if flat.any() else 0
    where = f"(Batch element {k}): " if A.ndim > 2 else ""
    if "solve" in op:
        return LinAlgError(f"{op}: {where}The solver failed because the input matrix is "
                           "singular.")
    return LinAlgError(f"{op}: {where}The diagonal element {max(int(flat[k]), 1)} is zero, the "
                       "inversion could not be completed because the input matrix is singular.")


def inv(A: Tensor) -> Tensor:
    """Inverse of each square matrix (``torch.linalg.inv(torch.eye(2) * 2)``)."""
    check_matrix("inv", A, square=True)
    try:
        return apply("linalg_inv", (A,), name="LinalgInvExBackward0")
    except LinAlgError:
        raise _singular(A, "linalg.inv") from None


def det(A: Tensor) -> Tensor:
    """Determinant of each square matrix (``torch.linalg.det(torch.eye(3))``)."""
    check_matrix("det", A, square=True)
    return apply("linalg_det", (A,), name="LinalgDetBackward0")


def slogdet(A: Tensor) -> Any:
    """``(sign, log|det|)`` of each square matrix, as ``torch.return_types.linalg_slogdet``."""
    check_matrix("slogdet", A, square=True)
    d = det(A)
    return return_types.linalg_slogdet(named(sign(d).detach(), "LinalgSlogdetBackward0"),
                                       named(log(abs(d)), "LinalgSlogdetBackward0", A))


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A @ X = B`` (``left=False``: ``X @ A = B``); ``B`` may be a vector."""
    check_matrix("solve", A, square=True)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    if B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype.name.title()} and B of type "
                           f"{B.dtype.name.title()} instead")
    vector = left and _is_vector_rhs(A, B)
    rhs = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if rhs.shape[-2 if left else -1] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{rhs.shape[-2]}x{rhs.shape[-1]})")
    if fast.plain_float(A, rhs):
        try:
            with np.errstate(all="ignore"):
                got = (np.linalg.solve(A._data, rhs._data) if left else np.swapaxes(
                    np.linalg.solve(np.swapaxes(A._data, -1, -2), np.swapaxes(rhs._data, -1, -2)),
                    -1, -2))
        except (np.linalg.LinAlgError, ValueError):
            got = None  # singular, or batch shapes numpy rejects: the composite says why
        if got is not None:
            out = fast.result(got)
            return out.squeeze(-1) if vector else out
    try:
        a_inv = inv(A)
    except LinAlgError:
        raise _singular(A, "torch.linalg.solve") from None
    out = matmul(a_inv, rhs) if left else matmul(rhs, a_inv)
    out = out.squeeze(-1) if vector else out
    return named(out, "LinalgSolveExBackward0", A, B)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Lower (or upper) Cholesky factor; reads the lower triangle, as PyTorch."""
    check_matrix("cholesky", A, square=True)
    L = apply("linalg_cholesky", (lower_symmetric(A),), name="LinalgCholeskyExBackward0")
    return named(_mT(L) if upper else L, "LinalgCholeskyExBackward0", A)


def eigh(A: Tensor, UPLO: str = "L") -> Any:
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices."""
    check_matrix("eigh", A, square=True)
    S = lower_symmetric(A, UPLO)
    if fast.plain_float(S):  # the two registry ops' references (one factorization)
        return return_types.linalg_eigh(_reference("linalg_eigh_values", S),
                                        _reference("linalg_eigh_vectors", S))
    vectors = apply("linalg_eigh_vectors", (S,), name="LinalgEighBackward0")  # factors once:
    values = apply("linalg_eigh_values", (S,), name="LinalgEighBackward0")  # values reused
    if vectors._node is not None:
        vectors._node.output_nr = 1  # PyTorch's one LinalgEighBackward0: values, vectors
    return return_types.linalg_eigh(named(values, "LinalgEighBackward0", A),
                                    named(vectors, "LinalgEighBackward0", A))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices."""
    check_matrix("eigvalsh", A, square=True)
    values = apply("linalg_eigh_values", (lower_symmetric(A, UPLO),))
    return named(values, "LinalgEighBackward0", A)


def _reduced_svd(A: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    if fast.plain_float(A):  # eager, nothing records: the three ops' values from one _svd
        u, s, vh = _svd_ref(A._data)
        return tuple(fast.result(a, fresh=True) for a in (u, s, vh))
    vh = apply("linalg_svd_vh", (A,), name="LinalgSvdBackward0")
    if vh._node is not None:
        vh._node.output_nr = 2  # PyTorch's one LinalgSvdBackward0 node: U, S, Vh
    return apply("linalg_svd_u", (A,), name="LinalgSvdBackward0"), svdvals(A), vh


def _completed(part: Tensor, rest_op: str, A: Tensor, dim: int, name: str) -> Tensor:
    """``part`` extended along ``dim`` by registry op ``rest_op``'s extra orthonormal vectors
    (the full SVD's / complete QR's), one ``name`` node over ``A`` as PyTorch shows it."""
    out = cat([part, apply(rest_op, (A,))], dim)
    if part._node is not None and out._node is not None:
        out._node.output_nr = getattr(part._node, "output_nr", 0)
    return named(out, name, A)


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None) -> Any:
    """``U, S, Vh`` with ``A = U diag(S) Vh``, as ``torch.return_types.linalg_svd``.

    ``full_matrices=True`` (the default) completes ``U`` to (m, m) and ``Vh`` to (n, n) with
    orthonormal bases of the complements; as in PyTorch, gradients flowing into those extra
    vectors are ignored (they are arbitrary bases)."""
    check_matrix("svd", A)
    U, S, Vh = _reduced_svd(A)
    m, n = A.shape[-2:]
    if full_matrices and m > n:
        U = _completed(U, "linalg_svd_u_rest", A, -1, "LinalgSvdBackward0")
    elif full_matrices and n > m:
        Vh = _completed(Vh, "linalg_svd_vh_rest", A, -2, "LinalgSvdBackward0")
    return return_types.linalg_svd(U, S, Vh)


def qr(A: Tensor, mode: str = "reduced") -> Any:
    """``Q, R`` with ``A = Q R`` (``mode`` "reduced", "complete" or "r")."""
    check_matrix("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    m, n = A.shape[-2:]
    R = apply("linalg_qr_r", (A,), name="LinalgQrBackward0")
    if mode == "r":
        return return_types.linalg_qr(Tensor._make(np.zeros((0,), A._data.dtype)), R)
    Q = apply("linalg_qr_q", (A,), name="LinalgQrBackward0")
    if mode == "complete" and m > n:  # Q (m, m), R (m, n): zero rows under the reduced R
        Q = _completed(Q, "linalg_qr_q_rest", A, -1, "LinalgQrBackward0")
        zeros = Tensor._make(np.zeros((*A.shape[:-2], m - n, n), A._data.dtype))
        R = named(cat([R, zeros], -2), "LinalgQrBackward0", A)
        if R._node is not None:
            R._node.output_nr = 1
    return return_types.linalg_qr(Q, R)


def _rtol(A: Tensor, atol: Any, rtol: Any) -> tuple[float, float]:
    if rtol is None:
        rtol = float(np.finfo(A._data.dtype).eps) * max(A.shape[-2:]) if atol is None else 0.0
    return (0.0 if atol is None else float(atol)), float(rtol)


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse via the SVD; singular values below the tolerance drop."""
    check_matrix("pinv", A)
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):
        raise NotImplementedError("linalg.pinv: tensor atol/rtol; pass Python floats")
    atol, rtol = _rtol(A, atol, rtol)
    if fast.plain_float(A) and min(A.shape[-2:]):  # the steps below on arrays
        u, s, vh = _svd_ref(A._data)  # the three ops' references, from one _svd
        cutoff = np.max(s, -1, keepdims=True) * rtol
        cutoff = np.where(cutoff > atol, cutoff, s.dtype.type(atol))
        keep = cutoff < s
        with np.errstate(all="ignore"):
            s_inv = np.where(keep, 1.0 / np.where(keep, s, s.dtype.type(1.0)), s.dtype.type(0.0))
        return fast.result(np.matmul(np.swapaxes(vh, -1, -2) * s_inv[..., None, :],
                                     np.swapaxes(u, -1, -2)))
    U, S, Vh = _reduced_svd(A)
    cutoff = amax(S, -1, keepdim=True).detach() * rtol if S.shape[-1] else S
    cutoff = where(cutoff > atol, cutoff, atol) if S.shape[-1] else S
    keep = cutoff < S
    s_inv = where(keep, 1.0 / where(keep, S, 1.0), 0.0)
    return named(matmul(mul(_mT(Vh), s_inv.unsqueeze(-2)), _mT(U)), "LinalgPinvBackward0", A)


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False) -> Tensor:
    """Number of singular values above ``max(atol, rtol * largest)`` (int64)."""
    check_matrix("matrix_rank", A)
    atol, rtol = _rtol(A, atol, rtol)
    S = svdvals(A).detach()
    if S.shape[-1] == 0:
        return Tensor._make(np.zeros(A.shape[:-2], np.int64))
    tol = np.maximum(atol, rtol * S._data.max(axis=-1, keepdims=True))
    return sum(Tensor._make(tol.astype(S._data.dtype)) < S, -1)


def lstsq(A: Tensor, B: Tensor, rcond: Any = None, *, driver: Any = None) -> Any:
    """Least-squares solution of ``A X = B`` via the pseudo-inverse."""
    check_matrix("lstsq", A)
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
                           f"(got {A.shape[-2]} and {rhs.shape[-2]})")
    X = matmul(pinv(A, rtol=rcond), rhs)
    X = X.squeeze(-1) if vector else X
    empty = Tensor._make(np.zeros((0,), A._data.dtype))
    # PyTorch's CPU drivers: gels reports no rank, gelsd/gelss also the singular values
    rank = Tensor._make(np.zeros((0,), np.int64)) if driver == "gels" else \
        matrix_rank(A, rtol=rcond)
    svals = svdvals(A).detach() if driver in ("gelsd", "gelss") else empty
    return return_types.linalg_lstsq(X, empty, rank, svals)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A @ A @ ... @ A`` (``n`` times); ``n = 0`` gives identities, ``n < 0`` powers of inv."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape)
        return Tensor._make(np.ascontiguousarray(eye))
    base, result = (inv(A) if n < 0 else A), None
    k = -n if n < 0 else n
    product = matmul
    if fast.plain_float(base) and math.prod(A.shape) * A.shape[-1] < MIN_GEMM_FLOPS:
        product = _plain_matmul  # the products below are numpy's matmul either way
    while k:
        if k & 1:
            result = base if result is None else product(result, base)
        k >>= 1
        if k:
            base = product(base, base)
    return result


def _plain_matmul(a: Tensor, b: Tensor) -> Tensor:
    """``matmul``'s value (its reference: numpy's matmul, below the native GEMM's threshold)
    without its dispatch, when nothing records."""
    return Tensor._make(np.matmul(a._data, b._data))


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (inputs broadcast): ``torch.cross`` with
    linalg's default ``dim=-1``."""
    return _contract.cross(input, other, dim)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """``tensors[0] @ tensors[1] @ ...``; the first and last may be vectors."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for k, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and k in (0, len(tensors) - 1))
        if not ok:
            raise RuntimeError(f"multi_dot(): tensor {k} must be 2D but got {t.ndim}D")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot product along ``dim`` with broadcasting (``torch.linalg.vecdot(a, b)``)."""
    return sum(mul(x, y), dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The ``offset`` diagonal of the matrices in dims ``dim1``, ``dim2`` (moved last)."""
    d1, d2 = dim1 % A.ndim, dim2 % A.ndim
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(A.ndim) if d not in (d1, d2)]
    x = permute(A, *rest, d1, d2)
    m, n = x.shape[-2:]
    mask = Tensor._make(np.eye(m, n, offset, dtype=A._data.dtype))
    along = sum(mul(x, mask), -1 if offset >= 0 else -2)
    lo, size = (0, max(min(m, n - offset), 0)) if offset >= 0 else \
        (-offset, max(min(m + offset, n), 0))
    if offset < 0:
        return named(along[..., :size], "DiagonalBackward0", A)
    return named(along[..., lo:lo + size], "DiagonalBackward0", A)


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default)."""
    return _vector_norm(x, ord, dim, keepdim, dtype)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """Matrix norm when ``ord`` is a string or ``dim`` a 2-tuple, else a vector norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, tuple(dim or (-2, -1)), keepdim,
                           dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)



# ---------------------------------------------------------------- variants and compositions


def _info(A: Tensor) -> Tensor:
    return Tensor._make(np.zeros(A.shape[:-2], np.int32))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """``(inverse, info)``: ``info`` is LAPACK getrf's (the first zero pivot, 1-based) where
    a matrix is singular; there the inverse is what getrs gives on the singular factors (infs
    and NaNs, as PyTorch's) and has no gradient; ``check_errors=True`` raises instead."""
    try:
        return return_types.linalg_inv_ex(inv(A), _info(A))
    except LinAlgError:
        info = singular_info(A)
        if check_errors:
            raise _singular(A, "linalg.inv_ex", info) from None
    eye = np.eye(A.shape[-1], dtype=A._data.dtype)
    return return_types.linalg_inv_ex(Tensor._make(getrs(A, eye)), Tensor._make(info))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """``(L, info)``: ``info`` is nonzero (the order of the first leading minor that is not
    positive-definite) where a matrix is not positive-definite; there ``L`` holds LAPACK's
    partial factorization, as in PyTorch, and no gradient (``check_errors=True`` raises)."""
    check_matrix("cholesky_ex", A, square=True)
    failed = cholesky_failures(A._data, upper)
    if failed is None:
        return return_types.linalg_cholesky_ex(cholesky(A, upper=upper), _info(A))
    L, info = failed
    if check_errors:
        k = int(np.flatnonzero(info.reshape(-1))[0])
        where = f"(Batch element {k}): " if A.dim() > 2 else ""
        raise LinAlgError(f"linalg.cholesky_ex: {where}The factorization could not be completed "
                          "because the input is not positive-definite (the leading minor of "
                          f"order {int(info.reshape(-1)[k])} is not positive-definite).")
    return return_types.linalg_cholesky_ex(Tensor._make(L), Tensor._make(info))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """``(result, info)`` of :func:`solve`; a singular matrix gives getrf's ``info`` and the
    result of getrs on its factors (infs and NaNs, no gradient), as :func:`inv_ex`."""
    try:
        return return_types.linalg_solve_ex(solve(A, B, left=left), _info(A))
    except LinAlgError:
        info = singular_info(A)
        if check_errors:
            raise _singular(A, "torch.linalg.solve_ex", info) from None
    vector = left and _is_vector_rhs(A, B)
    rhs = np.asarray(B.detach()._data)[..., None] if vector else np.asarray(B.detach()._data)
    if left:
        x = getrs(A, rhs)
    else:  # X A = B: A^T X^T = B^T
        x = np.swapaxes(getrs(A, np.swapaxes(rhs, -1, -2), trans=True), -1, -2)
    return return_types.linalg_solve_ex(Tensor._make(x[..., 0] if vector else x),
                                        Tensor._make(info))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """``X`` with ``triangle(A) @ X = B`` (the other triangle of ``A`` is ignored)."""
    check_matrix("solve_triangular", A, square=True)
    n = A.shape[-1]
    keep = np.triu(np.ones((n, n))) if upper else np.tril(np.ones((n, n)))
    if unitriangular:
        keep = keep - np.eye(n)
    T = mul(A, Tensor._make(keep.astype(A._data.dtype)))
    if unitriangular:
        T = T + Tensor._make(np.eye(n, dtype=A._data.dtype))
    T_inv = inv(T)
    out = matmul(T_inv, B) if left else matmul(B, T_inv)
    return named(out, "LinalgSolveTriangularBackward0", A, B)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``; ``adjoint``: ``A^T``) from
    :func:`lu_factor`'s ``(LU, pivots)``; differentiable in ``LU`` and ``B``."""
    check_matrix("linalg.lu_solve", LU, square=True)
    n = LU.shape[-1]
    if B.ndim < 2 or B.shape[-2 if left else -1] != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2] if B.ndim > 1 else 1}x{B.shape[-1]})")
    if _trace.active() is not None:
        _trace.active().escape(pivots, "linalg.lu_solve(pivots)")
    piv = pivots._data.astype(np.int64) - 1
    perm = np.apply_along_axis(_lu_permutation, -1, piv, n) if piv.size else np.arange(n)
    P = Tensor._make(np.ascontiguousarray(
        np.swapaxes(np.eye(n, dtype=LU._data.dtype)[perm], -1, -2)))    # A = P L U
    L = solve_triangular  # shorthand below
    if left and not adjoint:      # X = U^-1 L^-1 P^T B
        Y = L(LU, matmul(_mT(P), B), upper=False, unitriangular=True)
        X = L(LU, Y, upper=True)
    elif left:                    # A^T X = B: X = P L^-T U^-T B
        Y = L(_mT(LU), B, upper=False)
        X = matmul(P, L(_mT(LU), Y, upper=True, unitriangular=True))
    elif not adjoint:             # X A = B: X = B U^-1 L^-1 P^T
        Y = L(LU, B, upper=True, left=False)
        X = matmul(L(LU, Y, upper=False, left=False, unitriangular=True), _mT(P))
    else:                         # X A^T = B: X = B P L^-T U^-T
        Y = L(_mT(LU), matmul(B, P), upper=True, left=False, unitriangular=True)
        X = L(_mT(LU), Y, upper=False, left=False)
    return named(X, "LinalgLuSolveBackward0", LU, B)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """Condition number ``norm(A, p) * norm(inv(A), p)``; ``p=None``/2: ``s_max / s_min``."""
    check_matrix("cond", A)
    if p in (None, 2, -2):
        s = svdvals(A)
        hi, lo = amax(s, -1), amin(s, -1)
        return div(hi, lo) if p != -2 else div(lo, hi)
    check_matrix("cond", A, square=True)
    return mul(matrix_norm(A, p), matrix_norm(inv(A), p))


def matrix_exp(A: Tensor) -> Tensor:
    """``exp(A)`` by scaling and squaring with a degree-12 Taylor polynomial (registry ops)."""
    check_matrix("matrix_exp", A, square=True)
    if _trace.active() is not None:
        raise NotImplementedError("linalg.matrix_exp inside tenkai.compile: the number of "
                                  "squarings depends on the matrix's values; call it eagerly")
    norm1 = float(np.max(np.abs(A._data).sum(axis=-2))) if A._data.size else 0.0
    squarings = max(0, math.ceil(math.log2(norm1)) + 1) if norm1 > 0.5 else 0
    X = mul(A, 2.0 ** -squarings)
    eye = Tensor._make(np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype),
                                       A.shape).copy())
    result, term = eye, eye
    for k in range(1, 13):
        term = mul(matmul(term, X), 1.0 / k)
        result = result + term
    for _ in range(squarings):
        result = matmul(result, result)
    return named(result, "LinalgMatrixExpBackward0", A)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """Inverse for ``tensordot``: ``A`` reshaped to a square matrix at dim ``ind``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    n = math.prod(rows)
    if math.prod(cols) != n:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) "
                           f"== prod(self.shape[:ind]), but got {math.prod(cols)} != {n}")
    return inv(A.reshape(n, n)).reshape(*cols, *rows)


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) = B``."""
    if dims is not None:
        raise NotImplementedError("linalg.tensorsolve: dims=; move the dims with permute first")
    rest = A.shape[B.ndim:]
    n = math.prod(rest)
    return solve(A.reshape(-1, n), B.reshape(-1)).reshape(*rest)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Vandermonde matrix with increasing powers ``x**0, x**1, ...`` along the last dim."""
    n = x.shape[-1] if N is None else int(N)
    if n <= 1 and N is not None and n < 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [pow(x, k) if k else x * 0 + 1 for k in range(n)]
    return stack(cols, -1)
