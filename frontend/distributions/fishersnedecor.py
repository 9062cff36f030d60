"""``FisherSnedecor(df1, df2)``: the F distribution, a ratio of two scaled chi-squared draws
(through ``Gamma``, so sampling shares its limits: docs/distributions.md)."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from . import constraints
from .distribution import EMPTY_SHAPE, Distribution
from .gamma import Gamma
from .utils import broadcast_all, params_batch_shape

__all__ = ["FisherSnedecor"]


def _nan_where(cond: Any, t: Any) -> Any:
    return tenkai.where(cond, tenkai.full_like(t, math.nan), t)


class FisherSnedecor(Distribution):
    """Fisher-Snedecor (F) distribution with ``df1`` and ``df2`` degrees of freedom."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(params_batch_shape((df1, df2), self.df1), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> FisherSnedecor:
        new = self._expand_params(FisherSnedecor, batch_shape, ("df1", "df2"), _instance)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        return new

    @property
    def mean(self) -> Any:
        df2 = self.df2
        return _nan_where(df2 <= 2, df2 / (df2 - 2))

    @property
    def mode(self) -> Any:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return _nan_where(self.df1 <= 2, mode)

    @property
    def variance(self) -> Any:
        df1, df2 = self.df1, self.df2
        var = 2 * df2.pow(2) * (df1 + df2 - 2) / (df1 * (df2 - 2).pow(2) * (df2 - 4))
        return _nan_where(df2 <= 4, var)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        tiny = tenkai.finfo(x1.dtype).tiny
        x2 = self._gamma2.rsample(sample_shape).view(shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        half1, half2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        norm = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        return (norm + half1 * ratio.log() + (half1 - 1) * tenkai.log(value)
                - (half1 + half2) * tenkai.log1p(ratio * value))
