"""The last tenkai.distributions families (ContinuousBernoulli, Kumaraswamy, InverseGamma,
GeneralizedPareto, FisherSnedecor, VonMises, LowRankMultivariateNormal, Wishart,
LKJCholesky, OneHotCategoricalStraightThrough) against torch.distributions: values and
gradients in float64, shapes, printing, expand, validation errors, and samples statistically
(tenkai's random stream is its own, docs/distributions.md)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from test_distributions import _lib_tensors, _tril, assert_values_and_grads_match

import tenkai

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(23)


def _pos(*shape: int) -> np.ndarray:
    return RNG.random(shape) + 0.5


def _corr_cholesky(*batch: int, n: int = 3) -> np.ndarray:
    """Cholesky factors of random correlation matrices (rows of unit length)."""
    lower = _tril(*batch, n=n)
    return lower / np.linalg.norm(lower, axis=-1, keepdims=True)


_L = _tril(2)
_SPD = _L @ np.swapaxes(_L, -1, -2) + np.eye(3)
_WISHART_X = np.stack([_SPD, _SPD[::-1] * 1.5])  # (2, 2, 3, 3) positive definite
_F32 = np.float32

# name: (build(D, params), params, value, extra methods); "no_entropy": torch has none
CASES: dict[str, tuple[Any, dict[str, np.ndarray], np.ndarray, tuple[str, ...]]] = {
    # 0.5 and 0.4995 fall inside lims: PyTorch's Taylor branches
    "continuous_bernoulli_probs": (
        lambda D, p: D.ContinuousBernoulli(probs=p["probs"]),
        {"probs": np.array([0.2, 0.5, 0.83, 0.4995])}, RNG.random((3, 4)) * 0.9 + 0.05,
        ("cdf", "icdf", "mean", "variance", "stddev", "logits")),
    "continuous_bernoulli_logits": (
        lambda D, p: D.ContinuousBernoulli(logits=p["logits"]),
        {"logits": np.array([-1.3, 0.0, 2.1])}, RNG.random((2, 3)) * 0.9 + 0.05,
        ("cdf", "icdf", "mean", "variance", "probs")),
    "kumaraswamy": (lambda D, p: D.Kumaraswamy(p["c1"], p["c0"]),
                    {"c1": _pos(3) * 2, "c0": _pos(3) * 2}, RNG.random((2, 3)) * 0.9 + 0.05,
                    ("cdf", "icdf", "mean", "mode", "variance")),
    "inverse_gamma": (lambda D, p: D.InverseGamma(p["concentration"], p["rate"]),
                      {"concentration": _pos(3) * 3, "rate": _pos(3)}, _pos(2, 3),
                      ("mean", "mode", "variance")),
    # float32: torch's GeneralizedPareto compares with a float32 zero (fails on float64)
    "generalized_pareto": (
        lambda D, p: D.GeneralizedPareto(p["loc"], p["scale"], p["concentration"]),
        {"loc": np.array([0.1, -0.2, 0.3], _F32), "scale": np.array([1.0, 2.0, 0.5], _F32),
         "concentration": np.array([0.3, 0.0, -0.2], _F32)},
        np.array([[0.4, 0.1, 0.9], [2.0, 3.0, 1.5]], _F32),
        ("cdf", "icdf", "mean", "mode", "variance")),
    "fisher_snedecor": (lambda D, p: D.FisherSnedecor(p["df1"], p["df2"]),
                        {"df1": np.array([2.5, 3.0, 6.0]), "df2": np.array([4.5, 5.0, 9.0])},
                        _pos(2, 3), ("no_entropy", "mean", "mode", "variance")),
    # concentrations on both sides of 3.75 (the two Bessel approximations)
    "von_mises": (lambda D, p: D.VonMises(p["loc"], p["concentration"]),
                  {"loc": np.array([0.3, -2.0, 1.0]),
                   "concentration": np.array([0.4, 2.5, 8.0])},
                  RNG.random((2, 3)) * 6 - 3, ("no_entropy", "mean", "mode", "variance")),
    "lowrank_mvn": (lambda D, p: D.LowRankMultivariateNormal(p["loc"], p["w"], p["d"]),
                    {"loc": RNG.standard_normal((2, 3)), "w": RNG.standard_normal((2, 3, 2)),
                     "d": _pos(2, 3)}, RNG.standard_normal((4, 2, 3)),
                    ("mean", "mode", "variance", "covariance_matrix", "precision_matrix",
                     "scale_tril")),
    "lowrank_mvn_broadcast": (lambda D, p: D.LowRankMultivariateNormal(p["loc"], p["w"],
                                                                         p["d"]),
                              {"loc": RNG.standard_normal(3),
                               "w": RNG.standard_normal((2, 3, 1)), "d": _pos(3)},
                              RNG.standard_normal((2, 3)), ("variance",)),
    "wishart_tril": (lambda D, p: D.Wishart(p["df"], scale_tril=p["tril"]),
                     {"df": np.array([4.5, 6.0]), "tril": _L}, _WISHART_X,
                     ("mean", "mode", "variance", "covariance_matrix", "precision_matrix")),
    "wishart_cov": (lambda D, p: D.Wishart(p["df"], covariance_matrix=p["cov"]),
                    {"df": np.array([3.5, 7.0]), "cov": _SPD}, _WISHART_X,
                    ("mean", "variance", "scale_tril")),
    "wishart_prec": (lambda D, p: D.Wishart(p["df"], precision_matrix=p["prec"]),
                     {"df": np.array(5.0), "prec": _SPD[0]}, _WISHART_X[0],
                     ("mean", "covariance_matrix")),
    "lkj_cholesky": (lambda D, p: D.LKJCholesky(3, p["concentration"]),
                     {"concentration": np.array([0.5, 1.0, 2.5])},
                     _corr_cholesky(2, 3), ("no_entropy",)),
}


def _tol(name: str) -> dict[str, float]:
    if name == "generalized_pareto":
        return {"rtol": 2e-6, "atol": 1e-6}
    # lgamma/digamma/mvlgamma agree with PyTorch's to ~1e-8 relative (docs/distributions.md)
    special = {"kumaraswamy", "inverse_gamma", "fisher_snedecor", "wishart_tril",
               "wishart_cov", "wishart_prec", "lkj_cholesky"}
    return {"rtol": 1e-7, "atol": 1e-9} if name in special else {"rtol": 1e-9, "atol": 1e-11}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name: str) -> None:
    assert_values_and_grads_match(name, CASES, _tol(name), tril_grads=True)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.filterwarnings("ignore:Singular sample detected")
def test_shapes_printing_and_expand_match_torch(name: str) -> None:
    build, params, _, _ = CASES[name]
    got = build(tenkai.distributions, _lib_tensors(tenkai, params, False))
    want = build(torch.distributions, _lib_tensors(torch, params, False))
    assert (tuple(got.batch_shape), tuple(got.event_shape)) == \
        (tuple(want.batch_shape), tuple(want.event_shape))
    assert repr(got) == repr(want)
    assert got.has_rsample == want.has_rsample
    assert repr(got.support) == repr(want.support) or name == "generalized_pareto"
    batch = (5,) + tuple(want.batch_shape)
    got_e, want_e = got.expand(batch), want.expand(batch)
    assert tuple(got_e.batch_shape) == tuple(want_e.batch_shape)
    assert type(got_e).__name__ == type(want_e).__name__
    assert tuple(got_e.sample((2,)).shape) == tuple(want_e.sample((2,)).shape)
    assert tuple(got.sample().shape) == tuple(want.sample().shape)
    if want.has_rsample:
        assert tuple(got.rsample((3, 1)).shape) == tuple(want.rsample((3, 1)).shape)


def _draws(dist: Any, n: int) -> np.ndarray:
    tenkai.manual_seed(4)
    return dist.sample((n,)).numpy()


@pytest.mark.parametrize("name", ["continuous_bernoulli_probs", "kumaraswamy",
                                  "inverse_gamma", "generalized_pareto", "fisher_snedecor",
                                  "von_mises", "lowrank_mvn", "wishart_tril"])
def test_sample_moments_match_torch_closed_forms(name: str) -> None:
    """The mean and variance of 40000 tenkai draws against torch's mean and variance."""
    build, params, _, _ = CASES[name]
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    if name == "fisher_snedecor":  # finite variance needs df2 > 4
        params = {"df1": np.array([3.0, 6.0]), "df2": np.array([12.0, 20.0])}
    if name == "inverse_gamma":
        params = {"concentration": np.array([5.0, 7.0]), "rate": np.array([1.0, 2.0])}
    if name == "generalized_pareto":
        params["concentration"] = np.array([0.1, 0.0, -0.2])
    got = build(tenkai.distributions, _lib_tensors(tenkai, params, False))
    want = build(torch.distributions, _lib_tensors(torch, params, False))
    draws = _draws(got, 40000)
    mean, var = want.mean.numpy(), want.variance.numpy()
    if name == "von_mises":  # circular: compare E[cos(x - loc)] = 1 - variance
        loc = want.loc.numpy()
        np.testing.assert_allclose(np.cos(draws - loc).mean(0), 1 - var, atol=0.01)
        np.testing.assert_allclose(np.angle(np.exp(1j * draws).mean(0)), loc, atol=0.03)
        return
    sd_of_mean = np.sqrt(var / 40000)
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * sd_of_mean + 1e-3), name
    np.testing.assert_allclose(draws.var(0), var, rtol=0.1, atol=1e-3, err_msg=name)
    assert np.all(np.asarray(got.support.check(tenkai.tensor(draws))))


