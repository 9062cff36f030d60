"""``tenkai bench --eager-ops --suite api``: the API-breadth ops (issue #13) in eager mode
against PyTorch eager, at a small and a medium size.

Each case names the op, a function ``fn(lib, *inputs)`` calling it the same way in both
libraries, and the inputs per size (numpy arrays become ``lib.tensor``s; a ``Build`` is called
with the library, for modules). Cases with ``grad`` inputs get a second row, ``<op> bwd``,
timing forward plus ``.sum().backward()``. The goal of issue #13: every row within 2x.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SIZES = ("small", "medium")


@dataclass
class Build:
    """An input made by the library itself (a module, a generator): ``make(lib)``."""
    make: Callable[[Any], Any]


@dataclass
class ApiCase:
    name: str
    fn: Callable[..., Any]  # (lib, *inputs) -> result
    inputs: Callable[[np.random.Generator, bool], tuple]  # (rng, medium) -> inputs
    grad: tuple[int, ...] = ()  # inputs that require grad; a "bwd" row when non-empty


def _f(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def _u(rng: np.random.Generator, *shape: int, lo: float = -0.9, hi: float = 0.9) -> np.ndarray:
    return rng.uniform(lo, hi, shape).astype(np.float32)


def _i(rng: np.random.Generator, hi: int, *shape: int) -> np.ndarray:
    return rng.integers(0, hi, shape).astype(np.int64)


def _vec(m: bool) -> tuple[int]:
    return (65536,) if m else (64,)


def _mat(m: bool) -> tuple[int, int]:
    return (256, 256) if m else (8, 8)


def _sq(m: bool) -> int:
    """The side of a square matrix for the linalg cases."""
    return 128 if m else 4


def _unary(name: str, lo: float | None = None, hi: float | None = None,
           grad: bool = True) -> ApiCase:
    def inputs(rng: np.random.Generator, m: bool) -> tuple:
        if lo is None:
            return (_f(rng, *_mat(m)),)
        return (_u(rng, *_mat(m), lo=lo, hi=hi),)
    return ApiCase(name, lambda lib, x: getattr(lib, name)(x), inputs, (0,) if grad else ())


def _binary(name: str, grad: bool = True, pos: bool = False) -> ApiCase:
    def inputs(rng: np.random.Generator, m: bool) -> tuple:
        if pos:
            return (_u(rng, *_mat(m), lo=0.1, hi=2), _u(rng, *_mat(m), lo=0.1, hi=2))
        return (_f(rng, *_mat(m)), _f(rng, *_mat(m)))
    return ApiCase(name, lambda lib, x, y: getattr(lib, name)(x, y), inputs,
                   (0, 1) if grad else ())


def _ints2(rng: np.random.Generator, m: bool) -> tuple:
    return (_i(rng, 1 << 20, *_mat(m)), _i(rng, 1 << 20, *_mat(m)))


def _shift(rng: np.random.Generator, m: bool) -> tuple:
    return (_i(rng, 1 << 20, *_mat(m)), _i(rng, 8, *_mat(m)))


def _elementwise() -> list[ApiCase]:
    cases = [_unary(n) for n in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "atan", "asinh")]
    cases += [_unary("asin", -0.9, 0.9), _unary("acos", -0.9, 0.9),
              _unary("atanh", -0.9, 0.9), _unary("acosh", 1.1, 3.0),
              _unary("erfinv", -0.9, 0.9), _unary("lgamma", 0.1, 5.0),
              _unary("digamma", 0.1, 5.0), _unary("sinc"), _unary("nan_to_num", grad=False)]
    cases += [_binary("atan2"), _binary("hypot"), _binary("fmod"), _binary("remainder"),
              _binary("logaddexp"), _binary("xlogy", pos=True), _binary("isclose", False)]
    cases += [ApiCase(n, lambda lib, x, y, n=n: getattr(lib, n)(x, y), _ints2)
              for n in ("bitwise_and", "bitwise_or", "bitwise_xor")]
    cases += [ApiCase("bitwise_not", lambda lib, x: lib.bitwise_not(x),
                      lambda r, m: _ints2(r, m)[:1]),
              ApiCase("bitwise_left_shift", lambda lib, x, y: lib.bitwise_left_shift(x, y),
                      _shift),
              ApiCase("bitwise_right_shift", lambda lib, x, y: lib.bitwise_right_shift(x, y),
                      _shift)]
    return cases


def _products() -> list[ApiCase]:
    def mm3(r: np.random.Generator, m: bool) -> tuple:
        n = 64 if m else 8
        return (_f(r, n, n), _f(r, n, n), _f(r, n, n))

    def bmm3(r: np.random.Generator, m: bool) -> tuple:
        b, n = (16, 32) if m else (2, 4)
        return (_f(r, n, n), _f(r, b, n, n), _f(r, b, n, n))

    def bmm4(r: np.random.Generator, m: bool) -> tuple:
        b, n = (16, 32) if m else (2, 4)
        return (_f(r, b, n, n), _f(r, b, n, n), _f(r, b, n, n))

    def ew3(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, *_mat(m)), _f(r, *_mat(m)), _u(r, *_mat(m), lo=0.5, hi=2))

    def kron(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 64, 64), _f(r, 4, 4)) if m else (_f(r, 4, 4), _f(r, 2, 2))

    def outer(r: np.random.Generator, m: bool) -> tuple:
        n = _mat(m)[0]
        return (_f(r, n), _f(r, n))

    def cross(r: np.random.Generator, m: bool) -> tuple:
        n = 16384 if m else 16
        return (_f(r, n, 3), _f(r, n, 3))

    return [
        ApiCase("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), mm3, (0, 1, 2)),
        ApiCase("addmv", lambda lib, c, a, b: lib.addmv(c[0], a, b[0]), mm3, (0, 1, 2)),
        ApiCase("addbmm", lambda lib, c, a, b: lib.addbmm(c, a, b), bmm3, (0, 1, 2)),
        ApiCase("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b), bmm4, (0, 1, 2)),
        ApiCase("addcmul", lambda lib, a, b, c: lib.addcmul(a, b, c, value=0.5), ew3,
                (0, 1, 2)),
        ApiCase("addcdiv", lambda lib, a, b, c: lib.addcdiv(a, b, c, value=0.5), ew3,
                (0, 1, 2)),
        ApiCase("einsum bij,bjk", lambda lib, a, b, c: lib.einsum("bij,bjk->bik", b, c), bmm4,
                (1, 2)),
        ApiCase("tensordot", lambda lib, c, a, b: lib.tensordot(a, b, dims=([1], [0])), mm3,
                (1, 2)),
        ApiCase("kron", lambda lib, a, b: lib.kron(a, b), kron, (0, 1)),
        ApiCase("outer", lambda lib, a, b: lib.outer(a, b), outer, (0, 1)),
        ApiCase("cross", lambda lib, a, b: lib.linalg.cross(a, b), cross, (0, 1)),
    ]


def _matrix(r: np.random.Generator, m: bool) -> tuple:
    return (_f(r, *_mat(m)),)


def _rows(r: np.random.Generator, m: bool) -> tuple:
    """A (rows, 64)-shaped input: scans and sorts along the last dim."""
    return (_f(r, 1024 if m else 1, 64),)


def _shapes() -> list[ApiCase]:
    def vec(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, _mat(m)[0]),)

    def bmat(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 4, 128, 128) if m else _f(r, 2, 4, 4),)

    def bvec(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 256, 256) if m else _f(r, 8, 8),)

    return [
        ApiCase("diag", lambda lib, v: lib.diag(v), vec, (0,)),
        ApiCase("diagonal", lambda lib, x: lib.diagonal(x, 0, -2, -1), bmat, (0,)),
        ApiCase("diag_embed", lambda lib, x: lib.diag_embed(x), bvec, (0,)),
        ApiCase("tril", lambda lib, x: lib.tril(x), _matrix, (0,)),
        ApiCase("triu", lambda lib, x: lib.triu(x, 1), _matrix, (0,)),
        ApiCase("trace", lambda lib, x: lib.trace(x), _matrix, (0,)),
        ApiCase("diff", lambda lib, x: lib.diff(x, dim=-1), _matrix, (0,)),
        ApiCase("roll", lambda lib, x: lib.roll(x, (1, -2), (0, 1)), _matrix, (0,)),
        ApiCase("rot90", lambda lib, x: lib.rot90(x, 1, (0, 1)), _matrix, (0,)),
        ApiCase("flip", lambda lib, x: lib.flip(x, (0,)), _matrix, (0,)),
    ]


def _scans() -> list[ApiCase]:
    def pos(r: np.random.Generator, m: bool) -> tuple:
        return (_u(r, 1024 if m else 1, 64, lo=0.9, hi=1.1),)

    def first(y: Any) -> Any:
        return y[0] if isinstance(y, tuple) else y.values

    return [
        ApiCase("cumsum", lambda lib, x: lib.cumsum(x, 1), _rows, (0,)),
        ApiCase("cumprod", lambda lib, x: lib.cumprod(x, 1), pos, (0,)),
        ApiCase("cummax", lambda lib, x: first(lib.cummax(x, 1)), _rows, (0,)),
        ApiCase("cummin", lambda lib, x: first(lib.cummin(x, 1)), _rows, (0,)),
        ApiCase("logcumsumexp", lambda lib, x: lib.logcumsumexp(x, 1), _rows, (0,)),
    ]


def _sorting() -> list[ApiCase]:
    def ints(r: np.random.Generator, m: bool) -> tuple:
        return (_i(r, 100, _vec(m)[0]),)

    def sorted_ints(r: np.random.Generator, m: bool) -> tuple:
        return (np.sort(_i(r, 100, _vec(m)[0])),)

    def bucket(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, *_vec(m)), np.linspace(-2, 2, 65 if m else 9).astype(np.float32))

    def search(r: np.random.Generator, m: bool) -> tuple:
        a, b = bucket(r, m)
        return (b, a)

    def values(y: Any) -> Any:
        return y.values

    return [
        ApiCase("sort", lambda lib, x: values(lib.sort(x, 1)), _rows, (0,)),
        ApiCase("argsort", lambda lib, x: lib.argsort(x, 1), _rows),
        ApiCase("topk", lambda lib, x: values(lib.topk(x, 5, 1)), _rows, (0,)),
        ApiCase("kthvalue", lambda lib, x: values(lib.kthvalue(x, 3, 1)), _rows, (0,)),
        ApiCase("median", lambda lib, x: values(lib.median(x, 1)), _rows, (0,)),
        ApiCase("mode", lambda lib, x: values(lib.mode(x, 1)),
                lambda r, m: (_i(r, 8, 1024 if m else 1, 64),)),
        ApiCase("unique", lambda lib, x: lib.unique(x), ints),
        ApiCase("unique_consecutive", lambda lib, x: lib.unique_consecutive(x), sorted_ints),
        ApiCase("bincount", lambda lib, x: lib.bincount(x), ints),
        ApiCase("histc", lambda lib, x: lib.histc(x, 32, -2, 2), lambda r, m: (_f(r, *_vec(m)),)),
        ApiCase("bucketize", lambda lib, x, b: lib.bucketize(x, b), bucket),
        ApiCase("searchsorted", lambda lib, s, x: lib.searchsorted(s, x), search),
    ]


def _indexing() -> list[ApiCase]:
    def take(r: np.random.Generator, m: bool) -> tuple:
        n = _vec(m)[0]
        return (_f(r, *_mat(m)), _i(r, n, n // 4))

    def along(r: np.random.Generator, m: bool) -> tuple:
        rows, cols = _mat(m)
        return (_f(r, rows, cols), _i(r, cols, rows, cols // 2))

    def scatter(r: np.random.Generator, m: bool) -> tuple:
        rows, cols = _mat(m)
        return (_f(r, rows // 4, cols), _i(r, rows // 4, rows, cols), _f(r, rows, cols))

    def index(r: np.random.Generator, m: bool) -> tuple:
        rows, cols = _mat(m)
        return (_f(r, rows, cols), r.permutation(rows)[: rows // 2].astype(np.int64),
                _f(r, rows // 2, cols))

    def masked(r: np.random.Generator, m: bool) -> tuple:
        x = _f(r, *_mat(m))
        return (x, x > 0, _f(r, *_mat(m)))

    def sparse(r: np.random.Generator, m: bool) -> tuple:
        x = _f(r, *_mat(m))
        return (np.where(x > 0.5, x, 0).astype(np.float32),)

    return [
        ApiCase("take", lambda lib, x, i: lib.take(x, i), take, (0,)),
        ApiCase("take_along_dim", lambda lib, x, i: lib.take_along_dim(x, i, 1), along, (0,)),
        ApiCase("scatter_reduce sum",
                lambda lib, s, i, x: s.scatter_reduce(0, i, x, "sum"), scatter, (0, 2)),
        ApiCase("scatter_reduce amax",
                lambda lib, s, i, x: s.scatter_reduce(0, i, x, "amax"), scatter, (0, 2)),
        ApiCase("index_add", lambda lib, x, i, s: x.index_add(0, i, s), index, (0, 2)),
        ApiCase("index_copy", lambda lib, x, i, s: x.index_copy(0, i, s), index, (0, 2)),
        ApiCase("index_fill", lambda lib, x, i, s: x.index_fill(0, i, 1.5), index, (0,)),
        ApiCase("masked_scatter", lambda lib, x, k, s: x.masked_scatter(k, s), masked, (0, 2)),
        ApiCase("nonzero", lambda lib, x: lib.nonzero(x), sparse),
        ApiCase("count_nonzero", lambda lib, x: lib.count_nonzero(x), sparse),
    ]


def _stats() -> list[ApiCase]:
    def obs(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 64, 1024) if m else _f(r, 4, 16),)

    def points(r: np.random.Generator, m: bool) -> tuple:
        n, d = (256, 32) if m else (8, 4)
        return (_f(r, n, d), _f(r, n, d))

    return [
        ApiCase("cov", lambda lib, x: lib.cov(x), obs, (0,)),
        ApiCase("corrcoef", lambda lib, x: lib.corrcoef(x), obs, (0,)),
        ApiCase("cdist", lambda lib, a, b: lib.cdist(a, b), points, (0, 1)),
        ApiCase("dist", lambda lib, a, b: lib.dist(a, b), points, (0, 1)),
    ]


def _linalg() -> list[ApiCase]:
    def square(r: np.random.Generator, m: bool) -> tuple:
        n = _sq(m)
        return (_f(r, n, n) + n * np.eye(n, dtype=np.float32),)

    def spd(r: np.random.Generator, m: bool) -> tuple:
        a = _f(r, _sq(m), _sq(m))
        return (a @ a.T + _sq(m) * np.eye(_sq(m), dtype=np.float32),)

    def system(r: np.random.Generator, m: bool) -> tuple:
        return (*square(r, m), _f(r, _sq(m), 4))

    def rect(r: np.random.Generator, m: bool) -> tuple:
        n = _sq(m)
        return (_f(r, n, n // 2),)

    la = "linalg"
    return [
        ApiCase("linalg.norm", lambda lib, x: getattr(lib, la).norm(x), _matrix, (0,)),
        ApiCase("linalg.det", lambda lib, x: getattr(lib, la).det(x), square, (0,)),
        ApiCase("linalg.slogdet", lambda lib, x: getattr(lib, la).slogdet(x)[1], square, (0,)),
        ApiCase("linalg.inv", lambda lib, x: getattr(lib, la).inv(x), square, (0,)),
        ApiCase("linalg.solve", lambda lib, a, b: getattr(lib, la).solve(a, b), system, (0, 1)),
        ApiCase("linalg.cholesky", lambda lib, x: getattr(lib, la).cholesky(x), spd, (0,)),
        ApiCase("linalg.qr", lambda lib, x: getattr(lib, la).qr(x)[1], rect, (0,)),
        ApiCase("linalg.eigh", lambda lib, x: getattr(lib, la).eigh(x)[0], spd, (0,)),
        ApiCase("linalg.svd", lambda lib, x: getattr(lib, la).svd(x, full_matrices=False)[1],
                rect, (0,)),
        ApiCase("linalg.pinv", lambda lib, x: getattr(lib, la).pinv(x), rect, (0,)),
        ApiCase("linalg.matrix_power",
                lambda lib, x: getattr(lib, la).matrix_power(x, 3), square, (0,)),
    ]


def _random() -> list[ApiCase]:
    def probs(r: np.random.Generator, m: bool) -> tuple:
        return (_u(r, *((64, 1024) if m else (4, 16)), lo=0.1, hi=1.0),)

    def unit(r: np.random.Generator, m: bool) -> tuple:
        return (_u(r, *_vec(m), lo=0.0, hi=1.0),)

    def rates(r: np.random.Generator, m: bool) -> tuple:
        return (_u(r, *_vec(m), lo=0.5, hi=5.0),)

    return [
        ApiCase("multinomial", lambda lib, p: lib.multinomial(p, 4), probs),
        ApiCase("bernoulli", lambda lib, p: lib.bernoulli(p), unit),
        ApiCase("normal", lambda lib, mu: lib.normal(mu, 1.0), unit),
        ApiCase("poisson", lambda lib, r: lib.poisson(r), rates),
        ApiCase("randperm", lambda lib, n: lib.randperm(n), lambda r, m: (_vec(m)[0],)),
    ]


def _rnn(kind: str) -> ApiCase:
    def inputs(r: np.random.Generator, m: bool) -> tuple:
        seq, batch, feat, hidden = (16, 16, 32, 64) if m else (4, 2, 4, 8)
        return (Build(lambda lib: getattr(lib.nn, kind)(feat, hidden)), _f(r, seq, batch, feat))
    return ApiCase(kind, lambda lib, mod, x: mod(x)[0], inputs, (1,))


def _nn() -> list[ApiCase]:
    def fn(lib: Any) -> Any:
        return lib.nn.functional

    def sdpa(r: np.random.Generator, m: bool) -> tuple:
        shape = (2, 4, 64, 32) if m else (1, 2, 4, 4)
        return (_f(r, *shape), _f(r, *shape), _f(r, *shape))

    def img(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 4, 16, 32, 32) if m else _f(r, 1, 2, 4, 4),)

    def convt(r: np.random.Generator, m: bool) -> tuple:
        c = 16 if m else 2
        return (*img(r, m), _f(r, c, c, 3, 3))

    def grid(r: np.random.Generator, m: bool) -> tuple:
        x = img(r, m)[0]
        return (x, _u(r, x.shape[0], x.shape[2], x.shape[3], 2, lo=-1, hi=1))

    def tokens(r: np.random.Generator, m: bool) -> tuple:
        n, bags = (4096, 256) if m else (16, 4)
        return (_i(r, 1000, n), np.arange(0, n, n // bags, dtype=np.int64),
                _f(r, 1000, 32 if m else 4))

    def feats(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 1024, 64) if m else _f(r, 8, 8), _f(r, 1024, 64) if m else _f(r, 8, 8))

    def shuffle(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 4, 64, 16, 16) if m else _f(r, 1, 4, 2, 2),)

    def fold_in(r: np.random.Generator, m: bool) -> tuple:
        return (_f(r, 1, 4 * 9, 900) if m else _f(r, 1, 9, 4),)

    def pad(mode: str) -> ApiCase:
        return ApiCase(f"pad {mode}", lambda lib, x: fn(lib).pad(x, (1, 2, 2, 1), mode=mode),
                       img, (0,))
    return [
        _rnn("RNN"), _rnn("LSTM"), _rnn("GRU"),
        ApiCase("scaled_dot_product_attention",
                lambda lib, q, k, v: fn(lib).scaled_dot_product_attention(q, k, v), sdpa,
                (0, 1, 2)),
        ApiCase("conv_transpose2d", lambda lib, x, w: fn(lib).conv_transpose2d(x, w, stride=2),
                convt, (0, 1)),
        ApiCase("interpolate bilinear",
                lambda lib, x: fn(lib).interpolate(x, scale_factor=2, mode="bilinear"), img,
                (0,)),
        ApiCase("interpolate nearest",
                lambda lib, x: fn(lib).interpolate(x, scale_factor=2, mode="nearest"), img,
                (0,)),
        ApiCase("grid_sample",
                lambda lib, x, g: fn(lib).grid_sample(x, g, align_corners=False), grid, (0, 1)),
        pad("reflect"), pad("replicate"), pad("circular"), pad("constant"),
        ApiCase("group_norm", lambda lib, x: fn(lib).group_norm(x, 2), img, (0,)),
        ApiCase("instance_norm", lambda lib, x: fn(lib).instance_norm(x), img, (0,)),
        ApiCase("layer_norm", lambda lib, x: fn(lib).layer_norm(x, x.shape[-1:]), img, (0,)),
        ApiCase("embedding_bag",
                lambda lib, i, o, w: fn(lib).embedding_bag(i, w, o, mode="mean"), tokens, (2,)),
        ApiCase("one_hot", lambda lib, i: fn(lib).one_hot(i, 1000), lambda r, m: tokens(r, m)[:1]),
        ApiCase("normalize", lambda lib, x, y: fn(lib).normalize(x, dim=1), feats, (0,)),
        ApiCase("cosine_similarity", lambda lib, x, y: fn(lib).cosine_similarity(x, y), feats,
                (0, 1)),
        ApiCase("pairwise_distance", lambda lib, x, y: fn(lib).pairwise_distance(x, y), feats,
                (0, 1)),
        ApiCase("unfold", lambda lib, x: fn(lib).unfold(x, 3, padding=1), img, (0,)),
        ApiCase("fold", lambda lib, x: fn(lib).fold(x, (32, 32) if x.shape[-1] == 900
                                                     else (4, 4), 3), fold_in, (0,)),
        ApiCase("pixel_shuffle", lambda lib, x: fn(lib).pixel_shuffle(x, 2), shuffle, (0,)),
    ]


CASES: list[ApiCase] = (_elementwise() + _products() + _shapes() + _scans() + _sorting()
                        + _indexing() + _stats() + _linalg() + _random() + _nn())


def _materialize(lib: Any, values: tuple, grad: tuple[int, ...], backward: bool) -> list:
    out = []
    for k, v in enumerate(values):
        if isinstance(v, Build):
            out.append(v.make(lib))
        elif isinstance(v, np.ndarray):
            out.append(lib.tensor(v, requires_grad=backward and k in grad))
        else:
            out.append(v)
    return out


def make_call(case: ApiCase, lib: Any, size: str, backward: bool) -> Callable[[], Any]:
    """The timed call of ``case`` in ``lib`` at ``size`` (forward, or forward + backward)."""
    values = case.inputs(np.random.default_rng(0), size == "medium")
    args = _materialize(lib, values, case.grad, backward)
    if not backward:
        return lambda: case.fn(lib, *args)

    def step() -> None:
        case.fn(lib, *args).sum().backward()
    return step


def rows_to_time(only: list[str] | None = None) -> list[tuple[ApiCase, str, bool]]:
    """(case, size, backward) for every row, in table order; ``only``: those op names."""
    out = []
    for case in CASES:
        if only and case.name not in only:
            continue
        for size in SIZES:
            out.append((case, size, False))
            if case.grad:
                out.append((case, size, True))
    return out
