"""The GEMM's register-level kernels: the MR x NR micro-kernel (vector FMAs on a register tile,
full and edge-tile stores) and the macro-kernel (the jr / ir loops over one packed A block and
one packed B panel).

An edge tile narrower than NR (N = 100 with NR = 48 leaves a last tile of 4 columns) runs the
narrowest variant of the micro-kernel that covers it: the same packed panels (B keeps its NR
stride), but only the first ``v`` vectors of each B row are loaded and multiplied, so the zero
padding of the other vectors costs no FMAs.

The design notes (ABI, blocking scheme, register budget) are in the docstring of
:mod:`tenkai.codegen.cpu.gemm`.
"""

from __future__ import annotations

from llvmlite import ir

from tenkai.codegen.cpu.gemm_config import GemmConfig
from tenkai.codegen.cpu.gemm_ir import element_ptr, minimum, new_function
from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I1, I32, I64, PTR, VOID

K_UNROLL = 4


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
    """One rank-1 update of the register tile (``len(acc[0])`` vectors wide) from k offset
    ``step`` of the two panels."""
    element, vector, vectors = cfg.element_type, cfg.vector_type, len(acc[0])
    b_vectors = []
    for v in range(vectors):
        b_addr = element_ptr(builder, b_ptr, I64(step * cfg.nr + v * cfg.vector_width), element)
        b_vectors.append(builder.load(b_addr, typ=vector, align=cfg.element_size, name=f"b{v}"))
    updated = []
    for i in range(cfg.mr):
        a_addr = element_ptr(builder, a_ptr, I64(step * cfg.mr + i), element)
        a_bcast = _splat(builder, builder.load(a_addr, typ=element, name=f"a{i}"), vector)
        updated.append([builder.call(fma, [a_bcast, b_vectors[v], acc[i][v]], name=f"c{i}_{v}")
                        for v in range(vectors)])
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
    acc_phis = [[builder.phi(cfg.vector_type, name=f"acc{i}_{v}") for v in range(len(acc[i]))]
                for i in range(cfg.mr)]
    current = acc_phis
    for step in range(unroll):
        current = _emit_k_step(builder, cfg, fma, a_ptr, b_ptr, step, current)
    next_count = builder.add(count, I64(1), name=f"{name}.next")
    next_a = element_ptr(builder, a_ptr, I64(unroll * cfg.mr), cfg.element_type, "a_next")
    next_b = element_ptr(builder, b_ptr, I64(unroll * cfg.nr), cfg.element_type, "b_next")
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
        for v in range(len(acc[i])):
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
        row = element_ptr(builder, c, builder.mul(ldc, I64(i)), element, f"c_row{i}")
        addresses.append([element_ptr(builder, row, I64(v * cfg.vector_width), element)
                          for v in range(len(acc[i]))])
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


def _masked_memory(module: ir.Module, vector: ir.VectorType) -> tuple[ir.Function, ir.Function]:
    """``llvm.masked.load`` / ``llvm.masked.store`` on ``vector`` (the i32 alignment operand
    form; LLVM upgrades it to an ``align`` attribute where it no longer takes one)."""
    suffix = f"v{vector.count}{'f32' if vector.element == ir.FloatType() else 'f64'}"
    mask = ir.VectorType(I1, vector.count)
    load = declare_function(module, f"llvm.masked.load.{suffix}.p0",
                            ir.FunctionType(vector, [PTR, I32, mask, vector]))
    store = declare_function(module, f"llvm.masked.store.{suffix}.p0",
                             ir.FunctionType(VOID, [vector, PTR, I32, mask]))
    return load, store


def _emit_store_edge_tile(
    builder: ir.IRBuilder, cfg: GemmConfig, acc: list[list[ir.Value]], c: ir.Value,
    ldc: ir.Value, accumulate: ir.Value, rows: ir.Value, cols: ir.Value,
) -> None:
    """C[:rows, :cols] (+)= the register tile: each of the first ``rows`` rows with masked
    vector loads and stores (lane ``l`` of vector ``v`` is live when ``v * W + l < cols``), so
    no element of C past the tile's corner is touched."""
    element, vector, lanes = cfg.element_type, cfg.vector_type, cfg.vector_width
    load, store = _masked_memory(builder.module, vector)
    index_type = ir.VectorType(I64, lanes)
    single = builder.insert_element(ir.Constant(index_type, None), cols, I32(0))
    cols_splat = builder.shuffle_vector(single, ir.Constant(index_type, None),
                                        ir.Constant(ir.VectorType(I32, lanes), [0] * lanes),
                                        name="cols_splat")
    masks = [builder.icmp_signed("<", ir.Constant(index_type, [v * lanes + lane
                                                               for lane in range(lanes)]),
                                 cols_splat, name=f"mask{v}") for v in range(len(acc[0]))]
    align, zero = I32(cfg.element_size), ir.Constant(vector, None)
    for i in range(cfg.mr):
        with builder.if_then(builder.icmp_signed("<", I64(i), rows, name=f"row{i}_live")):
            row = element_ptr(builder, c, builder.mul(ldc, I64(i)), element, f"c_row{i}")
            for v in range(len(acc[i])):
                address = element_ptr(builder, row, I64(v * lanes), element)
                old = builder.call(load, [address, align, masks[v], zero], name="c_old")
                new = builder.select(accumulate, builder.fadd(old, acc[i][v]), acc[i][v],
                                     name="c_new")
                builder.call(store, [new, address, align, masks[v]])


