"""A small JIT harness for the codegen tests: an llvmlite module -> callable native functions,
through the same path compiled steps take.

``compile_module(module)`` optimizes the module with the one optimization pipeline
(:func:`tenkai.codegen.llvm.pipeline.optimize`, host target machine, loop interleaving on, as
for the GEMM library), emits host object code (:func:`tenkai.codegen.cpu.machine.emit_object`)
and loads it with the runtime's public object loader (:func:`tenkai.runtime.cpu.jit.load_object`).

Example::

    jit = compile_module(module)
    gemm = jit.ctypes_function("tk_gemm_f32", None, ctypes.c_int64, ...)

Lifetime: the runtime keeps every loaded module for the life of the process and joins the
worker threads of each one that has a thread pool at exit (``tk_parallel_shutdown``), so no
worker is left spinning in freed code. The loader caches by content: compiling an identical
module again returns the same loaded code (and the same pool state); a test that needs a
fresh pool builds a module that differs.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llvmlite.binding as llvm
from llvmlite import ir

from tenkai.codegen.cpu.machine import emit_assembly, emit_object, target_machine
from tenkai.codegen.llvm.pipeline import optimize
from tenkai.runtime.cpu.jit import CompiledModule, load_object


class JitModule:
    """One optimized module, loaded: addresses, ctypes callables, its IR and assembly."""

    def __init__(self, optimized_ir: str, compiled: CompiledModule) -> None:
        self.optimized_ir = optimized_ir
        self.compiled = compiled

    def address(self, name: str) -> int:
        """Native address of function ``name``; raises KeyError if it is not defined."""
        return self.compiled.address(name)

    def ctypes_function(self, name: str, restype: Any, *argtypes: Any) -> Any:
        """The function ``name`` as a ctypes callable (the GIL is released during the call)."""
        return ctypes.CFUNCTYPE(restype, *argtypes)(self.address(name))

    def assembly(self) -> str:
        """Host assembly of the optimized module (for checking the inner loops)."""
        return emit_assembly(self.optimized_ir)

    def llvm_ir(self) -> str:
        """Optimized LLVM IR text."""
        return self.optimized_ir


def compile_module(module: ir.Module | str, speed_level: int = 3) -> JitModule:
    """Parse, verify, optimize (host CPU) and load a module; see the module docstring."""
    machine = target_machine()
    module_ref = llvm.parse_assembly(str(module))
    module_ref.triple = machine.triple
    module_ref.data_layout = str(machine.target_data)
    module_ref.verify()
    optimize(module_ref, machine, speed_level, loop_interleaving=True)
    text = str(module_ref)
    return JitModule(text, load_object(emit_object(text)))
