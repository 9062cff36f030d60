"""Issue 13's Tensor-method breadth against PyTorch: every name that ``_api_tensor*`` and the
in-place table of ``_methods.py`` add runs on the same numpy inputs in tenkai and PyTorch, and
the results (values, dtypes, shapes), in-place semantics (same object, dtype kept, version
bumped, leaf error), errors on bad input and gradients are compared.

Each table row is ``(id, fn)`` with ``fn(lib)`` building its tensors with ``lib.tensor`` so one
function serves both libraries; ``test_every_added_name_has_a_row`` makes sure no added name
is left out of the tables.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tenkai
from tenkai import (
    _api_tensor,
    _api_tensor_index,
    _api_tensor_math,
    _api_tensor_shape,
    _api_tensor_signal,
    _api_tensor_special,
    _methods,
)

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta"),
              pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter"),
              pytest.mark.filterwarnings("ignore:torch.lu_solve is deprecated"),
              pytest.mark.filterwarnings("ignore:torch.lu is deprecated"),
              pytest.mark.filterwarnings("ignore:stft with return_complex=False"),
              pytest.mark.filterwarnings("ignore:A window was not provided")]

RNG = np.random.default_rng(13)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)
SQ = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float64)
V3 = RNG.standard_normal(3).astype(np.float32)
V4 = RNG.standard_normal(4).astype(np.float32)
P = RNG.uniform(0.5, 3.0, (3, 4)).astype(np.float64)
NANS = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, np.nan, 5.0, 0.5],
                 [4.0, 2.0, np.nan, 1.0]], np.float32)
SIG = RNG.standard_normal((2, 20)).astype(np.float64)
TIES = np.array([[1.0, 2.0, 2.0, -1.0], [2.0, 1.0, 1.0, 0.5], [1.0, 2.0, 0.5, 0.5]],
                np.float32)
I1 = np.array([[12, -18, 7], [0, 9, 30]], np.int64)
I2 = np.array([[8, 24, 21], [5, -6, 4]], np.int64)
X3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
IDX = np.array([2, 0], np.int64)
SCAT = np.array([[0, 1, 2, 0], [2, 0, 1, 1]], np.int64)
MASK = np.array([[True, False, True, False], [False, False, True, True],
                 [True, True, False, False]])


def t(lib, a, **kw):
    return lib.tensor(np.array(a, copy=True), **kw)


# ---------------------------------------------------------------- values (id, fn(lib))

VALUES = [
    # properties and description
    ("is_cpu", lambda L: t(L, A).is_cpu),
    ("itemsize", lambda L: (t(L, A).itemsize, t(L, I1).itemsize)),
    ("nbytes", lambda L: (t(L, A).nbytes, t(L, A)[:, 1:].nbytes)),
    ("ndimension", lambda L: t(L, X3).ndimension()),
    ("get_device", lambda L: (t(L, A).get_device(), L.get_device(t(L, A)))),
    ("layout", lambda L: repr(t(L, A).layout)),
    ("torch.layout", lambda L: (repr(L.strided), isinstance(t(L, A).layout, L.layout))),
    ("is_inference", lambda L: (t(L, A).is_inference(), L.is_inference(t(L, A)))),
    ("is_shared", lambda L: t(L, A).is_shared()),
    ("is_set_to", lambda L: (lambda x: (x.is_set_to(x), x.is_set_to(x.clone()),
                                        x.is_set_to(x.t())))(t(L, A))),
    ("name", lambda L: t(L, A).name),
    ("output_nr", lambda L: (t(L, A).output_nr, (t(L, A, requires_grad=True) * 2).output_nr)),
    ("grad_dtype", lambda L: repr(t(L, A, requires_grad=True).grad_dtype)),
    ("dim_order", lambda L: (t(L, X3).dim_order(), t(L, X3).transpose(0, 2).dim_order())),
    ("new", lambda L: (t(L, A).new(2, 3).shape, t(L, A).new([1, 2]), t(L, I1).new([3]),
                       t(L, A).new().shape, t(L, A).new((2, 3)), t(L, A).new(L.Size([2])).shape,
                       t(L, A).new(t(L, B)))),
    ("new_empty_strided", lambda L: t(L, A).new_empty_strided((2, 3), (3, 1)).shape),
    ("as_subclass", lambda L: t(L, A).as_subclass(L.Tensor)),
    ("apply_", lambda L: t(L, A).apply_(lambda v: v * 2 + 1)),
    ("map_", lambda L: t(L, A).map_(t(L, V4), lambda a, b: a - b)),
    # shape functions
    ("adjoint", lambda L: (t(L, X3).adjoint(), L.adjoint(t(L, A)))),
    ("movedim", lambda L: (t(L, X3).movedim(0, -1), L.movedim(t(L, X3), (0, 1), (2, 0)))),
    ("moveaxis", lambda L: (t(L, X3).moveaxis(-1, 0), L.moveaxis(t(L, X3), 1, 2))),
    ("ravel", lambda L: (t(L, A).t().ravel(), L.ravel(t(L, X3)))),
    ("narrow", lambda L: (t(L, A).narrow(1, 1, 2), L.narrow(t(L, A), 0, -2, 2))),
    ("narrow_copy", lambda L: (t(L, A).narrow_copy(1, 0, 3), L.narrow_copy(t(L, A), 0, 1, 1))),
    ("select", lambda L: (t(L, X3).select(1, -1), L.select(t(L, A), 0, 2))),
    ("select_scatter", lambda L: (t(L, A).select_scatter(t(L, V3), 1, 2),
                                  L.select_scatter(t(L, A), t(L, V4), 0, 0))),
    ("slice_scatter", lambda L: (t(L, A).slice_scatter(t(L, A[:, :2]), 1, 1, 3),
                                 L.slice_scatter(t(L, A), t(L, A[::2]), step=2))),
    ("diagonal_scatter", lambda L: (t(L, A).diagonal_scatter(t(L, V3)),
                                    L.diagonal_scatter(t(L, A), t(L, V3[:2]), 2))),
    ("as_strided", lambda L: (t(L, A).as_strided((2, 2), (1, 2)),
                              L.as_strided(t(L, A), (3,), (5,), 1))),
    ("as_strided_scatter", lambda L: (t(L, A).as_strided_scatter(t(L, A[:2, :2]), (2, 2),
                                                                 (4, 1), 1),
                                      L.as_strided_scatter(t(L, V4), t(L, V3[:2]), (2,), (2,)))),
    ("tile", lambda L: (t(L, V3).tile((2,)), L.tile(t(L, A), (2, 1, 2)), t(L, X3).tile((2,)))),
    ("tensor_split", lambda L: (t(L, V4).tensor_split(3), L.tensor_split(t(L, A), [1, 3], 1),
                                t(L, A).tensor_split(t(L, np.array(2)), dim=1))),
    ("hsplit", lambda L: (t(L, A).hsplit(2), L.hsplit(t(L, V4), [1, 3]))),
    ("vsplit", lambda L: (t(L, A).vsplit([1]), L.vsplit(t(L, A), 3))),
    ("dsplit", lambda L: (t(L, X3).dsplit(2), L.dsplit(t(L, X3), [3]))),
    ("split_with_sizes", lambda L: (t(L, A).split_with_sizes([1, 3], 1),
                                    L.split_with_sizes(t(L, A), [2, 1]))),
    ("unsafe_split", lambda L: (t(L, A).unsafe_split(2, 1), L.unsafe_split(t(L, A), 2))),
    ("unsafe_split_with_sizes", lambda L: (t(L, A).unsafe_split_with_sizes([3, 1], 1),
                                           L.unsafe_split_with_sizes(t(L, A), [1, 2]))),
    ("unsafe_chunk", lambda L: (t(L, A).unsafe_chunk(2, 1), L.unsafe_chunk(t(L, A), 3))),
    ("unfold", lambda L: (t(L, A).unfold(1, 2, 1), t(L, X3).unfold(0, 1, 2),
                          t(L, V4).unfold(0, 3, 2))),
    ("diagflat", lambda L: (t(L, V3).diagflat(), L.diagflat(t(L, A[:2, :2]), -1))),
    ("sum_to_size", lambda L: (t(L, X3).sum_to_size(3, 1), t(L, A).sum_to_size((1, 4)))),
    ("ger", lambda L: t(L, V3).ger(t(L, V4))),
    # indexing
    ("index_copy", lambda L: (t(L, A).index_copy(0, t(L, IDX), t(L, B[:2])),
                              L.index_copy(t(L, A), 1, t(L, IDX), t(L, B[:, :2])))),
    ("index_fill", lambda L: (t(L, A).index_fill(1, t(L, IDX), -1.5),
                              L.index_fill(t(L, I1), 0, t(L, np.array([1])), 7),
                              t(L, A).index_fill(1, t(L, np.array([-1, -4, 1])), 2.0))),
    ("index_put", lambda L: (t(L, A).index_put((t(L, IDX), t(L, np.array([1, 3]))),
                                               t(L, np.float32(9))),
                             L.index_put(t(L, A), (t(L, np.array([0, 0, 2])),), t(L, V4),
                                         accumulate=True))),
    ("index_reduce", lambda L: tuple(t(L, A).index_reduce(0, t(L, np.array([0, 2, 0])), t(L, B),
                                                          r, include_self=s)
                                     for r in ("prod", "mean", "amax", "amin")
                                     for s in (True, False))),
    ("scatter", lambda L: (t(L, A).scatter(0, t(L, SCAT[:1]), t(L, B)),
                           L.scatter(t(L, A), 1, t(L, np.array([[3], [0], [1]])), 5.0),
                           t(L, A).scatter(0, t(L, SCAT), t(L, B), reduce="add"),
                           t(L, A).scatter(0, t(L, SCAT), 2.0, reduce="multiply"))),
    ("scatter_reduce", lambda L: tuple(L.scatter_reduce(t(L, A), 0, t(L, SCAT), t(L, B), r,
                                                        include_self=s)
                                       for r in ("sum", "prod", "mean", "amax", "amin")
                                       for s in (True, False))),
    ("scatter_reduce.int_mean", lambda L: t(L, I1).scatter_reduce(
        1, t(L, np.array([[0, 0], [2, 2]])), t(L, I2[:, :2]), "mean")),
    ("masked_select", lambda L: (t(L, A).masked_select(t(L, MASK)),
                                 L.masked_select(t(L, V4), t(L, MASK)))),
    ("masked_scatter", lambda L: (t(L, A).masked_scatter(t(L, MASK), t(L, B)),
                                  L.masked_scatter(t(L, A), t(L, MASK[0]), t(L, B)))),
    ("take", lambda L: (t(L, A).take(t(L, np.array([[0, 11], [-1, 5]]))),
                        L.take(t(L, A), t(L, np.array(3))))),
    ("put", lambda L: (t(L, A).put(t(L, np.array([0, -1])), t(L, V4[:2])),
                       L.put(t(L, A), t(L, np.array([1, 1])), t(L, V4[:2]), accumulate=True))),
    ("take_along_dim", lambda L: (t(L, A).take_along_dim(t(L, SCAT), 0),
                                  L.take_along_dim(t(L, A), t(L, np.array([5, 0]))),
                                  L.take_along_dim(t(L, A), t(L, np.array([[1], [0], [3]])), 1))),
    # math
    ("lerp", lambda L: (t(L, A).lerp(t(L, B), 0.3), L.lerp(t(L, A), t(L, B), t(L, V4)))),
    ("gcd", lambda L: (t(L, I1).gcd(t(L, I2)), L.gcd(t(L, I1), t(L, I2)))),
    ("lcm", lambda L: (t(L, I1).lcm(t(L, I2)), L.lcm(t(L, I1), t(L, I2)))),
    ("i0", lambda L: (t(L, A).i0(), L.i0(t(L, I1)))),
    ("igamma", lambda L: (t(L, P).igamma(t(L, P.T.reshape(3, 4))),
                          L.igamma(t(L, P), t(L, np.float64(2.0))))),
    ("igammac", lambda L: (t(L, P).igammac(t(L, P[::-1])), L.igammac(t(L, P), t(L, P * 5)))),
    ("mvlgamma", lambda L: (t(L, P + 1).mvlgamma(3), L.mvlgamma(t(L, P), 1))),
    ("nextafter", lambda L: (t(L, A).nextafter(t(L, B)), L.nextafter(t(L, V4), t(L, V4)))),
    ("hardshrink", lambda L: (t(L, A).hardshrink(), L.hardshrink(t(L, A), 0.8))),
    ("prelu", lambda L: (t(L, A).prelu(t(L, np.array([0.25], np.float32))),
                         L.prelu(t(L, X3), t(L, V3)))),
    ("positive", lambda L: (t(L, A).positive(), L.positive(t(L, I1)))),
    ("nansum", lambda L: (t(L, NANS).nansum(), L.nansum(t(L, NANS), 1, keepdim=True),
                          t(L, I1).nansum(0))),
    ("nanmean", lambda L: (t(L, NANS).nanmean(), L.nanmean(t(L, NANS), 0))),
    ("nanmedian", lambda L: (t(L, NANS).nanmedian(), L.nanmedian(t(L, NANS), 1),
                             t(L, A).nanmedian(0, keepdim=True))),
    ("count_nonzero", lambda L: (t(L, I1).count_nonzero(), L.count_nonzero(t(L, I1), 0),
                                 t(L, MASK).count_nonzero((0, 1)))),
    ("aminmax", lambda L: (tuple(t(L, A).aminmax()), tuple(L.aminmax(t(L, A), dim=1)),
                           tuple(t(L, I1).aminmax(dim=0, keepdim=True)))),
    ("argwhere", lambda L: (t(L, MASK).argwhere(), L.argwhere(t(L, I1)))),
    ("nonzero_static", lambda L: (t(L, I1).nonzero_static(size=7),
                                  L.nonzero_static(t(L, MASK), size=2, fill_value=9))),
    ("renorm", lambda L: (t(L, A).renorm(2, 0, 1.0), L.renorm(t(L, X3), 1, 2, 2.0))),
    ("repeat_interleave", lambda L: (t(L, V3).repeat_interleave(2),
                                     L.repeat_interleave(t(L, A), t(L, np.array([1, 0, 2])), 0),
                                     L.repeat_interleave(t(L, np.array([2, 1, 3]))))),
    ("cov", lambda L: (t(L, A).cov(), L.cov(t(L, V4), correction=0),
                       L.cov(t(L, A), fweights=t(L, np.array([1, 2, 1, 3])),
                             aweights=t(L, np.array([0.5, 1.0, 2.0, 1.5], np.float32))))),
    ("corrcoef", lambda L: (t(L, A).corrcoef(), L.corrcoef(t(L, V4)))),
    ("dist", lambda L: (t(L, A).dist(t(L, B)), L.dist(t(L, A), t(L, V4), 1),
                        t(L, A).dist(t(L, B), float("inf")))),
    ("inner", lambda L: (t(L, A).inner(t(L, B)), L.inner(t(L, X3), t(L, V4)),
                         L.inner(t(L, V3), t(L, np.float32(2))))),
    ("vdot", lambda L: (t(L, V3).vdot(t(L, V3)), L.vdot(t(L, V4), t(L, V4)))),
    ("addr", lambda L: (t(L, A).addr(t(L, V3), t(L, V4)),
                        L.addr(t(L, A), t(L, V3), t(L, V4), beta=0.5, alpha=2))),
    ("histc", lambda L: (t(L, A).histc(5), L.histc(t(L, A), 4, -1, 1))),
    ("histogram", lambda L: (tuple(t(L, A).histogram(5)),
                             tuple(L.histogram(t(L, A), t(L, np.array([-2., 0., 1., 3.],
                                                                      np.float32)))),
                             tuple(L.histogram(t(L, A), 3, range=(-1., 1.), density=True)))),
    ("stft", lambda L: (t(L, SIG).stft(8, return_complex=False),
                        L.stft(t(L, SIG[0]), 8, 3, 6, window=t(L, np.hanning(6)), center=False,
                               return_complex=False),
                        L.stft(t(L, SIG), 6, normalized=True, onesided=False,
                               pad_mode="replicate", return_complex=False))),
    ("lu", lambda L: (tuple(t(L, SQ).lu()), tuple(L.lu(t(L, SQ), get_infos=True)))),
    ("lu_solve", lambda L: (lambda f: (t(L, SQ[:, :2]).lu_solve(*f),
                                       L.lu_solve(t(L, SQ), *f)))(L.lu(t(L, SQ)))),
    ("geqrf", lambda L: tuple(t(L, SQ[:, :2]).geqrf()) + tuple(L.geqrf(t(L, SQ)))),
    ("orgqr", lambda L: (lambda f: (f[0].orgqr(f[1]), L.orgqr(*f)))(L.geqrf(t(L, SQ[:, :2])))),
    ("ormqr", lambda L: (lambda f: (f[0].ormqr(f[1], t(L, SQ)),
                                    L.ormqr(*f, t(L, SQ[:2]), left=False, transpose=True)))(
                                        L.geqrf(t(L, SQ[:, :2])))),
]


def _plain(x):
    """A comparable Python value: tensors become (dtype name, shape, numpy values)."""
    if isinstance(x, torch.Tensor):
        return (str(x.dtype).removeprefix("torch."), tuple(x.shape), x.detach().numpy())
    if isinstance(x, tenkai.Tensor):
        return (str(x.dtype).removeprefix("torch."), tuple(x.shape), x.detach().numpy())
    if isinstance(x, tuple | list):
        return tuple(_plain(v) for v in x)
    if type(x).__name__ == "Size":
        return tuple(x)
    return x


def _assert_same(ours, theirs, where):
    a, b = _plain(ours), _plain(theirs)
    if isinstance(b, tuple) and len(b) == 3 and isinstance(b[2], np.ndarray):
        assert isinstance(a, tuple) and len(a) == 3, where
        assert a[:2] == b[:2], f"{where}: dtype/shape {a[:2]} != {b[:2]}"
        np.testing.assert_allclose(a[2], b[2], rtol=2e-5, atol=1e-5, equal_nan=True,
                                   err_msg=where)
    elif isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{k}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _raw(x):
    return x


@pytest.mark.parametrize("case", VALUES, ids=[c[0] for c in VALUES])
def test_values_match_pytorch(case):
    name, fn = case
    _assert_same(_lift(fn(tenkai)), _lift(fn(torch)), name)


def _lift(x):
    """Tensors stay as they are; torch's return types and tuples become tuples."""
    return tuple(_lift(v) for v in x) if isinstance(x, tuple) else x


