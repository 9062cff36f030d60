"""Kernels for eager ops: one small LLVM module per op *family*, generic over sizes.

The eager provider (``tenkai._native_eager``) runs registry ops one by one on numpy buffers. A
kernel here is compiled once per (op, attributes, dtypes, broadcast pattern) and serves every
size: sizes, strides and pointers arrive at run time in a *context*, an array of ``i64`` slots
(pointers as integers). Every kernel is a parallel-loop body of the shared pool's protocol
(:mod:`tenkai.codegen.cpu.pool`)::

    void <name>(i8* ctx, i64 begin, i64 end)

so the caller runs it through ``tk_parallel_for(body, ctx, n, grain)`` (or calls it directly
on ``[0, n)``). The scalar math comes from the compiler's templates
(:mod:`tenkai.codegen.scalar.templates`), so an eager op computes what a compiled one does.

Families:

* :func:`elementwise` -- an elementwise registry op over a 3-D iteration space
  ``outer x mid x inner`` (the caller folds the shape and the broadcasts into it). Each
  operand has a *kind*, a 0/1 mask of the three axes it spans (contiguous, C order):
  ``"111"`` a full operand, ``"000"`` a scalar, ``"001"`` a row broadcast over rows,
  ``"010"`` a per-channel vector (``(1, C, 1, 1)`` against ``(N, C, H, W)``), ... The loop
  runs over flat element ranges ``[begin, end)``, one contiguous run of a row at a time (the
  inner loop is what LLVM vectorizes).
* :func:`max_pool` -- ``max_pool2d`` values, window argmax indices, or the gradient
  (scattered to each window's argmax), parallel over the ``N * C`` planes. Ties and NaN follow
  the reference (:mod:`tenkai.ir.nn_reference`): the first maximum wins, a NaN always wins
  (the last NaN of a window), an all ``-inf`` window picks its first in-bounds cell.
* :func:`reduction` -- ``sum``/``max`` over the middle axis of ``outer x red x inner``.
* :func:`random` -- ``uniform``/``normal``/``randint`` draws of the Philox stream.
* :func:`.eager_nn.window_matrix` -- the convolution's im2col matrix and its adjoint
  (col2im), which turn ``conv2d`` and its gradients into GEMMs (in :mod:`.eager_nn`, with
  the gradient of max pooling over tiling windows).

A :class:`EagerKernel` is known by a static :attr:`~EagerKernel.key` (its spec, the generator
sources, the host CPU and LLVM version), so a cached object is found without generating code.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import llvmlite.binding as llvm
from llvmlite import ir

from tenkai.codegen.cpu.library import generator_sources, new_module
from tenkai.codegen.cpu.machine import emit_object, host_cpu, optimize_ir
from tenkai.codegen.llvm.loops import counted_loop, loop_hints
from tenkai.codegen.llvm.types import I1, I8, I64, PTR, VOID
from tenkai.codegen.scalar.library import math_library
from tenkai.codegen.scalar.templates import DATA_OPERAND, TEMPLATES, template_for
from tenkai.codegen.scalar.types import constant, llvm_type, storage_type
from tenkai.ir import dtypes

BODY_TYPE = ir.FunctionType(VOID, [PTR, I64, I64])
STATS = {"built": 0}  # kernels whose object code this process generated (tests count)


@dataclass(frozen=True)
class EagerKernel:
    """One eager kernel: ``family`` and its JSON ``spec``; :attr:`symbol` is the body."""

    family: str
    spec: str

    @property
    def symbol(self) -> str:
        return f"tk_eager_{self.family}_{hashlib.sha256(self.spec.encode()).hexdigest()[:16]}"

    @functools.cached_property
    def key(self) -> str:
        """Static: the spec, the generator sources, the host CPU, LLVM (nothing is built)."""
        cpu = host_cpu()
        text = json.dumps({"family": self.family, "spec": self.spec,
                           "sources": generator_sources(), "eager": _own_source(),
                           "cpu": [cpu.triple, cpu.name, cpu.features],
                           "llvm": list(llvm.llvm_version_info)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def module(self) -> ir.Module:
        spec = json.loads(self.spec)
        module = new_module(self.symbol)
        GENERATORS[self.family](module, self.symbol, **spec)
        return module

    @property
    def ir_text(self) -> str:
        return _optimized_ir(self)

    def object_code(self) -> bytes:
        return _object(self)


@functools.cache
def _own_source() -> str:
    with open(__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# elementwise ops whose templates are long vector math (compute-bound): on AVX-512 CPUs their
# kernels use 512-bit vectors, which LLVM's cost model does not pick by itself there
# (``prefer-vector-width`` 256 on Ice Lake/Skylake servers). Lanes are independent, so the
# results are the same bits: only faster (measured, 10^6 float32 exp on one thread: 770 us
# with 8 lanes, 520 us with 16)
WIDE_OPS = frozenset({"exp", "log", "expm1", "log1p", "sigmoid", "tanh"})


@functools.cache
def _optimized_ir(kernel: EagerKernel) -> str:
    text = str(kernel.module())
    if kernel.family == "elementwise" and json.loads(kernel.spec)["op"] in WIDE_OPS \
            and host_cpu().has("avx512f"):
        text = _prefer_wide_vectors(text, kernel.symbol)
    return str(optimize_ir(text, 3))


def _prefer_wide_vectors(text: str, symbol: str) -> str:
    """The module's IR with function ``symbol`` asking for 512-bit vectors."""
    head = f'define void @"{symbol}"'
    start = text.index(head)
    brace = text.index("{", start)
    group = 'attributes #90 = { nounwind "prefer-vector-width"="512" ' \
            '"min-legal-vector-width"="512" }'
    return f"{text[:brace]}#90 {text[brace:]}\n{group}\n"


