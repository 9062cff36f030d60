"""The CPU target: the host's x86-64 (or other LLVM host) through MCJIT.

Its strategies: one native call per step (``tk_step``), the packed and register-blocked GEMM
of :mod:`tenkai.codegen.cpu.gemm` for contractions, im2col + GEMM for convolution, parallel
loops outlined into chunks for the thread pool of :mod:`tenkai.codegen.cpu.pool`.
"""

from __future__ import annotations

from typing import Any

from tenkai.codegen.cpu.machine import host_cpu
from tenkai.codegen.target import Target

# math the LLVM x86 backend lowers (to an instruction or a libm call it resolves itself)
NATIVE_MATH = frozenset({"sqrt", "fabs", "floor", "ceil", "trunc", "roundeven", "copysign",
                         "fma", "maxnum", "minnum", "sin", "cos", "exp", "log", "log2",
                         "log10", "pow"})


def describe(**options: Any) -> Target:
    """The host CPU as a :class:`Target` (its name and LLVM feature string)."""
    cpu = host_cpu()
    return Target(name="cpu", triple=cpu.triple, arch=cpu.name,
                  features=cpu.features, kind="cpu", launch="call",
                  alignment=64, contraction="gemm_call", convolution="im2col",
                  parallel="threads", math_library="tenkai+libm", native_math=NATIVE_MATH,
                  options=tuple(sorted(options.items())))
