"""The NVPTX target's kernels on a real GPU (gpu_device.py: the launch table run through the CUDA
driver) against the interpreter: the simulator's differential tests (test_nvptx_sim.py,
test_nvptx_gemm.py), unchanged, on the hardware, and at sizes the simulator cannot afford.

Covered: every registry sample forward (all dtypes, batched one PTX module per op kind as
test_nvptx.py assembles them), every differentiable op's fused forward+backward graph, the
fused chains of test_llvm_ops.py (the large one too), full reductions over 1 to 10^7
elements, rows and columns that are not multiples of the block, tiled GEMMs with partial
tiles in float32/float64/int64, float16 on tensor cores, TF32 under
``float32_matmul_precision="high"``, strided/accumulating contractions, convolutions and their
gradients (implicit GEMM and im2col), a failed index check setting the status word, and the
counter-based RNG bit-identical to the CPU's. Marked ``gpu``: skipped without a CUDA driver
and device (CI), run by examples/gpu_check.sh where there is one.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from cpu_harness import assert_matches, random_feeds, single_group
from gpu_device import HAS_GPU, DeviceRunner
from test_llvm_ops import CASES, EXACT_RANDOM, FUSED, PARAMS, _build, _feeds_for
from test_nvptx_gemm import CASES as VIEW_CASES
from test_nvptx_gemm import TF32, _conv_graph, _matmul_graph, strided_case
from test_nvptx_gemm import TOL as GEMM_TOL
from test_nvptx_gemm import _feeds as gemm_feeds
from test_nvptx_sim import checked_gather, full_reduction

import tenkai.ir as ir
from tenkai.codegen import nvptx
from tenkai.codegen.lower.program import lower_program
from tenkai.ir import REGISTRY, dtypes

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not HAS_GPU,
                                                  reason="needs a CUDA driver and an NVIDIA GPU")]

CUDA = nvptx.describe()
TOL = {"float16": (2e-3, 2e-3), "float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}


def _run(g: ir.Graph, feeds: dict[str, np.ndarray], target=CUDA
         ) -> tuple[list[np.ndarray], list[np.ndarray], nvptx.GeneratedPTX]:
    program = lower_program(g, target=target)
    code = nvptx.generate(program, target=target)
    got = DeviceRunner(code).run(program, feeds)
    return got, [np.asarray(w) for w in ir.run(g, feeds)], code


def _check(g: ir.Graph, feeds: dict[str, np.ndarray], label: str,
           tol: tuple[float, float] | None = None) -> None:
    got, want, _ = _run(g, feeds)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        dt = dtypes.from_numpy(b.dtype)
        assert_matches(a, b, f"{label} output {k} (GPU)", tol or TOL.get(dt))


# ------------------------------------------------------------------ every registry sample
def _kind(p: object) -> str:
    return REGISTRY[p.values[0]].kind  # type: ignore[attr-defined]


@functools.cache
def _forward_batch(kind: str) -> tuple[DeviceRunner, dict[tuple, tuple]]:
    """The registry samples of one op kind lowered for cuda, generated as one PTX module and
    loaded once: key -> (program, graph, feeds)."""
    entries = {}
    for j, p in enumerate(PARAMS):
        if _kind(p) == kind:
            g, feeds = _build(*p.values)
            entries[tuple(p.values)] = (lower_program(g, prefix=f"f{j}_", target=CUDA), g, feeds)
    code = nvptx.generate([e[0] for e in entries.values()])
    return DeviceRunner(code), entries


def _grouped(params: list) -> list:
    """``params`` with an xdist group per op kind (a worker builds a kind's module once)."""
    return [pytest.param(*p.values, id=p.id, marks=pytest.mark.xdist_group(_kind(p)))
            for p in params]


@pytest.mark.parametrize("op,k,dtype", _grouped(PARAMS))
def test_registry_op_on_the_gpu(op: str, k: int, dtype: str) -> None:
    runner, entries = _forward_batch(REGISTRY[op].kind)
    program, g, feeds = entries[(op, k, dtype)]
    try:
        want = ir.run(g, feeds)[0]
    except Exception as err:  # the reference rejects this sample: compiled code need not run
        pytest.skip(f"reference raises {type(err).__name__}: {err}")
    got = runner.run(program, feeds)[0]
    out_dtype = g.dtype(g.outputs[0])
    tol = (0.0, 0.0) if (op, out_dtype) in EXACT_RANDOM else CASES[op].tol.get(out_dtype)
    assert_matches(got, np.asarray(want), f"{op} sample {k} {dtype} (GPU)", tol)


def _grad_params() -> list:
    from test_compiled_graphs import GRAD_PARAMS
    return [p for p in GRAD_PARAMS if p.values[2] == "float32"]


@functools.cache
def _backward_batch(kind: str) -> tuple[DeviceRunner, dict[tuple, tuple]]:
    """The float32 forward+backward graphs of one kind, through the passes as a compile
    does (fused, GEMM epilogues), one module: key -> (program, graph, feeds)."""
    from test_compiled_graphs import _build_grad

    from tenkai.ir.passes import run_pipeline

    entries = {}
    for j, p in enumerate(_grad_params()):
        if _kind(p) == kind:
            built = _build_grad(*p.values)
            g = run_pipeline(built.graph)
            program = lower_program(g, prefix=f"b{j}_", target=CUDA, reuse_arena=False)
            entries[tuple(p.values)] = (program, g, built.feeds)
    code = nvptx.generate([e[0] for e in entries.values()])
    return DeviceRunner(code), entries


@pytest.mark.parametrize("op,k,dtype", _grouped(_grad_params()))
def test_registry_op_backward_on_the_gpu(op: str, k: int, dtype: str) -> None:
    from test_compiled_graphs import dtype_tol

    runner, entries = _backward_batch(REGISTRY[op].kind)
    program, g, feeds = entries[(op, k, dtype)]
    try:
        want = ir.run(g, feeds)
    except Exception as err:
        pytest.skip(f"reference raises {type(err).__name__}: {err}")
    got = runner.run(program, feeds)
    for j, (a, b) in enumerate(zip(got, want, strict=True)):
        b = np.asarray(b)
        tol = CASES[op].tol.get(str(b.dtype)) or dtype_tol(b)
        assert_matches(a, b, f"{op} sample {k} forward+backward output {j} (GPU)", tol)


# ------------------------------------------------------------------ fused chains, reductions
@pytest.mark.parametrize("name", sorted(FUSED))
@pytest.mark.parametrize("fused", [False, True])
def test_fused_chain_on_the_gpu(name: str, fused: bool) -> None:
    g = single_group(FUSED[name]()) if fused else FUSED[name]()
    tol = {"linear": (1e-4, 1e-5), "conv": (1e-4, 1e-5), "large": (1e-4, 2e-5)}.get(name)
    _check(g, _feeds_for(g), f"{name} fused={fused}", tol)


@pytest.mark.parametrize("n", [1, 1000, 10**6, 10**7])
@pytest.mark.parametrize("op,dtype", [("sum", "float32"), ("max", "float64"),
                                      ("prod", "int64"), ("var", "float64"),
                                      ("min", "int64"), ("max", "float16")])
def test_full_reduction_on_the_gpu(n: int, op: str, dtype: str) -> None:
    g, feeds, tol = full_reduction(n, op, dtype)
    _check(g, feeds, f"{op} over {n}", tol)


def test_rows_and_columns_not_multiples_of_the_block() -> None:
    g = ir.Graph("rows")
    x = g.add("input", shape=(13, 1001), dtype="float32", name="x")
    y = g.add("input", shape=(37, 45), dtype="float32", name="y")
    z = g.add("input", shape=(3000, 517), dtype="float32", name="z")
    g.add_output(g.add("sum", [g.add("exp", [x])], axes=(1,), keepdim=True))
    g.add_output(g.add("min", [y], axes=(0,), keepdim=False))
    g.add_output(g.add("mean", [x], axes=(0, 1), keepdim=False))
    g.add_output(g.add("max", [z], axes=(1,), keepdim=False))
    g.add_output(g.add("sum", [z], axes=(0,), keepdim=False))
    _check(g, random_feeds(g, seed=3), "rows/columns", (1e-4, 1e-4))  # 3000-term sums


def test_softmax_rows_on_the_gpu() -> None:
    g = ir.Graph("softmax")
    x = g.add("input", shape=(4097, 300), dtype="float32", name="x")
    m = g.add("max", [x], axes=(1,), keepdim=True)
    e = g.add("exp", [g.add("sub", [x, m])])
    g.add_output(g.add("div", [e, g.add("sum", [e], axes=(1,), keepdim=True)]))
    _check(single_group(g), random_feeds(g, seed=5), "softmax 4097 rows")


# ------------------------------------------------------------------ contractions
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 5, 13), (65, 17, 33), (64, 16, 64),
                                   (128, 64, 128), (300, 257, 190), (1024, 1024, 1024)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_matmul_on_the_gpu(m: int, k: int, n: int, dtype: str) -> None:
    g = _matmul_graph((m, k), (k, n), dtype)
    got, want, _ = _run(g, gemm_feeds(g))
    tol = (1e-4, 1e-4) if dtype == "float32" and k >= 256 else GEMM_TOL[dtype]
    assert_matches(got[0], want[0], f"{m}x{k}x{n} {dtype} (GPU)", tol)


