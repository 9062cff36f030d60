"""The simulator's callbacks for the tiled GEMM's GPU operations (the names are the contract
with ``codegen/cuda_sim/hostir_gemm.py``); published to LLVM's symbol table on import, and
added to :data:`tenkai.runtime.cuda_sim.sim.CALLBACKS`.

* ``sim_cp_async_{4,8}(dst, src, src_size)``: queued in the calling thread (copy ``src_size``
  bytes, zero-fill the rest); ``sim_cp_async_commit()`` closes the queue into a group;
  ``sim_cp_async_wait(n)`` performs every committed group but the newest ``n``, in order, as
  shared-memory writes of that thread (checked for races at that moment). Copies are read
  from global memory when performed, which is one schedule the hardware may choose; a kernel
  that reads a tile before waiting for it reads stale data, as on a GPU.
* ``sim_mma(kind, buffer)``: ``mma.sync`` across the warp: every lane offers its 10 fragment
  words (4 A, 2 B, 4 C registers) and waits at a warp synchronization of the scheduler (as
  for a shuffle); the first lane to run on computes the 16 x 8 product (``kind`` 0: m16n8k16
  float16, 1: m16n8k8 TF32; products summed in float64, then rounded to float32), every lane
  takes its 4 result words, and a second warp synchronization ends it.
* ``sim_f2tf32(x)``: ``cvt.rna.tf32.f32``: x rounded to 10 mantissa bits, ties away from zero.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llvmlite.binding as llvm
import numpy as np

from tenkai.runtime.cuda_sim.sim import _LOCAL, CALLBACKS, WARP, Block, _shared, _sync

U32 = ctypes.c_uint32
_MMA: dict[tuple[int, int], dict[str, Any]] = {}  # (block, warp) -> the mma in flight
_CELLS = {4: ctypes.c_uint32, 8: ctypes.c_uint64}


def _queue() -> dict[str, Any]:
    """The calling thread's cp.async state (fresh for every block and thread)."""
    blk, tid = _LOCAL.block, _LOCAL.tid
    state = getattr(_LOCAL, "cp_async", None)
    if state is None or state["block"] is not blk or state["tid"] != tid:
        state = {"block": blk, "tid": tid, "open": [], "groups": []}
        _LOCAL.cp_async = state
    return state


def _cp_async(size: int, dst: int, src: int, src_size: int) -> None:
    _queue()["open"].append((size, dst, src, src_size))


def _commit() -> None:
    state = _queue()
    state["groups"].append(state["open"])
    state["open"] = []


def _wait_group(n: int) -> None:
    state = _queue()
    groups = state["groups"]
    done, state["groups"] = groups[:max(len(groups) - n, 0)], groups[max(len(groups) - n, 0):]
    for group in done:
        for size, dst, src, src_size in group:
            raw = bytearray(size)
            if src_size:
                raw[:src_size] = ctypes.string_at(src, src_size)
            _shared(dst, int.from_bytes(raw, "little"), _CELLS[size])


def _fragments(words: np.ndarray, kind: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (16 x K), B (K x 8) and C (16 x 8) of the warp from its lanes' words (32 x 10)."""
    k = 16 if kind == 0 else 8
    a, b, c = np.zeros((16, k)), np.zeros((k, 8)), np.zeros((16, 8))
    floats = words.view(np.float32)
    for lane in range(WARP):
        g, t = divmod(lane, 4)
        w = words[lane]
        if kind == 0:
            h = w[:6].view(np.float16).astype(np.float64)  # pairs (low half first)
            for r, (row, col) in enumerate(((g, 2 * t), (g + 8, 2 * t), (g, 2 * t + 8),
                                            (g + 8, 2 * t + 8))):
                a[row, col:col + 2] = h[2 * r:2 * r + 2]
            b[2 * t:2 * t + 2, g] = h[8:10]
            b[2 * t + 8:2 * t + 10, g] = h[10:12]
        else:
            f = floats[lane]
            a[g, t], a[g + 8, t], a[g, t + 4], a[g + 8, t + 4] = f[:4]
            b[t, g], b[t + 4, g] = f[4:6]
        c[g, 2 * t:2 * t + 2] = floats[lane, 6:8]
        c[g + 8, 2 * t:2 * t + 2] = floats[lane, 8:10]
    return a, b, c


def _mma(kind: int, buf: int) -> None:
    blk: Block = _LOCAL.block
    warp, lane = divmod(_LOCAL.tid, WARP)
    words = (U32 * 14).from_address(buf)
    if blk.sched is None:
        blk.error("mma.sync in a launch whose mapping does not synchronize")
        return
    state = _MMA.setdefault((id(blk), warp), {"words": {}, "out": None, "block": blk})
    state["words"][lane] = list(words[:10])
    state["out"] = None
    if not _sync("warp", "mma.sync", (0, "idx", lane)):  # every lane has offered its words
        return
    if state["out"] is None:  # the first lane to run on computes the warp's product
        if len(state["words"]) != WARP:
            blk.error("mma.sync in a partial warp")
            return
        a, b, c = _fragments(np.array([state["words"][k] for k in range(WARP)],
                                      dtype=np.uint32), kind)
        state["out"] = (a @ b + c).astype(np.float32)
    d = state["out"]
    g, t = divmod(lane, 4)
    out = np.array([d[g, 2 * t], d[g, 2 * t + 1], d[g + 8, 2 * t], d[g + 8, 2 * t + 1]],
                   dtype=np.float32).view(np.uint32)
    for k in range(4):
        words[10 + k] = int(out[k])
    _sync("warp", "mma.sync", (0, "idx", lane))  # every lane has read the product
    if lane == 0:
        _MMA.pop((id(blk), warp), None)


def _f2tf32(x: float) -> int:
    bits = int(np.array(x, dtype=np.float32).view(np.uint32))
    if (bits >> 23) & 0xFF == 0xFF:  # inf, NaN: unchanged
        return bits
    return ((bits + 0x1000) & 0xFFFFE000) & 0xFFFFFFFF


GEMM_CALLBACKS = {
    "sim_cp_async_4": ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, U32)(
        lambda d, s, n: _cp_async(4, d, s, n)),
    "sim_cp_async_8": ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, U32)(
        lambda d, s, n: _cp_async(8, d, s, n)),
    "sim_cp_async_commit": ctypes.CFUNCTYPE(None)(_commit),
    "sim_cp_async_wait": ctypes.CFUNCTYPE(None, U32)(_wait_group),
    "sim_mma": ctypes.CFUNCTYPE(None, U32, ctypes.c_void_p)(_mma),
    "sim_f2tf32": ctypes.CFUNCTYPE(U32, ctypes.c_float)(_f2tf32),
}
CALLBACKS.update(GEMM_CALLBACKS)
for _name, _fn in GEMM_CALLBACKS.items():
    llvm.add_symbol(_name, ctypes.cast(_fn, ctypes.c_void_p).value)

__all__ = ["GEMM_CALLBACKS"]
