"""The CPU simulator of the NVPTX target's kernels, as tests use it: a thin layer over the
``cuda-sim`` target (IR retargeting: ``tenkai.codegen.cuda_sim``; the executor: threads,
blocks, barriers, shuffles, the shared-memory race log, ``SimulationError``:
``tenkai.runtime.cuda_sim``).

:class:`Simulator` runs a :class:`~tenkai.codegen.nvptx.GeneratedPTX`'s launches on fresh
buffers (``run``) or one launch on given addresses (``launch``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.codegen.cuda_sim import host_ir, host_object
from tenkai.codegen.kir.nodes import KernelProgram
from tenkai.codegen.nvptx import GeneratedPTX
from tenkai.ir import dtypes
from tenkai.runtime.cuda_sim import TIMEOUT, SimulationError, load_object, run_launch


class Simulator:
    """Runs the launches of :class:`GeneratedPTX` programs on the CPU."""

    def __init__(self, code: GeneratedPTX) -> None:
        self.code = code
        self.module = load_object(host_object(code.ir_text))
        self.status: np.ndarray | None = None

    def address(self, name: str) -> int:
        try:
            return self.module.address(name)
        except KeyError:
            raise KeyError(f"gpu_sim: no launch function {name!r} in the module") from None

    def launch(self, row: dict[str, Any], args: list[int], max_grid: int | None = None) -> None:
        """Run one launch (a launch-table row) on buffer addresses ``args``; ``max_grid``
        launches fewer blocks than the table says (the grid-stride loops must cover the rest:
        a GPU may be given any grid)."""
        run_launch(self.address(row["name"]), row, args, max_grid)

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


__all__ = ["TIMEOUT", "SimulationError", "Simulator", "host_ir"]
