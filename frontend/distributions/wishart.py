"""``Wishart(df, covariance_matrix=None, precision_matrix=None, scale_tril=None)``: the
distribution of ``sum_i x_i x_i^T`` for ``df`` normal draws of covariance ``Sigma``. Samples by
Bartlett's decomposition (chi-squared diagonal through the gamma sampler, so ``sample`` shares
its limits, docs/distributions.md); singular draws are redrawn up to ``max_try_correction``
times with PyTorch's warning."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import tenkai

from . import constraints
from .distribution import EMPTY_SHAPE
from .exp_family import ExponentialFamily
from .studentt import Chi2
from .utils import scale_tril_matrices

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def mvdigamma(x: Any, p: int) -> Any:
    """The multivariate digamma: ``sum_i digamma(x - i / 2)`` for i < p."""
    if not constraints.all_true(x > (p - 1) / 2):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    halves = tenkai.arange(p, dtype=x.dtype) / 2
    return tenkai.digamma(x.unsqueeze(-1) - halves).sum(-1)


class Wishart(ExponentialFamily):
    """Wishart distribution with ``df`` degrees of freedom and scale matrix given by one of
    its covariance, precision or lower Cholesky factor."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict[str, Any]:  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None):
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")
        (name, param), = given
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = tenkai.Size(param.shape[:-2])
            self.df = tenkai.tensor(df, dtype=param.dtype)
        else:
            batch_shape = tenkai.broadcast_shapes(param.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        p = event_shape[-1]
        if not constraints.all_true(self.df > p - 1):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(batch_shape + (-1, -1)))
        if not constraints.all_true(self.df >= p):
            warnings.warn("Low df values detected. Singular samples are highly likely to "
                          "occur for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = tenkai.linalg.cholesky(param)
        else:
            self._unbroadcasted_scale_tril = tenkai.linalg.cholesky(tenkai.linalg.inv(param))
        self._dist_chi2 = self._chi2(self.df, batch_shape)

    def _chi2(self, df: Any, batch_shape: Any) -> Chi2:
        p = self._event_shape[-1]
        steps = tenkai.arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        return Chi2(df.unsqueeze(-1) - steps.expand(tuple(batch_shape) + (-1,)))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Wishart:
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = tenkai.Size(batch_shape)
        cov_shape = batch_shape + self.event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        self._finish_expand(new, batch_shape)  # the event shape, before the chi2 is built
        new._dist_chi2 = new._chi2(new.df, batch_shape)
        return new

    def _matrix_shape(self) -> Any:
        return self._batch_shape + self._event_shape

    scale_tril, covariance_matrix, precision_matrix = scale_tril_matrices()

    def _df_matrix(self) -> Any:
        return self.df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self) -> Any:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Any:
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = tenkai.where(factor <= 0, tenkai.full_like(factor, math.nan), factor)
        return factor.reshape(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Any:
        v = self.covariance_matrix
        diag = v.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (v.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        chi = chi.clamp(min=tenkai.finfo(chi.dtype).eps)
        below = tenkai.randn(tuple(chi.shape) + (chi.shape[-1],), dtype=chi.dtype).tril(-1)
        chol = self._unbroadcasted_scale_tril @ (tenkai.diag_embed(chi) + below)
        return chol @ chol.mT

    def _singular(self, sample: Any) -> Any:
        bad = ~self.support.check(sample)
        return bad.amax(self._batch_dims) if self._batch_shape else bad

    def rsample(self, sample_shape: Any = EMPTY_SHAPE, max_try_correction: Any = None) -> Any:
        """Bartlett draws; a singular one (not positive definite) is drawn again."""
        tries = 10 if max_try_correction is None else max_try_correction
        sample_shape = tenkai.Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        singular = self._singular(sample)
        if not constraints.all_true(~singular):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(tries):
                redraw = self._bartlett_sampling(sample_shape)
                mask = singular.reshape(tuple(singular.shape)
                                        + (1,) * (sample.dim() - singular.dim()))
                sample = tenkai.where(mask, redraw, sample)
                singular = self._singular(sample)
                if constraints.all_true(~singular):
                    break
        return sample

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        lower = self._unbroadcasted_scale_tril
        half_log_det = lower.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = tenkai.cholesky_solve(value, lower).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + half_log_det) - tenkai.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * tenkai.linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self) -> Any:
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + half_log_det) + tenkai.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Any, Any]:
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x: Any, y: Any) -> Any:
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-tenkai.linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + tenkai.mvlgamma(y + (p + 1) / 2, p))
