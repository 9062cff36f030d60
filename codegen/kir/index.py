"""Index arithmetic for kernel IR: int64 expressions over loop variables, kept simple.

Lowering builds every index through :class:`IndexAlgebra`, which keeps sums in a canonical
linear form (terms sorted, constants folded) and uses the known ranges of loop variables to
drop needless ``idiv`` / ``imod``: e.g. ``(6*i + 3*j + k) // 3`` with ``k in [0, 3)`` becomes
``2*i + j``. That turns reshapes of contiguous data back into plain flat indices, which LLVM
then vectorizes.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenkai.codegen.kir.nodes import Const, Expr, Scalar, Var

I64 = "int64"
Range = tuple[int, int]


def c64(value: int) -> Const:
    """An int64 constant."""
    return Const(int(value), I64)


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major element strides of ``shape``."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


def _atom_key(e: Expr) -> tuple[int, str]:
    return (0, e.name) if isinstance(e, Var) else (1, e.as_text())


class IndexAlgebra:
    """Builds simplified int64 index expressions; ``ranges`` maps loop vars to [lo, hi]."""

    def __init__(self) -> None:
        self.ranges: dict[str, Range] = {}

    def declare(self, var: str, extent: int) -> Var:
        """A loop variable ranging over ``[0, extent)``."""
        self.ranges[var] = (0, max(extent - 1, 0))
        return Var(var, I64)

    # ------------------------------------------------------------ linear forms
    def linear(self, e: Expr) -> tuple[dict[Expr, int], int]:
        """``e`` as ``sum(coeff * atom) + const``."""
        if isinstance(e, Const):
            return {}, int(e.value)
        if isinstance(e, Scalar) and e.dtype == I64 and e.op in ("add", "sub"):
            ta, ca = self.linear(e.args[0])
            tb, cb = self.linear(e.args[1])
            sign = 1 if e.op == "add" else -1
            for atom, coeff in tb.items():
                ta[atom] = ta.get(atom, 0) + sign * coeff
            return ta, ca + sign * cb
        if isinstance(e, Scalar) and e.dtype == I64 and e.op == "mul":
            for k in (0, 1):
                factor = e.args[k]
                if isinstance(factor, Const):
                    terms, const = self.linear(e.args[1 - k])
                    f = int(factor.value)
                    return {a: c * f for a, c in terms.items()}, const * f
        return {e: 1}, 0

    def build(self, terms: dict[Expr, int], const: int) -> Expr:
        """The canonical expression of a linear form."""
        out: Expr | None = None
        for atom in sorted((a for a, c in terms.items() if c), key=_atom_key):
            coeff = terms[atom]
            term = atom if coeff == 1 else Scalar("mul", (atom, c64(coeff)), I64)
            out = term if out is None else Scalar("add", (out, term), I64)
        if out is None:
            return c64(const)
        return out if const == 0 else Scalar("add", (out, c64(const)), I64)

    # ------------------------------------------------------------ ranges
    def range_of(self, e: Expr) -> Range | None:
        """Inclusive bounds of ``e``'s values, or None when unknown."""
        terms, const = self.linear(e)
        lo = hi = const
        for atom, coeff in terms.items():
            r = self._atom_range(atom)
            if r is None:
                return None
            a, b = coeff * r[0], coeff * r[1]
            lo, hi = lo + min(a, b), hi + max(a, b)
        return lo, hi

    def _atom_range(self, e: Expr) -> Range | None:
        if isinstance(e, Var):
            return self.ranges.get(e.name)
        if not isinstance(e, Scalar) or e.dtype != I64:
            return None
        if e.op in ("idiv", "imod") and isinstance(e.args[1], Const):
            r, k = self.range_of(e.args[0]), int(e.args[1].value)
            if r is None or r[0] < 0:
                return None
            return (r[0] // k, r[1] // k) if e.op == "idiv" else (0, min(k - 1, r[1]))
        if e.op in ("maximum", "minimum"):
            ra, rb = self.range_of(e.args[0]), self.range_of(e.args[1])
            if ra is None or rb is None:
                return None
            pick = max if e.op == "maximum" else min
            return pick(ra[0], rb[0]), pick(ra[1], rb[1])
        return None

    # ------------------------------------------------------------ arithmetic
    def add(self, *xs: Expr | int) -> Expr:
        terms: dict[Expr, int] = {}
        const = 0
        for x in xs:
            t, c = self.linear(c64(x) if isinstance(x, int) else x)
            const += c
            for atom, coeff in t.items():
                terms[atom] = terms.get(atom, 0) + coeff
        return self.build(terms, const)

    def sub(self, a: Expr | int, b: Expr | int) -> Expr:
        return self.add(a, self.mul(b, -1))

    def mul(self, a: Expr | int, k: int) -> Expr:
        terms, const = self.linear(c64(a) if isinstance(a, int) else a)
        return self.build({x: c * k for x, c in terms.items()}, const * k)

    def _split(self, e: Expr, k: int) -> tuple[dict[Expr, int], int, Expr]:
        """Terms divisible by k (divided), the constant quotient, and the remainder expr."""
        terms, const = self.linear(e)
        whole = {a: c // k for a, c in terms.items() if c % k == 0}
        rest = {a: c for a, c in terms.items() if c % k != 0}
        q, r = divmod(const, k)
        return whole, q, self.build(rest, r)

    def idiv(self, e: Expr, k: int) -> Expr:
        """``floor(e / k)`` for ``e >= 0`` (k > 0)."""
        if k == 1:
            return e
        whole, q, rest = self._split(e, k)
        r = self.range_of(rest)
        if r is not None and r[0] >= 0:
            base = self.build(whole, q)
            if r[1] < k:
                return base
            return self.add(base, Scalar("idiv", (rest, c64(k)), I64))
        return Scalar("idiv", (e, c64(k)), I64)

    def imod(self, e: Expr, k: int) -> Expr:
        """``e mod k`` for ``e >= 0`` (k > 0)."""
        if k == 1:
            return c64(0)
        _, _, rest = self._split(e, k)
        r = self.range_of(rest)
        if r is not None and r[0] >= 0:
            return rest if r[1] < k else Scalar("imod", (rest, c64(k)), I64)
        return Scalar("imod", (e, c64(k)), I64)

    def clamp(self, e: Expr, lo: int, hi: int) -> Expr:
        """``min(max(e, lo), hi)``, skipping sides the range already guarantees."""
        r = self.range_of(e)
        if r is None or r[0] < lo:
            e = Scalar("maximum", (e, c64(lo)), I64)
        if r is None or r[1] > hi:
            e = Scalar("minimum", (e, c64(hi)), I64)
        return e

    # ------------------------------------------------------------ shapes
    def flat(self, coords: Sequence[Expr], shape: Sequence[int]) -> Expr:
        """Row-major flat index of ``coords`` in ``shape``."""
        return self.dot(coords, contiguous_strides(shape))

    def dot(self, coords: Sequence[Expr], strides: Sequence[int], offset: int = 0) -> Expr:
        """``offset + sum(coords[i] * strides[i])``."""
        return self.add(offset, *[self.mul(c, s) for c, s in zip(coords, strides, strict=True)])

    def unflatten(self, flat: Expr, shape: Sequence[int]) -> tuple[Expr, ...]:
        """Coordinates of a row-major flat index (the inverse of :meth:`flat`)."""
        if 0 in shape:  # a zero-size space has no element, so no coordinate is ever used
            return tuple(c64(0) for _ in shape)
        coords: list[Expr] = []
        for k, (d, s) in enumerate(zip(shape, contiguous_strides(shape), strict=True)):
            if d == 1:
                coords.append(c64(0))
                continue
            q = self.idiv(flat, s)
            coords.append(q if k == 0 else self.imod(q, d))
        return tuple(coords)
