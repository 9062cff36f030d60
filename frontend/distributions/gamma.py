"""``Gamma(concentration, rate)``, ``Dirichlet(concentration)``, ``Beta(concentration1,
concentration0)``: log_prob, entropy, moments and cdf as composites of ``lgamma``,
``digamma``, ``xlogy`` and ``gammainc``; samples from a rejection sampler (Marsaglia and
Tsang) on tenkai's generator.

What raises NotImplementedError (docs/distributions.md): ``rsample`` where a concentration
requires grad (tenkai has no implicit reparameterization gradient of the gamma draw), and
``sample``/``rsample`` inside ``tenkai.compile`` (the sampler's number of rounds depends on
the values drawn)."""

from __future__ import annotations

from typing import Any

import tenkai
from tenkai import _trace

from . import constraints
from .distribution import EMPTY_SHAPE
from .exp_family import ExponentialFamily
from .utils import broadcast_all, params_batch_shape

__all__ = ["Beta", "Dirichlet", "Gamma", "standard_gamma"]


def _accept_round(alpha: Any) -> tuple[Any, Any]:
    """One Marsaglia-Tsang proposal for ``alpha >= 1``: the candidates and where they hold."""
    d = alpha - 1.0 / 3.0
    c = (9.0 * d).rsqrt()
    x = tenkai.randn(tuple(alpha.shape), dtype=alpha.dtype)
    v = (1.0 + c * x) ** 3
    u = tenkai.rand(tuple(alpha.shape), dtype=alpha.dtype)
    ok = (v > 0) & (tenkai.log(u) < 0.5 * x * x + d - d * v + d * tenkai.log(v.clamp(min=1e-30)))
    return d * v, ok


def standard_gamma(concentration: Any, what: str) -> Any:
    """Gamma(concentration, 1) draws of ``concentration``'s shape (no gradient)."""
    if _trace.active() is not None:
        raise NotImplementedError(
            f"{what} inside tenkai.compile: the gamma rejection sampler's number of rounds "
            "depends on the values drawn; draw outside the compiled function and pass the "
            "sample in")
    with tenkai.no_grad():
        alpha = concentration.detach()
        boosted = tenkai.where(alpha < 1, alpha + 1, alpha)  # alpha < 1: draw alpha + 1
        result = tenkai.zeros_like(alpha)
        done = tenkai.zeros(tuple(alpha.shape), dtype=tenkai.bool)
        while not constraints.all_true(done):
            candidate, ok = _accept_round(boosted)
            take = ok & ~done
            result = tenkai.where(take, candidate, result)
            done = done | take
        u = tenkai.rand(tuple(alpha.shape), dtype=alpha.dtype)
        shrink = tenkai.where(alpha < 1, u ** alpha.reciprocal(), tenkai.ones_like(u))
        tiny = tenkai.finfo(alpha.dtype).tiny
        return (result * shrink).clamp(min=tiny)


def _no_concentration_grad(concentration: Any, what: str) -> None:
    if concentration.requires_grad and tenkai.is_grad_enabled():
        raise NotImplementedError(
            f"{what}.rsample with a concentration that requires grad: tenkai has no implicit "
            "reparameterization gradient of the gamma draw yet (rate/scale gradients work)")


class Gamma(ExponentialFamily):
    """Gamma distribution with shape ``concentration`` and inverse scale ``rate``."""

    @property
    def _natural_params(self) -> tuple[Any, Any]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Any, y: Any) -> Any:
        return tenkai.lgamma(x + 1) + (x + 1) * tenkai.log(-y.reciprocal())

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(params_batch_shape((concentration, rate), self.rate),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        return self._expand_params(Gamma, batch_shape, ("concentration", "rate"), _instance)

    @property
    def mean(self) -> Any:
        return self.concentration / self.rate

    @property
    def mode(self) -> Any:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Any:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        _no_concentration_grad(self.concentration, "Gamma")
        shape = self._extended_shape(sample_shape)
        draw = standard_gamma(self.concentration.expand(shape), "Gamma.rsample")
        return draw / self.rate.expand(shape)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return tenkai.xlogy(c, r) + tenkai.xlogy(c - 1, value) - r * value - tenkai.lgamma(c)

    def entropy(self) -> Any:
        c = self.concentration
        return (c - tenkai.log(self.rate) + tenkai.lgamma(c)
                + (1.0 - c) * tenkai.digamma(c))

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return tenkai.special.gammainc(self.concentration, self.rate * value)


class Dirichlet(ExponentialFamily):
    """Dirichlet distribution over the simplex of ``concentration``'s last dim."""

    @property
    def _natural_params(self) -> tuple[Any]:
        return (self.concentration,)

    def _log_normalizer(self, x: Any) -> Any:
        return x.lgamma().sum(-1) - tenkai.lgamma(x.sum(-1))

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def _param_event_dims(self, name: str) -> int:
        return 1

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        return self._expand_params(Dirichlet, batch_shape, ("concentration",), _instance)

    @property
    def mean(self) -> Any:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def variance(self) -> Any:
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        _no_concentration_grad(self.concentration, "Dirichlet")
        shape = self._extended_shape(sample_shape)
        gammas = standard_gamma(self.concentration.expand(shape), "Dirichlet.rsample")
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (tenkai.xlogy(c - 1.0, value).sum(-1) + tenkai.lgamma(c.sum(-1))
                - tenkai.lgamma(c).sum(-1))

    def entropy(self) -> Any:
        c = self.concentration
        k, total = c.size(-1), c.sum(-1)
        return (tenkai.lgamma(c).sum(-1) - tenkai.lgamma(total)
                - (k - total) * tenkai.digamma(total)
                - ((c - 1.0) * tenkai.digamma(c)).sum(-1))


class Beta(ExponentialFamily):
    """Beta distribution on (0, 1): a Dirichlet over (x, 1 - x)."""

    @property
    def _natural_params(self) -> tuple[Any, Any]:
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x: Any, y: Any) -> Any:
        return tenkai.lgamma(x) + tenkai.lgamma(y) - tenkai.lgamma(x + y)

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(tenkai.stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        return self._expand_inner(Beta, "_dirichlet", batch_shape, _instance)

    @property
    def concentration1(self) -> Any:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Any:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Any:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self) -> Any:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(tenkai.stack([value, 1.0 - value], -1))

    def entropy(self) -> Any:
        return self._dirichlet.entropy()