def test_batched_transposed_broadcast_matmul_on_the_gpu() -> None:
    g = single_group(_matmul_graph((1, 3, 90, 60), (2, 1, 90, 110), "float32",
                                   transpose_a=True))
    got, want, _ = _run(g, gemm_feeds(g))
    assert_matches(got[0], want[0], "batched a^T @ b (GPU)", (1e-4, 1e-5))


@pytest.mark.parametrize("case", sorted(VIEW_CASES))
def test_strided_views_and_accumulate_on_the_gpu(case: str) -> None:
    program, feeds, want, dtype = strided_case(case)
    (got,) = DeviceRunner(nvptx.generate(program)).run(program, feeds)
    assert_matches(got, want, f"{case} (GPU)", GEMM_TOL[dtype])


@pytest.mark.parametrize("m,k,n", [(20, 40, 9), (33, 16, 70), (512, 256, 384)])
def test_float16_on_tensor_cores_on_the_gpu(m: int, k: int, n: int) -> None:
    g = _matmul_graph((m, k), (k, n), "float16")
    got, want, code = _run(g, gemm_feeds(g))
    assert "mma.sync" in code.ptx
    assert_matches(got[0], want[0], f"f16 {m}x{k}x{n} (GPU)", (2e-2, 5e-2))


def test_tf32_on_the_gpu() -> None:
    g = _matmul_graph((240, 480), (480, 170), "float32")
    feeds = gemm_feeds(g)
    exact, want, _ = _run(g, feeds)
    tf32, _, code = _run(g, feeds, target=TF32)
    assert "tf32" in code.ptx
    err_exact = np.abs(exact[0] - want[0]).max()
    err_tf32 = np.abs(tf32[0] - want[0]).max()
    assert err_exact < 1e-3 < err_tf32 < 0.5, (err_exact, err_tf32)


