"""``Laplace(loc, scale)``: reparameterized through the inverse cdf of a uniform draw."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from ._loc_scale import LocScale
from .distribution import EMPTY_SHAPE

__all__ = ["Laplace"]


class Laplace(LocScale):
    """Laplace distribution with location ``loc`` and scale ``scale``."""

    expand_as_family = True  # expand() builds a Laplace

    @property
    def variance(self) -> Any:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Any:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        eps = tenkai.finfo(self.loc.dtype).eps
        u = tenkai.rand(shape, dtype=self.loc.dtype) * (2 - eps) + (eps - 1)  # in (eps-1, 1)
        return self.loc - self.scale * u.sign() * tenkai.log1p(-u.abs())

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return -tenkai.log(2 * self.scale) - tenkai.abs(value - self.loc) / self.scale

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * tenkai.expm1(-z.abs() / self.scale)

    def icdf(self, value: Any) -> Any:
        term = value - 0.5
        return self.loc - self.scale * term.sign() * tenkai.log1p(-2 * term.abs())

    def entropy(self) -> Any:
        return 1 + tenkai.log(2 * self.scale)
