"""Sampling from tenkai.distributions: tenkai's random streams are its own (Philox, see
docs/distributions.md), so samples are checked statistically (moments and frequencies within
several standard errors of PyTorch's closed forms) and rsample through its
reparameterization: the noise recovered from a sample, pushed through PyTorch's transform,
gives the same sample and the same gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")
N = 40000


def _close_in_mean(samples: np.ndarray, mean: np.ndarray, var: np.ndarray) -> None:
    """The sample mean lies within 5 standard errors; the sample variance within 10%."""
    err = np.sqrt(var / samples.shape[0])
    assert np.all(np.abs(samples.mean(0) - mean) < 5 * err + 1e-12), (samples.mean(0), mean)
    np.testing.assert_allclose(samples.var(0), var, rtol=0.1)


@pytest.mark.parametrize("build", [
    lambda lib, D: D.Normal(lib.tensor([0.0, 2.0]), lib.tensor([1.0, 0.5])),
    lambda lib, D: D.Uniform(lib.tensor([0.0, -1.0]), lib.tensor([1.0, 3.0])),
    lambda lib, D: D.Laplace(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 2.0])),
    lambda lib, D: D.Exponential(lib.tensor([0.5, 2.0])),
    lambda lib, D: D.Bernoulli(lib.tensor([0.2, 0.7])),
    lambda lib, D: D.OneHotCategorical(lib.tensor([0.1, 0.6, 0.3])),
    lambda lib, D: D.MultivariateNormal(lib.tensor([1.0, -1.0]),
                                        lib.tensor([[1.0, 0.5], [0.5, 2.0]])),
    lambda lib, D: D.Gamma(lib.tensor([0.3, 1.0, 4.5]), lib.tensor([1.0, 2.0, 0.5])),
    lambda lib, D: D.Beta(lib.tensor([0.5, 2.0]), lib.tensor([0.5, 5.0])),
    lambda lib, D: D.Dirichlet(lib.tensor([0.7, 2.0, 3.0])),
], ids=["normal", "uniform", "laplace", "exponential", "bernoulli", "one_hot", "mvn", "gamma",
        "beta", "dirichlet"])
def test_sample_moments_match_torch_closed_forms(build: Any) -> None:
    tenkai.manual_seed(0)
    ours, theirs = build(tenkai, tenkai.distributions), build(torch, torch.distributions)
    samples = ours.sample((N,)).numpy().astype(np.float64)
    assert samples.shape == (N,) + tuple(theirs.batch_shape + theirs.event_shape)
    _close_in_mean(samples, theirs.mean.numpy(), theirs.variance.numpy())


def test_categorical_frequencies() -> None:
    tenkai.manual_seed(1)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    drawn = tenkai.distributions.Categorical(tenkai.tensor(probs)).sample((N,)).numpy()
    assert drawn.shape == (N, 2) and drawn.dtype == np.int64
    freq = np.stack([(drawn == k).mean(0) for k in range(3)], axis=-1)
    np.testing.assert_allclose(freq, probs, atol=5 * np.sqrt(0.25 / N))


def test_seeded_sampling_repeats_and_sample_has_no_grad() -> None:
    loc = tenkai.zeros(3, requires_grad=True)
    dist = tenkai.distributions.Normal(loc, 1.0)
    tenkai.manual_seed(5)
    first = dist.sample((4,))
    tenkai.manual_seed(5)
    again = dist.sample((4,))
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not first.requires_grad and dist.rsample().requires_grad


def _rsample_pair(name: str) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, list[Any]]:
    """tenkai's rsample and its gradients; and PyTorch's transform of the same noise."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.random((2, 3)) + 0.5
    lower = np.tril(rng.standard_normal((3, 3)) * 0.3) + np.eye(3)
    weights = rng.standard_normal((5, 2, 3))
    params = {"normal": [a, b], "uniform": [a, a + b], "exponential": [b],
              "mvn": [a, lower]}[name]
    ours = [tenkai.tensor(p, requires_grad=True) for p in params]
    theirs = [torch.tensor(p, requires_grad=True) for p in params]
    tenkai.manual_seed(11)
    D = tenkai.distributions
    dist = {"normal": lambda: D.Normal(*ours), "uniform": lambda: D.Uniform(*ours),
            "exponential": lambda: D.Exponential(*ours),
            "mvn": lambda: D.MultivariateNormal(ours[0], scale_tril=ours[1])}[name]()
    x = dist.rsample((5,))
    (x * tenkai.tensor(weights)).sum().backward()
    xs = x.detach().numpy()
    p = [t.detach().numpy() for t in ours]
    if name == "normal":  # recover the noise, then PyTorch's transform of it
        eps = torch.tensor((xs - p[0]) / p[1])
        y = theirs[0] + eps * theirs[1]
    elif name == "uniform":
        u = torch.tensor((xs - p[0]) / (p[1] - p[0]))
        y = theirs[0] + u * (theirs[1] - theirs[0])
    elif name == "exponential":
        e = torch.tensor(xs * p[0])  # a standard exponential draw
        y = e / theirs[0]
    else:
        eps = torch.tensor(np.linalg.solve(p[1], (xs - p[0])[..., None])[..., 0])
        y = theirs[0] + (theirs[1] @ eps.unsqueeze(-1)).squeeze(-1)
    (y * torch.tensor(weights)).sum().backward()
    return xs, [t.grad.numpy() for t in ours], y.detach().numpy(), [t.grad for t in theirs]


@pytest.mark.parametrize("name", ["normal", "uniform", "exponential", "mvn"])
def test_rsample_gradients_match_torch_reparameterization(name: str) -> None:
    xs, grads, y, torch_grads = _rsample_pair(name)
    np.testing.assert_allclose(xs, y, rtol=1e-12, atol=1e-12)
    for g, w in zip(grads, torch_grads, strict=True):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-10, atol=1e-12)


def test_gamma_family_sampling_limits() -> None:
    D = tenkai.distributions
    concentration = tenkai.tensor([2.0, 3.0], requires_grad=True)
    rate = tenkai.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="implicit reparameterization"):
        D.Gamma(concentration, rate).rsample()
    with pytest.raises(NotImplementedError, match="implicit reparameterization"):
        D.Dirichlet(concentration).rsample()
    x = D.Gamma(concentration.detach(), rate).rsample((3,))  # the rate's gradient is exact
    x.sum().backward()
    np.testing.assert_allclose(rate.grad.numpy(),
                               -(x.detach().numpy() / rate.detach().numpy()).sum(0))
    assert D.Gamma(concentration, rate).sample((2,)).shape == (2, 2)  # no gradient: fine

    def step(c: Any) -> Any:
        return D.Gamma(c, 1.0).sample()

    with pytest.raises(NotImplementedError, match="inside tenkai.compile"):
        tenkai.compile(step)(tenkai.tensor([2.0]))
