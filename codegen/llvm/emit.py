"""The kernel skeleton for LLVM: one kernel-IR ``Kernel`` -> one LLVM function.

``void @<kernel>(ptr noalias %buf0, ptr noalias %buf1, ...)``: loops are canonical (one i64
phi from 0, increment, compare against the constant extent, latch at the bottom) so LLVM's
loop vectorizer handles the innermost ones; ``Acc`` accumulators are entry-block allocas
(promoted to registers by SROA), their float ``add``/``mul`` updates carry ``reassoc`` so
reductions vectorize. Scalar ops go through :mod:`tenkai.codegen.scalar.templates`; values are named
after the kernel-IR names, which are named after graph nodes (``%n3_exp``).

The target supplies what is not shared: a :class:`Contractions` strategy for ``Contraction``
statements (the CPU calls its GEMM) and a :class:`ParallelLoops` strategy that runs
top-level parallel loops (the CPU target outlines them onto its thread pool,
:mod:`tenkai.codegen.cpu.outline`).
Without one, parallel loops are emitted as serial loops.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from llvmlite import ir

from tenkai.codegen.kir.nodes import (
    STATUS_BUFFER,
    Acc,
    AccUpdate,
    Buffer,
    Check,
    Const,
    Contraction,
    Expr,
    If,
    Kernel,
    Let,
    Load,
    Loop,
    Reduce,
    Scalar,
    Stmt,
    Store,
    Var,
    walk,
)
from tenkai.codegen.llvm.loops import counted_loop, loop_hints
from tenkai.codegen.llvm.types import I64, PTR, VOID, i64
from tenkai.codegen.scalar.library import MathLibrary, math_library
from tenkai.codegen.scalar.templates import (
    DATA_OPERAND,
    RANDOM_OPS,
    constant,
    llvm_type,
    storage_type,
    template_for,
)
from tenkai.codegen.scalar.types import intrinsic
from tenkai.codegen.target import Target
from tenkai.ir import dtypes


class Contractions(Protocol):
    """A target's way of computing a :class:`Contraction` statement (the CPU calls its tuned
    GEMM, :mod:`tenkai.codegen.cpu.contraction`); it emits through the emitter's public API
    (:attr:`KernelEmitter.builder`, :meth:`~KernelEmitter.address`, ``module``, ``fn``)."""

    def emit(self, emitter: KernelEmitter, stmt: Contraction) -> None: ...


class ParallelLoops(Protocol):
    """A target's way of running a parallel loop: the emitter's hook for ``Loop(parallel=True)``.

    :meth:`emit` is called for each parallel loop at the top level of a kernel (not inside
    another loop or an ``If``) with more than one iteration. It either emits the whole loop
    through the emitter's public API (:attr:`KernelEmitter.module`, ``kernel``, ``builder``,
    :meth:`~KernelEmitter.pointer`, :meth:`~KernelEmitter.entry_builder`,
    :meth:`~KernelEmitter.new_symbol`, :meth:`~KernelEmitter.function`,
    :meth:`~KernelEmitter.range_loop`) and returns True, or emits nothing and returns False,
    and the emitter emits the plain serial loop."""

    def emit(self, emitter: KernelEmitter, loop: Loop) -> bool: ...


class KernelEmitter:
    """Emits one kernel; ``contractions`` computes its Contraction statements (see
    :class:`Contractions`) and ``parallel`` (optional) runs parallel loops (see
    :class:`ParallelLoops`)."""

    def __init__(self, module: ir.Module, kernel: Kernel, buffers: dict[str, Buffer],
                 contractions: Contractions | None,
                 parallel: ParallelLoops | None = None,
                 target: Target | MathLibrary | None = None) -> None:
        self.module, self.kernel, self.buffers = module, kernel, buffers
        self.contractions = contractions
        self.math = math_library(target)  # the target's math library (None: the CPU's)
        fnty = ir.FunctionType(VOID, [PTR] * len(kernel.params))
        self.parallel = parallel
        self.depth = 0
        self._symbols = 0
        self.fn = ir.Function(module, fnty, name=kernel.name)
        self.fn.attributes.add("noinline")
        self.begin(self.fn, kernel.params)

    def begin(self, fn: ir.Function, params: list[str]) -> None:
        """Start emitting into ``fn`` whose first arguments are the buffer pointers (a
        target's emitter calls it for a function it made itself, then :meth:`finish`)."""
        fn.attributes.add("nounwind")
        self.fn = fn
        self.ptrs: dict[str, ir.Value] = {}
        for arg, name in zip(fn.args, params, strict=False):  # outlined: + begin, end
            arg.name = name
            arg.add_attribute("noalias")
            self.ptrs[name] = arg
        self.entry = fn.append_basic_block("entry")
        self.b = ir.IRBuilder(fn.append_basic_block("body"))
        self.env: dict[str, tuple[str, Any, str]] = {}

    @property
    def builder(self) -> ir.IRBuilder:
        """The builder at the current emission point."""
        return self.b

    def pointer(self, buf: str) -> ir.Value:
        """The pointer argument of buffer ``buf`` in the function being emitted."""
        return self.ptrs[buf]

    def entry_builder(self) -> ir.IRBuilder:
        """A builder at the end of the entry block (for allocas: hoisted, promotable)."""
        return ir.IRBuilder(self.entry)

    def new_symbol(self, tag: str) -> str:
        """A fresh module-level name for a helper function of this kernel:
        ``<kernel>.<tag><k>`` with k counting the helpers made so far."""
        name = f"{self.kernel.name}.{tag}{self._symbols}"
        self._symbols += 1
        return name

    def finish(self) -> None:
        """Close the function being emitted: return, and enter its body from the entry."""
        self.b.ret_void()
        ir.IRBuilder(self.entry).branch(self.fn.blocks[1])

    @contextmanager
    def function(self, fn: ir.Function, params: list[str]) -> Iterator[None]:
        """Emit into another function (an outlined loop), then come back."""
        saved = (self.fn, self.ptrs, self.entry, self.b, self.env, self.depth)
        self.begin(fn, params)
        self.depth = 0
        try:
            yield
            self.finish()
        finally:
            self.fn, self.ptrs, self.entry, self.b, self.env, self.depth = saved

    def emit(self) -> ir.Function:
        self.block(self.kernel.body)
        self.finish()
        return self.fn

    # ------------------------------------------------------------ statements
    def block(self, body: list[Stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, s: Stmt) -> None:
        handler = getattr(self, "_" + type(s).__name__.lower(), None)
        if handler is None:
            raise TypeError(f"llvm emitter: unknown kernel-IR statement {s!r}")
        handler(s)

    def _loop(self, s: Loop) -> None:
        if s.extent <= 0:
            return
        if s.extent == 1:
            self.env[s.var] = ("val", i64(0), "int64")
            self.block(s.body)
            return
        if s.parallel and self.depth == 0 and self.parallel is not None \
                and self.parallel.emit(self, s):
            return
        self.range_loop(s.var, i64(0), i64(s.extent), s.body, guard=False, extent=s.extent)

    def range_loop(self, var: str, start: ir.Value, end: ir.Value, body: list[Stmt],
                   guard: bool, extent: int | None = None) -> None:
        """``for var in [start, end): body`` (``guard``: the range may be empty), in the
        canonical rotated form the loop vectorizer expects. ``extent``: the loop's full
        trip count, when static (a chunk of a parallel loop: the whole loop's), for
        :func:`unroll_allowed`."""
        hints = None
        if extent is not None and not unroll_allowed(extent, body):
            hints = self._no_unroll()
        with counted_loop(self.b, start, end, var, rotated=True, guard=guard,
                          hints=hints) as index:
            self.env[var] = ("val", index, "int64")
            self.depth += 1
            self.block(body)
            self.depth -= 1

    def _no_unroll(self) -> ir.MDValue:
        """The module's loop ID that turns unrolling off (made once per module)."""
        md = getattr(self.module, "_tk_no_unroll", None)
        if md is None:
            md = loop_hints(self.module, "llvm.loop.unroll.disable")
            self.module._tk_no_unroll = md  # type: ignore[attr-defined]
        return md

    def _let(self, s: Let) -> None:
        value = self.expr(s.value)
        if isinstance(value, ir.Instruction) and value.name.startswith("."):
            value.name = s.name  # name SSA values after graph nodes (%n3_exp)
        self.env[s.name] = ("val", value, s.value.dtype)

    def _acc(self, s: Acc) -> None:
        if s.name not in self.env or self.env[s.name][0] != "acc":
            slot = ir.IRBuilder(self.entry).alloca(llvm_type(s.dtype), name=s.name)
            self.env[s.name] = ("acc", slot, s.dtype)
        self.b.store(self.expr(s.init), self.env[s.name][1])

    def _reduce(self, s: Reduce) -> None:
        """In order, in one accumulator: the ``Acc`` it declares, then its loops."""
        self._acc(Acc(s.acc, s.dtype, s.identity))
        self.block(s.body)

    def _accupdate(self, s: AccUpdate) -> None:
        _, slot, dt = self.env[s.name]
        value = self.expr(s.value)
        if s.op != "set":
            current = self.b.load(slot, typ=llvm_type(dt))
            if dtypes.is_float(dt) and s.op in ("add", "mul"):
                op = self.b.fadd if s.op == "add" else self.b.fmul
                value = op(current, value, flags=("reassoc",))
            elif dtypes.is_float(dt) and s.op in ("maximum", "minimum"):
                # IEEE maximum/minimum propagate NaN like numpy and vectorize as reductions
                value = intrinsic(self.b, f"llvm.{s.op}", [current, value])
            else:
                value = template_for(s.op, dt, self.math)(self.b, current, value, dtype=dt,
                                                          out_dtype=dt)
        self.b.store(value, slot)

    def _store(self, s: Store) -> None:
        dt = self.buffers[s.buf].dtype
        value = self.expr(s.value)
        if dt == "bool":
            value = self.b.zext(value, storage_type(dt))
        st = self.b.store(value, self.address(s.buf, self.expr(s.index), dt))
        st.align = dtypes.itemsize(dt)

    def _if(self, s: If) -> None:
        cond = self.expr(s.cond)
        then = self.fn.append_basic_block("if.then")
        merge = self.fn.append_basic_block("if.end")
        self.b.cbranch(cond, then, merge)
        self.b.position_at_end(then)
        self.depth += 1
        self.block(s.body)
        self.depth -= 1
        self.b.branch(merge)
        self.b.position_at_end(merge)

    def _check(self, s: Check) -> None:
        ok = self.expr(s.cond)
        fail = self.fn.append_basic_block("check.fail")
        merge = self.fn.append_basic_block("check.ok")
        self.b.cbranch(ok, merge, fail)
        self.b.position_at_end(fail)
        self.b.store(i64(s.code), self.address(STATUS_BUFFER, i64(0), "int64"))
        value = self.expr(s.value)
        if value.type != I64:
            value = self.b.sext(value, I64)
        self.b.store(value, self.address(STATUS_BUFFER, i64(1), "int64"))
        self.b.branch(merge)
        self.b.position_at_end(merge)

    def _contraction(self, stmt: Contraction) -> None:
        if self.contractions is None:
            raise NotImplementedError(
                f"llvm emitter: kernel {self.kernel.name} has a contraction, but the target "
                "gave no contraction strategy (KernelEmitter(contractions=...))")
        self.contractions.emit(self, stmt)

    # ------------------------------------------------------------ expressions
    def address(self, buf: str, index: ir.Value, dtype: str) -> ir.Value:
        """The address of element ``index`` of buffer ``buf``."""
        return self.b.gep(self.ptrs[buf], [index], inbounds=True,
                          source_etype=storage_type(dtype))

    def expr(self, e: Expr) -> ir.Value:
        if isinstance(e, Const):
            return constant(e.value, e.dtype)
        if isinstance(e, Var):
            kind, value, dt = self.env[e.name]
            return self.b.load(value, typ=llvm_type(dt)) if kind == "acc" else value
        if isinstance(e, Load):
            return self._load(e)
        if isinstance(e, Scalar):
            return self._scalar(e)
        raise TypeError(f"llvm emitter: unknown kernel-IR expression {e!r}")

    def _load(self, e: Load) -> ir.Value:
        ld = self.b.load(self.address(e.buf, self.expr(e.index), e.dtype),
                         typ=storage_type(e.dtype))
        ld.align = dtypes.itemsize(e.dtype)
        if e.dtype == "bool":
            return self.b.icmp_unsigned("!=", ld, ir.Constant(ld.type, 0))
        return ld

    def _scalar(self, e: Scalar) -> ir.Value:
        values = [self.expr(a) for a in e.args]
        dt = e.dtype if e.op in RANDOM_OPS else e.args[DATA_OPERAND.get(e.op, 0)].dtype
        attrs = {k: v for k, v in e.attrs if k != "dtype"}  # the result dtype is out_dtype
        return template_for(e.op, dt, self.math)(self.b, *values, dtype=dt, out_dtype=e.dtype,
                                                 **attrs)


# Full unrolling pays for short loops (a 3x3 window, the rows of a 28-wide image: bounds
# tests fold away) but, at O3, LLVM also copies out long loops around a vectorized body and
# the loops around those, into one huge block (a 16 x 784 bias-add: 6,000 lines, seconds of
# instruction selection, no faster than the loop).
UNROLL_MAX_EXTENT = 64
# Nor may full unrolling multiply a body more than UNROLL_MAX_COPIES times (a loop's extent
# times the trips of the deepest nest inside it): a row loop of 14 around a column loop of 14
# (an im2col tile) unrolled both ways, or a 64-row loop around a 10-wide reduction, is
# hundreds of copies of the body, each compiled, for no speed (the CNN step's LLVM time fell
# by a third, its kernels as fast). Window loops of at most UNROLL_WINDOW iterations (a 3x3
# kernel's rows and columns) stay unrollable around anything: their constant offsets fold
# into the nest inside (the first convolution's im2col: 0.23 -> 0.40 ms without).
UNROLL_MAX_COPIES = 64
UNROLL_WINDOW = 4


def longest_loop(body: list[Stmt]) -> int:
    """The largest extent of any loop nested in ``body`` (0 without loops)."""
    return max((s.extent for s in walk(body) if isinstance(s, Loop)), default=0)


def nest_trips(body: list[Stmt]) -> int:
    """How many times the deepest loop nest of ``body`` runs its innermost statements (1
    without loops): the copies full unrolling of every loop in it would make."""
    trips = 1
    for s in body:
        if isinstance(s, Loop):
            trips = max(trips, s.extent * nest_trips(s.body))
        elif isinstance(s, (If, Reduce)):
            trips = max(trips, nest_trips(s.body))
    return trips


def unroll_allowed(extent: int, body: list[Stmt]) -> bool:
    """May LLVM unroll a loop of ``extent`` around ``body``? Not when it or a loop inside it
    runs longer than :data:`UNROLL_MAX_EXTENT`: such a loop keeps its vectorizer's
    interleaving but is not copied out, nor are the loops around it. Nor when unrolling it
    would copy the innermost body more than :data:`UNROLL_MAX_COPIES` times, unless it is a
    window loop of at most :data:`UNROLL_WINDOW` iterations."""
    if max(extent, longest_loop(body)) > UNROLL_MAX_EXTENT:
        return False
    return extent <= UNROLL_WINDOW or extent * nest_trips(body) <= UNROLL_MAX_COPIES


def emit_step(module: ir.Module, entry: str, kernels: list[ir.Function],
              params: list[list[int]], status_slot: int | None = None,
              checks: list[bool] | None = None) -> ir.Function:
    """``void @entry(ptr %buffers)``: call every kernel with pointers from the buffer table.

    After each kernel with run-time checks (``checks[k]``) the entry reads the status word
    (buffer ``status_slot``) and returns at once when a check failed, so no later kernel (no
    state update) runs after a failed check."""
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), name=entry)
    fn.args[0].name = "buffers"
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    checks = checks or [False] * len(kernels)
    for kfn, slots, checked in zip(kernels, params, checks, strict=True):
        args: list[ir.Value] = []
        for slot in slots:
            at = b.gep(fn.args[0], [i64(slot)], inbounds=True, source_etype=PTR)
            args.append(b.load(at, typ=PTR, name=f"{kfn.args[len(args)].name}.ptr"))
        b.call(kfn, args)
        if checked and status_slot is not None:
            at = b.gep(fn.args[0], [i64(status_slot)], inbounds=True, source_etype=PTR)
            status = b.load(b.load(at, typ=PTR, name="status.ptr"), typ=I64, name="status")
            failed = fn.append_basic_block(f"{kfn.name}.failed")
            ok = fn.append_basic_block(f"{kfn.name}.ok")
            b.cbranch(b.icmp_signed("!=", status, i64(0)), failed, ok)
            b.position_at_end(failed)
            b.ret_void()
            b.position_at_end(ok)
    b.ret_void()
    return fn
