"""Convolutions as im2col + a batched contraction (target strategy ``convolution="im2col"``).

With ``K = C/G * KH * KW`` rows per group, ``P = OH * OW`` pixels per image and the column
matrix ``cols[(c, kh, kw), (n, oh, ow)]`` (zero where the window reads padding):

* ``conv2d``:             ``y[n, g] (Og x P) = w[g] (Og x K) @ cols[g, n] (K x P)``
* ``conv2d_grad_weight``: ``dw[g] (Og x K) += gy[n, g] (Og x P) @ cols[g, n]^T (P x K)``,
  summed over images (the output is zeroed first);
* ``conv2d_grad_input``:  ``dcols[g, n] (K x P) = w[g]^T (K x Og) @ gy[n, g] (Og x P)``, then
  col2im adds every column entry back onto the input pixel it came from (parallel over
  images and channels, whose planes are disjoint; on the GPU, ``implicit_gemm``, each input
  pixel gathers its entries instead, parallel over every pixel).

Each product is one ``Contraction`` batched over (group, image); the CPU target maps it onto
its tuned ``tk_gemm_*``. Operands are read through strided views; one that cannot be seen as
the matrix a contraction needs is first copied into kernel scratch. ``cols``/``dcols`` live in
kernel scratch (the arena).

The column matrix is never materialized for the whole batch at once: the images are taken in
chunks of ``nb`` (:func:`chunks`: a tile of at most :data:`COL_TILE_BYTES`, equal chunks), and
one ``(C*KH*KW, nb*OH*OW)`` tile is filled, contracted (and for ``conv2d_grad_input``
scattered back) per chunk, so the kernel scratch is bounded by the tile, not the batch (eager
PyTorch's convolution keeps no batch-sized column matrix either). The chunks are unrolled at
lowering time (every statement stays top-level, so the im2col nests stay parallel and the
contractions stay GEMM calls); past :data:`MAX_CHUNKS` chunks the tile grows instead.

Target strategy ``convolution="implicit_gemm"`` (the GPU): ``conv2d`` and
``conv2d_grad_weight`` contract the input *in place*: their ``cols`` operand is a
:class:`~tenkai.codegen.kir.nodes.WindowView` of ``x`` (the tiled GEMM's tile loads compute
each element's window position and zero padding), so no column matrix is materialized.
``conv2d_grad_input`` is the same on both strategies (``dcols`` then col2im): a contraction
followed by a scatter, not an implicit GEMM.
"""

from __future__ import annotations

import dataclasses

from tenkai.codegen.kir.index import contiguous_strides
from tenkai.codegen.kir.nodes import Const, Expr, Load, Store, WindowView, scalar
from tenkai.codegen.lower.geometry import conjunction, in_range, inside, window_inputs
from tenkai.codegen.lower.kernel import KernelBuilder, View, reshape_strides
from tenkai.codegen.lower.strategy import check_convolution, contraction
from tenkai.ir.dtypes import itemsize

# the largest column tile (bytes) a convolution kernel fills at once; the batch is chunked to fit
COL_TILE_BYTES = 1 << 20
# the most chunks one kernel unrolls (past it the chunks, and the tile, grow with the batch):
# every chunk is more code to compile (the CNN bench step: 4 chunks compile as fast as the
# unchunked lowering, 16 add ~2.5 s of LLVM time for 0.3 MB less arena)
MAX_CHUNKS = 4


