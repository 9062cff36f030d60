"""Distributions inside a compiled training step mean what they mean eagerly: a REINFORCE
step (Categorical sample, log_prob * advantage, entropy bonus) and a VAE-style step (Normal
rsample + KL to a standard normal) trained with ``tenkai.compile`` equal the eager steps,
step by step (losses, parameters, gradients, optimizer state)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from compile_harness import assert_same, data, snapshot

import tenkai
import tenkai.nn as nn
from tenkai.compile import RecompileWarning
from tenkai.distributions import (
    Bernoulli,
    Categorical,
    Independent,
    Laplace,
    MultivariateNormal,
    Normal,
    kl_divergence,
)


def _reinforce(model: Any, x: Any, advantage: Any) -> Any:
    dist = Categorical(logits=model(x))
    action = dist.sample()
    return -(dist.log_prob(action) * advantage.sum(-1)).mean() - 0.01 * dist.entropy().mean()


def _vae(model: Any, x: Any, target: Any) -> Any:
    out = model(x)
    loc, log_scale = out[:, :2], out[:, 2:4]
    posterior = Independent(Normal(loc, log_scale.exp()), 1)
    prior = Independent(Normal(tenkai.zeros_like(loc), tenkai.ones_like(loc)), 1)
    z = posterior.rsample()
    recon = (z.sum(-1, keepdim=True) - target[:, :1]).pow(2).mean()
    return recon + kl_divergence(posterior, prior).mean()


def _bernoulli_policy(model: Any, x: Any, advantage: Any) -> Any:
    dist = Bernoulli(logits=model(x))
    action = dist.sample()
    return -(dist.log_prob(action) * advantage).sum(-1).mean()


def _mvn_laplace(model: Any, x: Any, target: Any) -> Any:
    out = model(x)
    scale_tril = tenkai.tensor([[1.0, 0.0], [0.3, 0.8]])
    mvn = MultivariateNormal(out[:, :2], scale_tril=scale_tril)
    laplace = Laplace(out[:, 2:4], out[:, 2:4].exp())
    return -mvn.log_prob(target[:, :2]).mean() + laplace.rsample((2,)).pow(2).mean() \
        - laplace.entropy().mean() + mvn.rsample().pow(2).mean()


def _step(loss_of: Any, model: Any, opt: Any) -> Any:
    """The training step around ``loss_of(model, x, y)``: zero_grad, backward, step."""
    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = loss_of(model, x, y)
        loss.backward()
        opt.step()
        return loss
    return step


def _train(loss_of: Any, compiled: bool, out_features: int,
           backend: str = "tenkai") -> tuple[list[Any], Any]:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, out_features))
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)
    step = _step(loss_of, model, opt)
    fn = tenkai.compile(step, backend=backend) if compiled else step
    tenkai.manual_seed(123)  # the same draws for both runs
    records = []
    for x, y in data(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecompileWarning)
            loss = fn(x, y if out_features != 4 else y[:, :1].expand(6, 4))
        records.append(snapshot(loss, model, opt))
    return records, fn


@pytest.mark.parametrize("loss_of,out_features", [(_reinforce, 3), (_vae, 4),
                                                    (_bernoulli_policy, 3)],
                         ids=["reinforce_categorical", "vae_normal_kl", "bernoulli_policy"])
def test_compiled_step_equals_eager(loss_of: Any, out_features: int) -> None:
    eager, _ = _train(loss_of, False, out_features)
    compiled, fn = _train(loss_of, True, out_features)
    assert_same(compiled, eager)
    assert fn.stats["replays"] >= 3 and fn.stats["eager_calls"] == 0  # really compiled
    assert len({round(r["loss"], 6) for r in eager}) > 1  # it trains: the loss moves


def test_compiled_multivariate_normal_and_laplace_equal_eager() -> None:
    """MultivariateNormal's triangular solve has no kernel on the CPU backend (it says so and
    names backend='interp'); on the interpreter backend the compiled step equals eager."""
    eager, _ = _train(_mvn_laplace, False, 4)
    compiled, fn = _train(_mvn_laplace, True, 4, backend="interp")
    assert_same(compiled, eager)
    assert fn.stats["replays"] >= 3 and fn.stats["eager_calls"] == 0
    with pytest.raises(NotImplementedError, match="backend='interp'"):
        _train(_mvn_laplace, True, 4)
