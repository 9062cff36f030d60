"""Window geometry shared by the pooling and convolution stages: where a window cell falls in
the input, and bounds conditions that drop what the loop ranges already prove.

Pure index arithmetic over :class:`tenkai.codegen.kir.index.IndexAlgebra` (no kernel builder),
so every window op computes positions and padding tests the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenkai.codegen.kir.index import IndexAlgebra, c64
from tenkai.codegen.kir.nodes import Const, Expr, Scalar, scalar


def window_position(idx: IndexAlgebra, out: Expr, cell: Expr | int, stride: int, pad: int,
                    dilation: int = 1) -> Expr:
    """Input coordinate read by window cell ``cell`` of output position ``out``:
    ``out*stride - pad + cell*dilation`` (may fall into the padding: test with in_range)."""
    return idx.add(idx.mul(out, stride), -pad, idx.mul(cell, dilation))


def window_inputs(idx: IndexAlgebra, outs: Sequence[Expr], cells: Sequence[Expr | int],
                  strides: Sequence[int], pads: Sequence[int],
                  dilations: Sequence[int] = (1, 1)) -> tuple[Expr, ...]:
    """:func:`window_position` per spatial dim (``(ih, iw)`` from ``(oh, ow)``, ``(kh, kw)``)."""
    return tuple(window_position(idx, o, c, s, p, d) for o, c, s, p, d in
                 zip(outs, cells, strides, pads, dilations, strict=True))


def inside(idx: IndexAlgebra, coords: Sequence[Expr], sizes: Sequence[int]) -> Expr:
    """Whether every coordinate is within ``[0, size)`` (the window cell is not padding)."""
    return conjunction(idx, [c for e, n in zip(coords, sizes, strict=True)
                             for c in in_range(e, n)])


def in_range(e: Expr, size: int) -> list[Expr]:
    """``0 <= e`` and ``e < size``, as two conditions."""
    return [scalar("ge", (e, c64(0)), "bool"), scalar("lt", (e, c64(size)), "bool")]


def conjunction(idx: IndexAlgebra, conds: Sequence[Expr]) -> Expr:
    """All of ``conds``, dropping those the index ranges already prove (``Const(True)`` if
    nothing is left to test)."""
    out: Expr = Const(True, "bool")
    for c in conds:
        if _proven(idx, c):
            continue
        out = c if isinstance(out, Const) else scalar("logical_and", (out, c), "bool")
    return out


def _proven(idx: IndexAlgebra, c: Expr) -> bool:
    if not (isinstance(c, Scalar) and c.op in ("ge", "lt") and isinstance(c.args[1], Const)):
        return False
    r = idx.range_of(c.args[0])
    if r is None:
        return False
    bound = int(c.args[1].value)
    return r[0] >= bound if c.op == "ge" else r[1] < bound
