"""tk_parallel_for: results vs numpy, both threads used, back-to-back calls, inline tiny n."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from jit_harness import JitModule, compile_module
from llvmlite import ir

from tenkai.codegen.cpu.pool import add_parallel_runtime
from tenkai.codegen.llvm.types import I64, PTR, VOID

c_i64 = ctypes.c_int64
c_ptr = ctypes.c_void_p


def _body_fill(module: ir.Module) -> ir.Function:
    """``fill(ctx, begin, end)``: ctx = {i64* out, i64* owner}; out[i] = 3*i + 1 and
    owner[i] = pthread_self(); a ~10 us busy loop per element range keeps chunks long enough
    for the worker to pick one up."""
    pthread_self = ir.Function(module, ir.FunctionType(I64, []), "pthread_self")
    body = ir.Function(module, ir.FunctionType(VOID, [PTR, I64, I64]), "fill")
    ctx, begin, end = body.args
    builder = ir.IRBuilder(body.append_basic_block("entry"))
    out = builder.load(ctx, typ=PTR, name="out")
    owner_slot = builder.gep(ctx, [I64(1)], source_etype=PTR)
    owner = builder.load(owner_slot, typ=PTR, name="owner")
    me = builder.call(pthread_self, [], name="me")
    entry = builder.block
    loop = builder.append_basic_block("loop")
    done = builder.append_basic_block("done")
    builder.cbranch(builder.icmp_signed("<", begin, end), loop, done)
    builder.position_at_end(loop)
    index = builder.phi(I64, name="i")
    index.add_incoming(begin, entry)
    value = builder.add(builder.mul(index, I64(3)), I64(1), name="value")
    builder.store(value, builder.gep(out, [index], source_etype=I64))
    builder.store(me, builder.gep(owner, [index], source_etype=I64))
    next_index = builder.add(index, I64(1), name="next_i")
    index.add_incoming(next_index, builder.block)
    builder.cbranch(builder.icmp_signed("<", next_index, end), loop, done)
    builder.position_at_end(done)
    builder.ret_void()
    return body


def _body_partial_sum(module: ir.Module) -> ir.Function:
    """``partial_sum(ctx, begin, end)``: ctx = {f64* x, f64* sums}; sums[begin] = sum x[b:e]."""
    f64 = ir.DoubleType()
    body = ir.Function(module, ir.FunctionType(VOID, [PTR, I64, I64]), "partial_sum")
    ctx, begin, end = body.args
    builder = ir.IRBuilder(body.append_basic_block("entry"))
    values = builder.load(ctx, typ=PTR, name="x")
    sums = builder.load(builder.gep(ctx, [I64(1)], source_etype=PTR), typ=PTR, name="sums")
    entry = builder.block
    loop = builder.append_basic_block("loop")
    done = builder.append_basic_block("done")
    builder.branch(loop)
    builder.position_at_end(loop)
    index = builder.phi(I64, name="i")
    total = builder.phi(f64, name="acc")
    index.add_incoming(begin, entry)
    total.add_incoming(f64(0.0), entry)
    element = builder.load(builder.gep(values, [index], source_etype=f64), typ=f64)
    new_total = builder.fadd(total, element, name="acc_next")
    next_index = builder.add(index, I64(1), name="next_i")
    index.add_incoming(next_index, loop)
    total.add_incoming(new_total, loop)
    builder.cbranch(builder.icmp_signed("<", next_index, end), loop, done)
    builder.position_at_end(done)
    builder.store(new_total, builder.gep(sums, [begin], source_etype=f64))
    builder.ret_void()
    return body


@dataclass
class Pool:
    jit: JitModule
    parallel_for: Any
    set_threads: Any
    get_threads: Any
    workers_started: Any
    fill: int
    partial_sum: int


def _build_pool(tag: str = "") -> Pool:
    """The pool and two loop bodies, loaded; a ``tag`` gives a module (and a pool state) of
    its own (the loader shares identical modules)."""
    module = ir.Module(name="test_parallel")
    if tag:
        marker = ir.Function(module, ir.FunctionType(I64, []), f"pool_tag_{tag}")
        ir.IRBuilder(marker.append_basic_block("entry")).ret(I64(0))
    runtime = add_parallel_runtime(module)
    assert add_parallel_runtime(module).keys() == runtime.keys()  # idempotent
    _body_fill(module)
    _body_partial_sum(module)
    jit = compile_module(module)
    return Pool(
        jit=jit,
        parallel_for=jit.ctypes_function("tk_parallel_for", None, c_ptr, c_ptr, c_i64, c_i64),
        set_threads=jit.ctypes_function("tk_set_num_threads", None, c_i64),
        get_threads=jit.ctypes_function("tk_get_num_threads", c_i64),
        workers_started=jit.ctypes_function("tk_parallel_workers_started", c_i64),
        fill=jit.address("fill"),
        partial_sum=jit.address("partial_sum"),
    )


@pytest.fixture(scope="module")
def pool() -> Pool:
    return _build_pool()


def _run_fill(pool: Pool, n: int, grain: int) -> tuple[np.ndarray, np.ndarray]:
    out = np.full(n, -1, dtype=np.int64)
    owner = np.zeros(n, dtype=np.uint64)
    ctx = (c_ptr * 2)(out.ctypes.data, owner.ctypes.data)
    pool.parallel_for(pool.fill, ctypes.addressof(ctx), n, grain)
    return out, owner


def test_tiny_n_runs_inline_without_workers() -> None:
    fresh = _build_pool("fresh")  # its own pool: no worker may have been started yet
    out, owner = _run_fill(fresh, 5, 8)
    np.testing.assert_array_equal(out, 3 * np.arange(5) + 1)
    assert set(owner.tolist()) == {threading.get_ident()}
    assert fresh.workers_started() == 0
    fresh.parallel_for(fresh.fill, None, 0, 1)  # n = 0: nothing runs, nothing dereferenced
    assert fresh.workers_started() == 0


@pytest.mark.parametrize(
    "n,grain", [(1, 1), (2, 1), (7, 2), (1000, 1), (100_003, 64), (4096, 4096)]
)
def test_fill_matches_numpy(pool: Pool, n: int, grain: int) -> None:
    out, _ = _run_fill(pool, n, grain)
    np.testing.assert_array_equal(out, 3 * np.arange(n, dtype=np.int64) + 1)


def test_partial_sums_match_numpy(pool: Pool) -> None:
    n = 1_000_001
    values = np.random.default_rng(0).standard_normal(n)
    sums = np.zeros(n)
    ctx = (c_ptr * 2)(values.ctypes.data, sums.ctypes.data)
    pool.parallel_for(pool.partial_sum, ctypes.addressof(ctx), n, 1)
    threads = pool.get_threads()
    chunk = -(-n // min(threads, n))
    starts = np.arange(0, n, chunk)
    np.testing.assert_allclose(sums[starts], np.add.reduceat(values, starts), rtol=1e-12)
    assert np.count_nonzero(sums) == len(starts)


def test_two_threads_are_used(pool: Pool) -> None:
    assert pool.get_threads() >= 2, "the host should have at least 2 online CPUs"
    caller = threading.get_ident()
    seen: set[int] = set()
    deadline = time.monotonic() + 10.0  # a busy host may keep the worker off-CPU for a while
    while len(seen) < 2 and time.monotonic() < deadline:
        _, owner = _run_fill(pool, 1_000_000, 1)
        seen |= set(owner.tolist())
    assert caller in seen and len(seen) >= 2
    assert pool.workers_started() == pool.get_threads() - 1


def test_ten_thousand_back_to_back_calls(pool: Pool) -> None:
    out = np.zeros(64, dtype=np.int64)
    owner = np.zeros(64, dtype=np.uint64)
    ctx = (c_ptr * 2)(out.ctypes.data, owner.ctypes.data)
    for _ in range(10_000):
        pool.parallel_for(pool.fill, ctypes.addressof(ctx), 64, 1)
    np.testing.assert_array_equal(out, 3 * np.arange(64) + 1)


def test_set_num_threads(pool: Pool) -> None:
    try:
        pool.set_threads(1)
        assert pool.get_threads() == 1
        _, owner = _run_fill(pool, 100_000, 1)
        assert set(owner.tolist()) == {threading.get_ident()}
        pool.set_threads(3)  # more threads than cores still computes the right thing
        out, _ = _run_fill(pool, 10_001, 7)
        np.testing.assert_array_equal(out, 3 * np.arange(10_001) + 1)
    finally:
        pool.set_threads(0)
    assert pool.get_threads() == os.cpu_count()  # sysconf(_SC_NPROCESSORS_ONLN)


def test_idle_workers_sleep(pool: Pool) -> None:
    """After the spin window (< 1 ms) an idle pool blocks in futex and burns no CPU."""
    _run_fill(pool, 100_000, 1)
    time.sleep(0.05)
    before = os.times()
    time.sleep(0.3)
    after = os.times()
    burnt = (after.user - before.user) + (after.system - before.system)
    assert burnt < 0.05, f"idle process used {burnt:.3f} s of CPU in 0.3 s"
