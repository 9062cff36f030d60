"""The ``cuda-sim`` runtime: NVPTX kernels, as host object code, run by a CPU simulator of the
GPU (threads of a block, shared memory checked for races, barriers, warp shuffles).

This is the ``cuda-sim`` target's *runtime module* (``TargetRuntime`` in
``tenkai.codegen.target``): :func:`load` ``(code, entry, buffer_table) -> SimExecutable``
(``code``: host object code bytes, or anything with ``object_code()``; the buffer table carries
the entry's launch table), :func:`imports`, and the support-library and thread functions (the
simulator has neither a support library nor a thread pool). The executor is
:mod:`tenkai.runtime.cuda_sim.sim`; object code is loaded through the CPU runtime's loader
(``tenkai.runtime.cpu.jit``): it generates no code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.executable import object_code
from tenkai.runtime.cuda_sim import gemm_ops  # noqa: F401  (publishes its callbacks)
from tenkai.runtime.cuda_sim.executable import ALIGN, SimAllocator, SimExecutable
from tenkai.runtime.cuda_sim.sim import CALLBACKS, TIMEOUT, Block, SimulationError, run_launch
from tenkai.runtime.device import Device


def load(code: Any, entry: str, buffer_table: Mapping[str, Any],
         allocator: SimAllocator | None = None, max_grid: int | None = None) -> SimExecutable:
    """The executable running the launches of ``entry`` (``buffer_table["launches"]``) of
    ``code`` on the simulator."""
    return SimExecutable(code, entry, buffer_table, allocator, max_grid)


def load_object(code: Any) -> jit.CompiledModule:
    """The loaded module of host object code (bytes, or anything with ``object_code()``)."""
    return jit.load_object(object_code(code))


def imports(code: Any) -> list[str]:
    """External symbols the object code calls (the simulator's callbacks among them)."""
    return jit.imports(object_code(code))


def library_loaded(key: str) -> bool:
    """The simulator has no support library: nothing is ever loaded under a key."""
    return False


def load_library(code: Any, key: str, symbols: Sequence[str]) -> None:
    raise NotImplementedError("cuda-sim: the simulated target has no support library to load")


def set_threads(n: int) -> int:
    """No host thread pool (a block's threads are the simulator's own): sets nothing."""
    return 0


def get_threads() -> int:
    return 1


class SimDevice(Device):
    """The simulated GPU as a :class:`~tenkai.runtime.device.Device`."""

    name = "cuda-sim"

    def __init__(self) -> None:
        self.allocator = SimAllocator()

    def load(self, code: Any, entry: str, buffer_table: Mapping[str, Any]) -> SimExecutable:
        return load(code, entry, buffer_table, self.allocator)


__all__ = ["ALIGN", "CALLBACKS", "TIMEOUT", "Block", "SimAllocator", "SimDevice",
           "SimExecutable", "SimulationError", "get_threads", "imports", "library_loaded",
           "load", "load_library", "load_object", "run_launch", "set_threads"]
