"""``tenkai.optim.RMSprop``: gradients scaled by a running RMS, optionally centered."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    addcdiv_,
    addcmul,
    addcmul_,
    check_flags,
    check_nonnegative,
    count_step,
    lerp_,
    new_step,
)


class RMSprop(Optimizer):
    """RMSprop, with PyTorch's update rule and defaults.

    ``v = alpha * v + (1 - alpha) * g * g``; ``avg = sqrt(v) + eps`` (centered:
    ``sqrt(v - gavg**2) + eps`` with ``gavg = lerp(gavg, g, 1 - alpha)``); then
    ``p -= lr * g / avg``, or with momentum ``b = momentum * b + g / avg; p -= lr * b``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                          alpha=alpha)
        check_flags(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = new_step()
            state["square_avg"] = zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = zeros_like(param)
        count_step(state)
        if group["weight_decay"] != 0:
            grad = _ops.add(grad, param, alpha=group["weight_decay"])
        square_avg = addcmul_(state["square_avg"].mul_(alpha), grad, grad, 1 - alpha)
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"], grad, 1 - alpha)
            avg = _ops.sqrt(addcmul(square_avg, grad_avg, grad_avg, -1))
        else:
            avg = _ops.sqrt(square_avg)
        avg = _ops.add(avg, group["eps"])
        if momentum > 0:
            buf = addcdiv_(state["momentum_buffer"].mul_(momentum), grad, avg)
            param.add_(buf, alpha=-group["lr"])
        else:
            addcdiv_(param, grad, avg, -group["lr"])