@functools.cache
def _object(kernel: EagerKernel) -> bytes:
    STATS["built"] += 1
    return emit_object(_optimized_ir(kernel))


def _spec(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True)


def _body(module: ir.Module, name: str) -> tuple[ir.IRBuilder, ir.Value, ir.Value, ir.Value]:
    fn = ir.Function(module, BODY_TYPE, name=name)
    fn.attributes.add("nounwind")
    ctx, begin, end = fn.args
    ctx.name, begin.name, end.name = "ctx", "begin", "end"
    return ir.IRBuilder(fn.append_basic_block("entry")), ctx, begin, end


def _slot(b: ir.IRBuilder, ctx: ir.Value, k: int, pointer: bool = False) -> ir.Value:
    value = b.load(b.gep(ctx, [I64(k)], inbounds=True, source_etype=I64), typ=I64)
    return b.inttoptr(value, PTR) if pointer else value


def _load(b: ir.IRBuilder, base: ir.Value, index: ir.Value, dtype: str) -> ir.Value:
    st = storage_type(dtype)
    value = b.load(b.gep(base, [index], inbounds=True, source_etype=st), typ=st)
    return b.icmp_unsigned("!=", value, ir.Constant(I8, 0)) if dtype == "bool" else value


def _store(b: ir.IRBuilder, value: ir.Value, base: ir.Value, index: ir.Value,
           dtype: str) -> None:
    st = storage_type(dtype)
    if dtype == "bool":
        value = b.zext(value, I8)
    b.store(value, b.gep(base, [index], inbounds=True, source_etype=st))


# ---------------------------------------------------------------- elementwise


def elementwise(op: str, in_dtypes: tuple[str, ...], out_dtype: str, kinds: tuple[str, ...],
                attrs: dict[str, Any]) -> EagerKernel:
    """The kernel of elementwise ``op`` (see the module docstring). Context slots:
    ``[out, in_0, ..., in_k, mid, inner]``. Raises NotImplementedError when ``op`` has no
    template or a kind is not a 3-character 0/1 mask."""
    if op not in TEMPLATES:
        raise NotImplementedError(f"eager kernels: no scalar template for {op!r}")
    if len(kinds) != len(in_dtypes) or any(len(k) != 3 or set(k) - set("01") for k in kinds):
        raise NotImplementedError(f"eager kernels: operand kinds {kinds!r} (a 3-character "
                                  f"0/1 mask per operand)")
    return EagerKernel("elementwise", _spec(op=op, in_dtypes=list(in_dtypes),
                                            out_dtype=out_dtype, kinds=list(kinds),
                                            attrs=_plain_attrs(attrs)))


