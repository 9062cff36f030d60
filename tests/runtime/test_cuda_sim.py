"""The ``cuda-sim`` runtime (runtime/cuda_sim) on kernels written as the NVPTX target writes
them: 2-D blocks and grids, dynamic shared memory of floats, barriers, float shuffles, scratch
buffers zeroed for every step, launches without OS threads where nothing synchronizes, races
and missing barriers reported naming the kernel, and what it refuses to simulate."""

from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np
import pytest

import tenkai.ir as ir
from tenkai.codegen import cuda_sim as sim_codegen
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.target import runtime_module
from tenkai.runtime.cuda_sim import SimulationError, sim

RUNTIME = runtime_module("cuda-sim")
HEAD = 'target triple = "nvptx64-nvidia-cuda"\n'
SREG = "".join(f'declare i32 @"llvm.nvvm.read.ptx.sreg.{r}.{a}"()\n'
               for r in ("tid", "ctaid", "ntid") for a in "xyz")


def _sreg(name: str, reg: str) -> str:
    return f'  %"{name}" = call i32 @"llvm.nvvm.read.ptx.sreg.{reg}"()\n'


def _kernel(name: str, params: list[str], body: str, tail: str = "") -> str:
    args = ", ".join(f'ptr addrspace(1) %"{p}"' for p in params)
    return (f'{HEAD}define ptx_kernel void @"{name}"({args}) {{\nentry:\n{body}  ret void\n}}\n'
            f"{SREG}{tail}")


def _table(name: str, outputs: dict[str, int], launch: dict[str, Any],
           scratch: dict[str, int] | None = None) -> dict[str, Any]:
    rows = [{"name": n, "shape": (k,), "dtype": "float32", "role": "output", "offset": None,
             "nbytes": 4 * k, "init": None} for n, k in outputs.items()]
    return {"buffers": rows, "outputs": list(outputs), "writes": {}, "errors": {},
            "kernels": [name], "scratch": scratch or {},
            "launches": [{"name": name, "kernel": name, **launch}]}


def _load(text: str, table: dict[str, Any]) -> Any:
    return RUNTIME.load(sim_codegen.host_object(text), table["kernels"][0], table)


def test_two_dimensional_blocks_and_grids_and_scratch_zeroed_every_step() -> None:
    """out[block, y, x] = 100 * ctaid.y + 10 * tid.y + tid.x + scratch (scratch is then set
    to 5, and must read 0 again in the next step)."""
    body = (_sreg("x", "tid.x") + _sreg("y", "tid.y") + _sreg("by", "ctaid.y")
            + _sreg("nx", "ntid.x") + _sreg("ny", "ntid.y") + """\
  %"r" = mul i32 %"y", %"nx"
  %"t" = add i32 %"r", %"x"
  %"bsz" = mul i32 %"nx", %"ny"
  %"base" = mul i32 %"by", %"bsz"
  %"flat" = add i32 %"base", %"t"
  %"i" = zext i32 %"flat" to i64
  %"v0" = mul i32 %"by", 100
  %"y10" = mul i32 %"y", 10
  %"v1" = add i32 %"v0", %"y10"
  %"v2" = add i32 %"v1", %"x"
  %"f" = uitofp i32 %"v2" to float
  %"ps" = getelementptr inbounds float, ptr addrspace(1) %"s", i64 %"i"
  %"old" = load float, ptr addrspace(1) %"ps"
  %"g" = fadd float %"f", %"old"
  %"po" = getelementptr inbounds float, ptr addrspace(1) %"out", i64 %"i"
  store float %"g", ptr addrspace(1) %"po"
  store float 5.0, ptr addrspace(1) %"ps"
""")
    text = _kernel("k_2d", ["s", "out"], body)
    table = _table("k_2d", {"out": 24}, {"mapping": "grid", "grid": (1, 3, 1),
                                         "block": (4, 2, 1), "params": ["s", "out"],
                                         "checks": False}, scratch={"s": 96})
    exe = _load(text, table)
    want = np.array([100 * b + 10 * y + x for b in range(3) for y in range(2)
                     for x in range(4)], np.float32)
    for _ in range(2):
        [out] = exe.run({})
        np.testing.assert_array_equal(out, want)
    assert exe.stats["calls"] == 2 and exe.stats["launches_per_step"] == 1


SHARED = """\
  %"i" = zext i32 %"t" to i64
  %"f" = uitofp i32 %"t" to float
  %"p" = getelementptr inbounds float, ptr addrspace(3) @"dsm", i64 %"i"
  store float %"f", ptr addrspace(3) %"p", align 4
{barrier}  %"u" = add i32 %"t", 1
  %"w" = urem i32 %"u", 64
  %"j" = zext i32 %"w" to i64
  %"q" = getelementptr inbounds float, ptr addrspace(3) @"dsm", i64 %"j"
  %"v" = load float, ptr addrspace(3) %"q", align 4
  %"down" = call float @"llvm.nvvm.shfl.sync.down.f32"(i32 -1, float %"v", i32 1, i32 31)
  %"po" = getelementptr inbounds float, ptr addrspace(1) %"out", i64 %"i"
  store float %"down", ptr addrspace(1) %"po"
"""
SHARED_TAIL = ('@"dsm" = external addrspace(3) global [0 x float], align 4\n'
               'declare void @"llvm.nvvm.barrier0"()\n'
               'declare float @"llvm.nvvm.shfl.sync.down.f32"(i32, float, i32, i32)\n')