def test_lkj_samples_are_correlation_factors_with_the_right_spread() -> None:
    """Off-diagonal correlations of LKJ(d, eta) have variance 1 / (2 eta + d - 1)."""
    D = tenkai.distributions
    tenkai.manual_seed(6)
    eta = tenkai.tensor([0.7, 3.0], dtype=tenkai.float64)
    factors = D.LKJCholesky(3, eta).sample((20000,))
    assert tuple(factors.shape) == (20000, 2, 3, 3)
    assert np.all(np.asarray(tenkai.distributions.constraints.corr_cholesky.check(factors)))
    corr = factors.numpy() @ np.swapaxes(factors.numpy(), -1, -2)
    np.testing.assert_allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    off = corr[..., 1, 0]
    np.testing.assert_allclose(off.mean(0), 0.0, atol=0.02)
    np.testing.assert_allclose(off.var(0), 1 / (2 * np.array([0.7, 3.0]) + 2), rtol=0.06)


def test_rsample_gradients_flow_through_the_parameters() -> None:
    """rsample is a function of the parameters: d E[x] / d param matches the closed form."""
    D = tenkai.distributions
    tenkai.manual_seed(2)
    loc = tenkai.tensor([0.5], dtype=tenkai.float64, requires_grad=True)
    scale = tenkai.tensor([2.0], dtype=tenkai.float64, requires_grad=True)
    gp = D.GeneralizedPareto(loc, scale, tenkai.tensor([0.2], dtype=tenkai.float64))
    gp.rsample((50000,)).mean().backward()
    assert loc.grad.item() == pytest.approx(1.0)
    assert scale.grad.item() == pytest.approx(1 / 0.8, rel=0.05)  # d/dscale of scale/(1-c)
    probs = tenkai.tensor([0.3], dtype=tenkai.float64, requires_grad=True)
    cb = D.ContinuousBernoulli(probs)
    cb.rsample((50000,)).mean().backward()
    probs2 = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    torch.distributions.ContinuousBernoulli(probs2).mean.backward()
    assert probs.grad.item() == pytest.approx(probs2.grad.item(), rel=0.05)
    w = tenkai.tensor([[1.0], [0.5]], dtype=tenkai.float64, requires_grad=True)
    low_rank = D.LowRankMultivariateNormal(tenkai.zeros(2, dtype=tenkai.float64), w,
                                           tenkai.ones(2, dtype=tenkai.float64))
    low_rank.rsample((50000,)).pow(2).sum(-1).mean().backward()  # E|x|^2 = |w|^2 + 2
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy(), rtol=0.05)


