"""Running libdevice's code on the host, to check the numbers of ``math_library="libdevice"``
without a GPU (test_nvptx_libdevice.py).

A module built for NVPTX (the scalar templates' ``case`` functions calling ``__nv_*``) is
linked with ``libdevice.10.bc`` and optimized by the NVPTX pipeline (NVVMReflect answers
``__nvvm_reflect``, libdevice is inlined); the optimized IR is then retargeted to the host and
every NVVM intrinsic left in it is replaced by a host function with the same meaning:

* exact ones: ``add/mul/div.rn``, ``fabs``, ``round``, ``f2i/d2i.rn`` (round to nearest
  even), ``f2i.rz``/``d2ll.rz`` (truncation), ``d2i.hi/lo`` and ``lohi.i2d`` (the halves of a
  double), ``saturate`` (clamp to [0, 1]);
* approximate instructions by the correctly rounded operation (``rcp/rsqrt/sqrt/div.approx``,
  ``ex2.approx``, ``lg2.approx``): libdevice refines them or stays within its error bounds;
* directed rounding (``fma.rm.f``, ``fma.rz.f``, ``add.rz.f``): computed in double, then
  rounded down / toward zero to float (one extra rounding in double, exact for the operands
  libdevice gives them).

So these are libdevice's algorithms on IEEE host arithmetic, not the GPU's bits: the tests
compare them with float64 references at libdevice's documented error bounds (a few ulp).
"""

from __future__ import annotations

import ctypes
import re

import llvmlite.binding as llvm

from tenkai.codegen.nvptx import libdevice
from tenkai.runtime.cpu import jit

