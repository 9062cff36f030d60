"""``torch.linalg`` LU, LDL and Householder functions, and eig / eigvals.

* ``lu_factor`` / ``lu``: the row pivots come from partial pivoting on the host (numpy,
  LAPACK getrf's choice: the first largest magnitude); the factors are then a right-looking
  elimination of the pivoted rows written with tensor ops, so L and U differentiate like
  PyTorch's LinalgLuBackward (the pivots are locally constant). Inside ``tenkai.compile``
  the pivots are read from the traced values and reported as such.
* ``householder_product``: the product of reflectors ``I - tau_i v_i v_i^T``, tensor ops.
* ``ldl_factor`` / ``ldl_solve``: LAPACK sytf2 / sytrs (Bunch-Kaufman, lower) in numpy;
  like PyTorch they have no derivative, and backward through them raises PyTorch's error.
* ``eig`` / ``eigvals`` return complex tensors in PyTorch; tenkai has no complex dtypes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _trace, return_types
from ._linalg_ops import check_matrix
from ._ops import where
from ._shape import cat, matmul, named, reshape
from ._tensor import Tensor
from .autograd.function import Function


def _getrf_pivots(a: np.ndarray) -> tuple[np.ndarray, int]:
    """LAPACK-style 0-based row interchanges of one (m, n) matrix, and getrf's ``info``."""
    m, n = a.shape
    a = a.astype(np.float64, copy=True)
    piv = np.arange(min(m, n))
    info = 0
    for k in range(min(m, n)):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        piv[k] = p
        if a[p, k] == 0:
            info = info or k + 1
            continue
        if p != k:
            a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return piv, info


def _permutation(piv: np.ndarray, m: int) -> np.ndarray:
    """Row order ``perm`` with ``A[perm] = L U`` from sequential interchanges."""
    perm = np.arange(m)
    for k, p in enumerate(piv):
        perm[[k, p]] = perm[[p, k]]
    return perm


def _host_pivots(A: Tensor, pivot: bool, op: str) -> tuple[np.ndarray, np.ndarray]:
    """(0-based pivots (..., k), getrf info (...)) for every matrix of the batch."""
    m, n = A.shape[-2:]
    batch = A.shape[:-2]
    if not pivot:
        piv = np.broadcast_to(np.arange(min(m, n)), (*batch, min(m, n))).copy()
        return piv, np.zeros(batch, np.int32)
    if _trace.active() is not None:
        _trace.active().escape(A, f"{op} (row pivots chosen from the values)")
    flat = A._data.reshape(-1, m, n)
    out = [_getrf_pivots(a) for a in flat]
    piv = np.array([p for p, _ in out], np.int64).reshape(*batch, min(m, n))
    info = np.array([i for _, i in out], np.int32).reshape(batch)
    return piv, info


def _rows(A: Tensor, perm: np.ndarray) -> Tensor:
    """``A`` with the rows of every matrix reordered by ``perm`` (..., m) (a gather)."""
    idx = Tensor._make(np.ascontiguousarray(perm[..., None].repeat(A.shape[-1], -1)))
    return A.gather(-2, idx)


def _eliminate(B: Tensor) -> tuple[Tensor, Tensor]:
    """Unit-lower L (..., m, k) and upper U (..., k, n) with ``B = L U`` (no pivoting)."""
    m, n = B.shape[-2:]
    k = min(m, n)
    dt, lead = B._data.dtype, B.shape[:-2]
    cols, rows, M = [], [], B
    for j in range(k):
        head = M[..., :1, :]                                       # (..., 1, n - j)
        piv = M[..., :1, :1]
        safe = where(piv != 0, piv, Tensor._make(np.ones((), dt)))  # a zero column stays zero
        col = M[..., 1:, :1] / safe                                # (..., m - j - 1, 1)
        rows.append(cat([Tensor._make(np.zeros((*lead, 1, j), dt)), head], -1))
        one = Tensor._make(np.ones((*lead, 1, 1), dt))
        cols.append(cat([Tensor._make(np.zeros((*lead, j, 1), dt)), one, col], -2))
        M = M[..., 1:, 1:] - matmul(col, head[..., 1:])
    return cat(cols, -1), cat(rows, -2)


def _check_lu(A: Tensor, op: str) -> None:
    check_matrix(op, A)
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point tensor, but got {A.dtype}")


def _factor(A: Tensor, pivot: bool, op: str) -> tuple[np.ndarray, np.ndarray, Tensor, Tensor]:
    _check_lu(A, op)
    piv, info = _host_pivots(A, pivot, op)
    m = A.shape[-2]
    perm = np.apply_along_axis(_permutation, -1, piv, m) if piv.size else \
        np.broadcast_to(np.arange(m), (*A.shape[:-2], m)).copy()
    L, U = _eliminate(_rows(A, perm) if pivot else A)
    return piv, info, L, U


