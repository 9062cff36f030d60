"""Contractions on the cuda target: tiled GEMM launches (codegen/nvptx/gemm.py, gemm_mma.py).

No GPU is needed: the PTX is assembled with ``ptxas`` for sm_80 and sm_90 (no spills, shared
memory within the static limit; skipped without ptxas), and the kernels' LLVM IR runs in the
CPU simulator (gpu_sim.py -> tenkai.runtime.cuda_sim: every thread of a block concurrently,
barriers, ``cp.async`` groups, warp-wide ``mma.sync``, shared memory checked for races)
against numpy and the interpreter. Covered: partial tiles at the M/N/K edges, transposed and
broadcast operands, batches spread over blocks and batches summed inside one (accumulate),
float32/float64/int64 on FMA units, float16 on tensor cores, TF32 under
``float32_matmul_precision="high"``, a grid smaller than the tiles (blocks stride), a
missing ``cp.async`` wait or barrier caught, convolutions (with groups, strides, padding and
dilation) and their gradients as implicit GEMMs (the input read through a window view) and
through im2col, the seed two-layer MLP training step (and a conv block) as whole programs,
and a CNN trained on the ``cuda-sim`` target following eager. Simulated shapes stay small:
every simulated thread's shared-memory accesses call back into Python.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from cpu_harness import assert_matches, feed_names, single_group
from gpu_sim import SimulationError, Simulator
from test_llvm_ops import FUSED, _feeds_for
from test_nvptx import ARCHES, check_launch_table, needs_ptxas, ptxas

import tenkai
import tenkai.ir as ir
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.codegen import nvptx
from tenkai.codegen.kir.nodes import (
    Buffer,
    Contraction,
    Kernel,
    KernelProgram,
    TensorView,
)
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.nvptx.gemm import config_for, splits_for

CUDA = nvptx.describe()
TF32 = nvptx.describe(float32_matmul_precision="high")
TOL = {"float16": (2e-2, 2e-2), "float32": (2e-5, 2e-5), "float64": (1e-12, 1e-12),
       "int64": (0.0, 0.0)}


def _matmul_graph(a_shape: tuple[int, ...], b_shape: tuple[int, ...], dtype: str,
                  transpose_a: bool = False) -> ir.Graph:
    g = ir.Graph("mm")
    a = g.add("input", shape=a_shape, dtype=dtype, name="a")
    b = g.add("input", shape=b_shape, dtype=dtype, name="b")
    if transpose_a:
        perm = (*range(len(a_shape) - 2), len(a_shape) - 1, len(a_shape) - 2)
        a = g.add("permute", [a], dims=perm)
    g.add_output(g.add("matmul", [a, b]))
    return g


def _feeds(g: ir.Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for n, name in feed_names(g).items():
        dt = g.dtype(n)
        if dt == "int64":
            out[name] = rng.integers(-5, 6, g.shape(n)).astype(dt)
        else:
            out[name] = rng.standard_normal(g.shape(n)).astype(dt)
    return out


def _simulate(g: ir.Graph, target=CUDA, max_grid: int | None = None
              ) -> tuple[list[np.ndarray], list[np.ndarray], nvptx.GeneratedPTX]:
    program = lower_program(g, target=target)
    code = nvptx.generate(program, target=target)
    feeds = _feeds(g)
    got = Simulator(code).run(program, feeds, max_grid)
    return got, [np.asarray(w) for w in ir.run(g, feeds)], code


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 5, 13), (65, 17, 33), (64, 16, 64)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_matmul_partial_tiles_in_simulator(m: int, k: int, n: int, dtype: str) -> None:
    got, want, code = _simulate(_matmul_graph((m, k), (k, n), dtype))
    assert_matches(got[0], want[0], f"{m}x{k}x{n} {dtype}", TOL[dtype])
    (row,) = code.launches()
    assert row["mapping"] == "gemm" and row["grid"][0] == -(-m // 64) * -(-n // 64)


@pytest.mark.slow
def test_large_tile_config_in_simulator() -> None:
    """128 x 128 with K = 64: the 128 x 128 block tile (8 x 8 per thread, BK = 8)."""
    g = _matmul_graph((128, 64), (64, 128), "float32")
    got, want, code = _simulate(g)
    assert_matches(got[0], want[0], "128x64x128", (1e-4, 1e-5))
    (row,) = code.launches()
    assert (row["grid"], row["block"], row["static_shared"]) == ((1, 1, 1), (256, 1, 1),
                                                                 2 * 8 * (132 + 132) * 4)


def test_transposed_and_broadcast_batched_matmul_in_simulator() -> None:
    # a^T read through its strides (permute fused into the view); a broadcast over the
    # leading batch dim, b over the second
    g = single_group(_matmul_graph((1, 3, 9, 6), (2, 1, 9, 11), "float32", transpose_a=True))
    got, want, code = _simulate(g)
    assert_matches(got[0], want[0], "batched a^T @ b", TOL["float32"])
    (row,) = code.launches()
    assert row["extent"] == 6  # 2 x 3 batch, one tile each


def _direct(a: TensorView, b: TensorView, out: TensorView, sizes: dict[str, int],
            accumulate: bool, dtype: str = "float32") -> KernelProgram:
    stmt = Contraction(a, b, out, accumulate, dtype)
    buffers = [Buffer(name, (size,), dtype, "param") for name, size in sizes.items()]
    return KernelProgram(buffers, [Kernel("k0_mm", list(sizes), [stmt])], outputs=["c"])


def _view(flat: np.ndarray, v: TensorView) -> np.ndarray:
    return np.lib.stride_tricks.as_strided(flat[v.offset:], v.shape,
                                           [s * flat.itemsize for s in v.strides])


CASES = {
    # both operands transposed, out transposed, offsets
    "transposed": (TensorView("a", 3, (9, 20), (1, 9)), TensorView("b", 1, (20, 7), (1, 20)),
                   TensorView("c", 2, (9, 7), (1, 9)), False),
    # a broadcast over the batch (stride 0), out rows padded
    "broadcast": (TensorView("a", 0, (3, 5, 4), (0, 4, 1)),
                  TensorView("b", 0, (3, 4, 6), (24, 6, 1)),
                  TensorView("c", 0, (3, 5, 6), (40, 8, 1)), True),
    # out stride 0 over the first batch dim: summed in one block (conv weight gradient)
    "summed": (TensorView("a", 0, (4, 2, 6, 10), (120, 60, 10, 1)),
               TensorView("b", 0, (4, 2, 10, 3), (60, 30, 3, 1)),
               TensorView("c", 0, (4, 2, 6, 3), (0, 18, 3, 1)), True),
    # float16 copied in 4-byte cp.async pairs along K (contiguous, padded rows), K odd: the
    # last pair reads 2 bytes and zero-fills 2
    "f16_pairs": (TensorView("a", 2, (5, 7), (8, 1)), TensorView("b", 4, (7, 9), (1, 10)),
                  TensorView("c", 0, (5, 9), (9, 1)), True),
}


def strided_case(case: str) -> tuple[KernelProgram, dict[str, np.ndarray], np.ndarray, str]:
    """CASES[case] as (program, feeds, the expected ``c`` from numpy in float64, dtype)."""
    a, b, out, accumulate = CASES[case]
    dtype = "float16" if case.startswith("f16") else "float32"
    sizes = {"a": 500, "b": 500, "c": 200}
    program = _direct(a, b, out, sizes, accumulate, dtype)
    rng = np.random.default_rng(1)
    feeds = {k: rng.standard_normal(v).astype(dtype) for k, v in sizes.items()}
    want = feeds["c"].astype(np.float64)
    prod = np.matmul(_view(feeds["a"], a).astype(np.float64),
                     _view(feeds["b"], b).astype(np.float64))
    if case == "summed":
        prod = prod.sum(axis=0, keepdims=True)
    target = _view(want, out)
    target[...] = (target + prod) if accumulate else prod  # (through the stride-0 view)
    return program, feeds, want.astype(dtype), dtype


@pytest.mark.parametrize("case", sorted(CASES))
def test_strided_views_and_accumulate_in_simulator(case: str) -> None:
    program, feeds, want, dtype = strided_case(case)
    cfg = config_for(program.kernels[0].body[0], CUDA)
    assert (cfg.copy_a, cfg.copy_b) == (("pair", "pair") if dtype == "float16"
                                        else ("async", "async"))
    (got,) = Simulator(nvptx.generate(program)).run(program, feeds)
    assert_matches(got, want, case, TOL[dtype])


@pytest.mark.parametrize("m,k,n", [(20, 40, 9), (33, 16, 70)])
def test_float16_on_tensor_cores_in_simulator(m: int, k: int, n: int) -> None:
    g = _matmul_graph((m, k), (k, n), "float16")
    got, want, code = _simulate(g)
    assert_matches(got[0], want[0], f"f16 {m}x{k}x{n}", TOL["float16"])
    assert "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in code.ptx
    assert code.launches()[0]["block"] == (128, 1, 1)  # 4 warps of 32 x 32


def test_tf32_only_under_high_precision() -> None:
    g = _matmul_graph((24, 48), (48, 17), "float32")
    exact, want, code = _simulate(g)
    assert "mma.sync" not in code.ptx and "cp.async.ca.shared.global" in code.ptx
    tf32, _, code32 = _simulate(g, target=TF32)
    for needle in ("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", "cvt.rna.tf32.f32"):
        assert needle in code32.ptx, needle
    err_exact = np.abs(exact[0] - want[0]).max()
    err_tf32 = np.abs(tf32[0] - want[0]).max()
    assert err_exact < 1e-4 < err_tf32 < 5e-2, (err_exact, err_tf32)  # 10-bit mantissas
    assert TF32.key() != CUDA.key()


def test_set_float32_matmul_precision_reaches_the_cuda_target() -> None:
    x, w = tenkai.randn(16, 24), tenkai.randn(24, 8)

    def f(x, w):
        return x @ w

    assert tenkai.get_float32_matmul_precision() == "highest"
    assert "mma.sync" not in tenkai.trace(f, x, w).lower(target="cuda").as_text("ptx")
    tenkai.set_float32_matmul_precision("high")
    try:
        lowered = tenkai.trace(f, x, w).lower(target="cuda")
        assert dict(lowered.target.options)["float32_matmul_precision"] == "high"
        assert "m16n8k8.row.col.f32.tf32" in lowered.as_text("ptx")
    finally:
        tenkai.set_float32_matmul_precision("highest")


def test_fewer_blocks_than_tiles_stride_in_simulator() -> None:
    g = _matmul_graph((2, 65, 8), (8, 65), "float32")
    got, want, code = _simulate(g, max_grid=3)
    assert_matches(got[0], want[0], "8 tiles on 3 blocks", TOL["float32"])
    assert code.launches()[0]["extent"] == 2 * 2 * 2


@pytest.mark.parametrize("case", ["long_k", "summed_batch"])
def test_split_k_in_simulator_is_the_same_bits_on_any_grid(case: str) -> None:
    """Few output tiles and a long K loop: the steps are cut into ranges (one block each),
    whose partials the last block to finish adds in range order; so the bits do not depend
    on which block finishes last (fewer blocks than ranges: they stride, in another order)."""
    if case == "long_k":
        g = _matmul_graph((9, 480), (480, 7), "float32")
    else:  # a weight gradient: the batch summed into one output, K the pixels
        g = ir.Graph("wgrad")
        a = g.add("input", shape=(6, 5, 300), dtype="float32", name="a")
        b = g.add("input", shape=(6, 300, 4), dtype="float32", name="b")
        g.add_output(g.add("sum", [g.add("matmul", [a, b])], axes=(0,), keepdim=False))
    got, want, code = _simulate(g)
    (row,) = [r for r in code.launches() if r["mapping"] == "gemm"]
    assert row["extent"] > 1 and any(n.endswith(".part") for n in row["scratch"]), row
    assert_matches(got[0], want[0], f"split K {case}", (1e-4, 1e-5))
    again, _, _ = _simulate(g, max_grid=3)
    np.testing.assert_array_equal(again[0], got[0])
    assert "atom.global.add" in code.ptx and "fence.acq_rel" in code.ptx


def test_splits_follow_tiles_and_steps() -> None:
    assert splits_for(1, 1568) == 63 and splits_for(1, 100) == 12  # 25 and 9 steps each
    assert splits_for(40, 10**4) == 1  # enough tiles to fill the GPU
    assert splits_for(1, 15) == 1  # too short to be worth a second pass
    for tiles, steps in [(1, 1568), (3, 392), (7, 100), (31, 17)]:
        n = splits_for(tiles, steps)
        per = -(-steps // n)
        assert (n - 1) * per < steps <= n * per  # no range is empty


def test_missing_wait_or_barrier_is_caught() -> None:
    g = _matmul_graph((10, 40), (40, 12), "float32")
    program = lower_program(g, target=CUDA)
    feeds = _feeds(g)
    want = np.asarray(ir.run(g, feeds)[0])
    code = nvptx.generate(program)
    wait = 'call void @"llvm.nvvm.cp.async.wait.group"(i32 1)\n'
    assert wait in code.ir_text
    code.ir_text = code.ir_text.replace(wait, "")
    got = Simulator(code).run(program, feeds)[0]
    assert not np.allclose(got, want, atol=1e-3)  # the tiles were never complete
    code = nvptx.generate(program)
    barrier = 'call void @"llvm.nvvm.barrier0"()\n'
    code.ir_text = code.ir_text.replace(barrier, "", 1)  # before the compute
    with pytest.raises(SimulationError, match="data race on shared memory"):
        Simulator(code).run(program, feeds)


def test_configs_follow_dtype_and_size() -> None:
    def cfg(m: int, n: int, dtype: str, target=CUDA):
        v = TensorView("x", 0, (m, n), (n, 1))
        return config_for(Contraction(v, TensorView("x", 0, (n, n), (n, 1)),
                                      TensorView("x", 0, (m, n), (n, 1)), False, dtype),
                          target)
    assert (cfg(256, 256, "float32").bm, cfg(256, 256, "float32").tm) == (128, 8)
    assert (cfg(100, 256, "float32").bm, cfg(100, 256, "float32").async_copy) == (64, True)
    f16 = cfg(64, 64, "float16")  # contiguous along N: pairs of halves in [kk][n]
    assert (f16.compute, f16.copy_a, f16.layout_a, f16.copy_b, f16.layout_b) == \
        ("f16", "pair", "mn", "pair", "k")
    assert not cfg(63, 63, "float16").async_copy  # odd strides: loads and stores
    assert cfg(64, 64, "float32", TF32).compute == "tf32"
    assert cfg(64, 64, "float64", TF32).compute == "fma"
    with pytest.raises(NotImplementedError, match="contractions on bool"):
        cfg(4, 4, "bool")


def test_broadcast_output_without_accumulate_raises() -> None:
    v = TensorView("a", 0, (2, 3, 3), (9, 3, 1))
    out = TensorView("c", 0, (2, 3, 3), (0, 3, 1))
    program = _direct(v, v, out, {"a": 18, "c": 9}, False)
    with pytest.raises(NotImplementedError, match="broadcast over a batch dim"):
        nvptx.generate(program)


# ---------------------------------------------------------------- whole programs


@pytest.mark.slow
@needs_ptxas
def test_gemm_kernels_assemble_without_spills() -> None:
    cases = [((256, 64), (64, 256), "float32"), ((65, 17), (17, 33), "float64"),
             ((65, 40), (40, 33), "float16"), ((5, 9, 7), (7, 3), "int64"),
             ((1, 1), (1, 1), "float32"), ((3, 33, 21), (3, 21, 70), "float32")]
    for target in (CUDA, TF32, nvptx.describe("sm_90")):
        programs = [lower_program(_matmul_graph(a, b, dt), prefix=f"g{k}_", target=target)
                    for k, (a, b, dt) in enumerate(cases)]
        code = nvptx.generate(programs, target=target)
        check_launch_table(code)
        assert [r["mapping"] for r in code.launches()] == ["gemm"] * len(cases)
        for needle in ("cp.async.ca.shared.global", "cp.async.wait_group", "bar.sync",
                       "mma.sync.aligned.m16n8k16"):
            assert needle in code.ptx, needle
        for arch in ARCHES if target.arch == "sm_80" else (target.arch,):
            report = ptxas(code.ptx, arch)
            assert report.count("Compiling entry function") == len(cases)


def _mlp_step(loss: str) -> tenkai.compiler.staged.TracedGraph:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tenkai.randn(16, 20)
    y = tenkai.randint(0, 5, (16,)) if loss == "cross_entropy" else tenkai.randn(16, 5)

    def step(x, y):
        opt.zero_grad()
        out = model(x)
        value = F.cross_entropy(out, y) if loss == "cross_entropy" else F.mse_loss(out, y)
        value.backward()
        opt.step()
        return value

    step(x, y)  # the optimizer's state exists before the trace
    return tenkai.trace(step, x, y)


@needs_ptxas
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_mlp_training_step_generates_and_assembles(loss: str) -> None:
    lowered = _mlp_step(loss).lower(target="cuda")
    ptx = lowered.as_text("ptx")
    launch = lowered.as_text("launch")
    assert launch.count(": gemm ") == 5, launch  # 2 forward, 2 weight gradients, 1 input
    for arch in ARCHES:
        ptxas(ptx, arch)


@pytest.mark.slow
def test_mlp_training_step_in_simulator() -> None:
    lowered = _mlp_step("mse").lower(target="cuda")
    g, program = lowered.fused, lowered.program
    feeds = _feeds(g, seed=3)
    got = Simulator(nvptx.generate(program, target=lowered.target)).run(program, feeds)
    want = ir.run(g, feeds)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_matches(a, np.asarray(b), f"mlp step output {k}", (1e-4, 1e-5))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["linear", "conv"])
@pytest.mark.parametrize("fused", [False, True])
def test_fused_chains_with_contractions_in_simulator(name: str, fused: bool) -> None:
    """test_llvm_ops.py's Linear and conv blocks (conv forward and weight gradient: im2col
    + the tiled GEMM, the weight gradient summing images inside each block)."""
    g = single_group(FUSED[name]()) if fused else FUSED[name]()
    feeds = _feeds_for(g)
    program = lower_program(g, target=CUDA)
    code = nvptx.generate(program)
    assert any(row["mapping"] == "gemm" for row in code.launches())
    got = Simulator(code).run(program, feeds)
    for k, (a, b) in enumerate(zip(got, ir.run(g, feeds), strict=True)):
        assert_matches(a, np.asarray(b), f"{name} fused={fused} output {k}", (1e-4, 1e-5))


GROUPED_CONV = {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}


def _conv_graph(x_shape: tuple[int, ...] = (2, 4, 5, 6), w_shape: tuple[int, ...] = (6, 2, 3, 2),
                **attrs: object) -> ir.Graph:
    """conv2d and both its gradients; by default with groups, strides, padding and
    dilation (:data:`GROUPED_CONV`)."""
    attrs = attrs or GROUPED_CONV
    g = ir.Graph("conv")
    x = g.add("input", shape=x_shape, dtype="float32", name="x")
    w = g.add("param", shape=w_shape, dtype="float32", name="w")
    y = g.add("conv2d", [x, w], **attrs)
    g.add_output(y)
    gy = g.add("input", shape=g.shape(y), dtype="float32", name="gy")
    g.add_output(g.add("conv2d_grad_weight", [x, gy], weight_shape=w_shape, **attrs))
    g.add_output(g.add("conv2d_grad_input", [gy, w], input_shape=x_shape, **attrs))
    return g


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["implicit_gemm", "im2col"])
def test_convolution_and_gradients_in_simulator(strategy: str) -> None:
    """implicit_gemm (the cuda target's): forward and weight gradient read x through a
    window view (no column matrix); im2col: columns in scratch, then the tiled GEMM."""
    target = dataclasses.replace(CUDA, convolution=strategy)
    g = _conv_graph()
    program = lower_program(g, target=target)
    text = program.as_text()
    assert text.count("@ window(x") == (2 if strategy == "implicit_gemm" else 0), text
    assert ("_cols" in text) == (strategy == "im2col")
    code = nvptx.generate(program, target=target)
    assert [r["mapping"] for r in code.launches()].count("gemm") == 3
    feeds = _feeds(g, seed=4)
    got = Simulator(code).run(program, feeds)
    for k, (a, b) in enumerate(zip(got, ir.run(g, feeds), strict=True)):
        assert_matches(a, np.asarray(b), f"conv {strategy} output {k}", (1e-4, 1e-5))


@needs_ptxas
def test_implicit_gemm_convolution_assembles() -> None:
    code = nvptx.generate(lower_program(_conv_graph(), target=CUDA))
    check_launch_table(code)
    for arch in ARCHES:
        ptxas(code.ptx, arch)


def test_contraction_launch_table_row() -> None:
    code = nvptx.generate(lower_program(_matmul_graph((100, 30), (30, 200), "float32"),
                                        target=CUDA))
    (row,) = code.launches()
    assert (row["mapping"], row["extent"], row["grid"], row["block"]) == \
        ("gemm", 2 * 4, (8, 1, 1), (256, 1, 1))
    assert row["static_shared"] == 2 * 16 * (68 + 68) * 4 and row["shared"] == 0
    assert re.search(r"k\d+_matmul: gemm extent=8 grid=\(8,1,1\) block=\(256,1,1\)",
                     code.as_text("launch"))


@pytest.mark.slow
def test_cnn_training_on_cuda_sim_follows_eager() -> None:
    """tenkai.compile(target="cuda-sim"): a CNN (convs with padding and groups as implicit
    GEMMs, their input gradients by col2im, a Linear) trained 3 steps follows eager."""
    def setup():
        tenkai.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 4, 3, padding=1, groups=2), nn.ReLU(), nn.Flatten(),
                              nn.Linear(4 * 4 * 4, 3))
        opt = tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return model, step

    x, y = tenkai.randn(3, 2, 8, 8), tenkai.tensor([0, 2, 1])
    runs = []
    for compiled in (False, True):
        model, step = setup()
        fn = tenkai.compile(step, target="cuda-sim") if compiled else step
        losses = [fn(x, y).item() for _ in range(3)]
        runs.append((losses, [p.detach().numpy().copy() for p in model.parameters()]))
    (eager, p_eager), (comp, p_comp) = runs
    np.testing.assert_allclose(comp, eager, rtol=1e-5)
    for a, b in zip(p_eager, p_comp, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
