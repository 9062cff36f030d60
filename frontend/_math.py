"""The wider elementwise family of the ``tenkai`` namespace: inverse trigonometric and
hyperbolic functions, special functions, ``atan2``/``hypot``/``fmod``/``copysign``, bitwise
and shift ops (registry ops of ``ir/ops_math.py``), and the functions PyTorch has as kernels
that tenkai composes from registry ops (``logaddexp``, ``xlogy``, ``sinc``, ``nan_to_num``,
``isnan``, ``fmax``, ``logit``, ...), so they trace and compile like the rest.

Each applies PyTorch's type promotion: integer inputs of float math are computed in the default
float dtype, binary operands are promoted together first.
"""

from __future__ import annotations

import collections
import math
from functools import partial
from typing import Any

import numpy as np

from . import _eager_fast as fast
from . import _eager_fused, _trace
from ._dtype import get_default_dtype
from ._ops import (
    _floating,
    abs,
    add,
    apply,
    as_tensor_arg,
    cast,
    clamp,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    log1p,
    maximum,
    mul,
    ne,
    pow,
    promote,
    scalar_overload,
    sign,
    sin,
    sub,
    tensor_of,
    trunc,
    where,
)
from ._shape import named
from ._tensor import Tensor

# ---------------------------------------------------------------- registry-backed unary

_FLOAT_UNARY = """tan asin acos atan sinh cosh asinh acosh atanh log2 log10 erfc erfinv lgamma
digamma""".split()


def _unary(op: str):
    def fn(input: Tensor) -> Tensor:
        return apply(op, (_floating(as_tensor_arg(input)),))
    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op}: ``tenkai.{op}(tenkai.tensor([0.5]))``."
    return fn


tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log2, log10, erfc, erfinv, lgamma, \
    digamma = (_unary(op) for op in _FLOAT_UNARY)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma: ``polygamma(0, x)`` is digamma, ``polygamma(1, x)``
    trigamma; ``tenkai.polygamma(2, tenkai.tensor([0.5]))`` is ``tensor([-16.8288])``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return named(digamma(input), "PolygammaBackward0", input)
    x = _floating(as_tensor_arg(input))
    if n == 1:
        return named(apply("trigamma", (x,)), "PolygammaBackward0", input)
    return named(apply("polygamma", (x,), n=n), "PolygammaBackward0", input)


# ---------------------------------------------------------------- registry-backed binary


def _float_pair(input: Any, other: Any) -> tuple[Tensor, Tensor]:
    (a, b), dt = promote(input, other)
    if a._data.dtype.kind != "f":
        a, b = cast(a, get_default_dtype().name), cast(b, get_default_dtype().name)
    return a, b


def _tensors_only(op: str, input: Any, other: Any) -> None:
    """PyTorch's ``atan2``/``hypot`` take no Python numbers: its TypeError."""
    for k, (label, v) in enumerate((("input", input), ("other", other))):
        if not isinstance(v, Tensor):
            raise TypeError(f"{op}(): argument '{label}' (position {k + 1}) must be Tensor, "
                            f"not {type(v).__name__}")


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise angle of ``(other, input)``: ``tenkai.atan2(y, x)``."""
    _tensors_only("atan2", input, other)
    return apply("atan2", _float_pair(input, other))


arctan2 = atan2


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(input**2 + other**2)`` without overflow: ``tenkai.hypot(a, b)``."""
    _tensors_only("hypot", input, other)
    (a, b), dt = promote(input, other)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"\"hypot_cpu\" not implemented for '{_legacy(dt)}'")
    return apply("hypot", (a, b))


def copysign(input: Any, other: Any) -> Tensor:
    """``|input|`` with the sign of ``other``: ``tenkai.copysign(x, -1)``."""
    name = "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1"
    a, b = _float_pair(input, other)
    return scalar_overload(apply("copysign", (a, b), name=name), input, a, other, b)


def fmod(input: Any, other: Any) -> Tensor:
    """C's ``fmod``: the remainder has the sign of the dividend (``tenkai.fmod(x, 3)``)."""
    (a, b), dt = promote(input, other)
    if dt == "bool":
        raise NotImplementedError("\"fmod_cpu\" not implemented for 'Bool'")
    if a._data.dtype.kind != "f" and not np.all(b._data):
        raise RuntimeError("ZeroDivisionError")
    name = "FmodBackward1" if isinstance(other, Tensor) else "FmodBackward0"
    return scalar_overload(apply("fmod", (a, b), name=name), input, a, other, b)


