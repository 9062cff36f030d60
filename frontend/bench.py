"""Training-step benchmarks users can trust: one step written once against a torch-like module,
run from the same initial state as tenkai compiled, tenkai eager and whatever else is installed
(PyTorch eager, ``torch.compile``, numpy by hand, JAX ``jit``), reporting

* the first call (trace + compile) apart from the steady step time (median and spread over
  timed steps after warm-up), kernels per step, planned and measured peak memory, retraces;
* the loss trajectory of every run, compared with tenkai compiled's, so a fast wrong answer
  shows up as a FAIL line;
* a per-kernel table for the native compiled step (share of the step, GFLOP/s, GB/s, percent
  of the machine's measured peak).

``tenkai bench`` (see ``cli.py``) drives it; ``_bench_report.py`` prints, plots and writes JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from . import _bench_memory, _bench_others, _bench_report

Step = tuple[Callable[..., Any], tuple[Any, ...]]


class Unavailable(Exception):
    """A mode or workload that cannot run here (a missing package, no such version)."""


@dataclass
class Result:
    workload: str
    mode: str  # eager | compiled | torch | torch-compile | numpy | jax
    step_ms: float  # median time of one steady step
    first_ms: float  # the first call(s) (for compiled: tracing + compilation)
    final_loss: float
    spread_ms: float = 0.0  # p90 - p10 of the timed steps
    p10_ms: float = 0.0
    p90_ms: float = 0.0
    losses: list[float] = field(default_factory=list)  # the first steps' trajectory
    kernels: int | None = None
    kernel_table: list[dict[str, Any]] = field(default_factory=list)
    retraces: int | None = None
    arena_bytes: int | None = None
    compile_ms: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    step_bytes: int | None = None  # peak memory of one steady step (see _bench_memory)
    step_gflop: float | None = None  # floating-point work of one step (compiled: its kernels)
    fma_peak_gflops: float | None = None  # the machine's measured FMA peak on the step's threads


def two_layer(torch: ModuleType, batch: int | None = None) -> Step:
    """Seed 002's network with tensors and autograd (N=64, D_in=1000, H=100, D_out=10)."""
    n, d_in, h, d_out = batch or 64, 1000, 100, 10
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


def _classifier(torch: ModuleType, model: Any, x: Any, classes: int, opt: Any,
                y: Any = None) -> Step:
    y = torch.randint(0, classes, (x.shape[0],)) if y is None else y
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


def one_neuron(torch: ModuleType, batch: int | None = None) -> Step:
    """Seed 004's one-neuron model: Linear(2, 1) + Tanh, MSE loss, SGD."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Tanh())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(batch or 4, 2)
    y = torch.randn(batch or 4, 1)

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step, (x, y)


def cnn(torch: ModuleType, batch: int | None = None) -> Step:
    """Conv2d 1->16 3x3, ReLU, MaxPool 2, Conv2d 16->32 3x3, ReLU, MaxPool 2, Linear 1568->10."""
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1568, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return _classifier(torch, model, torch.randn(batch or 32, 1, 28, 28), 10, opt)


def cnn_bn(torch: ModuleType, batch: int | None = None) -> Step:
    """Conv2d 1->8 3x3, BatchNorm2d, ReLU, MaxPool 2, Flatten, Linear 1352->10 (seed CNN with
    BatchNorm; the running statistics are state the step updates)."""
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 13 * 13, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _classifier(torch, model, torch.randn(batch or 32, 1, 28, 28), 10, opt)


def overhead(torch: ModuleType, batch: int | None = None) -> Step:
    """A tiny step (Linear(4, 4), batch 8, SGD): measures per-step framework overhead."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    return _classifier(torch, model, torch.randn(batch or 8, 4), 4, opt)


