"""Scalar templates: one LLVM IR builder function per registry op, shared by every LLVM target.

A template is ``template(builder, *values, dtype, out_dtype, lib, **attrs) -> value``:
``values`` are LLVM values in register types (``i1`` for bool, ``iN`` for ints,
``half/float/double``), ``dtype`` is the IR dtype of the data operands (``where``: of the two
choices; random ops: the result), ``out_dtype`` the result's, ``lib`` the target's math library
(:mod:`tenkai.codegen.scalar.library`: every math function goes through it, never straight to an
LLVM intrinsic a target may not lower), ``attrs`` the op's attributes. Semantics are numpy's, as
the registry references define them: NaN propagates through ``maximum``/``minimum``/``relu``/
``clamp``, ``round`` rounds half to even, float -> int casts truncate toward zero, integer
arithmetic wraps, ``logical_*`` treat any nonzero (and NaN) as true.

:func:`template_for` binds a template to a target's library and raises
``NotImplementedError("<target>: no template for <op> on <dtype>")`` when an op has no template
for a dtype; nothing falls back silently.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from llvmlite import ir

from tenkai.codegen.scalar import mathlib, philox
from tenkai.codegen.scalar.library import MathLibrary, math_library
from tenkai.codegen.scalar.templates_math import TEMPLATES as MATH_TEMPLATES
from tenkai.codegen.scalar.templates_math import float_math, missing
from tenkai.codegen.scalar.types import (
    UNSIGNED,
    constant,
    convert,
    llvm_type,
    storage_type,
    truthy,
)
from tenkai.codegen.target import Target
from tenkai.ir import dtypes

Template = Callable[..., ir.Value]
__all__ = ["DATA_OPERAND", "RANDOM_OPS", "TEMPLATES", "Template", "constant", "convert",
           "llvm_type", "storage_type", "template_for", "truthy"]


def _f(dtype: str) -> bool:
    return dtypes.is_float(dtype)


# ---------------------------------------------------------------- arithmetic


def _add(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    if _f(dtype):
        return b.fadd(x, y)
    return b.or_(x, y) if dtype == "bool" else b.add(x, y)


def _sub(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    return b.fsub(x, y) if _f(dtype) else b.sub(x, y)


def _mul(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    if _f(dtype):
        return b.fmul(x, y)
    return b.and_(x, y) if dtype == "bool" else b.mul(x, y)


def _div(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, lib: MathLibrary,
         **_: Any) -> ir.Value:
    if not _f(dtype):
        raise missing(lib, "div", dtype)
    return b.fdiv(x, y)


def _pow(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, lib: MathLibrary,
         **_: Any) -> ir.Value:
    if _f(dtype):
        return lib.call(b, "pow", [x, y])
    if dtype == "bool":
        raise missing(lib, "pow", dtype)
    return mathlib.int_pow(b, x, y)


def _extreme(pick_first: str) -> Template:
    """numpy maximum/minimum: NaN in either operand propagates."""
    def template(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
        if _f(dtype):
            wins = b.fcmp_ordered(pick_first, x, y)
            x_nan = b.fcmp_unordered("uno", x, x)
            return b.select(b.or_(wins, x_nan), x, y)
        if dtype == "bool":
            return b.or_(x, y) if pick_first == ">" else b.and_(x, y)
        cmp = b.icmp_unsigned if dtype in UNSIGNED else b.icmp_signed
        return b.select(cmp(pick_first, x, y), x, y)
    return template


def _compare(op: str) -> Template:
    def template(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
        if _f(dtype):
            if op == "!=":
                return b.fcmp_unordered("!=", x, y)  # NaN != anything
            return b.fcmp_ordered(op, x, y)
        cmp = b.icmp_unsigned if dtype in UNSIGNED else b.icmp_signed
        return cmp(op, x, y)
    return template


def _logical(kind: str) -> Template:
    def template(b: ir.IRBuilder, *xs: ir.Value, dtype: str, **_: Any) -> ir.Value:
        bits = [truthy(b, x, dtype) for x in xs]
        if kind == "not":
            return b.not_(bits[0])
        return b.and_(*bits) if kind == "and" else b.or_(*bits)
    return template


def _where(b: ir.IRBuilder, c: ir.Value, x: ir.Value, y: ir.Value, dtype: str,
           **_: Any) -> ir.Value:
    return b.select(c, x, y)


# ---------------------------------------------------------------- unary


def _neg(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
    return b.fneg(x) if _f(dtype) else b.neg(x)


def _abs(b: ir.IRBuilder, x: ir.Value, dtype: str, lib: MathLibrary, **_: Any) -> ir.Value:
    if _f(dtype):
        return lib.call(b, "fabs", [x])
    if dtype in UNSIGNED:
        return x
    return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)


def _sign(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
    zero, one = ir.Constant(x.type, 0), ir.Constant(x.type, 1)
    if _f(dtype):  # NaN and +-0 fall through unchanged
        minus = ir.Constant(x.type, -1.0)
        return b.select(b.fcmp_ordered(">", x, zero), one,
                        b.select(b.fcmp_ordered("<", x, zero), minus, x))
    if dtype in UNSIGNED:
        return b.zext(b.icmp_unsigned("!=", x, zero), x.type)
    minus = ir.Constant(x.type, -1)
    return b.select(b.icmp_signed(">", x, zero), one,
                    b.select(b.icmp_signed("<", x, zero), minus, zero))


def _relu(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
    return _extreme(">")(b, x, ir.Constant(x.type, 0), dtype=dtype)


def _rounding(name: str) -> Template:
    def template(b: ir.IRBuilder, x: ir.Value, dtype: str, lib: MathLibrary,
                 **_: Any) -> ir.Value:
        return lib.call(b, name, [x]) if _f(dtype) else x  # integers are already whole
    return template


def _clamp(b: ir.IRBuilder, x: ir.Value, dtype: str, min: Any = None, max: Any = None,
           **_: Any) -> ir.Value:
    if min is not None:
        x = _extreme(">")(b, x, constant(min, dtype), dtype=dtype)
    if max is not None:
        x = _extreme("<")(b, x, constant(max, dtype), dtype=dtype)
    return x


# ---------------------------------------------------------------- casts and index ops


def _cast(b: ir.IRBuilder, x: ir.Value, dtype: str, out_dtype: str, **_: Any) -> ir.Value:
    return convert(b, x, dtype, out_dtype)


def _idiv(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    return b.sdiv(x, y)  # index operands are non-negative: floor == truncation


def _imod(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    return b.srem(x, y)


TEMPLATES: dict[str, Template] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "pow": _pow,
    "maximum": _extreme(">"), "minimum": _extreme("<"),
    "eq": _compare("=="), "ne": _compare("!="), "lt": _compare("<"), "le": _compare("<="),
    "gt": _compare(">"), "ge": _compare(">="),
    "logical_and": _logical("and"), "logical_or": _logical("or"),
    "logical_not": _logical("not"), "where": _where,
    "neg": _neg, "abs": _abs, "sign": _sign, "relu": _relu,
    "floor": _rounding("floor"), "ceil": _rounding("ceil"),
    "round": _rounding("roundeven"), "trunc": _rounding("trunc"),
    **{name: float_math(name) for name in ("exp", "log", "sin", "cos", "sqrt", "rsqrt",
                                           "reciprocal", "log1p", "expm1", "tanh", "sigmoid",
                                           "erf")},
    "clamp": _clamp, "cast": _cast, "idiv": _idiv, "imod": _imod,
    "uniform": philox.uniform, "normal": philox.normal, "randint": philox.randint,
    "bernoulli": philox.bernoulli,
    **MATH_TEMPLATES,
}

# which operand's dtype a template receives as ``dtype`` (default: the first)
DATA_OPERAND = {"where": 1}
RANDOM_OPS = ("uniform", "normal", "randint")


def template_for(op: str, dtype: str, target: Target | MathLibrary | None = None) -> Template:
    """The template of ``op`` bound to ``target``'s math library (``None``: the CPU's); raises
    NotImplementedError naming target, op and dtype."""
    lib = math_library(target)
    try:
        template = TEMPLATES[op]
    except KeyError:
        raise missing(lib, op, dtype) from None
    return partial(template, lib=lib)
