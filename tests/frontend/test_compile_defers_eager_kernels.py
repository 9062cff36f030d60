"""A compile's trace generates no native eager kernel (tenkai._trace.DEFERRED_KERNELS): its
ops run on their numpy references, the compiled step trains exactly as the eager one, and the
eager ops run after the trace still get their kernels (no dispatch cache kept the choice)."""

from __future__ import annotations

import numpy as np
import pytest
from compile_harness import assert_same, cross_entropy_step, snapshot

import tenkai
import tenkai.nn as nn
from tenkai import _native_kernels as nk
from tenkai import _trace


@pytest.fixture(autouse=True)
def _empty_kernel_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TENKAI_CACHE_DIR", str(tmp_path / "cache"))  # nothing on disk
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", "1")
    monkeypatch.setattr(nk, "_KERNELS", {})  # nothing loaded in this process
    assert nk.ready()  # the support library (from wherever it is)
    monkeypatch.setitem(nk._STATE, "cache", None)  # and no eager kernel on disk


def _counts() -> tuple[int, int]:
    return nk.STATS["deferred"], nk.STATS["kernels"]


def test_a_trace_defers_the_kernel_and_eager_ops_after_it_generate_it() -> None:
    x = tenkai.tensor(np.random.default_rng(0).random((37, 1091)).astype(np.float32))
    compiled = tenkai.compile(lambda t: t.sqrt() + 1.0)
    deferred, built = _counts()
    first = compiled(x)  # the trace: sqrt runs on its reference, no kernel is generated
    assert nk.STATS["deferred"] > deferred and nk.STATS["kernels"] == built
    assert _trace.DEFERRED_KERNELS[0] >= nk.STATS["deferred"]
    np.testing.assert_array_equal(first.numpy(), np.sqrt(x.numpy()) + 1.0)
    np.testing.assert_array_equal(compiled(x).numpy(), first.numpy())  # the replay
    deferred, built = _counts()
    eager = x.sqrt()  # outside a trace: the same signature gets its native kernel now
    assert nk.STATS["kernels"] == built + 1 and nk.STATS["deferred"] == deferred
    np.testing.assert_array_equal(eager.numpy(), np.sqrt(x.numpy()))


def _train(compiled: bool) -> tuple[list[dict], int, int]:
    """The snapshots after each step, and the kernels deferred and built by the steps."""
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 640), nn.ReLU(), nn.Linear(640, 8))  # 40960 hidden
    opt = tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    step = cross_entropy_step(model, opt)
    fn = tenkai.compile(step) if compiled else step
    rng = np.random.default_rng(1)
    batches = [(tenkai.tensor(rng.standard_normal((64, 64)).astype(np.float32)),
                tenkai.tensor(rng.integers(0, 8, 64))) for _ in range(4)]
    deferred, built = _counts()
    records = [snapshot(fn(x, y), model, opt) for x, y in batches]
    return records, nk.STATS["deferred"] - deferred, nk.STATS["kernels"] - built


def test_compiled_training_with_deferred_kernels_equals_eager() -> None:
    compiled, deferred, built = _train(True)
    assert deferred > 0 and built == 0  # ReLU's kernels (forward, backward) were not made
    eager, deferred, built = _train(False)
    assert deferred == 0 and built > 0  # eager training generated them after all
    assert_same(compiled, eager)
