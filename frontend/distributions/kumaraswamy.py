"""``Kumaraswamy(concentration1, concentration0)`` and ``InverseGamma(concentration, rate)``:
two TransformedDistributions (a uniform through powers, a gamma through ``x ** -1``) with
their closed-form moments and entropies."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from . import constraints
from .gamma import Gamma
from .transformed import EULER_GAMMA, _Family
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all

__all__ = ["InverseGamma", "Kumaraswamy"]


def _moment(a: Any, b: Any, n: int) -> Any:
    """E[X ** n] of a Kumaraswamy(a, b): b * B(1 + n / a, b)."""
    arg = 1 + n / a
    return b * tenkai.exp(tenkai.lgamma(arg) + tenkai.lgamma(b) - tenkai.lgamma(arg + b))


class Kumaraswamy(_Family):
    """Kumaraswamy distribution on (0, 1): ``(1 - U ** (1 / c0)) ** (1 / c1)``."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1,
                                                                 concentration0)
        base = Uniform(tenkai.full_like(self.concentration0, 0),
                       tenkai.full_like(self.concentration0, 1), validate_args=validate_args)
        chain = [PowerTransform(exponent=self.concentration0.reciprocal()),
                 AffineTransform(loc=1.0, scale=-1.0),
                 PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base, chain, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Any:
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Any:
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Any:
        c1, c0 = self.concentration1, self.concentration0
        log_mode = c0.reciprocal() * (-c0).log1p() - (-c0 * c1).log1p()
        log_mode = tenkai.where((c0 < 1) | (c1 < 1), tenkai.full_like(log_mode, math.nan),
                                log_mode)
        return log_mode.exp()

    @property
    def variance(self) -> Any:
        return _moment(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self) -> Any:
        c1, c0 = self.concentration1, self.concentration0
        t1, t0 = 1 - c1.reciprocal(), 1 - c0.reciprocal()
        harmonic = tenkai.digamma(c0 + 1) + EULER_GAMMA
        return t0 + t1 * harmonic - tenkai.log(c1) - tenkai.log(c0)


class InverseGamma(_Family):
    """Inverse gamma distribution: ``1 / X`` with X ~ Gamma(concentration, rate)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base.rate.new_ones(())
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    @property
    def concentration(self) -> Any:
        return self.base_dist.concentration

    @property
    def rate(self) -> Any:
        return self.base_dist.rate

    @property
    def mean(self) -> Any:
        result = self.rate / (self.concentration - 1)
        return tenkai.where(self.concentration > 1, result, tenkai.full_like(result, math.inf))

    @property
    def mode(self) -> Any:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Any:
        c = self.concentration
        result = self.rate.square() / ((c - 1).square() * (c - 2))
        return tenkai.where(c > 2, result, tenkai.full_like(result, math.inf))

    def entropy(self) -> Any:
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()