# ---------------------------------------------------------------- in place

# (method, args(lib), input array): every in-place form; the result is compared with torch's.
INPLACE = [(f"{n}_", lambda L: (t(L, B),), A) for n in
           "eq ne lt le gt ge less less_equal greater greater_equal not_equal".split()] + [
    (f"{n}_", lambda L: (t(L, B),), A) for n in
    "divide multiply subtract true_divide floor_divide logical_and logical_or".split()] + [
    (f"{n}_", lambda L: (), P.astype(np.float32)) for n in
    "absolute erf expm1 log1p logical_not negative rsqrt i0".split()] + [
    ("polygamma_", lambda L: (1,), P.astype(np.float32)),
    ("mvlgamma_", lambda L: (2,), P.astype(np.float32) + 1),
    ("igamma_", lambda L: (t(L, P[::-1].astype(np.float32)),), P.astype(np.float32)),
    ("igammac_", lambda L: (t(L, P[::-1].astype(np.float32)),), P.astype(np.float32)),
    ("nextafter_", lambda L: (t(L, B),), A),
    ("lerp_", lambda L: (t(L, B), 0.25), A),
    ("renorm_", lambda L: (2, 1, 0.5), A),
    ("addr_", lambda L: (t(L, V3), t(L, V4)), A),
    ("gcd_", lambda L: (t(L, I2),), I1),
    ("lcm_", lambda L: (t(L, I2),), I1),
    ("index_copy_", lambda L: (1, t(L, IDX), t(L, B[:, :2])), A),
    ("index_fill_", lambda L: (0, t(L, IDX), 3.0), A),
    ("index_put_", lambda L: ((t(L, IDX),), t(L, V4)), A),
    ("index_reduce_", lambda L: (0, t(L, IDX), t(L, B[:2]), "amax"), A),
    ("scatter_", lambda L: (1, t(L, np.array([[1], [2], [0]])), t(L, B)), A),
    ("scatter_reduce_", lambda L: (0, t(L, SCAT), t(L, B), "mean"), A),
    ("masked_scatter_", lambda L: (t(L, MASK), t(L, B)), A),
    ("put_", lambda L: (t(L, np.array([3, 7])), t(L, V4[:2])), A),
    ("fill_diagonal_", lambda L: (2.5,), A),
    ("fill_diagonal_.wrap", lambda L: (-1, True), np.zeros((7, 3), np.int64)),
    ("fill_diagonal_.cube", lambda L: (4.0,), X3[:, :2, :2]),
]
SHAPE_INPLACE = [
    ("t_", lambda L: (), A), ("transpose_", lambda L: (0, 1), A),
    ("swapaxes_", lambda L: (0, 1), A), ("swapdims_", lambda L: (1, 0), A),
    ("squeeze_", lambda L: (), A[:1]), ("unsqueeze_", lambda L: (1,), A),
    ("as_strided_", lambda L: ((2, 2), (1, 4)), A), ("resize_", lambda L: (2, 2), A),
    ("resize_as_", lambda L: (t(L, V3),), A),
]