def define_micro_kernel(module: ir.Module, cfg: GemmConfig, prefix: str,
                        vectors: int | None = None) -> ir.Function:
    """``ukernel(kc, a_panel, b_panel, c, ldc, accumulate, rows, cols)``: C tile (+)= A_p B_p.

    ``vectors`` (default NR's): how many vectors of each B panel row the tile computes; a
    narrower kernel (``<prefix>_ukernel_v<vectors>``) serves tiles with ``cols`` at most
    ``vectors * W``."""
    vectors = cfg.nr_vectors if vectors is None else vectors
    params = [("kc", I64), ("a_panel", PTR), ("b_panel", PTR), ("c", PTR), ("ldc", I64),
              ("accumulate", I1), ("rows", I64), ("cols", I64)]
    name = f"{prefix}_ukernel" + ("" if vectors == cfg.nr_vectors else f"_v{vectors}")
    function, builder = new_function(module, name, VOID, params)
    function.attributes.add("noinline")
    for index in (1, 2, 3):
        function.args[index].add_attribute("noalias")
    kc, a_panel, b_panel, c, ldc, accumulate, rows, cols = function.args
    fma = _declare_vector_fma(module, cfg.vector_type)
    zero = ir.Constant(cfg.vector_type, None)
    acc = [[zero] * vectors for _ in range(cfg.mr)]
    unrolled_steps = builder.sdiv(kc, I64(K_UNROLL), name="unrolled_steps")
    pointers, acc = _emit_k_loop(builder, cfg, fma, unrolled_steps, K_UNROLL,
                                 (a_panel, b_panel), acc, "k_main")
    remainder = builder.srem(kc, I64(K_UNROLL), name="k_remainder")
    _, acc = _emit_k_loop(builder, cfg, fma, remainder, 1, pointers, acc, "k_tail")

    full_rows = builder.icmp_signed("==", rows, I64(cfg.mr))
    full_cols = builder.icmp_signed("==", cols, I64(vectors * cfg.vector_width))
    with builder.if_else(builder.and_(full_rows, full_cols, name="full_tile")) as (full, edge):
        with full:
            _emit_store_full_tile(builder, cfg, acc, c, ldc, accumulate)
        with edge:
            _emit_store_edge_tile(builder, cfg, acc, c, ldc, accumulate, rows, cols)
    builder.ret_void()
    return function


# --------------------------------------------------------------------------- macro-kernel


def define_macro_kernel(
    module: ir.Module, cfg: GemmConfig, prefix: str, ukernel: ir.Function,
    narrow: tuple[ir.Function, ...] = (),
) -> ir.Function:
    """``macro(mc, nc, kc, a_block, b_panel, c, ldc, accumulate)``: the jr / ir loops over
    micro-tiles of one packed A block and one packed B panel; ``narrow[v - 1]`` (a ``v``-vector
    micro-kernel) computes the edge tiles at most ``v`` vectors wide."""
    params = [("mc", I64), ("nc", I64), ("kc", I64), ("a_block", PTR), ("b_panel", PTR),
              ("c", PTR), ("ldc", I64), ("accumulate", I1)]
    function, builder = new_function(module, f"{prefix}_macro", VOID, params)
    mc, nc, kc, a_block, b_panel, c, ldc, accumulate = function.args
    element = cfg.element_type
    with counted_loop(builder, I64(0), nc, "jr", I64(cfg.nr)) as jr:
        cols = minimum(builder, builder.sub(nc, jr), I64(cfg.nr), "cols")
        b_micro = element_ptr(builder, b_panel, builder.mul(jr, kc), element, "b_micro")
        c_col = element_ptr(builder, c, jr, element, "c_col")
        with counted_loop(builder, I64(0), mc, "ir", I64(cfg.mr)) as ir_:
            rows = minimum(builder, builder.sub(mc, ir_), I64(cfg.mr), "rows")
            a_micro = element_ptr(builder, a_block, builder.mul(ir_, kc), element, "a_micro")
            c_tile = element_ptr(builder, c_col, builder.mul(ir_, ldc), element, "c_tile")
            _emit_tile_call(builder, cfg, (*narrow, ukernel), cols,
                            [kc, a_micro, b_micro, c_tile, ldc, accumulate, rows, cols])
    builder.ret_void()
    return function


def _emit_tile_call(builder: ir.IRBuilder, cfg: GemmConfig, kernels: tuple[ir.Function, ...],
                    cols: ir.Value, args: list[ir.Value]) -> None:
    """Call the narrowest of ``kernels`` (``kernels[v - 1]`` computes ``v`` vectors, the last
    one all of NR) whose width covers ``cols``."""
    if len(kernels) == 1:
        builder.call(kernels[0], args)
        return
    fits = builder.icmp_signed("<=", cols, I64(cfg.vector_width * (len(kernels) - 1)),
                               name=f"fits_{len(kernels) - 1}_vectors")
    with builder.if_else(fits) as (narrower, widest):
        with narrower:
            _emit_tile_call(builder, cfg, kernels[:-1], cols, args)
        with widest:
            builder.call(kernels[-1], args)
