"""``tenkai.compile``: trace a whole training step once, compile it, replay it.

    @tenkai.compile
    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

The first call (per guard: argument shapes/dtypes/requires_grad, grad mode, training flags of
the modules used) runs the function eagerly under a :class:`~tenkai._trace.Tracer`, so the
step's effects happen exactly as in eager mode while forward, backward, optimizer update and
state updates are recorded into one graph. Later calls replay the compiled graph, reading and
writing the live parameter, gradient and optimizer-state buffers in place. A trace that
created new state (an optimizer's first step) is only run, not kept: the next call retraces.
"""

from __future__ import annotations

import functools
import random
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenkai.ir.errors import TenkaiError

from . import _trace
from ._autograd import GRAD_MODE
from ._state import StateNames, fingerprint, name_state, state_created
from ._tensor import Tensor

MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
BACKENDS = ("tenkai", "inductor", "interp", "eager")


class UntraceableError(TenkaiError, RuntimeError):
    """The traced function does something a compiled replay cannot reproduce."""


class RecompileWarning(UserWarning):
    """A compiled function was traced again; the message says what changed."""


@dataclass
class Guard:
    """What a trace assumed about its call: argument signature, grad mode, module modes."""

    args: tuple
    grad_mode: bool
    modules: tuple[tuple[str, Any, bool], ...] = ()

    def matches(self, args: tuple, grad_mode: bool) -> bool:
        return (self.args == args and self.grad_mode == grad_mode
                and all(m.training == flag for _, m, flag in self.modules))

    def explain(self, args: tuple, grad_mode: bool) -> list[str]:
        """Human-readable differences between this guard and a new call."""
        out = []
        for k, (old, new) in enumerate(zip(self.args, args, strict=False)):
            if old != new:
                out.append(f"argument {k}: {_describe(old)} -> {_describe(new)}")
        if len(self.args) != len(args):
            out.append(f"number of arguments: {len(self.args)} -> {len(args)}")
        if self.grad_mode != grad_mode:
            out.append(f"grad mode: {self.grad_mode} -> {grad_mode}")
        for name, m, flag in self.modules:
            if m.training != flag:
                out.append(f"{name}.training: {flag} -> {m.training}")
        return out


def _describe(sig: Any) -> str:
    if isinstance(sig, tuple) and sig and sig[0] == "tensor":
        _, shape, dtype, rg = sig
        return f"tensor {list(shape)} {dtype}" + (" requires_grad" if rg else "")
    return repr(sig)


def _signature(args: tuple) -> tuple:
    sig = []
    for a in args:
        if isinstance(a, Tensor):
            sig.append(("tensor", tuple(a.shape), a._ir_dtype, a.requires_grad))
        else:
            try:
                hash(a)
            except TypeError:
                raise TypeError(f"tenkai.compile: argument of type {type(a).__name__} is not "
                                "hashable; pass tensors or hashable constants") from None
            sig.append(("const", type(a).__name__, a))
    return tuple(sig)


@dataclass
class CompiledStep:
    """One traced-and-compiled specialization of the function."""

    guard: Guard
    program: Any  # backend callable: feeds dict -> list of arrays
    graph: Any
    input_nodes: list[str]
    captured: list[tuple[str, Tensor]]
    scalars: list[str]
    rng: list[Any]
    result_spec: Any
    n_results: int
    writes: list[tuple[int, Tensor]]
    rebinds: list[tuple[Tensor, str, Tensor]]
    compile_seconds: dict[str, float] = field(default_factory=dict)


