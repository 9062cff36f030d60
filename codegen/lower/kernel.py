"""The per-group kernel builder: loop nests, memoized scalar values, views and stages.

A group's nodes are either *inlined* (elementwise, movement, gathers, random, sources: their
value at given coordinates is an expression, computed where it is used) or *materialized*
(stored into a buffer by a *stage*: a group output, a reduction, a matmul, a window op, a
scatter). :meth:`KernelBuilder.value_at` is the one entry point that turns "node ``n`` at
coordinates ``coords``" into a kernel-IR expression: a ``Load`` for materialized nodes, the
op's inline rule (see :mod:`tenkai.codegen.lower.inline`) otherwise, bound once per loop body
with a ``Let`` named after the node.

The builder knows the program being lowered only through the :class:`Lowering` interface
(buffers, index checks, error codes, the inline rules and the target), which
:class:`tenkai.codegen.lower.program.ProgramLowering` implements; the stage and inline
modules import this one, never the program driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from tenkai.codegen.kir.index import IndexAlgebra, c64, contiguous_strides
from tenkai.codegen.kir.nodes import (
    Check,
    Const,
    Expr,
    If,
    Let,
    Load,
    Loop,
    Reduce,
    Stmt,
    Store,
    Var,
    scalar,
)
from tenkai.codegen.target import Target
from tenkai.ir import index_rules
from tenkai.ir.graph import Graph

InlineRule = Callable[["KernelBuilder", int, tuple[Expr, ...]], Expr]


class Lowering(Protocol):
    """What a kernel builder (and the stages it runs) needs from the program being lowered."""

    g: Graph
    target: Target
    inline_rules: Mapping[str, InlineRule]  # op -> value at coordinates (lower/inline.py)
    node_buf: dict[int, str]  # materialized nodes -> their program buffer
    inline_sources: set[int]  # sources computed where used (full, arange, scalar const)
    checked: set[Any]  # index checks done in full by an earlier kernel
    checked_here: set[Any]  # ... by the kernel being built

    def error_code(self, message: str, kind: str = "IndexError") -> int: ...

    def local_scratch(self, kb: KernelBuilder, n: int) -> str: ...

    def scratch(self, base: str, shape: tuple[int, ...], dtype: str) -> str: ...

    def scratch_room(self) -> int | None:
        """The largest free run of arena bytes at the kernel being built (None: unplanned)."""
        ...


@dataclass(frozen=True)
class View:
    """A strided view of a buffer: element ``coords`` is ``buf[offset + sum(c * stride)]``."""

    buf: str
    offset: int
    strides: tuple[int, ...]


class KernelBuilder:
    """Builds the body of one kernel; see the module docstring."""

    def __init__(self, lowering: Lowering, nodes: Sequence[int], name: str) -> None:
        self.lowering = lowering
        self.g: Graph = lowering.g
        self.target: Target = lowering.target
        self.nodes = set(nodes)
        self.name = name
        self.idx = IndexAlgebra()
        self.root: list[Stmt] = []
        self._bodies: list[list[Stmt]] = [self.root]
        self._memo: list[dict[Any, Expr]] = [{}]
        self._names: set[str] = set()
        self.stored: dict[int, str] = {}  # nodes this kernel has written to a buffer
        self.co_stores: list[tuple[int, str]] = []  # see lower_stages.co_store
        self.epilogue: dict[int, str] = {}  # see define
        self.keep_stage_output = True  # see define

    # ------------------------------------------------------------ bodies and names
    def emit(self, stmt: Stmt) -> None:
        self._bodies[-1].append(stmt)

    def fresh(self, base: str) -> str:
        """A name unique within this kernel."""
        name, k = base, 0
        while name in self._names:
            k += 1
            name = f"{base}.{k}"
        self._names.add(name)
        return name

    def let(self, base: str, value: Expr) -> Expr:
        """Bind ``value`` (unless trivial) and return the variable."""
        if isinstance(value, (Const, Var)):
            return value
        name = self.fresh(base)
        self.emit(Let(name, value))
        return Var(name, value.dtype)

    @contextmanager
    def _scope(self, body: list[Stmt]) -> Iterator[None]:
        self._bodies.append(body)
        self._memo.append({})
        try:
            yield
        finally:
            self._bodies.pop()
            self._memo.pop()

    @contextmanager
    def loops(self, extents: Sequence[int], parallel: bool = False) -> Iterator[list[Expr]]:
        """Open a loop nest over ``extents``; yields the coordinates (Const 0 for size-1 dims).

        ``parallel``: every iteration of every loop of this nest is independent of the others
        (how many of them run concurrently is the target's choice: the CPU outlines the
        outermost into thread-pool chunks). With a zero extent the body is built but dropped:
        it never runs.
        """
        coords: list[Expr] = []
        depth = 0
        if any(d == 0 for d in extents):
            self._bodies.append([])
            self._memo.append({})
            depth += 1
        for d in extents:
            if d == 1:
                coords.append(c64(0))
                continue
            var = self.fresh("i")
            coords.append(self.idx.declare(var, d))
            loop = Loop(var, d, [], parallel=parallel)
            self.emit(loop)
            self._bodies.append(loop.body)
            self._memo.append({})
            depth += 1
        try:
            yield coords
        finally:
            for _ in range(depth):
                self._bodies.pop()
                self._memo.pop()

    @contextmanager
    def reduce(self, base: str, dtype: str, op: str, identity: Const) -> Iterator[Var]:
        """A ``Reduce`` of accumulator ``base`` (a fresh name): statements emitted inside (the
        loops over the reduced axes and their ``AccUpdate(acc, op, value)``) form its body;
        the yielded variable reads the result after the block."""
        acc = Var(self.fresh(base), dtype)
        stmt = Reduce(acc.name, dtype, op, identity, [])
        self.emit(stmt)
        with self._scope(stmt.body):  # values bound inside stay inside (a GPU splits the body)
            yield acc

    @contextmanager
    def guard(self, cond: Expr) -> Iterator[None]:
        """Statements emitted inside run only where ``cond`` holds."""
        if isinstance(cond, Const) and cond.value:
            yield
            return
        stmt = If(cond, [])
        self.emit(stmt)
        with self._scope(stmt.body):
            yield

    # ------------------------------------------------------------ values
    def buffer_of(self, n: int) -> str | None:
        """The buffer holding node ``n``'s value, if it is materialized."""
        return self.stored.get(n) or self.lowering.node_buf.get(n)

    def value_at(self, n: int, coords: Sequence[Expr]) -> Expr:
        """Node ``n``'s value at ``coords`` (one coordinate per dimension of ``n``)."""
        coords = tuple(coords)
        buf = self.buffer_of(n)
        if buf is not None:
            return Load(buf, self.idx.flat(coords, self.g.shape(n)), self.g.dtype(n))
        key = (n, coords)
        for memo in reversed(self._memo):
            if key in memo:
                return memo[key]
        if n not in self.nodes and n not in self.lowering.inline_sources:
            raise AssertionError(f"lower: node {n} ({self.g.op(n)}) is read by kernel "
                                 f"{self.name} but is neither materialized nor in its group")
        rule = self.lowering.inline_rules.get(self.g.op(n))
        if rule is None:  # a stage op read before it was stored: materialize it first
            view = self.operand_view(n)
            return Load(view.buf, self.idx.dot(coords, view.strides, view.offset),
                        self.g.dtype(n))
        value = rule(self, n, coords)
        result = self.let(f"n{n}_{self.g.op(n)}", value) if _is_compute(value) else value
        self._memo[-1][key] = result
        return result

    def operand_coords(self, coords: Sequence[Expr], out_shape: Sequence[int],
                       shape: Sequence[int]) -> tuple[Expr, ...]:
        """Broadcast ``coords`` of ``out_shape`` down to an operand of ``shape``."""
        lead = len(out_shape) - len(shape)
        return tuple(c64(0) if d == 1 else coords[lead + i] for i, d in enumerate(shape))

    def check_index(self, raw: Expr, size: int, n: int, axis: int, full: bool) -> Expr:
        """Node ``n``'s index ``raw`` into a dimension of ``size``: checked under the rule of
        its ``bounds`` attr (ir/index_rules.py: wrap negatives or reject them), clamped for
        memory safety. ``full``: this kernel visits every element of the index operand, so a
        later kernel reading the same index needs no check of its own (it runs only when
        this one passed: the step returns at the first failed check)."""
        bounds = self.g.attrs(n)["bounds"]
        rule = index_rules.rule(bounds)
        idx_node = self.g.operands(n)[1]
        key = (idx_node, size, rule.wrap)
        i = raw if raw.dtype == "int64" else scalar("cast", (raw,), "int64", {"dtype": "int64"})
        i = self.let("idx", i)
        if rule.wrap:
            neg = scalar("lt", (i, c64(0)), "bool")
            i = self.let("idx", scalar("where", (neg, self.idx.add(i, size), i), "int64"))
        if key not in self.lowering.checked:
            self._emit_checks(raw, i, size, n, axis, bounds)
            if full:
                self.lowering.checked_here.add(key)
        return self.let("idx", self.idx.clamp(i, 0, max(size - 1, 0)))

    def _emit_checks(self, raw: Expr, i: Expr, size: int, n: int, axis: int,
                     bounds: str) -> None:
        """One Check per message (one_hot words negative values differently)."""
        rule, loc = index_rules.rule(bounds), self.g.loc(n)
        value = raw if raw.dtype == "int64" else scalar("cast", (raw,), "int64",
                                                        {"dtype": "int64"})
        low = scalar("ge", (i, c64(0)), "bool")
        high = scalar("lt", (i, c64(size)), "bool")
        kind = "IndexError" if issubclass(rule.error, IndexError) else "RuntimeError"
        split = rule.negative_message is not None and not rule.wrap
        tests = [(low, True), (high, False)] if split else [
            (scalar("logical_and", (low, high), "bool"), False)]
        for ok, negative in tests:
            text = index_rules.template(bounds, size, axis, loc, negative)
            self.emit(Check(ok, self.lowering.error_code(text, kind), value))

    # ------------------------------------------------------------ views
    def view_of(self, n: int) -> View | None:
        """``n`` as a strided view of a buffer (through movement ops), or None."""
        buf = self.buffer_of(n)
        if buf is not None:
            return View(buf, 0, contiguous_strides(self.g.shape(n)))
        if n not in self.nodes:
            return None
        op, attrs = self.g.op(n), self.g.attrs(n)
        if op not in ("reshape", "permute", "expand", "slice"):
            return None
        x = self.g.operands(n)[0]
        base = self.view_of(x)
        if base is None:
            return None
        return _view_rule(op, base, self.g.shape(x), self.g.shape(n), attrs)

    def operand_view(self, n: int) -> View:
        """A strided view of ``n``, materializing it into kernel scratch when it has none."""
        view = self.view_of(n)
        if view is not None:
            return view
        buf = self.lowering.local_scratch(self, n)
        self.store_nodes([n], {n: buf})
        return View(buf, 0, contiguous_strides(self.g.shape(n)))

    # ------------------------------------------------------------ stages
    def define(self, n: int, buf: str, coords: Sequence[Expr], value: Expr) -> None:
        """Stage ``n``'s final ``value`` at ``coords``: stored into ``buf``, and, when the
        program handed the stage an epilogue (``self.epilogue``: elementwise nodes of ``n``'s
        shape computed from ``n`` and values already available, each with its buffer), their
        values at ``coords`` stored there too, in the same pass. ``buf`` itself is skipped
        when nothing else reads ``n`` (``self.keep_stage_output`` False). A stage that calls
        this more than once for an element must do so in loop nests that run one after the
        other, the last one final."""
        shape = self.g.shape(n)
        coords = tuple(c64(0) if d == 1 else c for c, d in zip(coords, shape, strict=True))
        index = self.idx.flat(coords, shape)
        if not self.epilogue:
            self.emit(Store(buf, index, value))
            return
        v = self.let(f"n{n}_{self.g.op(n)}", value)
        self._memo[-1][(n, coords)] = v
        if self.keep_stage_output:
            self.emit(Store(buf, index, v))
        values = [self.let(f"n{m}_out", self.value_at(m, coords)) for m in self.epilogue]
        for m, out in zip(self.epilogue, values, strict=True):
            self.emit(Store(self.epilogue[m], index, out))

    def store_nodes(self, nodes: Sequence[int], bufs: dict[int, str]) -> None:
        """One loop nest over the (shared) shape of ``nodes`` storing each into its buffer.

        Every value is computed before any store, so a node may be stored in place over a
        buffer that the same iteration reads.
        """
        shape = self.g.shape(nodes[0])
        with self.loops(shape, parallel=True) as coords:
            values = [self.let(f"n{n}_out", self.value_at(n, coords)) for n in nodes]
            index = self.idx.flat(coords, shape)
            for n, v in zip(nodes, values, strict=True):
                self.emit(Store(bufs[n], index, v))
        for n in nodes:
            self.stored[n] = bufs[n]


