"""Whole-step tracing: run a function eagerly while recording every op into one ``ir.Graph``.

While a :class:`Tracer` is active, every eager op (``_ops.apply``), every in-place update and
every backward pass is also appended to the tracer's graph. Values are identified by their
numpy buffer (``id(tensor._data)``), so detached tensors, re-wrapped autograd values and
in-place updates all resolve to the right graph node:

* the traced function's tensor arguments become ``input`` nodes (``arg0``, ``arg1``, ...);
* tensors that existed before tracing (parameters, buffers, gradients, optimizer state)
  become ``param`` nodes bound to the live tensor;
* scalar constants become ``const`` nodes; learning rates become ``input`` nodes
  (:class:`TracedScalar`), random seeds/offsets become ``input`` nodes refilled per call;
* an in-place update of captured state becomes a graph output written back to it.

Escapes of traced values into Python (``.item()``, ``bool()``...), Python-side randomness
and in-place writes to captured tensors that are not model/optimizer state are collected as
:class:`Site` records for the untraceable report.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenkai.ir import Graph
from tenkai.ir.dtypes import from_numpy

# bumped whenever a module forward/backward hook is added or removed: compiled steps that
# called modules guard on it (the hooks' effect is traced into the step)
HOOKS_VERSION = [0]


class _Local(threading.local):
    tracer: Tracer | None = None  # the tracer recording on this thread right now, if any


_LOCAL = _Local()


def active() -> Tracer | None:
    """The tracer recording on the calling thread, if any (tracing is per thread: eager work
    on other threads is never recorded into it)."""
    return _LOCAL.tracer


def set_active(tracer: Tracer | None) -> None:
    """Start (a tracer) or stop (``None``) recording on the calling thread."""
    _LOCAL.tracer = tracer


# Native eager kernels that a trace's eager ops would have had generated (none in this process
# or on disk): a trace runs each op once or twice before the step runs compiled, so generating
# a kernel (~0.1 s of LLVM each) there only delays the first compiled step; the op runs on its
# numpy reference instead (the oracle), where that is cheap (``_native_kernels.DEFERRABLE``).
# Counted so that the eager dispatch's caches (per signature) do not keep that choice for the
# eager ops run after the trace.
DEFERRED_KERNELS = [0]


def deferred_since(count: int) -> bool:
    """Whether a native eager kernel was deferred since :data:`DEFERRED_KERNELS` read
    ``count`` (a dispatch that saw one must not cache its choice)."""
    return DEFERRED_KERNELS[0] != count

def without_profile_hook(tracer: Tracer, run: Any, *args: Any, **kwargs: Any) -> Any:
    """``run(*args, **kwargs)`` with the side-effect watcher's profile hook off: for tenkai's
    own work that calls no user code (an eager op's dispatch), whose every call and return
    would otherwise go through the hook (about 0.7 us each: half of a small step's trace).
    The watcher ignores events in tenkai's frames anyway, so it sees the same effects."""
    hook, tracer.profile_hook = tracer.profile_hook, None
    sys.setprofile(None)
    try:
        return run(*args, **kwargs)
    finally:
        tracer.profile_hook = hook
        sys.setprofile(hook)


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIRS = tuple(os.path.join(_ROOT, d) + os.sep for d in ("frontend", "ir", "codegen",
                                                                 "runtime"))


@dataclass
class Site:
    """One construct the trace cannot replay: where it is, what it is, why, and the fix."""

    where: str
    what: str
    why: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}\n    why: {self.why}\n    fix: {self.fix}"


_IN_PACKAGE: dict[str, bool] = {}  # code file name -> whether it lies in the tenkai package


def _in_package(filename: str) -> bool:
    inside = _IN_PACKAGE.get(filename)
    if inside is None:
        inside = os.path.abspath(filename).startswith(PACKAGE_DIRS)
        if os.path.isabs(filename):  # a relative name depends on the working directory
            _IN_PACKAGE[filename] = inside
    return inside


def user_frame() -> str:
    """``file:line`` of the innermost frame outside the tenkai package, with its source."""
    frame = sys._getframe(1)
    while frame is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} ({line})"


@dataclass
class RngUse:
    """A random op's operands: refilled from ``generator`` with ``count`` counters per call."""

    generator: Any
    count: int
    seed_node: int
    offset_node: int


@dataclass
class Captured:
    """A tensor that existed before tracing, read (and maybe updated) by the step."""

    tensor: Any
    node: int


def _scalar_op(op: str, a: float, b: float) -> float:
    """``a <op> b`` in Python floats: only the op asked for (``a ** b`` may overflow where
    ``a * b`` is fine, as RAdam's ``(rho_inf - 4) * (rho_inf - 2)`` with rho_inf = 1999)."""
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / b if b else float("inf")
    return a**b


