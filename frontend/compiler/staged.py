"""The staged compile API: ``tenkai.trace(fn, *example_args)`` → traced graph,
``.lower(target=...)`` → fused kernel program for a target, ``.compile()`` → executable;
each stage has ``.as_text()``.

    step = tenkai.trace(train_step, x, y)      # runs train_step once, recording it
    print(step.as_text())                      # the traced graph
    lowered = step.lower(target="cpu")         # a registered name or a Target
    print(lowered.as_text())                   # fused groups, memory plan, kernel IR
    exe = lowered.compile()                    # for the target it was lowered for
    print(exe.as_text("llvm")[:2000])          # LLVM IR ("llvm_opt", "asm": see the target)
    loss = exe(x, y)                           # one compiled training step

``step.compile(target=...)`` lowers and compiles in one call.
"""

from __future__ import annotations

from typing import Any

from tenkai._autograd import GRAD_MODE
from tenkai._state import fingerprint, name_state, state_created
from tenkai._step import CompiledStep, finish_trace, replay
from tenkai.codegen.target import Target, codegen_module, describe
from tenkai.compile import UntraceableError, run_traced, signature


def trace(fn: Any, *example_args: Any) -> TracedGraph:
    """Trace one call of ``fn`` (which runs, with its effects) into a graph."""
    before = fingerprint()
    sig = signature(example_args)
    result, tracer, sites = run_traced(fn, example_args, sig)
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

    def lower(self, target: str | Target = "cpu") -> LoweredGraph:
        """Run the passes and lower the fused graph to a kernel program for ``target``."""
        from tenkai.compiler.backend import lower, with_matmul_precision
        from tenkai.ir.passes.pipeline import run_pipeline

        resolved = with_matmul_precision(describe(target))
        fused = run_pipeline(self.graph)
        info: dict[str, Any] = {}
        program = lower(fused, resolved, info=info)
        return LoweredGraph(self.step, fused, program, info, resolved)

    def compile(self, target: str | Target = "cpu") -> CompiledGraph:
        """``lower(target).compile()``."""
        return self.lower(target).compile()


class LoweredGraph:
    """Stage 2: the graph after simplify → fuse → recompute → plan_memory, and its kernel
    program."""

    def __init__(self, step: CompiledStep, fused: Any, program: Any,
                 info: dict[str, Any] | None = None, target: Target | None = None) -> None:
        self.step, self.fused, self.program = step, fused, program
        # ``kernel_nodes`` (kernel -> graph nodes) and ``group_outputs`` (see lower_program)
        self.info = info or {}
        self.target = target if target is not None else describe("cpu")
        self._generated: Any = None

    def as_text(self, kind: str = "kernels") -> str:
        """``"kernels"``: the fused graph, its memory plan and the kernel program; any other
        kind is the target's generated code (``"llvm"``, ``"llvm_opt"``, ``"asm"``; for
        ``cuda`` also ``"ptx"`` and ``"launch"``), generated without loading it: inspecting
        PTX needs no GPU."""
        if kind != "kernels":
            return str(self.generate().as_text(kind))
        plan = self.fused.meta.get("memory")
        parts = [self.fused.dump()]
        if plan is not None:
            parts.append(plan.as_text())
        parts.append(self.program.as_text())
        return "\n\n".join(parts)

    def generate(self) -> Any:
        """The target's generated code for this program (``GeneratedCode``), not loaded."""
        if self._generated is None:
            self._generated = codegen_module(self.target.name).generate(self.program,
                                                                        self.target)
        return self._generated

    def compile(self, target: str | Target | None = None) -> CompiledGraph:
        """Generate and load the kernel program for the target it was lowered for
        (``target``, when given, must be that one)."""
        from tenkai.codegen.target import runtime_module
        from tenkai.compiler.backend import build, with_matmul_precision

        wanted = self.target if target is None else with_matmul_precision(describe(target))
        runtime_module(wanted.name)  # NotImplementedError for a target that cannot run
        if wanted != self.target:
            raise ValueError(f"tenkai: this program was lowered for target "
                             f"{self.target.name!r}, not {wanted.name!r}; lower it again "
                             f"with .lower(target={target!r})")
        program, module = build(self.fused, self.program, self.target)
        step = self.step
        step.program = program
        return CompiledGraph(step, module, self)


class CompiledGraph:
    """Stage 3: a native executable; calling it runs one replay of the traced step."""

    def __init__(self, step: CompiledStep, module: Any, lowered: LoweredGraph | None = None
                 ) -> None:
        self.step, self.module, self.lowered = step, module, lowered

    def as_text(self, kind: str = "llvm") -> str:
        """The generated code: ``"llvm"`` (as built), ``"llvm_opt"``, ``"asm"`` (the kinds
        of the target's ``GeneratedCode.as_text``)."""
        return str(self.module.as_text(kind))

    def __call__(self, *args: Any) -> Any:
        sig = signature(args)
        if not self.step.guard.matches(sig, GRAD_MODE.enabled, args):
            changes = self.step.guard.explain(sig, GRAD_MODE.enabled, args)
            raise RuntimeError("tenkai: this executable was traced for different arguments: "
                               + "; ".join(changes) + " (trace again, or use tenkai.compile)")
        return replay(self.step, args)


