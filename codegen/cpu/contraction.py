"""The CPU's mapping of the kernel IR's neutral :class:`Contraction` onto its GEMM call.

The CPU target contracts through ``tk_gemm_<dtype>`` (codegen/cpu/gemm.py), whose calling
convention is::

    tk_gemm(m, n, k, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride,
            c, c_row_stride, accumulate)

with a row-major C. A contraction's batch dims become loops around the call that move the
three base offsets (:class:`GemmCall.batch`: one ``(extent, a, b, c)`` stride tuple each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from tenkai.codegen.kir.nodes import Contraction
from tenkai.codegen.llvm.emit import KernelEmitter
from tenkai.codegen.llvm.gemm_ref import add_reference_gemm
from tenkai.codegen.llvm.types import I64, i64


@dataclass(frozen=True)
class GemmCall:
    """One ``tk_gemm`` call per batch index: ``C[b] (+)= A[b] @ B[b]``, strides in elements."""

    a: str
    b: str
    c: str
    m: int
    n: int
    k: int
    a_strides: tuple[int, int]
    b_strides: tuple[int, int]
    c_stride: int
    batch: tuple[tuple[int, int, int, int], ...]
    accumulate: bool
    dtype: str
    a_offset: int
    b_offset: int
    c_offset: int


def gemm_call(s: Contraction) -> GemmCall:
    """``s`` as the CPU GEMM's arguments; NotImplementedError when its output is not row-major
    (``tk_gemm`` has no column stride for C)."""
    if s.out.strides[-1] != 1 and s.n > 1:
        raise NotImplementedError(
            f"cpu: tk_gemm writes C row-major, but the contraction into {s.out.buf} has "
            f"output strides {list(s.out.strides)}; lower it into a contiguous scratch "
            "buffer and copy (codegen/lower/stages.py)")
    a, b, out = s.a, s.b, s.out
    batch = tuple(zip(s.batch, a.strides[:-2], b.strides[:-2], out.strides[:-2], strict=True))
    return GemmCall(a.buf, b.buf, out.buf, s.m, s.n, s.k, (a.strides[-2], a.strides[-1]),
                    (b.strides[-2], b.strides[-1]), out.strides[-2], batch, s.accumulate,
                    s.dtype, a.offset, b.offset, out.offset)


GemmLookup = Callable[[ir.Module, str], ir.Function]
SMALL_GEMM = 512  # M*N*K up to this: the plain loop nest inlined (no call, no packing)


class GemmContractions:
    """The CPU's contraction strategy for the LLVM emitter (``KernelEmitter(contractions=)``):
    each Contraction becomes loops over its batch dims around one ``tk_gemm_<dtype>`` call;
    ``gemm(module, dtype)`` gives the function (the shared library's tuned GEMM or the plain
    loop nest of :mod:`tenkai.codegen.llvm.gemm_ref`)."""

    def __init__(self, gemm: GemmLookup) -> None:
        self.gemm = gemm

    def emit(self, emitter: KernelEmitter, stmt: Contraction) -> None:
        s = gemm_call(stmt)
        fn = (add_reference_gemm(emitter.module, s.dtype, inline=True)
              if s.m * s.n * s.k <= SMALL_GEMM else self.gemm(emitter.module, s.dtype))
        offsets = [i64(s.a_offset), i64(s.b_offset), i64(s.c_offset)]
        self._batch(emitter, s, fn, list(s.batch), offsets)

    def _batch(self, em: KernelEmitter, s: GemmCall, fn: ir.Function,
               batch: list[tuple[int, int, int, int]], offsets: list[ir.Value]) -> None:
        if not batch:
            self._call(em, s, fn, offsets)
            return
        b = em.builder
        (extent, *strides), rest = batch[0], batch[1:]
        var = f"gemm.b{len(s.batch) - len(batch)}"
        pre = b.block
        header = em.fn.append_basic_block(f"{var}.loop")
        b.branch(header)
        b.position_at_end(header)
        phi = b.phi(I64, name=var)
        phi.add_incoming(i64(0), pre)
        moved = [b.add(off, b.mul(phi, i64(st))) for off, st in
                 zip(offsets, strides, strict=True)]
        self._batch(em, s, fn, rest, moved)
        nxt = b.add(phi, i64(1), flags=("nuw", "nsw"))
        exit_ = em.fn.append_basic_block(f"{var}.exit")
        phi.add_incoming(nxt, b.block)
        b.cbranch(b.icmp_signed("<", nxt, i64(extent)), header, exit_)
        b.position_at_end(exit_)

    def _call(self, em: KernelEmitter, s: GemmCall, fn: ir.Function,
              offsets: list[ir.Value]) -> None:
        a, bb, c = (em.address(name, off, s.dtype) for name, off in
                    zip((s.a, s.b, s.c), offsets, strict=True))
        ints = [s.m, s.n, s.k, a, *s.a_strides, bb, *s.b_strides, c, s.c_stride,
                int(s.accumulate)]
        args: list[ir.Value] = []
        for value, ty in zip(ints, fn.function_type.args, strict=True):
            args.append(value if not isinstance(value, int) else ir.Constant(ty, value))
        em.builder.call(fn, args)
