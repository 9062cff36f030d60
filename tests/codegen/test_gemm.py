"""tk_gemm_<f32|f64> vs numpy: shapes, strides, accumulate, threads, nesting, AVX2 widths."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from jit_harness import JitModule, compile_module
from llvmlite import ir

from tenkai.codegen.cpu.gemm import add_gemm, default_config
from tenkai.codegen.cpu.machine import (
    DEFAULT_CACHES,
    CacheSizes,
    host_vector_bits,
    read_cache_sizes,
)
from tenkai.codegen.llvm.types import I32, I64, PTR, VOID

c_i64, c_ptr = ctypes.c_int64, ctypes.c_void_p
GEMM_ARGTYPES = (c_i64, c_i64, c_i64, c_ptr, c_i64, c_i64, c_ptr, c_i64, c_i64, c_ptr, c_i64,
                 ctypes.c_int32)
DTYPES = {"f32": np.float32, "f64": np.float64}


@dataclass
class Gemm:
    jit: JitModule
    native: dict[str, Any]
    set_threads: Callable[[int], None]

    def __call__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, accumulate: int = 0) -> None:
        """C (+)= A @ B for numpy views with any element strides (C rows must be contiguous)."""
        (m, k), n = a.shape, b.shape[1]
        assert c.shape == (m, n) and a.dtype == b.dtype == c.dtype
        assert c.strides[1] == c.itemsize or c.size == 0
        size = a.itemsize
        dtype = "f32" if a.dtype == np.float32 else "f64"
        self.native[dtype](m, n, k, a.ctypes.data, a.strides[0] // size, a.strides[1] // size,
                           b.ctypes.data, b.strides[0] // size, b.strides[1] // size,
                           c.ctypes.data, c.strides[0] // size, accumulate)


def _compile(configs: dict[str, Any]) -> Gemm:
    module = ir.Module(name="test_gemm")
    for dtype, config in configs.items():
        function = add_gemm(module, dtype, config)
        assert add_gemm(module, dtype, config) is function  # idempotent
    jit = compile_module(module)
    native = {d: jit.ctypes_function(f"tk_gemm_{d}", None, *GEMM_ARGTYPES) for d in configs}
    return Gemm(jit, native, jit.ctypes_function("tk_set_num_threads", None, c_i64))


@pytest.fixture(scope="module")
def gemm() -> Gemm:
    return _compile({"f32": None, "f64": None})


def _operands(m: int, n: int, k: int, dtype: type, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed + 7919 * m + 104729 * n + k)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    return a, b


def _check(c: np.ndarray, a: np.ndarray, b: np.ndarray, c0: np.ndarray | None = None) -> None:
    """|C - ref| <= tol * (|A| @ |B| + |C0|) elementwise, ref computed in float64.

    tol = 1e-5 sqrt(K) for f32 and 1e-14 sqrt(K) for f64 (K >= 1).
    """
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ref = a64 @ b64
    scale = np.abs(a64) @ np.abs(b64)
    if c0 is not None:
        ref = ref + c0.astype(np.float64)
        scale = scale + np.abs(c0.astype(np.float64))
    k = max(a.shape[1], 1)
    tol = (1e-5 if c.dtype == np.float32 else 1e-14) * np.sqrt(k)
    error = np.abs(c.astype(np.float64) - ref)
    worst = np.unravel_index(np.argmax(error - tol * scale), error.shape) if error.size else None
    assert np.all(error <= tol * scale + 1e-300), (
        f"gemm {c.dtype} M,N,K={c.shape[0]},{c.shape[1]},{k}: at {worst} got {c[worst]!r}, "
        f"expected {ref[worst]!r} (tol {tol * scale[worst]:.3g})")


SHAPES = [
    (1, 1, 1), (1, 1, 7), (7, 1, 1), (1, 9, 1), (2, 3, 5), (13, 17, 19), (12, 32, 4),
    (24, 64, 8), (11, 31, 3), (97, 89, 101), (1000, 3, 5), (3, 1000, 7), (5, 7, 1031),
    (2, 2, 2053), (397, 61, 263), (61, 397, 263), (64, 128, 784), (3, 3100, 5),
    (211, 223, 257), (64, 100, 1000), (1000, 100, 64),  # two_layer: a 4-column edge tile
    (40, 80, 70), (33, 1024, 100),  # NR = 48: edge tiles of 2 vectors and of 1
]


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("m,n,k", SHAPES)
def test_matches_numpy(gemm: Gemm, dtype: str, m: int, n: int, k: int) -> None:
    a, b = _operands(m, n, k, DTYPES[dtype])
    c = np.full((m, n), np.nan, dtype=DTYPES[dtype])  # accumulate=0 must not read C
    gemm(a, b, c)
    _check(c, a, b)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("layout", ["aT", "bT", "aT_bT", "strided", "ldc"])
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (37, 41, 43), (130, 70, 300)])
def test_strided_operands(gemm: Gemm, dtype: str, layout: str, m: int, n: int, k: int) -> None:
    """Transposed and sliced operands are read through their strides, C through ldc."""
    rng = np.random.default_rng(m * n + k)
    t = DTYPES[dtype]
    a = rng.standard_normal((k, m)).astype(t).T if "aT" in layout else None
    b = rng.standard_normal((n, k)).astype(t).T if "bT" in layout else None
    if layout == "strided":
        a = rng.standard_normal((2 * m, 3 * k)).astype(t)[::2, ::3]
        b = rng.standard_normal((3 * k, 2 * n)).astype(t)[::3, ::2]
    a = a if a is not None else rng.standard_normal((m, k)).astype(t)
    b = b if b is not None else rng.standard_normal((k, n)).astype(t)
    wide = np.full((m, n + 5), 7.0, dtype=t)  # ldc = n + 5; the last 5 columns stay untouched
    c = wide[:, :n] if layout == "ldc" else np.zeros((m, n), dtype=t)
    gemm(a, b, c)
    _check(c, a, b)
    np.testing.assert_array_equal(wide[:, n:], 7.0)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (13, 33, 7), (100, 200, 513)])
def test_accumulate(gemm: Gemm, dtype: str, m: int, n: int, k: int) -> None:
    a, b = _operands(m, n, k, DTYPES[dtype])
    c0 = np.random.default_rng(1).standard_normal((m, n)).astype(DTYPES[dtype])
    c = c0.copy()
    gemm(a, b, c, accumulate=1)
    _check(c, a, b, c0)


def test_empty_dimensions(gemm: Gemm) -> None:
    a, b = np.ones((4, 0), np.float32), np.ones((0, 3), np.float32)
    c = np.full((4, 3), 5.0, np.float32)
    gemm(a, b, c, accumulate=1)  # K = 0 accumulating: C unchanged
    np.testing.assert_array_equal(c, 5.0)
    gemm(a, b, c)  # K = 0 overwriting: C = 0
    np.testing.assert_array_equal(c, 0.0)
    gemm(np.ones((0, 2), np.float32), np.ones((2, 3), np.float32), np.ones((0, 3), np.float32))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("m,n,k", [(300, 260, 270), (256, 784, 100), (64, 40, 300),
                                   (200, 17, 90), (97, 1031, 13)])
def test_thread_counts_agree(gemm: Gemm, threads: int, m: int, n: int, k: int) -> None:
    """Partitions of C (N split in vectors, so a part may end inside an NR tile) compute
    the same bits as one thread."""
    a, b = _operands(m, n, k, np.float32)
    try:
        gemm.set_threads(threads)
        c = np.empty((m, n), np.float32)
        gemm(a, b, c)
    finally:
        gemm.set_threads(0)
    reference = np.empty_like(c)
    gemm(a, b, reference)
    _check(c, a, b)
    np.testing.assert_array_equal(c, reference)  # same blocking, same summation order


def _batched_body(module: ir.Module, gemm_fn: ir.Function) -> ir.Function:
    """``batched(ctx, begin, end)``: for each batch index, tk_gemm_f32 on contiguous square
    matrices. ctx = {i64 n, f32* A, f32* B, f32* C}."""
    body = ir.Function(module, ir.FunctionType(VOID, [PTR, I64, I64]), "batched")
    ctx, begin, end = body.args
    builder = ir.IRBuilder(body.append_basic_block("entry"))
    fields = [builder.gep(ctx, [I64(i)], source_etype=I64) for i in range(4)]
    n = builder.load(fields[0], typ=I64, name="n")
    bases = [builder.load(field, typ=PTR) for field in fields[1:]]
    entry = builder.block
    loop = builder.append_basic_block("loop")
    done = builder.append_basic_block("done")
    builder.cbranch(builder.icmp_signed("<", begin, end), loop, done)
    builder.position_at_end(loop)
    batch = builder.phi(I64, name="batch")
    batch.add_incoming(begin, entry)
    offset = builder.mul(batch, builder.mul(n, n), name="offset")
    a, b, c = (builder.gep(base, [offset], source_etype=ir.FloatType()) for base in bases)
    builder.call(gemm_fn, [n, n, n, a, n, I64(1), b, n, I64(1), c, n, I32(0)])
    next_batch = builder.add(batch, I64(1))
    batch.add_incoming(next_batch, loop)
    builder.cbranch(builder.icmp_signed("<", next_batch, end), loop, done)
    builder.position_at_end(done)
    builder.ret_void()
    return body


def test_gemm_inside_parallel_for_is_safe() -> None:
    """A batched matmul whose batch loop runs under tk_parallel_for: the nested GEMMs find the
    pool and the slot table busy and run single-threaded with private buffers."""
    module = ir.Module(name="test_gemm_nested")
    _batched_body(module, add_gemm(module, "f32"))
    jit = compile_module(module)
    parallel_for = jit.ctypes_function("tk_parallel_for", None, c_ptr, c_ptr, c_i64, c_i64)
    batches, n = 6, 70
    rng = np.random.default_rng(3)
    a = rng.standard_normal((batches, n, n)).astype(np.float32)
    b = rng.standard_normal((batches, n, n)).astype(np.float32)
    c = np.zeros_like(a)
    ctx = (c_i64 * 4)(n, a.ctypes.data, b.ctypes.data, c.ctypes.data)
    for _ in range(3):
        parallel_for(jit.address("batched"), ctypes.addressof(ctx), batches, 1)
        for i in range(batches):
            _check(c[i], a[i], b[i])


def test_avx2_widths() -> None:
    """The 256-bit configuration (MR=6, NR=16 f32 / 8 f64) also runs on an AVX-512 host."""
    if host_vector_bits() < 256:
        pytest.skip("host has no AVX2")
    narrow = _compile({d: default_config(d, vector_bits=256) for d in ("f32", "f64")})
    for dtype in ("f32", "f64"):
        for m, n, k in [(1, 1, 1), (13, 17, 300), (100, 90, 80)]:
            a, b = _operands(m, n, k, DTYPES[dtype])
            c = np.empty((m, n), DTYPES[dtype])
            narrow(a, b, c)
            _check(c, a, b)


ZEN4 = CacheSizes(l1d=32 << 10, l2=1 << 20, l3=32 << 20)
ICELAKE_SERVER = CacheSizes(l1d=48 << 10, l2=1280 << 10, l3=48 << 20)


def test_default_blocking() -> None:
    f32 = default_config("f32", vector_bits=512, caches=ICELAKE_SERVER, cpu="icelake-server")
    assert (f32.mr, f32.nr, f32.vector_width) == (8, 48, 16)  # 24 zmm accumulators
    assert (f32.kc, f32.mc, f32.nc) == (256, 240, 4896)
    assert f32.kc * f32.nr * 4 <= 48 * 1024  # B micro-panel fits L1d
    assert f32.mc * f32.kc * 4 <= 1280 * 1024 // 4  # A block: under a quarter of L2
    f64 = default_config("f64", vector_bits=512, caches=ICELAKE_SERVER, cpu="icelake-server")
    assert (f64.mr, f64.nr, f64.kc, f64.mc) == (8, 24, 256, 120)  # the same bytes
    f64 = default_config("f64", vector_bits=256, caches=ZEN4, cpu="znver3")
    assert (f64.mr, f64.nr, f64.vector_width) == (6, 8, 4)
    with pytest.raises(ValueError, match="unsupported dtype"):
        default_config("i32")


def test_zen4_blocking() -> None:
    """Zen 4/5 with AVX-512 take the 8 x 2-vector tile the GEMM was tuned with there, and its
    cache blocks (KC = 256, MC = 192) from Zen 4's cache sizes; the tile is also reachable
    explicitly on any CPU."""
    for cpu in ("znver4", "znver5"):
        zen = default_config("f32", vector_bits=512, caches=ZEN4, cpu=cpu)
        assert (zen.mr, zen.nr, zen.kc, zen.mc) == (8, 32, 256, 192)
    assert default_config("f32", vector_bits=512, caches=ZEN4, cpu="icelake-server").nr == 48
    zen = default_config("f32", vector_bits=512, tile=(8, 2), caches=ZEN4, cpu="icelake-server")
    assert (zen.mr, zen.nr, zen.kc, zen.mc) == (8, 32, 256, 192)


def test_cache_sizes_from_sysfs(tmp_path: Any) -> None:
    for index, (level, kind, size) in enumerate([(1, "Data", "48K"), (1, "Instruction", "32K"),
                                                 (2, "Unified", "1280K"), (3, "Unified", "48M")]):
        folder = tmp_path / f"index{index}"
        folder.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size)):
            (folder / name).write_text(f"{value}\n")
    assert read_cache_sizes(str(tmp_path)) == ICELAKE_SERVER
    (tmp_path / "index3" / "size").write_text("garbage\n")  # unreadable: the default L3
    assert read_cache_sizes(str(tmp_path)).l3 == DEFAULT_CACHES.l3
    assert read_cache_sizes(str(tmp_path / "missing")) == DEFAULT_CACHES


@functools.cache
def _tile_gemm(tile: tuple[int, int]) -> Gemm:
    """The f32 GEMM with register tile ``tile`` (compiled once per test session)."""
    return _compile({"f32": default_config("f32", tile=tile)})


@pytest.mark.parametrize("tile", [(8, 2), (8, 3), (4, 4)])
def test_other_register_tiles(tile: tuple[int, int]) -> None:
    """Any (MR, NR vectors) tile is a correct GEMM, edge tiles of every width included."""
    gemm = _tile_gemm(tile)
    for m, n, k in [(1, 1, 1), (13, 17, 300), (100, 90, 80), (9, 70, 33), (17, 100, 5)]:
        a, b = _operands(m, n, k, np.float32)
        c = np.full((m, n), np.nan, np.float32)
        gemm(a, b, c)
        _check(c, a, b)


def test_micro_kernel_is_zmm_fmas_without_spills(gemm: Gemm) -> None:
    if host_vector_bits() < 512:
        pytest.skip("host has no AVX-512")
    assembly = gemm.jit.assembly()
    body = assembly.split("tk_gemm_f32_ukernel:", 1)[1].split(".Lfunc_end", 1)[0]
    loops = [block for block in body.split("\n.LBB") if "vfmadd231ps" in block]
    hottest = max(loops, key=lambda block: block.count("vfmadd231ps"))
    label = ".LBB" + hottest.split(":", 1)[0]
    loop = hottest.split(f"\t{label}", 1)[0]  # up to the back edge
    cfg = default_config("f32")
    assert loop.count("vfmadd231ps") >= cfg.mr * cfg.nr_vectors * 4  # 4x unrolled k loop
    fmas = [line for line in loop.splitlines() if "vfmadd231ps" in line]
    assert all("%zmm" in line and "%ymm" not in line for line in fmas)
    assert "(%rsp)" not in loop, "register tile spills in the micro-kernel"


@pytest.mark.parametrize("vectors", [1, 2])
def test_narrow_edge_tiles_take_narrow_kernels(vectors: int) -> None:
    """With the 8 x 3-vector tile, an edge tile at most ``v`` vectors wide (N = 100: 2 x 48 + 4
    columns; N = 80: 48 + 32) runs the ``v``-vector micro-kernel: MR x v FMAs per k step
    instead of MR x NR/W on zero padding."""
    if host_vector_bits() < 512:
        pytest.skip("host has no AVX-512")
    cfg = default_config("f32", tile=(8, 3))
    gemm = _tile_gemm((8, 3))
    name = f"tk_gemm_f32_ukernel_v{vectors}:"
    body = gemm.jit.assembly().split(name, 1)[1].split(".Lfunc_end", 1)[0]
    loops = [block for block in body.split("\n.LBB") if "vfmadd231ps" in block]
    hottest = max(loops, key=lambda block: block.count("vfmadd231ps"))
    assert hottest.count("vfmadd231ps") == cfg.mr * vectors * 4  # 4x unrolled
    n = cfg.nr * 2 + 4 if vectors == 1 else cfg.nr + 2 * cfg.vector_width
    a, b = _operands(64, n, 1000, np.float32)
    c = np.full((64, n), np.nan, dtype=np.float32)
    gemm(a, b, c)
    _check(c, a, b)


@pytest.mark.parametrize("batch, inline", [(8, True), (64, False)])
def test_small_contractions_inline_the_loop_nest(batch: int, inline: bool) -> None:
    """A contraction of M*N*K <= SMALL_GEMM (8 x 8 x 8 here) is the plain loop nest inlined at
    its call site, a larger one (64 x 8 x 8) calls the library's tk_gemm; both as numpy."""
    import tenkai
    from tenkai.codegen.cpu.contraction import SMALL_GEMM

    assert 8 * 8 * 8 <= SMALL_GEMM < 64 * 8 * 8
    tenkai.manual_seed(0)
    lin = tenkai.nn.Linear(8, 8)
    x = tenkai.randn(batch, 8)

    def forward(x: Any) -> Any:
        return lin(x)

    text = tenkai.trace(forward, x).lower("cpu").as_text("llvm")
    assert ('call void @"tk_gemm_f32_inline"(' in text) is inline
    assert ('call void @"tk_gemm_f32"(' in text) is not inline
    fn = tenkai.compile(forward)
    want = x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    for _ in range(2):  # the trace, then a replay
        np.testing.assert_allclose(fn(x).detach().numpy(), want, rtol=1e-5, atol=1e-5)
