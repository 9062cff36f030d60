"""``GeneralizedPareto(loc, scale, concentration)``: the peaks-over-threshold family; a
concentration of 0 is the exponential tail (handled by the ``isclose(concentration, 0)``
branches, as in PyTorch). Samples are ``icdf`` of uniform draws, so ``rsample`` has gradients."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from . import constraints
from .distribution import EMPTY_SHAPE, Distribution
from .utils import broadcast_all, params_batch_shape

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Generalized Pareto distribution with location, scale and shape (``concentration``)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, concentration: Any,
                 validate_args: bool | None = None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(params_batch_shape((loc, scale, concentration), self.loc),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> GeneralizedPareto:
        return self._expand_params(GeneralizedPareto, batch_shape,
                                   ("loc", "scale", "concentration"), _instance)

    def _safe_concentration(self) -> tuple[Any, Any]:
        c = self.concentration
        zero = tenkai.isclose(c, tenkai.zeros_like(c))
        return zero, tenkai.where(zero, tenkai.ones_like(c), c)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        u = tenkai.rand(tuple(self._extended_shape(sample_shape)), dtype=self.loc.dtype)
        return self.icdf(u)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        zero, safe = self._safe_concentration()
        y = 1 / safe + tenkai.ones_like(z)
        nonzero = tenkai.where(y == 0, y, y * tenkai.log1p(safe * z))
        return -self.scale.log() - tenkai.where(zero, z, nonzero)

    def log_survival_function(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        zero, safe = self._safe_concentration()
        return tenkai.where(zero, -z, -tenkai.log1p(safe * z) / safe)

    def log_cdf(self, value: Any) -> Any:
        return tenkai.log1p(-tenkai.exp(self.log_survival_function(value)))

    def cdf(self, value: Any) -> Any:
        return tenkai.exp(self.log_cdf(value))

    def icdf(self, value: Any) -> Any:
        zero, safe = self._safe_concentration()
        log_u = tenkai.log1p(-value)
        nonzero = self.loc + self.scale / safe * tenkai.expm1(-safe * log_u)
        return tenkai.where(zero, self.loc - self.scale * log_u, nonzero)

    @property
    def mean(self) -> Any:
        c = self.concentration
        valid = c < 1
        safe = tenkai.where(valid, c, tenkai.full_like(c, 0.5))
        result = self.loc + self.scale / (1 - safe)
        return tenkai.where(valid, result, tenkai.full_like(result, math.nan))

    @property
    def variance(self) -> Any:
        c = self.concentration
        valid = c < 0.5
        safe = tenkai.where(valid, c, tenkai.full_like(c, 0.25))
        result = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return tenkai.where(valid, result, tenkai.full_like(result, math.nan))

    def entropy(self) -> Any:
        return (tenkai.log(self.scale) + self.concentration + 1).expand(self._batch_shape)

    @property
    def mode(self) -> Any:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Any:
        lower = self.loc
        c = self.concentration
        safe = tenkai.where(c < 0, c, -tenkai.ones_like(c))
        upper = tenkai.where(c < 0, lower - self.scale / safe, tenkai.full_like(c, math.inf))
        return constraints.interval(lower, upper)