def _legacy(dt: str) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}[dt]


def _integral(op: str, allow_bool: bool = True):
    def fn(input: Any, other: Any) -> Tensor:
        (a, b), dt = promote(input, other)
        if dt.startswith("float") or (dt == "bool" and not allow_bool):
            kernel = {"bitwise_left_shift": "lshift_cpu", "bitwise_right_shift": "rshift_cpu"}
            raise NotImplementedError(f"\"{kernel.get(op, op + '_cpu')}\" not implemented for "
                                      f"'{_legacy(dt)}'")
        return apply(op, (a, b))
    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op} of integer (or bool) tensors: ``tenkai.{op}(a, b)``."
    return fn


bitwise_and = _integral("bitwise_and")
bitwise_or = _integral("bitwise_or")
bitwise_xor = _integral("bitwise_xor")
bitwise_left_shift = _integral("bitwise_left_shift", False)
bitwise_right_shift = _integral("bitwise_right_shift", False)


def bitwise_not(input: Tensor) -> Tensor:
    """``~x`` for integer and bool tensors."""
    if input.is_floating_point():
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                  f"'{_legacy(input._ir_dtype)}'")
    return apply("bitwise_not", (input,))


# ---------------------------------------------------------------- composites: exp/log family


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(x) + exp(y))`` computed stably: ``max + log1p(exp(-|x - y|))``."""
    x, y = _float_pair(input, other)
    plain = fast.plain_float(x, y)
    if plain or (_eager_fused.available(x, y) and x.shape == y.shape):
        xd, yd = x._data, y._data
        with np.errstate(all="ignore"):  # the composite's formula (np.logaddexp is not
            d = np.asarray(np.subtract(xd, yd))  # vectorized), step for step in place (a
            np.log1p(np.exp(np.negative(np.abs(d, out=d), out=d), out=d), out=d)  # fresh d)
            out = np.add(np.maximum(xd, yd), d, out=d)
            if np.isnan(out).any():  # the same infinity twice (inf - inf) is that infinity
                out = np.where((xd == yd) & (np.abs(xd) == math.inf), xd, out)
        if plain:
            return fast.result(out, fresh=True)
        return _eager_fused.record("LogaddexpBackward0", [x, y], [out], partial(
            _logaddexp_grads, xd, yd), lambda a, b: [logaddexp(a, b)])[0]
    d = abs(sub(x, y))
    out = add(maximum(x, y), log1p(exp(mul(d, -1.0))))
    return named(where(_same_inf(x, y), x, out), "LogaddexpBackward0", x, y)


def _logaddexp_grads(x: np.ndarray, y: np.ndarray, seeds: list[np.ndarray]) -> list[np.ndarray]:
    """The fused logaddexp's backward (same-shape operands): PyTorch's ``g / (1 + e^(y-x))``
    for ``x`` and ``g / (1 + e^(x-y))`` for ``y``."""
    g = seeds[0]
    with np.errstate(all="ignore"):
        return [g / (1.0 + np.exp(y - x)), g / (1.0 + np.exp(x - y))]


def _same_inf(x: Tensor, y: Tensor) -> Tensor:
    """Both operands the same infinity: ``x - y`` is nan there, the answer is ``x``."""
    return apply("logical_and", (eq(x, y), eq(abs(x), math.inf)))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**x + 2**y)`` computed stably."""
    x, y = _float_pair(input, other)
    if fast.plain_float(x, y):
        with np.errstate(all="ignore"):
            return fast.result(np.logaddexp2(x._data, y._data), fresh=True)
    d = abs(sub(x, y))
    tail = div(log1p(pow(2.0, mul(d, -1.0))), math.log(2.0))
    return named(where(_same_inf(x, y), x, add(maximum(x, y), tail)), "Logaddexp2Backward0", x, y)


