"""KL divergences of the families beyond ``kl.py``'s first twelve: the same-family pairs of
the count, transformed and heavy-tailed families, and the pairs across families that have a
closed form (PyTorch's set), plus the pairs whose KL is infinite because ``q`` puts no mass
where ``p`` does. Registered on import of ``tenkai.distributions``."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from .bernoulli import Bernoulli
from .cauchy import Cauchy
from .discrete import Binomial, Geometric, Poisson
from .exponential import Exponential
from .gamma import Beta, Gamma
from .kl import _kl_normal_normal, kl_divergence, register_kl
from .laplace import Laplace
from .normal import Normal
from .transformed import EULER_GAMMA, Gumbel, HalfNormal, Pareto, TransformedDistribution
from .uniform import Uniform

__all__: list[str] = []


def _inf_where(cond: Any, t: Any) -> Any:
    return tenkai.where(cond, tenkai.full_like(t, math.inf), t)


def _mean_beta(p: Any) -> Any:
    return p.concentration1 / (p.concentration1 + p.concentration0)


# ------------------------------------------------------------------ same family


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Any, q: Any) -> Any:
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count "
                                  "is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    return _inf_where(p.total_count > q.total_count, kl)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Any, q: Any) -> Any:
    return -p.entropy() - tenkai.log1p(-q.probs) / p.probs - q.logits


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Any, q: Any) -> Any:
    scale_ratio = p.scale / q.scale
    q_loc, p_loc = q.loc / q.scale, p.loc / q.scale
    t1 = -scale_ratio.log() - q_loc + p_loc
    t3 = tenkai.exp(q_loc + (1 + scale_ratio).lgamma() - p_loc)
    return t1 + scale_ratio * EULER_GAMMA + t3 - (1 + EULER_GAMMA)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: Any, q: Any) -> Any:
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Any, q: Any) -> Any:
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return _inf_where(p.scale < q.scale, result)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Any, q: Any) -> Any:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: Any, q: Any) -> Any:
    if p.transforms != q.transforms:
        raise NotImplementedError("KL between TransformedDistributions with different "
                                  "transforms is not implemented")
    if p.event_shape != q.event_shape:
        raise NotImplementedError("KL between TransformedDistributions with different "
                                  "event shapes is not implemented")
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Any, q: Any) -> Any:
    spread = ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log()
    return spread - (4 * p.scale * q.scale).log()


# ------------------------------------------------------------------ across families


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Any, q: Any) -> Any:
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p: Any, q: Any) -> Any:
    return -p.entropy() - q.rate.log() + q.rate * _mean_beta(p)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p: Any, q: Any) -> Any:
    c1, total = p.concentration1, p.concentration1 + p.concentration0
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (q.concentration - 1) * (c1.digamma() - total.digamma())
    return -p.entropy() + t2 - t3 + q.rate * c1 / total


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Any, q: Any) -> Any:
    mean = _mean_beta(p)
    var_normal = q.scale.pow(2)
    second_moment = 0.5 * (mean * (1 - mean) / (p.concentration1 + p.concentration0 + 1)
                           + mean.pow(2))
    return (-p.entropy() + 0.5 * (var_normal * 2 * math.pi).log()
            + (second_moment - q.loc * mean + 0.5 * q.loc.pow(2)) / var_normal)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Any, q: Any) -> Any:
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low > 0.0) | (q.high < 1.0), result)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Any, q: Any) -> Any:
    ratio = q.rate / p.rate
    return (-q.concentration * ratio.log() + ratio + q.concentration.lgamma()
            + q.concentration * EULER_GAMMA - (1 + EULER_GAMMA))


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Any, q: Any) -> Any:
    prod = p.rate * q.scale
    loc_ratio = q.loc / q.scale
    return (prod.log() - 1 - loc_ratio + tenkai.exp(loc_ratio) * prod / (prod + 1)
            + prod.reciprocal())


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p: Any, q: Any) -> Any:
    var_normal = q.scale.pow(2)
    rate_sq = p.rate.pow(2)
    t1 = 0.5 * tenkai.log(rate_sq * var_normal * 2 * math.pi)
    return t1 - 1 + (rate_sq.reciprocal() - q.loc / p.rate + q.loc.pow(2) * 0.5) / var_normal


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p: Any, q: Any) -> Any:
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Any, q: Any) -> Any:
    c = p.concentration
    prod = p.rate * q.scale
    loc_ratio = q.loc / q.scale
    t1 = (c - 1) * c.digamma() - c.lgamma() - c
    t2 = prod.log() + c / prod
    t3 = tenkai.exp(loc_ratio) * (1 + prod.reciprocal()).pow(-c) - loc_ratio
    return t1 + t2 + t3


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Any, q: Any) -> Any:
    c = p.concentration
    var_normal = q.scale.pow(2)
    rate_sq = p.rate.pow(2)
    t1 = 0.5 * tenkai.log(rate_sq * var_normal * 2 * math.pi) - c - c.lgamma()
    moments = 0.5 * (c.pow(2) + c) / rate_sq - q.loc * c / p.rate + 0.5 * q.loc.pow(2)
    return t1 + (c - 1) * c.digamma() + moments / var_normal


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Any, q: Any) -> Any:
    ratio = p.scale / q.scale
    t1 = (ratio / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * ratio * 0.5).pow(2) / 3
    t3 = ((p.loc + p.scale * EULER_GAMMA - q.loc) / q.scale).pow(2) * 0.5
    return -t1 + t2 + t3 - (EULER_GAMMA + 1)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p: Any, q: Any) -> Any:
    var_normal = q.scale.pow(2)
    ratio = p.scale.pow(2) / var_normal
    t1 = 0.5 * tenkai.log(2 * ratio / math.pi)
    moments = 0.5 * p.loc.pow(2) - p.loc * q.loc + 0.5 * q.loc.pow(2)
    return -t1 + ratio + moments / var_normal - 1


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Any, q: Any) -> Any:
    mean_ratio = p.loc / q.scale
    var_ratio = (p.scale / q.scale).pow(2)
    loc_ratio = q.loc / q.scale
    t3 = tenkai.exp(-mean_ratio + 0.5 * var_ratio + loc_ratio)
    return (-var_ratio.log() * 0.5 + mean_ratio - loc_ratio + t3
            - (0.5 * (1 + math.log(2 * math.pi))))


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Any, q: Any) -> Any:
    loc_diff = p.loc - q.loc
    z = loc_diff / p.scale
    t2 = math.sqrt(2 / math.pi) * p.scale * tenkai.exp(-0.5 * z.pow(2))
    t3 = loc_diff * tenkai.erf(math.sqrt(0.5) * z)
    return (-tenkai.log(p.scale / q.scale) + (t2 + t3) / q.scale
            - (0.5 * (1 + math.log(0.5 * math.pi))))


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p: Any, q: Any) -> Any:
    prod = p.scale * q.rate
    result = ((p.alpha / prod).log() - p.alpha.reciprocal() + p.alpha * prod / (p.alpha - 1)
              - 1)
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p: Any, q: Any) -> Any:
    common = p.scale.log() + p.alpha.reciprocal()
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    result = p.alpha.log() - common + t2 + (1 - q.concentration) * common + t4 - 1
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p: Any, q: Any) -> Any:
    var_normal = 2 * q.scale.pow(2)
    common = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc).pow(2)
    result = t1 - p.alpha.reciprocal() + (t3 + t4) / var_normal - 1
    return _inf_where(p.alpha <= 2, result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p: Any, q: Any) -> Any:
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return _inf_where(p.low < 0.0, result)


def _x_log_x(t: Any) -> Any:
    return t * t.log()


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Any, q: Any) -> Any:
    width = p.high - p.low
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    result = -width.log() + t2 + t3 + q.rate * (p.high + p.low) / 2
    return _inf_where(p.low < 0.0, result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Any, q: Any) -> Any:
    ratio = q.scale / (p.high - p.low)
    high = (p.high - q.loc) / q.scale
    low = (p.low - q.loc) / q.scale
    return ratio.log() + 0.5 * (high + low) - ratio * (tenkai.exp(-high) - tenkai.exp(-low))


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Any, q: Any) -> Any:
    width = p.high - p.low
    t1 = (math.sqrt(math.pi * 2) * q.scale / width).log()
    t2 = width.pow(2) / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)


# ------------------------------------------------------------------ infinite: q has no mass
# where p has (p's support is unbounded, or reaches past q's), as in PyTorch

_INFINITE = {
    "loc": [(Normal, (Beta, Exponential, Gamma, Pareto, Uniform)),
            (Laplace, (Beta, Exponential, Gamma, Pareto, Uniform)),
            (Gumbel, (Beta, Exponential, Gamma, Pareto, Uniform))],
    "rate": [(Exponential, (Beta, Pareto, Uniform)), (Poisson, (Bernoulli, Binomial))],
    "concentration": [(Gamma, (Beta, Pareto, Uniform))],
    "concentration1": [(Beta, (Pareto,))],
    "scale": [(Pareto, (Beta, Uniform))],
}


def _infinite(attr: str) -> Any:
    def kl(p: Any, q: Any) -> Any:
        return tenkai.full_like(getattr(p, attr), math.inf)
    return kl


for _attr, _pairs in _INFINITE.items():
    for _p_type, _q_types in _pairs:
        for _q_type in _q_types:
            register_kl(_p_type, _q_type)(_infinite(_attr))
