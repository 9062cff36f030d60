"""The libcuda driver binding (runtime/cuda/libcuda.py) against a fake ``libcuda``: ctypes
callbacks with the driver API's C signatures, so the binding's real argument marshalling, error
checking and decoding run (no GPU needed); and the errors of a machine without a driver."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint, c_uint64, c_void_p
from typing import Any

import numpy as np
import pytest

import tenkai
from tenkai.runtime import cuda as rc
from tenkai.runtime.cuda import CudaError, DriverUnavailable
from tenkai.runtime.cuda.libcuda import LibCuda

NAMES = {1: b"CUDA_ERROR_INVALID_VALUE", 2: b"CUDA_ERROR_OUT_OF_MEMORY",
         100: b"CUDA_ERROR_NO_DEVICE", 218: b"CUDA_ERROR_INVALID_PTX"}
TEXTS = {1: b"invalid argument", 2: b"out of memory", 100: b"no CUDA-capable device is detected",
         218: b"a PTX JIT compilation failed"}
PTXAS_LOG = b"ptxas application ptx input, line 7; error   : Unknown symbol 'bad'\0"


class FakeLib:
    """Driver entry points as C callbacks; ``launches`` records cuLaunchKernel's arguments."""

    def __init__(self, init_result: int = 0) -> None:
        self.launches: list[tuple[Any, ...]] = []
        self.fns: dict[str, Any] = {}
        self._def("cuInit", [c_uint], lambda flags: init_result)
        self._def("cuGetErrorName", [c_int, POINTER(c_char_p)], self._name)
        self._def("cuGetErrorString", [c_int, POINTER(c_char_p)], self._text)
        self._def("cuDeviceGetCount", [POINTER(c_int)], self._count)
        self._def("cuModuleLoadDataEx", [POINTER(c_void_p), c_void_p, c_uint, POINTER(c_int),
                                         POINTER(c_void_p)], self._load)
        self._def("cuMemAlloc_v2", [POINTER(c_uint64), c_size_t], lambda out, n: 2)
        self.shared: list[tuple[int, int, int]] = []
        self._def("cuFuncSetAttribute", [c_void_p, c_int, c_int],
                  lambda fn, attr, value: self.shared.append((fn, attr, value)) or 0)
        self._def("cuStreamBeginCapture_v2", [c_void_p, c_int], lambda stream, mode: 0)
        self._def("cuStreamEndCapture", [c_void_p, POINTER(c_void_p)], self._end_capture)
        self._def("cuGraphInstantiateWithFlags", [POINTER(c_void_p), c_void_p, ctypes.c_ulonglong],
                  self._instantiate)
        self._def("cuLaunchKernel", [c_void_p] + [c_uint] * 7 + [c_void_p, POINTER(c_void_p),
                                                                  c_void_p], self._launch)

    def _def(self, name: str, args: list[Any], fn: Any) -> None:
        self.fns[name] = ctypes.CFUNCTYPE(c_int, *args)(fn)
        setattr(self, name, self.fns[name])

    @staticmethod
    def _name(code: int, out: Any) -> int:
        if code not in NAMES:
            return 1
        out[0] = NAMES[code]
        return 0

    @staticmethod
    def _text(code: int, out: Any) -> int:
        out[0] = TEXTS.get(code, b"")
        return 0

    @staticmethod
    def _count(out: Any) -> int:
        out[0] = 2
        return 0

    @staticmethod
    def _load(module: Any, image: int, n: int, opts: Any, vals: Any) -> int:
        assert ctypes.string_at(image).startswith(b".version")
        options = {opts[k]: vals[k] for k in range(n)}
        assert options[6] == 16384 and options[12] == 1  # error log size, verbose
        ctypes.memmove(options[5], PTXAS_LOG, len(PTXAS_LOG))
        return 218

    @staticmethod
    def _end_capture(stream: int, graph: Any) -> int:
        graph[0] = stream + 1  # the graph of stream s is s + 1
        return 0

    @staticmethod
    def _instantiate(out: Any, graph: int, flags: int) -> int:
        out[0] = graph * 10
        return 0

    def _launch(self, fn: int, gx: int, gy: int, gz: int, bx: int, by: int, bz: int,
                shared: int, stream: int, params: Any, extra: Any) -> int:
        args = [c_uint64.from_address(params[k]).value for k in range(2)]
        self.launches.append((fn, (gx, gy, gz), (bx, by, bz), shared, stream, args))
        return 0 if fn == 7 else 1


