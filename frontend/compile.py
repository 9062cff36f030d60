"""``tenkai.compile``: trace a whole training step once, compile it, replay it.

    @tenkai.compile
    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

The first call (per guard: every Python-level fact the trace read, see
:mod:`tenkai._guards`) runs the function eagerly under a :class:`~tenkai._trace.Tracer`, so
the step's effects happen exactly as in eager mode while forward, backward, optimizer update
and state updates are recorded into one graph. Later calls replay the compiled graph, reading
and writing the live parameter, gradient and optimizer-state buffers in place (and the
arguments: see :mod:`tenkai._step`); numeric optimizer options are runtime inputs. A call
whose facts differ retraces with a :class:`RecompileWarning` saying what changed. A trace
that created new state (an optimizer's first step) is only run, not kept: the next call
retraces. Calls are serialized by a per-function lock; tracing state is per thread.

``target=`` (or a target name as ``backend=``) picks the code generator: a registered name
(``"cpu"``) or a :class:`tenkai.codegen.target.Target`; the graph is compiled by
:func:`tenkai.compiler.backend.compile_graph`, which talks to targets only through
``tenkai.codegen.target``.
"""

from __future__ import annotations

import functools
import threading
import time
import warnings
from typing import Any

import numpy as np

from tenkai.codegen.target import Target, describe, registered, runtime_module
from tenkai.ir.errors import TenkaiError

from . import _ops, _trace
from ._autograd import GRAD_MODE
from ._fast_step import MISS, build_fast
from ._side_effects import (
    SideEffectWarning,
    python_random_state,
    python_random_used,
    side_effects_message,
    watch_side_effects,
)
from ._state import StateNames, fingerprint, live_state_ids, name_state, state_created
from ._step import CompiledStep, count_fresh_grads, drop_aot, finish_trace, replay
from ._tensor import Tensor
from .nn import module as _nn_module
from .nn.parameter import Parameter

MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
BACKENDS = ("tenkai", "inductor", "interp", "eager")  # or a registered target's name
NATIVE = ("tenkai", "inductor")  # the native compiler, for ``target`` (default "cpu")
DEFAULT_TARGET = "cpu"


class UntraceableError(TenkaiError, RuntimeError):
    """The traced function does something a compiled replay cannot reproduce."""


class RecompileWarning(UserWarning):
    """A compiled function was traced again; the message says what changed."""


def signature(args: tuple) -> tuple:
    """The call's signature: tensors by shape, dtype and requires_grad; parameters and
    optimizer-managed tensors by identity; other values by value. (Whether an argument's
    .grad exists is guarded only when the trace read it: ``Guard.arg_grads``.)"""
    sig = []
    state: set[int] | None = None
    for a in args:
        if isinstance(a, Tensor):
            rg = a.requires_grad
            if rg and a.is_leaf:
                state = live_state_ids() if state is None else state
                if id(a) in state or isinstance(a, Parameter):
                    sig.append(("state", id(a)))
                    continue
            dtype = a._ir_dtype
            if type(a._data) is not np.ndarray and hasattr(a._data, "tk_device"):
                dtype = f"{dtype} on {a.device}"  # a cuda tensor: another signature
            sig.append(("tensor", tuple(a.shape), dtype, rg))
        else:
            try:
                hash(a)
            except TypeError:
                raise TypeError(f"tenkai.compile: argument of type {type(a).__name__} is not "
                                "hashable; pass tensors or hashable constants") from None
            sig.append(("const", type(a).__name__, a))
    return tuple(sig)


