"""tenkai.distributions against torch.distributions in float64: values and gradients of the
deterministic parts (log_prob, entropy, mean, variance, cdf, icdf), shapes (batch, event,
sample, expand), printing and validation errors (type and message).

tenkai's random streams are not PyTorch's (docs/distributions.md), so samples are compared
statistically (test_distributions_sampling.py) and rsample through its reparameterization."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _positive(*shape: int) -> np.ndarray:
    return RNG.random(shape) + 0.5


def _tril(*batch: int, n: int = 3) -> np.ndarray:
    lower = np.tril(RNG.standard_normal(batch + (n, n)) * 0.3)
    idx = np.arange(n)
    lower[..., idx, idx] = RNG.random(batch + (n,)) + 0.5
    return lower


_LOW = RNG.standard_normal(3)
_PROBS = RNG.random((2, 4)) + 0.1
_L = _tril(2)
_COV = _L @ np.swapaxes(_L, -1, -2)
_ONE_HOT = np.eye(4)[RNG.integers(0, 4, (5, 2))]

# name: (build(D, params) -> distribution, params, value, methods beyond log_prob/entropy)
CASES: dict[str, tuple[Any, dict[str, np.ndarray], np.ndarray, tuple[str, ...]]] = {
    "normal": (lambda D, p: D.Normal(p["loc"], p["scale"]),
               {"loc": RNG.standard_normal((2, 3)), "scale": _positive(2, 3)},
               RNG.standard_normal((4, 2, 3)), ("cdf", "icdf", "mean", "variance", "stddev")),
    "uniform": (lambda D, p: D.Uniform(p["low"], p["high"]),
                {"low": _LOW, "high": _LOW + _positive(3)},
                _LOW + 0.25, ("cdf", "icdf", "mean", "variance", "stddev")),
    "laplace": (lambda D, p: D.Laplace(p["loc"], p["scale"]),
                {"loc": RNG.standard_normal(3), "scale": _positive(3)},
                RNG.standard_normal((2, 3)), ("cdf", "icdf", "mean", "variance", "stddev")),
    "exponential": (lambda D, p: D.Exponential(p["rate"]), {"rate": _positive(3)},
                    _positive(2, 3), ("cdf", "icdf", "mean", "variance", "stddev")),
    "bernoulli_probs": (lambda D, p: D.Bernoulli(probs=p["probs"]),
                        {"probs": RNG.random(3) * 0.8 + 0.1},
                        RNG.integers(0, 2, (5, 3)).astype(np.float64),
                        ("mean", "variance", "logits")),
    "bernoulli_logits": (lambda D, p: D.Bernoulli(logits=p["logits"]),
                         {"logits": RNG.standard_normal(3)},
                         RNG.integers(0, 2, (5, 3)).astype(np.float64),
                         ("mean", "variance", "probs")),
    "categorical_probs": (lambda D, p: D.Categorical(probs=p["probs"]), {"probs": _PROBS},
                          RNG.integers(0, 4, (5, 2)), ("probs", "logits", "mode")),
    "categorical_logits": (lambda D, p: D.Categorical(logits=p["logits"]),
                           {"logits": RNG.standard_normal((2, 4))},
                           RNG.integers(0, 4, (5, 2)), ("probs", "logits", "mode")),
    "one_hot_categorical": (lambda D, p: D.OneHotCategorical(logits=p["logits"]),
                            {"logits": RNG.standard_normal((2, 4))}, _ONE_HOT,
                            ("mean", "variance", "mode", "probs")),
    "mvn_scale_tril": (lambda D, p: D.MultivariateNormal(p["loc"], scale_tril=p["tril"]),
                       {"loc": RNG.standard_normal((2, 3)), "tril": _L},
                       RNG.standard_normal((4, 2, 3)),
                       ("mean", "variance", "covariance_matrix", "precision_matrix")),
    "mvn_covariance": (lambda D, p: D.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
                       {"loc": RNG.standard_normal(3), "cov": _COV},
                       RNG.standard_normal((4, 2, 3)), ("variance", "scale_tril")),
    "mvn_precision": (lambda D, p: D.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
                      {"loc": RNG.standard_normal(3), "prec": _COV[0]},
                      RNG.standard_normal((2, 3)), ("variance", "covariance_matrix")),
    "gamma": (lambda D, p: D.Gamma(p["concentration"], p["rate"]),
              {"concentration": _positive(3) * 2, "rate": _positive(3)}, _positive(2, 3),
              ("mean", "variance", "mode")),
    "dirichlet": (lambda D, p: D.Dirichlet(p["concentration"]),
                  {"concentration": _positive(2, 4) * 2}, _PROBS / _PROBS.sum(-1)[:, None],
                  ("mean", "variance")),
    "beta": (lambda D, p: D.Beta(p["concentration1"], p["concentration0"]),
             {"concentration1": _positive(3), "concentration0": _positive(3) * 3},
             RNG.random((2, 3)) * 0.9 + 0.05, ("mean", "variance")),
    "independent_normal": (lambda D, p: D.Independent(D.Normal(p["loc"], p["scale"]), 1),
                           {"loc": RNG.standard_normal((2, 3)), "scale": _positive(2, 3)},
                           RNG.standard_normal((4, 2, 3)), ("mean", "variance")),
}


def _lib_tensors(lib: Any, params: dict[str, np.ndarray], grad: bool) -> dict[str, Any]:
    return {k: lib.tensor(v, requires_grad=grad and v.dtype.kind == "f")
            for k, v in params.items()}


def assert_values_and_grads_match(name: str, cases: dict, tol: dict[str, float],
                                  tril_grads: bool = False) -> None:
    """tenkai's values and parameter gradients of ``cases[name]`` against PyTorch's;
    ``tril_grads``: a ``tril`` parameter's gradient compared on its lower triangle (the zeros
    above a Cholesky factor's diagonal are not parameters)."""
    got, got_grads = _evaluate(tenkai, name, cases)
    want, want_grads = _evaluate(torch, name, cases)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], **tol, err_msg=f"{name}.{key}")
    assert got_grads.keys() == want_grads.keys()
    for key in want_grads:
        got_grad, want_grad = got_grads[key], want_grads[key]
        if tril_grads and key == "tril":
            got_grad, want_grad = np.tril(got_grad), np.tril(want_grad)
        np.testing.assert_allclose(got_grad, want_grad, **tol, err_msg=f"{name}: d/d{key}")


