"""The KL pairs PyTorch registers for the families added last: ContinuousBernoulli (with
itself, Beta, Exponential, Normal, Uniform, and the infinite pairs), LowRankMultivariateNormal
(with itself and MultivariateNormal, both ways) and the Bregman divergence between two
members of one ExponentialFamily."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from .continuous_bernoulli import ContinuousBernoulli
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Beta, Gamma
from .kl import register_kl
from .laplace import Laplace
from .lowrank_multivariate_normal import (
    LowRankMultivariateNormal,
    _lowrank_logdet,
    _lowrank_mahalanobis,
)
from .multivariate_normal import MultivariateNormal, batch_mahalanobis
from .normal import Normal
from .transformed import Gumbel, Pareto
from .uniform import Uniform
from .utils import sum_rightmost

__all__: list[str] = []


def _inf_where(cond: Any, t: Any) -> Any:
    return tenkai.where(cond, tenkai.full_like(t, math.inf), t)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p: Any, q: Any) -> Any:
    return (p.mean * (p.logits - q.logits) + p._log_norm() + tenkai.log1p(-p.probs)
            - q._log_norm() - tenkai.log1p(-q.probs))


def _cross_entropy_to_cb(p: Any, q: Any) -> Any:
    """-H(p) - E_p[log q(x)] for a p on [0, 1] and a ContinuousBernoulli q."""
    return -p.entropy() - p.mean * q.logits - tenkai.log1p(-q.probs) - q._log_norm()


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_cb(p: Any, q: Any) -> Any:
    return _cross_entropy_to_cb(p, q)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p: Any, q: Any) -> Any:
    result = _cross_entropy_to_cb(p, q)
    return _inf_where((p.high >= q.support.upper_bound) | (p.low <= q.support.lower_bound),
                      result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p: Any, q: Any) -> Any:
    return -p.entropy() - tenkai.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p: Any, q: Any) -> Any:
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale).square()) + tenkai.log(q.scale)
    t3 = (p.variance + p.mean.square() - 2.0 * q.loc * p.mean) / (2.0 * q.scale.square())
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p: Any, q: Any) -> Any:
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low >= p.support.lower_bound) | (q.high <= p.support.upper_bound),
                      result)


def _infinite(attr: str) -> Any:
    def kl(p: Any, q: Any) -> Any:
        return tenkai.full_like(getattr(p, attr), math.inf)
    return kl


register_kl(ContinuousBernoulli, Pareto)(_infinite("probs"))
for _p_type, _attr in ((Exponential, "rate"), (Gamma, "concentration"), (Gumbel, "loc"),
                       (Laplace, "loc"), (Normal, "loc"), (Pareto, "scale")):
    register_kl(_p_type, ContinuousBernoulli)(_infinite(_attr))


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p: Any, q: Any) -> Any:
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot be computed using Bregman divergences "
                                  f"(p: {type(p).__name__}, q: {type(q).__name__})")
    p_params = [param.detach().requires_grad_() for param in p._natural_params]
    q_params = q._natural_params
    with tenkai.enable_grad():
        log_norm = p._log_normalizer(*p_params)
        grads = tenkai.autograd.grad(log_norm.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q_params) - log_norm
    for pp, qp, g in zip(p_params, q_params, grads, strict=True):
        term = (qp - pp) * g  # summed over the parameter's own dims, not the batch's
        result = result - sum_rightmost(term, max(term.dim() - result.dim(), 0))
    return result


def _trace_xxt(x: Any) -> Any:
    """trace(X X^T) for each matrix of a batch."""
    return x.pow(2).sum((-2, -1))


def _check_events(p: Any, q: Any, what: str) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with different event shapes "
                         "cannot be computed")


def _q_inverse_factor(q: Any) -> Any:
    """A with inv(q's covariance) = inv(D) - A^T A (Woodbury)."""
    wt_dinv = q._unbroadcasted_cov_factor.mT / q._unbroadcasted_cov_diag.unsqueeze(-2)
    return tenkai.linalg.solve_triangular(q._capacitance_tril, wt_dinv, upper=False)


def _lowrank_q_terms(p: Any, q: Any) -> tuple[Any, Any]:
    """log det of q's covariance and the Mahalanobis term of the mean difference."""
    w, d = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    return (_lowrank_logdet(d, q._capacitance_tril),
            _lowrank_mahalanobis(w, d, q.loc - p.loc, q._capacitance_tril))


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p: Any, q: Any) -> Any:
    _check_events(p, q, "Low Rank Multivariate Normals")
    q_log_det, mahalanobis = _lowrank_q_terms(p, q)
    term1 = q_log_det - _lowrank_logdet(p._unbroadcasted_cov_diag, p._capacitance_tril)
    a = _q_inverse_factor(q)
    p_w, p_d, q_d = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, \
        q._unbroadcasted_cov_diag
    term2 = ((p_d / q_d).sum(-1) + _trace_xxt(p_w * q_d.rsqrt().unsqueeze(-1))
             - _trace_xxt(a * p_d.sqrt().unsqueeze(-2)) - _trace_xxt(a @ p_w))
    return 0.5 * (term1 + term2 + mahalanobis - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p: Any, q: Any) -> Any:
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    q_log_det, mahalanobis = _lowrank_q_terms(p, q)
    p_tril = p._unbroadcasted_scale_tril
    term1 = q_log_det - 2 * p_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    a = _q_inverse_factor(q)
    term2 = (_trace_xxt(p_tril * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
             - _trace_xxt(a @ p_tril))
    return 0.5 * (term1 + term2 + mahalanobis - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p: Any, q: Any) -> Any:
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    q_tril = q._unbroadcasted_scale_tril
    term1 = (2 * q_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
             - _lowrank_logdet(p._unbroadcasted_cov_diag, p._capacitance_tril))
    mahalanobis = batch_mahalanobis(q_tril, q.loc - p.loc)
    batch = tenkai.broadcast_shapes(q_tril.shape[:-2], p._unbroadcasted_cov_factor.shape[:-2])
    n = p.event_shape[0]
    q_tril = q_tril.expand(tuple(batch) + (n, n))
    p_w = p._unbroadcasted_cov_factor.expand(tuple(batch) + (n, p.cov_factor.size(-1)))
    p_d = tenkai.diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(tuple(batch) + (n, n))
    term2 = (_trace_xxt(tenkai.linalg.solve_triangular(q_tril, p_w, upper=False))
             + _trace_xxt(tenkai.linalg.solve_triangular(q_tril, p_d, upper=False)))
    return 0.5 * (term1 + term2 + mahalanobis - n)
