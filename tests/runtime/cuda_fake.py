"""A fake CUDA driver for tests on machines without a GPU: the runtime's
:class:`~tenkai.runtime.cuda.driver.Driver` interface on host memory, running every launch on
the GPU simulator (``tenkai.runtime.cuda_sim``, the host build of the same kernels).

"Device" pointers are addresses of host buffers (256-byte aligned, as cuMemAlloc's). A module is
"loaded" from PTX that the cuda target generated in this process: :func:`record_ptx` (installed
by the ``fake_cuda`` fixture around ``tenkai.codegen.nvptx.generate``) remembers the
``GeneratedPTX`` of every PTX text, whose LLVM IR the simulator compiles for the host; unknown
PTX fails as the driver does (``CUDA_ERROR_INVALID_PTX`` with a JIT log). Everything runs
synchronously on the calling thread (one in-order stream); stream capture records the launches
of a stream into a graph that ``graph_launch`` replays. ``calls`` counts each driver call; a
kernel named in ``faulty`` fails when it runs (a fault reported by a synchronous launch, as
with ``CUDA_LAUNCH_BLOCKING=1``).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections import Counter
from typing import Any

import numpy as np

import tenkai
from tenkai.codegen.cuda_sim import host_object
from tenkai.runtime.cuda.driver import CudaError, Driver
from tenkai.runtime.cuda_sim import load_object, run_launch

PTX: dict[bytes, Any] = {}  # PTX image -> the GeneratedPTX it came from (process-wide)
ERRORS = {1: ("CUDA_ERROR_INVALID_VALUE", "invalid argument"),
          2: ("CUDA_ERROR_OUT_OF_MEMORY", "out of memory"),
          218: ("CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"),
          500: ("CUDA_ERROR_NOT_FOUND", "named symbol not found"),
          700: ("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"),
          900: ("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream "
                                                          "is capturing")}


def record_ptx(code: Any) -> Any:
    """Remember a GeneratedPTX (by its PTX image) so the fake driver can load it."""
    PTX[code.object_code()] = code
    return code


def fail(code: int, call: str, what: str = "", log: str = "") -> CudaError:
    name, text = ERRORS[code]
    return CudaError(code, name, text, call, what, log)


class FakeDriver(Driver):
    """See the module docstring. ``devices``: how many GPUs it pretends to have;
    ``graphs``: whether stream capture works (False: refused, as some drivers do)."""

    name = "fake"

    def __init__(self, devices: int = 1, graphs: bool = True, memory: int = 1 << 30) -> None:
        self.devices, self.graphs, self.memory = devices, graphs, memory
        self.calls: Counter[str] = Counter()
        self.buffers: dict[int, np.ndarray] = {}
        self.modules: dict[int, Any] = {}  # handle -> (GeneratedPTX, loaded host module)
        self.functions: dict[int, tuple[int, dict[str, Any]]] = {}  # -> (address, row)
        self.capturing: dict[int, list[tuple[Any, ...]]] = {}
        self.graph_store: dict[int, list[tuple[Any, ...]]] = {}
        self.launched: list[str] = []  # kernel names in the order they ran
        self.faulty: set[str] = set()  # kernels that fault when they run
        self._next = 1

    def _handle(self) -> int:
        self._next += 1
        return self._next

    # ---------------------------------------------------------------- devices, contexts
    def device_count(self) -> int:
        return self.devices

    def device_name(self, ordinal: int) -> str:
        return f"Fake GPU {ordinal} (host memory, simulated kernels)"

    def compute_capability(self, ordinal: int) -> tuple[int, int]:
        return (8, 0)

    def total_memory(self, ordinal: int) -> int:
        return self.memory

    def primary_context(self, ordinal: int) -> int:
        if not 0 <= ordinal < self.devices:
            raise fail(1, "cuDeviceGet", f"device {ordinal}")
        return 1000 + ordinal

    def set_current(self, context: int) -> None:
        self.calls["set_current"] += 1

    def synchronize(self) -> None:
        self.calls["synchronize"] += 1

    def mem_info(self) -> tuple[int, int]:
        used = sum(b.nbytes for b in self.buffers.values())
        return self.memory - used, self.memory

    # ---------------------------------------------------------------- code
    def load_module(self, image: bytes) -> int:
        self.calls["load_module"] += 1
        code = PTX.get(image)
        if code is None:
            raise fail(218, "cuModuleLoadDataEx", "loading the step's PTX",
                       log="ptxas application ptx input, line 1; fatal   : Parsing error "
                           "near 'not': syntax error")
        handle = self._handle()
        self.modules[handle] = (code, load_object(host_object(code.ir_text)))
        return handle

    def unload_module(self, module: int) -> None:
        self.modules.pop(module)

    def get_function(self, module: int, name: str) -> int:
        code, loaded = self.modules[module]
        rows = {r["name"]: r for r in code.launches()}
        if name not in rows:
            raise fail(500, "cuModuleGetFunction", f"kernel {name}")
        handle = self._handle()
        self.functions[handle] = (loaded.address(name), rows[name])
        return handle

    def launch(self, function: int, grid: tuple[int, int, int], block: tuple[int, int, int],
               shared: int, stream: int, args: list[int], name: str = "") -> None:
        for ptr in args:
            if not any(base <= ptr < base + max(b.nbytes, 1)
                       for base, b in self.buffers.items()):
                raise fail(1, "cuLaunchKernel", f"kernel {name}: argument {ptr:#x} is not "
                           "device memory")
        if stream in self.capturing:
            self.capturing[stream].append(("launch", function, grid, block, args, name))
            return
        address, row = self.functions[function]
        if row["name"] in self.faulty:
            raise fail(700, "cuLaunchKernel", f"kernel {row['name']}")
        self.calls["launch"] += 1
        self.launched.append(row["name"])
        run_launch(address, {**row, "grid": grid, "block": block}, list(args))

    # ---------------------------------------------------------------- memory
    def alloc(self, nbytes: int) -> int:
        raw = np.zeros(nbytes + 256, np.uint8)
        ptr = raw.ctypes.data + (-raw.ctypes.data % 256)
        self.buffers[ptr] = raw[ptr - raw.ctypes.data:][:nbytes]
        self.calls["alloc"] += 1
        return ptr

    def free(self, ptr: int) -> None:
        if ptr not in self.buffers:
            raise fail(1, "cuMemFree_v2", "freeing a buffer")
        del self.buffers[ptr]

    def _view(self, ptr: int, nbytes: int, call: str) -> np.ndarray:
        for base, buf in self.buffers.items():
            if base <= ptr and ptr + nbytes <= base + buf.nbytes:
                return buf[ptr - base:ptr - base + nbytes]
        raise fail(1, call, f"{nbytes} bytes at {ptr:#x} are not device memory")

    def _no_capture(self, stream: int, call: str) -> None:
        if stream in self.capturing:  # host memory in a graph: the driver refuses it
            raise fail(900, call)

    def copy_htod(self, dst: int, src: np.ndarray, stream: int = 0) -> None:
        self._no_capture(stream, "cuMemcpyHtoDAsync_v2")
        self._view(dst, src.nbytes, "cuMemcpyHtoDAsync_v2")[:] = src.reshape(-1).view(np.uint8)
        self.calls["htod"] += 1

    def copy_dtoh(self, dst: np.ndarray, src: int, stream: int = 0) -> None:
        self._no_capture(stream, "cuMemcpyDtoHAsync_v2")
        dst.reshape(-1).view(np.uint8)[:] = self._view(src, dst.nbytes, "cuMemcpyDtoHAsync_v2")
        self.calls["dtoh"] += 1

    def copy_dtod(self, dst: int, src: int, nbytes: int, stream: int = 0) -> None:
        self._view(dst, nbytes, "cuMemcpyDtoDAsync_v2")[:] = self._view(
            src, nbytes, "cuMemcpyDtoDAsync_v2")
        self.calls["dtod"] += 1

    def memset(self, ptr: int, byte: int, nbytes: int, stream: int = 0) -> None:
        self._view(ptr, nbytes, "cuMemsetD8Async")[:] = byte

    # ---------------------------------------------------------------- streams, events
    def stream_create(self) -> int:
        return self._handle()

    def stream_destroy(self, stream: int) -> None:
        pass

    def stream_synchronize(self, stream: int, what: str = "") -> None:
        self.calls["stream_synchronize"] += 1

    def event_create(self) -> int:
        return self._handle()

    def event_destroy(self, event: int) -> None:
        pass

    def event_record(self, event: int, stream: int) -> None:
        self.calls["event_record"] += 1

    def event_elapsed_ms(self, start: int, end: int) -> float:
        return 0.001

    # ---------------------------------------------------------------- CUDA graphs
    def begin_capture(self, stream: int) -> None:
        if not self.graphs:
            raise fail(900, "cuStreamBeginCapture_v2", "capturing a CUDA graph")
        self.capturing[stream] = []

    def end_capture(self, stream: int) -> int:
        handle = self._handle()
        self.graph_store[handle] = self.capturing.pop(stream)
        return handle

    def graph_instantiate(self, graph: int) -> int:
        handle = self._handle()
        self.graph_store[handle] = list(self.graph_store[graph])
        return handle

    def graph_launch(self, graph_exec: int, stream: int) -> None:
        self.calls["graph_launch"] += 1
        for _, function, grid, block, args, name in self.graph_store[graph_exec]:
            self.launch(function, grid, block, 0, stream, args, name)

    def graph_destroy(self, graph: int) -> None:
        del self.graph_store[graph]

    def graph_exec_destroy(self, graph_exec: int) -> None:
        del self.graph_store[graph_exec]


# ---------------------------------------------------------------- a model both runtimes train


def linear_model(opt_name: str, n: int = 16) -> tuple[list[Any], Any, Any]:
    """``((w*x + b - y)**2).mean()`` over ``n`` features with SGD momentum or Adam: (params,
    optimizer, step), the same start every call."""
    tenkai.manual_seed(0)
    w = tenkai.randn(n, requires_grad=True)
    b = tenkai.zeros(n, requires_grad=True)
    opt = (tenkai.optim.SGD([w, b], lr=0.05, momentum=0.9) if opt_name == "sgd"
           else tenkai.optim.Adam([w, b], lr=0.05))

    def step(x, y):
        opt.zero_grad()
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    return [w, b], opt, step


def training_state(params: list[Any], opt: Any) -> list[np.ndarray]:
    """Parameters, gradients and optimizer-state tensors, copied (to compare two runs)."""
    out = [p.detach().numpy().copy() for p in params]
    out += [p.grad.numpy().copy() for p in params]
    for p in params:
        out += [v.numpy().copy() for v in opt.state[p].values() if isinstance(v, tenkai.Tensor)]
    return out


@functools.cache
def _private_cache() -> str:
    return tempfile.mkdtemp(prefix="tenkai-fake-cuda-cache-")


def record_generated_ptx(monkeypatch: Any) -> None:
    """Record the cuda codegen's PTX for the fake driver, and keep the steps it loads out of a
    cache dir the user set (tests/conftest.py keeps it): that may hold PTX another process
    generated, which this fake cannot run."""
    from tenkai.codegen import nvptx

    generate = nvptx.generate
    monkeypatch.setattr(nvptx, "generate", lambda *a, **k: record_ptx(generate(*a, **k)))
    if os.environ.get("TENKAI_CACHE_DIR") != os.environ.get("TENKAI_TEST_CACHE_DIR"):
        monkeypatch.setenv("TENKAI_CACHE_DIR", _private_cache())


def install(monkeypatch: Any, devices: int = 1) -> Any:
    """Fixture body: a fake driver with ``devices`` GPUs in place of libcuda, the cuda
    codegen's PTX recorded for it (``yield from install(monkeypatch)``); the real driver
    and device 0 afterwards."""
    from tenkai.runtime import cuda as rc

    record_generated_ptx(monkeypatch)
    driver = FakeDriver(devices=devices)
    old = rc.set_driver(driver)
    yield driver
    if devices > 1:
        tenkai.cuda.set_device(0)
    rc.set_driver(old)
