"""The CPU loader: host object code -> callable native functions, through MCJIT's linker.

The runtime generates no code. The object code it loads was made by the CPU target's code
generator (:func:`tenkai.codegen.cpu.machine.emit_object`, the one place that picks the host
CPU name and features); this module only links it into the process: every object is checked
first (:func:`tenkai.runtime.objcheck.check_object`), then added to an MCJIT engine whose
RuntimeDyld relocates it and resolves its undefined symbols. Loaded modules stay alive in a
cache keyed by the SHA-256 of their bytes, so executables sharing one object (several entries
of one module) share one engine.

Why :func:`loader_machine` is not a second code generator: MCJIT needs a target machine to
exist, but an engine built over an empty IR module and fed only object files
(``add_object_file``) never runs LLVM's code generation; the machine's CPU name and feature
string would only matter for IR it compiled, and it compiles none. So the loader's machine
names the process triple alone (no CPU, no features): whatever the codegen chose is already
in the machine code.

The shared support library (the CPU target's GEMM and thread pool) is loaded the same way,
once per key, and its functions are published process-wide (:func:`load_library`) so step
objects that only declare them link against it. :func:`set_pool_threads` sizes its pool, and
remembers the request for a library loaded later.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import hashlib
import os
import threading
from collections.abc import Sequence

import llvmlite.binding as llvm

from tenkai.runtime.objcheck import ObjectRejected, check_object

_LOCK = threading.Lock()
_MODULES: dict[str, CompiledModule] = {}
_LIBRARIES: dict[str, CompiledModule] = {}  # library key -> its loaded module
_LIBRARY_SYMBOLS: dict[str, frozenset[str]] = {}  # library key -> the symbols it published
STATS = {"cache_hits": 0, "object_loads": 0}
# the pool's upper bound on threads (MAX_THREADS of tenkai.codegen.cpu.pool; a test checks it)
POOL_MAX_THREADS = 64
_POOL = {"requested": 0}  # tk_set_num_threads' last argument (0: the pool's default)


# libc functions that generated code may call (the thread pool of codegen/cpu/pool.py, the GEMM's
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
    libm = _libm()
    for name in LIBM_SYMBOLS:
        llvm.add_symbol(name, ctypes.cast(getattr(libm, name), ctypes.c_void_p).value)
    for name in _LLVM_LIBCALLS:
        function = getattr(libm, name, None)  # exp10/roundeven: glibc extensions
        if function is not None:
            llvm.add_symbol(name, ctypes.cast(function, ctypes.c_void_p).value)


def _libm() -> ctypes.CDLL:
    """The C math library: glibc's ``libm.so.6`` by its soname, else whatever
    ``ctypes.util.find_library`` finds (it runs ``ldconfig -p`` in a subprocess: slow on the
    first compile of every process)."""
    try:
        return ctypes.CDLL("libm.so.6")
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("m"))


@functools.cache
def loader_machine() -> llvm.TargetMachine:
    """The target machine MCJIT's engine is built with: the process triple only (see the
    module docstring: it links object code, it never generates any)."""
    initialize()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(codemodel="jitdefault", jit=True)


class CompiledModule:
    """An MCJIT engine holding one object's machine code; keeps it alive."""

    def __init__(self, engine: llvm.ExecutionEngine, key: str, owner: object) -> None:
        self.engine, self.key, self._owner = engine, key, owner

    def address(self, symbol: str) -> int:
        """The address of ``symbol``; raises KeyError naming it when the module lacks it."""
        addr = self.engine.get_function_address(symbol)
        if not addr:
            raise KeyError(f"runtime: symbol {symbol!r} is not defined in loaded module "
                           f"{self.key[:12]}; was the program lowered with another prefix?")
        return addr


