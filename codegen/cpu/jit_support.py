"""A tiny MCJIT harness for codegen tests and benchmarks.

``compile_module(ir_module)`` takes an ``llvmlite.ir.Module`` (or its text), optimizes it at
O3 for the host CPU with the new pass manager, JIT-compiles it with MCJIT and returns a
``JitModule`` that hands out function addresses, ctypes callables and the host assembly.

Example::

    jit = compile_module(module)
    gemm = jit.ctypes_function("tk_gemm_f32", None, ctypes.c_int64, ...)

Lifetime: a JIT'd module may own a thread pool (``codegen/parallel.py``) whose worker threads
execute code inside the module. Freeing that code while a worker spins in it would crash, so
every ``JitModule`` is kept alive for the life of the process, and an ``atexit`` hook calls
``tk_parallel_shutdown`` (joins the workers) in each module that defines it. Callers that want
to free a module earlier call ``JitModule.shutdown_pool()`` first.
"""

from __future__ import annotations

import atexit
import ctypes
from typing import Any

import llvmlite.binding as llvm
from llvmlite import ir

from tenkai.runtime.cpu.jit import initialize  # target setup and libc symbols: one copy

_live_modules: list[JitModule] = []


def host_target_machine() -> llvm.TargetMachine:
    """The host target machine at opt level 3 (the one codegen.llvm_cpu builds modules for)."""
    from tenkai.codegen.cpu.codegen import host_target_machine as shared

    initialize()
    return shared(3)


def host_vector_bits() -> int:
    """Widest usable SIMD register in bits: 512 with AVX-512F, 256 with AVX2+FMA, else 128."""
    features = llvm.get_host_cpu_features()
    if features.get("avx512f", False):
        return 512
    if features.get("avx2", False) and features.get("fma", False):
        return 256
    return 128


def optimize(module_ref: llvm.ModuleRef, speed_level: int = 3) -> None:
    """Run the new-pass-manager default pipeline (``default<O3>``) tuned for the host."""
    tuning = llvm.create_pipeline_tuning_options(speed_level=speed_level)
    tuning.loop_vectorization = True
    tuning.slp_vectorization = True
    tuning.loop_unrolling = True
    tuning.loop_interleaving = True
    builder = llvm.create_pass_builder(host_target_machine(), tuning)
    builder.getModulePassManager().run(module_ref, builder)


class JitModule:
    """One optimized module loaded into its own MCJIT engine."""

    def __init__(self, module_ref: llvm.ModuleRef, engine: llvm.ExecutionEngine) -> None:
        self.module_ref = module_ref
        self.engine = engine

    def address(self, name: str) -> int:
        """Native address of the function or global ``name``; raises if it is not defined."""
        address = self.engine.get_function_address(name)
        if not address:
            address = self.engine.get_global_value_address(name)
        if not address:
            raise KeyError(f"jit: no symbol {name!r} in the compiled module")
        return address

    def ctypes_function(self, name: str, restype: Any, *argtypes: Any) -> Any:
        """The function ``name`` as a ctypes callable (the GIL is released during the call)."""
        prototype = ctypes.CFUNCTYPE(restype, *argtypes)
        return prototype(self.address(name))

    def assembly(self) -> str:
        """Host assembly of the optimized module (for checking the inner loops)."""
        return host_target_machine().emit_assembly(self.module_ref)

    def llvm_ir(self) -> str:
        """Optimized LLVM IR text."""
        return str(self.module_ref)

    def shutdown_pool(self) -> None:
        """Join this module's worker threads if it contains the parallel runtime."""
        if self.engine.get_function_address("tk_parallel_shutdown"):
            self.ctypes_function("tk_parallel_shutdown", None)()


def compile_module(module: ir.Module | str, speed_level: int = 3) -> JitModule:
    """Parse, verify, optimize (new PM, host CPU) and MCJIT a module; see the module docstring."""
    initialize()
    target_machine = host_target_machine()
    module_ref = llvm.parse_assembly(str(module))
    module_ref.triple = target_machine.triple
    module_ref.data_layout = str(target_machine.target_data)
    module_ref.verify()
    optimize(module_ref, speed_level)
    engine = llvm.create_mcjit_compiler(module_ref, target_machine)
    engine.finalize_object()
    engine.run_static_constructors()
    jit = JitModule(module_ref, engine)
    _live_modules.append(jit)
    return jit


@atexit.register
def _shutdown_all_pools() -> None:
    for jit in _live_modules:
        jit.shutdown_pool()
