"""``tenkai.optim.NAdam`` and ``RAdam``: Adam with Nesterov momentum, and rectified Adam."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    addcdiv_,
    addcmul_,
    check_betas,
    check_flags,
    check_nonnegative,
    count_step,
    fresh_state,
    lerp_,
)


def _adam_defaults(lr: float, betas: tuple[float, float], eps: float, weight_decay: float,
                   differentiable: bool, **options: Any) -> dict[str, Any]:
    """Check the options NAdam and RAdam share with Adam and return them as defaults."""
    check_nonnegative(lr=lr, eps=eps)
    check_betas(betas)
    check_nonnegative(weight_decay=weight_decay)
    check_flags(differentiable)
    return {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, **options,
            "differentiable": differentiable}


def _moments(param: Tensor, grad: Tensor, state: dict[str, Any],
             group: dict[str, Any]) -> tuple[Tensor, Tensor]:
    """Weight decay (L2 or decoupled), then Adam's two moment updates; returns the
    (possibly decayed) gradient and ``step`` as float64."""
    step = count_step(state)
    lr, weight_decay = group["lr"], group["weight_decay"]
    if weight_decay != 0:
        if group["decoupled_weight_decay"]:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = _ops.add(grad, param, alpha=weight_decay)
    beta1, beta2 = group["betas"]
    lerp_(state["exp_avg"], grad, 1 - beta1)
    addcmul_(state["exp_avg_sq"].mul_(beta2), grad, grad, 1 - beta2)
    return grad, step


class NAdam(Optimizer):
    """NAdam (Adam with Nesterov momentum and momentum decay), with PyTorch's update rule.

    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``; the step combines the
    gradient weighted by ``(1 - mu_t) / (1 - prod mu)`` and the first moment weighted by
    ``mu_{t+1} / (1 - prod mu * mu_{t+1})``, over ``sqrt(v / (1 - beta2**t)) + eps``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = _adam_defaults(lr, betas, eps, weight_decay, differentiable,
                                  momentum_decay=momentum_decay,
                                  decoupled_weight_decay=decoupled_weight_decay,
                                  maximize=maximize, foreach=foreach, capturable=capturable)
        check_nonnegative(momentum_decay=momentum_decay)
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state.update(fresh_state(param, "exp_avg", "exp_avg_sq", mu_product=1.0))
        grad, step = _moments(param, grad, state, group)
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["momentum_decay"]
        bias_correction2 = _ops.sub(1, _ops.pow(beta2, step))
        mu = _ops.mul(beta1, _ops.sub(1.0, _ops.mul(0.5, _ops.pow(0.96, _ops.mul(step, decay)))))
        mu_next = _ops.mul(beta1, _ops.sub(1.0, _ops.mul(
            0.5, _ops.pow(0.96, _ops.mul(_ops.add(step, 1), decay)))))
        # PyTorch multiplies in the product's dtype (mu rounded to it first)
        mu_product = state["mu_product"]
        mu_product.mul_(_ops.cast(mu, mu_product._ir_dtype))
        # PyTorch reads mu_product back as a Python float (its stored precision) here
        mu_product = _ops.cast(mu_product, "float64")
        mu_product_next = _ops.mul(mu_product, mu_next)
        denom = _ops.add(_ops.sqrt(_ops.div(state["exp_avg_sq"], bias_correction2)),
                         group["eps"])
        grad_weight = _ops.div(_ops.mul(-lr, _ops.sub(1.0, mu)), _ops.sub(1.0, mu_product))
        addcdiv_(param, grad, denom, grad_weight)
        avg_weight = _ops.div(_ops.mul(-lr, mu_next), _ops.sub(1.0, mu_product_next))
        addcdiv_(param, state["exp_avg"], denom, avg_weight)


class RAdam(Optimizer):
    """RAdam (rectified Adam), with PyTorch's update rule and defaults.

    While the variance's length ``rho_t`` is at most 5 the step is SGD with momentum
    (``p -= lr * m_hat``); after it, Adam's step scaled by the rectification term.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = _adam_defaults(lr, betas, eps, weight_decay, differentiable,
                                  maximize=maximize, foreach=foreach, capturable=capturable,
                                  decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state.update(fresh_state(param, "exp_avg", "exp_avg_sq"))
        grad, step = _moments(param, grad, state, group)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        bias_correction1 = _ops.sub(1, _ops.pow(beta1, step))
        bias_correction2 = _ops.sub(1, _ops.pow(beta2, step))
        corrected_avg = _ops.div(state["exp_avg"], bias_correction1)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = _ops.sub(rho_inf, _ops.div(_ops.mul(_ops.mul(2, step), _ops.pow(beta2, step)),
                                           bias_correction2))
        # both branches are computed and one is picked by rho_t (a tensor), so the step
        # traces without reading the counter; the unpicked rect may be NaN, never used
        rect = _ops.sqrt(_ops.div(_ops.mul(_ops.mul(_ops.sub(rho_t, 4), _ops.sub(rho_t, 2)),
                                           rho_inf),
                                  _ops.mul((rho_inf - 4) * (rho_inf - 2), rho_t)))
        adaptive_lr = _ops.div(_ops.sqrt(bias_correction2),
                               _ops.add(_ops.sqrt(state["exp_avg_sq"]), group["eps"]))
        plain = _ops.mul(corrected_avg, lr)
        rectified = _ops.mul(_ops.mul(plain, adaptive_lr), rect)
        param.sub_(_ops.where(_ops.gt(rho_t, 5.0), rectified, plain))
