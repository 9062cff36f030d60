"""tenkai.set_num_threads & co (issue #14): PyTorch's argument checks, the thread pool of
compiled steps really runs on the number set (also when it is set before the pool's library
loads), and training results do not depend on it."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap

import llvmlite.binding as llvm
import numpy as np
import pytest
import torch
from compile_harness import cross_entropy_step

import tenkai
import tenkai.nn as nn
from tenkai import _threads
from tenkai.codegen.cpu import pool
from tenkai.runtime.cpu import jit

BAD = [0, -3, 1.5, "2", True, None, 2**40]


def _error(fn, value) -> tuple[str, str]:
    with pytest.raises((RuntimeError, ValueError)) as err:
        fn(value)
    return type(err.value).__name__, str(err.value)


@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("value", BAD, ids=repr)
def test_bad_counts_raise_pytorchs_errors(name: str, value, monkeypatch) -> None:
    monkeypatch.setattr(_threads, "_INTEROP", {})
    before = tenkai.get_num_threads()
    assert _error(getattr(tenkai, name), value) == _error(getattr(torch, name), value)
    assert tenkai.get_num_threads() == before


def test_interop_threads_are_stored_once(monkeypatch) -> None:
    monkeypatch.setattr(_threads, "_INTEROP", {})
    assert tenkai.get_num_interop_threads() >= 1
    assert tenkai.set_num_interop_threads(np.int64(3)) is None
    assert tenkai.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="^Error: cannot set number of interop threads after "
                                           "parallel work has started or "
                                           "set_num_interop_threads called$"):
        tenkai.set_num_interop_threads(2)
    assert tenkai.get_num_interop_threads() == 3


def _pool_threads() -> int:
    """``tk_get_num_threads`` of the loaded support library, asked directly."""
    address = llvm.address_of_symbol("tk_get_num_threads")
    assert address, "no support library is loaded"
    return int(ctypes.CFUNCTYPE(ctypes.c_int64)(address)())


def _mlp_step(seed: int):
    tenkai.manual_seed(seed)
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = tenkai.optim.Adam(model.parameters(), lr=1e-3)

    step = tenkai.compile(cross_entropy_step(model, opt))

    return model, step


def _train(threads: int) -> tuple[list[float], list[np.ndarray]]:
    tenkai.set_num_threads(threads)
    model, step = _mlp_step(0)
    gen = np.random.default_rng(1)
    x = tenkai.tensor(gen.standard_normal((256, 256)).astype(np.float32))
    y = tenkai.tensor(gen.integers(0, 10, 256))
    losses = [step(x, y).item() for _ in range(5)]
    assert _pool_threads() == threads == tenkai.get_num_threads()
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_the_pool_runs_on_the_number_set_and_results_do_not_change() -> None:
    before = tenkai.get_num_threads()
    try:
        one, params_one = _train(1)
        two, params_two = _train(2)
    finally:
        tenkai.set_num_threads(before)
    assert _pool_threads() == before
    np.testing.assert_allclose(two, one, rtol=1e-6)
    for a, b in zip(params_one, params_two, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def test_the_pool_bound_is_the_codegens() -> None:
    assert jit.POOL_MAX_THREADS == pool.MAX_THREADS


SCRIPT = textwrap.dedent("""
    import ctypes, json
    import llvmlite.binding as llvm
    import tenkai, tenkai.nn as nn, tenkai.nn.functional as F

    def native(name):
        return ctypes.CFUNCTYPE(ctypes.c_int64)(llvm.address_of_symbol(name))()

    tenkai.set_num_threads(1)  # before any library is loaded: remembered, applied on load
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)
    x, y = tenkai.randn(512, 256), tenkai.randint(0, 10, (512,))

    @tenkai.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step(x, y)
    out = {"threads_1": native("tk_get_num_threads"),
           "workers_1": native("tk_parallel_workers_started"),
           "get_1": tenkai.get_num_threads()}
    tenkai.set_num_threads(2)
    for _ in range(3):
        step(x, y)
    out.update(threads_2=native("tk_get_num_threads"),
               workers_2=native("tk_parallel_workers_started"), get_2=tenkai.get_num_threads())
    print(json.dumps(out))
""")


def test_a_count_set_before_the_pool_loads_is_applied(tmp_path) -> None:
    """In a fresh process: with 1 thread the pool starts no worker; with 2 it does."""
    script = tmp_path / "threads.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "TENKAI_CACHE": "0"}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["threads_1"] == out["get_1"] == 1 and out["workers_1"] == 0
    assert out["threads_2"] == out["get_2"] == 2 and out["workers_2"] >= 1


def test_set_num_threads_sizes_numpys_openblas_pool() -> None:
    lib = _threads.numpy_openblas()
    if lib is None:
        pytest.skip("numpy here is not linked against an OpenBLAS exporting its setter")
    getter = next((getattr(lib, n) for n in ("scipy_openblas_get_num_threads64_",
                                              "openblas_get_num_threads64_",
                                              "openblas_get_num_threads") if hasattr(lib, n)),
                  None)
    if getter is None:
        pytest.skip("this OpenBLAS exports no thread getter")
    before = tenkai.get_num_threads()
    try:
        for n in (1, 2):
            tenkai.set_num_threads(n)
            assert getter() == n
    finally:
        tenkai.set_num_threads(before)
