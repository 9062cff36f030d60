"""The CPU runtime: host object code loaded through MCJIT, aligned host memory, one native call
per step. It generates no code: the CPU target's codegen made the object code it loads.

This module is the CPU target's *runtime module* (registered as ``tenkai.runtime.cpu`` in
``tenkai.codegen.target.BUILTIN``; the interface is ``TargetRuntime`` there):

* :func:`load` ``(code, entry, buffer_table) -> CPUExecutable``: ``code`` is object code
  (bytes: a cache entry) or anything with an ``object_code()`` method (a generated module;
  duck typing: the runtime never imports the codegen);
* :func:`imports`: the symbols an object needs defined before it is loaded (a cache checks);
* the shared support library every step of the process links against (the tuned GEMM and the
  thread pool), loaded from its object code: :func:`library_loaded`, :func:`load_library`;
  :func:`set_threads` / :func:`get_threads` size and read its pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.executable import CPUExecutable, NativeFunction, object_code
from tenkai.runtime.cpu.memory import ALIGN, Arena, CPUAllocator
from tenkai.runtime.host import pointer
from tenkai.runtime.device import Device


def load(code: Any, entry: str, buffer_table: Mapping[str, Any],
         allocator: CPUAllocator | None = None) -> CPUExecutable:
    """The executable running ``entry`` of ``code`` (object code bytes, or anything with an
    ``object_code()`` method) over ``buffer_table``."""
    return CPUExecutable(code, entry, buffer_table, allocator)


def imports(code: Any) -> list[str]:
    """External symbols the object code of ``code`` calls (what must be loaded before it)."""
    return jit.imports(object_code(code))


def library_loaded(key: str) -> bool:
    return jit.library_loaded(key)


def load_library(code: Any, key: str, symbols: Sequence[str]) -> None:
    """Load the support library once per ``key`` from its object code (bytes, or anything with
    ``object_code()``) and publish the functions ``symbols`` process-wide."""
    if not jit.library_loaded(key):
        jit.load_library(object_code(code), list(symbols), key)


def set_threads(n: int) -> int:
    """Size the thread pool of every loaded support library and of any loaded later (n < 1:
    one thread per online CPU); returns how many loaded libraries were set."""
    return jit.set_pool_threads(n)


def get_threads() -> int:
    """The number of threads the pool runs parallel loops on (what it will use, before a
    library is loaded)."""
    return jit.get_pool_threads()


class CPUDevice(Device):
    """The host as a :class:`~tenkai.runtime.device.Device`."""

    name = "cpu"

    def __init__(self) -> None:
        self.allocator = CPUAllocator()

    def load(self, code: Any, entry: str, buffer_table: Mapping[str, Any]) -> CPUExecutable:
        return load(code, entry, buffer_table, self.allocator)


__all__ = ["ALIGN", "Arena", "CPUAllocator", "CPUDevice", "CPUExecutable", "NativeFunction",
           "get_threads", "imports", "jit", "library_loaded", "load", "load_library",
           "object_code", "pointer", "set_threads"]