def test_straight_through_one_hot_passes_gradients_to_probs() -> None:
    for lib in (tenkai, torch):
        probs = lib.tensor([0.2, 0.3, 0.5], dtype=lib.float64, requires_grad=True)
        dist = lib.distributions.OneHotCategoricalStraightThrough(probs)
        sample = dist.rsample((4,))
        assert dist.has_rsample and tuple(sample.shape) == (4, 3)
        assert np.all(sample.detach().numpy().sum(-1) == 1)
        (sample * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        # four draws, each with d/dprobs (c . probs / probs.sum()) = c - c . probs
        np.testing.assert_allclose(probs.grad.numpy(), 4 * (np.arange(1.0, 4.0) - 2.3))


def test_exponential_family_entropy_is_the_bregman_form() -> None:
    """ExponentialFamily.entropy (through autograd of the log normalizer) equals the
    closed forms of ContinuousBernoulli and Wishart, as in torch."""
    D = tenkai.distributions
    cb = D.ContinuousBernoulli(tenkai.tensor([0.2, 0.7, 0.9], dtype=tenkai.float64))
    np.testing.assert_allclose(D.ExponentialFamily.entropy(cb).detach().numpy(),
                               cb.entropy().numpy(), rtol=1e-9)
    wishart = D.Wishart(tenkai.tensor([4.5, 6.0], dtype=tenkai.float64),
                        scale_tril=tenkai.tensor(_L))
    np.testing.assert_allclose(D.ExponentialFamily.entropy(wishart).detach().numpy(),
                               wishart.entropy().numpy(), rtol=1e-8)
    assert isinstance(cb, D.ExponentialFamily) and isinstance(wishart, D.ExponentialFamily)


_EXP_FAMILIES = {
    "Normal": lambda D, t: (D.Normal(t([0.3, -1.0]), t([0.7, 1.4])),
                            D.Normal(t([0.0, 0.5]), t([1.1, 0.6]))),
    "Bernoulli": lambda D, t: (D.Bernoulli(t([0.3, 0.8])), D.Bernoulli(t([0.6, 0.1]))),
    "Exponential": lambda D, t: (D.Exponential(t([0.3, 2.0])), D.Exponential(t([1.5, 0.4]))),
    "Gamma": lambda D, t: (D.Gamma(t([1.3, 4.0]), t([0.7, 2.0])),
                           D.Gamma(t([2.0, 0.9]), t([1.2, 0.5]))),
    "Beta": lambda D, t: (D.Beta(t([1.3, 4.0]), t([0.7, 2.0])),
                          D.Beta(t([2.0, 0.9]), t([1.2, 0.5]))),
    "Dirichlet": lambda D, t: (D.Dirichlet(t([[1.3, 4.0, 0.5]])),
                               D.Dirichlet(t([[2.0, 0.9, 1.1]]))),
}


@pytest.mark.parametrize("name", sorted(_EXP_FAMILIES))
def test_exponential_families_bregman_forms_match_their_closed_forms(name: str) -> None:
    """The natural parameters and log normalizers (as torch's): the Bregman entropy and KL
    equal the closed forms, and the classes are ExponentialFamily as in torch."""
    D = tenkai.distributions
    p, q = _EXP_FAMILIES[name](D, lambda v: tenkai.tensor(v, dtype=tenkai.float64))
    assert isinstance(p, D.ExponentialFamily)
    assert isinstance(_EXP_FAMILIES[name](torch.distributions, torch.tensor)[0],
                      torch.distributions.ExponentialFamily)
    if name in ("Beta", "Dirichlet"):  # no carrier measure given, in torch neither
        for lib in (tenkai, torch):
            dist = _EXP_FAMILIES[name](lib.distributions, lib.tensor)[0]
            with pytest.raises(NotImplementedError):
                lib.distributions.ExponentialFamily.entropy(dist)
    else:
        np.testing.assert_allclose(D.ExponentialFamily.entropy(p).detach().numpy(),
                                   p.entropy().numpy(), rtol=1e-7)
    bregman = D.kl_rest._kl_expfamily_expfamily(p, q)
    np.testing.assert_allclose(bregman.detach().numpy(), D.kl_divergence(p, q).numpy(),
                               rtol=1e-7)


def test_poisson_entropy_is_not_implemented_as_in_torch() -> None:
    for lib in (tenkai, torch):
        with pytest.raises(NotImplementedError):
            lib.distributions.Poisson(lib.tensor([1.5])).entropy()


def _raises_alike(make: Any, error: type, match: str) -> None:
    for lib in (tenkai, torch):
        with pytest.raises(error, match=match):
            make(lib, lib.distributions)


def test_validation_errors_match_torch() -> None:
    t = lambda lib, v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    cases = [
        (lambda lib, D: D.ContinuousBernoulli(), ValueError, "Either `probs` or `logits`"),
        (lambda lib, D: D.ContinuousBernoulli(t(lib, [1.5]), validate_args=True), ValueError,
         "probs has invalid values"),
        (lambda lib, D: D.Kumaraswamy(t(lib, [-1.0]), t(lib, [1.0])), ValueError,
         "concentration1"),
        (lambda lib, D: D.Kumaraswamy(1.0, 1.0).log_prob(t(lib, [1.5])), ValueError,
         "support"),
        (lambda lib, D: D.InverseGamma(t(lib, [1.0]), t(lib, [0.0])), ValueError, "rate"),
        (lambda lib, D: D.GeneralizedPareto(0.0, t(lib, [-1.0]), 0.0), ValueError, "scale"),
        (lambda lib, D: D.GeneralizedPareto(0.0, 1.0, t(lib, [-0.5])).log_prob(t(lib, [3.0])),
         ValueError, "support"),
        (lambda lib, D: D.FisherSnedecor(t(lib, [0.0]), 1.0), ValueError,
         "to satisfy the constraint"),
        (lambda lib, D: D.VonMises(t(lib, [0.0]), t(lib, [-1.0])), ValueError,
         "concentration"),
        (lambda lib, D: D.LowRankMultivariateNormal(t(lib, 0.0), t(lib, [[1.0]]),
                                                    t(lib, [1.0])), ValueError,
         "loc must be at least one-dimensional"),
        (lambda lib, D: D.LowRankMultivariateNormal(lib.zeros(3), lib.ones(2, 1),
                                                    lib.ones(3)), ValueError,
         "cov_factor must be a batch of matrices with shape 3 x m"),
        (lambda lib, D: D.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1),
                                                    lib.ones(2)), ValueError,
         "cov_diag must be a batch of vectors"),
        (lambda lib, D: D.LowRankMultivariateNormal(lib.zeros(2, 3), lib.ones(3, 3, 1),
                                                    lib.ones(3)), ValueError,
         r"Incompatible batch shapes: loc torch.Size\(\[2, 3\]\), cov_factor"),
        (lambda lib, D: D.LowRankMultivariateNormal(lib.zeros(3), lib.zeros(3, 1),
                                                    -lib.ones(3)), ValueError, "cov_diag"),
        (lambda lib, D: D.Wishart(t(lib, 4.0)), AssertionError, "Exactly one of"),
        (lambda lib, D: D.Wishart(t(lib, 1.0), covariance_matrix=lib.eye(3)), ValueError,
         "expected to be greater than ndim - 1 = 2"),
        (lambda lib, D: D.Wishart(t(lib, 4.0), scale_tril=t(lib, [[1.0, 1.0], [0.0, 1.0]])),
         ValueError, "scale_tril"),
        (lambda lib, D: D.LKJCholesky(1), ValueError, "greater than or equal to 2"),
        (lambda lib, D: D.LKJCholesky(2, t(lib, [0.0])), ValueError, "concentration"),
        (lambda lib, D: D.LKJCholesky(2).log_prob(t(lib, [[1.0, 0.0], [1.0, 1.0]])),
         ValueError, "support"),
    ]
    for make, error, match in cases:
        _raises_alike(make, error, match)


