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

``step.compile(target=...)`` lowers and compiles in one call. With ``TENKAI_DUMP_DIR`` set,
``lower`` writes the stage files (00_traced ... 06_kernels) and generating the code (``as_text``
of a code kind, ``generate()``, ``compile()``) writes the code's files, for any registered
target, with or without a runtime: for ``cuda`` the module's PTX, one PTX file per kernel and
the launch tables (``tenkai.compiler.debug.code_files``); ``TENKAI_PRINT_AFTER`` prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai._autograd import GRAD_MODE
from tenkai._random import default_generator
from tenkai._state import LIVE_OPTIMIZERS, fingerprint, name_state, state_created
from tenkai._step import CompiledStep, finish_trace, replay
from tenkai.codegen.target import Target, codegen_module, describe
from tenkai.compile import UntraceableError, run_traced, signature


def trace(fn: Any, *example_args: Any) -> TracedGraph:
    """Trace one call of ``fn`` (which runs, with its effects) into a graph.

    A call that creates optimizer state (the first step of a fresh optimizer: momentum
    buffers, Adam's moments and step count) is that first step, done eagerly; the graph is
    then traced from one more call, whose effects are undone (parameters, gradients, module
    buffers, optimizer state, the arguments and the random generators are put back as the
    first step left them). The traced program is the steady-state step: running it gives what
    the eager second, third, ... steps give."""
    before = fingerprint()
    finish, tracer = _run(fn, example_args)
    if not state_created(before, fingerprint()):
        return TracedGraph(finish())
    snapshot = StateSnapshot([c.tensor for c in tracer.captured.values()], example_args,
                             [use.generator for use in tracer.rng])
    before = fingerprint()
    try:
        finish, _ = _run(fn, example_args)
        if state_created(before, fingerprint()):
            raise RuntimeError("tenkai.trace: the traced call created optimizer state again "
                               "after a first step; trace a step whose state exists after "
                               "one call")
        step = finish()
    finally:
        snapshot.restore()
    return TracedGraph(step)


def _run(fn: Any, example_args: tuple[Any, ...]) -> tuple[Any, Any]:
    """One traced call of ``fn``: ``(finish, tracer)``, where ``finish()`` makes the step."""
    sig = signature(example_args)
    result, tracer, sites = run_traced(fn, example_args, sig)
    names = name_state(tracer)
    sites = tracer.sites + sites + names.untraceable
    if sites:
        report = "\n".join(f"  {k + 1}. {s}" for k, s in enumerate(sites))
        raise UntraceableError(f"tenkai.trace: {fn.__name__} cannot be traced:\n{report}")

    def finish() -> CompiledStep:
        return finish_trace(fn, tracer, names, result, example_args, sig, GRAD_MODE.enabled)
    return finish, tracer


class StateSnapshot:
    """The persistent state a step may change, copied so that :meth:`restore` puts it back:
    the tensors given (a trace's captured tensors: parameters, buffers, gradients), the
    parameters, gradients, state and param-group options of every live optimizer, the
    arguments and their gradients, and the random generators. Other Python objects (an LR
    scheduler's counters, plain module attributes) are not part of it."""

    def __init__(self, tensors: Sequence[Any], args: Sequence[Any],
                 generators: Sequence[Any] = ()) -> None:
        from tenkai._tensor import Tensor

        self.tensors: dict[int, tuple[Any, np.ndarray, np.ndarray]] = {}
        self.grads: dict[int, tuple[Any, Any]] = {}
        self.states: list[tuple[Any, Any, dict[str, Any] | None]] = []
        self.groups: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.generators = {id(g): (g, g.get_state()) for g in [default_generator, *generators]}
        owners = [a for a in args if isinstance(a, Tensor)] + list(tensors)
        for opt in list(LIVE_OPTIMIZERS):
            for group in opt.param_groups:
                self.groups.append((group, dict(group)))
                for p in group["params"]:
                    owners.append(p)
                    state = opt.state.get(p)
                    self.states.append((opt, p, None if state is None else dict(state)))
                    owners += [v for v in (state or {}).values() if isinstance(v, Tensor)]
        for t in owners:
            self._keep(t)
            if id(t) not in self.grads:
                self.grads[id(t)] = (t, t._grad)
                if t._grad is not None:
                    self._keep(t._grad)

    def _keep(self, t: Any) -> None:
        if id(t) not in self.tensors:
            self.tensors[id(t)] = (t, t._data, np.array(t._data, copy=True))

    def restore(self) -> None:
        for t, data, copy in self.tensors.values():
            t._data = data
            np.copyto(data, copy)
        for t, grad in self.grads.values():
            t._grad = grad
        for opt, p, state in self.states:
            live = opt.state.get(p)
            if state is None:
                opt.state.pop(p, None)
            elif live is None:
                opt.state[p] = state
            else:  # the same dict object, with the entries it had
                live.clear()
                live.update(state)
        for group, saved in self.groups:
            group.clear()
            group.update(saved)
        for g, state in self.generators.values():
            g.set_state(state)


class TracedGraph:
    """Stage 1: the traced graph (forward, backward, optimizer and state updates)."""

    def __init__(self, step: CompiledStep) -> None:
        self.step = step
        self.graph = step.graph

    def as_text(self) -> str:
        return self.graph.dump()

    def lower(self, target: str | Target = "cpu") -> LoweredGraph:
        """Run the passes and lower the fused graph to a kernel program for ``target``."""
        from tenkai.compiler.backend import Settings, _stage_log, lower, with_matmul_precision
        from tenkai.compiler.debug import PASS_STAGES
        from tenkai.ir.passes.pipeline import run_pipeline

        resolved = with_matmul_precision(describe(target))
        log = _stage_log(self.graph, Settings.from_env(), resolved)
        fused = run_pipeline(self.graph, dump_after=[s for s in PASS_STAGES if log.wants(s)],
                             dump=log.pass_dump)
        info: dict[str, Any] = {}
        program = lower(fused, resolved, info=info)
        log.add("lower", program.as_text)
        return LoweredGraph(self.step, fused, program, info, resolved, log)

    def compile(self, target: str | Target = "cpu") -> CompiledGraph:
        """``lower(target).compile()``."""
        return self.lower(target).compile()


class LoweredGraph:
    """Stage 2: the graph after simplify → fuse → recompute → plan_memory, and its kernel
    program."""

    def __init__(self, step: CompiledStep, fused: Any, program: Any,
                 info: dict[str, Any] | None = None, target: Target | None = None,
                 log: Any = None) -> None:
        self.step, self.fused, self.program = step, fused, program
        # ``kernel_nodes`` (kernel -> graph nodes) and ``group_outputs`` (see lower_program)
        self.info = info or {}
        self.target = target if target is not None else describe("cpu")
        self.log = log  # the StageLog of TENKAI_DUMP_DIR / TENKAI_PRINT_AFTER, or None
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
            if self.log is not None and self.log.active:
                self.log.add_code(self._generated, self.program, self.target)
        return self._generated

    def compile(self, target: str | Target | None = None) -> CompiledGraph:
        """Generate and load the kernel program for the target it was lowered for
        (``target``, when given, must be that one)."""
        from tenkai.codegen.target import runtime_module
        from tenkai.compiler.backend import build, with_matmul_precision

        wanted = self.target if target is None else with_matmul_precision(describe(target))
        if self.log is not None and self.log.active:
            self.generate()  # the dumps come from the generator, whether the target runs
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


