"""Kernel IR: backend-neutral loop nests, one :class:`Kernel` per fused group.

Built by :func:`tenkai.codegen.lower.program.lower_program`; consumed by the LLVM CPU generator (and
the PTX generator). Shapes are static, so loop extents are plain ints.

Expressions are immutable and hashable (frozen dataclasses with tuple fields), so lowering can
memoize values by ``(node, coordinates)``:

* ``Const(value, dtype)``, ``Var(name, dtype)`` (a loop variable, a ``Let`` or an ``Acc``),
  ``Load(buf, index, dtype)``;
* ``Scalar(op, args, dtype, attrs)``: ``op`` is a registry op with a scalar template, or one of
  the index ops ``idiv`` / ``imod`` (int64, non-negative operands). ``dtype`` is the result dtype.
  For the random ops the operands are ``(seed, counter)`` (``bernoulli``: ``(p, seed, counter)``)
  where ``counter = offset + flat index`` of the element.

Statements: ``Loop``, ``Store``, ``Let``, ``Reduce`` (a reduction a target may reorder),
``Acc`` / ``AccUpdate`` (state carried in iteration order, or a ``Reduce``'s contributions),
``Contraction`` (a batched matrix product over logical operand views), ``If`` (a guard) and
``Check`` (a run-time assertion that sets the program's status word instead of trapping).
:meth:`KernelProgram.as_text` prints everything deterministically (golden-testable).

Nothing here is a target's strategy: a ``Loop(parallel=True)`` says only that its iterations
are independent, and each target maps them onto its own parallel hardware (CPU: the outermost
such loop is outlined into chunks for the thread pool; GPU: a grid of blocks and threads). A
``Reduce`` names its accumulator, combine op and identity, so a target may split its
iterations and combine partial results in any order (GPU: a tree in shared memory). A
``Contraction`` has no calling convention: the CPU target maps it onto its ``tk_gemm`` call
(codegen/cpu/contraction.py), a GPU target onto a tiled kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tenkai.ir.dtypes import SHORT, itemsize

Shape = tuple[int, ...]

STATUS_BUFFER = "tk_status"  # int64[2]: (error code, offending value); 0 means no error

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Const:
    """A literal of one dtype (bool values are Python bools, ints ints, floats floats)."""

    value: Any
    dtype: str

    def as_text(self) -> str:
        if self.dtype == "bool":
            return "true" if self.value else "false"
        if self.dtype == "int64":
            return str(self.value)
        return f"{self.value!r}:{SHORT[self.dtype]}"


@dataclass(frozen=True)
class Var:
    """A named scalar: a loop variable (int64), a ``Let`` binding or an accumulator."""

    name: str
    dtype: str = "int64"

    def as_text(self) -> str:
        return self.name


@dataclass(frozen=True)
class Load:
    """``buf[index]`` (index in elements; buffers are flat and C-contiguous)."""

    buf: str
    index: Expr
    dtype: str

    def as_text(self) -> str:
        return f"{self.buf}[{self.index.as_text()}]"


@dataclass(frozen=True)
class Scalar:
    """One scalar operation (see the module docstring); ``attrs`` is a sorted tuple of pairs."""

    op: str
    args: tuple[Expr, ...]
    dtype: str
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def attr_dict(self) -> dict[str, Any]:
        return dict(self.attrs)

    def as_text(self) -> str:
        infix = _INFIX.get(self.op)
        if infix and len(self.args) == 2:
            return f"({self.args[0].as_text()} {infix} {self.args[1].as_text()})"
        args = ", ".join(a.as_text() for a in self.args)
        attrs = "".join(f", {k}={v!r}" for k, v in self.attrs)
        return f"{self.op}({args}{attrs})"


_INFIX = {"add": "+", "sub": "-", "mul": "*", "idiv": "//", "imod": "%", "lt": "<", "le": "<=",
          "gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "logical_and": "&&",
          "logical_or": "||"}

Expr = Const | Var | Load | Scalar


def scalar(op: str, args: tuple[Expr, ...] | list[Expr], dtype: str,
           attrs: dict[str, Any] | None = None) -> Scalar:
    """Build a :class:`Scalar` with attrs given as a dict (stored sorted, hashable)."""
    items = tuple(sorted((k, _freeze(v)) for k, v in (attrs or {}).items()))
    return Scalar(op, tuple(args), dtype, items)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


# ---------------------------------------------------------------- statements


@dataclass
class Loop:
    """``for var in range(extent): body``.

    ``parallel``: its iterations are independent of each other (no iteration reads what
    another writes), so a target may run them concurrently: it maps them to threads (CPU:
    outlined chunks of the outermost parallel loop) or to a grid of blocks (GPU).
    """

    var: str
    extent: int
    body: list[Stmt]
    parallel: bool = False


@dataclass
class Store:
    buf: str
    index: Expr
    value: Expr


@dataclass
class Let:
    """Bind ``name`` to ``value`` for the rest of the enclosing body."""

    name: str
    value: Expr


@dataclass
class Reduce:
    """``acc = identity``, then every iteration of ``body`` (a loop nest) combines its
    contributions (``AccUpdate(acc, op, value)`` statements) into ``acc`` with ``op``
    (``add``, ``mul``, ``maximum`` or ``minimum``: associative, ``identity`` its neutral
    element). Read the result after it as ``Var(acc, dtype)``.

    The iterations are independent apart from ``acc`` (they may also store elements of other
    buffers, each its own), so a target may run them in any order and combine partial
    accumulators (CPU: in order, one register; GPU: a tree reduction).
    """

    acc: str
    dtype: str
    op: str
    identity: Expr
    body: list[Stmt]

    def __post_init__(self) -> None:
        if self.op not in REDUCE_OPS:
            raise ValueError(f"kernel IR: reduce {self.acc}: combine op {self.op!r} is not one "
                             f"of {sorted(REDUCE_OPS)} (ordered updates use Acc/AccUpdate)")


REDUCE_OPS = frozenset({"add", "mul", "maximum", "minimum"})  # associative, with an identity


@dataclass
class Acc:
    """Declare (or reset) accumulator ``name`` to ``init``; read it as ``Var(name, dtype)``.

    Its ``AccUpdate``s run in iteration order (``set`` updates: a running argmax), so a target
    must not reorder them; reorderable reductions are ``Reduce`` statements.
    """

    name: str
    dtype: str
    init: Expr


@dataclass
class AccUpdate:
    """``name = op(name, value)``; ``op`` is a binary template op, or ``set`` (``name = value``)."""

    name: str
    op: str
    value: Expr


@dataclass(frozen=True)
class TensorView:
    """A logical tensor inside a flat buffer: element ``(i0, i1, ...)`` is
    ``buf[offset + i0*strides[0] + i1*strides[1] + ...]`` (stride 0: broadcast)."""

    buf: str
    offset: int
    shape: Shape
    strides: tuple[int, ...]

    def as_text(self) -> str:
        return (f"{self.buf}+{self.offset}[{','.join(map(str, self.shape))}]"
                f"/[{','.join(map(str, self.strides))}]")


@dataclass(frozen=True)
class WindowView(TensorView):
    """The column matrix of a convolution read in place (an implicit GEMM's operand): matrix
    element ``(r, c)`` with ``(k, p) = (r, c)`` if ``k_rows`` else ``(c, r)``, ``k`` split into
    ``(ci, kh, kw)`` over ``window = (Cg, KH, KW)`` and ``p`` into ``(oh, ow)`` over
    ``out_hw``, is ``buf[offset + batch... + ci*sC + ih*sH + iw*sW]`` with ``ih = oh*stride[0]
    - pad[0] + kh*dilation[0]`` (same for ``iw``), and 0 where ``(ih, iw)`` is outside
    ``in_hw``. ``image = (sC, sH, sW)``; the batch dims' strides are in ``strides`` (its last
    two entries are unused, 0). Only targets with ``convolution="implicit_gemm"`` get it."""

    image: tuple[int, int, int] = (0, 0, 0)
    window: tuple[int, int, int] = (1, 1, 1)
    out_hw: tuple[int, int] = (1, 1)
    in_hw: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pad: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    k_rows: bool = True

    def as_text(self) -> str:
        return (f"window({super().as_text()} image={list(self.image)} "
                f"window={list(self.window)} in={list(self.in_hw)} out={list(self.out_hw)} "
                f"stride={list(self.stride)} pad={list(self.pad)} "
                f"dilation={list(self.dilation)}{'' if self.k_rows else ' T'})")


@dataclass
class Contraction:
    """``out[b..., i, j] (+)= sum_p a[b..., i, p] * b[b..., p, j]`` for every batch index.

    The views have the same batch dims (``a``: ``(*batch, M, K)``, ``b``: ``(*batch, K, N)``,
    ``out``: ``(*batch, M, N)``; a stride 0 broadcasts an operand over a batch dim).
    ``accumulate``: add to ``out`` instead of overwriting it. ``dtype``: of all three.
    """

    a: TensorView
    b: TensorView
    out: TensorView
    accumulate: bool = False
    dtype: str = "float32"

    def __post_init__(self) -> None:
        *batch, m, k = self.a.shape
        nb = len(batch)
        if (len(self.b.shape) != nb + 2 or len(self.out.shape) != nb + 2
                or self.b.shape[nb] != k or self.out.shape[nb:] != (m, self.b.shape[-1])
                or self.b.shape[:nb] != tuple(batch) or self.out.shape[:nb] != tuple(batch)):
            raise ValueError(f"kernel IR: contraction shapes do not match: a {self.a.shape}, "
                             f"b {self.b.shape}, out {self.out.shape}")

    @property
    def batch(self) -> Shape:
        return self.out.shape[:-2]

    @property
    def m(self) -> int:
        return self.out.shape[-2]

    @property
    def n(self) -> int:
        return self.out.shape[-1]

    @property
    def k(self) -> int:
        return self.a.shape[-1]


@dataclass
class If:
    """Run ``body`` only where ``cond`` (a bool expression) holds."""

    cond: Expr
    body: list[Stmt]


@dataclass
class Check:
    """Run-time assertion: where ``cond`` is false, record ``code`` and ``value`` in the status
    buffer (the runtime raises the program's error ``code`` after the step)."""

    cond: Expr
    code: int
    value: Expr


Stmt = Loop | Store | Let | Reduce | Acc | AccUpdate | Contraction | If | Check

# ---------------------------------------------------------------- kernels and programs


@dataclass
class Buffer:
    """One buffer of a program.

    ``role``: ``input`` (fed each call), ``param`` (bound once to the caller's array),
    ``output`` (persistent, returned), ``scratch`` (in the arena at ``offset``, or at
    ``offset`` inside the buffer of param ``within`` while the step does not need its value),
    ``const`` (persistent, filled once from ``init``), ``status`` (the error word, int64[2]).
    """

    name: str
    shape: Shape
    dtype: str
    role: str
    offset: int | None = None
    init: Any = None  # numpy array for role "const"
    within: str | None = None  # scratch at ``offset`` inside this param's buffer, not the arena

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.size * itemsize(self.dtype)

    def as_text(self) -> str:
        where = f" @{self.offset}" if self.offset is not None else ""
        dims = ",".join(str(d) for d in self.shape)
        return f"{self.role} {self.name}: {SHORT[self.dtype]}[{dims}]{where}"


@dataclass
class Kernel:
    """One fused group as a loop nest; ``params`` are the buffers it touches (noalias)."""

    name: str
    params: list[str]
    body: list[Stmt]
    kind: str = "elementwise"
    source_ops: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        lines = [f"kernel {self.name}({', '.join(self.params)}) kind={self.kind} "
                 f"ops=[{', '.join(self.source_ops)}] {{"]
        lines += format_body(self.body, 1)
        lines.append("}")
        return "\n".join(lines)


@dataclass
class KernelProgram:
    """Kernels in launch order plus the buffer table of one compiled step.

    ``outputs``: the buffer of each graph output, in output order. ``writes``: output index ->
    param buffer that receives it (state updates); ``copies``: ``(src, dst)`` buffer pairs copied
    at the end of the step (writes that could not be done in place). ``errors``: status code ->
    message template (``{value}`` is the offending value).
    """

    buffers: list[Buffer]
    kernels: list[Kernel]
    entry: str = "tk_step"
    outputs: list[str] = field(default_factory=list)
    writes: dict[int, str] = field(default_factory=dict)
    copies: list[tuple[str, str]] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    arena_size: int = 0
    error_types: dict[int, str] = field(default_factory=dict)  # code -> IndexError|RuntimeError
    guarded: list[str] = field(default_factory=list)  # params restored when a check fails

    def buffer(self, name: str) -> Buffer:
        for b in self.buffers:
            if b.name == name:
                return b
        raise KeyError(f"kernel program: no buffer named {name!r}")

    def buffer_table(self) -> dict[str, Any]:
        """Plain data for the runtime (no ir objects): buffers, outputs, writes, errors, and each
        kernel's buffer slots (for per-kernel timing)."""
        slot = {b.name: k for k, b in enumerate(self.buffers)}
        return {
            "buffers": [{"name": b.name, "shape": tuple(b.shape), "dtype": b.dtype,
                         "role": b.role, "offset": b.offset, "nbytes": b.nbytes,
                         "init": b.init, **({"within": b.within} if b.within else {})}
                        for b in self.buffers],
            "outputs": list(self.outputs),
            "writes": dict(self.writes),
            "errors": dict(self.errors),
            "error_types": dict(self.error_types),
            "guarded_writes": list(self.guarded),
            "checking_kernels": [k.name for k in self.kernels
                                 if any(isinstance(s, Check) for s in walk(k.body))],
            "arena_size": self.arena_size,
            "kernels": [k.name for k in self.kernels],
            "kernel_args": {k.name: [slot[p] for p in k.params] for k in self.kernels},
        }

    def as_text(self) -> str:
        lines = [f"program {self.entry} {{"]
        lines += ["  " + b.as_text() for b in self.buffers]
        for k in self.kernels:
            lines += ["  " + line for line in k.as_text().splitlines()]
        for src, dst in self.copies:
            lines.append(f"  copy {src} -> {dst}")
        lines.append("  return " + ", ".join(self.outputs))
        lines.append("}")
        return "\n".join(lines)


# ---------------------------------------------------------------- printing


def format_body(body: list[Stmt], depth: int) -> list[str]:
    """Statements as indented text lines."""
    pad = "  " * depth
    out: list[str] = []
    for s in body:
        if isinstance(s, Loop):
            par = " parallel" if s.parallel else ""
            out.append(f"{pad}for {s.var} in 0..{s.extent}{par} {{")
            out += format_body(s.body, depth + 1)
            out.append(pad + "}")
        elif isinstance(s, Reduce):
            out.append(f"{pad}reduce {s.acc}: {SHORT[s.dtype]} <{s.op}> from "
                       f"{s.identity.as_text()} {{")
            out += format_body(s.body, depth + 1)
            out.append(pad + "}")
        elif isinstance(s, If):
            out.append(f"{pad}if {s.cond.as_text()} {{")
            out += format_body(s.body, depth + 1)
            out.append(pad + "}")
        else:
            out.append(pad + format_stmt(s))
    return out


def format_stmt(s: Stmt) -> str:
    """One non-block statement as text."""
    if isinstance(s, Store):
        return f"{s.buf}[{s.index.as_text()}] = {s.value.as_text()}"
    if isinstance(s, Let):
        return f"let {s.name} = {s.value.as_text()}"
    if isinstance(s, Acc):
        return f"acc {s.name}: {SHORT[s.dtype]} = {s.init.as_text()}"
    if isinstance(s, AccUpdate):
        return f"{s.name} <{s.op}>= {s.value.as_text()}"
    if isinstance(s, Check):
        return f"check {s.cond.as_text()} else error {s.code} ({s.value.as_text()})"
    if isinstance(s, Contraction):
        op = "+=" if s.accumulate else "="
        return (f"contract {s.out.as_text()} {op} {s.a.as_text()} @ {s.b.as_text()} "
                f"{SHORT[s.dtype]}")
    raise TypeError(f"kernel IR: unknown statement {s!r}")


def walk(body: list[Stmt]) -> Iterator[Stmt]:
    """Every statement of ``body``, nested ones included, in order."""
    for s in body:
        yield s
        if isinstance(s, (Loop, If, Reduce)):
            yield from walk(s.body)


def exprs_of(s: Stmt) -> list[Expr]:
    """The expressions a (non-block) statement reads, loops' and guards' conditions included."""
    if isinstance(s, Store):
        return [s.index, s.value]
    if isinstance(s, (Let, AccUpdate)):
        return [s.value]
    if isinstance(s, Acc):
        return [s.init]
    if isinstance(s, Reduce):
        return [s.identity]
    if isinstance(s, If):
        return [s.cond]
    if isinstance(s, Check):
        return [s.cond, s.value]
    return []


def sub_exprs(e: Expr) -> Iterator[Expr]:
    """``e`` and every expression inside it."""
    yield e
    if isinstance(e, Load):
        yield from sub_exprs(e.index)
    elif isinstance(e, Scalar):
        for a in e.args:
            yield from sub_exprs(a)


def buffers_used(body: list[Stmt]) -> list[str]:
    """Names of the buffers a body loads, stores or contracts, in first-use order."""
    seen: dict[str, None] = {}
    for s in walk(body):
        if isinstance(s, Store):
            seen.setdefault(s.buf, None)
        if isinstance(s, Contraction):
            for view in (s.a, s.b, s.out):
                seen.setdefault(view.buf, None)
        if isinstance(s, Check):
            seen.setdefault(STATUS_BUFFER, None)
        for e in exprs_of(s):
            for sub in sub_exprs(e):
                if isinstance(sub, Load):
                    seen.setdefault(sub.buf, None)
    return list(seen)
