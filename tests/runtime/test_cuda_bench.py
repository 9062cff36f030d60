"""``tenkai bench --device cuda`` (frontend/bench.py): the workload's model and batch move to the
GPU in every framework that has one (tenkai eager, tenkai compiled for the cuda target, PyTorch
CUDA), each step is timed to its ``synchronize``, and the loss trajectories are compared across
the modes. Run on the fake driver (tests/runtime/cuda_fake.py: kernels run by the GPU
simulator); PyTorch here has no CUDA device, so its run is skipped with that reason. On a real
GPU, ``examples/gpu_check.sh`` runs the same command with PyTorch CUDA side by side."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cuda_fake import FakeDriver, install

import tenkai
from tenkai import bench, cli


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake driver in place of libcuda, and the cuda codegen's PTX recorded for it."""
    yield from install(monkeypatch)


@pytest.mark.parametrize("name", ["two_layer", "one_neuron"])
def test_to_device_moves_modules_and_optimizer_params_in_place(fake_cuda: FakeDriver,
                                                               name: str) -> None:
    step, args = bench.WORKLOADS[name](tenkai)
    params = [p for g in bench.optimizer_of(step).param_groups for p in g["params"]]
    before = [p.detach().numpy().copy() for p in params]
    moved = bench.to_device(tenkai, step, args, "cuda")
    after = [p for g in bench.optimizer_of(step).param_groups for p in g["params"]]
    assert all(a is b for a, b in zip(params, after, strict=True))  # the optimizer's tensors
    assert all(p.device.type == "cuda" and p.is_leaf and p.requires_grad for p in params)
    assert all(a.device.type == "cuda" for a in moved)
    assert all(x.device.type == "cpu" for x in args)  # the CPU batch itself is not changed
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.cpu().detach().numpy(), b)


def test_a_framework_without_cuda_is_skipped_with_the_reason(monkeypatch) -> None:
    monkeypatch.setattr(tenkai.cuda, "is_available", lambda: False)
    step, args = bench.WORKLOADS["one_neuron"](tenkai)
    with pytest.raises(bench.Unavailable, match="tenkai has no CUDA device here"):
        bench.to_device(tenkai, step, args, "cuda")


@pytest.mark.slow  # (the eager kernels of the first steps and the compiled step, simulated)
def test_bench_on_the_gpu_follows_the_cpu(fake_cuda: FakeDriver, capsys) -> None:
    code = cli.main(["bench", "one_neuron", "--device", "cuda", "--steps", "2", "--repeats",
                     "1", "--trajectory", "4", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "ok   one_neuron eager: 4 losses match tenkai compiled" in out, out
    assert "skipped one_neuron torch: torch has no CUDA device here" in out, out
    assert fake_cuda.calls["launch"] > 0  # the steps ran as device kernels
    plan = bench.Plan(2, 1, 4, device="cuda")
    gpu = bench.run_all(["one_neuron"], ["compiled"], plan)[0]
    cpu = bench.run_all(["one_neuron"], ["compiled"], bench.Plan(2, 1, 4))[0]
    np.testing.assert_allclose(gpu[0].losses, cpu[0].losses, rtol=1e-5)


def _example(name: str) -> Any:
    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # (a 40^3 GEMM's threads simulated six times)
def test_the_gemm_benchmark_checks_its_product(fake_cuda: FakeDriver, capsys) -> None:
    """examples/bench_gemm_cuda.py (the 4096^3 GEMM of examples/gpu_check.sh), at a size the
    simulator runs: partial tiles, the product checked against float64."""
    bench_gemm = _example("bench_gemm_cuda")
    assert bench_gemm.main(["--size", "40", "--repeats", "1", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "GEMM float32 40x40x40 on " in out and "tenkai " in out, out
    assert fake_cuda.calls["launch"] >= 1 + 2 + 3  # the first product, warm-up, timed
    seconds, c = bench_gemm.tenkai_gemm(np.eye(3, dtype=np.float32),
                                        np.arange(9, dtype=np.float32).reshape(3, 3), 1)
    np.testing.assert_array_equal(c, np.arange(9).reshape(3, 3))
    assert seconds > 0


def test_the_gemm_benchmark_without_a_gpu_fails_clearly(monkeypatch, capsys) -> None:
    monkeypatch.setattr(tenkai.cuda, "is_available", lambda: False)
    assert _example("bench_gemm_cuda").main(["--size", "8"]) == 1
    assert "FAIL: no CUDA GPU" in capsys.readouterr().err