def _version(x):
    return x._version if isinstance(x, torch.Tensor) else x._vc[0]


@pytest.mark.parametrize("case", INPLACE + SHAPE_INPLACE,
                         ids=[c[0] for c in INPLACE + SHAPE_INPLACE])
def test_inplace_forms_match_pytorch(case):
    name, args, data = case
    name = name.split(".")[0]
    results = {}
    for lib in (tenkai, torch):
        x = t(lib, data)
        before, dtype = _version(x), x.dtype
        out = getattr(x, name)(*args(lib))
        assert out is x, f"{name} must return self"
        assert str(x.dtype) == str(dtype), f"{name} changed the dtype"
        assert _version(x) > before, f"{name} must bump the version"
        results[lib.__name__] = x
    _assert_same(results["tenkai"], results["torch"], name)


@pytest.mark.parametrize("case", INPLACE[:10] + SHAPE_INPLACE[:4],
                         ids=[c[0] for c in INPLACE[:10] + SHAPE_INPLACE[:4]])
def test_inplace_on_a_leaf_requiring_grad_raises(case):
    name, args, data = case
    messages = []
    for lib in (tenkai, torch):
        x = t(lib, data.astype(np.float32), requires_grad=True)
        with pytest.raises(RuntimeError) as err:
            getattr(x, name)(*args(lib))
        messages.append(str(err.value).splitlines()[0])
    assert messages[0] == messages[1]


