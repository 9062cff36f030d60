"""max_pool2d_grad compiled vs interpreted over every window shape its lowering tells apart.

lower/window.py lowers disjoint windows (stride past the dilated window) window-parallel, each
window storing every one of its cells, with a zero fill only where the windows leave input
elements uncovered; overlapping windows scatter plane by plane. The cases cover both, with
ties (PyTorch's first max wins), NaN inputs, padding, dilation, ceil_mode and 3-D inputs,
alone and fused with the ReLU mask of a CNN's backward (``where(x > 0, grad, 0)``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from cpu_harness import Compiled, check_against_interpreter, compile_batch, single_group

import tenkai.ir as ir
from tenkai.codegen.kir.nodes import Loop
from tenkai.codegen.kir.utils import loads_of, stores_of
from tenkai.ir import nn_reference

# (x shape, kernel, stride, padding, dilation, ceil_mode, disjoint)
CASES = {
    "tiled": ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False, True),
    "tail": ((2, 3, 9, 7), (2, 2), (2, 2), (0, 0), (1, 1), False, True),
    "ceil": ((2, 3, 9, 7), (2, 2), (2, 2), (0, 0), (1, 1), True, True),
    "padded": ((1, 2, 9, 10), (3, 3), (3, 3), (1, 1), (1, 1), True, True),
    "dilated_holes": ((1, 2, 10, 11), (2, 2), (3, 3), (0, 1), (2, 2), False, True),
    "wide_stride": ((2, 2, 7, 9), (2, 3), (3, 4), (0, 0), (1, 1), False, True),
    "one_by_one": ((2, 3, 5, 4), (1, 1), (1, 1), (0, 0), (1, 1), False, True),
    "overlap": ((3, 4, 6, 6), (2, 2), (1, 1), (0, 0), (1, 1), False, False),
    "overlap_ceil": ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1), (1, 1), True, False),
    "overlap_3d": ((2, 7, 9), (3, 2), (1, 2), (1, 0), (2, 1), False, False),
}


def _attrs(case: tuple) -> dict[str, Any]:
    _, kernel, stride, padding, dilation, ceil, _ = case
    return {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation,
            "ceil_mode": ceil}


def _graph(name: str, dtype: str, relu_mask: bool) -> ir.Graph:
    case = CASES[name]
    attrs = _attrs(case)
    out_shape = nn_reference.max_pool2d(np.zeros(case[0]), **attrs).shape
    g = ir.Graph(f"pool_grad_{name}")
    x = g.add("input", shape=case[0], dtype=dtype, name="x")
    gy = g.add("input", shape=out_shape, dtype=dtype, name="g")
    grad = g.add("max_pool2d_grad", [gy, x], **attrs)
    if relu_mask:  # the ReLU before the pool: its backward masks the pooled gradient
        zero = g.add("full", shape=(), value=0.0, dtype=dtype)
        grad = g.add("where", [g.add("gt", [x, zero]), grad, zero])
    g.add_output(grad)
    return single_group(g, "window") if relu_mask else g


KEYS = [(name, dt, mask) for name in CASES for dt in ("float32", "float64")
        for mask in (False, True)]


@functools.cache
def _compiled() -> dict[tuple[str, str, bool], Compiled]:
    items = compile_batch([_graph(*key) for key in KEYS], tag="mpg")
    return dict(zip(KEYS, items, strict=True))


def _feeds(name: str, dtype: str, ties: bool, nan: bool) -> dict[str, np.ndarray]:
    case = CASES[name]
    rng = np.random.default_rng(hash((name, dtype, ties, nan)) % 2**32)
    x = rng.integers(-2, 3, case[0]) if ties else rng.standard_normal(case[0])
    x = x.astype(dtype)
    if nan:
        x.reshape(-1)[rng.choice(x.size, max(1, x.size // 7), replace=False)] = np.nan
    out_shape = nn_reference.max_pool2d(x, **_attrs(case)).shape
    return {"x": x, "g": rng.standard_normal(out_shape).astype(dtype)}


@pytest.mark.parametrize("relu_mask", [False, True], ids=["alone", "relu_mask"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_max_pool2d_grad_compiled_matches_interpreter(name: str, dtype: str,
                                                      relu_mask: bool) -> None:
    item = _compiled()[(name, dtype, relu_mask)]
    for ties, nan in ((False, False), (True, False), (True, True)):
        label = f"{name} {dtype} relu_mask={relu_mask} ties={ties} nan={nan}"
        # disjoint windows only select (exact); overlapping ones may add in another order
        tol = (0.0, 0.0) if CASES[name][-1] else None
        check_against_interpreter(item, _feeds(name, dtype, ties, nan), label, tol)


def _pool_kernel_loops(name: str) -> list[Loop]:
    program = _compiled()[(name, "float32", False)].program
    assert program is not None
    return [s for k in program.kernels for s in k.body if isinstance(s, Loop)]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c[-1]])
def test_disjoint_windows_run_window_parallel(name: str) -> None:
    """Disjoint windows: one parallel nest over the windows with no read of the output (no
    read-modify-write), after a zero fill only when some input element is in no window."""
    loops = _pool_kernel_loops(name)
    assert all(loop.parallel for loop in loops)
    covered = name in ("tiled", "ceil", "padded", "one_by_one")  # every element in a window
    assert len(loops) == (1 if covered else 2), [loop.var for loop in loops]
    scatter = loops[-1]
    written = set(stores_of([scatter]))
    assert written and not written & set(loads_of([scatter]))


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c[-1]])
def test_overlapping_windows_run_plane_parallel(name: str) -> None:
    """Overlapping windows: one parallel loop over the planes (batch x channels)."""
    loops = _pool_kernel_loops(name)
    assert len(loops) == 1 and loops[0].parallel
    lead = CASES[name][0][:-2]
    assert loops[0].extent == int(np.prod(lead))



def test_relu_mask_is_stored_in_the_windows_pass() -> None:
    """The fused CNN backward kernel: the ReLU mask is applied where each window stores its
    cells (one pass, no scratch for the pooled gradient)."""
    program = _compiled()[("tiled", "float32", True)].program
    assert program is not None
    (kernel,) = program.kernels
    assert len([s for s in kernel.body if isinstance(s, Loop)]) == 1
    assert not [b for b in program.buffers if b.role == "scratch"]


def _shared_graph() -> ir.Graph:
    """The pooled gradient feeds the mask chain, a second elementwise output and a sum."""
    case = CASES["tail"]
    attrs = _attrs(case)
    out_shape = nn_reference.max_pool2d(np.zeros(case[0]), **attrs).shape
    g = ir.Graph("pool_grad_shared")
    x = g.add("input", shape=case[0], dtype="float32", name="x")
    gy = g.add("input", shape=out_shape, dtype="float32", name="g")
    grad = g.add("max_pool2d_grad", [gy, x], **attrs)
    zero = g.add("full", shape=(), value=0.0, dtype="float32")
    masked = g.add("where", [g.add("gt", [x, zero]), grad, zero])
    g.add_output(g.add("mul", [masked, x]))
    g.add_output(masked)
    g.add_output(g.add("sum", [grad], axes=(0, 2, 3), keepdim=False))
    return single_group(g, "window")


def test_epilogue_with_other_readers_of_the_pooled_gradient() -> None:
    (item,) = compile_batch([_shared_graph()], tag="mpgs")
    for ties, nan in ((False, False), (True, True)):
        check_against_interpreter(item, _feeds("tail", "float32", ties, nan),
                                  f"shared ties={ties} nan={nan}")
    assert item.program is not None
    assert any(b.name.startswith("t") and b.role == "scratch" for b in item.program.buffers)
