"""Compile tooling around tenkai.compile: the compiled-step cache (memory and disk, across
processes, corrupt entries, ``tenkai cache``), TENKAI_VALIDATE, TENKAI_DEBUG / PRINT_AFTER /
DUMP_DIR / PROFILE, and the lowering option they rely on (no arena reuse)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.cli import main
from tenkai.codegen.target import describe
from tenkai.compiler import step_cache as _step_cache
from tenkai.compiler.backend import ValidationError
from tenkai.runtime.cache import CacheWarning

ENV = ("TENKAI_CACHE", "TENKAI_VALIDATE", "TENKAI_DEBUG", "TENKAI_PRINT_AFTER",
       "TENKAI_DUMP_DIR", "TENKAI_PROFILE")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """A fresh cache directory and empty memory cache per test; no tooling env vars."""
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TENKAI_CACHE_DIR", str(tmp_path / "cache"))
    _step_cache.clear_memory()
    yield tmp_path / "cache"
    _step_cache.clear_memory()


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        return self.fc(x.view(x.size(0), -1))


def _setup(kind: str = "sgd", hidden: int = 16):
    tenkai.manual_seed(0)
    if kind == "cnn":
        model = SmallCNN()
        x, y = tenkai.randn(6, 1, 8, 8), tenkai.randint(0, 3, (6,))
    else:
        model = nn.Sequential(nn.Linear(20, hidden), nn.ReLU(), nn.Linear(hidden, 4))
        x, y = tenkai.randn(8, 20), tenkai.randint(0, 4, (8,))
    opt = (tenkai.optim.Adam(model.parameters(), lr=1e-2) if kind == "adam"
           else tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))

    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return model, train_step, x, y


def _run(kind: str = "sgd", steps: int = 3, hidden: int = 16, setup=None):
    """Compile and run a step (a fresh one, or ``setup``'s again: a new model gets a new
    optimizer, whose state names differ); returns (compiled fn, NativeStep, losses, model)."""
    model, step, x, y = setup or _setup(kind, hidden)
    fn = tenkai.compile(step)
    losses = [fn(x, y).item() for _ in range(steps)]
    return fn, fn.steps[-1].program, losses, model


def _cli(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(["cache", *args]) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------- the cache

SCRIPT = textwrap.dedent("""
    import json
    import tenkai, tenkai.nn as nn, tenkai.nn.functional as F
    from tenkai.runtime.cpu import jit
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = tenkai.randn(8, 20), tenkai.randint(0, 4, (8,))

    @tenkai.compile
    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    losses = [train_step(x, y).item() for _ in range(4)]
    step = train_step.steps[0].program
    print(json.dumps({"cache": step.stats, "executable": step.executable.stats,
                      "jit": jit.STATS, "generated": step.module is not None,
                      "losses": losses}))