class TracedScalar(float):
    """A Python float that also remembers how it was computed from named runtime scalars, so
    ``lr`` read from an optimizer's param_groups stays a runtime input of the traced graph."""

    expr: tuple

    def __new__(cls, value: float, expr: tuple) -> TracedScalar:
        obj = super().__new__(cls, value)
        obj.expr = expr
        return obj

    def _bin(self, other: Any, op: str, swap: bool = False) -> Any:
        if not isinstance(other, (int, float)) or isinstance(other, bool):
            return NotImplemented
        a, b = (_raw(other), _raw(self)) if swap else (_raw(self), _raw(other))
        value = _scalar_op(op, a, b)
        mine, theirs = self.expr, _expr_of(other)
        return TracedScalar(value, (op, theirs, mine) if swap else (op, mine, theirs))

    def __add__(self, o: Any) -> Any: return self._bin(o, "add")
    def __radd__(self, o: Any) -> Any: return self._bin(o, "add", True)
    def __sub__(self, o: Any) -> Any: return self._bin(o, "sub")
    def __rsub__(self, o: Any) -> Any: return self._bin(o, "sub", True)
    def __mul__(self, o: Any) -> Any: return self._bin(o, "mul")
    def __rmul__(self, o: Any) -> Any: return self._bin(o, "mul", True)
    def __truediv__(self, o: Any) -> Any: return self._bin(o, "div")
    def __rtruediv__(self, o: Any) -> Any: return self._bin(o, "div", True)
    def __pow__(self, o: Any) -> Any: return self._bin(o, "pow")
    def __rpow__(self, o: Any) -> Any: return self._bin(o, "pow", True)

    def __neg__(self) -> TracedScalar:
        return TracedScalar(-float.__float__(self), ("neg", self.expr))

    def __pos__(self) -> TracedScalar:
        return self

    def __abs__(self) -> TracedScalar:
        return TracedScalar(abs(float.__float__(self)), ("abs", self.expr))

    # A comparison is Python control flow on a runtime scalar (``if momentum != 0``): its
    # outcome is recorded and becomes a guard of the compiled step.
    def _cmp(self, other: Any, op: str) -> Any:
        if not isinstance(other, (int, float)) or isinstance(other, bool):
            return NotImplemented
        result = _COMPARE[op](_raw(self), _raw(other))
        tracer = active()
        if tracer is not None:
            tracer.predicates.append((self.expr, op, _expr_of(other), result))
        return result

    def __eq__(self, o: Any) -> Any: return self._cmp(o, "==")  # type: ignore[override]
    def __ne__(self, o: Any) -> Any: return self._cmp(o, "!=")  # type: ignore[override]
    def __lt__(self, o: Any) -> Any: return self._cmp(o, "<")
    def __le__(self, o: Any) -> Any: return self._cmp(o, "<=")
    def __gt__(self, o: Any) -> Any: return self._cmp(o, ">")
    def __ge__(self, o: Any) -> Any: return self._cmp(o, ">=")
    def __bool__(self) -> bool: return self._cmp(0.0, "!=")
    def __hash__(self) -> int: return float.__hash__(self)

    def __float__(self) -> float:
        """A plain float: the value is baked into the trace, so it becomes a guard."""
        tracer = active()
        if tracer is not None:
            tracer.bake(self)
        return float.__float__(self)

    def __int__(self) -> int:
        return int(self.__float__())

    def __round__(self, ndigits: Any = None) -> Any:
        return round(self.__float__(), ndigits)


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _raw(x: Any) -> float:
    """The plain value of a number, without marking a TracedScalar as baked in."""
    return float.__float__(x) if isinstance(x, float) else float(x)


def _expr_of(x: Any) -> tuple:
    return x.expr if isinstance(x, TracedScalar) else ("const", _raw(x))


def expr_inputs(expr: tuple) -> set[str]:
    """Names of the runtime scalars an expression reads."""
    if expr[0] == "input":
        return {expr[1]}
    if expr[0] == "const":
        return set()
    return set().union(*(expr_inputs(e) for e in expr[1:]))


def evaluate(expr: tuple, values: dict[str, float]) -> float:
    """The value of a TracedScalar expression for the given runtime scalar values."""
    kind = expr[0]
    if kind == "input":
        return values[expr[1]]
    if kind == "const":
        return expr[1]
    if kind == "neg":
        return -evaluate(expr[1], values)
    if kind == "abs":
        return abs(evaluate(expr[1], values))
    a, b = evaluate(expr[1], values), evaluate(expr[2], values)
    if kind == "div":
        return a / b if b else float("inf")
    return {"add": a + b, "sub": a - b, "mul": a * b, "pow": a ** b}[kind]