F, D = "float", "double"
# NVVM intrinsic -> (return type, parameter types, body using %a, %b, %c)
EMULATED: dict[str, tuple[str, list[str], str]] = {
    "add.rn.f": (F, [F, F], "%r = fadd float %a, %b"),
    "add.rn.d": (D, [D, D], "%r = fadd double %a, %b"),
    "mul.rn.f": (F, [F, F], "%r = fmul float %a, %b"),
    "mul.rn.d": (D, [D, D], "%r = fmul double %a, %b"),
    "div.rn.f": (F, [F, F], "%r = fdiv float %a, %b"),
    "div.approx.f": (F, [F, F], "%r = fdiv float %a, %b"),
    "div.approx.ftz.f": (F, [F, F], "%r = fdiv float %a, %b"),
    "fabs.f32": (F, [F], "%r = call float @llvm.fabs.f32(float %a)"),
    "fabs.f64": (D, [D], "%r = call double @llvm.fabs.f64(double %a)"),
    "round.f": (F, [F], "%r = call float @llvm.round.f32(float %a)"),
    "round.d": (D, [D], "%r = call double @llvm.round.f64(double %a)"),
    "f2i.rn": ("i32", [F], "%t = call float @llvm.roundeven.f32(float %a)\n"
               "%r = fptosi float %t to i32"),
    "d2i.rn": ("i32", [D], "%t = call double @llvm.roundeven.f64(double %a)\n"
               "%r = fptosi double %t to i32"),
    "f2i.rz": ("i32", [F], "%r = fptosi float %a to i32"),
    "d2ll.rz": ("i64", [D], "%r = fptosi double %a to i64"),
    "d2i.hi": ("i32", [D], "%t = bitcast double %a to i64\n%s = lshr i64 %t, 32\n"
               "%r = trunc i64 %s to i32"),
    "d2i.lo": ("i32", [D], "%t = bitcast double %a to i64\n%r = trunc i64 %t to i32"),
    "lohi.i2d": (D, ["i32", "i32"], "%l = zext i32 %a to i64\n%h = zext i32 %b to i64\n"
                 "%s = shl i64 %h, 32\n%t = or i64 %s, %l\n%r = bitcast i64 %t to double"),
    "saturate.f": (F, [F], "%t = call float @llvm.maxnum.f32(float %a, float 0.0)\n"
                   "%r = call float @llvm.minnum.f32(float %t, float 1.0)"),
    "rcp.approx.ftz.d": (D, [D], "%r = fdiv double 1.0, %a"),
    "rsqrt.approx.f": (F, [F], "%t = call float @llvm.sqrt.f32(float %a)\n"
                       "%r = fdiv float 1.0, %t"),
    "rsqrt.approx.ftz.f": (F, [F], "%t = call float @llvm.sqrt.f32(float %a)\n"
                           "%r = fdiv float 1.0, %t"),
    "rsqrt.approx.d": (D, [D], "%t = call double @llvm.sqrt.f64(double %a)\n"
                       "%r = fdiv double 1.0, %t"),
    "sqrt.approx.f": (F, [F], "%r = call float @llvm.sqrt.f32(float %a)"),
    "ex2.approx.ftz.f32": (F, [F], "%r = call float @llvm.exp2.f32(float %a)"),
    "ex2.approx.f32": (F, [F], "%r = call float @llvm.exp2.f32(float %a)"),
    "lg2.approx.ftz.f": (F, [F], "%r = call float @llvm.log2.f32(float %a)"),
    # directed rounding: in double, then to float rounded down / toward zero
    "fma.rm.f": (F, [F, F, F], "%x = fpext float %a to double\n%y = fpext float %b to double\n"
                 "%z = fpext float %c to double\n"
                 "%d = call double @llvm.fma.f64(double %x, double %y, double %z)\n"
                 "%r = call float @host_down(double %d)"),
    "fma.rz.f": (F, [F, F, F], "%x = fpext float %a to double\n%y = fpext float %b to double\n"
                 "%z = fpext float %c to double\n"
                 "%d = call double @llvm.fma.f64(double %x, double %y, double %z)\n"
                 "%r = call float @host_zero(double %d)"),
    "add.rz.f": (F, [F, F], "%x = fpext float %a to double\n%y = fpext float %b to double\n"
                 "%d = fadd double %x, %y\n%r = call float @host_zero(double %d)"),
}
# libdevice's inline PTX: one-instruction snippets by text, and the multi-word integer
# arithmetic of its argument reductions (a*b+c in 32-bit halves; 128-bit add, sub, a*b and
# a*b+c on pairs of 64-bit halves) by the instructions they contain
ASM_SIMPLE = {"rcp.approx.ftz.f32 $0,$1;": "host.rcp.f32",
              "rsqrt.approx.ftz.f64 $0, $1;": "host.rsqrt.f64",
              "sub.rn.f32 $0, $1, $2;": "host.sub.f32"}
ASM_MULTIWORD = (("mad.lo.cc.u32   $0, $2, $3, $4;", "host.mad32"),
                 ("add.cc.u32      r0, a0, b0;", "host.add128"),
                 ("sub.cc.u32      r0, a0, b0;", "host.sub128"),
                 ("mad.lo.cc.u32   r0, alo, blo, clo;", "host.mad128"),
                 ("mul.lo.u32      r0, alo, blo;", "host.mul128"))
_WIDE = """  %A = zext i64 %a to i128
  %B = zext i64 %b to i128"""
_PAIRS = """  %a0x = zext i64 %a0 to i128
  %a1x = zext i64 %a1 to i128
  %a1s = shl i128 %a1x, 64
  %A = or i128 %a1s, %a0x
  %b0x = zext i64 %b0 to i128
  %b1x = zext i64 %b1 to i128
  %b1s = shl i128 %b1x, 64
  %B = or i128 %b1s, %b0x"""