def xlogy(input: Any, other: Any) -> Tensor:
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is nan)."""
    x, y = _float_pair(input, other)
    if fast.plain_float(x, y):
        xd, yd = x._data, y._data
        with np.errstate(all="ignore"):
            prod = xd * np.log(np.where(xd == 0, yd.dtype.type(1), yd))
            return fast.result(np.where(np.isnan(yd), yd, prod), fresh=True)
    zero = eq(x, 0.0)
    safe = where(zero, 1.0, y)  # keeps log(0) out of the gradient where x == 0
    out = where(isnan(y), y, mul(x, log(safe)))
    name = "XlogyBackward0" if isinstance(input, Tensor) and isinstance(other, Tensor) else \
        ("XlogyBackward2" if isinstance(input, Tensor) else "XlogyBackward1")
    return named(out, name, input, other)


def sinc(input: Tensor) -> Tensor:
    """Normalized sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    x = _floating(as_tensor_arg(input))
    if fast.plain_float(x):
        xd = x._data
        with np.errstate(all="ignore"):
            px = xd * xd.dtype.type(math.pi)
            out = np.divide(np.sin(px), px, out=np.empty(xd.shape, xd.dtype))
        out[xd == 0] = 1  # (0/0 above)
        return fast.result(out, fresh=True)
    zero = eq(x, 0.0)
    px = mul(where(zero, 1.0, x), math.pi)
    return named(where(zero, 1.0, div(sin(px), px)), "SincBackward0", x)


def deg2rad(input: Tensor) -> Tensor:
    return named(mul(_floating(as_tensor_arg(input)), math.pi / 180.0), "Deg2RadBackward0", input)


