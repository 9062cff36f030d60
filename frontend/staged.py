"""The staged compile API: ``tenkai.trace(fn, *example_args)`` → traced graph,
``.lower()`` → fused kernel program, ``.compile(target="cpu")`` → executable; each stage
has ``.as_text()``.

    step = tenkai.trace(train_step, x, y)      # runs train_step once, recording it
    print(step.as_text())                      # the traced graph
    lowered = step.lower()
    print(lowered.as_text())                   # fused groups, memory plan, kernel IR
    exe = lowered.compile(target="cpu")
    print(exe.as_text()[:2000])                # LLVM IR
    loss = exe(x, y)                           # one compiled training step
"""

from __future__ import annotations

from typing import Any

from ._autograd import GRAD_MODE
from ._state import fingerprint, name_state, state_created
from ._step import CompiledStep, finish_trace, replay
from .compile import UntraceableError, _run_traced, _signature


def trace(fn: Any, *example_args: Any) -> TracedGraph:
    """Trace one call of ``fn`` (which runs, with its effects) into a graph."""
    before = fingerprint()
    sig = _signature(example_args)
    result, tracer, sites = _run_traced(fn, example_args, sig)
    names = name_state(tracer)
    sites = tracer.sites + sites + names.untraceable
    if sites:
        report = "\n".join(f"  {k + 1}. {s}" for k, s in enumerate(sites))
        raise UntraceableError(f"tenkai.trace: {fn.__name__} cannot be traced:\n{report}")
    if state_created(before, fingerprint()):
        raise RuntimeError("tenkai.trace: the traced call created optimizer state (a first "
                           "optimizer step); run the step once before tracing it, so the "
                           "trace records the steady state")
    step = finish_trace(fn, tracer, names, result, example_args, sig, GRAD_MODE.enabled)
    return TracedGraph(step)


class TracedGraph:
    """Stage 1: the traced graph (forward, backward, optimizer and state updates)."""

    def __init__(self, step: CompiledStep) -> None:
        self.step = step
        self.graph = step.graph

    def as_text(self) -> str:
        return self.graph.dump()

    def lower(self) -> LoweredGraph:
        from tenkai.codegen import lower_program
        from tenkai.ir.passes.pipeline import run_pipeline

        fused = run_pipeline(self.graph)
        info: dict[str, Any] = {}
        program = lower_program(fused, info=info)
        return LoweredGraph(self.step, fused, program, info)


class LoweredGraph:
    """Stage 2: the graph after simplify → fuse → recompute → plan_memory, and its kernel
    program."""

    def __init__(self, step: CompiledStep, fused: Any, program: Any,
                 info: dict[str, Any] | None = None) -> None:
        self.step, self.fused, self.program = step, fused, program
        # ``kernel_nodes`` (kernel -> graph nodes) and ``group_outputs`` (see lower_program)
        self.info = info or {}

    def as_text(self) -> str:
        plan = self.fused.meta.get("memory")
        parts = [self.fused.dump()]
        if plan is not None:
            parts.append(plan.as_text())
        parts.append(self.program.as_text())
        return "\n\n".join(parts)

    def compile(self, target: str = "cpu") -> CompiledGraph:
        if target != "cpu":
            raise NotImplementedError(f"tenkai: target {target!r} is not supported yet; "
                                      "use target='cpu'")
        from ._backend import build_cpu

        program, module = build_cpu(self.fused, self.program)
        step = self.step
        step.program = program
        return CompiledGraph(step, module, self)


class CompiledGraph:
    """Stage 3: a native executable; calling it runs one replay of the traced step."""

    def __init__(self, step: CompiledStep, module: Any, lowered: LoweredGraph | None = None
                 ) -> None:
        self.step, self.module, self.lowered = step, module, lowered

    def as_text(self) -> str:
        return self.module.ir_text

    def __call__(self, *args: Any) -> Any:
        sig = _signature(args)
        if not self.step.guard.matches(sig, GRAD_MODE.enabled, args):
            changes = self.step.guard.explain(sig, GRAD_MODE.enabled, args)
            raise RuntimeError("tenkai: this executable was traced for different arguments: "
                               + "; ".join(changes) + " (trace again, or use tenkai.compile)")
        return replay(self.step, args)