def test_undefined_moments_are_nan_or_inf_as_in_torch() -> None:
    """Moments that do not exist for small parameters (F: df2 <= 2 / 4, df1 <= 2; inverse
    gamma: concentration <= 1 / 2; generalized Pareto: concentration >= 1 / 2)."""
    for build, params in [
        (lambda D, t: D.FisherSnedecor(t([1.5, 3.0, 6.0]), t([1.5, 3.0, 9.0])), None),
        (lambda D, t: D.InverseGamma(t([0.5, 1.5, 3.0]), t([1.0, 1.0, 2.0])), None),
        (lambda D, t: D.GeneralizedPareto(t([0.0] * 3), t([1.0] * 3), t([1.2, 0.7, 0.1])),
         None),
        (lambda D, t: D.Kumaraswamy(t([0.5, 2.0]), t([2.0, 3.0])), None)]:
        del params
        got = build(tenkai.distributions, lambda v: tenkai.tensor(v, dtype=tenkai.float64))
        want = build(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64))
        for what in ("mean", "mode", "variance"):
            np.testing.assert_allclose(getattr(got, what).numpy(), getattr(want, what).numpy(),
                                       rtol=1e-9, equal_nan=True, err_msg=what)


def test_wishart_warns_for_low_df_and_singular_samples() -> None:
    for lib in (tenkai, torch):
        with pytest.warns(UserWarning, match="Low df values detected"):
            low = lib.distributions.Wishart(lib.tensor(2.5), covariance_matrix=lib.eye(3))
        with warnings.catch_warnings():  # near-singular draws are likely at this df
            warnings.simplefilter("ignore")
            assert tuple(low.rsample((4,)).shape) == (4, 3, 3)
    # singular draws are redrawn: a first draw with one zero matrix per sample, then good
    wishart = tenkai.distributions.Wishart(tenkai.tensor([4.0, 5.0]),
                                           covariance_matrix=tenkai.eye(2).expand(2, 2, 2))
    first = tenkai.stack([tenkai.eye(2), tenkai.zeros(2, 2)]).expand(3, 2, 2, 2)
    draws = iter([first, 2 * tenkai.eye(2).expand(3, 2, 2, 2)])
    wishart._bartlett_sampling = lambda shape: next(draws)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        sample = wishart.rsample((3,))
    # as in PyTorch, a draw is redrawn for the whole batch when any entry of it is singular
    np.testing.assert_array_equal(sample.numpy(), np.broadcast_to(2 * np.eye(2), (3, 2, 2, 2)))


