"""The ``cuda-sim`` runtime: NVPTX kernels (as host object code) run by a CPU simulator of the
GPU. The executor is :mod:`tenkai.runtime.cuda_sim.sim`; object code is loaded through the CPU
runtime's loader (``tenkai.runtime.cpu.jit``); it generates no code.
"""

from __future__ import annotations

from typing import Any

from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.executable import object_code
from tenkai.runtime.cuda_sim import gemm_ops  # noqa: F401  (publishes its callbacks)
from tenkai.runtime.cuda_sim.sim import CALLBACKS, TIMEOUT, Block, SimulationError, run_launch


def load_object(code: Any) -> jit.CompiledModule:
    """The loaded module of host object code (bytes, or anything with ``object_code()``);
    the simulator's callbacks are published before it links."""
    return jit.load_object(object_code(code))


__all__ = ["CALLBACKS", "TIMEOUT", "Block", "SimulationError", "load_object", "run_launch"]
