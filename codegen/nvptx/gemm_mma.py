"""Tensor-core compute of the GPU GEMM (:mod:`tenkai.codegen.nvptx.gemm`): ``mma.sync``.

Every warp owns a ``WM x WN`` warp tile of the block tile: ``WM/16 x WN/8`` tiles of one
``mma.sync`` each (16 x 8 outputs, float32 accumulators in registers). Per K step of the
shared tiles, every lane loads its operand fragments straight from shared memory
(``As[kk][m]``, ``Bs[kk][n]``), in PTX's fragment layouts (``g = lane / 4``, ``t = lane % 4``):

* ``"f16"``: ``llvm.nvvm.mma.m16n8k16.row.col.f32.f32`` (``mma.sync.aligned.m16n8k16.row.col
  .f32.f16.f16.f32``): A registers ``{(g, 2t..2t+1), (g+8, 2t..), (g, 2t+8..), (g+8, 2t+8..)}``
  (row, k) as ``<2 x half>``; B registers ``{(2t..2t+1, g), (2t+8..2t+9, g)}`` (k, col);
* ``"tf32"``: ``llvm.nvvm.mma.m16n8k8.row.col.tf32``: A ``{(g, t), (g+8, t), (g, t+4),
  (g+8, t+4)}``, B ``{(t, g), (t+4, g)}``, each float rounded to TF32 by
  ``llvm.nvvm.f2tf32.rna`` (``cvt.rna.tf32.f32``);
* accumulators ``{(g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1)}`` for both.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir

from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.llvm.types import I32, i64

F32 = ir.FloatType()
HALF2 = ir.VectorType(ir.HalfType(), 2)
RESULT = ir.LiteralStructType([F32] * 4)
INTRINSICS = {
    "f16": ("llvm.nvvm.mma.m16n8k16.row.col.f32.f32", 16, [HALF2] * 6),
    "tf32": ("llvm.nvvm.mma.m16n8k8.row.col.tf32", 8, [I32] * 6),
}


def fragment_positions(wm: int, wn: int) -> list[tuple[int, int]]:
    """(row, col) of every accumulator of a lane, relative to :func:`mma_origin`, in the
    order the compute and the epilogue walk them: mma tile (mi, ni), then its 4 registers."""
    return [(mi * 16 + (8 if c >= 2 else 0), ni * 8 + (c & 1))
            for mi in range(wm // 16) for ni in range(wn // 8) for c in range(4)]


def _lane(em: Any) -> tuple[ir.Value, ...]:
    """(warp tile row, warp tile col, g, t) of the current thread."""
    b, cfg = em.b, em.cfg
    warp, lane = b.lshr(em.tid, i64(5)), b.and_(em.tid, i64(31))
    across = cfg.bn // cfg.wn
    wr = b.mul(b.udiv(warp, i64(across)), i64(cfg.wm))
    wc = b.mul(b.urem(warp, i64(across)), i64(cfg.wn))
    return wr, wc, b.lshr(lane, i64(2), name="g"), b.and_(lane, i64(3), name="t")


def mma_origin(em: Any) -> tuple[ir.Value, ir.Value]:
    """The lane's first accumulator's (row, col) in the block tile."""
    b = em.b
    wr, wc, g, t = _lane(em)
    return b.add(wr, g), b.add(wc, b.mul(t, i64(2)))


def mma_compute(em: Any, buf: ir.Value) -> None:
    """Shared buffer ``buf``'s tiles multiplied into the accumulators by ``mma.sync``."""
    cfg, b = em.cfg, em.b
    name, km, args = INTRINSICS[cfg.compute]
    fn = declare_function(em.module, name, ir.FunctionType(RESULT, [*args, *[F32] * 4]))
    wr, wc, g, t = _lane(em)
    tiles_n = cfg.wn // 8

    def load(which: str, kk: int, k: ir.Value, col: ir.Value) -> ir.Value:
        value = b.load(em.tile_at(which, buf, b.add(k, i64(kk)), col), typ=em.ety)
        if cfg.compute == "tf32":
            cvt = declare_function(em.module, "llvm.nvvm.f2tf32.rna",
                                   ir.FunctionType(I32, [F32]))
            return b.call(cvt, [value])
        return value

    def pair(which: str, kk: int, k: ir.Value, col: ir.Value) -> ir.Value:
        """Two halves at ``k`` and ``k + 1`` as ``<2 x half>``."""
        lo, hi = load(which, kk, k, col), load(which, kk + 1, k, col)
        vec = b.insert_element(ir.Constant(HALF2, ir.Undefined), lo, i64(0))
        return b.insert_element(vec, hi, i64(1))

    t2 = b.mul(t, i64(2))
    for ks in range(cfg.bk // km):
        k0 = ks * km
        frag_a, frag_b = [], []
        for mi in range(cfg.wm // 16):
            row = b.add(b.add(wr, g), i64(mi * 16))
            row8 = b.add(row, i64(8))
            if cfg.compute == "f16":
                frag_a.append([pair("a", k0, t2, row), pair("a", k0, t2, row8),
                               pair("a", k0 + 8, t2, row), pair("a", k0 + 8, t2, row8)])
            else:
                frag_a.append([load("a", k0, t, row), load("a", k0, t, row8),
                               load("a", k0 + 4, t, row), load("a", k0 + 4, t, row8)])
        for ni in range(tiles_n):
            col = b.add(b.add(wc, g), i64(ni * 8))
            if cfg.compute == "f16":
                frag_b.append([pair("b", k0, t2, col), pair("b", k0 + 8, t2, col)])
            else:
                frag_b.append([load("b", k0, t, col), load("b", k0 + 4, t, col)])
        for mi, fa in enumerate(frag_a):
            for ni, fb in enumerate(frag_b):
                slots = em.acc[(mi * tiles_n + ni) * 4:(mi * tiles_n + ni + 1) * 4]
                acc = [b.load(s, typ=F32) for s in slots]
                out = b.call(fn, [*fa, *fb, *acc])
                for k, s in enumerate(slots):
                    b.store(b.extract_value(out, k), s)


__all__ = ["INTRINSICS", "fragment_positions", "mma_compute", "mma_origin"]
