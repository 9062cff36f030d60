"""Dense linear algebra: matrix inverse, determinant, Cholesky, symmetric eigendecomposition,
SVD and QR, batched over leading dimensions as ``torch.linalg``.

The references call ``np.linalg`` (LAPACK, as PyTorch on CPU); the VJPs are the standard
matrix-calculus formulas written with registry ops (matmul, permute, mul, ...). Multi-output
factorizations are one op per output (``linalg_eigh_values`` / ``linalg_eigh_vectors``,
``linalg_svd_u`` / ``linalg_svdvals`` / ``linalg_svd_vh``): autodiff adds their cotangent
contributions, which is exactly the full formula because it is linear in the cotangents.

``linalg_cholesky`` and the ``eigh`` ops read the symmetric part ``(A + A^T) / 2`` of their
input, so their gradients are symmetric, as PyTorch's are (the frontend passes the matrix
built from the lower triangle, PyTorch's ``UPLO='L'``). The ops have kind ``linalg``: no
LLVM lowering (``codegen.lower`` lists them as unsupported and says to use ``backend="interp"``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import dtypes
from .errors import DTypeError, ShapeError, TenkaiError
from .ops import OpDef, register

Shape = tuple[int, ...]
LINALG = "linalg"


class LinAlgError(TenkaiError, RuntimeError):
    """A factorization failed on the values (singular or not positive-definite input)."""


# ---------------------------------------------------------------- rules


def _matrix(op: str, shape: Shape, square: bool) -> None:
    if len(shape) < 2:
        raise ShapeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions. "
                         f"(got shape {list(shape)})")
    if square and shape[-1] != shape[-2]:
        raise ShapeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                         f"{shape[-2]} by {shape[-1]} matrices")


def _shape_rule(op: str, square: bool, out):
    def rule(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
        _matrix(op, shapes[0], square)
        return out(tuple(shapes[0]))
    return rule


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool", "float16": "Half"}


def _float_rule(op: str):
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        if not dtypes.is_float(dts[0]) or dts[0] == "float16":
            raise DTypeError(f"linalg.{op}: Expected a floating point or complex tensor as "
                             f"input. Got {_TORCH_NAMES.get(dts[0], dts[0])}")
        return dts[0]
    return rule


def _k(shape: Shape) -> int:
    return min(shape[-2], shape[-1])


# ---------------------------------------------------------------- IR helpers for the VJPs


def _mT(b, x):
    dims = list(range(len(x.shape)))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return b.permute(x, dims=tuple(dims))


def _mask(b, n: int, relation: str, dtype: str = "bool"):
    """(n, n) mask ``row <relation> col`` ("eq": identity, "ge": lower triangle, "gt": strictly
    lower), built from ``arange`` so graphs stay small and printable (no (n, n) constants)."""
    idx = b.arange(end=n, dtype="int64")
    rows, cols = b.reshape(idx, shape=(n, 1)), b.reshape(idx, shape=(1, n))
    mask = b.emit(relation, rows, cols)
    return mask if dtype == "bool" else b.cast(mask, dtype=dtype)


def _col(b, v):
    """(..., n) -> (..., n, 1)."""
    return b.reshape(v, shape=(*v.shape, 1))


def _row(b, v):
    """(..., n) -> (..., 1, n)."""
    return b.reshape(v, shape=(*v.shape[:-1], 1, v.shape[-1]))


def _diag_embed(b, v):
    n = v.shape[-1]
    return b.mul(_col(b, v), _mask(b, n, "eq", v.dtype))


def _sym(b, x):
    half = b.scalar(0.5, x.dtype)
    return b.mul(b.add(x, _mT(b, x)), half)


def _inv_gap(b, values, squared: bool):
    """F[i, j] = 1 / (v_j - v_i) off the diagonal, 0 on it (v squared first for the SVD)."""
    n = values.shape[-1]
    v = b.mul(values, values) if squared else values
    diff = b.sub(_row(b, v), _col(b, v))
    eye = _mask(b, n, "eq")
    one, zero = b.scalar(1.0, v.dtype), b.scalar(0.0, v.dtype)
    safe = b.where(eye, b.expand(one, shape=diff.shape), diff)
    return b.where(eye, zero, b.div(b.expand(one, shape=diff.shape), safe))


def _sym_input(x: np.ndarray) -> np.ndarray:
    return (x + np.swapaxes(x, -1, -2)) / 2


# Factorizations whose outputs are separate ops (eigh, svd, qr) compute each output from the
# same LAPACK call: the last few are kept, keyed by the input's bytes (a pure function of the
# values), so ``eigh``'s values and vectors or ``svd``'s U, S and Vh factor once.
_FACTORED: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
_FACTORED_LIMIT, _FACTORED_MAX_BYTES = 8, 1 << 22


def _factored(kind: str, fn, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """``fn(x)`` (a tuple of arrays), reused for an input with the same bytes; callers copy
    what they return."""
    if x.nbytes > _FACTORED_MAX_BYTES:
        return fn(x)
    key = (kind, x.dtype.str, x.shape, np.ascontiguousarray(x).tobytes())
    hit = _FACTORED.get(key)
    if hit is None:
        hit = _FACTORED[key] = tuple(fn(x))
        if len(_FACTORED) > _FACTORED_LIMIT:
            _FACTORED.popitem(last=False)
    else:
        _FACTORED.move_to_end(key)
    return hit


def _lapack(op: str, fn, *args: Any) -> Any:
    try:
        return fn(*args)
    except np.linalg.LinAlgError as err:
        raise LinAlgError(f"linalg.{op}: the factorization could not be completed ({err}); "
                          "the input is singular or not positive-definite") from None


# ---------------------------------------------------------------- inv, det


def _inv_ref(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    return np.asarray(_lapack("inv", np.linalg.inv, x), dtype=x.dtype)


def _inv_vjp(b, g, out, x):
    inv_t = _mT(b, out)
    return (b.neg(b.matmul(b.matmul(inv_t, g), inv_t)),)


def _det_ref(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):  # a float32 determinant past its range is inf, silently
        return np.asarray(np.linalg.det(x), dtype=x.dtype)


def _det_vjp(b, g, out, x):
    scale = _col(b, _col(b, b.mul(g, out)))
    return (b.mul(scale, _mT(b, b.linalg_inv(x))),)


register(OpDef("linalg_inv", 1, LINALG, _shape_rule("inv", True, lambda s: s), _float_rule("inv"),
               _inv_ref, _inv_vjp, doc="matrix inverse of the last two dims"))
register(OpDef("linalg_det", 1, LINALG, _shape_rule("det", True, lambda s: s[:-2]),
               _float_rule("det"), _det_ref, _det_vjp, doc="determinant of the last two dims"))


# ---------------------------------------------------------------- cholesky


def _cholesky_ref(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    return np.asarray(_lapack("cholesky", np.linalg.cholesky, _sym_input(x)), dtype=x.dtype)


def _cholesky_vjp(b, g, out, x):
    """gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved."""
    n = x.shape[-1]
    lower = _mask(b, n, "ge", g.dtype)
    half_eye = b.mul(_mask(b, n, "eq", g.dtype), b.scalar(0.5, g.dtype))
    g_low = b.mul(g, lower)
    phi = b.mul(b.matmul(_mT(b, out), g_low), b.sub(lower, half_eye))
    l_inv = b.linalg_inv(out)
    return (_sym(b, b.matmul(b.matmul(_mT(b, l_inv), phi), l_inv)),)


register(OpDef("linalg_cholesky", 1, LINALG, _shape_rule("cholesky", True, lambda s: s),
               _float_rule("cholesky"), _cholesky_ref, _cholesky_vjp,
               doc="lower Cholesky factor of the symmetric part"))


# ---------------------------------------------------------------- eigh


def _eigh(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _factored("eigh", lambda a: np.linalg.eigh(_sym_input(a)), x)


def _eigh_values_ref(x: np.ndarray) -> np.ndarray:
    # always from the full eigh (shared with the vectors): the values must not depend on
    # whether the vectors were asked for first (eigvalsh can differ in the last bit)
    return np.array(_eigh(x)[0], dtype=x.dtype)


def _column_signs(vecs: np.ndarray) -> np.ndarray:
    """+-1 per column making its largest-magnitude entry positive: one deterministic sign for
    vectors LAPACK leaves up to sign (builds differ; PyTorch's may differ from ours)."""
    idx = np.argmax(np.abs(vecs), axis=-2)[..., None, :]
    signs = np.sign(np.take_along_axis(vecs, idx, axis=-2))
    return np.where(signs == 0, 1, signs)


def _eigh_vectors_ref(x: np.ndarray) -> np.ndarray:
    vecs = _eigh(x)[1]
    return np.asarray(vecs * _column_signs(vecs), dtype=x.dtype)


def _eigh_values_vjp(b, g, out, x):
    vecs = b.linalg_eigh_vectors(x)
    return (b.matmul(b.matmul(vecs, _diag_embed(b, g)), _mT(b, vecs)),)


def _eigh_vectors_vjp(b, g, out, x):
    """gA = sym(V (F * V^T gV) V^T) with F[i, j] = 1 / (l_j - l_i)."""
    gap = _inv_gap(b, b.linalg_eigh_values(x), squared=False)
    inner = b.mul(gap, b.matmul(_mT(b, out), g))
    return (_sym(b, b.matmul(b.matmul(out, inner), _mT(b, out))),)


register(OpDef("linalg_eigh_values", 1, LINALG, _shape_rule("eigh", True, lambda s: s[:-1]),
               _float_rule("eigh"), _eigh_values_ref, _eigh_values_vjp,
               doc="ascending eigenvalues of the symmetric part"))
register(OpDef("linalg_eigh_vectors", 1, LINALG, _shape_rule("eigh", True, lambda s: s),
               _float_rule("eigh"), _eigh_vectors_ref, _eigh_vectors_vjp,
               doc="orthonormal eigenvectors (columns) of the symmetric part"))


# ---------------------------------------------------------------- svd (reduced)


def _svd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if x.size == 0:
        m, n = x.shape[-2:]
        k = min(m, n)
        batch = x.shape[:-2]
        return (np.zeros((*batch, m, k), x.dtype), np.zeros((*batch, k), x.dtype),
                np.zeros((*batch, k, n), x.dtype))
    u, s, vh = _factored("svd", lambda a: _lapack("svd", np.linalg.svd, a, False), x)
    signs = _column_signs(u)
    u, vh = u * signs, vh * np.swapaxes(signs, -1, -2)
    return u.astype(x.dtype), s.astype(x.dtype), vh.astype(x.dtype)


def reduced_svd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U, S, Vh)`` as the ``linalg_svd_u``/``linalg_svdvals``/``linalg_svd_vh`` references
    compute them, from one factorization (the frontend's eager fast path of ``svd``/``pinv``)."""
    return _svd(x)


def _svd_vjp(b, x, g_u, g_s, g_vh):
    """PyTorch's real svd_backward for one nonzero cotangent (the others None)."""
    u, s, vh = b.linalg_svd_u(x), b.linalg_svdvals(x), b.linalg_svd_vh(x)
    m, n = x.shape[-2:]
    k = min(m, n)
    if g_s is not None:
        return b.matmul(b.matmul(u, _diag_embed(b, g_s)), vh)
    gap = _inv_gap(b, s, squared=True)
    v = _mT(b, vh)
    if g_u is not None:
        uh_gu = b.matmul(_mT(b, u), g_u)
        inner = b.mul(b.mul(b.sub(uh_gu, _mT(b, uh_gu)), gap), _row(b, s))
        out = b.matmul(b.matmul(u, inner), vh)
        if m > k:
            rest = b.sub(g_u, b.matmul(u, uh_gu))
            out = b.add(out, b.matmul(b.div(rest, _row(b, s)), vh))
        return out
    g_v = _mT(b, g_vh)
    vh_gv = b.matmul(vh, g_v)
    inner = b.mul(_col(b, s), b.mul(b.sub(vh_gv, _mT(b, vh_gv)), gap))
    out = b.matmul(b.matmul(u, inner), vh)
    if n > k:
        rest = b.sub(g_v, b.matmul(v, vh_gv))
        out = b.add(out, b.matmul(u, _mT(b, b.div(rest, _row(b, s)))))
    return out


register(OpDef("linalg_svd_u", 1, LINALG,
               _shape_rule("svd", False, lambda s: (*s[:-1], _k(s))), _float_rule("svd"),
               lambda x: _svd(x)[0], lambda b, g, out, x: (_svd_vjp(b, x, g, None, None),),
               doc="U of the reduced SVD (columns: left singular vectors)"))
register(OpDef("linalg_svdvals", 1, LINALG,
               _shape_rule("svd", False, lambda s: (*s[:-2], _k(s))), _float_rule("svd"),
               lambda x: _svd(x)[1], lambda b, g, out, x: (_svd_vjp(b, x, None, g, None),),
               doc="singular values, descending"))
register(OpDef("linalg_svd_vh", 1, LINALG,
               _shape_rule("svd", False, lambda s: (*s[:-2], _k(s), s[-1])), _float_rule("svd"),
               lambda x: _svd(x)[2], lambda b, g, out, x: (_svd_vjp(b, x, None, None, g),),
               doc="Vh of the reduced SVD (rows: right singular vectors)"))


# ---------------------------------------------------------------- full SVD, complete QR: the rest


def _basis_rest(q: np.ndarray, k: int) -> np.ndarray:
    """Columns ``k..`` of the square orthogonal ``q``, each signed as ``_column_signs``."""
    rest = q[..., k:]
    return rest * _column_signs(rest) if rest.size else rest


def _svd_rest(x: np.ndarray, left: bool) -> np.ndarray:
    """The singular vectors the full SVD adds to the reduced one: ``U[..., :, k:]`` (left) or
    ``Vh[..., k:, :]``. An empty matrix's are the identity's columns, as PyTorch's."""
    m, n = x.shape[-2:]
    k, size = min(m, n), (m if left else n)
    if k == 0 or x.size == 0:
        eye = np.broadcast_to(np.eye(size, dtype=x.dtype), (*x.shape[:-2], size, size))
        return np.array(eye[..., k:] if left else np.swapaxes(eye[..., k:], -1, -2))
    u, _, vh = _factored("svd_full", lambda a: _lapack("svd", np.linalg.svd, a, True), x)
    if left:
        return _basis_rest(u, k).astype(x.dtype)
    return np.swapaxes(_basis_rest(np.swapaxes(vh, -1, -2), k), -1, -2).astype(x.dtype)


def _qr_rest(x: np.ndarray) -> np.ndarray:
    """The columns ``Q[..., :, n:]`` that ``mode='complete'`` adds for ``m > n`` inputs."""
    m, n = x.shape[-2:]
    if n == 0 or x.size == 0:
        eye = np.broadcast_to(np.eye(m, dtype=x.dtype), (*x.shape[:-2], m, m))
        return np.array(eye[..., min(m, n):])
    q, _ = _factored("qr_full", lambda a: np.linalg.qr(a, mode="complete"), x)
    return q[..., min(m, n):].astype(x.dtype)  # LAPACK's Householder Q, as PyTorch's


def _ignored_grad(b, g, out, x):
    """PyTorch's svd_backward narrows U and Vh to their first ``k`` vectors: the extra ones
    are arbitrary bases of the complements, their cotangents are ignored."""
    return (b.full(shape=tuple(x.shape), value=0.0, dtype=x.dtype),)


def _qr_complete_grad(b, g, out, x):
    raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                       "nrows > ncols.")