SAVED = [
    ("lerp_", lambda y, L: y.lerp_(y * 0 + 1, 0.5)),
    ("index_fill_", lambda y, L: y.index_fill_(0, L.tensor([1]), 2.0)),
    ("t_", lambda y, L: y.t_()), ("eq_", lambda y, L: y.eq_(1.0)),
    ("fill_diagonal_", lambda y, L: y.fill_diagonal_(0.0)),
    ("unsqueeze_", lambda y, L: y.unsqueeze_(0)),
    ("scatter_", lambda y, L: y.scatter_(0, L.tensor([[1, 0, 2]]), y[:1] * 3)),
]


@pytest.mark.parametrize("case", SAVED, ids=[c[0] for c in SAVED])
@pytest.mark.parametrize("saves", [True, False], ids=["saved", "unsaved"])
def test_inplace_versions_guard_saved_values(case, saves):
    """An in-place op on a value an earlier op saved fails at backward (PyTorch's version
    check); when nothing saved it, the gradients match PyTorch's."""
    name, op = case
    outcome = []
    for lib in (tenkai, torch):
        x = t(lib, SQ.astype(np.float32), requires_grad=True)
        y = x * 2
        z = y.sin() if saves else y + 1
        op(y, lib)
        try:
            (z.sum() + y.sum()).backward()
            outcome.append(x.grad.numpy())
        except RuntimeError as err:
            outcome.append(str(err).split(":")[0])
    if saves:
        assert outcome[0] == outcome[1] == ("one of the variables needed for gradient "
                                            "computation has been modified by an inplace "
                                            "operation")
    else:
        np.testing.assert_allclose(outcome[0], outcome[1], rtol=1e-5, atol=1e-6)


