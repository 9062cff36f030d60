"""The GEMM's packing routines: copying a block of A (MR-tall row panels) or B (NR-wide column
panels) into the k-major, zero-padded layout the micro-kernel reads, with vector, register
transpose and element-by-element paths chosen by the source strides.

The design notes (blocking scheme, packing buffers) are in the docstring of
:mod:`tenkai.codegen.cpu.gemm`.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from tenkai.codegen.cpu.gemm_config import GemmConfig
from tenkai.codegen.cpu.gemm_ir import element_ptr, minimum, new_function
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I1, I32, I64, PTR, VOID

PACK_K_BLOCK = 16


# --------------------------------------------------------------------------- packing


def define_pack(module: ir.Module, cfg: GemmConfig, name: str, width: int) -> ir.Function:
    """``pack(extent, kc, src, width_stride, k_stride, dst)``: copy an ``extent x kc`` block into
    ``ceil(extent / width)`` panels, panel p holding ``dst[p*width*kc + k*width + i] =
    src[(p*width + i)*width_stride + k*k_stride]``, rows past ``extent`` zero-filled.

    A is packed with width = MR (rows), B with width = NR (columns). Full panels take the
    fastest path their strides allow: ``width_stride == 1`` (column-major A, row-major B)
    copies ``<width x T>`` vectors, walking k in the outer loop so the reads stream whole
    source rows (a per-panel walk would hit one L1 set with power-of-two strides);
    ``k_stride == 1`` (row-major A, transposed B) transposes square register blocks; any
    other strides copy element by element.
    """
    params = [("extent", I64), ("kc", I64), ("src", PTR), ("width_stride", I64),
              ("k_stride", I64), ("dst", PTR)]
    function, builder = new_function(module, name, VOID, params)
    extent, kc, src, width_stride, k_stride, dst = function.args
    element = cfg.element_type
    panel_size = builder.mul(kc, I64(width), name="panel_size")
    full_panels = builder.sdiv(extent, I64(width), name="full_panels")

    def panel_at(index: ir.Value) -> _Panel:
        start = builder.mul(index, I64(width), name="panel_start")
        source = element_ptr(builder, src, builder.mul(start, width_stride), element, "p_src")
        target = element_ptr(builder, dst, builder.mul(index, panel_size), element, "p_dst")
        return _Panel(cfg, width, kc, source, width_stride, k_stride, target)

    contiguous = builder.icmp_signed("==", width_stride, I64(1), name="rows_contiguous")
    with builder.if_else(contiguous) as (copy_rows, per_panel):
        with copy_rows:
            _emit_pack_vector_rows(builder, panel_at(I64(0)), full_panels, panel_size)
        with per_panel, counted_loop(builder, I64(0), full_panels, "panel", I64(1)) as index:
            _emit_pack_strided_panel(builder, panel_at(index))
    valid = builder.sub(extent, builder.mul(full_panels, I64(width)), name="edge_rows")
    with builder.if_then(builder.icmp_signed(">", valid, I64(0))):
        _emit_pack_edge_panel(builder, panel_at(full_panels), valid)
    builder.ret_void()
    return function


@dataclass(frozen=True)
class _Panel:
    """One panel being packed: ``width`` rows (of A) or columns (of B) by ``kc``."""

    cfg: GemmConfig
    width: int
    kc: ir.Value
    src: ir.Value
    width_stride: ir.Value
    k_stride: ir.Value
    dst: ir.Value

    @property
    def transpose_block(self) -> int:
        """Side of the square register transposes: the largest power of two dividing
        ``width`` that fits a vector register; below 4 they are not worth it."""
        side = 1
        while self.width % (2 * side) == 0 and 2 * side <= self.cfg.vector_width:
            side *= 2
        return side


def _emit_pack_vector_rows(
    builder: ir.IRBuilder, first: _Panel, panels: ir.Value, panel_size: ir.Value
) -> None:
    """``width_stride == 1``: copy ``<width x T>`` pieces, PACK_K_BLOCK k steps of one panel at
    a time, panel after panel, then the next k block. Each source row streams across the panels
    while each panel receives one contiguous run."""
    element, size = first.cfg.element_type, first.cfg.element_size
    piece_type = ir.VectorType(element, first.width)
    with counted_loop(builder, I64(0), first.kc, "k_block", I64(PACK_K_BLOCK)) as k0:
        k_end = minimum(builder, builder.add(k0, I64(PACK_K_BLOCK)), first.kc, "k_block_end")
        with counted_loop(builder, I64(0), panels, "piece", I64(1)) as piece:
            source = element_ptr(builder, first.src, builder.mul(piece, I64(first.width)),
                                  element, "piece_src")
            target = element_ptr(builder, first.dst, builder.mul(piece, panel_size), element,
                                  "piece_dst")
            with counted_loop(builder, k0, k_end, "k", I64(1)) as k:
                from_row = element_ptr(builder, source, builder.mul(k, first.k_stride), element)
                values = builder.load(from_row, typ=piece_type, align=size, name="piece")
                to_row = element_ptr(builder, target, builder.mul(k, I64(first.width)), element)
                builder.store(values, to_row, align=size)


def _emit_pack_strided_panel(builder: ir.IRBuilder, panel: _Panel) -> None:
    """A full panel whose rows are not contiguous: transpose blocks when k is contiguous."""
    if panel.transpose_block < 4:
        _emit_pack_elements(builder, panel, I64(0))
        return
    unit_k = builder.icmp_signed("==", panel.k_stride, I64(1), name="k_contiguous")
    with builder.if_else(unit_k) as (transpose, gather):
        with transpose:
            _emit_pack_transposed(builder, panel)
        with gather:
            _emit_pack_elements(builder, panel, I64(0))


def _transpose_block(builder: ir.IRBuilder, rows: list[ir.Value]) -> list[ir.Value]:
    """Transpose S vectors of S lanes (S a power of two) with S log2(S) two-input shuffles.

    Level d swaps bit d of the row and column index: between rows i and i+d (bit d of i
    clear) it exchanges lanes ``c`` (bit d set) of row i with lanes ``c - d`` of row i+d.
    Doing every level swaps all bits, i.e. transposes.
    """
    side = len(rows)
    distance = side // 2
    while distance >= 1:
        swapped = list(rows)
        top_mask = [c if not c & distance else side + c - distance for c in range(side)]
        bottom_mask = [c + distance if not c & distance else side + c for c in range(side)]
        for i in range(side):
            if i & distance:
                continue
            upper, lower = rows[i], rows[i + distance]
            swapped[i] = builder.shuffle_vector(upper, lower, _mask(top_mask), name=f"t{i}")
            swapped[i + distance] = builder.shuffle_vector(upper, lower, _mask(bottom_mask),
                                                           name=f"t{i + distance}")
        rows = swapped
        distance //= 2
    return rows


def _mask(indices: list[int]) -> ir.Constant:
    return ir.Constant(ir.VectorType(I32, len(indices)), indices)


def _emit_pack_transposed(builder: ir.IRBuilder, panel: _Panel) -> None:
    """``k_stride == 1``: load S consecutive k of S rows, transpose in registers, store S
    packed k steps; the ``kc % S`` tail goes element by element."""
    cfg, side, element = panel.cfg, panel.transpose_block, panel.cfg.element_type
    block_type = ir.VectorType(element, side)
    k_main = builder.and_(panel.kc, I64(-side), name="k_main")
    sources = [element_ptr(builder, panel.src, builder.mul(panel.width_stride, I64(i)), element,
                            f"row{i}") for i in range(panel.width)]
    with counted_loop(builder, I64(0), k_main, "k_block", I64(side)) as k0:
        for first in range(0, panel.width, side):
            rows = [builder.load(element_ptr(builder, sources[first + r], k0, element),
                                 typ=block_type, align=cfg.element_size, name=f"r{r}")
                    for r in range(side)]
            for kk, column in enumerate(_transpose_block(builder, rows)):
                index = builder.add(builder.mul(builder.add(k0, I64(kk)), I64(panel.width)),
                                    I64(first))
                builder.store(column, element_ptr(builder, panel.dst, index, element),
                              align=cfg.element_size)
    _emit_pack_elements(builder, panel, k_main)


def _emit_pack_elements(builder: ir.IRBuilder, panel: _Panel, k_begin: ir.Value) -> None:
    """Full panel, any strides: copy k steps ``[k_begin, kc)`` element by element."""
    element = panel.cfg.element_type
    sources = [element_ptr(builder, panel.src, builder.mul(panel.width_stride, I64(i)), element,
                            f"src_row{i}") for i in range(panel.width)]
    with counted_loop(builder, k_begin, panel.kc, "k_elem", I64(1)) as k:
        k_offset = builder.mul(k, panel.k_stride, name="k_offset")
        target = element_ptr(builder, panel.dst, builder.mul(k, I64(panel.width)), element)
        for i, source in enumerate(sources):
            value = builder.load(element_ptr(builder, source, k_offset, element), typ=element,
                                 name=f"v{i}")
            builder.store(value, element_ptr(builder, target, I64(i), element))


def _emit_pack_edge_panel(builder: ir.IRBuilder, panel: _Panel, valid: ir.Value) -> None:
    """The last, partial panel: zero it, then copy its ``valid`` rows."""
    element = panel.cfg.element_type
    memset = builder.module.declare_intrinsic("llvm.memset", [PTR, I64])
    panel_bytes = builder.mul(panel.kc, I64(panel.width * panel.cfg.element_size))
    builder.call(memset, [panel.dst, ir.IntType(8)(0), panel_bytes, I1(0)])
    with counted_loop(builder, I64(0), valid, "edge_i", I64(1)) as i:
        source_row = element_ptr(builder, panel.src, builder.mul(i, panel.width_stride), element)
        with counted_loop(builder, I64(0), panel.kc, "edge_k", I64(1)) as k:
            source = element_ptr(builder, source_row, builder.mul(k, panel.k_stride), element)
            value = builder.load(source, typ=element, name="v")
            target = builder.add(builder.mul(k, I64(panel.width)), i)
            builder.store(value, element_ptr(builder, panel.dst, target, element))