register(OpDef("linalg_svd_u_rest", 1, LINALG,
               _shape_rule("svd", False, lambda s: (*s[:-1], s[-2] - _k(s))), _float_rule("svd"),
               lambda x: _svd_rest(x, True), _ignored_grad,
               doc="U's columns k..m of the full SVD (full_matrices=True); gradient ignored"))
register(OpDef("linalg_svd_vh_rest", 1, LINALG,
               _shape_rule("svd", False, lambda s: (*s[:-2], s[-1] - _k(s), s[-1])),
               _float_rule("svd"), lambda x: _svd_rest(x, False), _ignored_grad,
               doc="Vh's rows k..n of the full SVD (full_matrices=True); gradient ignored"))
register(OpDef("linalg_qr_q_rest", 1, LINALG,
               _shape_rule("qr", False, lambda s: (*s[:-1], s[-2] - _k(s))), _float_rule("qr"),
               _qr_rest, _qr_complete_grad,
               doc="Q's columns n..m of the complete QR (mode='complete'); not differentiable"))


# ---------------------------------------------------------------- qr (reduced)


def _qr(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size == 0:
        m, n = x.shape[-2:]
        k = min(m, n)
        return np.zeros((*x.shape[:-2], m, k), x.dtype), np.zeros((*x.shape[:-2], k, n), x.dtype)
    q, r = _factored("qr", lambda a: np.linalg.qr(a, mode="reduced"), x)
    return q.astype(x.dtype), r.astype(x.dtype)


def _qr_tall_vjp(b, q, r, g_q, g_r, n: int):
    """Reduced QR backward for m >= n: gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    m_full = b.matmul(r, _mT(b, g_r)) if g_r is not None else None
    if g_q is not None:
        qt_gq = b.matmul(_mT(b, g_q), q)
        m_full = b.neg(qt_gq) if m_full is None else b.sub(m_full, qt_gq)
    strict = b.mul(m_full, _mask(b, n, "gt", q.dtype))
    diag = b.mul(m_full, _mask(b, n, "eq", q.dtype))
    copyltu = b.add(b.add(strict, _mT(b, strict)), diag)
    left = b.matmul(q, copyltu)
    if g_q is not None:
        left = b.add(left, g_q)
    return b.matmul(left, _mT(b, b.linalg_inv(r)))


def _columns(b, x, lo: int, hi: int):
    """``x[..., lo:hi]``."""
    nd = len(x.shape)
    return b.slice(x, starts=(0,) * (nd - 1) + (lo,), stops=(*x.shape[:-1], hi),
                   steps=(1,) * nd)


def _qr_vjp(b, x, g_q, g_r):
    """Reduced QR backward. Wide inputs (m < n) split ``A = [X | Y]``, ``R = [U | V]`` with
    ``X = Q U`` square and ``Y = Q V``: ``gX`` is the square backward of ``(gQ + Y gV^T, gU)``
    and ``gY = Q gV`` (PyTorch's linalg_qr_backward)."""
    m, n = x.shape[-2:]
    q, r = b.linalg_qr_q(x), b.linalg_qr_r(x)
    if m >= n:
        return _qr_tall_vjp(b, q, r, g_q, g_r, n)
    g_u = g_v = None
    if g_r is not None:
        g_u, g_v = _columns(b, g_r, 0, m), _columns(b, g_r, m, n)
        extra = b.matmul(_columns(b, x, m, n), _mT(b, g_v))
        g_q = extra if g_q is None else b.add(g_q, extra)
    g_x = _qr_tall_vjp(b, q, _columns(b, r, 0, m), g_q, g_u, m)
    g_y = (b.matmul(q, g_v) if g_v is not None else
           b.full(shape=(*x.shape[:-1], n - m), value=0.0, dtype=x.dtype))
    return b.cat(g_x, g_y, axis=len(x.shape) - 1)


register(OpDef("linalg_qr_q", 1, LINALG,
               _shape_rule("qr", False, lambda s: (*s[:-1], _k(s))), _float_rule("qr"),
               lambda x: _qr(x)[0], lambda b, g, out, x: (_qr_vjp(b, x, g, None),),
               doc="Q of the reduced QR (orthonormal columns)"))
register(OpDef("linalg_qr_r", 1, LINALG,
               _shape_rule("qr", False, lambda s: (*s[:-2], _k(s), s[-1])), _float_rule("qr"),
               lambda x: _qr(x)[1], lambda b, g, out, x: (_qr_vjp(b, x, None, g),),
               doc="R of the reduced QR (upper triangular)"))

LINALG_OPS = ("linalg_inv", "linalg_det", "linalg_cholesky", "linalg_eigh_values",
              "linalg_eigh_vectors", "linalg_svd_u", "linalg_svdvals", "linalg_svd_vh",
              "linalg_qr_q", "linalg_qr_r", "linalg_svd_u_rest", "linalg_svd_vh_rest",
              "linalg_qr_q_rest")
