"""``TENKAI_VALIDATE=1``: check a compiled step against the numpy interpreter, kernel by kernel.

The step is lowered without arena reuse, so after a native call every group output still holds
its value. :class:`Validator` then walks the kernels in launch order (fusion-group order) and
recomputes each kernel output with the registry's numpy references *from the compiled values
available before it*: the outputs of earlier kernels and earlier outputs of the same kernel
(and the step's feeds, snapshotted before the call, since a step updates its state in place).
Rounding differences therefore do not accumulate (nor flip a ``relu`` mask computed from a
value that is ~0), and the first output that differs beyond its tolerance, or holds a NaN
where the interpreter has none, belongs to the kernel that is wrong: :class:`ValidationError`
names it, its source ops, the node (its line in the fused IR), the max abs/rel error and the
first differing index. Float tolerances are those of the least precise float dtype the kernel
computes in; ints and bools compare exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tenkai.ir.errors import TenkaiError
from tenkai.ir.graph import Graph
from tenkai.ir.interpreter import Plan
from tenkai.ir.printer import format_node, value_names

# dtype -> (relative tolerance, absolute tolerance as a fraction of max(1, max |expected|))
TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-9, 1e-12)}


class ValidationError(TenkaiError, RuntimeError):
    """A compiled kernel's output differs from the numpy interpreter's (TENKAI_VALIDATE=1)."""


@dataclass
class Mismatch:
    """Where and how much a compiled array differs from the interpreter's."""

    index: tuple[int, ...]
    got: Any
    expected: Any
    max_abs: float
    max_rel: float
    nan: bool  # the compiled value is NaN where the interpreter's is not


def compare(got: np.ndarray, expected: np.ndarray, dtype: str) -> Mismatch | None:
    """None when ``got`` matches ``expected`` at ``dtype``'s tolerance (ints and bools exactly;
    NaN positions must agree), else the first mismatch and the error sizes."""
    got, expected = np.asarray(got), np.broadcast_to(np.asarray(expected), np.shape(got))
    if dtype in TOLERANCES:
        g, e = got.astype(np.float64), expected.astype(np.float64)
        rtol, atol = TOLERANCES[dtype]
        finite = np.isfinite(e)
        scale = max(1.0, float(np.abs(e[finite]).max())) if finite.any() else 1.0
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(g - e)
            bad = ~((diff <= atol * scale + rtol * np.abs(e)) | (g == e)
                    | (np.isnan(g) & np.isnan(e)))
            both = np.isfinite(g) & finite
            max_abs = float(diff[both].max()) if both.any() else 0.0
            rel = diff[both] / np.maximum(np.abs(e[both]), np.finfo(np.float64).tiny)
            max_rel = float(rel.max()) if rel.size else 0.0
    else:
        bad = got != expected
        max_abs = float(np.abs(got.astype(np.float64) - expected.astype(np.float64)).max()
                        ) if got.size else 0.0
        max_rel = float("nan")
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(bad)[0]), got.shape))
    g0, e0 = got[index], expected[index]
    nan = bool(dtype in TOLERANCES and np.isnan(g0) and not np.isnan(e0))
    return Mismatch(index, g0.item(), e0.item(), max_abs, max_rel, nan)


@dataclass
class KernelCheck:
    """One kernel output (node, buffer) and the interpreter plan that recomputes it."""

    kernel: str
    ops: list[str]
    node: int
    buffer: str
    plan: Plan
    precision: str | None  # the least precise float dtype the kernel computes in


def least_precise(g: Graph, nodes: list[int]) -> str | None:
    """The float dtype with the loosest tolerance among ``nodes`` and their operands: a
    float64 cast of a float32 convolution in one kernel carries float32 error."""
    floats = {g.dtype(m) for n in nodes for m in [n, *g.operands(n)]} & set(TOLERANCES)
    return max(floats, key=lambda d: TOLERANCES[d][0], default=None)


class Validator:
    """Checks every call of one compiled step; see the module docstring."""

    def __init__(self, fused: Graph, program: Any, info: dict[str, Any]) -> None:
        self.fused = fused
        self.names = value_names(fused)
        buffer_of = {n: b for b, n in info["group_outputs"].items()}
        self.boundary = {self.names[n]: n for n in fused.nodes()
                         if fused.op(n) in ("input", "param")}
        available = set(self.boundary.values())
        self.checks: list[KernelCheck] = []
        for k in program.kernels:
            nodes = info["kernel_nodes"].get(k.name, [])
            precision = least_precise(fused, nodes)
            for n in nodes:  # an output is recomputed from the compiled values before it
                if n in buffer_of:
                    plan = Plan(fused, [n], set(available))
                    self.checks.append(KernelCheck(k.name, list(k.source_ops), n,
                                                   buffer_of[n], plan, precision))
                    available.add(n)

    def check(self, executable: Any, feeds: dict[str, np.ndarray]) -> None:
        """Compare every kernel's outputs, in launch order, after one native call whose feeds
        (taken before the call) are ``feeds``; raises :class:`ValidationError`."""
        env: dict[int, Any] = {n: np.asarray(feeds[name]) for name, n in self.boundary.items()}
        for check in self.checks:
            [want] = check.plan.run(dict(env))
            got = executable.buffer(check.buffer)
            mismatch = compare(got, want, self._tolerance_dtype(check, check.node))
            if mismatch is not None:
                raise ValidationError(self._message(check, check.node, check.buffer,
                                                    mismatch))
            env[check.node] = got

    def _tolerance_dtype(self, check: KernelCheck, n: int) -> str:
        dtype = self.fused.dtype(n)
        if dtype in TOLERANCES and check.precision is not None:
            return check.precision
        return dtype

    def _message(self, check: KernelCheck, n: int, buf: str, m: Mismatch) -> str:
        what = (f"produced NaN at index {m.index} where the interpreter has {m.expected!r}"
                if m.nan else f"first differing index {m.index}: compiled {m.got!r} vs "
                f"interpreter {m.expected!r}")
        dtype = self._tolerance_dtype(check, n)
        tol = (f"{dtype} tolerance: rtol {TOLERANCES[dtype][0]:g}, atol "
               f"{TOLERANCES[dtype][1]:g} x max(1, max|expected|)" if dtype in TOLERANCES
               else f"{dtype}: compared exactly")
        return (f"TENKAI_VALIDATE: kernel {check.kernel} (ops [{', '.join(check.ops)}]) "
                f"differs from the interpreter in its output {self.names[n]} (buffer {buf}):\n"
                f"    {format_node(self.fused, n, self.names)}\n"
                f"  {what}; max abs error {m.max_abs:.3g}, max rel error {m.max_rel:.3g} "
                f"({tol}).\n"
                f"  Every kernel before it matched, and this one was fed their compiled "
                f"values: the bug is in this kernel's lowering or templates. The step's state "
                f"updates were rolled back. See the whole fused graph with "
                f"TENKAI_DUMP_DIR=<dir> (03_fused.txt, 05_kernels.txt).")
