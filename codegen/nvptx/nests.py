"""The GPU mapping's vocabulary: limits, loop nests as ``(var, extent)`` lists, and
:class:`Piece` (a launch before it is named: mapping, loops, body).

:mod:`tenkai.codegen.nvptx.mapping` cuts a kernel into pieces and
:mod:`tenkai.codegen.nvptx.stages` rewrites them (grid reductions, values shared between
launches, atomic scatters); both use these helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Contraction,
    Loop,
    Reduce,
    Stmt,
    walk,
)

MAX_BLOCK = 256  # threads per block (a multiple of the warp size)
WARP = 32
MAX_GRID = 65535  # blocks per launch; grid-stride loops cover the rest
COOPERATIVE_MIN = 32  # a Reduce over fewer iterations runs inside one thread

Dims = list[tuple[str, int]]


@dataclass
class Piece:
    """One launch to be: ``mapping`` (``grid`` | ``block`` | ``serial``), the parallel
    ``loops`` it covers and the ``body`` each of their iterations runs; ``atomic``: a scatter
    whose accumulating stores are atomic (:func:`tenkai.codegen.nvptx.stages.atomic_nest`);
    ``vector``: iterations of the innermost loop per thread with 128-bit accesses."""

    mapping: str
    loops: Dims
    body: list[Stmt]
    atomic: bool = False
    vector: int = 1
    spilled: set[str] = field(default_factory=set)  # names already stored to scratch


def round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def flatten(loop: Loop, parallel_only: bool = True) -> tuple[Dims, list[Stmt]]:
    """The nest of loops starting at ``loop`` (each the only statement of the one above; only
    parallel ones if ``parallel_only``) as ``(var, extent)`` pairs, and its innermost body."""
    dims = [(loop.var, loop.extent)]
    body = loop.body
    while len(body) == 1 and isinstance(body[0], Loop) and (body[0].parallel or not parallel_only):
        dims.append((body[0].var, body[0].extent))
        body = body[0].body
    return dims, body


def reduce_nest(r: Reduce) -> tuple[Dims, list[Stmt]]:
    """A ``Reduce``'s iterations as a flat nest (its body a single loop nest: any loops, since
    its iterations are independent apart from the accumulator), else one iteration."""
    if len(r.body) == 1 and isinstance(r.body[0], Loop):
        return flatten(r.body[0], parallel_only=False)
    return [], r.body


def size(dims: Dims) -> int:
    n = 1
    for _, e in dims:
        n *= e
    return n


def has(body: list[Stmt], kinds: tuple[type, ...]) -> bool:
    return any(isinstance(s, kinds) for s in walk(body))


def shareable(body: list[Stmt]) -> bool:
    """Could the threads of one block run ``body`` together: no ordered state (``Acc``),
    no nested reductions or contractions?"""
    for s in body:
        if isinstance(s, Reduce):
            if has(s.body, (Reduce, Acc, Contraction)):
                return False
        elif isinstance(s, (Acc, AccUpdate)) or has([s], (Reduce, Acc, Contraction)):
            return False
    return True


def cooperative(body: list[Stmt]) -> bool:
    """Can one block run ``body`` together (mapping.py's docstring, ``block``)?"""
    return shareable(body) and any(isinstance(s, Reduce) for s in body)


def largest_reduce(body: list[Stmt]) -> int:
    """Iterations of the largest top-level ``Reduce`` of ``body`` (0: none)."""
    return max((size(reduce_nest(s)[0]) for s in body if isinstance(s, Reduce)), default=0)


def block_size(body: list[Stmt]) -> int:
    """Threads per block for a ``block`` launch: enough for its largest reduction or loop."""
    work = 1
    for s in body:
        if isinstance(s, Reduce):
            work = max(work, size(reduce_nest(s)[0]))
        elif isinstance(s, Loop) and s.parallel:
            work = max(work, size(flatten(s)[0]))
    return min(MAX_BLOCK, round_up(work, WARP))


def mapping_of(loops: Dims, body: list[Stmt]) -> str:
    """``block`` where one block per iteration of ``loops`` runs ``body`` together, else
    ``grid`` (``loops``: a parallel nest) or ``serial`` (a top-level run)."""
    if cooperative(body) and largest_reduce(body) >= COOPERATIVE_MIN:
        return "block"
    return "grid" if loops else "serial"
