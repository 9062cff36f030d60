"""Scalar templates: one LLVM IR builder function per registry op (CPU and PTX share them).

A template is ``template(builder, *values, dtype, out_dtype, **attrs) -> value``: ``values`` are
LLVM values in register types (``i1`` for bool, ``iN`` for ints, ``half/float/double``),
``dtype`` is the IR dtype of the data operands (``where``: of the two choices; random ops: the
result), ``out_dtype`` the result's, ``attrs`` the op's attributes. Semantics are numpy's, as
the registry references define them: NaN propagates through ``maximum``/``minimum``/``relu``/
``clamp``, ``round`` rounds half to even, float -> int casts truncate toward zero, integer
arithmetic wraps, ``logical_*`` treat any nonzero (and NaN) as true.

:func:`template_for` raises ``NotImplementedError("llvm_cpu: no template for <op> on <dtype>")``
when an op has no template for a dtype; nothing falls back silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llvmlite import ir

from tenkai.codegen.scalar import libm as templates_libm
from tenkai.codegen.scalar import mathlib as tm
from tenkai.ir import dtypes

Template = Callable[..., ir.Value]

_FLOAT_TYPES = {"float16": ir.HalfType(), "float32": ir.FloatType(), "float64": ir.DoubleType()}
_INT_BITS = {"bool": 1, "uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64}
UNSIGNED = ("bool", "uint8")


def llvm_type(dtype: str) -> ir.Type:
    """Register type of an IR dtype (bool is i1)."""
    if dtype in _FLOAT_TYPES:
        return _FLOAT_TYPES[dtype]
    return ir.IntType(_INT_BITS[dtype])


def storage_type(dtype: str) -> ir.Type:
    """In-memory type of an IR dtype (bool is stored as one byte)."""
    return ir.IntType(8) if dtype == "bool" else llvm_type(dtype)


def constant(value: Any, dtype: str) -> ir.Constant:
    """An LLVM constant of ``dtype`` (float values rounded to the dtype first)."""
    import numpy as np

    if dtypes.is_float(dtype):
        return ir.Constant(llvm_type(dtype), float(np.asarray(value, dtype=dtype)))
    if dtype == "bool":
        return ir.Constant(ir.IntType(1), int(bool(value)))
    return ir.Constant(llvm_type(dtype), int(value))


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


def _div(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    if not _f(dtype):
        raise NotImplementedError(f"llvm_cpu: no template for div on {dtype}")
    return b.fdiv(x, y)


def _pow(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    if _f(dtype):
        return tm.intrinsic(b, "llvm.pow", [x, y])
    if dtype == "bool":
        raise NotImplementedError("llvm_cpu: no template for pow on bool")
    return tm.int_pow(b, x, y)


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


def truthy(b: ir.IRBuilder, x: ir.Value, dtype: str) -> ir.Value:
    """``bool(x)`` as numpy sees it (NaN is true)."""
    if dtype == "bool":
        return x
    if _f(dtype):
        return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
    return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))


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


def _abs(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
    if _f(dtype):
        return tm.intrinsic(b, "llvm.fabs", [x])
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
    def template(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
        return tm.intrinsic(b, name, [x]) if _f(dtype) else x  # integers are already whole
    return template


def _float_only(name: str, build: Callable[[ir.IRBuilder, ir.Value], ir.Value]) -> Template:
    def template(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
        if not _f(dtype):
            raise NotImplementedError(f"llvm_cpu: no template for {name} on {dtype}")
        return build(b, x)
    return template


def _llvm_unary(name: str) -> Callable[[ir.IRBuilder, ir.Value], ir.Value]:
    return lambda b, x: tm.intrinsic(b, name, [x])


def _clamp(b: ir.IRBuilder, x: ir.Value, dtype: str, min: Any = None, max: Any = None,
           **_: Any) -> ir.Value:
    if min is not None:
        x = _extreme(">")(b, x, constant(min, dtype), dtype=dtype)
    if max is not None:
        x = _extreme("<")(b, x, constant(max, dtype), dtype=dtype)
    return x


# ---------------------------------------------------------------- casts and index ops


def convert(b: ir.IRBuilder, x: ir.Value, src: str, dst: str) -> ir.Value:
    """numpy's ``astype`` between register values."""
    if src == dst:
        return x
    to = llvm_type(dst)
    if dst == "bool":
        return truthy(b, x, src)
    if _f(src) and _f(dst):
        if _FLOAT_BITS[dst] > _FLOAT_BITS[src]:
            return b.fpext(x, to)
        if (src, dst) == ("float64", "float16"):
            return b.fptrunc(tm.to_float_round_odd(b, x), to)
        return b.fptrunc(x, to)
    if _f(src):  # truncate toward zero; narrow ints wrap like C's (int) conversion
        bits = _INT_BITS[dst]
        if bits >= 32:
            return b.fptosi(x, to)
        return b.trunc(b.fptosi(x, ir.IntType(32)), to)
    if _f(dst):
        return b.uitofp(x, to) if src in UNSIGNED else b.sitofp(x, to)
    sb, db = _INT_BITS[src], _INT_BITS[dst]
    if db < sb:
        return b.trunc(x, to)
    if db == sb:
        return x
    return b.zext(x, to) if src in UNSIGNED else b.sext(x, to)


_FLOAT_BITS = {"float16": 16, "float32": 32, "float64": 64}


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
    "floor": _rounding("llvm.floor"), "ceil": _rounding("llvm.ceil"),
    "round": _rounding("llvm.roundeven"), "trunc": _rounding("llvm.trunc"),
    "exp": _float_only("exp", tm.exp), "log": _float_only("log", tm.log),
    "sin": _float_only("sin", _llvm_unary("llvm.sin")),
    "cos": _float_only("cos", _llvm_unary("llvm.cos")),
    "sqrt": _float_only("sqrt", _llvm_unary("llvm.sqrt")),
    "rsqrt": _float_only("rsqrt", tm.rsqrt), "reciprocal": _float_only("reciprocal", tm.recip),
    "log1p": _float_only("log1p", tm.log1p), "expm1": _float_only("expm1", tm.expm1),
    "tanh": _float_only("tanh", tm.tanh), "sigmoid": _float_only("sigmoid", tm.sigmoid),
    "erf": _float_only("erf", tm.erf),
    "clamp": _clamp, "cast": _cast, "idiv": _idiv, "imod": _imod,
    "uniform": tm.uniform, "normal": tm.normal, "randint": tm.randint,
    "bernoulli": tm.bernoulli,
    **templates_libm.TEMPLATES,
}

# which operand's dtype a template receives as ``dtype`` (default: the first)
DATA_OPERAND = {"where": 1}
RANDOM_OPS = ("uniform", "normal", "randint")


def template_for(op: str, dtype: str) -> Template:
    """The template of ``op``; raises NotImplementedError naming target, op and dtype."""
    try:
        return TEMPLATES[op]
    except KeyError:
        raise NotImplementedError(f"llvm_cpu: no template for {op} on {dtype}") from None
