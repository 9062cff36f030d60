"""The shared runtime library: the tuned GEMMs (:mod:`tenkai.codegen.cpu.gemm`) and the thread
pool (:mod:`tenkai.codegen.cpu.pool`), built and optimized once per process.

Program modules only *declare* ``tk_gemm_f32``/``tk_gemm_f64``/``tk_parallel_for``; the runtime
loads the library's object code once (:meth:`Library.object_code`; the :class:`Library` is
``GeneratedModule.library`` and every buffer table's ``"library"``, known by :attr:`Library.key`)
and publishes its :attr:`Library.symbols`, so every program shares one GEMM and one pool: no
per-program recompilation of the GEMM (the bulk of a small program's compile time) and no
thread pool per compiled step.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from dataclasses import dataclass
from typing import Any

from llvmlite import ir

from tenkai.codegen.cpu.machine import emit_object, optimize_ir, target_machine
from tenkai.codegen.llvm.functions import declare_function


@dataclass(frozen=True)
class Library:
    """Optimized LLVM IR of the library and the type of each public function (the
    ``SupportLibrary`` of :mod:`tenkai.codegen.target`)."""

    ir_text: str
    functions: dict[str, ir.FunctionType]

    @property
    def key(self) -> str:
        """What the library is known by (the SHA-256 of its IR): in the runtime, which loads
        it once per key, and in the compile cache."""
        return hashlib.sha256(self.ir_text.encode()).hexdigest()

    @property
    def symbols(self) -> list[str]:
        """The functions it exports (what the runtime publishes process-wide)."""
        return sorted(self.functions)

    def object_code(self) -> bytes:
        """Host object code of the library (emitted once per process), for the runtime's
        object loader."""
        return library_object(self.ir_text)


@functools.cache
def library_object(ir_text: str) -> bytes:
    """Host object code of library IR (:func:`tenkai.codegen.cpu.machine.emit_object`)."""
    return emit_object(ir_text)


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@functools.cache
def library() -> Library | None:
    """The library for this host, or None when neither gemm.py nor pool.py exists."""
    gemm = _optional("tenkai.codegen.cpu.gemm")
    parallel = _optional("tenkai.codegen.cpu.pool")
    if gemm is None and parallel is None:
        return None
    tm = target_machine()
    module = ir.Module(name="tenkai_runtime")
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    public: dict[str, ir.Function] = {}
    if parallel is not None:
        public.update(parallel.add_parallel_runtime(module))
    if gemm is not None:
        for dt in gemm.TUNED_DTYPES:
            public[f"tk_gemm_{dt}"] = gemm.add_gemm(module, dt)
    text = str(optimize_ir(str(module), loop_interleaving=True))
    return Library(text, {name: fn.function_type for name, fn in public.items()})


def declare(module: ir.Module, name: str) -> ir.Function | None:
    """A declaration of library function ``name`` in ``module`` (None if the library lacks it)."""
    lib = library()
    if lib is None or name not in lib.functions:
        return None
    return declare_function(module, name, lib.functions[name])


def uses_library(module: ir.Module) -> bool:
    """Does ``module`` call into the library?"""
    lib = library()
    return lib is not None and any(
        name in module.globals and module.globals[name].is_declaration
        for name in lib.functions)