class CompiledFunction:
    """The callable ``tenkai.compile(fn)`` returns; ``stats`` counts traces and replays.

    Thread safety: calls are serialized by a lock held for the whole call (trace or replay),
    so two threads may share one compiled step and get the same result as the same calls
    made one after the other. Tracing state is per thread: eager work another thread does
    while this one traces is never recorded into the trace.
    """

    def __init__(self, fn: Any, backend: str, on_untraceable: str, fullgraph: bool,
                 target: Target | None = None) -> None:
        self.fn, self.backend, self.target = fn, backend, target
        self.on_untraceable, self.fullgraph = on_untraceable, fullgraph
        self.steps: list[CompiledStep] = []
        self.eager_only = backend == "eager"
        self.stats = {"traces": 0, "retraces": 0, "replays": 0, "eager_calls": 0,
                      "discarded_traces": 0, "disk_cache_hits": 0, "disk_cache_misses": 0,
                      "memory_cache_hits": 0}
        self._lock = threading.RLock()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise NotImplementedError("tenkai.compile: keyword arguments to the compiled "
                                      "function are not supported yet; pass them positionally")
        lock = self._lock  # (acquire and release cost per call half of what ``with`` does)
        lock.acquire()
        try:
            if self.eager_only:
                self.stats["eager_calls"] += 1
                return self.fn(*args)
            steps = self.steps
            fast = steps[0].fast if steps else None
            if fast is not None:  # the generated check and replay (_fast_step)
                out = fast(args)
                if out is not MISS:
                    self.stats["replays"] += 1
                    return out
            sig, grad_mode = signature(args), GRAD_MODE.enabled
            for k, step in enumerate(steps):
                if step.guard.matches(sig, grad_mode, args):
                    if k:  # most recently used first: the common case checks one guard
                        steps.insert(0, steps.pop(k))
                    self.stats["replays"] += 1
                    out = replay(step, args)
                    if step.fast is None:  # bound now: the fast path can read the bindings
                        step.fast = build_fast(step, args, signature)
                        if step.fresh:  # the first replay took new .grad tensors (_step)
                            count_fresh_grads(step)
                    return out
            if self.steps:
                self._warn_retrace(sig, grad_mode, args)
            return self._trace_and_compile(args, sig, grad_mode)
        finally:
            lock.release()

    def _warn_retrace(self, sig: tuple, grad_mode: bool, args: tuple) -> None:
        self.stats["retraces"] += 1
        changes = self.steps[0].guard.explain(sig, grad_mode, args)  # vs the latest used
        warnings.warn(f"tenkai.compile: retracing {self.fn.__name__} "
                      f"(trace #{self.stats['traces'] + 1}) because "
                      + "; ".join(changes or ["the guards changed"]),
                      RecompileWarning, stacklevel=3)

    def _trace_and_compile(self, args: tuple, sig: tuple, grad_mode: bool) -> Any:
        self.stats["traces"] += 1
        before = fingerprint()
        result, tracer, py_random = run_traced(self.fn, args, sig)
        sites = tracer.sites + py_random
        names = name_state(tracer)
        sites += names.untraceable
        if sites:
            self._untraceable(sites, tracer)
            return result
        if tracer.side_effects:  # a replay would skip them: run the function eagerly
            message = side_effects_message(self.fn, tracer.side_effects, self.fullgraph)
            if self.fullgraph:
                tracer.rollback()
                raise UntraceableError(message)
            warnings.warn(message, SideEffectWarning, stacklevel=3)
            self.eager_only = True
            return result
        if state_created(before, fingerprint()):
            self.stats["discarded_traces"] += 1  # state was created: trace the steady state
            return result
        step = _build_step(self, tracer, names, result, args, sig, grad_mode)
        self.steps.insert(0, step)
        return result

    def _untraceable(self, sites: list[_trace.Site], tracer: _trace.Tracer) -> None:
        report = "\n".join(f"  {k + 1}. {s}" for k, s in enumerate(sites))
        message = (f"tenkai.compile: {self.fn.__name__} cannot be traced ({len(sites)} "
                   f"problem(s)):\n{report}")
        if self.on_untraceable == "eager":
            warnings.warn(message + "\nrunning it eagerly from now on", UserWarning,
                          stacklevel=4)
            self.eager_only = True
            return
        tracer.rollback()  # refused: the call that traced it leaves no step behind
        raise UntraceableError(message)

    def explain(self) -> str:
        """The guards of every compiled specialization, one block each."""
        return "\n".join(f"{k}: args={s.guard.args} grad_mode={s.guard.grad_mode}\n    "
                         + "\n    ".join(s.guard.keys()) for k, s in enumerate(self.steps))


def run_traced(fn: Any, args: tuple, sig: tuple) -> tuple[Any, _trace.Tracer,
                                                            list[_trace.Site]]:
    """Run ``fn(*args)`` under a fresh tracer; returns ``(result, tracer, sites)`` where
    ``sites`` are the untraceable things seen outside the tracer (Python randomness)."""
    if _trace.active() is not None:
        raise RuntimeError("tenkai.compile: nested tracing is not supported")
    tracer = _trace.Tracer(getattr(fn, "__name__", "step"))
    owner = getattr(fn, "__self__", None)
    if owner is not None and hasattr(owner, "_parameters"):  # a compiled module's forward
        tracer.saw_module(owner)
    for k, (a, s) in enumerate(zip(args, sig, strict=True)):
        if s[0] == "tensor":
            tracer.arg_nodes[k] = tracer.add_input(a, f"arg{k}")
            tracer.arg_index.setdefault(id(a), k)
    state = python_random_state()
    from ._state import traced_hyperparameters

    _trace.set_active(tracer)
    try:
        with traced_hyperparameters(), watch_side_effects(fn, tracer, args):
            result = fn(*args)
    finally:
        _trace.set_active(None)
    sites = []
    if python_random_used(state):
        code = getattr(fn, "__code__", None) or fn.__func__.__code__
        sites.append(_trace.Site(
            f"{code.co_filename}:{code.co_firstlineno} ({fn.__qualname__})",
            "Python-side randomness (random / numpy.random) inside the traced function",
            "a replay reuses the numbers drawn while tracing",
            "use tenkai.rand/randn/bernoulli (counter-based, replayable) instead"))
    return result, tracer, sites


