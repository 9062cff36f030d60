"""``TENKAI_DUMP_DIR`` and ``tenkai dump`` for the cuda target (frontend/compiler/debug.py,
staged.py, _cli_stages.py): the stage files, the module's PTX, one PTX file per kernel (each
assembling on its own) and the launch tables; no GPU and no CUDA runtime needed. The CPU's
dumps keep their names."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from pathlib import Path

import pytest

import tenkai
from tenkai import cli
from tenkai.codegen.nvptx.toolkit import find_ptxas

STAGE_FILES = ["00_traced.txt", "01_backward.txt", "02_simplified.txt", "03_fused.txt",
               "04_recomputed.txt", "05_memory_plan.txt", "06_kernels.txt", "07_llvm.ll",
               "08_llvm_opt.ll"]
ENTRY = re.compile(r"^\.visible \.entry (\w+)\(", re.M)


def step(x: tenkai.Tensor) -> tenkai.Tensor:
    y = tenkai.tanh(x * 2.0) + x.exp()
    return (y - y.max(1, keepdim=True).values).sum(1)


def the_dir(root: Path) -> Path:
    [where] = list(root.iterdir())
    return where


def check_gpu_files(where: Path, generated: object) -> None:
    """The files of a cuda dump against the generated code they come from."""
    files = sorted(p.name for p in where.iterdir())
    launches = generated.launches()  # type: ignore[attr-defined]
    kernels = list(dict.fromkeys(la["kernel"] for la in launches))
    assert len(kernels) >= 2  # the max reduction, then the rest
    expected = STAGE_FILES + ["09_asm.ptx", *[f"10_{k}.ptx" for k in kernels],
                              "11_launches.json", "11_launches.txt"]
    assert files == sorted(expected)
    assert (where / "09_asm.ptx").read_text() == generated.as_text("ptx")  # type: ignore
    assert (where / "11_launches.txt").read_text() == generated.as_text("launch")  # type: ignore
    table = json.loads((where / "11_launches.json").read_text())
    assert table["target"]["target"] == "cuda"
    [(entry, rows)] = table["entries"].items()
    assert rows["launches"] == json.loads(json.dumps(launches))
    assert [b["name"] for b in rows["buffers"]] == \
        [b["name"] for b in generated.buffer_table["buffers"]]  # type: ignore[attr-defined]
    for row in rows["launches"]:
        assert len(row["grid"]) == 3 and len(row["block"]) == 3 and "static_shared" in row
    for k in kernels:
        ptx = (where / f"10_{k}.ptx").read_text()
        assert ENTRY.findall(ptx) == [la["name"] for la in launches if la["kernel"] == k]
        assert ptx.startswith("//") and ".target sm_80" in ptx
        if find_ptxas():
            run = subprocess.run([find_ptxas(), "-arch=sm_80", str(where / f"10_{k}.ptx"),
                                  "-o", "/dev/null"], capture_output=True, text=True,
                                 timeout=120)
            assert run.returncode == 0, run.stderr


def test_staged_lowering_for_cuda_dumps_ptx_per_kernel_and_launches(tmp_path, monkeypatch):
    monkeypatch.setenv("TENKAI_DUMP_DIR", str(tmp_path / "dump"))
    lowered = tenkai.trace(step, tenkai.randn(16, 300)).lower(target="cuda")
    where = the_dir(tmp_path / "dump")
    assert re.fullmatch(r"step-[0-9a-f]{12}-cuda", where.name)
    assert sorted(p.name for p in where.iterdir()) == STAGE_FILES[:7]  # code not made yet
    ptx = lowered.as_text("ptx")
    check_gpu_files(where, lowered.generate())
    assert ".entry" in ptx


def test_compile_for_cuda_dumps_before_the_runtime_is_needed(tmp_path, monkeypatch):
    monkeypatch.setenv("TENKAI_DUMP_DIR", str(tmp_path / "dump"))
    lowered = tenkai.trace(step, tenkai.randn(16, 300)).lower(target="cuda")
    # without a CUDA runtime (or a GPU) the compile stops after generating
    with contextlib.suppress(NotImplementedError, RuntimeError, OSError):
        lowered.compile()
    check_gpu_files(the_dir(tmp_path / "dump"), lowered.generate())


def test_cpu_dumps_keep_their_names(tmp_path, monkeypatch):
    monkeypatch.setenv("TENKAI_DUMP_DIR", str(tmp_path / "dump"))
    tenkai.trace(step, tenkai.randn(4, 8)).lower().as_text("asm")
    where = the_dir(tmp_path / "dump")
    assert re.fullmatch(r"step-[0-9a-f]{12}", where.name)
    assert sorted(p.name for p in where.iterdir()) == STAGE_FILES + ["09_asm.s"]


def test_no_dump_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("TENKAI_DUMP_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    tenkai.trace(step, tenkai.randn(16, 300)).lower(target="cuda").as_text("ptx")
    assert list(tmp_path.iterdir()) == []


MODEL = '''
import tenkai as torch
from tenkai import nn


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(8) * 0.5)

    def forward(self, x):
        y = torch.tanh(x * self.w)
        return (y - y.max(1, keepdim=True).values).sum(1)
'''


def test_cli_dump_target_cuda(tmp_path, capsys):
    model = tmp_path / "scale.py"
    model.write_text(MODEL)
    spec = [f"{model}:Scale", "--input", "4,8"]
    assert cli.main(["dump", *spec, "--target", "cuda", "--all", "-o", str(tmp_path / "d")]) == 0
    written = capsys.readouterr().out.split()
    names = sorted(Path(p).name for p in written)
    assert "09_asm.ptx" in names and "11_launches.json" in names and "repro.py" in names
    assert any(re.fullmatch(r"10_k\d+_\w+\.ptx", n) for n in names)
    assert "09_asm.s" not in names
    assert cli.main(["dump", *spec, "--target", "cuda", "--stage", "launch"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("entry tk_step:") and "grid=(" in out and "block=(" in out
    assert cli.main(["dump", *spec, "--target", "cuda", "--stage", "ptx"]) == 0
    assert ".visible .entry" in capsys.readouterr().out
    assert cli.main(["dump", *spec, "--stage", "ptx"]) == 2
    assert "needs the GPU (NVPTX) target, not 'cpu': add --target cuda" in \
        capsys.readouterr().err
    assert cli.main(["dump", *spec, "--target", "tpu", "--stage", "asm"]) == 2
    assert "unknown target 'tpu'" in capsys.readouterr().err


@pytest.mark.parametrize("stage", ["asm", "kernels"])
def test_cli_dump_cpu_stage_unchanged(tmp_path, capsys, stage):
    model = tmp_path / "scale.py"
    model.write_text(MODEL)
    assert cli.main(["dump", f"{model}:Scale", "--input", "4,8", "--stage", stage]) == 0
    out = capsys.readouterr().out
    assert ("tk_step" in out) if stage == "asm" else ("kernel k0" in out or "k0_" in out)