def test_inplace_cannot_change_the_dtype():
    for lib in (tenkai, torch):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                               "output type Long"):
            t(lib, I1).divide_(t(lib, I2))


def test_module_level_inplace_forms():
    for name, data, args in [("erf_", A, ()), ("negative_", A, ()), ("i0_", A, ()),
                             ("gcd_", I1, (I2,)), ("lcm_", I1, (I2,)),
                             ("index_put_", A, None)]:
        outs = []
        for lib in (tenkai, torch):
            x = t(lib, data)
            extra = ((t(lib, IDX),), t(lib, V4)) if args is None else \
                tuple(t(lib, a) for a in args)
            assert getattr(lib, name)(x, *extra) is x
            outs.append(x)
        _assert_same(outs[0], outs[1], name)


def test_resize_keeps_leading_elements_and_zero_fills():
    x = t(tenkai, V3)
    x.resize_(5)
    np.testing.assert_array_equal(x.numpy()[:3], V3)
    y = t(tenkai, A).resize(2, 2)
    np.testing.assert_array_equal(y.numpy(), A.reshape(-1)[:4].reshape(2, 2))
    z = t(tenkai, V3).resize_as(t(tenkai, A[:1, :2]))
    assert tuple(z.shape) == (1, 2)


def test_set_shares_memory_and_version():
    for lib in (tenkai, torch):
        x, y = t(lib, A), t(lib, B)
        x.set_(y)
        y.add_(1)
        np.testing.assert_allclose(x.numpy(), B + 1)
        assert x.is_set_to(y)
        x.set_()
        assert tuple(x.shape) == (0,)


def test_register_hook_on_leaves():
    grads = []
    for lib in (tenkai, torch):
        x = t(lib, A, requires_grad=True)
        seen = []
        handle = x.register_hook(lambda g, seen=seen: seen.append(g.clone()))
        x.register_hook(lambda g: g * 3)
        (x * x).sum().backward()
        np.testing.assert_allclose(seen[0].numpy(), 2 * A, rtol=1e-6)
        handle.remove()
        (x * 2).sum().backward()
        assert len(seen) == 1
        grads.append(x.grad)
    _assert_same(grads[0], grads[1], "register_hook")
    for lib in (tenkai, torch):
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                               "require gradient"):
            t(lib, A).register_hook(lambda g: g)
    seen = {}
    for lib in (tenkai, torch):
        x = t(lib, A, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g, lib=lib: seen.__setitem__(lib.__name__, g.clone()))
        (y.sin() * 3).sum().backward()
        with pytest.warns(UserWarning, match="is not a leaf Tensor"):
            assert y.grad is None  # the hook does not retain the gradient
    _assert_same(seen["tenkai"], seen["torch"], "non-leaf hook")
    y = t(tenkai, A, requires_grad=True) * 2
    y.register_hook(lambda g: g * 2)
    with pytest.raises(NotImplementedError, match="a hook on a non-leaf tensor that returns"):
        y.sum().backward()


def test_volatile_warns_and_is_false():
    for lib in (tenkai, torch):
        with pytest.warns(UserWarning, match="volatile was removed"):
            assert t(lib, A).volatile is False


# ---------------------------------------------------------------- gradients

