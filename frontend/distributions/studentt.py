"""``StudentT(df, loc, scale)`` and ``Chi2(df)`` (a Gamma with shape ``df / 2``, rate 1/2)."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from . import constraints
from .distribution import EMPTY_SHAPE, Distribution
from .gamma import Gamma
from .utils import broadcast_all

__all__ = ["Chi2", "StudentT"]


class Chi2(Gamma):
    """Chi-squared distribution with ``df`` degrees of freedom."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Chi2:
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self) -> Any:
        return self.concentration * 2


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location and scale."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> StudentT:
        new = self._expand_params(StudentT, batch_shape, ("df", "loc", "scale"), _instance)
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self) -> Any:
        return tenkai.where(self.df <= 1, tenkai.full_like(self.loc, math.nan), self.loc)

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def variance(self) -> Any:
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2).clamp(min=1e-30)
        out = tenkai.where(df > 2, finite, tenkai.full_like(df, math.inf))
        return tenkai.where(df <= 1, tenkai.full_like(df, math.nan), out)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        x = tenkai.randn(shape, dtype=self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * tenkai.rsqrt(z / self.df)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
             + tenkai.lgamma(0.5 * df) - tenkai.lgamma(0.5 * (df + 1.0)))
        return -0.5 * (df + 1.0) * tenkai.log1p(y.pow(2) / df) - z

    def entropy(self) -> Any:
        df = self.df
        lbeta = tenkai.lgamma(0.5 * df) + math.lgamma(0.5) - tenkai.lgamma(0.5 * (df + 1))
        return (self.scale.log()
                + 0.5 * (df + 1) * (tenkai.digamma(0.5 * (df + 1)) - tenkai.digamma(0.5 * df))
                + 0.5 * df.log() + lbeta)
