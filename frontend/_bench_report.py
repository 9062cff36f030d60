"""What ``tenkai bench`` prints and writes: the results table (ratios to tenkai compiled and
to PyTorch eager), the loss-trajectory check, the per-kernel table, JSON and the matplotlib
plot, and tqdm progress bars (when tqdm is installed and stderr is a terminal)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ._bench_memory import megabytes
from .compiler.backend import COMPILE_PROGRESS

COMPILE_STAGES = ("simplify", "fuse", "recompute", "plan_memory", "lower", "llvm_emit",
                  "library", "jit")
# loss trajectories agree when |a - b| <= ATOL + RTOL * |b| at every recorded step
RTOL, ATOL = 1e-3, 1e-6


def format_results(results: list[Any]) -> str:
    w = max([10, *(len(r.workload) for r in results)])
    lines = [f"{'workload':<{w}} {'mode':<13} {'step ms':>9} {'spread':>8} {'first ms':>10} "
             f"{'final loss':>12} {'vs compiled':>11} {'vs torch':>9} {'kernels':>7} "
             f"{'step MB':>8}"]
    compiled = {r.workload: r.step_ms for r in results if r.mode == "compiled"}
    torch_ms = {r.workload: r.step_ms for r in results if r.mode == "torch"}
    for r in results:
        vc = f"{r.step_ms / compiled[r.workload]:.2f}x" if r.workload in compiled else "-"
        vt = f"{r.step_ms / torch_ms[r.workload]:.2f}x" if r.workload in torch_ms else "-"
        lines.append(f"{r.workload:<{w}} {r.mode:<13} {r.step_ms:>9.3f} {r.spread_ms:>8.3f} "
                     f"{r.first_ms:>10.1f} {r.final_loss:>12.5g} {vc:>11} {vt:>9} "
                     f"{'-' if r.kernels is None else r.kernels:>7} {_megabytes(r):>8}")
    return "\n".join(lines)


def _megabytes(r: Any) -> str:
    step_bytes = getattr(r, "step_bytes", None)
    return "-" if step_bytes is None else f"{step_bytes / 1e6:.4f}"


def step_lines(r: Any, results: list[Any]) -> list[str]:
    """The compiled step as a whole: achieved GFLOP/s as a share of the machine's measured FMA
    peak, and its step memory next to PyTorch eager's (see tenkai._bench_memory)."""
    out = []
    fma_gflops = r.fma_peak_gflops
    if r.step_gflop and fma_gflops:
        achieved = r.step_gflop / (r.step_ms / 1e3)
        out.append(f"  whole step: {r.step_gflop:.4g} GFLOP in {r.step_ms:.3f} ms = "
                   f"{achieved:.1f} GFLOP/s, {100 * achieved / fma_gflops:.0f}% of this "
                   f"machine's measured FMA peak ({fma_gflops:.0f} GFLOP/s)")
    torch_run = next((t for t in results if t.workload == r.workload and t.mode == "torch"),
                     None)
    if r.step_bytes is not None:
        line = f"  step memory: {megabytes(r.step_bytes)}"
        if torch_run is not None and torch_run.step_bytes:
            line += (f" = {r.step_bytes / torch_run.step_bytes:.2f}x PyTorch eager's "
                     f"{megabytes(torch_run.step_bytes)}")
        out.append(line + " (beyond parameters, optimizer state and inputs)")
    return out


def check_trajectories(results: list[Any]) -> list[str]:
    """One line per run compared with tenkai compiled's losses: ``ok`` or ``FAIL`` naming the
    first step where they differ beyond float32 rounding."""
    lines = []
    ref = {r.workload: r for r in results if r.mode == "compiled"}
    for r in results:
        base = ref.get(r.workload)
        if base is None or r is base:
            continue
        n = min(len(r.losses), len(base.losses))
        a, b = np.array(r.losses[:n]), np.array(base.losses[:n])
        bad = np.nonzero(~(np.abs(a - b) <= ATOL + RTOL * np.abs(b)))[0]
        if len(bad):
            k = int(bad[0])
            lines.append(f"FAIL {r.workload} {r.mode}: loss diverges from tenkai compiled at "
                         f"step {k}: {a[k]:.7g} vs {b[k]:.7g} (rtol {RTOL})")
        else:
            lines.append(f"ok   {r.workload} {r.mode}: {n} losses match tenkai compiled "
                         f"(rtol {RTOL})")
    return lines