class CompiledFunction:
    """The callable ``tenkai.compile(fn)`` returns; ``stats`` counts traces and replays."""

    def __init__(self, fn: Any, backend: str, on_untraceable: str, fullgraph: bool) -> None:
        self.fn, self.backend = fn, backend
        self.on_untraceable, self.fullgraph = on_untraceable, fullgraph
        self.steps: list[CompiledStep] = []
        self.eager_only = backend == "eager"
        self.stats = {"traces": 0, "retraces": 0, "replays": 0, "eager_calls": 0,
                      "discarded_traces": 0, "disk_cache_hits": 0, "disk_cache_misses": 0,
                      "memory_cache_hits": 0}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise NotImplementedError("tenkai.compile: keyword arguments to the compiled "
                                      "function are not supported yet; pass them positionally")
        if self.eager_only:
            self.stats["eager_calls"] += 1
            return self.fn(*args)
        sig, grad_mode = _signature(args), GRAD_MODE.enabled
        for step in self.steps:
            if step.guard.matches(sig, grad_mode):
                self.stats["replays"] += 1
                return _replay(step, args)
        if self.steps:
            self._warn_retrace(sig, grad_mode)
        return self._trace_and_compile(args, sig, grad_mode)

    def _warn_retrace(self, sig: tuple, grad_mode: bool) -> None:
        self.stats["retraces"] += 1
        changes = self.steps[-1].guard.explain(sig, grad_mode)
        warnings.warn(f"tenkai.compile: retracing {self.fn.__name__} "
                      f"(trace #{self.stats['traces'] + 1}) because "
                      + "; ".join(changes or ["the guards changed"]),
                      RecompileWarning, stacklevel=3)

    def _trace_and_compile(self, args: tuple, sig: tuple, grad_mode: bool) -> Any:
        self.stats["traces"] += 1
        before = fingerprint()
        result, tracer, py_random = _run_traced(self.fn, args)
        sites = tracer.sites + py_random
        names = name_state(tracer)
        sites += names.untraceable
        if sites:
            self._untraceable(sites)
            return result
        if state_created(before, fingerprint()):
            self.stats["discarded_traces"] += 1  # state was created: trace the steady state
            return result
        step = _build_step(self, tracer, names, result, sig, grad_mode)
        self.steps.append(step)
        return result

    def _untraceable(self, sites: list[_trace.Site]) -> None:
        report = "\n".join(f"  {k + 1}. {s}" for k, s in enumerate(sites))
        message = (f"tenkai.compile: {self.fn.__name__} cannot be traced ({len(sites)} "
                   f"problem(s)):\n{report}")
        if self.on_untraceable == "eager":
            warnings.warn(message + "\nrunning it eagerly from now on", UserWarning,
                          stacklevel=4)
            self.eager_only = True
            return
        raise UntraceableError(message)

    def explain(self) -> str:
        """The guards of every compiled specialization, one per line."""
        return "\n".join(f"{k}: args={s.guard.args} grad_mode={s.guard.grad_mode}"
                         for k, s in enumerate(self.steps))


def _run_traced(fn: Any, args: tuple) -> tuple[Any, _trace.Tracer, list[_trace.Site]]:
    if _trace.ACTIVE is not None:
        raise RuntimeError("tenkai.compile: nested tracing is not supported")
    tracer = _trace.Tracer(getattr(fn, "__name__", "step"))
    for k, a in enumerate(args):
        if isinstance(a, Tensor):
            tracer.add_input(a, f"arg{k}")
    state = (random.getstate(), np.random.get_state()[1].tobytes())
    from ._state import traced_hyperparameters

    _trace.ACTIVE = tracer
    try:
        with traced_hyperparameters():
            result = fn(*args)
    finally:
        _trace.ACTIVE = None
    sites = []
    if (random.getstate(), np.random.get_state()[1].tobytes()) != state:
        sites.append(_trace.Site(
            f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno} ({fn.__qualname__})",
            "Python-side randomness (random / numpy.random) inside the traced function",
            "a replay reuses the numbers drawn while tracing",
            "use tenkai.rand/randn/bernoulli (counter-based, replayable) instead"))
    return result, tracer, sites


# ---------------------------------------------------------------- building a compiled step


def _flatten(result: Any, out: list[Tensor]) -> Any:
    """A spec of ``result``'s structure; the tensors it holds are appended to ``out``."""
    if isinstance(result, Tensor):
        out.append(result)
        return ("tensor", len(out) - 1)
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, [_flatten(r, out) for r in result])
    if isinstance(result, dict):
        return ("dict", {k: _flatten(v, out) for k, v in result.items()})
    return ("value", result)


def _unflatten(spec: Any, values: list[Tensor]) -> Any:
    kind, payload = spec
    if kind == "tensor":
        return values[payload]
    if kind in ("tuple", "list"):
        items = [_unflatten(s, values) for s in payload]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: _unflatten(s, values) for k, s in payload.items()}
    return payload


def _build_step(cf: CompiledFunction, tracer: _trace.Tracer, names: StateNames, result: Any,
                sig: tuple, grad_mode: bool) -> CompiledStep:
    step = finish_trace(tracer, names, result, sig, grad_mode)
    start = time.perf_counter()
    cuts = getattr(tracer, "reduction_cuts", None)  # DistributedDataParallel's all-reduce
    if cuts:
        from .distributed._compiled import compile_with_cut

        step.program = compile_with_cut(step.graph, cuts, cf.backend, _compile_graph)
    else:
        step.program = _compile_graph(step.graph, cf.backend)
    step.compile_seconds["compile"] = time.perf_counter() - start
    for name, count in getattr(step.program, "stats", {}).items():
        if "_cache_" in name and name in cf.stats:
            cf.stats[name] += count
    return step


