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
With AVX-512, MR = 8 and NR = 3 vectors: 24 zmm accumulators + 3 B vectors + a broadcast (28
of 32 registers, no spills) and 11 loads per 24 FMAs. On an Ice Lake server core (two 512-bit
FMA units, two load ports) this tile's macro-kernel runs at 157-161 GFLOP/s, ~97% of the
measured FMA peak, where the 8 x 2 tile (16 accumulators, 10 loads per 16 FMAs) it had before
ran at 135 (interleaved, min of 40 rounds). MR = 8 (not 12 or 14, also measured: 145 and 132)
divides the usual batch sizes (no wasted rows at M = 64 or 256) and lets row-major A be packed
with 8 x 8 register transposes. Edge tiles (M or N not a multiple of MR / NR) are computed on
zero-padded panels by the narrowest micro-kernel that covers them (1, 2 or 3 vectors) and
stored with masked vector stores, so any M, N, K >= 1 works.

Cache blocks come from the cache sizes Linux reports (``default_config``; on Ice Lake server:
L1d 48 KiB, L2 1.25 MiB, L3 48 MiB): KC = 256 (the B micro-panel, 256 x 48 x 4 B = 48 KiB,
streams through L1 next to the 8 KiB A micro-panel), MC = 240 (the A block, 240 KiB, 3/16 of
L2), NC = 4896 (the B panel, a tenth of L3). Each loop's step is balanced (K = 784 runs as
4 x 196, not 3 x 256 + 16). f64 keeps the same bytes. KC in 196..384 and MC in 96..384 measure
within a few percent of each other, so these are not knife-edge choices. AMD Zen 4/5 cores
take the 8 x 2 tile (``gemm_config.register_tile``): with Zen's 32 KiB L1d it keeps KC = 256
(MC = 192), ~240 GFLOP/s at 1024^3 on Zen 5 and 4-5% faster than 8 x 3 on mlp_large's GEMMs
on Zen 4.

Parallelism: ``tk_parallel_for`` over P = tk_get_num_threads() independent partitions of C
(contiguous runs of vector-wide column strips, or of MR-row panels when N is too narrow or M
much larger than N); each partition packs its own panels into its own buffers. Products with
M*N*K < GEMM_THREADS_MIN_WORK run on the calling thread.