def test_calls_are_checked_and_errors_decoded_with_the_call_and_its_purpose() -> None:
    lib = FakeLib()
    driver = LibCuda(lib)
    assert driver.device_count() == 2
    with pytest.raises(CudaError, match=r"^CUDA error: CUDA_ERROR_OUT_OF_MEMORY \(out of "
                       r"memory\) in cuMemAlloc_v2 \(1024 bytes\)$") as info:
        driver.alloc(1024)
    assert info.value.code == 2 and info.value.name == "CUDA_ERROR_OUT_OF_MEMORY"
    with pytest.raises(CudaError, match=r"CUDA_ERROR_INVALID_PTX \(a PTX JIT compilation "
                       r"failed\) in cuModuleLoadDataEx .*\nJIT log:\nptxas application ptx "
                       r"input, line 7; error   : Unknown symbol 'bad'") as info:
        driver.load_module(b".version 8.0\n.target sm_80\n")  # NUL added by the binding
    assert "Unknown symbol" in info.value.log
    with pytest.raises(CudaError, match=r"the driver has no cuGraphLaunch \(too old\)"):
        driver.graph_launch(1, 0)


def test_graph_capture_calls_pass_their_handles() -> None:
    driver = LibCuda(FakeLib())
    driver.begin_capture(41)
    graph = driver.end_capture(41)
    assert graph == 42 and driver.graph_instantiate(graph) == 420


def test_launch_passes_pointer_arguments_and_names_the_kernel() -> None:
    lib = FakeLib()
    driver = LibCuda(lib)
    driver.launch(7, (4, 1, 1), (256, 1, 1), 0, 9, [0x1000, 0x2000], "k0_add")
    assert lib.launches == [(7, (4, 1, 1), (256, 1, 1), 0, 9, [0x1000, 0x2000])]
    driver.allow_shared(7, 96 * 1024, "k2_gemm")
    assert lib.shared == [(7, 8, 96 * 1024)]  # CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    with pytest.raises(CudaError, match=r"CUDA_ERROR_INVALID_VALUE \(invalid argument\) in "
                       r"cuLaunchKernel \(kernel k1_sum__0\)"):
        driver.launch(8, (1, 1, 1), (32, 1, 1), 0, 0, [1, 2], "k1_sum__0")


def test_unknown_error_codes_and_a_failing_cuinit() -> None:
    driver = LibCuda(FakeLib())
    assert driver._decode(999) == ("CUDA_ERROR_999", "unknown error code")
    with pytest.raises(DriverUnavailable, match="Found no NVIDIA driver on your system.*cuInit "
                       "failed: CUDA_ERROR_NO_DEVICE"):
        LibCuda(FakeLib(init_result=100))


@pytest.fixture
def no_driver() -> Any:
    """The system's driver (none on this machine; the tests skip where one exists)."""
    old = rc.set_driver(None)
    if rc.device_count() > 0:
        rc.set_driver(old)
        pytest.skip("a CUDA driver and GPU are present")
    yield
    rc.set_driver(old)


def test_without_a_driver_everything_cuda_says_so(no_driver: None) -> None:
    assert rc.device_count() == 0 and not tenkai.cuda.is_available()
    with pytest.raises(DriverUnavailable, match="Found no NVIDIA driver on your system"):
        rc.context(0)

    def f(x):
        return (x * 2).sum()

    x = tenkai.randn(8)
    with pytest.raises(RuntimeError, match="Found no NVIDIA driver on your system"):
        tenkai.compile(f, target="cuda")(x)
    lowered = tenkai.trace(f, x).lower(target="cuda")
    assert ".entry" in lowered.as_text("ptx")  # PTX is still generated
    with pytest.raises(RuntimeError, match="Found no NVIDIA driver on your system"):
        lowered.compile()
    for move in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: tenkai.zeros(3, device="cuda"),
                 lambda: tenkai.nn.Linear(2, 2).cuda(), tenkai.cuda.synchronize,
                 tenkai.cuda.current_device, tenkai.cuda.get_device_name):
        with pytest.raises(RuntimeError, match="Found no NVIDIA driver on your system"):
            move()
    assert tenkai.cuda.memory_allocated() == 0 and tenkai.cuda.device_count() == 0
    tenkai.cuda.manual_seed_all(0)  # accepted, as PyTorch's lazy seeding does
    assert not np.isnan(f(x).item())
