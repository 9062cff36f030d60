"""Split K for the GPU's tiled GEMM (:mod:`tenkai.codegen.nvptx.gemm`, module docstring there):
how many K-step ranges a tile's loop is cut into, the scratch they share (the partials and the
per-tile counters) and the combine step that runs in every range's block after its K loop.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir

from tenkai.codegen.kir.nodes import Buffer
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I32, i64
from tenkai.codegen.nvptx.emit import SHARED, i32
from tenkai.codegen.scalar.templates import constant, llvm_type
from tenkai.ir import dtypes

SPLIT_TILES = 32  # split K only where the output has fewer tiles than this
SPLIT_TARGET = 128  # ... into about this many work items (blocks) in all
SPLIT_MIN_STEPS = 8  # each range at least this many K steps
MAX_SPLITS = 64


def splits_for(tiles: int, steps: int) -> int:
    """How many K-step ranges each tile's loop is cut into (1: not split); every range gets
    at least :data:`SPLIT_MIN_STEPS` steps and none is empty."""
    if tiles >= SPLIT_TILES or steps < 2 * SPLIT_MIN_STEPS:
        return 1
    wanted = min(-(-SPLIT_TARGET // tiles), steps // SPLIT_MIN_STEPS, MAX_SPLITS)
    per = -(-steps // max(wanted, 1))
    return -(-steps // per)


def split_scratch(name: str, tiles: int, splits: int, per_block: int, dtype: str
                  ) -> dict[str, Buffer]:
    """Launch ``name``'s scratch: ``<name>.part`` (``per_block`` accumulators per range, in the
    accumulator dtype) and ``<name>.count`` (one int32 counter per tile); none unsplit."""
    if splits == 1:
        return {}
    acc_dt = "float32" if dtype == "float16" else dtype
    return {f"{name}.part": Buffer(f"{name}.part", (tiles * splits * per_block,), acc_dt,
                                   "scratch"),
            f"{name}.count": Buffer(f"{name}.count", (tiles,), "int32", "scratch")}


def shared_flag(em: Any) -> tuple[ir.GlobalVariable, ir.ArrayType]:
    """The shared int32 through which thread 0 tells the block it counted in last."""
    arr = ir.ArrayType(I32, 1)
    flag = ir.GlobalVariable(em.module, arr, em.new_symbol("last"), addrspace=SHARED)
    flag.linkage, flag.initializer, flag.align = "internal", ir.Constant(arr, ir.Undefined), 4
    flag.type = ir.PointerType(addrspace=SHARED)
    return flag, arr


def combine_ranges(em: Any, tile: ir.Value, split: ir.Value) -> ir.Value:
    """Split K: store this range's accumulators, count the range in; returns whether it
    was the last one of ``tile``, in which case the accumulators now hold the sum of
    every range's partials, added in range order (module docstring)."""
    b, n, threads = em.b, len(em.acc), em.cfg.threads
    acc_ty = llvm_type(em.acc_dt)
    part, count = (next(name for name in em.launch.scratch if name.endswith(end))
                   for end in (".part", ".count"))

    def slot(item: ir.Value, j: int) -> ir.Value:  # partial j of this thread in item
        index = b.add(b.mul(b.add(b.mul(item, i64(n)), i64(j)), i64(threads)), em.tid)
        return em.address(part, index, em.acc_dt)

    mine = b.add(b.mul(tile, i64(em.splits)), split)
    for j, acc in enumerate(em.acc):
        b.store(b.load(acc, typ=acc_ty), slot(mine, j))
    b.fence("release")
    em.barrier()
    flag = b.gep(em.last_flag[0], [i64(0), i64(0)], inbounds=True,
                 source_etype=em.last_flag[1])
    with b.if_then(b.icmp_unsigned("==", em.tid, i64(0))):
        done = b.atomic_rmw("add", em.address(count, tile, "int32"), i32(1), "acq_rel")
        b.store(b.zext(b.icmp_unsigned("==", done, i32(em.splits - 1)), I32), flag)
    em.barrier()
    last = b.icmp_unsigned("!=", b.load(flag, typ=I32), i32(0))
    em.barrier()  # (every thread has read the flag before a later tile writes it)
    with b.if_then(last):
        b.fence("acquire")
        zero = constant(0, em.acc_dt)
        for acc in em.acc:
            b.store(zero, acc)
        first = b.mul(tile, i64(em.splits))
        with counted_loop(b, i64(0), i64(em.splits), "range") as r:
            item = b.add(first, r)
            for j, acc in enumerate(em.acc):
                value = b.load_atomic(slot(item, j), "monotonic",
                                      dtypes.itemsize(em.acc_dt), typ=acc_ty)
                old = b.load(acc, typ=acc_ty)
                b.store(b.fadd(old, value) if dtypes.is_float(em.acc_dt)
                        else b.add(old, value), acc)
        with b.if_then(b.icmp_unsigned("==", em.tid, i64(0))):
            b.store(i32(0), em.address(count, tile, "int32"))  # (for the next step)
    return last


__all__ = ["MAX_SPLITS", "SPLIT_MIN_STEPS", "SPLIT_TARGET", "SPLIT_TILES", "combine_ranges",
           "shared_flag", "split_scratch", "splits_for"]