""")


def test_a_second_process_hits_the_disk_cache(tmp_path, cache_dir, capsys) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "TENKAI_CACHE_DIR": str(cache_dir)}

    def run() -> dict:
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                              text=True, timeout=120, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    first, second = run(), run()
    assert (first["cache"]["disk_cache_misses"], first["cache"]["disk_cache_hits"]) == (1, 0)
    assert (second["cache"]["disk_cache_misses"], second["cache"]["disk_cache_hits"]) == (0, 1)
    # the hit generated no code at all: step and GEMM library were loaded as object code
    assert first["generated"] and not second["generated"]
    info = _cli(capsys, "info")
    assert "entries: 1 (+2 library, +" in info, info
    eager = int(info.split("library, +")[1].split(" eager kernels")[0])
    # the step's object, the library's two pieces (the thread pool, the float32 GEMM) and the
    # eager kernels the script's own eager ops ran (randn, randint: the native Philox draws)
    assert eager >= 1 and second["jit"]["object_loads"] == 3 + eager
    assert second["executable"]["kernels_per_step"] == first["executable"]["kernels_per_step"]
    assert second["losses"] == first["losses"]
    assert "hit: " in _cli(capsys, "explain")
    listed = _cli(capsys, "list")
    assert listed.count("eager kernel ") == eager and listed.count("  graph ") == 1, listed


def test_memory_hit_then_explained_graph_miss(capsys) -> None:
    setup = _setup()
    _, first, _, _ = _run(setup=setup)
    assert first.stats["disk_cache_misses"] == 1
    _, again, _, _ = _run(setup=setup)  # a second tenkai.compile of the same step
    assert again.stats["memory_cache_hits"] == 1 and again.stats["disk_cache_misses"] == 0
    _, other, _, _ = _run(hidden=12)
    assert other.stats["disk_cache_misses"] == 1
    assert "miss: graph hash differs (new " in _cli(capsys, "explain")
    info = _cli(capsys, "info")
    assert "entries: 2 (+2 library, +" in info, info
    eager = int(info.split("library, +")[1].split(" eager kernels")[0])
    # 2 steps, 2 library pieces (the pool, the float32 GEMM), the eager kernels (random draws)
    assert f"removed {4 + eager} cached files" in _cli(capsys, "clear")
    assert "entries: 0" in _cli(capsys, "info")


def _truncate(data: bytes) -> bytes:
    return data[:-40]


def _flip(data: bytes) -> bytes:
    return data[:500] + bytes([data[500] ^ 0x55]) + data[501:]


def _version(data: bytes) -> bytes:
    return data[:8] + (99).to_bytes(4, "little") + data[12:]


def test_corrupt_entries_are_discarded_and_rebuilt(cache_dir) -> None:
    setup = _setup()
    _run(setup=setup)
    [name] = [n for n in os.listdir(cache_dir) if not n.startswith(("lib-", "last"))]
    path = cache_dir / name
    for damage, why in ((_truncate, "checksum"), (_flip, "checksum"), (_version, "version 99")):
        path.write_bytes(damage(path.read_bytes()))
        _step_cache.clear_memory()
        with pytest.warns(CacheWarning, match=why):
            _, step, losses, _ = _run(setup=setup)
        assert step.stats["disk_cache_misses"] == 1 and step.stats["disk_cache_hits"] == 0
        assert np.isfinite(losses).all()
    _step_cache.clear_memory()
    _, step, _, _ = _run(setup=setup)  # the rebuilt entry is whole again
    assert step.stats["disk_cache_hits"] == 1


def test_cache_off(cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("TENKAI_CACHE", "0")
    _, step, _, _ = _run()
    assert not cache_dir.exists()
    assert step.stats["disk_cache_hits"] == step.stats["disk_cache_misses"] == 0
    assert step.module is not None  # generated in this process (no cache to load it from)


def test_key_depends_on_graph_and_flags() -> None:
    model, step, x, y = _setup()
    step(x, y)
    a, b = tenkai.trace(step, x, y).graph, tenkai.trace(step, x, y).graph
    assert _step_cache.graph_hash(a) == _step_cache.graph_hash(b)
    flags = {"opt_level": 3, "parallel": True, "arena_reuse": True}
    cpu = describe("cpu")
    key = _step_cache.key_components(a, flags, cpu)
    assert set(key) >= {"graph", "target", "triple", "arch", "target_features", "tenkai",
                        "llvmlite", "llvm", "opt_level", "parallel", "arena_reuse"}
    assert _step_cache.key_components(a, {**flags, "opt_level": 2}, cpu) != key
    _, other, x, y = _setup(hidden=12)
    other(x, y)
    c = tenkai.trace(other, x, y).graph
    assert _step_cache.graph_hash(c) != _step_cache.graph_hash(a)


def test_state_names_do_not_depend_on_other_live_optimizers() -> None:
    """The names of a step's optimizer state (part of the cache key) follow what the trace did,
    not how many optimizers happen to be alive (which changes with garbage collection)."""
    model, step, x, y = _setup()
    step(x, y)  # momentum buffers exist: the trace reads them as state
    first = tenkai.trace(step, x, y).graph
    bystander = tenkai.optim.SGD([tenkai.zeros(1, requires_grad=True)], lr=0.1)  # never stepped
    second = tenkai.trace(step, x, y).graph
    names = [n for n in (second.nx.nodes[v].get("name") for v in second.nodes())
             if n and ".state." in n]
    assert names and all(n.startswith("optimizer.state.") for n in names), names
    assert _step_cache.graph_hash(first) == _step_cache.graph_hash(second)
    del bystander


# ---------------------------------------------------------------- TENKAI_VALIDATE


@pytest.mark.parametrize("kind", ["sgd", "adam", "cnn"])
def test_validate_passes_on_correct_steps(kind: str, monkeypatch) -> None:
    monkeypatch.setenv("TENKAI_VALIDATE", "1")
    _, step, _, _ = _run(kind, steps=4)
    assert step.validator is not None and step.stats["calls"] == 2
    assert step.module.buffer_table["group_outputs"]


def _broken_relu(b, x, dtype, **_):
    return x  # forgets to clamp: wrong wherever x < 0


def test_validate_names_a_broken_kernel(monkeypatch) -> None:
    from tenkai.codegen.scalar import templates

    monkeypatch.setitem(templates.TEMPLATES, "relu", _broken_relu)
    monkeypatch.setenv("TENKAI_VALIDATE", "1")
    model, step, x, y = _setup()
    fn = tenkai.compile(step)
    fn(x, y), fn(x, y)  # trace (eager, creates optimizer state), trace and compile
    before = model[0].weight.detach().numpy().copy()
    with pytest.raises(ValidationError) as info:
        fn(x, y)
    text = str(info.value)
    assert "kernel k0_permute_matmul_add (ops [permute, matmul, add, relu, gt])" in text
    assert "= relu(%" in text and "first differing index (" in text
    assert "max abs error" in text and "max rel error" in text
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), before)  # rolled back


def _nan_exp(b, x, dtype, **_):
    return b.fdiv(b.fsub(x, x), b.fsub(x, x))  # 0/0


def test_validate_localizes_the_first_nan(monkeypatch) -> None:
    from tenkai.codegen.scalar import templates

    monkeypatch.setitem(templates.TEMPLATES, "exp", _nan_exp)
    monkeypatch.setenv("TENKAI_VALIDATE", "1")
    with pytest.raises(ValidationError, match=r"kernel k\d+_sub_exp.*\n.*= exp\(.*\n.*NaN"):
        _run()


# ---------------------------------------------------------------- debug output


def test_debug_prints_passes_kernels_and_timings(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TENKAI_DEBUG", "1")
    _, step, _, _ = _run(steps=4)
    out = capsys.readouterr().out
    for stage in ("pass simplify", "pass fuse", "pass recompute", "pass plan_memory",
                  "stage lower"):
        assert f"compile train_step: {stage} " in out
    kernel_lines = [line for line in out.splitlines() if line.startswith("[tenkai] kernel ")]
    assert len(kernel_lines) == len(step.kernels) == step.executable.stats["kernels_per_step"]
    assert "ops=[permute,matmul,add,relu,gt] out=f32[8,16],i1[8,16] flops=5.5K" in out
    times = [line for line in out.splitlines() if line.startswith("[tenkai] time k")]
    assert len(times) == len(kernel_lines)  # TENKAI_PROFILE defaults to the first call
    assert all(" us " in t and "GFLOP/s" in t and "GB/s" in t for t in times)
    _step_cache.clear_memory()
    monkeypatch.setenv("TENKAI_CACHE", "0")
    _run(steps=4)
    again = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("[tenkai] kernel ")]
    assert again == kernel_lines  # stable from compile to compile


def test_disk_hit_reports_kernels_too(monkeypatch, capsys) -> None:
    setup = _setup()
    _run(setup=setup)
    _step_cache.clear_memory()
    monkeypatch.setenv("TENKAI_DEBUG", "1")
    monkeypatch.setenv("TENKAI_PROFILE", "0")
    _, step, _, _ = _run(setup=setup)
    out = capsys.readouterr().out
    assert "disk cache hit" in out and "[tenkai] kernel k0_permute_matmul_add" in out
    assert "[tenkai] time" not in out and step.stats["disk_cache_hits"] == 1


def test_profiling_keeps_the_training_exact(monkeypatch) -> None:
    _, _, expected, m1 = _run(steps=6)
    _step_cache.clear_memory()
    monkeypatch.setenv("TENKAI_PROFILE", "6")
    _, step, losses, m2 = _run(steps=6)
    assert len(step.last_profile) == step.executable.stats["kernels_per_step"]
    assert losses == expected
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_print_after_named_passes_only(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TENKAI_PRINT_AFTER", "fuse,lower")
    _, step, _, _ = _run()
    out = capsys.readouterr().out
    assert "IR after fuse (train_step):\ngraph train_step(" in out and "= group 0 " in out
    assert "IR after lower (train_step):\nprogram tk_step {" in out
    assert "IR after simplify" not in out and "IR after plan_memory" not in out
    assert step.stats["disk_cache_misses"] == 0  # printing needs the stages: no cache
    monkeypatch.setenv("TENKAI_PRINT_AFTER", "fusion")
    with pytest.raises(ValueError, match="unknown stage.*'fusion'.*simplify, fuse"):
        _run()


def test_dump_dir_writes_every_stage(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TENKAI_DUMP_DIR", str(tmp_path / "dump"))
    _run()
    [where] = list((tmp_path / "dump").iterdir())
    assert where.name.startswith("train_step-")
    files = sorted(p.name for p in where.iterdir())
    assert files == ["00_traced.txt", "01_backward.txt", "02_simplified.txt", "03_fused.txt",
                     "04_recomputed.txt", "05_memory_plan.txt", "06_kernels.txt", "07_llvm.ll",
                     "08_llvm_opt.ll", "09_asm.s"]
    read = {name: (where / name).read_text() for name in files}
    assert read["00_traced.txt"].startswith("graph train_step(arg0: f32[8,20]")
    assert "backward pass" in read["01_backward.txt"] and "matmul(" in read["01_backward.txt"]
    assert "memory plan" in read["05_memory_plan.txt"]
    assert "define" in read["07_llvm.ll"] and "tk_step" in read["08_llvm_opt.ll"]
    assert "tk_step:" in read["09_asm.s"]


# ---------------------------------------------------------------- lowering without reuse


def test_lowering_without_arena_reuse_keeps_every_group_output() -> None:
    from tenkai.codegen import lower_program
    from tenkai.ir.passes.pipeline import run_pipeline

    _, step, x, y = _setup()
    step(x, y)
    fused = run_pipeline(tenkai.trace(step, x, y).graph)
    info: dict = {}
    program = lower_program(fused, reuse_arena=False, info=info)
    scratch = sorted((b.offset, b.offset + b.nbytes) for b in program.buffers
                     if b.role == "scratch" and b.nbytes)
    assert all(end <= start for (_, end), (start, _) in zip(scratch, scratch[1:], strict=False))
    assert program.arena_size > lower_program(fused).arena_size
    names = {b.name for b in program.buffers}
    assert set(info["group_outputs"]) <= names
    assert {n for nodes in info["kernel_nodes"].values() for n in nodes} >= set(
        info["group_outputs"].values())
