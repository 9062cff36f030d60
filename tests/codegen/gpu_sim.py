"""A CPU simulator of the NVPTX target's generated kernels (threads, blocks, shared memory,
barriers, warp shuffles), for tests on machines without a GPU.

It runs the LLVM IR that :func:`tenkai.codegen.nvptx.generate` built (``ir_text``, the code the
PTX comes from), retargeted to the host: ``ptx_kernel`` and the global address space dropped,
``llvm.nvvm.read.ptx.sreg.*``, ``llvm.nvvm.barrier0`` and ``llvm.nvvm.shfl.sync.bfly.i32``
replaced by calls into this module, and every shared-memory (``addrspace(3)``) load and store
replaced by a call that performs it and records it. Each block of a launch runs all its
threads concurrently as OS threads (the JIT-compiled code releases the GIL) so barriers and
shuffles synchronize them for real; blocks run one after another (no launch of the mapping
synchronizes blocks). Reported as errors naming the kernel:

* a data race: two threads touch one shared-memory address between two barriers, at least
  one of them writing;
  (checked in ``block`` launches; ``grid`` and ``serial`` launches synchronize nothing, so
  their threads run one after another, one valid schedule);
* a missing or divergent barrier or shuffle: some threads wait at it while others never arrive
  (a time-out), or a block ends with threads still waiting.

Limits: the host's float semantics (no FTZ, same IEEE results as the PTX for add/mul/fma), and
shared-memory reads of 32/64-bit integers only (what the generator emits).
"""

from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm
import numpy as np

from tenkai.codegen.kir.nodes import KernelProgram
from tenkai.codegen.nvptx import GeneratedPTX
from tenkai.ir import dtypes
from tenkai.runtime.cpu import jit

TIMEOUT = 20.0  # seconds a thread waits at a barrier before the simulator calls it missing
NAME = r'(%"[^"]*"|%[-\w.$]+)'


class SimulationError(AssertionError):
    """A race, a missing barrier or a divergent shuffle in a simulated kernel."""


def host_ir(text: str) -> str:
    """The NVPTX module's IR made runnable on the host (see the module docstring)."""
    text = re.sub(r'^target triple = .*$', f'target triple = "{llvm.get_process_triple()}"',
                  text, flags=re.M)
    text = re.sub(r'^target datalayout = .*$', "", text, flags=re.M)
    text = re.sub(rf"store (i32|i64) {NAME}, ptr addrspace\(3\) {NAME}",
                  r'call void @"sim_sstore_\1"(ptr \3, \1 \2)', text)
    text = re.sub(rf"{NAME} = load (i32|i64), ptr addrspace\(3\) {NAME}",
                  r'\1 = call \2 @"sim_sload_\2"(ptr \3)', text)
    if "addrspace(3) %" in text.replace("getelementptr", ""):
        leftover = [ln for ln in text.splitlines() if "addrspace(3) %" in ln
                    and "getelementptr" not in ln]
        raise NotImplementedError(f"gpu_sim: unsupported shared-memory access {leftover[:3]}")
    text = text.replace("addrspace(1) ", "").replace("addrspace(3) ", "")
    text = text.replace("ptx_kernel ", "")
    for reg in ("tid.x", "ctaid.x", "ntid.x", "nctaid.x"):
        text = text.replace(f'@"llvm.nvvm.read.ptx.sreg.{reg}"',
                            f'@"sim_sreg_{reg.replace(".", "_")}"')
    text = text.replace('@"llvm.nvvm.barrier0"', '@"sim_barrier"')
    text = text.replace('@"llvm.nvvm.shfl.sync.bfly.i32"', '@"sim_shfl_bfly"')
    if "llvm.nvvm." in text:
        raise NotImplementedError("gpu_sim: an NVVM intrinsic it does not model: "
                                  + sorted(set(re.findall(r"llvm\.nvvm\.[\w.]+", text)))[0])
    decls = "\n".join([
        'declare void @"sim_sstore_i32"(ptr, i32)', 'declare void @"sim_sstore_i64"(ptr, i64)',
        'declare i32 @"sim_sload_i32"(ptr)', 'declare i64 @"sim_sload_i64"(ptr)'])
    return text + "\n" + decls + "\n"