# (id, fn(lib, leaf) -> tensor, leaf data): d(sum(out * w))/d(leaf) is compared.
GRADS = [
    ("adjoint", lambda L, x: x.adjoint(), A),
    ("movedim", lambda L, x: x.movedim(0, 1), A),
    ("narrow", lambda L, x: x.narrow(1, 1, 2), A),
    ("select", lambda L, x: x.select(1, 2), A),
    ("select_scatter", lambda L, x: L.select_scatter(x, x[:, 0] * 3, 1, 1), A),
    ("slice_scatter", lambda L, x: L.slice_scatter(x, x[:, :2] ** 2, 1, 2), A),
    ("diagonal_scatter", lambda L, x: L.diagonal_scatter(x, x[0, :3] * 2), A),
    ("as_strided", lambda L, x: x.as_strided((2, 3), (1, 2), 1), A),
    ("tile", lambda L, x: x.tile((2, 1)), A),
    ("tensor_split", lambda L, x: x.tensor_split(3, 1)[1] * 2, A),
    ("unfold", lambda L, x: x.unfold(1, 2, 1), A),
    ("diagflat", lambda L, x: x[0].diagflat(1), A),
    ("sum_to_size", lambda L, x: (x * x).sum_to_size(1, 4), A),
    ("index_copy", lambda L, x: x.index_copy(0, t(L, IDX), x[:2] * 2), A),
    ("index_fill", lambda L, x: x.index_fill(1, t(L, IDX), 0.5), A),
    ("index_put", lambda L, x: x.index_put((t(L, IDX),), x[1] * 3), A),
    ("index_put.acc", lambda L, x: x.index_put((t(L, IDX),), x[1] * 3, accumulate=True), A),
    ("scatter", lambda L, x: x.scatter(0, t(L, SCAT[:1]), x[:1] * 2), A),
    ("scatter_reduce.sum", lambda L, x: x.scatter_reduce(0, t(L, SCAT), (x * x)[:2], "sum",
                                                         include_self=False), A),
    ("scatter_reduce.mean", lambda L, x: x.scatter_reduce(0, t(L, SCAT), x[1:] * 2, "mean"),
     A),
    ("scatter_reduce.amax", lambda L, x: x.scatter_reduce(0, t(L, SCAT), x[1:] * 2, "amax"),
     TIES),
    ("scatter_reduce.amin", lambda L, x: x.scatter_reduce(0, t(L, SCAT), -x[:2], "amin",
                                                          include_self=False), TIES),
    ("index_reduce.amax", lambda L, x: x.index_reduce(0, t(L, np.array([0, 2, 0])), x * 0.5,
                                                      "amax", include_self=False), TIES),
    ("index_reduce.amin", lambda L, x: x.index_reduce(1, t(L, np.array([3, 3, 0, 1])), x.flip(0),
                                                      "amin"), TIES),
    ("index_reduce.mean", lambda L, x: x.index_reduce(0, t(L, np.array([1, 1, 2])), x * x,
                                                      "mean", include_self=False), A),
    ("masked_select", lambda L, x: x.masked_select(t(L, MASK)), A),
    ("masked_scatter", lambda L, x: x.masked_scatter(t(L, MASK), x * 4), A),
    ("take", lambda L, x: x.take(t(L, np.array([0, 5, 5, -1]))), A),
    ("put", lambda L, x: x.put(t(L, np.array([0, 6])), x[1, :2] * 2), A),
    ("put.acc", lambda L, x: x.put(t(L, np.array([0, 0])), x[1, :2] * 2, accumulate=True), A),
    ("take_along_dim", lambda L, x: x.take_along_dim(t(L, np.array([[1], [0], [3]])), 1), A),
    ("lerp", lambda L, x: x.lerp(x * x, x[0]), A),
    ("mvlgamma", lambda L, x: x.mvlgamma(2), P),
    ("i0", lambda L, x: x.i0(), A),
    ("i0.large", lambda L, x: x.i0(), np.array([-30.0, 0.0, 1e-3, 5.0, 60.0, 200.0])),
    ("igamma", lambda L, x: L.igamma(t(L, P[::-1]), x), P),
    ("igammac", lambda L, x: t(L, P * 2).igammac(x), P),
    ("nextafter", lambda L, x: x.nextafter(x * 2), A),
    ("hardshrink", lambda L, x: x.hardshrink(0.4), A),
    ("prelu", lambda L, x: x.prelu(x[0, :1].abs()), A),
    ("nansum", lambda L, x: x.nansum(1), NANS),
    ("nanmean", lambda L, x: x.nanmean(0), NANS),
    ("nanmedian", lambda L, x: x.nanmedian(1).values, NANS),
    ("aminmax", lambda L, x: x.aminmax(dim=1).max - x.aminmax(dim=1).min, A),
    ("renorm", lambda L, x: x.renorm(2, 0, 1.0), A),
    ("repeat_interleave", lambda L, x: x.repeat_interleave(t(L, np.array([2, 0, 1])), 0), A),
    ("cov", lambda L, x: x.cov(), A),
    ("corrcoef", lambda L, x: x.corrcoef(), A),
    ("dist", lambda L, x: x.dist(x.flip(0), 3), A),
    ("inner", lambda L, x: x.inner(x * 2), A),
    ("vdot", lambda L, x: x[0].vdot(x[1]), A),
    ("addr", lambda L, x: x.addr(x[:, 0], x[0], beta=2, alpha=0.5), A),
    ("ger", lambda L, x: x[:, 1].ger(x[2]), A),
    ("lu_solve", lambda L, x: L.lu_solve(x, *L.lu(t(L, SQ)))
     if L is torch else x.lu_solve(*L.lu(t(L, SQ))), SQ),
    ("orgqr", lambda L, x: L.orgqr(x, t(L, np.array([1.2, 0.7]))), SQ[:, :2]),
    ("stft", lambda L, x: x.stft(6, 2, window=t(L, np.hanning(6)), pad_mode="circular",
                                 return_complex=False), SIG),
    ("t_", lambda L, x: (x * 1).t_(), A),
    ("unsqueeze_", lambda L, x: (x * 2).unsqueeze_(0), A),
    ("eq_", lambda L, x: (x * 2).eq_(x) + x, A),
    ("fill_diagonal_", lambda L, x: (x * 2).fill_diagonal_(0.5) * x, A),
]


@pytest.mark.parametrize("case", GRADS, ids=[c[0] for c in GRADS])
def test_gradients_match_pytorch(case):
    name, fn, data = case
    grads, outs = [], []
    for lib in (tenkai, torch):
        x = t(lib, data, requires_grad=True)
        out = fn(lib, x)
        w = t(lib, np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(data.dtype))
        (out * w).sum().backward()
        grads.append(x.grad)
        outs.append(out)
    _assert_same(outs[0], outs[1], name)
    _assert_same(grads[0], grads[1], name + ".grad")


# ---------------------------------------------------------------- errors