def _packed(L: Tensor, U: Tensor) -> Tensor:
    """LAPACK's packed LU: U on and above the diagonal, L's multipliers below."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    dt = L._data.dtype
    if m >= n:  # L (m, n), U (n, n)
        below = L * Tensor._make(np.tril(np.ones((m, n), dt), -1))
        return below + cat([U, Tensor._make(np.zeros((*U.shape[:-2], m - k, n), dt))], -2)
    above = U * Tensor._make(np.triu(np.ones((m, n), dt)))       # L (m, m), U (m, n)
    lower = L * Tensor._make(np.tril(np.ones((m, m), dt), -1))
    return above + cat([lower, Tensor._make(np.zeros((*L.shape[:-2], m, n - k), dt))], -1)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> Any:
    """``(LU, pivots, info)``: packed factors, 1-based int32 LAPACK pivots, getrf's info."""
    piv, info, L, U = _factor(A, pivot, "linalg.lu_factor_ex")
    if check_errors and info.any():
        raise RuntimeError(f"linalg.lu_factor_ex: U[{int(info.max())},{int(info.max())}] is "
                           "zero and the matrix is singular")
    LU = named(_packed(L, U), "LinalgLuFactorExBackward0", A)
    return return_types.linalg_lu_factor_ex(LU, Tensor._make((piv + 1).astype(np.int32)),
                                            Tensor._make(info))


def lu_factor(A: Tensor, *, pivot: bool = True) -> Any:
    """``(LU, pivots)`` with ``A = P L U`` (``torch.linalg.lu_factor(torch.randn(3, 3))``)."""
    LU, piv, _ = lu_factor_ex(A, pivot=pivot)
    return return_types.linalg_lu_factor(LU, piv)


