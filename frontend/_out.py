"""The ``out=`` argument of the ``tenkai`` namespace functions (``torch.mul(a, b, out=c)``):
the result is computed as usual and then written into ``out``, which is resized if needed."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from ._node import GRAD_MODE
from ._tensor import Tensor

# Namespace functions that take ``out=`` (those returning one tensor).
OUT_FUNCTIONS = """abs absolute add bmm cat clamp clip concat concatenate cos cumsum div divide
dot exp exp2 expm1 floor_divide log log1p logsumexp matmul maximum minimum mm mul multiply mv
neg negative outer pow prod reciprocal remainder rsqrt sigmoid sign sin sqrt square stack sub
subtract sum tanh true_divide where tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos
arctan arcsinh arccosh arctanh log2 log10 erfc erfinv lgamma digamma atan2 arctan2 hypot copysign
fmod bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift
logaddexp logaddexp2 xlogy sinc deg2rad rad2deg ldexp float_power logit isnan isinf isposinf
isneginf isfinite signbit nan_to_num frac fix sgn logical_xor heaviside fmax fmin clamp_min
clamp_max addmm addmv addbmm baddbmm addcmul addcdiv einsum tensordot kron cross diag tril triu
cumprod logcumsumexp diff""".split()


def with_out(fn: Any) -> Any:
    """Wrap ``fn`` so that ``fn(..., out=t)`` writes its result into ``t`` and returns ``t``."""
    @functools.wraps(fn)
    def wrapped(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        return result if out is None else write_out(fn.__name__, result, out)
    return wrapped


def write_out(op: str, result: Tensor, out: Tensor) -> Tensor:
    if GRAD_MODE.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if result._data.dtype.kind == "f" and out._data.dtype.kind in "iub":
        raise RuntimeError(f"result type {result.dtype._legacy.removesuffix('Tensor')} can't be "
                           f"cast to the desired output type "
                           f"{out.dtype._legacy.removesuffix('Tensor')}")
    if tuple(out.shape) != tuple(result.shape):
        if out.numel():
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future "
                          "PyTorch release outputs will not be resized unless they have zero "
                          "elements. You can explicitly reuse an out tensor t by resizing it, "
                          "inplace, to zero elements with t.resize_(0).", UserWarning,
                          stacklevel=3)
        out._data = np.empty(tuple(result.shape), dtype=out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out
