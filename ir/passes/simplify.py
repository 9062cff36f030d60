"""Simplification: constant folding, CSE, algebraic identities, movement composition, DCE.

Input: a graph that verifies. Output: a new graph (the input is never touched) that verifies,
has the same inputs, params and outputs (same order, same names), and computes the same output
values as the interpreter computes for the input graph. Surviving nodes keep their ids; nodes
the pass creates get fresh ids. Annotations of later passes (``groups``, ``group_order``,
``memory``, ``recompute``) are dropped: they would name nodes that may be gone.

How it works: one *sweep* visits the live nodes in topological order and, for each node,
tries (1) constant folding, (2) the local rewrites of :data:`RULES`, (3) common-subexpression
elimination. A rewrite returns the node that replaces the visited one (an existing node or one
it just added); the driver then points every user at the replacement. Sweeps repeat until one
changes nothing (at most :data:`MAX_SWEEPS`), then dead nodes are removed.

Not done on purpose: ``x * 0 -> 0`` (wrong for NaN and inf), reassociation of float
arithmetic (changes rounding), folding random ops (their value is the seed's business).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..dtypes import to_numpy
from ..graph import Graph
from ..ops import ELEMENTWISE, RANDOM, REGISTRY, SOURCE

Rewrite = Callable[[Graph, int], int | None]

MAX_SWEEPS = 8
FOLD_MAX_ELEMENTS = 4096  # larger results stay unfolded unless every element is equal
FOLD_MAX_INPUT_ELEMENTS = 1 << 16  # never evaluate references on bigger constant operands
COMMUTATIVE = frozenset({"add", "mul", "maximum", "minimum", "eq", "ne", "logical_and",
                         "logical_or"})
BOUNDARY = frozenset({"input", "param", "output"})
PASS_META = ("groups", "group_order", "memory", "recompute")


# ---------------------------------------------------------------- graph surgery helpers


def copy_for_pass(g: Graph) -> Graph:
    """A copy of ``g`` that a pass may mutate: the nx graph, node dicts and the ``passes`` list
    are fresh (``Graph.copy`` shares the meta values with the original)."""
    out = g.copy()
    out.meta = dict(g.meta)
    out.meta["passes"] = list(g.meta.get("passes", []))
    return out


def stamp(g: Graph, name: str, start: float) -> None:
    """Record that pass ``name`` ran on ``g`` and took ``now - start`` seconds."""
    g.meta.setdefault("passes", []).append((name, time.perf_counter() - start))


def replace_uses(g: Graph, old: int, new: int) -> None:
    """Make every user of ``old`` read ``new`` at the same operand position."""
    for _, user, key in list(g.nx.out_edges(old, keys=True)):
        g.nx.remove_edge(old, user, key=key)
        g.nx.add_edge(new, user, key=key)


def numel(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


# ---------------------------------------------------------------- constants


def splat_value(g: Graph, n: int) -> Any:
    """The single value of a ``full`` node or of a ``const`` whose elements are all equal (as
    a Python scalar); None for anything else."""
    op = g.op(n)
    if op == "full":
        return g.attrs(n)["value"]
    if op == "const":
        arr = np.asarray(g.attrs(n)["value"])
        if arr.size and arr.size <= FOLD_MAX_INPUT_ELEMENTS and np.all(arr == arr.flat[0]):
            return arr.flat[0].item()
    return None


def _is_splat_of(g: Graph, n: int, value: float) -> bool:
    v = splat_value(g, n)
    return v is not None and not isinstance(v, complex) and v == value


def _constant_array(g: Graph, n: int) -> np.ndarray:
    if g.op(n) == "full":
        a = g.attrs(n)
        return np.full(a["shape"], a["value"], dtype=to_numpy(a["dtype"]))
    return np.asarray(g.attrs(n)["value"])


def _uniform(value: np.ndarray) -> bool:
    """All elements bit-identical (so NaN payloads and the sign of zero survive)."""
    if not value.size:
        return False
    flat = np.ascontiguousarray(value).reshape(-1)
    as_bytes = flat.view(np.uint8).reshape(flat.size, -1)
    return bool(np.all(as_bytes == as_bytes[:1]))


def _emit_constant(g: Graph, n: int, value: np.ndarray) -> int | None:
    """Add a ``full`` (uniform value) or ``const`` node equal to ``value``, typed like ``n``;
    None when the value is too big to bake into the graph."""
    value = np.asarray(value)
    if value.shape != g.shape(n):
        return None
    value = value.astype(to_numpy(g.dtype(n)), copy=False)
    if _uniform(value):
        return g.add("full", shape=g.shape(n), value=value.flat[0].item(), dtype=g.dtype(n))
    if value.size > FOLD_MAX_ELEMENTS:
        return None
    return g.add("const", value=np.array(value, copy=True))


def fold_constant(g: Graph, n: int) -> int | None:
    """A deterministic op whose operands are all ``const``/``full`` becomes a constant. An
    elementwise op of splats is evaluated on one element (any size); other ops only when the
    operands and result are small."""
    opdef = REGISTRY[g.op(n)]
    operands = g.operands(n)
    if opdef.kind == RANDOM or opdef.name in BOUNDARY or opdef.name in ("const", "full"):
        return None
    if opdef.kind == SOURCE and opdef.name != "arange":
        return None
    if any(g.op(i) not in ("const", "full") for i in operands):
        return None
    splats = [splat_value(g, i) for i in operands]
    try:
        with np.errstate(all="ignore"):
            if operands and opdef.kind == ELEMENTWISE and all(s is not None for s in splats):
                args: list[Any] = [np.asarray(v, dtype=to_numpy(g.dtype(i)))
                        for v, i in zip(splats, operands, strict=True)]
                scalar = np.asarray(opdef.reference(*args, **g.attrs(n)))
                item: Any = scalar.astype(to_numpy(g.dtype(n))).item()  # never the full array
                return g.add("full", shape=g.shape(n), value=item, dtype=g.dtype(n))
            if numel(g.shape(n)) > FOLD_MAX_ELEMENTS or any(
                    numel(g.shape(i)) > FOLD_MAX_INPUT_ELEMENTS for i in operands):
                return None
            folded = opdef.reference(*[_constant_array(g, i) for i in operands], **g.attrs(n))
    except Exception:  # e.g. an out-of-range constant index: leave the error to run time
        return None
    return _emit_constant(g, n, np.asarray(folded))


# ---------------------------------------------------------------- algebraic identities


def _forward_to(g: Graph, n: int, x: int) -> int | None:
    """``x`` stands for ``n`` when it has n's type; when x only broadcasts to n's shape, an
    ``expand`` of x does."""
    if g.dtype(x) != g.dtype(n):
        return None
    if g.shape(x) == g.shape(n):
        return x
    return g.add("expand", [x], shape=g.shape(n))


def mul_by_one(g: Graph, n: int) -> int | None:
    """x * 1 -> x and 1 * x -> x."""
    x, y = g.operands(n)
    if _is_splat_of(g, y, 1):
        return _forward_to(g, n, x)
    if _is_splat_of(g, x, 1):
        return _forward_to(g, n, y)
    return None


def add_zero(g: Graph, n: int) -> int | None:
    """x + 0 -> x and 0 + x -> x."""
    x, y = g.operands(n)
    if _is_splat_of(g, y, 0):
        return _forward_to(g, n, x)
    if _is_splat_of(g, x, 0):
        return _forward_to(g, n, y)
    return None


def sub_zero(g: Graph, n: int) -> int | None:
    """x - 0 -> x."""
    x, y = g.operands(n)
    return _forward_to(g, n, x) if _is_splat_of(g, y, 0) else None


def div_one(g: Graph, n: int) -> int | None:
    """x / 1 -> x."""
    x, y = g.operands(n)
    return _forward_to(g, n, x) if _is_splat_of(g, y, 1) else None


def neg_neg(g: Graph, n: int) -> int | None:
    """neg(neg(x)) -> x."""
    (x,) = g.operands(n)
    return g.operands(x)[0] if g.op(x) == "neg" else None


def cast_same(g: Graph, n: int) -> int | None:
    """cast(x, dtype of x) -> x."""
    (x,) = g.operands(n)
    return x if g.dtype(x) == g.dtype(n) else None


def same_shape_movement(g: Graph, n: int) -> int | None:
    """reshape/expand to x's own shape -> x."""
    (x,) = g.operands(n)
    return x if g.shape(x) == g.shape(n) else None