def finish_trace(tracer: _trace.Tracer, names: StateNames, result: Any, sig: tuple,
                 grad_mode: bool) -> CompiledStep:
    """Add the graph's outputs (results, then state updates) and collect what a replay needs;
    the returned step has no program yet."""
    g = tracer.graph
    tensors: list[Tensor] = []
    spec = _flatten(result, tensors)
    for t in tensors:
        g.add_output(tracer.node_for(t))
    writes, rebinds, meta_writes = [], [], {}
    for tensor, name in names.updated:
        meta_writes[len(g.outputs)] = name
        writes.append((len(g.outputs), tensor))
        g.add_output(tracer.node_for(tensor))
    captured = [(g.node_name(c.node), c.tensor) for c in tracer.captured.values()]
    for owner, attr, tensor, name in names.new_state:
        # state born in this step (a gradient after zero_grad(set_to_none=True)): the tensor
        # becomes a persistent buffer of its own, written by every replay
        value = tracer.node_for(tensor)
        g.add("param", shape=g.shape(value), dtype=g.dtype(value), name=name)
        captured.append((name, tensor))
        meta_writes[len(g.outputs)] = name
        writes.append((len(g.outputs), tensor))
        rebinds.append((owner, attr, tensor))
        g.add_output(value)
    g.meta["writes"] = meta_writes
    guard = Guard(sig, grad_mode, tuple((names.module_name(m), m, m.training)
                                        for m in tracer.modules.values()))
    return CompiledStep(guard, None, g, [g.node_name(n) for n in tracer.inputs], captured,
                        list(tracer.scalars), tracer.rng, spec, len(tensors), writes, rebinds)


def _compile_graph(g: Any, backend: str) -> Any:
    if backend == "interp":
        from tenkai.ir import Plan

        plan = Plan(g, g.outputs, set(g.inputs) | set(g.params))

        def run_interp(feeds: dict[int, np.ndarray]) -> list[np.ndarray]:
            return plan.run(dict(feeds))
        run_interp.by_node = True  # type: ignore[attr-defined]
        return run_interp
    from ._backend import compile_cpu

    return compile_cpu(g)


def _replay(step: CompiledStep, args: tuple) -> Any:
    g = step.graph
    feeds: dict[Any, np.ndarray] = {}
    for name, a in zip(step.input_nodes, [a for a in args if isinstance(a, Tensor)],
                       strict=True):
        feeds[name] = a._data
    for name, tensor in step.captured:
        feeds[name] = tensor._data
    from ._state import scalar_values

    feeds.update(scalar_values(step.scalars))
    for use in step.rng:
        seed, offset = use.generator.take(use.count)
        feeds[g.node_name(use.seed_node)] = seed._data
        feeds[g.node_name(use.offset_node)] = offset._data
    outputs = step.program({g.find(k): v for k, v in feeds.items()}
                           if getattr(step.program, "by_node", False) else feeds)
    for index, tensor in step.writes:
        if outputs[index] is not tensor._data:
            np.copyto(tensor._data, outputs[index], casting="unsafe")
        tensor._vc[0] += 1
    for owner, attr, tensor in step.rebinds:
        setattr(owner, attr, tensor)
    values = [Tensor._make(np.array(outputs[k], copy=True)) for k in range(step.n_results)]
    return _unflatten(step.result_spec, values)


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None,
            backend: Any = "tenkai", mode: Any = None, options: dict | None = None,
            disable: bool = False, on_untraceable: str = "error") -> Any:
    """Compile a function (or a Module's forward) into native code; see the module docstring.

    Accepts ``torch.compile``'s keywords; ``backend`` is ``'tenkai'`` (LLVM CPU, default;
    ``'inductor'`` is an alias), ``'interp'`` (reference interpreter) or ``'eager'``.
    """
    if mode not in MODES:
        raise ValueError(f"tenkai.compile: unknown mode {mode!r}; expected one of "
                         f"{[m for m in MODES if m]}")
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"tenkai.compile: unknown backend {backend!r}; expected one of "
                         f"{list(BACKENDS)}")
    if dynamic not in (None, False):
        raise NotImplementedError("tenkai.compile: dynamic=True (symbolic shapes) is not "
                                  "supported; every new shape retraces")
    if on_untraceable not in ("error", "eager"):
        raise ValueError("on_untraceable must be 'error' or 'eager'")
    if options:
        raise ValueError(f"tenkai.compile: unknown options {sorted(options)}")

    def wrap(fn: Any) -> Any:
        if disable:
            return fn
        from .nn.module import Module

        if isinstance(fn, Module):
            from ._compiled_module import CompiledModule

            return CompiledModule(fn, CompiledFunction(fn.forward, backend, on_untraceable,
                                                       fullgraph))
        return CompiledFunction(fn, backend, on_untraceable, fullgraph)

    return wrap if model is None else wrap(model)
