"""tenkai's own math (what NVPTX gets, codegen/scalar/library.py) proven numerically on the CPU.

The templates are built with the ``cuda`` target's math library (no libm, only the intrinsics
NVPTX lowers natively), JIT-compiled for the host and run over wide input ranges including
zeros of both signs, infinities, NaN and subnormals. References: numpy's ufuncs and Python's
``math`` module in float64 (float32/float16 results are measured in ulps of their own type
against the unrounded float64 reference); ``erfinv``/``digamma``/``trigamma`` against the same
templates built in float64 with the CPU's library (libm), whose accuracy test_llvm_ops.py
covers.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest
from jit_harness import JitModule, compile_module
from llvmlite import ir

from tenkai.codegen import target as targets
from tenkai.codegen.scalar.library import CPU_MATH, MathLibrary, math_library
from tenkai.codegen.scalar.templates import llvm_type, template_for

I64, PTR = ir.IntType(64), ir.PointerType()
FLOATS = ("float16", "float32", "float64")
NV = math_library(targets.describe("cuda"))


def _safe(fn):
    def run(*xs: float) -> float:
        try:
            return fn(*xs)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.inf
    return np.vectorize(run, otypes=[np.float64])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


def _lgamma(x: float) -> float:
    return math.inf if x <= 0 and x == math.floor(x) else math.lgamma(x)  # poles: C's +inf


# numpy's ufuncs (C99's special values: log(0) = -inf, atanh(1) = inf, ...); Python's math
# module (glibc) for sin/cos/tan, where numpy's own SIMD float64 code is less accurate, and for
# erf/erfc/lgamma, which numpy lacks
REFERENCE = {
    "sin": _safe(math.sin), "cos": _safe(math.cos), "tan": _safe(math.tan),
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10, "expm1": np.expm1,
    "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "sigmoid": _sigmoid,
    "erf": _safe(math.erf), "erfc": _safe(math.erfc), "lgamma": _safe(_lgamma),
    "pow": np.power, "atan2": np.arctan2, "hypot": np.hypot, "fmod": np.fmod,
}
AGAINST_CPU = ("erfinv", "digamma", "trigamma")
BINARY = ("pow", "atan2", "hypot", "fmod")
# max error in ulps of the result type (float64: against numpy/libm, itself within ~1 ulp)
ULPS = {"float64": {"fmod": 0, "pow": 4, "erfc": 8, "lgamma": 4, "log2": 3, "log10": 3, "sinh": 3,
                    "cosh": 3, "asinh": 4, "acosh": 4, "atanh": 4, "tan": 3, "tanh": 3,
                    "trigamma": 8},
        "float32": {"fmod": 0, "exp": 2, "log": 2, "expm1": 3, "log1p": 3, "tanh": 3, "sigmoid": 3,
                    "sinh": 4, "cosh": 3, "asinh": 4, "acosh": 4, "atanh": 4, "log2": 3,
                    "log10": 3, "rsqrt": 2},
        "float16": {}}
DEFAULT_ULPS = {"float64": 2, "float32": 1, "float16": 1}
# absolute error allowed on top (lgamma is computed as a difference near its zeros 1 and 2)
# and digamma near its zeros, where the reflection term pi/tan(pi x) cancels (libm's tan and
# tenkai's differ by an ulp of a value ~1e3 times larger than the result)
ATOL = {"lgamma": {"float64": 3e-14, "float32": 3e-14},
        "digamma": {"float64": 1e-14, "float32": 1e-14}}
# -0 gives +0 (vecmath's expm1, the CPU's too): the sign of a zero result is not checked
UNSIGNED_ZERO = ("expm1",)
SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-300,
           -1e-310, 5e-324, 1e-40, -1e-45, 6e-8, 65504.0, 3.4e38, 1.7e308, -1.7e308]


def _wide(rng: np.random.Generator, dtype: str, n: int, lo: float, hi: float) -> np.ndarray:
    """``n`` values of both signs, magnitudes log-uniform in ``[10^lo, 10^hi]``."""
    mag = 10.0 ** rng.uniform(lo, hi, n)
    return (mag * rng.choice([-1.0, 1.0], n)).astype(dtype)


def _inputs(op: str, dtype: str, rng: np.random.Generator) -> list[np.ndarray]:
    finfo = np.finfo(dtype)
    lo, hi = math.log10(finfo.smallest_subnormal), math.log10(finfo.max)
    n = 4000
    special = np.array(SPECIAL, dtype=np.float64)
    with np.errstate(over="ignore"):
        special = special.astype(dtype)
    parts = [special, _wide(rng, dtype, n, lo, hi), rng.uniform(-4, 4, n).astype(dtype)]
    if op in ("asin", "acos", "atanh", "erfinv"):
        parts.append(rng.uniform(-1, 1, n).astype(dtype))
        parts.append((1 - 10.0 ** rng.uniform(-16, 0, n)).astype(dtype))
    if op in ("sin", "cos", "tan"):
        parts.append(_wide(rng, dtype, n, -5, min(9, hi)))  # Cody-Waite: |x| < 2^30
        if hi > 9:  # Payne-Hanek
            parts.append(_wide(rng, dtype, n, 9, hi))
            parts.append(np.array([2.0 ** 30, 1e22, 3e38], dtype=dtype))
    if op in ("lgamma", "digamma", "trigamma"):
        parts.append(rng.uniform(-30, 30, n).astype(dtype))
        parts.append((rng.integers(-20, 4, 200) + rng.choice([0.5, 1e-3, -1e-3], 200))
                     .astype(dtype))
        parts.append((rng.choice([1.0, 2.0], n) + rng.uniform(-0.01, 0.01, n)).astype(dtype))
    if op in ("acosh", "log1p", "log", "log2", "log10"):
        parts.append((1 + 10.0 ** rng.uniform(-10, 1, n)).astype(dtype))
    x = np.concatenate(parts)
    if op not in BINARY:
        return [x]
    y = rng.permutation(x)
    if op == "fmod":  # near the top of the range, with y's mantissa above x's
        x = np.concatenate([x, np.array([finfo.max, finfo.max * 0.75] * 2, dtype=dtype)])
        y = np.concatenate([y, np.array([1.9999, 1.5, 3e-300, 5e-324], dtype=np.float64)
                            .astype(dtype)])
    if op == "pow":  # integer, half-integer and moderate exponents on moderate bases
        base = np.concatenate([x, _wide(rng, dtype, n, -3, 3), -_wide(rng, dtype, n, -2, 2)])
        y = np.concatenate([y, rng.uniform(-40, 40, n).astype(dtype),
                            rng.integers(-9, 10, n).astype(dtype)])
        y[: len(special) ** 2] = np.repeat(special, len(special))[: len(y)]
        base[: len(special) ** 2] = np.tile(special, len(special))[: len(base)]
        return [base, y]
    y[: len(special) ** 2] = np.repeat(special, len(special))[: len(y)]
    x[: len(special) ** 2] = np.tile(special, len(special))[: len(x)]
    return [x, y]


def _define(module: ir.Module, op: str, dtype: str, arity: int, lib: MathLibrary) -> str:
    """``void @name(ptr out, ptr x0, [ptr x1,] i64 n)``: out[i] = op(x0[i], x1[i])."""
    name = f"{lib.target}_{op}_{dtype}"
    ty = llvm_type(dtype)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * (arity + 1) + [I64]),
                     name=name)
    out, *ins, n = fn.args
    entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(I64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), entry)
    args = [b.load(b.gep(p, [i], source_etype=ty), typ=ty) for p in ins]
    value = template_for(op, dtype, lib)(b, *args, dtype=dtype, out_dtype=dtype)
    b.store(value, b.gep(out, [i], source_etype=ty))
    nxt = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return name


OPS = sorted(REFERENCE) + list(AGAINST_CPU)


@pytest.fixture(scope="module")
def jit() -> JitModule:
    module = ir.Module(name="own_math")
    for op in OPS:
        arity = 2 if op in BINARY else 1
        for dtype in FLOATS:
            _define(module, op, dtype, arity, NV)
        if op in AGAINST_CPU:
            _define(module, op, "float64", arity, CPU_MATH)
    return compile_module(module, speed_level=1)


def _run(jit: JitModule, lib: MathLibrary, op: str, dtype: str,
         xs: list[np.ndarray]) -> np.ndarray:
    out = np.empty_like(xs[0])
    fn = jit.ctypes_function(f"{lib.target}_{op}_{dtype}", None,
                             *[ctypes.c_void_p] * (len(xs) + 1), ctypes.c_int64)
    fn(out.ctypes.data, *[x.ctypes.data for x in xs], len(out))
    return out


def _ulp_errors(got: np.ndarray, ref: np.ndarray, dtype: str, atol: float) -> np.ndarray:
    """Per element: error in ulps of ``dtype`` (0 where both NaN / equal inf / within atol)."""
    with np.errstate(all="ignore"):
        return _ulp_errors_quiet(got.astype(np.float64), ref.astype(np.float64), dtype, atol)


def _ulp_errors_quiet(g: np.ndarray, r: np.ndarray, dtype: str, atol: float) -> np.ndarray:
    rounded = r.astype(dtype)
    spacing = np.spacing(np.abs(rounded)).astype(np.float64)
    err = np.abs(g - r) / spacing
    err = np.where(np.isnan(g) & np.isnan(r), 0.0, err)
    err = np.where(np.isnan(g) != np.isnan(r), np.inf, err)
    inf = np.isinf(rounded) | np.isinf(g)
    err = np.where(inf, np.where(g == rounded, 0.0, np.inf), err)
    err = np.where(~inf & (np.abs(g - r) <= atol), 0.0, err)
    zeros = (g == 0) & (rounded == 0)
    return np.where(zeros, np.where(np.signbit(g) == np.signbit(rounded), 0.0, np.inf), err)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", OPS)
def test_own_math_accuracy(jit: JitModule, op: str, dtype: str) -> None:
    rng = np.random.default_rng(sum(map(ord, op + dtype)))
    xs = _inputs(op, dtype, rng)
    got = _run(jit, NV, op, dtype, xs)
    if op in AGAINST_CPU:
        ref = _run(jit, CPU_MATH, op, "float64", [x.astype(np.float64) for x in xs])
    else:
        with np.errstate(all="ignore"):
            ref = np.asarray(REFERENCE[op](*[x.astype(np.float64) for x in xs]))
    tol = ULPS[dtype].get(op, DEFAULT_ULPS[dtype])
    err = _ulp_errors(got, ref, dtype, ATOL.get(op, {}).get(dtype, 0.0))
    if op in UNSIGNED_ZERO:
        err = np.where((got == 0) & (ref == 0), 0.0, err)
    worst = int(np.argmax(err))
    assert err[worst] <= tol, (
        f"{op} {dtype}: {err[worst]:.3g} ulp at x={[x[worst] for x in xs]}: got "
        f"{got[worst]!r}, reference {ref[worst]!r} (tolerance {tol} ulp)")


# sin, cos, tan of the float64 hardest to reduce (x mod pi/2 ~ 4.7e-19) and of huge values,
# correctly rounded (mpmath at 3000 bits); glibc's and numpy's cos are 8 ulp off at the first
HARD_CASES = {
    6381956970095103 * 2.0 ** 797: (1.0, -4.687165924254628e-19, -2.133485385753704e+18),
    1e22: (-0.8522008497671888, 0.523214785395139, -1.6287782256068988),
    8e307: (-0.05680777869157559, -0.9983851342443602, 0.056899664010493546),
}


@pytest.mark.parametrize("k, op", [(0, "sin"), (1, "cos"), (2, "tan")])
def test_trig_reduction_hardest_cases(jit: JitModule, k: int, op: str) -> None:
    x = np.array(list(HARD_CASES), dtype=np.float64)
    want = np.array([values[k] for values in HARD_CASES.values()])
    got = _run(jit, NV, op, "float64", [np.concatenate([x, -x])])
    expected = np.concatenate([want, want if op == "cos" else -want])
    assert np.all(_ulp_errors(got, expected, "float64", 0.0) <= 1), (got, expected)
