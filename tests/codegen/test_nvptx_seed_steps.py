"""The whole training steps of the seed models (``tenkai bench``'s workloads) for the cuda target.

Each workload's step is traced from a fresh model and optimizer (``tenkai.trace`` does the
first, state-creating step eagerly, then traces the steady step), lowered for the cuda target
generated at sm_80 and at sm_90, and every kernel of the step assembled with ``ptxas -v`` for
the architecture it was generated for: no register spills, static shared memory within the
limit, one ``.entry`` per launch-table row (test_nvptx.py's checks). That the same kernels
compute the right values is checked without a GPU by the simulator (test_nvptx_gemm.py trains
an MLP and a CNN on ``cuda-sim``; tests/frontend/test_compile_cuda_sim.py the seed nets).
"""

from __future__ import annotations

import collections

import pytest
from test_nvptx import check_launch_table, needs_ptxas, ptxas

import tenkai
from tenkai import bench
from tenkai.codegen import nvptx

SEED_STEPS = ("two_layer", "mlp", "mlp_large", "cnn")
# kinds of launch each step must contain: the matmuls/convolutions as tiled GEMMs (their bias,
# activation and optimizer-update nests fused into them: codegen/nvptx/epilogue.py), the loss's
# reductions as block reductions, the rest over the grid
MAPPINGS = {"two_layer": {"gemm", "block"}, "mlp": {"gemm", "grid", "block"},
            "mlp_large": {"gemm", "grid", "block"}, "cnn": {"gemm", "grid", "block"}}


def _traced(name: str) -> tenkai.compiler.staged.TracedGraph:
    step, args = bench.WORKLOADS[name](tenkai)
    return tenkai.trace(step, *args)  # a fresh model and optimizer: no step run before


@pytest.mark.slow
@needs_ptxas
@pytest.mark.parametrize("name", SEED_STEPS)
def test_seed_training_step_assembles_at_sm_80_and_sm_90(name: str) -> None:
    traced = _traced(name)
    for arch in ("sm_80", "sm_90"):
        lowered = traced.lower(target=nvptx.describe(arch))
        code = lowered.generate()
        assert f".target {arch}" in code.ptx
        check_launch_table(code)
        mappings = collections.Counter(row["mapping"] for row in code.launches())
        assert MAPPINGS[name] <= set(mappings), (name, arch, mappings)
        assert " epilogue" in code.as_text("launch"), name
        report = ptxas(code.ptx, arch)
        assert report.count("Compiling entry function") == len(code.launches()), name


@pytest.mark.slow
@needs_ptxas
def test_mnist_mlp_step_with_adam_and_tf32_assembles() -> None:
    """The MNIST-shaped MLP with Adam (a fresh optimizer), its matmuls on TF32 tensor cores
    under ``set_float32_matmul_precision("high")``, at both architectures."""
    step, args = bench._mlp(tenkai, (784, 128, 64, 10), 64, adam=True)
    traced = tenkai.trace(step, *args)
    old = tenkai.get_float32_matmul_precision()
    tenkai.set_float32_matmul_precision("high")
    try:
        for arch in ("sm_80", "sm_90"):
            code = traced.lower(target=nvptx.describe(arch)).generate()
            assert "mma.sync.aligned.m16n8k8" in code.ptx and ".tf32" in code.ptx
            check_launch_table(code)
            ptxas(code.ptx, arch)
    finally:
        tenkai.set_float32_matmul_precision(old)