def lu(A: Tensor, *, pivot: bool = True) -> Any:
    """``(P, L, U)`` with ``A = P @ L @ U``, L unit lower, U upper; P in ``A``'s dtype."""
    piv, _, L, U = _factor(A, pivot, "linalg.lu")
    m = A.shape[-2]
    if not pivot:
        P = Tensor._make(np.zeros((0,), A._data.dtype))
    else:
        perm = np.apply_along_axis(_permutation, -1, piv, m) if piv.size else \
            np.broadcast_to(np.arange(m), (*A.shape[:-2], m))
        eye = np.eye(m, dtype=A._data.dtype)
        P = Tensor._make(np.ascontiguousarray(np.swapaxes(eye[perm], -1, -2)))
    return return_types.linalg_lu(P, named(L, "LinalgLuBackward0", A),
                                  named(U, "LinalgLuBackward0", A))


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of ``H_0 H_1 ... H_{k-1}``, ``H_i = I - tau_i v_i v_i^T``."""
    check_matrix("householder_product", A)
    m, n = A.shape[-2:]
    k = tau.shape[-1] if tau.ndim else 0
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if n < k:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1 or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"torch.linalg.householder_product: Expected batch dimensions of "
                           f"tau to be equal to input.shape[:-2], but got "
                           f"{tuple(tau.shape[:-1])}")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"torch.linalg.householder_product: tau dtype {tau.dtype} does not "
                           f"match input dtype {A.dtype}")
    dt = A._data.dtype
    V = A * Tensor._make(np.tril(np.ones((m, n), dt), -1)) + Tensor._make(np.eye(m, n, dtype=dt))
    Q = Tensor._make(np.broadcast_to(np.eye(m, n, dtype=dt), A.shape).copy())
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]                                        # (..., m, 1)
        t = reshape(tau[..., i], (*tau.shape[:-1], 1, 1))
        Q = Q - matmul(v * t, matmul(v.transpose(-2, -1), Q))
    return named(Q, "LinalgHouseholderProductBackward0", A, tau)


# ---------------------------------------------------------------- LDL (no derivative)


def _sytf2_lower(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """LAPACK dsytf2 with uplo='L': Bunch-Kaufman ``A = L D L^T``; 1-based ipiv as LAPACK."""
    a = a.copy()
    n = a.shape[0]
    ipiv = np.zeros(n, np.int32)
    alpha = (1.0 + math.sqrt(17.0)) / 8.0
    info, k = 0, 0
    while k < n:
        kstep, absakk = 1, abs(a[k, k])
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k]))) if k < n - 1 else k
        colmax = abs(a[imax, k]) if k < n - 1 else 0.0
        if max(absakk, colmax) == 0:
            info, kp = info or k + 1, k
        else:
            if absakk >= alpha * colmax:
                kp = k
            else:
                rowmax = np.max(np.abs(a[imax, k:imax]))
                if imax < n - 1:
                    rowmax = max(rowmax, np.max(np.abs(a[imax + 1:, imax])))
                if absakk >= alpha * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= alpha * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                seg = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = seg
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            _sytf2_update(a, k, kstep)
        ipiv[k:k + kstep] = kp + 1 if kstep == 1 else -(kp + 1)
        k += kstep
    return np.tril(a), ipiv, info


def _sytf2_update(a: np.ndarray, k: int, kstep: int) -> None:
    n = a.shape[0]
    if kstep == 1:
        if k < n - 1:
            x = a[k + 1:, k].copy()
            a[k + 1:, k + 1:] -= np.tril(np.outer(x, x)) / a[k, k]
            a[k + 1:, k] = x / a[k, k]
        return
    if k < n - 2:
        d21 = a[k + 1, k]
        d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
        t = 1.0 / (d11 * d22 - 1.0)
        d21 = t / d21
        wk = d21 * (d11 * a[k + 2:, k] - a[k + 2:, k + 1])
        wkp1 = d21 * (d22 * a[k + 2:, k + 1] - a[k + 2:, k])
        a[k + 2:, k + 2:] -= np.tril(np.outer(a[k + 2:, k], wk) + np.outer(a[k + 2:, k + 1], wkp1))
        a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1


def _no_derivative(name: str) -> type:
    class _NoDerivative(Function):
        @staticmethod
        def forward(ctx: Any, value: Tensor, *inputs: Tensor) -> Tensor:
            return value.detach().clone()

        @staticmethod
        def backward(ctx: Any, *grads: Any) -> Any:
            raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return _NoDerivative


_LdlFactor = _no_derivative("linalg_ldl_factor_ex")
_LdlSolve = _no_derivative("linalg_ldl_solve")


def _eager_only(op: str) -> None:
    if _trace.active() is not None:
        raise NotImplementedError(f"{op} inside tenkai.compile: the Bunch-Kaufman pivots "
                                  "depend on the matrix's values; call it eagerly")


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False) -> Any:
    """``(LD, pivots, info)`` of symmetric ``A`` (lower triangle read), LAPACK sytrf's format."""
    check_matrix("torch.linalg.ldl_factor_ex", A, square=True)
    _eager_only("linalg.ldl_factor")
    n = A.shape[-1]
    out = [_sytf2_lower(np.asarray(a, np.float64)) for a in A._data.reshape(-1, n, n)]
    ld = np.array([o[0] for o in out]).reshape(A.shape).astype(A._data.dtype)
    piv = np.array([o[1] for o in out], np.int32).reshape(*A.shape[:-2], n)
    info = np.array([o[2] for o in out], np.int32).reshape(A.shape[:-2])
    if check_errors and info.any():
        raise RuntimeError(f"torch.linalg.ldl_factor_ex: The factorization could not be "
                           f"completed because the input is singular (info={int(info.max())})")
    LD = _LdlFactor.apply(Tensor._make(ld), A) if A.requires_grad else Tensor._make(ld)
    return return_types.linalg_ldl_factor_ex(LD, Tensor._make(piv), Tensor._make(info))


def ldl_factor(A: Tensor, *, hermitian: bool = False) -> Any:
    """``(LD, pivots)``: ``A = P L D L^T P^T`` with 1x1 and 2x2 blocks in ``D`` (no grad)."""
    LD, piv, _ = ldl_factor_ex(A, hermitian=hermitian)
    return return_types.linalg_ldl_factor(LD, piv)