def _is_compute(e: Expr) -> bool:
    return not isinstance(e, (Const, Var, Load))


def _view_rule(op: str, base: View, in_shape: tuple[int, ...], out_shape: tuple[int, ...],
               attrs: dict[str, Any]) -> View | None:
    if op == "permute":
        return View(base.buf, base.offset, tuple(base.strides[d] for d in attrs["dims"]))
    if op == "expand":
        lead = len(out_shape) - len(in_shape)
        kept = [0 if d == 1 and o != 1 else s
                for d, o, s in zip(in_shape, out_shape[lead:], base.strides, strict=True)]
        return View(base.buf, base.offset, (0,) * lead + tuple(kept))
    if op == "slice":
        offset = base.offset + sum(a * s for a, s in zip(attrs["starts"], base.strides,
                                                         strict=True))
        steps = tuple(s * st for s, st in zip(base.strides, attrs["steps"], strict=True))
        return View(base.buf, offset, steps)
    new = reshape_strides(in_shape, base.strides, out_shape)
    return None if new is None else View(base.buf, base.offset, new)


def reshape_strides(old: Sequence[int], strides: Sequence[int],
                    new: Sequence[int]) -> tuple[int, ...] | None:
    """Strides of ``new`` viewing the same elements as (old, strides) without a copy, or None
    (numpy's ``_attempt_nocopy_reshape``)."""
    if 0 in old:
        return contiguous_strides(new)
    old_dims = [(d, s) for d, s in zip(old, strides, strict=True) if d != 1]
    out: list[int] = []
    oi = 0
    ni = 0
    new_nz = [d for d in new]
    while ni < len(new_nz):
        if new_nz[ni] == 1:
            out.append(0)
            ni += 1
            continue
        if oi >= len(old_dims):
            return None
        # grow a block of old dims and new dims with the same element count
        np_, op_ = new_nz[ni], old_dims[oi][0]
        nj, oj = ni, oi
        while np_ != op_:
            if np_ < op_:
                nj += 1
                np_ *= new_nz[nj]
            else:
                oj += 1
                op_ *= old_dims[oj][0]
        for k in range(oi, oj):  # the old block must be contiguous in itself
            if old_dims[k][1] != old_dims[k + 1][0] * old_dims[k + 1][1]:
                return None
        step = old_dims[oj][1]
        block = []
        for k in range(nj, ni - 1, -1):
            block.append(step)
            step *= new_nz[k]
        out.extend(reversed(block))
        ni, oi = nj + 1, oj + 1
    return tuple(out)
