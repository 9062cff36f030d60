"""``VonMises(loc, concentration)``: the circular normal distribution on [-pi, pi). The log
of the modified Bessel functions I0, I1 uses the polynomial approximations of Abramowitz and
Stegun (9.8.1-9.8.4), as PyTorch does, so values and gradients agree with it. Samples come
from Best and Fisher's rejection sampler (its rounds depend on the values drawn, so
``sample`` is refused inside ``tenkai.compile``, like the gamma sampler)."""

from __future__ import annotations

import math
from typing import Any

import tenkai
from tenkai import _trace

from . import constraints
from .distribution import EMPTY_SHAPE, Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["VonMises"]

# Abramowitz & Stegun 9.8.1/9.8.3 (|x| < 3.75, in (x / 3.75) ** 2) and 9.8.2/9.8.4
# (x >= 3.75, in 3.75 / x) for I0 and I1
_SMALL = ((1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813),
          (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411))
_LARGE = ((0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706,
           0.02635537, -0.01647633, 0.00392377),
          (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967,
           -0.02895312, 0.01787654, -0.00420059))


def _horner(y: Any, coefficients: tuple[float, ...]) -> Any:
    result: Any = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = c + y * result
    return result


def log_bessel_i(x: Any, order: int = 0) -> Any:
    """``log I_order(x)`` for x > 0 and order 0 or 1."""
    if order not in (0, 1):
        raise ValueError(f"order must be 0 or 1, got {order}")
    small = _horner((x / 3.75) ** 2, _SMALL[order])
    if order == 1:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _horner(3.75 / x, _LARGE[order]).log()
    return tenkai.where(x < 3.75, small.log(), large)


def _rejection_sample(loc: Any, kappa: Any, proposal_r: Any, shape: Any) -> Any:
    x = tenkai.zeros(shape, dtype=loc.dtype)
    done = tenkai.zeros(shape, dtype=tenkai.bool)
    while not constraints.all_true(done):
        u1, u2, u3 = tenkai.rand((3,) + tuple(shape), dtype=loc.dtype).unbind()
        z = tenkai.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = kappa * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        x = tenkai.where(accept & ~done, (u3 - 0.5).sign() * f.clamp(-1, 1).acos(), x)
        done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """Von Mises distribution with mean direction ``loc`` and ``concentration``."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Any, concentration: Any, validate_args: bool | None = None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, tenkai.Size(), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> VonMises:
        return self._expand_params(VonMises, batch_shape, ("loc", "concentration"), _instance)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * tenkai.cos(value - self.loc) - math.log(2 * math.pi)
                - log_bessel_i(self.concentration, 0))

    @lazy_property
    def _proposal_r(self) -> Any:
        kappa = self.concentration.double()
        tau = 1 + (1 + 4 * kappa ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        return tenkai.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        if _trace.active() is not None:
            raise NotImplementedError(
                "VonMises.sample inside tenkai.compile: the rejection sampler's number of "
                "rounds depends on the values drawn; draw outside the compiled function")
        with tenkai.no_grad():
            shape = self._extended_shape(sample_shape)
            draw = _rejection_sample(self.loc.double().detach(),
                                     self.concentration.double().detach(),
                                     self._proposal_r.detach(), shape)
            return draw.to(self.loc.dtype)

    @property
    def mean(self) -> Any:
        return self.loc

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def variance(self) -> Any:
        kappa = self.concentration
        return 1 - (log_bessel_i(kappa, 1) - log_bessel_i(kappa, 0)).exp()