@pytest.mark.parametrize("strategy", ["implicit_gemm", "im2col"])
def test_convolution_and_gradients_on_the_gpu(strategy: str) -> None:
    target = dataclasses.replace(CUDA, convolution=strategy)
    g = _conv_graph()
    feeds = gemm_feeds(g, seed=4)
    got, want, _ = _run(g, feeds, target=target)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_matches(a, b, f"conv {strategy} output {k} (GPU)", (1e-4, 1e-5))


def test_split_k_on_the_gpu_is_the_same_bits_every_run() -> None:
    """A weight gradient's shape (the batch summed into one small output, K the pixels): the
    K loop split over blocks, combined in range order by whichever block finishes last."""
    g = ir.Graph("wgrad")
    a = g.add("input", shape=(32, 16, 784), dtype="float32", name="a")
    b = g.add("input", shape=(32, 784, 9), dtype="float32", name="b")
    g.add_output(g.add("sum", [g.add("matmul", [a, b])], axes=(0,), keepdim=False))
    feeds = gemm_feeds(g)
    program = lower_program(g, target=CUDA)
    runner = DeviceRunner(nvptx.generate(program, target=CUDA))
    first = runner.run(program, feeds)[0]
    for _ in range(3):
        np.testing.assert_array_equal(runner.run(program, feeds)[0], first)
    assert_matches(first, np.asarray(ir.run(g, feeds)[0]), "split K (GPU)", (1e-4, 1e-4))


@pytest.mark.parametrize("strategy", ["implicit_gemm", "im2col"])
def test_cnn_sized_convolution_and_gradients_on_the_gpu(strategy: str) -> None:
    """The bench CNN's second convolution (32 images, 16 -> 32 channels, 14 x 14, padding 1):
    forward, the weight gradient (split K) and the input gradient (col2im gathering)."""
    g = _conv_graph((32, 16, 14, 14), (32, 16, 3, 3), stride=(1, 1), padding=(1, 1),
                    dilation=(1, 1), groups=1)
    target = dataclasses.replace(CUDA, convolution=strategy)
    got, want, _ = _run(g, gemm_feeds(g, seed=7), target=target)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_matches(a, b, f"CNN conv {strategy} output {k} (GPU)", (1e-4, 1e-4))


# ------------------------------------------------------------------ checks, RNG
def test_failed_index_check_sets_the_status_word_on_the_gpu() -> None:
    program = lower_program(checked_gather(), target=CUDA)
    runner = DeviceRunner(nvptx.generate(program))
    feeds = {"x": np.ones((50, 40), np.float32), "idx": np.zeros((50, 3), np.int64)}
    runner.run(program, feeds)
    assert runner.status is not None and runner.status.tolist() == [0, 0]
    feeds["idx"][[7, 30, 44], [0, 2, 1]] = [40, 41, -41]
    runner.run(program, feeds)
    code, value = runner.status.tolist()
    assert code in program.errors and value in (40, 41, -41)