# (id, fn(lib)): tenkai raises the exception type and first message line PyTorch raises.
ERRORS = [
    ("adjoint.1d", lambda L: t(L, V3).adjoint()),
    ("movedim.count", lambda L: t(L, A).movedim((0, 1), (0,))),
    ("take_along_dim.shape", lambda L: t(L, A).take_along_dim(t(L, np.array([[0, 1]])), 0)),
    ("narrow.length", lambda L: t(L, A).narrow(1, 2, 3)),
    ("narrow.start", lambda L: t(L, A).narrow(1, 5, 0)),
    ("select.range", lambda L: t(L, A).select(1, 4)),
    ("slice_scatter.size", lambda L: t(L, A).slice_scatter(t(L, V3), 1, 0, 2)),
    ("diagonal_scatter.size", lambda L: t(L, A).diagonal_scatter(t(L, V4))),
    ("tensor_split.0d", lambda L: t(L, np.float32(1)).tensor_split(2)),
    ("hsplit.divisible", lambda L: t(L, A).hsplit(3)),
    ("vsplit.1d", lambda L: t(L, V3).vsplit(1)),
    ("dsplit.2d", lambda L: t(L, A).dsplit(1)),
    ("unfold.size", lambda L: t(L, A).unfold(0, 4, 1)),
    ("unfold.step", lambda L: t(L, A).unfold(0, 2, 0)),
    ("sum_to_size", lambda L: t(L, A).sum_to_size(2, 4)),
    ("gcd.float", lambda L: t(L, A).gcd(t(L, B))),
    ("nanmean.int", lambda L: t(L, I1).nanmean()),
    ("inner.shape", lambda L: t(L, A).inner(t(L, V3))),
    ("vdot.2d", lambda L: t(L, A).vdot(t(L, V4))),
    ("mvlgamma.p", lambda L: t(L, A).mvlgamma(0)),
    ("positive.bool", lambda L: t(L, MASK).positive()),
    ("cov.3d", lambda L: t(L, X3).cov()),
    ("prelu.channels", lambda L: t(L, A).prelu(t(L, V3[:2]))),
    ("scatter_reduce.name", lambda L: t(L, A).scatter_reduce(0, t(L, SCAT), t(L, B), "foo")),
    ("index_reduce.name", lambda L: t(L, A).index_reduce(0, t(L, IDX), t(L, B[:2]), "sum")),
    ("index_put.dtype", lambda L: t(L, A).index_put((t(L, IDX),), t(L, I1[0, :1]))),
    ("take.range", lambda L: t(L, A).take(t(L, np.array([12])))),
    ("put.count", lambda L: t(L, A).put(t(L, np.array([0])), t(L, V3))),
    ("eig.removed", lambda L: L.eig(t(L, SQ))),
    ("lstsq.removed", lambda L: t(L, SQ).lstsq(t(L, SQ))),
    ("symeig.removed", lambda L: L.symeig(t(L, SQ))),
    ("solve.removed", lambda L: L.solve(t(L, SQ), t(L, SQ))),
    ("fill_diagonal_.1d", lambda L: t(L, V3).fill_diagonal_(1)),
    ("fill_diagonal_.shape", lambda L: t(L, X3).fill_diagonal_(1)),
    ("stft.return_complex", lambda L: t(L, SIG).stft(8)),
    ("stft.reflect", lambda L: t(L, SIG).stft(64, return_complex=False)),
    ("istft.real", lambda L: L.istft(t(L, SIG), 8)),
    ("igamma.input_grad", lambda L: L.igamma(t(L, P, requires_grad=True), t(L, P)).sum()
     .backward()),
    ("index_copy.shape", lambda L: t(L, A).index_copy(0, t(L, IDX), t(L, B))),
    ("index_copy.index_dim", lambda L: t(L, A).index_copy(0, t(L, SCAT), t(L, B[:2]))),
    ("index_copy.slice", lambda L: t(L, A).index_copy(0, t(L, IDX), t(L, B[:2, :3]))),
    ("index_copy.src_dim", lambda L: t(L, A).index_copy(0, t(L, IDX), t(L, V4))),
    ("index_fill.index_dim", lambda L: t(L, A).index_fill(0, t(L, SCAT), 1.0)),
    ("index_fill.negative", lambda L: t(L, A).index_fill(1, t(L, np.array([-5])), 1.0)),
    ("index_copy.negative", lambda L: t(L, A).index_copy(0, t(L, np.array([-1, 0])),
                                                         t(L, B[:2]))),
    ("repeat_interleave.negative_tensor", lambda L: t(L, V3).repeat_interleave(
        t(L, np.array([1, -1, 2])))),
    ("stft.win_length", lambda L: t(L, SIG).stft(8, win_length=9, return_complex=False)),
    ("stft.hop", lambda L: t(L, SIG[0]).stft(8, hop_length=0, return_complex=False)),
    ("stft.3d", lambda L: t(L, X3).stft(2, return_complex=False)),
    ("stft.n_fft", lambda L: t(L, SIG).stft(30, center=False, return_complex=False)),
    ("index_fill.value", lambda L: t(L, A).index_fill(0, t(L, IDX), t(L, V3))),
    ("masked_select.dtype", lambda L: t(L, A).masked_select(t(L, I1))),
    ("masked_scatter.count", lambda L: t(L, A).masked_scatter(t(L, MASK), t(L, V3))),
    ("masked_scatter.dtype", lambda L: t(L, A).masked_scatter(t(L, MASK), t(L, I1))),
    ("take_along_dim.dtype", lambda L: t(L, A).take_along_dim(t(L, A), 0)),
    ("nonzero_static.size", lambda L: t(L, A).nonzero_static(size=-1)),
    ("renorm.p", lambda L: t(L, A).renorm(0, 0, 1.0)),
    ("repeat_interleave.negative", lambda L: t(L, V3).repeat_interleave(-1)),
    ("aminmax.empty", lambda L: t(L, np.zeros((0,), np.float32)).aminmax()),
    ("histc.int", lambda L: t(L, I1).histc()),
    ("stft.window", lambda L: t(L, SIG).stft(8, window=t(L, V3), return_complex=False)),
    ("addr.vec", lambda L: t(L, A).addr(t(L, A), t(L, V4))),
    ("resize_.grad", lambda L: (t(L, A, requires_grad=True) * 2).resize_(2)),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_pytorch(case):
    name, fn = case
    caught = []
    for lib in (torch, tenkai):
        with pytest.raises(Exception) as err:
            fn(lib)
        caught.append(err)
    ours, theirs = caught[1], caught[0]
    assert isinstance(ours.value, theirs.type), f"{name}: {ours.type} vs {theirs.type}"
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0], name


