"""The native eager provider's machinery (``tenkai._native_eager``): the switch
(``TENKAI_EAGER_NATIVE``), the size thresholds, the support library (thread pool and GEMMs)
loaded piece by piece, and :func:`kernel_of`, which loads an eager kernel of
:mod:`tenkai.codegen.cpu.eager` from this process, the disk cache, or the code generator."""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

from tenkai.runtime.host import address_of

from . import _trace, config

ENV = "TENKAI_EAGER_NATIVE"
# below this many elements numpy's loop beats a native call (measured single-threaded: a call
# costs ~6 us; docs/eager.md); numpy's own SIMD loops for the cheap ops (MIN_CHEAP: +, *,
# comparisons, ...) and for max reductions (MIN_MAX_REDUCE) are as fast per element as ours,
# so those go native only where the pool's second thread pays; the random ops always do
# (numpy's Philox reference is slow at every size)
MIN_ELEMENTS = int(os.environ.get("TENKAI_EAGER_NATIVE_MIN", 1 << 15))
MIN_CHEAP = 1 << 18
# ops whose numpy reference is slow from fewer elements (measured single-threaded, float32):
# ``np.where`` with a 0-d operand (ReLU's backward) 57 us at 8192 elements, the kernel ~8 us;
# the sigmoid reference makes several passes (4096: numpy 140 us, the kernel 50 us, loaded VM).
# The lower of this and MIN_ELEMENTS. (Not relu: its float reference takes the maximum with
# an array of zeros, numpy's SIMD loop, as fast as the kernel's call below MIN_ELEMENTS:
# measured, 10^4 float32 on one thread, 1.7 us against 2.5 us)
MIN_BY_OP = {"where": 1 << 12, "sigmoid": 1 << 10}
MIN_MAX_REDUCE = 1 << 20
# sums and means from 4096 elements: numpy's pairwise float32 sum costs ~0.35 ns an element
# (10^4: 3.6 us), the row kernel on the calling thread ~2.2 us + 0.03 ns an element
MIN_SUM_REDUCE = 1 << 12
CHEAP_OPS = frozenset({"add", "sub", "mul", "div", "maximum", "minimum", "eq", "ne", "lt", "le",
                       "gt", "ge", "logical_and", "logical_or", "logical_not", "neg", "abs",
                       "cast"})  # not where: numpy's np.where with a 0-d operand is
# slow (measured single-threaded, 200704 float32: 795 us, the kernel 44 us; 32768: 43 / 16 us)
# m * n * k from which a product runs on tenkai's GEMM (its library is built once, seconds, and
# cached on disk). Below, numpy's matmul is faster (tenkai's GEMM call costs ~8 us: measured
# single-threaded, 64x64 @ 64x10 numpy 3.3 us, tenkai 11 us) and OpenBLAS runs it on one
# thread (its own cut-off is m*n*k <= 2^18); above, numpy's OpenBLAS starts its own
# threads, which on a busy machine (more runnable threads than cores) spin and take 10-100x
# longer (measured on a 2-core machine: 64x128 @ (64x128)^T 22 ms with 2 OpenBLAS threads,
# 0.07 ms with one; tenkai's GEMM 0.03 ms), and a transposed operand takes numpy's slow path
MIN_GEMM_FLOPS = 1 << 18
# ... except where set_num_threads(1) made numpy's OpenBLAS single-threaded (it cannot spin
# then): below this m * n * k its matmul is the faster one (measured, one thread, C-contiguous
# float32: 64^3 numpy 7.3 us, tenkai 14 us; 100^3 23 / 29 us; 128^3 61 / 54 us)
MIN_GEMM_FLOPS_ONE_BLAS_THREAD = 1 << 21
GRAIN = 1 << 14  # elements per chunk of a parallel elementwise loop
# elementwise ops whose template computes exactly what the numpy reference does
EXACT_OPS = frozenset({"add", "sub", "mul", "div", "neg", "abs", "relu", "maximum", "minimum",
                       "eq", "ne", "lt", "le", "gt", "ge", "where", "sqrt", "clamp", "sign",
                       "floor", "ceil", "trunc", "round", "logical_and", "logical_or",
                       "logical_not", "cast"})
