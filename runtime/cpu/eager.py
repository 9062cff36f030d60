"""Calling eager kernels and the shared GEMM from Python, one op at a time.

The eager provider (``tenkai._native_eager``) hands this module object code (an eager kernel of
:mod:`tenkai.codegen.cpu.eager`, from the disk cache or freshly made) and numpy buffers; it
generates nothing. Kernels are parallel-loop bodies ``void body(i8* ctx, i64 begin, i64 end)``
run through the support library's pool (``tk_parallel_for``), which must be loaded first
(:func:`tenkai.runtime.cpu.load_library`), as must ``tk_gemm_<t>`` for :func:`gemm`.

ctypes releases the GIL around each native call.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import llvmlite.binding as llvm
import numpy as np

from tenkai.runtime.cpu import jit
from tenkai.runtime.host import address_of

_I64 = ctypes.c_int64
_PTR = ctypes.c_void_p
_BODY = ctypes.CFUNCTYPE(None, _PTR, _I64, _I64)
# the same body called with the GIL held: for a few elements (releasing and retaking the GIL
# costs more than the work), and so that a caller may reuse one context and scratch buffer
_BODY_HELD = ctypes.PYFUNCTYPE(None, _PTR, _I64, _I64)
_PARALLEL_FOR = ctypes.CFUNCTYPE(None, _PTR, _PTR, _I64, _I64)
_GEMM = ctypes.CFUNCTYPE(None, _I64, _I64, _I64, _PTR, _I64, _I64, _PTR, _I64, _I64, _PTR,
                         _I64, ctypes.c_int32)
_FUNCTIONS: dict[str, object] = {}
_CTX_SLOTS = 16  # slots of a reused context (the elementwise and reduction kernels use <= 8)
_CONTEXT = _I64 * _CTX_SLOTS
_FREE: list[ctypes.Array] = []  # the reused contexts not in use now (see Kernel.run_held)


def _library_function(name: str, prototype: type) -> object:
    fn = _FUNCTIONS.get(name)
    if fn is None:
        jit.initialize()
        address = llvm.address_of_symbol(name)
        if not address:
            raise RuntimeError(f"runtime.cpu.eager: {name} is not loaded (load the support "
                               "library first: tenkai.runtime.cpu.load_library)")
        fn = _FUNCTIONS[name] = prototype(address)
    return fn


class Kernel:
    """A loaded eager kernel: ``run(slots, n, grain)`` calls its body on ``[0, n)`` through
    the pool (chunks of at least ``grain``; ``n <= grain`` runs inline on this thread);
    ``held(ctx, begin, end)`` runs the body on this thread without releasing the GIL."""

    def __init__(self, obj: bytes, symbol: str) -> None:
        self.module = jit.load_object(obj)
        self.symbol = symbol
        self.address = self.module.address(symbol)
        self._inline = _BODY(self.address)
        self.held = _BODY_HELD(self.address)  # held(ctx, begin, end): inline, GIL held

    def run(self, slots: Sequence[int], n: int, grain: int) -> None:
        ctx = (_I64 * len(slots))(*slots)
        if n <= grain:
            self._inline(ctx, 0, n)
        else:
            pfor = _library_function("tk_parallel_for", _PARALLEL_FOR)
            pfor(self.address, ctx, n, grain)  # type: ignore[operator]

    def run_held(self, slots: Sequence[int], n: int) -> None:
        """Run the body on ``[0, n)`` on this thread with the GIL held, in a reused context
        (no context array made per call: ~0.5 us less). For small work only: no other
        Python thread runs until it returns. A context is popped from the shared free list
        while in use (``list.pop`` is atomic), so no other call, another thread's or a
        nested one (a signal handler, a finalizer), can write it meanwhile."""
        if len(slots) > _CTX_SLOTS:
            self.held((_I64 * len(slots))(*slots), 0, n)
            return
        try:
            ctx = _FREE.pop()
        except IndexError:
            ctx = _CONTEXT()
        ctx[:len(slots)] = slots
        self.held(ctx, 0, n)
        _FREE.append(ctx)


# the address of an array's first element: one ctypes read where numpy's struct layout was
# checked (``__array_interface__`` builds a dict per call, ~5 us; this ~0.5 us)
address = address_of


def gemm(suffix: str, m: int, n: int, k: int, a: np.ndarray, rsa: int, csa: int,
         b: np.ndarray, rsb: int, csb: int, c: np.ndarray, ldc: int,
         accumulate: bool = False, offsets: tuple[int, int, int] = (0, 0, 0)) -> None:
    """``C[i, j] (+)= sum_p A[i, p] B[p, j]`` with ``tk_gemm_<suffix>`` (strides and
    ``offsets`` in elements from each array's first element)."""
    fn = _library_function(f"tk_gemm_{suffix}", _GEMM)
    size = c.itemsize
    fn(m, n, k, address(a) + offsets[0] * size, rsa, csa,  # type: ignore[operator]
       address(b) + offsets[1] * size, rsb, csb, address(c) + offsets[2] * size, ldc,
       1 if accumulate else 0)
