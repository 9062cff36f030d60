"""``tenkai.optim.Adagrad``: per-coordinate learning rates from accumulated squared gradients."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._creation import full_like
from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    addcdiv_,
    addcmul_,
    check_flags,
    check_nonnegative,
    count_step,
    new_step,
)


class Adagrad(Optimizer):
    """Adagrad, with PyTorch's update rule and defaults.

    ``s += g * g``; ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``, where the
    accumulator ``s`` starts at ``initial_accumulator_value``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_flags(differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state eagerly, for every parameter, at construction.
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._initial_state(p, group["initial_accumulator_value"])

    @staticmethod
    def _initial_state(param: Tensor, initial_accumulator_value: float) -> dict[str, Any]:
        return {"step": new_step(), "sum": full_like(param, initial_accumulator_value)}

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:  # a group added after construction
            state.update(self._initial_state(param, self.defaults["initial_accumulator_value"]))
        step = count_step(state)
        if group["weight_decay"] != 0:
            grad = _ops.add(grad, param, alpha=group["weight_decay"])
        # lr / (1 + (step - 1) * lr_decay), as a float64 tensor (traceable, no .item())
        clr = _ops.div(group["lr"], _ops.add(1, _ops.mul(_ops.sub(step, 1), group["lr_decay"])))
        state_sum = addcmul_(state["sum"], grad, grad)
        std = _ops.add(_ops.sqrt(state_sum), group["eps"])
        addcdiv_(param, grad, std, _ops.neg(clr))
