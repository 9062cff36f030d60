"""The second set of tenkai.distributions families (count families, transformed families,
StudentT, the relaxed ones, MixtureSameFamily), the transforms and the KL pairs across
families, against torch.distributions in float64: values and gradients, shapes, printing,
errors; samples statistically (tenkai's random stream is its own)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_distributions import _lib_tensors, assert_values_and_grads_match

import tenkai

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)


def _pos(*shape: int) -> np.ndarray:
    return RNG.random(shape) + 0.5


_COUNTS = RNG.integers(0, 6, (4, 3)).astype(np.float64)
_SIMPLEX = RNG.random((2, 4)) + 0.1
_SIMPLEX /= _SIMPLEX.sum(-1, keepdims=True)

# name: (build(D, params), params, value, extra methods); "no_entropy": torch has none
CASES: dict[str, tuple[Any, dict[str, np.ndarray], np.ndarray, tuple[str, ...]]] = {
    "poisson": (lambda D, p: D.Poisson(p["rate"]), {"rate": _pos(3) * 3}, _COUNTS,
                ("no_entropy", "mean", "mode", "variance")),
    "geometric_probs": (lambda D, p: D.Geometric(probs=p["probs"]),
                        {"probs": RNG.random(3) * 0.8 + 0.1}, _COUNTS,
                        ("mean", "mode", "variance", "logits")),
    "geometric_logits": (lambda D, p: D.Geometric(logits=p["logits"]),
                         {"logits": RNG.standard_normal(3)}, _COUNTS,
                         ("mean", "variance", "probs")),
    "binomial": (lambda D, p: D.Binomial(6, probs=p["probs"]),
                 {"probs": RNG.random(3) * 0.8 + 0.1}, _COUNTS,
                 ("mean", "mode", "variance", "logits")),
    "binomial_logits": (lambda D, p: D.Binomial(p["count"], logits=p["logits"]),
                        {"count": np.array([6.0, 7.0, 9.0]),
                         "logits": RNG.standard_normal(3)},
                        _COUNTS, ("no_entropy", "mean", "variance", "probs")),
    "negative_binomial": (lambda D, p: D.NegativeBinomial(p["count"], probs=p["probs"]),
                          {"count": _pos(3) * 4, "probs": RNG.random(3) * 0.8 + 0.1},
                          _COUNTS, ("no_entropy", "mean", "mode", "variance", "logits")),
    "multinomial": (lambda D, p: D.Multinomial(5, probs=p["probs"]), {"probs": _SIMPLEX},
                    np.array([[[1.0, 2.0, 0.0, 2.0], [0.0, 0.0, 5.0, 0.0]]]),
                    ("mean", "variance", "logits")),
    "cauchy": (lambda D, p: D.Cauchy(p["loc"], p["scale"]),
               {"loc": RNG.standard_normal(3), "scale": _pos(3)},
               RNG.standard_normal((2, 3)), ("cdf", "icdf", "mode")),
    "log_normal": (lambda D, p: D.LogNormal(p["loc"], p["scale"]),
                   {"loc": RNG.standard_normal(3) * 0.3, "scale": _pos(3) * 0.5},
                   _pos(2, 3), ("cdf", "icdf", "mean", "mode", "variance")),
    "half_normal": (lambda D, p: D.HalfNormal(p["scale"]), {"scale": _pos(3)},
                    _pos(2, 3), ("cdf", "icdf", "mean", "mode", "variance")),
    "half_cauchy": (lambda D, p: D.HalfCauchy(p["scale"]), {"scale": _pos(3)},
                    _pos(2, 3), ("cdf", "icdf", "mode")),
    "gumbel": (lambda D, p: D.Gumbel(p["loc"], p["scale"]),
               {"loc": RNG.standard_normal(3), "scale": _pos(3)},
               RNG.standard_normal((2, 3)), ("cdf", "icdf", "mean", "mode", "variance")),
    "weibull": (lambda D, p: D.Weibull(p["scale"], p["concentration"]),
                {"scale": _pos(3), "concentration": _pos(3) * 2},
                _pos(2, 3), ("cdf", "icdf", "mean", "mode", "variance")),
    "pareto": (lambda D, p: D.Pareto(p["scale"], p["alpha"]),
               {"scale": _pos(3) * 0.5, "alpha": _pos(3) * 3},
               _pos(2, 3) + 1.0, ("cdf", "icdf", "mean", "mode", "variance")),
    "student_t": (lambda D, p: D.StudentT(p["df"], p["loc"], p["scale"]),
                  {"df": _pos(3) * 4, "loc": RNG.standard_normal(3), "scale": _pos(3)},
                  RNG.standard_normal((2, 3)), ("mean", "mode", "variance")),
    "chi2": (lambda D, p: D.Chi2(p["df"]), {"df": _pos(3) * 3}, _pos(2, 3),
             ("mean", "variance")),
    "logistic_normal": (lambda D, p: D.LogisticNormal(p["loc"], p["scale"]),
                        {"loc": RNG.standard_normal((2, 3)), "scale": _pos(2, 3)},
                        np.broadcast_to(_SIMPLEX, (3, 2, 4)).copy(), ("no_entropy",)),
    "relaxed_bernoulli": (lambda D, p: D.RelaxedBernoulli(p["t"], probs=p["probs"]),
                          {"t": np.array(0.7), "probs": RNG.random(3) * 0.8 + 0.1},
                          RNG.random((2, 3)) * 0.9 + 0.05, ("no_entropy", "logits")),
    "relaxed_one_hot": (lambda D, p: D.RelaxedOneHotCategorical(p["t"], logits=p["logits"]),
                        {"t": np.array(0.5), "logits": RNG.standard_normal((2, 4))},
                        np.broadcast_to(_SIMPLEX, (3, 2, 4)).copy(), ("no_entropy", "probs")),
    "mixture": (lambda D, p: D.MixtureSameFamily(D.Categorical(logits=p["w"]),
                                                 D.Normal(p["loc"], p["scale"])),
                {"w": RNG.standard_normal((2, 3)), "loc": RNG.standard_normal((2, 3)),
                 "scale": _pos(2, 3)},
                RNG.standard_normal((4, 2)), ("no_entropy", "cdf", "mean", "variance")),
    "tanh_normal": (lambda D, p: D.TransformedDistribution(
        D.Normal(p["loc"], p["scale"]), [D.TanhTransform(), D.AffineTransform(1.0, 2.0)]),
        {"loc": RNG.standard_normal(3) * 0.3, "scale": _pos(3) * 0.5},
        RNG.random((2, 3)) * 3.6 - 0.8, ("no_entropy",)),
    "stick_breaking": (lambda D, p: D.TransformedDistribution(
        D.Independent(D.Normal(p["loc"], p["scale"]), 1), D.StickBreakingTransform()),
        {"loc": RNG.standard_normal((2, 3)), "scale": _pos(2, 3)},
        np.broadcast_to(_SIMPLEX, (3, 2, 4)).copy(), ("no_entropy",)),
}


def _tol(name: str) -> dict[str, float]:
    # lgamma/digamma agree with PyTorch's to ~1e-8 relative (docs/distributions.md)
    special = {"poisson", "binomial", "binomial_logits", "negative_binomial", "multinomial",
               "student_t", "chi2", "weibull", "relaxed_one_hot"}
    return {"rtol": 1e-7, "atol": 1e-9} if name in special else {"rtol": 1e-9, "atol": 1e-11}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name: str) -> None:
    assert_values_and_grads_match(name, CASES, _tol(name))


@pytest.mark.parametrize("name", sorted(CASES))
def test_shapes_and_printing_match_torch(name: str) -> None:
    build, params, _, _ = CASES[name]
    got = build(tenkai.distributions, _lib_tensors(tenkai, params, False))
    want = build(torch.distributions, _lib_tensors(torch, params, False))
    assert (tuple(got.batch_shape), tuple(got.event_shape)) == \
        (tuple(want.batch_shape), tuple(want.event_shape))
    assert repr(got) == repr(want)
    assert got.has_rsample == want.has_rsample
    batch = (5,) + tuple(want.batch_shape)
    assert tuple(got.expand(batch).batch_shape) == tuple(want.expand(batch).batch_shape)
    assert type(got.expand(batch)).__name__ == type(want.expand(batch)).__name__
    assert tuple(got.sample((2,)).shape) == tuple(want.sample((2,)).shape)


# p, q builders for the KL pairs (numbers: scalars broadcast by the distributions)
_P = {
    "normal": lambda D, t: D.Normal(t([0.3, -0.2]), t([0.8, 1.3])),
    "laplace": lambda D, t: D.Laplace(t([0.1, 0.4]), t([0.7, 1.1])),
    "gumbel": lambda D, t: D.Gumbel(t([0.2, -0.1]), t([0.9, 1.4])),
    "exponential": lambda D, t: D.Exponential(t([0.8, 1.7])),
    "gamma": lambda D, t: D.Gamma(t([1.5, 2.5]), t([0.9, 1.8])),
    "beta": lambda D, t: D.Beta(t([1.5, 2.5]), t([0.9, 1.8])),
    "uniform": lambda D, t: D.Uniform(t([0.2, 0.5]), t([1.1, 2.0])),
    "pareto": lambda D, t: D.Pareto(t([1.2, 0.9]), t([3.5, 4.5])),
    "poisson": lambda D, t: D.Poisson(t([1.5, 3.0])),
    "bernoulli": lambda D, t: D.Bernoulli(t([0.3, 0.6])),
    "geometric": lambda D, t: D.Geometric(t([0.3, 0.6])),
    "binomial": lambda D, t: D.Binomial(t([5.0, 7.0]), t([0.3, 0.6])),
    "cauchy": lambda D, t: D.Cauchy(t([0.3, -0.2]), t([0.8, 1.3])),
    "half_normal": lambda D, t: D.HalfNormal(t([0.8, 1.3])),
    "log_normal": lambda D, t: D.LogNormal(t([0.3, -0.2]), t([0.8, 1.3])),
}
_Q = {
    "normal": lambda D, t: D.Normal(t([-0.1, 0.5]), t([1.2, 0.9])),
    "laplace": lambda D, t: D.Laplace(t([0.0, 0.3]), t([1.2, 0.8])),
    "gumbel": lambda D, t: D.Gumbel(t([0.0, 0.4]), t([1.1, 0.7])),
    "exponential": lambda D, t: D.Exponential(t([1.3, 0.6])),
    "gamma": lambda D, t: D.Gamma(t([2.0, 1.2]), t([1.1, 0.7])),
    "beta": lambda D, t: D.Beta(t([2.0, 1.2]), t([1.1, 0.7])),
    "uniform": lambda D, t: D.Uniform(t([-0.5, 0.0]), t([3.0, 2.5])),
    "pareto": lambda D, t: D.Pareto(t([1.0, 1.1]), t([2.5, 3.0])),
    "poisson": lambda D, t: D.Poisson(t([2.0, 1.0])),
    "geometric": lambda D, t: D.Geometric(t([0.5, 0.2])),
    "binomial": lambda D, t: D.Binomial(t([5.0, 7.0]), t([0.4, 0.5])),
    "cauchy": lambda D, t: D.Cauchy(t([0.0, 0.4]), t([1.1, 0.7])),
    "half_normal": lambda D, t: D.HalfNormal(t([1.1, 0.7])),
    "log_normal": lambda D, t: D.LogNormal(t([0.0, 0.4]), t([1.1, 0.7])),
    "bernoulli": lambda D, t: D.Bernoulli(t([0.4, 0.5])),
}
KL_PAIRS = [("binomial", "binomial"), ("geometric", "geometric"), ("gumbel", "gumbel"),
            ("half_normal", "half_normal"), ("pareto", "pareto"), ("poisson", "poisson"),
            ("log_normal", "log_normal"), ("cauchy", "cauchy"),
            ("bernoulli", "poisson"), ("beta", "exponential"), ("beta", "gamma"),
            ("beta", "normal"), ("beta", "uniform"), ("exponential", "gamma"),
            ("exponential", "gumbel"), ("exponential", "normal"), ("gamma", "exponential"),
            ("gamma", "gumbel"), ("gamma", "normal"), ("gumbel", "normal"),
            ("laplace", "normal"), ("normal", "gumbel"), ("normal", "laplace"),
            ("pareto", "exponential"), ("pareto", "gamma"), ("pareto", "normal"),
            ("uniform", "exponential"), ("uniform", "gamma"), ("uniform", "gumbel"),
            ("uniform", "normal"), ("normal", "uniform"), ("gamma", "beta"),
            ("poisson", "bernoulli"), ("pareto", "uniform"), ("laplace", "exponential")]


def _kl(lib: Any, p: str, q: str) -> tuple[np.ndarray, list[np.ndarray]]:
    made: list[Any] = []

    def t(values: list[float]) -> Any:
        made.append(lib.tensor(values, dtype=lib.float64, requires_grad=True))
        return made[-1]

    D = lib.distributions
    kl = D.kl_divergence(_P[p](D, t), _Q[q](D, t))
    finite = kl[kl.isfinite()]
    if finite.numel():
        finite.sum().backward()
    return kl.detach().numpy(), [np.zeros(2) if x.grad is None else x.grad.numpy()
                                 for x in made]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda pair: "-".join(pair))
def test_kl_divergence_matches_torch(pair: tuple[str, str]) -> None:
    got, got_grads = _kl(tenkai, *pair)
    want, want_grads = _kl(torch, *pair)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    for g, w in zip(got_grads, want_grads, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9)


def test_transforms_match_torch() -> None:
    x = RNG.standard_normal((3, 4))
    pos = np.abs(x) + 0.2
    cases = [("ExpTransform", (), x), ("SigmoidTransform", (), x),
             ("TanhTransform", (), x * 0.5), ("SoftplusTransform", (), x),
             ("AffineTransform", (0.5, -2.0), x), ("PowerTransform", (1.7,), pos),
             ("StickBreakingTransform", (), x)]
    for name, args, value in cases:
        for cached in (0, 1):
            got_t = getattr(tenkai.distributions, name)(*args, cache_size=cached)
            want_t = getattr(torch.distributions.transforms, name)(*args, cache_size=cached)
            gx, wx = tenkai.tensor(value), torch.tensor(value)
            gy, wy = got_t(gx), want_t(wx)
            np.testing.assert_allclose(gy.numpy(), wy.numpy(), rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(got_t.inv(gy).numpy(), want_t.inv(wy).numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)
            np.testing.assert_allclose(got_t.log_abs_det_jacobian(gx, gy).numpy(),
                                       want_t.log_abs_det_jacobian(wx, wy).numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)
            assert repr(got_t) == repr(want_t)
            assert tuple(got_t.forward_shape((3, 4))) == tuple(want_t.forward_shape((3, 4)))
            assert got_t.bijective == want_t.bijective
    chain = tenkai.distributions.ComposeTransform(
        [tenkai.distributions.ExpTransform(), tenkai.distributions.AffineTransform(1.0, -2.0)])
    assert chain.sign == -1 and chain.inv.inv is chain
    assert tenkai.distributions.ExpTransform() == tenkai.distributions.ExpTransform()


def test_cached_transform_inverts_exactly() -> None:
    """cache_size=1: t.inv(t(x)) is x itself (atanh(tanh(20)) alone would be inf)."""
    t = tenkai.distributions.TanhTransform(cache_size=1)
    x = tenkai.tensor([20.0, -0.5], dtype=tenkai.float64)
    assert t.inv(t(x)) is x


def test_errors_match_torch() -> None:
    for lib in (tenkai, torch):
        D = lib.distributions
        # validation on, whatever another test of this worker left as the default
        D.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            D.Binomial(3)
        with pytest.raises(ValueError, match="to be positive but found invalid values"):
            D.Geometric(lib.tensor([0.0, 0.5]))
        with pytest.raises(ValueError, match="does not equal"):
            D.MixtureSameFamily(D.Categorical(lib.ones(2)), D.Normal(lib.zeros(3), 1.0))
        with pytest.raises(ValueError, match="to satisfy the constraint"):
            D.Poisson(lib.tensor([-1.0]))
        with pytest.raises(ValueError, match="support"):
            D.LogNormal(0.0, 1.0).log_prob(lib.tensor([-1.0]))
        with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
            D.kl_divergence(D.Binomial(3, lib.tensor([0.5])),
                            D.Binomial(5, lib.tensor([0.5])))
        with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
            D.Multinomial(lib.tensor([3, 4]), lib.ones(2))


def _moments(sample: np.ndarray) -> tuple[float, float]:
    return float(sample.mean()), float(sample.var())


@pytest.mark.parametrize("name,mean,var", [
    ("poisson", 3.0, 3.0), ("geometric", 1 / 0.4 - 1, (1 / 0.4 - 1) / 0.4),
    ("binomial", 8 * 0.3, 8 * 0.3 * 0.7), ("negative_binomial", 4 * 0.3 / 0.7,
                                           4 * 0.3 / 0.7 ** 2),
    ("log_normal", np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
    ("gumbel", 0.5772156649, np.pi ** 2 / 6), ("half_normal", np.sqrt(2 / np.pi),
                                                1 - 2 / np.pi),
    ("student_t", 0.0, 5 / 3), ("weibull", 0.886226925, 0.214601837)])
def test_samples_have_the_right_moments(name: str, mean: float, var: float) -> None:
    D = tenkai.distributions
    one = tenkai.tensor(1.0, dtype=tenkai.float64)
    make = {"poisson": lambda: D.Poisson(3 * one), "geometric": lambda: D.Geometric(0.4 * one),
            "binomial": lambda: D.Binomial(8, 0.3 * one),
            "negative_binomial": lambda: D.NegativeBinomial(4.0, 0.3 * one),
            "log_normal": lambda: D.LogNormal(0 * one, 0.5 * one),
            "gumbel": lambda: D.Gumbel(0 * one, one), "half_normal": lambda: D.HalfNormal(one),
            "student_t": lambda: D.StudentT(5 * one), "weibull": lambda: D.Weibull(one, 2 * one)}
    tenkai.manual_seed(3)
    got_mean, got_var = _moments(make[name]().sample((40000,)).numpy())
    assert got_mean == pytest.approx(mean, abs=4 * np.sqrt(var / 40000) + 1e-3)
    assert got_var == pytest.approx(var, rel=0.08)


def test_multinomial_and_mixture_samples() -> None:
    D = tenkai.distributions
    tenkai.manual_seed(5)
    probs = tenkai.tensor([0.2, 0.3, 0.5], dtype=tenkai.float64)
    counts = D.Multinomial(10, probs).sample((20000,)).numpy()
    assert counts.shape == (20000, 3) and np.all(counts.sum(-1) == 10)
    np.testing.assert_allclose(counts.mean(0), 10 * probs.numpy(), atol=0.05)
    mix = D.MixtureSameFamily(D.Categorical(probs),
                              D.Normal(tenkai.tensor([-5.0, 0.0, 5.0], dtype=tenkai.float64),
                                       tenkai.full((3,), 0.1, dtype=tenkai.float64)))
    draws = mix.sample((20000,)).numpy()
    near = [np.mean(np.abs(draws - c) < 1) for c in (-5.0, 0.0, 5.0)]
    np.testing.assert_allclose(near, probs.numpy(), atol=0.02)


def test_tanh_squashed_policy_trains_compiled_like_eager() -> None:
    """A SAC-style step: a tanh-squashed Gaussian's rsample and log_prob, compiled vs eager."""
    D = tenkai.distributions

    def run(compiled: bool) -> list[float]:
        tenkai.manual_seed(0)
        net = tenkai.nn.Linear(3, 4)
        opt = tenkai.optim.Adam(net.parameters(), lr=0.01)
        x = tenkai.randn(8, 3)

        def step(x: Any) -> Any:
            loc, log_std = net(x).chunk(2, -1)
            dist = D.TransformedDistribution(D.Normal(loc, log_std.clamp(-5, 2).exp()),
                                             [D.TanhTransform(cache_size=1)])
            action = dist.rsample()
            loss = (dist.log_prob(action).sum(-1) - action.pow(2).sum(-1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        fn = tenkai.compile(step) if compiled else step
        return [fn(x).item() for _ in range(4)]

    np.testing.assert_allclose(run(True), run(False), rtol=1e-5, atol=1e-6)
