"""``Cauchy(loc, scale)``: reparameterized through ``loc + scale * tan(pi * (u - 1/2))``."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from ._loc_scale import LocScale
from .distribution import EMPTY_SHAPE

__all__ = ["Cauchy"]


class Cauchy(LocScale):
    """Cauchy (Lorentz) distribution with median ``loc`` and half-width ``scale``."""

    expand_as_family = True  # expand() builds a Cauchy

    @property
    def mean(self) -> Any:
        return tenkai.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self) -> Any:
        return tenkai.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        eps = tenkai.empty(shape, dtype=self.loc.dtype).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - z.pow(2).log1p()

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return tenkai.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Any) -> Any:
        return tenkai.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self) -> Any:
        return math.log(4 * math.pi) + self.scale.log()
