"""Hypothesis strategies for random, well-defined graphs over registry ops of several kernel
classes, for compiled-vs-interpreted tests (``tests/codegen/test_compiled_graphs.py``).

:func:`random_graphs` draws a DAG of 3-25 op steps over float32/float64 values with random
shapes (rank 0-3, dims 1-4 mostly, some 5-33 around vector widths):

* elementwise unary ops and binary ops with broadcasting operands (a drawn value, a new input
  of a broadcast-compatible shape, or a 0-d constant), ``where`` (the condition compares a value
  with a constant, or is a bool input), ``clamp``, ``cast`` between float32 and float64, and the
  step functions (floor, round, sign, ...) on inputs only;
* reductions (sum, mean, max, min, prod, var) over a random axis subset, ``keepdim`` random;
* movement: reshape, permute, expand, slice, pad, ``cat`` of same-shaped-but-one-axis values;
* ``matmul`` with compatible shapes (vectors lifted, 2-D, batched with a broadcast batch), the
  second operand a fitting value or a new ``param``; ``take`` / ``gather`` with constant indices;
* (forward graphs only) ``argmax`` / ``argmin`` sinks.

Every value carries an interval that holds all its elements (interval arithmetic over the
ops); an op with a restricted domain gets an operand that fits: log/sqrt/rsqrt/reciprocal/div
read ``|x| + 0.5``, exp/sin/pow read values rescaled to a few units, products stay below ~1e4.
So functions are well-defined and well-conditioned, and float32 compiled code can be compared
with the interpreter at a relative tolerance. Every sink is a graph output (nothing is dead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

import tenkai.ir as ir
from tenkai.ir.dtypes import to_numpy

FLOATS = ("float32", "float64")
BIG = 1e4  # no value's magnitude bound grows past this: ops that would, rescale first
Interval = tuple[float, float]

UNARY_ANY = ("neg", "abs", "relu", "tanh", "sigmoid", "erf")
UNARY_EXP = ("exp", "expm1", "sin", "cos")  # operands rescaled to |x| <= SMALL
UNARY_POS = ("log", "log1p", "sqrt", "rsqrt", "reciprocal")  # operands >= 0.5
STEP_OPS = ("floor", "ceil", "round", "trunc", "sign")  # on inputs only (no near-ties)
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "pow")
REDUCE = ("sum", "mean", "max", "min", "prod", "var")
SMALL = 3.0
# dims: mostly tiny; sometimes around vector widths (remainder loops), odd sizes, and one
# big enough that a rank-3 loop nest is split across the thread pool
DIMS = (1, 2, 3, 4, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 1, 2, 3, 4, 130)

# kinds of step, with their weights
STEPS = (["unary"] * 4 + ["binary"] * 4 + ["reduce"] * 3 + ["movement"] * 3 + ["matmul"] * 2
         + ["cast", "where", "clamp", "cat", "index", "step"])


@dataclass
class GraphCase:
    """A drawn graph, the interval each input's values are drawn from and a feed seed."""

    graph: ir.Graph
    domains: dict[str, Interval]
    seed: int
    float_outputs: list[int] = field(default_factory=list)  # output nodes of float dtype

    def feeds(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Values for every input/param (uniform in its interval; bools half true)."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        g, out = self.graph, {}
        for n in sorted(g.inputs + g.params):
            name, shape, dt = g.node_name(n), g.shape(n), g.dtype(n)
            if dt == "bool":
                out[name] = np.asarray(rng.random(shape) < 0.5)
            else:
                lo, hi = self.domains[name]
                out[name] = np.asarray(rng.uniform(lo, hi, shape), dtype=to_numpy(dt))
        return out

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        doms = ", ".join(f"{k}: [{lo:g}, {hi:g}]" for k, (lo, hi) in self.domains.items())
        return f"GraphCase(seed={self.seed}, domains={{{doms}}})\n{self.graph.dump()}"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' printer
        p.text(repr(self))


class _Drawer:
    """Builds one random graph; ``iv`` is the value interval of every float node."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.g = ir.Graph("random")
        self.iv: dict[int, Interval] = {}
        self.domains: dict[str, Interval] = {}
        self.vals: list[int] = []  # float values usable as operands
        self.raw: list[int] = []  # input nodes (exact values: safe for step functions)

    # ------------------------------------------------------------ helpers
    def pick(self, choices: Any) -> Any:
        return self.draw(st.sampled_from(list(choices)))

    def add(self, op: str, ins: list[int], iv: Interval | None = None, **attrs: Any) -> int:
        n = self.g.add(op, ins, **attrs)
        if iv is not None:
            lo, hi = iv
            self.iv[n] = (float(lo), float(hi))
        return n

    def shape(self, n: int) -> tuple[int, ...]:
        return self.g.shape(n)

    def dtype(self, n: int) -> str:
        return self.g.dtype(n)

    def bound(self, n: int) -> float:
        lo, hi = self.iv[n]
        return max(abs(lo), abs(hi))

    def new_input(self, shape: tuple[int, ...], dtype: str, param: bool = False,
                  domain: Interval | None = None) -> int:
        k = len(self.domains)
        name = f"p{k}" if param else f"x{k}"
        lo, hi = domain or self.pick([(-2.0, 2.0), (-1.0, 1.0), (0.5, 2.0), (-3.0, -0.5)])
        n = self.add("param" if param else "input", [], (lo, hi), shape=tuple(shape),
                     dtype=dtype, name=name)
        self.domains[name] = (lo, hi)
        self.vals.append(n)
        self.raw.append(n)
        return n

    def const(self, value: float, dtype: str) -> int:
        return self.add("full", [], (value, value), shape=(), value=float(value), dtype=dtype)

    def draw_shape(self, max_rank: int = 3) -> tuple[int, ...]:
        rank = self.draw(st.integers(0, max_rank))
        return tuple(self.pick(DIMS) for _ in range(rank))

    def scaled(self, x: int, limit: float) -> int:
        """``x``, or ``x * (limit / bound)`` when its values may exceed ``limit``."""
        b = self.bound(x)
        if b <= limit:
            return x
        s = limit / b
        lo, hi = self.iv[x]
        return self.add("mul", [x, self.const(s, self.dtype(x))], (lo * s, hi * s))

    def positive(self, x: int) -> int:
        """``x`` when all its values are >= 0.5, else ``|x| + 0.5``."""
        if self.iv[x][0] >= 0.5:
            return x
        a = self.add("abs", [x], (0.0, self.bound(x)))
        return self.add("add", [a, self.const(0.5, self.dtype(x))], (0.5, self.bound(x) + 0.5))

    def like_dtype(self, y: int, dtype: str) -> int:
        if self.dtype(y) == dtype:
            return y
        return self.add("cast", [y], self.iv[y], dtype=dtype)

    def broadcast_partner(self, x: int) -> int:
        """A float value whose shape broadcasts with ``x``'s: a drawn value, a new input, or a
        0-d constant."""
        sx = self.shape(x)
        fits = [v for v in self.vals if _broadcastable(self.shape(v), sx)]
        how = self.pick(["value", "value", "input", "const"])
        if how == "value" and fits:
            return self.like_dtype(self.pick(fits), self.dtype(x))
        if how == "const":
            v = self.pick([0.5, 1.5, -2.0])
            return self.const(v, self.dtype(x))
        drop = self.draw(st.integers(0, len(sx)))
        shape = tuple(1 if self.draw(st.booleans()) else d for d in sx[drop:])
        if self.draw(st.integers(0, 4)) == 0:  # sometimes the partner is the bigger one
            shape = (self.draw(st.integers(1, 3)), *sx)
        return self.new_input(shape, self.dtype(x))

    # ------------------------------------------------------------ steps
    def step(self) -> None:
        kind = self.pick(STEPS)
        recent = self.draw(st.booleans())  # half the time extend one of the newest values:
        x = self.pick(self.vals[-3:] if recent else self.vals)  # deeper chains, fewer sinks
        getattr(self, f"_{kind}")(x)

    def _unary(self, x: int) -> None:
        op = self.pick(UNARY_ANY + UNARY_EXP + UNARY_POS)
        lo, hi = self.iv[x]
        if op in UNARY_POS:
            x = self.positive(x)
            lo, hi = self.iv[x]
            f = {"log": math.log, "log1p": math.log1p, "sqrt": math.sqrt,
                 "rsqrt": lambda v: 1 / math.sqrt(v), "reciprocal": lambda v: 1 / v}[op]
            a, b = f(lo), f(hi)
            iv = (min(a, b), max(a, b))
        elif op in UNARY_EXP:
            x = self.scaled(x, SMALL)
            lo, hi = self.iv[x]
            iv = {"exp": (math.exp(lo), math.exp(hi)), "expm1": (math.expm1(lo), math.expm1(hi)),
                  "sin": (-1.0, 1.0), "cos": (-1.0, 1.0)}[op]
        else:
            b = max(abs(lo), abs(hi))
            iv = {"neg": (-hi, lo * -1), "abs": (0.0, b), "relu": (max(lo, 0.0), max(hi, 0.0)),
                  "tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "erf": (-1.0, 1.0)}[op]
        self.vals.append(self.add(op, [x], iv))

    def _step(self, x: int) -> None:
        x = self.pick(self.raw)
        op = self.pick(STEP_OPS)
        lo, hi = self.iv[x]
        iv = (-1.0, 1.0) if op == "sign" else (math.floor(lo) - 1.0, math.ceil(hi) + 1.0)
        self.vals.append(self.add(op, [x], iv))

    def _binary(self, x: int) -> None:
        op = self.pick(BINARY)
        y = self.broadcast_partner(x)
        if self.draw(st.booleans()) and op not in ("div", "pow"):
            x, y = y, x
        if op == "div":
            y = self.positive(y)
            if self.draw(st.booleans()):  # negative divisors too
                y = self.add("neg", [y], (-self.iv[y][1], -self.iv[y][0]))
        if op == "pow":
            x = self.scaled(self.positive(x), 4.0)
            if self.iv[x][0] < 0.5:  # rescaling moved it towards 0: lift it again
                x = self.positive(x)
            y = self.scaled(y, 2.0)
        if op == "mul":
            x, y = self.scaled(x, 100.0), self.scaled(y, 100.0)
        (a, b), (c, d) = self.iv[x], self.iv[y]
        if op in ("add", "sub"):
            iv = (a + c, b + d) if op == "add" else (a - d, b - c)
        elif op in ("mul", "div", "pow"):
            if op == "div":
                c, d = 1 / d, 1 / c
            ends = [a**c, a**d, b**c, b**d] if op == "pow" else [a * c, a * d, b * c, b * d]
            iv = (min(ends), max(ends))
        elif op == "maximum":
            iv = (max(a, c), max(b, d))
        else:
            iv = (min(a, c), min(b, d))
        out = self.add(op, [x, y], iv)
        self.vals.append(out if self.bound(out) <= BIG else self.scaled(out, BIG))

    def _reduce(self, x: int) -> None:
        sx = self.shape(x)
        op = self.pick(REDUCE)
        axes = tuple(sorted(self.draw(st.sets(st.integers(0, len(sx) - 1), max_size=len(sx)))
                            if sx else ()))
        count = int(np.prod([sx[a] for a in axes])) if sx else 1
        keepdim = self.draw(st.booleans())
        lo, hi = self.iv[x]
        attrs: dict[str, Any] = {"axes": axes, "keepdim": keepdim}
        if op == "var":
            correction = self.pick([0, 1])
            if count <= correction:
                correction = 0
            attrs["correction"] = correction
            iv = (0.0, (hi - lo) ** 2 * count / max(count - correction, 1))
        elif op == "prod":  # |x| <= 1.5 over a few elements, else <= 1 (tiny products)
            x = self.scaled(x, 1.5 if count <= 16 else 1.0)
            b = self.bound(x) ** min(count, 16)
            iv = (-b, b)
        elif op == "sum":
            iv = (min(lo * count, lo), max(hi * count, hi))
        else:
            iv = (lo, hi)
        out = self.add(op, [x], iv, **attrs)
        self.vals.append(out if self.bound(out) <= BIG else self.scaled(out, BIG))

    def _movement(self, x: int) -> None:
        sx = self.shape(x)
        # pad of a 0-d value: the reference (np.pad) rejects pads=() although the shape rule
        # accepts it; not what this strategy is after
        op = self.pick(["reshape", "permute", "expand", "slice", "pad"] if sx else
                       ["reshape", "expand"])
        iv = self.iv[x]
        if op == "reshape":
            shape = _factor(self.draw, int(np.prod(sx)))
            out = self.add("reshape", [x], iv, shape=shape)
        elif op == "permute":
            dims = tuple(self.draw(st.permutations(range(len(sx)))))
            out = self.add("permute", [x], iv, dims=dims)
        elif op == "expand":
            lead = tuple(self.draw(st.integers(1, 3)) for _ in range(self.draw(st.integers(0, 1))))
            shape = lead + tuple(self.draw(st.integers(1, 3)) if d == 1 else d for d in sx)
            out = self.add("expand", [x], iv, shape=shape)
        elif op == "slice":
            starts, stops, steps = [], [], []
            for d in sx:
                a = self.draw(st.integers(0, d - 1))
                o = self.draw(st.integers(a + 1, d))
                starts.append(a)
                stops.append(o)
                steps.append(self.draw(st.integers(1, 2)))
            out = self.add("slice", [x], iv, starts=tuple(starts), stops=tuple(stops),
                           steps=tuple(steps))
        else:
            pads = tuple((self.draw(st.integers(0, 2)), self.draw(st.integers(0, 1))) for _ in sx)
            value = self.pick([0.0, 1.0])
            out = self.add("pad", [x], (min(iv[0], value), max(iv[1], value)), pads=pads,
                           value=value)
        self.vals.append(out)

    def _matmul(self, x: int) -> None:
        sx, dt = self.shape(x), self.dtype(x)
        if len(sx) < 2:  # IR matmul takes rank >= 2 (the frontend lifts vectors)
            sx = (1, *sx) if sx else (1, 1)
            x = self.add("reshape", [x], self.iv[x], shape=sx)
        k, batch = sx[-1], sx[:-2]
        x = self.scaled(x, 10.0)
        fits = [v for v in self.vals if 2 <= len(self.shape(v)) <= 3
                and self.shape(v)[-2] == k and _broadcastable(self.shape(v)[:-2], batch)]
        if fits and self.draw(st.booleans()):
            y = self.like_dtype(self.pick(fits), dt)
        else:
            shape: tuple[int, ...] = (k, self.draw(st.integers(1, 4)))
            if self.draw(st.integers(0, 3)) == 0:  # a batched weight, broadcast against x
                shape = (self.pick([1, *batch[-1:]]), *shape)
            y = self.new_input(shape, dt, param=self.draw(st.booleans()))
        y = self.scaled(y, 10.0)
        b = k * self.bound(x) * self.bound(y)
        out = self.add("matmul", [x, y], (-b, b))
        self.vals.append(out if b <= BIG else self.scaled(out, BIG))

    def _cast(self, x: int) -> None:
        other = "float64" if self.dtype(x) == "float32" else "float32"
        self.vals.append(self.add("cast", [x], self.iv[x], dtype=other))

    def _where(self, x: int) -> None:
        y = self.broadcast_partner(x)
        if self.draw(st.booleans()):
            src = self.pick(self.vals)
            lo, hi = self.iv[src]
            t = self.const(lo + (hi - lo) * self.pick([0.3, 0.5, 0.7]), self.dtype(src))
            cond = self.add(self.pick(["gt", "lt", "ge", "le"]), [src, t])
        else:
            shape = self.shape(x)[self.draw(st.integers(0, len(self.shape(x)))):]
            k = len(self.domains)
            cond = self.add("input", [], shape=shape, dtype="bool", name=f"m{k}")
            self.domains[f"m{k}"] = (0.0, 1.0)
        if not _broadcastable(self.shape(cond), np.broadcast_shapes(self.shape(x),
                                                                    self.shape(y))):
            cond = self.add("full", [], shape=(), value=True, dtype="bool")
        (a, b), (c, d) = self.iv[x], self.iv[y]
        self.vals.append(self.add("where", [cond, x, y], (min(a, c), max(b, d))))

    def _clamp(self, x: int) -> None:
        lo, hi = self.iv[x]
        mid = (lo + hi) / 2
        cmin = self.pick([None, lo + (mid - lo) * 0.5])
        cmax = self.pick([None, mid + (hi - mid) * 0.5])
        iv = (lo if cmin is None else max(lo, cmin), hi if cmax is None else min(hi, cmax))
        self.vals.append(self.add("clamp", [x], iv, min=cmin, max=cmax))

    def _cat(self, x: int) -> None:
        sx, dt = self.shape(x), self.dtype(x)
        if not sx:
            x = self.add("reshape", [x], self.iv[x], shape=(1,))
            sx = (1,)
        axis = self.draw(st.integers(0, len(sx) - 1))
        same = [v for v in self.vals if self.dtype(v) == dt and len(self.shape(v)) == len(sx)
                and all(a == b for i, (a, b) in enumerate(zip(self.shape(v), sx, strict=True))
                        if i != axis)]
        parts = [x]
        for _ in range(self.draw(st.integers(1, 2))):
            if same and self.draw(st.booleans()):
                parts.append(self.pick(same))
            else:
                shape = tuple(self.draw(st.integers(1, 3)) if i == axis else d
                              for i, d in enumerate(sx))
                parts.append(self.new_input(shape, dt))
        parts = list(self.draw(st.permutations(parts)))
        iv = (min(self.iv[p][0] for p in parts), max(self.iv[p][1] for p in parts))
        self.vals.append(self.add("cat", parts, iv, axis=axis))

    def _index(self, x: int) -> None:
        sx = self.shape(x)
        if not sx:
            return
        axis = self.draw(st.integers(0, len(sx) - 1))
        size = sx[axis]
        if self.draw(st.booleans()):
            ishape = self.draw_shape(max_rank=2)
            idx = self.draw(st.lists(st.integers(-size, size - 1), min_size=int(np.prod(ishape)),
                                     max_size=int(np.prod(ishape))))
            value = np.asarray(idx, dtype=np.int64).reshape(ishape)
            out = self.add("take", [x, self.g.add("const", value=value)], self.iv[x], axis=axis)
        else:
            ishape = tuple(self.draw(st.integers(1, 3)) if i == axis else
                           self.draw(st.integers(1, d)) for i, d in enumerate(sx))
            n = int(np.prod(ishape))
            idx = self.draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
            value = np.asarray(idx, dtype=np.int64).reshape(ishape)
            out = self.add("gather", [x, self.g.add("const", value=value)], self.iv[x],
                           axis=axis, bounds="index")  # negatives wrap, as in x[idx]
        self.vals.append(out)

    def argmax_sink(self) -> None:
        x = self.pick(self.vals)
        sx = self.shape(x)
        axis = self.draw(st.integers(0, len(sx) - 1)) if sx else 0
        self.add(self.pick(["argmax", "argmin"]), [x], axis=axis, keepdim=self.draw(st.booleans()))


def _broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(a[::-1], b[::-1], strict=False))


def _factor(draw: Any, n: int) -> tuple[int, ...]:
    """A random shape with ``n`` elements (rank 0-4, ones allowed)."""
    dims: list[int] = []
    rest = n
    for _ in range(draw(st.integers(0, 3))):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        dims.append(d)
        rest //= d
    if rest != 1 or not dims and n != 1:
        dims.append(rest)
    return tuple(draw(st.permutations(dims)))


@st.composite
def random_graphs(draw: Any, min_steps: int = 3, max_steps: int = 25,
                  differentiable: bool = False, writes: bool = False) -> GraphCase:
    """A random well-defined graph (see the module docstring). With ``differentiable``, no
    argmax sinks (everything float is on a differentiable path); with ``writes``, some
    outputs update params in place (:func:`add_writes`)."""
    d = _Drawer(draw)
    for _ in range(draw(st.integers(1, 2))):
        d.new_input(d.draw_shape(), d.pick(FLOATS), param=draw(st.booleans()))
    for _ in range(draw(st.integers(min_steps, max_steps))):
        d.step()
    if not differentiable and draw(st.integers(0, 3)) == 0:
        d.argmax_sink()
    g = d.g
    floats = []
    for n in g.topo_order():
        if g.op(n) in ("input", "param") or g.users(n):
            continue
        if g.op(n) in ("full", "const"):
            continue
        out = g.add_output(n)
        if g.dtype(n) in FLOATS:
            floats.append(out)
    if not floats:  # only inputs: output the last value
        floats.append(g.add_output(d.vals[-1]))
    if writes:
        add_writes(draw, g)
    return GraphCase(g, d.domains, draw(st.integers(0, 2**31 - 1)), floats)


def add_writes(draw: Any, g: ir.Graph) -> None:
    """Make some outputs state updates (``meta["writes"]``): an output with a param's shape
    and dtype becomes that param's new value, written in place when lowering finds it safe
    (every read of the param in the step must still see the old value)."""
    writes: dict[int, str] = dict(g.meta.get("writes", {}))
    taken = set(writes.values())
    for o in g.outputs:
        src = g.operands(o)[0]
        index = g.attrs(o)["index"]
        if g.op(src) in ("input", "param") or index in writes:
            continue
        fits = [p for p in g.params if g.node_name(p) not in taken
                and (g.shape(p), g.dtype(p)) == (g.shape(src), g.dtype(src))]
        if fits and draw(st.booleans()):
            name = g.node_name(draw(st.sampled_from(fits)))
            writes[index] = name
            taken.add(name)
    if writes:
        g.meta["writes"] = writes
