"""``tenkai.optim.ASGD``: averaged stochastic gradient descent."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    check_flags,
    check_nonnegative,
    count_step,
    fresh_state,
    scalar_dtype,
)


class ASGD(Optimizer):
    """Averaged SGD, with PyTorch's update rule and defaults.

    ``p *= 1 - lambd * eta; p -= eta * g``; the average ``ax`` follows ``p`` with weight
    ``mu``; then ``eta = lr / (1 + lambd * lr * t) ** alpha`` and ``mu = 1 / max(1, t - t0)``
    (``eta``, ``mu`` and ``ax`` live in the optimizer state, as PyTorch's).

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.ASGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_nonnegative(lr=lr, weight_decay=weight_decay)
        check_flags(differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state.update(fresh_state(param, "ax", eta=group["lr"], mu=1.0))
        step = count_step(state)
        lr, lambd = group["lr"], group["lambd"]
        if group["weight_decay"] != 0:
            grad = _ops.add(grad, param, alpha=group["weight_decay"])
        eta, mu, ax = (_ops.cast(state["eta"], "float64"), state["mu"], state["ax"])
        param.mul_(_ops.sub(1, _ops.mul(lambd, eta)))
        param.sub_(_ops.mul(grad, eta))
        # mu == 1 (until t0 steps): the average is the parameter itself, exactly
        averaged = _ops.add(ax, _ops.mul(_ops.sub(param, ax), mu))
        ax.copy_(_ops.where(_ops.eq(mu, 1), param, averaged))
        # PyTorch makes the new values as Python floats -> default-dtype tensors: round alike
        new_eta = _ops.div(lr, _ops.pow(_ops.add(1, _ops.mul(lambd * lr, step)), group["alpha"]))
        state["eta"].copy_(_ops.cast(new_eta, scalar_dtype()))
        new_mu = _ops.div(1, _ops.maximum(_ops.sub(step, group["t0"]),
                                          _ops.tensor_of(1.0, "float64")))
        mu.copy_(_ops.cast(new_mu, scalar_dtype()))