# ---------------------------------------------------------------- partial entries


def test_partial_entries_raise_not_implemented():
    x = t(tenkai, A, requires_grad=True)
    with pytest.raises(NotImplementedError, match="i0: not supported inside tenkai.compile"):
        tenkai.compile(lambda v: v.i0().sum())(t(tenkai, A))
    with pytest.raises(NotImplementedError, match="reduce='prod' is not implemented"):
        x.scatter_reduce(0, t(tenkai, SCAT), x * 2, "prod")
    with pytest.raises(NotImplementedError, match="bfloat16"):
        t(tenkai, A).bfloat16()
    with pytest.raises(NotImplementedError, match="an index that repeats"):
        t(tenkai, A).scatter(0, t(tenkai, np.array([[0, 1], [0, 2]])), t(tenkai, B))


COMPILED = [
    lambda x, y: (x.movedim(0, 1).tile((1, 2)).sum() + x.lerp(y, 0.5).nansum()
                  + x.narrow(1, 0, 2).index_fill(0, tenkai.tensor([1]), 2.0).sum()
                  + x.take_along_dim(tenkai.tensor(SCAT), 0).sum()
                  + x.unfold(1, 2, 1).sum() + x.tensor_split(3, 1)[1].sum()
                  + x.as_strided((2, 2), (1, 2)).sum() + (x * y).sum_to_size(1, 4).sum()),
    lambda x, y: (x.index_copy(0, tenkai.tensor(IDX), y[:2]).sum()
                  + x.scatter(0, tenkai.tensor(SCAT[:1]), y[:1]).sum()
                  + x.scatter_reduce(0, tenkai.tensor(SCAT), y[:2], "mean").sum()
                  + x.take(tenkai.tensor([0, 5, -1])).sum()
                  + x.put(tenkai.tensor([1, 2]), y[0, :2]).sum()
                  + x.diagonal_scatter(y[0, :3]).sum() + x.select_scatter(y[0], 0, 1).sum()
                  + (x * 1).fill_diagonal_(3.0).sum() + (x * 1).eq_(y).sum()),
    lambda x, y: (x.renorm(2, 0, 1.0).sum() + x.dist(y) + x.inner(y).sum() + x.cov().sum()
                  + x.corrcoef().sum() + x.addr(y[:, 0], y[0]).sum() + x.count_nonzero()
                  + x.hardshrink().sum() + (x.abs() + 1).mvlgamma(2).sum()
                  + x.aminmax(dim=1).max.sum() + x.repeat_interleave(2, 0).sum()
                  + x.stft(4, window=tenkai.ones(4), return_complex=False).sum()),
]


@pytest.mark.slow  # LLVM compiles of wide graphs: ~7 s each on a shared core
@pytest.mark.parametrize("k", range(len(COMPILED)))
def test_compiled_step_uses_the_composites(k):
    """The composites trace into one graph (fullgraph: nothing runs eagerly) and the compiled
    step replays with eager's values."""
    f = COMPILED[k]
    x, y = t(tenkai, A), t(tenkai, B)
    compiled = tenkai.compile(f, fullgraph=True)
    compiled(x, y)
    np.testing.assert_allclose(compiled(x, y).numpy(), f(x, y).numpy(), rtol=1e-5)
    assert compiled.stats["traces"] == 1 and compiled.stats["replays"] == 1


def _added_methods() -> set[str]:
    added = set(_api_tensor.METHODS) | set(_api_tensor.PROPERTIES) | set(_api_tensor_shape.METHODS)
    for module in (_api_tensor_index, _api_tensor_math, _api_tensor_signal, _api_tensor_special):
        added |= set(module.METHODS) | {n + "_" for n in module.INPLACE}
    return added | {n + "_" for n in _methods._OPS_INPLACE} | {"polygamma_", "ger"}


def test_every_added_name_has_a_row():
    added = _added_methods()
    covered = set()
    for rows in (VALUES, INPLACE, SHAPE_INPLACE, GRADS, ERRORS):
        covered |= {re.split(r"[.]", row[0])[0] for row in rows}
    covered |= {"resize", "resize_as", "set_", "volatile", "bfloat16", "eig", "lstsq",
                "register_hook", "symeig", "solve"}  # the dedicated tests above
    assert not sorted(added - covered)


def test_added_functions_are_torch_functions():
    """Every ``tenkai.X`` the modules add is a ``torch.X`` too (no names PyTorch lacks), and
    every added method is a ``torch.Tensor`` method."""
    modules = (_api_tensor, _api_tensor_shape, _api_tensor_index, _api_tensor_math,
               _api_tensor_signal, _api_tensor_special)
    functions = {n for m in modules for n in m.FUNCTIONS}
    functions |= {n + "_" for m in (_api_tensor_index, _api_tensor_special)
                  for n in m.MODULE_INPLACE} | {"erf_", "negative_"}
    assert sorted(n for n in functions if not hasattr(torch, n)) == []
    assert all(hasattr(tenkai, n) for n in functions)
    assert sorted(n for n in _added_methods() if not hasattr(torch.Tensor, n)) == []


def test_tile_method_takes_sizes_as_arguments_or_a_sequence():
    x = tenkai.arange(6.0).reshape(2, 3)
    for args in ((2, 1), ((2,),), (2,), ([1, 2],), (3, 1, 2)):
        assert tuple(x.tile(*args).shape) == tuple(np.tile(x.numpy(), args if len(args) > 1
                                                           else args[0]).shape), args
    np.testing.assert_array_equal(x.tile(2, 1).numpy(), np.tile(x.numpy(), (2, 1)))
    with pytest.raises(TypeError):
        tenkai.tile(x, 2, 1)  # the function takes one dims argument, as torch.tile
