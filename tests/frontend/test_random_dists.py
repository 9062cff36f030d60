"""Random distributions: moments and Kolmogorov-Smirnov distances with fixed seeds, and shapes,
dtypes, grad_fns and errors against torch (values differ from torch's RNG by design)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tenkai

N = 20000
KS_LIMIT = 1.63 / math.sqrt(N) * 1.5  # well above the 1% critical value: a fixed seed passes


def _ks(samples: np.ndarray, cdf) -> float:
    x = np.sort(samples.astype(np.float64))
    ecdf_hi = np.arange(1, len(x) + 1) / len(x)
    ecdf_lo = np.arange(0, len(x)) / len(x)
    c = cdf(x)
    return float(max(np.max(ecdf_hi - c), np.max(c - ecdf_lo)))


def _erf_cdf(mu: float, sigma: float):
    erf = np.vectorize(math.erf)
    return lambda x: 0.5 * (1 + erf((x - mu) / (sigma * math.sqrt(2))))


CONTINUOUS = {
    "exponential_": (lambda t: t.exponential_(2.0), lambda x: 1 - np.exp(-2.0 * x)),
    "cauchy_": (lambda t: t.cauchy_(1.0, 0.5),
                lambda x: 0.5 + np.arctan((x - 1.0) / 0.5) / math.pi),
    "log_normal_": (lambda t: t.log_normal_(0.5, 0.4),
                    lambda x: _erf_cdf(0.5, 0.4)(np.log(np.maximum(x, 1e-300)))),
    "uniform_": (lambda t: t.uniform_(-1.0, 3.0), lambda x: np.clip((x + 1.0) / 4.0, 0, 1)),
    "normal_": (lambda t: t.normal_(2.0, 3.0), _erf_cdf(2.0, 3.0)),
    "normal_tensor": (lambda t: t.copy_(tenkai.normal(tenkai.full((N,), 2.0), 3.0)),
                      _erf_cdf(2.0, 3.0)),
    "normal_size": (lambda t: t.copy_(tenkai.normal(-1.0, 0.5, (N,))), _erf_cdf(-1.0, 0.5)),
}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_continuous_distributions_ks(name, dtype):
    tenkai.manual_seed(1234)
    draw, cdf = CONTINUOUS[name]
    t = tenkai.empty(N, dtype=getattr(tenkai, dtype))
    out = draw(t)
    assert out is t and t.dtype == getattr(tenkai, dtype)
    assert _ks(t.numpy(), cdf) < KS_LIMIT, name


def test_geometric_and_poisson_moments():
    tenkai.manual_seed(5)
    g = tenkai.empty(N).geometric_(0.25).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g))
    assert abs(g.mean() - 4.0) < 0.1 and abs(g.var() - 12.0) < 1.0
    rates = tenkai.tensor(np.tile([0.0, 0.5, 3.0, 40.0], N // 4))
    p = tenkai.poisson(rates).numpy().reshape(-1, 4)
    assert np.all(p[:, 0] == 0)
    np.testing.assert_allclose(p.mean(0)[1:], [0.5, 3.0, 40.0], rtol=0.03)
    np.testing.assert_allclose(p.var(0)[1:], [0.5, 3.0, 40.0], rtol=0.08)


def _poisson_one_by_one(rates: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The inverse CDF per value: the first step whose CDF reaches u (or whose term is 0)."""
    out = []
    for r, left, term in zip(rates.tolist(), u.tolist(), np.exp(-rates).tolist(), strict=True):
        k, cdf = 0, term
        while left > cdf and (r > 0 if k == 0 else term > 0):
            k += 1
            term = term * r / k
            cdf += term
        out.append(k)
    return np.array(out, np.float64)