def _sytrs_lower(a: np.ndarray, ipiv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LAPACK dsytrs with uplo='L'."""
    b, n, k = b.copy(), a.shape[0], 0
    while k < n:
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(a[k + 1:, k], b[k])
            b[k] /= a[k, k]
            k += 1
            continue
        kp = -ipiv[k] - 1
        b[[k + 1, kp]] = b[[kp, k + 1]]
        b[k + 2:] -= np.outer(a[k + 2:, k], b[k]) + np.outer(a[k + 2:, k + 1], b[k + 1])
        akm1k = a[k + 1, k]
        akm1, ak = a[k, k] / akm1k, a[k + 1, k + 1] / akm1k
        denom = akm1 * ak - 1.0
        bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
        b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
        k += 2
    k = n - 1
    while k >= 0:
        if ipiv[k] > 0:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            kp = ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
            continue
        b[k] -= a[k + 1:, k] @ b[k + 1:]
        b[k - 1] -= a[k + 1:, k - 1] @ b[k + 1:]
        kp = -ipiv[k] - 1
        b[[k, kp]] = b[[kp, k]]
        k -= 2
    return b


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """``X`` with ``A X = B`` from :func:`ldl_factor`'s ``(LD, pivots)`` (no grad)."""
    check_matrix("torch.linalg.ldl_solve", LD, square=True)
    _eager_only("linalg.ldl_solve")
    n = LD.shape[-1]
    if B.ndim < 2 or B.shape[-2] != n:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the "
                           f"equation AX = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    batch = np.broadcast_shapes(LD.shape[:-2], B.shape[:-2])
    ld = np.broadcast_to(LD._data, (*batch, n, n)).reshape(-1, n, n)
    piv = np.broadcast_to(pivots._data, (*batch, n)).reshape(-1, n)
    b = np.broadcast_to(B._data, (*batch, *B.shape[-2:])).reshape(-1, *B.shape[-2:])
    x = np.array([_sytrs_lower(a, p, v.astype(np.float64))
                  for a, p, v in zip(ld, piv, b, strict=True)])
    out = Tensor._make(x.reshape(*batch, *B.shape[-2:]).astype(B._data.dtype))
    return _LdlSolve.apply(out, LD, B) if (LD.requires_grad or B.requires_grad) else out


# ---------------------------------------------------------------- eig (complex results)


def eig(A: Tensor) -> Any:
    """Not available: PyTorch returns complex eigenpairs and tenkai has no complex dtypes."""
    check_matrix("linalg.eig", A, square=True)
    raise NotImplementedError("linalg.eig: PyTorch returns complex64/complex128 eigenvalues "
                              "and eigenvectors and tenkai has no complex dtypes; for "
                              "symmetric matrices use tenkai.linalg.eigh")


def eigvals(A: Tensor) -> Tensor:
    """Not available: PyTorch returns complex eigenvalues and tenkai has no complex dtypes."""
    check_matrix("linalg.eigvals", A, square=True)
    raise NotImplementedError("linalg.eigvals: PyTorch returns complex64/complex128 "
                              "eigenvalues and tenkai has no complex dtypes; for symmetric "
                              "matrices use tenkai.linalg.eigvalsh")


__all__ = ["eig", "eigvals", "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve",
           "lu", "lu_factor", "lu_factor_ex"]


def singular_info(A: Tensor) -> np.ndarray:
    """LAPACK getrf's ``info`` per matrix of ``A`` (0: nonsingular; k: ``U[k-1, k-1]`` is the
    first zero pivot), as int32 of ``A``'s batch shape."""
    a = np.asarray(A.detach()._data, np.float64).reshape(-1, *A.shape[-2:])
    info = [_getrf_pivots(m)[1] for m in a]
    return np.asarray(info, np.int32).reshape(A.shape[:-2])


def getrs(A: Tensor, B: np.ndarray, trans: bool = False) -> np.ndarray:
    """``A X = B`` (``trans``: ``A^T X = B``) through LAPACK's path on a factored ``A``
    (getrf, then getrs: the pivots applied to ``B``, unit-lower then upper substitution;
    transposed: ``U^T``, ``L^T``, then the pivots undone): on a singular matrix the division
    by the zero pivot gives the infs and NaNs PyTorch's ``inv_ex`` / ``solve_ex`` return.
    ``B``: ``(..., n, k)``."""
    LU, piv, _ = lu_factor_ex(A.detach())
    lu, p = np.asarray(LU._data), np.asarray(piv._data) - 1
    x = np.array(np.broadcast_to(B, (*lu.shape[:-2], *B.shape[-2:])), dtype=lu.dtype)
    n = lu.shape[-1]
    with np.errstate(all="ignore"):
        for idx in np.ndindex(*lu.shape[:-2]):
            m, v = lu[idx], x[idx]
            if trans:
                _getrs_transposed(m, p[idx], v)
                continue
            for k in range(n):  # the row interchanges, in order
                v[[k, p[idx][k]]] = v[[p[idx][k], k]]
            for k in range(n):  # L (unit lower)
                v[k + 1:] -= np.outer(m[k + 1:, k], v[k])
            for k in range(n - 1, -1, -1):  # U
                v[k] /= m[k, k]
                v[:k] -= np.outer(m[:k, k], v[k])
    return x


def _getrs_transposed(m: np.ndarray, p: np.ndarray, v: np.ndarray) -> None:
    """``A^T X = B`` in place in ``v`` from ``A``'s packed factors ``m`` and pivots ``p``."""
    n = m.shape[-1]
    for k in range(n):  # U^T (lower)
        v[k] -= m[:k, k] @ v[:k]
        v[k] /= m[k, k]
    for k in range(n - 1, -1, -1):  # L^T (unit upper)
        v[k] -= m[k + 1:, k] @ v[k + 1:]
    for k in range(n - 1, -1, -1):  # the row interchanges, undone in reverse
        v[[k, p[k]]] = v[[p[k], k]]
