"""The top-level and ``Tensor`` spellings of linear algebra (``torch.svd``, ``torch.det``,
``x.inverse()``, ``torch.cross``...), written over ``tenkai.linalg``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import linalg, return_types
from ._ops import log
from ._shape import named
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

    ``compute_uv=False`` gives zero-filled U and V, as PyTorch."""
    m, n = input.shape[-2:] if input.ndim >= 2 else (0, 0)
    if not compute_uv:
        S = linalg.svdvals(input)
        dt = input._data.dtype
        shape_u = (*input.shape[:-2], m, m if not some else min(m, n))
        shape_v = (*input.shape[:-2], n, n if not some else min(m, n))
        return return_types.svd(Tensor._make(np.zeros(shape_u, dt)), S,
                                Tensor._make(np.zeros(shape_v, dt)))
    if not some and m != n:
        raise NotImplementedError(f"svd: some=False for non-square {m} by {n} matrices (the "
                                  "extra orthonormal columns); pass some=True")
    U, S, Vh = linalg.svd(input, full_matrices=False)
    return return_types.svd(U, S, named(Vh.transpose(-2, -1), "LinalgSvdBackward0"))


def qr(input: Tensor, some: bool = True) -> Any:
    """``torch.qr`` (deprecated in PyTorch): ``torch.return_types.qr(Q, R)``."""
    return return_types.qr(*linalg.qr(input, "reduced" if some else "complete"))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``torch.cross``: ``dim=None`` takes the first dimension of size 3."""
    if dim is None:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        sizes = [d for d, size in enumerate(shape) if size == 3]
        if not sizes:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {list(input.shape)} "
                               f"and {list(other.shape)})")
        dim = sizes[0]
    return linalg.cross(input, other, dim=dim)


def matrix_power(input: Tensor, n: int) -> Tensor:
    return linalg.matrix_power(input, n)


METHODS = {"det": det, "inverse": inverse, "logdet": logdet, "slogdet": slogdet,
           "cholesky": cholesky, "pinverse": pinverse, "svd": svd, "qr": qr, "cross": cross,
           "matrix_power": matrix_power}
for _name, _fn in METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
