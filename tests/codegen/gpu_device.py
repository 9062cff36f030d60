"""The NVPTX target's kernels on a real GPU, as tests use them: :class:`DeviceRunner` has the
simulator's interface (``gpu_sim.Simulator``: ``run(program, feeds)`` -> outputs, the status
word in ``status``) but loads the PTX through the CUDA driver (``tenkai.runtime.cuda``) and
launches every row of the launch table on device 0, so the simulator's differential tests run
unchanged on the hardware (test_nvptx_device.py).

Each run uses fresh device buffers: constants, inputs and params uploaded, everything else
(outputs, scratch, the status word) zeroed, as the simulator's fresh host buffers are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.codegen.kir.nodes import KernelProgram
from tenkai.codegen.nvptx import GeneratedPTX
from tenkai.ir import dtypes
from tenkai.runtime import cuda as rc
from tenkai.runtime.cuda.executable import DEFAULT_SHARED

HAS_GPU = rc.device_count() > 0


def _dim3(value: Any) -> tuple[int, int, int]:
    dims = [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
    dims += [1, 1, 1]
    return dims[0], dims[1], dims[2]


class DeviceRunner:
    """Runs the launches of a :class:`GeneratedPTX` on GPU 0 (see the module docstring)."""

    def __init__(self, code: GeneratedPTX) -> None:
        self.code = code
        self.ctx = rc.context(0)
        self.module = self.ctx.load_module(code.object_code())
        self.functions: dict[str, int] = {}
        self.status: np.ndarray | None = None

    def function(self, row: dict[str, Any]) -> int:
        name = row["name"]
        if name not in self.functions:
            fn = self.ctx.driver.get_function(self.module, name)
            if int(row.get("shared", 0)) > DEFAULT_SHARED:
                self.ctx.driver.allow_shared(fn, int(row["shared"]), name)
            self.functions[name] = fn
        return self.functions[name]

    def run(self, program: KernelProgram, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run ``program``'s launches in order on fresh device buffers; the outputs in order."""
        arrays: dict[str, rc.DeviceArray] = {}
        for b in program.buffers:
            arr = rc.DeviceArray(self.ctx, b.shape, dtypes.to_numpy(b.dtype))
            if b.role == "const":
                arr.copy_from_host(np.broadcast_to(np.asarray(b.init, arr.dtype), arr.shape))
            elif b.role in ("input", "param"):
                arr.copy_from_host(feeds[b.name])
            else:
                arr.zero()
            arrays[b.name] = arr
        for name, nbytes in self.code.entries[program.entry].get("scratch", {}).items():
            arrays[name] = rc.DeviceArray(self.ctx, (int(nbytes),), np.uint8)
            arrays[name].zero()
        driver = self.ctx.driver
        for row in self.code.entries[program.entry]["launches"]:
            driver.launch(self.function(row), _dim3(row["grid"]), _dim3(row["block"]),
                          int(row.get("shared", 0)), self.ctx.stream,
                          [arrays[p].ptr for p in row["params"]], row["name"])
        driver.stream_synchronize(self.ctx.stream, f"running {program.entry}")
        self.status = arrays["tk_status"].copy_to_host() if "tk_status" in arrays else None
        return [arrays[name].copy_to_host() for name in program.outputs]


__all__ = ["HAS_GPU", "DeviceRunner"]
