"""The matrix and structural transforms of ``tenkai.distributions.transforms``:
``LowerCholeskyTransform``, ``PositiveDefiniteTransform``, ``CorrCholeskyTransform`` (the
targets of ``transform_to``/``biject_to`` for matrix constraints), ``CatTransform``,
``StackTransform`` and ``CumulativeDistributionTransform`` (re-exported by ``transforms.py``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tenkai
import tenkai.nn.functional as F

from . import constraints
from ._transform_base import Transform
from .utils import sum_rightmost

__all__ = ["CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform", "StackTransform",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def _tril_positions(n: int, diag: int) -> np.ndarray:
    """Row-major flat positions of the entries of an n x n matrix on or below ``diag``."""
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.flatnonzero(cols < rows + diag + 1)


def tril_matrix_to_vec(mat: Any, diag: int = 0) -> Any:
    """The lower-triangular entries (below ``diag``) of a batch of square matrices, in row
    order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat.index_select(-1, tenkai.tensor(_tril_positions(n, diag)))


def vec_to_tril_matrix(vec: Any, diag: int = 0) -> Any:
    """The batch of lower-triangular matrices whose entries below ``diag`` are ``vec``'s."""
    root = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1]
                               + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(root) - root > tenkai.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         "expressed as the lower triangular part of a square D x D matrix.")
    n = round(root)
    source = np.zeros(n * n, dtype=np.int64)  # 0: the zero padded in front of vec
    source[_tril_positions(n, diag)] = np.arange(1, vec.shape[-1] + 1)
    padded = F.pad(vec, [1, 0], value=0.0)
    flat = padded.index_select(-1, tenkai.tensor(source))
    return flat.reshape(tuple(vec.shape[:-1]) + (n, n))


class LowerCholeskyTransform(Transform):
    """Unconstrained square matrices to lower-triangular ones with a positive diagonal
    (``exp`` of the diagonal, the strict lower part kept)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LowerCholeskyTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y: Any) -> Any:
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """Unconstrained square matrices to positive definite ones: ``L L^T`` of the
    LowerCholeskyTransform's ``L``."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PositiveDefiniteTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y: Any) -> Any:
        return LowerCholeskyTransform().inv(tenkai.linalg.cholesky(y))


class CorrCholeskyTransform(Transform):
    """Unconstrained vectors of size D(D-1)/2 to Cholesky factors of D x D correlation
    matrices: ``tanh`` to (-1, 1), then stick breaking along each row."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x: Any) -> Any:
        eps = tenkai.finfo(x.dtype).eps
        r = vec_to_tril_matrix(tenkai.tanh(x).clamp(min=-1 + eps, max=1 - eps), diag=-1)
        remaining = (1 - r.pow(2)).sqrt().cumprod(-1)
        r = r + tenkai.eye(r.shape[-1], dtype=r.dtype)
        return r * F.pad(remaining[..., :-1], [1, 0], value=1)

    def _inverse(self, y: Any) -> Any:
        left = 1 - tenkai.cumsum(y * y, dim=-1)
        left_shifted = F.pad(left[..., :-1], [1, 0], value=1)
        t = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left_shifted, diag=-1).sqrt()
        return (t.log1p() - t.neg().log1p()) / 2

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        left = tril_matrix_to_vec(1 - (y * y).cumsum(dim=-1), diag=-2)
        stick_breaking = 0.5 * left.log().sum(-1)
        tanh = -2 * (x + F.softplus(-2 * x) - math.log(2.0)).sum(dim=-1)
        return stick_breaking + tanh

    def forward_shape(self, shape: Any) -> Any:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tenkai.Size(tuple(shape[:-1]) + (d, d))

    def inverse_shape(self, shape: Any) -> Any:
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return tenkai.Size(tuple(shape[:-2]) + (d * (d - 1) // 2,))


def _check_slices(name: str, t: Any, dim: int, size: int, what: str) -> None:
    if not -t.dim() <= dim < t.dim():
        raise AssertionError(f"dim {dim} out of range for {what} with {t.dim()} dimensions")
    if t.size(dim) != size:
        raise AssertionError(f"{name}.size({dim}) = {t.size(dim)} must equal {size}")


class CatTransform(Transform):
    """The transforms of ``tseq`` on consecutive slices (of ``lengths``) along ``dim``."""

    def __init__(self, tseq: Any, dim: int = 0, lengths: Any = None, cache_size: int = 0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms "
                                 f"({len(self.transforms)})")
        self.dim = dim

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _map(self, x: Any, name: str, inverse: bool) -> Any:
        _check_slices(name, x, self.dim, self.length, "tensor")
        out, start = [], 0
        for t, length in zip(self.transforms, self.lengths, strict=True):
            part = x.narrow(self.dim, start, length)
            out.append(t.inv(part) if inverse else t(part))
            start = start + length
        return tenkai.cat(out, dim=self.dim)

    def _call(self, x: Any) -> Any:
        return self._map(x, "x", inverse=False)

    def _inverse(self, y: Any) -> Any:
        return self._map(y, "y", inverse=True)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        _check_slices("x", x, self.dim, self.length, "x")
        _check_slices("y", y, self.dim, self.length, "y")
        terms, start = [], 0
        for t, length in zip(self.transforms, self.lengths, strict=True):
            term = t.log_abs_det_jacobian(x.narrow(self.dim, start, length),
                                          y.narrow(self.dim, start, length))
            if t.event_dim < self.event_dim:
                term = sum_rightmost(term, self.event_dim - t.event_dim)
            terms.append(term)
            start = start + length
        dim = (self.dim - x.dim() if self.dim >= 0 else self.dim) + self.event_dim
        if dim < 0:
            return tenkai.cat(terms, dim=dim)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(Transform):
    """The transforms of ``tseq`` on the slices of ``dim`` (one each)."""

    def __init__(self, tseq: Any, dim: int = 0, cache_size: int = 0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slice(self, z: Any) -> list[Any]:
        return [z.select(self.dim, i) for i in range(z.size(self.dim))]

    def _map(self, x: Any, name: str, inverse: bool) -> Any:
        _check_slices(name, x, self.dim, len(self.transforms), "tensor")
        out = [t.inv(part) if inverse else t(part)
               for part, t in zip(self._slice(x), self.transforms, strict=True)]
        return tenkai.stack(out, dim=self.dim)

    def _call(self, x: Any) -> Any:
        return self._map(x, "x", inverse=False)

    def _inverse(self, y: Any) -> Any:
        return self._map(y, "y", inverse=True)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        _check_slices("x", x, self.dim, len(self.transforms), "x")
        _check_slices("y", y, self.dim, len(self.transforms), "y")
        terms = [t.log_abs_det_jacobian(a, b) for a, b, t in
                 zip(self._slice(x), self._slice(y), self.transforms, strict=True)]
        return tenkai.stack(terms, dim=self.dim)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self) -> Any:  # type: ignore[override]
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class CumulativeDistributionTransform(Transform):
    """``y = distribution.cdf(x)``: the support of a univariate distribution onto (0, 1)."""

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution: Any, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self) -> Any:  # type: ignore[override]
        return self.distribution.support

    def _call(self, x: Any) -> Any:
        return self.distribution.cdf(x)

    def _inverse(self, y: Any) -> Any:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
