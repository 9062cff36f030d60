"""``ContinuousBernoulli(probs=None, logits=None, lims=(0.499, 0.501))``: the density on
[0, 1] proportional to ``probs**x (1 - probs)**(1 - x)``. Near ``probs = 1/2`` the closed forms
divide by ~0, so inside ``lims`` PyTorch's Taylor expansions are used, as there."""

from __future__ import annotations

import math
import numbers
from typing import Any

import tenkai
import tenkai.nn.functional as F

from . import constraints
from .distribution import EMPTY_SHAPE
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    """Continuous Bernoulli distribution on the unit interval."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 lims: tuple[float, float] = (0.499, 0.501),
                 validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
            if validate_args is not None and not constraints.all_true(
                    self.arg_constraints["probs"].check(self.probs)):
                raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        self._lims = lims
        super().__init__(tenkai.Size() if is_scalar else self._param.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ContinuousBernoulli:
        new = self._expand_params(ContinuousBernoulli, batch_shape, ("probs", "logits"),
                                  _instance)
        new._lims = self._lims
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new

    @lazy_property
    def logits(self) -> Any:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Any:
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self) -> Any:
        return self._param.size()

    def _stable(self) -> Any:
        """Where probs lies outside the lims (the closed forms are stable there)."""
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Any:
        return tenkai.where(self._stable(), self.probs,
                            tenkai.full_like(self.probs, self._lims[0]))

    def _log_norm(self) -> Any:
        """log C(probs), C the normalizing constant."""
        cut = self._cut_probs()
        below = tenkai.where(cut <= 0.5, cut, tenkai.zeros_like(cut))
        above = tenkai.where(cut >= 0.5, cut, tenkai.ones_like(cut))
        exact = tenkai.log((tenkai.log1p(-cut) - tenkai.log(cut)).abs()) - tenkai.where(
            cut <= 0.5, tenkai.log1p(-2.0 * below), tenkai.log(2.0 * above - 1.0))
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return tenkai.where(self._stable(), exact, taylor)

    @property
    def mean(self) -> Any:
        cut = self._cut_probs()
        exact = cut / (2.0 * cut - 1.0) + 1.0 / (tenkai.log1p(-cut) - tenkai.log(cut))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return tenkai.where(self._stable(), exact, taylor)

    @property
    def variance(self) -> Any:
        cut = self._cut_probs()
        exact = (cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2)
                 + 1.0 / (tenkai.log1p(-cut) - tenkai.log(cut)).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return tenkai.where(self._stable(), exact, taylor)

    @property
    def stddev(self) -> Any:
        return self.variance.sqrt()

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        with tenkai.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        u = tenkai.rand(tuple(self._extended_shape(sample_shape)), dtype=self.probs.dtype)
        return self.icdf(u)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return (-F.binary_cross_entropy_with_logits(logits, value, reduction="none")
                + self._log_norm())

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        exact = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        inside = tenkai.where(self._stable(), exact, value)
        return tenkai.where(value <= 0.0, tenkai.zeros_like(value),
                            tenkai.where(value >= 1.0, tenkai.ones_like(value), inside))

    def icdf(self, value: Any) -> Any:
        cut = self._cut_probs()
        exact = ((tenkai.log1p(-cut + value * (2.0 * cut - 1.0)) - tenkai.log1p(-cut))
                 / (tenkai.log(cut) - tenkai.log1p(-cut)))
        return tenkai.where(self._stable(), exact, value)

    def entropy(self) -> Any:
        log_p0, log_p1 = tenkai.log1p(-self.probs), tenkai.log(self.probs)
        return self.mean * (log_p0 - log_p1) - self._log_norm() - log_p0

    @property
    def _natural_params(self) -> tuple[Any, ...]:
        return (self.logits,)

    def _log_normalizer(self, x: Any) -> Any:
        low, high = self._lims[0] - 0.5, self._lims[1] - 0.5
        stable = (x <= low) | (x > high)
        cut = tenkai.where(stable, x, tenkai.full_like(x, low))
        exact = tenkai.log(tenkai.expm1(cut).abs()) - tenkai.log(cut.abs())
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return tenkai.where(stable, exact, taylor)