_SPLIT = """  %lo = trunc i128 %R to i64
  %hs = lshr i128 %R, 64
  %hi = trunc i128 %hs to i64
  %s0 = insertvalue { i64, i64 } undef, i64 %lo, 0
  %s1 = insertvalue { i64, i64 } %s0, i64 %hi, 1
  ret { i64, i64 } %s1
}"""
ASM_DEFS = {
    "host.rcp.f32": 'define internal float @"host.rcp.f32"(float %a) {\n'
                    "  %r = fdiv float 1.0, %a\n  ret float %r\n}",
    "host.rsqrt.f64": 'define internal double @"host.rsqrt.f64"(double %a) {\n'
                      "  %t = call double @llvm.sqrt.f64(double %a)\n"
                      "  %r = fdiv double 1.0, %t\n  ret double %r\n}",
    "host.sub.f32": 'define internal float @"host.sub.f32"(float %a, float %b) {\n'
                    "  %r = fsub float %a, %b\n  ret float %r\n}",
    "host.mad32": 'define internal { i32, i32 } @"host.mad32"(i32 %a, i32 %b, i32 %c) {\n'
                  "  %A = zext i32 %a to i64\n  %B = zext i32 %b to i64\n"
                  "  %C = zext i32 %c to i64\n  %P = mul i64 %A, %B\n  %R = add i64 %P, %C\n"
                  "  %lo = trunc i64 %R to i32\n  %hs = lshr i64 %R, 32\n"
                  "  %hi = trunc i64 %hs to i32\n"
                  "  %s0 = insertvalue { i32, i32 } undef, i32 %lo, 0\n"
                  "  %s1 = insertvalue { i32, i32 } %s0, i32 %hi, 1\n  ret { i32, i32 } %s1\n}",
    "host.add128": 'define internal { i64, i64 } @"host.add128"(i64 %a0, i64 %a1, i64 %b0, '
                   f"i64 %b1) {{\n{_PAIRS}\n  %R = add i128 %A, %B\n{_SPLIT}",
    "host.sub128": 'define internal { i64, i64 } @"host.sub128"(i64 %a0, i64 %a1, i64 %b0, '
                   f"i64 %b1) {{\n{_PAIRS}\n  %R = sub i128 %A, %B\n{_SPLIT}",
    "host.mad128": 'define internal { i64, i64 } @"host.mad128"(i64 %a, i64 %b, i64 %c) {\n'
                   f"{_WIDE}\n  %C = zext i64 %c to i128\n  %P = mul i128 %A, %B\n"
                   f"  %R = add i128 %P, %C\n{_SPLIT}",
    "host.mul128": 'define internal { i64, i64 } @"host.mul128"(i64 %a, i64 %b) {\n'
                   f"{_WIDE}\n  %R = mul i128 %A, %B\n{_SPLIT}",
}


def _asm_function(source: str) -> str:
    """The host function standing for one inline-PTX snippet (Unsupported if unknown)."""
    if source in ASM_SIMPLE:
        return ASM_SIMPLE[source]
    for marker, name in ASM_MULTIWORD:
        if marker in source.replace("\\0A\\09", " "):
            return name
    raise Unsupported("inline PTX " + repr(source[:80]))


HELPERS = """
declare float @llvm.fabs.f32(float)
declare double @llvm.fabs.f64(double)
declare float @llvm.round.f32(float)
declare double @llvm.round.f64(double)
declare float @llvm.roundeven.f32(float)
declare double @llvm.roundeven.f64(double)
declare float @llvm.maxnum.f32(float, float)
declare float @llvm.minnum.f32(float, float)
declare float @llvm.sqrt.f32(float)
declare double @llvm.sqrt.f64(double)
declare float @llvm.exp2.f32(float)
declare float @llvm.log2.f32(float)
declare double @llvm.fma.f64(double, double, double)
define internal float @host_down(double %d) {
  %r = fptrunc double %d to float
  %e = fpext float %r to double
  %up = fcmp ogt double %e, %d
  %bits = bitcast float %r to i32
  %neg = fcmp olt float %r, 0.0
  %zero = fcmp oeq float %r, 0.0
  %inc = add i32 %bits, 1
  %dec = sub i32 %bits, 1
  %step = select i1 %neg, i32 %inc, i32 %dec
  %zstep = select i1 %zero, i32 -2147483647, i32 %step
  %fixed = bitcast i32 %zstep to float
  %out = select i1 %up, float %fixed, float %r
  ret float %out
}
define internal float @host_zero(double %d) {
  %r = fptrunc double %d to float
  %e = fpext float %r to double
  %ae = call double @llvm.fabs.f64(double %e)
  %ad = call double @llvm.fabs.f64(double %d)
  %away = fcmp ogt double %ae, %ad
  %bits = bitcast float %r to i32
  %dec = sub i32 %bits, 1
  %fixed = bitcast i32 %dec to float
  %out = select i1 %away, float %fixed, float %r
  ret float %out
}
"""


