"""``tenkai.optim.Adadelta``: step sizes from running averages of squared gradients/updates."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    addcmul_,
    check_flags,
    check_nonnegative,
    count_step,
    new_step,
)


class Adadelta(Optimizer):
    """Adadelta, with PyTorch's update rule and defaults (``lr=1.0``).

    ``v = rho * v + (1 - rho) * g * g``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho * u + (1 - rho) * d * d``; ``p -= lr * d``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.Adadelta([w])
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.9968], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        check_flags(differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = new_step()
            state["square_avg"] = zeros_like(param)
            state["acc_delta"] = zeros_like(param)
        rho, eps = group["rho"], group["eps"]
        count_step(state)
        if group["weight_decay"] != 0:
            grad = _ops.add(grad, param, alpha=group["weight_decay"])
        square_avg = addcmul_(state["square_avg"].mul_(rho), grad, grad, 1 - rho)
        std = _ops.sqrt(_ops.add(square_avg, eps))
        delta = _ops.mul(_ops.div(_ops.sqrt(_ops.add(state["acc_delta"], eps)), std), grad)
        addcmul_(state["acc_delta"].mul_(rho), delta, delta, 1 - rho)
        param.add_(delta, alpha=-group["lr"])