@dataclass
class Tracer:
    """Records one call of a function; see the module docstring."""

    name: str
    graph: Graph = field(init=False)
    node_of: dict[int, int] = field(default_factory=dict)
    alive: list[Any] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    captured: dict[int, Captured] = field(default_factory=dict)
    scalars: dict[str, int] = field(default_factory=dict)
    rng: list[RngUse] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    modules: dict[int, Any] = field(default_factory=dict)
    optimizers: dict[int, Any] = field(default_factory=dict)
    module_attrs: dict[int, tuple] = field(default_factory=dict)  # plain attrs at first call
    side_effects: dict[str, str] = field(default_factory=dict)  # where -> what (no replay)
    arg_nodes: dict[int, int] = field(default_factory=dict)  # argument index -> input node
    arg_grad_nodes: dict[int, int] = field(default_factory=dict)  # ... of its existing .grad
    arg_index: dict[int, int] = field(default_factory=dict)  # id(tensor argument) -> position
    writes_at: dict[int, str] = field(default_factory=dict)  # captured node -> first write site
    # guards: comparisons on runtime scalars (and values baked in as constants), and the
    # .grad (None or which tensor) of each tensor whose .grad was read before being written
    predicates: list[tuple] = field(default_factory=list)
    grad_touch: dict[int, tuple[Any, bool, Any]] = field(default_factory=dict)
    # the side-effect watcher's profile hook while it is installed (tenkai._side_effects);
    # code that runs no user code turns it off for its duration (:func:`without_profile_hook`)
    profile_hook: Any = None
    # what the traced call changed in state that existed before it, to put back when the
    # compile then refuses the function (:meth:`rollback`): tensors' values before their
    # first in-place write, optimizers' state, generators' offsets
    undo: dict[int, tuple[Any, Any, Any, int]] = field(default_factory=dict)
    optimizer_state: dict[int, tuple[Any, dict, list]] = field(default_factory=dict)
    rng_start: dict[int, tuple[Any, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.graph = Graph(self.name)

    # ------------------------------------------------------------ value <-> node
    def bind(self, tensor: Any, nid: int) -> None:
        self.node_of[id(tensor._data)] = nid
        self.alive.append(tensor._data)

    def add_input(self, tensor: Any, name: str) -> int:
        nid = self.graph.add("input", shape=tensor._data.shape, dtype=from_numpy(
            tensor._data.dtype), name=name)
        self.inputs.append(nid)
        self.bind(tensor, nid)
        return nid

    def node_for(self, tensor: Any) -> int:
        nid = self.node_of.get(id(tensor._data))
        if nid is not None:
            return nid
        data = tensor._data
        nid = self.graph.add("param", shape=data.shape, dtype=from_numpy(data.dtype),
                             name=f"captured{len(self.captured)}")
        self.captured[nid] = Captured(tensor, nid)
        self.bind(tensor, nid)
        return nid

    def const(self, tensor: Any) -> None:
        """Record a scalar constant created during the trace (``x * 2`` makes one)."""
        nid = self.graph.add("const", value=np.array(tensor._data, copy=True))
        self.bind(tensor, nid)

    def scalar(self, tensor: Any, value: TracedScalar, dtype: str) -> None:
        """Record a runtime scalar (e.g. the learning rate) and the arithmetic on it."""
        nid = self.cast(self._emit_expr(value.expr), dtype)
        self.bind(tensor, nid)

    def _emit_expr(self, expr: tuple) -> int:
        kind = expr[0]
        if kind == "input":
            if expr[1] not in self.scalars:
                self.scalars[expr[1]] = self.graph.add("input", shape=(), dtype="float64",
                                                       name=expr[1])
            return self.scalars[expr[1]]
        if kind == "const":
            return self.graph.add("full", shape=(), value=expr[1], dtype="float64")
        if kind in ("neg", "abs"):
            return self.graph.add(kind, [self._emit_expr(expr[1])])
        ops = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow"}
        return self.graph.add(ops[kind], [self._emit_expr(expr[1]), self._emit_expr(expr[2])])

    def cast(self, nid: int, dtype: str) -> int:
        if self.graph.dtype(nid) == dtype:
            return nid
        return self.graph.add("cast", [nid], dtype=dtype)

    def rng_operands(self, generator: Any, count: int, seed: Any, offset: Any) -> None:
        self.rng_start.setdefault(id(generator), (generator, int(offset._data)))
        k = len(self.rng)
        s = self.graph.add("input", shape=(), dtype="int64", name=f"rng.seed{k}")
        o = self.graph.add("input", shape=(), dtype="int64", name=f"rng.offset{k}")
        self.bind(seed, s)
        self.bind(offset, o)
        self.rng.append(RngUse(generator, count, s, o))

    # ------------------------------------------------------------ events from the frontend
    def bake(self, value: TracedScalar) -> None:
        """``value`` is used as a plain number: guard on the scalars it reads."""
        self.predicates.append((value.expr, "==", ("const", float.__float__(value)), True))

    def touch_grad(self, tensor: Any, write: bool) -> None:
        """First access to ``tensor.grad`` in this trace: a read makes its existence a guard."""
        if id(tensor) not in self.grad_touch:  # (tensor, read first?, .grad it had then)
            self.grad_touch[id(tensor)] = (tensor, not write, tensor._grad)
            k = self.arg_index.get(id(tensor))
            if k is not None and not write and tensor._grad is not None:
                # an argument's existing .grad is read (accumulated into): an input too
                self.arg_grad_nodes[k] = self.add_input(tensor._grad, f"arg{k}.grad")

    def record_apply(self, op: str, inputs: Any, attrs: dict[str, Any], out: Any) -> None:
        for value in attrs.values():
            if isinstance(value, TracedScalar):  # an attribute is a constant of the graph
                self.bake(value)
        nid = self.graph.add(op, [self.node_for(t) for t in inputs], loc=user_frame(), **attrs)
        self.bind(out, nid)

    def before_inplace(self, target: Any) -> None:
        """Remember where captured state is first written (for the untraceable report) and
        the value it had (for :meth:`rollback`)."""
        old = self.node_of.get(id(target._data))
        if old is not None and old in self.captured:
            self.writes_at.setdefault(old, user_frame())
        if (old is None or old in self.captured or old in self.inputs) \
                and id(target) not in self.undo:  # a tensor from before the call
            data = target._data
            saved = np.array(data, copy=True) if type(data) is np.ndarray else data.copy()
            self.undo[id(target)] = (target, data, saved, target._vc[0])

    def record_inplace(self, target: Any, source: Any) -> None:
        """``target`` now holds ``source``'s value (an in-place update)."""
        nid = self.node_for(source)
        if self.graph.dtype(nid) != from_numpy(target._data.dtype):
            nid = self.cast(nid, from_numpy(target._data.dtype))
        self.bind(target, nid)

    def escape(self, tensor: Any, what: str) -> None:
        """A traced value flows into Python (``.item()``, ``bool()``, ``.numpy()``...)."""
        if id(tensor._data) not in self.node_of:
            return  # a value the trace does not depend on: harmless
        where = user_frame()
        if any(site.where == where for site in self.sites):
            return  # float(t) calls t.item(): one construct, one report
        self.sites.append(Site(
            where, f"{what} of a traced tensor",
            "its value is read into Python while tracing, so the compiled step would replay "
            "whatever Python did with this one value (e.g. the branch taken)",
            "keep tensor values inside tensor ops (tenkai.where instead of if), return the "
            "tensor and call .item() outside the compiled function, or use "
            "tenkai.compile(fn, on_untraceable='eager')"))

    def saw_module(self, module: Any) -> None:
        if id(module) not in self.modules:
            self.modules[id(module)] = module
            self.module_attrs[id(module)] = tuple(
                (k, v) for k, v in module.__dict__.items()
                if k != "training" and isinstance(v, (int, float, str, bool, type(None))))

    def saw_optimizer(self, optimizer: Any) -> None:
        if id(optimizer) not in self.optimizers:
            self.optimizers[id(optimizer)] = optimizer
            state = optimizer.state
            self.optimizer_state[id(optimizer)] = (
                optimizer, {key: (value, dict(value)) for key, value in state.items()},
                [dict(group) for group in optimizer.param_groups])

    def rollback(self) -> None:
        """Put back the state the traced call changed: the call ran eagerly while tracing,
        and the compile is refusing the function, so no step happened (a failed step leaves
        state untouched). Tensors' values and version counters, ``.grad`` attributes,
        optimizers' state and param groups, and random generators' offsets are restored."""
        for tensor, data, saved, version in self.undo.values():
            if type(data) is np.ndarray and data.flags.writeable:
                np.copyto(data, saved)
                tensor._data = data
            else:
                tensor._data = saved
            tensor._vc[0] = version
        for tensor, _, grad in self.grad_touch.values():
            tensor._grad = grad
        for optimizer, state, groups in self.optimizer_state.values():
            optimizer.state.clear()
            for key, (entry, content) in state.items():
                entry.clear()
                entry.update(content)
                optimizer.state[key] = entry
            for group, before in zip(optimizer.param_groups, groups, strict=False):
                group.clear()
                group.update(before)
        for generator, offset in self.rng_start.values():
            generator._offset = offset
