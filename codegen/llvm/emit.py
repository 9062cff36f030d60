"""The kernel skeleton for LLVM: one kernel-IR ``Kernel`` -> one LLVM function.

``void @<kernel>(ptr noalias %buf0, ptr noalias %buf1, ...)``: loops are canonical (one i64
phi from 0, increment, compare against the constant extent, latch at the bottom) so LLVM's
loop vectorizer handles the innermost ones; ``Acc`` accumulators are entry-block allocas
(promoted to registers by SROA), their float ``add``/``mul`` updates carry ``reassoc`` so
reductions vectorize. Scalar ops go through :mod:`tenkai.codegen.scalar.templates`; values are named
after the kernel-IR names, which are named after graph nodes (``%n3_exp``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from llvmlite import ir

from tenkai.codegen.cpu.outline import outline_parallel
from tenkai.codegen.kir.nodes import (
    STATUS_BUFFER,
    Acc,
    AccUpdate,
    Buffer,
    Check,
    Const,
    Expr,
    Gemm,
    If,
    Kernel,
    Let,
    Load,
    Loop,
    Scalar,
    Stmt,
    Store,
    Var,
)
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

I64 = ir.IntType(64)
PTR = ir.PointerType()
GemmLookup = Callable[[ir.Module, str], ir.Function]
ParallelLookup = Callable[[ir.Module], ir.Function]


def i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


class KernelEmitter:
    """Emits one kernel; ``gemm(module, dtype)`` returns the GEMM function to call."""

    def __init__(self, module: ir.Module, kernel: Kernel, buffers: dict[str, Buffer],
                 gemm: GemmLookup, parallel_for: ParallelLookup | None = None,
                 target: Target | MathLibrary | None = None) -> None:
        self.module, self.kernel, self.buffers, self.gemm = module, kernel, buffers, gemm
        self.math = math_library(target)  # the target's math library (None: the CPU's)
        fnty = ir.FunctionType(ir.VoidType(), [PTR] * len(kernel.params))
        self.parallel_for = parallel_for
        self.depth = 0
        self.outlined = 0
        self.fn = ir.Function(module, fnty, name=kernel.name)
        self.fn.attributes.add("noinline")
        self._begin(self.fn, kernel.params)

    def _begin(self, fn: ir.Function, params: list[str]) -> None:
        """Start emitting into ``fn`` whose first arguments are the buffer pointers."""
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

    def _finish(self) -> None:
        self.b.ret_void()
        ir.IRBuilder(self.entry).branch(self.fn.blocks[1])

    @contextmanager
    def function(self, fn: ir.Function, params: list[str]) -> Iterator[None]:
        """Emit into another function (an outlined loop), then come back."""
        saved = (self.fn, self.ptrs, self.entry, self.b, self.env, self.depth)
        self._begin(fn, params)
        self.depth = 0
        try:
            yield
            self._finish()
        finally:
            self.fn, self.ptrs, self.entry, self.b, self.env, self.depth = saved

    def emit(self) -> ir.Function:
        self.block(self.kernel.body)
        self._finish()
        return self.fn

    # ------------------------------------------------------------ statements
    def block(self, body: list[Stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, s: Stmt) -> None:
        handler = getattr(self, "_" + type(s).__name__.lower(), None)
        if handler is None:
            raise TypeError(f"llvm_cpu: unknown kernel-IR statement {s!r}")
        handler(s)

    def _loop(self, s: Loop) -> None:
        if s.extent <= 0:
            return
        if s.extent == 1:
            self.env[s.var] = ("val", i64(0), "int64")
            self.block(s.body)
            return
        if s.parallel and self.depth == 0 and self.parallel_for is not None \
                and outline_parallel(self, s):
            return
        self.range_loop(s.var, i64(0), i64(s.extent), s.body, guard=False)

    def range_loop(self, var: str, start: ir.Value, end: ir.Value, body: list[Stmt],
                   guard: bool) -> None:
        """``for var in [start, end): body`` (``guard``: the range may be empty)."""
        pre = self.b.block
        header = self.fn.append_basic_block(f"{var}.loop")
        exit_ = self.fn.append_basic_block(f"{var}.exit")
        if guard:
            self.b.cbranch(self.b.icmp_signed("<", start, end), header, exit_)
        else:
            self.b.branch(header)
        self.b.position_at_end(header)
        phi = self.b.phi(I64, name=var)
        phi.add_incoming(start, pre)
        self.env[var] = ("val", phi, "int64")
        self.depth += 1
        self.block(body)
        self.depth -= 1
        nxt = self.b.add(phi, i64(1), name=f"{var}.next", flags=("nuw", "nsw"))
        phi.add_incoming(nxt, self.b.block)
        self.b.cbranch(self.b.icmp_signed("<", nxt, end), header, exit_)
        self.b.position_at_end(exit_)

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
        st = self.b.store(value, self._address(s.buf, self.expr(s.index), dt))
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
        self.b.store(i64(s.code), self._address(STATUS_BUFFER, i64(0), "int64"))
        value = self.expr(s.value)
        if value.type != I64:
            value = self.b.sext(value, I64)
        self.b.store(value, self._address(STATUS_BUFFER, i64(1), "int64"))
        self.b.branch(merge)
        self.b.position_at_end(merge)

    def _gemm(self, s: Gemm) -> None:
        fn = self.gemm(self.module, s.dtype)
        offsets = [i64(s.a_offset), i64(s.b_offset), i64(s.c_offset)]
        self._gemm_batch(s, fn, list(s.batch), offsets)

    def _gemm_batch(self, s: Gemm, fn: ir.Function, batch: list[tuple[int, int, int, int]],
                    offsets: list[ir.Value]) -> None:
        if not batch:
            self._gemm_call(s, fn, offsets)
            return
        (extent, *strides), rest = batch[0], batch[1:]
        var = f"gemm.b{len(s.batch) - len(batch)}"
        pre = self.b.block
        header = self.fn.append_basic_block(f"{var}.loop")
        self.b.branch(header)
        self.b.position_at_end(header)
        phi = self.b.phi(I64, name=var)
        phi.add_incoming(i64(0), pre)
        moved = [self.b.add(off, self.b.mul(phi, i64(st))) for off, st in
                 zip(offsets, strides, strict=True)]
        self._gemm_batch(s, fn, rest, moved)
        nxt = self.b.add(phi, i64(1), flags=("nuw", "nsw"))
        exit_ = self.fn.append_basic_block(f"{var}.exit")
        phi.add_incoming(nxt, self.b.block)
        self.b.cbranch(self.b.icmp_signed("<", nxt, i64(extent)), header, exit_)
        self.b.position_at_end(exit_)

    def _gemm_call(self, s: Gemm, fn: ir.Function, offsets: list[ir.Value]) -> None:
        a, bb, c = (self._address(name, off, s.dtype) for name, off in
                    zip((s.a, s.b, s.c), offsets, strict=True))
        ints = [s.m, s.n, s.k, a, *s.a_strides, bb, *s.b_strides, c, s.c_stride,
                int(s.accumulate)]
        args: list[ir.Value] = []
        for value, ty in zip(ints, fn.function_type.args, strict=True):
            args.append(value if not isinstance(value, int) else ir.Constant(ty, value))
        self.b.call(fn, args)

    # ------------------------------------------------------------ expressions
    def _address(self, buf: str, index: ir.Value, dtype: str) -> ir.Value:
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
        raise TypeError(f"llvm_cpu: unknown kernel-IR expression {e!r}")

    def _load(self, e: Load) -> ir.Value:
        ld = self.b.load(self._address(e.buf, self.expr(e.index), e.dtype),
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


def emit_step(module: ir.Module, entry: str, kernels: list[ir.Function],
              params: list[list[int]], status_slot: int | None = None,
              checks: list[bool] | None = None) -> ir.Function:
    """``void @entry(ptr %buffers)``: call every kernel with pointers from the buffer table.

    After each kernel with run-time checks (``checks[k]``) the entry reads the status word
    (buffer ``status_slot``) and returns at once when a check failed, so no later kernel (no
    state update) runs after a failed check."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR]), name=entry)
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
