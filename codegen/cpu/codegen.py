"""The CPU target's generator: kernel programs -> one optimized LLVM module (docs/compiler.md §4).

:func:`generate` builds, with llvmlite's IRBuilder, one function per kernel plus the entry
``void tk_step(ptr %buffers)`` that loads each kernel's buffer pointers from the table and
calls the kernels in order (one native call per step, no allocation). The kernels come from the
shared LLVM emitter (:mod:`tenkai.codegen.llvm.emit`); the module is optimized by the one
pipeline (:mod:`tenkai.codegen.llvm.pipeline`) at O3 for the host CPU of
:mod:`tenkai.codegen.cpu.machine` (its name and feature string, so AVX-512 where the host has
it). Several programs can share one module (``generate([p1, p2])``) when their kernel names and
entries differ (``lower_program(g, prefix=...)``).

GEMMs call ``tk_gemm_<dtype>``: the tuned one of :mod:`tenkai.codegen.cpu.gemm` (float32/float64),
and parallel loops are outlined (:mod:`tenkai.codegen.cpu.outline`) onto ``tk_parallel_for``
(:mod:`tenkai.codegen.cpu.pool`); both are *declared* only: they live in the shared library of
:mod:`tenkai.codegen.cpu.library`, carried to the runtime as ``buffer_table["library"]``
(the :class:`~tenkai.codegen.cpu.library.Library`: only the pieces the module calls, each with
a static key, its symbols, and object code made once per process on first use). Integer GEMMs
(or all of them, without gemm.py) use the plain loop nest of :mod:`tenkai.codegen.llvm.gemm_ref`,
defined in-module. :meth:`GeneratedModule.object_code` is the module's host object code
(:func:`tenkai.codegen.cpu.machine.emit_object`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from llvmlite import ir

from tenkai.codegen.cpu.contraction import GemmContractions
from tenkai.codegen.cpu.library import Library, declare, library, library_for
from tenkai.codegen.cpu.machine import (
    emit_assembly,
    emit_object,
    host_cpu,
    host_flags,
    optimize_ir,
    target_machine,
)
from tenkai.codegen.cpu.outline import OutlinedLoops
from tenkai.codegen.kir.nodes import STATUS_BUFFER, Check, KernelProgram, walk
from tenkai.codegen.llvm.emit import KernelEmitter, emit_step
from tenkai.codegen.llvm.gemm_ref import add_reference_gemm, gemm_name
from tenkai.codegen.target import EntryTables, Target

__all__ = ["GeneratedModule", "build_module", "generate", "host_flags"]


def gemm_function(module: ir.Module, dtype: str) -> ir.Function:
    """``tk_gemm_<dtype>`` for ``module``: the shared library's tuned GEMM (declared), or the
    plain loop nest defined in the module (integers, or without cpu/gemm.py)."""
    return declare(module, gemm_name(dtype)) or add_reference_gemm(module, dtype)


def parallel_for_function(module: ir.Module) -> ir.Function:
    """``tk_parallel_for`` of the shared library (the pool of cpu/pool.py), declared."""
    fn = declare(module, "tk_parallel_for")
    if fn is None:
        raise NotImplementedError("codegen.cpu: parallel loops need the thread pool of "
                                  "tenkai.codegen.cpu.pool; generate with parallel=False")
    return fn


@dataclass
class GeneratedModule(EntryTables):
    """The result of :func:`generate`: LLVM IR before and after optimization, the entries
    (entry symbol -> buffer table for the runtime) and what it was built for."""

    ir_text: str
    optimized_ir: str
    entries: dict[str, dict[str, Any]]
    flags: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    library: Library | None = None  # the shared GEMM/thread-pool library it calls, if any
    target: Target | None = None
    _object: bytes | None = field(default=None, repr=False, compare=False)
    # the optimized LLVM module itself, until its object code is emitted: emitting from it
    # skips parsing ``optimized_ir`` back (a 1 MB module: ~60 ms of a CNN step's compile)
    _optimized_module: Any = field(default=None, repr=False, compare=False)

    @property
    def library_ir(self) -> str | None:
        """The LLVM IR of :attr:`library` (None when the module calls no library)."""
        return self.library.ir_text if self.library is not None else None


    def asm(self) -> str:
        """Host assembly of the optimized module (from ``optimized_ir``: LLVM's text form keeps
        no use-list order, so a few instructions may be ordered otherwise than in the object
        code, which is emitted from the module itself)."""
        return emit_assembly(self.optimized_ir, self.flags["opt_level"])

    def object_code(self) -> bytes:
        """Host object code of the optimized module (emitted once), for the runtime's object
        loader."""
        if self._object is None:
            source = self._optimized_module
            self._object = emit_object(self.optimized_ir if source is None else source)
            self._optimized_module = None  # code generation rewrote it: not the IR any more
        return self._object

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
                 parallel: bool = True, target: Target | None = None) -> ir.Module:
    """The unoptimized llvmlite module for ``programs`` (``target``: the host CPU's Target,
    whose math library the scalar templates use; None: the CPU default)."""
    tm = target_machine()
    module = ir.Module(name=name)
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    lib = library()
    par = OutlinedLoops(parallel_for_function) \
        if parallel and lib and "tk_parallel_for" in lib.functions else None
    for program in programs:
        buffers = {b.name: b for b in program.buffers}
        slot = {b.name: k for k, b in enumerate(program.buffers)}
        gemm = GemmContractions(gemm_function)
        fns = [KernelEmitter(module, k, buffers, gemm, par, target).emit()
               for k in program.kernels]
        checks = [any(isinstance(s, Check) for s in walk(k.body)) for k in program.kernels]
        emit_step(module, program.entry, fns,
                  [[slot[p] for p in k.params] for k in program.kernels],
                  slot.get(STATUS_BUFFER), checks)
    return module


def generate(program: KernelProgram | list[KernelProgram], target: Target | None = None,
             opt_level: int = 3, parallel: bool = True) -> GeneratedModule:
    """Kernel program(s) -> :class:`GeneratedModule` for the host (see the module docstring);
    ``target``: the CPU target it was asked for (``tenkai.codegen.cpu.describe()``)."""
    host = host_cpu()
    if target is not None and (target.name, target.triple, target.arch, target.features) != (
            "cpu", host.triple, host.name, host.features):
        raise NotImplementedError(f"cpu target: code for {target.name} {target.triple} "
                                  f"{target.arch} (another CPU than this host) is not "
                                  "implemented; generate for tenkai.codegen.cpu.describe()")
    programs = program if isinstance(program, list) else [program]
    entries = [p.entry for p in programs]
    if len(set(entries)) != len(entries):
        raise ValueError(f"codegen.cpu: programs sharing a module need distinct entries, got "
                         f"{entries}; lower them with distinct prefixes")
    t0 = time.perf_counter()
    module = build_module(programs, parallel=parallel, target=target)
    text = str(module)
    t1 = time.perf_counter()
    optimized_module = optimize_ir(text, opt_level)
    optimized = str(optimized_module)
    t2 = time.perf_counter()
    lib = library_for(module)  # only the pieces it calls (generated when first loaded)
    flags = {**host_flags(), "opt_level": opt_level, "pass_manager": "new",
             "tuned_gemm": lib is not None and "tk_gemm_f32" in lib.functions,
             "parallel": lib is not None and "tk_parallel_for" in lib.functions}
    tables = {}
    for p in programs:
        tables[p.entry] = {**p.buffer_table(), "library": lib}
    return GeneratedModule(text, optimized, tables, flags,
                           {"build": t1 - t0, "optimize": t2 - t1}, lib, target,
                           _optimized_module=optimized_module)