def chunks(n: int, per_image: int, budget: int | None = None) -> tuple[int, list[int]]:
    """``(nb, starts)``: ``n`` images in chunks of ``nb`` (the last may be short) whose column
    tiles of ``per_image`` bytes each fit ``budget`` (:data:`COL_TILE_BYTES`; at least one
    image per chunk, at most :data:`MAX_CHUNKS` chunks), as equal as the count allows."""
    budget = COL_TILE_BYTES if budget is None else budget
    fit = max(1, budget // max(per_image, 1))
    count = min(-(-n // fit), MAX_CHUNKS) if n else 1
    nb = max(1, -(-n // count))
    return nb, list(range(0, n, nb)) or [0]


class _Geometry:
    """Shapes and attributes of one convolution node."""

    def __init__(self, kb: KernelBuilder, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                 y_shape: tuple[int, ...], n: int) -> None:
        a = kb.g.attrs(n)
        self.N, self.C, self.H, self.W = x_shape
        self.O, self.Cg, self.KH, self.KW = w_shape
        self.OH, self.OW = y_shape[2], y_shape[3]
        self.G = a["groups"]
        self.Og = self.O // self.G
        self.K = self.Cg * self.KH * self.KW
        self.P = self.OH * self.OW
        self.NP = self.N * self.P
        self.stride, self.pad, self.dil = a["stride"], a["padding"], a["dilation"]
        self.dtype = kb.g.dtype(n)


def _matrix(kb: KernelBuilder, n: int, shape: tuple[int, ...]) -> View:
    """``n`` viewed with the given (merged) shape, copied to scratch when it cannot be."""
    view = kb.operand_view(n)
    strides = reshape_strides(kb.g.shape(n), view.strides, shape)
    if strides is not None:
        return View(view.buf, view.offset, strides)
    buf = kb.lowering.local_scratch(kb, n)
    kb.store_nodes([n], {n: buf})
    return View(buf, 0, contiguous_strides(shape))


def _tile(kb: KernelBuilder, base: str, geo: _Geometry) -> tuple[str, int, list[int]]:
    """A column tile ``(C*KH*KW, nb*OH*OW)`` in kernel scratch: (buffer, nb, chunk starts).
    The tile is at most :data:`COL_TILE_BYTES`, and smaller where the memory plan leaves a
    smaller run of arena bytes free at this kernel that still holds one image's columns (so
    the tile costs no arena bytes)."""
    per_image = geo.C * geo.KH * geo.KW * geo.P * itemsize(geo.dtype)
    room = kb.lowering.scratch_room()
    budget = COL_TILE_BYTES if room is None or room < per_image else min(room, COL_TILE_BYTES)
    nb, starts = chunks(geo.N, per_image, budget)
    cols = kb.lowering.scratch(base, (geo.C * geo.KH * geo.KW, nb * geo.P), geo.dtype)
    return cols, nb, starts


def _im2col(kb: KernelBuilder, x: int, geo: _Geometry, cols: str, nb: int, b0: int) -> int:
    """Fill the tile with the (zero padded) input windows of images ``b0 .. b0+count``;
    returns ``count`` (the tile is ``nb`` images wide: row stride ``nb*OH*OW``)."""
    xv = kb.operand_view(x)
    count = min(nb, geo.N - b0)
    shape = (geo.C, geo.KH, geo.KW, count, geo.OH, geo.OW)
    width = nb * geo.P
    strides = (geo.KH * geo.KW * width, geo.KW * width, width, geo.P, geo.OW, 1)
    offset = xv.offset + b0 * xv.strides[0]
    with kb.loops(shape, parallel=True) as (c, kh, kw, b, oh, ow):
        ih, iw = _window_pos(kb, geo, oh, ow, kh, kw)
        valid = inside(kb.idx, (ih, iw), (geo.H, geo.W))
        at = (b, c, kb.idx.clamp(ih, 0, geo.H - 1), kb.idx.clamp(iw, 0, geo.W - 1))
        value: Expr = Load(xv.buf, kb.idx.dot(at, xv.strides, offset), geo.dtype)
        if not isinstance(valid, Const):
            value = scalar("where", (valid, value, Const(0.0, geo.dtype)), geo.dtype)
        kb.emit(Store(cols, kb.idx.dot((c, kh, kw, b, oh, ow), strides), value))
    return count


def _window_pos(kb: KernelBuilder, geo: _Geometry, oh: Expr, ow: Expr, kh: Expr,
                kw: Expr) -> tuple[Expr, ...]:
    return window_inputs(kb.idx, (oh, ow), (kh, kw), geo.stride, geo.pad, geo.dil)


def _contract(kb: KernelBuilder, a: tuple[str, int, tuple[int, int]],
              b: tuple[str, int, tuple[int, int]], out: tuple[str, int, tuple[int, int]],
              mnk: tuple[int, int, int], batch: list[tuple[int, int, int, int]],
              accumulate: bool, dtype: str, window: dict[str, object] | None = None) -> None:
    """One contraction batched over (group, image): ``(extent, a, b, out)`` strides each;
    ``window``: ``b`` is a :class:`WindowView` with these fields."""
    stmt = contraction(a, b, out, mnk, batch, accumulate, dtype)
    if stmt is not None and window is not None:
        stmt = dataclasses.replace(stmt, b=WindowView(**{
            f.name: getattr(stmt.b, f.name) for f in dataclasses.fields(stmt.b)}, **window))
    if stmt is not None:
        kb.emit(stmt)


def _implicit(kb: KernelBuilder) -> bool:
    return kb.target.convolution == "implicit_gemm"


def _window(kb: KernelBuilder, x: int, geo: _Geometry, k_rows: bool
            ) -> tuple[tuple[str, int, tuple[int, int]], tuple[int, int], dict[str, object]]:
    """``x`` as the implicit GEMM's column operand: (buffer, offset, unused matrix strides),
    the (group, image) batch strides, and the :class:`WindowView` fields."""
    xv = kb.operand_view(x)
    sn, sc, sh, sw = xv.strides
    fields: dict[str, object] = {"image": (sc, sh, sw), "window": (geo.Cg, geo.KH, geo.KW),
              "out_hw": (geo.OH, geo.OW), "in_hw": (geo.H, geo.W), "stride": tuple(geo.stride),
              "pad": tuple(geo.pad), "dilation": tuple(geo.dil), "k_rows": k_rows}
    return (xv.buf, xv.offset, (0, 0)), (geo.Cg * sc, sn), fields


def _conv2d(kb: KernelBuilder, n: int, buf: str) -> None:
    x, w = kb.g.operands(n)
    check_convolution(kb.target, "conv2d")
    geo = _Geometry(kb, kb.g.shape(x), kb.g.shape(w), kb.g.shape(n), n)
    wv = _matrix(kb, w, (geo.O, geo.K))
    so, sk = wv.strides
    if _implicit(kb):
        xb, (sg, sn), fields = _window(kb, x, geo, k_rows=True)
        _contract(kb, (wv.buf, wv.offset, (so, sk)), xb, (buf, 0, (geo.P, 1)),
                  (geo.Og, geo.P, geo.K), [(geo.G, geo.Og * so, sg, geo.Og * geo.P),
                                           (geo.N, 0, sn, geo.O * geo.P)], False, geo.dtype,
                  fields)
        return
    cols, nb, starts = _tile(kb, f"t{x}_cols", geo)
    width = nb * geo.P
    for b0 in starts:
        count = _im2col(kb, x, geo, cols, nb, b0)
        _contract(kb, (wv.buf, wv.offset, (so, sk)), (cols, 0, (width, 1)),
                  (buf, b0 * geo.O * geo.P, (geo.P, 1)), (geo.Og, geo.P, geo.K),
                  [(geo.G, geo.Og * so, geo.K * width, geo.Og * geo.P),
                   (count, 0, geo.P, geo.O * geo.P)], False, geo.dtype)


def _conv2d_grad_weight(kb: KernelBuilder, n: int, buf: str) -> None:
    x, gy = kb.g.operands(n)
    check_convolution(kb.target, "conv2d_grad_weight")
    geo = _Geometry(kb, kb.g.shape(x), kb.g.shape(n), kb.g.shape(gy), n)
    gv = _matrix(kb, gy, (geo.N, geo.O, geo.P))
    out = kb.g.shape(n)
    with kb.loops(out, parallel=True) as coords:
        kb.emit(Store(buf, kb.idx.flat(coords, out), Const(0.0, geo.dtype)))
    sn, so, sp = gv.strides
    if _implicit(kb):
        xb, (sg, sxn), fields = _window(kb, x, geo, k_rows=False)
        _contract(kb, (gv.buf, gv.offset, (so, sp)), xb, (buf, 0, (geo.K, 1)),
                  (geo.Og, geo.K, geo.P), [(geo.G, geo.Og * so, sg, geo.Og * geo.K),
                                           (geo.N, sn, sxn, 0)], True, geo.dtype, fields)
        return
    cols, nb, starts = _tile(kb, f"t{x}_cols", geo)
    width = nb * geo.P
    for b0 in starts:
        count = _im2col(kb, x, geo, cols, nb, b0)
        # out stride 0 over images: every image adds its product into the same dw[g]
        _contract(kb, (gv.buf, gv.offset + b0 * sn, (so, sp)), (cols, 0, (1, width)),
                  (buf, 0, (geo.K, 1)), (geo.Og, geo.K, geo.P),
                  [(geo.G, geo.Og * so, geo.K * width, geo.Og * geo.K),
                   (count, sn, geo.P, 0)], True, geo.dtype)


def _conv2d_grad_input(kb: KernelBuilder, n: int, buf: str) -> None:
    gy, w = kb.g.operands(n)
    check_convolution(kb.target, "conv2d_grad_input")
    geo = _Geometry(kb, kb.g.shape(n), kb.g.shape(w), kb.g.shape(gy), n)
    wv = _matrix(kb, w, (geo.O, geo.K))
    gv = _matrix(kb, gy, (geo.N, geo.O, geo.P))
    dcols, nb, starts = _tile(kb, f"t{n}_dcols", geo)
    width = nb * geo.P
    so, sk = wv.strides
    sn, sgo, sp = gv.strides
    shape = (geo.N, geo.C, geo.H, geo.W)
    with kb.loops(shape, parallel=True) as coords:
        kb.emit(Store(buf, kb.idx.flat(coords, shape), Const(0.0, geo.dtype)))
    for b0 in starts:
        count = min(nb, geo.N - b0)
        _contract(kb, (wv.buf, wv.offset, (sk, so)), (gv.buf, gv.offset + b0 * sn, (sgo, sp)),
                  (dcols, 0, (width, 1)), (geo.K, geo.P, geo.Og),
                  [(geo.G, geo.Og * so, geo.Og * sgo, geo.K * width), (count, 0, sn, geo.P)],
                  False, geo.dtype)
        (_col2im_gather if _implicit(kb) else _col2im)(kb, dcols, buf, geo, nb, b0)


def _col2im_gather(kb: KernelBuilder, dcols: str, buf: str, geo: _Geometry, nb: int,
                   b0: int) -> None:
    """col2im for the GPU: every input pixel of the chunk's images adds the column entries
    that read it, ``x[b0 + b, c, ih, iw] += dcols[(c, kh, kw), (b, oh, ow)]`` for the window
    cells with ``oh * stride - pad + kh * dilation == ih`` (and so for ``w``): parallel over
    every pixel (one thread per pixel: none writes another's), the cells in order."""
    shape = (geo.N, geo.C, geo.H, geo.W)
    width = nb * geo.P
    strides = (geo.KH * geo.KW * width, geo.KW * width, width, geo.P, geo.OW, 1)
    idx = kb.idx
    with kb.loops([min(nb, geo.N - b0), geo.C, geo.H, geo.W], parallel=True) as (b, c, ih, iw), \
            kb.loops([geo.KH, geo.KW]) as (kh, kw):
        outs, conds = [], []
        for pixel, cell, cells, size, s, pad, d in (
                (ih, kh, geo.KH, geo.OH, geo.stride[0], geo.pad[0], geo.dil[0]),
                (iw, kw, geo.KW, geo.OW, geo.stride[1], geo.pad[1], geo.dil[1])):
            lift = -(-((cells - 1) * d) // s)  # u = (o + lift) * s >= 0 for every cell
            u = idx.add(pixel, pad + s * lift, idx.mul(cell, -d))
            if s > 1:
                conds.append(scalar("eq", (idx.imod(u, s), Const(0, "int64")), "bool"))
            out = idx.add(idx.idiv(u, s), -lift)
            conds += in_range(out, size)
            outs.append(out)
        src = idx.dot((c, kh, kw, b, *outs), strides)
        with kb.guard(conjunction(idx, conds)):
            index = kb.let("at", idx.add(idx.flat((b, c, ih, iw), shape),
                                         b0 * geo.C * geo.H * geo.W))
            total = scalar("add", (Load(buf, index, geo.dtype), Load(dcols, src, geo.dtype)),
                           geo.dtype)
            kb.emit(Store(buf, index, total))


def _col2im(kb: KernelBuilder, dcols: str, buf: str, geo: _Geometry, nb: int, b0: int) -> None:
    """``x[b0 + b, c, ih, iw] += dcols[(c, kh, kw), (b, oh, ow)]`` over every in-bounds window
    cell of the chunk's images (``buf`` zeroed before the first chunk)."""
    shape = (geo.N, geo.C, geo.H, geo.W)
    width = nb * geo.P
    strides = (geo.KH * geo.KW * width, geo.KW * width, width, geo.P, geo.OW, 1)
    # parallel over (image, channel) only: their output planes are disjoint
    with kb.loops([min(nb, geo.N - b0), geo.C], parallel=True) as (b, c), \
            kb.loops([geo.KH, geo.KW, geo.OH, geo.OW]) as (kh, kw, oh, ow):
        ih, iw = _window_pos(kb, geo, oh, ow, kh, kw)
        src = kb.idx.dot((c, kh, kw, b, oh, ow), strides)
        with kb.guard(inside(kb.idx, (ih, iw), (geo.H, geo.W))):
            index = kb.let("at", kb.idx.add(kb.idx.flat((b, c, ih, iw), shape),
                                            b0 * geo.C * geo.H * geo.W))
            total = scalar("add", (Load(buf, index, geo.dtype), Load(dcols, src, geo.dtype)),
                           geo.dtype)
            kb.emit(Store(buf, index, total))


CONV_STAGES = {"conv2d": _conv2d, "conv2d_grad_input": _conv2d_grad_input,
               "conv2d_grad_weight": _conv2d_grad_weight}
