"""tenkai bench's step-memory and whole-step FLOP figures measure what they say."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai import _bench_memory, _bench_report, bench
from tenkai.codegen.cpu import fma_peak


def test_traced_step_bytes_sees_a_numpy_temporary() -> None:
    def step() -> None:
        a = np.ones(1_000_000, dtype=np.float32)  # 4 MB, freed before the call returns
        del a

    assert 4_000_000 <= _bench_memory.traced_step_bytes(step) < 4_200_000
    assert _bench_memory.traced_step_bytes(lambda: None) < 10_000


def test_torch_step_bytes_is_the_allocators_peak() -> None:
    torch = pytest.importorskip("torch")

    def step() -> None:
        a = torch.ones(250_000)  # 1 MB
        b = torch.ones(500_000)  # 2 MB, both alive: the peak is 3 MB
        del a, b

    assert 3_000_000 <= _bench_memory.torch_step_bytes(step) < 3_100_000


def test_compiled_step_memory_counts_its_arena_buffers_and_grads() -> None:
    step, args = bench.overhead(tenkai)
    compiled = tenkai.compile(step)
    for _ in range(3):
        compiled(*args)
    exe = compiled.steps[0].program.executable
    params = list(bench.optimizer_of(step).param_groups[0]["params"])
    held = _bench_memory.held_bytes(exe)
    assert held >= exe.arena.size and held == exe.arena.size + sum(
        s.nbytes for s in exe.specs if s.role not in ("input", "param", "scratch"))
    grads = _bench_memory.grad_bytes(params)
    assert grads == (16 + 4) * 4  # Linear(4, 4): weight and bias gradients, float32
    total = _bench_memory.tenkai_step_bytes("compiled", lambda: compiled(*args), params,
                                            compiled)
    assert total >= held + grads


def test_fma_peak_kernel_is_generated_and_runs() -> None:
    text = fma_peak.module_ir()
    assert text.count("call <") == fma_peak.CHAINS  # one FMA per chain per iteration
    assert fma_peak.flops_per_iteration() == 2 * fma_peak.CHAINS * fma_peak.lanes()
    assert bench.fma_peak(1) > 1.0  # GFLOP/s; a real measurement, so only a sanity bound


def test_report_prints_whole_step_and_memory_lines() -> None:
    compiled = bench.Result("w", "compiled", 2.0, 1.0, 0.5, kernels=1, step_bytes=3_000_000,
                            step_gflop=0.2, fma_peak_gflops=200.0,
                            kernel_table=[{"name": "k0", "ops": ["matmul"], "us": 1900.0,
                                           "share": 1.0, "gflops": 105.0, "gbs": 1.0,
                                           "peak_pct": 50.0}])
    torch_run = bench.Result("w", "torch", 4.0, 1.0, 0.5, step_bytes=6_000_000)
    text = _bench_report.format_kernels([compiled, torch_run])
    assert "0.2 GFLOP in 2.000 ms = 100.0 GFLOP/s, 50% of this machine's measured FMA peak" \
        in text
    assert "step memory: 3.000 MB = 0.50x PyTorch eager's 6.000 MB" in text
    table = _bench_report.format_results([compiled, torch_run])
    assert table.splitlines()[0].endswith("step MB") and "3.0000" in table
