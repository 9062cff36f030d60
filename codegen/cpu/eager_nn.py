"""Eager kernels, continued: the convolution's window matrices (im2col and its adjoint
col2im) and the gradient of a max pooling whose windows tile the input, generated like the
other eager kernels of :mod:`.eager` and registered in its ``GENERATORS``.

Each body loads its context and calls an always-inlined helper whose pointer arguments are
``noalias`` (the buffers of one eager call never overlap): once inlined, LLVM knows the loads
of one operand do not alias the stores of another, so the copy loops vectorize without
run-time overlap checks (the rows are short: 7-28 elements in a small CNN).
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.cpu.eager import BODY_TYPE, GENERATORS, EagerKernel, _slot, _spec
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I64, PTR, VOID
from tenkai.codegen.scalar.types import constant, llvm_type
from tenkai.ir import dtypes

WindowBody = Callable[[ir.IRBuilder, list[ir.Value], list[ir.Value]], None]


def _noalias_body(module: ir.Module, name: str, n_ptr: int, n_int: int,
                  emit: WindowBody) -> None:
    """The body ``name(ctx, begin, end)``: slots ``[0, n_ptr)`` are pointers, the next
    ``n_int`` integers; ``emit(builder, pointers, [begin, end, *integers])`` writes the
    helper's code, whose pointers are ``noalias``."""
    helper_type = ir.FunctionType(VOID, [PTR] * n_ptr + [I64] * (2 + n_int))
    helper = ir.Function(module, helper_type, name=f"{name}_inner")
    helper.linkage = "internal"
    helper.attributes.add("alwaysinline")
    helper.attributes.add("nounwind")
    for arg in helper.args[:n_ptr]:
        arg.add_attribute("noalias")
    b = ir.IRBuilder(helper.append_basic_block("entry"))
    emit(b, list(helper.args[:n_ptr]), list(helper.args[n_ptr:]))
    b.ret_void()

    fn = ir.Function(module, BODY_TYPE, name=name)
    fn.attributes.add("nounwind")
    ctx, begin, end = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ptrs = [_slot(b, ctx, k, pointer=True) for k in range(n_ptr)]
    ints = [_slot(b, ctx, n_ptr + k) for k in range(n_int)]
    b.call(helper, [*ptrs, begin, end, *ints])
    b.ret_void()


def _vector_width(module: ir.Module, width: int) -> ir.MDValue:
    """A loop ID asking the vectorizer for ``width`` lanes: output rows of a pooled CNN are
    7-28 wide, and a wider vector (with the window cells interleaved) leaves them to the
    scalar remainder loop."""
    option = module.add_metadata([ir.MetaDataString(module, "llvm.loop.vectorize.width"),
                                  ir.IntType(32)(width)])
    loop_id = ir.values.MDValue(module, [], name=str(len(module.metadata)))
    loop_id.operands = (loop_id, option)
    return loop_id


def _clip(b: ir.IRBuilder, v: ir.Value, lo: ir.Value, hi: ir.Value) -> ir.Value:
    v = b.select(b.icmp_signed("<", v, lo), lo, v)
    return b.select(b.icmp_signed(">", v, hi), hi, v)


def _columns(b: ir.IRBuilder, left: ir.Value, w: ir.Value, sw: ir.Value, ow: ir.Value
             ) -> tuple[ir.Value, ir.Value]:
    """``[lo, hi)``: the output columns ``xo`` whose input column ``xo * sw + left`` lies in
    ``[0, w)`` (``0 <= lo <= hi <= ow``)."""
    zero, one = I64(0), I64(1)
    neg_left = b.sub(zero, left)
    lo = b.select(b.icmp_signed(">", neg_left, zero),
                  b.sdiv(b.add(neg_left, b.sub(sw, one)), sw), zero)
    lo = _clip(b, lo, zero, ow)
    span = b.sub(w, left)
    hi = b.select(b.icmp_signed(">", span, zero), b.sdiv(b.add(span, b.sub(sw, one)), sw), zero)
    hi = _clip(b, hi, lo, ow)
    return lo, hi


# ---------------------------------------------------------------- im2col / col2im


