"""Which loops LLVM may unroll (codegen/llvm/emit.py::unroll_allowed), and a CNN step whose
loops the policy keeps rolled trains exactly as it does eagerly.

Full unrolling pays for window loops (3x3 offsets fold into the nest inside) but copying a
nest out hundreds of times only costs LLVM time: the policy bounds the copies.
"""

from __future__ import annotations

import numpy as np
from compile_harness import assert_same, cross_entropy_step, snapshot

import tenkai
import tenkai.nn as nn
from tenkai.codegen.kir.nodes import Const, Loop, Store, Var
from tenkai.codegen.llvm.emit import (
    UNROLL_MAX_COPIES,
    UNROLL_WINDOW,
    nest_trips,
    unroll_allowed,
)


def _nest(*extents: int) -> list:
    """A perfect loop nest of ``extents`` (outermost first) around one store."""
    body: list = [Store("y", Var("i0", "int64"), Const(0.0, "float32"))]
    for k, extent in reversed(list(enumerate(extents))):
        body = [Loop(f"i{k}", extent, body)]
    return body


def test_nest_trips_is_the_deepest_product() -> None:
    assert nest_trips([]) == 1
    assert nest_trips(_nest(14, 14)) == 196
    assert nest_trips(_nest(3) + _nest(10, 5)) == 50  # the deepest of two nests


def test_short_loops_unroll_and_big_nests_do_not() -> None:
    assert unroll_allowed(14, [])  # an image row: bounds tests fold away
    assert unroll_allowed(10, _nest(6))  # 60 copies
    # a 64-row loop around a 10-wide reduction: 640 copies of the body
    assert not unroll_allowed(64, _nest(10))
    assert unroll_allowed(10, [])
    # an im2col tile: the rows around the columns stay a loop, the columns unroll
    assert not unroll_allowed(14, _nest(14))
    assert UNROLL_MAX_COPIES < 14 * 14


def test_window_loops_unroll_around_anything_short() -> None:
    assert UNROLL_WINDOW >= 3
    assert unroll_allowed(3, _nest(3, 8, 14, 14))  # a 3x3 kernel's rows around its nest
    assert not unroll_allowed(3, _nest(100))  # but never around a long loop


def test_long_loops_never_unroll() -> None:
    assert not unroll_allowed(65, [])
    assert not unroll_allowed(2, _nest(65))


def _cnn(seed: int) -> tuple[nn.Module, tenkai.optim.Optimizer]:
    tenkai.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(6 * 7 * 7, 10))
    return model, tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def _train(compiled: bool) -> tuple[list[dict], object]:
    model, opt = _cnn(0)

    step = cross_entropy_step(model, opt)
    fn = tenkai.compile(step) if compiled else step
    rng = np.random.default_rng(3)
    records = []
    for _ in range(4):
        x = tenkai.tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32))
        y = tenkai.tensor(rng.integers(0, 10, 4))
        records.append(snapshot(fn(x, y), model, opt))
    return records, fn


def test_cnn_step_with_rolled_nests_trains_like_eager() -> None:
    compiled, fn = _train(True)
    eager, _ = _train(False)
    assert_same(compiled, eager)
    assert fn.stats["replays"] >= 2
    module = fn.steps[0].program.module
    if module is not None:  # compiled here (not a cache hit): the policy shaped its loops
        assert "llvm.loop.unroll.disable" in module.ir_text
