"""The CPU target's parallel loops, outlined onto the pool's ``tk_parallel_for``.

:class:`OutlinedLoops` is the :class:`~tenkai.codegen.llvm.emit.ParallelLoops` strategy the CPU
target hands the shared LLVM emitter (the pool itself: :mod:`tenkai.codegen.cpu.pool`).

A top-level ``Loop(parallel=True)`` of kernel ``K`` becomes::

    void K.par<k>(ptr noalias %buf..., i64 %begin, i64 %end)   ; the loop over [begin, end)
    void K.par<k>.task(ptr %ctx, i64 %begin, i64 %end)          ; loads the pointers, calls it
    ; in K: ctx = [ptr x n] of K's buffers; tk_parallel_for(K.par<k>.task, ctx, extent, grain)

The range function keeps ``noalias`` on its buffers, so its inner loops vectorize as in the
serial kernel. Loops of one kernel that differ only in constant offsets into their buffers (a
convolution's chunks) share one range function, each passing its own shifted pointers in
``ctx`` (:mod:`tenkai.codegen.kir.shift`): the code is generated and compiled once.

``grain`` gives every chunk at least :data:`CHUNK_MIN_WORK` innermost iterations; a loop
smaller than two grains stays a plain serial loop (no pool round trip), as does a loop whose
body reads values defined outside it.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.cpu.pool import BODY_TYPE
from tenkai.codegen.kir.nodes import (
    Acc,
    Contraction,
    If,
    Let,
    Loop,
    Reduce,
    Stmt,
    Var,
    exprs_of,
    sub_exprs,
    walk,
)
from tenkai.codegen.kir.shift import shifted_form
from tenkai.codegen.llvm.emit import KernelEmitter
from tenkai.codegen.llvm.types import I64, PTR, VOID
from tenkai.codegen.scalar.templates import storage_type
from tenkai.ir.dtypes import itemsize

CHUNK_MIN_WORK = 1 << 16  # innermost iterations per chunk: below this, threads cost more


def work(body: list[Stmt]) -> int:
    """Rough count of innermost operations one execution of ``body`` performs."""
    total = 0
    for s in body:
        if isinstance(s, Loop):
            total += max(s.extent, 0) * max(work(s.body), 1)
        elif isinstance(s, If):
            total += max(work(s.body), 1)
        elif isinstance(s, Reduce):  # its accumulator's reset, then its loops
            total += 1 + work(s.body)
        elif isinstance(s, Contraction):
            batch = 1
            for extent in s.batch:
                batch *= extent
            total += s.m * s.n * s.k * batch
        else:
            total += 1
    return total


def self_contained(loop: Loop) -> bool:
    """Does the loop body read only variables it defines (and its own loop variable)?"""
    defined = {loop.var}
    used: set[str] = set()
    for s in walk(loop.body):
        if isinstance(s, Loop):
            defined.add(s.var)
        elif isinstance(s, (Let, Acc)):
            defined.add(s.name)
        elif isinstance(s, Reduce):
            defined.add(s.acc)
        for e in exprs_of(s):
            used |= {x.name for x in sub_exprs(e) if isinstance(x, Var)}
    return used <= defined


class OutlinedLoops:
    """Parallel loops as ``tk_parallel_for`` calls (see the module docstring);
    ``parallel_for(module)`` declares the pool's entry point in ``module``."""

    def __init__(self, parallel_for: Callable[[ir.Module], ir.Function]) -> None:
        self.parallel_for = parallel_for
        # (kernel, shifted body's key) -> its task function: a loop equal to an earlier one
        # of its kernel up to buffer offsets calls the same code (kir/shift.py)
        self.tasks: dict[tuple[str, str], ir.Function] = {}

    def emit(self, em: KernelEmitter, loop: Loop) -> bool:
        """Emit ``loop`` through ``tk_parallel_for``; False (nothing emitted) if it cannot be."""
        grain = max(1, -(-CHUNK_MIN_WORK // max(work(loop.body), 1)))
        if grain >= loop.extent or not self_contained(loop):
            return False  # one chunk: the plain serial loop is best
        params = list(em.kernel.params)
        sizes = {p: itemsize(em.buffers[p].dtype) for p in params if p in em.buffers}
        key, body, shifts = shifted_form(loop, sizes)
        task = self.tasks.get((em.kernel.name, key))
        if task is None:
            task = self._task(em, body, params)
            self.tasks[(em.kernel.name, key)] = task
        ctx = em.entry_builder().alloca(PTR, size=max(len(params), 1), name="ctx")
        b = em.builder
        for k, p in enumerate(params):
            arg = em.pointer(p)
            if shifts.get(p):  # this loop's accesses start further on in the buffer
                arg = b.gep(arg, [ir.Constant(I64, shifts[p])], inbounds=False,
                            source_etype=storage_type(em.buffers[p].dtype), name=f"{p}.at")
            b.store(arg, b.gep(ctx, [ir.Constant(I64, k)], inbounds=True, source_etype=PTR))
        b.call(self.parallel_for(em.module),
               [task, ctx, ir.Constant(I64, loop.extent), ir.Constant(I64, grain)])
        return True

    def _task(self, em: KernelEmitter, loop: Loop, params: list[str]) -> ir.Function:
        """The range and task functions of ``loop`` (its shifted form), emitted now."""
        name = em.new_symbol("par")
        range_fn = ir.Function(em.module, ir.FunctionType(VOID, [PTR] * len(params)
                                                          + [I64, I64]), name=name)
        range_fn.linkage = "internal"
        with em.function(range_fn, params):
            begin, end = range_fn.args[-2], range_fn.args[-1]
            begin.name, end.name = "begin", "end"
            em.range_loop(loop.var, begin, end, loop.body, guard=True, extent=loop.extent)
        return _task_function(em.module, name, range_fn, len(params))


def _task_function(module: ir.Module, name: str, range_fn: ir.Function,
                   n_params: int) -> ir.Function:
    """``void name.task(ptr ctx, i64 begin, i64 end)``: unpack ctx and call ``range_fn``."""
    task = ir.Function(module, BODY_TYPE, name=f"{name}.task")
    task.linkage = "internal"
    task.attributes.add("nounwind")
    ctx, begin, end = task.args
    b = ir.IRBuilder(task.append_basic_block("entry"))
    ptrs = []
    for k in range(n_params):
        slot = b.gep(ctx, [ir.Constant(I64, k)], inbounds=True, source_etype=PTR)
        ptrs.append(b.load(slot, typ=PTR))
    b.call(range_fn, [*ptrs, begin, end])
    b.ret_void()
    return task