def digits(torch: ModuleType, batch: int | None = None) -> Step:
    """The UCI digits classifier (64 -> 64 -> 10 MLP, Adam) on the real scikit-learn data."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise Unavailable("needs scikit-learn (pip install 'tenkai[digits]')") from err
    data = load_digits()
    n = batch or 256
    x = torch.tensor((data.data[:n] / 16.0).astype(np.float32))
    y = torch.tensor(data.target[:n].astype(np.int64))
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return _classifier(torch, model, x, 10, opt, y)


WORKLOADS: dict[str, Callable[..., Step]] = {
    "two_layer": two_layer,
    "one_neuron": one_neuron,
    "mlp": lambda torch, batch=None: _mlp(torch, (784, 128, 64, 10), batch or 64, adam=False),
    "mlp_large": lambda torch, batch=None: _mlp(torch, (784, 1024, 1024, 10), batch or 256,
                                                adam=True),
    "cnn": cnn,
    "cnn_bn": cnn_bn,
    "digits": digits,
    "overhead": overhead,
}
DESCRIPTIONS = {"two_layer": "seed 002 two-layer net, 64x1000 -> 100 -> 10, SGD",
                "one_neuron": "seed 004 one neuron, Linear(2,1)+Tanh, MSE, SGD",
                "mlp": "MNIST-shaped MLP 784-128-64-10, batch 64, SGD momentum",
                "mlp_large": "wide MLP 784-1024-1024-10, batch 256, Adam",
                "cnn": "seed CNN: 2x(Conv2d, ReLU, MaxPool2d), Linear, batch 32",
                "cnn_bn": "CNN with BatchNorm2d and MaxPool2d, batch 32",
                "digits": "UCI digits MLP on real data (needs scikit-learn), Adam",
                "overhead": "Linear(4,4), batch 8: per-step framework overhead"}
MODES = ("eager", "compiled", "torch", "torch-compile", "numpy", "jax")
DEFAULT_MODES = ("eager", "compiled", "torch")


def optimizer_of(step: Callable[..., Any]) -> Any:
    """The optimizer a workload's step closes over (its parameters are the model's state)."""
    for cell in step.__closure__ or ():
        value = cell.cell_contents
        if hasattr(value, "param_groups") and hasattr(value, "zero_grad"):
            return value
    raise LookupError(f"no optimizer in the closure of {step.__name__}")


def state_of(step: Callable[..., Any], args: tuple[Any, ...]) -> list[Any]:
    """The tensors that make two runs start alike: every parameter, then the arguments."""
    opt = optimizer_of(step)
    return [p for group in opt.param_groups for p in group["params"]] + list(args)


def snapshot(tensors: list[Any]) -> list[np.ndarray]:
    return [np.array(t.detach().numpy(), copy=True) for t in tensors]


def load_state(torch: ModuleType, tensors: list[Any], arrays: list[np.ndarray]) -> None:
    """Copy ``arrays`` into the framework's tensors (shapes must agree)."""
    if len(tensors) != len(arrays):
        raise RuntimeError(f"bench: the workload has {len(tensors)} state tensors here and "
                           f"{len(arrays)} in the reference run")
    with torch.no_grad():
        for t, a in zip(tensors, arrays, strict=True):
            if tuple(t.shape) != a.shape:
                raise RuntimeError(f"bench: state shapes differ: {tuple(t.shape)} vs {a.shape}")
            t.copy_(torch.from_numpy(np.array(a, copy=True)))


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


@dataclass
class Plan:
    """How many steps each run takes: ``trajectory`` steps recorded one by one (after the
    first calls), then ``repeats`` timed blocks of ``steps`` steps."""

    steps: int = 100
    repeats: int = 5
    trajectory: int = 10
    threads: int = 2
    backend: str = "tenkai"
    batch: int | None = None
    device: str = "cpu"  # "cuda": tenkai and PyTorch train on the GPU (:func:`to_device`)


def run_one(name: str, mode: str, plan: Plan, reference: list[np.ndarray] | None = None,
            progress: Any = None) -> Result:
    """One workload in one mode; raises :class:`Unavailable` when it cannot run here."""
    build = WORKLOADS[name]
    if mode in ("numpy", "jax"):
        runner = _bench_others.make_runner(mode, name, reference)
        if runner is None:
            raise Unavailable(f"no {mode} version of {name}"
                              if mode == "numpy" or _bench_others.have_jax()
                              else "jax is not installed")
        return _measure(name, mode, runner, plan, progress)
    module = _import_framework(mode, plan.threads)
    fn, args = build(module, plan.batch) if plan.batch else build(module)
    if reference is not None:
        load_state(module, state_of(fn, args), reference)
    if plan.device != "cpu":
        args = to_device(module, fn, args, plan.device)
    if mode == "compiled":
        fn = module.compile(fn, backend=plan.backend)
    elif mode == "torch-compile":
        fn = module.compile(fn)
    call = _step_call(module, fn, args, plan.device)
    with _bench_report.compile_progress(name, progress is not None and mode == "compiled"):
        result = _measure(name, mode, call, plan, progress)
    if plan.device != "cpu":  # the memory figures measure the CPU; kernels timed by events
        result.retraces = fn.stats["retraces"] if mode == "compiled" else None
        if mode == "compiled":
            _compiled_facts(result, fn, on_cpu=False)
        return result
    if mode == "compiled":
        _compiled_facts(result, fn)
        if result.step_gflop:
            result.fma_peak_gflops = fma_peak(plan.threads)
    result.step_bytes = _step_bytes(mode, fn, args)
    return result