def _plain_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in sorted(attrs.items()):
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[k] = v
        else:
            raise NotImplementedError(f"eager kernels: attribute {k}={v!r} is not a scalar")
    return out


def _gen_elementwise(module: ir.Module, name: str, op: str, in_dtypes: list[str],
                     out_dtype: str, kinds: list[str], attrs: dict[str, Any]) -> None:
    b, ctx, begin, end = _body(module, name)
    out = _slot(b, ctx, 0, pointer=True)
    ins = [_slot(b, ctx, 1 + k, pointer=True) for k in range(len(in_dtypes))]
    mid = _slot(b, ctx, 1 + len(in_dtypes))
    cols = _slot(b, ctx, 2 + len(in_dtypes))
    data_dtype = in_dtypes[DATA_OPERAND.get(op, 0)]
    template = template_for(op, data_dtype)
    # the row-run loop: i from begin to end, one run [c0, c1) of row r at a time
    entry = b.block
    head = b.append_basic_block("run.head")
    body = b.append_basic_block("run.body")
    done = b.append_basic_block("run.exit")
    b.cbranch(b.icmp_signed("<", begin, end), head, done)
    b.position_at_end(head)
    i = b.phi(I64, name="i")
    i.add_incoming(begin, entry)
    b.branch(body)
    b.position_at_end(body)
    r = b.sdiv(i, cols, name="r")
    c0 = b.sub(i, b.mul(r, cols), name="c0")
    left = b.sub(end, i)
    c1 = b.select(b.icmp_signed("<", b.sub(cols, c0), left), cols, b.add(c0, left), name="c1")
    row = b.mul(r, cols, name="row")
    o = b.sdiv(r, mid, name="o")
    m = b.sub(r, b.mul(o, mid), name="m")
    bases = []  # per operand: the start of its run, and whether it moves along the run
    for kind in kinds:
        start = I64(0)
        if kind[0] == "1":
            start = b.mul(o, mid) if kind[1] == "1" else o
        if kind[1] == "1":
            start = b.add(start, m)
        if kind[2] == "1":
            start = b.mul(start, cols)
        bases.append(start)
    with counted_loop(b, c0, c1, "c", rotated=True) as c:
        values = []
        for base, kind, start, dt in zip(ins, kinds, bases, in_dtypes, strict=True):
            index = b.add(start, c) if kind[2] == "1" else start
            values.append(_load(b, base, index, dt))
        result = template(b, *values, dtype=data_dtype, out_dtype=out_dtype, **attrs)
        _store(b, result, out, b.add(row, c), out_dtype)
    nxt = b.add(i, b.sub(c1, c0))
    i.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_signed("<", nxt, end), head, done)
    b.position_at_end(done)
    b.ret_void()


# ---------------------------------------------------------------- max pooling

POOL_MODES = ("value", "indices", "grad")


def max_pool(mode: str, dtype: str, inside: bool = False,
             window: tuple[int, ...] | None = None) -> EagerKernel:
    """``max_pool2d`` (``mode="value"``), ``max_pool2d_indices`` (``"indices"``) or
    ``max_pool2d_grad`` (``"grad"``) for float ``dtype``, over planes ``[begin, end)``.
    Context slots: ``[x, out, g, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW]`` (``out`` is
    the gradient w.r.t. ``x`` for ``"grad"``, zeroed by the caller; ``g`` its cotangent).
    ``inside=True``: the caller guarantees every window lies inside the input (no padding, no
    ceil-mode overhang), so the kernel skips the bounds checks. ``window=(KH, KW, SH, SW, DH,
    DW)`` (with ``inside``): those compiled in (the sizes stay run-time values), the window's
    cells unrolled into straight-line code per output."""
    if mode not in POOL_MODES or not dtypes.is_float(dtype) or (window and not inside):
        raise NotImplementedError(f"eager kernels: max_pool mode {mode!r} on {dtype}")
    if window:
        return EagerKernel("max_pool_rows", _spec(mode=mode, dtype=dtype,
                                                  window=[int(v) for v in window]))
    return EagerKernel("max_pool", _spec(mode=mode, dtype=dtype, inside=bool(inside)))