class Unsupported(Exception):
    """The optimized module uses an NVVM intrinsic :data:`EMULATED` does not model."""


def _definitions(used: list[str], text: str) -> str:
    """The host functions for ``used``, and the helpers' declarations ``text`` lacks."""
    out = [line for line in HELPERS.splitlines() if not line.startswith("declare ")
           or re.search(r"@([\w.]+)\(", line).group(1) not in text]  # type: ignore[union-attr]
    for name in used:
        ret, params, body = EMULATED[name]
        args = ", ".join(f"{t} %{'abc'[k]}" for k, t in enumerate(params))
        lines = "\n  ".join(body.splitlines())
        out.append(f'define internal {ret} @"host.{name}"({args}) {{\n  {lines}\n'
                   f"  ret {ret} %r\n}}")
    return "\n".join(out)


def host_text(nvptx_ir: str, machine: llvm.TargetMachine) -> str:
    """``nvptx_ir`` linked with libdevice, optimized for ``machine`` (NVPTX), then rewritten
    to run on the host (see the module docstring)."""
    mod = llvm.parse_assembly(nvptx_ir)
    mod.data_layout = str(machine.target_data)
    libdevice.link(mod)
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(2))
    builder.getModulePassManager().run(mod, builder)
    text = str(mod)
    used = sorted(set(re.findall(r'@"?llvm\.nvvm\.([\w.]+?)"?\(', text)))
    unknown = [u for u in used if u not in EMULATED]
    if unknown:
        raise Unsupported(", ".join(unknown))
    text = re.sub(r"^declare .*@\"?llvm\.nvvm\..*$", "", text, flags=re.M)
    for name in used:
        text = re.sub(rf'@"?llvm\.nvvm\.{re.escape(name)}"?\(', f'@"host.{name}"(', text)
    asm_used: set[str] = set()

    def replace(m: re.Match[str]) -> str:
        name = _asm_function(m.group(1))
        asm_used.add(name)
        return f'@"{name}"('

    text = re.sub(r'asm (?:sideeffect )?"([^"]*)", "[^"]*"\(', replace, text)
    text = re.sub(r"^target (triple|datalayout) = .*$", "", text, flags=re.M)
    text = re.sub(r"addrspace\(\d+\) ?", "", text)
    return (f'target triple = "{llvm.get_process_triple()}"\n' + text
            + _definitions(used, text) + "\n" + "\n".join(ASM_DEFS[a] for a in sorted(asm_used)))


_ENGINES: list[llvm.ExecutionEngine] = []


def load(text: str) -> llvm.ExecutionEngine:
    """MCJIT-compile host IR text (kept alive for the process)."""
    jit.initialize()
    mod = llvm.parse_assembly(text)
    mod.verify()
    tm = llvm.Target.from_triple(llvm.get_process_triple()).create_target_machine(
        cpu=llvm.get_host_cpu_name(), opt=1, jit=True)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    _ENGINES.append(engine)
    return engine


def scalar_function(engine: llvm.ExecutionEngine, name: str, ctype: type, arity: int):
    """``f(*xs) -> value`` calling ``void name(ptr out, x...)`` from the JIT."""
    addr = engine.get_function_address(name)
    assert addr, f"no function {name}"
    proto = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctype), *[ctype] * arity)(addr)

    def call(*xs: float) -> float:
        out = ctype(0)
        proto(ctypes.byref(out), *[ctype(x) for x in xs])
        return out.value
    return call
