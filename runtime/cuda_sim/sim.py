"""The simulator's executor: runs one launch of host object code made from NVPTX kernels
(``tenkai.codegen.cuda_sim``) block by block, every thread of a block as it would on a GPU.

The kernels call back into this module for what a CPU does not have (the names are the
contract with ``codegen/cuda_sim/hostir.py``): special registers (``sim_sreg_tid_x`` ...),
the block barrier (``sim_barrier``), warp shuffles (``sim_shfl_<mode>_<type>``) and every
shared-memory load and store (``sim_sload_<type>`` / ``sim_sstore_<type>``, which perform the
access and record it). The functions are published to LLVM's symbol table when this module is
imported, so the runtime's object loader resolves them.

A ``block`` launch (one that synchronizes: barriers, shuffles, shared memory) runs every thread
of a block as an OS thread of a reused team, one at a time, each until its next barrier or
shuffle (:mod:`tenkai.runtime.cuda_sim.schedule`), so barriers and shuffles synchronize them
for real; ``grid`` and ``serial`` launches synchronize nothing, so their threads run one after
another in a loop on the calling thread (one valid schedule). Blocks run one after another (no
launch of the mapping synchronizes blocks). Reported as :class:`SimulationError`
naming the kernel:

* a data race: two threads touch one shared-memory address between two barriers, at least
  one of them writing;
* a missing or divergent barrier or shuffle: some threads wait at it while others never arrive
  (they ended, or wait at another one).

Limits: the host's float semantics (no FTZ, same IEEE results as the PTX for add/mul/fma);
shuffles over the full warp only (mask ``0xffffffff``, no segments).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm

from tenkai.runtime.cuda_sim import schedule
from tenkai.runtime.cuda_sim.schedule import Scheduler

TIMEOUT = 20.0  # unused: kept for importers (the scheduler finds a missing barrier exactly)
WARP = 32
SYNCHRONIZING = ("block", "gemm")  # mappings whose threads of a block run concurrently


class SimulationError(AssertionError):
    """A race, a missing barrier or a divergent shuffle in a simulated kernel."""


@dataclass
class Block:
    """The state of the block being simulated (``dims``: the block's shape, ``grid``: the
    grid's, both ``(x, y, z)``; ``index``: this block's ``(x, y, z)``)."""

    kernel: str
    index: tuple[int, int, int]
    dims: tuple[int, int, int]
    grid: tuple[int, int, int]
    sched: Scheduler | None = None  # set for a synchronizing ('block') launch
    epoch: int = 0
    log: dict[int, tuple[int, set[int], int | None]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def size(self) -> int:
        return self.dims[0] * self.dims[1] * self.dims[2]

    @property
    def number(self) -> int:
        """The block's linear index."""
        x, y, z = self.index
        return x + self.grid[0] * (y + self.grid[1] * z)

    def advance(self) -> None:
        """A barrier passed: a new epoch of the race log."""
        self.epoch += 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(f"kernel {self.kernel}: {message}")


_LOCAL = threading.local()  # the simulated thread: .tid (linear), .block