Packing buffers: one 64-byte aligned buffer of (MC*KC + KC*NC) elements per partition slot,
allocated with ``aligned_alloc`` the first time that slot is used and kept for the life of the
process. A nested or concurrent call (the slot table is busy) runs single-threaded with a
private buffer it frees before returning.
"""

from __future__ import annotations

from llvmlite import ir

from tenkai.codegen.cpu.gemm_config import TUNED_DTYPES, GemmConfig, default_config
from tenkai.codegen.cpu.gemm_ir import ceil_div, element_ptr, minimum, new_function, opaque
from tenkai.codegen.cpu.gemm_kernel import K_UNROLL, define_macro_kernel, define_micro_kernel
from tenkai.codegen.cpu.gemm_pack import define_pack
from tenkai.codegen.cpu.pool import add_parallel_runtime
from tenkai.codegen.llvm.functions import declare_function, internal_global
from tenkai.codegen.llvm.gemm_ref import GEMM_PARAMS
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I1, I32, I64, PTR, VOID

__all__ = ["TUNED_DTYPES", "GemmConfig", "add_gemm", "default_config"]

MAX_PARTITIONS = 64
GEMM_THREADS_MIN_WORK = 64 * 64 * 64  # M*N*K multiply-adds below this run single-threaded


# --------------------------------------------------------------------------- partitions

# Argument block passed as ``ctx`` to the partition body (one per tk_gemm call, on its stack).
_ARG_FIELDS = ("M", "N", "K", "A", "rsA", "csA", "B", "rsB", "csB", "C", "ldc", "accumulate",
               "parts_n", "m_tiles_per_part", "n_vectors_per_part", "buffers")
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
    begin = minimum(builder, builder.mul(part, span), extent, f"{name}_begin")
    end = minimum(builder, builder.add(begin, span), extent, f"{name}_end")
    return begin, end


def _balanced_step(builder: ir.IRBuilder, extent: ir.Value, block: int, multiple: int, name: str
                   ) -> ir.Value:
    """Split ``extent`` into ``ceil(extent / block)`` near-equal steps, each rounded up to a
    ``multiple`` (so still <= ``block``): K = 784 with KC = 256 runs 4 x 196, not 3 x 256 + 16."""
    count = ceil_div(builder, _max1(builder, extent), I64(block), f"{name}_count")
    even = ceil_div(builder, _max1(builder, extent), count, f"{name}_even")
    return builder.mul(ceil_div(builder, even, I64(multiple), f"{name}_units"), I64(multiple),
                       name=name)


def _max1(builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
    return builder.select(builder.icmp_signed("<", value, I64(1)), I64(1), value)


def _emit_slot_buffer(builder: ir.IRBuilder, cfg: GemmConfig, buffers: ir.Value, part: ir.Value
                      ) -> ir.Value:
    """The packing buffer of partition slot ``part``, allocated on first use."""
    aligned_alloc = declare_function(builder.module, "aligned_alloc",
                                     ir.FunctionType(PTR, [I64, I64]))
    slot = element_ptr(builder, buffers, part, PTR, "slot")
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
    function, builder = new_function(module, f"{prefix}_partition", VOID, params)
    args, first, last = function.args
    element = cfg.element_type
    f = {field: _arg_field(builder, args, field) for field in _ARG_FIELDS}
    with counted_loop(builder, first, last, "part", I64(1)) as part:
        part_m = builder.sdiv(part, f["parts_n"], name="part_m")
        part_n = builder.srem(part, f["parts_n"], name="part_n")
        m_begin, m_end = _emit_partition_range(builder, part_m, f["m_tiles_per_part"], cfg.mr,
                                               f["M"], "m")
        n_begin, n_end = _emit_partition_range(builder, part_n, f["n_vectors_per_part"],
                                               cfg.vector_width,
                                               f["N"], "n")
        buffer = _emit_slot_buffer(builder, cfg, f["buffers"], part)
        a_block = buffer
        b_panel = element_ptr(builder, buffer, I64(cfg.mc * cfg.kc), element, "b_panel")
        nc_step = _balanced_step(builder, builder.sub(n_end, n_begin), cfg.nc, cfg.nr, "nc_step")
        kc_step = _balanced_step(builder, f["K"], cfg.kc, K_UNROLL, "kc_step")
        mc_step = _balanced_step(builder, builder.sub(m_end, m_begin), cfg.mc, cfg.mr, "mc_step")
        with counted_loop(builder, n_begin, n_end, "jc", nc_step) as jc:
            nc = minimum(builder, builder.sub(n_end, jc), nc_step, "nc")
            with counted_loop(builder, I64(0), f["K"], "pc", kc_step) as pc:
                kc = minimum(builder, builder.sub(f["K"], pc), kc_step, "kc")
                b_offset = builder.add(builder.mul(pc, f["rsB"]), builder.mul(jc, f["csB"]))
                b_source = element_ptr(builder, f["B"], b_offset, element, "b_source")
                builder.call(pack_b, [nc, kc, b_source, f["csB"], f["rsB"], b_panel])
                not_first = builder.icmp_signed(">", pc, I64(0))
                accumulate = builder.or_(f["accumulate"], not_first, name="beta")
                with counted_loop(builder, m_begin, m_end, "ic", mc_step) as ic:
                    mc = minimum(builder, builder.sub(m_end, ic), mc_step, "mc")
                    a_offset = builder.add(builder.mul(ic, f["rsA"]), builder.mul(pc, f["csA"]))
                    a_source = element_ptr(builder, f["A"], a_offset, element, "a_source")
                    builder.call(pack_a, [mc, kc, a_source, f["rsA"], f["csA"], a_block])
                    c_offset = builder.add(builder.mul(ic, f["ldc"]), jc)
                    c_block = element_ptr(builder, f["C"], c_offset, element, "c_block")
                    builder.call(macro, [mc, nc, kc, a_block, b_panel, c_block, f["ldc"],
                                         accumulate])
    builder.ret_void()
    return function


# --------------------------------------------------------------------------- entry point


def _emit_zero_rows(builder: ir.IRBuilder, cfg: GemmConfig, c: ir.Value, rows: ir.Value,
                    cols: ir.Value, ldc: ir.Value) -> None:
    """C[:rows, :cols] = 0 (the K == 0, accumulate == 0 case)."""
    memset = builder.module.declare_intrinsic("llvm.memset", [PTR, I64])
    row_bytes = builder.mul(cols, I64(cfg.element_size), name="row_bytes")
    with counted_loop(builder, I64(0), rows, "zero_row", I64(1)) as row:
        row_start = element_ptr(builder, c, builder.mul(row, ldc), cfg.element_type)
        builder.call(memset, [row_start, ir.IntType(8)(0), row_bytes, I1(0)])


def _emit_split(builder: ir.IRBuilder, cfg: GemmConfig, m: ir.Value, n: ir.Value,
                parts: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value, ir.Value]:
    """Choose a 1-D split of C into ``parts``: along N (each partition packs all of A) when
    M <= N, else along M, whichever has at least one whole tile per part. N is split in
    vectors, not in NR-wide tiles: N = 784 with NR = 48 on 2 threads runs 400 + 384 columns,
    not 432 + 352. Returns (parts, parts_n, m_tiles_per_part, n_vectors_per_part)."""
    m_tiles = ceil_div(builder, m, I64(cfg.mr), "m_tiles")
    n_tiles = ceil_div(builder, n, I64(cfg.nr), "n_tiles")
    n_vectors = ceil_div(builder, n, I64(cfg.vector_width), "n_vectors")
    n_fits = builder.icmp_signed(">=", n_tiles, parts, name="n_fits")
    m_fits = builder.icmp_signed(">=", m_tiles, parts, name="m_fits")
    prefer_n = builder.icmp_signed("<=", m, n, name="prefer_n")
    split_n = builder.and_(n_fits, builder.or_(prefer_n, builder.not_(m_fits)), name="split_n")
    can_split = builder.or_(n_fits, m_fits)
    parts = builder.select(can_split, parts, I64(1), name="parts")
    parts_n = builder.select(split_n, parts, I64(1), name="parts_n")
    parts_m = builder.sdiv(parts, parts_n, name="parts_m")
    m_per_part = ceil_div(builder, m_tiles, parts_m, "m_tiles_per_part")
    n_per_part = ceil_div(builder, n_vectors, parts_n, "n_vectors_per_part")
    return parts, parts_n, m_per_part, n_per_part


def _define_entry(module: ir.Module, cfg: GemmConfig, name: str, partition: ir.Function,
                  runtime: dict[str, ir.Function]) -> ir.Function:
    """``tk_gemm_<dtype>``: trivial cases, slot-table claim, split, tk_parallel_for."""
    params = list(GEMM_PARAMS)
    function, builder = new_function(module, name, VOID, params, internal=False)
    a = {p: arg for (p, _), arg in zip(params, function.args, strict=True)}
    slot_table = opaque(internal_global(module, f"{name}_buffers",
                                        ir.ArrayType(PTR, MAX_PARTITIONS)))
    busy = opaque(internal_global(module, f"{name}_busy", I32))
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

    args = opaque(builder.alloca(ARGS_TYPE, name="args"))
    private_slot = opaque(builder.alloca(ir.ArrayType(PTR, 1), name="private_slot"))
    builder.store(ir.Constant(PTR, None), private_slot)
    claim = builder.cmpxchg(busy, I32(0), I32(1), "acquire", "monotonic", name="claim")
    owns_slots = builder.extract_value(claim, 1, name="owns_slots")
    threads = builder.call(runtime["tk_get_num_threads"], [], name="threads")
    threads = minimum(builder, threads, I64(MAX_PARTITIONS), "threads_capped")
    work = builder.mul(builder.mul(a["M"], a["N"]), a["K"], name="work")
    big = builder.icmp_signed(">=", work, I64(GEMM_THREADS_MIN_WORK), name="worth_threads")
    wanted = builder.select(builder.and_(owns_slots, big), threads, I64(1), name="wanted_parts")
    parts, parts_n, m_per_part, n_per_part = _emit_split(builder, cfg, a["M"], a["N"], wanted)

    for field in ("M", "N", "K", "A", "rsA", "csA", "B", "rsB", "csB", "C", "ldc"):
        _arg_field(builder, args, field, a[field])
    _arg_field(builder, args, "accumulate", accumulate)
    _arg_field(builder, args, "parts_n", parts_n)
    _arg_field(builder, args, "m_tiles_per_part", m_per_part)
    _arg_field(builder, args, "n_vectors_per_part", n_per_part)
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


def add_gemm(module: ir.Module, dtype: str, config: GemmConfig | None = None,
             runtime: dict[str, ir.Function] | None = None) -> ir.Function:
    """Add ``tk_gemm_<dtype>`` (and the parallel runtime it uses) to ``module``; idempotent.

    ``runtime``: the pool's functions (``tk_parallel_for``, ``tk_get_num_threads``) to call,
    e.g. declarations of another object's (the library's ``gemm_<dtype>`` piece); by default
    the pool is defined in ``module``.

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
    runtime = runtime if runtime is not None else add_parallel_runtime(module)
    ukernel = define_micro_kernel(module, cfg, name)
    pack_a = define_pack(module, cfg, f"{name}_pack_a", cfg.mr)
    pack_b = define_pack(module, cfg, f"{name}_pack_b", cfg.nr)
    narrow = tuple(define_micro_kernel(module, cfg, name, vectors=v)
                   for v in range(1, cfg.nr_vectors))
    macro = define_macro_kernel(module, cfg, name, ukernel, narrow)
    for kernel in (pack_a, pack_b, macro):  # kept out of line: the partition stays small, and
        kernel.attributes.add("noinline")  # the library compiles in a fraction of the time
    partition = _define_partition(module, cfg, name, pack_a, pack_b, macro)
    return _define_entry(module, cfg, name, partition, runtime)
