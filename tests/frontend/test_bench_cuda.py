"""``tenkai bench --device cuda`` (frontend/_cli_bench.py): the compiled mode runs code generated
for the cuda target when a GPU, its driver and tenkai's CUDA runtime are there; otherwise the
command exits 2 naming what is missing."""

from __future__ import annotations

import pytest

import tenkai
from tenkai import bench, cli
from tenkai.codegen import target as targets


def test_no_gpu_names_what_is_missing(monkeypatch, capsys) -> None:
    monkeypatch.setattr(tenkai.cuda, "is_available", lambda: False)
    assert cli.main(["bench", "one_neuron", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tenkai bench: error: --device cuda: CUDA is not available: ")
    assert ("no NVIDIA driver" in err) or ("reports no usable GPU" in err)
    assert "use --device cpu" in err


def test_no_cuda_runtime_is_named(monkeypatch, capsys) -> None:
    monkeypatch.setattr(tenkai.cuda, "is_available", lambda: True)
    monkeypatch.setattr(targets, "runnable", lambda: ["cpu"])
    assert cli.main(["bench", "one_neuron", "--device", "cuda"]) == 2
    assert "a GPU was found, but this build of tenkai has no runtime for the cuda target" in \
        capsys.readouterr().err


def test_interp_backend_cannot_run_on_cuda(capsys) -> None:
    assert cli.main(["bench", "one_neuron", "--device", "cuda", "--backend", "interp"]) == 2
    assert "--backend interp runs no generated code" in capsys.readouterr().err


def test_device_cuda_compiles_for_the_cuda_target(monkeypatch, capsys) -> None:
    monkeypatch.setattr(tenkai.cuda, "is_available", lambda: True)
    monkeypatch.setattr(targets, "runnable", lambda: ["cpu", "cuda"])
    plans = []

    def run_all(workloads, modes, plan, progress=None):
        plans.append((workloads, modes, plan))
        return [], []

    monkeypatch.setattr(bench, "run_all", run_all)
    assert cli.main(["bench", "one_neuron", "--device", "cuda", "--mode", "compiled",
                     "--quiet"]) == 0
    [(workloads, modes, plan)] = plans
    assert workloads == ["one_neuron"] and modes == ["compiled"] and plan.backend == "cuda"
    assert cli.main(["bench", "one_neuron", "--mode", "compiled", "--quiet"]) == 0
    assert plans[-1][2].backend == "tenkai"  # --device cpu: unchanged


@pytest.mark.gpu
@pytest.mark.skipif(not (tenkai.cuda.is_available() and "cuda" in targets.runnable()),
                    reason="needs an NVIDIA GPU and tenkai's CUDA runtime")
def test_bench_on_a_gpu(capsys) -> None:
    code = cli.main(["bench", "one_neuron", "--device", "cuda", "--mode", "eager", "--mode",
                     "compiled", "--steps", "3", "--repeats", "1", "--trajectory", "3",
                     "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "compiled" in out and "FAIL" not in out
