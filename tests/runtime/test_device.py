"""The runtime's target interface: the CPU runtime implements runtime/device.py's Allocator,
Program, Executable and Device, and its ``load`` takes object code, or anything with an
``object_code()`` method, alike; never IR (the frontend reaches it only through
``tenkai.codegen.target.runtime_module``)."""

from __future__ import annotations

import numpy as np
import pytest

from tenkai import ir
from tenkai.codegen import describe, generate, lower_program
from tenkai.codegen.target import runtime_module
from tenkai.runtime import Allocator, Device, Executable, Program
from tenkai.runtime.cpu import CPUAllocator, CPUDevice, NativeFunction, jit


def _scale() -> ir.Graph:
    g = ir.Graph("scale")
    x = g.add("input", shape=(4,), dtype="float32", name="x")
    w = g.add("param", shape=(4,), dtype="float32", name="w")
    g.add_output(g.add("mul", [x, w]))
    return g


def test_cpu_runtime_loads_a_module_and_its_object_code_alike() -> None:
    runtime = runtime_module("cpu")
    module = generate(lower_program(_scale(), prefix="dev_"), describe("cpu"))
    x, w = np.arange(4, dtype=np.float32), np.full(4, 2.0, np.float32)
    exes = [runtime.load(code, module.entry, module.buffer_table)
            for code in (module, module.object_code())]
    for exe in exes:
        assert isinstance(exe, Executable)
        [out] = exe.run({"x": x}, {"w": w})
        np.testing.assert_array_equal(out, x * w)
    assert exes[0].module is exes[1].module  # the same object code, loaded once
    assert runtime.imports(module) == runtime.imports(module.object_code())
    assert "dev_tk_step" not in runtime.imports(module)  # defined there, not imported
    with pytest.raises(TypeError, match="cannot load a int"):
        runtime.load(3, module.entry, module.buffer_table)
    with pytest.raises(TypeError, match="LLVM IR text: the runtime generates no code"):
        runtime.load(module.as_text("llvm_opt"), module.entry, module.buffer_table)


def test_imports_are_the_objects_undefined_symbols() -> None:
    g = ir.Graph("tanh")
    x = g.add("input", shape=(8,), dtype="float64", name="x")
    g.add_output(g.add("tan", [x]))
    module = generate(lower_program(g, prefix="imp_"))
    assert "tan" in jit.imports(module.object_code())


def test_cpu_device_allocator_and_program() -> None:
    device = CPUDevice()
    assert isinstance(device, Device) and isinstance(device.allocator, Allocator)
    assert isinstance(device.allocator, CPUAllocator)
    buf = device.allocator.alloc(100)
    assert buf.ctypes.data % 64 == 0 and buf.nbytes == 100
    module = generate(lower_program(_scale(), prefix="prog_"))
    exe = device.load(module, module.entry, module.buffer_table)
    [kernel] = exe.kernels
    fn = NativeFunction(exe.module, kernel, len(exe.kernel_args[kernel]))
    assert isinstance(fn, Program) and fn.name == kernel
    with pytest.raises(ValueError, match="takes no grid or block"):
        fn(0, grid=(1,))
