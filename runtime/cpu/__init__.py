"""The CPU runtime: MCJIT-compiled host code, aligned host memory, one native call per step.

This module is the CPU target's *runtime module* (registered as ``tenkai.runtime.cpu`` in
``tenkai.codegen.target.BUILTIN``; the interface is ``TargetRuntime`` there):

* :func:`load` ``(code, entry, buffer_table) -> CPUExecutable``: ``code`` is a generated
  module (its optimized LLVM IR is JIT-compiled), LLVM IR text, or object code from
  :func:`object_code` (a cache entry: no code generation at all);
* :func:`object_code` / :func:`imports`: what an on-disk cache stores and what it must check
  before loading it;
* the shared support library every step of the process links against (the tuned GEMM and the
  thread pool): :func:`library_key`, :func:`library_loaded`, :func:`library_symbols`,
  :func:`load_library`; :func:`set_threads` sizes its pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.executable import CPUExecutable, NativeFunction
from tenkai.runtime.cpu.memory import ALIGN, Arena, CPUAllocator, pointer
from tenkai.runtime.device import Device


def _ir_text(code: Any) -> str:
    """LLVM IR text of ``code``: a str as is, a generated module's optimized IR."""
    if isinstance(code, str):
        return code
    if hasattr(code, "as_text"):
        return str(code.as_text("llvm_opt"))
    raise TypeError(f"runtime.cpu: cannot load a {type(code).__name__}; pass a generated "
                    "module, LLVM IR text or object code (bytes)")


def load(code: Any, entry: str, buffer_table: Mapping[str, Any],
         allocator: CPUAllocator | None = None) -> CPUExecutable:
    """The executable running ``entry`` of ``code`` (a generated module, LLVM IR text, or object
    code bytes from :func:`object_code`) over ``buffer_table``."""
    if isinstance(code, bytes):
        return CPUExecutable(None, entry, buffer_table, allocator, object_code=code)
    return CPUExecutable(_ir_text(code), entry, buffer_table, allocator)


def object_code(code: Any) -> bytes:
    """Host object code of a generated module (or LLVM IR text), for an on-disk cache."""
    return jit.emit_object(_ir_text(code))


def imports(code: Any) -> list[str]:
    """External functions the code calls (what must be loaded before its object code)."""
    return jit.imports(_ir_text(code))


def library_key(ir_text: str) -> str:
    """The key the support library with this IR is known by (loaded from IR or object code)."""
    return jit.library_key(ir_text)


def library_loaded(key: str) -> bool:
    return jit.library_loaded(key)


def library_symbols(ir_text: str) -> list[str]:
    """The functions the support library exports."""
    return jit.library_symbols(ir_text)


def load_library(code: str | bytes, key: str, symbols: list[str] | None = None) -> None:
    """Load the support library once per ``key`` (IR text, or object code exporting
    ``symbols``) and publish its functions process-wide."""
    if isinstance(code, bytes):
        jit.load_library_object(code, list(symbols or []), key)
    else:
        jit.load_library(code)


def set_threads(n: int) -> int:
    """Size the thread pool of every loaded support library; returns how many were set."""
    return jit.set_pool_threads(n)


class CPUDevice(Device):
    """The host as a :class:`~tenkai.runtime.device.Device`."""

    name = "cpu"

    def __init__(self) -> None:
        self.allocator = CPUAllocator()

    def load(self, code: Any, entry: str, buffer_table: Mapping[str, Any]) -> CPUExecutable:
        return load(code, entry, buffer_table, self.allocator)


__all__ = ["ALIGN", "Arena", "CPUAllocator", "CPUDevice", "CPUExecutable", "NativeFunction",
           "imports", "jit", "library_key", "library_loaded", "library_symbols", "load",
           "load_library", "object_code", "pointer", "set_threads"]