@pytest.mark.parametrize("n", [7, 300, 5000])  # the per-value path and the blocked one
def test_poisson_counts_are_the_inverse_cdf(n):
    from tenkai._random_dists import _poisson_counts

    rng = np.random.default_rng(n)
    rates = rng.choice([0.0, 1e-300, 0.3, 4.0, 60.0, 400.0], n) * rng.uniform(0.5, 1.5, n)
    u = rng.random(n)
    np.testing.assert_array_equal(_poisson_counts(rates, u), _poisson_one_by_one(rates, u))
    tenkai.manual_seed(3)
    first = tenkai.poisson(tenkai.tensor(rates)).numpy()
    tenkai.manual_seed(3)
    np.testing.assert_array_equal(tenkai.poisson(tenkai.tensor(rates)).numpy(), first)


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies(replacement):
    tenkai.manual_seed(0)
    probs = np.array([0.1, 0.0, 0.3, 0.6])
    rows = tenkai.tensor(np.tile(probs * 5, (N // 2, 1)))  # unnormalized weights work
    k = 2 if not replacement else 3
    idx = tenkai.multinomial(rows, k, replacement).numpy()
    assert idx.shape == (N // 2, k) and idx.dtype == np.int64
    assert not np.any(idx == 1)
    first = np.bincount(idx[:, 0], minlength=4) / len(idx)
    np.testing.assert_allclose(first, probs, atol=0.02)
    if not replacement:
        assert np.all(idx[:, 0] != idx[:, 1])
    else:
        all_draws = np.bincount(idx.ravel(), minlength=4) / idx.size
        np.testing.assert_allclose(all_draws, probs, atol=0.015)


def test_generators_and_reproducibility():
    g = tenkai.Generator().manual_seed(42)
    a = tenkai.multinomial(tenkai.ones(10), 4, generator=g)
    b = tenkai.empty(5).exponential_(generator=g)
    g.manual_seed(42)
    assert tenkai.equal(a, tenkai.multinomial(tenkai.ones(10), 4, generator=g))
    assert tenkai.equal(b, tenkai.empty(5).exponential_(generator=g))
    tenkai.manual_seed(3)
    x = tenkai.randn_like(tenkai.ones(3, dtype=tenkai.float64))
    tenkai.manual_seed(3)
    assert tenkai.equal(x, tenkai.randn(3, dtype=tenkai.float64))


def test_compiled_multinomial_and_normal_replay_eager_stream():
    def sample(p):
        return tenkai.multinomial(p, 3, True), tenkai.normal(p, 1.0)

    _assert_compiled_replays(sample, tenkai.tensor([[0.2, 0.3, 0.5]]), 9)


def _assert_compiled_replays(sample, p, seed: int) -> list:
    """Two eager calls of ``sample(p)`` from ``seed``, then the compiled ``sample`` from the
    same seed: the same values and dtypes. Returns the eager results."""
    tenkai.manual_seed(seed)
    eager = [sample(p) for _ in range(2)]
    tenkai.manual_seed(seed)
    comp = tenkai.compile(sample, backend="interp")
    for want in eager:
        got = comp(p)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g.numpy(), w.numpy())
    return eager


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eager_fast_draws_match_compiled_replay(dtype):
    """Eager multinomial (no replacement), bernoulli and normal(tensor, float) take numpy fast
    paths; the traced composites/ops replay the same stream to the same values."""
    def sample(p):
        return (tenkai.multinomial(p, 3), tenkai.bernoulli(p), tenkai.normal(p, 0.5),
                tenkai.bernoulli(p, 0.25))

    rng = np.random.default_rng(4)
    p = tenkai.tensor(rng.uniform(0.05, 1.0, (3, 7)).astype(dtype))
    p[1, 2] = 0.0
    eager = _assert_compiled_replays(sample, p, 21)
    assert not np.any(eager[0][0].numpy()[1] == 2)


def test_randperm_is_the_stable_order_of_its_keys():
    for n in (5, 3000):
        tenkai.manual_seed(8)
        keys = tenkai.rand(n, dtype=tenkai.float64).numpy()
        tenkai.manual_seed(8)
        np.testing.assert_array_equal(tenkai.randperm(n).numpy(),
                                      np.argsort(keys, kind="stable"))


torch = pytest.importorskip("torch")

SHAPES = [
    ("multinomial_1d", lambda L: L.multinomial(L.ones(5), 3)),
    ("multinomial_2d", lambda L: L.multinomial(L.ones(2, 5, dtype=L.float64), 7, True)),
    ("normal_tt", lambda L: L.normal(L.zeros(2, 1), L.ones(3))),
    ("normal_tf", lambda L: L.normal(L.zeros(2, 3, dtype=L.float64), 2.0)),
    ("normal_ft", lambda L: L.normal(1.0, L.ones(4))),
    ("normal_size", lambda L: L.normal(0.0, 1.0, (2, 3), dtype=L.float64)),
    ("poisson", lambda L: L.poisson(L.ones(3, dtype=L.float64))),
    ("rand_like", lambda L: L.rand_like(L.ones(2, dtype=L.float64))),
    ("randn_like", lambda L: L.randn_like(L.ones(2), dtype=L.float64)),
    ("randint_like", lambda L: L.randint_like(L.ones(2, 2), 5)),
    ("randint_like_low", lambda L: L.randint_like(L.ones(2, dtype=L.int32), 3, 9)),
    ("geometric_", lambda L: L.empty(3).geometric_(0.5)),
]


@pytest.mark.parametrize("name,fn", SHAPES, ids=[s[0] for s in SHAPES])
def test_shapes_and_dtypes_match_torch(name, fn):
    want, got = fn(torch), fn(tenkai)
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype) == str(want.dtype)


def test_normal_grad_fn_and_zero_gradients_match_torch():
    for L in (torch, tenkai):
        m = L.zeros(2, requires_grad=True)
        s = L.ones(2, requires_grad=True)
        y = L.normal(m, s)
        assert y.grad_fn.name() == "NormalBackward3"
        y.sum().backward()
        assert m.grad.tolist() == [0.0, 0.0] and s.grad.tolist() == [0.0, 0.0]


ERRORS = [
    ("mn_3d", lambda L: L.multinomial(L.ones(2, 2, 2), 1)),
    ("mn_too_many", lambda L: L.multinomial(L.ones(3), 4)),
    ("mn_negative", lambda L: L.multinomial(-L.ones(3), 1)),
    ("mn_zero_sum", lambda L: L.multinomial(L.zeros(3), 1)),
    ("mn_int", lambda L: L.multinomial(L.ones(3, dtype=L.int64), 1)),
    ("mn_zero", lambda L: L.multinomial(L.ones(3), 0)),
    ("normal_std", lambda L: L.normal(L.zeros(2), -1.0)),
    ("poisson_rate", lambda L: L.poisson(-L.ones(2))),
    ("geometric_p", lambda L: L.ones(2).geometric_(0)),
    ("exponential_l", lambda L: L.ones(2).exponential_(-1)),
    ("log_normal_std", lambda L: L.ones(2).log_normal_(0, -1)),
    ("cauchy_sigma", lambda L: L.ones(2).cauchy_(0, -1)),
    ("normal_floats", lambda L: L.normal(0.0, 1.0)),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(type(want.value)) as got:
        fn(tenkai)
    first = str(want.value).split("\n")[0][:30]
    assert first.split(" - ")[0] in str(got.value) or name == "normal_floats", (got.value,
                                                                               want.value)
