"""The top-level and ``Tensor`` spellings of linear algebra (``torch.svd``, ``torch.det``,
``x.inverse()``, ``torch.cross``...), written over ``tenkai.linalg``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import linalg, return_types
from ._ops import log
from ._shape import named, stack
from ._tensor import Tensor

det = linalg.det
inverse = linalg.inv


def logdet(input: Tensor) -> Tensor:
    """``log(det(A))``: nan for a negative determinant, as PyTorch."""
    return named(log(linalg.det(input)), "LogdetBackward0")


def slogdet(input: Tensor) -> Any:
    """``torch.slogdet``: ``torch.return_types.slogdet(sign, logabsdet)``."""
    return return_types.slogdet(*linalg.slogdet(input))


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    return linalg.cholesky(input, upper=upper)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    return linalg.pinv(input, rtol=rcond)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """``torch.svd``: ``U, S, V`` (V, not Vh), as ``torch.return_types.svd``.

    ``V`` is ``Vh``'s transpose (its grad_fn ``TransposeBackward0``); the singular vectors'
    signs are LAPACK's choice in PyTorch (they differ between builds), tenkai makes each
    column of ``U`` have its largest entry positive (``V`` follows). ``compute_uv=False``
    gives zero-filled (m, m) U and (n, n) V whatever ``some`` is, as PyTorch."""
    m, n = input.shape[-2:] if input.ndim >= 2 else (0, 0)
    if not compute_uv:
        S = linalg.svdvals(input)
        dt = input._data.dtype
        shape_u, shape_v = (*input.shape[:-2], m, m), (*input.shape[:-2], n, n)
        return return_types.svd(Tensor._make(np.zeros(shape_u, dt)), S,
                                Tensor._make(np.zeros(shape_v, dt)))
    U, S, Vh = linalg.svd(input, full_matrices=not some)
    return return_types.svd(U, S, Vh.transpose(-2, -1))


def qr(input: Tensor, some: bool = True) -> Any:
    """``torch.qr`` (deprecated in PyTorch): ``torch.return_types.qr(Q, R)``."""
    return return_types.qr(*linalg.qr(input, "reduced" if some else "complete"))


def matrix_power(input: Tensor, n: int) -> Tensor:
    return linalg.matrix_power(input, n)


def matrix_exp(input: Tensor) -> Tensor:
    return linalg.matrix_exp(input)


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """``X`` with ``A X = B`` given ``A``'s Cholesky factor ``input2`` (``B`` is ``input``)."""
    factor = input2.transpose(-2, -1) if upper else input2
    y = linalg.solve_triangular(factor, input, upper=False)
    return linalg.solve_triangular(factor.transpose(-2, -1), y, upper=True)


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """``inv(A)`` from ``A``'s Cholesky factor."""
    factor = input.transpose(-2, -1) if upper else input
    l_inv = linalg.inv(factor)
    return named(l_inv.transpose(-2, -1) @ l_inv, "CholeskyInverseBackward0", input)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> Any:
    """Deprecated ``torch.triangular_solve``: ``(solution, cloned_coefficient)``."""
    _deprecated("triangular_solve", "torch.triangular_solve is deprecated in favor of "
                "torch.linalg.solve_triangularand will be removed in a future PyTorch release.\n"
                "torch.linalg.solve_triangular has its arguments reversed and does not return a "
                "copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\nshould "
                "be replaced with\nX = torch.linalg.solve_triangular(A, B).")
    coeff = A.transpose(-2, -1) if transpose else A
    x = linalg.solve_triangular(coeff, b, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(x, A.clone())


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Vandermonde matrix of a 1-D ``x``: columns ``x**(N-1), ..., x**0`` (or increasing)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is not None and N < 0:
        raise RuntimeError("N must be non-negative.")
    n = x.shape[0] if N is None else int(N)
    cols = [x.pow(k) if k else x * 0 + 1 for k in range(n)]
    if not cols:
        return Tensor._make(np.zeros((x.shape[0], 0), x._data.dtype))
    return stack(cols if increasing else cols[::-1], 1)


_WARNED: set[str] = set()


def _deprecated(name: str, message: str) -> None:
    """PyTorch's deprecation warning for ``name``, once per process (as its TORCH_WARN_ONCE)."""
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(message, UserWarning, stacklevel=3)


def nuclear_norm(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Deprecated ``torch.nuclear_norm``: ``linalg.matrix_norm(input, "nuc", dim, keepdim)``."""
    _deprecated("nuclear_norm", "at::nuclear_norm is deprecated and it is just left for JIT "
                "compatibility. It will be removed in a future PyTorch release. Please use "
                "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead")
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """Deprecated ``torch.frobenius_norm`` (``dim`` required, as in PyTorch):
    ``linalg.vector_norm(input, 2, dim, keepdim)``."""
    _deprecated("frobenius_norm", "at::frobenius_norm is deprecated and it is just left for "
                "JIT compatibility. It will be removed in a future PyTorch release. Please use "
                "`linalg.vector_norm(A, 2., dim, keepdim)` instead")
    return linalg.vector_norm(input, 2, dim, keepdim)


# Tensor methods (attached by _methods.py)
METHODS = {"det": det, "inverse": inverse, "logdet": logdet, "slogdet": slogdet,
           "cholesky": cholesky, "pinverse": pinverse, "svd": svd, "qr": qr,
           "matrix_power": matrix_power, "matrix_exp": matrix_exp,
           "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse,
           "triangular_solve": triangular_solve}
