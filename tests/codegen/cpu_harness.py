"""Compile graphs through lower -> codegen.cpu -> runtime and compare with the interpreter.

Compile time dominates these tests, so graphs are batched: many programs (distinct prefixes)
share one LLVM module, compiled once; each keeps its own :class:`Executable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import tenkai.ir as ir
from tenkai.codegen.cpu.codegen import generate
from tenkai.codegen.kir.nodes import KernelProgram
from tenkai.codegen.lower.program import lower_program
from tenkai.ir import dtypes
from tenkai.ir.printer import value_names
from tenkai.runtime.cpu import CPUExecutable as Executable

TOL = {"float16": (1e-3, 1e-3), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


@dataclass
class Compiled:
    """One graph's compiled form (or the error that stopped it)."""

    graph: ir.Graph
    program: KernelProgram | None = None
    executable: Executable | None = None
    error: BaseException | None = None

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        if self.error is not None:
            raise self.error
        assert self.executable is not None
        return self.executable.run_feeds(feeds)


def compile_batch(graphs: Sequence[ir.Graph], tag: str = "b") -> list[Compiled]:
    """Lower every graph (prefix ``<tag><k>_``), generate one module, load its object code once.

    A lowering error is kept on its entry; a failing module is retried graph by graph so one
    bad program does not hide the others.
    """
    items = [Compiled(g) for g in graphs]
    for k, item in enumerate(items):
        try:
            item.program = lower_program(item.graph, prefix=f"{tag}{k}_")
        except Exception as err:  # reported by the test that owns this graph
            item.error = err
    ok = [it for it in items if it.program is not None]
    try:
        _attach(ok)
    except Exception:
        for it in ok:
            try:
                _attach([it])
            except Exception as err:
                it.error = err
    return items


def _attach(items: list[Compiled]) -> None:
    if not items:
        return
    module = generate([it.program for it in items])  # type: ignore[misc]
    for it in items:
        assert it.program is not None
        it.executable = Executable(module, it.program.entry,
                                   module.entries[it.program.entry])


def feed_names(g: ir.Graph) -> dict[int, str]:
    """The buffer name of each input/param node (the printer's names)."""
    names = value_names(g)
    return {n: names[n] for n in g.nodes() if g.op(n) in ("input", "param")}


def random_feeds(g: ir.Graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Values for every input and param of ``g`` (floats in [-1, 1], small ints, masks)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for n, name in feed_names(g).items():
        shape, dt = g.shape(n), g.dtype(n)
        if dt == "bool":
            value: Any = rng.random(shape) < 0.5
        elif dtypes.is_float(dt):
            value = rng.uniform(-1, 1, shape)
        else:
            value = rng.integers(0, 3, shape)
        feeds[name] = np.array(value, dtype=dtypes.to_numpy(dt), order="C")
    return feeds


def assert_matches(got: np.ndarray, want: np.ndarray, label: str,
                   tol: tuple[float, float] | None = None) -> None:
    """Compiled vs interpreted: same shape and dtype, values within the dtype's tolerance."""
    want = np.asarray(want)
    assert got.shape == want.shape, f"{label}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{label}: dtype {got.dtype} != {want.dtype}"
    rtol, atol = tol or TOL.get(str(want.dtype), (0.0, 0.0))
    if rtol == 0 and atol == 0:
        bad = ~((got == want) | (np.isnan(got) & np.isnan(want)) if want.dtype.kind == "f"
                else got == want)
    else:
        bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if np.any(bad):
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"{label}: {int(bad.sum())} of {bad.size} elements differ; first "
                             f"at {at}: compiled {got[at]!r}, interpreter {want[at]!r} "
                             f"(rtol={rtol}, atol={atol})")


def check_against_interpreter(item: Compiled, feeds: dict[str, np.ndarray], label: str,
                              tol: tuple[float, float] | None = None) -> None:
    """Run compiled and interpreted on the same feeds and compare every output."""
    by_node = {name: n for n, name in feed_names(item.graph).items()}
    want = ir.run(item.graph, {by_node[k]: v for k, v in feeds.items()})
    got = item.run({k: np.copy(v) for k, v in feeds.items()})
    assert len(got) == len(want), f"{label}: {len(got)} outputs, expected {len(want)}"
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_matches(a, b, f"{label} output {k}", tol)


def single_group(g: ir.Graph, kind: str = "elementwise") -> ir.Graph:
    """Annotate every non-boundary node of ``g`` as one fusion group (a convex set)."""
    nodes = [n for n in g.topo_order() if g.op(n) not in ("input", "param", "output")]
    g.meta["groups"] = {0: {"kind": kind, "nodes": nodes, "inputs": [], "outputs": []}}
    g.meta["group_order"] = [0]
    return g