def _shared_kernel(barrier: bool) -> tuple[str, dict[str, Any]]:
    """Each thread stores its id into dynamic shared memory, (a barrier,) reads its right
    neighbour's (mod 64), and shuffles that down by one lane."""
    body = _sreg("t", "tid.x") + SHARED.format(
        barrier='  call void @"llvm.nvvm.barrier0"()\n' if barrier else "")
    table = _table("k_shared", {"out": 64}, {"mapping": "block", "grid": (1, 1, 1),
                                             "block": (64, 1, 1), "shared": 256,
                                             "params": ["out"], "checks": False})
    return _kernel("k_shared", ["out"], body, SHARED_TAIL), table


def test_dynamic_shared_floats_barrier_and_float_shuffle() -> None:
    text, table = _shared_kernel(barrier=True)
    [out] = _load(text, table).run({})
    t = np.arange(64)
    neighbour = (t + 1) % 64
    lane = t % 32
    want = np.where(lane < 31, neighbour[np.minimum(t + 1, 63)], neighbour)
    np.testing.assert_array_equal(out, want.astype(np.float32))


def test_a_missing_barrier_is_a_race_naming_the_kernel() -> None:
    text, table = _shared_kernel(barrier=False)
    with pytest.raises(SimulationError, match=re.escape("kernel k_shared: data race on "
                                                        "shared memory")):
        _load(text, table).run({})


def test_a_divergent_barrier_is_reported() -> None:
    body = _sreg("t", "tid.x") + """\
  %"few" = icmp ult i32 %"t", 4
  br i1 %"few", label %"wait", label %"done"
wait:
  call void @"llvm.nvvm.barrier0"()
  br label %"done"
done:
"""
    text = _kernel("k_diverge", ["out"], body, 'declare void @"llvm.nvvm.barrier0"()\n')
    table = _table("k_diverge", {"out": 1}, {"mapping": "block", "grid": (1, 1, 1),
                                             "block": (32, 1, 1), "params": ["out"],
                                             "checks": False})
    with pytest.raises(SimulationError, match="kernel k_diverge: block 0: thread .* waited at "
                                              "a barrier that other threads never reached"):
        _load(text, table).run({})


def test_grid_launches_run_without_os_threads(monkeypatch) -> None:
    g = ir.Graph("ew")
    x = g.add("input", shape=(300, 7), dtype="float32", name="x")
    g.add_output(g.add("mul", [g.add("exp", [x]), x]))
    program = lower_program(g, target=sim_codegen.describe())
    code = sim_codegen.generate(program)
    assert {row["mapping"] for row in code.launches()} == {"grid"}

    def no_threads(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a grid launch started an OS thread")

    monkeypatch.setattr(sim.threading, "Thread", no_threads)
    exe = RUNTIME.load(code.object_code(), code.entry, code.buffer_table)
    feeds = {"x": np.random.default_rng(0).standard_normal((300, 7)).astype(np.float32)}
    [out] = exe.run(feeds)
    np.testing.assert_allclose(out, np.exp(feeds["x"]) * feeds["x"], rtol=1e-6)
    assert [name for name, _ in exe.kernel_times()] == exe.kernels
    assert threading.current_thread() is threading.main_thread()


def test_a_removed_barrier_in_generated_code_is_reported_by_the_runtime() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(1000,), dtype="float32", name="x")
    g.add_output(g.add("sum", [x], axes=(0,), keepdim=False))
    program = lower_program(g, target=sim_codegen.describe())
    code = sim_codegen.generate(program)
    feeds = {"x": np.ones(1000, np.float32)}
    [total] = RUNTIME.load(code, code.entry, code.buffer_table).run(feeds)
    assert float(total) == 1000.0
    barrier = 'call void @"llvm.nvvm.barrier0"()\n'
    code.ir_text = code.ir_text.replace(barrier, "", 1)
    exe = RUNTIME.load(code, code.entry, code.buffer_table)
    with pytest.raises(SimulationError, match=re.escape("kernel k1_sum: data race on shared")):
        exe.run(feeds)


def test_what_the_simulator_does_not_model_is_named() -> None:
    atomic = _kernel("k_atomic", ["out"], '  %"o" = atomicrmw add ptr addrspace(3) @"sm", '
                     'i32 1 monotonic\n', '@"sm" = internal addrspace(3) global [4 x i32] '
                     "undef\n")
    with pytest.raises(NotImplementedError, match="cuda-sim: unsupported shared-memory access"):
        sim_codegen.host_ir(atomic)
    clock = _kernel("k_clock", ["out"], '  %"c" = call i32 @"llvm.nvvm.read.ptx.sreg.laneid"()\n',
                    'declare i32 @"llvm.nvvm.read.ptx.sreg.laneid"()\n')
    with pytest.raises(NotImplementedError, match="does not model: llvm.nvvm.read.ptx.sreg."
                                                  "laneid"):
        sim_codegen.host_ir(clock)
    with pytest.raises(KeyError, match="no launch table"):
        RUNTIME.load(b"", "k", {"buffers": [], "outputs": [], "writes": {}, "errors": {}})
    assert (RUNTIME.get_threads(), RUNTIME.set_threads(4), RUNTIME.library_loaded("x")) == (
        1, 0, False)
