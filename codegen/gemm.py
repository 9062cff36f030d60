"""A BLIS/GotoBLAS-style GEMM generated as LLVM IR: ``tk_gemm_f32`` / ``tk_gemm_f64``.

ABI (strides in elements, C row-major with row stride ``ldc``)::

    void tk_gemm_<f32|f64>(i64 M, i64 N, i64 K, T* A, i64 rsA, i64 csA,
                           T* B, i64 rsB, i64 csB, T* C, i64 ldc, i32 accumulate)
    C[m, n] (+)= sum_k A[m*rsA + k*csA] * B[k*rsB + n*csB]

Transposed operands are just other strides: packing reads any strides, so nothing is copied
beforehand. ``accumulate != 0`` adds to C, otherwise C is overwritten and its old values are
ignored (garbage or NaN is fine). C must not overlap A or B. Batched matmul is the caller's
loop (calling tk_gemm from inside a tk_parallel_for body is safe, see below).

Blocking scheme (the five loops around the micro-kernel, BLIS order)::

    for jc in N step NC:                 B panel  KC x NC   packed once per (jc, pc)  -> L3
      for pc in K step KC:
        pack B[pc:pc+KC, jc:jc+NC] into NR-wide column panels (k-major, zero padded)
        for ic in M step MC:             A block  MC x KC   packed once per (ic, pc)  -> L2
          pack A[ic:ic+MC, pc:pc+KC] into MR-tall row panels (k-major, zero padded)
          for jr in NC step NR:          B micro-panel KC x NR stays in L1 across ir
            for ir in MC step MR:        A micro-panel MR x KC streams from L2
              micro-kernel: MR x NR tile of C += A_panel @ B_panel over KC

The micro-kernel keeps the whole MR x NR tile of C in vector registers: MR rows times
``NR / W`` vectors of W lanes (W = 16 floats / 8 doubles with AVX-512, 8 / 4 with AVX2). Every
k step loads the ``NR / W`` B vectors once and, for each of the MR rows, broadcasts one A
element and issues ``NR / W`` FMAs (``llvm.fma`` on ``<W x T>``); the k loop is unrolled 4x.
With AVX-512, MR = 8 and NR = 2 vectors: 16 zmm accumulators + 2 B vectors + broadcasts
(about 22 of 32 registers, no spills), 16 independent FMA chains for Zen 5's 2 FMA pipes x
4-cycle latency, and 10 loads per 16 FMAs. MR = 8 (not 12 or 14) also divides the usual batch
sizes (no wasted rows at M = 64 or 256) and lets row-major A be packed with 8 x 8 register
transposes. Edge tiles (M or N not a multiple of MR / NR) are computed in full on zero-padded
panels and stored through a small stack tile, so any M, N, K >= 1 works.

Default block sizes for f32 on Zen 5 (L1d 48 KiB, L2 1 MiB per core, L3 32 MiB):
KC = 256: the B micro-panel (256 x 32 x 4 B = 32 KiB) stays in L1 next to the 8 KiB A
micro-panel streaming through it; MC = 192: the A block (192 x 256 x 4 B = 192 KiB) stays in
L2 next to the B panel's working set; NC = 3072: the B panel (256 x 3072 x 4 B = 3 MiB) stays
in L3. Each loop's step is balanced (K = 784 runs as 4 x 196, not 3 x 256 + 16). f64 keeps the
same bytes: MR = 8, NR = 16, KC = 256, MC = 96, NC = 1536. Single-threaded 1024^3 f32 runs
at ~240 GFLOP/s with any KC in 192..512 and MC in 96..384 (measured), so these are not
knife-edge choices. See ``default_config``.

Parallelism: ``tk_parallel_for`` over P = tk_get_num_threads() independent partitions of C
(contiguous runs of NR-column panels, or of MR-row panels when N is too narrow or M much
larger than N); each partition packs its own panels into its own buffers. Products with
M*N*K < PARALLEL_MIN_WORK run on the calling thread.

Packing buffers: one 64-byte aligned buffer of (MC*KC + KC*NC) elements per partition slot,
allocated with ``aligned_alloc`` the first time that slot is used and kept for the life of the
process. A nested or concurrent call (the slot table is busy) runs single-threaded with a
private buffer it frees before returning.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from llvmlite import ir

from .parallel import I1, I32, I64, PTR, VOID, add_parallel_runtime, declare_function

MAX_PARTITIONS = 64
PARALLEL_MIN_WORK = 64 * 64 * 64  # M*N*K below this runs single-threaded
K_UNROLL = 4
PACK_K_BLOCK = 16

_ELEMENT_TYPES: dict[str, tuple[ir.Type, int]] = {
    "f32": (ir.FloatType(), 4),
    "f64": (ir.DoubleType(), 8),
}


@dataclass(frozen=True)
class GemmConfig:
    """Register and cache blocking for one dtype and vector width (see the module docstring)."""

    dtype: str
    vector_width: int  # lanes per SIMD register
    mr: int  # micro-tile rows: broadcast A elements per k step
    nr_vectors: int  # micro-tile columns, in vectors
    kc: int  # k depth of a packed block
    mc: int  # rows of a packed A block (multiple of mr)
    nc: int  # columns of a packed B panel (multiple of nr)

    @property
    def nr(self) -> int:
        return self.nr_vectors * self.vector_width

    @property
    def element_type(self) -> ir.Type:
        return _ELEMENT_TYPES[self.dtype][0]

    @property
    def element_size(self) -> int:
        return _ELEMENT_TYPES[self.dtype][1]

    @property
    def vector_type(self) -> ir.VectorType:
        return ir.VectorType(self.element_type, self.vector_width)

    @property
    def buffer_elements(self) -> int:
        """Elements of one partition's packing buffer: the A block then the B panel."""
        return self.mc * self.kc + self.kc * self.nc

    def validate(self) -> None:
        if self.dtype not in _ELEMENT_TYPES:
            raise ValueError(f"gemm: unsupported dtype {self.dtype!r}; expected f32 or f64")
        if self.mc % self.mr or self.nc % self.nr or min(self.kc, self.mc, self.nc) < 1:
            raise ValueError(f"gemm: MC must be a multiple of MR and NC of NR: {self}")


