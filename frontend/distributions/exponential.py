"""``Exponential(rate)``: reparameterized through ``-log(1 - u) / rate``."""

from __future__ import annotations

from typing import Any

import tenkai

from . import constraints
from .distribution import EMPTY_SHAPE
from .exp_family import ExponentialFamily
from .utils import broadcast_all, params_batch_shape

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    """Exponential distribution with rate ``rate`` (mean ``1 / rate``)."""

    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple[Any]:
        return (-self.rate,)

    def _log_normalizer(self, x: Any) -> Any:
        return -tenkai.log(-x)

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate: Any, validate_args: bool | None = None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(params_batch_shape((rate,), self.rate),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Exponential:
        return self._expand_params(Exponential, batch_shape, ("rate",), _instance)

    @property
    def mean(self) -> Any:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Any:
        return tenkai.zeros_like(self.rate)

    @property
    def stddev(self) -> Any:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Any:
        return self.rate.pow(-2)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        u = tenkai.rand(shape, dtype=self.rate.dtype)
        return -tenkai.log1p(-u) / self.rate

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return 1 - tenkai.exp(-self.rate * value)

    def icdf(self, value: Any) -> Any:
        return -tenkai.log1p(-value) / self.rate

    def entropy(self) -> Any:
        return 1.0 - tenkai.log(self.rate)
