"""GFLOP/s of tenkai's float32 GEMM on the GPU vs torch.matmul on the same GPU (issue #10's
goal: at least 50% of torch.matmul's throughput at 4096 x 4096 x 4096).

    python examples/bench_gemm_cuda.py [--size 4096] [--repeats 20] [--precision highest|high]

tenkai's product is the eager ``a @ b`` of two cuda tensors: one tiled-GEMM kernel generated
for the cuda target (codegen/nvptx/gemm.py), compiled once and cached. Both libraries are timed
the same way: ``repeats`` back-to-back products after a warm-up, between two synchronizes
(launches are asynchronous, so Python's dispatch overlaps the previous product). The result is
checked against torch.matmul's (float64 reference on the CPU for small sizes). ``--precision
high`` lets both use TF32 tensor cores (``set_float32_matmul_precision("high")``); the default
is exact float32 in both. Exits 1 with a message when there is no GPU, 2 when the product is
wrong.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def time_products(matmul: Callable[[], Any], sync: Callable[[], None], repeats: int) -> float:
    """Seconds per product: ``repeats`` back-to-back calls between two synchronizes (best
    of three blocks)."""
    for _ in range(2):
        matmul()
    sync()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            matmul()
        sync()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def tenkai_gemm(a: np.ndarray, b: np.ndarray, repeats: int) -> tuple[float, np.ndarray]:
    """(seconds per product, the product) of tenkai's eager ``a @ b`` on cuda tensors."""
    import tenkai

    x, y = tenkai.from_numpy(a).cuda(), tenkai.from_numpy(b).cuda()
    out = x @ y  # the first call generates and loads the kernel
    seconds = time_products(lambda: x @ y, tenkai.cuda.synchronize, repeats)
    return seconds, out.cpu().numpy()


def torch_gemm(a: np.ndarray, b: np.ndarray, repeats: int) -> tuple[float, np.ndarray]:
    import torch

    x, y = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    out = torch.matmul(x, y)
    seconds = time_products(lambda: torch.matmul(x, y), torch.cuda.synchronize, repeats)
    return seconds, out.cpu().numpy()


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=4096, help="M = K = N")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--precision", default="highest", choices=["highest", "high"])
    p.add_argument("--no-torch", action="store_true", help="time tenkai alone")
    args = p.parse_args(argv)
    import tenkai

    if not tenkai.cuda.is_available():
        print("bench_gemm_cuda: FAIL: no CUDA GPU (tenkai.cuda.is_available() is False)",
              file=sys.stderr)
        return 1
    tenkai.set_float32_matmul_precision(args.precision)
    n = args.size
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    flop = 2.0 * n**3
    t_tk, c_tk = tenkai_gemm(a, b, args.repeats)
    tol = 1e-2 if args.precision == "high" else 1e-4
    print(f"GEMM float32 {n}x{n}x{n} on {tenkai.cuda.get_device_name()} "
          f"(precision {args.precision})")
    print(f"  tenkai       {t_tk * 1e3:9.3f} ms  {flop / t_tk / 1e9:10.1f} GFLOP/s")
    if args.no_torch:
        want = a.astype(np.float64) @ b.astype(np.float64)
    else:
        import torch

        if not torch.cuda.is_available():
            print("bench_gemm_cuda: FAIL: PyTorch has no CUDA device (use --no-torch)",
                  file=sys.stderr)
            return 1
        torch.set_float32_matmul_precision(args.precision)
        t_pt, want = torch_gemm(a, b, args.repeats)
        ratio = t_pt / t_tk
        print(f"  torch.matmul {t_pt * 1e3:9.3f} ms  {flop / t_pt / 1e9:10.1f} GFLOP/s")
        print(f"  tenkai / torch throughput: {ratio:.3f} "
              f"({'meets' if ratio >= 0.5 else 'below'} the 0.5 goal)")
    err = relative_error(c_tk, want)
    print(f"  max error relative to max |C|: {err:.2e} (tolerance {tol:g})")
    if not err <= tol:
        print("bench_gemm_cuda: FAIL: tenkai's product differs", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
