"""``tenkai bench --eager-ops``: eager small-op dispatch against PyTorch eager, op by op.

Each case builds its inputs once per library and size, then times one call of the op (the
best of ``repeats`` runs of an adaptive number of calls, so a fast op is called often enough
to be measured), side by side in one process with the same thread count. The table gives
CPU microseconds per call (``time.process_time``, as ``--suite api``: on a shared machine wall
time mostly measures the other processes, and a pool spinning on a busy core is charged to the
library that spins) and the ratio tenkai/PyTorch (issue #14's goal: every row within 1.5x).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SIZES = (1, 100, 10_000, 1_000_000)


@dataclass
class Case:
    name: str
    make: Callable[[Any, int], Callable[[], Any]]  # (library, size) -> the timed call
    sized: bool = True  # run at every size (else once, size shown as "-")


def _vec(lib: Any, n: int, requires_grad: bool = False) -> Any:
    data = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    return lib.tensor(data, requires_grad=requires_grad)


def _backward(lib: Any, n: int) -> Callable[[], Any]:
    w = _vec(lib, n, True)
    x = _vec(lib, n)

    def run() -> None:
        ((w * x).tanh().sum()).backward()
    return run


def _matmul(lib: Any, n: int) -> Callable[[], Any]:
    side = max(1, int(round(n ** 0.5)))
    a = lib.tensor(np.random.default_rng(1).standard_normal((side, side)).astype(np.float32))
    return lambda: a @ a


CASES = [
    Case("add", lambda lib, n: (lambda x, y: lambda: x + y)(_vec(lib, n), _vec(lib, n))),
    Case("mul scalar", lambda lib, n: (lambda x: lambda: x * 2.0)(_vec(lib, n))),
    Case("exp", lambda lib, n: (lambda x: lambda: x.exp())(_vec(lib, n))),
    Case("relu", lambda lib, n: (lambda x: lambda: lib.relu(x))(_vec(lib, n))),
    Case("sum", lambda lib, n: (lambda x: lambda: x.sum())(_vec(lib, n))),
    Case("max", lambda lib, n: (lambda x: lambda: x.max())(_vec(lib, n))),
    Case("x[3]", lambda lib, n: (lambda x: lambda: x[3])(_vec(lib, 32)), False),
    Case("x[1:5]", lambda lib, n: (lambda x: lambda: x[1:5])(_vec(lib, 32)), False),
    Case("x[idx]", lambda lib, n: (lambda x, i: lambda: x[i])(
        _vec(lib, max(n, 2)), lib.tensor(np.arange(min(n, 64)) % max(n, 2)))),
    Case("stack 32", lambda lib, n: (lambda ts: lambda: lib.stack(ts))(
        [_vec(lib, 4) for _ in range(32)]), False),
    Case("cat 2", lambda lib, n: (lambda x: lambda: lib.cat([x, x]))(_vec(lib, n))),
    Case("zeros", lambda lib, n: lambda: lib.zeros(n)),
    Case("arange", lambda lib, n: lambda: lib.arange(n)),
    Case("randn", lambda lib, n: lambda: lib.randn(n)),
    Case("randint", lambda lib, n: lambda: lib.randint(0, 10, (n,))),
    Case("item", lambda lib, n: (lambda x: lambda: x.item())(_vec(lib, 1)), False),
    Case("iterate 32", lambda lib, n: (lambda x: lambda: list(x))(_vec(lib, 32)), False),
    Case("matmul", _matmul),
    Case("backward", _backward),
]


def _time(call: Callable[[], Any], repeats: int, budget: float,
          clock: Callable[[], float] = time.perf_counter) -> float:
    """Microseconds per call: the best of ``repeats`` runs of ``loops`` calls each."""
    call()  # warm-up (first-use work: caches, imports)
    loops, start = 1, clock()
    call()
    one = max(clock() - start, 1e-7)
    loops = max(1, min(100_000, int(budget / one)))
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        for _ in range(loops):
            call()
        best = min(best, (clock() - start) / loops)
    return best * 1e6


def run(sizes: tuple[int, ...] = SIZES, repeats: int = 5, budget: float = 0.02,
        threads: int = 2, only: list[str] | None = None) -> list[dict[str, Any]]:
    """Time every case (``only``: those names) for tenkai and, when installed, PyTorch."""
    libs = _libs(threads)
    rows = []
    for case in CASES:
        if only and case.name not in only:
            continue
        for n in (sizes if case.sized else (0,)):
            row: dict[str, Any] = {"op": case.name, "size": n if case.sized else None}
            for label, lib in libs.items():
                row[label] = _time(case.make(lib, n), repeats, budget, time.process_time)
            if "torch" in row:
                row["ratio"] = row["tenkai"] / row["torch"]
            rows.append(row)
    return rows


def format_rows(rows: list[dict[str, Any]], goal: float = 1.5) -> str:
    lines = [f"{'op':<12} {'size':>9} {'tenkai us':>11} {'torch us':>10} {'ratio':>7}"]
    for r in rows:
        size = "-" if r["size"] is None else f"{r['size']:,}"
        torch_us = f"{r['torch']:.2f}" if "torch" in r else "n/a"
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else "n/a"
        flag = "" if "ratio" not in r or r["ratio"] <= goal else "  over goal"
        lines.append(f"{r['op']:<12} {size:>9} {r['tenkai']:>11.2f} {torch_us:>10} "
                     f"{ratio:>7}{flag}")
    compared = [r for r in rows if "ratio" in r]
    if compared:
        within = sum(r["ratio"] <= goal for r in compared)
        ratios = np.array([r["ratio"] for r in compared])
        lines.append(f"{within}/{len(compared)} within {goal}x of PyTorch eager; geometric "
                     f"mean ratio {float(np.exp(np.log(ratios).mean())):.2f}x")
    lines.append("(CPU microseconds per call, time.process_time; best of the repeats)")
    return "\n".join(lines)


def _libs(threads: int) -> dict[str, Any]:
    import tenkai

    libs: dict[str, Any] = {"tenkai": tenkai}
    try:
        import torch

        torch.set_num_threads(threads)
        libs["torch"] = torch
    except ImportError:
        pass
    tenkai.set_num_threads(threads)
    return libs


def run_api(repeats: int = 5, budget: float = 0.02, threads: int = 2,
            only: list[str] | None = None) -> list[dict[str, Any]]:
    """The ``--suite api`` rows (``_bench_eager_api``): each op at a small and a medium size,
    forward and, for trained ops, forward + backward; a failing op is reported, not fatal.

    Times are the process's CPU time per call (``time.process_time``): on a shared machine
    wall time mostly measures the other processes; with one thread (``--threads 1``) CPU time
    is what the call costs, in both libraries alike."""
    from . import _bench_eager_api as api

    libs = _libs(threads)
    rows = []
    for case, size, backward in api.rows_to_time(only):
        row: dict[str, Any] = {"op": case.name + (" bwd" if backward else ""), "size": size}
        for label, lib in libs.items():
            try:
                row[label] = _time(api.make_call(case, lib, size, backward), repeats, budget,
                                   time.process_time)
            except Exception as err:  # noqa: BLE001  (the table reports it)
                row[f"{label}_error"] = f"{type(err).__name__}: {str(err)[:60]}"
        if "tenkai" in row and "torch" in row:
            row["ratio"] = row["tenkai"] / row["torch"]
        rows.append(row)
    return rows


def format_api_rows(rows: list[dict[str, Any]], goal: float = 2.0) -> str:
    lines = ["CPU microseconds per call (time.process_time), best of the repeats",
             f"{'op':<32} {'size':>7} {'tenkai us':>11} {'torch us':>10} {'ratio':>8}"]
    for r in rows:
        cells = [f"{r[k]:.1f}" if k in r else "error" for k in ("tenkai", "torch")]
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else "n/a"
        flag = "  over goal" if r.get("ratio", 0) > goal else ""
        errors = [r[k] for k in ("tenkai_error", "torch_error") if k in r]
        lines.append(f"{r['op']:<32} {r['size']:>7} {cells[0]:>11} {cells[1]:>10} {ratio:>8}"
                     f"{flag}{'  ' + '; '.join(errors) if errors else ''}")
    for size in ("small", "medium", None):
        part = [r for r in rows if "ratio" in r and size in (None, r["size"])]
        if part:
            ratios = np.array([r["ratio"] for r in part])
            lines.append(f"{size or 'all'}: {int((ratios <= goal).sum())}/{len(part)} within "
                         f"{goal}x of PyTorch eager; geometric mean ratio "
                         f"{float(np.exp(np.log(ratios).mean())):.2f}x")
    failed = [r["op"] + " " + r["size"] for r in rows if "tenkai_error" in r]
    if failed:
        lines.append(f"{len(failed)} failed in tenkai: {', '.join(failed)}")
    return "\n".join(lines)


def _main_api(args: Any, only: list[str] | None) -> int:
    from . import _bench_eager_api as api

    if only:
        unknown = set(only) - {c.name for c in api.CASES}
        if unknown:
            print(f"tenkai bench --eager-ops --suite api: unknown op(s) {sorted(unknown)}; "
                  f"choose from {[c.name for c in api.CASES]}")
            return 2
    rows = run_api(args.repeats, 0.02, args.threads, only)
    print(format_api_rows(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"eager_ops_api": rows, "threads": args.threads}, f, indent=1)
        print(f"wrote {args.json}")
    return 0


def main(args: Any) -> int:
    if getattr(args, "suite", "ops") == "api":
        return _main_api(args, [o.strip() for o in args.ops.split(",")] if args.ops else None)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else SIZES
    only = [o.strip() for o in args.ops.split(",")] if args.ops else None
    if only:
        unknown = set(only) - {c.name for c in CASES}
        if unknown:
            print(f"tenkai bench --eager-ops: unknown op(s) {sorted(unknown)}; choose from "
                  f"{[c.name for c in CASES]}")
            return 2
    rows = run(sizes, args.repeats, 0.02, args.threads, only)
    print(format_rows(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"eager_ops": rows, "threads": args.threads}, f, indent=1)
        print(f"wrote {args.json}")
    return 0