def format_kernels(results: list[Any], top: int = 12) -> str:
    """The per-kernel table of each native compiled run (the slowest ``top`` kernels), after
    the whole step's GFLOP/s share of the measured FMA peak and its memory next to PyTorch's."""
    out = []
    for r in results:
        if not r.kernel_table:
            continue
        compile_s = sum(r.compile_ms.values()) / 1e3
        arena = "-" if r.arena_bytes is None else f"{r.arena_bytes:,} B"
        out.append(f"{r.workload}: {r.kernels} kernels/step, retraces {r.retraces}, planned "
                   f"arena {arena}, process peak RSS {r.peak_rss_mb:.0f} MB, compile stages "
                   f"{compile_s:.2f} s")
        out += step_lines(r, results)
        if r.compile_ms:  # where the compile went: passes, LLVM, the support library, JIT
            out.append("  compile phases: " + ", ".join(
                f"{k} {v:.0f} ms" for k, v in r.compile_ms.items() if v >= 0.5))
        out.append(f"  {'kernel':<34} {'us':>9} {'share':>6} {'GFLOP/s':>8} {'GB/s':>7} "
                   f"{'%peak':>6}  ops")
        rows = sorted(r.kernel_table, key=lambda k: -k["us"])
        for k in rows[:top]:
            out.append(f"  {k['name'][:34]:<34} {k['us']:>9.1f} {100 * k['share']:>5.1f}% "
                       f"{k['gflops']:>8.2f} {k['gbs']:>7.2f} {_pct(k['peak_pct'])}  "
                       f"{','.join(k['ops'])[:40]}")
        if len(rows) > top:
            out.append(f"  ... {len(rows) - top} more kernels")
    return "\n".join(out)


def _pct(value: float | None) -> str:
    return "     -" if value is None else f"{value:>5.0f}%"


def write_json(path: str, results: list[Any], skipped: list[str], checks: list[str],
               extra: dict[str, Any]) -> None:
    data = {"results": [dataclasses.asdict(r) for r in results], "skipped": skipped,
            "trajectory_checks": checks, **extra}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def plot(path: str, results: list[Any]) -> None:
    """Loss curves of every run and a bar chart of the median step times, one PNG/SVG/PDF."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("tenkai bench --plot needs matplotlib: pip install 'tenkai[plot]' "
                          "(or pip install matplotlib)") from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({r.workload for r in results})
    fig, axes = plt.subplots(len(names), 2, figsize=(11, 3.4 * len(names)), squeeze=False)
    for row, name in enumerate(names):
        runs = [r for r in results if r.workload == name]
        ax = axes[row][0]
        for r in runs:
            ax.plot(range(len(r.losses)), r.losses, marker="o", markersize=3, label=r.mode)
        ax.set(title=f"{name}: loss", xlabel="step", ylabel="loss")
        ax.legend(fontsize=8)
        bars = axes[row][1]
        bars.bar([r.mode for r in runs], [r.step_ms for r in runs], color="#6fa8dc",
                 yerr=[[r.step_ms - r.p10_ms for r in runs], [r.p90_ms - r.step_ms for r in runs]])
        bars.set(title=f"{name}: median step time (p10-p90)", ylabel="ms", yscale="log")
        bars.tick_params(axis="x", labelsize=8, rotation=20)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@contextlib.contextmanager
def compile_progress(label: str, enabled: bool) -> Iterator[None]:
    """A tqdm bar over the compile stages (passes, lowering, JIT) of compiles inside."""
    if not enabled:
        yield
        return
    from tqdm import tqdm

    bar = tqdm(total=len(COMPILE_STAGES), desc=f"compile {label}", unit="stage", leave=False,
               file=sys.stderr)

    def tick(stage: str) -> None:
        bar.set_postfix_str(stage)
        bar.update(1 if bar.n < bar.total else 0)
    COMPILE_PROGRESS.append(tick)
    try:
        yield
    finally:
        COMPILE_PROGRESS.remove(tick)
        bar.close()


def progress_factory(quiet: bool, steps: int, repeats: int) -> Callable[..., Any] | None:
    """A ``progress(workload, mode)`` -> ``update(n, loss)`` factory drawing tqdm bars, or
    None when quiet, when stderr is not a terminal, or when tqdm is not installed."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def start(workload: str, mode: str) -> Callable[[int, float], None]:
        bar = tqdm(total=steps * repeats, desc=f"{workload} {mode}", unit="step",
                   leave=False, file=sys.stderr)

        def update(n: int, loss: float) -> None:
            bar.update(n)
            bar.set_postfix(loss=f"{loss:.4g}")
            if bar.n >= bar.total:
                bar.close()
        return update
    return start
