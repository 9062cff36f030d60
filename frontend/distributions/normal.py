"""``Normal(loc, scale)``: reparameterized sampling, log_prob, cdf/icdf, entropy."""

from __future__ import annotations

import math
import numbers
from typing import Any

import tenkai

from ._loc_scale import LocScale
from .distribution import EMPTY_SHAPE
from .exp_family import ExponentialFamily

__all__ = ["Normal"]


def _log(x: Any) -> Any:
    return math.log(x) if isinstance(x, numbers.Real) else x.log()


class Normal(LocScale, ExponentialFamily):
    """Normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``."""

    @property
    def _natural_params(self) -> tuple[Any, Any]:
        return self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal()

    def _log_normalizer(self, x: Any, y: Any) -> Any:
        return -0.25 * x.pow(2) / y + 0.5 * tenkai.log(-math.pi / y)

    expand_as_family = True  # expand() builds a Normal
    _mean_carrier_measure = 0

    @property
    def stddev(self) -> Any:
        return self.scale

    @property
    def variance(self) -> Any:
        return self.stddev.pow(2)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        eps = tenkai.randn(shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return (-((value - self.loc) ** 2) / (2 * var) - _log(self.scale)
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + tenkai.erf((value - self.loc) * self.scale.reciprocal()
                                     / math.sqrt(2)))

    def icdf(self, value: Any) -> Any:
        return self.loc + self.scale * tenkai.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Any:
        return 0.5 + 0.5 * math.log(2 * math.pi) + tenkai.log(self.scale)