def _tid(axis: int) -> int:
    blk: Block = _LOCAL.block
    t = _LOCAL.tid
    bx, by, _ = blk.dims
    return (t % bx, t // bx % by, t // (bx * by))[axis]


def _sync(kind: str, what: str, offer: Any = None) -> bool:
    blk: Block = _LOCAL.block
    if blk.sched is None:
        if blk.size == 1:
            return True  # one thread: nothing to wait for
        blk.error(f"a {what} in a launch whose mapping does not synchronize (run as a "
                  "'block' launch)")
        return False
    return blk.sched.pause(_LOCAL.tid, kind, offer)


def _barrier() -> None:
    _sync("barrier", "barrier")


def _shuffle(mode: str, mask: int, value: Any, b: int, c: int) -> Any:
    blk: Block = _LOCAL.block
    if mask != 0xFFFFFFFF or c != (0 if mode == "up" else WARP - 1):
        blk.error(f"shfl.sync.{mode} with mask {mask:#x} / c {c} is not modelled")
    if blk.sched is None:
        if blk.size == 1:
            return value
        return _sync("warp", "warp shuffle") and value
    if not blk.sched.pause(_LOCAL.tid, "warp", (value, mode, b)):
        return value
    return blk.sched.result[_LOCAL.tid]


def _shared(ptr: int, value: Any, ctype: Any) -> Any:
    """One shared-memory access of the current thread: checked for a race, then done."""
    blk: Block = _LOCAL.block
    tid = _LOCAL.tid
    with blk.lock:
        epoch, readers, writer = blk.log.get(ptr, (-1, set(), None))
        if epoch != blk.epoch:
            readers, writer = set(), None
        if (writer is not None and writer != tid) or (value is not None
                                                      and bool(readers - {tid})):
            other = writer if writer not in (None, tid) else sorted(readers - {tid})[0]
            blk.errors.append(
                f"kernel {blk.kernel}: data race on shared memory {ptr:#x} in block "
                f"{blk.number}: thread {tid} {'writes' if value is not None else 'reads'} it "
                f"between barriers after thread {other}")
        if value is None:
            readers = readers | {tid}
        else:
            writer = tid
        blk.log[ptr] = (blk.epoch, readers, writer)
        cell = ctype.from_address(ptr)
        if value is not None:
            cell.value = value
        return cell.value


_CTYPES = {"i8": ctypes.c_uint8, "i16": ctypes.c_uint16, "i32": ctypes.c_uint32,
           "i64": ctypes.c_uint64, "float": ctypes.c_float, "double": ctypes.c_double,
           "f32": ctypes.c_float}
U32 = ctypes.c_uint32


def _sreg(reg: str, axis: int) -> Any:
    if reg == "tid":
        return lambda: _tid(axis)
    if reg == "ctaid":
        return lambda: _LOCAL.block.index[axis]
    if reg == "ntid":
        return lambda: _LOCAL.block.dims[axis]
    return lambda: _LOCAL.block.grid[axis]


def _callbacks() -> dict[str, Any]:
    out: dict[str, Any] = {"sim_barrier": ctypes.CFUNCTYPE(None)(_barrier)}
    for reg in ("tid", "ctaid", "ntid", "nctaid"):
        for axis, a in enumerate("xyz"):
            out[f"sim_sreg_{reg}_{a}"] = ctypes.CFUNCTYPE(U32)(_sreg(reg, axis))
    for mode in ("bfly", "down", "up", "idx"):
        for ty in ("i32", "f32"):
            ct = _CTYPES[ty]
            out[f"sim_shfl_{mode}_{ty}"] = ctypes.CFUNCTYPE(ct, U32, ct, U32, U32)(
                lambda m, v, b, c, mode=mode: _shuffle(mode, m, v, b, c))
    for ty in ("i8", "i16", "i32", "i64", "float", "double"):
        ct = _CTYPES[ty]
        out[f"sim_sstore_{ty}"] = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ct)(
            lambda p, v, ct=ct: _shared(p, v, ct) and None)
        out[f"sim_sload_{ty}"] = ctypes.CFUNCTYPE(ct, ctypes.c_void_p)(
            lambda p, ct=ct: _shared(p, None, ct))
    return out


# module-level and never freed: loaded objects are cached and keep calling these addresses
CALLBACKS = _callbacks()
for _name, _fn in CALLBACKS.items():
    llvm.add_symbol(_name, ctypes.cast(_fn, ctypes.c_void_p).value)


def _blocks(grid: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    return [(x, y, z) for z in range(grid[2]) for y in range(grid[1]) for x in range(grid[0])]


def _dims(value: Any) -> tuple[int, int, int]:
    dims = [int(v) for v in value] + [1, 1]
    return (dims[0], dims[1], dims[2])


def run_launch(address: int, row: dict[str, Any], args: list[int],
               max_grid: int | None = None) -> None:
    """Run one launch (a launch-table row: ``name``, ``mapping``, ``grid``, ``block``) of the
    function at ``address`` on buffer addresses ``args``; ``max_grid`` launches at most that
    many blocks along x (the grid-stride loops must cover the rest: a GPU may be given any
    grid). Raises :class:`SimulationError` for a race or a missing barrier."""
    fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(args))(address)
    dims, grid = _dims(row["block"]), _dims(row["grid"])
    if max_grid is not None and row["mapping"] != "serial":
        grid = (min(grid[0], max_grid), grid[1], grid[2])
    for index in _blocks(grid):
        blk = Block(row["name"], index, dims, grid)
        if row["mapping"] not in SYNCHRONIZING:  # no barrier, no shuffle: any order is a schedule
            _LOCAL.block = blk
            for t in range(blk.size):
                _LOCAL.tid = t
                fn(*args)
        else:
            _run_concurrently(blk, fn, args)
        if blk.errors:
            raise SimulationError("\n".join(sorted(set(blk.errors))[:5]))


def _run_concurrently(blk: Block, fn: Any, args: list[int]) -> None:
    workers = schedule.team(blk.size)
    blk.sched = schedule.Scheduler(workers, blk.size,
                                   lambda message: blk.error(f"block {blk.number}: {message}"),
                                   blk.advance)

    def body(tid: int) -> None:
        _LOCAL.tid, _LOCAL.block = tid, blk
        fn(*args)

    workers.run(blk.sched, body)
