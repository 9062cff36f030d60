"""LLVM CPU generator: kernel programs -> one optimized LLVM module (docs/compiler.md §4).

:func:`generate` builds, with llvmlite's IRBuilder, one function per kernel plus the entry
``void tk_step(ptr %buffers)`` that loads each kernel's buffer pointers from the table and
calls the kernels in order (one native call per step, no allocation). The module is optimized
with the new pass manager at O3 for the host CPU (its name and feature string, so AVX-512 where
the host has it). Several programs can share one module (``generate([p1, p2])``) when their
kernel names and entries differ (``lower_program(g, prefix=...)``).

GEMMs call ``tk_gemm_<dtype>``: the tuned one from ``codegen/gemm.py`` (float32/float64) and
parallel loops ``tk_parallel_for`` (codegen/parallel.py), both *declared* only: they live in
the shared library of :mod:`tenkai.codegen.cpu.library`, compiled once per process and
carried to the runtime as ``buffer_table["library"]``. Integer GEMMs (or all of them, without
gemm.py) use the plain loop nest of :mod:`tenkai.codegen.llvm.gemm_ref`, defined in-module.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm
from llvmlite import ir

from tenkai.codegen.cpu.library import declare, library, uses_library
from tenkai.codegen.kir.nodes import STATUS_BUFFER, Check, KernelProgram, walk
from tenkai.codegen.llvm.emit import KernelEmitter, emit_step
from tenkai.codegen.llvm.gemm_ref import add_reference_gemm, gemm_name
from tenkai.codegen.target import Target


@functools.cache
def host_target_machine(opt: int = 3) -> llvm.TargetMachine:
    """The target machine for this host (its CPU name and features), created once."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt, reloc="default", codemodel="jitdefault")


def host_flags() -> dict[str, Any]:
    """What the generated code targets: triple, CPU, whether AVX2/AVX-512 are on."""
    features = llvm.get_host_cpu_features()
    return {"triple": llvm.get_process_triple(), "cpu": llvm.get_host_cpu_name(),
            "avx2": bool(features.get("avx2")), "avx512f": bool(features.get("avx512f")),
            "features": features.flatten()}


def gemm_function(module: ir.Module, dtype: str) -> ir.Function:
    """``tk_gemm_<dtype>`` for ``module``: the shared library's tuned GEMM (declared), or the
    plain loop nest defined in the module (integers, or no codegen/gemm.py)."""
    name = gemm_name(dtype)
    if name in module.globals:
        return module.globals[name]
    return declare(module, name) or add_reference_gemm(module, dtype)


def parallel_for_function(module: ir.Module) -> ir.Function:
    """``tk_parallel_for`` of the shared library (the pool of codegen/parallel.py), declared."""
    fn = declare(module, "tk_parallel_for")
    assert fn is not None, "parallel loops need codegen/parallel.py"
    return fn


@dataclass
class GeneratedModule:
    """The result of :func:`generate`: LLVM IR before and after optimization, the entries
    (entry symbol -> buffer table for the runtime) and what it was built for."""

    ir_text: str
    optimized_ir: str
    entries: dict[str, dict[str, Any]]
    flags: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    library_ir: str | None = None  # the shared GEMM/thread-pool library it calls, if any
    target: Target | None = None

    @property
    def entry(self) -> str:
        """The entry symbol (for a module built from one program)."""
        return next(iter(self.entries))

    @property
    def buffer_table(self) -> dict[str, Any]:
        return self.entries[self.entry]

    def asm(self) -> str:
        """Host assembly of the optimized module."""
        mod = llvm.parse_assembly(self.optimized_ir)
        return host_target_machine(self.flags["opt_level"]).emit_assembly(mod)

    def as_text(self, kind: str = "llvm_opt") -> str:
        """``"llvm"`` (as built), ``"llvm_opt"`` (optimized) or ``"asm"`` (host assembly)."""
        if kind == "llvm":
            return self.ir_text
        if kind == "llvm_opt":
            return self.optimized_ir
        if kind == "asm":
            return self.asm()
        raise ValueError(f"cpu target: no {kind!r} text; its kinds are 'llvm', 'llvm_opt', "
                         "'asm'")


def build_module(programs: list[KernelProgram], name: str = "tenkai",
                 parallel: bool = True) -> ir.Module:
    """The unoptimized llvmlite module for ``programs``."""
    tm = host_target_machine()
    module = ir.Module(name=name)
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    for program in programs:
        buffers = {b.name: b for b in program.buffers}
        slot = {b.name: k for k, b in enumerate(program.buffers)}
        lib = library()
        par = parallel_for_function if parallel and lib and "tk_parallel_for" in lib.functions \
            else None
        fns = [KernelEmitter(module, k, buffers, gemm_function, par).emit()
               for k in program.kernels]
        checks = [any(isinstance(s, Check) for s in walk(k.body)) for k in program.kernels]
        emit_step(module, program.entry, fns,
                  [[slot[p] for p in k.params] for k in program.kernels],
                  slot.get(STATUS_BUFFER), checks)
    return module


def optimize(ir_text: str, opt_level: int = 3) -> llvm.ModuleRef:
    """Parse, verify and run the new pass manager's default pipeline for the host."""
    tm = host_target_machine(opt_level)
    mod = llvm.parse_assembly(ir_text)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pto.loop_vectorization = opt_level >= 2
    pto.slp_vectorization = opt_level >= 2
    pto.loop_unrolling = opt_level >= 2
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return mod


def generate(program: KernelProgram | list[KernelProgram], target: Target | None = None,
             opt_level: int = 3, parallel: bool = True) -> GeneratedModule:
    """Kernel program(s) -> :class:`GeneratedModule` for the host (see the module docstring);
    ``target``: the CPU target it was asked for (``tenkai.codegen.cpu.describe()``)."""
    if target is not None and (target.name, target.triple, target.arch, target.features) != (
            "cpu", llvm.get_process_triple(), llvm.get_host_cpu_name(),
            llvm.get_host_cpu_features().flatten()):
        raise NotImplementedError(f"cpu target: code for {target.name} {target.triple} "
                                  f"{target.arch} (another CPU than this host) is not "
                                  "implemented; generate for tenkai.codegen.cpu.describe()")
    programs = program if isinstance(program, list) else [program]
    entries = [p.entry for p in programs]
    if len(set(entries)) != len(entries):
        raise ValueError(f"llvm_cpu: programs sharing a module need distinct entries, got "
                         f"{entries}; lower them with distinct prefixes")
    t0 = time.perf_counter()
    module = build_module(programs, parallel=parallel)
    text = str(module)
    t1 = time.perf_counter()
    optimized = str(optimize(text, opt_level))
    t2 = time.perf_counter()
    lib = library() if uses_library(module) else None
    lib_text = lib.ir_text if lib is not None else None
    flags = {**host_flags(), "opt_level": opt_level, "pass_manager": "new",
             "tuned_gemm": lib is not None and "tk_gemm_f32" in lib.functions,
             "parallel": lib is not None and "tk_parallel_for" in lib.functions}
    tables = {}
    for p in programs:
        tables[p.entry] = {**p.buffer_table(), "library": lib_text}
    return GeneratedModule(text, optimized, tables, flags,
                           {"build": t1 - t0, "optimize": t2 - t1}, lib_text, target)
