"""Backward passes and compiled steps on cuda tensors (the eager storage and op path are in
:mod:`tenkai._cuda_tensor`).

* :func:`replay` / :func:`backward`: a backward pass whose values live on a GPU replays the
  derived backward graph through the eager ops (each a device kernel), the graph's constants
  (made on the CPU) placed on that GPU;
* :func:`step_target` / :func:`place_step`: ``tenkai.compile`` follows the tensors: a step whose
  state or arguments are cuda tensors compiles for target "cuda", runs on their GPU with their
  device arrays bound by address (updated in place), and returns new cuda tensors; CPU
  arguments (batches the step moves with ``x.to(dev)``) are uploaded at the step boundary and
  results eager computes on the CPU come back on the CPU.
"""

from __future__ import annotations

from typing import Any

from tenkai.runtime.cuda.memory import context

from ._cuda_tensor import _PLACING, SAME_DEVICE, CudaData
from ._device import device
from ._node import GRAD_MODE
from ._tensor import Tensor


def replay(plan: Any, order: list[Any], seeds: list[Any]) -> list[Any]:
    """``_replay.replay_backward`` for a backward pass whose values live on a GPU: the
    backward graph through the eager ops (each a device kernel), its constants and seeds
    (made on the CPU) placed on that GPU."""
    from ._replay import replay_backward

    ref = next(n.value for n in order if isinstance(n.value, CudaData))
    placing = _PLACING[0]
    _PLACING[0] = ref.ctx
    try:
        return replay_backward(plan, order, seeds)
    finally:
        _PLACING[0] = placing


def backward(plan: Any, order: list[Any], seeds: list[Any]) -> list[Any]:
    """The gradients of a backward pass on a GPU (nothing recorded): new tensors, never
    aliasing a forward value."""
    prev = GRAD_MODE.enabled
    GRAD_MODE.enabled = False
    try:
        found = replay(plan, order, seeds)
    finally:
        GRAD_MODE.enabled = prev
    return [None if g is None else Tensor._make(g._data.copy()) for g in found]



# ---------------------------------------------------------------- compiled steps


def step_target(step: Any, args: tuple, backend: str, target: Any) -> tuple[Any, Any]:
    """``(target, gpu)`` for a traced step: the cuda target and the GPU's device when its
    state or arguments are cuda tensors (their device arrays are then bound by address: the
    step updates the tensors the user holds, in place on the device), else ``(target, None)``.
    """
    datas = [t._data for _, t in step.captured]
    datas += [a._data for a in args if isinstance(a, Tensor)]
    gpus = {d.ctx.ordinal for d in datas if isinstance(d, CudaData)}
    copies = step.graph.meta.get("device_copies", {})  # (x.to("cuda") of CPU tensors)
    gpus = sorted(gpus | {device(c).index for c in copies.values() if c != "cpu"})
    if not gpus:
        return target, None
    gpu = device("cuda", gpus[0])
    if target is None:
        raise NotImplementedError(f"tenkai.compile(backend={backend!r}) runs on the CPU; the "
                                  f"step's tensors are on {gpu} (use the default backend)")
    if len(gpus) > 1:
        raise RuntimeError(SAME_DEVICE.format(gpu, device("cuda", gpus[1])))
    # CPU tensors the step reads (a batch it moves with x.to(dev), CPU state): uploaded at
    # the step boundary (inputs) or mirrored (state, copied back when written); eager ran
    # every op of the trace, so a genuine mix of devices has raised there already
    _PENDING[:] = [_host_results(step, args)]
    if target.name == "cuda":
        return target, gpu
    from tenkai.codegen.target import describe

    return describe("cuda"), gpu


_PENDING: list[frozenset[int]] = []  # step_target -> place_step: the results on the CPU


def _host_results(step: Any, args: tuple) -> frozenset[int]:
    """The results (graph outputs ``< step.n_results``) that eager computes on the CPU: a
    value is on a GPU when any operand is (a CPU 0-d scalar goes along), except the copies
    between devices the trace recorded (``graph.meta["device_copies"]``)."""
    g = step.graph
    on_gpu: dict[int, bool] = {}
    for name, k in step.io.feeds:
        on_gpu[g.find(name)] = isinstance(args[k]._data, CudaData)
    for name, k in step.io.grad_feeds:
        on_gpu[g.find(name)] = isinstance(args[k]._grad._data, CudaData)
    for name, tensor in step.captured:
        on_gpu[g.find(name)] = isinstance(tensor._data, CudaData)
    copies = g.meta.get("device_copies", {})
    for n in g.topo_order():
        if n in copies:
            on_gpu[n] = copies[n] != "cpu"
        elif n not in on_gpu:
            on_gpu[n] = any(on_gpu.get(m, False) for m in g.operands(n))
    return frozenset(k for k, n in enumerate(g.outputs[:step.n_results]) if not on_gpu[n])


def place_step(program: Any, gpu: device) -> None:
    """Run a compiled step (a NativeStep for target cuda) on ``gpu``, its results returned as
    new cuda tensors (those eager computes on the CPU: host arrays)."""
    exe = program.executable
    ctx = context(gpu.index or 0)
    if exe.ctx is not ctx:
        exe = program.executable = exe.on(ctx)
    exe.output_array = CudaData
    exe.host_outputs = _PENDING.pop() if _PENDING else frozenset()