def _gen_max_pool_rows(module: ir.Module, name: str, mode: str, dtype: str,
                       window: list[int]) -> None:
    b, ctx, begin, end = _body(module, name)
    ty = llvm_type(dtype)
    x, out, g = (_slot(b, ctx, k, pointer=True) for k in range(3))
    h, w, oh, ow = (_slot(b, ctx, k) for k in range(3, 7))
    kh, kw, sh, sw, dh, dw = window
    plane_in, plane_out = b.mul(h, w), b.mul(oh, ow)
    zero = I64(0)

    def at(base: ir.Value, index: ir.Value, t: ir.Type = ty) -> ir.Value:
        return b.gep(base, [index], inbounds=True, source_etype=t)

    with counted_loop(b, begin, end, "p") as p:
        xin = b.mul(p, plane_in)
        yout = b.mul(p, plane_out)
        with counted_loop(b, zero, oh, "y") as y:
            top = b.mul(b.mul(y, I64(sh)), w)
            line = b.add(yout, b.mul(y, ow))
            with counted_loop(b, zero, ow, "x", rotated=True) as xo:
                first = b.add(top, b.mul(xo, I64(sw)))
                best = b.load(at(x, b.add(xin, first)), typ=ty)
                where = first
                for i in range(kh):  # the window's cells, unrolled, in row-major order
                    for j in range(kw):
                        if i == 0 and j == 0:
                            continue
                        cell = b.add(first, b.add(b.mul(I64(i * dh), w), I64(j * dw)))
                        v = b.load(at(x, b.add(xin, cell)), typ=ty)
                        take = b.or_(b.fcmp_ordered(">", v, best),
                                     b.fcmp_unordered("uno", v, v))
                        best = b.select(take, v, best)
                        where = b.select(take, cell, where)
                slot = b.add(line, xo)
                if mode == "value":
                    b.store(best, at(out, slot))
                elif mode == "indices":
                    b.store(where, at(out, slot, I64))
                else:
                    target = at(out, b.add(xin, where))
                    gv = b.load(at(g, slot), typ=ty)
                    b.store(b.fadd(b.load(target, typ=ty), gv), target)
    b.ret_void()


def _gen_max_pool(module: ir.Module, name: str, mode: str, dtype: str, inside: bool) -> None:
    b, ctx, begin, end = _body(module, name)
    ty = llvm_type(dtype)
    x, out, g = (_slot(b, ctx, k, pointer=True) for k in range(3))
    h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw = (_slot(b, ctx, k) for k in range(3, 15))
    plane_in, plane_out = b.mul(h, w), b.mul(oh, ow)
    zero, false = I64(0), ir.Constant(I1, 0)
    best, where, found = b.alloca(ty), b.alloca(I64), b.alloca(I1)  # in the entry: mem2reg
    with counted_loop(b, begin, end, "p") as p:
        xin = b.mul(p, plane_in)
        yout = b.mul(p, plane_out)
        with counted_loop(b, zero, oh, "y") as y:
            top = b.sub(b.mul(y, sh), ph)
            with counted_loop(b, zero, ow, "x") as xo:
                left = b.sub(b.mul(xo, sw), pw)
                b.store(constant(float("-inf"), dtype), best)
                b.store(I64(-1), where)
                b.store(false, found)
                with counted_loop(b, zero, kh, "i") as i:
                    row = b.add(top, b.mul(i, dh))
                    row_ok = (ir.Constant(I1, 1) if inside else
                              b.and_(b.icmp_signed(">=", row, zero), b.icmp_signed("<", row, h)))
                    with b.if_then(row_ok), counted_loop(b, zero, kw, "j") as j:
                        col = b.add(left, b.mul(j, dw))
                        ok = (ir.Constant(I1, 1) if inside else
                              b.and_(b.icmp_signed(">=", col, zero), b.icmp_signed("<", col, w)))
                        with b.if_then(ok):
                            at = b.add(b.mul(row, w), col)
                            v = b.load(b.gep(x, [b.add(xin, at)], inbounds=True,
                                             source_etype=ty), typ=ty)
                            m = b.load(best, typ=ty)
                            take = b.or_(b.or_(b.not_(b.load(found, typ=I1)),
                                               b.fcmp_ordered(">", v, m)),
                                         b.fcmp_unordered("uno", v, v))
                            with b.if_then(take):
                                b.store(v, best)
                                b.store(at, where)
                                b.store(ir.Constant(I1, 1), found)
                slot = b.add(yout, b.add(b.mul(y, ow), xo))
                if mode == "value":
                    b.store(b.load(best, typ=ty),
                            b.gep(out, [slot], inbounds=True, source_etype=ty))
                elif mode == "indices":
                    b.store(b.load(where, typ=I64),
                            b.gep(out, [slot], inbounds=True, source_etype=I64))
                else:
                    at = b.load(where, typ=I64)
                    with b.if_then(b.icmp_signed(">=", at, zero)):
                        target = b.gep(out, [b.add(xin, at)], inbounds=True, source_etype=ty)
                        gv = b.load(b.gep(g, [slot], inbounds=True, source_etype=ty), typ=ty)
                        b.store(b.fadd(b.load(target, typ=ty), gv), target)
    b.ret_void()


