"""The CPU JIT: LLVM IR text (or object code) -> callable native functions, through MCJIT.

The native target is initialized once; every compiled module stays alive in a cache keyed by
the SHA-256 of its text, so executables that share one module (several entries) share one
engine and one compilation. :func:`emit_object` / :func:`load_object` give object code bytes
for an on-disk cache (a later process skips code generation).
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import threading
import time

import llvmlite.binding as llvm

_LOCK = threading.Lock()
_MODULES: dict[str, CompiledModule] = {}
STATS = {"compiles": 0, "cache_hits": 0, "compile_seconds": 0.0}


# libc functions that generated code may call (the thread pool of codegen/parallel.py, the GEMM's
# packing buffers): registered explicitly so resolution does not depend on how Python was linked.
_LIBC_SYMBOLS = ("malloc", "free", "aligned_alloc", "memset", "memcpy", "memmove",
                 "pthread_create", "pthread_join", "pthread_self", "sysconf", "sched_yield",
                 "syscall")


@functools.cache
def initialize() -> None:
    """Initialize the native target and register libc symbols, once per process."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    libc = ctypes.CDLL(None)
    for name in _LIBC_SYMBOLS:
        address = ctypes.cast(getattr(libc, name), ctypes.c_void_p).value
        if address is not None:
            llvm.add_symbol(name, address)


@functools.cache
def target_machine() -> llvm.TargetMachine:
    """The host target machine (CPU name and features), created once."""
    initialize()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, reloc="default", codemodel="jitdefault",
                                        jit=True)


class CompiledModule:
    """An MCJIT engine holding one module's machine code; keeps it alive."""

    def __init__(self, engine: llvm.ExecutionEngine, key: str, owner: object) -> None:
        self.engine, self.key, self._owner = engine, key, owner

    def address(self, symbol: str) -> int:
        """The address of ``symbol``; raises KeyError naming it when the module lacks it."""
        addr = self.engine.get_function_address(symbol)
        if not addr:
            raise KeyError(f"runtime: symbol {symbol!r} is not defined in compiled module "
                           f"{self.key[:12]}; was the program lowered with another prefix?")
        return addr


def _key(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def compile_ir(ir_text: str) -> CompiledModule:
    """JIT-compile LLVM IR text (already optimized) for this host; cached by content."""
    key = _key(ir_text)
    with _LOCK:
        cached = _MODULES.get(key)
        if cached is not None:
            STATS["cache_hits"] += 1
            return cached
        start = time.perf_counter()
        try:
            mod = llvm.parse_assembly(ir_text)
            mod.verify()
        except RuntimeError as err:
            raise RuntimeError(f"runtime: invalid LLVM IR for module {key[:12]}: {err}") from None
        engine = llvm.create_mcjit_compiler(mod, target_machine())
        engine.finalize_object()
        compiled = CompiledModule(engine, key, mod)
        _MODULES[key] = compiled
        STATS["compiles"] += 1
        STATS["compile_seconds"] += time.perf_counter() - start
        return compiled


def emit_object(ir_text: str) -> bytes:
    """Host object code for LLVM IR text (for an on-disk cache)."""
    return target_machine().emit_object(llvm.parse_assembly(ir_text))


def load_object(obj: bytes) -> CompiledModule:
    """Load object code made by :func:`emit_object` into a fresh engine; cached by content."""
    key = _key(obj)
    with _LOCK:
        cached = _MODULES.get(key)
        if cached is not None:
            return cached
        empty = llvm.parse_assembly("")
        engine = llvm.create_mcjit_compiler(empty, target_machine())
        obj_file = llvm.ObjectFileRef.from_data(obj)
        engine.add_object_file(obj_file)
        engine.finalize_object()
        compiled = CompiledModule(engine, key, (empty, obj_file))
        _MODULES[key] = compiled
        return compiled
