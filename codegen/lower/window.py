"""Pooling window ops (ir/ops_nn.py) as direct loop nests (convolutions: lower/conv.py).

Every op is a gather over its window with ``If`` guards for padding and strides (no load
outside a buffer), except ``max_pool2d_grad`` and ``adaptive_avg_pool2d_grad``, which scatter
into a zeroed output in window order (``max_pool2d_grad`` with disjoint windows stores every
cell of its window instead, in parallel over windows). Operands are read through strided
views (materialized into kernel scratch when they are not views), since windows read each
element many times.
Max and average pooling are ``Reduce`` blocks over the window; the arg-max keeps its running
best (and the first index among ties) in ordered ``Acc`` state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tenkai.codegen.kir.index import c64
from tenkai.codegen.kir.nodes import Acc, AccUpdate, Const, Expr, Load, Store, Var, scalar
from tenkai.codegen.lower.geometry import conjunction, inside, window_inputs, window_position
from tenkai.codegen.lower.kernel import KernelBuilder
from tenkai.ir.graph import Graph

Reader = Callable[[Sequence[Expr]], Expr]


def _reader(kb: KernelBuilder, n: int) -> Reader:
    view = kb.operand_view(n)
    dt = kb.g.dtype(n)

    def read(coords: Sequence[Expr]) -> Expr:
        return Load(view.buf, kb.idx.dot(coords, view.strides, view.offset), dt)
    return read


def _hits(kb: KernelBuilder, t: Expr, stride: int, size: int) -> tuple[list[Expr], Expr]:
    """Conditions for ``t = o*stride`` with ``0 <= o < size``, and ``o``."""
    conds: list[Expr] = [scalar("ge", (t, c64(0)), "bool")]
    if stride == 1:
        return conds + [scalar("lt", (t, c64(size)), "bool")], t
    conds.append(scalar("eq", (scalar("imod", (t, c64(stride)), "int64"), c64(0)), "bool"))
    o: Expr = scalar("idiv", (t, c64(stride)), "int64")
    return conds + [scalar("lt", (o, c64(size)), "bool")], o


def _any(*conds: Expr) -> Expr:
    out = conds[0]
    for c in conds[1:]:
        out = scalar("logical_or", (out, c), "bool")
    return out


def _zero(dt: str) -> Const:
    return Const(0.0, dt)


# ---------------------------------------------------------------- max pooling


def _pool_attrs(kb: KernelBuilder, n: int) -> tuple[tuple[int, int], ...]:
    a = kb.g.attrs(n)
    return (tuple(a["kernel_size"]), tuple(a["stride"]), tuple(a["padding"]),
            tuple(a.get("dilation", (1, 1))))


def _window_argmax(kb: KernelBuilder, n: int, X: Reader, lead: list[Expr], oh: Expr, ow: Expr,
                   hw: tuple[int, int], dt: str) -> tuple[Var, Var]:
    """Max and flat input index (h*W+w) of one window, with PyTorch's CPU rules: the first
    maximum wins ties, a NaN always wins (so the last NaN of the window is taken)."""
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = _pool_attrs(kb, n)
    H, W = hw
    best, where = kb.fresh("best"), kb.fresh("arg")
    kb.emit(Acc(best, dt, Const(float("-inf"), dt)))
    kb.emit(Acc(where, "int64", c64(-1)))
    with kb.loops([KH, KW]) as (kh, kw):
        ih, iw = window_inputs(kb.idx, (oh, ow), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
        with kb.guard(inside(kb.idx, (ih, iw), (H, W))):
            v = kb.let("v", X((*lead, ih, iw)))
            first = scalar("lt", (Var(where), c64(0)), "bool")
            take = kb.let("take", _any(first, scalar("gt", (v, Var(best, dt)), "bool"),
                                       scalar("ne", (v, v), "bool")))
            kb.emit(AccUpdate(best, "set", scalar("where", (take, v, Var(best, dt)), dt)))
            flat = kb.idx.add(kb.idx.mul(ih, W), iw)
            kb.emit(AccUpdate(where, "set", scalar("where", (take, flat, Var(where)), "int64")))
    return Var(best, dt), Var(where)


def _max_pool2d(kb: KernelBuilder, n: int, buf: str) -> None:
    x = kb.g.operands(n)[0]
    out, dt = kb.g.shape(n), kb.g.dtype(x)
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = _pool_attrs(kb, n)
    H, W = kb.g.shape(x)[-2:]
    X = _reader(kb, x)
    with kb.loops(out, parallel=True) as coords:
        lead, oh, ow = list(coords[:-2]), coords[-2], coords[-1]
        with kb.reduce("best", dt, "maximum", Const(float("-inf"), dt)) as acc, \
                kb.loops([KH, KW]) as (kh, kw):
            ih, iw = window_inputs(kb.idx, (oh, ow), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
            with kb.guard(inside(kb.idx, (ih, iw), (H, W))):
                kb.emit(AccUpdate(acc.name, "maximum", X((*lead, ih, iw))))
        kb.emit(Store(buf, kb.idx.flat(coords, out), acc))


def _max_pool2d_indices(kb: KernelBuilder, n: int, buf: str) -> None:
    x = kb.g.operands(n)[0]
    out, dt = kb.g.shape(n), kb.g.dtype(x)
    hw = kb.g.shape(x)[-2:]
    X = _reader(kb, x)
    with kb.loops(out, parallel=True) as coords:
        _, where = _window_argmax(kb, n, X, list(coords[:-2]), coords[-2], coords[-1], hw, dt)
        kb.emit(Store(buf, kb.idx.flat(coords, out), where))


def _zero_fill(kb: KernelBuilder, buf: str, shape: tuple[int, ...], dt: str) -> None:
    with kb.loops(shape, parallel=True) as coords:
        kb.emit(Store(buf, kb.idx.flat(coords, shape), _zero(dt)))


def _max_pool2d_grad(kb: KernelBuilder, n: int, buf: str) -> None:
    """Each ``g[o]`` lands on its window's arg-max. Windows never reach across planes, so the
    planes are independent; when the windows of a plane do not overlap either, every window
    is: it writes ``g`` at its arg-max and zero on its other cells (no read-modify-write)."""
    if windows_disjoint(kb.g, n):
        _max_pool2d_grad_disjoint(kb, n, buf)
    else:
        _max_pool2d_grad_planes(kb, n, buf)


def windows_disjoint(g: Graph, n: int) -> bool:
    """No input element is in two windows of pooling node ``n``: the stride reaches past the
    dilated window."""
    a = g.attrs(n)
    (KH, KW), (sh, sw), (dh, dw) = a["kernel_size"], a["stride"], a.get("dilation", (1, 1))
    return sh >= (KH - 1) * dh + 1 and sw >= (KW - 1) * dw + 1


def _windows_cover(kb: KernelBuilder, n: int) -> bool:
    """Every input element is a cell of some window (so no zero fill is needed)."""
    g = kb.g.operands(n)[0]
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = _pool_attrs(kb, n)
    H, W = kb.g.shape(n)[-2:]
    OH, OW = kb.g.shape(g)[-2:]
    for size, outs, k, s, p, d in ((H, OH, KH, sh, ph, dh), (W, OW, KW, sw, pw, dw)):
        cells = {o * s - p + c * d for o in range(outs) for c in range(k)}
        if not set(range(size)) <= cells:
            return False
    return True


def _max_pool2d_grad_disjoint(kb: KernelBuilder, n: int, buf: str) -> None:
    g, x = kb.g.operands(n)
    shape, dt = kb.g.shape(n), kb.g.dtype(n)
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = _pool_attrs(kb, n)
    H, W = shape[-2:]
    X, G = _reader(kb, x), _reader(kb, g)
    if not _windows_cover(kb, n):  # elements in no window: zero (then the windows' cells)
        with kb.loops(shape, parallel=True) as coords:
            kb.define(n, buf, coords, _zero(dt))
    with kb.loops(kb.g.shape(g), parallel=True) as coords:
        lead, oh, ow = list(coords[:-2]), coords[-2], coords[-1]
        grad = kb.let("grad", G(coords))
        if KH * KW <= UNROLLED_WINDOW:
            _unrolled_window_grad(kb, n, buf, X, lead, (oh, ow), grad)
        else:
            _looped_window_grad(kb, n, buf, X, lead, (oh, ow), grad)


def _looped_window_grad(kb: KernelBuilder, n: int, buf: str, X: Reader, lead: list[Expr],
                        out: tuple[Expr, Expr], grad: Expr) -> None:
    """One disjoint window of many cells: its arg-max as a flat index, then every cell."""
    (KH, KW), stride, pad, dil = _pool_attrs(kb, n)
    H, W = kb.g.shape(n)[-2:]
    dt = kb.g.dtype(n)
    _, where = _window_argmax(kb, n, X, lead, out[0], out[1], (H, W), dt)
    with kb.loops([KH, KW]) as (kh, kw):
        ih, iw = window_inputs(kb.idx, out, (kh, kw), stride, pad, dil)
        with kb.guard(inside(kb.idx, (ih, iw), (H, W))):
            hit = scalar("eq", (kb.idx.add(kb.idx.mul(ih, W), iw), where), "bool")
            kb.define(n, buf, (*lead, ih, iw), scalar("where", (hit, grad, _zero(dt)), dt))


UNROLLED_WINDOW = 16  # windows of at most this many cells are written out cell by cell


def _unrolled_window_grad(kb: KernelBuilder, n: int, buf: str, X: Reader, lead: list[Expr],
                          out: tuple[Expr, Expr], grad: Expr) -> None:
    """One disjoint window, cell by cell: the running arg-max is a cell number (PyTorch's
    rules as in :func:`_window_argmax`), with every test the index ranges decide folded
    away (an unpadded window's first cell always starts it), then each in-bounds cell stores
    ``grad`` if it is the arg-max, else zero."""
    (KH, KW), stride, pad, dil = _pool_attrs(kb, n)
    H, W = kb.g.shape(n)[-2:]
    dt = kb.g.dtype(n)
    cells = []
    best: Expr = Const(float("-inf"), dt)
    arg: Expr = c64(-1)
    started = False  # some cell is known to have been taken: arg >= 0 from here on
    for k in range(KH * KW):
        ih, iw = window_inputs(kb.idx, out, (k // KW, k % KW), stride, pad, dil)
        ok = inside(kb.idx, (ih, iw), (H, W))
        safe = (ih, iw) if isinstance(ok, Const) else (kb.idx.clamp(ih, 0, H - 1),
                                                       kb.idx.clamp(iw, 0, W - 1))
        v = kb.let("v", X((*lead, *safe)))
        unset = Const(False, "bool") if started else _fold("lt", arg, c64(0))
        take = _fold("logical_and", ok, _fold("logical_or", unset, _fold(
            "logical_or", scalar("gt", (v, best), "bool"), scalar("ne", (v, v), "bool"))))
        if isinstance(take, Const):  # the first cell, in bounds: it starts the window
            best, arg, started = v, c64(k), True
        else:
            take = kb.let("take", take)
            best = kb.let("best", scalar("where", (take, v, best), dt))
            arg = kb.let("arg", scalar("where", (take, c64(k), arg), "int64"))
        cells.append((ih, iw, ok))
    for k, (ih, iw, ok) in enumerate(cells):
        with kb.guard(ok):
            hit = _fold("eq", arg, c64(k))
            kb.define(n, buf, (*lead, ih, iw), _select(hit, grad, _zero(dt)))


def _fold(op: str, a: Expr, b: Expr) -> Expr:
    """``op(a, b)`` (a comparison or logical op), folded when its operands decide it."""
    if op == "logical_and":
        if isinstance(a, Const):
            return b if a.value else a
        if isinstance(b, Const):
            return a if b.value else b
    elif op == "logical_or":
        if isinstance(a, Const):
            return a if a.value else b
        if isinstance(b, Const):
            return b if b.value else a
    elif isinstance(a, Const) and isinstance(b, Const):
        return Const(bool({"lt": a.value < b.value, "eq": a.value == b.value}[op]), "bool")
    return scalar(op, (a, b), "bool")


def _select(cond: Expr, a: Expr, b: Expr) -> Expr:
    if isinstance(cond, Const):
        return a if cond.value else b
    return scalar("where", (cond, a, b), a.dtype)


def _max_pool2d_grad_planes(kb: KernelBuilder, n: int, buf: str) -> None:
    """Overlapping windows: one plane per parallel iteration, zeroed, then scattered into in
    window order (an element that is the arg-max of several windows sums their ``g``)."""
    g, x = kb.g.operands(n)
    shape, dt = kb.g.shape(n), kb.g.dtype(n)
    H, W = shape[-2:]
    X, G = _reader(kb, x), _reader(kb, g)
    with kb.loops(shape[:-2], parallel=True) as lead:
        plane = kb.idx.mul(kb.idx.flat(lead, shape[:-2]), H * W)
        with kb.loops([H * W]) as (i,):
            kb.emit(Store(buf, kb.idx.add(plane, i), _zero(dt)))
        with kb.loops(kb.g.shape(g)[-2:]) as (oh, ow):
            _, where = _window_argmax(kb, n, X, list(lead), oh, ow, (H, W), dt)
            index = kb.let("at", kb.idx.add(plane, where))
            value = G((*lead, oh, ow))
            kb.emit(Store(buf, index, scalar("add", (Load(buf, index, dt), value), dt)))


# ---------------------------------------------------------------- average pooling


def _avg_divisor(kb: KernelBuilder, n: int, oh: Expr, ow: Expr, hw: tuple[int, int],
                 dt: str) -> Expr:
    a = kb.g.attrs(n)
    if a["divisor_override"] is not None:
        return Const(float(a["divisor_override"]), dt)
    (KH, KW), (sh, sw), (ph, pw), _ = _pool_attrs(kb, n)
    sizes = []
    for o, k, s, p, size in ((oh, KH, sh, ph, hw[0]), (ow, KW, sw, pw, hw[1])):
        start = window_position(kb.idx, o, 0, s, p)
        end = scalar("minimum", (kb.idx.add(start, k), c64(size + p)), "int64")
        if not a["count_include_pad"]:
            start = scalar("maximum", (start, c64(0)), "int64")
            end = scalar("minimum", (end, c64(size)), "int64")
        sizes.append(scalar("sub", (end, start), "int64"))
    count = scalar("mul", tuple(sizes), "int64")
    return scalar("cast", (count,), dt, {"dtype": dt})


def _avg_pool2d(kb: KernelBuilder, n: int, buf: str) -> None:
    x = kb.g.operands(n)[0]
    out, dt = kb.g.shape(n), kb.g.dtype(n)
    (KH, KW), (sh, sw), (ph, pw), _ = _pool_attrs(kb, n)
    H, W = kb.g.shape(x)[-2:]
    X = _reader(kb, x)
    with kb.loops(out, parallel=True) as coords:
        lead, oh, ow = list(coords[:-2]), coords[-2], coords[-1]
        with kb.reduce("acc", dt, "add", _zero(dt)) as acc, kb.loops([KH, KW]) as (kh, kw):
            ih, iw = window_inputs(kb.idx, (oh, ow), (kh, kw), (sh, sw), (ph, pw))
            with kb.guard(inside(kb.idx, (ih, iw), (H, W))):
                kb.emit(AccUpdate(acc.name, "add", X((*lead, ih, iw))))
        div = _avg_divisor(kb, n, oh, ow, (H, W), dt)
        kb.emit(Store(buf, kb.idx.flat(coords, out), scalar("div", (acc, div), dt)))


def _avg_pool2d_grad(kb: KernelBuilder, n: int, buf: str) -> None:
    g = kb.g.operands(n)[0]
    shape, dt = kb.g.shape(n), kb.g.dtype(n)
    (KH, KW), (sh, sw), (ph, pw), _ = _pool_attrs(kb, n)
    H, W = shape[-2:]
    OH, OW = kb.g.shape(g)[-2:]
    G = _reader(kb, g)
    with kb.loops(shape, parallel=True) as coords:
        lead, h, w = list(coords[:-2]), coords[-2], coords[-1]
        with kb.reduce("acc", dt, "add", _zero(dt)) as acc, kb.loops([KH, KW]) as (kh, kw):
            ch, oh = _hits(kb, kb.idx.add(h, ph, kb.idx.mul(kh, -1)), sh, OH)
            cw, ow = _hits(kb, kb.idx.add(w, pw, kb.idx.mul(kw, -1)), sw, OW)
            with kb.guard(conjunction(kb.idx, ch + cw)):
                div = _avg_divisor(kb, n, oh, ow, (H, W), dt)
                kb.emit(AccUpdate(acc.name, "add", scalar("div", (G((*lead, oh, ow)), div), dt)))
        kb.emit(Store(buf, kb.idx.flat(coords, shape), acc))


# ---------------------------------------------------------------- adaptive average pooling


def _bounds(kb: KernelBuilder, o: Expr, size: int, n_out: int) -> tuple[Expr, Expr, int]:
    """PyTorch's adaptive window [floor(o*L/n), ceil((o+1)*L/n)) and its largest extent."""
    start = kb.idx.idiv(kb.idx.mul(o, size), n_out)
    end = kb.idx.idiv(kb.idx.add(kb.idx.mul(o, size), size + n_out - 1), n_out)
    widest = max(-(-((i + 1) * size) // n_out) - (i * size) // n_out for i in range(n_out))
    return start, end, widest


def _adaptive_cells(kb: KernelBuilder, coords: Sequence[Expr], hw: tuple[int, int],
                    ohw: tuple[int, int], dt: str, visit: Callable[[Expr, Expr, Expr], None]
                    ) -> None:
    """Call ``visit(h, w, count)`` for every cell of the adaptive window at ``coords``."""
    hs, he, kh_max = _bounds(kb, coords[-2], hw[0], ohw[0])
    ws, we, kw_max = _bounds(kb, coords[-1], hw[1], ohw[1])
    count = scalar("cast", (scalar("mul", (kb.idx.sub(he, hs), kb.idx.sub(we, ws)), "int64"),),
                   dt, {"dtype": dt})
    with kb.loops([kh_max, kw_max]) as (kh, kw):
        h, w = kb.idx.add(hs, kh), kb.idx.add(ws, kw)
        cond = scalar("logical_and", (scalar("lt", (h, he), "bool"),
                                      scalar("lt", (w, we), "bool")), "bool")
        with kb.guard(cond):
            visit(h, w, count)


def _adaptive_avg_pool2d(kb: KernelBuilder, n: int, buf: str) -> None:
    x = kb.g.operands(n)[0]
    out, dt = kb.g.shape(n), kb.g.dtype(n)
    X = _reader(kb, x)
    hw = kb.g.shape(x)[-2:]
    with kb.loops(out, parallel=True) as coords:
        counts: list[Expr] = []
        with kb.reduce("acc", dt, "add", _zero(dt)) as acc:

            def visit(h: Expr, w: Expr, count: Expr) -> None:
                kb.emit(AccUpdate(acc.name, "add", X((*coords[:-2], h, w))))
                counts.append(count)

            _adaptive_cells(kb, coords, hw, out[-2:], dt, visit)
        kb.emit(Store(buf, kb.idx.flat(coords, out), scalar("div", (acc, counts[0]), dt)))


def _adaptive_avg_pool2d_grad(kb: KernelBuilder, n: int, buf: str) -> None:
    g = kb.g.operands(n)[0]
    shape, dt = kb.g.shape(n), kb.g.dtype(n)
    G = _reader(kb, g)
    _zero_fill(kb, buf, shape, dt)
    with kb.loops(kb.g.shape(g)) as coords:

        def visit(h: Expr, w: Expr, count: Expr) -> None:
            index = kb.idx.flat((*coords[:-2], h, w), shape)
            value = scalar("div", (G(coords), count), dt)
            kb.emit(Store(buf, index, scalar("add", (Load(buf, index, dt), value), dt)))

        _adaptive_cells(kb, coords, shape[-2:], kb.g.shape(g)[-2:], dt, visit)


# stages that define each element of their output once (KernelBuilder.define), when this says
# so: the program hands them the elementwise consumers of the group to store in the same pass
WINDOW_EPILOGUES = {"max_pool2d_grad": windows_disjoint}

WINDOW_STAGES = {
    "max_pool2d": _max_pool2d,
    "max_pool2d_indices": _max_pool2d_indices, "max_pool2d_grad": _max_pool2d_grad,
    "avg_pool2d": _avg_pool2d, "avg_pool2d_grad": _avg_pool2d_grad,
    "adaptive_avg_pool2d": _adaptive_avg_pool2d,
    "adaptive_avg_pool2d_grad": _adaptive_avg_pool2d_grad,
}