def window_matrix(direction: str, dtype: str) -> EagerKernel:
    """The convolution's window matrix, generic over sizes. ``"im2col"``: the zero-padded
    windows of ``x`` (N, C, H, W) as ``cols`` (C * KH * KW, N * OH * OW), parallel over its
    rows; ``"col2im"``: its adjoint, ``x[n, c, win] = sum over (i, j) of cols[...]`` (every
    cell written; the kernel offsets summed in row-major order like the reference's
    ``_col2im``), parallel over the N * C planes. Context slots:
    ``[src, dst, N, C, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW]``."""
    if direction not in ("im2col", "col2im") or not dtypes.is_float(dtype):
        raise NotImplementedError(f"eager kernels: {direction} on {dtype}")
    return EagerKernel("window_matrix", _spec(direction=direction, dtype=dtype))


def _gen_window_matrix(module: ir.Module, name: str, direction: str, dtype: str) -> None:
    ty = llvm_type(dtype)
    fzero = constant(0.0, dtype)
    zero = I64(0)

    def emit(b: ir.IRBuilder, ptrs: list[ir.Value], ints: list[ir.Value]) -> None:
        src, dst = ptrs
        begin, end, n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw = ints
        npix = b.mul(n, b.mul(oh, ow))

        def at(base: ir.Value, index: ir.Value) -> ir.Value:
            return b.gep(base, [index], inbounds=True, source_etype=ty)

        if direction == "im2col":
            _im2col_rows(b, at, src, dst, begin, end, n, c, h, w, oh, ow, kh, kw, sh, sw, ph,
                         pw, dh, dw, npix, fzero)
            return
        with counted_loop(b, begin, end, "p") as p:
            nn = b.sdiv(p, c)
            ch = b.sub(p, b.mul(nn, c))
            plane = b.mul(p, b.mul(h, w))
            with counted_loop(b, zero, b.mul(h, w), "z", rotated=True) as z:
                b.store(fzero, at(dst, b.add(plane, z)))
            with counted_loop(b, zero, kh, "i") as i, counted_loop(b, zero, kw, "j") as j:
                src_row = b.mul(b.add(b.mul(b.add(b.mul(ch, kh), i), kw), j), npix)
                left = b.sub(b.mul(j, dw), pw)
                lo, hi = _columns(b, left, w, sw, ow)
                with counted_loop(b, zero, oh, "y") as y:
                    row = b.add(b.sub(b.mul(y, sh), ph), b.mul(i, dh))
                    row_ok = b.and_(b.icmp_signed(">=", row, zero), b.icmp_signed("<", row, h))
                    with b.if_then(row_ok):
                        start = b.add(b.add(plane, b.mul(row, w)), left)
                        src_line = b.add(src_row, b.mul(b.add(b.mul(nn, oh), y), ow))
                        with counted_loop(b, lo, hi, "x", rotated=True) as xo:
                            target = at(dst, b.add(start, b.mul(xo, sw)))
                            v = b.load(at(src, b.add(src_line, xo)), typ=ty)
                            b.store(b.fadd(b.load(target, typ=ty), v), target)

    _noalias_body(module, name, 2, 14, emit)


def _im2col_rows(b: ir.IRBuilder, at: Callable[[ir.Value, ir.Value], ir.Value],
                 src: ir.Value, dst: ir.Value, begin: ir.Value, end: ir.Value, n: ir.Value,
                 c: ir.Value, h: ir.Value, w: ir.Value, oh: ir.Value, ow: ir.Value,
                 kh: ir.Value, kw: ir.Value, sh: ir.Value, sw: ir.Value, ph: ir.Value,
                 pw: ir.Value, dh: ir.Value, dw: ir.Value, npix: ir.Value,
                 fzero: ir.Value) -> None:
    """Rows ``[begin, end)`` of the im2col matrix: zeros around a strided copy per line."""
    zero = I64(0)
    ty = fzero.type
    with counted_loop(b, begin, end, "r") as r:
        kk = b.mul(kh, kw)
        ch = b.sdiv(r, kk)
        rem = b.sub(r, b.mul(ch, kk))
        i = b.sdiv(rem, kw)
        j = b.sub(rem, b.mul(i, kw))
        out_row = b.mul(r, npix)
        left = b.sub(b.mul(j, dw), pw)
        in_lo, in_hi = _columns(b, left, w, sw, ow)
        with counted_loop(b, zero, n, "n") as nn:
            plane = b.mul(b.add(b.mul(nn, c), ch), b.mul(h, w))
            with counted_loop(b, zero, oh, "y") as y:
                row = b.add(b.sub(b.mul(y, sh), ph), b.mul(i, dh))
                row_ok = b.and_(b.icmp_signed(">=", row, zero), b.icmp_signed("<", row, h))
                dst_line = b.add(out_row, b.mul(b.add(b.mul(nn, oh), y), ow))
                lo = b.select(row_ok, in_lo, ow)
                hi = b.select(row_ok, in_hi, ow)
                with counted_loop(b, zero, lo, "x0", rotated=True) as xo:
                    b.store(fzero, at(dst, b.add(dst_line, xo)))
                start = b.add(b.add(plane, b.mul(row, w)), left)
                with counted_loop(b, lo, hi, "x", rotated=True) as xo:
                    v = b.load(at(src, b.add(start, b.mul(xo, sw))), typ=ty)
                    b.store(v, at(dst, b.add(dst_line, xo)))
                with counted_loop(b, hi, ow, "x1", rotated=True) as xo:
                    b.store(fzero, at(dst, b.add(dst_line, xo)))


