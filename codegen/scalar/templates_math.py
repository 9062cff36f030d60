"""Scalar templates for the ops of ``ir/ops_math.py``: special functions, bitwise and shift ops
(and the helpers every template module uses to reach the target's math library).

* inverse trigonometric / hyperbolic functions, ``erfc``, ``lgamma``, ``atan2``, ``hypot``,
  ``log2``, ``log10``, ``erfinv``, ``digamma``, ``trigamma`` are math-library functions
  (:mod:`tenkai.codegen.scalar.library`): on the CPU C's libm (``runtime.cpu.jit.LIBM_SYMBOLS``
  must list every function it calls) or an LLVM intrinsic, elsewhere tenkai's own;
* ``polygamma`` (order ``n`` >= 1): tenkai's own (codegen/scalar/special.py), in double;
* ``fmod``: the library's on floats (``frem`` on the CPU), ``srem``/``urem`` on integers (a
  zero divisor, which the reference rejects, is replaced by 1 so the kernel never traps);
* shifts follow PyTorch: by the bit width or more (or a negative amount) gives 0 to the left
  and the sign fill to the right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llvmlite import ir

from tenkai.codegen.scalar import special
from tenkai.codegen.scalar.library import MathLibrary
from tenkai.codegen.scalar.types import UNSIGNED
from tenkai.ir import dtypes

Template = Callable[..., ir.Value]

MATH_OPS = ("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erfc",
            "lgamma", "atan2", "hypot", "log2", "log10", "copysign", "erfinv", "digamma",
            "trigamma")


def missing(lib: MathLibrary, op: str, dtype: str) -> NotImplementedError:
    """The error for an op without a template on ``dtype`` (names the target)."""
    return NotImplementedError(f"{lib.target}: no template for {op} on {dtype}")


def float_math(name: str, fn: str | None = None) -> Template:
    """The template of a float-only op computed by the math function ``fn`` (default: the
    op's name) of the target's library."""
    def template(b: ir.IRBuilder, *xs: ir.Value, dtype: str, lib: MathLibrary,
                 **_: Any) -> ir.Value:
        if not dtypes.is_float(dtype):
            raise missing(lib, name, dtype)
        return lib.call(b, fn or name, list(xs))
    template.__name__ = f"template_{name}"
    return template


def _fmod(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, lib: MathLibrary,
          **_: Any) -> ir.Value:
    if dtypes.is_float(dtype):
        return lib.call(b, "fmod", [x, y])
    safe = b.select(b.icmp_unsigned("==", y, ir.Constant(y.type, 0)), ir.Constant(y.type, 1), y)
    return b.urem(x, safe) if dtype in UNSIGNED else b.srem(x, safe)


def _bitwise(kind: str) -> Template:
    def template(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, lib: MathLibrary,
                 **_: Any) -> ir.Value:
        if dtypes.is_float(dtype):
            raise missing(lib, f"bitwise_{kind}", dtype)
        return {"and": b.and_, "or": b.or_, "xor": b.xor}[kind](x, y)
    return template


def _bitwise_not(b: ir.IRBuilder, x: ir.Value, dtype: str, lib: MathLibrary,
                 **_: Any) -> ir.Value:
    if dtypes.is_float(dtype):
        raise missing(lib, "bitwise_not", dtype)
    return b.not_(x)


def _shift(left: bool) -> Template:
    def template(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, lib: MathLibrary,
                 **_: Any) -> ir.Value:
        if dtypes.is_float(dtype):
            raise missing(lib, "bitwise_left_shift" if left else "bitwise_right_shift", dtype)
        bits = x.type.width
        ok = b.icmp_unsigned("<", y, ir.Constant(y.type, bits))  # negative is huge unsigned
        safe = b.select(ok, y, ir.Constant(y.type, 0))
        if left:
            return b.select(ok, b.shl(x, safe), ir.Constant(x.type, 0))
        if dtype in UNSIGNED:
            return b.select(ok, b.lshr(x, safe), ir.Constant(x.type, 0))
        return b.select(ok, b.ashr(x, safe), b.ashr(x, ir.Constant(x.type, bits - 1)))
    return template


def _polygamma(b: ir.IRBuilder, x: ir.Value, dtype: str, lib: MathLibrary, n: int,
               **_: Any) -> ir.Value:
    if not dtypes.is_float(dtype):
        raise missing(lib, "polygamma", dtype)
    return special.polygamma(n)(lib, b, x)


TEMPLATES: dict[str, Template] = {
    **{name: float_math(name) for name in MATH_OPS},
    "polygamma": _polygamma,
    "fmod": _fmod,
    "bitwise_and": _bitwise("and"), "bitwise_or": _bitwise("or"), "bitwise_xor": _bitwise("xor"),
    "bitwise_not": _bitwise_not,
    "bitwise_left_shift": _shift(True), "bitwise_right_shift": _shift(False),
}