def _build_step(cf: CompiledFunction, tracer: _trace.Tracer, names: StateNames, result: Any,
                args: tuple, sig: tuple, grad_mode: bool) -> CompiledStep:
    step = finish_trace(cf.fn, tracer, names, result, args, sig, grad_mode)
    step.before_replay = list(getattr(tracer, "before_replay", []))
    target, gpu = cf.target, None
    if _ops.DEVICE_APPLY[0] is not None:  # cuda tensors exist: the step follows its tensors
        from ._cuda_steps import step_target

        target, gpu = step_target(step, args, cf.backend, cf.target)
    start = time.perf_counter()
    cuts = getattr(tracer, "reduction_cuts", None)  # DistributedDataParallel's all-reduce
    if cuts:
        from .distributed._compiled import compile_with_cut

        def compile_part(g: Any, backend: str) -> Any:
            return _compile_graph(g, backend, target)

        step.program = compile_with_cut(step.graph, cuts, cf.backend, compile_part)
    else:
        step.program = _compile_graph(step.graph, cf.backend, target)
    if gpu is not None:  # run on the tensors' GPU; results stay there, as new cuda tensors
        from ._cuda_steps import place_step

        place_step(step.program, gpu)
    step.compile_seconds["compile"] = time.perf_counter() - start
    if gpu is not None or cuts:  # (no compiled backward for their results yet)
        drop_aot(step, getattr(cf.fn, "__name__", "the function"))
    elif step.aot is not None:  # the results' backward: compiled like the step (at first use)
        step.aot["compile"] = functools.partial(_compile_graph, backend=cf.backend,
                                                target=target)
    for name, count in getattr(step.program, "stats", {}).items():
        if "_cache_" in name and name in cf.stats:
            cf.stats[name] += count
    return step


def _compile_graph(g: Any, backend: str, target: Target | None) -> Any:
    if backend == "interp":
        from tenkai.ir import Plan

        plan = Plan(g, g.outputs, set(g.inputs) | set(g.params))

        def run_interp(feeds: dict[int, np.ndarray]) -> list[np.ndarray]:
            return plan.run(dict(feeds))
        run_interp.by_node = True  # type: ignore[attr-defined]
        return run_interp
    from .compiler.backend import compile_graph

    assert target is not None, f"backend {backend!r} resolved no target"
    return compile_graph(g, target)


def resolve_target(backend: Any, target: Any) -> Target | None:
    """The :class:`Target` a ``tenkai.compile(backend=..., target=...)`` compiles for (None for
    the interpreter and eager backends); raises ValueError for an unknown backend or target
    and NotImplementedError for a registered target without a runtime."""
    if not isinstance(backend, str) or backend not in BACKENDS and backend not in registered():
        raise ValueError(f"tenkai.compile: unknown backend {backend!r}; expected one of "
                         f"{list(BACKENDS)} or a registered target {registered()}")
    if backend in ("interp", "eager"):
        if target is not None:
            raise ValueError(f"tenkai.compile: backend={backend!r} runs no generated code, so "
                             f"it takes no target (got target={target!r}); drop one of them")
        return None
    if backend not in NATIVE:  # a target's name given as the backend
        if target is not None and describe(target).name != describe(backend).name:
            raise ValueError(f"tenkai.compile: backend={backend!r} and target={target!r} "
                             "name different targets; pass one of them")
        target = backend if target is None else target
    if target is not None and not isinstance(target, (str, Target)):
        raise TypeError(f"tenkai.compile: target must be a target name {registered()} or a "
                        f"tenkai.codegen.target.Target, got {type(target).__name__}")
    resolved = describe(DEFAULT_TARGET if target is None else target)
    runtime_module(resolved.name)  # NotImplementedError now, not at the first call
    return resolved


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None,
            backend: Any = "tenkai", mode: Any = None, options: dict | None = None,
            disable: bool = False, on_untraceable: str = "error", target: Any = None) -> Any:
    """Compile a function (or a Module's forward) into native code; see the module docstring.

    Accepts ``torch.compile``'s keywords; ``backend`` is ``'tenkai'`` (native code for
    ``target``, default; ``'inductor'`` is an alias), ``'interp'`` (reference interpreter),
    ``'eager'``, or a registered target's name (``'cpu'``). ``target``: a registered name or a
    :class:`tenkai.codegen.target.Target` (default ``'cpu'``).

        step = tenkai.compile(train_step, target="cpu")
    """
    if mode not in MODES:
        raise ValueError(f"tenkai.compile: unknown mode {mode!r}; expected one of "
                         f"{[m for m in MODES if m]}")
    resolved = resolve_target(backend, target)
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
                                                       fullgraph, resolved))
        return CompiledFunction(fn, backend, on_untraceable, fullgraph, resolved)

    return wrap if model is None else wrap(model)


_nn_module.COMPILER[0] = compile  # Module.compile(*args, **kwargs)