@dataclass
class _Block:
    """The state of the block being simulated."""

    kernel: str
    index: int
    size: int
    grid: int
    barrier: threading.Barrier
    warps: list[threading.Barrier]
    lanes: list[list[int]]
    epoch: int = 0
    log: dict[int, tuple[int, set[int], int | None]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOCAL = threading.local()  # the simulated thread: .tid, .block


def _wait(barrier: threading.Barrier, what: str) -> bool:
    blk: _Block = _LOCAL.block
    try:
        barrier.wait(TIMEOUT)
        return True
    except threading.BrokenBarrierError:
        with blk.lock:
            blk.errors.append(f"kernel {blk.kernel}: block {blk.index}: thread {_LOCAL.tid} "
                              f"waited at a {what} that other threads never reached (missing "
                              "or divergent barrier)")
        return False


def _barrier() -> None:
    _wait(_LOCAL.block.barrier, "barrier")


def _shfl(mask: int, value: int, lane_mask: int, clamp: int) -> int:
    blk: _Block = _LOCAL.block
    warp, lane = divmod(_LOCAL.tid, 32)
    if mask != 0xFFFFFFFF or clamp != 31:
        with blk.lock:
            blk.errors.append(f"kernel {blk.kernel}: shfl.sync with mask {mask:#x} / clamp "
                              f"{clamp} is not modelled")
    slots = blk.lanes[warp]
    slots[lane] = value
    _wait(blk.warps[warp], "warp shuffle")
    partner = lane ^ lane_mask
    out = slots[partner] if partner < len(slots) else value
    _wait(blk.warps[warp], "warp shuffle")
    return out


def _shared(ptr: int, value: int | None, ctype: Any) -> int:
    """One shared-memory access of the current thread: checked for a race, then done."""
    blk: _Block = _LOCAL.block
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
                f"{blk.index}: thread {tid} {'writes' if value is not None else 'reads'} it "
                f"between barriers after thread {other}")
        if value is None:
            readers = readers | {tid}
        else:
            writer = tid
        blk.log[ptr] = (blk.epoch, readers, writer)
        cell = ctype.from_address(ptr)
        if value is not None:
            cell.value = value
        return int(cell.value)


U32 = ctypes.c_uint32
_CALLBACKS = {
    "sim_sreg_tid_x": ctypes.CFUNCTYPE(U32)(lambda: _LOCAL.tid),
    "sim_sreg_ctaid_x": ctypes.CFUNCTYPE(U32)(lambda: _LOCAL.block.index),
    "sim_sreg_ntid_x": ctypes.CFUNCTYPE(U32)(lambda: _LOCAL.block.size),
    "sim_sreg_nctaid_x": ctypes.CFUNCTYPE(U32)(lambda: _LOCAL.block.grid),
    "sim_barrier": ctypes.CFUNCTYPE(None)(_barrier),
    "sim_shfl_bfly": ctypes.CFUNCTYPE(U32, U32, U32, U32, U32)(_shfl),
    "sim_sstore_i32": ctypes.CFUNCTYPE(None, ctypes.c_void_p, U32)(
        lambda p, v: _shared(p, v, ctypes.c_uint32)),
    "sim_sstore_i64": ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64)(
        lambda p, v: _shared(p, v, ctypes.c_uint64)),
    "sim_sload_i32": ctypes.CFUNCTYPE(U32, ctypes.c_void_p)(
        lambda p: _shared(p, None, ctypes.c_uint32)),
    "sim_sload_i64": ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)(
        lambda p: _shared(p, None, ctypes.c_uint64)),
}  # module-level and never freed: JIT-compiled modules are cached and keep their addresses
for _name, _fn in _CALLBACKS.items():
    llvm.add_symbol(_name, ctypes.cast(_fn, ctypes.c_void_p).value)


_ENGINES: dict[str, llvm.ExecutionEngine] = {}  # host IR text -> its engine (kept alive)