def rad2deg(input: Tensor) -> Tensor:
    return named(mul(_floating(as_tensor_arg(input)), 180.0 / math.pi), "Rad2DegBackward0", input)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2**other``."""
    x = _floating(as_tensor_arg(input))
    return named(mul(x, pow(2.0, _floating(as_tensor_arg(other)))), "LdexpBackward0", input, other)


def float_power(input: Any, exponent: Any) -> Tensor:
    """``pow`` computed in float64 (PyTorch's float_power)."""
    a = cast(input, "float64") if isinstance(input, Tensor) else input
    b = cast(exponent, "float64") if isinstance(exponent, Tensor) else exponent
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor_of(a, "float64")
    return pow(a, b)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``, with ``x`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    x = _floating(as_tensor_arg(input))
    if eps is not None:
        x = clamp(x, eps, 1.0 - eps)
    return named(log(div(x, sub(1.0, x))), "LogitBackward0", input)


# ---------------------------------------------------------------- composites: classification


def isnan(input: Tensor) -> Tensor:
    x = as_tensor_arg(input)
    return ne(x, x) if x.is_floating_point() else _all_bool(x, False)


def isinf(input: Tensor) -> Tensor:
    x = as_tensor_arg(input)
    return eq(abs(x), math.inf) if x.is_floating_point() else _all_bool(x, False)


def isposinf(input: Tensor) -> Tensor:
    x = as_tensor_arg(input)
    return eq(x, math.inf) if x.is_floating_point() else _all_bool(x, False)


def isneginf(input: Tensor) -> Tensor:
    x = as_tensor_arg(input)
    return eq(x, -math.inf) if x.is_floating_point() else _all_bool(x, False)


def isfinite(input: Tensor) -> Tensor:
    """True where ``x`` is neither inf nor nan (``x - x`` is 0 exactly there)."""
    x = as_tensor_arg(input)
    return eq(sub(x, x), 0.0) if x.is_floating_point() else _all_bool(x, True)


def isreal(input: Tensor) -> Tensor:
    return _all_bool(as_tensor_arg(input), True)


def _all_bool(x: Tensor, value: bool) -> Tensor:
    """A bool tensor shaped like ``x`` (integers are never nan/inf), recorded from ``x``."""
    return eq(x, x) if value else ne(x, x)


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (``-0.0`` included)."""
    x = as_tensor_arg(input)
    if x.is_floating_point():
        return apply("lt", (copysign(tensor_of(1.0, x._ir_dtype), x),
                            tensor_of(0.0, x._ir_dtype)))
    return ne(x, x) if x._ir_dtype in ("bool", "uint8") else apply(
        "lt", (x, tensor_of(0, x._ir_dtype)))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """nan, +inf, -inf replaced by ``nan``, ``posinf`` (the dtype's max by default) and
    ``neginf`` (its lowest)."""
    x = as_tensor_arg(input)
    if not x.is_floating_point():
        return named(apply("cast", (x,), dtype=x._ir_dtype), "NanToNumBackward0")
    if (fast.plain_float(x) and all(v is None or type(v) in (int, float)
                                    for v in (nan, posinf, neginf))
            and np.isfinite(x._data).all()):
        return fast.result(x._data)  # nothing to replace (np.nan_to_num: ~15 numpy calls)
    info = np.finfo(x._data.dtype)
    hi = float(info.max) if posinf is None else posinf
    lo = float(info.min) if neginf is None else neginf
    if fast.plain_float(x) and all(type(v) in (int, float) for v in (nan, hi, lo)):
        dt, data = x._data.dtype.type, x._data
        with np.errstate(all="ignore"):
            out = np.where(np.isnan(data), dt(nan), data)
            out = np.where(data == np.inf, dt(hi), out)
            return fast.result(np.where(data == -np.inf, dt(lo), out), fresh=True)
    out = where(isnan(x), nan, x)
    out = where(eq(x, math.inf), hi, out)
    out = where(eq(x, -math.inf), lo, out)
    return named(out, "NanToNumBackward0", x)


# ---------------------------------------------------------------- composites: rounding, picks


def frac(input: Tensor) -> Tensor:
    """``x - trunc(x)``."""
    x = as_tensor_arg(input)
    return named(sub(x, trunc(x)), "FracBackward0", x)


fix = trunc


def sgn(input: Tensor) -> Tensor:
    return named(sign(input), "SgnBackward0", input)


def logical_xor(input: Any, other: Any) -> Tensor:
    a, b = as_tensor_arg(input), as_tensor_arg(other)
    return ne(cast(a, "bool"), cast(b, "bool"))


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 below zero, 1 above, ``values`` at zero. Not differentiable (PyTorch's backward raises
    "the derivative for 'heaviside' is not implemented"; tenkai's result has no grad_fn)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if input._ir_dtype != values._ir_dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    x, values = input.detach(), values.detach()
    step = where(gt(x, 0), tensor_of(1, x._ir_dtype), tensor_of(0, x._ir_dtype))
    return where(eq(x, 0), values, step)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Maximum that ignores nan (nan only where both are nan); ties go to ``input``."""
    (x, y), _ = promote(input, other)
    pick = ge(x, y)
    if x.is_floating_point():
        pick = apply("logical_or", (pick, isnan(y)))
    return named(where(pick, x, y), "FmaxBackward0", x, y)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Minimum that ignores nan (nan only where both are nan); ties go to ``input``."""
    (x, y), _ = promote(input, other)
    pick = le(x, y)
    if x.is_floating_point():
        pick = apply("logical_or", (pick, isnan(y)))
    return named(where(pick, x, y), "FminBackward0", x, y)


def clamp_min(input: Tensor, min: Any) -> Tensor:
    out = clamp(input, min=min)
    return out if isinstance(min, Tensor) else named(out, "ClampMinBackward0", input)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    out = clamp(input, max=max)
    return out if isinstance(max, Tensor) else named(out, "ClampMaxBackward0", input)


FrexpResult = collections.namedtuple("frexp", ["mantissa", "exponent"])
FrexpResult.__module__ = "torch.return_types"


def frexp(input: Tensor) -> Any:
    """Mantissa in ``[0.5, 1)`` and int32 exponent with ``x = mantissa * 2**exponent``
    (eager only)."""
    if _trace.active() is not None:
        raise NotImplementedError("frexp: not supported inside tenkai.compile (no registry op "
                                  "for it); call it outside the compiled function")
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(input._data)
    return FrexpResult(Tensor._make(np.asarray(mantissa, dtype=input._data.dtype)),
                       Tensor._make(np.asarray(exponent, dtype=np.int32)))


# names exported as tenkai.<name> and Tensor.<name>; INPLACE get Tensor.<name>_;
# MODULE_INPLACE (of these and of older functions) get tenkai.<name>_ as in PyTorch
FUNCTIONS = """tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh
arccosh arctanh log2 log10 erfc erfinv lgamma digamma polygamma atan2 arctan2 hypot copysign
fmod bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift
logaddexp logaddexp2 xlogy sinc deg2rad rad2deg ldexp float_power logit isnan isinf
isposinf isneginf isfinite isreal signbit nan_to_num frac fix sgn logical_xor heaviside fmax
fmin clamp_min clamp_max frexp""".split()
INPLACE = """tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh
arctanh log2 log10 erfc erfinv lgamma digamma atan2 arctan2 hypot copysign fmod bitwise_and
bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift xlogy sinc deg2rad
rad2deg ldexp float_power logit nan_to_num frac fix sgn logical_xor heaviside clamp_min
clamp_max""".split()
MODULE_INPLACE = """tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh
arccosh arctanh xlogy erfc sinc deg2rad rad2deg nan_to_num log2 log10 frac ldexp logit
clamp_min clamp_max fix exp2 expm1 log1p trunc square rsqrt reciprocal sin cos exp log sqrt
abs neg""".split()