def permute_identity(g: Graph, n: int) -> int | None:
    """permute(x, (0, 1, ..., k)) -> x."""
    (x,) = g.operands(n)
    return x if tuple(g.attrs(n)["dims"]) == tuple(range(len(g.shape(x)))) else None


def slice_everything(g: Graph, n: int) -> int | None:
    """A slice that keeps every element (0:d:1 on each axis) -> x."""
    (x,) = g.operands(n)
    a = g.attrs(n)
    whole = all(s == 0 and e == d and st == 1 for s, e, st, d in
                zip(a["starts"], a["stops"], a["steps"], g.shape(x), strict=True))
    return x if whole else None


def reshape_reshape(g: Graph, n: int) -> int | None:
    """reshape(reshape(x)) -> reshape(x) (or x itself when the shapes agree)."""
    (inner,) = g.operands(n)
    if g.op(inner) != "reshape":
        return None
    (x,) = g.operands(inner)
    if g.shape(x) == g.shape(n):
        return x
    return g.add("reshape", [x], shape=g.shape(n), loc=g.loc(n))


def permute_permute(g: Graph, n: int) -> int | None:
    """permute(permute(x, d1), d2) -> permute(x, d1[d2]) (or x when that is the identity)."""
    (inner,) = g.operands(n)
    if g.op(inner) != "permute":
        return None
    (x,) = g.operands(inner)
    d1, d2 = tuple(g.attrs(inner)["dims"]), tuple(g.attrs(n)["dims"])
    dims = tuple(int(d1[j]) for j in d2)
    if dims == tuple(range(len(dims))):
        return x
    return g.add("permute", [x], dims=dims, loc=g.loc(n))


