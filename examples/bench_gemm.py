"""GFLOP/s of tk_gemm_f32 (2 threads) vs torch.matmul (torch.set_num_threads(2)) and numpy.

The GEMM measured is the one compiled steps call: the shared library of
:mod:`tenkai.codegen.cpu.library`, whose object code the runtime loads.

    python examples/bench_gemm.py [--repeats 15] [--rounds 3] [--threads 2] [--pause 0.3] [--asm]

Shapes are M x K x N (C[M,N] = A[M,K] @ B[K,N]): a square 1024^3 product and the matmuls of an
MLP training step (batch 64/256, 784 inputs, 128/1024 hidden units), with the operand layouts
the step uses: ``nt`` is the forward ``x @ W.T`` (B read with k contiguous), ``tn`` the weight
gradient ``dy.T @ x`` (A read with m contiguous), ``nn`` the input gradient ``dy @ W``. The
last column is tenkai's median as a share of the machine's measured FMA peak on the same
threads (the kernel ``tenkai bench`` uses). Each round times a block
of back-to-back tenkai calls (warm-up, then >= ``repeats`` calls and >= 0.1 s), pauses, then a
block of torch calls, and pauses again: both libraries' idle threads spin for a while after a
call, so interleaving single calls would make each one compete with the other's spinners.
The table shows the median over all timings and the best round median; on a shared machine
the best round is the better estimate of what the code can do. "other load" is the CPU time
other processes used during the timed blocks, in CPUs (os.times vs /proc/stat): anything
well above 0 means the numbers in that row were taken on a busy host. ``--asm`` prints the
micro-kernel's inner loop so one can check it is FMAs on zmm registers without spills.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import os
import re
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from tenkai.bench import fma_peak
from tenkai.codegen.cpu.gemm import default_config
from tenkai.codegen.cpu.library import library
from tenkai.codegen.cpu.machine import emit_assembly, host_vector_bits
from tenkai.runtime.cpu.jit import load_library

SHAPES = [(1024, 1024, 1024, "nn"), (64, 784, 128, "nt"), (256, 784, 128, "nt"),
          (256, 784, 1024, "nt"), (256, 1024, 1024, "nt"), (256, 1024, 10, "nt"),
          (1024, 256, 784, "tn"), (1024, 256, 1024, "tn"), (256, 1024, 1024, "nn"),
          (256, 1024, 784, "nn"), (256, 10, 1024, "nn")]
I64, PTR = ctypes.c_int64, ctypes.c_void_p


def build_gemm(threads: int) -> tuple[Callable[..., Callable[[], None]], str]:
    """tk_gemm_f32 of the shared library compiled steps call (codegen.cpu.library, loaded by
    the runtime); returns (bind(a, b, c) -> zero-argument call, assembly)."""
    lib = library()
    if lib is None or "tk_gemm_f32" not in lib.functions:
        raise SystemExit("bench_gemm: this installation has no tuned GEMM (codegen/cpu/gemm.py)")
    compiled = load_library(lib.object_code(), lib.symbols, lib.key)
    ctypes.CFUNCTYPE(None, I64)(compiled.address("tk_set_num_threads"))(threads)
    native = ctypes.CFUNCTYPE(None, I64, I64, I64, PTR, I64, I64, PTR, I64, I64, PTR, I64,
                              ctypes.c_int32)(compiled.address("tk_gemm_f32"))

    def bind(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Callable[[], None]:
        (m, k), n, size = a.shape, b.shape[1], a.itemsize
        args = (m, n, k, a.ctypes.data, a.strides[0] // size, a.strides[1] // size,
                b.ctypes.data, b.strides[0] // size, b.strides[1] // size, c.ctypes.data, n, 0)
        return functools.partial(native, *args)

    return bind, emit_assembly(lib.ir_text)


def time_once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def micro_kernel_loop(assembly: str) -> str:
    """The hottest loop of the f32 micro-kernel (the unrolled k loop), up to its back edge."""
    body = assembly.split("tk_gemm_f32_ukernel:", 1)[1].split(".Lfunc_end", 1)[0]
    blocks = re.split(r"\n(?=\.LBB)", body)
    hottest = max(blocks, key=lambda block: block.count("vfmadd"))
    label = hottest.split(":", 1)[0]
    return hottest.split(f"\t{label}", 1)[0].rsplit("\n", 1)[0] + f"\n\t(back edge to {label})"


WARMUP_SECONDS = 0.02
MIN_BLOCK_SECONDS = 0.1


def time_block(fn: Callable[[], object], flops: float, repeats: int) -> list[float]:
    """GFLOP/s of back-to-back calls: after WARMUP_SECONDS of warm-up calls (threads of both
    libraries go to sleep during the pauses and an idle vCPU wakes slowly), at least
    ``repeats`` calls and at least MIN_BLOCK_SECONDS."""
    start = time.perf_counter()
    warmup_calls = 0
    while warmup_calls < 2 or time.perf_counter() - start < WARMUP_SECONDS:
        fn()
        warmup_calls += 1
    per_call = (time.perf_counter() - start) / warmup_calls
    count = max(repeats, int(MIN_BLOCK_SECONDS / per_call))
    return [flops / time_once(fn) / 1e9 for _ in range(count)]


class ForeignLoad:
    """CPU time other processes used while we ran, in CPUs (0 = the host was ours alone)."""

    def __init__(self) -> None:
        self.busy_seconds = 0.0
        self.wall_seconds = 0.0

    @staticmethod
    def _snapshot() -> tuple[float, float, float]:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
        busy_host = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        times = os.times()
        return busy_host, times.user + times.system, time.perf_counter()

    def measure(self, fn: Callable[..., list[float]], *args: object) -> list[float]:
        host0, own0, wall0 = self._snapshot()
        result = fn(*args)
        host1, own1, wall1 = self._snapshot()
        self.busy_seconds += max((host1 - host0) - (own1 - own0), 0.0)
        self.wall_seconds += wall1 - wall0
        return result

    @property
    def cpus(self) -> float:
        return self.busy_seconds / max(self.wall_seconds, 1e-9)


def operands(rng: np.random.Generator, m: int, k: int, n: int, layout: str
             ) -> tuple[np.ndarray, np.ndarray]:
    """A (m x k) and B (k x n) as views with the memory layout ``layout`` names."""
    a = (rng.standard_normal((k, m), dtype=np.float32).T if layout[0] == "t"
         else rng.standard_normal((m, k), dtype=np.float32))
    b = (rng.standard_normal((n, k), dtype=np.float32).T if layout[1] == "t"
         else rng.standard_normal((k, n), dtype=np.float32))
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between blocks")
    parser.add_argument("--asm", action="store_true")
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    gemm, assembly = build_gemm(options.threads)
    cfg = default_config("f32")
    print(f"vector bits {host_vector_bits()}, MR={cfg.mr} NR={cfg.nr} KC={cfg.kc} MC={cfg.mc} "
          f"NC={cfg.nc}, threads={options.threads}")
    if options.asm:
        loop = micro_kernel_loop(assembly)
        print(loop)
        print(f"FMAs in the loop: {loop.count('vfmadd')}, stack accesses: {loop.count('rsp')}")
    peak = fma_peak(options.threads)
    print(f"measured FMA peak on {options.threads} thread(s): {peak:.0f} GFLOP/s")
    header = (f"{'M x K x N':>21} | {'tenkai GF/s':>11} {'best':>7} | {'torch GF/s':>10} "
              f"{'best':>7} | {'numpy':>6}")
    print(header + " | ratio (median, best) | other load | % peak")
    print("-" * (len(header) + 46))
    rng = np.random.default_rng(0)
    for m, k, n, layout in SHAPES:
        a, b = operands(rng, m, k, n, layout)
        c = np.empty((m, n), dtype=np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        run_ours = gemm(a, b, c)
        run_ours()
        np.testing.assert_allclose(c, (ta @ tb).numpy(), rtol=1e-3, atol=1e-3 * np.sqrt(k))
        flops = 2.0 * m * n * k
        ours: list[list[float]] = []
        theirs: list[list[float]] = []
        run_theirs = functools.partial(torch.matmul, ta, tb)
        load = ForeignLoad()
        for _ in range(options.rounds):
            ours.append(load.measure(time_block, run_ours, flops, options.repeats))
            time.sleep(options.pause)
            theirs.append(load.measure(time_block, run_theirs, flops, options.repeats))
            time.sleep(options.pause)
        numpy_best = max(load.measure(time_block, functools.partial(np.matmul, a, b), flops,
                                      options.repeats))
        median_ours = statistics.median(sum(ours, []))
        median_theirs = statistics.median(sum(theirs, []))
        best_ours = max(statistics.median(r) for r in ours)
        best_theirs = max(statistics.median(r) for r in theirs)
        print(f"{f'{m} x {k} x {n} {layout}':>21} | {median_ours:11.1f} {best_ours:7.1f} | "
              f"{median_theirs:10.1f} {best_theirs:7.1f} | {numpy_best:6.1f} | "
              f"{f'{median_ours / median_theirs:.2f}, {best_ours / best_theirs:.2f}':>20} | "
              f"{load.cpus:4.2f} CPUs  | {100 * median_ours / peak:5.0f}%")


if __name__ == "__main__":
    main()
