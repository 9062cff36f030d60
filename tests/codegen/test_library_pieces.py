"""The CPU support library in pieces (codegen/cpu/library.py): a program's library lists only the
pieces it calls, piece keys are static (no code is generated to know them), the pieces loaded
one by one give the same results as numpy, GEMM edge tiles touch nothing outside C, and a
second process loads the pieces from the disk cache without generating any."""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tenkai.ir as tir
from tenkai.codegen.cpu.codegen import generate
from tenkai.codegen.cpu.library import PIECE_ORDER, library, pieces
from tenkai.codegen.lower.program import lower_program
from tenkai.ir.passes.pipeline import run_pipeline
from tenkai.runtime.cpu import CPUExecutable, jit

# the module (the package's attribute of that name is the function library())
lib_module = importlib.import_module("tenkai.codegen.cpu.library")


def _matmul(dtype: str, m: int = 37, k: int = 29, n: int = 53) -> tir.Graph:
    g = tir.Graph(f"mm_{dtype}")
    x = g.add("input", shape=(m, k), dtype=dtype, name="x")
    w = g.add("param", shape=(k, n), dtype=dtype, name="w")
    g.add_output(g.add("matmul", [x, w]))
    return g


def _elementwise() -> tir.Graph:
    g = tir.Graph("ew")
    x = g.add("input", shape=(8, 4), dtype="float32", name="x")
    g.add_output(g.add("mul", [x, x]))
    return g


def test_a_program_lists_only_the_pieces_it_calls() -> None:
    f32 = generate(lower_program(run_pipeline(_matmul("float32")))).library
    assert f32 is not None
    assert [p.name for p in f32.pieces] == ["pool", "gemm_f32"]  # the pool first: the GEMM
    assert "tk_gemm_f64" not in f32.symbols  # calls tk_parallel_for from it
    f64 = generate(lower_program(run_pipeline(_matmul("float64")))).library
    assert [p.name for p in f64.pieces] == ["pool", "gemm_f64"]
    assert f32.key != f64.key
    assert [p.name for p in library().pieces] == list(PIECE_ORDER)


def test_piece_keys_are_static(monkeypatch) -> None:
    """Keys (what the caches look pieces up by) need no IR: building is forbidden here."""
    def refuse(name: str) -> None:
        raise AssertionError(f"piece {name} was generated to compute a key")

    monkeypatch.setattr(lib_module, "build_piece", refuse)
    keys = {name: piece.key for name, piece in pieces().items()}
    assert len(set(keys.values())) == len(keys)
    assert all(len(k) == 64 for k in keys.values())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pieces_loaded_one_by_one_compute_the_matmul(dtype: str) -> None:
    module = generate(lower_program(run_pipeline(_matmul(dtype))))
    exe = CPUExecutable(module.object_code(), module.entry, module.buffer_table)
    for piece in module.library.pieces:
        assert jit.library_loaded(piece.key)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((37, 29)).astype(dtype)
    w = rng.standard_normal((29, 53)).astype(dtype)
    (out,) = exe.run_feeds({"x": x, "w": w})
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(out, x @ w, rtol=tol, atol=tol)


def test_the_thread_count_goes_to_the_pool_piece_only() -> None:
    generate_and_load = generate(lower_program(run_pipeline(_matmul("float32"))))
    CPUExecutable(generate_and_load.object_code(), generate_and_load.entry,
                  generate_and_load.buffer_table)
    before = jit.get_pool_threads()
    try:
        assert jit.set_pool_threads(1) == 1  # one loaded pool, however many GEMM pieces
        assert jit.get_pool_threads() == 1
    finally:
        jit.set_pool_threads(before)


def test_edge_tiles_write_only_inside_c() -> None:
    """Masked edge-tile stores: with ldc > N and M, N not multiples of the tile, the columns
    past N and the rows past M keep their values (overwrite and accumulate)."""
    whole = library()
    compiled = jit.load_object(whole.object_code())  # the pieces linked into one object
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    gemm = ctypes.CFUNCTYPE(None, i64, i64, i64, ptr, i64, i64, ptr, i64, i64, ptr, i64,
                            ctypes.c_int32)(compiled.address("tk_gemm_f32"))
    rng = np.random.default_rng(2)
    m, n, k, ldc = 13, 21, 7, 40
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    for accumulate in (0, 1):
        c = np.full((m + 3, ldc), 7.0, dtype=np.float32)
        gemm(m, n, k, a.ctypes.data, k, 1, b.ctypes.data, n, 1, c.ctypes.data, ldc, accumulate)
        expected = a @ b + (7.0 if accumulate else 0.0)
        np.testing.assert_allclose(c[:m, :n], expected, rtol=1e-5, atol=1e-5)
        assert (c[:m, n:] == 7.0).all() and (c[m:] == 7.0).all()


CHILD = r"""
import json, sys
import tenkai
import importlib
lib = importlib.import_module("tenkai.codegen.cpu.library")
torch = tenkai
torch.manual_seed(0)
hidden = int(sys.argv[1])
model = torch.nn.Sequential(torch.nn.Linear(6, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))  # GEMMs above SMALL_GEMM: the library's

@torch.compile
def step(x, y):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss

losses = [float(step(x, y)) for _ in range(3)]
print(json.dumps({"built": lib.STATS["pieces_built"], "stats": step.stats, "losses": losses}))
"""


@pytest.mark.slow
def test_pieces_come_from_the_disk_cache_in_a_new_process(tmp_path) -> None:
    env = {**os.environ, "TENKAI_CACHE_DIR": str(tmp_path / "cache"), "TENKAI_CACHE": "1",
           "TENKAI_CACHE_KEY_FILE": str(tmp_path / "key")}
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    def run(hidden: int) -> dict:
        done = subprocess.run([sys.executable, str(script), str(hidden)], env=env,
                              capture_output=True, text=True, timeout=300, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    first = run(5)
    assert first["built"] == 2  # the pool and the float32 GEMM, generated once
    assert len([n for n in os.listdir(tmp_path / "cache") if n.startswith("lib-")]) == 2
    hit = run(5)
    assert hit["built"] == 0 and hit["stats"]["disk_cache_hits"] >= 1
    assert hit["losses"] == first["losses"]
    other = run(7)  # a step never compiled before: its own code, the library from the cache
    assert other["built"] == 0 and other["stats"]["disk_cache_misses"] >= 1
