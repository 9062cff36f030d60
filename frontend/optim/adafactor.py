"""``tenkai.optim.Adafactor``: Adam-like steps with a factored second moment (row and column
averages for matrices), relative step sizes and update clipping."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _ops
from .._creation import zeros_like
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, count_step, new_step


def _lerp_by_tensor(start: Tensor, end: Tensor, weight: Tensor) -> Tensor:
    """``start.lerp_(end, weight)`` for a 0-d tensor ``weight``: PyTorch's two-sided formula,
    the side picked with ``where`` (no Python read of the weight, so it traces)."""
    diff = _ops.sub(end, start)
    near = _ops.add(start, _ops.mul(diff, weight))
    far = _ops.sub(end, _ops.mul(diff, _ops.sub(1, weight)))
    return start.copy_(_ops.where(_ops.lt(weight.abs(), 0.5), near, far))


def _mean_square(grad: Tensor, dim: int) -> Tensor:
    """``norm(grad, dim, keepdim=True) ** 2 / grad.size(dim)``, as PyTorch computes it."""
    return _ops.div(grad.norm(dim=dim, keepdim=True).square(), grad.size(dim))


class Adafactor(Optimizer):
    """Adafactor, with PyTorch's update rule, defaults and state names.

    ``beta2_t = 1 - t ** beta2_decay``; matrices keep ``row_var``/``col_var`` (their
    outer product over the row mean estimates the second moment), vectors ``variance``; the
    step ``max(eps2, RMS(p)) * min(lr, 1/sqrt(t))`` scales ``g / sqrt(v)`` clipped to RMS ``d``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.ones(2, 3))
        >>> opt = tenkai.optim.Adafactor([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        checks = [(lr >= 0.0, f"Learning rate should be >= 0 but is: {lr}"),
                  (beta2_decay <= 0.0, f"beta2_decay should be <= 0 but is: {beta2_decay}"),
                  (eps[0] is None or eps[0] >= 0.0, f"epsilon1 should be >= 0 but is: {eps[0]}"),
                  (eps[1] >= 0.0, f"epsilon2 should be >= 0 but is: {eps[1]}"),
                  (d >= 1.0, f"Clipping threshold d should be >= 1 but is: {d}"),
                  (weight_decay >= 0.0, f"weight_decay should be >= 0 but is: {weight_decay}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = new_step()
            if grad.dim() > 1:
                state["row_var"] = grad.new_zeros([*grad.shape[:-1], 1])
                state["col_var"] = grad.new_zeros([*grad.shape[:-2], 1, grad.shape[-1]])
            else:
                state["variance"] = zeros_like(grad)
        step = count_step(state)
        lr, (eps1, eps2) = group["lr"], group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(param._data.dtype).eps)
        weight = _ops.pow(step, group["beta2_decay"])  # 1 - beta2_t
        rho_t = _ops.minimum(_ops.div(1, _ops.pow(step, 0.5)), lr)
        rms = _ops.div(_ops.cast(param.norm(2), "float64"), param.numel() ** 0.5)
        alpha = _ops.mul(_ops.maximum(rms, eps2), rho_t)
        if group["weight_decay"] != 0:
            param.mul_(1 - lr * group["weight_decay"])
        if grad.dim() > 1:
            row_var = _lerp_by_tensor(state["row_var"], _mean_square(grad, -1), weight)
            col_var = _lerp_by_tensor(state["col_var"], _mean_square(grad, -2), weight)
            estimate = _ops.div(row_var @ col_var,
                                _ops.clamp(row_var.mean(dim=-2, keepdim=True), min=eps1))
        else:
            estimate = _lerp_by_tensor(state["variance"], _ops.mul(grad, grad), weight)
        update = _ops.mul(_ops.clamp(estimate, min=eps1 * eps1).rsqrt(), grad)
        update_rms = _ops.div(_ops.cast(update.norm(2), "float64"),
                              update.numel() ** 0.5 * group["d"])
        denom = _ops.maximum(update_rms, _ops.tensor_of(1.0, "float64"))
        param.sub_(_ops.mul(update, _ops.div(alpha, denom)))