def permute_of_matmul(g: Graph, n: int) -> int | None:
    """permute(matmul(a, b)) swapping the matrix axes -> matmul(b^T, a^T), for equal-rank
    operands of rank >= 2 (batch axes kept in place) and a matmul used by nothing else.

    A weight gradient reaches the optimizer as such a transposed product (``permute(x^T @
    dy)`` for ``Linear``); computed as ``dy^T @ x`` it comes out in the weight's own layout,
    so its epilogue is elementwise and no transposed copy of the product is materialized.
    The products and the reduction axis are the same; the new permutes of ``a`` and ``b``
    fold with the ones they usually are (``permute_permute``)."""
    (inner,) = g.operands(n)
    if g.op(inner) != "matmul" or len(g.users(inner)) != 1:
        return None
    a, b = g.operands(inner)
    rank = len(g.shape(inner))
    if len(g.shape(a)) != rank or len(g.shape(b)) != rank or rank < 2:
        return None
    swap = (*range(rank - 2), rank - 1, rank - 2)
    if tuple(g.attrs(n)["dims"]) != swap:
        return None
    loc = g.loc(n)
    bt = g.add("permute", [b], dims=swap, loc=loc)
    at = g.add("permute", [a], dims=swap, loc=loc)
    return g.add("matmul", [bt, at], loc=loc)


# The rewrite table: (ops the rule looks at, rewrite). Order matters only for speed.
RULES: tuple[tuple[frozenset[str], Rewrite], ...] = (
    (frozenset({"mul"}), mul_by_one),
    (frozenset({"add"}), add_zero),
    (frozenset({"sub"}), sub_zero),
    (frozenset({"div"}), div_one),
    (frozenset({"neg"}), neg_neg),
    (frozenset({"cast"}), cast_same),
    (frozenset({"reshape", "expand"}), same_shape_movement),
    (frozenset({"permute"}), permute_identity),
    (frozenset({"slice"}), slice_everything),
    (frozenset({"reshape"}), reshape_reshape),
    (frozenset({"permute"}), permute_permute),
    (frozenset({"permute"}), permute_of_matmul),
)


# ---------------------------------------------------------------- CSE


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an attribute value that tells apart what must stay apart
    (0.0 and -0.0, 1 and 1.0, arrays of different dtypes)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    if isinstance(value, np.generic):
        value = value.item()
    return (type(value).__name__, repr(value))


def cse_key(g: Graph, n: int) -> tuple[Any, ...] | None:
    """What makes two nodes interchangeable: op, attrs, operands (sorted for commutative ops),
    type. Inputs, params and outputs are never merged; random ops merge only with the same
    seed and offset operands (then they draw the same numbers)."""
    op = g.op(n)
    if op in BOUNDARY:
        return None
    operands = g.operands(n)
    if op in COMMUTATIVE:
        operands = sorted(operands)
    return (op, _freeze(g.attrs(n)), tuple(operands), g.shape(n), g.dtype(n))


# ---------------------------------------------------------------- driver


def _rewrite(g: Graph, n: int) -> int | None:
    folded = fold_constant(g, n)
    if folded is not None:
        return folded
    op = g.op(n)
    for ops, rule in RULES:
        if op in ops:
            new = rule(g, n)
            if new is not None and new != n:
                return new
    return None


def _sweep(g: Graph) -> bool:
    """One topological pass of folding, rewrites and CSE; True when anything changed."""
    changed = False
    seen: dict[tuple[Any, ...], int] = {}
    for n in g.topo_order():
        if g.op(n) in BOUNDARY or not g.users(n):
            continue  # boundary nodes stay; dead ones go at the end
        new = _rewrite(g, n)
        if new is not None:
            replace_uses(g, n, new)
            changed = True
            continue
        key = cse_key(g, n)
        if key in seen:
            replace_uses(g, n, seen[key])
            changed = True
        elif key is not None:
            seen[key] = n
    return changed


def upstream(g: Graph, roots: list[int]) -> set[int]:
    """``roots`` and every node they depend on, in one traversal (``Graph.ancestors`` walks
    again from each root, which is quadratic for graphs with many outputs)."""
    seen = set(roots)
    stack = list(roots)
    while stack:
        for p in g.nx.predecessors(stack.pop()):
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def remove_dead(g: Graph) -> None:
    """Drop nodes no output depends on; inputs, params and outputs always stay."""
    live = upstream(g, g.outputs)
    g.nx.remove_nodes_from([n for n in g.nodes() if n not in live and g.op(n) not in BOUNDARY])


def simplify(g: Graph) -> Graph:
    """Fold, rewrite, CSE and DCE ``g``; see the module docstring for the contract."""
    start = time.perf_counter()
    out = copy_for_pass(g)
    for key in PASS_META:
        out.meta.pop(key, None)
    for n in out.nodes():
        out.nx.nodes[n].pop("group", None)
    for _ in range(MAX_SWEEPS):
        if not _sweep(out):
            break
    remove_dead(out)
    stamp(out, "simplify", start)
    return out