# float math whose templates (tenkai's own vector math, as compiled steps use) are as accurate
# as numpy's (measured on 10^6 float32 values: at most 2.5 ulp; numpy's up to 3.6) but not
# bit-identical to it; TENKAI_EAGER_NATIVE=exact leaves them on numpy
APPROX_OPS = frozenset({"exp", "log", "sigmoid", "expm1", "log1p"})


def _numpy_simd_tanh() -> bool:
    """numpy computes float32/float64 ``tanh`` with AVX-512 (SVML) vector loops where the CPU
    has AVX512_SKX: there they are 3-4x faster than the template (65536 float32: 28 us vs
    130 us, one thread), so ``tanh`` stays on numpy; elsewhere numpy's loop is scalar."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return False
    return bool(__cpu_features__.get("AVX512_SKX"))


if not _numpy_simd_tanh():
    APPROX_OPS = APPROX_OPS | {"tanh"}
FLOATS = ("float32", "float64")
# kernels loaded, of them from the disk cache, seconds spent getting them (generating or
# loading), seconds spent loading the support library (the pool and GEMM pieces)
STATS = {"kernels": 0, "disk_hits": 0, "compile_s": 0.0, "library_s": 0.0, "deferred": 0}


# the kernel families a compile's trace does not generate (see _trace.DEFERRED_KERNELS): their
# numpy references are vectorized loops, a few times slower at most; the window (im2col,
# col2im), pooling and random references are Python-level loops or slow generators (a CNN
# step's trace on them: ~1 s instead of ~0.1 s), so those kernels are still generated
DEFERRABLE = frozenset({"elementwise", "reduction"})


class KernelDeferred(NotImplementedError):
    """A kernel not generated now (a trace's op: see ``_trace.DEFERRED_KERNELS``); the
    dispatch runs the op's reference, as for any kernel it cannot have."""
_KERNELS: dict[str, Any] = {}
_STATE: dict[str, Any] = {"ready": None}


# the address of an array's first element (one ctypes read, not ``__array_interface__``)
_addr = address_of


# os.environ's own store (bytes keys on POSIX), read without os.environ's key encoding: the
# switch is read at every eager op of a backward plan and every small random draw
_ENV_STORE, _ENV_KEY = (os.environ._data, ENV.encode()) \
    if os.name == "posix" and isinstance(getattr(os.environ, "_data", None), dict) \
    else (os.environ, ENV)
_OFF = frozenset({"0", "false", "off", "no"})


def enabled() -> bool:
    value = _ENV_STORE.get(_ENV_KEY)
    if value is None:
        return True
    if isinstance(value, bytes):
        value = value.decode()
    return value.strip().lower() not in _OFF


def exact_only() -> bool:
    """``TENKAI_EAGER_NATIVE=exact``: only kernels bit-identical to the references (and the
    GEMM-based and summing families, within float rounding)."""
    return os.environ.get(ENV, "").strip().lower() == "exact"


def _ready(pieces: tuple[str, ...] = ("pool",)) -> bool:
    """Load the support library's ``pieces`` (the pool; ``gemm_f32``...) once each; False
    (warning once, then the reference runs everything) when that is impossible."""
    if _STATE["ready"] is False:
        return False
    missing = [p for p in pieces if p not in _STATE.setdefault("pieces", set())]
    if not missing:
        return True
    start = time.perf_counter()
    try:
        from tenkai.codegen.cpu.library import PIECE_ORDER, Library
        from tenkai.codegen.cpu.library import pieces as all_pieces
        from tenkai.codegen.target import describe

        from .compiler import step_cache
        if "target" not in _STATE:
            _STATE["target"] = describe("cpu")
            _STATE["cache"] = _open_cache(step_cache)
        table = all_pieces()
        wanted = set(missing) | {r for p in missing for r in table[p].requires}
        library = Library(tuple(table[n] for n in PIECE_ORDER if n in wanted))
        step_cache.ensure_library(_STATE["cache"], library, _STATE["target"])
        _STATE["pieces"].update(wanted)
        _STATE["ready"] = True
        _keep_freed_memory()
    except Exception as err:  # noqa: BLE001 -- any failure: the reference runs instead
        warnings.warn(f"tenkai eager: native kernels are off ({type(err).__name__}: {err}); "
                      f"the numpy reference runs every op", RuntimeWarning, stacklevel=3)
        _STATE["ready"] = False
    STATS["library_s"] += time.perf_counter() - start
    return bool(_STATE["ready"])


# glibc's malloc parameters (mallopt): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEEP_ENV = "TENKAI_EAGER_KEEP_MEMORY"
KEEP_BYTES = 128 << 20  # freed memory at the heap's top kept for reuse (per malloc arena)
MMAP_BYTES = 32 << 20  # blocks below this come from the heap (glibc's largest threshold)


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep freed memory for the next arrays (once per process; Linux glibc
    only; ``TENKAI_EAGER_KEEP_MEMORY=0`` leaves malloc as it is).

    By default glibc returns large freed blocks (mmap'd ones, and the heap's free top past its
    trim threshold) to the system, so the next eager result of that size faults its pages in
    again; page faults are slow on virtual machines (measured: the backward of
    ``(w * x).tanh().sum()`` at 10^6 elements, 69 ms per call with the defaults, 12-29 ms
    with the memory kept; PyTorch's 9 ms). The cost: up to :data:`KEEP_BYTES` of freed memory
    stays in the process (as with any caching allocator)."""
    if _STATE.get("malloc") is not None:
        return
    _STATE["malloc"] = False
    if os.environ.get(KEEP_ENV, "1").strip().lower() in ("0", "false", "off", "no"):
        return
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _STATE["malloc"] = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES))


def _open_cache(step_cache: Any) -> Any:
    if not config.cache_enabled():
        return None
    return step_cache.open_cache(config.cache_dir(), config.cache_key_file())


def kernel_of(spec: Any) -> Any:
    """The loaded kernel of ``spec`` (an :class:`~tenkai.codegen.cpu.eager.EagerKernel`):
    from this process, the disk cache, or generated now (and stored)."""
    from tenkai.runtime.cache import CacheEntry, key_digest
    from tenkai.runtime.cpu.eager import Kernel

    from .compiler import step_cache

    loaded = _KERNELS.get(spec.key)
    if loaded is not None:
        return loaded
    start = time.perf_counter()
    if not _ready():
        raise NotImplementedError("eager kernels: the support library is not loaded")
    cache = _STATE.get("cache")
    components = {"eager_kernel": spec.key, **step_cache.target_components(_STATE["target"])}
    key = key_digest(components)
    entry = cache.load(key) if cache is not None else None
    obj = None
    if entry is not None and isinstance(entry.blobs.get("object"), bytes):
        obj = entry.blobs["object"]
        STATS["disk_hits"] += 1
    try:
        loaded = Kernel(obj, spec.symbol) if obj is not None else None
    except (KeyError, ValueError):  # a damaged entry: rebuilt below
        loaded = None
    if loaded is None and _trace.active() is not None and spec.family in DEFERRABLE:
        _trace.DEFERRED_KERNELS[0] += 1
        STATS["deferred"] += 1
        raise KernelDeferred(f"eager kernels: {spec.symbol} is not generated while tracing")
    if loaded is None:
        obj = spec.object_code()
        loaded = Kernel(obj, spec.symbol)
        if cache is not None:
            step_cache.store(cache, CacheEntry(key, components, {"symbol": spec.symbol},
                                               {"object": obj}))
    _KERNELS[spec.key] = loaded
    STATS["kernels"] += 1
    STATS["compile_s"] += time.perf_counter() - start
    return loaded


# public names for the modules of other folders (optim/_fused.py)
ready = _ready
addr = _addr
