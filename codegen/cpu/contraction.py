"""The CPU's mapping of the kernel IR's neutral :class:`Contraction` onto its GEMM call.

The CPU target contracts through ``tk_gemm_<dtype>`` (codegen/cpu/gemm.py), whose calling
convention is::

    tk_gemm(m, n, k, a, a_row_stride, a_col_stride, b, b_row_stride, b_col_stride,
            c, c_row_stride, accumulate)

with a row-major C. A contraction's batch dims become loops around the call that move the
three base offsets (:class:`GemmCall.batch`: one ``(extent, a, b, c)`` stride tuple each).
"""

from __future__ import annotations

from dataclasses import dataclass

from tenkai.codegen.kir.nodes import Contraction


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
