"""PyTorch's thread-count functions over tenkai's thread pool.

``set_num_threads(n)`` / ``get_num_threads()`` size and read the intra-op pool compiled steps
run their parallel loops on (the CPU target's thread pool, in the support library the runtime
loads: ``tenkai.codegen.target.runtime_module("cpu").set_threads``). A size set before that
library is loaded is remembered and applied when it loads. Eager tensors compute with numpy;
``set_num_threads`` also sizes the pool of the OpenBLAS numpy's matmul and ``np.linalg`` call
(as PyTorch's sizes the BLAS/LAPACK it calls), where that library exports its thread setter.

``set_num_interop_threads(n)`` / ``get_num_interop_threads()``: tenkai has no inter-op pool
(one compiled step is one native call; nothing runs operators concurrently), so the value is
only stored and returned, with PyTorch's checks: a positive int, set at most once. The default
is one per online CPU, as PyTorch's is one per core.

Argument errors are PyTorch's, word for word (``RuntimeError: set_num_threads expects a
positive integer``).
"""

from __future__ import annotations

import operator
import os
from typing import Any

from tenkai.codegen.target import runtime_module

_INT_MAX = 2**31 - 1  # PyTorch takes an int (C int): larger values overflow
_INTEROP: dict[str, int] = {}  # "threads" once set_num_interop_threads was called
# "blas": numpy's OpenBLAS thread setter (or None), once looked up; "threads": the count set
_BLAS: dict[str, Any] = {}


def _count(fn: str, n: Any) -> int:
    """``n`` as a positive int, or PyTorch's error for ``fn``."""
    if isinstance(n, bool):
        raise RuntimeError(f"{fn} expects an int, but got bool")
    try:
        value = operator.index(n)
    except TypeError:
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}") from None
    if value > _INT_MAX:
        raise ValueError("Overflow when unpacking long")
    if value <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return value


_BLAS_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                 "openblas_set_num_threads")


def numpy_openblas() -> Any:
    """The OpenBLAS numpy loaded (found in ``/proc/self/maps``) as a ``ctypes.CDLL`` exporting
    a thread setter, or None (another BLAS, or no ``/proc``: numpy's pool is left as it is)."""
    import ctypes

    import numpy.linalg  # noqa: F401  (loads the BLAS numpy links)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(p for p in paths if p.startswith("/")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if any(hasattr(lib, name) for name in _BLAS_SETTERS):
            return lib
    return None


def set_num_threads(n: int) -> None:
    """Set the number of threads compiled steps use for parallel loops and GEMMs (also for a
    thread pool loaded later) and eager numpy's OpenBLAS uses. ``n`` must be a positive
    int."""
    count = _count("set_num_threads", n)
    runtime_module("cpu").set_threads(count)
    if "blas" not in _BLAS:
        lib = numpy_openblas()
        _BLAS["blas"] = lib and next(getattr(lib, s) for s in _BLAS_SETTERS if hasattr(lib, s))
    if _BLAS["blas"] is not None:
        _BLAS["blas"](count)
        _BLAS["threads"] = count  # read by the eager matmul (_native_eager._matmul)


def get_num_threads() -> int:
    """The number of threads compiled steps use for parallel loops and GEMMs."""
    return runtime_module("cpu").get_threads()


def set_num_interop_threads(n: int) -> None:
    """Set the number of inter-op threads: stored only (tenkai has no inter-op pool); like
    PyTorch, it may be called once, with a positive int."""
    value = _count("set_num_interop_threads", n)
    if _INTEROP:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _INTEROP["threads"] = value


def get_num_interop_threads() -> int:
    """The number of inter-op threads (see :func:`set_num_interop_threads`)."""
    return _INTEROP.get("threads") or max(os.cpu_count() or 1, 1)


__all__ = ["get_num_interop_threads", "get_num_threads", "set_num_interop_threads",
           "set_num_threads"]