def to_device(module: ModuleType, step: Callable[..., Any], args: tuple[Any, ...],
              device: str) -> tuple[Any, ...]:
    """Move a workload to ``device`` before its first step, as a PyTorch script does: the
    modules its step closes over (``model.to(device)``: parameters, buffers), then any other
    parameter of its optimizer (``p.data = p.data.to(device)``, keeping the tensor the
    optimizer holds); returns its arguments on ``device``. Raises :class:`Unavailable` when
    the framework has no such device."""
    if device == "cuda" and not module.cuda.is_available():
        raise Unavailable(f"{module.__name__} has no CUDA device here")
    for cell in step.__closure__ or ():
        value = cell.cell_contents
        if isinstance(value, module.nn.Module):
            value.to(device)
    with module.no_grad():
        for group in optimizer_of(step).param_groups:
            for p in group["params"]:
                if p.device.type != device:
                    p.data = p.data.to(device)
    return tuple(a.to(device) for a in args)


def _step_call(module: ModuleType, fn: Callable[..., Any], args: tuple[Any, ...],
               device: str) -> Callable[[], Any]:
    """One step; on a GPU it returns when the step's kernels have finished (timed so)."""
    if device == "cpu":
        return lambda: fn(*args)
    sync = module.cuda.synchronize

    def call() -> Any:
        out = fn(*args)
        sync()
        return out
    return call


def _step_bytes(mode: str, fn: Callable[..., Any], args: tuple) -> int | None:
    """Peak memory of one more steady step (:mod:`tenkai._bench_memory`)."""
    if mode in ("torch", "torch-compile"):
        return _bench_memory.torch_step_bytes(lambda: fn(*args))
    step = getattr(fn, "fn", fn)  # a compiled function wraps the workload's step
    params = [p for group in optimizer_of(step).param_groups for p in group["params"]]
    return _bench_memory.tenkai_step_bytes(mode, lambda: fn(*args), params, fn)


