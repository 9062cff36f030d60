"""The CPU JIT: LLVM IR text (or object code) -> callable native functions, through MCJIT.

The native target is initialized once; every compiled module stays alive in a cache keyed by
the SHA-256 of its text, so executables that share one module (several entries) share one
engine and one compilation. :func:`emit_object` / :func:`load_object` give object code bytes
for an on-disk cache (a later process skips code generation).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import hashlib
import threading
import time

import llvmlite.binding as llvm

from tenkai.runtime.objcheck import check_object

_LOCK = threading.Lock()
_MODULES: dict[str, CompiledModule] = {}
_LIBRARIES: dict[str, CompiledModule] = {}  # library IR hash -> its compiled module
STATS = {"compiles": 0, "cache_hits": 0, "compile_seconds": 0.0, "object_loads": 0}


# libc functions that generated code may call (the thread pool of codegen/parallel.py, the GEMM's
# packing buffers): registered explicitly so resolution does not depend on how Python was linked.
_LIBC_SYMBOLS = ("malloc", "free", "aligned_alloc", "memset", "memcpy", "memmove",
                 "pthread_create", "pthread_join", "pthread_self", "sysconf", "sched_yield",
                 "syscall")
# C math functions the elementwise templates call (codegen/scalar/templates_math.py), float and
# double
LIBM_SYMBOLS = tuple(f"{name}{suffix}" for name in (
    "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erfc", "lgamma",
    "atan2", "hypot", "tan", "sin") for suffix in ("", "f"))
# C math functions LLVM's x86 backend itself calls for an intrinsic or instruction it does not
# expand (``llvm.cos`` -> cosf, ``frem`` -> fmodf, ``llvm.pow`` -> pow, ...): the scalar
# remainder of a vectorized loop calls them too, so object code needs them resolvable
_LLVM_LIBCALLS = tuple(f"{name}{suffix}" for name in (
    "sin", "cos", "tan", "sincos", "exp", "exp2", "exp10", "log", "log2", "log10", "pow",
    "fmod", "fma", "floor", "ceil", "trunc", "round", "roundeven", "rint", "nearbyint", "sqrt",
    "fmin", "fmax", "ldexp", "frexp") for suffix in ("", "f"))


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
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    for name in LIBM_SYMBOLS:
        llvm.add_symbol(name, ctypes.cast(getattr(libm, name), ctypes.c_void_p).value)
    for name in _LLVM_LIBCALLS:
        function = getattr(libm, name, None)  # exp10/roundeven: glibc extensions
        if function is not None:
            llvm.add_symbol(name, ctypes.cast(function, ctypes.c_void_p).value)


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


def _check_resolvable(mod: llvm.ModuleRef, key: str) -> None:
    """Fail clearly on an external function nothing defines (MCJIT would leave its calls, and
    silently others', pointing at address 0)."""
    missing = [f.name for f in mod.functions if f.is_declaration
               and not f.name.startswith("llvm.") and not llvm.address_of_symbol(f.name)]
    if missing:
        hint = (" (the shared GEMM/thread-pool library: pass the buffer table from "
                "GeneratedModule.entries, whose 'library' entry loads it)"
                if any(m.startswith("tk_") for m in missing) else "")
        raise KeyError(f"runtime: module {key[:12]} calls undefined function(s) "
                       f"{sorted(missing)}{hint}")


def compile_ir(ir_text: str) -> CompiledModule:
    """JIT-compile LLVM IR text (already optimized) for this host; cached by content."""
    key = _key(ir_text)
    initialize()  # libc symbols first: the resolvability check below looks them up
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
        _check_resolvable(mod, key)
        engine = llvm.create_mcjit_compiler(mod, target_machine())
        engine.finalize_object()
        compiled = CompiledModule(engine, key, mod)
        _MODULES[key] = compiled
        STATS["compiles"] += 1
        STATS["compile_seconds"] += time.perf_counter() - start
        return compiled


@atexit.register
def shutdown_pools() -> None:
    """Join the worker threads of every module that has a thread pool (before its code is
    freed at exit, so no worker is left spinning inside unmapped memory)."""
    for compiled in list(_MODULES.values()):
        addr = compiled.engine.get_function_address("tk_parallel_shutdown")
        if addr:
            ctypes.CFUNCTYPE(None)(addr)()


def load_library(ir_text: str) -> CompiledModule:
    """Compile a library module once and publish its external functions process-wide, so
    modules that only declare them (``tk_gemm_f32``, ``tk_parallel_for``) link against it."""
    key = _key(ir_text)
    if key in _LIBRARIES:
        return _LIBRARIES[key]
    compiled = compile_ir(ir_text)
    mod = compiled._owner
    for fn in mod.functions:
        if not fn.is_declaration and fn.linkage == llvm.Linkage.external:
            llvm.add_symbol(fn.name, compiled.engine.get_function_address(fn.name))
    _LIBRARIES[key] = compiled
    return compiled


def library_key(ir_text: str) -> str:
    """The key a library is known by (its IR's hash), whether loaded from IR or object code."""
    return _key(ir_text)


def library_loaded(key: str) -> bool:
    return key in _LIBRARIES


def library_symbols(ir_text: str) -> list[str]:
    """The functions a library module exports (what :func:`load_library` publishes)."""
    mod = llvm.parse_assembly(ir_text)
    return [fn.name for fn in mod.functions
            if not fn.is_declaration and fn.linkage == llvm.Linkage.external]


def load_library_object(obj: bytes, symbols: list[str], key: str) -> CompiledModule:
    """Like :func:`load_library` from object code (an on-disk cache): loads it once per
    ``key`` (the library IR's hash) and publishes ``symbols`` process-wide."""
    if key in _LIBRARIES:
        return _LIBRARIES[key]
    compiled = load_object(obj)
    for name in symbols:
        llvm.add_symbol(name, compiled.address(name))
    _LIBRARIES[key] = compiled
    return compiled


def imports(ir_text: str) -> list[str]:
    """External functions the module calls (declared, not LLVM intrinsics): what must be
    resolvable before its object code may be loaded."""
    mod = llvm.parse_assembly(ir_text)
    return sorted(f.name for f in mod.functions
                  if f.is_declaration and not f.name.startswith("llvm."))


def missing_symbols(names: list[str]) -> list[str]:
    """The ``names`` no loaded module or registered symbol defines (MCJIT would abort the
    process on an unresolved symbol in object code, so check first)."""
    initialize()
    return [n for n in names if not llvm.address_of_symbol(n)]


def emit_object(ir_text: str) -> bytes:
    """Host object code for LLVM IR text (for an on-disk cache)."""
    return target_machine().emit_object(llvm.parse_assembly(ir_text))


def load_object(obj: bytes) -> CompiledModule:
    """Load object code made by :func:`emit_object` into a fresh engine; cached by content.

    The bytes are checked first (:func:`tenkai.runtime.objcheck.check_object`: ELF structure
    for this host, every undefined symbol resolvable); a bad object raises ObjectRejected (a
    ValueError) instead of crashing or aborting the process inside LLVM."""
    key = _key(obj)
    with _LOCK:
        cached = _MODULES.get(key)
        if cached is not None:
            return cached
    initialize()
    check_object(obj, lambda name: bool(llvm.address_of_symbol(name)))
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
        STATS["object_loads"] += 1
        return compiled


def set_pool_threads(n: int) -> int:
    """Size the shared thread pool of every loaded library (``tk_set_num_threads``: n < 1
    restores one thread per online CPU; takes effect on the next call). Returns how many
    libraries were set."""
    count = 0
    for compiled in _LIBRARIES.values():
        addr = compiled.engine.get_function_address("tk_set_num_threads")
        if addr:
            ctypes.CFUNCTYPE(None, ctypes.c_int64)(addr)(int(n))
            count += 1
    return count