# ---------------------------------------------------------------- random


def random(op: str, dtype: str) -> EagerKernel:
    """``uniform``/``normal``/``randint`` of ``dtype`` from tenkai's counter-based Philox
    stream: element ``i`` draws counter ``offset + i`` under ``seed``, with the compiler's
    Philox rounds and bit transforms (:mod:`tenkai.codegen.scalar.philox`), so an eager draw
    is the stream a compiled step draws. The distribution's parameters are run-time values
    (one kernel for every ``low``/``high``, ``mean``/``std``). Context slots:
    ``[out, seed, offset, a, b]`` with ``a``, ``b`` float64 bit patterns: ``(low, high -
    low)`` for uniform and randint, ``(mean, std)`` for normal."""
    if op not in ("uniform", "normal", "randint"):
        raise NotImplementedError(f"eager kernels: no random kernel for {op!r}")
    if op != "randint" and not dtypes.is_float(dtype):
        raise NotImplementedError(f"eager kernels: {op} on {dtype}")
    return EagerKernel("random", _spec(op=op, dtype=dtype))


def _gen_random(module: ir.Module, name: str, op: str, dtype: str) -> None:
    from tenkai.codegen.scalar import philox
    from tenkai.codegen.scalar.types import F64, convert

    b, ctx, begin, end = _body(module, name)
    out = _slot(b, ctx, 0, pointer=True)
    seed, offset = _slot(b, ctx, 1), _slot(b, ctx, 2)
    first, second = (b.bitcast(_slot(b, ctx, k), F64) for k in (3, 4))
    lib = math_library(None)
    # normal: four vectors in flight per iteration (the Box-Muller math is long dependency
    # chains; lanes are independent, so the same bits: measured, 2^20 float32 on one Zen 4
    # thread, 5.4 ms with one, 4.5 ms with four)
    hints = loop_hints(module, ("llvm.loop.interleave.count", 4)) if op == "normal" else None
    with counted_loop(b, begin, end, "i", rotated=True, hints=hints) as i:
        counter = b.add(offset, i)
        if op == "normal":  # the template's Box-Muller, with mean/std at run time
            v = b.fadd(first, b.fmul(second, philox.box_muller(b, lib, seed, counter, dtype)))
        elif op == "uniform":
            u = philox.uniform01(b, seed, counter, dtype == "float64")
            v = b.fadd(first, b.fmul(second, u))
        else:
            u = philox.uniform01(b, seed, counter, True)
            v = b.fadd(first, lib.call(b, "floor", [b.fmul(u, second)]))
        _store(b, convert(b, v, "float64", dtype), out, i, dtype)
    b.ret_void()


