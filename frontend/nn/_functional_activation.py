"""Activation functions and the softmax family of ``tenkai.nn.functional``.

Every function is a composite of elementwise / reduction registry ops, so it differentiates
through the registry's VJPs and fuses later. Piecewise functions use ``where`` and feed the
branch that is *not* taken a safe value (e.g. ``exp`` of a clipped input), so the unused
branch never produces ``inf`` whose zero cotangent would turn into NaN.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from tenkai.ir.ops import norm_axis

from .. import _ops as ops
from .. import _reduce
from .._dtype import as_dtype
from .._random import Generator, draw
from .._shape import chunk, reshape
from .._tensor import Tensor
from ._functional_common import channel_view, finish, float_input, named

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0): ``F.relu(torch.tensor([-1., 2.]))`` -> ``tensor([0., 2.])``."""
    return finish(input, ops.relu(input), "ReluBackward0", inplace)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``: ``F.relu_(x)`` overwrites ``x``."""
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): ``F.relu6(torch.tensor([-1., 7.]))`` -> ``tensor([0., 6.])``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to [min_val, max_val]; the gradient is zero at and beyond the bounds (PyTorch).

    ``F.hardtanh(torch.tensor([-2., 0.5]))`` -> ``tensor([-1.0000, 0.5000])``
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    x = float_input(input)
    out = ops.where(x <= min_val, min_val, ops.where(x >= max_val, max_val, x))
    return finish(input, out, "HardtanhBackward0", inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``: ``F.hardtanh_(x)`` overwrites ``x``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def _negative_part(x: Tensor) -> Tensor:
    """x where x <= 0, else 0: a safe input for exp-based negative branches."""
    return ops.where(x > 0, 0.0, x)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1): ``F.elu(torch.tensor([-1., 1.]))``."""
    x = float_input(input)
    out = ops.where(x > 0, x, ops.expm1(_negative_part(x)) * alpha)
    return finish(input, out, "EluBackward0", inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``: ``F.elu_(x)`` overwrites ``x``."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants: ``F.selu(x)``."""
    x = float_input(input)
    out = ops.where(x > 0, x * _SELU_SCALE,
                    ops.expm1(_negative_part(x)) * (_SELU_ALPHA * _SELU_SCALE))
    return finish(input, out, "EluBackward0", inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``: ``F.selu_(x)`` overwrites ``x``."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)): ``F.celu(x, alpha=2.0)``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    x = float_input(input)
    out = ops.where(x > 0, x, ops.expm1(_negative_part(x) * (1.0 / alpha)) * alpha)
    return finish(input, out, "CeluBackward0", inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``: ``F.celu_(x)`` overwrites ``x``."""
    return celu(input, alpha, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x: ``F.leaky_relu(x, 0.2)``."""
    x = float_input(input)
    out = ops.where(x > 0, x, x * negative_slope)
    return finish(input, out, "LeakyReluBackward0", inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``: ``F.leaky_relu_(x)`` overwrites ``x``."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dim 1): ``F.prelu(x, torch.tensor([0.25]))``."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    w = reshape(weight, ()) if weight.numel() == 1 else channel_view(weight, input.ndim)
    out = ops.where(input > 0, input, w * input)
    return named(out, "PreluKernelBackward0", input, w)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False, *, generator: Generator | None = None) -> Tensor:
    """Randomized leaky ReLU: slopes ~ U(lower, upper) when training, (lower + upper) / 2 in eval.

    ``F.rrelu(x, training=True)`` draws from tenkai's counter-based generator.
    """
    x = float_input(input)
    if not training:
        out = ops.where(x > 0, x, x * ((lower + upper) / 2))
        return finish(input, out, "RreluWithNoiseBackward0", inplace)
    noise = draw("uniform", tuple(x.shape), generator, dtype=x._ir_dtype, low=float(lower),
                 high=float(upper))
    out = ops.where(x > 0, x, x * noise)
    return finish(input, out, "RreluWithNoiseBackward0", inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place ``rrelu``: ``F.rrelu_(x)`` overwrites ``x``."""
    return rrelu(input, lower, upper, training, inplace=True)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x if x > threshold else value: ``F.threshold(x, 0.1, 20.0)``."""
    out = ops.where(input > threshold, input, value)
    return finish(input, out, "ThresholdBackward0", inplace)


def threshold_(input: Tensor, threshold_value: float, value: float) -> Tensor:
    """In-place ``threshold``: ``F.threshold_(x)`` overwrites ``x``."""
    return threshold(input, threshold_value, value, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact erf form) or its tanh approximation: ``F.gelu(x, approximate='tanh')``."""
    x = float_input(ops.check_tensor(input, "gelu"))
    if approximate == "none":
        out = x * 0.5 * (ops.erf(x * (1.0 / math.sqrt(2.0))) + 1.0)
    elif approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        out = x * 0.5 * (ops.tanh(inner) + 1.0)
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    return named(out, "GeluBackward0", input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)): ``F.sigmoid(torch.tensor([0.]))`` -> ``tensor([0.5000])``."""
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent: ``F.tanh(torch.tensor([0.]))`` -> ``tensor([0.])``."""
    return ops.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) computed stably: ``F.logsigmoid(torch.tensor([-100.]))`` -> ``-100``."""
    x = float_input(input)
    out = ops.minimum(x, 0.0) - ops.log1p(ops.exp(-ops.abs(x)))
    return named(out, "LogSigmoidBackward0", input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear above ``threshold``: ``F.softplus(x, beta=2)``."""
    x = float_input(input)
    scaled = x * beta
    linear = scaled > threshold
    safe = ops.where(linear, 0.0, scaled)
    out = ops.where(linear, x, ops.log1p(ops.exp(safe)) * (1.0 / beta))
    return named(out, "SoftplusBackward0", input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x if |x| > lambd else 0: ``F.hardshrink(torch.tensor([0.3, -0.7]))``."""
    x = float_input(input)
    out = ops.where(ops.logical_or(x > lambd, x < -lambd), x, 0.0)
    return named(out, "HardshrinkBackward0", input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Shrink towards zero by lambd: ``F.softshrink(torch.tensor([0.3, -0.7]))`` -> [0, -0.2]."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}.")
    x = float_input(input)
    out = ops.where(x > lambd, x - lambd, ops.where(x < -lambd, x + lambd, 0.0))
    return named(out, "SoftshrinkBackward0", input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|): ``F.softsign(torch.tensor([1.]))`` -> ``tensor([0.5000])``."""
    return input / (ops.abs(input) + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x): ``F.tanhshrink(x)``."""
    return input - ops.tanh(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x): ``F.silu(x)``."""
    x = float_input(input)
    return finish(input, x * ops.sigmoid(x), "SiluBackward0", inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)): ``F.mish(x)``."""
    x = float_input(input)
    return finish(input, x * ops.tanh(softplus(x)), "MishBackward0", inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: ``F.hardsigmoid(torch.tensor([0.]))`` -> ``tensor([0.5000])``."""
    x = float_input(input)
    out = ops.where(x <= -3.0, 0.0, ops.where(x >= 3.0, 1.0, x * (1.0 / 6) + 0.5))
    return finish(input, out, "HardsigmoidBackward0", inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6: ``F.hardswish(x)``."""
    x = float_input(input)
    out = ops.where(x <= -3.0, 0.0, ops.where(x >= 3.0, x, x * (x + 3.0) * (1.0 / 6)))
    return finish(input, out, "HardswishBackward0", inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the two halves of ``dim``: ``F.glu(torch.randn(4, 6))`` -> (4, 3)."""
    axis = norm_axis("glu", dim, input.ndim)
    if input.shape[axis] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size "
                           f"{input.shape[axis]}")
    a, b = chunk(input, 2, axis)
    return named(a * ops.sigmoid(b), "GluBackward0", input)


# ---------------------------------------------------------------- softmax family


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input: Tensor, dim: int | None, dtype: Any, name: str,
                   stacklevel: int) -> tuple[Tensor, int]:
    x = ops.check_tensor(input, name)
    if dtype is not None:
        x = ops.cast(x, as_dtype(dtype).name)
    x = float_input(x)
    if dim is None:
        dim = _softmax_dim(name, x.ndim, stacklevel + 1)
    return x, dim


def _shifted(x: Tensor, dim: int) -> Tensor:
    """x minus its (detached) max along ``dim``: exp of it never overflows."""
    return x - _reduce.amax(x.detach(), dim, keepdim=True)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``: ``F.softmax(torch.tensor([0., 0.]), dim=0)``."""
    x, dim = _softmax_input(input, dim, dtype, "softmax", _stacklevel)
    e = ops.exp(_shifted(x, dim))
    return named(e / _reduce.sum(e, dim, keepdim=True), "SoftmaxBackward0", x)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x): ``F.softmin(x, dim=1)``."""
    x, dim = _softmax_input(input, dim, dtype, "softmin", _stacklevel)
    return softmax(-x, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``, numerically stable: ``F.log_softmax(logits, dim=1)``."""
    x, dim = _softmax_input(input, dim, dtype, "log_softmax", _stacklevel)
    z = _shifted(x, dim)
    out = z - ops.log(_reduce.sum(ops.exp(z), dim, keepdim=True))
    return named(out, "LogSoftmaxBackward0", x)