def default_config(dtype: str, vector_bits: int | None = None) -> GemmConfig:
    """Blocking for ``dtype`` on a CPU with ``vector_bits``-wide registers (default: the host).

    512-bit (AVX-512, 32 registers): MR=8, NR=2 vectors (16 zmm accumulators). 256-bit (AVX2,
    16 registers): MR=6, NR=2 vectors (12 ymm accumulators). Cache blocks target the Zen 5
    sizes in the module docstring and are kept in bytes across dtypes.
    """
    if vector_bits is None:
        from .jit_support import host_vector_bits

        vector_bits = host_vector_bits()
    if dtype not in _ELEMENT_TYPES:
        raise ValueError(f"gemm: unsupported dtype {dtype!r}; expected f32 or f64")
    element_size = _ELEMENT_TYPES[dtype][1]
    lanes = max(vector_bits // (8 * element_size), 1)
    mr = 8 if vector_bits >= 512 else 6
    nr = 2 * lanes
    mc = (768 // element_size) // mr * mr  # A block: MC x KC = 192 KiB
    nc = (12288 // element_size) // nr * nr  # B panel: KC x NC = 3 MiB
    config = GemmConfig(dtype, lanes, mr, 2, kc=256, mc=max(mc, mr), nc=max(nc, nr))
    config.validate()
    return config


# --------------------------------------------------------------------------- IR helpers


def _min(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, name: str) -> ir.Value:
    return builder.select(builder.icmp_signed("<", a, b), a, b, name=name)


def _ceil_div(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, name: str) -> ir.Value:
    return builder.sdiv(builder.add(a, builder.sub(b, I64(1))), b, name=name)


def _opaque(pointer: ir.NamedValue) -> ir.NamedValue:
    """Retype an alloca or global as an opaque ``ptr``.

    With llvmlite's default typed-pointer mode, allocas and globals carry ``T*`` types and
    ``IRBuilder.store`` rejects storing anything but ``T`` through them (or through GEPs of
    them). LLVM 22 has only opaque pointers, so nothing changes in the IR text's meaning.
    """
    pointer.type = PTR
    return pointer


def _element_ptr(
    builder: ir.IRBuilder, base: ir.Value, index: ir.Value, element: ir.Type, name: str = ""
) -> ir.Value:
    return builder.gep(base, [index], inbounds=True, name=name, source_etype=element)


@contextmanager
def counted_loop(
    builder: ir.IRBuilder, start: ir.Value, stop: ir.Value, step: ir.Value, name: str
) -> Iterator[ir.Value]:
    """``for (name = start; name < stop; name += step)``; the body must not terminate."""
    preheader = builder.block
    header = builder.append_basic_block(f"{name}.header")
    body = builder.append_basic_block(f"{name}.body")
    exit_block = builder.append_basic_block(f"{name}.exit")
    builder.branch(header)
    builder.position_at_end(header)
    index = builder.phi(I64, name=name)
    index.add_incoming(start, preheader)
    builder.cbranch(builder.icmp_signed("<", index, stop), body, exit_block)
    builder.position_at_end(body)
    yield index
    index.add_incoming(builder.add(index, step, name=f"{name}.next"), builder.block)
    builder.branch(header)
    builder.position_at_end(exit_block)


def _new_function(
    module: ir.Module, name: str, ret: ir.Type, params: list[tuple[str, ir.Type]],
    internal: bool = True,
) -> tuple[ir.Function, ir.IRBuilder]:
    function = ir.Function(module, ir.FunctionType(ret, [ty for _, ty in params]), name)
    for argument, (arg_name, _) in zip(function.args, params, strict=True):
        argument.name = arg_name
    if internal:
        function.linkage = "internal"
    function.attributes.add("nounwind")
    return function, ir.IRBuilder(function.append_basic_block("entry"))


# --------------------------------------------------------------------------- micro-kernel


def _declare_vector_fma(module: ir.Module, vector: ir.VectorType) -> ir.Function:
    """``llvm.fma.v<W>f<32|64>`` (llvmlite's declare_intrinsic only knows scalar overloads)."""
    suffix = f"v{vector.count}{'f32' if vector.element == ir.FloatType() else 'f64'}"
    return declare_function(module, f"llvm.fma.{suffix}",
                            ir.FunctionType(vector, [vector, vector, vector]))


def _splat(builder: ir.IRBuilder, scalar: ir.Value, vector_type: ir.VectorType) -> ir.Value:
    lanes = vector_type.count
    single = builder.insert_element(ir.Constant(vector_type, None), scalar, I32(0))
    zeros = ir.Constant(ir.VectorType(I32, lanes), [0] * lanes)
    return builder.shuffle_vector(single, ir.Constant(vector_type, None), zeros, name="a_bcast")


def _emit_k_step(
    builder: ir.IRBuilder, cfg: GemmConfig, fma: ir.Function, a_ptr: ir.Value, b_ptr: ir.Value,
    step: int, acc: list[list[ir.Value]],
) -> list[list[ir.Value]]:
    """One rank-1 update of the register tile from k offset ``step`` of the two panels."""
    element, vector = cfg.element_type, cfg.vector_type
    b_vectors = []
    for v in range(cfg.nr_vectors):
        b_addr = _element_ptr(builder, b_ptr, I64(step * cfg.nr + v * cfg.vector_width), element)
        b_vectors.append(builder.load(b_addr, typ=vector, align=cfg.element_size, name=f"b{v}"))
    updated = []
    for i in range(cfg.mr):
        a_addr = _element_ptr(builder, a_ptr, I64(step * cfg.mr + i), element)
        a_bcast = _splat(builder, builder.load(a_addr, typ=element, name=f"a{i}"), vector)
        updated.append([builder.call(fma, [a_bcast, b_vectors[v], acc[i][v]], name=f"c{i}_{v}")
                        for v in range(cfg.nr_vectors)])
    return updated


def _emit_k_loop(
    builder: ir.IRBuilder, cfg: GemmConfig, fma: ir.Function, steps: ir.Value, unroll: int,
    pointers: tuple[ir.Value, ir.Value], acc: list[list[ir.Value]], name: str,
) -> tuple[tuple[ir.Value, ir.Value], list[list[ir.Value]]]:
    """``steps`` iterations of ``unroll`` k steps; accumulators and panel pointers are phis."""
    preheader = builder.block
    loop = builder.append_basic_block(f"{name}.loop")
    exit_block = builder.append_basic_block(f"{name}.exit")
    builder.cbranch(builder.icmp_signed(">", steps, I64(0)), loop, exit_block)

    builder.position_at_end(loop)
    count = builder.phi(I64, name=f"{name}.i")
    a_ptr = builder.phi(PTR, name=f"{name}.a_ptr")
    b_ptr = builder.phi(PTR, name=f"{name}.b_ptr")
    acc_phis = [[builder.phi(cfg.vector_type, name=f"acc{i}_{v}") for v in range(cfg.nr_vectors)]
                for i in range(cfg.mr)]
    current = acc_phis
    for step in range(unroll):
        current = _emit_k_step(builder, cfg, fma, a_ptr, b_ptr, step, current)
    next_count = builder.add(count, I64(1), name=f"{name}.next")
    next_a = _element_ptr(builder, a_ptr, I64(unroll * cfg.mr), cfg.element_type, "a_next")
    next_b = _element_ptr(builder, b_ptr, I64(unroll * cfg.nr), cfg.element_type, "b_next")
    builder.cbranch(builder.icmp_signed("<", next_count, steps), loop, exit_block)

    count.add_incoming(I64(0), preheader)
    count.add_incoming(next_count, loop)
    for phi, start, nxt in ((a_ptr, pointers[0], next_a), (b_ptr, pointers[1], next_b)):
        phi.add_incoming(start, preheader)
        phi.add_incoming(nxt, loop)
    builder.position_at_end(exit_block)
    results = []
    for i in range(cfg.mr):
        row = []
        for v in range(cfg.nr_vectors):
            acc_phis[i][v].add_incoming(acc[i][v], preheader)
            acc_phis[i][v].add_incoming(current[i][v], loop)
            merged = builder.phi(cfg.vector_type, name=f"acc{i}_{v}.out")
            merged.add_incoming(acc[i][v], preheader)
            merged.add_incoming(current[i][v], loop)
            row.append(merged)
        results.append(row)
    out_pointers = []
    for start, nxt in ((pointers[0], next_a), (pointers[1], next_b)):
        merged_ptr = builder.phi(PTR)
        merged_ptr.add_incoming(start, preheader)
        merged_ptr.add_incoming(nxt, loop)
        out_pointers.append(merged_ptr)
    return (out_pointers[0], out_pointers[1]), results


def _emit_store_full_tile(
    builder: ir.IRBuilder, cfg: GemmConfig, acc: list[list[ir.Value]], c: ir.Value,
    ldc: ir.Value, accumulate: ir.Value,
) -> None:
    """C tile (+)= registers, MR rows of NR contiguous elements."""
    element, vector = cfg.element_type, cfg.vector_type
    addresses = []
    for i in range(cfg.mr):
        row = _element_ptr(builder, c, builder.mul(ldc, I64(i)), element, f"c_row{i}")
        addresses.append([_element_ptr(builder, row, I64(v * cfg.vector_width), element)
                          for v in range(cfg.nr_vectors)])
    with builder.if_else(accumulate) as (then, otherwise):
        with then:
            for i in range(cfg.mr):
                for v, address in enumerate(addresses[i]):
                    old = builder.load(address, typ=vector, align=cfg.element_size)
                    builder.store(builder.fadd(old, acc[i][v]), address, align=cfg.element_size)
        with otherwise:
            for i in range(cfg.mr):
                for v, address in enumerate(addresses[i]):
                    builder.store(acc[i][v], address, align=cfg.element_size)


def _emit_store_edge_tile(
    builder: ir.IRBuilder, cfg: GemmConfig, acc: list[list[ir.Value]], c: ir.Value,
    ldc: ir.Value, accumulate: ir.Value, rows: ir.Value, cols: ir.Value,
) -> None:
    """Spill the register tile to a stack tile and copy its ``rows x cols`` corner to C."""
    element = cfg.element_type
    with builder.goto_entry_block():
        tile = _opaque(builder.alloca(ir.ArrayType(element, cfg.mr * cfg.nr), name="edge_tile"))
    for i in range(cfg.mr):
        for v in range(cfg.nr_vectors):
            slot = _element_ptr(builder, tile, I64(i * cfg.nr + v * cfg.vector_width), element)
            builder.store(acc[i][v], slot, align=cfg.element_size)
    with counted_loop(builder, I64(0), rows, I64(1), "edge_row") as row:
        c_row = _element_ptr(builder, c, builder.mul(row, ldc), element, "c_row")
        tile_row = _element_ptr(builder, tile, builder.mul(row, I64(cfg.nr)), element, "tile_row")
        with counted_loop(builder, I64(0), cols, I64(1), "edge_col") as col:
            value = builder.load(_element_ptr(builder, tile_row, col, element), typ=element)
            c_address = _element_ptr(builder, c_row, col, element, "c_elem")
            old = builder.load(c_address, typ=element, name="c_old")
            new = builder.select(accumulate, builder.fadd(old, value), value, name="c_new")
            builder.store(new, c_address)


def _define_micro_kernel(module: ir.Module, cfg: GemmConfig, prefix: str) -> ir.Function:
    """``ukernel(kc, a_panel, b_panel, c, ldc, accumulate, rows, cols)``: C tile (+)= A_p B_p."""
    params = [("kc", I64), ("a_panel", PTR), ("b_panel", PTR), ("c", PTR), ("ldc", I64),
              ("accumulate", I1), ("rows", I64), ("cols", I64)]
    function, builder = _new_function(module, f"{prefix}_ukernel", VOID, params)
    function.attributes.add("noinline")
    for index in (1, 2, 3):
        function.args[index].add_attribute("noalias")
    kc, a_panel, b_panel, c, ldc, accumulate, rows, cols = function.args
    fma = _declare_vector_fma(module, cfg.vector_type)
    zero = ir.Constant(cfg.vector_type, None)
    acc = [[zero] * cfg.nr_vectors for _ in range(cfg.mr)]
    unrolled_steps = builder.sdiv(kc, I64(K_UNROLL), name="unrolled_steps")
    pointers, acc = _emit_k_loop(builder, cfg, fma, unrolled_steps, K_UNROLL,
                                 (a_panel, b_panel), acc, "k_main")
    remainder = builder.srem(kc, I64(K_UNROLL), name="k_remainder")
    _, acc = _emit_k_loop(builder, cfg, fma, remainder, 1, pointers, acc, "k_tail")

    full_rows = builder.icmp_signed("==", rows, I64(cfg.mr))
    full_cols = builder.icmp_signed("==", cols, I64(cfg.nr))
    with builder.if_else(builder.and_(full_rows, full_cols, name="full_tile")) as (full, edge):
        with full:
            _emit_store_full_tile(builder, cfg, acc, c, ldc, accumulate)
        with edge:
            _emit_store_edge_tile(builder, cfg, acc, c, ldc, accumulate, rows, cols)
    builder.ret_void()
    return function


# --------------------------------------------------------------------------- packing


def _define_pack(module: ir.Module, cfg: GemmConfig, name: str, width: int) -> ir.Function:
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
    function, builder = _new_function(module, name, VOID, params)
    extent, kc, src, width_stride, k_stride, dst = function.args
    element = cfg.element_type
    panel_size = builder.mul(kc, I64(width), name="panel_size")
    full_panels = builder.sdiv(extent, I64(width), name="full_panels")

    def panel_at(index: ir.Value) -> _Panel:
        start = builder.mul(index, I64(width), name="panel_start")
        source = _element_ptr(builder, src, builder.mul(start, width_stride), element, "p_src")
        target = _element_ptr(builder, dst, builder.mul(index, panel_size), element, "p_dst")
        return _Panel(cfg, width, kc, source, width_stride, k_stride, target)

    contiguous = builder.icmp_signed("==", width_stride, I64(1), name="rows_contiguous")
    with builder.if_else(contiguous) as (copy_rows, per_panel):
        with copy_rows:
            _emit_pack_vector_rows(builder, panel_at(I64(0)), full_panels, panel_size)
        with per_panel, counted_loop(builder, I64(0), full_panels, I64(1), "panel") as index:
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
    with counted_loop(builder, I64(0), first.kc, I64(PACK_K_BLOCK), "k_block") as k0:
        k_end = _min(builder, builder.add(k0, I64(PACK_K_BLOCK)), first.kc, "k_block_end")
        with counted_loop(builder, I64(0), panels, I64(1), "piece") as piece:
            source = _element_ptr(builder, first.src, builder.mul(piece, I64(first.width)),
                                  element, "piece_src")
            target = _element_ptr(builder, first.dst, builder.mul(piece, panel_size), element,
                                  "piece_dst")
            with counted_loop(builder, k0, k_end, I64(1), "k") as k:
                from_row = _element_ptr(builder, source, builder.mul(k, first.k_stride), element)
                values = builder.load(from_row, typ=piece_type, align=size, name="piece")
                to_row = _element_ptr(builder, target, builder.mul(k, I64(first.width)), element)
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
    sources = [_element_ptr(builder, panel.src, builder.mul(panel.width_stride, I64(i)), element,
                            f"row{i}") for i in range(panel.width)]
    with counted_loop(builder, I64(0), k_main, I64(side), "k_block") as k0:
        for first in range(0, panel.width, side):
            rows = [builder.load(_element_ptr(builder, sources[first + r], k0, element),
                                 typ=block_type, align=cfg.element_size, name=f"r{r}")
                    for r in range(side)]
            for kk, column in enumerate(_transpose_block(builder, rows)):
                index = builder.add(builder.mul(builder.add(k0, I64(kk)), I64(panel.width)),
                                    I64(first))
                builder.store(column, _element_ptr(builder, panel.dst, index, element),
                              align=cfg.element_size)
    _emit_pack_elements(builder, panel, k_main)


def _emit_pack_elements(builder: ir.IRBuilder, panel: _Panel, k_begin: ir.Value) -> None:
    """Full panel, any strides: copy k steps ``[k_begin, kc)`` element by element."""
    element = panel.cfg.element_type
    sources = [_element_ptr(builder, panel.src, builder.mul(panel.width_stride, I64(i)), element,
                            f"src_row{i}") for i in range(panel.width)]
    with counted_loop(builder, k_begin, panel.kc, I64(1), "k_elem") as k:
        k_offset = builder.mul(k, panel.k_stride, name="k_offset")
        target = _element_ptr(builder, panel.dst, builder.mul(k, I64(panel.width)), element)
        for i, source in enumerate(sources):
            value = builder.load(_element_ptr(builder, source, k_offset, element), typ=element,
                                 name=f"v{i}")
            builder.store(value, _element_ptr(builder, target, I64(i), element))


def _emit_pack_edge_panel(builder: ir.IRBuilder, panel: _Panel, valid: ir.Value) -> None:
    """The last, partial panel: zero it, then copy its ``valid`` rows."""
    element = panel.cfg.element_type
    memset = builder.module.declare_intrinsic("llvm.memset", [PTR, I64])
    panel_bytes = builder.mul(panel.kc, I64(panel.width * panel.cfg.element_size))
    builder.call(memset, [panel.dst, ir.IntType(8)(0), panel_bytes, I1(0)])
    with counted_loop(builder, I64(0), valid, I64(1), "edge_i") as i:
        source_row = _element_ptr(builder, panel.src, builder.mul(i, panel.width_stride), element)
        with counted_loop(builder, I64(0), panel.kc, I64(1), "edge_k") as k:
            source = _element_ptr(builder, source_row, builder.mul(k, panel.k_stride), element)
            value = builder.load(source, typ=element, name="v")
            target = builder.add(builder.mul(k, I64(panel.width)), i)
            builder.store(value, _element_ptr(builder, panel.dst, target, element))


# --------------------------------------------------------------------------- macro-kernel


def _define_macro_kernel(
    module: ir.Module, cfg: GemmConfig, prefix: str, ukernel: ir.Function
) -> ir.Function:
    """``macro(mc, nc, kc, a_block, b_panel, c, ldc, accumulate)``: the jr / ir loops over
    micro-tiles of one packed A block and one packed B panel."""
    params = [("mc", I64), ("nc", I64), ("kc", I64), ("a_block", PTR), ("b_panel", PTR),
              ("c", PTR), ("ldc", I64), ("accumulate", I1)]
    function, builder = _new_function(module, f"{prefix}_macro", VOID, params)
    mc, nc, kc, a_block, b_panel, c, ldc, accumulate = function.args
    element = cfg.element_type
    with counted_loop(builder, I64(0), nc, I64(cfg.nr), "jr") as jr:
        cols = _min(builder, builder.sub(nc, jr), I64(cfg.nr), "cols")
        b_micro = _element_ptr(builder, b_panel, builder.mul(jr, kc), element, "b_micro")
        c_col = _element_ptr(builder, c, jr, element, "c_col")
        with counted_loop(builder, I64(0), mc, I64(cfg.mr), "ir") as ir_:
            rows = _min(builder, builder.sub(mc, ir_), I64(cfg.mr), "rows")
            a_micro = _element_ptr(builder, a_block, builder.mul(ir_, kc), element, "a_micro")
            c_tile = _element_ptr(builder, c_col, builder.mul(ir_, ldc), element, "c_tile")
            builder.call(ukernel, [kc, a_micro, b_micro, c_tile, ldc, accumulate, rows, cols])
    builder.ret_void()
    return function


# --------------------------------------------------------------------------- partitions

# Argument block passed as ``ctx`` to the partition body (one per tk_gemm call, on its stack).
_ARG_FIELDS = ("M", "N", "K", "A", "rsA", "csA", "B", "rsB", "csB", "C", "ldc", "accumulate",
               "parts_n", "m_tiles_per_part", "n_tiles_per_part", "buffers")
_ARG_TYPES = {"A": PTR, "B": PTR, "C": PTR, "buffers": PTR, "accumulate": I1}
ARGS_TYPE = ir.LiteralStructType([_ARG_TYPES.get(field, I64) for field in _ARG_FIELDS])


def _arg_field(builder: ir.IRBuilder, args: ir.Value, field: str, value: ir.Value | None = None
               ) -> ir.Value:
    """Load (or, given ``value``, store) one field of the argument block."""
    index = _ARG_FIELDS.index(field)
    address = builder.gep(args, [I32(0), I32(index)], inbounds=True, source_etype=ARGS_TYPE)
    if value is not None:
        builder.store(value, address)
        return value
    return builder.load(address, typ=ARGS_TYPE.elements[index], name=field)


def _emit_partition_range(
    builder: ir.IRBuilder, part: ir.Value, tiles_per_part: ir.Value, tile: int, extent: ir.Value,
    name: str,
) -> tuple[ir.Value, ir.Value]:
    """``[begin, end)`` of partition ``part`` along one dimension, in whole tiles."""
    span = builder.mul(tiles_per_part, I64(tile), name=f"{name}_span")
    begin = _min(builder, builder.mul(part, span), extent, f"{name}_begin")
    end = _min(builder, builder.add(begin, span), extent, f"{name}_end")
    return begin, end


def _balanced_step(builder: ir.IRBuilder, extent: ir.Value, block: int, multiple: int, name: str
                   ) -> ir.Value:
    """Split ``extent`` into ``ceil(extent / block)`` near-equal steps, each rounded up to a
    ``multiple`` (so still <= ``block``): K = 784 with KC = 256 runs 4 x 196, not 3 x 256 + 16."""
    count = _ceil_div(builder, _max1(builder, extent), I64(block), f"{name}_count")
    even = _ceil_div(builder, _max1(builder, extent), count, f"{name}_even")
    return builder.mul(_ceil_div(builder, even, I64(multiple), f"{name}_units"), I64(multiple),
                       name=name)


def _max1(builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
    return builder.select(builder.icmp_signed("<", value, I64(1)), I64(1), value)


def _emit_slot_buffer(builder: ir.IRBuilder, cfg: GemmConfig, buffers: ir.Value, part: ir.Value
                      ) -> ir.Value:
    """The packing buffer of partition slot ``part``, allocated on first use."""
    aligned_alloc = declare_function(builder.module, "aligned_alloc",
                                     ir.FunctionType(PTR, [I64, I64]))
    slot = _element_ptr(builder, buffers, part, PTR, "slot")
    existing = builder.load(slot, typ=PTR, name="existing_buffer")
    with builder.if_then(builder.icmp_unsigned("==", existing, ir.Constant(PTR, None))):
        size = -(-cfg.buffer_elements * cfg.element_size // 64) * 64
        fresh = builder.call(aligned_alloc, [I64(64), I64(size)], name="fresh_buffer")
        builder.store(fresh, slot)
    return builder.load(slot, typ=PTR, name="buffer")


def _define_partition(
    module: ir.Module, cfg: GemmConfig, prefix: str, pack_a: ir.Function, pack_b: ir.Function,
    macro: ir.Function,
) -> ir.Function:
    """The tk_parallel_for body: partitions ``[begin, end)`` of C, each with the jc/pc/ic loops."""
    params = [("ctx", PTR), ("begin", I64), ("end", I64)]
    function, builder = _new_function(module, f"{prefix}_partition", VOID, params)
    args, first, last = function.args
    element = cfg.element_type
    f = {field: _arg_field(builder, args, field) for field in _ARG_FIELDS}
    with counted_loop(builder, first, last, I64(1), "part") as part:
        part_m = builder.sdiv(part, f["parts_n"], name="part_m")
        part_n = builder.srem(part, f["parts_n"], name="part_n")
        m_begin, m_end = _emit_partition_range(builder, part_m, f["m_tiles_per_part"], cfg.mr,
                                               f["M"], "m")
        n_begin, n_end = _emit_partition_range(builder, part_n, f["n_tiles_per_part"], cfg.nr,
                                               f["N"], "n")
        buffer = _emit_slot_buffer(builder, cfg, f["buffers"], part)
        a_block = buffer
        b_panel = _element_ptr(builder, buffer, I64(cfg.mc * cfg.kc), element, "b_panel")
        nc_step = _balanced_step(builder, builder.sub(n_end, n_begin), cfg.nc, cfg.nr, "nc_step")
        kc_step = _balanced_step(builder, f["K"], cfg.kc, K_UNROLL, "kc_step")
        mc_step = _balanced_step(builder, builder.sub(m_end, m_begin), cfg.mc, cfg.mr, "mc_step")
        with counted_loop(builder, n_begin, n_end, nc_step, "jc") as jc:
            nc = _min(builder, builder.sub(n_end, jc), nc_step, "nc")
            with counted_loop(builder, I64(0), f["K"], kc_step, "pc") as pc:
                kc = _min(builder, builder.sub(f["K"], pc), kc_step, "kc")
                b_offset = builder.add(builder.mul(pc, f["rsB"]), builder.mul(jc, f["csB"]))
                b_source = _element_ptr(builder, f["B"], b_offset, element, "b_source")
                builder.call(pack_b, [nc, kc, b_source, f["csB"], f["rsB"], b_panel])
                not_first = builder.icmp_signed(">", pc, I64(0))
                accumulate = builder.or_(f["accumulate"], not_first, name="beta")
                with counted_loop(builder, m_begin, m_end, mc_step, "ic") as ic:
                    mc = _min(builder, builder.sub(m_end, ic), mc_step, "mc")
                    a_offset = builder.add(builder.mul(ic, f["rsA"]), builder.mul(pc, f["csA"]))
                    a_source = _element_ptr(builder, f["A"], a_offset, element, "a_source")
                    builder.call(pack_a, [mc, kc, a_source, f["rsA"], f["csA"], a_block])
                    c_offset = builder.add(builder.mul(ic, f["ldc"]), jc)
                    c_block = _element_ptr(builder, f["C"], c_offset, element, "c_block")
                    builder.call(macro, [mc, nc, kc, a_block, b_panel, c_block, f["ldc"],
                                         accumulate])
    builder.ret_void()
    return function


# --------------------------------------------------------------------------- entry point


def _module_state(module: ir.Module, name: str, ty: ir.Type) -> ir.GlobalVariable:
    variable = ir.GlobalVariable(module, ty, name)
    variable.linkage = "internal"
    variable.initializer = ir.Constant(ty, None)
    variable.align = 64
    return _opaque(variable)


def _emit_zero_rows(builder: ir.IRBuilder, cfg: GemmConfig, c: ir.Value, rows: ir.Value,
                    cols: ir.Value, ldc: ir.Value) -> None:
    """C[:rows, :cols] = 0 (the K == 0, accumulate == 0 case)."""
    memset = builder.module.declare_intrinsic("llvm.memset", [PTR, I64])
    row_bytes = builder.mul(cols, I64(cfg.element_size), name="row_bytes")
    with counted_loop(builder, I64(0), rows, I64(1), "zero_row") as row:
        row_start = _element_ptr(builder, c, builder.mul(row, ldc), cfg.element_type)
        builder.call(memset, [row_start, ir.IntType(8)(0), row_bytes, I1(0)])


def _emit_split(builder: ir.IRBuilder, cfg: GemmConfig, m: ir.Value, n: ir.Value,
                parts: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value, ir.Value]:
    """Choose a 1-D split of C into ``parts``: along N (whole NR panels; each partition packs all
    of A) when M <= N, else along M, whichever has enough tiles. Returns (parts, parts_n,
    m_tiles_per_part, n_tiles_per_part)."""
    m_tiles = _ceil_div(builder, m, I64(cfg.mr), "m_tiles")
    n_tiles = _ceil_div(builder, n, I64(cfg.nr), "n_tiles")
    n_fits = builder.icmp_signed(">=", n_tiles, parts, name="n_fits")
    m_fits = builder.icmp_signed(">=", m_tiles, parts, name="m_fits")
    prefer_n = builder.icmp_signed("<=", m, n, name="prefer_n")
    split_n = builder.and_(n_fits, builder.or_(prefer_n, builder.not_(m_fits)), name="split_n")
    can_split = builder.or_(n_fits, m_fits)
    parts = builder.select(can_split, parts, I64(1), name="parts")
    parts_n = builder.select(split_n, parts, I64(1), name="parts_n")
    parts_m = builder.sdiv(parts, parts_n, name="parts_m")
    m_per_part = _ceil_div(builder, m_tiles, parts_m, "m_tiles_per_part")
    n_per_part = _ceil_div(builder, n_tiles, parts_n, "n_tiles_per_part")
    return parts, parts_n, m_per_part, n_per_part


def _define_entry(module: ir.Module, cfg: GemmConfig, name: str, partition: ir.Function,
                  runtime: dict[str, ir.Function]) -> ir.Function:
    """``tk_gemm_<dtype>``: trivial cases, slot-table claim, split, tk_parallel_for."""
    params = [("M", I64), ("N", I64), ("K", I64), ("A", PTR), ("rsA", I64), ("csA", I64),
              ("B", PTR), ("rsB", I64), ("csB", I64), ("C", PTR), ("ldc", I64),
              ("accumulate", I32)]
    function, builder = _new_function(module, name, VOID, params, internal=False)
    a = {p: arg for (p, _), arg in zip(params, function.args, strict=True)}
    slot_table = _module_state(module, f"{name}_buffers", ir.ArrayType(PTR, MAX_PARTITIONS))
    busy = _module_state(module, f"{name}_busy", I32)
    free = declare_function(module, "free", ir.FunctionType(VOID, [PTR]))

    empty = builder.or_(builder.icmp_signed("<", a["M"], I64(1)),
                        builder.icmp_signed("<", a["N"], I64(1)))
    with builder.if_then(empty):
        builder.ret_void()
    accumulate = builder.icmp_signed("!=", a["accumulate"], I32(0), name="accumulate_flag")
    with builder.if_then(builder.icmp_signed("<", a["K"], I64(1))):
        with builder.if_then(builder.not_(accumulate)):
            _emit_zero_rows(builder, cfg, a["C"], a["M"], a["N"], a["ldc"])
        builder.ret_void()

    args = _opaque(builder.alloca(ARGS_TYPE, name="args"))
    private_slot = _opaque(builder.alloca(ir.ArrayType(PTR, 1), name="private_slot"))
    builder.store(ir.Constant(PTR, None), private_slot)
    claim = builder.cmpxchg(busy, I32(0), I32(1), "acquire", "monotonic", name="claim")
    owns_slots = builder.extract_value(claim, 1, name="owns_slots")
    threads = builder.call(runtime["tk_get_num_threads"], [], name="threads")
    threads = _min(builder, threads, I64(MAX_PARTITIONS), "threads_capped")
    work = builder.mul(builder.mul(a["M"], a["N"]), a["K"], name="work")
    big = builder.icmp_signed(">=", work, I64(PARALLEL_MIN_WORK), name="worth_threads")
    wanted = builder.select(builder.and_(owns_slots, big), threads, I64(1), name="wanted_parts")
    parts, parts_n, m_per_part, n_per_part = _emit_split(builder, cfg, a["M"], a["N"], wanted)

    for field in ("M", "N", "K", "A", "rsA", "csA", "B", "rsB", "csB", "C", "ldc"):
        _arg_field(builder, args, field, a[field])
    _arg_field(builder, args, "accumulate", accumulate)
    _arg_field(builder, args, "parts_n", parts_n)
    _arg_field(builder, args, "m_tiles_per_part", m_per_part)
    _arg_field(builder, args, "n_tiles_per_part", n_per_part)
    buffers = builder.select(owns_slots, slot_table, private_slot, name="buffers")
    _arg_field(builder, args, "buffers", buffers)
    builder.call(runtime["tk_parallel_for"], [partition, args, parts, I64(1)])

    with builder.if_else(owns_slots) as (release, cleanup):
        with release:
            builder.atomic_rmw("xchg", busy, I32(0), "release")
        with cleanup:
            builder.call(free, [builder.load(private_slot, typ=PTR, name="private_buffer")])
    builder.ret_void()
    return function


def add_gemm(module: ir.Module, dtype: str, config: GemmConfig | None = None) -> ir.Function:
    """Add ``tk_gemm_<dtype>`` (and the parallel runtime it uses) to ``module``; idempotent.

    ``config`` defaults to ``default_config(dtype)`` for the host's vector width; pass one
    built with ``default_config(dtype, vector_bits=256)`` to target AVX2.
    """
    name = f"tk_gemm_{dtype}"
    if name in module.globals:
        return module.globals[name]
    cfg = config if config is not None else default_config(dtype)
    cfg.validate()
    if cfg.dtype != dtype:
        raise ValueError(f"gemm: config is for {cfg.dtype}, not {dtype}")
    runtime = add_parallel_runtime(module)
    ukernel = _define_micro_kernel(module, cfg, name)
    pack_a = _define_pack(module, cfg, f"{name}_pack_a", cfg.mr)
    pack_b = _define_pack(module, cfg, f"{name}_pack_b", cfg.nr)
    macro = _define_macro_kernel(module, cfg, name, ukernel)
    partition = _define_partition(module, cfg, name, pack_a, pack_b, macro)
    return _define_entry(module, cfg, name, partition, runtime)