def _key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_object(obj: bytes) -> CompiledModule:
    """Load host object code (the codegen's ``object_code()``) into a fresh engine; cached by
    content.

    The bytes are checked first (:func:`tenkai.runtime.objcheck.check_object`: ELF structure
    for this host, every undefined symbol resolvable); a bad object raises ObjectRejected (a
    ValueError) instead of crashing or aborting the process inside LLVM."""
    if not isinstance(obj, bytes):
        raise TypeError(f"runtime.cpu: object code must be bytes, not {type(obj).__name__}")
    key = _key(obj)
    with _LOCK:
        cached = _MODULES.get(key)
        if cached is not None:
            STATS["cache_hits"] += 1
            return cached
    initialize()
    try:
        check_object(obj, lambda name: bool(llvm.address_of_symbol(name)))
    except ObjectRejected as err:
        hint = (" (the shared GEMM/thread-pool library: pass the buffer table from "
                "GeneratedModule.entries, whose 'library' entry loads it)"
                if "'tk_" in str(err) else "")
        raise ObjectRejected(f"runtime: object {key[:12]} rejected: {err}{hint}") from None
    with _LOCK:
        cached = _MODULES.get(key)
        if cached is not None:
            return cached
        empty = llvm.parse_assembly("")
        engine = llvm.create_mcjit_compiler(empty, loader_machine())
        obj_file = llvm.ObjectFileRef.from_data(obj)
        engine.add_object_file(obj_file)
        engine.finalize_object()
        compiled = CompiledModule(engine, key, (empty, obj_file))
        _MODULES[key] = compiled
        STATS["object_loads"] += 1
        return compiled


def imports(obj: bytes) -> list[str]:
    """The undefined symbols of object code (what must be loaded or registered before it)."""
    return check_object(obj, lambda name: True)


def missing_symbols(names: list[str]) -> list[str]:
    """The ``names`` no loaded module or registered symbol defines (MCJIT would abort the
    process on an unresolved symbol in object code, so check first)."""
    initialize()
    return [n for n in names if not llvm.address_of_symbol(n)]


@atexit.register
def shutdown_pools() -> None:
    """Join the worker threads of every module that has a thread pool (before its code is
    freed at exit, so no worker is left spinning inside unmapped memory)."""
    for compiled in list(_MODULES.values()):
        addr = compiled.engine.get_function_address("tk_parallel_shutdown")
        if addr:
            ctypes.CFUNCTYPE(None)(addr)()


def load_library(obj: bytes, symbols: Sequence[str], key: str) -> CompiledModule:
    """Load the support library's object code once per ``key`` and publish ``symbols``
    process-wide, so objects that only declare them (``tk_gemm_f32``, ``tk_parallel_for``)
    link against it; a pool size set before (:func:`set_pool_threads`) is applied to it."""
    if key in _LIBRARIES:
        return _LIBRARIES[key]
    compiled = load_object(obj)
    for name in symbols:
        llvm.add_symbol(name, compiled.address(name))
    _LIBRARIES[key] = compiled
    _LIBRARY_SYMBOLS[key] = frozenset(symbols)
    if _POOL["requested"] > 0 and "tk_set_num_threads" in symbols:
        _set_threads(compiled, _POOL["requested"])
    return compiled


def library_loaded(key: str) -> bool:
    return key in _LIBRARIES


def _pools() -> list[CompiledModule]:
    """The loaded libraries that define the thread pool (pieces that only call it do not)."""
    return [compiled for key, compiled in _LIBRARIES.items()
            if "tk_set_num_threads" in _LIBRARY_SYMBOLS.get(key, ())]


def _set_threads(compiled: CompiledModule, n: int) -> bool:
    addr = compiled.engine.get_function_address("tk_set_num_threads")
    if addr:
        ctypes.CFUNCTYPE(None, ctypes.c_int64)(addr)(int(n))
    return bool(addr)


def set_pool_threads(n: int) -> int:
    """Size the shared thread pool of every loaded library (``tk_set_num_threads``: n < 1
    restores one thread per online CPU; takes effect on the next call) and of every library
    loaded later. Returns how many loaded libraries were set."""
    _POOL["requested"] = max(int(n), 0)
    return sum(_set_threads(compiled, n) for compiled in _pools())


def get_pool_threads() -> int:
    """The threads the pool runs parallel loops on: ``tk_get_num_threads`` of the loaded
    library; before one is loaded, what it will use (the request, else one per online CPU,
    at most :data:`POOL_MAX_THREADS`)."""
    for compiled in _pools():
        addr = compiled.engine.get_function_address("tk_get_num_threads")
        if addr:
            return int(ctypes.CFUNCTYPE(ctypes.c_int64)(addr)())
    wanted = _POOL["requested"] or os.sysconf("SC_NPROCESSORS_ONLN")
    return min(max(int(wanted), 1), POOL_MAX_THREADS)
