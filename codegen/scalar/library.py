"""The per-target math library behind the scalar templates.

Templates never name an LLVM math intrinsic or a C function themselves; they ask the library,
``lib.call(b, "sin", [x])``, and the library picks, in this order:

1. half (float16) on a target without C's libm: computed in float32 and rounded (in double,
   rounded once through a round-to-odd float, for the :data:`IN_DOUBLE` functions), unless
   the target lowers the function natively for half (``fabs``, ``floor``, ``fma``, ...); the
   CPU keeps the half code it always had (LLVM's x86 backend promotes half intrinsics itself);
2. ``exp``/``log``/``expm1`` of float/double: tenkai's branch-free versions (vecmath), which
   the loop vectorizer can widen (the intrinsics become scalar libm calls on the CPU);
3. a function in the target's ``native_math``: the LLVM intrinsic ``llvm.<fn>.<type>``;
4. a C libm function, when the target's ``math_library`` includes ``libm`` (the CPU: the
   runtime resolves those symbols; half goes through float);
5. tenkai's own implementation in LLVM IR (:data:`OWN`: mathlib, special, trig), computed in
   double for float when the function is one of :data:`IN_DOUBLE`.

Anything else raises NotImplementedError naming the target, the function and the type. A
``prefer`` of ``"native"``/``"libm"`` tries that source first (where the CPU's code used it:
``normal``'s ``log``/``cos``, trigamma's ``sin``). The "basic" functions (``fabs``, ``floor``,
``fma``, ``sqrt``, ``copysign``, ``maxnum``, ...) must be native: every LLVM target lowers
them, and a target that does not gets the NotImplementedError.

``math_library="libdevice"`` (NVPTX only; also the target option ``math="libdevice"``, e.g.
``describe("cuda", math="libdevice")``, which overrides the field) takes NVIDIA's libdevice
instead: a function in :data:`LIBDEVICE` is a call of ``__nv_<fn>f`` (float) or ``__nv_<fn>``
(double), half goes through float, the native functions stay intrinsics, and the rest
(sigmoid, reciprocal, digamma, trigamma) are tenkai's own, built on the libdevice calls. The
module then declares those ``__nv_*`` functions and the NVPTX generator links
``libdevice.10.bc`` in (:mod:`tenkai.codegen.nvptx.libdevice`).

The CPU's choices are the ones its code generator always made, so its code is unchanged; NVPTX
(``native_math`` without sin/cos/exp/log/pow) gets its math from the own implementations.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.scalar import mathlib, special, trig
from tenkai.codegen.scalar.types import F32, F64, MathCalls, convert, intrinsic, narrow
from tenkai.codegen.scalar.vecmath import vexp, vexpm1, vlog
from tenkai.codegen.target import Target

Impl = Callable[..., ir.Value]


def _plain(fn: Callable[..., ir.Value]) -> Impl:
    """A trig function ``fn(b, *xs)`` as a library implementation ``impl(lib, b, *xs)``."""
    def impl(lib: MathCalls, b: ir.IRBuilder, *xs: ir.Value) -> ir.Value:
        return fn(b, *xs)
    return impl


# tenkai's own implementations: impl(lib, b, *xs) for float and double arguments
OWN: dict[str, Impl] = {
    "expm1": mathlib.expm1_half, "log1p": mathlib.log1p, "tanh": mathlib.tanh,
    "sigmoid": mathlib.sigmoid, "log2": mathlib.log2, "log10": mathlib.log10,
    "pow": mathlib.pow_, "sinh": mathlib.sinh, "cosh": mathlib.cosh, "asinh": mathlib.asinh,
    "acosh": mathlib.acosh, "atanh": mathlib.atanh, "hypot": mathlib.hypot,
    "rsqrt": mathlib.rsqrt, "reciprocal": mathlib.recip, "fmod": mathlib.fmod,
    "erf": special.erf, "erfc": special.erfc, "erfinv": special.in_double(special.erfinv),
    "lgamma": special.lgamma, "digamma": special.digamma, "trigamma": special.trigamma,
    **{name: _plain(getattr(trig, name)) for name in
       ("sin", "cos", "tan", "sinpi", "asin", "acos", "atan", "atan2")},
}
# own implementations written for double only: float arguments are extended and rounded back
IN_DOUBLE = frozenset({"pow", "hypot", "fmod", "erfc", "lgamma", "sin", "cos", "tan", "sinpi",
                       "asin", "acos", "atan", "atan2"})
# functions that C's libm provides under name / name + "f" (the CPU runtime resolves them);
# fmod as LLVM's frem instruction, which the CPU backend lowers to C's fmod
LIBM = frozenset({"tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
                  "erfc", "lgamma", "atan2", "hypot", "sin", "fmod"})
VECTOR = {"exp": vexp, "log": vlog, "expm1": vexpm1}
# functions libdevice has as __nv_<fn>f / __nv_<fn> (the tenkai name is libdevice's name)
LIBDEVICE = frozenset({"exp", "log", "expm1", "log1p", "tanh", "log2", "log10", "pow", "sinh",
                       "cosh", "asinh", "acosh", "atanh", "hypot", "rsqrt", "fmod", "erf",
                       "erfc", "erfinv", "lgamma", "sin", "cos", "tan", "sinpi", "asin",
                       "acos", "atan", "atan2"})
LIBRARIES = ("tenkai", "tenkai+libm", "libdevice")
MATH_FUNCTIONS = frozenset(OWN) | {"exp", "log", "sqrt", "fabs", "floor", "ceil", "trunc",
                                   "roundeven", "copysign", "fma", "maxnum", "minnum"}


class MathLibrary:
    """Resolves math functions for one target (see the module docstring)."""

    def __init__(self, target: str, native: frozenset[str], libm: bool,
                 libdevice: bool = False) -> None:
        self.target, self.native, self.libm = target, native, libm
        self.libdevice = libdevice

    def __repr__(self) -> str:
        extra = ", libdevice=True" if self.libdevice else ""
        return f"MathLibrary({self.target!r}, libm={self.libm}{extra})"

    def call(self, b: ir.IRBuilder, fn: str, args: list[ir.Value],
             prefer: str = "") -> ir.Value:
        ty = args[0].type
        if self.libdevice and fn not in self.native:
            if isinstance(ty, ir.HalfType):  # libdevice has no half math: through float
                return b.fptrunc(self.call(b, fn, [b.fpext(a, F32) for a in args]), ty)
            if fn in LIBDEVICE and isinstance(ty, (ir.FloatType, ir.DoubleType)):
                return self._libdevice(b, fn, args)
        if prefer == "native" and fn in self.native:
            return intrinsic(b, f"llvm.{fn}", args)
        if prefer == "libm" and self.libm and fn in LIBM:
            return self._libm(b, fn, args)
        if isinstance(ty, ir.HalfType) and not self.libm and fn not in self.native:
            if fn in IN_DOUBLE:  # one rounding, double -> half (through round-to-odd float)
                out = self.call(b, fn, [b.fpext(a, F64) for a in args])
                return convert(b, out, "float64", "float16")
            return b.fptrunc(self.call(b, fn, [b.fpext(a, F32) for a in args]), ty)
        if fn in VECTOR and isinstance(ty, (ir.FloatType, ir.DoubleType)):
            return VECTOR[fn](b, *args)
        if fn in self.native:
            return intrinsic(b, f"llvm.{fn}", args)
        if self.libm and fn in LIBM:
            return self._libm(b, fn, args)
        if fn in OWN:
            if fn in IN_DOUBLE and ty != F64:
                out = OWN[fn](self, b, *[b.fpext(a, F64) for a in args])
                return narrow(b, out, ty)
            return OWN[fn](self, b, *args)
        raise NotImplementedError(
            f"{self.target}: no math function {fn!r} for {ty} (not in the target's native_math, "
            f"no libm, no tenkai implementation); add it to codegen/scalar/library.py OWN")

    def _libdevice(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        """Call libdevice's ``__nv_<name>f`` (float) or ``__nv_<name>`` (double)."""
        ty = args[0].type
        symbol = f"__nv_{name}" + ("" if isinstance(ty, ir.DoubleType) else "f")
        fn = declare_function(b.module, symbol, ir.FunctionType(ty, [ty] * len(args)))
        return b.call(fn, args)

    def _libm(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        """Call C's ``name`` (double) or ``name + 'f'`` (float); half goes through float."""
        ty = args[0].type
        if name == "fmod":
            return b.frem(*args)
        if isinstance(ty, ir.HalfType):
            return b.fptrunc(self._libm(b, name, [b.fpext(a, F32) for a in args]), ty)
        symbol = name if isinstance(ty, ir.DoubleType) else name + "f"
        fn = declare_function(b.module, symbol, ir.FunctionType(ty, [ty] * len(args)))
        return b.call(fn, args)


def math_library(target: Target | MathLibrary | None = None) -> MathLibrary:
    """The math library a target names: its option ``math`` if it has one, else its
    ``math_library``: ``"tenkai"`` (own math only), ``"tenkai+libm"`` (C's libm first where
    it has the function) or ``"libdevice"`` (NVIDIA's, NVPTX targets only); ``None``: the
    CPU's."""
    if target is None:
        return CPU_MATH
    if isinstance(target, MathLibrary):
        return target
    name = str(dict(target.options).get("math", target.math_library))
    native = frozenset(target.native_math)
    if name == "libdevice":
        if not target.triple.startswith("nvptx"):
            raise NotImplementedError(
                f"{target.name}: math library 'libdevice' is NVIDIA's, for NVPTX targets "
                f"only ({target.triple}); use 'tenkai' or 'tenkai+libm'")
        return MathLibrary(target.name, native, libm=False, libdevice=True)
    parts = name.split("+")
    unknown = sorted(set(parts) - {"tenkai", "libm"})
    if unknown or "tenkai" not in parts:
        raise NotImplementedError(
            f"{target.name}: math library {name!r} is not implemented "
            f"(unknown part(s) {', '.join(unknown) or 'tenkai missing'}); use one of "
            f"{', '.join(repr(k) for k in LIBRARIES)}")
    return MathLibrary(target.name, native, "libm" in parts)


# The CPU's library, for callers that name no target (emitters and tests written before
# targets). Its native set equals codegen/cpu's NATIVE_MATH (a test checks that); the CPU
# package cannot be imported from here (it imports this folder).
CPU_NATIVE_MATH = frozenset({"sqrt", "fabs", "floor", "ceil", "trunc", "roundeven", "copysign",
                             "fma", "maxnum", "minnum", "sin", "cos", "exp", "log", "log2",
                             "log10", "pow"})
CPU_MATH = MathLibrary("cpu", CPU_NATIVE_MATH, libm=True)