def _evaluate(lib: Any, name: str, cases: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every compared value and the gradients of their sum with respect to the parameters."""
    build, params, value, extra = (CASES if cases is None else cases)[name]
    tensors = _lib_tensors(lib, params, True)
    dist = build(lib.distributions, tensors)
    x = lib.tensor(value)
    outs = {"log_prob": dist.log_prob(x)}
    if "no_entropy" not in extra:
        outs["entropy"] = dist.entropy()
    for method in (m for m in extra if m != "no_entropy"):
        arg = x if method == "cdf" else lib.tensor(np.full(value.shape, 0.3))
        outs[method] = getattr(dist, method)(arg) if method in ("cdf", "icdf") \
            else getattr(dist, method)
    total = sum(lib.where(o.isfinite(), o, 0.0).sum() for o in outs.values()
                if o.dtype.is_floating_point)
    total.backward()
    values = {k: o.detach().numpy() for k, o in outs.items()}
    grads = {k: t.grad.numpy() for k, t in tensors.items() if t.grad is not None}
    return values, grads


# lgamma/digamma/trigamma agree with PyTorch's to ~1e-8 relative (other series), not 1e-10
_SPECIAL = {"gamma", "dirichlet", "beta"}


def _tolerances(name: str) -> dict[str, float]:
    return {"rtol": 1e-7, "atol": 1e-9} if name in _SPECIAL else {"rtol": 1e-9, "atol": 1e-11}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name: str) -> None:
    got, got_grads = _evaluate(tenkai, name)
    want, want_grads = _evaluate(torch, name)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], **_tolerances(name),
                                   err_msg=f"{name}.{key}")
    assert got_grads.keys() == want_grads.keys()
    for key in want_grads:
        np.testing.assert_allclose(got_grads[key], want_grads[key], **_tolerances(name),
                                   err_msg=f"{name}: d/d{key}")


def test_gamma_cdf_matches_torch() -> None:
    conc, rate, x = _positive(3) * 2, _positive(3), _positive(2, 3)
    got = tenkai.distributions.Gamma(tenkai.tensor(conc), tenkai.tensor(rate)).cdf(
        tenkai.tensor(x))
    want = torch.distributions.Gamma(torch.tensor(conc), torch.tensor(rate)).cdf(
        torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9)


KL_PAIRS = {
    "normal": ("normal", "normal"), "bernoulli": ("bernoulli_probs", "bernoulli_logits"),
    "categorical": ("categorical_probs", "categorical_logits"),
    "uniform": ("uniform", "uniform"), "laplace": ("laplace", "laplace"),
    "exponential": ("exponential", "exponential"),
    "one_hot_categorical": ("one_hot_categorical", "one_hot_categorical"),
    "mvn": ("mvn_scale_tril", "mvn_covariance"),
    "independent": ("independent_normal", "independent_normal"),
    "gamma": ("gamma", "gamma"), "dirichlet": ("dirichlet", "dirichlet"),
    "beta": ("beta", "beta"),
}


def _kl(lib: Any, p_name: str, q_name: str, shift: float) -> tuple[np.ndarray, list[Any]]:
    (build_p, params_p, _, _), (build_q, params_q, _, _) = CASES[p_name], CASES[q_name]
    tp = _lib_tensors(lib, params_p, True)
    shifted = {k: v + shift if k in ("loc", "logits", "high", "rate") or
               k.startswith("concentration") else v
               for k, v in params_q.items()}
    tq = _lib_tensors(lib, shifted, True)
    kl = lib.distributions.kl_divergence(build_p(lib.distributions, tp),
                                         build_q(lib.distributions, tq))
    kl.sum().backward()
    return kl.detach().numpy(), [t.grad.numpy() for t in [*tp.values(), *tq.values()]]


@pytest.mark.parametrize("pair", sorted(KL_PAIRS))
def test_kl_divergence_matches_torch(pair: str) -> None:
    got, got_grads = _kl(tenkai, *KL_PAIRS[pair], shift=0.25)
    want, want_grads = _kl(torch, *KL_PAIRS[pair], shift=0.25)
    np.testing.assert_allclose(got, want, **_tolerances(pair))
    for g, w in zip(got_grads, want_grads, strict=True):
        np.testing.assert_allclose(g, w, **_tolerances(pair))


def test_kl_infinite_where_support_differs() -> None:
    for lib in (tenkai, torch):
        D = lib.distributions
        out = D.kl_divergence(D.Uniform(lib.tensor([0.0, 0.0]), lib.tensor([1.0, 2.0])),
                              D.Uniform(lib.tensor([0.0, 0.5]), lib.tensor([2.0, 3.0])))
        cat = D.kl_divergence(D.Categorical(lib.tensor([0.5, 0.5])),
                              D.Categorical(lib.tensor([1.0, 0.0])))
        assert out.tolist()[1] == float("inf") and cat.item() == float("inf")
        assert out.tolist()[0] == pytest.approx(np.log(2.0))


def test_kl_unregistered_pair_and_register_kl() -> None:
    D = tenkai.distributions
    with pytest.raises(NotImplementedError, match="Normal.*Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))

    class MyNormal(D.Normal):
        pass

    # a subclass uses its parent's pair until a more specific one is registered
    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)
    assert D.kl_divergence(p, q).item() == pytest.approx(0.5)
    D.register_kl(MyNormal, D.Normal)(lambda p, q: tenkai.tensor(42.0))
    assert D.kl_divergence(p, q).item() == 42.0
    assert D.kl_divergence(q, q).item() == 0.0