def _compile(text: str) -> llvm.ExecutionEngine:
    """MCJIT-compile host IR (unoptimized: the simulator checks the generated code, not what
    the host's optimizer makes of it), once per text."""
    engine = _ENGINES.get(text)
    if engine is None:
        jit.initialize()  # native target, libc/libm symbols
        mod = llvm.parse_assembly(text)
        mod.verify()
        tm = llvm.Target.from_triple(llvm.get_process_triple()).create_target_machine(
            cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
            opt=1, jit=True)
        engine = llvm.create_mcjit_compiler(mod, tm)
        engine.finalize_object()
        _ENGINES[text] = engine
    return engine


class Simulator:
    """Runs the launches of :class:`GeneratedPTX` programs on the CPU (module docstring)."""

    def __init__(self, code: GeneratedPTX) -> None:
        self.code = code
        self.engine = _compile(host_ir(code.ir_text))

    def address(self, name: str) -> int:
        addr = self.engine.get_function_address(name)
        if not addr:
            raise KeyError(f"gpu_sim: no launch function {name!r} in the module")
        return addr

    # ------------------------------------------------------------ running
    def launch(self, row: dict[str, Any], args: list[int], max_grid: int | None = None) -> None:
        """Run one launch (a launch-table row) on buffer addresses ``args``; ``max_grid``
        launches fewer blocks than the table says (the grid-stride loops must cover the rest:
        a GPU may be given any grid)."""
        fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(args))(
            self.address(row["name"]))
        size, grid = row["block"][0], row["grid"][0]
        if max_grid is not None and row["mapping"] != "serial":
            grid = min(grid, max_grid)
        for b in range(grid):
            blk = _Block(row["name"], b, size, grid, threading.Barrier(size),
                         [threading.Barrier(min(32, size - w * 32))
                          for w in range(-(-size // 32))],
                         [[0] * min(32, size - w * 32) for w in range(-(-size // 32))])

            def advance(blk: _Block = blk) -> None:
                blk.epoch += 1

            blk.barrier = threading.Barrier(size, action=advance)
            if row["mapping"] != "block":  # no barrier, no shuffle: any order is a schedule
                _LOCAL.block = blk
                for t in range(size):
                    _LOCAL.tid = t
                    fn(*args)
                continue

            def thread(tid: int, blk: _Block = blk) -> None:
                _LOCAL.tid, _LOCAL.block = tid, blk
                fn(*args)
                blk.barrier.abort() if blk.barrier.n_waiting else None

            threads = [threading.Thread(target=thread, args=(t,)) for t in range(size)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if blk.errors:
                raise SimulationError("\n".join(sorted(set(blk.errors))[:5]))

    def run(self, program: KernelProgram, feeds: dict[str, np.ndarray],
            max_grid: int | None = None) -> list[np.ndarray]:
        """Run ``program``'s launches in order on fresh buffers (inputs from ``feeds``;
        ``max_grid``: see :meth:`launch`); the outputs in order (the status word, when the
        program has one, is left in :attr:`status`)."""
        arrays: dict[str, np.ndarray] = {}
        keep: list[np.ndarray] = []
        for b in program.buffers:
            dt = np.dtype(dtypes.to_numpy(b.dtype))
            raw = np.zeros(b.nbytes + 256, np.uint8)
            start = -raw.ctypes.data % 256
            arr = raw[start:start + b.nbytes].view(dt).reshape(b.shape)
            keep.append(raw)
            if b.role == "const":
                arr[...] = b.init
            elif b.role in ("input", "param"):
                arr[...] = feeds[b.name]
            arrays[b.name] = arr
        for name, nbytes in self.code.entries[program.entry].get("scratch", {}).items():
            raw = np.zeros(nbytes + 256, np.uint8)  # per-entry scratch: zeroed, each run
            keep.append(raw)
            arrays[name] = raw[-raw.ctypes.data % 256:][:nbytes]
        for row in self.code.entries[program.entry]["launches"]:
            self.launch(row, [arrays[p].ctypes.data for p in row["params"]], max_grid)
        self.status = arrays["tk_status"].copy() if "tk_status" in arrays else None
        return [arrays[name].copy() for name in program.outputs]