# ---------------------------------------------------------------- max pooling gradient


def max_pool_grad_tiled(dtype: str, kh: int, kw: int) -> EagerKernel:
    """``max_pool2d_grad`` of a pooling whose ``kh x kw`` windows tile the input (stride =
    kernel, no dilation, no padding): each window's cells written once, its argmax cell
    ``0.0 + g`` (what the reference's scatter-add into zeros gives), the others ``0.0``;
    rows and columns past the last window are left alone (the caller zeroes them). The
    argmax follows the reference: the first maximum in row-major order, a NaN always wins
    (the last one). Over planes ``[begin, end)``; context slots ``[x, dx, g, H, W, OH, OW]``."""
    if not dtypes.is_float(dtype) or not 1 <= kh * kw <= 16:
        raise NotImplementedError(f"eager kernels: tiled max_pool grad {kh}x{kw} on {dtype}")
    return EagerKernel("max_pool_grad_tiled", _spec(dtype=dtype, kh=int(kh), kw=int(kw)))


def _gen_max_pool_grad_tiled(module: ir.Module, name: str, dtype: str, kh: int,
                             kw: int) -> None:
    ty = llvm_type(dtype)
    fzero = constant(0.0, dtype)

    def emit(b: ir.IRBuilder, ptrs: list[ir.Value], ints: list[ir.Value]) -> None:
        x, dx, g = ptrs
        begin, end, h, w, oh, ow = ints
        plane_in, plane_out = b.mul(h, w), b.mul(oh, ow)

        def at(base: ir.Value, index: ir.Value) -> ir.Value:
            return b.gep(base, [index], inbounds=True, source_etype=ty)

        hint = _vector_width(module, 4)
        with counted_loop(b, begin, end, "p") as p:
            xin = b.mul(p, plane_in)
            with counted_loop(b, I64(0), oh, "y") as y:
                top = b.add(xin, b.mul(b.mul(y, I64(kh)), w))
                line = b.add(b.mul(p, plane_out), b.mul(y, ow))
                # one pass per window row, each storing that row's cells only (the argmax is
                # recomputed): a pass writing two rows would make LLVM check at run time
                # whether they overlap, and that check fails over a whole plane
                for row in range(kh):
                    with counted_loop(b, I64(0), ow, f"x{row}", rotated=True,
                                      hints=hint) as xo:
                        first = b.add(top, b.mul(xo, I64(kw)))
                        cells = [b.add(first, b.add(b.mul(I64(i), w), I64(j)))
                                 for i in range(kh) for j in range(kw)]
                        best = b.load(at(x, cells[0]), typ=ty)
                        where = I64(0)
                        for k, cell in enumerate(cells[1:], 1):
                            v = b.load(at(x, cell), typ=ty)
                            take = b.or_(b.fcmp_ordered(">", v, best),
                                         b.fcmp_unordered("uno", v, v))
                            best = b.select(take, v, best)
                            where = b.select(take, I64(k), where)
                        gv = b.fadd(fzero, b.load(at(g, b.add(line, xo)), typ=ty))
                        for k in range(row * kw, (row + 1) * kw):
                            b.store(b.select(b.icmp_signed("==", where, I64(k)), gv, fzero),
                                    at(dx, cells[k]))

    _noalias_body(module, name, 3, 4, emit)


GENERATORS["window_matrix"] = _gen_window_matrix
GENERATORS["max_pool_grad_tiled"] = _gen_max_pool_grad_tiled