# ---------------------------------------------------------------- reductions

REDUCE_OPS = ("sum", "max")


def reduction(op: str, dtype: str, layout: str) -> EagerKernel:
    """``sum`` or ``max`` of float ``dtype`` over the middle axis of a contiguous
    ``outer x red x inner`` array. ``layout="rows"`` (``inner == 1``): task ``t`` reduces
    chunk ``t % chunks`` (``chunk`` elements) of row ``t // chunks`` into ``out[t]`` (the
    caller combines the partials of a row); ``"cols"``: task ``t`` reduces
    ``x[o, :, j0:j1]`` for ``o = t // chunks``, ``j`` chunk ``t % chunks``, into
    ``out[o, j0:j1]``. Sums add with ``reassoc`` (vector partial sums, like the compiled
    reductions), max propagates NaN. Context slots: ``[x, out, red, inner, chunks, chunk]``."""
    if op not in REDUCE_OPS or dtype not in ("float32", "float64") or layout not in (
            "rows", "cols"):
        raise NotImplementedError(f"eager kernels: {op} reduction on {dtype} ({layout})")
    return EagerKernel("reduction", _spec(op=op, dtype=dtype, layout=layout))


def _combine(b: ir.IRBuilder, op: str, acc: ir.Value, v: ir.Value) -> ir.Value:
    if op == "sum":
        out = b.fadd(acc, v)
        out.flags.append("reassoc")
        return out
    from tenkai.codegen.scalar.types import intrinsic

    return intrinsic(b, "llvm.maximum", [acc, v])


def _gen_reduction(module: ir.Module, name: str, op: str, dtype: str, layout: str) -> None:
    b, ctx, begin, end = _body(module, name)
    ty = llvm_type(dtype)
    x, out = _slot(b, ctx, 0, pointer=True), _slot(b, ctx, 1, pointer=True)
    red, inner, chunks, chunk = (_slot(b, ctx, k) for k in range(2, 6))
    start = constant(0.0 if op == "sum" else float("-inf"), dtype)
    acc = b.alloca(ty)  # in the entry: mem2reg

    def at(base: ir.Value, index: ir.Value) -> ir.Value:
        return b.gep(base, [index], inbounds=True, source_etype=ty)

    with counted_loop(b, begin, end, "t") as t:
        o = b.sdiv(t, chunks)
        part = b.sub(t, b.mul(o, chunks))
        lo = b.mul(part, chunk)
        hi_full = b.add(lo, chunk)
        if layout == "rows":
            hi = b.select(b.icmp_signed("<", red, hi_full), red, hi_full)
            row = b.mul(o, red)
            b.store(start, acc)
            with counted_loop(b, lo, hi, "r", rotated=True) as r:
                v = b.load(at(x, b.add(row, r)), typ=ty)
                b.store(_combine(b, op, b.load(acc, typ=ty), v), acc)
            b.store(b.load(acc, typ=ty), at(out, t))
        else:
            hi = b.select(b.icmp_signed("<", inner, hi_full), inner, hi_full)
            dst = b.mul(o, inner)
            with counted_loop(b, lo, hi, "j0", rotated=True) as j:
                b.store(start, at(out, b.add(dst, j)))
            plane = b.mul(o, b.mul(red, inner))
            with counted_loop(b, I64(0), red, "r") as r:
                line = b.add(plane, b.mul(r, inner))
                with counted_loop(b, lo, hi, "j", rotated=True) as j:
                    slot = at(out, b.add(dst, j))
                    v = b.load(at(x, b.add(line, j)), typ=ty)
                    b.store(_combine(b, op, b.load(slot, typ=ty), v), slot)
    b.ret_void()


GENERATORS = {"elementwise": _gen_elementwise, "max_pool": _gen_max_pool,
              "max_pool_rows": _gen_max_pool_rows, "random": _gen_random,
              "reduction": _gen_reduction}  # eager_update.py adds "update", eager_nn.py
# "window_matrix" and "max_pool_grad_tiled"
