"""``tenkai.optim.Adamax``: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    addcdiv_,
    check_betas,
    check_flags,
    check_nonnegative,
    count_step,
    fresh_state,
    lerp_,
)


class Adamax(Optimizer):
    """Adamax, with PyTorch's update rule and defaults.

    ``m = lerp(m, g, 1 - beta1)``, ``u = max(beta2 * u, |g| + eps)``, then
    ``p -= lr / (1 - beta1**t) * m / u``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_nonnegative(lr=lr, eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        check_flags(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state.update(fresh_state(param, "exp_avg", "exp_inf"))
        step = count_step(state)
        if group["weight_decay"] != 0:
            grad = _ops.add(grad, param, alpha=group["weight_decay"])
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf.copy_(_ops.maximum(exp_inf.mul_(beta2), _ops.add(grad.abs(), group["eps"])))
        step_size = _ops.div(group["lr"], _ops.sub(1, _ops.pow(beta1, step)))
        addcdiv_(param, exp_avg, exp_inf, _ops.neg(step_size))