def test_inverse_gamma_cdf_matches_torch() -> None:
    conc, rate, x = np.array([1.5, 3.0, 0.7]), np.array([0.5, 2.0, 1.0]), _pos(2, 3)
    got = tenkai.distributions.InverseGamma(tenkai.tensor(conc), tenkai.tensor(rate))
    want = torch.distributions.InverseGamma(torch.tensor(conc), torch.tensor(rate))
    np.testing.assert_allclose(got.cdf(tenkai.tensor(x)).numpy(),
                               want.cdf(torch.tensor(x)).numpy(), rtol=1e-9)


def test_log_probs_compile_like_eager() -> None:
    """log_prob/cdf of the new families trace under tenkai.compile; the low-rank normal's
    Cholesky factor needs backend='interp' (docs/distributions.md), like MultivariateNormal."""
    D = tenkai.distributions

    def elementwise(p: Any, x: Any) -> Any:
        return (D.ContinuousBernoulli(p).log_prob(x).sum()
                + D.Kumaraswamy(p + 1, 2.0).log_prob(x).sum()
                + D.VonMises(p, 2.0).log_prob(x).sum()
                + D.GeneralizedPareto(0.0, p + 0.5, 0.2).cdf(x).sum())

    def low_rank(loc: Any, x: Any) -> Any:
        return D.LowRankMultivariateNormal(loc, tenkai.ones(3, 1), tenkai.ones(3)).log_prob(x)

    tenkai.manual_seed(0)
    p, x = tenkai.full((3,), 0.3), tenkai.rand(4, 3)
    assert tenkai.compile(elementwise)(p, x).item() == pytest.approx(
        elementwise(p, x).item(), rel=1e-5)
    loc = tenkai.zeros(3)
    with pytest.raises(NotImplementedError, match="backend='interp'"):
        tenkai.compile(low_rank)(loc, x)
    np.testing.assert_allclose(tenkai.compile(low_rank, backend="interp")(loc, x).numpy(),
                               low_rank(loc, x).numpy(), rtol=1e-5)
    von_mises = D.VonMises(tenkai.zeros(2), tenkai.ones(2))
    with pytest.raises(NotImplementedError, match="VonMises.sample inside tenkai.compile"):
        tenkai.compile(lambda loc: von_mises.sample() + loc)(tenkai.zeros(2))
