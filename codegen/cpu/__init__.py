"""The CPU target: the host's x86-64 (or other LLVM host) through MCJIT.

Its strategies: one native call per step (``tk_step``), the packed and register-blocked GEMM
of :mod:`tenkai.codegen.cpu.gemm` for contractions, im2col + GEMM for convolution, parallel
loops outlined into chunks for the thread pool of :mod:`tenkai.codegen.cpu.pool`.

This module is the CPU target's *codegen module* (``TargetCodegen`` in
:mod:`tenkai.codegen.target`): :func:`describe`, :func:`generate`, :func:`support_library`.
Its runtime is :mod:`tenkai.runtime.cpu`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from tenkai.codegen.cpu.library import Library, library
from tenkai.codegen.cpu.machine import host_cpu
from tenkai.codegen.scalar.library import CPU_NATIVE_MATH
from tenkai.codegen.target import Target

if TYPE_CHECKING:
    from tenkai.codegen.cpu.codegen import GeneratedModule
    from tenkai.codegen.kir.nodes import KernelProgram

# math the LLVM x86 backend lowers (an instruction, or a libm call it resolves itself)
NATIVE_MATH = CPU_NATIVE_MATH


def describe(**options: Any) -> Target:
    """The host CPU as a :class:`Target` (its name and LLVM feature string)."""
    return _host().with_options(**options) if options else _host()


@functools.cache
def _host() -> Target:
    cpu = host_cpu()
    return Target(name="cpu", triple=cpu.triple, arch=cpu.name, features=cpu.features,
                  kind="cpu", launch="call",
                  alignment=64, contraction="gemm_call", convolution="im2col",
                  parallel="threads", math_library="tenkai+libm", native_math=NATIVE_MATH)


def generate(programs: KernelProgram | list[KernelProgram], target: Target | None = None,
             opt_level: int = 3, parallel: bool = True) -> GeneratedModule:
    """Kernel program(s) -> one optimized LLVM module for the host (see
    :mod:`tenkai.codegen.cpu.codegen`, imported on first use: a process that only loads
    cached steps never imports the generator)."""
    from tenkai.codegen.cpu.codegen import generate as generate_module

    return generate_module(programs, target, opt_level, parallel)


def support_library(target: Target) -> Library | None:
    """The shared GEMM/thread-pool library (its key, symbols and object code; None when it is
    not built)."""
    return library()


def __getattr__(name: str) -> Any:
    if name == "GeneratedModule":  # the generator's module, imported on first use
        from tenkai.codegen.cpu.codegen import GeneratedModule

        return GeneratedModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["NATIVE_MATH", "GeneratedModule", "Library", "describe", "generate",
           "support_library"]