def _measure(name: str, mode: str, call: Callable[[], Any], plan: Plan, progress: Any) -> Result:
    start = time.perf_counter()
    first = [_loss(call())]
    if mode in ("compiled", "torch-compile"):
        first.append(_loss(call()))  # an optimizer's first step creates state: trace again
    first_s = time.perf_counter() - start
    losses = first + [_loss(call()) for _ in range(max(plan.trajectory - len(first), 0))]
    for _ in range(max(3, plan.steps // 10)):  # warm-up
        call()
    times: list[float] = []
    loss = None
    for _ in range(plan.repeats):
        for _ in range(plan.steps):
            t0 = time.perf_counter()
            loss = call()
            times.append(time.perf_counter() - t0)
        if progress is not None:
            progress(plan.steps, _loss(loss))
    times.sort()
    p10, p90 = times[int(0.1 * (len(times) - 1))], times[int(0.9 * (len(times) - 1))]
    return Result(name, mode, statistics.median(times) * 1e3, first_s * 1e3,
                  _loss(loss) if loss is not None else losses[-1], (p90 - p10) * 1e3, p10 * 1e3,
                  p90 * 1e3, losses, peak_rss_mb=_peak_rss_mb())


def _loss(value: Any) -> float:
    return float(value.item() if hasattr(value, "item") else value)


def _compiled_facts(result: Result, fn: Any, on_cpu: bool = True) -> None:
    """Kernels, retraces, arena size, compile-stage times and the per-kernel table (on a GPU,
    kernels timed by CUDA events and no share of a peak: the CPU's says nothing there)."""
    result.retraces = fn.stats["retraces"]
    if not fn.steps:
        return
    native = fn.steps[-1].program
    if not hasattr(native, "measure_kernels"):  # backend="interp"
        return
    result.kernels = len(native.kernels) or native.executable.stats["kernels_per_step"]
    result.arena_bytes = native.executable.stats["arena_bytes"]
    result.compile_ms = {k: v * 1e3 for k, v in native.timings.items()}
    times = dict(native.measure_kernels(3))
    total = sum(times.values()) or 1e-12
    result.step_gflop = sum(k["flops"] for k in native.kernels) / 1e9
    peak_flops, peak_bw = machine_peak() if on_cpu else (0.0, 0.0)
    for k in native.kernels:  # (a kernel of several launches: the launches' sum)
        t = max(times.get(k["name"]) or sum(v for n, v in times.items()
                                            if n.startswith(k["name"] + "__")), 1e-9)
        gflops, gbs = k["flops"] / t / 1e9, k["bytes"] / t / 1e9
        result.kernel_table.append({
            "name": k["name"], "ops": list(k["ops"]), "us": t * 1e6, "share": t / total,
            "gflops": gflops, "gbs": gbs,
            "peak_pct": 100 * max(gflops / peak_flops, gbs / peak_bw) if on_cpu else None})


_PEAK: list[tuple[float, float]] = []


def machine_peak() -> tuple[float, float]:
    """(GFLOP/s, GB/s) this machine reaches with numpy: a float32 matmul and a large copy,
    best of a few; measured once per process."""
    if not _PEAK:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((1024, 1024), dtype=np.float32)
        big = np.ones(8 << 20, dtype=np.float32)
        out = np.empty_like(big)
        flops, bw = 0.0, 0.0
        for _ in range(5):
            t0 = time.perf_counter()
            a @ a
            flops = max(flops, 2 * 1024**3 / (time.perf_counter() - t0) / 1e9)
            t0 = time.perf_counter()
            np.copyto(out, big)
            bw = max(bw, 2 * big.nbytes / (time.perf_counter() - t0) / 1e9)
        _PEAK.append((flops, bw))
    return _PEAK[0]


_FMA_PEAK: dict[int, float] = {}


def _timed_fma(fn: Any, iters: int, flops: float, rates: list[float]) -> None:
    """Run the FMA kernel; append its GFLOP/s over this thread's CPU time."""
    start = time.thread_time()
    fn(iters)
    rates.append(flops / max(time.thread_time() - start, 1e-9) / 1e9)


def fma_peak(threads: int) -> float:
    """GFLOP/s of float32 fused multiply-adds on ``threads`` threads at once: the generated
    kernel of :mod:`tenkai.codegen.cpu.fma_peak` run concurrently by that many threads (its
    calls release the GIL), best of three; measured once per process and thread count.

    Each thread's rate is its FLOPs over its own CPU time (``time.thread_time``), so other
    processes sharing the cores do not lower the figure (on an idle machine CPU and wall
    time agree)."""
    if threads not in _FMA_PEAK:
        import ctypes
        import threading

        from tenkai.codegen.cpu import fma_peak as kernel
        from tenkai.runtime.cpu import jit

        module = jit.load_object(kernel.object_code())
        fn = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_int64)(module.address(kernel.NAME))
        iters = 10_000_000  # ~20 ms a run
        flops = iters * kernel.flops_per_iteration()
        best = 0.0
        for _ in range(3):
            rates: list[float] = []
            workers = [threading.Thread(target=_timed_fma, args=(fn, iters, flops, rates))
                       for _ in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            best = max(best, sum(rates))
        _FMA_PEAK[threads] = best
    return _FMA_PEAK[threads]


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # not on this platform
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_framework(mode: str, threads: int) -> ModuleType:
    if mode in ("eager", "compiled"):
        import tenkai

        tenkai.set_num_threads(threads)  # compiled steps' pool, as torch's below
        return tenkai
    try:
        import torch
    except ImportError as err:
        raise Unavailable("PyTorch is not installed") from err
    torch.set_num_threads(threads)
    return torch


def reference_state(name: str, batch: int | None) -> list[np.ndarray]:
    """The initial state every run of ``name`` starts from (tenkai's initialisation)."""
    import tenkai

    fn, args = WORKLOADS[name](tenkai, batch) if batch else WORKLOADS[name](tenkai)
    return snapshot(state_of(fn, args))


def run(workloads: list[str], modes: list[str], steps: int, repeats: int, threads: int,
        backend: str = "tenkai", **options: Any) -> list[Result]:
    """Every workload in every mode (from one shared initial state); modes that cannot run
    here are skipped (see :func:`run_all` for the reasons)."""
    return run_all(workloads, modes, Plan(steps, repeats, threads=threads, backend=backend,
                                          **options))[0]


def run_all(workloads: list[str], modes: list[str], plan: Plan,
            progress: Any = None) -> tuple[list[Result], list[str]]:
    """``(results, skipped)``: ``skipped`` says which mode/workload could not run, and why."""
    results, skipped = [], []
    for name in workloads:
        try:
            reference = reference_state(name, plan.batch)
        except Unavailable as why:
            skipped.append(f"{name}: {why}")
            continue
        for mode in modes:
            try:
                results.append(run_one(name, mode, plan, reference,
                                       progress and progress(name, mode)))
            except Unavailable as why:
                skipped.append(f"{name} {mode}: {why}")
            except Exception as err:  # a failing comparison run is reported, not fatal
                if mode in ("eager", "compiled"):
                    raise
                skipped.append(f"{name} {mode}: failed: {type(err).__name__}: {err}"[:300])
    return results, skipped


format_results = _bench_report.format_results  # the results table (kept under its old name)
