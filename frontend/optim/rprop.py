"""``tenkai.optim.Rprop``: resilient backpropagation (per-element step sizes from signs)."""

from __future__ import annotations

from typing import Any

from .. import _ops
from .._creation import full_like, zeros_like
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_flags, check_nonnegative, count_step, new_step


class Rprop(Optimizer):
    """Rprop, with PyTorch's update rule and defaults.

    Where the gradient kept its sign the step size grows by ``etas[1]``, where it flipped it
    shrinks by ``etas[0]`` (and that element skips this step), clamped to ``step_sizes``;
    then ``p -= sign(g) * step_size``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([1.0]))
        >>> opt = tenkai.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        check_flags(differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = new_step()
            state["prev"] = zeros_like(param)
            state["step_size"] = full_like(grad, group["lr"])
        count_step(state)
        (eta_minus, eta_plus), (size_min, size_max) = group["etas"], group["step_sizes"]
        prev, step_size = state["prev"], state["step_size"]
        sign = _ops.mul(grad, prev).sign()
        flipped = _ops.lt(sign, 0)

        def const(value: float) -> Tensor:  # in the parameter's dtype, as PyTorch's sign is
            return _ops.tensor_of(value, param._ir_dtype)

        factor = _ops.where(_ops.gt(sign, 0), const(eta_plus),
                            _ops.where(flipped, const(eta_minus), const(1.0)))
        step_size.copy_(_ops.clamp(_ops.mul(step_size, factor), size_min, size_max))
        grad = _ops.where(flipped, const(0.0), grad)
        param.sub_(_ops.mul(grad.sign(), step_size))
        prev.copy_(grad)
