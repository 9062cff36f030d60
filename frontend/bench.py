"""Training-step benchmarks: one step written once against a torch-like module, run as
tenkai eager, tenkai compiled and (when installed) PyTorch eager, reporting the steady step
time, the first-call (trace + compile) time and the ratio to PyTorch.

``tenkai bench`` (see ``cli.py``) prints one line per workload and mode.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

Step = tuple[Callable[..., Any], tuple[Any, ...]]


@dataclass
class Result:
    workload: str
    mode: str  # "eager", "compiled" or "torch"
    step_ms: float  # median over repeats of the mean step time
    first_ms: float  # the first call (for "compiled": tracing + compilation)
    final_loss: float


def two_layer(torch: ModuleType) -> Step:
    """Seed 002's network with tensors and autograd (N=64, D_in=1000, H=100, D_out=10)."""
    n, d_in, h, d_out = 64, 1000, 100, 10
    torch.manual_seed(0)
    x, y = torch.randn(n, d_in), torch.randn(n, d_out)
    w1 = torch.randn(d_in, h, requires_grad=True)
    w2 = torch.randn(h, d_out, requires_grad=True)
    opt = torch.optim.SGD([w1, w2], lr=1e-6)

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        opt.step()
        return loss
    return step, (x, y)


def _classifier(torch: ModuleType, model: Any, x: Any, classes: int, opt: Any) -> Step:
    y = torch.randint(0, classes, (x.shape[0],))
    F = torch.nn.functional

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step, (x, y)


def _mlp(torch: ModuleType, sizes: tuple[int, ...], batch: int, adam: bool) -> Step:
    nn = torch.nn
    torch.manual_seed(0)
    layers: list[Any] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if adam
           else torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    return _classifier(torch, model, torch.randn(batch, sizes[0]), sizes[-1], opt)


def cnn(torch: ModuleType) -> Step:
    """Conv2d 1->16 3x3, ReLU, MaxPool 2, Conv2d 16->32 3x3, ReLU, MaxPool 2, Linear 1568->10."""
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1568, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return _classifier(torch, model, torch.randn(32, 1, 28, 28), 10, opt)


def overhead(torch: ModuleType) -> Step:
    """A tiny step (Linear(4, 4), batch 8, SGD): measures per-step framework overhead."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return _classifier(torch, model, torch.randn(8, 4), 4, opt)


WORKLOADS: dict[str, Callable[[ModuleType], Step]] = {
    "two_layer": two_layer,
    "mlp": lambda torch: _mlp(torch, (784, 128, 64, 10), 64, adam=False),
    "mlp_large": lambda torch: _mlp(torch, (784, 1024, 1024, 10), 256, adam=True),
    "cnn": cnn,
    "overhead": overhead,
}
MODES = ("eager", "compiled", "torch")


def time_steps(step: Callable[[], Any], steps: int, repeats: int, warmup: int) -> tuple[float, Any]:
    """Median over ``repeats`` of the mean wall time of ``steps`` steps, after ``warmup``."""
    loss = None
    for _ in range(warmup):
        loss = step()
    means = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        means.append((time.perf_counter() - start) / steps)
    return statistics.median(means), loss


def run_one(name: str, mode: str, steps: int, repeats: int, threads: int,
            backend: str = "tenkai") -> Result | None:
    module = _import_backend(mode, threads)
    if module is None:
        return None
    fn, args = WORKLOADS[name](module)
    if mode == "compiled":
        fn = module.compile(fn, backend=backend)
    start = time.perf_counter()
    fn(*args)  # first call: eager warm-up, or trace (+ compile) for compiled
    if mode == "compiled":
        fn(*args)  # an optimizer's first step creates state: the steady trace is the 2nd
    first = time.perf_counter() - start
    seconds, loss = time_steps(lambda: fn(*args), steps, repeats, warmup=max(3, steps // 10))
    return Result(name, mode, seconds * 1e3, first * 1e3, float(loss.item()))


def run(workloads: list[str], modes: list[str], steps: int, repeats: int, threads: int,
        backend: str = "tenkai") -> list[Result]:
    results = []
    for name in workloads:
        for mode in modes:
            r = run_one(name, mode, steps, repeats, threads, backend)
            if r is not None:
                results.append(r)
    return results


def _import_backend(mode: str, threads: int) -> ModuleType | None:
    if mode in ("eager", "compiled"):
        import tenkai

        return tenkai
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def format_results(results: list[Result]) -> str:
    lines = [f"{'workload':<10} {'mode':<9} {'step ms':>9} {'first ms':>10} {'final loss':>12} "
             f"{'vs torch':>9}"]
    torch_ms = {r.workload: r.step_ms for r in results if r.mode == "torch"}
    for r in results:
        ratio = f"{r.step_ms / torch_ms[r.workload]:.2f}x" if r.workload in torch_ms else "-"
        lines.append(f"{r.workload:<10} {r.mode:<9} {r.step_ms:>9.3f} {r.first_ms:>10.1f} "
                     f"{r.final_loss:>12.5g} {ratio:>9}")
    return "\n".join(lines)
