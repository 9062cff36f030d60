"""Training-step benchmarks: the same step written once against a torch-like module, run on
tenkai eager and (when installed) PyTorch eager, reporting the steady-state step time.

``tenkai bench`` (see ``cli.py``) prints one line per workload and backend plus the ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass
class Result:
    workload: str
    backend: str
    step_ms: float  # median over repeats of the mean step time
    final_loss: float


def _two_layer(torch: ModuleType) -> Callable[[], float]:
    """Seed 002's network with tensors and autograd (N=64, D_in=1000, H=100, D_out=10)."""
    n, d_in, h, d_out = 64, 1000, 100, 10
    torch.manual_seed(0)
    x, y = torch.randn(n, d_in), torch.randn(n, d_out)
    w1 = torch.randn(d_in, h, requires_grad=True)
    w2 = torch.randn(h, d_out, requires_grad=True)

    def step() -> float:
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w1.sub_(1e-6 * w1.grad)
            w2.sub_(1e-6 * w2.grad)
            w1.grad.zero_()
            w2.grad.zero_()
        return loss
    return step


def _mlp(torch: ModuleType, sizes: tuple[int, ...], batch: int, optimizer: str) -> Callable:
    """An MNIST-shaped MLP with cross-entropy and an optimizer from ``torch.optim``."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    layers: list[Any] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = (torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=1e-3))
    x = torch.randn(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


WORKLOADS: dict[str, Callable[[ModuleType], Callable[[], Any]]] = {
    "two_layer": _two_layer,
    "mlp": lambda torch: _mlp(torch, (784, 128, 64, 10), 64, "sgd"),
    "mlp_large": lambda torch: _mlp(torch, (784, 1024, 1024, 10), 256, "adam"),
}


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


def run(workloads: list[str], backends: list[str], steps: int, repeats: int,
        threads: int) -> list[Result]:
    results = []
    for name in workloads:
        for backend in backends:
            module = _import_backend(backend, threads)
            if module is None:
                continue
            step = WORKLOADS[name](module)
            seconds, loss = time_steps(step, steps, repeats, warmup=max(3, steps // 10))
            results.append(Result(name, backend, seconds * 1e3, float(loss.item())))
    return results


def _import_backend(backend: str, threads: int) -> ModuleType | None:
    if backend == "tenkai":
        import tenkai

        return tenkai
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def format_results(results: list[Result]) -> str:
    lines = [f"{'workload':<12} {'backend':<8} {'step ms':>9} {'final loss':>12} {'vs torch':>9}"]
    torch_ms = {r.workload: r.step_ms for r in results if r.backend == "torch"}
    for r in results:
        ratio = f"{r.step_ms / torch_ms[r.workload]:.2f}x" if r.workload in torch_ms else "-"
        lines.append(f"{r.workload:<12} {r.backend:<8} {r.step_ms:>9.3f} {r.final_loss:>12.5g} "
                     f"{ratio:>9}")
    return "\n".join(lines)
